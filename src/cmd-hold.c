/* cmd-hold.c - fdrelay hold: a descriptor holder serving store, fetch, drop, list and take-over. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ancil.h"
#include "fdrelay.h"
#include "frame.h"
#include "heldtab.h"
#include "listener.h"
#include "notify.h"
#include "os.h"
#include "sig.h"
#include "sock.h"

/*
 * One process, one poll(2) loop: the table is the state, so nothing is
 * forked.  Every client is a non-blocking state machine with a deadline
 * (REQUEST, then OFFERs for a store, then a reply streamed a frame at a
 * time, then, for a fetch, the client's ACK), so a slow, silent or
 * hostile client costs the others nothing.  Held descriptors that can be
 * polled sit in one epoll set watched for hangups only, so 100,000 held
 * cost nothing per request.
 */

#define HOLD_MAX_FDS 4096		/* default --max-fds */
#define HOLD_MAX_CLIENTS 256		/* served at once; more wait in the backlog */
#define HOLD_ROUND 64			/* accepts, notify messages, hangups per loop round */
#define HOLD_NOTIFY_MAX 4096		/* bytes of one notify message */

enum cstate {
	C_REQUEST,	/* reading the REQUEST */
	C_OFFERS,	/* STORE: reading OFFER frames */
	C_REPLY,	/* sending the reply, then c->after */
	C_ACK,		/* FETCH, TAKEOVER: reading the client's ACK */
	C_DRAIN,	/* TAKEOVER: waiting for the other clients to finish */
	C_CLOSE
};

struct hclient {
	struct hclient *next;
	int sock;
	struct ancil_cred cred;
	long long deadline;
	enum cstate state, after;
	struct frame_rx rx;
	struct proto_request req;
	struct frame_batch batch;	/* STORE: what arrived */
	struct frame_tx *tx;
	struct held **snap;		/* the entries of a reply, each referenced */
	size_t nsnap, sent;
	int fds[PROTO_MAX_FDS];		/* the descriptors of the ENTRIES frame in tx */
	int take;			/* FETCH --take: remove on ACK */
	int pfd;			/* index in the poll array, -1 */
};

struct hold {
	const struct opts *o;
	struct heldtab *t;
	long max_fds;
	int timeout_ms;
	struct listener l;
	struct listener_cfg cfg;
	int nsock;			/* notify socket, -1 */
	struct sock_file nfile;
	char naddr[PROTO_ADDR_MAX + 1];	/* its address, absolute */
	int ep;				/* epoll set of pollable held descriptors */
	struct hclient *clients;	/* in the order they connected */
	struct hclient **tail;
	size_t nclients;
	struct hclient *successor;	/* a take-over in progress */
	int handed_over;		/* the successor has everything: exit */
};

