#!/bin/sh
# interop-python.sh - fdrelay --raw against Python's send_fds/recv_fds, OpenSSH's and systemd's framings.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PY=${PYTHON3:-python3}
if ! "$PY" -c 'import socket, sys; sys.exit(not hasattr(socket, "send_fds"))' 2>/dev/null; then
	t_skip "no python3 with socket.send_fds (3.9 or later): '$PY'" "python interop"
	t_done
	exit $?
fi

# The Python peer: every mode prints "key value" lines that the tests check.
cat >"$T/peer.py" <<'EOF'
import array, os, socket, struct, subprocess, sys, time

TYPES = {"stream": socket.SOCK_STREAM, "seqpacket": socket.SOCK_SEQPACKET,
         "dgram": socket.SOCK_DGRAM}

def addr(a):
    return "\0" + a[1:] if a.startswith("@") else a

def same(fd, path):
    a, b = os.fstat(fd), os.stat(path)
    return "yes" if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) else "no"

def server(kind, where, passcred=False):
    s = socket.socket(socket.AF_UNIX, TYPES[kind])
    s.settimeout(20)
    if passcred:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(addr(where))
    if kind != "dgram":
        s.listen(4)
    return s

def run(cmd, keep=()):
    return subprocess.Popen(cmd, pass_fds=keep)

def finish(p, conn, s):
    print("status", p.wait(timeout=20))
    if conn is not s:
        conn.close()
    s.close()

def cmd_recv(kind, where, file1, file2, cmd):
    """recv_fds from cmd; cmd gets file2 open at {fd}; checks both fds."""
    s = server(kind, where)
    mine = os.open(file2, os.O_RDONLY)
    p = run([a.replace("{fd}", str(mine)) for a in cmd], (mine,))
    conn = s if kind == "dgram" else s.accept()[0]
    conn.settimeout(20)
    msg, fds, flags, _ = socket.recv_fds(conn, 4096, 16)
    print("msg", msg.hex())
    print("nfds", len(fds))
    print("ctrunc", "yes" if flags & socket.MSG_CTRUNC else "no")
    if len(fds) == 2:
        print("same0", same(fds[0], file1))
        print("same1", same(fds[1], file2))
        print("read0", os.read(fds[0], 64).hex())
        os.lseek(mine, 5, os.SEEK_SET)
        print("offset1", os.lseek(fds[1], 0, os.SEEK_CUR))
    for fd in fds:
        os.close(fd)
    os.close(mine)
    finish(p, conn, s)

def connect(kind, where):
    end = time.monotonic() + 10
    while True:
        s = socket.socket(socket.AF_UNIX, TYPES[kind])
        try:
            s.connect(addr(where))
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if time.monotonic() > end:
                raise
            time.sleep(0.05)

def cmd_send(kind, where, msghex, files):
    """send_fds msg and the files, in one message."""
    s = connect(kind, where)
    fds = [os.open(f, os.O_RDONLY) for f in files]
    n = socket.send_fds(s, [bytes.fromhex(msghex)], fds)
    print("sent", n)
    for fd in fds:
        os.close(fd)
    s.close()

def cmd_fdpass(where, cmd):
    """OpenSSH mm_receive_fd's way: recvmsg of 1 byte, room for one int."""
    s = server("stream", where)
    here, there = socket.socketpair()
    p = run([a.replace("{fd}", str(there.fileno())) for a in cmd], (there.fileno(),))
    there.close()
    conn = s.accept()[0]
    conn.settimeout(20)
    data, anc, flags, _ = conn.recvmsg(1, socket.CMSG_SPACE(struct.calcsize("i")))
    print("data", data.hex())
    print("ncmsg", len(anc))
    fds = []
    for level, typ, cdata in anc:
        print("cmsg", "rights" if (level, typ) == (socket.SOL_SOCKET, socket.SCM_RIGHTS) else "other", len(cdata))
        if typ == socket.SCM_RIGHTS:
            fds += array.array("i", cdata[:len(cdata) - len(cdata) % 4]).tolist()
    print("ctrunc", "yes" if flags & socket.MSG_CTRUNC else "no")
    if len(fds) == 1:
        t = socket.socket(fileno=fds[0])
        t.settimeout(20)
        t.sendall(b"ping")
        print("through", here.recv(16).decode())
        t.close()
    print("eof", "yes" if conn.recv(16) == b"" else "no")
    finish(p, conn, s)

