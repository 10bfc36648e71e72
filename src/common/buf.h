/*
 * buf.h - appending to a growable, NUL-terminated byte buffer: HTTP bodies
 * collected by libmicrohttpd (emu) and by libcurl write callbacks (handler,
 * generator, event client).
 */
#ifndef EMU_BUF_H
#define EMU_BUF_H

#include <stddef.h>

/* Append n bytes to *buf (length *len, capacity *cap), keeping a NUL after
 * them; the buffer doubles as needed.  Fails (-1, buffer unchanged) when
 * the result would exceed max bytes or memory runs out; 0 otherwise.
 * *buf is owned by the caller (free()). */
int buf_append(char **buf, size_t *len, size_t *cap, size_t max, const void *data, size_t n);

#endif
