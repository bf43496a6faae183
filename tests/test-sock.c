/* test-sock.c - unit tests of sock.c: addresses, long paths, modes, stale sockets. */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"
#include "tap.h"

static char tmp[64];		/* private scratch directory */

static const char *type_name(int type)
{
	return type == SOCK_STREAM ? "stream" : type == SOCK_SEQPACKET ? "seqpacket" : "dgram";
}

/* A path inside the scratch directory (static buffer, one at a time). */
static const char *tpath(const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s/%s", tmp, name);
	return buf;
}

/*
 * One byte from the connected socket c to the listener l, and for
 * connection-oriented types one byte back over the accepted socket.
 */
static int exchange(int l, int c, int type)
{
	char x = 'x', y = 0;
	int a, good;

	if (type == SOCK_DGRAM)
		return write(c, &x, 1) == 1 && read(l, &y, 1) == 1 && y == 'x';
	if ((a = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return 0;
	good = write(c, &x, 1) == 1 && read(a, &y, 1) == 1 && y == 'x' &&
	    write(a, "y", 1) == 1 && read(c, &y, 1) == 1 && y == 'y';
	close(a);
	return good;
}

/* A socket file at path with nothing behind it: bound, then closed. */
static int make_stale(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int s, r;

	if (n >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, n);
	s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	r = s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -1;
	if (s >= 0)
		close(s);
	return r;
}

static int same_ino(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	return lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

static int gone(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0 && errno == ENOENT;
}

static void test_round_trips(void)
{
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	struct fdset before;
	struct sock_file f;
	struct stat st;
	char addr[128];
	size_t i;
	int l, c, good;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		fdset_take(&before);
		snprintf(addr, sizeof(addr), "%s/rt-%s", tmp, type_name(types[i]));
		l = sock_listen(addr, types[i], 0600, 4, 0, &f);
		c = l >= 0 ? sock_connect(addr, types[i]) : -1;
		good = l >= 0 && c >= 0 && exchange(l, c, types[i]) &&
		    f.bound && f.path != NULL && strcmp(f.path, addr) == 0 &&
		    lstat(addr, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    st.st_dev == f.dev && st.st_ino == f.ino;
		ok(good, "%s at a path: listen, connect, one byte each way; "
		    "the file bound is recorded", type_name(types[i]));
		ok(sock_remove(&f) == 0 && gone(addr) && !f.bound && f.path == NULL,
		    "%s at a path: sock_remove removes the file", type_name(types[i]));
		if (c >= 0)
			close(c);
		if (l >= 0)
			close(l);
		ok_fdset(&before, "%s at a path: no descriptor left open", type_name(types[i]));

		fdset_take(&before);
		snprintf(addr, sizeof(addr), "@fdrelay-test-sock-%ld-%s", (long)getpid(),
		    type_name(types[i]));
		l = sock_listen(addr, types[i], 0600, 4, 0, &f);
		c = l >= 0 ? sock_connect(addr, types[i]) : -1;
		ok(l >= 0 && c >= 0 && exchange(l, c, types[i]) && !f.bound && f.path == NULL,
		    "%s at an @abstract name: listen, connect, one byte each way, no file "
		    "recorded", type_name(types[i]));
		if (c >= 0)
			close(c);
		if (l >= 0)
			close(l);
		sock_remove(&f);
		ok_fdset(&before, "%s at an @abstract name: no descriptor left open",
		    type_name(types[i]));
	}
}

static void test_abstract(void)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	struct sock_file f, g;
	struct fdset before;
	char addr[256];
	int l, l2, e;

	fdset_take(&before);
	snprintf(addr, sizeof(addr), "@fdrelay-test-len-%ld", (long)getpid());
	l = sock_listen(addr, SOCK_STREAM, 0600, 4, 0, &f);
	ok(l >= 0 && getsockname(l, (struct sockaddr *)&sa, &len) == 0 &&
	    len == offsetof(struct sockaddr_un, sun_path) + strlen(addr) &&
	    sa.sun_path[0] == '\0' &&
	    memcmp(sa.sun_path + 1, addr + 1, strlen(addr) - 1) == 0,
	    "an @abstract address is the name exactly, without trailing NULs");
	errno = 0;
	l2 = sock_listen(addr, SOCK_STREAM, 0600, 4, 0, &g);
	e = errno;
	ok(l2 < 0 && e == EADDRINUSE && !g.bound,
	    "a second listener on a live @abstract name fails with EADDRINUSE");
	if (l >= 0)
		close(l);
	ok_fdset(&before, "abstract names: no descriptor left open");

	memset(addr, 'a', sizeof(addr));
	addr[0] = '@';
	addr[108] = '\0';	/* 107 name bytes: the most that fits */
	fdset_take(&before);
	l = sock_listen(addr, SOCK_DGRAM, 0600, 0, 0, &f);
	ok(l >= 0, "an @abstract name of 107 bytes (sun_path - 1) is accepted");
	if (l >= 0)
		close(l);
	addr[108] = 'a';
	addr[109] = '\0';
	errno = 0;
	l = sock_listen(addr, SOCK_DGRAM, 0600, 0, 0, &f);
	e = errno;
	errno = 0;
	l2 = sock_connect(addr, SOCK_DGRAM);
	ok(l < 0 && e == ENAMETOOLONG && l2 < 0 && errno == ENAMETOOLONG,
	    "an @abstract name of 108 bytes fails with ENAMETOOLONG (listen and connect)");
	ok_fdset(&before, "long abstract names: no descriptor left open");
}

static void test_invalid(void)
{
	struct sock_file f;
	struct fdset before;
	int r1, e1, r2, e2, r3, e3, r4, e4;

	fdset_take(&before);
	errno = 0;
	r1 = sock_listen("", SOCK_STREAM, 0600, 1, 0, &f);
	e1 = errno;
	errno = 0;
	r2 = sock_listen("@", SOCK_STREAM, 0600, 1, 0, &f);
	e2 = errno;
	errno = 0;
	r3 = sock_connect("", SOCK_STREAM);
	e3 = errno;
	errno = 0;
	r4 = sock_connect("@", SOCK_STREAM);
	e4 = errno;
	ok(r1 < 0 && e1 == EINVAL && r2 < 0 && e2 == EINVAL &&
	    r3 < 0 && e3 == EINVAL && r4 < 0 && e4 == EINVAL,
	    "an empty address and \"@\" alone fail with EINVAL (listen and connect)");
	ok_fdset(&before, "invalid addresses: no descriptor left open");
}

static void test_modes(void)
{
	static const mode_t modes[] = { 0600, 0660, 0666 };
	static const mode_t umasks[] = { 0, 0277 };
	struct sock_file f;
	struct stat st;
	const char *p = tpath("mode");
	size_t i, j;
	mode_t back;
	int l, good;

	for (j = 0; j < 2; j++) {
		for (i = 0; i < 3; i++) {
			umask(umasks[j]);
			l = sock_listen(p, SOCK_STREAM, modes[i], 1, 0, &f);
			back = umask(umasks[j]);
			good = l >= 0 && lstat(p, &st) == 0 && (st.st_mode & 07777) == modes[i];
			ok(good, "mode %04o gives a socket file of exactly %04o (process umask %04o)",
			    (unsigned)modes[i], (unsigned)modes[i], (unsigned)umasks[j]);
			if (!good && l >= 0)
				diag("file mode is %04o", (unsigned)(st.st_mode & 07777));
			ok(back == umasks[j], "the process umask %04o is restored afterwards",
			    (unsigned)umasks[j]);
			if (l >= 0)
				close(l);
			sock_remove(&f);
		}
	}
	umask(022);
}

/*
 * A child watches the path with lstat in a tight loop while the parent
 * creates and removes the socket many times with mode 0600 under umask 0:
 * a bind followed by chmod would show the child 0777 now and then.
 */
static void test_no_window(void)
{
	struct sock_file f;
	const char *p = tpath("window");
	int stop[2], res[2], i, l, st, good = 1;
	long seen[2] = { 0, 0 };	/* sockets seen, sockets seen wider than 0600 */
	pid_t pid;

	if (pipe2(stop, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		skip("pipe2 failed", "no window with wider permissions");
		return;
	}
	if ((pid = fork()) == 0) {
		struct stat sb;
		long k;
		char c;

		close(stop[1]);
		fcntl(stop[0], F_SETFL, O_NONBLOCK);
		for (k = 0; k < 50000000 && read(stop[0], &c, 1) < 0; k++) {
			if (lstat(p, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
				seen[0]++;
				if (sb.st_mode & 0177)
					seen[1]++;
			}
		}
		_exit(write(res[1], seen, sizeof(seen)) == sizeof(seen) ? 0 : 1);
	}
	close(res[1]);
	umask(0);
	for (i = 0; pid > 0 && i < 2000; i++) {
		if ((l = sock_listen(p, SOCK_STREAM, 0600, 1, 0, &f)) < 0) {
			good = 0;
			break;
		}
		close(l);
		sock_remove(&f);
	}
	umask(022);
	close(stop[1]);
	if (pid < 0 || read(res[0], seen, sizeof(seen)) != sizeof(seen))
		good = 0;
	close(stop[0]);
	close(res[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	diag("watcher saw the socket file %ld times", seen[0]);
	if (good && seen[0] == 0)
		skip("the watcher never caught the file", "no window with wider permissions");
	else
		ok(good && seen[1] == 0, "2000 binds with mode 0600 under umask 0: a "
		    "concurrent lstat never sees the file wider than 0600 (%ld wider)", seen[1]);
}

/* Builds a ~300 character directory path under tmp; returns it or NULL. */
static const char *long_dir(void)
{
	static char dir[512];
	char comp[51];
	int i;

	memset(comp, 'd', 50);
	comp[50] = '\0';
	snprintf(dir, sizeof(dir), "%s", tmp);
	for (i = 0; i < 5; i++) {
		comp[0] = (char)('0' + i);
		strcat(dir, "/");
		strcat(dir, comp);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return NULL;
	}
	return dir;
}

static void test_long_path(void)
{
	struct fdset before;
	struct sock_file f;
	char path[600], name[200];
	const char *dir = long_dir();
	int l, c, l2, e, good;

	if (dir == NULL) {
		skip("cannot create nested directories", "long paths");
		return;
	}
	snprintf(path, sizeof(path), "%s/long.sock", dir);
	diag("long path has %zu characters", strlen(path));

	fdset_take(&before);
	l = sock_listen(path, SOCK_STREAM, 0600, 4, 0, &f);
	c = l >= 0 ? sock_connect(path, SOCK_STREAM) : -1;
	ok(l >= 0 && c >= 0 && exchange(l, c, SOCK_STREAM),
	    "a %zu-character path works for listen and connect", strlen(path));
	ok(l >= 0 && same_ino(path, f.dev, f.ino) && strcmp(f.path, path) == 0,
	    "the socket file lands at the long path itself");
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	/* Closed without removal: a stale socket at a long path. */
	free(f.path);
	l = sock_listen(path, SOCK_STREAM, 0600, 4, 0, &f);
	e = errno;
	c = l >= 0 ? sock_connect(path, SOCK_STREAM) : -1;
	ok(l >= 0 && c >= 0 && exchange(l, c, SOCK_STREAM),
	    "a stale socket at a long path is replaced (errno %d)", l < 0 ? e : 0);
	ok(sock_remove(&f) == 0 && gone(path), "sock_remove removes the file at a long path");
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	errno = 0;
	c = sock_connect(path, SOCK_STREAM);
	ok(c < 0 && errno == ENOENT, "connect to a missing long path fails with ENOENT");
	ok_fdset(&before, "long paths: no descriptor left open");

	fdset_take(&before);
	memset(name, 'n', 120);
	name[120] = '\0';
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	errno = 0;
	l = sock_listen(path, SOCK_STREAM, 0600, 4, 0, &f);
	e = errno;
	errno = 0;
	l2 = sock_connect(path, SOCK_STREAM);
	good = l < 0 && e == ENAMETOOLONG && l2 < 0 && errno == ENAMETOOLONG &&
	    gone(path) && !f.bound;
	ok(good, "a 120-character last component fails with ENAMETOOLONG "
	    "(listen and connect) and creates nothing");
	ok_fdset(&before, "too-long names: no descriptor left open");
}

static void test_stale_and_occupied(void)
{
	struct fdset before;
	struct sock_file f, g;
	struct stat st, st2;
	const char *p;
	char path[256], target[256], buf[8];
	int l, l2, c, e, fd;

	/* A stale socket is replaced. */
	fdset_take(&before);
	snprintf(path, sizeof(path), "%s", tpath("stale"));
	make_stale(path, SOCK_STREAM);
	lstat(path, &st);
	errno = 0;
	c = sock_connect(path, SOCK_STREAM);
	ok(c < 0 && errno == ECONNREFUSED, "connect to a stale socket fails with ECONNREFUSED");
	l = sock_listen(path, SOCK_STREAM, 0600, 4, 0, &f);
	c = l >= 0 ? sock_connect(path, SOCK_STREAM) : -1;
	ok(l >= 0 && c >= 0 && exchange(l, c, SOCK_STREAM),
	    "a stale socket file is replaced by a working listener");
	if (c >= 0)
		close(c);

	/* A live one is not. */
	errno = 0;
	l2 = sock_listen(path, SOCK_STREAM, 0600, 4, 0, &g);
	e = errno;
	c = sock_connect(path, SOCK_STREAM);
	ok(l2 < 0 && e == EADDRINUSE && same_ino(path, f.dev, f.ino) && c >= 0 && !g.bound,
	    "a live stream listener makes a second one fail with EADDRINUSE, its file untouched");
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	if (l2 >= 0)
		close(l2);
	sock_remove(&f);
	sock_remove(&g);

	snprintf(path, sizeof(path), "%s", tpath("live-dgram"));
	l = sock_listen(path, SOCK_DGRAM, 0600, 0, SOCK_F_PASSCRED, &f);
	errno = 0;
	l2 = sock_listen(path, SOCK_DGRAM, 0600, 0, SOCK_F_PASSCRED, &g);
	e = errno;
	ok(l >= 0 && l2 < 0 && e == EADDRINUSE && same_ino(path, f.dev, f.ino),
	    "a live dgram socket makes a second one fail with EADDRINUSE, its file untouched");
	if (l >= 0)
		close(l);
	if (l2 >= 0)
		close(l2);
	sock_remove(&f);
	sock_remove(&g);
	make_stale(path, SOCK_DGRAM);
	l = sock_listen(path, SOCK_DGRAM, 0600, 0, 0, &f);
	ok(l >= 0, "a stale dgram socket file is replaced");
	if (l >= 0)
		close(l);
	sock_remove(&f);
	ok_fdset(&before, "stale and live sockets: no descriptor left open");

	/* Anything but a socket: EEXIST, untouched. */
	fdset_take(&before);
	p = tpath("regular");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, "data", 4) != 4)
			diag("write failed");
		close(fd);
	}
	errno = 0;
	l = sock_listen(p, SOCK_STREAM, 0600, 4, 0, &f);
	e = errno;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	ok(l < 0 && e == EEXIST && fd >= 0 && read(fd, buf, sizeof(buf)) == 4 &&
	    memcmp(buf, "data", 4) == 0 && !f.bound,
	    "a regular file at the path fails with EEXIST and keeps its contents");
	if (fd >= 0)
		close(fd);

	p = tpath("dir");
	mkdir(p, 0700);
	errno = 0;
	l = sock_listen(p, SOCK_STREAM, 0600, 4, 0, &f);
	e = errno;
	ok(l < 0 && e == EEXIST && lstat(p, &st) == 0 && S_ISDIR(st.st_mode),
	    "a directory at the path fails with EEXIST and stays");

	snprintf(target, sizeof(target), "%s", tpath("link-target"));
	make_stale(target, SOCK_STREAM);
	lstat(target, &st2);
	snprintf(path, sizeof(path), "%s", tpath("link"));
	if (symlink(target, path) < 0)
		diag("symlink: %s", strerror(errno));
	errno = 0;
	l = sock_listen(path, SOCK_STREAM, 0600, 4, 0, &f);
	e = errno;
	ok(l < 0 && e == EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    same_ino(target, st2.st_dev, st2.st_ino),
	    "a symlink to a stale socket fails with EEXIST; link and target untouched");
	ok_fdset(&before, "occupied paths: no descriptor left open");
}

static void test_remove(void)
{
	struct fdset before;
	struct sock_file f, g;
	struct stat st;
	char path[256], other[256];
	int l, l2;

	fdset_take(&before);
	snprintf(path, sizeof(path), "%s", tpath("rm"));
	snprintf(other, sizeof(other), "%s", tpath("rm-other"));
	l = sock_listen(path, SOCK_STREAM, 0600, 1, 0, &f);
	l2 = sock_listen(other, SOCK_STREAM, 0600, 1, 0, &g);
	if (l < 0 || l2 < 0 || rename(other, path) < 0) {
		ok(0, "sock_remove leaves a socket that replaced ours (setup failed)");
	} else {
		ok(sock_remove(&f) == 0 && same_ino(path, g.dev, g.ino) &&
		    lstat(path, &st) == 0 && S_ISSOCK(st.st_mode),
		    "sock_remove leaves a socket file that was renamed over ours");
	}
	ok(sock_remove(&f) == 0 && sock_remove(&f) == 0 && f.path == NULL && !f.bound &&
	    same_ino(path, g.dev, g.ino), "sock_remove twice more is harmless");
	if (l >= 0)
		close(l);
	if (l2 >= 0)
		close(l2);
	unlink(path);
	free(g.path);
	sock_file_init(&g);
	ok(sock_remove(&g) == 0, "sock_remove of an initialised, empty sock_file does nothing");
	ok_fdset(&before, "sock_remove: no descriptor left open");
}

static void test_misc(void)
{
	struct fdset before;
	struct sock_file f;
	const char *p = tpath("misc");
	int l, c, on = 0;
	socklen_t len = sizeof(on);

	fdset_take(&before);
	errno = 0;
	c = sock_connect(tpath("missing"), SOCK_STREAM);
	ok(c < 0 && errno == ENOENT, "connect to a missing path fails with ENOENT");

	l = sock_listen(p, SOCK_DGRAM, 0600, 0, SOCK_F_PASSCRED, &f);
	c = l >= 0 ? sock_connect(p, SOCK_DGRAM) : -1;
	ok(l >= 0 && c >= 0 && fd_is_cloexec(l) && fd_is_cloexec(c),
	    "the listening and the connected sockets are close-on-exec");
	ok(l >= 0 && getsockopt(l, SOL_SOCKET, SO_PASSCRED, &on, &len) == 0 && on,
	    "SOCK_F_PASSCRED turns SO_PASSCRED on");
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	sock_remove(&f);
	ok_fdset(&before, "close-on-exec checks: no descriptor left open");
}

/*
 * Two processes at once on the same stale path, many rounds: the
 * directory lock lets exactly one of them bind; the other finds a live
 * socket.  Without the lock both could unlink and bind.
 */
static void test_race(void)
{
	const char *p = tpath("race");
	int round, wins = 0, bad = 0, k;

	for (round = 0; round < 40; round++) {
		int go[2], res[2], hold[2], r[2] = { -1, -1 };
		pid_t pid[2];

		if (make_stale(p, SOCK_STREAM) < 0 || pipe2(go, O_CLOEXEC) < 0 ||
		    pipe2(res, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0) {
			bad++;
			break;
		}
		for (k = 0; k < 2; k++) {
			if ((pid[k] = fork()) == 0) {
				struct sock_file f;
				int v, l;
				char c;

				close(go[1]);
				close(hold[1]);
				if (read(go[0], &c, 1) < 0)
					_exit(1);
				l = sock_listen(p, SOCK_STREAM, 0600, 4, 0, &f);
				v = l >= 0 ? 0 : errno;
				if (write(res[1], &v, sizeof(v)) != sizeof(v))
					_exit(1);
				if (read(hold[0], &c, 1) < 0)
					_exit(1);
				_exit(0);
			}
		}
		close(go[0]);
		close(go[1]);		/* both start */
		close(res[1]);
		close(hold[0]);
		for (k = 0; k < 2; k++)
			if (read(res[0], &r[k], sizeof(r[k])) != sizeof(r[k]))
				r[k] = -1;
		close(hold[1]);		/* both may exit */
		close(res[0]);
		for (k = 0; k < 2; k++)
			if (pid[k] > 0)
				waitpid(pid[k], NULL, 0);
		if ((r[0] == 0) + (r[1] == 0) == 1 &&
		    (r[0] == EADDRINUSE || r[1] == EADDRINUSE))
			wins++;
		else {
			diag("round %d: results %d and %d", round, r[0], r[1]);
			bad++;
		}
		unlink(p);
	}
	ok(bad == 0 && wins == 40, "two listeners racing for one stale path: exactly one "
	    "binds and the other gets EADDRINUSE, in 40 of 40 rounds");
}

/* 1 if /proc/locks shows process pid blocked waiting for a lock. */
static int lock_waiter(pid_t pid)
{
	char line[256], needle[32];
	FILE *fp = fopen("/proc/locks", "re");
	int found = 0;

	if (fp == NULL)
		return 0;
	snprintf(needle, sizeof(needle), " %ld ", (long)pid);
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strstr(line, "->") != NULL && strstr(line, needle) != NULL;
	fclose(fp);
	return found;
}

/*
 * While we hold an exclusive flock on the directory, a sock_listen in a
 * child must wait for it, touching nothing, and succeed once it is free.
 */
static void test_lock(void)
{
	struct pollfd pfd;
	struct stat st;
	const char *p = tpath("locked");
	int dirfd, res[2], v = -1, i, blocked = 0, early = 0;
	pid_t pid;

	dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || flock(dirfd, LOCK_EX) < 0 || make_stale(p, SOCK_STREAM) < 0 ||
	    lstat(p, &st) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		ok(0, "sock_listen waits for the directory lock (setup failed)");
		return;
	}
	if ((pid = fork()) == 0) {
		struct sock_file f;
		int l;

		close(dirfd);	/* the lock belongs to the parent's open file */
		l = sock_listen(p, SOCK_STREAM, 0600, 1, 0, &f);
		v = l >= 0 ? 0 : errno;
		_exit(write(res[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	close(res[1]);
	pfd.fd = res[0];
	pfd.events = POLLIN;
	for (i = 0; pid > 0 && i < 2000 && !blocked && !early; i++) {
		blocked = lock_waiter(pid);
		early = poll(&pfd, 1, 5) > 0;
	}
	ok(blocked && !early && same_ino(p, st.st_dev, st.st_ino),
	    "sock_listen waits for an exclusive lock on the parent directory before "
	    "touching a stale socket");
	close(dirfd);		/* unlock */
	if (read(res[0], &v, sizeof(v)) != sizeof(v))
		v = -1;
	close(res[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	ok(v == 0, "once the lock is released it replaces the stale socket (errno %d)", v);
	unlink(p);
}

static int eintr_lfd = -1;
static volatile sig_atomic_t eintr_signals;
static volatile sig_atomic_t eintr_afd = -1;

/* Counts signals; the third one makes room in the listener's backlog. */
static void on_usr1(int sig)
{
	(void)sig;
	if (++eintr_signals == 3)
		eintr_afd = accept4(eintr_lfd, NULL, NULL, SOCK_CLOEXEC);
}

/*
 * A connect that sleeps (the listener's backlog is full) and is
 * interrupted by signals without SA_RESTART still connects once there is
 * room.  A child sends the signals once it sees us sleeping.
 */
static void test_eintr(void)
{
	struct sigaction sa, old;
	struct fdset before;
	struct sock_file f;
	char addr[64], statpath[64];
	int c1, c2, e;
	pid_t pid, me = getpid();

	fdset_take(&before);
	snprintf(addr, sizeof(addr), "@fdrelay-test-eintr-%ld", (long)me);
	eintr_lfd = sock_listen(addr, SOCK_STREAM, 0600, 0, 0, &f);
	c1 = eintr_lfd >= 0 ? sock_connect(addr, SOCK_STREAM) : -1;	/* fills backlog 0 */
	if (c1 < 0) {
		ok(0, "connect interrupted by signals still connects (setup failed)");
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART: connect sees EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);
	snprintf(statpath, sizeof(statpath), "/proc/%ld/stat", (long)me);
	if ((pid = fork()) == 0) {
		char buf[512], *s;
		int i, fd, n, sent = 0;

		for (i = 0; i < 4000 && sent < 10; i++) {
			usleep(5000);
			if ((fd = open(statpath, O_RDONLY | O_CLOEXEC)) < 0)
				_exit(1);
			n = (int)read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
			s = strrchr(buf, ')');
			if (sent > 0 || (s != NULL && s[1] == ' ' && s[2] == 'S')) {
				kill(me, SIGUSR1);
				sent++;
			}
		}
		_exit(0);
	}
	errno = 0;
	c2 = pid > 0 ? sock_connect(addr, SOCK_STREAM) : -1;
	e = errno;
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	sigaction(SIGUSR1, &old, NULL);
	ok(c2 >= 0 && eintr_signals >= 3 && eintr_afd >= 0,
	    "a connect waiting for backlog room, interrupted by %d signals, "
	    "still connects (errno %d)", (int)eintr_signals, c2 < 0 ? e : 0);
	if (c2 >= 0)
		close(c2);
	if (eintr_afd >= 0)
		close(eintr_afd);
	close(c1);
	close(eintr_lfd);
	ok_fdset(&before, "interrupted connect: no descriptor left open");
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	alarm(120);		/* nothing here may hang */
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	snprintf(tmp, sizeof(tmp), "/tmp/test-sock.XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		skip("mkdtemp failed", "everything");
		return done_testing();
	}
	test_round_trips();
	test_abstract();
	test_invalid();
	test_modes();
	test_no_window();
	test_long_path();
	test_stale_and_occupied();
	test_remove();
	test_misc();
	test_lock();
	test_race();
	test_eintr();
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
