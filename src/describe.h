/* describe.h - what an open descriptor is, as one line of text or one JSON object. */
#ifndef FDRELAY_DESCRIBE_H
#define FDRELAY_DESCRIBE_H

/*
 * The engine behind describe, recv (and, later, list).  It reads /proc
 * (Linux only: elsewhere it says what fstat and fcntl tell), prints to the
 * FILE it is given and never exits.  The output format is at the top of
 * describe.c and in fdrelay(1), DESCRIBE OUTPUT.
 */

#include <stdio.h>
#include <sys/types.h>
#include <sys/socket.h>

/* Room describe_addr() needs. */
#define DESCRIBE_ADDR_MAX (sizeof(struct sockaddr_storage) * 4 + 8)

/*
 * One run of descriptions: where they go, in which form, and what is
 * gathered once per run on first need (the kernel's table of unix
 * sockets; which processes hold which socket).  describe_begin() sets it
 * up, describe_end() frees what was gathered.
 */
struct describe_run {
	FILE *out;
	int json;
	struct unixdiag *diag;		/* NULL until needed; then NULL when it failed */
	struct unixdiag_procs *procs;
	int diag_tried, procs_tried;
};

void describe_begin(struct describe_run *r, FILE *out, int json);
void describe_end(struct describe_run *r);

/*
 * Describes descriptor fd of process pid (0: this process) as one line of
 * text, or one JSON object, with name (NULL: none).  With shown >= 0 it is
 * described as a program would see it once received as descriptor shown:
 * that number, not close-on-exec.  Returns 0, or -1 with errno (EBADF: not
 * open; ESRCH: no such process).
 */
int describe_fd(struct describe_run *r, pid_t pid, int fd, int shown, const char *name);

/*
 * Describes the unix socket bound at addr (a path, or @NAME) rather than
 * a descriptor: one line or object.  Returns 0 when it could, stale
 * included; -1 with errno ENOENT (nothing there, or no socket bound to
 * @NAME), ENOTSOCK (a path that is not a socket) or another error.
 */
int describe_socket(struct describe_run *r, const char *addr);

/*
 * When LISTEN_FDS is set in the environment of pid (0: this process) but
 * LISTEN_PID names another process (or is missing), one line saying so,
 * into buf (n bytes); otherwise, or when the descriptors are there as
 * promised, "".  Other inconsistencies of the LISTEN_* variables get a
 * line too: descriptors promised but not open, names that do not match
 * their count.
 */
void describe_listen_check(pid_t pid, char *buf, size_t n);

/*
 * The names LISTEN_FDNAMES gives descriptors 3, 4, ... of pid (0: this
 * process), when LISTEN_PID names that process: a malloc'ed buffer of *n
 * NUL-separated names, or NULL (none, or no memory).
 */
char *describe_names(pid_t pid, size_t *n);

/* The name of descriptor fd among the n names of describe_names(), or NULL. */
const char *describe_name(const char *names, size_t n, int fd);

/*
 * A socket address of len bytes as text, into buf (DESCRIBE_ADDR_MAX
 * bytes), not NUL-terminated: *n bytes of a path, @ABSTRACT,
 * HOST:PORT or [HOST6]:PORT (0 bytes for an unnamed unix socket).
 */
void describe_addr(const struct sockaddr_storage *ss, socklen_t len, char *buf, size_t *n);

/*
 * The open descriptors of pid (0: this process, without the one used to
 * list them), sorted, in a malloc'ed array of *n; NULL with errno.
 */
int *describe_list(pid_t pid, size_t *n);

#endif
