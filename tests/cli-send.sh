#!/bin/sh
# cli-send.sh - fdrelay send against the contract: every option, status and message.
# shellcheck source=tests/lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# shellcheck source=tests/lib-cli.sh
. "$TESTS_SRCDIR/lib-cli.sh"

echo hello >"$T/in.txt"

# ---- FILE operands and -r ----
listen_probe
run tmo "$FDRELAY" send "$S" "$T/in.txt"
lwait
t_is "$st" 0 "send SOCKET FILE exits 0 once the listener acknowledged"
t_is "$lst" 0 "the one-shot listener exits with its program's status 0"
t_is "$(pv fds)" 1 "a FILE operand arrives as one descriptor (LISTEN_FDS=1)"
t_is "$(pv names)" in.txt "a FILE operand is named after its basename"
t_is "$(pv fd3)" "$T/in.txt r" "a FILE operand is opened read-only, without O_APPEND, not close-on-exec in the program"

listen_probe
run tmo "$FDRELAY" send "$S" -r "$T/in.txt" --read="$T/in.txt" -n second
lwait
t_is "$st:$(pv fds):$(pv names)" "0:2:in.txt:second" "-r and --read send PATH read-only, in order, with default and given names"
t_is "$(pv fd4)" "$T/in.txt r" "--read opens read-only"

# ---- -w, -a, -u ----
printf 'old contents\n' >"$T/w.txt"
listen_run sh -c 'echo new >&3'
run tmo "$FDRELAY" send "$S" -w "$T/w.txt"
lwait
t_is "$st:$lst" "0:0" "send -w of an existing file exits 0"
t_is "$(cat "$T/w.txt")" new "-w truncates the file, and the program writes from its start"

(umask 027 && tmo "$FDRELAY" send -R "$S" -w "$T/w-new.txt" -a "$T/a-new.txt" -u "$T/u-new.txt") &
spid=$!
nowait=1
listen_probe
nowait=
wait "$spid"
st=$?
lwait
t_is "$st" 0 "send -w -a -u of missing files exits 0"
t_is "$(stat -c %a "$T/w-new.txt" "$T/a-new.txt" "$T/u-new.txt" | tr '\n' ' ')" "640 640 640 " \
	"-w, -a and -u create missing files with 0666 & ~umask (umask 027 gives 640)"
t_is "$(pv fd3)" "$T/w-new.txt w" "-w opens write-only without O_APPEND"
t_is "$(pv fd4)" "$T/a-new.txt w append" "-a opens write-only with O_APPEND"
t_is "$(pv fd5)" "$T/u-new.txt rw" "-u opens read-write without O_APPEND"
t_is "$(pv names)" "w-new.txt:a-new.txt:u-new.txt" "-w, -a, -u descriptors are named after their basenames"

printf 'line1\n' >"$T/a.txt"
listen_run sh -c 'echo line2 >&3'
run tmo "$FDRELAY" send "$S" --append="$T/a.txt"
lwait
t_is "$(cat "$T/a.txt")" "$(printf 'line1\nline2')" "--append keeps the contents and the program's writes go at the end"

printf 'abcdef\n' >"$T/u.txt"
# shellcheck disable=SC2016 # expanded by the program's shell
listen_run sh -c 'read -r x <&3; printf "%s" "$x" >"$0"; printf XY >&3' "$T/u-read"
run tmo "$FDRELAY" send "$S" --rdwr="$T/u.txt"
lwait
t_is "$(cat "$T/u-read")" abcdef "--rdwr keeps the contents: the program reads them"
t_is "$(cat "$T/u.txt")" "$(printf 'abcdef\nXY')" "--rdwr opens read-write like the shell's <> (no truncation, shared offset)"

# ---- -d, -i, -o, -e, -s ----
listen_probe
run tmo "$FDRELAY" send "$S" -d 7 --fd=8 7<"$T/in.txt" 8>>"$T/a.txt"
lwait
t_is "$st" 0 "send -d N of inherited descriptors exits 0"
t_is "$(pv names)" "fd7:fd8" "-d N descriptors are named fdN"
t_is "$(pv fd3)" "$T/in.txt r" "-d 7 sends the inherited 7<file itself (read-only)"
t_is "$(pv fd4)" "$T/a.txt w append" "-d 8 sends the inherited 8>>file with its O_APPEND"

