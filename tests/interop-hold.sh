#!/bin/sh
# interop-hold.sh - the holder's notify socket with peers written for systemd's
# store: libsystemd's sd_pid_notify_with_fds(3) and sd_listen_fds_with_names(3),
# python-systemd's notify(), against cli-extensions.md ("The notify socket", "fetch").
# shellcheck source-path=SCRIPTDIR source=lib.sh
# shellcheck disable=SC2016 # the programs' own variables, expanded by their shells
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
need_python

SDN=$TESTS_BUILDDIR/sd-notify-store
SDL=$TESTS_BUILDDIR/sd-listen
ME=$(id -u)
# python-systemd is Debian's, for the system's python3, which may not be
# the python3 first on PATH (a pyenv one, say): use whichever has it.
PYSD=
for _py in "$PY" /usr/bin/python3; do
	if "$_py" -c 'import socket, systemd.daemon; assert hasattr(socket, "send_fds")' 2>/dev/null; then
		PY=$_py PYSD=yes
		break
	fi
done
NOBODY=
if [ "$ME" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
# What uid 65534 reaches: the sockets, the files, a copy of sd-notify-store.
D=$T/pub
mkdir "$D" && chmod 0755 "$T" "$D"
for f in a b c; do echo "$f" >"$D/$f"; done
chmod 0644 "$D/a" "$D/b" "$D/c"
[ -x "$SDN" ] && cp "$SDN" "$D/sdn" && chmod 0755 "$D/sdn"
id_of() { stat -L -c %d:%i "$1"; }
H=$D/h N=$D/n
ABS=@fdrelay-interop-hold-$$

# start_hold TAG ARGS...: a holder (-v, stderr in $T/TAG.err) serving once
# --ready-fd says so; its pid (timeout's child) in $hpid, the job in $hjob.
# Bounded well beyond the whole file, valgrind included: it is stopped below.
start_hold() {
	_tag=$1; shift
	: >"$T/$_tag.ready"
	timeout -k 5 600 "$FDRELAY" hold -v --ready-fd 5 "$@" 2>"$T/$_tag.err" 5>"$T/$_tag.ready" &
	hjob=$!
	_n=0
	while [ ! -s "$T/$_tag.ready" ] && [ $_n -lt 600 ] && kill -0 $hjob 2>/dev/null; do
		sleep 0.05; _n=$((_n + 1))
	done
	hpid=$(cat "/proc/$hjob/task/$hjob/children" 2>/dev/null || pgrep -P "$hjob")
	hpid=${hpid%% *}
}
# nfds PID: how many descriptors PID has open: the least of four readings
# 0.1 s apart (a client's socket the holder is closing does not count; a
# leaked descriptor stays).
nfds() {
	_a=
	for _i in 1 2 3 4; do
		_b=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l)
		[ -z "$_a" ] || [ "$_b" -lt "$_a" ] && _a=$_b
		sleep 0.1
	done
	echo "$_a"
}
# held SOCKET: "NAME OWNER POLL PATH" per entry list shows (every owner's: we may be root).
# A notify message is handled before a later connection's request, so list is also a barrier.
held() {
	tmo "$FDRELAY" list "$1" 2>&1 | sed 's#^\([^ ]*\) owner \([0-9]*\) age [^ ]* expires [a-z0-9. ]* \(no-poll\|poll\): [a-z ]* \([a-z]*:\[[0-9]*\]\|/[^,]*\),.*#\1 \2 \3 \4#'
}
# logged REGEX TAG DESCRIPTION: the holder's -v output has a line matching REGEX.
logged() {
	if grep -Eq -- "^fdrelay: hold: $1" "$T/$2.err"; then
		t_report 0 "$3"
	else
		t_report 1 "$3"
		sed 's/^/# stderr: /' "$T/$2.err" | tail -n 8
		printf '# expected a line matching: ^fdrelay: hold: %s\n' "$1"
	fi
}
# sdn ARGS...: sd-notify-store towards the first holder's notify socket.
sdn() { tmo env NOTIFY_SOCKET="$N" "$SDN" "$@"; }
# pynotify MESSAGE FILE...: python-systemd's notify(MESSAGE, fds=[FILE opened...]); prints what it returns.
pynotify() {
	tmo env NOTIFY_SOCKET="$N" "$PY" -c 'import os, sys
from systemd import daemon
fds = [os.open(f, os.O_RDONLY) for f in sys.argv[2:]]
print(daemon.notify(sys.argv[1], fds=fds))' "$@"
}

