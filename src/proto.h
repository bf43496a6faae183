/* proto.h - fdrelay's wire framing: pure building and parsing, no sockets. */
#ifndef FDRELAY_PROTO_H
#define FDRELAY_PROTO_H

/*
 * Convention: functions return -1 and set errno on failure (EPROTO for a
 * malformed frame, EPROTONOSUPPORT for another protocol version, EMSGSIZE
 * for no room), or a count (>= 0) on success.  Nothing here touches a
 * socket or a descriptor, so all of it can be fuzzed.  docs/protocol.md is
 * the specification.
 *
 * A frame is an 8-byte header and up to 65535 payload bytes:
 *   0  magic 0xFD      1  version (1)     2  type     3  flags
 *   4  nfds (u16, big-endian, <= 253)     6  payload length (u16, big-endian)
 * Descriptors, when nfds > 0, ride the first byte of the header.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTO_MAGIC 0xFD
#define PROTO_VERSION 1
#define PROTO_HDR_LEN 8
#define PROTO_MAX_PAYLOAD 65535
#define PROTO_MAX_FDS 253	/* per frame: the kernel's SCM_MAX_FD */
#define PROTO_NAME_MAX 255	/* LISTEN_FDNAMES: 1..255 printable, no ':' */
#define PROTO_ERROR_MAX 1024	/* bytes of text in an ERROR frame */

enum proto_type {
	PROTO_OFFER = 1,	/* sender: descriptors and their names */
	PROTO_ACK,		/* listener: u32 descriptors installed */
	PROTO_REFUSE,		/* listener: u8 reason */
	PROTO_ERROR,		/* listener: text */
	PROTO_STATUS,		/* listener: u8 how (0 exit, 1 signal), u8 value */
	PROTO_SIGNAL,		/* sender: u8 signal number to forward */
	PROTO_REQUEST,		/* holder client: what it asks (struct proto_request) */
	PROTO_HELD,		/* holder: how many entries follow, room, notify address */
	PROTO_ENTRIES		/* holder: held descriptors and their metadata */
};

/* OFFER flags. */
#define PROTO_F_WAIT 0x01	/* run the program and report its status */
#define PROTO_F_MORE 0x02	/* another OFFER frame follows */

/* REFUSE reasons. */
enum proto_refusal {
	PROTO_REFUSE_POLICY = 1,	/* uid/gid not allowed */
	PROTO_REFUSE_TOO_MANY = 2	/* more descriptors than --max-fds */
};

/* STATUS kinds. */
#define PROTO_STATUS_EXITED 0
#define PROTO_STATUS_SIGNALED 1

/* Signal numbers on the wire are Linux's; proto.c maps them to local ones. */
#define PROTO_SIG_HUP 1
#define PROTO_SIG_INT 2
#define PROTO_SIG_QUIT 3
#define PROTO_SIG_TERM 15

/* ---- The descriptor holder's frames (docs/protocol.md, "The holder") ---- */

enum proto_op {
	PROTO_OP_STORE = 1,	/* OFFER frames follow; answer ACK */
	PROTO_OP_FETCH,		/* answer HELD, ENTRIES...; the client ACKs; answer ACK */
	PROTO_OP_DROP,		/* answer ACK (descriptors dropped) */
	PROTO_OP_LIST,		/* answer HELD, ENTRIES... */
	PROTO_OP_TAKEOVER	/* answer HELD (its sockets), ENTRIES...; the new holder ACKs */
};

/* REQUEST flags. */
#define PROTO_R_TAKE 0x01	/* FETCH: remove what is fetched (on the client's ACK) */
#define PROTO_R_REPLACE 0x02	/* STORE: first drop the caller's entries under these names */
#define PROTO_R_NOPOLL 0x04	/* STORE: keep through hangups */
#define PROTO_R_ALL (PROTO_R_TAKE | PROTO_R_REPLACE | PROTO_R_NOPOLL)

#define PROTO_OWNER_SELF 0xffffffffu	/* the caller's own entries (LIST by root: everyone's) */
#define PROTO_NO_EXPIRY 0xffffffffffffffffull
#define PROTO_REQUEST_LEN 20	/* fixed part of a REQUEST */
#define PROTO_ENTRY_LEN 22	/* fixed part of one entry */
#define PROTO_ADDR_MAX 4095	/* a notify socket address in HELD */

struct proto_request {
	uint8_t op, flags;
	uint32_t owner;		/* PROTO_OWNER_SELF, or a uid (root only) */
	uint64_t ttl_ms;	/* STORE: 0 for none */
	uint32_t max;		/* TAKEOVER: the new holder's --max-fds */
	uint16_t nnames;	/* FETCH, DROP: names (<= PROTO_MAX_FDS) follow */
};

