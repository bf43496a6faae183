/* proto.c - fdrelay's wire framing: pure building and parsing, no sockets. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "proto.h"

/*
 * Signal numbers travel in Linux numbering (docs/protocol.md), so a sender
 * on one system and a listener on another agree.  This table maps the
 * local numbers to the wire; a signal missing from it travels as its local
 * number.  Only the first four are accepted in a SIGNAL frame.
 */
static const struct {
	int local;
	unsigned char wire;
} proto_sigmap[] = {
	{ SIGHUP, PROTO_SIG_HUP },
	{ SIGINT, PROTO_SIG_INT },
	{ SIGQUIT, PROTO_SIG_QUIT },
	{ SIGTERM, PROTO_SIG_TERM },
	{ SIGILL, 4 },
	{ SIGTRAP, 5 },
	{ SIGABRT, 6 },
	{ SIGBUS, 7 },
	{ SIGFPE, 8 },
	{ SIGKILL, 9 },
	{ SIGUSR1, 10 },
	{ SIGSEGV, 11 },
	{ SIGUSR2, 12 },
	{ SIGPIPE, 13 },
	{ SIGALRM, 14 },
	{ SIGCHLD, 17 },
	{ SIGCONT, 18 },
	{ SIGSTOP, 19 },
	{ SIGTSTP, 20 },
	{ SIGTTIN, 21 },
	{ SIGTTOU, 22 },
	{ SIGURG, 23 },
	{ SIGXCPU, 24 },
	{ SIGXFSZ, 25 },
	{ SIGVTALRM, 26 },
	{ SIGPROF, 27 },
	{ SIGWINCH, 28 },
	{ SIGSYS, 31 },
};
#define PROTO_NSIGMAP (sizeof(proto_sigmap) / sizeof(proto_sigmap[0]))
#define PROTO_NFORWARD 4	/* the first entries: signals a sender may forward */

/* The wire number for local signal signo (itself when unmapped). */
static int proto_sig_to_wire(int signo)
{
	size_t i;

	for (i = 0; i < PROTO_NSIGMAP; i++)
		if (proto_sigmap[i].local == signo)
			return proto_sigmap[i].wire;
	return signo;
}

/* The local number for wire signal w (itself when unmapped). */
static int proto_sig_from_wire(int w)
{
	size_t i;

	for (i = 0; i < PROTO_NSIGMAP; i++)
		if (proto_sigmap[i].wire == w)
			return proto_sigmap[i].local;
	return w;
}

static int proto_printable(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e;
}

static int proto_name_char(unsigned char c)
{
	return proto_printable(c) && c != ':';
}

static void proto_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static uint16_t proto_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int proto_fail(int e)
{
	errno = e;
	return -1;
}

void proto_hdr_pack(unsigned char out[PROTO_HDR_LEN], const struct proto_hdr *h)
{
	out[0] = PROTO_MAGIC;
	out[1] = PROTO_VERSION;
	out[2] = h->type;
	out[3] = h->flags;
	proto_put16(out + 4, h->nfds);
	proto_put16(out + 6, h->len);
}

/*
 * The checks are ordered so that garbage is EPROTO, and only a frame that
 * looks like fdrelay's (right magic) but carries another version is
 * EPROTONOSUPPORT: the peer then gets a version-1 ERROR frame.
 */
