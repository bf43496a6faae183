/* describe.c - what an open descriptor is, as one line of text or one JSON object. */

/*
 * OUTPUT FORMAT (copied into fdrelay(1), DESCRIBE OUTPUT)
 *
 * One line per descriptor, in increasing descriptor order.
 *
 * Text form:
 *
 *   FD[ NAME]: TYPE[ FAMILY SOCKTYPE STATE] PATH, MODE[, FLAG...][, DETAIL...]
 *
 *   3 a.txt: regular file /tmp/a.txt, read-only, cloexec, offset 5, size 12
 *   4: pipe pipe:[81234], write-only, nonblock
 *   5 conn: socket unix stream connected socket:[8671], read-write,
 *      local unnamed, peer /run/x.sock, peer pid 12 uid 0 gid 0,
 *      peer held by pid 12 (fdrelay) fd 3, queued 5 bytes,
 *      in flight 3 descriptors   (one line)
 *   6: pidfd anon_inode:[pidfd], read-write, cloexec, pid 4711
 *
 *   TYPE is one of: regular file, directory, pipe (anonymous), FIFO
 *   (named), socket, character device, block device, symlink (an O_PATH
 *   descriptor of a symbolic link), memfd, eventfd, timerfd, signalfd,
 *   epoll, inotify, fanotify, pidfd, io_uring, userfaultfd, namespace,
 *   unknown.  A socket's TYPE is followed by its family (unix, inet,
 *   inet6, netlink, packet, vsock, ... or unknown), its type (stream,
 *   dgram, seqpacket, raw, rdm or unknown) and its state (listening,
 *   connected, unconnected or unknown).
 *   PATH is what the kernel calls the open file (readlink of
 *   /proc/PID/fd/FD): a path, "pipe:[INODE]", "socket:[INODE]",
 *   "anon_inode:[KIND]", "/memfd:NAME (deleted)", ...
 *   MODE is read-only, write-only, read-write or path-only (O_PATH).
 *   FLAGs are the file status flags: append, nonblock, sync, dsync,
 *   direct, noatime, async; then cloexec when the descriptor is
 *   close-on-exec.
 *   DETAILs, where they apply: "offset N" and "size N" (regular files,
 *   memfds, block devices; size in bytes); "device MAJOR:MINOR" (devices);
 *   "local ADDR" and "peer ADDR" (sockets: a path, @ABSTRACT, "unnamed",
 *   HOST:PORT or [HOST6]:PORT); "peer pid P uid U gid G" (connected unix
 *   sockets) or "peer credentials unknown" (another process's socket that
 *   could not be inspected); for unix sockets, from the kernel's table
 *   (unixdiag.h): "peer held by pid P (COMMAND) fd N[ and ...]" (who has
 *   the peer open now; at most HOLDERS_SHOWN named, then "and N more"),
 *   "peer held by no process (in flight in a message?)" or "... no
 *   process visible here (N processes could not be looked into)",
 *   "not yet accepted by pid P (COMMAND) fd N" (a client: its listener),
 *   "queued N bytes" (not 0; datagrams: the next one's size), "in flight
 *   N descriptors" (fdinfo's scm_fds, not 0), "pending N of backlog M"
 *   (listening); "pid P" (pidfds: the process it refers to,
 *   -1 once reaped); "count N" (eventfd counter); "watches N" (epoll,
 *   inotify and fanotify: registered watches or marks); "clock C"
 *   (timerfd: realtime, monotonic, boottime, realtime-alarm,
 *   boottime-alarm, or the number); "signals N,N" (signalfd's mask).
 *   Control bytes and backslashes in PATH, NAME and addresses are written
 *   as \n, \t, \\ or \xHH, so each description stays on one line.
 *
 * JSON form (--json): one object per line, fields in this order:
 *
 *   fd        number     the descriptor
 *   name      string     its name (LISTEN_FDNAMES, or given by recv); null
 *                        when it has none
 *   type      string     regular, directory, pipe, fifo, socket,
 *                        char-device, block-device, symlink, memfd,
 *                        eventfd, timerfd, signalfd, epoll, inotify,
 *                        fanotify, pidfd, io_uring, userfaultfd,
 *                        namespace, unknown
 *   path      string     as PATH above
 *   mode      string     read-only, write-only, read-write, path-only
 *   flags     array      of the FLAG strings above (without cloexec)
 *   cloexec   boolean    whether the descriptor is close-on-exec
 *   inode     number     the inode number (st_ino), when it could be read
 *   offset    number     regular files, memfds, block devices
 *   size      number     the same
 *   major, minor  number character and block devices
 *   family    string     sockets: unix, inet, inet6, netlink, ..., unknown
 *   socktype  string     sockets: stream, dgram, seqpacket, raw, ..., unknown
 *   state     string     sockets: listening, connected, unconnected, unknown
 *   local     string     sockets: local address as ADDR above; "" when
 *                        unnamed; absent when it cannot be read
 *   peer      string     connected sockets: the peer's address, likewise
 *   peer_pid, peer_uid, peer_gid  number  connected unix sockets
 *   peer_inode number     connected unix sockets: the peer socket's inode
 *   peer_holders array    with peer_inode: {"pid","command","fd"} objects
 *   listener_inode, listener_holders  a client not yet accepted: its listener's
 *   holders_hidden number processes not looked into; absent when 0
 *   queued    number     unix sockets not listening: bytes to be read
 *   pending, backlog  number  listening unix sockets
 *   in_flight number     unix sockets: descriptors not yet received
 *   pid       number     pidfds
 *   count     number     eventfds
 *   watches   number     epoll, inotify, fanotify
 *   clock     string     timerfds
 *   signals   array      signalfds: the signal numbers in its mask
 *
 *   Strings are JSON-escaped; bytes that are not valid UTF-8 become
 *   U+FFFD.  Fields that do not apply are absent, never null (except
 *   name).
 */
#include "os.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>

#include "describe.h"
#include "parse.h"
#include "sock.h"
#include "unixdiag.h"

