/* cmd-listen.c - fdrelay listen (and recv): accept senders, run a program with their descriptors. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/close_range.h>
#include <sys/syscall.h>
#endif

#include "ancil.h"
#include "fdrelay.h"
#include "frame.h"
#include "proto.h"
#include "sock.h"

/* Delivery time allowed to one sender when --timeout is not given. */
#define DEFAULT_DELIVERY_MS 30000
#define BACKLOG 64
#define RAW_MESSAGE_MAX 65536

static int opt_keep_going, opt_allow_any, opt_inherit, opt_raw, opt_dgram, opt_seqpacket;
static int opt_verbose, opt_stdio, opt_json;
static char *opt_mode, *opt_allow_uid, *opt_allow_gid, *opt_max_fds, *opt_timeout, *opt_ready_fd;
static char *opt_max_children;

/* Options listen and recv share: the socket and who may send. */
static struct poptOption socket_options[] = {
	{ "keep-going", 'k', POPT_ARG_NONE, &opt_keep_going, 0, "serve senders one after another until SIGTERM or SIGINT", NULL },
	{ "mode", 'M', POPT_ARG_STRING, &opt_mode, 0, "permissions of the socket file (default 0600)", "OCTAL" },
	{ "allow-uid", '\0', POPT_ARG_STRING, &opt_allow_uid, 0, "also accept senders with these user ids or names", "UID[,UID...]" },
	{ "allow-gid", '\0', POPT_ARG_STRING, &opt_allow_gid, 0, "also accept senders with these group ids or names", "GID[,GID...]" },
	{ "allow-any", '\0', POPT_ARG_NONE, &opt_allow_any, 0, "accept every sender that can connect", NULL },
	{ "max-fds", '\0', POPT_ARG_STRING, &opt_max_fds, 0, "refuse a sender that sends more than N descriptors (default 1024)", "N" },
	{ "timeout", 't', POPT_ARG_STRING, &opt_timeout, 0, "one sender: give up waiting for it (exit 124); every sender: time allowed to deliver", "SECONDS" },
	{ "ready-fd", '\0', POPT_ARG_STRING, &opt_ready_fd, 0, "write a newline to descriptor N once listening, then close it", "N" },
	{ "inherit", '\0', POPT_ARG_NONE, &opt_inherit, 0, "take the listening socket from LISTEN_FDS instead of binding SOCKET", NULL },
	{ "raw", '\0', POPT_ARG_NONE, &opt_raw, 0, "accept one raw message and its descriptors instead of fdrelay's framing", NULL },
	{ "dgram", '\0', POPT_ARG_NONE, &opt_dgram, 0, "use a SOCK_DGRAM socket (implies --raw)", NULL },
	{ "seqpacket", '\0', POPT_ARG_NONE, &opt_seqpacket, 0, "use a SOCK_SEQPACKET socket", NULL },
	{ "verbose", 'v', POPT_ARG_NONE, &opt_verbose, 0, "log each sender and what it sent, on stderr", NULL },
	POPT_TABLEEND
};

