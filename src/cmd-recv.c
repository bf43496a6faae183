/* cmd-recv.c - placeholder */
#include "config.h"
#include "fdrelay.h"
int cmd_recv(int argc, const char **argv) { (void)argc; (void)argv; fdr_warnx("recv: not implemented"); return 1; }