int proto_hdr_unpack(const unsigned char in[PROTO_HDR_LEN], struct proto_hdr *h)
{
	struct proto_hdr t;
	unsigned int minlen = 0, maxlen = 0;

	if (in[0] != PROTO_MAGIC)
		return proto_fail(EPROTO);
	if (in[1] != PROTO_VERSION)
		return proto_fail(EPROTONOSUPPORT);
	t.type = in[2];
	t.flags = in[3];
	t.nfds = proto_get16(in + 4);
	t.len = proto_get16(in + 6);

	switch (t.type) {
	case PROTO_OFFER:
		if (t.flags & ~(PROTO_F_WAIT | PROTO_F_MORE))
			return proto_fail(EPROTO);
		if (t.nfds > PROTO_MAX_FDS)
			return proto_fail(EPROTO);
		/* An empty OFFER is only valid as a sender's sole OFFER. */
		if (t.nfds == 0 && (t.flags & PROTO_F_MORE))
			return proto_fail(EPROTO);
		/* Every name takes a length byte and 1..255 bytes. */
		minlen = 2u * t.nfds;
		maxlen = (1u + PROTO_NAME_MAX) * t.nfds;
		break;
	case PROTO_ACK:
		minlen = maxlen = 4;
		break;
	case PROTO_REFUSE:
	case PROTO_SIGNAL:
		minlen = maxlen = 1;
		break;
	case PROTO_STATUS:
		minlen = maxlen = 2;
		break;
	case PROTO_ERROR:
		minlen = 0;
		maxlen = PROTO_ERROR_MAX;
		break;
	case PROTO_REQUEST:
		minlen = PROTO_REQUEST_LEN;
		maxlen = PROTO_REQUEST_LEN + (1u + PROTO_NAME_MAX) * PROTO_MAX_FDS;
		break;
	case PROTO_HELD:
		/* A take-over hands over the listening and the notify socket. */
		if (t.flags != 0 || t.nfds > 2)
			return proto_fail(EPROTO);
		minlen = 8;
		maxlen = 8 + PROTO_ADDR_MAX;
		break;
	case PROTO_ENTRIES:
		if (t.flags & ~PROTO_F_MORE || t.nfds == 0 || t.nfds > PROTO_MAX_FDS)
			return proto_fail(EPROTO);
		minlen = (PROTO_ENTRY_LEN + 1u) * t.nfds;
		maxlen = (PROTO_ENTRY_LEN + PROTO_NAME_MAX) * t.nfds;
		if (maxlen > PROTO_MAX_PAYLOAD)
			maxlen = PROTO_MAX_PAYLOAD;
		break;
	default:
		return proto_fail(EPROTO);
	}
	if (t.type != PROTO_OFFER && t.type != PROTO_HELD && t.type != PROTO_ENTRIES &&
	    (t.flags != 0 || t.nfds != 0))
		return proto_fail(EPROTO);
	if (t.len < minlen || t.len > maxlen)
		return proto_fail(EPROTO);
	*h = t;
	return 0;
}

int proto_name_valid(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= PROTO_NAME_MAX || !proto_name_char((unsigned char)name[i]))
			return 0;
	return i > 0;
}

ssize_t proto_names_pack(unsigned char *out, size_t cap, const char *const *names, size_t n)
{
	size_t i, len, need = 0;

	if (n > PROTO_MAX_FDS || (n > 0 && names == NULL))
		return proto_fail(EINVAL);
	for (i = 0; i < n; i++) {
		if (!proto_name_valid(names[i]))
			return proto_fail(EINVAL);
		need += 1 + strlen(names[i]);
	}
	if (need > cap)
		return proto_fail(EMSGSIZE);
	need = 0;
	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		out[need] = (unsigned char)len;
		memcpy(out + need + 1, names[i], len);
		need += 1 + len;
	}
	return (ssize_t)need;
}

/*
 * Validates the whole payload before writing anything, so on failure
 * store and names are untouched.  Valid names need exactly len bytes of
 * store (each length byte becomes a NUL).
 */
int proto_names_unpack(const unsigned char *in, size_t len, size_t n,
    char *store, size_t storecap, char **names)
{
	size_t i, j, off, l;

	if (n > PROTO_MAX_FDS || len > PROTO_MAX_PAYLOAD)
		return proto_fail(EPROTO);
	for (i = 0, off = 0; i < n; i++) {
		if (off >= len)
			return proto_fail(EPROTO);	/* missing length byte */
		l = in[off++];
		if (l == 0 || l > len - off)
			return proto_fail(EPROTO);
		for (j = 0; j < l; j++)
			if (!proto_name_char(in[off + j]))
				return proto_fail(EPROTO);
		off += l;
	}
	if (off != len)
		return proto_fail(EPROTO);	/* trailing bytes */
	if (len > storecap)
		return proto_fail(EMSGSIZE);
	for (i = 0, off = 0; i < n; i++) {
		l = in[off];
		memcpy(store + off, in + off + 1, l);
		store[off + l] = '\0';
		names[i] = store + off;
		off += 1 + l;
	}
	return 0;
}

size_t proto_ack_pack(unsigned char out[4], uint32_t count)
{
	out[0] = (unsigned char)(count >> 24);
	out[1] = (unsigned char)(count >> 16);
	out[2] = (unsigned char)(count >> 8);
	out[3] = (unsigned char)count;
	return 4;
}

int proto_ack_unpack(const unsigned char *in, size_t len, uint32_t *count)
{
	if (len != 4)
		return proto_fail(EPROTO);
	*count = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
	    (uint32_t)in[2] << 8 | (uint32_t)in[3];
	return 0;
}

size_t proto_refuse_pack(unsigned char out[1], enum proto_refusal why)
{
	if (why != PROTO_REFUSE_POLICY && why != PROTO_REFUSE_TOO_MANY) {
		errno = EINVAL;
		return 0;
	}
	out[0] = (unsigned char)why;
	return 1;
}

