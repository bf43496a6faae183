#!/bin/sh
# docs.sh - the documentation that ships tells the truth: fdrelay(1) lints
# clean and lists exactly the options --help lists, its examples and the
# README's run, the bash completion works, and the versions agree.
# shellcheck source=tests/lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

MAN=$TOP_SRCDIR/docs/fdrelay.1
COMP=$TOP_SRCDIR/docs/completion/fdrelay
README=$TOP_SRCDIR/README.md
SUBS="send listen recv describe exec"

# Examples find the fdrelay under test first on PATH, also as another user.
chmod 0755 "$T"
mkdir -p "$T/bin"
ln -s "$FDRELAY" "$T/bin/fdrelay"
PATH=$T/bin:$PATH
export PATH

# ---- mandoc lint -------------------------------------------------------------

if [ -z "${MANDOC:-}" ]; then
	t_skip "mandoc not found by configure" "fdrelay(1) passes mandoc -T lint -W warning"
else
	run "$MANDOC" -T lint -W warning "$MAN"
	t_is "$st:$out$err" "0:" "fdrelay(1) passes mandoc -T lint -W warning with no message"
fi

# ---- options: --help against the man page -----------------------------------

# help_opts SUB: every option (-x and --long) SUB's --help lists, one a line.
help_opts() {
	"$FDRELAY" "$1" --help |
	    sed -n 's/^ \{1,\}\(-[^ ].*\)$/\1/p' |
	    sed 's/  .*//; s/=.*//' | tr ',' '\n' | sed 's/^ *//' | sort -u
}

# man_opts 'SECTION|SECTION...': every option of the ".It Fl" items under
# these .Sh/.Ss titles of the man page, one a line.
man_opts() {
	awk -v want="|$1|" '
	/^\.S[hs] / {
		sec = $0
		sub(/^\.S[hs] /, "", sec)
		insec = index(want, "|" sec "|") > 0
		next
	}
	insec && /^\.It Fl / {
		for (i = 2; i < NF; i++)
			if ($i == "Fl") {
				f = $(i + 1)
				gsub(/\\&/, "", f)
				gsub(/\\-/, "-", f)
				print "-" f
			}
	}' "$MAN" | sort -u
}

# The man page's sections that document each subcommand's options; the
# options every subcommand takes are listed in DESCRIPTION itself.
man_sections() {
	case $1 in
	send | exec | store) echo "DESCRIPTION|fdrelay $1|Descriptor sources" ;;
	listen) echo "DESCRIPTION|fdrelay listen|Socket and sender options" ;;
	recv) echo "DESCRIPTION|fdrelay recv|Socket and sender options" ;;
	*) echo "DESCRIPTION|fdrelay $1" ;;
	esac
}

# missing A B DESCRIPTION: passes when every line of file A is in file B.
missing() {
	_m=$(comm -23 "$1" "$2" | tr '\n' ' ')
	t_is "$_m" "" "$3"
}

for sub in $SUBS; do
	help_opts "$sub" >"$T/help-$sub"
	man_opts "$(man_sections "$sub")" >"$T/man-$sub"
	if [ "$(wc -l <"$T/help-$sub")" -lt 4 ]; then
		t_report 1 "fdrelay $sub --help lists its options"
		continue
	fi
	missing "$T/help-$sub" "$T/man-$sub" \
	    "every option fdrelay $sub --help lists is documented in fdrelay(1)"
	missing "$T/man-$sub" "$T/help-$sub" \
	    "every option fdrelay(1) documents for $sub is one fdrelay $sub --help lists"
done

# The SYNOPSIS names each subcommand the program's usage names.
usage_subs=$("$FDRELAY" --help | sed -n 's/^\(Usage:\)\{0,1\} *fdrelay \([a-z][a-z]*\) .*/\2/p' | sort -u | tr '\n' ' ')
man_subs=$(awk '/^\.Sh SYNOPSIS/ { s = 1; next } /^\.Sh / { s = 0 } s && /^\.Cm / { print $2 }' "$MAN" | sort -u | tr '\n' ' ')
t_is "$man_subs" "$usage_subs" "the SYNOPSIS shows every subcommand of fdrelay --help, and no other"