run tmo "$FDRELAY" send "$S" -d 9
t_is "$st" 1 "send -d of a closed descriptor exits 1"
errmsg "descriptor 9" "the message names the closed descriptor"

listen_probe
tmo "$FDRELAY" send "$S" -i -o -e <"$T/in.txt" 2>>"$T/e.txt" >"$T/o.txt"
st=$?
lwait
t_is "$st" 0 "send -i -o -e exits 0"
t_is "$(pv names)" "stdin:stdout:stderr" "-i, -o, -e are named stdin, stdout, stderr"
t_is "$(pv fd3)|$(pv fd4)|$(pv fd5)" "$T/in.txt r|$T/o.txt w|$T/e.txt w append" \
	"-i, -o, -e send this process's 0, 1 and 2"

listen_probe
tmo "$FDRELAY" send "$S" --stdio <"$T/in.txt" 2>>"$T/e.txt" >"$T/o.txt"
st=$?
lwait
t_is "$st:$(pv fds):$(pv names)" "0:3:stdin:stdout:stderr" "--stdio sends 0, 1, 2 named stdin, stdout, stderr"
t_is "$(pv fd3)|$(pv fd4)|$(pv fd5)" "$T/in.txt r|$T/o.txt w|$T/e.txt w append" \
	"--stdio sends this process's own 0, 1 and 2"

listen_probe
tmo "$FDRELAY" send "$S" -s -n in -i </dev/null >/dev/null 2>&1
lwait
t_is "$(pv names)" "stdin:stdout:in:stdin" "--name after -s names its last descriptor (stderr), the others keep their names"

# ---- names ----
listen_probe
run tmo "$FDRELAY" send "$S" "$T/in.txt" -n 'with space' -r /dev/null -n "$(printf '%0255d' 7)" -o -n x
lwait
t_is "$st" 0 "names with a space and of 255 characters are accepted"
t_is "$(pv names)" "with space:$(printf '%0255d' 7):x" "names reach LISTEN_FDNAMES exactly, in order"

for bad in '' 'a:b' "$(printf 'a\001b')" "$(printf '%0256d' 0)" "$(printf 'a\177')"; do
	run tmo "$FDRELAY" send "$S" -r /dev/null -n "$bad"
	t_is "$st" 2 "an invalid name (len ${#bad}) is a usage error"
done
errmsg "--name '" "the usage error names --name and quotes the name"
run tmo "$FDRELAY" send "$S" -n x
t_is "$st" 2 "--name with no descriptor before it is a usage error"
errmsg "--name 'x'" "the message names the option and the name"
run tmo "$FDRELAY" send "$S" -i -n a -n b
t_is "$st" 2 "--name twice for the same descriptor is a usage error"
errmsg "--name 'b'" "the message names the second name"

mkdir -p "$T/dir:x"
echo z >"$T/dir:x/we:ird"
listen_probe
run tmo "$FDRELAY" send "$S" "$T/dir:x/we:ird"
lwait
t_is "$st" 0 "a file whose basename contains ':' can be sent without --name"
t_like "$(pv names)" '^[^:]+$' "its default name has no ':' (LISTEN_FDNAMES stays one field)"

# ---- zero descriptors ----
listen_probe
run tmo "$FDRELAY" send "$S"
lwait
t_is "$st:$lst" "0:0" "sending no descriptor at all is allowed and runs the program"
t_is "$(pv fds):$(pv names)" "0:" "the program gets LISTEN_FDS=0 and an empty LISTEN_FDNAMES"

listen_run sh -c 'exit 5'
run tmo "$FDRELAY" send -W "$S"
lwait
t_is "$st" 5 "send --wait with no descriptor exits with the program's status"

