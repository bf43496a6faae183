/* frame.h - fdrelay frames (proto.h) over a connected socket, with deadlines. */
#ifndef FDRELAY_FRAME_H
#define FDRELAY_FRAME_H

/*
 * Convention: -1 and errno on failure, as in the core: ETIMEDOUT when the
 * deadline passed, ECONNRESET when the peer closed inside a frame, ENOMSG
 * when the peer does not speak fdrelay's framing at all (its first byte is
 * not the magic), EPROTO for a malformed frame or descriptors that disagree
 * with its header, EPROTONOSUPPORT for another protocol version, EMSGSIZE
 * when the kernel truncated what was sent (see ancil.h).  Nothing here
 * prints, exits or keeps global state.
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
	struct frame_trunc *trunc;	/* NULL, or where to say what the kernel cut */
};

/*
 * For a receiver that wants to say why descriptors did not arrive: with
 * c->trunc set, a frame that lost descriptors on the way (MSG_CTRUNC) is
 * still EMSGSIZE, but the descriptors that did arrive are left to the
 * caller (see frame_recv and frame_recv_offer) and this says how many.
 */
struct frame_trunc {
	int flags;		/* ANCIL_TRUNC_*; 0 when nothing was cut */
	size_t arrived;		/* descriptors that arrived */
	size_t sent;		/* descriptors the sender's headers declared */
	int more;		/* the sender had more frames to send: sent is a lower bound */
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
 * error, in which case every descriptor received is closed; except for
 * EMSGSIZE with c->trunc set and its flags not 0: then the frame was read
 * whole, *h holds its header, and c->trunc->arrived descriptors are in fds.
 */
int frame_recv(struct frame_conn *c, struct proto_hdr *h, unsigned char *payload, int *fds);

/* Waits until c->sock is readable or the deadline passes (ETIMEDOUT). */
int frame_wait(struct frame_conn *c);

/* Descriptors and their names, in order: what one sender's OFFERs carry. */
struct frame_batch {
	int *fds;		/* owned, close-on-exec */
	char **names;		/* owned copies */
	size_t n, cap;
};

/*
 * Appends fd (ownership taken, even on failure, when it is then closed)
 * named name (copied) to b.  Returns 0, or -1 with ENOMEM.
 */
int frame_batch_add(struct frame_batch *b, int fd, const char *name);

/* Closes every descriptor of b, frees it all and leaves b empty. */
void frame_batch_free(struct frame_batch *b);

/*
 * Sends n descriptors (borrowed) with their names as OFFER frames of at
 * most PROTO_MAX_FDS each, PROTO_F_MORE on all but the last and flags
 * (PROTO_F_WAIT) on every one; n 0 is one empty OFFER.  This is how more
 * than the kernel's 253 descriptors per message travel.  Returns 0.
 */
int frame_send_offer(struct frame_conn *c, int flags, const int *fds, char *const *names, size_t n);

/*
 * Receives one sender's OFFER frames, up to the one without PROTO_F_MORE,
 * appending their descriptors and names to b, and the frames' flags to
 * *flags.  Returns 1 when complete; 0 at end of file before the first byte
 * (the peer sent nothing at all: a probe, not a sender); -1 with errno
 * otherwise: E2BIG as soon as a frame's header would take b past max
 * descriptors (that frame's payload is never read), EPROTO for a frame
 * that is not an OFFER, a WAIT flag that changes, or bad names, and the
 * errors of frame_recv.  On -1 everything received is closed and b emptied,
 * except for EMSGSIZE with c->trunc set and its flags not 0: then b holds
 * every descriptor that arrived, named, for the caller to free.
 */
int frame_recv_offer(struct frame_conn *c, struct frame_batch *b, size_t max, int *flags);

/* ---- Without blocking: for a server that serves many peers in one loop ---- */

/*
 * One frame being received on a non-blocking stream socket, a piece at a
 * time.  Zero it (and set payload: room for PROTO_MAX_PAYLOAD bytes)
 * before the first frame and after taking each.
 */
struct frame_rx {
	unsigned char hdr[PROTO_HDR_LEN];
	struct proto_hdr h;
	unsigned char *payload;
	int fds[PROTO_MAX_FDS];	/* owned, close-on-exec */
	size_t nfds;
	size_t got;		/* bytes of this frame so far */
};

/*
 * Reads what has arrived of the current frame without waiting, from sock,
 * an AF_UNIX stream socket (as struct frame_conn's, not asked again).  Returns 1
 * when it is complete (rx->h, payload, fds: the fds are the caller's from
 * now); 0 at end of file before its first byte; -1 with errno: EAGAIN when
 * the rest has not arrived yet (call again when readable), or the errors
 * of frame_recv (ENOMSG, EPROTO, ECONNRESET, EMSGSIZE, ...), after which
 * every descriptor of the frame is closed.
 */
int frame_rx_step(int sock, struct frame_rx *rx);

/* Closes what a frame_rx holds and zeroes it (payload kept). */
void frame_rx_reset(struct frame_rx *rx);

/* One frame being sent on a non-blocking stream socket. */
struct frame_tx {
	unsigned char buf[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD];
	size_t len, off;	/* off == len: nothing (more) to send */
	const int *fds;		/* borrowed: they must stay open until sent */
	size_t nfds;
};

/* Sets up a frame to send (as frame_send builds it); 0, or -1 with EINVAL. */
int frame_tx_set(struct frame_tx *tx, int type, int flags, const void *payload, size_t len,
    const int *fds, size_t nfds);

/*
 * Sends what the socket takes of tx without waiting, the descriptors with
 * the first byte.  Returns 1 when the frame is all sent, -1 with errno
 * EAGAIN when the socket is full (call again when writable), or another
 * errno (EPIPE, ETOOMANYREFS...).
 */
int frame_tx_step(int sock, struct frame_tx *tx);

#endif
