/* test-proto.c - unit tests of fdrelay's wire framing (src/proto.c). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
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

	ok(hdr_try(0, 0, 0, 0) == EPROTO && hdr_try(10, 0, 0, 0) == EPROTO &&
	    hdr_try(10, 0, 0, 20) == EPROTO && hdr_try(255, 0, 0, 0) == EPROTO,
	    "unknown types 0, 10 and 255 are EPROTO");
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

/* ---- The holder's frames ---- */

static void test_holder_headers(void)
{
	ok(hdr_try(PROTO_REQUEST, 0, 0, PROTO_REQUEST_LEN) == 0 &&
	    hdr_try(PROTO_REQUEST, 0, 0, PROTO_REQUEST_LEN + 256 * PROTO_MAX_FDS) == 0,
	    "a REQUEST header of 20 up to 20 + 253 * 256 payload bytes is valid");
	ok(hdr_try(PROTO_REQUEST, 0, 0, 0) == EPROTO && hdr_try(PROTO_REQUEST, 0, 0, 19) == EPROTO &&
	    hdr_try(PROTO_REQUEST, 0, 0, PROTO_REQUEST_LEN + 256 * PROTO_MAX_FDS + 1) == EPROTO &&
	    hdr_try(PROTO_REQUEST, 0, 0, 65535) == EPROTO,
	    "a REQUEST header of 0, 19, 20 + 253 * 256 + 1 or 65535 bytes is EPROTO");
	ok(hdr_try(PROTO_REQUEST, PROTO_F_MORE, 0, 20) == EPROTO &&
	    hdr_try(PROTO_REQUEST, 0x80, 0, 20) == EPROTO && hdr_try(PROTO_REQUEST, 0, 1, 20) == EPROTO,
	    "a REQUEST header with flags or descriptors is EPROTO");

	ok(hdr_try(PROTO_HELD, 0, 0, 8) == 0 && hdr_try(PROTO_HELD, 0, 1, 8) == 0 &&
	    hdr_try(PROTO_HELD, 0, 2, 8 + PROTO_ADDR_MAX) == 0,
	    "a HELD header with 0, 1 or 2 descriptors and 8 up to 8 + 4095 bytes is valid");
	ok(hdr_try(PROTO_HELD, 0, 3, 8) == EPROTO && hdr_try(PROTO_HELD, 0, PROTO_MAX_FDS, 8) == EPROTO,
	    "a HELD header with 3 or 253 descriptors is EPROTO (a take-over hands over 2 sockets)");
	ok(hdr_try(PROTO_HELD, 0, 0, 7) == EPROTO && hdr_try(PROTO_HELD, 0, 0, 0) == EPROTO &&
	    hdr_try(PROTO_HELD, 0, 0, 8 + PROTO_ADDR_MAX + 1) == EPROTO,
	    "a HELD header of 0, 7 or 8 + 4096 bytes is EPROTO");
	ok(hdr_try(PROTO_HELD, PROTO_F_MORE, 0, 8) == EPROTO && hdr_try(PROTO_HELD, PROTO_F_WAIT, 1, 8) == EPROTO &&
	    hdr_try(PROTO_HELD, 0x80, 0, 8) == EPROTO,
	    "a HELD header with any flag is EPROTO");

	ok(hdr_try(PROTO_ENTRIES, 0, 1, PROTO_ENTRY_LEN + 1) == 0 &&
	    hdr_try(PROTO_ENTRIES, PROTO_F_MORE, 1, PROTO_ENTRY_LEN + 1) == 0 &&
	    hdr_try(PROTO_ENTRIES, PROTO_F_MORE, PROTO_MAX_FDS, 65535) == 0,
	    "an ENTRIES header with 1..253 descriptors, with or without MORE, is valid");
	ok(hdr_try(PROTO_ENTRIES, 0, 0, PROTO_ENTRY_LEN + 1) == EPROTO &&
	    hdr_try(PROTO_ENTRIES, PROTO_F_MORE, 0, 0) == EPROTO,
	    "an ENTRIES header with no descriptor is EPROTO");
	ok(hdr_try(PROTO_ENTRIES, 0, PROTO_MAX_FDS + 1, 65535) == EPROTO &&
	    hdr_try(PROTO_ENTRIES, 0, 0xFFFF, 65535) == EPROTO,
	    "an ENTRIES header with 254 or 65535 descriptors is EPROTO");
	ok(hdr_try(PROTO_ENTRIES, PROTO_F_WAIT, 1, 23) == EPROTO &&
	    hdr_try(PROTO_ENTRIES, PROTO_F_MORE | PROTO_F_WAIT, 1, 23) == EPROTO &&
	    hdr_try(PROTO_ENTRIES, 0x04, 1, 23) == EPROTO && hdr_try(PROTO_ENTRIES, 0x80, 1, 23) == EPROTO,
	    "an ENTRIES header with WAIT or an unknown flag is EPROTO");
	ok(hdr_try(PROTO_ENTRIES, 0, 1, PROTO_ENTRY_LEN) == EPROTO &&
	    hdr_try(PROTO_ENTRIES, 0, 2, 2 * (PROTO_ENTRY_LEN + 1) - 1) == EPROTO &&
	    hdr_try(PROTO_ENTRIES, 0, 2, 2 * (PROTO_ENTRY_LEN + 1)) == 0 &&
	    hdr_try(PROTO_ENTRIES, 0, PROTO_MAX_FDS, PROTO_MAX_FDS * (PROTO_ENTRY_LEN + 1) - 1) == EPROTO &&
	    hdr_try(PROTO_ENTRIES, 0, PROTO_MAX_FDS, PROTO_MAX_FDS * (PROTO_ENTRY_LEN + 1)) == 0,
	    "an ENTRIES header shorter than 23 bytes per descriptor (the smallest entry) is EPROTO");
}

