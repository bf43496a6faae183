/* source.c - where the descriptors a command hands on come from: files, inherited ones, stdio. */
#include "os.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include "describe.h"

#include "fdrelay.h"
#include "parse.h"
#include "proto.h"
#include "sig.h"
#include "sock.h"
#include "source.h"

struct poptOption source_options[] = {
	{ "read", 'r', POPT_ARG_STRING, NULL, SOURCE_OPT_FILE + SOURCE_READ, "open PATH read-only and send it", "PATH" },
	{ "write", 'w', POPT_ARG_STRING, NULL, SOURCE_OPT_FILE + SOURCE_WRITE, "open PATH for writing (create, truncate) and send it", "PATH" },
	{ "append", 'a', POPT_ARG_STRING, NULL, SOURCE_OPT_FILE + SOURCE_APPEND, "open PATH for appending (create) and send it", "PATH" },
	{ "rdwr", 'u', POPT_ARG_STRING, NULL, SOURCE_OPT_FILE + SOURCE_RDWR, "open PATH read-write (create) and send it", "PATH" },
	{ "fd", 'd', POPT_ARG_STRING, NULL, SOURCE_OPT_FILE + SOURCE_FD, "send inherited descriptor N", "N" },
	{ "stdin", 'i', POPT_ARG_NONE, NULL, SOURCE_OPT_FILE + SOURCE_STDIN, "send this process's standard input", NULL },
	{ "stdout", 'o', POPT_ARG_NONE, NULL, SOURCE_OPT_FILE + SOURCE_STDOUT, "send this process's standard output", NULL },
	{ "stderr", 'e', POPT_ARG_NONE, NULL, SOURCE_OPT_FILE + SOURCE_STDERR, "send this process's standard error", NULL },
	{ "listen-on", 'l', POPT_ARG_STRING, NULL, SOURCE_OPT_FILE + SOURCE_LISTEN, "make a socket and send it: tcp:HOST:PORT, udp:HOST:PORT, unix:PATH, unix:@NAME", "ADDRESS" },
	{ "grab", 'g', POPT_ARG_STRING, NULL, SOURCE_OPT_FILE + SOURCE_GRAB, "send a copy of descriptor FD of process PID (pidfd_getfd)", "PID:FD" },
	{ "name", 'n', POPT_ARG_STRING, NULL, SOURCE_OPT_NAME, "name the descriptor given just before", "NAME" },
	POPT_TABLEEND
};

struct poptOption source_stdio_option[] = {
	{ "stdio", 's', POPT_ARG_NONE, NULL, SOURCE_OPT_STDIO, "send all three, named stdin, stdout, stderr", NULL },
	POPT_TABLEEND
};

int source_is_option(int code)
{
	return code >= SOURCE_OPT_FILE && code <= SOURCE_OPT_NAME;
}

static int add(struct sources *s, enum source_kind kind, const char *path, int fd, long pid, int target)
{
	struct source *v = realloc(s->v, (s->n + 1) * sizeof(*v));
	char *copy = path ? strdup(path) : NULL;

	if (v)
		s->v = v;
	if (!v || (path && !copy)) {
		free(copy);
		fdr_warn("out of memory");
		return FDR_EXIT_FAIL;
	}
	v[s->n++] = (struct source){ .kind = kind, .path = copy, .fd = fd, .pid = pid, .target = target };
	return 0;
}

/* -n NAME for the last descriptor given. */
static int name_last(struct sources *s, const char *name, const char *cmd)
{
	struct source *last = s->n ? &s->v[s->n - 1] : NULL;

	if (!last) {
		fdr_warnx("%s: --name '%s': no descriptor before it to name", cmd, name);
		return FDR_EXIT_USAGE;
	}
	if (last->name) {
		fdr_warnx("%s: --name '%s': descriptor %zu is already named '%s'", cmd, name, s->n, last->name);
		return FDR_EXIT_USAGE;
	}
	if (!proto_name_valid(name)) {
		fdr_warnx("%s: --name '%s': a name is 1 to 255 printable ASCII characters without ':'", cmd, name);
		return FDR_EXIT_USAGE;
	}
	if (!(last->name = strdup(name))) {
		fdr_warn("out of memory");
		return FDR_EXIT_FAIL;
	}
	return 0;
}

