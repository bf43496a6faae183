/* test-heldtab.c - unit tests of the holder's table: lookups, store order, removal, references, expiries, scale. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "heldtab.h"
#include "tap.h"

static int nullfd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		perror("/dev/null");
		exit(99);
	}
	return fd;
}

static struct heldtab *newtab(void)
{
	struct heldtab *t = heldtab_new();

	if (!t) {
		perror("heldtab_new");
		exit(99);
	}
	return t;
}

static struct held *add(struct heldtab *t, int fd, uid_t owner, const char *name, long long expires)
{
	struct held *h = heldtab_add(t, fd, owner, name, 1, expires, 0);

	if (!h) {
		perror("heldtab_add");
		exit(99);
	}
	return h;
}

/* 1 if the list from h on through next is exactly want[0..n-1]. */
static int walk_is(struct held *h, struct held *(*next)(const struct held *), struct held *const *want, size_t n)
{
	size_t i = 0;

	for (; h && i < n; h = next(h), i++)
		if (h != want[i])
			return 0;
	return !h && i == n;
}

#define WALK_IS(h, next, ...) walk_is((h), (next), (struct held *[]){ __VA_ARGS__ }, \
	sizeof((struct held *[]){ __VA_ARGS__ }) / sizeof(struct held *))

/* A reproducible xorshift64. */
static unsigned long long rnd(void)
{
	static unsigned long long x = 88172645463325252ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static void test_empty(void)
{
	struct heldtab *t = newtab();

	ok(heldtab_count(t) == 0 && !heldtab_first(t) && !heldtab_next_expiry(t) &&
	    !heldtab_find(t, 1000, "web") && heldtab_name_count(t, 1000, "web") == 0 &&
	    !heldtab_owner_first(t, 1000) && heldtab_owner_count(t, 1000) == 0,
	    "an empty table: no entries, no expiry, nothing found");
	heldtab_free(t);
}

static void test_owners(void)
{
	struct heldtab *t = newtab();
	int fa = nullfd(), fb = nullfd(), fc = nullfd();
	char name[] = "web";
	struct held *a, *b, *c;

	a = heldtab_add(t, fa, 1000, name, 5, 0, 1);
	b = add(t, fb, 1001, "web", 0);
	c = add(t, fc, 1000, "web", 0);
	name[0] = 'X';
	ok(a && a->fd == fa && a->owner == 1000 && strcmp(a->name, "web") == 0 && a->stored == 5 &&
	    a->expires == 0 && a->poll == 1 && !a->polled && !a->gone,
	    "heldtab_add: the entry has the descriptor, owner, a copy of the name, times and poll given");
	ok(heldtab_find(t, 1000, "web") == a && heldtab_find(t, 1001, "web") == b,
	    "two owners' entries under the same name are separate: each owner finds its own");
	ok(heldtab_name_count(t, 1000, "web") == 2 && heldtab_name_count(t, 1001, "web") == 1 &&
	    heldtab_name_count(t, 1002, "web") == 0,
	    "heldtab_name_count: 2 for the owner that stored twice, 1 for the other, 0 for a third");
	ok(!heldtab_find(t, 1000, "Xeb") && !heldtab_find(t, 1000, "we") && !heldtab_find(t, 1000, "webb") &&
	    !heldtab_find(t, 1000, "") && !heldtab_find(t, 0, "web"),
	    "nothing is found under another name, a prefix, a longer name, the empty name or another uid");
	ok(heldtab_count(t) == 3 && heldtab_owner_count(t, 1000) == 2 && heldtab_owner_count(t, 1001) == 1 &&
	    heldtab_owner_count(t, 0) == 0, "counts: 3 in all, 2 and 1 per owner, 0 for an owner with none");
	ok(WALK_IS(heldtab_find(t, 1000, "web"), heldtab_name_next, a, c) &&
	    WALK_IS(heldtab_find(t, 1001, "web"), heldtab_name_next, b),
	    "a name's list holds only its owner's entries");
	heldtab_free(t);
	ok(!fd_is_open(fa) && !fd_is_open(fb) && !fd_is_open(fc), "heldtab_free closes every descriptor");
}

static void test_order(void)
{
	struct heldtab *t = newtab();
	static const struct {
		uid_t owner;
		const char *name;
	} in[] = { { 1, "a" }, { 2, "a" }, { 1, "b" }, { 1, "a" }, { 2, "b" }, { 1, "a" }, { 2, "a" } };
	struct held *e[7];

	for (int i = 0; i < 7; i++)
		e[i] = add(t, nullfd(), in[i].owner, in[i].name, 0);
	ok(WALK_IS(heldtab_first(t), heldtab_next, e[0], e[1], e[2], e[3], e[4], e[5], e[6]),
	    "every entry, in store order");
	ok(WALK_IS(heldtab_owner_first(t, 1), heldtab_owner_next, e[0], e[2], e[3], e[5]) &&
	    WALK_IS(heldtab_owner_first(t, 2), heldtab_owner_next, e[1], e[4], e[6]),
	    "each owner's entries, in store order");
	ok(WALK_IS(heldtab_find(t, 1, "a"), heldtab_name_next, e[0], e[3], e[5]) &&
	    WALK_IS(heldtab_find(t, 2, "a"), heldtab_name_next, e[1], e[6]) &&
	    WALK_IS(heldtab_find(t, 1, "b"), heldtab_name_next, e[2]) &&
	    WALK_IS(heldtab_find(t, 2, "b"), heldtab_name_next, e[4]),
	    "each (owner, name)'s entries, in store order");
	heldtab_free(t);
}

static void test_remove(void)
{
	struct heldtab *t = newtab();
	struct held *x[6], *y[2], *o;
	int fd;

	for (int i = 0; i < 5; i++) {
		x[i] = add(t, nullfd(), 7, "x", 0);
		if (i == 1 || i == 3)
			y[i / 2] = add(t, nullfd(), 7, "y", 0);
	}
	o = add(t, nullfd(), 8, "x", 0);
	fd = x[2]->fd;
	heldtab_remove(t, x[2]);
	ok(!fd_is_open(fd), "removing an unreferenced entry closes its descriptor at once");
	ok(WALK_IS(heldtab_find(t, 7, "x"), heldtab_name_next, x[0], x[1], x[3], x[4]) &&
	    WALK_IS(heldtab_owner_first(t, 7), heldtab_owner_next, x[0], x[1], y[0], x[3], y[1], x[4]) &&
	    WALK_IS(heldtab_first(t), heldtab_next, x[0], x[1], y[0], x[3], y[1], x[4], o),
	    "removing the middle entry of a name: the name's, the owner's and the whole list close up");
	fd = x[0]->fd;
	heldtab_remove(t, x[0]);
	ok(!fd_is_open(fd) && heldtab_find(t, 7, "x") == x[1] && heldtab_first(t) == x[1] &&
	    heldtab_owner_first(t, 7) == x[1] && heldtab_name_count(t, 7, "x") == 3,
	    "removing the first entry: the next one is found first everywhere, 3 left under the name");
	fd = x[4]->fd;
	heldtab_remove(t, x[4]);
	x[5] = add(t, nullfd(), 7, "x", 0);
	ok(!fd_is_open(fd) && WALK_IS(heldtab_find(t, 7, "x"), heldtab_name_next, x[1], x[3], x[5]) &&
	    WALK_IS(heldtab_owner_first(t, 7), heldtab_owner_next, x[1], y[0], x[3], y[1], x[5]) &&
	    WALK_IS(heldtab_first(t), heldtab_next, x[1], y[0], x[3], y[1], o, x[5]),
	    "removing the last entry: an entry added next goes after the new last one in every list");
	ok(heldtab_count(t) == 6 && heldtab_owner_count(t, 7) == 5 && heldtab_owner_count(t, 8) == 1,
	    "counts after 3 removals and 1 add: 6 in all, 5 and 1 per owner");
	heldtab_remove(t, x[1]);
	heldtab_remove(t, x[3]);
	heldtab_remove(t, x[5]);
	ok(!heldtab_find(t, 7, "x") && heldtab_name_count(t, 7, "x") == 0 && heldtab_find(t, 8, "x") == o &&
	    heldtab_owner_count(t, 7) == 2, "once a name's last entry is removed it is not found; another owner's is");
	heldtab_remove(t, y[0]);
	heldtab_remove(t, y[1]);
	ok(!heldtab_owner_first(t, 7) && heldtab_owner_count(t, 7) == 0 && heldtab_first(t) == o &&
	    heldtab_count(t) == 1, "once an owner's last entry is removed it has none");
	x[0] = add(t, nullfd(), 7, "x", 0);
	ok(heldtab_find(t, 7, "x") == x[0] && heldtab_name_count(t, 7, "x") == 1 && heldtab_owner_count(t, 7) == 1 &&
	    WALK_IS(heldtab_first(t), heldtab_next, o, x[0]), "the same owner and name can be stored again");
	heldtab_free(t);
}

static void test_refs(void)
{
	struct heldtab *t = newtab();
	struct held *a, *b;
	int fa = nullfd(), fb = nullfd();

	a = add(t, fa, 1000, "svc", 100);
	b = add(t, fb, 1000, "svc", 200);
	heldtab_ref(a);
	heldtab_unref(t, a);
	ok(fd_is_open(fa) && heldtab_find(t, 1000, "svc") == a && !a->gone && heldtab_count(t) == 2,
	    "unref of an entry still in the table only drops the reference");
	heldtab_ref(a);
	heldtab_ref(a);
	heldtab_remove(t, a);
	ok(fd_is_open(fa) && a->gone && a->fd == fa && strcmp(a->name, "svc") == 0,
	    "removing a referenced entry leaves its descriptor open and its name readable, and marks it gone");
	ok(heldtab_find(t, 1000, "svc") == b && heldtab_name_count(t, 1000, "svc") == 1 && heldtab_count(t) == 1 &&
	    heldtab_owner_count(t, 1000) == 1 && WALK_IS(heldtab_first(t), heldtab_next, b) &&
	    heldtab_next_expiry(t) == b, "a gone entry is in no lookup, list, count or the expiry heap");
	heldtab_remove(t, a);
	ok(fd_is_open(fa) && heldtab_count(t) == 1 && heldtab_find(t, 1000, "svc") == b,
	    "removing a gone entry again does nothing");
	heldtab_unref(t, a);
	ok(fd_is_open(fa), "with one reference left the descriptor stays open");
	heldtab_unref(t, a);
	ok(!fd_is_open(fa), "the last unref of a gone entry closes its descriptor");
	heldtab_ref(b);
	heldtab_remove(t, b);
	heldtab_unref(t, b);
	ok(!fd_is_open(fb) && heldtab_count(t) == 0 && !heldtab_first(t) && !heldtab_next_expiry(t),
	    "a table whose only entry went while referenced is empty once it is released");
	heldtab_free(t);
}

static void test_free_gone(void)
{
	struct heldtab *t = newtab();
	struct held *h[4];
	int fds[4];
	struct fdset fs;

	fdset_take(&fs);
	for (int i = 0; i < 4; i++)
		h[i] = add(t, fds[i] = nullfd(), 1000 + i % 2, "a", 0);
	for (int i = 0; i < 3; i++) {
		heldtab_ref(h[i]);
		heldtab_remove(t, h[i]);
	}
	heldtab_unref(t, h[1]);
	ok(!fd_is_open(fds[1]) && fd_is_open(fds[0]) && fd_is_open(fds[2]),
	    "of three gone entries, releasing the middle one closes only its descriptor");
	heldtab_ref(h[3]);
	heldtab_free(t);
	ok_fdset(&fs, "heldtab_free closes the descriptors of gone referenced entries and of referenced ones in the table");
}

static void test_nofd(void)
{
	struct heldtab *t = newtab();
	struct fdset fs;

	fdset_take(&fs);
	heldtab_remove(t, add(t, -1, 1, "none", 0));
	add(t, -1, 1, "none", 0);
	heldtab_free(t);
	ok_fdset(&fs, "an entry with descriptor -1 holds none: removing it and freeing the table close nothing");
}

#define EXP_N 10000
#define EXP_MORE 2000

/* The earliest expiry among live[0..n-1], 0 when none expires. */
static long long earliest(struct held *const *live, size_t n)
{
	long long min = 0;

	for (size_t i = 0; i < n; i++)
		if (live[i]->expires && (!min || live[i]->expires < min))
			min = live[i]->expires;
	return min;
}

/* 1 if next_expiry is an entry in live with the earliest expiry, or NULL when none expires. */
static int top_ok(const struct heldtab *t, struct held *const *live, size_t n)
{
	struct held *top = heldtab_next_expiry(t);
	long long min = earliest(live, n);
	size_t i = 0;

	if (!top)
		return min == 0;
	while (i < n && live[i] != top)
		i++;
	if (i == n || top->expires != min) {
		diag("next_expiry gives %lld, the earliest is %lld%s", top->expires, min, i == n ? " (not an entry)" : "");
		return 0;
	}
	return 1;
}

/* Entries without descriptors (-1): the heap is what is tested. */
static void test_expiry(void)
{
	static struct held *live[EXP_N + EXP_MORE];
	struct heldtab *t = newtab();
	size_t n = 0, steps = 0, more = 0, bad = 0, i;
	long long min = 0, e;
	struct held *top;

	for (i = 0; i < EXP_N; i++) {
		e = i % 10 == 0 ? 0 : 1 + (long long)(rnd() % 50000);	/* ties, and some never expire */
		live[n++] = add(t, -1, 1000 + i % 5, "e", e);
		if (e && (!min || e < min))
			min = e;
		top = heldtab_next_expiry(t);
		bad += !(min ? top && top->expires == min : !top);
	}
	ok(bad == 0 && heldtab_count(t) == EXP_N, "adding %d entries, next_expiry is always the earliest", EXP_N);
	bad = 0;
	while (n > 0 && bad < 5) {
		unsigned r = (unsigned)(rnd() % 4);

		if (r == 0 && more < EXP_MORE) {
			live[n++] = add(t, -1, 1000, "e", (long long)(rnd() % 3 ? 1 + rnd() % 50000 : 0));
			more++;
		} else {
			i = (size_t)(rnd() % n);
			if (r == 1 && (top = heldtab_next_expiry(t)))
				for (i = 0; live[i] != top; i++)
					;	/* expire the earliest, as the holder does */
			heldtab_remove(t, live[i]);
			live[i] = live[--n];
		}
		steps++;
		bad += !top_ok(t, live, n);
	}
	ok(bad == 0, "through %zu random adds and removals (first, middle, any), "
	    "next_expiry is the earliest of a shadow array", steps);
	ok(heldtab_count(t) == 0 && !heldtab_next_expiry(t) && !heldtab_first(t),
	    "all removed: nothing expires, nothing left");
	heldtab_free(t);
}

#define SCALE_N 100000

/* Raises RLIMIT_NOFILE for room more descriptors; the reason it cannot into why. */
static int room_for(size_t room, char *why, size_t len)
{
	static struct fdset fs;
	struct rlimit rl;
	long need;

	fdset_take(&fs);
	need = fdset_limit(&fs, room);
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		exit(99);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)need) {
		rl.rlim_cur = (rlim_t)need;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need)
			rl.rlim_max = (rlim_t)need;	/* only with privilege */
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			snprintf(why, len, "RLIMIT_NOFILE cannot be raised to %ld: %s", need, strerror(errno));
			return 0;
		}
	}
	return 1;
}

