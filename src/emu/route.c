/*
 * route.c - the route table: method + path prefix (+ X-Amz-Target prefix
 * for the JSON services on POST /) -> handler.
 *
 * Every service shares one port, as in LocalStack: DynamoDB and Kinesis
 * by X-Amz-Target, Lambda by path.
 */
#include "route.h"

#include <string.h>

#include "ddb.h"
#include "emu.h"
#include "kin.h"
#include "lam.h"

static void route_health(emu_t *emu, http_req *req, http_resp *resp);

static const struct route {
    const char *method;   /* NULL = any */
    const char *prefix;   /* path prefix; "/" with a target matches POST / exactly */
    const char *target;   /* X-Amz-Target prefix, or NULL */
    http_handler handler;
    route_mode mode;      /* see route.h */
} route_table[] = {
    {"POST", "/", "DynamoDB_20120810.", ddb_http_handle, ROUTE_COROUTINE},
    {"GET", "/health", NULL, route_health, ROUTE_INLINE},
    {"POST", "/", "Kinesis_20131202.", kin_http_handle, ROUTE_COROUTINE},
    {NULL, "/2015-03-31/", NULL, lam_api_handle, ROUTE_THREAD},      /* Lambda REST API */
    {NULL, "/2018-06-01/", NULL, lam_runtime_handle, ROUTE_THREAD},  /* Runtime API, first fn */
    {NULL, "/_fn/", NULL, lam_runtime_handle, ROUTE_THREAD},  /* Runtime API, /_fn/NAME[/K]/.. */
    {"GET", "/_emu/lambda/", NULL, lam_api_handle, ROUTE_THREAD},    /* event preview */
    {NULL, NULL, NULL, NULL, ROUTE_INLINE} /* sentinel: 404 */
};

static void route_health(emu_t *emu, http_req *req, http_resp *resp)
{
    (void)req;
    json_t *v = json_pack("{s:s, s:s, s:s}", "status", "ok", "version", EMU_VERSION, "storage",
                          emu->cfg.in_memory ? "memory" : emu->cfg.db_path);
    http_resp_json(resp, 200, "application/json", v);
}

static bool route_matches(const struct route *r, http_req *req)
{
    if (r->method != NULL && strcmp(r->method, req->method) != 0)
        return false;
    if (r->target != NULL) {
        const char *t = http_req_header(req, "X-Amz-Target");
        return strcmp(req->path, "/") == 0 && t != NULL &&
               strncmp(t, r->target, strlen(r->target)) == 0;
    }
    return strncmp(req->path, r->prefix, strlen(r->prefix)) == 0;
}

static void route_not_found(emu_t *emu, http_req *req, http_resp *resp)
{
    (void)emu;
    (void)req;
    http_resp_json(resp, 404, "application/json",
                   json_pack("{s:s, s:s}", "__type", "UnknownOperationException", "message",
                             "No route for this method and path"));
}

http_handler route_find(emu_t *emu, http_req *req, route_mode *mode)
{
    (void)emu;
    *mode = ROUTE_INLINE;
    for (const struct route *r = route_table; r->handler != NULL; r++) {
        if (route_matches(r, req)) {
            *mode = r->mode;
            return r->handler;
        }
    }
    /* A JSON-protocol call with a target nobody serves: answer in
     * DynamoDB's dialect, the default service of this port. */
    if (strcmp(req->method, "POST") == 0 && strcmp(req->path, "/") == 0)
        return ddb_http_unknown;
    return route_not_found;
}

void route_too_large(emu_t *emu, http_req *req, http_resp *resp)
{
    (void)emu;
    (void)req;
    http_resp_json(resp, 413, "application/json",
                   json_pack("{s:s, s:s}", "__type", "RequestEntityTooLarge", "message",
                             "Request body exceeds the server's limit"));
}
