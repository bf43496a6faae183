#!/bin/sh
# cli-faults.sh - fdrelay send and listen under faults: killed peers, lying headers, limits, signals, impostors.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# Every case ends the same way: the sender exits non-zero unless its
# descriptors were delivered, someone says on stderr what happened, and the
# listener that must survive (-k, or recv -k, which serves in-process) has
# exactly the descriptors it had before.

PY=$("${PYTHON3:-python3}" -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=
if [ -z "$PY" ] || ! "$PY" -c 'import socket, sys; sys.exit(not hasattr(socket, "send_fds"))' 2>/dev/null; then
	t_skip "needs python3 3.9+ with socket.send_fds ('${PYTHON3:-python3}')" "fault injection of the command line"
	t_done
	exit $?
fi

# The program a listener runs: checks that it got exactly LISTEN_FDS
# descriptors at 3.. and nothing else, and (with DIR) that descriptor 3+i is
# the file DIR/<name i>; appends one line to LOG and exits 0 only if so.
cat >"$T/probe.py" <<'EOF'
import os, sys
log, d = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
n = int(os.environ.get('LISTEN_FDS', '-1'))
names = os.environ.get('LISTEN_FDNAMES', '')
names = names.split(':') if names else []
def isopen(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
fds = [f for f in sorted(int(x) for x in os.listdir('/proc/self/fd')) if isopen(f)]
want = list(range(3 + max(n, 0)))
if fds == want:
    opened = 'ok'
else:
    opened = 'extra %s missing %s' % (sorted(set(fds) - set(want))[:8], sorted(set(want) - set(fds))[:8])
order = 'ok' if len(names) == n else 'names %d' % len(names)
if d and order == 'ok':
    for i, name in enumerate(names):
        if os.fstat(3 + i).st_ino != os.stat(os.path.join(d, name)).st_ino:
            order = 'fd %d is not %s' % (3 + i, name)
            break
with open(log, 'a') as f:
    f.write('n=%d open=%s order=%s\n' % (n, opened, order))
sys.exit(0 if opened == 'ok' and order == 'ok' else 1)
EOF

# Raw peers that break the protocol on purpose (docs/protocol.md).
cat >"$T/peer.py" <<'EOF'
import os, select, socket, struct, sys, time
OFFER, ACK, MORE = 1, 2, 0x02
def hdr(typ, flags, nfds, ln):
    return struct.pack('>BBBBHH', 0xFD, 1, typ, flags, nfds, ln)
def names(n):
    return b''.join(b'\x01p' for _ in range(n))
def pipes(n):
    rs, ws = [], []
    for _ in range(n):
        r, w = os.pipe()
        rs.append(r)
        ws.append(w)
    return rs, ws
def send(s, data, fds):
    try:
        if fds:
            socket.send_fds(s, [data], fds)
        elif data:
            s.sendall(data)
    except OSError as e:
        print('send', e.strerror, flush=True)
def readexact(s, n, fds):
    buf = b''
    while len(buf) < n:
        data, got, _, _ = socket.recv_fds(s, n - len(buf), 253)
        fds.extend(got)
        if not data:
            break
        buf += data
    return buf
def readframe(s):
    fds = []
    h = readexact(s, 8, fds)
    if len(h) < 8:
        return None, fds
    _, _, typ, flags, nfds, ln = struct.unpack('>BBBBHH', h)
    return (typ, flags, nfds, readexact(s, ln, fds)), fds
def closed_all(ws, secs=10):
    # A pipe's write end reports POLLERR once every read end is closed.
    end, left = time.monotonic() + secs, set(ws)
    while left and time.monotonic() < end:
        p = select.poll()
        for w in left:
            p.register(w, select.POLLERR)
        for w, ev in p.poll(100):
            if ev & select.POLLERR:
                left.discard(w)
    return len(ws) - len(left)

mode, path = sys.argv[1], sys.argv[2]
if mode == 'frame':
    # frame SOCK HDR_NFDS N_WITH_HEADER N_WITH_PAYLOAD: one OFFER whose header
    # announces HDR_NFDS descriptors; pipe read ends ride the two writes.
    hn, n1, n2 = map(int, sys.argv[3:6])
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    rs1, ws1 = pipes(n1)
    rs2, ws2 = pipes(n2)
    payload = names(hn)
    send(s, hdr(OFFER, 0, hn, len(payload)), rs1)
    send(s, payload, rs2)
    for r in rs1 + rs2:
        os.close(r)
    s.settimeout(20)
    f, fds = readframe(s)
    print('reply', 'none' if f is None else '%d %s' % (f[0], f[3].decode('ascii', 'replace')), flush=True)
    print('closed %d/%d' % (closed_all(ws1 + ws2), n1 + n2), flush=True)
elif mode == 'half':
    # half SOCK: half an OFFER of two descriptors, then wait to be killed.
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    rs, ws = pipes(2)
    payload = names(2)
    send(s, hdr(OFFER, 0, 2, len(payload)) + payload[:1], rs[:1])
    print('ready', flush=True)
    time.sleep(60)
elif mode == 'impostor':
    # impostor SOCK HOW: a listener that takes the OFFERs and then misbehaves.
    how = sys.argv[3]
    l = socket.socket(socket.AF_UNIX)
    l.bind(path)
    os.chmod(path, 0o666)
    l.listen(8)
    c, _ = l.accept()
    if how == 'noread':
        time.sleep(60)
        sys.exit(0)
    c.settimeout(20)
    count = 0
    while True:
        f, fds = readframe(c)
        count += len(fds)
        for fd in fds:
            os.close(fd)
        if f is None or how == 'closefirst' or not f[1] & MORE:
            break
    if how == 'garbage':
        c.sendall(b'this is not a frame\n')
    elif how == 'badcount':
        c.sendall(hdr(ACK, 0, 0, 4) + struct.pack('>I', count + 1))
    elif how == 'ackfd':
        r, w = os.pipe()
        socket.send_fds(c, [hdr(ACK, 0, 0, 4) + struct.pack('>I', count)], [r])
    elif how == 'nostatus':
        c.sendall(hdr(ACK, 0, 0, 4) + struct.pack('>I', count))
    c.close()
    print('offered', count, flush=True)
else:
    sys.exit('unknown mode ' + mode)
EOF

chmod 711 "$T"
mkdir -m 755 "$T/pub"

# fdset PID: a process's descriptors and what each points to, on one line.
fdset() {
	for _f in /proc/"$1"/fd/*; do
		printf '%s=%s ' "${_f##*/}" "$(readlink "$_f")"
	done
}
# settle PID BEFORE: waits (at most 10 s) until PID has no child and its
# descriptor set is BEFORE again; prints the set it has then.
settle() {
	_n=0
	while [ $_n -lt 200 ]; do
		if [ -z "$(cat "/proc/$1/task/$1/children" 2>/dev/null)" ] && [ "$(fdset "$1")" = "$2" ]; then
			break
		fi
		sleep 0.05
		_n=$((_n + 1))
	done
	fdset "$1"
}
# start_pid PIDFILE CMD...: runs CMD in the background, as a process whose
# pid (CMD's own, exec keeps it) lands in PIDFILE and in $lastpid; $lastjob
# is the job to wait for.  Bounded at ten times the usual: listeners serve
# a whole section.
start_pid() {
	_pf=$1
	shift
	rm -f "$_pf"
	# shellcheck disable=SC2016 # $$ and $0 belong to the inner shell
	TMO=$((${TMO:-30} * 10)) tmo sh -c 'echo $$ >"$0"; exec "$@"' "$_pf" "$@" &
	lastjob=$!
	_n=0
	while [ ! -s "$_pf" ] && [ $_n -lt 200 ]; do sleep 0.01; _n=$((_n + 1)); done
	lastpid=$(cat "$_pf")
}
# wait_line FILE REGEX: waits (at most 10 s) until FILE has a line matching REGEX.
wait_line() {
	_n=0
	while ! grep -Eq -- "$2" "$1" 2>/dev/null && [ $_n -lt 200 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
}
# alive PID DESCRIPTION: PID is still running.
alive() {
	kill -0 "$1" 2>/dev/null
	t_report $? "$2"
}
# msg FILE REGEX DESCRIPTION: FILE has an "fdrelay: " line matching REGEX.
msg() {
	if grep -Eq -- "^fdrelay: .*$2" "$1" 2>/dev/null; then
		t_report 0 "$3"
	else
		t_report 1 "$3"
		sed 's/^/# stderr: /' "$1" 2>/dev/null
		printf '# expected a line matching: ^fdrelay: .*%s\n' "$2"
	fi
}
# klisten NAME [LISTEN OPTIONS...]: a -k listener on $T/NAME running the
# probe (log $T/NAME.log), stderr appended to $T/NAME.err; its pid in $kpid,
# its job in $kjob.
# $PRE (words) prefixes the command (prlimit); $PROBE_DIR goes to the probe.
PRE='' PROBE_DIR=''
klisten() {
	_k=$1
	shift
	rm -f "$T/$_k" "$T/$_k.log"
	: >"$T/$_k.err"
	# shellcheck disable=SC2086 # PRE is words or nothing
	start_pid "$T/$_k.pid" $PRE "$FDRELAY" listen -k "$@" "$T/$_k" "$PY" "$T/probe.py" "$T/$_k.log" \
		${PROBE_DIR:+"$PROBE_DIR"} 2>>"$T/$_k.err"
	kpid=$lastpid kjob=$lastjob
	wait_for_socket "$T/$_k"
}
# kstop PID JOB DESCRIPTION: SIGTERM ends a -k listener (or recv -k) with status 0.
kstop() {
	kill -TERM "$1"
	wait "$2"
	t_report $? "$3"
}
# small_sender SOCK DESCRIPTION: a -W sender of three files is served and its
# program gets exactly those three.
small_sender() {
	run tmo "$FDRELAY" send -W "$1" /etc/passwd /dev/null "$T/probe.py"
	t_is "$st" 0 "$2"
}
# nulls N: sets $NULLS to N words /dev/null.
nulls() {
	_c=$1
	set --
	_i=0
	while [ $_i -lt "$_c" ]; do
		set -- "$@" /dev/null
		_i=$((_i + 1))
	done
	NULLS=$*
}

# ---- A sender killed mid-frame ----------------------------------------------

# A python sender writes half an OFFER (with its first descriptor) and is killed.
K=$T/k
klisten k
kk=$kpid kkjob=$kjob
before=$(fdset "$kpid")
small_sender "$K" "warm-up: a -k listener serves a small sender"
before=$(settle "$kpid" "$before")
: >"$K.err"
start_pid "$T/h.pid" "$PY" "$T/peer.py" half "$K" >"$T/h.out"
hpid=$lastpid
wait_line "$T/h.out" '^ready'
kill -KILL "$hpid"
wait_line "$K.err" 'hung up|before sending'
msg "$K.err" "hung up in the middle of a frame" "a sender killed after half an OFFER is dropped with a message"
alive "$kpid" "a -k listener survives a sender killed mid-frame"
t_is "$(settle "$kpid" "$before")" "$before" "a -k listener holds the same descriptors after a sender killed mid-frame"
kpid=$kk
small_sender "$K" "a -k listener serves the next sender after one killed mid-frame"
t_is "$(tail -n 1 "$K.log")" "n=3 open=ok order=ok" "the next sender's program gets exactly its three descriptors"

# The same against a one-shot listener: it exits 1 and says why.
S1=$T/one
rm -f "$S1"
tmo "$FDRELAY" listen "$S1" true 2>"$T/one.err" &
opid=$!
wait_for_socket "$S1"
start_pid "$T/h.pid" "$PY" "$T/peer.py" half "$S1" >"$T/h.out"
hpid=$lastpid
wait_line "$T/h.out" '^ready'
kill -KILL "$hpid"
wait "$opid"
t_is "$?" 1 "a one-shot listener whose sender was killed mid-frame exits 1"
msg "$T/one.err" "hung up in the middle of a frame" "the one-shot listener says the sender hung up mid-frame"

# A real sender of 2000 descriptors stuck mid-transfer: the listener is
# stopped, so the 64 KiB frames (names of 255 bytes) fill the socket buffer
# and the sender blocks inside a frame; then it is killed and the listener
# continued.
LN=$(printf '%0255d' 0 | tr 0 n)
: >"$T/pub/$LN"
klisten big --max-fds 6000
small_sender "$T/big" "warm-up: a -k listener with --max-fds 6000 serves a small sender"
rm -f "$T/big.log"
bigbefore=$(settle "$kpid" "$(fdset "$kpid")")
kill -STOP "$kpid"
: >"$T/big.err"
(
	cd "$T/pub" || exit 1
	set --
	i=0
	while [ $i -lt 2000 ]; do set -- "$@" "$LN"; i=$((i + 1)); done
	exec "$FDRELAY" send "$T/big" "$@"
) 2>"$T/bigs.err" &
spid=$!
n=0
while [ $n -lt 200 ]; do
	case $(cat "/proc/$spid/wchan" 2>/dev/null) in
	*sock_alloc_send* | *unix_stream_sendmsg* | *wait_for_*memory* | *sk_stream_wait*) break ;;
	esac
	sleep 0.05
	n=$((n + 1))
done
blocked=$(cat "/proc/$spid/wchan" 2>/dev/null)
kill -KILL "$spid"
wait "$spid"
sst=$?
kill -CONT "$kpid"
if [ $n -lt 200 ]; then
	t_is "$sst" 137 "a sender of 2000 descriptors blocked mid-transfer dies by SIGKILL"
	wait_line "$T/big.err" 'hung up|before sending'
	msg "$T/big.err" "(hung up in the middle of a frame|closed the connection before sending everything)" \
		"the listener drops a sender killed in the middle of its transfer with a message"
	t_is "$(cat "$T/big.log" 2>/dev/null)" "" "no program runs on part of a killed sender's descriptors"
else
	t_skip "the sender never showed as blocked in sendmsg (wchan '$blocked')" "a sender killed mid-transfer dies by SIGKILL"
	t_skip "the sender never showed as blocked in sendmsg" "the listener drops a sender killed mid-transfer"
	t_skip "the sender never showed as blocked in sendmsg" "no program runs on part of a killed sender's descriptors"
fi
alive "$kpid" "a -k listener survives a sender killed mid-transfer"
t_is "$(settle "$kpid" "$bigbefore")" "$bigbefore" "a -k listener holds the same descriptors after a sender killed mid-transfer"
small_sender "$T/big" "a -k listener serves the next sender after one killed mid-transfer"

# A sender of 5000 descriptors whose frames all fit the socket buffer, killed
# while it waits for the ACK (the listener is stopped): the listener reads
# everything, cannot acknowledge, and runs nothing.
nulls 5000
kill -STOP "$kpid"
: >"$T/big.err"
rm -f "$T/big.log"
# shellcheck disable=SC2086 # NULLS is 5000 words
"$FDRELAY" send "$T/big" $NULLS 2>"$T/bigs.err" &
spid=$!
n=0
while [ $n -lt 200 ]; do
	case $(cat "/proc/$spid/wchan" 2>/dev/null) in
	*unix_stream_data_wait* | *unix_stream_read* | *recv* | *poll*) break ;;
	esac
	sleep 0.05
	n=$((n + 1))
