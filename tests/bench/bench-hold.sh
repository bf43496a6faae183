#!/bin/sh
# bench-hold.sh - the descriptor holder: store + fetch round trips per
# second against s6-fdholderd, the cost of one fetch with 10 to 100,000
# descriptors held, and the holder's memory per held descriptor, side by
# side with s6-fdholderd's and with the floor of bare process starts.
#
# Usage: bench-hold.sh   (FDRELAY: the binary, default ./src/fdrelay)
# Environment: BENCH_HOLD_N        round trips of each kind (default 300)
#              BENCH_HOLD_ROUNDS   rounds they are split into, the kinds
#                                  taking turns round by round (default 10)
#              BENCH_HOLD_FETCH_N  timed fetches at each size, interleaved
#                                  with the others' (default 100)
#              BENCH_HOLD_SIZES    descriptors held for the fetches
#                                  (default "10 1000 10000 100000")
#              BENCH_HOLD_S6_MAX   the most s6-fdholderd is filled with
#                                  (default 10000, about 10 s): one
#                                  s6-fdholder-store process per descriptor
#
# 1. A round trip is fdrelay store SOCK FILE -n rt, then fdrelay fetch -x
#    SOCK rt -- true (fetch execs its program with the descriptor, as
#    s6-fdholder-retrieve does), against s6-fdholder-store SOCK rt <FILE
#    and s6-fdholder-retrieve -D SOCK rt true on an s6-fdholder-daemon;
#    /bin/true started twice is the floor (two process starts).  Each round
#    is timed as a whole with date +%s%N.  Once before the timing, each
#    retrieving side runs a program that checks the descriptor arrived.
# 2. One fdrelay fetch SOCK NAME (no --take, no PROGRAM, output to
#    /dev/null) with 10 ... 100,000 held under distinct names, against
#    s6-fdholder-retrieve SOCK ID true with as many held (up to
#    BENCH_HOLD_S6_MAX), and /bin/true timed the same way as the floor.
#    Each run is timed with date +%s%N before and after; median and
#    minimum.  At each size also: one fdrelay list, timed.  The
#    holder needs one descriptor per held descriptor: sizes beyond what the
#    hard RLIMIT_NOFILE allows are skipped, saying so, and the largest size
#    it allows is measured instead.  What is held is the read-write end of
#    one FIFO, stored again and again: it can be polled, so each entry also
#    costs the holder its hangup watch, as a held socket would.
# 3. The holder's VmRSS (/proc/PID/status) at each size, and the bytes per
#    held descriptor over the RSS with none held (after the round trips);
#    s6-fdholderd's likewise.  Then: how long each call filling the holder
#    took, first and last (a store that slows as the table grows shows
#    here), and how long the holder takes to stop (SIGTERM) with all held.
#
# No pass/fail on speed: the figures are printed, side by side.  Every
# process and socket started here goes with the script (trap).

set -u

N=${BENCH_HOLD_N:-300}
ROUNDS=${BENCH_HOLD_ROUNDS:-10}
FN=${BENCH_HOLD_FETCH_N:-100}
SIZES=${BENCH_HOLD_SIZES:-10 1000 10000 100000}
S6MAX=${BENCH_HOLD_S6_MAX:-10000}
: "${FDRELAY:=./src/fdrelay}"
BOUND=600	# seconds a daemon started here may live
BATCH=250	# descriptors per fdrelay store when filling the holder

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-hold.XXXXXX") || exit 1
KPIDS=
cleanup() {
	for p in $KPIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $KPIDS; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE	# | head: still stop the daemons

die() {
	echo "bench-hold: $*" >&2
	exit 1
}

have() {
	command -v "$1" >/dev/null 2>&1
}

posint() {
	case $2 in
	'' | *[!0-9]* | 0) die "$1 must be a positive number" ;;
	esac
}
posint BENCH_HOLD_N "$N"
posint BENCH_HOLD_ROUNDS "$ROUNDS"
posint BENCH_HOLD_FETCH_N "$FN"
posint BENCH_HOLD_S6_MAX "$S6MAX"
for s in $SIZES; do posint BENCH_HOLD_SIZES "$s"; done
"$FDRELAY" --version >/dev/null 2>&1 || die "no fdrelay at '$FDRELAY' (set FDRELAY)"
if [ -x /bin/true ]; then TRUE=/bin/true; else TRUE=/usr/bin/true; fi

