/* fuzz-proto.c - libFuzzer harness for fdrelay's frame parsing (src/proto.c). */
/*
 * Build and run (from the source tree, config.h from a configured build dir):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I/work/main/src \
 *       -I/tmp/build-proto tests/fuzz/fuzz-proto.c src/proto.c -o /tmp/fuzz-proto
 *   /tmp/fuzz-proto -max_total_time=120 tests/fuzz/corpus-proto
 *
 * Every parser gets the raw bytes; whatever parses is packed again and must
 * give back the same bytes (abort otherwise), and parsed names must be valid.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

/* Names: unpack n from in, then pack them back and compare. */
static void fuzz_names(const uint8_t *in, size_t len, size_t n, size_t storecap)
{
	static char store[PROTO_MAX_PAYLOAD + PROTO_MAX_FDS];
	char *names[PROTO_MAX_FDS];
	unsigned char *again;
	ssize_t plen;
	size_t i;

	if (storecap > sizeof(store))
		storecap = sizeof(store);
	if (proto_names_unpack(in, len, n, store, storecap, names) != 0)
		return;
	check(n <= PROTO_MAX_FDS && len <= storecap);
	for (i = 0; i < n; i++)
		check(proto_name_valid(names[i]));
	again = malloc(len + 1);
	check(again != NULL);
	plen = proto_names_pack(again, len, (const char *const *)names, n);
	check(plen >= 0 && (size_t)plen == len && memcmp(again, in, len) == 0);
	free(again);
}

/* ERROR text: unpacking makes it printable; repacking gives that back. */
static void fuzz_error(const uint8_t *in, size_t len)
{
	char text[PROTO_ERROR_MAX + 1];
	unsigned char again[PROTO_ERROR_MAX];
	size_t i, n;

	if (proto_error_unpack(in, len, text, sizeof(text)) != 0) {
		check(len > PROTO_ERROR_MAX);
		return;
	}
	check(strlen(text) <= len);
	for (i = 0; text[i] != '\0'; i++)
		check(text[i] >= 0x20 && text[i] <= 0x7e);
	n = proto_error_pack(again, sizeof(again), text);
	check(n == strlen(text) && memcmp(again, text, n) == 0);
	/* Text without NUL or unprintable bytes survives unchanged. */
	for (i = 0; i < len && in[i] >= 0x20 && in[i] <= 0x7e; i++)
		;
	if (i == len)
		check(n == len && memcmp(again, in, len) == 0);
}

/* The fixed payloads: whatever unpacks must pack to the same bytes. */
static void fuzz_fixed(const uint8_t *in, size_t len)
{
	unsigned char again[4];
	uint32_t count;
	enum proto_refusal why;
	int how, value, signo;

	if (proto_ack_unpack(in, len, &count) == 0)
		check(proto_ack_pack(again, count) == 4 && memcmp(again, in, 4) == 0);
	if (proto_refuse_unpack(in, len, &why) == 0)
		check(proto_refuse_pack(again, why) == 1 && again[0] == in[0]);
	if (proto_status_unpack(in, len, &how, &value) == 0)
		check(proto_status_pack(again, how, value) == 2 && memcmp(again, in, 2) == 0);
	if (proto_signal_unpack(in, len, &signo) == 0)
		check(proto_signal_pack(again, signo) == 1 && again[0] == in[0]);
}

/* A whole frame: header, then the payload its type calls for. */
static void fuzz_frame(const uint8_t *data, size_t size)
{
	struct proto_hdr h;
	unsigned char again[PROTO_HDR_LEN];
	const uint8_t *p;

	if (size < PROTO_HDR_LEN || proto_hdr_unpack(data, &h) != 0)
		return;
	proto_hdr_pack(again, &h);
	check(memcmp(again, data, PROTO_HDR_LEN) == 0);
	check(h.nfds <= PROTO_MAX_FDS);
	check(h.type == PROTO_OFFER || (h.nfds == 0 && h.flags == 0));
	if (size - PROTO_HDR_LEN < h.len)
		return;
	p = data + PROTO_HDR_LEN;
	switch (h.type) {
	case PROTO_OFFER:
		fuzz_names(p, h.len, h.nfds, (size_t)h.len + h.nfds);
		break;
	case PROTO_ERROR:
		fuzz_error(p, h.len);
		break;
	default:
		check(h.len <= 4);
		fuzz_fixed(p, h.len);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_frame(data, size);
	if (size >= 2) {
		/* n and the store's size from the data, then raw names. */
		fuzz_names(data + 2, size - 2, data[0], (size_t)data[1] * 64);
	}
	fuzz_error(data, size);
	fuzz_fixed(data, size);
	return 0;
}
