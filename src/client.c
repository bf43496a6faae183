/* client.c - reaching a listener: connecting with retries, saying why not, checking who listens. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "fdrelay.h"
#include "sig.h"
#include "sock.h"

/* Joins up to three strings (NULL: fewer) into buf of size len; no printf on a sender's path. */
static void join(char *buf, size_t len, const char *first, const char *second, const char *third)
{
	const char *parts[] = { first, second, third };

	buf[0] = '\0';
	for (size_t i = 0; i < 3 && parts[i]; i++)
		strncat(buf, parts[i], len - strlen(buf) - 1);
}

static const char *type_option(int type)
{
	return type == SOCK_SEQPACKET ? "--seqpacket" : type == SOCK_DGRAM ? "--dgram" : "no type option";
}

/* The socket type that path accepts, or -1: a probe for EPROTOTYPE. */
static int probe_type(const char *path, int tried)
{
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int s;

		if (types[i] == tried || (s = sock_connect(path, types[i])) == -1)
			continue;
		close(s);
		return types[i];
	}
	return -1;
}

/* Why connecting to c->path failed with error e, in words, into buf. */
static void diagnose(const struct client *c, int e, char *buf, size_t len)
{
	struct stat st;
	int t;

	switch (e) {
	case ENOENT:
		join(buf, len, "nothing is there (no listener has bound it", c->retry ? " yet)" : "; --retry waits for one)", NULL);
		return;
	case ECONNREFUSED:
		if (c->path[0] == '@')
			join(buf, len, "nothing listens on this abstract name", NULL, NULL);
		else if (lstat(c->path, &st) == 0 && S_ISSOCK(st.st_mode))
			join(buf, len, "a stale socket: nothing accepts connections on it (its listener is gone)", NULL, NULL);
		else if (lstat(c->path, &st) == 0)
			join(buf, len, "not a socket but a ", S_ISREG(st.st_mode) ? "regular file" :
			    S_ISDIR(st.st_mode) ? "directory" : S_ISLNK(st.st_mode) ? "symbolic link" : "special file", NULL);
		else
			join(buf, len, strerror(e), NULL, NULL);
		return;
	case EPROTOTYPE:
		t = probe_type(c->path, c->type);
		if (t == -1)
			join(buf, len, "the listener uses another socket type", NULL, NULL);
		else
			join(buf, len, "the listener's socket is of another type: connect with ", type_option(t), NULL);
		return;
	case EACCES:
		join(buf, len, "permission denied (the socket file's mode, or a directory on the way, keeps this user out)", NULL, NULL);
		return;
	case EAGAIN:
		join(buf, len, "the listener's backlog is full", NULL, NULL);
		return;
	case ENAMETOOLONG:
		join(buf, len, "the socket path is too long", NULL, NULL);
		return;
	}
	join(buf, len, strerror(e), NULL, NULL);
}

/* Checks the listener on s against c->policy; returns 0 or FDR_EXIT_REFUSED after a message. */
static int check_listener(const struct client *c, int s)
{
	struct ancil_cred cred = { -1, (uid_t)-1, (gid_t)-1 };
	const char *what = "the listener runs as";
	struct passwd *pw;
	struct stat st;

	if (c->type == SOCK_DGRAM) {
		/* No peer credentials on datagrams: the socket file's owner stands for them. */
		if (c->path[0] == '@' || stat(c->path, &st) == -1)
			return 0;
		cred.uid = st.st_uid;
		cred.gid = st.st_gid;
		what = "the socket file is owned by";
	} else if (ancil_peer_cred(s, &cred) == -1) {
		fdr_warn("%s %s: the listener's credentials", c->cmd, c->path);
		return FDR_EXIT_FAIL;
	}
	if (policy_allows(c->policy, &cred, c->type == SOCK_DGRAM ? -1 : s))
		return 0;
	pw = getpwuid(cred.uid);
	fdr_warnx("%s %s: refused the listener: %s uid %ld%s%s%s, not this user or root "
	    "(--allow-uid=%ld sends to it)", c->cmd, c->path, what, (long)cred.uid,
	    pw ? " (" : "", pw ? pw->pw_name : "", pw ? ")" : "", (long)cred.uid);
	return FDR_EXIT_REFUSED;
}

