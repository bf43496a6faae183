/* cmd-exec.c - fdrelay exec: open or take descriptors, then become a program that has them. */
#include "config.h"

#include <stdlib.h>

#include "fdrelay.h"
#include "spawn.h"

static struct poptOption exec_options[] = {
	{ "stdio", 's', POPT_ARG_NONE, NULL, OPT_STDIO, "descriptors named stdin, stdout, stderr become the program's 0, 1, 2", NULL },
	{ "verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE, "say what is opened, bound and taken, on stderr", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, source_options, 0, "Descriptors to pass, in command-line order (and FILE operands):", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_common_options, 0, "Common options:", NULL },
	POPT_TABLEEND
};

static int exec_exec(struct opts *o)
{
	struct spawn s = { .cmd = "exec", .argv = o->program, .stdio = o->stdio, .verbose = o->verbose };
	int *fds;
	char **names;
	int status;

	if (!o->program) {
		fdr_warnx("exec: no PROGRAM given (it goes after --)");
		return FDR_EXIT_USAGE;
	}
	if ((status = sources_open(&o->src, "exec", NULL, o->verbose)) != 0)
		return status;
	if (sources_arrays(&o->src, &fds, &names) == -1) {
		fdr_warn("exec");
		return FDR_EXIT_FAIL;
	}
	s.fds = fds;
	s.names = names;
	s.n = o->src.n;
	status = spawn_exec(&s);
	free(fds);
	free(names);
	return status;
}

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.args = "[OPTIONS] [FILE...] -- PROGRAM [ARG...]",
	.summary = "open or take descriptors, then become a program that has them",
	.options = exec_options,
	.file_operands = 2,
	.takes_program = CMD_PROGRAM_AFTER_DASHDASH,
	.exec = exec_exec,
};