/* At most this many holders of a peer are named in the text form (JSON has them all). */
#define HOLDERS_SHOWN 8


/* Everything describe_fd() found out about one descriptor. */
struct desc {
	int fd;
	const char *name;
	char path[PATH_MAX + 1];
	size_t pathlen;
	const char *type, *typetext;
	int oflags;		/* file status flags, -1 when unknown */
	int cloexec;
	int have_ino;
	unsigned long long ino;
	int have_offset, have_size, have_dev;
	long long offset, size;
	unsigned int major, minor;
	/* sockets */
	int is_sock;
	const char *family, *socktype, *state;
	char local[DESCRIBE_ADDR_MAX], peer[DESCRIBE_ADDR_MAX];
	size_t locallen, peerlen;
	int have_local, have_peer, creds;	/* creds: 1 known, -1 unknown */
	long peer_pid, peer_uid, peer_gid;
	/* unix sockets, from the kernel's table (unixdiag) and fdinfo */
	int listening, have_queue, have_inflight;
	unsigned long long peer_ino;	/* 0: no peer */
	const struct unixdiag_holder *holders;
	size_t nholders, hidden;
	unsigned long long listener_ino;	/* a client not yet accepted: its listener's; else 0 */
	const struct unixdiag_holder *lholders;
	size_t nlholders;
	unsigned int queued, backlog;	/* listening: queued is the pending connections */
	unsigned long inflight;
	/* anon inodes */
	int have_pid, have_count, have_watches, have_sigs;
	long pid;
	unsigned long long count, sigmask;
	long watches;
	const char *clock;
	char clockbuf[24];
};

/* ---- escaping ---- */

/* Writes the n bytes at s as a JSON string, quotes included. */
static void json_str(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	putc('"', out);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t len;

		switch (c) {
		case '"': fputs("\\\"", out); i++; continue;
		case '\\': fputs("\\\\", out); i++; continue;
		case '\n': fputs("\\n", out); i++; continue;
		case '\r': fputs("\\r", out); i++; continue;
		case '\t': fputs("\\t", out); i++; continue;
		case '\b': fputs("\\b", out); i++; continue;
		case '\f': fputs("\\f", out); i++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
		} else if ((len = parse_utf8_len(p + i, n - i)) == 0) {
			fputs("\\ufffd", out);
			i++;
		} else {
			fwrite(p + i, 1, len, out);
			i += len;
		}
	}
	putc('"', out);
}

/* Writes the n bytes at s for the text form: one line, control bytes escaped. */
static void text_str(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			fputs("\\\\", out);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			putc(c, out);
	}
}

/* ---- gathering ---- */

static const struct {
	const char *link, *type;
} anon_kinds[] = {
	{ "anon_inode:[eventfd]", "eventfd" },
	{ "anon_inode:[timerfd]", "timerfd" },
	{ "anon_inode:[signalfd]", "signalfd" },
	{ "anon_inode:[eventpoll]", "epoll" },
	{ "anon_inode:inotify", "inotify" },
	{ "anon_inode:[fanotify]", "fanotify" },
	{ "anon_inode:[pidfd]", "pidfd" },
	{ "anon_inode:[io_uring]", "io_uring" },
	{ "anon_inode:[userfaultfd]", "userfaultfd" },
};

static int has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !memcmp(s, prefix, k);
}