int client_connect(const struct client *c, int *status)
{
	int delay = 10, s;
	char why[256];

	while ((s = sock_connect(c->path, c->type)) == -1) {
		int e = errno;

		diagnose(c, e, why, sizeof(why));
		if (c->retry && (e == ENOENT || e == ECONNREFUSED || e == EAGAIN)) {
			if (c->timeout_prefix)
				sig_timeout_say(c->timeout_prefix, " connecting (last attempt: ", why, ")", NULL);
			usleep(delay * 1000);
			delay = delay < 200 ? delay * 2 : delay;
			continue;
		}
		fdr_warnx("%s: connect %s: %s", c->cmd, c->path, why);
		*status = FDR_EXIT_FAIL;
		return -1;
	}
	if (c->verbose)
		fdr_warnx("%s: connected to %s", c->cmd, c->path);
	if ((*status = check_listener(c, s)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

int client_read(const struct client *c, struct frame_conn *fc, struct proto_hdr *h,
    unsigned char *payload, const char *waiting_for, const char *hint)
{
	int fds[PROTO_MAX_FDS];
	int r = frame_recv(fc, h, payload, fds);

	if (r == 1 && h->nfds) {
		ancil_close_fds(fds, h->nfds);
		errno = EPROTO;
		r = -1;
	}
	if (r == 1)
		return 0;
	if (r == 0)
		fdr_warnx("%s %s: the %s closed the connection before %s%s%s%s", c->cmd, c->path,
		    c->peer ? c->peer : "listener", waiting_for, hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	else if (errno == ENOMSG)
		fdr_warnx("%s %s: protocol error: what the listener sent is not fdrelay's protocol "
		    "(a listener that is not fdrelay?)", c->cmd, c->path);
	else
		fdr_warn("%s %s: receive %s", c->cmd, c->path, waiting_for);
	return FDR_EXIT_FAIL;
}

int client_unexpected(const struct client *c, const struct proto_hdr *h, const unsigned char *payload)
{
	enum proto_refusal why;
	char text[PROTO_ERROR_MAX + 1];

	if (h->type == PROTO_REFUSE && proto_refuse_unpack(payload, h->len, &why) == 0 && c->peer) {
		fdr_warnx("%s %s: the %s refused: %s", c->cmd, c->path, c->peer,
		    why == PROTO_REFUSE_TOO_MANY ? "it would hold more than its --max-fds" : "not allowed by its policy");
		return FDR_EXIT_REFUSED;
	}
	if (h->type == PROTO_REFUSE && proto_refuse_unpack(payload, h->len, &why) == 0) {
		fdr_warnx("%s %s: the listener refused this sender: %s", c->cmd, c->path,
		    why == PROTO_REFUSE_TOO_MANY ? "too many descriptors" : "not allowed by its policy");
		return FDR_EXIT_REFUSED;
	}
	if (h->type == PROTO_ERROR && proto_error_unpack(payload, h->len, text, sizeof(text)) == 0 && c->peer) {
		fdr_warnx("%s %s: %s", c->cmd, c->path, text);
		return FDR_EXIT_FAIL;
	}
	if (h->type == PROTO_ERROR && proto_error_unpack(payload, h->len, text, sizeof(text)) == 0) {
		fdr_warnx("%s %s: the listener reported an error: %s", c->cmd, c->path, text);
		return FDR_EXIT_FAIL;
	}
	fdr_warnx("%s %s: protocol error: unexpected frame type %d", c->cmd, c->path, h->type);
	return FDR_EXIT_FAIL;
}
