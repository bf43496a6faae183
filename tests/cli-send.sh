#!/bin/sh
# cli-send.sh - placeholder
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
t_skip "not written yet" "cli-send"
t_done
