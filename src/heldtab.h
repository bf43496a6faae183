/* heldtab.h - the holder's table: held descriptors by (owner, name), in store order, with expiries. */
#ifndef FDRELAY_HELDTAB_H
#define FDRELAY_HELDTAB_H

/*
 * Every operation the holder does per request costs the same with 10 or
 * with 100,000 entries: lookup by (owner, name) is a hash, each name's and
 * each owner's entries are lists in store order, and expiries are a binary
 * min-heap.  Nothing here does I/O except close(2) of a descriptor whose
 * entry is gone and no longer referenced.  Not thread-safe.
 *
 * An entry removed from the table while a pending reply still refers to
 * it (heldtab_ref) stays allocated, its descriptor open, until the last
 * heldtab_unref: the reply can still send it, but no lookup finds it.
 */

#include <stddef.h>
#include <sys/types.h>

struct held {
	int fd;			/* owned by the table */
	uid_t owner;		/* the uid that stored it */
	char *name;		/* the LISTEN_FDNAMES name (owned) */
	long long stored;	/* monotonic ms when stored (age = now - stored) */
	long long expires;	/* monotonic ms; 0: never */
	int poll;		/* drop on POLLHUP/POLLERR (the holder's business) */
	int polled;		/* the holder registered fd for hangups */
	int gone;		/* removed from the table (still referenced) */
	/* Private to heldtab.c. */
	unsigned refs;
	size_t heap;		/* index in the expiry heap + 1; 0: not in it */
	struct held *all_prev, *all_next;	/* every entry, store order */
	struct held *own_prev, *own_next;	/* the owner's entries, store order */
	struct held *name_prev, *name_next;	/* the (owner, name) entries, store order */
	struct heldname *key;			/* the (owner, name) bucket entry */
};

struct heldtab;

struct heldtab *heldtab_new(void);
/* Closes every descriptor (referenced or not) and frees everything. */
void heldtab_free(struct heldtab *t);

/* Entries in the table (gone ones not counted). */
size_t heldtab_count(const struct heldtab *t);
/* Entries owner holds. */
size_t heldtab_owner_count(const struct heldtab *t, uid_t owner);

/*
 * Appends an entry at the end of store order (and of its owner's and its
 * name's lists), in the expiry heap when expires is not 0.  Takes fd only
 * on success.  Returns the entry, or NULL with ENOMEM.
 */
struct held *heldtab_add(struct heldtab *t, int fd, uid_t owner, const char *name,
    long long stored, long long expires, int poll);

/*
 * Takes h out of the table (lookups, lists, heap).  Its descriptor is
 * closed and h freed now, or at the last heldtab_unref.  Calling it on a
 * gone entry does nothing.
 */
void heldtab_remove(struct heldtab *t, struct held *h);

/* Keeps h (and its descriptor) alive across removals; heldtab_unref releases. */
void heldtab_ref(struct held *h);
void heldtab_unref(struct heldtab *t, struct held *h);

/* The first entry (store order) owner holds under name, or NULL. */
struct held *heldtab_find(const struct heldtab *t, uid_t owner, const char *name);
/* How many entries owner holds under name. */
size_t heldtab_name_count(const struct heldtab *t, uid_t owner, const char *name);

/* Iteration in store order; the next functions return NULL at the end. */
struct held *heldtab_first(const struct heldtab *t);
struct held *heldtab_owner_first(const struct heldtab *t, uid_t owner);
static inline struct held *heldtab_next(const struct held *h) { return h->all_next; }
static inline struct held *heldtab_owner_next(const struct held *h) { return h->own_next; }
static inline struct held *heldtab_name_next(const struct held *h) { return h->name_next; }

/* The entry with the earliest expiry, or NULL when none expires. */
struct held *heldtab_next_expiry(const struct heldtab *t);

#endif
