/* test-notify.c - unit tests of the notify message parser (src/notify.c). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"
#include "tap.h"

static struct notify_msg msg;
static char why[300];

/* Parses len bytes of s into msg; returns 0, or errno with why set. */
static int parse_n(const char *s, size_t len)
{
	memset(&msg, 0x5A, sizeof(msg));
	memset(why, 0, sizeof(why));
	errno = 0;
	return notify_parse(s, len, &msg, why, sizeof(why)) == 0 ? 0 : errno;
}

static int parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* Fails with EINVAL and exactly the reason want. */
static int refused(const char *s, const char *want)
{
	if (parse(s) != EINVAL)
		return 0;
	if (strcmp(why, want) != 0) {
		diag("why: '%s', expected '%s'", why, want);
		return 0;
	}
	return 1;
}

/* 1 if why is NUL-terminated within whylen and all printable ASCII. */
static int why_sane(const char *w, size_t whylen)
{
	size_t i;

	for (i = 0; i < whylen && w[i] != '\0'; i++)
		if (w[i] < 0x20 || w[i] > 0x7e)
			return 0;
	return i < whylen;
}

/* What sd_pid_notify_with_fds and python-systemd's notify() send. */
static void test_senders(void)
{
	ok(parse("FDSTORE=1\nFDNAME=web") == 0 && msg.fdstore == 1 && msg.fdstoreremove == 0 &&
	    msg.fdpoll == 1 && msg.name_given && strcmp(msg.name, "web") == 0 && msg.nassign == 2,
	    "FDSTORE=1 FDNAME=web: store 'web', polled");
	ok(parse("FDSTORE=1\nFDNAME=web\nFDPOLL=0") == 0 && msg.fdstore && msg.fdpoll == 0 &&
	    strcmp(msg.name, "web") == 0 && msg.nassign == 3,
	    "FDSTORE=1 FDNAME=web FDPOLL=0: store 'web', not polled");
	ok(parse("FDSTORE=1\nFDNAME=web\n") == 0 && strcmp(msg.name, "web") == 0 && msg.nassign == 2,
	    "a trailing newline is accepted");
	ok(parse("FDSTORE=1") == 0 && msg.fdstore && !msg.name_given &&
	    strcmp(msg.name, "stored") == 0 && msg.fdpoll == 1,
	    "FDSTORE=1 alone: the default name 'stored' and FDPOLL 1");
	ok(parse("FDSTOREREMOVE=1\nFDNAME=web") == 0 && msg.fdstoreremove && !msg.fdstore &&
	    strcmp(msg.name, "web") == 0,
	    "FDSTOREREMOVE=1 FDNAME=web (systemd's notify_remove_fd_warn)");
	ok(parse("READY=1\nSTATUS=Serving on port 80, 100% happy = yes\nFDSTORE=1") == 0 &&
	    msg.nassign == 3 && msg.fdstore,
	    "READY=1 and STATUS=... (with '=' in the value) are counted in nassign and ignored");
	ok(parse("READY=1") == 0 && msg.nassign == 1 && !msg.fdstore && !msg.fdstoreremove &&
	    msg.fdpoll == 1 && strcmp(msg.name, "stored") == 0,
	    "READY=1 alone is valid and asks nothing of the store");
	ok(parse("STATUS=d\xc3\xa9j\xc3\xa0 vu \xe2\x82\xac \xf0\x9f\x92\xbe\nFDSTORE=1") == 0,
	    "UTF-8 of 2, 3 and 4 bytes in a value is valid");
	ok(parse("STATUS=\nFDSTORE=0") == 0 && msg.nassign == 2 && msg.fdstore == 0,
	    "an empty value of another variable and FDSTORE=0 are valid");
	ok(parse("_X1=a\nA_9=b\nFDSTORE=1") == 0 && msg.nassign == 3,
	    "variable names may start with '_' and hold digits");
}

static void test_lines(void)
{
	ok(parse("\n\nFDSTORE=1\n\n\nFDNAME=a\n\n") == 0 && msg.nassign == 2 &&
	    strcmp(msg.name, "a") == 0,
	    "empty lines are ignored");
	ok(parse("FDNAME=a\nFDNAME=b\nFDNAME=c") == 0 && strcmp(msg.name, "c") == 0,
	    "of three FDNAME= the last counts");
	ok(parse("FDSTORE=1\nFDSTORE=0") == 0 && msg.fdstore == 0 &&
	    parse("FDSTORE=0\nFDSTORE=1") == 0 && msg.fdstore == 1,
	    "of two FDSTORE= the last counts");
	ok(parse("FDPOLL=0\nFDPOLL=1") == 0 && msg.fdpoll == 1 &&
	    parse("FDPOLL=1\nFDPOLL=0") == 0 && msg.fdpoll == 0,
	    "of two FDPOLL= the last counts");
	ok(parse("FDSTOREREMOVE=1\nFDSTOREREMOVE=0") == 0 && msg.fdstoreremove == 0,
	    "FDSTOREREMOVE=1 then =0 without FDNAME= is valid: the last counts");
	ok(parse("FDNAME=x\nFDSTOREREMOVE=1") == 0 && msg.fdstoreremove && strcmp(msg.name, "x") == 0,
	    "FDNAME= may come before FDSTOREREMOVE=1");
}

