/* ancil.c - descriptors and credentials over AF_UNIX sockets (SCM_RIGHTS). */
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ancil.h"

/* Offset of the payload from the start of a control message header. */
#define CMSG_HDRLEN ((size_t)CMSG_LEN(0))

/*
 * Rounds n up to the control message alignment.  CMSG_ALIGN is not
 * portable, but CMSG_SPACE(1) - CMSG_SPACE(0) is the alignment everywhere.
 */
static size_t cmsg_align(size_t n)
{
	size_t a = (size_t)CMSG_SPACE(1) - (size_t)CMSG_SPACE(0);

	return (n + a - 1) / a * a;
}

#ifdef OS_CRED_LINUX
_Static_assert(CMSG_SPACE(sizeof(struct ucred)) <= ANCIL_CRED_SPACE,
    "ANCIL_CRED_SPACE too small for struct ucred");
#endif

size_t ancil_cred_size(void)
{
#if defined(OS_CRED_LINUX)
	return sizeof(struct ucred);
#elif defined(OS_CRED_FREEBSD)
	return sizeof(struct cmsgcred);
#else
	return 0;
#endif
}

void ancil_buf_init(struct ancil_buf *b, void *mem, size_t cap)
{
	b->data = mem;
	b->cap = mem ? cap : 0;
	b->len = 0;
	b->truncated = 0;
}

size_t ancil_buf_capacity(const struct ancil_buf *b)
{
	return b->cap;
}

size_t ancil_buf_length(const struct ancil_buf *b)
{
	return b->len;
}

int ancil_buf_empty(const struct ancil_buf *b)
{
	return b->len == 0;
}

int ancil_buf_truncated(const struct ancil_buf *b)
{
	return b->truncated;
}

void ancil_buf_clear(struct ancil_buf *b)
{
	b->len = 0;
	b->truncated = 0;
}

/*
 * Parses the control message at *pos.  Strict (clamp 0): a header shorter
 * than itself, running past b->len, or a RIGHTS payload that is not a
 * whole number of descriptors is EBADMSG.  Clamping (clamp 1, for closing
 * what a truncated receipt holds): a length past the end is cut to the
 * bytes present, as macOS leaves the untruncated size in cmsg_len.
 */
static int parse(const struct ancil_buf *b, size_t *pos, struct ancil_item *it, int clamp)
{
	struct cmsghdr h;
	size_t p = *pos, len;

	if (p >= b->len)
		return 0;
	if (b->len - p < sizeof(h)) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(&h, b->data + p, sizeof(h));
	len = (size_t)h.cmsg_len;
	if (len < CMSG_HDRLEN) {
		errno = EBADMSG;
		return -1;
	}
	if (len > b->len - p) {
		if (!clamp) {
			errno = EBADMSG;
			return -1;
		}
		len = b->len - p;
	}
	memset(it, 0, sizeof(*it));
	it->level = h.cmsg_level;
	it->type = h.cmsg_type;
	it->data = b->data + p + CMSG_HDRLEN;
	it->datalen = len - CMSG_HDRLEN;
	it->cred.pid = -1;
	it->cred.uid = (uid_t)-1;
	it->cred.gid = (gid_t)-1;
	it->kind = ANCIL_OTHER;
	if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
		if (it->datalen % sizeof(int) && !clamp) {
			errno = EBADMSG;
			return -1;
		}
		it->kind = ANCIL_RIGHTS;
		it->nfds = it->datalen / sizeof(int);
#ifdef SCM_PIDFD
	} else if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_PIDFD) {
		it->kind = ANCIL_PIDFD;
		it->nfds = it->datalen / sizeof(int);
#endif
#if defined(OS_CRED_LINUX)
	} else if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_CREDENTIALS &&
	    it->datalen >= sizeof(struct ucred)) {
		struct ucred uc;

		memcpy(&uc, it->data, sizeof(uc));
		it->kind = ANCIL_CREDS;
		it->cred.pid = uc.pid;
		it->cred.uid = uc.uid;
		it->cred.gid = uc.gid;
#elif defined(OS_CRED_FREEBSD)
	} else if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_CREDS &&
	    it->datalen >= sizeof(struct cmsgcred)) {
		struct cmsgcred cc;

		memcpy(&cc, it->data, sizeof(cc));
		it->kind = ANCIL_CREDS;
		it->cred.pid = cc.cmcred_pid;
		it->cred.uid = cc.cmcred_euid;	/* effective, like getpeereid */
		it->cred.gid = cc.cmcred_gid;
#endif
	}
	/* CMSG_SPACE of the payload is the aligned size of the whole message. */
	p += CMSG_SPACE(it->datalen);
	*pos = p < b->len ? p : b->len;
	return 1;
}

