/*
 * lam_int.h - the Lambda module's private types, shared by lam*.c and
 * store_lam.c.
 *
 * Threads: HTTP connection threads (Invoke, Runtime API, ESM REST), one
 * supervisor thread (runtime processes), one async-invoke thread per
 * function, and per event source mapping one manager thread plus one
 * poller per shard.  Locks: lam_state.mu guards the function and mapping
 * registries; each function's mu guards its invocation queue; each
 * mapping's mu guards its configuration and status.  Never take a
 * function's mu while holding a mapping's mu or the other way round.
 */
#ifndef EMU_LAM_INT_H
#define EMU_LAM_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/err.h"
#include "emu.h"
#include "http.h"
#include "lam.h"
#include "store.h"

#define LAM_NAME_MAX 65
#define LAM_ARN_MAX 320
#define LAM_MAX_PROCS 64

/* --- configuration (lam_config.c, lam_config_file.c) --- */

typedef struct lam_fn_config {
    char *name;
    char *command;           /* NULL: an external runtime connects itself */
    char *handler;
    char *role;
    int timeout_s, memory_mb, concurrency;
    char **env;              /* "K=V" strings */
    int nenv;
} lam_fn_config;

/* Read a --config file into c (lam_config_file.c); 0, or -1 after
 * printing the problem.  Defined here, called by lam_config_option. */
struct lam_config;
int lam_config_file(struct lam_config *c, const char *path);

struct lam_config {
    lam_fn_config *fns;
    int nfns;
    char **sources;          /* --event-source values */
    int nsources;
    json_t *source_reqs;     /* --config eventSources as Create requests (array) */
};

/* --- invocations and functions (lam_fn.c) --- */

typedef enum { LAM_INV_QUEUED, LAM_INV_RUNNING, LAM_INV_DONE } lam_inv_state;

typedef struct lam_inv {
    char id[37];
    char *payload;           /* owned */
    size_t payload_len;
    char *client_context;    /* owned, may be NULL */
    char trace_id[128];
    lam_inv_state state;
    int instance;            /* runtime instance that took it; 0 = unknown */
    int64_t deadline_mono_ms, deadline_epoch_ms, start_mono_ms;
    bool fn_error;
    char *result;            /* owned: response or error JSON */
    size_t result_len;
    struct lam_inv *next;    /* queue or running list link */
} lam_inv;

typedef struct lam_proc {
    pid_t pid;               /* 0 when not running */
    unsigned gen;            /* bumped at every (re)start */
    int64_t started_ms, restart_at_ms;
    int backoff_ms;
} lam_proc;

typedef struct lam_fn {
    struct lam_state *l;     /* the owner */
    lam_fn_config cfg;       /* borrowed from lam_config */
    char arn[LAM_ARN_MAX];
    char role[LAM_ARN_MAX];
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* broadcast on every queue/state change */
    lam_inv *qhead, *qtail;  /* queued, FIFO */
    lam_inv *running;        /* handed to a runtime */
    char *init_error;        /* owned; served to the next invocation */
    size_t init_error_len;
    lam_proc procs[LAM_MAX_PROCS];
    int nprocs;
    lam_inv *ahead, *atail;  /* Event (async) invocations */
    pthread_t async_thread;
    bool async_started;
} lam_fn;

typedef struct lam_state {
    emu_t *emu;
    struct lam_config *cfg;
    lam_fn *fns;
    int nfns;
    volatile bool stopping;
    int64_t grace_until_ms;  /* stopping: running invocations may answer until then */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t sup_thread;
    bool sup_started;
    struct lam_esm *esms;    /* live mappings (lam_esm.c) */
    struct lam_esm *zombies; /* deleted, threads still finishing */
} lam_state;

/* The outcome of one synchronous invocation (caller frees body). */
typedef struct lam_result {
    char id[37];
    bool fn_error;
    char *body;
    size_t len;
    double duration_ms;
} lam_result;

int64_t lam_now_ms(void);         /* CLOCK_MONOTONIC */
int64_t lam_epoch_ms(void);       /* CLOCK_REALTIME */
/* Function by name, ARN or partial ARN; NULL if unknown. */
lam_fn *lam_fn_find(lam_state *l, const char *name_or_arn);
/* Invoke and wait for the result (queueing behind busy runtimes); 0 with
 * *out filled, -1 (err) when emu stops.  payload borrowed. */
int lam_fn_invoke(lam_state *l, lam_fn *f, const char *payload, size_t len,
                  const char *client_context, lam_result *out, err_t *err);
/* Queue an Event invocation, run by the function's async thread. */
int lam_fn_invoke_async(lam_state *l, lam_fn *f, const char *payload, size_t len,
                        char id_out[37], err_t *err);
void lam_fn_init(lam_state *l, lam_fn *f, lam_fn_config *cfg);
void lam_fn_wake(lam_fn *f);      /* broadcast (emu is stopping) */
void lam_fn_shutdown(lam_fn *f);  /* join the async thread, free queues */
/* Fail the running invocations of instance k (0: all unattributed ones
 * too when the function has one process) with Runtime.ExitError. */
void lam_fn_instance_exited(lam_fn *f, int k, int status);
/* Create an invocation record (caller frees with lam_inv_free). */
lam_inv *lam_inv_new(const char *payload, size_t len, const char *client_context);
void lam_inv_free(lam_inv *inv);
/* A JSON error body {"errorMessage","errorType"} (malloc'd). */
char *lam_error_body(const char *type, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --- runtime processes (lam_proc.c) --- */
int lam_proc_start(lam_state *l);
void lam_proc_stop(lam_state *l);
/* Kill instance k of f (timeout): the supervisor restarts it. */
void lam_proc_kill(lam_fn *f, int k);
/* True when instance k (1-based) of f is still the process of generation gen. */
bool lam_proc_current(lam_fn *f, int k, unsigned gen);
unsigned lam_proc_gen(lam_fn *f, int k);

/* --- Lambda REST errors (lam_api.c) --- */
void lam_resp_error(http_resp *resp, const err_t *err);

/* --- event source mappings (lam_esm.c, lam_esm_poll.c) --- */
int lam_esm_start(lam_state *l, err_t *err);
void lam_esm_stop(lam_state *l);
void lam_esm_http(lam_state *l, http_req *req, http_resp *resp, const char *rest);
/* Check a Create request's parameters (ranges, StartingPosition) without a
 * running emu, for --config; 0 / -1 with err filled.  req borrowed. */
int lam_esm_check_request(json_t *req, err_t *err);

/* --- persistence (store_lam.c; run inside store_read/store_write) --- */
typedef int (*store_lam_row_fn)(void *arg, const char *uuid, const char *config);
int store_lam_esm_put(store_conn *c, const char *uuid, const char *config, err_t *err);
int store_lam_esm_delete(store_conn *c, const char *uuid, err_t *err);
int store_lam_esm_each(store_conn *c, store_lam_row_fn fn, void *arg, err_t *err);
/* 1 when a checkpoint exists (copied to seq), 0 when none. */
int store_lam_checkpoint_get(store_conn *c, const char *uuid, const char *shard,
                             char *seq, size_t cap, err_t *err);
int store_lam_checkpoint_put(store_conn *c, const char *uuid, const char *shard,
                             const char *seq, err_t *err);

#endif
