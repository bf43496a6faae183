#!/bin/sh
# cli-hold.sh - the descriptor holder on stream sockets: fdrelay hold, store,
# fetch, drop and list against cli-extensions.md ("fdrelay hold" to "list",
# the notify socket's environment, "Settled details").
# shellcheck source-path=SCRIPTDIR source=lib.sh
# shellcheck disable=SC2016 # the programs' own variables, expanded by their shells
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
need_python

# Holders run for a long part of the file: bounded, but not by the short TMO.
HTMO=$((${TMO:-30} * 20))
NOBODY=
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	NOBODY=1
fi
# nobody CMD...: CMD as uid 65534, bounded.
nobody() { tmo setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
NOSKIP="needs root and setpriv to run a client as uid 65534"
# Everything uid 65534 reaches must be readable by anyone.
chmod 0755 "$T"
D=$T/pub
mkdir "$D" && chmod 0755 "$D"
cp "$FDRELAY" "$D/fdrelay" && chmod 0755 "$D/fdrelay"
for f in f1 f2 f3 f4 f5 f6 p1; do echo "$f" >"$T/$f"; done
chmod 0644 "$T"/f? "$T/p1"

# The program fetch runs: what it got, one KEY=VALUE a line on stdout.
cat >"$T/show.py" <<'EOF'
import os
e = os.environ
out = ["%s=%s" % (k, e.get(k, "-")) for k in ("LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "FDSTORE")]
out.append("pid=%s" % ("self" if e.get("LISTEN_PID") == str(os.getpid()) else e.get("LISTEN_PID", "-")))
live = []
for f in sorted(int(f) for f in os.listdir("/proc/self/fd")):
    try:
        live.append((f, os.readlink("/proc/self/fd/%d" % f)))
    except OSError:
        pass	# the directory listdir read, closed by now
out.append("fds=" + " ".join(str(f) for f, _ in live))
out.append("links=" + " ".join(os.path.basename(l) for f, l in live if f > 2))
print("\n".join(out))
EOF
chmod 0644 "$T/show.py"
# ev KEY: a value show.py printed in $out.
ev() { printf '%s\n' "$out" | sed -n "s/^$1=//p"; }

# hold_start TAG [HOLD OPTIONS...] SOCKET: a holder in the background, stderr
# in $T/TAG.err; returns once it wrote its --ready-fd newline (what it wrote,
# up to the first newline, is in $T/TAG.ready).  Sets $htpid (its timeout)
# and $hpid (the holder itself).
hold_start() {
	_tag=$1; shift
	mkfifo "$T/$_tag.fifo"
	timeout -k 5 "$HTMO" "$FDRELAY" hold --ready-fd=5 "$@" 5>"$T/$_tag.fifo" 2>"$T/$_tag.err" &
	htpid=$!
	tmo head -n 1 "$T/$_tag.fifo" >"$T/$_tag.ready"
	# The socket files there at once (shell builtins only: no time lost).
	ready_socks=
	for _f in "$@"; do
		case $_f in
		--notify=*) _f=${_f#--notify=} ;;
		-*) continue ;;
		esac
		[ -S "$_f" ] && ready_socks="$ready_socks ${_f##*/}"
	done
	hpid=$(pgrep -P "$htpid")
}
# fdset PID: the descriptors PID has open and what each is, one a line.
fdset() {
	for _f in "/proc/$1/fd/"*; do
		printf '%s=%s\n' "${_f##*/}" "$(readlink "$_f")"
	done
}
fdcount() { fdset "$1" | wc -l; }
# wait_fdcount PID N: waits (10 s at most) until PID has N descriptors open.
wait_fdcount() {
	_n=0
	while [ "$(fdcount "$1")" -ne "$2" ] && [ "$_n" -lt 200 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
}
# names SOCKET: what list shows, as NAME=FILE words (regular files only).
names() {
	tmo "$FDRELAY" list "$1" | sed -E 's/^([^ ]*) .*regular file [^,]*\/([^/,]*),.*/\1=\2/' | tr '\n' ' ' | sed 's/ $//'
}

# ---- usage errors and holders that are not there ------------------------------

run tmo "$FDRELAY" fetch
t_like "$st:$err" "^2:fdrelay: fetch: no SOCKET given" "fetch without SOCKET: a usage error (2)"
run tmo "$FDRELAY" store -r "$T/f1"
t_like "$st:$err" "^2:fdrelay: store: no SOCKET given" "store without SOCKET: a usage error (2)"
run tmo "$FDRELAY" fetch "$T/h1" web 'a:b'
t_like "$st:$err" "^2:fdrelay: fetch: 'a:b' is not a valid name" "fetch of an invalid name: a usage error (2) that says which"
run tmo "$FDRELAY" drop "$T/h1"
t_like "$st:$err" "^2:fdrelay: drop: no NAME given" "drop without NAME: a usage error (2)"
# shellcheck disable=SC2046 # 254 names, one a word
run tmo "$FDRELAY" drop "$T/h1" $(seq 254 | sed 's/^/n/')
t_like "$st:$err" "^2:fdrelay: drop: at most 253 names per request, 254 given" "254 names in one request: a usage error (2)"
run tmo "$FDRELAY" fetch -J "$T/h1" -- true
t_like "$st:$err" "^2:fdrelay: fetch: --json: only without PROGRAM" "fetch --json with a PROGRAM: a usage error (2)"
run tmo "$FDRELAY" hold --notify="$T/n" --take-over "$T/h1"
t_like "$st:$err" "^2:fdrelay: hold: --take-over .*--notify is not allowed" "hold --notify with --take-over: a usage error (2)"
t_ok "a usage error binds nothing" test ! -e "$T/n" -a ! -e "$T/h1"
run tmo "$FDRELAY" store "$T/h1"
t_like "$st:$err" "^2:fdrelay: store: nothing to store" "store with nothing to store: a usage error (2)"

run tmo "$FDRELAY" fetch "$T/h1"
t_like "$st:$err" "^1:fdrelay: fetch: connect $T/h1: nothing is there" "fetch with no holder at SOCKET: 1, with send's message"
"$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])' "$T/dead"
run tmo "$FDRELAY" store "$T/dead" -r "$T/f1"
t_like "$st:$err" "^1:fdrelay: store: connect $T/dead: " "store to a holder that is gone (a stale socket): 1"

# ---- a holder: --ready-fd, -M, nothing held ------------------------------------

hold_start h1 -v -M 0666 --notify="$T/h1.n" --max-fds=6 "$T/h1"
h1t=$htpid h1=$hpid
t_is "$(od -An -c "$T/h1.ready" | tr -d ' ')" '\n' "--ready-fd: the holder writes one newline once serving"
t_is "$ready_socks" " h1.n h1" "by then both its socket files are there"
t_ok "--ready-fd: the holder closes that descriptor afterwards" test -n "$h1" -a ! -e "/proc/$h1/fd/5"
t_is "$(stat -c %a "$T/h1" "$T/h1.n" | tr '\n' ' ')" "666 666 " "-M 0666 sets the mode of both the holder's and the notify socket file"
base=$(fdset "$h1")

run tmo "$FDRELAY" fetch "$T/h1"
t_is "$st:$out" "0:holder $T/h1: nothing held" "fetch with nothing held: 'nothing held', exit 0"
run tmo "$FDRELAY" list "$T/h1"
t_is "$st:$out:$err" "0::" "list with nothing held prints nothing, exit 0"
run tmo "$FDRELAY" fetch "$T/h1" -- "$PY" "$T/show.py"
t_is "$st:$(ev LISTEN_FDS):$(ev fds):$(ev NOTIFY_SOCKET):$(ev FDSTORE)" "0:0:0 1 2:$T/h1.n:6" \
	"fetch with nothing held runs PROGRAM with LISTEN_FDS=0 (and the notify socket, FDSTORE=--max-fds)"

# ---- store, list, fetch: order and what the program gets --------------------------

run tmo "$FDRELAY" store "$T/h1" -r "$T/f1" -n a -r "$T/f2" -n b
st1=$st
run tmo "$FDRELAY" store -v "$T/h1" -r "$T/f3" -n a -r "$T/f4" -n c
t_is "$st1:$st:$(printf '%s\n' "$err" | tail -n 1)" "0:0:fdrelay: store: $T/h1 holds 2 descriptors more" \
	"store exits 0 once the holder holds them (-v says so)"
held4=$(fdset "$h1")
t_is "$(printf '%s\n' "$held4" | wc -l)" "$(($(printf '%s\n' "$base" | wc -l) + 4))" \
	"each held descriptor costs the holder one descriptor, nothing else"

run tmo "$FDRELAY" list "$T/h1"
t_is "$(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ' ')" "a b a c " "list: one line per descriptor, in store order"
t_like "$(printf '%s\n' "$out" | head -n 1)" \
	"^a owner 0 age [0-9]+\\.[0-9]{3}s expires never poll: regular file $T/f1, read-only, .*size 3\$" \
	"list: name, owner, age, expiry, poll flag and describe's description"
run tmo "$FDRELAY" list -J "$T/h1"
printf '%s\n' "$out" >"$T/list.json"
t_is "$("$PY" -c 'import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert {"name", "owner", "age", "expires_in", "poll", "type"} <= set(o), o
    assert isinstance(o["age"], (int, float)) and o["age"] >= 0, o
    print(o["name"], o["owner"], o["expires_in"], o["poll"], o["type"], o["path"].rsplit("/")[-1])' "$T/list.json" | tr '\n' ,)" \
	"a 0 None True regular f1,b 0 None True regular f2,a 0 None True regular f3,c 0 None True regular f4," \
	"list -J: one JSON object per line with name, owner, age, expires_in, poll and describe's fields"
run tmo "$FDRELAY" fetch -J "$T/h1" b
printf '%s\n' "$out" >"$T/fetch.json"
t_is "$("$PY" -c 'import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    print(o.get("holder") == sys.argv[2] and o.get("count") or "%s %s %s" % (o["fd"], o["name"], o["path"].rsplit("/")[-1]))' \
	"$T/fetch.json" "$T/h1" | tr '\n' ,)" "1,3 b f2," "fetch -J: a {holder, count} object, then describe's objects"

run tmo env LISTEN_FDS=9 LISTEN_PID=1 LISTEN_FDNAMES=stale NOTIFY_SOCKET=/elsewhere FDSTORE=99 \
	"$FDRELAY" fetch "$T/h1" c a -- "$PY" "$T/show.py" 7<"$T/f6"
t_is "$st:$(ev LISTEN_FDNAMES):$(ev links)" "0:c:a:a:f4 f1 f3" \
	"fetch NAME...: in the order of the names, each name's in store order"
t_is "$(ev LISTEN_FDS):$(ev pid)" "3:self" "LISTEN_FDS counts them; LISTEN_PID is the program's own pid (no fork)"
t_is "$(ev fds)" "0 1 2 3 4 5" "the program has fds 0-2 and the fetched ones, nothing of fdrelay's nor the inherited fd 7"
t_is "$(ev NOTIFY_SOCKET):$(ev FDSTORE)" "$T/h1.n:2" \
	"the holder has --notify: NOTIFY_SOCKET and FDSTORE (max-fds 6 minus 4 held) replace inherited values"
run tmo "$FDRELAY" fetch "$T/h1" -- "$PY" "$T/show.py"
t_is "$(ev LISTEN_FDNAMES):$(ev links)" "a:b:a:c:f1 f2 f3 f4" "fetch without NAME: everything, in store order"
run tmo "$FDRELAY" fetch "$T/h1" c c -- "$PY" "$T/show.py"
t_is "$(ev LISTEN_FDNAMES):$(ev links)" "c:f4" "fetch of a name given twice passes its descriptors once"

# ---- failures: nothing fetched, taken, dropped or stored --------------------------

run tmo "$FDRELAY" fetch "$T/h1" a nope -- sh -c 'echo ran'
t_is "$st:$out:$err" "1::fdrelay: fetch $T/h1: nope: not held" "a NAME not held fails the whole fetch: 1, the program is not run"
run tmo "$FDRELAY" fetch -x "$T/h1" a nope
st1=$st
run tmo "$FDRELAY" drop "$T/h1" b nope
t_is "$st1:$st:$err" "1:1:fdrelay: drop $T/h1: nope: not held" "fetch --take and drop with a NAME not held: 1"
t_is "$(names "$T/h1")" "a=f1 b=f2 a=f3 c=f4" "... and nothing was taken or dropped"

run tmo "$FDRELAY" store "$T/h1" -r "$T/f5" -n m -r "$T/f5" -n m -r "$T/f6" -n n
t_is "$st:$err" "3:fdrelay: store $T/h1: the holder refused: it would hold more than its --max-fds" \
	"a store past --max-fds (4 held + 3 > 6) is refused: 3"
t_is "$(names "$T/h1")" "a=f1 b=f2 a=f3 c=f4" "... and stores none of them"

if [ -n "$NOBODY" ]; then
	run nobody "$D/fdrelay" store "$T/h1" -r "$T/p1"
	t_is "$st:$err" "3:fdrelay: store $T/h1: the holder refused: not allowed by its policy" \
		"a client of another uid, without --allow-uid: store refused, 3"
	run nobody "$D/fdrelay" list "$T/h1"
	st1=$st
	run nobody "$D/fdrelay" fetch "$T/h1"
	t_is "$st1:$st" "3:3" "... list and fetch refused too (3)"
else
	t_skip "$NOSKIP" "a client of another uid, without --allow-uid: store refused, 3"
	t_skip "$NOSKIP" "... list and fetch refused too (3)"
fi

# Clients that break off, send garbage or die half-way.
printf 'GET / HTTP/1.0\r\n\r\n' | tmo socat -t 5 - "UNIX-CONNECT:$T/h1" >/dev/null 2>&1
t_like "$(cat "$T/h1.err")" "hold: pid [0-9]+: not fdrelay's protocol" "garbage bytes: the holder closes that connection (-v says why)"
"$PY" -c 'import os, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"\xfd\x01\x07\x00")	# half a header
time.sleep(0.1)' "$T/h1"
"$PY" -c 'import os, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
req = struct.pack(">BBIQIH", 1, 0, 0xffffffff, 0, 0, 0)	# STORE
s.sendall(struct.pack(">BBBBHH", 0xfd, 1, 7, 0, 0, len(req)) + req)
fd = os.open(sys.argv[2], os.O_RDONLY)
names = b"\x01x\x01y"
# An OFFER of two descriptors saying more follow: the holder keeps them meanwhile.
socket.send_fds(s, [struct.pack(">BBBBHH", 0xfd, 1, 1, 2, 2, len(names)) + names], [fd, fd])
print("sent", flush=True)
time.sleep(60)' "$T/h1" "$T/f6" >"$T/mid.out" &
mid=$!
wait_fdcount "$h1" "$(($(printf '%s\n' "$held4" | wc -l) + 3))"
t_is "$(fdcount "$h1")" "$(($(printf '%s\n' "$held4" | wc -l) + 3))" \
	"a client half-way through a store: the holder has its connection and the 2 descriptors it sent so far"
run tmo "$FDRELAY" list "$T/h1"
t_is "$st:$(printf '%s\n' "$out" | wc -l)" "0:4" "meanwhile other clients are served"
kill -9 "$mid"
wait "$mid" 2>/dev/null
# A fetch --take whose client goes away before its acknowledgement takes nothing.
run tmo "$PY" -c 'import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
req = struct.pack(">BBIQIH", 2, 1, 0xffffffff, 0, 0, 0)	# FETCH, TAKE, everything
s.sendall(struct.pack(">BBBBHH", 0xfd, 1, 7, 0, 0, len(req)) + req)
got = []
while len(got) < 4:
    data, fds, _, _ = socket.recv_fds(s, 65536, 16)
    if not data:
        break
    got += fds
print(len(got))' "$T/h1"
t_is "$st:$out:$(names "$T/h1" | wc -w)" "0:4:4" "fetch --take is atomic: a client that got the descriptors but dies before its acknowledgement took nothing"
wait_fdcount "$h1" "$(printf '%s\n' "$held4" | wc -l)"
t_is "$(fdset "$h1")" "$held4" \
	"after failed fetches, refusals, garbage, a half header and a client killed mid-store, the holder's descriptors are as before"
t_is "$(names "$T/h1")" "a=f1 b=f2 a=f3 c=f4" "... and it holds what it held"

# ---- --take, --replace, drop ---------------------------------------------------------

run tmo "$FDRELAY" fetch -x "$T/h1" b -- "$PY" "$T/show.py"
t_is "$st:$(ev LISTEN_FDNAMES):$(ev links):$(ev FDSTORE)" "0:b:f2:3" \
	"fetch --take b: the program gets it; FDSTORE is counted after the take (6 - 3)"
t_is "$(names "$T/h1")" "a=f1 a=f3 c=f4" "--take is a move: b is no longer held"
run tmo "$FDRELAY" fetch "$T/h1" b
t_is "$st" 1 "... a fetch of b now fails: 1"
# fetch --take does not wait for the removal: the holder acts on its
# acknowledgement before a later client's request (cmd-hold.c's serve).
n=0 found=0 rounds=20
[ -z "${FDRELAY_VALGRIND:-}" ] || rounds=2
while [ "$n" -lt "$rounds" ]; do
	tmo "$FDRELAY" store "$T/h1" -r "$T/f2" -n b && tmo "$FDRELAY" fetch -x "$T/h1" b -- true || found=$((found + 100))
	tmo "$FDRELAY" fetch "$T/h1" b >/dev/null 2>&1 && found=$((found + 1))
	n=$((n + 1))
done
t_is "$found" 0 "store b; fetch --take b; fetch b, $n times: the last fetch never finds b still held"

run tmo "$FDRELAY" store --replace "$T/h1" -r "$T/f5" -n a
t_is "$st:$(names "$T/h1")" "0:c=f4 a=f5" "store --replace: the old a's are gone, the new one is there"
t_like "$(cat "$T/h1.err")" "hold: uid 0 stored 1 descriptor \\(replacing\\)" "... in one step (-v: one store, replacing)"
run tmo "$FDRELAY" store --replace "$T/h1" -r "$T/f1" -n a -r "$T/f1" -n a -r "$T/f1" -n a -r "$T/f1" -n a \
	-r "$T/f1" -n a -r "$T/f1" -n a
t_is "$st:$(names "$T/h1")" "3:c=f4 a=f5" "a --replace store refused by --max-fds (2 - 1 + 6 > 6) leaves the old ones"
run tmo "$FDRELAY" store "$T/h1" -r "$T/f1" -n x -r "$T/f2" -n x -r "$T/f3" -n x -r "$T/f6" -n x
st1=$st
run tmo "$FDRELAY" store "$T/h1" -r "$T/f6" -n c
t_is "$st1:$st" "0:3" "at --max-fds (6 held), one more store is refused"
run tmo "$FDRELAY" store --replace "$T/h1" -r "$T/f6" -n c
t_is "$st:$(names "$T/h1")" "0:a=f5 x=f1 x=f2 x=f3 x=f6 c=f6" \
	"... but a --replace of one held descriptor by one goes through: the drop and the store are one step"

ino=$(stat -c %i "$T/h1")
run tmo "$FDRELAY" hold "$T/h1"
t_like "$st:$err" "^1:fdrelay: hold $T/h1: another listener is live" "hold on a live holder's socket: 1"
t_is "$(stat -c %i "$T/h1"):$(names "$T/h1" | wc -w)" "$ino:6" "... its socket file is left alone, the holder still serves"

run tmo "$FDRELAY" drop -v "$T/h1" x c
t_is "$st:$(printf '%s\n' "$err" | tail -n 1):$(names "$T/h1")" "0:fdrelay: drop: $T/h1 dropped 5 descriptors:a=f5" "drop NAME...: everything under the names, 0"

run tmo sh -c '"$0" fetch "$1" >/dev/full' "$FDRELAY" "$T/h1"
t_like "$st:$err" "^[1-9][0-9]*:fdrelay: fetch: .*No space left on device" "fetch >/dev/full: not 0, with a message"

# A program written for systemd's store stores back through $NOTIFY_SOCKET.
run tmo "$FDRELAY" fetch "$T/h1" a -- "$PY" -c 'import os, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
assert os.environ["FDSTORE"] == "5"
s.connect(os.environ["NOTIFY_SOCKET"])
socket.send_fds(s, [b"FDSTORE=1\nFDNAME=back\n"], [3])'
t_is "$st:$(names "$T/h1")" "0:a=f5 back=f5" "the program stores its descriptor back through NOTIFY_SOCKET"
t_like "$(cat "$T/h1.err")" "hold: notify: uid 0 stored 1 descriptor as back" "... and -v says so"

# SIGTERM: everything closed, both socket files removed, exit 0.
mkfifo "$T/eof"
tmo cat "$T/eof" >/dev/null &
catp=$!
run tmo "$FDRELAY" store "$T/h1" -w "$T/eof" -n eof
t_is "$st" 0 "the write end of a FIFO is stored (a reader waits on it)"
kill -TERM "$h1"
wait "$h1t"
t_is "$?" 0 "SIGTERM: the holder exits 0"
wait "$catp"
t_is "$?" 0 "... having closed what it held (the FIFO's reader got end of file)"
t_ok "... and removed both its socket files" test ! -e "$T/h1" -a ! -e "$T/h1.n"
run tmo "$FDRELAY" fetch "$T/h1" a
t_is "$st" 1 "fetch from a holder that is gone: 1"

# ---- a second holder: owners, hangups, expiry ----------------------------------------

hold_start h2 -v -M 0666 --allow-any "$T/h2"
h2t=$htpid h2=$hpid
if [ -n "$NOBODY" ]; then
	run nobody "$D/fdrelay" store "$T/h2" -r "$T/p1" -n shared
	t_is "$st" 0 "with --allow-any, a client of uid 65534 stores"
	run tmo "$FDRELAY" store "$T/h2" -r "$T/f2" -n shared
	t_is "$st" 0 "root stores under the same name"
	run nobody "$D/fdrelay" list "$T/h2"
	t_like "$st:$(printf '%s\n' "$out" | wc -l):$out" "^0:1:shared owner 65534 age .*regular file $T/p1," \
		"uid 65534's list shows only its own entry"
	# (sh: the configured python may be out of uid 65534's reach)
	run nobody "$D/fdrelay" fetch "$T/h2" shared -- sh -c 'echo "$LISTEN_FDS $LISTEN_FDNAMES $(readlink /proc/self/fd/3)"'
	t_is "$st:$out" "0:1 shared $T/p1" "uid 65534's fetch of the name gets only its own"
	run tmo "$FDRELAY" list "$T/h2"
	t_is "$(printf '%s\n' "$out" | cut -d' ' -f1-3 | tr '\n' ,)" "shared owner 65534,shared owner 0," \
		"root's list shows both owners' entries: names are per owner"
	run tmo "$FDRELAY" fetch "$T/h2" shared -- "$PY" "$T/show.py"
	t_is "$st:$(ev links)" "0:f2" "root's fetch of the name gets only root's"
	run tmo "$FDRELAY" list --owner=65534 "$T/h2"
	t_is "$(printf '%s\n' "$out" | cut -d' ' -f1-3 | tr '\n' ,)" "shared owner 65534," "root's list --owner=65534: only that uid's"
	run tmo "$FDRELAY" fetch --owner=nobody "$T/h2" shared -- "$PY" "$T/show.py"
	t_is "$st:$(ev links)" "0:p1" "root's fetch --owner=nobody (a name) gets the other uid's"
	run nobody "$D/fdrelay" list --owner=0 "$T/h2"
	st1=$st
	run nobody "$D/fdrelay" fetch --owner=0 "$T/h2" shared
	t_is "$st1:$st:$err" "3:3:fdrelay: fetch $T/h2: the holder refused: not allowed by its policy" \
		"a non-root --owner=0 is refused: 3"
	run tmo "$FDRELAY" drop --owner=65534 "$T/h2" shared
	t_is "$st" 0 "root's drop --owner=65534 drops the other uid's"
	run nobody "$D/fdrelay" fetch "$T/h2" shared
	t_is "$st:$err:$(names "$T/h2")" "1:fdrelay: fetch $T/h2: shared: not held:shared=f2" \
		"... it is gone for uid 65534; root's is still there"
else
	for d in "with --allow-any, a client of uid 65534 stores" "root stores under the same name" \
		"uid 65534's list shows only its own entry" "uid 65534's fetch of the name gets only its own" \
		"root's list shows both owners' entries: names are per owner" "root's fetch of the name gets only root's" \
		"root's list --owner=65534: only that uid's" "root's fetch --owner=nobody (a name) gets the other uid's" \
		"a non-root --owner=0 is refused: 3" "root's drop --owner=65534 drops the other uid's" \
		"... it is gone for uid 65534; root's is still there"; do
		t_skip "$NOSKIP" "$d"
	done
	run tmo "$FDRELAY" store "$T/h2" -r "$T/f2" -n shared
fi

run tmo env NOTIFY_SOCKET=/inherited FDSTORE=7 "$FDRELAY" fetch "$T/h2" -- "$PY" "$T/show.py"
t_is "$st:$(ev LISTEN_FDNAMES):$(ev NOTIFY_SOCKET):$(ev FDSTORE)" "0:shared:/inherited:7" \
	"a holder without --notify: NOTIFY_SOCKET and FDSTORE are left as inherited"
run tmo env -u NOTIFY_SOCKET -u FDSTORE "$FDRELAY" fetch "$T/h2" -- "$PY" "$T/show.py"
t_is "$(ev NOTIFY_SOCKET):$(ev FDSTORE)" "-:-" "... and stay unset when they were"

# Hangups: the read end of a FIFO whose writer goes away.
mkfifo "$T/fifo"
timeout -k 5 60 sleep 60 4>"$T/fifo" &
wpid=$!
run tmo "$FDRELAY" store "$T/h2" -d 3 -n piped 3<"$T/fifo"
st1=$st
run tmo "$FDRELAY" store --no-poll "$T/h2" -d 3 -n kept 3<"$T/fifo"
run tmo "$FDRELAY" list "$T/h2"
t_is "$st1:$(printf '%s\n' "$out" | sed -E 's/^([^ ]+) .* (no-poll|poll): ([^ ,]+).*/\1 \2 \3/' | tr '\n' ,)" \
	"0:shared poll regular,piped poll FIFO,kept no-poll FIFO," "a FIFO's read end stored with poll (the default) and with --no-poll"
kill "$wpid"
wait "$wpid" 2>/dev/null
_n=0
while tmo "$FDRELAY" list "$T/h2" | grep -q '^piped ' && [ "$_n" -lt 20 ]; do
	sleep 0.5
	_n=$((_n + 1))
done
run tmo "$FDRELAY" list "$T/h2"
t_is "$(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ,)" "shared,kept," \
	"the writer gone (POLLHUP): the polled one is dropped, the --no-poll one and the regular file are kept"
t_like "$(cat "$T/h2.err")" "hold: piped \\(uid 0\\) hung up: dropped" "... and -v says so"

# Expiry.
run tmo "$FDRELAY" store --ttl 1 "$T/h2" -r "$T/f3" -n short
st1=$st
run tmo "$FDRELAY" store --ttl 300 "$T/h2" -r "$T/f4" -n later
run tmo "$FDRELAY" list "$T/h2"
t_like "$st1:$(printf '%s\n' "$out" | grep '^later ')" \
	"^0:later owner 0 age [0-9.]+s expires in 2[0-9]{2}\\.[0-9]{3}s poll: regular file $T/f4," \
	"store --ttl: list shows the time left"
run tmo "$FDRELAY" list -J "$T/h2"
t_is "$(printf '%s\n' "$out" | "$PY" -c 'import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o["name"] == "later":
        print(0 < o["expires_in"] <= 300, o["poll"])
    elif o["name"] == "kept":
        print(o["expires_in"], o["poll"], o["type"])')" "None False fifo
True True" "list -J: expires_in is a number of seconds or null, poll false for --no-poll"
_n=0
while tmo "$FDRELAY" list "$T/h2" | grep -q '^short ' && [ "$_n" -lt 20 ]; do
	sleep 0.5
	_n=$((_n + 1))
done
run tmo "$FDRELAY" list "$T/h2"
t_is "$(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ,)" "shared,kept,later," "the --ttl 1 one is gone within 10 s; the others stay"
t_like "$(cat "$T/h2.err")" "hold: short \\(uid 0\\) expired" "... and -v says it expired"

# Many entries: list | head -1 ends.
set --
_n=0
while [ "$_n" -lt 700 ]; do
	set -- "$@" -d 0
	_n=$((_n + 1))
done
run tmo "$FDRELAY" store "$T/h2" "$@" </dev/null
t_is "$st" 0 "one store of 700 descriptors"
run tmo sh -c '"$0" list "$1" | head -n 1' "$FDRELAY" "$T/h2"
t_like "$st:$(printf '%s\n' "$out" | wc -l):$out" "^0:1:shared owner 0 " "list | head -1 with 703 entries ends (list does not hang on a closed pipe)"

kill -TERM "$h2"
wait "$h2t"
t_is "$?" 0 "SIGTERM with 703 held: the holder exits 0"
t_ok "... and removes its socket file" test ! -e "$T/h2"

# ---- the socket file -----------------------------------------------------------------

"$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])' "$T/h3"
# A store -R waiting meanwhile: connections refused by the stale socket are retried.
tmo "$FDRELAY" store -R -t 60 "$T/h3" -r "$T/f1" -w "$T/so" -n stdout 2>"$T/retry.err" &
retry=$!
hold_start h3 --notify="$T/h3.n" "$T/h3"
h3t=$htpid h3=$hpid
wait "$retry"
t_is "$?:$(names "$T/h3")" "0:f1=f1 stdout=so" "a stale socket at SOCKET is replaced: the holder serves there (a store -R waiting got in)"
t_is "$(stat -c %a "$T/h3" "$T/h3.n" | tr '\n' ' ')" "600 600 " "without -M both socket files are 0600"
run tmo "$FDRELAY" fetch --stdio "$T/h3" -- sh -c 'echo "to stdout $LISTEN_FDS $LISTEN_FDNAMES"'
t_is "$st:$out:$(cat "$T/so")" "0::to stdout 1 f1" "fetch --stdio: the descriptor named stdout becomes the program's 1, as for listen"
kill -INT "$h3"
wait "$h3t"
t_is "$?:$(ls "$T/h3" "$T/h3.n" 2>/dev/null)" "0:" "SIGINT: the holder exits 0, both socket files removed"

printf 'data\n' >"$T/reg"
run tmo "$FDRELAY" hold "$T/reg"
t_is "$st:$err:$(cat "$T/reg")" "1:fdrelay: hold $T/reg: something that is not a socket is in the way; not touching it:data" \
	"a regular file at SOCKET is left alone: 1"
"$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])' "$T/stale"
ln -s "$T/stale" "$T/link"
run tmo "$FDRELAY" hold "$T/link"
t_like "$st:$err" "^1:fdrelay: hold $T/link: something that is not a socket is in the way" \
	"a symlink at SOCKET (to a stale socket) is left alone: 1"
t_ok "... the symlink and the socket it points to are still there" test -L "$T/link" -a -S "$T/stale"
run tmo "$FDRELAY" hold --notify="$T/reg" "$T/h4"
t_is "$st:$err:$(cat "$T/reg"):$(ls "$T/h4" 2>/dev/null)" \
	"1:fdrelay: hold --notify $T/reg: something that is not a socket is in the way; not touching it:data:" \
	"a regular file at the --notify path is left alone: 1, and the holder's own socket file is removed"

# ---- the descriptor limit, names in JSON ------------------------------------------

if [ -n "${FDRELAY_VALGRIND:-}" ] || ! command -v prlimit >/dev/null 2>&1; then
	t_skip "needs prlimit, and valgrind cannot run under a low RLIMIT_NOFILE" \
		"a holder whose hard RLIMIT_NOFILE is below --max-fds says so"
else
	tmo prlimit --nofile=1024:1024 "$FDRELAY" hold --max-fds=5000 "$T/h5" 2>"$T/h5.err" &
	h5t=$!
	wait_for_socket "$T/h5"
	t_like "$(cat "$T/h5.err")" \
		"^fdrelay: hold: the descriptor limit \\(RLIMIT_NOFILE\\) is 1024, below --max-fds 5000 plus [0-9]+ for clients" \
		"a holder whose hard RLIMIT_NOFILE is below --max-fds says so at start"
	pkill -TERM -P "$h5t"
	wait "$h5t"
fi
hold_start h6 "$T/h6"
h6t=$htpid
run tmo "$FDRELAY" store "$T/h6" -r "$T/f1" -n 'q"b\s'
run tmo "$FDRELAY" list -J "$T/h6"
printf '%s\n' "$out" >"$T/q.json"
t_is "$("$PY" -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["name"])' "$T/q.json")" 'q"b\s' \
	"list -J: a name with a quote and a backslash is valid JSON"
kill "$hpid"
wait "$h6t"

# ---- take-over refused or with nothing there; --inherit ---------------------------

hold_start h7 "$T/h7"
h7t=$htpid
tmo "$FDRELAY" store "$T/h7" -r "$T/f1" -n a -r "$T/f2" -n b
run tmo "$FDRELAY" hold --take-over --max-fds=1 "$T/h7"
t_like "$st:$err" "^3:fdrelay: hold --take-over $T/h7: refused: it holds more descriptors than this holder's --max-fds" \
	"a take-over whose --max-fds is below what the old holder holds: 3"
t_is "$(names "$T/h7")" "a=f1 b=f2" "... nothing moved: the old holder goes on serving what it held"
kill "$hpid"
wait "$h7t"
run tmo "$FDRELAY" hold --take-over "$T/h7"
t_like "$st:$err" "^1:fdrelay: hold --take-over: no holder running at $T/h7" "--take-over with no holder running at SOCKET: 1"
tmo "$FDRELAY" exec -l "unix:$T/h8" -- "$FDRELAY" hold --inherit 2>"$T/h8.err" &
h8t=$!
wait_for_socket "$T/h8"
run tmo "$FDRELAY" store -R "$T/h8" -r "$T/f3" -n c
t_is "$st:$(names "$T/h8")" "0:c=f3" "hold --inherit serves on the listening socket it got through LISTEN_FDS"
pkill -TERM -P "$h8t"
wait "$h8t"

t_done
