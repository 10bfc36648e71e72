/*
 * test_handler_jdoc.c - the handler's hot-path codecs: fi_jdoc (the in-place
 * JSON parser, which must accept exactly what jansson accepts and read the
 * same values), jtext_put_string (JSON string literals as json_dumps writes them)
 * and the item text of fi_record.c (equal to json_dumps of the jansson
 * item).  Tables of (input, expected) first, then jansson as the oracle
 * over mutated records.  Run from the repository root (fixtures/, see
 * test_util.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler/fi_jdoc.h"
#include "handler/fi_json.h"
#include "handler/fi_record.h"
#include "common/jtext.h"
#include "test_util.h"

/* fi_jdoc's verdict on text[0..len) (a private copy is parsed). */
static int jdoc_ok(const char *text, size_t len, int dups)
{
    fi_jdoc d = {0};
    char *copy = malloc(len + 1);
    memcpy(copy, text, len);
    int rc = fi_jdoc_parse(&d, copy, len, dups);
    fi_jdoc_free(&d);
    free(copy);
    return rc == 0;
}

static int jansson_ok(const char *text, size_t len, int dups)
{
    json_t *v = json_loadb(text, len, dups ? JSON_REJECT_DUPLICATES : 0, NULL);
    json_decref(v);
    return v != NULL;
}

/* Accept or refuse, as jansson does, with the verdict written down too. */
static void test_acceptance(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int ok, ok_dups; /* verdict without / with JSON_REJECT_DUPLICATES */
    } cases[] = {
        {"{}", 1, 1}, {"[]", 1, 1}, {" \t\r\n{ } \n", 1, 1},
        {"", 0, 0}, {"   ", 0, 0}, {"1", 0, 0}, {"\"s\"", 0, 0}, {"null", 0, 0},
        {"{} {}", 0, 0}, {"{}x", 0, 0}, {"{", 0, 0}, {"[1,]", 0, 0}, {"[,1]", 0, 0},
        {"{\"a\" 1}", 0, 0}, {"{\"a\":}", 0, 0}, {"{a:1}", 0, 0}, {"{\"a\":1,}", 0, 0},
        {"[true,false,null]", 1, 1}, {"[tru]", 0, 0}, {"[truex]", 0, 0}, {"[True]", 0, 0},
        {"[true1]", 0, 0}, {"[nul]", 0, 0},
        /* numbers */
        {"[0,-0,1.5,-2E+3,1e-7,90.50,1.000e+010]", 1, 1}, {"[01]", 0, 0}, {"[-]", 0, 0},
        {"[1.]", 0, 0}, {"[.5]", 0, 0}, {"[1e]", 0, 0}, {"[1e+]", 0, 0}, {"[+1]", 0, 0},
        {"[1.5.3]", 0, 0}, {"[0x10]", 0, 0}, {"[Infinity]", 0, 0}, {"[NaN]", 0, 0},
        {"[9223372036854775807,-9223372036854775808]", 1, 1},
        {"[9223372036854775808]", 0, 0}, {"[-9223372036854775809]", 0, 0},
        {"[12345678901234567890123]", 0, 0}, {"[1e308,1e-400,4.9e-324]", 1, 1},
        {"[1e309]", 0, 0}, {"[-1e309]", 0, 0}, {"[2e308]", 0, 0},
        /* strings, escapes, unicode */
        {"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 1, 1}, {"[\"\\a\"]", 0, 0}, {"[\"\\u00e9\\u20AC\"]", 1, 1},
        {"[\"\\u00g9\"]", 0, 0}, {"[\"\\u12\"]", 0, 0}, {"[\"\\ud83d\\ude00\"]", 1, 1},
        {"[\"\\ud83d\"]", 0, 0}, {"[\"\\ud83dx\"]", 0, 0}, {"[\"\\ude00\"]", 0, 0},
        {"[\"\\ud83d\\u0041\"]", 0, 0}, {"[\"\\u0000\"]", 0, 0}, {"{\"\\u0000\":1}", 0, 0},
        {"[\"a\tb\"]", 0, 0}, {"[\"a\nb\"]", 0, 0}, {"[\"\x7f\"]", 1, 1}, {"[\"abc]", 0, 0},
        {"[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]", 1, 1},
        {"[\"\xc3\"]", 0, 0}, {"[\"\xc0\xaf\"]", 0, 0}, {"[\"\xe0\x80\xaf\"]", 0, 0},
        {"[\"\xed\xa0\x80\"]", 0, 0}, {"[\"\xf4\x90\x80\x80\"]", 0, 0}, {"[\"\xff\"]", 0, 0},
        {"[\"\x80\"]", 0, 0}, {"\xef\xbb\xbf{}", 0, 0}, {"[1]\xc3\xa9", 0, 0},
        /* duplicate keys, also spelled differently */
        {"{\"a\":1,\"a\":2}", 1, 0}, {"{\"a\":1,\"\\u0061\":2}", 1, 0}, {"{\"a\":1,\"b\":{\"a\":2}}", 1, 1},
        {"{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,"
         "\"k9\":9,\"k10\":0,\"k11\":1,\"k12\":2,\"k13\":3,\"k14\":4,\"k15\":5,\"k16\":6,\"k5\":7}", 1, 0},
        {"{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,"
         "\"k9\":9,\"k10\":0,\"k11\":1,\"k12\":2,\"k13\":3,\"k14\":4,\"k15\":5,\"k16\":6,\"k17\":7}", 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].text);
        print_message("case %zu: %s\n", i, cases[i].text);
        assert_int_equal(jdoc_ok(cases[i].text, n, 0), cases[i].ok);
        assert_int_equal(jdoc_ok(cases[i].text, n, 1), cases[i].ok_dups);
        assert_int_equal(jansson_ok(cases[i].text, n, 0), cases[i].ok);
        assert_int_equal(jansson_ok(cases[i].text, n, 1), cases[i].ok_dups);
    }
    /* a NUL byte is no whitespace, nor allowed in a string */
    assert_false(jdoc_ok("[1]\0", 4, 0));
    assert_false(jdoc_ok("[\"a\0\"]", 6, 0));
    /* depth: jansson refuses a value 2049 levels down */
    for (int depth = 2047; depth <= 2050; depth++) {
        char *t = malloc((size_t)depth * 2 + 2);
        size_t n = 0;
        for (int k = 0; k < depth; k++)
            t[n++] = '[';
        for (int k = 0; k < depth; k++)
            t[n++] = ']';
        assert_int_equal(jdoc_ok(t, n, 1), jansson_ok(t, n, 1));
        assert_int_equal(jdoc_ok(t, n, 1), depth <= 2048);
        free(t);
    }
}

