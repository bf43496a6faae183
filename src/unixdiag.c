/* unixdiag.c - the kernel's view of unix sockets (NETLINK_SOCK_DIAG) and which processes hold them. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unixdiag.h"

#ifdef __linux__
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<linux/unix_diag.h>)
#define UNIXDIAG_NETLINK 1
#endif
#else
#define UNIXDIAG_NETLINK 1
#endif
#endif

#ifdef UNIXDIAG_NETLINK
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#endif

#define NONE ((size_t)-1)

/*
 * An open-addressing map from a non-zero 64-bit key to a chain of item
 * indices (items sharing a key are linked through next).
 */
struct imap {
	unsigned long long *keys;	/* 0: an empty slot */
	size_t *head;
	size_t *next;			/* per item */
	size_t mask;
};

static size_t imap_hash(unsigned long long k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t imap_slot(const struct imap *m, unsigned long long key)
{
	size_t i = imap_hash(key) & m->mask;

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & m->mask;
	return i;
}

/* The first item of key, or NONE. */
static size_t imap_first(const struct imap *m, unsigned long long key)
{
	size_t i;

	if (!m->keys || !key)
		return NONE;
	i = imap_slot(m, key);
	return m->keys[i] ? m->head[i] : NONE;
}

static void imap_free(struct imap *m)
{
	free(m->keys);
	free(m->head);
	free(m->next);
}

/* FNV-1a of an abstract name, never 0 (an empty slot). */
static unsigned long long name_key(const char *s, size_t n)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h ? h : 1;
}

#ifdef __linux__
/* Room for nitems items, keys at most half the slots; -1 with errno (the owner frees m anyway). */
static int imap_init(struct imap *m, size_t nitems)
{
	size_t cap = 16;

	while (cap < 2 * nitems)
		cap *= 2;
	m->mask = cap - 1;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->head = malloc(cap * sizeof(*m->head));
	m->next = malloc((nitems ? nitems : 1) * sizeof(*m->next));
	if (!m->keys || !m->head || !m->next) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Puts item at the front of key's chain (key 0: nothing). */
static void imap_add(struct imap *m, unsigned long long key, size_t item)
{
	size_t i;

	if (!key)
		return;
	i = imap_slot(m, key);
	m->next[item] = m->keys[i] ? m->head[i] : NONE;
	m->keys[i] = key;
	m->head[i] = item;
}
#endif

/* ---- The kernel's table -------------------------------------------------- */

enum { BY_INO, BY_FILE, BY_NAME, NMAPS };

struct unixdiag {
	struct unixdiag_sock *socks;
	size_t n, cap;
	struct imap map[NMAPS];
	struct imap by_client;		/* a pending client's inode: its entry in listener_of */
	size_t *listener_of;		/* per pending entry: its listener's index in socks */
};

static const struct unixdiag_sock *diag_first(const struct unixdiag *t, int kind, unsigned long long key)
{
	size_t i = imap_first(&t->map[kind], key);

	return i == NONE ? NULL : &t->socks[i];
}

const struct unixdiag_sock *unixdiag_find(const struct unixdiag *t, unsigned long long ino)
{
	return diag_first(t, BY_INO, ino);
}

const struct unixdiag_sock *unixdiag_find_file(const struct unixdiag *t, unsigned int major,
    unsigned int minor, unsigned long long ino)
{
	if (major > 0xfff || minor > 0xfffff)
		return NULL;	/* beyond what the kernel's encoding holds */
	return diag_first(t, BY_FILE, (unsigned long long)(major << 20 | minor) << 32 | (ino & 0xffffffffULL));
}

const struct unixdiag_sock *unixdiag_find_abstract(const struct unixdiag *t, const char *name, size_t len)
{
	size_t i = imap_first(&t->map[BY_NAME], name_key(name, len));

	for (; i != NONE; i = t->map[BY_NAME].next[i]) {
		const struct unixdiag_sock *s = &t->socks[i];

		if (s->namelen == len + 1 && memcmp(s->name + 1, name, len) == 0)
			return s;
	}
	return NULL;
}

const struct unixdiag_sock *unixdiag_listener_of(const struct unixdiag *t, unsigned long long client)
{
	size_t i = imap_first(&t->by_client, client);

	return i == NONE ? NULL : &t->socks[t->listener_of[i]];
}

const struct unixdiag_sock *unixdiag_all(const struct unixdiag *t, size_t *n)
{
	*n = t->n;
	return t->socks;
}

void unixdiag_free(struct unixdiag *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->socks[i].pending);
		free(t->socks[i].name);
	}
	for (int k = 0; k < NMAPS; k++)
		imap_free(&t->map[k]);
	imap_free(&t->by_client);
	free(t->listener_of);
	free(t->socks);
	free(t);
}