# EXIT STATUS and ENVIRONMENT cover what the contract fixes.
statuses=$(awk '/^\.Sh EXIT STATUS/ { s = 1; next } /^\.S[hs] / { s = 0 } s && /^\.It [0-9]/ { print $2 }' "$MAN" | tr '\n' ' ')
t_is "$statuses" "0 1 2 3 124 126 127 " "EXIT STATUS lists the statuses 0, 1, 2, 3, 124, 126 and 127"
envs=$(awk '/^\.Sh ENVIRONMENT/ { s = 1; next } /^\.S[hs] / { s = 0 } s && /^\.It Ev / { for (i = 3; i <= NF; i++) if ($i != ",") print $i }' "$MAN" | sort | tr '\n' ' ')
t_is "$envs" "FDRELAY_MESSAGE FDRELAY_PEER_GID FDRELAY_PEER_PID FDRELAY_PEER_UID FDSTORE LISTEN_FDNAMES LISTEN_FDS LISTEN_PID LISTEN_PIDFDID NOTIFY_SOCKET " \
    "ENVIRONMENT documents every variable listen, exec and fetch give their program"

# ---- examples ----------------------------------------------------------------

# run_example LABEL DIR N: runs DIR/N.sh under sh -e in a directory of its
# own; passes when it succeeds and, if DIR/N.out exists, prints exactly that.
# DIR/N.req names a command the example needs (a visible skip without it).
run_example() {
	_ex=$2/$3.sh
	_what="$1 example $3 ($(sed -n '1s/^\(.\{0,48\}\).*/\1/p' "$_ex"))"
	if [ -f "$2/$3.req" ] && [ "$(cat "$2/$3.req")" = root ]; then
		if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
			t_skip "needs root (and setpriv) to run a listener as another user" "$_what"
			return
		fi
	elif [ -f "$2/$3.req" ] && ! command -v "$(cat "$2/$3.req")" >/dev/null 2>&1; then
		t_skip "needs $(cat "$2/$3.req")" "$_what"
		return
	fi
	mkdir "$2/run$3"
	# Its own process group, so that nothing it started outlives it.
	# timeout --foreground keeps it there (a plain timeout makes a group of its own).
	(cd "$2/run$3" && exec setsid -w timeout --foreground -k 5 "${TMO:-30}" sh -e "../$3.sh" \
	    >"../$3.got" 2>"../$3.err" </dev/null) &
	_pid=$!
	wait "$_pid"
	_st=$?
	kill -KILL -- "-$_pid" 2>/dev/null
	if [ -f "$2/$3.out" ]; then
		if [ "$_st" -eq 0 ] && cmp -s "$2/$3.out" "$2/$3.got"; then
			t_report 0 "$_what runs and prints what the page shows"
			return
		fi
		t_report 1 "$_what runs and prints what the page shows"
		diff "$2/$3.out" "$2/$3.got" | sed 's/^/# /'
	else
		t_report "$_st" "$_what runs successfully"
	fi
	[ "$_st" -eq 0 ] || {
		t_diag "exit status $_st (examples run under sh -e: show a failing status with 'cmd || echo \"status \$?\"')"
		sed 's/^/# stderr: /' "$2/$3.err"
	}
}

