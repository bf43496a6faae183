#!/bin/sh
# cli-recv.sh - placeholder
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
t_skip "not written yet" "cli-recv"
t_done