static void test_names(void)
{
	char buf[300];
	size_t i;

	memcpy(buf, "FDNAME=", 7);
	for (i = 0; i < 256; i++)
		buf[7 + i] = (char)('a' + i % 26);
	buf[7 + 255] = '\0';
	ok(parse(buf) == 0 && strlen(msg.name) == 255 && memcmp(msg.name, buf + 7, 255) == 0,
	    "a 255-character FDNAME= is valid");
	buf[7 + 255] = 'x';
	buf[7 + 256] = '\0';
	ok(parse(buf) == EINVAL && why_sane(why, sizeof(why)) && strstr(why, "...") != NULL,
	    "a 256-character FDNAME= is invalid (why quotes it cut: %s)", why);
	ok(parse("FDNAME=a b~!#") == 0 && strcmp(msg.name, "a b~!#") == 0,
	    "FDNAME= with spaces and punctuation is valid");
	ok(refused("FDSTORE=1\nFDNAME=a:b",
	    "FDNAME: 'a:b' is not a valid name (1-255 printable characters, no ':')"),
	    "FDNAME= containing ':' is invalid");
	ok(refused("FDSTORE=1\nFDNAME=",
	    "FDNAME: '' is not a valid name (1-255 printable characters, no ':')"),
	    "an empty FDNAME= is invalid");
	ok(refused("FDNAME=a\tb", "FDNAME: 'a?b' is not a valid name (1-255 printable characters, no ':')"),
	    "FDNAME= with a tab is invalid, quoted with '?'");
	ok(refused("FDNAME=caf\xc3\xa9",
	    "FDNAME: 'caf?" "?' is not a valid name (1-255 printable characters, no ':')"),
	    "FDNAME= with valid UTF-8 outside ASCII is invalid");
	ok(parse("FDNAME=a:b\nFDNAME=ok") == EINVAL,
	    "an invalid FDNAME= is refused even when a valid one follows");
}

static void test_invalid(void)
{
	ok(parse_n("", 0) == EINVAL && strcmp(why, "empty message") == 0, "an empty message is invalid");
	ok(refused("\n\n", "empty message"), "a message of empty lines is invalid");
	ok(refused("FDSTORE=1\nFOO", "line 2: no '=' in 'FOO'"), "a line without '=' is invalid");
	ok(refused("\nFDSTORE=1\n\nFOO\n", "line 4: no '=' in 'FOO'"),
	    "line numbers count the empty lines");
	ok(refused("fdstore=1", "line 1: 'fdstore' is not a variable name ([A-Z_][A-Z0-9_]*)"),
	    "a lower-case variable name is invalid");
	ok(refused("1FD=1", "line 1: '1FD' is not a variable name ([A-Z_][A-Z0-9_]*)"),
	    "a variable name starting with a digit is invalid");
	ok(refused("=1", "line 1: '' is not a variable name ([A-Z_][A-Z0-9_]*)"),
	    "an empty variable name is invalid");
	ok(refused("FD STORE=1", "line 1: 'FD STORE' is not a variable name ([A-Z_][A-Z0-9_]*)"),
	    "a variable name with a space is invalid");
	ok(refused("FDSTORE=1\r\nFDNAME=a", "FDSTORE: '1?' is not 0 or 1"),
	    "a CR before the newline is part of the value, quoted as '?'");
	ok(refused("FDPOLL=2", "FDPOLL: '2' is not 0 or 1"), "FDPOLL=2 is invalid");
	ok(refused("FDPOLL=", "FDPOLL: '' is not 0 or 1"), "an empty FDPOLL= is invalid");
	ok(refused("FDPOLL=yes", "FDPOLL: 'yes' is not 0 or 1"), "FDPOLL=yes is invalid");
	ok(refused("FDSTORE=01", "FDSTORE: '01' is not 0 or 1"), "FDSTORE=01 is invalid");
	ok(refused("FDSTOREREMOVE=true", "FDSTOREREMOVE: 'true' is not 0 or 1"),
	    "FDSTOREREMOVE=true is invalid");
	ok(refused("FDSTOREREMOVE=1", "FDSTOREREMOVE=1 without FDNAME="),
	    "FDSTOREREMOVE=1 without FDNAME= is invalid");
	ok(parse_n("FDSTORE=1\0FDNAME=a", 18) == EINVAL && strcmp(why, "NUL at byte 9") == 0,
	    "a NUL byte is invalid (%s)", why);
	ok(parse_n("FDSTORE=1\n\0", 11) == EINVAL && strcmp(why, "NUL at byte 10") == 0,
	    "a trailing NUL byte is invalid");
}

