/*
 * ddb_admin.c - table administration: UpdateTable (billing mode,
 * throughput, streams, deletion protection, creating and deleting global
 * secondary indexes), DescribeTimeToLive/UpdateTimeToLive and
 * TagResource/UntagResource/ListTagsOfResource.
 *
 * Everything lives in the table's stored description (meta): a change is
 * one write job that rewrites it.  A new GSI gets the next storage id
 * (meta "_next_index") and is backfilled from every stored item in the
 * same job, so it is ACTIVE and complete as soon as UpdateTable returns;
 * a deleted GSI's rows go in the same job too.
 *
 * Entry points: ddb_update_table(_validate), ddb_describe_ttl(_validate),
 * ddb_update_ttl(_validate), ddb_tag_resource(_validate),
 * ddb_untag_resource(_validate), ddb_list_tags(_validate).
 */
#include "ddb_item.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/jload.h"
#include "av.h"
#include "ddb_schema.h"

#define VFAIL(...) err_set(err, ERR_DDB_VALIDATION, __VA_ARGS__)
#define DDB_INVALID "One or more parameter values were invalid: "

typedef struct ddb_admin_job {
    emu_t *emu;
    json_t *req;
    const char *name;     /* table name (from TableName or the ARN) */
    const char *arn;      /* tag actions: the ResourceArn, for messages */
    ddb_table t;
    bool have_table;
    json_t *meta;         /* the new description (owned) */
    json_t *out;          /* response (owned) */
} ddb_admin_job;

static void ddb_admin_job_free(ddb_admin_job *j)
{
    if (j->have_table)
        ddb_table_free(&j->t);
    json_decref(j->meta);
    json_decref(j->out);
}

/* Load the table with the not-found wording of the admin actions. */
static int ddb_admin_load(ddb_admin_job *j, store_conn *c, err_t *err)
{
    int rc = store_ddb_table_load(c, j->emu->cfg.account, j->emu->cfg.region, j->name, &j->t, err);
    if (rc == 1 && j->arn != NULL)
        return err_set(err, ERR_DDB_RESOURCE_NOT_FOUND,
                       "Requested resource not found: ResourceArn: %s not found", j->arn);
    if (rc == 1)
        return err_set(err, ERR_DDB_RESOURCE_NOT_FOUND,
                       "Requested resource not found: Table: %s not found", j->name);
    if (rc != 0)
        return -1;
    j->have_table = true;
    j->meta = json_deep_copy(j->t.meta);
    return j->meta ? 0 : err_set(err, ERR_INTERNAL, "out of memory");
}

static int ddb_admin_save(ddb_admin_job *j, store_conn *c, err_t *err)
{
    char *text = json_dumps(j->meta, JSON_COMPACT);
    if (text == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    int rc = store_ddb_table_set_meta(c, j->t.id, text, err);
    free(text);
    return rc;
}

/* ---- UpdateTable: validation ---- */

static int ddb_admin_throughput(json_t *pt, const char *field, err_t *err)
{
    static const char *const members[2] = {"ReadCapacityUnits", "WriteCapacityUnits"};
    static const char *const fields[2] = {"readCapacityUnits", "writeCapacityUnits"};
    if (!json_is_object(pt))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(pt, members[i]);
        if (v == NULL || json_is_null(v))
            return VFAIL("1 validation error detected: Value null at '%s.%s' failed to satisfy "
                         "constraint: Member must not be null", field, fields[i]);
        if (!json_is_integer(v))
            return err_set(err, ERR_DDB_SERIALIZATION, "STRING_VALUE cannot be converted to Long");
        if (json_integer_value(v) < 1)
            return VFAIL("1 validation error detected: Value '%lld' at '%s.%s' failed to satisfy "
                         "constraint: Member must have value greater than or equal to 1",
                         (long long)json_integer_value(v), field, fields[i]);
    }
    return 0;
}

/* The IndexName of one GlobalSecondaryIndexUpdates element. */
static const char *ddb_gsi_update_name(json_t *u, json_t **body, const char **kind)
{
    static const char *const kinds[3] = {"Create", "Update", "Delete"};
    for (int i = 0; i < 3; i++) {
        json_t *b = json_object_get(u, kinds[i]);
        if (b != NULL && !json_is_null(b)) {
            *body = b;
            *kind = kinds[i];
            return json_string_value(json_object_get(b, "IndexName"));
        }
    }
    return NULL;
}

