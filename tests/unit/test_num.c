/*
 * test_num.c - src/emu/num.c: parsing and canonical formatting, DynamoDB's
 * precision/range errors, exact add/sub, comparison and the
 * order-preserving key encoding.  Every group is a table of cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu/num.h"

#define MSG_SYNTAX "A value provided cannot be converted into a number"
#define MSG_DIGITS "Attempting to store more than 38 significant digits in a Number"
#define MSG_OVER \
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
#define MSG_UNDER \
    "Number underflow. Attempting to store a number with magnitude smaller than supported range"

#define D38 "12345678901234567890123456789012345678"  /* 38 digits */
#define N38 "99999999999999999999999999999999999999"  /* 38 nines */
#define Z10 "0000000000"
#define Z100 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10

typedef struct {
    const char *in, *out;
} norm_case;

static const norm_case norm_cases[] = {
    {"0", "0"},
    {"-0", "0"},
    {"0.000", "0"},
    {"-0.0e10", "0"},
    {"0e999999999999999999999", "0"},
    {"000", "0"},
    {"1", "1"},
    {"-1", "-1"},
    {"1E+2", "100"},
    {"1e2", "100"},
    {"1E2", "100"},
    {"0.10", "0.1"},
    {"1e-5", "0.00001"},
    {"-1.5E-3", "-0.0015"},
    {"1.", "1"},
    {".5", "0.5"},
    {"-.5", "-0.5"},
    {"007", "7"},
    {"00.0700", "0.07"},
    {"123.456", "123.456"},
    {"123.4560000", "123.456"},
    {"1000", "1000"},
    {"1.000e3", "1000"},
    {"12.5e1", "125"},
    {"12.5e-1", "1.25"},
    {"0.0001e4", "1"},
    {"10e-1", "1"},
    {"1e+0", "1"},
    {"1e-0", "1"},
    {D38, D38},
    {"-" D38, "-" D38},
    {D38 "0000", D38 "0000"},          /* trailing zeros are not significant */
    {"0.000" D38, "0.000" D38},
    {"1" Z100 "e-100", "1"},
    {"9.9999999999999999999999999999999999999E+125", N38 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 "00000000"},
    {"1E-130", "0." Z100 "000000000000000000000000000001"},
    {"-1E-130", "-0." Z100 "000000000000000000000000000001"},
    {"1E125", "1" Z100 "0000000000000000000000000"},
};

static void test_normalize_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
        char buf[NUM_STR_MAX];
        err_t err = {0};
        if (num_normalize(norm_cases[i].in, buf, &err) != 0)
            fail_msg("case %zu (%s): unexpected error %s", i, norm_cases[i].in, err.msg);
        if (strcmp(buf, norm_cases[i].out) != 0)
            fail_msg("case %zu (%s): got %s want %s", i, norm_cases[i].in, buf,
                     norm_cases[i].out);
    }
}

typedef struct {
    const char *in, *msg;
} bad_case;

static const bad_case bad_cases[] = {
    {"", MSG_SYNTAX},
    {"-", MSG_SYNTAX},
    {".", MSG_SYNTAX},
    {"-.", MSG_SYNTAX},
    {"+1", MSG_SYNTAX},
    {" 1", MSG_SYNTAX},
    {"1 ", MSG_SYNTAX},
    {"1e", MSG_SYNTAX},
    {"1e+", MSG_SYNTAX},
    {"e5", MSG_SYNTAX},
    {".e5", MSG_SYNTAX},
    {"1..2", MSG_SYNTAX},
    {"1.2.3", MSG_SYNTAX},
    {"--1", MSG_SYNTAX},
    {"0x10", MSG_SYNTAX},
    {"NaN", MSG_SYNTAX},
    {"Infinity", MSG_SYNTAX},
    {"1e5.5", MSG_SYNTAX},
    {"1,5", MSG_SYNTAX},
    {"abc", MSG_SYNTAX},
    {D38 "1", MSG_DIGITS},
    {"1." D38, MSG_DIGITS},
    {"0.1" Z10 Z10 Z10 "000000001", MSG_DIGITS},
    {"1E126", MSG_OVER},
    {"10E125", MSG_OVER},
    {"-1E126", MSG_OVER},
    {"1e999999999999999999999999", MSG_OVER},
    {"1E-131", MSG_UNDER},
    {"0.1E-130", MSG_UNDER},
    {"-1E-131", MSG_UNDER},
    {"1e-999999999999999999999999", MSG_UNDER},
    {D38 "1E200", MSG_OVER},            /* range is reported before precision */
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        num_t n;
        err_t err = {0};
        if (num_parse(bad_cases[i].in, &n, &err) != -1)
            fail_msg("case %zu (%s): accepted", i, bad_cases[i].in);
        assert_int_equal(err.code, ERR_DDB_VALIDATION);
        if (strcmp(err.msg, bad_cases[i].msg) != 0)
            fail_msg("case %zu (%s): message %s", i, bad_cases[i].in, err.msg);
    }
    num_t n;
    err_t err = {0};
    assert_int_equal(num_parse(NULL, &n, &err), -1);
    assert_string_equal(err.msg, MSG_SYNTAX);
}

