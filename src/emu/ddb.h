/*
 * ddb.h - DynamoDB's JSON 1.0 API: the dispatch entry points and the
 * shared model used by every action family (ddb_table.c, ddb_item.c,
 * ddb_query.c, ddb_batch.c, ddb_txn.c).
 *
 * A table's stored description ("meta", JSON) is loaded into a ddb_table;
 * items are jansson objects of AttributeValues (av.h); keys are encoded
 * into memcmp-ordered bytes (ddb_model.c) and stored by store_ddb.c.
 */
#ifndef EMU_DDB_H
#define EMU_DDB_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "../common/err.h"
#include "emu.h"
#include "http.h"
#include "store.h"

#define DDB_NAME_MAX 256
#define DDB_MAX_INDEXES 25

/* HTTP entry points (route.c). */
void ddb_http_handle(emu_t *emu, http_req *req, http_resp *resp);
void ddb_http_unknown(emu_t *emu, http_req *req, http_resp *resp);

typedef enum { DDB_PROJ_ALL, DDB_PROJ_KEYS_ONLY, DDB_PROJ_INCLUDE } ddb_proj;

typedef struct ddb_index {
    char name[DDB_NAME_MAX];
    int id;                        /* storage id, > 0 */
    bool global;
    char hash[DDB_NAME_MAX];
    char range[DDB_NAME_MAX];      /* "" when none */
    ddb_proj proj;
    json_t *include;               /* borrowed from meta: NonKeyAttributes */
} ddb_index;

typedef struct ddb_table {
    int64_t id;
    int64_t item_count;
    int64_t size_bytes;
    char name[DDB_NAME_MAX];
    char hash[DDB_NAME_MAX];
    char range[DDB_NAME_MAX];      /* "" when none */
    json_t *meta;                  /* owned: the stored description */
    int nidx;
    ddb_index idx[DDB_MAX_INDEXES]; /* last: copies stop after idx[nidx - 1] */
} ddb_table;

/* An item's key encoded for storage. */
typedef struct ddb_key {
    unsigned char *hk, *rk;        /* owned; rk may be NULL (len 0) */
    size_t hk_len, rk_len;
    unsigned seg;                  /* 0..65535, for parallel Scan */
} ddb_key;

/* --- model (ddb_model.c) --- */
/* Fill t from stored meta (steals meta). */
int ddb_table_from_meta(ddb_table *t, int64_t id, json_t *meta, err_t *err);
void ddb_table_free(ddb_table *t);
/* The index named name, or NULL. */
const ddb_index *ddb_table_index(const ddb_table *t, const char *name);
/* Declared type ("S","N","B") of a key attribute; NULL when not declared. */
const char *ddb_attr_type(const ddb_table *t, const char *attr);
/* Validate a primary key object against the schema ("The provided key
 * element does not match the schema") and encode it. */
int ddb_key_from_key(const ddb_table *t, json_t *key, ddb_key *out, err_t *err);
/* Validate the key attributes of a full item and encode its key. */
int ddb_key_from_item(const ddb_table *t, json_t *item, ddb_key *out, err_t *err);
/* Encode the key of item in index ix; returns 1 when the item is not in
 * the (sparse) index, 0 when encoded, -1 on error. */
int ddb_key_for_index(const ddb_table *t, const ddb_index *ix, const json_t *item,
                      ddb_key *out, err_t *err);
void ddb_key_free(ddb_key *k);
/* The primary key attributes of an item (new object). */
json_t *ddb_item_key(const ddb_table *t, const json_t *item);
/* The item as projected into index ix (new object). */
json_t *ddb_index_project(const ddb_table *t, const ddb_index *ix, const json_t *item);
/* arn:aws:dynamodb:REGION:ACCOUNT:table/NAME */
void ddb_table_arn(const emu_t *emu, const char *name, char *buf, size_t len);
/* The public TableDescription (new object); with a connection, index
 * counts are live (ddb_table.c). */
json_t *ddb_table_describe(const emu_t *emu, const ddb_table *t);
json_t *ddb_table_describe_live(const emu_t *emu, store_conn *c, const ddb_table *t,
                                const char *status);

/* --- storage (store_ddb.c); all run inside store_read/store_write jobs ---
 * store_ddb_table_load serves from a per-connection cache; its item_count
 * and size_bytes may be stale: store_ddb_table_counts reads them live. */
int store_ddb_table_load(store_conn *c, const char *account, const char *region,
                         const char *name, ddb_table *out, err_t *err);  /* 1 = missing */
int store_ddb_table_counts(store_conn *c, int64_t id, int64_t *count, int64_t *bytes,
                           err_t *err);
int store_ddb_table_insert(store_conn *c, const char *account, const char *region,
                           const char *name, const char *meta, int64_t *id, err_t *err);
int store_ddb_table_set_meta(store_conn *c, int64_t id, const char *meta, err_t *err);
int store_ddb_table_delete(store_conn *c, int64_t id, err_t *err);
/* Names after `after` (NULL = from the start), at most limit (+1 to know
 * whether more exist): a new array of strings. */
json_t *store_ddb_table_names(store_conn *c, const char *account, const char *region,
                              const char *after, int limit, err_t *err);
