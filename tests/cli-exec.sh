#!/bin/sh
# cli-exec.sh - fdrelay exec, the sources --listen-on and --grab (with exec
# and send), and LISTEN_PIDFDID, against cli-extensions.md.
# shellcheck source-path=SCRIPTDIR source=lib.sh
# shellcheck disable=SC2016 # the programs' own variables, expanded by their shells
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
need_python

SDL=$TESTS_BUILDDIR/sd-listen
echo alpha >"$T/a"
echo bravo >"$T/b"
id_of() { stat -L -c %d:%i "$1"; }
NOBODY=
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
# A copy of the binary that uid 65534 can run.
D=$T/pub
mkdir "$D" && chmod 0755 "$T" "$D"
cp "$FDRELAY" "$D/fdrelay" && chmod 0755 "$D/fdrelay"

# The program exec runs in most tests: records what it got in $1 (key=value lines).
cat >"$T/show.py" <<'EOF'
import os, resource, sys
out = []
env = os.environ
for k in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "LISTEN_PIDFDID", "FDRELAY_MESSAGE",
          "FDRELAY_PEER_PID", "FDRELAY_PEER_UID", "FDRELAY_PEER_GID"):
    out.append("%s=%s" % (k, env.get(k, "-")))
out.append("pid=%d" % os.getpid())
fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
out.append("fds=%s" % " ".join(str(f) for f in fds[:-1]))	# the last one lists the directory
for fd in fds[:-1]:
    st = os.fstat(fd)
    out.append("id%d=%d:%d" % (fd, st.st_dev, st.st_ino))
out.append("nofile=%d" % resource.getrlimit(resource.RLIMIT_NOFILE)[0])
try:
    pfd = os.pidfd_open(os.getpid())
    out.append("pidfdid=%d" % os.fstat(pfd).st_ino)
except OSError:
    out.append("pidfdid=-")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
EOF
# ev KEY [FILE]: a value show.py recorded.
ev() { sed -n "s/^$1=//p" "${2:-$T/show}"; }

# ---- exec: sources, names, the environment -----------------------------------

run tmo "$FDRELAY" exec "$T/a" -r "$T/b" -n bee -- "$PY" "$T/show.py" "$T/show"
t_is "$st" 0 "exec runs the program and exits with its status (0)"
t_is "$(ev LISTEN_FDS):$(ev LISTEN_FDNAMES)" "2:a:bee" "the FILE operand and -r become fds 3 and 4, named a and bee"
t_is "$(ev id3):$(ev id4)" "$(id_of "$T/a"):$(id_of "$T/b")" "fds 3 and 4 are the files given"
t_is "$(ev LISTEN_PID)" "$(ev pid)" "LISTEN_PID is the program's own pid: exec replaced itself, no fork"
t_is "$(ev fds)" "0 1 2 3 4" "the program has fds 0 to 2 and the passed ones, nothing else"

run tmo "$FDRELAY" exec -- "$PY" "$T/show.py" "$T/show"
t_is "$st:$(ev LISTEN_FDS):$(ev LISTEN_FDNAMES):$(ev fds)" "0:0::0 1 2" "with no descriptor the program gets LISTEN_FDS=0"

run tmo env LISTEN_FDS=7 LISTEN_PID=1 LISTEN_FDNAMES=stale LISTEN_FOO=x FDRELAY_MESSAGE=old FDRELAY_PEER_UID=9 \
	"$FDRELAY" exec "$T/a" -- "$PY" "$T/show.py" "$T/show" 7<"$T/b" 9<"$T/b"
t_is "$(ev LISTEN_FDS):$(ev LISTEN_FDNAMES):$(ev FDRELAY_MESSAGE):$(ev FDRELAY_PEER_UID)" "1:a:-:-" \
	"stale LISTEN_* and fdrelay's own FDRELAY_* variables do not reach the program"
t_is "$(ev fds)" "0 1 2 3" "descriptors exec inherited (7, 9) do not reach the program"
run tmo env LISTEN_FOO=x "$FDRELAY" exec -- sh -c 'echo "${LISTEN_FOO:-unset}"'
t_is "$out" unset "no other LISTEN_* variable reaches the program either"

run tmo "$FDRELAY" exec -d 7 -n seven -i -o -e -- "$PY" "$T/show.py" "$T/show" 7<"$T/b" </dev/null
t_is "$(ev LISTEN_FDS):$(ev LISTEN_FDNAMES):$(ev id3)" "4:seven:stdin:stdout:stderr:$(id_of "$T/b")" \
	"-d, -i, -o and -e are sources, as for send"
