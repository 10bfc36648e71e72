/*
 * ddb_table.c - table actions: CreateTable, DescribeTable, ListTables,
 * DeleteTable.  (UpdateTable, TTL, tags: ddb_admin.c.)
 *
 * Tables are ACTIVE as soon as they exist, so waiters never wait.
 */
#include "ddb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "av.h"
#include "ddb_schema.h"

static json_t *ddb_throughput_desc(json_t *pt, bool on_demand)
{
    json_int_t r = on_demand ? 0 : json_integer_value(json_object_get(pt, "ReadCapacityUnits"));
    json_int_t w = on_demand ? 0 : json_integer_value(json_object_get(pt, "WriteCapacityUnits"));
    return json_pack("{s:i, s:I, s:I}", "NumberOfDecreasesToday", 0, "ReadCapacityUnits", r,
                     "WriteCapacityUnits", w);
}

/* Index descriptions with live counts, private members removed. */
static json_t *ddb_indexes_describe(const emu_t *emu, store_conn *c, const ddb_table *t,
                                    const char *member, bool on_demand)
{
    json_t *defs = json_object_get(t->meta, member);
    if (json_array_size(defs) == 0)
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(defs, i, d) {
        json_t *x = json_pack("{s:O, s:O, s:O}", "IndexName", json_object_get(d, "IndexName"),
                              "KeySchema", json_object_get(d, "KeySchema"), "Projection",
                              json_object_get(d, "Projection"));
        char arn[600];
        ddb_table_arn(emu, t->name, arn, sizeof arn);
        size_t n = strlen(arn);
        snprintf(arn + n, sizeof arn - n, "/index/%s",
                 json_string_value(json_object_get(d, "IndexName")));
        json_object_set_new(x, "IndexArn", json_string(arn));
        int64_t count = 0, bytes = 0;
        if (c != NULL)
            store_ddb_index_counts(c, t->id, (int)json_integer_value(json_object_get(d, "_id")),
                                    &count, &bytes);
        json_object_set_new(x, "IndexSizeBytes", json_integer(bytes));
        json_object_set_new(x, "ItemCount", json_integer(count));
        if (strcmp(member, "GlobalSecondaryIndexes") == 0) {
            json_object_set_new(x, "IndexStatus", json_string("ACTIVE"));
            json_object_set_new(x, "ProvisionedThroughput",
                                ddb_throughput_desc(json_object_get(d, "ProvisionedThroughput"),
                                                    on_demand));
        }
        json_array_append_new(out, x);
    }
    return out;
}

json_t *ddb_table_describe_live(const emu_t *emu, store_conn *c, const ddb_table *t,
                                const char *status)
{
    json_t *m = t->meta;
    const char *billing =
        json_string_value(json_object_get(json_object_get(m, "BillingModeSummary"), "BillingMode"));
    bool on_demand = billing && strcmp(billing, "PAY_PER_REQUEST") == 0;
    char arn[512];
    ddb_table_arn(emu, t->name, arn, sizeof arn);
    int64_t count = t->item_count, bytes = t->size_bytes;
    if (c != NULL)
        store_ddb_table_counts(c, t->id, &count, &bytes, NULL);
    json_t *d = json_pack(
        "{s:O, s:s, s:O, s:s, s:O, s:o, s:I, s:I, s:s, s:O, s:b}", "AttributeDefinitions",
        json_object_get(m, "AttributeDefinitions"), "TableName", t->name, "KeySchema",
        json_object_get(m, "KeySchema"), "TableStatus", status, "CreationDateTime",
        json_object_get(m, "CreationDateTime"), "ProvisionedThroughput",
        ddb_throughput_desc(json_object_get(m, "ProvisionedThroughput"), on_demand),
        "TableSizeBytes", (json_int_t)bytes, "ItemCount", (json_int_t)count,
        "TableArn", arn, "TableId", json_object_get(m, "TableId"), "DeletionProtectionEnabled",
        json_is_true(json_object_get(m, "DeletionProtectionEnabled")));
    if (d == NULL)
        return NULL;
    if (billing != NULL)
        json_object_set(d, "BillingModeSummary", json_object_get(m, "BillingModeSummary"));
    json_t *g = ddb_indexes_describe(emu, c, t, "GlobalSecondaryIndexes", on_demand);
    if (g != NULL)
        json_object_set_new(d, "GlobalSecondaryIndexes", g);
    json_t *l = ddb_indexes_describe(emu, c, t, "LocalSecondaryIndexes", on_demand);
    if (l != NULL)
        json_object_set_new(d, "LocalSecondaryIndexes", l);
    json_t *ss = json_object_get(m, "StreamSpecification");
    if (ss != NULL && json_is_true(json_object_get(ss, "StreamEnabled")))
        json_object_set(d, "StreamSpecification", ss);
    return d;
}