# wait_ready FILE: until FILE holds the newline a daemon writes when ready (10 s).
wait_ready() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 1000 ] && return 1
		sleep 0.01
	done
}

# pid_of_child PID: the one child of PID (the program timeout(1) runs).
pid_of_child() {
	awk '{ print $1 }' "/proc/$1/task/$1/children" 2>/dev/null
}

rss() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

# cpu_us PID: CPU time of PID so far, in microseconds (0 without a PID):
# from /proc/PID/schedstat, to the nanosecond, else from /proc/PID/stat,
# in clock ticks.  cpu_ms: in milliseconds.
TICK=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_us() {
	if [ -z "$1" ]; then
		echo 0
	elif [ -r "/proc/$1/schedstat" ]; then
		awk '{ printf "%.0f\n", $1 / 1000 }' "/proc/$1/schedstat" 2>/dev/null
	else
		awk -v t="$TICK" '{ printf "%.0f\n", ($14 + $15) * 1e6 / t }' "/proc/$1/stat" 2>/dev/null
	fi
}
cpu_ms() {
	awk -v u="$(cpu_us "$1")" 'BEGIN { printf "%.0f\n", u / 1000 }'
}

now() {
	date +%s%N
}

# medmin FILE: "MEDIAN,MIN" of the nanoseconds in FILE, or "-".
medmin() {
	grep -v fail "$1" | sort -n | awk '{ v[NR] = $1 }
	    END { if (NR) printf "%.0f,%.0f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1]; else print "-" }'
}

# us MEDMIN [FLOOR]: "median (min)" in microseconds; with FLOOR, less
# FLOOR's median and minimum.  "-" when either is not a figure.
us() {
	awk -v m="$1" -v f="${2:-0,0}" 'BEGIN {
		if (split(m, a, ",") != 2 || split(f, b, ",") != 2) { print "-"; exit }
		printf "%.0f (%.0f)", (a[1] - b[1]) / 1000, (a[2] - b[2]) / 1000 }'
}

# ---- The daemons -----------------------------------------------------------

FILE=$T/file
echo "held by the benchmark" >"$FILE"
mkfifo "$T/fifo" || die "mkfifo $T/fifo failed"

# The largest size: as many held as the hard limit on descriptors allows,
# keeping what the holder sets aside for its clients (256 at once, +64).
# shellcheck disable=SC3045 # -H: in every sh that runs this (dash, bash, busybox)
HARD=$(ulimit -Hn)
case $HARD in
unlimited) HARD=1000000000 ;;
'' | *[!0-9]*) die "cannot read the hard RLIMIT_NOFILE ($HARD)" ;;
esac
REACH=$((((HARD - 384) / 1000) * 1000))
MAXSIZE=0
for s in $SIZES; do [ "$s" -gt "$MAXSIZE" ] && MAXSIZE=$s; done
WANT=$MAXSIZE
[ "$WANT" -lt 1000 ] && WANT=1000

# fdrelay hold, asked to hold the largest size.
"$FDRELAY" hold --version >/dev/null 2>&1 || die "this fdrelay has no hold command"
timeout "$BOUND" "$FDRELAY" hold --max-fds="$WANT" --ready-fd=3 "$T/hold.sock" \
    3>"$T/hold.ready" </dev/null >/dev/null 2>"$T/hold.err" &
HT=$!
KPIDS="$KPIDS $HT"
wait_ready "$T/hold.ready" || die "fdrelay hold did not start: $(tail -n 3 "$T/hold.err")"
HP=$(pid_of_child "$HT")
[ -n "$HP" ] || die "fdrelay hold is gone: $(tail -n 3 "$T/hold.err")"
RSS_START=$(rss "$HP")