static int ddb_admin_gsi_updates(json_t *list, err_t *err)
{
    if (!json_is_array(list))
        return err_set(err, ERR_DDB_SERIALIZATION, "Unexpected value type in payload");
    size_t i, j;
    json_t *u, *v;
    json_array_foreach(list, i, u) {
        json_t *body = NULL;
        const char *kind = NULL;
        const char *name = ddb_gsi_update_name(u, &body, &kind);
        if (body == NULL)
            return VFAIL(DDB_INVALID "One of GlobalSecondaryIndexUpdate.Update, "
                         "GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete "
                         "must not be null");
        if (name == NULL)
            return VFAIL("1 validation error detected: Value null at 'globalSecondaryIndexUpdates."
                         "%zu.member.%c%s.indexName' failed to satisfy constraint: Member must "
                         "not be null", i + 1, kind[0] + ('a' - 'A'), kind + 1);
        json_t *pt = json_object_get(body, "ProvisionedThroughput");
        if (strcmp(kind, "Update") == 0 && pt == NULL)
            return VFAIL("1 validation error detected: Value null at 'globalSecondaryIndexUpdates."
                         "%zu.member.update.provisionedThroughput' failed to satisfy constraint: "
                         "Member must not be null", i + 1);
        if (pt != NULL && ddb_admin_throughput(pt, "provisionedThroughput", err) != 0)
            return -1;
        json_array_foreach(list, j, v) {
            json_t *b2;
            const char *k2;
            const char *n2 = j < i ? ddb_gsi_update_name(v, &b2, &k2) : NULL;
            if (n2 != NULL && strcmp(n2, name) == 0)
                return VFAIL(DDB_INVALID "Only one global secondary index update per index is "
                             "allowed simultaneously. Index: %s", name);
        }
    }
    return 0;
}

int ddb_update_table_validate(json_t *req, err_t *err)
{
    if (ddb_check_table_name(req, "TableName", err) != 0)
        return -1;
    static const char *const any[] = {"ProvisionedThroughput", "BillingMode",
                                      "GlobalSecondaryIndexUpdates", "StreamSpecification",
                                      "SSESpecification", "ReplicaUpdates", "TableClass",
                                      "DeletionProtectionEnabled", "OnDemandThroughput"};
    bool found = false;
    for (size_t i = 0; i < sizeof any / sizeof *any; i++)
        found |= json_object_get(req, any[i]) != NULL;
    if (!found)
        return VFAIL("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                     "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is "
                     "required");
    json_t *bm = json_object_get(req, "BillingMode");
    const char *b = json_string_value(bm);
    if (bm != NULL && (b == NULL || (strcmp(b, "PROVISIONED") && strcmp(b, "PAY_PER_REQUEST"))))
        return VFAIL("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy "
                     "constraint: Member must satisfy enum value set: [PROVISIONED, "
                     "PAY_PER_REQUEST]", b ? b : "null");
    json_t *pt = json_object_get(req, "ProvisionedThroughput");
    if (pt != NULL && ddb_admin_throughput(pt, "provisionedThroughput", err) != 0)
        return -1;
    json_t *gu = json_object_get(req, "GlobalSecondaryIndexUpdates");
    if (gu != NULL && ddb_admin_gsi_updates(gu, err) != 0)
        return -1;
    json_t *ad = json_object_get(req, "AttributeDefinitions");
    if (ad != NULL && !json_is_array(ad))
        return err_set(err, ERR_DDB_SERIALIZATION, "Unexpected value type in payload");
    return 0;
}

/* ---- UpdateTable: execution ---- */

static bool ddb_meta_on_demand(json_t *meta)
{
    const char *b = json_string_value(
        json_object_get(json_object_get(meta, "BillingModeSummary"), "BillingMode"));
    return b != NULL && strcmp(b, "PAY_PER_REQUEST") == 0;
}

