/*
 * lam_runtime.c - the Lambda Runtime API (2018-06-01) that runtime
 * processes poll: invocation/next (blocks without timeout),
 * invocation/ID/response, invocation/ID/error, init/error.
 *
 * Entry point: lam_runtime_handle (route.c), for /2018-06-01/... (the
 * first declared function) and /_fn/NAME[/K]/2018-06-01/... (see lam.h for
 * the naming scheme).  Errors to the runtime use the Runtime API's own
 * shape {"errorMessage","errorType"}, not Lambda's REST errors.
 */
#include "lam_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "lam_esm_logic.h"

static void lam_rt_error(http_resp *resp, int status, const char *type, const char *msg)
{
    json_t *v = json_pack("{s:s, s:s}", "errorMessage", msg, "errorType", type);
    http_resp_json(resp, status, "application/json", v);
}

/* Split the path into function, instance and the part after the API
 * version ("runtime/..."); -1 with resp filled when unknown. */
static int lam_rt_parse(lam_state *l, http_req *req, http_resp *resp, lam_fn **f, int *inst,
                        const char **rest)
{
    const char *p = req->path;
    *inst = 0;
    *f = NULL;
    if (strncmp(p, "/_fn/", 5) == 0) {
        p += 5;
        size_t n = strcspn(p, "/");
        char name[LAM_NAME_MAX];
        if (n == 0 || n >= sizeof name)
            goto notfound;
        memcpy(name, p, n);
        name[n] = '\0';
        p += n;
        if (p[0] == '/' && strncmp(p, "/2018-06-01/", 12) != 0) {
            char *end; /* the instance segment /K/ of runtimes emu started */
            long k = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != '/' || k < 1 || k > LAM_MAX_PROCS)
                goto notfound;
            *inst = (int)k;
            p = end;
        }
        for (int i = 0; i < l->nfns; i++)
            if (strcmp(l->fns[i].cfg.name, name) == 0)
                *f = &l->fns[i];
        if (*f == NULL) {
            char msg[160];
            snprintf(msg, sizeof msg, "Function not found: %s", name);
            lam_rt_error(resp, 404, "ResourceNotFound", msg);
            return -1;
        }
    } else if (l->nfns > 0) {
        *f = &l->fns[0];
    } else {
        lam_rt_error(resp, 404, "ResourceNotFound", "No function is declared (--function NAME)");
        return -1;
    }
    if (strncmp(p, "/2018-06-01/", 12) != 0)
        goto notfound;
    *rest = p + 12;
    if (*inst > (*f)->nprocs)
        *inst = 0; /* an instance number emu did not hand out */
    return 0;
notfound:
    lam_rt_error(resp, 404, "NotFound", "Unknown Runtime API path");
    return -1;
}

/* GET invocation/next: block until an invocation is queued. */
static void lam_rt_next(lam_state *l, lam_fn *f, int inst, http_resp *resp)
{
    pthread_mutex_lock(&f->mu);
    unsigned gen = inst > 0 ? lam_proc_gen(f, inst) : 0;
    bool stale = false;
    while (!l->stopping && (f->qhead == NULL || f->init_error != NULL)) {
        if (inst > 0 && !lam_proc_current(f, inst, gen)) {
            stale = true; /* the process that asked has exited */
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&f->cv, &f->mu, &ts);
    }
    if (l->stopping || stale) {
        pthread_mutex_unlock(&f->mu);
        lam_rt_error(resp, 500, "Runtime.Stopping", "emu is stopping this runtime");
        return;
    }
    lam_inv *inv = f->qhead;
    f->qhead = inv->next;
    if (f->qhead == NULL)
        f->qtail = NULL;
    inv->next = f->running;
    f->running = inv;
    inv->state = LAM_INV_RUNNING;
    inv->instance = inst;
    inv->start_mono_ms = lam_now_ms();
    inv->deadline_mono_ms = inv->start_mono_ms + (int64_t)f->cfg.timeout_s * 1000;
    inv->deadline_epoch_ms = lam_epoch_ms() + (int64_t)f->cfg.timeout_s * 1000;
    char *body = malloc(inv->payload_len + 1);
    if (body != NULL)
        memcpy(body, inv->payload, inv->payload_len + 1);
    char deadline[32];
    snprintf(deadline, sizeof deadline, "%lld", (long long)inv->deadline_epoch_ms);
    http_resp_header(resp, "Lambda-Runtime-Aws-Request-Id", inv->id);
    http_resp_header(resp, "Lambda-Runtime-Deadline-Ms", deadline);
    http_resp_header(resp, "Lambda-Runtime-Invoked-Function-Arn", f->arn);
    http_resp_header(resp, "Lambda-Runtime-Trace-Id", inv->trace_id);
    if (inv->client_context)
        http_resp_header(resp, "Lambda-Runtime-Client-Context", inv->client_context);
    size_t len = inv->payload_len;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (body == NULL) {
        lam_rt_error(resp, 500, "Runtime.OutOfMemory", "out of memory");
        return;
    }
    http_resp_body(resp, 200, "application/json", body, len);
}

