/* cmd-listen.c - fdrelay listen: accept senders and run a program on what each one sends. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "fdrelay.h"
#include "listener.h"
#include "spawn.h"

/* The socket and sender options listen and recv share. */
struct poptOption fdr_socket_options[] = {
	{ "keep-going", 'k', POPT_ARG_NONE, NULL, OPT_KEEP_GOING, "serve senders one after another until SIGTERM or SIGINT", NULL },
	{ "mode", 'M', POPT_ARG_STRING, NULL, OPT_MODE, "permissions of the socket file (default 0600)", "OCTAL" },
	{ "max-fds", '\0', POPT_ARG_STRING, NULL, OPT_MAX_FDS, "refuse a sender that sends more than N descriptors (default 1024)", "N" },
	{ "timeout", 't', POPT_ARG_STRING, NULL, OPT_TIMEOUT, "one sender: give up waiting for it (exit 124); every sender: time allowed to deliver", "SECONDS" },
	{ "ready-fd", '\0', POPT_ARG_STRING, NULL, OPT_READY_FD, "write a newline to descriptor N once listening, then close it", "N" },
	{ "inherit", '\0', POPT_ARG_NONE, NULL, OPT_INHERIT, "take the listening socket from LISTEN_FDS instead of binding SOCKET", NULL },
	{ "raw", '\0', POPT_ARG_NONE, NULL, OPT_RAW, "accept one raw message and its descriptors instead of fdrelay's framing", NULL },
	{ "dgram", '\0', POPT_ARG_NONE, NULL, OPT_DGRAM, "use a SOCK_DGRAM socket (implies --raw)", NULL },
	{ "seqpacket", '\0', POPT_ARG_NONE, NULL, OPT_SEQPACKET, "use a SOCK_SEQPACKET socket", NULL },
	{ "verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE, "log each sender and what it sent, on stderr", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_policy_options, 0, NULL, NULL },
	POPT_TABLEEND
};

static struct poptOption listen_options[] = {
	{ "stdio", '\0', POPT_ARG_NONE, NULL, OPT_STDIO, "descriptors named stdin, stdout, stderr become the program's 0, 1, 2", NULL },
	{ "max-children", 'j', POPT_ARG_STRING, NULL, OPT_MAX_CHILDREN, "with -k: at most N programs at once (default 16)", "N" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_socket_options, 0, "Socket and sender options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_common_options, 0, "Common options:", NULL },
	POPT_TABLEEND
};

int listen_config(const struct opts *o, struct listener_cfg *cfg)
{
	const char *sock = o->nargs ? o->args[0] : NULL;

	*cfg = (struct listener_cfg){
		.cmd = o->cmd, .path = sock, .inherit = o->inherit, .type = o->type,
		.raw = o->raw, .mode = o->mode,
		.max_fds = o->max_fds == -1 ? 1024 : o->max_fds, .timeout_ms = o->timeout_ms,
		.timeout_text = o->timeout_text, .ready_fd = o->ready_fd, .keep_going = o->keep_going,
		.max_children = o->max_children ? o->max_children : 16, .verbose = o->verbose,
		.policy = &o->policy,
	};
	if (o->inherit && sock)
		fdr_warnx("%s: --inherit takes the socket from LISTEN_FDS: give no SOCKET", o->cmd);
	else if (!o->inherit && !sock)
		fdr_warnx("%s: no SOCKET given", o->cmd);
	else if (o->nargs > 1)
		fdr_warnx("%s: unexpected argument '%s'", o->cmd, o->args[1]);
	else if (sock && (!sock[0] || !strcmp(sock, "@")))
		fdr_warnx("%s: SOCKET '%s': an empty path or abstract name", o->cmd, sock);
	else if (o->max_children && !o->keep_going)
		fdr_warnx("%s: --max-children: only meaningful with -k (one sender at a time otherwise)", o->cmd);
	else
		return 0;
	return FDR_EXIT_USAGE;
}

struct listen_ctx {
	const struct opts *o;
	int frame_ms;
};

/* Runs the program on one sender's descriptors. */
static int run_program(struct delivery *d, void *arg)
{
	const struct listen_ctx *ctx = arg;
	const struct opts *o = ctx->o;
	struct spawn s = {
		.cmd = o->cmd, .argv = o->program, .stdio = o->stdio, .fds = d->b.fds,
		.names = d->b.names, .n = d->b.n, .peer = &d->cred, .message = d->message,
		.msglen = d->msglen, .verbose = o->verbose,
	};

	return spawn_run(&s, &d->conn, ctx->frame_ms, &d->signal);
}

static int listen_exec(struct opts *o)
{
	struct listener_cfg cfg;
	struct listener l;
	struct listen_ctx ctx = { .o = o };
	int status;

	if ((status = listen_config(o, &cfg)) != 0)
		return status;
	if (!o->program) {
		fdr_warnx("listen: no PROGRAM given");
		return FDR_EXIT_USAGE;
	}
	ctx.frame_ms = cfg.timeout_ms ? cfg.timeout_ms : LISTENER_DELIVERY_MS;
	if ((status = listener_open(&l, &cfg)) == 0)
		status = listener_serve(&l, run_program, &ctx);
	listener_close(&l);
	return status;
}

const struct cmd_entry cmd_listen_entry = {
	.name = "listen",
	.args = "[OPTIONS] SOCKET [--] PROGRAM [ARG...]",
	.summary = "accept senders and run a program on what each one sends",
	.options = listen_options,
	.takes_program = CMD_PROGRAM_AFTER_SOCKET,
	.exec = listen_exec,
};
