/* source.h - where the descriptors a command hands on come from: files, inherited ones, stdio. */
#ifndef FDRELAY_SOURCE_H
#define FDRELAY_SOURCE_H

#include <popt.h>
#include <stddef.h>

enum source_kind {
	SOURCE_READ = 1,	/* FILE operand, -r */
	SOURCE_WRITE,		/* -w: create, truncate */
	SOURCE_APPEND,		/* -a: create, O_APPEND */
	SOURCE_RDWR,		/* -u: create, read-write */
	SOURCE_FD,		/* -d N: inherited */
	SOURCE_STDIN,		/* -i, -s */
	SOURCE_STDOUT,		/* -o, -s */
	SOURCE_STDERR,		/* -e, -s */
	SOURCE_LISTEN,		/* -l ADDRESS: a socket made here */
	SOURCE_GRAB		/* -g PID:FD: a copy of another process's descriptor */
};

/* One descriptor to hand on, in command-line order. */
struct source {
	enum source_kind kind;
	char *path;		/* what to open (the ADDRESS of -l); NULL for inherited ones */
	int fd;			/* -1 until opened; the inherited number */
	long pid;		/* -g: PID */
	int target;		/* -g: FD, the number in PID */
	int owned;		/* opened here: closed by sources_free */
	char *name;		/* NULL until given or defaulted */
};

struct sources {
	struct source *v;
	size_t n;
};

/*
 * The options of every command that takes descriptors (send, exec; later
 * store): their val is a SOURCE_OPT_* code for source_option().
 * source_stdio_option is -s, --stdio as a source (send's); exec has a
 * --stdio of its own.
 */
extern struct poptOption source_options[];
extern struct poptOption source_stdio_option[];
#define SOURCE_OPT_FILE 0x200	/* a FILE operand */
#define SOURCE_OPT_NAME 0x2ff	/* -n: names the one before */
/* The others are SOURCE_OPT_FILE + kind, and SOURCE_OPT_STDIO for -s. */
#define SOURCE_OPT_STDIO 0x2fe
int source_is_option(int code);

/*
 * Adds what option code (with arg, or a FILE operand) says to s.  Returns
 * 0, or an exit status after a message naming cmd.
 */
int source_option(struct sources *s, int code, const char *arg, const char *cmd);

/*
 * Checks that every inherited descriptor is open, before anything of the
 * command's own could take a closed number and be sent in its place, then
 * opens every file (in order; a FIFO waits for its other end, which the
 * caller's deadline bounds: while it waits, a timeout says timeout_prefix
 * and what it was opening, when timeout_prefix is not NULL), makes the
 * sockets of -l (saying where with verbose), takes the copies of -g, and
 * gives every descriptor without a name its default one.  Returns 0, or an
 * exit status after a message.
 */
int sources_open(struct sources *s, const char *cmd, const char *timeout_prefix, int verbose);

/*
 * The descriptors and their names, in order, as two malloc'ed arrays
 * (borrowed values: free the arrays only).  Returns 0 or -1 (ENOMEM).
 */
int sources_arrays(const struct sources *s, int **fds, char ***names);

/* Closes what was opened here and frees everything. */
void sources_free(struct sources *s);

#endif
