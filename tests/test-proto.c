/* test-proto.c - unit tests of fdrelay's wire framing (src/proto.c). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "tap.h"

/* Unpacks 8 header bytes; returns 0, or the errno of the failure. */
static int hdr_errno(const unsigned char in[PROTO_HDR_LEN])
{
	struct proto_hdr h;

	errno = 0;
	return proto_hdr_unpack(in, &h) == 0 ? 0 : errno;
}

/* Packs a header for type/flags/nfds/len and reports how unpack takes it. */
static int hdr_try(int type, int flags, int nfds, int len)
{
	unsigned char b[PROTO_HDR_LEN];
	struct proto_hdr h = { (uint8_t)type, (uint8_t)flags, (uint16_t)nfds, (uint16_t)len };

	proto_hdr_pack(b, &h);
	return hdr_errno(b);
}

/* Unpacks a names payload given as a byte string; returns 0 or errno. */
static int names_errno(const void *in, size_t len, size_t n)
{
	char store[2048];
	char *names[PROTO_MAX_FDS];

	errno = 0;
	return proto_names_unpack(in, len, n, store, sizeof(store), names) == 0 ? 0 : errno;
}

static void test_header(void)
{
	unsigned char b[PROTO_HDR_LEN];
	struct proto_hdr in = { PROTO_OFFER, PROTO_F_WAIT | PROTO_F_MORE, 253, 0x1234 };
	struct proto_hdr out;
	static const unsigned char want[PROTO_HDR_LEN] = {
		0xFD, 0x01, 0x01, 0x03, 0x00, 0xFD, 0x12, 0x34
	};
	int r;

	proto_hdr_pack(b, &in);
	ok(memcmp(b, want, sizeof(want)) == 0,
	    "a header packs as magic, version 1, type, flags, nfds and length big-endian");
	memset(&out, 0, sizeof(out));
	r = proto_hdr_unpack(b, &out);
	ok(r == 0 && out.type == in.type && out.flags == in.flags &&
	    out.nfds == in.nfds && out.len == in.len,
	    "an OFFER header with WAIT|MORE and 253 descriptors round-trips");

	ok(hdr_try(PROTO_OFFER, 0, 0, 0) == 0,
	    "an OFFER with no descriptor and an empty payload is valid");
	ok(hdr_try(PROTO_ACK, 0, 0, 4) == 0 && hdr_try(PROTO_REFUSE, 0, 0, 1) == 0 &&
	    hdr_try(PROTO_STATUS, 0, 0, 2) == 0 && hdr_try(PROTO_SIGNAL, 0, 0, 1) == 0 &&
	    hdr_try(PROTO_ERROR, 0, 0, 0) == 0 && hdr_try(PROTO_ERROR, 0, 0, 1024) == 0,
	    "ACK 4, REFUSE 1, STATUS 2, SIGNAL 1 and ERROR 0..1024 payload bytes are valid headers");

	memcpy(b, want, sizeof(b));
	b[0] = 0xFE;
	ok(hdr_errno(b) == EPROTO, "a bad magic byte is EPROTO");
	memcpy(b, want, sizeof(b));
	b[1] = 2;
	ok(hdr_errno(b) == EPROTONOSUPPORT, "version 2 is EPROTONOSUPPORT");
	b[1] = 0;
	ok(hdr_errno(b) == EPROTONOSUPPORT, "version 0 is EPROTONOSUPPORT");
	b[0] = 0;
	ok(hdr_errno(b) == EPROTO, "a bad magic with a bad version is EPROTO, not EPROTONOSUPPORT");

	ok(hdr_try(0, 0, 0, 0) == EPROTO && hdr_try(7, 0, 0, 0) == EPROTO &&
	    hdr_try(255, 0, 0, 0) == EPROTO,
	    "unknown types 0, 7 and 255 are EPROTO");
	ok(hdr_try(PROTO_OFFER, 0x04, 1, 2) == EPROTO &&
	    hdr_try(PROTO_OFFER, 0x80, 1, 2) == EPROTO,
	    "an OFFER with an unknown flag bit is EPROTO");
	ok(hdr_try(PROTO_ACK, PROTO_F_WAIT, 0, 4) == EPROTO &&
	    hdr_try(PROTO_SIGNAL, PROTO_F_MORE, 0, 1) == EPROTO &&
	    hdr_try(PROTO_ERROR, PROTO_F_WAIT, 0, 3) == EPROTO,
	    "WAIT or MORE on a frame other than OFFER is EPROTO");
	ok(hdr_try(PROTO_OFFER, PROTO_F_MORE, 0, 0) == EPROTO &&
	    hdr_try(PROTO_OFFER, PROTO_F_WAIT, 0, 0) == 0,
	    "an OFFER with no descriptor and MORE is EPROTO (an empty OFFER is the only one)");
	ok(hdr_try(PROTO_OFFER, 0, 254, 508) == EPROTO &&
	    hdr_try(PROTO_OFFER, 0, 0xFFFF, 0xFFFF) == EPROTO,
	    "an OFFER declaring 254 or 65535 descriptors is EPROTO");
	ok(hdr_try(PROTO_ACK, 0, 1, 4) == EPROTO && hdr_try(PROTO_STATUS, 0, 1, 2) == EPROTO &&
	    hdr_try(PROTO_ERROR, 0, 2, 0) == EPROTO && hdr_try(PROTO_SIGNAL, 0, 1, 1) == EPROTO &&
	    hdr_try(PROTO_REFUSE, 0, 1, 1) == EPROTO,
	    "descriptors declared on a frame other than OFFER are EPROTO");
	ok(hdr_try(PROTO_ACK, 0, 0, 3) == EPROTO && hdr_try(PROTO_ACK, 0, 0, 5) == EPROTO &&
	    hdr_try(PROTO_REFUSE, 0, 0, 0) == EPROTO && hdr_try(PROTO_REFUSE, 0, 0, 2) == EPROTO &&
	    hdr_try(PROTO_STATUS, 0, 0, 1) == EPROTO && hdr_try(PROTO_STATUS, 0, 0, 3) == EPROTO &&
	    hdr_try(PROTO_SIGNAL, 0, 0, 0) == EPROTO && hdr_try(PROTO_SIGNAL, 0, 0, 2) == EPROTO,
	    "ACK, REFUSE, STATUS and SIGNAL headers with one byte more or less payload are EPROTO");
	ok(hdr_try(PROTO_ERROR, 0, 0, 1025) == EPROTO && hdr_try(PROTO_ERROR, 0, 0, 65535) == EPROTO,
	    "an ERROR header with more than 1024 bytes of text is EPROTO");
	ok(hdr_try(PROTO_OFFER, 0, 0, 1) == EPROTO && hdr_try(PROTO_OFFER, 0, 2, 3) == EPROTO &&
	    hdr_try(PROTO_OFFER, 0, 1, 257) == EPROTO,
	    "an OFFER whose length cannot hold nfds names of 1..255 bytes is EPROTO");
	ok(hdr_try(PROTO_OFFER, 0, 2, 4) == 0 && hdr_try(PROTO_OFFER, 0, 1, 256) == 0 &&
	    hdr_try(PROTO_OFFER, 0, 253, 253 * 256) == 0,
	    "an OFFER length from 2*nfds to 256*nfds is accepted by the header check");

	memset(&out, 0x5A, sizeof(out));
	memcpy(b, want, sizeof(b));
	b[2] = 9;
	proto_hdr_unpack(b, &out);
	ok(out.type == 0x5A && out.nfds == 0x5A5A,
	    "a rejected header leaves the caller's struct untouched");
}