# s6-fdholder-daemon, with a rules directory letting this uid store,
# retrieve and list every identifier.
S6=no
if have s6-fdholder-daemon && have s6-fdholder-store && have s6-fdholder-retrieve && have s6-fdholder-list; then
	me=$(id -u)
	mkdir -p "$T/rules/uid/$me/env"
	: >"$T/rules/uid/$me/allow"
	echo '^' >"$T/rules/uid/$me/env/S6_FDHOLDER_STORE_REGEX"
	echo '^' >"$T/rules/uid/$me/env/S6_FDHOLDER_RETRIEVE_REGEX"
	echo 1 >"$T/rules/uid/$me/env/S6_FDHOLDER_LIST"
	[ "$S6MAX" -gt "$REACH" ] && S6MAX=$REACH
	S6N=$S6MAX
	[ "$S6N" -lt 1000 ] && S6N=1000
	# s6-fdholder-daemon execs s6-ipcserver-socketbinder, which binds the
	# socket and execs s6-fdholderd: one process, timeout(1)'s child.
	# It needs a soft RLIMIT_NOFILE above its -n, and does not raise it.
	(
		# shellcheck disable=SC3045 # as above
		ulimit -Sn "$HARD" 2>/dev/null
		exec timeout "$BOUND" s6-fdholder-daemon -1 -n "$S6N" -i "$T/rules" "$T/s6.sock"
	) </dev/null >"$T/s6.ready" 2>"$T/s6.err" &
	ST=$!
	KPIDS="$KPIDS $ST"
	if wait_ready "$T/s6.ready"; then
		SP=$(pid_of_child "$ST")
		[ -n "$SP" ] && S6=yes
		S6_RSS_START=$(rss "$SP")
	fi
	[ "$S6" = yes ] || echo "(s6-fdholder-daemon did not start: $(tail -n 1 "$T/s6.err"); no comparison)"
fi

# ---- 1. Round trips ------------------------------------------------------------

# Once, before timing: the descriptor arrives where each says it does.
ok_fd=NO
if "$FDRELAY" store "$T/hold.sock" "$FILE" -n rt </dev/null >/dev/null 2>"$T/check.err"; then
	# shellcheck disable=SC2016 # the inner shell's
	got=$("$FDRELAY" fetch -x "$T/hold.sock" rt -- sh -c \
	    'printf "%s %s " "$LISTEN_FDS" "$LISTEN_FDNAMES"; readlink /proc/self/fd/3; cat <&3' \
	    </dev/null 2>>"$T/check.err")
	want="1 rt $FILE
held by the benchmark"
	[ "$got" = "$want" ] && ok_fd=yes
fi
[ "$ok_fd" = yes ] || die "fdrelay store + fetch did not pass the descriptor: got '${got:-}' $(head -n 2 "$T/check.err")"
ok_s6=-
if [ "$S6" = yes ]; then
	ok_s6=NO
	if s6-fdholder-store "$T/s6.sock" rt <"$FILE" 2>"$T/check.err"; then
		got=$(s6-fdholder-retrieve -D "$T/s6.sock" rt sh -c 'readlink /proc/self/fd/0; cat' \
		    </dev/null 2>>"$T/check.err")
		want="$FILE
held by the benchmark"
		[ "$got" = "$want" ] && ok_s6=yes
	fi
	[ "$ok_s6" = yes ] || die "s6-fdholder-store + retrieve did not pass the descriptor: got '${got:-}' $(head -n 2 "$T/check.err")"
fi

# times_us FILE0 FILE1: the CPU time (user + system, of the shell and its
# children) between two outputs of the times builtin, in microseconds.
times_us() {
	cat "$1" "$2" | awk '{ for (i = 1; i <= NF; i++) { split($i, p, "m"); v = p[1] * 60 + p[2]; t += NR <= 2 ? -v : v } }
	    END { printf "%.0f\n", t * 1e6 }'
}

# rt KIND COUNT: COUNT round trips of KIND; prints the nanoseconds they
# took, how many failed, and the CPU time of this shell and the clients,
# in microseconds.
rt() {
	k=$1
	c=$2
	f=0
	j=0
	times >"$T/times0"
	t0=$(now)
	case $k in
	floor)
		while [ "$j" -lt "$c" ]; do
			"$TRUE" >/dev/null || f=$((f + 1))
			"$TRUE" >/dev/null || f=$((f + 1))
			j=$((j + 1))
		done
		;;
	fdrelay)
		while [ "$j" -lt "$c" ]; do
			"$FDRELAY" store "$T/hold.sock" "$FILE" -n rt >/dev/null || f=$((f + 1))
			"$FDRELAY" fetch -x "$T/hold.sock" rt -- "$TRUE" >/dev/null || f=$((f + 1))
			j=$((j + 1))
		done
		;;
	fdrelay2)
		while [ "$j" -lt "$c" ]; do
			"$FDRELAY" store "$T/hold.sock" "$FILE" -n rt >/dev/null || f=$((f + 1))
			"$FDRELAY" fetch -x "$T/hold.sock" rt >/dev/null || f=$((f + 1))
			j=$((j + 1))
		done
		;;
	s6)
		while [ "$j" -lt "$c" ]; do
			s6-fdholder-store "$T/s6.sock" rt <"$FILE" >/dev/null || f=$((f + 1))
			s6-fdholder-retrieve -D "$T/s6.sock" rt "$TRUE" >/dev/null || f=$((f + 1))
			j=$((j + 1))
		done
		;;
	esac
	t1=$(now)
	times >"$T/times1"
	echo "$((t1 - t0)) $f $(times_us "$T/times0" "$T/times1")"
}

