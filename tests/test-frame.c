/* test-frame.c - unit tests of frames and OFFER batches over socketpair(2) (src/frame.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ancil.h"
#include "frame.h"
#include "tap.h"

#define NPOOL 1000

static int pool[NPOOL];		/* distinct memfds; pool[i] is i + 1 bytes long */
static char *pool_names[NPOOL];
static struct fdset fs;
static volatile sig_atomic_t nsig;

static void on_signal(int sig)
{
	(void)sig;
	nsig++;
}

static const char *tname(int type)
{
	return type == SOCK_STREAM ? "stream" : "seqpacket";
}



static off_t fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == -1 ? -1 : st.st_size;
}




/* An OFFER header for nfds descriptors and len payload bytes (flags as given). */
static void offer_hdr(unsigned char out[PROTO_HDR_LEN], int flags, size_t nfds, size_t len)
{
	struct proto_hdr h = { PROTO_OFFER, (uint8_t)flags, (uint16_t)nfds, (uint16_t)len };

	proto_hdr_pack(out, &h);
}

/* n names "a" as an OFFER payload; returns its length. */
static size_t names_payload(unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = 1;
		out[2 * i + 1] = 'a';
	}
	return 2 * n;
}

static void test_frame_roundtrip(int type)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	int sv[2], fds[PROTO_MAX_FDS];
	struct proto_hdr h;
	const char *names[] = { "one", "two" };
	unsigned char p[16];
	ssize_t len = proto_names_pack(p, sizeof(p), names, 2);
	int r;

	fdset_take(&fs);
	test_pair(type, sv);
	{
		struct frame_conn a = { .sock = sv[0], .type = type }, b = { .sock = sv[1], .type = type };

		ok(frame_send(&a, PROTO_OFFER, PROTO_F_WAIT, p, (size_t)len, pool, 2) == 0,
		    "%s: frame_send sends an OFFER with two descriptors", tname(type));
		r = frame_recv(&b, &h, payload, fds);
		ok(r == 1 && h.type == PROTO_OFFER && h.flags == PROTO_F_WAIT && h.nfds == 2 &&
		    h.len == len && !memcmp(payload, p, (size_t)len) && fd_same_file(fds[0], pool[0]) &&
		    fd_same_file(fds[1], pool[1]) && fd_is_cloexec(fds[0]) && fd_is_cloexec(fds[1]),
		    "%s: frame_recv gives back the header, the payload and the descriptors, close-on-exec", tname(type));
		if (r == 1)
			ancil_close_fds(fds, h.nfds);
		close(sv[0]);
		ok(frame_recv(&b, &h, payload, fds) == 0, "%s: end of file before a frame is 0", tname(type));
	}
	close(sv[1]);
	ok_fdset(&fs, "%s: a frame round trip leaves nothing open", tname(type));
}

/* n descriptors through frame_send_offer and frame_recv_offer, from a child. */
static void test_offer_many(int type, size_t n)
{
	struct frame_batch b = { 0 };
	int sv[2], flags = 0, r, good = 1, status;
	pid_t pid;

	fdset_take(&fs);
	test_pair(type, sv);
	pid = test_fork();
	if (pid == 0) {
		struct frame_conn c = { .sock = sv[0], .type = type };

		close(sv[1]);
		_exit(frame_send_offer(&c, PROTO_F_WAIT, pool, pool_names, n) == 0 ? 0 : 1);
	}
	close(sv[0]);
	{
		struct frame_conn c = { .sock = sv[1], .type = type, .deadline = frame_deadline(10000) };

		r = frame_recv_offer(&c, &b, n, &flags);
	}
	for (size_t i = 0; r == 1 && i < n && good; i++)
		good = fd_size(b.fds[i]) == (off_t)(i + 1) && fd_is_cloexec(b.fds[i]) &&
		    !strcmp(b.names[i], pool_names[i]);
	status = test_wait(pid);
	ok(r == 1 && b.n == n && good && flags == PROTO_F_WAIT && status == 0,
	    "%s: %zu descriptors in OFFERs of at most 253 arrive in order with their names and WAIT", tname(type), n);
	frame_batch_free(&b);
	close(sv[1]);
	ok_fdset(&fs, "%s: all %zu descriptors are closed again", tname(type), n);
}

/*
 * A receiver at RLIMIT_NOFILE with room for only `room` of n descriptors,
 * with c.trunc set: EMSGSIZE, the ones that arrived in the batch with
 * their names, the counts right, and nothing left open once freed.
 */