static struct poptOption listen_options[] = {
	{ "stdio", '\0', POPT_ARG_NONE, &opt_stdio, 0, "descriptors named stdin, stdout, stderr become the program's 0, 1, 2", NULL },
	{ "max-children", 'j', POPT_ARG_STRING, &opt_max_children, 0, "with -k: at most N programs at once (default 16)", "N" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, socket_options, 0, "Socket and sender options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_common_options, 0, "Common options:", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

static struct poptOption recv_options[] = {
	{ "json", 'J', POPT_ARG_NONE, &opt_json, 0, "one JSON object per line", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, socket_options, 0, "Socket and sender options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_common_options, 0, "Common options:", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

/* Settings after parsing. */
struct listener {
	const char *name;		/* "listen" or "recv" */
	int recv_mode;
	const char *sockpath;		/* NULL with --inherit */
	char **argv;			/* the program */
	int type;
	int raw;
	mode_t mode;
	long max_fds;
	int max_children;
	int timeout_ms;			/* 0: none */
	int ready_fd;
	uid_t *uids;
	size_t nuids;
	gid_t *gids;
	size_t ngids;
	int lsock;			/* listening (or, for dgram, bound) socket */
	int inherited_conn;		/* --inherit gave a connected socket */
	struct sock_file file;
};

/* What one sender delivered. */
struct batch {
	int *fds;
	char **names;
	size_t n, cap;
	struct ancil_cred cred;
	int wait;
	char *message;			/* raw mode: the bytes, NUL-terminated */
	size_t msglen;
};

static void batch_free(struct batch *b)
{
	ancil_close_fds(b->fds, b->n);
	for (size_t i = 0; i < b->n; i++)
		free(b->names[i]);
	free(b->fds);
	free(b->names);
	free(b->message);
	memset(b, 0, sizeof(*b));
}

/* Makes room for more descriptors; returns 0 or -1 (ENOMEM). */
static int batch_grow(struct batch *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 16;
	int *fds;
	char **names;

	while (cap < b->n + more)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	fds = realloc(b->fds, cap * sizeof(*fds));
	if (!fds)
		return -1;
	b->fds = fds;
	names = realloc(b->names, cap * sizeof(*names));
	if (!names)
		return -1;
	b->names = names;
	b->cap = cap;
	return 0;
}

static const char *where(const struct listener *l)
{
	return l->sockpath ? l->sockpath : "inherited socket";
}

/* ---- Who may send ------------------------------------------------------ */

/*
 * 1 if the policy lets a sender with credentials cr in; conn (or -1) is
 * its connection, whose supplementary groups --allow-gid also matches.
 */
static int sender_allowed(const struct listener *l, const struct ancil_cred *cr, int conn)
{
	gid_t small[64], *groups = small;
	int n, ok = 0;

	if (opt_allow_any)
		return 1;
	if (cr->uid == 0 || cr->uid == geteuid())
		return 1;
	for (size_t i = 0; i < l->nuids; i++)
		if (cr->uid == l->uids[i])
			return 1;
	for (size_t i = 0; i < l->ngids; i++)
		if (cr->gid == l->gids[i])
			return 1;
	if (!l->ngids || conn == -1)
		return 0;
	n = ancil_peer_groups(conn, small, 64);
	if (n > 64 && (groups = calloc((size_t)n, sizeof(gid_t))) != NULL)
		n = ancil_peer_groups(conn, groups, (size_t)n);
	for (int g = 0; g < n && groups && !ok; g++)
		for (size_t i = 0; i < l->ngids && !ok; i++)
			ok = groups[g] == l->gids[i];
	if (groups != small)
		free(groups);
	return ok;
}

/* Parses "name,123,..." into ids; returns 0 or -1 after a message. */
static int parse_ids(const char *cmd, const char *opt, const char *list, int groups, unsigned **ids, size_t *n)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int rc = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long v = fdr_parse_ulong(tok, 0x7ffffffe);
		unsigned *grown;

		if (v == -1) {
			struct passwd *pw = groups ? NULL : getpwnam(tok);
			struct group *gr = groups ? getgrnam(tok) : NULL;

			if (!pw && !gr) {
				fdr_warnx("%s: %s: no such %s '%s'", cmd, opt, groups ? "group" : "user", tok);
				rc = -1;
				break;
			}
			v = pw ? (long)pw->pw_uid : (long)gr->gr_gid;
		}
		grown = realloc(*ids, (*n + 1) * sizeof(**ids));
		if (!grown) {
			rc = -1;
			break;
		}
		*ids = grown;
		(*ids)[(*n)++] = (unsigned)v;
	}
	if (!rc && *n == 0) {
		fdr_warnx("%s: %s: empty list", cmd, opt);
		rc = -1;
	}
	free(copy);
	return rc;
}

/* ---- Receiving ---------------------------------------------------------- */

/* Sends a frame we do not insist on (REFUSE, ERROR): failures are ignored. */
static void tell(int sock, int type, int frame, const void *payload, size_t len)
{
	struct frame_conn c = { .sock = sock, .type = type, .deadline = frame_deadline(1000) };

	(void)frame_send(&c, frame, 0, payload, len, NULL, 0);
}

static void tell_error(int sock, int type, const char *text)
{
	unsigned char buf[PROTO_ERROR_MAX];

	tell(sock, type, PROTO_ERROR, buf, proto_error_pack(buf, sizeof(buf), text));
}

/*
 * Receives a sender's OFFER frames into b.  Returns 0, or an exit status
 * after telling the sender (REFUSE or ERROR) and printing why.
 */
static int recv_offers(const struct listener *l, struct frame_conn *c, struct batch *b)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	char store[PROTO_MAX_PAYLOAD + PROTO_MAX_FDS];
	char *names[PROTO_MAX_FDS];
	int fds[PROTO_MAX_FDS];
	struct proto_hdr h;
	int first = 1, r;
	char why[128];

	do {
		if (fdr_nofile_need(2 * ((long)b->n + PROTO_MAX_FDS) + 64) == -1 && opt_verbose)
			fdr_warn("%s: raise the descriptor limit", l->name);
		r = frame_recv(c, &h, payload, fds);
		if (r == 0) {
			/* Nothing at all: a probe (see said_anything()), not worth a message. */
			if (!first || opt_verbose)
				fdr_warnx("%s %s: the sender closed the connection before sending %s", l->name, where(l),
				    first ? "anything" : "everything");
			return FDR_EXIT_FAIL;
		}
		if (r == -1) {
			int e = errno;

			snprintf(why, sizeof(why), "%s", e == ETIMEDOUT ? "delivery timed out" :
			    e == EMSGSIZE ? "descriptors were truncated (descriptor limit reached or refused by a security module)" :
			    e == EPROTONOSUPPORT ? "unsupported protocol version" :
			    e == EPROTO ? "malformed frame" :
			    e == ECONNRESET ? "the sender hung up in the middle of a frame" : strerror(e));
			tell_error(c->sock, c->type, why);
			fdr_warnx("%s %s: receive from sender: %s", l->name, where(l), why);
			return FDR_EXIT_FAIL;
		}
		if (h.type != PROTO_OFFER || (!first && !!(h.flags & PROTO_F_WAIT) != b->wait)) {
			ancil_close_fds(fds, h.nfds);
			tell_error(c->sock, c->type, "protocol error: expected an OFFER frame");
			fdr_warnx("%s %s: protocol error from sender: unexpected frame", l->name, where(l));
			return FDR_EXIT_FAIL;
		}
		if (proto_names_unpack(payload, h.len, h.nfds, store, sizeof(store), names) == -1) {
			ancil_close_fds(fds, h.nfds);
			tell_error(c->sock, c->type, "protocol error: invalid descriptor names");
			fdr_warnx("%s %s: protocol error from sender: invalid descriptor names", l->name, where(l));
			return FDR_EXIT_FAIL;
		}
		if ((long)(b->n + h.nfds) > l->max_fds) {
			unsigned char buf[1];

			ancil_close_fds(fds, h.nfds);
			tell(c->sock, c->type, PROTO_REFUSE, buf, proto_refuse_pack(buf, PROTO_REFUSE_TOO_MANY));
			fdr_warnx("%s %s: refused sender: more than %ld descriptors (--max-fds)", l->name, where(l), l->max_fds);
			return FDR_EXIT_FAIL;
		}
		if (batch_grow(b, h.nfds) == -1) {
			ancil_close_fds(fds, h.nfds);
			fdr_warn("%s", l->name);
			return FDR_EXIT_FAIL;
		}
		for (size_t i = 0; i < h.nfds; i++) {
			b->names[b->n] = strdup(names[i]);
			b->fds[b->n++] = fds[i];
			if (!b->names[b->n - 1]) {
				ancil_close_fds(fds + i + 1, h.nfds - i - 1);
				fdr_warn("%s", l->name);
				return FDR_EXIT_FAIL;
			}
		}
		b->wait = !!(h.flags & PROTO_F_WAIT);
		first = 0;
	} while (h.flags & PROTO_F_MORE);
	return 0;
}

/* 1 if s (len bytes) is UTF-8 without NUL bytes. */
static int text_ok(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= len || (s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += k + 1;
	}
	return 1;
}

/*
 * --raw: one message and its descriptors into b.  On a datagram socket the
 * credentials come with the message.  Returns 0, or an exit status.
 */
static int recv_raw(const struct listener *l, int sock, struct batch *b)
{
	size_t room = (size_t)l->max_fds < ANCIL_MAX_FDS ? (size_t)l->max_fds : ANCIL_MAX_FDS;
	struct ancil_rx rx = { 0 };
	ssize_t n;

	b->message = malloc(RAW_MESSAGE_MAX + 1);
	if (!b->message || batch_grow(b, ANCIL_MAX_FDS) == -1) {
		fdr_warn("%s", l->name);
		return FDR_EXIT_FAIL;
	}
	rx.fds = b->fds;
	rx.maxfds = room;
	fdr_nofile_need(2 * ANCIL_MAX_FDS + 64);
	n = ancil_recv(sock, b->message, RAW_MESSAGE_MAX, &rx, 0);
	if (n == -1) {
		fdr_warn("%s %s: receive", l->name, where(l));
		return FDR_EXIT_FAIL;
	}
	b->n = rx.nfds;
	b->message[n] = '\0';
	b->msglen = (size_t)n;
	if (rx.have_cred)
		b->cred = rx.cred;
	for (size_t i = 0; i < b->n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fd%zu", i);
		if (!(b->names[i] = strdup(name))) {
			b->n = i;
			ancil_close_fds(rx.fds + i, rx.nfds - i);
			fdr_warn("%s", l->name);
			return FDR_EXIT_FAIL;
		}
	}
	if (rx.nsurplus) {
		fdr_warnx("%s %s: refused sender: more than %zu descriptors (--max-fds)", l->name, where(l), room);
		return FDR_EXIT_FAIL;
	}
	return 0;
}

/* ---- Running the program ------------------------------------------------ */

static void set_env_num(const char *var, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	setenv(var, buf, 1);
}

/*
 * In the child: puts fds[i] at dst[i], not close-on-exec, for all n targets
 * below top, moving a descriptor out of the way only when a placement would
 * overwrite it, so that n descriptors need few more than n numbers.  Keeps
 * *errfd (updated) out of [0, top).  Returns 0 or -1.
 */
static int place_fds(int *fds, const int *dst, size_t n, int top, int *errfd)
{
	int *at = malloc((size_t)top * sizeof(int));	/* at[t]: whose source is at fd t */

	if (!at)
		return -1;
	for (int t = 0; t < top; t++)
		at[t] = -1;
	for (size_t i = 0; i < n; i++)
		if (fds[i] < top)
			at[fds[i]] = (int)i;
	if (*errfd < top) {
		int moved = fcntl(*errfd, F_DUPFD_CLOEXEC, top);

		if (moved == -1)
			goto fail;
		close(*errfd);
		*errfd = moved;
	}
	for (size_t i = 0; i < n; i++) {
		int t = dst[i], j = at[t];

		if (fds[i] == t) {
			/* dup2(t, t) would leave close-on-exec set. */
			if (fcntl(t, F_SETFD, 0) == -1)
				goto fail;
			continue;
		}
		if (j != -1) {
			/* Another source, not placed yet, sits on our target. */
			int moved = fcntl(t, F_DUPFD_CLOEXEC, top);

			if (moved == -1)
				goto fail;
			close(t);
			fds[j] = moved;
		}
		if (dup2(fds[i], t) == -1)
			goto fail;
		if (fds[i] < top)
			at[fds[i]] = -1;
		close(fds[i]);
		fds[i] = t;
		at[t] = (int)i;
	}
	free(at);
	return 0;
fail:
	free(at);
	return -1;
}

/*
 * In the child: puts descriptor src[i] at dst[i] for all n, closes every
 * other descriptor above 2 at exec, sets the environment and resource
 * limit, and executes the program.  Never returns: on failure the errno
 * goes to errfd (wherever place_fds() moved it) and the child exits.
 */
static _Noreturn void child_setup(const struct listener *l, struct batch *b, int *dst, size_t nother,
    int errfd)
{
	size_t top = 3 + nother, namelen = 1;
	char *names, *p;
	struct rlimit rl;
	int e;

	fdr_sig_reset();
	if (place_fds(b->fds, dst, b->n, (int)top, &errfd) == -1)
		goto fail;
	/* Everything else, inherited or ours, closes at exec. */
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
	if (syscall(SYS_close_range, (unsigned)top, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
#endif
	{
		long max = sysconf(_SC_OPEN_MAX);

		for (long fd = (long)top; fd < max && fd < 65536; fd++)
			(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	}

	for (size_t i = 0; i < b->n; i++)
		if (dst[i] >= 3)
			namelen += strlen(b->names[i]) + 1;
	names = p = malloc(namelen);
	if (!names)
		goto fail;
	*p = '\0';
	for (size_t i = 0; i < b->n; i++)
		if (dst[i] >= 3)
			p += sprintf(p, "%s%s", p == names ? "" : ":", b->names[i]);
	setenv("LISTEN_FDNAMES", names, 1);
	free(names);
	set_env_num("LISTEN_FDS", (long)nother);
	set_env_num("LISTEN_PID", (long)getpid());
	set_env_num("FDRELAY_PEER_PID", (long)b->cred.pid);
	set_env_num("FDRELAY_PEER_UID", (long)b->cred.uid);
	set_env_num("FDRELAY_PEER_GID", (long)b->cred.gid);
	if (b->message && text_ok((unsigned char *)b->message, b->msglen))
		setenv("FDRELAY_MESSAGE", b->message, 1);

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && fdr_nofile_start() > 0) {
		rlim_t want = (rlim_t)fdr_nofile_start();

		if (want < top - 1 + 65)
			want = top - 1 + 65;
		if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
			want = rl.rlim_max;
		rl.rlim_cur = want;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	execvp(l->argv[0], l->argv);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(e == ENOENT || e == ENOTDIR ? FDR_EXIT_NOTFOUND : FDR_EXIT_NOEXEC);
}

/* Where each received descriptor goes in the program; returns how many start at 3. */
static size_t plan_fds(struct batch *b, int *dst)
{
	static const char *const std[] = { "stdin", "stdout", "stderr" };
	int taken[3] = { 0, 0, 0 };
	size_t next = 3;

	for (size_t i = 0; i < b->n; i++) {
		dst[i] = -1;
		for (int k = 0; opt_stdio && k < 3; k++)
			if (!taken[k] && !strcmp(b->names[i], std[k])) {
				taken[k] = 1;
				dst[i] = k;
				break;
			}
		if (dst[i] == -1)
			dst[i] = (int)next++;
	}
	return next - 3;
}

static int status_of(int ws)
{
	return WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
}

/*
 * Runs the program on b's descriptors and waits for it, forwarding the
 * sender's SIGNAL frames (c: the connection, or NULL) and our own INT,
 * TERM, HUP and QUIT.  Reports the status to the sender when it asked.
 * Returns the program's exit status (128+N for signal N).
 */
static int run_program(const struct listener *l, struct batch *b, struct frame_conn *c)
{
	static const int caught[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, 0 };
	int *dst = calloc(b->n + 1, sizeof(int));
	int errpipe[2], ws = 0, child_errno = 0;
	size_t nother;
	pid_t pid;

	if (!dst || fdr_sig_catch(caught) == -1 || pipe2(errpipe, O_CLOEXEC) == -1) {
		fdr_warn("%s: run %s", l->name, l->argv[0]);
		free(dst);
		return FDR_EXIT_FAIL;
	}
	nother = plan_fds(b, dst);
	pid = fork();
	if (pid == 0) {
		close(errpipe[0]);
		child_setup(l, b, dst, nother, errpipe[1]);
	}
	free(dst);
	close(errpipe[1]);
	if (pid == -1) {
		close(errpipe[0]);
		fdr_warn("%s: run %s: fork", l->name, l->argv[0]);
		return FDR_EXIT_FAIL;
	}
	/* The program has its copies now. */
	ancil_close_fds(b->fds, b->n);
	while (read(errpipe[0], &child_errno, sizeof(child_errno)) == -1 && errno == EINTR)
		;
	close(errpipe[0]);
	if (child_errno) {
		errno = child_errno;
		fdr_warn("%s: run %s", l->name, l->argv[0]);
	} else if (opt_verbose) {
		fdr_warnx("%s: started %s, pid %ld, with %zu descriptors", l->name, l->argv[0], (long)pid, b->n);
	}

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fdr_sig_fd(), .events = POLLIN },
			{ .fd = c ? c->sock : -1, .events = POLLIN },
		};
		int sig, done = 0;

		if (poll(p, 2, -1) == -1 && errno != EINTR) {
			/* Cannot watch: still never leave the program unwaited for. */
			while (waitpid(pid, &ws, 0) == -1 && errno == EINTR)
				;
			break;
		}
		while ((sig = fdr_sig_next()) != 0) {
			if (sig == SIGCHLD) {
				if (waitpid(pid, &ws, WNOHANG) == pid)
					done = 1;
			} else if (!done) {
				/* Once reaped, pid may already name another process. */
				kill(pid, sig);
			}
		}
		if (done)
			break;
		if (c && p[1].revents) {
			unsigned char payload[PROTO_MAX_PAYLOAD];
			int fds[PROTO_MAX_FDS], signo;
			struct proto_hdr h;
			int r;

			/* Its first byte is here: the rest of the frame gets the delivery time. */
			c->deadline = frame_deadline(l->timeout_ms ? l->timeout_ms : DEFAULT_DELIVERY_MS);
			r = frame_recv(c, &h, payload, fds);
			if (r == 1 && h.type == PROTO_SIGNAL && proto_signal_unpack(payload, h.len, &signo) == 0) {
				if (opt_verbose)
					fdr_warnx("%s: forwarding signal %d from the sender", l->name, signo);
				kill(pid, signo);
				continue;
			}
			if (r == 1)
				ancil_close_fds(fds, h.nfds);
			/* The sender left or misbehaved: stop listening to it. */
			c = NULL;
		}
	}
	if (c) {
		unsigned char buf[2];
		int how = WIFSIGNALED(ws) ? PROTO_STATUS_SIGNALED : PROTO_STATUS_EXITED;

		c->deadline = frame_deadline(1000);
		(void)frame_send(c, PROTO_STATUS, 0, buf,
		    proto_status_pack(buf, how, how ? WTERMSIG(ws) : WEXITSTATUS(ws)), NULL, 0);
	}
	if (opt_verbose)
		fdr_warnx("%s: %s (pid %ld) ended with status %d", l->name, l->argv[0], (long)pid, status_of(ws));
	return status_of(ws);
}

/* recv: describes the sender and what it sent, on stdout. */
static int describe_batch(const struct listener *l, struct batch *b)
{
	if (opt_json)
		printf("{\"sender\":{\"pid\":%ld,\"uid\":%ld,\"gid\":%ld},\"count\":%zu}\n",
		    (long)b->cred.pid, (long)b->cred.uid, (long)b->cred.gid, b->n);
	else
		printf("sender pid %ld uid %ld gid %ld sent %zu descriptor%s\n", (long)b->cred.pid,
		    (long)b->cred.uid, (long)b->cred.gid, b->n, b->n == 1 ? "" : "s");
	/* Numbered as the program run by listen would see them. */
	for (size_t i = 0; i < b->n; i++)
		if (describe_fd_as(stdout, 0, b->fds[i], 3 + (int)i, b->names[i], opt_json) == -1)
			fdr_warn("%s: describe %s", l->name, b->names[i]);
	fflush(stdout);
	return FDR_EXIT_OK;
}

/*
 * Serves one accepted (or inherited) connection: receives, acknowledges,
 * then runs the program (or describes, for recv).  Takes ownership of
 * conn.  Returns the exit status for a one-shot listener.
 */
static int serve_conn(const struct listener *l, int conn, const struct ancil_cred *cred)
{
	struct frame_conn c = { .sock = conn, .type = l->type };
	struct batch b = { .cred = *cred };
	int status;

	c.deadline = frame_deadline(l->timeout_ms ? l->timeout_ms : DEFAULT_DELIVERY_MS);
	if (l->raw && frame_wait(&c) == -1) {
		/* recv_raw() blocks: a raw sender gets the same delivery time. */
		if (errno == ETIMEDOUT)
			fdr_warnx("%s %s: receive from sender: delivery timed out", l->name, where(l));
		else
			fdr_warn("%s %s: receive from sender", l->name, where(l));
		status = FDR_EXIT_FAIL;
	} else {
		status = l->raw ? recv_raw(l, conn, &b) : recv_offers(l, &c, &b);
	}
	if (!status && !l->raw) {
		unsigned char buf[4];

		if (frame_send(&c, PROTO_ACK, 0, buf, proto_ack_pack(buf, (uint32_t)b.n), NULL, 0) == -1) {
			fdr_warn("%s %s: acknowledge", l->name, where(l));
			status = FDR_EXIT_FAIL;
		}
	}
	if (!status && opt_verbose) {
		fdr_warnx("%s %s: received %zu descriptors from pid %ld uid %ld", l->name, where(l),
		    b.n, (long)b.cred.pid, (long)b.cred.uid);
	}
	if (!status) {
		if (!b.wait) {
			close(conn);
			conn = -1;
		}
		if (l->recv_mode) {
			status = describe_batch(l, &b);
			if (b.wait) {
				unsigned char buf[2];

				(void)frame_send(&c, PROTO_STATUS, 0, buf, proto_status_pack(buf, PROTO_STATUS_EXITED, 0), NULL, 0);
			}
		} else {
			status = run_program(l, &b, b.wait ? &c : NULL);
		}
	}
	if (conn != -1)
		close(conn);
	batch_free(&b);
	return status;
}

/* ---- The listening socket ----------------------------------------------- */

static int open_listener(struct listener *l)
{
	if (opt_inherit) {
		const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
		int listening = 0;
		socklen_t len = sizeof(listening);

		if (!fds || !pid || fdr_parse_ulong(pid, 0x7fffffff) != (long)getpid()) {
			fdr_warnx("%s --inherit: no socket passed (LISTEN_FDS and LISTEN_PID are not for this process)", l->name);
			return -1;
		}
		if (fdr_parse_ulong(fds, 0x7fffffff) != 1) {
			fdr_warnx("%s --inherit: LISTEN_FDS is '%s'; expected exactly one socket", l->name, fds);
			return -1;
		}
		l->lsock = 3;
		if (ancil_check_unix(l->lsock, &l->type) == -1) {
			fdr_warn("%s --inherit: descriptor 3", l->name);
			return -1;
		}
		(void)fcntl(l->lsock, F_SETFD, FD_CLOEXEC);
		if (l->type == SOCK_DGRAM) {
			int on = 0;

			l->raw = 1;
			/*
			 * Turning SO_PASSCRED on now would give what is queued
			 * already (the datagram that woke an activator) pid 0 and
			 * uid 65534: never flip it on a socket we do not own.
			 */
			len = sizeof(on);
#ifdef SO_PASSCRED
			(void)getsockopt(l->lsock, SOL_SOCKET, SO_PASSCRED, &on, &len);
#endif
			if (!on && !opt_allow_any) {
				fdr_warnx("%s --inherit: the datagram socket does not pass credentials, so senders cannot be checked: "
				    "turn them on where it is made (PassCredentials=yes) or give --allow-any", l->name);
				return -1;
			}
		} else if (getsockopt(l->lsock, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && !listening) {
			l->inherited_conn = 1;
		}
		return 0;
	}
	l->lsock = sock_listen(l->sockpath, l->type, l->mode, BACKLOG,
	    l->type == SOCK_DGRAM ? SOCK_F_PASSCRED : 0, &l->file);
	if (l->lsock == -1) {
		if (errno == EEXIST)
			fdr_warnx("%s %s: something that is not a socket is in the way; not touching it", l->name, l->sockpath);
		else if (errno == EADDRINUSE)
			fdr_warnx("%s %s: another listener is live on this socket", l->name, l->sockpath);
		else if (errno == ENAMETOOLONG)
			fdr_warnx("%s %s: the socket path is too long", l->name, l->sockpath);
		else
			fdr_warn("%s %s", l->name, l->sockpath);
		return -1;
	}
	return 0;
}

static void close_listener(struct listener *l)
{
	if (l->lsock != -1)
		close(l->lsock);
	l->lsock = -1;
	if (sock_remove(&l->file) == -1 && errno != ENOENT)
		fdr_warn("%s %s: remove", l->name, l->sockpath);
}

/* Accepts one connection that the policy allows; -1 for none (yet). */
static int accept_sender(const struct listener *l, struct ancil_cred *cred)
{
	int conn = accept4(l->lsock, NULL, NULL, SOCK_CLOEXEC);

	if (conn == -1)
		return -1;
	if (ancil_peer_cred(conn, cred) == -1) {
		fdr_warn("%s %s: sender credentials", l->name, where(l));
		close(conn);
		return -1;
	}
	if (!sender_allowed(l, cred, conn)) {
		fdr_warnx("%s %s: refused sender pid %ld uid %ld gid %ld: not allowed", l->name, where(l),
		    (long)cred->pid, (long)cred->uid, (long)cred->gid);
		if (!l->raw) {
			unsigned char buf[1];

			tell(conn, l->type, PROTO_REFUSE, buf, proto_refuse_pack(buf, PROTO_REFUSE_POLICY));
		}
		close(conn);
		errno = EPERM;
		return -1;
	}
	if (opt_verbose)
		fdr_warnx("%s %s: accepted sender pid %ld uid %ld gid %ld", l->name, where(l),
		    (long)cred->pid, (long)cred->uid, (long)cred->gid);
	return conn;
}

/* A datagram: receives one message whose credentials the policy allows. */
static int recv_datagram(const struct listener *l, struct batch *b)
{
	int status;

	/* Unknown unless the message carries credentials: never root by default. */
	b->cred = (struct ancil_cred){ -1, (uid_t)-1, (gid_t)-1 };
	status = recv_raw(l, l->lsock, b);

	if (status)
		return status;
	if (!sender_allowed(l, &b->cred, -1)) {
		fdr_warnx("%s %s: refused message from pid %ld uid %ld gid %ld: not allowed", l->name, where(l),
		    (long)b->cred.pid, (long)b->cred.uid, (long)b->cred.gid);
		return FDR_EXIT_REFUSED;
	}
	return 0;
}

/*
 * 0 when an accepted connection closed without sending a byte: not a
 * sender but a probe (another listener checking whether this socket is
 * stale connects and hangs up), which must not end a one-shot listener.
 * 1 otherwise, including when nothing came within the delivery time (then
 * serving it reports the timeout).
 */
static int said_anything(const struct listener *l, int conn)
{
	struct pollfd p = { .fd = conn, .events = POLLIN };
	int r, queued = 0;

	do
		r = poll(&p, 1, l->timeout_ms ? l->timeout_ms : DEFAULT_DELIVERY_MS);
	while (r == -1 && errno == EINTR);
	if (r != 1)
		return 1;
	/*
	 * Hung up with no byte queued.  Never MSG_PEEK here: peeking a socket
	 * that may carry descriptors installs duplicates of them.
	 */
	if (!(p.revents & POLLHUP) || ioctl(conn, FIONREAD, &queued) == -1 || queued > 0)
		return 1;
	if (opt_verbose)
		fdr_warnx("%s %s: a connection closed without sending anything; still waiting", l->name, where(l));
	return 0;
}

/*
 * The main loop: waits for senders, serves one (or, with -k, each in a
 * child of its own) and handles signals.  Returns the exit status.
 */
static int serve(struct listener *l)
{
	static const int caught[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, 0 };
	long long deadline = opt_keep_going ? 0 : frame_deadline(l->timeout_ms ? l->timeout_ms : -1);
	int children = 0;

	if (fdr_sig_catch(caught) == -1) {
		fdr_warn("%s: catch signals", l->name);
		return FDR_EXIT_FAIL;
	}
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fdr_sig_fd(), .events = POLLIN },
			{ .fd = children < l->max_children ? l->lsock : -1, .events = POLLIN },
		};
		long long left = deadline ? deadline - frame_now() : -1;
		struct ancil_cred cred = { -1, (uid_t)-1, (gid_t)-1 };
		struct batch b = { 0 };
		int sig, conn = -1, status;
		sigset_t all, old;
		pid_t pid;

