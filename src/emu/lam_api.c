/*
 * lam_api.c - the Lambda REST API (2015-03-31): Invoke, GetFunction,
 * ListFunctions, the dispatch of /event-source-mappings/ to lam_esm.c, the
 * emu extension /_emu/lambda/..., and the one serialiser of Lambda errors.
 *
 * Lambda speaks REST-JSON: errors carry the type in the `x-amzn-ErrorType`
 * header and a body {"Type":"User"|"Service","message":...}; the type and
 * status come from err.c's table.  Not implemented: CreateFunction and the
 * other function-management calls (functions come from the command line),
 * aliases/versions (any Qualifier is taken as $LATEST), LogType=Tail.
 */
#include "lam_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/base64.h"
#include "../common/log.h"
#include "lam_esm_logic.h"
#include "lam_event.h"

#define LAM_ASYNC_MAX (1024u * 1024)   /* Event payload limit (1 MB since 2025) */

void lam_resp_error(http_resp *resp, const err_t *err)
{
    err_code code = err->code >= ERR_LAM_RESOURCE_NOT_FOUND && err->code < ERR__COUNT
                        ? err->code : ERR_LAM_SERVICE;
    int status = err_http_status(code);
    json_t *v = json_pack("{s:s, s:s}", "Type", status >= 500 ? "Service" : "User", "message",
                          err->msg);
    if (v != NULL && err->extra != NULL)
        json_object_update(v, err->extra);
    http_resp_header(resp, "x-amzn-ErrorType", err_type(code));
    http_resp_json(resp, status, "application/json", v);
}

static void lam_api_fail(http_resp *resp, err_code code, const char *fmt, const char *arg)
{
    err_t err = {0};
    err_set(&err, code, fmt, arg);
    lam_resp_error(resp, &err);
    err_clear(&err);
}

/* The Client-Context header is base64 of a JSON object; the runtime gets
 * the decoded JSON.  Caller frees; NULL when absent. */
static char *lam_client_context(http_req *req)
{
    const char *cc = http_req_header(req, "X-Amz-Client-Context");
    if (cc == NULL || *cc == '\0')
        return NULL;
    unsigned char *dec = NULL;
    size_t n = 0;
    if (base64_decode(cc, strlen(cc), &dec, &n) != 0)
        return strdup(cc);
    char *s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, dec, n);
        s[n] = '\0';
    }
    free(dec);
    return s;
}

/* POST /2015-03-31/functions/NAME/invocations */
static void lam_api_invoke(lam_state *l, lam_fn *f, http_req *req, http_resp *resp)
{
    const char *type = http_req_header(req, "X-Amz-Invocation-Type");
    type = type ? type : "RequestResponse";
    bool event = strcmp(type, "Event") == 0, dry = strcmp(type, "DryRun") == 0;
    snprintf(req->log_op, sizeof req->log_op, "Invoke.%s", type);
    if (!event && !dry && strcmp(type, "RequestResponse") != 0) {
        lam_api_fail(resp, ERR_LAM_INVALID_PARAMETER, "1 validation error detected: Value '%s' "
                     "at 'invocationType' failed to satisfy constraint: Member must satisfy "
                     "enum value set: [Event, RequestResponse, DryRun]", type);
        return;
    }
    size_t max = event ? LAM_ASYNC_MAX : LAM_PAYLOAD_MAX;
    if (req->body_len > max) {
        char msg[160];
        snprintf(msg, sizeof msg, "Request must be smaller than %zu bytes for the %s operation",
                 max, event ? "InvokeAsync" : "InvokeFunction");
        lam_api_fail(resp, ERR_LAM_REQUEST_TOO_LARGE, "%s", msg);
        return;
    }
    const char *payload = req->body_len ? req->body : "{}";
    size_t len = req->body_len ? req->body_len : 2;
    json_error_t jerr;
    json_t *probe = json_loadb(payload, len, JSON_DECODE_ANY, &jerr);
    json_decref(probe);
    if (probe == NULL) {
        lam_api_fail(resp, ERR_LAM_INVALID_REQUEST_CONTENT,
                     "Could not parse request body into json: %s", jerr.text);
        return;
    }
    if (dry) {
        http_resp_body(resp, 204, "application/json", calloc(1, 1), 0);
        return;
    }
    err_t err = {0};
    if (event) {
        char id[37];
        if (lam_fn_invoke_async(l, f, payload, len, id, &err) != 0)
            goto fail;
        http_resp_header(resp, "x-amzn-RequestId", id);
        http_resp_body(resp, 202, "application/json", calloc(1, 1), 0);
        return;
    }
    char *cc = lam_client_context(req);
    lam_result r;
    int rc = lam_fn_invoke(l, f, payload, len, cc, &r, &err);
    free(cc);
    if (rc != 0)
        goto fail;
    log_info("lambda %s %s invoke %s %.0fms", f->cfg.name, r.id, r.fn_error ? "error" : "ok",
             r.duration_ms);
    http_resp_header(resp, "x-amzn-RequestId", r.id);
    http_resp_header(resp, "X-Amz-Executed-Version", "$LATEST");
    if (r.fn_error)
        http_resp_header(resp, "X-Amz-Function-Error", "Unhandled");
    http_resp_body(resp, 200, "application/json", r.body, r.len);
    return;
fail:
    lam_resp_error(resp, &err);
    err_clear(&err);
}

