#!/bin/sh
# load-hold.sh - fdrelay hold under load, against cli-extensions.md: a web
# server restarted five times on a socket the holder keeps (no request
# lost), three take-overs while clients store, fetch and list (no request
# refused, every entry moved whole), and a holder that serves a thousand
# requests among garbage, silent, dying and refused clients without leaking
# descriptors or memory.  Not run under valgrind (too many processes); the
# counts go out as TAP diagnostics.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
need_python

# What outlives one request (holders, servers, clients) is bounded by LONG.
LONG=150
NOBODY=
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
# A copy of the binary that uid 65534 can run, in directories it can cross.
D=$T/pub
mkdir "$D" && chmod 0755 "$T" "$D"
cp "$FDRELAY" "$D/fdrelay" && chmod 0755 "$D/fdrelay"
echo one >"$T/one"
echo two >"$T/two"

# wait_until SECONDS CMD...: polls CMD until it succeeds; 1 when it never did.
wait_until() {
	_w=$(($1 * 20))
	shift
	until "$@"; do
		_w=$((_w - 1))
		[ "$_w" -gt 0 ] || return 1
		sleep 0.05
	done
}
# lines FILE: its number of lines, 0 when it does not exist.
lines() {
	if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}
# at_least N FILE: FILE has N lines or more.
at_least() { [ "$(lines "$2")" -ge "$1" ]; }
# The pid of the process listening at a holder's socket (describe --socket).
# SIGTERM goes to that pid, not to timeout(1)'s, which would signal its whole
# process group: under ASan, LeakSanitizer's helper process at exit too.
hold_pid() {
	"$FDRELAY" describe -J -S "$1" | sed -n 's/.*"holders":\[{"pid":\([0-9]*\).*/\1/p'
}
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l | tr -d ' '; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"; }
# names FILE: "name owner poll" of each line of list -J output.
names() {
	sed 's/^{"name":"\([^"]*\)","owner":\([0-9]*\),.*"poll":\([a-z]*\),.*/\1 \2 \3/' "$1"
}
# field KEY FILE: that numeric (or null) field of each line of list -J output.
field() {
	sed "s/.*\"$1\":\([0-9.]*\|null\)[,}].*/\1/" "$2"
}

# ==== 1. A zero-downtime restart ==============================================
# The holder keeps the listening socket; each run of the server fetches it
# and serves on it; the next run starts before the old one gets SIGTERM,
# which finishes the request in hand and exits.  Connections made while no
# server is accepting wait in the backlog of the socket the holder keeps.

S1=$T/s1
mkdir "$T/www"
echo "served from a held socket" >"$T/www/index.txt"
cat >"$T/server.py" <<'EOF'
import http.server, os, signal, socket, sys
www, ready, done = sys.argv[1:4]
stop = False
served = 0
def term(signo, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, term)
class Handler(http.server.SimpleHTTPRequestHandler):
    timeout = 20
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=www, **kwargs)
    def do_GET(self):
        global served
        super().do_GET()
        served += 1
    def log_message(self, *args):
        pass