/* Whether the link text is "word:[digits]", as nsfs names namespaces. */
static int is_ns_link(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (islower((unsigned char)s[i]) || s[i] == '_'))
		i++;
	if (i == 0 || i + 3 > n || s[i] != ':' || s[i + 1] != '[' || s[n - 1] != ']')
		return 0;
	for (i += 2; i < n - 1; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Sets d->type and d->typetext from the link text and st_mode. */
static void classify(struct desc *d, const struct stat *st, int have_st)
{
	static const char *const text[][2] = {
		{ "regular", "regular file" }, { "directory", "directory" },
		{ "pipe", "pipe" }, { "fifo", "FIFO" }, { "socket", "socket" },
		{ "char-device", "character device" },
		{ "block-device", "block device" }, { "symlink", "symlink" },
		{ "memfd", "memfd" }, { "namespace", "namespace" },
		{ "unknown", "unknown" },
	};
	const char *t = "unknown";
	mode_t m = have_st ? st->st_mode & S_IFMT : 0;

	for (size_t i = 0; i < sizeof(anon_kinds) / sizeof(anon_kinds[0]); i++)
		if (d->pathlen == strlen(anon_kinds[i].link) &&
		    !memcmp(d->path, anon_kinds[i].link, d->pathlen)) {
			d->type = d->typetext = anon_kinds[i].type;
			return;
		}
	if (has_prefix(d->path, d->pathlen, "pidfd:")) {
		d->type = d->typetext = "pidfd";
		return;
	}
	if (has_prefix(d->path, d->pathlen, "anon_inode:"))
		t = "unknown";
	else if (m == S_IFREG && has_prefix(d->path, d->pathlen, "/memfd:"))
		t = "memfd";
	else if (m == S_IFREG && d->path[0] != '/' && is_ns_link(d->path, d->pathlen))
		t = "namespace";
	else if (m == S_IFREG)
		t = "regular";
	else if (m == S_IFDIR)
		t = "directory";
	else if (m == S_IFIFO)
		t = has_prefix(d->path, d->pathlen, "pipe:[") ? "pipe" : "fifo";
	else if (m == S_IFSOCK)
		t = "socket";
	else if (m == S_IFCHR)
		t = "char-device";
	else if (m == S_IFBLK)
		t = "block-device";
	else if (m == S_IFLNK)
		t = "symlink";
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (!strcmp(t, text[i][0])) {
			d->type = text[i][0];
			d->typetext = text[i][1];
		}
}

void describe_addr(const struct sockaddr_storage *ss, socklen_t len, char *buf, size_t *n)
{
	char host[INET6_ADDRSTRLEN];
	int k = 0;

	*n = 0;
	if (ss->ss_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
		size_t plen = len > offsetof(struct sockaddr_un, sun_path) ?
		    len - offsetof(struct sockaddr_un, sun_path) : 0;

		if (plen > sizeof(sun->sun_path))
			plen = sizeof(sun->sun_path);
		if (plen == 0)
			return;
		if (sun->sun_path[0] == '\0') {
			buf[0] = '@';
			memcpy(buf + 1, sun->sun_path + 1, plen - 1);
			*n = plen;
		} else {
			*n = strnlen(sun->sun_path, plen);
			memcpy(buf, sun->sun_path, *n);
		}
		return;
	}
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		k = snprintf(buf, DESCRIBE_ADDR_MAX, "%s:%u", host, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		k = snprintf(buf, DESCRIBE_ADDR_MAX, "[%s]:%u", host, ntohs(sin6->sin6_port));
	}
	*n = k > 0 ? (size_t)k : 0;
}

static const char *family_name(int f)
{
	switch (f) {
	case AF_UNIX: return "unix";
	case AF_INET: return "inet";
	case AF_INET6: return "inet6";
	case AF_NETLINK: return "netlink";
	case AF_PACKET: return "packet";
	case AF_VSOCK: return "vsock";
	case AF_BLUETOOTH: return "bluetooth";
	case AF_ALG: return "alg";
	case AF_TIPC: return "tipc";
	case AF_XDP: return "xdp";
	default: return "unknown";
	}
}

static const char *socktype_name(int t)
{
	switch (t) {
	case SOCK_STREAM: return "stream";
	case SOCK_DGRAM: return "dgram";
	case SOCK_SEQPACKET: return "seqpacket";
	case SOCK_RAW: return "raw";
	case SOCK_RDM: return "rdm";
	default: return "unknown";
	}
}

/* Fills in a socket's family, type, state, addresses and peer from s. */
static void sock_query(struct desc *d, int s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int v, type = -1;

	len = sizeof(v);
	if (getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0)
		d->family = family_name(v);
	len = sizeof(v);
	if (getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len) == 0)
		d->socktype = socktype_name(type = v);
	len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getsockname(s, (struct sockaddr *)&ss, &len) == 0) {
		describe_addr(&ss, len, d->local, &d->locallen);
		d->have_local = ss.ss_family == AF_UNIX || d->locallen > 0;
	}
	len = sizeof(v);
	if ((type == SOCK_STREAM || type == SOCK_SEQPACKET) &&
	    getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v) {
		d->state = "listening";
		return;
	}
	/* Other families (netlink) answer getpeername() whatever the state. */
	if (strcmp(d->family, "unix") && strcmp(d->family, "inet") &&
	    strcmp(d->family, "inet6"))
		return;
	len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getpeername(s, (struct sockaddr *)&ss, &len) == 0) {
		d->state = "connected";
		describe_addr(&ss, len, d->peer, &d->peerlen);
		d->have_peer = ss.ss_family == AF_UNIX || d->peerlen > 0;
	} else {
		d->state = errno == ENOTCONN ? "unconnected" : "unknown";
		return;
	}
#ifdef SO_PEERCRED
	if (!strcmp(d->family, "unix")) {
		struct ucred uc;

		len = sizeof(uc);
		if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 && uc.pid > 0) {
			d->creds = 1;
			d->peer_pid = uc.pid;
			d->peer_uid = (long)uc.uid;
			d->peer_gid = (long)uc.gid;
		}
	}
#endif
}

/*
 * Guesses a socket's family and type from the protocol name the kernel
 * gives as the xattr system.sockprotoname ("UNIX-STREAM", "TCPv6", ...),
 * for another process's socket that cannot be copied.
 */
static void sock_guess(struct desc *d, const char *link)
{
	static const struct {
		const char *proto, *family, *socktype;
	} protos[] = {
		{ "UNIX-STREAM", "unix", "stream" }, { "UNIX", "unix", "unknown" },
		{ "TCP", "inet", "stream" }, { "TCPv6", "inet6", "stream" },
		{ "UDP", "inet", "dgram" }, { "UDPv6", "inet6", "dgram" },
		{ "UDP-Lite", "inet", "dgram" }, { "UDPLITEv6", "inet6", "dgram" },
		{ "RAW", "inet", "raw" }, { "RAWv6", "inet6", "raw" },
		{ "PING", "inet", "dgram" }, { "PINGv6", "inet6", "dgram" },
		{ "NETLINK", "netlink", "unknown" }, { "PACKET", "packet", "unknown" },
	};
	char proto[64];
	ssize_t n = getxattr(link, "system.sockprotoname", proto, sizeof(proto) - 1);

	if (n <= 0)
		return;
	proto[n] = '\0';
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(proto, protos[i].proto)) {
			d->family = protos[i].family;
			d->socktype = protos[i].socktype;
		}
}

/*
 * Returns a close-on-exec copy of descriptor fd of process pid
 * (pidfd_getfd(2): needs ptrace rights over it), or -1.
 */
static int copy_fd(pid_t pid, int fd)
{
	int pfd = os_pidfd_open(pid), c;

	if (pfd < 0)
		return -1;
	c = os_pidfd_getfd(pfd, fd);
	close(pfd);
	return c;
}

static const char *clock_name(int id, char *buf, size_t n)
{
	switch (id) {
	case 0: return "realtime";
	case 1: return "monotonic";
	case 7: return "boottime";
	case 8: return "realtime-alarm";
	case 9: return "boottime-alarm";
	}
	snprintf(buf, n, "%d", id);
	return buf;
}

/*
 * Reads /proc/.../fdinfo/FD: offset, flags (*oflags, or -1 when absent),
 * and the anon inode details.  Missing fdinfo leaves everything unknown.
 */