start_hold a -M 0666 --notify="$N" "$H"
apid=$hpid ajob=$hjob
t_ok "a holder with --notify=PATH is serving, its notify socket bound" test -S "$N" -a -n "$apid"
t_is "$(stat -c %a "$N")" 666 "-M sets the notify socket file's mode too"

# ---- the systemd-store round trip: a daemon run twice by fetch ----------------

cat >"$T/daemon.py" <<'EOF'
# A daemon written for systemd's store: on its first start (nothing passed)
# it makes its listening socket and stores it through $NOTIFY_SOCKET; on the
# next it finds it passed back.  Writes what it saw to $1, appending.
# The first start is told by LISTEN_FDS=0 (the spec's "nothing held"):
# libsystemd's sd_listen_fds() calls LISTEN_FDS=0 invalid (EINVAL) when
# LISTEN_PID is ours, so listen_fds_with_names() is asked only after.
import os, socket, sys
from systemd import daemon
env = dict(os.environ)
got = {} if env.get("LISTEN_FDS") == "0" else daemon.listen_fds_with_names()
if not got:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    ok = daemon.notify("FDSTORE=1\nFDNAME=http", fds=[s.fileno()])
    what = "first fds=0 stored=%s" % ok
else:
    fd, name = sorted(got.items())[0]
    s = socket.socket(fileno=fd)
    what = "again fds=%d fd%d=%s listening=%s" % (len(got), fd, name, daemon.is_socket_inet(fd, listening=1))
with open(sys.argv[1], "a") as f:
    f.write("%s port=%d FDSTORE=%s NOTIFY_SOCKET=%s LISTEN_FDS=%s\n" % (what, s.getsockname()[1],
        env.get("FDSTORE", "-"), env.get("NOTIFY_SOCKET", "-"), env.get("LISTEN_FDS", "-")))
EOF
if [ -z "$PYSD" ]; then
	t_skip "python-systemd is not installed for $PY (import systemd.daemon fails)" \
		"a daemon written for systemd's store gets its socket back through fetch (4 checks)"
