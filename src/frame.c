/* frame.c - fdrelay frames (proto.h) over a connected socket, with deadlines. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "ancil.h"
#include "frame.h"

long long frame_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long frame_deadline(int ms)
{
	return ms < 0 ? 0 : frame_now() + ms;
}

/*
 * The connection as a checked channel: whoever set c up made or checked
 * the socket (sock_connect, accept on a checked listener), so no call here
 * asks the kernel again what it is.
 */
static struct ancil_chan frame_chan(const struct frame_conn *c)
{
	return (struct ancil_chan){ .sock = c->sock, .type = c->type };
}

/* Milliseconds left before the deadline (-1: none; 0: passed). */
static int frame_left(const struct frame_conn *c)
{
	long long left;

	if (!c->deadline)
		return -1;
	left = c->deadline - frame_now();
	return left <= 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left;
}

int frame_wait(struct frame_conn *c)
{
	struct pollfd p = { .fd = c->sock, .events = POLLIN };
	int r;

	for (;;) {
		int left = frame_left(c);

		if (left == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
	}
}

int frame_send(struct frame_conn *c, int type, int flags, const void *payload, size_t len,
    const int *fds, size_t nfds)
{
	unsigned char buf[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD];
	struct proto_hdr h = { .type = type, .flags = flags, .nfds = nfds, .len = len };
	struct ancil_chan ch;

	if (len > PROTO_MAX_PAYLOAD || nfds > PROTO_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	proto_hdr_pack(buf, &h);
	if (len)
		memcpy(buf + PROTO_HDR_LEN, payload, len);
	if (c->deadline) {
		/* A blocking send gives up with EAGAIN when SO_SNDTIMEO runs out. */
		int left = frame_left(c);
		struct timeval tv = { .tv_sec = left / 1000, .tv_usec = left % 1000 * 1000 + 1 };

		if (left == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		(void)setsockopt(c->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	ch = frame_chan(c);
	if (ancil_chan_send(&ch, buf, PROTO_HDR_LEN + len, fds, nfds, NULL) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}

/*
 * One non-blocking receive on c, waiting (poll) only when nothing is
 * there yet: a frame's payload comes with its header, so most reads need
 * no wait.  A deadline that has passed is ETIMEDOUT even when bytes are
 * waiting.  A packet longer than the buffer is EPROTO (a malformed frame),
 * not the core's EMSGSIZE, which stays for descriptors the kernel cut.
 * Returns what ancil_chan_recv returns.  (Blocking in recvmsg when there
 * is no deadline saves the EAGAIN and the poll but measured 10-15 % slower
 * per round trip: docs/performance.md.)
 */
static ssize_t frame_recv_some(struct frame_conn *c, void *buf, size_t len, struct ancil_rx *rx)
{
	struct ancil_chan ch = frame_chan(c);

	for (;;) {
		ssize_t n;

		if (c->deadline && frame_left(c) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rx->keep_truncated = c->trunc != NULL;
		n = ancil_chan_recv(&ch, buf, len, rx, MSG_DONTWAIT);
		if (n >= 0 && rx->truncated)
			c->trunc->flags |= rx->truncated;
		if (n >= 0)
			return n;
		if (errno == EMSGSIZE && rx->truncated == ANCIL_TRUNC_DATA)
			errno = EPROTO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (frame_wait(c) == -1)
			return -1;
	}
}

/*
 * On a stream socket: reads exactly len bytes of the current frame into
 * buf, adding the descriptors that come with them to
 * fds[*nfds..PROTO_MAX_FDS).  Returns 0, or -1 (ECONNRESET at end of
 * file, EPROTO for too many descriptors, ENOMSG when buf starts a header
 * whose first byte is not the magic: a peer that does not speak fdrelay,
 * told at its first byte rather than after 8).  *got counts bytes read, so
 * that the caller can tell a clean end of file.
 */
static int frame_read(struct frame_conn *c, unsigned char *buf, size_t len, int is_hdr, int *fds,
    size_t *nfds, size_t *got)
{
	size_t off = 0;

	while (off < len) {
		struct ancil_rx rx = { .fds = fds + *nfds, .maxfds = PROTO_MAX_FDS - *nfds };
		ssize_t n = frame_recv_some(c, buf + off, len - off, &rx);

		if (n == -1)
			return -1;
		*nfds += rx.nfds;
		if (rx.nsurplus) {
			errno = EPROTO;
			return -1;
		}
		if (n == 0 && rx.nfds == 0) {
			errno = ECONNRESET;
			return -1;
		}
		off += (size_t)n;
		*got += (size_t)n;
		if (is_hdr && off > 0 && buf[0] != PROTO_MAGIC) {
			errno = ENOMSG;
			return -1;
		}
	}
	return 0;
}

/*
 * Whether the frame of header h, whose nfds descriptors have arrived, lost
 * some on the way and the caller wants them (c->trunc): then it says how
 * many, and errno is EMSGSIZE.
 */
static int frame_cut(struct frame_conn *c, const struct proto_hdr *h, size_t nfds)
{
	if (!c->trunc || !c->trunc->flags)
		return 0;
	c->trunc->arrived = nfds;
	c->trunc->sent = h->nfds;
	c->trunc->more = !!(h->flags & PROTO_F_MORE);
	errno = EMSGSIZE;
	return 1;
}

/* A SOCK_SEQPACKET frame: one packet.  See frame_recv_max. */
static int frame_recv_packet(struct frame_conn *c, struct proto_hdr *h, unsigned char *payload,
    int *fds, size_t maxfds)
{
	unsigned char buf[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD];
	struct ancil_rx rx = { .fds = fds, .maxfds = PROTO_MAX_FDS };
	ssize_t n = frame_recv_some(c, buf, sizeof(buf), &rx);

	if (n == -1)
		return -1;
	if (n == 0 && rx.nfds == 0)
		return 0;
	errno = ENOMSG;
	if (n > 0 && buf[0] != PROTO_MAGIC)
		goto fail;
	errno = EPROTO;
	if ((size_t)n < PROTO_HDR_LEN || rx.nsurplus)
		goto fail;
	if (proto_hdr_unpack(buf, h) == -1)
		goto fail;
	errno = E2BIG;
	if (h->nfds > maxfds)
		goto fail;
	errno = EPROTO;
	if ((size_t)n != PROTO_HDR_LEN + (size_t)h->len)
		goto fail;
	memcpy(payload, buf + PROTO_HDR_LEN, h->len);
	if (frame_cut(c, h, rx.nfds))
		return -1;
	errno = EPROTO;
	if (rx.nfds != h->nfds)
		goto fail;
	return 1;
fail:
	ancil_close_fds(fds, rx.nfds);
	return -1;
}

/*
 * frame_recv, refusing (E2BIG, every descriptor received closed) a frame
 * whose header declares more than maxfds descriptors before its payload
 * is read.
 */
static int frame_recv_max(struct frame_conn *c, struct proto_hdr *h, unsigned char *payload,
    int *fds, size_t maxfds)
{
	unsigned char hdr[PROTO_HDR_LEN];
	size_t nfds = 0, got = 0;

	if (c->trunc)
		c->trunc->flags = 0;
	if (c->type == SOCK_SEQPACKET)
		return frame_recv_packet(c, h, payload, fds, maxfds);
	if (frame_read(c, hdr, sizeof(hdr), 1, fds, &nfds, &got) == -1) {
		if (errno == ECONNRESET && got == 0 && nfds == 0)
			return 0;
		goto fail;
	}
	if (proto_hdr_unpack(hdr, h) == -1)
		goto fail;
	errno = E2BIG;
	if (h->nfds > maxfds)
		goto fail;
	errno = EPROTO;
	if (nfds > h->nfds)
		goto fail;
	if (frame_read(c, payload, h->len, 0, fds, &nfds, &got) == -1)
		goto fail;
	if (frame_cut(c, h, nfds))
		return -1;
	errno = EPROTO;
	if (nfds != h->nfds)
		goto fail;
	return 1;
fail:
	ancil_close_fds(fds, nfds);
	return -1;
}

int frame_recv(struct frame_conn *c, struct proto_hdr *h, unsigned char *payload, int *fds)
{
	return frame_recv_max(c, h, payload, fds, PROTO_MAX_FDS);
}

/* ---- Batches: any number of descriptors, in OFFER frames --------------- */

int frame_batch_add(struct frame_batch *b, int fd, const char *name)
{
	char *copy = strdup(name);

	if (copy && b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		int *fds = realloc(b->fds, cap * sizeof(*fds));
		char **names = fds ? realloc(b->names, cap * sizeof(*names)) : NULL;

		if (fds)
			b->fds = fds;
		if (names)
			b->names = names;
		if (!fds || !names) {
			free(copy);
			copy = NULL;
		} else {
			b->cap = cap;
		}
	}
	if (!copy) {
		ancil_close_fds(&fd, 1);
		errno = ENOMEM;
		return -1;
	}
	b->fds[b->n] = fd;
	b->names[b->n++] = copy;
	return 0;
}

void frame_batch_free(struct frame_batch *b)
{
	ancil_close_fds(b->fds, b->n);
	for (size_t i = 0; i < b->n; i++)
		free(b->names[i]);
	free(b->fds);
	free(b->names);
	memset(b, 0, sizeof(*b));
}

int frame_send_offer(struct frame_conn *c, int flags, const int *fds, char *const *names, size_t n)
{
	size_t i = 0;

	do {
		unsigned char payload[PROTO_MAX_PAYLOAD];
		size_t k = n - i > PROTO_MAX_FDS ? PROTO_MAX_FDS : n - i;
		ssize_t len = proto_names_pack(payload, sizeof(payload), (const char *const *)names + i, k);

		if (len == -1 || frame_send(c, PROTO_OFFER, flags | (i + k < n ? PROTO_F_MORE : 0),
		    payload, (size_t)len, fds + i, k) == -1)
			return -1;
		i += k;
	} while (i < n);
	return 0;
}

/*
 * Adds the first nfds descriptors of one received OFFER (all of them,
 * unless the kernel cut some) and their names to b; closes them on failure.
 */
static int batch_take(struct frame_batch *b, const struct proto_hdr *h, const unsigned char *payload,
    int *fds, size_t nfds)
{
	char store[PROTO_MAX_PAYLOAD];
	char *names[PROTO_MAX_FDS];

	if (proto_names_unpack(payload, h->len, h->nfds, store, sizeof(store), names) == -1) {
		ancil_close_fds(fds, nfds);
		errno = EPROTO;
		return -1;
	}
	for (size_t i = 0; i < nfds; i++)
		if (frame_batch_add(b, fds[i], names[i]) == -1) {
			ancil_close_fds(fds + i + 1, nfds - i - 1);
			return -1;
		}
	return 0;
}

/*
 * An OFFER that lost descriptors: what did arrive joins b, and c->trunc
 * counts the whole batch.  Returns 0, or batch_take's -1.
 */
static int batch_cut(struct frame_conn *c, struct frame_batch *b, const struct proto_hdr *h,
    const unsigned char *payload, int *fds)
{
	size_t before = b->n;

	if (batch_take(b, h, payload, fds, c->trunc->arrived) == -1)
		return -1;
	c->trunc->arrived += before;
	c->trunc->sent += before;
	return 0;
}

int frame_recv_offer(struct frame_conn *c, struct frame_batch *b, size_t max, int *flags)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	int fds[PROTO_MAX_FDS], first = 1, r;
	struct proto_hdr h;

	do {
		size_t room = max > b->n ? max - b->n : 0;

		r = frame_recv_max(c, &h, payload, fds, room < PROTO_MAX_FDS ? room : PROTO_MAX_FDS);
		if (r == -1 && errno == EMSGSIZE && c->trunc && c->trunc->flags) {
			/* Descriptors lost on the way: what arrived stays in b for the caller. */
			if (h.type != PROTO_OFFER) {
				ancil_close_fds(fds, c->trunc->arrived);
				errno = EPROTO;
				goto fail;
			}
			if (batch_cut(c, b, &h, payload, fds) == -1)
				goto fail;
			errno = EMSGSIZE;
			return -1;
		}
		if (r == 0 && first)
			return 0;
		if (r == 0)
			errno = ECONNRESET;
		if (r != 1)
			goto fail;
		/* After an OFFER with MORE, every OFFER carries descriptors, and the same WAIT. */
		if (h.type != PROTO_OFFER || (!first && (h.nfds == 0 ||
		    (h.flags & PROTO_F_WAIT) != (*flags & PROTO_F_WAIT)))) {
			ancil_close_fds(fds, h.nfds);
			errno = EPROTO;
			goto fail;
		}
		if (batch_take(b, &h, payload, fds, h.nfds) == -1)
			goto fail;
		*flags = h.flags & ~PROTO_F_MORE;
		first = 0;
	} while (h.flags & PROTO_F_MORE);
	return 1;
fail:
	frame_batch_free(b);
	return -1;
}

/* ---- Without blocking -------------------------------------------------- */

void frame_rx_reset(struct frame_rx *rx)
{
	unsigned char *payload = rx->payload;

	ancil_close_fds(rx->fds, rx->nfds);
	memset(rx, 0, offsetof(struct frame_rx, fds));
	rx->payload = payload;
	rx->nfds = 0;
	rx->got = 0;
}

/*
 * Never reads past the current frame, so the descriptors that arrive
 * belong to it (they ride its first byte).
 */
int frame_rx_step(int sock, struct frame_rx *rx)
{
	struct ancil_chan ch = { .sock = sock, .type = SOCK_STREAM };

	for (;;) {
		int hdr = rx->got < PROTO_HDR_LEN;
		size_t want = hdr ? PROTO_HDR_LEN - rx->got : PROTO_HDR_LEN + rx->h.len - rx->got;
		unsigned char *at = hdr ? rx->hdr + rx->got : rx->payload + (rx->got - PROTO_HDR_LEN);
		struct ancil_rx r = { .fds = rx->fds + rx->nfds, .maxfds = PROTO_MAX_FDS - rx->nfds };
		ssize_t n;

		if (want == 0)
			break;
		n = ancil_chan_recv(&ch, at, want, &r, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			errno = EAGAIN;
			return -1;
		}
		if (n >= 0)
			rx->nfds += r.nfds;
		if (n == -1)
			goto fail;
		errno = EPROTO;
		if (r.nsurplus)
			goto fail;
		if (n == 0 && r.nfds == 0) {
			if (rx->got == 0 && rx->nfds == 0)
				return 0;
			errno = ECONNRESET;
			goto fail;
		}
		if (rx->got == 0 && n > 0 && rx->hdr[0] != PROTO_MAGIC) {
			errno = ENOMSG;
			goto fail;
		}
		rx->got += (size_t)n;
		if (hdr && rx->got == PROTO_HDR_LEN && proto_hdr_unpack(rx->hdr, &rx->h) == -1)
			goto fail;
		errno = EPROTO;
		if (rx->got >= PROTO_HDR_LEN && rx->nfds > rx->h.nfds)
			goto fail;
	}
	errno = EPROTO;
	if (rx->nfds != rx->h.nfds)
		goto fail;
	return 1;
fail:
	{
		int e = errno;

		frame_rx_reset(rx);
		errno = e;
	}
	return -1;
}

int frame_tx_set(struct frame_tx *tx, int type, int flags, const void *payload, size_t len,
    const int *fds, size_t nfds)
{
	struct proto_hdr h = { .type = type, .flags = flags, .nfds = nfds, .len = len };

	if (len > PROTO_MAX_PAYLOAD || nfds > PROTO_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	proto_hdr_pack(tx->buf, &h);
	if (len)
		memcpy(tx->buf + PROTO_HDR_LEN, payload, len);
	tx->len = PROTO_HDR_LEN + len;
	tx->off = 0;
	tx->fds = fds;
	tx->nfds = nfds;
	return 0;
}

int frame_tx_step(int sock, struct frame_tx *tx)
{
	while (tx->off < tx->len) {
		struct iovec iov = { .iov_base = tx->buf + tx->off, .iov_len = tx->len - tx->off };
		ANCIL_BUFFER(cbuf, PROTO_MAX_FDS, 0);
		struct ancil_buf b;
		ssize_t n;

		ancil_buf_init(&b, &cbuf, sizeof(cbuf));
		if (tx->off == 0 && tx->nfds && ancil_buf_add_fds(&b, tx->fds, tx->nfds) == -1)
			return -1;
		n = ancil_sendmsg(sock, &iov, 1, tx->off == 0 && tx->nfds ? &b : NULL);
		if (n == -1) {
			if (errno == EWOULDBLOCK)
				errno = EAGAIN;
			return -1;
		}
		tx->off += (size_t)n;
	}
	return 1;
}