static void read_fdinfo(struct desc *d, const char *proc, int *oflags)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	*oflags = -1;
	snprintf(path, sizeof(path), "%s/fdinfo/%d", proc, d->fd);
	if (!(f = fopen(path, "re")))
		return;
	while (getline(&line, &cap, f) > 0) {
		char *v = strchr(line, ':');

		if (!v)
			continue;
		v++;
		if (!strncmp(line, "pos:", 4)) {
			d->offset = strtoll(v, NULL, 10);
			d->have_offset = 1;
		} else if (!strncmp(line, "flags:", 6)) {
			*oflags = (int)strtol(v, NULL, 8);
		} else if (!strncmp(line, "Pid:", 4)) {
			d->pid = strtol(v, NULL, 10);
			d->have_pid = 1;
		} else if (!strncmp(line, "eventfd-count:", 14)) {
			d->count = strtoull(v, NULL, 16);
			d->have_count = 1;
		} else if (!strncmp(line, "clockid:", 8)) {
			d->clock = clock_name(atoi(v), d->clockbuf, sizeof(d->clockbuf));
		} else if (!strncmp(line, "scm_fds:", 8)) {
			d->inflight = strtoul(v, NULL, 10);
			d->have_inflight = 1;
		} else if (!strncmp(line, "sigmask:", 8)) {
			d->sigmask = strtoull(v, NULL, 16);
			d->have_sigs = 1;
		} else if (!strncmp(line, "tfd:", 4) ||
		    !strncmp(line, "inotify wd:", 11) ||
		    (!strncmp(line, "fanotify ", 9) &&
		    strncmp(line, "fanotify flags:", 15))) {
			d->watches++;
		}
	}
	free(line);
	fclose(f);
}

/* Size in bytes of block device major:minor, from sysfs, or -1. */
static long long blockdev_size(unsigned int major, unsigned int minor)
{
	char path[64];
	long long sectors;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/size", major, minor);
	if (!(f = fopen(path, "re")))
		return -1;
	ok = fscanf(f, "%lld", &sectors) == 1;
	fclose(f);
	return ok ? sectors * 512 : -1;
}

/* The details that depend on d's type: sizes, device, anon inode fields. */
static void gather_details(struct desc *d, int fd, pid_t pid, const struct stat *st, int have_st)
{
	if (!strcmp(d->type, "regular") || !strcmp(d->type, "memfd")) {
		d->have_size = 1;
		d->size = st->st_size;
		if (!d->have_offset && pid == 0) {
			off_t o = lseek(fd, 0, SEEK_CUR);

			d->have_offset = o >= 0;
			d->offset = o;
		}
	} else if (!strcmp(d->type, "block-device")) {
		d->size = blockdev_size(major(st->st_rdev), minor(st->st_rdev));
		d->have_size = d->size >= 0;
	} else {
		d->have_offset = 0;
	}
	if (have_st && (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))) {
		d->have_dev = 1;
		d->major = major(st->st_rdev);
		d->minor = minor(st->st_rdev);
	}
	d->have_watches = !strcmp(d->type, "epoll") || !strcmp(d->type, "inotify") ||
	    !strcmp(d->type, "fanotify");
	d->have_pid &= !strcmp(d->type, "pidfd");
	d->have_count &= !strcmp(d->type, "eventfd");
	d->have_sigs &= !strcmp(d->type, "signalfd");
	if (strcmp(d->type, "timerfd"))
		d->clock = NULL;
}

/* A socket's family, type, state, addresses and peer (another process's: through a copy). */
static void gather_socket(struct desc *d, int fd, pid_t pid, const char *link)
{
	int c;

	d->is_sock = 1;
	if (pid == 0) {
		sock_query(d, fd);
	} else if ((c = copy_fd(pid, fd)) >= 0) {
		sock_query(d, c);
		close(c);
	} else {
		sock_guess(d, link);
		d->creds = -1;
	}
}

/* The kernel's table of unix sockets, loaded on first need; NULL when it cannot be had. */
static const struct unixdiag *run_diag(struct describe_run *r)
{
	if (!r->diag_tried) {
		r->diag_tried = 1;
		r->diag = unixdiag_load();
	}
	return r->diag;
}

/* Which processes hold which sockets, walked on first need; NULL when it cannot be had. */
static const struct unixdiag_procs *run_procs(struct describe_run *r)
{
	if (!r->procs_tried) {
		r->procs_tried = 1;
		r->procs = unixdiag_procs_load(NULL, 0);
	}
	return r->procs;
}

/* A unix socket's peer and who holds it, its queue, a listener's backlog. */
static void gather_unix(struct describe_run *r, struct desc *d)
{
	const struct unixdiag *t = run_diag(r);
	const struct unixdiag_sock *u = t ? unixdiag_find(t, d->ino) : NULL, *l;
	const struct unixdiag_procs *p;

	if (!u)
		return;
	d->listening = u->listening;
	d->have_queue = u->have_queue;
	d->queued = u->rqueue;
	d->backlog = u->wqueue;
	d->peer_ino = u->peer;
	/* Connected with no peer yet: a client its listener has not accepted. */
	if (u->state == 1 /* TCP_ESTABLISHED */ && !u->peer && (l = unixdiag_listener_of(t, u->ino)))
		d->listener_ino = l->ino;
	if ((u->peer || d->listener_ino) && (p = run_procs(r))) {
		d->holders = unixdiag_procs_find(p, u->peer, &d->nholders);
		d->lholders = unixdiag_procs_find(p, d->listener_ino, &d->nlholders);
		d->hidden = unixdiag_procs_hidden(p);
	}
}

/*
 * The kernel's name for the open file (readlink of link) into d->path.
 * For another process, a missing link is EBADF when the process exists
 * and ESRCH when it does not.  Returns 0 or -1.
 */
static int gather_path(struct desc *d, pid_t pid, const char *proc, const char *link)
{
	ssize_t n = readlink(link, d->path, sizeof(d->path) - 1);

	if (n < 0 && pid == 0)
		n = 0;		/* no /proc: describe what fstat tells */
	else if (n < 0) {
		if (errno == ENOENT) {
			char dir[48];

			snprintf(dir, sizeof(dir), "%s/fd", proc);
			errno = access(dir, F_OK) == 0 ? EBADF : ESRCH;
		}
		return -1;
	}
	d->pathlen = (size_t)n;
	d->path[n] = '\0';
	return 0;
}

