/* listener.h - a listening socket, its senders, and what each one delivers. */
#ifndef FDRELAY_LISTENER_H
#define FDRELAY_LISTENER_H

#include <sys/types.h>

#include "ancil.h"
#include "frame.h"
#include "policy.h"
#include "sock.h"

/* Delivery time allowed to one sender when no --timeout is given. */
#define LISTENER_DELIVERY_MS 30000
/* The bytes a --raw or --dgram message may have. */
#define LISTENER_RAW_MAX 65536

struct listener_cfg {
	const char *cmd;		/* "listen", "recv": for messages */
	const char *path;		/* SOCKET; NULL with inherit */
	int inherit;			/* the socket comes from LISTEN_FDS */
	int type;			/* SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM (--inherit: ignored) */
	int raw;			/* one plain message instead of fdrelay's framing */
	mode_t mode;
	long max_fds;			/* descriptors one sender may send */
	int timeout_ms;			/* 0: none (waiting), LISTENER_DELIVERY_MS (delivering) */
	const char *timeout_text;	/* as given, for messages */
	int ready_fd;			/* -1: none */
	int keep_going;
	int max_children;		/* with keep_going */
	int watch_stdout;		/* stop when standard output's reader is gone */
	int verbose;
	const struct policy *policy;
};

/* What one sender delivered, as the handler sees it. */
struct delivery {
	struct frame_batch b;		/* the descriptors (the listener's) and names */
	struct ancil_cred cred;		/* the sender's */
	struct frame_conn *conn;	/* the sender, while it waits for a status; else NULL */
	char *message;			/* --raw: the bytes, NUL-terminated; else NULL */
	size_t msglen;
	int signal;			/* set by the handler: its program was killed by this signal */
};

/*
 * What a command does with one delivery (runs a program, describes it),
 * in the process that serves the sender, after the acknowledgement.  It
 * may set d->conn to NULL to stop listening to a misbehaving sender.
 * Returns the exit status (the program's); the listener reports it to a
 * sender that waits, and closes the descriptors afterwards.
 */
typedef int listener_handler(struct delivery *d, void *arg);

struct listener {
	const struct listener_cfg *cfg;
	int type;			/* the socket's type (an inherited one's own) */
	int raw;			/* raw messages: --raw, --dgram, or an inherited datagram socket */
	int sock;			/* listening (or bound datagram) socket */
	int conn;			/* --inherit of a connected socket: the one sender */
	struct sock_file file;		/* what to remove at the end */
};

/*
 * Binds cfg->path (or takes the inherited socket), says so with -v, and
 * signals --ready-fd.  Returns 0, or an exit status after a message.
 */
int listener_open(struct listener *l, const struct listener_cfg *cfg);

/*
 * Serves senders (one, or with keep_going each in a worker process of its
 * own) until done or stopped by a signal, calling h for each delivery.
 * Returns the exit status.
 */
int listener_serve(struct listener *l, listener_handler *h, void *arg);

/* Closes the socket and removes the socket file it created, if still there. */
void listener_close(struct listener *l);

#endif
