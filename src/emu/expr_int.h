/*
 * expr_int.h - internals of the expression engine shared by expr_*.c:
 * tokens, document paths, the AST, the parser context and its deferred
 * errors.  Not for use outside src/emu/expr_*.c.
 *
 * Ownership: an expr_t owns its whole tree.  Every node owns its children,
 * its path element names (malloc'd) and one reference to its value.
 */
#ifndef EMU_EXPR_INT_H
#define EMU_EXPR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "expr.h"

#define EXPR_MAX_DEPTH 32      /* document path nesting, as DynamoDB */
#define EXPR_MAX_NESTING 100   /* parentheses / NOT / function nesting */
#define EXPR_MAX_INDEX 100000000L

/* ---- lexer (expr_lex.c) ---------------------------------------------- */
typedef enum {
    TK_EOF = 0, TK_SPACE, TK_ID, TK_NAME, TK_VALUE, TK_NUM,
    TK_LP, TK_RP, TK_LB, TK_RB, TK_COMMA, TK_DOT,
    TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_PLUS, TK_MINUS,
    TK_ILLEGAL
} expr_tk;

/* Length of the token starting at z (never 0 unless *z is NUL), its type
 * in *type.  An illegal character yields TK_ILLEGAL spanning one UTF-8
 * character. */
size_t expr_lex_token(const char *z, expr_tk *type);

/* ---- document paths ---------------------------------------------------- */
typedef struct expr_pelem {
    char *name;      /* owned; NULL for a list index */
    long index;      /* list index when name == NULL */
} expr_pelem;

typedef struct expr_path {
    int n;
    expr_pelem *e;   /* owned array of n elements */
} expr_path;

void expr_path_free(expr_path *p);
int expr_path_copy(const expr_path *src, expr_path *dst);
/* "[a, b, [2]]" into buf (truncated to size). */
void expr_path_str(const expr_path *p, char *buf, size_t size);
/* Resolve a path in an item; borrowed AttributeValue or NULL. */
json_t *expr_path_get(const json_t *item, const expr_path *p);
/* Append one element; name is copied (len bytes).  0 / -1 (ENOMEM). */
int expr_path_push(expr_path *p, const char *name, size_t len, long index);

/* ---- AST ----------------------------------------------------------------- */
typedef enum {
    N_PATH, N_VALUE,
    N_CMP,            /* op: TK_EQ .. TK_GE */
    N_BETWEEN, N_IN, N_AND, N_OR, N_NOT,
    N_FUNC,           /* fn */
    N_PLUS, N_MINUS   /* update SET arithmetic */
} expr_ntype;

typedef enum {
    FN_NONE = 0, FN_ATTRIBUTE_EXISTS, FN_ATTRIBUTE_NOT_EXISTS, FN_ATTRIBUTE_TYPE,
    FN_BEGINS_WITH, FN_CONTAINS, FN_SIZE, FN_IF_NOT_EXISTS, FN_LIST_APPEND
} expr_fn;

typedef struct expr_node expr_node;
struct expr_node {
    expr_ntype type;
    expr_tk op;          /* N_CMP */
    expr_fn fn;          /* N_FUNC */
    int parens;          /* how many parentheses directly enclose it */
    expr_path path;      /* N_PATH */
    json_t *value;       /* N_VALUE: owned reference */
    int nargs;
    expr_node **args;    /* owned */
};

expr_node *expr_node_new(expr_ntype type);
void expr_node_free(expr_node *n);
/* Append child (stolen, freed on failure). 0 / -1. */
int expr_node_add(expr_node *parent, expr_node *child);
const char *expr_fn_name(expr_fn fn);

/* ---- parsed expressions ------------------------------------------------ */
typedef enum { ACT_SET, ACT_REMOVE, ACT_ADD, ACT_DELETE } expr_act;

typedef struct expr_action {
    expr_act act;
    expr_path path;
    expr_node *value;    /* SET: value tree; ADD/DELETE: N_VALUE; owned */
} expr_action;

struct expr {
    expr_kind kind;
    bool legacy;          /* built from AttributeUpdates: legacy semantics */
    expr_node *root;      /* condition / filter / key condition */
    int npaths;           /* projection */
    expr_path *paths;
    int nactions;         /* update */
    expr_action *actions;
};

expr_t *expr_new(expr_kind kind);

/* ---- parser (expr_parse.c) -------------------------------------------- */
/* Deferred semantic errors: the first of each class is kept and the one
 * reported is chosen by a per-kind priority, as DynamoDB does. */
typedef enum {
    EC_PARENS, EC_UNKNOWN_FN, EC_MISUSED_FN, EC_RESERVED, EC_SECTION,
    EC_NAME, EC_VALUE, EC_OVERLAP, EC_CONFLICT, EC_OPERANDS, EC_DISTINCT,
    EC_FUNCTION, EC__COUNT
} expr_eclass;

typedef struct expr_parser {
    expr_ctx *ctx;
    expr_kind kind;
    const char *src;
    size_t pos;            /* start of the current token */
    expr_tk tk;            /* current token type */
    size_t len;            /* current token length */
    size_t prev;           /* start of the previous token */
    bool has_prev;
    int nesting;
    err_t *err;
    bool failed;           /* a syntax error is in err */
    size_t fail_pos;       /* where the syntax error happened */
    bool sem_set[EC__COUNT];
    char sem[EC__COUNT][400];
} expr_parser;

const char *expr_kind_label(expr_kind kind);
void expr_parser_init(expr_parser *p, expr_ctx *ctx, expr_kind kind, const char *src, err_t *err);
void expr_next(expr_parser *p);
bool expr_tok_is(const expr_parser *p, const char *kw);   /* keyword, any case */
int expr_syntax_error(expr_parser *p);
void expr_sem_error(expr_parser *p, expr_eclass c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 0 when no deferred error; else fills p->err and returns -1. */
int expr_sem_report(expr_parser *p);
/* Count one nesting level; false (error set) past EXPR_MAX_NESTING.
 * The caller decrements p->nesting either way. */
bool expr_nest_enter(expr_parser *p);
int expr_parse_path(expr_parser *p, expr_path *out);
expr_node *expr_parse_operand(expr_parser *p);
/* Operands up to and including the closing ')' (the '(' already consumed),
 * appended to n: the argument list of a function and of IN.  0 / -1. */
int expr_parse_operand_list(expr_parser *p, expr_node *n);
expr_node *expr_parse_condition_tree(expr_parser *p);
/* Record the "first operand must be distinct" error when a and b are the same path. */
void expr_check_distinct(expr_parser *p, const char *op, expr_node *a, expr_node *b);
void expr_check_overlap(expr_parser *p, const expr_path *paths, int n, const expr_path *np);
/* Value type ("S", "N"...) an operand is known to have at parse time, or NULL. */
const char *expr_static_type(const expr_node *n);

/* ---- update (expr_update.c) ------------------------------------------ */
int expr_parse_update(expr_parser *p, expr_t *e);

/* ---- evaluation helpers (expr_eval.c) -------------------------------- */
/* Evaluate an operand to a new reference (NULL when undefined). */
json_t *expr_eval_operand(const expr_node *n, const json_t *item);
bool expr_eval_node(const expr_node *n, const json_t *item);
bool expr_av_contains(const json_t *hay, const json_t *needle);

/* ---- legacy (expr_legacy.c) ---------------------------------------- */
/* Validate a legacy ComparisonOperator and its AttributeValueList. */
int expr_legacy_check(const char *attr, const char *op, json_t *list, err_t *err);

#endif