def cmd_notify(where, path, cmd):
    """A notify socket: SOCK_DGRAM with SO_PASSCRED, as systemd's manager does."""
    s = server("dgram", where, passcred=True)
    p = run(cmd)
    fdsize = struct.calcsize("i")
    data, anc, flags, _ = s.recvmsg(4096, socket.CMSG_SPACE(16 * fdsize) +
                                    socket.CMSG_SPACE(struct.calcsize("3i")))
    print("text", data.hex())
    fds, cred = [], None
    for level, typ, cdata in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds += array.array("i", cdata[:len(cdata) - len(cdata) % fdsize]).tolist()
        elif level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            cred = struct.unpack("3i", cdata)
    print("nfds", len(fds))
    if len(fds) == 1:
        print("same", same(fds[0], path))
    for fd in fds:
        os.close(fd)
    if cred:
        print("credpid", "sender" if cred[0] == p.pid else cred[0])
        print("creduid", cred[1])
        print("credgid", cred[2])
    finish(p, s, s)

mode, args = sys.argv[1], sys.argv[2:]
cmd = args[args.index("--") + 1:] if "--" in args else []
args = args[:args.index("--")] if "--" in args else args
try:
    {"recv": lambda: cmd_recv(*args, cmd), "send": lambda: cmd_send(args[0], args[1], args[2], args[3:]),
     "fdpass": lambda: cmd_fdpass(*args, cmd), "notify": lambda: cmd_notify(*args, cmd)}[mode]()
except Exception as e:
    print("error", repr(e))
    sys.exit(1)
EOF

# field KEY: the value of "KEY value" in $out.
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

printf 'first file\n' >"$T/one"
printf 'second file, longer\n' >"$T/two"

# ---- (a) fdrelay send --raw into Python's recv_fds ----
for kind in stream seqpacket dgram; do
	opt=; [ "$kind" = stream ] || opt=--$kind
	# shellcheck disable=SC2086 # $opt is empty or one word
	run tmo "$PY" "$T/peer.py" recv "$kind" "$T/a-$kind" "$T/one" "$T/two" -- \
		"$FDRELAY" send --raw $opt -m 'hello\n' "$T/a-$kind" "$T/one" -d '{fd}'
	t_is "$(field status)" 0 "$kind: send --raw to a Python recv_fds peer exits 0"
	t_is "$(field msg)" "$(hex 'hello
')" "$kind: Python receives exactly the --message bytes (hello, newline)"
	t_is "$(field nfds) $(field ctrunc)" "2 no" "$kind: Python receives both descriptors, not truncated"
	t_is "$(field same0) $(field same1)" "yes yes" "$kind: the descriptors are the files sent (same st_dev:st_ino), in order"
	t_is "$(field read0)" "$(hex 'first file
')" "$kind: the file opened by send reads from its start"
	t_is "$(field offset1)" 5 "$kind: a descriptor sent with -d shares its file offset with the original"
	[ -z "$(field error)" ] || t_diag "python: $(field error) / $err"
done

# ---- (b) Python's send_fds into fdrelay listen --raw ----
cat >"$T/prog.sh" <<'EOF'
#!/bin/sh
# Reports what the listener's program was given.
{
	echo "fds=${LISTEN_FDS-unset}"
	echo "names=${LISTEN_FDNAMES-unset}"
	[ "${LISTEN_PID-}" = "$$" ] && echo "pid=self" || echo "pid=${LISTEN_PID-unset}"
	if [ "${FDRELAY_MESSAGE+set}" = set ]; then
		echo "msg=$(printf %s "$FDRELAY_MESSAGE" | od -An -tx1 | tr -d ' \n')"
	else
		echo "msg=unset"
	fi
	echo "fd3=$(cat <&3)"
	echo "fd4=$(cat <&4)"
} >"$REPORT" 2>&1
EOF
chmod +x "$T/prog.sh"

# listen_py KIND MSGHEX LABEL: fdrelay listen --raw, Python sends one and two; report in $T/rep-LABEL.
listen_py() {
	opt=; [ "$1" = stream ] || opt=--$1
	rm -f "$T/ready"
	# shellcheck disable=SC2086 # $opt is empty or one word
	REPORT="$T/rep-$3" tmo "$FDRELAY" listen --raw $opt --ready-fd 5 "$T/b-$3" "$T/prog.sh" \
		5>"$T/ready" 2>"$T/lerr-$3" &
	lpid=$!
	n=0
	while [ ! -s "$T/ready" ] && [ $n -lt 200 ] && kill -0 $lpid 2>/dev/null; do
		sleep 0.05; n=$((n + 1))
	done
	run tmo "$PY" "$T/peer.py" send "$1" "$T/b-$3" "$2" "$T/one" "$T/two"
	wait $lpid
	lst=$?
	rep=$(cat "$T/rep-$3" 2>/dev/null)
}
rfield() { printf '%s\n' "$rep" | sed -n "s/^$1=//p"; }

