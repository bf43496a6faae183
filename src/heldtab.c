/* heldtab.c - the holder's table: held descriptors by (owner, name), in store order, with expiries. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heldtab.h"

/*
 * One key's entries in store order: an (owner, name) in names, or (with
 * the name unused) an owner in owners.  The name is that of the first
 * entry, so each key costs no copy of it.
 */
struct heldname {
	struct heldname *next;	/* hash chain */
	size_t hash;
	uid_t owner;
	size_t count;
	struct held *first, *last;
};

/* Chained hash of keys; the buckets double when there are more keys than buckets. */
struct keytab {
	struct heldname **b;
	size_t mask, n;
};

struct heldtab {
	struct held *first, *last;	/* in the table, store order */
	struct held *gone, *gone_last;	/* removed but referenced, through all_prev/all_next */
	size_t count;
	struct keytab names, owners;
	struct held **heap;		/* min-heap on expires */
	size_t nheap, capheap;
};

#define LIST_APPEND(head, tail, h, prev, next) do { \
	(h)->prev = (tail); \
	(h)->next = NULL; \
	if (tail) \
		(tail)->next = (h); \
	else \
		(head) = (h); \
	(tail) = (h); \
} while (0)

#define LIST_UNLINK(head, tail, h, prev, next) do { \
	if ((h)->prev) \
		(h)->prev->next = (h)->next; \
	else \
		(head) = (h)->next; \
	if ((h)->next) \
		(h)->next->prev = (h)->prev; \
	else \
		(tail) = (h)->prev; \
	(h)->prev = (h)->next = NULL; \
} while (0)

/* ---- Keys ---------------------------------------------------------------- */

/* Spreads the bits of k over the low ones the bucket mask keeps. */
static size_t mix(unsigned long long k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k;
}

/* FNV-1a of name, mixed with the owner. */
static size_t name_hash(uid_t owner, const char *name)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	return mix(h ^ owner);
}

static size_t owner_hash(uid_t owner)
{
	return mix(owner);
}

static int keytab_init(struct keytab *k)
{
	k->n = 0;
	k->mask = 15;
	k->b = calloc(k->mask + 1, sizeof(*k->b));
	return k->b ? 0 : -1;
}

/* The key of (owner, name), or of owner when name is NULL; or NULL. */
static struct heldname *keytab_find(const struct keytab *k, size_t hash, uid_t owner, const char *name)
{
	struct heldname *n;

	for (n = k->b[hash & k->mask]; n; n = n->next)
		if (n->hash == hash && n->owner == owner && (!name || strcmp(n->first->name, name) == 0))
			return n;
	return NULL;
}

/* Room for one more key without passing a load of 1; -1 if the buckets cannot grow. */
static int keytab_reserve(struct keytab *k)
{
	size_t size = k->mask + 1;
	struct heldname **b, *n, *next;

	if (k->n < size)
		return 0;
	if (!(b = calloc(2 * size, sizeof(*b))))
		return -1;
	for (size_t i = 0; i < size; i++)
		for (n = k->b[i]; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (2 * size - 1)];
			b[n->hash & (2 * size - 1)] = n;
		}
	free(k->b);
	k->b = b;
	k->mask = 2 * size - 1;
	return 0;
}

/* After keytab_reserve: cannot fail. */
static void keytab_insert(struct keytab *k, struct heldname *n)
{
	struct heldname **b = &k->b[n->hash & k->mask];

	n->next = *b;
	*b = n;
	k->n++;
}

static void keytab_drop(struct keytab *k, struct heldname *n)
{
	struct heldname **p = &k->b[n->hash & k->mask];

	while (*p != n)
		p = &(*p)->next;
	*p = n->next;
	k->n--;
	free(n);
}

static void keytab_free(struct keytab *k)
{
	struct heldname *n, *next;

	for (size_t i = 0; k->b && i <= k->mask; i++)
		for (n = k->b[i]; n; n = next) {
			next = n->next;
			free(n);
		}
	free(k->b);
}

/* ---- The expiry heap ------------------------------------------------------- */

static void heap_put(struct heldtab *t, size_t i, struct held *h)
{
	t->heap[i] = h;
	h->heap = i + 1;
}

static void heap_up(struct heldtab *t, size_t i)
{
	struct held *h = t->heap[i];

	for (; i > 0 && t->heap[(i - 1) / 2]->expires > h->expires; i = (i - 1) / 2)
		heap_put(t, i, t->heap[(i - 1) / 2]);
	heap_put(t, i, h);
}

static void heap_down(struct heldtab *t, size_t i)
{
	struct held *h = t->heap[i];
	size_t c;

	while ((c = 2 * i + 1) < t->nheap) {
		if (c + 1 < t->nheap && t->heap[c + 1]->expires < t->heap[c]->expires)
			c++;
		if (t->heap[c]->expires >= h->expires)
			break;
		heap_put(t, i, t->heap[c]);
		i = c;
	}
	heap_put(t, i, h);
}

static int heap_reserve(struct heldtab *t)
{
	size_t cap = t->capheap ? 2 * t->capheap : 16;
	struct held **heap;

	if (t->nheap < t->capheap)
		return 0;
	if (!(heap = realloc(t->heap, cap * sizeof(*heap))))
		return -1;
	t->heap = heap;
	t->capheap = cap;
	return 0;
}

