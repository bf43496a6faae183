#!/bin/sh
# bench-cli.sh - relays per second and peak memory of fdrelay send/listen against s6-sudo.
#
# Usage: bench-cli.sh   (FDRELAY: the binary, default ./src/fdrelay or fdrelay)
# Environment: BENCH_N     sequential relays per measurement (default 300)
#              BENCH_FDN   runs per descriptor count (default 60)
#              BENCH_NOHF  set to time with a shell loop even if hyperfine exists
# Everything runs under timeout(1); listeners are stopped by their own pid.

set -u

N=${BENCH_N:-300}
FDN=${BENCH_FDN:-60}
if [ -z "${FDRELAY:-}" ]; then
	if [ -x ./src/fdrelay ]; then FDRELAY=./src/fdrelay; else FDRELAY=fdrelay; fi
fi
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

# ns_per_run RUNS COMMAND...: median (hyperfine) or mean (loop) wall
# nanoseconds of one run of COMMAND, run RUNS times in sequence, stdin
# /dev/null.  Prints "fail" when a run fails.  Arguments must not hold spaces.
ns_per_run() {
	runs=$1
	shift
	if [ -z "${BENCH_NOHF:-}" ] && have hyperfine; then
		timeout "$BOUND" hyperfine -N -w 3 -r "$runs" --output null \
		    --export-json "$T/hf.json" "$*" </dev/null >/dev/null 2>&1 || { echo fail; return; }
		awk -F'[:,]' '/"median"/ { printf "%.0f\n", $2 * 1e9; exit }' "$T/hf.json"
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
		kb=$(timeout 20 /usr/bin/time -f '%M' -o "$T/time.out" "$@" </dev/null >/dev/null 2>&1 &&
		    tail -n 1 "$T/time.out")
		[ -n "$kb" ] || { echo "?"; return; }
		echo "$kb" >>"$T/peaks"
	done
	sort -n "$T/peaks" | sed -n 8p
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
	*fail* | *\?*) echo "-" ;;
	*) awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' ;;
	esac
}

"$FDRELAY" --version >/dev/null 2>&1 || die "no fdrelay at '$FDRELAY' (set FDRELAY)"
have s6-ipcserver && have s6-sudo && have s6-sudod && have s6-sudoc || S6=no
S6=${S6:-yes}

# The descriptor-count runs need 2 x 10,000 + slack descriptor numbers in
# the listener; fdrelay raises its own soft limit toward the hard one.
# shellcheck disable=SC3045 # dash, bash, busybox and ksh all have ulimit -n and -H
ulimit -n "$(ulimit -Hn)" 2>/dev/null

echo data >"$T/file"
: >"$T/fd.ready"
timeout 600 "$FDRELAY" listen -k --max-fds 20000 --ready-fd 3 "$T/fd.sock" true 3>"$T/fd.ready" 2>"$T/fd.log" &
FDL=$!
LPIDS="$LPIDS $FDL"
wait_ready "$T/fd.ready"
FDL_PID=$(pid_of_child "$FDL")

if [ "$S6" = yes ]; then
	: >"$T/s6.ready"
	timeout 600 s6-ipcserver -1 "$T/s6.sock" s6-sudod true >"$T/s6.ready" &
	S6L=$!
	LPIDS="$LPIDS $S6L"
	wait_ready "$T/s6.ready"
	S6L_PID=$(pid_of_child "$S6L")
fi

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

timer=$( [ -z "${BENCH_NOHF:-}" ] && have hyperfine && echo "hyperfine median" || echo "shell loop mean")
echo "# bench-cli: $N sequential relays each ($timer), $(nproc) CPUs"
printf '%-44s %10s %9s %9s\n' "relay" "us/relay" "relays/s" "x s6"
printf '%-44s %10s %9s %9s\n' "fdrelay send SOCK FILE" "$(awk -v n="$t_file" 'BEGIN { printf "%.0f", n / 1000 }' 2>/dev/null)" "$(rate "$t_file")" "$(ratio "$t_s6" "$t_file")"
printf '%-44s %10s %9s %9s\n' "fdrelay send --stdio --wait SOCK" "$(awk -v n="$t_wait" 'BEGIN { printf "%.0f", n / 1000 }' 2>/dev/null)" "$(rate "$t_wait")" "$(ratio "$t_s6" "$t_wait")"
printf '%-44s %10s %9s %9s\n' "s6-sudo SOCK (s6-ipcserver ... s6-sudod true)" "$(awk -v n="$t_s6" 'BEGIN { printf "%.0f", n / 1000 }' 2>/dev/null)" "$(rate "$t_s6")" "1.00"
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
