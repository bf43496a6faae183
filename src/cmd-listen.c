/* cmd-listen.c - placeholder */
#include "config.h"
#include "fdrelay.h"
int cmd_listen(int argc, const char **argv) { (void)argc; (void)argv; fdr_warnx("listen: not implemented"); return 1; }
