/* cmd-recv.c - fdrelay recv: receive like listen, but describe what arrived. */
#include "config.h"

#include "fdrelay.h"

int cmd_recv(int argc, const char **argv)
{
	return listen_main(argc, argv, 1);
}
