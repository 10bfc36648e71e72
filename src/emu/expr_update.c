/*
 * expr_update.c - UpdateExpression: parsing of the SET / REMOVE / ADD /
 * DELETE sections and their application to an item.
 *
 *   update  := section+            (each section at most once)
 *   section := SET path '=' value (',' ...)* | REMOVE path (',' path)*
 *            | ADD path :value (',' ...)*    | DELETE path :value (',' ...)*
 *   value   := operand [('+' | '-') operand]
 *
 * Application follows DynamoDB: every SET value is computed against the
 * item as it was before the update; actions then run in order on a copy,
 * REMOVEs of list elements last and from the highest index down (so
 * "REMOVE l[0], l[1]" removes the two original elements); the copy replaces
 * the item only when every action succeeded.
 *
 * Entry points: expr_parse_update (via expr_parse), expr_apply_update,
 * expr_update_attributes.
 */
#include "expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "av.h"
#include "num.h"

#define MSG_BAD_OPERAND "An operand in the update expression has an incorrect data type"
#define MSG_BAD_PATH "The document path provided in the update expression is invalid for update"
#define MSG_NO_ATTR "The provided expression refers to an attribute that does not exist in the item"
#define MSG_LEGACY_MISMATCH "Type mismatch for attribute to update"

/* ---- parsing ------------------------------------------------------------------ */

static const char *const section_names[] = {"SET", "REMOVE", "ADD", "DELETE"};

static const char *operand_type_word(const char *t)
{
    static const char *const map[][2] = {
        {"S", "STRING"}, {"N", "NUMBER"}, {"B", "BINARY"}, {"NULL", "NULL"},
        {"BOOL", "BOOLEAN"}, {"L", "LIST"}, {"M", "MAP"},
    };
    for (size_t i = 0; t != NULL && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i][0], t) == 0)
            return map[i][1];
    return NULL;
}

static expr_node *parse_set_value(expr_parser *p)
{
    expr_node *lhs = expr_parse_operand(p), *n = NULL;
    if (lhs == NULL || (p->tk != TK_PLUS && p->tk != TK_MINUS))
        return lhs;
    const char *opname = p->tk == TK_PLUS ? "+" : "-";
    if ((n = expr_node_new(p->tk == TK_PLUS ? N_PLUS : N_MINUS)) == NULL ||
        expr_node_add(n, lhs) != 0) {
        if (n == NULL)
            expr_node_free(lhs);
        expr_node_free(n);
        return NULL;
    }
    expr_next(p);
    if (expr_node_add(n, expr_parse_operand(p)) != 0) {
        expr_node_free(n);
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        const char *t = n->args[i]->type == N_VALUE ? expr_static_type(n->args[i]) : NULL;
        if (t != NULL && strcmp(t, "N") != 0)
            expr_sem_error(p, EC_FUNCTION, "Incorrect operand type for operator or function; "
                           "operator or function: %s, operand type: %s", opname, t);
    }
    return n;
}

/* One action of section act into a (zeroed) expr_action. */
static int parse_action(expr_parser *p, expr_act act, expr_action *a)
{
    a->act = act;
    if (expr_parse_path(p, &a->path) != 0)
        return -1;
    if (act == ACT_SET) {
        if (p->tk != TK_EQ)
            return expr_syntax_error(p);
        expr_next(p);
        a->value = parse_set_value(p);
        return a->value ? 0 : -1;
    }
    if (act == ACT_REMOVE)
        return 0;
    if (p->tk != TK_VALUE)
        return expr_syntax_error(p);
    expr_node *v = expr_parse_operand(p);
    if ((a->value = v) == NULL)
        return -1;
    const char *word = operand_type_word(expr_static_type(v));
    if (word != NULL && !(act == ACT_ADD && strcmp(word, "NUMBER") == 0))
        expr_sem_error(p, EC_OPERANDS, "Incorrect operand type for operator or function; "
                       "operator: %s, operand type: %s", section_names[act], word);
    return 0;
}