done
kill -KILL "$spid"
wait "$spid"
kill -CONT "$kpid"
if [ $n -lt 200 ]; then
	wait_line "$T/big.err" 'acknowledge|before sending|hung up'
	msg "$T/big.err" "acknowledge" "a sender of 5000 killed while waiting for the ACK: the listener says it could not acknowledge"
	small_sender "$T/big" "a -k listener serves the next sender after one killed before the ACK"
	t_is "$(cat "$T/big.log" 2>/dev/null)" "n=3 open=ok order=ok" "no program ran for the sender that never got its ACK"
else
	t_skip "the sender never showed as waiting for the ACK" "a sender killed while waiting for the ACK"
	t_skip "the sender never showed as waiting for the ACK" "a -k listener serves the next sender after one killed before the ACK"
	t_skip "the sender never showed as waiting for the ACK" "no program ran for the sender that never got its ACK"
fi

# Real senders of 5000 descriptors killed at random moments: whatever the
# moment, the listener survives, leaks nothing, and no program ever runs on
# part of a sender's descriptors.
: >"$T/big.err"
rm -f "$T/big.log"
bigbefore=$(settle "$kpid" "$bigbefore")
# Calibration, not an assertion: how long one whole sender takes here (ms),
# so that the kills land anywhere from before connect() to after the ACK.
t0=$(date +%s%N)
# shellcheck disable=SC2086 # NULLS is 5000 words
tmo "$FDRELAY" send "$T/big" $NULLS 2>/dev/null
t1=$(date +%s%N)
case $t0$t1 in
*[!0-9]*) span=150 ;;
*) span=$(((t1 - t0) * 3 / 2000000 + 1)) ;;
esac
settle "$kpid" "$bigbefore" >/dev/null
: >"$T/big.log"
ok0=0 killed=0 tries=10 i=0
while [ $i -lt $tries ]; do
	# shellcheck disable=SC2086 # NULLS is 5000 words
	"$FDRELAY" send "$T/big" $NULLS 2>/dev/null &
	spid=$!
	# Spread over the span, the last one well after it: the first kills
	# land before the ACK, the last after the sender finished.
	if [ $i -eq $((tries - 1)) ]; then
		d=$((span * 3))
	else
		d=$(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (span * (i + 1) / tries + 1)))
	fi
	sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
	kill -KILL "$spid" 2>/dev/null
	wait "$spid"
	case $? in
	0) ok0=$((ok0 + 1)) ;;
	137) killed=$((killed + 1)) ;;
	esac
	settle "$kpid" "$bigbefore" >/dev/null
	i=$((i + 1))
