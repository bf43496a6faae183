#!/bin/sh
# cli-relay.sh - the listener's program gets exactly what was sent; a -k listener survives a mixed crowd.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PY=${PYTHON3:-python3}
if ! "$PY" -c 'import socket, sys; sys.exit(not hasattr(socket, "send_fds"))' 2>/dev/null; then
	t_skip "no python3 with socket.send_fds (3.9 or later): '$PY'" "relay tests"
	t_done
	exit $?
fi
printf 'one\n' >"$T/one"
printf 'two\n' >"$T/two"

# ---- (a) the program sees fds 0, 1, 2 and the received ones, nothing the listener inherited ----
cat >"$T/fds.py" <<'EOF'
# fds.py FILE: the program's descriptors and LISTEN_* into FILE, written whole.
import os, sys
fds = [int(f) for f in os.listdir("/proc/self/fd")]
fds = sorted(f for f in fds if os.path.exists("/proc/self/fd/%d" % f))  # not listdir's own
e = os.environ
pid = "self" if e.get("LISTEN_PID") == str(os.getpid()) else e.get("LISTEN_PID", "unset")
with open(sys.argv[1] + ".tmp", "w") as out:
    out.write("fds=%s\n" % " ".join(map(str, fds)))
    out.write("env=%s %s %s\n" % (e.get("LISTEN_FDS", "unset"), pid, e.get("LISTEN_FDNAMES", "unset")))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
EOF

# inherit_case TAG LISTEN-OPTIONS...: a listener holding fds 7 and 9 and LISTEN_* of
# its own (LISTEN_PID its very pid) relays one and two; the program reports to $T/TAG.
inherit_case() {
	_tag=$1; shift
	rm -f "$T/ready" "$T/$_tag"
	# shellcheck disable=SC2016 # $$ is the inner shell's, which exec keeps
	tmo sh -c 'echo $$ >"$0.pid"; LISTEN_PID=$$ LISTEN_FDS=3 LISTEN_FDNAMES=x:y:z exec "$@"' "$T/$_tag" \
		"$FDRELAY" listen --ready-fd 5 "$@" "$T/$_tag.sock" "$PY" "$T/fds.py" "$T/$_tag" \
		7</etc/passwd 9>"$T/x" 5>"$T/ready" 2>"$T/$_tag.err" &
	_bg=$!
	_n=0
	while [ ! -s "$T/ready" ] && [ $_n -lt 200 ] && kill -0 $_bg 2>/dev/null; do sleep 0.05; _n=$((_n + 1)); done
	run tmo "$FDRELAY" send -W "$T/$_tag.sock" "$T/one" "$T/two"
	_n=0
	while [ ! -s "$T/$_tag" ] && [ $_n -lt 200 ]; do sleep 0.05; _n=$((_n + 1)); done
	rep=$(cat "$T/$_tag" 2>/dev/null)
}
rfield() { printf '%s\n' "$rep" | sed -n "s/^$1=//p"; }

inherit_case plain
wait $_bg
t_is "$st $?" "0 0" "one-shot: the sender and the listener (holding fds 7, 9 and LISTEN_*) exit 0"
t_is "$(rfield fds)" "0 1 2 3 4" "one-shot: the program holds exactly fds 0 1 2 3 4, not the listener's 7 and 9"
t_is "$(rfield env)" "2 self one:two" "one-shot: LISTEN_FDS=2, LISTEN_PID the program's own, LISTEN_FDNAMES=one:two, not the listener's values"

inherit_case keep -k
t_is "$st" 0 "-k: the sender to a listener holding fds 7, 9 and LISTEN_* exits 0"
t_is "$(rfield fds)" "0 1 2 3 4" "-k: the program holds exactly fds 0 1 2 3 4, not the listener's 7 and 9"
t_is "$(rfield env)" "2 self one:two" "-k: LISTEN_FDS=2, LISTEN_PID the program's own, LISTEN_FDNAMES=one:two"
kill "$(cat "$T/keep.pid")" 2>/dev/null
wait $_bg
t_is "$?" 0 "-k: the listener exits 0 on SIGTERM"

# ---- (b) a -k listener serving 200 senders, garbage clients and refused senders ----
cat >"$T/garbage.py" <<'EOF'
# garbage.py SOCKET KIND FILE: a client that does not follow the protocol.
import os, random, socket, struct, sys
where, kind, path = sys.argv[1:4]
def hdr(nfds, length, typ=1, flags=0):
    return struct.pack(">BBBBHH", 0xFD, 1, typ, flags, nfds, length)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(where)
f = os.open(path, os.O_RDONLY)
try:
    if kind == "random":       # bytes that are no frame at all
        s.sendall(b"\x00" + bytes(random.getrandbits(8) for _ in range(63)))
    elif kind == "header":     # a valid OFFER header, then hang up before its payload
        s.sendall(hdr(1, 2))
    elif kind == "fewer":      # a header announcing 5 descriptors, carrying 2
        socket.send_fds(s, [hdr(5, 10) + b"".join(b"\x01" + bytes([c]) for c in b"abcde")], [f, f])
    elif kind == "more":       # a header announcing 1 descriptor, carrying 3
        socket.send_fds(s, [hdr(1, 2) + b"\x01a"], [f, f, f])
    elif kind == "partial":    # part of a frame with its descriptors, then hang up
        socket.send_fds(s, [hdr(2, 4) + b"\x01"], [f, f])
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):        # whatever the listener answers, until it closes
        pass
