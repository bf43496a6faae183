#!/bin/sh
# cli-usage.sh - the command line's usage contract: help, version, usage errors.
# shellcheck source=tests/lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# expect STATUS REGEX DESCRIPTION CMD...: CMD exits STATUS and its stderr
# has a line "fdrelay: ..." that matches REGEX.
expect() {
	_want=$1 _re=$2 _d=$3
	shift 3
	run tmo "$@"
	if [ "$st" -eq "$_want" ] && printf '%s\n' "$err" | grep -Eq -- "^fdrelay: .*$_re"; then
		t_report 0 "$_d"
	else
		t_report 1 "$_d"
		t_diag "status $st (expected $_want); stderr:"
		printf '%s\n' "$err" | sed 's/^/#   /'
	fi
}

# mentions TEXT OPTION...: prints the options that TEXT does not mention.
missing_options() {
	_text=$1
	shift
	for _o; do
		printf '%s\n' "$_text" | grep -q -- "$_o" || printf '%s ' "$_o"
	done
}

S=$T/sock

# ---- the top level ----
run tmo "$FDRELAY"
t_is "$st" 2 "no argument at all exits 2"
t_like "$err" '^Usage: fdrelay send' "no argument prints the usage on stderr"
t_is "$out" "" "no argument prints nothing on stdout"

expect 2 "frobnicate: unknown command$" \
	"an unknown subcommand exits 2 with 'fdrelay: frobnicate: unknown command'" "$FDRELAY" frobnicate
t_like "$err" '^Usage: fdrelay' "an unknown subcommand also prints the usage"
expect 2 "--frobnicate: unknown option$" \
	"an unknown option before any subcommand exits 2 with 'fdrelay: --frobnicate: unknown option'" \
	"$FDRELAY" --frobnicate

for opt in --help --usage; do
	run tmo "$FDRELAY" $opt
	t_is "$st" 0 "fdrelay $opt exits 0"
	t_like "$out" 'fdrelay send.*SOCKET' "fdrelay $opt prints the usage on stdout"
	t_like "$out" 'fdrelay listen.*PROGRAM' "fdrelay $opt names listen and its PROGRAM"
done

run tmo "$FDRELAY" --version
t_is "$st" 0 "fdrelay --version exits 0"
t_like "$out" '^fdrelay [0-9]+\.[0-9]+' "fdrelay --version prints 'fdrelay' and a version number"
ver=$out

# ---- every subcommand: --help, --usage, --version ----
opts_send='--read --write --append --rdwr --fd --stdin --stdout --stderr --stdio
	--name --wait --timeout --retry --raw --message --dgram --seqpacket --verbose
	-r, -w, -a, -u, -d, -i, -o, -e, -s, -n, -W, -t, -R, -m, -v, --help --usage --version'
opts_sock='--keep-going --mode --allow-uid --allow-gid --allow-any --max-fds
	--timeout --ready-fd --inherit --raw --dgram --seqpacket --verbose
	-k, -M, -t, -v, --help --usage --version'
opts_listen="--stdio --max-children -j, $opts_sock"
opts_recv="--json $opts_sock"
opts_describe='--pid --json -p, -J, --help --usage --version'

for cmd in send listen recv describe; do
	case $cmd in
	send) opts=$opts_send ;;
	listen) opts=$opts_listen ;;
	recv) opts=$opts_recv ;;
	*) opts=$opts_describe ;;
	esac
	run tmo "$FDRELAY" $cmd --help
	t_is "$st" 0 "fdrelay $cmd --help exits 0"
	t_like "$out" "^Usage: fdrelay $cmd" "fdrelay $cmd --help names the command on its usage line"
	# shellcheck disable=SC2086 # the option lists are word lists
	t_is "$(missing_options "$out" $opts)" "" "fdrelay $cmd --help lists every option of the contract"
	run tmo "$FDRELAY" $cmd --usage
	t_is "$st" 0 "fdrelay $cmd --usage exits 0"
	t_like "$out" "^Usage: fdrelay $cmd" "fdrelay $cmd --usage prints a usage line on stdout"
	run tmo "$FDRELAY" $cmd --version
	t_is "$st" 0 "fdrelay $cmd --version exits 0"
	t_is "$out" "$ver" "fdrelay $cmd --version prints the same version as fdrelay --version"
done

# ---- unknown options name the option ----
for cmd in send listen recv describe; do
	expect 2 "--no-such-option" "fdrelay $cmd with an unknown long option exits 2 naming it" \
		"$FDRELAY" $cmd --no-such-option "$S" true
	expect 2 "-Z" "fdrelay $cmd with an unknown short option exits 2 naming it" \
		"$FDRELAY" $cmd -Z "$S" true
done
expect 2 "-r: missing argument" "send -r without its PATH is a usage error naming -r" \
	"$FDRELAY" send "$S" -r

# ---- usage errors of send ----
expect 2 "no SOCKET" "send without SOCKET is a usage error" "$FDRELAY" send
expect 2 "--name 'x'.*no descriptor" "send --name before any descriptor is a usage error naming it" \
	"$FDRELAY" send -n x "$S" -r /dev/null
expect 2 "--name 'b'.*already named 'a'" "send --name twice for one descriptor is a usage error naming both" \
	"$FDRELAY" send "$S" -r /dev/null -n a -n b
expect 2 "--name '':" "send --name with an empty name is a usage error" \
	"$FDRELAY" send "$S" -r /dev/null -n ''
long=$(printf '%0256d' 0)
expect 2 "--name '$long'" "send --name with 256 characters is a usage error" \
	"$FDRELAY" send "$S" -r /dev/null -n "$long"