int ancil_buf_next(const struct ancil_buf *b, size_t *pos, struct ancil_item *item)
{
	return parse(b, pos, item, 0);
}

int ancil_item_fd(const struct ancil_item *item, size_t i)
{
	int fd;

	if ((item->kind != ANCIL_RIGHTS && item->kind != ANCIL_PIDFD) || i >= item->nfds) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&fd, item->data + i * sizeof(int), sizeof(int));
	return fd;
}

/*
 * Closes every descriptor in b's messages, clamping lengths when clamp is
 * set; stops at the first header that cannot be parsed.  Keeps errno.
 */
static void close_all(struct ancil_buf *b, int clamp)
{
	struct ancil_item it;
	size_t pos = 0;
	int saved = errno;

	while (parse(b, &pos, &it, clamp) == 1) {
		if (it.kind != ANCIL_RIGHTS && it.kind != ANCIL_PIDFD)
			continue;
		for (size_t i = 0; i < it.nfds; i++) {
			int fd = ancil_item_fd(&it, i);

			if (fd >= 0)
				close(fd);
		}
	}
	errno = saved;
}

void ancil_buf_close(struct ancil_buf *b)
{
	close_all(b, 0);
	ancil_buf_clear(b);
}

/* Descriptors that the SCM_RIGHTS messages in b carry, or -1 (EBADMSG). */
static long count_fds(const struct ancil_buf *b)
{
	struct ancil_item it;
	size_t pos = 0;
	long n = 0;
	int r;

	while ((r = parse(b, &pos, &it, 0)) == 1)
		if (it.kind == ANCIL_RIGHTS)
			n += (long)it.nfds;
	return r == -1 ? -1 : n;
}

/*
 * Appends one control message of the given payload, all or nothing.
 * The header is assembled field by field (cmsg_len is size_t on glibc but
 * socklen_t elsewhere) and copied in; padding is zeroed.
 */
static int append(struct ancil_buf *b, int level, int type, const void *data, size_t len)
{
	struct cmsghdr h;
	size_t off = cmsg_align(b->len);
	size_t space = CMSG_SPACE(len);

	if (off > b->cap || b->cap - off < space) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&h, 0, sizeof(h));
	h.cmsg_len = CMSG_LEN(len);
	h.cmsg_level = level;
	h.cmsg_type = type;
	memset(b->data + b->len, 0, off + space - b->len);
	memcpy(b->data + off, &h, sizeof(h));
	if (len)
		memcpy(b->data + off + CMSG_HDRLEN, data, len);
	b->len = off + space;
	return 0;
}

int ancil_buf_add_fds(struct ancil_buf *b, const int *fds, size_t nfds)
{
	long have;

	if (nfds == 0 || nfds > ANCIL_MAX_FDS || !fds) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < nfds; i++) {
		if (fds[i] < 0) {
			errno = EINVAL;
			return -1;
		}
	}
	if ((have = count_fds(b)) == -1)
		return -1;
	if ((size_t)have + nfds > ANCIL_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (append(b, SOL_SOCKET, SCM_RIGHTS, fds, nfds * sizeof(int)) == -1)
		return -1;
	return (int)nfds;
}

