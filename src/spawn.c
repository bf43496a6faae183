/* spawn.c - starting a program on received descriptors: placement, environment, waiting, signals. */
#include "os.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "fdrelay.h"
#include "parse.h"
#include "sig.h"
#include "spawn.h"

extern char **environ;

/*
 * Where each descriptor goes in the program (dst, room for s->n): the
 * first of each stdio name to 0, 1, 2 with s->stdio, the others to 3, 4,
 * ... in order.  Returns how many start at 3.
 */
static size_t plan_fds(const struct spawn *s, int *dst)
{
	static const char *const std[] = { "stdin", "stdout", "stderr" };
	int taken[3] = { 0, 0, 0 };
	size_t next = 3;

	for (size_t i = 0; i < s->n; i++) {
		dst[i] = -1;
		for (int k = 0; s->stdio && k < 3; k++)
			if (!taken[k] && !strcmp(s->names[i], std[k])) {
				taken[k] = 1;
				dst[i] = k;
				break;
			}
		if (dst[i] == -1)
			dst[i] = (int)next++;
	}
	return next - 3;
}

/*
 * In the child: puts fds[i] at dst[i], not close-on-exec, for all n targets
 * below top, moving a descriptor out of the way only when a placement would
 * overwrite it, so that n descriptors need few more than n numbers.  A
 * source placed elsewhere is closed, unless it is 0, 1 or 2.  Keeps
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
	if (*errfd != -1 && *errfd < top) {
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
		/* 0, 1, 2 given as sources (exec -i -o -e) stay the program's own too. */
		if (fds[i] > 2)
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

/* Removes the variables fdrelay sets, so that no stale value reaches the program. */
static void clean_environment(void)
{
	static const char *const ours[] = { "FDRELAY_MESSAGE=", "FDRELAY_PEER_PID=",
		"FDRELAY_PEER_UID=", "FDRELAY_PEER_GID=", "LISTEN_" };
	size_t i = 0;

	while (environ[i]) {
		const char *e = environ[i], *eq = strchr(e, '=');
		int match = 0;
		char *name;

		for (size_t k = 0; eq && k < sizeof(ours) / sizeof(ours[0]); k++)
			match |= !strncmp(e, ours[k], strlen(ours[k]));
		if (!match) {
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

static void set_env_num(const char *var, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	setenv(var, buf, 1);
}

/*
 * LISTEN_PIDFDID (systemd 259): the inode number of a pidfd for this very
 * process, when pidfds live on pidfs (Linux 6.9+), where that number names
 * the process for good; unset otherwise.
 */
static void set_pidfdid(void)
{
	int pfd = os_pidfd_open(getpid());
	struct statfs sf;
	struct stat st;
	char buf[32];

	if (pfd == -1)
		return;
	if (fstatfs(pfd, &sf) == 0 && sf.f_type == OS_PIDFS_MAGIC && fstat(pfd, &st) == 0) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)st.st_ino);
		setenv("LISTEN_PIDFDID", buf, 1);
	}
	close(pfd);
}

/* The environment of a program with nother descriptors from 3 (dst says which). */
static int set_environment(const struct spawn *s, const int *dst, size_t nother)
{
	size_t len = 1;
	char *names, *p;

	clean_environment();
	for (size_t i = 0; i < s->n; i++)
		if (dst[i] >= 3)
			len += strlen(s->names[i]) + 1;
	if (!(names = p = malloc(len)))
		return -1;
	*p = '\0';
	for (size_t i = 0; i < s->n; i++)
		if (dst[i] >= 3)
			p += sprintf(p, "%s%s", p == names ? "" : ":", s->names[i]);
	setenv("LISTEN_FDNAMES", names, 1);
	free(names);
	set_env_num("LISTEN_FDS", (long)nother);
	set_env_num("LISTEN_PID", (long)getpid());
	if (s->peer) {
		set_env_num("FDRELAY_PEER_PID", (long)s->peer->pid);
		set_env_num("FDRELAY_PEER_UID", (long)s->peer->uid);
		set_env_num("FDRELAY_PEER_GID", (long)s->peer->gid);
	}
	if (s->message && parse_text_ok(s->message, s->msglen))
		setenv("FDRELAY_MESSAGE", s->message, 1);
	set_pidfdid();
	return 0;
}

/* The soft RLIMIT_NOFILE fdrelay started with, raised to stay 64 above top - 1. */
static void set_nofile(size_t top)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || fdr_nofile_start() <= 0)
		return;
	want = (rlim_t)fdr_nofile_start();
	if (want < top - 1 + 65)
		want = top - 1 + 65;
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
		want = rl.rlim_max;
	rl.rlim_cur = want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * In the process about to become the program: places the descriptors,
 * marks every other one close-on-exec, and sets the signals, the
 * environment and the limit.  *errfd (-1, or where failures are to be
 * reported) is kept out of the way.  Returns 0 or -1 with errno.
 */
static int prepare(const struct spawn *s, int *dst, size_t nother, int *errfd)
{
	size_t top = 3 + nother;

	sig_child_reset();
	if (place_fds(s->fds, dst, s->n, (int)top, errfd) == -1)
		return -1;
	/* Everything else, inherited or ours, closes at exec. */
	os_cloexec_from((int)top);
	if (set_environment(s, dst, nother) == -1)
		return -1;
	set_nofile(top);
	return 0;
}

/* The exit status of a program that could not be run (errno e), as a shell gives it. */
static int not_run(int e)
{
	return e == ENOENT || e == ENOTDIR ? FDR_EXIT_NOTFOUND : FDR_EXIT_NOEXEC;
}