/* BillingMode and the table's ProvisionedThroughput. */
static int ddb_update_billing(ddb_admin_job *j, err_t *err)
{
    const char *bm = json_string_value(json_object_get(j->req, "BillingMode"));
    json_t *pt = json_object_get(j->req, "ProvisionedThroughput");
    bool was = ddb_meta_on_demand(j->meta);
    bool now = bm ? strcmp(bm, "PAY_PER_REQUEST") == 0 : was;
    if (now && pt != NULL)
        return VFAIL(DDB_INVALID "Neither ReadCapacityUnits nor WriteCapacityUnits can be "
                     "specified when BillingMode is PAY_PER_REQUEST");
    if (!now && was && pt == NULL)
        return VFAIL(DDB_INVALID "ProvisionedThroughput must be specified when BillingMode is "
                     "PROVISIONED");
    json_t *cur = json_object_get(j->meta, "ProvisionedThroughput");
    if (!now && !was && pt != NULL && bm == NULL &&
        json_object_get(j->req, "GlobalSecondaryIndexUpdates") == NULL &&
        json_equal(json_object_get(cur, "ReadCapacityUnits"), json_object_get(pt, "ReadCapacityUnits")) &&
        json_equal(json_object_get(cur, "WriteCapacityUnits"), json_object_get(pt, "WriteCapacityUnits")))
        return VFAIL("The provisioned throughput for the table will not change. The requested "
                     "value equals the current value. Current ReadCapacityUnits provisioned for "
                     "the table: %lld. Requested ReadCapacityUnits: %lld. Current "
                     "WriteCapacityUnits provisioned for the table: %lld. Requested "
                     "WriteCapacityUnits: %lld. Refer to the Amazon DynamoDB Developer Guide for "
                     "current limits and how to request higher limits.",
                     (long long)json_integer_value(json_object_get(cur, "ReadCapacityUnits")),
                     (long long)json_integer_value(json_object_get(pt, "ReadCapacityUnits")),
                     (long long)json_integer_value(json_object_get(cur, "WriteCapacityUnits")),
                     (long long)json_integer_value(json_object_get(pt, "WriteCapacityUnits")));
    json_t *summary = json_pack("{s:s}", "BillingMode", now ? "PAY_PER_REQUEST" : "PROVISIONED");
    if (now && !was)
        json_object_set_new(summary, "LastUpdateToPayPerRequestDateTime",
                            json_real((double)time(NULL)));
    json_object_set_new(j->meta, "BillingModeSummary", summary);
    if (now) {
        json_object_del(j->meta, "ProvisionedThroughput");
    } else if (pt != NULL) {
        json_object_set_new(j->meta, "ProvisionedThroughput",
                            json_pack("{s:O, s:O}", "ReadCapacityUnits",
                                      json_object_get(pt, "ReadCapacityUnits"), "WriteCapacityUnits",
                                      json_object_get(pt, "WriteCapacityUnits")));
    }
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(j->meta, "GlobalSecondaryIndexes"), i, g) {
        if (now)
            json_object_del(g, "ProvisionedThroughput");
        else if (json_object_get(g, "ProvisionedThroughput") == NULL)
            json_object_set(g, "ProvisionedThroughput",
                            json_object_get(j->meta, "ProvisionedThroughput"));
    }
    return 0;
}

/* New AttributeDefinitions are merged into the table's. */
static int ddb_update_attr_defs(ddb_admin_job *j, err_t *err)
{
    json_t *defs = json_object_get(j->meta, "AttributeDefinitions");
    size_t i, k;
    json_t *d, *e;
    json_array_foreach(json_object_get(j->req, "AttributeDefinitions"), i, d) {
        const char *n = json_string_value(json_object_get(d, "AttributeName"));
        const char *t = json_string_value(json_object_get(d, "AttributeType"));
        if (n == NULL || t == NULL || (strcmp(t, "S") && strcmp(t, "N") && strcmp(t, "B")))
            return VFAIL("1 validation error detected: Value '%s' at 'attributeDefinitions.%zu."
                         "member.attributeType' failed to satisfy constraint: Member must "
                         "satisfy enum value set: [B, N, S]", t ? t : "null", i + 1);
        bool known = false;
        json_array_foreach(defs, k, e) {
            if (strcmp(n, json_string_value(json_object_get(e, "AttributeName"))) != 0)
                continue;
            known = true;
            if (strcmp(t, json_string_value(json_object_get(e, "AttributeType"))) != 0)
                return VFAIL(DDB_INVALID "Cannot change the type of attribute %s", n);
        }
        if (!known)
            json_array_append(defs, d);
    }
    return 0;
}

