#!/bin/sh
# bench-cli.sh - relays per second and peak memory of fdrelay send/listen against s6-sudo.
#
# Usage: bench-cli.sh   (FDRELAY: the binary, default ./src/fdrelay or fdrelay)
# Environment: BENCH_N     sequential relays per measurement (default 300)
#              BENCH_FDN   runs per descriptor count (default 60)
#              BENCH_NOHF  set to time with a shell loop even if hyperfine exists
#              FDRELAY_BASELINE  another fdrelay binary ("before"): every fdrelay
#                          measurement is also taken with it, in the same run,
#                          against its own listener, and printed side by side
#                          with FDRELAY's ("after") and the after/before ratio
#              BENCH_ROUNDS  rounds each measurement's runs are split into
#                          (default 1; 10 with FDRELAY_BASELINE, where the two
#                          binaries take turns round by round: before, after,
#                          after, before, ...) so that a change in the
#                          machine's load falls on both alike
# Everything runs under timeout(1); listeners are stopped by their own pid.

set -u

N=${BENCH_N:-300}
FDN=${BENCH_FDN:-60}
if [ -z "${FDRELAY:-}" ]; then
	if [ -x ./src/fdrelay ]; then FDRELAY=./src/fdrelay; else FDRELAY=fdrelay; fi
fi
BASE=${FDRELAY_BASELINE:-}
if [ -n "$BASE" ]; then ROUNDS=${BENCH_ROUNDS:-10}; else ROUNDS=${BENCH_ROUNDS:-1}; fi
BOUND=120	# seconds any one measurement may take

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-cli.XXXXXX") || exit 1
LPIDS=
cleanup() {
	for p in $LPIDS; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench-cli: $*" >&2
	exit 1
}

have() {
	command -v "$1" >/dev/null 2>&1
}

case $ROUNDS in
'' | *[!0-9]* | 0) die "BENCH_ROUNDS must be a positive number" ;;
esac
if [ -z "${BENCH_NOHF:-}" ] && have hyperfine; then TIMER=hf; else TIMER=loop; fi

# wait_ready FILE: until FILE holds the newline a listener writes when ready (5 s).
wait_ready() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 500 ] && die "listener not ready ($1)"
		sleep 0.01
	done
}

# pid_of_child PID: the one child of PID (the program timeout(1) runs).
pid_of_child() {
	awk '{ print $1 }' "/proc/$1/task/$1/children" 2>/dev/null
}

# ns_samples RUNS COMMAND...: run COMMAND RUNS times in sequence, stdin
# /dev/null, and print wall nanoseconds: one line per run (hyperfine), or
# one line, the mean of the runs (shell loop).  Prints "fail" when a run
# fails.  Arguments must not hold spaces.
ns_samples() {
	runs=$1
	shift
	if [ "$TIMER" = hf ]; then
		timeout "$BOUND" hyperfine -N -w 3 -r "$runs" --output null \
		    --export-json "$T/hf.json" "$*" </dev/null >/dev/null 2>&1 || { echo fail; return; }
		awk '/"times"/ { on = 1; next }
		     on && /\]/ { exit }
		     on { gsub(/[ ,]/, ""); printf "%.0f\n", $0 * 1e9 }' "$T/hf.json"
		return
	fi
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout "$BOUND" sh -c '
		runs=$1; shift
		t0=$(date +%s%N)
		i=0
		while [ "$i" -lt "$runs" ]; do
			"$@" </dev/null >/dev/null 2>&1 || { echo fail; exit 1; }
			i=$((i + 1))
		done
		t1=$(date +%s%N)
		echo $(((t1 - t0) / runs))
	' sh "$runs" "$@" || echo fail
}