/* Build the error payload of invocation/ID/error and init/error: the body
 * when it is a JSON object, else one made from the error-type header. */
static char *lam_rt_error_payload(http_req *req)
{
    json_t *v = json_loadb(req->body, req->body_len, 0, NULL);
    if (json_is_object(v)) {
        char *s = json_dumps(v, JSON_COMPACT);
        json_decref(v);
        return s;
    }
    json_decref(v);
    const char *type = http_req_header(req, "Lambda-Runtime-Function-Error-Type");
    return lam_error_body(type ? type : "Runtime.UnknownReason",
                          "%.*s", (int)(req->body_len > 900 ? 900 : req->body_len), req->body);
}

/* POST invocation/ID/response|error. */
static void lam_rt_result(lam_fn *f, http_req *req, http_resp *resp, const char *id,
                          bool is_error)
{
    bool too_big = !is_error && req->body_len > LAM_PAYLOAD_MAX;
    char *body = NULL;
    if (is_error)
        body = lam_rt_error_payload(req);
    else if (too_big)
        body = lam_error_body("Function.ResponseSizeTooLarge",
                              "Response payload size (%zu bytes) exceeded maximum allowed "
                              "payload size (%u bytes).", req->body_len, LAM_PAYLOAD_MAX);
    else if ((body = malloc(req->body_len + 1)) != NULL)
        memcpy(body, req->body, req->body_len + 1);
    if (body == NULL) {
        lam_rt_error(resp, 500, "Runtime.OutOfMemory", "out of memory");
        return;
    }
    pthread_mutex_lock(&f->mu);
    lam_inv *inv = f->running, *prev = NULL;
    while (inv != NULL && strcmp(inv->id, id) != 0) {
        prev = inv;
        inv = inv->next;
    }
    if (inv != NULL) {
        if (prev)
            prev->next = inv->next;
        else
            f->running = inv->next;
        inv->next = NULL;
        free(inv->result);
        inv->result = body;
        inv->result_len = is_error || too_big ? strlen(body) : req->body_len;
        inv->fn_error = is_error || too_big;
        inv->state = LAM_INV_DONE;
        body = NULL;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    free(body);
    if (inv == NULL) {
        lam_rt_error(resp, 400, "InvalidRequestID",
                     "Unknown, finished or timed-out request id");
        return;
    }
    if (too_big) {
        lam_rt_error(resp, 413, "RequestEntityTooLarge",
                     "Response payload exceeds the 6 MB limit");
        return;
    }
    http_resp_json(resp, 202, "application/json", json_pack("{s:s}", "status", "OK"));
}

/* POST init/error: served as the result of the next invocation. */
static void lam_rt_init_error(lam_fn *f, http_req *req, http_resp *resp)
{
    char *body = lam_rt_error_payload(req);
    if (body == NULL) {
        lam_rt_error(resp, 500, "Runtime.OutOfMemory", "out of memory");
        return;
    }
    log_warn("lambda %s init error: %s", f->cfg.name, body);
    pthread_mutex_lock(&f->mu);
    free(f->init_error);
    f->init_error = body;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    http_resp_json(resp, 202, "application/json", json_pack("{s:s}", "status", "OK"));
}

void lam_runtime_handle(emu_t *emu, http_req *req, http_resp *resp)
{
    lam_state *l = emu->lam;
    if (l == NULL) {
        lam_rt_error(resp, 500, "ServiceUnavailable", "Lambda is not running");
        return;
    }
    lam_fn *f;
    int inst;
    const char *rest;
    if (lam_rt_parse(l, req, resp, &f, &inst, &rest) != 0)
        return;
    snprintf(req->log_resource, sizeof req->log_resource, "%s", f->cfg.name);
    bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    if (strcmp(rest, "runtime/invocation/next") == 0 && get) {
        snprintf(req->log_op, sizeof req->log_op, "Runtime.Next");
        lam_rt_next(l, f, inst, resp);
        return;
    }
    if (strcmp(rest, "runtime/init/error") == 0 && post) {
        snprintf(req->log_op, sizeof req->log_op, "Runtime.InitError");
        lam_rt_init_error(f, req, resp);
        return;
    }
    const char *pre = "runtime/invocation/";
    if (post && strncmp(rest, pre, strlen(pre)) == 0) {
        const char *id = rest + strlen(pre);
        size_t n = strcspn(id, "/");
        const char *what = id + n;
        char idbuf[64];
        if (n > 0 && n < sizeof idbuf && (strcmp(what, "/response") == 0 ||
                                          strcmp(what, "/error") == 0)) {
            memcpy(idbuf, id, n);
            idbuf[n] = '\0';
            bool is_err = strcmp(what, "/error") == 0;
            snprintf(req->log_op, sizeof req->log_op, is_err ? "Runtime.Error"
                                                              : "Runtime.Response");
            lam_rt_result(f, req, resp, idbuf, is_err);
            return;
        }
    }
    lam_rt_error(resp, 404, "NotFound", "Unknown Runtime API path");
}
