/* policy.h - who may be on the other end of a socket: uids, gids, or anyone. */
#ifndef FDRELAY_POLICY_H
#define FDRELAY_POLICY_H

#include <sys/types.h>

#include "ancil.h"

/*
 * A peer is allowed when allow_any is set, when its uid is 0 or this
 * process's effective uid, or when its uid, its gid or (on a connection)
 * one of its supplementary groups is listed.  The same rule serves the
 * listener judging senders and the sender judging listeners.
 */
struct policy {
	int allow_any;
	uid_t *uids;
	size_t nuids;
	gid_t *gids;
	size_t ngids;
};

/*
 * Adds the comma-separated user (groups 0) or group (groups 1) ids or
 * names of list.  Returns 0, or -1 after writing why into why (whylen
 * bytes): an unknown name, an empty entry, or no memory.
 */
int policy_add_ids(struct policy *p, const char *list, int groups, char *why, size_t whylen);

/*
 * 1 if p allows a peer with credentials cr; conn (or -1) is the connected
 * socket, whose supplementary groups (SO_PEERGROUPS) a gid may match.
 */
int policy_allows(const struct policy *p, const struct ancil_cred *cr, int conn);

void policy_free(struct policy *p);

#endif
