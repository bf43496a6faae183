/* fuzz-request.c - libFuzzer harness for the holder's payloads (src/proto.c). */
/*
 * Build and run (from the source tree, config.h from a configured build dir):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I/work/main/src \
 *       -I/tmp/b0 tests/fuzz/fuzz-request.c src/proto.c -o /tmp/fuzz-request
 *   /tmp/fuzz-request -max_total_time=120 tests/fuzz/corpus-request
 *
 * The raw bytes go to proto_request_unpack, proto_held_unpack and, with n
 * from the first byte, proto_entries_unpack.  Whatever parses must be valid
 * (known op and flags, names only on FETCH and DROP, valid names, poll 0 or
 * 1, a printable address) and packed again must give the same bytes, and
 * the packers must say EMSGSIZE one byte short of that.  The other way
 * round, the bytes are also read as the fields of a REQUEST, a HELD and an
 * entry: whatever of those packs must unpack to the same fields.  abort()
 * otherwise.
 *
 * The seeds in tests/fuzz/corpus-request are written by this file's
 * generator, with the pack functions:
 *   cc -DFUZZ_REQUEST_SEEDS -I src -I /tmp/b0 tests/fuzz/fuzz-request.c \
 *       src/proto.c -o /tmp/gen-request && /tmp/gen-request tests/fuzz/corpus-request
 */
#include "config.h"

#include <errno.h>
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

static char store[PROTO_MAX_PAYLOAD];
static unsigned char again[PROTO_REQUEST_LEN + PROTO_MAX_PAYLOAD];
static struct proto_entry ents[256];

/* A REQUEST payload: valid when it parses, the same bytes when packed again. */
static void fuzz_request(const uint8_t *in, size_t len)
{
	char *names[PROTO_MAX_FDS];
	struct proto_request r;
	ssize_t plen;

	if (proto_request_unpack(in, len, &r, store, sizeof(store), names) != 0) {
		check(errno == EPROTO || errno == EMSGSIZE);
		return;
	}
	check(len >= PROTO_REQUEST_LEN && len - PROTO_REQUEST_LEN <= sizeof(store));
	check(r.op >= PROTO_OP_STORE && r.op <= PROTO_OP_TAKEOVER && !(r.flags & ~PROTO_R_ALL));
	check(!(r.flags & PROTO_R_TAKE) || r.op == PROTO_OP_FETCH);
	check(!(r.flags & (PROTO_R_REPLACE | PROTO_R_NOPOLL)) || r.op == PROTO_OP_STORE);
	check(r.nnames <= PROTO_MAX_FDS && (r.nnames == 0 || r.op == PROTO_OP_FETCH || r.op == PROTO_OP_DROP));
	check(r.nnames > 0 || len == PROTO_REQUEST_LEN);
	for (size_t i = 0; i < r.nnames; i++)
		check(proto_name_valid(names[i]));
	plen = proto_request_pack(again, len, &r, (const char *const *)names);
	check(plen >= 0 && (size_t)plen == len && memcmp(again, in, len) == 0);
	errno = 0;
	check(proto_request_pack(again, len - 1, &r, (const char *const *)names) == -1 && errno == EMSGSIZE);
	/* The names need exactly the payload's length past the fixed part in store. */
	if (r.nnames > 0) {
		struct proto_request t;

		check(proto_request_unpack(in, len, &t, store, len - PROTO_REQUEST_LEN, names) == 0);
		errno = 0;
		check(proto_request_unpack(in, len, &t, store, len - PROTO_REQUEST_LEN - 1, names) == -1 &&
		    errno == EMSGSIZE);
	}
}

/* n entries: valid when they parse, the same bytes when packed again one after another. */
static void fuzz_entries(const uint8_t *in, size_t len, size_t n)
{
	size_t off = 0;
	ssize_t k = 0;

	if (len > sizeof(again))
		return;
	if (proto_entries_unpack(in, len, n, ents) != 0) {
		check(errno == EPROTO);
		return;
	}
	check(len >= (PROTO_ENTRY_LEN + 1) * n && len <= (PROTO_ENTRY_LEN + PROTO_NAME_MAX) * n);
	for (size_t i = 0; i < n; i++) {
		check(proto_name_valid(ents[i].name) && ents[i].poll <= 1);
		k = proto_entry_pack(again + off, len - off, &ents[i]);
		check(k == (ssize_t)(PROTO_ENTRY_LEN + strlen(ents[i].name)));
		off += (size_t)k;
	}
	check(off == len && memcmp(again, in, len) == 0);
	if (n > 0) {
		/* The last entry one byte short: start a new frame. */
		errno = 0;
		check(proto_entry_pack(again, (size_t)k - 1, &ents[n - 1]) == -1 && errno == EMSGSIZE);
	}
}

