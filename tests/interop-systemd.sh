#!/bin/sh
# interop-systemd.sh - fdrelay with libsystemd's sd_listen_fds and with systemd-socket-activate.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

SDL=$TESTS_BUILDDIR/sd-listen
PY=${PYTHON3:-python3}
printf 'alpha\n' >"$T/a"
printf 'bravo\n' >"$T/b"
havepy=; "$PY" -c '' 2>/dev/null && havepy=yes
id_of() { stat -L -c %d:%i "$1"; }

# start_listen TAG ARGS...: fdrelay listen ARGS in the background (stdout
# $T/TAG.out, stderr $T/TAG.err), waiting until it is listening; $lpid.
start_listen() {
	_tag=$1; shift
	rm -f "$T/ready"
	tmo "$FDRELAY" listen --ready-fd 5 "$@" >"$T/$_tag.out" 2>"$T/$_tag.err" 5>"$T/ready" &
	lpid=$!
	_n=0
	while [ ! -s "$T/ready" ] && [ $_n -lt 200 ] && kill -0 $lpid 2>/dev/null; do
		sleep 0.05; _n=$((_n + 1))
	done
}

# ---- (a) libsystemd's sd_listen_fds_with_names() in the listener's program ----
if [ ! -x "$SDL" ]; then
	t_skip "tests/sd-listen not built (configure found no libsystemd)" "sd_listen_fds_with_names sees the sent descriptors"
else
	start_listen a "$T/sa" "$SDL"
	run tmo "$FDRELAY" send "$T/sa" "$T/a" "$T/b" -n bee
	wait $lpid
	lst=$?
	res=$(cat "$T/a.out")
	t_is "$st $lst" "0 0" "sd-listen: send and listen both exit 0 (sd-listen found no error)"
	t_is "$(printf '%s\n' "$res" | sed -n 's/^count //p')" 2 "sd-listen: sd_listen_fds_with_names returns 2"
	t_is "$(printf '%s\n' "$res" | grep '^fd ')" "fd 3 name a id $(id_of "$T/a") kind file
fd 4 name bee id $(id_of "$T/b") kind file" \
		"sd-listen: fd 3 is named a, fd 4 bee (--name), each the file sent (st_dev:st_ino)"
	t_is "$(printf '%s\n' "$res" | sed -n 's/^env //p')" unset "sd-listen: LISTEN_PID matches, so libsystemd accepts and unsets LISTEN_*"
	t_is "$(printf '%s\n' "$res" | sed -n 's/^others //p')" - "sd-listen: the program holds no descriptor above 2 but the two sent"

	# --stdio: the sender's 0, 1, 2 become the program's; LISTEN_FDS counts from 3.
	start_listen stdio --stdio "$T/ss" "$SDL"
	run tmo "$FDRELAY" send -W "$T/ss" "$T/a" -n first --stdio "$T/b" </dev/null
	wait $lpid
	lst=$?
	t_is "$st $lst" "0 0" "sd-listen --stdio: send -W and listen both exit 0"
	t_is "$(printf '%s\n' "$out" | grep -v '^env\|^others')" "count 2
fd 3 name first id $(id_of "$T/a") kind file
fd 4 name b id $(id_of "$T/b") kind file" \
		"sd-listen --stdio: the report lands on the sender's stdout; libsystemd sees only first and b, at 3 and 4"
	t_is "$(cat "$T/stdio.out")" "" "sd-listen --stdio: nothing reaches the listener's own stdout"

	# A listening socket relayed through fdrelay is what sd_is_socket() expects.
	if [ -z "$havepy" ]; then
		t_skip "no python3 ('$PY') to make the socket" "sd-listen: sd_is_socket_unix sees a relayed listening socket"
	else
	start_listen sock "$T/sk" "$SDL"
	run tmo "$PY" -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.execvp(sys.argv[2], sys.argv[2:])' "$T/web" "$FDRELAY" send "$T/sk" -d 3 -n web
	wait $lpid
	lst=$?
	t_is "$st $lst" "0 0" "sd-listen: a listening socket sent with -d 3: both exit 0"
	t_is "$(sed -n 's/^fd 3 name \([^ ]*\) id [^ ]* kind /\1 /p' "$T/sock.out")" "web socket-unix-stream-listening" \
		"sd-listen: sd_is_socket_unix sees the relayed descriptor as a listening unix stream socket named web"
	fi

	# A datagram listener: raw names fd0, fd1, ...
	start_listen dg --dgram "$T/sg" "$SDL"
	run tmo "$FDRELAY" send --dgram "$T/sg" "$T/a" "$T/b"
	wait $lpid
	lst=$?
	t_is "$st $lst" "0 0" "sd-listen --dgram: send --dgram and listen --dgram both exit 0"
	t_is "$(grep '^fd ' "$T/dg.out")" "fd 3 name fd0 id $(id_of "$T/a") kind file
fd 4 name fd1 id $(id_of "$T/b") kind file" \
		"sd-listen --dgram: libsystemd sees fd0 and fd1, the files sent, in order"
fi