static void test_names(void)
{
	const char *names[] = { "a.txt", "stdout" };
	static const unsigned char want[] = {
		5, 'a', '.', 't', 'x', 't', 6, 's', 't', 'd', 'o', 'u', 't'
	};
	unsigned char buf[600];
	char store[64];
	char *got[4];
	char n255[256], n256[257];
	const char *one[1];
	unsigned char p[300];
	ssize_t len;
	int r;

	ok(proto_name_valid("stdin") && proto_name_valid("a b") && proto_name_valid("~!#") &&
	    proto_name_valid("x"),
	    "names of printable ASCII, space included, are valid");
	memset(n255, 'n', 255);
	n255[255] = '\0';
	memset(n256, 'n', 256);
	n256[256] = '\0';
	ok(proto_name_valid(n255) && !proto_name_valid(n256),
	    "a 255-character name is valid and a 256-character one is not");
	ok(!proto_name_valid("") && !proto_name_valid(NULL), "an empty or NULL name is invalid");
	ok(!proto_name_valid("a:b") && !proto_name_valid(":"), "a name containing ':' is invalid");
	ok(!proto_name_valid("a\tb") && !proto_name_valid("a\nb") && !proto_name_valid("\x1f") &&
	    !proto_name_valid("\x7f") && !proto_name_valid("caf\xc3\xa9") && !proto_name_valid("\x80"),
	    "control characters, DEL and non-ASCII bytes make a name invalid");

	len = proto_names_pack(buf, sizeof(buf), names, 2);
	ok(len == (ssize_t)sizeof(want) && memcmp(buf, want, sizeof(want)) == 0,
	    "names pack as a length byte and the bytes, in order, without NULs");
	memset(got, 0, sizeof(got));
	r = proto_names_unpack(buf, (size_t)len, 2, store, sizeof(store), got);
	ok(r == 0 && got[0] && got[1] && strcmp(got[0], "a.txt") == 0 &&
	    strcmp(got[1], "stdout") == 0,
	    "two names round-trip through pack and unpack");
	r = proto_names_unpack(buf, (size_t)len, 2, store, (size_t)len, got);
	ok(r == 0 && strcmp(got[1], "stdout") == 0,
	    "unpacking names needs exactly the payload's length of store");
	errno = 0;
	r = proto_names_unpack(buf, (size_t)len, 2, store, (size_t)len - 1, got);
	ok(r == -1 && errno == EMSGSIZE, "unpacking names into a store one byte short is EMSGSIZE");
	ok(proto_names_pack(buf, 0, NULL, 0) == 0 && names_errno(buf, 0, 0) == 0,
	    "no names pack to an empty payload and unpack from one");

	errno = 0;
	ok(proto_names_pack(buf, sizeof(want) - 1, names, 2) == -1 && errno == EMSGSIZE,
	    "packing names into a buffer one byte short is EMSGSIZE");
	one[0] = "a:b";
	errno = 0;
	ok(proto_names_pack(buf, sizeof(buf), one, 1) == -1 && errno == EINVAL,
	    "packing an invalid name is EINVAL");
	one[0] = n256;
	errno = 0;
	ok(proto_names_pack(buf, sizeof(buf), one, 1) == -1 && errno == EINVAL,
	    "packing a 256-character name is EINVAL");
	one[0] = n255;
	len = proto_names_pack(buf, sizeof(buf), one, 1);
	ok(len == 256 && buf[0] == 255 && names_errno(buf, 256, 1) == 0,
	    "a 255-character name packs to 256 bytes and unpacks");
	errno = 0;
	ok(proto_names_pack(buf, sizeof(buf), names, PROTO_MAX_FDS + 1) == -1 && errno == EINVAL,
	    "packing more than 253 names is EINVAL");

	ok(names_errno("\0", 1, 1) == EPROTO, "an unpacked name of length 0 is EPROTO");
	ok(names_errno("\x03" "a:b", 4, 1) == EPROTO, "an unpacked name containing ':' is EPROTO");
	ok(names_errno("\x03" "a\nb", 4, 1) == EPROTO && names_errno("\x01\x7f", 2, 1) == EPROTO &&
	    names_errno("\x01\xc3", 2, 1) == EPROTO && names_errno("\x01\x00", 2, 1) == EPROTO,
	    "an unpacked name with a control character, DEL, NUL or non-ASCII byte is EPROTO");
	ok(names_errno("\x05" "abc", 4, 1) == EPROTO,
	    "a length byte running past the payload is EPROTO");
	ok(names_errno("\x01" "a", 2, 2) == EPROTO,
	    "fewer names than nfds (payload ends before a length byte) is EPROTO");
	ok(names_errno("\x01" "a\x01" "b", 4, 1) == EPROTO && names_errno("\x01" "ax", 3, 1) == EPROTO,
	    "more names than nfds, or trailing bytes, is EPROTO");
	ok(names_errno("", 0, 1) == EPROTO, "one name declared and an empty payload is EPROTO");
	ok(names_errno("\x01" "a", 2, 0) == EPROTO, "no name declared and a non-empty payload is EPROTO");
	memset(p, 0, sizeof(p));
	ok(names_errno(p, sizeof(p), PROTO_MAX_FDS + 1) == EPROTO,
	    "unpacking more than 253 names is EPROTO");

	memset(got, 0, sizeof(got));
	memset(store, 'Z', sizeof(store));
	proto_names_unpack((const unsigned char *)"\x01" "a\x01:", 4, 2, store, sizeof(store), got);
	ok(got[0] == NULL && store[0] == 'Z',
	    "a rejected names payload leaves store and names untouched");
}