# The man page: each .Bd block right after a '.\" test' comment line (or
# '.\" test requires CMD'), and the block after a following '.\" output'
# line is what it must print.  roff escapes \&, \- and \e are undone.
mkdir "$T/man-ex"
awk -v dir="$T/man-ex" '
function unroff(l) {
	gsub(/\\&/, "", l)
	gsub(/\\-/, "-", l)
	gsub(/\\e/, "\\", l)
	return l
}
cap && /^\.Ed/ { cap = 0; close(file); next }
cap { print unroff($0) > file; next }
/^\.\\" test( requires [^ ]+)?$/ {
	want = "sh"
	req = $0
	sub(/^\.\\" test( requires )?/, "", req)
	next
}
/^\.\\" output$/ { want = "out"; next }
want != "" && /^\.Bd / {
	if (want == "sh") {
		n++
		file = dir "/" n ".sh"
		if (req != "")
			print req > (dir "/" n ".req")
	} else {
		file = dir "/" n ".out"
	}
	printf "" > file
	cap = 1
	want = ""
	next
}
{ want = "" }' "$MAN"
nman=$(find "$T/man-ex" -name '*.sh' | wc -l)
if [ "$nman" -ge 5 ]; then t_report 0 "fdrelay(1) marks its runnable examples ($nman)"
else t_report 1 "fdrelay(1) marks its runnable examples (found $nman, expected at least 5)"
fi
i=1
while [ "$i" -le "$nman" ]; do
	run_example "fdrelay(1)" "$T/man-ex" "$i"
	i=$((i + 1))
done

# The README: each ```sh block right after a line <!-- test --> (or
# <!-- test requires CMD -->), and the fenced block after <!-- output -->.
mkdir "$T/readme-ex"
if [ -f "$README" ]; then
	awk -v dir="$T/readme-ex" '
	cap && /^```/ { cap = 0; close(file); next }
	cap { print > file; next }
	/^<!-- test( requires [^ ]+)? -->$/ {
		want = "sh"
		req = $0
		sub(/^<!-- test( requires )?/, "", req)
		sub(/ ?-->$/, "", req)
		next
	}
	/^<!-- output -->$/ { want = "out"; next }
	want == "sh" && /^```(sh|shell|console)?$/ || want == "out" && /^```/ {
		if (want == "sh") {
			n++
			file = dir "/" n ".sh"
			if (req != "")
				print req > (dir "/" n ".req")
		} else {
			file = dir "/" n ".out"
		}
		printf "" > file
		cap = 1
		want = ""
		next
	}
	{ want = "" }' "$README"
fi
nreadme=$(find "$T/readme-ex" -name '*.sh' | wc -l)
if [ "$nreadme" -eq 0 ]; then
	t_skip "README.md has no <!-- test --> examples yet" "the README's examples run"
fi
i=1
while [ "$i" -le "$nreadme" ]; do
	run_example "README" "$T/readme-ex" "$i"
	i=$((i + 1))
done

# Every sh block of the README is checked: run (<!-- test -->) or, for the
# build commands, checked here (<!-- build -->).
unmarked=$(awk '/^```(sh|shell|console)?$/ && !inblock { if (prev !~ /^<!-- (test( requires [^ ]+)?|build|output) -->$/) print NR; inblock = 1; next }
	/^```/ && inblock { inblock = 0; next } { prev = $0 }' "$README" | tr '\n' ' ')
t_is "$unmarked" "" "every sh block of the README is marked <!-- test --> or <!-- build -->"
awk '/^<!-- build -->$/ { want = 1; next } want && /^```/ { cap = !cap; if (!cap) want = 0; next } cap' "$README" |
    tr '&' '\n' | sed 's/#.*//; s/^ *//; s/ *$//' | sed '/^$/d' >"$T/build-cmds"
