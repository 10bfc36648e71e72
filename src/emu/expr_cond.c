/*
 * expr_cond.c - the condition grammar (ConditionExpression,
 * FilterExpression, KeyConditionExpression), ProjectionExpression, the
 * path-overlap check shared with updates, and the public expr_parse().
 *
 * Precedence, tightest first: comparators; IN, BETWEEN and functions; NOT;
 * AND; OR.  Parentheses group.  See expr_parse.c for the operand grammar.
 */
#include "expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "av.h"
#include "num.h"

static expr_node *parse_or(expr_parser *p, bool allow_operand);

static bool is_operand(const expr_node *n)
{
    switch (n->type) {
    case N_PATH: case N_VALUE: case N_PLUS: case N_MINUS:
        return true;
    case N_FUNC:
        return n->fn == FN_SIZE || n->fn == FN_IF_NOT_EXISTS || n->fn == FN_LIST_APPEND;
    default:
        return false;
    }
}

static bool is_cmp(expr_tk t)
{
    return t == TK_EQ || t == TK_NE || t == TK_LT || t == TK_LE || t == TK_GT || t == TK_GE;
}

static const char *cmp_name(expr_tk t)
{
    switch (t) {
    case TK_EQ: return "=";
    case TK_NE: return "<>";
    case TK_LT: return "<";
    case TK_LE: return "<=";
    case TK_GT: return ">";
    default:    return ">=";
    }
}

static void misused(expr_parser *p, const expr_node *n)
{
    if (n->type == N_FUNC && !is_operand(n))
        expr_sem_error(p, EC_MISUSED_FN, "The function is not allowed to be used this way in "
                       "an expression; function: %s", expr_fn_name(n->fn));
}

/* "{S:a}" for BETWEEN's messages. */
static void av_brief(const json_t *av, char *buf, size_t size)
{
    const char *t = av_type_name(av_type(av));
    json_t *v = json_object_get(av, t);
    snprintf(buf, size, "{%s:%s}", t, json_is_string(v) ? json_string_value(v) : "");
}

static void check_between(expr_parser *p, const expr_node *lo, const expr_node *hi)
{
    char a[200], b[200];
    int cmp;
    if (lo->type != N_VALUE || hi->type != N_VALUE || lo->value == NULL || hi->value == NULL)
        return;
    av_brief(lo->value, a, sizeof(a));
    av_brief(hi->value, b, sizeof(b));
    if (av_type(lo->value) != av_type(hi->value))
        expr_sem_error(p, EC_FUNCTION, "The BETWEEN operator requires same data type for lower "
                       "and upper bounds; lower bound operand: AttributeValue: %s, upper bound "
                       "operand: AttributeValue: %s", a, b);
    else if (av_compare(lo->value, hi->value, &cmp) == 0 && cmp > 0)
        expr_sem_error(p, EC_FUNCTION, "The BETWEEN operator requires upper bound to be greater "
                       "than or equal to lower bound; lower bound operand: AttributeValue: %s, "
                       "upper bound operand: AttributeValue: %s", a, b);
}

/* Build node(type) with lhs (stolen) and following operands. */
static expr_node *with_lhs(expr_ntype type, expr_node *lhs)
{
    expr_node *n = expr_node_new(type);
    if (n == NULL) {
        expr_node_free(lhs);
        return NULL;
    }
    if (expr_node_add(n, lhs) != 0) {
        expr_node_free(n);
        return NULL;
    }
    return n;
}

static expr_node *parse_in(expr_parser *p, expr_node *n)
{
    expr_next(p);                            /* IN */
    if (p->tk != TK_LP) {
        expr_syntax_error(p);
        goto fail;
    }
    expr_next(p);
    if (expr_parse_operand_list(p, n) != 0)
        goto fail;
    for (int i = 0; i < n->nargs; i++)
        misused(p, n->args[i]);
    return n;
fail:
    expr_node_free(n);
    return NULL;
}