		if (deadline && left <= 0) {
			fdr_warnx("%s %s: timed out after %s seconds waiting for a sender", l->name, where(l), opt_timeout);
			return FDR_EXIT_TIMEOUT;
		}
		if (poll(p, 2, left > 1000000000 ? 1000000000 : (int)left) == -1 && errno != EINTR) {
			fdr_warn("%s: poll", l->name);
			return FDR_EXIT_FAIL;
		}
		while ((sig = fdr_sig_next()) != 0) {
			if (sig == SIGCHLD) {
				while (waitpid(-1, NULL, WNOHANG) > 0)
					children--;
				continue;
			}
			/* -k ends cleanly on TERM and INT; any other stop is 128+N. */
			if (opt_verbose)
				fdr_warnx("%s %s: signal %d: stopping", l->name, where(l), sig);
			return opt_keep_going && (sig == SIGTERM || sig == SIGINT) ? FDR_EXIT_OK : 128 + sig;
		}
		if (!(p[1].revents & POLLIN))
			continue;

		if (l->type == SOCK_DGRAM) {
			status = recv_datagram(l, &b);
			if (status) {
				batch_free(&b);
				if (opt_keep_going || status == FDR_EXIT_REFUSED)
					continue;
				return status;
			}
		} else {
			conn = accept_sender(l, &cred);
			if (conn == -1) {
				if (errno != EPERM && errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
					fdr_warn("%s %s: accept", l->name, where(l));
				continue;
			}
		}

		if (!opt_keep_going) {
			if (l->type != SOCK_DGRAM && !said_anything(l, conn)) {
				close(conn);
				continue;
			}
			/* One sender only: a second one fails at once instead of hanging. */
			close_listener(l);
			if (l->type == SOCK_DGRAM) {
				status = l->recv_mode ? describe_batch(l, &b) : run_program(l, &b, NULL);
				batch_free(&b);
				return status;
			}
			return serve_conn(l, conn, &cred);
		}
		if (l->recv_mode) {
			if (l->type == SOCK_DGRAM)
				describe_batch(l, &b);
			else
				serve_conn(l, conn, &cred);
			batch_free(&b);
			continue;
		}
		/*
		 * A worker's signals are its own, not events in our pipe:
		 * blocked across fork, then default in the worker until
		 * run_program() catches them with a pipe of its own.
		 */
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &old);
		pid = fork();
		if (pid == 0) {
			fdr_sig_reset();
			close(l->lsock);
			if (l->type == SOCK_DGRAM) {
				status = run_program(l, &b, NULL);
				batch_free(&b);
			} else {
				status = serve_conn(l, conn, &cred);
			}
			fflush(NULL);
			_exit(status);
		}
		if (pid == -1)
			fdr_warn("%s: fork", l->name);
		else
			children++;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (conn != -1)
			close(conn);
		batch_free(&b);
	}
}