# ---- (b) systemd-socket-activate hands fdrelay listen --inherit its socket ----
cat >"$T/report.py" <<'EOF'
# report.py FILE [STATUS]: what the program run by fdrelay got, into FILE
# (written whole: it appears complete or not at all).
import os, sys
fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
fds = [f for f in fds if os.path.exists("/proc/self/fd/%d" % f)]  # not listdir's own
env = os.environ
with open(sys.argv[1] + ".tmp", "w") as out:
    print("env=%s %s %s" % (env.get("LISTEN_FDS", "unset"), env.get("LISTEN_FDNAMES", "unset"),
          "self" if env.get("LISTEN_PID") == str(os.getpid()) else env.get("LISTEN_PID", "unset")), file=out)
    print("fds=%s" % " ".join(str(f) for f in fds if f != out.fileno()), file=out)
    st = os.fstat(3)
    print("id=%d:%d" % (st.st_dev, st.st_ino), file=out)
    print("data=%s" % os.read(3, 100).decode().strip(), file=out)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
EOF
rfield() { sed -n "s/^$2=//p" "$1" 2>/dev/null; }

if ! command -v systemd-socket-activate >/dev/null 2>&1; then
	t_skip "systemd-socket-activate not installed" "systemd-socket-activate feeds fdrelay listen --inherit"
	t_done
	exit $?
fi
if [ -z "$havepy" ]; then
	t_skip "no python3 ('$PY') for the reporting program" "systemd-socket-activate feeds fdrelay listen --inherit"
	t_done
	exit $?
fi

# activate TAG SA-OPTIONS -- LISTEN-OPTIONS: systemd-socket-activate on $T/TAG running
# fdrelay listen --inherit LISTEN-OPTIONS report.py $T/TAG.rep; $apid.
activate() {
	_tag=$1; shift
	_sa=
	while [ "$1" != -- ]; do _sa="$_sa $1"; shift; done
	shift
	# shellcheck disable=SC2086 # $_sa is a word list
	tmo systemd-socket-activate $_sa -l "$T/$_tag" "$FDRELAY" listen --inherit "$@" \
		"$PY" "$T/report.py" "$T/$_tag.rep" >"$T/$_tag.out" 2>"$T/$_tag.err" &
	apid=$!
	wait_for_socket "$T/$_tag" 10
}

for kind in stream seqpacket dgram; do
	case $kind in
	stream) sa=; so=; lo= ;;
	seqpacket) sa=--seqpacket; so=--seqpacket; lo= ;;
	dgram) sa=--datagram; so=--dgram; lo=--allow-any ;;
	esac
	# shellcheck disable=SC2086 # empty or one word each
	activate "$kind" $sa -- $lo
	# shellcheck disable=SC2086
	run tmo "$FDRELAY" send $so "$T/$kind" "$T/a"
	wait $apid
	ast=$?
	name=a; [ "$kind" = dgram ] && name=fd0
	t_is "$st $ast" "0 0" "socket-activate $kind: send ${so:-(stream)} delivers through listen --inherit; both exit 0"
	t_is "$(rfield "$T/$kind.rep" env)" "1 $name self" \
		"socket-activate $kind: the program gets LISTEN_FDS=1, LISTEN_FDNAMES=$name and its own LISTEN_PID, not the activator's"
	t_is "$(rfield "$T/$kind.rep" fds)" "0 1 2 3" "socket-activate $kind: the program holds 0, 1, 2 and 3 only, not the activation socket"
	t_is "$(rfield "$T/$kind.rep" id) $(rfield "$T/$kind.rep" data)" "$(id_of "$T/a") alpha" \
		"socket-activate $kind: fd 3 is the file sent"
	[ "$ast" = 0 ] || t_diag "$(cat "$T/$kind.err")"
done

# --accept: each connection is a connected socket at fd 3; fdrelay serves it as one sender.
rm -f "$T/acc.rep"
tmo systemd-socket-activate --accept -l "$T/acc" "$FDRELAY" listen --inherit \
	"$PY" "$T/report.py" "$T/acc.rep" 7 >"$T/acc.out" 2>"$T/acc.err" &
apid=$!
wait_for_socket "$T/acc" 10
run tmo "$FDRELAY" send "$T/acc" "$T/a"
t_is "$st" 0 "socket-activate --accept: a sender served over the inherited connected socket exits 0"
n=0
while [ ! -s "$T/acc.rep" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
t_is "$(rfield "$T/acc.rep" env) $(rfield "$T/acc.rep" data)" "1 a self alpha" \
	"socket-activate --accept: the program gets the sent file as fd 3 named a"
t_is "$(rfield "$T/acc.rep" fds)" "0 1 2 3" "socket-activate --accept: the program does not hold the connection"
rm -f "$T/acc.rep"
run tmo "$FDRELAY" send -W "$T/acc" "$T/b" -n second
t_is "$st" 7 "socket-activate --accept: a second connection is served too, and send -W gets the program's status 7"
t_is "$(rfield "$T/acc.rep" env) $(rfield "$T/acc.rep" data)" "1 second self bravo" \
	"socket-activate --accept: the second program gets the second sender's file"
kill "$apid" 2>/dev/null
wait "$apid" 2>/dev/null

t_done
