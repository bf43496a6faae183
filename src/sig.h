/* sig.h - signals as events on a self-pipe, and the clients' overall deadline. */
#ifndef FDRELAY_SIG_H
#define FDRELAY_SIG_H

/*
 * sig_catch() routes the listed signals (a 0-ended list) to a
 * close-on-exec, non-blocking self-pipe whose read end sig_fd() returns,
 * so that a poll(2) loop sees them as events; a forked child that calls
 * it again gets a pipe of its own.  Returns 0, or -1 with errno.
 */
int sig_catch(const int *signals);
int sig_fd(void);

/* A caught signal, as sig_next() hands it out. */
struct sig_event {
	int signo;		/* 0: none pending */
	int from_kernel;	/* sent by the kernel (a terminal's ^C, ^\, hangup), not by kill(2) */
};

/* The next caught signal; ev->signo is 0 when none is pending. */
void sig_next(struct sig_event *ev);

/*
 * Undoes sig_catch() (those signals back to their default) and closes the
 * pipe, so that a command leaves nothing open behind.  A forked worker
 * calls it first (with every signal still blocked from before the fork):
 * it closes the worker's copies, and the parent's pipe is untouched.
 */
void sig_release(void);

/*
 * Once, at start: ignores SIGPIPE, so that a reader going away is an error
 * (EPIPE) to report, never a death that leaves a socket file behind.
 */
void sig_init(void);

/* In a child about to exec: every signal to its default, none blocked. */
void sig_child_reset(void);

/*
 * The clients' overall deadline: after ms milliseconds (0 disarms) the
 * process writes the last line given to sig_timeout_say() to stderr,
 * closes its descriptors from 3 up and exits 124, wherever it is blocked
 * (a FIFO's open, a connect, a send).  sig_timeout_say() joins its
 * strings (a NULL ends them) now, outside the handler, so the handler only
 * writes bytes; it adds "fdrelay: " and the newline.  (No printf here: it
 * alone pages some 200 KiB of libc into a sender that never fails.)
 */
void sig_timeout_arm(int ms);
void sig_timeout_say(const char *first, ...) __attribute__((sentinel));

#endif
