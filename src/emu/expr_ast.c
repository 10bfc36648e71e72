/*
 * expr_ast.c - the data structures of the expression engine: document
 * paths, AST nodes, parsed expressions and the per-request expr_ctx that
 * records which #names and :values were used.
 *
 * Entry points: expr_ctx_init/free/check_unused, expr_free, and the
 * expr_path_* / expr_node_* helpers of expr_int.h.
 */
#include "expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- expr_ctx ------------------------------------------------------------ */

void expr_ctx_init(expr_ctx *ctx, json_t *names, json_t *values)
{
    ctx->names = names;
    ctx->values = values;
    ctx->used_names = json_object();
    ctx->used_values = json_object();
}

void expr_ctx_free(expr_ctx *ctx)
{
    json_decref(ctx->used_names);
    json_decref(ctx->used_values);
    ctx->used_names = ctx->used_values = NULL;
}

/* Join the keys of `given` that are not in `used` as "k1, k2". */
static int unused_keys(const json_t *given, const json_t *used, char *buf, size_t size)
{
    const char *key;
    json_t *v;
    size_t off = 0;
    int n = 0;
    buf[0] = '\0';
    json_object_foreach((json_t *)given, key, v) {
        (void)v;
        if (used != NULL && json_object_get(used, key) != NULL)
            continue;
        int w = snprintf(buf + off, size - off, "%s%s", n ? ", " : "", key);
        if (w > 0)
            off += (size_t)w < size - off ? (size_t)w : size - off - 1;
        n++;
    }
    return n;
}

int expr_ctx_check_unused(const expr_ctx *ctx, err_t *err)
{
    char buf[900];
    if (ctx->names != NULL && json_is_object(ctx->names) &&
        unused_keys(ctx->names, ctx->used_names, buf, sizeof(buf)) > 0)
        return err_set(err, ERR_DDB_VALIDATION,
                       "Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", buf);
    if (ctx->values != NULL && json_is_object(ctx->values) &&
        unused_keys(ctx->values, ctx->used_values, buf, sizeof(buf)) > 0)
        return err_set(err, ERR_DDB_VALIDATION,
                       "Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", buf);
    return 0;
}

/* ---- paths ------------------------------------------------------------------ */

void expr_path_free(expr_path *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->e[i].name);
    free(p->e);
    p->e = NULL;
    p->n = 0;
}

int expr_path_push(expr_path *p, const char *name, size_t len, long index)
{
    expr_pelem *e = realloc(p->e, sizeof(*e) * (size_t)(p->n + 1));
    if (e == NULL)
        return -1;
    p->e = e;
    e[p->n].index = index;
    e[p->n].name = NULL;
    if (name != NULL) {
        e[p->n].name = strndup(name, len);
        if (e[p->n].name == NULL)
            return -1;
    }
    p->n++;
    return 0;
}

int expr_path_copy(const expr_path *src, expr_path *dst)
{
    dst->n = 0;
    dst->e = NULL;
    for (int i = 0; i < src->n; i++) {
        const char *nm = src->e[i].name;
        if (expr_path_push(dst, nm, nm ? strlen(nm) : 0, src->e[i].index) != 0) {
            expr_path_free(dst);
            return -1;
        }
    }
    return 0;
}

void expr_path_str(const expr_path *p, char *buf, size_t size)
{
    size_t off = 0;
    int w = snprintf(buf, size, "[");
    off = w > 0 ? (size_t)w : 0;
    for (int i = 0; i < p->n && off < size; i++) {
        if (p->e[i].name != NULL)
            w = snprintf(buf + off, size - off, "%s%s", i ? ", " : "", p->e[i].name);
        else
            w = snprintf(buf + off, size - off, "%s[%ld]", i ? ", " : "", p->e[i].index);
        if (w > 0)
            off += (size_t)w;
    }
    if (off < size)
        snprintf(buf + off, size - off, "]");
}

json_t *expr_path_get(const json_t *item, const expr_path *p)
{
    if (item == NULL || p->n == 0 || p->e[0].name == NULL)
        return NULL;
    json_t *cur = json_object_get(item, p->e[0].name);
    for (int i = 1; cur != NULL && i < p->n; i++) {
        if (p->e[i].name != NULL) {
            json_t *m = json_object_get(cur, "M");
            cur = json_is_object(m) ? json_object_get(m, p->e[i].name) : NULL;
        } else {
            json_t *l = json_object_get(cur, "L");
            cur = json_is_array(l) ? json_array_get(l, (size_t)p->e[i].index) : NULL;
        }
    }
    return cur;
}

/* ---- nodes ------------------------------------------------------------------ */

expr_node *expr_node_new(expr_ntype type)
{
    expr_node *n = calloc(1, sizeof(*n));
    if (n != NULL)
        n->type = type;
    return n;
}

void expr_node_free(expr_node *n)
{
    if (n == NULL)
        return;
    for (int i = 0; i < n->nargs; i++)
        expr_node_free(n->args[i]);
    free(n->args);
    expr_path_free(&n->path);
    json_decref(n->value);
    free(n);
}

int expr_node_add(expr_node *parent, expr_node *child)
{
    if (child == NULL)
        return -1;
    expr_node **a = realloc(parent->args, sizeof(*a) * (size_t)(parent->nargs + 1));
    if (a == NULL) {
        expr_node_free(child);
        return -1;
    }
    parent->args = a;
    a[parent->nargs++] = child;
    return 0;
}

static const char *const fn_names[] = {
    [FN_NONE] = "", [FN_ATTRIBUTE_EXISTS] = "attribute_exists",
    [FN_ATTRIBUTE_NOT_EXISTS] = "attribute_not_exists",
    [FN_ATTRIBUTE_TYPE] = "attribute_type", [FN_BEGINS_WITH] = "begins_with",
    [FN_CONTAINS] = "contains", [FN_SIZE] = "size",
    [FN_IF_NOT_EXISTS] = "if_not_exists", [FN_LIST_APPEND] = "list_append",
};

const char *expr_fn_name(expr_fn fn)
{
    return fn_names[fn];
}

/* ---- expressions ------------------------------------------------------------ */

expr_t *expr_new(expr_kind kind)
{
    expr_t *e = calloc(1, sizeof(*e));
    if (e != NULL)
        e->kind = kind;
    return e;
}

void expr_free(expr_t *e)
{
    if (e == NULL)
        return;
    expr_node_free(e->root);
    for (int i = 0; i < e->npaths; i++)
        expr_path_free(&e->paths[i]);
    free(e->paths);
    for (int i = 0; i < e->nactions; i++) {
        expr_path_free(&e->actions[i].path);
        expr_node_free(e->actions[i].value);
    }
    free(e->actions);
    free(e);
}

static void expr_heads_collect(const expr_node *n, json_t *set)
{
    if (n == NULL)
        return;
    if (n->type == N_PATH && n->path.n > 0 && n->path.e[0].name != NULL)
        json_object_set_new(set, n->path.e[0].name, json_true());
    for (int i = 0; i < n->nargs; i++)
        expr_heads_collect(n->args[i], set);
}

json_t *expr_path_heads(const expr_t *cond)
{
    json_t *set = json_object();
    if (cond != NULL)
        expr_heads_collect(cond->root, set);
    return set;
}
