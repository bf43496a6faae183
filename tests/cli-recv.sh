#!/bin/sh
# cli-recv.sh - fdrelay recv against the contract: what it prints, -k, policy.
# shellcheck source=tests/lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# shellcheck source=tests/lib-cli.sh
. "$TESTS_SRCDIR/lib-cli.sh"

# recv_bg [RECV OPTIONS...]: a recv on $S in the background, its stdout in
# $T/rout and stderr in $T/rerr, its pid in $T/rpid; its job in $rjob.
recv_bg() {
	rm -f "$S" "$T/rpid"
	# shellcheck disable=SC2016 # the pid of the shell that becomes recv
	tmo sh -c 'echo $$ >"$0"; exec "$@"' "$T/rpid" "$FDRELAY" recv "$@" "$S" >"$T/rout" 2>"$T/rerr" &
	rjob=$!
	wait_for_socket "$S"
}
rwait() {
	wait "$rjob"
	rst=$?
	rout=$(cat "$T/rout")
}
# send_pid SEND ARGS...: runs send (bounded) with its pid in $T/spid; status in $st.
send_pid() {
	rm -f "$T/spid"
	# shellcheck disable=SC2016 # the pid of the shell that becomes send
	tmo sh -c 'echo $$ >"$0"; exec "$@"' "$T/spid" "$FDRELAY" send "$@" >"$T/sout" 2>"$T/serr"
	st=$?
	err=$(cat "$T/serr")
}
echo hello >"$T/in.txt"

# ---- text output ----
recv_bg
send_pid "$S" "$T/in.txt" -r /dev/null -n devnull
rwait
t_is "$st:$rst" "0:0" "recv acknowledges a sender (send exits 0) and exits 0"
t_is "$(printf '%s\n' "$rout" | sed -n 1p)" "sender pid $(cat "$T/spid") uid 0 gid 0 sent 2 descriptors" \
	"recv's first line gives the sender's pid, uid, gid and how many descriptors it sent"
t_is "$(printf '%s\n' "$rout" | wc -l)" 3 "recv prints one more line per descriptor"
t_like "$(printf '%s\n' "$rout" | sed -n 2p)" "^3 in\.txt: regular file $T/in\.txt, read-only" \
	"the first descriptor's line gives its number as the program would get it, name, type, path and mode"
t_like "$(printf '%s\n' "$rout" | sed -n 3p)" "^4 devnull: character device /dev/null" \
	"the second descriptor's line comes next, with its name"
t_is "$(cat "$T/rerr")" "" "recv prints nothing on stderr for a good sender"
t_ok "recv removes its socket file when it is done" test ! -e "$S"

recv_bg
send_pid "$S"
rwait
t_is "$st:$rst:$rout" "0:0:sender pid $(cat "$T/spid") uid 0 gid 0 sent 0 descriptors" \
	"a sender of no descriptor is described by its one sender line"

recv_bg
send_pid "$S" /dev/null
rwait
t_is "$st:$rst:$(printf '%s\n' "$rout" | sed -n 1p)" "0:0:sender pid $(cat "$T/spid") uid 0 gid 0 sent 1 descriptor" \
	"a sender of one descriptor is counted in the singular, as the man page says"

recv_bg
send_pid -W "$S" /dev/null
rwait
t_is "$st:$rst" "0:0" "send --wait to recv exits 0 (recv runs no program)"

# ---- --json ----
recv_bg --json
send_pid "$S" "$T/in.txt" -n 'a name' -i </dev/null
rwait
t_is "$st:$rst" "0:0" "recv --json serves a sender"
cat >"$T/check.py" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
s = objs[0]['sender']
print('%d %d %d %d' % (len(objs), s['pid'], s['uid'], s['gid']))
for o in objs[1:]:
    print('%s|%s|%s' % (o['fd'], o['name'], o['path']))
EOF
json=$("$PY" "$T/check.py" "$T/rout" 2>&1 | tr '\n' ' ')
t_is "$json" "3 $(cat "$T/spid") 0 0 3|a name|$T/in.txt 4|stdin|/dev/null " \
	"every --json line parses as JSON: the sender (pid, uid, gid), then one object per descriptor with fd, name, path"