/* SCALE_N duplicates of base in fds, or 0 with none open (all -1) and the reason in why. */
static int dup_all(int base, int *fds, char *why, size_t len)
{
	int i = 0;

	if (room_for(SCALE_N + 16, why, len))
		for (; i < SCALE_N; i++)
			if ((fds[i] = fcntl(base, F_DUPFD_CLOEXEC, 0)) == -1) {
				snprintf(why, len, "descriptor %d of %d: %s", i + 1, SCALE_N, strerror(errno));
				break;
			}
	if (i == SCALE_N)
		return 1;
	while (i--)
		close(fds[i]);
	for (i = 0; i < SCALE_N; i++)
		fds[i] = -1;
	return 0;
}

static void test_scale(void)
{
	struct held **e = malloc(SCALE_N * sizeof(*e));
	int *fds = malloc(SCALE_N * sizeof(*fds));
	struct heldtab *t = newtab();
	size_t found = 0, order = 0, owned = 0, left = 0, kept = 0, closed = 0;
	char name[32], why[200] = "";
	struct rlimit saved;
	struct held *h;
	int base = nullfd(), real;

	if (!e || !fds || getrlimit(RLIMIT_NOFILE, &saved) == -1)
		exit(99);
	if (!(real = dup_all(base, fds, why, sizeof(why))))
		diag("the scale check runs without descriptors: %s", why);
	for (int i = 0; i < SCALE_N; i++) {
		snprintf(name, sizeof(name), "svc-%d", i);
		e[i] = add(t, fds[i], 1000 + i % 3, name, i % 2 ? 0 : 1000 + (i * 7919LL) % 100000);
	}
	for (int i = 0; i < SCALE_N; i++) {
		snprintf(name, sizeof(name), "svc-%d", i);
		h = heldtab_find(t, 1000 + i % 3, name);
		found += h == e[i] && h->fd == fds[i] && strcmp(h->name, name) == 0 &&
		    heldtab_name_count(t, 1000 + i % 3, name) == 1 && !heldtab_find(t, 1001 + i % 3, name);
	}
	ok(heldtab_count(t) == SCALE_N && found == SCALE_N,
	    "%d entries under distinct names: each is found by (owner, name), and only by its owner (%zu)", SCALE_N, found);
	for (h = heldtab_first(t); h && order < SCALE_N && h == e[order]; h = heldtab_next(h))
		order++;
	for (h = heldtab_owner_first(t, 1001); h && h == e[3 * owned + 1]; h = heldtab_owner_next(h))
		owned++;
	ok(order == SCALE_N && owned == (SCALE_N + 1) / 3 && heldtab_owner_count(t, 1000) == (SCALE_N + 2) / 3 &&
	    heldtab_owner_count(t, 1001) == (SCALE_N + 1) / 3 && heldtab_owner_count(t, 1002) == SCALE_N / 3,
	    "store order holds at %d entries, in all and per owner, and each owner counts its third", SCALE_N);
	for (int i = 1; i < SCALE_N; i += 4)
		heldtab_remove(t, e[i]);
	for (int i = 0; i < SCALE_N; i++) {
		snprintf(name, sizeof(name), "svc-%d", i);
		left += (heldtab_find(t, 1000 + i % 3, name) != NULL) == (i % 4 != 1);
		kept += fd_is_open(fds[i]) == (i % 4 != 1);
	}
	ok(left == SCALE_N && heldtab_count(t) == SCALE_N - (SCALE_N + 2) / 4,
	    "removing every fourth entry: exactly the others are still found (%zu)", left);
	heldtab_free(t);
	for (int i = 0; i < SCALE_N; i++)
		closed += !fd_is_open(fds[i]);
	if (real)
		ok(kept == SCALE_N && closed == SCALE_N,
		    "each of %d descriptors is open until its entry is removed (%zu), and closed by heldtab_free at the latest (%zu)",
		    SCALE_N, kept, closed);
	else
		skip(why, "each of %d descriptors is open until its entry is removed, and closed by heldtab_free at the latest",
		    SCALE_N);
	close(base);
	setrlimit(RLIMIT_NOFILE, &saved);
	free(fds);
	free(e);
}

