/* sock.h - unix socket addresses: paths, @abstract names, long paths. */
#ifndef FDRELAY_SOCK_H
#define FDRELAY_SOCK_H

/*
 * Convention: functions return -1 and set errno on failure, or a
 * descriptor / 0 on success.  Never prints, never exits.  Every socket is
 * created close-on-exec.
 *
 * An address is a filesystem path, or "@NAME" for Linux's abstract
 * namespace.  A path longer than sun_path is reached through an O_PATH
 * descriptor of its parent directory ("/proc/self/fd/N/NAME"); where that
 * cannot work (no /proc, or the last component alone too long) the call
 * fails with ENAMETOOLONG.
 */

#include <sys/types.h>

/* What sock_listen() created, so that sock_remove() removes only that. */
struct sock_file {
	int bound;		/* a socket file was created */
	char *path;		/* as given (malloc'd), NULL for abstract */
	dev_t dev;		/* identity of the file we bound */
	ino_t ino;
};

/* sock_listen() flags. */
#define SOCK_F_PASSCRED 0x01	/* turn SO_PASSCRED on before bind */

/*
 * A new socket of type (SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM) connected
 * to addr.  Errors as connect(2) (ENOENT, ECONNREFUSED, ...), EINVAL for
 * an empty address, ENAMETOOLONG.
 */
int sock_connect(const char *addr, int type);

/*
 * A new socket of type bound to addr (and listening with backlog, except
 * for SOCK_DGRAM).  A filesystem socket is created with permissions mode
 * and never exists with wider ones.  Under an exclusive lock on the
 * parent directory, a stale socket at addr (one that refuses connections)
 * is replaced; a live socket fails with EADDRINUSE, anything else (file,
 * directory, symlink, ...) with EEXIST, and nothing is followed or removed.
 * Fills *f (f->bound, path, dev, ino).  On error nothing is left behind.
 */
int sock_listen(const char *addr, int type, mode_t mode, int backlog, int flags,
    struct sock_file *f);

/*
 * Removes the socket file recorded in f if the path still names that very
 * file (same device and inode), and frees f->path.  Safe to call twice and
 * for abstract addresses.  Returns 0, or -1 with errno from unlink.
 */
int sock_remove(struct sock_file *f);

/* Fills *f so that sock_remove() does nothing. */
void sock_file_init(struct sock_file *f);

#endif