json_t *ddb_table_describe(const emu_t *emu, const ddb_table *t)
{
    return ddb_table_describe_live(emu, NULL, t, "ACTIVE");
}

/* ---- CreateTable ---- */

int ddb_create_table_validate(json_t *req, err_t *err)
{
    if (ddb_check_table_name(req, "TableName", err) != 0)
        return -1;
    return ddb_schema_validate_create(req, err);
}

typedef struct ddb_create_job {
    emu_t *emu;
    const char *name;
    json_t *meta;
    json_t *out;
} ddb_create_job;

static int ddb_create_run(store_conn *c, void *arg, err_t *err)
{
    ddb_create_job *j = arg;
    char *text = json_dumps(j->meta, JSON_COMPACT);
    int64_t id;
    int rc = store_ddb_table_insert(c, j->emu->cfg.account, j->emu->cfg.region, j->name, text,
                                    &id, err);
    free(text);
    if (rc != 0)
        return -1;
    ddb_table t;
    ddb_table_from_meta(&t, id, json_incref(j->meta), err);
    j->out = ddb_table_describe_live(j->emu, NULL, &t, "ACTIVE");
    ddb_table_free(&t);
    return 0;
}

json_t *ddb_create_table(emu_t *emu, json_t *req, err_t *err)
{
    ddb_create_job j = {.emu = emu, .name = json_string_value(json_object_get(req, "TableName"))};
    j.meta = ddb_schema_meta_from_create(req);
    if (j.meta == NULL) {
        err_set(err, ERR_INTERNAL, "cannot build table description");
        return NULL;
    }
    int rc = store_write(emu->store, ddb_create_run, &j, err);
    json_decref(j.meta);
    if (rc != 0)
        return NULL;
    return json_pack("{s:o}", "TableDescription", j.out);
}

/* ---- DescribeTable ---- */

int ddb_describe_table_validate(json_t *req, err_t *err)
{
    return ddb_check_table_name(req, "TableName", err);
}

typedef struct ddb_describe_job {
    emu_t *emu;
    const char *name;
    json_t *out;
} ddb_describe_job;

static int ddb_describe_run(store_conn *c, void *arg, err_t *err)
{
    ddb_describe_job *j = arg;
    ddb_table t;
    if (ddb_table_get(j->emu, c, j->name, &t, err) != 0)
        return -1;
    j->out = ddb_table_describe_live(j->emu, c, &t, "ACTIVE");
    ddb_table_free(&t);
    return 0;
}

json_t *ddb_describe_table(emu_t *emu, json_t *req, err_t *err)
{
    ddb_describe_job j = {emu, json_string_value(json_object_get(req, "TableName")), NULL};
    if (store_read(emu->store, ddb_describe_run, &j, err) != 0)
        return NULL;
    return json_pack("{s:o}", "Table", j.out);
}

/* ---- DeleteTable ---- */

int ddb_delete_table_validate(json_t *req, err_t *err)
{
    return ddb_check_table_name(req, "TableName", err);
}

