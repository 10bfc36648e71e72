/*
 * jtext.h - compact JSON text of a jansson value (the text of
 * json_dumps(v, JSON_COMPACT), faster; see jtext.c), and the growing text
 * buffer it writes into, for callers that write JSON text themselves (the
 * handler's request bodies).
 */
#ifndef EMU_JTEXT_H
#define EMU_JTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* The text of v, NUL-terminated, its length in *len (may be NULL); NULL
 * when out of memory.  Caller frees. */
char *jtext_dump(const json_t *v, size_t *len);
/* The JSON string literal of the UTF-8 text s[0..n), quotes included, as
 * jtext_dump would write it; same contract. */
char *jtext_quote(const char *s, size_t n, size_t *len);

/* A growing text buffer; zero-initialise it ({0}).  After a failed
 * allocation it stays failed, appends do nothing and jtext_finish()
 * returns NULL, so callers check once at the end. */
typedef struct jtext_buf {
    char *p;           /* owned */
    size_t len, cap;
    bool failed;
} jtext_buf;

void jtext_put(jtext_buf *b, const char *s, size_t n);
void jtext_puts(jtext_buf *b, const char *s);
/* The JSON string literal of the UTF-8 text s[0..n), quotes included,
 * escaped as json_dumps escapes it ('"', '\\', the controls; \u00XX in
 * upper case); UTF-8 passes through.  Callers pass valid UTF-8. */
void jtext_put_string(jtext_buf *b, const char *s, size_t n);
/* Make room for n more bytes at once: one allocation where appends would
 * double the buffer several times (large texts whose size is known). */
void jtext_grow(jtext_buf *b, size_t n);
/* The base64 encoding of data[0..len), written in place (it needs no
 * escaping): no intermediate string for record data. */
void jtext_put_base64(jtext_buf *b, const unsigned char *data, size_t len);
/* Decimal text of v. */
void jtext_put_uint(jtext_buf *b, size_t v);
/* The decimal digits of v into out (room for JTEXT_UINT_MAX; no NUL);
 * returns their count.  For text that is not a jtext_buf (headers, ids). */
#define JTEXT_UINT_MAX 20
size_t jtext_uint(char *out, uint64_t v);
/* Milliseconds as decimal seconds, exact, without formatting a double.
 * trim: the fraction without its trailing zeros but at least one digit
 * ("12.5", "12.0"), as jansson printed ms / 1000.0; else three digits, or
 * none when whole ("12.500", "12"). */
void jtext_put_ms(jtext_buf *b, int64_t ms, bool trim);
/* The NUL-terminated text (caller frees), its length in *len (may be
 * NULL); NULL when an allocation failed.  b is empty afterwards. */
char *jtext_finish(jtext_buf *b, size_t *len);
/* Drop the text (error paths). */
void jtext_free(jtext_buf *b);

#endif
