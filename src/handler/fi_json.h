/*
 * fi_json.h - JSON helpers for the face-ingest handler.
 *
 * Owns: the shortest round-trip formatting of a double (used when a
 * number's original text is not kept, see fi_record.c) and the
 * AttributeValue helpers the item model and the writers need.
 */
#ifndef FI_JSON_H
#define FI_JSON_H

#include <jansson.h>
#include <stddef.h>

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
