/*
 * av.h - the AttributeValue codec, used by every DynamoDB action.
 *
 * Items are jansson objects in DynamoDB's wire form:
 *   {"name": {"S": "x"}, "n": {"N": "1.5"}, "l": {"L": [...]}, ...}
 * This module validates them (exactly one type descriptor, the right JSON
 * types, non-empty duplicate-free sets, valid numbers and base64), normalises
 * numbers in place, computes DynamoDB's item size, compares values, and
 * encodes key attributes into bytes whose memcmp order is DynamoDB's order.
 * All functions borrow their arguments unless stated otherwise.
 */
#ifndef EMU_AV_H
#define EMU_AV_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "../common/err.h"

#define AV_ITEM_MAX_BYTES (400 * 1024)

typedef enum {
    AV_INVALID = 0, AV_S, AV_N, AV_B, AV_BOOL, AV_NULL, AV_L, AV_M, AV_SS, AV_NS, AV_BS
} av_type_t;

/* Type of a (validated) AttributeValue; AV_INVALID when malformed. */
av_type_t av_type(const json_t *av);
/* "S", "N", ... for a type. */
const char *av_type_name(av_type_t t);
/* Parse "S", "N", ...; AV_INVALID when unknown. */
av_type_t av_type_parse(const char *name);

/* Validate one AttributeValue and normalise it in place (numbers become
 * canonical, sets keep their order, unknown members and JSON nulls are
 * dropped, "true"/"yes"/"1" strings in BOOL/NULL become booleans).  Errors
 * use DynamoDB's messages, e.g. "Supplied AttributeValue is empty, must
 * contain exactly one of the supported datatypes", "One or more parameter
 * values were invalid: An number set  may not be empty", "Input collection
 * [...] contains duplicates.".  JSON of the wrong kind ({"S": 1}, bad
 * base64) fails with ERR_DDB_SERIALIZATION, as DynamoDB's deserialiser
 * does; everything else with ERR_DDB_VALIDATION.  Empty S and B values
 * are valid here (key attributes are checked by the caller). */
int av_validate(json_t *av, err_t *err);

/* Validate every attribute of an item (an object of AttributeValues). */
int av_validate_item(json_t *item, err_t *err);

/* DynamoDB's size of an item in bytes: attribute name lengths plus value
 * sizes (strings by UTF-8 length, numbers by digits, containers +3 and
 * +1 per element, ...). */
size_t av_item_size(const json_t *item);
size_t av_value_size(const json_t *av);

/* Deep equality in DynamoDB's sense (numbers compare numerically, sets
 * compare as sets). */
bool av_equal(const json_t *a, const json_t *b);

/* Order of two scalars of the same type S, N or B: strings by UTF-8 bytes,
 * numbers numerically, binaries bytewise.  Returns 0 and sets *cmp, or -1
 * when the types differ or are not comparable. */
int av_compare(const json_t *a, const json_t *b, int *cmp);

/* Encode a key attribute (S, N or B) into malloc'd bytes, caller frees;
 * memcmp order of encodings == DynamoDB order for values of one type. */
int av_key_encode(const json_t *av, unsigned char **out, size_t *len, err_t *err);

/* Binary values: decode the base64 of a B attribute (caller frees). */
int av_binary_decode(const json_t *b_string, unsigned char **out, size_t *len);

#endif
