# shellcheck shell=sh disable=SC2034,SC2154 # lst, nowait, PY: read by the sourcing file; err: set by its run()
# lib-cli.sh - what the command-line tests of send, listen and recv share:
# a one-shot listener running the probe, and checks of its record and messages.
# Sourced after lib.sh.

need_python
S=$T/sock

# The program listen runs in most tests: records what it received in $1.
cp "$TESTS_SRCDIR/probe.py" "$T/probe.py"

# listen_probe [LISTEN OPTIONS...]: a one-shot listener on $S whose program
# records what it received in $T/probe; its stderr goes to $T/lerr.
listen_probe() {
	rm -f "$T/probe" "$S"
	tmo "$FDRELAY" listen "$@" "$S" "$PY" "$T/probe.py" "$T/probe" 2>"$T/lerr" &
	lpid=$!
	# A sender already retrying may take the socket away at once (-R tests).
	[ -n "$nowait" ] || wait_for_socket "$S"
}
nowait=
# listen_run [LISTEN OPTIONS...] PROGRAM...: a one-shot listener running PROGRAM.
listen_run() {
	rm -f "$S"
	tmo "$FDRELAY" listen "$S" "$@" 2>"$T/lerr" &
	lpid=$!
	wait_for_socket "$S"
}
# lwait: waits for the listener started last; its status in $lst.
lwait() {
	wait "$lpid"
	lst=$?
}
# pv KEY: a value the probe recorded.
pv() {
	sed -n "s/^$1=//p" "$T/probe" 2>/dev/null
}
# errmsg REGEX DESCRIPTION: stderr of the last run has an "fdrelay: " line matching REGEX.
errmsg() {
	if printf '%s\n' "$err" | grep -Eq -- "^fdrelay: .*$1"; then
		t_report 0 "$2"
	else
		t_report 1 "$2"
		printf '%s\n' "$err" | sed 's/^/# stderr: /'
		printf '# expected a line matching: ^fdrelay: .*%s\n' "$1"
	fi
}