#ifdef UNIXDIAG_NETLINK
/* s's key in map kind; 0 when it has none there. */
static unsigned long long sock_key(const struct unixdiag_sock *s, int kind)
{
	switch (kind) {
	case BY_INO:
		return s->ino;
	case BY_FILE:
		return s->have_vfs ? (unsigned long long)(s->vfs_major << 20 | s->vfs_minor) << 32 | s->vfs_ino : 0;
	default:
		return s->namelen && s->name[0] == '\0' ? name_key(s->name + 1, s->namelen - 1) : 0;
	}
}

#define DIAG_SEQ 0x66647231	/* "fdr1" */
#define DIAG_BUF 32768		/* the kernel fills a dump's datagrams to the reader's buffer, up to 32 KiB */

/* Adds the socket one SOCK_DIAG_BY_FAMILY message describes; -1 with errno (EPROTO: malformed). */
static int diag_parse(struct unixdiag *t, const unsigned char *p, size_t len)
{
	struct unix_diag_msg m;
	struct unixdiag_sock *s;
	size_t off = NLMSG_ALIGN(sizeof(m));

	if (len < sizeof(m))
		goto bad;
	memcpy(&m, p, sizeof(m));
	if (m.udiag_family != AF_UNIX)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		void *g = realloc(t->socks, cap * sizeof(*t->socks));

		if (!g)
			return -1;
		t->socks = g;
		t->cap = cap;
	}
	s = &t->socks[t->n++];
	memset(s, 0, sizeof(*s));
	s->ino = m.udiag_ino;
	s->type = m.udiag_type;
	s->state = m.udiag_state;
	s->listening = m.udiag_state == 10;	/* TCP_LISTEN */
	while (off + sizeof(struct rtattr) <= len) {
		struct rtattr a;
		const unsigned char *d = p + off + RTA_LENGTH(0);
		size_t dlen;

		memcpy(&a, p + off, sizeof(a));
		if (a.rta_len < RTA_LENGTH(0) || a.rta_len > len - off)
			goto bad;
		dlen = a.rta_len - RTA_LENGTH(0);
		off += RTA_ALIGN(a.rta_len);
		if (a.rta_type == UNIX_DIAG_NAME && dlen && !s->name) {
			if (!(s->name = malloc(dlen + 1)))
				return -1;
			memcpy(s->name, d, dlen);
			s->name[dlen] = '\0';
			s->namelen = s->name[0] ? strlen(s->name) : dlen;
		} else if (a.rta_type == UNIX_DIAG_VFS) {
			struct unix_diag_vfs v;

			if (dlen < sizeof(v))
				goto bad;
			memcpy(&v, d, sizeof(v));
			s->have_vfs = 1;
			s->vfs_major = v.udiag_vfs_dev >> 20;
			s->vfs_minor = v.udiag_vfs_dev & 0xfffff;
			s->vfs_ino = v.udiag_vfs_ino;
		} else if (a.rta_type == UNIX_DIAG_PEER) {
			uint32_t peer;

			if (dlen < sizeof(peer))
				goto bad;
			memcpy(&peer, d, sizeof(peer));
			s->peer = peer;
		} else if (a.rta_type == UNIX_DIAG_RQLEN) {
			struct unix_diag_rqlen q;

			if (dlen < sizeof(q))
				goto bad;
			memcpy(&q, d, sizeof(q));
			s->have_queue = 1;
			s->rqueue = q.udiag_rqueue;
			s->wqueue = q.udiag_wqueue;
		} else if (a.rta_type == UNIX_DIAG_ICONS && dlen >= sizeof(uint32_t) && !s->pending) {
			s->npending = dlen / sizeof(uint32_t);
			if (!(s->pending = malloc(s->npending * sizeof(*s->pending))))
				return -1;
			for (size_t i = 0; i < s->npending; i++) {
				uint32_t ino;

				memcpy(&ino, d + i * sizeof(ino), sizeof(ino));
				s->pending[i] = ino;
			}
		}
	}
	return 0;