static void test_offer_cut(int type, size_t n, size_t room)
{
	int sv[2], up[2], down[2], status;
	long lim = 0;
	pid_t pid;

	fdset_take(&fs);
	test_pair(type, sv);
	if (pipe2(up, O_CLOEXEC) == -1 || pipe2(down, O_CLOEXEC) == -1)
		exit(99);
	pid = test_fork();
	if (pid == 0) {
		static struct fdset before, after;
		struct frame_trunc t = { 0 };
		struct frame_conn c = { .sock = sv[1], .type = type, .deadline = frame_deadline(10000), .trunc = &t };
		struct frame_batch b = { 0 };
		int flags = 0, code = 0, r;
		char go;

		close(sv[0]);
		fdset_take(&before);
		lim = fdset_limit(&before, room);
		if (write(up[1], &lim, sizeof(lim)) != sizeof(lim) || read(down[0], &go, 1) != 1)
			_exit(90);
		r = frame_recv_offer(&c, &b, n, &flags);
		if (r != -1 || errno != EMSGSIZE || !(t.flags & ANCIL_TRUNC_CTRL) || (t.flags & ANCIL_TRUNC_ROOM))
			code |= 1;
		if (b.n != room || t.arrived != room || t.sent != n || t.more)
			code |= 2;
		for (size_t i = 0; i < b.n; i++)
			if (fd_size(b.fds[i]) != (off_t)(i + 1) || strcmp(b.names[i], pool_names[i]))
				code |= 4;
		frame_batch_free(&b);
		fdset_take(&after);
		if (after.n != before.n || memcmp(after.fds, before.fds, after.n * sizeof(int)))
			code |= 8;
		_exit(code);
	}
	close(sv[1]);
	if (read(up[0], &lim, sizeof(lim)) == sizeof(lim)) {
		struct rlimit rl = { (rlim_t)lim, (rlim_t)lim };
		struct frame_conn c = { .sock = sv[0], .type = type };

		if (prlimit(pid, RLIMIT_NOFILE, &rl, NULL) == -1)
			diag("prlimit: %s", strerror(errno));
		if (write(down[1], "g", 1) != 1)
			diag("write: %s", strerror(errno));
		if (frame_send_offer(&c, 0, pool, pool_names, n) == -1)
			diag("frame_send_offer: %s", strerror(errno));
	}
	status = test_wait(pid);
	ok(status >= 0 && !(status & 1), "%s: %zu of %zu descriptors cut by RLIMIT_NOFILE: EMSGSIZE, "
	    "flagged CTRL, not ROOM (status %d)", tname(type), room, n, status);
	ok(status >= 0 && !(status & 2), "%s: the batch holds the %zu that arrived; %zu declared",
	    tname(type), room, n);
	ok(status >= 0 && !(status & 4), "%s: the ones that arrived are the first, with their names", tname(type));
	ok(status >= 0 && !(status & 8), "%s: freeing the batch leaves the receiver as it was", tname(type));
	close(sv[0]);
	test_close2(up);
	test_close2(down);
	ok_fdset(&fs, "%s: the cut offer leaves nothing open here", tname(type));
}

static void test_offer_empty(int type)
{
	struct frame_batch b = { 0 };
	int sv[2], flags = -1;

	fdset_take(&fs);
	test_pair(type, sv);
	{
		struct frame_conn a = { .sock = sv[0], .type = type }, c = { .sock = sv[1], .type = type };

		ok(frame_send_offer(&a, 0, NULL, NULL, 0) == 0 && frame_recv_offer(&c, &b, 10, &flags) == 1 &&
		    b.n == 0 && flags == 0, "%s: no descriptor at all travels as one empty OFFER", tname(type));
		close(sv[0]);
		ok(frame_recv_offer(&c, &b, 10, &flags) == 0 && b.n == 0,
		    "%s: a peer that hangs up before a byte is 0 (a probe, not a sender)", tname(type));
	}
	close(sv[1]);
	ok_fdset(&fs, "%s: empty offers leave nothing open", tname(type));
}

/* Receives an offer from what a raw peer already wrote (and shut); returns r, errno in *e. */
static int recv_after(int sock, int type, size_t max, int *e, struct frame_batch *b)
{
	struct frame_conn c = { .sock = sock, .type = type, .deadline = frame_deadline(5000) };
	int flags = 0, r;

	errno = 0;
	r = frame_recv_offer(&c, b, max, &flags);
	*e = errno;
	return r;
}

