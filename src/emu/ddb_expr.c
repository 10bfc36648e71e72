/*
 * ddb_expr.c - the expressions of one DynamoDB request: which parameters
 * may appear together, ExpressionAttributeValues validation, the legacy
 * parameters, and condition checks with DynamoDB's error.
 */
#include "ddb_item.h"

#include <math.h>
#include <string.h>

#include "av.h"

#define VFAIL(...) err_set(err, ERR_DDB_VALIDATION, __VA_ARGS__)

/* Expression member, legacy member(s), the flag. */
static const struct {
    unsigned flag;
    const char *expr;
    const char *legacy;
} ddb_expr_members[] = {
    {DDB_X_CONDITION, "ConditionExpression", "Expected"},
    {DDB_X_UPDATE, "UpdateExpression", "AttributeUpdates"},
    {DDB_X_PROJECTION, "ProjectionExpression", "AttributesToGet"},
    {DDB_X_FILTER, "FilterExpression", NULL /* QueryFilter/ScanFilter: filter_param */},
    {DDB_X_KEY, "KeyConditionExpression", "KeyConditions"},
};

/* DynamoDB rejects mixing the two generations of parameters. */
static int ddb_exprs_mixing(json_t *req, unsigned which, const char *filter_param, err_t *err)
{
    char legacy[160] = "", modern[160] = "";
    bool any_expr = false;
    for (size_t i = 0; i < sizeof ddb_expr_members / sizeof *ddb_expr_members; i++) {
        if (!(which & ddb_expr_members[i].flag))
            continue;
        const char *lm = ddb_expr_members[i].legacy;
        if (ddb_expr_members[i].flag == DDB_X_FILTER)
            lm = filter_param;
        if (json_object_get(req, ddb_expr_members[i].expr) != NULL) {
            any_expr = true;
            strncat(modern, modern[0] ? ", " : "", sizeof modern - strlen(modern) - 1);
            strncat(modern, ddb_expr_members[i].expr, sizeof modern - strlen(modern) - 1);
        }
        if (lm != NULL && json_object_get(req, lm) != NULL) {
            strncat(legacy, legacy[0] ? ", " : "", sizeof legacy - strlen(legacy) - 1);
            strncat(legacy, lm, sizeof legacy - strlen(legacy) - 1);
        }
    }
    if (legacy[0] && modern[0])
        return VFAIL("Can not use both expression and non-expression parameters in the same "
                     "request: Non-expression parameters: {%s} Expression parameters: {%s}",
                     legacy, modern);
    if (!any_expr && json_object_get(req, "ExpressionAttributeNames") != NULL)
        return VFAIL("ExpressionAttributeNames can only be specified when using expressions");
    if (!any_expr && json_object_get(req, "ExpressionAttributeValues") != NULL)
        return VFAIL("ExpressionAttributeValues can only be specified when using expressions");
    return 0;
}

static int ddb_exprs_values(json_t *req, err_t *err)
{
    json_t *names = json_object_get(req, "ExpressionAttributeNames");
    if (names != NULL && (!json_is_object(names) || json_object_size(names) == 0))
        return VFAIL("ExpressionAttributeNames must not be empty");
    json_t *values = json_object_get(req, "ExpressionAttributeValues");
    if (values == NULL)
        return 0;
    if (!json_is_object(values) || json_object_size(values) == 0)
        return VFAIL("ExpressionAttributeValues must not be empty");
    const char *k;
    json_t *v;
    json_object_foreach(values, k, v) {
        err_t inner = {0};
        if (av_validate(v, &inner) != 0) {
            json_decref(inner.extra);
            return VFAIL("ExpressionAttributeValues contains invalid value: %s for key %s",
                         inner.msg, k);
        }
    }
    return 0;
}

static int ddb_exprs_one(ddb_exprs *x, json_t *req, unsigned flag, const char *filter_param,
                         err_t *err)
{
    const char *op = json_string_value(json_object_get(req, "ConditionalOperator"));
    json_t *v;
    switch (flag) {
    case DDB_X_CONDITION:
        if ((v = json_object_get(req, "ConditionExpression")) != NULL)
            return expr_parse(&x->ctx, EXPR_CONDITION, json_string_value(v), &x->cond, err);
        if ((v = json_object_get(req, "Expected")) != NULL)
            return expr_from_expected(v, op, &x->cond, err);
        return 0;
    case DDB_X_UPDATE:
        if ((v = json_object_get(req, "UpdateExpression")) != NULL)
            return expr_parse(&x->ctx, EXPR_UPDATE, json_string_value(v), &x->update, err);
        if ((v = json_object_get(req, "AttributeUpdates")) != NULL)
            return expr_from_attribute_updates(v, &x->update, err);
        return 0;
    case DDB_X_PROJECTION:
        if ((v = json_object_get(req, "ProjectionExpression")) != NULL)
            return expr_parse(&x->ctx, EXPR_PROJECTION, json_string_value(v), &x->proj, err);
        if ((v = json_object_get(req, "AttributesToGet")) != NULL)
            return expr_from_attributes_to_get(v, &x->proj, err);
        return 0;
    case DDB_X_FILTER:
        if ((v = json_object_get(req, "FilterExpression")) != NULL)
            return expr_parse(&x->ctx, EXPR_FILTER, json_string_value(v), &x->filter, err);
        if (filter_param && (v = json_object_get(req, filter_param)) != NULL)
            return expr_from_filter(v, op, filter_param, &x->filter, err);
        return 0;
    }
    return 0;
}

