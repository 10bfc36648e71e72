/*
 * jtext.h - compact JSON text of a jansson value (the text of
 * json_dumps(v, JSON_COMPACT), faster; see jtext.c).
 */
#ifndef EMU_JTEXT_H
#define EMU_JTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* The text of v, NUL-terminated, its length in *len (may be NULL); NULL
 * when out of memory.  Caller frees. */
char *jtext_dump(const json_t *v, size_t *len);
/* The JSON string literal of the UTF-8 text s[0..n), quotes included, as
 * jtext_dump would write it; same contract. */
char *jtext_quote(const char *s, size_t n, size_t *len);

#endif