/* The last leaf takes h's place and moves whichever way restores the order. */
static void heap_remove(struct heldtab *t, struct held *h)
{
	size_t i = h->heap - 1;
	struct held *last = t->heap[--t->nheap];

	h->heap = 0;
	if (last == h)
		return;
	heap_put(t, i, last);
	if (i > 0 && t->heap[(i - 1) / 2]->expires > last->expires)
		heap_up(t, i);
	else
		heap_down(t, i);
}

/* ---- The table ------------------------------------------------------------- */

struct heldtab *heldtab_new(void)
{
	struct heldtab *t = calloc(1, sizeof(*t));

	if (!t || keytab_init(&t->names) == -1 || keytab_init(&t->owners) == -1) {
		heldtab_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

/* An entry without a descriptor (fd -1) closes nothing. */
static void held_close(struct held *h)
{
	int e = errno;

	if (h->fd >= 0)
		close(h->fd);
	free(h);
	errno = e;
}

void heldtab_free(struct heldtab *t)
{
	struct held *h, *next;

	if (!t)
		return;
	for (h = t->first; h; h = next) {
		next = h->all_next;
		held_close(h);
	}
	for (h = t->gone; h; h = next) {
		next = h->all_next;
		held_close(h);
	}
	keytab_free(&t->names);
	keytab_free(&t->owners);
	free(t->heap);
	free(t);
}

size_t heldtab_count(const struct heldtab *t)
{
	return t->count;
}

size_t heldtab_owner_count(const struct heldtab *t, uid_t owner)
{
	struct heldname *o = keytab_find(&t->owners, owner_hash(owner), owner, NULL);

	return o ? o->count : 0;
}

/* A key with no entries yet, or NULL. */
static struct heldname *key_new(size_t hash, uid_t owner)
{
	struct heldname *n = calloc(1, sizeof(*n));

	if (n) {
		n->hash = hash;
		n->owner = owner;
	}
	return n;
}

/* Everything that can fail is allocated before anything is linked, so a failure changes nothing. */
struct held *heldtab_add(struct heldtab *t, int fd, uid_t owner, const char *name,
    long long stored, long long expires, int poll)
{
	size_t len = strlen(name), nhash = name_hash(owner, name), ohash = owner_hash(owner);
	struct heldname *key = keytab_find(&t->names, nhash, owner, name);
	struct heldname *own = keytab_find(&t->owners, ohash, owner, NULL);
	struct heldname *newkey = NULL, *newown = NULL;
	struct held *h = calloc(1, sizeof(*h) + len + 1);	/* the name follows the entry */

	if (!h || (!key && (!(newkey = key_new(nhash, owner)) || keytab_reserve(&t->names) == -1)) ||
	    (!own && (!(newown = key_new(ohash, owner)) || keytab_reserve(&t->owners) == -1)) ||
	    (expires && heap_reserve(t) == -1)) {
		free(h);
		free(newkey);
		free(newown);
		errno = ENOMEM;
		return NULL;
	}
	h->fd = fd;
	h->owner = owner;
	h->name = memcpy(h + 1, name, len + 1);
	h->stored = stored;
	h->expires = expires;
	h->poll = poll;
	if (newkey)
		keytab_insert(&t->names, key = newkey);
	if (newown)
		keytab_insert(&t->owners, own = newown);
	h->key = key;
	LIST_APPEND(t->first, t->last, h, all_prev, all_next);
	LIST_APPEND(own->first, own->last, h, own_prev, own_next);
	LIST_APPEND(key->first, key->last, h, name_prev, name_next);
	key->count++;
	own->count++;
	t->count++;
	if (expires) {
		t->heap[t->nheap] = h;
		heap_up(t, t->nheap++);
	}
	return h;
}

void heldtab_remove(struct heldtab *t, struct held *h)
{
	struct heldname *own;

	if (h->gone)
		return;
	own = keytab_find(&t->owners, owner_hash(h->owner), h->owner, NULL);
	LIST_UNLINK(t->first, t->last, h, all_prev, all_next);
	LIST_UNLINK(own->first, own->last, h, own_prev, own_next);
	LIST_UNLINK(h->key->first, h->key->last, h, name_prev, name_next);
	if (!--own->count)
		keytab_drop(&t->owners, own);
	if (!--h->key->count)
		keytab_drop(&t->names, h->key);
	h->key = NULL;
	if (h->heap)
		heap_remove(t, h);
	t->count--;
	h->gone = 1;
	if (h->refs)
		LIST_APPEND(t->gone, t->gone_last, h, all_prev, all_next);
	else
		held_close(h);
}

void heldtab_ref(struct held *h)
{
	h->refs++;
}

void heldtab_unref(struct heldtab *t, struct held *h)
{
	if (--h->refs || !h->gone)
		return;
	LIST_UNLINK(t->gone, t->gone_last, h, all_prev, all_next);
	held_close(h);
}

struct held *heldtab_find(const struct heldtab *t, uid_t owner, const char *name)
{
	struct heldname *key = keytab_find(&t->names, name_hash(owner, name), owner, name);

	return key ? key->first : NULL;
}

size_t heldtab_name_count(const struct heldtab *t, uid_t owner, const char *name)
{
	struct heldname *key = keytab_find(&t->names, name_hash(owner, name), owner, name);

	return key ? key->count : 0;
}

struct held *heldtab_first(const struct heldtab *t)
{
	return t->first;
}

struct held *heldtab_owner_first(const struct heldtab *t, uid_t owner)
{
	struct heldname *o = keytab_find(&t->owners, owner_hash(owner), owner, NULL);

	return o ? o->first : NULL;
}

struct held *heldtab_next_expiry(const struct heldtab *t)
{
	return t->nheap ? t->heap[0] : NULL;
}
