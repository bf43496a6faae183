/* fuzz-cmsg.c - libFuzzer harness for the core's control-message parsing and building (src/ancil.c). */
/*
 * Build and run (from the source tree, config.h from a configured build dir):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I/work/main/src \
 *       -I/tmp/build-x tests/fuzz/fuzz-cmsg.c src/ancil.c -o /tmp/fuzz-cmsg
 *   /tmp/fuzz-cmsg -max_total_time=120 tests/fuzz/corpus-cmsg
 * (tests/fuzz/run.sh does both for every harness.)
 *
 * Two halves, both on every input:
 *
 * 1. The input is a received control buffer: copied into memory of exactly
 *    its size (so AddressSanitizer sees any read past it), aligned for
 *    struct cmsghdr, and walked with ancil_buf_next() until it returns 0 or
 *    -1.  Every item must lie inside the buffer, start right after a header
 *    whose cmsg_len it reflects, and carry no more descriptors than its
 *    payload holds; the walk must move forward and end.  The "descriptors"
 *    are random numbers: they are read with ancil_item_fd() and never closed.
 *
 * 2. The input is a script of ancil_buf_add_fds() / ancil_buf_add_creds() /
 *    ancil_buf_clear() calls on a small buffer.  A model of what the buffer
 *    should hold is kept alongside: a failed call must leave the length
 *    unchanged (all or nothing) with the documented errno, a successful one
 *    must grow it by exactly one aligned message, and re-parsing the buffer
 *    must give back exactly the model's messages.
 *
 * Any violated invariant abort()s, which libFuzzer reports as a crash.
 */
#include "os.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ancil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDRLEN ((size_t)CMSG_LEN(0))

static void check(int cond)
{
	if (!cond)
		abort();
}

static size_t align_up(size_t n)
{
	size_t a = (size_t)CMSG_SPACE(1) - (size_t)CMSG_SPACE(0);

	return (n + a - 1) / a * a;
}

/* ---- 1. Parsing arbitrary bytes ------------------------------------------ */

static void fuzz_parse(const uint8_t *data, size_t size)
{
	struct ancil_buf b;
	struct ancil_item it;
	unsigned char *mem;
	size_t pos = 0, steps = 0;
	int r;

	/* malloc is aligned for any object, so for struct cmsghdr too. */
	mem = malloc(size ? size : 1);
	check(mem != NULL);
	if (size)
		memcpy(mem, data, size);
	ancil_buf_init(&b, mem, size);
	check(ancil_buf_capacity(&b) == size && ancil_buf_length(&b) == 0);
	b.len = size;		/* as a recvmsg(2) of size bytes would leave it */

	for (;;) {
		struct cmsghdr h;
		size_t before = pos, clen;

		memset(&it, 0xa5, sizeof(it));
		errno = 0;
		r = ancil_buf_next(&b, &pos, &it);
		if (r == 0) {
			check(before >= size && pos == before);
			break;
		}
		if (r == -1) {
			check(errno == EBADMSG);
			/* Only a header that truly is malformed is refused. */
			check(before < size);
			if (size - before >= sizeof(h)) {
				memcpy(&h, mem + before, sizeof(h));
				clen = (size_t)h.cmsg_len;
				check(clen < HDRLEN || clen > size - before ||
				    (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS &&
				    (clen - HDRLEN) % sizeof(int) != 0));
			}
			break;
		}
		check(r == 1);
		steps++;
		check(steps <= size / HDRLEN);
		/* The header is entirely inside the buffer; so is its payload. */
		check(before < size && size - before >= sizeof(h));
		memcpy(&h, mem + before, sizeof(h));
		clen = (size_t)h.cmsg_len;
		check(clen >= HDRLEN && clen <= size - before);
		check(it.data == mem + before + HDRLEN);
		check(it.datalen == clen - HDRLEN);
		check(it.data >= mem && it.datalen <= size &&
		    (size_t)(it.data - mem) <= size - it.datalen);
		check(it.level == h.cmsg_level && it.type == h.cmsg_type);
		/* The walk moves forward, to the next aligned header or the end. */
		check(pos > before && pos <= size);
		check(pos == size || pos == before + align_up(clen));

		switch (it.kind) {
		case ANCIL_RIGHTS:
			check(it.level == SOL_SOCKET && it.type == SCM_RIGHTS);
			check(it.nfds * sizeof(int) == it.datalen);
			break;
		case ANCIL_PIDFD:
			check(it.level == SOL_SOCKET && it.type == SCM_PIDFD);
			check(it.nfds * sizeof(int) <= it.datalen);
			check(it.datalen - it.nfds * sizeof(int) < sizeof(int));
			break;
		case ANCIL_CREDS: {
			struct ucred uc;

			check(it.level == SOL_SOCKET && it.type == SCM_CREDENTIALS);
			check(it.datalen >= sizeof(uc));
			memcpy(&uc, it.data, sizeof(uc));
			check(it.cred.pid == uc.pid && it.cred.uid == uc.uid &&
			    it.cred.gid == uc.gid);
			check(it.nfds == 0);
			break;
		}
		case ANCIL_OTHER:
			check(it.nfds == 0);
			check(!(it.level == SOL_SOCKET && it.type == SCM_RIGHTS));
			check(!(it.level == SOL_SOCKET && it.type == SCM_PIDFD));
			check(!(it.level == SOL_SOCKET && it.type == SCM_CREDENTIALS &&
			    it.datalen >= sizeof(struct ucred)));
			break;
		default:
			abort();
		}
		/* Every descriptor is the payload's bytes; one past the last is refused. */
		if (it.kind == ANCIL_RIGHTS || it.kind == ANCIL_PIDFD) {
			for (size_t i = 0; i < it.nfds; i++) {
				int fd, want;

				fd = ancil_item_fd(&it, i);
				memcpy(&want, it.data + i * sizeof(int), sizeof(int));
				check(fd == want);
			}
			errno = 0;
			check(ancil_item_fd(&it, it.nfds) == -1 && errno == EINVAL);
		} else {
			errno = 0;
			check(ancil_item_fd(&it, 0) == -1 && errno == EINVAL);
		}
	}
	free(mem);
}

