# shellcheck shell=sh
# lib.sh - TAP helpers for the shell tests of the command line.
# Sourced by tests/*.sh; $FDRELAY is the binary just built.

: "${FDRELAY:?FDRELAY must name the fdrelay binary under test}"
: "${TESTS_BUILDDIR:=$(pwd)}"
: "${TESTS_SRCDIR:=$(cd "$(dirname "$0")" && pwd)}"
: "${TOP_SRCDIR:=$TESTS_SRCDIR/..}"
export LC_ALL=C

t_count=0
t_failed=0

# A private scratch directory, removed on exit; every test's sockets live there.
T=$(mktemp -d "${TMPDIR:-/tmp}/fdrelay-test.XXXXXX") || exit 99
t_cleanup() {
	# Kill any background job a test left behind, then remove the scratch dir.
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap t_cleanup EXIT

# ok COND_STATUS DESCRIPTION: report the status of the last command.
t_report() {
	t_count=$((t_count + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $t_count - $2"
	else
		echo "not ok $t_count - $2"
		t_failed=$((t_failed + 1))
	fi
}

# t_ok DESCRIPTION CMD...: passes when CMD exits 0.
t_ok() {
	_d=$1; shift
	"$@"
	t_report $? "$_d"
}

# t_is GOT EXPECTED DESCRIPTION: passes when the two strings are equal.
t_is() {
	if [ "$1" = "$2" ]; then
		t_report 0 "$3"
	else
		t_report 1 "$3"
		printf '# got:      %s\n# expected: %s\n' "$1" "$2" | sed 's/^\([^#]\)/# \1/'
	fi
}

# t_like GOT EXTENDED_REGEX DESCRIPTION: passes when GOT matches.
t_like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		t_report 0 "$3"
	else
		t_report 1 "$3"
		printf '%s\n' "$1" | sed 's/^/# got: /'
		printf '# expected to match: %s\n' "$2"
	fi
}

# t_skip REASON DESCRIPTION: a visible skip.
t_skip() {
	t_count=$((t_count + 1))
	echo "ok $t_count - $2 # SKIP $1"
}

t_diag() { printf '# %s\n' "$*"; }

t_done() {
	echo "1..$t_count"
	[ "$t_failed" -eq 0 ]
}

# run CMD...: runs CMD with stdout in $T/out, stderr in $T/err; sets $st,
# $out and $err for the test that called it.
# shellcheck disable=SC2034
run() {
	"$@" >"$T/out" 2>"$T/err"
	st=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# wait_for_socket PATH [SECONDS]: waits until PATH is a socket.
wait_for_socket() {
	_n=0
	while [ ! -S "$1" ]; do
		_n=$((_n + 1))
		[ "$_n" -gt $((${2:-10} * 20)) ] && return 1
		sleep 0.05
	done
}

# wait_gone PATH [SECONDS]: waits until nothing is at PATH.
wait_gone() {
	_n=0
	while [ -e "$1" ] || [ -L "$1" ]; do
		_n=$((_n + 1))
		[ "$_n" -gt $((${2:-10} * 20)) ] && return 1
		sleep 0.05
	done
}

# need_python: this file's peers are Python programs (python3 3.9+, for
# socket.send_fds); $PY becomes the interpreter itself (a pyenv shim costs a
# second per run).  Without one the whole file is one visible skip.
# shellcheck disable=SC2034 # PY is the sourcing file's
need_python() {
	PY=$("${PYTHON3:-python3}" -c 'import socket, sys; assert hasattr(socket, "send_fds"); print(sys.executable)' \
	    2>/dev/null) || {
		echo "1..0 # SKIP needs python3 3.9+ with socket.send_fds (PYTHON3=${PYTHON3:-python3})"
		exit 0
	}
}

# Bounded runs: nothing a test starts may hang the suite.
tmo() { timeout -k 5 "${TMO:-30}" "$@"; }