/* This process's address space in bytes. */
static rlim_t vmsize(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f || fscanf(f, "%lu", &pages) != 1)
		_exit(2);
	fclose(f);
	return (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
}

#define KEEP 65536
static void *keep[KEEP];

/* Takes every block malloc can still give, largest first; how many. */
static size_t exhaust(void)
{
	size_t n = 0;

	for (size_t sz = 65536; sz >= 16; sz = sz > 1024 ? sz / 2 : sz - 16)
		while (n < KEEP && (keep[n] = malloc(sz)))
			n++;
	return n;
}

/*
 * heldtab_add with the address space capped and the heap exhausted, but
 * for nholes blocks of size freed just before: room for some of its
 * allocations and not the rest.  (glibc's calloc skips its thread cache,
 * which takes the first 7 blocks of a size.)
 */
static struct held *capped_add(struct heldtab *t, int fd, uid_t owner, const char *name, long long expires,
    size_t size, int nholes)
{
	struct rlimit saved, rl;
	void *holes[8];
	struct held *h;
	size_t n;
	int e;

	for (int i = 0; i < nholes; i++)
		if (!(holes[i] = malloc(size)))
			_exit(2);
	if (getrlimit(RLIMIT_AS, &saved) == -1)
		_exit(2);
	rl = saved;
	rl.rlim_cur = vmsize();
	if (setrlimit(RLIMIT_AS, &rl) == -1)
		_exit(2);
	n = exhaust();
	for (int i = 0; i < nholes; i++)
		free(holes[i]);
	errno = 0;
	h = heldtab_add(t, fd, owner, name, 0, expires, 0);
	e = errno;
	while (n--)
		free(keep[n]);
	setrlimit(RLIMIT_AS, &saved);
	errno = e;
	return h;
}

