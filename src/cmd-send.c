/* cmd-send.c - fdrelay send: open files or take descriptors and hand them over. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "ancil.h"
#include "fdrelay.h"
#include "frame.h"
#include "proto.h"
#include "sock.h"

enum {
	OPT_READ = 1, OPT_WRITE, OPT_APPEND, OPT_RDWR, OPT_FD, OPT_STDIN, OPT_STDOUT,
	OPT_STDERR, OPT_STDIO, OPT_NAME, OPT_TIMEOUT, OPT_MESSAGE
};

static int opt_wait, opt_retry, opt_raw, opt_dgram, opt_seqpacket, opt_verbose;
static char *opt_timeout, *opt_message;

static struct poptOption send_options[] = {
	{ "read", 'r', POPT_ARG_STRING, NULL, OPT_READ, "open PATH read-only and send it", "PATH" },
	{ "write", 'w', POPT_ARG_STRING, NULL, OPT_WRITE, "open PATH for writing (create, truncate) and send it", "PATH" },
	{ "append", 'a', POPT_ARG_STRING, NULL, OPT_APPEND, "open PATH for appending (create) and send it", "PATH" },
	{ "rdwr", 'u', POPT_ARG_STRING, NULL, OPT_RDWR, "open PATH read-write (create) and send it", "PATH" },
	{ "fd", 'd', POPT_ARG_STRING, NULL, OPT_FD, "send inherited descriptor N", "N" },
	{ "stdin", 'i', POPT_ARG_NONE, NULL, OPT_STDIN, "send this process's standard input", NULL },
	{ "stdout", 'o', POPT_ARG_NONE, NULL, OPT_STDOUT, "send this process's standard output", NULL },
	{ "stderr", 'e', POPT_ARG_NONE, NULL, OPT_STDERR, "send this process's standard error", NULL },
	{ "stdio", 's', POPT_ARG_NONE, NULL, OPT_STDIO, "send all three, named stdin, stdout, stderr", NULL },
	{ "name", 'n', POPT_ARG_STRING, NULL, OPT_NAME, "name the descriptor given just before", "NAME" },
	{ "wait", 'W', POPT_ARG_NONE, &opt_wait, 0, "wait for the listener's program and exit with its status", NULL },
	{ "timeout", 't', POPT_ARG_STRING, NULL, OPT_TIMEOUT, "give up connecting and delivering after SECONDS (exit 124)", "SECONDS" },
	{ "retry", 'R', POPT_ARG_NONE, &opt_retry, 0, "retry while the socket is missing or refuses, until the timeout (default 10 s)", NULL },
	{ "raw", '\0', POPT_ARG_NONE, &opt_raw, 0, "no framing: the message and all descriptors in one sendmsg, no acknowledgement", NULL },
	{ "message", 'm', POPT_ARG_STRING, NULL, OPT_MESSAGE, "bytes sent with --raw (escapes \\n \\t \\\\ \\0 \\xHH; default one NUL byte)", "TEXT" },
	{ "dgram", '\0', POPT_ARG_NONE, &opt_dgram, 0, "use a SOCK_DGRAM socket (implies --raw)", NULL },
	{ "seqpacket", '\0', POPT_ARG_NONE, &opt_seqpacket, 0, "use a SOCK_SEQPACKET socket", NULL },
	{ "verbose", 'v', POPT_ARG_NONE, &opt_verbose, 0, "say what is sent and acknowledged, on stderr", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_common_options, 0, "Common options:", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

/* One descriptor to send, in command-line order. */
struct item {
	int fd;			/* -1 until opened */
	int owned;		/* opened here (closed at the end) */
	int kind;		/* OPT_READ ... OPT_STDERR */
	char *arg;		/* path or number, as given */
	char *name;		/* malloc'd */
	int named;		/* --name given */
};

struct send_state {
	struct item *items;
	size_t nitems;
	const char *sockpath;
};

static void send_free(struct send_state *st)
{
	for (size_t i = 0; i < st->nitems; i++) {
		if (st->items[i].owned && st->items[i].fd != -1)
			close(st->items[i].fd);
		free(st->items[i].arg);
		free(st->items[i].name);
	}
	free(st->items);
}