done
t_is "$((ok0 + killed))" "$tries" "$tries senders of 5000 killed at random moments each either finished (0) or died by SIGKILL (137)"
alive "$kpid" "a -k listener survives $tries senders killed at random moments"
t_is "$(settle "$kpid" "$bigbefore")" "$bigbefore" "a -k listener holds the same descriptors after senders killed at random moments"
runs=$(grep -c . "$T/big.log" 2>/dev/null)
t_is "$(grep -vc '^n=5000 open=ok order=ok$' "$T/big.log" 2>/dev/null || true)" "0" \
	"every program that ran for those senders got all 5000 descriptors and nothing else"
if [ "$ok0" -eq 0 ]; then
	t_skip "every sender was killed before it finished (span ${span} ms)" "a program ran for every sender that exited 0"
else
	[ "${runs:-0}" -ge "$ok0" ]
	t_report $? "a program ran for every sender that exited 0 ($ok0 of them, $runs programs)"
fi
if [ "$killed" -eq 0 ]; then
	t_skip "no kill landed before a sender finished (span ${span} ms)" "senders killed mid-transfer left the listener whole"
else
	t_report 0 "senders killed mid-transfer ($killed of them) left the listener whole (the checks above)"
fi
t_diag "random kills within ${span} ms: $ok0 finished, $killed killed; listener messages: $(grep -c '^fdrelay' "$T/big.err")"
kstop "$kpid" "$kjob" "SIGTERM ends the -k listener of the killed senders with status 0"

