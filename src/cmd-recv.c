/* cmd-recv.c - fdrelay recv: receive as listen does, and describe what arrived. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "describe.h"
#include "fdrelay.h"
#include "listener.h"

static struct poptOption recv_options[] = {
	{ "json", 'J', POPT_ARG_NONE, NULL, OPT_JSON, "one JSON object per line (JSON Lines)", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_socket_options, 0, "Socket and sender options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_common_options, 0, "Common options:", NULL },
	POPT_TABLEEND
};

struct recv_ctx {
	const struct opts *o;
	int lock;		/* -k: workers write one sender's lines at a time; -1 */
};

/* Takes (on) or releases the lock every worker's output goes under. */
static void output_lock(int fd, int on)
{
	struct flock fl = { .l_type = on ? F_WRLCK : F_UNLCK, .l_whence = SEEK_SET };

	if (fd != -1)
		while (fcntl(fd, F_SETLKW, &fl) == -1 && errno == EINTR)
			;
}

/*
 * Describes the sender and what it sent: one line (or JSON object) for the
 * sender, then one per descriptor, numbered 3, 4, ... and not
 * close-on-exec, as listen's program would have them.  All of it goes out
 * in one piece, so that -k workers never mix their lines.
 */
static int describe_delivery(struct delivery *d, void *arg)
{
	const struct recv_ctx *ctx = arg;
	const struct opts *o = ctx->o;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int status = FDR_EXIT_OK;
	struct describe_run r;

	if (!out) {
		fdr_warn("recv");
		return FDR_EXIT_FAIL;
	}
	if (o->json)
		fprintf(out, "{\"sender\":{\"pid\":%ld,\"uid\":%ld,\"gid\":%ld},\"count\":%zu}\n",
		    (long)d->cred.pid, (long)d->cred.uid, (long)d->cred.gid, d->b.n);
	else
		fprintf(out, "sender pid %ld uid %ld gid %ld sent %zu descriptor%s\n", (long)d->cred.pid,
		    (long)d->cred.uid, (long)d->cred.gid, d->b.n, d->b.n == 1 ? "" : "s");
	describe_begin(&r, out, o->json);
	for (size_t i = 0; i < d->b.n; i++)
		if (describe_fd(&r, 0, d->b.fds[i], 3 + (int)i, d->b.names[i]) == -1)
			fdr_warn("recv: describe %s", d->b.names[i]);
	describe_end(&r);
	if (fclose(out) != 0) {
		fdr_warn("recv");
		status = FDR_EXIT_FAIL;
	} else {
		output_lock(ctx->lock, 1);
		if (fdr_write_out(text, len) == -1) {
			fdr_warn_stdout("recv");
			status = FDR_EXIT_FAIL;
		}
		output_lock(ctx->lock, 0);
	}
	free(text);
	return status;
}

/* A file whose lock -k workers take in turn; -1 when none could be made (lines may then mix). */
static int make_lock(void)
{
	FILE *f = tmpfile();
	int fd = f ? fcntl(fileno(f), F_DUPFD_CLOEXEC, 3) : -1;

	if (f)
		fclose(f);
	return fd;
}

static int recv_exec(struct opts *o)
{
	struct recv_ctx ctx = { .o = o, .lock = -1 };
	struct listener_cfg cfg;
	struct listener l;
	int status;

	if ((status = listen_config(o, &cfg)) != 0)
		return status;
	cfg.watch_stdout = 1;
	if (o->keep_going)
		ctx.lock = make_lock();
	if ((status = listener_open(&l, &cfg)) == 0)
		status = listener_serve(&l, describe_delivery, &ctx);
	listener_close(&l);
	if (ctx.lock != -1)
		close(ctx.lock);
	return status;
}

const struct cmd_entry cmd_recv_entry = {
	.name = "recv",
	.args = "[OPTIONS] SOCKET",
	.summary = "receive as listen does, and describe what arrived",
	.options = recv_options,
	.exec = recv_exec,
};