/* A FunctionConfiguration object. */
static json_t *lam_fn_json(lam_fn *f)
{
    json_t *vars = json_object();
    for (int i = 0; i < f->cfg.nenv; i++) {
        const char *kv = f->cfg.env[i];
        size_t k = strcspn(kv, "=");
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(k < 255 ? k : 255), kv);
        json_object_set_new(vars, key, json_string(kv + k + 1));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:i, s:s, "
                     "s:{s:o}, s:[s]}",
                     "FunctionName", f->cfg.name, "FunctionArn", f->arn, "Runtime",
                     "provided.al2023", "Role", f->role, "Handler",
                     f->cfg.handler ? f->cfg.handler : f->cfg.name, "Timeout", f->cfg.timeout_s,
                     "MemorySize", f->cfg.memory_mb, "Version", "$LATEST", "State", "Active",
                     "LastUpdateStatus", "Successful", "PackageType", "Zip", "CodeSize", 0,
                     "Description", f->cfg.command ? f->cfg.command : "external runtime",
                     "Environment", "Variables", vars, "Architectures", "x86_64");
}

/* Everything under /2015-03-31/functions/. */
static void lam_api_functions(lam_state *l, http_req *req, http_resp *resp, const char *rest)
{
    bool get = strcmp(req->method, "GET") == 0;
    if (*rest == '\0' && get) {
        snprintf(req->log_op, sizeof req->log_op, "ListFunctions");
        json_t *list = json_array();
        for (int i = 0; i < l->nfns; i++)
            json_array_append_new(list, lam_fn_json(&l->fns[i]));
        http_resp_json(resp, 200, "application/json", json_pack("{s:o}", "Functions", list));
        return;
    }
    char name[LAM_ARN_MAX];
    size_t n = strcspn(rest, "/");
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), rest);
    const char *tail = rest + n;
    snprintf(req->log_resource, sizeof req->log_resource, "%.100s", name);
    lam_fn *f = lam_fn_find(l, name);
    if (f == NULL) {
        char arn[LAM_ARN_MAX + 64];
        if (strncmp(name, "arn:", 4) == 0)
            snprintf(arn, sizeof arn, "%s", name);
        else
            snprintf(arn, sizeof arn, "arn:aws:lambda:%s:%s:function:%.64s",
                     l->emu->cfg.region, l->emu->cfg.account, name);
        lam_api_fail(resp, ERR_LAM_RESOURCE_NOT_FOUND, "Function not found: %s", arn);
        return;
    }
    if (strcmp(tail, "/invocations") == 0 && strcmp(req->method, "POST") == 0) {
        lam_api_invoke(l, f, req, resp);
        return;
    }
    if ((*tail == '\0' || strcmp(tail, "/") == 0) && get) {
        snprintf(req->log_op, sizeof req->log_op, "GetFunction");
        http_resp_json(resp, 200, "application/json",
                       json_pack("{s:o, s:{s:s, s:s}}", "Configuration", lam_fn_json(f), "Code",
                                 "RepositoryType", "S3", "Location", ""));
        return;
    }
    if (strcmp(tail, "/configuration") == 0 && get) {
        snprintf(req->log_op, sizeof req->log_op, "GetFunctionConfiguration");
        http_resp_json(resp, 200, "application/json", lam_fn_json(f));
        return;
    }
    lam_api_fail(resp, ERR_LAM_NOT_FOUND_ROUTE, "%s", "Unsupported Lambda operation");
}

void lam_api_handle(emu_t *emu, http_req *req, http_resp *resp)
{
    lam_state *l = emu->lam;
    if (l == NULL) {
        lam_api_fail(resp, ERR_LAM_SERVICE, "%s", "Lambda is not running");
        return;
    }
    const char *p = req->path;
    if (strncmp(p, "/_emu/lambda/event/kinesis", 26) == 0) {
        lam_event_http(l, req, resp);
        return;
    }
    static const char fns[] = "/2015-03-31/functions/", esm[] = "/2015-03-31/event-source-mappings";
    if (strncmp(p, fns, sizeof fns - 1) == 0) {
        lam_api_functions(l, req, resp, p + sizeof fns - 1);
        return;
    }
    if (strcmp(p, "/2015-03-31/functions") == 0 && strcmp(req->method, "GET") == 0) {
        lam_api_functions(l, req, resp, "");
        return;
    }
    if (strncmp(p, esm, sizeof esm - 1) == 0 &&
        (p[sizeof esm - 1] == '/' || p[sizeof esm - 1] == '\0')) {
        lam_esm_http(l, req, resp, p + sizeof esm - 1);
        return;
    }
    lam_api_fail(resp, ERR_LAM_NOT_FOUND_ROUTE, "%s", "Unsupported Lambda operation");
}