bad=
while read -r cmd; do
	case $cmd in
	"make "*)
		target=${cmd#make }
		make -n -C "$TESTS_BUILDDIR/.." "$target" >/dev/null 2>&1 || bad="$bad [$cmd]" ;;
	./*) [ -x "$TOP_SRCDIR/${cmd%% *}" ] || bad="$bad [$cmd]" ;;
	"bash "*) [ -f "$TOP_SRCDIR/${cmd#bash }" ] || bad="$bad [$cmd]" ;;
	make | apt-get*) ;;
	*) bad="$bad [unchecked: $cmd]" ;;
	esac
done <"$T/build-cmds"
t_is "$bad" "" "every build command of the README names a make target, script or file that exists"
run tmo sh "$TOP_SRCDIR/docs/demo.sh"
t_like "$st:$out" "^0:program: LISTEN_FDS=2 LISTEN_FDNAMES=greeting.txt:stdout" "make demo's relay runs and shows what the program got"

# ---- docs/security.md cites tests that exist --------------------------------

# Every "description" cited after a `tests/FILE` in docs/security.md is one
# that FILE can print: some string of it produces the description when its
# $VARIABLES and printf %conversions stand for anything.
awk '{
	line = $0
	while (match(line, /`tests\/[^`]+`|"[^"]+"/)) {
		tok = substr(line, RSTART, RLENGTH)
		line = substr(line, RSTART + RLENGTH)
		if (tok ~ /^`/)
			file = substr(tok, 2, length(tok) - 2)
		else if (file != "")
			print file "\t" substr(tok, 2, length(tok) - 2)
	}
	if ($0 !~ /^\|/)
		file = ""
}' "$TOP_SRCDIR/docs/security.md" >"$T/cited"
uncited=$(awk -v top="$TOP_SRCDIR" '
# The string as a regular expression, or "" when it is mostly placeholders.
function pattern(str,   out, i, c, lit) {
	gsub(/\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_0-9]+|%[-0-9.]*[a-z]+/, "\001", str)
	lit = str
	gsub(/\001/, "", lit)
	if (length(lit) < 12)
		return ""
	out = ""
	for (i = 1; i <= length(str); i++) {
		c = substr(str, i, 1)
		if (c == "\001")
			out = out ".*"
		else if (index("\\^$.[]|()*+?{}", c))
			out = out "\\" c
		else
			out = out c
	}
	return "^" out "$"
}
function load(file,   text, line, s) {
	if (file in loaded)
		return
	loaded[file] = 1
	text = ""
	while ((getline line < (top "/" file)) > 0)
		text = text "\n" line
	close(top "/" file)
	# C string literals continued on the next line are one string.
	gsub(/"[ \t]*\n[ \t]*"/, "", text)
	while (match(text, /"([^"\\\n]|\\.)*"/)) {
		s = substr(text, RSTART + 1, RLENGTH - 2)
		text = substr(text, RSTART + RLENGTH)
		gsub(/\\"/, "\"", s)
		if ((s = pattern(s)) != "")
			pats[file, ++npat[file]] = s
	}
}
BEGIN { FS = "\t" }
{
	load($1)
	found = 0
	for (k = 1; k <= npat[$1] && !found; k++)
		found = $2 ~ pats[$1, k]
	if (!found)
		printf "%s: \"%s\"; ", $1, $2
}' "$T/cited")
t_is "$uncited" "" "every test docs/security.md cites ($(wc -l <"$T/cited") of them) is one its file can print"

# ---- bash completion ---------------------------------------------------------

# comp WORD...: what completing the last WORD offers, sorted, space-separated.
comp() {
	(cd "$T/comp" && bash -c '. "$1" || exit 1; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
		_fdrelay
		for w in "${COMPREPLY[@]}"; do printf "%s\n" "$w"; done' _ "$COMP" "$@") |
	    sort | tr '\n' ' '
}

if ! command -v bash >/dev/null 2>&1; then
	t_skip "bash not installed" "the bash completion loads and completes"
else
	mkdir "$T/comp"
	: >"$T/comp/alpha.txt"
	: >"$T/comp/alpine.sock"
	run bash -c '. "$1" && complete -p fdrelay' _ "$COMP"
	t_is "$st:$out$err" "0:complete -F _fdrelay fdrelay" \
	    "the completion loads in bash without a message and registers _fdrelay for fdrelay"
	t_is "$(comp fdrelay '')" "--help --version describe drop exec fetch help hold list listen recv send store " \
	    "fdrelay <TAB> offers the ten subcommands, help, --help and --version"
	t_is "$(comp fdrelay help '')" "describe drop exec fetch hold list listen recv send store " \
	    "fdrelay help <TAB> offers the subcommands"
	t_is "$(comp fdrelay send --st)" "--stderr --stdin --stdio --stdout " \
	    "fdrelay send --st<TAB> offers --stdin --stdout --stderr --stdio"
	t_is "$(comp fdrelay send --read alp)" "alpha.txt alpine.sock " \
	    "fdrelay send --read <TAB> completes file names"
	t_is "$(comp fdrelay send --read = alph)" "alpha.txt " \
	    "fdrelay send --read=<TAB> completes file names"
	t_is "$(comp fdrelay send alpi)" "alpine.sock " \
	    "fdrelay send <TAB> completes the SOCKET as a file name"
	t_is "$(comp fdrelay send --fd '')" "" \
	    "fdrelay send --fd <TAB> leaves the number to the user"
	t_like "$(comp fdrelay listen -t 5 alpine.sock s)" "(^| )sh " \
	    "fdrelay listen SOCKET <TAB> completes PROGRAM as a command"
	t_like "$(comp fdrelay listen --inherit s)" "(^| )sh " \
	    "fdrelay listen --inherit <TAB> completes PROGRAM as a command"
	t_like "$(comp fdrelay exec -l tcp:127.0.0.1:80 alpha.txt -- s)" "(^| )sh " \
	    "fdrelay exec ... -- <TAB> completes PROGRAM as a command"
	t_is "$(comp fdrelay exec alp)" "alpha.txt alpine.sock " \
	    "fdrelay exec <TAB> before -- completes FILEs"
	t_like "$(comp fdrelay fetch alpine.sock web -- s)" "(^| )sh " \
	    "fdrelay fetch SOCKET NAME -- <TAB> completes PROGRAM as a command"
	t_is "$(comp fdrelay hold --notify alp)" "alpha.txt alpine.sock " \
	    "fdrelay hold --notify <TAB> completes file names"
	t_like "$(comp fdrelay exec --grab "$$:")" "^$$:0 " \
	    "fdrelay exec --grab PID:<TAB> offers that process's descriptors"
	t_is "$(comp fdrelay listen alp)" "alpha.txt alpine.sock " \
	    "fdrelay listen <TAB> completes the SOCKET as a file name, not a command"
	t_like "$(comp fdrelay describe --pid "$$")" "(^| )$$ " \
	    "fdrelay describe --pid <TAB> offers running pids"
	t_like "$(comp fdrelay listen --allow-uid = root,ro)" "^root,root " \
	    "fdrelay listen --allow-uid=a,<TAB> completes the last user of the list"
	for sub in $SUBS; do
		comp fdrelay "$sub" - | tr ' ' '\n' | sed '/^$/d' | sort -u >"$T/comp-$sub"
		t_is "$(comm -3 "$T/help-$sub" "$T/comp-$sub" | tr -d '\t' | tr '\n' ' ')" "" \
		    "fdrelay $sub -<TAB> offers exactly the options fdrelay $sub --help lists"
	done
fi

# ---- versions ------------------------------------------------------------------

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$TESTS_BUILDDIR/../config.h" 2>/dev/null)
if [ -z "$version" ]; then
	t_skip "no config.h in $TESTS_BUILDDIR/.." "fdrelay --version prints configure's version"
	version=$("$FDRELAY" --version | sed 's/^fdrelay //')
else
	t_is "$("$FDRELAY" --version)" "fdrelay $version" "fdrelay --version prints configure's version"
fi
for sub in $SUBS; do
	t_is "$("$FDRELAY" "$sub" --version)" "fdrelay $version" "fdrelay $sub --version prints the same version"
done
t_is "$(sed -n 's/^\.Os //p' "$MAN")" "fdrelay $version" "fdrelay(1)'s .Os names this version"
t_is "$(grep -o 'fdrelay [0-9][0-9.]*[0-9]' "$MAN" | sort -u | tr '\n' ' ')" "fdrelay $version " \
    "every version fdrelay(1) mentions is this one"

t_done
