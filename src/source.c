/* source.c - where the descriptors a command hands on come from: files, inherited ones, stdio. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdrelay.h"
#include "parse.h"
#include "proto.h"
#include "sig.h"
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
	{ "stdio", 's', POPT_ARG_NONE, NULL, SOURCE_OPT_STDIO, "send all three, named stdin, stdout, stderr", NULL },
	{ "name", 'n', POPT_ARG_STRING, NULL, SOURCE_OPT_NAME, "name the descriptor given just before", "NAME" },
	POPT_TABLEEND
};

int source_is_option(int code)
{
	return code >= SOURCE_OPT_FILE && code <= SOURCE_OPT_NAME;
}

static int add(struct sources *s, enum source_kind kind, const char *path, int fd)
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
	v[s->n++] = (struct source){ .kind = kind, .path = copy, .fd = fd };
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
	long n;

	switch (code) {
	case SOURCE_OPT_NAME:
		return name_last(s, arg, cmd);
	case SOURCE_OPT_STDIO:
		for (int k = 0; k < 3 && !status; k++)
			status = add(s, SOURCE_STDIN + k, NULL, k);
		return status;
	}
	switch (kind) {
	case SOURCE_FD:
		if ((n = parse_ulong(arg, 0x7fffffff)) == -1) {
			fdr_warnx("%s: --fd: invalid descriptor '%s'", cmd, arg);
			return FDR_EXIT_USAGE;
		}
		return add(s, SOURCE_FD, NULL, (int)n);
	case SOURCE_STDIN: case SOURCE_STDOUT: case SOURCE_STDERR:
		return add(s, kind, NULL, kind - SOURCE_STDIN);
	case 0:
		kind = SOURCE_READ;	/* a FILE operand */
		/* FALLTHROUGH */
	default:
		return add(s, kind, arg, -1);
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

int sources_open(struct sources *s, const char *cmd, const char *timeout_prefix)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i].path && !fdr_fd_open(s->v[i].fd)) {
			errno = EBADF;
			fdr_warn("%s: descriptor %d", cmd, s->v[i].fd);
			return FDR_EXIT_FAIL;
		}
	/* Failing here is no error yet: the opens below say what ran out. */
	(void)fdr_nofile_need((long)s->n + 16);
	for (size_t i = 0; i < s->n; i++) {
		struct source *src = &s->v[i];

		if (src->path) {
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

void sources_fds(const struct sources *s, int *fds)
{
	for (size_t i = 0; i < s->n; i++)
		fds[i] = s->v[i].fd;
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