assert os.environ["LISTEN_FDS"] == "1" and os.environ["LISTEN_FDNAMES"] == "http"
server = http.server.HTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
server.socket.close()
server.socket = socket.socket(fileno=3)
# Two runs accept on one socket for a while: the one that loses a
# connection to the other must not sit in accept(2).
server.socket.setblocking(False)
server.timeout = 0.05
with open(ready + ".new", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(ready + ".new", ready)
while not stop:
    server.handle_request()
with open(done, "w") as f:
    f.write("%d\n" % served)
EOF
# One client, one new connection per request, until told to stop: a line per request.
cat >"$T/client.py" <<'EOF'
import os, sys, urllib.request
url, want, stop = sys.argv[1:4]
with open(want) as f:
    want = f.read()
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
while not os.path.exists(stop):
    try:
        with opener.open(url, timeout=30) as r:
            body = r.read().decode()
        print("ok" if body == want else "failed: got %r" % body, flush=True)
    except Exception as e:
        print("failed: %s" % e, flush=True)
EOF

timeout -k 5 "$LONG" "$FDRELAY" hold "$S1" 2>"$T/h1.err" &
h1=$!
wait_for_socket "$S1"
h1pid=$(hold_pid "$S1")
run tmo "$FDRELAY" store -l tcp:127.0.0.1:0 -n http "$S1"
t_is "$st:$err" 0: "the holder takes a TCP listening socket (store -l tcp:127.0.0.1:0)"
port=$("$FDRELAY" list -J "$S1" | sed -n 's/.*"local":"127\.0\.0\.1:\([0-9]*\)".*/\1/p')
t_like "$port" '^[0-9]+$' "list -J says the port it is bound to"

# start_server N: a run of the server on the held socket; its pid in $spid, timeout's in $swait.
start_server() {
	timeout -k 5 "$LONG" "$FDRELAY" fetch "$S1" http -- \
		"$PY" "$T/server.py" "$T/www" "$T/ready$1" "$T/done$1" 2>"$T/server$1.err" &
	swait=$!
	spid=
	wait_until 30 test -s "$T/ready$1" && spid=$(cat "$T/ready$1")
}
start_server 0
t_like "$spid" '^[0-9]+$' "the first run of the server starts on the fetched socket"
timeout -k 5 "$LONG" "$PY" "$T/client.py" "http://127.0.0.1:$port/index.txt" \
	"$T/www/index.txt" "$T/stop1" >"$T/requests" 2>"$T/client.err" &
cwait=$!
wait_until 30 at_least 20 "$T/requests"
restarts=0
statuses=
for i in 1 2 3 4 5; do
	old=$spid
	oldwait=$swait
	start_server "$i"
	[ -n "$spid" ] || break
	# Some requests with both runs accepting, then SIGTERM to the old one.
	wait_until 30 at_least $(($(lines "$T/requests") + 10)) "$T/requests"
	kill -TERM "$old"
	wait "$oldwait"
	statuses="$statuses $?"
	restarts=$((restarts + 1))
	wait_until 30 at_least $(($(lines "$T/requests") + 10)) "$T/requests"
done
touch "$T/stop1"
wait "$cwait"
t_is "$?" 0 "the client ran to the end"
kill -TERM "${spid:-$swait}"
wait "$swait"
statuses="$statuses $?"
ok=$(grep -c '^ok$' "$T/requests")
failed=$(grep -c -v '^ok$' "$T/requests")
served=0
for i in 0 1 2 3 4 5; do
	served=$((served + $(cat "$T/done$i" 2>/dev/null || echo 0)))
done
t_diag "$ok requests, $failed failed, $restarts restarts (served by the six runs: $served)"
grep -v '^ok$' "$T/requests" | head -n 5 | sed 's/^/# /'
t_is "$restarts:$statuses" "5: 0 0 0 0 0 0" "five restarts; every run of the server exits 0 on SIGTERM"
t_is "$failed" 0 "no request failed across the restarts"
t_like "$ok" '^[1-9][0-9]*$' "requests were served throughout"
t_is "$served" "$ok" "every request was answered by exactly one of the runs"
t_is "$(cat "$T/client.err")" "" "the client saw no error"
kill -TERM "${h1pid:-$h1}"
wait "$h1"
t_is "$?:$(cat "$T/h1.err")" "0:" "the holder exits 0 on SIGTERM"

# ==== 2. Take-over under load =================================================
# Clients store (unique names, never dropped), fetch and list while three
# new holders in turn take over; every request must succeed and every entry
# move with its name, owner, place, expiry and poll flag.

S2=$T/s2
N2=$T/n2
timeout -k 5 "$LONG" "$FDRELAY" hold -v -M 0666 --allow-uid=65534 --notify "$N2" "$S2" 2>"$T/h2-0.err" &
h2=$!
wait_for_socket "$S2"
t0=$(date +%s)
st2=
tmo "$FDRELAY" store --ttl 1000 -r "$T/one" -n pre-a "$S2"
st2="$st2$?"
tmo "$FDRELAY" store --ttl 1000 -r "$T/one" -n pre-b -r "$T/two" -n pre-b "$S2"
st2="$st2$?"
tmo "$FDRELAY" store --no-poll -l tcp:127.0.0.1:0 -n pre-c "$S2"
st2="$st2$?"
if [ -n "$NOBODY" ]; then
	# shellcheck disable=SC2086 # NOBODY is a command line
	tmo $NOBODY "$D/fdrelay" store --ttl 1000 -r /etc/hostname -n pre-a "$S2"
	st2="$st2$?"
	nttl=4
else
	st2="${st2}0"
	nttl=3
fi
# A pipe whose only writer is hup.py: stored with poll, dropped on its hangup.
cat >"$T/hup.py" <<'EOF'
import os, signal, subprocess, sys, time
fdrelay, sock, pidfile = sys.argv[1:4]
signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(0))
r, w = os.pipe()
st = subprocess.call([fdrelay, "store", "-d", str(r), "-n", "pipe", sock], pass_fds=(r,))
os.close(r)
with open(pidfile + ".new", "w") as f:
    f.write("%d %d\n" % (os.getpid(), st))