# summary FILE: of the samples in FILE, the median (hyperfine; the mean of
# the two middle ones for an even count, as hyperfine's) or the mean (shell
# loop: each sample is already the mean of equally many runs); "fail" if
# any run failed.
summary() {
	if grep -q fail "$1" || [ ! -s "$1" ]; then
		echo fail
	elif [ "$TIMER" = hf ]; then
		sort -n "$1" | awk '{ v[NR] = $1 }
		    END { printf "%.0f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	else
		awk '{ s += $1 } END { printf "%.0f\n", s / NR }' "$1"
	fi
}

# per_round RUNS: the runs of one round when RUNS are split into ROUNDS.
per_round() {
	echo $((($1 + ROUNDS - 1) / ROUNDS))
}

# ns_per_run RUNS COMMAND...: the median (hyperfine) or mean (loop) wall
# nanoseconds of one run of COMMAND, over RUNS runs in ROUNDS rounds.
ns_per_run() {
	each=$(per_round "$1")
	shift
	: >"$T/ns"
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		ns_samples "$each" "$@" >>"$T/ns"
		r=$((r + 1))
	done
	summary "$T/ns"
}

# side_order ROUND: the order the two binaries take in round ROUND (0, 1, ...):
# before after, after before, before after, ...
side_order() {
	if [ $(($1 % 2)) -eq 0 ]; then echo "before after"; else echo "after before"; fi
}

# fd_pair TAG RUNS OPTS ARG...: times "fdrelay send OPTS SOCK ARG..." with
# both binaries, each against its own listener, RUNS runs each in ROUNDS
# rounds taken in turns, into $T/TAG.before and $T/TAG.after (one summary
# each).  OPTS is split into words; no argument may hold spaces.
fd_pair() {
	tag=$1 opts=$3
	each=$(per_round "$2")
	shift 3
	: >"$T/$tag.sbefore"
	: >"$T/$tag.safter"
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		for side in $(side_order "$r"); do
			if [ "$side" = before ]; then bin=$BASE sock=$T/base.sock; else bin=$FDRELAY sock=$T/fd.sock; fi
			# shellcheck disable=SC2086 # OPTS is split into words on purpose
			ns_samples "$each" "$bin" send $opts "$sock" "$@" >>"$T/$tag.s$side"
		done
		r=$((r + 1))
	done
	summary "$T/$tag.sbefore" >"$T/$tag.before"
	summary "$T/$tag.safter" >"$T/$tag.after"
}

# peak_once FILE COMMAND...: append COMMAND's peak resident set (KiB) to
# FILE, or "?" when it cannot be measured.
peak_once() {
	out=$1
	shift
	kb=$(timeout 20 /usr/bin/time -f '%M' -o "$T/time.out" "$@" </dev/null >/dev/null 2>&1 &&
	    tail -n 1 "$T/time.out")
	echo "${kb:-?}" >>"$out"
}

# median_kb FILE: the median (8th of 15) of the peaks in FILE, or "?".
median_kb() {
	if grep -q '?' "$1"; then echo "?"; else sort -n "$1" | sed -n 8p; fi
}

# peak_kb COMMAND...: median peak resident set (KiB) of 15 runs, or "?".
# The median, since where libc's pages fall moves with the load address
# (ASLR) and one run can differ from the next by about 100 KiB.
peak_kb() {
	if [ ! -x /usr/bin/time ]; then
		echo "?"
		return
	fi
	: >"$T/peaks"
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		peak_once "$T/peaks" "$@"
	done
	median_kb "$T/peaks"
}

# hwm_kb PID: the peak resident set (VmHWM, KiB) of a running process.
hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

rate() {
	case $1 in
	fail) echo "fail" ;;
	*) awk -v ns="$1" 'BEGIN { printf "%.0f", 1e9 / ns }' ;;
	esac
}

ratio() {
	case "$1$2" in
	*fail* | *\?* | *-*) echo "-" ;;
	*) awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' ;;
	esac
}

us() {
	case $1 in
	fail) echo "fail" ;;
	*) awk -v n="$1" 'BEGIN { printf "%.0f", n / 1000 }' ;;
	esac
}