static void hlog(const struct hold *H, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hlog(const struct hold *H, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!H->o->verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fdr_warnx("hold: %s", buf);
}

/* ---- The table, with hangup watching ---------------------------------- */

/* Removes h from the table, no longer watching it. */
static void drop(struct hold *H, struct held *h)
{
	if (h->polled)
		(void)epoll_ctl(H->ep, EPOLL_CTL_DEL, h->fd, NULL);
	h->polled = 0;
	heldtab_remove(H->t, h);
}

/*
 * Watches h for POLLHUP and POLLERR (events 0: epoll always reports
 * those).  Kinds epoll cannot watch (regular files, directories: EPERM)
 * are simply kept.
 */
static void watch(struct hold *H, struct held *h)
{
	struct epoll_event ev = { .events = 0, .data.ptr = h };

	if (h->poll && epoll_ctl(H->ep, EPOLL_CTL_ADD, h->fd, &ev) == 0)
		h->polled = 1;
}

static long room(const struct hold *H)
{
	long n = H->max_fds - (long)heldtab_count(H->t);

	return n < 0 ? 0 : n;
}

/* ---- Clients ------------------------------------------------------------ */

static void client_free(struct hold *H, struct hclient *c)
{
	struct hclient **p;

	for (p = &H->clients; *p && *p != c; p = &(*p)->next)
		;
	if (*p)
		*p = c->next;
	if (H->tail == &c->next)
		H->tail = p;
	H->nclients--;
	if (c == H->successor) {
		H->successor = NULL;
		if (!H->handed_over)
			hlog(H, "take-over by pid %ld failed; going on", (long)c->cred.pid);
	}
	for (size_t i = 0; i < c->nsnap; i++)
		heldtab_unref(H->t, c->snap[i]);
	free(c->snap);
	frame_batch_free(&c->batch);
	frame_rx_reset(&c->rx);
	free(c->rx.payload);
	free(c->tx);
	close(c->sock);
	free(c);
}

/* Queues one frame; the loop sends it, then goes to c->after. */
static void reply(struct hclient *c, int type, const void *payload, size_t len, enum cstate after)
{
	if (!c->tx && !(c->tx = malloc(sizeof(*c->tx)))) {
		c->state = C_CLOSE;
		return;
	}
	(void)frame_tx_set(c->tx, type, 0, payload, len, NULL, 0);
	c->state = C_REPLY;
	c->after = after;
}

static void reply_ack(struct hclient *c, uint32_t n, enum cstate after)
{
	unsigned char b[4];

	reply(c, PROTO_ACK, b, proto_ack_pack(b, n), after);
}

static void reply_refuse(struct hclient *c, enum proto_refusal why)
{
	unsigned char b[1];

	reply(c, PROTO_REFUSE, b, proto_refuse_pack(b, why), C_CLOSE);
}

static void reply_error(struct hclient *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_error(struct hclient *c, const char *fmt, ...)
{
	char text[PROTO_ERROR_MAX + 1];
	unsigned char b[PROTO_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	reply(c, PROTO_ERROR, b, proto_error_pack(b, sizeof(b), text), C_CLOSE);
}

/* Takes a reference on each entry of a reply (snap: n entries, malloc'ed). */
static void snapshot(struct hclient *c, struct held **snap, size_t n)
{
	c->snap = snap;
	c->nsnap = n;
	c->sent = 0;
	for (size_t i = 0; i < n; i++)
		heldtab_ref(snap[i]);
}

/* Packs the next ENTRIES frame of c's snapshot into c->tx. */
static void next_entries(struct hclient *c)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	size_t len = 0, k = 0;
	long long now = frame_now();

	while (c->sent < c->nsnap && k < PROTO_MAX_FDS) {
		struct held *h = c->snap[c->sent];
		struct proto_entry e = {
			.owner = (uint32_t)h->owner,
			.age_ms = now > h->stored ? (uint64_t)(now - h->stored) : 0,
			.left_ms = !h->expires ? PROTO_NO_EXPIRY : h->expires > now ? (uint64_t)(h->expires - now) : 0,
			.poll = (uint8_t)!!h->poll,
		};
		ssize_t n;

		strcpy(e.name, h->name);
		if ((n = proto_entry_pack(payload + len, sizeof(payload) - len, &e)) == -1)
			break;
		len += (size_t)n;
		c->fds[k++] = h->fd;
		c->sent++;
	}
	(void)frame_tx_set(c->tx, PROTO_ENTRIES, c->sent < c->nsnap ? PROTO_F_MORE : 0, payload, len, c->fds, k);
}

/* HELD, then ENTRIES frames of snap, then state after. */
static void reply_entries(struct hold *H, struct hclient *c, struct held **snap, size_t n, uint32_t left,
    const int *socks, size_t nsocks, enum cstate after)
{
	struct proto_held ph = { .count = (uint32_t)n, .room = left };
	unsigned char b[8 + PROTO_ADDR_MAX];
	ssize_t len;

	snapshot(c, snap, n);
	strcpy(ph.addr, H->naddr);
	len = proto_held_pack(b, sizeof(b), &ph);
	reply(c, PROTO_HELD, b, (size_t)len, after);
	if (c->state == C_REPLY && nsocks)
		(void)frame_tx_set(c->tx, PROTO_HELD, 0, b, (size_t)len, socks, nsocks);
}

/* The uid a request acts for: the caller's, or root's --owner; -1 after a refusal. */
static long acting_owner(struct hclient *c)
{
	if (c->req.owner == PROTO_OWNER_SELF || c->req.owner == c->cred.uid)
		return (long)c->cred.uid;
	if (c->cred.uid == 0)
		return (long)c->req.owner;
	reply_refuse(c, PROTO_REFUSE_POLICY);
	return -1;
}

/* A growing array of entries. */
struct hlist {
	struct held **v;
	size_t n, cap;
};

static int hlist_add(struct hlist *l, struct held *h)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct held **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = h;
	return 0;
}

/*
 * What NAMEs (or with none, everything) owner holds, in the order of the
 * names, each name's in store order.  Returns 0; 1 after replying that a
 * name is not held; -1 out of memory.
 */
static int collect(struct hold *H, struct hclient *c, uid_t owner, char **names, struct hlist *l)
{
	if (c->req.nnames == 0) {
		for (struct held *h = heldtab_owner_first(H->t, owner); h; h = heldtab_owner_next(h))
			if (hlist_add(l, h) == -1)
				return -1;
		return 0;
	}
	for (size_t i = 0; i < c->req.nnames; i++) {
		struct held *h = heldtab_find(H->t, owner, names[i]);

		if (!h) {
			reply_error(c, "%s: not held", names[i]);
			return 1;
		}
		/* A name given twice is fetched (or dropped) once. */
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[j], names[i]))
				h = NULL;
		for (; h; h = heldtab_name_next(h))
			if (hlist_add(l, h) == -1)
				return -1;
	}
	return 0;
}

