/* parse.h - pure parsers: numbers, seconds, modes, names, UTF-8, escapes. */
#ifndef FDRELAY_PARSE_H
#define FDRELAY_PARSE_H

/*
 * Convention: a parser returns 0 (or a value >= 0) on success and -1 with
 * errno EINVAL (malformed) or ERANGE (out of range) on failure.  Nothing
 * here does I/O, allocates, or keeps state, so all of it is unit-tested in
 * tests/test-parse.c and safe to call anywhere.
 */

#include <stddef.h>
#include <sys/types.h>

/* Longest descriptor name: LISTEN_FDNAMES allows 255 bytes. */
#define PARSE_NAME_MAX 255

/* A decimal integer 0..max, digits only (no sign, space or base prefix). */
long parse_ulong(const char *s, long max);

/*
 * A number of seconds, "2", "0.25" or ".5" (digits and one '.', no
 * exponent, sign or locale comma), into milliseconds, rounding a fraction
 * below a millisecond up.  At most INT_MAX milliseconds.
 */
int parse_seconds(const char *s, int *ms);

/* Permissions as octal digits, at most 0777. */
int parse_mode(const char *s, mode_t *mode);

/* Length of the valid UTF-8 sequence at p (n bytes available), or 0. */
size_t parse_utf8_len(const unsigned char *p, size_t n);

/* 1 if the len bytes at s are valid UTF-8 without a NUL byte, else 0. */
int parse_text_ok(const void *s, size_t len);

/*
 * Decodes the C escapes \n \t \\ \0 \xH and \xHH of s into out (room for
 * strlen(s) bytes suffices).  Returns the length, or -1 (EINVAL) for any
 * other escape or a lone backslash at the end.
 */
long parse_unescape(const char *s, char *out);

/*
 * Makes a default descriptor name out of len bytes of text: every byte
 * outside 0x21..0x7E, and ':', becomes '_' (space too: a default name
 * should survive a shell's word splitting), and the result is cut to
 * PARSE_NAME_MAX bytes.  out has room for PARSE_NAME_MAX + 1 bytes and is
 * NUL-terminated.  Returns the length (0 for empty text).
 */
size_t parse_name_make(const char *text, size_t len, char *out);

/* The last component of path: after its last '/', or all of it when none or when path ends in '/'. */
const char *parse_basename(const char *path);

/* What --listen-on=ADDRESS asks for. */
enum parse_addr_kind {
	PARSE_ADDR_TCP = 1,	/* tcp:HOST:PORT, listening */
	PARSE_ADDR_UDP,		/* udp:HOST:PORT, bound */
	PARSE_ADDR_UNIX		/* unix:PATH or unix:@NAME, listening */
};

struct parse_addr {
	enum parse_addr_kind kind;
	char host[256];		/* tcp, udp: the host, brackets removed; "" for any */
	unsigned port;		/* tcp, udp: 0 picks a free port */
	const char *path;	/* unix: PATH or @NAME, pointing into the text parsed */
};

/*
 * Parses an ADDRESS of --listen-on: tcp:HOST:PORT, udp:HOST:PORT (HOST an
 * IPv4 address, [IPv6], a name, or empty or * for any), unix:PATH or
 * unix:@NAME.  Returns 0, or -1 (EINVAL) with *why saying what is wrong.
 */
int parse_address(const char *s, struct parse_addr *a, const char **why);

#endif