static void test_offer_bad(void)
{
	unsigned char hdr[PROTO_HDR_LEN], payload[64];
	struct frame_batch b = { 0 };
	int sv[2], e, r, queued = 0;

	fdset_take(&fs);

	/* The header says 3, two descriptors come. */
	test_pair(SOCK_STREAM, sv);
	offer_hdr(hdr, 0, 3, names_payload(payload, 3));
	test_raw_send(sv[0], hdr, sizeof(hdr), pool, 2);
	test_raw_send(sv[0], payload, 6, NULL, 0);
	shutdown(sv[0], SHUT_WR);
	r = recv_after(sv[1], SOCK_STREAM, 10, &e, &b);
	ok(r == -1 && e == EPROTO && b.n == 0, "an OFFER counting 3 descriptors with 2 attached is EPROTO");
	test_close2(sv);
	ok_fdset(&fs, "the descriptors of a miscounted frame are all closed");

	/* The header says 2, five come. */
	test_pair(SOCK_STREAM, sv);
	offer_hdr(hdr, 0, 2, names_payload(payload, 2));
	test_raw_send(sv[0], hdr, sizeof(hdr), pool, 5);
	test_raw_send(sv[0], payload, 4, NULL, 0);
	shutdown(sv[0], SHUT_WR);
	r = recv_after(sv[1], SOCK_STREAM, 10, &e, &b);
	ok(r == -1 && e == EPROTO && b.n == 0, "an OFFER counting 2 descriptors with 5 attached is EPROTO");
	test_close2(sv);
	ok_fdset(&fs, "the surplus descriptors are closed with the rest");

	/* More than max: refused at the header, the payload never read. */
	test_pair(SOCK_STREAM, sv);
	offer_hdr(hdr, 0, 3, names_payload(payload, 3));
	test_raw_send(sv[0], hdr, sizeof(hdr), pool, 3);
	test_raw_send(sv[0], payload, 6, NULL, 0);
	r = recv_after(sv[1], SOCK_STREAM, 2, &e, &b);
	ok(r == -1 && e == E2BIG && ioctl(sv[1], FIONREAD, &queued) == 0 && queued == 6,
	    "a frame of 3 descriptors past a maximum of 2 is E2BIG, its payload left unread");
	test_close2(sv);
	ok_fdset(&fs, "the descriptors of a frame past the maximum are closed");

	/* The header in pieces, the descriptors with its first byte; nothing past the frame is read. */
	test_pair(SOCK_STREAM, sv);
	offer_hdr(hdr, 0, 2, names_payload(payload, 2));
	test_raw_send(sv[0], hdr, 1, pool, 2);
	test_raw_send(sv[0], hdr + 1, 3, NULL, 0);
	test_raw_send(sv[0], hdr + 4, 4, NULL, 0);
	test_raw_send(sv[0], payload, 4, NULL, 0);
	test_raw_send(sv[0], "Z", 1, NULL, 0);
	r = recv_after(sv[1], SOCK_STREAM, 10, &e, &b);
	ok(r == 1 && b.n == 2 && fd_same_file(b.fds[0], pool[0]) && fd_same_file(b.fds[1], pool[1]) &&
	    ioctl(sv[1], FIONREAD, &queued) == 0 && queued == 1,
	    "a header arriving in three pieces is reassembled and nothing past the frame is read");
	frame_batch_free(&b);
	test_close2(sv);
	ok_fdset(&fs, "reassembled descriptors closed again");

	/* A frame that is not an OFFER, and a WAIT flag that changes. */
	test_pair(SOCK_STREAM, sv);
	{
		struct frame_conn a = { .sock = sv[0], .type = SOCK_STREAM };
		unsigned char ack[4];

		frame_send(&a, PROTO_ACK, 0, ack, proto_ack_pack(ack, 1), NULL, 0);
		r = recv_after(sv[1], SOCK_STREAM, 10, &e, &b);
		ok(r == -1 && e == EPROTO, "an ACK where an OFFER belongs is EPROTO");
		offer_hdr(hdr, PROTO_F_MORE, 1, names_payload(payload, 1));
		test_raw_send(sv[0], hdr, sizeof(hdr), pool, 1);
		test_raw_send(sv[0], payload, 2, NULL, 0);
		offer_hdr(hdr, PROTO_F_WAIT, 1, 2);
		test_raw_send(sv[0], hdr, sizeof(hdr), pool, 1);
		test_raw_send(sv[0], payload, 2, NULL, 0);
		r = recv_after(sv[1], SOCK_STREAM, 10, &e, &b);
		ok(r == -1 && e == EPROTO && b.n == 0, "a WAIT flag that changes between OFFERs is EPROTO, all closed");
		offer_hdr(hdr, PROTO_F_MORE, 1, names_payload(payload, 1));
		test_raw_send(sv[0], hdr, sizeof(hdr), pool, 1);
		test_raw_send(sv[0], payload, 2, NULL, 0);
		offer_hdr(hdr, 0, 0, 0);
		test_raw_send(sv[0], hdr, sizeof(hdr), NULL, 0);
		r = recv_after(sv[1], SOCK_STREAM, 10, &e, &b);
		ok(r == -1 && e == EPROTO && b.n == 0, "an empty OFFER after an OFFER with MORE is EPROTO, all closed");
	}
	test_close2(sv);
	ok_fdset(&fs, "bad frames leave nothing open");
}

static void test_not_fdrelay(int type)
{
	struct frame_batch b = { 0 };
	int sv[2], e, r;

	fdset_take(&fs);
	test_pair(type, sv);
	/* One byte that is not the magic, and the peer stays connected: no waiting for 7 more. */
	test_raw_send(sv[0], "", 1, pool, 1);
	r = recv_after(sv[1], type, 10, &e, &b);
	ok(r == -1 && e == ENOMSG, "%s: a first byte that is not fdrelay's magic is ENOMSG at once", tname(type));
	test_close2(sv);
	ok_fdset(&fs, "%s: the descriptor of a peer that is not fdrelay is closed", tname(type));

	test_pair(type, sv);
	{
		unsigned char hdr[PROTO_HDR_LEN];

		offer_hdr(hdr, 0, 0, 0);
		hdr[1] = 2;	/* version */
		test_raw_send(sv[0], hdr, sizeof(hdr), NULL, 0);
	}
	r = recv_after(sv[1], type, 10, &e, &b);
	ok(r == -1 && e == EPROTONOSUPPORT, "%s: a version 2 header is EPROTONOSUPPORT", tname(type));
	test_close2(sv);
}

