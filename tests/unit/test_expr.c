/*
 * test_expr.c - table-driven tests of the expression engine (expr.h):
 * parser accept/reject with DynamoDB's exact messages, evaluator truth
 * table over one fixture item, update application (item + expression ->
 * item), projection, key conditions and the legacy parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu/expr.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = text ? json_loads(text, 0, &e) : NULL;
    if (text && v == NULL)
        fail_msg("bad JSON in test table: %s (%s)", text, e.text);
    return v;
}

/* Values shared by the evaluator and update tables. */
static const char *VALUES =
    "{\":s\":{\"S\":\"hello world\"},\":h\":{\"S\":\"hello\"},\":n5\":{\"N\":\"5\"},"
    "\":n4\":{\"N\":\"4\"},\":n6\":{\"N\":\"6.0\"},\":x\":{\"S\":\"x\"},\":a\":{\"S\":\"a\"},"
    "\":one\":{\"N\":\"1\"},\":two\":{\"N\":\"2\"},\":t\":{\"BOOL\":true},\":tS\":{\"S\":\"S\"},"
    "\":tN\":{\"S\":\"N\"},\":tM\":{\"S\":\"M\"},\":tL\":{\"S\":\"L\"},\":tSS\":{\"S\":\"SS\"},"
    "\":b\":{\"B\":\"aGVs\"},\":deep\":{\"S\":\"deep\"},\":wor\":{\"S\":\"wor\"},"
    "\":n7\":{\"N\":\"7\"},\":n11\":{\"N\":\"11\"},\":n3\":{\"N\":\"3\"},\":z\":{\"NULL\":true},"
    "\":ss\":{\"SS\":[\"y\",\"w\"]},\":ns\":{\"NS\":[\"2.50\",\"9\"]},\":l\":{\"L\":[{\"S\":\"q\"}]},"
    "\":e\":{\"S\":\"\"},\":m\":{\"M\":{\"k\":{\"S\":\"v\"}}},\":bs1\":{\"BS\":[\"AQ==\"]},"
    "\":zero\":{\"N\":\"0\"},\":big\":{\"N\":\"99999999999999999999999999999999999999\"}}";

static const char *NAMES =
    "{\"#n\":\"n\",\"#name\":\"name\",\"#m\":\"m\",\"#dot\":\"a.b\",\"#l\":\"l\",\"#s\":\"s\"}";

static const char *ITEM =
    "{\"id\":{\"S\":\"abc\"},\"n\":{\"N\":\"5\"},\"f\":{\"N\":\"1.5\"},"
    "\"s\":{\"S\":\"hello world\"},\"u\":{\"S\":\"h\\u00e9llo\"},\"b\":{\"B\":\"aGVsbG8=\"},"
    "\"t\":{\"BOOL\":true},\"z\":{\"NULL\":true},"
    "\"l\":{\"L\":[{\"S\":\"a\"},{\"N\":\"2\"},{\"M\":{\"x\":{\"S\":\"deep\"}}}]},"
    "\"m\":{\"M\":{\"a\":{\"M\":{\"b\":{\"N\":\"7\"}}},\"s\":{\"S\":\"in\"}}},"
    "\"ss\":{\"SS\":[\"x\",\"y\"]},\"ns\":{\"NS\":[\"1\",\"2.5\"]},\"bs\":{\"BS\":[\"AQ==\"]},"
    "\"a.b\":{\"S\":\"dotted\"},\"name\":{\"S\":\"reserved\"},\"e\":{\"S\":\"\"}}";

/* Parse text of kind with the shared names/values; returns 0/-1. */
static int parse_with(expr_kind kind, const char *text, const char *names, const char *values,
                      expr_t **out, err_t *err, bool check_unused)
{
    json_t *jn = J(names), *jv = J(values);
    expr_ctx ctx;
    expr_ctx_init(&ctx, jn, jv);
    int rc = expr_parse(&ctx, kind, text, out, err);
    if (rc == 0 && check_unused && expr_ctx_check_unused(&ctx, err) != 0) {
        expr_free(*out);
        *out = NULL;
        rc = -1;
    }
    expr_ctx_free(&ctx);
    json_decref(jn);
    json_decref(jv);
    return rc;
}

/* ---- parser accept / reject ----------------------------------------------------------- */

typedef struct {
    expr_kind kind;
    const char *text;
    const char *names, *values;   /* JSON or NULL */
    const char *error;            /* NULL: accepted */
} parse_case;

#define C EXPR_CONDITION
#define U EXPR_UPDATE
#define P EXPR_PROJECTION
#define F EXPR_FILTER
#define V1 "{\":v\":{\"S\":\"x\"}}"
#define VN "{\":v\":{\"N\":\"1\"}}"
#define V2 "{\":v\":{\"S\":\"x\"},\":w\":{\"S\":\"y\"}}"
#define IC "Invalid ConditionExpression: "
#define IU "Invalid UpdateExpression: "
#define IP "Invalid ProjectionExpression: "

