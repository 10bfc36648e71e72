/*
 * ddb_model.c - a table's schema in memory: key attributes, indexes,
 * key validation and encoding, index projection, and the public
 * TableDescription.
 *
 * The stored "meta" is a TableDescription subset; members starting with
 * '_' are private (index storage ids) and never leave the server.
 */
#include "ddb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av.h"

#define DDB_HASH_KEY_MAX 2048
#define DDB_RANGE_KEY_MAX 1024

/* Copy the HASH and RANGE attribute names of a KeySchema. */
static void ddb_key_schema(json_t *ks, char *hash, char *range)
{
    hash[0] = range[0] = '\0';
    size_t i;
    json_t *e;
    json_array_foreach(ks, i, e) {
        const char *name = json_string_value(json_object_get(e, "AttributeName"));
        const char *type = json_string_value(json_object_get(e, "KeyType"));
        if (name == NULL || type == NULL)
            continue;
        snprintf(strcmp(type, "HASH") == 0 ? hash : range, DDB_NAME_MAX, "%s", name);
    }
}

static void ddb_index_load(ddb_index *ix, json_t *def, bool global)
{
    memset(ix, 0, sizeof *ix);
    snprintf(ix->name, sizeof ix->name, "%s",
             json_string_value(json_object_get(def, "IndexName")));
    ix->id = (int)json_integer_value(json_object_get(def, "_id"));
    ix->global = global;
    ddb_key_schema(json_object_get(def, "KeySchema"), ix->hash, ix->range);
    json_t *proj = json_object_get(def, "Projection");
    const char *pt = json_string_value(json_object_get(proj, "ProjectionType"));
    ix->proj = pt == NULL || strcmp(pt, "ALL") == 0 ? DDB_PROJ_ALL
               : strcmp(pt, "KEYS_ONLY") == 0     ? DDB_PROJ_KEYS_ONLY
                                                  : DDB_PROJ_INCLUDE;
    ix->include = json_object_get(proj, "NonKeyAttributes");
}

int ddb_table_from_meta(ddb_table *t, int64_t id, json_t *meta, err_t *err)
{
    (void)err;
    memset(t, 0, sizeof *t);
    t->id = id;
    t->meta = meta;
    snprintf(t->name, sizeof t->name, "%s", json_string_value(json_object_get(meta, "TableName")));
    ddb_key_schema(json_object_get(meta, "KeySchema"), t->hash, t->range);
    static const char *const kinds[2] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *def;
        json_array_foreach(json_object_get(meta, kinds[k]), i, def) {
            if (t->nidx < DDB_MAX_INDEXES)
                ddb_index_load(&t->idx[t->nidx++], def, k == 0);
        }
    }
    return 0;
}

void ddb_table_free(ddb_table *t)
{
    json_decref(t->meta);
    t->meta = NULL;
}

const ddb_index *ddb_table_index(const ddb_table *t, const char *name)
{
    for (int i = 0; i < t->nidx; i++)
        if (strcmp(t->idx[i].name, name) == 0)
            return &t->idx[i];
    return NULL;
}

const char *ddb_attr_type(const ddb_table *t, const char *attr)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(t->meta, "AttributeDefinitions"), i, d) {
        const char *n = json_string_value(json_object_get(d, "AttributeName"));
        if (n != NULL && strcmp(n, attr) == 0)
            return json_string_value(json_object_get(d, "AttributeType"));
    }
    return NULL;
}

void ddb_key_free(ddb_key *k)
{
    free(k->hk);
    free(k->rk);
    memset(k, 0, sizeof *k);
}

static unsigned ddb_seg_of(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a: spreads hash keys over segments */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return (h >> 16) & 0xffff;
}

/* Encode one key attribute of `item` named `name` with declared `type`.
 * what: "key" (item validation) or NULL (Key parameter). */
