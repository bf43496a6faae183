#!/bin/sh
# cli-listen.sh - placeholder
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
t_skip "not written yet" "cli-listen"
t_done