kinds="floor fdrelay fdrelay2"
[ "$S6" = yes ] && kinds="$kinds s6"
for k in $kinds; do : >"$T/rt.$k"; done
r=0
done_n=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	c=$((N * r / ROUNDS - done_n))
	done_n=$((done_n + c))
	[ "$c" -gt 0 ] || continue
	for k in $kinds; do
		case $k in
		fdrelay | fdrelay2) dp=$HP ;;
		s6) dp=$SP ;;
		*) dp= ;;
		esac
		d0=$(cpu_us "$dp")
		x=$(rt "$k" "$c" </dev/null 2>>"$T/rt.err")
		echo "$c $x $(($(cpu_us "$dp") - d0))" >>"$T/rt.$k"
	done
done

# rate FILE: round trips per second over all rounds; the slowest and
# fastest round's.
rate() {
	awk '{ n += $1; ns += $2; r = $1 * 1e9 / $2; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r }
	    END { if (ns > 0) printf "%.0f %.0f %.0f\n", n * 1e9 / ns, lo, hi; else print "fail - -" }' "$1"
}
failed() {
	awk '{ f += $3 } END { print f + 0 }' "$1"
}
# cpu FILE: CPU microseconds per round trip, all processes; the daemon's.
cpu() {
	awk '{ n += $1; c += $4 + $5; d += $5 } END { if (n) printf "%.0f %.0f\n", c / n, d / n; else print "- -" }' "$1"
}

left_fd=$("$FDRELAY" list "$T/hold.sock" 2>/dev/null | wc -l)
RSS_ZERO=$(rss "$HP")
if [ "$S6" = yes ]; then
	left_s6=$(s6-fdholder-list "$T/s6.sock" 2>/dev/null | wc -l)
	S6_RSS_ZERO=$(rss "$SP")
fi

echo "# bench-hold: $N store + fetch round trips of each kind in $ROUNDS interleaved rounds, $(nproc) CPUs, load $(cut -d ' ' -f 1-3 /proc/loadavg)"
printf '%-74s %6s %10s %7s %9s %8s %6s\n' "round trip" "per s" "(rounds)" "x floor" "CPU us" "(daemon)" "failed"
read -r fl_rate _ <<EOF
$(rate "$T/rt.floor")
EOF
for k in $kinds; do
	case $k in
	floor) what="$TRUE; $TRUE (the floor: two process starts)" ;;
	fdrelay) what="fdrelay store SOCK FILE -n rt; fdrelay fetch -x SOCK rt -- true" ;;
	fdrelay2) what="fdrelay store SOCK FILE -n rt; fdrelay fetch -x SOCK rt (no program)" ;;
	s6) what="s6-fdholder-store SOCK rt <FILE; s6-fdholder-retrieve -D SOCK rt true" ;;
	esac
	read -r all lo hi <<EOF
$(rate "$T/rt.$k")
EOF
	x=$(awk -v a="$all" -v f="$fl_rate" 'BEGIN { if (a == "fail" || f == "fail" || a == 0) print "-"; else printf "%.2f", f / a }')
	read -r c d <<EOF
$(cpu "$T/rt.$k")
EOF
	[ "$k" = floor ] && d=-
	printf '%-74s %6s %10s %7s %9s %8s %6s\n' "$what" "$all" "$lo-$hi" "$x" "$c" "$d" "$(failed "$T/rt.$k")"
	eval "rate_$k=\$all cpu_$k=\$c"
