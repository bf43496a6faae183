#!/bin/sh
# demo.sh - one relay: a listener runs a program on the descriptors a sender hands it.
set -eu
FDRELAY=${FDRELAY:-fdrelay}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "hello from a file the sender opened" >"$dir/greeting.txt"

# The listener: runs a small program on what arrives, then exits with its status.
# shellcheck disable=SC2016 # the program's own variables, expanded by its shell
"$FDRELAY" listen "$dir/sock" sh -c '
	echo "program: LISTEN_FDS=$LISTEN_FDS LISTEN_FDNAMES=$LISTEN_FDNAMES, from uid $FDRELAY_PEER_UID"
	"$0" describe 3 4
	printf "program: fd 3 says: "; cat <&3
	echo "program: this line goes to fd 4, the sender'"'"'s own stdout" >&4
' "$FDRELAY" &

# The sender: waits for the listener, hands over a file and its stdout,
# and exits with the program's status.
"$FDRELAY" send --retry --wait "$dir/sock" "$dir/greeting.txt" --stdout
wait
