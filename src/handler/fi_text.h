/*
 * fi_text.h - a growing text buffer and the JSON string literal, for
 * request bodies written as text (fi_record.c, fi_write.c).
 *
 * fi_text_quote() writes exactly what json_dumps(JSON_COMPACT) writes for a
 * string (escapes '"', '\\' and the control bytes, \u00XX upper-case; UTF-8
 * passes through), so a body written here equals the one jansson would
 * build from the same values.  Callers pass valid UTF-8.
 *
 * After a failed allocation the buffer stays failed and fi_text_finish()
 * returns NULL; callers check once at the end.
 */
#ifndef FI_TEXT_H
#define FI_TEXT_H

#include <stddef.h>

typedef struct fi_text {
    char *p;           /* owned */
    size_t len, cap;
    int failed;
} fi_text;

void fi_text_put(fi_text *t, const char *s, size_t n);
void fi_text_puts(fi_text *t, const char *s);
void fi_text_quote(fi_text *t, const char *s, size_t n);
/* Decimal text of v. */
void fi_text_uint(fi_text *t, size_t v);

/* The NUL-terminated text (caller frees) and its length in *len (may be
 * NULL); NULL when an allocation failed.  t is empty afterwards. */
char *fi_text_finish(fi_text *t, size_t *len);
/* Drop the text (for error paths). */
void fi_text_free(fi_text *t);

#endif
