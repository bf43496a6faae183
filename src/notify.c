/* notify.c - systemd's notify messages (sd_notify(3)): the file descriptor store's part, parsed without sockets. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "notify.h"

#define NOTIFY_QUOTE_MAX 40	/* bytes of user text quoted in why */

static int notify_fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* vsnprintf cuts at whylen and always terminates, so why never overflows. */
static int notify_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

/*
 * User text for why: the sender chose it, so it may hold anything; it is
 * cut to NOTIFY_QUOTE_MAX bytes and every unprintable byte becomes '?'.
 */
static const char *notify_quote(char out[NOTIFY_QUOTE_MAX + 4], const char *p, size_t n)
{
	size_t i, k = n > NOTIFY_QUOTE_MAX ? NOTIFY_QUOTE_MAX : n;

	for (i = 0; i < k; i++)
		out[i] = (unsigned char)p[i] >= 0x20 && (unsigned char)p[i] <= 0x7e ? p[i] : '?';
	strcpy(out + k, n > k ? "..." : "");
	return out;
}

/*
 * The length of the UTF-8 sequence at p (n bytes left), or 0 when it is
 * not one: the second byte's range rules out overlongs (E0, F0),
 * surrogates (ED) and code points above U+10FFFF (F4); C0, C1 and F5..FF
 * never lead.
 */
static size_t notify_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len, i;

	len = p[0] < 0x80 ? 1 : p[0] < 0xC2 ? 0 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : p[0] < 0xF5 ? 4 : 0;
	if (len <= 1)
		return len;
	if (p[0] == 0xE0)
		lo = 0xA0;
	else if (p[0] == 0xED)
		hi = 0x9F;
	else if (p[0] == 0xF0)
		lo = 0x90;
	else if (p[0] == 0xF4)
		hi = 0x8F;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return len;
}

/* The whole message first, so that the lines below are text without NUL. */
static int notify_check_bytes(const unsigned char *p, size_t len, char *why, size_t whylen)
{
	size_t i = 0, n;

	while (i < len) {
		if (p[i] == '\0')
			return notify_fail(why, whylen, "NUL at byte %zu", i);
		n = notify_utf8_len(p + i, len - i);
		if (n == 0)
			return notify_fail(why, whylen, "invalid UTF-8 at byte %zu", i);
		i += n;
	}
	return 0;
}

/* [A-Z0-9_]+ not starting with a digit, as environment variables are. */
static int notify_var_valid(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || p[i] == '_' ||
		    (i > 0 && p[i] >= '0' && p[i] <= '9')))
			return 0;
	return n > 0;
}

static int notify_is(const char *var, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(var, want, n) == 0;
}

/* FDSTORE, FDSTOREREMOVE and FDPOLL: "0" or "1", nothing looser. */
static int notify_bool(const char *var, const char *val, size_t n, int *out,
    char *why, size_t whylen)
{
	char q[NOTIFY_QUOTE_MAX + 4];

	if (n != 1 || (val[0] != '0' && val[0] != '1'))
		return notify_fail(why, whylen, "%s: '%s' is not 0 or 1", var,
		    notify_quote(q, val, n));
	*out = val[0] == '1';
	return 0;
}

/* One non-empty line: VAR=VALUE. */
static int notify_line(struct notify_msg *m, size_t lineno, const char *p, size_t n,
    char *why, size_t whylen)
{
	const char *eq = memchr(p, '=', n), *val;
	char q[NOTIFY_QUOTE_MAX + 4];
	size_t vn, vl;

	if (eq == NULL)
		return notify_fail(why, whylen, "line %zu: no '=' in '%s'", lineno,
		    notify_quote(q, p, n));
	vn = (size_t)(eq - p);
	val = eq + 1;
	vl = n - vn - 1;
	if (!notify_var_valid(p, vn))
		return notify_fail(why, whylen,
		    "line %zu: '%s' is not a variable name ([A-Z_][A-Z0-9_]*)",
		    lineno, notify_quote(q, p, vn));
	m->nassign++;
	if (notify_is(p, vn, "FDSTORE"))
		return notify_bool("FDSTORE", val, vl, &m->fdstore, why, whylen);
	if (notify_is(p, vn, "FDSTOREREMOVE"))
		return notify_bool("FDSTOREREMOVE", val, vl, &m->fdstoreremove, why, whylen);
	if (notify_is(p, vn, "FDPOLL"))
		return notify_bool("FDPOLL", val, vl, &m->fdpoll, why, whylen);
	if (!notify_is(p, vn, "FDNAME"))
		return 0;
	/* Every FDNAME= must be valid, not only the last one, which counts. */
	if (vl <= PROTO_NAME_MAX) {
		memcpy(m->name, val, vl);
		m->name[vl] = '\0';
	}
	if (vl > PROTO_NAME_MAX || !proto_name_valid(m->name))
		return notify_fail(why, whylen,
		    "FDNAME: '%s' is not a valid name (1-255 printable characters, no ':')",
		    notify_quote(q, val, vl));
	m->name_given = 1;
	return 0;
}

int notify_parse(const char *buf, size_t len, struct notify_msg *m, char *why, size_t whylen)
{
	struct notify_msg t = { .fdpoll = 1, .name = "stored" };
	size_t start = 0, end, lineno = 1;
	const char *nl;

	if (notify_check_bytes((const unsigned char *)buf, len, why, whylen) != 0)
		return -1;
	/* Lines end at '\n' or at the end; empty ones (and a final '\n') are skipped. */
	for (; start < len; start = end + 1, lineno++) {
		nl = memchr(buf + start, '\n', len - start);
		end = nl != NULL ? (size_t)(nl - buf) : len;
		if (end > start && notify_line(&t, lineno, buf + start, end - start, why, whylen) != 0)
			return -1;
	}
	if (t.nassign == 0)
		return notify_fail(why, whylen, "empty message");
	if (t.fdstoreremove && !t.name_given)
		return notify_fail(why, whylen, "FDSTOREREMOVE=1 without FDNAME=");
	*m = t;
	return 0;
}