static void do_fetch_drop_list(struct hold *H, struct hclient *c, char **names)
{
	struct hlist l = { 0 };
	long owner = acting_owner(c);
	int r = 0;

	if (owner == -1)
		return;
	if (c->req.op == PROTO_OP_LIST) {
		int all = c->req.owner == PROTO_OWNER_SELF && c->cred.uid == 0;

		for (struct held *h = all ? heldtab_first(H->t) : heldtab_owner_first(H->t, (uid_t)owner); h && !r;
		    h = all ? heldtab_next(h) : heldtab_owner_next(h))
			r = hlist_add(&l, h);
	} else {
		r = collect(H, c, (uid_t)owner, names, &l);
	}
	if (r) {
		free(l.v);
		if (r == -1)
			reply_error(c, "the holder is out of memory");
		return;
	}
	switch (c->req.op) {
	case PROTO_OP_DROP:
		for (size_t i = 0; i < l.n; i++)
			drop(H, l.v[i]);
		hlog(H, "uid %ld dropped %zu descriptor%s", owner, l.n, l.n == 1 ? "" : "s");
		free(l.v);
		reply_ack(c, (uint32_t)l.n, C_CLOSE);
		break;
	case PROTO_OP_FETCH:
		c->take = !!(c->req.flags & PROTO_R_TAKE);
		reply_entries(H, c, l.v, l.n, (uint32_t)(room(H) + (c->take ? (long)l.n : 0)), NULL, 0, C_ACK);
		break;
	default:
		reply_entries(H, c, l.v, l.n, (uint32_t)room(H), NULL, 0, C_CLOSE);
		break;
	}
}

/* STORE, once every OFFER arrived: all or nothing. */
static void do_store(struct hold *H, struct hclient *c)
{
	struct frame_batch *b = &c->batch;
	struct hlist old = { 0 }, added = { 0 };
	long long now = frame_now();
	uid_t owner = c->cred.uid;
	size_t i, n = b->n;

	if (c->req.flags & PROTO_R_REPLACE)
		for (i = 0; i < b->n; i++) {
			int seen = 0;

			for (size_t j = 0; j < i; j++)
				seen |= !strcmp(b->names[j], b->names[i]);
			for (struct held *h = seen ? NULL : heldtab_find(H->t, owner, b->names[i]); h;
			    h = heldtab_name_next(h))
				if (hlist_add(&old, h) == -1)
					goto nomem;
		}
	if ((long)heldtab_count(H->t) - (long)old.n + (long)b->n > H->max_fds) {
		hlog(H, "uid %ld: refused a store of %zu: %zu held, --max-fds %ld", (long)owner, b->n,
		    heldtab_count(H->t), H->max_fds);
		free(old.v);
		reply_refuse(c, PROTO_REFUSE_TOO_MANY);
		return;
	}
	for (i = 0; i < b->n; i++) {
		struct held *h;

		if (hlist_add(&added, NULL) == -1)
			goto undo;
		h = heldtab_add(H->t, b->fds[i], owner, b->names[i], now,
		    c->req.ttl_ms ? now + (long long)c->req.ttl_ms : 0, !(c->req.flags & PROTO_R_NOPOLL));
		if (!h)
			goto undo;
		added.v[added.n - 1] = h;
	}
	/* Stored: the table owns the descriptors now. */
	for (i = 0; i < old.n; i++)
		drop(H, old.v[i]);
	for (i = 0; i < added.n; i++)
		watch(H, added.v[i]);
	hlog(H, "uid %ld stored %zu descriptor%s%s", (long)owner, b->n, b->n == 1 ? "" : "s",
	    old.n ? " (replacing)" : "");
	free(b->fds);
	for (i = 0; i < b->n; i++)
		free(b->names[i]);
	free(b->names);
	memset(b, 0, sizeof(*b));
	free(old.v);
	free(added.v);
	reply_ack(c, (uint32_t)n, C_CLOSE);
	return;
undo:
	/* Out of memory half-way: what was added leaves again, its descriptors stay the batch's. */
	for (i = 0; i < added.n && added.v[i]; i++) {
		heldtab_ref(added.v[i]);
		added.v[i]->fd = -1;
		heldtab_remove(H->t, added.v[i]);
		heldtab_unref(H->t, added.v[i]);
	}
nomem:
	free(old.v);
	free(added.v);
	reply_error(c, "the holder is out of memory");
}

static void do_takeover(struct hold *H, struct hclient *c)
{
	if (c->cred.uid != 0 && c->cred.uid != geteuid()) {
		reply_refuse(c, PROTO_REFUSE_POLICY);
		return;
	}
	if (H->successor) {
		reply_error(c, "another take-over is in progress");
		return;
	}
	if ((long)heldtab_count(H->t) > (long)c->req.max) {
		hlog(H, "refused a take-over: %zu held, its --max-fds is %lu", heldtab_count(H->t),
		    (unsigned long)c->req.max);
		reply_refuse(c, PROTO_REFUSE_TOO_MANY);
		return;
	}
	/* No more accepting: new clients wait in the backlog for the successor. */
	hlog(H, "take-over by pid %ld: finishing %zu other client%s", (long)c->cred.pid, H->nclients - 1,
	    H->nclients == 2 ? "" : "s");
	H->successor = c;
	c->state = C_DRAIN;
	c->deadline = 0;	/* its time starts when the others are done */
}

