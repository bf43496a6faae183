/* main.c - fdrelay's entry point: the command table, option parsing, help. */
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdrelay.h"
#include "parse.h"
#include "sig.h"

static const struct cmd_entry *const commands[] = {
	&cmd_send_entry,
	&cmd_listen_entry,
	&cmd_recv_entry,
	&cmd_describe_entry,
	&cmd_exec_entry,
	&cmd_hold_entry,
	&cmd_store_entry,
	&cmd_fetch_entry,
	&cmd_drop_entry,
	&cmd_list_entry,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

struct poptOption fdr_common_options[] = {
	{ "help", 'h', POPT_ARG_NONE, NULL, OPT_HELP, "show this help and exit", NULL },
	{ NULL, '?', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, NULL, OPT_HELP, NULL, NULL },
	{ "usage", '\0', POPT_ARG_NONE, NULL, OPT_USAGE, "show a short usage message and exit", NULL },
	{ "version", '\0', POPT_ARG_NONE, NULL, OPT_VERSION, "print fdrelay's version and exit", NULL },
	POPT_TABLEEND
};

struct poptOption fdr_policy_options[] = {
	{ "allow-uid", '\0', POPT_ARG_STRING, NULL, OPT_ALLOW_UID, "also accept peers with these user ids or names", "UID[,UID...]" },
	{ "allow-gid", '\0', POPT_ARG_STRING, NULL, OPT_ALLOW_GID, "also accept peers with these group ids or names", "GID[,GID...]" },
	{ "allow-any", '\0', POPT_ARG_NONE, NULL, OPT_ALLOW_ANY, "accept every peer", NULL },
	POPT_TABLEEND
};

static void usage(FILE *out)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "%s fdrelay %s %s\n", i ? "      " : "Usage:", commands[i]->name, commands[i]->args);
	fputs("       fdrelay help [COMMAND] | --help | --version\n"
	    "Pass open file descriptors between processes over unix sockets.\n\n", out);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nRun 'fdrelay COMMAND --help' for a command's options; see fdrelay(1).\n", out);
}

static void version(void)
{
	printf("fdrelay %s\n", PACKAGE_VERSION);
}

/* ---- Options ------------------------------------------------------------ */

/* A number option: 0 .. max, at least min; returns 0 or FDR_EXIT_USAGE after a message. */
static int number(const struct opts *o, const char *opt, const char *arg, long min, long max, long *v)
{
	*v = parse_ulong(arg, max);
	if (*v >= min)
		return 0;
	if (min > 0)
		fdr_warnx("%s: %s: invalid number '%s' (at least %ld)", o->cmd, opt, arg, min);
	else
		fdr_warnx("%s: %s: invalid number '%s'", o->cmd, opt, arg);
	return FDR_EXIT_USAGE;
}

/* A user name or number as a uid; -1 when unknown. */
static long parse_user(const char *arg)
{
	long v = parse_ulong(arg, 0x7fffffff);
	struct passwd *pw;

	if (v >= 0)
		return v;
	pw = getpwnam(arg);
	return pw ? (long)pw->pw_uid : -1;
}

/* Keeps a string option's value (a malloc'ed copy, the last one given). */
static int keep(char **slot, const char *arg)
{
	free(*slot);
	*slot = strdup(arg);
	return *slot ? 0 : FDR_EXIT_FAIL;
}