bad:
	errno = EPROTO;
	return -1;
}

/*
 * Adds to t the sockets that n bytes of replies to the dump describe
 * (messages of another sequence are skipped).  Returns 1 at NLMSG_DONE,
 * 0 when more is to come, -1 with errno (EPROTO: malformed; the kernel's
 * error when it refused).
 */
static int diag_reply(struct unixdiag *t, const unsigned char *buf, size_t n)
{
	for (size_t off = 0; off + sizeof(struct nlmsghdr) <= n; ) {
		struct nlmsghdr h;
		const unsigned char *d = buf + off + NLMSG_HDRLEN;
		size_t dlen;
		int e;

		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > n - off) {
			errno = EPROTO;
			return -1;
		}
		dlen = h.nlmsg_len - NLMSG_HDRLEN;
		off += NLMSG_ALIGN(h.nlmsg_len);
		if (h.nlmsg_seq != DIAG_SEQ)
			continue;
		if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) {
			/* DONE may carry the dump's error; ERROR carries nlmsgerr, whose first field is the error. */
			e = 0;
			if (dlen >= sizeof(e))
				memcpy(&e, d, sizeof(e));
			else if (h.nlmsg_type == NLMSG_ERROR)
				e = -EPROTO;
			if (e < 0) {
				errno = e == INT_MIN ? EPROTO : -e;
				return -1;
			}
			if (h.nlmsg_type == NLMSG_DONE)
				return 1;
		} else if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY && diag_parse(t, d, dlen) == -1) {
			return -1;
		}
	}
	return 0;
}

/*
 * Reads replies to the dump on nl into t until NLMSG_DONE; -1 with errno
 * (the kernel's, when it refused).
 */
static int diag_recv(int nl, struct unixdiag *t, unsigned char *buf)
{
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { buf, DIAG_BUF };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t got = recvmsg(nl, &msg, 0);
		int r;

		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			return -1;
		if (got == 0 || (msg.msg_flags & MSG_TRUNC)) {
			errno = got ? EMSGSIZE : EPROTO;
			return -1;
		}
		if (msg.msg_namelen < sizeof(from) || from.nl_pid != 0)
			continue;	/* not from the kernel */
		if ((r = diag_reply(t, buf, (size_t)got)) != 0)
			return r == 1 ? 0 : -1;
	}
}

/* Builds t's maps; -1 with errno. */
static int diag_index(struct unixdiag *t)
{
	size_t npending = 0, j = 0;

	for (int k = 0; k < NMAPS; k++) {
		if (imap_init(&t->map[k], t->n) == -1)
			return -1;
		for (size_t i = t->n; i-- > 0; )	/* backwards: chains in dump order */
			imap_add(&t->map[k], sock_key(&t->socks[i], k), i);
	}
	for (size_t i = 0; i < t->n; i++)
		npending += t->socks[i].npending;
	if (imap_init(&t->by_client, npending) == -1 ||
	    !(t->listener_of = malloc((npending ? npending : 1) * sizeof(*t->listener_of))))
		return -1;
	for (size_t i = 0; i < t->n; i++)
		for (size_t k = 0; k < t->socks[i].npending; k++, j++) {
			t->listener_of[j] = i;
			imap_add(&t->by_client, t->socks[i].pending[k], j);
		}
	return 0;
}

