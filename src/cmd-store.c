/* cmd-store.c - the holder's clients: fdrelay store, fetch, drop and list. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ancil.h"
#include "client.h"
#include "describe.h"
#include "fdrelay.h"
#include "frame.h"
#include "sig.h"
#include "spawn.h"

/* One connection to a holder, with the deadline and messages of send. */
struct hconn {
	struct client cl;
	struct frame_conn fc;
	char prefix[512];
	unsigned char payload[PROTO_MAX_PAYLOAD];
};

/* The SOCKET operand and the NAMEs after it; 0 or FDR_EXIT_USAGE after a message. */
static int check_socket(const struct opts *o)
{
	const char *sock = o->nargs ? o->args[0] : NULL;

	if (!sock) {
		fdr_warnx("%s: no SOCKET given", o->cmd);
		return FDR_EXIT_USAGE;
	}
	if (!sock[0] || !strcmp(sock, "@")) {
		fdr_warnx("%s: SOCKET '%s': an empty path or abstract name", o->cmd, sock);
		return FDR_EXIT_USAGE;
	}
	if (o->nargs - 1 > PROTO_MAX_FDS) {
		fdr_warnx("%s: at most %d names per request, %zu given", o->cmd, PROTO_MAX_FDS, o->nargs - 1);
		return FDR_EXIT_USAGE;
	}
	for (size_t i = 1; i < o->nargs; i++)
		if (!proto_name_valid(o->args[i])) {
			fdr_warnx("%s: '%s' is not a valid name (1-255 printable characters, no ':')", o->cmd,
			    o->args[i]);
			return FDR_EXIT_USAGE;
		}
	return 0;
}

/* Arms the deadline (-t, or 10 s with -R) as send does. */
static void arm(struct hconn *c, const struct opts *o)
{
	int ms = o->timeout_ms ? o->timeout_ms : o->retry ? 10000 : 0;

	c->cl = (struct client){ .cmd = o->cmd, .path = o->args[0], .peer = "holder", .type = SOCK_STREAM, .retry = o->retry,
		.policy = &o->policy, .verbose = o->verbose };
	if (!ms)
		return;
	snprintf(c->prefix, sizeof(c->prefix), "%s %s: timed out after %s seconds", o->cmd, o->args[0],
	    o->timeout_text ? o->timeout_text : "10");
	c->cl.timeout_prefix = c->prefix;
	sig_timeout_say(c->prefix, " starting", NULL);
	sig_timeout_arm(ms);
}

static int expect(struct hconn *c, struct proto_hdr *h, int want, const char *waiting_for);

/* Connects and sends the request; 0 or an exit status after a message. */
static int ask(struct hconn *c, const struct opts *o, int op, int flags, char *const *names, size_t n)
{
	struct proto_request r = { .op = (uint8_t)op, .flags = (uint8_t)flags,
		.owner = o->owner == -1 ? PROTO_OWNER_SELF : (uint32_t)o->owner,
		.ttl_ms = (uint64_t)o->ttl_ms, .nnames = (uint16_t)n };
	ssize_t len;
	int status;

	if ((c->fc.sock = client_connect(&c->cl, &status)) == -1)
		return status;
	c->fc.type = SOCK_STREAM;
	if (c->cl.timeout_prefix)
		sig_timeout_say(c->prefix, " waiting for the holder", NULL);
	len = proto_request_pack(c->payload, sizeof(c->payload), &r, (const char *const *)names);
	if (len == -1 || frame_send(&c->fc, PROTO_REQUEST, 0, c->payload, (size_t)len, NULL, 0) == -1) {
		struct proto_hdr h;

		/* A holder that refused at once (its policy) closed the connection: its answer says why. */
		if (len != -1 && (errno == EPIPE || errno == ECONNRESET))
			return expect(c, &h, -1, "answering");
		fdr_warn("%s %s", o->cmd, c->cl.path);
		return FDR_EXIT_FAIL;
	}
	return 0;
}

/* Reads the holder's next frame, which must be of type want (or REFUSE/ERROR: explained). */
static int expect(struct hconn *c, struct proto_hdr *h, int want, const char *waiting_for)
{
	int status = client_read(&c->cl, &c->fc, h, c->payload, waiting_for,
	    "not a holder? fdrelay hold serves store, fetch, drop and list");

	if (status)
		return status;
	return h->type == want ? 0 : client_unexpected(&c->cl, h, c->payload);
}

