/*
 * num.h - DynamoDB numbers: exact decimals with up to 38 significant digits.
 *
 * Numbers travel as strings; they are parsed into num_t, normalised the way
 * DynamoDB returns them ("1E+2" -> "100", "0.10" -> "0.1", "-0" -> "0"),
 * compared and added exactly (never through double), and encoded into
 * bytes whose memcmp order is numeric order (for sort keys in SQLite).
 * Range: magnitude 1E-130 .. 9.99..9E+125, as DynamoDB documents.
 */
#ifndef EMU_NUM_H
#define EMU_NUM_H

#include <stddef.h>
#include "../common/err.h"

#define NUM_MAX_DIGITS 38
#define NUM_STR_MAX 200      /* longest formatted number incl. NUL */
#define NUM_KEY_MAX 24       /* longest key encoding */

typedef struct num {
    int sign;                        /* -1, 0 (zero), +1 */
    int exp;                         /* value = 0.d1d2..dn * 10^exp */
    int ndigits;                     /* 0 for zero, else 1..38, no trailing zeros */
    unsigned char digits[NUM_MAX_DIGITS]; /* 0..9 each, digits[0] != 0 */
} num_t;

/* Parse a DynamoDB number string. Fails with ERR_DDB_VALIDATION and
 * DynamoDB's wording for syntax errors, > 38 significant digits, overflow
 * and underflow. */
int num_parse(const char *s, num_t *out, err_t *err);

/* Canonical text, as DynamoDB returns it; buf must hold NUM_STR_MAX bytes. */
void num_format(const num_t *n, char *buf);

/* <0, 0, >0 */
int num_cmp(const num_t *a, const num_t *b);

/* Exact a + b / a - b; fail (ERR_DDB_VALIDATION) when the result needs more
 * than 38 digits or leaves the range. */
int num_add(const num_t *a, const num_t *b, num_t *out, err_t *err);
int num_sub(const num_t *a, const num_t *b, num_t *out, err_t *err);

/* Order-preserving encoding: memcmp(enc(a), enc(b)) has the sign of
 * num_cmp(a, b). Writes at most NUM_KEY_MAX bytes, returns the length. */
size_t num_key_encode(const num_t *n, unsigned char *buf);

/* Convenience: normalise a number string into buf (NUM_STR_MAX bytes). */
int num_normalize(const char *s, char *buf, err_t *err);

#endif