static const parse_case parse_cases[] = {
    /* accepted conditions */
    {C, "a = :v", NULL, V1, NULL},
    {C, "a <> :v", NULL, V1, NULL},
    {C, "a < :v AND b >= :v", NULL, V1, NULL},
    {C, "a BETWEEN :v AND :w", NULL, V2, NULL},
    {C, "a between :v and :w", NULL, V2, NULL},
    {C, "a IN (:v, :w)", NULL, V2, NULL},
    {C, "attribute_exists(a)", NULL, NULL, NULL},
    {C, "attribute_not_exists(a.b[2].c)", NULL, NULL, NULL},
    {C, "NOT attribute_exists(a) OR a = :v", NULL, V1, NULL},
    {C, "not (a = :v)", NULL, V1, NULL},
    {C, "(a = :v)", NULL, V1, NULL},
    {C, "(a = :v AND b = :v) OR c = :v", NULL, V1, NULL},
    {C, "size(a) > :v", NULL, VN, NULL},
    {C, "(size(a)) > :v", NULL, VN, NULL},
    {C, "begins_with(a, :v)", NULL, V1, NULL},
    {C, "contains(#n, :v)", "{\"#n\":\"name\"}", V1, NULL},
    {C, "attribute_type(a, :v)", NULL, "{\":v\":{\"S\":\"SS\"}}", NULL},
    {C, "a[0][1].b = :v", NULL, V1, NULL},
    {C, "  a\t=\n:v  ", NULL, V1, NULL},
    {C, "_x = :v", NULL, V1, NULL},
    {C, "(a) = :v", NULL, V1, NULL},
    {C, "a = b", NULL, NULL, NULL},
    /* syntax errors: token and near */
    {C, "a = ", NULL, NULL, IC "Syntax error; token: \"<EOF>\", near: \"= \""},
    {C, "foo", NULL, NULL, IC "Syntax error; token: \"<EOF>\", near: \"foo\""},
    {C, "a = :v b", NULL, V1, IC "Syntax error; token: \"b\", near: \":v b\""},
    {C, "a == :v", NULL, V1, IC "Syntax error; token: \"=\", near: \"==\""},
    {C, "a > 4", NULL, NULL, IC "Syntax error; token: \"4\", near: \"> 4\""},
    {C, "a = !", NULL, NULL, IC "Syntax error; token: \"!\", near: \"= !\""},
    {C, "AND a = :v", NULL, V1, IC "Syntax error; token: \"AND\", near: \"AND\""},
    {C, "a = :v AND", NULL, V1, IC "Syntax error; token: \"<EOF>\", near: \"AND\""},
    {C, "(a = :v", NULL, V1, IC "Syntax error; token: \"<EOF>\", near: \":v\""},
    {C, "a = :v)", NULL, V1, IC "Syntax error; token: \")\", near: \":v)\""},
    {C, "a[x] = :v", NULL, V1, IC "Syntax error; token: \"x\", near: \"[x\""},
    {C, "a. = :v", NULL, V1, IC "Syntax error; token: \"=\", near: \". =\""},
    {C, "a IN :v", NULL, V1, IC "Syntax error; token: \":v\", near: \"IN :v\""},
    {C, "a BETWEEN :v OR :v", NULL, V1, IC "Syntax error; token: \"OR\", near: \":v OR\""},
    {C, "# = :v", NULL, V1, IC "Syntax error; token: \"#\", near: \"#\""},
    {C, "(a) AND b = :v", NULL, V1, IC "Syntax error; token: \"AND\", near: \") AND\""},
    {C, "a = :v + :v", NULL, V1, IC "Syntax error; token: \"+\", near: \":v +\""},
    {C, "\xc3\xa9 = :v", NULL, V1, IC "Syntax error; token: \"\xc3\xa9\", near: \"\xc3\xa9\""},
    /* semantic errors */
    {C, "", NULL, NULL, IC "The expression can not be empty;"},
    {C, "name = :v", NULL, V1, IC "Attribute name is a reserved keyword; reserved keyword: name"},
    {C, "a.Size = :v", NULL, V1, IC "Attribute name is a reserved keyword; reserved keyword: Size"},
    {C, "a = :x", NULL, NULL, IC "An expression attribute value used in expression is not defined; attribute value: :x"},
    {C, "#x = :v", NULL, V1, IC "An expression attribute name used in the document path is not defined; attribute name: #x"},
    {C, "foo(a)", NULL, NULL, IC "Invalid function name; function: foo"},
    {C, "attribute_exists(a, b)", NULL, NULL, IC "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
    {C, "attribute_exists(:v)", NULL, V1, IC "Operator or function requires a document path; operator or function: attribute_exists"},
    {C, "begins_with(a, :v)", NULL, VN, IC "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
    {C, "size(:v) = :v", NULL, VN, IC "Incorrect operand type for operator or function; operator or function: size, operand type: N"},
    {C, "attribute_type(a, :v)", NULL, VN, IC "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
    {C, "attribute_type(a, :v)", NULL, "{\":v\":{\"S\":\"STRING\"}}", IC "Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
    {C, "((a = :v))", NULL, V1, IC "The expression has redundant parentheses;"},
    {C, "((a)) = :v", NULL, V1, IC "The expression has redundant parentheses;"},
    {C, "size(a)", NULL, NULL, IC "The function is not allowed to be used this way in an expression; function: size"},
    {C, "attribute_exists(a) = :v", NULL, V1, IC "The function is not allowed to be used this way in an expression; function: attribute_exists"},
    {C, "begins_with(contains(a, :v), :v)", NULL, V1, IC "The function is not allowed to be used this way in an expression; function: contains"},
    {C, "a = a", NULL, NULL, IC "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"},
    {C, "begins_with(a.b, a.b)", NULL, NULL, IC "The first operand must be distinct from the remaining operands for this operator or function; operator: begins_with, first operand: [a, b]"},
    {C, "a BETWEEN :v AND :v", NULL, V1, NULL},
    {C, "a BETWEEN :w AND :v", NULL, "{\":v\":{\"S\":\"a\"},\":w\":{\"S\":\"b\"}}", IC "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}"},
    {C, "a BETWEEN :w AND :v", NULL, "{\":v\":{\"S\":\"a\"},\":w\":{\"N\":\"1\"}}", IC "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}"},
    {C, "if_not_exists(a, :v) = :v", NULL, V1, IC "The function is not allowed in a condition expression; function: if_not_exists"},
    {F, "a = ", NULL, NULL, "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \"= \""},
    /* error ranking: redundant parens before reserved word */
    {C, "((name = :x))", NULL, NULL, IC "The expression has redundant parentheses;"},
    {C, "name = :x", NULL, NULL, IC "Attribute name is a reserved keyword; reserved keyword: name"},
    /* updates */
    {U, "SET a = :v", NULL, V1, NULL},
    {U, "set a = :v, b = a", NULL, V1, NULL},
    {U, "SET a = a + :v", NULL, VN, NULL},
    {U, "SET a = if_not_exists(a, :v) - :v", NULL, VN, NULL},
    {U, "SET l = list_append(l, :v)", NULL, "{\":v\":{\"L\":[]}}", NULL},
    {U, "SET a.b[3].c = :v REMOVE d, e[1] ADD f :v DELETE g :w", NULL, "{\":v\":{\"N\":\"1\"},\":w\":{\"SS\":[\"a\"]}}", NULL},
    {U, "REMOVE a ADD b :v", NULL, VN, NULL},
    {U, "", NULL, NULL, IU "The expression can not be empty;"},
    {U, "a = :v", NULL, V1, IU "Syntax error; token: \"a\", near: \"a\""},
    {U, "SET a :v", NULL, V1, IU "Syntax error; token: \":v\", near: \"a :v\""},
    {U, "SET path = VALUE 1", NULL, NULL, IU "Syntax error; token: \"1\", near: \"VALUE 1\""},
    {U, "SET a = :v,", NULL, V1, IU "Syntax error; token: \"<EOF>\", near: \",\""},
    {U, "ADD a b", NULL, NULL, IU "Syntax error; token: \"b\", near: \"a b\""},
    {U, "SET name = :v", NULL, V1, IU "Attribute name is a reserved keyword; reserved keyword: name"},
    {U, "SET #n = :v", "{\"#n\":\"name\"}", V1, NULL},
    {U, "SET a = :v SET b = :v", NULL, V1, IU "The \"SET\" section can only be used once in an update expression;"},
    {U, "SET a = :v REMOVE a", NULL, V1, IU "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
    {U, "SET a = :v, a.b = :v", NULL, V1, IU "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
    {U, "SET a[1] = :v REMOVE a.b", NULL, V1, IU "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]"},
    {U, "SET a.b = :v, a.c = :v, a[0].b = :v", NULL, V1, IU "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0], b]"},
    {U, "ADD a :v", NULL, V1, IU "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
    {U, "DELETE a :v", NULL, VN, IU "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"},
    {U, "ADD a :v", NULL, "{\":v\":{\"L\":[]}}", IU "Incorrect operand type for operator or function; operator: ADD, operand type: LIST"},
    {U, "SET a = :v + :v", NULL, V1, IU "Incorrect operand type for operator or function; operator or function: +, operand type: S"},
    {U, "SET a = list_append(:v, l)", NULL, V1, IU "Incorrect operand type for operator or function; operator or function: list_append, operand type: S"},
    {U, "SET a = if_not_exists(:v, :v)", NULL, V1, IU "Operator or function requires a document path; operator or function: if_not_exists"},
    {U, "SET a = if_not_exists(a)", NULL, NULL, IU "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"},
    {U, "SET a = foo(b)", NULL, NULL, IU "Invalid function name; function: foo"},
    {U, "SET a = size(b)", NULL, NULL, IU "The function is not allowed in an update expression; function: size"},
    {U, "SET a = :x", NULL, NULL, IU "An expression attribute value used in expression is not defined; attribute value: :x"},
    {U, "SET #a = :v", NULL, V1, IU "An expression attribute name used in the document path is not defined; attribute name: #a"},
    {U, "SET a = :v REMOVE", NULL, V1, IU "Syntax error; token: \"<EOF>\", near: \"REMOVE\""},
    /* projections */
    {P, "a, b.c, d[1]", NULL, NULL, NULL},
    {P, "#n", "{\"#n\":\"name\"}", NULL, NULL},
    {P, "a, a.b", NULL, NULL, IP "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
    {P, "a[0], a.b", NULL, NULL, IP "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]"},
    {P, "a, b,", NULL, NULL, IP "Syntax error; token: \"<EOF>\", near: \",\""},
    {P, "name", NULL, NULL, IP "Attribute name is a reserved keyword; reserved keyword: name"},
    {P, "", NULL, NULL, IP "The expression can not be empty;"},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const parse_case *c = &parse_cases[i];
        expr_t *e = NULL;
        err_t err = {0};
        int rc = parse_with(c->kind, c->text, c->names, c->values, &e, &err, false);
        if (c->error == NULL && rc != 0)
            fail_msg("case %zu \"%s\": unexpected error: %s", i, c->text, err.msg);
        if (c->error != NULL && rc == 0)
            fail_msg("case %zu \"%s\": accepted, expected: %s", i, c->text, c->error);
        if (c->error != NULL && strcmp(err.msg, c->error) != 0)
            fail_msg("case %zu \"%s\":\n  got      %s\n  expected %s", i, c->text, err.msg, c->error);
        if (c->error != NULL)
            assert_int_equal(err.code, ERR_DDB_VALIDATION);
        expr_free(e);
        err_clear(&err);
    }
}

/* Deep nesting must fail cleanly, never overflow the stack. */
static void test_parse_deep_nesting(void **state)
{
    (void)state;
    size_t depth = 5000;
    char *s = malloc(depth * 2 + 16);
    char *t = malloc(depth * 5 + 16);
    size_t o = 0;
    for (size_t i = 0; i < depth; i++)
        s[o++] = '(';
    memcpy(s + o, "a = b", 5);
    o += 5;
    for (size_t i = 0; i < depth; i++)
        s[o++] = ')';
    s[o] = '\0';
    expr_t *e = NULL;
    err_t err = {0};
    assert_int_equal(parse_with(C, s, NULL, NULL, &e, &err, false), -1);
    assert_non_null(strstr(err.msg, "too many nested"));
    o = 0;
    for (size_t i = 0; i < depth; i++) {
        memcpy(t + o, "NOT ", 4);
        o += 4;
    }
    memcpy(t + o, "a = b", 6);
    assert_int_equal(parse_with(C, t, NULL, NULL, &e, &err, false), -1);
    assert_non_null(strstr(err.msg, "too many nested"));
    /* 33 path levels */
    char path[200] = "a";
    for (int i = 0; i < 32; i++)
        strcat(path, ".b");
    strcat(path, " = c");
    assert_int_equal(parse_with(C, path, NULL, NULL, &e, &err, false), -1);
    assert_string_equal(err.msg, IC "The document path has too many nesting levels; nesting levels: 33");
    free(s);
    free(t);
}

/* ---- unused names / values ----------------------------------------------------------- */

static void test_unused(void **state)
{
    (void)state;
    expr_t *e = NULL;
    err_t err = {0};
    assert_int_equal(parse_with(C, "a = :v", NULL, "{\":v\":{\"S\":\"x\"},\":w\":{\"S\":\"y\"},\":q\":{\"N\":\"1\"}}",
                                &e, &err, true), -1);
    assert_string_equal(err.msg, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w, :q}");
    assert_int_equal(parse_with(C, "a = :v", "{\"#n\":\"x\"}", V1, &e, &err, true), -1);
    assert_string_equal(err.msg, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}");
    assert_int_equal(parse_with(C, "#n = :v", "{\"#n\":\"x\"}", V1, &e, &err, true), 0);
    expr_free(e);
    /* two expressions share one context */
    json_t *jn = J("{\"#p\":\"p\"}"), *jv = J("{\":v\":{\"S\":\"x\"}}");
    expr_ctx ctx;
    expr_t *e1 = NULL, *e2 = NULL;
    expr_ctx_init(&ctx, jn, jv);
    assert_int_equal(expr_parse(&ctx, C, "a = :v", &e1, &err), 0);
    assert_int_equal(expr_ctx_check_unused(&ctx, &err), -1);
    assert_int_equal(expr_parse(&ctx, P, "#p", &e2, &err), 0);
    assert_int_equal(expr_ctx_check_unused(&ctx, &err), 0);
    expr_free(e1);
    expr_free(e2);
    expr_ctx_free(&ctx);
    json_decref(jn);
    json_decref(jv);
}

/* ---- evaluator truth table ----------------------------------------------------------- */

typedef struct {
    const char *text;
    bool expect;
} eval_case;

static const eval_case eval_cases[] = {
    {"n = :n5", true}, {"n = :n4", false}, {"n <> :n4", true}, {"n <> :n5", false},
    {"n < :n6", true}, {"n <= :n5", true}, {"n > :n4", true}, {"n >= :n6", false},
    {"n = :s", false}, {"n <> :s", true}, {"n < :s", false}, {"n > :s", false},
    {"nope = :n5", false}, {"nope <> :n5", true}, {"nope < :n5", false},
    {"s = :s", true}, {"s > :h", true}, {"s < :h", false}, {"id = :s", false},
    {"f BETWEEN :one AND :two", true}, {"n BETWEEN :one AND :n4", false},
    {"n BETWEEN :n5 AND :n5", true}, {"s BETWEEN :one AND :two", false},
    {"nope BETWEEN :one AND :two", false},
    {"n IN (:one, :n5)", true}, {"n IN (:one, :two)", false}, {"s IN (:h, :s)", true},
    {"nope IN (:one)", false},
    {"attribute_exists(n)", true}, {"attribute_exists(nope)", false},
    {"attribute_not_exists(nope)", true}, {"attribute_not_exists(n)", false},
    {"attribute_exists(m.a.b)", true}, {"attribute_exists(m.a.c)", false},
    {"attribute_exists(l[2].x)", true}, {"attribute_exists(l[3])", false},
    {"attribute_exists(l.x)", false}, {"attribute_exists(m[0])", false},
    {"attribute_exists(n.x)", false}, {"attribute_exists(#dot)", true},
    {"attribute_exists(a.b)", false},
    {"attribute_type(n, :tN)", true}, {"attribute_type(n, :tS)", false},
    {"attribute_type(m, :tM)", true}, {"attribute_type(l, :tL)", true},
    {"attribute_type(ss, :tSS)", true}, {"attribute_type(nope, :tS)", false},
    {"begins_with(s, :h)", true}, {"begins_with(s, :wor)", false},
    {"begins_with(b, :b)", true}, {"begins_with(s, :e)", true},
    {"begins_with(n, :h)", false}, {"begins_with(nope, :h)", false},
    {"contains(s, :wor)", true}, {"contains(s, :x)", false}, {"contains(s, :e)", true},
    {"contains(ss, :x)", true}, {"contains(ss, :a)", false},
    {"contains(ns, :two)", false}, {"contains(ns, :one)", true},
    {"contains(l, :a)", true}, {"contains(l, :two)", true}, {"contains(l, :x)", false},
    {"contains(n, :n5)", false}, {"contains(nope, :a)", false},
    {"contains(m, :a)", false},
    {"size(s) = :n11", true}, {"size(u) = :n6", true}, {"size(b) = :n5", true},
    {"size(l) = :n3", true}, {"size(m) = :two", true}, {"size(ss) = :two", true},
    {"size(e) = :zero", true}, {"size(n) = :one", false}, {"size(n) <> :one", true},
    {"size(nope) > :zero", false}, {"size(m.a) = :one", true}, {"size(l[2]) = :one", true},
    {"m.a.b = :n7", true}, {"m.a.b = :n5", false}, {"l[1] = :two", true},
    {"l[0] = :a", true}, {"l[2].x = :deep", true}, {"l[9] = :a", false},
    {"#m.#s = :h", false}, {"m.s <> :h", true},
    {"t = :t", true}, {"z = :z", true}, {"t <> :t", false},
    {"ns = :ns", false}, {"ss <> :ss", true},
    {"n = :n5 AND s = :s", true}, {"n = :n5 AND s = :h", false},
    {"n = :n4 OR s = :s", true}, {"n = :n4 OR s = :h", false},
    {"NOT n = :n4", true}, {"NOT (n = :n5)", false}, {"NOT NOT n = :n5", true},
    {"n = :n4 OR n = :n5 AND s = :h", false},   /* AND binds tighter */
    {"(n = :n4 OR n = :n5) AND s = :s", true},
    {"NOT n = :n4 AND s = :h", false},          /* NOT binds tighter than AND */
    {"NOT attribute_exists(nope) AND attribute_exists(n)", true},
    {"n <> f", true}, {"f < n", true}, {"s = id", false}, {"size(s) > n", true},
    {"(size(s)) > :n5", true}, {"#n = :n5", true}, {"#name = :s", false},
    {"n = :big", false}, {"n < :big", true},
};

static void test_eval_table(void **state)
{
    (void)state;
    json_t *item = J(ITEM);
    for (size_t i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
        expr_t *e = NULL;
        err_t err = {0};
        bool r = !eval_cases[i].expect;
        if (parse_with(C, eval_cases[i].text, NAMES, VALUES, &e, &err, false) != 0)
            fail_msg("eval case %zu \"%s\": parse error %s", i, eval_cases[i].text, err.msg);
        assert_int_equal(expr_eval(e, item, &r, &err), 0);
        if (r != eval_cases[i].expect)
            fail_msg("eval case %zu \"%s\": got %d", i, eval_cases[i].text, r);
        /* a nope item makes every non-negated test false */
        bool r2 = true;
        assert_int_equal(expr_eval(e, NULL, &r2, &err), 0);
        expr_free(e);
    }
    json_decref(item);
}

static void test_eval_nope_item(void **state)
{
    (void)state;
    expr_t *e = NULL;
    err_t err = {0};
    bool r = false;
    assert_int_equal(parse_with(C, "attribute_not_exists(id)", NULL, NULL, &e, &err, false), 0);
    assert_int_equal(expr_eval(e, NULL, &r, &err), 0);
    assert_true(r);
    expr_free(e);
    assert_int_equal(parse_with(C, "id = :s", NULL, VALUES, &e, &err, false), 0);
    assert_int_equal(expr_eval(e, NULL, &r, &err), 0);
    assert_false(r);
    expr_free(e);
}

/* ---- update application ---------------------------------------------------------------- */

typedef struct {
    const char *item;
    const char *text;
    const char *expect;     /* item JSON, or NULL when error */
    const char *error;
} update_case;

#define BAD_TYPE "An operand in the update expression has an incorrect data type"
#define BAD_PATH "The document path provided in the update expression is invalid for update"

static const update_case update_cases[] = {
    {"{}", "SET a = :x", "{\"a\":{\"S\":\"x\"}}", NULL},
    {"{\"a\":{\"S\":\"old\"}}", "SET a = :x", "{\"a\":{\"S\":\"x\"}}", NULL},
    {"{\"n\":{\"N\":\"5\"}}", "SET n = n + :one", "{\"n\":{\"N\":\"6\"}}", NULL},
    {"{\"n\":{\"N\":\"5\"}}", "SET n = n - :n6", "{\"n\":{\"N\":\"-1\"}}", NULL},
    {"{\"n\":{\"N\":\"0.1\"}}", "SET n = n + :two", "{\"n\":{\"N\":\"2.1\"}}", NULL},
    {"{\"n\":{\"N\":\"5\"}}", "SET m = n + n", "{\"n\":{\"N\":\"5\"},\"m\":{\"N\":\"10\"}}", NULL},
    {"{}", "SET c = if_not_exists(c, :zero) + :one", "{\"c\":{\"N\":\"1\"}}", NULL},
    {"{\"c\":{\"N\":\"4\"}}", "SET c = if_not_exists(c, :zero) + :one", "{\"c\":{\"N\":\"5\"}}", NULL},
    {"{\"a\":{\"S\":\"keep\"}}", "SET a = if_not_exists(a, :x)", "{\"a\":{\"S\":\"keep\"}}", NULL},
    {"{\"s\":{\"S\":\"x\"}}", "SET s = s + :one", NULL, BAD_TYPE},
    {"{}", "SET s = nope + :one", NULL, "The provided expression refers to an attribute that does not exist in the item"},
    {"{}", "SET s = nope", NULL, "The provided expression refers to an attribute that does not exist in the item"},
    {"{\"l\":{\"L\":[{\"S\":\"a\"}]}}", "SET l = list_append(l, :l)", "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"q\"}]}}", NULL},
    {"{\"l\":{\"L\":[{\"S\":\"a\"}]}}", "SET l = list_append(:l, l)", "{\"l\":{\"L\":[{\"S\":\"q\"},{\"S\":\"a\"}]}}", NULL},
    {"{}", "SET l = list_append(if_not_exists(l, :l), :l)", "{\"l\":{\"L\":[{\"S\":\"q\"},{\"S\":\"q\"}]}}", NULL},
    {"{\"l\":{\"S\":\"a\"}}", "SET l = list_append(l, :l)", NULL, BAD_TYPE},
    {"{\"a\":{\"S\":\"1\"},\"b\":{\"S\":\"2\"}}", "SET a = b, b = a", "{\"a\":{\"S\":\"2\"},\"b\":{\"S\":\"1\"}}", NULL},
    /* nested paths and list indexes */
    {"{\"m\":{\"M\":{}}}", "SET m.k = :x", "{\"m\":{\"M\":{\"k\":{\"S\":\"x\"}}}}", NULL},
    {"{\"m\":{\"M\":{\"a\":{\"M\":{}}}}}", "SET m.a.b = :one", "{\"m\":{\"M\":{\"a\":{\"M\":{\"b\":{\"N\":\"1\"}}}}}}", NULL},
    {"{}", "SET m.k = :x", NULL, BAD_PATH},
    {"{\"m\":{\"S\":\"x\"}}", "SET m.k = :x", NULL, BAD_PATH},
    {"{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"b\"}]}}", "SET l[1] = :x", "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"x\"}]}}", NULL},
    {"{\"l\":{\"L\":[{\"S\":\"a\"}]}}", "SET l[7] = :x", "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"x\"}]}}", NULL},
    {"{\"l\":{\"L\":[{\"M\":{}}]}}", "SET l[0].k = :x", "{\"l\":{\"L\":[{\"M\":{\"k\":{\"S\":\"x\"}}}]}}", NULL},
    {"{\"l\":{\"M\":{}}}", "SET l[0] = :x", NULL, BAD_PATH},
    {"{\"#\":{\"S\":\"z\"}}", "SET #dot = :x", "{\"#\":{\"S\":\"z\"},\"a.b\":{\"S\":\"x\"}}", NULL},
    /* REMOVE */
    {"{\"a\":{\"S\":\"x\"},\"b\":{\"S\":\"y\"}}", "REMOVE a", "{\"b\":{\"S\":\"y\"}}", NULL},
    {"{\"b\":{\"S\":\"y\"}}", "REMOVE a", "{\"b\":{\"S\":\"y\"}}", NULL},
    {"{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"b\"},{\"S\":\"c\"}]}}", "REMOVE l[0]", "{\"l\":{\"L\":[{\"S\":\"b\"},{\"S\":\"c\"}]}}", NULL},
    {"{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"b\"},{\"S\":\"c\"}]}}", "REMOVE l[0], l[1]", "{\"l\":{\"L\":[{\"S\":\"c\"}]}}", NULL},
    {"{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"b\"},{\"S\":\"c\"}]}}", "REMOVE l[2], l[0]", "{\"l\":{\"L\":[{\"S\":\"b\"}]}}", NULL},
    {"{\"l\":{\"L\":[{\"S\":\"a\"}]}}", "REMOVE l[5]", "{\"l\":{\"L\":[{\"S\":\"a\"}]}}", NULL},
    {"{\"m\":{\"M\":{\"a\":{\"S\":\"x\"},\"b\":{\"S\":\"y\"}}}}", "REMOVE m.a", "{\"m\":{\"M\":{\"b\":{\"S\":\"y\"}}}}", NULL},
    {"{}", "REMOVE m.a", NULL, BAD_PATH},
    /* ADD */
    {"{}", "ADD n :one", "{\"n\":{\"N\":\"1\"}}", NULL},
    {"{\"n\":{\"N\":\"1.5\"}}", "ADD n :two", "{\"n\":{\"N\":\"3.5\"}}", NULL},
    {"{\"n\":{\"N\":\"1\"}}", "ADD n :big", "{\"n\":{\"N\":\"100000000000000000000000000000000000000\"}}", NULL},
    {"{}", "SET n = :big + :big", NULL, NULL},   /* 39 significant digits */
    {"{\"s\":{\"S\":\"x\"}}", "ADD s :one", NULL, BAD_TYPE},
    {"{}", "ADD ss :ss", "{\"ss\":{\"SS\":[\"y\",\"w\"]}}", NULL},
    {"{\"ss\":{\"SS\":[\"x\",\"y\"]}}", "ADD ss :ss", "{\"ss\":{\"SS\":[\"x\",\"y\",\"w\"]}}", NULL},
    {"{\"ns\":{\"NS\":[\"2.5\"]}}", "ADD ns :ns", "{\"ns\":{\"NS\":[\"2.5\",\"9\"]}}", NULL},
    {"{\"ns\":{\"NS\":[\"1\"]}}", "ADD ns :ss", NULL, BAD_TYPE},
    {"{\"m\":{\"M\":{}}}", "ADD m.c :one", "{\"m\":{\"M\":{\"c\":{\"N\":\"1\"}}}}", NULL},
    /* DELETE */
    {"{\"ss\":{\"SS\":[\"x\",\"y\",\"w\"]}}", "DELETE ss :ss", "{\"ss\":{\"SS\":[\"x\"]}}", NULL},
    {"{\"ss\":{\"SS\":[\"y\"]}}", "DELETE ss :ss", "{}", NULL},
    {"{}", "DELETE ss :ss", "{}", NULL},
    {"{\"ns\":{\"NS\":[\"2.5\",\"3\"]}}", "DELETE ns :ns", "{\"ns\":{\"NS\":[\"3\"]}}", NULL},
    {"{\"ss\":{\"S\":\"y\"}}", "DELETE ss :ss", NULL, BAD_TYPE},
    {"{\"bs\":{\"BS\":[\"AQ==\",\"Ag==\"]}}", "DELETE bs :bs1", "{\"bs\":{\"BS\":[\"Ag==\"]}}", NULL},
    /* several sections; the item stays untouched on error */
    {"{\"a\":{\"N\":\"1\"},\"r\":{\"S\":\"x\"}}", "SET b = :x REMOVE r ADD a :one", "{\"a\":{\"N\":\"2\"},\"b\":{\"S\":\"x\"}}", NULL},
    {"{\"a\":{\"N\":\"1\"},\"s\":{\"S\":\"x\"}}", "SET b = :x ADD s :one", NULL, BAD_TYPE},
};

static void test_update_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(update_cases) / sizeof(update_cases[0]); i++) {
        const update_case *c = &update_cases[i];
        expr_t *e = NULL;
        err_t err = {0};
        json_t *item = J(c->item), *before = json_deep_copy(item);
        if (parse_with(U, c->text, NAMES, VALUES, &e, &err, false) != 0)
            fail_msg("update case %zu \"%s\": parse error %s", i, c->text, err.msg);
        int rc = expr_apply_update(e, item, &err);
        if (c->expect != NULL) {
            json_t *want = J(c->expect);
            if (rc != 0)
                fail_msg("update case %zu \"%s\": %s", i, c->text, err.msg);
            if (!json_equal(item, want)) {
                char *got = json_dumps(item, JSON_SORT_KEYS);
                fail_msg("update case %zu \"%s\": got %s", i, c->text, got);
            }
            json_decref(want);
        } else {
            if (rc == 0)
                fail_msg("update case %zu \"%s\": expected an error", i, c->text);
            if (c->error != NULL && strcmp(err.msg, c->error) != 0)
                fail_msg("update case %zu \"%s\": got %s", i, c->text, err.msg);
            assert_true(json_equal(item, before));   /* all or nothing */
        }
        expr_free(e);
        json_decref(item);
        json_decref(before);
        err_clear(&err);
    }
}

static void test_update_attributes(void **state)
{
    (void)state;
    expr_t *e = NULL;
    err_t err = {0};
    assert_int_equal(parse_with(U, "SET a.b = :x, c = :x REMOVE a2, c2[1] ADD d :one", NULL, VALUES, &e, &err, false), 0);
    json_t *names = expr_update_attributes(e), *want = J("[\"a\",\"c\",\"a2\",\"c2\",\"d\"]");
    assert_true(json_equal(names, want));
    json_decref(names);
    json_decref(want);
    expr_free(e);
}

/* ---- projection ----------------------------------------------------------------------- */

typedef struct {
    const char *text;
    const char *expect;
} proj_case;

static const proj_case proj_cases[] = {
    {"id", "{\"id\":{\"S\":\"abc\"}}"},
    {"id, n", "{\"id\":{\"S\":\"abc\"},\"n\":{\"N\":\"5\"}}"},
    {"nope", "{}"},
    {"m.a.b", "{\"m\":{\"M\":{\"a\":{\"M\":{\"b\":{\"N\":\"7\"}}}}}}"},
    {"m.a.b, m.s", "{\"m\":{\"M\":{\"a\":{\"M\":{\"b\":{\"N\":\"7\"}}},\"s\":{\"S\":\"in\"}}}}"},
    {"m.zz", "{}"},
    {"l[1]", "{\"l\":{\"L\":[{\"N\":\"2\"}]}}"},
    {"l[2], l[0]", "{\"l\":{\"L\":[{\"S\":\"a\"},{\"M\":{\"x\":{\"S\":\"deep\"}}}]}}"},
    {"l[2].x", "{\"l\":{\"L\":[{\"M\":{\"x\":{\"S\":\"deep\"}}}]}}"},
    {"l[9]", "{}"},
    {"#dot", "{\"a.b\":{\"S\":\"dotted\"}}"},
    {"#name", "{\"name\":{\"S\":\"reserved\"}}"},
};

static void test_projection_table(void **state)
{
    (void)state;
    json_t *item = J(ITEM);
    for (size_t i = 0; i < sizeof(proj_cases) / sizeof(proj_cases[0]); i++) {
        expr_t *e = NULL;
        err_t err = {0};
        if (parse_with(P, proj_cases[i].text, NAMES, NULL, &e, &err, false) != 0)
            fail_msg("projection %zu: %s", i, err.msg);
        json_t *got = expr_project(e, item), *want = J(proj_cases[i].expect);
        if (!json_equal(got, want))
            fail_msg("projection %zu \"%s\": got %s", i, proj_cases[i].text, json_dumps(got, JSON_SORT_KEYS));
        json_decref(got);
        json_decref(want);
        expr_free(e);
    }
    json_decref(item);
}

/* ---- key conditions ------------------------------------------------------------------- */

typedef struct {
    const char *text;
    const char *range;       /* range key name or NULL */
    const char *error;       /* NULL: accepted */
    expr_kc_op op;
} key_case;

static const key_case key_cases[] = {
    {"id = :a", "r", NULL, KC_NONE},
    {"id = :a AND r > :b", "r", NULL, KC_GT},
    {"r <= :b AND id = :a", "r", NULL, KC_LE},
    {"id = :a AND r BETWEEN :a AND :b", "r", NULL, KC_BETWEEN},
    {"id = :a AND begins_with(r, :a)", "r", NULL, KC_BEGINS_WITH},
    {"(id = :a) AND (r = :b)", "r", NULL, KC_EQ},
    {"", "r", "Invalid KeyConditionExpression: The expression can not be empty;", 0},
    {"id = ", "r", "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \"", 0},
    {"x = :a", "r", "Query condition missed key schema element: id", 0},
    {"id = :a AND x = :b", "r", "Query condition missed key schema element: r", 0},
    {"id > :a", "r", "Query key condition not supported", 0},
    {"id = :a OR r = :b", "r", "Invalid operator used in KeyConditionExpression: OR", 0},
    {"NOT id = :a", "r", "Invalid operator used in KeyConditionExpression: NOT", 0},
    {"id IN (:a, :b)", "r", "Invalid operator used in KeyConditionExpression: IN", 0},
    {"id <> :a", "r", "Invalid operator used in KeyConditionExpression: <>", 0},
    {"attribute_exists(id)", "r", "Invalid operator used in KeyConditionExpression: attribute_exists", 0},
    {"contains(id, :a)", "r", "Invalid operator used in KeyConditionExpression: contains", 0},
    {"id = :a AND r = :a AND x = :a", "r", "Conditions can be of length 1 or 2 only", 0},
    {"r > :a AND r < :b", "r", "KeyConditionExpressions must only contain one condition per key", 0},
    {"id.x = :a", "r", "KeyConditionExpressions cannot have conditions on nested attributes", 0},
    {"id = r", "r", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition", 0},
    {":a = id", "r", "Invalid condition in KeyConditionExpression: No key attribute specified", 0},
    {"size(id) = :a", "r", "KeyConditionExpressions cannot contain nested operations", 0},
    {"begins_with(:a, r) AND id = :a", "r", "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand", 0},
    {":a BETWEEN r AND :b", "r", "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand", 0},
    {"id = :zz", "r", "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :zz", 0},
    {"id = :a AND r = :b", NULL, "Query key condition not supported", 0},
};

static void test_key_table(void **state)
{
    (void)state;
    json_t *vals = J("{\":a\":{\"S\":\"a\"},\":b\":{\"S\":\"b\"}}");
    for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
        const key_case *c = &key_cases[i];
        expr_ctx ctx;
        expr_key_cond kc;
        err_t err = {0};
        expr_ctx_init(&ctx, NULL, vals);
        int rc = expr_key_condition(&ctx, c->text, "id", c->range, &kc, &err);
        if (c->error == NULL) {
            if (rc != 0)
                fail_msg("key case %zu \"%s\": %s", i, c->text, err.msg);
            assert_non_null(kc.hash_value);
            assert_int_equal(kc.range_op, c->op);
            if (c->op != KC_NONE)
                assert_non_null(kc.range_v1);
            assert_true(c->op == KC_BETWEEN ? kc.range_v2 != NULL : kc.range_v2 == NULL);
        } else {
            if (rc == 0)
                fail_msg("key case %zu \"%s\" accepted", i, c->text);
            if (strcmp(err.msg, c->error) != 0)
                fail_msg("key case %zu \"%s\":\n  got      %s\n  expected %s", i, c->text, err.msg, c->error);
        }
        expr_key_cond_free(&kc);
        expr_ctx_free(&ctx);
    }
    json_decref(vals);
}

static void test_key_legacy(void **state)
{
    (void)state;
    static const struct { const char *kc; const char *error; expr_kc_op op; } cases[] = {
        {"{\"id\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"a\"}]}}", NULL, KC_NONE},
        {"{\"id\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"a\"}]},"
         "\"r\":{\"ComparisonOperator\":\"BETWEEN\",\"AttributeValueList\":[{\"N\":\"1\"},{\"N\":\"2\"}]}}", NULL, KC_BETWEEN},
        {"{\"id\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"a\"}]},"
         "\"r\":{\"ComparisonOperator\":\"BEGINS_WITH\",\"AttributeValueList\":[{\"S\":\"p\"}]}}", NULL, KC_BEGINS_WITH},
        {"{\"id\":{\"ComparisonOperator\":\"EQ\"}}", "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator", 0},
        {"{\"id\":{\"ComparisonOperator\":\"GT\",\"AttributeValueList\":[{\"S\":\"a\"}]}}", "Query key condition not supported", 0},
        {"{\"id\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"a\"}]},"
         "\"r\":{\"ComparisonOperator\":\"NE\",\"AttributeValueList\":[{\"S\":\"p\"}]}}", "Attempted conditional constraint is not an indexable operation", 0},
        {"{\"x\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"a\"}]}}", "Query condition missed key schema element: id", 0},
        {"{}", "Conditions can be of length 1 or 2 only", 0},
        {"{\"r\":{\"ComparisonOperator\":\"BETWEEN\",\"AttributeValueList\":[{\"N\":\"3\"},{\"N\":\"2\"}]}}",
         "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *kcj = J(cases[i].kc);
        expr_key_cond kc;
        err_t err = {0};
        int rc = expr_key_condition_legacy(kcj, "id", "r", &kc, &err);
        if (cases[i].error == NULL) {
            if (rc != 0)
                fail_msg("legacy key %zu: %s", i, err.msg);
            assert_int_equal(kc.range_op, cases[i].op);
        } else {
            assert_int_equal(rc, -1);
            if (strcmp(err.msg, cases[i].error) != 0)
                fail_msg("legacy key %zu: got %s", i, err.msg);
        }
        expr_key_cond_free(&kc);
        json_decref(kcj);
    }
}

/* ---- legacy conditions ------------------------------------------------------------------- */

typedef struct {
    const char *param;       /* JSON of Expected or a filter */
    const char *op;          /* ConditionalOperator */
    bool filter;
    const char *error;       /* NULL: evaluate */
    bool expect;
} legacy_case;

#define EQS(a, v) "\"" a "\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[" v "]}"

static const legacy_case legacy_cases[] = {
    {"{\"n\":{\"Value\":{\"N\":\"5\"}}}", NULL, false, NULL, true},
    {"{\"n\":{\"Value\":{\"N\":\"5.0\"},\"Exists\":true}}", NULL, false, NULL, true},
    {"{\"n\":{\"Value\":{\"N\":\"4\"}}}", NULL, false, NULL, false},
    {"{\"nope\":{\"Exists\":false}}", NULL, false, NULL, true},
    {"{\"n\":{\"Exists\":false}}", NULL, false, NULL, false},
    {"{\"n\":{\"Exists\":false},\"s\":{\"Value\":{\"S\":\"hello world\"}}}", "OR", false, NULL, true},
    {"{\"n\":{\"Exists\":false},\"s\":{\"Value\":{\"S\":\"hello world\"}}}", "AND", false, NULL, false},
    {"{\"a\":{}}", NULL, false, "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a", false},
    {"{\"a\":{\"Exists\":true}}", NULL, false, "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a", false},
    {"{\"a\":{\"Exists\":false,\"Value\":{\"S\":\"a\"}}}", NULL, false, "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a", false},
    {"{\"n\":{\"ComparisonOperator\":\"GT\",\"Value\":{\"N\":\"4\"}}}", NULL, false, NULL, true},
    {"{\"n\":{\"ComparisonOperator\":\"NOT_NULL\"}}", NULL, false, NULL, true},
    {"{\"nope\":{\"ComparisonOperator\":\"NULL\"}}", NULL, false, NULL, true},
    {"{" EQS("n", "{\"N\":\"5\"}") "}", NULL, true, NULL, true},
    {"{\"n\":{\"ComparisonOperator\":\"NE\",\"AttributeValueList\":[{\"N\":\"5\"}]}}", NULL, true, NULL, false},
    {"{\"nope\":{\"ComparisonOperator\":\"NE\",\"AttributeValueList\":[{\"N\":\"5\"}]}}", NULL, true, NULL, true},
    {"{\"n\":{\"ComparisonOperator\":\"LT\",\"AttributeValueList\":[{\"N\":\"6\"}]}}", NULL, true, NULL, true},
    {"{\"n\":{\"ComparisonOperator\":\"GE\",\"AttributeValueList\":[{\"N\":\"6\"}]}}", NULL, true, NULL, false},
    {"{\"s\":{\"ComparisonOperator\":\"CONTAINS\",\"AttributeValueList\":[{\"S\":\"lo w\"}]}}", NULL, true, NULL, true},
    {"{\"ss\":{\"ComparisonOperator\":\"NOT_CONTAINS\",\"AttributeValueList\":[{\"S\":\"q\"}]}}", NULL, true, NULL, true},
    {"{\"s\":{\"ComparisonOperator\":\"BEGINS_WITH\",\"AttributeValueList\":[{\"S\":\"hell\"}]}}", NULL, true, NULL, true},
    {"{\"n\":{\"ComparisonOperator\":\"IN\",\"AttributeValueList\":[{\"N\":\"1\"},{\"N\":\"5\"}]}}", NULL, true, NULL, true},
    {"{\"n\":{\"ComparisonOperator\":\"BETWEEN\",\"AttributeValueList\":[{\"N\":\"1\"},{\"N\":\"5\"}]}}", NULL, true, NULL, true},
    {"{\"a.b\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"dotted\"}]}}", NULL, true, NULL, true},
    {"{\"n\":{\"ComparisonOperator\":\"LT\",\"AttributeValueList\":[{\"BOOL\":true}]}}", NULL, true,
     "One or more parameter values were invalid: ComparisonOperator LT is not valid for BOOL AttributeValue type", false},
    {"{\"n\":{\"ComparisonOperator\":\"CONTAINS\",\"AttributeValueList\":[{\"SS\":[\"a\"]}]}}", NULL, true,
     "One or more parameter values were invalid: ComparisonOperator CONTAINS is not valid for SS AttributeValue type", false},
    {"{\"n\":{\"ComparisonOperator\":\"BEGINS_WITH\",\"AttributeValueList\":[{\"N\":\"1\"}]}}", NULL, true,
     "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type", false},
    {"{\"n\":{\"ComparisonOperator\":\"IN\",\"AttributeValueList\":[{\"S\":\"b\"},{\"N\":\"1\"}]}}", NULL, true,
     "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type", false},
    {"{\"n\":{\"ComparisonOperator\":\"NULL\",\"AttributeValueList\":[{\"S\":\"a\"}]}}", NULL, true,
     "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator", false},
    {"{\"n\":{\"ComparisonOperator\":\"BETWEEN\",\"AttributeValueList\":[{\"S\":\"b\"},{\"S\":\"a\"}]}}", NULL, true,
     "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound", false},
};

static void test_legacy_conditions(void **state)
{
    (void)state;
    json_t *item = J(ITEM);
    for (size_t i = 0; i < sizeof(legacy_cases) / sizeof(legacy_cases[0]); i++) {
        const legacy_case *c = &legacy_cases[i];
        json_t *param = J(c->param);
        expr_t *e = NULL;
        err_t err = {0};
        int rc = c->filter ? expr_from_filter(param, c->op, "ScanFilter", &e, &err)
                           : expr_from_expected(param, c->op, &e, &err);
        if (c->error != NULL) {
            if (rc == 0)
                fail_msg("legacy %zu accepted", i);
            if (strcmp(err.msg, c->error) != 0)
                fail_msg("legacy %zu: got %s", i, err.msg);
        } else {
            bool r = !c->expect;
            if (rc != 0)
                fail_msg("legacy %zu: %s", i, err.msg);
            assert_int_equal(expr_eval(e, item, &r, &err), 0);
            if (r != c->expect)
                fail_msg("legacy %zu: got %d", i, r);
        }
        expr_free(e);
        json_decref(param);
    }
    json_decref(item);
}

static void test_attribute_updates(void **state)
{
    (void)state;
    static const struct { const char *item, *updates, *expect, *error; } cases[] = {
        {"{}", "{\"a\":{\"Action\":\"PUT\",\"Value\":{\"S\":\"x\"}}}", "{\"a\":{\"S\":\"x\"}}", NULL},
        {"{}", "{\"a\":{\"Value\":{\"S\":\"x\"}}}", "{\"a\":{\"S\":\"x\"}}", NULL},
        {"{\"n\":{\"N\":\"1\"}}", "{\"n\":{\"Action\":\"ADD\",\"Value\":{\"N\":\"2\"}}}", "{\"n\":{\"N\":\"3\"}}", NULL},
        {"{\"l\":{\"L\":[{\"S\":\"a\"}]}}", "{\"l\":{\"Action\":\"ADD\",\"Value\":{\"L\":[{\"S\":\"a\"}]}}}", "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"a\"}]}}", NULL},
        {"{\"ss\":{\"SS\":[\"a\",\"b\"]}}", "{\"ss\":{\"Action\":\"DELETE\",\"Value\":{\"SS\":[\"a\"]}}}", "{\"ss\":{\"SS\":[\"b\"]}}", NULL},
        {"{\"a\":{\"S\":\"x\"}}", "{\"a\":{\"Action\":\"DELETE\"}}", "{}", NULL},
        {"{\"a.b\":{\"S\":\"x\"}}", "{\"a.b\":{\"Action\":\"DELETE\"}}", "{}", NULL},
        {"{\"n\":{\"S\":\"x\"}}", "{\"n\":{\"Action\":\"ADD\",\"Value\":{\"N\":\"2\"}}}", NULL, "Type mismatch for attribute to update"},
        {"{}", "{\"a\":{\"Action\":\"PUT\"}}", NULL, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"},
        {"{}", "{\"a\":{\"Action\":\"ADD\",\"Value\":{\"S\":\"x\"}}}", NULL, "One or more parameter values were invalid: ADD action is not supported for the type S"},
        {"{}", "{\"a\":{\"Action\":\"DELETE\",\"Value\":{\"S\":\"x\"}}}", NULL, "One or more parameter values were invalid: DELETE action with value is not supported for the type S"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *item = J(cases[i].item), *upd = J(cases[i].updates);
        expr_t *e = NULL;
        err_t err = {0};
        int rc = expr_from_attribute_updates(upd, &e, &err);
        if (rc == 0)
            rc = expr_apply_update(e, item, &err);
        if (cases[i].expect) {
            json_t *want = J(cases[i].expect);
            if (rc != 0)
                fail_msg("attribute updates %zu: %s", i, err.msg);
            assert_true(json_equal(item, want));
            json_decref(want);
        } else {
            assert_int_equal(rc, -1);
            if (strcmp(err.msg, cases[i].error) != 0)
                fail_msg("attribute updates %zu: got %s", i, err.msg);
        }
        expr_free(e);
        json_decref(item);
        json_decref(upd);
    }
}

static void test_attributes_to_get(void **state)
{
    (void)state;
    json_t *item = J(ITEM), *names = J("[\"id\",\"a.b\",\"nope\"]"), *dup = J("[\"a\",\"b\",\"a\"]");
    expr_t *e = NULL;
    err_t err = {0};
    assert_int_equal(expr_from_attributes_to_get(names, &e, &err), 0);
    json_t *got = expr_project(e, item), *want = J("{\"id\":{\"S\":\"abc\"},\"a.b\":{\"S\":\"dotted\"}}");
    assert_true(json_equal(got, want));
    expr_free(e);
    assert_int_equal(expr_from_attributes_to_get(dup, &e, &err), -1);
    assert_string_equal(err.msg, "One or more parameter values were invalid: Duplicate value in attribute name: a");
    json_decref(got);
    json_decref(want);
    json_decref(item);
    json_decref(names);
    json_decref(dup);
}

static void test_reserved(void **state)
{
    (void)state;
    static const char *yes[] = {"ABORT", "zone", "Name", "size", "LOCALTIMESTAMP", "inNTer", "status", "data"};
    static const char *no[] = {"abc", "id", "zones", "", "names1", "localtimestampx"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(expr_is_reserved(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(expr_is_reserved(no[i], strlen(no[i])));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_deep_nesting),
        cmocka_unit_test(test_unused),
        cmocka_unit_test(test_eval_table),
        cmocka_unit_test(test_eval_nope_item),
        cmocka_unit_test(test_update_table),
        cmocka_unit_test(test_update_attributes),
        cmocka_unit_test(test_projection_table),
        cmocka_unit_test(test_key_table),
        cmocka_unit_test(test_key_legacy),
        cmocka_unit_test(test_legacy_conditions),
        cmocka_unit_test(test_attribute_updates),
        cmocka_unit_test(test_attributes_to_get),
        cmocka_unit_test(test_reserved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