/*
 * A default name: the basename of a path with anything LISTEN_FDNAMES
 * forbids replaced by '_' and cut to PROTO_NAME_MAX characters.
 */
static char *default_name(const struct item *it)
{
	static const char *const std[] = { "stdin", "stdout", "stderr" };
	char buf[PROTO_NAME_MAX + 1], *p = buf + sizeof(buf) - 1;
	const char *base;
	size_t len;

	/* No snprintf: send stays as small as the s6-sudoc it competes with. */
	switch (it->kind) {
	case OPT_STDIN: case OPT_STDOUT: case OPT_STDERR:
		return strdup(std[it->kind - OPT_STDIN]);
	case OPT_FD:
		*p = '\0';
		for (unsigned v = (unsigned)it->fd; p == buf + sizeof(buf) - 1 || v; v /= 10)
			*--p = (char)('0' + v % 10);
		*--p = 'd';
		*--p = 'f';
		return strdup(p);
	}
	base = strrchr(it->arg, '/');
	base = base && base[1] ? base + 1 : it->arg;
	len = strnlen(base, PROTO_NAME_MAX);
	memcpy(buf, base, len);
	buf[len] = '\0';
	for (p = buf; *p; p++)
		if (*p == ':' || *p <= ' ' || *p > '~')
			*p = '_';
	return strdup(buf[0] ? buf : "file");
}

static int add_item(struct send_state *st, int kind, char *arg)
{
	struct item *n = realloc(st->items, (st->nitems + 1) * sizeof(*n));

	if (!n) {
		free(arg);
		return -1;
	}
	st->items = n;
	n[st->nitems++] = (struct item){ .fd = -1, .kind = kind, .arg = arg };
	return 0;
}

/* Decodes --message escapes into out (as long as s); returns the length or -1. */
static ssize_t unescape(const char *s, char *out)
{
	size_t n = 0;

	while (*s) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s++) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case '\\': out[n++] = '\\'; break;
		case '0': out[n++] = '\0'; break;
		case 'x': {
			int v = 0, i;

			for (i = 0; i < 2; i++, s++) {
				char c = *s;

				if (c >= '0' && c <= '9')
					v = v * 16 + c - '0';
				else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
					v = v * 16 + (c | 0x20) - 'a' + 10;
				else
					break;
			}
			if (i == 0)
				return -1;
			out[n++] = (char)v;
			break;
		}
		default:
			return -1;
		}
	}
	return (ssize_t)n;
}

/*
 * Checks that every inherited descriptor (-d, -i, -o, -e) is open.  Runs
 * before send creates any descriptor of its own (files, the signal pipe),
 * which would otherwise take a closed number and be sent in its place.
 * Returns 0 or an exit status.
 */
static int check_inherited(const struct send_state *st)
{
	for (size_t i = 0; i < st->nitems; i++) {
		const struct item *it = &st->items[i];

		if (it->kind == OPT_READ || it->kind == OPT_WRITE || it->kind == OPT_APPEND ||
		    it->kind == OPT_RDWR)
			continue;
		if (fcntl(it->fd, F_GETFD) == -1) {
			fdr_warn("send: descriptor %d", it->fd);
			return FDR_EXIT_FAIL;
		}
	}
	return 0;
}

/* Opens every file item (inherited ones are checked already); returns 0 or an exit status. */
static int open_items(struct send_state *st)
{
	if (fdr_nofile_need((long)st->nitems + 16) == -1 && opt_verbose)
		fdr_warn("send: raise the descriptor limit to %zu", st->nitems + 16);
	for (size_t i = 0; i < st->nitems; i++) {
		struct item *it = &st->items[i];
		int flags = O_CLOEXEC | O_NOCTTY;

		switch (it->kind) {
		case OPT_READ: flags |= O_RDONLY; break;
		case OPT_WRITE: flags |= O_WRONLY | O_CREAT | O_TRUNC; break;
		case OPT_APPEND: flags |= O_WRONLY | O_CREAT | O_APPEND; break;
		case OPT_RDWR: flags |= O_RDWR | O_CREAT; break;
		default:
			continue;
		}
		it->fd = open(it->arg, flags, 0666);
		if (it->fd == -1) {
			fdr_warn("open %s", it->arg);
			return FDR_EXIT_FAIL;
		}
		it->owned = 1;
	}
	return 0;
}

