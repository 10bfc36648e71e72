/*
 * expr_eval.c - evaluation of conditions and filters against an item, and
 * ProjectionExpression / AttributesToGet application.
 *
 * Semantics (DynamoDB developer guide, "Comparison operator and function
 * reference"): an operand that does not resolve (missing attribute, size()
 * of a number) makes =, <, <=, >, >=, BETWEEN, IN and the functions false,
 * and <> true; ordering compares only two S, two N or two B values;
 * contains() is a substring test on strings and membership on sets and
 * lists; size() is the UTF-8 byte length of S, the byte length of B and
 * the element count of sets, lists and maps.
 *
 * Entry points: expr_eval, expr_project.
 */
#include "expr_int.h"

#include <stdlib.h>
#include <string.h>
#include "av.h"
#include "num.h"

/* Decoded bytes of a B value or S bytes; caller frees *buf when set. */
static bool bytes_of(const json_t *av, av_type_t t, const unsigned char **p, size_t *n,
                     unsigned char **buf)
{
    json_t *v = json_object_get(av, t == AV_S ? "S" : "B");
    *buf = NULL;
    if (!json_is_string(v))
        return false;
    if (t == AV_S) {
        *p = (const unsigned char *)json_string_value(v);
        *n = json_string_length(v);
        return true;
    }
    if (av_binary_decode(v, buf, n) != 0)
        return false;
    *p = *buf;
    return true;
}

static bool begins_with(const json_t *a, const json_t *b)
{
    av_type_t t = av_type(a);
    const unsigned char *x, *y;
    size_t nx, ny;
    unsigned char *bx = NULL, *by = NULL;
    bool r = false;
    if ((t != AV_S && t != AV_B) || av_type(b) != t)
        return false;
    if (bytes_of(a, t, &x, &nx, &bx) && bytes_of(b, t, &y, &ny, &by))
        r = ny <= nx && memcmp(x, y, ny) == 0;
    free(bx);
    free(by);
    return r;
}

static bool set_member(const json_t *set, av_type_t st, const json_t *needle)
{
    static const struct { av_type_t set, elem; const char *name; } map[] = {
        {AV_SS, AV_S, "S"}, {AV_NS, AV_N, "N"}, {AV_BS, AV_B, "B"},
    };
    size_t i;
    json_t *x;
    for (size_t k = 0; k < 3; k++) {
        if (map[k].set != st)
            continue;
        if (av_type(needle) != map[k].elem)
            return false;
        json_array_foreach(json_object_get(set, av_type_name(st)), i, x) {
            json_t *probe = json_pack("{s:O}", map[k].name, x);
            bool eq = probe != NULL && av_equal(probe, needle);
            json_decref(probe);
            if (eq)
                return true;
        }
    }
    return false;
}

bool expr_av_contains(const json_t *hay, const json_t *needle)
{
    av_type_t t = av_type(hay);
    size_t i;
    json_t *x;
    if (hay == NULL || needle == NULL)
        return false;
    if (t == AV_S) {
        const unsigned char *h, *n;
        size_t nh, nn;
        unsigned char *b1 = NULL, *b2 = NULL;
        bool r = av_type(needle) == AV_S && bytes_of(hay, t, &h, &nh, &b1) &&
                 bytes_of(needle, AV_S, &n, &nn, &b2) && memmem(h, nh, n, nn) != NULL;
        return r;
    }
    if (t == AV_SS || t == AV_NS || t == AV_BS)
        return set_member(hay, t, needle);
    if (t == AV_L)
        json_array_foreach(json_object_get(hay, "L"), i, x)
            if (av_equal(x, needle))
                return true;
    return false;
}

/* size() of an AttributeValue as a new {"N": ...}, or NULL (undefined). */
static json_t *size_of(const json_t *av)
{
    av_type_t t = av_type(av);
    size_t n;
    char buf[32];
    json_t *v = av ? json_object_get(av, av_type_name(t)) : NULL;
    unsigned char *bin = NULL;
    switch (t) {
    case AV_S: n = json_string_length(v); break;
    case AV_B:
        if (av_binary_decode(v, &bin, &n) != 0)
            return NULL;
        free(bin);
        break;
    case AV_SS: case AV_NS: case AV_BS: case AV_L: n = json_array_size(v); break;
    case AV_M: n = json_object_size(v); break;
    default: return NULL;
    }
    snprintf(buf, sizeof(buf), "%zu", n);
    return json_pack("{s:s}", "N", buf);
}

json_t *expr_eval_operand(const expr_node *n, const json_t *item)
{
    switch (n->type) {
    case N_VALUE:
        return json_incref(n->value);
    case N_PATH:
        return json_incref(expr_path_get(item, &n->path));
    case N_FUNC:
        if (n->fn == FN_SIZE && n->nargs == 1) {
            json_t *v = expr_eval_operand(n->args[0], item);
            json_t *s = size_of(v);
            json_decref(v);
            return s;
        }
        return NULL;
    default:
        return NULL;
    }
}

static bool compare(expr_tk op, const json_t *a, const json_t *b)
{
    int c;
    if (op == TK_EQ)
        return a && b && av_equal(a, b);
    if (op == TK_NE)
        return !(a && b && av_equal(a, b));
    if (a == NULL || b == NULL || av_compare(a, b, &c) != 0)
        return false;
    switch (op) {
    case TK_LT: return c < 0;
    case TK_LE: return c <= 0;
    case TK_GT: return c > 0;
    default:    return c >= 0;
    }
}