/* The other clients are done: everything goes to the successor. */
static void hand_over(struct hold *H, struct hclient *c)
{
	struct hlist l = { 0 };

	c->deadline = frame_deadline(H->timeout_ms);
	/* The HELD frame's descriptors: tx keeps a pointer to them until it is sent. */
	c->fds[0] = H->l.sock;
	c->fds[1] = H->nsock;

	for (struct held *h = heldtab_first(H->t); h; h = heldtab_next(h))
		if (hlist_add(&l, h) == -1) {
			free(l.v);
			reply_error(c, "the holder is out of memory");
			return;
		}
	reply_entries(H, c, l.v, l.n, (uint32_t)room(H), c->fds, H->nsock == -1 ? 1 : 2, C_ACK);
}

/* A REQUEST arrived. */
static void request(struct hold *H, struct hclient *c)
{
	char store[PROTO_MAX_PAYLOAD];
	char *names[PROTO_MAX_FDS];

	if (c->rx.h.type != PROTO_REQUEST ||
	    proto_request_unpack(c->rx.payload, c->rx.h.len, &c->req, store, sizeof(store), names) == -1) {
		reply_error(c, "malformed request");
		return;
	}
	switch (c->req.op) {
	case PROTO_OP_STORE:
		c->state = C_OFFERS;
		break;
	case PROTO_OP_TAKEOVER:
		do_takeover(H, c);
		break;
	default:
		do_fetch_drop_list(H, c, names);
		break;
	}
}

/* One complete frame from c. */
static void frame_in(struct hold *H, struct hclient *c)
{
	struct frame_rx *rx = &c->rx;
	uint32_t n;

	switch (c->state) {
	case C_REQUEST:
		request(H, c);
		break;
	case C_OFFERS:
		if (rx->h.type != PROTO_OFFER) {
			reply_error(c, "malformed request: expected descriptors");
			break;
		}
		if (c->batch.n + rx->h.nfds > (size_t)H->max_fds) {
			reply_refuse(c, PROTO_REFUSE_TOO_MANY);
			break;
		}
		{
			char store[PROTO_MAX_PAYLOAD];
			char *names[PROTO_MAX_FDS];

			if (proto_names_unpack(rx->payload, rx->h.len, rx->h.nfds, store, sizeof(store), names) == -1) {
				reply_error(c, "malformed request: bad names");
				break;
			}
			size_t i = 0;

			/* frame_batch_add closes what it cannot take; the rest is closed here. */
			while (i < rx->nfds && frame_batch_add(&c->batch, rx->fds[i], names[i]) == 0)
				i++;
			if (i < rx->nfds) {
				ancil_close_fds(rx->fds + i + 1, rx->nfds - i - 1);
				reply_error(c, "the holder is out of memory");
			}
			rx->nfds = 0;
		}
		if (c->state == C_OFFERS && !(rx->h.flags & PROTO_F_MORE))
			do_store(H, c);
		break;
	case C_ACK:
		if (rx->h.type != PROTO_ACK || proto_ack_unpack(rx->payload, rx->h.len, &n) == -1 ||
		    n != c->nsnap) {
			reply_error(c, "malformed acknowledgement");
			break;
		}
		if (c == H->successor) {
			H->handed_over = 1;
			c->state = C_CLOSE;
			break;
		}
		if (c->take)
			for (size_t i = 0; i < c->nsnap; i++)
				drop(H, c->snap[i]);
		hlog(H, "uid %ld %s %zu descriptor%s", (long)c->cred.uid, c->take ? "took" : "fetched", c->nsnap,
		    c->nsnap == 1 ? "" : "s");
		c->state = C_CLOSE;
		break;
	default:
		c->state = C_CLOSE;
		break;
	}
	frame_rx_reset(rx);
}

/*
 * Does what c's socket allows now: reads frames and sends answers until it
 * would block, so that a request and its answer usually take one round.
 */
static void client_step(struct hold *H, struct hclient *c)
{
	for (;;) {
		int r;

		if (c->state == C_REPLY) {
			if (frame_tx_step(c->sock, c->tx) == -1) {
				if (errno != EAGAIN)
					c->state = C_CLOSE;
				return;
			}
			if (c->sent < c->nsnap)
				next_entries(c);
			else
				c->state = c->after;
			continue;
		}
		if (c->state != C_REQUEST && c->state != C_OFFERS && c->state != C_ACK)
			return;
		if ((r = frame_rx_step(c->sock, &c->rx)) == 1) {
			frame_in(H, c);
			continue;
		}
		if (r == -1 && errno == EAGAIN)
			return;
		if (r == -1 && c->state != C_ACK)
			hlog(H, "pid %ld: %s", (long)c->cred.pid,
			    errno == ENOMSG ? "not fdrelay's protocol" : strerror(errno));
		c->state = C_CLOSE;
		return;
	}
}

