/* fdrelay.h - what the commands share: the command table, options, exit statuses, messages. */
#ifndef FDRELAY_H
#define FDRELAY_H

#include <popt.h>
#include <stdio.h>
#include <sys/types.h>

#include "policy.h"
#include "source.h"

/* Exit statuses (fdrelay(1), EXIT STATUS). */
#define FDR_EXIT_OK 0
#define FDR_EXIT_FAIL 1
#define FDR_EXIT_USAGE 2
#define FDR_EXIT_REFUSED 3
#define FDR_EXIT_TIMEOUT 124
#define FDR_EXIT_NOEXEC 126
#define FDR_EXIT_NOTFOUND 127

/*
 * Option codes: the val of every popt entry (popt hands each option to
 * opts_set() in main.c, which checks it and fills struct opts).  The
 * sources of descriptors have codes of their own (source.h).
 */
enum {
	OPT_HELP = 1, OPT_USAGE, OPT_VERSION,
	OPT_VERBOSE, OPT_JSON, OPT_TIMEOUT, OPT_RETRY, OPT_WAIT, OPT_STDIO,
	OPT_RAW, OPT_DGRAM, OPT_SEQPACKET, OPT_MESSAGE,
	OPT_KEEP_GOING, OPT_MAX_CHILDREN, OPT_MODE, OPT_MAX_FDS, OPT_READY_FD, OPT_INHERIT,
	OPT_ALLOW_UID, OPT_ALLOW_GID, OPT_ALLOW_ANY,
	OPT_PID, OPT_SOCKET,
	OPT_NOTIFY, OPT_TAKE_OVER, OPT_TTL, OPT_NO_POLL, OPT_REPLACE, OPT_TAKE, OPT_OWNER
};

/* Everything one command line said, checked: what each command reads, instead of globals. */
struct opts {
	const char *cmd;		/* "send", for messages */
	int verbose, json, retry, wait, stdio, raw, inherit, keep_going;
	int type;			/* SOCK_STREAM unless --seqpacket or --dgram */
	int dgram, seqpacket;		/* as given, to refuse both */
	int timeout_ms;			/* 0: not given */
	char *timeout_text;		/* as given */
	int max_children;		/* 0: not given */
	mode_t mode;
	long max_fds;			/* -1: not given */
	int ready_fd;			/* -1: not given */
	char *message;			/* --message, decoded; msglen bytes */
	long msglen;
	long pid;			/* describe --pid; 0: not given */
	char *socket;			/* describe --socket; NULL: not given */
	char *notify;			/* hold --notify; NULL: not given */
	int take_over, no_poll, replace, take;
	long long ttl_ms;		/* store --ttl; 0: not given */
	long owner;			/* fetch, drop, list --owner; -1: not given */
	struct policy policy;
	struct sources src;
	char **args;			/* operands (other than FILEs) */
	size_t nargs;
	char **program;			/* PROGRAM [ARG...] (NULL-ended), or NULL */
};

/*
 * A command, in the manner of tmux's cmd_entry: main.c parses its options
 * with its table (help, usage and errors the same way for every command),
 * then calls exec.
 */
struct cmd_entry {
	const char *name;
	const char *args;		/* what --help shows after the name */
	const char *summary;		/* one line, for fdrelay help */
	struct poptOption *options;
	int file_operands;		/* FILE operands, among the sources: after SOCKET (1), or all (2) */
	int takes_program;		/* CMD_PROGRAM_*: where PROGRAM [ARG...] starts, or 0 */
	int (*exec)(struct opts *o);
};

#define CMD_PROGRAM_AFTER_SOCKET 1	/* listen: SOCKET [--] PROGRAM */
#define CMD_PROGRAM_AFTER_DASHDASH 2	/* exec: ... -- PROGRAM */

extern const struct cmd_entry cmd_send_entry, cmd_listen_entry, cmd_recv_entry, cmd_describe_entry,
    cmd_exec_entry, cmd_hold_entry, cmd_store_entry, cmd_fetch_entry, cmd_drop_entry, cmd_list_entry;

/* listen's and recv's listener settings from o; 0 or FDR_EXIT_USAGE after a message. */
struct listener_cfg;
int listen_config(const struct opts *o, struct listener_cfg *cfg);

/* Option tables several commands include. */
extern struct poptOption fdr_common_options[];	/* -h, --usage, --version */
extern struct poptOption fdr_policy_options[];	/* --allow-uid, --allow-gid, --allow-any */
extern struct poptOption fdr_socket_options[];	/* listen's and recv's socket and sender options */

/*
 * Messages, each written to stderr with one write(2) so that lines of
 * several processes never interleave: "fdrelay: <formatted>: <strerror>"
 * (fdr_warn) or "fdrelay: <formatted>" (fdr_warnx).  errno is kept.
 */
void fdr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fdr_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Writes len bytes to standard output with write(2), whole (retrying
 * short writes and EINTR); -1 with errno EBADF when fdrelay was started
 * with it closed.
 */
int fdr_write_out(const void *buf, size_t len);
/* Says that writing to standard output failed (cmd: "recv", or NULL), and why. */
void fdr_warn_stdout(const char *cmd);

/*
 * Once, at start: a placeholder on each of 0, 1, 2 that is closed, so that
 * nothing of fdrelay's own takes the number; using it fails with EBADF.
 */
void fdr_std_guard(void);
/* 1 if standard descriptor fd was closed when fdrelay started. */
int fdr_std_closed(int fd);
/* 1 if descriptor fd is open (and not such a placeholder). */
int fdr_fd_open(int fd);

/*
 * Raises this process's soft RLIMIT_NOFILE (toward the hard limit) so that
 * descriptors up to highest + 64 fit.  Returns 0 or -1 (EMFILE).
 */
int fdr_nofile_need(long highest);
/* The soft limit this process started with (before fdr_nofile_need). */
long fdr_nofile_start(void);

#endif