static void hclose(struct hconn *c)
{
	sig_timeout_arm(0);
	if (c->fc.sock > 0)
		close(c->fc.sock);
	c->fc.sock = -1;
}

/* ---- store ---------------------------------------------------------------- */

static int store_exec(struct opts *o)
{
	struct hconn *c = calloc(1, sizeof(*c));
	struct proto_hdr h;
	uint32_t count;
	int *fds = NULL, status, flags = (o->replace ? PROTO_R_REPLACE : 0) | (o->no_poll ? PROTO_R_NOPOLL : 0);
	char **names = NULL;

	if (!c)
		return FDR_EXIT_FAIL;
	if ((status = check_socket(o)) != 0)
		goto out;
	if (o->src.n == 0) {
		fdr_warnx("store: nothing to store: give FILEs or descriptor options (-d, -i, -l, ...)");
		status = FDR_EXIT_USAGE;
		goto out;
	}
	arm(c, o);
	if ((status = sources_open(&o->src, "store", c->cl.timeout_prefix, o->verbose)) != 0 ||
	    (status = ask(c, o, PROTO_OP_STORE, flags, NULL, 0)) != 0)
		goto out;
	if (sources_arrays(&o->src, &fds, &names) == -1 ||
	    frame_send_offer(&c->fc, 0, fds, names, o->src.n) == -1) {
		/* A holder that refused closed the connection: its answer says why. */
		if (errno == EPIPE || errno == ECONNRESET)
			status = expect(c, &h, PROTO_ACK, "acknowledging");
		if (!status) {
			fdr_warn("store %s", c->cl.path);
			status = FDR_EXIT_FAIL;
		}
		goto out;
	}
	if ((status = expect(c, &h, PROTO_ACK, "acknowledging")) != 0)
		goto out;
	if (proto_ack_unpack(c->payload, h.len, &count) == -1 || count != o->src.n) {
		fdr_warnx("store %s: protocol error: bad acknowledgement", c->cl.path);
		status = FDR_EXIT_FAIL;
	} else if (o->verbose) {
		fdr_warnx("store: %s holds %u descriptor%s more", c->cl.path, count, count == 1 ? "" : "s");
	}
out:
	hclose(c);
	free(fds);
	free(names);
	free(c);
	return status;
}

/* ---- fetch and list: HELD, then ENTRIES frames ------------------------------ */

/* What to do with each ENTRIES frame's descriptors (owned) and metadata; 0 or -1. */
typedef int entries_fn(const struct proto_entry *e, int *fds, size_t n, void *arg);

/* fetch: keeps them all. */
static int keep_all(const struct proto_entry *e, int *fds, size_t n, void *arg)
{
	struct frame_batch *b = arg;

	for (size_t i = 0; i < n; i++)
		if (frame_batch_add(b, fds[i], e[i].name) == -1) {
			ancil_close_fds(fds + i + 1, n - i - 1);
			fdr_warn("fetch");
			return -1;
		}
	return 0;
}

/*
 * Receives HELD into *ph, then the ENTRIES frames it announced, handing
 * each frame to each as it arrives (so that a list of 100,000 streams);
 * 0 or an exit status after a message.
 */
