/*
 * ddb_batch.c - BatchGetItem and BatchWriteItem.
 *
 * BatchGetItem reads every requested key in one read job (one consistent
 * snapshot); BatchWriteItem applies every put and delete in one write job,
 * so the whole batch is durable together and a failing request (bad key,
 * duplicate key) leaves nothing behind.  Nothing is ever throttled:
 * UnprocessedKeys holds only what exceeds the 16 MB response limit and
 * UnprocessedItems is always empty.
 *
 * Entry points: ddb_batch_get_item_validate, ddb_batch_get_item,
 * ddb_batch_write_item_validate, ddb_batch_write_item.
 */
#include "ddb_item.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av.h"
#include "num.h"

#define VFAIL(...) err_set(err, ERR_DDB_VALIDATION, __VA_ARGS__)
#define DDB_BATCH_GET_MAX 100
#define DDB_BATCH_WRITE_MAX 25
#define DDB_BATCH_RESPONSE_MAX (16 * 1024 * 1024)
#define DDB_NO_MATCH "The provided key element does not match the schema"

/* ---- shared validation ---- */

/* RequestItems: a non-empty map keyed by valid table names. */
static int ddb_batch_request_items(json_t *req, err_t *err)
{
    json_t *ri = json_object_get(req, "RequestItems");
    if (ri == NULL || json_is_null(ri))
        return VFAIL("1 validation error detected: Value null at 'requestItems' failed to "
                     "satisfy constraint: Member must not be null");
    if (!json_is_object(ri))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    if (json_object_size(ri) == 0)
        return VFAIL("1 validation error detected: Value '{}' at 'requestItems' failed to "
                     "satisfy constraint: Member must have length greater than or equal to 1");
    const char *name;
    json_t *v;
    json_object_foreach(ri, name, v) {
        json_t *probe = json_pack("{s:s}", "TableName", name);
        int rc = ddb_check_table_name(probe, "TableName", err);
        json_decref(probe);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Two validated key objects naming the same item. */
static bool ddb_batch_same_key(json_t *a, json_t *b)
{
    if (json_object_size(a) != json_object_size(b))
        return false;
    const char *k;
    json_t *v;
    json_object_foreach(a, k, v) {
        json_t *w = json_object_get(b, k);
        if (w == NULL || !av_equal(v, w))
            return false;
    }
    return true;
}

/* A hash of a validated key object that equal keys (ddb_batch_same_key)
 * share: attribute names, types, string and binary text and numbers in
 * canonical form; other types (never valid in a key, but not yet refused
 * here) by type alone.  Members are summed: their order does not matter. */
static uint64_t ddb_batch_text_hash(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u; /* FNV-1a */
    return h;
}

static uint64_t ddb_batch_key_hash(json_t *key)
{
    uint64_t sum = 0;
    const char *name;
    json_t *av;
    json_object_foreach(key, name, av) {
        av_type_t t = av_type(av);
        uint64_t h = ddb_batch_text_hash(name, strlen(name), 14695981039346656037u) ^ t;
        json_t *v = json_object_iter_value(json_object_iter(av));
        char num[NUM_STR_MAX];
        if ((t == AV_S || t == AV_B) && json_is_string(v))
            h = ddb_batch_text_hash(json_string_value(v), json_string_length(v), h);
        else if (t == AV_N && json_is_string(v) && num_normalize(json_string_value(v), num, NULL) == 0)
            h = ddb_batch_text_hash(num, strlen(num), h);
        sum += h * 0x9E3779B97F4A7C15u;
    }
    return sum;
}

/* Keys the schema rejects read as a mismatch in batches (as DynamoDB). */
static int ddb_batch_key_error(err_t *err)
{
    if (strstr(err->msg, "Missing the key") != NULL ||
        strstr(err->msg, "Type mismatch for key") != NULL)
        snprintf(err->msg, sizeof err->msg, "%s", DDB_NO_MATCH);
    return -1;
}

/* ---- BatchGetItem ---- */

static int ddb_batch_get_table(const char *name, json_t *tr, size_t *total, err_t *err)
{
    char field[400];
    if (!json_is_object(tr))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    json_t *keys = json_object_get(tr, "Keys");
    snprintf(field, sizeof field, "requestItems.%s.member.keys", name);
    if (keys == NULL || json_is_null(keys))
        return VFAIL("1 validation error detected: Value null at '%s' failed to satisfy "
                     "constraint: Member must not be null", field);
    if (!json_is_array(keys))
        return err_set(err, ERR_DDB_SERIALIZATION, "Unexpected value type in payload");
    if (json_array_size(keys) == 0)
        return VFAIL("1 validation error detected: Value '[]' at '%s' failed to satisfy "
                     "constraint: Member must have length greater than or equal to 1", field);
    /* Duplicates are found through hashes: comparing every pair of 100
     * keys was most of a BatchGetItem's cost.  Keys seen so far, at most
     * DDB_BATCH_GET_MAX + 1 (the one over the limit is checked first). */
    uint64_t hash[DDB_BATCH_GET_MAX + 1];
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        if (!json_is_object(k))
            return err_set(err, ERR_DDB_SERIALIZATION,
                           "Start of structure or map found where not expected.");
        if (av_validate_item(k, err) != 0)
            return -1;
        hash[i] = ddb_batch_key_hash(k);
        for (size_t j = 0; j < i; j++)
            if (hash[j] == hash[i] && ddb_batch_same_key(k, json_array_get(keys, j)))
                return VFAIL("Provided list of item keys contains duplicates");
        if (++*total > DDB_BATCH_GET_MAX)
            return VFAIL("Too many items requested for the BatchGetItem call");
    }
    return 0;
}

int ddb_batch_get_item_validate(json_t *req, err_t *err)
{
    if (ddb_batch_request_items(req, err) != 0)
        return -1;
    size_t total = 0;
    const char *name;
    json_t *tr;
    json_object_foreach(json_object_get(req, "RequestItems"), name, tr) {
        if (ddb_batch_get_table(name, tr, &total, err) != 0)
            return -1;
    }
    return 0;
}

typedef struct ddb_batch_job {
    emu_t *emu;
    json_t *req;
    size_t ntables;
    ddb_exprs *x;        /* per table, in RequestItems order (owned array) */
    json_t *responses;   /* BatchGetItem: Responses / BatchWriteItem: unused */
    json_t *unprocessed;
    json_t *consumed;    /* array of ConsumedCapacity, or NULL */
} ddb_batch_job;

static void ddb_batch_job_free(ddb_batch_job *j)
{
    for (size_t i = 0; j->x != NULL && i < j->ntables; i++)
        ddb_exprs_free(&j->x[i]);
    free(j->x);
    json_decref(j->responses);
    json_decref(j->unprocessed);
    json_decref(j->consumed);
}

/* Add a table's units to the ConsumedCapacity list (when requested). */
static void ddb_batch_consumed(ddb_batch_job *j, const char *table, double units, bool write)
{
    json_t *cc = ddb_consumed(j->req, table, units, write);
    if (cc == NULL)
        return;
    if (j->consumed == NULL)
        j->consumed = json_array();
    json_array_append_new(j->consumed, cc);
}

/* Keys past the response size limit go back as UnprocessedKeys. */
static void ddb_batch_unprocessed(ddb_batch_job *j, const char *name, json_t *tr, json_t *key)
{
    json_t *u = json_object_get(j->unprocessed, name);
    if (u == NULL) {
        u = json_deep_copy(tr);
        json_object_set_new(u, "Keys", json_array());
        json_object_set_new(j->unprocessed, name, u);
    }
    json_array_append(json_object_get(u, "Keys"), key);
}

static int ddb_batch_get_table_run(ddb_batch_job *j, store_conn *c, const char *name,
                                   json_t *tr, const ddb_exprs *x, size_t *total, err_t *err)
{
    ddb_table t;
    if (ddb_table_get(j->emu, c, name, &t, err) != 0)
        return -1;
    bool consistent = json_is_true(json_object_get(tr, "ConsistentRead"));
    json_t *items = json_array();
    json_object_set_new(j->responses, name, items);
    double units = 0;
    int rc = 0;
    size_t i;
    json_t *key;
    json_array_foreach(json_object_get(tr, "Keys"), i, key) {
        ddb_key k;
        json_t *item = NULL;
        if (ddb_key_from_key(&t, key, &k, err) != 0) {
            rc = -1;
            break;
        }
        rc = ddb_item_load(c, &t, &k, &item, err);
        ddb_key_free(&k);
        if (rc != 0)
            break;
        size_t size = item ? av_item_size(item) : 0;
        if (*total + size > DDB_BATCH_RESPONSE_MAX) {
            ddb_batch_unprocessed(j, name, tr, key);
        } else if (item != NULL) {
            *total += size;
            json_array_append_new(items, x->proj ? expr_project(x->proj, item) : json_incref(item));
        }
        units += ddb_units(size, false, consistent);
        json_decref(item);
    }
    if (rc == 0)
        ddb_batch_consumed(j, t.name, units, false);
    ddb_table_free(&t);
    return rc;
}

static int ddb_batch_get_run(store_conn *c, void *arg, err_t *err)
{
    ddb_batch_job *j = arg;
    size_t i = 0, total = 0;
    const char *name;
    json_t *tr;
    json_object_foreach(json_object_get(j->req, "RequestItems"), name, tr) {
        if (ddb_batch_get_table_run(j, c, name, tr, &j->x[i++], &total, err) != 0)
            return -1;
    }
    return 0;
}

/* Parse each table's projection parameters (names only, no values). */
static int ddb_batch_get_exprs(ddb_batch_job *j, err_t *err)
{
    json_t *ri = json_object_get(j->req, "RequestItems");
    j->ntables = json_object_size(ri);
    j->x = calloc(j->ntables ? j->ntables : 1, sizeof *j->x);
    if (j->x == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    size_t i = 0;
    const char *name;
    json_t *tr;
    json_object_foreach(ri, name, tr) {
        if (ddb_exprs_parse(tr, DDB_X_PROJECTION, NULL, &j->x[i++], err) != 0)
            return -1;
    }
    return 0;
}

json_t *ddb_batch_get_item(emu_t *emu, json_t *req, err_t *err)
{
    ddb_batch_job j = {.emu = emu, .req = req};
    json_t *out = NULL;
    j.responses = json_object();
    j.unprocessed = json_object();
    if (ddb_batch_get_exprs(&j, err) != 0 || store_read(emu->store, ddb_batch_get_run, &j, err) != 0)
        goto out;
    out = json_pack("{s:O, s:O}", "Responses", j.responses, "UnprocessedKeys", j.unprocessed);
    if (out != NULL && j.consumed != NULL)
        json_object_set(out, "ConsumedCapacity", j.consumed);
out:
    ddb_batch_job_free(&j);
    return out;
}

/* ---- BatchWriteItem ---- */

static int ddb_batch_write_request(const char *name, size_t i, json_t *wr, err_t *err)
{
    char field[400];
    if (!json_is_object(wr))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    json_t *put = json_object_get(wr, "PutRequest"), *del = json_object_get(wr, "DeleteRequest");
    if ((put == NULL) == (del == NULL))
        return VFAIL("Supplied AttributeValue has more than one datatypes set, must contain "
                     "exactly one of the supported datatypes");
    if (put != NULL) {
        snprintf(field, sizeof field, "requestItems.%s.member.%zu.member.putRequest.item", name,
                 i + 1);
        if (ddb_require_object(put, "Item", field, err) != 0)
            return -1;
        if (av_item_size(json_object_get(put, "Item")) > AV_ITEM_MAX_BYTES)
            return VFAIL("Item size has exceeded the maximum allowed size");
        return 0;
    }
    snprintf(field, sizeof field, "requestItems.%s.member.%zu.member.deleteRequest.key", name,
             i + 1);
    return ddb_require_object(del, "Key", field, err);
}

int ddb_batch_write_item_validate(json_t *req, err_t *err)
{
    if (ddb_batch_request_items(req, err) != 0)
        return -1;
    size_t total = 0;
    const char *name;
    json_t *list;
    json_object_foreach(json_object_get(req, "RequestItems"), name, list) {
        if (!json_is_array(list))
            return err_set(err, ERR_DDB_SERIALIZATION, "Unexpected value type in payload");
        if (json_array_size(list) == 0)
            return VFAIL("1 validation error detected: Value '[]' at 'requestItems.%s.member' "
                         "failed to satisfy constraint: Member must have length greater than "
                         "or equal to 1", name);
        total += json_array_size(list);
        if (total > DDB_BATCH_WRITE_MAX)
            return VFAIL("Too many items requested for the BatchWriteItem call");
        size_t i;
        json_t *wr;
        json_array_foreach(list, i, wr) {
            if (ddb_batch_write_request(name, i, wr, err) != 0)
                return -1;
        }
    }
    return 0;
}

/* One put or delete; keys[] holds the keys written so far in this table. */
static int ddb_batch_write_one(store_conn *c, const ddb_table *t, json_t *wr, ddb_key *keys,
                               size_t n, double *units, err_t *err)
{
    json_t *put = json_object_get(json_object_get(wr, "PutRequest"), "Item");
    ddb_old old = {0};
    ddb_key *k = &keys[n];
    size_t size = put ? av_item_size(put) : 0;
    int rc = -1;
    memset(k, 0, sizeof *k);
    if (put != NULL) {
        if (ddb_item_check(t, put, size, k, err) != 0)
            return ddb_batch_key_error(err);
    } else if (ddb_key_from_key(t, json_object_get(json_object_get(wr, "DeleteRequest"), "Key"),
                                k, err) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (keys[i].hk_len == k->hk_len && keys[i].rk_len == k->rk_len &&
            memcmp(keys[i].hk, k->hk, k->hk_len) == 0 &&
            (k->rk_len == 0 || memcmp(keys[i].rk, k->rk, k->rk_len) == 0))
            return VFAIL("Provided list of item keys contains duplicates");
    /* The old item is read only for index rows; without them a put of a
     * new key is one INSERT (see ddb_item_write). */
    if (put != NULL && t->nidx == 0)
        old.pending = true;
    else if (ddb_item_find(c, t, k, t->nidx > 0, &old, err) != 0)
        goto out;
    if ((put != NULL || old.found) && ddb_item_write(c, t, k, &old, put, NULL, size, err) != 0)
        goto out;
    /* Each put counts as a PutItem, each delete as a DeleteItem. */
    *units += ddb_units(ddb_write_bytes(&old, size), true, true);
    rc = 0;
out:
    json_decref(old.item);
    return rc;
}

static int ddb_batch_write_run(store_conn *c, void *arg, err_t *err)
{
    ddb_batch_job *j = arg;
    const char *name;
    json_t *list;
    json_object_foreach(json_object_get(j->req, "RequestItems"), name, list) {
        ddb_table t;
        ddb_key keys[DDB_BATCH_WRITE_MAX];
        size_t n = 0, i;
        double units = 0;
        json_t *wr;
        int rc = 0;
        if (ddb_table_get(j->emu, c, name, &t, err) != 0)
            return -1;
        json_array_foreach(list, i, wr) {
            if (n >= DDB_BATCH_WRITE_MAX) { /* validation keeps batches within 25 */
                rc = err_set(err, ERR_DDB_VALIDATION,
                             "Too many items requested for the BatchWriteItem call");
                break;
            }
            if (ddb_batch_write_one(c, &t, wr, keys, n, &units, err) != 0) {
                ddb_key_free(&keys[n]);
                rc = -1;
                break;
            }
            n++;
        }
        for (i = 0; i < n; i++)
            ddb_key_free(&keys[i]);
        if (rc == 0)
            ddb_batch_consumed(j, t.name, units, true);
        ddb_table_free(&t);
        if (rc != 0)
            return -1;
    }
    return 0;
}

json_t *ddb_batch_write_item(emu_t *emu, json_t *req, err_t *err)
{
    ddb_batch_job j = {.emu = emu, .req = req};
    json_t *out = NULL;
    if (store_write(emu->store, ddb_batch_write_run, &j, err) == 0) {
        out = json_pack("{s:{}}", "UnprocessedItems");
        if (out != NULL && j.consumed != NULL)
            json_object_set(out, "ConsumedCapacity", j.consumed);
    }
    ddb_batch_job_free(&j);
    return out;
}
