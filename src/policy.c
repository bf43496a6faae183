/* policy.c - who may be on the other end of a socket: uids, gids, or anyone. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "policy.h"

/* One id of a list: a number, or a user or group name. */
static int one_id(const char *tok, int groups, unsigned *id)
{
	long v = parse_ulong(tok, 0x7ffffffe);
	struct passwd *pw;
	struct group *gr;

	if (v != -1) {
		*id = (unsigned)v;
		return 0;
	}
	if (groups && (gr = getgrnam(tok)) != NULL) {
		*id = gr->gr_gid;
		return 0;
	}
	if (!groups && (pw = getpwnam(tok)) != NULL) {
		*id = pw->pw_uid;
		return 0;
	}
	return -1;
}

static int add_id(struct policy *p, int groups, unsigned id)
{
	if (groups) {
		gid_t *g = realloc(p->gids, (p->ngids + 1) * sizeof(*g));

		if (!g)
			return -1;
		g[p->ngids++] = id;
		p->gids = g;
	} else {
		uid_t *u = realloc(p->uids, (p->nuids + 1) * sizeof(*u));

		if (!u)
			return -1;
		u[p->nuids++] = id;
		p->uids = u;
	}
	return 0;
}

int policy_add_ids(struct policy *p, const char *list, int groups, char *why, size_t whylen)
{
	const char *tok = list;

	do {
		size_t len = strcspn(tok, ",");
		char name[256];
		unsigned id;

		if (len == 0 || len >= sizeof(name)) {
			snprintf(why, whylen, "%s in '%s'", len ? "a name too long" : "an empty entry", list);
			return -1;
		}
		memcpy(name, tok, len);
		name[len] = '\0';
		if (one_id(name, groups, &id) == -1) {
			snprintf(why, whylen, "no such %s '%s'", groups ? "group" : "user", name);
			return -1;
		}
		if (add_id(p, groups, id) == -1) {
			snprintf(why, whylen, "%s", strerror(errno));
			return -1;
		}
		tok += len;
	} while (*tok++ == ',');
	return 0;
}

/* 1 if one of conn's peer's supplementary groups is in p->gids. */
static int groups_allowed(const struct policy *p, int conn)
{
	gid_t small[64], *groups = small;
	int n, ok = 0;

	n = ancil_peer_groups(conn, small, 64);
	if (n > 64 && (groups = calloc((size_t)n, sizeof(gid_t))) != NULL)
		n = ancil_peer_groups(conn, groups, (size_t)n);
	for (int g = 0; groups && g < n && !ok; g++)
		for (size_t i = 0; i < p->ngids && !ok; i++)
			ok = groups[g] == p->gids[i];
	if (groups != small)
		free(groups);
	return ok;
}

int policy_allows(const struct policy *p, const struct ancil_cred *cr, int conn)
{
	if (p->allow_any || cr->uid == 0 || cr->uid == geteuid())
		return 1;
	for (size_t i = 0; i < p->nuids; i++)
		if (cr->uid == p->uids[i])
			return 1;
	for (size_t i = 0; i < p->ngids; i++)
		if (cr->gid == p->gids[i])
			return 1;
	return p->ngids && conn != -1 && groups_allowed(p, conn);
}

void policy_free(struct policy *p)
{
	free(p->uids);
	free(p->gids);
	memset(p, 0, sizeof(*p));
}
