#!/bin/sh
# cli-describe.sh - fdrelay describe: what it says of each kind of descriptor.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PY=${PYTHON3:-python3}
if ! "$PY" -c 'import os; os.eventfd, os.pidfd_open, os.memfd_create' 2>/dev/null; then
	PY=
fi

# py CODE [DESCRIBE-OPTION...]: runs CODE in python3 with run(fds) defined,
# which moves those descriptors to 3, 4, ... (whatever the test harness
# left open there) and execs "fdrelay describe OPTIONS 3 4 ..." (the
# process keeps its pid, so a pidfd of itself or a socket's peer is the
# describing process).  Output in $out, $err, $st as with run.
PY_PRE='import os, sys, socket, select, ctypes, signal, fcntl
F, T, OPTS = sys.argv[1], sys.argv[2], sys.argv[3:]
libc = ctypes.CDLL(None, use_errno=True)
def run(fds):
    high = [fcntl.fcntl(f, fcntl.F_DUPFD_CLOEXEC, 100) for f in fds]
    for i, h in enumerate(high):
        os.dup2(h, 3 + i)
    sys.stdout.flush()
    os.execv(F, [F, "describe"] + OPTS + [str(3 + i) for i in range(len(fds))])
'
py() {
	_code=$1; shift
	run tmo "$PY" -c "$PY_PRE$_code" "$FDRELAY" "$T" "$@"
}