os.rename(pidfile + ".new", pidfile)
time.sleep(600)
EOF
timeout -k 5 "$LONG" "$PY" "$T/hup.py" "$FDRELAY" "$S2" "$T/hup" &
hupwait=$!
wait_until 30 test -s "$T/hup"
t_is "$st2:$(cut -d' ' -f2 "$T/hup" 2>/dev/null)" "0000:0" "entries stored before the load (with --ttl 1000, two owners, a pipe)"
tmo "$FDRELAY" list -J "$S2" >"$T/before"
npre=$(lines "$T/before")

# loop2 ID: store, fetch and list until told to stop (at least 17 rounds); each
# stored name goes to $T/loop$ID, each failure to $T/fail2.
loop2() {
	_k=0
	while [ "$_k" -lt 17 ] || [ ! -e "$T/stop2" ]; do
		_k=$((_k + 1))
		_n=L$1-$_k
		tmo "$FDRELAY" store -r "$T/one" -n "$_n" "$S2" 2>>"$T/loop.err" ||
			echo "store $_n: $?" >>"$T/fail2"
		tmo "$FDRELAY" fetch "$S2" "$_n" >/dev/null 2>>"$T/loop.err" ||
			echo "fetch $_n: $?" >>"$T/fail2"
		tmo "$FDRELAY" list "$S2" >/dev/null 2>>"$T/loop.err" ||
			echo "list after $_n: $?" >>"$T/fail2"
		echo "$_n" >>"$T/loop$1"
	done
}
# progress: rounds done by all loops.
progress() { cat "$T"/loop[1-4] 2>/dev/null | wc -l | tr -d ' '; }
more_progress() { [ "$(progress)" -ge "$1" ]; }
: >"$T/fail2"
loops=
for i in 1 2 3 4; do
	loop2 "$i" &
	loops="$loops $!"
done
wait_until 30 more_progress 4
takeovers=0
statuses=
for i in 1 2 3; do
	timeout -k 5 "$LONG" "$FDRELAY" hold -v -M 0666 --allow-uid=65534 --take-over "$S2" 2>"$T/h2-$i.err" &
	new=$!
	wait "$h2"
	statuses="$statuses $?"
	h2=$new
	takeovers=$((takeovers + 1))
	# Requests served by this holder before the next take-over.
	wait_until 30 more_progress $(($(progress) + 8))
done
touch "$T/stop2"
for p in $loops; do wait "$p"; done
rounds=$(progress)
nfail=$(lines "$T/fail2")
t_diag "$((rounds * 3)) requests ($rounds store + fetch + list rounds by 4 clients), $nfail failed, $takeovers take-overs"
head -n 20 "$T/fail2" | sed 's/^/# /'
sort -u "$T/loop.err" | head -n 5 | sed 's/^/# stderr: /'
t_is "$statuses" " 0 0 0" "each old holder exits 0 once the next one took over"
# Each of the four holders served stores of the clients (8 rounds at least after each take-over).
per=
busy=0
for i in 0 1 2 3; do
	_n=$(grep -c 'stored 1 descriptor$' "$T/h2-$i.err")
	per="$per $_n"
	[ "$_n" -gt 0 ] && busy=$((busy + 1))
done
t_diag "stores served by the first holder and the three that took over:$per"
t_is "$busy" 4 "each of the four holders served the clients in its turn"
t_is "$nfail" 0 "no request failed or was refused during the take-overs"
for i in 1 2 3; do
	t_like "$(cat "$T/h2-$i.err")" "took over [0-9]+ descriptors and the notify socket" \
		"take-over $i: the new holder took the entries and the notify socket"
	t_like "$(cat "$T/h2-$((i - 1)).err")" "handed everything over; exiting" "take-over $i: the old holder handed everything over"
done

tmo "$FDRELAY" list -J "$S2" >"$T/after"
names "$T/before" >"$T/before.names"
names "$T/after" >"$T/after.names"
t_is "$(head -n "$npre" "$T/after.names")" "$(cat "$T/before.names")" \
	"the entries held before come first, same names, owners, order and poll flags"