/* ---- Command line -------------------------------------------------------- */

/* 1 if the option named lng (or shrt) in table takes an argument. */
static int takes_arg(const struct poptOption *t, const char *lng, char shrt)
{
	for (; t->longName || t->shortName || t->argInfo; t++) {
		if ((t->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE) {
			if (takes_arg(t->arg, lng, shrt))
				return 1;
		} else if ((t->argInfo & POPT_ARG_MASK) == POPT_ARG_STRING &&
		    ((lng && t->longName && !strcmp(lng, t->longName)) || (shrt && t->shortName == shrt))) {
			return 1;
		}
	}
	return 0;
}

/*
 * Index of the argument where the program begins: after the options and,
 * unless --inherit, the SOCKET operand.  Options may come before or after
 * SOCKET; "--" ends them.  Returns argc when there is no program.
 */
static int find_program(int argc, const char **argv, const struct poptOption *table)
{
	int inherit = 0, operands = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i += inherit || operands ? 1 : 2;
			return i < argc ? i : argc;
		}
		if (a[0] != '-' || !a[1]) {
			if (operands == (inherit ? 0 : 1))
				return i;
			operands++;
		} else if (a[1] == '-') {
			if (!strcmp(a, "--inherit"))
				inherit = 1;
			if (!strchr(a, '=') && takes_arg(table, a + 2, 0))
				i++;
		} else {
			for (const char *c = a + 1; *c; c++)
				if (takes_arg(table, NULL, *c)) {
					i += !c[1];
					break;
				}
		}
	}
	return argc;
}