static int section_of(const expr_parser *p)
{
    for (int i = 0; i < 4; i++)
        if (expr_tok_is(p, section_names[i]))
            return i;
    return -1;
}

int expr_parse_update(expr_parser *p, expr_t *e)
{
    bool seen[4] = {false, false, false, false};
    expr_path *paths = NULL;   /* shallow views of the action paths; owned array only */
    int rc = -1;
    while (p->tk != TK_EOF) {
        int sec = section_of(p);
        if (sec < 0) {
            expr_syntax_error(p);
            goto out;
        }
        if (seen[sec])
            expr_sem_error(p, EC_SECTION, "The \"%s\" section can only be used once in an "
                           "update expression;", section_names[sec]);
        seen[sec] = true;
        expr_next(p);
        for (;;) {
            expr_action *na = realloc(e->actions, sizeof(*na) * (size_t)(e->nactions + 1));
            expr_path *np = realloc(paths, sizeof(*np) * (size_t)(e->nactions + 1));
            if (na != NULL)
                e->actions = na;
            if (np != NULL)
                paths = np;
            if (na == NULL || np == NULL)
                goto out;
            expr_action *a = &e->actions[e->nactions++];
            memset(a, 0, sizeof(*a));
            if (parse_action(p, (expr_act)sec, a) != 0)
                goto out;
            expr_check_overlap(p, paths, e->nactions - 1, &a->path);
            paths[e->nactions - 1] = a->path;
            if (p->tk != TK_COMMA)
                break;
            expr_next(p);
        }
    }
    rc = 0;
out:
    free(paths);
    return rc;
}

/* ---- SET values ----------------------------------------------------------------- */

static int arith(const json_t *a, const json_t *b, bool plus, json_t **out, err_t *err)
{
    num_t x, y, r;
    char buf[NUM_STR_MAX];
    if (av_type(a) != AV_N || av_type(b) != AV_N)
        return err_set(err, ERR_DDB_VALIDATION, MSG_BAD_OPERAND);
    if (num_parse(json_string_value(json_object_get(a, "N")), &x, err) != 0 ||
        num_parse(json_string_value(json_object_get(b, "N")), &y, err) != 0 ||
        (plus ? num_add(&x, &y, &r, err) : num_sub(&x, &y, &r, err)) != 0)
        return -1;
    num_format(&r, buf);
    *out = json_pack("{s:s}", "N", buf);
    return *out ? 0 : err_set(err, ERR_DDB_INTERNAL, "out of memory");
}

/* Value of a SET operand against the original item: new reference. */
static int set_value(const expr_node *n, const json_t *item, json_t **out, err_t *err)
{
    json_t *a = NULL, *b = NULL;
    int rc = -1;
    *out = NULL;
    if (n->type == N_VALUE) {
        *out = json_incref(n->value);
        return 0;
    }
    if (n->type == N_PATH) {
        json_t *v = expr_path_get(item, &n->path);
        if (v == NULL)
            return err_set(err, ERR_DDB_VALIDATION, MSG_NO_ATTR);
        *out = json_incref(v);
        return 0;
    }
    if (n->type == N_FUNC && n->fn == FN_IF_NOT_EXISTS) {
        json_t *v = expr_path_get(item, &n->args[0]->path);
        if (v != NULL) {
            *out = json_incref(v);
            return 0;
        }
        return set_value(n->args[1], item, out, err);
    }
    if (n->nargs != 2 || set_value(n->args[0], item, &a, err) != 0 ||
        set_value(n->args[1], item, &b, err) != 0)
        goto out;
    if (n->type == N_PLUS || n->type == N_MINUS) {
        rc = arith(a, b, n->type == N_PLUS, out, err);
    } else if (n->type == N_FUNC && n->fn == FN_LIST_APPEND) {
        json_t *la = json_object_get(a, "L"), *lb = json_object_get(b, "L");
        if (av_type(a) != AV_L || av_type(b) != AV_L) {
            err_set(err, ERR_DDB_VALIDATION, MSG_BAD_OPERAND);
            goto out;
        }
        json_t *l = json_deep_copy(la);
        json_array_extend(l, lb);
        *out = json_pack("{s:o}", "L", l);
        rc = *out ? 0 : err_set(err, ERR_DDB_INTERNAL, "out of memory");
    } else {
        err_set(err, ERR_DDB_VALIDATION, MSG_BAD_OPERAND);
    }
out:
    json_decref(a);
    json_decref(b);
    return rc;
}