int proto_refuse_unpack(const unsigned char *in, size_t len, enum proto_refusal *why)
{
	if (len != 1)
		return proto_fail(EPROTO);
	if (in[0] != PROTO_REFUSE_POLICY && in[0] != PROTO_REFUSE_TOO_MANY)
		return proto_fail(EPROTO);
	*why = (enum proto_refusal)in[0];
	return 0;
}

/* how is PROTO_STATUS_EXITED with a code 0..255, or _SIGNALED with a local signal number. */
size_t proto_status_pack(unsigned char out[2], int how, int value)
{
	int w;

	if (how == PROTO_STATUS_EXITED && value >= 0 && value <= 255) {
		w = value;
	} else if (how == PROTO_STATUS_SIGNALED && value > 0) {
		w = proto_sig_to_wire(value);
		if (w > 255) {
			errno = EINVAL;
			return 0;
		}
	} else {
		errno = EINVAL;
		return 0;
	}
	out[0] = (unsigned char)how;
	out[1] = (unsigned char)w;
	return 2;
}

int proto_status_unpack(const unsigned char *in, size_t len, int *how, int *value)
{
	if (len != 2)
		return proto_fail(EPROTO);
	if (in[0] == PROTO_STATUS_EXITED) {
		*value = in[1];
	} else if (in[0] == PROTO_STATUS_SIGNALED && in[1] != 0 && in[1] < 128) {
		/* 128 + N must still be an exit status. */
		*value = proto_sig_from_wire(in[1]);
	} else {
		return proto_fail(EPROTO);
	}
	*how = in[0];
	return 0;
}

size_t proto_signal_pack(unsigned char out[1], int signo)
{
	size_t i;

	for (i = 0; i < PROTO_NFORWARD; i++) {
		if (proto_sigmap[i].local == signo) {
			out[0] = proto_sigmap[i].wire;
			return 1;
		}
	}
	errno = EINVAL;
	return 0;
}

int proto_signal_unpack(const unsigned char *in, size_t len, int *signo)
{
	size_t i;

	if (len != 1)
		return proto_fail(EPROTO);
	for (i = 0; i < PROTO_NFORWARD; i++) {
		if (proto_sigmap[i].wire == in[0]) {
			*signo = proto_sigmap[i].local;
			return 0;
		}
	}
	return proto_fail(EPROTO);
}

/*
 * Copies text, unprintable bytes made '?', truncated to cap and to
 * PROTO_ERROR_MAX bytes (an error message cut short beats none).
 * Returns the length; no NUL goes on the wire.
 */
size_t proto_error_pack(unsigned char *out, size_t cap, const char *text)
{
	size_t i;

	if (text == NULL)
		return 0;
	if (cap > PROTO_ERROR_MAX)
		cap = PROTO_ERROR_MAX;
	for (i = 0; i < cap && text[i] != '\0'; i++)
		out[i] = proto_printable((unsigned char)text[i]) ? (unsigned char)text[i] : '?';
	return i;
}

int proto_error_unpack(const unsigned char *in, size_t len, char *out, size_t cap)
{
	size_t i;

	if (len > PROTO_ERROR_MAX)
		return proto_fail(EPROTO);
	if (cap == 0)
		return proto_fail(EINVAL);
	for (i = 0; i < len && i < cap - 1; i++)
		out[i] = proto_printable(in[i]) ? (char)in[i] : '?';
	out[i] = '\0';
	return 0;
}

/* ---- The holder's frames ------------------------------------------------ */

static void proto_put32(unsigned char *p, uint32_t v)
{
	proto_put16(p, (uint16_t)(v >> 16));
	proto_put16(p + 2, (uint16_t)v);
}

static uint32_t proto_get32(const unsigned char *p)
{
	return (uint32_t)proto_get16(p) << 16 | proto_get16(p + 2);
}

static void proto_put64(unsigned char *p, uint64_t v)
{
	proto_put32(p, (uint32_t)(v >> 32));
	proto_put32(p + 4, (uint32_t)v);
}

static uint64_t proto_get64(const unsigned char *p)
{
	return (uint64_t)proto_get32(p) << 32 | proto_get32(p + 4);
}

static int proto_request_valid(const struct proto_request *r)
{
	int allowed = r->op == PROTO_OP_STORE ? PROTO_R_REPLACE | PROTO_R_NOPOLL :
	    r->op == PROTO_OP_FETCH ? PROTO_R_TAKE : 0;

	return r->op >= PROTO_OP_STORE && r->op <= PROTO_OP_TAKEOVER && !(r->flags & ~allowed) &&
	    r->nnames <= PROTO_MAX_FDS &&
	    (r->nnames == 0 || r->op == PROTO_OP_FETCH || r->op == PROTO_OP_DROP);
}

