/*
 * expr_key.c - key conditions for Query: KeyConditionExpression and the
 * legacy KeyConditions map, both reduced to an expr_key_cond (hash value
 * plus an optional sort-key operator and bounds).
 *
 * Check order and wording follow DynamoDB (as recorded by dynalite's
 * conformance tests): operators first ("Invalid operator used in
 * KeyConditionExpression: OR"), then the number of conditions, then each
 * condition's shape, then the mapping onto the key schema.
 *
 * Entry points: expr_key_condition, expr_key_condition_legacy,
 * expr_key_cond_free.
 */
#include "expr_int.h"

#include <string.h>
#include "av.h"

#define KC_MAX 8

void expr_key_cond_free(expr_key_cond *kc)
{
    if (kc == NULL)
        return;
    json_decref(kc->hash_value);
    json_decref(kc->range_v1);
    json_decref(kc->range_v2);
    memset(kc, 0, sizeof(*kc));
}

static int kc_err(err_t *err, const char *msg)
{
    return err_set(err, ERR_DDB_VALIDATION, "%s", msg);
}

/* Reject any operator a key condition cannot use; gather the AND leaves. */
static int key_leaves(const expr_node *n, const expr_node **leaves, int *count, err_t *err)
{
    static const char *const cmp_names[] = {[TK_EQ] = "=", [TK_NE] = "<>", [TK_LT] = "<",
                                            [TK_LE] = "<=", [TK_GT] = ">", [TK_GE] = ">="};
    const char *bad = NULL;
    switch (n->type) {
    case N_AND:
        if (key_leaves(n->args[0], leaves, count, err) != 0)
            return -1;
        return key_leaves(n->args[1], leaves, count, err);
    case N_OR:  bad = "OR"; break;
    case N_NOT: bad = "NOT"; break;
    case N_IN:  bad = "IN"; break;
    case N_CMP: if (n->op == TK_NE) bad = cmp_names[n->op]; break;
    case N_FUNC: if (n->fn != FN_BEGINS_WITH) bad = expr_fn_name(n->fn); break;
    default: break;
    }
    if (bad != NULL)
        return err_set(err, ERR_DDB_VALIDATION,
                       "Invalid operator used in KeyConditionExpression: %s", bad);
    if (*count < KC_MAX)
        leaves[*count] = n;
    (*count)++;
    return 0;
}

static int leaf_shape(const expr_node *n, err_t *err)
{
    const expr_node *first = n->args[0];
    if (n->type != N_CMP && first->type != N_PATH)
        return err_set(err, ERR_DDB_VALIDATION, "Invalid condition in KeyConditionExpression: "
                       "%s operator must have the key attribute as its first operand",
                       n->type == N_BETWEEN ? "BETWEEN" : "begins_with");
    for (int i = 0; i < n->nargs; i++)
        if (n->args[i]->type == N_FUNC)
            return kc_err(err, "KeyConditionExpressions cannot contain nested operations");
    if (first->type != N_PATH)
        return kc_err(err, "Invalid condition in KeyConditionExpression: No key attribute specified");
    if (first->path.n > 1)
        return kc_err(err, "KeyConditionExpressions cannot have conditions on nested attributes");
    for (int i = 1; i < n->nargs; i++)
        if (n->args[i]->type == N_PATH)
            return kc_err(err, "Invalid condition in KeyConditionExpression: Multiple attribute "
                          "names used in one condition");
    return 0;
}

static expr_kc_op kc_op_of(const expr_node *n)
{
    if (n->type == N_BETWEEN)
        return KC_BETWEEN;
    if (n->type == N_FUNC)
        return KC_BEGINS_WITH;
    switch (n->op) {
    case TK_EQ: return KC_EQ;
    case TK_LT: return KC_LT;
    case TK_LE: return KC_LE;
    case TK_GT: return KC_GT;
    default:    return KC_GE;
    }
}

/* Map (name, op, v1, v2) conditions onto the key schema. */
static int assign_keys(const char *const *names, const expr_kc_op *ops, json_t *const (*vals)[2],
                       int count, const char *hash_key, const char *range_key,
                       expr_key_cond *out, err_t *err)
{
    int hash = -1, range = -1;
    for (int i = 0; i < count; i++) {
        if (strcmp(names[i], hash_key) == 0)
            hash = i;
        else if (range_key != NULL && strcmp(names[i], range_key) == 0)
            range = i;
    }
    if (hash < 0)
        return err_set(err, ERR_DDB_VALIDATION, "Query condition missed key schema element: %s", hash_key);
    if (count == 2 && range < 0) {
        if (range_key == NULL)
            return kc_err(err, "Query key condition not supported");
        return err_set(err, ERR_DDB_VALIDATION, "Query condition missed key schema element: %s", range_key);
    }
    if (ops[hash] != KC_EQ)
        return kc_err(err, "Query key condition not supported");
    out->hash_value = json_incref(vals[hash][0]);
    if (range >= 0) {
        out->range_op = ops[range];
        out->range_v1 = json_incref(vals[range][0]);
        out->range_v2 = json_incref(vals[range][1]);
    }
    return 0;
}