/* Fills d for descriptor fd of pid (0: self); -1 with errno when not open. */
static int gather(struct describe_run *r, struct desc *d, pid_t pid, int fd)
{
	char proc[32], link[64];
	struct stat st;
	int have_st, fdinfo_flags;

	if (pid > 0)
		snprintf(proc, sizeof(proc), "/proc/%ld", (long)pid);
	else
		snprintf(proc, sizeof(proc), "/proc/self");
	snprintf(link, sizeof(link), "%s/fd/%d", proc, fd);
	d->fd = fd;
	d->oflags = -1;
	d->family = d->socktype = d->state = "unknown";
	if (pid == 0) {
		int fdflags = fcntl(fd, F_GETFD);

		if (fdflags < 0)
			return -1;
		d->cloexec = !!(fdflags & FD_CLOEXEC);
		d->oflags = fcntl(fd, F_GETFL);
		have_st = fstat(fd, &st) == 0;
	} else {
		have_st = stat(link, &st) == 0;
	}
	if (gather_path(d, pid, proc, link) == -1)
		return -1;
	if (have_st) {
		d->have_ino = 1;
		d->ino = (unsigned long long)st.st_ino;
	}
	read_fdinfo(d, proc, &fdinfo_flags);
	if (pid > 0) {
		if (fdinfo_flags < 0) {
			errno = EBADF;
			return -1;
		}
		d->oflags = fdinfo_flags & ~O_CLOEXEC;
		d->cloexec = !!(fdinfo_flags & O_CLOEXEC);
	}
	classify(d, &st, have_st);
	gather_details(d, fd, pid, &st, have_st);
	/* An O_PATH descriptor of a socket file is no socket to query. */
	if (!strcmp(d->type, "socket") && (d->oflags < 0 || !(d->oflags & O_PATH)))
		gather_socket(d, fd, pid, link);
	if (d->is_sock && !strcmp(d->family, "unix") && d->have_ino)
		gather_unix(r, d);
	else
		d->have_inflight = 0;
	return 0;
}

/* ---- printing ---- */

static const struct {
	int flag;
	const char *name;
} status_flags[] = {
	{ O_APPEND, "append" },
	{ O_NONBLOCK, "nonblock" },
	{ O_SYNC, "sync" },
	{ O_DSYNC, "dsync" },
	{ O_DIRECT, "direct" },
	{ O_NOATIME, "noatime" },
	{ O_ASYNC, "async" },
};

/* Whether status flag i of the table is set in f (sync includes dsync). */
static int flag_set(int f, size_t i)
{
	int bit = status_flags[i].flag;

	if (bit == O_DSYNC)
		return (f & O_SYNC) != O_SYNC && (f & O_DSYNC);
	return (f & bit) == bit;
}

static const char *mode_name(int f)
{
	if (f < 0)
		return "unknown";
	if (f & O_PATH)
		return "path-only";
	switch (f & O_ACCMODE) {
	case O_RDONLY: return "read-only";
	case O_WRONLY: return "write-only";
	case O_RDWR: return "read-write";
	default: return "unknown";
	}
}

/*
 * The processes h[0..n) that hold a socket: as the JSON field key (an
 * array; then holders_hidden when not 0), or as text after prefix, at
 * most HOLDERS_SHOWN named, none (or why none is seen) when n is 0.
 */
static void print_holders(FILE *out, int json, const char *key, const char *prefix,
    const struct unixdiag_holder *h, size_t n, size_t hidden, const char *none)
{
	if (json)
		fprintf(out, ",\"%s\":[", key);
	else
		fputs(prefix, out);
	for (size_t i = 0; i < n; i++) {
		if (json) {
			fprintf(out, "%s{\"pid\":%ld,\"command\":", i ? "," : "", h[i].pid);
			json_str(out, h[i].comm, strlen(h[i].comm));
			fprintf(out, ",\"fd\":%d}", h[i].fd);
		} else if (i < HOLDERS_SHOWN) {
			fprintf(out, "%spid %ld (", i ? " and " : "", h[i].pid);
			text_str(out, h[i].comm, strlen(h[i].comm));
			fprintf(out, ") fd %d", h[i].fd);
		}
	}
	if (json) {
		putc(']', out);
		if (hidden)
			fprintf(out, ",\"holders_hidden\":%zu", hidden);
	} else if (n > HOLDERS_SHOWN) {
		fprintf(out, " and %zu more", n - HOLDERS_SHOWN);
	} else if (!n && hidden) {
		fprintf(out, "no process visible here (%zu processes could not be looked into)", hidden);
	} else if (!n) {
		fputs(none, out);
	}
}

/* A unix socket's peer or listener and who holds it, its queue and backlog. */
static void print_unix(FILE *out, int json, const struct desc *d)
{
	if (d->peer_ino && json)
		fprintf(out, ",\"peer_inode\":%llu", d->peer_ino);
	if (d->peer_ino)
		print_holders(out, json, "peer_holders", ", peer held by ", d->holders, d->nholders,
		    d->hidden, "no process (in flight in a message?)");
	if (d->listener_ino && json)
		fprintf(out, ",\"listener_inode\":%llu", d->listener_ino);
	if (d->listener_ino)
		print_holders(out, json, "listener_holders", ", not yet accepted by ", d->lholders,
		    d->nlholders, d->hidden, "a listener no process holds");
	if (json) {
		if (d->have_queue && d->listening)
			fprintf(out, ",\"pending\":%u,\"backlog\":%u", d->queued, d->backlog);
		else if (d->have_queue)
			fprintf(out, ",\"queued\":%u", d->queued);
		if (d->have_inflight)
			fprintf(out, ",\"in_flight\":%lu", d->inflight);
		return;
	}
	if (d->have_queue && d->listening)
		fprintf(out, ", pending %u of backlog %u", d->queued, d->backlog);
	else if (d->have_queue && d->queued)
		fprintf(out, ", queued %u bytes", d->queued);
	if (d->have_inflight && d->inflight)
		fprintf(out, ", in flight %lu descriptor%s", d->inflight, d->inflight == 1 ? "" : "s");
}

