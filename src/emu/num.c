/*
 * num.c - DynamoDB numbers: parse, format, compare, add/subtract and
 * order-preserving key encoding, all exact (no double anywhere).
 *
 * Entry points: num_parse, num_format, num_normalize, num_cmp, num_add,
 * num_sub, num_key_encode (see num.h).
 *
 * Accepted syntax follows dynalite (which validates with big.js):
 *   -?(digits[.digits?] | .digits)([eE][+-]?digits)?
 * so "1.", ".5", "007", "1e5", "1E+2" are numbers while "+1", " 1", "1 ",
 * "", ".", "e5", "0x10", "Infinity" and "NaN" are not.  Range checks come
 * before the digit count, as in dynalite, so "1e200" reports overflow even
 * though it also has few digits.
 */
#include "num.h"

#include <string.h>

/* Scientific exponents allowed by DynamoDB are -130..125; num_t stores
 * value = 0.d1d2.. * 10^exp, i.e. exp = scientific exponent + 1. */
#define NUM_EXP_MAX 126
#define NUM_EXP_MIN (-129)

/* Saturation bound while reading exponents: far outside the range, far
 * inside long long, so "1e999999999999999999" cannot overflow. */
#define NUM_EXP_CLAMP 1000000000LL

#define MSG_SYNTAX "A value provided cannot be converted into a number"
#define MSG_DIGITS "Attempting to store more than 38 significant digits in a Number"
#define MSG_OVERFLOW                                                                       \
    "Number overflow. Attempting to store a number with magnitude larger than supported " \
    "range"
#define MSG_UNDERFLOW                                                                        \
    "Number underflow. Attempting to store a number with magnitude smaller than supported " \
    "range"

/* Width of the scratch grid used by add/sub: every digit position either
 * operand can occupy (exp -129-38 .. 126) plus one carry position. */
#define NUM_GRID (NUM_EXP_MAX - NUM_EXP_MIN + NUM_MAX_DIGITS + 2)

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Range first, digit count second: the order dynalite reports them in. */
static int num_check(int exp, size_t ndigits, err_t *err)
{
    if (exp > NUM_EXP_MAX)
        return err_set(err, ERR_DDB_VALIDATION, MSG_OVERFLOW);
    if (exp < NUM_EXP_MIN)
        return err_set(err, ERR_DDB_VALIDATION, MSG_UNDERFLOW);
    if (ndigits > NUM_MAX_DIGITS)
        return err_set(err, ERR_DDB_VALIDATION, MSG_DIGITS);
    return 0;
}

/* Read the optional exponent suffix at *p; returns 0 and advances *p, or -1
 * on a malformed suffix.  Large exponents saturate instead of overflowing. */
static int parse_exponent(const char **p, long long *out)
{
    const char *s = *p;
    long long e = 0;
    int neg = 0;

    *out = 0;
    if (*s != 'e' && *s != 'E')
        return 0;
    s++;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!is_digit(*s))
        return -1;
    for (; is_digit(*s); s++) {
        if (e < NUM_EXP_CLAMP)
            e = e * 10 + (*s - '0');
    }
    *out = neg ? -e : e;
    *p = s;
    return 0;
}

/*
 * Parse a DynamoDB number.  Significant digits are located without copying
 * the whole mantissa (the string may be megabytes of zeros): `first` and
 * `last` are the mantissa indexes (points skipped) of the first and last
 * non-zero digit; only those in between count as significant.
 */