static void accept_clients(struct hold *H)
{
	for (int i = 0; i < HOLD_ROUND && H->nclients < HOLD_MAX_CLIENTS; i++) {
		int s = os_accept(H->l.sock);
		struct hclient *c;

		if (s == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				hlog(H, "accept: %s", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c || !(c->rx.payload = malloc(PROTO_MAX_PAYLOAD)) ||
		    fcntl(s, F_SETFL, O_NONBLOCK) == -1 || ancil_peer_cred(s, &c->cred) == -1) {
			if (c)
				free(c->rx.payload);
			free(c);
			close(s);
			continue;
		}
		c->pfd = -1;
		c->sock = s;
		c->deadline = frame_deadline(H->timeout_ms);
		/* Oldest first: see serve(). */
		*H->tail = c;
		H->tail = &c->next;
		H->nclients++;
		if (!policy_allows(H->cfg.policy, &c->cred, s)) {
			hlog(H, "refused pid %ld uid %ld gid %ld", (long)c->cred.pid, (long)c->cred.uid,
			    (long)c->cred.gid);
			reply_refuse(c, PROTO_REFUSE_POLICY);
		}
	}
}

/* ---- The notify socket --------------------------------------------------- */

/* One notify message: store, remove, or nothing; a bad one is dropped whole. */
static void notify_one(struct hold *H, const char *buf, size_t len, int *fds, size_t nfds,
    const struct ancil_rx *rx)
{
	struct notify_msg m;
	char why[300];
	long uid = rx->have_cred ? (long)rx->cred.uid : -1;

	if (!rx->have_cred || !policy_allows(H->cfg.policy, &rx->cred, -1)) {
		hlog(H, "notify: dropped a message from uid %ld: not allowed", uid);
		return;
	}
	if (notify_parse(buf, len, &m, why, sizeof(why)) == -1) {
		hlog(H, "notify: dropped a message from pid %ld: %s", (long)rx->cred.pid, why);
		return;
	}
	if (H->o->verbose) {
		/* What it said, one line: the store's part is acted on, the rest ignored. */
		char text[256];
		size_t i;

		for (i = 0; i < len && i < sizeof(text) - 1; i++)
			text[i] = buf[i] == '\n' ? ' ' : buf[i] < 0x20 || buf[i] > 0x7e ? '?' : buf[i];
		text[i] = '\0';
		hlog(H, "notify: pid %ld uid %ld: %s%s", (long)rx->cred.pid, uid, text, i < len ? "..." : "");
	}
	if (m.fdstoreremove) {
		size_t n = 0;
		struct held *h;

		while ((h = heldtab_find(H->t, rx->cred.uid, m.name)) != NULL) {
			drop(H, h);
			n++;
		}
		hlog(H, "notify: uid %ld removed %zu descriptor%s named %s", uid, n, n == 1 ? "" : "s", m.name);
	}
	if (!m.fdstore || nfds == 0) {
		if (nfds)
			hlog(H, "notify: closed %zu descriptor%s sent without FDSTORE=1", nfds, nfds == 1 ? "" : "s");
		if (!m.fdstore && !m.fdstoreremove)
			hlog(H, "notify: pid %ld: nothing for the store, ignored", (long)rx->cred.pid);
		return;
	}
	if ((long)heldtab_count(H->t) + (long)nfds > H->max_fds) {
		hlog(H, "notify: dropped %zu descriptor%s from uid %ld: --max-fds %ld reached", nfds,
		    nfds == 1 ? "" : "s", uid, H->max_fds);
		return;
	}
	for (size_t i = 0; i < nfds; i++) {
		struct held *h = heldtab_add(H->t, fds[i], rx->cred.uid, m.name, frame_now(), 0, m.fdpoll);

		if (!h) {
			hlog(H, "notify: out of memory");
			return;
		}
		fds[i] = -1;
		watch(H, h);
	}
	hlog(H, "notify: uid %ld stored %zu descriptor%s as %s", uid, nfds, nfds == 1 ? "" : "s", m.name);
}

static void notify_read(struct hold *H)
{
	for (int i = 0; i < HOLD_ROUND; i++) {
		char buf[HOLD_NOTIFY_MAX];
		int fds[ANCIL_MAX_FDS];
		struct ancil_rx rx = { .fds = fds, .maxfds = ANCIL_MAX_FDS };
		ssize_t n = ancil_recv(H->nsock, buf, sizeof(buf), &rx, MSG_DONTWAIT);

		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno != EINTR)
				hlog(H, "notify: dropped a message: %s", errno == EMSGSIZE ?
				    "truncated (too long, or descriptors cut)" : strerror(errno));
			continue;
		}
		notify_one(H, buf, (size_t)n, fds, rx.nfds, &rx);
		for (size_t k = 0; k < rx.nfds; k++)
			if (fds[k] != -1)
				close(fds[k]);
	}
}

/* ---- The loop ------------------------------------------------------------- */

static void expire(struct hold *H, long long now)
{
	struct held *h;

	while ((h = heldtab_next_expiry(H->t)) != NULL && h->expires <= now) {
		hlog(H, "%s (uid %ld) expired", h->name, (long)h->owner);
		drop(H, h);
	}
}