static json_t *ddb_meta_gsi_find(json_t *meta, const char *name, size_t *at)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(meta, "GlobalSecondaryIndexes"), i, g) {
        const char *n = json_string_value(json_object_get(g, "IndexName"));
        if (n != NULL && strcmp(n, name) == 0) {
            if (at != NULL)
                *at = i;
            return g;
        }
    }
    return NULL;
}

static int ddb_gsi_not_found(ddb_admin_job *j, const char *name, err_t *err)
{
    return err_set(err, ERR_DDB_RESOURCE_NOT_FOUND,
                   "Requested resource not found: Index %s for table %s", name, j->name);
}

/* The next free index storage id. */
static int ddb_meta_next_id(json_t *meta)
{
    json_int_t next = json_integer_value(json_object_get(meta, "_next_index"));
    static const char *const kinds[2] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(meta, kinds[k]), i, g) {
            json_int_t id = json_integer_value(json_object_get(g, "_id"));
            if (id >= next)
                next = id + 1;
        }
    }
    json_object_set_new(meta, "_next_index", json_integer(next + 1));
    return (int)next;
}

typedef struct ddb_backfill {
    store_conn *c;
    const ddb_table *t;
    const ddb_index *ix;
    err_t *err;
} ddb_backfill_ctx;

/* Write the new index's row for one stored item; items whose attributes
 * do not fit the index key (missing or of another type) stay out. */
static int ddb_backfill_row(void *arg, const char *body, size_t len, size_t size, err_t *err)
{
    ddb_backfill_ctx *b = arg;
    (void)size; /* the table row's size; the index row gets its own */
    json_t *item = jload_stored(body, len);
    if (item == NULL)
        return err_set(err, ERR_INTERNAL, "corrupt item");
    ddb_key bk = {0}, ik = {0};
    err_t skip = {0};
    int rc = 0;
    if (ddb_key_from_item(b->t, item, &bk, err) != 0) {
        rc = -1;
    } else if (ddb_key_for_index(b->t, b->ix, item, &ik, &skip) == 0) {
        size_t pk_len;
        unsigned char *pk = ddb_pk_encode(&bk, &pk_len);
        json_t *proj = ddb_index_project(b->t, b->ix, item);
        char *text = proj ? json_dumps(proj, JSON_COMPACT) : NULL;
        if (pk == NULL || text == NULL) {
            rc = err_set(err, ERR_INTERNAL, "out of memory");
        } else {
            rc = store_ddb_item_put(b->c, b->t->id, b->ix->id, &ik, pk, pk_len, text,
                                    av_item_size(proj), err);
        }
        free(pk);
        free(text);
        json_decref(proj);
    }
    err_clear(&skip);
    ddb_key_free(&bk);
    ddb_key_free(&ik);
    json_decref(item);
    return rc;
}

/* Index every stored item into the index named `name` of meta. */
static int ddb_backfill(store_conn *c, int64_t id, json_t *meta, const char *name, err_t *err)
{
    ddb_table t;
    if (ddb_table_from_meta(&t, id, json_incref(meta), err) != 0)
        return -1;
    const ddb_index *ix = ddb_table_index(&t, name);
    int rc = -1;
    if (ix == NULL) {
        err_set(err, ERR_INTERNAL, "index %s missing after creation", name);
    } else {
        ddb_backfill_ctx b = {c, &t, ix, err};
        ddb_range r = {.tbl = id, .idx = 0, .forward = true, .seg_hi = 65535};
        rc = store_ddb_range(c, &r, ddb_backfill_row, &b, err);
    }
    ddb_table_free(&t);
    return rc;
}

