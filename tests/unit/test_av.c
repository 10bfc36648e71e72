/*
 * test_av.c - src/emu/av.c: validation and normalisation (with DynamoDB's
 * messages), item sizes, equality, ordering, key encoding, and a seeded
 * fuzz run proving av_validate survives arbitrary JSON.  Tables of
 * (input, expected) throughout; JSON is written with single quotes for
 * readability and converted before parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu/av.h"

#define INV "One or more parameter values were invalid: "
#define MSG_EMPTY "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
#define MSG_MULTI                                                                          \
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of " \
    "the supported datatypes"
#define MSG_NUM "A value provided cannot be converted into a number"
#define MSG_DEPTH                                                                    \
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested " \
    "levels beyond supported limit"
#define VAL ERR_DDB_VALIDATION
#define SER ERR_DDB_SERIALIZATION

/* Parse JSON written with ' for " (no test string needs a literal '). */
static json_t *js(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *v = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (v == NULL)
        fail_msg("bad test JSON %s: %s", text, e.text);
    free(s);
    return v;
}

/* ---- validation ---------------------------------------------------------------------------- */

static const struct {
    const char *in, *out;
} valid_cases[] = {
    {"{'S':'x'}", "{'S':'x'}"},
    {"{'S':''}", "{'S':''}"},                          /* empty strings allowed since 2020 */
    {"{'B':''}", "{'B':''}"},
    {"{'B':'AAEC'}", "{'B':'AAEC'}"},
    {"{'N':'1E+2'}", "{'N':'100'}"},
    {"{'N':'-0.0'}", "{'N':'0'}"},
    {"{'N':'1e-5'}", "{'N':'0.00001'}"},
    {"{'NS':['1.0','2E0','-0']}", "{'NS':['1','2','0']}"}, /* order kept */
    {"{'SS':['','a']}", "{'SS':['','a']}"},
    {"{'SS':['a','A']}", "{'SS':['a','A']}"},
    {"{'BS':['AA==','AAA=','']}", "{'BS':['AA==','AAA=','']}"},
    {"{'BOOL':false}", "{'BOOL':false}"},
    {"{'BOOL':'yes'}", "{'BOOL':true}"},
    {"{'BOOL':'0'}", "{'BOOL':false}"},
    {"{'NULL':'TRUE'}", "{'NULL':true}"},
    {"{'S':'x','Other':1}", "{'S':'x'}"},              /* unknown members are ignored */
    {"{'S':'x','N':null}", "{'S':'x'}"},               /* so are JSON nulls */
    {"{'L':[]}", "{'L':[]}"},
    {"{'M':{}}", "{'M':{}}"},
    {"{'L':[{'N':'01'},{'L':[{'NS':['5','0.50']}]}]}", "{'L':[{'N':'1'},{'L':[{'NS':['5','0.5']}]}]}"},
    {"{'M':{'a':{'N':'1.50'},'b':{'M':{'c':{'N':'-.5e1'}}}}}",
     "{'M':{'a':{'N':'1.5'},'b':{'M':{'c':{'N':'-5'}}}}}"},
};

static void test_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        json_t *in = js(valid_cases[i].in), *want = js(valid_cases[i].out);
        err_t err = {0};
        if (av_validate(in, &err) != 0)
            fail_msg("case %zu %s: %s", i, valid_cases[i].in, err.msg);
        if (!json_equal(in, want)) {
            char *got = json_dumps(in, 0);
            fail_msg("case %zu: got %s want %s", i, got, valid_cases[i].out);
        }
        json_decref(in);
        json_decref(want);
    }
}

