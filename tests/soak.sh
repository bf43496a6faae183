#!/bin/sh
# soak.sh - one `fdrelay listen -k` serving thousands of senders, good and hostile: no descriptor or memory creep.
#
# SOAK_SENDERS senders (default 10000) connect, SOAK_PARALLEL (default 8) at
# a time, in a fixed deterministic mix:
#   good     fdrelay send with 1 to 300 descriptors; must exit 0
#   refused  fdrelay send run as uid 65534 (setpriv); must be refused, exit 3
#   garbage  python3: random bytes / a valid header then close / a header
#            announcing more descriptors than it carries; must get no ACK
#   killed   python3 sends half a frame with descriptors, then SIGKILLs itself
# The listener's /proc/PID/fd set and VmRSS are taken when it is ready,
# after a warm-up batch and at the end.  Prints the figures and TAP.
# Not part of `make check` (it takes minutes): run it with `make soak`.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

N=${SOAK_SENDERS:-10000}
P=${SOAK_PARALLEL:-8}
WARMUP=200
PY=${PYTHON3:-python3}
# A leak of a few dozen bytes per sender over thousands of senders shows up
# well above this; allocator noise stays well below it.
RSS_SLACK_KB=512

case $N in '' | *[!0-9]*) echo "Bail out! SOAK_SENDERS must be a number" ; exit 1 ;; esac
[ "$N" -gt "$WARMUP" ] || WARMUP=0

if ! "$PY" -c 'import socket, sys; sys.exit(not hasattr(socket, "send_fds"))' 2>/dev/null; then
	t_skip "no python3 3.9+ with socket.send_fds ('$PY') for the hostile clients" "soak"
	t_done
	exit $?
fi
if ! command -v pgrep >/dev/null 2>&1; then
	t_skip "no pgrep to count the listener's children" "soak"
	t_done
	exit $?
fi
can_setpriv=0
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	can_setpriv=1
fi

# The socket lives in a 0755 directory with the binary, so uid 65534 can
# reach both (the scratch directory itself is 0700).
D=$T/pub
mkdir "$D" && chmod 0755 "$D" "$T" 2>/dev/null
cp "$FDRELAY" "$D/fdrelay" && chmod 0755 "$D/fdrelay"
S=$D/sock

cat >"$T/hostile.py" <<'EOF'
# hostile.py MODE SOCKET: a client that breaks the protocol; prints one word.
import os, random, signal, socket, struct, sys

mode, path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(path)
null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)

def hdr(nfds, length, flags=0):
    # magic 0xFD, version 1, OFFER, flags, nfds, len (docs/protocol.md)
    return struct.pack(">BBBBHH", 0xFD, 1, 1, flags, nfds, length)

def names(n):
    return b"".join(b"\x01" + bytes([0x61 + i % 26]) for i in range(n))

if mode == "random":
    junk = bytearray(os.urandom(random.randint(1, 300)))
    if junk[0] == 0xFD:
        junk[0] = 0
    socket.send_fds(s, [bytes(junk)], [null] * random.randint(0, 3)) \
        if random.random() < 0.5 else s.sendall(bytes(junk))
elif mode == "header":
    socket.send_fds(s, [hdr(1, 2)], [null])
elif mode == "overcount":
    socket.send_fds(s, [hdr(3, 6) + names(3)], [null])
elif mode == "killed":
    frame = hdr(4, 8) + names(4)
    socket.send_fds(s, [frame[: len(frame) // 2]], [null, null])
    os.kill(os.getpid(), signal.SIGKILL)
else:
    sys.exit("unknown mode " + mode)
s.shutdown(socket.SHUT_WR)
reply = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        reply += b
except (ConnectionResetError, socket.timeout):
    pass
# An ACK is type 2; anything else (ERROR, REFUSE, nothing) means dropped.
print("acked" if len(reply) >= 3 and reply[0] == 0xFD and reply[2] == 2 else "dropped")
EOF

# worker.sh KIND ARG: one sender; appends "KIND RESULT" to the results file.
cat >"$T/worker.sh" <<EOF
kind=\$1 arg=\$2
case \$kind in
good)
	set --
	i=0
	while [ "\$i" -lt "\$arg" ]; do set -- "\$@" /dev/null; i=\$((i + 1)); done
	timeout -k 5 120 "$D/fdrelay" send "$S" "\$@" 2>>"$T/send.err"
	r=\$?
	;;
refused)
	timeout -k 5 120 setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$D/fdrelay" send "$S" /dev/null 2>/dev/null
	r=\$?
	;;
*)
	r=\$(timeout -k 5 120 "$PY" "$T/hostile.py" "\$kind" "$S" 2>>"$T/hostile.err")
	rc=\$?
	[ -n "\$r" ] || r=\$rc
	;;
esac
echo "\$kind \$r" >>"$T/results"
EOF

