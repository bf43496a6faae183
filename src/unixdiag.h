/* unixdiag.h - the kernel's view of unix sockets (NETLINK_SOCK_DIAG) and which processes hold them. */
#ifndef FDRELAY_UNIXDIAG_H
#define FDRELAY_UNIXDIAG_H

/*
 * Convention: functions return NULL (or -1) and set errno on failure.
 * Never prints, never exits, holds no globals; every descriptor it opens
 * is close-on-exec and closed before it returns.  Linux only: elsewhere
 * the load functions fail with ENOSYS.
 *
 * Both tables are snapshots: sockets and processes come and go while they
 * are read, so a socket may be missing, or a process list a descriptor it
 * has since closed.  Only the current network namespace's sockets are
 * seen.
 */

#include <stddef.h>

/*
 * One unix socket as the kernel describes it.  A connection not yet
 * accepted is not listed itself: it has no inode until accept(2) gives it
 * one.  Its client is, with peer 0, and its listener names the client in
 * pending.
 */
struct unixdiag_sock {
	unsigned long long ino;		/* its inode, as in "socket:[INO]" */
	unsigned long long peer;	/* connected: the peer's inode; 0 when none or not yet accepted */
	int type;			/* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	int state;			/* udiag_state (TCP_LISTEN 10, TCP_ESTABLISHED 1, TCP_CLOSE 7...) */
	int listening;			/* state == TCP_LISTEN */
	int have_queue;			/* the queue lengths came (UNIX_DIAG_RQLEN) */
	unsigned int rqueue;		/* bytes waiting to be read (datagrams: the next one's size); listening: connections waiting to be accepted */
	unsigned int wqueue;		/* memory (not bytes) its writes not yet read hold; listening: the backlog */
	unsigned long long *pending;	/* listening: the CLIENTS' inodes of the connections not yet accepted (0: the client is gone) */
	size_t npending;
	int have_vfs;			/* bound to a file (UNIX_DIAG_VFS) */
	unsigned int vfs_major, vfs_minor;	/* the file's device, comparable with major(st_dev), minor(st_dev) */
	unsigned long long vfs_ino;	/* the file's inode: its low 32 bits only (the kernel truncates it) */
	char *name;			/* bound address: a path, or '\0' and an abstract name; NULL when unbound */
	size_t namelen;			/* its length (a path's without its NUL; name is NUL-terminated anyway) */
};

struct unixdiag;	/* every unix socket of this network namespace, by inode */

/* One netlink dump of every unix socket; NULL with errno (ENOENT or the like: no unix_diag in the kernel). */
struct unixdiag *unixdiag_load(void);
/*
 * The table that len bytes of replies to that dump describe, as the
 * kernel sends them (sequence 0x66647231), up to NLMSG_DONE or the end:
 * what unixdiag_load() parses, for tests and fuzzing, which feed it what
 * no kernel sent.  NULL with errno (EPROTO: malformed).
 */
struct unixdiag *unixdiag_parse(const void *buf, size_t len);
/* The socket of inode ino (not 0), or NULL.  A hash lookup. */
const struct unixdiag_sock *unixdiag_find(const struct unixdiag *t, unsigned long long ino);
/*
 * The socket bound to the file of device major:minor and inode ino (what
 * lstat gives for its path), or NULL.  Only ino's low 32 bits are compared.
 */
const struct unixdiag_sock *unixdiag_find_file(const struct unixdiag *t, unsigned int major,
    unsigned int minor, unsigned long long ino);
/* The socket bound to abstract name (len bytes, without the leading NUL), or NULL. */
const struct unixdiag_sock *unixdiag_find_abstract(const struct unixdiag *t, const char *name, size_t len);
/*
 * The listening socket among whose pending connections (not yet accepted)
 * the client socket of inode client is, or NULL.  A hash lookup.
 */
const struct unixdiag_sock *unixdiag_listener_of(const struct unixdiag *t, unsigned long long client);
/* Every socket, in dump order: *n of them. */
const struct unixdiag_sock *unixdiag_all(const struct unixdiag *t, size_t *n);
void unixdiag_free(struct unixdiag *t);

/* One process holding a socket open. */
struct unixdiag_holder {
	long pid;
	int fd;
	char comm[17];		/* /proc/PID/comm without the newline; "" when it could not be read */
};

struct unixdiag_procs;	/* which processes hold which sockets */

/*
 * One walk of /proc/PID/fd for every process (not its threads' tasks),
 * recording each "socket:[N]" the caller may see.  With wanted not NULL,
 * only the nwanted inodes there are recorded (cheap on a busy machine);
 * with NULL, every socket.  NULL with errno.
 */
struct unixdiag_procs *unixdiag_procs_load(const unsigned long long *wanted, size_t nwanted);
/* The holders of socket ino, in pid then fd order: *n of them; NULL (and *n 0) when none. */
const struct unixdiag_holder *unixdiag_procs_find(const struct unixdiag_procs *p, unsigned long long ino, size_t *n);
/*
 * How many processes' descriptors could not be read (EACCES, EPERM: other
 * users' processes, without privilege): the holders found may be
 * incomplete when this is not 0.
 */
size_t unixdiag_procs_hidden(const struct unixdiag_procs *p);
void unixdiag_procs_free(struct unixdiag_procs *p);

#endif
