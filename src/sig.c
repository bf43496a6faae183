/* sig.c - signals as events on a self-pipe, and the clients' overall deadline. */
#include "os.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "sig.h"

/* A pipe byte: the signal number, with this bit when the kernel sent it. */
#define FROM_KERNEL 0x80

static int sig_pipe[2] = { -1, -1 };
static pid_t sig_owner;			/* a forked child makes a pipe of its own */

static void sig_handler(int sig, siginfo_t *si, void *ctx)
{
	unsigned char c = (unsigned char)sig;
	int e = errno;

	(void)ctx;
#ifdef SI_KERNEL
	if (si && si->si_code == SI_KERNEL)
		c |= FROM_KERNEL;
#else
	(void)si;
#endif
	(void)!write(sig_pipe[1], &c, 1);
	errno = e;
}

void sig_init(void)
{
	(void)signal(SIGPIPE, SIG_IGN);
}

int sig_catch(const int *signals)
{
	struct sigaction sa;

	if (sig_pipe[0] != -1 && sig_owner != getpid()) {
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
	}
	if (sig_pipe[0] == -1) {
		if (os_pipe(sig_pipe, 1) == -1)
			return -1;
		sig_owner = getpid();
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sig_handler;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: the core retries EINTR anyway; poll(2) is never restarted. */
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	for (; *signals; signals++)
		if (sigaction(*signals, &sa, NULL) == -1)
			return -1;
	return 0;
}

int sig_fd(void)
{
	return sig_pipe[0];
}

void sig_next(struct sig_event *ev)
{
	unsigned char c;

	ev->signo = 0;
	ev->from_kernel = 0;
	if (sig_pipe[0] == -1 || read(sig_pipe[0], &c, 1) != 1)
		return;
	ev->signo = c & ~FROM_KERNEL;
	ev->from_kernel = !!(c & FROM_KERNEL);
}

void sig_release(void)
{
	if (sig_pipe[0] == -1)
		return;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction cur;

		if (sigaction(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
		    cur.sa_sigaction == sig_handler)
			(void)signal(sig, SIG_DFL);
	}
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
}

void sig_child_reset(void)
{
	sigset_t none;

	/* SIGPIPE too: a program expects to die when its reader goes away. */
	for (int sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* ---- The clients' deadline -------------------------------------------- */

static char timeout_line[2][512];
static volatile sig_atomic_t timeout_which;

static void on_alarm(int sig)
{
	const char *line = timeout_line[timeout_which];

	(void)sig;
	(void)!write(2, line, strlen(line));
	os_close_from(3);
	_exit(124);
}

/* Appends s to buf (len bytes used, room in all); returns the new length. */
static size_t append(char *buf, size_t len, size_t room, const char *s)
{
	size_t n = strlen(s);

	if (n > room - len)
		n = room - len;
	memcpy(buf + len, s, n);
	return len + n;
}

void sig_timeout_say(const char *first, ...)
{
	int next = !timeout_which;
	char *buf = timeout_line[next];
	size_t len, room = sizeof(timeout_line[0]) - 2;
	va_list ap;

	len = append(buf, 0, room, "fdrelay: ");
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		len = append(buf, len, room, s);
	va_end(ap);
	buf[len++] = '\n';
	buf[len] = '\0';
	timeout_which = next;
}

void sig_timeout_arm(int ms)
{
	struct itimerval it = { .it_value = { ms / 1000, ms % 1000 * 1000 } };

	if (ms)
		signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
}
