/* sock.c - unix socket addresses: paths, @abstract names, long paths. */
#include "os.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ancil.h"
#include "sock.h"

#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

/*
 * Fills sa/len for the abstract name (without its '@').  The length covers
 * the leading NUL and the name, nothing more: abstract names are byte
 * strings, and trailing NULs would be part of a different name.
 */
static int addr_abstract(struct sockaddr_un *sa, socklen_t *len, const char *name)
{
	size_t n = strlen(name);

	if (n == 0) {
		errno = EINVAL;
		return -1;
	}
	if (n > SUN_PATH_SIZE - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path + 1, name, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	return 0;
}

/* 1 if path fits in sun_path with its terminating NUL. */
static int path_fits(const char *path)
{
	return strlen(path) < SUN_PATH_SIZE;
}

/* Fills sa/len with path itself, which must fit (path_fits()). */
static void addr_direct(struct sockaddr_un *sa, socklen_t *len, const char *path)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/*
 * Fills sa/len with "/proc/self/fd/DIRFD/BASE", an address for base inside
 * the directory dirfd however long the directory's own path is.  Fails with
 * ENAMETOOLONG when that does not fit either, or when /proc/self/fd does
 * not lead to dirfd (no /proc mounted).
 */
static int addr_via_dir(struct sockaddr_un *sa, socklen_t *len, int dirfd, const char *base)
{
	char link[64];
	struct stat a, b;
	int n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	if (stat(link, &a) < 0 || fstat(dirfd, &b) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, SUN_PATH_SIZE, "%s/%s", link, base);
	if (n < 0 || (size_t)n >= SUN_PATH_SIZE) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
	return 0;
}

/*
 * Opens the directory that holds path's last component (close-on-exec,
 * with extra open flags oflags: O_PATH or O_RDONLY) and points *base at
 * that component inside path.  A path ending in '/' names no socket:
 * EINVAL.
 */
static int dir_open(const char *path, int oflags, const char **base)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		*base = path;
		return open(".", oflags | O_DIRECTORY | O_CLOEXEC);
	}
	*base = slash + 1;
	if (**base == '\0') {
		errno = EINVAL;
		return -1;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	return open(dir, oflags | O_DIRECTORY | O_CLOEXEC);
}

/* close(2) that keeps errno, for cleanup paths; fd -1 is ignored. */
static void close_keep(int fd)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	errno = e;
}

/*
 * A new AF_UNIX socket of type, close-on-exec, and non-blocking when
 * nonblock is set (os.h says how).  Returns it, or -1 with errno and
 * nothing left open.
 */