static void hangups(struct hold *H)
{
	struct epoll_event ev[HOLD_ROUND];
	int n = epoll_wait(H->ep, ev, HOLD_ROUND, 0);

	for (int i = 0; i < n; i++) {
		struct held *h = ev[i].data.ptr;

		hlog(H, "%s (uid %ld) hung up: dropped", h->name, (long)h->owner);
		drop(H, h);
	}
}

/* Milliseconds poll may sleep: until the next expiry or client deadline. */
static int sleep_ms(struct hold *H, long long now)
{
	struct held *h = heldtab_next_expiry(H->t);
	long long until = h ? h->expires : 0;

	for (struct hclient *c = H->clients; c; c = c->next)
		if (c->deadline && (!until || c->deadline < until))
			until = c->deadline;
	if (!until)
		return -1;
	return until <= now ? 0 : until - now > 60000 ? 60000 : (int)(until - now);
}

static int serve(struct hold *H)
{
	struct pollfd *p = malloc((5 + HOLD_MAX_CLIENTS) * sizeof(*p));

	if (!p) {
		fdr_warn("hold");
		return FDR_EXIT_FAIL;
	}
	/*
	 * Clients are served oldest first, and one accepted in a round is
	 * first read in the next: so what a client sent before another
	 * connected (a fetch --take's acknowledgement, say) is acted on
	 * before anything that other one asks.  A script's "fetch --take a;
	 * fetch a" then never finds a still held.
	 */
	while (!H->handed_over) {
		long long now = frame_now();
		int accepting = !H->successor && H->nclients < HOLD_MAX_CLIENTS;
		nfds_t np = 0;
		struct sig_event ev;
		struct hclient *c, *next;

		p[np++] = (struct pollfd){ .fd = sig_fd(), .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = H->ep, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = accepting ? H->l.sock : -1, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = H->successor ? -1 : H->nsock, .events = POLLIN };
		for (c = H->clients; c; c = c->next) {
			c->pfd = -1;
			if (c->state == C_DRAIN)
				continue;
			c->pfd = (int)np;
			p[np++] = (struct pollfd){ .fd = c->sock, .events = c->state == C_REPLY ? POLLOUT : POLLIN };
		}
		if (poll(p, np, sleep_ms(H, now)) == -1 && errno != EINTR) {
			fdr_warn("hold: poll");
			free(p);
			return FDR_EXIT_FAIL;
		}
		for (sig_next(&ev); ev.signo; sig_next(&ev)) {
			hlog(H, "signal %d: closing %zu held descriptor%s", ev.signo, heldtab_count(H->t),
			    heldtab_count(H->t) == 1 ? "" : "s");
			free(p);
			return FDR_EXIT_OK;
		}
		now = frame_now();
		expire(H, now);
		if (p[1].revents)
			hangups(H);
		if (p[3].revents)
			notify_read(H);
		for (c = H->clients; c; c = c->next)
			if (c->pfd != -1 && p[c->pfd].revents)
				client_step(H, c);
		if (p[2].revents)
			accept_clients(H);
		for (c = H->clients; c; c = next) {
			next = c->next;
			if (c->state != C_CLOSE && c->deadline && c->deadline <= now) {
				hlog(H, "pid %ld: timed out", (long)c->cred.pid);
				c->state = C_CLOSE;
			}
			/* A reply that could not even be allocated closes too. */
			if (c->state == C_CLOSE && !(c == H->successor && H->handed_over))
				client_free(H, c);
		}
		if (H->successor && H->successor->state == C_DRAIN && H->nclients == 1)
			hand_over(H, H->successor);
	}
	free(p);
	return FDR_EXIT_OK;
}

/* ---- Taking over -------------------------------------------------------- */

/* The file at path, if it is a socket: what sock_remove() may remove later. */
static void adopt_file(struct sock_file *f, const char *path)
{
	struct stat st;

	sock_file_init(f);
	if (path[0] == '@' || lstat(path, &st) == -1 || !S_ISSOCK(st.st_mode))
		return;
	if (!(f->path = strdup(path)))
		return;
	f->bound = 1;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
}