/* Turns the options into l; returns 0 or an exit status. */
static int check_options(struct listener *l)
{
	long v;

	if (opt_dgram && opt_seqpacket) {
		fdr_warnx("%s: --dgram and --seqpacket: choose one socket type", l->name);
		return FDR_EXIT_USAGE;
	}
	l->type = opt_dgram ? SOCK_DGRAM : opt_seqpacket ? SOCK_SEQPACKET : SOCK_STREAM;
	l->raw = opt_raw || opt_dgram;
	l->mode = 0600;
	if (opt_mode) {
		char *end;

		v = strtol(opt_mode, &end, 8);
		if (!*opt_mode || *end || v < 0 || v > 0777) {
			fdr_warnx("%s: --mode: invalid permissions '%s' (octal, at most 0777)", l->name, opt_mode);
			return FDR_EXIT_USAGE;
		}
		l->mode = (mode_t)v;
	}
	l->max_fds = 1024;
	if (opt_max_fds && (l->max_fds = fdr_parse_ulong(opt_max_fds, 0x7fffffff)) == -1) {
		fdr_warnx("%s: --max-fds: invalid number '%s'", l->name, opt_max_fds);
		return FDR_EXIT_USAGE;
	}
	l->max_children = 16;
	if (opt_max_children && (v = fdr_parse_ulong(opt_max_children, 65536)) < 1) {
		fdr_warnx("%s: --max-children: invalid number '%s' (at least 1)", l->name, opt_max_children);
		return FDR_EXIT_USAGE;
	} else if (opt_max_children) {
		l->max_children = (int)v;
	}
	if (opt_timeout && (fdr_parse_seconds(opt_timeout, &l->timeout_ms) == -1 || l->timeout_ms == 0)) {
		fdr_warnx("%s: --timeout: invalid number of seconds '%s'", l->name, opt_timeout);
		return FDR_EXIT_USAGE;
	}
	l->ready_fd = -1;
	if (opt_ready_fd) {
		l->ready_fd = (int)fdr_parse_ulong(opt_ready_fd, 0x7fffffff);
		if (l->ready_fd == -1 || fcntl(l->ready_fd, F_GETFD) == -1) {
			fdr_warnx("%s: --ready-fd: '%s' is not an open descriptor", l->name, opt_ready_fd);
			return FDR_EXIT_USAGE;
		}
	}
	if (opt_allow_uid && parse_ids(l->name, "--allow-uid", opt_allow_uid, 0, (unsigned **)&l->uids, &l->nuids) == -1)
		return FDR_EXIT_USAGE;
	if (opt_allow_gid && parse_ids(l->name, "--allow-gid", opt_allow_gid, 1, (unsigned **)&l->gids, &l->ngids) == -1)
		return FDR_EXIT_USAGE;
	if (opt_inherit && l->sockpath) {
		fdr_warnx("%s: --inherit takes the socket from LISTEN_FDS: give no SOCKET", l->name);
		return FDR_EXIT_USAGE;
	}
	if (!opt_inherit && !l->sockpath) {
		fdr_warnx("%s: no SOCKET given", l->name);
		return FDR_EXIT_USAGE;
	}
	if (l->sockpath && (!l->sockpath[0] || !strcmp(l->sockpath, "@"))) {
		fdr_warnx("%s: SOCKET '%s': an empty path or abstract name", l->name, l->sockpath);
		return FDR_EXIT_USAGE;
	}
	if (!l->recv_mode && !l->argv[0]) {
		fdr_warnx("%s: no PROGRAM given", l->name);
		return FDR_EXIT_USAGE;
	}
	return 0;
}

