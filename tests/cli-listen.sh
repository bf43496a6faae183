#!/bin/sh
# cli-listen.sh - fdrelay listen against the contract: environment, descriptors, policy, lifetime.
# shellcheck source=tests/lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# shellcheck source=tests/lib-cli.sh
. "$TESTS_SRCDIR/lib-cli.sh"

# start_pid PIDFILE CMD...: runs CMD in the background (bounded) as a process
# whose pid lands in PIDFILE, so that signals reach CMD itself; $! is its job.
start_pid() {
	_pf=$1
	shift
	rm -f "$_pf"
	# shellcheck disable=SC2016 # the pid of the shell that becomes CMD
	tmo sh -c 'echo $$ >"$0"; exec "$@"' "$_pf" "$@" &
	while [ ! -s "$_pf" ]; do sleep 0.01; done
}
# wait_file PATH: waits (bounded) until PATH exists and is not empty.
wait_file() {
	_n=0
	while [ ! -s "$1" ] && [ $_n -lt 200 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
}
# fdlist PID: the descriptors a process has open.
fdlist() {
	# shellcheck disable=SC2012 # descriptor numbers only
	ls "/proc/$1/fd" | sort -n | tr '\n' ' '
}

echo hello >"$T/in.txt"
# What a background listener's 1 and 2 are (the TAP stream and $T/lerr).
OUT1=$(readlink "/proc/$$/fd/1")

# ---- what the program receives ----
listen_probe
start_pid "$T/spid" "$FDRELAY" send "$S" "$T/in.txt" -r /dev/null -n devnull
wait $!
st=$?
lwait
t_is "$st:$lst" "0:0" "a one-shot listener runs its program on the sender's descriptors and exits with its status"
t_is "$(pv fds)" 2 "LISTEN_FDS is the number of descriptors sent"
t_is "$(pv pid)" ok "LISTEN_PID is the program's own pid"
t_is "$(pv names)" "in.txt:devnull" "LISTEN_FDNAMES lists the names in the order sent"
t_is "$(pv fd3)|$(pv fd4)" "$T/in.txt r|/dev/null r" \
	"the descriptors are the program's fds 3, 4 in the order sent, not close-on-exec"
t_is "$(pv open)" "0-4" "the program has exactly fds 0, 1, 2 and the received ones open"
t_is "$(pv peer)" "$(cat "$T/spid"):0:0" "FDRELAY_PEER_PID/UID/GID are the sender's pid, uid and gid"
t_is "$(pv std)" "/dev/null|$OUT1|$T/lerr" "the program inherits the listener's own 0, 1 and 2"

# sd_listen_fds() semantics, when libsystemd is there.
if [ -x "$TESTS_BUILDDIR/sd-listen" ]; then
	# shellcheck disable=SC2016 # expanded by the program's shell
	listen_run sh -c 'exec "$0" >"$1"' "$TESTS_BUILDDIR/sd-listen" "$T/sd"
	run tmo "$FDRELAY" send "$S" "$T/in.txt" -n one -r /dev/null -n two
	lwait
	t_is "$st:$lst" "0:0" "a program using sd_listen_fds_with_names() runs"
	t_is "$(sed -n 's/^\(count\|fd\) \([^ ]*\)\( [^ ]* [^ ]*\)\{0,1\}.*/\1 \2\3/p' "$T/sd" | tr '\n' ' ')" \
		"count 2 fd 3 name one fd 4 name two " "sd_listen_fds_with_names() finds fds 3 and 4 with the names sent"
	t_like "$(cat "$T/sd")" "env unset" "sd_listen_fds(unset_environment=1) finds LISTEN_* for itself and unsets them"
	t_like "$(cat "$T/sd")" "others -$" "the program has no descriptor above 2 besides the received ones"
else
	t_skip "tests/sd-listen not built (no libsystemd)" "a program using sd_listen_fds_with_names() runs"
fi

# What listen itself inherited (an extra descriptor, LISTEN_* for someone else) stays behind.
rm -f "$T/probe" "$S"
LISTEN_FDS=4 LISTEN_PID=$$ LISTEN_FDNAMES=a:b:c:d tmo "$FDRELAY" listen "$S" \
	"$PY" "$T/probe.py" "$T/probe" 2>"$T/lerr" 7<"$T/in.txt" 9>"$T/extra" &
lpid=$!
wait_for_socket "$S"
run tmo "$FDRELAY" send "$S" -r /dev/null
lwait
t_is "$(pv open)" "0-3" "descriptors listen inherited (7, 9) do not reach the program"
t_is "$(pv fds):$(pv names)" "1:null" "LISTEN_* variables listen itself received are not passed on"
t_is "$(pv pid)" ok "LISTEN_PID is the program's pid even when listen received another"

# A sender of another uid (allowed) shows up in FDRELAY_PEER_*.
mkdir "$T/pub"
chmod 711 "$T"
chmod 777 "$T/pub"
P=$T/pub/sock
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
if $NOBODY true 2>/dev/null; then
	have_nobody=1
else
	have_nobody=
fi
# listen_pub [OPTIONS...]: a one-shot probe listener on $P that uid 65534 can reach.
listen_pub() {
	rm -f "$T/probe" "$P"
	tmo "$FDRELAY" listen -M 0666 "$@" "$P" "$PY" "$T/probe.py" "$T/probe" 2>"$T/lerr" &
	lpid=$!
	wait_for_socket "$P"
}
if [ -n "$have_nobody" ]; then
	listen_pub --allow-any
	# shellcheck disable=SC2086 # $NOBODY is a command and its options
	start_pid "$T/spid" $NOBODY "$FDRELAY" send "$P"
	wait $!
	st=$?
	lwait
	t_is "$st:$(pv peer)" "0:$(cat "$T/spid"):65534:65534" \
		"with --allow-any a sender of uid 65534 is served and its pid, uid, gid reach the program"
else
	t_skip "setpriv cannot switch to uid 65534" "with --allow-any a sender of another uid is served"
fi

# ---- where PROGRAM begins ----
for args in "S echo -k -t 1 x" "-t 5 S echo -t x" "S -- echo --mode x" "-- S echo -- x" "-M 0600 -v S -v echo -v"; do
	rm -f "$S" "$T/pout"
	# shellcheck disable=SC2086 # word lists on purpose
	set -- $args
	want=
	for a; do
		shift
		[ "$a" = S ] && a=$S
		set -- "$@" "$a"
	done
	# shellcheck disable=SC2016 # expanded by the inner shell
	tmo sh -c 'exec "$@" >"$0"' "$T/pout" "$FDRELAY" listen "$@" 2>/dev/null &
	lpid=$!
	wait_for_socket "$S"
	run tmo "$FDRELAY" send "$S"
	lwait
	want=${args##*echo }
	t_is "$lst:$(cat "$T/pout")" "0:$want" "listen $args: options stop at PROGRAM, whose arguments are its own"
done

# ---- --stdio ----
listen_probe --stdio
tmo "$FDRELAY" send "$S" "$T/in.txt" --stdio -r /dev/null -n stdin </dev/null >"$T/o.txt" 2>>"$T/e.txt"
st=$?
lwait
t_is "$st:$lst" "0:0" "listen --stdio serves a sender that sent stdin, stdout, stderr"
t_is "$(pv std)" "/dev/null|$T/o.txt|$T/e.txt" "--stdio: descriptors named stdin, stdout, stderr become the program's 0, 1, 2"
t_is "$(pv fds):$(pv names)" "2:in.txt:stdin" \
	"--stdio: LISTEN_FDS and LISTEN_FDNAMES count only the others (a second 'stdin' is an other)"
t_is "$(pv fd3)|$(pv fd4)" "$T/in.txt r|/dev/null r" "--stdio: the others start at 3, in order"
t_is "$(pv open)" "0-4" "--stdio: the program has nothing else open"

listen_probe
tmo "$FDRELAY" send "$S" -s </dev/null >"$T/o.txt" 2>>"$T/e.txt"
lwait
t_is "$(pv fds):$(pv names):$(pv std)" "3:stdin:stdout:stderr:/dev/null|$OUT1|$T/lerr" \
	"without --stdio descriptors named stdin, stdout, stderr are fds 3, 4, 5 like any other"

# ---- -k, -j ----
rm -f "$S" "$T/klog"
# shellcheck disable=SC2016 # expanded by the program's shell
start_pid "$T/lpidf" "$FDRELAY" listen -k "$S" sh -c 'echo "$LISTEN_FDNAMES" >>"$0"' "$T/klog"
kjob=$!
wait_for_socket "$S"
for n in one two three; do
	run tmo "$FDRELAY" send -W "$S" -r /dev/null -n $n
	[ "$st" -eq 0 ] || break
done
t_is "$st:$(tr '\n' ' ' <"$T/klog")" "0:one two three " "-k serves senders one after another, one program each"
t_ok "-k keeps the socket while serving" test -S "$S"
kill -TERM "$(cat "$T/lpidf")"
wait "$kjob"
t_is "$?" 0 "SIGTERM ends listen -k with status 0"
t_ok "and removes its socket file" test ! -e "$S"

start_pid "$T/lpidf" "$FDRELAY" listen -k "$S" true
kjob=$!
wait_for_socket "$S"
run tmo "$FDRELAY" send "$S"
kill -INT "$(cat "$T/lpidf")"
wait "$kjob"
t_is "$?:$st" "0:0" "SIGINT ends listen -k with status 0"
t_ok "and removes its socket file" test ! -e "$S"

# -j 1: B's program may start only after A's ended.
rm -f "$S" "$T/jlog" "$T/release"
# shellcheck disable=SC2016 # expanded by the program's shell
start_pid "$T/lpidf" "$FDRELAY" listen -k -j 1 "$S" sh -c \
	'echo "start $LISTEN_FDNAMES" >>"$0"; while [ ! -e "$1" ]; do sleep 0.02; done; echo "end $LISTEN_FDNAMES" >>"$0"' \
	"$T/jlog" "$T/release"
kjob=$!
wait_for_socket "$S"
run tmo "$FDRELAY" send "$S" -r /dev/null -n A
wait_file "$T/jlog"
tmo "$FDRELAY" send -v -W "$S" -r /dev/null -n B 2>"$T/serr" &
bjob=$!
n=0
while ! grep -q 'sent 1 descriptors' "$T/serr" && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
sleep 0.3 # room for a wrong listener to start B's program early
: >"$T/release"
wait "$bjob"
bst=$?
kill -TERM "$(cat "$T/lpidf")"
wait "$kjob"
t_is "$bst:$(tr '\n' ' ' <"$T/jlog")" "0:start A end A start B end B " \
	"-j 1: a second sender waits until the first program ended"

# ---- -M ----
listen_run true
t_is "$(stat -c %a "$S")" 600 "the socket file's mode is 0600 by default"
run tmo "$FDRELAY" send "$S"
lwait
for m in 0640 666 0700; do
	rm -f "$S"
	(umask 077 && tmo "$FDRELAY" listen -M $m "$S" true 2>"$T/lerr") &
	lpid=$!
	wait_for_socket "$S"
	t_is "$(stat -c %a "$S")" "${m#0}" "-M $m sets exactly that mode (umask 077 notwithstanding)"
	run tmo "$FDRELAY" send "$S"
	lwait
done

# ---- policy ----
if [ -n "$have_nobody" ]; then
	for allow in --allow-uid=65534 --allow-uid=nobody --allow-uid=1,nobody,2 \
		--allow-gid=65534 --allow-gid=nogroup --allow-any; do
		listen_pub $allow
		# shellcheck disable=SC2086
		run tmo $NOBODY "$FDRELAY" send "$P" "$T/in.txt"
		lwait
		t_is "$st:$lst:$(pv names)" "0:0:in.txt" "$allow accepts a sender of uid/gid 65534"
	done

	listen_pub --allow-uid=65534
	run tmo setpriv --reuid=65533 --regid=65533 --clear-groups "$FDRELAY" send "$P"
	t_is "$st" 3 "--allow-uid=65534 refuses uid 65533: the sender exits 3"
	errmsg "$P.*refused" "the sender's message names the path and says refused"
	t_ok "a refused sender does not end a one-shot listener" test -S "$P"
	run tmo "$FDRELAY" send "$P" "$T/in.txt"
	lwait
	t_is "$st:$lst:$(pv names)" "0:0:in.txt" "the one-shot listener then serves an allowed sender (root)"
	t_like "$(cat "$T/lerr")" "^fdrelay: .*$P.*refused.*uid 65533" \
		"the listener logs the refused sender's uid and its path"

	# --allow-gid also matches a supplementary group (SO_PEERGROUPS).
	for g in --groups=4242:0 --clear-groups:3; do
		listen_pub --allow-gid=4242
		run tmo setpriv --reuid=65534 --regid=65534 "${g%:*}" "$FDRELAY" send "$P" "$T/in.txt"
		[ -S "$P" ] && tmo "$FDRELAY" send "$P" 2>/dev/null
		lwait
		t_is "$st" "${g#*:}" "--allow-gid=4242 and a sender of uid/gid 65534 with ${g%:*}: send exits ${g#*:}"
	done

	# On a datagram socket a refused message is dropped and a one-shot listener goes on.
	listen_pub --dgram
	# shellcheck disable=SC2086
	run tmo $NOBODY "$FDRELAY" send --dgram -m other "$P" /dev/null
	t_is "$st" 0 "send --dgram of uid 65534 exits 0 once the kernel took the datagram (no acknowledgement)"
	run tmo "$FDRELAY" send --dgram -m mine "$P" "$T/in.txt"
	lwait
	t_like "$st:$lst:$(pv names):$(pv peer)" "^0:0:fd0:[0-9]+:0:0$" \
		"listen --dgram drops the refused datagram and takes the next one, from root"
	t_like "$(cat "$T/lerr")" "^fdrelay: .*$P.*refused.*uid 65534" "and says on stderr whom it refused"

	listen_pub
	# shellcheck disable=SC2086
	run tmo $NOBODY "$FDRELAY" send "$P"
	t_is "$st" 3 "by default a sender of another uid is refused (exit 3)"
	listen_self=$(cat "$T/lerr")
	run tmo "$FDRELAY" send "$P"
	lwait
	t_is "$st:$lst" "0:0" "by default root is accepted"
	t_like "$listen_self" "refused" "the default listener said it refused the other uid"

	# A listener that is not root accepts its own uid, and root (who must
	# allow that listener's uid on its side: the sender checks the listener).
	rm -f "$P" "$T/pub/peer"
	# shellcheck disable=SC2086,SC2016
	tmo $NOBODY "$FDRELAY" listen "$P" sh -c 'echo "$FDRELAY_PEER_UID" >"$0"' "$T/pub/peer" 2>"$T/lerr" &
	lpid=$!
	wait_for_socket "$P"
	run tmo "$FDRELAY" send "$P"
	t_is "$st" 3 "root's send refuses a listener of uid 65534 by default (exit 3)"
	t_like "$err" "^fdrelay: send $P: refused the listener: the listener runs as uid 65534" \
		"and says which uid the listener runs as"
	run tmo "$FDRELAY" send --allow-uid=65534 "$P"
	lwait
	t_is "$st:$lst:$(cat "$T/pub/peer")" "0:0:0" "a listener of uid 65534 accepts root, who allows it with --allow-uid"
	rm -f "$T/pub/peer"
	# shellcheck disable=SC2086,SC2016
	tmo $NOBODY "$FDRELAY" listen "$P" sh -c 'echo "$FDRELAY_PEER_UID" >"$0"' "$T/pub/peer" 2>"$T/lerr" &
	lpid=$!
	wait_for_socket "$P"
	# shellcheck disable=SC2086
	run tmo $NOBODY "$FDRELAY" send "$P"
	lwait
	t_is "$st:$lst:$(cat "$T/pub/peer")" "0:0:65534" "a listener of uid 65534 accepts its own uid"
else
	t_skip "setpriv cannot switch to uid 65534" "policy options"
fi

# ---- -v ----
listen_probe
run tmo "$FDRELAY" send "$S" "$T/in.txt"
lwait
t_is "$st:$lst:$(cat "$T/lerr")" "0:0:" "without -v a listener that serves a sender prints nothing on stderr"
rm -f "$T/spid"
listen_probe -v
start_pid "$T/spid" "$FDRELAY" send "$S" "$T/in.txt" /dev/null
wait $!
st=$?
lwait
t_is "$st:$lst" "0:0" "(listen -v serves a sender)"
t_like "$(cat "$T/lerr")" "^fdrelay: listen $S: .*sender pid $(cat "$T/spid") uid 0" "listen -v logs the sender on stderr"
t_like "$(cat "$T/lerr")" "^fdrelay: listen $S: .*2 descriptors" "listen -v logs how many descriptors it sent"

# ---- --max-fds ----
listen_probe --max-fds 2
run tmo "$FDRELAY" send "$S" -r /dev/null -r /dev/null
lwait
t_is "$st:$lst:$(pv fds)" "0:0:2" "--max-fds 2 accepts exactly 2 descriptors"
listen_probe --max-fds=2
run tmo "$FDRELAY" send "$S" -r /dev/null -r /dev/null -r /dev/null
lwait
t_is "$st:$lst" "3:1" "--max-fds 2 refuses 3 descriptors: the sender exits 3, the one-shot listener 1"
t_like "$(cat "$T/lerr")" "^fdrelay: .*$S.*more than 2 descriptors" "the listener says why, naming its path"
t_ok "and its program did not run" test ! -e "$T/probe"
t_ok "and its socket file is gone" test ! -e "$S"

# ---- -t ----
rm -f "$S"
run tmo "$FDRELAY" listen -t 0.3 "$S" true
t_is "$st" 124 "a one-shot listener with -t 0.3 and no sender exits 124"
errmsg "$S.*timed out" "its message names the path and says it timed out"
t_ok "and removes its socket file" test ! -e "$S"

# ---- --ready-fd ----
rm -f "$S" "$T/probe"
mkfifo "$T/fifo"
tmo "$FDRELAY" listen --ready-fd 5 "$S" "$PY" "$T/probe.py" "$T/probe" 5>"$T/fifo" 2>"$T/lerr" &
lpid=$!
# shellcheck disable=SC2016 # expanded by the reading shell
ready=$(tmo sh -c 'read -r x <"$0" && echo "[$x]" && test -S "$1" && echo socket' "$T/fifo" "$S" | tr '\n' ' ')
t_is "$ready" "[] socket " "--ready-fd writes a newline once the socket exists"
run tmo "$FDRELAY" send "$S"
lwait
t_is "$(pv open)" "0-2" "--ready-fd's descriptor is closed: the program does not get it"

# ---- --inherit ----
cat >"$T/inherit.py" <<'EOF'
import os, socket, sys
path, argv = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen()
fd = s.detach()
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.set_inheritable(3, True)
env = dict(os.environ, LISTEN_FDS='1', LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES='listener')
os.execve(argv[0], argv, env)
EOF
rm -f "$S" "$T/probe"
tmo "$PY" "$T/inherit.py" "$S" "$FDRELAY" listen --inherit "$PY" "$T/probe.py" "$T/probe" 2>"$T/lerr" &
lpid=$!
wait_for_socket "$S"
run tmo "$FDRELAY" send "$S" "$T/in.txt"
lwait
t_is "$st:$lst" "0:0" "listen --inherit serves a sender on the socket passed as LISTEN_FDS=1"
t_is "$(pv fds):$(pv names):$(pv fd3)" "1:in.txt:$T/in.txt r" \
	"--inherit: the program gets the sender's descriptors, not the listening socket or its LISTEN_*"
t_is "$(pv open)" "0-3" "--inherit: the inherited socket does not reach the program"

run tmo env LISTEN_FDS=1 LISTEN_PID=1 "$FDRELAY" listen --inherit true
t_is "$st" 1 "--inherit when LISTEN_PID is another process exits 1"
errmsg "--inherit.*LISTEN_PID" "its message names --inherit and LISTEN_PID"

# ---- --raw, --dgram, --seqpacket ----
listen_probe --raw
run tmo "$FDRELAY" send --raw -m 'hello world' "$S" "$T/in.txt" -r /dev/null
lwait
t_is "$st:$lst" "0:0" "listen --raw serves a send --raw"
t_is "$(pv names):$(pv fds)" "fd0:fd1:2" "--raw names the descriptors fd0, fd1, ..."
t_is "$(pv message)" "hello world" "--raw: UTF-8 text reaches the program as FDRELAY_MESSAGE"

listen_probe --raw
run tmo "$FDRELAY" send --raw -m 'caf\xc3\xa9' "$S" /dev/null
lwait
t_is "$(pv message)" "$(printf 'caf\303\251')" "--raw: multi-byte UTF-8 is text too"

for m in 'a\0b' 'a\xffb' '\xc3'; do
	listen_probe --raw
	run tmo "$FDRELAY" send --raw -m "$m" "$S" /dev/null
	lwait
	t_is "$st:$lst:$(pv message)" "0:0:(unset)" "--raw: FDRELAY_MESSAGE is unset for bytes that are not NUL-free UTF-8 ($m)"
done
listen_probe --raw
run tmo "$FDRELAY" send --raw "$S" /dev/null
lwait
t_is "$(pv message):$(pv fds)" "(unset):1" "--raw: the default message (one NUL byte) sets no FDRELAY_MESSAGE"

listen_probe --dgram
start_pid "$T/spid" "$FDRELAY" send --dgram -m 'FDSTORE=1' "$S" "$T/in.txt"
wait $!
st=$?
lwait
t_is "$st:$lst" "0:0" "listen --dgram serves a send --dgram"
t_is "$(pv names):$(pv fd3):$(pv message)" "fd0:$T/in.txt r:FDSTORE=1" "--dgram implies --raw: fd0 and FDRELAY_MESSAGE"
t_is "$(pv peer)" "$(cat "$T/spid"):0:0" "--dgram: the sender's credentials come from SCM_CREDENTIALS"
t_ok "--dgram: the socket file is removed" test ! -e "$S"

listen_probe --seqpacket
run tmo "$FDRELAY" send --seqpacket -W "$S" "$T/in.txt"
lwait
t_is "$st:$lst:$(pv names)" "0:0:in.txt" "listen --seqpacket serves a send --seqpacket --wait"

# ---- one-shot: the socket goes away as soon as a sender is accepted ----
rm -f "$T/release"
# shellcheck disable=SC2016 # expanded by the program's shell
listen_run sh -c 'while [ ! -e "$0" ]; do sleep 0.02; done; exit 3' "$T/release"
tmo "$FDRELAY" send -W "$S" 2>"$T/serr" &
wjob=$!
wait_gone "$S"
t_ok "a one-shot listener removes its socket file once it accepted a sender" test ! -e "$S"
TMO=5 run tmo "$FDRELAY" send "$S"
t_is "$st" 1 "a second sender then fails at once with status 1 (no hang)"
errmsg "$S" "its message names the path"
: >"$T/release"
wait "$wjob"
wst=$?
lwait
t_is "$wst:$lst" "3:3" "the first sender and the listener get the program's status"

# ---- what is already at SOCKET ----
rm -f "$S"
"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$S"
t_ok "(a stale socket file is there)" test -S "$S"
listen_probe
run tmo "$FDRELAY" send "$S" /dev/null
lwait
t_is "$st:$lst:$(pv fds)" "0:0:1" "a stale socket file left by a dead listener is replaced"

listen_run true
first=$lpid
run tmo "$FDRELAY" listen "$S" true
t_is "$st" 1 "listen on a socket where a live listener is exits 1"
errmsg "$S.*(live|in use|another listener)" "its message names the path and says a listener is live"
t_ok "the live listener's socket is left alone" test -S "$S"
run tmo "$FDRELAY" send "$S"
lpid=$first
lwait
t_is "$st:$lst" "0:0" "and the live listener still serves its sender"

echo precious >"$T/regular"
run tmo "$FDRELAY" listen "$T/regular" true
t_is "$st:$(cat "$T/regular")" "1:precious" "listen on a regular file exits 1 and leaves it untouched"
errmsg "$T/regular" "its message names the path"

ln -s "$T/in.txt" "$T/link"
run tmo "$FDRELAY" listen "$T/link" true
t_is "$st:$(readlink "$T/link"):$(cat "$T/in.txt")" "1:$T/in.txt:hello" "listen on a symlink exits 1 and leaves it and its target untouched"
errmsg "$T/link" "its message names the path"
ln -s "$T/nowhere" "$T/dangling"
run tmo "$FDRELAY" listen "$T/dangling" true
t_is "$st:$(readlink "$T/dangling")" "1:$T/nowhere" "listen on a dangling symlink exits 1 and leaves it"
t_ok "and creates nothing where it points" test ! -e "$T/nowhere"

mkdir "$T/adir"
run tmo "$FDRELAY" listen "$T/adir" true
t_is "$st" 1 "listen on a directory exits 1"
errmsg "$T/adir" "its message names the path"
run tmo "$FDRELAY" listen "$T/no-such-dir/sock" true
t_is "$st" 1 "listen in a missing directory exits 1"
errmsg "$T/no-such-dir/sock" "its message names the path"

# ---- the socket file is removed however the listener ends ----
listen_run sh -c 'exit 9'
run tmo "$FDRELAY" send "$S"
lwait
t_is "$lst" 9 "a one-shot listener exits with its program's failure status"
t_ok "and removes its socket file" test ! -e "$S"

start_pid "$T/lpidf" "$FDRELAY" listen "$S" true
ljob=$!
wait_for_socket "$S"
kill -TERM "$(cat "$T/lpidf")"
wait "$ljob"
t_is "$?" 143 "a one-shot listener waiting for a sender ends on SIGTERM with 128+15"
t_ok "and removes its socket file" test ! -e "$S"
for sig in HUP:129 INT:130 QUIT:131; do
	start_pid "$T/lpidf" "$FDRELAY" listen "$S" true
	ljob=$!
	wait_for_socket "$S"
	kill -"${sig%:*}" "$(cat "$T/lpidf")"
	wait "$ljob"
	t_is "$?:$(test -e "$S" && echo left)" "${sig#*:}:" \
		"a one-shot listener waiting for a sender ends on SIG${sig%:*} with ${sig#*:} and removes its socket file"
done
for sig in HUP:129 QUIT:131; do
	start_pid "$T/lpidf" "$FDRELAY" listen -k "$S" true
	ljob=$!
	wait_for_socket "$S"
	run tmo "$FDRELAY" send -W "$S"
	kill -"${sig%:*}" "$(cat "$T/lpidf")"
	wait "$ljob"
	t_is "$st:$?:$(test -e "$S" && echo left)" "0:${sig#*:}:" \
		"SIG${sig%:*} ends a -k listener that served a sender with ${sig#*:} and removes its socket file"
done

# SIGTERM ends -k, but a program still running is neither signalled nor waited for.
rm -f "$T/kmark" "$T/kgo"
# shellcheck disable=SC2016 # expanded by the program's shell
start_pid "$T/lpidf" "$FDRELAY" listen -k "$S" \
	sh -c 'trap "echo TERM >>\"\$0\"" TERM; echo started >>"$0"; n=0
while [ ! -e "$1" ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n + 1)); done; echo done >>"$0"' \
	"$T/kmark" "$T/kgo"
ljob=$!
wait_for_socket "$S"
run tmo "$FDRELAY" send "$S"
wait_file "$T/kmark"
kill -TERM "$(cat "$T/lpidf")"
wait "$ljob"
kst=$?
: >"$T/kgo"
n=0
while ! grep -q '^done$' "$T/kmark" && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
t_is "$st:$kst:$(test -e "$S" && echo left)" "0:0:" "SIGTERM ends a -k listener whose program still runs with 0 and removes its socket"
t_is "$(tr '\n' ' ' <"$T/kmark")" "started done " \
	"that program is left alone: it gets no SIGTERM and finishes on its own"

# ---- the program's status ----
listen_run "$T/no-such-program"
run tmo "$FDRELAY" send -W "$S"
lwait
t_is "$lst:$st" "127:127" "a PROGRAM that is not found: listen and send --wait exit 127"
t_like "$(cat "$T/lerr")" "^fdrelay: .*$T/no-such-program" "the listener's message names the program"

printf '#!/bin/sh\nexit 0\n' >"$T/noexec"
chmod 644 "$T/noexec"
listen_run "$T/noexec"
run tmo "$FDRELAY" send -W "$S"
lwait
t_is "$lst:$st" "126:126" "a PROGRAM that is not executable: listen and send --wait exit 126"
t_like "$(cat "$T/lerr")" "^fdrelay: .*$T/noexec.*Permission denied" "the listener's message names the program and the reason"

listen_run no-such-program-in-path-x
run tmo "$FDRELAY" send "$S"
lwait
t_is "$lst:$st" "127:0" "a PROGRAM not in PATH: listen exits 127 (send without --wait got its ACK)"

listen_run sh -c 'kill -KILL $$'
run tmo "$FDRELAY" send -W "$S"
lwait
t_is "$lst:$st" "137:137" "a program killed by signal 9: listen and send --wait exit 128+9"

# ---- misbehaving senders ----
cat >"$T/bad.py" <<'EOF'
import os, socket, sys
path, how = sys.argv[1], sys.argv[2]
c = socket.socket(socket.AF_UNIX)
c.connect(path)
r = os.open('/dev/null', os.O_RDONLY)
if how == 'garbage':
    c.sendall(b'GARBAGE!' + os.urandom(56))
elif how == 'half':
    # an OFFER of 2 descriptors, names "ab" "cd": header and descriptors, half the payload
    hdr = bytes([0xfd, 1, 1, 0, 0, 2, 0, 6])
    socket.send_fds(c, [hdr + b'\x02ab'], [r, r])
elif how == 'fewer':
    hdr = bytes([0xfd, 1, 1, 0, 0, 2, 0, 6])
    socket.send_fds(c, [hdr + b'\x02ab\x02cd'], [r])
c.shutdown(socket.SHUT_WR)
print(c.recv(2000))
EOF
for how in garbage half fewer; do
	listen_probe
	run tmo "$PY" "$T/bad.py" "$S" $how
	lwait
	t_is "$lst" 1 "a one-shot listener whose sender sends $how exits 1"
	t_like "$(cat "$T/lerr")" "^fdrelay: listen $S: " "its message ($how) names the path"
	t_ok "its program did not run ($how)" test ! -e "$T/probe"
	t_ok "and its socket file is gone ($how)" test ! -e "$S"
done

rm -f "$S" "$T/klog"
# shellcheck disable=SC2016 # expanded by the program's shell
start_pid "$T/lpidf" "$FDRELAY" listen -k "$S" sh -c 'echo "$LISTEN_FDNAMES" >>"$0"' "$T/klog"
kjob=$!
wait_for_socket "$S"
lp=$(cat "$T/lpidf")
run tmo "$FDRELAY" send -W "$S" -r /dev/null -n first
before=$(fdlist "$lp")
for how in garbage half fewer; do
	tmo "$PY" "$T/bad.py" "$S" $how >/dev/null 2>&1
done
run tmo "$FDRELAY" send -W "$S" -r /dev/null -n after
t_is "$st:$(tr '\n' ' ' <"$T/klog")" "0:first after " "-k drops senders of garbage, half a frame or too few descriptors and goes on serving"
t_is "$(fdlist "$lp")" "$before" "-k: the dropped senders left no descriptor open in the listener"
kill -TERM "$lp"
wait "$kjob"

# ---- delivery time ----
cat >"$T/slow.py" <<'EOF'
import socket, sys, time
c = socket.socket(socket.AF_UNIX)
c.connect(sys.argv[1])
c.sendall(bytes([0xfd, 1, 1, 0]))   # half a header, then nothing
time.sleep(20)
EOF
listen_probe -t 0.5
tmo "$PY" "$T/slow.py" "$S" &
slow=$!
lwait
kill "$slow" 2>/dev/null
wait "$slow" 2>/dev/null
t_is "$lst" 1 "a one-shot listener with -t 0.5 drops a sender that does not deliver in time and exits 1"
t_like "$(cat "$T/lerr")" "^fdrelay: listen $S: .*timed out" "its message names the path and says the delivery timed out"
t_ok "its program did not run" test ! -e "$T/probe"

# ---- signals to a one-shot listener running its program ----
rm -f "$T/ready"
# shellcheck disable=SC2016 # expanded by the program's shell
start_pid "$T/lpidf" "$FDRELAY" listen "$S" sh -c 'trap "exit 21" TERM; : >"$0"; while :; do sleep 0.05; done' "$T/ready"
ljob=$!
wait_for_socket "$S"
run tmo "$FDRELAY" send "$S"
n=0
while [ ! -e "$T/ready" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
kill -TERM "$(cat "$T/lpidf")"
wait "$ljob"
t_is "$?" 21 "SIGTERM to a one-shot listener is forwarded to its program, and listen exits with the program's status"

# ---- descriptor limits ----
if [ -n "${FDRELAY_VALGRIND:-}" ]; then
	for d in "600 descriptors pass from a sender with a soft limit of 64 to a listener with 128" \
		"the program's soft limit is raised only to 64 above its highest descriptor" \
		"with few descriptors the program gets the soft limit listen started with"; do
		t_skip "under valgrind, which keeps descriptors of its own under the limit" "$d"
	done
else
	mkdir "$T/many"
	set --
	i=0
	while [ $i -lt 600 ]; do
		: >"$T/many/$i"
		set -- "$@" "$T/many/$i"
		i=$((i + 1))
	done
	rm -f "$T/probe" "$S"
	tmo prlimit --nofile=128: "$FDRELAY" listen "$S" "$PY" "$T/probe.py" "$T/probe" 2>"$T/lerr" &
	lpid=$!
	wait_for_socket "$S"
	tmo prlimit --nofile=64: "$FDRELAY" send "$S" "$@"
	st=$?
	lwait
	set --
	t_is "$st:$lst:$(pv fds):$(pv order)" "0:0:600:ok" \
		"600 descriptors pass from a sender with a soft limit of 64 to a listener with 128 (both raise their own)"
	t_is "$(pv nofile)" 667 "the program's soft limit is raised only to 64 above its highest descriptor (602 + 65)"
	rm -f "$T/probe" "$S"
	tmo prlimit --nofile=128: "$FDRELAY" listen "$S" "$PY" "$T/probe.py" "$T/probe" 2>"$T/lerr" &
	lpid=$!
	wait_for_socket "$S"
	run tmo "$FDRELAY" send "$S" /dev/null
	lwait
	t_is "$(pv nofile)" 128 "with few descriptors the program gets the soft limit listen started with"
fi

# ---- long paths, abstract names ----
long=$T/$(printf '%0100d' 1)/$(printf '%0100d' 2)/$(printf '%0100d' 3)
mkdir -p "$long"
L=$long/sock
t_ok "(the test path is longer than sun_path: ${#L} characters)" test ${#L} -gt 108
rm -f "$T/probe"
tmo "$FDRELAY" listen "$L" "$PY" "$T/probe.py" "$T/probe" 2>"$T/lerr" &
lpid=$!
wait_for_socket "$L"
run tmo "$FDRELAY" send "$L" "$T/in.txt"
lwait
t_is "$st:$lst:$(pv names)" "0:0:in.txt" "listen and send work on a path longer than sun_path"
t_ok "and the long-path socket file is removed" test ! -e "$L"

A="@fdrelay-test-$$-abstract"
rm -f "$T/probe"
tmo "$FDRELAY" listen --ready-fd 3 "$A" "$PY" "$T/probe.py" "$T/probe" 3>"$T/ready" 2>"$T/lerr" &
lpid=$!
wait_file "$T/ready"
run tmo "$FDRELAY" send "$A" "$T/in.txt"
lwait
t_is "$st:$lst:$(pv names)" "0:0:in.txt" "listen and send work on an @abstract name"

# A last component that no sockaddr_un can hold, even through the directory.
toolong=$(printf '%0150d' 7)
for where in "$T/$toolong" "@$toolong"; do
	case $where in
	@*) kind="an @abstract name of 150 characters" ;;
	*) kind="a path whose last component has 150 characters" ;;
	esac
	run tmo "$FDRELAY" listen -t 5 "$where" true
	t_is "$st:$(test -e "$T/$toolong" && echo created)" "1:" "listen on $kind exits 1 and creates nothing"
	errmsg "$where: .*too long" "its message names the socket and says it is too long"
	run tmo "$FDRELAY" send "$where" /dev/null
	t_is "$st" 1 "send to $kind exits 1"
	errmsg "$where: .*too long" "its message names the socket and says it is too long"
done

# ---- the program's environment holds nothing meant for listen itself ----
# shellcheck disable=SC2016 # expanded by the program's shell
envprog='env >"$0.tmp" && mv "$0.tmp" "$0"'
rm -f "$T/env" "$S"
LISTEN_PIDFDID=42 FDRELAY_MESSAGE=stale tmo "$FDRELAY" listen "$S" sh -c "$envprog" "$T/env" 2>"$T/lerr" &
lpid=$!
wait_for_socket "$S"
run tmo "$FDRELAY" send "$S" /dev/null
lwait
t_is "$st:$lst:$(grep -c '^LISTEN_FDS=1$' "$T/env")" "0:0:1" "(the program ran and recorded its environment)"
t_is "$(grep -c '^LISTEN_PIDFDID=42$' "$T/env")" 0 \
	"a LISTEN_PIDFDID listen itself received does not reach the program (it gets its own, or none)"
t_is "$(grep -c '^FDRELAY_MESSAGE=' "$T/env")" 0 "an FDRELAY_MESSAGE listen itself received does not reach the program"
rm -f "$T/env" "$S"
FDRELAY_MESSAGE=stale tmo "$FDRELAY" listen --raw "$S" sh -c "$envprog" "$T/env" 2>"$T/lerr" &
lpid=$!
wait_for_socket "$S"
run tmo "$FDRELAY" send --raw "$S" /dev/null
lwait
t_is "$st:$lst:$(grep -c '^FDRELAY_MESSAGE=' "$T/env")" "0:0:0" \
	"--raw with a message that is not text: no FDRELAY_MESSAGE, not even the one listen received"

# ---- a -k worker's signals are its own ----
# children_of PID: the pids of PID's children.
children_of() {
	awk -v p="$1" '$4 == p { print $1 }' /proc/[0-9]*/stat 2>/dev/null
}
rm -f "$S"
start_pid "$T/lpidf" "$FDRELAY" listen -k "$S" true
kjob=$!
wait_for_socket "$S"
lp=$(cat "$T/lpidf")
# A sender that connects and says nothing keeps a worker receiving.
tmo "$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(20)' "$S" &
hold=$!
n=0
while [ -z "$(children_of "$lp")" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
# shellcheck disable=SC2046 # one pid per word
kill -TERM $(children_of "$lp")
run tmo "$FDRELAY" send "$S" /dev/null
t_is "$st" 0 "SIGTERM to a -k worker still receiving ends that worker, not the listener: the next sender is served"
kill "$hold" 2>/dev/null
kill -TERM "$lp" 2>/dev/null
wait "$kjob"

# ---- --raw: a sender that says nothing has the delivery time, no more ----
rm -f "$S"
tmo "$FDRELAY" listen --raw -t 1 "$S" true 2>"$T/lerr" &
lpid=$!
wait_for_socket "$S"
tmo "$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(20)' "$S" &
hold=$!
lwait
kill "$hold" 2>/dev/null
t_is "$lst" 1 "listen --raw -t 1 drops a sender that connects and sends nothing once the delivery time ran out (exit 1)"
err=$(cat "$T/lerr")
errmsg "delivery timed out" "its message says the delivery timed out"

# ---- --ready-fd whose reader is gone ----
# Descriptor 6 is the only writer of a FIFO whose only reader (5) is closed.
mkfifo "$T/readyfifo"
# shellcheck disable=SC2094 # both ends of one FIFO, on purpose
exec 5<>"$T/readyfifo" 6>"$T/readyfifo"
exec 5<&-
listen_run --ready-fd 6 true
exec 6>&-
run tmo "$FDRELAY" send "$S" /dev/null
lwait
t_is "$st:$lst" "0:0" "--ready-fd whose reader is gone does not kill listen (SIGPIPE): it serves its sender"
t_ok "and removes its socket file" test ! -e "$S"

# ---- --wait: a sender stalled inside a SIGNAL frame does not hold the listener ----
rm -f "$S" "$T/started" "$T/stalled"
# The program says it started, then ends only once the sender has stalled.
# shellcheck disable=SC2016 # expanded by the program's shell
tmo "$FDRELAY" listen -t 1 "$S" sh -c ': >"$0"; while [ ! -e "$1" ]; do sleep 0.02; done' \
	"$T/started" "$T/stalled" 2>"$T/lerr" &
lpid=$!
wait_for_socket "$S"
# An OFFER asking to wait, with no descriptor; after the ACK, one byte of a frame, then silence.
tmo "$PY" -c 'import os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(bytes([0xfd, 1, 1, 1, 0, 0, 0, 0]))
ack = b""
while len(ack) < 12:
    ack += s.recv(12 - len(ack))
for _ in range(1000):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.01)
s.sendall(bytes([0xfd]))
time.sleep(0.5)  # room for a listener to start reading that frame
open(sys.argv[3], "w").close()
time.sleep(60)' "$S" "$T/started" "$T/stalled" &
hold=$!
(sleep 10; kill "$lpid" 2>/dev/null) &
guard=$!
lwait
kill "$hold" "$guard" 2>/dev/null
t_is "$lst" 0 "a --wait sender stalled inside a frame does not keep listen from ending with its program's status"

t_done
