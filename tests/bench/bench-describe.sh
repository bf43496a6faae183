#!/bin/sh
# bench-describe.sh - time of fdrelay describe --pid on a process holding
# 1,000 unix sockets, on a machine brought to at least 1,000 processes,
# side by side with lsfd -p PID and ss -xp in the same run.
#
# Usage: bench-describe.sh   (FDRELAY: the binary, default ./src/fdrelay)
# Environment: BENCH_DESCRIBE_N      runs of each, interleaved (default 20)
#              BENCH_DESCRIBE_PROCS  processes the machine is brought to
#                                    (default 1000)
#              PYTHON3               the Python 3 that sets up the scene
#                                    (default python3)
#
# The scene: one Python process (PID) holds 1,000 unix sockets: 500 ends
# of socketpairs whose other ends a second process (the helper) holds, so
# that each peer must be found in another process; 498 ends of 249
# datagram socketpairs it holds both ends of; two listeners (stream and
# seqpacket) with 4 connections each pending, made by the helper.  The
# helper has queued 100 bytes on every 10th of the 500 and a descriptor in
# flight on every 50th.  Idle processes (sleep 3600, forked by a Python
# that kills and reaps them when stopped) bring the machine to
# BENCH_DESCRIBE_PROCS processes.
# Every process started here dies with the script: killed on exit and on
# ^C, and (PR_SET_PDEATHSIG) when the script itself is killed.
#
# Each run is timed with date +%s%N before and after, the same for every
# tool; "true" is the floor of that method (fork and exec of a program
# that does nothing, and the two dates).  Each tool prints to /dev/null;
# the lines it prints are counted once, apart.

set -u

N=${BENCH_DESCRIBE_N:-20}
PROCS=${BENCH_DESCRIBE_PROCS:-1000}
: "${FDRELAY:=./src/fdrelay}"
: "${PYTHON3:=python3}"
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-describe.XXXXXX") || exit 1
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

die() {
	echo "bench-describe: $*" >&2
	exit 1
}

have() {
	command -v "$1" >/dev/null 2>&1
}

case $N in
'' | *[!0-9]* | 0) die "BENCH_DESCRIBE_N must be a positive number" ;;
esac
case $PROCS in
'' | *[!0-9]*) die "BENCH_DESCRIBE_PROCS must be a number" ;;
esac
"$FDRELAY" --version >/dev/null 2>&1 || die "no fdrelay at '$FDRELAY' (set FDRELAY)"
have "$PYTHON3" || die "no Python 3 at '$PYTHON3' (set PYTHON3)"

cat >"$T/scene.py" <<'EOF'
import ctypes, os, resource, signal, socket, sys, time

libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """SIGKILL when the parent dies (PR_SET_PDEATHSIG); exit if it already has."""
    parent = os.getppid()
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def raise_limit(which, want):
    soft, hard = resource.getrlimit(which)
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(which, (new, hard))


def ready(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(path + ".tmp", path)


def scene(ready_path, dir_):
    raise_limit(resource.RLIMIT_NOFILE, 4096)
    AF = socket.AF_UNIX
    listeners = []
    for name, kind in (("stream.sock", socket.SOCK_STREAM), ("seqpacket.sock", socket.SOCK_SEQPACKET)):
        s = socket.socket(AF, kind)
        s.bind(os.path.join(dir_, name))
        s.listen(64)
        listeners.append((s, kind))
    shared = [socket.socketpair(AF, socket.SOCK_STREAM) for _ in range(500)]
    own = [socket.socketpair(AF, socket.SOCK_DGRAM) for _ in range(249)]
    sync_r, sync_w = os.pipe()        # the helper says it is ready
    life_r, life_w = os.pipe()        # EOF to the helper when this process dies
    helper = os.fork()
    if helper == 0:
        os.close(sync_r)
        os.close(life_w)
        for a, _ in shared:
            a.close()
        for a, b in own:
            a.close()
            b.close()
        pending = []
        for s, kind in listeners:
            path = s.getsockname()
            s.close()
            for _ in range(4):
                c = socket.socket(AF, kind)
                c.connect(path)
                pending.append(c)
        r, w = os.pipe()
        for i, (_, b) in enumerate(shared):
            if i % 10 == 0:
                b.send(b"x" * 100)
            if i % 50 == 0:
                socket.send_fds(b, [b"f"], [r])
        os.close(r)
        os.close(w)
        os.write(sync_w, b"k")
        os.close(sync_w)
        while os.read(life_r, 1):
            pass
        os._exit(0)
    os.close(sync_w)
    os.close(life_r)
    for _, b in shared:
        b.close()
    if os.read(sync_r, 1) != b"k":
        sys.exit("helper failed")
    os.close(sync_r)
    ready(ready_path, "%d %d" % (os.getpid(), helper))
    while True:
        signal.pause()


def filler(ready_path, n):
    raise_limit(resource.RLIMIT_NPROC, 1 << 20)
    kids = []

    def stop(*_):
        # Gone before this process is: the next run counts processes.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            die_with_parent()
            try:
                os.execv("/bin/sleep", ["sleep", "3600"])
            finally:
                os._exit(127)
        kids.append(pid)
    ready(ready_path, "%d" % n)
    while True:
        signal.pause()


die_with_parent()
if sys.argv[1] == "scene":
    scene(sys.argv[2], sys.argv[3])
else:
    filler(sys.argv[2], int(sys.argv[3]))
EOF

# wait_ready FILE: until FILE exists (30 s); prints it.
wait_ready() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 3000 ] && die "scene not ready ($1; see $T/*.err)"
		sleep 0.01
	done
	cat "$1"
}

nprocs() {
	set -- /proc/[0-9]*
	echo $#
}

