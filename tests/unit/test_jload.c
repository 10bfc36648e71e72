/*
 * test_jload.c - jload_fast() builds exactly json_loadb's tree or declines
 * (NULL): a table of accepted and declined texts, then thousands of
 * corrupted request bodies, where every accepted one must equal jansson's
 * tree member for member and in order, and jansson must accept it too.
 * UTF-8 has its own table (valid 2/3/4-byte sequences, overlongs,
 * surrogates, > U+10FFFF, truncation) and a randomized test whose bodies
 * differ from the subset only in their string bytes, so the fast path
 * must accept exactly what jansson accepts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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
        "{\"gr\xc3\xbc\xc3\x9f\":1}", "{\"a\":\"\xe2\x98\x83\"}",
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
        "{\"a\":\"\\u0000\"}", "{\"\xc3\xa9\\n\":1}",
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
        "{\"TableName\":\"visages\",\"Item\":{\"nom\":{\"S\":\"Zo\xc3\xab Salda\xc3\xb1" "a\"},"
        "\"ville\":{\"S\":\"\xe6\x9d\xb1\xe4\xba\xac\"},\"\xc3\xa9tiquette\":{\"S\":\"\xf0\x9f\x98\x80 caf\xc3\xa9\"},"
        "\"n\":{\"S\":\"a\\\"\xc3\xa9\\n\xe2\x82\xac\"}}}",
    };
    srand(7);
    int accepted = 0;
    for (int round = 0; round < 20000; round++) {
        const char *b = bodies[round % 3];
        size_t len = strlen(b);
        char *t = malloc(len + 1);
        memcpy(t, b, len + 1);
        for (int k = 0, edits = 1 + rand() % 3; k < edits; k++) {
            static const char pool[] = "{}[]\":,\\ 0123456789-.eEtfnulrsa\x01\x7f\x80\xff/"
                                       "\x8f\x90\x9f\xa0\xbf\xc0\xc1\xc2\xdf\xe0\xed\xef\xf0\xf4\xf5";
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

/* One UTF-8 case: the fast path accepts it with jansson's tree
 * (fast = 1), or declines it and jansson rejects it too (fast = 0).  The
 * text is parsed from an allocation of exactly len bytes, so that a read
 * past the end of a truncated sequence is an ASan error. */
static void check_utf8(const char *src, size_t len, int fast)
{
    char *text = malloc(len ? len : 1);
    memcpy(text, src, len);
    json_t *mine = jload_fast(text, len);
    json_t *ref = json_loadb(text, len, FLAGS, NULL);
    if (fast) {
        if (mine == NULL)
            fail_msg("declined: %.*s", (int)len, text);
        assert_same(text, len, mine);
    } else {
        if (mine != NULL || ref != NULL)
            fail_msg("fast %s, jansson %s: %.*s", mine ? "accepted" : "declined",
                     ref ? "accepted" : "rejected", (int)len, text);
    }
    json_decref(mine);
    json_decref(ref);
    free(text);
}