run tmo "$FDRELAY" exec -i -o -e -- sh -c 'echo "$LISTEN_FDS on stdout"'
t_is "$st:$out" "0:3 on stdout" "0, 1 and 2 given as sources stay the program's own 0, 1 and 2 as well"
echo "from stdin" >"$T/in"
run tmo "$FDRELAY" exec -r "$T/in" -n stdin -w "$T/out" -n stdout --stdio "$T/a" -- \
	sh -c 'cat; echo "$LISTEN_FDS $LISTEN_FDNAMES"'
t_is "$st:$(cat "$T/out")" "0:from stdin
1 a" "--stdio places the descriptors named stdin and stdout on 0 and 1; LISTEN_FDS counts the rest"
run tmo "$FDRELAY" exec -s -- true
t_is "$st" 0 "exec -s is --stdio, listen's placement (a usage without descriptors is fine)"

# The descriptor limit: as listen gives it.
if [ -n "${FDRELAY_VALGRIND:-}" ]; then
	t_skip "valgrind keeps descriptors of its own under the limit" "the program gets the soft RLIMIT_NOFILE exec started with"
else
	run tmo sh -c 'ulimit -n 256; exec "$0" exec -- "$1" "$2" "$3"' "$FDRELAY" "$PY" "$T/show.py" "$T/show"
	t_is "$(ev nofile)" 256 "the program gets the soft RLIMIT_NOFILE exec started with"
fi

# ---- exec: exit statuses ------------------------------------------------------

run tmo "$FDRELAY" exec -- sh -c 'exit 7'
t_is "$st" 7 "exec exits with the program's status"
run tmo "$FDRELAY" exec "$T/a" -- "$T/no-such-program"
t_like "$st:$err" "^127:fdrelay: exec: run $T/no-such-program: No such file or directory" \
	"a program that is not found: 127, with a message"
: >"$T/noexec"
run tmo "$FDRELAY" exec -- "$T/noexec"
t_like "$st:$err" "^126:fdrelay: exec: run $T/noexec: Permission denied" "a program that cannot be run: 126"
run tmo "$FDRELAY" exec "$T/a" true
t_like "$st:$err" "^2:fdrelay: exec: no PROGRAM given \(it goes after --\)" "exec without -- is a usage error"
run tmo "$FDRELAY" exec "$T/missing" -- true
t_like "$st:$err" "^1:fdrelay: exec: open $T/missing: No such file or directory" "a file that cannot be opened: 1"
run tmo "$FDRELAY" exec -- sh -c 'echo "$#:$1" ' -- x
t_is "$out" "1:x" "after --, everything is the program's, a second -- included"

# ---- --listen-on ------------------------------------------------------------------

cat >"$T/tcp-server.py" <<'EOF'
# Serves one connection on the listening socket fd 3: reads a line, answers it.
import os, socket
assert os.environ["LISTEN_FDS"] == "1" and os.environ["LISTEN_PID"] == str(os.getpid())
s = socket.socket(fileno=3)
print("%s %s" % (os.environ["LISTEN_FDNAMES"], s.getsockname()[1]), flush=True)
c, _ = s.accept()
c.sendall(b"echo " + c.makefile("rb").readline())
EOF
cat >"$T/client.py" <<'EOF'
# client.py tcp|udp HOST PORT: sends a line, prints the answer.
import socket, sys
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == "tcp":
    c = socket.create_connection((host, port), timeout=10)
    c.sendall(b"hello\n")
    print(c.makefile("rb").readline().decode().strip())
else:
    c = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(10)
    c.sendto(b"hello", (host, port))
    print(c.recv(100).decode())
EOF
# port_of FILE: the port the program printed, once it did.
port_of() {
	_n=0
	until [ -s "$1" ] || [ $_n -gt 200 ]; do sleep 0.05; _n=$((_n + 1)); done
	cut -d' ' -f2 "$1"
}
tmo "$FDRELAY" exec -v -l tcp:127.0.0.1:0 -- "$PY" "$T/tcp-server.py" >"$T/srv" 2>"$T/srv.err" &
sjob=$!
port=$(port_of "$T/srv")
run tmo "$PY" "$T/client.py" tcp 127.0.0.1 "$port"
wait "$sjob"
t_is "$out:$?" "echo hello:0" "exec -l tcp:127.0.0.1:0 hands a Python server a listening socket that accepts a real connection"
t_is "$(cut -d' ' -f1 "$T/srv")" "tcp_127.0.0.1_0" "the default name is the ADDRESS with : replaced by _"
t_like "$(cat "$T/srv.err")" "^fdrelay: exec: --listen-on tcp:127.0.0.1:0: listening on 127.0.0.1:$port$" \
	"-v says the address bound, the free port port 0 picked included"