/* What the nodes say: decoded strings, number tokens, lookups. */
static void test_values(void **state)
{
    (void)state;
    char text[] = "{\"s\": \"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\", \"n\": [90.50, -2E+3, 7],"
                  " \"d\": 1, \"d\": \"last\", \"caf\\u00e9\": true, \"o\": {}}";
    fi_jdoc d = {0};
    int plain;
    assert_int_equal(fi_jdoc_parse(&d, text, strlen(text), 0), 0);
    assert_int_equal(d.n[0].type, FI_J_OBJ);
    assert_int_equal(d.n[0].len, 6);
    size_t s = fi_jdoc_get(&d, 0, "s", &plain);
    assert_string_equal(fi_jdoc_str(&d, s), "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(d.n[s].len, 13);
    assert_true(d.n[s].esc);
    assert_true(plain);
    size_t arr = fi_jdoc_get(&d, 0, "n", NULL);
    assert_true(fi_jdoc_is(&d, arr, FI_J_ARR));
    assert_int_equal(d.n[arr].len, 3);
    static const struct { const char *tok; int type; double v; } nums[] = {
        {"90.50", FI_J_REAL, 90.5}, {"-2E+3", FI_J_REAL, -2000.0}, {"7", FI_J_INT, 7.0}};
    size_t e = arr + 1;
    for (int i = 0; i < 3; i++, e = d.n[e].next) {
        assert_int_equal(d.n[e].type, nums[i].type);
        assert_int_equal(d.n[e].len, strlen(nums[i].tok));
        assert_memory_equal(d.text + d.n[e].pos, nums[i].tok, d.n[e].len);
        assert_true(fi_jdoc_number(&d, e) == nums[i].v);
    }
    assert_string_equal(fi_jdoc_str(&d, fi_jdoc_get(&d, 0, "d", NULL)), "last"); /* jansson keeps the last */
    size_t cafe = fi_jdoc_get(&d, 0, "caf\xc3\xa9", &plain);
    assert_true(fi_jdoc_is(&d, cafe, FI_J_TRUE));
    assert_false(plain); /* key spelled with an escape: the raw scanner would not find it */
    assert_true(fi_jdoc_is(&d, fi_jdoc_get(&d, 0, "o", NULL), FI_J_OBJ));
    assert_int_equal(fi_jdoc_get(&d, 0, "missing", NULL), 0);
    assert_int_equal(fi_jdoc_get(&d, arr, "s", NULL), 0); /* not an object */
    assert_null(fi_jdoc_str(&d, arr));
    assert_true(fi_jdoc_number(&d, s) == 0.0);
    fi_jdoc_free(&d);

    /* a member after a value nested 513 deep is not plain; 512 is */
    for (int depth = 512; depth <= 513; depth++) {
        char *t = malloc((size_t)depth * 2 + 64);
        size_t n = (size_t)sprintf(t, "{\"deep\":");
        for (int k = 0; k < depth + 1; k++)
            t[n++] = '[';
        for (int k = 0; k < depth + 1; k++)
            t[n++] = ']';
        n += (size_t)sprintf(t + n, ",\"x\":1.50}");
        assert_int_equal(fi_jdoc_parse(&d, t, n, 1), 0);
        size_t x = fi_jdoc_get(&d, 0, "x", &plain);
        assert_true(fi_jdoc_is_number(&d, x));
        assert_int_equal(plain, depth < 513);
        free(t);
    }
    fi_jdoc_free(&d);
}

/* fi_jdoc's nodes as a jansson value, to compare with json_loadb's. */
static json_t *to_json(const fi_jdoc *d, size_t i)
{
    const fi_jnode *n = &d->n[i];
    switch (n->type) {
    case FI_J_OBJ: {
        json_t *o = json_object();
        size_t c = i + 1;
        for (uint32_t m = 0; m < n->len; m++, c = d->n[c + 1].next)
            json_object_setn_new(o, d->text + d->n[c].pos, d->n[c].len, to_json(d, c + 1));
        return o;
    }
    case FI_J_ARR: {
        json_t *a = json_array();
        size_t c = i + 1;
        for (uint32_t m = 0; m < n->len; m++, c = d->n[c].next)
            json_array_append_new(a, to_json(d, c));
        return a;
    }
    case FI_J_STR: return json_stringn(d->text + n->pos, n->len);
    case FI_J_INT: return json_integer((json_int_t)fi_jdoc_number(d, i));
    case FI_J_REAL: return json_real(fi_jdoc_number(d, i));
    case FI_J_TRUE: return json_true();
    case FI_J_FALSE: return json_false();
    default: return json_null();
    }
}

/* Mutated records: same verdict as jansson, same values when accepted. */
static void test_against_jansson(void **state)
{
    (void)state;
    size_t rlen;
    char *rec = test_fixture("records/formats-md-example.json", &rlen);
    static const char alphabet[] = "{}[]\",:0-.eE+9aZ \\u\x80\xc3\xa9\xff\t\n/\x01";
    unsigned seed = 7;
    size_t accepted = 0;
    for (int round = 0; round < 4000; round++) {
        char *mut = malloc(rlen + 1);
        memcpy(mut, rec, rlen);
        size_t n = rlen;
        for (int k = 0, edits = round % 50 == 0 ? 0 : 1 + rand_r(&seed) % 3; k < edits; k++)
            mut[rand_r(&seed) % n] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
        if (round % 7 == 0)
            n = (size_t)rand_r(&seed) % rlen;
        int dups = round % 2;
        json_t *want = json_loadb(mut, n, dups ? JSON_REJECT_DUPLICATES : 0, NULL);
        fi_jdoc d = {0};
        int rc = fi_jdoc_parse(&d, mut, n, dups);
        assert_int_equal(rc == 0, want != NULL);
        if (rc == 0) {
            json_t *got = to_json(&d, 0);
            assert_true(json_equal(got, want));
            json_decref(got);
            accepted++;
        }
        json_decref(want);
        fi_jdoc_free(&d);
        free(mut);
    }
    assert_true(accepted > 200); /* the mutations also hit harmless bytes */
    free(rec);
}

/* jtext_put_string writes what json_dumps writes. */
static void test_quote(void **state)
{
    (void)state;
    static const struct { const char *in; size_t n; const char *out; } cases[] = {
        {"", 0, "\"\""},
        {"alice.jpg", 9, "\"alice.jpg\""},
        {"a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\""},
        {"\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\""},
        {"\x01\x1f\x7f", 3, "\"\\u0001\\u001F\x7f\""},
        {"caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "\"caf\xc3\xa9 \xf0\x9f\x98\x80\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jtext_buf t = {0};
        jtext_put_string(&t, cases[i].in, cases[i].n);
        char *got = jtext_finish(&t, NULL);
        assert_string_equal(got, cases[i].out);
        json_t *s = json_stringn(cases[i].in, cases[i].n);
        char *want = json_dumps(s, JSON_COMPACT | JSON_ENCODE_ANY);
        assert_string_equal(got, want);
        free(want);
        json_decref(s);
        free(got);
    }
    jtext_buf t = {0};
    jtext_put_uint(&t, 0);
    jtext_puts(&t, ",");
    jtext_put_uint(&t, 18446744073709551615ull);
    char *got = jtext_finish(&t, NULL);
    assert_string_equal(got, "0,18446744073709551615");
    free(got);
}

/* Every fixture record: item text == json_dumps(item), numbers as written. */
static void test_item_text(void **state)
{
    (void)state;
    char path[512];
    DIR *dir = opendir(test_fixture_path("records", path, sizeof path));
    struct dirent *de;
    size_t items = 0;
    assert_non_null(dir);
    while ((de = readdir(dir)) != NULL) {
        char rel[300]; /* "records/" and a d_name of up to 255 bytes */
        size_t len;
        if (!strstr(de->d_name, ".json"))
            continue;
        snprintf(rel, sizeof rel, "records/%s", de->d_name);
        fi_rec r;
        memset(&r, 0, sizeof r);
        r.text = test_fixture(rel, &len);
        strcpy(r.shard, "shardId-000000000000");
        strcpy(r.arrival, "1717430405.768");
        r.shard_ok = 1;
        r.k = (fi_kctx){"arn:aws:kinesis:us-east-1:1:stream/s\"q", "4968058997", r.shard, "pk\n1",
                        r.arrival};
        fi_sightings out = {0};
        fi_jdoc d = {0};
        char why[256];
        int n = fi_record_parse(&r, len, 3, &d, &out, why, sizeof why);
        assert_true(n >= 0);
        for (size_t i = 0; i < out.n; i++) {
            jtext_buf t = {0};
            fi_item_text(&t, &out.v[i], &r);
            char *got = jtext_finish(&t, NULL);
            json_t *item = fi_item_json(&out.v[i], &r);
            char *want = json_dumps(item, JSON_COMPACT);
            assert_string_equal(got, want);
            assert_int_equal(out.v[i].rec, 3);
            assert_string_equal(fi_av_get_s(item, "id"), out.v[i].id);
            free(got);
            free(want);
            json_decref(item);
            items++;
        }
        free(out.v);
        fi_jdoc_free(&d);
        fi_rec_clear(&r);
    }
    closedir(dir);
    assert_true(items >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acceptance),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_against_jansson),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_item_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
