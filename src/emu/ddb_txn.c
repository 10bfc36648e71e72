/*
 * ddb_txn.c - TransactWriteItems and TransactGetItems.
 *
 * A write transaction is one store_write job, so it commits or rolls back
 * as a whole: the job first resolves every action's table and key
 * (rejecting two actions on one item), then evaluates each condition
 * against the stored item and applies the action.  Once any condition
 * fails the remaining actions are still checked, so CancellationReasons
 * names every failure, and the job returns -1: the store rolls back the
 * writes already made.  Since no two actions touch one item, applying an
 * action never changes what a later condition sees.
 *
 * ClientRequestToken: a successful request is remembered for 10 minutes
 * (in memory) with its canonical JSON; the same token with the same
 * request returns the remembered response without applying anything
 * again, with a different request IdempotentParameterMismatchException.
 *
 * Entry points: ddb_transact_write_items_validate, ddb_transact_write_items,
 * ddb_transact_get_items_validate, ddb_transact_get_items.
 */
#include "ddb_item.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "av.h"

#define VFAIL(...) err_set(err, ERR_DDB_VALIDATION, __VA_ARGS__)
#define DDB_TXN_MAX 100
#define DDB_TOKEN_MAX 36
#define DDB_TOKEN_TTL 600
#define DDB_TOKEN_SLOTS 256

typedef enum { TXN_CHECK, TXN_PUT, TXN_DELETE, TXN_UPDATE, TXN_GET } ddb_txn_kind;

static const struct {
    const char *member, *field;
} ddb_txn_kinds[] = {
    [TXN_CHECK] = {"ConditionCheck", "conditionCheck"},
    [TXN_PUT] = {"Put", "put"},
    [TXN_DELETE] = {"Delete", "delete"},
    [TXN_UPDATE] = {"Update", "update"},
    [TXN_GET] = {"Get", "get"},
};

typedef struct ddb_txn_op {
    ddb_txn_kind kind;
    json_t *body;         /* borrowed: the action's object */
    ddb_exprs x;
    ddb_table t;
    bool have_table;
    ddb_key k;
} ddb_txn_op;

typedef struct ddb_txn_job {
    emu_t *emu;
    json_t *req;
    size_t n;
    ddb_txn_op *ops;      /* owned array of n */
    json_t *reasons;      /* CancellationReasons */
    bool failed;
    json_t *units;        /* table name -> capacity units */
    json_t *responses;    /* TransactGetItems */
} ddb_txn_job;

/* ---- validation ---- */

/* Which action an element holds, and its body. */
static int ddb_txn_action(json_t *elem, size_t i, bool get, ddb_txn_kind *kind, json_t **body,
                          err_t *err)
{
    int found = 0;
    if (!json_is_object(elem))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    for (int k = get ? TXN_GET : TXN_CHECK; k <= (get ? TXN_GET : TXN_UPDATE); k++) {
        json_t *b = json_object_get(elem, ddb_txn_kinds[k].member);
        if (b != NULL && !json_is_null(b)) {
            *kind = (ddb_txn_kind)k;
            *body = b;
            found++;
        }
    }
    if (found == 0 && get)
        return VFAIL("1 validation error detected: Value null at 'transactItems.%zu.member.get' "
                     "failed to satisfy constraint: Member must not be null", i + 1);
    if (found == 0)
        return VFAIL("The action or operation requested is invalid. Verify that the action is "
                     "typed correctly.");
    if (found > 1)
        return VFAIL("TransactItems can only contain one of Check, Put, Update or Delete");
    if (!json_is_object(*body))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    return 0;
}

static int ddb_txn_required(json_t *body, const char *member, size_t i, ddb_txn_kind kind,
                            const char *field, err_t *err)
{
    json_t *v = json_object_get(body, member);
    if (v == NULL || json_is_null(v))
        return VFAIL("1 validation error detected: Value null at 'transactItems.%zu.member.%s.%s' "
                     "failed to satisfy constraint: Member must not be null",
                     i + 1, ddb_txn_kinds[kind].field, field);
    return 0;
}

