/* util.c - what every command shares at run time: messages, standard descriptors, limits. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fdrelay.h"

/* 0, 1, 2 that were closed when fdrelay started (now placeholders). */
static int std_closed[3];

/* "fdrelay: " fmt [": " strerror(e)] "\n", in one write(2). */
static void say(int e, const char *fmt, va_list ap)
{
	char buf[4096];
	size_t len = sizeof("fdrelay: ") - 1;
	int n;

	memcpy(buf, "fdrelay: ", len);
	n = vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
	len = n < 0 ? len : len + (size_t)n < sizeof(buf) - 1 ? len + (size_t)n : sizeof(buf) - 1;
	if (e)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, ": %s", strerror(e));
	if (len > sizeof(buf) - 2) {
		len = sizeof(buf) - 2;
		memcpy(buf + len - 3, "...", 3);
	}
	buf[len++] = '\n';
	(void)!write(2, buf, len);
}

void fdr_warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	say(e ? e : EIO, fmt, ap);
	va_end(ap);
	errno = e;
}

void fdr_warnx(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	say(0, fmt, ap);
	va_end(ap);
	errno = e;
}

void fdr_warn_stdout(const char *cmd)
{
	if (std_closed[1])
		fdr_warnx("%s%sstandard output is closed", cmd ? cmd : "", cmd ? ": " : "");
	else
		fdr_warn("%s%sstandard output", cmd ? cmd : "", cmd ? ": " : "");
}

int fdr_write_out(const void *buf, size_t len)
{
	const char *p = buf;

	if (std_closed[1]) {
		errno = EBADF;
		return -1;
	}
	while (len > 0) {
		ssize_t n = write(1, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Puts a placeholder on each of 0, 1, 2 that is closed, so that no socket
 * or file of fdrelay's own takes the number (and gets written as if it
 * were standard output), opened the other way round so that using it fails
 * with EBADF as the closed descriptor would have.
 */
void fdr_std_guard(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int p;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		p = open("/dev/null", (fd == 0 ? O_WRONLY : O_RDONLY) | O_NOCTTY);
		if (p == fd)
			std_closed[fd] = 1;
		else if (p != -1)
			close(p);
	}
}

int fdr_std_closed(int fd)
{
	return fd >= 0 && fd < 3 && std_closed[fd];
}

int fdr_fd_open(int fd)
{
	return !fdr_std_closed(fd) && fcntl(fd, F_GETFD) != -1;
}

static rlim_t nofile_start = RLIM_INFINITY;

long fdr_nofile_start(void)
{
	struct rlimit rl;

	if (nofile_start == RLIM_INFINITY && getrlimit(RLIMIT_NOFILE, &rl) == 0)
		nofile_start = rl.rlim_cur;
	return nofile_start == RLIM_INFINITY ? -1 : (long)nofile_start;
}

int fdr_nofile_need(long highest)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)highest + 64;

	fdr_nofile_start();
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			return -1;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		errno = EMFILE;
		return -1;
	}
	return 0;
}