int ancil_buf_add_creds(struct ancil_buf *b, const struct ancil_cred *cred)
{
#if defined(OS_CRED_LINUX)
	struct ucred uc;

	memset(&uc, 0, sizeof(uc));
	uc.pid = cred ? cred->pid : getpid();
	uc.uid = cred ? cred->uid : getuid();
	uc.gid = cred ? cred->gid : getgid();
	return append(b, SOL_SOCKET, SCM_CREDENTIALS, &uc, sizeof(uc));
#elif defined(OS_CRED_FREEBSD)
	struct cmsgcred cc;

	/* The kernel fills the structure in; nobody can claim others. */
	if (cred) {
		errno = ENOTSUP;
		return -1;
	}
	memset(&cc, 0, sizeof(cc));
	return append(b, SOL_SOCKET, SCM_CREDS, &cc, sizeof(cc));
#else
	(void)b;
	(void)cred;
	errno = ENOTSUP;
	return -1;
#endif
}

int ancil_check_unix(int sock, int *type)
{
	int family = -1;
	socklen_t sl;

#ifdef OS_HAVE_SO_DOMAIN
	sl = sizeof(family);
	if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &family, &sl) == -1) {
		if (errno != ENOPROTOOPT)
			return -1;
		family = -1;
	}
#endif
	if (family == -1) {
		struct sockaddr_storage ss;

		sl = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (getsockname(sock, (struct sockaddr *)&ss, &sl) == -1)
			return -1;
		family = ss.ss_family;
	}
	if (family != AF_UNIX) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (type) {
		sl = sizeof(*type);
		if (getsockopt(sock, SOL_SOCKET, SO_TYPE, type, &sl) == -1)
			return -1;
	}
	return 0;
}

/* sendmsg(2) with EINTR retried; sock already checked to be AF_UNIX. */
static ssize_t send_raw(int sock, const struct iovec *iov, size_t niov, const struct ancil_buf *b)
{
	struct msghdr msg;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = (struct iovec *)iov;
	msg.msg_iovlen = niov;
	if (b && b->len) {
		msg.msg_control = b->data;
		msg.msg_controllen = b->len;
	}
#ifdef OS_SO_NOSIGPIPE
	{
		int on = 1;

		(void)setsockopt(sock, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on));
	}
#endif
	do
		n = sendmsg(sock, &msg, OS_MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n;
}

static size_t iov_total(const struct iovec *iov, size_t niov)
{
	size_t t = 0;

	for (size_t i = 0; i < niov; i++)
		t += iov[i].iov_len;
	return t;
}

ssize_t ancil_sendmsg(int sock, const struct iovec *iov, size_t niov, const struct ancil_buf *b)
{
	int type = -1;
	/* The type matters only for control data with no bytes: ask then. */
	int empty = b && b->len && iov_total(iov, niov) == 0;

	if (ancil_check_unix(sock, empty ? &type : NULL) == -1)
		return -1;
	if (empty && type == SOCK_STREAM) {
		errno = EINVAL;
		return -1;
	}
	return send_raw(sock, iov, niov, b);
}

