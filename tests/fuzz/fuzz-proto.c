/* fuzz-proto.c - libFuzzer harness for fdrelay's frame parsing (src/proto.c). */
/*
 * Build and run (from the source tree, config.h from a configured build dir):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I/work/main/src \
 *       -I/tmp/build-proto tests/fuzz/fuzz-proto.c src/proto.c -o /tmp/fuzz-proto
 *   /tmp/fuzz-proto -max_total_time=120 tests/fuzz/corpus-proto
 *
 * Every parser gets the raw bytes; whatever parses is packed again and must
 * give back the same bytes (abort otherwise), and parsed names must be valid.
 * A header that parses must obey its type's rules (check_hdr), the holder's
 * REQUEST, HELD and ENTRIES included; tests/fuzz/fuzz-request.c fuzzes those
 * three payloads on their own.
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

/* REQUEST: whatever unpacks packs back to the same bytes, names valid. */
static void fuzz_request(const uint8_t *in, size_t len)
{
	static char store[PROTO_MAX_PAYLOAD];
	static unsigned char again[PROTO_REQUEST_LEN + PROTO_MAX_PAYLOAD];
	char *names[PROTO_MAX_FDS];
	struct proto_request r;
	ssize_t plen;

	if (proto_request_unpack(in, len, &r, store, sizeof(store), names) != 0)
		return;
	check(r.nnames <= PROTO_MAX_FDS && (r.nnames == 0 || r.op == PROTO_OP_FETCH || r.op == PROTO_OP_DROP));
	for (size_t i = 0; i < r.nnames; i++)
		check(proto_name_valid(names[i]));
	plen = proto_request_pack(again, len, &r, (const char *const *)names);
	check(plen >= 0 && (size_t)plen == len && memcmp(again, in, len) == 0);
}

/* ENTRIES of n entries: each unpacked entry packs back to its bytes. */
static void fuzz_entries(const uint8_t *in, size_t len, size_t n)
{
	static struct proto_entry e[PROTO_MAX_FDS];
	static unsigned char again[PROTO_MAX_PAYLOAD];
	size_t off = 0;

	if (n > PROTO_MAX_FDS || proto_entries_unpack(in, len, n, e) != 0)
		return;
	check(len <= sizeof(again));
	for (size_t i = 0; i < n; i++) {
		ssize_t k = proto_entry_pack(again + off, len - off, &e[i]);

		check(k > PROTO_ENTRY_LEN && proto_name_valid(e[i].name) && e[i].poll <= 1);
		off += (size_t)k;
	}
	check(off == len && memcmp(again, in, len) == 0);
}

/* HELD: the address is printable and the whole packs back to the same bytes. */
static void fuzz_held(const uint8_t *in, size_t len)
{
	static struct proto_held h;
	static unsigned char again[8 + PROTO_ADDR_MAX];
	ssize_t plen;

	if (proto_held_unpack(in, len, &h) != 0)
		return;
	check(len >= 8 && strlen(h.addr) == len - 8);
	plen = proto_held_pack(again, sizeof(again), &h);
	check(plen >= 0 && (size_t)plen == len && memcmp(again, in, len) == 0);
}

/*
 * The header rules of every type: which flags, how many descriptors and
 * how many payload bytes.  A type not listed here must not parse.
 */
static void check_hdr(const struct proto_hdr *h)
{
	switch (h->type) {
	case PROTO_OFFER:
		check(!(h->flags & ~(PROTO_F_WAIT | PROTO_F_MORE)) && h->nfds <= PROTO_MAX_FDS);
		check(h->nfds > 0 || !(h->flags & PROTO_F_MORE));
		check(h->len >= 2u * h->nfds && h->len <= 256u * h->nfds);
		break;
	case PROTO_ACK:
	case PROTO_REFUSE:
	case PROTO_STATUS:
	case PROTO_SIGNAL:
		check(h->flags == 0 && h->nfds == 0);
		check(h->len == (h->type == PROTO_ACK ? 4 : h->type == PROTO_STATUS ? 2 : 1));
		break;
	case PROTO_ERROR:
		check(h->flags == 0 && h->nfds == 0 && h->len <= PROTO_ERROR_MAX);
		break;
	case PROTO_REQUEST:
		check(h->flags == 0 && h->nfds == 0);
		check(h->len >= PROTO_REQUEST_LEN &&
		    h->len <= PROTO_REQUEST_LEN + (1u + PROTO_NAME_MAX) * PROTO_MAX_FDS);
		break;
	case PROTO_HELD:
		/* A take-over's HELD carries the listening and the notify socket. */
		check(h->flags == 0 && h->nfds <= 2);
		check(h->len >= 8 && h->len <= 8 + PROTO_ADDR_MAX);
		break;
	case PROTO_ENTRIES:
		check(!(h->flags & ~PROTO_F_MORE) && h->nfds >= 1 && h->nfds <= PROTO_MAX_FDS);
		check(h->len >= (PROTO_ENTRY_LEN + 1u) * h->nfds);
		break;
	default:
		check(0);
	}
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
	check_hdr(&h);
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
	case PROTO_REQUEST:
		fuzz_request(p, h.len);
		break;
	case PROTO_HELD:
		fuzz_held(p, h.len);
		break;
	case PROTO_ENTRIES:
		/* One entry per descriptor. */
		fuzz_entries(p, h.len, h.nfds);
		break;
	default:
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