struct unixdiag *unixdiag_load(void)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct unixdiag *t = calloc(1, sizeof(*t));
	unsigned char *buf = malloc(DIAG_BUF);
	int nl = -1, e;

	if (!t || !buf)
		goto fail;
	if ((nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) == -1)
		goto fail;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = DIAG_SEQ;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0U;
	req.r.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN;
	while (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) == -1)
		if (errno != EINTR)
			goto fail;
	if (diag_recv(nl, t, buf) == -1 || diag_index(t) == -1)
		goto fail;
	close(nl);
	free(buf);
	return t;
fail:
	e = errno;
	if (nl != -1)
		close(nl);
	free(buf);
	unixdiag_free(t);
	errno = e;
	return NULL;
}

struct unixdiag *unixdiag_parse(const void *buf, size_t len)
{
	struct unixdiag *t = calloc(1, sizeof(*t));
	int e;

	if (!t)
		return NULL;
	if (diag_reply(t, buf, len) == -1 || diag_index(t) == -1) {
		e = errno;
		unixdiag_free(t);
		errno = e;
		return NULL;
	}
	return t;
}
#else
struct unixdiag *unixdiag_load(void)
{
	errno = ENOSYS;
	return NULL;
}

struct unixdiag *unixdiag_parse(const void *buf, size_t len)
{
	(void)buf;
	(void)len;
	errno = ENOSYS;
	return NULL;
}
#endif

/* ---- Who holds what (/proc) --------------------------------------------- */

struct unixdiag_procs {
	struct unixdiag_holder *holders;	/* by inode, pid, fd */
	unsigned long long *inos;		/* holders[i]'s socket */
	size_t n, hidden;
	struct imap map;			/* inode: its first holder */
};

const struct unixdiag_holder *unixdiag_procs_find(const struct unixdiag_procs *p, unsigned long long ino, size_t *n)
{
	size_t i = imap_first(&p->map, ino), j = i;

	if (i == NONE) {
		*n = 0;
		return NULL;
	}
	while (j < p->n && p->inos[j] == ino)
		j++;
	*n = j - i;
	return &p->holders[i];
}

size_t unixdiag_procs_hidden(const struct unixdiag_procs *p)
{
	return p->hidden;
}

void unixdiag_procs_free(struct unixdiag_procs *p)
{
	if (!p)
		return;
	free(p->holders);
	free(p->inos);
	imap_free(&p->map);
	free(p);
}

#ifdef __linux__
/* One holding while walking. */
struct rec {
	unsigned long long ino;
	struct unixdiag_holder h;
};

struct walk {
	struct rec *recs;
	size_t n, cap;
	struct imap want;	/* keys only; no keys: every socket */
	int all;
};