done
if [ "$S6" = yes ]; then
	# Also the ratio within each round, the two measured moments apart.
	# shellcheck disable=SC2154 # set by the eval above
	echo "fdrelay / s6, round trips per second: $(awk -v a="$rate_fdrelay" -v b="$rate_s6" \
	    'BEGIN { if (a == "fail" || b == "fail" || b == 0) print "-"; else printf "%.2f", a / b }') over all rounds;" \
	    "$(paste -d ' ' "$T/rt.fdrelay" "$T/rt.s6" | awk '{ printf "%.4f\n", $7 / $2 }' | sort -n |
	    awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		printf "median %.2f of the rounds'"'"' (%.2f-%.2f)", m, v[1], v[NR] }')"
	# shellcheck disable=SC2154 # set by the eval above
	echo "fdrelay / s6, CPU time per round trip: $(awk -v a="$cpu_fdrelay" -v b="$cpu_s6" \
	    'BEGIN { if (a !~ /^[0-9]+$/ || b !~ /^[0-9]+$/ || b == 0) print "-"; else printf "%.2f", a / b }')"
	# shellcheck disable=SC2154 # set by the eval above
	echo "fdrelay without a program / s6, round trips per second: $(awk -v a="$rate_fdrelay2" -v b="$rate_s6" \
	    'BEGIN { if (a == "fail" || b == "fail" || b == 0) print "-"; else printf "%.2f", a / b }') over all rounds" \
	    "(two process starts a round trip, as the floor; s6-fdholder-retrieve must run a program)"
fi
echo "(x floor: how many times the floor's time a round trip takes; CPU us: CPU time per round trip of the shell"
echo " and the clients (the times builtin, in clock ticks, so summed over all rounds) and of the daemon (schedstat))"
if [ "$S6" = yes ]; then s6say="; s6: $ok_s6 (fd 0 is FILE)"; else s6say=; fi
echo "descriptor arrived (checked once, before the timing): fdrelay: $ok_fd (fd 3 is FILE, LISTEN_FDS=1, LISTEN_FDNAMES=rt)$s6say"
if [ "$S6" = yes ]; then
	echo "held after the round trips: fdrelay $left_fd, s6 $left_s6 (0 expected: every fetch took)"
else
	echo "held after the round trips: fdrelay $left_fd (0 expected: every fetch took)"
	echo "(s6-fdholder-daemon, s6, not installed: no comparison)"
fi
[ -s "$T/rt.err" ] && echo "first error: $(head -n 1 "$T/rt.err")"

# ---- 2. and 3. One fetch with many held; memory ----------------------------

exec 5<>"$T/fifo"

# fill_fdrelay TO: store entries e<held+1> .. e<TO> in batches of BATCH.
# Sets held_fd; appends "size ms batch_first_ms batch_last_ms cpu_ms" to
# fill.fdrelay; a failed batch leaves held_fd short of TO.
held_fd=0
fill_fdrelay() {
	to=$1
	from=$held_fd
	c0=$(cpu_ms "$HP")
	t0=$(now)
	first=
	last=
	while [ "$held_fd" -lt "$to" ]; do
		b=$((held_fd + BATCH))
		[ "$b" -gt "$to" ] && b=$to
		# shellcheck disable=SC2046 # one word per option, none with spaces
		set -- $(awk -v a="$((held_fd + 1))" -v b="$b" 'BEGIN { for (i = a; i <= b; i++) printf "-d5 -ne%d ", i }')
		b0=$(now)
		if ! "$FDRELAY" store "$T/hold.sock" "$@" </dev/null >/dev/null 2>>"$T/fill.err"; then
			break
		fi
		b1=$(now)
		[ -n "$first" ] || first=$((b1 - b0))
		last=$((b1 - b0))
		held_fd=$b
	done
	t1=$(now)
	c1=$(cpu_ms "$HP")
	echo "$to $((held_fd - from)) $((t1 - t0)) ${first:-0} ${last:-0} $((c1 - c0))" >>"$T/fill.fdrelay"
}

held_s6=0
fill_s6() {
	while [ "$held_s6" -lt "$1" ]; do
		s6-fdholder-store -d 5 "$T/s6.sock" "e$((held_s6 + 1))" </dev/null 2>>"$T/fill.err" || break
		held_s6=$((held_s6 + 1))
	done
}