# ---- Headers that lie about their descriptors -------------------------------

# lie HDR_NFDS N_HEADER N_PAYLOAD DESCRIPTION: an OFFER announcing HDR_NFDS
# descriptors with N_HEADER on its header and N_PAYLOAD on its payload, to a
# -k listener ($K) and to recv -k ($R, which serves in the same process).
R=$T/r
rm -f "$R"
: >"$T/r.err"
start_pid "$T/r.pid" "$FDRELAY" recv -k "$R" 2>>"$T/r.err" >/dev/null
rpid=$lastpid rjob=$lastjob
wait_for_socket "$R"
kpid=$kk
kbefore=$(settle "$kpid" "$(fdset "$kpid")")
tmo "$FDRELAY" send "$R" /dev/null >/dev/null 2>&1
rbefore=$(settle "$rpid" "$(fdset "$rpid")")
lie() {
	_h=$1 _a=$2 _b=$3 _d=$4
	: >"$K.err"
	: >"$T/r.err"
	tmo "$PY" "$T/peer.py" frame "$K" "$_h" "$_a" "$_b" >"$T/lie.out" 2>&1
	t_like "$(cat "$T/lie.out")" "^reply 4 .*malformed" "$_d: the listener answers with an ERROR frame"
	t_like "$(cat "$T/lie.out")" "closed $((_a + _b))/$((_a + _b))" "$_d: every descriptor sent is closed"
	wait_line "$K.err" 'malformed'
	msg "$K.err" "receive from sender: malformed frame" "$_d: the -k listener says so"
	t_is "$(settle "$kpid" "$kbefore")" "$kbefore" "$_d: the -k listener holds the same descriptors"
	tmo "$PY" "$T/peer.py" frame "$R" "$_h" "$_a" "$_b" >"$T/lie.out" 2>&1
	t_like "$(cat "$T/lie.out")" "closed $((_a + _b))/$((_a + _b))" "$_d: recv -k closes every descriptor sent"
	t_is "$(settle "$rpid" "$rbefore")" "$rbefore" "$_d: recv -k holds the same descriptors"
}
lie 2 1 0 "a header announcing 2 descriptors with 1 attached"
lie 3 0 0 "a header announcing 3 descriptors with none attached"
lie 1 3 0 "a header announcing 1 descriptor with 3 attached"
lie 1 1 2 "a header announcing 1 descriptor, 1 attached and 2 more with the payload"
lie 0 2 0 "an empty OFFER carrying 2 descriptors"
msg "$T/r.err" "malformed frame" "recv -k says why it dropped the lying sender"
alive "$kpid" "a -k listener survives five lying senders"
alive "$rpid" "recv -k survives five lying senders"
small_sender "$K" "a -k listener serves an honest sender after the lying ones"
t_is "$(tail -n 1 "$K.log")" "n=3 open=ok order=ok" "the honest sender's program gets exactly its three descriptors"

