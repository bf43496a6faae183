#!/bin/sh
# cli-security.sh - what docs/security.md says the listener defends, checked against the binary.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PY=${PYTHON3:-python3}
have_py=0
if "$PY" -c 'import socket, sys; sys.exit(not hasattr(socket, "send_fds"))' 2>/dev/null; then
	have_py=1
fi
# Senders of another uid: root becomes uid 65534 with setpriv.
as_nobody=0
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	as_nobody=1
fi
NOPY="needs python3 3.9+ with socket.send_fds ('$PY')"
NOROOT="needs root and setpriv to run a sender as uid 65534"

# A 0755 directory with a copy of the binary, reachable by uid 65534.
D=$T/pub
mkdir "$D" && chmod 0755 "$T" "$D"
cp "$FDRELAY" "$D/fdrelay" && chmod 0755 "$D/fdrelay"
echo hello >"$T/a.txt"

cat >"$T/peer.py" <<'EOF'
# peer.py MODE ARGS: hostile senders and listeners; prints "key value" lines.
import os, socket, struct, sys, time

def hdr(typ, nfds, length, flags=0):
    # magic 0xFD, version 1, type, flags, nfds, len (docs/protocol.md)
    return struct.pack(">BBBBHH", 0xFD, 1, typ, flags, nfds, length)

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    return s

def replies(s):
    """Reads until EOF; prints the first frame's type and payload."""
    data = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
    except (ConnectionResetError, socket.timeout) as e:
        print("readerr", type(e).__name__)
    if len(data) >= 8 and data[0] == 0xFD:
        print("reply", data[2])
        print("text", data[8:8 + struct.unpack(">H", data[6:8])[0]].decode("ascii", "replace"))
    else:
        print("reply none")

mode = sys.argv[1]
null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
if mode == "stall":
    # Half an OFFER of one descriptor, then nothing: the listener must time out.
    s = connect(sys.argv[2])
    frame = hdr(1, 1, 4) + b"\x03abc"
    socket.send_fds(s, [frame[:10]], [null])
    with open(sys.argv[3], "w") as f:
        f.write("stalled\n")
    replies(s)
elif mode == "overcount":
    # A header announcing three descriptors that carries one.
    s = connect(sys.argv[2])
    socket.send_fds(s, [hdr(1, 3, 6) + b"\x01a\x01b\x01c"], [null])
    s.shutdown(socket.SHUT_WR)
    replies(s)
elif mode == "errlistener":
    # A hostile listener: answers any sender with an ERROR full of escapes.
    l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    l.bind(sys.argv[2])
    l.listen(1)
    l.settimeout(30)
    c, _ = l.accept()
    c.settimeout(30)
    c.recv(65536)
    text = b"\x1b]0;owned\x07\x1b[31mred\x1b[0m\r\nfake: line"
    c.sendall(hdr(4, 0, len(text)) + text)
    c.close()
elif mode == "watch":
    # lstat PATH in a tight loop until STOP exists; counts sightings.
    path, stop = sys.argv[2], sys.argv[3]
    seen = wider = 0
    n = 0
    while True:
        n += 1
        if n % 256 == 0 and os.path.exists(stop):
            break
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        if (st.st_mode & 0o170000) == 0o140000:
            seen += 1
            if st.st_mode & 0o177:
                wider += 1
    print("seen", seen)
    print("wider", wider)
else:
    sys.exit("unknown mode " + mode)
