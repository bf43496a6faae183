/* tap.c - a small TAP producer, descriptor-leak checks and helpers for the C tests. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static int tap_count;
static int tap_failed;

static void tap_line(const char *status, const char *directive, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void tap_line(const char *status, const char *directive, const char *fmt, va_list ap)
{
	printf("%s %d - ", status, ++tap_count);
	vprintf(fmt, ap);
	if (directive)
		printf(" # %s", directive);
	putchar('\n');
	fflush(stdout);
}

int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(cond ? "ok" : "not ok", NULL, fmt, ap);
	va_end(ap);
	if (!cond)
		tap_failed++;
	return cond;
}

void skip(const char *reason, const char *fmt, ...)
{
	char directive[512];
	va_list ap;

	snprintf(directive, sizeof(directive), "SKIP %s", reason);
	va_start(ap, fmt);
	tap_line("ok", directive, fmt, ap);
	va_end(ap);
}

void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int done_testing(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

void fdset_take(struct fdset *s)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;

	s->n = 0;
	if (!d) {
		/* No /proc: probe with fcntl up to a bound. */
		for (int fd = 0; fd < 4096 && s->n < 4096; fd++)
			if (fcntl(fd, F_GETFD) != -1)
				s->fds[s->n++] = fd;
		return;
	}
	self = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd;

		if (e->d_name[0] == '.')
			continue;
		fd = strtol(e->d_name, &end, 10);
		if (*end || fd == self || s->n >= sizeof(s->fds) / sizeof(s->fds[0]))
			continue;
		s->fds[s->n++] = (int)fd;
	}
	closedir(d);
	qsort(s->fds, s->n, sizeof(int), int_cmp);
}

long fdset_limit(const struct fdset *s, size_t room)
{
	size_t k = 0, free_seen = 0;
	long lim = 0;

	for (int fd = 0; free_seen < room; fd++) {
		if (k < s->n && s->fds[k] == fd)
			k++;
		else
			free_seen++;
		lim = fd + 1;
	}
	return lim;
}

int ok_fdset(const struct fdset *before, const char *fmt, ...)
{
	static struct fdset now;
	size_t i = 0, j = 0;
	int same;
	va_list ap;

	fdset_take(&now);
	same = now.n == before->n && memcmp(now.fds, before->fds, now.n * sizeof(int)) == 0;
	va_start(ap, fmt);
	tap_line(same ? "ok" : "not ok", NULL, fmt, ap);
	va_end(ap);
	if (same)
		return 1;
	tap_failed++;
	while (i < before->n || j < now.n) {
		if (j >= now.n || (i < before->n && before->fds[i] < now.fds[j]))
			diag("descriptor %d was closed", before->fds[i++]);
		else if (i >= before->n || now.fds[j] < before->fds[i])
			diag("descriptor %d leaked", now.fds[j++]);
		else
			i++, j++;
	}
	return 0;
}

int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

int fd_is_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags != -1 && (flags & FD_CLOEXEC);
}

int fd_same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) == -1 || fstat(b, &sb) == -1)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void test_pair(int type, int sv[2])
{
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == -1) {
		perror("socketpair");
		exit(99);
	}
}

void test_close2(int sv[2])
{
	close(sv[0]);
	close(sv[1]);
}

int test_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

pid_t test_fork(void)
{
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(99);
	}
	if (pid == 0)
		alarm(20);
	return pid;
}

ssize_t test_raw_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr h;
		unsigned char bytes[CMSG_SPACE(sizeof(int) * 16)];
	} cb;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;

	memset(&msg, 0, sizeof(msg));
	memset(&cb, 0, sizeof(cb));
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds) {
		msg.msg_control = cb.bytes;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL);
}
