/* tap.h - a small TAP producer, descriptor-leak checks and helpers for the C tests. */
#ifndef FDRELAY_TAP_H
#define FDRELAY_TAP_H

#include <stddef.h>
#include <sys/types.h>

/* Reports one test; returns cond. */
int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports one skipped test with a reason. */
void skip(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A "# " comment line on stdout. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan (1..N) and returns the exit status for main(). */
int done_testing(void);

/* The set of this process's open descriptors (from /proc/self/fd). */
struct fdset {
	size_t n;
	int fds[4096];
};
void fdset_take(struct fdset *s);
/* The RLIMIT_NOFILE that leaves exactly room descriptor numbers free, with s open. */
long fdset_limit(const struct fdset *s, size_t room);
/*
 * Reports one test: the open descriptors equal those in *before; the
 * differences are printed as diagnostics when they do not.
 */
int ok_fdset(const struct fdset *before, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 if fd is open, 0 if not. */
int fd_is_open(int fd);
/* 1 if fd has FD_CLOEXEC set. */
int fd_is_cloexec(int fd);
/* 1 if a and b refer to the same open file (st_dev and st_ino). */
int fd_same_file(int a, int b);

/* A socketpair(AF_UNIX, type) close-on-exec into sv, or exit 99. */
void test_pair(int type, int sv[2]);
void test_close2(int sv[2]);
/* fork(), or exit 99; the child gets 20 s (alarm) before it is killed. */
pid_t test_fork(void);
/* The exit status of child pid (128+N for signal N), waited for through EINTR; -1. */
int test_wait(pid_t pid);
/*
 * One plain sendmsg of len bytes and nfds (at most 16) descriptors, with
 * MSG_NOSIGNAL: a peer written without fdrelay's code.
 */
ssize_t test_raw_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds);

#endif
