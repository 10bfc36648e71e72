/*
 * expr_parse.c - the recursive-descent parser shared by every expression
 * kind: token stream, syntax errors with DynamoDB's `token`/`near` wording,
 * deferred semantic errors ranked like DynamoDB's, document paths with
 * #name resolution, operands and functions, and the condition grammar:
 *
 *   or      := and (OR and)*
 *   and     := not (AND not)*
 *   not     := NOT not | primary
 *   primary := '(' or ')' [tail] | operand tail
 *   tail    := cmp operand | BETWEEN operand AND operand
 *            | IN '(' operand (',' operand)* ')' | <nothing, for functions>
 *   operand := '(' operand ')' | :value | fn '(' operand, ... ')' | path
 *
 * A parenthesised group may hold a bare operand ("(size(a)) > :v"), so the
 * group is parsed once and classified afterwards: no backtracking, linear
 * time.  Nesting is capped at EXPR_MAX_NESTING.
 *
 * Entry points: expr_parse() and the expr_parser helpers of expr_int.h.
 */
#include "expr_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "av.h"

/* ---- tokens and errors ----------------------------------------------------- */

const char *expr_kind_label(expr_kind kind)
{
    static const char *const labels[] = {
        [EXPR_CONDITION] = "ConditionExpression", [EXPR_FILTER] = "FilterExpression",
        [EXPR_KEY_CONDITION] = "KeyConditionExpression",
        [EXPR_PROJECTION] = "ProjectionExpression", [EXPR_UPDATE] = "UpdateExpression",
    };
    return labels[kind];
}

/* Skip whitespace and load the token at p->pos. */
static void load_token(expr_parser *p)
{
    for (;;) {
        p->len = expr_lex_token(p->src + p->pos, &p->tk);
        if (p->tk != TK_SPACE)
            return;
        p->pos += p->len;
    }
}

void expr_parser_init(expr_parser *p, expr_ctx *ctx, expr_kind kind, const char *src, err_t *err)
{
    memset(p, 0, sizeof(*p));
    p->ctx = ctx;
    p->kind = kind;
    p->src = src;
    p->err = err;
    load_token(p);
}

void expr_next(expr_parser *p)
{
    if (p->tk == TK_EOF)
        return;
    p->prev = p->pos;
    p->has_prev = true;
    p->pos += p->len;
    load_token(p);
}

bool expr_tok_is(const expr_parser *p, const char *kw)
{
    return p->tk == TK_ID && strlen(kw) == p->len &&
           strncasecmp(p->src + p->pos, kw, p->len) == 0;
}

/* Token type after the current one (lookahead of one). */
static expr_tk peek_token(const expr_parser *p)
{
    size_t at = p->pos + p->len;
    expr_tk t;
    for (;;) {
        size_t n = expr_lex_token(p->src + at, &t);
        if (t != TK_SPACE)
            return t;
        at += n;
    }
}

int expr_syntax_error(expr_parser *p)
{
    if (p->failed)
        return -1;
    p->failed = true;
    p->fail_pos = p->pos;
    size_t start = p->has_prev ? p->prev : p->pos;
    int near_len = (int)(p->pos + p->len - start);
    if (p->tk == TK_EOF)
        return err_set(p->err, ERR_DDB_VALIDATION,
                       "Invalid %s: Syntax error; token: \"<EOF>\", near: \"%.*s\"",
                       expr_kind_label(p->kind), near_len, p->src + start);
    return err_set(p->err, ERR_DDB_VALIDATION,
                   "Invalid %s: Syntax error; token: \"%.*s\", near: \"%.*s\"",
                   expr_kind_label(p->kind), (int)p->len, p->src + p->pos,
                   near_len, p->src + start);
}