/* Adds what is needed to reach a growth point; the entries hold no descriptor. */
static void fill(struct heldtab *t, uid_t owner, const char *name, long long expires)
{
	add(t, -1, owner, name, expires);
}

/*
 * One capped add that must fail with ENOMEM and change nothing, then
 * succeed uncapped.  0, or why not.
 */
static int round_fails(struct heldtab *t, int fd, uid_t owner, const char *name, long long expires,
    size_t size, int nholes)
{
	size_t count = heldtab_count(t), same = heldtab_name_count(t, owner, name);
	size_t owned = heldtab_owner_count(t, owner);
	struct held *first = heldtab_find(t, owner, name), *top = heldtab_next_expiry(t), *h;

	if ((h = capped_add(t, fd, owner, name, expires, size, nholes))) {
		h->fd = -1;	/* the allocator found room: no failure to check */
		return 3;
	}
	if (errno != ENOMEM)
		return 4;
	if (!fd_is_open(fd))
		return 5;
	if (heldtab_count(t) != count || heldtab_name_count(t, owner, name) != same ||
	    heldtab_owner_count(t, owner) != owned || heldtab_find(t, owner, name) != first ||
	    heldtab_next_expiry(t) != top)
		return 6;
	if (!(h = heldtab_add(t, fd, owner, name, 0, expires, 0)))
		return 7;
	h->fd = -1;
	return heldtab_name_count(t, owner, name) == same + 1 && heldtab_count(t) == count + 1 ? 0 : 8;
}

