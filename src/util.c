/* util.c - what send and listen share: signals as events, descriptor limits. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fdrelay.h"

static int sig_pipe[2] = { -1, -1 };
static pid_t sig_owner;		/* a forked child makes a pipe of its own */

static void sig_handler(int sig)
{
	unsigned char c = (unsigned char)sig;
	int e = errno;

	(void)!write(sig_pipe[1], &c, 1);
	errno = e;
}

int fdr_sig_catch(const int *signals)
{
	struct sigaction sa;

	if (sig_pipe[0] != -1 && sig_owner != getpid()) {
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
	}
	if (sig_pipe[0] == -1) {
		sig_owner = getpid();
		if (pipe(sig_pipe) == -1)
			return -1;
		for (int i = 0; i < 2; i++) {
			fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
			fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK);
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: the core retries EINTR anyway; poll(2) is never restarted. */
	sa.sa_flags = SA_RESTART;
	for (; *signals; signals++)
		if (sigaction(*signals, &sa, NULL) == -1)
			return -1;
	return 0;
}

int fdr_sig_fd(void)
{
	return sig_pipe[0];
}

int fdr_sig_next(void)
{
	unsigned char c;

	if (sig_pipe[0] == -1 || read(sig_pipe[0], &c, 1) != 1)
		return 0;
	return c;
}

void fdr_sig_release(void)
{
	struct sigaction sa;

	if (sig_pipe[0] == -1 || sig_owner != getpid())
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction old;

		if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == sig_handler)
			(void)sigaction(sig, &sa, NULL);
	}
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
}

void fdr_sig_reset(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static rlim_t nofile_start = RLIM_INFINITY;

long fdr_nofile_start(void)
{
	struct rlimit rl;

	if (nofile_start == RLIM_INFINITY && getrlimit(RLIMIT_NOFILE, &rl) == 0)
		nofile_start = rl.rlim_cur;
	return nofile_start == RLIM_INFINITY ? -1 : (long)nofile_start;
}

int fdr_nofile_need(long highest)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)highest + 64;

	fdr_nofile_start();
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			return -1;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		errno = EMFILE;
		return -1;
	}
	return 0;
}

long fdr_parse_ulong(const char *s, long max)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	return v;
}