if "$PY" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	tmo "$FDRELAY" exec -l 'tcp:[::1]:0' -n web -- "$PY" "$T/tcp-server.py" >"$T/srv6" 2>/dev/null &
	sjob=$!
	port=$(port_of "$T/srv6")
	run tmo "$PY" "$T/client.py" tcp ::1 "$port"
	wait "$sjob"
	t_is "$out:$(cut -d' ' -f1 "$T/srv6")" "echo hello:web" "exec -l tcp:[::1]:0 -n web: IPv6, named web"
else
	t_skip "no IPv6 loopback here" "exec -l tcp:[::1]:0 -n web: IPv6, named web"
fi

cat >"$T/udp-server.py" <<'EOF'
import os, socket
s = socket.socket(fileno=3)
print("%s %s" % (os.environ["LISTEN_FDNAMES"], s.getsockname()[1]), flush=True)
data, peer = s.recvfrom(100)
s.sendto(b"echo " + data, peer)
EOF
tmo "$FDRELAY" exec -l udp:localhost:0 -- "$PY" "$T/udp-server.py" >"$T/usrv" 2>/dev/null &
sjob=$!
port=$(port_of "$T/usrv")
run tmo "$PY" "$T/client.py" udp 127.0.0.1 "$port"
wait "$sjob"
t_is "$out:$(cut -d' ' -f1 "$T/usrv")" "echo hello:udp_localhost_0" "exec -l udp:localhost:0: a bound UDP socket, a round trip"

run tmo "$FDRELAY" exec -l "unix:$T/u.sock" -- sh -c 'test -S "$0" && echo listening' "$T/u.sock"
t_is "$st:$out" "0:listening" "exec -l unix:PATH hands on a listening unix socket"
t_ok "its socket file remains after the program ends" test -S "$T/u.sock"
rm -f "$T/m.sock"
run tmo sh -c 'umask 027; exec "$0" exec -l "unix:$1" -- true' "$FDRELAY" "$T/m.sock"
t_is "$st:$(stat -c %a "$T/m.sock" 2>/dev/null)" "0:640" "a unix socket is made with mode 0666 less the umask (027: 0640)"
run tmo "$FDRELAY" exec -l "unix:$T/u.sock" -- true
t_is "$st" 0 "a stale socket left there is replaced, as listen does"
: >"$T/plain"
run tmo "$FDRELAY" exec -l "unix:$T/plain" -- true
t_like "$st:$err" "^1:fdrelay: exec: --listen-on unix:$T/plain: something that is not a socket is in the way" \
	"a regular file at unix:PATH is left alone, exit 1"
run tmo "$FDRELAY" exec -l unix:@fdrelay-test-$$ -- "$SDL"
if [ -x "$SDL" ]; then
	t_like "$out" "fd 3 name unix_@fdrelay-test-$$ id [0-9:]* kind socket-unix-stream-listening" \
		"exec -l unix:@NAME: an abstract listening socket"
else
	t_skip "tests/sd-listen not built" "exec -l unix:@NAME: an abstract listening socket"
fi

for bad in tcp:1.2.3.4 tcp:::1:80 'tcp:[::1' ftp:x:1 tcp:h:70000 unix:; do
	run tmo "$FDRELAY" exec -l "$bad" -- true
	case $err in
	"fdrelay: exec: --listen-on '$bad': "?*) ok=0 ;;
	*) ok=1 ;;
	esac
	t_is "$st:$ok" "2:0" "--listen-on '$bad' is a usage error that says what is wrong"
done
"$PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(10)' >"$T/busy" &
busy=$!
n=0; until [ -s "$T/busy" ] || [ $n -gt 200 ]; do sleep 0.05; n=$((n + 1)); done
run tmo "$FDRELAY" exec -l "tcp:127.0.0.1:$(cat "$T/busy")" -- true
kill "$busy" 2>/dev/null
t_like "$st:$err" "^1:fdrelay: exec: --listen-on tcp:127.0.0.1:[0-9]*: the address is already in use" \
	"an address in use: exit 1, saying so"