static const struct {
    const char *in;
    err_code code;
    const char *msg;
} invalid_cases[] = {
    /* ValidationException */
    {"{}", VAL, MSG_EMPTY},
    {"null", VAL, MSG_EMPTY},
    {"{'X':'a'}", VAL, MSG_EMPTY},
    {"{'S':null}", VAL, MSG_EMPTY},
    {"{'S':'a','N':'1'}", VAL, MSG_MULTI},
    {"{'S':'a','BOOL':true,'NULL':true}", VAL, MSG_MULTI},
    {"{'S':'a','N':'x'}", VAL, MSG_NUM},             /* values before the type count */
    {"{'N':'abc'}", VAL, MSG_NUM},
    {"{'N':''}", VAL, MSG_NUM},
    {"{'N':' 1'}", VAL, MSG_NUM},
    {"{'N':'+1'}", VAL, MSG_NUM},
    {"{'N':'1\\u00002'}", VAL, MSG_NUM},
    {"{'N':'1e126'}", VAL,
     "Number overflow. Attempting to store a number with magnitude larger than supported range"},
    {"{'N':'1e-131'}", VAL,
     "Number underflow. Attempting to store a number with magnitude smaller than supported range"},
    {"{'N':'123456789012345678901234567890123456789'}", VAL,
     "Attempting to store more than 38 significant digits in a Number"},
    {"{'NULL':false}", VAL, INV "Null attribute value types must have the value of true"},
    {"{'NULL':'no'}", VAL, INV "Null attribute value types must have the value of true"},
    {"{'SS':[]}", VAL, INV "An string set  may not be empty"},
    {"{'NS':[]}", VAL, INV "An number set  may not be empty"},
    {"{'BS':[]}", VAL, INV "Binary sets should not be empty"},
    {"{'SS':['a','a']}", VAL, INV "Input collection [a, a] contains duplicates."},
    {"{'SS':['a','b','a']}", VAL, INV "Input collection [a, b, a] contains duplicates."},
    {"{'SS':['','']}", VAL, INV "Input collection [, ] contains duplicates."},
    {"{'NS':['1','1.0']}", VAL, "Input collection contains duplicates"},
    {"{'NS':['100','1E2','3']}", VAL, "Input collection contains duplicates"},
    {"{'NS':['-0','0']}", VAL, "Input collection contains duplicates"},
    {"{'NS':['1','x']}", VAL, MSG_NUM},
    {"{'NS':['1',null]}", VAL, MSG_NUM},
    {"{'BS':['QUE=','QUE=']}", VAL, INV "Input collection [QUE=, QUE=]of type BS contains duplicates."},
    {"{'BS':[null]}", VAL, INV "Binary sets may not contain null or empty values"},
    {"{'M':{'a':{}}}", VAL, MSG_EMPTY},
    {"{'L':[{'S':'a'},{'NS':[]}]}", VAL, INV "An number set  may not be empty"},
    {"{'L':[null]}", VAL, MSG_EMPTY},
    /* SerializationException: the JSON does not fit the shape */
    {"'x'", SER, "Expected null"},
    {"5", SER, "Expected null"},
    {"true", SER, "Expected null"},
    {"[]", SER, "Start of list found where not expected"},
    {"{'S':1}", SER, "NUMBER_VALUE cannot be converted to String"},
    {"{'S':1.5}", SER, "NUMBER_VALUE cannot be converted to String"},
    {"{'N':5}", SER, "NUMBER_VALUE cannot be converted to String"},
    {"{'S':true}", SER, "class java.lang.Boolean can not be converted to an String"},
    {"{'S':[]}", SER, "Start of list found where not expected"},
    {"{'S':{}}", SER, "Start of structure or map found where not expected."},
    {"{'B':5}", SER,
     "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob"},
    {"{'B':'abc'}", SER,
     "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 "
     "bytes but found: 3"},
    {"{'B':'ab!='}", SER, "'ab!=' can not be converted to a Blob: Invalid Base64 character: '!'"},
    {"{'B':'a=bc'}", SER, "'a=bc' can not be converted to a Blob: Invalid Base64 character: '='"},
    {"{'B':'Zh=='}", SER,
     "'Zh==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"},
    {"{'BOOL':'maybe'}", SER, "'MAYBE' can not be converted to an Boolean"},
    {"{'BOOL':1}", SER,
     "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an "
     "Boolean"},
    {"{'BOOL':[]}", SER, "Start of list found where not expected"},
    {"{'L':'x'}", SER, "Expected list or null"},
    {"{'L':{}}", SER, "Start of structure or map found where not expected."},
    {"{'SS':'a'}", SER, "Expected list or null"},
    {"{'SS':[1]}", SER, "NUMBER_VALUE cannot be converted to String"},
    {"{'SS':[['a']]}", SER, "Start of list found where not expected"},
    {"{'BS':['abc']}", SER,
     "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 "
     "bytes but found: 3"},
    {"{'M':[]}", SER, "Start of list found where not expected"},
    {"{'M':'x'}", SER, "Expected map or null"},
    {"{'L':[{'S':1}]}", SER, "NUMBER_VALUE cannot be converted to String"},
    {"{'M':{'a':'x'}}", SER, "Expected null"},
    /* Shape errors anywhere outrank value errors that come earlier. */
    {"{'M':{'a':{},'b':{'S':1}}}", SER, "NUMBER_VALUE cannot be converted to String"},
};