/* ---- paths in the working copy ------------------------------------------------------ */

/* The container (object of the M, or array of the L) holding the last
 * element of path, or NULL when the path is invalid for update. */
static json_t *parent_container(json_t *work, const expr_path *path)
{
    if (path->n == 1)
        return work;
    expr_path prefix = {path->n - 1, path->e};
    json_t *parent = expr_path_get(work, &prefix);
    const expr_pelem *last = &path->e[path->n - 1];
    json_t *c = json_object_get(parent, last->name ? "M" : "L");
    if (last->name ? !json_is_object(c) : !json_is_array(c))
        return NULL;
    return c;
}

static json_t *child_get(json_t *c, const expr_pelem *el)
{
    return el->name ? json_object_get(c, el->name) : json_array_get(c, (size_t)el->index);
}

/* Store a copy of v at the element (a list index past the end appends). */
static int child_set(json_t *c, const expr_pelem *el, const json_t *v)
{
    json_t *copy = json_deep_copy(v);
    if (el->name)
        return json_object_set_new(c, el->name, copy);
    if ((size_t)el->index < json_array_size(c))
        return json_array_set_new(c, (size_t)el->index, copy);
    return json_array_append_new(c, copy);
}

static void child_del(json_t *c, const expr_pelem *el)
{
    if (el->name)
        json_object_del(c, el->name);
    else if ((size_t)el->index < json_array_size(c))
        json_array_remove(c, (size_t)el->index);
}

/* ---- ADD / DELETE ------------------------------------------------------------------- */

static bool is_set_type(av_type_t t)
{
    return t == AV_SS || t == AV_NS || t == AV_BS;
}

/* Is s (a set element string) in arr, for set type t? */
static bool set_has(const json_t *arr, const char *s, av_type_t t)
{
    size_t i;
    json_t *x;
    num_t a, b;
    bool num = t == AV_NS && num_parse(s, &a, NULL) == 0;
    json_array_foreach(arr, i, x) {
        const char *xs = json_string_value(x);
        if (xs == NULL)
            continue;
        if (num ? num_parse(xs, &b, NULL) == 0 && num_cmp(&a, &b) == 0 : strcmp(xs, s) == 0)
            return true;
    }
    return false;
}

static int do_add(const expr_t *u, json_t *c, const expr_pelem *el, const json_t *v, err_t *err)
{
    json_t *cur = child_get(c, el);
    av_type_t tc = av_type(cur), tv = av_type(v);
    size_t i;
    json_t *x;
    if (cur == NULL)
        return child_set(c, el, v) == 0 ? 0 : err_set(err, ERR_DDB_INTERNAL, "out of memory");
    if (tc != tv || !(tc == AV_N || is_set_type(tc) || (u->legacy && tc == AV_L)))
        return err_set(err, ERR_DDB_VALIDATION, u->legacy ? MSG_LEGACY_MISMATCH : MSG_BAD_OPERAND);
    const char *tn = av_type_name(tc);
    json_t *dst = json_object_get(cur, tn), *src = json_object_get(v, tn);
    if (tc == AV_N) {
        json_t *sum = NULL;
        if (arith(cur, v, true, &sum, err) != 0)
            return -1;
        json_object_set(cur, "N", json_object_get(sum, "N"));
        json_decref(sum);
        return 0;
    }
    json_array_foreach(src, i, x) {
        if (tc == AV_L || !set_has(dst, json_string_value(x), tc))
            json_array_append_new(dst, json_deep_copy(x));
    }
    return 0;
}

