/* fdrelay.h - what the subcommands share: exit statuses, messages, options. */
#ifndef FDRELAY_H
#define FDRELAY_H

#include <stdio.h>
#include <sys/types.h>
#include <popt.h>

/* Exit statuses (docs/fdrelay.1, EXIT STATUS). */
#define FDR_EXIT_OK 0
#define FDR_EXIT_FAIL 1
#define FDR_EXIT_USAGE 2
#define FDR_EXIT_REFUSED 3
#define FDR_EXIT_TIMEOUT 124
#define FDR_EXIT_NOEXEC 126
#define FDR_EXIT_NOTFOUND 127

/* Subcommands: argv[0] is the subcommand's name; return the exit status. */
int cmd_send(int argc, const char **argv);
int cmd_listen(int argc, const char **argv);
int cmd_recv(int argc, const char **argv);
int cmd_describe(int argc, const char **argv);
/* listen and recv share everything but what they do with the descriptors. */
int listen_main(int argc, const char **argv, int recv_mode);

/* "fdrelay: <formatted>: <strerror(errno)>" on stderr. */
void fdr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "fdrelay: <formatted>" on stderr. */
void fdr_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Parses the options of one subcommand with popt: name is e.g. "fdrelay
 * send" (for --help), operands what --help shows after it ("[OPTIONS]
 * [FD...]"), flags are popt context flags.  Returns the context
 * positioned after the options, or NULL after printing the error (the
 * caller exits FDR_EXIT_USAGE).  *done is set when --help/--usage or
 * --version was handled (the caller exits 0).
 */
poptContext fdr_popt_parse(const char *name, const char *operands, int argc, const char **argv,
    const struct poptOption *table, unsigned int flags, int *done);

/* Popt table of options every subcommand takes (--version). */
extern struct poptOption fdr_common_options[];
/* The value poptGetNextOpt() returns for --version. */
#define FDR_OPT_VERSION 0x7601
void fdr_version(void);
/* Reports a popt error (rc < -1) for subcommand name; returns FDR_EXIT_USAGE. */
int fdr_popt_error(const char *name, poptContext con, int rc);

/*
 * Signals as events: fdr_sig_catch() routes the listed signals (0-ended)
 * to a close-on-exec self-pipe whose read end fdr_sig_fd() returns (a
 * forked child calling it again gets a pipe of its own);
 * fdr_sig_next() returns the next caught signal, 0 when none is pending.
 * fdr_sig_reset() restores default dispositions in a child;
 * fdr_sig_release() undoes fdr_sig_catch() and closes the pipe, so that a
 * command leaves nothing open behind it.
 */
int fdr_sig_catch(const int *signals);
int fdr_sig_fd(void);
int fdr_sig_next(void);
void fdr_sig_reset(void);
void fdr_sig_release(void);

/*
 * Raises this process's soft RLIMIT_NOFILE (toward the hard limit) so that
 * descriptors up to highest + margin fit.  Returns 0 or -1 (EMFILE).
 */
int fdr_nofile_need(long highest);
/* The soft limit this process started with (before fdr_nofile_need). */
long fdr_nofile_start(void);

/* Parses a non-negative decimal integer up to max; -1 for anything else. */
long fdr_parse_ulong(const char *s, long max);

/*
 * Parses a decimal number of seconds ("2", "0.25") into milliseconds.
 * Returns 0, or -1 for anything else (negative, garbage, overflow).
 */
int fdr_parse_seconds(const char *s, int *ms);

/*
 * Describes descriptor fd of process pid (0: this process) as one line
 * of text or one JSON object, with the given name (NULL: none) and a
 * newline, on out.  Returns 0, or -1 with errno when fd is not open.
 */
int describe_fd(FILE *out, pid_t pid, int fd, const char *name, int json);
/*
 * The same, described as a program would see it after receiving it as
 * descriptor shown: that number, not close-on-exec (shown < 0: as is).
 */
int describe_fd_as(FILE *out, pid_t pid, int fd, int shown, const char *name, int json);

#endif
