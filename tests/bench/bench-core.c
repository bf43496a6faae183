/* bench-core.c - round trips of K descriptors: the core, the framing, and a bare sendmsg floor. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "ancil.h"
#include "frame.h"
#include "proto.h"

/*
 * One round trip: the sender sends the same K open descriptors (with one
 * byte, or as one OFFER frame naming them), the receiver receives them,
 * closes them and answers with one byte (or an ACK frame), which the
 * sender reads.  Four ways of doing it:
 *   floor  a bare sendmsg/recvmsg loop written here, the least any
 *          implementation must pay;
 *   ancil  ancil_chan_send / ancil_chan_recv (src/ancil.h) both ways: the
 *          core's calls for a caller that checked its socket once;
 *   check  ancil_send / ancil_recv both ways, which check the socket (one
 *          getsockopt) on every call;
 *   frame  frame_send / frame_recv (src/frame.h): OFFER with K names,
 *          ACK with the count back, names packed and unpacked each time.
 *
 * The receiver is a child process by default (BENCH_MODE=thread for a
 * thread): fdrelay moves descriptors between processes, and a thread would
 * share the sender's descriptor table, which makes every descriptor lookup
 * take the shared-table (atomic reference count) path in both sides.
 *
 * Usage: bench-core [ITERATIONS]   (or BENCH_ITERS; default 2000)
 * Environment: BENCH_REPS (default 5; the median is reported),
 *   BENCH_MODE=fork|thread, BENCH_ONLY=floor|ancil|check|frame (one method),
 *   BENCH_K=N (one descriptor count), BENCH_CPU=pin|nopin (default pin:
 *   sender and receiver on the same CPU, which is the least noisy here).
 * Every run is bounded by alarm(2).
 */

enum method { M_FLOOR, M_ANCIL, M_CHECK, M_FRAME, M_COUNT };

static const char *const method_name[M_COUNT] = { "floor", "ancil", "check", "frame" };

#define MAXK ANCIL_MAX_FDS

static int ks[] = { 1, 16, 253 };
#define NK (sizeof(ks) / sizeof(ks[0]))

static int fds[MAXK];			/* the K descriptors sent every time */
static char namestore[MAXK][8];
static const char *names[MAXK];

static void die(const char *what)
{
	fprintf(stderr, "bench-core: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- floor: plain sendmsg / recvmsg ------------------------------------- */

static union {
	struct cmsghdr align;
	unsigned char bytes[CMSG_SPACE(sizeof(int) * MAXK)];
} floor_tx;

/* Prepares the control message once, as a tight hand-written loop would. */
static size_t floor_prepare(int k)
{
	struct cmsghdr *c = (struct cmsghdr *)floor_tx.bytes;

	memset(&floor_tx, 0, sizeof(floor_tx));
	c->cmsg_len = CMSG_LEN(sizeof(int) * k);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(c), fds, sizeof(int) * k);
	return CMSG_SPACE(sizeof(int) * k);
}

static int floor_send(int s, size_t clen)
{
	char byte = 'x';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = floor_tx.bytes, .msg_controllen = clen };

	return sendmsg(s, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static int floor_recv_close(int s)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_SPACE(sizeof(int) * MAXK)];
	} cb;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cb.bytes, .msg_controllen = sizeof(cb.bytes) };
	struct cmsghdr *c;

	if (recvmsg(s, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int *p = (int *)CMSG_DATA(c);

		for (int i = 0; i < n; i++)
			close(p[i]);
	}
	return 0;
}

/* ---- the receiving side ------------------------------------------------- */

struct job {
	enum method m;
	int k;
	long total;		/* round trips, warm-up included */
	int sock;
	struct ancil_chan ch;	/* sock, checked once */
};

