/* test-ancil.c - placeholder */
#include "tap.h"
int main(void) { skip("not written yet", "ancil"); return done_testing(); }