/* ---- 2. Building from a script ------------------------------------------ */

#define MAX_MSGS 64

/* What one successfully appended message should read back as. */
struct model_msg {
	enum ancil_kind kind;
	size_t nfds;
	int fds[ANCIL_MAX_FDS + 2];
	struct ancil_cred cred;
};

/* Bytes of input consumed one at a time; 0 once they run out. */
struct script {
	const uint8_t *p;
	size_t left;
};

static unsigned next_byte(struct script *s)
{
	if (s->left == 0)
		return 0;
	s->left--;
	return *s->p++;
}

static uint32_t next_u32(struct script *s)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | next_byte(s);
	return v;
}

/* Checks that b holds exactly the model's messages, in order. */
static void reparse(const struct ancil_buf *b, const struct model_msg *m, size_t nm)
{
	struct ancil_item it;
	size_t pos = 0, k = 0, total = 0;
	int r;

	while ((r = ancil_buf_next(b, &pos, &it)) == 1) {
		check(k < nm);
		check(it.kind == m[k].kind);
		if (it.kind == ANCIL_RIGHTS) {
			check(it.nfds == m[k].nfds);
			for (size_t i = 0; i < it.nfds; i++)
				check(ancil_item_fd(&it, i) == m[k].fds[i]);
			total += it.nfds;
		} else {
			check(it.kind == ANCIL_CREDS);
			check(it.cred.pid == m[k].cred.pid && it.cred.uid == m[k].cred.uid &&
			    it.cred.gid == m[k].cred.gid);
		}
		k++;
	}
	check(r == 0 && k == nm && pos == b->len);
	check(total <= ANCIL_MAX_FDS);
}