static int do_delete(const expr_t *u, json_t *c, const expr_pelem *el, const json_t *v, err_t *err)
{
    json_t *cur = child_get(c, el);
    av_type_t tc = av_type(cur);
    if (cur == NULL)
        return 0;
    if (tc != av_type(v) || !is_set_type(tc))
        return err_set(err, ERR_DDB_VALIDATION, u->legacy ? MSG_LEGACY_MISMATCH : MSG_BAD_OPERAND);
    json_t *dst = json_object_get(cur, av_type_name(tc)), *src = json_object_get(v, av_type_name(tc));
    for (size_t i = json_array_size(dst); i-- > 0;)
        if (set_has(src, json_string_value(json_array_get(dst, i)), tc))
            json_array_remove(dst, i);
    if (json_array_size(dst) == 0)
        child_del(c, el);
    return 0;
}

/* ---- application ------------------------------------------------------------------------ */

/* Order REMOVE actions so later list indexes go first. */
static int path_cmp_desc(const void *a, const void *b)
{
    const expr_path *x = &(*(const expr_action *const *)a)->path;
    const expr_path *y = &(*(const expr_action *const *)b)->path;
    for (int i = 0; i < x->n && i < y->n; i++) {
        const expr_pelem *p = &x->e[i], *q = &y->e[i];
        if (p->name && q->name) {
            int c = strcmp(p->name, q->name);
            if (c != 0)
                return -c;
        } else if (!p->name && !q->name && p->index != q->index) {
            return p->index < q->index ? 1 : -1;
        }
    }
    return y->n - x->n;
}

static int apply_action(const expr_t *u, const expr_action *a, json_t *work, json_t *val, err_t *err)
{
    json_t *c = parent_container(work, &a->path);
    const expr_pelem *el = &a->path.e[a->path.n - 1];
    if (c == NULL)
        return err_set(err, ERR_DDB_VALIDATION, MSG_BAD_PATH);
    switch (a->act) {
    case ACT_SET:
        return child_set(c, el, val) == 0 ? 0 : err_set(err, ERR_DDB_INTERNAL, "out of memory");
    case ACT_ADD:
        return do_add(u, c, el, a->value->value, err);
    case ACT_DELETE:
        return do_delete(u, c, el, a->value->value, err);
    case ACT_REMOVE:
        child_del(c, el);
        return 0;
    }
    return 0;
}

int expr_apply_update(const expr_t *u, json_t *item, err_t *err)
{
    int rc = -1, nrem = 0;
    json_t *work = json_deep_copy(item);
    json_t **vals = calloc((size_t)u->nactions + 1, sizeof(*vals));       /* owned refs */
    const expr_action **rem = calloc((size_t)u->nactions + 1, sizeof(*rem));
    if (work == NULL || vals == NULL || rem == NULL) {
        err_set(err, ERR_DDB_INTERNAL, "out of memory");
        goto out;
    }
    for (int i = 0; i < u->nactions; i++)
        if (u->actions[i].act == ACT_SET && set_value(u->actions[i].value, item, &vals[i], err) != 0)
            goto out;
    for (int i = 0; i < u->nactions; i++) {
        if (u->actions[i].act == ACT_REMOVE)
            rem[nrem++] = &u->actions[i];
        else if (apply_action(u, &u->actions[i], work, vals[i], err) != 0)
            goto out;
    }
    qsort(rem, (size_t)nrem, sizeof(*rem), path_cmp_desc);
    for (int i = 0; i < nrem; i++)
        if (apply_action(u, rem[i], work, NULL, err) != 0)
            goto out;
    json_object_clear(item);
    json_object_update(item, work);
    rc = 0;
out:
    for (int i = 0; vals != NULL && i < u->nactions; i++)
        json_decref(vals[i]);
    free(vals);
    free(rem);
    json_decref(work);
    return rc;
}

json_t *expr_update_attributes(const expr_t *u)
{
    json_t *out = json_array();
    json_t *seen = json_object();
    for (int i = 0; out && seen && u && i < u->nactions; i++) {
        const char *nm = u->actions[i].path.e[0].name;
        if (nm != NULL && json_object_get(seen, nm) == NULL) {
            json_object_set_new(seen, nm, json_true());
            json_array_append_new(out, json_string(nm));
        }
    }
    json_decref(seen);
    return out;
}