static char timeout_msg[256];

static void on_alarm(int sig)
{
	(void)sig;
	(void)!write(2, timeout_msg, strlen(timeout_msg));
#if defined(SYS_close_range)
	/* Leave nothing open behind (close_range is async-signal-safe). */
	(void)syscall(SYS_close_range, 3U, ~0U, 0);
#endif
	_exit(FDR_EXIT_TIMEOUT);
}

/* Arms (ms > 0) or disarms (ms 0) the timeout that ends send with 124. */
static void arm_timeout(int ms, const char *what)
{
	struct itimerval it = { .it_value = { ms / 1000, ms % 1000 * 1000 } };

	if (ms) {
		/* Not snprintf: it alone adds about 200 KiB of libc to send's peak RSS. */
		const char *parts[] = { "fdrelay: send ", what, ": timed out after ",
			opt_timeout ? opt_timeout : "10", " seconds\n" };
		size_t len = 0;

		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
			size_t n = strlen(parts[i]);

			if (n > sizeof(timeout_msg) - 1 - len)
				n = sizeof(timeout_msg) - 1 - len;
			memcpy(timeout_msg + len, parts[i], n);
			len += n;
		}
		timeout_msg[len] = '\0';
		signal(SIGALRM, on_alarm);
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Connects, retrying with --retry; returns the socket or -1 after a message. */
static int connect_to(const char *path, int type)
{
	int delay = 10;

	for (;;) {
		int s = sock_connect(path, type);

		if (s != -1)
			return s;
		if (!opt_retry || (errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN)) {
			fdr_warn("connect %s", path);
			return -1;
		}
		usleep(delay * 1000);
		if (delay < 200)
			delay *= 2;
	}
}

/* --raw: one sendmsg of the message and every descriptor. */
static int send_raw(struct send_state *st, int sock)
{
	char *msg = opt_message ? malloc(strlen(opt_message) + 1) : NULL;
	int *fds = calloc(st->nitems + 1, sizeof(int));
	ssize_t len = 1;
	int rc = FDR_EXIT_FAIL;

	if (!fds || (opt_message && !msg)) {
		fdr_warn("send");
		goto out;
	}
	if (opt_message)
		len = unescape(opt_message, msg);
	for (size_t i = 0; i < st->nitems; i++)
		fds[i] = st->items[i].fd;
	if (ancil_send(sock, msg ? msg : "", (size_t)len, fds, st->nitems, NULL) == -1) {
		fdr_warn("send %s", st->sockpath);
		goto out;
	}
	if (opt_verbose)
		fdr_warnx("sent %zd bytes and %zu descriptors to %s", len, st->nitems, st->sockpath);
	rc = FDR_EXIT_OK;
out:
	free(msg);
	free(fds);
	return rc;
}

/* Explains a frame the listener sent instead of an ACK or STATUS; returns the exit status. */
static int listener_said(const struct send_state *st, const struct proto_hdr *h,
    const unsigned char *payload)
{
	enum proto_refusal why;
	char text[PROTO_ERROR_MAX + 1];

	if (h->type == PROTO_REFUSE && proto_refuse_unpack(payload, h->len, &why) == 0) {
		fdr_warnx("send %s: the listener refused this sender: %s", st->sockpath,
		    why == PROTO_REFUSE_TOO_MANY ? "too many descriptors" : "not allowed by its policy");
		return FDR_EXIT_REFUSED;
	}
	if (h->type == PROTO_ERROR && proto_error_unpack(payload, h->len, text, sizeof(text)) == 0) {
		fdr_warnx("send %s: the listener reported an error: %s", st->sockpath, text);
		return FDR_EXIT_FAIL;
	}
	fdr_warnx("send %s: protocol error: unexpected frame type %d", st->sockpath, h->type);
	return FDR_EXIT_FAIL;
}

/*
 * Reads the next frame the listener sends into *h and payload; returns 0,
 * or an exit status (after a message) when the connection ended or broke.
 */
static int read_reply(const struct send_state *st, struct frame_conn *c, struct proto_hdr *h,
    unsigned char *payload, const char *waiting_for)
{
	int fds[PROTO_MAX_FDS];
	int r = frame_recv(c, h, payload, fds);

	if (r == 1 && h->nfds) {
		ancil_close_fds(fds, h->nfds);
		errno = EPROTO;
		r = -1;
	}
	if (r == 1)
		return 0;
	if (r == 0)
		fdr_warnx("send %s: the listener closed the connection before %s", st->sockpath, waiting_for);
	else
		fdr_warn("send %s: receive %s", st->sockpath, waiting_for);
	return FDR_EXIT_FAIL;
}

/* Sends the OFFER frames; returns 0, or -1 with errno. */
static int send_offers(struct send_state *st, struct frame_conn *c)
{
	size_t i = 0;

	do {
		unsigned char payload[PROTO_MAX_PAYLOAD];
		const char *names[PROTO_MAX_FDS];
		int fds[PROTO_MAX_FDS];
		size_t n = st->nitems - i > PROTO_MAX_FDS ? PROTO_MAX_FDS : st->nitems - i;
		ssize_t len;
		int flags = opt_wait ? PROTO_F_WAIT : 0;

		for (size_t k = 0; k < n; k++) {
			fds[k] = st->items[i + k].fd;
			names[k] = st->items[i + k].name;
		}
		len = proto_names_pack(payload, sizeof(payload), names, n);
		if (len == -1)
			return -1;
		if (i + n < st->nitems)
			flags |= PROTO_F_MORE;
		if (frame_send(c, PROTO_OFFER, flags, payload, (size_t)len, fds, n) == -1)
			return -1;
		i += n;
	} while (i < st->nitems);
	return 0;
}

/* --wait: forwards signals until the listener reports the program's status. */
static int wait_status(const struct send_state *st, struct frame_conn *c)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	struct proto_hdr h;
	int how, value, r;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = c->sock, .events = POLLIN },
			{ .fd = fdr_sig_fd(), .events = POLLIN },
		};
		int sig;

		if (poll(p, 2, -1) == -1 && errno != EINTR) {
			fdr_warn("send %s: poll", st->sockpath);
			return FDR_EXIT_FAIL;
		}
		while ((sig = fdr_sig_next()) != 0) {
			unsigned char b[1];

			if (opt_verbose)
				fdr_warnx("forwarding signal %d to the program", sig);
			proto_signal_pack(b, sig);
			if (frame_send(c, PROTO_SIGNAL, 0, b, 1, NULL, 0) == -1 && opt_verbose)
				fdr_warn("send %s: forward signal %d", st->sockpath, sig);
		}
		if (p[0].revents)
			break;
	}
	r = read_reply(st, c, &h, payload, "the program's status");
	if (r)
		return r;
	if (h.type != PROTO_STATUS)
		return listener_said(st, &h, payload);
	if (proto_status_unpack(payload, h.len, &how, &value) == -1) {
		fdr_warn("send %s: status", st->sockpath);
		return FDR_EXIT_FAIL;
	}
	if (opt_verbose)
		fdr_warnx("the program %s %d", how == PROTO_STATUS_SIGNALED ? "was killed by signal" : "exited with status", value);
	return how == PROTO_STATUS_SIGNALED ? 128 + value : value;
}

