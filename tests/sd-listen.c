/* sd-listen.c - placeholder */ int main(void) { return 0; }
