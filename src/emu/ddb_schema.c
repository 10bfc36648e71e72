/*
 * ddb_schema.c - validation of table and index definitions, and the
 * stored description.  Messages follow DynamoDB's wording.
 */
#include "ddb_schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ddb.h"

#define VFAIL(...) err_set(err, ERR_DDB_VALIDATION, __VA_ARGS__)

static int ddb_schema_null(json_t *req, const char *member, const char *field, err_t *err)
{
    json_t *v = json_object_get(req, member);
    if (v == NULL || json_is_null(v))
        return VFAIL("1 validation error detected: Value null at '%s' failed to satisfy "
                     "constraint: Member must not be null", field);
    return 0;
}

static bool ddb_schema_defined(json_t *defs, const char *name)
{
    size_t i;
    json_t *d;
    json_array_foreach(defs, i, d) {
        const char *n = json_string_value(json_object_get(d, "AttributeName"));
        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* A KeySchema: 1..2 elements, HASH first, RANGE second, names defined. */
static int ddb_schema_key(json_t *ks, json_t *defs, const char *what, err_t *err)
{
    if (!json_is_array(ks) || json_array_size(ks) < 1 || json_array_size(ks) > 2)
        return VFAIL("1 validation error detected: Value '%s' at 'keySchema' failed to "
                     "satisfy constraint: Member must have length less than or equal to 2",
                     "[]");
    size_t i;
    json_t *e;
    json_array_foreach(ks, i, e) {
        const char *n = json_string_value(json_object_get(e, "AttributeName"));
        const char *t = json_string_value(json_object_get(e, "KeyType"));
        if (n == NULL || t == NULL || (strcmp(t, "HASH") != 0 && strcmp(t, "RANGE") != 0))
            return VFAIL("1 validation error detected: Value null at 'keySchema.%zu.member."
                         "keyType' failed to satisfy constraint: Member must satisfy enum "
                         "value set: [HASH, RANGE]", i + 1);
        if (i == 0 && strcmp(t, "HASH") != 0)
            return VFAIL("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
        if (i == 1 && strcmp(t, "RANGE") != 0)
            return VFAIL("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
        if (!ddb_schema_defined(defs, n))
            return VFAIL("One or more parameter values were invalid: Some index key attributes "
                         "are not defined in AttributeDefinitions. Keys: [%s], "
                         "AttributeDefinitions: [...]", n);
    }
    if (json_array_size(ks) == 2 &&
        strcmp(json_string_value(json_object_get(json_array_get(ks, 0), "AttributeName")),
               json_string_value(json_object_get(json_array_get(ks, 1), "AttributeName"))) == 0)
        return VFAIL("Invalid KeySchema: Some index key attribute have no definition");
    (void)what;
    return 0;
}

static int ddb_schema_attr_defs(json_t *defs, err_t *err)
{
    if (!json_is_array(defs))
        return err_set(err, ERR_DDB_SERIALIZATION, "Unexpected value type in payload");
    size_t i, j;
    json_t *d, *e;
    json_array_foreach(defs, i, d) {
        const char *n = json_string_value(json_object_get(d, "AttributeName"));
        const char *t = json_string_value(json_object_get(d, "AttributeType"));
        if (n == NULL || *n == '\0')
            return VFAIL("1 validation error detected: Value null at 'attributeDefinitions.%zu."
                         "member.attributeName' failed to satisfy constraint: Member must not "
                         "be null", i + 1);
        if (t == NULL || (strcmp(t, "S") && strcmp(t, "N") && strcmp(t, "B")))
            return VFAIL("1 validation error detected: Value '%s' at 'attributeDefinitions.%zu."
                         "member.attributeType' failed to satisfy constraint: Member must "
                         "satisfy enum value set: [B, N, S]", t ? t : "null", i + 1);
        json_array_foreach(defs, j, e) {
            if (j < i && strcmp(n, json_string_value(json_object_get(e, "AttributeName"))) == 0)
                return VFAIL("Cannot have two attributes with the same name");
        }
    }
    return 0;
}

static int ddb_schema_throughput(json_t *req, bool on_demand, err_t *err)
{
    json_t *pt = json_object_get(req, "ProvisionedThroughput");
    if (on_demand) {
        if (pt != NULL && !json_is_null(pt))
            return VFAIL("One or more parameter values were invalid: Neither ReadCapacityUnits "
                         "nor WriteCapacityUnits can be specified when BillingMode is "
                         "PAY_PER_REQUEST");
        return 0;
    }
    if (pt == NULL || json_is_null(pt))
        return VFAIL("One or more parameter values were invalid: ReadCapacityUnits and "
                     "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
    json_t *r = json_object_get(pt, "ReadCapacityUnits");
    json_t *w = json_object_get(pt, "WriteCapacityUnits");
    if (!json_is_integer(r) || !json_is_integer(w))
        return VFAIL("One or more parameter values were invalid: ReadCapacityUnits and "
                     "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
    if (json_integer_value(r) < 1 || json_integer_value(w) < 1)
        return VFAIL("1 validation error detected: Value '%lld' at 'provisionedThroughput.%s' "
                     "failed to satisfy constraint: Member must have value greater than or "
                     "equal to 1",
                     (long long)(json_integer_value(r) < 1 ? json_integer_value(r)
                                                           : json_integer_value(w)),
                     json_integer_value(r) < 1 ? "readCapacityUnits" : "writeCapacityUnits");
    return 0;
}

int ddb_schema_validate_index(json_t *def, json_t *attr_defs, bool global,
                              const char *table_hash, err_t *err)
{
    const char *name = json_string_value(json_object_get(def, "IndexName"));
    if (name == NULL || strlen(name) < 3 || strlen(name) > 255)
        return VFAIL("1 validation error detected: Value '%s' at 'indexName' failed to satisfy "
                     "constraint: Member must have length greater than or equal to 3",
                     name ? name : "null");
    json_t *ks = json_object_get(def, "KeySchema");
    if (ddb_schema_key(ks, attr_defs, name, err) != 0)
        return -1;
    const char *hash =
        json_string_value(json_object_get(json_array_get(ks, 0), "AttributeName"));
    if (!global && (json_array_size(ks) != 2 || strcmp(hash, table_hash) != 0))
        return VFAIL("One or more parameter values were invalid: Index KeySchema does not have "
                     "a range key for index: %s", name);
    json_t *proj = json_object_get(def, "Projection");
    const char *pt = json_string_value(json_object_get(proj, "ProjectionType"));
    json_t *nk = json_object_get(proj, "NonKeyAttributes");
    if (proj == NULL)
        return VFAIL("1 validation error detected: Value null at 'projection' failed to "
                     "satisfy constraint: Member must not be null");
    if (pt != NULL && strcmp(pt, "INCLUDE") != 0 && nk != NULL)
        return VFAIL("One or more parameter values were invalid: ProjectionType is %s, but "
                     "NonKeyAttributes is specified", pt);
    if (pt != NULL && strcmp(pt, "INCLUDE") == 0 && json_array_size(nk) == 0)
        return VFAIL("One or more parameter values were invalid: ProjectionType is INCLUDE, "
                     "but NonKeyAttributes is not specified");
    return 0;
}

/* Every defined attribute must be used by some key schema. */
static int ddb_schema_defs_used(json_t *req, err_t *err)
{
    json_t *defs = json_object_get(req, "AttributeDefinitions");
    size_t i;
    json_t *d;
    json_array_foreach(defs, i, d) {
        const char *n = json_string_value(json_object_get(d, "AttributeName"));
        bool used = false;
        json_t *lists[3] = {json_object_get(req, "KeySchema"), NULL, NULL};
        static const char *const ix[2] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
        for (int k = 0; k < 2 && !used; k++) {
            size_t a;
            json_t *def;
            json_array_foreach(json_object_get(req, ix[k]), a, def) {
                lists[1] = json_object_get(def, "KeySchema");
                size_t b;
                json_t *e;
                json_array_foreach(lists[1], b, e)
                    used |= strcmp(n, json_string_value(json_object_get(e, "AttributeName"))) == 0;
            }
        }
        size_t b;
        json_t *e;
        json_array_foreach(lists[0], b, e)
            used |= strcmp(n, json_string_value(json_object_get(e, "AttributeName"))) == 0;
        if (!used)
            return VFAIL("One or more parameter values were invalid: Number of attributes in "
                         "KeySchema does not exactly match number of attributes defined in "
                         "AttributeDefinitions");
    }
    return 0;
}

int ddb_schema_validate_create(json_t *req, err_t *err)
{
    if (ddb_schema_null(req, "AttributeDefinitions", "attributeDefinitions", err) ||
        ddb_schema_null(req, "KeySchema", "keySchema", err))
        return -1;
    json_t *defs = json_object_get(req, "AttributeDefinitions");
    if (ddb_schema_attr_defs(defs, err) != 0 ||
        ddb_schema_key(json_object_get(req, "KeySchema"), defs, NULL, err) != 0)
        return -1;
    const char *billing = json_string_value(json_object_get(req, "BillingMode"));
    if (billing && strcmp(billing, "PROVISIONED") && strcmp(billing, "PAY_PER_REQUEST"))
        return VFAIL("1 validation error detected: Value '%s' at 'billingMode' failed to "
                     "satisfy constraint: Member must satisfy enum value set: [PROVISIONED, "
                     "PAY_PER_REQUEST]", billing);
    bool on_demand = billing && strcmp(billing, "PAY_PER_REQUEST") == 0;
    if (ddb_schema_throughput(req, on_demand, err) != 0)
        return -1;
    const char *hash = json_string_value(
        json_object_get(json_array_get(json_object_get(req, "KeySchema"), 0), "AttributeName"));
    static const char *const kinds[2] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (int k = 0; k < 2; k++) {
        json_t *list = json_object_get(req, kinds[k]);
        if (list == NULL)
            continue;
        if (!json_is_array(list) || json_array_size(list) == 0)
            return VFAIL("One or more parameter values were invalid: List of %s is empty",
                         k == 0 ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
        size_t i, j;
        json_t *def, *other;
        json_array_foreach(list, i, def) {
            if (ddb_schema_validate_index(def, defs, k == 0, hash, err) != 0)
                return -1;
            if (k == 0 && !on_demand && ddb_schema_throughput(def, false, err) != 0)
                return -1;
            json_array_foreach(list, j, other) {
                if (j < i && json_equal(json_object_get(def, "IndexName"),
                                        json_object_get(other, "IndexName")))
                    return VFAIL("One or more parameter values were invalid: Duplicate index "
                                 "name: %s", json_string_value(json_object_get(def, "IndexName")));
            }
        }
    }
    return ddb_schema_defs_used(req, err);
}

json_t *ddb_schema_index_meta(json_t *def, int id, bool on_demand)
{
    json_t *m = json_pack("{s:O, s:O, s:O, s:i}", "IndexName", json_object_get(def, "IndexName"),
                          "KeySchema", json_object_get(def, "KeySchema"), "Projection",
                          json_object_get(def, "Projection"), "_id", id);
    json_t *pt = json_object_get(def, "ProvisionedThroughput");
    if (pt != NULL && !on_demand)
        json_object_set(m, "ProvisionedThroughput", pt);
    return m;
}

json_t *ddb_schema_meta_from_create(json_t *req)
{
    const char *billing = json_string_value(json_object_get(req, "BillingMode"));
    bool on_demand = billing && strcmp(billing, "PAY_PER_REQUEST") == 0;
    char id[37];
    http_request_id(id);
    json_t *m = json_pack("{s:O, s:O, s:O, s:f, s:s, s:{s:s}}", "TableName",
                          json_object_get(req, "TableName"), "KeySchema",
                          json_object_get(req, "KeySchema"), "AttributeDefinitions",
                          json_object_get(req, "AttributeDefinitions"), "CreationDateTime",
                          (double)time(NULL), "TableId", id, "BillingModeSummary",
                          "BillingMode", on_demand ? "PAY_PER_REQUEST" : "PROVISIONED");
    if (!on_demand)
        json_object_set(m, "ProvisionedThroughput", json_object_get(req, "ProvisionedThroughput"));
    int next = 1;
    static const char *const kinds[2] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (int k = 0; k < 2; k++) {
        json_t *list = json_object_get(req, kinds[k]);
        if (list == NULL)
            continue;
        json_t *out = json_array();
        size_t i;
        json_t *def;
        json_array_foreach(list, i, def)
            json_array_append_new(out, ddb_schema_index_meta(def, next++, on_demand));
        json_object_set_new(m, kinds[k], out);
    }
    json_object_set_new(m, "_next_index", json_integer(next));
    json_t *ss = json_object_get(req, "StreamSpecification");
    if (ss != NULL)
        json_object_set(m, "StreamSpecification", ss);
    if (json_is_true(json_object_get(req, "DeletionProtectionEnabled")))
        json_object_set_new(m, "DeletionProtectionEnabled", json_true());
    json_t *tags = json_object_get(req, "Tags");
    if (json_is_array(tags))
        json_object_set(m, "Tags", tags);
    return m;
}
