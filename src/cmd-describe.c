/* cmd-describe.c - placeholder */
#include "config.h"
#include "fdrelay.h"
int cmd_describe(int argc, const char **argv) { (void)argc; (void)argv; fdr_warnx("describe: not implemented"); return 1; }
int describe_fd(FILE *out, pid_t pid, int fd, const char *name, int json) { (void)out; (void)pid; (void)fd; (void)name; (void)json; return -1; }