/* Asks the holder at SOCKET for everything; 0, or an exit status after a message. */
static int take_over(struct hold *H, const char *path)
{
	unsigned char payload[PROTO_MAX_PAYLOAD];
	struct proto_request req = { .op = PROTO_OP_TAKEOVER, .owner = PROTO_OWNER_SELF,
		.max = (uint32_t)H->max_fds };
	/* The old holder first finishes its clients, each within its own timeout. */
	struct frame_conn fc = { .type = SOCK_STREAM, .deadline = frame_deadline(3 * H->timeout_ms) };
	struct proto_held ph;
	struct proto_hdr h;
	int fds[PROTO_MAX_FDS];
	size_t got = 0;
	ssize_t len;
	int r;

	if ((fc.sock = sock_connect(path, SOCK_STREAM)) == -1) {
		fdr_warn("hold --take-over: no holder running at %s", path);
		return FDR_EXIT_FAIL;
	}
	len = proto_request_pack(payload, sizeof(payload), &req, NULL);
	if (frame_send(&fc, PROTO_REQUEST, 0, payload, (size_t)len, NULL, 0) == -1 ||
	    (r = frame_recv(&fc, &h, payload, fds)) != 1)
		goto broken;
	if (h.type == PROTO_REFUSE) {
		enum proto_refusal why = PROTO_REFUSE_POLICY;

		(void)proto_refuse_unpack(payload, h.len, &why);
		fdr_warnx("hold --take-over %s: refused: %s", path, why == PROTO_REFUSE_TOO_MANY ?
		    "it holds more descriptors than this holder's --max-fds" : "not this holder's user (or root)");
		close(fc.sock);
		return FDR_EXIT_REFUSED;
	}
	if (h.type != PROTO_HELD || h.nfds < 1 || proto_held_unpack(payload, h.len, &ph) == -1) {
		ancil_close_fds(fds, h.nfds);
		errno = EPROTO;
		goto broken;
	}
	H->l.sock = fds[0];
	H->nsock = h.nfds == 2 ? fds[1] : -1;
	adopt_file(&H->l.file, path);
	if (H->nsock != -1) {
		strcpy(H->naddr, ph.addr);
		adopt_file(&H->nfile, ph.addr);
	}
	while (got < ph.count) {
		struct proto_entry e[PROTO_MAX_FDS];
		long long now = frame_now();

		if ((r = frame_recv(&fc, &h, payload, fds)) != 1)
			goto broken;
		if (h.type != PROTO_ENTRIES || proto_entries_unpack(payload, h.len, h.nfds, e) == -1 ||
		    got + h.nfds > ph.count) {
			ancil_close_fds(fds, h.nfds);
			errno = EPROTO;
			goto broken;
		}
		for (size_t i = 0; i < h.nfds; i++) {
			struct held *held = heldtab_add(H->t, fds[i], e[i].owner, e[i].name, now - (long long)e[i].age_ms,
			    e[i].left_ms == PROTO_NO_EXPIRY ? 0 : now + (long long)e[i].left_ms, e[i].poll);

			if (!held) {
				ancil_close_fds(fds + i, h.nfds - i);
				goto broken;
			}
			watch(H, held);
		}
		got += h.nfds;
	}
	len = (ssize_t)proto_ack_pack(payload, (uint32_t)got);
	if (frame_send(&fc, PROTO_ACK, 0, payload, (size_t)len, NULL, 0) == -1)
		goto broken;
	close(fc.sock);
	if (H->l.file.bound)
		(void)chmod(H->l.file.path, H->o->mode);
	if (H->nfile.bound)
		(void)chmod(H->nfile.path, H->o->mode);
	if (H->o->verbose)
		fdr_warnx("hold %s: took over %zu descriptor%s%s", path, got, got == 1 ? "" : "s",
	    H->nsock != -1 ? " and the notify socket" : "");
	return 0;
broken:
	fdr_warn("hold --take-over %s: the take-over failed; the old holder goes on", path);
	close(fc.sock);
	return FDR_EXIT_FAIL;
}

/* ---- The command -------------------------------------------------------- */

