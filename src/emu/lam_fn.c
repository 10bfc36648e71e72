/*
 * lam_fn.c - functions and their invocation queues: synchronous invoke
 * with timeout, Event (async) invocations, init errors, and failing the
 * invocations of a runtime process that exited.
 *
 * An invocation is owned by the thread that waits for it (the Invoke
 * request, an async worker or an ESM poller); the Runtime API only touches
 * it under the function's mutex while it sits in the queue or the running
 * list, so the owner can always unlink and free it.
 */
#include "lam_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"

int64_t lam_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t lam_epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *lam_error_body(const char *type, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *v = json_pack("{s:s, s:s}", "errorMessage", msg, "errorType", type);
    char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    return s;
}

lam_fn *lam_fn_find(lam_state *l, const char *name)
{
    /* Accept NAME, ACCOUNT:function:NAME and arn:aws:lambda:R:A:function:NAME[:QUAL]. */
    const char *p = strstr(name, "function:");
    char buf[LAM_NAME_MAX];
    if (p != NULL) {
        p += strlen("function:");
        size_t n = strcspn(p, ":");
        if (n >= sizeof buf)
            return NULL;
        memcpy(buf, p, n);
        buf[n] = '\0';
        name = buf;
    }
    for (int i = 0; i < l->nfns; i++)
        if (strcmp(l->fns[i].cfg.name, name) == 0)
            return &l->fns[i];
    /* The RIE's fixed name: /2015-03-31/functions/function/invocations. */
    if (strcmp(name, "function") == 0 && l->nfns > 0)
        return &l->fns[0];
    return NULL;
}

lam_inv *lam_inv_new(const char *payload, size_t len, const char *client_context)
{
    lam_inv *inv = calloc(1, sizeof *inv);
    if (inv == NULL)
        return NULL;
    inv->payload = malloc(len + 1);
    if (inv->payload == NULL) {
        free(inv);
        return NULL;
    }
    memcpy(inv->payload, payload, len);
    inv->payload[len] = '\0';
    inv->payload_len = len;
    if (client_context != NULL)
        inv->client_context = strdup(client_context);
    http_request_id(inv->id);
    char root[37];
    http_request_id(root);
    /* X-Ray form: Root=1-<8 hex time>-<24 hex>;Parent=<16 hex>;Sampled=0 */
    snprintf(inv->trace_id, sizeof inv->trace_id,
             "Root=1-%08lx-%.8s%.4s%.4s%.4s%.4s;Parent=%.8s%.8s;Sampled=0",
             (unsigned long)time(NULL), root, root + 9, root + 14, root + 19, root + 24,
             inv->id, inv->id + 28);
    return inv;
}

void lam_inv_free(lam_inv *inv)
{
    if (inv == NULL)
        return;
    free(inv->payload);
    free(inv->client_context);
    free(inv->result);
    free(inv);
}

/* Unlink inv from list *head (if present). */
static void lam_list_remove(lam_inv **head, lam_inv **tail, lam_inv *inv)
{
    lam_inv *prev = NULL;
    for (lam_inv *p = *head; p != NULL; prev = p, p = p->next) {
        if (p != inv)
            continue;
        if (prev)
            prev->next = p->next;
        else
            *head = p->next;
        if (tail != NULL && *tail == p)
            *tail = prev;
        p->next = NULL;
        return;
    }
}

/* Finish inv with an error (caller holds f->mu and has unlinked it). */
static void lam_inv_fail(lam_inv *inv, char *body)
{
    free(inv->result);
    inv->result = body;
    inv->result_len = body ? strlen(body) : 0;
    inv->fn_error = true;
    inv->state = LAM_INV_DONE;
}

/* One wait step of an invocation (f->mu held): handle init errors and the
 * deadline; returns false when the wait is over. */
static bool lam_inv_step(lam_state *l, lam_fn *f, lam_inv *inv)
{
    if (inv->state == LAM_INV_DONE)
        return false;
    if (inv->state == LAM_INV_QUEUED && f->init_error != NULL && f->qhead == inv) {
        lam_list_remove(&f->qhead, &f->qtail, inv);
        lam_inv_fail(inv, f->init_error);
        f->init_error = NULL;
        return false;
    }
    if (inv->state == LAM_INV_RUNNING && lam_now_ms() >= inv->deadline_mono_ms) {
        lam_list_remove(&f->running, NULL, inv);
        lam_inv_fail(inv, lam_error_body("Sandbox.Timedout",
                                         "RequestId: %s Error: Task timed out after %d.00 seconds",
                                         inv->id, f->cfg.timeout_s));
        log_warn("lambda %s %s timed out after %d s", f->cfg.name, inv->id, f->cfg.timeout_s);
        if (inv->instance > 0)
            lam_proc_kill(f, inv->instance);
        return false;
    }
    /* Stopping: what is queued is dropped, but an invocation a runtime
     * already runs gets a grace period to answer, so that a graceful stop
     * does not redeliver a batch its function has finished (lam_drain). */
    if (l->stopping && (inv->state != LAM_INV_RUNNING || lam_now_ms() >= l->grace_until_ms))
        return false;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t wait_ms = 200;
    if (inv->state == LAM_INV_RUNNING) {
        int64_t left = inv->deadline_mono_ms - lam_now_ms();
        wait_ms = left < wait_ms ? left + 1 : wait_ms;
    }
    ts.tv_sec += wait_ms / 1000;
    ts.tv_nsec += (long)(wait_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&f->cv, &f->mu, &ts);
    return true;
}