/* Sets FD_CLOEXEC on every descriptor in b (systems without MSG_CMSG_CLOEXEC); clamp as for parse. */
static int set_cloexec_all(const struct ancil_buf *b, int clamp)
{
#ifndef OS_HAVE_MSG_CMSG_CLOEXEC
	struct ancil_item it;
	size_t pos = 0;

	while (parse(b, &pos, &it, clamp) == 1) {
		if (it.kind != ANCIL_RIGHTS && it.kind != ANCIL_PIDFD)
			continue;
		for (size_t i = 0; i < it.nfds; i++) {
			int fd = ancil_item_fd(&it, i);
			int fl = fcntl(fd, F_GETFD);

			if (fl == -1 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
				return -1;
		}
	}
#else
	(void)b;
	(void)clamp;
#endif
	return 0;
}

/*
 * recvmsg(2) with EINTR retried, into b (may be NULL); see ancil_recvmsg.
 * sock is already checked.  With keep, a message that lost only control
 * data is returned with b->truncated set and what arrived left in b (see
 * ancil_recv); b's lengths may then need clamping (parse's clamp).
 */
static ssize_t recv_raw(int sock, struct iovec *iov, size_t niov, struct ancil_buf *b,
    int flags, int keep)
{
	struct msghdr msg;
	struct ancil_buf none;
	ssize_t n;

	if (flags & (MSG_PEEK | MSG_OOB)) {
		errno = EINVAL;
		return -1;
	}
	if (!b) {
		ancil_buf_init(&none, NULL, 0);
		b = &none;
	}
	b->len = 0;
	b->truncated = 0;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = niov;
	if (b->cap) {
		msg.msg_control = b->data;
		msg.msg_controllen = b->cap;
	}
	do
		n = recvmsg(sock, &msg, flags | OS_MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (msg.msg_control)
		b->len = (size_t)msg.msg_controllen < b->cap ? (size_t)msg.msg_controllen : b->cap;
	if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
		b->truncated = (msg.msg_flags & MSG_CTRUNC ? ANCIL_TRUNC_CTRL : 0) |
		    (msg.msg_flags & MSG_TRUNC ? ANCIL_TRUNC_DATA : 0);
		/* No room left for one more descriptor: the buffer, not the receiver, was short. */
		if ((msg.msg_flags & MSG_CTRUNC) && b->cap - b->len < CMSG_SPACE(sizeof(int)))
			b->truncated |= ANCIL_TRUNC_ROOM;
		if (keep && !(b->truncated & ANCIL_TRUNC_DATA) && set_cloexec_all(b, 1) == 0)
			return n;
		/* A message cut short is no message: nothing of it stays open. */
		close_all(b, 1);
		b->len = 0;
		errno = EMSGSIZE;
		return -1;
	}
	if (count_fds(b) == -1) {
		close_all(b, 1);
		b->len = 0;
		errno = EBADMSG;
		return -1;
	}
	if (set_cloexec_all(b, 0) == -1) {
		close_all(b, 0);
		b->len = 0;
		return -1;
	}
	return n;
}

ssize_t ancil_recvmsg(int sock, struct iovec *iov, size_t niov, struct ancil_buf *b, int flags)
{
	if (b) {
		b->len = 0;
		b->truncated = 0;
	}
	if (flags & (MSG_PEEK | MSG_OOB)) {
		errno = EINVAL;
		return -1;
	}
	if (ancil_check_unix(sock, NULL) == -1)
		return -1;
	return recv_raw(sock, iov, niov, b, flags, 0);
}

/* Waits until sock is writable; EINTR retried. */
static int wait_writable(int sock)
{
	struct pollfd p;
	int r;

	p.fd = sock;
	p.events = POLLOUT;
	p.revents = 0;
	do
		r = poll(&p, 1, -1);
	while (r == -1 && errno == EINTR);
	return r == -1 ? -1 : 0;
}

/*
 * Sends len bytes of buf with the control messages in b on an AF_UNIX
 * socket of the given type (-1 when unknown, which is allowed for len > 0
 * only).  On a stream socket the whole buffer goes out, b with the first
 * byte only; a non-blocking socket is polled.  The loop itself needs no
 * type: a datagram or seqpacket send is all or nothing (n == len).
 */
static ssize_t send_all(int sock, int type, const void *buf, size_t len, const struct ancil_buf *b)
{
	const unsigned char *p = buf;
	size_t done = 0;
	int nonblock = -1;

	if (b && b->len && type == SOCK_STREAM && len == 0) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		struct iovec iov;
		ssize_t n;

		iov.iov_base = (void *)(p + done);
		iov.iov_len = len - done;
		n = send_raw(sock, &iov, 1, done == 0 ? b : NULL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			/* A blocking socket says EAGAIN when SO_SNDTIMEO expired. */
			if (nonblock == -1) {
				int fl = fcntl(sock, F_GETFL);

				nonblock = fl != -1 && (fl & O_NONBLOCK);
			}
			if (!nonblock) {
				errno = EAGAIN;
				return -1;
			}
			if (wait_writable(sock) == -1)
				return -1;
			continue;
		}
		done += (size_t)n;
		if (done >= len)
			return (ssize_t)len;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
	}
}

int ancil_chan_init(struct ancil_chan *ch, int sock)
{
	ch->sock = -1;
	ch->type = -1;
	if (ancil_check_unix(sock, &ch->type) == -1)
		return -1;
	ch->sock = sock;
	return 0;
}

