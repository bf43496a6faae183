/* cmd-describe.c - fdrelay describe: say what open descriptors are. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "describe.h"
#include "fdrelay.h"
#include "parse.h"

static struct poptOption describe_options[] = {
	{ "pid", 'p', POPT_ARG_STRING, NULL, OPT_PID, "describe the descriptors of process PID (through /proc)", "PID" },
	{ "socket", 'S', POPT_ARG_STRING, NULL, OPT_SOCKET, "describe the unix socket bound at PATH (or @NAME) and who holds it", "PATH" },
	{ "json", 'J', POPT_ARG_NONE, NULL, OPT_JSON, "print one JSON object per descriptor per line (JSON Lines)", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_common_options, 0, "Common options:", NULL },
	POPT_TABLEEND
};

/* The FD operands as numbers, or NULL after a message (*status set). */
static int *fd_operands(const struct opts *o, int *status)
{
	int *fds = malloc((o->nargs + 1) * sizeof(*fds));

	*status = FDR_EXIT_FAIL;
	if (!fds) {
		fdr_warn("describe");
		return NULL;
	}
	for (size_t i = 0; i < o->nargs; i++) {
		long fd = parse_ulong(o->args[i], 0x7fffffff);

		if (fd == -1) {
			fdr_warnx("describe: invalid descriptor '%s'", o->args[i]);
			*status = FDR_EXIT_USAGE;
			free(fds);
			return NULL;
		}
		fds[i] = (int)fd;
	}
	*status = 0;
	return fds;
}

/* One descriptor; 0, or an exit status after a message (ESRCH: the process is gone). */
static int describe_one(struct describe_run *r, pid_t pid, int fd, const char *name, int *gone)
{
	if (describe_fd(r, pid, fd, -1, name) == 0)
		return 0;
	if (errno == ESRCH) {
		fdr_warn("describe: process %ld", (long)pid);
		*gone = 1;
	} else if (pid > 0) {
		fdr_warn("describe: descriptor %d of process %ld", fd, (long)pid);
	} else {
		fdr_warn("describe: descriptor %d", fd);
	}
	return FDR_EXIT_FAIL;
}

/* 1 if process pid is there to describe; 0 with errno ESRCH otherwise. */
static int process_exists(pid_t pid)
{
	char dir[48];

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	if (access(dir, F_OK) == 0)
		return 1;
	if (errno == ENOENT)
		errno = ESRCH;
	return 0;
}

/* describe --socket: 0, or an exit status after a message. */
static int describe_socket_at(const struct opts *o)
{
	struct describe_run r;
	int status = 0;

	if (o->pid || o->nargs) {
		fdr_warnx("describe: --socket describes a socket, not descriptors: give no --pid and no FD");
		return FDR_EXIT_USAGE;
	}
	describe_begin(&r, stdout, o->json);
	if (describe_socket(&r, o->socket) == -1) {
		if (errno == ENOTSOCK)
			fdr_warnx("describe: %s: not a socket", o->socket);
		else if (errno == ENOENT && o->socket[0] == '@')
			fdr_warnx("describe: %s: no socket is bound to that abstract name", o->socket);
		else
			fdr_warn("describe: %s", o->socket);
		status = FDR_EXIT_FAIL;
	}
	describe_end(&r);
	return status;
}

static int describe_exec(struct opts *o)
{
	pid_t pid = o->pid == getpid() ? 0 : (pid_t)o->pid;
	int *fds = NULL, status, gone = 0;
	size_t nfds = o->nargs, nnames = 0;
	struct describe_run r;
	char *names, check[512];

	if (o->socket)
		return describe_socket_at(o);
	if (nfds && !(fds = fd_operands(o, &status)))
		return status;
	if (pid > 0 && !process_exists(pid)) {
		fdr_warn("describe: process %ld", (long)pid);
		free(fds);
		return FDR_EXIT_FAIL;
	}
	if (!nfds && !(fds = describe_list(pid, &nfds))) {
		if (pid > 0)
			fdr_warn("describe: descriptors of process %ld", (long)pid);
		else
			fdr_warn("describe: /proc/self/fd");
		return FDR_EXIT_FAIL;
	}
	describe_listen_check(pid, check, sizeof(check));
	if (check[0])
		fdr_warnx("describe: %s", check);
	names = describe_names(pid, &nnames);
	status = 0;
	describe_begin(&r, stdout, o->json);
	for (size_t i = 0; i < nfds && !gone; i++)
		status |= describe_one(&r, pid, fds[i], describe_name(names, nnames, fds[i]), &gone);
	describe_end(&r);
	free(names);
	free(fds);
	return status;
}

const struct cmd_entry cmd_describe_entry = {
	.name = "describe",
	.args = "[OPTIONS] [FD...] | --socket=PATH",
	.summary = "say what open descriptors are: this process's, or another's",
	.options = describe_options,
	.exec = describe_exec,
};