static int ddb_gsi_create(ddb_admin_job *j, store_conn *c, json_t *def, err_t *err)
{
    const char *name = json_string_value(json_object_get(def, "IndexName"));
    if (ddb_table_index(&j->t, name) != NULL || ddb_meta_gsi_find(j->meta, name, NULL) != NULL)
        return VFAIL(DDB_INVALID "Attempting to create an index which already exists");
    if (ddb_schema_validate_index(def, json_object_get(j->meta, "AttributeDefinitions"), true,
                                  j->t.hash, err) != 0)
        return -1;
    bool on_demand = ddb_meta_on_demand(j->meta);
    if (!on_demand && json_object_get(def, "ProvisionedThroughput") == NULL)
        return VFAIL(DDB_INVALID "ProvisionedThroughput should not be null for index: %s", name);
    json_t *gsis = json_object_get(j->meta, "GlobalSecondaryIndexes");
    size_t total = json_array_size(gsis) +
                   json_array_size(json_object_get(j->meta, "LocalSecondaryIndexes"));
    if (total >= DDB_MAX_INDEXES)
        return err_set(err, ERR_DDB_LIMIT_EXCEEDED,
                       "Subscriber limit exceeded: The number of global secondary indexes "
                       "exceeds the limit");
    if (gsis == NULL) {
        gsis = json_array();
        json_object_set_new(j->meta, "GlobalSecondaryIndexes", gsis);
    }
    json_array_append_new(gsis, ddb_schema_index_meta(def, ddb_meta_next_id(j->meta), on_demand));
    return ddb_backfill(c, j->t.id, j->meta, name, err);
}

static int ddb_gsi_update_one(ddb_admin_job *j, store_conn *c, json_t *u, err_t *err)
{
    json_t *body = NULL;
    const char *kind = NULL;
    const char *name = ddb_gsi_update_name(u, &body, &kind);
    if (strcmp(kind, "Create") == 0)
        return ddb_gsi_create(j, c, body, err);
    size_t at = 0;
    json_t *g = ddb_meta_gsi_find(j->meta, name, &at);
    if (g == NULL)
        return ddb_gsi_not_found(j, name, err);
    if (strcmp(kind, "Update") == 0) {
        if (ddb_meta_on_demand(j->meta))
            return VFAIL(DDB_INVALID "ProvisionedThroughput cannot be specified for index %s "
                         "when BillingMode is PAY_PER_REQUEST", name);
        json_object_set(g, "ProvisionedThroughput", json_object_get(body, "ProvisionedThroughput"));
        return 0;
    }
    int id = (int)json_integer_value(json_object_get(g, "_id"));
    if (store_ddb_index_drop(c, j->t.id, id, err) != 0)
        return -1;
    json_t *gsis = json_object_get(j->meta, "GlobalSecondaryIndexes");
    json_array_remove(gsis, at);
    if (json_array_size(gsis) == 0)
        json_object_del(j->meta, "GlobalSecondaryIndexes");
    return 0;
}

static int ddb_update_table_run(store_conn *c, void *arg, err_t *err)
{
    ddb_admin_job *j = arg;
    if (ddb_admin_load(j, c, err) != 0)
        return -1;
    if ((json_object_get(j->req, "BillingMode") || json_object_get(j->req, "ProvisionedThroughput")) &&
        ddb_update_billing(j, err) != 0)
        return -1;
    if (ddb_update_attr_defs(j, err) != 0)
        return -1;
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(j->req, "GlobalSecondaryIndexUpdates"), i, u) {
        if (ddb_gsi_update_one(j, c, u, err) != 0)
            return -1;
    }
    json_t *ss = json_object_get(j->req, "StreamSpecification");
    if (ss != NULL)
        json_object_set(j->meta, "StreamSpecification", ss);
    json_t *dp = json_object_get(j->req, "DeletionProtectionEnabled");
    if (json_is_boolean(dp))
        json_object_set(j->meta, "DeletionProtectionEnabled", dp);
    if (ddb_admin_save(j, c, err) != 0)
        return -1;
    ddb_table nt;
    if (ddb_table_from_meta(&nt, j->t.id, json_incref(j->meta), err) != 0)
        return -1;
    nt.item_count = j->t.item_count;
    nt.size_bytes = j->t.size_bytes;
    j->out = ddb_table_describe_live(j->emu, c, &nt, "ACTIVE");
    ddb_table_free(&nt);
    return j->out ? 0 : err_set(err, ERR_INTERNAL, "cannot describe table");
}

json_t *ddb_update_table(emu_t *emu, json_t *req, err_t *err)
{
    ddb_admin_job j = {.emu = emu, .req = req,
                       .name = json_string_value(json_object_get(req, "TableName"))};
    json_t *out = NULL;
    if (store_write(emu->store, ddb_update_table_run, &j, err) == 0)
        out = json_pack("{s:O}", "TableDescription", j.out);
    ddb_admin_job_free(&j);
    return out;
}

