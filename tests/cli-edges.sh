#!/bin/sh
# cli-edges.sh - what a person at a terminal does in the first hour: ^C,
# | head, >/dev/full, >&-, the wrong socket type, a stale socket, a FIFO
# with no writer, a listener of another uid.  Each of these once went wrong.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
need_python

S=$T/sock
# A copy of the binary that uid 65534 can run, and a directory where it may bind.
D=$T/pub
mkdir "$D" && chmod 0755 "$T" "$D" && mkdir -m 1777 "$D/s"
cp "$FDRELAY" "$D/fdrelay" && chmod 0755 "$D/fdrelay"
NOBODY=
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
NOROOT="needs root and setpriv to run a process as uid 65534"

# bg_listen CMD...: CMD (a listener on $S) in the background, stderr in $T/lerr; $lpid.
bg_listen() {
	rm -f "$S"
	tmo "$@" 2>"$T/lerr" &
	lpid=$!
	wait_for_socket "$S"
}
lwait() {
	wait "$lpid"
	lst=$?
	lerr=$(cat "$T/lerr")
}

# ---- A message arrives whole or not at all ----------------------------------

cat >"$T/bigdg.py" <<'EOF'
# bigdg.py SOCK BYTES: one datagram of BYTES bytes carrying one descriptor.
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
s.connect(sys.argv[1])
socket.send_fds(s, [b"x" * int(sys.argv[2])], [os.open("/dev/null", os.O_RDONLY)])
EOF
# shellcheck disable=SC2016 # expanded by the program
bg_listen "$FDRELAY" listen --dgram "$S" sh -c 'echo "${#FDRELAY_MESSAGE}" >"$0"' "$T/len"
run "$PY" "$T/bigdg.py" "$S" 100000
lwait
t_is "$st:$lst:$(cat "$T/len" 2>/dev/null)" "0:1:" \
	"a 100000-byte datagram is refused whole (listen exits 1), never run cut at 65536"
t_like "$lerr" "refused a message of more than 65536 bytes; its descriptors are closed" \
	"and listen says why"
# shellcheck disable=SC2016
bg_listen "$FDRELAY" listen --dgram "$S" sh -c 'echo "${#FDRELAY_MESSAGE}" >"$0"' "$T/len"
run "$PY" "$T/bigdg.py" "$S" 65536
lwait
t_is "$st:$lst:$(cat "$T/len" 2>/dev/null)" "0:0:65536" "a datagram of exactly 65536 bytes arrives whole"

# ---- ^C reaches the program once ----------------------------------------------

cat >"$T/terminal.py" <<'EOF'
# terminal.py READY CMD...: runs CMD as the foreground job of a new terminal,
# types ^C once READY exists, and prints what the terminal showed.
import os, pty, select, sys, time
pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
end = time.time() + 60
while not os.path.exists(sys.argv[1]) and time.time() < end:
    time.sleep(0.05)
