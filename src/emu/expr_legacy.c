/*
 * expr_legacy.c - the pre-expression parameters translated into expr_t
 * trees, so one evaluator serves both: Expected, QueryFilter / ScanFilter
 * (ComparisonOperator + AttributeValueList, ConditionalOperator),
 * AttributeUpdates (PUT / ADD / DELETE) and AttributesToGet.
 *
 * Legacy attribute names are literal top-level names: "a.b" is one
 * attribute, never a path.
 *
 * Entry points: expr_from_expected, expr_from_filter,
 * expr_from_attribute_updates, expr_from_attributes_to_get,
 * expr_legacy_check (also used by expr_key.c).
 */
#include "expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "av.h"

#define INVALID "One or more parameter values were invalid: "

/* Operator table: argument count (-1: one or more) and the value types
 * allowed, as a "|S|N|" list; NULL allows every type. */
static const struct legacy_op {
    const char *name;
    int nargs;
    const char *types;
} legacy_ops[] = {
    {"EQ", 1, NULL}, {"NE", 1, NULL},
    {"LE", 1, "|S|N|B|"}, {"LT", 1, "|S|N|B|"}, {"GE", 1, "|S|N|B|"}, {"GT", 1, "|S|N|B|"},
    {"NULL", 0, NULL}, {"NOT_NULL", 0, NULL},
    {"CONTAINS", 1, "|S|N|B|BOOL|NULL|"}, {"NOT_CONTAINS", 1, "|S|N|B|BOOL|NULL|"},
    {"BEGINS_WITH", 1, "|S|B|"}, {"IN", -1, "|S|N|B|"}, {"BETWEEN", 2, "|S|N|B|"},
};

static const struct legacy_op *find_op(const char *name)
{
    for (size_t i = 0; name && i < sizeof(legacy_ops) / sizeof(legacy_ops[0]); i++)
        if (strcmp(legacy_ops[i].name, name) == 0)
            return &legacy_ops[i];
    return NULL;
}

/* Validate one ComparisonOperator with its AttributeValueList. */
int expr_legacy_check(const char *attr, const char *op, json_t *list, err_t *err)
{
    const struct legacy_op *lo = find_op(op);
    size_t n = json_array_size(list), i;
    json_t *v;
    char pat[16];
    (void)attr;
    if (lo == NULL)
        return err_set(err, ERR_DDB_VALIDATION, INVALID "Unsupported ComparisonOperator: %s",
                       op ? op : "null");
    if (lo->nargs >= 0 ? n != (size_t)lo->nargs : n < 1)
        return err_set(err, ERR_DDB_VALIDATION, INVALID "Invalid number of argument(s) for the "
                       "%s ComparisonOperator", lo->name);
    json_array_foreach(list, i, v) {
        const char *t = av_type_name(av_type(v));
        snprintf(pat, sizeof(pat), "|%s|", t);
        if (lo->types != NULL && strstr(lo->types, pat) == NULL)
            return err_set(err, ERR_DDB_VALIDATION, INVALID "ComparisonOperator %s is not valid "
                           "for %s AttributeValue type", lo->name, t);
        if (i > 0 && av_type(v) != av_type(json_array_get(list, 0)))
            return err_set(err, ERR_DDB_VALIDATION, INVALID "AttributeValues inside "
                           "AttributeValueList must be of same type");
    }
    int cmp;
    if (strcmp(lo->name, "BETWEEN") == 0 &&
        av_compare(json_array_get(list, 0), json_array_get(list, 1), &cmp) == 0 && cmp > 0)
        return err_set(err, ERR_DDB_VALIDATION, "The BETWEEN condition was provided a range "
                       "where the lower bound is greater than the upper bound");
    return 0;
}

static expr_node *value_node(json_t *v)
{
    expr_node *n = expr_node_new(N_VALUE);
    if (n != NULL)
        n->value = json_incref(v);
    return n;
}

static expr_node *attr_node(const char *attr)
{
    expr_node *n = expr_node_new(N_PATH);
    if (n != NULL && expr_path_push(&n->path, attr, strlen(attr), 0) != 0) {
        expr_node_free(n);
        return NULL;
    }
    return n;
}

