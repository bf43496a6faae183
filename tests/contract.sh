#!/bin/sh
# contract.sh - fdrelay's 1.0 command-line contract (the product page cli.md),
# checked black-box: one TAP line per claim of that text, written from the text
# alone. Where the contract is silent, nothing is asserted.
#
# Other uids come from setpriv(1) (tests run as root); python3 and
# systemd-socket-activate are peers that fdrelay did not write. Whatever is
# missing is a visible skip.
# shellcheck disable=SC2012,SC2016 # ls of /proc/PID/fd; sh -c and eval scripts in single quotes
# shellcheck source=tests/lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

T=$(cd "$T" && pwd -P) || exit 99
F=$FDRELAY
umask 022
chmod 711 "$T"
PUB=$T/pub
mkdir "$PUB" && chmod 1777 "$PUB"
S=$T/s
REC=$T/rec
ABS=fdrelay-contract-$$

PY=
if command -v "${PYTHON3:-python3}" >/dev/null 2>&1; then
	PY=$("${PYTHON3:-python3}" -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=
fi
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
HAVE_NOBODY=
# shellcheck disable=SC2086
[ "$(id -u)" = 0 ] && $NOBODY "$F" --version >/dev/null 2>&1 && HAVE_NOBODY=1
DEFSIG=
env --default-signal true 2>/dev/null && DEFSIG=1
SSA=$(command -v systemd-socket-activate 2>/dev/null)

# ---------------------------------------------------------------- helpers

# Bounded runs whose own status is never mistaken for fdrelay's 124.
tmop() { timeout -k 5 --preserve-status "${TMO:-30}" "$@"; }

# lines FILE: how many lines FILE has (0 when it is missing).
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# wait_file PATH [SECONDS]: waits until PATH exists.
wait_file() {
	_n=0
	while [ ! -e "$1" ]; do
		_n=$((_n + 1))
		[ "$_n" -gt $((${2:-10} * 20)) ] && return 1
		sleep 0.05
	done
}

# bg PIDFILE CMD...: runs CMD bounded, in the background, with default signal
# dispositions; $bgp is CMD's own pid, $bgt the job to wait for (timeout(1)).
bg() {
	_pf=$1
	shift
	rm -f "$_pf"
	timeout -k 5 --preserve-status "${TMO:-30}" sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0"
		if [ -n "$DEFSIG" ]; then exec env --default-signal "$@"; fi
		exec "$@"' "$_pf" "$@" &
	bgt=$!
	bgp=
	wait_file "$_pf" && bgp=$(cat "$_pf")
}
export DEFSIG

# sock_ready PID [dgram]: PID holds a unix socket that listens (dgram: is bound).
sock_ready() {
	_in=$(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	[ -n "$_in" ] || return 1
	awk -v ino=" $_in" -v dg="$2" 'NR > 1 && index(ino, " " $7 " ") && (dg != "" ? NF >= 8 : $4 == "00010000") { f = 1 } END { exit !f }' /proc/net/unix
}
# sock_types PID: the /proc/net/unix types (0001 stream, 0002 dgram, 0005 seqpacket) of PID's bound sockets.
sock_types() {
	_in=$(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	awk -v ino=" $_in" 'NR > 1 && NF >= 8 && index(ino, " " $7 " ") { print $5 }' /proc/net/unix | sort -u | tr '\n' ' '
}

# dstart SUBCOMMAND ARGS...: a bounded fdrelay in the background, run through
# $LPRE (e.g. setpriv), stdout in $T/lout, stderr in $T/lerr; $lpid is
# fdrelay's pid, $lt the job.
LPRE=
dstart() {
	# shellcheck disable=SC2086 # LPRE is a list of words
	bg "$T/lpid" $LPRE "$F" "$@" >"$T/lout" 2>"$T/lerr"
	lt=$bgt lpid=$bgp
}
# lready SOCKET [dgram]: waits until the fdrelay started last serves SOCKET.
lready() {
	_n=0
	until sock_ready "$lpid" "$2" && { case $1 in @*) true ;; *) [ -S "$1" ] ;; esac; }; do
		_n=$((_n + 1))
		if [ "$_n" -gt 200 ] || ! kill -0 "$lpid" 2>/dev/null; then
			t_diag "listener not ready on $1"
			sed 's/^/# lerr: /' "$T/lerr"
			return 1
		fi
		sleep 0.05
	done
}
# lprobe [LISTEN OPTIONS...] SOCKET: a listener whose program is the probe,
# recording in $REC, exiting $PSTAT, waiting for file $PREL, writing $PWRITE to its fd 3.
PSTAT=0 PREL='' PWRITE=''
lprobe() {
	rm -f "$REC" "$REC".*
	dstart listen "$@" "$T/probe" "$REC" "$PSTAT" "$PREL" "$PWRITE"
	_last=
	for _a; do _last=$_a; done
	case " $* " in *" --dgram "*) lready "$_last" dgram ;; *) lready "$_last" ;; esac
}
# lwait: waits for the listener started last; its status in $lst.
lwait() {
	wait "$lt"
	lst=$?
}
# lstop SIGNAL: signals the listener started last and waits for it.
lstop() {
	kill "-$1" "$lpid" 2>/dev/null
	lwait
}
# pv KEY [FILE]: a value the probe recorded.
pv() { sed -n "s/^$1=//p" "${2:-$REC}" 2>/dev/null; }

# snd ARGS...: a bounded send; $st, $out, $err.
snd() { run tmop "$F" send "$@"; }
# snd_nobody ARGS...: the same as uid 65534.
snd_nobody() {
	# shellcheck disable=SC2086
	run tmop $NOBODY "$F" send "$@"
}

# t_msg REGEX DESCRIPTION: stderr of the last run has a line "fdrelay: <what>: <why>" matching REGEX.
t_msg() {
	if printf '%s\n' "$err" | grep -E '^fdrelay: .+: .' | grep -Eq -- "$1"; then
		t_report 0 "$2"
	else
		t_report 1 "$2"
		printf '%s\n' "$err" | sed 's/^/# stderr: /'
		printf '# expected a line "fdrelay: ...: ..." matching: %s\n' "$1"
	fi
}
# t_st EXPECTED DESCRIPTION: the last run exited EXPECTED.
t_st() {
	t_is "$st" "$1" "$2"
	[ "$st" = "$1" ] || printf '%s\n' "$err" | sed 's/^/# stderr: /' | head -5
}

why=
# skips DESCRIPTION...: a visible skip of each, with $why.
skips() {
	for _d; do t_skip "$why" "$_d"; done
}

# acc FLAGS: the access mode in an octal fdinfo flags word (0 r, 1 w, 2 rw).
acc() { echo $((0$1 & 3)); }
# appendf FLAGS: 1 when O_APPEND is set.
appendf() { echo $(((0$1 & 02000) != 0)); }

# The program listen runs in most tests: records what it received in $1,
# waits for file $3 if given, writes $4 to its fd 3 if given, exits $2.
cat >"$T/probe" <<'EOF'
#!/bin/sh
o=$1
( ls -l "/proc/$$/fd/" ) >"$o.ls" 2>&1
me=$(readlink -f "$0")
{
	echo "pid=$$"
	for v in LISTEN_FDS LISTEN_PID LISTEN_FDNAMES LISTEN_FOO FDRELAY_PEER_PID FDRELAY_PEER_UID FDRELAY_PEER_GID FDRELAY_MESSAGE; do
		if eval "[ \"\${$v+set}\" = set ]"; then eval "printf '%s=%s\n' $v \"\$$v\""; else echo "$v=UNSET"; fi
	done
	sed -n 's/^.* \([0-9][0-9]*\) -> \(.*\)$/\1 \2/p' "$o.ls" | sort -n | while read -r n l; do
		[ "$l" = "$me" ] && continue
		echo "fd$n=$l"
		if [ "$n" -ge 3 ] && [ "$n" -le 9 ]; then
			echo "flags$n=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$$/fdinfo/$n")"
		fi
	done
	echo "fds=$(sed -n 's/^.* \([0-9][0-9]*\) -> \(.*\)$/\1 \2/p' "$o.ls" | sort -n | while read -r n l; do [ "$l" = "$me" ] || printf '%s ' "$n"; done)"
	echo "nofile=$(ulimit -S -n)"
} >"$o.tmp"
printf '%s' "${FDRELAY_MESSAGE-}" >"$o.msg"
mv "$o.tmp" "$o"
[ -z "$4" ] || printf '%s' "$4" >&3
if [ -n "$3" ]; then
	n=0
	while [ ! -e "$3" ] && [ "$n" -lt 400 ]; do sleep 0.05; n=$((n + 1)); done
fi
exit "${2:-0}"
EOF
chmod 755 "$T/probe"

# A program that records the first of INT TERM HUP QUIT it gets and exits 70 + its index.
cat >"$T/trapper" <<'EOF'
#!/bin/sh
trap 'echo INT >"$1"; exit 71' INT
trap 'echo TERM >"$1"; exit 72' TERM
trap 'echo HUP >"$1"; exit 73' HUP
trap 'echo QUIT >"$1"; exit 74' QUIT
echo ready >"$1.ready"
n=0
while [ "$n" -lt 400 ]; do sleep 0.05; n=$((n + 1)); done
exit 9
EOF
chmod 755 "$T/trapper"

# A program that logs its start in $1 and waits (at most 20 s) for file $2.
cat >"$T/blocker" <<'EOF'
#!/bin/sh
echo "start $$" >>"$1"
n=0
while [ ! -e "$2" ] && [ "$n" -lt 100 ]; do sleep 0.2; n=$((n + 1)); done
EOF
chmod 755 "$T/blocker"

# Peers that are not fdrelay, and JSON checks.
cat >"$T/peer.py" <<'EOF'
import ctypes, json, os, signal, socket, sys, time

TYPES = {'stream': socket.SOCK_STREAM, 'seqpacket': socket.SOCK_SEQPACKET, 'dgram': socket.SOCK_DGRAM}


def addr(p):
    return '\0' + p[1:] if p.startswith('@') else p


def atomic(path, text):
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.rename(path + '.tmp', path)


def serve(typ, path):
    s = socket.socket(socket.AF_UNIX, TYPES[typ])
    s.bind(addr(path))
    s.settimeout(20)
    if typ == 'dgram':
        return s
    s.listen(8)
    c, _ = s.accept()
    c.settimeout(20)
    return c


