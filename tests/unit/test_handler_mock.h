/*
 * test_handler_mock.h - a scripted in-memory DynamoDB behind fi_ddb, for
 * tests/unit/test_handler*.c (fixtures are read through test_util.h).
 *
 * The mock keeps a table (id -> item) so writes are observable: PutItem
 * (honouring ConditionExpression attribute_not_exists(id)), BatchWriteItem
 * (with scripted UnprocessedItems and failures) and UpdateItem (recorded,
 * applied only as "the key exists").  Every call is logged in `calls`.
 */
#ifndef TEST_HANDLER_MOCK_H
#define TEST_HANDLER_MOCK_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler/face_ingest.h"
#include "handler/fi_json.h"
#include "test_util.h"

typedef struct mock {
    json_t *table;        /* id -> item */
    json_t *calls;        /* [{"op":..., "req":...}] */
    int sleeps;
    /* scripting */
    fi_ddb_status fail_status;   /* status for calls selected below */
    int fail_from_call;          /* 1-based: calls >= this fail (0: never) */
    int unprocessed_rounds;      /* BatchWriteItem leaves the last item unprocessed this often */
    const char *poison_id;       /* writes of this id: ValidationException */
} mock;

static fi_ddb_status mock_fail(fi_ddb_result *r, fi_ddb_status s, const char *type)
{
    r->status = s;
    r->attempts = 1;
    r->http_status = s == FI_DDB_UNAVAILABLE ? 0 : 400;
    snprintf(r->type, sizeof r->type, "%s", type);
    snprintf(r->message, sizeof r->message, "mock %s", type);
    return s;
}

static fi_ddb_status mock_batch(mock *m, json_t *req, json_t **resp, fi_ddb_result *r)
{
    json_t *ri = json_object_get(req, "RequestItems");
    const char *table = json_object_iter_key(json_object_iter(ri));
    json_t *puts = json_object_get(ri, table), *w;
    size_t i, n = json_array_size(puts);
    if (n == 0 || n > 25)
        return mock_fail(r, FI_DDB_CLIENT_ERROR, "ValidationException");
    json_array_foreach(puts, i, w) {
        const char *id = fi_av_get_s(json_object_get(json_object_get(w, "PutRequest"), "Item"), "id");
        if (m->poison_id && id && strcmp(id, m->poison_id) == 0)
            return mock_fail(r, FI_DDB_CLIENT_ERROR, "ValidationException");
    }
    json_t *unprocessed = json_array();
    json_array_foreach(puts, i, w) {
        json_t *item = json_object_get(json_object_get(w, "PutRequest"), "Item");
        if (m->unprocessed_rounds != 0 && i == n - 1) {
            json_array_append(unprocessed, w);
            continue;
        }
        json_object_set(m->table, fi_av_get_s(item, "id"), item);
    }
    if (m->unprocessed_rounds > 0)
        m->unprocessed_rounds--;
    *resp = json_pack("{s:{s:o}}", "UnprocessedItems", table, unprocessed);
    return FI_DDB_OK;
}

/* UpdateItem, as far as the summary writer uses it: the per-shard marks
 * "#mK = :mK" are stored, and their conditions ("attribute_not_exists(#mK)",
 * "#mK = :wK") are checked against the stored item. */
