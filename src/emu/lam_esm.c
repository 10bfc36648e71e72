/*
 * lam_esm.c - event source mappings through the Lambda REST API
 * (/2015-03-31/event-source-mappings/: Create, Get, List, Update, Delete),
 * the mappings declared with --event-source or --config, persistence and
 * start/stop.
 *
 * Each request is validated (shape and ranges, then function and stream
 * existence) before anything changes.  The configuration JSON is stored in
 * SQLite on every change; checkpoints are written by the pollers.
 * Supported source: Kinesis streams.  ParallelizationFactor runs up to N
 * batches per shard at once, ordered per partition key (lam_esm_lanes.h).
 * Accepted but not applied: TumblingWindowInSeconds, DestinationConfig,
 * FilterCriteria.
 */
#include "lam_esm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"

static double lam_epoch_s(void)
{
    return (double)lam_epoch_ms() / 1000.0;
}

json_t *lam_esm_json(lam_esm *e);

/* --- validation ---------------------------------------------------------- */

static int lam_esm_int(json_t *req, const char *key, const char *wire, int lo, int hi,
                       int *out, err_t *err)
{
    json_t *v = json_object_get(req, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return err_set(err, ERR_LAM_INVALID_PARAMETER, "%s must be an integer", key);
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return err_set(err, ERR_LAM_INVALID_PARAMETER,
                       "1 validation error detected: Value '%lld' at '%s' failed to satisfy "
                       "constraint: Member must have value %s %d", (long long)x, wire,
                       x < lo ? "greater than or equal to" : "less than or equal to",
                       x < lo ? lo : hi);
    *out = (int)x;
    return 0;
}

static int lam_esm_bool(json_t *req, const char *key, bool *out, err_t *err)
{
    json_t *v = json_object_get(req, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return err_set(err, ERR_LAM_INVALID_PARAMETER, "%s must be a boolean", key);
    *out = json_is_true(v);
    return 0;
}

static int lam_esm_response_types(json_t *req, bool *out, err_t *err)
{
    json_t *v = json_object_get(req, "FunctionResponseTypes");
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return err_set(err, ERR_LAM_INVALID_PARAMETER, "FunctionResponseTypes must be a list");
    size_t i;
    json_t *t;
    *out = false;
    json_array_foreach(v, i, t) {
        if (!json_is_string(t) || strcmp(json_string_value(t), "ReportBatchItemFailures") != 0)
            return err_set(err, ERR_LAM_INVALID_PARAMETER,
                           "1 validation error detected: Value at 'functionResponseTypes' "
                           "failed to satisfy constraint: Member must satisfy enum value set: "
                           "[ReportBatchItemFailures]");
        *out = true;
    }
    return 0;
}

/* The settings both Create and Update accept. */
static int lam_esm_apply_common(lam_esm *e, json_t *req, err_t *err)
{
    int age = e->p.max_age_s;
    if (lam_esm_int(req, "BatchSize", "batchSize", 1, 10000, &e->p.batch_size, err) ||
        lam_esm_int(req, "MaximumBatchingWindowInSeconds", "maximumBatchingWindowInSeconds", 0,
                    300, &e->p.window_s, err) ||
        lam_esm_int(req, "ParallelizationFactor", "parallelizationFactor", 1, 10,
                    &e->parallelization, err) ||
        lam_esm_int(req, "MaximumRetryAttempts", "maximumRetryAttempts", -1, 10000,
                    &e->p.max_retry, err) ||
        lam_esm_int(req, "MaximumRecordAgeInSeconds", "maximumRecordAgeInSeconds", -1, 604800,
                    &age, err) ||
        lam_esm_int(req, "TumblingWindowInSeconds", "tumblingWindowInSeconds", 0, 900,
                    &e->tumbling_window_s, err) ||
        lam_esm_bool(req, "BisectBatchOnFunctionError", &e->p.bisect, err) ||
        lam_esm_bool(req, "Enabled", &e->enabled, err) ||
        lam_esm_response_types(req, &e->p.report_failures, err))
        return -1;
    if (age != -1 && age < 60)
        return err_set(err, ERR_LAM_INVALID_PARAMETER,
                       "1 validation error detected: Value '%d' at 'maximumRecordAgeInSeconds' "
                       "failed to satisfy constraint: Member must have value greater than or "
                       "equal to 60 (or -1)", age);
    e->p.max_age_s = age;
    if (e->tumbling_window_s != 0)
        log_warn("lambda esm %s: TumblingWindowInSeconds is accepted but not emulated", e->uuid);
    return 0;
}

/* Create-only fields: function, stream, starting position.  lenient: a
 * missing stream is not an error (restored and command-line mappings wait
 * for it). */
static int lam_esm_apply_create(lam_state *l, lam_esm *e, json_t *req, bool lenient,
                                err_t *err)
{
    const char *fn = json_string_value(json_object_get(req, "FunctionName"));
    const char *src = json_string_value(json_object_get(req, "EventSourceArn"));
    const char *pos = json_string_value(json_object_get(req, "StartingPosition"));
    if (fn == NULL)
        return err_set(err, ERR_LAM_INVALID_PARAMETER, "FunctionName is required");
    if (src == NULL)
        return err_set(err, ERR_LAM_INVALID_PARAMETER, "EventSourceArn is required");
    if (strncmp(src, "arn:", 4) == 0 && strncmp(src, "arn:aws:kinesis:", 16) != 0)
        return err_set(err, ERR_LAM_INVALID_PARAMETER, "Unsupported event source %s: emu maps "
                       "Kinesis streams only", src);
    if (pos == NULL)
        return err_set(err, ERR_LAM_INVALID_PARAMETER,
                       "StartingPosition is required for Kinesis event sources");
    if (strcmp(pos, "TRIM_HORIZON") != 0 && strcmp(pos, "LATEST") != 0 &&
        strcmp(pos, "AT_TIMESTAMP") != 0)
        return err_set(err, ERR_LAM_INVALID_PARAMETER,
                       "1 validation error detected: Value '%s' at 'startingPosition' failed to "
                       "satisfy constraint: Member must satisfy enum value set: "
                       "[TRIM_HORIZON, LATEST, AT_TIMESTAMP]", pos);
    json_t *ts = json_object_get(req, "StartingPositionTimestamp");
    if (strcmp(pos, "AT_TIMESTAMP") == 0 && !json_is_number(ts))
        return err_set(err, ERR_LAM_INVALID_PARAMETER,
                       "StartingPositionTimestamp is required with AT_TIMESTAMP");
    e->starting_ts = json_is_number(ts) ? json_number_value(ts) : 0;
    snprintf(e->starting_position, sizeof e->starting_position, "%s", pos);
    if (lam_esm_apply_common(e, req, err) != 0)
        return -1;
    lam_fn *f = lam_fn_find(l, fn);
    if (f == NULL)
        return err_set(err, ERR_LAM_RESOURCE_NOT_FOUND, "Function not found: %s", fn);
    snprintf(e->fn_name, sizeof e->fn_name, "%s", f->cfg.name);
    kin_stream_info s = {0};
    err_t kerr = {0};
    if (kin_stream_lookup(l->emu, src, &s, &kerr) != 0) {
        err_clear(&kerr);
        if (!lenient)
            return err_set(err, ERR_LAM_INVALID_PARAMETER, "Stream not found: %s", src);
        if (strncmp(src, "arn:", 4) == 0)
            snprintf(e->stream_arn, sizeof e->stream_arn, "%s", src);
        else
            snprintf(e->stream_arn, sizeof e->stream_arn, "arn:aws:kinesis:%s:%s:stream/%s",
                     l->emu->cfg.region, l->emu->cfg.account, src);
        return 0;
    }
    snprintf(e->stream_arn, sizeof e->stream_arn, "%s", s.arn);
    kin_stream_info_free(&s);
    return 0;
}

static lam_esm *lam_esm_new(lam_state *l)
{
    lam_esm *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->l = l;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    http_request_id(e->uuid);
    e->p = (lam_esm_params){.batch_size = 100, .max_retry = -1, .max_age_s = -1,
                            .retry_base_ms = 100};
    e->parallelization = 1;
    e->enabled = true;
    e->last_modified = lam_epoch_s();
    snprintf(e->last_result, sizeof e->last_result, "No records processed");
    return e;
}

static void lam_esm_free(lam_esm *e)
{
    if (e == NULL)
        return;
    free(e->starts);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

void lam_esm_set_result(lam_esm *e, const char *result)
{
    pthread_mutex_lock(&e->mu);
    snprintf(e->last_result, sizeof e->last_result, "%s", result);
    pthread_mutex_unlock(&e->mu);
}

/* --- persistence --------------------------------------------------------- */

typedef struct lam_esm_job {
    const char *uuid;
    char *config;
    bool del;
} lam_esm_job;

static int lam_esm_job_run(store_conn *c, void *arg, err_t *err)
{
    lam_esm_job *j = arg;
    return j->del ? store_lam_esm_delete(c, j->uuid, err)
                  : store_lam_esm_put(c, j->uuid, j->config, err);
}

/* Persist e's configuration (or delete it); e->mu not held. */
static int lam_esm_save(lam_esm *e, bool del, err_t *err)
{
    lam_esm_job j = {e->uuid, NULL, del};
    if (!del) {
        json_t *v = lam_esm_json(e);
        j.config = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
        if (j.config == NULL)
            return err_set(err, ERR_LAM_SERVICE, "out of memory");
    }
    int rc = store_write(e->l->emu->store, lam_esm_job_run, &j, err);
    free(j.config);
    if (rc != 0)
        err->code = ERR_LAM_SERVICE;
    return rc;
}

/* --- the configuration object --------------------------------------------- */

json_t *lam_esm_json(lam_esm *e)
{
    lam_state *l = e->l;
    lam_fn *f = lam_fn_find(l, e->fn_name);
    char esm_arn[LAM_ARN_MAX];
    snprintf(esm_arn, sizeof esm_arn, "arn:aws:lambda:%s:%s:event-source-mapping:%s",
             l->emu->cfg.region, l->emu->cfg.account, e->uuid);
    pthread_mutex_lock(&e->mu);
    json_t *v = json_pack(
        "{s:s, s:s, s:i, s:i, s:i, s:s, s:s, s:f, s:s, s:s, s:s, s:{s:{}}, s:i, s:b, s:i, "
        "s:i, s:[], s:s}",
        "UUID", e->uuid, "StartingPosition", e->starting_position, "BatchSize",
        e->p.batch_size, "MaximumBatchingWindowInSeconds", e->p.window_s,
        "ParallelizationFactor", e->parallelization, "EventSourceArn", e->stream_arn,
        "FunctionArn", f ? f->arn : e->fn_name, "LastModified", e->last_modified,
        "LastProcessingResult", e->last_result, "State", e->state, "StateTransitionReason",
        "User action", "DestinationConfig", "OnFailure", "MaximumRecordAgeInSeconds",
        e->p.max_age_s, "BisectBatchOnFunctionError", e->p.bisect, "MaximumRetryAttempts",
        e->p.max_retry, "TumblingWindowInSeconds", e->tumbling_window_s,
        "FunctionResponseTypes", "EventSourceMappingArn", esm_arn);
    if (v != NULL && e->p.report_failures)
        json_array_append_new(json_object_get(v, "FunctionResponseTypes"),
                              json_string("ReportBatchItemFailures"));
    if (v != NULL && strcmp(e->starting_position, "AT_TIMESTAMP") == 0)
        json_object_set_new(v, "StartingPositionTimestamp", json_real(e->starting_ts));
    pthread_mutex_unlock(&e->mu);
    return v;
}

static lam_esm *lam_esm_get(lam_state *l, const char *uuid)
{
    for (lam_esm *e = l->esms; e != NULL; e = e->next)
        if (strcmp(e->uuid, uuid) == 0)
            return e;
    return NULL;
}

/* Register, persist and start a validated mapping (l->mu held). */
static int lam_esm_launch(lam_state *l, lam_esm *e, bool persist, err_t *err)
{
    for (lam_esm *o = l->esms; o != NULL; o = o->next)
        if (strcmp(o->fn_name, e->fn_name) == 0 && strcmp(o->stream_arn, e->stream_arn) == 0)
            return err_set(err, ERR_LAM_RESOURCE_CONFLICT,
                           "The event source arn (\" %s \") and function (\" %s \") provided "
                           "mapping already exists. Please update or delete the existing "
                           "mapping with UUID %s", e->stream_arn, e->fn_name, o->uuid);
    snprintf(e->state, sizeof e->state, "%s", e->enabled ? "Enabled" : "Disabled");
    if ((persist && lam_esm_save(e, false, err) != 0) || lam_esm_resolve_latest(e, err) != 0 ||
        lam_esm_poll_start(e, err) != 0)
        return -1;
    e->next = l->esms;
    l->esms = e;
    return 0;
}

/* --- REST handlers -------------------------------------------------------- */

static void lam_esm_create(lam_state *l, json_t *req, http_resp *resp)
{
    err_t err = {0};
    lam_esm *e = lam_esm_new(l);
    if (e == NULL) {
        err_set(&err, ERR_LAM_SERVICE, "out of memory");
        goto fail;
    }
    if (lam_esm_apply_create(l, e, req, false, &err) != 0)
        goto fail;
    pthread_mutex_lock(&l->mu);
    int rc = lam_esm_launch(l, e, true, &err);
    pthread_mutex_unlock(&l->mu);
    if (rc != 0)
        goto fail;
    log_info("lambda esm %s: %s -> %s (%s, batch %d)", e->uuid, e->stream_arn, e->fn_name,
             e->starting_position, e->p.batch_size);
    json_t *v = lam_esm_json(e);
    json_object_set_new(v, "State", json_string("Creating"));
    http_resp_json(resp, 202, "application/json", v);
    return;
fail:
    lam_esm_free(e);
    lam_resp_error(resp, &err);
    err_clear(&err);
}

static void lam_esm_update(lam_state *l, lam_esm *e, json_t *req, http_resp *resp)
{
    err_t err = {0};
    json_t *fnv = json_object_get(req, "FunctionName");
    if (fnv != NULL && !json_is_null(fnv)) {
        lam_fn *f = json_is_string(fnv) ? lam_fn_find(l, json_string_value(fnv)) : NULL;
        if (f == NULL) {
            err_set(&err, ERR_LAM_RESOURCE_NOT_FOUND, "Function not found: %s",
                    json_is_string(fnv) ? json_string_value(fnv) : "?");
            goto fail;
        }
    }
    lam_esm tmp;
    pthread_mutex_lock(&e->mu);
    tmp = *e;
    pthread_mutex_unlock(&e->mu);
    if (lam_esm_apply_common(&tmp, req, &err) != 0)
        goto fail;
    pthread_mutex_lock(&e->mu);
    e->p = tmp.p;
    e->parallelization = tmp.parallelization;
    e->tumbling_window_s = tmp.tumbling_window_s;
    e->enabled = tmp.enabled;
    if (fnv != NULL && json_is_string(fnv))
        snprintf(e->fn_name, sizeof e->fn_name, "%s",
                 lam_fn_find(l, json_string_value(fnv))->cfg.name);
    e->last_modified = lam_epoch_s();
    snprintf(e->state, sizeof e->state, "%s", e->enabled ? "Enabled" : "Disabled");
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    if (lam_esm_save(e, false, &err) != 0)
        goto fail;
    json_t *v = lam_esm_json(e);
    json_object_set_new(v, "State", json_string(e->enabled ? "Enabling" : "Disabling"));
    http_resp_json(resp, 202, "application/json", v);
    return;
fail:
    lam_resp_error(resp, &err);
    err_clear(&err);
}

/* Unlink e (l->mu held), delete it from SQLite, leave its threads to
 * finish; they are joined by lam_esm_stop. */
static void lam_esm_delete(lam_state *l, lam_esm *e, http_resp *resp)
{
    err_t err = {0};
    if (lam_esm_save(e, true, &err) != 0) {
        lam_resp_error(resp, &err);
        err_clear(&err);
        return;
    }
    for (lam_esm **pp = &l->esms; *pp != NULL; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    pthread_mutex_lock(&e->mu);
    e->deleted = true;
    snprintf(e->state, sizeof e->state, "Deleting");
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    e->next = l->zombies;
    l->zombies = e;
    http_resp_json(resp, 202, "application/json", lam_esm_json(e));
}

static void lam_esm_list(lam_state *l, http_req *req, http_resp *resp)
{
    const char *src = http_req_query(req, "EventSourceArn");
    const char *fn = http_req_query(req, "FunctionName");
    lam_fn *f = fn ? lam_fn_find(l, fn) : NULL;
    json_t *list = json_array();
    for (lam_esm *e = l->esms; e != NULL; e = e->next) {
        if (src && strcmp(src, e->stream_arn) != 0)
            continue;
        if (fn && (f == NULL || strcmp(f->cfg.name, e->fn_name) != 0))
            continue;
        json_array_insert_new(list, 0, lam_esm_json(e)); /* creation order */
    }
    http_resp_json(resp, 200, "application/json", json_pack("{s:o}", "EventSourceMappings",
                                                            list));
}

void lam_esm_http(lam_state *l, http_req *req, http_resp *resp, const char *rest)
{
    err_t err = {0};
    const char *m = req->method;
    const char *uuid = *rest == '/' ? rest + 1 : rest;
    json_t *body = NULL;
    if (strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0) {
        json_error_t jerr;
        body = json_loadb(req->body, req->body_len, 0, &jerr);
        if (!json_is_object(body)) {
            err_set(&err, ERR_LAM_INVALID_REQUEST_CONTENT, "Could not parse request body "
                    "into json: %s", body ? "not an object" : jerr.text);
            goto fail;
        }
    }
    snprintf(req->log_resource, sizeof req->log_resource, "%s", uuid);
    if (*uuid == '\0') {
        snprintf(req->log_op, sizeof req->log_op, "%sEventSourceMapping%s",
                 strcmp(m, "POST") == 0 ? "Create" : "List", strcmp(m, "POST") == 0 ? "" : "s");
        if (strcmp(m, "POST") == 0)
            lam_esm_create(l, body, resp);
        else if (strcmp(m, "GET") == 0) {
            pthread_mutex_lock(&l->mu);
            lam_esm_list(l, req, resp);
            pthread_mutex_unlock(&l->mu);
        } else
            err_set(&err, ERR_LAM_NOT_FOUND_ROUTE, "Unsupported method %s", m);
        goto out;
    }
    pthread_mutex_lock(&l->mu);
    lam_esm *e = lam_esm_get(l, uuid);
    if (e == NULL)
        err_set(&err, ERR_LAM_RESOURCE_NOT_FOUND, "The resource you requested does not exist.");
    else if (strcmp(m, "GET") == 0) {
        snprintf(req->log_op, sizeof req->log_op, "GetEventSourceMapping");
        http_resp_json(resp, 200, "application/json", lam_esm_json(e));
    } else if (strcmp(m, "PUT") == 0) {
        snprintf(req->log_op, sizeof req->log_op, "UpdateEventSourceMapping");
        lam_esm_update(l, e, body, resp);
    } else if (strcmp(m, "DELETE") == 0) {
        snprintf(req->log_op, sizeof req->log_op, "DeleteEventSourceMapping");
        lam_esm_delete(l, e, resp);
    } else
        err_set(&err, ERR_LAM_NOT_FOUND_ROUTE, "Unsupported method %s", m);
    pthread_mutex_unlock(&l->mu);
out:
    if (err.code == ERR_NONE) {
        json_decref(body);
        return;
    }
fail:
    json_decref(body);
    lam_resp_error(resp, &err);
    err_clear(&err);
}

/* --- start-up: restore persisted mappings, then the command line ----------- */

typedef struct lam_esm_rows {
    lam_state *l;
    json_t *list;
} lam_esm_rows;

static int lam_esm_row(void *arg, const char *uuid, const char *config)
{
    (void)uuid;
    json_t *v = json_loads(config, 0, NULL);
    if (v != NULL)
        json_array_append_new(((lam_esm_rows *)arg)->list, v);
    return 0;
}

static int lam_esm_load_job(store_conn *c, void *arg, err_t *err)
{
    return store_lam_esm_each(c, lam_esm_row, arg, err);
}

/* Restore one persisted mapping (its stored JSON is a Create request plus
 * its UUID and state). */
static void lam_esm_restore(lam_state *l, json_t *cfg)
{
    err_t err = {0};
    lam_esm *e = lam_esm_new(l);
    const char *uuid = json_string_value(json_object_get(cfg, "UUID"));
    const char *fn = json_string_value(json_object_get(cfg, "FunctionArn"));
    if (e == NULL || uuid == NULL || fn == NULL)
        goto fail;
    snprintf(e->uuid, sizeof e->uuid, "%s", uuid);
    json_object_set(cfg, "FunctionName", json_object_get(cfg, "FunctionArn"));
    json_object_set_new(cfg, "Enabled", json_boolean(strcmp(
        json_string_value(json_object_get(cfg, "State")) ?: "", "Disabled") != 0));
    if (lam_esm_apply_create(l, e, cfg, true, &err) != 0 || lam_esm_launch(l, e, false, &err) != 0)
        goto fail;
    double lm = json_number_value(json_object_get(cfg, "LastModified"));
    e->last_modified = lm > 0 ? lm : e->last_modified;
    log_info("lambda esm %s restored: %s -> %s", e->uuid, e->stream_arn, e->fn_name);
    return;
fail:
    log_warn("lambda esm %s not restored: %s", uuid ? uuid : "?", err.msg);
    err_clear(&err);
    lam_esm_free(e);
}

/* Parse "STREAM:FUNCTION[,Key=Value...]" into a Create request. */
static json_t *lam_esm_parse_source(const char *spec, err_t *err)
{
    size_t head = strcspn(spec, ",");
    const char *colon = NULL;
    for (const char *p = spec; p < spec + head; p++)
        if (*p == ':')
            colon = p;
    if (colon == NULL || colon == spec || colon + 1 == spec + head) {
        err_set(err, ERR_LAM_INVALID_PARAMETER, "--event-source %s: expected "
                "STREAM:FUNCTION[,Key=Value...]", spec);
        return NULL;
    }
    json_t *req = json_pack("{s:s%, s:s%, s:s}", "EventSourceArn", spec, (size_t)(colon - spec),
                            "FunctionName", colon + 1, (size_t)(spec + head - colon - 1),
                            "StartingPosition", "TRIM_HORIZON");
    const char *p = spec + head;
    while (req != NULL && *p == ',') {
        p++;
        size_t n = strcspn(p, ","), k = strcspn(p, "=");
        if (k >= n) {
            err_set(err, ERR_LAM_INVALID_PARAMETER, "--event-source: expected Key=Value in "
                    "'%.*s'", (int)n, p);
            json_decref(req);
            return NULL;
        }
        char key[64], val[128], *end;
        snprintf(key, sizeof key, "%.*s", (int)k, p);
        snprintf(val, sizeof val, "%.*s", (int)(n - k - 1), p + k + 1);
        long long iv = strtoll(val, &end, 10);
        json_t *v = *val && *end == '\0'          ? json_integer(iv)
                    : strcmp(val, "true") == 0    ? json_true()
                    : strcmp(val, "false") == 0   ? json_false()
                    : strcmp(key, "FunctionResponseTypes") == 0 ? json_pack("[s]", val)
                                                                 : json_string(val);
        json_object_set_new(req, key, v);
        p += n;
    }
    return req;
}

/* Apply one declared mapping (a Create request from --event-source or
 * --config; borrowed): update the mapping of the same stream and function
 * (restored from the database, checkpoint kept) or create it. */
static int lam_esm_declared(lam_state *l, json_t *req, const char *origin, err_t *err)
{
    int rc = -1;
    lam_esm *e = lam_esm_new(l);
    if (e == NULL || lam_esm_apply_create(l, e, req, true, err) != 0)
        goto out;
    for (lam_esm *o = l->esms; o != NULL; o = o->next) {
        if (strcmp(o->fn_name, e->fn_name) != 0 || strcmp(o->stream_arn, e->stream_arn) != 0)
            continue;
        pthread_mutex_lock(&o->mu);
        o->p = e->p;
        o->parallelization = e->parallelization;
        o->tumbling_window_s = e->tumbling_window_s;
        o->enabled = e->enabled;
        snprintf(o->state, sizeof o->state, "%s", o->enabled ? "Enabled" : "Disabled");
        pthread_cond_broadcast(&o->cv);
        pthread_mutex_unlock(&o->mu);
        rc = lam_esm_save(o, false, err);
        goto out;
    }
    if (lam_esm_launch(l, e, true, err) == 0) {
        log_info("lambda esm %s: %s -> %s (%s)", e->uuid, e->stream_arn, e->fn_name, origin);
        e = NULL;
        rc = 0;
    }
out:
    lam_esm_free(e);
    return rc;
}

static int lam_esm_from_cli(lam_state *l, const char *spec, err_t *err)
{
    json_t *req = lam_esm_parse_source(spec, err);
    if (req == NULL)
        return -1;
    int rc = lam_esm_declared(l, req, "--event-source", err);
    json_decref(req);
    return rc;
}

int lam_esm_check_request(json_t *req, err_t *err)
{
    lam_esm *e = lam_esm_new(NULL);
    if (e == NULL)
        return err_set(err, ERR_LAM_SERVICE, "out of memory");
    const char *pos = json_string_value(json_object_get(req, "StartingPosition"));
    int rc = lam_esm_apply_common(e, req, err);
    if (rc == 0 && pos != NULL && strcmp(pos, "TRIM_HORIZON") != 0 &&
        strcmp(pos, "LATEST") != 0 && strcmp(pos, "AT_TIMESTAMP") != 0)
        rc = err_set(err, ERR_LAM_INVALID_PARAMETER, "StartingPosition must be TRIM_HORIZON, "
                     "LATEST or AT_TIMESTAMP, got %s", pos);
    if (rc == 0 && pos != NULL && strcmp(pos, "AT_TIMESTAMP") == 0 &&
        !json_is_number(json_object_get(req, "StartingPositionTimestamp")))
        rc = err_set(err, ERR_LAM_INVALID_PARAMETER,
                     "StartingPositionTimestamp is required with AT_TIMESTAMP");
    lam_esm_free(e);
    return rc;
}

int lam_esm_start(lam_state *l, err_t *err)
{
    lam_esm_rows rows = {l, json_array()};
    if (rows.list == NULL || store_read(l->emu->store, lam_esm_load_job, &rows, err) != 0) {
        json_decref(rows.list);
        return -1;
    }
    pthread_mutex_lock(&l->mu);
    size_t i;
    json_t *cfg;
    json_array_foreach(rows.list, i, cfg)
        lam_esm_restore(l, cfg);
    json_decref(rows.list);
    int rc = 0;
    for (int k = 0; rc == 0 && l->cfg && k < l->cfg->nsources; k++)
        rc = lam_esm_from_cli(l, l->cfg->sources[k], err);
    json_t *req;
    json_array_foreach(l->cfg ? l->cfg->source_reqs : NULL, i, req)
        if (rc == 0)
            rc = lam_esm_declared(l, req, "--config", err);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static void lam_esm_stop_list(lam_esm *e)
{
    while (e != NULL) {
        lam_esm *next = e->next;
        pthread_mutex_lock(&e->mu);
        pthread_cond_broadcast(&e->cv);
        pthread_mutex_unlock(&e->mu);
        lam_esm_poll_join(e);
        lam_esm_free(e);
        e = next;
    }
}

void lam_esm_stop(lam_state *l)
{
    pthread_mutex_lock(&l->mu);
    lam_esm *live = l->esms, *dead = l->zombies;
    l->esms = l->zombies = NULL;
    pthread_mutex_unlock(&l->mu);
    lam_esm_stop_list(live);
    lam_esm_stop_list(dead);
}
