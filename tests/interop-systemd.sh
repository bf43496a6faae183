#!/bin/sh
# interop-systemd.sh - placeholder
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
t_skip "not written yet" "interop-systemd"
t_done