/* One action's shape: table, key or item, required expressions. */
static int ddb_txn_validate_body(json_t *body, size_t i, ddb_txn_kind kind, err_t *err)
{
    if (ddb_check_table_name(body, "TableName", err) != 0)
        return -1;
    const char *member = kind == TXN_PUT ? "Item" : "Key";
    if (ddb_txn_required(body, member, i, kind, kind == TXN_PUT ? "item" : "key", err) != 0)
        return -1;
    json_t *v = json_object_get(body, member);
    if (!json_is_object(v))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    if (av_validate_item(v, err) != 0)
        return -1;
    if (kind == TXN_PUT && av_item_size(v) > AV_ITEM_MAX_BYTES)
        return VFAIL("Item size has exceeded the maximum allowed size");
    if (kind == TXN_CHECK &&
        ddb_txn_required(body, "ConditionExpression", i, kind, "conditionExpression", err) != 0)
        return -1;
    if (kind == TXN_UPDATE &&
        ddb_txn_required(body, "UpdateExpression", i, kind, "updateExpression", err) != 0)
        return -1;
    json_t *rv = json_object_get(body, "ReturnValuesOnConditionCheckFailure");
    const char *s = json_string_value(rv);
    if (rv != NULL && (s == NULL || (strcmp(s, "ALL_OLD") != 0 && strcmp(s, "NONE") != 0)))
        return VFAIL("1 validation error detected: Value '%s' at 'transactItems.%zu.member.%s."
                     "returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member "
                     "must satisfy enum value set: [ALL_OLD, NONE]",
                     s ? s : "null", i + 1, ddb_txn_kinds[kind].field);
    return 0;
}

static int ddb_txn_validate(json_t *req, bool get, err_t *err)
{
    json_t *items = json_object_get(req, "TransactItems");
    if (items == NULL || json_is_null(items))
        return VFAIL("1 validation error detected: Value null at 'transactItems' failed to "
                     "satisfy constraint: Member must not be null");
    if (!json_is_array(items))
        return err_set(err, ERR_DDB_SERIALIZATION, "Unexpected value type in payload");
    if (json_array_size(items) == 0 || json_array_size(items) > DDB_TXN_MAX)
        return VFAIL("1 validation error detected: Value '[...]' at 'transactItems' failed to "
                     "satisfy constraint: Member must have length %s",
                     json_array_size(items) ? "less than or equal to 100"
                                            : "greater than or equal to 1");
    json_t *tok = json_object_get(req, "ClientRequestToken");
    if (!get && tok != NULL) {
        if (!json_is_string(tok))
            return err_set(err, ERR_DDB_SERIALIZATION, "NUMBER_VALUE cannot be converted to String");
        size_t n = json_string_length(tok);
        if (n < 1 || n > DDB_TOKEN_MAX)
            return VFAIL("1 validation error detected: Value '%s' at 'clientRequestToken' failed "
                         "to satisfy constraint: Member must have length %s",
                         json_string_value(tok),
                         n ? "less than or equal to 36" : "greater than or equal to 1");
    }
    size_t i;
    json_t *elem;
    json_array_foreach(items, i, elem) {
        ddb_txn_kind kind;
        json_t *body;
        if (ddb_txn_action(elem, i, get, &kind, &body, err) != 0 ||
            ddb_txn_validate_body(body, i, kind, err) != 0)
            return -1;
    }
    return 0;
}

int ddb_transact_write_items_validate(json_t *req, err_t *err)
{
    return ddb_txn_validate(req, false, err);
}

int ddb_transact_get_items_validate(json_t *req, err_t *err)
{
    return ddb_txn_validate(req, true, err);
}

/* ---- idempotency tokens ---- */

static struct {
    char token[DDB_TOKEN_MAX + 1];
    char *fingerprint;    /* canonical request JSON (owned) */
    json_t *response;     /* owned */
    time_t at;
} ddb_tokens[DDB_TOKEN_SLOTS];
static pthread_mutex_t ddb_tokens_mu = PTHREAD_MUTEX_INITIALIZER;