# one KIND SIZE I: nanoseconds of one run, or "fail".
one() {
	nm=e$((($3 * 7919) % $2 + 1))
	t0=$(now)
	case $1 in
	floor) "$TRUE" ;;
	fdrelay) "$FDRELAY" fetch "$T/hold.sock" "$nm" ;;
	s6) s6-fdholder-retrieve "$T/s6.sock" "$nm" "$TRUE" ;;
	esac >/dev/null 2>>"$T/fetch.err"
	st=$?
	t1=$(now)
	if [ "$st" -ne 0 ]; then echo fail; else echo $((t1 - t0)); fi
}

: >"$T/fill.fdrelay"
: >"$T/sizes"
skipped=
# shellcheck disable=SC2086 # SIZES: a list
for s in $(printf '%s\n' $SIZES "$REACH" | sort -n -u); do
	if [ "$s" -gt "$REACH" ]; then
		skipped="$skipped $s"
		continue
	fi
	# The largest the limit allows, only in place of a size it does not.
	# shellcheck disable=SC2086 # SIZES: a list
	if [ "$s" -eq "$REACH" ] && ! printf '%s\n' $SIZES | grep -qx "$REACH"; then
		[ "$MAXSIZE" -gt "$REACH" ] || continue
	fi
	fill_fdrelay "$s"
	if [ "$held_fd" -ne "$s" ]; then
		echo "$s fdrelay-short" >>"$T/sizes"
		break
	fi
	kinds="floor fdrelay"
	if [ "$S6" = yes ] && [ "$s" -le "$S6MAX" ]; then
		fill_s6 "$s"
		[ "$held_s6" -eq "$s" ] && kinds="$kinds s6"
	fi
	# Check once that a fetch fetches (and the count), then time.
	l0=$(now)
	n_list=$("$FDRELAY" list "$T/hold.sock" 2>/dev/null | wc -l)
	l1=$(now)
	v=$("$FDRELAY" fetch "$T/hold.sock" "e$s" 2>&1 | head -n 1)
	case $v in
	*"fetched 1 descriptor"*) ok=yes ;;
	*) ok="NO: $v" ;;
	esac
	for k in $kinds; do : >"$T/f.$k"; done
	# Each daemon works only in its own kind's runs: its CPU time over
	# the loop, divided by the runs, is its time per fetch.
	hc0=$(cpu_us "$HP")
	[ "$S6" = yes ] && sc0=$(cpu_us "$SP")
	i=0
	while [ "$i" -lt "$FN" ]; do
		i=$((i + 1))
		for k in $kinds; do one "$k" "$s" "$i" >>"$T/f.$k"; done
	done
	hcpu=$((($(cpu_us "$HP") - hc0) / FN))
	m_fl=$(medmin "$T/f.floor")
	m_fd=$(medmin "$T/f.fdrelay")
	if [ -s "$T/f.s6" ]; then
		m_s6=$(medmin "$T/f.s6")
		r6=$(rss "$SP")
		scpu=$((($(cpu_us "$SP") - sc0) / FN))
	else
		m_s6=-
		r6=-
		scpu=-
	fi
	fails=$(cat "$T"/f.* | grep -c fail)
	echo "$s $n_list $((l1 - l0)) $m_fl $m_fd $m_s6 $(rss "$HP") $r6 $hcpu $scpu $fails $ok" >>"$T/sizes"
	rm -f "$T/f.s6"
done

echo
echo "# one fetch of a name with N held under distinct names: median (minimum) of $FN interleaved runs, us;" \
    "each timed with date +%s%N before and after, so each includes a process start: /bin/true is the floor;" \
    "daemon: the holder's CPU time per fetch, us"
printf '%7s %13s %24s %12s %7s %34s %12s %7s %6s %s\n' "held" "/bin/true" "fdrelay fetch SOCK NAME" "- floor" "daemon" \
    "s6-fdholder-retrieve SOCK ID true" "- floor" "daemon" "failed" "fetched"
while read -r s n _ m_fl m_fd m_s6 _ _ hcpu scpu fails ok; do
	case $n in
	fdrelay-short)
		printf '%7s  not reached: a store failed with %s held: %s\n' "$s" "$held_fd" "$(tail -n 1 "$T/fill.err")"
		continue
		;;
	esac
	printf '%7s %13s %24s %12s %7s %34s %12s %7s %6s %s\n' "$s" "$(us "$m_fl")" "$(us "$m_fd")" "$(us "$m_fd" "$m_fl")" "$hcpu" \
	    "$(us "$m_s6")" "$(us "$m_s6" "$m_fl")" "$scpu" "$fails" "$ok"