EOF
field() { sed -n "s/^$1 //p" "$2"; }
# fdset PID: a process's descriptors and what they point to, one line.
fdset() {
	for f in /proc/"$1"/fd/*; do
		printf '%s=%s ' "${f##*/}" "$(readlink "$f")"
	done
}
# mkstale PATH: a socket file nobody listens on (python binds, then exits).
mkstale() {
	"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1" 2>/dev/null
}
# wait_lines FILE N: waits (bounded) until FILE has N lines; a -k sender
# exits at the ACK, before its program has run.
wait_lines() {
	_i=0
	while [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -lt "$2" ] && [ "$_i" -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
}
# wait_pid PID: waits (bounded by tmo) until a background process is gone.
wait_pid() {
	# shellcheck disable=SC2016  # $1 belongs to the inner shell
	TMO=60 tmo sh -c 'while kill -0 "$1" 2>/dev/null; do sleep 0.1; done' sh "$1"
}

# ---- The socket file ------------------------------------------------------

S=$T/s
(umask 0 && exec "$FDRELAY" listen "$S" true) 2>"$T/l.err" &
lpid=$!
wait_for_socket "$S" 10
t_is "$(stat -c %a "$S" 2>&1)" 600 "under umask 0 the socket file gets the default mode 0600"
tmo "$FDRELAY" send "$S" >/dev/null 2>&1
wait "$lpid"
(umask 0 && exec "$FDRELAY" listen -M 0640 "$S" true) 2>"$T/l.err" &
lpid=$!
wait_for_socket "$S" 10
t_is "$(stat -c %a "$S" 2>&1)" 640 "-M 0640 under umask 0 gives exactly 0640"
tmo "$FDRELAY" send "$S" >/dev/null 2>&1
wait "$lpid"

# A watcher lstat()s the path in a tight loop while listeners bind and go,
# 100 times, under umask 0: bind-then-chmod would show 0777 now and then.
if [ "$have_py" -eq 1 ]; then
	W=$T/w
	"$PY" "$T/peer.py" watch "$W" "$T/stop" >"$T/watch.out" &
	wpid=$!
	i=0
	while [ "$i" -lt 100 ]; do
		(umask 0 && exec "$FDRELAY" listen -k "$W" true) 2>>"$T/w.err" &
		p=$!
		wait_for_socket "$W" 10
		kill -TERM "$p"
		wait "$p"
		i=$((i + 1))
	done
	: >"$T/stop"
	tmo_w=0
	while kill -0 "$wpid" 2>/dev/null && [ "$tmo_w" -lt 200 ]; do
		sleep 0.1
		tmo_w=$((tmo_w + 1))
	done
	wait "$wpid"
	t_diag "watcher saw the socket file $(field seen "$T/watch.out") times"
	if [ "$(field seen "$T/watch.out")" = 0 ]; then
		t_skip "the watcher never caught the file" "the socket file is never wider than 0600"
	else
		t_is "$(field wider "$T/watch.out")" 0 \
			"100 listeners under umask 0: a concurrent lstat never sees the socket file wider than 0600"
	fi
else
	t_skip "$NOPY" "the socket file is never wider than 0600"
fi

# ---- Nothing at SOCKET is followed or removed, except a stale socket ------

# occupied WHAT DESCRIPTION: listen on $T/occ must fail with status 1, naming
# the path, and leave what is there (checked by the caller) alone.
occupied() {
	run tmo "$FDRELAY" listen "$T/occ" true
	t_is "$st" 1 "$1 at SOCKET: listen exits 1"
	t_like "$err" "$T/occ" "$1 at SOCKET: the message names the path"
}
echo precious >"$T/file"
rm -f "$T/occ"
ln -s "$T/file" "$T/occ"
occupied "a symlink to a regular file"
t_is "$(readlink "$T/occ"):$(cat "$T/file")" "$T/file:precious" "the symlink and its target are untouched"

# A symlink to a stale socket: the stale socket must not be replaced through it.
rm -f "$T/occ" "$T/stale"
if [ "$have_py" -eq 1 ] && mkstale "$T/stale"; then
	ino=$(stat -c %i "$T/stale")
	ln -s "$T/stale" "$T/occ"
	occupied "a symlink to a stale socket"
	t_is "$(readlink "$T/occ"):$(stat -c %i "$T/stale" 2>/dev/null)" "$T/stale:$ino" \
		"the symlink and the stale socket it points to are untouched"
else
	t_skip "$NOPY" "a symlink to a stale socket is left alone"
fi

rm -f "$T/occ"
printf 'keep me\n' >"$T/occ"
occupied "a regular file"
t_is "$(cat "$T/occ")" "keep me" "the regular file keeps its contents"

rm -f "$T/occ"
mkfifo "$T/occ"
occupied "a FIFO"
t_ok "the FIFO is still there (and was not opened: listen did not block)" test -p "$T/occ"

rm -f "$T/occ"
mkdir "$T/occ"
occupied "a directory"
t_ok "the directory is still there" test -d "$T/occ"
rmdir "$T/occ"

# A live listener (-k): a second one fails, the first keeps its socket and
# goes on serving.  (The second one's stale check connects to the first,
# which serves that connection as a sender that sent nothing.)
# shellcheck disable=SC2016  # $1 and $LISTEN_FDNAMES belong to the program
"$FDRELAY" listen -k "$T/occ" sh -c 'echo "$LISTEN_FDNAMES" >>"$1"' sh "$T/live.out" 2>"$T/live.err" &
lpid=$!
wait_for_socket "$T/occ" 10
ino=$(stat -c %i "$T/occ")
occupied "a live listener"
t_like "$err" "live|in use" "a live listener at SOCKET: the message says another listener is live"
t_is "$(stat -c %i "$T/occ" 2>&1)" "$ino" "the live listener's socket file is untouched"
run tmo "$FDRELAY" send "$T/occ" "$T/a.txt"
wait_lines "$T/live.out" 1
t_is "$st:$(cat "$T/live.out" 2>/dev/null)" "0:a.txt" "the live listener still serves its senders"
kill -TERM "$lpid"
wait "$lpid"

# The same against a one-shot listener: the probe is accepted as a sender
# that hangs up without a byte, which must not end the listener.
"$FDRELAY" listen "$T/occ" true 2>"$T/live1.err" &
lpid=$!
wait_for_socket "$T/occ" 10
run tmo "$FDRELAY" listen "$T/occ" true
t_is "$st" 1 "a second listener on a one-shot listener's SOCKET exits 1"
run tmo "$FDRELAY" send "$T/occ" "$T/a.txt"
wait "$lpid"
t_is "$st:$?" "0:0" "the one-shot listener survives that probe and serves its sender"

# A stale socket (nobody accepts) is replaced.
rm -f "$T/occ"
if [ "$have_py" -eq 1 ] && mkstale "$T/occ"; then
	ino=$(stat -c %i "$T/occ")
	"$FDRELAY" listen "$T/occ" true 2>"$T/stale.err" &
	lpid=$!
	i=0
	while [ "$(stat -c %i "$T/occ" 2>/dev/null)" = "$ino" ] && [ "$i" -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	run tmo "$FDRELAY" send "$T/occ" "$T/a.txt"
	wait "$lpid"
	t_is "$st:$?" "0:0" "a stale socket at SOCKET is replaced by a working listener"
else
	t_skip "$NOPY" "a stale socket at SOCKET is replaced"
fi

# ---- Who may send ----------------------------------------------------------

if [ "$as_nobody" -eq 1 ]; then
	# policy CASE EXPECTED LISTEN-ARGS...: a sender of uid/gid 65534 to a
	# listener with the given options exits EXPECTED.
	policy() {
		_c=$1 _e=$2
		shift 2
		"$FDRELAY" listen -t 20 "$@" true 2>"$T/p.err" &
		_p=$!
		case $1 in
		@*) sleep 0.3 ;;		# nothing to wait for on an abstract name
		*) wait_for_socket "$D/p" 10 ;;
		esac
		run tmo setpriv --reuid=65534 --regid=65534 --clear-groups "$D/fdrelay" send "$P" /dev/null
		t_is "$st" "$_e" "$_c"
		if [ "$_e" -ne 0 ]; then
			# The one-shot listener waits on; an allowed sender ends it.
			tmo "$FDRELAY" send "$P" /dev/null >/dev/null 2>&1
		fi
		wait "$_p"
	}
	P=@fdrelay-sec-$$
	policy "an @abstract socket refuses a sender of another uid by default (exit 3)" 3 "$P"
	policy "an @abstract socket with --allow-uid 65534 accepts that uid" 0 --allow-uid 65534 "$P"
	policy "an @abstract socket with --allow-gid 65534 accepts that gid" 0 --allow-gid 65534 "$P"
	policy "--allow-any accepts a sender of any uid" 0 --allow-any "$P"
	P=$D/p
	policy "a socket file made 0666 still refuses another uid by default (exit 3)" 3 -M 0666 "$P"
	policy "with --allow-uid 65534 a 0666 socket file accepts that uid" 0 -M 0666 --allow-uid 65534 "$P"
	policy "the default mode 0600 keeps another uid from connecting at all (exit 1)" 1 "$P"
	t_like "$err" "[Pp]ermission denied" "that sender is told permission was denied on connect"