static void test_invalid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        json_t *in = js(invalid_cases[i].in);
        err_t err = {0};
        if (av_validate(in, &err) != -1)
            fail_msg("case %zu %s: accepted", i, invalid_cases[i].in);
        if (err.code != invalid_cases[i].code || strcmp(err.msg, invalid_cases[i].msg) != 0)
            fail_msg("case %zu %s: got (%d) %s", i, invalid_cases[i].in, err.code, err.msg);
        json_decref(in);
    }
    err_t err = {0};
    assert_int_equal(av_validate(NULL, &err), -1);
    assert_string_equal(err.msg, MSG_EMPTY);
}

/* n levels of wrapping around a scalar: {"M":{"k":{"M":...{"S":"x"}}}}. */
static json_t *nest(int n, int list)
{
    json_t *v = json_pack("{s:s}", "S", "x");
    for (int i = 0; i < n; i++)
        v = list ? json_pack("{s:[o]}", "L", v) : json_pack("{s:{s:o}}", "M", "k", v);
    return v;
}

static void test_depth(void **state)
{
    (void)state;
    for (int list = 0; list <= 1; list++) {
        err_t err = {0};
        json_t *ok = nest(31, list), *deep = nest(32, list);
        if (av_validate(ok, &err) != 0)
            fail_msg("31 wraps rejected: %s", err.msg);
        assert_int_equal(av_validate(deep, &err), -1);
        assert_int_equal(err.code, VAL);
        assert_string_equal(err.msg, MSG_DEPTH);
        json_decref(ok);
        json_decref(deep);
    }
}

static void test_validate_item(void **state)
{
    static const struct {
        const char *in;
        int rc;
        const char *msg;
    } cases[] = {
        {"{}", 0, NULL},
        {"{'a':{'S':'x'},'b':{'N':'1.0'}}", 0, NULL},
        {"'x'", -1, "Expected map or null"},
        {"[]", -1, "Start of list found where not expected"},
        {"{'a':{}}", -1, MSG_EMPTY},
        {"{'a':{},'b':{'S':1}}", -1, "NUMBER_VALUE cannot be converted to String"},
        {"{'a':{'S':'x'},'b':{'NS':['2','2']}}", -1, "Input collection contains duplicates"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *in = js(cases[i].in);
        err_t err = {0};
        int rc = av_validate_item(in, &err);
        if (rc != cases[i].rc || (cases[i].msg && strcmp(err.msg, cases[i].msg) != 0))
            fail_msg("case %zu %s: rc %d msg %s", i, cases[i].in, rc, err.msg);
        json_decref(in);
    }
    json_t *item = js("{'n':{'N':'1.0'},'s':{'NS':['01','2e0']}}");
    err_t err = {0};
    assert_int_equal(av_validate_item(item, &err), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(item, "n"), "N")), "1");
    json_decref(item);
    assert_int_equal(av_validate_item(NULL, &err), -1);
}

/* ---- sizes ----------------------------------------------------------------------------------- */