/* 1 = replay (*out set), 0 = new token, -1 = mismatch. */
static int ddb_token_find(const char *token, const char *fp, json_t **out, err_t *err)
{
    int rc = 0;
    time_t now = time(NULL);
    pthread_mutex_lock(&ddb_tokens_mu);
    for (int i = 0; i < DDB_TOKEN_SLOTS; i++) {
        if (ddb_tokens[i].fingerprint == NULL || now - ddb_tokens[i].at > DDB_TOKEN_TTL ||
            strcmp(ddb_tokens[i].token, token) != 0)
            continue;
        if (strcmp(ddb_tokens[i].fingerprint, fp) != 0) {
            rc = err_set(err, ERR_DDB_IDEMPOTENT_PARAMETER_MISMATCH,
                         "The request uses the same client token as a previous, but "
                         "non-identical request.");
        } else {
            *out = json_deep_copy(ddb_tokens[i].response);
            rc = 1;
        }
        break;
    }
    pthread_mutex_unlock(&ddb_tokens_mu);
    return rc;
}

/* Remember a success, replacing an expired or the oldest slot. */
static void ddb_token_remember(const char *token, const char *fp, const json_t *response)
{
    char *copy = strdup(fp);
    if (copy == NULL)
        return;
    pthread_mutex_lock(&ddb_tokens_mu);
    int slot = 0;
    for (int i = 1; i < DDB_TOKEN_SLOTS; i++)
        if (ddb_tokens[i].at < ddb_tokens[slot].at)
            slot = i;
    free(ddb_tokens[slot].fingerprint);
    json_decref(ddb_tokens[slot].response);
    snprintf(ddb_tokens[slot].token, sizeof ddb_tokens[slot].token, "%s", token);
    ddb_tokens[slot].fingerprint = copy;
    ddb_tokens[slot].response = json_deep_copy(response);
    ddb_tokens[slot].at = time(NULL);
    pthread_mutex_unlock(&ddb_tokens_mu);
}

/* ---- shared execution ---- */

static void ddb_txn_job_free(ddb_txn_job *j)
{
    for (size_t i = 0; j->ops != NULL && i < j->n; i++) {
        ddb_exprs_free(&j->ops[i].x);
        if (j->ops[i].have_table)
            ddb_table_free(&j->ops[i].t);
        ddb_key_free(&j->ops[i].k);
    }
    free(j->ops);
    json_decref(j->reasons);
    json_decref(j->units);
    json_decref(j->responses);
}

/* Collect the actions and parse their expressions (no storage). */
static int ddb_txn_prepare(ddb_txn_job *j, bool get, err_t *err)
{
    json_t *items = json_object_get(j->req, "TransactItems");
    j->n = json_array_size(items);
    j->ops = calloc(j->n, sizeof *j->ops);
    j->reasons = json_array();
    j->units = json_object();
    if (j->ops == NULL || j->reasons == NULL || j->units == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < j->n; i++) {
        ddb_txn_op *op = &j->ops[i];
        if (ddb_txn_action(json_array_get(items, i), i, get, &op->kind, &op->body, err) != 0)
            return -1;
        unsigned which = op->kind == TXN_GET      ? (unsigned)DDB_X_PROJECTION
                         : op->kind == TXN_UPDATE ? (unsigned)(DDB_X_CONDITION | DDB_X_UPDATE)
                                                  : (unsigned)DDB_X_CONDITION;
        if (ddb_exprs_parse(op->body, which, NULL, &op->x, err) != 0)
            return -1;
    }
    return 0;
}

/* Load each action's table, encode its key, reject a second action on
 * one item. */
static int ddb_txn_resolve(ddb_txn_job *j, store_conn *c, err_t *err)
{
    for (size_t i = 0; i < j->n; i++) {
        ddb_txn_op *op = &j->ops[i];
        const char *name = json_string_value(json_object_get(op->body, "TableName"));
        if (ddb_table_get(j->emu, c, name, &op->t, err) != 0)
            return -1;
        op->have_table = true;
        json_t *put = op->kind == TXN_PUT ? json_object_get(op->body, "Item") : NULL;
        int rc = put != NULL
                     ? ddb_item_check(&op->t, put, av_item_size(put), &op->k, err)
                     : ddb_key_from_key(&op->t, json_object_get(op->body, "Key"), &op->k, err);
        if (rc != 0)
            return -1;
        for (size_t p = 0; p < i; p++) {
            const ddb_key *a = &j->ops[p].k, *b = &op->k;
            if (j->ops[p].t.id == op->t.id && a->hk_len == b->hk_len && a->rk_len == b->rk_len &&
                memcmp(a->hk, b->hk, a->hk_len) == 0 &&
                (a->rk_len == 0 || memcmp(a->rk, b->rk, a->rk_len) == 0))
                return VFAIL("Transaction request cannot include multiple operations on one item");
        }
    }
    return 0;
}