/* A HELD payload: printable address, the same bytes when packed again. */
static void fuzz_held(const uint8_t *in, size_t len)
{
	static struct proto_held h;
	ssize_t plen;

	if (proto_held_unpack(in, len, &h) != 0) {
		check(errno == EPROTO);
		return;
	}
	check(len >= 8 && len <= 8 + PROTO_ADDR_MAX && strlen(h.addr) == len - 8);
	for (size_t i = 0; h.addr[i] != '\0'; i++)
		check(h.addr[i] >= 0x20 && h.addr[i] <= 0x7e);
	plen = proto_held_pack(again, len, &h);
	check(plen >= 0 && (size_t)plen == len && memcmp(again, in, len) == 0);
	errno = 0;
	check(proto_held_pack(again, len - 1, &h) == -1 && errno == EMSGSIZE);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/*
 * The other way: the bytes as fields and names (split at '\n').  Whatever
 * packs unpacks to the same fields and names.
 */
static void fuzz_pack(const uint8_t *data, size_t size)
{
	static char text[PROTO_MAX_PAYLOAD + 1];
	static unsigned char out[PROTO_REQUEST_LEN + PROTO_MAX_PAYLOAD];
	static struct proto_held hin, hout;
	const char *names[PROTO_MAX_FDS] = { NULL };	/* past n: NULL, an invalid name */
	char *got[PROTO_MAX_FDS];
	struct proto_request r, t;
	struct proto_entry e;
	size_t n = 0, tlen;
	ssize_t len;

	if (size < 24)
		return;
	r.op = data[0];
	r.flags = data[1];
	r.owner = get32(data + 2);
	r.ttl_ms = get64(data + 6);
	r.max = get32(data + 14);
	tlen = size - 22 < PROTO_MAX_PAYLOAD ? size - 22 : PROTO_MAX_PAYLOAD;
	memcpy(text, data + 22, tlen);
	text[tlen] = '\0';
	for (char *s = text; n < PROTO_MAX_FDS; n++) {
		char *nl = strchr(s, '\n');

		names[n] = s;
		if (nl == NULL) {
			n++;
			break;
		}
		*nl = '\0';
		s = nl + 1;
	}
	r.nnames = data[18] & 1 ? (uint16_t)n : data[19];
	len = proto_request_pack(out, sizeof(out), &r, names);
	if (len >= 0) {
		check(proto_request_unpack(out, (size_t)len, &t, store, sizeof(store), got) == 0);
		check(t.op == r.op && t.flags == r.flags && t.owner == r.owner && t.ttl_ms == r.ttl_ms &&
		    t.max == r.max && t.nnames == r.nnames);
		for (size_t i = 0; i < r.nnames; i++)
			check(strcmp(got[i], names[i]) == 0);
	} else {
		check(errno == EINVAL || errno == EMSGSIZE);
	}

	memset(&e, 0, sizeof(e));
	strncpy(e.name, names[0], PROTO_NAME_MAX);
	e.owner = r.owner;
	e.age_ms = r.ttl_ms;
	e.left_ms = data[18] & 2 ? PROTO_NO_EXPIRY : get64(data + 14);
	e.poll = data[1] & 3;
	len = proto_entry_pack(out, sizeof(out), &e);
	if (len >= 0) {
		check(proto_entries_unpack(out, (size_t)len, 1, ents) == 0);
		check(strcmp(ents[0].name, e.name) == 0 && ents[0].owner == e.owner &&
		    ents[0].age_ms == e.age_ms && ents[0].left_ms == e.left_ms && ents[0].poll == e.poll);
	} else {
		check(errno == EINVAL);
	}

	hin.count = r.owner;
	hin.room = r.max;
	tlen = strlen(text) < PROTO_ADDR_MAX ? strlen(text) : PROTO_ADDR_MAX;
	memcpy(hin.addr, text, tlen);
	hin.addr[tlen] = '\0';
	len = proto_held_pack(out, sizeof(out), &hin);
	if (len >= 0) {
		check(proto_held_unpack(out, (size_t)len, &hout) == 0);
		check(hout.count == hin.count && hout.room == hin.room && strcmp(hout.addr, hin.addr) == 0);
	} else {
		check(errno == EINVAL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_request(data, size);
	fuzz_held(data, size);
	if (size >= 1)
		fuzz_entries(data + 1, size - 1, data[0]);
	fuzz_pack(data, size);
	return 0;
}

#ifdef FUZZ_REQUEST_SEEDS
/* The seed generator: realistic payloads, written with the pack functions. */
#include <stdio.h>

static const char *seed_dir;

static void seed(const char *name, const unsigned char *p, ssize_t len)
{
	char path[4096];
	FILE *f;

	if (len < 0) {
		perror(name);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	LLVMFuzzerTestOneInput(p, (size_t)len);
	printf("%s: %zd bytes\n", path, len);
}

/* Checks that a seed parses as what it is meant to be. */
static void seed_parses(const char *name, int ok)
{
	if (!ok) {
		fprintf(stderr, "%s: the seed does not parse\n", name);
		exit(1);
	}
}

static void seed_request(const char *name, struct proto_request r, const char *const *names)
{
	static unsigned char b[PROTO_REQUEST_LEN + PROTO_MAX_PAYLOAD];

	static char names_store[PROTO_MAX_PAYLOAD];
	char *got[PROTO_MAX_FDS];
	struct proto_request t;
	ssize_t len = proto_request_pack(b, sizeof(b), &r, names);

	seed(name, b, len);
	seed_parses(name, proto_request_unpack(b, (size_t)len, &t, names_store, sizeof(names_store), got) == 0);
}

int main(int argc, char **argv)
{
	static unsigned char b[1 + PROTO_MAX_PAYLOAD];
	static const char *many[PROTO_MAX_FDS];
	static char manybuf[PROTO_MAX_FDS][8];
	const char *two[] = { "web", "db" }, *one[] = { "web" };
	struct proto_entry e[3] = {
		{ .name = "web", .owner = 0, .age_ms = 2, .left_ms = PROTO_NO_EXPIRY, .poll = 1 },
		{ .name = "stdout", .owner = 1000, .age_ms = 12345, .left_ms = 87655, .poll = 0 },
		{ .name = "a-long.name with spaces~", .owner = 65534, .age_ms = 0, .left_ms = 0, .poll = 1 },
	};
	struct proto_held h = { .count = 3, .room = 4093, .addr = "@fdrelay-notify" };
	size_t len = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
		return 2;
	}
	seed_dir = argv[1];
	seed_request("request-store-ttl-nopoll", (struct proto_request){ .op = PROTO_OP_STORE,
	    .flags = PROTO_R_NOPOLL | PROTO_R_REPLACE, .owner = PROTO_OWNER_SELF, .ttl_ms = 30000 }, NULL);
	seed_request("request-fetch-take-2", (struct proto_request){ .op = PROTO_OP_FETCH,
	    .flags = PROTO_R_TAKE, .owner = PROTO_OWNER_SELF, .nnames = 2 }, two);
	seed_request("request-drop-owner", (struct proto_request){ .op = PROTO_OP_DROP,
	    .owner = 1000, .nnames = 1 }, one);
	seed_request("request-list", (struct proto_request){ .op = PROTO_OP_LIST,
	    .owner = PROTO_OWNER_SELF }, NULL);
	seed_request("request-takeover", (struct proto_request){ .op = PROTO_OP_TAKEOVER,
	    .owner = PROTO_OWNER_SELF, .max = 4096 }, NULL);
	for (size_t i = 0; i < PROTO_MAX_FDS; i++) {
		snprintf(manybuf[i], sizeof(manybuf[i]), "n%zu", i);
		many[i] = manybuf[i];
	}
	seed_request("request-fetch-253", (struct proto_request){ .op = PROTO_OP_FETCH,
	    .owner = PROTO_OWNER_SELF, .nnames = PROTO_MAX_FDS }, many);
	seed("held-notify", b, proto_held_pack(b, sizeof(b), &h));
	seed_parses("held-notify", proto_held_unpack(b, 8 + strlen(h.addr), &h) == 0);
	h = (struct proto_held){ .count = 0, .room = 4096, .addr = "" };
	seed("held-empty", b, proto_held_pack(b, sizeof(b), &h));
	seed_parses("held-empty", proto_held_unpack(b, 8, &h) == 0);
	/* ENTRIES: the count first, as the harness reads it. */
	b[0] = 3;
	for (size_t i = 0; i < 3; i++) {
		ssize_t k = proto_entry_pack(b + len, sizeof(b) - len, &e[i]);

		if (k < 0) {
			perror("entries");
			return 1;
		}
		len += (size_t)k;
	}
	seed("entries-3", b, (ssize_t)len);
	seed_parses("entries-3", proto_entries_unpack(b + 1, len - 1, 3, ents) == 0);
	return 0;
}
#endif