else
	for c in "an @abstract socket refuses another uid by default" "--allow-uid, --allow-gid, --allow-any" \
		"a 0666 socket file still refuses another uid" "mode 0600 keeps another uid out"; do
		t_skip "$NOROOT" "$c"
	done
fi

# ---- Hostile senders against -k ---------------------------------------------

if [ "$have_py" -eq 1 ]; then
	K=$T/k
	# shellcheck disable=SC2016  # $1 and $LISTEN_FDNAMES belong to the program
	"$FDRELAY" listen -k --timeout 5 "$K" sh -c 'echo "$LISTEN_FDNAMES" >>"$1"' sh "$T/k.log" 2>"$T/k.err" &
	kpid=$!
	wait_for_socket "$K" 10
	fd0=$(fdset "$kpid")

	"$PY" "$T/peer.py" stall "$K" "$T/stalled" >"$T/stall.out" 2>&1 &
	spid=$!
	i=0
	while [ ! -s "$T/stalled" ] && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	run tmo "$FDRELAY" send "$K" "$T/a.txt"
	# Nothing told the stalled sender anything yet (--timeout 5 is far off).
	t_is "$st:$(cat "$T/stall.out")" "0:" \
		"-k: a sender is served while another has sent half a frame and stalls"
	wait_pid "$spid"
	wait "$spid"
	t_is "$(field reply "$T/stall.out")" 4 "the stalled sender is dropped after --timeout with an ERROR frame"
	t_like "$(field text "$T/stall.out")" "timed out" "the ERROR says the delivery timed out"
	t_like "$(cat "$T/k.err")" "timed out" "the listener logs the timeout"

	TMO=60 run tmo "$PY" "$T/peer.py" overcount "$K"
	t_is "$(field reply "$T/out")" 4 "-k: a header announcing 3 descriptors with 1 attached gets an ERROR"
	run tmo "$FDRELAY" send "$K" "$T/a.txt"
	t_is "$st" 0 "-k: the listener serves the next sender after a stalled and a lying one"
	wait_lines "$T/k.log" 2
	t_is "$(cat "$T/k.log")" "$(printf 'a.txt\na.txt')" "only the two good senders ran the program"
	# The listener closes its copy of a connection just after handing it to
	# a worker, which may acknowledge first: give it a moment (valgrind is slow).
	i=0
	while [ "$(fdset "$kpid")" != "$fd0" ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	fd1=$(fdset "$kpid")
	t_is "$fd1" "$fd0" "-k: the listener's own descriptor table is the same after hostile senders"
	kill -TERM "$kpid"
	wait "$kpid"
else
	t_skip "$NOPY" "-k: stalled and lying senders are dropped while others are served"
fi

# -j 2: two programs that block (each reads a FIFO until the test closes
# its write end, fd 7 or 8 here, which nothing else may inherit); a third
# sender waits until one of them ends, then is served.
J=$T/j
mkfifo "$T/f1" "$T/f2"
exec 7<>"$T/f1" 8<>"$T/f2"
# shellcheck disable=SC2016  # $1 and $LISTEN_FDNAMES belong to the program
"$FDRELAY" listen -k -j 2 "$J" sh -c 'echo "start $LISTEN_FDNAMES" >>"$1"; cat <&3 >/dev/null; echo "end $LISTEN_FDNAMES" >>"$1"' \
	sh "$T/j.log" 2>"$T/j.err" 7>&- 8>&- &
jpid=$!
wait_for_socket "$J" 10
run tmo "$FDRELAY" send "$J" "$T/f1" 7>&- 8>&-
s1=$st
run tmo "$FDRELAY" send "$J" "$T/f2" 7>&- 8>&-
t_is "$s1:$st" "0:0" "-j 2: two senders are served, their programs block"
# (A plain command: dash does not apply 7>&- to a backgrounded function call.)
timeout -k 5 60 "$FDRELAY" send "$J" /dev/null >"$T/third.out" 2>&1 7>&- 8>&- &
third=$!
# Both programs have started; give the third sender time to connect (a
# shorter wait only weakens the test).
wait_lines "$T/j.log" 2
sleep 1
exec 7>&-
wait_pid "$third"
wait "$third"
t_is "$?" 0 "-j 2: the third sender is served once a program ends"
wait_lines "$T/j.log" 4
t_is "$(sed -n 3,4p "$T/j.log" | tr '\n' ' ')" "end f1 start null " "-j 2: the third program started only after the first ended"
run tmo "$FDRELAY" send "$J" /dev/null 8>&-
t_is "$st" 0 "-j 2: the listener keeps accepting after children end"
exec 8>&-
kill -TERM "$jpid"
wait "$jpid"
t_is "$?" 0 "-j 2: SIGTERM stops the listener with status 0"

# ---- Truncated control data --------------------------------------------------

if command -v prlimit >/dev/null 2>&1; then
	R=$T/r
	prlimit --nofile=24:24 "$FDRELAY" listen "$R" true 2>"$T/r.err" &
	rpid=$!
	wait_for_socket "$R" 10
	set --
	i=0
	while [ "$i" -lt 40 ]; do set -- "$@" /dev/null; i=$((i + 1)); done
	run tmo "$FDRELAY" send "$R" "$@"
	wait "$rpid"
	rst=$?
	t_is "$st:$rst" "1:1" "a listener at RLIMIT_NOFILE 24 sent 40 descriptors: both exit 1"
	t_like "$err" "truncated" "the sender is told the descriptors were truncated"
	set --
else
	t_skip "no prlimit" "truncated control data closes everything"
fi

# ---- A hostile listener ------------------------------------------------------

if [ "$have_py" -eq 1 ]; then
	E=$T/e
	"$PY" "$T/peer.py" errlistener "$E" &
	epid=$!
	i=0
	while [ ! -S "$E" ] && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	run tmo "$FDRELAY" send "$E" "$T/a.txt"
	wait "$epid"
	t_is "$st" 1 "an ERROR from the listener makes send exit 1"
	esc=$(printf '\033')
	case $err in
	*"$esc"* | *"$(printf '\r')"*) t_report 1 "a hostile ERROR text reaches the terminal without escapes or CR" ;;
	*) t_report 0 "a hostile ERROR text reaches the terminal without escapes or CR" ;;
	esac
	t_like "$err" "red.*fake: line" "the ERROR text is printed, sanitized"
else
	t_skip "$NOPY" "a hostile listener's ERROR text is sanitized"
fi

t_done
