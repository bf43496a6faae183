/* frame.h - fdrelay frames over a connected socket (placeholder) */
