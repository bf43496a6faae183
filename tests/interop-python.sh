#!/bin/sh
# interop-python.sh - placeholder
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
t_skip "not written yet" "interop-python"
t_done