int source_option(struct sources *s, int code, const char *arg, const char *cmd)
{
	int kind = code - SOURCE_OPT_FILE, status = 0;
	struct parse_addr addr;
	const char *why, *colon;
	char pidtext[16];
	long n, pid;

	switch (code) {
	case SOURCE_OPT_NAME:
		return name_last(s, arg, cmd);
	case SOURCE_OPT_STDIO:
		for (int k = 0; k < 3 && !status; k++)
			status = add(s, SOURCE_STDIN + k, NULL, k, 0, 0);
		return status;
	}
	switch (kind) {
	case SOURCE_FD:
		if ((n = parse_ulong(arg, 0x7fffffff)) == -1) {
			fdr_warnx("%s: --fd: invalid descriptor '%s'", cmd, arg);
			return FDR_EXIT_USAGE;
		}
		return add(s, SOURCE_FD, NULL, (int)n, 0, 0);
	case SOURCE_STDIN: case SOURCE_STDOUT: case SOURCE_STDERR:
		return add(s, kind, NULL, kind - SOURCE_STDIN, 0, 0);
	case SOURCE_LISTEN:
		if (parse_address(arg, &addr, &why) == -1) {
			fdr_warnx("%s: --listen-on '%s': %s", cmd, arg, why);
			return FDR_EXIT_USAGE;
		}
		return add(s, SOURCE_LISTEN, arg, -1, 0, 0);
	case SOURCE_GRAB:
		colon = strchr(arg, ':');
		n = colon ? (long)(colon - arg) : 0;
		pidtext[0] = '\0';
		if (n > 0 && n < (long)sizeof(pidtext))
			memcpy(pidtext, arg, (size_t)n), pidtext[n] = '\0';
		if (!colon || (pid = parse_ulong(pidtext, 0x7fffffff)) < 1 ||
		    (n = parse_ulong(colon + 1, 0x7fffffff)) == -1) {
			fdr_warnx("%s: --grab '%s': expected PID:FD, two numbers (--grab=1234:7)", cmd, arg);
			return FDR_EXIT_USAGE;
		}
		return add(s, SOURCE_GRAB, arg, -1, pid, (int)n);
	case 0:
		kind = SOURCE_READ;	/* a FILE operand */
		/* FALLTHROUGH */
	default:
		return add(s, kind, arg, -1, 0, 0);
	}
}

/* A default name: the basename of a path, "stdin"..., or "fdN". */
static char *default_name(const struct source *src)
{
	static const char *const std[] = { "stdin", "stdout", "stderr" };
	char buf[PARSE_NAME_MAX + 1], *p = buf + sizeof(buf) - 1;
	const char *base;

	/* No snprintf: send stays as small as the s6-sudoc it competes with. */
	switch (src->kind) {
	case SOURCE_STDIN: case SOURCE_STDOUT: case SOURCE_STDERR:
		return strdup(std[src->kind - SOURCE_STDIN]);
	case SOURCE_FD:
		*p = '\0';
		for (unsigned v = (unsigned)src->fd; p == buf + sizeof(buf) - 1 || v; v /= 10)
			*--p = (char)('0' + v % 10);
		*--p = 'd';
		*--p = 'f';
		return strdup(p);
	case SOURCE_LISTEN:
		parse_name_make(src->path, strlen(src->path), buf);
		return strdup(buf);
	case SOURCE_GRAB:
		snprintf(buf, sizeof(buf), "grabbed-%ld-%d", src->pid, src->target);
		return strdup(buf);
	default:
		base = parse_basename(src->path);
		return strdup(parse_name_make(base, strlen(base), buf) ? buf : "file");
	}
}

/* Opens src's path as its kind says; -1 with errno. */
static int open_one(const struct source *src)
{
	int flags = O_CLOEXEC | O_NOCTTY;

	switch (src->kind) {
	case SOURCE_READ: flags |= O_RDONLY; break;
	case SOURCE_WRITE: flags |= O_WRONLY | O_CREAT | O_TRUNC; break;
	case SOURCE_APPEND: flags |= O_WRONLY | O_CREAT | O_APPEND; break;
	default: flags |= O_RDWR | O_CREAT; break;
	}
	return open(src->path, flags, 0666);
}

/* ---- -l, --listen-on ------------------------------------------------------ */

/* What went wrong binding an address (errno e), in words. */
static const char *bind_error(int e)
{
	switch (e) {
	case EADDRINUSE: return "the address is already in use";
	case EADDRNOTAVAIL: return "the host is not an address of this machine";
	case EACCES: return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)";
	case EAFNOSUPPORT: return "this machine has no such address family (no IPv6?)";
	default: return strerror(e);
	}
}