static int receive_entries(struct hconn *c, const struct opts *o, struct proto_held *ph, entries_fn *each,
    void *arg)
{
	int keeps = each == keep_all;
	struct proto_hdr h;
	size_t got = 0;
	int status;

	if ((status = expect(c, &h, PROTO_HELD, "the holder's answer")) != 0)
		return status;
	if (proto_held_unpack(c->payload, h.len, ph) == -1) {
		fdr_warnx("%s %s: protocol error: bad answer", o->cmd, c->cl.path);
		return FDR_EXIT_FAIL;
	}
	/* A fetch keeps everything at once: the kernel installs nothing past RLIMIT_NOFILE. */
	if (keeps && ph->count && fdr_nofile_need((long)ph->count + 64) == -1) {
		fdr_warnx("%s %s: %u descriptors do not fit under this process's RLIMIT_NOFILE", o->cmd,
		    c->cl.path, ph->count);
		return FDR_EXIT_FAIL;
	}
	while (got < ph->count) {
		struct proto_entry e[PROTO_MAX_FDS];
		int fds[PROTO_MAX_FDS];
		int r = frame_recv(&c->fc, &h, c->payload, fds);

		if (r != 1 || h.type != PROTO_ENTRIES || proto_entries_unpack(c->payload, h.len, h.nfds, e) == -1 ||
		    got + h.nfds > ph->count) {
			if (r == 1)
				ancil_close_fds(fds, h.nfds);
			if (r == 0)
				errno = ECONNRESET;
			else if (r == 1)
				errno = EPROTO;
			fdr_warn("%s %s: receiving descriptors", o->cmd, c->cl.path);
			return FDR_EXIT_FAIL;
		}
		got += h.nfds;
		if (each(e, fds, h.nfds, arg) == -1)
			return FDR_EXIT_FAIL;
	}
	return 0;
}

/* A JSON string (names and paths are printable, but may hold quotes and backslashes). */
static void json_put(const char *str)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)str; *p; p++)
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	putchar('"');
}

/* Prints what fetch got, as recv does. */
static int fetch_print(const struct opts *o, const char *path, struct frame_batch *b)
{
	struct describe_run r;

	if (o->json) {
		fputs("{\"holder\":", stdout);
		json_put(path);
		printf(",\"count\":%zu}\n", b->n);
	}
	else if (b->n == 0)
		printf("holder %s: nothing held\n", path);
	else
		printf("holder %s: fetched %zu descriptor%s\n", path, b->n, b->n == 1 ? "" : "s");
	describe_begin(&r, stdout, o->json);
	for (size_t i = 0; i < b->n; i++)
		if (describe_fd(&r, 0, b->fds[i], 3 + (int)i, b->names[i]) == -1)
			fdr_warn("fetch: describe %s", b->names[i]);
	describe_end(&r);
	return 0;
}

static int fetch_exec(struct opts *o)
{
	struct hconn *c = calloc(1, sizeof(*c));
	struct frame_batch b = { 0 };
	struct proto_held ph;
	int status;

	if (!c)
		return FDR_EXIT_FAIL;
	if ((status = check_socket(o)) != 0)
		goto out;
	status = FDR_EXIT_USAGE;
	if (o->json && o->program)
		fdr_warnx("fetch: --json: only without PROGRAM (a program gets the descriptors instead)");
	else if (o->stdio && !o->program)
		fdr_warnx("fetch: --stdio: only with PROGRAM");
	else
		status = 0;
	if (status)
		goto out;
	arm(c, o);
	if ((status = ask(c, o, PROTO_OP_FETCH, o->take ? PROTO_R_TAKE : 0, o->args + 1, o->nargs - 1)) != 0 ||
	    (status = receive_entries(c, o, &ph, keep_all, &b)) != 0)
		goto out;
	/*
	 * The holder removes what --take fetched only on this acknowledgement,
	 * and acts on it before anything a later client asks (cmd-hold.c).
	 */
	if (frame_send(&c->fc, PROTO_ACK, 0, c->payload, proto_ack_pack(c->payload, (uint32_t)b.n), NULL, 0) == -1) {
		fdr_warn("fetch %s", c->cl.path);
		status = FDR_EXIT_FAIL;
		goto out;
	}
	hclose(c);
	if (o->verbose)
		fdr_warnx("fetch: %s %zu descriptor%s from %s", o->take ? "took" : "fetched", b.n, b.n == 1 ? "" : "s",
		    o->args[0]);
	if (o->program) {
		struct spawn s = { .cmd = "fetch", .argv = o->program, .stdio = o->stdio, .fds = b.fds,
			.names = b.names, .n = b.n, .verbose = o->verbose };
		char room[16];

		if (ph.addr[0]) {
			snprintf(room, sizeof(room), "%u", ph.room);
			if (setenv("NOTIFY_SOCKET", ph.addr, 1) == -1 || setenv("FDSTORE", room, 1) == -1) {
				fdr_warn("fetch");
				status = FDR_EXIT_FAIL;
				goto out;
			}
		}
		status = spawn_exec(&s);
	} else {
		status = fetch_print(o, o->args[0], &b);
	}
out:
	hclose(c);
	frame_batch_free(&b);
	free(c);
	return status;
}

