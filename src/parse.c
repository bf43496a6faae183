/* parse.c - pure parsers: numbers, seconds, modes, names, UTF-8, escapes. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "parse.h"

static int fail(int e)
{
	errno = e;
	return -1;
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

long parse_ulong(const char *s, long max)
{
	long v = 0;

	if (!s || !digit(*s))
		return fail(EINVAL);
	for (; digit(*s); s++) {
		if (v > (LONG_MAX - (*s - '0')) / 10)
			return fail(ERANGE);
		v = v * 10 + (*s - '0');
	}
	if (*s)
		return fail(EINVAL);
	return v > max ? fail(ERANGE) : v;
}

int parse_seconds(const char *s, int *ms)
{
	long long v = 0;
	int frac = 0, below = 0;

	if (!s || !(digit(*s) || (s[0] == '.' && digit(s[1]))))
		return fail(EINVAL);
	for (; digit(*s); s++)
		if ((v = v * 10 + (*s - '0')) > INT_MAX / 1000)
			return fail(ERANGE);
	v *= 1000;
	if (*s == '.') {
		if (!digit(*++s))
			return fail(EINVAL);
		/* Digits below a millisecond round up, once. */
		for (int scale = 100; digit(*s); s++, scale /= 10)
			if (scale)
				frac += (*s - '0') * scale;
			else
				below |= *s != '0';
	}
	if (*s)
		return fail(EINVAL);
	if (v + frac + below > INT_MAX)
		return fail(ERANGE);
	*ms = (int)(v + frac + below);
	return 0;
}

int parse_mode(const char *s, mode_t *mode)
{
	unsigned v = 0;

	if (!s || !*s)
		return fail(EINVAL);
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return fail(EINVAL);
		if ((v = v * 8 + (unsigned)(*s - '0')) > 0777)
			return fail(ERANGE);
	}
	*mode = (mode_t)v;
	return 0;
}

size_t parse_utf8_len(const unsigned char *p, size_t n)
{
	unsigned int c, min;
	size_t len;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

int parse_text_ok(const void *s, size_t len)
{
	const unsigned char *p = s;

	for (size_t i = 0, k; i < len; i += k)
		if (p[i] == 0 || (k = parse_utf8_len(p + i, len - i)) == 0)
			return 0;
	return 1;
}

static int hexval(char c)
{
	if (digit(c))
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

long parse_unescape(const char *s, char *out)
{
	long n = 0;

	while (*s) {
		int v, d;

		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		switch (*++s) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case '\\': out[n++] = '\\'; break;
		case '0': out[n++] = '\0'; break;
		case 'x':
			if ((v = hexval(s[1])) == -1)
				return fail(EINVAL);
			if ((d = hexval(s[2])) != -1) {
				v = v * 16 + d;
				s++;
			}
			s++;
			out[n++] = (char)v;
			break;
		default:
			return fail(EINVAL);
		}
		s++;
	}
	return n;
}

size_t parse_name_make(const char *text, size_t len, char *out)
{
	if (len > PARSE_NAME_MAX)
		len = PARSE_NAME_MAX;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		out[i] = c <= ' ' || c > '~' || c == ':' ? '_' : (char)c;
	}
	out[len] = '\0';
	return len;
}

const char *parse_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

int parse_address(const char *s, struct parse_addr *a, const char **why)
{
	const char *colon, *host;
	size_t hostlen;
	long port;

	memset(a, 0, sizeof(*a));
	*why = "expected tcp:HOST:PORT, udp:HOST:PORT, unix:PATH or unix:@NAME";
	if (!strncmp(s, "unix:", 5)) {
		a->kind = PARSE_ADDR_UNIX;
		a->path = s + 5;
		if (!a->path[0] || !strcmp(a->path, "@")) {
			*why = "unix: needs a PATH or @NAME";
			return fail(EINVAL);
		}
		return 0;
	}
	if (!strncmp(s, "tcp:", 4))
		a->kind = PARSE_ADDR_TCP;
	else if (!strncmp(s, "udp:", 4))
		a->kind = PARSE_ADDR_UDP;
	else
		return fail(EINVAL);
	host = s + 4;
	colon = strrchr(host, ':');
	if (!colon) {
		*why = "no :PORT (0 picks a free one)";
		return fail(EINVAL);
	}
	hostlen = (size_t)(colon - host);
	if (hostlen && host[0] == '[') {
		if (host[hostlen - 1] != ']' || hostlen < 3) {
			*why = "an IPv6 address goes in brackets: [::1]";
			return fail(EINVAL);
		}
		host++;
		hostlen -= 2;
	} else if (memchr(host, ':', hostlen)) {
		*why = "an IPv6 address goes in brackets: tcp:[::1]:PORT";
		return fail(EINVAL);
	}
	if (hostlen >= sizeof(a->host)) {
		*why = "the host is too long";
		return fail(EINVAL);
	}
	if ((port = parse_ulong(colon + 1, 65535)) == -1) {
		*why = "PORT is a number from 0 to 65535";
		return fail(EINVAL);
	}
	memcpy(a->host, host, hostlen);
	a->host[hostlen] = '\0';
	if (!strcmp(a->host, "*"))
		a->host[0] = '\0';
	a->port = (unsigned)port;
	return 0;
}