static void ddb_txn_units(ddb_txn_job *j, const char *table, double units)
{
    json_t *u = json_object_get(j->units, table);
    json_object_set_new(j->units, table, json_real(units + (u ? json_real_value(u) : 0)));
}

/* ConsumedCapacity list (NULL when not requested). */
static json_t *ddb_txn_consumed(ddb_txn_job *j, bool write)
{
    json_t *list = NULL;
    const char *name;
    json_t *u;
    json_object_foreach(j->units, name, u) {
        json_t *cc = ddb_consumed(j->req, name, json_real_value(u), write);
        if (cc == NULL)
            return NULL;
        if (list == NULL)
            list = json_array();
        json_array_append_new(list, cc);
    }
    return list;
}

/* ---- TransactWriteItems ---- */

static void ddb_txn_reason(ddb_txn_job *j, const char *code, const char *msg, json_t *item)
{
    json_t *r = json_pack("{s:s}", "Code", code);
    if (msg != NULL)
        json_object_set_new(r, "Message", json_string(msg));
    if (item != NULL)
        json_object_set(r, "Item", item);
    json_array_append_new(j->reasons, r);
    if (strcmp(code, "None") != 0)
        j->failed = true;
}

/* The item an action leaves behind (new reference; NULL = none), or a
 * ValidationError reason when the action cannot apply. */
static int ddb_txn_new_item(ddb_txn_job *j, ddb_txn_op *op, json_t *old, json_t **out,
                            err_t *err)
{
    *out = NULL;
    if (op->kind == TXN_PUT)
        *out = json_incref(json_object_get(op->body, "Item"));
    if (op->kind != TXN_UPDATE)
        return 0;
    json_t *names = expr_update_attributes(op->x.update);
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        const char *s = json_string_value(n);
        if (strcmp(s, op->t.hash) == 0 || (op->t.range[0] && strcmp(s, op->t.range) == 0)) {
            json_decref(names);
            return VFAIL("One or more parameter values were invalid: Cannot update attribute "
                         "%s. This attribute is part of the key", s);
        }
    }
    json_decref(names);
    json_t *item = old ? json_deep_copy(old) : json_deep_copy(json_object_get(op->body, "Key"));
    err_t e = {0};
    if (expr_apply_update(op->x.update, item, &e) != 0 ||
        ddb_item_check(&op->t, item, av_item_size(item), NULL, &e) != 0) {
        ddb_txn_reason(j, "ValidationError", e.msg, NULL);
        err_clear(&e);
        json_decref(item);
        return 1;
    }
    *out = item;
    return 0;
}

/* Check one action's condition and apply it unless the transaction has
 * already failed. */
static int ddb_txn_apply(ddb_txn_job *j, store_conn *c, ddb_txn_op *op, err_t *err)
{
    json_t *item = NULL;
    ddb_old old;
    int rc = -1;
    /* The old item is parsed only for a condition, an update or index
     * rows; otherwise its stored size is all the action needs. */
    bool parse = op->x.cond != NULL || op->kind == TXN_UPDATE || op->t.nidx > 0;
    if (ddb_item_find(c, &op->t, &op->k, parse, &old, err) != 0)
        goto out;
    err_t e = {0};
    if (ddb_exprs_check(&op->x, op->body, old.item, &e) != 0) {
        if (e.code != ERR_DDB_CONDITIONAL_CHECK_FAILED) {
            *err = e;
            goto out;
        }
        ddb_txn_reason(j, "ConditionalCheckFailed", e.msg, json_object_get(e.extra, "Item"));
        err_clear(&e);
        rc = 0;
        goto out;
    }
    int nrc = ddb_txn_new_item(j, op, old.item, &item, err);
    if (nrc != 0) {
        rc = nrc < 0 ? -1 : 0;
        goto out;
    }
    ddb_txn_reason(j, "None", NULL, NULL);
    size_t size = item ? av_item_size(item) : 0;
    if (!j->failed && op->kind != TXN_CHECK && (old.found || item != NULL) &&
        ddb_item_write(c, &op->t, &op->k, &old, item, NULL, size, err) != 0)
        goto out;
    ddb_txn_units(j, op->t.name,
                  2 * ddb_units(ddb_write_bytes(&old, size), op->kind != TXN_CHECK, true));
    rc = 0;
out:
    json_decref(old.item);
    json_decref(item);
    return rc;
}