static void test_stall_and_close(int type)
{
	unsigned char hdr[PROTO_HDR_LEN];
	struct frame_batch b = { 0 };
	struct frame_conn c;
	int sv[2], flags, r;

	fdset_take(&fs);
	if (type == SOCK_STREAM) {
		test_pair(type, sv);
		offer_hdr(hdr, 0, 2, 4);
		test_raw_send(sv[0], hdr, 4, pool, 2);
		c = (struct frame_conn){ .sock = sv[1], .type = type, .deadline = frame_deadline(200) };
		errno = 0;
		r = frame_recv_offer(&c, &b, 10, &flags);
		ok(r == -1 && errno == ETIMEDOUT && b.n == 0,
		    "stream: half a header and a stall is ETIMEDOUT once the deadline passes");
		test_close2(sv);
		ok_fdset(&fs, "stream: the descriptors of a stalled frame are closed");
	}

	/* 300 descriptors (a frame of 253 with MORE, then one of 47) against a maximum of 200. */
	test_pair(type, sv);
	{
		struct frame_conn a = { .sock = sv[0], .type = type };

		frame_send_offer(&a, 0, pool, pool_names, 300);
	}
	close(sv[0]);
	c = (struct frame_conn){ .sock = sv[1], .type = type, .deadline = frame_deadline(5000) };
	errno = 0;
	r = frame_recv_offer(&c, &b, 200, &flags);
	ok(r == -1 && errno == E2BIG && b.n == 0,
	    "%s: 300 descriptors past a maximum of 200 are refused at the first frame's header, all closed", tname(type));
	close(sv[1]);
	ok_fdset(&fs, "%s: the refused descriptors are all closed", tname(type));

	test_pair(type, sv);
	{
		struct frame_conn a = { .sock = sv[0], .type = type };
		unsigned char p[PROTO_MAX_PAYLOAD];
		ssize_t len = proto_names_pack(p, sizeof(p), (const char *const *)pool_names, PROTO_MAX_FDS);

		frame_send(&a, PROTO_OFFER, PROTO_F_MORE, p, (size_t)len, pool, PROTO_MAX_FDS);
	}
	close(sv[0]);
	c = (struct frame_conn){ .sock = sv[1], .type = type, .deadline = frame_deadline(5000) };
	errno = 0;
	r = frame_recv_offer(&c, &b, 1000, &flags);
	ok(r == -1 && errno == ECONNRESET && b.n == 0,
	    "%s: a peer closing after an OFFER with MORE is ECONNRESET", tname(type));
	close(sv[1]);
	ok_fdset(&fs, "%s: the 253 descriptors that came before the close are closed", tname(type));
}

static void test_oversized_packet(void)
{
	static unsigned char big[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD + 100];
	struct frame_batch b = { 0 };
	int sv[2], e, r, sz = 1 << 20;

	fdset_take(&fs);
	test_pair(SOCK_SEQPACKET, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	offer_hdr(big, 0, 1, 2);
	test_raw_send(sv[0], big, sizeof(big), pool, 1);
	r = recv_after(sv[1], SOCK_SEQPACKET, 10, &e, &b);
	ok(r == -1 && e == EPROTO, "seqpacket: a packet longer than the largest frame is EPROTO");
	test_close2(sv);
	ok_fdset(&fs, "seqpacket: the descriptor of an oversized packet is closed");
}

static void test_eintr(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct frame_batch b = { 0 };
	int sv[2], flags, r, status;
	pid_t pid;

	fdset_take(&fs);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART */
	nsig = 0;
	test_pair(SOCK_STREAM, sv);
	pid = test_fork();
	if (pid == 0) {
		struct frame_conn a = { .sock = sv[0], .type = SOCK_STREAM };

		close(sv[1]);
		for (int i = 0; i < 20; i++) {
			kill(getppid(), SIGUSR1);
			usleep(2000);
		}
		_exit(frame_send_offer(&a, 0, pool, pool_names, 3) == 0 ? 0 : 1);
	}
	close(sv[0]);
	{
		struct frame_conn c = { .sock = sv[1], .type = SOCK_STREAM, .deadline = frame_deadline(10000) };

		r = frame_recv_offer(&c, &b, 10, &flags);
	}
	status = test_wait(pid);
	ok(r == 1 && b.n == 3 && status == 0 && nsig > 0,
	    "frame_recv_offer waiting through %d signals (no SA_RESTART) still receives 3 descriptors", (int)nsig);
	frame_batch_free(&b);
	close(sv[1]);
	signal(SIGUSR1, SIG_IGN);
	ok_fdset(&fs, "an interrupted receive leaves nothing open");
}

/* ---- Without blocking: frame_rx_step and frame_tx_step ---- */

static unsigned char rx_payload[PROTO_MAX_PAYLOAD];
static struct frame_rx rx;
static struct frame_tx tx;

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		perror("fcntl");
		exit(99);
	}
}