static bool eval_function(const expr_node *n, const json_t *item)
{
    json_t *a = n->nargs > 0 ? expr_eval_operand(n->args[0], item) : NULL;
    json_t *b = n->nargs > 1 ? expr_eval_operand(n->args[1], item) : NULL;
    bool r = false;
    switch (n->fn) {
    case FN_ATTRIBUTE_EXISTS:     r = a != NULL; break;
    case FN_ATTRIBUTE_NOT_EXISTS: r = a == NULL; break;
    case FN_BEGINS_WITH:          r = a && b && begins_with(a, b); break;
    case FN_CONTAINS:             r = expr_av_contains(a, b); break;
    case FN_ATTRIBUTE_TYPE: {
        const char *want = json_string_value(json_object_get(b, "S"));
        r = a && want && strcmp(av_type_name(av_type(a)), want) == 0;
        break;
    }
    default: break;
    }
    json_decref(a);
    json_decref(b);
    return r;
}

static bool eval_multi(const expr_node *n, const json_t *item)
{
    json_t *v = expr_eval_operand(n->args[0], item);
    bool r = false;
    if (n->type == N_BETWEEN) {
        json_t *lo = expr_eval_operand(n->args[1], item), *hi = expr_eval_operand(n->args[2], item);
        r = compare(TK_GE, v, lo) && compare(TK_LE, v, hi);
        json_decref(lo);
        json_decref(hi);
    } else {
        for (int i = 1; i < n->nargs && !r; i++) {
            json_t *x = expr_eval_operand(n->args[i], item);
            r = compare(TK_EQ, v, x);
            json_decref(x);
        }
    }
    json_decref(v);
    return r;
}

bool expr_eval_node(const expr_node *n, const json_t *item)
{
    switch (n->type) {
    case N_AND: return expr_eval_node(n->args[0], item) && expr_eval_node(n->args[1], item);
    case N_OR:  return expr_eval_node(n->args[0], item) || expr_eval_node(n->args[1], item);
    case N_NOT: return !expr_eval_node(n->args[0], item);
    case N_CMP: {
        json_t *a = expr_eval_operand(n->args[0], item), *b = expr_eval_operand(n->args[1], item);
        bool r = compare(n->op, a, b);
        json_decref(a);
        json_decref(b);
        return r;
    }
    case N_BETWEEN:
    case N_IN:
        return eval_multi(n, item);
    case N_FUNC:
        return eval_function(n, item);
    default:
        return false;
    }
}

int expr_eval(const expr_t *cond, const json_t *item, bool *result, err_t *err)
{
    if (cond == NULL || cond->root == NULL)
        return err_set(err, ERR_DDB_INTERNAL, "expr_eval: not a condition");
    *result = expr_eval_node(cond->root, item);
    return 0;
}

/* ---- projection ------------------------------------------------------------- */

/* While building, a projected list is {"L*": {"<index>": av, ...}} so that
 * several indexes of one list come out in index order; finish() turns it
 * into {"L": [...]}. */
static json_t *project_step(json_t *dst, const json_t *src, const expr_path *p, int i)
{
    const expr_pelem *el = &p->e[i];
    json_t *child_src, *slot;
    char key[32];
    if (i == 0) {
        child_src = json_object_get(src, el->name);
        slot = dst;
        snprintf(key, sizeof(key), "%s", "");
    } else if (el->name) {
        json_t *m = json_object_get(src, "M");
        child_src = json_is_object(m) ? json_object_get(m, el->name) : NULL;
        if ((slot = json_object_get(dst, "M")) == NULL)
            json_object_set_new(dst, "M", slot = json_object());
    } else {
        json_t *l = json_object_get(src, "L");
        child_src = json_is_array(l) ? json_array_get(l, (size_t)el->index) : NULL;
        if ((slot = json_object_get(dst, "L*")) == NULL)
            json_object_set_new(dst, "L*", slot = json_object());
        snprintf(key, sizeof(key), "%ld", el->index);
    }
    if (child_src == NULL || slot == NULL)
        return NULL;
    const char *k = el->name ? el->name : key;
    if (i == p->n - 1) {
        json_object_set_new(slot, k, json_deep_copy(child_src));
        return slot;
    }
    json_t *next = json_object_get(slot, k);
    if (next == NULL)
        json_object_set_new(slot, k, next = json_object());
    return project_step(next, child_src, p, i + 1);
}

static int idx_cmp(const void *a, const void *b)
{
    long x = atol(*(const char *const *)a), y = atol(*(const char *const *)b);
    return (x > y) - (x < y);
}

/* Rewrite every "L*" built above into a dense "L"; */
static void finish(json_t *av)
{
    json_t *m = json_object_get(av, "M"), *ls = json_object_get(av, "L*"), *v;
    const char *k;
    json_object_foreach(m, k, v)
        finish(v);
    if (ls == NULL)
        return;
    size_t n = json_object_size(ls), i = 0;
    const char **keys = calloc(n + 1, sizeof(*keys));
    json_t *arr = json_array();
    json_object_foreach(ls, k, v)
        if (keys)
            keys[i++] = k;
    if (keys)
        qsort(keys, i, sizeof(*keys), idx_cmp);
    for (size_t j = 0; keys && j < i; j++) {
        json_t *x = json_object_get(ls, keys[j]);
        finish(x);
        json_array_append(arr, x);
    }
    free(keys);
    json_object_set_new(av, "L", arr);
    json_object_del(av, "L*");
}

json_t *expr_project(const expr_t *projection, const json_t *item)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    if (out == NULL || projection == NULL || item == NULL)
        return out;
    for (int i = 0; i < projection->npaths; i++)
        if (expr_path_get(item, &projection->paths[i]) != NULL)   /* never build empty shells */
            project_step(out, item, &projection->paths[i], 0);
    json_object_foreach(out, k, v)
        finish(v);
    return out;
}