def drain(c, limit=20):
    c.settimeout(limit)
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass


def objs(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


def leaves(o):
    if isinstance(o, dict):
        for v in o.values():
            yield from leaves(v)
    elif isinstance(o, list):
        for v in o:
            yield from leaves(v)
    else:
        yield o


def kinds(fdrelay, outdir):
    libc = ctypes.CDLL(None, use_errno=True)
    k = {}
    k['regular'] = os.open(outdir + '/regular', os.O_RDWR | os.O_CREAT)
    k['directory'] = os.open(outdir, os.O_RDONLY | os.O_DIRECTORY)
    r, w = os.pipe()
    k['pipe'] = r
    os.mkfifo(outdir + '/fifo')
    k['fifo'] = os.open(outdir + '/fifo', os.O_RDWR)
    k['chardev'] = os.open('/dev/null', os.O_RDONLY)
    k['eventfd'] = os.eventfd(0)
    k['timerfd'] = libc.timerfd_create(1, 0)
    mask = (ctypes.c_ulong * 16)()
    mask[0] = 1 << (signal.SIGUSR1 - 1)
    k['signalfd'] = libc.signalfd(-1, ctypes.byref(mask), 0)
    k['epoll'] = libc.epoll_create1(0)
    k['inotify'] = libc.inotify_init1(0)
    k['memfd'] = os.memfd_create('contract-memfd', 0)
    child = os.fork()
    if child == 0:
        time.sleep(30)
        os._exit(0)
    k['pidfd'] = os.pidfd_open(child)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    k['socketpair'] = a.fileno()
    d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    d.bind(outdir + '/dgram.sock')
    k['dgram'] = d.fileno()
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind(outdir + '/listening.sock')
    lst.listen(1)
    k['listening'] = lst.fileno()
    rp, wp = os.pipe()
    server = os.fork()
    if server == 0:
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(outdir + '/server.sock')
        srv.listen(1)
        os.write(wp, b'x')
        srv.settimeout(30)
        try:
            c, _ = srv.accept()
            time.sleep(30)
        except OSError:
            pass
        os._exit(0)
    os.read(rp, 1)
    cl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cl.connect(outdir + '/server.sock')
    k['connected'] = cl.fileno()
    atomic(outdir + '/pids', 'child=%d\nserver=%d\nself=%d\n' % (child, server, os.getpid()))
    for name, fd in k.items():
        if fd < 0:
            continue
        os.set_inheritable(fd, True)
        with open(outdir + '/' + name + '.fd', 'w') as f:
            f.write('%d\n' % fd)
        pid = os.fork()
        if pid == 0:
            out = os.open(outdir + '/' + name + '.out', os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            os.execv(fdrelay, [fdrelay, 'describe', str(fd)])
        os.waitpid(pid, 0)
    for p in (child, server):
        os.kill(p, signal.SIGKILL)
        os.waitpid(p, 0)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'rawserver':
        # rawserver TYPE PATH OUT: one message and its descriptors, as received.
        typ, path, out = args
        c = serve(typ, path)
        msg, fds, _, _ = socket.recv_fds(c, 65536, 512)
        lines = ['msg=' + msg.hex(), 'nfds=%d' % len(fds)]
        lines += ['fd%d=%s' % (i, os.readlink('/proc/self/fd/%d' % fd)) for i, fd in enumerate(fds)]
        atomic(out, '\n'.join(lines) + '\n')
    elif cmd == 'noack':
        # noack PATH: accepts one sender, reads, never answers.
        drain(serve('stream', args[0]))
    elif cmd == 'dropper':
        # dropper PATH: accepts one sender, takes one message, hangs up.
        c = serve('stream', args[0])
        try:
            socket.recv_fds(c, 65536, 512)
        except OSError:
            pass
        c.close()
    elif cmd == 'stall':
        # stall PATH: connects and sends nothing until dropped.
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(addr(args[0]))
        drain(c, 15)
    elif cmd == 'die':
        # die PATH: sends half of a frame's header, with a descriptor, and hangs up.
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(addr(args[0]))
        socket.send_fds(c, [bytes([0xFD, 1, 1, 0])], [os.open('/dev/null', os.O_RDONLY)])
        c.close()
    elif cmd == 'probe':
        # probe PATH: connects and hangs up without a byte, as a listener checking for a stale socket does.
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(addr(args[0]))
        c.close()
    elif cmd == 'garbage':
        # garbage PATH N: sends bytes that are no protocol, with N descriptors.
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(addr(args[0]))
        fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(int(args[1]))]
        try:
            socket.send_fds(c, [b'\xff\xfe not a frame \x00\x01' * 64], fds)
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        drain(c, 5)
    elif cmd == 'sendraw':
        # sendraw TYPE PATH HEXMSG FILE...: one raw message with these files.
        typ, path, msg = args[:3]
        fds = [os.open(p, os.O_RDONLY) for p in args[3:]]
        c = socket.socket(socket.AF_UNIX, TYPES[typ])
        c.connect(addr(path))
        socket.send_fds(c, [bytes.fromhex(msg)], fds)
        if typ != 'dgram':
            c.shutdown(socket.SHUT_WR)
            drain(c, 5)
    elif cmd == 'hold':
        # hold OUT FILE: holds FILE open close-on-exec and not, writes "A B".
        a = os.open(args[1], os.O_RDONLY | os.O_CLOEXEC)
        b = os.open(args[1], os.O_RDONLY)
        os.set_inheritable(b, True)
        atomic(args[0], '%d %d\n' % (a, b))
        time.sleep(20)
    elif cmd == 'kinds':
        kinds(args[0], args[1])
    elif cmd == 'json':
        # json FILE: every line is a JSON object; prints how many.
        o = objs(args[0])
        print(len(o))
        sys.exit(0 if o and all(isinstance(x, dict) for x in o) else 1)
    elif cmd == 'jhas':
        # jhas FILE VALUE...: every VALUE is a value somewhere in the objects.
        vals = set(str(v) for x in objs(args[0]) for v in leaves(x))
        missing = [a for a in args[1:] if a not in vals]
        if missing:
            print('missing: %s' % missing)
        sys.exit(1 if missing else 0)
    elif cmd == 'jdiff':
        # jdiff FILE A B: the objects of descriptors A and B differ beyond their number.
        o = objs(args[0])
        a, b = int(args[1]), int(args[2])
        for x in o:
            for y in o:
                for k in x:
                    if x.get(k) == a and y.get(k) == b and not isinstance(x[k], bool):
                        xa = {kk: vv for kk, vv in x.items() if kk != k}
                        yb = {kk: vv for kk, vv in y.items() if kk != k}
                        sys.exit(0 if xa != yb else 1)
        print('no objects for %d and %d' % (a, b))
        sys.exit(1)


main()
EOF
peer() { tmop "$PY" "$T/peer.py" "$@"; }

printf 'one\n' >"$T/f1"
printf 'two\n' >"$T/f2"
printf 'three\n' >"$T/f3"
printf 'nobody file\n' >"$PUB/nf"
chmod 644 "$PUB/nf"

# Started first, collected last: --retry gives up by itself after 10 s.
bg "$T/rdef.pid" "$F" send -R "$T/never-there" 2>"$T/rdef.err"
rdef_t=$bgt

# ---------------------------------------------------------------- everywhere

run tmop "$F"
t_st 2 "fdrelay with no argument exits 2"
t_like "$out$err" "[Uu]sage" "fdrelay with no argument prints usage"
run tmop "$F" frobnicate
t_st 2 "an unknown subcommand exits 2"
t_like "$out$err" "[Uu]sage" "an unknown subcommand prints usage"
run tmop "$F" --help
t_st 0 "--help exits 0"
t_like "$out" "[Uu]sage" "--help prints usage on stdout"
run tmop "$F" --usage
t_st 0 "--usage exits 0"
t_like "$out" "[Uu]sage" "--usage prints a usage message on stdout"
run tmop "$F" --version
t_st 0 "--version exits 0"
t_like "$out" "fdrelay.*[0-9]+\.[0-9]+" "--version prints fdrelay's name and version"

SEND_OPTS="--read --write --append --rdwr --fd --stdin --stdout --stderr --stdio --name --wait --timeout --retry --raw --message --dgram --seqpacket --verbose"
SEND_NEW_OPTS="--allow-uid --allow-gid --allow-any"
SOCK_OPTS="--keep-going --mode --allow-uid --allow-gid --allow-any --max-fds --timeout --ready-fd --inherit --raw --dgram --seqpacket --verbose"
LISTEN_OPTS="--stdio --max-children $SOCK_OPTS"
RECV_OPTS="--json $SOCK_OPTS"
DESCRIBE_OPTS="--pid --json"
# lists TEXT OPTION...: every OPTION appears in TEXT; the missing ones in $missing.
lists() {
	_txt=$1
	shift
	missing=
	for _o; do
		printf '%s\n' "$_txt" | grep -q -- "$_o\\b" || missing="$missing $_o"
	done
	[ -z "$missing" ]
}
# opts_of SUB: the options the contract's table gives SUB.
opts_of() {
	case $1 in
	send) echo "$SEND_OPTS" ;;
	listen) echo "$LISTEN_OPTS" ;;
	recv) echo "$RECV_OPTS" ;;
	describe) echo "$DESCRIBE_OPTS" ;;
	esac
}
for sub in send listen recv describe; do
	opts=$(opts_of "$sub")
	run tmop "$F" "$sub" --help
	t_st 0 "$sub --help exits 0"
	# shellcheck disable=SC2086
	lists "$out" $opts
	t_ok "$sub --help lists every option of the contract's table" [ -z "$missing" ]
	[ -z "$missing" ] || t_diag "missing:$missing"
	run tmop "$F" "$sub" --usage
	t_st 0 "$sub --usage exits 0"
done
run tmop "$F" send --help
# shellcheck disable=SC2086
lists "$out" $SEND_NEW_OPTS
t_ok "send --help lists --allow-uid, --allow-gid and --allow-any" [ -z "$missing" ]

MAN=$TOP_SRCDIR/docs/fdrelay.1
man=
if [ -f "$MAN" ]; then
	if command -v "${MANDOC:-mandoc}" >/dev/null 2>&1; then
		man=$("${MANDOC:-mandoc}" -Tascii "$MAN" 2>/dev/null | sed 's/.\x08//g')
	elif command -v groff >/dev/null 2>&1; then
		man=$(groff -mdoc -Tascii -P-c "$MAN" 2>/dev/null | sed 's/.\x08//g')
	fi