/* Node for "attr <op> list" (the list was validated). */
static expr_node *op_node(const char *attr, const char *op, json_t *list)
{
    static const struct { const char *name; expr_ntype type; expr_tk tk; expr_fn fn; } map[] = {
        {"EQ", N_CMP, TK_EQ, FN_NONE}, {"NE", N_CMP, TK_NE, FN_NONE},
        {"LE", N_CMP, TK_LE, FN_NONE}, {"LT", N_CMP, TK_LT, FN_NONE},
        {"GE", N_CMP, TK_GE, FN_NONE}, {"GT", N_CMP, TK_GT, FN_NONE},
        {"NULL", N_FUNC, TK_EOF, FN_ATTRIBUTE_NOT_EXISTS},
        {"NOT_NULL", N_FUNC, TK_EOF, FN_ATTRIBUTE_EXISTS},
        {"CONTAINS", N_FUNC, TK_EOF, FN_CONTAINS}, {"NOT_CONTAINS", N_FUNC, TK_EOF, FN_CONTAINS},
        {"BEGINS_WITH", N_FUNC, TK_EOF, FN_BEGINS_WITH},
        {"IN", N_IN, TK_EOF, FN_NONE}, {"BETWEEN", N_BETWEEN, TK_EOF, FN_NONE},
    };
    size_t k, i;
    json_t *v;
    for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
        if (strcmp(map[k].name, op) == 0)
            break;
    if (k == sizeof(map) / sizeof(map[0]))
        return NULL;
    expr_node *n = expr_node_new(map[k].type);
    if (n == NULL)
        return NULL;
    n->op = map[k].tk;
    n->fn = map[k].fn;
    if (expr_node_add(n, attr_node(attr)) != 0)
        goto fail;
    json_array_foreach(list, i, v)
        if (expr_node_add(n, value_node(v)) != 0)
            goto fail;
    if (strcmp(op, "NOT_CONTAINS") == 0) {
        expr_node *neg = expr_node_new(N_NOT);
        if (neg == NULL || expr_node_add(neg, n) != 0) {
            expr_node_free(neg);
            return NULL;
        }
        return neg;
    }
    return n;
fail:
    expr_node_free(n);
    return NULL;
}

/* Fold one more condition into *root with AND / OR; steals c. */
static int combine(expr_node **root, expr_node *c, bool is_or)
{
    if (c == NULL)
        return -1;
    if (*root == NULL) {
        *root = c;
        return 0;
    }
    expr_node *n = expr_node_new(is_or ? N_OR : N_AND);
    if (n == NULL || expr_node_add(n, *root) != 0) {
        expr_node_free(n);
        expr_node_free(c);
        *root = NULL;
        return -1;
    }
    *root = n;
    return expr_node_add(n, c);
}

/* One Expected entry into a node (new), or NULL with err set. */
static expr_node *expected_entry(const char *attr, json_t *c, err_t *err)
{
    json_t *exists = json_object_get(c, "Exists"), *value = json_object_get(c, "Value");
    json_t *list = json_object_get(c, "AttributeValueList");
    const char *op = json_string_value(json_object_get(c, "ComparisonOperator"));
    json_t *one = NULL;
    expr_node *n = NULL;
    if (op != NULL) {
        if (value != NULL && list != NULL) {
            err_set(err, ERR_DDB_VALIDATION, INVALID "Value and AttributeValueList cannot be used "
                    "together for Attribute: %s", attr);
            return NULL;
        }
        if (value != NULL && (list = one = json_array()) != NULL)
            json_array_append(one, value);
        if (expr_legacy_check(attr, op, list, err) == 0)
            n = op_node(attr, op, list);
        json_decref(one);
        return n;
    }
    if (json_is_false(exists)) {
        if (value != NULL) {
            err_set(err, ERR_DDB_VALIDATION, INVALID "Value cannot be used when Exists is false "
                    "for Attribute: %s", attr);
            return NULL;
        }
        return op_node(attr, "NULL", NULL);
    }
    if (value == NULL) {
        err_set(err, ERR_DDB_VALIDATION, INVALID "Value must be provided when Exists is %s for "
                "Attribute: %s", exists ? "true" : "null", attr);
        return NULL;
    }
    if ((list = one = json_array()) != NULL && json_array_append(one, value) == 0)
        n = op_node(attr, "EQ", list);
    json_decref(one);
    return n;
}

static int build_conditions(json_t *map, const char *conditional_operator, bool filter,
                            expr_kind kind, expr_t **out, err_t *err)
{
    const char *attr;
    json_t *c;
    expr_node *root = NULL;
    bool is_or = conditional_operator != NULL && strcmp(conditional_operator, "OR") == 0;
    *out = NULL;
    if (map == NULL || json_object_size(map) == 0)
        return 0;                                 /* no condition at all */
    json_object_foreach(map, attr, c) {
        expr_node *n;
        if (filter) {
            const char *op = json_string_value(json_object_get(c, "ComparisonOperator"));
            json_t *list = json_object_get(c, "AttributeValueList");
            n = expr_legacy_check(attr, op, list, err) == 0 ? op_node(attr, op, list) : NULL;
        } else {
            n = expected_entry(attr, c, err);
        }
        if (n == NULL || combine(&root, n, is_or) != 0)
            goto fail;
    }
    if ((*out = expr_new(kind)) == NULL)
        goto fail;
    (*out)->root = root;
    return 0;
fail:
    expr_node_free(root);
    if (err != NULL && err->code == ERR_NONE)
        err_set(err, ERR_DDB_INTERNAL, "out of memory");
    return -1;
}