/* ---- drop ------------------------------------------------------------------- */

static int drop_exec(struct opts *o)
{
	struct hconn *c = calloc(1, sizeof(*c));
	struct proto_hdr h;
	uint32_t count;
	int status;

	if (!c)
		return FDR_EXIT_FAIL;
	if ((status = check_socket(o)) != 0)
		goto out;
	if (o->nargs < 2) {
		fdr_warnx("drop: no NAME given");
		status = FDR_EXIT_USAGE;
		goto out;
	}
	arm(c, o);
	if ((status = ask(c, o, PROTO_OP_DROP, 0, o->args + 1, o->nargs - 1)) != 0 ||
	    (status = expect(c, &h, PROTO_ACK, "acknowledging")) != 0)
		goto out;
	if (proto_ack_unpack(c->payload, h.len, &count) == -1) {
		fdr_warnx("drop %s: protocol error: bad acknowledgement", c->cl.path);
		status = FDR_EXIT_FAIL;
	} else if (o->verbose) {
		fdr_warnx("drop: %s dropped %u descriptor%s", c->cl.path, count, count == 1 ? "" : "s");
	}
out:
	hclose(c);
	free(c);
	return status;
}

/* ---- list ------------------------------------------------------------------- */

/* Seconds (ms precision) as text: "12.5s". */
static void secs(char *buf, size_t n, uint64_t ms)
{
	snprintf(buf, n, "%llu.%03llus", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));
}

/* One entry: its metadata, then describe's line without the descriptor number. */
static int list_one(struct describe_run *r, const struct opts *o, const struct proto_entry *e, int fd)
{
	char *text = NULL, *rest, age[32], left[32];
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int ok;

	if (!m)
		return -1;
	r->out = m;
	ok = describe_fd(r, 0, fd, -1, NULL) == 0;
	if (fclose(m) != 0 || !ok) {
		free(text);
		return -1;
	}
	secs(age, sizeof(age), e->age_ms);
	secs(left, sizeof(left), e->left_ms);
	if (o->json) {
		/* describe's object starts {"fd":N,"name":null, */
		rest = strstr(text, "\"name\":null,");
		rest = rest ? rest + strlen("\"name\":null,") : text + 1;
		fputs("{\"name\":", stdout);
		json_put(e->name);
		printf(",\"owner\":%lu,\"age\":%.3f,\"expires_in\":", (unsigned long)e->owner, e->age_ms / 1000.0);
		if (e->left_ms == PROTO_NO_EXPIRY)
			fputs("null", stdout);
		else
			printf("%.3f", e->left_ms / 1000.0);
		printf(",\"poll\":%s,%s", e->poll ? "true" : "false", rest);
	} else {
		rest = strstr(text, ": ");
		rest = rest ? rest + 2 : text;
		printf("%s owner %lu age %s expires %s%s %s: %s", e->name, (unsigned long)e->owner, age,
		    e->left_ms == PROTO_NO_EXPIRY ? "never" : "in ", e->left_ms == PROTO_NO_EXPIRY ? "" : left,
		    e->poll ? "poll" : "no-poll", rest);
	}
	free(text);
	return 0;
}

struct list_ctx {
	const struct opts *o;
	struct describe_run r;
};

/* list: describes each as it arrives, then closes it. */
static int list_frame(const struct proto_entry *e, int *fds, size_t n, void *arg)
{
	struct list_ctx *l = arg;

	for (size_t i = 0; i < n && !ferror(stdout); i++)
		if (list_one(&l->r, l->o, &e[i], fds[i]) == -1)
			fdr_warn("list: describe %s", e[i].name);
	ancil_close_fds(fds, n);
	return ferror(stdout) ? -1 : 0;
}

