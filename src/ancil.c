/* ancil.c - placeholder until the real implementation lands. */
#include "config.h"