long255=$(printf '%0255d' 0)
run tmo "$FDRELAY" send "$S" -r /dev/null -n "$long255"
t_is "$st" 1 "send --name with 255 characters is accepted (it fails only later, connecting)"
expect 2 "--name 'a:b'" "send --name containing ':' is a usage error" \
	"$FDRELAY" send "$S" -r /dev/null -n a:b
tab=$(printf 'a\tb')
expect 2 "--name 'a.b'" "send --name containing a control character is a usage error" \
	"$FDRELAY" send "$S" -r /dev/null -n "$tab"
expect 2 "--name '.*'" "send --name containing a non-ASCII byte is a usage error" \
	"$FDRELAY" send "$S" -r /dev/null -n "$(printf 'caf\303\251')"
expect 2 "--fd.*'x'" "send --fd with a non-number is a usage error naming it" \
	"$FDRELAY" send "$S" -d x
expect 2 "--fd.*'-1'" "send --fd with a negative number is a usage error naming it" \
	"$FDRELAY" send "$S" -d -1
for bad in abc 0 -1 1x ''; do
	expect 2 "--timeout.*'$bad'" "send --timeout '$bad' is a usage error naming the value" \
		"$FDRELAY" send -t "$bad" "$S"
done
expect 2 "--dgram and --seqpacket" "send --dgram with --seqpacket is a usage error" \
	"$FDRELAY" send --dgram --seqpacket "$S"
expect 2 "--message 'x.q'.*escape" "send --message with an unknown escape is a usage error" \
	"$FDRELAY" send --raw -m 'x\q' "$S"
expect 2 "--message 'x.xZZ'.*escape" "send --message with \\x and no hex digit is a usage error" \
	"$FDRELAY" send --raw -m 'x\xZZ' "$S"
expect 2 "--message" "send --message without --raw is a usage error" \
	"$FDRELAY" send -m hello "$S"
expect 2 "--wait" "send --wait with --raw is a usage error" \
	"$FDRELAY" send --raw -W "$S"
expect 2 "--wait" "send --wait with --dgram (which implies --raw) is a usage error" \
	"$FDRELAY" send --dgram -W "$S"
set --
i=0
while [ $i -lt 254 ]; do set -- "$@" -r /dev/null; i=$((i + 1)); done
expect 2 "--raw.*253" "send --raw with 254 descriptors is a usage error naming the limit" \
	"$FDRELAY" send --raw "$S" "$@"
set --

# ---- usage errors of listen and recv ----
expect 2 "no SOCKET" "listen without SOCKET is a usage error" "$FDRELAY" listen
expect 2 "no PROGRAM" "listen without PROGRAM is a usage error" "$FDRELAY" listen "$S"
expect 2 "no SOCKET" "recv without SOCKET is a usage error" "$FDRELAY" recv
expect 2 "unexpected argument 'extra'" "recv with a second operand is a usage error naming it" \
	"$FDRELAY" recv "$S" extra
for cmd in listen recv; do
	[ $cmd = listen ] && prog=true || prog=
	# shellcheck disable=SC2086 # $prog is empty or one word
	{
	expect 2 "--mode.*'999'" "$cmd --mode 999 (not octal) is a usage error naming the value" \
		"$FDRELAY" $cmd -M 999 "$S" $prog
	expect 2 "--mode.*'1777'" "$cmd --mode wider than 0777 is a usage error" \
		"$FDRELAY" $cmd -M 1777 "$S" $prog
	expect 2 "--max-fds.*'x'" "$cmd --max-fds x is a usage error naming the value" \
		"$FDRELAY" $cmd --max-fds x "$S" $prog
	expect 2 "--timeout.*'soon'" "$cmd --timeout soon is a usage error naming the value" \
		"$FDRELAY" $cmd -t soon "$S" $prog
	expect 2 "--ready-fd.*'77'" "$cmd --ready-fd of a closed descriptor is a usage error naming it" \
		"$FDRELAY" $cmd --ready-fd 77 "$S" $prog
	expect 2 "--allow-uid.*'no-such-user-x'" "$cmd --allow-uid with an unknown user is a usage error naming it" \
		"$FDRELAY" $cmd --allow-uid no-such-user-x "$S" $prog
	expect 2 "--allow-gid.*'no-such-group-x'" "$cmd --allow-gid with an unknown group is a usage error naming it" \
		"$FDRELAY" $cmd --allow-gid no-such-group-x "$S" $prog
	expect 2 "--dgram and --seqpacket" "$cmd --dgram with --seqpacket is a usage error" \
		"$FDRELAY" $cmd --dgram --seqpacket "$S" $prog
	}
	t_ok "$cmd usage errors leave nothing at SOCKET" test ! -e "$S"
done
for cmd in send listen recv; do
	[ $cmd = listen ] && prog=true || prog=
	for sock in '' @; do
		# shellcheck disable=SC2086 # $prog is empty or one word
		expect 2 "SOCKET '$sock'" "$cmd with the empty SOCKET '$sock' is a usage error quoting it" \
			"$FDRELAY" $cmd "$sock" $prog
	done
done
expect 2 "--max-children.*'0'" "listen -j 0 is a usage error naming the value" \
	"$FDRELAY" listen -k -j 0 "$S" true
expect 2 "--stdio" "recv --stdio (a listen option) is a usage error naming it" \
	"$FDRELAY" recv --stdio "$S"
expect 2 "--json" "listen --json (a recv option) is a usage error naming it" \
	"$FDRELAY" listen --json "$S" true

t_done
