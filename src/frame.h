/* frame.h - fdrelay frames (proto.h) over a connected socket, with deadlines. */
#ifndef FDRELAY_FRAME_H
#define FDRELAY_FRAME_H

/*
 * Convention: -1 and errno on failure (ETIMEDOUT when the deadline passed,
 * ECONNRESET when the peer closed inside a frame, EPROTO for a malformed
 * frame or descriptors that disagree with its header), as in the core.
 */

#include <stddef.h>

#include "proto.h"

/*
 * sock and type form a checked channel (struct ancil_chan): whoever sets
 * up a frame_conn made the socket AF_UNIX or checked it with
 * ancil_check_unix/ancil_chan_init, and the calls below do not ask again.
 */
struct frame_conn {
	int sock;		/* connected AF_UNIX SOCK_STREAM or SOCK_SEQPACKET socket */
	int type;
	long long deadline;	/* monotonic milliseconds; 0: none */
};

/* Monotonic clock in milliseconds. */
long long frame_now(void);
/* Deadline ms milliseconds from now (0 for a negative ms: none). */
long long frame_deadline(int ms);

/*
 * Sends one frame: a header for type, flags and nfds, len payload bytes,
 * and nfds descriptors (borrowed) riding its first byte.  Returns 0.
 */
int frame_send(struct frame_conn *c, int type, int flags, const void *payload, size_t len,
    const int *fds, size_t nfds);

/*
 * Receives one frame into *h, payload (room for PROTO_MAX_PAYLOAD bytes)
 * and fds (room for PROTO_MAX_FDS owned, close-on-exec descriptors).
 * Returns 1 for a frame, 0 for end of file before its first byte, -1 on
 * error, in which case every descriptor received is closed.
 */
int frame_recv(struct frame_conn *c, struct proto_hdr *h, unsigned char *payload, int *fds);

/* Waits until c->sock is readable or the deadline passes (ETIMEDOUT). */
int frame_wait(struct frame_conn *c);

#endif
