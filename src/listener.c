/* listener.c - a listening socket, its senders, and what each one delivers. */
#include "os.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "describe.h"
#include "fdrelay.h"
#include "listener.h"
#include "parse.h"
#include "sig.h"

#define BACKLOG 64

static const char *where(const struct listener *l)
{
	return l->cfg->path ? l->cfg->path : "inherited socket";
}

/* ---- Opening ------------------------------------------------------------ */

/* What kind of socket fd is, in words, for a refusal of --inherit. */
static const char *inherited_kind(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return "not a socket";
	switch (ss.ss_family) {
	case AF_INET: return "an IPv4 (TCP or UDP) socket";
	case AF_INET6: return "an IPv6 (TCP or UDP) socket";
	default: return "a socket of another family";
	}
}

/* --inherit: the one socket LISTEN_FDS passed, as descriptor 3. */
static int open_inherited(struct listener *l)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	const struct listener_cfg *cfg = l->cfg;
	const char *cmd = cfg->cmd;
	int on = 0, listening = 0;
	socklen_t len = sizeof(on);

	if (!fds || !pid || parse_ulong(pid, 0x7fffffff) != (long)getpid()) {
		fdr_warnx("%s --inherit: no socket passed (LISTEN_FDS and LISTEN_PID are not for this process)", cmd);
		return FDR_EXIT_FAIL;
	}
	if (parse_ulong(fds, 0x7fffffff) != 1) {
		fdr_warnx("%s --inherit: LISTEN_FDS is '%s'; expected exactly one socket", cmd, fds);
		return FDR_EXIT_FAIL;
	}
	if (ancil_check_unix(3, &l->type) == -1) {
		fdr_warnx("%s --inherit: descriptor 3 is %s; fdrelay needs a unix socket "
		    "(ListenStream=/path in a socket unit, -l /path for systemd-socket-activate)", cmd, inherited_kind(3));
		return FDR_EXIT_FAIL;
	}
	l->sock = 3;
	(void)fcntl(l->sock, F_SETFD, FD_CLOEXEC);
	if (l->type == SOCK_DGRAM) {
		l->raw = 1;
		/*
		 * Turning SO_PASSCRED on now would give what is queued already
		 * (the datagram that woke an activator) pid 0 and uid 65534:
		 * never flip it on a socket we do not own.
		 */
#ifdef SO_PASSCRED
		(void)getsockopt(l->sock, SOL_SOCKET, SO_PASSCRED, &on, &len);
#endif
		if (!on && !cfg->policy->allow_any) {
			fdr_warnx("%s --inherit: the datagram socket does not pass credentials, so senders cannot be checked: "
			    "turn them on where it is made (PassCredentials=yes) or give --allow-any", cmd);
			return FDR_EXIT_FAIL;
		}
		return 0;
	}
	len = sizeof(listening);
	if (getsockopt(l->sock, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && !listening) {
		l->conn = l->sock;	/* Accept=yes: a connected sender */
		l->sock = -1;
	}
	return 0;
}

static int open_bound(struct listener *l)
{
	const struct listener_cfg *cfg = l->cfg;

	l->sock = sock_listen(cfg->path, l->type, cfg->mode, BACKLOG,
	    l->type == SOCK_DGRAM ? SOCK_F_PASSCRED : 0, &l->file);
	if (l->sock != -1)
		return 0;
	if (errno == EEXIST)
		fdr_warnx("%s %s: something that is not a socket is in the way; not touching it", cfg->cmd, cfg->path);
	else if (errno == EADDRINUSE)
		fdr_warnx("%s %s: another listener is live on this socket", cfg->cmd, cfg->path);
	else if (errno == ENAMETOOLONG)
		fdr_warnx("%s %s: the socket path is too long", cfg->cmd, cfg->path);
	else
		fdr_warn("%s %s", cfg->cmd, cfg->path);
	return FDR_EXIT_FAIL;
}

int listener_open(struct listener *l, const struct listener_cfg *cfg)
{
	int status;

	l->cfg = cfg;
	l->type = cfg->type;
	l->raw = cfg->raw || cfg->type == SOCK_DGRAM;
	l->sock = l->conn = -1;
	sock_file_init(&l->file);
	status = cfg->inherit ? open_inherited(l) : open_bound(l);
	if (status)
		return status;
	if (cfg->verbose)
		fdr_warnx("%s %s: listening", cfg->cmd, where(l));
	if (cfg->ready_fd != -1) {
		/* SIGPIPE is ignored: a reader that went away costs a lost newline. */
		(void)!write(cfg->ready_fd, "\n", 1);
		close(cfg->ready_fd);
	}
	return 0;
}