# ---- --wait ----
listen_run sh -c 'exit 7'
run tmo "$FDRELAY" send "$S" -r /dev/null
lwait
t_is "$st:$lst" "0:7" "without --wait send exits 0 whatever the program's status (the listener exits 7)"

listen_run sh -c 'cat <&3 >/dev/null; exit 42'
run tmo "$FDRELAY" send --wait "$S" /dev/null
lwait
t_is "$st:$lst" "42:42" "send --wait exits with the program's exit status"

listen_run sh -c 'kill -USR1 $$'
run tmo "$FDRELAY" send -W "$S"
lwait
t_is "$st" 138 "send --wait exits 128+N when signal N (USR1) killed the program"

listen_run sh -c 'exit 0'
run tmo "$FDRELAY" send -W "$S"
lwait
t_is "$st" 0 "send --wait exits 0 when the program succeeded"

# Signals during --wait are forwarded: the program traps each and exits with its own code.
# shellcheck disable=SC2016 # expanded by the program's shell
trapper='trap "exit 20" INT; trap "exit 21" TERM; trap "exit 22" HUP; trap "exit 23" QUIT
: >"$0"; while :; do sleep 0.05; done'
code=20
for sig in INT TERM HUP QUIT; do
	rm -f "$T/ready"
	listen_run sh -c "$trapper" "$T/ready"
	# shellcheck disable=SC2016 # the pid of the shell that becomes send
	tmo sh -c 'echo $$ >"$1"; exec "$2" send -W "$3"' sh "$T/spid" "$FDRELAY" "$S" 2>"$T/serr" &
	jpid=$!
	n=0
	while [ ! -e "$T/ready" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
	kill -s "$sig" "$(cat "$T/spid")"
	wait "$jpid"
	st=$?
	lwait
	t_is "$st:$lst" "$code:$code" "SIG$sig sent to send --wait is forwarded to the program (it exits $code)"
	code=$((code + 1))
done

# ---- --timeout, --retry, no listener ----
rm -f "$S"
run tmo "$FDRELAY" send "$S" -r /dev/null
t_is "$st" 1 "without a listener (no socket) send exits 1 at once"
errmsg "$S" "the message names the socket path"

rm -f "$S"
run tmo "$FDRELAY" send -t 5 "$S"
t_is "$st" 1 "without --retry a missing socket exits 1 even with --timeout"

"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$S"
run tmo "$FDRELAY" send "$S"
t_is "$st" 1 "a socket file nobody listens on (connection refused) exits 1 at once"
errmsg "$S" "the message names the socket path"

rm -f "$S"
run tmo "$FDRELAY" send -R -t 0.5 "$S"
t_is "$st" 124 "send -R -t 0.5 to a socket that never appears exits 124"
errmsg "$S.*timed out" "the timeout message names the path and says it timed out"

# A listener that accepts and never answers.
rm -f "$S"
tmo "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen()
c = s.accept()
time.sleep(30)' "$S" &
ppid=$!
wait_for_socket "$S"
run tmo "$FDRELAY" send -t 0.5 "$S" -r /dev/null
t_is "$st" 124 "send -t 0.5 to a listener that never acknowledges exits 124"
errmsg "$S.*timed out" "the message names the socket and the timeout"
kill "$ppid" 2>/dev/null
wait "$ppid" 2>/dev/null
rm -f "$S"

# --retry: the listener appears after the sender started; a stale file first refuses.
"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$S"
tmo "$FDRELAY" send -R "$S" "$T/in.txt" 2>"$T/serr" &
spid=$!
sleep 0.5
nowait=1
listen_probe
nowait=
wait "$spid"
st=$?
lwait
t_is "$st:$lst" "0:0" "send -R keeps retrying while the socket refuses or is missing, and delivers once a listener appears"
t_is "$(pv names)" in.txt "the retried send delivered its descriptor"

# ---- -v ----
listen_probe
run tmo "$FDRELAY" send -v "$S" "$T/in.txt" -i </dev/null
lwait
t_is "$st" 0 "send -v exits 0"
errmsg "connected to $S" "-v says where it connected"
errmsg "sent 2 descriptors" "-v says how many descriptors it sent"
errmsg "acknowledged 2 descriptors" "-v says how many the listener acknowledged"
listen_probe
run tmo "$FDRELAY" send "$S" "$T/in.txt" -i </dev/null
lwait
t_is "$st:$lst:$err" "0:0:" "without -v a successful send prints nothing on stderr"
run tmo "$FDRELAY" send "$S" -r /dev/null
t_is "$err" "fdrelay: send: connect $S: nothing is there (no listener has bound it; --retry waits for one)" \
	"without -v a failing send prints exactly one message, naming the path and the reason"

# ---- --raw, --message, --dgram ----
cat >"$T/rawrecv.py" <<'EOF'
import array, os, socket, sys
kind, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
t = socket.SOCK_DGRAM if kind == 'dgram' else socket.SOCK_STREAM
s = socket.socket(socket.AF_UNIX, t)
s.bind(path)
if t == socket.SOCK_STREAM:
    s.listen()
    c, _ = s.accept()
else:
    c = s
msg, fds, flags, _ = socket.recv_fds(c, 4096, 300)
paths = [os.readlink('/proc/self/fd/%d' % fd) for fd in fds]
with open(out, 'w') as f:
    f.write('%s %d %s\n' % (msg.hex(), len(fds), ' '.join(paths)))
EOF
rawtest() { # rawtest KIND SEND-OPTIONS...: raw receiver in python, result in $raw
	_k=$1
	shift
	rm -f "$S" "$T/raw"
	tmo "$PY" "$T/rawrecv.py" "$_k" "$S" "$T/raw" &
	_p=$!
	wait_for_socket "$S"
	run tmo "$FDRELAY" send "$S" "$@"
	wait "$_p"
	raw=$(cat "$T/raw" 2>/dev/null)
}
rawtest stream --raw -r "$T/in.txt" -r /dev/null
t_is "$st" 0 "send --raw to a python recv_fds peer exits 0"
t_is "$raw" "00 2 $T/in.txt /dev/null" "--raw sends one NUL byte and every descriptor, in order, in one message"

# shellcheck disable=SC1003 # the backslashes are fdrelay's escapes
rawtest stream --raw -m 'a\nb\tc\\d\0e\x41\x7fz' -i </dev/null
t_is "$raw" "610a6209635c640065417f7a 1 /dev/null" "--message decodes the escapes (newline, tab, backslash, NUL, hex) exactly"

rawtest dgram --dgram -m 'FDSTORE=1\nFDNAME=x' "$T/in.txt"
t_is "$st" 0 "send --dgram exits 0 once the datagram is sent"
t_is "$raw" "$(printf 'FDSTORE=1\nFDNAME=x' | od -An -tx1 | tr -d ' \n') 1 $T/in.txt" \
	"--dgram sends the message and descriptor as one datagram (implies --raw)"

rawtest dgram --dgram
t_is "$raw" "00 0 " "--dgram with no descriptor sends just one NUL byte"

rm -f "$S"
run tmo "$FDRELAY" send --dgram "$S" /dev/null
t_is "$st" 1 "send --dgram to a missing socket exits 1"
errmsg "$S" "the message names the path"

# ---- --seqpacket ----
listen_probe --seqpacket
run tmo "$FDRELAY" send --seqpacket "$S" "$T/in.txt" -o >/dev/null
st=$?
lwait
t_is "$st:$lst:$(pv names)" "0:0:in.txt:stdout" "send --seqpacket delivers to listen --seqpacket"

listen_probe --seqpacket
run tmo "$FDRELAY" send "$S" "$T/in.txt"
t_is "$st" 1 "a stream sender to a seqpacket listener exits 1"
errmsg "$S" "the message names the path"
kill "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null

# ---- open failures ----
run tmo "$FDRELAY" send "$S" "$T/in.txt" "$T/no-such-file"
t_is "$st" 1 "a FILE that cannot be opened makes send exit 1"
errmsg "$T/no-such-file: No such file" "the message names the file and the reason"
run tmo "$FDRELAY" send "$S" -w "$T/no-dir/x"
t_is "$st" 1 "-w into a missing directory makes send exit 1"
errmsg "$T/no-dir/x" "the message names the file"
listen_probe
run tmo "$FDRELAY" send "$S" "$T/in.txt" "$T/no-such-file"
t_is "$st" 1 "(a FILE that cannot be opened, with a listener waiting: send exits 1)"
t_ok "files are opened before connecting: the one-shot listener is still waiting" test -S "$S"
run tmo "$FDRELAY" send "$S" "$T/in.txt"
lwait
t_is "$st:$lst:$(pv names)" "0:0:in.txt" "and it then serves the next sender, having seen nothing of the failed one"

# ---- policy: a refused sender exits 3 ----
mkdir "$T/pub"
chmod 711 "$T"
chmod 777 "$T/pub"
P=$T/pub/sock
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	rm -f "$T/probe"
	tmo "$FDRELAY" listen -M 0666 "$P" "$PY" "$T/probe.py" "$T/probe" 2>"$T/lerr" &
	lpid=$!
	wait_for_socket "$P"
	run tmo setpriv --reuid=65534 --regid=65534 --clear-groups "$FDRELAY" send "$P"
	t_is "$st" 3 "a sender of another uid is refused by the default policy and exits 3"
	errmsg "$P.*refused" "the message names the path and says it was refused"
	t_ok "the one-shot listener keeps waiting after a refused sender" test -S "$P"
	run tmo "$FDRELAY" send "$P" "$T/in.txt"
	lwait
	t_is "$st:$lst:$(pv names)" "0:0:in.txt" "then an allowed sender is served"
else
	t_skip "setpriv cannot switch to uid 65534" "a sender of another uid is refused and exits 3"
fi

listen_probe --max-fds=2
run tmo "$FDRELAY" send "$S" -r /dev/null -r /dev/null -r /dev/null
lwait
t_is "$st" 3 "more descriptors than the listener's --max-fds: send exits 3"
errmsg "$S.*too many descriptors" "the message names the path and says too many descriptors"
t_is "$lst" 1 "and the one-shot listener exits 1"

# ---- more than 253 descriptors ----
mkdir "$T/many"
set --
i=0
while [ $i -lt 600 ]; do
	: >"$T/many/$i"
	set -- "$@" "$T/many/$i"
	i=$((i + 1))
done
listen_probe
run tmo "$FDRELAY" send "$S" "$@"
lwait
set --
t_is "$st:$lst" "0:0" "sending 600 descriptors (several messages) exits 0"
t_is "$(pv fds)" 600 "the program gets LISTEN_FDS=600"
t_is "$(pv order)" ok "the 600 descriptors arrive as fds 3..602 in command-line order, each with its name"
t_is "$(pv open)" "0-602" "the program has exactly fds 0 to 602 open"

# ---- inherited descriptors are checked before send opens anything ----
# A closed -d N must fail even where a FILE before it, or --wait's signal
# pipe, would be opened as N and be sent in its place.
if [ -n "${FDRELAY_VALGRIND:-}" ]; then
	for d in "send FILE -d 3 with 3 closed exits 1" "its message names the closed descriptor 3" \
		"send --wait -d 3 with 3 closed exits 1"; do
		t_skip "under valgrind, whose log is descriptor 3" "$d"
	done
else
	listen_probe
	run tmo "$FDRELAY" send "$S" "$T/in.txt" -d 3 </dev/null 3<&-
	t_is "$st" 1 "send FILE -d 3 with 3 closed exits 1 (the file opened as 3 is not sent as -d 3)"
	errmsg "descriptor 3" "its message names the closed descriptor 3"
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	listen_probe
	run tmo "$FDRELAY" send -W "$S" -d 3 </dev/null 3<&-
	t_is "$st" 1 "send --wait -d 3 with 3 closed exits 1 (its own signal pipe is not sent as -d 3)"
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
fi

t_done