run tmo "$FDRELAY" exec -l tcp:no-such-host.invalid:80 -- true
t_like "$st:$err" "^1:fdrelay: exec: --listen-on tcp:no-such-host.invalid:80: cannot resolve host 'no-such-host.invalid'.*IPv4 address, \[IPv6\], localhost" \
	"a host that does not resolve: exit 1, saying what is accepted"
run tmo "$FDRELAY" exec -l tcp:192.0.2.1:0 -- true
t_like "$st:$err" "^1:.*not an address of this machine" "an address not of this machine: exit 1, saying so"

# ---- --grab ---------------------------------------------------------------------------

printf 'line one\nline two\n' >"$T/g"
# A shell holding "$1" open as fd 7; its pid goes to $1.pid.
# shellcheck disable=SC2016 # the target shell's own
tmo sh -c 'echo $$ >"$1.pid"; exec 7<"$1"; read -r x <&7; : >"$1.ready"; while [ ! -e "$1.done" ]; do sleep 0.05; done
	read -r y <&7; echo "after: $y" >"$1.after"' _ "$T/g" &
tjob=$!
n=0; until [ -e "$T/g.ready" ] || [ $n -gt 200 ]; do sleep 0.05; n=$((n + 1)); done
target=$(cat "$T/g.pid")
if [ -n "${FDRELAY_VALGRIND:-}" ]; then
	for d in "exec -g grabs fd 7 of a running shell: the same open file (st_dev:st_ino)" \
		"named grabbed-PID-7, and sharing the offset the shell left" \
		"what the program reads moves the shell's offset too (shared), and the shell's copy stays open" \
		"send -g hands a grabbed descriptor to a listener"; do
		t_skip "valgrind 3.19 does not know pidfd_open" "$d"
	done
	touch "$T/g.done"
else
	run tmo "$FDRELAY" exec -g "$target:7" -- sh -c 'echo "$LISTEN_FDNAMES"; stat -L -c %d:%i /proc/self/fd/3; read -r l <&3; echo "$l"'
	t_is "$(printf '%s\n' "$out" | sed -n 2p)" "$(id_of "$T/g")" \
		"exec -g grabs fd 7 of a running shell: the same open file (st_dev:st_ino)"
	t_is "$(printf '%s\n' "$out" | sed -n '1p;3p' | tr '\n' '|')" "grabbed-$target-7|line two|" \
		"named grabbed-PID-7, and sharing the offset the shell left"
	touch "$T/g.done"
	wait "$tjob"
	t_is "$(cat "$T/g.after" 2>/dev/null)" "after: " \
		"what the program reads moves the shell's offset too (shared), and the shell's copy stays open"
	rm -f "$T/g.ready" "$T/g.done"
	# shellcheck disable=SC2016 # the target shell's own
	tmo sh -c 'echo $$ >"$1.pid"; exec 7<"$1"; : >"$1.ready"; while [ ! -e "$1.done" ]; do sleep 0.05; done' _ "$T/g" &
	tjob=$!
	n=0; until [ -e "$T/g.ready" ] || [ $n -gt 200 ]; do sleep 0.05; n=$((n + 1)); done
	target=$(cat "$T/g.pid")
	rm -f "$T/s.sock"
	tmo "$FDRELAY" listen "$T/s.sock" sh -c 'echo "$LISTEN_FDNAMES $(head -n 1 <&3)"' >"$T/lout" 2>&1 &
	lpid=$!
	wait_for_socket "$T/s.sock"
	run tmo "$FDRELAY" send "$T/s.sock" -g "$target:7" -n log
	wait "$lpid"
	t_is "$st:$(cat "$T/lout")" "0:log line one" "send -g hands a grabbed descriptor to a listener"
	touch "$T/g.done"
	wait "$tjob"
fi
if [ -n "${FDRELAY_VALGRIND:-}" ]; then
	t_skip "valgrind 3.19 does not know pidfd_open" "a missing descriptor: exit 1, saying so"
	t_skip "valgrind 3.19 does not know pidfd_open" "a missing process: exit 1, saying so"
else
	run tmo "$FDRELAY" exec -g "$$:97" -- true
	t_like "$st:$err" "^1:fdrelay: exec: --grab $$:97: process $$ has no descriptor 97" "a missing descriptor: exit 1, saying so"
	run tmo "$FDRELAY" exec -g 2147483647:1 -- true
	t_like "$st:$err" "^1:fdrelay: exec: --grab 2147483647:1: no such process" "a missing process: exit 1, saying so"