/* Options whose value needs parsing; returns 0 or an exit status after a message. */
static int opts_value(struct opts *o, int code, const char *arg)
{
	char why[300];
	long v = 0;
	int r;

	switch (code) {
	case OPT_TIMEOUT:
		if (parse_seconds(arg, &o->timeout_ms) == -1 || o->timeout_ms == 0) {
			fdr_warnx("%s: --timeout: invalid number of seconds '%s' (more than 0)", o->cmd, arg);
			return FDR_EXIT_USAGE;
		}
		return keep(&o->timeout_text, arg);
	case OPT_SOCKET:
		return keep(&o->socket, arg);
	case OPT_NOTIFY:
		return keep(&o->notify, arg);
	case OPT_TTL:
		if (parse_seconds(arg, &r) == -1 || r == 0) {
			fdr_warnx("%s: --ttl: invalid number of seconds '%s' (more than 0)", o->cmd, arg);
			return FDR_EXIT_USAGE;
		}
		o->ttl_ms = r;
		return 0;
	case OPT_OWNER:
		if ((o->owner = parse_user(arg)) == -1) {
			fdr_warnx("%s: --owner: unknown user '%s' (a name or a number)", o->cmd, arg);
			return FDR_EXIT_USAGE;
		}
		return 0;
	case OPT_MESSAGE:
		free(o->message);
		if (!(o->message = malloc(strlen(arg) + 1)))
			return FDR_EXIT_FAIL;
		if ((o->msglen = parse_unescape(arg, o->message)) == -1) {
			fdr_warnx("%s: --message '%s': invalid escape (use \\n \\t \\\\ \\0 \\xHH)", o->cmd, arg);
			return FDR_EXIT_USAGE;
		}
		return 0;
	case OPT_MODE:
		if (parse_mode(arg, &o->mode) == -1) {
			fdr_warnx("%s: --mode: invalid permissions '%s' (octal, at most 0777)", o->cmd, arg);
			return FDR_EXIT_USAGE;
		}
		return 0;
	case OPT_MAX_CHILDREN:
		r = number(o, "--max-children", arg, 1, 65536, &v);
		o->max_children = (int)v;
		return r;
	case OPT_MAX_FDS:
		return number(o, "--max-fds", arg, 0, 0x7fffffff, &o->max_fds);
	case OPT_PID:
		if ((o->pid = parse_ulong(arg, 0x7fffffff)) < 1) {
			fdr_warnx("%s: invalid process id '%s'", o->cmd, arg);
			return FDR_EXIT_USAGE;
		}
		return 0;
	case OPT_READY_FD:
		if ((v = parse_ulong(arg, 0x7fffffff)) == -1 || !fdr_fd_open((int)v)) {
			fdr_warnx("%s: --ready-fd: '%s' is not an open descriptor", o->cmd, arg);
			return FDR_EXIT_USAGE;
		}
		o->ready_fd = (int)v;
		return 0;
	case OPT_ALLOW_UID:
	case OPT_ALLOW_GID:
		if (policy_add_ids(&o->policy, arg, code == OPT_ALLOW_GID, why, sizeof(why)) == 0)
			return 0;
		fdr_warnx("%s: %s: %s", o->cmd, code == OPT_ALLOW_GID ? "--allow-gid" : "--allow-uid", why);
		return FDR_EXIT_USAGE;
	}
	return source_option(&o->src, code, arg, o->cmd);
}

/* One option of o's command line; returns 0 or an exit status after a message. */
static int opts_set(struct opts *o, int code, const char *arg)
{
	int *flag = NULL;

	switch (code) {
	case OPT_VERBOSE: flag = &o->verbose; break;
	case OPT_JSON: flag = &o->json; break;
	case OPT_RETRY: flag = &o->retry; break;
	case OPT_WAIT: flag = &o->wait; break;
	case OPT_STDIO: flag = &o->stdio; break;
	case OPT_RAW: flag = &o->raw; break;
	case OPT_DGRAM: flag = &o->dgram; break;
	case OPT_SEQPACKET: flag = &o->seqpacket; break;
	case OPT_INHERIT: flag = &o->inherit; break;
	case OPT_KEEP_GOING: flag = &o->keep_going; break;
	case OPT_ALLOW_ANY: flag = &o->policy.allow_any; break;
	case OPT_TAKE_OVER: flag = &o->take_over; break;
	case OPT_NO_POLL: flag = &o->no_poll; break;
	case OPT_REPLACE: flag = &o->replace; break;
	case OPT_TAKE: flag = &o->take; break;
	}
	if (flag) {
		*flag = 1;
		return 0;
	}
	return opts_value(o, code, arg);
}