static void test_parse_fields(void **state)
{
    num_t n;
    err_t err = {0};
    (void)state;
    assert_int_equal(num_parse("-120.50", &n, &err), 0);
    assert_int_equal(n.sign, -1);
    assert_int_equal(n.exp, 3);
    assert_int_equal(n.ndigits, 4);
    assert_memory_equal(n.digits, "\1\2\0\5", 4);
    assert_int_equal(num_parse("-0", &n, &err), 0);
    assert_int_equal(n.sign, 0);
    assert_int_equal(n.ndigits, 0);
}

typedef struct {
    const char *a;
    char op;
    const char *b, *want; /* want NULL: error `msg` */
    const char *msg;
} arith_case;

static const arith_case arith_cases[] = {
    {"1", '+', "2", "3", NULL},
    {"0.1", '+', "0.2", "0.3", NULL},                 /* not 0.30000000000000004 */
    {"9", '+', "1", "10", NULL},
    {"999.99", '+', "0.01", "1000", NULL},            /* carry through every digit */
    {N38, '+', "0", N38, NULL},
    {"0", '+', "-5", "-5", NULL},
    {"-5", '+', "0", "-5", NULL},
    {"5", '+', "-5", "0", NULL},                      /* cancellation gives 0, not -0 */
    {"-5", '-', "-5", "0", NULL},
    {"1", '-', "0.001", "0.999", NULL},
    {"0.001", '-', "1", "-0.999", NULL},
    {"1000", '-', "1", "999", NULL},                  /* borrow chain */
    {"-1000", '+', "1", "-999", NULL},
    {"-3", '-', "4", "-7", NULL},
    {"-3", '-', "-4", "1", NULL},
    {"3", '-', "-4", "7", NULL},
    {"1E+100", '-', "1E+100", "0", NULL},
    {"1.5", '+', "1.5", "3", NULL},                   /* trailing zero stripped */
    {"12345678901234567890123456789012345670", '+', "9", "12345678901234567890123456789012345679", NULL},
    {"0.00000000000000000000000000000000000001", '+', "0.99999999999999999999999999999999999999", "1", NULL},
    {"1" Z10 Z10 "00000000000000000", '+', "1", "1" Z10 Z10 "00000000000000001", NULL},
    {N38, '+', "1", "1" Z10 Z10 Z10 "00000000", NULL}, /* 1E38: one significant digit */
    {N38, '+', "2", NULL, MSG_DIGITS},
    {"1E+100", '+', "1", NULL, MSG_DIGITS},
    {"1" Z10 Z10 Z10 "00000000", '+', "1", NULL, MSG_DIGITS},
    {"9.9999999999999999999999999999999999999E+125", '+', "1E+88", NULL, MSG_OVER},
    {"-9.9999999999999999999999999999999999999E+125", '-', "1E+88", NULL, MSG_OVER},
    {"5E+125", '+', "5E+125", NULL, MSG_OVER},
    {"1E-130", '-', "0.1E-129", "0", NULL},
    {"2E-130", '-', "1E-130", "0." Z100 "000000000000000000000000000001", NULL},
    {"1.1E-129", '-', "1.05E-129", NULL, MSG_UNDER},  /* 5E-131 */
};

static void test_arith_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(arith_cases) / sizeof(arith_cases[0]); i++) {
        const arith_case *c = &arith_cases[i];
        num_t a, b, r;
        err_t err = {0};
        char buf[NUM_STR_MAX];
        assert_int_equal(num_parse(c->a, &a, &err), 0);
        assert_int_equal(num_parse(c->b, &b, &err), 0);
        int rc = c->op == '+' ? num_add(&a, &b, &r, &err) : num_sub(&a, &b, &r, &err);
        if (c->want == NULL) {
            if (rc != -1)
                fail_msg("case %zu: %s %c %s succeeded", i, c->a, c->op, c->b);
            assert_int_equal(err.code, ERR_DDB_VALIDATION);
            if (strcmp(err.msg, c->msg) != 0)
                fail_msg("case %zu: message %s", i, err.msg);
            continue;
        }
        if (rc != 0)
            fail_msg("case %zu: %s %c %s failed: %s", i, c->a, c->op, c->b, err.msg);
        num_format(&r, buf);
        if (strcmp(buf, c->want) != 0)
            fail_msg("case %zu: %s %c %s = %s, want %s", i, c->a, c->op, c->b, buf, c->want);
    }
}

