/* client.h - reaching a listener: connecting with retries, saying why not, checking who listens. */
#ifndef FDRELAY_CLIENT_H
#define FDRELAY_CLIENT_H

#include "frame.h"
#include "policy.h"

struct client {
	const char *cmd;		/* "send", for messages */
	const char *peer;		/* what is at path, for messages: NULL for "listener" */
	const char *path;		/* SOCKET */
	int type;			/* SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM */
	int retry;			/* retry while missing or refusing */
	const char *timeout_prefix;	/* what the deadline says, or NULL without one */
	const struct policy *policy;	/* which listeners may get our descriptors */
	int verbose;
};

/*
 * Connects to c->path (retrying with c->retry until the caller's deadline
 * ends the process; every attempt's reason is what the deadline then
 * says), then checks the listener against c->policy before anything is
 * sent: its credentials (SO_PEERCRED) on a connection, the socket file's
 * owner on a datagram socket (an abstract datagram name cannot be checked
 * and is allowed).  Returns the socket, or -1 after a message with
 * *status FDR_EXIT_FAIL (cannot connect, with a diagnosis: nothing
 * there, not a socket, a stale socket, another socket type, ...) or
 * FDR_EXIT_REFUSED (the listener's uid is not allowed).
 */
int client_connect(const struct client *c, int *status);

/*
 * Reads the listener's next frame into *h and payload (room for
 * PROTO_MAX_PAYLOAD); waiting_for says what for ("acknowledging"), and
 * hint (or NULL) what a closed connection may mean.  Returns 0, or an
 * exit status after a message when the connection ended, broke or carried
 * descriptors.
 */
int client_read(const struct client *c, struct frame_conn *fc, struct proto_hdr *h,
    unsigned char *payload, const char *waiting_for, const char *hint);

/*
 * Explains a frame the listener sent instead of the one expected (REFUSE,
 * ERROR, anything else); returns the exit status (3 for REFUSE, else 1).
 */
int client_unexpected(const struct client *c, const struct proto_hdr *h, const unsigned char *payload);

#endif
