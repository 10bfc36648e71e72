/*
 * ddb.c - DynamoDB's dispatch table and the helpers every action shares.
 *
 * The table maps each X-Amz-Target operation to its validate (shape only,
 * no storage) and execute functions; svc.c does the protocol work.
 */
#include "ddb.h"

#include <string.h>

#include "svc.h"

/* Sorted by name: svc.c looks operations up with bsearch. */
static const svc_op ddb_ops[] = {
    {"BatchGetItem", ddb_batch_get_item_validate, ddb_batch_get_item},
    {"BatchWriteItem", ddb_batch_write_item_validate, ddb_batch_write_item},
    {"CreateTable", ddb_create_table_validate, ddb_create_table},
    {"DeleteItem", ddb_delete_item_validate, ddb_delete_item},
    {"DeleteTable", ddb_delete_table_validate, ddb_delete_table},
    {"DescribeEndpoints", ddb_describe_endpoints_validate, ddb_describe_endpoints},
    {"DescribeLimits", ddb_describe_limits_validate, ddb_describe_limits},
    {"DescribeTable", ddb_describe_table_validate, ddb_describe_table},
    {"DescribeTimeToLive", ddb_describe_ttl_validate, ddb_describe_ttl},
    {"GetItem", ddb_get_item_validate, NULL, ddb_get_item},
    {"ListTables", ddb_list_tables_validate, ddb_list_tables},
    {"ListTagsOfResource", ddb_list_tags_validate, ddb_list_tags},
    {"PutItem", ddb_put_item_validate, ddb_put_item},
    {"Query", ddb_query_validate, NULL, ddb_query},
    {"Scan", ddb_scan_validate, NULL, ddb_scan},
    {"TagResource", ddb_tag_resource_validate, ddb_tag_resource},
    {"TransactGetItems", ddb_transact_get_items_validate, ddb_transact_get_items},
    {"TransactWriteItems", ddb_transact_write_items_validate, ddb_transact_write_items},
    {"UntagResource", ddb_untag_resource_validate, ddb_untag_resource},
    {"UpdateItem", ddb_update_item_validate, ddb_update_item},
    {"UpdateTable", ddb_update_table_validate, ddb_update_table},
    {"UpdateTimeToLive", ddb_update_ttl_validate, ddb_update_ttl},
};

static const svc ddb_svc = {
    .target_prefix = "DynamoDB_20120810.",
    .content_type = "application/x-amz-json-1.0",
    .ops = ddb_ops,
    .nops = sizeof ddb_ops / sizeof *ddb_ops,
    .crc32 = true,
    .serialization = ERR_DDB_SERIALIZATION,
    .unknown_operation = ERR_DDB_UNKNOWN_OPERATION,
    .internal = ERR_DDB_INTERNAL,
    .resource_key = "TableName",
};

void ddb_http_handle(emu_t *emu, http_req *req, http_resp *resp)
{
    svc_handle(&ddb_svc, emu, req, resp);
}

void ddb_http_unknown(emu_t *emu, http_req *req, http_resp *resp)
{
    (void)emu;
    (void)req;
    err_t err = {0};
    err_set(&err, ERR_DDB_UNKNOWN_OPERATION, "%s", "");
    svc_error(&ddb_svc, resp, &err);
}

int ddb_table_get(emu_t *emu, store_conn *c, const char *name, ddb_table *t, err_t *err)
{
    int rc = store_ddb_table_load(c, emu->cfg.account, emu->cfg.region, name, t, err);
    if (rc == 1)
        return err_set(err, ERR_DDB_RESOURCE_NOT_FOUND, "Requested resource not found");
    return rc;
}

int ddb_check_table_name(json_t *req, const char *member, err_t *err)
{
    json_t *v = json_object_get(req, member);
    if (v == NULL || json_is_null(v))
        return err_set(err, ERR_DDB_VALIDATION,
                       "1 validation error detected: Value null at '%s' failed to satisfy "
                       "constraint: Member must not be null",
                       strcmp(member, "TableName") == 0 ? "tableName" : member);
    if (!json_is_string(v))
        return err_set(err, ERR_DDB_SERIALIZATION, "NUMBER_VALUE cannot be converted to String");
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    const char *field = strcmp(member, "TableName") == 0 ? "tableName" : member;
    if (n < 3 || n > 255)
        return err_set(err, ERR_DDB_VALIDATION,
                       "1 validation error detected: Value '%s' at '%s' failed to satisfy "
                       "constraint: Member must have length %s",
                       s, field, n < 3 ? "greater than or equal to 3" : "less than or equal to 255");
    for (const char *p = s; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return err_set(err, ERR_DDB_VALIDATION,
                           "1 validation error detected: Value '%s' at '%s' failed to satisfy "
                           "constraint: Member must satisfy regular expression pattern: "
                           "[a-zA-Z0-9_.-]+",
                           s, field);
    }
    return 0;
}

json_t *ddb_consumed(json_t *req, const char *table, double units, bool write)
{
    const char *mode = json_string_value(json_object_get(req, "ReturnConsumedCapacity"));
    if (mode == NULL || strcmp(mode, "NONE") == 0)
        return NULL;
    json_t *cc = json_pack("{s:s, s:f}", "TableName", table, "CapacityUnits", units);
    json_object_set_new(cc, write ? "WriteCapacityUnits" : "ReadCapacityUnits",
                        json_real(units));
    if (strcmp(mode, "INDEXES") == 0)
        json_object_set_new(cc, "Table", json_pack("{s:f, s:f}", "CapacityUnits", units,
                                                   write ? "WriteCapacityUnits" :
                                                           "ReadCapacityUnits", units));
    return cc;
}
