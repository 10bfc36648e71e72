/*
 * http.c - libmicrohttpd glue: body collection, routing, running handlers,
 * response writing, the request log line.
 *
 * Threads: a pool of event threads (one per core, epoll) owns the
 * connections.  A handler runs in one of three ways (route.h): inline;
 * as a coroutine (DynamoDB, Kinesis) that parks its connection while its
 * write waits for the group commit, so an event thread serves the other
 * connections meanwhile instead of sleeping; or on a thread of its own
 * (Lambda, whose calls block for seconds).  A parked connection is
 * resumed by whoever finishes the work (http_wake), and the event thread
 * then runs the coroutine on or sends the response.  Thread per
 * connection, as before, cost a sleep and a wake-up per request: a third
 * of the CPU under load went to switching threads.
 *
 * Entry points: http_start, http_stop; accessors and response helpers used
 * by handlers.  The route table is in route.c.
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/jtext.h"
#include "../common/log.h"
#include "co.h"
#include "emu.h"
#include "route.h"

/* A Kinesis PutRecords of 5 MiB grows by 4/3 in base64; Lambda payloads are
 * 6 MB; DynamoDB requests are at most 16 MB. */
#define HTTP_MAX_BODY (24u * 1024 * 1024)

/* Where an asynchronous request stands between its handler and the event
 * thread.  RUNNING: the event thread has not parked the connection yet;
 * PARKED: it has, the waker must resume it; WOKEN: the work finished
 * before the connection was parked. */
enum { HTTP_RUNNING, HTTP_PARKED, HTTP_WOKEN };

typedef struct http_ctx {
    http_req req;
    size_t cap;
    bool too_large;
    struct timespec start;
    emu_t *emu;
    http_handler handler;
    http_resp resp;
    bool started;            /* the handler has been started */
    bool async;              /* ... as a coroutine or on its own thread */
    bool done;               /* resp is ready (event thread's view) */
    bool thread_done;        /* set by the handler's thread before its wake */
    co_t *co;
    atomic_int state;        /* HTTP_RUNNING / PARKED / WOKEN */
    atomic_bool orphan;      /* the client is gone: wakes post `orphaned` */
    sem_t orphaned;
} http_ctx;

/* Asynchronous requests not finished yet: http_stop waits for them, as a
 * daemon must not stop with parked connections. */
static atomic_int http_inflight;

