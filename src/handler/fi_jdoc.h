/*
 * fi_jdoc.h - a one-pass JSON parser for the handler's hot path: the event
 * and every decoded record are read with it instead of json_loadb.
 *
 * Owns: parsing a JSON text in place into a flat array of nodes (no value
 * objects, one allocation reused across documents), member lookup, and a
 * number's original token.  It accepts exactly what json_loadb(text, len,
 * flags) accepts for flags 0 and JSON_REJECT_DUPLICATES (jansson 2.14 load.c:
 * object or array at the top, strict number grammar with int64 and double
 * overflow errors, strict UTF-8, escapes and surrogate pairs, no \u0000,
 * depth 2048), so callers can keep jansson's error text by asking it only
 * when this parser says no.
 *
 * Node i's subtree is nodes i .. next-1: a container's children follow it
 * (objects as key, value, key, value ...), so index 0 is the root and is
 * never a member's value; 0 therefore means "absent" in lookups.
 */
#ifndef FI_JDOC_H
#define FI_JDOC_H

#include <stddef.h>
#include <stdint.h>

enum { FI_J_OBJ = 1, FI_J_ARR, FI_J_STR, FI_J_INT, FI_J_REAL, FI_J_TRUE, FI_J_FALSE, FI_J_NULL };

typedef struct fi_jnode {
    uint32_t pos;    /* STR: first byte of the decoded value; others: first byte of the token */
    uint32_t len;    /* STR: decoded length; numbers: token length; OBJ/ARR: members/elements */
    uint32_t next;   /* index of the first node after this subtree */
    uint16_t height; /* 1 + the children's largest height; 0 for scalars and empty containers */
    uint8_t type;
    uint8_t esc;     /* STR: the text spelled it with escapes */
} fi_jnode;

typedef struct fi_jdoc {
    char *text;      /* borrowed: the parsed text, strings decoded in place */
    fi_jnode *n;     /* owned; kept across fi_jdoc_parse calls */
    size_t count, cap;
} fi_jdoc;

/*
 * Parse text[0..len) in place.  On 0 every string node's value is
 * NUL-terminated inside text (the text is no longer JSON); on -1 (not JSON
 * to jansson, or out of memory) text may be partly rewritten too, so callers
 * wanting jansson's message must give it a pristine copy.  text borrowed,
 * must outlive the lookups; reject_dups: JSON_REJECT_DUPLICATES.
 */
int fi_jdoc_parse(fi_jdoc *d, char *text, size_t len, int reject_dups);
void fi_jdoc_free(fi_jdoc *d);

/*
 * The value node of member `key` of object node obj (the last one, as
 * jansson keeps the last of duplicate keys), or 0 when obj is not an object
 * or has no such member.  *plain (may be NULL) says whether a raw-spelling
 * scan would reach it: its key written without escapes and no earlier
 * member's value nested 513 or more deep (fi_json.c's historical scanner,
 * whose limits decide when a number's text is kept).
 */
size_t fi_jdoc_get(const fi_jdoc *d, size_t obj, const char *key, int *plain);

/* The NUL-terminated value of string node i, or NULL when i is not a string. */
const char *fi_jdoc_str(const fi_jdoc *d, size_t i);

/* The value json_number_value() gives number node i (0.0 for non-numbers). */
double fi_jdoc_number(const fi_jdoc *d, size_t i);

static inline int fi_jdoc_is(const fi_jdoc *d, size_t i, int type)
{
    return i != 0 && d->n[i].type == type;
}

static inline int fi_jdoc_is_number(const fi_jdoc *d, size_t i)
{
    return i != 0 && (d->n[i].type == FI_J_INT || d->n[i].type == FI_J_REAL);
}

#endif