# The plan: deterministic, one line per sender.
awk -v n="$N" -v setpriv="$can_setpriv" 'BEGIN {
	split("random header overcount", g, " ")
	for (i = 0; i < n; i++) {
		k = i % 40
		if (k == 7 || k == 27)
			print (setpriv ? "refused 1" : "good 1")
		else if (k == 3 || k == 13 || k == 23 || k == 33)
			print g[1 + int(i / 40) % 3], 0
		else if (k == 17)
			print "killed 0"
		else
			print "good", 1 + (i * 7919) % 300
	}
}' >"$T/plan"

fdset() {
	for f in /proc/"$1"/fd/*; do
		printf '%s=%s ' "${f##*/}" "$(readlink "$f")"
	done
}
rss() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status; }
now() { date +%s; }
# The listener's children (one per sender being served).
nchildren() { pgrep -P "$1" | wc -l | tr -d ' '; }

"$D/fdrelay" listen -k -j "$P" -M 0666 "$S" true 2>"$T/listen.err" &
lpid=$!
wait_for_socket "$S" 20
t_ok "the listener is up on a 0666 socket" test -S "$S"
fd0=$(fdset "$lpid")
rss0=$(rss "$lpid")
start=$(now)

run_plan() {
	tmo_soak=$((${1} / 4 + 300))
	# The shell running a killed client says "Killed": keep that out of the way.
	timeout -k 5 "$tmo_soak" xargs -P "$P" -L 1 sh "$T/worker.sh" 2>>"$T/worker.err"
}
head -n "$WARMUP" "$T/plan" | run_plan "$WARMUP"
rss1=$(rss "$lpid")
fd1=$(fdset "$lpid")
tail -n +$((WARMUP + 1)) "$T/plan" | run_plan "$N"
elapsed=$(($(now) - start))

# Workers may still be finishing programs: wait (bounded) for them to end.
i=0
while [ "$(nchildren "$lpid")" -gt 0 ] && [ "$i" -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
left=$(nchildren "$lpid")
fd2=$(fdset "$lpid")
rss2=$(rss "$lpid")

count() { grep -c "^$1\$" "$T/results"; }
want() { grep -c "^$1 " "$T/plan"; }
good=$(count 'good 0')
refused=$(count 'refused 3')
garbage=$(grep -cE '^(random|header|overcount) dropped$' "$T/results")
killed=$(count 'killed 137')
ngood=$(want good)
nrefused=$(want refused)
ngarbage=$(grep -cE '^(random|header|overcount) ' "$T/plan")
nkilled=$(want killed)
logged=$(grep -c 'refused sender.*not allowed' "$T/listen.err")

t_diag "senders: $N ($P at a time) in $elapsed s"
t_diag "served: $good of $ngood; refused: $refused of $nrefused; garbage dropped: $garbage of $ngarbage; killed half-way: $killed of $nkilled"
t_diag "listener descriptors: $(echo "$fd0" | wc -w) at start, $(echo "$fd1" | wc -w) after warm-up, $(echo "$fd2" | wc -w) at end"
t_diag "listener descriptors at start: $fd0"
t_diag "listener VmRSS: $rss0 kB at start, $rss1 kB after $WARMUP senders, $rss2 kB at end"
t_diag "listener stderr: $(wc -l <"$T/listen.err") lines; children left: $left"

t_is "$(wc -l <"$T/results" | tr -d ' ')" "$N" "every one of the $N senders ran to an outcome"
t_is "$good" "$ngood" "every good sender (1 to 300 descriptors) was served and exited 0"
if [ "$can_setpriv" -eq 1 ]; then
	t_is "$refused" "$nrefused" "every sender of another uid was refused (exit 3)"
	t_is "$logged" "$nrefused" "the listener logged exactly one refusal per refused sender"
else
	t_skip "needs root and setpriv to run senders as uid 65534" "senders of another uid are refused"
	t_skip "needs root and setpriv" "one refusal logged per refused sender"
fi
t_is "$garbage" "$ngarbage" "every garbage client was dropped without an ACK"
t_is "$killed" "$nkilled" "every half-way sender died of its SIGKILL (the test's own check)"
grep -v ' 0$\| 3$\| dropped$\| 137$' "$T/results" | sort | uniq -c | sed 's/^/# unexpected: /' | head -n 20
t_is "$left" 0 "no child of the listener is left once every sender is done"
t_is "$fd2" "$fd0" "the listener's descriptor set is the same after $N senders as at the start"
t_ok "the listener's VmRSS grew less than $RSS_SLACK_KB kB after the warm-up ($rss1 -> $rss2 kB)" \
	test "$rss2" -le $((rss1 + RSS_SLACK_KB))
run tmo "$D/fdrelay" send "$S" /dev/null
t_is "$st" 0 "after the soak the listener still serves a sender"
kill -TERM "$lpid"
wait "$lpid"
t_is "$?" 0 "SIGTERM stops the listener with status 0"
t_ok "the listener removed its socket file" test ! -e "$S"
if [ -s "$T/send.err" ]; then
	t_diag "good senders' stderr (first lines):"
	head -n 5 "$T/send.err" | sed 's/^/#   /'
fi
t_done