static void print_text(FILE *out, const struct desc *d)
{
	fprintf(out, "%d", d->fd);
	if (d->name) {
		putc(' ', out);
		text_str(out, d->name, strlen(d->name));
	}
	fprintf(out, ": %s", d->typetext);
	if (d->is_sock)
		fprintf(out, " %s %s %s", d->family, d->socktype, d->state);
	if (d->pathlen) {
		putc(' ', out);
		text_str(out, d->path, d->pathlen);
	}
	fprintf(out, ", %s", mode_name(d->oflags));
	for (size_t i = 0; d->oflags >= 0 && i < sizeof(status_flags) / sizeof(status_flags[0]); i++)
		if (flag_set(d->oflags, i))
			fprintf(out, ", %s", status_flags[i].name);
	if (d->cloexec)
		fputs(", cloexec", out);
	if (d->have_offset)
		fprintf(out, ", offset %lld", d->offset);
	if (d->have_size)
		fprintf(out, ", size %lld", d->size);
	if (d->have_dev)
		fprintf(out, ", device %u:%u", d->major, d->minor);
	if (d->have_local) {
		fputs(", local ", out);
		if (d->locallen)
			text_str(out, d->local, d->locallen);
		else
			fputs("unnamed", out);
	}
	if (d->have_peer) {
		fputs(", peer ", out);
		if (d->peerlen)
			text_str(out, d->peer, d->peerlen);
		else
			fputs("unnamed", out);
	}
	if (d->creds > 0)
		fprintf(out, ", peer pid %ld uid %ld gid %ld",
		    d->peer_pid, d->peer_uid, d->peer_gid);
	else if (d->creds < 0)
		fputs(", peer credentials unknown", out);
	print_unix(out, 0, d);
	if (d->have_pid)
		fprintf(out, ", pid %ld", d->pid);
	if (d->have_count)
		fprintf(out, ", count %llu", d->count);
	if (d->have_watches)
		fprintf(out, ", watches %ld", d->watches);
	if (d->clock)
		fprintf(out, ", clock %s", d->clock);
	if (d->have_sigs) {
		const char *sep = " ";

		fputs(", signals", out);
		for (int s = 1; s <= 64; s++)
			if (d->sigmask & (1ULL << (s - 1))) {
				fprintf(out, "%s%d", sep, s);
				sep = ",";
			}
		if (!d->sigmask)
			fputs(" none", out);
	}
	putc('\n', out);
}

static void json_key_str(FILE *out, const char *key, const char *s, size_t n)
{
	fprintf(out, ",\"%s\":", key);
	json_str(out, s, n);
}

static void print_json(FILE *out, const struct desc *d)
{
	const char *sep = "";

	fprintf(out, "{\"fd\":%d,\"name\":", d->fd);
	if (d->name)
		json_str(out, d->name, strlen(d->name));
	else
		fputs("null", out);
	fprintf(out, ",\"type\":\"%s\"", d->type);
	json_key_str(out, "path", d->path, d->pathlen);
	fprintf(out, ",\"mode\":\"%s\",\"flags\":[", mode_name(d->oflags));
	for (size_t i = 0; d->oflags >= 0 && i < sizeof(status_flags) / sizeof(status_flags[0]); i++)
		if (flag_set(d->oflags, i)) {
			fprintf(out, "%s\"%s\"", sep, status_flags[i].name);
			sep = ",";
		}
	fprintf(out, "],\"cloexec\":%s", d->cloexec ? "true" : "false");
	if (d->have_ino)
		fprintf(out, ",\"inode\":%llu", d->ino);
	if (d->have_offset)
		fprintf(out, ",\"offset\":%lld", d->offset);
	if (d->have_size)
		fprintf(out, ",\"size\":%lld", d->size);
	if (d->have_dev)
		fprintf(out, ",\"major\":%u,\"minor\":%u", d->major, d->minor);
	if (d->is_sock)
		fprintf(out, ",\"family\":\"%s\",\"socktype\":\"%s\",\"state\":\"%s\"",
		    d->family, d->socktype, d->state);
	if (d->have_local)
		json_key_str(out, "local", d->local, d->locallen);
	if (d->have_peer)
		json_key_str(out, "peer", d->peer, d->peerlen);
	if (d->creds > 0)
		fprintf(out, ",\"peer_pid\":%ld,\"peer_uid\":%ld,\"peer_gid\":%ld",
		    d->peer_pid, d->peer_uid, d->peer_gid);
	print_unix(out, 1, d);
	if (d->have_pid)
		fprintf(out, ",\"pid\":%ld", d->pid);
	if (d->have_count)
		fprintf(out, ",\"count\":%llu", d->count);
	if (d->have_watches)
		fprintf(out, ",\"watches\":%ld", d->watches);
	if (d->clock)
		fprintf(out, ",\"clock\":\"%s\"", d->clock);
	if (d->have_sigs) {
		sep = "";
		fputs(",\"signals\":[", out);
		for (int s = 1; s <= 64; s++)
			if (d->sigmask & (1ULL << (s - 1))) {
				fprintf(out, "%s%d", sep, s);
				sep = ",";
			}
		putc(']', out);
	}
	fputs("}\n", out);
}

void describe_begin(struct describe_run *r, FILE *out, int json)
{
	memset(r, 0, sizeof(*r));
	r->out = out;
	r->json = json;
}

void describe_end(struct describe_run *r)
{
	unixdiag_free(r->diag);
	unixdiag_procs_free(r->procs);
	memset(r, 0, sizeof(*r));
}

