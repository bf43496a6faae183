#!/bin/sh
# bench-exec.sh - time from launching a socket activator to its program's
# start: fdrelay exec -l tcp:... against systemd-socket-activate -l ...,
# and a bare start of the same program as the floor, side by side.
#
# Usage: bench-exec.sh   (FDRELAY: the binary, default ./src/fdrelay)
# Environment: BENCH_EXEC_N  runs of each, interleaved (default 40)
#
# The program is date +%s%N: it prints when it started, and the launcher
# noted the time just before launching, so the difference is the time to
# the program's start, measured the same way for all three.
# systemd-socket-activate starts its program only when a first connection
# arrives, so its runs include one TCP connect, made as soon as the port
# accepts (a bash /dev/tcp loop): what starting a program with it takes.

set -u

N=${BENCH_EXEC_N:-40}
: "${FDRELAY:=./src/fdrelay}"
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-exec.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

have() { command -v "$1" >/dev/null 2>&1; }

# A free port on 127.0.0.1: bind port 0 through fdrelay itself.
free_port() {
	"$FDRELAY" exec -v -l tcp:127.0.0.1:0 -- true 2>&1 | sed -n 's/.*listening on 127\.0\.0\.1://p'
}

# one KIND: nanoseconds from launch to the program's start, or "fail".
one() {
	case $1 in
	floor)
		t0=$(date +%s%N)
		t1=$(date +%s%N)
		;;
	fdrelay)
		t0=$(date +%s%N)
		t1=$("$FDRELAY" exec -l tcp:127.0.0.1:0 -n http -- date +%s%N)
		;;
	ssa)
		port=$(free_port)
		t0=$(date +%s%N)
		timeout 10 systemd-socket-activate -l "127.0.0.1:$port" --fdname=http date +%s%N \
		    >"$T/ssa.out" 2>/dev/null &
		# shellcheck disable=SC2016 # the inner bash's
		timeout 10 bash -c 'until : 3<>"/dev/tcp/127.0.0.1/$1"; do :; done 2>/dev/null' _ "$port"
		wait $!
		t1=$(cat "$T/ssa.out")
		;;
	esac
	case $t0$t1 in
	'' | *[!0-9]*) echo fail ;;
	*) echo $((t1 - t0)) ;;
	esac
}

median() {
	grep -v fail "$1" | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.0f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "fail" }'
}

kinds="floor fdrelay"
if have systemd-socket-activate && have bash; then
	kinds="$kinds ssa"
fi
for k in $kinds; do : >"$T/$k"; done
i=0
while [ "$i" -lt "$N" ]; do
	for k in $kinds; do
		one "$k" >>"$T/$k"
	done
	i=$((i + 1))
done

echo "# bench-exec: time from launch to the program's start, median of $N interleaved runs"
printf '%-62s %10s %8s\n' "launcher" "us" "x floor"
fl=$(median "$T/floor")
for k in $kinds; do
	m=$(median "$T/$k")
	case $k in
	floor) what="date +%s%N alone (the floor)" ;;
	fdrelay) what="fdrelay exec -l tcp:127.0.0.1:0 -n http -- date +%s%N" ;;
	ssa) what="systemd-socket-activate -l 127.0.0.1:PORT ... (+1 connect)" ;;
	esac
	printf '%-62s %10s %8s\n' "$what" \
	    "$(awk -v m="$m" 'BEGIN { if (m == "fail") print "fail"; else printf "%.0f", m / 1000 }')" \
	    "$(awk -v m="$m" -v f="$fl" 'BEGIN { if (m == "fail" || f == "fail" || f == 0) print "-"; else printf "%.2f", m / f }')"
done
have systemd-socket-activate || echo "(systemd-socket-activate not installed: no comparison)"