cat "$T"/loop[1-4] | sort >"$T/stored"
t_is "$(tail -n +$((npre + 1)) "$T/after.names" | cut -d' ' -f1 | sort)" "$(cat "$T/stored")" \
	"followed by every name the clients stored, nothing else"
inorder=0
for i in 1 2 3 4; do
	grep "^L$i-" "$T/after.names" | cut -d' ' -f1 | cmp -s - "$T/loop$i" && inorder=$((inorder + 1))
done
t_is "$inorder" 4 "each client's names are in the order it stored them"
# Each --ttl 1000 entry: age + expires_in is its ttl to the millisecond (the
# expiry moved, not restarted), and expires_in is 1000 less the time since it
# was stored (within (990, 1000] unless this machine took over 9 s to get here).
elapsed=$(($(date +%s) - t0 + 1))
head -n "$npre" "$T/after" | grep -v '"expires_in":null' >"$T/after.ttl"
field age "$T/after.ttl" >"$T/ttl.age"
field expires_in "$T/after.ttl" >"$T/ttl.left"
t_diag "expires_in of the --ttl 1000 entries after the take-overs: $(tr '\n' ' ' <"$T/ttl.left")(${elapsed} s or less since they were stored)"
t_is "$(paste -d' ' "$T/ttl.age" "$T/ttl.left" | awk -v low=$((1000 - elapsed)) '
	$2 <= low || $2 > 1000 { bad++ }
	$1 + $2 < 999.9995 || $1 + $2 > 1000.0005 { sum++ }
	END { print NR " entries, " bad + 0 " expiring out of (" low ", 1000], " sum + 0 " with age + expires_in not 1000" }')" \
	"$nttl entries, 0 expiring out of ($((1000 - elapsed)), 1000], 0 with age + expires_in not 1000" \
	"their expiries moved: age + expires_in is still the ttl, and no more than the time since has gone"
ages=$(paste "$T/before" "$T/after" | head -n "$npre" |
	sed 's/^{[^	]*"age":\([0-9.]*\),[^	]*	{.*"age":\([0-9.]*\),.*/\1 \2/' |
	awk '$2 < $1 { bad++ } END { print NR ":" bad + 0 }')
t_is "$ages" "$npre:0" "their ages moved too (none younger than before)"

# shellcheck disable=SC2016 # the program's own variable
run tmo "$FDRELAY" fetch "$S2" pre-a -- sh -c 'echo "$NOTIFY_SOCKET"'
t_is "$st:$out" "0:$N2" "fetch still points programs at the notify socket"
cat >"$T/notify.py" <<'EOF'
import array, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
with open("/etc/hostname") as f:
    fds = array.array("i", [f.fileno()])
    s.sendmsg([b"FDSTORE=1\nFDNAME=viaNotify"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds.tobytes())], 0, sys.argv[1])
EOF
run tmo "$PY" "$T/notify.py" "$N2"
t_is "$st:$err" 0: "a message to the notify socket goes out"
held_notify() { "$FDRELAY" list "$S2" | grep -q '^viaNotify owner'; }
wait_until 10 held_notify
t_is "$?" 0 "the last holder stores what arrives on the notify socket it took over"
hpid=$(cut -d' ' -f1 "$T/hup" 2>/dev/null)
kill -TERM "${hpid:-$hupwait}"
wait "$hupwait"
pipe_gone() { ! "$FDRELAY" list "$S2" | grep -q '^pipe '; }
wait_until 10 pipe_gone
t_is "$?" 0 "the last holder watches moved entries: the pipe is dropped when its writer goes"
h2pid=$(hold_pid "$S2")
kill -TERM "${h2pid:-$h2}"
wait "$h2"
t_is "$?" 0 "the last holder exits 0 on SIGTERM"
t_ok "it removes the socket files it took over" wait_gone "$S2" 5
t_ok "the notify socket file too" wait_gone "$N2" 5

# ==== 3. Hostile clients ======================================================
# Good clients store, fetch and drop among clients sending garbage, staying
# silent (the holder has -t 2), dying mid-request, and uid 65534 refused by
# the default policy.  Afterwards the holder has the descriptors it had
# plus those it holds, about the memory it had, and every good request succeeded.

