/* ancil.h - descriptors and credentials over AF_UNIX sockets (SCM_RIGHTS). */
#ifndef FDRELAY_ANCIL_H
#define FDRELAY_ANCIL_H

/*
 * Convention: every function returns -1 and sets errno on failure, or a
 * count or descriptor (>= 0) on success.  Nothing here prints, exits or
 * keeps global state.  Descriptors handed back to the caller are owned by
 * the caller and are always close-on-exec; on every error path the core
 * closes whatever it received, so a failed call leaves no descriptor open.
 *
 * Errors worth telling apart:
 *   ENOTSOCK, EAFNOSUPPORT  not a socket / not an AF_UNIX socket
 *   EINVAL       bad arguments (too many descriptors for one message, a
 *                zero-byte stream send that carries descriptors, ...)
 *   EMSGSIZE     (send) no room in a buffer; (receive) the kernel truncated
 *                the message: its control data (MSG_CTRUNC: buffer too
 *                small, receiver at RLIMIT_NOFILE, or a security module
 *                refused a descriptor) or its bytes (MSG_TRUNC: a datagram
 *                or packet longer than the buffer); which one is in the
 *                buffer's or rx's truncated flags
 *   ETOOMANYREFS the sender's user has too many descriptors in flight
 *   EBADMSG      a malformed control message header
 *   ECONNRESET   the peer closed before a message was complete
 */

#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* Descriptors the kernel accepts in one message (Linux SCM_MAX_FD). */
#define ANCIL_MAX_FDS 253

/* Credentials of a peer or of one message; -1 in a field means unknown. */
struct ancil_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/*
 * Size of the kernel's credentials payload on this system (0 where
 * credentials cannot be sent as a control message).
 */
size_t ancil_cred_size(void);

/*
 * ANCIL_SPACE(nfds, ncreds): bytes of control buffer that hold one
 * SCM_RIGHTS message of nfds descriptors and ncreds credential messages.
 * ANCIL_BUFFER(name, nfds, ncreds) declares suitably aligned storage.
 */
#define ANCIL_CRED_SPACE 128	/* >= CMSG_SPACE of every system's struct (FreeBSD: ~104) */
#define ANCIL_SPACE(nfds, ncreds) \
	(CMSG_SPACE(sizeof(int) * (nfds)) + (size_t)(ncreds) * ANCIL_CRED_SPACE)
#define ANCIL_BUFFER(name, nfds, ncreds) \
	union { struct cmsghdr align; unsigned char bytes[ANCIL_SPACE(nfds, ncreds)]; } name

/*
 * Room for everything the kernel may deliver with one message: 253
 * descriptors, credentials, a pidfd, timestamps and security labels that a
 * socket received from someone else may have turned on.
 */
#define ANCIL_RECV_SPACE (ANCIL_SPACE(ANCIL_MAX_FDS, 4) + 512)

/* ---- Low-level buffer over caller memory -------------------------------- */

struct ancil_buf {
	unsigned char *data;	/* caller memory, aligned for struct cmsghdr */
	size_t cap;		/* bytes available at data */
	size_t len;		/* bytes in use (msg_controllen) */
	int truncated;		/* ANCIL_TRUNC_* the kernel reported on receipt */
};

/* What the kernel cut from a received message (flags). */
#define ANCIL_TRUNC_CTRL 0x01	/* MSG_CTRUNC: descriptors or credentials lost */
#define ANCIL_TRUNC_DATA 0x02	/* MSG_TRUNC: bytes of a datagram or packet lost */
#define ANCIL_TRUNC_ROOM 0x04	/* with CTRL: the control buffer was full, so it was too small */

/* Kinds of control message the iterator reports. */
enum ancil_kind {
	ANCIL_RIGHTS = 1,	/* SCM_RIGHTS: descriptors */
	ANCIL_CREDS,		/* SCM_CREDENTIALS / SCM_CREDS */
	ANCIL_PIDFD,		/* SCM_PIDFD (Linux 6.5+): one pidfd */
	ANCIL_OTHER		/* anything else (timestamps, labels) */
};

/* One control message, as found by ancil_buf_next(). */
struct ancil_item {
	enum ancil_kind kind;
	int level, type;		/* cmsg_level, cmsg_type */
	const unsigned char *data;	/* payload, possibly unaligned */
	size_t datalen;			/* payload bytes */
	size_t nfds;			/* RIGHTS and PIDFD: descriptors */
	struct ancil_cred cred;		/* CREDS */
};