/* In the child: prepares and executes; on failure the errno goes to errfd. */
static _Noreturn void child(const struct spawn *s, int *dst, size_t nother, int errfd)
{
	int e;

	if (prepare(s, dst, nother, &errfd) == 0)
		execvp(s->argv[0], s->argv);
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(not_run(e));
}

int spawn_exec(const struct spawn *s)
{
	int *dst = calloc(s->n + 1, sizeof(int));
	int err = fcntl(2, F_DUPFD_CLOEXEC, 3), e;

	if (!dst || err == -1) {
		fdr_warn("%s: run %s", s->cmd, s->argv[0]);
		free(dst);
		return FDR_EXIT_FAIL;
	}
	if (prepare(s, dst, plan_fds(s, dst), &err) == 0)
		execvp(s->argv[0], s->argv);
	/* Say so on the caller's own standard error, whatever was placed on 2. */
	e = errno;
	dup2(err, 2);
	close(err);
	for (size_t i = 0; i < s->n; i++)
		if (s->fds[i] > 2)
			close(s->fds[i]);
	errno = e;
	fdr_warn("%s: run %s", s->cmd, s->argv[0]);
	free(dst);
	return not_run(e);
}

/* A SIGNAL frame from the sender that waits: forwarded; anything else ends listening to it. */
static void sender_frame(const struct spawn *s, pid_t pid, struct frame_conn **conn, int frame_ms)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	int fds[PROTO_MAX_FDS], signo, r;
	struct proto_hdr h;

	/* Its first byte is here: the rest of the frame gets the delivery time. */
	(*conn)->deadline = frame_deadline(frame_ms);
	r = frame_recv(*conn, &h, payload, fds);
	if (r == 1 && h.type == PROTO_SIGNAL && proto_signal_unpack(payload, h.len, &signo) == 0) {
		if (s->verbose)
			fdr_warnx("%s: forwarding signal %d from the sender", s->cmd, signo);
		kill(pid, signo);
		return;
	}
	if (r == 1)
		ancil_close_fds(fds, h.nfds);
	/* The sender left or misbehaved: stop listening to it. */
	*conn = NULL;
}

/* A signal this process caught while the program runs. */
static void own_signal(const struct spawn *s, pid_t pid, const struct sig_event *ev)
{
	/* A terminal signals its whole foreground group: the program has it already. */
	if (ev->from_kernel && getpgid(pid) == getpgrp()) {
		if (s->verbose)
			fdr_warnx("%s: signal %d came from the terminal to the program too: not forwarded",
			    s->cmd, ev->signo);
		return;
	}
	kill(pid, ev->signo);
}

/* Waits for pid, forwarding signals (see spawn_run); returns its wait status. */
static int wait_program(const struct spawn *s, pid_t pid, struct frame_conn **conn, int frame_ms)
{
	int ws = 0;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = sig_fd(), .events = POLLIN },
			{ .fd = *conn ? (*conn)->sock : -1, .events = POLLIN },
		};
		struct sig_event ev;
		int done = 0;

		if (poll(p, 2, -1) == -1 && errno != EINTR) {
			/* Cannot watch: still never leave the program unwaited for. */
			while (waitpid(pid, &ws, 0) == -1 && errno == EINTR)
				;
			return ws;
		}
		for (sig_next(&ev); ev.signo; sig_next(&ev)) {
			if (ev.signo == SIGCHLD)
				done |= waitpid(pid, &ws, WNOHANG) == pid;
			else if (!done)	/* once reaped, pid may name another process */
				own_signal(s, pid, &ev);
		}
		if (done)
			return ws;
		if (*conn && p[1].revents)
			sender_frame(s, pid, conn, frame_ms);
	}
}

int spawn_run(const struct spawn *s, struct frame_conn **conn, int frame_ms, int *signal)
{
	static const int caught[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, 0 };
	int *dst = calloc(s->n + 1, sizeof(int));
	int errpipe[2], ws, child_errno = 0;
	size_t nother;
	pid_t pid;

	*signal = 0;
	if (!dst || sig_catch(caught) == -1 || os_pipe(errpipe, 0) == -1) {
		fdr_warn("%s: run %s", s->cmd, s->argv[0]);
		free(dst);
		return FDR_EXIT_FAIL;
	}
	nother = plan_fds(s, dst);
	pid = fork();
	if (pid == 0) {
		close(errpipe[0]);
		child(s, dst, nother, errpipe[1]);
	}
	free(dst);
	close(errpipe[1]);
	if (pid == -1) {
		close(errpipe[0]);
		fdr_warn("%s: run %s: fork", s->cmd, s->argv[0]);
		return FDR_EXIT_FAIL;
	}
	/* The program has its copies now: only it may hold them (a pipe's reader waits for EOF). */
	ancil_close_fds(s->fds, s->n);
	while (read(errpipe[0], &child_errno, sizeof(child_errno)) == -1 && errno == EINTR)
		;
	close(errpipe[0]);
	if (child_errno) {
		errno = child_errno;
		fdr_warn("%s: run %s", s->cmd, s->argv[0]);
	} else if (s->verbose) {
		fdr_warnx("%s: started %s, pid %ld, with %zu descriptor%s", s->cmd, s->argv[0], (long)pid, s->n,
		    s->n == 1 ? "" : "s");
	}
	ws = wait_program(s, pid, conn, frame_ms);
	if (WIFSIGNALED(ws))
		*signal = WTERMSIG(ws);
	if (s->verbose)
		fdr_warnx("%s: %s (pid %ld) ended with status %d", s->cmd, s->argv[0], (long)pid,
		    *signal ? 128 + *signal : WEXITSTATUS(ws));
	return *signal ? 128 + *signal : WEXITSTATUS(ws);
}