static void test_utf8_table(void **state)
{
    (void)state;
    static const struct {
        const char *seq; /* put in a value, then in a key */
        int ok;
    } cases[] = {
        /* 2-byte: U+0080, U+07FF, e-acute */
        {"\xc2\x80", 1}, {"\xdf\xbf", 1}, {"caf\xc3\xa9", 1},
        /* 3-byte: U+0800, U+D7FF, U+E000, U+FFFD, U+FFFF, snowman, Tokyo */
        {"\xe0\xa0\x80", 1}, {"\xed\x9f\xbf", 1}, {"\xee\x80\x80", 1}, {"\xef\xbf\xbd", 1},
        {"\xef\xbf\xbf", 1}, {"\xe2\x98\x83", 1}, {"\xe6\x9d\xb1\xe4\xba\xac", 1},
        /* 4-byte: U+10000, U+10FFFF, an emoji */
        {"\xf0\x90\x80\x80", 1}, {"\xf4\x8f\xbf\xbf", 1}, {"x\xf0\x9f\x98\x80y", 1},
        /* overlong: NUL, '/', U+07FF as 3 bytes, U+FFFF as 4 bytes */
        {"\xc0\x80", 0}, {"\xc1\xbf", 0}, {"\xe0\x80\xaf", 0}, {"\xe0\x9f\xbf", 0},
        {"\xf0\x80\x80\x80", 0}, {"\xf0\x8f\xbf\xbf", 0},
        /* surrogates U+D800, U+DBFF, U+DC00, U+DFFF (CESU-8 pair too) */
        {"\xed\xa0\x80", 0}, {"\xed\xaf\xbf", 0}, {"\xed\xb0\x80", 0}, {"\xed\xbf\xbf", 0},
        {"\xed\xa0\xbd\xed\xb8\x80", 0},
        /* above U+10FFFF, and lead bytes that cannot start a sequence */
        {"\xf4\x90\x80\x80", 0}, {"\xf5\x80\x80\x80", 0}, {"\xf7\xbf\xbf\xbf", 0},
        {"\xf8\x88\x80\x80\x80", 0}, {"\xfc\x84\x80\x80\x80\x80", 0}, {"\xfe", 0}, {"\xff", 0},
        /* lone continuation bytes; a bad or missing continuation */
        {"\x80", 0}, {"a\xbf", 0}, {"\xc3\x28", 0}, {"\xc3\x7f", 0}, {"\xc3\xc3\xa9", 0},
        {"\xe2\x28\xa1", 0}, {"\xe2\x82", 0}, {"\xf0\x9f\x98", 0}, {"\xf0\x9f\x28\x80", 0},
        {"\xc3", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char t[128];
        const char *seq = cases[i].seq;
        int n = snprintf(t, sizeof t, "{\"a\":\"%s\",\"b\":1}", seq);
        check_utf8(t, (size_t)n, cases[i].ok);
        n = snprintf(t, sizeof t, "{\"a\":\"x\\n%s\\t\"}", seq); /* after an escape */
        check_utf8(t, (size_t)n, cases[i].ok);
        n = snprintf(t, sizeof t, "{\"%s\":{\"S\":\"v\"}}", seq); /* in a key */
        check_utf8(t, (size_t)n, cases[i].ok);
    }
    /* outside a string, even valid UTF-8 is a syntax error */
    check_utf8("{\"a\":1\xc3\xa9}", 9, 0);
    check_utf8("{\xc3\xa9:1}", 7, 0);
    /* every prefix of a body ends inside a sequence or the text: invalid */
    static const char body[] = "{\"\xc3\xa9\":\"\xe2\x98\x83\\n\xf0\x9f\x98\x80\"}";
    for (size_t n = 0; n < sizeof body - 1; n++)
        check_utf8(body, n, 0);
    check_utf8(body, sizeof body - 1, 1);
}

/* Append code point cp in exactly size bytes (2..4) with no validity
 * check, so overlongs, surrogates and values above U+10FFFF come out as
 * easily as valid sequences. */
static size_t put_raw_utf8(char *out, unsigned cp, int size)
{
    static const unsigned char lead[] = {0, 0, 0xc0, 0xe0, 0xf0};
    for (int i = size - 1; i > 0; i--, cp >>= 6)
        out[i] = (char)(0x80 | (cp & 0x3f));
    out[0] = (char)(lead[size] | cp);
    return (size_t)size;
}

/* A random string body for a key (no escapes: the fast path declines
 * escaped keys by design) or a value. */
static size_t rand_string_bytes(char *out, int escapes)
{
    static const unsigned edges[] = {0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdfff, 0xe000,
                                     0xffff, 0x10000, 0x10ffff, 0x110000, 0x13ffff};
    static const char bytes[] = "\x80\x8f\x90\x9f\xa0\xbf\xc0\xc1\xc2\xdf\xe0\xed\xef\xf0\xf4\xf5\xff";
    size_t n = 0;
    for (int k = 0, parts = rand() % 5; k < parts; k++) {
        unsigned cp;
        int size;
        switch (rand() % 6) {
        case 0:
            out[n++] = (char)('a' + rand() % 26);
            break;
        case 1: /* a code point near an edge, in its shortest form or not */
        case 2:
            cp = edges[rand() % (sizeof edges / sizeof *edges)] + (unsigned)(rand() % 3) - 1;
            size = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (rand() % 4 == 0 && size < 4)
                size++; /* overlong */
            n += put_raw_utf8(out + n, cp & 0x1fffff, size);
            break;
        case 3: /* any code point up to 0x13ffff, any form that holds it */
            cp = (unsigned)rand() % 0x140000;
            size = cp < 0x800 ? 2 + rand() % 3 : cp < 0x10000 ? 3 + rand() % 2 : 4;
            n += put_raw_utf8(out + n, cp, size);
            break;
        case 4: /* a stray byte from the interesting ones */
            out[n++] = bytes[rand() % (sizeof bytes - 1)];
            break;
        default:
            if (escapes) {
                out[n++] = '\\';
                out[n++] = "nt\"\\/"[rand() % 5];
            }
            break;
        }
    }
    return n;
}

/* Bodies in the fast path's subset except, maybe, for their UTF-8: the
 * fast path must accept exactly the ones jansson accepts, with its tree. */
static void test_utf8_random(void **state)
{
    (void)state;
    srand(1234);
    int accepted = 0, rejected = 0;
    char *t = malloc(4096);
    for (int round = 0; round < 20000; round++) {
        size_t n = 0;
        t[n++] = '{';
        for (int m = 0, members = 1 + rand() % 4; m < members; m++) {
            if (m)
                t[n++] = ',';
            n += (size_t)sprintf(t + n, "\"k%d_", m); /* '_' keeps keys distinct */
            n += rand_string_bytes(t + n, 0);
            n += (size_t)sprintf(t + n, "\":{\"S\":\"");
            n += rand_string_bytes(t + n, 1);
            n += (size_t)sprintf(t + n, "\"}");
        }
        t[n++] = '}';
        json_t *mine = jload_fast(t, n);
        json_t *ref = json_loadb(t, n, FLAGS, NULL);
        if ((mine != NULL) != (ref != NULL))
            fail_msg("fast %s, jansson %s: %.*s", mine ? "accepted" : "declined",
                     ref ? "accepted" : "rejected", (int)n, t);
        if (mine != NULL) {
            accepted++;
            assert_same(t, n, mine);
        } else {
            rejected++;
        }
        json_decref(mine);
        json_decref(ref);
    }
    free(t);
    /* both sides of the rule were exercised */
    assert_true(accepted > 1000);
    assert_true(rejected > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_declined),
        cmocka_unit_test(test_corrupted_bodies),
        cmocka_unit_test(test_utf8_table),
        cmocka_unit_test(test_utf8_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