static void test_fixed(void)
{
	unsigned char b[8];
	uint32_t count;
	enum proto_refusal why;
	int how, value, signo;
	size_t n;

	n = proto_ack_pack(b, 0x01020304);
	count = 0;
	ok(n == 4 && memcmp(b, "\x01\x02\x03\x04", 4) == 0 &&
	    proto_ack_unpack(b, 4, &count) == 0 && count == 0x01020304,
	    "ACK packs its count as 4 bytes big-endian and round-trips");
	proto_ack_pack(b, UINT32_MAX);
	ok(proto_ack_unpack(b, 4, &count) == 0 && count == UINT32_MAX,
	    "ACK round-trips the largest count");
	errno = 0;
	ok(proto_ack_unpack(b, 3, &count) == -1 && errno == EPROTO &&
	    proto_ack_unpack(b, 5, &count) == -1,
	    "an ACK payload of 3 or 5 bytes is EPROTO");

	n = proto_refuse_pack(b, PROTO_REFUSE_POLICY);
	ok(n == 1 && b[0] == 1 && proto_refuse_unpack(b, 1, &why) == 0 &&
	    why == PROTO_REFUSE_POLICY,
	    "REFUSE for policy packs as byte 1 and round-trips");
	n = proto_refuse_pack(b, PROTO_REFUSE_TOO_MANY);
	ok(n == 1 && b[0] == 2 && proto_refuse_unpack(b, 1, &why) == 0 &&
	    why == PROTO_REFUSE_TOO_MANY,
	    "REFUSE for too many packs as byte 2 and round-trips");
	errno = 0;
	ok(proto_refuse_pack(b, (enum proto_refusal)3) == 0 && errno == EINVAL,
	    "packing an unknown refusal reason returns 0 with EINVAL");
	b[0] = 0;
	errno = 0;
	ok(proto_refuse_unpack(b, 1, &why) == -1 && errno == EPROTO &&
	    (b[0] = 3, proto_refuse_unpack(b, 1, &why)) == -1 &&
	    (b[0] = 1, proto_refuse_unpack(b, 2, &why)) == -1,
	    "REFUSE reasons 0 and 3, or a 2-byte REFUSE, are EPROTO");

	n = proto_status_pack(b, PROTO_STATUS_EXITED, 127);
	ok(n == 2 && b[0] == 0 && b[1] == 127 &&
	    proto_status_unpack(b, 2, &how, &value) == 0 &&
	    how == PROTO_STATUS_EXITED && value == 127,
	    "STATUS exited 127 packs as 00 7f and round-trips");
	n = proto_status_pack(b, PROTO_STATUS_SIGNALED, SIGTERM);
	ok(n == 2 && b[0] == 1 && b[1] == PROTO_SIG_TERM &&
	    proto_status_unpack(b, 2, &how, &value) == 0 &&
	    how == PROTO_STATUS_SIGNALED && value == SIGTERM,
	    "STATUS killed by SIGTERM packs as 01 0f and round-trips");
	n = proto_status_pack(b, PROTO_STATUS_SIGNALED, SIGKILL);
	ok(n == 2 && b[1] == 9 && proto_status_unpack(b, 2, &how, &value) == 0 && value == SIGKILL,
	    "STATUS killed by SIGKILL travels as 9 and round-trips");
	errno = 0;
	ok(proto_status_pack(b, PROTO_STATUS_EXITED, 256) == 0 && errno == EINVAL &&
	    proto_status_pack(b, PROTO_STATUS_EXITED, -1) == 0 &&
	    proto_status_pack(b, PROTO_STATUS_SIGNALED, 0) == 0 &&
	    proto_status_pack(b, 2, 0) == 0,
	    "packing an exit code outside 0..255, signal 0 or an unknown kind returns 0 with EINVAL");
	errno = 0;
	ok(proto_status_unpack((const unsigned char *)"\x02\x00", 2, &how, &value) == -1 &&
	    errno == EPROTO &&
	    proto_status_unpack((const unsigned char *)"\x01\x00", 2, &how, &value) == -1 &&
	    proto_status_unpack((const unsigned char *)"\x00\x00", 1, &how, &value) == -1,
	    "a STATUS of unknown kind, signal 0, or the wrong length is EPROTO");
	errno = 0;
	ok(proto_status_unpack((const unsigned char *)"\x01\x80", 2, &how, &value) == -1 && errno == EPROTO &&
	    proto_status_unpack((const unsigned char *)"\x01\xff", 2, &how, &value) == -1 &&
	    proto_status_unpack((const unsigned char *)"\x01\x7f", 2, &how, &value) == 0,
	    "a STATUS signal of 128 or more is EPROTO: 128 + N must stay an exit status");

	ok(proto_signal_pack(b, SIGINT) == 1 && b[0] == 2 &&
	    proto_signal_unpack(b, 1, &signo) == 0 && signo == SIGINT,
	    "SIGINT travels as 2 and round-trips");
	ok(proto_signal_pack(b, SIGTERM) == 1 && b[0] == 15 &&
	    proto_signal_unpack(b, 1, &signo) == 0 && signo == SIGTERM,
	    "SIGTERM travels as 15 and round-trips");
	ok(proto_signal_pack(b, SIGHUP) == 1 && b[0] == 1 &&
	    proto_signal_unpack(b, 1, &signo) == 0 && signo == SIGHUP,
	    "SIGHUP travels as 1 and round-trips");
	ok(proto_signal_pack(b, SIGQUIT) == 1 && b[0] == 3 &&
	    proto_signal_unpack(b, 1, &signo) == 0 && signo == SIGQUIT,
	    "SIGQUIT travels as 3 and round-trips");
	errno = 0;
	ok(proto_signal_pack(b, SIGKILL) == 0 && errno == EINVAL &&
	    proto_signal_pack(b, SIGUSR1) == 0 && proto_signal_pack(b, 0) == 0,
	    "packing SIGKILL, SIGUSR1 or 0 as a SIGNAL returns 0 with EINVAL");
	errno = 0;
	ok(proto_signal_unpack((const unsigned char *)"\x09", 1, &signo) == -1 && errno == EPROTO &&
	    proto_signal_unpack((const unsigned char *)"\x0a", 1, &signo) == -1 &&
	    proto_signal_unpack((const unsigned char *)"\x00", 1, &signo) == -1 &&
	    proto_signal_unpack((const unsigned char *)"\x02\x02", 2, &signo) == -1,
	    "SIGNAL 9 (KILL), 10 (USR1), 0, or a 2-byte SIGNAL are EPROTO");
}