except OSError:
    pass
EOF

if ! command -v setpriv >/dev/null 2>&1; then
	refuse=
	t_skip "setpriv not installed" "senders as uid 65534 are refused with status 3"
elif [ "$(id -u)" != 0 ]; then
	refuse=
	t_skip "not root: cannot run a sender as another uid" "senders as uid 65534 are refused with status 3"
else
	refuse=yes
fi

# The socket lives in a directory uid 65534 can reach.
chmod 0711 "$T"
mkdir -m 0755 "$T/pub"
cp "$T/one" "$T/pub/file"
chmod 0644 "$T/pub/file"
S=$T/pub/sock
mkdir "$T/st"
: >"$T/runs"
rm -f "$T/ready"
# shellcheck disable=SC2016 # $$ and $0 are the inner shell's
TMO=120 tmo sh -c 'echo $$ >"$0"; exec "$@"' "$T/lpid" \
	"$FDRELAY" listen -k -M 0666 --ready-fd 5 "$S" sh -c 'echo r >>"$0"' "$T/runs" \
	5>"$T/ready" 2>"$T/crowd.err" &
bg=$!
n=0
while [ ! -s "$T/ready" ] && [ $n -lt 200 ] && kill -0 $bg 2>/dev/null; do sleep 0.05; n=$((n + 1)); done
LPID=$(cat "$T/lpid")

# no_children: waits (at most 10 s) until the listener has no child left.
no_children() {
	_n=0
	while [ -n "$(cat "/proc/$LPID/task/$LPID/children" 2>/dev/null)" ] && [ $_n -lt 200 ]; do
		sleep 0.05; _n=$((_n + 1))
	done
}
fdset() { for _f in "/proc/$LPID/fd/"*; do echo "${_f##*/}"; done | sort -n | tr '\n' ' '; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$LPID/status"; }

# Warm up (first fork, first refusal, first garbage) before taking the baseline.
tmo "$FDRELAY" send "$S" "$T/one" >/dev/null 2>&1
tmo "$PY" "$T/garbage.py" "$S" fewer "$T/one" 2>/dev/null
[ -n "$refuse" ] && tmo setpriv --reuid=65534 --regid=65534 --clear-groups "$FDRELAY" send "$S" "$T/pub/file" 2>/dev/null
no_children
fds_before=$(fdset)
rss_before=$(rss)
: >"$T/runs"

kinds="random header fewer more partial"
i=0
while [ $i -lt 25 ]; do
	pids=
	k=0
	while [ $k -lt 8 ]; do
		v=$((i * 8 + k))
		case $((v % 4)) in
		0) set -- "$T/one" ;;
		1) set -- "$T/one" "$T/two" -n second ;;
		2) set -- -W "$T/two" ;;
		3) set -- --stdin "$T/one" -a "$T/pub/append" ;;
		esac
		(tmo "$FDRELAY" send "$S" "$@" </dev/null >/dev/null 2>>"$T/senders.err"; echo $? >"$T/st/v$v") &
		pids="$pids $!"
		k=$((k + 1))
	done
	for g in 1 2; do
		# shellcheck disable=SC2086 # a word list
		set -- $kinds
		shift $(((i * 2 + g) % 5))
		tmo "$PY" "$T/garbage.py" "$S" "$1" "$T/one" 2>>"$T/garbage.err" &
		pids="$pids $!"
	done
	if [ -n "$refuse" ]; then
		(tmo setpriv --reuid=65534 --regid=65534 --clear-groups "$FDRELAY" send "$S" "$T/pub/file" \
			2>>"$T/refused.err"; echo $? >"$T/st/r$i") &
		pids="$pids $!"
	fi
	# shellcheck disable=SC2086 # a list of pids
	wait $pids
	i=$((i + 1))
done
no_children
fds_after=$(fdset)
rss_after=$(rss)

valid_ok=$(cat "$T"/st/v* | grep -c '^0$')
t_is "$valid_ok" 200 "crowd: all 200 valid senders (1 to 3 descriptors, some -W) exit 0 among garbage and refused clients"
t_is "$(wc -l <"$T/runs" | tr -d ' ')" 200 "crowd: the program ran once per valid sender, never for garbage or refused ones"
if [ -n "$refuse" ]; then
	t_is "$(cat "$T"/st/r* | sort | uniq -c | sed 's/^ *//')" "25 3" "crowd: all 25 senders running as uid 65534 are refused with status 3"
fi
t_diag "listener descriptors: $fds_after"
t_is "$fds_after" "$fds_before" "crowd: the listener's /proc/PID/fd set is the same after 275 clients as before"
t_diag "listener VmRSS: ${rss_before} kB before, ${rss_after} kB after"
t_ok "crowd: the listener's VmRSS grew by at most 2 MiB (a leak check, not a timing)" \
	test "$((rss_after - rss_before))" -le 2048
kill -0 "$LPID" 2>/dev/null
t_report $? "crowd: the listener is still running after all of them"
kill "$LPID"
wait $bg
t_is "$?" 0 "crowd: the listener exits 0 on SIGTERM"
t_ok "crowd: and removes its socket file" test ! -e "$S"
[ "$valid_ok" = 200 ] || sed 's/^/# sender: /' "$T/senders.err" | sort | uniq -c | head

t_done