static int list_exec(struct opts *o)
{
	struct hconn *c = calloc(1, sizeof(*c));
	struct list_ctx l = { .o = o };
	struct proto_held ph;
	int status;

	if (!c)
		return FDR_EXIT_FAIL;
	if ((status = check_socket(o)) != 0)
		goto out;
	if (o->nargs > 1) {
		fdr_warnx("list: unexpected argument '%s'", o->args[1]);
		status = FDR_EXIT_USAGE;
		goto out;
	}
	arm(c, o);
	if ((status = ask(c, o, PROTO_OP_LIST, 0, NULL, 0)) != 0)
		goto out;
	describe_begin(&l.r, stdout, o->json);
	status = receive_entries(c, o, &ph, list_frame, &l);
	describe_end(&l.r);
out:
	hclose(c);
	free(c);
	return status;
}

/* ---- The commands --------------------------------------------------------- */

#define CLIENT_OPTIONS(verb) \
	{ "timeout", 't', POPT_ARG_STRING, NULL, OPT_TIMEOUT, "give up after SECONDS (exit 124)", "SECONDS" }, \
	{ "retry", 'R', POPT_ARG_NONE, NULL, OPT_RETRY, "retry while the holder is missing or refuses, until the timeout (default 10 s)", NULL }, \
	{ "verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE, "say what " verb ", on stderr", NULL }, \
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_policy_options, 0, "Which holders may be trusted (default: this user's and root's):", NULL }, \
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, fdr_common_options, 0, "Common options:", NULL }, \
	POPT_TABLEEND

#define OWNER_OPTION \
	{ "owner", '\0', POPT_ARG_STRING, NULL, OPT_OWNER, "root: act on this user's descriptors", "UID" }

static struct poptOption store_options[] = {
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, source_options, 0, "Descriptors to store, in command-line order (and FILE operands):", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, source_stdio_option, 0, NULL, NULL },
	{ "ttl", '\0', POPT_ARG_STRING, NULL, OPT_TTL, "drop them after SECONDS", "SECONDS" },
	{ "no-poll", '\0', POPT_ARG_NONE, NULL, OPT_NO_POLL, "keep them through hangups", NULL },
	{ "replace", '\0', POPT_ARG_NONE, NULL, OPT_REPLACE, "first drop what this user holds under the same names, in the same step", NULL },
	CLIENT_OPTIONS("is stored")
};

static struct poptOption fetch_options[] = {
	{ "take", 'x', POPT_ARG_NONE, NULL, OPT_TAKE, "remove them from the holder in the same step", NULL },
	{ "stdio", '\0', POPT_ARG_NONE, NULL, OPT_STDIO, "descriptors named stdin, stdout, stderr become the program's 0, 1, 2", NULL },
	{ "json", 'J', POPT_ARG_NONE, NULL, OPT_JSON, "without PROGRAM: one JSON object per line (JSON Lines)", NULL },
	OWNER_OPTION,
	CLIENT_OPTIONS("is fetched")
};

static struct poptOption drop_options[] = {
	OWNER_OPTION,
	CLIENT_OPTIONS("is dropped")
};

static struct poptOption list_options[] = {
	{ "json", 'J', POPT_ARG_NONE, NULL, OPT_JSON, "one JSON object per line (JSON Lines)", NULL },
	OWNER_OPTION,
	CLIENT_OPTIONS("is listed")
};

const struct cmd_entry cmd_store_entry = {
	.name = "store",
	.args = "[OPTIONS] SOCKET [FILE...]",
	.summary = "put descriptors into a holder",
	.options = store_options,
	.file_operands = 1,
	.exec = store_exec,
};

const struct cmd_entry cmd_fetch_entry = {
	.name = "fetch",
	.args = "[OPTIONS] SOCKET [NAME...] [-- PROGRAM [ARG...]]",
	.summary = "get descriptors back from a holder, or run a program on them",
	.options = fetch_options,
	.takes_program = CMD_PROGRAM_AFTER_DASHDASH,
	.exec = fetch_exec,
};

const struct cmd_entry cmd_drop_entry = {
	.name = "drop",
	.args = "[OPTIONS] SOCKET NAME...",
	.summary = "close descriptors a holder holds",
	.options = drop_options,
	.exec = drop_exec,
};

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.args = "[OPTIONS] SOCKET",
	.summary = "show what a holder holds for you",
	.options = list_options,
	.exec = list_exec,
};