int lam_fn_invoke(lam_state *l, lam_fn *f, const char *payload, size_t len,
                  const char *client_context, lam_result *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    lam_inv *inv = lam_inv_new(payload, len, client_context);
    if (inv == NULL)
        return err_set(err, ERR_LAM_SERVICE, "out of memory");
    snprintf(out->id, sizeof out->id, "%s", inv->id);
    int64_t t0 = lam_now_ms();
    pthread_mutex_lock(&f->mu);
    if (f->qtail)
        f->qtail->next = inv;
    else
        f->qhead = inv;
    f->qtail = inv;
    pthread_cond_broadcast(&f->cv);
    while (lam_inv_step(l, f, inv))
        ;
    int rc = 0;
    if (inv->state != LAM_INV_DONE) { /* emu is stopping */
        lam_list_remove(&f->qhead, &f->qtail, inv);
        lam_list_remove(&f->running, NULL, inv);
        rc = err_set(err, ERR_LAM_SERVICE, "emu is shutting down");
    } else {
        out->fn_error = inv->fn_error;
        out->body = inv->result;
        out->len = inv->result_len;
        inv->result = NULL;
        int64_t s = inv->start_mono_ms ? inv->start_mono_ms : t0;
        out->duration_ms = (double)(lam_now_ms() - s);
    }
    pthread_mutex_unlock(&f->mu);
    lam_inv_free(inv);
    return rc;
}

void lam_fn_instance_exited(lam_fn *f, int k, int status)
{
    pthread_mutex_lock(&f->mu);
    lam_inv *p = f->running;
    while (p != NULL) {
        lam_inv *next = p->next;
        if (p->instance == k || (p->instance == 0 && f->nprocs == 1)) {
            lam_list_remove(&f->running, NULL, p);
            lam_inv_fail(p, lam_error_body("Runtime.ExitError",
                                           "RequestId: %s Error: Runtime exited with error: "
                                           "exit status %d", p->id, status));
        }
        p = next;
    }
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

/* The async worker: run queued Event invocations one at a time, as
 * synchronous invocations whose result is only logged (no retries and no
 * destinations, unlike Lambda's two async retries). */
static void *lam_fn_async_main(void *arg)
{
    lam_fn *f = arg;
    lam_state *l = f->l;
    pthread_mutex_lock(&f->mu);
    while (!l->stopping) {
        lam_inv *inv = f->ahead;
        if (inv == NULL) {
            pthread_cond_wait(&f->cv, &f->mu);
            continue;
        }
        f->ahead = inv->next;
        if (f->ahead == NULL)
            f->atail = NULL;
        pthread_mutex_unlock(&f->mu);
        lam_result r;
        err_t err = {0};
        if (lam_fn_invoke(l, f, inv->payload, inv->payload_len, NULL, &r, &err) == 0) {
            log_info("lambda %s async %s %s %.0fms", f->cfg.name, inv->id,
                     r.fn_error ? "error" : "ok", r.duration_ms);
            if (r.fn_error)
                log_warn("lambda %s async %s: %.*s", f->cfg.name, inv->id,
                         (int)(r.len > 500 ? 500 : r.len), r.body ? r.body : "");
        }
        free(r.body);
        err_clear(&err);
        lam_inv_free(inv);
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

int lam_fn_invoke_async(lam_state *l, lam_fn *f, const char *payload, size_t len,
                        char id_out[37], err_t *err)
{
    (void)l;
    lam_inv *inv = lam_inv_new(payload, len, NULL);
    if (inv == NULL)
        return err_set(err, ERR_LAM_SERVICE, "out of memory");
    memcpy(id_out, inv->id, 37);
    pthread_mutex_lock(&f->mu);
    if (!f->async_started) {
        if (pthread_create(&f->async_thread, NULL, lam_fn_async_main, f) != 0) {
            pthread_mutex_unlock(&f->mu);
            lam_inv_free(inv);
            return err_set(err, ERR_LAM_SERVICE, "cannot start the async worker");
        }
        f->async_started = true;
    }
    if (f->atail)
        f->atail->next = inv;
    else
        f->ahead = inv;
    f->atail = inv;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

void lam_fn_init(lam_state *l, lam_fn *f, lam_fn_config *cfg)
{
    memset(f, 0, sizeof *f);
    f->l = l;
    f->cfg = *cfg;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    snprintf(f->arn, sizeof f->arn, "arn:aws:lambda:%s:%s:function:%s", l->emu->cfg.region,
             l->emu->cfg.account, cfg->name);
    if (cfg->role)
        snprintf(f->role, sizeof f->role, "%s", cfg->role);
    else
        snprintf(f->role, sizeof f->role, "arn:aws:iam::%s:role/%s-role", l->emu->cfg.account,
                 cfg->name);
    f->nprocs = cfg->command ? cfg->concurrency : 0;
}

/* Wake every waiter of f (emu is stopping). */
void lam_fn_wake(lam_fn *f)
{
    pthread_mutex_lock(&f->mu);
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void lam_fn_shutdown(lam_fn *f)
{
    lam_fn_wake(f);
    if (f->async_started)
        pthread_join(f->async_thread, NULL);
    f->async_started = false;
    while (f->ahead) {
        lam_inv *n = f->ahead->next;
        lam_inv_free(f->ahead);
        f->ahead = n;
    }
    f->atail = NULL;
    free(f->init_error);
    f->init_error = NULL;
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
}