/* One held descriptor's metadata, as ENTRIES carries it. */
struct proto_entry {
	char name[PROTO_NAME_MAX + 1];
	uint32_t owner;
	uint64_t age_ms;
	uint64_t left_ms;	/* PROTO_NO_EXPIRY when it never expires */
	uint8_t poll;		/* 1: dropped on hangup */
};

struct proto_held {
	uint32_t count;		/* entries that follow in ENTRIES frames */
	uint32_t room;		/* descriptors the holder can still take */
	char addr[PROTO_ADDR_MAX + 1];	/* its notify socket ("" for none) */
};

struct proto_hdr {
	uint8_t type;
	uint8_t flags;
	uint16_t nfds;
	uint16_t len;
};

/* Writes the 8 header bytes for h (version PROTO_VERSION). */
void proto_hdr_pack(unsigned char out[PROTO_HDR_LEN], const struct proto_hdr *h);

/*
 * Parses and validates a header: magic, version (EPROTONOSUPPORT), known
 * type, flags and nfds allowed for that type, payload length within that
 * type's limit.  Returns 0 or -1 with errno.
 */
int proto_hdr_unpack(const unsigned char in[PROTO_HDR_LEN], struct proto_hdr *h);

/* 1 if name is 1..255 printable ASCII characters without ':', else 0. */
int proto_name_valid(const char *name);

/*
 * OFFER payload: n names, each a length byte and that many bytes.  Packs
 * into out (cap bytes); returns the length, or -1 with EINVAL for an
 * invalid name or EMSGSIZE.
 */
ssize_t proto_names_pack(unsigned char *out, size_t cap, const char *const *names, size_t n);

/*
 * Parses exactly n names from an OFFER payload of len bytes into store
 * (NUL-terminated copies, storecap >= len + n bytes suffices) and sets
 * names[i] to point into it.  Every name must be valid and the payload
 * must hold nothing else.  Returns 0 or -1 with EPROTO (or EMSGSIZE).
 */
int proto_names_unpack(const unsigned char *in, size_t len, size_t n,
    char *store, size_t storecap, char **names);

/*
 * Fixed payloads: pack returns the length written (0 with EINVAL for a
 * value that has no encoding); unpack checks len and value (EPROTO).
 */
size_t proto_ack_pack(unsigned char out[4], uint32_t count);
int proto_ack_unpack(const unsigned char *in, size_t len, uint32_t *count);
size_t proto_refuse_pack(unsigned char out[1], enum proto_refusal why);
int proto_refuse_unpack(const unsigned char *in, size_t len, enum proto_refusal *why);
size_t proto_status_pack(unsigned char out[2], int how, int value);
int proto_status_unpack(const unsigned char *in, size_t len, int *how, int *value);
size_t proto_signal_pack(unsigned char out[1], int signo);
/* Only SIGINT, SIGTERM, SIGHUP and SIGQUIT are accepted. */
int proto_signal_unpack(const unsigned char *in, size_t len, int *signo);

/*
 * ERROR payload: printable text.  Unpack copies at most cap-1 bytes into
 * out, replacing anything unprintable with '?', and NUL-terminates.
 */
size_t proto_error_pack(unsigned char *out, size_t cap, const char *text);
int proto_error_unpack(const unsigned char *in, size_t len, char *out, size_t cap);

/*
 * REQUEST: the fixed part and r->nnames names.  Pack returns the length
 * (EINVAL for an unknown op, flags or an invalid name; EMSGSIZE).  Unpack
 * checks every field and that the names fill the payload exactly; the
 * names go into store and names as proto_names_unpack() puts them.
 */
ssize_t proto_request_pack(unsigned char *out, size_t cap, const struct proto_request *r,
    const char *const *names);
int proto_request_unpack(const unsigned char *in, size_t len, struct proto_request *r,
    char *store, size_t storecap, char **names);

/*
 * One entry of an ENTRIES payload: pack appends e at out (cap bytes left)
 * and returns its length, or -1 with EMSGSIZE (start a new frame) or
 * EINVAL (invalid name, poll not 0 or 1).  Unpack reads exactly n entries
 * filling len bytes (EPROTO otherwise).
 */
ssize_t proto_entry_pack(unsigned char *out, size_t cap, const struct proto_entry *e);
int proto_entries_unpack(const unsigned char *in, size_t len, size_t n, struct proto_entry *e);

/* HELD: u32 count, u32 room, the printable address (at most PROTO_ADDR_MAX bytes). */
ssize_t proto_held_pack(unsigned char *out, size_t cap, const struct proto_held *h);
int proto_held_unpack(const unsigned char *in, size_t len, struct proto_held *h);

#endif