static void test_error(void)
{
	unsigned char b[2048];
	char text[2048], out[32];
	size_t n;
	int r;

	n = proto_error_pack(b, sizeof(b), "bad frame");
	memset(out, 'Z', sizeof(out));
	r = proto_error_unpack(b, n, out, sizeof(out));
	ok(n == 9 && memcmp(b, "bad frame", 9) == 0 && r == 0 && strcmp(out, "bad frame") == 0,
	    "ERROR text packs without a NUL and unpacks NUL-terminated");
	n = proto_error_pack(b, sizeof(b), "a\tb\nc\x7f\xc3\xa9");
	ok(n == 8 && memcmp(b, "a?b?c???", 8) == 0,
	    "packing ERROR text turns control, DEL and non-ASCII bytes into '?'");
	r = proto_error_unpack((const unsigned char *)"x\033[2Jy\0z", 8, out, sizeof(out));
	ok(r == 0 && memcmp(out, "x?[2Jy?z", 9) == 0,
	    "unpacking ERROR text turns escape sequences and NULs into '?'");
	memset(text, 'e', 2000);
	text[2000] = '\0';
	n = proto_error_pack(b, sizeof(b), text);
	ok(n == PROTO_ERROR_MAX, "ERROR text longer than 1024 bytes is cut to 1024");
	n = proto_error_pack(b, 4, "abcdef");
	ok(n == 4 && memcmp(b, "abcd", 4) == 0, "ERROR text is cut to the room given");
	r = proto_error_unpack((const unsigned char *)"abcdef", 6, out, 4);
	ok(r == 0 && strcmp(out, "abc") == 0,
	    "unpacking ERROR text keeps at most cap-1 bytes and a NUL");
	errno = 0;
	ok(proto_error_unpack(b, PROTO_ERROR_MAX + 1, text, sizeof(text)) == -1 && errno == EPROTO,
	    "unpacking 1025 bytes of ERROR text is EPROTO");
	errno = 0;
	ok(proto_error_unpack(b, 1, out, 0) == -1 && errno == EINVAL,
	    "unpacking ERROR text into no room at all is EINVAL");
	r = proto_error_unpack(b, 0, out, sizeof(out));
	ok(r == 0 && out[0] == '\0', "an empty ERROR payload unpacks as empty text");
}

