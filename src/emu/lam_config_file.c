/*
 * lam_config_file.c - `--config FILE`: functions and event source mappings
 * declared in a JSON file, with the same meaning as the command-line
 * options (--function, --fn-*, --event-source); see lam.h.
 *
 *   {"functions": [
 *      {"name": "face-ingest",            required, 1-64 of [A-Za-z0-9_-]
 *       "command": "./handler",           optional: emu runs it (sh -c) as the
 *                                         runtime; omitted: external runtime
 *       "timeout": 30,                    seconds, 1..900 (default 3)
 *       "memory": 256,                    MB, 128..10240 (default 128)
 *       "concurrency": 2,                 runtime processes, 1..64 (default 1)
 *       "handler": "main", "role": "arn:aws:iam::...:role/r",
 *       "environment": {"TABLE_NAME": "faces"}}],
 *    "eventSources": [
 *      {"stream": "faces",                required: name or ARN
 *       "function": "face-ingest",        required: a declared function
 *       "BatchSize": 100, "StartingPosition": "TRIM_HORIZON", ...}]}
 *
 * An event source takes the keys of CreateEventSourceMapping (BatchSize,
 * MaximumBatchingWindowInSeconds, ParallelizationFactor, StartingPosition
 * (default TRIM_HORIZON, as --event-source), StartingPositionTimestamp,
 * MaximumRetryAttempts, MaximumRecordAgeInSeconds,
 * BisectBatchOnFunctionError, FunctionResponseTypes, TumblingWindowInSeconds,
 * Enabled), checked here with the API's own rules.  As with --event-source,
 * a declared mapping that already exists in the database (same stream and
 * function) is updated and keeps its checkpoint.  Relative commands run in
 * emu's working directory.  Unknown keys are errors, so typos do not pass
 * silently.  Every problem is printed as "emu: FILE: where: what"; the
 * caller exits with status 2.
 */
#include "lam_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const lam_file_esm_keys[] = {
    "BatchSize", "MaximumBatchingWindowInSeconds", "ParallelizationFactor",
    "StartingPosition", "StartingPositionTimestamp", "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "FunctionResponseTypes",
    "TumblingWindowInSeconds", "Enabled", NULL};

/* An optional integer member in lo..hi; 0 (absent: *out untouched) / -1. */
static int lam_file_int(const char *path, const char *where, json_t *o, const char *key,
                        int lo, int hi, int *out)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        fprintf(stderr, "emu: %s: %s: %s must be an integer in %d..%d\n", path, where, key, lo,
                hi);
        return -1;
    }
    *out = (int)json_integer_value(v);
    return 0;
}

/* Set a string setting of the last function through lam_config_option. */
static int lam_file_opt(struct lam_config *c, const char *opt, const char *val)
{
    return val == NULL ? 0 : lam_config_option(&c, opt, val);
}

static int lam_file_function(struct lam_config *c, const char *path, size_t i, json_t *f)
{
    char where[64], *spec = NULL;
    snprintf(where, sizeof where, "functions[%zu]", i);
    const char *name = NULL, *cmd = NULL, *handler = NULL, *role = NULL;
    json_t *env = NULL, *tmp;
    json_error_t jerr;
    if (json_unpack_ex(f, &jerr, JSON_STRICT,
                       "{s:s, s?:s, s?:s, s?:s, s?:o, s?:o, s?:o, s?:o}", "name", &name,
                       "command", &cmd, "handler", &handler, "role", &role, "timeout", &tmp,
                       "memory", &tmp, "concurrency", &tmp, "environment", &env) != 0) {
        fprintf(stderr, "emu: %s: %s: %s\n", path, where, jerr.text);
        return -1;
    }
    if (env != NULL && !json_is_object(env)) {
        fprintf(stderr, "emu: %s: %s: environment must be an object of strings\n", path, where);
        return -1;
    }
    int rc = -1;
    bool opt_failed = false;
    if (asprintf(&spec, "%s%s%s", name, cmd ? "=" : "", cmd ? cmd : "") < 0) {
        spec = NULL;
        goto cleanup;
    }
    opt_failed = true; /* lam_config_option printed why */
    if (lam_config_option(&c, "function", spec) != 0)
        goto cleanup;
    opt_failed = false;
    lam_fn_config *fc = &c->fns[c->nfns - 1];
    if (lam_file_int(path, where, f, "timeout", 1, 900, &fc->timeout_s) != 0 ||
        lam_file_int(path, where, f, "memory", 128, 10240, &fc->memory_mb) != 0 ||
        lam_file_int(path, where, f, "concurrency", 1, LAM_MAX_PROCS, &fc->concurrency) != 0 ||
        (opt_failed = lam_file_opt(c, "fn-handler", handler) != 0 ||
                      lam_file_opt(c, "fn-role", role) != 0))
        goto cleanup;
    const char *k;
    json_t *v;
    json_object_foreach(env, k, v) {
        char *kv = NULL;
        if (!json_is_string(v) || *k == '\0' || strchr(k, '=') != NULL) {
            fprintf(stderr, "emu: %s: %s: environment.%s must be a string (and the name "
                    "non-empty, without '=')\n", path, where, k);
            goto cleanup;
        }
        if (asprintf(&kv, "%s=%s", k, json_string_value(v)) < 0)
            goto cleanup;
        opt_failed = lam_config_option(&c, "fn-env", kv) != 0;
        free(kv);
        if (opt_failed)
            goto cleanup;
    }
    rc = 0;
cleanup:
    if (rc != 0 && opt_failed)
        fprintf(stderr, "emu: %s: %s: not accepted (see above)\n", path, where);
    free(spec);
    return rc;
}