/* A decimal number without sign or leading zero, below limit; -1 when s is not one. */
static long long dec(const char *s, size_t len, unsigned long long limit)
{
	unsigned long long v = 0;

	if (!len || len > 20 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (limit - (unsigned)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return (long long)v;
}

/* The inode of link text "socket:[N]" (len bytes), or 0 when it is not one. */
static unsigned long long socket_ino(const char *s, size_t len)
{
	long long v;

	if (len < 10 || memcmp(s, "socket:[", 8) != 0 || s[len - 1] != ']')
		return 0;
	v = dec(s + 8, len - 9, INT64_MAX);
	return v > 0 ? (unsigned long long)v : 0;
}

static void read_comm(int proc, long pid, char comm[17])
{
	char path[40];
	ssize_t got;
	int fd;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "%ld/comm", pid);
	if ((fd = openat(proc, path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	while ((got = read(fd, comm, 16)) == -1 && errno == EINTR)
		;
	close(fd);
	if (got < 0)
		got = 0;
	comm[got] = '\0';
	if (got && comm[got - 1] == '\n')
		comm[got - 1] = '\0';
}

/*
 * Records the wanted sockets among the descriptors of process pid; 1 when
 * its list could not be read for want of privilege, 0 otherwise (it may
 * have exited), -1 with errno when memory ran out.
 */
static int walk_pid(struct walk *w, int proc, long pid)
{
	char path[40], link[64], comm[17];
	size_t first = w->n;
	struct dirent *e;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "%ld/fd", pid);
	if ((fd = openat(proc, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == EACCES || errno == EPERM;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		long long num = dec(e->d_name, strlen(e->d_name), INT32_MAX);
		ssize_t len;
		unsigned long long ino;

		if (num < 0 || (len = readlinkat(fd, e->d_name, link, sizeof(link))) <= 0)
			continue;
		if (!(ino = socket_ino(link, (size_t)len)) || (!w->all && imap_first(&w->want, ino) == NONE))
			continue;
		if (w->n == w->cap) {
			size_t cap = w->cap ? 2 * w->cap : 256;
			void *g = realloc(w->recs, cap * sizeof(*w->recs));

			if (!g) {
				closedir(d);
				return -1;
			}
			w->recs = g;
			w->cap = cap;
		}
		w->recs[w->n].ino = ino;
		w->recs[w->n].h.pid = pid;
		w->recs[w->n++].h.fd = (int)num;
	}
	closedir(d);
	if (w->n > first) {
		read_comm(proc, pid, comm);
		for (size_t i = first; i < w->n; i++)
			memcpy(w->recs[i].h.comm, comm, sizeof(comm));
	}
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->h.pid != y->h.pid)
		return x->h.pid < y->h.pid ? -1 : 1;
	return (x->h.fd > y->h.fd) - (x->h.fd < y->h.fd);
}

struct unixdiag_procs *unixdiag_procs_load(const unsigned long long *wanted, size_t nwanted)
{
	struct unixdiag_procs *p = calloc(1, sizeof(*p));
	struct walk w = { .all = !wanted };
	struct dirent *e;
	DIR *d = NULL;
	int proc = -1, r, err;

	if (!p || (wanted && imap_init(&w.want, nwanted) == -1))
		goto fail;
	for (size_t i = 0; i < nwanted && wanted; i++)
		imap_add(&w.want, wanted[i], i);
	if ((proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto fail;
	if (!(d = fdopendir(proc)))
		goto fail;
	while ((e = readdir(d)) != NULL) {
		long long pid = dec(e->d_name, strlen(e->d_name), INT32_MAX);

		if (pid <= 0)
			continue;
		if ((r = walk_pid(&w, proc, (long)pid)) == -1)
			goto fail;
		p->hidden += (size_t)r;
	}
	if (w.n)
		qsort(w.recs, w.n, sizeof(*w.recs), rec_cmp);
	p->holders = malloc((w.n ? w.n : 1) * sizeof(*p->holders));
	p->inos = malloc((w.n ? w.n : 1) * sizeof(*p->inos));
	if (!p->holders || !p->inos || imap_init(&p->map, w.n) == -1)
		goto fail;
	for (size_t i = w.n; i-- > 0; ) {	/* backwards: each inode's first holder last */
		p->holders[i] = w.recs[i].h;
		p->inos[i] = w.recs[i].ino;
		imap_add(&p->map, p->inos[i], i);
	}
	p->n = w.n;
	closedir(d);
	free(w.recs);
	imap_free(&w.want);
	return p;
fail:
	err = errno;
	if (d)
		closedir(d);
	else if (proc != -1)
		close(proc);
	free(w.recs);
	imap_free(&w.want);
	unixdiag_procs_free(p);
	errno = err;
	return NULL;
}
#else
struct unixdiag_procs *unixdiag_procs_load(const unsigned long long *wanted, size_t nwanted)
{
	(void)wanted;
	(void)nwanted;
	errno = ENOSYS;
	return NULL;
}
#endif