# The scene: PID with its 1,000 sockets, and the helper.
"$PYTHON3" "$T/scene.py" scene "$T/scene.ready" "$T" </dev/null >/dev/null 2>"$T/scene.err" &
KPIDS="$KPIDS $!"
read -r PID HELPER <<EOF
$(wait_ready "$T/scene.ready")
EOF
case ${PID:-}${HELPER:-} in
'' | *[!0-9]*) die "the scene did not start: $(tail -n 3 "$T/scene.err")" ;;
esac
nsock=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' 2>/dev/null | wc -l)

# Idle processes up to PROCS, with a margin for this script's own; again
# if others' processes (a previous run's?) went away meanwhile.
f=0
while [ "$f" -lt 3 ] && [ "$(nprocs)" -lt "$((PROCS + 5))" ]; do
	f=$((f + 1))
	"$PYTHON3" "$T/scene.py" filler "$T/filler$f.ready" "$((PROCS + 10 - $(nprocs)))" \
	    </dev/null >/dev/null 2>"$T/filler$f.err" &
	KPIDS="$KPIDS $!"
	wait_ready "$T/filler$f.ready" >/dev/null
	sleep 0.2
done

# The floor: a program that does nothing, run as the tools are.
if [ -x /bin/true ]; then TRUE=/bin/true; else TRUE=/usr/bin/true; fi

kinds="floor text json"
if have lsfd && lsfd -p "$PID" >/dev/null 2>&1; then
	kinds="$kinds lsfd"
	LSFD=yes
else
	LSFD=no
fi
if have ss && ss -xp >/dev/null 2>&1; then
	kinds="$kinds ss"
	SS=yes
else
	SS=no
fi

# run KIND: the command of KIND, output to stdout.
run() {
	case $1 in
	floor) "$TRUE" ;;
	text) "$FDRELAY" describe --pid "$PID" ;;
	json) "$FDRELAY" describe --json --pid "$PID" ;;
	lsfd) lsfd -p "$PID" ;;
	ss) ss -xp ;;
	esac
}

# The work each does, once: its lines, and what its output says of the peers.
for k in $kinds; do
	run "$k" >"$T/$k.out" 2>"$T/$k.err"
	echo "$?" >"$T/$k.status"
	: >"$T/$k"
done

# one KIND: nanoseconds of one run of KIND, or "fail".
one() {
	t0=$(date +%s%N)
	run "$1" >/dev/null 2>&1
	st=$?
	t1=$(date +%s%N)
	if [ "$st" -ne 0 ]; then
		echo fail
		return
	fi
	case $t0$t1 in
	'' | *[!0-9]*) echo fail ;;
	*) echo $((t1 - t0)) ;;
	esac
}

i=0
while [ "$i" -lt "$N" ]; do
	for k in $kinds; do
		one "$k" >>"$T/$k"
	done
	i=$((i + 1))
done
procs=$(nprocs)
fds=$(find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)

# ms FILE median|min: of the samples in FILE, in milliseconds, or "fail".
ms() {
	grep -v fail "$1" | sort -n | awk -v what="$2" '{ v[NR] = $1 }
	    END {
		if (!NR) { print "fail"; exit }
		if (what == "min") m = v[1]
		else m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f\n", m / 1e6
	    }'
}

echo "# bench-describe: describe --pid of a process with $nsock unix sockets (500 peers in another process)," \
    "$procs processes and $fds descriptors on the machine, $N interleaved runs each, $(nproc) CPUs"
printf '%-34s %10s %8s %7s %s\n' "tool" "median ms" "min ms" "lines" "failed"
for k in $kinds; do
	case $k in
	floor) what="$TRUE (the timer's floor)" ;;
	text) what="fdrelay describe --pid PID" ;;
	json) what="fdrelay describe --json --pid PID" ;;
	lsfd) what="lsfd -p PID" ;;
	ss) what="ss -xp" ;;
	esac
	failed=$(grep -c fail "$T/$k")
	[ "$(cat "$T/$k.status")" -ne 0 ] && failed="$failed (status $(cat "$T/$k.status"): $(head -n 1 "$T/$k.err"))"
	printf '%-34s %10s %8s %7s %s\n' "$what" "$(ms "$T/$k" median)" "$(ms "$T/$k" min)" \
	    "$(wc -l <"$T/$k.out" | tr -d ' ')" "$failed"
done
[ "$LSFD" = yes ] || echo "(lsfd with -p, util-linux 2.38 or later, not installed: skipped)"
[ "$SS" = yes ] || echo "(ss, iproute2, not installed: skipped)"

# Whether the figures are of real work: the helper named as the peers' holder.
echo
n=$(grep -c "peer held by pid $HELPER " "$T/text.out")
if [ "$n" -gt 0 ]; then v=yes; else v=NO; fi
echo "fdrelay describe --pid named the helper (pid $HELPER) as a peer's holder: $v, on $n sockets (500 expected)"
n=$(grep -c "\"peer_holders\":\[{\"pid\":$HELPER," "$T/json.out")
echo "fdrelay describe --json --pid: peer_holders naming pid $HELPER on $n sockets"
n=$(grep -c 'pending [1-9]' "$T/text.out")
echo "fdrelay describe --pid: listeners with pending connections: $n (2 expected)"
if [ "$LSFD" = yes ]; then
	n=$(grep -cw "$HELPER" "$T/lsfd.out")
	echo "lsfd -p PID: lines naming pid $HELPER: $n ($(lsfd --version 2>&1 | head -n 1))"
fi
if [ "$SS" = yes ]; then
	n=$(grep -c "pid=$HELPER," "$T/ss.out")
	echo "ss -xp: lines naming pid $HELPER: $n (its own sockets; the peer inode column links them to PID's)"
fi
