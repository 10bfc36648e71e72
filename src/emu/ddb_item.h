/*
 * ddb_item.h - what the item-writing actions share (PutItem, UpdateItem,
 * DeleteItem, BatchWriteItem, TransactWriteItems) and the request
 * expression bundle every data action parses.
 */
#ifndef EMU_DDB_ITEM_H
#define EMU_DDB_ITEM_H

#include "ddb.h"
#include "expr.h"

/* --- ddb_write.c: storage of one item with its index rows --- */

/* The stored item at key k (new reference) or NULL when absent. */
int ddb_item_load(store_conn *c, const ddb_table *t, const ddb_key *k, json_t **item,
                  err_t *err);
/* Check that item may be stored in t: key attributes and index key types
 * against the schema, size (its av_item_size) <= 400 KB.  No storage I/O.
 * When key is not NULL it receives the item's key (caller frees; zeroed
 * on failure). */
int ddb_item_check(const ddb_table *t, json_t *item, size_t size, ddb_key *key, err_t *err);

/* The stored item at a key, as a write job found it. */
typedef struct ddb_old {
    json_t *item;    /* parsed (owned); NULL when absent or not asked for */
    int64_t rowid;   /* its row, 0 when absent */
    size_t size;     /* its DynamoDB size, as stored beside it */
    bool found;
    bool pending;    /* not looked up yet: ddb_item_write inserts the new
                        item and looks only when the key is taken */
} ddb_old;

/* The bytes a write consumes capacity by, as DynamoDB counts them: the
 * larger of the item before it (old, when found) and after it (size, its
 * av_item_size; 0 for a delete). */
size_t ddb_write_bytes(const ddb_old *old, size_t size);
/* Find the item at k; parse it only when `parse` (a condition, the old
 * attributes in the response or index rows need it): otherwise the row's
 * stored size and rowid are all a write needs. */
int ddb_item_find(store_conn *c, const ddb_table *t, const ddb_key *k, bool parse,
                  ddb_old *old, err_t *err);
/* Put item (its text and size) at k if no item is there, in one INSERT
 * OR IGNORE, with the table's counters; t must have no indexes.  0 when
 * written, 1 when the key is taken (nothing written; old filled in,
 * unparsed), -1 on error. */
int ddb_item_insert(store_conn *c, const ddb_table *t, const ddb_key *k, ddb_old *old,
                    const char *text, size_t size, err_t *err);
/* Replace the item at k (old from ddb_item_find, parsed when t has
 * indexes; or pending, for a put in a table without indexes, and then
 * filled in here) with item (NULL = delete): base row, every index row,
 * live counters.  size is item's av_item_size; text its JSON text when the
 * caller has it, else NULL.  item must have passed ddb_item_check. */
int ddb_item_write(store_conn *c, const ddb_table *t, const ddb_key *k, ddb_old *old,
                   const json_t *item, const char *text, size_t size, err_t *err);

/* The base key as index rows store it (their pk column): length-prefixed
 * hk then rk, so two keys never share an encoding.  Caller frees. */
unsigned char *ddb_pk_encode(const ddb_key *k, size_t *len);

/* --- ddb_expr.c: the expressions of one request --- */

enum {
    DDB_X_CONDITION = 1,   /* ConditionExpression | Expected (+ConditionalOperator) */
    DDB_X_UPDATE = 2,      /* UpdateExpression | AttributeUpdates */
    DDB_X_PROJECTION = 4,  /* ProjectionExpression | AttributesToGet */
    DDB_X_FILTER = 8,      /* FilterExpression | QueryFilter/ScanFilter */
    DDB_X_KEY = 16,        /* KeyConditionExpression | KeyConditions: parsed later by
                              ddb_exprs_key(), unused names/values checked then */
};

typedef struct ddb_exprs {
    expr_ctx ctx;
    expr_t *cond, *update, *proj, *filter;   /* NULL when absent; owned */
    unsigned which;
} ddb_exprs;

/* Parse the expressions of req selected by `which` (legacy parameters
 * translated), with DynamoDB's checks: expression and non-expression
 * parameters not mixed, names/values only with expressions, values valid,
 * and (unless DDB_X_KEY) no unused names or values. */
int ddb_exprs_parse(json_t *req, unsigned which, const char *filter_param, ddb_exprs *x,
                    err_t *err);
/* Query: parse the key condition for an index's keys, then check unused. */
int ddb_exprs_key(ddb_exprs *x, json_t *req, const char *hash, const char *range,
                  expr_key_cond *kc, err_t *err);
void ddb_exprs_free(ddb_exprs *x);

/* Evaluate x->cond against old (NULL = absent); ConditionalCheckFailed
 * with "The conditional request failed" (and Item when req asks
 * ReturnValuesOnConditionCheckFailure=ALL_OLD) when false. */
int ddb_exprs_check(const ddb_exprs *x, json_t *req, const json_t *old, err_t *err);

/* An item or key member (Item, Key, PutRequest.Item, ...): present, an
 * object, every AttributeValue valid; `field` is its name in DynamoDB's
 * "Value null at 'field'" message. */
int ddb_require_object(json_t *req, const char *member, const char *field, err_t *err);

/* ReturnValues member of req checked against the allowed set for an
 * action ("NONE ALL_OLD" for PutItem/DeleteItem, all five for UpdateItem). */
int ddb_check_return_values(json_t *req, bool update, err_t *err);

/* Capacity units of an item of `bytes` size: writes per 1 KB, reads per
 * 4 KB (halved when eventually consistent). */
double ddb_units(size_t bytes, bool write, bool consistent);

#endif