/* A fresh frame_rx (nothing held), as a server sets one up. */
static void rx_init(void)
{
	memset(&rx, 0, sizeof(rx));
	rx.payload = rx_payload;
}

/* One frame_rx_step on sock; *e gets errno (0 unless it returned -1). */
static int rx_step(int sock, int *e)
{
	int r;

	errno = 0;
	r = frame_rx_step(sock, &rx);
	*e = r == -1 ? errno : 0;
	return r;
}

/* The descriptors of a complete frame, taken from rx (as a server does), and rx made ready again. */
static size_t rx_take(int *fds)
{
	size_t n = rx.nfds;

	memcpy(fds, rx.fds, n * sizeof(int));
	rx.nfds = 0;
	frame_rx_reset(&rx);
	return n;
}

/*
 * A whole ENTRIES frame (header and payload) of n entries whose names are
 * namelen characters, at out; returns its length.
 */
static size_t entries_frame(unsigned char *out, int flags, size_t n, size_t namelen)
{
	struct proto_entry e = { .owner = 1000, .age_ms = 5, .left_ms = PROTO_NO_EXPIRY, .poll = 1 };
	struct proto_hdr h = { PROTO_ENTRIES, (uint8_t)flags, (uint16_t)n, 0 };
	size_t len = 0;

	memset(e.name, 'e', namelen);
	for (size_t i = 0; i < n; i++) {
		ssize_t k;

		e.owner = (uint32_t)i;
		k = proto_entry_pack(out + PROTO_HDR_LEN + len, PROTO_MAX_PAYLOAD - len, &e);
		if (k == -1) {
			perror("proto_entry_pack");
			exit(99);
		}
		len += (size_t)k;
	}
	h.len = (uint16_t)len;
	proto_hdr_pack(out, &h);
	return PROTO_HDR_LEN + len;
}

/* 1 if fds[0..n) are pool[first..first+n), close-on-exec. */
static int fds_are_pool(const int *fds, size_t n, size_t first)
{
	for (size_t i = 0; i < n; i++)
		if (!fd_same_file(fds[i], pool[first + i]) || !fd_is_cloexec(fds[i]))
			return 0;
	return 1;
}

/* A frame delivered a byte at a time, its two descriptors on the first byte. */
static void test_rx_bytewise(void)
{
	static unsigned char f[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD];
	struct proto_entry e[2];
	size_t len = entries_frame(f, PROTO_F_MORE, 2, 3), early = 0;
	int sv[2], e1, r, fds[2];

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	r = rx_step(sv[1], &e1);
	ok(r == -1 && e1 == EAGAIN && rx.got == 0 && rx.nfds == 0, "frame_rx_step with nothing sent yet is EAGAIN");
	if (ancil_send(sv[0], f, 1, pool, 2, NULL) != 1)
		diag("ancil_send: %s", strerror(errno));
	r = rx_step(sv[1], &e1);
	ok(r == -1 && e1 == EAGAIN && rx.got == 1 && rx.nfds == 2,
	    "after the first byte with two descriptors: EAGAIN, one byte and both descriptors held");
	for (size_t i = 1; i < len; i++) {
		if (ancil_send(sv[0], f + i, 1, NULL, 0, NULL) != 1)
			diag("ancil_send: %s", strerror(errno));
		r = rx_step(sv[1], &e1);
		if (i + 1 < len && (r != -1 || e1 != EAGAIN))
			early++;
	}
	ok(early == 0 && r == 1, "each of the other %zu bytes is EAGAIN until the last completes the frame", len - 1);
	ok(r == 1 && rx.h.type == PROTO_ENTRIES && rx.h.flags == PROTO_F_MORE && rx.h.nfds == 2 &&
	    rx.h.len == len - PROTO_HDR_LEN && memcmp(rx.payload, f + PROTO_HDR_LEN, len - PROTO_HDR_LEN) == 0 &&
	    proto_entries_unpack(rx.payload, rx.h.len, 2, e) == 0 && e[1].owner == 1,
	    "the assembled frame has the header and payload sent");
	ok(rx.nfds == 2 && fds_are_pool(rx.fds, 2, 0),
	    "its two descriptors are in rx->fds, in order, close-on-exec");
	memcpy(fds, rx.fds, sizeof(fds));
	frame_rx_reset(&rx);
	ok(!fd_is_open(fds[0]) && !fd_is_open(fds[1]) && rx.nfds == 0 && rx.got == 0 && rx.payload == rx_payload,
	    "frame_rx_reset closes the descriptors held and keeps the payload buffer");
	r = rx_step(sv[1], &e1);
	ok(r == -1 && e1 == EAGAIN, "then nothing more: EAGAIN");
	close(sv[0]);
	r = rx_step(sv[1], &e1);
	ok(r == 0, "end of file at a frame boundary is 0");
	close(sv[1]);
	ok_fdset(&fs, "a frame received byte by byte leaves nothing open");

	/* A frame without payload is complete with its header. */
	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	{
		struct proto_hdr h = { PROTO_ERROR, 0, 0, 0 };

		proto_hdr_pack(f, &h);
	}
	ancil_send(sv[0], f, 5, NULL, 0, NULL);
	r = rx_step(sv[1], &e1);
	ancil_send(sv[0], f + 5, 3, NULL, 0, NULL);
	ok(r == -1 && e1 == EAGAIN && rx_step(sv[1], &e1) == 1 && rx.h.type == PROTO_ERROR && rx.h.len == 0 &&
	    rx.nfds == 0, "an empty ERROR frame is complete with its 8th byte");
	frame_rx_reset(&rx);
	close(sv[0]);
	ok(rx_step(sv[1], &e1) == 0, "and end of file after it is 0");
	close(sv[1]);
	ok_fdset(&fs, "an empty frame leaves nothing open");
}