static expr_node *parse_between(expr_parser *p, expr_node *n)
{
    expr_next(p);                            /* BETWEEN */
    if (expr_node_add(n, expr_parse_operand(p)) != 0)
        goto fail;
    if (!expr_tok_is(p, "AND")) {
        expr_syntax_error(p);
        goto fail;
    }
    expr_next(p);
    if (expr_node_add(n, expr_parse_operand(p)) != 0)
        goto fail;
    for (int i = 0; i < 3; i++)
        misused(p, n->args[i]);
    check_between(p, n->args[1], n->args[2]);
    return n;
fail:
    expr_node_free(n);
    return NULL;
}

/* What follows an operand: a comparator, BETWEEN or IN; or nothing when
 * the operand is itself a condition function (or a bare operand inside a
 * parenthesised group, when allow_operand).  Steals lhs. */
static expr_node *parse_tail(expr_parser *p, expr_node *lhs, bool allow_operand)
{
    expr_node *n;
    if (is_cmp(p->tk)) {
        if ((n = with_lhs(N_CMP, lhs)) == NULL)
            return NULL;
        n->op = p->tk;
        expr_next(p);
        if (expr_node_add(n, expr_parse_operand(p)) != 0) {
            expr_node_free(n);
            return NULL;
        }
        misused(p, n->args[0]);
        misused(p, n->args[1]);
        expr_check_distinct(p, cmp_name(n->op), n->args[0], n->args[1]);
        return n;
    }
    if (expr_tok_is(p, "BETWEEN"))
        return (n = with_lhs(N_BETWEEN, lhs)) ? parse_between(p, n) : NULL;
    if (expr_tok_is(p, "IN"))
        return (n = with_lhs(N_IN, lhs)) ? parse_in(p, n) : NULL;
    if (!is_operand(lhs) || allow_operand)
        return lhs;
    if (lhs->type == N_FUNC) {       /* size(a) used as a condition */
        expr_sem_error(p, EC_MISUSED_FN, "The function is not allowed to be used this way in "
                       "an expression; function: %s", expr_fn_name(lhs->fn));
        return lhs;
    }
    expr_node_free(lhs);
    expr_syntax_error(p);
    return NULL;
}

static expr_node *parse_group(expr_parser *p, bool allow_operand)
{
    expr_node *inner = NULL;
    if (!expr_nest_enter(p))
        goto out;
    expr_next(p);                               /* '(' */
    inner = parse_or(p, true);
    if (inner == NULL)
        goto out;
    if (p->tk != TK_RP) {
        expr_syntax_error(p);
        expr_node_free(inner);
        inner = NULL;
        goto out;
    }
    expr_next(p);
    if (++inner->parens > 1)
        expr_sem_error(p, EC_PARENS, "The expression has redundant parentheses;");
out:
    p->nesting--;
    if (inner != NULL && is_operand(inner))
        return parse_tail(p, inner, allow_operand);
    return inner;
}

static expr_node *parse_primary(expr_parser *p, bool allow_operand)
{
    if (p->tk == TK_LP)
        return parse_group(p, allow_operand);
    expr_node *lhs = expr_parse_operand(p);
    return lhs ? parse_tail(p, lhs, allow_operand) : NULL;
}

static expr_node *parse_not(expr_parser *p, bool allow_operand)
{
    if (!expr_tok_is(p, "NOT"))
        return parse_primary(p, allow_operand);
    expr_node *n = NULL;
    if (expr_nest_enter(p)) {
        expr_next(p);
        expr_node *child = parse_not(p, false);
        if (child != NULL)
            n = with_lhs(N_NOT, child);
    }
    p->nesting--;
    return n;
}