static const struct {
    const char *item;
    size_t size;
} size_cases[] = {
    {"{}", 0},
    {"{'a':{'S':'abc'}}", 4},
    {"{'a':{'S':''}}", 1},
    {"{'ab':{'S':'\\u00e9'}}", 4},                      /* strings count UTF-8 bytes */
    {"{'\\u00e9':{'S':'\\u20ac'}}", 5},               /* so do names */
    {"{'n':{'N':'0'}}", 2},
    {"{'n':{'N':'1'}}", 3},
    {"{'n':{'N':'12'}}", 3},
    {"{'n':{'N':'123'}}", 4},
    {"{'n':{'N':'1.5'}}", 4},
    {"{'n':{'N':'-1'}}", 4},
    {"{'n':{'N':'0.05'}}", 3},
    {"{'n':{'N':'12345678901234567890123456789012345678'}}", 21},
    {"{'n':{'N':'-12345678901234567890123456789012345678'}}", 22},
    {"{'n':{'N':'1000000'}}", 3},                      /* trailing zeros are free */
    {"{'b':{'B':'AAEC'}}", 4},
    {"{'b':{'B':'AA=='}}", 2},
    {"{'b':{'B':''}}", 1},
    {"{'t':{'BOOL':true}}", 2},
    {"{'z':{'NULL':true}}", 2},
    {"{'s':{'SS':['ab','c']}}", 4},
    {"{'s':{'NS':['1','12']}}", 5},
    {"{'s':{'BS':['AAEC','AA==']}}", 5},
    {"{'l':{'L':[]}}", 4},
    {"{'l':{'L':[{'S':'ab'},{'N':'1'}]}}", 10},
    {"{'m':{'M':{}}}", 4},
    {"{'m':{'M':{'k':{'S':'v'}}}}", 7},
    {"{'m':{'M':{'l':{'L':[{'M':{'x':{'BOOL':false}}}]}}}}", 16},
    {"{'a':{'S':'x'},'bb':{'N':'-1'}}", 7},
};

static void test_size_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
        json_t *item = js(size_cases[i].item);
        size_t got = av_item_size(item);
        if (got != size_cases[i].size)
            fail_msg("case %zu %s: size %zu want %zu", i, size_cases[i].item, got,
                     size_cases[i].size);
        json_decref(item);
    }
    json_t *v = js("{'L':[{'S':'ab'}]}");
    assert_int_equal(av_value_size(v), 3 + 1 + 2);
    json_decref(v);
    assert_int_equal(av_value_size(NULL), 0);
}

/* ---- equality and order ---------------------------------------------------------------------- */

static const struct {
    const char *a, *b;
    bool eq;
} eq_cases[] = {
    {"{'S':'a'}", "{'S':'a'}", true},
    {"{'S':'a'}", "{'S':'b'}", false},
    {"{'S':'a'}", "{'S':'a\\u0000'}", false},
    {"{'S':'1'}", "{'N':'1'}", false},
    {"{'N':'1'}", "{'N':'1.0'}", true},
    {"{'N':'1E2'}", "{'N':'100'}", true},
    {"{'N':'1'}", "{'N':'2'}", false},
    {"{'B':'AAEC'}", "{'B':'AAEC'}", true},
    {"{'B':'AAEC'}", "{'B':'AAED'}", false},
    {"{'BOOL':true}", "{'BOOL':true}", true},
    {"{'BOOL':true}", "{'BOOL':false}", false},
    {"{'NULL':true}", "{'NULL':true}", true},
    {"{'SS':['a','b']}", "{'SS':['b','a']}", true},
    {"{'SS':['a','b']}", "{'SS':['a','c']}", false},
    {"{'SS':['a','b']}", "{'SS':['a']}", false},
    {"{'NS':['1','2']}", "{'NS':['2.0','1']}", true},
    {"{'NS':['1','2']}", "{'NS':['1','3']}", false},
    {"{'BS':['AA==','AQ==']}", "{'BS':['AQ==','AA==']}", true},
    {"{'SS':['1']}", "{'NS':['1']}", false},
    {"{'L':[{'N':'1'},{'S':'x'}]}", "{'L':[{'N':'1.0'},{'S':'x'}]}", true},
    {"{'L':[{'N':'1'},{'N':'2'}]}", "{'L':[{'N':'2'},{'N':'1'}]}", false},
    {"{'L':[]}", "{'L':[{'N':'1'}]}", false},
    {"{'M':{'a':{'N':'1.50'},'b':{'S':'x'}}}", "{'M':{'b':{'S':'x'},'a':{'N':'1.5'}}}", true},
    {"{'M':{'a':{'N':'1'}}}", "{'M':{'a':{'N':'1'},'b':{'N':'1'}}}", false},
    {"{'M':{'a':{'N':'1'}}}", "{'M':{'b':{'N':'1'}}}", false},
    {"{}", "{}", false},
    {"{'S':'a','N':'1'}", "{'S':'a','N':'1'}", false},
};

