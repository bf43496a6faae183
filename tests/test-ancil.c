/* test-ancil.c - unit tests of the ancillary-data core over socketpair(2). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ancil.h"
#include "tap.h"

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

#define NPOOL ANCIL_MAX_FDS

/* NPOOL distinct memfds; pool[i] is i + 1 bytes long. */
static int pool[NPOOL];
static struct fdset fs, mid;
static volatile sig_atomic_t nsig;

static void on_signal(int sig)
{
	(void)sig;
	nsig++;
}

/* SIGUSR1 counted, interrupting system calls (no SA_RESTART), or ignored. */
static void catch_usr1(int on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_signal : SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	nsig = 0;
}

static int memfd(size_t size)
{
	int fd = (int)syscall(SYS_memfd_create, "test-ancil", 1U /* MFD_CLOEXEC */);

	if (fd != -1 && ftruncate(fd, (off_t)size) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static off_t fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == -1 ? -1 : st.st_size;
}





/* got[i] is the same open file as want[i], close-on-exec, sharing the offset. */
static int same_files(const int *got, const int *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		off_t off = (off_t)(i % 97) + 3;

		if (!fd_same_file(got[i], want[i]) || !fd_is_cloexec(got[i]))
			return 0;
		if (lseek(got[i], off, SEEK_SET) != off || lseek(want[i], 0, SEEK_CUR) != off)
			return 0;
		lseek(want[i], 0, SEEK_SET);
	}
	return 1;
}

static const char *tname(int type)
{
	return type == SOCK_STREAM ? "stream" : type == SOCK_SEQPACKET ? "seqpacket" : "datagram";
}

/* ---- low-level buffer ---------------------------------------------------- */

static void test_buffer(void)
{
	ANCIL_BUFFER(one, 1, 0);
	ANCIL_BUFFER(big, ANCIL_MAX_FDS, 1);
	struct ancil_buf b;
	struct ancil_item it;
	size_t pos = 0;
	int r, fds[ANCIL_MAX_FDS + 1];

	fdset_take(&fs);
	ancil_buf_init(&b, big.bytes, sizeof(big.bytes));
	ok(ancil_buf_capacity(&b) == sizeof(big.bytes) && ancil_buf_length(&b) == 0 &&
	    ancil_buf_empty(&b) && !ancil_buf_truncated(&b),
	    "a fresh buffer has its capacity, no length, is empty and not truncated");

	r = ancil_buf_add_fds(&b, pool, 1);
	ok(r == 1 && ancil_buf_length(&b) == CMSG_SPACE(sizeof(int)) && !ancil_buf_empty(&b) &&
	    ancil_buf_next(&b, &pos, &it) == 1 && it.kind == ANCIL_RIGHTS && it.nfds == 1 &&
	    it.level == SOL_SOCKET && it.type == SCM_RIGHTS && ancil_item_fd(&it, 0) == pool[0] &&
	    ancil_buf_next(&b, &pos, &it) == 0,
	    "one descriptor takes CMSG_SPACE(sizeof(int)) and iterates back as one RIGHTS item");
	errno = 0;
	ok(ancil_item_fd(&it, 1) == -1 && errno == EINVAL,
	    "a descriptor index past the item is EINVAL");
	ancil_buf_clear(&b);
	ok(ancil_buf_empty(&b) && ancil_buf_length(&b) == 0 && fd_is_open(pool[0]),
	    "clearing a buffer empties it without closing the borrowed descriptor");

	ancil_buf_init(&b, one.bytes, sizeof(one.bytes));
	r = ancil_buf_add_fds(&b, pool, 2);
	ok(r == 2, "a buffer sized CMSG_SPACE(sizeof(int)) has room for two descriptors (%zu bytes)",
	    sizeof(one.bytes));
	ancil_buf_clear(&b);
	errno = 0;
	r = ancil_buf_add_fds(&b, pool, 3);
	ok(r == -1 && errno == EMSGSIZE && ancil_buf_empty(&b),
	    "three descriptors into room for one fail with EMSGSIZE and leave the buffer empty");
	ancil_buf_add_fds(&b, pool, 1);
	errno = 0;
	r = ancil_buf_add_fds(&b, pool + 1, 1);
	ok(r == -1 && errno == EMSGSIZE && ancil_buf_length(&b) == CMSG_SPACE(sizeof(int)),
	    "a second message into a full buffer fails with EMSGSIZE and leaves the first intact");
	errno = 0;
	r = ancil_buf_add_creds(&b, NULL);
	ok(r == -1 && errno == EMSGSIZE && ancil_buf_length(&b) == CMSG_SPACE(sizeof(int)),
	    "credentials into a full buffer fail with EMSGSIZE and change nothing");

	ancil_buf_init(&b, big.bytes, sizeof(big.bytes));
	fds[0] = 0;
	fds[1] = -1;
	errno = 0;
	r = ancil_buf_add_fds(&b, fds, 2);
	ok(r == -1 && errno == EINVAL && ancil_buf_empty(&b),
	    "a negative descriptor is EINVAL and adds nothing");
	errno = 0;
	r = ancil_buf_add_fds(&b, fds, 0);
	ok(r == -1 && errno == EINVAL && ancil_buf_empty(&b), "zero descriptors are EINVAL");
	for (int i = 0; i <= ANCIL_MAX_FDS; i++)
		fds[i] = pool[i % NPOOL];
	errno = 0;
	r = ancil_buf_add_fds(&b, fds, ANCIL_MAX_FDS + 1);
	ok(r == -1 && errno == EINVAL && ancil_buf_empty(&b),
	    "254 descriptors in one message are EINVAL");
	r = ancil_buf_add_fds(&b, fds, 200);
	errno = 0;
	ok(r == 200 && ancil_buf_add_fds(&b, fds, 54) == -1 && errno == EINVAL &&
	    ancil_buf_length(&b) == CMSG_SPACE(200 * sizeof(int)) &&
	    ancil_buf_add_fds(&b, fds, 53) == 53,
	    "200 then 54 more descriptors exceed 253 in all (EINVAL, unchanged), 53 more fit");

	ancil_buf_init(&b, big.bytes, sizeof(big.bytes));
	pos = 0;
	r = ancil_buf_add_creds(&b, NULL);
	ok(r == 0 && ancil_buf_next(&b, &pos, &it) == 1 && it.kind == ANCIL_CREDS &&
	    it.cred.pid == getpid() && it.cred.uid == getuid() && it.cred.gid == getgid() &&
	    it.datalen == ancil_cred_size(),
	    "this process's credentials are added and iterate back as a CREDS item");
	ok_fdset(&fs, "the buffer functions open and close nothing");
}