fi
if [ -n "$man" ]; then
	t_ok "the man page fdrelay(1) is there" true
	for sub in send listen recv describe; do
		# shellcheck disable=SC2046 # the options, one word each
		lists "$man" $(opts_of "$sub")
		t_ok "the man page documents every option of $sub" [ -z "$missing" ]
		[ -z "$missing" ] || t_diag "missing:$missing"
	done
	t_like "$(printf '%s\n' "$man" | tr '\n' ' ')" "abstract[^.]*datagram[^.]*(check|allow)|datagram[^.]*abstract[^.]*(check|allow)" "the man page says an abstract datagram address cannot be checked and is allowed"
elif [ -f "$MAN" ]; then
	why="neither mandoc nor groff can render $MAN" skips "the man page is there" "the man page documents send" "the man page documents listen" \
		"the man page documents recv" "the man page documents describe" "the man page on abstract datagram addresses"
else
	t_ok "the man page fdrelay(1) is there ($MAN)" false
fi

snd --frobnicate "$S"
t_st 2 "an unknown option exits 2"
t_msg "frobnicate" "the message for an unknown option names it"
snd
t_st 2 "send without SOCKET is a usage error"
run tmop "$F" listen "$S"
t_st 2 "listen without PROGRAM is a usage error"
snd -t abc "$S"
t_st 2 "a --timeout that is not a number is a usage error"
t_msg "-t|timeout|abc" "the message for a bad --timeout names the option or value"
run tmop "$F" listen -M 999 "$S" true
t_st 2 "a --mode that is not octal is a usage error"

# ---------------------------------------------------------------- sockets

lprobe "$S"
t_is "$(sock_types "$lpid")" "0001 " "listen binds a SOCK_STREAM socket by default"
snd --seqpacket "$S" "$T/f1"
t_st 1 "send --seqpacket to a stream listener fails with status 1"
snd "$S" "$T/f1"
t_st 0 "send uses SOCK_STREAM by default"
lwait
t_is "$(pv fd3)" "$T/f1" "the default stream listener still served a stream sender"

lprobe "@$ABS"
t_is "$(sock_types "$lpid")" "0001 " "listen binds @NAME in the abstract namespace"
snd "@$ABS" "$T/f1"
t_st 0 "send reaches an @NAME abstract socket"
lwait
t_is "$lst.$(pv fd3)" "0.$T/f1" "the program behind an @NAME listener gets the descriptor"
t_ok "an @NAME socket leaves no file named @NAME behind" eval '[ ! -e "@$ABS" ] && [ ! -e "$T/@$ABS" ]'

LONGD=$T/dddddddddddddddddddddddddddddddddddddddddddddddddd/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee
mkdir -p "$LONGD"
LONG=$LONGD/contract-long-socket-name-$$
t_diag "long socket path: ${#LONG} bytes"
rm -f "$REC"
dstart listen "$LONG" "$T/probe" "$REC"
n=0
while [ ! -S "$LONG" ] && kill -0 "$lpid" 2>/dev/null && [ "$n" -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
if [ -S "$LONG" ]; then
	lready "$LONG"
	t_ok "listen binds a socket path longer than sun_path" [ -S "$LONG" ]
	snd "$LONG" "$T/f1"
	t_st 0 "send connects to a socket path longer than sun_path"
	lwait
	t_is "$(pv fd3)" "$T/f1" "the descriptor crosses a socket path longer than sun_path"
	t_ok "the listener removes its long-path socket file when it is done" [ ! -e "$LONG" ]
else
	lwait
	err=$(cat "$T/lerr")
	t_ok "listen on a path longer than sun_path fails with an error" [ "$lst" -ne 0 ]
	t_msg "too long" "the message for a too-long socket path says it is too long"
	snd "$LONG" "$T/f1"
	t_msg "too long" "send to a too-long socket path says it is too long"
	t_skip "the path was refused" "the long-path socket file is removed"
fi

# ---------------------------------------------------------------- send: what it sends

printf 'old content\n' >"$T/w1"
rm -f "$T/w2" "$T/a2" "$T/u2"
printf 'abc' >"$T/a1"
printf 'keep me' >"$T/u1"
lprobe "$S"
snd "$S" "$T/f1" -r "$T/f2" --read="$T/f3" -w "$T/w1"
t_st 0 "send exits 0 once the descriptors were handed over"
lwait
t_is "$(pv fd3)" "$T/f1" "a FILE operand is opened and sent"
t_is "$(acc "$(pv flags3)")" 0 "a FILE operand is sent read-only"
t_is "$(pv fd4).$(acc "$(pv flags4)")" "$T/f2.0" "-r PATH opens PATH read-only and sends it"
t_is "$(pv fd5).$(acc "$(pv flags5)")" "$T/f3.0" "--read=PATH opens PATH read-only and sends it"
t_is "$(pv fd6).$(acc "$(pv flags6)")" "$T/w1.1" "-w PATH opens PATH write-only and sends it"
t_is "$(wc -c <"$T/w1" | tr -d ' ')" 0 "-w truncates an existing file"
t_is "$(pv LISTEN_FDNAMES)" "f1:f2:f3:w1" "default names are the files' basenames"

lprobe "$S"
(umask 027 && tmop "$F" send "$S" -w "$T/w2" >/dev/null 2>&1)
lwait
t_is "$(pv fd3)" "$T/w2" "-w creates a missing file and sends it"
t_is "$(stat -c %a "$T/w2" 2>/dev/null)" 640 "-w creates with mode 0666 & ~umask"

lprobe "$S"
snd "$S" -a "$T/a1" --append="$T/a2" -u "$T/u1" --rdwr="$T/u2"
t_st 0 "send -a/--append/-u/--rdwr exits 0"
lwait
t_is "$(appendf "$(pv flags3)").$(acc "$(pv flags3)")" "1.1" "-a opens for appending (O_APPEND, write-only)"
t_ok "--append creates a missing file" [ -f "$T/a2" ]
t_is "$(pv fd4)" "$T/a2" "--append=PATH sends PATH"
t_is "$(pv fd5).$(acc "$(pv flags5)")" "$T/u1.2" "-u opens read-write"
t_is "$(cat "$T/u1")" "keep me" "-u does not truncate"
t_is "$(pv fd6).$(acc "$(pv flags6)")" "$T/u2.2" "--rdwr creates a missing file and opens it read-write"
PWRITE=X
lprobe "$S"
PWRITE=
snd "$S" -a "$T/a1"
lwait
t_is "$(cat "$T/a1")" "abcX" "-a keeps the file's content and the program's writes append"

lprobe "$S"
snd "$S" -d 7 --fd=8 7<"$T/f1" 8<"$T/f2"
t_st 0 "send -d N exits 0"
lwait
t_is "$(pv fd3):$(pv fd4)" "$T/f1:$T/f2" "-d N and --fd=N send inherited descriptors"
t_is "$(pv LISTEN_FDNAMES)" "fd7:fd8" "an inherited descriptor's default name is fdN"
lprobe "$S"
run tmop "$F" send "$S" -d 8 8<&-
t_ok "-d N of a closed descriptor fails" [ "$st" -ne 0 ]
t_msg "(^|[^0-9A-Za-z])8([^0-9A-Za-z]|$)" "the message for a closed -d descriptor names it"
lstop TERM

lprobe "$S"
tmop "$F" send "$S" -i -o -e <"$T/f1" >"$T/o1" 2>"$T/e1"
st=$?
t_st 0 "send -i -o -e exits 0"
lwait
t_is "$(pv fd3):$(pv fd4):$(pv fd5)" "$T/f1:$T/o1:$T/e1" "-i, -o, -e send this process's 0, 1, 2"
t_is "$(pv LISTEN_FDNAMES)" "stdin:stdout:stderr" "-i, -o, -e are named stdin, stdout, stderr by default"
lprobe "$S"
tmop "$F" send "$S" --stdin --stdout --stderr <"$T/f1" >"$T/o1" 2>"$T/e1"
lwait
t_is "$(pv fd3):$(pv fd4):$(pv fd5)" "$T/f1:$T/o1:$T/e1" "--stdin, --stdout, --stderr send 0, 1, 2"
lprobe "$S"
tmop "$F" send "$S" -s <"$T/f1" >"$T/o1" 2>"$T/e1"
lwait
t_is "$(pv fd3):$(pv fd4):$(pv fd5)|$(pv LISTEN_FDNAMES)" "$T/f1:$T/o1:$T/e1|stdin:stdout:stderr" "-s sends all three, named stdin, stdout, stderr"
lprobe "$S"
tmop "$F" send "$S" --stdio <"$T/f1" >"$T/o1" 2>"$T/e1"
lwait
t_is "$(pv LISTEN_FDS)" 3 "--stdio sends all three"

lprobe "$S"
snd "$S" "$T/f1" -n alpha -r "$T/f2" --name=beta "$T/f3"
t_st 0 "send with names exits 0"
lwait
t_is "$(pv LISTEN_FDNAMES)" "alpha:beta:f3" "-n/--name names the descriptor given just before it"
t_is "$(pv fd3):$(pv fd4):$(pv fd5)" "$T/f1:$T/f2:$T/f3" "descriptors are sent in command-line order"
snd "$S" -n alpha "$T/f1"
t_st 2 "--name with no descriptor before it is a usage error"
snd "$S" "$T/f1" -n alpha -n beta
t_st 2 "--name twice for the same descriptor is a usage error"
n255=$(printf '%0255d' 0 | tr 0 x)
lprobe "$S"
snd "$S" "$T/f1" -n "$n255" "$T/f2" -n 'sp ace~!'
t_st 0 "names of 255 printable ASCII characters (space included) are accepted"
lwait
t_is "$(pv LISTEN_FDNAMES)" "$n255:sp ace~!" "a 255-character name reaches the program whole"
lprobe "$S"
snd "$S" "$T/f1" -n "${n255}x"
t_st 2 "a 256-character name is a usage error"
snd "$S" "$T/f1" -n ""
t_st 2 "an empty name is a usage error"
snd "$S" "$T/f1" -n "a:b"
t_st 2 "a name with ':' is a usage error"
snd "$S" "$T/f1" -n "$(printf 'a\tb')"
t_st 2 "a name with a control character is a usage error"
snd "$S" "$T/f1" -n "$(printf 'caf\303\251')"
t_st 2 "a name with a non-ASCII character is a usage error"
snd "$S" "$T/f1" -n "$(printf 'a\177')"
t_st 2 "a name with DEL is a usage error"
t_msg "name|-n" "the message for a bad name names the option"
t_ok "usage errors sent nothing and left the listener waiting" eval '[ -S "$S" ] && [ ! -e "$REC" ]'
lstop TERM

lprobe "$S"
snd "$S"
t_st 0 "sending no descriptor at all is allowed"
lwait
t_is "$lst.$(pv fds)" "0.0 1 2 " "with no descriptor the program still runs, with only 0, 1, 2"

lprobe "$S"
snd "$S" /nonexistent/contract-file
t_st 1 "send of a missing FILE exits 1"
t_msg "/nonexistent/contract-file" "the message for a missing FILE names the path"
lstop TERM

snd "$T/no-listener" "$T/f1"
t_st 1 "without --retry a missing listener fails at once with status 1"
t_msg "$T/no-listener" "the message for a missing listener names the socket path"
snd "$T/f2" "$T/f1"
t_st 1 "send to a path that is not a socket exits 1"

# -v
lprobe "$S"
snd "$S" "$T/f1"
quiet=$(printf '%s\n' "$err" | grep -c '^fdrelay: ')
lwait
lprobe "$S"
snd -v "$S" "$T/f1"
t_st 0 "send -v exits 0"
t_ok "send -v says on stderr what it sent and what was acknowledged (more than without -v)" [ "$(printf '%s\n' "$err" | grep -c '^fdrelay: ')" -gt "$quiet" ]
lwait

# ---------------------------------------------------------------- send: --wait

PSTAT=7
lprobe "$S"
snd -W "$S" "$T/f1"
t_st 7 "send -W exits with the program's status"
lwait
t_is "$lst" 7 "a one-shot listener exits with its program's status"
lprobe "$S"
snd --wait "$S"
t_st 7 "send --wait with no descriptor runs the program and returns its status"
lwait
lprobe "$S"
PSTAT=0
snd "$S" "$T/f1"
t_st 0 "send without --wait exits 0 whatever the program's status"
lwait
rm -f "$S"
dstart listen "$S" sh -c 'kill -9 $$'
lready "$S"
snd -W "$S"
t_st 137 "send -W exits 128+N when signal N killed the program"
lwait
t_is "$lst" 137 "a one-shot listener exits 128+N when signal N killed the program"

if [ -n "$DEFSIG" ]; then
	for sig in INT TERM HUP QUIT; do
		case $sig in INT) want=71 ;; TERM) want=72 ;; HUP) want=73 ;; QUIT) want=74 ;; esac
		rm -f "$S" "$T/sig" "$T/sig.ready"
		dstart listen "$S" "$T/trapper" "$T/sig"
		lready "$S"
		bg "$T/spid" "$F" send -W "$S" 2>"$T/serr"
		wait_file "$T/sig.ready"
		kill "-$sig" "$bgp"
		wait "$bgt"
		st=$?
		lwait
		t_is "$(cat "$T/sig" 2>/dev/null):$st" "$sig:$want" "send -W forwards SIG$sig to the program and exits with its status"
	done