static void test_equal_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(eq_cases) / sizeof(eq_cases[0]); i++) {
        json_t *a = js(eq_cases[i].a), *b = js(eq_cases[i].b);
        if (av_equal(a, b) != eq_cases[i].eq || av_equal(b, a) != eq_cases[i].eq)
            fail_msg("case %zu: %s vs %s should be %s", i, eq_cases[i].a, eq_cases[i].b,
                     eq_cases[i].eq ? "equal" : "different");
        json_decref(a);
        json_decref(b);
    }
    assert_false(av_equal(NULL, NULL));
}

static const struct {
    const char *a, *b;
    int rc, cmp;
} cmp_cases[] = {
    {"{'S':'a'}", "{'S':'b'}", 0, -1},
    {"{'S':'a'}", "{'S':'ab'}", 0, -1},
    {"{'S':''}", "{'S':'a'}", 0, -1},
    {"{'S':'Z'}", "{'S':'a'}", 0, -1},
    {"{'S':'z'}", "{'S':'\\u00e9'}", 0, -1},            /* UTF-8 bytes, not locale */
    {"{'S':'\\uffff'}", "{'S':'\\ud83d\\ude00'}", 0, -1},
    {"{'S':'a'}", "{'S':'a'}", 0, 0},
    {"{'N':'-10'}", "{'N':'9'}", 0, -1},
    {"{'N':'10'}", "{'N':'9'}", 0, 1},
    {"{'N':'1.0'}", "{'N':'1'}", 0, 0},
    {"{'N':'0.001'}", "{'N':'0.01'}", 0, -1},
    {"{'B':'AA=='}", "{'B':'AQ=='}", 0, -1},
    {"{'B':'AA=='}", "{'B':'AAA='}", 0, -1},
    {"{'B':'/w=='}", "{'B':'AAA='}", 0, 1},             /* unsigned bytes */
    {"{'B':''}", "{'B':'AA=='}", 0, -1},
    {"{'S':'1'}", "{'N':'1'}", -1, 0},
    {"{'BOOL':true}", "{'BOOL':false}", -1, 0},
    {"{'SS':['a']}", "{'SS':['a']}", -1, 0},
    {"{'L':[]}", "{'L':[]}", -1, 0},
};

static void test_compare_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cmp_cases) / sizeof(cmp_cases[0]); i++) {
        json_t *a = js(cmp_cases[i].a), *b = js(cmp_cases[i].b);
        int cmp = 42, rc = av_compare(a, b, &cmp);
        if (rc != cmp_cases[i].rc)
            fail_msg("case %zu: rc %d", i, rc);
        if (rc == 0 && (cmp > 0) - (cmp < 0) != cmp_cases[i].cmp)
            fail_msg("case %zu: %s vs %s cmp %d", i, cmp_cases[i].a, cmp_cases[i].b, cmp);
        if (rc == 0 && av_compare(b, a, &cmp) == 0 && (cmp > 0) - (cmp < 0) != -cmp_cases[i].cmp)
            fail_msg("case %zu: not antisymmetric", i);
        json_decref(a);
        json_decref(b);
    }
}

/* ---- key encoding ---------------------------------------------------------------------------- */

