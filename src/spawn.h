/* spawn.h - starting a program on received descriptors: placement, environment, waiting, signals. */
#ifndef FDRELAY_SPAWN_H
#define FDRELAY_SPAWN_H

#include <stddef.h>

#include "ancil.h"
#include "frame.h"

struct spawn {
	const char *cmd;		/* "listen": for messages */
	char *const *argv;		/* the program, found through PATH */
	int stdio;			/* --stdio: the first "stdin", "stdout", "stderr" become 0, 1, 2 */
	int *fds;			/* the descriptors: spawn_run closes them (-1) once the program has them */
	char *const *names;
	size_t n;
	const struct ancil_cred *peer;	/* FDRELAY_PEER_PID/UID/GID, or NULL */
	const char *message;		/* FDRELAY_MESSAGE when it is NUL-free UTF-8, or NULL */
	size_t msglen;
	int verbose;
};

/*
 * Starts the program with exactly fds 0-2 and s->fds (at 3, 4, ... in
 * order, or on 0-2 by name with stdio) open, LISTEN_FDS, LISTEN_PID (its
 * own), LISTEN_FDNAMES and the FDRELAY_* variables set (any inherited ones
 * removed), and the soft RLIMIT_NOFILE fdrelay started with (raised to
 * stay 64 above its highest descriptor).  Then waits for it, forwarding
 * the INT, TERM, HUP and QUIT this process receives, except those the
 * kernel sent to the whole process group (a terminal's ^C), which the
 * program got itself, and the SIGNAL frames of *conn (a sender waiting for
 * the status; set to NULL when it leaves or misbehaves; each frame gets
 * frame_ms to arrive whole).  Returns the program's exit status (126 or
 * 127 when it could not be run, after a message), with *signal set to N
 * when signal N killed it.
 */
int spawn_run(const struct spawn *s, struct frame_conn **conn, int frame_ms, int *signal);

/*
 * Replaces this process with the program, set up as spawn_run() sets up
 * its child (LISTEN_PID is then this process's own pid).  Returns only
 * when it could not: the exit status (126 or 127, 1), after a message on
 * the standard error fdrelay was started with.
 */
int spawn_exec(const struct spawn *s);

#endif