/* Every entry is found and counted where it should be; 0, or why not. */
static int consistent(const struct heldtab *t)
{
	size_t n = 0;
	long long min = 0;

	for (struct held *h = heldtab_first(t); h; h = heldtab_next(h), n++) {
		struct held *f = heldtab_find(t, h->owner, h->name);

		if (!f || f->owner != h->owner || strcmp(f->name, h->name) != 0 || !heldtab_owner_count(t, h->owner))
			return 9;
		if (h->expires && (!min || h->expires < min))
			min = h->expires;
	}
	if (n != heldtab_count(t) || (min ? !heldtab_next_expiry(t) || heldtab_next_expiry(t)->expires != min :
	    heldtab_next_expiry(t) != NULL))
		return 10;
	return 0;
}

/*
 * Aims a failure at each allocation heldtab_add makes, as heldtab.c grows
 * its tables (at 1024 keys, 1024 expiries): the entry, a new name's key,
 * a new owner's, the names' buckets, the owners', the heap.
 */
static int enomem_child(void)
{
	struct heldtab *t = newtab();
	size_t entry = sizeof(struct held) + 2;	/* one-letter names */
	int fd = nullfd(), st;
	char name[32];

	st = round_fails(t, fd, 1, "h", 0, 0, 0);
	for (int i = 1; i < 1024; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		fill(t, 1, name, 0);
	}
	st = st ? st : round_fails(t, fd, 1, "K", 0, 4000, 1);
	st = st ? st : round_fails(t, fd, 1, "k", 0, entry, 8);
	st = st ? st : round_fails(t, fd, 2, "o", 0, entry + 64, 8);
	for (uid_t o = 3; o <= 1024; o++)
		fill(t, o, "f", 0);
	st = st ? st : round_fails(t, fd, 5000, "O", 0, 4000, 1);
	for (int i = 0; i < 1024; i++)
		fill(t, 1, "p", 100 + i);
	st = st ? st : round_fails(t, fd, 1, "p", 5, 4000, 1);
	st = st ? st : consistent(t);
	heldtab_free(t);
	close(fd);
	return st;
}

