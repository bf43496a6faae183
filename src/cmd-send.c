/* cmd-send.c - fdrelay send: open files or take descriptors and hand them to a listener. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ancil.h"
#include "client.h"
#include "fdrelay.h"
#include "frame.h"
#include "sig.h"

static struct poptOption send_options[] = {
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, source_options, 0, "Descriptors to send, in command-line order (and FILE operands):", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, source_stdio_option, 0, NULL, NULL },
	{ "wait", 'W', POPT_ARG_NONE, NULL, OPT_WAIT, "wait for the listener's program and exit with its status", NULL },
	{ "timeout", 't', POPT_ARG_STRING, NULL, OPT_TIMEOUT, "give up opening, connecting and delivering after SECONDS (exit 124)", "SECONDS" },
	{ "retry", 'R', POPT_ARG_NONE, NULL, OPT_RETRY, "retry while the socket is missing or refuses, until the timeout (default 10 s)", NULL },
	{ "raw", '\0', POPT_ARG_NONE, NULL, OPT_RAW, "no framing: the message and all descriptors in one sendmsg, no acknowledgement", NULL },
	{ "message", 'm', POPT_ARG_STRING, NULL, OPT_MESSAGE, "bytes sent with --raw (escapes \\n \\t \\\\ \\0 \\xHH; default one NUL byte)", "TEXT" },
	{ "dgram", '\0', POPT_ARG_NONE, NULL, OPT_DGRAM, "use a SOCK_DGRAM socket (implies --raw)", NULL },
	{ "seqpacket", '\0', POPT_ARG_NONE, NULL, OPT_SEQPACKET, "use a SOCK_SEQPACKET socket", NULL },
	{ "verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE, "say what is sent and acknowledged, on stderr", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_policy_options, 0, "Which listeners may have them (default: this user's and root's):", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_common_options, 0, "Common options:", NULL },
	POPT_TABLEEND
};

/* --raw: one sendmsg of the message and every descriptor. */
static int send_raw(const struct client *cl, const struct opts *o, int sock)
{
	int *fds = NULL;
	char **names = NULL;
	int status = FDR_EXIT_FAIL;
	const char *msg = o->message ? o->message : "";
	size_t len = o->message ? (size_t)o->msglen : 1;

	if (sources_arrays(&o->src, &fds, &names) == -1)
		fdr_warn("send");
	else if (ancil_send(sock, msg, len, fds, o->src.n, NULL) == -1)
		fdr_warn("send %s", cl->path);
	else
		status = FDR_EXIT_OK;
	if (!status && o->verbose)
		fdr_warnx("send: sent %zu bytes and %zu descriptor%s to %s", len, o->src.n,
		    o->src.n == 1 ? "" : "s", cl->path);
	free(fds);
	free(names);
	return status;
}

/* A signal to forward, unless the kernel sent it to a group the listener (and its program) share with us. */
static int forward(const struct sig_event *ev, pid_t listener)
{
	return !ev->from_kernel || listener <= 0 || getpgid(listener) != getpgrp();
}

/* --wait: forwards signals until the listener reports the program's status. */
static int wait_status(const struct client *cl, const struct opts *o, struct frame_conn *c)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	struct ancil_cred peer = { -1, (uid_t)-1, (gid_t)-1 };
	struct proto_hdr h;
	struct sig_event ev;
	int how, value, r;

	(void)ancil_peer_cred(c->sock, &peer);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = c->sock, .events = POLLIN },
			{ .fd = sig_fd(), .events = POLLIN },
		};

		if (poll(p, 2, -1) == -1 && errno != EINTR) {
			fdr_warn("send %s: poll", cl->path);
			return FDR_EXIT_FAIL;
		}
		for (sig_next(&ev); ev.signo; sig_next(&ev)) {
			unsigned char b[1];

			if (!forward(&ev, peer.pid))
				continue;
			if (o->verbose)
				fdr_warnx("send: forwarding signal %d to the program", ev.signo);
			proto_signal_pack(b, ev.signo);
			if (frame_send(c, PROTO_SIGNAL, 0, b, 1, NULL, 0) == -1 && o->verbose)
				fdr_warn("send %s: forward signal %d", cl->path, ev.signo);
		}
		if (p[0].revents)
			break;
	}
	if ((r = client_read(cl, c, &h, payload, "the program's status", NULL)) != 0)
		return r;
	if (h.type != PROTO_STATUS)
		return client_unexpected(cl, &h, payload);
	if (proto_status_unpack(payload, h.len, &how, &value) == -1) {
		fdr_warn("send %s: status", cl->path);
		return FDR_EXIT_FAIL;
	}
	if (o->verbose)
		fdr_warnx("send: the program %s %d", how == PROTO_STATUS_SIGNALED ? "was killed by signal" :
		    "exited with status", value);
	return how == PROTO_STATUS_SIGNALED ? 128 + value : value;
}

/* The OFFERs went wrong: a refusing listener answered and closed, or the send itself failed. */
static int offer_failed(const struct client *cl, struct frame_conn *c)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	struct proto_hdr h;
	int e = errno, r;

	if (e == EPIPE || e == ECONNRESET) {
		r = client_read(cl, c, &h, payload, "acknowledging", NULL);
		return r ? r : client_unexpected(cl, &h, payload);
	}
	errno = e;
	if (e == ETOOMANYREFS)
		fdr_warnx("send %s: too many descriptors in flight for this user (the limit is its RLIMIT_NOFILE)",
		    cl->path);
	else
		fdr_warn("send %s", cl->path);
	return FDR_EXIT_FAIL;
}