/* Points b at cap bytes of caller memory (aligned for struct cmsghdr). */
void ancil_buf_init(struct ancil_buf *b, void *mem, size_t cap);
size_t ancil_buf_capacity(const struct ancil_buf *b);
size_t ancil_buf_length(const struct ancil_buf *b);
int ancil_buf_empty(const struct ancil_buf *b);
int ancil_buf_truncated(const struct ancil_buf *b);

/* Forgets the contents without closing anything (see ancil_buf_close). */
void ancil_buf_clear(struct ancil_buf *b);

/*
 * Appends one SCM_RIGHTS message carrying nfds descriptors (borrowed, not
 * owned).  All or nothing: returns nfds, or -1 with EMSGSIZE when the buffer
 * lacks room and EINVAL when nfds is 0, a descriptor is negative, or the
 * buffer would carry more than ANCIL_MAX_FDS descriptors in all (the kernel
 * merges every SCM_RIGHTS message of one send into one list).
 */
int ancil_buf_add_fds(struct ancil_buf *b, const int *fds, size_t nfds);

/*
 * Appends this process's credentials (cred NULL) or the given ones (the
 * kernel lets only privileged senders claim others).  All or nothing:
 * returns 0, or -1 with EMSGSIZE (no room) or ENOTSUP (the system has no
 * credentials message; on FreeBSD the kernel fills them in itself).
 */
int ancil_buf_add_creds(struct ancil_buf *b, const struct ancil_cred *cred);

/*
 * Iterates over the control messages in b.  *pos starts at 0.  Returns 1
 * and fills *item for the next message, 0 at the end, or -1 with EBADMSG
 * when a header is malformed (length below the header size or past the
 * bytes present).  Pure parsing: never closes or touches descriptors.
 */
int ancil_buf_next(const struct ancil_buf *b, size_t *pos, struct ancil_item *item);

/* Descriptor i of a RIGHTS or PIDFD item (copied out, alignment-safe). */
int ancil_item_fd(const struct ancil_item *item, size_t i);

/*
 * Closes every descriptor that well-formed messages in b carry, stopping at
 * the first malformed header, then clears b.  For received buffers only.
 */
void ancil_buf_close(struct ancil_buf *b);

/*
 * One sendmsg(2) of iov with the control messages in b (b may be NULL),
 * with MSG_NOSIGNAL and EINTR retried.  Returns the bytes sent, which on a
 * stream socket may be fewer than asked: the descriptors went with the
 * first byte, so send the rest without b.  Refuses a non-AF_UNIX socket
 * (EAFNOSUPPORT), and descriptors with zero bytes on a stream socket
 * (EINVAL), where the kernel would silently drop them.
 */
ssize_t ancil_sendmsg(int sock, const struct iovec *iov, size_t niov, const struct ancil_buf *b);

/*
 * One recvmsg(2) into iov and the control buffer b, EINTR retried,
 * descriptors close-on-exec.  Every header is validated against the bytes
 * received.  When the kernel truncated the message (control data or, on a
 * datagram or seqpacket socket, bytes), or a descriptor could not be made
 * close-on-exec, every descriptor that arrived is closed, b is emptied and
 * -1 returned with EMSGSIZE (resp. that error), b's truncated flags saying
 * what was cut.  Otherwise returns the bytes received (0 is end of file
 * only when b is empty too).
 * flags: extra recvmsg flags (MSG_DONTWAIT); MSG_PEEK and MSG_OOB are
 * refused with EINVAL, since peeking duplicates in-flight descriptors.
 */
ssize_t ancil_recvmsg(int sock, struct iovec *iov, size_t niov, struct ancil_buf *b, int flags);

/* ---- High level: owned descriptors ------------------------------------- */

/*
 * Sends len bytes of buf with nfds descriptors (at most ANCIL_MAX_FDS,
 * borrowed) and, when cred is not NULL, credentials (see ancil_buf_add_creds;
 * pass a cred with pid -1 for this process's own).  On a stream socket the
 * whole buffer is sent, the descriptors riding the first byte exactly once;
 * a non-blocking socket is waited on with poll(2).  On a stream socket len
 * must be at least 1 when descriptors are sent.  Returns len.
 * A failure after part of the bytes went out leaves the stream unusable.
 */
ssize_t ancil_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
    const struct ancil_cred *cred);