S3=$T/s3
cat >"$T/hostile.py" <<'EOF'
import os, random, signal, socket, struct, sys, time
mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(n)
def frame(t, payload, nfds=0, flags=0):
    return struct.pack(">BBBBHH", 0xFD, 1, t, flags, nfds, len(payload)) + payload
def request(op, flags=0, names=()):
    return frame(7, struct.pack(">BBIQIH", op, flags, 0xFFFFFFFF, 0, 0, len(names)) +
                 b"".join(bytes([len(x)]) + x for x in names))
def connect():
    # A blocking connect(2): waits, as fdrelay's clients do, while the backlog is full.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(30)
    return s
def closed_by_holder(s):
    # True once the holder closed its end (EOF or reset), reading what it says.
    try:
        while s.recv(65536):
            pass
        return True
    except socket.timeout:
        return False
    except OSError:
        return True
done = 0
if mode == "garbage":
    # Random bytes; a header and noise; a STORE then a broken OFFER; a cut REQUEST.
    for i in range(n):
        noise = rnd.randbytes(rnd.randint(1, 3000))
        data = [noise, b"\xfd\x01" + noise, request(1) + b"\xfd\x01\x01\x00" + noise,
                request(2, 0, [b"keep"])[:-2] + noise][i % 4]
        s = connect()
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        done += closed_by_holder(s)
        s.close()
elif mode == "silent":
    # Connected and silent; half a header; a STORE with half an OFFER carrying
    # two descriptors; a STORE with an OFFER (two descriptors) saying MORE:
    # each then silent, till the holder's -t ends it (closing what it got).
    socks = [connect() for i in range(n)]
    for i, s in enumerate(socks):
        if i % 4 == 1:
            s.sendall(b"\xfd\x01\x07")
        elif i % 4 >= 2:
            r, w = os.pipe()
            s.sendall(request(1))
            offer = frame(1, b"\x01a\x01b", 2, 0x02)
            socket.send_fds(s, [offer[:10] if i % 4 == 2 else offer], [r, w])
            os.close(r)
            os.close(w)
    for s in socks:
        done += closed_by_holder(s)
elif mode == "killed":
    # SIGKILLed mid-STORE with descriptors in flight, or mid-FETCH --take before the ACK.
    for i in range(n):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            s = connect()
            if i % 2 == 0:
                s.sendall(request(1))
                socket.send_fds(s, [frame(1, b"\x01a\x01b", 2)[:10]], [r, w])
                time.sleep(0.01)
            else:
                s.sendall(request(2, 1, [b"keep"]))
                fds = []
                while not fds:
                    msg, fds, flags, addr = socket.recv_fds(s, 65536, 8)
                    if not msg:
                        break
            os.kill(os.getpid(), signal.SIGKILL)
        os.close(r)
        os.close(w)
        status = os.waitpid(pid, 0)[1]
        done += os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
print(done)
EOF
# An ASan build keeps up to 256 MiB of freed memory in quarantine: a small one
# leaves the holder's own growth to be seen.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1" \
	timeout -k 5 "$LONG" "$FDRELAY" hold -v -t 2 -M 0666 "$S3" 2>"$T/h3.err" &
h3=$!
wait_for_socket "$S3"
h3pid=$(hold_pid "$S3")
t_like "$h3pid" '^[0-9]+$' "describe --socket names the holder's pid"

# good3 ID ROUNDS: store, fetch and drop a name of its own each round; failures to $T/fail3.
good3() {
	_k=0
	while [ "$_k" -lt "$2" ]; do
		_k=$((_k + 1))
		_n=G$1-$_k
		tmo "$FDRELAY" store -r "$T/one" -n "$_n" "$S3" 2>>"$T/good.err" ||
			echo "store $_n: $?" >>"$T/fail3"
		tmo "$FDRELAY" fetch "$S3" "$_n" >/dev/null 2>>"$T/good.err" ||
			echo "fetch $_n: $?" >>"$T/fail3"
		tmo "$FDRELAY" drop "$S3" "$_n" 2>>"$T/good.err" ||
			echo "drop $_n: $?" >>"$T/fail3"
	done
}
: >"$T/fail3"
tmo "$FDRELAY" store -r "$T/one" -n keep "$S3"
tmo "$FDRELAY" store -l unix:@fdrelay-load-$$ -n keep "$S3"
good3 warm 10
held0=$(tmo "$FDRELAY" list "$S3" | wc -l | tr -d ' ')
fd0=$(nfds "$h3pid")
rss0=$(rss_kb "$h3pid")