/* Unpacks a REQUEST payload; returns 0 or errno. */
static int request_errno(const void *in, size_t len)
{
	static char store[PROTO_MAX_PAYLOAD];
	char *names[PROTO_MAX_FDS];
	struct proto_request r;

	errno = 0;
	return proto_request_unpack(in, len, &r, store, sizeof(store), names) == 0 ? 0 : errno;
}

/* Packs a REQUEST; returns its length, or -errno. */
static ssize_t request_pack(unsigned char *out, size_t cap, int op, int flags, size_t nnames,
    const char *const *names)
{
	struct proto_request r = { .op = (uint8_t)op, .flags = (uint8_t)flags, .owner = PROTO_OWNER_SELF,
	    .nnames = (uint16_t)nnames };
	ssize_t n;

	errno = 0;
	n = proto_request_pack(out, cap, &r, names);
	return n >= 0 ? n : -errno;
}

static void test_request(void)
{
	static const unsigned char want[] = {
		PROTO_OP_FETCH, PROTO_R_TAKE,
		0x00, 0x00, 0x03, 0xe8,				/* owner 1000 */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,	/* ttl_ms */
		0x0a, 0x0b, 0x0c, 0x0d,				/* max */
		0x00, 0x02,					/* nnames */
		3, 'w', 'e', 'b', 2, 'd', 'b'
	};
	const char *two[] = { "web", "db" }, *bad[1];
	static const char *many[PROTO_MAX_FDS + 1];
	static char manybuf[PROTO_MAX_FDS + 1][8];
	static unsigned char b[PROTO_REQUEST_LEN + PROTO_MAX_PAYLOAD], c[64];
	static char store[PROTO_MAX_PAYLOAD];
	char *got[PROTO_MAX_FDS], n255[256];
	struct proto_request r = { PROTO_OP_FETCH, PROTO_R_TAKE, 1000, 0x0102030405060708ull, 0x0a0b0c0d, 2 };
	struct proto_request t;
	ssize_t len;
	int res, good;

	len = proto_request_pack(b, sizeof(b), &r, two);
	ok(len == (ssize_t)sizeof(want) && memcmp(b, want, sizeof(want)) == 0,
	    "a REQUEST packs as op, flags, owner, ttl, max and nnames big-endian, then the names");
	memset(&t, 0, sizeof(t));
	memset(got, 0, sizeof(got));
	res = proto_request_unpack(b, (size_t)len, &t, store, sizeof(store), got);
	ok(res == 0 && t.op == r.op && t.flags == r.flags && t.owner == r.owner && t.ttl_ms == r.ttl_ms &&
	    t.max == r.max && t.nnames == 2 && got[0] && got[1] && strcmp(got[0], "web") == 0 &&
	    strcmp(got[1], "db") == 0,
	    "a FETCH with TAKE, an owner, two names and every field set round-trips");

	r = (struct proto_request){ .op = PROTO_OP_STORE, .flags = PROTO_R_REPLACE | PROTO_R_NOPOLL,
	    .owner = PROTO_OWNER_SELF, .ttl_ms = PROTO_NO_EXPIRY };
	len = proto_request_pack(b, sizeof(b), &r, NULL);
	memset(&t, 0, sizeof(t));
	res = proto_request_unpack(b, (size_t)len, &t, store, sizeof(store), got);
	ok(len == PROTO_REQUEST_LEN && res == 0 && t.op == PROTO_OP_STORE &&
	    t.flags == (PROTO_R_REPLACE | PROTO_R_NOPOLL) &&
	    t.owner == PROTO_OWNER_SELF && t.ttl_ms == PROTO_NO_EXPIRY && t.nnames == 0,
	    "a STORE with both its flags, the caller as owner and the largest ttl is 20 bytes and round-trips");
	r.flags = PROTO_R_TAKE;
	ok(proto_request_pack(b, sizeof(b), &r, NULL) == -1 && errno == EINVAL,
	    "TAKE on a STORE does not pack (EINVAL): each flag belongs to one op");
	r = (struct proto_request){ .op = PROTO_OP_FETCH, .flags = PROTO_R_NOPOLL };
	ok(proto_request_pack(b, sizeof(b), &r, NULL) == -1 && errno == EINVAL,
	    "NOPOLL on a FETCH does not pack (EINVAL)");
	r = (struct proto_request){ .op = PROTO_OP_STORE, .flags = PROTO_R_REPLACE | PROTO_R_NOPOLL,
	    .owner = PROTO_OWNER_SELF, .ttl_ms = PROTO_NO_EXPIRY };
	len = proto_request_pack(b, sizeof(b), &r, NULL);
	ok(memcmp(b + 2, "\xff\xff\xff\xff", 4) == 0 && memcmp(b + 6, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0,
	    "PROTO_OWNER_SELF and an all-ones ttl travel as all-ones bytes");
	good = 1;
	for (int op = PROTO_OP_STORE; op <= PROTO_OP_TAKEOVER; op++) {
		r = (struct proto_request){ .op = (uint8_t)op, .owner = 0, .max = 4096 };
		len = proto_request_pack(b, sizeof(b), &r, NULL);
		memset(&t, 0, sizeof(t));
		good = good && len == PROTO_REQUEST_LEN &&
		    proto_request_unpack(b, (size_t)len, &t, store, sizeof(store), got) == 0 &&
		    t.op == op && t.owner == 0 && t.max == 4096 && t.nnames == 0;
	}
	ok(good, "each op 1..5 without names round-trips as 20 bytes");

	ok(request_pack(b, sizeof(b), 0, 0, 0, NULL) == -EINVAL &&
	    request_pack(b, sizeof(b), PROTO_OP_TAKEOVER + 1, 0, 0, NULL) == -EINVAL &&
	    request_pack(b, sizeof(b), 255, 0, 0, NULL) == -EINVAL,
	    "packing a REQUEST of op 0, 6 or 255 is EINVAL");
	request_pack(c, sizeof(c), PROTO_OP_LIST, 0, 0, NULL);
	c[0] = 0;
	res = request_errno(c, PROTO_REQUEST_LEN);
	c[0] = PROTO_OP_TAKEOVER + 1;
	ok(res == EPROTO && request_errno(c, PROTO_REQUEST_LEN) == EPROTO,
	    "unpacking a REQUEST of op 0 or 6 is EPROTO");
	ok(request_pack(b, sizeof(b), PROTO_OP_STORE, 0x08, 0, NULL) == -EINVAL &&
	    request_pack(b, sizeof(b), PROTO_OP_FETCH, 0x80 | PROTO_R_TAKE, 0, NULL) == -EINVAL,
	    "packing a REQUEST with an unknown flag is EINVAL");
	request_pack(c, sizeof(c), PROTO_OP_STORE, 0, 0, NULL);
	c[1] = 0x08;
	res = request_errno(c, PROTO_REQUEST_LEN);
	c[1] = 0x80;
	ok(res == EPROTO && request_errno(c, PROTO_REQUEST_LEN) == EPROTO,
	    "unpacking a REQUEST with flag 0x08 or 0x80 is EPROTO");

	for (size_t i = 0; i <= PROTO_MAX_FDS; i++) {
		snprintf(manybuf[i], sizeof(manybuf[i]), "n%zu", i);
		many[i] = manybuf[i];
	}
	len = request_pack(b, sizeof(b), PROTO_OP_DROP, 0, PROTO_MAX_FDS, many);
	memset(got, 0, sizeof(got));
	res = proto_request_unpack(b, (size_t)len, &t, store, sizeof(store), got);
	ok(len > 0 && res == 0 && t.nnames == PROTO_MAX_FDS && got[252] && strcmp(got[252], "n252") == 0,
	    "a DROP of 253 names round-trips");
	ok(request_pack(b, sizeof(b), PROTO_OP_DROP, 0, PROTO_MAX_FDS + 1, many) == -EINVAL,
	    "packing a REQUEST of 254 names is EINVAL");
	b[18] = 0;
	b[19] = PROTO_MAX_FDS + 1;
	ok(request_errno(b, (size_t)len) == EPROTO, "unpacking a REQUEST that declares 254 names is EPROTO");
	b[18] = 0xff;
	b[19] = 0xff;
	ok(request_errno(b, (size_t)len) == EPROTO, "unpacking a REQUEST that declares 65535 names is EPROTO");

	ok(request_pack(b, sizeof(b), PROTO_OP_STORE, 0, 1, two) == -EINVAL &&
	    request_pack(b, sizeof(b), PROTO_OP_LIST, 0, 1, two) == -EINVAL &&
	    request_pack(b, sizeof(b), PROTO_OP_TAKEOVER, 0, 2, two) == -EINVAL,
	    "packing names on a STORE, LIST or TAKEOVER is EINVAL");
	len = request_pack(c, sizeof(c), PROTO_OP_FETCH, 0, 1, two);
	c[0] = PROTO_OP_LIST;
	res = request_errno(c, (size_t)len);
	c[0] = PROTO_OP_STORE;
	ok(len == 24 && res == EPROTO && request_errno(c, (size_t)len) == EPROTO,
	    "unpacking names on a LIST or STORE is EPROTO");

	bad[0] = "a:b";
	ok(request_pack(b, sizeof(b), PROTO_OP_FETCH, 0, 1, bad) == -EINVAL, "packing a name with ':' is EINVAL");
	bad[0] = "";
	ok(request_pack(b, sizeof(b), PROTO_OP_DROP, 0, 1, bad) == -EINVAL, "packing an empty name is EINVAL");
	bad[0] = "a\nb";
	ok(request_pack(b, sizeof(b), PROTO_OP_DROP, 0, 1, bad) == -EINVAL,
	    "packing a name with a newline is EINVAL");
	len = request_pack(c, sizeof(c), PROTO_OP_FETCH, 0, 2, two);
	c[PROTO_REQUEST_LEN + 2] = ':';
	ok(request_errno(c, (size_t)len) == EPROTO, "unpacking a name with ':' is EPROTO");
	len = request_pack(c, sizeof(c), PROTO_OP_FETCH, 0, 2, two);
	c[PROTO_REQUEST_LEN + 4] = 0;	/* "db" starts with its length byte at 24 */
	ok(request_errno(c, (size_t)len) == EPROTO, "unpacking an empty name is EPROTO");
	len = request_pack(c, sizeof(c), PROTO_OP_FETCH, 0, 2, two);
	c[PROTO_REQUEST_LEN + 1] = 0x7f;
	ok(request_errno(c, (size_t)len) == EPROTO, "unpacking a name with DEL is EPROTO");
	memset(n255, 'x', 255);
	n255[255] = '\0';
	bad[0] = n255;
	len = request_pack(b, sizeof(b), PROTO_OP_FETCH, 0, 1, bad);
	ok(len == PROTO_REQUEST_LEN + 256 && request_errno(b, (size_t)len) == 0,
	    "a 255-character name packs and unpacks");

	len = request_pack(c, sizeof(c), PROTO_OP_FETCH, 0, 2, two);
	c[len] = 'x';
	ok(request_errno(c, (size_t)len + 1) == EPROTO, "unpacking a REQUEST with a trailing byte is EPROTO");
	ok(request_errno(c, (size_t)len - 1) == EPROTO && request_errno(c, PROTO_REQUEST_LEN + 4) == EPROTO &&
	    request_errno(c, PROTO_REQUEST_LEN) == EPROTO,
	    "unpacking a REQUEST whose names are cut short or missing is EPROTO");
	request_pack(c, sizeof(c), PROTO_OP_LIST, 0, 0, NULL);
	c[PROTO_REQUEST_LEN] = 'x';
	ok(request_errno(c, PROTO_REQUEST_LEN + 1) == EPROTO,
	    "unpacking a LIST with a byte after the fixed part is EPROTO");
	ok(request_errno(c, 0) == EPROTO && request_errno(c, 1) == EPROTO &&
	    request_errno(c, PROTO_REQUEST_LEN - 1) == EPROTO,
	    "unpacking a REQUEST of 0, 1 or 19 bytes is EPROTO");

	len = request_pack(c, sizeof(c), PROTO_OP_FETCH, 0, 2, two);
	ok(request_pack(b, PROTO_REQUEST_LEN - 1, PROTO_OP_LIST, 0, 0, NULL) == -EMSGSIZE &&
	    request_pack(b, (size_t)len - 1, PROTO_OP_FETCH, 0, 2, two) == -EMSGSIZE &&
	    request_pack(b, (size_t)len, PROTO_OP_FETCH, 0, 2, two) == len,
	    "packing a REQUEST into a buffer one byte short is EMSGSIZE; its exact length is enough");
	errno = 0;
	res = proto_request_unpack(c, (size_t)len, &t, store, (size_t)len - PROTO_REQUEST_LEN - 1, got);
	ok(res == -1 && errno == EMSGSIZE &&
	    proto_request_unpack(c, (size_t)len, &t, store, (size_t)len - PROTO_REQUEST_LEN, got) == 0,
	    "unpacking names needs the payload's length past the fixed part in store; one byte less is EMSGSIZE");

	memset(&t, 0x5A, sizeof(t));
	c[0] = 0;
	proto_request_unpack(c, (size_t)len, &t, store, sizeof(store), got);
	ok(t.op == 0x5A && t.owner == 0x5A5A5A5A, "a rejected REQUEST leaves the caller's struct untouched");
}

/* Unpacks n entries; returns 0 or errno. */
static int entries_errno(const void *in, size_t len, size_t n)
{
	static struct proto_entry e[PROTO_MAX_FDS + 1];

	errno = 0;
	return proto_entries_unpack(in, len, n, e) == 0 ? 0 : errno;
}

static void test_entries(void)
{
	static const unsigned char want[] = {
		3, 'w', 'e', 'b',
		0x00, 0x00, 0x03, 0xe8,				/* owner */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x39,	/* age 12345 */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* never expires */
		0x01						/* poll */
	};
	struct proto_entry in[3] = {
		{ .name = "web", .owner = 1000, .age_ms = 12345, .left_ms = PROTO_NO_EXPIRY, .poll = 1 },
		{ .name = "db", .owner = 0, .age_ms = 0, .left_ms = 0, .poll = 0 },
		{ .owner = UINT32_MAX, .age_ms = UINT64_MAX, .left_ms = 0x0102030405060708ull, .poll = 1 },
	};
	static struct proto_entry out[PROTO_MAX_FDS];
	static unsigned char b[PROTO_MAX_PAYLOAD];
	struct proto_entry e;
	size_t len = 0, k;
	ssize_t n;
	int good = 1;

	memset(in[2].name, 'z', PROTO_NAME_MAX);
	n = proto_entry_pack(b, sizeof(b), &in[0]);
	ok(n == (ssize_t)sizeof(want) && n == PROTO_ENTRY_LEN + 3 && memcmp(b, want, sizeof(want)) == 0,
	    "an entry packs as its name, owner, age, time left and poll, big-endian, in 22 + name bytes");
	ok(PROTO_NO_EXPIRY == UINT64_MAX, "PROTO_NO_EXPIRY is all ones");
	for (size_t i = 0; i < 3; i++) {
		n = proto_entry_pack(b + len, sizeof(b) - len, &in[i]);
		good = good && n == (ssize_t)(PROTO_ENTRY_LEN + strlen(in[i].name));
		len += n > 0 ? (size_t)n : 0;
	}
	memset(out, 0, sizeof(out));
	ok(good && proto_entries_unpack(b, len, 3, out) == 0 && len == 3 * PROTO_ENTRY_LEN + 3 + 2 + 255,
	    "three entries, one with a 255-character name, pack one after another and unpack");
	good = 1;
	for (size_t i = 0; i < 3; i++)
		good = good && strcmp(out[i].name, in[i].name) == 0 && out[i].owner == in[i].owner &&
		    out[i].age_ms == in[i].age_ms && out[i].left_ms == in[i].left_ms && out[i].poll == in[i].poll;
	ok(good, "every field of the three entries round-trips, PROTO_NO_EXPIRY and the largest values included");

	ok(entries_errno(b, len, 2) == EPROTO, "unpacking fewer entries than the payload holds is EPROTO");
	ok(entries_errno(b, len, 4) == EPROTO, "unpacking more entries than the payload holds is EPROTO");
	ok(entries_errno(b, len - 1, 3) == EPROTO && entries_errno(b, PROTO_ENTRY_LEN + 2, 1) == EPROTO &&
	    entries_errno(b, 1, 1) == EPROTO && entries_errno(b, 0, 1) == EPROTO,
	    "unpacking an entry cut short anywhere is EPROTO");
	b[len] = 0;
	ok(entries_errno(b, len + 1, 3) == EPROTO, "unpacking entries with a trailing byte is EPROTO");

	n = proto_entry_pack(b, sizeof(b), &in[0]);
	b[PROTO_ENTRY_LEN + 2] = 2;
	ok(entries_errno(b, (size_t)n, 1) == EPROTO, "unpacking an entry whose poll is 2 is EPROTO");
	b[PROTO_ENTRY_LEN + 2] = 0xff;
	ok(entries_errno(b, (size_t)n, 1) == EPROTO, "unpacking an entry whose poll is 255 is EPROTO");
	n = proto_entry_pack(b, sizeof(b), &in[0]);
	b[2] = ':';
	ok(entries_errno(b, (size_t)n, 1) == EPROTO, "unpacking an entry whose name has ':' is EPROTO");
	b[2] = '\0';
	ok(entries_errno(b, (size_t)n, 1) == EPROTO, "unpacking an entry whose name has a NUL is EPROTO");
	memset(b, 0, PROTO_ENTRY_LEN);
	ok(entries_errno(b, PROTO_ENTRY_LEN - 1, 1) == EPROTO && entries_errno(b, PROTO_ENTRY_LEN, 1) == EPROTO,
	    "unpacking an entry with an empty name is EPROTO");
	n = proto_entry_pack(b, sizeof(b), &in[0]);
	b[0] = 4;
	ok(entries_errno(b, (size_t)n, 1) == EPROTO, "unpacking an entry whose name length runs past it is EPROTO");
	ok(entries_errno(b, 0, 0) == 0 && entries_errno(b, 1, 0) == EPROTO,
	    "no entries unpack from an empty payload only");

	e = in[0];
	e.name[0] = '\0';
	errno = 0;
	ok(proto_entry_pack(b, sizeof(b), &e) == -1 && errno == EINVAL, "packing an entry with an empty name is EINVAL");
	strcpy(e.name, "a:b");
	errno = 0;
	ok(proto_entry_pack(b, sizeof(b), &e) == -1 && errno == EINVAL, "packing an entry whose name has ':' is EINVAL");
	e = in[0];
	e.poll = 2;
	errno = 0;
	ok(proto_entry_pack(b, sizeof(b), &e) == -1 && errno == EINVAL, "packing an entry whose poll is 2 is EINVAL");
	errno = 0;
	ok(proto_entry_pack(b, PROTO_ENTRY_LEN + 2, &in[0]) == -1 && errno == EMSGSIZE &&
	    proto_entry_pack(b, 0, &in[0]) == -1 &&
	    proto_entry_pack(b, PROTO_ENTRY_LEN + 3, &in[0]) == PROTO_ENTRY_LEN + 3,
	    "packing an entry into one byte less than it needs is EMSGSIZE; exactly its size is enough");

	/* As the holder fills an ENTRIES frame: until EMSGSIZE, then a new frame. */
	e = in[2];
	len = 0;
	for (k = 0; k < PROTO_MAX_FDS; k++) {
		n = proto_entry_pack(b + len, sizeof(b) - len, &e);
		if (n == -1)
			break;
		len += (size_t)n;
	}
	ok(k == PROTO_MAX_PAYLOAD / (PROTO_ENTRY_LEN + PROTO_NAME_MAX) && n == -1 && errno == EMSGSIZE &&
	    len == k * (PROTO_ENTRY_LEN + PROTO_NAME_MAX),
	    "packing 277-byte entries into a 65535-byte payload stops with EMSGSIZE after %zu", k);
	ok(hdr_try(PROTO_ENTRIES, PROTO_F_MORE, (int)k, (int)len) == 0 && entries_errno(b, len, k) == 0,
	    "the %zu entries that fit make a valid ENTRIES header and payload", k);
	len = 0;
	e = in[1];
	for (k = 0; k < PROTO_MAX_FDS; k++) {
		n = proto_entry_pack(b + len, sizeof(b) - len, &e);
		if (n == -1)
			break;
		len += (size_t)n;
	}
	ok(k == PROTO_MAX_FDS && hdr_try(PROTO_ENTRIES, 0, PROTO_MAX_FDS, (int)len) == 0 &&
	    entries_errno(b, len, k) == 0,
	    "253 entries with short names fit one ENTRIES frame");
}

static void test_held(void)
{
	static const unsigned char want[] = {
		0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x0f, 0xfd, '@', 'n'
	};
	static unsigned char b[8 + PROTO_ADDR_MAX + 2];
	static struct proto_held h, t;
	ssize_t n;
	int res;

	h.count = 3;
	h.room = 4093;
	strcpy(h.addr, "@n");
	n = proto_held_pack(b, sizeof(b), &h);
	memset(&t, 0, sizeof(t));
	res = proto_held_unpack(b, (size_t)n, &t);
	ok(n == (ssize_t)sizeof(want) && memcmp(b, want, sizeof(want)) == 0 && res == 0 && t.count == 3 &&
	    t.room == 4093 && strcmp(t.addr, "@n") == 0,
	    "HELD packs as count and room big-endian and the address without a NUL, and round-trips");
	h.count = UINT32_MAX;
	h.room = 0;
	h.addr[0] = '\0';
	n = proto_held_pack(b, sizeof(b), &h);
	memset(&t, 0x5A, sizeof(t));
	res = proto_held_unpack(b, (size_t)n, &t);
	ok(n == 8 && res == 0 && t.count == UINT32_MAX && t.room == 0 && t.addr[0] == '\0',
	    "a HELD without a notify socket is 8 bytes and unpacks with an empty address");

	memset(h.addr, '/', PROTO_ADDR_MAX);
	h.addr[PROTO_ADDR_MAX] = '\0';
	n = proto_held_pack(b, sizeof(b), &h);
	res = proto_held_unpack(b, (size_t)n, &t);
	ok(n == 8 + PROTO_ADDR_MAX && res == 0 && strlen(t.addr) == PROTO_ADDR_MAX &&
	    hdr_try(PROTO_HELD, 0, 2, (int)n) == 0,
	    "a HELD with a 4095-byte address (the longest) round-trips and fits its header");
	errno = 0;
	ok(proto_held_pack(b, (size_t)n - 1, &h) == -1 && errno == EMSGSIZE &&
	    proto_held_pack(b, 7, &h) == -1,
	    "packing HELD into a buffer one byte short is EMSGSIZE");
	ok(proto_held_unpack(b, 8 + PROTO_ADDR_MAX + 1, &t) == -1 && errno == EPROTO,
	    "unpacking a HELD of 8 + 4096 bytes is EPROTO");
	errno = 0;
	ok(proto_held_unpack(b, 7, &t) == -1 && errno == EPROTO && proto_held_unpack(b, 0, &t) == -1,
	    "unpacking a HELD of 0 or 7 bytes is EPROTO");

	strcpy(h.addr, "/run/a\tb");
	errno = 0;
	ok(proto_held_pack(b, sizeof(b), &h) == -1 && errno == EINVAL,
	    "packing HELD with a tab in its address is EINVAL");
	strcpy(h.addr, "caf\xc3\xa9");
	errno = 0;
	ok(proto_held_pack(b, sizeof(b), &h) == -1 && errno == EINVAL,
	    "packing HELD with a non-ASCII address is EINVAL");
	strcpy(h.addr, "/run/x y~");
	n = proto_held_pack(b, sizeof(b), &h);
	ok(n == 8 + 9 && proto_held_unpack(b, (size_t)n, &t) == 0 && strcmp(t.addr, "/run/x y~") == 0,
	    "an address of printable ASCII, spaces included, round-trips");
	b[10] = '\n';
	ok(proto_held_unpack(b, (size_t)n, &t) == -1 && errno == EPROTO, "unpacking an address with a newline is EPROTO");
	b[10] = 0x7f;
	ok(proto_held_unpack(b, (size_t)n, &t) == -1 && errno == EPROTO, "unpacking an address with DEL is EPROTO");
	b[10] = '\0';
	ok(proto_held_unpack(b, (size_t)n, &t) == -1 && errno == EPROTO, "unpacking an address with a NUL is EPROTO");
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
	test_holder_headers();
	test_request();
	test_entries();
	test_held();
	test_example();
	return done_testing();
}
