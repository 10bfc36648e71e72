/*
 * test_jtext.c - src/common/jtext.c writes exactly what
 * json_dumps(v, JSON_COMPACT) writes: fixed cases for every value type and
 * escape, then thousands of random nested values compared byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/jtext.h"

static void same_as_jansson(json_t *v)
{
    size_t len = 0;
    char *mine = jtext_dump(v, &len);
    char *ref = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(mine);
    assert_non_null(ref);
    assert_string_equal(mine, ref);
    assert_int_equal(len, strlen(ref));
    free(mine);
    free(ref);
    json_decref(v);
}

static void test_fixed_cases(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{}", "[]", "{\"a\":{\"S\":\"x\"}}", "[1,-2,9223372036854775807,true,false,null]",
        "{\"N\":\"97.84118\",\"L\":[{\"S\":\"\"},{\"BOOL\":true},{\"NULL\":true}]}",
        "{\"q\":\"say \\\"hi\\\" \\\\ / \\b\\f\\n\\r\\t \\u0001 \\u001f \\u007f\"}",
        "{\"utf8\":\"gr\\u00fc\\u00dfe \\u2603 \\ud83d\\ude00\"}",
        "[0.5,1e300,-0.0,3.0]", "{\"z\":1,\"a\":2,\"m\":{\"k\":[[],{}]}}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        json_error_t e;
        json_t *v = json_loads(texts[i], JSON_DECODE_ANY, &e);
        assert_non_null(v);
        same_as_jansson(v);
    }
    same_as_jansson(json_stringn("nul\0inside", 10));
}

static json_t *random_value(unsigned *seed, int depth)
{
    int kind = depth > 4 ? rand_r(seed) % 4 : rand_r(seed) % 7;
    switch (kind) {
    case 0: case 1: {
        char s[48];
        size_t n = (size_t)(rand_r(seed) % 40);
        for (size_t i = 0; i < n; i++) {
            int r = rand_r(seed) % 10;
            s[i] = r < 6 ? (char)('a' + rand_r(seed) % 26)
                   : r < 9 ? (char)(1 + rand_r(seed) % 127) : (char)0xc3;
            if ((unsigned char)s[i] == 0xc3 && i + 1 < n)
                s[++i] = (char)0xa9; /* U+00E9 */
            else if ((unsigned char)s[i] == 0xc3)
                s[i] = 'e';
        }
        return json_stringn(s, n);
    }
    case 2: return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
    case 3: return rand_r(seed) % 2 ? json_true() : json_null();
    case 4: case 5: {
        json_t *o = json_object();
        for (int i = rand_r(seed) % 6; i > 0; i--) {
            char k[8];
            snprintf(k, sizeof k, "%c\"%d", 'a' + rand_r(seed) % 26, rand_r(seed) % 100);
            json_object_set_new(o, k, random_value(seed, depth + 1));
        }
        return o;
    }
    default: {
        json_t *a = json_array();
        for (int i = rand_r(seed) % 6; i > 0; i--)
            json_array_append_new(a, random_value(seed, depth + 1));
        return a;
    }
    }
}

static void test_random_values(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (int i = 0; i < 5000; i++)
        same_as_jansson(random_value(&seed, 0));
}

/* jtext_uint and jtext_put_uint against printf, at the edges and at
 * random 64-bit values. */
static void test_uint_digits(void **state)
{
    (void)state;
    uint64_t fixed[] = {0, 7, 9, 10, 99, 100, 4294967295u, 4294967296u, UINT64_MAX - 1,
                        UINT64_MAX};
    uint64_t seed = 88172645463325252ull;
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed + 2000; i++) {
        uint64_t v = fixed[i < sizeof fixed / sizeof *fixed ? i : 0];
        if (i >= sizeof fixed / sizeof *fixed) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            v = seed >> (seed % 64);
        }
        char want[32], got[JTEXT_UINT_MAX + 1];
        snprintf(want, sizeof want, "%llu", (unsigned long long)v);
        size_t n = jtext_uint(got, v);
        got[n] = '\0';
        assert_string_equal(got, want);
        jtext_buf b = {0};
        jtext_put_uint(&b, (size_t)v);
        char *text = jtext_finish(&b, &n);
        assert_non_null(text);
        assert_string_equal(text, want);
        free(text);
    }
}

/* jtext_put_ms in both styles, table-driven. */
static void test_ms(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        bool trim;
        const char *want;
    } cases[] = {
        {0, false, "0"},
        {0, true, "0.0"},
        {1500, false, "1.500"},
        {1500, true, "1.5"},
        {1000, true, "1.0"},
        {1001, true, "1.001"},
        {1010, false, "1.010"},
        {-1500, false, "-1.500"},
        {1700000000123, false, "1700000000.123"},
        {1700000000120, true, "1700000000.12"},
        {INT64_MIN, false, "-9223372036854775.808"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        jtext_buf b = {0};
        jtext_put_ms(&b, cases[i].ms, cases[i].trim);
        char *text = jtext_finish(&b, NULL);
        assert_non_null(text);
        assert_string_equal(text, cases[i].want);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_cases),
        cmocka_unit_test(test_random_values),
        cmocka_unit_test(test_uint_digits),
        cmocka_unit_test(test_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
