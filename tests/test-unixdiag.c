/* test-unixdiag.c - unit tests of the kernel's socket table (unix_diag) and the /proc walk, on sockets with known peers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "tap.h"
#include "unixdiag.h"

/* Why the kernel's table cannot be read here ("" while it can). */
static char noload[200];

static unsigned long long ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == -1 ? 0 : (unsigned long long)st.st_ino;
}

static const char *tname(int type)
{
	return type == SOCK_STREAM ? "stream" : type == SOCK_SEQPACKET ? "seqpacket" : "datagram";
}

/* The kernel's table, or NULL after noting why (the tests then skip). */
static struct unixdiag *load(void)
{
	struct unixdiag *t;

	if (noload[0])
		return NULL;
	if (!(t = unixdiag_load()))
		snprintf(noload, sizeof(noload), "no unix_diag here: unixdiag_load: %s", strerror(errno));
	return t;
}

/* Reports n skips of the tests that needed the kernel's table. */
static void skip_diag(int n, const char *what)
{
	while (n-- > 0)
		skip(noload, "%s", what);
}

/* A unix socket of type bound to addr (len bytes of sun_path), or exit 99. */
static int bound(int type, const char *addr, size_t len)
{
	struct sockaddr_un sa;
	int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, addr, len);
	if (s == -1 || bind(s, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) == -1) {
		perror("bind");
		exit(99);
	}
	return s;
}

/* A unix socket of type connected to addr (len bytes of sun_path), or exit 99. */
static int connected(int type, const char *addr, size_t len)
{
	struct sockaddr_un sa;
	int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, addr, len);
	if (s == -1 || connect(s, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) == -1) {
		perror("connect");
		exit(99);
	}
	return s;
}

static void test_pairs(int type)
{
	struct unixdiag *t;
	const struct unixdiag_sock *a, *b;
	unsigned long long ia, ib;
	int sv[2];

	test_pair(type, sv);
	ia = ino_of(sv[0]);
	ib = ino_of(sv[1]);
	if (!(t = load())) {
		skip_diag(2, "a socketpair's ends");
		test_close2(sv);
		return;
	}
	a = unixdiag_find(t, ia);
	b = unixdiag_find(t, ib);
	ok(a && b && a->ino == ia && b->ino == ib && a->peer == ib && b->peer == ia &&
	    a->type == type && b->type == type && !a->listening && !a->name && !a->have_vfs,
	    "a %s socketpair: both ends are found by inode, each the other's peer, unbound", tname(type));
	ok(!unixdiag_listener_of(t, ia) && !unixdiag_listener_of(t, ib),
	    "a %s socketpair: neither end waits on a listener", tname(type));
	unixdiag_free(t);
	test_close2(sv);
}

static void test_queues(void)
{
	const struct unixdiag_sock *w, *r;
	struct unixdiag *t;
	char buf[16];
	int sv[2], dg[2];

	test_pair(SOCK_STREAM, sv);
	test_pair(SOCK_DGRAM, dg);
	if (write(sv[0], "hello", 5) != 5 || write(dg[0], "hello", 5) != 5 ||
	    write(dg[0], "hello world", 11) != 11)
		exit(99);
	if (!(t = load())) {
		skip_diag(4, "queue lengths");
		goto out;
	}
	w = unixdiag_find(t, ino_of(sv[0]));
	r = unixdiag_find(t, ino_of(sv[1]));
	ok(r && r->have_queue && r->rqueue == 5,
	    "5 unread bytes on a stream: the reader's rqueue is 5 (%u)", r ? r->rqueue : 0);
	ok(w && w->have_queue && w->wqueue > 5 && w->rqueue == 0,
	    "the writer's wqueue is the memory those bytes hold, more than 5 (%u)", w ? w->wqueue : 0);
	r = unixdiag_find(t, ino_of(dg[1]));
	ok(r && r->have_queue && r->rqueue == 5,
	    "datagrams of 5 and 11 bytes unread: rqueue is the next one's size, 5 (%u)", r ? r->rqueue : 0);
	unixdiag_free(t);
	if (read(sv[1], buf, sizeof(buf)) != 5 || !(t = load()))
		exit(99);
	w = unixdiag_find(t, ino_of(sv[0]));
	r = unixdiag_find(t, ino_of(sv[1]));
	ok(w && r && w->wqueue == 0 && r->rqueue == 0, "once read, both queues are empty");
	unixdiag_free(t);
out:
	test_close2(sv);
	test_close2(dg);
}