time.sleep(0.3)
os.write(master, b"\x03")
out = b""
while time.time() < end:
    if select.select([master], [], [], 0.2)[0]:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    elif os.waitpid(pid, os.WNOHANG)[0]:
        break
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
EOF
cat >"$T/count-int.sh" <<'EOF'
# count-int.sh READY: counts the SIGINTs it gets for a while, then says how many.
n=0
trap 'n=$((n + 1))' INT
: >"$1"
i=0
while [ "$i" -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
echo "INT received $n"
EOF
rm -f "$S" "$T/ready"
(tmo "$FDRELAY" send --retry "$S" /dev/null >/dev/null 2>&1 &)
run tmo "$PY" "$T/terminal.py" "$T/ready" "$FDRELAY" listen "$S" sh "$T/count-int.sh" "$T/ready"
t_like "$out" "INT received 1$" \
	"one ^C at the terminal reaches the listener's program once, not again forwarded by listen"

# A signal sent to the listener alone is still forwarded.
rm -f "$S"
# shellcheck disable=SC2016
tmo sh -c 'echo $$ >"$0.pid"; exec "$@"' "$T/int" "$FDRELAY" listen "$S" \
	sh -c 'trap "echo INT >\"\$0\"; exit 5" INT; : >"$0.up"; while :; do sleep 0.1; done' "$T/int" 2>"$T/lerr" &
lpid=$!
wait_for_socket "$S"
tmo "$FDRELAY" send "$S" >/dev/null 2>&1
until [ -e "$T/int.up" ]; do sleep 0.05; done
kill -INT "$(cat "$T/int.pid")"
lwait
t_is "$lst:$(cat "$T/int" 2>/dev/null)" "5:INT" "a SIGINT sent to the listener with kill(1) is forwarded to the program"

# ---- A reader going away never kills fdrelay -----------------------------------

rm -f "$S"
(tmo "$FDRELAY" listen -k -v "$S" true 2>&1 | head -n 1 >"$T/head") &
hjob=$!
wait_for_socket "$S"
sends=
for _ in 1 2 3; do
	tmo "$FDRELAY" send "$S" /dev/null 2>>"$T/serr"
	sends="$sends$?"
done
t_is "$sends" "000" "listen -k -v 2>&1 | head -1: three senders after head exited are all served"
t_ok "and the listener is still listening" test -S "$S"
pkill -TERM -f "listen -k -v $S" 2>/dev/null
wait "$hjob"
t_ok "once stopped, it removes its socket file" wait_gone "$S"

# ---- Output that cannot be written is an error ----------------------------------

for target in /dev/full closed; do
	if [ "$target" = closed ] && [ -n "${FDRELAY_VALGRIND:-}" ]; then
		t_skip "valgrind opens its log on the closed descriptor" "recv with its standard output closed exits 1"
		t_skip "valgrind opens its log on the closed descriptor" "and says standard output failed (closed)"
		continue
	fi
	# shellcheck disable=SC2016 # the inner shell's arguments
	bg_listen sh -c 'if [ "$1" = closed ]; then exec "$2" recv "$3" >&-; else exec "$2" recv "$3" >"$1"; fi' \
		_ "$target" "$FDRELAY" "$S"
	tmo "$FDRELAY" send "$S" /dev/null 2>/dev/null
	lwait
	t_is "$lst" 1 "recv with its standard output $target exits 1"
	t_like "$lerr" "^fdrelay: recv: standard output" "and says standard output failed ($target)"
done
# ARGS|WHO: fdrelay ARGS, whose message names WHO.
for case in "--help|" "--version|" "send --help|send: " "help|help: " "describe 0|describe: "; do
	args=${case%%|*}
	# shellcheck disable=SC2086
	"$FDRELAY" $args >/dev/full 2>/dev/null
	t_is "$?" 1 "fdrelay $args >/dev/full exits 1"
	if [ -n "${FDRELAY_VALGRIND:-}" ]; then
		t_skip "valgrind opens its log on the closed descriptor" "fdrelay $args >&- exits 1 saying standard output is closed"
		continue
	fi
	# shellcheck disable=SC2086
	"$FDRELAY" $args >&- 2>"$T/e"
	t_is "$?:$(cat "$T/e")" "1:fdrelay: ${case#*|}standard output is closed" \
		"fdrelay $args >&- exits 1 saying standard output is closed"
done
rm -f "$S"
(tmo "$FDRELAY" recv -k "$S" 2>"$T/rerr" | head -n 1 >/dev/null) &
hjob=$!
wait_for_socket "$S"
tmo "$FDRELAY" send "$S" /dev/null 2>/dev/null
tmo "$FDRELAY" send "$S" /dev/null 2>/dev/null
wait "$hjob"
t_ok "recv -k | head -1 stops once head is gone, and removes its socket file" wait_gone "$S" 5
t_like "$(cat "$T/rerr")" "^fdrelay: recv $S: standard output is gone" "and says why it stopped"

# ---- One line, one write -----------------------------------------------------------

if ! command -v strace >/dev/null 2>&1; then
	t_skip "strace is not installed" "a message goes to stderr in one write(2)"
elif [ -n "${FDRELAY_VALGRIND:-}" ]; then
	t_skip "strace would trace valgrind, not fdrelay" "a message goes to stderr in one write(2)"
else
	# (Lines of a sanitizer's own, "==PID==...", are not fdrelay's.)
	strace -f -s 4096 -e trace=write -o "$T/strace" "$FDRELAY" send "$T/nothing" 2>/dev/null
	t_is "$(grep 'write(2,' "$T/strace" | grep -v 'write(2, "==' | sed 's/^[0-9]* *//; s/, [0-9]*) *= [0-9]*$//')" \
		"write(2, \"fdrelay: send: connect $T/nothing: nothing is there (no listener has bound it; --retry waits for one)\\n\"" \
		"a message goes to stderr in one write(2), so lines never interleave"
fi

# ---- One delivery deadline, from accept -------------------------------------------

cat >"$T/slow.py" <<'EOF'
# slow.py SOCK FIRST LAST: connects, sends the first byte of an empty OFFER
# at FIRST seconds and the rest at LAST; prints what came back.
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t0 = time.monotonic()
hdr = bytes([0xFD, 1, 1, 0, 0, 0, 0, 0])
time.sleep(float(sys.argv[2]))
s.send(hdr[:1])
time.sleep(max(0, float(sys.argv[3]) - (time.monotonic() - t0)))
try:
    s.send(hdr[1:])
except OSError:
    pass
try:
    r = s.recv(100)
except OSError:
    r = b""
print("ack" if r[2:3] == b"\x02" else "error" if r[2:3] == b"\x04" else "closed")
EOF
bg_listen "$FDRELAY" listen -t 2 "$S" true
run tmo "$PY" "$T/slow.py" "$S" 1 2.6
lwait
t_is "$out:$lst" "error:1" \
	"listen -t 2: a sender whose first byte comes at 1 s and last at 2.6 s is dropped (2 s from accept, not 2 more after its first byte)"

# ---- recv -k serves senders side by side ------------------------------------------

rm -f "$S"
tmo "$FDRELAY" recv -k -t 30 "$S" >"$T/rk" 2>/dev/null &
rjob=$!
wait_for_socket "$S"
"$PY" -c 'import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(8)' "$S" &
silent=$!
sleep 0.3
run tmo "$FDRELAY" send -t 5 "$S" /dev/null
t_is "$st" 0 "recv -k serves a sender while another one, connected first, sends nothing"
n=0
until grep -q '^sender' "$T/rk" || [ "$n" -gt 200 ]; do sleep 0.05; n=$((n + 1)); done
kill "$rjob" "$silent" 2>/dev/null
wait "$rjob" "$silent" 2>/dev/null
t_is "$(grep -c '^sender' "$T/rk")" 1 "and describes that sender"

# ---- Usage: what newcomers type ------------------------------------------------------

run "$FDRELAY" send -h
t_is "$st" 0 "fdrelay send -h prints send's help and exits 0"
t_like "$out" "^Usage: fdrelay send" "fdrelay send -h shows send's usage"
run "$FDRELAY" help
t_is "$st" 0 "fdrelay help exits 0"
t_like "$out" "^Usage: fdrelay send" "fdrelay help prints the usage on stdout"
run "$FDRELAY" help listen
t_like "$st:$out" "^0:Usage: fdrelay listen" "fdrelay help listen prints listen's help"
run "$FDRELAY" help frobnicate
t_is "$st" 2 "fdrelay help with an unknown command exits 2"
run "$FDRELAY" listen -j 2 "$S" true
t_is "$st" 2 "-j without -k is a usage error"
t_like "$err" "^fdrelay: listen: --max-children: only meaningful with -k" "and says -j needs -k"

# ---- Diagnoses instead of errno text ------------------------------------------------

: >"$T/regular"
run "$FDRELAY" send "$T/regular" /dev/null
t_like "$st:$err" "^1:fdrelay: send: connect $T/regular: not a socket but a regular file$" \
	"send to a regular file says it is not a socket"
"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/stale"
run "$FDRELAY" send "$T/stale" /dev/null
t_like "$st:$err" "^1:fdrelay: send: connect $T/stale: a stale socket: nothing accepts connections on it" \
	"send to a stale socket says it is stale"
bg_listen "$FDRELAY" listen --seqpacket -t 10 "$S" true
run "$FDRELAY" send "$S" /dev/null
t_like "$st:$err" "^1:.*connect with --seqpacket" "a stream sender at a seqpacket listener is told to use --seqpacket"
run "$FDRELAY" send --seqpacket "$S" /dev/null
lwait
t_is "$st:$lst" "0:0" "the seqpacket listener was not used up by that probe and serves the right sender"
bg_listen "$FDRELAY" listen --raw -t 10 "$S" true
run "$FDRELAY" send "$S" /dev/null
lwait
t_like "$err" "the listener reported an error: this listener takes --raw messages: send with --raw" \
	"a framed sender at a --raw listener is told to send with --raw"
t_like "$lst:$lerr" "^1:.*speaks fdrelay's framing, but this listener is --raw" \
	"and the --raw listener says the sender speaks fdrelay's framing"
bg_listen "$FDRELAY" listen -t 10 "$S" true
run "$FDRELAY" send --raw "$S" /dev/null
lwait
t_like "$lst:$lerr" "^1:.*not fdrelay's protocol \(a --raw sender\? then listen with --raw\)" \
	"a framed listener says a raw sender does not speak fdrelay's protocol"
cat >"$T/tcp.py" <<'EOF'
# tcp.py CMD...: CMD with a listening TCP socket as descriptor 3, under LISTEN_FDS.
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
fd = s.detach()
if fd != 3:
    os.dup2(fd, 3)
os.set_inheritable(3, True)
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execvp(sys.argv[1], sys.argv[1:])
EOF
run tmo "$PY" "$T/tcp.py" "$FDRELAY" listen --inherit true
t_like "$st:$err" "^1:fdrelay: listen --inherit: descriptor 3 is an IPv4 \(TCP or UDP\) socket; fdrelay needs a unix socket" \
	"listen --inherit of a TCP socket says what it got and what it needs"
run tmo "$FDRELAY" send --retry -t 0.5 "$T/nothing" /dev/null
t_like "$st:$err" "^124:fdrelay: send $T/nothing: timed out after 0.5 seconds connecting \(last attempt: nothing is there" \
	"a --retry that times out says the last reason"
mkfifo "$T/fifo"
run tmo "$FDRELAY" send -t 0.5 "$S" "$T/fifo"
t_like "$st:$err" "^124:fdrelay: send $S: timed out after 0.5 seconds opening $T/fifo" \
	"-t bounds opening a FIFO nobody writes to, and says so"
bg_listen "$FDRELAY" listen -v -t 10 "$S" true
run "$FDRELAY" send -v "$S" /dev/null
lwait
t_like "$err" "sent 1 descriptor to" "send -v counts one descriptor in the singular"
t_like "$lerr" "received 1 descriptor from" "listen -v counts one descriptor in the singular"

# ---- The sender checks the listener -------------------------------------------------

if [ -z "$NOBODY" ]; then
	for d in "send refuses a listener of another uid (exit 3)" "nothing reached that listener" \
		"--allow-uid lets send give it descriptors" "--allow-any lets send give it descriptors" \
		"a datagram socket file of another uid is refused" "--allow-uid admits it"; do
		t_skip "$NOROOT" "$d"
	done
else
	P=$D/s/p.sock
	rm -f "$P"
	# shellcheck disable=SC2086,SC2016
	tmo $NOBODY "$D/fdrelay" listen -t 10 "$P" sh -c 'echo "$LISTEN_FDS" >"$0"' "$D/s/got" 2>"$T/lerr" &
	lpid=$!
	wait_for_socket "$P"
	run "$FDRELAY" send "$P" /dev/null
	t_like "$st:$err" "^3:fdrelay: send $P: refused the listener: the listener runs as uid 65534 \(nobody\)" \
		"send refuses a listener of another uid (exit 3), naming its uid"
	t_ok "nothing reached that listener" test ! -e "$D/s/got"
	run "$FDRELAY" send --allow-uid=nobody "$P" /dev/null
	lwait
	t_is "$st:$lst:$(cat "$D/s/got")" "0:0:1" "--allow-uid lets send give it descriptors"
	# shellcheck disable=SC2086,SC2016
	tmo $NOBODY "$D/fdrelay" listen -t 10 "$P" true 2>/dev/null &
	lpid=$!
	wait_for_socket "$P"
	run "$FDRELAY" send --allow-any "$P" /dev/null
	wait "$lpid"
	t_is "$st:$?" "0:0" "--allow-any lets send give it descriptors"
	rm -f "$P"
	# shellcheck disable=SC2086
	tmo $NOBODY "$D/fdrelay" listen --dgram --allow-any -t 10 "$P" true 2>/dev/null &
	lpid=$!
	wait_for_socket "$P"
	run "$FDRELAY" send --dgram "$P" /dev/null
	t_like "$st:$err" "^3:.*the socket file is owned by uid 65534" "a datagram socket file of another uid is refused"
	run "$FDRELAY" send --dgram --allow-uid=65534 "$P" /dev/null
	wait "$lpid"
	t_is "$st:$?" "0:0" "--allow-uid admits it"
fi

t_done
