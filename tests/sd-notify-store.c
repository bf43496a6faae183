/* sd-notify-store.c - a libsystemd client: stores descriptors with sd_pid_notify_with_fds(3). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

/*
 * Usage: sd-notify-store [--no-poll] NAME [FILE | --socket | --pipe]...
 *        sd-notify-store --remove NAME
 *
 * Opens each FILE read-only, makes a TCP socket listening on 127.0.0.1:0
 * for each --socket (printing "port N" on stdout), or a pipe for each
 * --pipe (passing its read end, its write end closed before sending), then
 * sends them all in one message to $NOTIFY_SOCKET with
 * sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=NAME", ...), with
 * "\nFDPOLL=0" added under --no-poll.  --remove sends
 * "FDSTOREREMOVE=1\nFDNAME=NAME" instead.  Exits 0 when libsystemd reports
 * the message sent (a positive return), 1 after a message on stderr
 * otherwise (0 too: NOTIFY_SOCKET unset), 2 for a usage error.
 */

#define MAX_FDS 64

static int tcp_listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s == -1 || bind(s, (struct sockaddr *)&a, sizeof(a)) == -1 || listen(s, 4) == -1 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) == -1)
		return -1;
	printf("port %d\n", ntohs(a.sin_port));
	return s;
}

static int pipe_read_end(void)
{
	int p[2];

	if (pipe(p) == -1)
		return -1;
	close(p[1]);
	return p[0];
}

int main(int argc, char **argv)
{
	char msg[512];
	int fds[MAX_FDS];
	int n = 0, nopoll = 0, r;
	int i = 1;

	if (i < argc && !strcmp(argv[i], "--no-poll")) {
		nopoll = 1;
		i++;
	}
	if (i + 2 == argc && !strcmp(argv[i], "--remove")) {
		snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", argv[i + 1]);
	} else if (i < argc && argc - i - 1 <= MAX_FDS && argv[i][0] != '-') {
		snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s%s", argv[i], nopoll ? "\nFDPOLL=0" : "");
		for (i++; i < argc; i++) {
			fds[n] = !strcmp(argv[i], "--socket") ? tcp_listener() :
			    !strcmp(argv[i], "--pipe") ? pipe_read_end() : open(argv[i], O_RDONLY | O_CLOEXEC);
			if (fds[n++] == -1) {
				fprintf(stderr, "sd-notify-store: %s: %s\n", argv[i], strerror(errno));
				return 1;
			}
		}
	} else {
		fprintf(stderr, "usage: sd-notify-store [--no-poll] NAME [FILE | --socket | --pipe]...\n"
		    "       sd-notify-store --remove NAME\n");
		return 2;
	}
	fflush(stdout);
	r = sd_pid_notify_with_fds(0, 0, msg, fds, (unsigned)n);
	if (r <= 0) {
		fprintf(stderr, "sd-notify-store: sd_pid_notify_with_fds: %s\n",
		    r == 0 ? "NOTIFY_SOCKET is not set" : strerror(-r));
		return 1;
	}
	return 0;
}