# One-shot: a lying header ends the listener with status 1.
rm -f "$S1"
tmo "$FDRELAY" listen "$S1" true 2>"$T/one.err" &
opid=$!
wait_for_socket "$S1"
tmo "$PY" "$T/peer.py" frame "$S1" 2 1 0 >/dev/null 2>&1
wait "$opid"
t_is "$?" 1 "a one-shot listener sent fewer descriptors than announced exits 1"
msg "$T/one.err" "malformed frame" "the one-shot listener says the frame was malformed"

# ---- The listener at RLIMIT_NOFILE --------------------------------------------

if [ -n "${FDRELAY_VALGRIND:-}" ]; then
	for d in "the sender exits 1" "the sender says why" "the listener says why" "the listener survives" \
		"no leak" "serves afterwards" "program gets its descriptors" "-k stops" "recv -k sender exits 1" \
		"recv -k says why" "recv -k no leak" "recv -k serves afterwards" "recv -k stops" "warm-up"; do
		t_skip "under valgrind, which keeps descriptors of its own under the limit" "a listener at RLIMIT_NOFILE: $d"
	done
elif command -v prlimit >/dev/null 2>&1; then
	nulls 100
	PRE="prlimit --nofile=40:40" klisten lim
	L=$T/lim
	small_sender "$L" "warm-up: a -k listener at a limit of 40 serves a small sender"
	before=$(settle "$kpid" "$(fdset "$kpid")")
	# shellcheck disable=SC2086 # NULLS is 100 words
	run tmo "$FDRELAY" send "$L" $NULLS
	t_is "$st" 1 "100 descriptors to a -k listener limited to 40: the sender exits 1"
	t_like "$err" "^fdrelay: send .*truncated" "the sender says its descriptors were truncated"
	wait_line "$L.err" 'truncated'
	msg "$L.err" "descriptors truncated: only [0-9]+ of 100 arrived" "the listener says the descriptors were truncated"
	alive "$kpid" "a -k listener at its descriptor limit survives a sender it could not take"
	t_is "$(settle "$kpid" "$before")" "$before" "a -k listener at its limit holds the same descriptors afterwards"
	small_sender "$L" "a -k listener at its limit serves a small sender afterwards"
	t_is "$(tail -n 1 "$L.log")" "n=3 open=ok order=ok" "that small sender's program gets exactly its three descriptors"
	kstop "$kpid" "$kjob" "SIGTERM ends the -k listener at its limit"

	# recv -k receives in-process: whatever arrived before the truncation is closed.
	RL=$T/rlim
	: >"$RL.err"
	start_pid "$RL.pid" prlimit --nofile=40:40 "$FDRELAY" recv -k "$RL" 2>>"$RL.err" >/dev/null
	rlpid=$lastpid rljob=$lastjob
	wait_for_socket "$RL"
	tmo "$FDRELAY" send "$RL" /dev/null >/dev/null 2>&1
	rlbefore=$(settle "$rlpid" "$(fdset "$rlpid")")
	# shellcheck disable=SC2086 # NULLS is 100 words
	run tmo "$FDRELAY" send "$RL" $NULLS
	t_is "$st" 1 "100 descriptors to recv -k limited to 40: the sender exits 1"
	wait_line "$RL.err" 'truncated'
	msg "$RL.err" "descriptors truncated: only [0-9]+ of 100 arrived" "recv -k says the descriptors were truncated"
	t_is "$(settle "$rlpid" "$rlbefore")" "$rlbefore" "recv -k at its limit closed every descriptor that did arrive"
	run tmo "$FDRELAY" send "$RL" /dev/null /etc/passwd
	t_is "$st" 0 "recv -k at its limit serves a small sender afterwards"
	kstop "$rlpid" "$rljob" "SIGTERM ends recv -k at its limit"