static fi_ddb_status mock_update(mock *m, json_t *req, json_t **resp, fi_ddb_result *r)
{
    const char *id = fi_av_get_s(json_object_get(req, "Key"), "id");
    const char *cond = json_string_value(json_object_get(req, "ConditionExpression"));
    json_t *names = json_object_get(req, "ExpressionAttributeNames");
    json_t *vals = json_object_get(req, "ExpressionAttributeValues");
    json_t *item = json_object_get(m->table, id);
    const char *alias;
    json_t *mark;
    json_object_foreach(names, alias, mark) {
        char probe[64], w[16];
        const char *stored = fi_av_get_s(item, json_string_value(mark));
        snprintf(probe, sizeof probe, "attribute_not_exists(%s)", alias);
        snprintf(w, sizeof w, ":w%s", alias + 2);
        if (cond && strstr(cond, probe) && stored)
            return mock_fail(r, FI_DDB_CONDITION_FAILED, "ConditionalCheckFailedException");
        if (cond && !strstr(cond, probe) &&
            (!stored || strcmp(stored, fi_av_get_s(vals, w)) != 0))
            return mock_fail(r, FI_DDB_CONDITION_FAILED, "ConditionalCheckFailedException");
    }
    if (item == NULL) {
        item = json_pack("{s:{s:s}}", "id", "S", id);
        json_object_set_new(m->table, id, item);
    }
    json_object_foreach(names, alias, mark) {
        char v[16];
        snprintf(v, sizeof v, ":m%s", alias + 2);
        json_object_set(item, json_string_value(mark), json_object_get(vals, v));
    }
    *resp = json_object();
    return FI_DDB_OK;
}

/* The writers' request bodies are text: the mock reads them back, so a
 * body that is not JSON fails the test at once. */
static fi_ddb_status mock_call_req(mock *m, const char *op, json_t *req, json_t **resp,
                                   fi_ddb_result *r);
static fi_ddb_status mock_call(void *ud, const char *op, const char *body, json_t **resp,
                               fi_ddb_result *r)
{
    json_error_t jerr;
    json_t *req = json_loads(body, JSON_REJECT_DUPLICATES, &jerr);
    if (!req) {
        fprintf(stderr, "mock: %s body is not JSON: %s\n%s\n", op, jerr.text, body);
        abort();
    }
    fi_ddb_status s = mock_call_req(ud, op, req, resp, r);
    json_decref(req);
    return s;
}

static fi_ddb_status mock_call_req(mock *m, const char *op, json_t *req, json_t **resp,
                                   fi_ddb_result *r)
{
    *resp = NULL;
    json_array_append_new(m->calls, json_pack("{s:s, s:O}", "op", op, "req", req));
    int n = (int)json_array_size(m->calls);
    if (m->fail_from_call && n >= m->fail_from_call)
        return mock_fail(r, m->fail_status,
                         m->fail_status == FI_DDB_FATAL ? "ResourceNotFoundException" : "NetworkError");
    if (strcmp(op, "BatchWriteItem") == 0)
        return mock_batch(m, req, resp, r);
    if (strcmp(op, "PutItem") == 0) {
        json_t *item = json_object_get(req, "Item");
        const char *id = fi_av_get_s(item, "id");
        if (m->poison_id && strcmp(id, m->poison_id) == 0)
            return mock_fail(r, FI_DDB_CLIENT_ERROR, "ValidationException");
        if (json_object_get(req, "ConditionExpression") && json_object_get(m->table, id))
            return mock_fail(r, FI_DDB_CONDITION_FAILED, "ConditionalCheckFailedException");
        json_object_set(m->table, id, item);
        *resp = json_object();
        return FI_DDB_OK;
    }
    if (strcmp(op, "GetItem") == 0) {
        json_t *item = json_object_get(m->table, fi_av_get_s(json_object_get(req, "Key"), "id"));
        *resp = item ? json_pack("{s:O}", "Item", item) : json_object();
        return FI_DDB_OK;
    }
    if (strcmp(op, "UpdateItem") == 0)
        return mock_update(m, req, resp, r);
    return mock_fail(r, FI_DDB_CLIENT_ERROR, "UnknownOperationException");
}

static void mock_sleep(void *ud, unsigned ms)
{
    (void)ms;
    ((mock *)ud)->sleeps++;
}

static void mock_init(mock *m)
{
    memset(m, 0, sizeof *m);
    m->table = json_object();
    m->calls = json_array();
}

static void mock_free(mock *m)
{
    json_decref(m->table);
    json_decref(m->calls);
}

static size_t mock_count(const mock *m, const char *op)
{
    size_t i, n = 0;
    json_t *c;
    json_array_foreach(m->calls, i, c) n += strcmp(json_string_value(json_object_get(c, "op")), op) == 0;
    return n;
}

#endif
