#!/bin/sh
# valgrind.sh - the command-line tests again with fdrelay under valgrind: no descriptor left open, no memory error.
#
# Usage: FDRELAY=src/fdrelay TESTS_SRCDIR=tests sh tests/valgrind.sh [TEST.sh...]
# (make check-valgrind).  FDRELAY must be a build without sanitizers.  Each
# test file (default: tests/cli-*.sh and tests/interop-*.sh) runs with
# FDRELAY pointing at a wrapper that execs valgrind on the real binary, one
# log per process; then every log is scanned.  A descriptor open at exit
# that was not inherited, a memory error or a definite leak is "not ok".
# Forked children are silent (--child-silent-after-fork): what a -k
# listener's worker does is checked by the tests themselves (cli-faults.sh
# compares the listener's descriptors).  fdrelay's exit statuses stay its
# own (no --error-exitcode): valgrind 3.19 does not know the pidfd system
# calls, and a silent child that made one (a program's LISTEN_PIDFDID
# before an exec that failed) would otherwise exit 99 instead of 127;
# what valgrind finds in the processes it logs is read from the logs.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

REAL=$FDRELAY
case $REAL in /*) ;; *) REAL=$(pwd)/$REAL ;; esac
VALGRIND=${VALGRIND:-valgrind}

if ! command -v "$VALGRIND" >/dev/null 2>&1; then
	t_skip "valgrind is not installed" "the command-line tests under valgrind"
	t_done
	exit $?
fi
if grep -q __asan_init "$REAL" 2>/dev/null; then
	t_skip "$REAL is built with AddressSanitizer, which valgrind cannot run; use a plain build" \
		"the command-line tests under valgrind"
	t_done
	exit $?
fi

export TESTS_SRCDIR TESTS_BUILDDIR TOP_SRCDIR
if [ $# -eq 0 ]; then
	set -- "$TESTS_SRCDIR"/cli-*.sh "$TESTS_SRCDIR"/interop-*.sh
fi

# Tests run some senders as uid 65534 through a copy of $FDRELAY: everything
# the wrapper reaches must be readable by anyone, and the logs writable.
V=$(mktemp -d "${TMPDIR:-/tmp}/fdrelay-valgrind.XXXXXX") || exit 99
chmod 755 "$V"
trap 't_cleanup; rm -rf "$V"' EXIT
cp "$REAL" "$V/fdrelay.real"
chmod 755 "$V/fdrelay.real"

# scan LOG...: prints one line per finding in the logs (nothing when clean);
# "note" lines are not failures.  Allowed open at exit: descriptors inherited
# from the parent.
scan() {
	awk '
	function report(what) { printf "%s: %s\n", FILENAME, what }
	function flush() {
		if (pending == "")
			return
		if (stack ~ /<inherited from parent>/)
			;
		else
			report("left open: " pending " " substr(stack, 1, 200))
		pending = ""
		stack = ""
	}
	# --PID-- lines are valgrind talking about itself (unknown syscalls): notes.
	/^--[0-9]+--/ { if ($0 ~ /WARNING/) { sub(/^--[0-9]+-- */, ""); print "note " FILENAME ": " $0 }; next }
	{ line = $0; sub(/^==[0-9]+== ?/, "", line) }
	pending != "" && line ~ /^ / { stack = stack " " line; next }
	# A file name with a newline in it goes on over the next line.
	pending != "" && stack == "" && line != "" { pending = pending "\\n" line; next }
	{ flush() }
	line ~ /^Open [^:]*[0-9]+:/ { pending = line; next }
	line ~ /^FILE DESCRIPTORS:/ { next }
	line ~ /^ERROR SUMMARY: [0-9]+ errors/ { split(line, w, " "); if (w[3] + 0 > 0) report(line); next }
	line ~ /definitely lost/ { report(line); next }
	line ~ /^(Warning|WARNING): / { print "note " FILENAME ": " line; next }
	line ~ /^ / || line == "" { next }
	{ report(line) }
	END { flush() }
	' "$@"
}

total_runs=0 total_bad=0 files=0 start=$(date +%s)
for test in "$@"; do
	name=${test##*/}
	d=$V/${name%.sh}
	mkdir -m 1777 "$d" "$d/logs"
	chmod 755 "$d"
	cat >"$d/fdrelay" <<EOF
#!/bin/sh
exec "$VALGRIND" --quiet --track-fds=yes --child-silent-after-fork=yes --vgdb=no \\
	--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \\
	--log-file="$d/logs/vg.%p.log" "$V/fdrelay.real" "\$@"
EOF
	chmod 755 "$d/fdrelay"
	t0=$(date +%s)
	FDRELAY=$d/fdrelay TMO=120 FDRELAY_VALGRIND=1 sh "$test" >"$d/tap" 2>"$d/stderr"
	tst=$?
	secs=$(($(date +%s) - t0))
	files=$((files + 1))
	runs=$(find "$d/logs" -name 'vg.*.log' | wc -l)
	total_runs=$((total_runs + runs))
	: >"$d/findings"
	if [ "$runs" -gt 0 ]; then
		# shellcheck disable=SC2046 # log names have no spaces
		scan $(find "$d/logs" -name 'vg.*.log' | sort) >"$d/findings.all"
		grep -v '^note ' "$d/findings.all" >"$d/findings"
		sed -n 's/^note [^:]*: //p' "$d/findings.all" | sort | uniq -c | sed 's/^ */# notes: /' | head -n 5
	fi
	nbad=$(wc -l <"$d/findings")
	inner=$(grep -ac '^not ok' "$d/tap")
	skips=$(grep -ac '# SKIP' "$d/tap")
	if [ "$runs" -gt 0 ] && [ "$nbad" -eq 0 ] && [ "$inner" -eq 0 ]; then
		t_report 0 "$name under valgrind: $runs runs of fdrelay, no descriptor left open, no memory error, no leak"
	elif [ "$runs" -eq 0 ]; then
		t_report 1 "$name under valgrind: fdrelay never ran (test status $tst)"
	elif [ "$nbad" -eq 0 ]; then
		total_bad=$((total_bad + 1))
		t_report 1 "$name under valgrind: $inner of its own checks failed (valgrind itself found nothing)"
	else
		total_bad=$((total_bad + 1))
		t_report 1 "$name under valgrind: $runs runs of fdrelay, $nbad findings"
		sed 's/^/# /' "$d/findings" | head -n 40
		# The whole of the first logs with findings, for the stacks.
		for log in $(cut -d: -f1 "$d/findings" | sort -u | head -n 3); do
			sed 's/^/#   /' "$log" | head -n 60
		done
	fi
	t_diag "$name: ${secs}s, test status $tst, $inner of its own checks failed, $skips skipped"
	[ "$inner" -gt 0 ] && grep -a '^not ok' "$d/tap" | head -n 10 | sed 's/^/#   /'
	grep -ah 'SKIP.*valgrind' "$d/tap" | sed 's/^/#   /'
done
t_is "$total_bad" 0 "$files test files, $total_runs runs of fdrelay under valgrind in $(($(date +%s) - start)) s: all clean"
t_done