static void test_utf8(void)
{
	static const struct {
		const char *s;
		const char *what;
	} bad[] = {
		{ "STATUS=\xc0\xaf", "an overlong '/' (C0 AF)" },
		{ "STATUS=\xc1\xbf", "an overlong 2-byte form (C1 BF)" },
		{ "STATUS=\xe0\x80\xaf", "an overlong 3-byte form (E0 80 AF)" },
		{ "STATUS=\xe0\x9f\xbf", "an overlong 3-byte form (E0 9F BF)" },
		{ "STATUS=\xf0\x8f\xbf\xbf", "an overlong 4-byte form (F0 8F BF BF)" },
		{ "STATUS=\xed\xa0\x80", "a surrogate U+D800 (ED A0 80)" },
		{ "STATUS=\xed\xbf\xbf", "a surrogate U+DFFF (ED BF BF)" },
		{ "STATUS=\xf4\x90\x80\x80", "U+110000 (F4 90 80 80)" },
		{ "STATUS=\xf5\x80\x80\x80", "a lead byte F5" },
		{ "STATUS=\xff", "the byte FF" },
		{ "STATUS=\x80", "a lone continuation byte" },
		{ "STATUS=\xc3", "a 2-byte sequence cut at the end" },
		{ "STATUS=\xe2\x82", "a 3-byte sequence cut at the end" },
		{ "STATUS=\xf0\x9f\x92", "a 4-byte sequence cut at the end" },
		{ "STATUS=\xe2\x82\nX=1", "a 3-byte sequence cut by a newline" },
		{ "STATUS=\xc3" "A", "a 2-byte sequence with an ASCII second byte" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(refused(bad[i].s, "invalid UTF-8 at byte 7"), "invalid UTF-8: %s", bad[i].what);
	ok(parse("STATUS=\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\xe0\xa0\x80\xf0\x90\x80\x80") == 0,
	    "U+D7FF, U+E000, U+10FFFF, U+0800 and U+10000 are valid");
	ok(refused("READY=1\nSTATUS=ok \xc3\xa9\xff", "invalid UTF-8 at byte 20"),
	    "the byte counted is the offset of the bad sequence from 0");
}

/* why: within whylen, terminated, printable; untouched for whylen 0. */
static void test_why(void)
{
	static const char *const bad[] = {
		"FDNAME=a:b", "\x01\x02\x03", "FDPOLL=\x7f\x7f\x7f", "FDSTOREREMOVE=1",
		"FDSTORE=1\n\xc3", "",
		"FDNAME=:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	static const size_t lens[] = { 1, 5, 300 };
	char w[301];
	struct notify_msg m;
	size_t i, j;
	int all = 1, r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			memset(w, '#', sizeof(w));
			errno = 0;
			r = notify_parse(bad[i], strlen(bad[i]), &m, w, lens[j]);
			if (r != -1 || errno != EINVAL || !why_sane(w, lens[j]) || w[lens[j]] != '#') {
				diag("message %zu, whylen %zu: r %d, why '%.*s'", i, lens[j], r,
				    (int)lens[j], w);
				all = 0;
			}
		}
	ok(all, "why is NUL-terminated, printable and within whylen 1, 5 and 300");
	memset(w, '#', sizeof(w));
	r = notify_parse("FDPOLL=2", 8, &m, w, 1);
	ok(r == -1 && w[0] == '\0' && w[1] == '#', "whylen 1 gives an empty why");
	r = notify_parse("FDPOLL=2", 8, &m, w, 5);
	ok(r == -1 && strcmp(w, "FDPO") == 0 && w[5] == '#', "whylen 5 gives 4 characters");
	memset(w, '#', sizeof(w));
	r = notify_parse("FDPOLL=2", 8, &m, w, 0);
	ok(r == -1 && errno == EINVAL && w[0] == '#', "whylen 0 writes nothing but still fails");
	r = notify_parse("FDPOLL=2", 8, &m, NULL, 0);
	ok(r == -1 && errno == EINVAL, "why NULL with whylen 0 is accepted");
	ok(notify_parse("FDSTORE=1", 9, &m, NULL, 0) == 0 && m.fdstore, "success needs no why");
	memset(&m, 0x5A, sizeof(m));
	r = notify_parse("FDSTORE=1\nFDPOLL=2", 18, &m, w, sizeof(w));
	ok(r == -1 && m.fdstore == 0x5A5A5A5A, "a failed parse leaves the message untouched");
	r = parse("STATUS=%s%n%x\nOOPS");
	ok(r == EINVAL && strcmp(why, "line 2: no '=' in 'OOPS'") == 0,
	    "'%%' in the message is not a format");
	r = parse("NOEQUALS_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	ok(r == EINVAL && strcmp(why, "line 1: no '=' in 'NOEQUALS_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...'") == 0,
	    "long quoted text is cut to 40 bytes and '...'");
}

int main(void)
{
	alarm(30);
	test_senders();
	test_lines();
	test_names();
	test_invalid();
	test_utf8();
	test_why();
	return done_testing();
}