static int key_from_tree(const expr_node *root, const char *hash_key, const char *range_key,
                         expr_key_cond *out, err_t *err)
{
    const expr_node *leaves[KC_MAX];
    const char *names[2];
    expr_kc_op ops[2];
    json_t *vals[2][2] = {{NULL, NULL}, {NULL, NULL}};
    int count = 0;
    if (key_leaves(root, leaves, &count, err) != 0)
        return -1;
    if (count > 2)
        return kc_err(err, "Conditions can be of length 1 or 2 only");
    for (int i = 0; i < count; i++) {
        if (leaf_shape(leaves[i], err) != 0)
            return -1;
        names[i] = leaves[i]->args[0]->path.e[0].name;
        ops[i] = kc_op_of(leaves[i]);
        vals[i][0] = leaves[i]->args[1]->value;
        vals[i][1] = leaves[i]->nargs > 2 ? leaves[i]->args[2]->value : NULL;
    }
    if (count == 2 && strcmp(names[0], names[1]) == 0)
        return kc_err(err, "KeyConditionExpressions must only contain one condition per key");
    return assign_keys(names, ops, (json_t *const (*)[2])vals, count, hash_key, range_key, out, err);
}

int expr_key_condition(expr_ctx *ctx, const char *text, const char *hash_key,
                       const char *range_key, expr_key_cond *out, err_t *err)
{
    expr_parser p;
    expr_node *root = NULL;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (text == NULL || text[0] == '\0')
        return kc_err(err, "Invalid KeyConditionExpression: The expression can not be empty;");
    expr_parser_init(&p, ctx, EXPR_KEY_CONDITION, text, err);
    root = expr_parse_condition_tree(&p);
    if (root == NULL) {
        if (!p.failed)
            err_set(err, ERR_DDB_INTERNAL, "out of memory");
        goto out;
    }
    if (p.tk != TK_EOF) {
        expr_syntax_error(&p);
        goto out;
    }
    if (expr_sem_report(&p) != 0)
        goto out;
    rc = key_from_tree(root, hash_key, range_key, out, err);
out:
    if (rc != 0)
        expr_key_cond_free(out);
    expr_node_free(root);
    return rc;
}

/* ---- legacy KeyConditions ----------------------------------------------------- */

int expr_key_condition_legacy(json_t *key_conditions, const char *hash_key,
                              const char *range_key, expr_key_cond *out, err_t *err)
{
    static const struct { const char *name; expr_kc_op op; } ops_tab[] = {
        {"EQ", KC_EQ}, {"LT", KC_LT}, {"LE", KC_LE}, {"GT", KC_GT}, {"GE", KC_GE},
        {"BETWEEN", KC_BETWEEN}, {"BEGINS_WITH", KC_BEGINS_WITH},
    };
    const char *names[2], *attr;
    expr_kc_op ops[2];
    json_t *vals[2][2] = {{NULL, NULL}, {NULL, NULL}}, *c;
    int count = 0, rc = -1;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(key_conditions))
        return kc_err(err, "Conditions must not be null");
    json_object_foreach(key_conditions, attr, c) {
        const char *op = json_string_value(json_object_get(c, "ComparisonOperator"));
        json_t *list = json_object_get(c, "AttributeValueList");
        if (expr_legacy_check(attr, op, list, err) != 0)
            return -1;
    }
    if (json_object_size(key_conditions) < 1 || json_object_size(key_conditions) > 2)
        return kc_err(err, "Conditions can be of length 1 or 2 only");
    json_object_foreach(key_conditions, attr, c) {
        const char *op = json_string_value(json_object_get(c, "ComparisonOperator"));
        json_t *list = json_object_get(c, "AttributeValueList");
        size_t k;
        for (k = 0; k < sizeof(ops_tab) / sizeof(ops_tab[0]); k++)
            if (strcmp(op, ops_tab[k].name) == 0)
                break;
        if (k == sizeof(ops_tab) / sizeof(ops_tab[0]))
            return kc_err(err, "Attempted conditional constraint is not an indexable operation");
        names[count] = attr;
        ops[count] = ops_tab[k].op;
        vals[count][0] = json_array_get(list, 0);
        vals[count][1] = json_array_get(list, 1);
        count++;
    }
    rc = assign_keys(names, ops, (json_t *const (*)[2])vals, count, hash_key, range_key, out, err);
    if (rc != 0)
        expr_key_cond_free(out);
    return rc;
}