# hold CODE: runs CODE in a background python3 that then writes its pid to
# $T/held and sleeps; sets $held to that pid.
hold() {
	rm -f "$T/held" "$T/held.tmp"
	"$PY" -c "import os, sys, socket, time
T = sys.argv[1]
$1
open(T + '/held.tmp', 'w').write(str(os.getpid()))
os.rename(T + '/held.tmp', T + '/held')
time.sleep(30)" "$T" &
	_n=0
	while [ ! -s "$T/held" ] && [ "$_n" -lt 200 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	held=$(cat "$T/held" 2>/dev/null)
}

# jsonget FIELD: the FIELD of the JSON object in $out (python repr; None if absent).
jsonget() {
	printf '%s\n' "$out" | "$PY" -c 'import json, sys
print(json.loads(sys.stdin.readline()).get(sys.argv[1]))' "$1"
}

printf 'hello world\n' >"$T/a.txt"

# ---- regular files, access modes, offset ----

run sh -c 'dd bs=1 count=5 of=/dev/null <&3 2>/dev/null; exec "$FDRELAY" describe 3' 3<"$T/a.txt"
t_is "$out" "3: regular file $T/a.txt, read-only, offset 5, size 12" \
	"a file read 5 bytes into is a read-only regular file at offset 5 of size 12"

run "$FDRELAY" describe 3 3>"$T/w.txt"
t_is "$out" "3: regular file $T/w.txt, write-only, offset 0, size 0" \
	"3> gives a write-only regular file"

run "$FDRELAY" describe 3 3<>"$T/a.txt"
t_like "$out" '^3: regular file .*/a\.txt, read-write, offset 0, size 12$' \
	"3<> gives a read-write regular file"

run "$FDRELAY" describe 3 3>>"$T/a.txt"
t_like "$out" '^3: regular file .*/a\.txt, write-only, append, offset 0, size 12$' \
	"3>> gives a write-only file with the append flag"

# ---- directories, pipes, FIFOs, devices ----

run "$FDRELAY" describe 3 3<"$T"
t_is "$out" "3: directory $T, read-only" "a directory is a directory with its path"

out=$(echo x | "$FDRELAY" describe 0)
t_like "$out" '^0: pipe pipe:\[[0-9]+\], read-only$' "the read end of a shell pipe is a read-only pipe"

out=$("$FDRELAY" describe 1 | cat)
t_like "$out" '^1: pipe pipe:\[[0-9]+\], write-only$' "the write end of a shell pipe is a write-only pipe"

mkfifo "$T/fifo"
run tmo "$FDRELAY" describe 3 3<>"$T/fifo"
t_is "$out" "3: FIFO $T/fifo, read-write" "a named pipe is a FIFO with its path, not a pipe"

run "$FDRELAY" describe 3 3</dev/null
t_is "$out" "3: character device /dev/null, read-only, device 1:3" \
	"/dev/null is character device 1:3"

# ---- operands, names, errors ----

run "$FDRELAY" describe 3 7 4 3<"$T/a.txt" 4<"$T/a.txt"
t_is "$st" 1 "a descriptor that is not open makes describe exit 1"
t_is "$err" "fdrelay: describe: descriptor 7: Bad file descriptor" \
	"the message names the descriptor that is not open"
t_is "$(printf '%s\n' "$out" | cut -d: -f1 | tr '\n' ' ')" "3 4 " \
	"the other descriptors are still described, in the order given"

run "$FDRELAY" describe 3 x 3<"$T/a.txt"
t_is "$st:$out" "2:" "a descriptor operand that is not a number is a usage error, and nothing is described"
t_is "$err" "fdrelay: describe: invalid descriptor 'x'" "the message quotes the bad operand"

run "$FDRELAY" describe -- -1
t_is "$st:$err" "2:fdrelay: describe: invalid descriptor '-1'" "a negative descriptor is a usage error"

run "$FDRELAY" describe --no-such-option
t_is "$st" 2 "an unknown option is a usage error"
t_like "$err" '^fdrelay: describe: --no-such-option: ' "the message names the unknown option"

run "$FDRELAY" describe --help
t_is "$st" 0 "--help exits 0"
t_like "$out" '--pid=PID' "--help documents --pid=PID"
t_like "$out" '--json' "--help documents --json"

run "$FDRELAY" describe --version
t_like "$st:$out" '^0:fdrelay [0-9]' "--version prints the version and exits 0"

# shellcheck disable=SC2016 # $$ is the inner shell's, which exec keeps
run sh -c 'LISTEN_PID=$$ LISTEN_FDS=2 LISTEN_FDNAMES=a:b:c exec "$FDRELAY" describe 3 4 5' \
	3<"$T/a.txt" 4<"$T/a.txt" 5<"$T/a.txt"
t_is "$(printf '%s\n' "$out" | cut -d: -f1 | tr '\n' '|')" "3 a|4 b|5|" \
	"LISTEN_FDNAMES names fds 3 and 4 when LISTEN_PID is describe itself, and only LISTEN_FDS of them"

run env LISTEN_PID=1 LISTEN_FDS=1 LISTEN_FDNAMES=a "$FDRELAY" describe 3 3<"$T/a.txt"
t_like "$out" '^3: regular' "LISTEN_FDNAMES is ignored when LISTEN_PID is another process"

# ---- another process (--pid) ----

# wait_exec PID: waits until background job PID has exec'ed its program.
wait_exec() {
	_n=0
	while [ "$(readlink "/proc/$1/exe")" = "$(readlink /proc/$$/exe)" ] && [ $_n -lt 200 ]; do
		sleep 0.05; _n=$((_n + 1))
	done
}

sleep 30 3<"$T/a.txt" 4>"$T/w.txt" &
sleeper=$!
wait_exec "$sleeper"
run "$FDRELAY" describe --pid "$sleeper" 3 4
t_is "$out" "3: regular file $T/a.txt, read-only, offset 0, size 12
4: regular file $T/w.txt, write-only, offset 0, size 0" \
	"--pid describes another process's descriptors through /proc"
run "$FDRELAY" describe --pid "$sleeper" 9
t_is "$st:$err" "1:fdrelay: describe: descriptor 9 of process $sleeper: Bad file descriptor" \
	"a descriptor another process does not have is an error naming both"
run "$FDRELAY" describe -p "$sleeper"
t_like "$(printf '%s\n' "$out" | cut -d: -f1 | tr '\n' ' ')" '^0 1 2 3 4 ' \
	"--pid without operands lists all of that process's descriptors in order"
kill "$sleeper"

pid_max=$(cat /proc/sys/kernel/pid_max)
missing=$((pid_max + 1))
run "$FDRELAY" describe --pid "$missing"
t_is "$st:$err" "1:fdrelay: describe: process $missing: No such process" \
	"--pid of a process that does not exist exits 1 naming the pid"

run "$FDRELAY" describe --pid 12x
t_is "$st:$err" "2:fdrelay: describe: invalid process id '12x'" "--pid that is not a number is a usage error"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$FDRELAY" describe -p 1
	t_like "$st:$err" '^1:fdrelay: describe: descriptors of process 1: Permission denied$' \
		"another user's process that cannot be inspected is an error naming it"
else
	t_skip "needs root and setpriv" "another user's process that cannot be inspected is an error"
fi

# ---- JSON ----

mkdir "$T/q\"b\\s
n"
qfile="$T/q\"b\\s
n/f"
: >"$qfile"
run "$FDRELAY" describe -J 3 3<"$qfile"
if [ -n "$PY" ]; then
	got=$(printf '%s\n' "$out" | "$PY" -c 'import json, sys, os
d = json.loads(sys.stdin.read())
print(d["path"] == sys.argv[1])' "$qfile")
	t_is "$got" True "a path with a quote, a backslash and a newline survives JSON escaping"
	t_is "$(printf '%s\n' "$out" | wc -l)" 1 "and its JSON object is on one line"
else
	t_skip "no python3" "JSON escaping of quotes, backslashes and newlines"
	t_skip "no python3" "JSON object on one line"
fi
run "$FDRELAY" describe 3 3<"$qfile"
t_is "$out" "3: regular file $T/q\"b\\\\s\\nn/f, read-only, offset 0, size 0" \
	"the text form escapes backslashes and newlines, keeping each description on one line"

if [ -n "$PY" ]; then
	bad=$("$PY" -c 'import os, sys; p = os.fsencode(sys.argv[1]) + b"/bad\xff\xc3("; open(p, "w"); sys.stdout.write(os.fsdecode(p))' "$T")
	run "$FDRELAY" describe -J 3 3<"$bad"
	got=$(printf '%s\n' "$out" | "$PY" -c 'import json, sys
print(json.loads(sys.stdin.read())["path"].endswith("/bad\ufffd\ufffd("))')
	t_is "$got" True \
		"bytes that are not UTF-8 become U+FFFD in JSON, which stays valid"

	run "$FDRELAY" describe --json 0 3 4 5 3<"$T/a.txt" 4<"$T" 5</dev/null </dev/null
	got=$(printf '%s\n' "$out" | "$PY" -c 'import json, sys
need = {"fd", "name", "type", "path", "mode", "flags", "cloexec"}
ok = 0
for line in sys.stdin:
    d = json.loads(line)
    ok += need <= d.keys() and isinstance(d["flags"], list) and isinstance(d["cloexec"], bool)
print(ok)')
	t_is "$got" 4 "--json prints one parseable object per descriptor, each with fd, name, type, path, mode, flags and cloexec"

	# shellcheck disable=SC2016
	run sh -c 'LISTEN_PID=$$ LISTEN_FDNAMES=x exec "$FDRELAY" describe -J 3 4' 3<"$T/a.txt" 4<"$T/a.txt"
	t_is "$(printf '%s\n' "$out" | "$PY" -c 'import json, sys; print([(d["name"], d["type"], d["mode"], d["offset"], d["size"]) for d in map(json.loads, sys.stdin)])')" \
		"[('x', 'regular', 'read-only', 0, 12), (None, 'regular', 'read-only', 0, 12)]" \
		"JSON carries name (null when none), type, mode, offset and size"
else
	t_skip "no python3 >= 3.10 to parse JSON" "bytes that are not UTF-8 become U+FFFD in JSON, which stays valid"
	t_skip "no python3 >= 3.10 to parse JSON" "--json prints one parseable object per descriptor"
	t_skip "no python3 >= 3.10 to parse JSON" "JSON carries name (null when none), type, mode, offset and size"
fi

# ---- through python: anon inodes, sockets, O_PATH, close-on-exec ----

if [ -z "$PY" ]; then
	t_skip "no python3 >= 3.10" "anon inodes, sockets, O_PATH and close-on-exec"
	t_done
	exit
fi

py 'e = os.eventfd(5)
ep = select.epoll(); ep.register(e, select.EPOLLIN)
tf = libc.timerfd_create(1, 0)
m = ctypes.c_ulonglong((1 << 9) | (1 << 14)); sf = libc.signalfd(-1, ctypes.byref(m), 0)
ino = libc.inotify_init1(0); libc.inotify_add_watch(ino, T.encode(), 2)
run([e, ep.fileno(), tf, sf, ino])'
t_is "$out" "3: eventfd anon_inode:[eventfd], read-write, count 5
4: epoll anon_inode:[eventpoll], read-write, watches 1
5: timerfd anon_inode:[timerfd], read-write, clock monotonic
6: signalfd anon_inode:[signalfd], read-write, signals 10,15
7: inotify anon_inode:inotify, read-only, watches 1" \
	"eventfd (count), epoll and inotify (watches), timerfd (clock) and signalfd (signals) are told apart"

py 'print(os.getpid()); run([os.pidfd_open(os.getpid())])'
p=$(printf '%s\n' "$out" | head -n 1)
t_is "$(printf '%s\n' "$out" | sed -n 2p)" "3: pidfd anon_inode:[pidfd], read-write, pid $p" \
	"a pidfd is a pidfd with the pid it refers to"

py 'm = os.memfd_create("buf"); os.write(m, b"abcdef"); os.lseek(m, 2, 0); run([m])'
t_is "$out" "3: memfd /memfd:buf (deleted), read-write, offset 2, size 6" \
	"a memfd is a memfd with its name, offset and size"

py 'os.symlink("nowhere", T + "/lnk")
run([os.open(T, os.O_PATH), os.open(T + "/lnk", os.O_PATH | os.O_NOFOLLOW)])'
t_is "$out" "3: directory $T, path-only
4: symlink $T/lnk, path-only" "O_PATH descriptors are path-only, and one of a symlink is a symlink"

py 'l = socket.socket(socket.AF_UNIX); l.bind(T + "/s"); l.listen()
c = socket.socket(socket.AF_UNIX); c.connect(T + "/s"); a, _ = l.accept()
print(os.getpid()); run([l.fileno(), c.fileno(), a.fileno()])'
p=$(printf '%s\n' "$out" | head -n 1)
t_like "$(printf '%s\n' "$out" | sed -n 2p)" "^3: socket unix stream listening socket:\[[0-9]+\], read-write, local $T/s, pending 0 of backlog 128\$" \
	"a listening unix socket says so, with its path, pending connections and backlog"
t_like "$(printf '%s\n' "$out" | sed -n 3p)" "^4: socket unix stream connected socket:\[[0-9]+\], read-write, local unnamed, peer $T/s, peer pid $p uid $(id -u) gid $(id -g), peer held by pid $p \\([^)]*\\) fd 5\$" \
	"a connected unix socket has its addresses, its peer's credentials and who holds the peer"
t_like "$(printf '%s\n' "$out" | sed -n 4p)" "^5: socket unix stream connected .*, local $T/s, peer unnamed, peer pid $p " \
	"the accepted end is connected too, named by the listener's path"

py 'd = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); d.bind("\0fdr-abs-%d" % os.getpid())
print(os.getpid()); run([d.fileno()])' -J
p=$(printf '%s\n' "$out" | head -n 1)
out=$(printf '%s\n' "$out" | sed -n 2p)
t_is "$(jsonget family) $(jsonget socktype) $(jsonget state) $(jsonget local)" "unix seqpacket unconnected @fdr-abs-$p" \
	"an abstract seqpacket socket is unconnected with local address @NAME in JSON"

py 'l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
c = socket.socket(); c.connect(l.getsockname())
print(l.getsockname()[1]); run([l.fileno(), c.fileno()])'
port=$(printf '%s\n' "$out" | head -n 1)
t_like "$(printf '%s\n' "$out" | sed -n 2p)" "^3: socket inet stream listening socket:\[[0-9]+\], read-write, local 127\.0\.0\.1:$port\$" \
	"a listening TCP socket is inet stream listening with host:port"
t_like "$(printf '%s\n' "$out" | sed -n 3p)" "^4: socket inet stream connected .*, local 127\.0\.0\.1:[0-9]+, peer 127\.0\.0\.1:$port\$" \
	"a connected TCP socket has both addresses and no credentials"

py 'u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::1", 0)); run([u.fileno()])'
t_like "$out" '^3: socket inet6 dgram unconnected socket:\[[0-9]+\], read-write, local \[::1\]:[0-9]+$' \
	"an IPv6 UDP socket is inet6 dgram with [host]:port" 

hold 'a = open(T + "/a.txt")
b = os.open(T + "/a.txt", os.O_RDONLY | os.O_NONBLOCK); os.set_inheritable(b, True)
s1, s2 = socket.socketpair()
print(a.fileno(), b, s1.fileno(), file=open(T + "/held.fds", "w"))'
if [ -n "$held" ]; then
	read -r fa fb fs <"$T/held.fds"
	run "$FDRELAY" describe -p "$held" "$fa" "$fb" "$fs"
	t_like "$(printf '%s\n' "$out" | sed -n 1p)" "^$fa: regular file $T/a.txt, read-only, cloexec, offset 0" \
		"--pid reports close-on-exec for a descriptor that has it"
	t_like "$(printf '%s\n' "$out" | sed -n 2p)" "^$fb: regular file $T/a.txt, read-only, nonblock, offset 0" \
		"--pid reports nonblock and no cloexec for one without it"
	if [ -n "${FDRELAY_VALGRIND:-}" ]; then
		t_skip "valgrind 3.19 does not know pidfd_getfd, which copies another process's socket" \
			"--pid inspects another process's socket, peer credentials included, when allowed"
	else
		t_like "$(printf '%s\n' "$out" | sed -n 3p)" "^$fs: socket unix stream connected .*, peer unnamed, peer pid $held uid $(id -u) " \
			"--pid inspects another process's socket, peer credentials included, when allowed"
	fi
	kill "$held"
else
	t_skip "python holder did not start" "--pid close-on-exec"
	t_skip "python holder did not start" "--pid nonblock"
	t_skip "python holder did not start" "--pid socket"
fi

# shellcheck disable=SC2016
sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=held exec sleep 30' 3<"$T/a.txt" &
named=$!
wait_exec "$named"
run "$FDRELAY" describe -p "$named" 3
t_like "$out" '^3 held: regular file ' "--pid names descriptors from that process's LISTEN_FDNAMES when LISTEN_PID is it"
kill "$named" 2>/dev/null

py 'import subprocess
a = os.open(T + "/a.txt", os.O_RDONLY)
r = subprocess.run([F, "describe"] + OPTS, pass_fds=[a], close_fds=True, capture_output=True, text=True)
print(a, r.returncode, repr(r.stderr)); print(r.stdout, end="")' -J
fa=$(printf '%s\n' "$out" | head -n 1 | cut -d' ' -f1)
t_is "$(printf '%s\n' "$out" | head -n 1 | cut -d' ' -f2-)" "0 ''" \
	"without operands describe succeeds silently"
got=$(printf '%s\n' "$out" | sed 1d | "$PY" -c 'import json, sys
print(" ".join(str(json.loads(l)["fd"]) for l in sys.stdin))')
if [ -n "${FDRELAY_VALGRIND:-}" ]; then
	t_skip "valgrind's own descriptors are open in the process too" \
		"without operands describe lists exactly its open descriptors, not the one it reads /proc/self/fd with"
else
	t_is "$got" "0 1 2 $fa" "without operands describe lists exactly its open descriptors, not the one it reads /proc/self/fd with"
fi

t_done