# ---- recv closes what it received ----
cat >"$T/pipe.py" <<'EOF'
import os, subprocess, sys
fdrelay, sock = sys.argv[1], sys.argv[2]
r, w = os.pipe()
st = subprocess.call([fdrelay, 'send', sock, '-d', str(w)], pass_fds=[w])
os.close(w)
data = os.read(r, 100)   # end of file once nobody holds the write end
print('%d eof' % st if data == b'' else '%d data' % st)
EOF
recv_bg -k
res=$(tmo "$PY" "$T/pipe.py" "$FDRELAY" "$S")
t_is "$res" "0 eof" "recv -k closes the descriptors it described (the pipe's reader sees end of file while recv runs)"
t_ok "recv -k is still serving" test -S "$S"
send_pid "$S" /dev/null
t_is "$st" 0 "recv -k serves a second sender"
kill -TERM "$(cat "$T/rpid")"
rwait
t_is "$rst" 0 "SIGTERM ends recv -k with status 0"
t_ok "and removes its socket file" test ! -e "$S"
t_is "$(grep -c '^sender pid' "$T/rout")" 2 "recv -k described each sender"

# ---- policy ----
mkdir "$T/pub"
chmod 711 "$T"
chmod 777 "$T/pub"
P=$T/pub/sock
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
	rm -f "$P"
	tmo "$FDRELAY" recv -M 0666 "$P" >"$T/rout" 2>"$T/rerr" &
	rjob=$!
	wait_for_socket "$P"
	# shellcheck disable=SC2086
	run tmo $NOBODY "$FDRELAY" send "$P"
	t_is "$st" 3 "recv refuses a sender of another uid by default: the sender exits 3"
	errmsg "$P.*refused" "the sender's message names the path and says it was refused"
	t_ok "a refused sender does not end a one-shot recv" test -S "$P"
	run tmo "$FDRELAY" send "$P"
	rwait
	t_is "$st:$rst:$(grep -c '^sender' "$T/rout")" "0:0:1" "recv then serves an allowed sender, and only that one is described"
	t_like "$(cat "$T/rerr")" "^fdrelay: recv $P: refused sender .*uid 65534" "recv says on stderr whom it refused"

	for allow in --allow-uid=nobody --allow-uid=65534 --allow-gid=nogroup --allow-any; do
		rm -f "$P"
		tmo "$FDRELAY" recv -M 0666 $allow "$P" >"$T/rout" 2>"$T/rerr" &
		rjob=$!
		wait_for_socket "$P"
		# shellcheck disable=SC2086
		run tmo $NOBODY "$FDRELAY" send "$P"
		rwait
		t_like "$st:$rst:$rout" "^0:0:sender pid [0-9]+ uid 65534 gid 65534 " "recv $allow accepts and describes a sender of uid 65534"
	done
else
	t_skip "setpriv cannot switch to uid 65534" "recv's policy options"
fi

recv_bg --max-fds 1
run tmo "$FDRELAY" send "$S" /dev/null /dev/null
rwait
t_is "$st:$rst:$rout" "3:1:" "recv --max-fds 1 refuses two descriptors: sender 3, recv 1, nothing described"
t_like "$(cat "$T/rerr")" "^fdrelay: recv $S: .*more than 1 descriptor" "recv says why, naming its path"

# ---- raw, dgram, timeout, errors ----
recv_bg --raw
run tmo "$FDRELAY" send --raw -m hi "$S" "$T/in.txt" /dev/null
rwait
t_is "$st:$rst" "0:0" "recv --raw serves send --raw"
t_like "$rout" "^3 fd0: regular file $T/in.txt" "recv --raw names the descriptors fd0, fd1, ..."

recv_bg --dgram
run tmo "$FDRELAY" send --dgram "$S" "$T/in.txt"
rwait
t_like "$st:$rst:$rout" "^0:0:sender pid [0-9]+ uid 0 gid 0 sent 1 descriptor" "recv --dgram describes a datagram and its sender"

rm -f "$S"
run tmo "$FDRELAY" recv -t 0.3 "$S"
t_is "$st" 124 "recv -t 0.3 with no sender exits 124"
errmsg "recv $S.*timed out" "its message names the path"
t_ok "and removes the socket file" test ! -e "$S"

echo keep >"$T/file"
run tmo "$FDRELAY" recv "$T/file"
t_is "$st:$(cat "$T/file")" "1:keep" "recv on a regular file exits 1 and leaves it untouched"
errmsg "$T/file" "its message names the path"

recv_bg
tmo "$PY" -c 'import socket,sys; c=socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); c.sendall(b"nonsense, not a frame")' "$S"
rwait
t_is "$rst:$rout" "1:" "recv whose sender sends garbage exits 1 and describes nothing"
t_like "$(cat "$T/rerr")" "^fdrelay: recv $S: " "its message names the path"

t_done
