/*
 * test_jload.c - jload_fast() builds exactly json_loadb's tree or declines
 * (NULL): a table of accepted and declined texts, then thousands of
 * corrupted request bodies, where every accepted one must equal jansson's
 * tree member for member and in order, and jansson must accept it too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/jload.h"
#include "common/jtext.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* Same tree as jansson's, compared as text so that member order counts. */
static void assert_same(const char *text, size_t len, json_t *mine)
{
    json_t *ref = json_loadb(text, len, FLAGS, NULL);
    assert_non_null(ref);
    char *a = jtext_dump(mine, NULL), *b = jtext_dump(ref, NULL);
    assert_string_equal(a, b);
    assert_true(json_equal(mine, ref));
    free(a);
    free(b);
    json_decref(ref);
}

static void test_accepted(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{}", " {} \n", "{\"a\":{}}", "{\"a\":[]}", "{\"a\":[1,2,[3]]}",
        "{\"TableName\":\"t\",\"Item\":{\"id\":{\"S\":\"x\"},\"n\":{\"N\":\"97.84118\"}}}",
        "{\"a\":true,\"b\":false,\"c\":null}", "{\"Limit\":25,\"Segment\":0,\"x\":-0,\"y\":-17}",
        "{\"big\":999999999999999999,\"neg\":-999999999999999999}",
        "{\"q\":\"say \\\"hi\\\" \\\\ \\/ \\b\\f\\n\\r\\t end\"}", "{\"del\":\"\x7f\",\"e\":\"\"}",
        "{ \"a\" : { \"S\" : \"x\" } , \"b\" : [ 1 , 2 ] }", "{\"\":\"empty key\"}",
        "{\"z\":1,\"a\":2,\"m\":3}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        json_t *v = jload_fast(texts[i], strlen(texts[i]));
        if (v == NULL)
            fail_msg("declined: %s", texts[i]);
        assert_same(texts[i], strlen(texts[i]), v);
        json_decref(v);
    }
}

static void test_declined(void **state)
{
    (void)state;
    static const char *const texts[] = {
        /* outside the subset but valid JSON: jansson parses these */
        "[1]", "\"s\"", "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":1E3}", "{\"a\":\"\\u0041\"}",
        "{\"a\":\"\\u0000\"}", "{\"gr\xc3\xbc\xc3\x9f\":1}", "{\"a\":\"\xe2\x98\x83\"}",
        "{\"k\\\"q\":1}", "{\"a\":1234567890123456789}", "{\"a\":-99999999999999999999999999}",
        /* invalid: jansson gives the error */
        "", " ", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\":01}",
        "{\"a\":-}", "{\"a\":tru}", "{\"a\":truex}", "{\"a\":1x}", "{\"a\":\"x}", "{\"a\":\"\x01\"}",
        "{\"a\":\"\\x\"}", "{\"a\":1}}", "{\"a\":1} x", "{\"a\":1,\"a\":2}", "{a:1}",
        "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":\xff}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        json_t *v = jload_fast(texts[i], strlen(texts[i]));
        if (v != NULL)
            fail_msg("accepted: %s", texts[i]);
    }
    /* a NUL byte inside the input is a control byte, not an end */
    assert_null(jload_fast("{\"a\":\"x\0y\"}", 11));
    /* nesting deeper than the fast path goes */
    char deep[300];
    size_t n = 0;
    deep[n++] = '{';
    deep[n++] = '"', deep[n++] = 'a', deep[n++] = '"', deep[n++] = ':';
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    assert_null(jload_fast(deep, n));
    json_t *ref = json_loadb(deep, n, FLAGS, NULL); /* valid: jansson's job */
    assert_non_null(ref);
    json_decref(ref);
}

/* Corrupt real request bodies byte by byte: whatever the fast path
 * accepts, jansson accepts with the same tree. */
static void test_corrupted_bodies(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"TableName\":\"bench_faces\",\"Item\":{\"id\":{\"S\":\"cond-1-2\"},"
        "\"FaceId\":{\"S\":\"0000abcd-9e57\"},\"Similarity\":{\"N\":\"99.1234\"},"
        "\"Tags\":{\"L\":[{\"S\":\"a\"},{\"BOOL\":true},{\"NULL\":true}]}},"
        "\"ConditionExpression\":\"attribute_not_exists(id)\",\"ReturnValues\":\"NONE\"}",
        "{\"RequestItems\":{\"t\":[{\"PutRequest\":{\"Item\":{\"k\":{\"S\":\"a\\\"b\"}}}},"
        "{\"DeleteRequest\":{\"Key\":{\"k\":{\"N\":\"12\"}}}}]},\"Limit\":10}",
    };
    srand(7);
    int accepted = 0;
    for (int round = 0; round < 20000; round++) {
        const char *b = bodies[round % 2];
        size_t len = strlen(b);
        char *t = malloc(len + 1);
        memcpy(t, b, len + 1);
        for (int k = 0, edits = 1 + rand() % 3; k < edits; k++) {
            static const char pool[] = "{}[]\":,\\ 0123456789-.eEtfnulrsa\x01\x7f\x80\xff/";
            t[rand() % len] = pool[rand() % (sizeof pool - 1)];
        }
        json_t *v = jload_fast(t, len);
        if (v != NULL) {
            accepted++;
            assert_same(t, len, v);
            json_decref(v);
        }
        free(t);
    }
    assert_true(accepted > 100); /* the property was exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_declined),
        cmocka_unit_test(test_corrupted_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