else
	why="env --default-signal is missing" skips "send -W forwards SIGINT" "send -W forwards SIGTERM" "send -W forwards SIGHUP" "send -W forwards SIGQUIT"
fi

# ---------------------------------------------------------------- send: --timeout, --retry

snd -R -t 0.3 "$T/no-listener"
t_st 124 "send -R -t SECONDS (decimals) gives up connecting with status 124"
if [ -n "$PY" ]; then
	rm -f "$T/noack"
	bg "$T/ppid" "$PY" "$T/peer.py" noack "$T/noack"
	pj=$bgt
	wait_for_socket "$T/noack"
	snd -t 0.5 "$T/noack" "$T/f1"
	t_st 124 "send -t gives up delivering to a listener that never acknowledges, status 124"
	wait "$pj"
	rm -f "$T/drop"
	bg "$T/ppid" "$PY" "$T/peer.py" dropper "$T/drop"
	pj=$bgt
	wait_for_socket "$T/drop"
	snd "$T/drop" "$T/f1"
	t_st 1 "send exits 1 when the listener hangs up without acknowledging"
	wait "$pj"
else
	why="python3 is missing" skips "send -t gives up delivering" "send exits 1 without an acknowledgement"
fi

rm -f "$REC"
bg "$T/spid" "$F" send -R "$S" "$T/f1" 2>"$T/serr"
st_t=$bgt
sleep 0.3
dstart listen "$S" "$T/probe" "$REC"
wait "$st_t"
st=$?
t_st 0 "send -R waits for a listener that is not there yet"
lwait
t_is "$(pv fd3)" "$T/f1" "the descriptor of a retrying sender reaches the late listener"

# A stale socket: a listener killed with SIGKILL leaves its socket file.
mkstale() {
	rm -f "$1"
	dstart listen "$1" true
	lready "$1"
	kill -9 "$lpid"
	wait "$lt" 2>/dev/null
}
mkstale "$S"
t_ok "a listener killed by SIGKILL leaves a stale socket (setup)" [ -S "$S" ]
rm -f "$REC"
bg "$T/spid" "$F" send -R "$S" "$T/f2" 2>"$T/serr"
st_t=$bgt
sleep 0.3
dstart listen "$S" "$T/probe" "$REC"
wait "$st_t"
st=$?
t_st 0 "send -R retries while the socket refuses"
lwait
t_is "$lst.$(pv fd3)" "0.$T/f2" "a stale socket is replaced by a new listener"

# ---------------------------------------------------------------- send: --raw, --dgram, --seqpacket

if [ -n "$PY" ]; then
	rm -f "$T/raw" "$T/rawout"
	bg "$T/ppid" "$PY" "$T/peer.py" rawserver stream "$T/raw" "$T/rawout"
	pj=$bgt
	wait_for_socket "$T/raw"
	snd --raw "$T/raw" "$T/f1" "$T/f2"
	t_st 0 "send --raw exits 0 with a peer that never acknowledges"
	wait "$pj"
	t_is "$(pv msg "$T/rawout")" "00" "send --raw sends one NUL byte by default"
	t_is "$(pv nfds "$T/rawout"):$(pv fd0 "$T/rawout"):$(pv fd1 "$T/rawout")" "2:$T/f1:$T/f2" "send --raw sends all descriptors in one message, in order"

	rm -f "$T/raw" "$T/rawout"
	bg "$T/ppid" "$PY" "$T/peer.py" rawserver stream "$T/raw" "$T/rawout"
	pj=$bgt
	wait_for_socket "$T/raw"
	snd --raw -m 'a\nb\tc\\d\0e\x41' "$T/raw" "$T/f1"
	wait "$pj"
	t_is "$(pv msg "$T/rawout")" "610a6209635c64006541" "send -m decodes the C escapes for newline, tab, backslash, NUL and hex bytes"
	rm -f "$T/raw" "$T/rawout"
	bg "$T/ppid" "$PY" "$T/peer.py" rawserver stream "$T/raw" "$T/rawout"
	pj=$bgt
	wait_for_socket "$T/raw"
	snd --raw --message='Hi' "$T/raw"
	wait "$pj"
	t_is "$(pv msg "$T/rawout"):$(pv nfds "$T/rawout")" "4869:0" "send --raw --message with no descriptor sends the bytes alone"

	rm -f "$T/raw" "$T/rawout"
	bg "$T/ppid" "$PY" "$T/peer.py" rawserver stream "$T/raw" "$T/rawout"
	pj=$bgt
	wait_for_socket "$T/raw"
	set --
	i=0
	while [ "$i" -lt 253 ]; do set -- "$@" -i; i=$((i + 1)); done
	snd --raw "$T/raw" "$@" <"$T/f1"
	t_st 0 "send --raw sends 253 descriptors"
	wait "$pj"
	t_is "$(pv nfds "$T/rawout")" 253 "send --raw delivers 253 descriptors in one sendmsg"
	rm -f "$T/raw" "$T/rawout"
	bg "$T/ppid" "$PY" "$T/peer.py" rawserver stream "$T/raw" "$T/rawout"
	pj=$bgt
	wait_for_socket "$T/raw"
	snd --raw "$T/raw" "$@" -i <"$T/f1"
	t_ok "send --raw refuses more than 253 descriptors" [ "$st" -ne 0 ]
	t_msg "." "send --raw with 254 descriptors says why"
	kill "$bgp" 2>/dev/null
	wait "$pj" 2>/dev/null
	set --

	rm -f "$T/dg" "$T/rawout"
	bg "$T/ppid" "$PY" "$T/peer.py" rawserver dgram "$T/dg" "$T/rawout"
	pj=$bgt
	wait_for_socket "$T/dg"
	snd --dgram --message 'FDSTORE=1\nFDNAME=NAME' "$T/dg" "$T/f1"
	t_st 0 "send --dgram to a datagram socket exits 0 once sendmsg accepted it"
	wait "$pj"
	t_is "$(pv msg "$T/rawout"):$(pv fd0 "$T/rawout")" "$(printf 'FDSTORE=1\nFDNAME=NAME' | od -An -tx1 | tr -d ' \n'):$T/f1" "send --dgram implies --raw: the message and descriptor in one datagram (systemd notify style)"

	rm -f "$T/sp" "$T/rawout"
	bg "$T/ppid" "$PY" "$T/peer.py" rawserver seqpacket "$T/sp" "$T/rawout"
	pj=$bgt
	wait_for_socket "$T/sp"
	snd --seqpacket --raw -m 'sp' "$T/sp" "$T/f2"
	t_st 0 "send --seqpacket --raw reaches a seqpacket peer"
	wait "$pj"
	t_is "$(pv msg "$T/rawout"):$(pv fd0 "$T/rawout")" "7370:$T/f2" "send --seqpacket --raw sends the message and descriptor"
else
	why="python3 is missing" skips "send --raw" "send --raw NUL" "send --raw order" "send -m escapes" "send --raw no fd" \
		"send --raw 253" "send --raw 253 one message" "send --raw 254" "send --raw 254 message" "send --dgram" "send --dgram message" "send --seqpacket --raw" "send --seqpacket --raw message"
fi

# ---------------------------------------------------------------- more than 253, RLIMIT_NOFILE