else
	for d in "the sender exits 1" "the sender says why" "the listener says why" "the listener survives" \
		"no leak" "serves afterwards" "program gets its descriptors" "-k stops" "recv -k sender exits 1" \
		"recv -k says why" "recv -k no leak" "recv -k serves afterwards" "recv -k stops"; do
		t_skip "no prlimit" "a listener at RLIMIT_NOFILE: $d"
	done
fi

# ---- A signal every millisecond ---------------------------------------------

# send catches signals only with --wait (INT, TERM, HUP, QUIT), and forwards
# them: there is no signal that interrupts it without changing what it does.
# The listener catches SIGCHLD (and its poll(2) is never restarted), so
# SIGCHLD every millisecond to it and its workers makes every wait in the
# receive path return EINTR, with nothing else to change.
mkdir "$T/many"
(
	cd "$T/many" || exit 1
	i=1000
	while [ $i -lt 2000 ]; do : >"f$i"; i=$((i + 1)); done
)
set --
i=1000
while [ $i -lt 2000 ]; do set -- "$@" "$T/many/f$i"; i=$((i + 1)); done
PROBE_DIR=$T/many klisten sig
G=$T/sig
tmo "$FDRELAY" send -W "$G" "$T/many/f1000" >/dev/null 2>&1
before=$(settle "$kpid" "$(fdset "$kpid")")
rm -f "$T/stop"
cat >"$T/bomb.py" <<'EOF'
import os, signal, sys, time
# bomb.py PID STOPFILE: SIGCHLD every millisecond to PID and its descendants.
root, stop = int(sys.argv[1]), sys.argv[2]
sent = 0
def tree(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return []
    out = [pid]
    for k in kids:
        out += tree(k)
    return out
while not os.path.exists(stop):
    for p in tree(root):
        try:
            os.kill(p, signal.SIGCHLD)
            sent += 1
        except OSError:
            pass
    time.sleep(0.001)
print(sent)
EOF
tmo "$PY" "$T/bomb.py" "$kpid" "$T/stop" >"$T/bomb.out" &
bpid=$!
good=0 i=0
while [ $i -lt 20 ]; do
	tmo "$FDRELAY" send -W "$G" "$@" 2>>"$T/sigs.err" && good=$((good + 1))
	i=$((i + 1))
done
: >"$T/stop"
wait "$bpid"
t_is "$good" 20 "SIGCHLD every millisecond to the listener: 20 transfers of 1000 descriptors all delivered, in order, nothing else"
t_diag "signals sent: $(cat "$T/bomb.out")"
t_is "$(grep -c '^n=1000 open=ok order=ok$' "$G.log")" 20 "each program saw LISTEN_FDNAMES match the inodes of its 1000 descriptors"
alive "$kpid" "the listener survives the SIGCHLD storm"
t_is "$(settle "$kpid" "$before")" "$before" "the listener holds the same descriptors after the SIGCHLD storm"
t_is "$(cat "$T/sigs.err")" "" "no sender printed anything during the SIGCHLD storm"
kstop "$kpid" "$kjob" "SIGTERM ends the listener of the SIGCHLD storm with status 0"
set --

# ---- A peer that closes before acknowledging ---------------------------------

# impostor HOW SEND-ARGS...: `fdrelay send` against a python listener that
# takes the OFFERs and then does HOW; status in $st, stderr in $err.
impostor() {
	_how=$1
	shift
	rm -f "$T/imp"
	tmo "$PY" "$T/peer.py" impostor "$T/imp" "$_how" >"$T/imp.out" 2>&1 &
	_ipid=$!
	wait_for_socket "$T/imp"
	run tmo "$FDRELAY" send "$@"
	wait "$_ipid"
}
nulls 600
impostor close "$T/imp" /dev/null /etc/passwd
t_is "$st" 1 "a listener that closes after the OFFER without an ACK: send exits 1"
t_like "$err" "^fdrelay: send .*closed the connection before acknowledging" "send says the listener closed before acknowledging"
# shellcheck disable=SC2086 # NULLS is 600 words
impostor closefirst "$T/imp" $NULLS
t_is "$st" 1 "a listener that closes after the first of three OFFERs: send exits 1"
t_like "$err" "^fdrelay: send .*(closed the connection before acknowledging|Broken pipe|Connection reset)" \
	"send says the listener went away before acknowledging"
impostor garbage "$T/imp" /dev/null
t_is "$st" 1 "a listener that answers garbage instead of an ACK: send exits 1"
t_like "$err" "^fdrelay: send .*[Pp]rotocol error" "send reports garbage instead of an ACK as a protocol error"
impostor badcount "$T/imp" /dev/null /etc/passwd
t_is "$st" 1 "an ACK counting one descriptor more than sent: send exits 1"
t_like "$err" "^fdrelay: send .*bad acknowledgement" "send reports the wrong count as a bad acknowledgement"
impostor ackfd "$T/imp" /dev/null
t_is "$st" 1 "an ACK carrying a descriptor: send exits 1"
t_like "$err" "^fdrelay: send .*[Pp]rotocol error" "send reports a descriptor on an ACK as a protocol error"
impostor nostatus "$T/imp" -W /dev/null
t_is "$st" 1 "send -W to a listener that acknowledges and closes without a STATUS exits 1"
t_like "$err" "^fdrelay: send .*closed the connection before the program's status" "send -W says the status never came"
set --

# ---- The program fails to exec --------------------------------------------------

printf 'echo never\n' >"$T/noexec"
chmod 644 "$T/noexec"
# execfail PROGRAM STATUS WHAT
execfail() {
	_p=$1 _s=$2 _w=$3
	rm -f "$T/x"
	: >"$T/x.err"
	start_pid "$T/x.pid" "$FDRELAY" listen -k "$T/x" "$_p" 2>>"$T/x.err"
	_xpid=$lastpid _xjob=$lastjob
	wait_for_socket "$T/x"
	run tmo "$FDRELAY" send -W "$T/x" /dev/null
	_before=$(settle "$_xpid" "$(fdset "$_xpid")")
	run tmo "$FDRELAY" send -W "$T/x" /dev/null /etc/passwd
	t_is "$st" "$_s" "a -k listener whose program is $_w: send -W exits $_s"
	msg "$T/x.err" "run $_p" "a -k listener whose program is $_w says it could not run it"
	t_is "$(settle "$_xpid" "$_before")" "$_before" "a -k listener whose program is $_w holds the same descriptors after"
	run tmo "$FDRELAY" send "$T/x" /dev/null
	t_is "$st" 0 "a -k listener whose program is $_w still takes a sender without -W (exit 0: delivered)"
	kstop "$_xpid" "$_xjob" "SIGTERM ends the -k listener whose program is $_w"
	rm -f "$T/x"
	tmo "$FDRELAY" listen "$T/x" "$_p" 2>"$T/x.err" &
	_xpid=$!
	wait_for_socket "$T/x"
	run tmo "$FDRELAY" send -W "$T/x" /dev/null
	wait "$_xpid"
	t_is "$st:$?" "$_s:$_s" "a one-shot listener whose program is $_w exits $_s, and so does send -W"
}
execfail "$T/does-not-exist" 127 "missing"
execfail "$T/noexec" 126 "not executable"
execfail "$T/pub" 126 "a directory"

# ---- ETOOMANYREFS: an unprivileged sender with too much in flight ------------

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1 || ! command -v prlimit >/dev/null 2>&1 ||
	! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	t_skip "needs root, setpriv and prlimit to run a sender as uid 65534" "ETOOMANYREFS: the sender exits 1"
	t_skip "needs root, setpriv and prlimit to run a sender as uid 65534" "ETOOMANYREFS: the sender says why"
else
	cp "$FDRELAY" "$T/pub/fdrelay"
	chmod 755 "$T/pub/fdrelay"
	rm -f "$T/pub/imp"
	tmo "$PY" "$T/peer.py" impostor "$T/pub/imp" noread >/dev/null 2>&1 &
	ipid=$!
	wait_for_socket "$T/pub/imp"
	set --
	i=0
	while [ $i -lt 300 ]; do set -- "$@" -d 0; i=$((i + 1)); done
	run tmo setpriv --reuid=65534 --regid=65534 --clear-groups prlimit --nofile=64:64 \
		"$T/pub/fdrelay" send "$T/pub/imp" "$@" </dev/null
	kill "$ipid" 2>/dev/null
	wait "$ipid"
	t_is "$st" 1 "uid 65534 at a limit of 64 sending 300 descriptors to a listener that does not read: exit 1"
	t_like "$err" "^fdrelay: send .*too many descriptors in flight" "the sender says too many descriptors are in flight"
	set --
fi

kstop "$kk" "$kkjob" "SIGTERM ends the first -k listener with status 0, after all this"
kstop "$rpid" "$rjob" "SIGTERM ends recv -k with status 0, after all this"
t_done
