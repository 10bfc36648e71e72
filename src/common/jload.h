/*
 * jload.h - a fast path in front of json_loadb for request bodies.
 *
 * jansson's parser reads its input through a per-character callback and
 * costs ~13 us for a 500-byte PutItem body on this machine, where building
 * the same tree through the jansson API costs ~2 us; for a 25-item
 * BatchWriteItem that was a third of emu's CPU.  jload_fast() scans the
 * common subset of request bodies itself and builds the tree json_loadb
 * would build; anything outside the subset is left to jansson, which also
 * owns every error message.
 */
#ifndef EMU_JLOAD_H
#define EMU_JLOAD_H

#include <stddef.h>
#include <jansson.h>

/* The value of the JSON text buf[0..len), equal (members in the same
 * order) to what json_loadb(buf, len, JSON_REJECT_DUPLICATES |
 * JSON_ALLOW_NUL, NULL) returns, when the text is an object in the
 * subset: UTF-8 strings (valid as jansson checks it; escapes other than
 * \u; no escape in keys), integers of at most 18
 * digits, true, false, null, nesting up to 64 levels, no duplicate keys.
 * NULL otherwise (valid or not: parse it with json_loadb then) or when out
 * of memory.  Caller owns the reference. */
json_t *jload_fast(const char *buf, size_t len);

/* Text emu wrote itself (stored items): jload_fast, else json_loadb with
 * no flags, as before; NULL when it is not JSON.  Caller owns it. */
json_t *jload_stored(const char *buf, size_t len);

#endif