static int ddb_delete_run(store_conn *c, void *arg, err_t *err)
{
    ddb_describe_job *j = arg;
    ddb_table t;
    if (ddb_table_get(j->emu, c, j->name, &t, err) != 0)
        return -1;
    if (json_is_true(json_object_get(t.meta, "DeletionProtectionEnabled"))) {
        ddb_table_free(&t);
        return err_set(err, ERR_DDB_VALIDATION,
                       "Resource cannot be deleted as it is currently protected against "
                       "deletion. Disable deletion protection first.");
    }
    j->out = ddb_table_describe_live(j->emu, c, &t, "DELETING");
    int rc = store_ddb_table_delete(c, t.id, err);
    ddb_table_free(&t);
    return rc;
}

json_t *ddb_delete_table(emu_t *emu, json_t *req, err_t *err)
{
    ddb_describe_job j = {emu, json_string_value(json_object_get(req, "TableName")), NULL};
    if (store_write(emu->store, ddb_delete_run, &j, err) != 0) {
        json_decref(j.out);
        return NULL;
    }
    return json_pack("{s:o}", "TableDescription", j.out);
}

/* ---- ListTables ---- */

int ddb_list_tables_validate(json_t *req, err_t *err)
{
    json_t *limit = json_object_get(req, "Limit");
    if (limit != NULL && (!json_is_integer(limit) || json_integer_value(limit) < 1 ||
                          json_integer_value(limit) > 100))
        return err_set(err, ERR_DDB_VALIDATION,
                       "1 validation error detected: Value '%lld' at 'limit' failed to satisfy "
                       "constraint: Member must have value %s",
                       (long long)json_integer_value(limit),
                       json_integer_value(limit) < 1 ? "greater than or equal to 1"
                                                     : "less than or equal to 100");
    json_t *start = json_object_get(req, "ExclusiveStartTableName");
    if (start != NULL && ddb_check_table_name(req, "ExclusiveStartTableName", err) != 0)
        return -1;
    return 0;
}

typedef struct ddb_list_job {
    emu_t *emu;
    const char *after;
    int limit;
    json_t *names;
} ddb_list_job;

static int ddb_list_run(store_conn *c, void *arg, err_t *err)
{
    ddb_list_job *j = arg;
    j->names = store_ddb_table_names(c, j->emu->cfg.account, j->emu->cfg.region, j->after,
                                     j->limit + 1, err);
    return j->names ? 0 : -1;
}

json_t *ddb_list_tables(emu_t *emu, json_t *req, err_t *err)
{
    json_t *limit = json_object_get(req, "Limit");
    ddb_list_job j = {emu, json_string_value(json_object_get(req, "ExclusiveStartTableName")),
                      limit ? (int)json_integer_value(limit) : 100, NULL};
    if (store_read(emu->store, ddb_list_run, &j, err) != 0)
        return NULL;
    json_t *out = json_object();
    if (json_array_size(j.names) > (size_t)j.limit) {
        json_array_remove(j.names, (size_t)j.limit);
        json_object_set(out, "LastEvaluatedTableName",
                        json_array_get(j.names, (size_t)j.limit - 1));
    }
    json_object_set_new(out, "TableNames", j.names);
    return out;
}

/* ---- DescribeLimits, DescribeEndpoints ---- */

int ddb_describe_limits_validate(json_t *req, err_t *err)
{
    (void)req;
    (void)err;
    return 0;
}

json_t *ddb_describe_limits(emu_t *emu, json_t *req, err_t *err)
{
    (void)emu;
    (void)req;
    (void)err;
    return json_pack("{s:i, s:i, s:i, s:i}", "AccountMaxReadCapacityUnits", 80000,
                     "AccountMaxWriteCapacityUnits", 80000, "TableMaxReadCapacityUnits", 40000,
                     "TableMaxWriteCapacityUnits", 40000);
}

int ddb_describe_endpoints_validate(json_t *req, err_t *err)
{
    (void)req;
    (void)err;
    return 0;
}

json_t *ddb_describe_endpoints(emu_t *emu, json_t *req, err_t *err)
{
    (void)req;
    (void)err;
    char addr[160];
    snprintf(addr, sizeof addr, "%s:%d", emu->cfg.host, emu->cfg.port);
    return json_pack("{s:[{s:s, s:i}]}", "Endpoints", "Address", addr, "CachePeriodInMinutes",
                     1440);
}