int num_parse(const char *s, num_t *out, err_t *err)
{
    const char *p = s;
    long long intlen = 0, idx = 0, first = -1, last = -1, e;
    int neg = 0, seen_digit = 0, seen_point = 0;

    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return err_set(err, ERR_DDB_VALIDATION, MSG_SYNTAX);
    if (*p == '-') {
        neg = 1;
        p++;
    }
    for (;; p++) {
        if (is_digit(*p)) {
            seen_digit = 1;
            if (*p != '0') {
                if (first < 0)
                    first = idx;
                last = idx;
            }
            idx++;
            if (!seen_point)
                intlen++;
        } else if (*p == '.' && !seen_point) {
            seen_point = 1;
        } else {
            break;
        }
    }
    if (!seen_digit || parse_exponent(&p, &e) < 0 || *p != '\0')
        return err_set(err, ERR_DDB_VALIDATION, MSG_SYNTAX);
    if (first < 0)
        return 0; /* zero, whatever its sign or exponent: "-0.000e7" is 0 */

    /* The digit at mantissa index `first` weighs 10^(intlen-1-first). */
    long long exp = intlen - first + e;
    long long nd = last - first + 1;
    if (exp > NUM_EXP_MAX)
        exp = NUM_EXP_MAX + 1; /* keep it in int range for num_check */
    else if (exp < NUM_EXP_MIN)
        exp = NUM_EXP_MIN - 1;
    if (num_check((int)exp, (size_t)nd, err) < 0)
        return -1;

    /* Second pass over the mantissa, now known to hold <= 38 digits. */
    const char *q = s + neg;
    int n = 0;
    for (idx = 0; n < nd; q++) {
        if (*q == '.')
            continue;
        if (idx >= first)
            out->digits[n++] = (unsigned char)(*q - '0');
        idx++;
    }
    out->sign = neg ? -1 : 1;
    out->exp = (int)exp;
    out->ndigits = n;
    return 0;
}

/* Plain decimal notation, never an exponent: DynamoDB returns "100" for
 * "1E+2" and "0.00001" for "1e-5". */
void num_format(const num_t *n, char *buf)
{
    char *p = buf;
    int i;

    if (n->sign == 0 || n->ndigits == 0) {
        strcpy(buf, "0");
        return;
    }
    if (n->sign < 0)
        *p++ = '-';
    if (n->exp <= 0) {
        *p++ = '0';
        *p++ = '.';
        for (i = 0; i < -n->exp; i++)
            *p++ = '0';
        for (i = 0; i < n->ndigits; i++)
            *p++ = (char)('0' + n->digits[i]);
    } else {
        for (i = 0; i < n->ndigits || i < n->exp; i++) {
            if (i == n->exp)
                *p++ = '.';
            *p++ = (char)('0' + (i < n->ndigits ? n->digits[i] : 0));
        }
    }
    *p = '\0';
}

int num_normalize(const char *s, char *buf, err_t *err)
{
    num_t n;

    if (num_parse(s, &n, err) < 0)
        return -1;
    num_format(&n, buf);
    return 0;
}

/* Compare magnitudes of two non-zero numbers. */
static int num_cmp_abs(const num_t *a, const num_t *b)
{
    int i;

    if (a->exp != b->exp)
        return a->exp < b->exp ? -1 : 1;
    for (i = 0; i < a->ndigits && i < b->ndigits; i++) {
        if (a->digits[i] != b->digits[i])
            return a->digits[i] < b->digits[i] ? -1 : 1;
    }
    /* No trailing zeros, so the longer one has more non-zero digits. */
    return (a->ndigits > b->ndigits) - (a->ndigits < b->ndigits);
}

int num_cmp(const num_t *a, const num_t *b)
{
    int sa = a->ndigits ? a->sign : 0, sb = b->ndigits ? b->sign : 0;

    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    return sa * num_cmp_abs(a, b);
}

/* Spread n's digits over the grid, where grid[k] weighs 10^(k + base). */
static void grid_fill(const num_t *n, int base, unsigned char *grid)
{
    int i;

    for (i = 0; i < n->ndigits; i++)
        grid[n->exp - 1 - i - base] = n->digits[i];
}

/*
 * |a| + |b| (sub == 0) or |a| - |b| (sub == 1, requires |a| >= |b|) with
 * the given result sign.  The grid spans both operands' digit positions,
 * so every intermediate digit is exact; only the final result is checked
 * against DynamoDB's precision and range.
 */