/* Why an address-space cap cannot be tested here, or NULL. */
static const char *no_cap(void)
{
	const char *preload = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__)
	return "AddressSanitizer's shadow memory does not fit under a cap";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return "AddressSanitizer's shadow memory does not fit under a cap";
#endif
#endif
#ifndef __GLIBC__
	return "the failures are aimed with glibc's allocator in mind";
#endif
	if (preload && strstr(preload, "vgpreload"))
		return "under valgrind, whose allocator aborts when the cap is reached";
	if (access("/proc/self/statm", R_OK) == -1)
		return "no /proc/self/statm to measure the address space";
	return NULL;
}

static void test_enomem(void)
{
	const char *why = no_cap();
	pid_t pid;
	int st;

	if (why) {
		skip(why, "with the address space capped, heldtab_add fails with ENOMEM and changes nothing");
		return;
	}
	if ((pid = test_fork()) == 0)
		_exit(enomem_child());
	st = test_wait(pid);
	ok(st == 0, "with the address space capped, each of 6 allocations heldtab_add makes fails with ENOMEM "
	    "keeping nothing of the entry and leaving the descriptor to the caller (status %d)", st);
}

int main(void)
{
	struct fdset fs;

	fdset_take(&fs);
	test_empty();
	test_owners();
	test_order();
	test_remove();
	test_refs();
	test_free_gone();
	test_nofd();
	test_expiry();
	test_scale();
	test_enomem();
	ok_fdset(&fs, "the tests leave the descriptors they found open, and no others");
	return done_testing();
}