const char *http_req_header(const http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(const http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

void http_resp_header(http_resp *resp, const char *name, const char *value)
{
    if (resp->nheaders >= HTTP_MAX_HEADERS)
        return;
    resp->headers[resp->nheaders].name = strdup(name);
    resp->headers[resp->nheaders].value = strdup(value);
    resp->nheaders++;
}

void http_resp_body(http_resp *resp, int status, const char *content_type, char *body,
                    size_t len)
{
    free(resp->body);
    resp->status = status;
    resp->body = body;
    resp->body_len = len;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", content_type);
}

void http_resp_json(http_resp *resp, int status, const char *content_type, json_t *value)
{
    char *s = jtext_dump(value, NULL);
    json_decref(value);
    if (s == NULL) {
        http_resp_text(resp, 500, "internal error: cannot serialise response");
        return;
    }
    http_resp_body(resp, status, content_type, s, strlen(s));
}

void http_resp_text(http_resp *resp, int status, const char *text)
{
    http_resp_body(resp, status, "text/plain", strdup(text), strlen(text));
}

void http_request_id(char buf[37])
{
    /* Thread-local xorshift seeded once from the kernel: request ids need
     * uniqueness, not secrecy, and a syscall per request is measurable. */
    static __thread uint64_t s;
    if (s == 0 && (getrandom(&s, sizeof s, 0) != sizeof s || s == 0))
        s = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&s;
    unsigned char b[16];
    for (int i = 0; i < 16; i += 8) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        memcpy(b + i, &s, 8);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    /* By hand: snprintf with 16 conversions was 3% of a GetItem. */
    static const char hex[] = "0123456789abcdef";
    char *o = buf;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

static double http_elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static enum MHD_Result http_send(struct MHD_Connection *conn, http_resp *resp)
{
    struct MHD_Response *r =
        resp->body != NULL
            ? MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_FREE)
            : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    resp->body = NULL; /* now owned by libmicrohttpd */
    if (resp->content_type[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    for (int i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static void http_resp_free(http_resp *resp)
{
    free(resp->body);
    for (int i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
}

/* Size the body buffer from Content-Length up front: doubling from
 * nothing would leave a 140 KB PutRecords in a 256 KB buffer, and 32 of
 * them in flight show in the RSS.  A wrong length only costs a realloc. */
static void http_reserve(http_ctx *c)
{
    const char *cl = MHD_lookup_connection_value(c->req.conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    char *end = NULL;
    unsigned long long n = cl ? strtoull(cl, &end, 10) : 0;
    if (n == 0 || n > HTTP_MAX_BODY || end == cl || *end != '\0')
        return;
    if ((c->req.body = malloc(n + 1)) != NULL) {
        c->req.body[0] = '\0';
        c->cap = n + 1;
    }
}

/* Append an upload chunk; false once the body exceeds HTTP_MAX_BODY. */
static bool http_collect(http_ctx *c, const char *data, size_t size)
{
    /* HTTP_MAX_BODY + 1: the limit counts body bytes, buf_append the NUL too. */
    if (c->too_large ||
        buf_append(&c->req.body, &c->req.body_len, &c->cap, HTTP_MAX_BODY + 1, data, size) != 0) {
        c->too_large = true;
        return false;
    }
    return true;
}

/* Resume a parked connection, or leave word that the work is done (any
 * thread).  Nothing touches c after MHD_resume_connection: the event
 * thread may finish and free it from then on. */
static void http_wake(void *arg)
{
    http_ctx *c = arg;
    if (atomic_load(&c->orphan)) {
        sem_post(&c->orphaned); /* http_co_orphan waits for it */
        return;
    }
    int expected = HTTP_RUNNING;
    if (atomic_compare_exchange_strong(&c->state, &expected, HTTP_WOKEN))
        return; /* not parked yet: the event thread sees WOKEN */
    atomic_store(&c->state, HTTP_RUNNING);
    MHD_resume_connection(c->req.conn);
}

static void http_co_main(void *arg)
{
    http_ctx *c = arg;
    c->handler(c->emu, &c->req, &c->resp);
}

static void *http_thread_main(void *arg)
{
    http_ctx *c = arg;
    c->handler(c->emu, &c->req, &c->resp);
    c->thread_done = true; /* published by http_wake's atomics */
    http_wake(c);
    return NULL;
}

/* Start the handler as its route asks; false once it runs on elsewhere. */
static bool http_start_handler(http_ctx *c)
{
    route_mode mode = ROUTE_INLINE;
    c->started = true;
    c->resp.status = 500;
    c->handler = c->too_large ? route_too_large : route_find(c->emu, &c->req, &mode);
    if (mode == ROUTE_COROUTINE && (c->co = co_new(http_co_main, c, http_wake, c)) != NULL) {
        c->async = true;
        atomic_fetch_add(&http_inflight, 1);
        return co_run(c->co);
    }
    if (mode == ROUTE_THREAD) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        c->async = true;
        atomic_fetch_add(&http_inflight, 1);
        int rc = pthread_create(&t, &attr, http_thread_main, c);
        pthread_attr_destroy(&attr);
        if (rc == 0)
            return false;
        atomic_fetch_sub(&http_inflight, 1);
        c->async = false;
    }
    c->handler(c->emu, &c->req, &c->resp); /* inline, or no memory for more */
    return true;
}

/* Queue the finished response and log the request. */
static enum MHD_Result http_finish(http_ctx *c)
{
    int status = c->resp.status;
    enum MHD_Result ret = http_send(c->req.conn, &c->resp);
    http_resp_free(&c->resp);
    memset(&c->resp, 0, sizeof c->resp);
    if (c->async) {
        c->async = false;
        atomic_fetch_sub(&http_inflight, 1);
    }
    if (!c->emu->cfg.quiet)
        log_info("%s %s %s %s %d %.2fms", c->req.method, c->req.path,
                 c->req.log_op[0] ? c->req.log_op : "-",
                 c->req.log_resource[0] ? c->req.log_resource : "-", status,
                 http_elapsed_ms(&c->start));
    return ret;
}

static enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn,
                                       const char *url, const char *method,
                                       const char *version, const char *upload_data,
                                       size_t *upload_data_size, void **con_cls)
{
    (void)version;
    http_ctx *c = *con_cls;
    if (c == NULL) {
        /* First call: headers only.  Allocate the per-request context. */
        c = calloc(1, sizeof *c);
        if (c == NULL)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &c->start);
        c->emu = cls;
        c->req.conn = conn;
        c->req.method = method;
        c->req.path = url;
        *con_cls = c;
        http_reserve(c);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        http_collect(c, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (c->req.body == NULL && (c->req.body = calloc(1, 1)) == NULL)
        return MHD_NO;
    /* A handler on its own thread counts as done only once it has woken
     * this connection: it may touch c until then. */
    if (!c->started)
        c->done = http_start_handler(c);
    else if (c->co != NULL)
        c->done = co_run(c->co); /* resumed: its wait is over */
    else
        c->done = c->thread_done;
    /* A wait that ended before the connection was parked: go on at once. */
    while (!c->done && c->co != NULL && atomic_load(&c->state) == HTTP_WOKEN) {
        atomic_store(&c->state, HTTP_RUNNING);
        c->done = co_run(c->co);
    }
    if (c->done)
        return http_finish(c);
    MHD_suspend_connection(conn);
    int expected = HTTP_RUNNING;
    if (!atomic_compare_exchange_strong(&c->state, &expected, HTTP_PARKED)) {
        atomic_store(&c->state, HTTP_RUNNING); /* woken meanwhile */
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

/* The client hung up after its request's wait ended but before the event
 * thread ran it on: libmicrohttpd closes such a connection without calling
 * the handler again.  Finish the handler here, so that what it holds is
 * released; should it wait once more, its wake comes to a semaphore, as
 * the connection can no longer be resumed. */
static void http_co_orphan(http_ctx *c)
{
    sem_init(&c->orphaned, 0, 0);
    atomic_store(&c->orphan, true);
    while (!co_run(c->co))
        while (sem_wait(&c->orphaned) != 0)
            ; /* EINTR */
    sem_destroy(&c->orphaned);
    c->done = true;
}

static void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    http_ctx *c = *con_cls;
    if (c == NULL)
        return;
    *con_cls = NULL;
    /* A parked connection is never closed (http_stop waits for them), so
     * an unfinished request here has been woken: its coroutine can run on,
     * its thread has finished. */
    if (c->async && !c->done && c->co != NULL)
        http_co_orphan(c);
    if (c->async)
        atomic_fetch_sub(&http_inflight, 1);
    co_free(c->co);
    http_resp_free(&c->resp);
    free(c->req.body);
    free(c);
}

int http_start(emu_t *emu, const char *host, int *port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        log_error("invalid --host %s (an IPv4 address is expected)", host);
        return -1;
    }
    /* No MHD_OPTION_LISTENING_ADDRESS_REUSE: it adds SO_REUSEPORT, and a
     * second emu on the same port would start and silently take half of
     * the connections to another database.  libmicrohttpd's default
     * (SO_REUSEADDR) is what a quick restart needs.
     * Each connection's memory pool holds request headers, the read buffer
     * and response headers (bodies are collected outside it), and
     * libmicrohttpd zeroes it between requests: at the default 32 KB that
     * memset was 4% of a GetItem.  16 KB still holds ten times the headers
     * of a SigV4-signed SDK request. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cores < 1 ? 1 : cores > 16 ? 16 : (unsigned)cores;
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_ERROR_LOG,
        0, NULL, NULL, http_on_request, emu, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, emu, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)1000, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)16384, MHD_OPTION_END);
    if (d == NULL) {
        log_error("cannot listen on %s:%d", host, *port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (info != NULL)
        *port = info->port;
    emu->http = d;
    return 0;
}

void http_stop(emu_t *emu)
{
    /* Parked requests finish first (their handlers were told to stop by
     * lam_quiesce; storage keeps running until after this). */
    for (int i = 0; i < 1000 && atomic_load(&http_inflight) > 0; i++) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&http_inflight) > 0)
        log_warn("stopping with %d requests unfinished", atomic_load(&http_inflight));
    if (emu->http != NULL)
        MHD_stop_daemon(emu->http);
    emu->http = NULL;
}
