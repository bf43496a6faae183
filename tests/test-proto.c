/* test-proto.c - placeholder */
#include "tap.h"
int main(void) { skip("not written yet", "proto"); return done_testing(); }