# start_listener BINARY NAME: "BINARY listen -k" on $T/NAME.sock, running
# true for every sender; sets LISTENER to the pid of the listener itself.
start_listener() {
	: >"$T/$2.ready"
	timeout 600 "$1" listen -k --max-fds 20000 --ready-fd 3 "$T/$2.sock" true 3>"$T/$2.ready" 2>"$T/$2.log" &
	lp=$!
	LPIDS="$LPIDS $lp"
	wait_ready "$T/$2.ready"
	LISTENER=$(pid_of_child "$lp")
}

"$FDRELAY" --version >/dev/null 2>&1 || die "no fdrelay at '$FDRELAY' (set FDRELAY)"
if [ -n "$BASE" ]; then
	"$BASE" --version >/dev/null 2>&1 || die "no fdrelay at '$BASE' (FDRELAY_BASELINE)"
fi
have s6-ipcserver && have s6-sudo && have s6-sudod && have s6-sudoc || S6=no
S6=${S6:-yes}

# The descriptor-count runs need 2 x 10,000 + slack descriptor numbers in
# the listener; fdrelay raises its own soft limit toward the hard one.
# shellcheck disable=SC3045 # dash, bash, busybox and ksh all have ulimit -n and -H
ulimit -n "$(ulimit -Hn)" 2>/dev/null

echo data >"$T/file"
start_listener "$FDRELAY" fd
FDL_PID=$LISTENER
if [ -n "$BASE" ]; then
	start_listener "$BASE" base
	BASEL_PID=$LISTENER
fi

if [ "$S6" = yes ]; then
	: >"$T/s6.ready"
	timeout 600 s6-ipcserver -1 "$T/s6.sock" s6-sudod true >"$T/s6.ready" &
	S6L=$!
	LPIDS="$LPIDS $S6L"
	wait_ready "$T/s6.ready"
	S6L_PID=$(pid_of_child "$S6L")
fi

if [ "$TIMER" = hf ]; then timer="hyperfine median"; else timer="shell loop mean"; fi
rounds=
[ "$ROUNDS" -gt 1 ] && rounds=" in $ROUNDS rounds of $(per_round "$N")"

