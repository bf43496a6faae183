/* os.h - every compile-time portability choice, in one place. */
#ifndef FDRELAY_OS_H
#define FDRELAY_OS_H

#include "config.h"

#include <fcntl.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

/*
 * Each choice is taken from configure's results (HAVE_* in config.h)
 * where only a probe can tell, such as whether a function exists, and from
 * the system headers' own macros otherwise; the core's .c files read the
 * OS_* names defined here and test no operating system themselves.
 */

/*
 * Receiving descriptors close-on-exec atomically: Linux and the BSDs have
 * MSG_CMSG_CLOEXEC; elsewhere (macOS) FD_CLOEXEC is set right after
 * receipt, and everything received is closed if that fails.
 */
#ifdef MSG_CMSG_CLOEXEC
#define OS_MSG_CMSG_CLOEXEC MSG_CMSG_CLOEXEC
#define OS_HAVE_MSG_CMSG_CLOEXEC 1
#else
#define OS_MSG_CMSG_CLOEXEC 0
#endif

/* Sends never raise SIGPIPE (macOS: SO_NOSIGPIPE would be set instead). */
#ifdef MSG_NOSIGNAL
#define OS_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define OS_MSG_NOSIGNAL 0
#endif

/*
 * Credentials as a control message: Linux SCM_CREDENTIALS (struct ucred,
 * needs SO_PASSCRED on the receiver), FreeBSD SCM_CREDS (struct cmsgcred,
 * filled in by the kernel).  Others have none.
 */
#if defined(SCM_CREDENTIALS) && defined(SO_PASSCRED)
#define OS_CRED_LINUX 1
#elif defined(SCM_CREDS) && defined(__FreeBSD__)
#define OS_CRED_FREEBSD 1
#endif

/*
 * Linux 6.5 pidfd options, missing from older headers; the kernel ABI
 * values are fixed.
 */
#ifdef __linux__
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif
#endif

/*
 * Which socket option tells a socket's address family: Linux and FreeBSD
 * have SO_DOMAIN; elsewhere getsockname(2) reports it.
 */
#ifdef SO_DOMAIN
#define OS_HAVE_SO_DOMAIN 1
#endif

/*
 * Peer credentials of a connected AF_UNIX socket: Linux SO_PEERCRED
 * (struct ucred), OpenBSD SO_PEERCRED (struct sockpeercred), FreeBSD and
 * macOS LOCAL_PEERCRED (struct xucred, no pid before FreeBSD 13), or
 * getpeereid(3) (no pid) elsewhere.
 */
#if defined(__linux__) && defined(SO_PEERCRED)
#define OS_PEERCRED_UCRED 1
#elif defined(__OpenBSD__) && defined(SO_PEERCRED)
#define OS_PEERCRED_SOCKPEERCRED 1
#elif defined(LOCAL_PEERCRED)
#define OS_PEERCRED_XUCRED 1
#include <sys/ucred.h>
#if defined(__FreeBSD__) && defined(cr_pid)
#define OS_XUCRED_PID 1		/* FreeBSD 13 added the peer's pid */
#endif
#elif defined(HAVE_GETPEEREID)
#define OS_PEERCRED_GETPEEREID 1
#endif

/* Without MSG_NOSIGNAL (macOS), SO_NOSIGPIPE is set on the socket instead. */
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
#define OS_SO_NOSIGPIPE 1
#endif

/*
 * New sockets are close-on-exec from the start, and non-blocking when
 * asked: Linux and the BSDs take SOCK_CLOEXEC and SOCK_NONBLOCK in
 * socket(2)'s type; elsewhere (macOS) fcntl(2) sets them right after
 * socket(2), a window that matters only to a program forking in another
 * thread meanwhile (the core's callers are single-threaded).
 */
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
#define OS_HAVE_SOCK_FLAGS 1
#endif

/*
 * Long socket paths go through a descriptor of the parent directory:
 * O_PATH where it exists (Linux), a plain read-only open elsewhere.
 */
#ifdef O_PATH
#define OS_O_PATH O_PATH
#else
#define OS_O_PATH O_RDONLY
#endif

/*
 * macOS keeps the untruncated size in cmsg_len after truncating: the
 * parser clamps every length to the bytes present, on every system.
 */

/* ---- Descriptors the program makes (not the core) -------------------- */

#include <errno.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)	/* Linux 5.11 ABI; older kernels say EINVAL */
#endif

/*
 * A pipe whose two ends are close-on-exec (and non-blocking when asked)
 * from the start: pipe2(2) where it exists, otherwise pipe(2) and fcntl
 * (then a fork in between could leak it: fdrelay forks only from its main
 * thread, never while this runs).
 */
static inline int os_pipe(int fds[2], int nonblock)
{
#ifdef HAVE_PIPE2
	return pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
#else
	if (pipe(fds) == -1)
		return -1;
	for (int i = 0; i < 2; i++)
		if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) == -1 ||
		    (nonblock && fcntl(fds[i], F_SETFL, O_NONBLOCK) == -1)) {
			int e = errno;

			close(fds[0]);
			close(fds[1]);
			errno = e;
			return -1;
		}
	return 0;
#endif
}

/* accept(2) giving a close-on-exec connection. */
static inline int os_accept(int s)
{
#ifdef HAVE_ACCEPT4
	return accept4(s, NULL, NULL, SOCK_CLOEXEC);
#else
	int c = accept(s, NULL, NULL);

	if (c != -1 && fcntl(c, F_SETFD, FD_CLOEXEC) == -1) {
		int e = errno;

		close(c);
		errno = e;
		return -1;
	}
	return c;
#endif
}

/*
 * Marks every descriptor from low up close-on-exec: close_range(2) with
 * CLOSE_RANGE_CLOEXEC (Linux 5.11+) or, where that fails, the flag set on
 * each descriptor up to the limit.  For a child about to exec.
 */
static inline void os_cloexec_from(int low)
{
	long max;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)low, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	for (long fd = low; fd < max && fd < 1048576; fd++)
		(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/* Closes every descriptor from low up; async-signal-safe, for a handler about to _exit. */
static inline void os_close_from(int low)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)low, ~0U, 0U) == 0)
		return;
#endif
	for (int fd = low; fd < 65536; fd++)
		(void)close(fd);
}


/*
 * pidfds (Linux 5.3+ pidfd_open, 5.6+ pidfd_getfd, 5.1+ pidfd_send_signal),
 * by system call number: older C libraries lack the wrappers.  Elsewhere
 * they fail with ENOSYS.  PIDFS_MAGIC tells pidfds that live on pidfs
 * (Linux 6.9+), whose inode numbers identify a process (LISTEN_PIDFDID).
 */
#define OS_PIDFS_MAGIC 0x50494446
static inline int os_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static inline int os_pidfd_getfd(int pidfd, int fd)
{
#ifdef SYS_pidfd_getfd
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
#else
	(void)pidfd;
	(void)fd;
	errno = ENOSYS;
	return -1;
#endif
}

/* 0 while the process pidfd refers to is alive (signal 0), else -1 (ESRCH). */
static inline int os_pidfd_alive(int pidfd)
{
#ifdef SYS_pidfd_send_signal
	return (int)syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0);
#else
	(void)pidfd;
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * Bytes waiting in a stdio stream's buffer: __fpending (glibc, musl, the
 * BSDs' stdio_ext.h), or "some, maybe" (1) where it is missing.
 */
#ifdef HAVE___FPENDING
#include <stdio_ext.h>
#define os_fpending(f) __fpending(f)
#else
#define os_fpending(f) ((void)(f), (size_t)1)
#endif

#endif