/* Argument checks shared by ancil_send and ancil_chan_send. */
static int send_args_ok(const void *buf, size_t len, const int *fds, size_t nfds)
{
	if (nfds > ANCIL_MAX_FDS || (nfds && !fds) || (len && !buf)) {
		errno = EINVAL;
		return 0;
	}
	return 1;
}

ssize_t ancil_chan_send(const struct ancil_chan *ch, const void *buf, size_t len, const int *fds,
    size_t nfds, const struct ancil_cred *cred)
{
	ANCIL_BUFFER(cb, ANCIL_MAX_FDS, 1);
	struct ancil_buf b;

	if (!send_args_ok(buf, len, fds, nfds))
		return -1;
	if (ch->type == SOCK_STREAM && len == 0 && (nfds || cred)) {
		errno = EINVAL;
		return -1;
	}
	ancil_buf_init(&b, cb.bytes, sizeof(cb.bytes));
	if (nfds && ancil_buf_add_fds(&b, fds, nfds) == -1)
		return -1;
	if (cred && ancil_buf_add_creds(&b, cred->pid == -1 ? NULL : cred) == -1)
		return -1;
	return send_all(ch->sock, ch->type, buf, len, &b);
}

ssize_t ancil_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
    const struct ancil_cred *cred)
{
	struct ancil_chan ch = { .sock = sock, .type = -1 };

	if (!send_args_ok(buf, len, fds, nfds))
		return -1;
	/* One getsockopt: the type matters only for an empty send (see send_all). */
	if (ancil_check_unix(sock, len == 0 && (nfds || cred) ? &ch.type : NULL) == -1)
		return -1;
	return ancil_chan_send(&ch, buf, len, fds, nfds, cred);
}

/* Sorts the messages of b into rx: descriptors kept or closed, credentials. */
static void take_rx(struct ancil_buf *b, struct ancil_rx *rx)
{
	struct ancil_item it;
	size_t pos = 0;

	/* A truncated receipt (kept) may need its lengths clamped. */
	while (parse(b, &pos, &it, b->truncated != 0) == 1) {
		if (it.kind == ANCIL_CREDS) {
			rx->have_cred = 1;
			rx->cred = it.cred;
			continue;
		}
		if (it.kind != ANCIL_RIGHTS && it.kind != ANCIL_PIDFD)
			continue;
		for (size_t i = 0; i < it.nfds; i++) {
			int fd = ancil_item_fd(&it, i);

			if (it.kind == ANCIL_RIGHTS && rx->nfds < rx->maxfds) {
				rx->fds[rx->nfds++] = fd;
				continue;
			}
			close(fd);
			if (it.kind == ANCIL_RIGHTS)
				rx->nsurplus++;
		}
	}
	b->len = 0;
}

static void rx_reset(struct ancil_rx *rx)
{
	rx->nfds = 0;
	rx->nsurplus = 0;
	rx->have_cred = 0;
	rx->truncated = 0;
	rx->cred.pid = -1;
	rx->cred.uid = (uid_t)-1;
	rx->cred.gid = (gid_t)-1;
}

ssize_t ancil_chan_recv(const struct ancil_chan *ch, void *buf, size_t len, struct ancil_rx *rx,
    int flags)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[ANCIL_RECV_SPACE];
	} cb;
	struct ancil_buf b;
	struct iovec iov;
	ssize_t n;

	rx_reset(rx);
	if ((rx->maxfds && !rx->fds) || (len && !buf)) {
		errno = EINVAL;
		return -1;
	}
	ancil_buf_init(&b, cb.bytes, sizeof(cb.bytes));
	iov.iov_base = buf;
	iov.iov_len = len;
	n = recv_raw(ch->sock, &iov, 1, &b, flags, rx->keep_truncated);
	rx->truncated = b.truncated;
	if (n == -1)
		return -1;
	take_rx(&b, rx);
	return n;
}

