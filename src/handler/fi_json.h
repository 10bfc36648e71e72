/*
 * fi_json.h - JSON helpers for the face-ingest handler.
 *
 * Owns: finding a number's original text inside a JSON document (jansson
 * turns 97.84118 into a double and cannot give the text back), the
 * shortest round-trip formatting used when the text cannot be found, and
 * the two AttributeValue builders the item model needs.
 */
#ifndef FI_JSON_H
#define FI_JSON_H

#include <jansson.h>
#include <stddef.h>

/* One step of a path: an object key, or (key == NULL) an array index. */
typedef struct fi_step {
    const char *key;
    size_t index;
} fi_step;

#define FI_KEY(k) ((fi_step){(k), 0})
#define FI_IDX(i) ((fi_step){NULL, (i)})

/*
 * Find the value at path in the JSON text doc[0..len) and, when it is a
 * number, return its exact token in *tok / *toklen (pointing into doc).
 * Keys are compared with their raw (unescaped) spelling; the first member
 * with that name wins (documents are parsed with JSON_REJECT_DUPLICATES).
 * Returns 0 when found, -1 otherwise (missing, not a number, malformed).
 * Borrows everything; never reads outside doc[0..len).
 */
int fi_json_number_text(const char *doc, size_t len, const fi_step *path, size_t npath,
                        const char **tok, size_t *toklen);

/*
 * Shortest "%.*g" text that reads back as the same double, into
 * buf[0..cap) (cap >= 32).  Integers print without exponent when exact.
 */
void fi_json_format_number(double v, char *buf, size_t cap);

/* {"S": s} and {"N": text}; new references, NULL on allocation failure. */
json_t *fi_av_s(const char *s);
json_t *fi_av_n(const char *text);
json_t *fi_av_nn(const char *text, size_t len);

/* The string inside {"S": ...} / {"N": ...} of item[name], or NULL. */
const char *fi_av_get_s(const json_t *item, const char *name);
const char *fi_av_get_n(const json_t *item, const char *name);

#endif