/* ---- DescribeTimeToLive / UpdateTimeToLive ---- */

int ddb_describe_ttl_validate(json_t *req, err_t *err)
{
    return ddb_check_table_name(req, "TableName", err);
}

static int ddb_describe_ttl_run(store_conn *c, void *arg, err_t *err)
{
    ddb_admin_job *j = arg;
    if (ddb_admin_load(j, c, err) != 0)
        return -1;
    json_t *d = json_object_get(j->meta, "TimeToLiveDescription");
    j->out = d ? json_deep_copy(d) : json_pack("{s:s}", "TimeToLiveStatus", "DISABLED");
    return 0;
}

json_t *ddb_describe_ttl(emu_t *emu, json_t *req, err_t *err)
{
    ddb_admin_job j = {.emu = emu, .req = req,
                       .name = json_string_value(json_object_get(req, "TableName"))};
    json_t *out = NULL;
    if (store_read(emu->store, ddb_describe_ttl_run, &j, err) == 0)
        out = json_pack("{s:O}", "TimeToLiveDescription", j.out);
    ddb_admin_job_free(&j);
    return out;
}

int ddb_update_ttl_validate(json_t *req, err_t *err)
{
    if (ddb_check_table_name(req, "TableName", err) != 0)
        return -1;
    json_t *spec = json_object_get(req, "TimeToLiveSpecification");
    if (spec == NULL || json_is_null(spec))
        return VFAIL("1 validation error detected: Value null at 'timeToLiveSpecification' "
                     "failed to satisfy constraint: Member must not be null");
    if (!json_is_object(spec))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    json_t *en = json_object_get(spec, "Enabled"), *an = json_object_get(spec, "AttributeName");
    bool no_en = en == NULL || json_is_null(en), no_an = an == NULL || json_is_null(an);
    if (no_en && no_an)
        return VFAIL("2 validation errors detected: Value null at 'timeToLiveSpecification."
                     "enabled' failed to satisfy constraint: Member must not be null; Value null "
                     "at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: "
                     "Member must not be null");
    if (no_en || no_an)
        return VFAIL("1 validation error detected: Value null at 'timeToLiveSpecification.%s' "
                     "failed to satisfy constraint: Member must not be null",
                     no_en ? "enabled" : "attributeName");
    if (!json_is_boolean(en) || !json_is_string(an))
        return err_set(err, ERR_DDB_SERIALIZATION, "Unexpected value type in payload");
    if (json_string_length(an) == 0)
        return VFAIL("TimeToLiveSpecification.AttributeName must be non empty");
    if (json_string_length(an) > 255)
        return VFAIL("1 validation error detected: Value '%s' at 'timeToLiveSpecification."
                     "attributeName' failed to satisfy constraint: Member must have length less "
                     "than or equal to 255", json_string_value(an));
    return 0;
}

static int ddb_update_ttl_run(store_conn *c, void *arg, err_t *err)
{
    ddb_admin_job *j = arg;
    json_t *spec = json_object_get(j->req, "TimeToLiveSpecification");
    bool enable = json_is_true(json_object_get(spec, "Enabled"));
    if (ddb_admin_load(j, c, err) != 0)
        return -1;
    const char *status = json_string_value(
        json_object_get(json_object_get(j->meta, "TimeToLiveDescription"), "TimeToLiveStatus"));
    bool enabled = status != NULL && strcmp(status, "ENABLED") == 0;
    if (enable && enabled)
        return VFAIL("TimeToLive is already enabled");
    if (!enable && !enabled)
        return VFAIL("TimeToLive is already disabled");
    json_object_set_new(j->meta, "TimeToLiveDescription",
                        enable ? json_pack("{s:s, s:O}", "TimeToLiveStatus", "ENABLED",
                                           "AttributeName", json_object_get(spec, "AttributeName"))
                               : json_pack("{s:s}", "TimeToLiveStatus", "DISABLED"));
    return ddb_admin_save(j, c, err);
}