/* The peer closes inside a frame: ECONNRESET, every descriptor closed. */
static void test_rx_eof(void)
{
	static unsigned char f[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD];
	size_t len = entries_frame(f, 0, 3, 10);
	int sv[2], e, r;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	close(sv[0]);
	ok(rx_step(sv[1], &e) == 0, "end of file before any byte is 0");
	close(sv[1]);

	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	ancil_send(sv[0], f, PROTO_HDR_LEN + 20, pool, 3, NULL);
	r = rx_step(sv[1], &e);
	ok(r == -1 && e == EAGAIN && rx.nfds == 3 && rx.got == PROTO_HDR_LEN + 20,
	    "a header, 20 bytes of payload and 3 descriptors: EAGAIN, all held");
	close(sv[0]);
	r = rx_step(sv[1], &e);
	ok(r == -1 && e == ECONNRESET && rx.nfds == 0 && rx.got == 0,
	    "end of file inside the payload is ECONNRESET, and rx is emptied");
	close(sv[1]);
	ok_fdset(&fs, "the 3 descriptors of the cut frame are closed");

	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	ancil_send(sv[0], f, 3, pool, 3, NULL);
	close(sv[0]);
	r = rx_step(sv[1], &e);
	ok(r == -1 && e == ECONNRESET && rx.nfds == 0,
	    "3 bytes of a header with 3 descriptors, then end of file, is ECONNRESET in one step");
	close(sv[1]);
	ok_fdset(&fs, "the descriptors that came with half a header are closed");

	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	ancil_send(sv[0], f, len - 1, pool, 3, NULL);
	close(sv[0]);
	r = rx_step(sv[1], &e);
	ok(r == -1 && e == ECONNRESET, "a frame one byte short, then end of file, is ECONNRESET");
	close(sv[1]);
	ok_fdset(&fs, "nothing of the frame one byte short stays open");
}

/* Frames that are not fdrelay's or disagree with their descriptors. */
static void test_rx_bad(void)
{
	static unsigned char f[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD];
	size_t len;
	int sv[2], e, r;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	ancil_send(sv[0], "\0", 1, pool, 2, NULL);
	r = rx_step(sv[1], &e);
	ok(r == -1 && e == ENOMSG && rx.nfds == 0, "a first byte that is not the magic is ENOMSG at once");
	test_close2(sv);
	ok_fdset(&fs, "the 2 descriptors of a peer that does not speak fdrelay are closed");

	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	ancil_send(sv[0], "GET / HTTP/1.0\r\n\r\n", 18, NULL, 0, NULL);
	r = rx_step(sv[1], &e);
	ok(r == -1 && e == ENOMSG, "an HTTP request is ENOMSG");
	test_close2(sv);

	/* The header declares 1, 3 come: refused at the header, before any payload. */
	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	entries_frame(f, 0, 1, 3);
	ancil_send(sv[0], f, PROTO_HDR_LEN, pool, 3, NULL);
	r = rx_step(sv[1], &e);
	ok(r == -1 && e == EPROTO && rx.nfds == 0,
	    "a header declaring 1 descriptor that arrives with 3 is EPROTO, before its payload");
	test_close2(sv);
	ok_fdset(&fs, "the 3 descriptors of the miscounted header are closed");

	/* The header declares 3, 1 comes. */
	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	len = entries_frame(f, 0, 3, 3);
	ancil_send(sv[0], f, len, pool, 1, NULL);
	r = rx_step(sv[1], &e);
	ok(r == -1 && e == EPROTO && rx.nfds == 0, "a frame declaring 3 descriptors that brings 1 is EPROTO");
	test_close2(sv);
	ok_fdset(&fs, "the one descriptor of the short frame is closed");

	/* The header declares 1 and brings it, then one more rides a payload byte. */
	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	len = entries_frame(f, 0, 1, 3);
	ancil_send(sv[0], f, PROTO_HDR_LEN + 1, pool, 1, NULL);
	ancil_send(sv[0], f + PROTO_HDR_LEN + 1, len - PROTO_HDR_LEN - 1, pool + 1, 1, NULL);
	r = rx_step(sv[1], &e);
	if (r == -1 && e == EAGAIN)
		r = rx_step(sv[1], &e);
	ok(r == -1 && e == EPROTO && rx.nfds == 0,
	    "a descriptor beyond the declared count riding a payload byte is EPROTO");
	test_close2(sv);
	ok_fdset(&fs, "both descriptors are closed");

	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	len = entries_frame(f, 0, 1, 3);
	f[1] = 2;
	ancil_send(sv[0], f, len, pool, 1, NULL);
	r = rx_step(sv[1], &e);
	ok(r == -1 && e == EPROTONOSUPPORT && rx.nfds == 0, "a version 2 header is EPROTONOSUPPORT");
	test_close2(sv);

	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	len = entries_frame(f, 0, 1, 3);
	f[3] = PROTO_F_WAIT;
	ancil_send(sv[0], f, len, pool, 1, NULL);
	r = rx_step(sv[1], &e);
	ok(r == -1 && e == EPROTO && rx.nfds == 0, "an ENTRIES header with WAIT is EPROTO");
	test_close2(sv);
	ok_fdset(&fs, "bad headers leave nothing open");
}

