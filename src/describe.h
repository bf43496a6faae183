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
 * Describes descriptor fd of process pid (0: this process) as one line of
 * text, or one JSON object (json), with name (NULL: none), on out.  With
 * shown >= 0 it is described as a program would see it once received as
 * descriptor shown: that number, not close-on-exec.  Returns 0, or -1 with
 * errno (EBADF: not open; ESRCH: no such process).
 */
int describe_fd(FILE *out, pid_t pid, int fd, int shown, const char *name, int json);

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