fi
for bad in 12 12: :3 x:3 0:3 12:x; do
	run tmo "$FDRELAY" exec -g "$bad" -- true
	t_like "$st:$err" "^2:fdrelay: exec: --grab '$bad': expected PID:FD" "--grab '$bad' is a usage error"
done
if [ -z "$NOBODY" ]; then
	t_skip "needs root and setpriv" "uid 65534 grabbing a descriptor of root's process is refused, with the reason"
elif [ -n "${FDRELAY_VALGRIND:-}" ]; then
	t_skip "valgrind 3.19 does not know pidfd_open" "uid 65534 grabbing a descriptor of root's process is refused, with the reason"
else
	sleep 5 &
	rootpid=$!
	# shellcheck disable=SC2086
	run tmo $NOBODY "$D/fdrelay" exec -g "$rootpid:1" -- true
	kill "$rootpid" 2>/dev/null
	t_like "$st:$err" "^1:fdrelay: exec: --grab $rootpid:1: process $rootpid runs as uid 0: taking its descriptors needs its uid, or CAP_SYS_PTRACE" \
		"uid 65534 grabbing a descriptor of root's process is refused, with the reason"
fi

# ---- LISTEN_PIDFDID -----------------------------------------------------------------

if [ -n "${FDRELAY_VALGRIND:-}" ]; then
	t_skip "valgrind 3.19 does not know pidfd_open" "exec: LISTEN_PIDFDID is the inode of a pidfd of the program's own pid"
	t_skip "valgrind 3.19 does not know pidfd_open" "listen: LISTEN_PIDFDID is the inode of a pidfd of the program's own pid"
else
	run tmo "$FDRELAY" exec -- "$PY" "$T/show.py" "$T/show"
	if [ "$(ev pidfdid)" = - ]; then
		t_is "$(ev LISTEN_PIDFDID)" - "exec: no pidfds here, so no LISTEN_PIDFDID"
	else
		t_is "$(ev LISTEN_PIDFDID)" "$(ev pidfdid)" "exec: LISTEN_PIDFDID is the inode of a pidfd of the program's own pid"
	fi
	rm -f "$T/l.sock"
	tmo "$FDRELAY" listen "$T/l.sock" "$PY" "$T/show.py" "$T/show2" &
	lpid=$!
	wait_for_socket "$T/l.sock"
	tmo "$FDRELAY" send "$T/l.sock" "$T/a"
	wait "$lpid"
	t_is "$(ev LISTEN_PIDFDID "$T/show2")" "$(ev pidfdid "$T/show2")" \
		"listen: LISTEN_PIDFDID is the inode of a pidfd of the program's own pid"
fi

# ---- against libsystemd and systemd-socket-activate -----------------------------------

if [ ! -x "$SDL" ]; then
	t_skip "tests/sd-listen not built (no libsystemd)" "sd_listen_fds_with_names sees exec's descriptors and names"
else
	run tmo "$FDRELAY" exec -l tcp:127.0.0.1:0 -n http "$T/a" -n config -- "$SDL"
	t_is "$(printf '%s\n' "$out" | sed 's/ id [0-9:]*//' | tr '\n' '|')" \
		"count 2|fd 3 name http kind socket-inet-stream-listening|fd 4 name config kind file|env unset|others -|" \
		"sd_listen_fds_with_names sees exec's descriptors and names, and nothing else"
fi
if [ ! -x "$SDL" ] || ! command -v systemd-socket-activate >/dev/null 2>&1; then
	t_skip "needs tests/sd-listen and systemd-socket-activate" "exec and systemd-socket-activate hand the same program the same descriptors and names"
else
	port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	tmo systemd-socket-activate -l "127.0.0.1:$port" --fdname=http "$SDL" >"$T/ssa" 2>/dev/null &
	ajob=$!
	n=0
	until "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' "$port" 2>/dev/null ||
	    [ $n -gt 100 ]; do sleep 0.05; n=$((n + 1)); done
	wait "$ajob"
	run tmo "$FDRELAY" exec -l "tcp:127.0.0.1:$port" -n http -- "$SDL"
	t_is "$(printf '%s\n' "$out" | sed 's/ id [0-9:]*//')" "$(sed 's/ id [0-9:]*//' "$T/ssa")" \
		"exec and systemd-socket-activate hand the same program the same descriptors and names"
fi

t_done