/* Two frames queued back to back: each gets its own descriptors. */
static void test_rx_back_to_back(void)
{
	static unsigned char f[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD];
	unsigned char req[PROTO_HDR_LEN + PROTO_REQUEST_LEN];
	struct proto_request q = { .op = PROTO_OP_LIST, .owner = PROTO_OWNER_SELF };
	struct proto_hdr h = { PROTO_REQUEST, 0, 0, PROTO_REQUEST_LEN };
	int sv[2], e, r, a[PROTO_MAX_FDS], b[PROTO_MAX_FDS];
	size_t len, na = 0, nb = 0;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[1]);
	rx_init();
	len = entries_frame(f, PROTO_F_MORE, 1, 4);
	ancil_send(sv[0], f, len, pool, 1, NULL);
	len = entries_frame(f, 0, 2, 5);
	ancil_send(sv[0], f, len, pool + 1, 2, NULL);
	proto_hdr_pack(req, &h);
	proto_request_pack(req + PROTO_HDR_LEN, PROTO_REQUEST_LEN, &q, NULL);
	ancil_send(sv[0], req, sizeof(req), NULL, 0, NULL);
	close(sv[0]);

	r = rx_step(sv[1], &e);
	ok(r == 1 && rx.h.nfds == 1 && rx.h.flags == PROTO_F_MORE && (na = rx_take(a)) == 1 &&
	    fds_are_pool(a, 1, 0), "the first of three queued frames arrives with its one descriptor only");
	r = rx_step(sv[1], &e);
	ok(r == 1 && rx.h.nfds == 2 && rx.h.flags == 0 && (nb = rx_take(b)) == 2 && fds_are_pool(b, 2, 1),
	    "the second arrives with its own two");
	r = rx_step(sv[1], &e);
	ok(r == 1 && rx.h.type == PROTO_REQUEST && rx.nfds == 0 &&
	    memcmp(rx.payload, req + PROTO_HDR_LEN, PROTO_REQUEST_LEN) == 0,
	    "the third, a REQUEST, arrives with none");
	frame_rx_reset(&rx);
	ok(rx_step(sv[1], &e) == 0, "then end of file at the boundary is 0");
	ancil_close_fds(a, na);
	ancil_close_fds(b, nb);
	close(sv[1]);
	ok_fdset(&fs, "back-to-back frames leave nothing open once their descriptors are closed");
}