/* Per type, values in strictly increasing DynamoDB order. */
static const char *const key_orders[][12] = {
    {"{'S':''}", "{'S':'A'}", "{'S':'Z'}", "{'S':'a'}", "{'S':'a\\u0000'}", "{'S':'ab'}",
     "{'S':'b'}", "{'S':'\\u00e9'}", "{'S':'\\uffff'}", "{'S':'\\ud83d\\ude00'}", NULL},
    {"{'N':'-1E+125'}", "{'N':'-100'}", "{'N':'-1.5'}", "{'N':'-1'}", "{'N':'-0.01'}",
     "{'N':'0'}", "{'N':'1E-130'}", "{'N':'0.5'}", "{'N':'1'}", "{'N':'10'}",
     "{'N':'9.9999999999999999999999999999999999999E+125'}", NULL},
    {"{'B':''}", "{'B':'AA=='}", "{'B':'AAA='}", "{'B':'AAE='}", "{'B':'AQ=='}", "{'B':'fw=='}",
     "{'B':'gA=='}", "{'B':'/w=='}", "{'B':'//8='}", NULL},
};

static int blob_cmp(const unsigned char *a, size_t na, const unsigned char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    c = c != 0 ? c : (na > nb) - (na < nb);
    return (c > 0) - (c < 0);
}

static void test_key_order(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof(key_orders) / sizeof(key_orders[0]); t++) {
        unsigned char *enc[12];
        size_t len[12], n = 0;
        err_t err = {0};
        json_t *vals[12];
        for (; key_orders[t][n] != NULL; n++) {
            vals[n] = js(key_orders[t][n]);
            if (av_key_encode(vals[n], &enc[n], &len[n], &err) != 0)
                fail_msg("%s: %s", key_orders[t][n], err.msg);
            assert_non_null(enc[n]);
        }
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < n; j++) {
                int want = (i > j) - (i < j), cmp;
                if (blob_cmp(enc[i], len[i], enc[j], len[j]) != want)
                    fail_msg("encoding order %s vs %s", key_orders[t][i], key_orders[t][j]);
                assert_int_equal(av_compare(vals[i], vals[j], &cmp), 0);
                if ((cmp > 0) - (cmp < 0) != want)
                    fail_msg("av_compare %s vs %s", key_orders[t][i], key_orders[t][j]);
            }
        }
        for (size_t i = 0; i < n; i++) {
            free(enc[i]);
            json_decref(vals[i]);
        }
    }
}