static int send_framed(struct send_state *st, int sock, int type)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	struct frame_conn c = { .sock = sock, .type = type };
	struct proto_hdr h;
	uint32_t count;
	int r;

	if (send_offers(st, &c) == -1) {
		int e = errno;

		/* A refusing listener answers at once and closes: read why. */
		if (e == EPIPE || e == ECONNRESET) {
			r = read_reply(st, &c, &h, payload, "acknowledging");
			return r ? r : listener_said(st, &h, payload);
		}
		errno = e;
		if (e == ETOOMANYREFS)
			fdr_warnx("send %s: too many descriptors in flight for this user (the limit is its RLIMIT_NOFILE)", st->sockpath);
		else
			fdr_warn("send %s", st->sockpath);
		return FDR_EXIT_FAIL;
	}
	if (opt_verbose)
		fdr_warnx("sent %zu descriptors to %s", st->nitems, st->sockpath);
	r = read_reply(st, &c, &h, payload, "acknowledging");
	if (r)
		return r;
	if (h.type != PROTO_ACK)
		return listener_said(st, &h, payload);
	if (proto_ack_unpack(payload, h.len, &count) == -1 || count != st->nitems) {
		fdr_warnx("send %s: protocol error: %s", st->sockpath, "bad acknowledgement");
		return FDR_EXIT_FAIL;
	}
	arm_timeout(0, NULL);
	if (opt_verbose)
		fdr_warnx("%s acknowledged %u descriptors", st->sockpath, count);
	return opt_wait ? wait_status(st, &c) : FDR_EXIT_OK;
}

