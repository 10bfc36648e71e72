/*
 * expr.h - DynamoDB expressions: lexer, parser, name/value resolution,
 * evaluation, projection and update application.
 *
 * Pipeline: parse text -> resolve #names and :values against an expr_ctx
 * (recording which were used so unused ones can be rejected) -> evaluate
 * against an item (a jansson object of AttributeValues, see av.h).
 * The legacy parameters (Expected, QueryFilter, ScanFilter, KeyConditions,
 * AttributeUpdates, AttributesToGet, ConditionalOperator) are translated
 * into the same expr_t trees, so there is one evaluator.
 *
 * Error messages follow DynamoDB's wording, e.g.
 *   Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "
 *   Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name
 *   Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}
 *   An expression attribute value used in expression is not defined; attribute value: :x
 * All functions return 0 / -1 with err filled (ERR_DDB_VALIDATION) unless
 * stated otherwise.  Everything borrows its arguments unless stated.
 */
#ifndef EMU_EXPR_H
#define EMU_EXPR_H

#include <stdbool.h>
#include <jansson.h>
#include "../common/err.h"

typedef enum {
    EXPR_CONDITION,      /* ConditionExpression */
    EXPR_FILTER,         /* FilterExpression */
    EXPR_KEY_CONDITION,  /* KeyConditionExpression */
    EXPR_PROJECTION,     /* ProjectionExpression */
    EXPR_UPDATE          /* UpdateExpression */
} expr_kind;

/* Names and values of one request, shared by all its expressions. */
typedef struct expr_ctx {
    json_t *names;        /* ExpressionAttributeNames, borrowed, may be NULL */
    json_t *values;       /* ExpressionAttributeValues, borrowed, may be NULL */
    json_t *used_names;   /* owned: object used as a set */
    json_t *used_values;  /* owned: object used as a set */
} expr_ctx;

void expr_ctx_init(expr_ctx *ctx, json_t *names, json_t *values);
void expr_ctx_free(expr_ctx *ctx);
/* After all of a request's expressions were parsed: reject names/values
 * that no expression used (DynamoDB's messages). */
int expr_ctx_check_unused(const expr_ctx *ctx, err_t *err);

typedef struct expr expr_t;   /* opaque parsed expression */

/* Parse one expression of the given kind (not EXPR_KEY_CONDITION).
 * Every error is prefixed "Invalid <Kind>Expression: " as DynamoDB does;
 * semantic errors are ranked like DynamoDB's (redundant parentheses, then
 * unknown/misused functions, reserved words, undefined #names/:values,
 * operand checks; for updates reserved words, functions, sections,
 * names/values, overlapping/conflicting paths, operand types).
 * Nesting (parentheses, NOT, functions) is capped at 100 and document
 * paths at 32 levels, with a validation error, so no input can exhaust
 * the stack.  On success *out is owned by the caller (expr_free). */
int expr_parse(expr_ctx *ctx, expr_kind kind, const char *text, expr_t **out, err_t *err);
void expr_free(expr_t *e);

/* Condition/filter: evaluate against item (NULL = the item does not exist). */
int expr_eval(const expr_t *cond, const json_t *item, bool *result, err_t *err);

/* Projection: a new item holding only the projected paths (new reference). */
json_t *expr_project(const expr_t *projection, const json_t *item);

/* Update: apply SET/REMOVE/ADD/DELETE to *item in place (item is an object,
 * possibly empty for a new item).  Fails on type errors with DynamoDB's
 * messages ("An operand in the update expression has an incorrect data
 * type", "The document path provided in the update expression is invalid
 * for update", ...).  Key attributes are checked by the caller. */
int expr_apply_update(const expr_t *update, json_t *item, err_t *err);

/* Top-level attribute names an update writes or removes (new array of
 * strings), for key-attribute checks and ReturnValues UPDATED_*. */
json_t *expr_update_attributes(const expr_t *update);

/* Key conditions (Query), from KeyConditionExpression or legacy KeyConditions. */
typedef enum {
    KC_NONE = 0, KC_EQ, KC_LT, KC_LE, KC_GT, KC_GE, KC_BETWEEN, KC_BEGINS_WITH
} expr_kc_op;

typedef struct expr_key_cond {
    json_t *hash_value;   /* owned: AttributeValue of the partition key */
    expr_kc_op range_op;  /* KC_NONE when no sort key condition */
    json_t *range_v1;     /* owned */
    json_t *range_v2;     /* owned, BETWEEN only */
} expr_key_cond;

/* Parse a KeyConditionExpression for an index whose keys are hash_key /
 * range_key (range_key NULL when there is none); DynamoDB's messages, e.g.
 * "Query condition missed key schema element: id". */
int expr_key_condition(expr_ctx *ctx, const char *text, const char *hash_key,
                       const char *range_key, expr_key_cond *out, err_t *err);
int expr_key_condition_legacy(json_t *key_conditions, const char *hash_key,
                              const char *range_key, expr_key_cond *out, err_t *err);
void expr_key_cond_free(expr_key_cond *kc);

/* Legacy parameters translated into expressions.  Legacy attribute names
 * are literal (no paths).  expr_from_expected / expr_from_filter set *out
 * to NULL and return 0 for a NULL or empty map (no condition to check).
 * Updates from AttributeUpdates keep legacy semantics: ADD also appends to
 * lists, DELETE without Value removes the attribute, and type errors read
 * "Type mismatch for attribute to update". */
int expr_from_expected(json_t *expected, const char *conditional_operator,
                       expr_t **out, err_t *err);              /* Expected */
int expr_from_filter(json_t *filter, const char *conditional_operator,
                     const char *param, expr_t **out, err_t *err); /* QueryFilter/ScanFilter */
int expr_from_attribute_updates(json_t *updates, expr_t **out, err_t *err);
int expr_from_attributes_to_get(json_t *names, expr_t **out, err_t *err);

/* The top-level attribute names a condition/filter reads, as an object
 * used as a set (new reference). */
json_t *expr_path_heads(const expr_t *cond);

/* True when word is one of DynamoDB's reserved words (case-insensitive). */
bool expr_is_reserved(const char *word, size_t len);

#endif