done <"$T/sizes"
for s in $skipped; do
	printf '%7s  skipped: holding it needs RLIMIT_NOFILE >= %s (N, and 320 the holder keeps for clients);' "$s" "$((s + 384))"
	printf ' the hard limit here is %s (ulimit -Hn), so the largest size is %s\n' "$HARD" "$REACH"
done
if [ "$S6" = yes ]; then
	echo "(s6-fdholderd filled up to $S6MAX, BENCH_HOLD_S6_MAX: one s6-fdholder-store process per descriptor; '-' beyond)"
fi
if [ -s "$T/hold.err" ]; then
	echo "the holder said: $(head -n 3 "$T/hold.err")"
fi

echo
echo "# fdrelay list SOCK: one run at each size, ms (it describes every held descriptor)"
printf '%8s %8s %10s %12s\n' "held" "lines" "ms" "us per line"
while read -r s n ns _; do
	[ "$n" = fdrelay-short ] && continue
	printf '%8s %8s %10s %12s\n' "$s" "$n" "$(awk -v n="$ns" 'BEGIN { printf "%.1f", n / 1e6 }')" \
	    "$(awk -v n="$ns" -v c="$n" 'BEGIN { if (c > 0) printf "%.1f", n / 1e3 / c; else print "-" }')"
done <"$T/sizes"

echo
echo "# filling the holder: fdrelay store of $BATCH descriptors per call (-d5 -neK ...)"
printf '%8s %8s %10s %12s %16s %16s %16s\n' "to" "stored" "ms" "us per fd" "first call ms" "last call ms" "holder CPU ms"
while read -r to nst ns first last cpu; do
	printf '%8s %8s %10s %12s %16s %16s %16s\n' "$to" "$nst" "$(awk -v n="$ns" 'BEGIN { printf "%.0f", n / 1e6 }')" \
	    "$(awk -v n="$ns" -v c="$nst" 'BEGIN { if (c > 0) printf "%.1f", n / 1e3 / c; else print "-" }')" \
	    "$(awk -v n="$first" 'BEGIN { printf "%.1f", n / 1e6 }')" \
	    "$(awk -v n="$last" 'BEGIN { printf "%.1f", n / 1e6 }')" "$cpu"
done <"$T/fill.fdrelay"

echo
echo "# memory: VmRSS of the holder, KiB; bytes per held descriptor over the RSS with none held (after the round trips)"
printf '%-12s %14s %12s %22s %12s\n' "held" "fdrelay hold" "bytes/held" "s6-fdholderd -n ${S6N:-}" "bytes/held"
if [ "$S6" = yes ]; then s6a=$S6_RSS_START; s6z=$S6_RSS_ZERO; else s6a=-; s6z=-; fi
printf '%-12s %14s %12s %22s %12s\n' "0, started" "$RSS_START" "-" "$s6a" "-"
printf '%-12s %14s %12s %22s %12s\n' "0, after 1." "$RSS_ZERO" "-" "$s6z" "-"
# per RSS ZERO SIZE: bytes per held descriptor, from 1,000 held.
per() {
	awk -v a="$1" -v z="$2" -v s="$3" 'BEGIN { if (s >= 1000 && a ~ /^[0-9]+$/ && z ~ /^[0-9]+$/) printf "%.0f", (a - z) * 1024 / s; else print "-" }'
}
while read -r s n _ _ _ _ r r6 _ _; do
	[ "$n" = fdrelay-short ] && continue
	printf '%-12s %14s %12s %22s %12s\n' "$s" "$r" "$(per "$r" "$RSS_ZERO" "$s")" "$r6" "$(per "$r6" "$s6z" "$s")"
done <"$T/sizes"
echo "(RSS grows by whole pages: bytes/held only from 1,000 held)"

# Stopping the holder with everything held: SIGTERM closes it all.
t0=$(now)
kill -TERM "$HP" 2>/dev/null
wait "$HT"
st=$?
t1=$(now)
KPIDS=$(echo "$KPIDS" | sed "s/ $HT\$//; s/ $HT / /")
echo
echo "fdrelay hold stopped by SIGTERM with $held_fd held: status $st, in $(awk -v n="$((t1 - t0))" 'BEGIN { printf "%.1f", n / 1e6 }') ms;" \
    "socket file left: $([ -e "$T/hold.sock" ] && echo YES || echo no)"