/* Writes a raw control message header at off of mem. */
static void raw_hdr(unsigned char *mem, size_t off, size_t len, int level, int type)
{
	struct cmsghdr h;

	memset(&h, 0, sizeof(h));
	h.cmsg_len = len;
	h.cmsg_level = level;
	h.cmsg_type = type;
	memcpy(mem + off, &h, sizeof(h));
}

static void test_parser(void)
{
	ANCIL_BUFFER(m, 8, 2);
	struct ancil_buf b;
	struct ancil_item it;
	size_t pos;
	int r, fd2[2];
	int bad = 0;

	fdset_take(&fs);
	static const struct {
		size_t len;
		const char *what;
	} cases[] = {
		{ 0, "zero" },
		{ sizeof(struct cmsghdr) - 1, "smaller than the header" },
		{ 4096, "larger than the buffer" },
		{ CMSG_LEN(5), "not a whole number of descriptors" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(m.bytes, 0, sizeof(m.bytes));
		raw_hdr(m.bytes, 0, cases[i].len, SOL_SOCKET, SCM_RIGHTS);
		ancil_buf_init(&b, m.bytes, sizeof(m.bytes));
		b.len = CMSG_SPACE(8);
		pos = 0;
		errno = 0;
		r = ancil_buf_next(&b, &pos, &it);
		ok(r == -1 && errno == EBADMSG, "a control message length that is %s is EBADMSG",
		    cases[i].what);
	}
	ancil_buf_init(&b, m.bytes, sizeof(m.bytes));
	ancil_buf_add_fds(&b, pool, 1);
	b.len += 4;	/* a tail shorter than a header */
	pos = 0;
	errno = 0;
	r = ancil_buf_next(&b, &pos, &it);
	ok(r == 1 && ancil_buf_next(&b, &pos, &it) == -1 && errno == EBADMSG,
	    "trailing bytes shorter than a header after a good message are EBADMSG");

	/* An unknown message, then descriptors. */
	memset(m.bytes, 0, sizeof(m.bytes));
	raw_hdr(m.bytes, 0, CMSG_LEN(3), 0x1234, 7);
	ancil_buf_init(&b, m.bytes, sizeof(m.bytes));
	b.len = CMSG_SPACE(3);
	r = ancil_buf_add_fds(&b, pool, 2);
	pos = 0;
	ok(r == 2 && ancil_buf_next(&b, &pos, &it) == 1 && it.kind == ANCIL_OTHER &&
	    it.level == 0x1234 && it.type == 7 && it.datalen == 3 &&
	    ancil_buf_next(&b, &pos, &it) == 1 && it.kind == ANCIL_RIGHTS && it.nfds == 2 &&
	    ancil_item_fd(&it, 1) == pool[1] && ancil_buf_next(&b, &pos, &it) == 0,
	    "an unknown control message is reported as OTHER and skipped");

	/* ancil_buf_close closes well-formed messages and stops at a bad one. */
	fd2[0] = fcntl(pool[0], F_DUPFD_CLOEXEC, 0);
	fd2[1] = fcntl(pool[1], F_DUPFD_CLOEXEC, 0);
	ancil_buf_init(&b, m.bytes, sizeof(m.bytes));
	ancil_buf_add_fds(&b, fd2, 2);
	raw_hdr(m.bytes, b.len, 1, SOL_SOCKET, SCM_RIGHTS);
	b.len += CMSG_SPACE(sizeof(int));
	ancil_buf_close(&b);
	ok(!fd_is_open(fd2[0]) && !fd_is_open(fd2[1]) && ancil_buf_empty(&b),
	    "closing a buffer closes the descriptors before a malformed header and empties it");

	/* Random control data: never reports anything past the bytes present. */
	srand(12345);
	for (int round = 0; round < 20000 && !bad; round++) {
		size_t len = (size_t)rand() % (sizeof(m.bytes) + 1);

		for (size_t i = 0; i < sizeof(m.bytes); i++)
			m.bytes[i] = (unsigned char)rand();
		/* Small lengths are the interesting ones. */
		if (round % 2)
			raw_hdr(m.bytes, 0, (size_t)rand() % 64, SOL_SOCKET, rand() % 5);
		ancil_buf_init(&b, m.bytes, sizeof(m.bytes));
		b.len = len;
		pos = 0;
		for (int k = 0; k < 100; k++) {
			size_t old = pos;

			r = ancil_buf_next(&b, &pos, &it);
			if (r != 1) {
				if (r == -1 && errno != EBADMSG)
					bad = 1;
				break;
			}
			if (pos <= old || pos > len || it.data < m.bytes ||
			    it.data + it.datalen > m.bytes + len ||
			    ((it.kind == ANCIL_RIGHTS || it.kind == ANCIL_PIDFD) &&
			    it.nfds * sizeof(int) > it.datalen))
				bad = 1;
		}
	}
	ok(!bad, "20000 random control buffers parse without an item past the bytes present");
	ok_fdset(&fs, "parsing never opens or closes a descriptor it was not asked to");
}

/* ---- round trips --------------------------------------------------------- */

static void test_roundtrip(int type, size_t n)
{
	int sv[2], got[ANCIL_MAX_FDS];
	struct ancil_rx rx = { .fds = got, .maxfds = ANCIL_MAX_FDS };
	char c = 'x', r = 0;
	ssize_t s, q;

	fdset_take(&fs);
	test_pair(type, sv);
	s = ancil_send(sv[0], &c, 1, pool, n, NULL);
	q = ancil_recv(sv[1], &r, 1, &rx, 0);
	ok(s == 1 && q == 1 && r == 'x' && rx.nfds == n && rx.nsurplus == 0 &&
	    same_files(got, pool, n),
	    "%zu descriptor%s over %s: same open files in order, shared offsets, close-on-exec",
	    n, n == 1 ? "" : "s", tname(type));
	ancil_close_fds(got, rx.nfds);
	test_close2(sv);
	ok_fdset(&fs, "%s round trip of %zu leaves nothing open", tname(type), n);
}

static void test_too_many(void)
{
	int sv[2], fds[ANCIL_MAX_FDS + 1];
	char c;
	ssize_t r;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	for (int i = 0; i <= ANCIL_MAX_FDS; i++)
		fds[i] = pool[i % NPOOL];
	errno = 0;
	r = ancil_send(sv[0], "x", 1, fds, ANCIL_MAX_FDS + 1, NULL);
	ok(r == -1 && errno == EINVAL && recv(sv[1], &c, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN,
	    "254 descriptors are refused with EINVAL before anything is sent");
	test_close2(sv);
	ok_fdset(&fs, "a refused send leaves nothing open");
}

static void test_small_buffer(void)
{
	union {
		struct cmsghdr h;
		unsigned char bytes[CMSG_SPACE(sizeof(int))];
	} cb;
	struct ancil_buf b;
	struct ancil_item it;
	struct iovec iov;
	int sv[2];
	char c;
	ssize_t r;
	size_t pos = 0;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	fdset_take(&mid);
	iov.iov_base = &c;
	iov.iov_len = 1;
	ancil_buf_init(&b, cb.bytes, sizeof(cb.bytes));
	ancil_send(sv[0], "x", 1, pool, 2, NULL);
	r = ancil_recvmsg(sv[1], &iov, 1, &b, 0);
	ok(r == 1 && !ancil_buf_truncated(&b) && ancil_buf_next(&b, &pos, &it) == 1 &&
	    it.nfds == 2 && fd_same_file(ancil_item_fd(&it, 0), pool[0]) &&
	    fd_same_file(ancil_item_fd(&it, 1), pool[1]),
	    "a CMSG_SPACE(sizeof(int)) buffer receives two descriptors untruncated");
	ancil_buf_close(&b);
	ok_fdset(&mid, "ancil_buf_close closes both received descriptors");

	ancil_send(sv[0], "y", 1, pool, 3, NULL);
	errno = 0;
	r = ancil_recvmsg(sv[1], &iov, 1, &b, 0);
	ok(r == -1 && errno == EMSGSIZE && ancil_buf_empty(&b) &&
	    ancil_buf_truncated(&b) == (ANCIL_TRUNC_CTRL | ANCIL_TRUNC_ROOM),
	    "three descriptors into a CMSG_SPACE(sizeof(int)) buffer are EMSGSIZE, empty, "
	    "truncated for want of room");
	ok_fdset(&mid, "the two descriptors that did fit were closed");

	ancil_send(sv[0], "z", 1, pool, 1, NULL);
	errno = 0;
	r = ancil_recvmsg(sv[1], &iov, 1, NULL, 0);
	ok(r == -1 && errno == EMSGSIZE, "a descriptor sent to a receiver with no control buffer is EMSGSIZE");
	test_close2(sv);
	ok_fdset(&fs, "truncation with no control buffer leaves nothing open");
}

/* A datagram or packet longer than the buffer: cut bytes are no message either. */
static void test_data_truncated(int type)
{
	static char big[4096];
	int sv[2], got[4];
	struct ancil_rx rx = { .fds = got, .maxfds = 4 };
	char small[100];
	ssize_t r;

	fdset_take(&fs);
	test_pair(type, sv);
	fdset_take(&mid);
	memset(big, 'x', sizeof(big));
	ancil_send(sv[0], big, sizeof(big), pool, 2, NULL);
	errno = 0;
	r = ancil_recv(sv[1], small, sizeof(small), &rx, 0);
	ok(r == -1 && errno == EMSGSIZE && rx.truncated == ANCIL_TRUNC_DATA && rx.nfds == 0,
	    "%s: a 4096-byte message into 100 bytes is EMSGSIZE with the data-truncated flag", tname(type));
	ok_fdset(&mid, "%s: the two descriptors of the cut message were closed", tname(type));
	ancil_send(sv[0], "ok", 2, pool, 1, NULL);
	r = ancil_recv(sv[1], small, sizeof(small), &rx, 0);
	ok(r == 2 && rx.nfds == 1 && rx.truncated == 0 && fd_same_file(got[0], pool[0]),
	    "%s: the next message arrives whole, truncated flags clear", tname(type));
	ancil_close_fds(got, rx.nfds);
	test_close2(sv);
	ok_fdset(&fs, "%s: truncated messages leave nothing open", tname(type));
}

/* The receiver at RLIMIT_NOFILE: room for two of five descriptors. */
static void test_rlimit(void)
{
	int sv[2], up[2], down[2], status;
	pid_t pid;
	long lim = 0;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	if (pipe2(up, O_CLOEXEC) == -1 || pipe2(down, O_CLOEXEC) == -1)
		exit(99);
	pid = test_fork();
	if (pid == 0) {
		static struct fdset before, after;
		int got[8], code = 0;
		struct ancil_rx rx = { .fds = got, .maxfds = 8 };
		ANCIL_BUFFER(cb, 8, 0);
		struct ancil_buf b;
		struct iovec iov;
		char c, go;

		fdset_take(&before);
		lim = fdset_limit(&before, 2);
		if (write(up[1], &lim, sizeof(lim)) != sizeof(lim) || read(down[0], &go, 1) != 1)
			_exit(90);
		errno = 0;
		if (ancil_recv(sv[1], &c, 1, &rx, 0) != -1 || errno != EMSGSIZE || rx.nfds)
			code |= 1;
		iov.iov_base = &c;
		iov.iov_len = 1;
		ancil_buf_init(&b, cb.bytes, sizeof(cb.bytes));
		errno = 0;
		if (ancil_recvmsg(sv[1], &iov, 1, &b, 0) != -1 || errno != EMSGSIZE ||
		    !ancil_buf_truncated(&b) || !ancil_buf_empty(&b))
			code |= 2;
		/* Kept: the two that arrived are handed over, close-on-exec, the cause told apart. */
		rx.keep_truncated = 1;
		if (ancil_recv(sv[1], &c, 1, &rx, 0) != 1 || c != 'k' || rx.nfds != 2 ||
		    rx.truncated != ANCIL_TRUNC_CTRL || !(fcntl(got[0], F_GETFD) & FD_CLOEXEC) ||
		    !(fcntl(got[1], F_GETFD) & FD_CLOEXEC) || !fd_same_file(got[1], pool[1]))
			code |= 8;
		ancil_close_fds(got, rx.nfds);
		fdset_take(&after);
		if (after.n != before.n || memcmp(after.fds, before.fds, after.n * sizeof(int)))
			code |= 4;
		_exit(code);
	}
	if (read(up[0], &lim, sizeof(lim)) == sizeof(lim)) {
		struct rlimit rl = { (rlim_t)lim, (rlim_t)lim };

		/* From outside: valgrind intercepts a process's own setrlimit. */
		if (prlimit(pid, RLIMIT_NOFILE, &rl, NULL) == -1)
			diag("prlimit: %s", strerror(errno));
		ancil_send(sv[0], "a", 1, pool, 5, NULL);
		ancil_send(sv[0], "b", 1, pool, 5, NULL);
		ancil_send(sv[0], "k", 1, pool, 5, NULL);
		if (write(down[1], "g", 1) != 1)
			diag("write: %s", strerror(errno));
	}
	status = test_wait(pid);
	ok(status >= 0 && !(status & ~15) && !(status & 1),
	    "a receiver at RLIMIT_NOFILE (room for 2 of 5) gets EMSGSIZE from ancil_recv (status %d)",
	    status);
	ok(status >= 0 && !(status & ~15) && !(status & 2),
	    "ancil_recvmsg at RLIMIT_NOFILE reports EMSGSIZE with the truncated flag set");
	ok(status >= 0 && !(status & ~15) && !(status & 8),
	    "with keep_truncated, the 2 of 5 that arrived are handed over close-on-exec, "
	    "flagged CTRL without ROOM");
	ok(status >= 0 && !(status & ~15) && !(status & 4),
	    "the receiver at RLIMIT_NOFILE has exactly the descriptors it had before");
	test_close2(sv);
	test_close2(up);
	test_close2(down);
	ok_fdset(&fs, "the RLIMIT_NOFILE test leaves nothing open here");
}


static void test_raw_peers(void)
{
	int sv[2], got[8];
	struct ancil_rx rx = { .fds = got, .maxfds = 2 };
	char c;
	ssize_t r;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	fdset_take(&mid);
	test_raw_send(sv[0], "x", 1, pool, 5);
	r = ancil_recv(sv[1], &c, 1, &rx, 0);
	ok(r == 1 && rx.nfds == 2 && rx.nsurplus == 3 && fd_same_file(got[0], pool[0]) &&
	    fd_same_file(got[1], pool[1]),
	    "a peer sending 5 descriptors to room for 2: 2 kept in order, 3 counted as surplus");
	ancil_close_fds(got, 2);
	ok_fdset(&mid, "the 3 surplus descriptors were closed");

	rx.maxfds = 0;
	test_raw_send(sv[0], "x", 1, pool, 1);
	r = ancil_recv(sv[1], &c, 1, &rx, 0);
	ok(r == 1 && rx.nfds == 0 && rx.nsurplus == 1,
	    "a receiver asking for no descriptors gets one counted as surplus");
	ok_fdset(&mid, "a descriptor nobody asked for is closed");

	test_close2(sv);
	ok_fdset(&fs, "surplus descriptors leave nothing open");
}

/* ---- stream behaviour ---------------------------------------------------- */

static void test_stream_bytes(void)
{
	int sv[2], got[4];
	struct ancil_rx rx = { .fds = got, .maxfds = 4 };
	char buf[16];
	size_t have = 0, nfd = 0, fd_at = 99;
	ssize_t r;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	fdset_take(&mid);
	ancil_send(sv[0], "AA", 2, NULL, 0, NULL);
	ancil_send(sv[0], "BB", 2, pool, 1, NULL);
	ancil_send(sv[0], "CC", 2, NULL, 0, NULL);
	while (have < 6) {
		r = ancil_recv(sv[1], buf + have, sizeof(buf) - have, &rx, MSG_DONTWAIT);
		if (r <= 0)
			break;
		diag("read %zd bytes with %zu descriptor(s)", r, rx.nfds);
		if (rx.nfds && nfd == 0 && fd_same_file(got[0], pool[0]))
			fd_at = have;
		nfd += rx.nfds;
		ancil_close_fds(got, rx.nfds);
		have += (size_t)r;
	}
	ok(have == 6 && memcmp(buf, "AABBCC", 6) == 0 && nfd == 1 && fd_at == 0,
	    "fd-less bytes before and after an fd-carrying write arrive in order, one descriptor");
	ok_fdset(&mid, "mixed fd-less and fd-carrying writes leave nothing open");

	ancil_send(sv[0], "AA", 2, NULL, 0, NULL);
	ancil_send(sv[0], "BB", 2, pool, 1, NULL);
	ancil_send(sv[0], "CC", 2, NULL, 0, NULL);
	nfd = 0;
	fd_at = 99;
	for (have = 0; have < 6; have++) {
		r = ancil_recv(sv[1], buf + have, 1, &rx, MSG_DONTWAIT);
		if (r != 1)
			break;
		if (rx.nfds) {
			if (fd_same_file(got[0], pool[0]))
				fd_at = have;
			nfd += rx.nfds;
			ancil_close_fds(got, rx.nfds);
		}
	}
	ok(have == 6 && memcmp(buf, "AABBCC", 6) == 0 && nfd == 1 && fd_at == 2,
	    "a 1-byte-at-a-time reader gets the descriptor with the first byte of its write");
	ok_fdset(&mid, "the 1-byte reader closed what it got");

	errno = 0;
	r = ancil_send(sv[0], "", 0, pool, 1, NULL);
	ok(r == -1 && errno == EINVAL, "a zero-byte stream send with descriptors is EINVAL");
	{
		struct iovec iov = { .iov_base = buf, .iov_len = 0 };
		ANCIL_BUFFER(cb, 1, 0);
		struct ancil_buf b;

		ancil_buf_init(&b, cb.bytes, sizeof(cb.bytes));
		ancil_buf_add_fds(&b, pool, 1);
		errno = 0;
		r = ancil_sendmsg(sv[0], &iov, 1, &b);
		ok(r == -1 && errno == EINVAL && recv(sv[1], buf, 1, MSG_DONTWAIT) == -1 &&
		    errno == EAGAIN,
		    "ancil_sendmsg with descriptors and no bytes on a stream is EINVAL, nothing sent");
	}
	test_close2(sv);
	ok_fdset(&fs, "refused zero-byte sends leave nothing open");
}

static void test_zero_byte_messages(int type)
{
	int sv[2], got[2];
	struct ancil_rx rx = { .fds = got, .maxfds = 2 };
	char c;
	ssize_t s, r;

	fdset_take(&fs);
	test_pair(type, sv);
	s = ancil_send(sv[0], NULL, 0, pool, 1, NULL);
	r = ancil_recv(sv[1], &c, 1, &rx, 0);
	ok(s == 0 && r == 0 && rx.nfds == 1 && fd_same_file(got[0], pool[0]),
	    "a zero-byte %s message carries a descriptor and is not end of file", tname(type));
	ancil_close_fds(got, rx.nfds);
	if (type == SOCK_SEQPACKET) {
		close(sv[0]);
		sv[0] = -1;
		r = ancil_recv(sv[1], &c, 1, &rx, 0);
		ok(r == 0 && rx.nfds == 0, "a real seqpacket end of file returns 0 with no descriptors");
	}
	if (sv[0] != -1)
		close(sv[0]);
	close(sv[1]);
	ok_fdset(&fs, "zero-byte %s messages leave nothing open", tname(type));
}

#define BIG (1024 * 1024)

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

/*
 * Child reading a stream slowly until EOF: checks the pattern and that
 * exactly one descriptor, the same file as pool[0], came with the first
 * byte.  Signals the parent after every read when sig is set.
 */
static void slow_reader(int sock, size_t total, int sig)
{
	static unsigned char buf[65536];
	int got[4], code = 0;
	struct ancil_rx rx = { .fds = got, .maxfds = 4 };
	size_t have = 0, nfd = 0;
	ssize_t r;

	usleep(20000);
	for (;;) {
		if (sig)
			kill(getppid(), SIGUSR1);
		r = ancil_recv(sock, buf, sig ? sizeof(buf) : 16384, &rx, 0);
		if (r <= 0)
			break;
		if (rx.nfds) {
			if (have != 0 || !fd_same_file(got[0], pool[0]))
				code |= 2;
			nfd += rx.nfds;
			ancil_close_fds(got, rx.nfds);
		}
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pattern(have + (size_t)i))
				code |= 4;
		have += (size_t)r;
		usleep(sig ? 200 : 500);
	}
	if (r < 0)
		code |= 8;
	if (have != total)
		code |= 16;
	if (nfd != 1)
		code |= 32;
	_exit(code);
}

static void test_partial_nonblocking(void)
{
	unsigned char *big = malloc(BIG);
	int sv[2], sndbuf = 0, status;
	socklen_t sl = sizeof(sndbuf);
	pid_t pid;
	ssize_t r;

	fdset_take(&fs);
	for (size_t i = 0; i < BIG; i++)
		big[i] = pattern(i);
	test_pair(SOCK_STREAM, sv);
	getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
	diag("send buffer %d bytes for a %d-byte send", sndbuf, BIG);
	pid = test_fork();
	if (pid == 0) {
		close(sv[0]);
		slow_reader(sv[1], BIG, 0);
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	r = ancil_send(sv[0], big, BIG, pool, 1, NULL);
	close(sv[0]);
	status = test_wait(pid);
	ok(r == BIG && status == 0,
	    "a 1 MiB non-blocking send to a slow reader completes; the descriptor arrives once, "
	    "with the first byte (reader status %d)", status);
	close(sv[1]);
	ok_fdset(&fs, "the non-blocking partial send leaves nothing open");

	test_pair(SOCK_STREAM, sv);
	{
		struct timeval tv = { 0, 50000 };

		setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	errno = 0;
	r = ancil_send(sv[0], big, BIG, pool, 1, NULL);
	ok(r == -1 && errno == EAGAIN,
	    "a blocking send whose SO_SNDTIMEO expires returns -1 with EAGAIN");
	test_close2(sv);
	free(big);
	ok_fdset(&fs, "an expired send leaves nothing open");
}

static void test_eintr(void)
{
	size_t total = 4 * BIG;
	unsigned char *big = malloc(total);
	int sv[2], status;
	pid_t pid;
	ssize_t r;

	for (size_t i = 0; i < total; i++)
		big[i] = pattern(i);
	fdset_take(&fs);
	catch_usr1(1);
	test_pair(SOCK_STREAM, sv);
	pid = test_fork();
	if (pid == 0) {
		close(sv[0]);
		slow_reader(sv[1], total, 1);
	}
	r = ancil_send(sv[0], big, total, pool, 1, NULL);
	close(sv[0]);
	status = test_wait(pid);
	ok(r == (ssize_t)total && status == 0 && nsig > 0,
	    "a 4 MiB send interrupted by %d signals (no SA_RESTART) completes, descriptor once "
	    "(reader status %d)", (int)nsig, status);
	close(sv[1]);
	ok_fdset(&fs, "an interrupted send leaves nothing open");

	catch_usr1(0);
	free(big);
	ok_fdset(&fs, "an interrupted receive leaves nothing open");
}

/* ---- descriptor kinds, other sockets, credentials ----------------------- */

static pid_t fdinfo_pid(int fd)
{
	char path[64], line[256];
	FILE *f;
	long pid = -2;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (!(f = fopen(path, "re")))
		return -2;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %ld", &pid) == 1)
			break;
	fclose(f);
	return (pid_t)pid;
}

static void test_kinds(void)
{
	enum { REG, PIPE, SOCK, EPOLL, EVENT, MEMFD, PIDFD, OPATH, NKIND };
	static const char *names[NKIND] = {
		"regular file", "pipe", "socket", "epoll", "eventfd", "memfd", "pidfd", "O_PATH"
	};
	int fds[NKIND], got[NKIND], rxfds[NKIND], sendfds[NKIND], idx[NKIND], p[2], sp2[2], sv[2];
	int nsend = 0;
	struct ancil_rx rx = { .fds = rxfds, .maxfds = NKIND };
	char c, path[] = "/tmp/test-ancil-XXXXXX";
	int good[NKIND] = { 0 };
	uint64_t v = 0;
	ssize_t r;

	fdset_take(&fs);
	fds[REG] = mkostemp(path, O_CLOEXEC);
	unlink(path);
	pipe2(p, O_CLOEXEC);
	fds[PIPE] = p[0];
	test_pair(SOCK_STREAM, sp2);
	fds[SOCK] = sp2[0];
	fds[EPOLL] = epoll_create1(EPOLL_CLOEXEC);
	fds[EVENT] = eventfd(0, EFD_CLOEXEC);
	fds[MEMFD] = memfd(10);
	fds[PIDFD] = (int)syscall(SYS_pidfd_open, getpid(), 0);
	fds[OPATH] = open("/", O_PATH | O_CLOEXEC);
	for (int i = 0; i < NKIND; i++)
		if (fds[i] == -1)
			diag("could not make a %s: %s", names[i], strerror(errno));
	/* Send the kinds this system could make, in one message. */
	for (int i = 0; i < NKIND; i++)
		if (fds[i] != -1)
			idx[nsend++] = i;
	for (int k = 0; k < nsend; k++)
		sendfds[k] = fds[idx[k]];
	test_pair(SOCK_STREAM, sv);
	r = ancil_send(sv[0], "k", 1, sendfds, (size_t)nsend, NULL);
	r = r == 1 ? ancil_recv(sv[1], &c, 1, &rx, 0) : -1;
	if (r == 1 && rx.nfds == (size_t)nsend) {
		for (int k = 0; k < nsend; k++)
			got[idx[k]] = rx.fds[k];
		for (int i = 0; i < NKIND; i++)
			good[i] = fds[i] != -1 && fd_same_file(got[i], fds[i]) && fd_is_cloexec(got[i]);
		/* Anonymous inodes are shared: check each one does its own job. */
		good[REG] = good[REG] && write(got[REG], "hello", 5) == 5 &&
		    pread(fds[REG], path, 5, 0) == 5 && memcmp(path, "hello", 5) == 0;
		good[PIPE] = good[PIPE] && write(p[1], "p", 1) == 1 && read(got[PIPE], &c, 1) == 1 &&
		    c == 'p';
		good[SOCK] = good[SOCK] && write(sp2[1], "s", 1) == 1 && read(got[SOCK], &c, 1) == 1 &&
		    c == 's';
		v = 5;
		good[EVENT] = good[EVENT] && write(fds[EVENT], &v, 8) == 8 &&
		    read(got[EVENT], &v, 8) == 8 && v == 5;
		{
			struct epoll_event ev = { .events = EPOLLIN };

			good[EPOLL] = good[EPOLL] &&
			    epoll_ctl(got[EPOLL], EPOLL_CTL_ADD, fds[EVENT], &ev) == 0 &&
			    (v = 1, write(fds[EVENT], &v, 8) == 8) &&
			    epoll_wait(fds[EPOLL], &ev, 1, 1000) == 1;
		}
		good[PIDFD] = good[PIDFD] && fdinfo_pid(got[PIDFD]) == getpid();
		good[MEMFD] = good[MEMFD] && fd_size(got[MEMFD]) == 10;
		good[OPATH] = good[OPATH] && (fcntl(got[OPATH], F_GETFL) & O_PATH);
	}
	for (int i = 0; i < NKIND; i++) {
		if (fds[i] == -1)
			skip("this system could not make one", "a %s descriptor round trips and still works",
			    names[i]);
		else
			ok(good[i], "a %s descriptor round trips and still works", names[i]);
	}
	if (r == 1)
		ancil_close_fds(rx.fds, rx.nfds);
	ancil_close_fds(fds, NKIND);
	close(p[1]);
	close(sp2[1]);
	test_close2(sv);
	ok_fdset(&fs, "every kind of descriptor is closed again");
}

static void test_not_unix(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int ls, cs, as, us, p[2], got[1], type = -1;
	char c;
	ssize_t r;

	fdset_take(&fs);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bind(ls, (struct sockaddr *)&sa, sizeof(sa));
	listen(ls, 1);
	getsockname(ls, (struct sockaddr *)&sa, &sl);
	cs = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	connect(cs, (struct sockaddr *)&sa, sizeof(sa));
	as = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	errno = 0;
	r = ancil_send(cs, "x", 1, pool, 1, NULL);
	ok(r == -1 && errno == EAFNOSUPPORT && recv(as, &c, 1, MSG_DONTWAIT) == -1,
	    "a TCP socket is refused with EAFNOSUPPORT and nothing is sent");
	errno = 0;
	r = ancil_recv(as, &c, 1, &(struct ancil_rx){ .fds = got, .maxfds = 1 }, MSG_DONTWAIT);
	ok(r == -1 && errno == EAFNOSUPPORT, "ancil_recv refuses a TCP socket (EAFNOSUPPORT)");

	us = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sa.sin_port = 0;
	bind(us, (struct sockaddr *)&sa, sizeof(sa));
	sl = sizeof(sa);
	getsockname(us, (struct sockaddr *)&sa, &sl);
	connect(us, (struct sockaddr *)&sa, sizeof(sa));
	errno = 0;
	r = ancil_send(us, "x", 1, pool, 1, NULL);
	ok(r == -1 && errno == EAFNOSUPPORT && recv(us, &c, 1, MSG_DONTWAIT) == -1,
	    "a UDP socket is refused with EAFNOSUPPORT and nothing is sent");
	errno = 0;
	ok(ancil_check_unix(us, NULL) == -1 && errno == EAFNOSUPPORT,
	    "ancil_check_unix says EAFNOSUPPORT for UDP");

	pipe2(p, O_CLOEXEC);
	errno = 0;
	r = ancil_send(p[1], "x", 1, pool, 1, NULL);
	ok(r == -1 && errno == ENOTSOCK && read(p[0], &c, 0) == 0,
	    "a pipe is refused with ENOTSOCK");
	errno = 0;
	ok(ancil_check_unix(p[0], NULL) == -1 && errno == ENOTSOCK,
	    "ancil_check_unix says ENOTSOCK for a pipe");
	{
		int sv[2];

		test_pair(SOCK_SEQPACKET, sv);
		ok(ancil_check_unix(sv[0], &type) == 0 && type == SOCK_SEQPACKET,
		    "ancil_check_unix accepts an AF_UNIX socket and reports its type");
		test_close2(sv);
	}
	close(ls);
	close(cs);
	close(as);
	close(us);
	test_close2(p);
	ok_fdset(&fs, "refusing other sockets leaves nothing open");
}

static void test_creds(void)
{
	int sv[2], got[2], fd, one = 1;
	struct ancil_rx rx = { .fds = got, .maxfds = 2 };
	struct ancil_cred me = { -1, 0, 0 }, pc;
	char c;
	ssize_t r;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	ok(ancil_pass_creds(sv[1]) == 0, "SO_PASSCRED can be turned on for a socket we own");
	r = ancil_send(sv[0], "c", 1, pool, 1, &me);
	r = r == 1 ? ancil_recv(sv[1], &c, 1, &rx, 0) : -1;
	ok(r == 1 && rx.have_cred && rx.cred.pid == getpid() && rx.cred.uid == getuid() &&
	    rx.cred.gid == getgid() && rx.nfds == 1,
	    "credentials (pid -1: our own) arrive with the descriptor: our pid, uid and gid");
	ancil_close_fds(got, rx.nfds);
	if (geteuid() == 0) {
		struct ancil_cred other = { getpid(), 65534, 65534 };

		r = ancil_send(sv[0], "d", 1, NULL, 0, &other);
		r = r == 1 ? ancil_recv(sv[1], &c, 1, &rx, 0) : -1;
		ok(r == 1 && rx.have_cred && rx.cred.uid == 65534 && rx.cred.gid == 65534,
		    "a privileged sender may claim uid and gid 65534");
	} else {
		skip("not root", "a privileged sender may claim uid and gid 65534");
	}
	test_close2(sv);
	ok_fdset(&fs, "credential passing leaves nothing open");

	test_pair(SOCK_STREAM, sv);
	fdset_take(&mid);
	ok(ancil_peer_cred(sv[0], &pc) == 0 && pc.pid == getpid() && pc.uid == getuid() &&
	    pc.gid == getgid(), "ancil_peer_cred reports our own pid, uid and gid for a socketpair");
	fd = ancil_peer_pidfd(sv[0]);
	if (fd == -1 && errno == ENOPROTOOPT) {
		skip("kernel lacks SO_PEERPIDFD", "ancil_peer_pidfd gives a pidfd of the peer");
	} else {
		ok(fd >= 0 && fd_is_cloexec(fd) && fdinfo_pid(fd) == getpid(),
		    "ancil_peer_pidfd gives a close-on-exec pidfd of the peer");
		if (fd >= 0)
			close(fd);
	}
	ok_fdset(&mid, "peer credential queries leave nothing open");

	/* SCM_PIDFD may arrive uninvited: reported low-level, closed high-level. */
	if (setsockopt(sv[1], SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one)) == -1) {
		skip("kernel lacks SO_PASSPIDFD", "an SCM_PIDFD message is reported and closed");
	} else {
		union {
			struct cmsghdr h;
			unsigned char bytes[ANCIL_RECV_SPACE];
		} cb;
		struct ancil_buf b;
		struct ancil_item it;
		struct iovec iov = { .iov_base = &c, .iov_len = 1 };
		size_t pos = 0;
		int seen = 0;

		ancil_buf_init(&b, cb.bytes, sizeof(cb.bytes));
		ancil_send(sv[0], "p", 1, pool, 1, NULL);
		r = ancil_recvmsg(sv[1], &iov, 1, &b, 0);
		while (r == 1 && ancil_buf_next(&b, &pos, &it) == 1)
			if (it.kind == ANCIL_PIDFD && it.nfds == 1 &&
			    fdinfo_pid(ancil_item_fd(&it, 0)) == getpid())
				seen = 1;
		ok(seen, "an SCM_PIDFD message is reported as a PIDFD item for the sender");
		ancil_buf_close(&b);
		ok_fdset(&mid, "ancil_buf_close closes the pidfd and the descriptor");
		ancil_send(sv[0], "q", 1, pool, 1, NULL);
		r = ancil_recv(sv[1], &c, 1, &rx, 0);
		ok(r == 1 && rx.nfds == 1 && rx.nsurplus == 0,
		    "ancil_recv keeps the descriptor and drops the pidfd");
		ancil_close_fds(got, rx.nfds);
	}
	test_close2(sv);
	ok_fdset(&fs, "uninvited pidfds are closed");
}

static void test_peek(void)
{
	int sv[2], got[2];
	struct ancil_rx rx = { .fds = got, .maxfds = 2 };
	ANCIL_BUFFER(cb, 2, 0);
	struct ancil_buf b;
	struct iovec iov;
	char c;
	ssize_t r1, r2, r;

	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	fdset_take(&mid);
	ancil_send(sv[0], "x", 1, pool, 1, NULL);
	errno = 0;
	r1 = ancil_recv(sv[1], &c, 1, &rx, MSG_PEEK);
	ok(r1 == -1 && errno == EINVAL, "MSG_PEEK is refused with EINVAL");
	iov.iov_base = &c;
	iov.iov_len = 1;
	ancil_buf_init(&b, cb.bytes, sizeof(cb.bytes));
	errno = 0;
	r2 = ancil_recvmsg(sv[1], &iov, 1, &b, MSG_OOB);
	ok(r2 == -1 && errno == EINVAL, "MSG_OOB is refused with EINVAL");
	ok_fdset(&mid, "refused peeks install no duplicate descriptors");
	r = ancil_recv(sv[1], &c, 1, &rx, 0);
	ok(r == 1 && rx.nfds == 1 && fd_same_file(got[0], pool[0]),
	    "after refused peeks the descriptor arrives exactly once");
	ancil_close_fds(got, rx.nfds);

	errno = 0;
	got[0] = 5;
	got[1] = -1;
	errno = EDOM;
	{
		int d = fcntl(pool[0], F_DUPFD_CLOEXEC, 0);

		got[0] = d;
		ancil_close_fds(got, 2);
		ok(errno == EDOM && got[0] == -1 && got[1] == -1 && !fd_is_open(d),
		    "ancil_close_fds closes, sets -1, skips -1 and keeps errno");
	}
	test_close2(sv);
	ok_fdset(&fs, "peeking and closing leave nothing open");
}

/* An unprivileged sender hits ETOOMANYREFS (RLIMIT_NOFILE 64). */
static void test_toomanyrefs(void)
{
	int sv[2], sync[2], ready[2], status;
	pid_t pid;
	char rd;

	if (geteuid() != 0) {
		skip("needs root to become uid 65534", "an unprivileged sender gets ETOOMANYREFS");
		skip("needs root", "ETOOMANYREFS leaves nothing open");
		return;
	}
	fdset_take(&fs);
	test_pair(SOCK_STREAM, sv);
	pipe2(sync, O_CLOEXEC);
	pipe2(ready, O_CLOEXEC);
	pid = test_fork();
	if (pid == 0) {
		char go;
		int i;

		/* Lower the limit only once the child runs (valgrind opens files at fork). */
		if (write(ready[1], "r", 1) != 1 || read(sync[0], &go, 1) != 1)
			_exit(90);
		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 || setuid(65534) == -1)
			_exit(91);
		for (i = 0; i < 1000; i++)
			if (ancil_send(sv[0], "t", 1, pool, 1, NULL) != 1)
				break;
		if (i == 1000)
			_exit(92);
		_exit(errno == ETOOMANYREFS ? 0 : 93);
	}
	{
		struct rlimit rl = { 64, 64 };

		if (read(ready[0], &rd, 1) != 1)
			diag("read: %s", strerror(errno));
		if (prlimit(pid, RLIMIT_NOFILE, &rl, NULL) == -1)
			diag("prlimit: %s", strerror(errno));
		if (write(sync[1], "g", 1) != 1)
			diag("write: %s", strerror(errno));
	}
	status = test_wait(pid);
	ok(status == 0, "an unprivileged sender (uid 65534, RLIMIT_NOFILE 64) gets ETOOMANYREFS "
	    "(status %d)", status);
	test_close2(sv);
	test_close2(sync);
	test_close2(ready);
	ok_fdset(&fs, "ETOOMANYREFS leaves nothing open here");
}

/* ---- checked channels ---------------------------------------------------- */

static void test_chan(int type)
{
	struct ancil_chan a, b;
	int sv[2], got[ANCIL_MAX_FDS];
	struct ancil_rx rx = { .fds = got, .maxfds = ANCIL_MAX_FDS };
	char buf[4] = "";
	ssize_t s, q;

	fdset_take(&fs);
	test_pair(type, sv);
	ok(ancil_chan_init(&a, sv[0]) == 0 && ancil_chan_init(&b, sv[1]) == 0 &&
	    a.sock == sv[0] && b.sock == sv[1] && a.type == type && b.type == type,
	    "ancil_chan_init accepts a %s pair and records socket and type", tname(type));
	s = ancil_chan_send(&a, "abc", 3, pool, 3, NULL);
	q = ancil_chan_recv(&b, buf, sizeof(buf), &rx, 0);
	ok(s == 3 && q == 3 && !memcmp(buf, "abc", 3) && rx.nfds == 3 && rx.nsurplus == 0 &&
	    same_files(got, pool, 3),
	    "3 descriptors over a %s channel: same open files in order, close-on-exec",
	    tname(type));
	ancil_close_fds(got, rx.nfds);
	s = ancil_chan_send(&b, "y", 1, pool, ANCIL_MAX_FDS, NULL);
	q = ancil_chan_recv(&a, buf, 1, &rx, 0);
	ok(s == 1 && q == 1 && rx.nfds == ANCIL_MAX_FDS && same_files(got, pool, ANCIL_MAX_FDS),
	    "%d descriptors back over the same %s channel", ANCIL_MAX_FDS, tname(type));
	ancil_close_fds(got, rx.nfds);
	errno = 0;
	s = ancil_chan_send(&a, NULL, 0, pool, 1, NULL);
	if (type == SOCK_STREAM) {
		ok(s == -1 && errno == EINVAL && recv(sv[1], buf, 1, MSG_DONTWAIT) == -1,
		    "a stream channel refuses zero bytes with a descriptor (EINVAL), sending nothing");
	} else {
		q = ancil_chan_recv(&b, buf, 1, &rx, 0);
		ok(s == 0 && q == 0 && rx.nfds == 1 && same_files(got, pool, 1),
		    "a seqpacket channel carries a descriptor with zero bytes");
		ancil_close_fds(got, rx.nfds);
	}
	errno = 0;
	ok(ancil_chan_send(&a, "x", 1, pool, ANCIL_MAX_FDS + 1, NULL) == -1 && errno == EINVAL,
	    "ancil_chan_send refuses %d descriptors (EINVAL)", ANCIL_MAX_FDS + 1);
	errno = 0;
	ok(ancil_chan_recv(&b, buf, 1, &rx, MSG_PEEK) == -1 && errno == EINVAL,
	    "ancil_chan_recv refuses MSG_PEEK (EINVAL)");
	close(sv[0]);
	q = ancil_chan_recv(&b, buf, 1, &rx, 0);
	ok(q == 0 && rx.nfds == 0, "ancil_chan_recv says end of file (0, no descriptors) "
	    "when the %s peer closed", tname(type));
	close(sv[1]);
	ok_fdset(&fs, "%s channel calls leave nothing open", tname(type));
}

static void test_chan_not_unix(void)
{
	struct sockaddr_in sa;
	struct ancil_chan ch = { 7, 7 };
	int ls, p[2];

	fdset_take(&fs);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	errno = 0;
	ok(ancil_chan_init(&ch, ls) == -1 && errno == EAFNOSUPPORT && ch.sock == -1,
	    "ancil_chan_init refuses a TCP socket (EAFNOSUPPORT) and leaves no socket in it");
	close(ls);
	if (pipe2(p, O_CLOEXEC) == -1)
		p[0] = p[1] = -1;
	ch.sock = 7;
	errno = 0;
	ok(ancil_chan_init(&ch, p[0]) == -1 && errno == ENOTSOCK && ch.sock == -1,
	    "ancil_chan_init refuses a pipe (ENOTSOCK)");
	test_close2(p);
	ok_fdset(&fs, "refused channels leave nothing open");
}

int main(void)
{
	struct rlimit rl;

	alarm(60);
	catch_usr1(0);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
		rl.rlim_cur = 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < NPOOL; i++) {
		if ((pool[i] = memfd((size_t)i + 1)) == -1) {
			perror("memfd_create");
			return 99;
		}
	}
	test_buffer();
	test_parser();
	test_roundtrip(SOCK_STREAM, 1);
	test_roundtrip(SOCK_STREAM, ANCIL_MAX_FDS);
	test_roundtrip(SOCK_SEQPACKET, 1);
	test_roundtrip(SOCK_SEQPACKET, ANCIL_MAX_FDS);
	test_roundtrip(SOCK_DGRAM, 1);
	test_roundtrip(SOCK_DGRAM, ANCIL_MAX_FDS);
	test_too_many();
	test_small_buffer();
	test_data_truncated(SOCK_DGRAM);
	test_data_truncated(SOCK_SEQPACKET);
	test_rlimit();
	test_raw_peers();
	test_stream_bytes();
	test_zero_byte_messages(SOCK_SEQPACKET);
	test_zero_byte_messages(SOCK_DGRAM);
	test_partial_nonblocking();
	test_eintr();
	test_kinds();
	test_not_unix();
	test_creds();
	test_peek();
	test_toomanyrefs();
	test_chan(SOCK_STREAM);
	test_chan(SOCK_SEQPACKET);
	test_chan_not_unix();
	ancil_close_fds(pool, NPOOL);
	return done_testing();
}