/* Serves job->total round trips; returns 0, or -1 on the first failure. */
static int serve(const struct job *j)
{
	for (long it = 0; it < j->total; it++) {
		switch (j->m) {
		case M_FLOOR: {
			char byte = 'y';

			if (floor_recv_close(j->sock) == -1)
				return -1;
			if (send(j->sock, &byte, 1, MSG_NOSIGNAL) != 1)
				return -1;
			break;
		}
		case M_ANCIL: {
			int got[MAXK];
			struct ancil_rx rx = { .fds = got, .maxfds = MAXK };
			char byte;

			if (ancil_chan_recv(&j->ch, &byte, 1, &rx, 0) != 1 || rx.nfds != (size_t)j->k)
				return -1;
			ancil_close_fds(got, rx.nfds);
			if (ancil_chan_send(&j->ch, "y", 1, NULL, 0, NULL) != 1)
				return -1;
			break;
		}
		case M_CHECK: {
			int got[MAXK];
			struct ancil_rx rx = { .fds = got, .maxfds = MAXK };
			char byte;

			if (ancil_recv(j->sock, &byte, 1, &rx, 0) != 1 || rx.nfds != (size_t)j->k)
				return -1;
			ancil_close_fds(got, rx.nfds);
			if (ancil_send(j->sock, "y", 1, NULL, 0, NULL) != 1)
				return -1;
			break;
		}
		case M_FRAME: {
			static unsigned char payload[PROTO_MAX_PAYLOAD];
			char store[MAXK * 8 + MAXK];
			char *got_names[MAXK];
			int got[PROTO_MAX_FDS];
			unsigned char ack[4];
			struct frame_conn c = { .sock = j->sock, .type = SOCK_STREAM };
			struct proto_hdr h;

			if (frame_recv(&c, &h, payload, got) != 1)
				return -1;
			if (h.type != PROTO_OFFER || h.nfds != j->k)
				return -1;
			if (proto_names_unpack(payload, h.len, h.nfds, store, sizeof(store),
			    got_names) == -1)
				return -1;
			ancil_close_fds(got, h.nfds);
			if (frame_send(&c, PROTO_ACK, 0, ack, proto_ack_pack(ack, h.nfds), NULL, 0) == -1)
				return -1;
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

static void *serve_thread(void *arg)
{
	return (void *)(long)serve(arg);
}

/* ---- the sending side --------------------------------------------------- */

/* One round trip from the sender's side; ch is s, checked once. */
static int round_trip(enum method m, int s, const struct ancil_chan *ch, int k, size_t clen)
{
	switch (m) {
	case M_FLOOR: {
		char byte;

		if (floor_send(s, clen) == -1)
			return -1;
		return recv(s, &byte, 1, 0) == 1 ? 0 : -1;
	}
	case M_ANCIL: {
		struct ancil_rx rx = { .fds = NULL, .maxfds = 0 };
		char byte;

		if (ancil_chan_send(ch, "x", 1, fds, k, NULL) != 1)
			return -1;
		return ancil_chan_recv(ch, &byte, 1, &rx, 0) == 1 ? 0 : -1;
	}
	case M_CHECK: {
		struct ancil_rx rx = { .fds = NULL, .maxfds = 0 };
		char byte;

		if (ancil_send(s, "x", 1, fds, k, NULL) != 1)
			return -1;
		return ancil_recv(s, &byte, 1, &rx, 0) == 1 ? 0 : -1;
	}
	case M_FRAME: {
		unsigned char payload[PROTO_MAX_PAYLOAD > 4096 ? 4096 : PROTO_MAX_PAYLOAD];
		static unsigned char reply[PROTO_MAX_PAYLOAD];
		int rfds[PROTO_MAX_FDS];
		struct frame_conn c = { .sock = s, .type = SOCK_STREAM };
		struct proto_hdr h;
		ssize_t len;
		uint32_t count;

		if ((len = proto_names_pack(payload, sizeof(payload), names, k)) == -1)
			return -1;
		if (frame_send(&c, PROTO_OFFER, 0, payload, len, fds, k) == -1)
			return -1;
		if (frame_recv(&c, &h, reply, rfds) != 1 || h.type != PROTO_ACK)
			return -1;
		if (proto_ack_unpack(reply, h.len, &count) == -1 || count != (uint32_t)k)
			return -1;
		return 0;
	}
	default:
		return -1;
	}
}

static int use_thread, pin = 1;

static void pin_cpu(void)
{
	cpu_set_t set;

	if (!pin)
		return;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

/* Nanoseconds for iters round trips of method m with k descriptors. */
static long long measure(enum method m, int k, long iters)
{
	int sv[2];
	long warm = iters / 10 + 10;
	struct job j = { .m = m, .k = k, .total = warm + iters };
	size_t clen = floor_prepare(k);
	struct ancil_chan ch;
	pthread_t th;
	pid_t pid = -1;
	long long t0, t1;
	int status;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		die("socketpair");
	j.sock = sv[1];
	if (ancil_chan_init(&ch, sv[0]) == -1 || ancil_chan_init(&j.ch, sv[1]) == -1)
		die("ancil_chan_init");
	if (use_thread) {
		if ((errno = pthread_create(&th, NULL, serve_thread, &j)))
			die("pthread_create");
	} else {
		if ((pid = fork()) == -1)
			die("fork");
		if (pid == 0) {
			close(sv[0]);
			for (int i = 0; i < k; i++)
				close(fds[i]);	/* the receiver holds only what arrives */
			_exit(serve(&j) == 0 ? 0 : 1);
		}
		close(sv[1]);
	}
	for (long i = 0; i < warm; i++)
		if (round_trip(m, sv[0], &ch, k, clen) == -1)
			die(method_name[m]);
	t0 = now_ns();
	for (long i = 0; i < iters; i++)
		if (round_trip(m, sv[0], &ch, k, clen) == -1)
			die(method_name[m]);
	t1 = now_ns();
	if (use_thread) {
		void *rv;

		pthread_join(th, &rv);
		close(sv[1]);
		if (rv) {
			fprintf(stderr, "bench-core: %s receiver failed\n", method_name[m]);
			exit(1);
		}
	} else {
		if (waitpid(pid, &status, 0) == -1)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "bench-core: %s receiver failed\n", method_name[m]);
			exit(1);
		}
	}
	close(sv[0]);
	return t1 - t0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

#define MAXREPS 51

int main(int argc, char **argv)
{
	long iters = env_long("BENCH_ITERS", 2000);
	long reps = env_long("BENCH_REPS", 5);
	const char *only = getenv("BENCH_ONLY"), *mode = getenv("BENCH_MODE");
	const char *cpu = getenv("BENCH_CPU");
	long onlyk = env_long("BENCH_K", 0);
	static long long t[M_COUNT][NK][MAXREPS];
	double med[M_COUNT][NK];

	if (argc > 1)
		iters = strtol(argv[1], NULL, 10);
	if (iters < 1 || reps < 1 || reps > MAXREPS) {
		fprintf(stderr, "usage: bench-core [ITERATIONS] (BENCH_REPS 1..%d)\n", MAXREPS);
		return 2;
	}
	if (only && !*only)
		only = NULL;
	use_thread = mode && !strcmp(mode, "thread");
	pin = !(cpu && !strcmp(cpu, "nopin"));
	pin_cpu();
	alarm(300);	/* never hang, whatever the receiver does */
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < MAXK; i++) {
		if ((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
			die("open /dev/null");
		snprintf(namestore[i], sizeof(namestore[i]), "fd%d", i);
		names[i] = namestore[i];
	}
	/* Interleave methods and sizes so that drift hits them all alike. */
	for (long r = 0; r < reps; r++)
		for (size_t ki = 0; ki < NK; ki++) {
			if (onlyk && ks[ki] != onlyk)
				continue;
			for (int m = 0; m < M_COUNT; m++) {
				if (only && strcmp(only, method_name[m]))
					continue;
				t[m][ki][r] = measure(m, ks[ki], iters);
			}
		}
	printf("# bench-core: %ld round trips x %ld runs (median), receiver: %s, %s\n",
	    iters, reps, use_thread ? "thread" : "child process",
	    pin ? "both on CPU 0" : "unpinned");
	printf("%-6s %4s %10s %9s %8s\n", "method", "K", "ns/msg", "ns/fd", "x floor");
	for (size_t ki = 0; ki < NK; ki++) {
		if (onlyk && ks[ki] != onlyk)
			continue;
		for (int m = 0; m < M_COUNT; m++) {
			if (only && strcmp(only, method_name[m]))
				continue;
			qsort(t[m][ki], reps, sizeof(long long), cmp_ll);
			med[m][ki] = (double)t[m][ki][reps / 2] / iters;
			printf("%-6s %4d %10.0f %9.1f", method_name[m], ks[ki], med[m][ki],
			    med[m][ki] / ks[ki]);
			if (!only)
				printf(" %8.2f", med[m][ki] / med[M_FLOOR][ki]);
			printf("\n");
		}
	}
	return 0;
}