json_t *ddb_update_ttl(emu_t *emu, json_t *req, err_t *err)
{
    ddb_admin_job j = {.emu = emu, .req = req,
                       .name = json_string_value(json_object_get(req, "TableName"))};
    json_t *out = NULL;
    json_t *spec = json_object_get(req, "TimeToLiveSpecification");
    if (store_write(emu->store, ddb_update_ttl_run, &j, err) == 0)
        out = json_pack("{s:{s:O, s:O}}", "TimeToLiveSpecification", "AttributeName",
                        json_object_get(spec, "AttributeName"), "Enabled",
                        json_object_get(spec, "Enabled"));
    ddb_admin_job_free(&j);
    return out;
}

/* ---- TagResource / UntagResource / ListTagsOfResource ---- */

/* ResourceArn: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME; *name points
 * into it.  An ARN of another region or account names no table here. */
static int ddb_tags_arn(json_t *req, const char **name, err_t *err)
{
    json_t *v = json_object_get(req, "ResourceArn");
    if (v == NULL || json_is_null(v))
        return VFAIL("Invalid TableArn");
    if (!json_is_string(v))
        return err_set(err, ERR_DDB_SERIALIZATION, "NUMBER_VALUE cannot be converted to String");
    const char *arn = json_string_value(v);
    const char *p = arn;
    for (int colons = 0; colons < 5 && p != NULL; colons++)
        p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
    const char *slash = p ? strchr(p, '/') : NULL;
    size_t n = slash ? strlen(slash + 1) : 0;
    if (strncmp(arn, "arn:", 4) != 0 || p == NULL || strncmp(p, "table/", 6) != 0 || n < 3 ||
        n > 255 || strchr(slash + 1, '/') != NULL ||
        strspn(slash + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
        return VFAIL("Invalid TableArn: Invalid ResourceArn provided as input %s", arn);
    *name = slash + 1;
    return 0;
}

/* The table named by the ARN exists in this region and account. */
static bool ddb_tags_arn_here(const ddb_admin_job *j)
{
    char want[600];
    ddb_table_arn(j->emu, j->name, want, sizeof want);
    return strcmp(want, j->arn) == 0;
}

static int ddb_tags_validate_list(json_t *req, const char *member, const char *field, err_t *err)
{
    const char *name;
    if (ddb_tags_arn(req, &name, err) != 0)
        return -1;
    json_t *list = json_object_get(req, member);
    if (list == NULL || json_is_null(list))
        return VFAIL("1 validation error detected: Value null at '%s' failed to satisfy "
                     "constraint: Member must not be null", field);
    if (!json_is_array(list))
        return err_set(err, ERR_DDB_SERIALIZATION, "Unexpected value type in payload");
    return 0;
}

int ddb_tag_resource_validate(json_t *req, err_t *err)
{
    if (ddb_tags_validate_list(req, "Tags", "tags", err) != 0)
        return -1;
    json_t *tags = json_object_get(req, "Tags");
    if (json_array_size(tags) == 0)
        return VFAIL("Invalid TagsToAdd: TagsToAdd must not be empty");
    size_t i;
    json_t *tag;
    json_array_foreach(tags, i, tag) {
        json_t *k = json_object_get(tag, "Key"), *v = json_object_get(tag, "Value");
        if (k == NULL || v == NULL || json_is_null(k) || json_is_null(v))
            return VFAIL("1 validation error detected: Value null at 'tags.%zu.member.%s' failed "
                         "to satisfy constraint: Member must not be null", i + 1,
                         k == NULL || json_is_null(k) ? "key" : "value");
        if (!json_is_string(k) || !json_is_string(v))
            return err_set(err, ERR_DDB_SERIALIZATION, "Unexpected value type in payload");
        if (json_string_length(k) < 1 || json_string_length(k) > 128)
            return VFAIL("1 validation error detected: Value '%s' at 'tags.%zu.member.key' failed "
                         "to satisfy constraint: Member must have length %s",
                         json_string_value(k), i + 1,
                         json_string_length(k) ? "less than or equal to 128"
                                               : "greater than or equal to 1");
        if (json_string_length(v) > 256)
            return VFAIL("1 validation error detected: Value '%s' at 'tags.%zu.member.value' "
                         "failed to satisfy constraint: Member must have length less than or "
                         "equal to 256", json_string_value(v), i + 1);
    }
    return 0;
}

int ddb_untag_resource_validate(json_t *req, err_t *err)
{
    if (ddb_tags_validate_list(req, "TagKeys", "tagKeys", err) != 0)
        return -1;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(req, "TagKeys"), i, k) {
        if (!json_is_string(k))
            return err_set(err, ERR_DDB_SERIALIZATION, "Unexpected value type in payload");
    }
    return 0;
}

int ddb_list_tags_validate(json_t *req, err_t *err)
{
    const char *name;
    return ddb_tags_arn(req, &name, err);
}

/* Index of the tag with key k in tags, or -1. */
static int ddb_tag_find(json_t *tags, const char *k)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        if (strcmp(json_string_value(json_object_get(t, "Key")), k) == 0)
            return (int)i;
    }
    return -1;
}