static int ddb_encode_attr(const json_t *item, const char *name, const char *type,
                           const char *index, bool from_key, unsigned char **out,
                           size_t *len, size_t max, err_t *err)
{
    json_t *v = json_object_get(item, name);
    if (v == NULL) {
        if (index != NULL)
            return 1; /* sparse index */
        if (from_key)
            return err_set(err, ERR_DDB_VALIDATION,
                           "The provided key element does not match the schema");
        return err_set(err, ERR_DDB_VALIDATION,
                       "One or more parameter values were invalid: Missing the key %s in the item",
                       name);
    }
    const char *actual = av_type_name(av_type(v));
    if (type == NULL || strcmp(actual, type) != 0) {
        if (from_key)
            return err_set(err, ERR_DDB_VALIDATION,
                           "The provided key element does not match the schema");
        if (index != NULL)
            return err_set(err, ERR_DDB_VALIDATION,
                           "One or more parameter values were invalid: Type mismatch for Index "
                           "Key %s Expected: %s Actual: %s IndexName: %s",
                           name, type ? type : "?", actual, index);
        return err_set(err, ERR_DDB_VALIDATION,
                       "One or more parameter values were invalid: Type mismatch for key %s "
                       "expected: %s actual: %s",
                       name, type ? type : "?", actual);
    }
    json_t *inner = json_object_get(v, actual);
    if (json_is_string(inner) && json_string_length(inner) == 0)
        return err_set(err, ERR_DDB_VALIDATION,
                       "One or more parameter values are not valid. The AttributeValue for a "
                       "key attribute cannot contain an empty %s value. Key: %s",
                       strcmp(actual, "B") == 0 ? "binary" : "string", name);
    if (av_key_encode(v, out, len, err) != 0)
        return -1;
    if (*len > max) {
        free(*out);
        *out = NULL;
        return err_set(err, ERR_DDB_VALIDATION,
                       "One or more parameter values were invalid: Size of %s has exceeded the "
                       "maximum size limit of%zu bytes",
                       max == DDB_HASH_KEY_MAX ? "hashkey" : "rangekey", max);
    }
    return 0;
}

static int ddb_key_encode(const ddb_table *t, const json_t *item, const char *hash,
                          const char *range, const char *index, bool from_key, ddb_key *out,
                          err_t *err)
{
    memset(out, 0, sizeof *out);
    int rc = ddb_encode_attr(item, hash, ddb_attr_type(t, hash), index, from_key, &out->hk,
                             &out->hk_len, DDB_HASH_KEY_MAX, err);
    if (rc == 0 && range[0])
        rc = ddb_encode_attr(item, range, ddb_attr_type(t, range), index, from_key, &out->rk,
                             &out->rk_len, DDB_RANGE_KEY_MAX, err);
    if (rc != 0) {
        ddb_key_free(out);
        return rc;
    }
    out->seg = ddb_seg_of(out->hk, out->hk_len);
    return 0;
}

int ddb_key_from_key(const ddb_table *t, json_t *key, ddb_key *out, err_t *err)
{
    if (!json_is_object(key) || json_object_size(key) != (t->range[0] ? 2u : 1u))
        return err_set(err, ERR_DDB_VALIDATION,
                       "The provided key element does not match the schema");
    if (av_validate_item(key, err) != 0)
        return -1;
    return ddb_key_encode(t, key, t->hash, t->range, NULL, true, out, err);
}

int ddb_key_from_item(const ddb_table *t, json_t *item, ddb_key *out, err_t *err)
{
    return ddb_key_encode(t, item, t->hash, t->range, NULL, false, out, err);
}

int ddb_key_for_index(const ddb_table *t, const ddb_index *ix, const json_t *item,
                      ddb_key *out, err_t *err)
{
    return ddb_key_encode(t, item, ix->hash, ix->range, ix->name, false, out, err);
}

json_t *ddb_item_key(const ddb_table *t, const json_t *item)
{
    json_t *k = json_object();
    json_object_set(k, t->hash, json_object_get(item, t->hash));
    if (t->range[0] && json_object_get(item, t->range))
        json_object_set(k, t->range, json_object_get(item, t->range));
    return k;
}

json_t *ddb_index_project(const ddb_table *t, const ddb_index *ix, const json_t *item)
{
    if (ix->proj == DDB_PROJ_ALL)
        return json_deep_copy(item);
    json_t *p = ddb_item_key(t, item);
    json_object_set(p, ix->hash, json_object_get(item, ix->hash));
    if (ix->range[0])
        json_object_set(p, ix->range, json_object_get(item, ix->range));
    size_t i;
    json_t *n;
    json_array_foreach(ix->include, i, n) {
        json_t *v = json_object_get(item, json_string_value(n));
        if (v != NULL)
            json_object_set(p, json_string_value(n), v);
    }
    return p;
}

void ddb_table_arn(const emu_t *emu, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "arn:aws:dynamodb:%s:%s:table/%s", emu->cfg.region, emu->cfg.account,
             name);
}