ssize_t ancil_recv(int sock, void *buf, size_t len, struct ancil_rx *rx, int flags)
{
	/* The receive path needs no type: one getsockopt (SO_DOMAIN). */
	struct ancil_chan ch = { .sock = sock, .type = -1 };

	rx_reset(rx);
	if ((rx->maxfds && !rx->fds) || (len && !buf) || (flags & (MSG_PEEK | MSG_OOB))) {
		errno = EINVAL;
		return -1;
	}
	if (ancil_check_unix(sock, NULL) == -1)
		return -1;
	return ancil_chan_recv(&ch, buf, len, rx, flags);
}

int ancil_peer_cred(int sock, struct ancil_cred *cred)
{
	cred->pid = -1;
	cred->uid = (uid_t)-1;
	cred->gid = (gid_t)-1;
	if (ancil_check_unix(sock, NULL) == -1)
		return -1;
#if defined(OS_PEERCRED_UCRED)
	{
		struct ucred uc;
		socklen_t sl = sizeof(uc);

		if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &uc, &sl) == -1)
			return -1;
		cred->pid = uc.pid;
		cred->uid = uc.uid;
		cred->gid = uc.gid;
	}
#elif defined(OS_PEERCRED_SOCKPEERCRED)
	{
		struct sockpeercred pc;
		socklen_t sl = sizeof(pc);

		if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &pc, &sl) == -1)
			return -1;
		cred->pid = pc.pid;
		cred->uid = pc.uid;
		cred->gid = pc.gid;
	}
#elif defined(OS_PEERCRED_XUCRED)
	{
		struct xucred xc;
		socklen_t sl = sizeof(xc);

		memset(&xc, 0, sizeof(xc));
		if (getsockopt(sock, SOL_LOCAL, LOCAL_PEERCRED, &xc, &sl) == -1)
			return -1;
		if (xc.cr_version != XUCRED_VERSION) {
			errno = EINVAL;
			return -1;
		}
		cred->uid = xc.cr_uid;
		if (xc.cr_ngroups > 0)
			cred->gid = xc.cr_groups[0];
#ifdef OS_XUCRED_PID
		cred->pid = xc.cr_pid;
#endif
	}
#elif defined(OS_PEERCRED_GETPEEREID)
	{
		uid_t u;
		gid_t g;

		if (getpeereid(sock, &u, &g) == -1)
			return -1;
		cred->uid = u;
		cred->gid = g;
	}
#else
	errno = ENOTSUP;
	return -1;
#endif
	return 0;
}

int ancil_peer_groups(int sock, gid_t *groups, size_t max)
{
#ifdef SO_PEERGROUPS
	socklen_t sl = (socklen_t)(max * sizeof(gid_t));

	if (ancil_check_unix(sock, NULL) == -1)
		return -1;
	/* ERANGE says how much room all of them need. */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERGROUPS, groups, &sl) == -1 && errno != ERANGE)
		return -1;
	return (int)(sl / sizeof(gid_t));
#else
	(void)sock;
	(void)groups;
	(void)max;
	errno = ENOPROTOOPT;
	return -1;
#endif
}

int ancil_peer_pidfd(int sock)
{
#ifdef SO_PEERPIDFD
	int fd = -1, fl;
	socklen_t sl = sizeof(fd);

	if (ancil_check_unix(sock, NULL) == -1)
		return -1;
	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &sl) == -1)
		return -1;
	/* The kernel makes it close-on-exec; make sure, or give it back. */
	if ((fl = fcntl(fd, F_GETFD)) == -1 ||
	    (!(fl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)) {
		ancil_close_fds(&fd, 1);
		return -1;
	}
	return fd;
#else
	(void)sock;
	errno = ENOPROTOOPT;
	return -1;
#endif
}

int ancil_pass_creds(int sock)
{
	if (ancil_check_unix(sock, NULL) == -1)
		return -1;
#if defined(OS_CRED_LINUX)
	{
		int on = 1;

		return setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	}
#elif defined(OS_CRED_FREEBSD)
	/* The sender's SCM_CREDS is filled in by the kernel: nothing to turn on. */
	return 0;
#else
	errno = ENOTSUP;
	return -1;
#endif
}

void ancil_close_fds(int *fds, size_t nfds)
{
	int saved = errno;

	for (size_t i = 0; i < nfds; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	errno = saved;
}
