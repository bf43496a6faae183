#!/bin/sh
# run.sh - build every libFuzzer harness in tests/fuzz and run each for a bounded time.
#
# Usage: tests/fuzz/run.sh [HARNESS...]      (default: every tests/fuzz/fuzz-*.c)
# Environment:
#   FUZZ_SECONDS  seconds per harness (default 60)
#   BUILD_DIR     a configured build directory holding config.h (default: .)
#   TOP_SRCDIR    the source tree (default: two levels above this script)
#   FUZZ_OUT      where binaries, corpora, logs and crashes go
#                 (default: $BUILD_DIR/fuzz-out)
#   CLANG         the compiler (default: clang)
#   FUZZ_FLAGS    extra libFuzzer flags (e.g. -max_total_time is set already)
#
# Each harness is linked with the whole core (src/ancil.c, src/proto.c,
# src/sock.c), the unix socket table's parser (src/unixdiag.c) and the
# notify message parser (src/notify.c), and run on a copy of
# tests/fuzz/corpus-NAME, so the checked-in seeds never change.  Prints
# executions, coverage and corpus size per harness; exits 1 if any harness
# crashed (the input is saved and named), 0 with a SKIP message when clang
# or libFuzzer is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${TOP_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${BUILD_DIR:=.}"
: "${FUZZ_SECONDS:=60}"
: "${CLANG:=clang}"
: "${FUZZ_FLAGS:=}"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd) || exit 1
: "${FUZZ_OUT:=$BUILD_DIR/fuzz-out}"

case $FUZZ_SECONDS in
'' | *[!0-9]*)
	echo "fuzz: FUZZ_SECONDS must be a whole number of seconds, not '$FUZZ_SECONDS'" >&2
	exit 2
	;;
esac
if [ ! -f "$BUILD_DIR/config.h" ]; then
	echo "fuzz: no config.h in $BUILD_DIR (set BUILD_DIR to a configured build directory)" >&2
	exit 2
fi
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz: SKIP: $CLANG not found (install clang to fuzz)"
	exit 0
fi
mkdir -p "$FUZZ_OUT" || exit 1

# libFuzzer ships with clang's runtime on some systems only.
probe=$FUZZ_OUT/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! "$CLANG" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >"$probe.log" 2>&1; then
	echo "fuzz: SKIP: $CLANG cannot build with -fsanitize=fuzzer,address,undefined (libFuzzer missing?):"
	sed 's/^/fuzz:   /' "$probe.log" | head -5
	exit 0
fi

if [ $# -eq 0 ]; then
	for f in "$here"/fuzz-*.c; do
		[ -f "$f" ] || continue
		n=${f##*/}
		set -- "$@" "${n%.c}"
	done
fi

core="$TOP_SRCDIR/src/ancil.c $TOP_SRCDIR/src/proto.c $TOP_SRCDIR/src/sock.c $TOP_SRCDIR/src/unixdiag.c $TOP_SRCDIR/src/notify.c"
failed=0
for name in "$@"; do
	name=${name%.c}
	src=$here/$name.c
	seeds=$here/corpus-${name#fuzz-}
	bin=$FUZZ_OUT/$name
	corpus=$FUZZ_OUT/corpus-${name#fuzz-}
	log=$FUZZ_OUT/$name.log
	if [ ! -f "$src" ]; then
		echo "fuzz: $name: no such harness ($src)" >&2
		failed=1
		continue
	fi
	# shellcheck disable=SC2086  # $core is a list of paths without spaces
	if ! "$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -I "$TOP_SRCDIR/src" -I "$BUILD_DIR" \
	    "$src" $core -o "$bin"; then
		echo "fuzz: $name: build failed" >&2
		failed=1
		continue
	fi
	rm -rf "$corpus"
	mkdir -p "$corpus"
	if [ -d "$seeds" ]; then
		cp "$seeds"/* "$corpus"/ 2>/dev/null
	fi
	nseeds=$(find "$corpus" -type f | wc -l)
	echo "fuzz: $name: $FUZZ_SECONDS s on $nseeds seeds"
	# shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
	"$bin" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
	    -artifact_prefix="$FUZZ_OUT/$name-" $FUZZ_FLAGS "$corpus" >"$log" 2>&1
	rc=$?
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	echo "fuzz: $name: ${execs:-?} executions (${rate:-?}/s); last status: ${last:-none}"
	echo "fuzz: $name: corpus $(find "$corpus" -type f | wc -l) inputs in $corpus"
	if [ "$rc" -ne 0 ]; then
		failed=1
		echo "fuzz: $name: CRASH (exit $rc); log $log" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$log" | head -n 10 >&2
		echo "fuzz: reproduce with: $bin CRASH-FILE; minimise with: $bin -minimize_crash=1 -runs=100000 CRASH-FILE" >&2
	fi
done
exit "$failed"