void listener_close(struct listener *l)
{
	if (l->sock != -1)
		close(l->sock);
	if (l->conn != -1)
		close(l->conn);
	l->sock = l->conn = -1;
	if (sock_remove(&l->file) == -1 && errno != ENOENT)
		fdr_warn("%s %s: remove", l->cfg->cmd, l->cfg->path);
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

static void tell_refused(int sock, int type, enum proto_refusal why)
{
	unsigned char buf[1];

	tell(sock, type, PROTO_REFUSE, buf, proto_refuse_pack(buf, why));
}

/* What went wrong receiving from a framed sender (errno e), in words. */
static const char *receive_error(int e)
{
	switch (e) {
	case ETIMEDOUT: return "delivery timed out";
	case EMSGSIZE: return "descriptors were truncated (descriptor limit reached or refused by a security module)";
	case EPROTONOSUPPORT: return "unsupported protocol version (this listener speaks version 1)";
	case EPROTO: return "malformed frame";
	case ENOMSG: return "not fdrelay's protocol (a --raw sender? then listen with --raw)";
	case ECONNRESET: return "the sender hung up in the middle of a frame";
	default: return strerror(e);
	}
}

/*
 * Why the kernel passed fewer descriptors than were sent (flags:
 * ANCIL_TRUNC_*), in words, into buf.  At RLIMIT_NOFILE no descriptor
 * can be made, so a duplicate of probe (an open descriptor) fails
 * EMFILE; with room left, a security module refused one.
 */
static void cut_cause(int probe, int flags, char *buf, size_t n)
{
	struct rlimit rl;
	int fd;

	if (flags & ANCIL_TRUNC_ROOM) {
		snprintf(buf, n, "the receive buffer was too small for what was sent");
		return;
	}
	fd = fcntl(probe, F_DUPFD_CLOEXEC, 0);
	if (fd == -1 && errno == EMFILE && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		snprintf(buf, n, "the receiving process reached its limit of open descriptors "
		    "(RLIMIT_NOFILE %llu; raise it: ulimit -n, prlimit --nofile)", (unsigned long long)rl.rlim_cur);
		return;
	}
	if (fd != -1)
		close(fd);
	snprintf(buf, n, "the receiver had room for more, so a security module (SELinux, AppArmor, "
	    "Smack) most likely refused to pass one (see the audit log)");
}

/*
 * Says what the kernel cut: how many of the descriptors arrived, of how
 * many sent (sent -1: unknown; more: at least sent), why, and what each
 * one that arrived is (as the program would have had it: 3, 4, ...).
 * The short form, for the sender, goes into why (n bytes).  Closes
 * nothing: the caller does.
 */
static void report_cut(const struct listener *l, int probe, const int *fds, char *const *names,
    size_t nfds, long sent, int more, int flags, char *why, size_t n)
{
	const struct listener_cfg *cfg = l->cfg;
	char cause[256], *text = NULL;
	size_t len = 0;
	struct describe_run r;
	FILE *out;

	cut_cause(probe, flags, cause, sizeof(cause));
	if (sent >= 0)
		snprintf(why, n, "descriptors truncated: only %zu of %s%ld arrived: %s", nfds,
		    more ? "at least " : "", sent, cause);
	else
		snprintf(why, n, "descriptors truncated: only %zu arrived (how many were sent is "
		    "unknown: a raw sender says no count): %s", nfds, cause);
	fdr_warnx("%s %s: %s", cfg->cmd, where(l), why);
	if (!(out = open_memstream(&text, &len)))
		return;
	describe_begin(&r, out, 0);
	for (size_t i = 0; i < nfds; i++) {
		char name[24];

		snprintf(name, sizeof(name), "fd%zu", i);
		(void)describe_fd(&r, 0, fds[i], 3 + (int)i, names ? names[i] : name);
	}
	describe_end(&r);
	if (fclose(out) == 0)
		for (char *line = text, *nl; line < text + len && (nl = strchr(line, '\n')); line = nl + 1)
			fdr_warnx("%s %s: arrived: %.*s", cfg->cmd, where(l), (int)(nl - line), line);
	free(text);
}

/* A framed sender's OFFERs into d; returns 0, or an exit status after telling it why. */
static int receive_framed(const struct listener *l, struct frame_conn *c, struct delivery *d)
{
	const struct listener_cfg *cfg = l->cfg;
	struct frame_trunc cut = { 0 };
	const char *why;
	char text[512];
	int flags = 0, r;

	if (fdr_nofile_need(2 * (cfg->max_fds + PROTO_MAX_FDS) + 64) == -1 && cfg->verbose)
		fdr_warn("%s: raise the descriptor limit", cfg->cmd);
	c->trunc = &cut;
	r = frame_recv_offer(c, &d->b, (size_t)cfg->max_fds, &flags);
	c->trunc = NULL;
	if (r == -1 && errno == EMSGSIZE && cut.flags) {
		/* What arrived is in d->b, for the report; serve_conn closes it. */
		report_cut(l, c->sock, d->b.fds, d->b.names, d->b.n, (long)cut.sent, cut.more, cut.flags,
		    text, sizeof(text));
		tell_error(c->sock, c->type, text);
		return FDR_EXIT_FAIL;
	}
	if (r == 1) {
		if (flags & PROTO_F_WAIT)
			d->conn = c;
		return 0;
	}
	if (r == 0) {
		fdr_warnx("%s %s: the sender closed the connection before sending anything", cfg->cmd, where(l));
		return FDR_EXIT_FAIL;
	}
	if (errno == E2BIG) {
		tell_refused(c->sock, c->type, PROTO_REFUSE_TOO_MANY);
		fdr_warnx("%s %s: refused sender: more than %ld descriptors (--max-fds)", cfg->cmd, where(l), cfg->max_fds);
		return FDR_EXIT_FAIL;
	}
	why = receive_error(errno);
	tell_error(c->sock, c->type, why);
	fdr_warnx("%s %s: receive from sender: %s", cfg->cmd, where(l), why);
	return FDR_EXIT_FAIL;
}

/* 1 if the message looks like a frame of fdrelay's own: a framed sender at a --raw listener. */
static int looks_framed(const char *msg, size_t len)
{
	struct proto_hdr h;

	return len >= PROTO_HDR_LEN && proto_hdr_unpack((const unsigned char *)msg, &h) == 0 &&
	    h.type == PROTO_OFFER && len == PROTO_HDR_LEN + (size_t)h.len;
}

/*
 * --raw: one message and its descriptors into d (named fd0, fd1, ...); on
 * a datagram socket the credentials come with it.  A message longer than
 * LISTENER_RAW_MAX, or cut by the kernel, is refused whole.  Returns 0, or
 * an exit status after a message.
 */
static int receive_raw(const struct listener *l, int sock, struct delivery *d)
{
	const struct listener_cfg *cfg = l->cfg;
	size_t room = (size_t)cfg->max_fds < ANCIL_MAX_FDS ? (size_t)cfg->max_fds : ANCIL_MAX_FDS;
	int fds[ANCIL_MAX_FDS], queued = 0;
	struct ancil_rx rx = { .fds = fds, .maxfds = room, .keep_truncated = 1 };
	char why[512];
	ssize_t n;

	if (!(d->message = malloc(LISTENER_RAW_MAX + 1))) {
		fdr_warn("%s", cfg->cmd);
		return FDR_EXIT_FAIL;
	}
	fdr_nofile_need(2 * ANCIL_MAX_FDS + 64);
	n = ancil_recv(sock, d->message, LISTENER_RAW_MAX, &rx, MSG_DONTWAIT);
	if (n == -1 && errno == EMSGSIZE && (rx.truncated & ANCIL_TRUNC_DATA)) {
		fdr_warnx("%s %s: refused a message of more than %d bytes; its descriptors are closed",
		    cfg->cmd, where(l), LISTENER_RAW_MAX);
		return FDR_EXIT_FAIL;
	}
	if (n == -1) {
		fdr_warnx("%s %s: receive: %s", cfg->cmd, where(l), receive_error(errno));
		return FDR_EXIT_FAIL;
	}
	if (rx.truncated) {
		report_cut(l, sock, fds, NULL, rx.nfds, -1, 0, rx.truncated, why, sizeof(why));
		ancil_close_fds(fds, rx.nfds);
		return FDR_EXIT_FAIL;
	}
	for (size_t i = 0; i < rx.nfds; i++) {
		char name[24];

		snprintf(name, sizeof(name), "fd%zu", i);
		if (frame_batch_add(&d->b, fds[i], name) == -1) {
			ancil_close_fds(fds + i + 1, rx.nfds - i - 1);
			fdr_warn("%s", cfg->cmd);
			return FDR_EXIT_FAIL;
		}
	}
	d->message[n] = '\0';
	d->msglen = (size_t)n;
	if (rx.have_cred)
		d->cred = rx.cred;
	if (rx.nsurplus) {
		fdr_warnx("%s %s: refused sender: more than %zu descriptors (--max-fds)", cfg->cmd, where(l), room);
		return FDR_EXIT_FAIL;
	}
	if (l->type == SOCK_STREAM && n == LISTENER_RAW_MAX && ioctl(sock, FIONREAD, &queued) == 0 && queued > 0) {
		fdr_warnx("%s %s: refused a message of more than %d bytes; its descriptors are closed",
		    cfg->cmd, where(l), LISTENER_RAW_MAX);
		return FDR_EXIT_FAIL;
	}
	if (l->type != SOCK_DGRAM && looks_framed(d->message, d->msglen)) {
		tell_error(sock, l->type, "this listener takes --raw messages: send with --raw");
		fdr_warnx("%s %s: the sender speaks fdrelay's framing, but this listener is --raw: "
		    "listen without --raw", cfg->cmd, where(l));
		return FDR_EXIT_FAIL;
	}
	return 0;
}

/* ---- Serving one sender ------------------------------------------------- */

/* Sends the handler's outcome to a sender that waits for it. */
static void tell_status(struct frame_conn *c, int status, int signal)
{
	unsigned char buf[2];
	size_t len = signal ? proto_status_pack(buf, PROTO_STATUS_SIGNALED, signal) :
	    proto_status_pack(buf, PROTO_STATUS_EXITED, status & 0xff);

	c->deadline = frame_deadline(1000);
	(void)frame_send(c, PROTO_STATUS, 0, buf, len, NULL, 0);
}

/*
 * Serves one accepted (or inherited) connection whose sender the policy
 * allowed: receives, acknowledges, hands the delivery to h, reports h's
 * status to a sender that waits.  Delivery must be done by deadline
 * (monotonic ms).  Takes ownership of conn.  Returns the exit status.
 */
static int serve_conn(const struct listener *l, int conn, const struct ancil_cred *cred,
    long long deadline, listener_handler *h, void *arg)
{
	const struct listener_cfg *cfg = l->cfg;
	struct frame_conn c = { .sock = conn, .type = l->type, .deadline = deadline };
	struct delivery d = { .cred = *cred };
	unsigned char buf[4];
	int status;

	if (l->raw && frame_wait(&c) == -1) {
		fdr_warnx("%s %s: receive from sender: %s", cfg->cmd, where(l), receive_error(errno));
		status = FDR_EXIT_FAIL;
	} else {
		status = l->raw ? receive_raw(l, conn, &d) : receive_framed(l, &c, &d);
	}
	if (!status && !l->raw &&
	    frame_send(&c, PROTO_ACK, 0, buf, proto_ack_pack(buf, (uint32_t)d.b.n), NULL, 0) == -1) {
		fdr_warn("%s %s: acknowledge", cfg->cmd, where(l));
		status = FDR_EXIT_FAIL;
	}
	if (!status) {
		if (cfg->verbose)
			fdr_warnx("%s %s: received %zu descriptor%s from pid %ld uid %ld", cfg->cmd, where(l),
			    d.b.n, d.b.n == 1 ? "" : "s", (long)d.cred.pid, (long)d.cred.uid);
		if (!d.conn) {
			/* Nothing more to say to it: let it go now. */
			close(conn);
			conn = -1;
		}
		status = h(&d, arg);
		if (d.conn)
			tell_status(d.conn, status, d.signal);
	}
	if (conn != -1)
		close(conn);
	frame_batch_free(&d.b);
	free(d.message);
	return status;
}

/*
 * Accepts one connection and checks its sender against the policy.  A
 * refused sender is told so (framed) and closed.  Returns the connection,
 * or -1 (errno EPERM when refused).
 */
static int accept_sender(const struct listener *l, struct ancil_cred *cred)
{
	const struct listener_cfg *cfg = l->cfg;
	int conn = os_accept(l->sock);

	if (conn == -1)
		return -1;
	if (ancil_peer_cred(conn, cred) == -1) {
		fdr_warn("%s %s: sender credentials", cfg->cmd, where(l));
		close(conn);
		return -1;
	}
	if (!policy_allows(cfg->policy, cred, conn)) {
		fdr_warnx("%s %s: refused sender pid %ld uid %ld gid %ld: not allowed", cfg->cmd, where(l),
		    (long)cred->pid, (long)cred->uid, (long)cred->gid);
		if (!l->raw)
			tell_refused(conn, l->type, PROTO_REFUSE_POLICY);
		close(conn);
		errno = EPERM;
		return -1;
	}
	if (cfg->verbose)
		fdr_warnx("%s %s: accepted sender pid %ld uid %ld gid %ld", cfg->cmd, where(l),
		    (long)cred->pid, (long)cred->uid, (long)cred->gid);
	return conn;
}

/*
 * 0 when an accepted connection closed without sending a byte: not a
 * sender but a probe (another listener checking whether this socket is
 * stale connects and hangs up), which must not end a one-shot listener.
 * 1 otherwise, including when nothing came by deadline (serving it then
 * reports the timeout).
 */
static int said_anything(const struct listener *l, int conn, long long deadline)
{
	struct frame_conn c = { .sock = conn, .type = l->type, .deadline = deadline };
	struct pollfd p = { .fd = conn, .events = POLLIN };
	int queued = 0;

	if (frame_wait(&c) == -1 || poll(&p, 1, 0) != 1)
		return 1;
	/*
	 * Hung up with no byte queued.  Never MSG_PEEK here: peeking a socket
	 * that may carry descriptors installs duplicates of them.
	 */
	if (!(p.revents & POLLHUP) || ioctl(conn, FIONREAD, &queued) == -1 || queued > 0)
		return 1;
	if (l->cfg->verbose)
		fdr_warnx("%s %s: a connection closed without sending anything; still waiting", l->cfg->cmd, where(l));
	return 0;
}

/* A datagram: one message whose credentials the policy allows, into d; 0 or an exit status. */
static int receive_datagram(const struct listener *l, struct delivery *d)
{
	const struct listener_cfg *cfg = l->cfg;
	int status;

	/* Unknown unless the message carries credentials: never root by default. */
	d->cred = (struct ancil_cred){ -1, (uid_t)-1, (gid_t)-1 };
	status = receive_raw(l, l->sock, d);
	if (!status && !policy_allows(cfg->policy, &d->cred, -1)) {
		fdr_warnx("%s %s: refused message from pid %ld uid %ld gid %ld: not allowed", cfg->cmd, where(l),
		    (long)d->cred.pid, (long)d->cred.uid, (long)d->cred.gid);
		status = FDR_EXIT_REFUSED;
	}
	return status;
}

/* Hands a received datagram to h; returns h's status. */
static int serve_datagram(struct delivery *d, listener_handler *h, void *arg)
{
	int status = h(d, arg);

	frame_batch_free(&d->b);
	free(d->message);
	d->message = NULL;
	return status;
}

/* ---- The loop ----------------------------------------------------------- */

/*
 * -k: serves one sender (conn, or the datagram d already received) in a
 * worker process of its own, so that nothing a sender does touches the
 * listener's descriptors or memory.  Returns 0, or -1 when it cannot fork.
 */
static int start_worker(struct listener *l, int conn, const struct ancil_cred *cred, long long deadline,
    struct delivery *d, listener_handler *h, void *arg)
{
	sigset_t all, old;
	pid_t pid;

	/* The worker's signals are its own: blocked across fork, then default until it catches them. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		sig_release();
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(l->sock);
		_exit(conn != -1 ? serve_conn(l, conn, cred, deadline, h, arg) : serve_datagram(d, h, arg));
	}
	if (pid == -1)
		fdr_warn("%s: fork", l->cfg->cmd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (conn != -1)
		close(conn);
	frame_batch_free(&d->b);
	free(d->message);
	d->message = NULL;
	return pid == -1 ? -1 : 0;
}

/*
 * Takes the next sender from the listening socket: a one-shot listener
 * stops listening and serves it (*done set, the status returned); -k hands
 * it to a worker (*children counts them).  A refused sender, a probe or a
 * failed accept changes nothing.
 */
static int next_sender(struct listener *l, listener_handler *h, void *arg, int *children, int *done)
{
	const struct listener_cfg *cfg = l->cfg;
	struct ancil_cred cred = { -1, (uid_t)-1, (gid_t)-1 };
	struct delivery d = { .conn = NULL };
	long long deadline = frame_deadline(cfg->timeout_ms ? cfg->timeout_ms : LISTENER_DELIVERY_MS);
	int conn = -1, status;

	if (l->type == SOCK_DGRAM) {
		status = receive_datagram(l, &d);
		if (status) {
			frame_batch_free(&d.b);
			free(d.message);
			*done = !cfg->keep_going && status != FDR_EXIT_REFUSED;
			return status;
		}
	} else if ((conn = accept_sender(l, &cred)) == -1) {
		if (errno != EPERM && errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			fdr_warn("%s %s: accept", cfg->cmd, where(l));
		return 0;
	} else if (!cfg->keep_going && !said_anything(l, conn, deadline)) {
		close(conn);
		return 0;
	}
	if (cfg->keep_going) {
		if (start_worker(l, conn, &cred, deadline, &d, h, arg) == 0)
			(*children)++;
		return 0;
	}
	/* One sender only: a second one fails at once instead of hanging. */
	*done = 1;
	listener_close(l);
	return conn != -1 ? serve_conn(l, conn, &cred, deadline, h, arg) : serve_datagram(&d, h, arg);
}

/*
 * A caught signal: reaps workers (SIGCHLD) or says how the listener ends:
 * -k stops cleanly (0) on TERM and INT, anything else is 128+N.  Returns
 * -1 to go on.
 */
static int on_signal(const struct listener *l, const struct sig_event *ev, int *children)
{
	if (ev->signo == SIGCHLD) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			(*children)--;
		return -1;
	}
	if (l->cfg->verbose)
		fdr_warnx("%s %s: signal %d: stopping", l->cfg->cmd, where(l), ev->signo);
	return l->cfg->keep_going && (ev->signo == SIGTERM || ev->signo == SIGINT) ? FDR_EXIT_OK : 128 + ev->signo;
}

/* The one sender of an inherited connected socket (Accept=yes). */
static int serve_inherited(struct listener *l, listener_handler *h, void *arg)
{
	const struct listener_cfg *cfg = l->cfg;
	struct ancil_cred cred;
	int conn = l->conn;

	l->conn = -1;
	if (ancil_peer_cred(conn, &cred) == -1 || !policy_allows(cfg->policy, &cred, conn)) {
		fdr_warnx("%s %s: refused the connected sender", cfg->cmd, where(l));
		close(conn);
		return FDR_EXIT_REFUSED;
	}
	return serve_conn(l, conn, &cred,
	    frame_deadline(cfg->timeout_ms ? cfg->timeout_ms : LISTENER_DELIVERY_MS), h, arg);
}

int listener_serve(struct listener *l, listener_handler *h, void *arg)
{
	static const int caught[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, 0 };
	const struct listener_cfg *cfg = l->cfg;
	long long deadline = cfg->keep_going ? 0 : frame_deadline(cfg->timeout_ms ? cfg->timeout_ms : -1);
	int children = 0, done = 0, status = 0;

	if (l->conn != -1)
		return serve_inherited(l, h, arg);
	if (sig_catch(caught) == -1) {
		fdr_warn("%s: catch signals", cfg->cmd);
		return FDR_EXIT_FAIL;
	}
	while (!done) {
		struct pollfd p[3] = {
			{ .fd = sig_fd(), .events = POLLIN },
			{ .fd = children < cfg->max_children ? l->sock : -1, .events = POLLIN },
			{ .fd = cfg->watch_stdout ? 1 : -1, .events = 0 },
		};
		long long left = deadline ? deadline - frame_now() : -1;
		struct sig_event ev;

		if (deadline && left <= 0) {
			fdr_warnx("%s %s: timed out after %s seconds waiting for a sender", cfg->cmd, where(l),
			    cfg->timeout_text);
			return FDR_EXIT_TIMEOUT;
		}
		if (poll(p, 3, left > 1000000000 ? 1000000000 : (int)left) == -1 && errno != EINTR) {
			fdr_warn("%s: poll", cfg->cmd);
			return FDR_EXIT_FAIL;
		}
		for (sig_next(&ev); ev.signo; sig_next(&ev))
			if ((status = on_signal(l, &ev, &children)) != -1)
				return status;
		if (p[2].revents) {
			fdr_warnx("%s %s: standard output is gone (its reader closed it): stopping", cfg->cmd, where(l));
			return FDR_EXIT_FAIL;
		}
		if (p[1].revents & POLLIN)
			status = next_sender(l, h, arg, &children, &done);
	}
	return status;
}