int describe_fd(struct describe_run *r, pid_t pid, int fd, int shown, const char *name)
{
	struct desc *d;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (!(d = calloc(1, sizeof(*d))))
		return -1;
	if (gather(r, d, pid, fd) < 0) {
		int e = errno;

		free(d);
		errno = e;
		return -1;
	}
	d->name = name;
	if (shown >= 0) {
		/* As the program would have it: at that number, not close-on-exec. */
		d->fd = shown;
		d->cloexec = 0;
	}
	if (r->json)
		print_json(r->out, d);
	else
		print_text(r->out, d);
	free(d);
	return 0;
}

/* ---- a socket by its address ---- */

/* The holders of socket ino, in the run's form. */
static void print_socket_holders(struct describe_run *r, unsigned long long ino)
{
	const struct unixdiag_procs *p = run_procs(r);
	const struct unixdiag_holder *h = NULL;
	size_t n = 0;

	if (p)
		h = unixdiag_procs_find(p, ino, &n);
	print_holders(r->out, r->json, "holders", ", held by ", h, n, p ? unixdiag_procs_hidden(p) : 0,
	    "no process");
}

/*
 * Tries to connect to addr now (without waiting: a full backlog is
 * EAGAIN), as a socket of type, or of each type in turn when type is 0.
 * Returns 0 or the errno of the (last) failure.  A listener sees the
 * connection open and close without a byte.
 */
static int probe_connect(const char *addr, int type)
{
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	int e = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int s;

		if (type && types[i] != type)
			continue;
		/* Linux takes SOCK_NONBLOCK with the type, as socket(2) does. */
		if ((s = sock_connect(addr, types[i] | SOCK_NONBLOCK)) >= 0) {
			close(s);
			return 0;
		}
		if ((e = errno) != EPROTOTYPE)
			break;
	}
	return e;
}

int describe_socket(struct describe_run *r, const char *addr)
{
	const struct unixdiag *t = run_diag(r);
	const struct unixdiag_sock *u = NULL;
	int abstract = addr[0] == '@', e;
	struct stat st;
	FILE *out = r->out;

	if (!abstract) {
		if (lstat(addr, &st) == -1)
			return -1;
		if (!S_ISSOCK(st.st_mode)) {
			errno = ENOTSOCK;
			return -1;
		}
	}
	if (t && abstract)
		u = unixdiag_find_abstract(t, addr + 1, strlen(addr + 1));
	else if (t)
		u = unixdiag_find_file(t, major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);
	e = probe_connect(addr, u ? u->type : 0);
	if (abstract && !u && (t || e == ECONNREFUSED)) {
		errno = ENOENT;
		return -1;
	}
	if (r->json) {
		fputs("{\"address\":", out);
		json_str(out, addr, strlen(addr));
		fprintf(out, ",\"stale\":%s", !u && e == ECONNREFUSED ? "true" : "false");
	} else {
		text_str(out, addr, strlen(addr));
		fputs(": socket unix", out);
	}
	if (u) {
		const char *type = socktype_name(u->type);
		/* A client not yet accepted is connected, with no peer inode yet. */
		const char *state = u->listening ? "listening" : u->state == 1 /* TCP_ESTABLISHED */ ?
		    "connected" : "bound";

		fprintf(out, r->json ? ",\"socktype\":\"%s\",\"state\":\"%s\"" : " %s %s", type, state);
	} else {
		/* Not in this network namespace's table: stale, or bound elsewhere. */
		const char *state = e == ECONNREFUSED ? "stale" : e ? "unknown" : "live";

		fprintf(out, r->json ? ",\"state\":\"%s\"" : " %s", state);
	}
	if (!abstract)
		fprintf(out, r->json ? ",\"owner_uid\":%ld,\"owner_gid\":%ld,\"mode\":\"%04o\"" :
		    ", owner %ld:%ld, mode %04o", (long)st.st_uid, (long)st.st_gid,
		    (unsigned int)(st.st_mode & 07777));
	if (u) {
		fprintf(out, r->json ? ",\"inode\":%llu" : ", inode %llu", u->ino);
		if (u->listening && u->have_queue)
			fprintf(out, r->json ? ",\"pending\":%u,\"backlog\":%u" : ", pending %u of backlog %u",
			    u->rqueue, u->wqueue);
		else if (u->have_queue && (r->json || u->rqueue))
			fprintf(out, r->json ? ",\"queued\":%u" : ", queued %u bytes", u->rqueue);
		print_socket_holders(r, u->ino);
	} else if (!r->json && e == ECONNREFUSED) {
		fputs(", no socket is bound to it", out);
	} else if (!r->json && !e) {
		fputs(", bound outside this network namespace", out);
	}
	if (r->json) {
		fprintf(out, ",\"connects\":%s", e ? "false" : "true");
		if (e)
			json_key_str(out, "connect_error", strerror(e), strlen(strerror(e)));
		fputs("}\n", out);
	} else if (e) {
		fprintf(out, ", connect: %s\n", e == EAGAIN ? "would wait (its backlog is full)" : strerror(e));
	} else {
		fputs(", connect: ok\n", out);
	}
	return 0;
}

/* ---- names and lists ---- */

/*
 * The names systemd-style variables give descriptors 3, 4, ... when
 * listen_pid names pid: a malloc'ed copy of fdnames with ':' turned into
 * NULs, *n names (at most LISTEN_FDS when set), or NULL.
 */
static char *listen_names(const char *listen_pid, const char *listen_fds,
    const char *fdnames, pid_t pid, size_t *n)
{
	char *names;
	long v;
	size_t count = 1;

	*n = 0;
	if (!listen_pid || !fdnames || parse_ulong(listen_pid, LONG_MAX) != (long)pid)
		return NULL;
	if (!(names = strdup(fdnames)))
		return NULL;
	for (size_t k = 0; names[k]; k++)
		if (names[k] == ':') {
			names[k] = '\0';
			count++;
		}
	if (listen_fds && (v = parse_ulong(listen_fds, LONG_MAX)) != -1 && (size_t)v < count)
		count = (size_t)v;
	*n = count;
	return names;
}