/* The "scm_fds:" count in this process's /proc/self/fdinfo of fd, or -1 when the kernel has none. */
static int scm_fds(int fd)
{
	char path[64], line[128];
	FILE *f;
	int n = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "scm_fds: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

static void test_in_flight(void)
{
	const struct unixdiag_sock *r;
	struct unixdiag *t;
	int sv[2], fds[3], n;

	test_pair(SOCK_STREAM, sv);
	for (int i = 0; i < 3; i++)
		if ((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
			exit(99);
	if (test_raw_send(sv[0], "x", 1, fds, 3) != 1)
		exit(99);
	if ((t = load())) {
		r = unixdiag_find(t, ino_of(sv[1]));
		ok(r && r->rqueue == 1, "one byte carrying 3 descriptors unread: rqueue is 1 (%u)", r ? r->rqueue : 0);
		unixdiag_free(t);
	} else {
		skip_diag(1, "descriptors in flight");
	}
	if ((n = scm_fds(sv[1])) == -1)
		skip("this kernel has no scm_fds in fdinfo", "the receiver's fdinfo counts 3 descriptors in flight");
	else
		ok(n == 3, "the receiver's fdinfo counts 3 descriptors in flight (%d)", n);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	test_close2(sv);
}

/* 1 if the n inodes in got are a and b in any order. */
static int same2(const unsigned long long *got, size_t n, unsigned long long a, unsigned long long b)
{
	return n == 2 && ((got[0] == a && got[1] == b) || (got[0] == b && got[1] == a));
}

static void test_listener(void)
{
	char dir[] = "/tmp/test-unixdiag.XXXXXX", path[64];
	const struct unixdiag_sock *l, *c1, *c2;
	unsigned long long il, i1, i2, ia;
	struct unixdiag *t;
	struct stat st;
	int s, a, c[2];

	if (!mkdtemp(dir))
		exit(99);
	snprintf(path, sizeof(path), "%s/s", dir);
	s = bound(SOCK_STREAM, path, strlen(path));
	if (listen(s, 7) == -1 || lstat(path, &st) == -1)
		exit(99);
	c[0] = connected(SOCK_STREAM, path, strlen(path));
	c[1] = connected(SOCK_STREAM, path, strlen(path));
	il = ino_of(s);
	i1 = ino_of(c[0]);
	i2 = ino_of(c[1]);
	if (!(t = load())) {
		skip_diag(7, "a listener and its pending connections");
		goto out;
	}
	l = unixdiag_find(t, il);
	ok(l && l->listening && l->state == 10 && l->have_queue && l->rqueue == 2 && l->wqueue == 7,
	    "a listener with backlog 7 and 2 connections not accepted: rqueue 2, wqueue 7");
	ok(l && same2(l->pending, l->npending, i1, i2),
	    "its pending connections are named by their clients' inodes");
	c1 = unixdiag_find(t, i1);
	c2 = unixdiag_find(t, i2);
	ok(c1 && c2 && c1->peer == 0 && c2->peer == 0 && l && unixdiag_listener_of(t, i1) == l &&
	    unixdiag_listener_of(t, i2) == l,
	    "a client not yet accepted has no peer inode, and waits on the listener");
	ok(l && l->name && l->namelen == strlen(path) && strcmp(l->name, path) == 0 &&
	    l->have_vfs && l->vfs_ino == ((unsigned long long)st.st_ino & 0xffffffffULL),
	    "the listener's name is its path, and its file is the path's inode");
	ok(unixdiag_find_file(t, major(st.st_dev), minor(st.st_dev), st.st_ino) == l &&
	    !unixdiag_find_file(t, major(st.st_dev), minor(st.st_dev), st.st_ino + 1) &&
	    !unixdiag_find_file(t, major(st.st_dev) + 1, minor(st.st_dev), st.st_ino),
	    "the path's lstat device and inode find the listener, another inode or device nothing");
	unixdiag_free(t);

	if ((a = accept4(s, NULL, NULL, SOCK_CLOEXEC)) == -1 || !(t = load()))
		exit(99);
	ia = ino_of(a);
	l = unixdiag_find(t, il);
	c1 = unixdiag_find(t, i1);
	ok(l && l->rqueue == 1 && l->npending == 1 && l->pending[0] == i2,
	    "once the first is accepted, one connection is pending: the second client's");
	ok(c1 && c1->peer == ia && unixdiag_find(t, ia) && unixdiag_find(t, ia)->peer == i1 &&
	    !unixdiag_listener_of(t, i1) && unixdiag_listener_of(t, i2) == l,
	    "the accepted client's peer is the accepted socket and the other way round; only the second waits");
	unixdiag_free(t);
	close(a);
out:
	close(c[0]);
	close(c[1]);
	close(s);
	unlink(path);
	rmdir(dir);
}

static void test_abstract(void)
{
	char name[64], nobody[64];
	const struct unixdiag_sock *f;
	struct unixdiag *t;
	int s, c1, c2;
	size_t len;

	len = (size_t)snprintf(name, sizeof(name), "%ctest-unixdiag-%ld", '\0', (long)getpid());
	snprintf(nobody, sizeof(nobody), "test-unixdiag-nobody-%ld", (long)getpid());
	s = bound(SOCK_DGRAM, name, len);
	c1 = connected(SOCK_DGRAM, name, len);
	c2 = connected(SOCK_DGRAM, name, len);
	if (!(t = load())) {
		skip_diag(3, "an abstract name");
		goto out;
	}
	f = unixdiag_find_abstract(t, name + 1, len - 1);
	ok(f && f->ino == ino_of(s) && f->namelen == len && memcmp(f->name, name, len) == 0 && !f->have_vfs,
	    "a socket bound to an abstract name is found by it, and named '\\0' and the name");
	ok(!unixdiag_find_abstract(t, nobody, strlen(nobody)) && !unixdiag_find_abstract(t, name + 1, len - 2),
	    "a name nobody bound, or a prefix of a bound one, finds nothing");
	ok(unixdiag_find(t, ino_of(c1)) && unixdiag_find(t, ino_of(c1))->peer == ino_of(s) &&
	    unixdiag_find(t, ino_of(c2)) && unixdiag_find(t, ino_of(c2))->peer == ino_of(s),
	    "the two datagram sockets connected to it have it as their peer");
	unixdiag_free(t);
out:
	close(c1);
	close(c2);
	close(s);
}

/* This process's comm, as /proc tells it. */
static void own_comm(char comm[17])
{
	FILE *f = fopen("/proc/self/comm", "re");

	comm[0] = '\0';
	if (f && fgets(comm, 17, f))
		comm[strcspn(comm, "\n")] = '\0';
	if (f)
		fclose(f);
}

static int is_holder(const struct unixdiag_holder *h, long pid, int fd, const char *comm)
{
	return h->pid == pid && h->fd == fd && strcmp(h->comm, comm) == 0;
}

static void test_procs(void)
{
	const struct unixdiag_holder *h;
	struct unixdiag_procs *p;
	unsigned long long mine, shared;
	char comm[17], c;
	int sv[2], ready[2], hold[2];
	long me = (long)getpid();
	pid_t pid;
	size_t n;

	own_comm(comm);
	test_pair(SOCK_STREAM, sv);
	if (pipe2(ready, O_CLOEXEC) == -1 || pipe2(hold, O_CLOEXEC) == -1)
		exit(99);
	mine = ino_of(sv[0]);
	shared = ino_of(sv[1]);
	if ((pid = test_fork()) == 0) {
		/* Holds the shared end at 45 and 47 only, says so, and waits for hold to close. */
		if (dup3(sv[1], 45, O_CLOEXEC) == -1 || dup3(sv[1], 47, O_CLOEXEC) == -1)
			_exit(1);
		close(sv[0]);
		close(sv[1]);
		close(hold[1]);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		while (read(hold[0], &c, 1) == -1 && errno == EINTR)
			;
		close(45);
		close(47);
		close(hold[0]);
		close(ready[0]);
		close(ready[1]);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &c, 1) != 1)
		exit(99);
	if (!(p = unixdiag_procs_load(NULL, 0))) {
		ok(0, "unixdiag_procs_load(NULL, 0): %s", strerror(errno));
		goto out;
	}
	h = unixdiag_procs_find(p, shared, &n);
	if (me < (long)pid)
		ok(n == 3 && is_holder(&h[0], me, sv[1], comm) && is_holder(&h[1], pid, 45, comm) &&
		    is_holder(&h[2], pid, 47, comm),
		    "an end held here and twice by a child lists 3 holders, in pid then fd order, with comm \"%s\"", comm);
	else
		ok(n == 3 && is_holder(&h[0], pid, 45, comm) && is_holder(&h[1], pid, 47, comm) &&
		    is_holder(&h[2], me, sv[1], comm),
		    "an end held here and twice by a child lists 3 holders, in pid then fd order, with comm \"%s\"", comm);
	h = unixdiag_procs_find(p, mine, &n);
	ok(n == 1 && is_holder(&h[0], me, sv[0], comm), "the end only this process holds has it alone as holder");
	h = unixdiag_procs_find(p, ino_of(ready[0]), &n);
	ok(!h && n == 0, "a pipe's inode (\"pipe:[N]\", not a socket) has no holders");
	unixdiag_procs_free(p);

	if (!(p = unixdiag_procs_load(&shared, 1))) {
		ok(0, "unixdiag_procs_load(wanted, 1): %s", strerror(errno));
		goto out;
	}
	h = unixdiag_procs_find(p, shared, &n);
	ok(n == 3 && (is_holder(&h[0], pid, 45, comm) || is_holder(&h[1], pid, 45, comm)),
	    "with one wanted inode, its holders are found");
	h = unixdiag_procs_find(p, mine, &n);
	ok(!h && n == 0, "with one wanted inode, another socket is not recorded");
	unixdiag_procs_free(p);

	if (!(p = unixdiag_procs_load(&shared, 0)))
		exit(99);
	h = unixdiag_procs_find(p, shared, &n);
	ok(!h && n == 0, "with an empty wanted list, nothing is recorded");
	unixdiag_procs_free(p);
out:
	close(hold[1]);
	close(ready[0]);
	ok(test_wait(pid) == 0, "the child holding the socket exits cleanly");
	test_close2(sv);
}

static void test_hidden(void)
{
	struct unixdiag_procs *p;
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		skip("not root: others' processes are hidden", "as root, no process's descriptors are hidden");
		skip("not root: cannot become another user", "without privilege, others' processes are counted hidden");
		return;
	}
	if (!(p = unixdiag_procs_load(NULL, 0)))
		exit(99);
	ok(unixdiag_procs_hidden(p) == 0, "as root, no process's descriptors are hidden (%zu)", unixdiag_procs_hidden(p));
	unixdiag_procs_free(p);
	if ((pid = test_fork()) == 0) {
		if (setgid(65534) == -1 || setuid(65534) == -1 || !(p = unixdiag_procs_load(NULL, 0)))
			_exit(2);
		st = unixdiag_procs_hidden(p) > 0 ? 0 : 1;
		unixdiag_procs_free(p);
		_exit(st);
	}
	st = test_wait(pid);
	ok(st == 0, "without privilege, others' processes (this test's, at least) are counted hidden (status %d)", st);
}

static void test_leaks(void)
{
	struct unixdiag_procs *p;
	struct unixdiag *t;
	struct fdset fs;

	fdset_take(&fs);
	if ((t = load()))
		unixdiag_free(t);
	if (!(p = unixdiag_procs_load(NULL, 0)))
		exit(99);
	unixdiag_procs_free(p);
	ok_fdset(&fs, "loading and freeing both tables leaves the same descriptors open");
}

/* Replies no kernel sent: cut short, or an error, are refused with errno. */
static void test_parse(void)
{
	struct {
		uint32_t len;
		uint16_t type, flags;
		uint32_t seq, pid;
		int32_t err;
	} m = { 20, 2 /* NLMSG_ERROR */, 0, 0x66647231, 0, -EPERM };
	struct unixdiag *t;

	errno = 0;
	t = unixdiag_parse(&m, sizeof(m));
	ok(!t && errno == EPERM, "unixdiag_parse: an NLMSG_ERROR reply gives its error (EPERM)");
	m.len = 64;
	errno = 0;
	t = unixdiag_parse(&m, sizeof(m));
	ok(!t && errno == EPROTO, "unixdiag_parse: a message longer than the reply is EPROTO");
	m.len = 16;
	m.seq = 1;
	t = unixdiag_parse(&m, 16);
	ok(t != NULL, "unixdiag_parse: a message of another sequence is skipped");
	unixdiag_free(t);
}

int main(void)
{
	struct fdset fs;

	fdset_take(&fs);
	test_pairs(SOCK_STREAM);
	if (noload[0])
		diag("%s", noload);
	test_pairs(SOCK_SEQPACKET);
	test_pairs(SOCK_DGRAM);
	test_queues();
	test_in_flight();
	test_listener();
	test_abstract();
	test_procs();
	test_hidden();
	test_leaks();
	test_parse();
	ok_fdset(&fs, "the tests leave the descriptors they found open, and no others");
	return done_testing();
}
