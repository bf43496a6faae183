#!/bin/sh
# cli-usage.sh - placeholder
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
t_skip "not written yet" "cli-usage"
t_done