const char *describe_name(const char *names, size_t n, int fd)
{
	size_t i = (size_t)fd - 3;

	if (!names || fd < 3 || i >= n)
		return NULL;
	while (i--)
		names += strlen(names) + 1;
	return names;
}

/* LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES of a process: malloc'ed copies, NULL when unset. */
struct listen_env {
	char *pid, *fds, *names;
};

static void listen_env_free(struct listen_env *e)
{
	free(e->pid);
	free(e->fds);
	free(e->names);
}

/* Copies of this process's LISTEN_* variables (NULL when unset, or no memory). */
static void listen_env_self(struct listen_env *e)
{
	const char *v;

	e->pid = (v = getenv("LISTEN_PID")) ? strdup(v) : NULL;
	e->fds = (v = getenv("LISTEN_FDS")) ? strdup(v) : NULL;
	e->names = (v = getenv("LISTEN_FDNAMES")) ? strdup(v) : NULL;
}

/* LISTEN_* of another process's initial environment (/proc/PID/environ). */
static void listen_env_proc(pid_t pid, struct listen_env *e)
{
	char path[48], *buf = NULL;
	size_t len = 0, cap = 0, got;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	if (!(f = fopen(path, "re")))
		return;
	do {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = len + 65536);

			if (!nb)
				goto out;
			buf = nb;
		}
		len += got = fread(buf + len, 1, cap - len - 1, f);
	} while (got > 0);
	buf[len] = '\0';
	for (char *p = buf; p < buf + len; p += strlen(p) + 1) {
		char **slot = !strncmp(p, "LISTEN_PID=", 11) ? &e->pid :
		    !strncmp(p, "LISTEN_FDS=", 11) ? &e->fds :
		    !strncmp(p, "LISTEN_FDNAMES=", 15) ? &e->names : NULL;

		if (slot) {
			free(*slot);
			*slot = strdup(strchr(p, '=') + 1);
		}
	}
out:
	free(buf);
	fclose(f);
}

/* The LISTEN_* variables of pid (0: this process). */
static void listen_env_read(pid_t pid, struct listen_env *e)
{
	memset(e, 0, sizeof(*e));
	if (pid > 0)
		listen_env_proc(pid, e);
	else
		listen_env_self(e);
}

char *describe_names(pid_t pid, size_t *n)
{
	struct listen_env e;
	char *names;

	listen_env_read(pid, &e);
	names = listen_names(e.pid, e.fds, e.names, pid > 0 ? pid : getpid(), n);
	listen_env_free(&e);
	return names;
}

/* Whether descriptor fd of pid (0: this process) is open. */
static int fd_open_in(pid_t pid, int fd)
{
	char path[64];

	if (pid == 0)
		return fcntl(fd, F_GETFD) != -1;
	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, fd);
	return faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

void describe_listen_check(pid_t pid, char *buf, size_t n)
{
	long self = pid > 0 ? (long)pid : (long)getpid(), lpid, nfds, missing = -1;
	const char *who = pid > 0 ? "process" : "this is pid";
	struct listen_env e;
	size_t nnames = 1;

	buf[0] = '\0';
	listen_env_read(pid, &e);
	if (!e.fds)
		goto out;
	lpid = e.pid ? parse_ulong(e.pid, LONG_MAX) : -1;
	nfds = parse_ulong(e.fds, INT_MAX - 3);
	if (!e.pid) {
		snprintf(buf, n, "LISTEN_FDS=%s is set but LISTEN_PID is not: sd_listen_fds(3) ignores "
		    "the descriptors and they have no names", e.fds);
	} else if (lpid != self) {
		snprintf(buf, n, "LISTEN_FDS=%s was meant for pid %s (LISTEN_PID), but %s %ld: the "
		    "descriptors went to another process first (a wrapper such as sh -c?), so "
		    "sd_listen_fds(3) ignores them here and they have no names", e.fds, e.pid, who, self);
	} else if (nfds == -1) {
		snprintf(buf, n, "LISTEN_FDS=%s is not a number of descriptors", e.fds);
	} else {
		for (long fd = 3; fd < 3 + nfds && missing == -1; fd++)
			if (!fd_open_in(pid, (int)fd))
				missing = fd;
		for (const char *c = e.names; c && *c; c++)
			nnames += *c == ':';
		if (missing != -1)
			snprintf(buf, n, "LISTEN_FDS=%ld promises descriptors 3 to %ld, but %ld is not open "
			    "(closed after it was started?)", nfds, 2 + nfds, missing);
		else if (e.names && nfds > 0 && (long)nnames != nfds)
			snprintf(buf, n, "LISTEN_FDNAMES has %zu name%s for LISTEN_FDS=%ld descriptor%s",
			    nnames, nnames == 1 ? "" : "s", nfds, nfds == 1 ? "" : "s");
	}
out:
	listen_env_free(&e);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int *describe_list(pid_t pid, size_t *n)
{
	char path[48];
	struct dirent *e;
	int *fds = malloc(32 * sizeof(int)), *nf, saved;
	size_t cap = 32;
	DIR *dir;

	*n = 0;
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/fd");
	if (!fds || !(dir = opendir(path))) {
		free(fds);
		return NULL;
	}
	while ((errno = 0, e = readdir(dir))) {
		long fd = parse_ulong(e->d_name, INT_MAX);

		if (fd < 0 || (pid == 0 && fd == dirfd(dir)))
			continue;
		if (*n == cap) {
			if (!(nf = realloc(fds, (cap *= 2) * sizeof(*fds))))
				break;
			fds = nf;
		}
		fds[(*n)++] = (int)fd;
	}
	saved = errno;
	closedir(dir);
	if (saved) {
		free(fds);
		errno = saved;
		return NULL;
	}
	qsort(fds, *n, sizeof(*fds), cmp_int);
	return fds;
}
