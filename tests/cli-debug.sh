#!/bin/sh
# cli-debug.sh - debugging fd passing: describe's view of unix sockets
# (peers, queues, descriptors in flight, pending connections), describe
# --socket, the LISTEN_PID check, and recv/listen's report when the kernel
# cuts what was sent.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
need_python

# scene CODE: runs CODE in a background python3 (os, socket, sys imported;
# T is the scratch directory), which then writes the variables it put in
# the dict `info` to $T/info as KEY=VALUE lines and sleeps until killed;
# sets $scene to its pid.
scene() {
	rm -f "$T/info" "$T/info.tmp"
	"$PY" -c "import os, sys, socket, time
T = sys.argv[1]
info = {}
$1
with open(T + '/info.tmp', 'w') as f:
    f.write(''.join('%s=%s\n' % kv for kv in info.items()))
os.rename(T + '/info.tmp', T + '/info')
time.sleep(60)" "$T" &
	scene=$!
	_n=0
	while [ ! -s "$T/info" ] && [ "$_n" -lt 200 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
}
# iv KEY: a value the scene wrote.
iv() { sed -n "s/^$1=//p" "$T/info"; }
scene_end() {
	kill "$scene" 2>/dev/null
	wait "$scene" 2>/dev/null
}

# jfield FIELD...: the field (a path of keys and indexes) of the JSON object
# in $out, parsed by Python's json module; "absent" when it is not there.
# Every object read is kept in $T/json.seen for the check of field names.
jfield() {
	printf '%s\n' "$out" >>"$T/json.seen"
	printf '%s\n' "$out" | "$PY" -c 'import json, sys
v = json.loads(sys.stdin.readline())
for k in sys.argv[1:]:
    try:
        v = v[int(k) if isinstance(v, list) else k]
    except (KeyError, IndexError):
        print("absent"); sys.exit(0)
print(json.dumps(v))' "$@"
}

# fdset PID: the descriptors PID has open, with what each one is.
fdset() {
	for _f in "/proc/$1/fd/"*; do
		printf '%s=%s ' "${_f##*/}" "$(readlink "$_f")"
	done
}

has_scm_fds() { grep -q '^scm_fds:' "/proc/$1/fdinfo/$2" 2>/dev/null; }

# ---- the peer of a socketpair between two processes ----

scene 'a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    os.dup2(b.fileno(), 7)
    os.close(b.fileno())
    os.close(a.fileno())
    time.sleep(60)
    os._exit(0)
b.close()
info["a"] = a.fileno(); info["child"] = pid'
a=$(iv a) child=$(iv child)
run "$FDRELAY" describe --pid "$scene" "$a"
# (The state and addresses come from a copy of the socket, which valgrind
# cannot make: only the parts from the kernel's table are matched here.)
t_like "$out" "^$a: socket unix stream .*, peer held by pid $child \\(python3\\) fd 7\$" \
	"a socketpair's end names the other process and the descriptor holding its peer"
run "$FDRELAY" describe --json --pid "$scene" "$a"
t_is "$(jfield peer_holders)" "[{\"pid\": $child, \"command\": \"python3\", \"fd\": 7}]" \
	"--json: peer_holders lists that pid, command and descriptor"
t_is "$(jfield peer_inode)" "$(stat -L -c %i "/proc/$child/fd/7")" \
	"--json: peer_inode is the inode of the peer's socket"
t_is "$(jfield queued)" "0" "--json: nothing queued is queued 0"
kill "$child" 2>/dev/null
scene_end

# ---- bytes queued and descriptors in flight ----

scene 'a, b = socket.socketpair()
a.send(b"12345")
c, d = socket.socketpair()
r, w = os.pipe()
socket.send_fds(c, [b"x"], [r, w, r])
info["b"] = b.fileno(); info["d"] = d.fileno()'
b=$(iv b) d=$(iv d)
run "$FDRELAY" describe --pid "$scene" "$b"
t_like "$out" ", queued 5 bytes\$" "5 unread bytes are shown as queued 5 bytes"
run "$FDRELAY" describe --json --pid "$scene" "$b"
t_is "$(jfield queued)" "5" "--json: queued is 5"
if has_scm_fds "$scene" "$d"; then
	run "$FDRELAY" describe --pid "$scene" "$d"
	t_like "$out" ", queued 1 bytes, in flight 3 descriptors\$" \
		"3 descriptors sent and not yet received are in flight (and their byte queued)"
	run "$FDRELAY" describe --json --pid "$scene" "$d"
	t_is "$(jfield in_flight)" "3" "--json: in_flight is 3"
	run "$FDRELAY" describe --json --pid "$scene" "$b"
	t_is "$(jfield in_flight)" "0" "--json: a socket with nothing in flight has in_flight 0"
else
	t_skip "this kernel's fdinfo has no scm_fds (Linux 6.9+)" "descriptors in flight"
	t_skip "this kernel's fdinfo has no scm_fds (Linux 6.9+)" "--json: in_flight is 3"
	t_skip "this kernel's fdinfo has no scm_fds (Linux 6.9+)" "--json: in_flight 0"
fi
scene_end

# ---- a peer nobody holds: it is in flight itself ----

scene 'a, b = socket.socketpair()
c, d = socket.socketpair()
socket.send_fds(c, [b"x"], [b.fileno()])
b.close()
info["a"] = a.fileno()'
run "$FDRELAY" describe --pid "$scene" "$(iv a)"
t_like "$out" ", peer held by no process \\(in flight in a message\\?\\)\$" \
	"a socket whose peer is in flight says no process holds the peer"
scene_end

# ---- a listener with pending connections ----

scene 'l = socket.socket(socket.AF_UNIX)
l.bind(T + "/l.sock"); l.listen(7)
c1 = socket.socket(socket.AF_UNIX); c1.connect(T + "/l.sock")
c2 = socket.socket(socket.AF_UNIX); c2.connect(T + "/l.sock")
info["l"] = l.fileno(); info["c1"] = c1.fileno()'
l=$(iv l)
run "$FDRELAY" describe --pid "$scene" "$l"
t_like "$out" "^$l: socket unix stream .*, pending 2 of backlog 7\$" \
	"a listener with 2 connections not accepted shows pending 2 of backlog 7"
run "$FDRELAY" describe --json --pid "$scene" "$l"
t_is "$(jfield pending) $(jfield backlog) $(jfield queued)" "2 7 absent" \
	"--json: pending 2, backlog 7, no queued field for a listener"
run "$FDRELAY" describe --pid "$scene" "$(iv c1)"
t_like "$out" ", not yet accepted by pid $scene \\(python3\\) fd $l\$" \
	"a client its listener has not accepted names the process and descriptor of that listener"
run "$FDRELAY" describe --json --pid "$scene" "$(iv c1)"
t_is "$(jfield listener_holders 0 fd) $(jfield listener_inode)" "$l $(stat -L -c %i "/proc/$scene/fd/$l")" \
	"--json: listener_holders and listener_inode"

# ---- describe --socket ----

run "$FDRELAY" describe --socket "$T/l.sock"
t_is "$st" 0 "--socket on a live listener exits 0"
t_like "$out" "^$T/l.sock: socket unix stream listening, owner $(id -u):$(id -g), mode 0[0-7]{3}, inode [0-9]+, pending 2 of backlog 7, held by pid $scene \\(python3\\) fd $l, connect: ok\$" \
	"--socket: type, owner, mode, pending, the pid and descriptor holding it, and a connect that succeeds"
run "$FDRELAY" describe --json --socket "$T/l.sock"
t_is "$(jfield stale) $(jfield state) $(jfield holders 0 pid) $(jfield holders 0 fd) $(jfield connects)" \
	"false \"listening\" $scene $l true" "--socket --json: not stale, listening, its holder, connects"
t_is "$(jfield mode)" "\"$(stat -c %04a "$T/l.sock")\"" "--socket --json: mode is the socket file's, in octal"
scene_end

scene 's = socket.socket(socket.AF_UNIX)
s.bind(T + "/stale.sock")
s.close()'
run "$FDRELAY" describe --socket "$T/stale.sock"
t_is "$st" 0 "--socket on a stale socket file exits 0"
t_like "$out" "^$T/stale.sock: socket unix stale, owner [0-9]+:[0-9]+, mode 0[0-7]+, no socket is bound to it, connect: Connection refused\$" \
	"--socket says a socket file nobody listens on is stale"
run "$FDRELAY" describe -J --socket "$T/stale.sock"
t_is "$(jfield stale) $(jfield connects) $(jfield connect_error)" 'true false "Connection refused"' \
	"--socket --json: stale true, connects false, the error"
scene_end

printf 'x\n' >"$T/file"
run "$FDRELAY" describe --socket "$T/file"
t_is "$st" 1 "--socket on a regular file exits 1"
t_is "$err" "fdrelay: describe: $T/file: not a socket" "... saying it is not a socket"
run "$FDRELAY" describe --socket "$T/missing"
t_is "$st.$out" "1." "--socket on a missing path exits 1 and prints nothing"
t_is "$err" "fdrelay: describe: $T/missing: No such file or directory" "... saying no such file"
run "$FDRELAY" describe --socket "@fdrelay-test-nobody-$$"
t_is "$st" 1 "--socket on an abstract name nobody bound exits 1"
t_like "$err" "no socket is bound to that abstract name" "... saying so"

scene 's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0fdrelay-test-'$$'")
info["s"] = s.fileno()'
run "$FDRELAY" describe --socket "@fdrelay-test-$$"
t_like "$out" "^@fdrelay-test-$$: socket unix dgram bound, inode [0-9]+, held by pid $scene \\(python3\\) fd $(iv s), connect: ok\$" \
	"--socket on an abstract datagram socket: type, holder, no owner or mode"
scene_end

run "$FDRELAY" describe --socket "$T/l.sock" 0
t_is "$st" 2 "--socket with FD operands is a usage error"

# A full backlog: the connect describe makes would wait, and says so.
scene 'l = socket.socket(socket.AF_UNIX)
l.bind(T + "/full.sock"); l.listen(0)
c = socket.socket(socket.AF_UNIX); c.connect(T + "/full.sock")'
run "$FDRELAY" describe --socket "$T/full.sock"
t_like "$out" ", pending 1 of backlog 0, held by pid $scene \\(python3\\) fd [0-9]+, connect: would wait \\(its backlog is full\\)\$" \
	"--socket on a listener whose backlog is full says a connect would wait"
"$FDRELAY" describe --socket "$T/full.sock" >/dev/full 2>"$T/err"
t_is "$?.$(cat "$T/err")" "1.fdrelay: describe: standard output: No space left on device" \
	"--socket with its output on /dev/full exits 1 and says so"

# Another uid: no permission on the socket file, other processes hidden.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 600 "$T/full.sock"
	chmod 755 "$T"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$FDRELAY" describe --socket "$T/full.sock"
	t_like "$out" ", held by no process visible here \\([0-9]+ processes could not be looked into\\), connect: Permission denied\$" \
		"--socket as another uid: holders hidden and said so, the connect refused for want of permission"
else
	t_skip "needs root and setpriv to run describe as uid 65534" "--socket as another uid"
fi
scene_end

# ---- LISTEN_PID that names another process ----

run env LISTEN_FDS=1 LISTEN_PID=1 LISTEN_FDNAMES=web "$FDRELAY" describe 3 3</dev/null
t_is "$st" 0 "describe with LISTEN_PID naming another process still exits 0"
t_like "$err" '^fdrelay: describe: LISTEN_FDS=1 was meant for pid 1 \(LISTEN_PID\), but this is pid [0-9]+: .*sh -c' \
	"it says in one line that LISTEN_FDS was meant for pid 1, not this one"
t_is "$(printf '%s\n' "$err" | wc -l)" 1 "... one line"
t_is "$out" "3: character device /dev/null, read-only, device 1:3" "... and the descriptor has no name"

run env LISTEN_FDS=2 "$FDRELAY" describe 3 3</dev/null
t_like "$err" 'LISTEN_FDS=2 is set but LISTEN_PID is not' "LISTEN_FDS without LISTEN_PID is told"

if [ -n "${FDRELAY_VALGRIND:-}" ]; then
	t_skip "under valgrind, whose log is the lowest free descriptor (4 here)" \
		"a descriptor LISTEN_FDS promises that is not open is told"
else
	# shellcheck disable=SC2016 # $$ and $0 are the inner shell's, which execs describe
	run sh -c 'LISTEN_FDS=2 LISTEN_PID=$$ exec "$0" describe 3 3</dev/null' "$FDRELAY"
	t_is "$err" "fdrelay: describe: LISTEN_FDS=2 promises descriptors 3 to 4, but 4 is not open (closed after it was started?)" \
		"a descriptor LISTEN_FDS promises that is not open is told"
fi
# shellcheck disable=SC2016
run sh -c 'LISTEN_FDS=2 LISTEN_PID=$$ LISTEN_FDNAMES=web exec "$0" describe 3 4 3</dev/null 4</dev/null' "$FDRELAY"
t_is "$err" "fdrelay: describe: LISTEN_FDNAMES has 1 name for LISTEN_FDS=2 descriptors" \
	"LISTEN_FDNAMES with fewer names than LISTEN_FDS is told"
# shellcheck disable=SC2016
run sh -c 'LISTEN_FDS=1 LISTEN_PID=$$ LISTEN_FDNAMES=web exec "$0" describe 3 3</dev/null' "$FDRELAY"
t_is "$err.$out" ".3 web: character device /dev/null, read-only, device 1:3" \
	"LISTEN_* that agree with the process: nothing said, the name shown"

# The classic failure: the program wrapped in a shell that forks it.
printf 'x\n' >"$T/a.txt"
rm -f "$T/s"
# shellcheck disable=SC2016 # $0 is the inner shell's
tmo "$FDRELAY" listen "$T/s" -- sh -c '"$0" describe 3 2>&1; exit 0' "$FDRELAY" >"$T/lout" 2>&1 &
lp=$!
wait_for_socket "$T/s"
"$FDRELAY" send "$T/s" "$T/a.txt"
wait "$lp"
t_like "$(cat "$T/lout")" '^fdrelay: describe: LISTEN_FDS=1 was meant for pid [0-9]+ \(LISTEN_PID\), but this is pid [0-9]+' \
	"listen ... sh -c 'fdrelay describe; ...': describe names the shell's pid and its own"

# ---- the kernel cuts what was sent: RLIMIT_NOFILE ----
# Valgrind keeps descriptors of its own under the limit (and cannot start
# under a low one), so these run only without it.
if [ -n "${FDRELAY_VALGRIND:-}" ]; then
	t_skip "under valgrind, which keeps descriptors of its own under the limit" \
		"recv and listen at RLIMIT_NOFILE report a truncation"
else

	# 16 files for a receiver allowed 14 descriptors: how many arrive depends on
	# what else it has open (a make jobserver...), so the tests read the count.
	files=
	for i in $(seq 1 16); do
		printf '%s\n' "$i" >"$T/f$i"
		files="$files $T/f$i"
	done
	rm -f "$T/s"
	tmo prlimit --nofile=14:14 "$FDRELAY" recv "$T/s" >"$T/rout" 2>"$T/rerr" &
	rp=$!
	wait_for_socket "$T/s"
	# shellcheck disable=SC2086 # $files: one word per file
	run "$FDRELAY" send "$T/s" $files
	wait "$rp"
	rst=$?
	rerr=$(cat "$T/rerr")
	got=$(printf '%s\n' "$rerr" | sed -n 's/.*descriptors truncated: only \([0-9]*\) of 16 arrived.*/\1/p')
	t_is "$rst" 1 "recv at RLIMIT_NOFILE exits 1 when descriptors were cut"
	t_like "$rerr" '^fdrelay: recv .*: descriptors truncated: only [1-9] of 16 arrived: the receiving process reached its limit of open descriptors \(RLIMIT_NOFILE 14;' \
		"recv says how many of how many arrived (the frame header's count) and the limit"
	t_is "$(printf '%s\n' "$rerr" | grep -c ': arrived: ')" "${got:-none}" "... and describes each one that arrived"
	t_like "$rerr" "arrived: 3 f1: regular file $T/f1, read-only, offset 0, size 2\$" "... with its name, as the program would have had it"
	t_is "$(cat "$T/rout")" "" "... and prints nothing on stdout"
	t_is "$st" 1 "the sender exits 1"
	t_like "$err" "descriptors truncated: only $got of 16 arrived: the receiving process reached its limit" "... told why by the listener"

	rm -f "$T/s"
	tmo prlimit --nofile=14:14 "$FDRELAY" recv --raw "$T/s" >"$T/rout" 2>"$T/rerr" &
	rp=$!
	wait_for_socket "$T/s"
	# shellcheck disable=SC2086
	"$PY" -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
socket.send_fds(s, [b"hi"], [os.open(f, os.O_RDONLY) for f in sys.argv[2:]])' \
		"$T/s" $files
	wait "$rp"
	rst=$?
	rerr=$(cat "$T/rerr")
	t_is "$rst" 1 "recv --raw at RLIMIT_NOFILE exits 1 when a raw sender's descriptors were cut"
	got=$(printf '%s\n' "$rerr" | sed -n 's/.*descriptors truncated: only \([0-9]*\) arrived.*/\1/p')
	t_like "$rerr" 'descriptors truncated: only [1-9] arrived \(how many were sent is unknown: a raw sender says no count\): the receiving process reached its limit' \
		"with a raw sender, the count sent is unknown and said so"
	t_is "$(printf '%s\n' "$rerr" | grep -Ec ': arrived: [0-9]+ fd[0-9]+: regular file')" "${got:-none}" "... the ones that arrived are described"

	rm -f "$T/s"
	tmo prlimit --nofile=14:14 "$FDRELAY" listen "$T/s" -- sh -c 'echo ran' >"$T/lout" 2>"$T/rerr" &
	rp=$!
	wait_for_socket "$T/s"
	# shellcheck disable=SC2086
	"$FDRELAY" send "$T/s" $files 2>/dev/null
	wait "$rp"
	rst=$?
	t_is "$rst.$(cat "$T/lout")" "1." "listen at RLIMIT_NOFILE exits 1 and does not run the program"
	t_like "$(cat "$T/rerr")" '^fdrelay: listen .*: descriptors truncated: only [0-9]+ of 16 arrived' "listen says so too"

	# -k: a datagram cut in the listener itself leaves it as it was.
	rm -f "$T/s"
	prlimit --nofile=12:12 "$FDRELAY" listen -k --dgram "$T/s" -- true 2>"$T/rerr" &
	rp=$!
	wait_for_socket "$T/s"
	before=$(fdset "$rp")
	"$PY" -c 'import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
fds = [os.open(sys.argv[2], os.O_RDONLY) for i in range(20)]
s.sendmsg([b"hi"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))], 0, sys.argv[1])' \
		"$T/s" "$T/f1"
	n=0
	while ! grep -q 'arrived' "$T/rerr" && [ "$n" -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	after=$(fdset "$rp")
	t_like "$(cat "$T/rerr")" 'descriptors truncated: only [0-9]+ arrived' "listen -k --dgram reports a cut datagram"
	t_is "$after" "$before" "... closes what arrived, and goes on with the same descriptors open"
	t_ok "... and goes on listening" kill -0 "$rp"
	kill "$rp"
	wait "$rp" 2>/dev/null
fi

# Every JSON field seen above is one fdrelay(1) documents.
undocumented=$("$PY" -c 'import json, re, sys
page = open(sys.argv[1]).read()
keys = set()
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            keys.add(k); walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
for line in open(sys.argv[2]):
    walk(json.loads(line))
# the words of the lines that name fields (".It Li a , b", ".Li a")
named = set()
for l in page.splitlines():
    if re.match(r"\.(It )?Li ", l) or " Li " in l:
        named.update(re.findall(r"[a-z_]+", l))
print(" ".join(sorted(keys - named)))
print(len(keys), file=sys.stderr)' "$TOP_SRCDIR/docs/fdrelay.1" "$T/json.seen" 2>"$T/nkeys")
t_is "$undocumented" "" "each of the $(cat "$T/nkeys") JSON fields these tests saw is documented in fdrelay(1)"

t_done