/* Parses the command line into st; returns 0, or an exit status. */
static int send_parse(struct send_state *st, int argc, const char **argv)
{
	poptContext con;
	int rc, status = 0;

	/* popt names the program in --help and --usage after argv[0]. */
	argv[0] = "fdrelay send";
	con = poptGetContext("fdrelay send", argc, argv, send_options, POPT_CONTEXT_ARG_OPTS);
	poptSetOtherOptionHelp(con, "[OPTIONS] SOCKET [FILE...]");
	while ((rc = poptGetNextOpt(con)) >= 0) {
		char *arg = poptGetOptArg(con);
		struct item *last = st->nitems ? &st->items[st->nitems - 1] : NULL;
		long n;

		switch (rc) {
		case FDR_OPT_VERSION:
			fdr_version();
			status = -1;
			break;
		case 0:
			if (!st->sockpath) {
				st->sockpath = arg;
				arg = NULL;
				break;
			}
			/* a FILE operand */
			/* FALLTHROUGH */
		case OPT_READ: case OPT_WRITE: case OPT_APPEND: case OPT_RDWR:
			status = add_item(st, rc ? rc : OPT_READ, arg) ? FDR_EXIT_FAIL : 0;
			arg = NULL;
			break;
		case OPT_TIMEOUT: case OPT_MESSAGE:
			/* Taken here, not through an arg pointer: popt leaks the copy it keeps otherwise. */
			free(rc == OPT_TIMEOUT ? opt_timeout : opt_message);
			*(rc == OPT_TIMEOUT ? &opt_timeout : &opt_message) = arg;
			arg = NULL;
			break;
		case OPT_FD:
			n = fdr_parse_ulong(arg, 0x7fffffff);
			if (n == -1) {
				fdr_warnx("send: --fd: invalid descriptor '%s'", arg);
				status = FDR_EXIT_USAGE;
				break;
			}
			if (add_item(st, OPT_FD, arg) == 0)
				st->items[st->nitems - 1].fd = (int)n;
			arg = NULL;
			break;
		case OPT_STDIO:
			for (int k = 0; k < 3 && !status; k++)
				if (add_item(st, OPT_STDIN + k, NULL) == 0)
					st->items[st->nitems - 1].fd = k;
			break;
		case OPT_STDIN: case OPT_STDOUT: case OPT_STDERR:
			if (add_item(st, rc, NULL) == 0)
				st->items[st->nitems - 1].fd = rc - OPT_STDIN;
			break;
		case OPT_NAME:
			if (!last) {
				fdr_warnx("send: --name '%s': no descriptor before it to name", arg);
				status = FDR_EXIT_USAGE;
			} else if (last->named) {
				fdr_warnx("send: --name '%s': descriptor %zu is already named '%s'", arg, st->nitems, last->name);
				status = FDR_EXIT_USAGE;
			} else if (!proto_name_valid(arg)) {
				fdr_warnx("send: --name '%s': a name is 1 to 255 printable ASCII characters without ':'", arg);
				status = FDR_EXIT_USAGE;
			} else {
				last->name = arg;
				last->named = 1;
				arg = NULL;
			}
			break;
		}
		free(arg);
		if (status)
			break;
	}
	if (rc < -1)
		status = fdr_popt_error("fdrelay send", con, rc);
	if (!status && rc == -1 && !st->sockpath) {
		fdr_warnx("send: no SOCKET given");
		poptPrintUsage(con, stderr, 0);
		status = FDR_EXIT_USAGE;
	}
	if (!status && st->sockpath && (!st->sockpath[0] || !strcmp(st->sockpath, "@"))) {
		fdr_warnx("send: SOCKET '%s': an empty path or abstract name", st->sockpath);
		status = FDR_EXIT_USAGE;
	}
	poptFreeContext(con);
	return status;
}