/* An eventSources entry as a CreateEventSourceMapping request (new
 * reference), or NULL after printing the problem. */
static json_t *lam_file_source(struct lam_config *c, const char *path, size_t i, json_t *s)
{
    char where[64];
    snprintf(where, sizeof where, "eventSources[%zu]", i);
    const char *stream = json_string_value(json_object_get(s, "stream"));
    const char *fn = json_string_value(json_object_get(s, "function"));
    if (!json_is_object(s) || stream == NULL || fn == NULL) {
        fprintf(stderr, "emu: %s: %s: an object with string members \"stream\" and "
                "\"function\" is required\n", path, where);
        return NULL;
    }
    bool known = false;
    for (int k = 0; k < c->nfns && !known; k++)
        known = strcmp(c->fns[k].name, fn) == 0;
    if (!known) {
        fprintf(stderr, "emu: %s: %s: function %s is not declared\n", path, where, fn);
        return NULL;
    }
    json_t *req = json_pack("{s:s, s:s, s:s}", "EventSourceArn", stream, "FunctionName", fn,
                            "StartingPosition", "TRIM_HORIZON");
    const char *key;
    json_t *v;
    json_object_foreach(s, key, v) {
        if (strcmp(key, "stream") == 0 || strcmp(key, "function") == 0)
            continue;
        int k = 0;
        while (lam_file_esm_keys[k] != NULL && strcmp(lam_file_esm_keys[k], key) != 0)
            k++;
        if (lam_file_esm_keys[k] == NULL) {
            fprintf(stderr, "emu: %s: %s: unknown key %s\n", path, where, key);
            json_decref(req);
            return NULL;
        }
        json_object_set(req, key, v);
    }
    err_t err = {0};
    if (req != NULL && lam_esm_check_request(req, &err) != 0) {
        fprintf(stderr, "emu: %s: %s: %s\n", path, where, err.msg);
        err_clear(&err);
        json_decref(req);
        return NULL;
    }
    return req;
}

int lam_config_file(struct lam_config *c, const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr), *fns = NULL, *srcs = NULL, *v;
    int rc = -1;
    size_t i;
    if (root == NULL && jerr.line < 1)
        fprintf(stderr, "emu: %s: %s\n", path, jerr.text);
    else if (root == NULL)
        fprintf(stderr, "emu: %s: %s (line %d, column %d)\n", path, jerr.text, jerr.line,
                jerr.column);
    if (root == NULL)
        return -1;
    if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s?:o, s?:o}", "functions", &fns,
                       "eventSources", &srcs) != 0 ||
        (fns != NULL && !json_is_array(fns)) || (srcs != NULL && !json_is_array(srcs))) {
        fprintf(stderr, "emu: %s: expected {\"functions\": [...], \"eventSources\": [...]}%s%s\n",
                path, jerr.text[0] ? ": " : "", jerr.text);
        goto cleanup;
    }
    json_array_foreach(fns, i, v)
        if (lam_file_function(c, path, i, v) != 0)
            goto cleanup;
    if (c->source_reqs == NULL && (c->source_reqs = json_array()) == NULL)
        goto cleanup;
    json_array_foreach(srcs, i, v) {
        json_t *req = lam_file_source(c, path, i, v);
        if (req == NULL || json_array_append_new(c->source_reqs, req) != 0)
            goto cleanup;
    }
    rc = 0;
cleanup:
    json_decref(root);
    return rc;
}