/* Raises RLIMIT_NOFILE toward the hard limit: --max-fds held, plus clients. */
static void raise_nofile(const struct hold *H)
{
	long need = H->max_fds + HOLD_MAX_CLIENTS + 64;
	struct rlimit rl;

	if (fdr_nofile_need(need) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		fdr_warnx("hold: the descriptor limit (RLIMIT_NOFILE) is %llu, below --max-fds %ld plus %d for "
		    "clients: stores will fail before --max-fds", (unsigned long long)rl.rlim_max, H->max_fds,
		    HOLD_MAX_CLIENTS + 64);
}

/* The notify socket: bound, and its absolute address for clients. */
static int open_notify(struct hold *H, const char *addr)
{
	if ((H->nsock = sock_listen(addr, SOCK_DGRAM, H->o->mode, 0, SOCK_F_PASSCRED, &H->nfile)) == -1) {
		if (errno == EEXIST)
			fdr_warnx("hold --notify %s: something that is not a socket is in the way; not touching it",
			    addr);
		else if (errno == EADDRINUSE)
			fdr_warnx("hold --notify %s: another process is live on this socket", addr);
		else
			fdr_warn("hold --notify %s", addr);
		return FDR_EXIT_FAIL;
	}
	if (addr[0] == '@' || addr[0] == '/') {
		snprintf(H->naddr, sizeof(H->naddr), "%s", addr);
	} else {
		char cwd[PROTO_ADDR_MAX + 1];
		size_t l;

		if (!getcwd(cwd, sizeof(cwd)) || (l = strlen(cwd)) + 1 + strlen(addr) > PROTO_ADDR_MAX) {
			fdr_warnx("hold --notify %s: cannot make it an absolute path", addr);
			return FDR_EXIT_FAIL;
		}
		memcpy(H->naddr, cwd, l);
		H->naddr[l] = '/';
		strcpy(H->naddr + l + 1, addr);
	}
	(void)fcntl(H->nsock, F_SETFL, O_NONBLOCK);
	if (H->o->verbose)
		fdr_warnx("hold: notify socket %s", H->naddr);
	return 0;
}

static int check(const struct opts *o)
{
	if (o->take_over && o->notify)
		fdr_warnx("hold: --take-over takes the old holder's notify socket: --notify is not allowed with it");
	else if (o->take_over && o->inherit)
		fdr_warnx("hold: --take-over takes the old holder's listening socket: --inherit is not allowed with it");
	else if (o->notify && (!o->notify[0] || !strcmp(o->notify, "@")))
		fdr_warnx("hold: --notify '%s': an empty path or abstract name", o->notify);
	else
		return 0;
	return FDR_EXIT_USAGE;
}

static int hold_exec(struct opts *o)
{
	static const int stop[] = { SIGINT, SIGTERM, 0 };
	struct hold H = { .o = o, .nsock = -1, .ep = -1 };

	H.tail = &H.clients;
	int status;

	if ((status = listen_config(o, &H.cfg)) != 0 || (status = check(o)) != 0)
		return status;
	H.cfg.type = SOCK_STREAM;
	H.max_fds = o->max_fds == -1 ? HOLD_MAX_FDS : o->max_fds;
	H.timeout_ms = o->timeout_ms ? o->timeout_ms : LISTENER_DELIVERY_MS;
	H.l.sock = H.l.conn = -1;
	sock_file_init(&H.l.file);
	sock_file_init(&H.nfile);
	raise_nofile(&H);
	if (!(H.t = heldtab_new()) || (H.ep = epoll_create1(EPOLL_CLOEXEC)) == -1 || sig_catch(stop) == -1) {
		fdr_warn("hold");
		status = FDR_EXIT_FAIL;
		goto out;
	}
	if (o->take_over) {
		H.l.cfg = &H.cfg;
		if ((status = take_over(&H, o->args[0])) != 0)
			goto out;
	} else {
		/* Ready once the notify socket is bound too, not as soon as the listening one is. */
		H.cfg.ready_fd = -1;
		if ((status = listener_open(&H.l, &H.cfg)) != 0 ||
		    (o->notify && (status = open_notify(&H, o->notify)) != 0))
			goto out;
		if (H.l.type != SOCK_STREAM || H.l.conn != -1) {
			fdr_warnx("hold --inherit: the inherited socket must be a listening stream socket");
			status = FDR_EXIT_FAIL;
			goto out;
		}
	}
	if (o->ready_fd != -1) {
		(void)!write(o->ready_fd, "\n", 1);
		close(o->ready_fd);
	}
	(void)fcntl(H.l.sock, F_SETFL, O_NONBLOCK);
	status = serve(&H);
out:
	while (H.clients)
		client_free(&H, H.clients);
	if (H.handed_over) {
		/* The successor owns the socket files now. */
		free(H.l.file.path);
		free(H.nfile.path);
		sock_file_init(&H.l.file);
		sock_file_init(&H.nfile);
		hlog(&H, "handed everything over; exiting");
	}
	if (H.l.cfg)
		listener_close(&H.l);
	if (H.nsock != -1)
		close(H.nsock);
	if (sock_remove(&H.nfile) == -1 && errno != ENOENT)
		fdr_warn("hold: remove %s", H.naddr);
	if (H.t)
		heldtab_free(H.t);
	if (H.ep != -1)
		close(H.ep);
	return status;
}

static struct poptOption hold_options[] = {
	{ "max-fds", '\0', POPT_ARG_STRING, NULL, OPT_MAX_FDS, "hold at most N descriptors in all (default 4096)", "N" },
	{ "timeout", 't', POPT_ARG_STRING, NULL, OPT_TIMEOUT, "time one client has to finish one request (default 30)", "SECONDS" },
	{ "notify", '\0', POPT_ARG_STRING, NULL, OPT_NOTIFY, "also speak systemd's notify protocol (the store's part) on a datagram socket at PATH", "PATH" },
	{ "take-over", '\0', POPT_ARG_NONE, NULL, OPT_TAKE_OVER, "take everything over from the holder running at SOCKET, which then exits", NULL },
	{ "mode", 'M', POPT_ARG_STRING, NULL, OPT_MODE, "permissions of the socket files (default 0600)", "OCTAL" },
	{ "ready-fd", '\0', POPT_ARG_STRING, NULL, OPT_READY_FD, "write a newline to descriptor N once serving, then close it", "N" },
	{ "inherit", '\0', POPT_ARG_NONE, NULL, OPT_INHERIT, "take the listening socket from LISTEN_FDS instead of binding SOCKET", NULL },
	{ "verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE, "log every request, drop and refusal, on stderr", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_policy_options, 0, "Who may connect (default: this user and root):", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_common_options, 0, "Common options:", NULL },
	POPT_TABLEEND
};

const struct cmd_entry cmd_hold_entry = {
	.name = "hold",
	.args = "[OPTIONS] SOCKET",
	.summary = "hold descriptors for others: store, fetch, drop, list",
	.options = hold_options,
	.exec = hold_exec,
};