/* A TCP (listening) or UDP (bound) socket for a; -1 after a message. */
static int listen_inet(const struct source *src, const struct parse_addr *a, const char *cmd)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
		.ai_socktype = a->kind == PARSE_ADDR_TCP ? SOCK_STREAM : SOCK_DGRAM };
	struct addrinfo *res = NULL;
	char port[8];
	int fd = -1, on = 1, r;

	snprintf(port, sizeof(port), "%u", a->port);
	r = getaddrinfo(a->host[0] ? a->host : "0.0.0.0", port, &hints, &res);
	if (r != 0) {
		fdr_warnx("%s: --listen-on %s: cannot resolve host '%s': %s (give an IPv4 address, [IPv6], "
		    "localhost, or a name the resolver knows)", cmd, src->path, a->host,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    (a->kind == PARSE_ADDR_TCP && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    (a->kind == PARSE_ADDR_TCP && listen(fd, SOMAXCONN) == -1)) {
		fdr_warnx("%s: --listen-on %s: %s", cmd, src->path, bind_error(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* A listening unix socket at a->path, left there when fdrelay exits; -1 after a message. */
static int listen_unix(const struct source *src, const struct parse_addr *a, const char *cmd)
{
	struct sock_file file;
	mode_t mask = umask(0);
	int fd;

	umask(mask);
	fd = sock_listen(a->path, SOCK_STREAM, 0666 & ~mask, SOMAXCONN, 0, &file);
	if (fd == -1) {
		fdr_warnx("%s: --listen-on %s: %s", cmd, src->path, errno == EEXIST ?
		    "something that is not a socket is in the way; not touching it" : errno == EADDRINUSE ?
		    "a listener is live on this socket" : strerror(errno));
		return -1;
	}
	file.bound = 0;		/* the socket outlives fdrelay: never removed */
	sock_remove(&file);
	return fd;
}

/* -l: makes src's socket; says where it is bound with verbose.  Returns it, or -1 after a message. */
static int listen_on(const struct source *src, const char *cmd, int verbose)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct parse_addr a;
	const char *why;
	char text[DESCRIBE_ADDR_MAX];
	size_t n;
	int fd;

	(void)parse_address(src->path, &a, &why);	/* checked when the option was given */
	fd = a.kind == PARSE_ADDR_UNIX ? listen_unix(src, &a, cmd) : listen_inet(src, &a, cmd);
	if (fd != -1 && verbose && getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		describe_addr(&ss, len, text, &n);
		fdr_warnx("%s: --listen-on %s: %s on %.*s", cmd, src->path,
		    a.kind == PARSE_ADDR_UDP ? "bound" : "listening", (int)n, text);
	}
	return fd;
}

/* ---- -g, --grab ------------------------------------------------------------ */

/* The uid process pid runs as (its /proc directory's owner), or -1. */
static long proc_uid(long pid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%ld", pid);
	return stat(path, &st) == 0 ? (long)st.st_uid : -1;
}

/* Why pidfd_getfd(2) refused (EPERM) to copy a descriptor of pid, in words. */
static void explain_eperm(long pid, char *buf, size_t len)
{
	long uid = proc_uid(pid), scope = -1;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");

	if (f) {
		if (fscanf(f, "%ld", &scope) != 1)
			scope = -1;
		fclose(f);
	}
	if (uid != -1 && uid != (long)geteuid() && geteuid() != 0)
		snprintf(buf, len, "process %ld runs as uid %ld: taking its descriptors needs its uid, "
		    "or CAP_SYS_PTRACE (root)", pid, uid);
	else if (scope == 1)
		snprintf(buf, len, "kernel.yama.ptrace_scope is 1: only an ancestor of process %ld, or a "
		    "process with CAP_SYS_PTRACE, may take its descriptors", pid);
	else if (scope == 2)
		snprintf(buf, len, "kernel.yama.ptrace_scope is 2: only a process with CAP_SYS_PTRACE may "
		    "take another's descriptors");
	else if (scope == 3)
		snprintf(buf, len, "kernel.yama.ptrace_scope is 3: no process may take another's descriptors");
	else
		snprintf(buf, len, "no ptrace permission over process %ld (it may not be dumpable, or a "
		    "security module refused; CAP_SYS_PTRACE overrides)", pid);
}

/* Identity of descriptor fd of pid through /proc (st_dev, st_ino); -1 with errno. */
static int proc_fd_stat(long pid, int fd, struct stat *st)
{
	char path[48];

	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", pid, fd);
	return stat(path, st);
}

/*
 * -g: a copy of descriptor src->target of process src->pid, taken through a
 * pidfd (so the pid cannot be another process's by then) with
 * pidfd_getfd(2), and checked to be the open file that number named both
 * before and after the copy (the target may close it and reuse the number
 * meanwhile).  The target's own descriptor is never touched.  Returns the
 * copy (close-on-exec), or -1 after a message.
 */
static int grab(const struct source *src, const char *cmd)
{
	struct stat before, got, after;
	char why[256] = "";
	int pidfd, copy = -1, have, e;

	if ((pidfd = os_pidfd_open((pid_t)src->pid)) == -1) {
		fdr_warnx("%s: --grab %s: %s", cmd, src->path, errno == ESRCH ? "no such process" :
		    errno == ENOSYS ? "this kernel has no pidfd_open (Linux 5.3+)" : strerror(errno));
		return -1;
	}
	have = proc_fd_stat(src->pid, src->target, &before) == 0;
	if (!have && errno == ENOENT) {
		snprintf(why, sizeof(why), "process %ld has no descriptor %d", src->pid, src->target);
	} else if ((copy = os_pidfd_getfd(pidfd, src->target)) == -1) {
		e = errno;
		if (e == EPERM)
			explain_eperm(src->pid, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", e == EBADF ? "no such descriptor" : e == ESRCH ?
			    "the process is gone" : e == ENOSYS ? "this kernel has no pidfd_getfd (Linux 5.6+)" :
			    strerror(e));
	} else if (!have || fstat(copy, &got) == -1 || proc_fd_stat(src->pid, src->target, &after) == -1 ||
	    os_pidfd_alive(pidfd) == -1 || got.st_dev != before.st_dev || got.st_ino != before.st_ino ||
	    after.st_dev != before.st_dev || after.st_ino != before.st_ino) {
		snprintf(why, sizeof(why), "descriptor %d of process %ld changed (or the process ended) while it "
		    "was copied; nothing taken", src->target, src->pid);
		close(copy);
		copy = -1;
	}
	close(pidfd);
	if (copy == -1)
		fdr_warnx("%s: --grab %s: %s", cmd, src->path, why);
	return copy;
}

int sources_open(struct sources *s, const char *cmd, const char *timeout_prefix, int verbose)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].kind >= SOURCE_FD && s->v[i].kind <= SOURCE_STDERR && !fdr_fd_open(s->v[i].fd)) {
			errno = EBADF;
			fdr_warn("%s: descriptor %d", cmd, s->v[i].fd);
			return FDR_EXIT_FAIL;
		}
	/* Failing here is no error yet: the opens below say what ran out. */
	(void)fdr_nofile_need((long)s->n + 16);
	for (size_t i = 0; i < s->n; i++) {
		struct source *src = &s->v[i];

		if (src->kind == SOURCE_LISTEN || src->kind == SOURCE_GRAB) {
			src->fd = src->kind == SOURCE_LISTEN ? listen_on(src, cmd, verbose) : grab(src, cmd);
			if (src->fd == -1)
				return FDR_EXIT_FAIL;
			src->owned = 1;
		} else if (src->path) {
			if (timeout_prefix)
				sig_timeout_say(timeout_prefix, " opening ", src->path,
				    " (a FIFO waits for a process at its other end)", NULL);
			if ((src->fd = open_one(src)) == -1) {
				fdr_warn("%s: open %s", cmd, src->path);
				return FDR_EXIT_FAIL;
			}
			src->owned = 1;
		}
		if (!src->name && !(src->name = default_name(src))) {
			fdr_warn("out of memory");
			return FDR_EXIT_FAIL;
		}
	}
	return 0;
}

int sources_arrays(const struct sources *s, int **fds, char ***names)
{
	*fds = malloc((s->n + 1) * sizeof(**fds));
	*names = malloc((s->n + 1) * sizeof(**names));
	if (!*fds || !*names) {
		free(*fds);
		free(*names);
		*fds = NULL;
		*names = NULL;
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		(*fds)[i] = s->v[i].fd;
		(*names)[i] = s->v[i].name;
	}
	return 0;
}

void sources_free(struct sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].owned)
			close(s->v[i].fd);
		free(s->v[i].path);
		free(s->v[i].name);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