int expr_from_expected(json_t *expected, const char *conditional_operator,
                       expr_t **out, err_t *err)
{
    return build_conditions(expected, conditional_operator, false, EXPR_CONDITION, out, err);
}

int expr_from_filter(json_t *filter, const char *conditional_operator,
                     const char *param, expr_t **out, err_t *err)
{
    (void)param;
    return build_conditions(filter, conditional_operator, true, EXPR_FILTER, out, err);
}

/* ---- AttributeUpdates ------------------------------------------------------------ */

static int update_entry(const char *attr, json_t *u, expr_action *a, err_t *err)
{
    const char *action = json_string_value(json_object_get(u, "Action"));
    json_t *value = json_object_get(u, "Value");
    av_type_t t = av_type(value);
    if (action == NULL)
        action = "PUT";
    if (value == NULL && strcmp(action, "DELETE") != 0)
        return err_set(err, ERR_DDB_VALIDATION, INVALID "Only DELETE action is allowed when no "
                       "attribute value is specified");
    if (strcmp(action, "PUT") == 0) {
        a->act = ACT_SET;
    } else if (strcmp(action, "ADD") == 0) {
        if (t != AV_N && t != AV_SS && t != AV_NS && t != AV_BS && t != AV_L)
            return err_set(err, ERR_DDB_VALIDATION, INVALID "ADD action is not supported for "
                           "the type %s", av_type_name(t));
        a->act = ACT_ADD;
    } else if (strcmp(action, "DELETE") == 0) {
        if (value != NULL && t != AV_SS && t != AV_NS && t != AV_BS)
            return err_set(err, ERR_DDB_VALIDATION, INVALID "DELETE action with value is not "
                           "supported for the type %s", av_type_name(t));
        a->act = value ? ACT_DELETE : ACT_REMOVE;
    } else {
        return err_set(err, ERR_DDB_VALIDATION, INVALID "Unsupported Action: %s", action);
    }
    if (expr_path_push(&a->path, attr, strlen(attr), 0) != 0)
        return err_set(err, ERR_DDB_INTERNAL, "out of memory");
    if (value != NULL && (a->value = value_node(value)) == NULL)
        return err_set(err, ERR_DDB_INTERNAL, "out of memory");
    return 0;
}

int expr_from_attribute_updates(json_t *updates, expr_t **out, err_t *err)
{
    const char *attr;
    json_t *u;
    expr_t *e = expr_new(EXPR_UPDATE);
    *out = NULL;
    if (e == NULL || (e->actions = calloc(json_object_size(updates) + 1, sizeof(*e->actions))) == NULL) {
        expr_free(e);
        return err_set(err, ERR_DDB_INTERNAL, "out of memory");
    }
    e->legacy = true;
    json_object_foreach(updates, attr, u) {
        if (update_entry(attr, u, &e->actions[e->nactions++], err) != 0) {
            expr_free(e);
            return -1;
        }
    }
    *out = e;
    return 0;
}

/* ---- AttributesToGet --------------------------------------------------------------- */

int expr_from_attributes_to_get(json_t *names, expr_t **out, err_t *err)
{
    size_t i, n = json_array_size(names);
    json_t *v;
    expr_t *e = expr_new(EXPR_PROJECTION);
    *out = NULL;
    if (e == NULL || (e->paths = calloc(n + 1, sizeof(*e->paths))) == NULL)
        goto oom;
    json_array_foreach(names, i, v) {
        const char *s = json_string_value(v);
        for (size_t j = 0; s && j < i; j++) {
            if (strcmp(s, json_string_value(json_array_get(names, j))) == 0) {
                expr_free(e);
                return err_set(err, ERR_DDB_VALIDATION, INVALID "Duplicate value in attribute "
                               "name: %s", s);
            }
        }
        if (s == NULL || expr_path_push(&e->paths[e->npaths++], s, strlen(s), 0) != 0)
            goto oom;
    }
    *out = e;
    return 0;
oom:
    expr_free(e);
    return err_set(err, ERR_DDB_INTERNAL, "out of memory");
}