static int ddb_txn_write_run(store_conn *c, void *arg, err_t *err)
{
    ddb_txn_job *j = arg;
    if (ddb_txn_resolve(j, c, err) != 0)
        return -1;
    for (size_t i = 0; i < j->n; i++)
        if (ddb_txn_apply(j, c, &j->ops[i], err) != 0)
            return -1;
    if (!j->failed)
        return 0;
    char msg[sizeof err->msg];
    size_t len = (size_t)snprintf(msg, sizeof msg, "Transaction cancelled, please refer "
                                  "cancellation reasons for specific reasons [");
    size_t i;
    json_t *r;
    json_array_foreach(j->reasons, i, r) {
        if (len < sizeof msg)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", i ? ", " : "",
                                    json_string_value(json_object_get(r, "Code")));
    }
    err_set(err, ERR_DDB_TRANSACTION_CANCELED, "%s]", msg);
    err_extra_set(err, "CancellationReasons", json_incref(j->reasons));
    return -1;
}

json_t *ddb_transact_write_items(emu_t *emu, json_t *req, err_t *err)
{
    ddb_txn_job j = {.emu = emu, .req = req};
    json_t *out = NULL;
    const char *token = json_string_value(json_object_get(req, "ClientRequestToken"));
    char *fp = token ? json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (ddb_txn_prepare(&j, false, err) != 0)
        goto out;
    if (fp != NULL) {
        int rc = ddb_token_find(token, fp, &out, err);
        if (rc != 0)
            goto out; /* replayed (out set) or mismatch */
    }
    if (store_write(emu->store, ddb_txn_write_run, &j, err) != 0)
        goto out;
    out = json_object();
    json_t *cc = ddb_txn_consumed(&j, true);
    if (cc != NULL)
        json_object_set_new(out, "ConsumedCapacity", cc);
    if (fp != NULL)
        ddb_token_remember(token, fp, out);
out:
    free(fp);
    ddb_txn_job_free(&j);
    return out;
}

/* ---- TransactGetItems ---- */

static int ddb_txn_get_run(store_conn *c, void *arg, err_t *err)
{
    ddb_txn_job *j = arg;
    if (ddb_txn_resolve(j, c, err) != 0)
        return -1;
    for (size_t i = 0; i < j->n; i++) {
        ddb_txn_op *op = &j->ops[i];
        json_t *item = NULL;
        if (ddb_item_load(c, &op->t, &op->k, &item, err) != 0)
            return -1;
        json_t *r = json_object();
        if (item != NULL)
            json_object_set_new(r, "Item", op->x.proj ? expr_project(op->x.proj, item)
                                                      : json_incref(item));
        json_array_append_new(j->responses, r);
        ddb_txn_units(j, op->t.name, 2 * ddb_units(item ? av_item_size(item) : 0, false, true));
        json_decref(item);
    }
    return 0;
}

json_t *ddb_transact_get_items(emu_t *emu, json_t *req, err_t *err)
{
    ddb_txn_job j = {.emu = emu, .req = req};
    json_t *out = NULL;
    j.responses = json_array();
    if (ddb_txn_prepare(&j, true, err) != 0 || store_read(emu->store, ddb_txn_get_run, &j, err) != 0)
        goto out;
    out = json_pack("{s:O}", "Responses", j.responses);
    json_t *cc = ddb_txn_consumed(&j, false);
    if (out != NULL && cc != NULL)
        json_object_set_new(out, "ConsumedCapacity", cc);
out:
    ddb_txn_job_free(&j);
    return out;
}