jobs3=
for i in 1 2 3 4; do
	good3 "$i" 84 &
	jobs3="$jobs3 $!"
done
timeout -k 5 "$LONG" "$PY" "$T/hostile.py" garbage "$S3" 200 >"$T/garbage" 2>&1 &
jobs3="$jobs3 $!"
timeout -k 5 "$LONG" "$PY" "$T/hostile.py" silent "$S3" 100 >"$T/silent" 2>&1 &
jobs3="$jobs3 $!"
timeout -k 5 "$LONG" "$PY" "$T/hostile.py" killed "$S3" 100 >"$T/killed" 2>&1 &
jobs3="$jobs3 $!"
refused=0
nrefused=0
refusals="no refused clients (they need root and setpriv)"
if [ -n "$NOBODY" ]; then
	_k=0
	while [ "$_k" -lt 50 ]; do
		_k=$((_k + 1))
		# shellcheck disable=SC2086 # NOBODY is a command line
		if [ $((_k % 2)) -eq 0 ]; then
			tmo $NOBODY "$D/fdrelay" store -r /etc/hostname -n "N$_k" "$S3" 2>>"$T/refused.err"
		else
			tmo $NOBODY "$D/fdrelay" list "$S3" 2>>"$T/refused.err"
		fi
		_st=$?
		[ "$_st" -eq 3 ] && refused=$((refused + 1))
		[ "$_st" -eq 3 ] || echo "exit $_st" >>"$T/refused.err"
		nrefused=$((nrefused + 1))
	done
	refusals="$refused of $nrefused refused"
fi
for p in $jobs3; do wait "$p"; done
# The holder closes each connection once it is over; give it a moment for the last.
held1=$(tmo "$FDRELAY" list "$S3" | wc -l | tr -d ' ')
fds_settled() { [ "$(nfds "$h3pid")" -eq $((fd0 + held1 - held0)) ]; }
wait_until 10 fds_settled
fd1=$(nfds "$h3pid")
rss1=$(rss_kb "$h3pid")
nfail=$(lines "$T/fail3")
t_diag "1008 good requests, $nfail failed; 200 garbage senders ($(cat "$T/garbage") closed by the holder)," \
	"100 silent ($(cat "$T/silent") timed out), 100 killed mid-request ($(cat "$T/killed") by SIGKILL)," \
	"$refusals"
t_diag "holder pid $h3pid: descriptors $fd0 -> $fd1 (held $held0 -> $held1), VmRSS $rss0 -> $rss1 kB"
head -n 20 "$T/fail3" | sed 's/^/# /'
sort -u "$T/good.err" | head -n 5 | sed 's/^/# stderr: /'
t_is "$nfail" 0 "no good request failed among the hostile clients"
t_is "$(cat "$T/garbage")" 200 "the holder hung up on every garbage sender"
t_is "$(cat "$T/silent")" 100 "and on every silent one (-t 2)"
ntimedout=$(grep -c 'timed out$' "$T/h3.err")
[ "$ntimedout" -ge 100 ]
t_report $? "by its timeout: -v says so $ntimedout times (at least 100)"
t_is "$(cat "$T/killed")" 100 "clients were killed mid-request"
if [ -n "$NOBODY" ]; then
	t_is "$refused" 50 "uid 65534 is refused by the default policy (exit 3), 50 times"
	[ "$refused" -eq 50 ] || sort "$T/refused.err" | uniq -c | sed 's/^/# /'
	t_is "$(grep -c 'refused pid' "$T/h3.err")" 50 "the holder logs each refusal"
else
	t_skip "needs root and setpriv" "uid 65534 is refused by the default policy"
fi
run tmo "$FDRELAY" list "$S3"
t_is "$(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ' ')" "keep keep " \
	"what is held: the two entries stored first (no --take of a killed fetch happened)"
t_is "$held1" "$held0" "as many entries as before the load"
t_is "$fd1" $((fd0 + held1 - held0)) "the holder's descriptors: as many as before, no leak"
grow=$((rss1 - rss0))
t_like "$grow" '^-?[0-9]+$' "VmRSS was read before and after"
[ "$grow" -lt 8192 ] 2>/dev/null
t_report $? "the holder's memory grew by less than 8 MiB ($grow kB)"
kill -TERM "${h3pid:-$h3}"
wait "$h3"
t_is "$?" 0 "the holder exits 0 on SIGTERM after all that"

t_done
