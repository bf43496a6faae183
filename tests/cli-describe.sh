#!/bin/sh
# cli-describe.sh - placeholder
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
t_skip "not written yet" "cli-describe"
t_done