extern char **environ;

/*
 * Removes every LISTEN_* variable (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES,
 * systemd's LISTEN_PIDFDID, ...) and FDRELAY_MESSAGE from the environment:
 * what was meant for listen itself must not reach the program, which gets
 * FDRELAY_MESSAGE only from the message of its own sender.
 */
static void clean_environment(void)
{
	size_t i = 0;

	while (environ[i]) {
		const char *e = environ[i], *eq = strchr(e, '=');
		char *name;

		if (!eq || (strncmp(e, "LISTEN_", 7) && strncmp(e, "FDRELAY_MESSAGE=", 16))) {
			i++;
			continue;
		}
		/* unsetenv() shifts the rest down: look at slot i again. */
		name = strndup(e, (size_t)(eq - e));
		if (!name || unsetenv(name) == -1)
			i++;
		free(name);
	}
}

static void free_options(void)
{
	char **strings[] = { &opt_mode, &opt_allow_uid, &opt_allow_gid, &opt_max_fds, &opt_timeout,
		&opt_ready_fd, &opt_max_children };

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		free(*strings[i]);
		*strings[i] = NULL;
	}
}

int listen_main(int argc, const char **argv, int recv_mode)
{
	struct listener l = { .name = recv_mode ? "recv" : "listen", .recv_mode = recv_mode, .lsock = -1 };
	const struct poptOption *table = recv_mode ? recv_options : listen_options;
	const char *cmdname = recv_mode ? "fdrelay recv" : "fdrelay listen";
	const char **leftover;
	int split = recv_mode ? argc : find_program(argc, argv, table);
	int status = 0, rc;
	poptContext con;

	sock_file_init(&l.file);
	/* popt names the program in --help and --usage after argv[0]. */
	argv[0] = cmdname;
	con = poptGetContext(cmdname, split, argv, table, 0);
	poptSetOtherOptionHelp(con, recv_mode ? "[OPTIONS] SOCKET" : "[OPTIONS] SOCKET [--] PROGRAM [ARG...]");
	while ((rc = poptGetNextOpt(con)) > 0)
		if (rc == FDR_OPT_VERSION) {
			fdr_version();
			status = -1;
			break;
		}
	if (rc < -1)
		status = fdr_popt_error(cmdname, con, rc);
	if (status)
		goto out;
	leftover = poptGetArgs(con);
	if (leftover && leftover[0]) {
		l.sockpath = leftover[0];
		if (leftover[1] || (opt_inherit && !recv_mode)) {
			fdr_warnx("%s: unexpected argument '%s'", l.name, leftover[1] ? leftover[1] : leftover[0]);
			status = FDR_EXIT_USAGE;
			goto out;
		}
	}
	l.argv = (char **)argv + split;
	status = check_options(&l);
	if (status)
		goto out;
	/* LISTEN_* meant for us must not reach the program. */
	if (open_listener(&l) == -1) {
		status = FDR_EXIT_FAIL;
		goto out;
	}
	clean_environment();
	if (opt_verbose)
		fdr_warnx("%s %s: listening", l.name, where(&l));
	if (l.ready_fd != -1) {
		/* A reader that went away must not kill us and leave the socket file. */
		struct sigaction ign, dfl;

		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigemptyset(&ign.sa_mask);
		sigaction(SIGPIPE, &ign, &dfl);
		(void)!write(l.ready_fd, "\n", 1);
		sigaction(SIGPIPE, &dfl, NULL);
		close(l.ready_fd);
	}
	if (l.inherited_conn) {
		struct ancil_cred cred;
		int conn = l.lsock;

		l.lsock = -1;
		if (ancil_peer_cred(conn, &cred) == -1 || !sender_allowed(&l, &cred, conn)) {
			fdr_warnx("%s %s: refused the connected sender", l.name, where(&l));
			close(conn);
			status = FDR_EXIT_REFUSED;
		} else {
			status = serve_conn(&l, conn, &cred);
		}
	} else {
		status = serve(&l);
	}
	if (l.lsock != -1)
		close_listener(&l);
out:
	sock_remove(&l.file);
	fdr_sig_release();
	poptFreeContext(con);
	free(l.uids);
	free(l.gids);
	free_options();
	return status == -1 ? FDR_EXIT_OK : status;
}

int cmd_listen(int argc, const char **argv)
{
	return listen_main(argc, argv, 0);
}