/* The base-table row at k: its rowid (0 when absent), stored size and,
 * when item is not NULL, the parsed item (new object). */
int store_ddb_item_find(store_conn *c, int64_t tbl, const ddb_key *k, json_t **item,
                        int64_t *rowid, size_t *size, err_t *err);
/* The stored JSON text of a base-table item (caller frees; NULL when
 * absent), its length and its DynamoDB size. */
int store_ddb_item_text(store_conn *c, int64_t tbl, const ddb_key *k, char **text, size_t *len,
                        size_t *size, err_t *err);
/* body is the item's JSON text, size its DynamoDB size (av_item_size),
 * kept beside it so reads can account for an item without parsing it. */
int store_ddb_item_put(store_conn *c, int64_t tbl, int idx, const ddb_key *k,
                       const unsigned char *pk, size_t pk_len, const char *body, size_t size,
                       err_t *err);
/* Insert a base-table item unless its key is taken: 0 inserted, 1 taken
 * (nothing written). */
int store_ddb_item_insert(store_conn *c, int64_t tbl, const ddb_key *k, const char *body,
                          size_t size, err_t *err);
/* Rewrite the body and size of the row rowid (from store_ddb_item_find,
 * same job): its key and index entry stay, where INSERT OR REPLACE would
 * delete both and insert them again. */
int store_ddb_item_replace(store_conn *c, int64_t rowid, const char *body, size_t size,
                           err_t *err);
int store_ddb_item_delete(store_conn *c, int64_t tbl, int idx, const ddb_key *k,
                          const unsigned char *pk, size_t pk_len, err_t *err);
int store_ddb_index_drop(store_conn *c, int64_t tbl, int idx, err_t *err);
int store_ddb_index_counts(store_conn *c, int64_t tbl, int idx, int64_t *count,
                           int64_t *bytes);
int store_ddb_counts_add(store_conn *c, int64_t tbl, int64_t items, int64_t bytes,
                         err_t *err);

/* A range read over rows of (tbl, idx) in key order, calling fn per row
 * until it returns non-zero (1 = stop, -1 = error).
 *  Query (hk != NULL): rows of one hash key with lo <= (rk, pk) < hi.
 *  Scan  (hk == NULL): rows with (hk, rk, pk) >= scan_*, seg_lo <= seg <= seg_hi.
 * Bounds are blobs compared bytewise; exclusive bounds are made inclusive
 * by the caller (x > b  <=>  x >= b || 0x00). */
typedef struct ddb_blob {
    const unsigned char *p;
    size_t n;
} ddb_blob;
typedef struct ddb_range {
    int64_t tbl;
    int idx;
    bool forward;
    /* Query */
    ddb_blob hk;
    ddb_blob lo_rk, lo_pk, hi_rk, hi_pk;   /* hi_rk.p NULL = unbounded */
    /* Scan */
    unsigned seg_lo, seg_hi;
    ddb_blob scan_hk, scan_rk, scan_pk;
} ddb_range;
typedef int (*ddb_row_fn)(void *arg, const char *body, size_t len, size_t size, err_t *err);
int store_ddb_range(store_conn *c, const ddb_range *r, ddb_row_fn fn, void *arg, err_t *err);

/* --- common action helpers (ddb.c) --- */
/* Load a table by name in a read or write job; ResourceNotFoundException
 * ("Requested resource not found") when missing. */
int ddb_table_get(emu_t *emu, store_conn *c, const char *name, ddb_table *t, err_t *err);
/* Validate the TableName member. */
int ddb_check_table_name(json_t *req, const char *member, err_t *err);
/* ConsumedCapacity for ReturnConsumedCapacity (NULL when NONE). */
json_t *ddb_consumed(json_t *req, const char *table, double units, bool write);

/* Action entry points: validate (shape only) and execute. */
#define DDB_ACTION(name) \
    int ddb_##name##_validate(json_t *req, err_t *err); \
    json_t *ddb_##name(emu_t *emu, json_t *req, err_t *err);
DDB_ACTION(create_table) DDB_ACTION(describe_table) DDB_ACTION(list_tables)
DDB_ACTION(delete_table) DDB_ACTION(update_table) DDB_ACTION(describe_ttl)
DDB_ACTION(update_ttl) DDB_ACTION(tag_resource) DDB_ACTION(untag_resource)
DDB_ACTION(list_tags) DDB_ACTION(describe_limits) DDB_ACTION(describe_endpoints)
DDB_ACTION(put_item) DDB_ACTION(update_item) DDB_ACTION(delete_item)
DDB_ACTION(batch_get_item) DDB_ACTION(batch_write_item)
DDB_ACTION(transact_write_items) DDB_ACTION(transact_get_items)
#undef DDB_ACTION
/* GetItem, Query and Scan answer with ready JSON text (stored items are spliced in
 * without being parsed when nothing filters or projects them). */
int ddb_get_item_validate(json_t *req, err_t *err);
char *ddb_get_item(emu_t *emu, json_t *req, err_t *err);
int ddb_query_validate(json_t *req, err_t *err);
char *ddb_query(emu_t *emu, json_t *req, err_t *err);
int ddb_scan_validate(json_t *req, err_t *err);
char *ddb_scan(emu_t *emu, json_t *req, err_t *err);

#endif
