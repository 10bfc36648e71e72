/*
 * runtime.c - Lambda Runtime API client loop; see runtime.h.
 */
#include "../common/buf.h"
#include "runtime.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fi_log.h"

#define MAX_EVENT (8u << 20)

typedef struct rt {
    CURL *curl;
    char base[300];          /* http://host:port/2018-06-01 */
    char request_id[128];
    char trace_id[512];
    char *buf;
    size_t len, cap;
} rt;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    rt *r = ud;
    size_t n = size * nmemb;
    return buf_append(&r->buf, &r->len, &r->cap, MAX_EVENT, data, n) == 0 ? n : 0;
}

/* Copy the value of header `name` from line into dst when it matches. */
static void grab(const char *line, size_t n, const char *name, char *dst, size_t cap)
{
    size_t k = strlen(name);
    if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return;
    const char *v = line + k + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    snprintf(dst, cap, "%.*s", (int)(end - v), v);
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    rt *r = ud;
    size_t n = size * nmemb;
    grab(line, n, "Lambda-Runtime-Aws-Request-Id", r->request_id, sizeof r->request_id);
    grab(line, n, "Lambda-Runtime-Trace-Id", r->trace_id, sizeof r->trace_id);
    return n;
}

/* One request on the shared handle; returns the HTTP status or 0. */
static long exchange(rt *r, const char *url, const char *body, struct curl_slist *headers)
{
    long status = 0;
    r->len = 0;
    curl_easy_setopt(r->curl, CURLOPT_URL, url);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, 0L); /* next blocks until an event */
    if (body) {
        curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
    }
    if (curl_easy_perform(r->curl) == CURLE_OK)
        curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, NULL);
    return status;
}

json_t *rt_error_body(const char *type, const char *message)
{
    return json_pack("{s:s, s:s, s:[]}", "errorMessage", message ? message : "", "errorType",
                     type ? type : "Runtime.UnknownReason", "stackTrace");
}

/* POST a response (type == NULL) or an error document to url. */
static long post(rt *r, const char *url, const char *type, const char *body)
{
    char h1[160];
    struct curl_slist *h = NULL, *t;
    snprintf(h1, sizeof h1, "Lambda-Runtime-Function-Error-Type: %s", type ? type : "");
    t = curl_slist_append(h, type ? "Content-Type: application/vnd.aws.lambda.error+json"
                                  : "Content-Type: application/json");
    if (t && type)
        t = curl_slist_append(h = t, h1);
    if (t)
        t = curl_slist_append(h = t, "Expect:");
    if (!t) {
        curl_slist_free_all(h);
        return 0;
    }
    long status = exchange(r, url, body, t);
    curl_slist_free_all(t);
    return status;
}

static int valid_request_id(const char *id)
{
    if (!*id)
        return 0;
    for (; *id; id++)
        if (!((*id >= '0' && *id <= '9') || (*id >= 'a' && *id <= 'z') ||
              (*id >= 'A' && *id <= 'Z') || *id == '-' || *id == '_' || *id == '.'))
            return 0;
    return 1;
}

/* Wait for the next event; retries a few times while the API is unreachable. */
static int next_event(rt *r)
{
    char url[400];
    snprintf(url, sizeof url, "%s/runtime/invocation/next", r->base);
    for (int tries = 0; tries < 5; tries++) {
        r->request_id[0] = r->trace_id[0] = '\0';
        long status = exchange(r, url, NULL, NULL);
        if (status == 200 && valid_request_id(r->request_id))
            return 0;
        fi_log("error", "runtime next failed",
               json_pack("{s:I, s:i}", "httpStatus", (json_int_t)status, "try", tries + 1));
        if (status >= 400)
            return -1; /* 403/500: the runtime must exit */
        struct timespec ts = {0, 200000000L * (tries + 1)};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* Handle the event in r->buf and post the outcome. */
static void invoke(rt *r, fi_ctx *ctx)
{
    char url[600];
    json_t *resp = NULL, *errdoc = NULL;
    fi_error err = {{0}, {0}};
    char *body = NULL;
    if (r->trace_id[0])
        setenv("_X_AMZN_TRACE_ID", r->trace_id, 1);
    fi_log_set_request_id(r->request_id);
    int rc = face_ingest_handle(ctx, r->buf ? r->buf : "", r->len, &resp, NULL, &err);
    if (rc == 0)
        body = json_dumps(resp, JSON_COMPACT);
    if (rc == 0 && !body)
        snprintf(err.type, sizeof err.type, "Handler.OutOfMemory");
    if (!body) {
        errdoc = rt_error_body(err.type, err.message);
        body = errdoc ? json_dumps(errdoc, JSON_COMPACT) : NULL;
        snprintf(url, sizeof url, "%s/runtime/invocation/%s/error", r->base, r->request_id);
        long st = post(r, url, err.type[0] ? err.type : "Runtime.UnknownReason", body ? body : "{}");
        if (st != 202)
            fi_log("error", "runtime error post failed", json_pack("{s:I}", "httpStatus", (json_int_t)st));
    } else {
        snprintf(url, sizeof url, "%s/runtime/invocation/%s/response", r->base, r->request_id);
        long st = post(r, url, NULL, body);
        if (st != 202)
            fi_log("error", "runtime response post failed",
                   json_pack("{s:I}", "httpStatus", (json_int_t)st));
    }
    fi_log_set_request_id(NULL);
    free(body);
    json_decref(resp);
    json_decref(errdoc);
}

static int rt_open(rt *r, const char *api)
{
    memset(r, 0, sizeof *r);
    if (!api || !*api || strlen(api) > 200)
        return -1;
    snprintf(r->base, sizeof r->base, "http://%s/2018-06-01", api);
    r->curl = curl_easy_init();
    return r->curl ? 0 : -1;
}

static void rt_close(rt *r)
{
    if (r->curl)
        curl_easy_cleanup(r->curl);
    free(r->buf);
}

int rt_run(fi_ctx *ctx, const char *api)
{
    rt r;
    if (rt_open(&r, api) < 0) {
        fi_log("error", "bad AWS_LAMBDA_RUNTIME_API", NULL);
        rt_close(&r);
        return -1;
    }
    fi_log("info", "runtime started", json_pack("{s:s, s:s}", "api", api, "mode",
                                                 fi_mode_name(ctx->cfg->mode)));
    while (next_event(&r) == 0)
        invoke(&r, ctx);
    rt_close(&r);
    return -1;
}

int rt_init_error(const char *api, const char *type, const char *message)
{
    rt r;
    char url[400];
    int rc = -1;
    json_t *doc = rt_error_body(type, message);
    char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (rt_open(&r, api) == 0 && body) {
        snprintf(url, sizeof url, "%s/runtime/init/error", r.base);
        rc = post(&r, url, type, body) == 202 ? 0 : -1;
    }
    rt_close(&r);
    free(body);
    json_decref(doc);
    return rc;
}
