/* fuzz-notify.c - libFuzzer harness for the notify message parser (src/notify.c). */
/*
 * Build and run (from the source tree, config.h from a configured build dir):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I/work/main/src \
 *       -I/tmp/b0 tests/fuzz/fuzz-notify.c src/notify.c src/proto.c -o /tmp/fuzz-notify
 *   /tmp/fuzz-notify -max_total_time=120 tests/fuzz/corpus-notify
 *
 * The raw bytes are parsed with several sizes of why.  A message that
 * parses must describe what the holder can act on (a valid name, fdpoll 0
 * or 1, no removal without a name); one that does not must explain itself
 * in printable ASCII within whylen.  abort() otherwise.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char why_full[512];

static void check(int cond)
{
	if (!cond)
		abort();
}

/*
 * An oracle for UTF-8 written another way than notify.c's: decode each
 * code point, then refuse the overlong, the surrogate and the too large.
 */
static int utf8_valid(const uint8_t *p, size_t n)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t i = 0, len, k;
	uint32_t cp;

	while (i < n) {
		len = p[i] < 0x80 ? 1 : (p[i] & 0xE0) == 0xC0 ? 2 : (p[i] & 0xF0) == 0xE0 ? 3 :
		    (p[i] & 0xF8) == 0xF0 ? 4 : 0;
		if (len == 0 || n - i < len)
			return 0;
		cp = len == 1 ? p[i] : p[i] & (0x7F >> len);
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

/*
 * One parse with whylen bytes for why; ref, when not NULL, is why from a
 * parse with room for all of it, which this one's why must begin.
 */
static int fuzz_one(const uint8_t *data, size_t size, size_t whylen, const char *ref)
{
	static const char guard = '#';
	struct notify_msg m, before;
	char why[512];
	size_t i;
	int r;

	memset(why, guard, sizeof(why));
	memset(&m, 0x5A, sizeof(m));
	memcpy(&before, &m, sizeof(m));
	errno = 0;
	r = notify_parse((const char *)data, size, &m, why, whylen);
	/* Nothing past whylen is written, whatever the outcome. */
	for (i = whylen; i < sizeof(why); i++)
		check(why[i] == guard);
	if (r == 0) {
		check(proto_name_valid(m.name));
		check(m.fdpoll == 0 || m.fdpoll == 1);
		check(m.fdstore == 0 || m.fdstore == 1);
		check(m.fdstoreremove == 0 || m.fdstoreremove == 1);
		check(m.name_given == 0 || m.name_given == 1);
		check(!m.fdstoreremove || m.name_given);
		check(m.name_given || strcmp(m.name, "stored") == 0);
		check(m.nassign >= 1 && m.nassign <= size / 2);
		check(size > 0 && memchr(data, '\0', size) == NULL && utf8_valid(data, size));
		return r;
	}
	check(r == -1 && errno == EINVAL);
	check(memcmp(&m, &before, sizeof(m)) == 0);
	/* A message refused for its bytes must really hold a bad one. */
	if (ref == NULL && (strncmp(why, "invalid UTF-8", 13) == 0 || strncmp(why, "NUL at", 6) == 0))
		check(memchr(data, '\0', size) != NULL || !utf8_valid(data, size));
	if (whylen == 0)
		return r;
	for (i = 0; i < whylen && why[i] != '\0'; i++)
		check(why[i] >= 0x20 && why[i] <= 0x7e);
	check(i < whylen);
	if (ref != NULL)
		check(strncmp(why, ref, i) == 0);
	else
		memcpy(why_full, why, i + 1);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t whylens[] = { 0, 1, 5, 64, 300 };
	size_t i;
	int r;

	/* The outcome never depends on the room for why. */
	why_full[0] = '\0';
	r = fuzz_one(data, size, sizeof(why_full), NULL);
	for (i = 0; i < sizeof(whylens) / sizeof(whylens[0]); i++)
		check(fuzz_one(data, size, whylens[i], why_full) == r);
	return 0;
}