/* Checks option combinations; returns 0 or an exit status. */
static int send_check(struct send_state *st, int *timeout_ms)
{
	*timeout_ms = 0;
	if (opt_timeout && (fdr_parse_seconds(opt_timeout, timeout_ms) == -1 || *timeout_ms == 0)) {
		fdr_warnx("send: --timeout: invalid number of seconds '%s'", opt_timeout);
		return FDR_EXIT_USAGE;
	}
	if (!*timeout_ms && opt_retry)
		*timeout_ms = 10000;
	if (opt_dgram && opt_seqpacket) {
		fdr_warnx("send: --dgram and --seqpacket: choose one socket type");
		return FDR_EXIT_USAGE;
	}
	if (opt_dgram)
		opt_raw = 1;
	if (opt_message && !opt_raw) {
		fdr_warnx("send: --message: only meaningful with --raw or --dgram");
		return FDR_EXIT_USAGE;
	}
	if (opt_raw && opt_wait) {
		fdr_warnx("send: --wait: needs fdrelay's framing, not --raw or --dgram");
		return FDR_EXIT_USAGE;
	}
	if (opt_raw && st->nitems > ANCIL_MAX_FDS) {
		fdr_warnx("send: --raw: at most %d descriptors fit in one message, %zu given", ANCIL_MAX_FDS, st->nitems);
		return FDR_EXIT_USAGE;
	}
	if (opt_message) {
		char *tmp = malloc(strlen(opt_message) + 1);
		ssize_t len = tmp ? unescape(opt_message, tmp) : -1;

		free(tmp);
		if (len == -1) {
			fdr_warnx("send: --message '%s': invalid escape (use \\n \\t \\\\ \\0 \\xHH)", opt_message);
			return FDR_EXIT_USAGE;
		}
		if (len == 0 && st->nitems && !opt_dgram && !opt_seqpacket) {
			fdr_warnx("send: --message: a stream socket cannot carry descriptors without at least one byte");
			return FDR_EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < st->nitems; i++)
		if (!st->items[i].name && !(st->items[i].name = default_name(&st->items[i]))) {
			fdr_warn("send");
			return FDR_EXIT_FAIL;
		}
	return 0;
}

int cmd_send(int argc, const char **argv)
{
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, 0 };
	struct send_state st = { 0 };
	int type, timeout_ms, sock = -1, status;

	status = send_parse(&st, argc, argv);
	if (!status)
		status = send_check(&st, &timeout_ms);
	if (status)
		goto out;
	type = opt_dgram ? SOCK_DGRAM : opt_seqpacket ? SOCK_SEQPACKET : SOCK_STREAM;
	status = check_inherited(&st);
	if (status)
		goto out;
	if (opt_wait && fdr_sig_catch(forwarded) == -1) {
		fdr_warn("send: catch signals");
		status = FDR_EXIT_FAIL;
		goto out;
	}
	status = open_items(&st);
	if (status)
		goto out;
	arm_timeout(timeout_ms, st.sockpath);
	sock = connect_to(st.sockpath, type);
	if (sock == -1) {
		status = FDR_EXIT_FAIL;
		goto out;
	}
	if (opt_verbose)
		fdr_warnx("connected to %s", st.sockpath);
	status = opt_raw ? send_raw(&st, sock) : send_framed(&st, sock, type);
out:
	if (sock != -1)
		close(sock);
	fdr_sig_release();
	send_free(&st);
	free((char *)st.sockpath);
	free(opt_timeout);
	free(opt_message);
	return status == -1 ? FDR_EXIT_OK : status;
}
