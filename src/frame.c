/* frame.c - fdrelay frames (proto.h) over a connected socket, with deadlines. */
#include "config.h"

#include <errno.h>
#include <poll.h>
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
 * waiting.  Returns what ancil_chan_recv returns.  (Blocking in
 * recvmsg when there is no deadline saves the EAGAIN and the poll but
 * measured 10-15 % slower per round trip: docs/performance.md.)
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
		n = ancil_chan_recv(&ch, buf, len, rx, MSG_DONTWAIT);
		if (n >= 0)
			return n;
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
 * fds[*nfds..PROTO_MAX_FDS).  Returns
 * 0, or -1 (ECONNRESET at end of file, EPROTO for too many descriptors).
 * *got counts bytes read, so that the caller can tell a clean end of file.
 */
static int frame_read(struct frame_conn *c, unsigned char *buf, size_t len, int *fds,
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
		off += n;
		*got += n;
	}
	return 0;
}

int frame_recv(struct frame_conn *c, struct proto_hdr *h, unsigned char *payload, int *fds)
{
	size_t nfds = 0, got = 0;

	if (c->type == SOCK_SEQPACKET) {
		/* One frame, one packet; one byte of slack shows an oversized one. */
		unsigned char buf[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD + 1];
		struct ancil_rx rx = { .fds = fds, .maxfds = PROTO_MAX_FDS };
		ssize_t n = frame_recv_some(c, buf, sizeof(buf), &rx);

		if (n == -1)
			return -1;
		nfds = rx.nfds;
		if (n == 0 && nfds == 0)
			return 0;
		if ((size_t)n < PROTO_HDR_LEN)
			goto fail_proto;
		if (proto_hdr_unpack(buf, h) == -1)
			goto fail;
		if ((size_t)n != PROTO_HDR_LEN + (size_t)h->len || nfds != h->nfds)
			goto fail_proto;
		memcpy(payload, buf + PROTO_HDR_LEN, h->len);
		return 1;
	}

	unsigned char hdr[PROTO_HDR_LEN];

	if (frame_read(c, hdr, sizeof(hdr), fds, &nfds, &got) == -1) {
		if (errno == ECONNRESET && got == 0 && nfds == 0)
			return 0;
		goto fail;
	}
	if (proto_hdr_unpack(hdr, h) == -1)
		goto fail;
	if (nfds > h->nfds)
		goto fail_proto;
	if (frame_read(c, payload, h->len, fds, &nfds, &got) == -1)
		goto fail;
	if (nfds != h->nfds)
		goto fail_proto;
	return 1;
fail_proto:
	errno = EPROTO;
fail:
	ancil_close_fds(fds, nfds);
	return -1;
}
