/* main.c - fdrelay's entry point: the subcommand table and shared helpers. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdrelay.h"

static const struct {
	const char *name;
	int (*run)(int argc, const char **argv);
} commands[] = {
	{ "send", cmd_send },
	{ "listen", cmd_listen },
	{ "recv", cmd_recv },
	{ "describe", cmd_describe },
};

static void usage(FILE *out)
{
	fputs("Usage: fdrelay send [OPTIONS] SOCKET [FILE...]\n"
	    "       fdrelay listen [OPTIONS] SOCKET [--] PROGRAM [ARG...]\n"
	    "       fdrelay recv [OPTIONS] SOCKET\n"
	    "       fdrelay describe [OPTIONS] [FD...]\n"
	    "       fdrelay --help | --version\n"
	    "Pass open file descriptors between processes over unix sockets.\n"
	    "Run 'fdrelay COMMAND --help' for a command's options; see fdrelay(1).\n", out);
}

void fdr_version(void)
{
	printf("fdrelay %s\n", PACKAGE_VERSION);
}

void fdr_warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	fputs("fdrelay: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	errno = e;
}

void fdr_warnx(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	fputs("fdrelay: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	errno = e;
}

struct poptOption fdr_common_options[] = {
	{ "version", '\0', POPT_ARG_NONE, NULL, FDR_OPT_VERSION, "print fdrelay's version and exit", NULL },
	POPT_TABLEEND
};

poptContext fdr_popt_parse(const char *name, const char *operands, int argc, const char **argv,
    const struct poptOption *table, unsigned int flags, int *done)
{
	poptContext con;
	int rc;

	*done = 0;
	/* popt names the program in --help from argv[0]. */
	argv[0] = name;
	con = poptGetContext(name, argc, argv, table, flags);
	poptSetOtherOptionHelp(con, operands);
	while ((rc = poptGetNextOpt(con)) > 0) {
		if (rc == FDR_OPT_VERSION) {
			fdr_version();
			*done = 1;
			return con;
		}
	}
	if (rc < -1) {
		fdr_popt_error(name, con, rc);
		poptFreeContext(con);
		return NULL;
	}
	return con;
}

int fdr_popt_error(const char *name, poptContext con, int rc)
{
	fdr_warnx("%s: %s: %s", name + strlen("fdrelay "),
	    poptBadOption(con, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
	fprintf(stderr, "Try '%s --help' for more information.\n", name);
	return FDR_EXIT_USAGE;
}

int fdr_parse_seconds(const char *s, int *ms)
{
	long long v = 0;
	int frac = 0;

	/* [DIGITS][.DIGITS], by hand: strtod would take "1e3", "inf" and a locale's comma. */
	if (!s || ((*s < '0' || *s > '9') && !(s[0] == '.' && s[1] >= '0' && s[1] <= '9')))
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		if ((v = v * 10 + (*s - '0')) > INT_MAX / 1000)
			return -1;
	v *= 1000;
	if (*s == '.') {
		if (*++s < '0' || *s > '9')
			return -1;
		int below = 0;	/* a nonzero digit below 1 ms rounds up, once */

		for (int scale = 100; *s >= '0' && *s <= '9'; s++, scale /= 10)
			if (scale)
				frac += (*s - '0') * scale;
			else
				below |= *s != '0';
		frac += below;
	}
	if (*s || v + frac > INT_MAX)
		return -1;
	*ms = (int)(v + frac);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return FDR_EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--usage")) {
		usage(stdout);
		return FDR_EXIT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		fdr_version();
		return FDR_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, (const char **)argv + 1);
	fdr_warnx("%s: unknown %s", cmd, cmd[0] == '-' ? "option" : "command");
	usage(stderr);
	return FDR_EXIT_USAGE;
}
