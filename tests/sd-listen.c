/* sd-listen.c - a libsystemd client: reports what sd_listen_fds_with_names(3) finds. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

/*
 * Usage: sd-listen
 *
 * Calls sd_listen_fds_with_names(1, &names) as a socket-activated daemon
 * would and prints, on stdout:
 *
 *   count N
 *   fd NUM name NAME id DEV:INO kind KIND
 *   env unset
 *   others LIST
 *
 * one "fd" line per descriptor, DEV and INO in decimal (as stat -c %d:%i
 * prints them), KIND "file", "dir", "fifo", "chr", "socket-unix-stream"
 * (or -seqpacket, -dgram; socket-inet-... and socket-inet6-... likewise)
 * with "-listening" for a listening socket, or "other".  "others" lists the descriptors above 2 that are open but not
 * passed ("-" when none).  Exits 1, after a message on stderr, when
 * libsystemd reports an error, a passed descriptor was close-on-exec at
 * exec (so it could not have been inherited) or is not open, or LISTEN_*
 * survived the call that was told to unset them.
 */

static int failed;

static void fail(const char *what)
{
	fprintf(stderr, "sd-listen: %s\n", what);
	failed = 1;
}

static const char *socket_kind(int fd)
{
	static const struct { int type; const char *name; } types[] = {
		{ SOCK_STREAM, "stream" }, { SOCK_SEQPACKET, "seqpacket" }, { SOCK_DGRAM, "dgram" },
	};
	static char buf[64];

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (sd_is_socket_unix(fd, types[i].type, -1, NULL, 0) <= 0)
			continue;
		snprintf(buf, sizeof(buf), "socket-unix-%s%s", types[i].name,
		    sd_is_socket(fd, AF_UNIX, types[i].type, 1) > 0 ? "-listening" : "");
		return buf;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		for (int f = 0; f < 2; f++) {
			int family = f ? AF_INET6 : AF_INET;

			if (sd_is_socket_inet(fd, family, types[i].type, -1, 0) <= 0)
				continue;
			snprintf(buf, sizeof(buf), "socket-%s-%s%s", f ? "inet6" : "inet", types[i].name,
			    sd_is_socket(fd, family, types[i].type, 1) > 0 ? "-listening" : "");
			return buf;
		}
	return sd_is_socket(fd, AF_UNSPEC, 0, -1) > 0 ? "socket-other" : "other";
}

static const char *kind(int fd, const struct stat *st)
{
	if (sd_is_fifo(fd, NULL) > 0)
		return "fifo";
	if (S_ISSOCK(st->st_mode))
		return socket_kind(fd);
	if (S_ISREG(st->st_mode))
		return "file";
	if (S_ISDIR(st->st_mode))
		return "dir";
	if (S_ISCHR(st->st_mode))
		return "chr";
	return "other";
}

/* Prints the open descriptors above 2 outside [first, first + n). */
static void print_others(int first, int n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int printed = 0;

	if (!d) {
		fail("cannot list /proc/self/fd");
		return;
	}
	printf("others");
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end || e->d_name[0] == '.' || fd < 3 || fd == dirfd(d) ||
		    (fd >= first && fd < first + n))
			continue;
		printf(" %ld", fd);
		printed = 1;
	}
	closedir(d);
	printf("%s\n", printed ? "" : " -");
}

int main(void)
{
	char **names = NULL;
	int cloexec[64] = { 0 };
	int n;

	/* Before libsystemd marks them close-on-exec: were they inherited? */
	for (int i = 0; i < 64; i++)
		cloexec[i] = fcntl(SD_LISTEN_FDS_START + i, F_GETFD);

	n = sd_listen_fds_with_names(1, &names);
	if (n < 0) {
		errno = -n;
		fprintf(stderr, "sd-listen: sd_listen_fds_with_names: %s\n", strerror(errno));
		return 1;
	}
	printf("count %d\n", n);
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		struct stat st;

		if (fstat(fd, &st) == -1) {
			printf("fd %d name %s id - kind closed\n", fd, names ? names[i] : "-");
			fail("a passed descriptor is not open");
			continue;
		}
		printf("fd %d name %s id %lu:%lu kind %s\n", fd, names ? names[i] : "-",
		    (unsigned long)st.st_dev, (unsigned long)st.st_ino, kind(fd, &st));
		if (i < 64 && cloexec[i] != -1 && (cloexec[i] & FD_CLOEXEC))
			fail("a passed descriptor was close-on-exec when the program started");
	}
	if (getenv("LISTEN_FDS") || getenv("LISTEN_PID") || getenv("LISTEN_FDNAMES")) {
		printf("env set\n");
		fail("LISTEN_* still set after sd_listen_fds_with_names(1, ...)");
	} else {
		printf("env unset\n");
	}
	print_others(SD_LISTEN_FDS_START, n);
	if (names)
		for (int i = 0; i < n; i++)
			free(names[i]);
	free(names);
	fflush(stdout);
	return failed || ferror(stdout);
}