mkdir "$T/many"
for i in $(seq -w 1 300); do : >"$T/many/f$i"; done
rm -f "$REC"
LPRE="prlimit --nofile=100:"
dstart listen "$S" "$T/probe" "$REC"
LPRE=
lready "$S"
run tmop prlimit --nofile=100: "$F" send "$S" "$T"/many/f*
t_st 0 "send with a soft RLIMIT_NOFILE of 100 sends 300 descriptors (it raises its own limit)"
lwait
t_is "$lst" 0 "a listener with a soft RLIMIT_NOFILE of 100 receives 300 descriptors"
exp=
i=3
for f in "$T"/many/f*; do
	exp="$exp fd$i=$f"
	i=$((i + 1))
done
got=$(grep '^fd[0-9]' "$REC" | grep -v '^fd[012]=' | tr '\n' ' ')
t_is "$got" "${exp# } " "more than 253 descriptors reach the program as one ordered list"
t_is "$(pv LISTEN_FDS)" 300 "LISTEN_FDS counts all 300 descriptors"
t_is "$(pv LISTEN_FDNAMES | tr ':' '\n' | sed -n '1p;300p' | tr '\n' ' ')" "f001 f300 " "LISTEN_FDNAMES names all 300 in order"
nf=$(pv nofile)
t_ok "the program's soft limit stays 64 above its highest descriptor, 302 (got $nf)" [ "${nf:-0}" -ge 366 ]
t_ok "the program's soft limit is raised only as far as needed (got $nf)" [ "${nf:-999}" -le 367 ]

rm -f "$REC"
LPRE="prlimit --nofile=100:"
dstart listen "$S" "$T/probe" "$REC"
LPRE=
lready "$S"
snd "$S" "$T/f1"
lwait
t_is "$(pv nofile)" 100 "the program gets the soft limit the listener started with"
rm -f "$REC"
LPRE="prlimit --nofile=1024:"
dstart listen "$S" "$T/probe" "$REC"
LPRE=
lready "$S"
snd "$S" "$T/f1"
lwait
t_is "$(pv nofile)" 1024 "the program does not get the hard limit"

rm -f "$REC"
LPRE="prlimit --nofile=100:200"
dstart listen "$S" "$T/probe" "$REC"
LPRE=
lready "$S"
snd "$S" "$T"/many/f*
t_ok "send does not exit 0 when the listener cannot install every descriptor (hard limit 200)" [ "$st" -ne 0 ]
lwait
t_ok "the program does not run when the listener could not install them all" [ ! -e "$REC" ]
lprobe "$S"
run tmop prlimit --nofile=100:200 "$F" send "$S" "$T"/many/f*
t_st 1 "send with a hard limit below its need fails with status 1"
t_msg "." "send with a hard limit below its need says why"
lstop TERM

# ---------------------------------------------------------------- listen: what the program gets

lprobe "$S"
run tmop sh -c 'echo $$ >"$0"; exec "$@"' "$T/spid" "$F" send "$S" "$T/f1" "$T/f2" -n second
t_st 0 "send of two files exits 0"
lwait
t_is "$(pv fd3):$(pv fd4)" "$T/f1:$T/f2" "the descriptors become the program's 3, 4, ... in the order sent"
t_is "$(pv LISTEN_FDS)" 2 "LISTEN_FDS is the number of descriptors"
t_is "$(pv LISTEN_PID)" "$(pv pid)" "LISTEN_PID is the program's own pid"
t_is "$(pv LISTEN_FDNAMES)" "f1:second" "LISTEN_FDNAMES lists the names, ':'-separated"
t_is "$(pv FDRELAY_PEER_PID)" "$(cat "$T/spid")" "FDRELAY_PEER_PID is the sender's pid"
t_is "$(pv FDRELAY_PEER_UID):$(pv FDRELAY_PEER_GID)" "0:0" "FDRELAY_PEER_UID and FDRELAY_PEER_GID are the sender's"

rm -f "$REC"
dstart listen "$S" "$T/probe" "$REC" 7<"$T/f3" 8>"$T/o1" 9<>"$T/u1"
lready "$S"
snd "$S" "$T/f1"
lwait
t_is "$(pv fds)" "0 1 2 3 " "the program inherits nothing from fdrelay beyond 0, 1, 2 and the descriptors"
t_is "$(pv fd1):$(pv fd2)" "$T/lout:$T/lerr" "the program's 0, 1, 2 are fdrelay's own"

rm -f "$REC"
LPRE="env LISTEN_FDS=5 LISTEN_PID=1 LISTEN_FDNAMES=bogus LISTEN_FOO=bar"
dstart listen "$S" "$T/probe" "$REC"
LPRE=
lready "$S"
snd "$S" "$T/f1"
lwait
t_is "$(pv LISTEN_FDS):$(pv LISTEN_FDNAMES):$(pv LISTEN_PID)" "1:f1:$(pv pid)" "LISTEN_* variables fdrelay received are replaced by the program's own"
t_is "$(pv LISTEN_FOO)" UNSET "other LISTEN_* variables fdrelay received are not passed on"

lprobe --stdio "$S"
tmop "$F" send "$S" "$T/f1" -s "$T/f2" <"$T/f3" >"$T/o1" 2>"$T/e1"
st=$?
t_st 0 "send to a --stdio listener exits 0"
lwait
t_is "$(pv fd0):$(pv fd1):$(pv fd2)" "$T/f3:$T/o1:$T/e1" "--stdio: descriptors named stdin, stdout, stderr become the program's 0, 1, 2"
t_is "$(pv fd3):$(pv fd4):$(pv fds)" "$T/f1:$T/f2:0 1 2 3 4 " "--stdio: the others still start at 3, in order"
t_is "$(pv LISTEN_FDS):$(pv LISTEN_FDNAMES)" "2:f1:f2" "--stdio: LISTEN_FDS and LISTEN_FDNAMES count only the descriptors from 3 up"
lprobe "$S"
tmop "$F" send "$S" -s <"$T/f3" >"$T/o1" 2>"$T/e1"
lwait
t_is "$(pv fd3):$(pv LISTEN_FDS)" "$T/f3:3" "without --stdio, stdin/stdout/stderr start at 3 like the others"

lprobe -v "$S"
run tmop sh -c 'echo $$ >"$0"; exec "$@"' "$T/spid" "$F" send "$S" "$T/f1"
lwait
t_like "$(cat "$T/lerr")" "(^|[^0-9])$(cat "$T/spid")([^0-9]|$)" "listen -v logs each sender (its pid) on stderr"

# ---------------------------------------------------------------- listen: socket file

rm -f "$S"
umask 0
dstart listen "$S" "$T/probe" "$REC"
umask 022
n=0
while [ ! -S "$S" ] && [ "$n" -lt 1000 ]; do sleep 0.01; n=$((n + 1)); done
t_is "$(stat -c %a "$S" 2>/dev/null)" 600 "the socket file has mode 0600 by default, even under umask 0, when first seen"
lready "$S"
snd "$S"
lwait
umask 077
lprobe -M 0640 "$S"
umask 022
t_is "$(stat -c %a "$S")" 640 "-M sets the socket file's mode exactly (umask 077 does not narrow it)"
snd "$S"
lwait
lprobe --mode=0666 "$S"
t_is "$(stat -c %a "$S")" 666 "--mode=0666 sets the socket file's mode exactly (umask 022 does not narrow it)"
lstop TERM
t_ok "a listener stopped by SIGTERM removes its socket file" [ ! -e "$S" ]

rm -f "$REC"
run tmop "$F" listen -t 0.3 "$S" "$T/probe" "$REC"
t_st 124 "listen -t SECONDS (decimals) gives up waiting for a sender with status 124"
t_ok "a listener that timed out removes its socket file" [ ! -e "$S" ]
t_ok "a listener that timed out ran no program" [ ! -e "$REC" ]

rm -f "$T/release"
PREL=$T/release
lprobe "$S"
snd "$S" "$T/f1"
wait_file "$REC"
t_ok "a one-shot listener has removed its socket file once it runs the program" [ ! -e "$S" ]
snd "$S" "$T/f2"
t_st 1 "a second sender to a one-shot listener fails at once with status 1"
: >"$T/release"
lwait
t_is "$lst.$(pv fd3)" "0.$T/f1" "the one-shot listener served only the first sender"
rm -f "$T/release"
lprobe "@$ABS"
PREL=
snd "@$ABS" "$T/f1"
wait_file "$REC"
snd "@$ABS" "$T/f2"
t_st 1 "a one-shot @NAME listener stops listening as soon as it has accepted a sender"
: >"$T/release"
lwait

printf 'precious\n' >"$T/regular"
run tmop "$F" listen "$T/regular" "$T/probe" "$REC"
t_st 1 "listen on a regular file exits 1"
t_msg "$T/regular" "the message for a regular file at SOCKET names the path"
t_is "$(cat "$T/regular")" precious "a regular file at SOCKET is left alone"
mkstale "$T/stale2"
ln -s "$T/stale2" "$T/link"
run tmop "$F" listen "$T/link" "$T/probe" "$REC"
t_st 1 "listen on a symlink (even to a stale socket) exits 1"
t_msg "$T/link" "the message for a symlink at SOCKET names the path"
t_ok "a symlink at SOCKET is left alone" eval '[ -L "$T/link" ] && [ "$(readlink "$T/link")" = "$T/stale2" ]'
mkdir "$T/adir"
run tmop "$F" listen "$T/adir" "$T/probe" "$REC"
t_st 1 "listen on a directory exits 1"
t_msg "$T/adir" "the message for a directory at SOCKET names the path"
lprobe "$S"
run tmop "$F" listen "$S" "$T/probe" "$T/rec2"
t_st 1 "listen on a live listener's socket exits 1"
t_msg "$S" "the message for a live listener at SOCKET names the path"
snd "$S" "$T/f1"
t_st 0 "the live listener still serves after a second listen failed"
lwait
t_is "$(pv fd3)" "$T/f1" "the live listener's program got the descriptor"

mkstale "$S"
rm -f "$REC"
bg "$T/lp1" "$F" listen -t 5 "$S" "$T/probe" "$REC" 2>"$T/lerr1"
l1t=$bgt l1p=$bgp
bg "$T/lp2" "$F" listen -t 5 "$S" "$T/probe" "$REC" 2>"$T/lerr2"
l2t=$bgt l2p=$bgp
n=0
until { sock_ready "$l1p" || sock_ready "$l2p"; } && [ -S "$S" ]; do
	n=$((n + 1))
	[ "$n" -gt 200 ] && break
	sleep 0.05