if [ -z "$BASE" ]; then
	# ---- relays per second ----
	t_file=$(ns_per_run "$N" "$FDRELAY" send -t 10 "$T/fd.sock" "$T/file")
	t_wait=$(ns_per_run "$N" "$FDRELAY" send -t 10 --stdio --wait "$T/fd.sock")
	t_s6=fail
	[ "$S6" = yes ] && t_s6=$(ns_per_run "$N" s6-sudo -t 10000 -T 10000 "$T/s6.sock")

	# ---- peak memory ----
	m_send=$(peak_kb "$FDRELAY" send -t 10 --stdio --wait "$T/fd.sock")
	m_listen=$(hwm_kb "$FDL_PID")
	m_sudo="?"
	m_server="?"
	if [ "$S6" = yes ]; then
		m_sudo=$(peak_kb s6-ipcclient "$T/s6.sock" s6-sudoc -t 10000 -T 10000)
		m_server=$(hwm_kb "$S6L_PID")
	fi

	echo "# bench-cli: $N sequential relays each$rounds ($timer), $(nproc) CPUs"
	printf '%-44s %10s %9s %9s\n' "relay" "us/relay" "relays/s" "x s6"
	printf '%-44s %10s %9s %9s\n' "fdrelay send SOCK FILE" "$(us "$t_file")" "$(rate "$t_file")" "$(ratio "$t_s6" "$t_file")"
	printf '%-44s %10s %9s %9s\n' "fdrelay send --stdio --wait SOCK" "$(us "$t_wait")" "$(rate "$t_wait")" "$(ratio "$t_s6" "$t_wait")"
	printf '%-44s %10s %9s %9s\n' "s6-sudo SOCK (s6-ipcserver ... s6-sudod true)" "$(us "$t_s6")" "$(rate "$t_s6")" "1.00"
	echo
	printf '%-44s %10s\n' "peak resident memory" "KiB"
	printf '%-44s %10s\n' "fdrelay send --stdio --wait" "$m_send"
	printf '%-44s %10s\n' "s6-ipcclient SOCK s6-sudoc" "$m_sudo"
	printf '%-44s %10s\n' "fdrelay listen -k (VmHWM after the relays)" "$m_listen"
	printf '%-44s %10s\n' "s6-ipcserver (VmHWM after the relays)" "$m_server"

	# ---- descriptors in one call ----
	echo
	printf '%-10s %10s %10s %14s %s\n' "fds" "us/call" "ns/fd" "ns/extra fd" "program ran (--wait)"
	base=
	for n in 1 10 100 1000 10000; do
		# One string split into words: growing "$@" one by one is quadratic in bash.
		# shellcheck disable=SC2046 # the split is wanted: n words "-d" "0"
		set -- $(awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "-d 0 " }')
		t=$(ns_per_run "$FDN" "$FDRELAY" send -t 30 "$T/fd.sock" "$@")
		if timeout 60 "$FDRELAY" send -t 30 --wait "$T/fd.sock" "$@" </dev/null >/dev/null 2>"$T/wait.err"; then
			ran=yes
		else
			ran="no: send status $?; listener: $(tail -n 1 "$T/fd.log")"
		fi
		if [ "$t" = fail ]; then
			printf '%-10s %10s %10s %14s %s\n' "$n" fail - - "$ran"
			continue
		fi
		[ -z "$base" ] && base=$t
		printf '%-10s %10s %10s %14s %s\n' "$n" \
		    "$(awk -v t="$t" 'BEGIN { printf "%.0f", t / 1000 }')" \
		    "$(awk -v t="$t" -v n="$n" 'BEGIN { printf "%.0f", t / n }')" \
		    "$(awk -v t="$t" -v b="$base" -v n="$n" 'BEGIN { if (n > 1) printf "%.0f", (t - b) / (n - 1); else printf "-" }')" \
		    "$ran"
	done
	exit 0
fi

# ---- with a baseline: every fdrelay figure twice, before and after ----

# ---- relays per second ----
fd_pair file "$N" "-t 10" "$T/file"
fd_pair wait "$N" "-t 10 --stdio --wait"
t_s6=fail
[ "$S6" = yes ] && t_s6=$(ns_per_run "$N" s6-sudo -t 10000 -T 10000 "$T/s6.sock")

# ---- peak memory: the two clients alternate, 15 runs each ----
m_send_b="?" m_send_a="?"
if [ -x /usr/bin/time ]; then
	: >"$T/peaks.before"
	: >"$T/peaks.after"
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		peak_once "$T/peaks.before" "$BASE" send -t 10 --stdio --wait "$T/base.sock"
		peak_once "$T/peaks.after" "$FDRELAY" send -t 10 --stdio --wait "$T/fd.sock"
	done
	m_send_b=$(median_kb "$T/peaks.before")
	m_send_a=$(median_kb "$T/peaks.after")
fi
m_listen_b=$(hwm_kb "$BASEL_PID")
m_listen_a=$(hwm_kb "$FDL_PID")
m_sudo="?"
m_server="?"
if [ "$S6" = yes ]; then
	m_sudo=$(peak_kb s6-ipcclient "$T/s6.sock" s6-sudoc -t 10000 -T 10000)
	m_server=$(hwm_kb "$S6L_PID")
fi

row() {
	printf '%-44s %10s %10s %12s %10s\n' "$@"
}

echo "# bench-cli: $N sequential relays each$rounds ($timer), $(nproc) CPUs"
echo "# before: $BASE"
echo "# after:  $FDRELAY"
echo "# after/before above 1: more relays per second (better); more memory or time (worse)"
row "relays/s" "before" "after" "after/before" "x s6"
row "fdrelay send SOCK FILE" "$(rate "$(cat "$T/file.before")")" "$(rate "$(cat "$T/file.after")")" \
    "$(ratio "$(cat "$T/file.before")" "$(cat "$T/file.after")")" "$(ratio "$t_s6" "$(cat "$T/file.after")")"