/* The worked example of docs/protocol.md, byte for byte. */
static void test_example(void)
{
	const char *names[] = { "a.txt", "stdout" };
	static const unsigned char offer[] = {
		0xfd, 0x01, 0x01, 0x00, 0x00, 0x02, 0x00, 0x0d,
		0x05, 0x61, 0x2e, 0x74, 0x78, 0x74,
		0x06, 0x73, 0x74, 0x64, 0x6f, 0x75, 0x74
	};
	static const unsigned char ack[] = {
		0xfd, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x04,
		0x00, 0x00, 0x00, 0x02
	};
	unsigned char b[64];
	struct proto_hdr h = { PROTO_OFFER, 0, 2, 0 };
	ssize_t len;

	len = proto_names_pack(b + PROTO_HDR_LEN, sizeof(b) - PROTO_HDR_LEN, names, 2);
	h.len = (uint16_t)len;
	proto_hdr_pack(b, &h);
	ok(len == 13 && memcmp(b, offer, sizeof(offer)) == 0,
	    "the documented OFFER of a.txt and stdout is what pack produces");
	h.type = PROTO_ACK;
	h.nfds = 0;
	h.len = (uint16_t)proto_ack_pack(b + PROTO_HDR_LEN, 2);
	proto_hdr_pack(b, &h);
	ok(memcmp(b, ack, sizeof(ack)) == 0, "the documented ACK of 2 is what pack produces");
}

int main(void)
{
	alarm(30);
	test_header();
	test_names();
	test_fixed();
	test_error();
	test_example();
	return done_testing();
}
