#!/bin/sh
# lint.sh - every shell script that ships passes shellcheck.
# shellcheck source=tests/lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

cd "$TOP_SRCDIR" || exit 99
for f in tests/*.sh tests/fuzz/run.sh tests/bench/bench-cli.sh tests/bench/bench-exec.sh docs/demo.sh autogen.sh .ci/run; do
	[ -f "$f" ] || continue
	if ! command -v shellcheck >/dev/null 2>&1; then
		t_skip "shellcheck is not installed" "$f passes shellcheck"
		continue
	fi
	shellcheck -x "$f" >"$T/sc" 2>&1
	t_report $? "$f passes shellcheck"
	sed 's/^/# /' "$T/sc" | head -20
done
t_done