/* Strictly increasing: every pair must compare, and encode, in this order. */
static const char *const ordered[] = {
    "-9.9999999999999999999999999999999999999E+125",
    "-1E+125",
    "-" D38,
    "-1000",
    "-999.5",
    "-12",
    "-11.99",
    "-10",
    "-2",
    "-1.01",
    "-1.001",
    "-1",
    "-0.99",
    "-0.12",
    "-0.11",
    "-0.101",
    "-0.1",
    "-0.0999",
    "-1E-129",
    "-1E-130",
    "0",
    "1E-130",
    "1.5E-130",
    "1E-129",
    "0.0999",
    "0.1",
    "0.101",
    "0.11",
    "0.12",
    "0.99",
    "1",
    "1.001",
    "1.01",
    "2",
    "10",
    "11.99",
    "12",
    "999.5",
    "1000",
    D38,
    "1E+125",
    "9.9999999999999999999999999999999999999E+125",
};

static int sign_of(int v)
{
    return (v > 0) - (v < 0);
}

/* memcmp over the shorter length, then length: SQLite's BLOB order. */
static int blob_cmp(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    if (c != 0)
        return c;
    return (la > lb) - (la < lb);
}

static void test_order_and_encoding(void **state)
{
    enum { N = sizeof(ordered) / sizeof(ordered[0]) };
    num_t nums[N];
    unsigned char keys[N][NUM_KEY_MAX];
    size_t lens[N];
    err_t err = {0};
    (void)state;

    for (size_t i = 0; i < N; i++) {
        if (num_parse(ordered[i], &nums[i], &err) != 0)
            fail_msg("%s: %s", ordered[i], err.msg);
        lens[i] = num_key_encode(&nums[i], keys[i]);
        assert_true(lens[i] >= 1 && lens[i] <= NUM_KEY_MAX);
    }
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < N; j++) {
            int want = (i > j) - (i < j);
            size_t m = lens[i] < lens[j] ? lens[i] : lens[j];
            if (sign_of(num_cmp(&nums[i], &nums[j])) != want)
                fail_msg("num_cmp(%s, %s) != %d", ordered[i], ordered[j], want);
            if (sign_of(blob_cmp(keys[i], lens[i], keys[j], lens[j])) != want)
                fail_msg("blob order of %s vs %s != %d", ordered[i], ordered[j], want);
            /* No encoding is a prefix of another: plain memcmp decides too. */
            if (i != j && sign_of(memcmp(keys[i], keys[j], m)) != want)
                fail_msg("memcmp of %s vs %s != %d", ordered[i], ordered[j], want);
        }
    }
}

typedef struct {
    const char *a, *b;
} eq_case;

/* Different spellings of one value: equal, and identical encodings. */
static const eq_case eq_cases[] = {
    {"1", "1.0"}, {"1E2", "100"}, {"-0", "0"}, {"0.10", ".1"}, {"-1.50", "-15e-1"},
    {"5E-130", "0.5E-129"},
};

static void test_equal_spellings(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(eq_cases) / sizeof(eq_cases[0]); i++) {
        num_t a, b;
        unsigned char ka[NUM_KEY_MAX], kb[NUM_KEY_MAX];
        err_t err = {0};
        assert_int_equal(num_parse(eq_cases[i].a, &a, &err), 0);
        assert_int_equal(num_parse(eq_cases[i].b, &b, &err), 0);
        assert_int_equal(num_cmp(&a, &b), 0);
        size_t la = num_key_encode(&a, ka), lb = num_key_encode(&b, kb);
        assert_int_equal(la, lb);
        assert_memory_equal(ka, kb, la);
    }
}

static void test_key_lengths(void **state)
{
    static const struct {
        const char *in;
        size_t len;
    } cases[] = {
        {"0", 1},
        {"1", 4},
        {"12", 4},
        {"123", 5},
        {"-" D38, 22},
        {D38, 22},
        {"-9.9999999999999999999999999999999999999E+125", 22},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        num_t n;
        unsigned char k[NUM_KEY_MAX];
        err_t err = {0};
        assert_int_equal(num_parse(cases[i].in, &n, &err), 0);
        assert_int_equal(num_key_encode(&n, k), cases[i].len);
    }
}

/* Longest formatted numbers fit NUM_STR_MAX. */
static void test_format_bounds(void **state)
{
    char buf[NUM_STR_MAX];
    err_t err = {0};
    (void)state;
    assert_int_equal(num_normalize("-1." D38 "E-93", buf, &err), -1); /* 39 digits */
    assert_int_equal(num_normalize("-" D38 "E-167", buf, &err), 0);
    assert_true(strlen(buf) < NUM_STR_MAX);
    assert_int_equal(strncmp(buf, "-0.", 3), 0);
    assert_string_equal(buf + strlen(buf) - 38, D38);
    assert_int_equal(num_normalize("-" N38 "E88", buf, &err), 0);
    assert_int_equal(strlen(buf), 1 + 38 + 88);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_table),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_arith_table),
        cmocka_unit_test(test_order_and_encoding),
        cmocka_unit_test(test_equal_spellings),
        cmocka_unit_test(test_key_lengths),
        cmocka_unit_test(test_format_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
