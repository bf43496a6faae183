/* frame.c - placeholder */