/* Tag (add = true) or untag the table, or only read its tags. */
typedef enum { TAGS_ADD, TAGS_REMOVE, TAGS_LIST } ddb_tags_op;

typedef struct ddb_tags_job {
    ddb_admin_job a;
    ddb_tags_op op;
} ddb_tags_job;

static int ddb_tags_run(store_conn *c, void *arg, err_t *err)
{
    ddb_tags_job *tj = arg;
    ddb_admin_job *j = &tj->a;
    if (!ddb_tags_arn_here(j))
        return err_set(err, ERR_DDB_RESOURCE_NOT_FOUND,
                       "Requested resource not found: ResourceArn: %s not found", j->arn);
    if (ddb_admin_load(j, c, err) != 0)
        return -1;
    json_t *tags = json_object_get(j->meta, "Tags");
    if (!json_is_array(tags)) {
        tags = json_array();
        json_object_set_new(j->meta, "Tags", tags);
    }
    size_t i;
    json_t *v;
    if (tj->op == TAGS_LIST) {
        j->out = json_pack("{s:O}", "Tags", tags);
        return 0;
    }
    json_array_foreach(json_object_get(j->req, tj->op == TAGS_ADD ? "Tags" : "TagKeys"), i, v) {
        const char *key = tj->op == TAGS_ADD ? json_string_value(json_object_get(v, "Key"))
                                             : json_string_value(v);
        int at = ddb_tag_find(tags, key);
        if (tj->op == TAGS_REMOVE && at >= 0)
            json_array_remove(tags, (size_t)at);
        else if (tj->op == TAGS_ADD && at >= 0)
            json_array_set_new(tags, (size_t)at, json_pack("{s:s, s:O}", "Key", key, "Value",
                                                           json_object_get(v, "Value")));
        else if (tj->op == TAGS_ADD)
            json_array_append_new(tags, json_pack("{s:s, s:O}", "Key", key, "Value",
                                                  json_object_get(v, "Value")));
    }
    if (json_array_size(tags) > 50)
        return VFAIL(DDB_INVALID "The number of tags exceeds the limit of 50");
    j->out = json_object();
    return ddb_admin_save(j, c, err);
}

static json_t *ddb_tags_execute(emu_t *emu, json_t *req, ddb_tags_op op, err_t *err)
{
    ddb_tags_job tj = {.a = {.emu = emu, .req = req}, .op = op};
    json_t *out = NULL;
    if (ddb_tags_arn(req, &tj.a.name, err) != 0)
        return NULL;
    tj.a.arn = json_string_value(json_object_get(req, "ResourceArn"));
    int rc = op == TAGS_LIST ? store_read(emu->store, ddb_tags_run, &tj, err)
                             : store_write(emu->store, ddb_tags_run, &tj, err);
    if (rc == 0) {
        out = tj.a.out;
        tj.a.out = NULL;
    }
    ddb_admin_job_free(&tj.a);
    return out;
}

json_t *ddb_tag_resource(emu_t *emu, json_t *req, err_t *err)
{
    return ddb_tags_execute(emu, req, TAGS_ADD, err);
}

json_t *ddb_untag_resource(emu_t *emu, json_t *req, err_t *err)
{
    return ddb_tags_execute(emu, req, TAGS_REMOVE, err);
}

json_t *ddb_list_tags(emu_t *emu, json_t *req, err_t *err)
{
    return ddb_tags_execute(emu, req, TAGS_LIST, err);
}
