/* test-parse.c - unit tests of the pure parsers (src/parse.c). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "parse.h"
#include "tap.h"

static void test_ulong(void)
{
	ok(parse_ulong("0", 10) == 0 && parse_ulong("10", 10) == 10 && parse_ulong("007", 10) == 7,
	    "parse_ulong takes decimal digits up to and including max");
	errno = 0;
	ok(parse_ulong("11", 10) == -1 && errno == ERANGE, "parse_ulong refuses a number above max with ERANGE");
	errno = 0;
	ok(parse_ulong("99999999999999999999999", LONG_MAX) == -1 && errno == ERANGE,
	    "parse_ulong refuses a number that overflows a long with ERANGE");
	for (const char *const *s = (const char *const[]){ "", "-1", "+1", " 1", "1 ", "0x10", "1e3", "a", NULL }; *s; s++) {
		errno = 0;
		ok(parse_ulong(*s, 100) == -1 && errno == EINVAL, "parse_ulong refuses '%s' with EINVAL", *s);
	}
	ok(parse_ulong(NULL, 1) == -1, "parse_ulong refuses NULL");
}

static void test_seconds(void)
{
	static const struct {
		const char *s;
		int ms;
	} good[] = {
		{ "2", 2000 }, { "0.25", 250 }, { ".5", 500 }, { "1.5", 1500 }, { "0.001", 1 },
		{ "0.0001", 1 }, { "0.0010001", 2 }, { "0.0000", 0 }, { "2147483", 2147483000 },
	};
	static const char *const bad[] = { "", ".", "1.", "-1", "+1", "1e3", "inf", "nan", "1,5", "1.2.3",
		" 1", "2147484", "99999999999", NULL };
	int ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = -1;
		ok(parse_seconds(good[i].s, &ms) == 0 && ms == good[i].ms,
		    "'%s' seconds is %d ms (got %d)", good[i].s, good[i].ms, ms);
	}
	for (const char *const *s = bad; *s; s++) {
		ms = -7;
		ok(parse_seconds(*s, &ms) == -1 && ms == -7, "'%s' is not a number of seconds, and ms is untouched", *s);
	}
}

static void test_mode(void)
{
	mode_t m = 0;

	ok(parse_mode("0600", &m) == 0 && m == 0600 && parse_mode("777", &m) == 0 && m == 0777 &&
	    parse_mode("0", &m) == 0 && m == 0, "parse_mode takes octal permissions up to 0777");
	for (const char *const *s = (const char *const[]){ "", "1000", "0800", "8", "rw", "-1", "0x1", NULL }; *s; s++)
		ok(parse_mode(*s, &m) == -1, "parse_mode refuses '%s'", *s);
}

static void test_utf8(void)
{
	static const struct {
		const char *s;
		size_t len;
		int ok;
	} cases[] = {
		{ "plain ascii", 11, 1 }, { "caf\xc3\xa9", 5, 1 }, { "\xe2\x82\xac", 3, 1 },
		{ "\xf0\x9f\x98\x80", 4, 1 }, { "", 0, 1 },
		{ "a\0b", 3, 0 }, { "\xc3", 1, 0 }, { "\xc0\xaf", 2, 0 }, { "\xe0\x80\xaf", 3, 0 },
		{ "\xed\xa0\x80", 3, 0 }, { "\xf4\x90\x80\x80", 4, 0 }, { "\xff", 1, 0 }, { "\x80", 1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(parse_text_ok(cases[i].s, cases[i].len) == cases[i].ok,
		    "text case %zu (%zu bytes) is %s", i, cases[i].len,
		    cases[i].ok ? "NUL-free UTF-8" : "refused (NUL, truncated, overlong, surrogate or out of range)");
	ok(parse_utf8_len((const unsigned char *)"\xe2\x82\xac!", 4) == 3 &&
	    parse_utf8_len((const unsigned char *)"\xe2\x82", 2) == 0 &&
	    parse_utf8_len((const unsigned char *)"x", 0) == 0,
	    "parse_utf8_len measures one sequence and never reads past n");
}

static void test_unescape(void)
{
	char out[64];
	long n;

	n = parse_unescape("FDSTORE=1\\nFDNAME=db", out);
	ok(n == 19 && !memcmp(out, "FDSTORE=1\nFDNAME=db", 19), "\\n decodes to a newline");
	n = parse_unescape("a\\tb\\\\c\\0d\\x41\\x7e\\x7", out);
	ok(n == 10 && !memcmp(out, "a\tb\\c\0dA~\x07", 10), "\\t \\\\ \\0 \\xHH and \\xH decode");
	ok(parse_unescape("", out) == 0, "an empty text decodes to nothing");
	for (const char *const *s = (const char *const[]){ "\\", "\\q", "\\xg", "end\\", NULL }; *s; s++) {
		errno = 0;
		ok(parse_unescape(*s, out) == -1 && errno == EINVAL, "'%s' is an invalid escape (EINVAL)", *s);
	}
}

static void test_names(void)
{
	char out[PARSE_NAME_MAX + 1], big[600];

	ok(parse_name_make("app.log", 7, out) == 7 && !strcmp(out, "app.log"), "a plain name is kept");
	ok(parse_name_make("a b:c\td\xc3\xa9", 9, out) == 9 && !strcmp(out, "a_b_c_d__"),
	    "space, ':', control and non-ASCII bytes become '_'");
	memset(big, 'x', sizeof(big));
	ok(parse_name_make(big, sizeof(big), out) == PARSE_NAME_MAX && strlen(out) == PARSE_NAME_MAX,
	    "a long name is cut to %d bytes", PARSE_NAME_MAX);
	ok(parse_name_make("", 0, out) == 0 && out[0] == '\0', "empty text makes an empty name");
	ok(!strcmp(parse_basename("/a/b/c.txt"), "c.txt") && !strcmp(parse_basename("c"), "c") &&
	    !strcmp(parse_basename("dir/"), "dir/"), "parse_basename takes the last component");
}

static void test_address(void)
{
	static const struct {
		const char *s;
		int kind;
		const char *host, *path;
		unsigned port;
	} good[] = {
		{ "tcp:127.0.0.1:8080", PARSE_ADDR_TCP, "127.0.0.1", NULL, 8080 },
		{ "udp:localhost:0", PARSE_ADDR_UDP, "localhost", NULL, 0 },
		{ "tcp:[::1]:65535", PARSE_ADDR_TCP, "::1", NULL, 65535 },
		{ "tcp::80", PARSE_ADDR_TCP, "", NULL, 80 },
		{ "tcp:*:80", PARSE_ADDR_TCP, "", NULL, 80 },
		{ "unix:/run/x.sock", PARSE_ADDR_UNIX, "", "/run/x.sock", 0 },
		{ "unix:@name", PARSE_ADDR_UNIX, "", "@name", 0 },
	};
	static const char *const bad[] = { "tcp:127.0.0.1", "tcp:::1:80", "tcp:[::1:80", "tcp:[]:80",
		"tcp:h:65536", "tcp:h:-1", "tcp:h:x", "tcp:h:", "sctp:h:1", "127.0.0.1:80", "unix:", "unix:@",
		"", NULL };
	struct parse_addr a;
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(parse_address(good[i].s, &a, &why) == 0 && (int)a.kind == good[i].kind &&
		    !strcmp(a.host, good[i].host) && a.port == good[i].port &&
		    (good[i].path ? a.path && !strcmp(a.path, good[i].path) : !a.path),
		    "--listen-on '%s' parses", good[i].s);
	for (const char *const *s = bad; *s; s++) {
		why = NULL;
		ok(parse_address(*s, &a, &why) == -1 && errno == EINVAL && why && *why,
		    "--listen-on '%s' is refused, saying why (%s)", *s, why ? why : "-");
	}
}

int main(void)
{
	test_ulong();
	test_seconds();
	test_mode();
	test_utf8();
	test_unescape();
	test_names();
	test_address();
	return done_testing();
}