done
snd "$S" "$T/f1"
wait "$l1t"
s1=$?
wait "$l2t"
s2=$?
t_is "$(printf '%s\n' "$s1" "$s2" | sort | tr '\n' ' ')" "0 1 " "of two listeners racing for one stale socket, one serves and the other exits 1"

# ---------------------------------------------------------------- listen: status 126, 127

lprobe "$S"
rm -f "$S"
printf '#!/bin/sh\nexit 0\n' >"$T/noexec"
chmod 644 "$T/noexec"
dstart listen "$S" "$T/noexec"
lready "$S"
snd "$S" "$T/f1"
lwait
t_is "$lst" 126 "listen exits 126 when PROGRAM is found but not runnable"
err=$(cat "$T/lerr")
t_msg "noexec" "the message for an unrunnable PROGRAM names it"
rm -f "$S"
dstart listen "$S" contract-no-such-program-$$
lready "$S"
snd "$S" "$T/f1"
lwait
t_is "$lst" 127 "listen exits 127 when PROGRAM is not found"
err=$(cat "$T/lerr")
t_msg "contract-no-such-program" "the message for a missing PROGRAM names it"

# ---------------------------------------------------------------- listen: -k, -j

rm -f "$S" "$T/k1" "$T/k2"
dstart listen -k "$S" "$T/probe" "$T/kk"
lready "$S"
snd "$S" "$T/f1"
t_st 0 "send to a -k listener exits 0"
wait_file "$T/kk"
mv "$T/kk" "$T/k1"
snd "$S" "$T/f2"
wait_file "$T/kk"
mv "$T/kk" "$T/k2"
t_is "$(pv fd3 "$T/k1"):$(pv fd3 "$T/k2")" "$T/f1:$T/f2" "-k serves senders one after another, one program each"
t_is "$(pv fds "$T/k2")" "0 1 2 3 " "a -k listener's program inherits nothing else either"
lstop TERM
t_is "$lst" 0 "a -k listener exits 0 on SIGTERM"
t_ok "a -k listener removes its socket file on SIGTERM" [ ! -e "$S" ]
if [ -n "$DEFSIG" ]; then
	dstart listen --keep-going "$S" true
	lready "$S"
	lstop INT
	t_is "$lst" 0 "a --keep-going listener exits 0 on SIGINT"
	t_ok "a --keep-going listener removes its socket file on SIGINT" [ ! -e "$S" ]
else
	why="env --default-signal is missing" skips "a -k listener exits 0 on SIGINT" "a -k listener removes its socket on SIGINT"
fi