text='héllo wörld
tab	end'
for kind in stream seqpacket dgram; do
	listen_py "$kind" "$(hex "$text")" "$kind"
	t_is "$st $lst" "0 0" "$kind: Python send_fds to listen --raw: both exit 0"
	t_is "$(rfield fds) $(rfield names) $(rfield pid)" "2 fd0:fd1 self" \
		"$kind: the program gets LISTEN_FDS=2, LISTEN_FDNAMES=fd0:fd1, LISTEN_PID of its own"
	t_is "$(rfield msg)" "$(hex "$text")" "$kind: UTF-8 text reaches the program unchanged as FDRELAY_MESSAGE"
	t_is "$(rfield fd3)/$(rfield fd4)" "first file/second file, longer" "$kind: the program reads the sent files at fds 3 and 4, in order"
done
for case in stream:610062:nul seqpacket:c080:overlong dgram:fffe41:invalid stream:eda080:surrogate; do
	kind=${case%%:*}; rest=${case#*:}; msg=${rest%%:*}; what=${rest#*:}
	listen_py "$kind" "$msg" "$what"
	t_is "$st $lst $(rfield fds)" "0 0 2" "$kind: a binary message ($what) still delivers both descriptors"
	t_is "$(rfield msg)" unset "$kind: FDRELAY_MESSAGE is unset for a message that is not text ($what: $msg)"
done

# ---- (c) fdrelay recv --raw describes what Python sent ----
rm -f "$T/ready"
tmo "$FDRELAY" recv --raw --ready-fd 5 "$T/c" >"$T/c.out" 2>"$T/c.err" 5>"$T/ready" &
cpid=$!
n=0
while [ ! -s "$T/ready" ] && [ $n -lt 200 ] && kill -0 $cpid 2>/dev/null; do sleep 0.05; n=$((n + 1)); done
run tmo "$PY" "$T/peer.py" send stream "$T/c" 00 "$T/one" "$T/two"
wait $cpid
cst=$?
rout=$(cat "$T/c.out")
t_is "$st $cst" "0 0" "recv --raw: a Python send_fds sender and the receiver both exit 0"
t_like "$rout" "sender pid [0-9]+ uid 0 gid 0 sent 2 descriptors" "recv --raw: names the Python sender's credentials and counts 2 descriptors"
t_like "$(printf '%s\n' "$rout" | grep -F "$T/one")" "fd0" "recv --raw: describes the first descriptor as fd0 with its path"
t_like "$(printf '%s\n' "$rout" | grep -F "$T/two")" "fd1" "recv --raw: describes the second descriptor as fd1 with its path"

# ---- (d) OpenSSH ProxyUseFdpass framing: one byte, one descriptor ----
run tmo "$PY" "$T/peer.py" fdpass "$T/d" -- "$FDRELAY" send --raw -m '\0' "$T/d" -d '{fd}'
t_is "$(field status)" 0 "fdpass: send --raw with a NUL --message and -d N to an OpenSSH-style receiver exits 0"
t_is "$(field data)" 00 "fdpass: the receiver's one-byte read gets the NUL byte"
t_is "$(field ncmsg) $(field cmsg) $(field ctrunc)" "1 rights 4 no" "fdpass: exactly one SCM_RIGHTS with one descriptor fits mm_receive_fd's buffer"
t_is "$(field through)" ping "fdpass: the received descriptor is the socket that was sent (data crosses it)"
t_is "$(field eof)" yes "fdpass: nothing follows the byte (the sender closes)"
run tmo "$PY" "$T/peer.py" fdpass "$T/d2" -- "$FDRELAY" send --raw "$T/d2" -d '{fd}'
t_is "$(field status) $(field data) $(field ncmsg)" "0 00 1" "fdpass: without --message, send --raw sends one NUL byte"

# ---- (e) systemd's notify protocol: FDSTORE over a datagram ----
for where in "$T/notify" "@fdrelay-notify-$$"; do
	run tmo "$PY" "$T/peer.py" notify "$where" "$T/two" -- \
		"$FDRELAY" send --dgram --message 'FDSTORE=1\nFDNAME=foo' "$where" "$T/two"
	t_is "$(field status)" 0 "notify $where: send --dgram to a SO_PASSCRED datagram socket exits 0"
	t_is "$(field text)" "$(hex 'FDSTORE=1
FDNAME=foo')" "notify $where: the datagram is exactly FDSTORE=1, newline, FDNAME=foo"
	t_is "$(field nfds) $(field same)" "1 yes" "notify $where: one descriptor comes with it, the file sent"
	t_is "$(field credpid) $(field creduid) $(field credgid)" "sender 0 0" "notify $where: SCM_CREDENTIALS name the sending fdrelay process"
	[ -z "$(field error)" ] || t_diag "python: $(field error) / $err"
done

t_done