row "fdrelay send --stdio --wait SOCK" "$(rate "$(cat "$T/wait.before")")" "$(rate "$(cat "$T/wait.after")")" \
    "$(ratio "$(cat "$T/wait.before")" "$(cat "$T/wait.after")")" "$(ratio "$t_s6" "$(cat "$T/wait.after")")"
row "s6-sudo SOCK (s6-ipcserver ... s6-sudod true)" "-" "$(rate "$t_s6")" "-" "1.00"
echo
row4() {
	printf '%-44s %10s %10s %12s\n' "$@"
}
row4 "us/relay" "before" "after" "after/before"
row4 "fdrelay send SOCK FILE" "$(us "$(cat "$T/file.before")")" "$(us "$(cat "$T/file.after")")" \
    "$(ratio "$(cat "$T/file.after")" "$(cat "$T/file.before")")"
row4 "fdrelay send --stdio --wait SOCK" "$(us "$(cat "$T/wait.before")")" "$(us "$(cat "$T/wait.after")")" \
    "$(ratio "$(cat "$T/wait.after")" "$(cat "$T/wait.before")")"
echo
row "peak resident memory, KiB" "before" "after" "after/before" "s6"
row "fdrelay send --stdio --wait" "$m_send_b" "$m_send_a" "$(ratio "$m_send_a" "$m_send_b")" "$m_sudo"
row "fdrelay listen -k (VmHWM after the relays)" "$m_listen_b" "$m_listen_a" "$(ratio "$m_listen_a" "$m_listen_b")" "$m_server"
echo "(s6: s6-ipcclient SOCK s6-sudoc; s6-ipcserver, VmHWM after the relays)"

# ---- descriptors in one call ----
echo
printf '%-8s %10s %10s %12s %12s %12s %s\n' "fds" "us before" "us after" "after/before" \
    "ns/xfd bef." "ns/xfd aft." "program ran (--wait)"
b0=
a0=
for n in 1 10 100 1000 10000; do
	# One string split into words: growing "$@" one by one is quadratic in bash.
	# shellcheck disable=SC2046 # the split is wanted: n words "-d" "0"
	set -- $(awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "-d 0 " }')
	fd_pair "n$n" "$FDN" "-t 30" "$@"
	tb=$(cat "$T/n$n.before")
	ta=$(cat "$T/n$n.after")
	ran=
	for side in before after; do
		if [ "$side" = before ]; then bin=$BASE sock=$T/base.sock log=$T/base.log; else bin=$FDRELAY sock=$T/fd.sock log=$T/fd.log; fi
		if timeout 60 "$bin" send -t 30 --wait "$sock" "$@" </dev/null >/dev/null 2>"$T/wait.err"; then
			ran="$ran $side: yes;"
		else
			ran="$ran $side: no: send status $?; listener: $(tail -n 1 "$log");"
		fi
	done
	case $ran in
	" before: yes; after: yes;") ran=yes ;;
	esac
	[ -z "$b0" ] && [ "$tb" != fail ] && b0=$tb
	[ -z "$a0" ] && [ "$ta" != fail ] && a0=$ta
	xb=-
	xa=-
	if [ "$n" -gt 1 ]; then
		[ "$tb" != fail ] && [ -n "$b0" ] && xb=$(awk -v t="$tb" -v b="$b0" -v n="$n" 'BEGIN { printf "%.0f", (t - b) / (n - 1) }')
		[ "$ta" != fail ] && [ -n "$a0" ] && xa=$(awk -v t="$ta" -v b="$a0" -v n="$n" 'BEGIN { printf "%.0f", (t - b) / (n - 1) }')
	fi
	printf '%-8s %10s %10s %12s %12s %12s %s\n' "$n" "$(us "$tb")" "$(us "$ta")" "$(ratio "$ta" "$tb")" \
	    "$xb" "$xa" "$ran"
done