# jtest N SENDERS EXTRA-OPTS...: $started is how many programs ran at once.
jtest() {
	_senders=$2
	shift 2
	rm -f "$T/jlog" "$T/jrel" "$S"
	dstart listen -k "$@" "$S" "$T/blocker" "$T/jlog" "$T/jrel"
	lready "$S"
	_jobs=
	_i=0
	while [ "$_i" -lt "$_senders" ]; do
		tmop "$F" send "$S" >/dev/null 2>&1 &
		_jobs="$_jobs $!"
		_i=$((_i + 1))
	done
	_n=0
	while [ "$(lines "$T/jlog")" -lt $((_senders - 1)) ] && [ "$_n" -lt 300 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	sleep 0.5
	started=$(lines "$T/jlog")
	: >"$T/jrel"
	for _j in $_jobs; do wait "$_j"; done
	_n=0
	while [ "$(lines "$T/jlog")" -lt "$_senders" ] && [ "$_n" -lt 200 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	after=$(lines "$T/jlog")
	lstop TERM
}
jtest 2 3 -j 2
t_is "$started" 2 "-j 2 runs at most 2 programs at once"
t_is "$after" 3 "-j: a waiting sender is served once a program ends"
jtest 16 17
t_is "$started" 16 "-k runs at most 16 programs at once by default"
t_is "$after" 17 "the 17th sender is served once a program ends"

# ---------------------------------------------------------------- listen: -t, garbage, death

if [ -n "$PY" ]; then
	lprobe -t 1 "$S"
	peer stall "$S"
	lwait
	t_is "$lst" 1 "a one-shot listener drops a sender that does not deliver within -t, status 1"
	t_ok "no program ran for a sender that timed out" [ ! -e "$REC" ]
	lprobe "$S"
	peer garbage "$S" 2
	lwait
	t_is "$lst" 1 "a sender that sends garbage ends a one-shot listener with status 1"
	t_ok "no program ran for a garbage sender" [ ! -e "$REC" ]
	err=$(cat "$T/lerr")
	t_msg "." "a garbage sender is dropped with a message on stderr"
	lprobe -t 2 "$S"
	peer die "$S"
	lwait
	t_is "$lst" 1 "a sender that dies before delivering ends a one-shot listener with status 1"
	# Silent here, so listed in fdrelay(1): a connection that never sends a
	# byte is another listener's stale check, not a sender.
	lprobe -t 10 "$S"
	peer probe "$S"
	snd "$S" "$T/f1"
	lwait
	t_is "$st:$lst" "0:0" "a connection that hangs up without a byte is no sender: the one-shot listener serves the next"

	rm -f "$S" "$T/kk"
	dstart listen -k -t 1 --max-fds=4 "$S" "$T/probe" "$T/kk"
	lready "$S"
	nfd0=$(ls "/proc/$lpid/fd" | wc -l)
	peer stall "$S"
	peer garbage "$S" 3
	peer die "$S"
	snd "$S" -i -i -i -i -i </dev/null
	t_st 3 "a sender with more than --max-fds descriptors is refused with status 3"
	snd "$S" "$T/f1"
	t_st 0 "-k goes on serving after senders that stalled, sent garbage, died or sent too much"
	wait_file "$T/kk"
	t_is "$(pv fd3 "$T/kk")" "$T/f1" "the next good sender's program gets its descriptor"
	n=0
	while [ "$(ls "/proc/$lpid/fd" | wc -l)" -ne "$nfd0" ] && [ "$n" -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	t_is "$(ls "/proc/$lpid/fd" | wc -l)" "$nfd0" "dropped senders leak no descriptor into the listener"
	lstop TERM
	t_is "$lst" 0 "the -k listener still exits 0 on SIGTERM"
else
	why="python3 is missing" skips "-t drops a stalled sender" "no program for a stalled sender" "garbage: status 1" "garbage: no program" "garbage: message" \
		"death: status 1" "a probe is no sender" "max-fds with -k" "-k goes on" "-k next sender" "no descriptor leaked" "-k exit 0"
fi

lprobe --max-fds=2 "$S"
snd "$S" "$T/f1" "$T/f2" "$T/f3"
t_st 3 "send exits 3 when the listener refuses more than --max-fds descriptors"
lwait
t_is "$lst" 1 "a sender over --max-fds ends a one-shot listener with status 1"
t_ok "no program ran for a sender over --max-fds" [ ! -e "$REC" ]
lprobe --max-fds=2 "$S"
snd "$S" "$T/f1" "$T/f2"
t_st 0 "exactly --max-fds descriptors are accepted"
lwait
set --
i=0
while [ "$i" -lt 1024 ]; do set -- "$@" -i; i=$((i + 1)); done
lprobe "$S"
snd "$S" "$@" -i <"$T/f1"
t_st 3 "by default a sender of 1025 descriptors is refused (--max-fds 1024)"
lwait
lprobe "$S"
snd "$S" "$@" <"$T/f1"
t_st 0 "by default 1024 descriptors are accepted"
lwait
t_is "$(pv LISTEN_FDS)" 1024 "the program gets all 1024"
set --

# ---------------------------------------------------------------- listen: --ready-fd, --inherit

rm -f "$S" "$REC"
mkfifo "$T/rfifo"
timeout -k 5 --preserve-status 30 sh -c 'exec "$@" 5>"$0"' "$T/rfifo" "$F" listen --ready-fd=5 "$S" "$T/probe" "$REC" 2>"$T/lerr" &
lt=$!
timeout -k 2 --preserve-status 10 cat "$T/rfifo" >"$T/ready"
cst=$?
[ -S "$S" ]
sst=$?
kill -0 "$lt" 2>/dev/null
alive=$?
t_is "$(od -An -c "$T/ready" | tr -d ' ')" '\n' "--ready-fd=N writes a newline to N"
t_is "$cst.$alive" "0.0" "--ready-fd=N closes N while still listening"
t_is "$sst" 0 "the socket file is there when the newline is written"
snd "$S" "$T/f1"
t_st 0 "a sender is served right after the ready newline"
lwait
t_is "$(pv fds)" "0 1 2 3 " "the program does not inherit the ready descriptor"

if [ -n "$SSA" ]; then
	rm -f "$S" "$REC"
	LPRE="$SSA -l $S --fdname=inherited"
	dstart listen --inherit "$T/probe" "$REC"
	LPRE=
	n=0
	until sock_ready "$lpid"; do
		n=$((n + 1))
		[ "$n" -gt 200 ] && break
		sleep 0.05
	done
	snd "$S" "$T/f1"
	t_st 0 "send reaches a listen --inherit run by systemd-socket-activate"
	lwait
	t_is "$lst" 0 "listen --inherit exits with its program's status"
	t_is "$(pv fd3):$(pv fds)" "$T/f1:0 1 2 3 " "listen --inherit: the program gets the descriptor and not the listening socket"
	t_is "$(pv LISTEN_FDS):$(pv LISTEN_FDNAMES):$(pv LISTEN_PID)" "1:f1:$(pv pid)" "listen --inherit: the LISTEN_* fdrelay received are not passed on"
else
	why="systemd-socket-activate is missing" skips "send reaches listen --inherit" "listen --inherit status" "listen --inherit descriptors" "listen --inherit LISTEN_*"
fi

# ---------------------------------------------------------------- listen: --raw, --dgram, --seqpacket

if [ -n "$PY" ]; then
	lprobe --raw "$S"
	peer sendraw stream "$S" "$(printf 'hello raw' | od -An -tx1 | tr -d ' \n')" "$T/f1" "$T/f2"
	lwait
	t_is "$lst.$(pv fd3):$(pv fd4)" "0.$T/f1:$T/f2" "listen --raw accepts a raw message and its descriptors"
	t_is "$(pv LISTEN_FDNAMES)" "fd0:fd1" "listen --raw names the descriptors fd0, fd1, ..."
	t_is "$(pv FDRELAY_MESSAGE)" "hello raw" "listen --raw passes text bytes as FDRELAY_MESSAGE"
	lprobe --raw "$S"
	peer sendraw stream "$S" 6100 "$T/f1"
	lwait
	t_is "$(pv FDRELAY_MESSAGE)" UNSET "FDRELAY_MESSAGE is not set when the bytes hold a NUL"
	lprobe --raw "$S"
	peer sendraw stream "$S" 61ff62 "$T/f1"
	lwait
	t_is "$(pv FDRELAY_MESSAGE)" UNSET "FDRELAY_MESSAGE is not set when the bytes are not UTF-8"
	lprobe --raw "$S"
	peer sendraw stream "$S" 636166c3a9 "$T/f1"
	lwait
	t_is "$(cat "$REC.msg")" "$(printf 'caf\303\251')" "FDRELAY_MESSAGE is set for valid UTF-8 text"
else
	why="python3 is missing" skips "listen --raw" "listen --raw names" "FDRELAY_MESSAGE" "FDRELAY_MESSAGE NUL" "FDRELAY_MESSAGE not UTF-8" "FDRELAY_MESSAGE UTF-8"
fi
lprobe --raw "$S"
snd --raw -m 'two\tlines\nhere' "$S" "$T/f1"
t_st 0 "send --raw to listen --raw exits 0"
lwait
t_is "$(cat "$REC.msg")" "$(printf 'two\tlines\nhere')" "send --raw's message reaches listen --raw's program as FDRELAY_MESSAGE"
lprobe --raw "$S"
snd --raw "$S" "$T/f1"
lwait
t_is "$(pv FDRELAY_MESSAGE):$(pv fd3)" "UNSET:$T/f1" "send --raw's default NUL byte gives no FDRELAY_MESSAGE"

lprobe --dgram "$S"
t_is "$(sock_types "$lpid")" "0002 " "listen --dgram binds a SOCK_DGRAM socket"
snd --dgram -m 'by dgram' "$S" "$T/f1" "$T/f2"
t_st 0 "send --dgram to listen --dgram exits 0"
lwait
t_is "$(pv fd3):$(pv fd4):$(pv LISTEN_FDNAMES)" "$T/f1:$T/f2:fd0:fd1" "listen --dgram implies --raw: descriptors named fd0, fd1"
t_is "$(pv FDRELAY_MESSAGE)" "by dgram" "listen --dgram passes the datagram's text as FDRELAY_MESSAGE"
t_is "$(pv FDRELAY_PEER_UID)" 0 "listen --dgram reports the sender's uid from SCM_CREDENTIALS"
t_ok "listen --dgram removes its socket file when it exits" [ ! -e "$S" ]

lprobe --seqpacket "$S"
t_is "$(sock_types "$lpid")" "0005 " "listen --seqpacket binds a SOCK_SEQPACKET socket"
snd --seqpacket "$S" "$T/f1" -n framed
t_st 0 "send --seqpacket to listen --seqpacket exits 0"
lwait
t_is "$(pv fd3):$(pv LISTEN_FDNAMES)" "$T/f1:framed" "fdrelay's framing works on seqpacket sockets (names kept)"

# ---------------------------------------------------------------- listen: policy

if [ -n "$HAVE_NOBODY" ]; then
	lprobe -M 0666 "$S"
	snd_nobody "$S" "$PUB/nf"
	t_st 3 "by default a sender of another uid is refused with status 3"
	t_msg "." "a refused sender is told so on stderr"
	snd "$S" "$T/f1"
	t_st 0 "a one-shot listener goes on waiting after a refused sender"
	lwait
	t_is "$lst.$(pv fd3).$(pv FDRELAY_PEER_UID)" "0.$T/f1.0" "the sender after a refused one is served"

	for allow in --allow-uid=65534 --allow-uid=nobody --allow-uid=12345,65534 --allow-gid=65534 --allow-gid=nogroup --allow-any; do
		lprobe -M 0666 "$allow" "$S"
		snd_nobody "$S" "$PUB/nf"
		t_st 0 "listen $allow accepts a sender of uid 65534"
		lwait
		t_is "$(pv fd3)" "$PUB/nf" "listen $allow: the program gets that sender's descriptor"
	done
	t_is "$(pv FDRELAY_PEER_UID):$(pv FDRELAY_PEER_GID)" "65534:65534" "FDRELAY_PEER_UID/GID give another uid's sender"
	lprobe -M 0666 --allow-uid=12345 --allow-gid=12345 "$S"
	snd_nobody "$S" "$PUB/nf"
	t_st 3 "--allow-uid/--allow-gid lists not naming the sender still refuse it"
	lstop TERM

	lprobe --dgram -M 0666 "$S"
	snd_nobody --dgram -m from-nobody "$S" "$PUB/nf"
	snd --dgram -m from-root "$S" "$T/f1"
	lwait
	t_is "$(pv FDRELAY_MESSAGE):$(pv fd3)" "from-root:$T/f1" "a dgram listener ignores a refused uid's message (SCM_CREDENTIALS) and serves the next"
	lprobe --dgram -M 0666 --allow-uid=65534 "$S"
	snd_nobody --dgram -m from-nobody "$S" "$PUB/nf"
	lwait
	t_is "$(pv FDRELAY_MESSAGE):$(pv FDRELAY_PEER_UID)" "from-nobody:65534" "a dgram listener with --allow-uid accepts that uid's message"

	# recv's policy is listen's.
	rm -f "$S"
	dstart recv -M 0666 "$S"
	lready "$S"
	snd_nobody "$S" "$PUB/nf"
	t_st 3 "recv refuses a sender of another uid by default, status 3"
	lstop TERM
else
	why="setpriv as uid 65534 is not possible" skips "refused sender status 3" "refused sender message" "one-shot goes on waiting" "next sender served" \
		"allow 1" "allow 1 fd" "allow 2" "allow 2 fd" "allow 3" "allow 3 fd" "allow 4" "allow 4 fd" "allow 5" "allow 5 fd" "allow 6" "allow 6 fd" \
		"PEER_UID/GID" "lists refuse" "dgram refuse" "dgram allow" "recv refuses"
fi

# ---------------------------------------------------------------- the sender checks the listener too
# (new in 1.0: these fail until send implements it)

if [ -n "$HAVE_NOBODY" ]; then
	# nlisten [OPTIONS] SOCKET: a one-shot listener running as uid 65534, recording in $PUB/rec.
	nlisten() {
		rm -f "$PUB/rec" "$PUB"/rec.*
		LPRE=$NOBODY
		dstart listen -t 3 "$@" "$T/probe" "$PUB/rec"
		LPRE=
		_last=
		for _a; do _last=$_a; done
		case " $* " in *" --dgram "*) lready "$_last" dgram ;; *) lready "$_last" ;; esac
	}
	printf 'secret\n' >"$T/secret"
	chmod 600 "$T/secret"
	nlisten "$PUB/s"
	snd "$PUB/s" "$T/secret"
	t_st 3 "send exits 3 when the listener runs as another uid"
	t_msg "65534|nobody" "send says which uid the refused listener runs as"
	snd --allow-any "$PUB/s" "$T/f1"
	lwait
	t_ok "send sends nothing to a listener of another uid" eval '! grep -q "$T/secret" "$PUB/rec" 2>/dev/null'
	for allow in --allow-uid=65534 --allow-uid=nobody --allow-uid=12345,65534 --allow-gid=65534 --allow-gid=nogroup --allow-any; do
		nlisten "$PUB/s"
		snd "$allow" "$PUB/s" "$T/secret"
		t_st 0 "send $allow hands over to a listener of uid 65534"
		lwait
		t_is "$(pv fd3 "$PUB/rec")" "$T/secret" "send $allow: the listener's program gets the descriptor"
	done
	nlisten "$PUB/s"
	snd --allow-uid=12345 --allow-gid=12345 "$PUB/s" "$T/secret"
	t_st 3 "send --allow-uid/--allow-gid lists not naming the listener still refuse it"
	lstop TERM
	nlisten "$PUB/s"
	snd -W "$PUB/s" "$T/secret"
	t_st 3 "send -W exits 3, not a program status, when it refuses the listener"
	lstop TERM
	nlisten "@$ABS-n"
	snd "@$ABS-n" "$T/secret"
	t_st 3 "send refuses a listener of another uid on an @NAME stream socket"
	lstop TERM
	nlisten --seqpacket "$PUB/sp"
	snd --seqpacket "$PUB/sp" "$T/secret"
	t_st 3 "send --seqpacket refuses a listener of another uid"
	lstop TERM
	if [ -n "$PY" ]; then
		rm -f "$PUB/raw" "$PUB/rawout"
		# shellcheck disable=SC2086
		bg "$T/ppid" $NOBODY "$PY" "$T/peer.py" rawserver stream "$PUB/raw" "$PUB/rawout"
		pj=$bgt
		wait_for_socket "$PUB/raw"
		snd --raw "$PUB/raw" "$T/secret"
		t_st 3 "send --raw refuses a peer of another uid before sending anything"
		kill "$bgp" 2>/dev/null
		wait "$pj" 2>/dev/null
		t_ok "send --raw sent nothing to a peer of another uid" eval '! grep -q "$T/secret" "$PUB/rawout" 2>/dev/null'
	else
		why="python3 is missing" skips "send --raw refuses" "send --raw sent nothing"
	fi

	nlisten --dgram "$PUB/ds"
	snd --dgram -m first "$PUB/ds" "$T/secret"
	t_st 3 "send --dgram exits 3 when the socket file belongs to another uid"
	snd --dgram --allow-any -m second "$PUB/ds" "$T/f1"
	lwait
	t_is "$(pv FDRELAY_MESSAGE "$PUB/rec")" second "send --dgram sends nothing to a socket file of another uid"
	nlisten --dgram "$PUB/ds"
	snd --dgram --allow-uid=65534 -m allowed "$PUB/ds" "$T/secret"
	t_st 0 "send --dgram --allow-uid accepts the socket file's owner"
	lwait
	t_is "$(pv FDRELAY_MESSAGE "$PUB/rec")" allowed "send --dgram --allow-uid delivers to that owner's socket"
	nlisten --dgram "@$ABS-d"
	snd --dgram -m abstract "@$ABS-d" "$T/f1"
	t_st 0 "send --dgram allows an abstract datagram address it cannot check"
	lwait
	t_is "$(pv FDRELAY_MESSAGE "$PUB/rec")" abstract "the abstract datagram listener of another uid gets the message"

	# The other way round: a listener of the sender's own uid, or root.
	nlisten "$PUB/s"
	snd_nobody "$PUB/s" "$PUB/nf"
	t_st 0 "send accepts a listener running as its own uid"
	lwait
	lprobe -M 0666 --allow-uid=65534 "$S"
	snd_nobody "$S" "$PUB/nf"
	t_st 0 "send accepts a listener running as root"
	lwait
else
	why="setpriv as uid 65534 is not possible" skips "send exits 3 for another uid" "send names the uid" "send sends nothing" \
		"allow 1" "allow 1 fd" "allow 2" "allow 2 fd" "allow 3" "allow 3 fd" "allow 4" "allow 4 fd" "allow 5" "allow 5 fd" "allow 6" "allow 6 fd" \
		"lists refuse" "-W 3" "@NAME" "seqpacket" "raw" "raw nothing" "dgram 3" "dgram nothing" "dgram allow" "dgram allow fd" "abstract dgram" "abstract dgram fd" "own uid" "root"
fi

# ---------------------------------------------------------------- recv

rm -f "$S"
dstart recv "$S"
lready "$S"
run tmop sh -c 'echo $$ >"$0"; exec "$@"' "$T/spid" "$F" send "$S" "$T/f1" -n recv-name
t_st 0 "send to recv exits 0"
lwait
t_is "$lst" 0 "a one-shot recv exits 0 after a sender"
rout=$(cat "$T/lout")
t_like "$rout" "$T/f1" "recv prints each received descriptor's path"
t_like "$rout" "recv-name" "recv prints each received descriptor's name"
t_like "$rout" "(^|[^0-9])$(cat "$T/spid")([^0-9]|$)" "recv prints the sender's pid"
t_ok "recv removes its socket file when it exits" [ ! -e "$S" ]
if [ -n "$HAVE_NOBODY" ]; then
	dstart recv -M 0666 --allow-uid=65534 "$S"
	lready "$S"
	snd_nobody "$S" "$PUB/nf"
	lwait
	t_like "$(cat "$T/lout")" "65534" "recv prints the sender's uid and gid"
else
	why="setpriv as uid 65534 is not possible" skips "recv prints the sender's uid and gid"
fi

rm -f "$S"
dstart recv --json "$S"
lready "$S"
run tmop sh -c 'echo $$ >"$0"; exec "$@"' "$T/spid" "$F" send "$S" "$T/f1" "$T/f2"
lwait
if [ -n "$PY" ]; then
	t_ok "recv --json prints one JSON object per line" eval 'peer json "$T/lout" >/dev/null'
	t_ok "recv --json gives the descriptors' paths and the sender's pid" peer jhas "$T/lout" "$T/f1" "$T/f2" "$(cat "$T/spid")"
else
	why="python3 is missing" skips "recv --json prints one JSON object per line" "recv --json gives paths and pid"
fi

rm -f "$S" "$T/rfifo2"
mkfifo "$T/rfifo2"
dstart recv -k "$S"
lready "$S"
timeout -k 5 30 cat "$T/rfifo2" >/dev/null &
cj=$!
snd "$S" -d 5 5>"$T/rfifo2"
n=0
while kill -0 "$cj" 2>/dev/null && [ "$n" -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
kill -0 "$cj" 2>/dev/null
cst=$?
kill -0 "$lpid" 2>/dev/null
t_is "$cst.$?" "1.0" "recv closes the descriptors it received (the pipe's reader sees EOF while recv -k runs)"
wait "$cj"
snd "$S" "$T/f3"
t_st 0 "recv -k serves another sender"
lstop TERM
t_is "$lst" 0 "recv -k exits 0 on SIGTERM"
t_like "$(cat "$T/lout")" "$T/f3" "recv -k described the later sender's descriptor"
t_ok "recv -k removes its socket file on SIGTERM" [ ! -e "$S" ]

# ---------------------------------------------------------------- describe

printf '%012345d' 0 >"$T/big"
run tmop "$F" describe 7<"$T/f1"
t_st 0 "describe exits 0"
t_like "$out" "$T/f1" "describe with no FD describes all of this process's descriptors"
run tmop "$F" describe 0 7<"$T/f1" <"$T/f2"
t_like "$out" "$T/f2" "describe FD describes that descriptor"
t_ok "describe FD describes only the FDs given" eval '! printf "%s\n" "$out" | grep -q "$T/f1"'
run tmop sh -c 'dd bs=4321 count=1 of=/dev/null 2>/dev/null; exec "$0" describe 0' "$F" <"$T/big"
t_like "$out" "(^|[^0-9])4321([^0-9]|$)" "describe gives a regular file's offset"
t_like "$out" "(^|[^0-9])12345([^0-9]|$)" "describe gives a regular file's size"
t_like "$out" "[Rr]egular" "describe calls a regular file a regular file"
run tmop sh -c 'exec env LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=contract-name "$0" describe 3' "$F" 3<"$T/f1"
t_like "$out" "contract-name" "describe takes names from LISTEN_FDNAMES when LISTEN_PID is this process"
run tmop env LISTEN_PID=1 LISTEN_FDS=1 LISTEN_FDNAMES=contract-name "$F" describe 3 3<"$T/f1"
t_ok "describe ignores LISTEN_FDNAMES when LISTEN_PID is another process" eval '! printf "%s\n" "$out" | grep -q contract-name'

bdev=$(find /dev -maxdepth 1 -type b 2>/dev/null | head -n 1)
if [ -n "$bdev" ] && [ -r "$bdev" ]; then
	run tmop "$F" describe 3 3<"$bdev"
	t_like "$out" "[Bb]lock" "describe recognises a block device"
else
	t_skip "no readable block device" "describe recognises a block device"
fi

if [ -n "$PY" ]; then
	mkdir "$T/kinds"
	peer kinds "$F" "$T/kinds"
	kd() { cat "$T/kinds/$1.out" 2>/dev/null; }
	t_like "$(kd regular)" "[Rr]egular" "describe: regular file"
	t_like "$(kd regular)" "$T/kinds/regular" "describe: a regular file's path"
	t_like "$(kd directory)" "[Dd]ir" "describe: directory"
	t_like "$(kd pipe)" "[Pp]ipe" "describe: pipe"
	t_like "$(kd fifo)" "[Ff][Ii][Ff][Oo]" "describe: FIFO"
	t_like "$(kd fifo)" "$T/kinds/fifo" "describe: a FIFO's path"
	t_like "$(kd chardev)" "[Cc]har" "describe: character device"
	for k in eventfd timerfd signalfd epoll inotify pidfd memfd; do
		t_like "$(kd "$k")" "$k" "describe: $k"
	done
	t_like "$(kd pidfd)" "(^|[^0-9])$(pv child "$T/kinds/pids")([^0-9]|$)" "describe gives a pidfd's pid"
	t_like "$(kd socketpair)" "[Uu][Nn][Ii][Xx]" "describe gives a socket's family"
	t_like "$(kd socketpair)" "[Ss][Tt][Rr][Ee][Aa][Mm]" "describe gives a socket's type (stream)"
	t_like "$(kd dgram)" "[Dd][Gg][Rr][Aa][Mm]|[Dd]atagram" "describe gives a socket's type (datagram)"
	t_like "$(kd listening)" "[Ll]isten" "describe gives a socket's state (listening)"
	t_like "$(kd connected)" "[Cc]onnected|[Ee]stablished" "describe gives a socket's state (connected)"
	t_like "$(kd listening)" "$T/kinds/listening.sock" "describe gives a socket's local address"
	t_like "$(kd connected)" "$T/kinds/server.sock" "describe gives a socket's peer address"
	t_like "$(kd connected)" "(^|[^0-9])$(pv server "$T/kinds/pids")([^0-9]|$)" "describe gives a socket's peer credentials (pid)"

	: >"$T/empty"
	# shellcheck disable=SC2094 # two descriptors of one empty file, on purpose
	run tmop "$F" describe -J 3 4 3<"$T/empty" 4<>"$T/empty"
	printf '%s\n' "$out" >"$T/dj"
	t_ok "describe -J prints one JSON object per descriptor per line" eval '[ "$(peer json "$T/dj")" = 2 ]'
	t_ok "describe gives the access mode (read-only and read-write differ)" peer jdiff "$T/dj" 3 4
	run tmop "$F" describe --json 3 4 3>"$T/empty" 4>>"$T/empty"
	printf '%s\n' "$out" >"$T/dj"
	t_ok "describe gives the flags (O_APPEND or not differ)" peer jdiff "$T/dj" 3 4
	t_ok "describe --json gives the descriptor's number and path" peer jhas "$T/dj" 3 4 "$T/empty"

	rm -f "$T/held"
	bg "$T/hpid" "$PY" "$T/peer.py" hold "$T/held" "$T/f3"
	hj=$bgt hpid=$bgp
	wait_file "$T/held"
	read -r ha hb <"$T/held"
	run tmop "$F" describe --pid="$hpid"
	t_st 0 "describe --pid exits 0"
	t_like "$out" "$T/f3" "describe --pid describes that process's descriptors"
	run tmop "$F" describe -J -p "$hpid" "$ha" "$hb"
	printf '%s\n' "$out" >"$T/dj"
	t_ok "describe gives close-on-exec (a cloexec and a plain descriptor differ)" peer jdiff "$T/dj" "$ha" "$hb"
	kill "$hpid" 2>/dev/null
	wait "$hj" 2>/dev/null
else
	why="python3 is missing" skips "describe kinds" "describe -J" "describe access mode" "describe flags" "describe --json fields" "describe --pid" "describe --pid path" "describe cloexec"
fi

rm -f "$S"
dstart listen "$S" "$F" describe
lready "$S"
snd "$S" "$T/f1" -n through-listen
lwait
t_like "$(cat "$T/lout")" "through-listen" "listen SOCKET fdrelay describe shows the name the program receives"
t_like "$(cat "$T/lout")" "$T/f1" "listen SOCKET fdrelay describe shows the descriptor the program receives"

# ---------------------------------------------------------------- collected last

wait "$rdef_t"
t_is "$?" 124 "send -R without --timeout gives up by itself (10 s) with status 124"

t_done