static int sock_new(int type, int nonblock)
{
#ifdef OS_HAVE_SOCK_FLAGS
	return socket(AF_UNIX, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
#else
	int s, fl;

	if ((s = socket(AF_UNIX, type, 0)) < 0)
		return -1;
	if (fcntl(s, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
	if (nonblock && ((fl = fcntl(s, F_GETFL)) < 0 ||
	    fcntl(s, F_SETFL, fl | O_NONBLOCK) < 0))
		goto fail;
	return s;
fail:
	close_keep(s);
	return -1;
#endif
}

/*
 * connect(2), restarted after a signal.  On Linux an AF_UNIX connect only
 * sleeps while the listener's backlog is full, and a signal ends that
 * sleep before the socket changes state, so the same socket can simply
 * try again.  EISCONN after an interruption is still taken as success in
 * case some kernel completes the attempt underneath us.
 */
static int connect_retry(int s, const struct sockaddr_un *sa, socklen_t len)
{
	int interrupted = 0;

	for (;;) {
		if (connect(s, (const struct sockaddr *)sa, len) == 0)
			return 0;
		if (errno == EINTR) {
			interrupted = 1;
			continue;
		}
		if (interrupted && errno == EISCONN)
			return 0;
		return -1;
	}
}

int sock_connect(const char *addr, int type)
{
	struct sockaddr_un sa;
	socklen_t len;
	const char *base;
	int dirfd = -1, s = -1;

	if (addr == NULL || *addr == '\0') {
		errno = EINVAL;
		return -1;
	}
	if (addr[0] == '@') {
		if (addr_abstract(&sa, &len, addr + 1) < 0)
			return -1;
	} else if (path_fits(addr)) {
		addr_direct(&sa, &len, addr);
	} else {
		if ((dirfd = dir_open(addr, OS_O_PATH, &base)) < 0)
			return -1;
		if (addr_via_dir(&sa, &len, dirfd, base) < 0)
			goto fail;
	}
	if ((s = sock_new(type, 0)) < 0)
		goto fail;
	if (connect_retry(s, &sa, len) < 0)
		goto fail;
	close_keep(dirfd);
	return s;
fail:
	close_keep(s);
	close_keep(dirfd);
	return -1;
}

void sock_file_init(struct sock_file *f)
{
	f->bound = 0;
	f->path = NULL;
	f->dev = 0;
	f->ino = 0;
}

/*
 * Makes base in dirfd free for bind(2), with the directory lock held:
 * returns 0 when nothing is there or a stale socket (one that refuses a
 * connection from a fresh socket of the same type) was removed.  Fails
 * with EEXIST for anything but a socket (nothing is followed), EADDRINUSE
 * for a socket that did not refuse, or the error of lstat/unlink.
 */
static int stale_clear(int dirfd, const char *base, const struct sockaddr_un *sa,
    socklen_t len, int type)
{
	struct stat st;
	int p, r, e;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	/* Non-blocking: a live listener with a full backlog must not hang us. */
	p = sock_new(type, 1);
	if (p < 0)
		return -1;
	r = connect(p, (const struct sockaddr *)sa, len);
	e = errno;
	close(p);
	if (r == 0 || (e != ECONNREFUSED && e != ENOENT)) {
		errno = EADDRINUSE;
		return -1;
	}
	if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/* Removes base in dirfd if it is still the file dev/ino; keeps errno. */
static void unlink_same(int dirfd, const char *base, dev_t dev, ino_t ino)
{
	struct stat st;
	int e = errno;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == dev && st.st_ino == ino)
		unlinkat(dirfd, base, 0);
	errno = e;
}

/* Binds s to sa with the file's permissions exactly mode from the start. */
static int bind_mode(int s, const struct sockaddr_un *sa, socklen_t len, mode_t mode)
{
	mode_t old;
	int r, e;

	/*
	 * Linux creates the socket inode with 0777 & ~umask, so this umask
	 * makes it mode at once; a chmod afterwards would leave a window.
	 * The umask is process-wide: callers are single-threaded.
	 */
	old = umask(~mode & 0777);
	r = bind(s, (const struct sockaddr *)sa, len);
	e = errno;
	umask(old);
	errno = e;
	return r;
}

static int listen_abstract(const char *name, int type, int backlog, int flags)
{
	struct sockaddr_un sa;
	socklen_t len;
	int s;

	if (addr_abstract(&sa, &len, name) < 0)
		return -1;
	if ((s = sock_new(type, 0)) < 0)
		return -1;
	if ((flags & SOCK_F_PASSCRED) && ancil_pass_creds(s) < 0)
		goto fail;
	if (bind(s, (const struct sockaddr *)&sa, len) < 0)
		goto fail;
	if (type != SOCK_DGRAM && listen(s, backlog) < 0)
		goto fail;
	return s;
fail:
	close_keep(s);
	return -1;
}

int sock_listen(const char *addr, int type, mode_t mode, int backlog, int flags,
    struct sock_file *f)
{
	struct sockaddr_un sa;
	struct stat st;
	socklen_t len;
	const char *base;
	char *path = NULL;
	int dirfd, s = -1, bound = 0;

	sock_file_init(f);
	if (addr == NULL || *addr == '\0') {
		errno = EINVAL;
		return -1;
	}
	if (addr[0] == '@')
		return listen_abstract(addr + 1, type, backlog, flags);

	mode &= 0777;
	/*
	 * The exclusive flock on the parent directory serialises stale checks
	 * and binds between listeners.  flock needs a readable descriptor;
	 * in a directory we may write but not read, go on unlocked.
	 */
	dirfd = dir_open(addr, O_RDONLY, &base);
	if (dirfd < 0 && errno == EACCES)
		dirfd = dir_open(addr, OS_O_PATH, &base);
	else if (dirfd >= 0)
		while (flock(dirfd, LOCK_EX) < 0)
			if (errno != EINTR)
				goto fail;
	if (dirfd < 0)
		return -1;

	if (path_fits(addr))
		addr_direct(&sa, &len, addr);
	else if (addr_via_dir(&sa, &len, dirfd, base) < 0)
		goto fail;
	if ((path = strdup(addr)) == NULL)
		goto fail;
	if ((s = sock_new(type, 0)) < 0)
		goto fail;
	if ((flags & SOCK_F_PASSCRED) && ancil_pass_creds(s) < 0)
		goto fail;
	if (stale_clear(dirfd, base, &sa, len, type) < 0)
		goto fail;
	if (bind_mode(s, &sa, len, mode) < 0)
		goto fail;
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto fail;	/* removed under us: nothing of ours to remove */
	bound = 1;
	if (!S_ISSOCK(st.st_mode)) {
		bound = 0;	/* replaced under us: not ours */
		errno = EEXIST;
		goto fail;
	}
	/*
	 * A default ACL on the directory overrides the umask; then set the
	 * mode exactly (never wider than asked from here on).
	 */
	if ((st.st_mode & 07777) != mode && fchmodat(dirfd, base, mode, 0) < 0)
		goto fail;
	if (type != SOCK_DGRAM && listen(s, backlog) < 0)
		goto fail;
	close(dirfd);		/* releases the lock */
	f->bound = 1;
	f->path = path;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return s;
fail:
	if (bound)
		unlink_same(dirfd, base, st.st_dev, st.st_ino);
	close_keep(s);
	close_keep(dirfd);
	free(path);
	return -1;
}

int sock_remove(struct sock_file *f)
{
	struct stat st;
	const char *base;
	int dirfd, r = 0;

	if (f->bound && f->path != NULL) {
		dirfd = dir_open(f->path, OS_O_PATH, &base);
		if (dirfd < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				r = -1;
		} else {
			if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    st.st_dev == f->dev && st.st_ino == f->ino &&
			    unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
				r = -1;
			close_keep(dirfd);
		}
	}
	free(f->path);
	sock_file_init(f);
	return r;
}