int ddb_exprs_parse(json_t *req, unsigned which, const char *filter_param, ddb_exprs *x,
                    err_t *err)
{
    memset(x, 0, sizeof *x);
    x->which = which;
    expr_ctx_init(&x->ctx, json_object_get(req, "ExpressionAttributeNames"),
                  json_object_get(req, "ExpressionAttributeValues"));
    static const char *const strs[] = {"ConditionExpression", "UpdateExpression",
                                       "ProjectionExpression", "FilterExpression",
                                       "KeyConditionExpression"};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        json_t *v = json_object_get(req, strs[i]);
        if (v != NULL && !json_is_string(v))
            return err_set(err, ERR_DDB_SERIALIZATION, "NUMBER_VALUE cannot be converted to String");
    }
    if (ddb_exprs_mixing(req, which, filter_param, err) != 0 || ddb_exprs_values(req, err) != 0)
        return -1;
    static const unsigned order[] = {DDB_X_CONDITION, DDB_X_UPDATE, DDB_X_PROJECTION,
                                     DDB_X_FILTER};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if ((which & order[i]) && ddb_exprs_one(x, req, order[i], filter_param, err) != 0)
            return -1;
    if (!(which & DDB_X_KEY))
        return expr_ctx_check_unused(&x->ctx, err);
    return 0;
}

int ddb_exprs_key(ddb_exprs *x, json_t *req, const char *hash, const char *range,
                  expr_key_cond *kc, err_t *err)
{
    memset(kc, 0, sizeof *kc);
    json_t *v = json_object_get(req, "KeyConditionExpression");
    int rc;
    if (v != NULL)
        rc = expr_key_condition(&x->ctx, json_string_value(v), hash, range, kc, err);
    else if ((v = json_object_get(req, "KeyConditions")) != NULL)
        rc = expr_key_condition_legacy(v, hash, range, kc, err);
    else
        rc = VFAIL("Either the KeyConditions or KeyConditionExpression parameter must be "
                   "specified in the request.");
    if (rc != 0)
        return -1;
    return expr_ctx_check_unused(&x->ctx, err);
}

void ddb_exprs_free(ddb_exprs *x)
{
    expr_free(x->cond);
    expr_free(x->update);
    expr_free(x->proj);
    expr_free(x->filter);
    expr_ctx_free(&x->ctx);
    memset(x, 0, sizeof *x);
}

int ddb_exprs_check(const ddb_exprs *x, json_t *req, const json_t *old, err_t *err)
{
    if (x->cond == NULL)
        return 0;
    bool ok;
    if (expr_eval(x->cond, old, &ok, err) != 0)
        return -1;
    if (ok)
        return 0;
    err_set(err, ERR_DDB_CONDITIONAL_CHECK_FAILED, "The conditional request failed");
    const char *rv = json_string_value(json_object_get(req, "ReturnValuesOnConditionCheckFailure"));
    if (old != NULL && rv != NULL && strcmp(rv, "ALL_OLD") == 0)
        err_extra_set(err, "Item", json_deep_copy(old));
    return -1;
}

int ddb_check_return_values(json_t *req, bool update, err_t *err)
{
    json_t *v = json_object_get(req, "ReturnValues");
    if (v == NULL)
        return 0;
    const char *s = json_string_value(v);
    static const char *const all[] = {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"};
    for (int i = 0; s != NULL && i < 5; i++) {
        if (strcmp(s, all[i]) != 0)
            continue;
        if (!update && i >= 2)
            return VFAIL("ReturnValues can only be ALL_OLD or NONE");
        return 0;
    }
    return VFAIL("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, "
                 "ALL_OLD, NONE, UPDATED_NEW]", s ? s : "null");
}

double ddb_units(size_t bytes, bool write, bool consistent)
{
    double kb = write ? 1024.0 : 4096.0;
    double u = ceil((double)(bytes ? bytes : 1) / kb);
    return write || consistent ? u : u / 2;
}