/* frame_tx_step against a full socket: EAGAIN, then it resumes; the descriptors arrive once. */
static void test_tx_full(void)
{
	static unsigned char f[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD];
	char junk[4096];
	size_t k = PROTO_MAX_PAYLOAD / (PROTO_ENTRY_LEN + PROTO_NAME_MAX), len, filled = 0, drained = 0;
	int sv[2], e, r, sz = 16384, queued = -1, txdone = 0, rxdone = 0, resumed = 0, bad = 0;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == -1)
		diag("SO_SNDBUF: %s", strerror(errno));
	rx_init();

	/* The holder's largest ENTRIES frame: 236 entries of 255-character names and their descriptors. */
	len = entries_frame(f, PROTO_F_MORE, k, PROTO_NAME_MAX);
	ok(frame_tx_set(&tx, PROTO_ENTRIES, PROTO_F_MORE, f + PROTO_HDR_LEN, len - PROTO_HDR_LEN, pool, k) == 0 &&
	    tx.len == len && tx.off == 0 && memcmp(tx.buf, f, len) == 0,
	    "frame_tx_set builds the frame of %zu descriptors and %zu bytes as it is packed", k, len);

	memset(junk, 'j', sizeof(junk));
	for (;;) {
		ssize_t n = send(sv[0], junk, sizeof(junk), MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			break;
		filled += (size_t)n;
	}
	errno = 0;
	r = frame_tx_step(sv[0], &tx);
	ok(r == -1 && errno == EAGAIN && tx.off < tx.len,
	    "frame_tx_step on a socket whose peer's buffer is full (%zu bytes) is EAGAIN", filled);
	while (drained < filled) {
		ssize_t n = read(sv[1], junk, filled - drained < sizeof(junk) ? filled - drained : sizeof(junk));

		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	for (int i = 0; i < 100000 && !(txdone && rxdone); i++) {
		if (!txdone) {
			errno = 0;
			r = frame_tx_step(sv[0], &tx);
			if (r == 1)
				txdone = 1;
			else if (errno == EAGAIN && tx.off > 0 && tx.off < tx.len)
				resumed++;
			else if (errno != EAGAIN)
				bad++;
		}
		if (!rxdone) {
			r = rx_step(sv[1], &e);
			if (r == 1)
				rxdone = 1;
			else if (r != -1 || e != EAGAIN)
				bad++;
		}
		if (bad)
			break;
	}
	ok(drained == filled && txdone && rxdone && bad == 0,
	    "once drained, frame_tx_step and frame_rx_step take turns until the frame is across");
	ok(resumed > 0, "the sender stopped %d times mid-frame and resumed where it was", resumed);
	ok(rxdone && rx.h.type == PROTO_ENTRIES && rx.h.nfds == k && rx.h.len == len - PROTO_HDR_LEN &&
	    memcmp(rx.payload, f + PROTO_HDR_LEN, len - PROTO_HDR_LEN) == 0,
	    "the receiver has the header and the %zu bytes of payload", len - PROTO_HDR_LEN);
	ok(rx.nfds == k && fds_are_pool(rx.fds, k, 0),
	    "the receiver has the %zu descriptors exactly once, in order", k);
	frame_rx_reset(&rx);
	ok(ioctl(sv[1], FIONREAD, &queued) == 0 && queued == 0 && rx_step(sv[1], &e) == -1 && e == EAGAIN,
	    "nothing else is queued");
	ok(frame_tx_step(sv[0], &tx) == 1, "frame_tx_step on a frame all sent is 1 and sends nothing");
	close(sv[0]);
	ok(rx_step(sv[1], &e) == 0, "the sender's close is end of file at the boundary");
	close(sv[1]);
	ok_fdset(&fs, "a frame sent in pieces leaves nothing open on either side");

	/* Argument checks, and a peer that is gone. */
	errno = 0;
	ok(frame_tx_set(&tx, PROTO_ERROR, 0, f, PROTO_MAX_PAYLOAD + 1, NULL, 0) == -1 && errno == EINVAL &&
	    frame_tx_set(&tx, PROTO_ENTRIES, 0, f, 100, pool, PROTO_MAX_FDS + 1) == -1,
	    "frame_tx_set refuses more than 65535 bytes or 253 descriptors (EINVAL)");
	test_pair(SOCK_STREAM, sv);
	set_nonblock(sv[0]);
	close(sv[1]);
	len = entries_frame(f, 0, 1, 3);
	frame_tx_set(&tx, PROTO_ENTRIES, 0, f + PROTO_HDR_LEN, len - PROTO_HDR_LEN, pool, 1);
	errno = 0;
	r = frame_tx_step(sv[0], &tx);
	ok(r == -1 && errno == EPIPE, "frame_tx_step to a peer that closed is EPIPE, without SIGPIPE");
	close(sv[0]);
	ok_fdset(&fs, "nothing stays open after EPIPE");
}

int main(void)
{
	struct rlimit rl;

	alarm(120);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
		rl.rlim_cur = 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < NPOOL; i++) {
		char name[16];

		pool[i] = (int)syscall(SYS_memfd_create, "test-frame", 1U /* MFD_CLOEXEC */);
		if (pool[i] == -1 || ftruncate(pool[i], i + 1) == -1) {
			perror("memfd_create");
			return 99;
		}
		snprintf(name, sizeof(name), "n%d", i);
		pool_names[i] = strdup(name);
	}
	test_frame_roundtrip(SOCK_STREAM);
	test_frame_roundtrip(SOCK_SEQPACKET);
	test_offer_many(SOCK_STREAM, 1);
	test_offer_many(SOCK_STREAM, 1000);
	test_offer_many(SOCK_SEQPACKET, 1000);
	test_offer_empty(SOCK_STREAM);
	test_offer_empty(SOCK_SEQPACKET);
	test_offer_cut(SOCK_STREAM, 5, 2);
	test_offer_cut(SOCK_SEQPACKET, 5, 2);
	test_offer_cut(SOCK_STREAM, 300, 260);
	test_offer_bad();
	test_not_fdrelay(SOCK_STREAM);
	test_not_fdrelay(SOCK_SEQPACKET);
	test_stall_and_close(SOCK_STREAM);
	test_stall_and_close(SOCK_SEQPACKET);
	test_oversized_packet();
	test_eintr();
	test_rx_bytewise();
	test_rx_eof();
	test_rx_bad();
	test_rx_back_to_back();
	test_tx_full();
	return done_testing();
}