static int num_addmag(const num_t *a, const num_t *b, int sub, int sign, num_t *out,
                      err_t *err)
{
    unsigned char ga[NUM_GRID] = {0}, gb[NUM_GRID] = {0}, gr[NUM_GRID] = {0};
    int lo_a = a->exp - a->ndigits, lo_b = b->exp - b->ndigits;
    int base = lo_a < lo_b ? lo_a : lo_b;
    int top = (a->exp > b->exp ? a->exp : b->exp) - base + 1; /* +1: carry */
    int k, carry = 0, hi, lo;

    /* Operands come from num_parse/num_add and so are in range; a num_t
     * built by hand out of range must not index past the grid. */
    if (a->exp > NUM_EXP_MAX || b->exp > NUM_EXP_MAX || a->ndigits > NUM_MAX_DIGITS ||
        b->ndigits > NUM_MAX_DIGITS)
        return err_set(err, ERR_DDB_VALIDATION, MSG_OVERFLOW);
    if (a->exp < NUM_EXP_MIN || b->exp < NUM_EXP_MIN)
        return err_set(err, ERR_DDB_VALIDATION, MSG_UNDERFLOW);
    grid_fill(a, base, ga);
    grid_fill(b, base, gb);
    for (k = 0; k < top; k++) {
        int d = sub ? ga[k] - gb[k] - carry : ga[k] + gb[k] + carry;
        carry = sub ? d < 0 : d > 9;
        gr[k] = (unsigned char)(sub ? (d + 10) % 10 : d % 10);
    }
    for (hi = top - 1; hi >= 0 && gr[hi] == 0; hi--)
        ;
    memset(out, 0, sizeof(*out));
    if (hi < 0)
        return 0; /* exact cancellation: 0, never -0 */
    for (lo = 0; gr[lo] == 0; lo++)
        ;
    if (num_check(hi + base + 1, (size_t)(hi - lo + 1), err) < 0)
        return -1;
    out->sign = sign;
    out->exp = hi + base + 1;
    out->ndigits = hi - lo + 1;
    for (k = 0; k < out->ndigits; k++)
        out->digits[k] = gr[hi - k];
    return 0;
}

int num_add(const num_t *a, const num_t *b, num_t *out, err_t *err)
{
    int sa = a->ndigits ? a->sign : 0, sb = b->ndigits ? b->sign : 0;

    if (sb == 0) {
        *out = *a;
        return 0;
    }
    if (sa == 0) {
        *out = *b;
        return 0;
    }
    if (sa == sb)
        return num_addmag(a, b, 0, sa, out, err);
    /* Opposite signs: subtract the smaller magnitude from the larger. */
    if (num_cmp_abs(a, b) >= 0)
        return num_addmag(a, b, 1, sa, out, err);
    return num_addmag(b, a, 1, sb, out, err);
}

int num_sub(const num_t *a, const num_t *b, num_t *out, err_t *err)
{
    num_t nb = *b;

    nb.sign = -nb.sign;
    return num_add(a, &nb, out, err);
}

/*
 * Layout: class byte (0x01 negative, 0x02 zero, 0x03 positive), exponent
 * byte, digit pairs as 1..100, terminator.  For negatives the exponent
 * byte and pairs are complemented so larger magnitudes sort first, and the
 * terminator is 0xFF (above any pair) so "-0.1" sorts after "-0.12"; for
 * positives it is 0x00 (below any pair) so "0.1" sorts before "0.12".
 * The terminator also means no encoding is a prefix of another, so plain
 * memcmp over the shorter length and SQLite's BLOB order agree.
 * Longest: 1 + 1 + 19 + 1 = 22 bytes <= NUM_KEY_MAX.
 */
size_t num_key_encode(const num_t *n, unsigned char *buf)
{
    size_t len = 0;
    int neg, i, e;

    if (n->sign == 0 || n->ndigits == 0) {
        buf[0] = 0x02;
        return 1;
    }
    neg = n->sign < 0;
    e = n->exp;
    e = e > NUM_EXP_MAX ? NUM_EXP_MAX : e < NUM_EXP_MIN ? NUM_EXP_MIN : e;
    buf[len++] = neg ? 0x01 : 0x03;
    buf[len++] = (unsigned char)(neg ? 255 - (e - NUM_EXP_MIN) : e - NUM_EXP_MIN);
    for (i = 0; i < n->ndigits; i += 2) {
        int pair = n->digits[i] * 10 + (i + 1 < n->ndigits ? n->digits[i + 1] : 0) + 1;
        buf[len++] = (unsigned char)(neg ? 101 - pair : pair);
    }
    buf[len++] = neg ? 0xFF : 0x00;
    return len;
}