/* left (AND|OR) right ...; a bare operand may not be combined. */
static expr_node *parse_chain(expr_parser *p, bool allow_operand, bool is_or)
{
    expr_node *left = is_or ? parse_chain(p, allow_operand, false) : parse_not(p, allow_operand);
    while (left != NULL && expr_tok_is(p, is_or ? "OR" : "AND")) {
        if (is_operand(left)) {
            expr_node_free(left);
            expr_syntax_error(p);
            return NULL;
        }
        expr_next(p);
        expr_node *right = is_or ? parse_chain(p, false, false) : parse_not(p, false);
        if (right == NULL) {
            expr_node_free(left);
            return NULL;
        }
        expr_node *n = with_lhs(is_or ? N_OR : N_AND, left);
        if (n == NULL || expr_node_add(n, right) != 0) {
            expr_node_free(n);
            return NULL;
        }
        left = n;
    }
    return left;
}

static expr_node *parse_or(expr_parser *p, bool allow_operand)
{
    return parse_chain(p, allow_operand, true);
}

expr_node *expr_parse_condition_tree(expr_parser *p)
{
    return parse_or(p, false);
}

/* ---- overlap of document paths ------------------------------------------- */

void expr_check_overlap(expr_parser *p, const expr_path *paths, int n, const expr_path *np)
{
    char a[300], b[300];
    for (int k = 0; k < n; k++) {
        const expr_path *q = &paths[k];
        int i;
        bool differ = false;
        for (i = 0; i < q->n && i < np->n; i++) {
            const expr_pelem *x = &q->e[i], *y = &np->e[i];
            if ((x->name == NULL) != (y->name == NULL)) {
                expr_path_str(q, a, sizeof(a));
                expr_path_str(np, b, sizeof(b));
                expr_sem_error(p, EC_CONFLICT, "Two document paths conflict with each other; "
                               "must remove or rewrite one of these paths; path one: %s, "
                               "path two: %s", a, b);
                differ = true;
                break;
            }
            if (x->name ? strcmp(x->name, y->name) != 0 : x->index != y->index) {
                differ = true;
                break;
            }
        }
        if (!differ) {
            expr_path_str(q, a, sizeof(a));
            expr_path_str(np, b, sizeof(b));
            expr_sem_error(p, EC_OVERLAP, "Two document paths overlap with each other; must "
                           "remove or rewrite one of these paths; path one: %s, path two: %s", a, b);
        }
    }
}

/* ---- projection ------------------------------------------------------------ */

static int parse_projection(expr_parser *p, expr_t *e)
{
    for (;;) {
        expr_path path;
        if (expr_parse_path(p, &path) != 0) {
            expr_path_free(&path);
            return -1;
        }
        expr_check_overlap(p, e->paths, e->npaths, &path);
        expr_path *np = realloc(e->paths, sizeof(*np) * (size_t)(e->npaths + 1));
        if (np == NULL) {
            expr_path_free(&path);
            return -1;
        }
        e->paths = np;
        e->paths[e->npaths++] = path;
        if (p->tk != TK_COMMA)
            return 0;
        expr_next(p);
    }
}

/* ---- entry point -------------------------------------------------------------- */

int expr_parse(expr_ctx *ctx, expr_kind kind, const char *text, expr_t **out, err_t *err)
{
    expr_parser p;
    int rc = -1;
    expr_t *e = NULL;
    *out = NULL;
    if (text == NULL || text[0] == '\0')
        return err_set(err, ERR_DDB_VALIDATION, "Invalid %s: The expression can not be empty;",
                       expr_kind_label(kind));
    expr_parser_init(&p, ctx, kind, text, err);
    if ((e = expr_new(kind)) == NULL)
        goto oom;
    if (kind == EXPR_PROJECTION)
        rc = parse_projection(&p, e);
    else if (kind == EXPR_UPDATE)
        rc = expr_parse_update(&p, e);
    else
        rc = (e->root = expr_parse_condition_tree(&p)) ? 0 : -1;
    if (rc != 0 && !p.failed)
        goto oom;
    if (rc != 0)
        goto fail;
    if (p.tk != TK_EOF) {
        expr_syntax_error(&p);
        goto fail;
    }
    if (expr_sem_report(&p) != 0)
        goto fail;
    *out = e;
    return 0;
oom:
    err_set(err, ERR_DDB_INTERNAL, "out of memory while parsing %s", expr_kind_label(kind));
fail:
    expr_free(e);
    return -1;
}
