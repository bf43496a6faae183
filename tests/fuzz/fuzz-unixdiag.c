/* fuzz-unixdiag.c - libFuzzer harness for the parser of the kernel's unix socket table (src/unixdiag.c). */
/*
 * Build and run (from the source tree, config.h from a configured build dir):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I src -I BUILD \
 *       tests/fuzz/fuzz-unixdiag.c src/unixdiag.c -o /tmp/fuzz-unixdiag
 *   /tmp/fuzz-unixdiag -max_total_time=120 tests/fuzz/corpus-unixdiag
 *
 * The input stands for the netlink replies to describe's dump (the seeds
 * are a real one).  Whatever parses must index consistently: every socket
 * is found again by its inode, its bound file and its abstract name, and
 * each pending client leads to a listener.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unixdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unixdiag *t = unixdiag_parse(data, size);
	const struct unixdiag_sock *all, *s, *l;
	size_t n;

	if (!t)
		return 0;
	all = unixdiag_all(t, &n);
	for (size_t i = 0; i < n; i++) {
		s = &all[i];
		if (s->ino)
			check((s = unixdiag_find(t, all[i].ino)) != NULL && s->ino == all[i].ino);
		s = &all[i];
		/* (Device 0:0 and inode 0 is the table's "no key"; no kernel names a file so.) */
		if (s->have_vfs && (s->vfs_major || s->vfs_minor || s->vfs_ino))
			check(unixdiag_find_file(t, s->vfs_major, s->vfs_minor, s->vfs_ino) != NULL);
		if (s->name && s->namelen && s->name[0] == '\0')
			check(unixdiag_find_abstract(t, s->name + 1, s->namelen - 1) != NULL);
		for (size_t k = 0; k < s->npending; k++)
			if (s->pending[k])
				check((l = unixdiag_listener_of(t, s->pending[k])) != NULL && l->npending > 0);
	}
	unixdiag_free(t);
	return 0;
}