/* 1 if the option named lng (or shrt) in table takes an argument. */
static int takes_arg(const struct poptOption *t, const char *lng, size_t lnglen, char shrt)
{
	for (; t->longName || t->shortName || t->argInfo; t++) {
		if ((t->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE) {
			if (takes_arg(t->arg, lng, lnglen, shrt))
				return 1;
		} else if ((t->argInfo & POPT_ARG_MASK) == POPT_ARG_STRING &&
		    ((lng && t->longName && strlen(t->longName) == lnglen && !strncmp(lng, t->longName, lnglen)) ||
		    (shrt && t->shortName == shrt))) {
			return 1;
		}
	}
	return 0;
}

/*
 * Where the program begins: with CMD_PROGRAM_AFTER_SOCKET (listen), after
 * the options and, unless --inherit, the SOCKET operand, options coming
 * before or after SOCKET and "--" ending them; with
 * CMD_PROGRAM_AFTER_DASHDASH (exec), after the first "--" that is not an
 * option's value.  Returns argc when there is no program.
 */
static int program_start(int argc, const char **argv, const struct poptOption *table, int how)
{
	int inherit = 0, operands = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i += how == CMD_PROGRAM_AFTER_DASHDASH || inherit || operands ? 1 : 2;
			return i < argc ? i : argc;
		}
		if (a[0] != '-' || !a[1]) {
			if (how == CMD_PROGRAM_AFTER_SOCKET && operands == (inherit ? 0 : 1))
				return i;
			operands++;
		} else if (a[1] == '-') {
			inherit |= !strcmp(a, "--inherit");
			if (!strchr(a, '=') && takes_arg(table, a + 2, strlen(a + 2), 0))
				i++;
		} else {
			for (const char *c = a + 1; *c; c++)
				if (takes_arg(table, NULL, 0, *c)) {
					i += !c[1];
					break;
				}
		}
	}
	return argc;
}

/* An operand: the FILEs of a command that takes them are sources, in order; others are kept. */
static int operand(const struct cmd_entry *e, struct opts *o, const char *arg)
{
	char **args;

	if (e->file_operands && o->nargs >= (size_t)(e->file_operands == 1))
		return source_option(&o->src, SOURCE_OPT_FILE, arg, o->cmd);
	if (!(args = realloc(o->args, (o->nargs + 2) * sizeof(*args))) || !(args[o->nargs] = strdup(arg))) {
		if (args)
			o->args = args;
		fdr_warn("out of memory");
		return FDR_EXIT_FAIL;
	}
	o->args = args;
	args[++o->nargs] = NULL;
	return 0;
}

/*
 * Parses a command line (argv[0] is the command's name) with e's options
 * into o.  Returns 0; -1 when it printed help, usage or the version; or an
 * exit status after a message.  *con is the context, to free after o is
 * done with (the program's argv points into argv).
 */