ssize_t proto_request_pack(unsigned char *out, size_t cap, const struct proto_request *r,
    const char *const *names)
{
	ssize_t n;

	if (!proto_request_valid(r))
		return proto_fail(EINVAL);
	if (cap < PROTO_REQUEST_LEN)
		return proto_fail(EMSGSIZE);
	if ((n = proto_names_pack(out + PROTO_REQUEST_LEN, cap - PROTO_REQUEST_LEN, names, r->nnames)) == -1)
		return -1;
	out[0] = r->op;
	out[1] = r->flags;
	proto_put32(out + 2, r->owner);
	proto_put64(out + 6, r->ttl_ms);
	proto_put32(out + 14, r->max);
	proto_put16(out + 18, r->nnames);
	return PROTO_REQUEST_LEN + n;
}

int proto_request_unpack(const unsigned char *in, size_t len, struct proto_request *r,
    char *store, size_t storecap, char **names)
{
	struct proto_request t;

	if (len < PROTO_REQUEST_LEN)
		return proto_fail(EPROTO);
	t.op = in[0];
	t.flags = in[1];
	t.owner = proto_get32(in + 2);
	t.ttl_ms = proto_get64(in + 6);
	t.max = proto_get32(in + 14);
	t.nnames = proto_get16(in + 18);
	if (!proto_request_valid(&t))
		return proto_fail(EPROTO);
	if (proto_names_unpack(in + PROTO_REQUEST_LEN, len - PROTO_REQUEST_LEN, t.nnames, store, storecap,
	    names) == -1)
		return -1;
	*r = t;
	return 0;
}

ssize_t proto_entry_pack(unsigned char *out, size_t cap, const struct proto_entry *e)
{
	size_t l;

	if (!proto_name_valid(e->name) || e->poll > 1)
		return proto_fail(EINVAL);
	l = strlen(e->name);
	if (cap < PROTO_ENTRY_LEN + l)
		return proto_fail(EMSGSIZE);
	out[0] = (unsigned char)l;
	memcpy(out + 1, e->name, l);
	out += 1 + l;
	proto_put32(out, e->owner);
	proto_put64(out + 4, e->age_ms);
	proto_put64(out + 12, e->left_ms);
	out[20] = e->poll;
	return (ssize_t)(PROTO_ENTRY_LEN + l);
}

int proto_entries_unpack(const unsigned char *in, size_t len, size_t n, struct proto_entry *e)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l;

		if (off >= len)
			return proto_fail(EPROTO);
		l = in[off];
		if (l == 0 || len - off < PROTO_ENTRY_LEN + l)
			return proto_fail(EPROTO);
		for (size_t j = 0; j < l; j++)
			if (!proto_name_char(in[off + 1 + j]))
				return proto_fail(EPROTO);
		memcpy(e[i].name, in + off + 1, l);
		e[i].name[l] = '\0';
		off += 1 + l;
		e[i].owner = proto_get32(in + off);
		e[i].age_ms = proto_get64(in + off + 4);
		e[i].left_ms = proto_get64(in + off + 12);
		e[i].poll = in[off + 20];
		if (e[i].poll > 1)
			return proto_fail(EPROTO);
		off += PROTO_ENTRY_LEN - 1;
	}
	return off == len ? 0 : proto_fail(EPROTO);
}

ssize_t proto_held_pack(unsigned char *out, size_t cap, const struct proto_held *h)
{
	size_t l = strlen(h->addr);

	if (l > PROTO_ADDR_MAX)
		return proto_fail(EINVAL);
	for (size_t i = 0; i < l; i++)
		if (!proto_printable((unsigned char)h->addr[i]))
			return proto_fail(EINVAL);
	if (cap < 8 + l)
		return proto_fail(EMSGSIZE);
	proto_put32(out, h->count);
	proto_put32(out + 4, h->room);
	memcpy(out + 8, h->addr, l);
	return (ssize_t)(8 + l);
}

int proto_held_unpack(const unsigned char *in, size_t len, struct proto_held *h)
{
	if (len < 8 || len > 8 + PROTO_ADDR_MAX)
		return proto_fail(EPROTO);
	for (size_t i = 8; i < len; i++)
		if (!proto_printable(in[i]))
			return proto_fail(EPROTO);
	h->count = proto_get32(in);
	h->room = proto_get32(in + 4);
	memcpy(h->addr, in + 8, len - 8);
	h->addr[len - 8] = '\0';
	return 0;
}
