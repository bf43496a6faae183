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
	int *fds;
	char **names;
	int status;

	if (!o->program) {
		fdr_warnx("exec: no PROGRAM given (it goes after --)");
		return FDR_EXIT_USAGE;
	}
	if ((status = sources_open(&o->src, "exec", NULL, o->verbose)) != 0)
		return status;
	fds = malloc((o->src.n + 1) * sizeof(*fds));
	names = malloc((o->src.n + 1) * sizeof(*names));
	if (!fds || !names) {
		fdr_warn("exec");
		status = FDR_EXIT_FAIL;
	} else {
		struct spawn s = { .cmd = "exec", .argv = o->program, .stdio = o->stdio, .fds = fds,
			.names = names, .n = o->src.n, .verbose = o->verbose };

		sources_fds(&o->src, fds);
		for (size_t i = 0; i < o->src.n; i++)
			names[i] = o->src.v[i].name;
		status = spawn_exec(&s);
	}
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