static void test_key_encode_values(void **state)
{
    unsigned char *out;
    size_t len;
    err_t err = {0};
    json_t *v;
    (void)state;

    v = js("{'S':'h\\u00e9'}");
    assert_int_equal(av_key_encode(v, &out, &len, &err), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(out, "h\xc3\xa9", 3);
    free(out);
    json_decref(v);

    v = js("{'B':'AAEC'}");
    assert_int_equal(av_key_encode(v, &out, &len, &err), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(out, "\0\1\2", 3);
    free(out);
    json_decref(v);

    /* Equal numbers, equal keys. */
    unsigned char *o2;
    size_t l2;
    json_t *a = js("{'N':'1.0'}"), *b = js("{'N':'1'}");
    assert_int_equal(av_key_encode(a, &out, &len, &err), 0);
    assert_int_equal(av_key_encode(b, &o2, &l2, &err), 0);
    assert_int_equal(len, l2);
    assert_memory_equal(out, o2, len);
    free(out);
    free(o2);
    json_decref(a);
    json_decref(b);

    static const char *const bad[] = {"{'BOOL':true}", "{'SS':['a']}", "{}", "{'N':'x'}",
                                      "{'B':'!!!!'}", "{'S':1}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = js(bad[i]);
        out = (unsigned char *)"sentinel";
        if (av_key_encode(v, &out, &len, &err) != -1)
            fail_msg("%s encoded", bad[i]);
        assert_null(out);
        assert_int_equal(err.code, VAL);
        json_decref(v);
    }
}

static void test_binary_decode(void **state)
{
    unsigned char *out;
    size_t len;
    json_t *v = json_string("Zm9vYg==");
    (void)state;
    assert_int_equal(av_binary_decode(v, &out, &len), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(out, "foob", 4);
    free(out);
    json_decref(v);
    v = json_string("Zm9vYg=");
    assert_int_equal(av_binary_decode(v, &out, &len), -1);
    json_decref(v);
    v = json_integer(3);
    assert_int_equal(av_binary_decode(v, &out, &len), -1);
    assert_null(out);
    json_decref(v);
}

static void test_type_names(void **state)
{
    (void)state;
    for (int t = AV_S; t <= AV_BS; t++) {
        const char *name = av_type_name((av_type_t)t);
        assert_true(name[0] != '\0');
        assert_int_equal(av_type_parse(name), t);
        json_t *v = json_pack("{s:s}", name, "x");
        assert_int_equal(av_type(v), t);
        json_decref(v);
    }
    assert_string_equal(av_type_name(AV_INVALID), "");
    assert_string_equal(av_type_name((av_type_t)99), "");
    /* Prefixes, extensions and near misses of every name. */
    static const char *const bad[] = {"s", "X", "SSS", "SN", "NU", "NUL", "NULLS", "NSS", "BO",
                                      "BOO", "BOOLS", "BSS", "LL", "MM", "L ", "S\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(av_type_parse(bad[i]), AV_INVALID);
    assert_int_equal(av_type_parse(""), AV_INVALID);
    assert_int_equal(av_type_parse(NULL), AV_INVALID);
    assert_int_equal(av_type(NULL), AV_INVALID);
    json_t *two = js("{'S':'a','N':'1'}"), *none = js("{}"), *arr = js("[]");
    assert_int_equal(av_type(two), AV_INVALID);
    assert_int_equal(av_type(none), AV_INVALID);
    assert_int_equal(av_type(arr), AV_INVALID);
    json_decref(two);
    json_decref(none);
    json_decref(arr);
}

/* ---- robustness ------------------------------------------------------------------------------ */

static unsigned long rng = 12345;
static unsigned rnd(unsigned n)
{
    rng = rng * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned)(rng >> 33) % n;
}

/* Random JSON biased toward AttributeValue-like shapes. */
static json_t *random_json(int depth)
{
    static const char *const keys[] = {"S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS", "x"};
    static const char *const strs[] = {"", "a", "1", "1.0", "-0", "1e200", "AA==", "Zh==", "abc",
                                       "true", "no", "9.99e125"};
    unsigned k = depth > 6 ? rnd(6) : rnd(9);
    json_t *v;
    switch (k) {
    case 0: return json_null();
    case 1: return json_boolean(rnd(2));
    case 2: return json_integer(rnd(100));
    case 3: return json_real(0.5);
    case 4: case 5: return json_string(strs[rnd(sizeof(strs) / sizeof(strs[0]))]);
    case 6:
        v = json_array();
        for (unsigned i = rnd(4); i > 0; i--)
            json_array_append_new(v, random_json(depth + 1));
        return v;
    default:
        v = json_object();
        for (unsigned i = rnd(3); i > 0; i--)
            json_object_set_new(v, keys[rnd(sizeof(keys) / sizeof(keys[0]))], random_json(depth + 1));
        return v;
    }
}

static void test_fuzz(void **state)
{
    int accepted = 0;
    (void)state;
    for (int i = 0; i < 20000; i++) {
        json_t *v = random_json(0);
        err_t err = {0};
        if (av_validate(v, &err) == 0) {
            accepted++;
            /* A valid value is a fixed point, equal to its copy, and sized. */
            json_t *copy = json_deep_copy(v);
            assert_int_equal(av_validate(copy, &err), 0);
            assert_true(json_equal(copy, v));
            assert_true(av_equal(v, copy));
            json_t *item = json_pack("{s:O}", "k", v);
            assert_int_equal(av_item_size(item), 1 + av_value_size(v));
            json_decref(item);
            json_decref(copy);
        } else {
            assert_true(err.code == VAL || err.code == SER);
            assert_true(err.msg[0] != '\0');
        }
        json_decref(v);
    }
    assert_true(accepted > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_invalid_table),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_validate_item),
        cmocka_unit_test(test_size_table),
        cmocka_unit_test(test_equal_table),
        cmocka_unit_test(test_compare_table),
        cmocka_unit_test(test_key_order),
        cmocka_unit_test(test_key_encode_values),
        cmocka_unit_test(test_binary_decode),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