static int parse(const struct cmd_entry *e, int argc, const char **argv, struct opts *o, poptContext *con)
{
	static char name[64];
	int split = e->takes_program ? program_start(argc, argv, e->options, e->takes_program) : argc;
	int rc, status = 0;

	/* Not snprintf: it alone pages some 200 KiB of libc into a sender (docs/performance.md). */
	strcpy(name, "fdrelay ");
	strncat(name, e->name, sizeof(name) - sizeof("fdrelay "));
	/* popt names the program in --help and --usage after argv[0]. */
	argv[0] = name;
	*con = poptGetContext(name, split, argv, e->options, POPT_CONTEXT_ARG_OPTS);
	poptSetOtherOptionHelp(*con, e->args);
	while (!status && (rc = poptGetNextOpt(*con)) >= 0) {
		char *arg = poptGetOptArg(*con);

		if (rc == OPT_HELP || rc == OPT_USAGE) {
			(rc == OPT_HELP ? poptPrintHelp : poptPrintUsage)(*con, stdout, 0);
			status = -1;
		} else if (rc == OPT_VERSION) {
			version();
			status = -1;
		} else {
			status = rc == 0 ? operand(e, o, arg) : opts_set(o, rc, arg);
		}
		free(arg);
	}
	if (!status && rc < -1) {
		fdr_warnx("%s: %s: %s", e->name, poptBadOption(*con, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
		fprintf(stderr, "Try '%s --help' for more information.\n", name);
		status = FDR_EXIT_USAGE;
	}
	if (e->takes_program && split < argc)
		o->program = (char **)argv + split;
	return status;
}

static void opts_free(struct opts *o)
{
	for (size_t i = 0; i < o->nargs; i++)
		free(o->args[i]);
	free(o->args);
	free(o->timeout_text);
	free(o->message);
	free(o->socket);
	free(o->notify);
	policy_free(&o->policy);
	sources_free(&o->src);
}

/* Runs command e on argv (argv[0] is its name); returns the exit status. */
static int run(const struct cmd_entry *e, int argc, const char **argv)
{
	struct opts o = { .cmd = e->name, .type = SOCK_STREAM, .mode = 0600, .max_fds = -1, .ready_fd = -1,
		.owner = -1 };
	poptContext con = NULL;
	int status = parse(e, argc, argv, &o, &con);

	if (status == 0) {
		o.type = o.dgram ? SOCK_DGRAM : o.seqpacket ? SOCK_SEQPACKET : SOCK_STREAM;
		if (o.dgram && o.seqpacket) {
			fdr_warnx("%s: --dgram and --seqpacket: choose one socket type", e->name);
			status = FDR_EXIT_USAGE;
		} else {
			status = e->exec(&o);
		}
	}
	sig_release();
	opts_free(&o);
	poptFreeContext(con);
	return status == -1 ? FDR_EXIT_OK : status;
}

static const struct cmd_entry *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i]->name))
			return commands[i];
	return NULL;
}

/* fdrelay help [COMMAND]. */
static int help(int argc, char **argv)
{
	const char *args[] = { NULL, "--help", NULL };
	const struct cmd_entry *e;

	if (argc < 3) {
		usage(stdout);
		return FDR_EXIT_OK;
	}
	if (argc > 3 || !(e = find(argv[2]))) {
		fdr_warnx("help: %s: unknown command", argv[2]);
		usage(stderr);
		return FDR_EXIT_USAGE;
	}
	args[0] = e->name;
	return run(e, 2, args);
}

/* A status that also says whether standard output took everything written to it. */
static int check_stdout(const char *cmd, int status)
{
	/* Flushing only what is there keeps stdio's flush out of a sender that prints nothing. */
	if ((os_fpending(stdout) == 0 || fflush(stdout) != EOF) && !ferror(stdout))
		return status;
	fdr_warn_stdout(cmd);
	return status ? status : FDR_EXIT_FAIL;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const struct cmd_entry *e;

	sig_init();
	fdr_std_guard();
	if (!cmd) {
		usage(stderr);
		return FDR_EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--usage")) {
		usage(stdout);
		return check_stdout(NULL, FDR_EXIT_OK);
	}
	if (!strcmp(cmd, "--version")) {
		version();
		return check_stdout(NULL, FDR_EXIT_OK);
	}
	if (!strcmp(cmd, "help"))
		return check_stdout("help", help(argc, argv));
	if ((e = find(cmd)) != NULL)
		return check_stdout(e->name, run(e, argc - 1, (const char **)argv + 1));
	fdr_warnx("%s: unknown %s", cmd, cmd[0] == '-' ? "option" : "command");
	usage(stderr);
	return FDR_EXIT_USAGE;
}
