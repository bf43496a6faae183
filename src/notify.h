/* notify.h - systemd's notify messages (sd_notify(3)): the file descriptor store's part, parsed without sockets. */
#ifndef FDRELAY_NOTIFY_H
#define FDRELAY_NOTIFY_H

#include <stddef.h>

#include "proto.h"

/*
 * A message is assignments VAR=VALUE separated by newlines (a final
 * newline optional, empty lines ignored), as sd_notify(3) sends them.
 */
struct notify_msg {
	int fdstore;		/* FDSTORE=1 */
	int fdstoreremove;	/* FDSTOREREMOVE=1 */
	int fdpoll;		/* 0 with FDPOLL=0; 1 otherwise */
	char name[PROTO_NAME_MAX + 1];	/* FDNAME=, or "stored" when not given */
	int name_given;
	size_t nassign;		/* assignments in all */
};

/*
 * Parses len bytes.  Returns 0, or -1 with errno EINVAL after writing
 * why (whylen bytes, NUL-terminated, printable ASCII) when the message is
 * not valid: empty; a NUL byte or invalid UTF-8; a non-empty line without
 * '=' or with a variable name that is not [A-Z0-9_]+ starting with a
 * letter or '_'; an FDNAME= that breaks the name rule (proto_name_valid);
 * FDSTOREREMOVE=1 without FDNAME=.  FDSTORE, FDSTOREREMOVE and FDPOLL take
 * 0 or 1 only (anything else is invalid).  When a variable is assigned
 * twice, the last assignment counts.  Other variables are counted in
 * nassign and otherwise ignored.
 */
int notify_parse(const char *buf, size_t len, struct notify_msg *m, char *why, size_t whylen);

#endif