else
	run tmo "$FDRELAY" fetch "$H" -- "$PY" "$T/daemon.py" "$T/daemon"
	first=$(sed -n 1p "$T/daemon")
	t_is "$st:$(printf '%s\n' "$first" | sed 's/ port=[0-9]*//')" \
		"0:first fds=0 stored=True FDSTORE=4096 NOTIFY_SOCKET=$N LISTEN_FDS=0" \
		"fetch with nothing held runs the daemon with LISTEN_FDS=0, NOTIFY_SOCKET the holder's notify path, FDSTORE=4096 (--max-fds, nothing held)"
	port=${first##*port=}; port=${port%% *}
	t_like "$(held "$H")" "^http $ME poll socket:\[[0-9]+\]$" \
		"the socket the daemon stored with python-systemd's notify() is held under FDNAME=http, owned by its uid"
	run tmo "$FDRELAY" fetch -x "$H" -- "$PY" "$T/daemon.py" "$T/daemon"
	t_is "$st:$(sed -n 2p "$T/daemon")" \
		"0:again fds=1 fd3=http listening=True port=$port FDSTORE=4096 NOTIFY_SOCKET=$N LISTEN_FDS=1" \
		"its second start (fetch -x) finds it in LISTEN_FDS as fd 3 named http, still listening, the same port; FDSTORE counted after the take"
	t_is "$(held "$H")" "" "after fetch -x nothing is held"
fi

# ---- libsystemd's sd_pid_notify_with_fds(3) -----------------------------------

if [ ! -x "$SDN" ]; then
	t_skip "tests/sd-notify-store not built (configure found no libsystemd)" \
		"sd_pid_notify_with_fds stores, FDPOLL=0, FDSTOREREMOVE, fetch to sd_listen_fds_with_names (13 checks)"
else
	run sdn web "$D/a" "$D/b"
	t_is "$st:$err" 0: "sd_pid_notify_with_fds(FDSTORE=1, FDNAME=web) with two files: libsystemd reports success"
	t_is "$(held "$H")" "web $ME poll $D/a
web $ME poll $D/b" "list shows both under web, owner the caller's uid, the right paths in the order sent"
	logged "notify: uid $ME stored 2 descriptors as web" a "-v: the holder says what it stored from whom"

	run sdn --no-poll np --pipe
	run2=$st
	run sdn pp --pipe
	t_is "$run2:$st" 0:0 "a pipe whose writer is gone stored with FDPOLL=0, and one without: both sent"
	t_like "$(held "$H")" "^np $ME no-poll pipe:\[[0-9]+\]$" \
		"the pipe stored with FDPOLL=0 is no-poll in list and survives its writer closing"
	t_is "$(held "$H" | grep -c '^pp ')" 0 "the pipe stored without FDPOLL=0 is dropped: its writer is gone (POLLHUP)"
	logged "pp \(uid $ME\) hung up: dropped" a "-v says it hung up"

	run sdn sock --socket
	port=${out#port }
	t_like "$(tmo "$FDRELAY" list "$H" | grep '^sock ')" "^sock owner $ME .* poll: socket inet stream listening .*local 127\.0\.0\.1:$port$" \
		"a listening TCP socket stored through libsystemd: held with poll (it has not hung up), its address shown"

	if [ -x "$SDL" ]; then
		ino() { held "$H" | sed -n "s/^$1 .*:\\[\\([0-9]*\\)\\]\$/\\1/p"; }
		npino=$(ino np) sockino=$(ino sock)
		run tmo "$FDRELAY" fetch "$H" web np sock -- "$SDL"
		t_is "$st:$(printf '%s\n' "$out" | grep -v '^fd [56]')" "0:count 4
fd 3 name web id $(id_of "$D/a") kind file
fd 4 name web id $(id_of "$D/b") kind file
env unset
others -" "fetch -- sd-listen: sd_listen_fds_with_names(3) gets web's two files as 3 and 4, named, in order; nothing else open"
		t_like "$(printf '%s\n' "$out" | grep '^fd 5')" "^fd 5 name np id [0-9]+:$npino kind fifo$" \
			"the no-poll pipe reaches it as fd 5 named np, a fifo to sd_is_fifo(3)"
		t_like "$(printf '%s\n' "$out" | grep '^fd 6')" "^fd 6 name sock id [0-9]+:$sockino kind socket-inet-stream-listening$" \
			"the socket as fd 6 named sock, a listening TCP socket to sd_is_socket_inet(3)"
	else
		t_skip "tests/sd-listen not built" "fetch -- sd-listen: sd_listen_fds_with_names(3) gets the stored descriptors (3 checks)"
	fi

	run sdn --remove web
	t_is "$st:$(held "$H" | cut -d' ' -f1 | tr '\n' ' ')" "0:np sock " \
		"sd_pid_notify_with_fds(FDSTOREREMOVE=1, FDNAME=web) drops web's two, nothing else"
	logged "notify: uid $ME removed 2 descriptors named web" a "-v says what FDSTOREREMOVE dropped"
fi

# ---- python-systemd's notify(..., fds=...) ------------------------------------

if [ -z "$PYSD" ]; then
	t_skip "python-systemd is not installed for $PY (import systemd.daemon fails)" \
		"python-systemd's notify stores and removes (4 checks)"
else
	run pynotify "FDSTORE=1
FDNAME=py" "$D/c" "$D/a"
	t_is "$out:$(held "$H" | grep '^py ')" "True:py $ME poll $D/c
py $ME poll $D/a" "systemd.daemon.notify() of FDSTORE=1, FDNAME=py with fds=[c, a] stores both under py, in order"
	run pynotify "FDSTORE=1" "$D/b"
	t_is "$out:$(held "$H" | grep '^stored ')" "True:stored $ME poll $D/b" "FDSTORE=1 without FDNAME= stores under the name stored"
	run pynotify "FDSTOREREMOVE=1
FDNAME=py"
	t_is "$out:$(held "$H" | grep -c '^py ')" "True:0" "systemd.daemon.notify() of FDSTOREREMOVE=1, FDNAME=py drops py's entries"
	run pynotify "FDSTORE=1
FDNAME=np
FDPOLL=0" "$D/c"
	t_is "$(held "$H" | grep '^np ' | tail -n 1)" "np $ME no-poll $D/c" "a second store under a held name adds to it (FDPOLL=0 through python-systemd too)"
fi

# ---- invalid messages: dropped whole, the holder goes on -----------------------

before=$(held "$H")
base=$(nfds "$apid")
if [ -x "$SDN" ]; then
	run sdn bad:name "$D/a" "$D/b"
	t_is "$st:$(held "$H")" "0:$before" "FDNAME=bad:name with two descriptors: sent, nothing stored"
	logged "notify: dropped a message from pid [0-9]+: FDNAME: 'bad:name' is not a valid name" a \
		"-v says why it was dropped (the name rule)"
else
	t_skip "tests/sd-notify-store not built" "FDNAME=bad:name through libsystemd: dropped (2 checks)"
fi
if [ -n "$PYSD" ]; then
	long=$(printf '%05000d' 0)
	run pynotify "FDSTORE=1
FDNAME=long
STATUS=$long" "$D/a"
	t_is "$out:$(held "$H")" "True:$before" "a message over the holder's 4096 bytes with a descriptor: sent, dropped whole"
	logged "notify: dropped a message: truncated" a "-v says it was truncated"
	run pynotify "READY=1
STATUS=serving" "$D/b"
	t_is "$out:$(held "$H")" "True:$before" "READY=1 and STATUS= with a descriptor attached: accepted, nothing stored"
	logged "notify: pid [0-9]+ uid [0-9]+: READY=1 STATUS=serving" a "-v shows the assignments it ignores"
	logged "notify: pid [0-9]+: nothing for the store, ignored" a "-v says a message without FDSTORE= or FDSTOREREMOVE= is ignored"
	logged "notify: closed 1 descriptor sent without FDSTORE=1" a "-v says the descriptor sent without FDSTORE=1 was closed"
else
	t_skip "python-systemd is not installed for $PY" "a truncated message and READY=1 through python-systemd (5 checks)"
fi
if [ -z "$NOBODY" ] || [ ! -x "$SDN" ]; then
	t_skip "needs root, setpriv and tests/sd-notify-store" "a message from another uid: dropped by the policy (2 checks)"
else
	# shellcheck disable=SC2086
	run tmo env NOTIFY_SOCKET="$N" $NOBODY "$D/sdn" other "$D/a"
	t_is "$st:$(held "$H")" "0:$before" "a message from uid 65534 (not allowed: no --allow-any) reaches the socket and is dropped"
	logged "notify: dropped a message from uid 65534: not allowed" a "-v says the policy dropped it"
fi
t_is "$(nfds "$apid")" "$base" "every descriptor of the dropped messages was closed: the holder's count in /proc is unchanged"
t_ok "the holder goes on: a store through fdrelay works after them" tmo "$FDRELAY" store "$H" "$D/a" -n after

# ---- an abstract notify address, --max-fds and --allow-any ---------------------

start_hold b --max-fds=3 --allow-any --notify="$ABS" "$D/h2"
if [ ! -x "$SDN" ]; then
	t_skip "tests/sd-notify-store not built" "--notify=@NAME, --max-fds and --allow-any through libsystemd (6 checks)"
else
	run tmo env NOTIFY_SOCKET="$ABS" "$SDN" two "$D/a" "$D/b"
	t_is "$st:$(held "$D/h2")" "0:two $ME poll $D/a
two $ME poll $D/b" "--notify=@NAME: libsystemd stores into the abstract address given as NOTIFY_SOCKET=@NAME"
	bbase=$(nfds "$hpid")
	run tmo env NOTIFY_SOCKET="$ABS" "$SDN" three "$D/a" "$D/b"
	t_is "$st:$(held "$D/h2" | cut -d' ' -f1 | tr '\n' ' ')" "0:two two " \
		"two more with 2 of --max-fds=3 held: the message is dropped whole (not one of them stored)"
	logged "notify: dropped 2 descriptors from uid $ME: --max-fds 3 reached" b "-v says --max-fds was reached"
	t_is "$(nfds "$hpid")" "$bbase" "their descriptors were closed"
	if [ -z "$NOBODY" ]; then
		t_skip "needs root and setpriv" "--allow-any: another uid stores through the notify socket, owning it"
	else
		# shellcheck disable=SC2086
		run tmo env NOTIFY_SOCKET="$ABS" $NOBODY "$D/sdn" any "$D/c"
		t_is "$st:$(held "$D/h2" | grep '^any ')" "0:any 65534 poll $D/c" \
			"with --allow-any a message from uid 65534 is stored, owned by 65534 (root's list shows it)"
	fi
	room=$((3 - $(held "$D/h2" | wc -l)))
	run tmo "$FDRELAY" fetch "$D/h2" -- sh -c 'echo "$NOTIFY_SOCKET $FDSTORE $LISTEN_FDNAMES"'
	t_is "$st:$out" "0:$ABS $room two:two" \
		"fetch gives the program NOTIFY_SOCKET=@NAME and FDSTORE=$room: --max-fds 3 minus every owner's entries"
fi

# ---- a relative --notify path: NOTIFY_SOCKET is made absolute --------------------

kill -TERM "$hpid"
wait "$hjob"
t_is "$?" 0 "SIGTERM: the second holder exits 0"
cd "$D" || exit 99
start_hold c --notify=rel h3
cd / || exit 99
run tmo "$FDRELAY" fetch "$D/h3" -- sh -c 'echo "$NOTIFY_SOCKET"'
t_is "$st:$out" "0:$D/rel" "--notify=rel started in DIR: fetch's program gets NOTIFY_SOCKET=DIR/rel, absolute"
if [ -x "$SDN" ]; then
	run tmo env NOTIFY_SOCKET="$out" "$SDN" rel "$D/c"
	t_is "$st:$(held "$D/h3")" "0:rel $ME poll $D/c" "libsystemd stores through it from another directory"
else
	t_skip "tests/sd-notify-store not built" "libsystemd stores through a relative --notify path"
fi

# ---- stopping --------------------------------------------------------------------

run tmo "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    s.connect("\0" + sys.argv[1][1:])
    print("bound")
except OSError:
    print("gone")' "$ABS"
t_is "$out" gone "the second holder's abstract notify address went with it"
kill -TERM "$hpid"
wait "$hjob"
t_is "$?:$(test -e "$D/rel" && echo left)" 0: "SIGTERM: the third holder exits 0 and removes its notify socket file"
kill -TERM "$apid"
wait "$ajob"
t_is "$?:$(test -e "$N" && echo left)" 0: "SIGTERM: the first holder exits 0 and removes its notify socket file"
t_done
