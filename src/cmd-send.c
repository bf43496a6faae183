/* cmd-send.c - placeholder */
#include "config.h"
#include "fdrelay.h"
int cmd_send(int argc, const char **argv) { (void)argc; (void)argv; fdr_warnx("send: not implemented"); return 1; }