/* What ancil_recv() received besides the bytes. */
struct ancil_rx {
	int *fds;		/* in: room for maxfds owned descriptors */
	size_t maxfds;		/* in */
	size_t nfds;		/* out: descriptors stored in fds */
	size_t nsurplus;	/* out: descriptors beyond maxfds, closed */
	int have_cred;		/* out: the message carried credentials */
	struct ancil_cred cred;	/* out */
	int truncated;		/* out: ANCIL_TRUNC_* (see keep_truncated) */
	int keep_truncated;	/* in: see ancil_recv */
};

/*
 * Receives up to len bytes (one recvmsg) and the descriptors sent with
 * them into rx.  Descriptors beyond rx->maxfds are closed and counted in
 * rx->nsurplus; a pidfd (SCM_PIDFD) is closed.  Returns the bytes
 * received; 0 with rx->nfds == 0 is end of file on a stream or seqpacket
 * socket (on a datagram socket, an empty datagram).  See ancil_recvmsg for
 * errors; on error nothing received stays open.
 */
ssize_t ancil_recv(int sock, void *buf, size_t len, struct ancil_rx *rx, int flags);
/*
 * With rx->keep_truncated set, a message that lost only control data
 * (rx->truncated is ANCIL_TRUNC_CTRL, perhaps with ANCIL_TRUNC_ROOM) is
 * not an error: its bytes are returned and the descriptors that did
 * arrive are in rx->fds as usual, so that a caller can say what was lost
 * and why.  The caller must check rx->truncated.  Bytes cut short stay
 * EMSGSIZE, with nothing left open.
 */

/*
 * A checked channel: a socket known to be AF_UNIX, for a caller that sends
 * and receives many messages on it.  ancil_send and ancil_recv ask the
 * kernel what the socket is on every call (one getsockopt each, about a
 * quarter of a microsecond, which is a fifth of a one-descriptor round
 * trip); the channel asks once.  ancil_chan_init() is the way to make one;
 * a caller that created the socket itself (socket(AF_UNIX, type, 0),
 * accept on such a socket) may fill in sock and type directly.  The
 * channel borrows sock: it never closes it.
 */
struct ancil_chan {
	int sock;	/* an AF_UNIX socket */
	int type;	/* SOCK_STREAM, SOCK_SEQPACKET or SOCK_DGRAM */
};

/*
 * Checks sock (ancil_check_unix) and points ch at it.  Returns 0, or -1
 * with ENOTSOCK or EAFNOSUPPORT (ch->sock is then -1).
 */
int ancil_chan_init(struct ancil_chan *ch, int sock);

/*
 * ancil_send and ancil_recv on a checked channel: exactly their contracts
 * (arguments, errors, ownership), without asking what the socket is.
 */
ssize_t ancil_chan_send(const struct ancil_chan *ch, const void *buf, size_t len, const int *fds,
    size_t nfds, const struct ancil_cred *cred);
ssize_t ancil_chan_recv(const struct ancil_chan *ch, void *buf, size_t len, struct ancil_rx *rx,
    int flags);

/* ---- Credentials and sockets -------------------------------------------- */

/*
 * Credentials of the peer of a connected AF_UNIX socket, as of connect(2)
 * (SO_PEERCRED, getpeereid, LOCAL_PEERCRED): pid is -1 where the system
 * does not say, and 0 on Linux when the peer is in another pid namespace.
 */
int ancil_peer_cred(int sock, struct ancil_cred *cred);

/*
 * The supplementary groups of the peer of a connected socket, as of
 * connect(2) (SO_PEERGROUPS, Linux 4.13+).  Returns how many there are,
 * having stored them when that is at most max (otherwise nothing is stored:
 * call again with more room); -1 with ENOPROTOOPT where the system cannot
 * say.
 */
int ancil_peer_groups(int sock, gid_t *groups, size_t max);

/*
 * A pidfd for the peer of a connected socket (SO_PEERPIDFD, Linux 6.5+),
 * close-on-exec; -1 with ENOPROTOOPT where the kernel lacks it.
 */
int ancil_peer_pidfd(int sock);

/*
 * Returns 0 if sock is an AF_UNIX socket, otherwise -1 with ENOTSOCK or
 * EAFNOSUPPORT.  *type (if not NULL) receives SOCK_STREAM etc.
 */
int ancil_check_unix(int sock, int *type);

/* Turns on SO_PASSCRED (or its equivalent) on a socket you own. */
int ancil_pass_creds(int sock);

/* Closes nfds descriptors (skipping -1), keeping errno, and sets them to -1. */
void ancil_close_fds(int *fds, size_t nfds);

#endif