static int send_framed(const struct client *cl, const struct opts *o, int sock)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	struct frame_conn c = { .sock = sock, .type = cl->type };
	struct proto_hdr h;
	uint32_t count;
	int *fds = NULL, status;
	char **names = NULL;

	if (sources_arrays(&o->src, &fds, &names) == -1) {
		fdr_warn("send");
		status = FDR_EXIT_FAIL;
	} else if (frame_send_offer(&c, o->wait ? PROTO_F_WAIT : 0, fds, names, o->src.n) == -1) {
		status = offer_failed(cl, &c);
	} else {
		if (o->verbose)
			fdr_warnx("send: sent %zu descriptor%s to %s", o->src.n, o->src.n == 1 ? "" : "s", cl->path);
		if (cl->timeout_prefix)
			sig_timeout_say(cl->timeout_prefix, " waiting for the listener to acknowledge", NULL);
		status = client_read(cl, &c, &h, payload, "acknowledging",
		    "a --raw listener, or not fdrelay at all? --raw sends to those");
	}
	free(fds);
	free(names);
	if (status)
		return status;
	if (h.type != PROTO_ACK)
		return client_unexpected(cl, &h, payload);
	if (proto_ack_unpack(payload, h.len, &count) == -1 || count != o->src.n) {
		fdr_warnx("send %s: protocol error: bad acknowledgement", cl->path);
		return FDR_EXIT_FAIL;
	}
	sig_timeout_arm(0);
	if (o->verbose)
		fdr_warnx("send: %s acknowledged %u descriptor%s", cl->path, count, count == 1 ? "" : "s");
	return o->wait ? wait_status(cl, o, &c) : FDR_EXIT_OK;
}

/* Option combinations send refuses; 0 or FDR_EXIT_USAGE after a message. */
static int check(const struct opts *o, int raw)
{
	const char *sock = o->nargs ? o->args[0] : NULL;

	if (!sock)
		fdr_warnx("send: no SOCKET given");
	else if (!sock[0] || !strcmp(sock, "@"))
		fdr_warnx("send: SOCKET '%s': an empty path or abstract name", sock);
	else if (o->message && !raw)
		fdr_warnx("send: --message: only meaningful with --raw or --dgram");
	else if (raw && o->wait)
		fdr_warnx("send: --wait: needs fdrelay's framing, not --raw or --dgram");
	else if (raw && o->src.n > ANCIL_MAX_FDS)
		fdr_warnx("send: --raw: at most %d descriptors fit in one message, %zu given", ANCIL_MAX_FDS, o->src.n);
	else if (o->message && o->msglen == 0 && o->src.n && o->type == SOCK_STREAM)
		fdr_warnx("send: --message: a stream socket cannot carry descriptors without at least one byte");
	else
		return 0;
	return FDR_EXIT_USAGE;
}

static int send_exec(struct opts *o)
{
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, 0 };
	int raw = o->raw || o->type == SOCK_DGRAM, ms = o->timeout_ms ? o->timeout_ms : o->retry ? 10000 : 0;
	struct client cl = { .cmd = "send", .type = o->type, .retry = o->retry, .policy = &o->policy,
		.verbose = o->verbose };
	char prefix[512];
	int status, sock;

	if ((status = check(o, raw)) != 0)
		return status;
	cl.path = o->args[0];
	if (ms) {
		/* Not snprintf: it alone pages some 200 KiB of libc into every sender. */
		prefix[0] = '\0';
		strncat(prefix, "send ", sizeof(prefix) - 1);
		strncat(prefix, cl.path, sizeof(prefix) - strlen(prefix) - 1);
		strncat(prefix, ": timed out after ", sizeof(prefix) - strlen(prefix) - 1);
		strncat(prefix, o->timeout_text ? o->timeout_text : "10", sizeof(prefix) - strlen(prefix) - 1);
		strncat(prefix, " seconds", sizeof(prefix) - strlen(prefix) - 1);
		cl.timeout_prefix = prefix;
		sig_timeout_say(prefix, " starting", NULL);
		sig_timeout_arm(ms);
	}
	/* Before the signal pipe exists: it must not take the number of a closed -d N. */
	if ((status = sources_open(&o->src, "send", cl.timeout_prefix, o->verbose)) != 0)
		return status;
	if (o->wait && sig_catch(forwarded) == -1) {
		fdr_warn("send: catch signals");
		return FDR_EXIT_FAIL;
	}
	if ((sock = client_connect(&cl, &status)) == -1)
		return status;
	if (cl.timeout_prefix)
		sig_timeout_say(prefix, " delivering", NULL);
	status = raw ? send_raw(&cl, o, sock) : send_framed(&cl, o, sock);
	sig_timeout_arm(0);
	close(sock);
	return status;
}

const struct cmd_entry cmd_send_entry = {
	.name = "send",
	.args = "[OPTIONS] SOCKET [FILE...]",
	.summary = "open files or take descriptors and hand them to a listener",
	.options = send_options,
	.file_operands = 1,
	.exec = send_exec,
};