static void fuzz_build(const uint8_t *data, size_t size)
{
	static struct model_msg model[MAX_MSGS];
	static unsigned char snap[ANCIL_SPACE(ANCIL_MAX_FDS, 1) + 64];
	struct script s = { data, size };
	struct ancil_buf b;
	unsigned char *mem;
	size_t cap, nm = 0, total = 0;
	unsigned ops = 0;

	/* Room for 0 up to a little more than 253 descriptors and a credential. */
	cap = (next_byte(&s) << 8 | next_byte(&s)) % (ANCIL_SPACE(ANCIL_MAX_FDS, 1) + 64);
	mem = malloc(cap ? cap : 1);
	check(mem != NULL);
	ancil_buf_init(&b, mem, cap);
	check(ancil_buf_empty(&b) && !ancil_buf_truncated(&b));

	while (s.left > 0 && ops++ < 64) {
		unsigned op = next_byte(&s) % 4;
		size_t before = b.len;
		int r = 0;

		/* What is there already must survive every call byte for byte. */
		memcpy(snap, mem, before);

		if (op == 0 || op == 1) {
			/* add_fds: a count that may be 0 or past the limit. */
			struct model_msg *m = &model[nm < MAX_MSGS ? nm : MAX_MSGS - 1];
			size_t n = op == 0 ? next_byte(&s) % 8 : next_byte(&s) + 1;
			int bad = 0, *fds = m->fds;
			uint32_t seed = next_u32(&s);

			if (n > ANCIL_MAX_FDS + 2)
				n = ANCIL_MAX_FDS + 2;
			for (size_t i = 0; i < n; i++) {
				/* Mostly valid numbers; now and then a negative one. */
				fds[i] = (seed & 0xff) == 0xff && i == n - 1 ? -1 - (int)(seed >> 24)
				    : (int)((seed + (uint32_t)i * 2654435761u) & 0x7fffffff);
				bad |= fds[i] < 0;
			}
			int inval = n == 0 || n > ANCIL_MAX_FDS || bad || total + n > ANCIL_MAX_FDS;
			int noroom = align_up(before) + CMSG_SPACE(n * sizeof(int)) > cap;

			errno = 0;
			r = ancil_buf_add_fds(&b, n ? fds : NULL, n);
			if (inval && noroom) {
				/* Either reason may be reported; nothing may change. */
				check(r == -1 && (errno == EINVAL || errno == EMSGSIZE) && b.len == before);
			} else if (inval) {
				check(r == -1 && errno == EINVAL && b.len == before);
			} else if (noroom) {
				check(r == -1 && errno == EMSGSIZE && b.len == before);
			} else {
				check(r == (int)n);
				check(b.len == align_up(before) + CMSG_SPACE(n * sizeof(int)));
				check(nm < MAX_MSGS);
				m->kind = ANCIL_RIGHTS;
				m->nfds = n;
				nm++;
				total += n;
			}
		} else if (op == 2) {
			struct ancil_cred c, *cp = NULL;
			unsigned how = next_byte(&s);

			if (how & 1) {
				c.pid = (pid_t)next_u32(&s);
				c.uid = (uid_t)next_u32(&s);
				c.gid = (gid_t)next_u32(&s);
				cp = &c;
			}
			errno = 0;
			r = ancil_buf_add_creds(&b, cp);
			if (align_up(before) + CMSG_SPACE(sizeof(struct ucred)) > cap) {
				check(r == -1 && errno == EMSGSIZE && b.len == before);
			} else {
				struct model_msg *m;

				check(r == 0);
				check(b.len == align_up(before) + CMSG_SPACE(sizeof(struct ucred)));
				check(nm < MAX_MSGS);
				m = &model[nm++];
				m->kind = ANCIL_CREDS;
				m->nfds = 0;
				if (cp) {
					m->cred = c;
				} else {
					m->cred.pid = getpid();
					m->cred.uid = getuid();
					m->cred.gid = getgid();
				}
			}
		} else {
			reparse(&b, model, nm);
			ancil_buf_clear(&b);
			check(ancil_buf_empty(&b) && ancil_buf_length(&b) == 0);
			check(ancil_buf_capacity(&b) == cap);
			nm = 0;
			total = 0;
			before = 0;
		}
		check(b.len <= cap && b.len >= before);
		check(memcmp(snap, mem, before) == 0);
		(void)r;
		/* Room for MAX_MSGS messages is never reached: each takes >= 24 bytes. */
		check(nm < MAX_MSGS);
	}
	reparse(&b, model, nm);
	free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parse(data, size);
	fuzz_build(data, size);
	return 0;
}