static int fail(expr_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(expr_parser *p, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    if (p->failed)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    p->failed = true;
    p->fail_pos = p->pos;
    return err_set(p->err, ERR_DDB_VALIDATION, "Invalid %s: %s", expr_kind_label(p->kind), msg);
}

void expr_sem_error(expr_parser *p, expr_eclass c, const char *fmt, ...)
{
    va_list ap;
    if (p->sem_set[c])
        return;
    va_start(ap, fmt);
    vsnprintf(p->sem[c], sizeof(p->sem[c]), fmt, ap);
    va_end(ap);
    p->sem_set[c] = true;
}

int expr_sem_report(expr_parser *p)
{
    static const expr_eclass cond_order[] = {
        EC_PARENS, EC_UNKNOWN_FN, EC_MISUSED_FN, EC_RESERVED, EC_NAME, EC_VALUE,
        EC_OPERANDS, EC_DISTINCT, EC_FUNCTION, EC_OVERLAP, EC_CONFLICT, EC_SECTION,
    };
    static const expr_eclass update_order[] = {
        EC_RESERVED, EC_UNKNOWN_FN, EC_MISUSED_FN, EC_SECTION, EC_NAME, EC_VALUE,
        EC_OVERLAP, EC_CONFLICT, EC_OPERANDS, EC_FUNCTION, EC_DISTINCT, EC_PARENS,
    };
    const expr_eclass *order = p->kind == EXPR_UPDATE || p->kind == EXPR_PROJECTION
                               ? update_order : cond_order;
    for (int i = 0; i < EC__COUNT; i++)
        if (p->sem_set[order[i]])
            return err_set(p->err, ERR_DDB_VALIDATION, "Invalid %s: %s",
                           expr_kind_label(p->kind), p->sem[order[i]]);
    return 0;
}

/* ---- names, values, paths ------------------------------------------------- */

/* Resolve the current #name token; returns the attribute name (borrowed
 * from ctx->names) or NULL after recording the error. */
static const char *resolve_name(expr_parser *p)
{
    char key[256];
    snprintf(key, sizeof(key), "%.*s", (int)p->len, p->src + p->pos);
    json_t *v = p->ctx && p->ctx->names ? json_object_get(p->ctx->names, key) : NULL;
    if (!json_is_string(v)) {
        expr_sem_error(p, EC_NAME, "An expression attribute name used in the document path is "
                       "not defined; attribute name: %s", key);
        return NULL;
    }
    json_object_set_new(p->ctx->used_names, key, json_true());
    return json_string_value(v);
}

static expr_node *parse_value(expr_parser *p)
{
    char key[256];
    expr_node *n = expr_node_new(N_VALUE);
    if (n == NULL)
        return NULL;
    snprintf(key, sizeof(key), "%.*s", (int)p->len, p->src + p->pos);
    json_t *v = p->ctx && p->ctx->values ? json_object_get(p->ctx->values, key) : NULL;
    if (v == NULL) {
        expr_sem_error(p, EC_VALUE, "An expression attribute value used in expression is not "
                       "defined; attribute value: %s", key);
    } else {
        json_object_set_new(p->ctx->used_values, key, json_true());
        n->value = json_incref(v);
    }
    expr_next(p);
    return n;
}

static bool is_keyword(const expr_parser *p)
{
    static const char *const cond_kw[] = {"AND", "OR", "NOT", "BETWEEN", "IN", NULL};
    static const char *const upd_kw[] = {"SET", "REMOVE", "ADD", "DELETE", NULL};
    const char *const *kw = p->kind == EXPR_UPDATE ? upd_kw
                          : p->kind == EXPR_PROJECTION ? NULL : cond_kw;
    for (int i = 0; kw != NULL && kw[i] != NULL; i++)
        if (expr_tok_is(p, kw[i]))
            return true;
    return false;
}

/* One path element name: identifier (reserved-checked) or #name. */
static int parse_path_name(expr_parser *p, expr_path *out)
{
    if (p->tk == TK_NAME) {
        const char *nm = resolve_name(p);
        const char *use = nm ? nm : p->src + p->pos;
        if (expr_path_push(out, use, nm ? strlen(nm) : p->len, 0) != 0)
            return -1;
    } else if (p->tk == TK_ID && !is_keyword(p)) {
        if (expr_is_reserved(p->src + p->pos, p->len))
            expr_sem_error(p, EC_RESERVED, "Attribute name is a reserved keyword; "
                           "reserved keyword: %.*s", (int)p->len, p->src + p->pos);
        if (expr_path_push(out, p->src + p->pos, p->len, 0) != 0)
            return -1;
    } else {
        return expr_syntax_error(p);
    }
    expr_next(p);
    return 0;
}

static int parse_index(expr_parser *p, expr_path *out)
{
    long v = 0;
    expr_next(p);                     /* '[' */
    if (p->tk != TK_NUM)
        return expr_syntax_error(p);
    for (size_t i = 0; i < p->len; i++) {
        v = v * 10 + (p->src[p->pos + i] - '0');
        if (v > EXPR_MAX_INDEX)
            return expr_syntax_error(p);
    }
    expr_next(p);
    if (p->tk != TK_RB)
        return expr_syntax_error(p);
    expr_next(p);
    return expr_path_push(out, NULL, 0, v);
}

int expr_parse_path(expr_parser *p, expr_path *out)
{
    out->n = 0;
    out->e = NULL;
    if (parse_path_name(p, out) != 0)
        return -1;
    for (;;) {
        int rc = 0;
        if (p->tk == TK_DOT) {
            expr_next(p);
            rc = parse_path_name(p, out);
        } else if (p->tk == TK_LB) {
            rc = parse_index(p, out);
        } else {
            break;
        }
        if (rc != 0)
            return -1;
        if (out->n > EXPR_MAX_DEPTH)
            return fail(p, "The document path has too many nesting levels; nesting levels: %d",
                        out->n);
    }
    return 0;
}

/* ---- operands and functions ----------------------------------------------- */

static expr_fn lookup_fn(const char *s, size_t len)
{
    for (int f = FN_ATTRIBUTE_EXISTS; f <= FN_LIST_APPEND; f++)
        if (strlen(expr_fn_name(f)) == len && memcmp(expr_fn_name(f), s, len) == 0)
            return f;
    return FN_NONE;
}

static bool is_cond_fn(expr_fn f)
{
    return f >= FN_ATTRIBUTE_EXISTS && f <= FN_SIZE;
}

const char *expr_static_type(const expr_node *n)
{
    if (n == NULL)
        return NULL;
    if (n->type == N_VALUE && n->value != NULL) {
        av_type_t t = av_type(n->value);
        return t == AV_INVALID ? NULL : av_type_name(t);
    }
    if (n->type == N_FUNC && n->fn == FN_SIZE)
        return "N";
    if (n->type == N_PLUS || n->type == N_MINUS)
        return "N";
    if (n->type == N_FUNC && n->fn == FN_LIST_APPEND)
        return "L";
    return NULL;
}

static void misused_args(expr_parser *p, expr_node *n, int from)
{
    for (int i = from; i < n->nargs; i++) {
        expr_node *a = n->args[i];
        if (a->type == N_FUNC && is_cond_fn(a->fn) && a->fn != FN_SIZE)
            expr_sem_error(p, EC_MISUSED_FN, "The function is not allowed to be used this way "
                           "in an expression; function: %s", expr_fn_name(a->fn));
    }
}

void expr_check_distinct(expr_parser *p, const char *op, expr_node *a, expr_node *b)
{
    char buf[300];
    if (a->type != N_PATH || b->type != N_PATH || a->path.n != b->path.n)
        return;
    for (int i = 0; i < a->path.n; i++) {
        const expr_pelem *x = &a->path.e[i], *y = &b->path.e[i];
        if ((x->name == NULL) != (y->name == NULL))
            return;
        if (x->name ? strcmp(x->name, y->name) != 0 : x->index != y->index)
            return;
    }
    expr_path_str(&a->path, buf, sizeof(buf));
    expr_sem_error(p, EC_DISTINCT, "The first operand must be distinct from the remaining "
                   "operands for this operator or function; operator: %s, first operand: %s",
                   op, buf);
}

static void check_operand_types(expr_parser *p, expr_node *n, const char *allowed, int from)
{
    for (int i = from; i < n->nargs; i++) {
        const char *t = expr_static_type(n->args[i]);
        char pat[16];
        snprintf(pat, sizeof(pat), "|%s|", t ? t : "");
        if (t != NULL && strstr(allowed, pat) == NULL) {
            expr_sem_error(p, EC_FUNCTION, "Incorrect operand type for operator or function; "
                           "operator or function: %s, operand type: %s", expr_fn_name(n->fn), t);
            return;
        }
    }
}

static void check_attribute_type(expr_parser *p, expr_node *n)
{
    static const char valid[] = "|S|N|B|NULL|SS|BOOL|L|BS|NS|M|";
    const char *t = expr_static_type(n->args[1]);
    if (t == NULL || strcmp(t, "S") != 0) {
        expr_sem_error(p, EC_FUNCTION, "Incorrect operand type for operator or function; "
                       "operator or function: attribute_type, operand type: %s",
                       t ? t : "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
        return;
    }
    const char *s = json_string_value(json_object_get(n->args[1]->value, "S"));
    char pat[64];
    snprintf(pat, sizeof(pat), "|%s|", s ? s : "");
    if (s == NULL || strlen(s) > 8 || strstr(valid, pat) == NULL)
        expr_sem_error(p, EC_FUNCTION, "Invalid attribute type name found; type: %s, valid "
                       "types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}", s ? s : "");
}

static const int fn_arity[] = {
    [FN_ATTRIBUTE_EXISTS] = 1, [FN_ATTRIBUTE_NOT_EXISTS] = 1, [FN_ATTRIBUTE_TYPE] = 2,
    [FN_BEGINS_WITH] = 2, [FN_CONTAINS] = 2, [FN_SIZE] = 1, [FN_IF_NOT_EXISTS] = 2,
    [FN_LIST_APPEND] = 2,
};

/* Arity, operand-type and placement checks of one parsed call. */
static void check_function(expr_parser *p, expr_node *n)
{
    bool update = p->kind == EXPR_UPDATE;
    if (update ? is_cond_fn(n->fn) : !is_cond_fn(n->fn)) {
        expr_sem_error(p, EC_UNKNOWN_FN, "The function is not allowed in %s expression; "
                       "function: %s", update ? "an update" : "a condition", expr_fn_name(n->fn));
        return;
    }
    if (n->nargs != fn_arity[n->fn]) {
        expr_sem_error(p, update ? EC_FUNCTION : EC_OPERANDS, "Incorrect number of operands for "
                       "operator or function; operator or function: %s, number of operands: %d",
                       expr_fn_name(n->fn), n->nargs);
        return;
    }
    if (!update)
        misused_args(p, n, 0);
    if (n->nargs == 2)
        expr_check_distinct(p, expr_fn_name(n->fn), n->args[0], n->args[1]);
    switch (n->fn) {
    case FN_ATTRIBUTE_EXISTS:
    case FN_ATTRIBUTE_NOT_EXISTS:
    case FN_IF_NOT_EXISTS:
        if (n->args[0]->type != N_PATH)
            expr_sem_error(p, EC_FUNCTION, "Operator or function requires a document path; "
                           "operator or function: %s", expr_fn_name(n->fn));
        break;
    case FN_BEGINS_WITH: check_operand_types(p, n, "|S|B|", 0); break;
    case FN_SIZE:        check_operand_types(p, n, "|S|B|SS|NS|BS|L|M|", 0); break;
    case FN_LIST_APPEND: check_operand_types(p, n, "|L|", 0); break;
    case FN_ATTRIBUTE_TYPE: check_attribute_type(p, n); break;
    default: break;
    }
}

int expr_parse_operand_list(expr_parser *p, expr_node *n)
{
    for (;;) {
        if (expr_node_add(n, expr_parse_operand(p)) != 0)
            return -1;
        if (p->tk == TK_RP)
            break;
        if (p->tk != TK_COMMA) {
            expr_syntax_error(p);
            return -1;
        }
        expr_next(p);
    }
    expr_next(p);
    return 0;
}

static expr_node *parse_function(expr_parser *p)
{
    expr_node *n = expr_node_new(N_FUNC);
    if (n == NULL)
        return NULL;
    n->fn = lookup_fn(p->src + p->pos, p->len);
    if (n->fn == FN_NONE)
        expr_sem_error(p, EC_UNKNOWN_FN, "Invalid function name; function: %.*s",
                       (int)p->len, p->src + p->pos);
    expr_next(p);                 /* name */
    expr_next(p);                 /* '(' */
    if (expr_parse_operand_list(p, n) != 0)
        goto fail;
    if (n->fn != FN_NONE)
        check_function(p, n);
    return n;
fail:
    expr_node_free(n);
    return NULL;
}

bool expr_nest_enter(expr_parser *p)
{
    if (++p->nesting > EXPR_MAX_NESTING) {
        fail(p, "The expression has too many nested operations; maximum nesting: %d",
             EXPR_MAX_NESTING);
        return false;
    }
    return true;
}

expr_node *expr_parse_operand(expr_parser *p)
{
    expr_node *n = NULL;
    if (!expr_nest_enter(p))
        return NULL;
    if (p->tk == TK_LP) {
        expr_next(p);
        n = expr_parse_operand(p);
        if (n != NULL && p->tk != TK_RP) {
            expr_syntax_error(p);
            expr_node_free(n);
            n = NULL;
        } else if (n != NULL) {
            expr_next(p);
            if (++n->parens > 1 && p->kind != EXPR_UPDATE)
                expr_sem_error(p, EC_PARENS, "The expression has redundant parentheses;");
        }
    } else if (p->tk == TK_VALUE) {
        n = parse_value(p);
    } else if (p->tk == TK_ID && peek_token(p) == TK_LP && !is_keyword(p)) {
        n = parse_function(p);
    } else if (p->tk == TK_ID || p->tk == TK_NAME) {
        n = expr_node_new(N_PATH);
        if (n != NULL && expr_parse_path(p, &n->path) != 0) {
            expr_node_free(n);
            n = NULL;
        }
    } else {
        expr_syntax_error(p);
    }
    p->nesting--;
    return n;
}
