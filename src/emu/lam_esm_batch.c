/*
 * lam_esm_batch.c - processing one chunk of a shard's records: lanes
 * (ParallelizationFactor), batches within a lane, invocation, and the
 * shard checkpoint.  Entry point: lam_chunk_process (lam_esm_batch.h).
 *
 * Each lane runs its records in sequence order, batch after batch
 * (lam_esm_fit), through lam_esm_run: retries, bisect and partial batch
 * responses apply per lane batch.  Whenever a lane acknowledges records,
 * the chunk's safe prefix (lam_esm_lanes.c) is recomputed under the chunk's
 * mutex and the checkpoint is persisted at its last record; the mutex also
 * keeps checkpoint writes in increasing order.  With factor 1 there is one
 * lane, run on the poller's own thread: exactly the one-poller-per-shard
 * behaviour.  No lock is held while invoking; lanes stop after their current
 * invocation when the mapping is disabled or deleted or emu stops, and the
 * poller joins them before reading again, so the next chunk of a key never
 * overtakes the previous one.
 */
#include "lam_esm_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "lam_esm_lanes.h"
#include "lam_event.h"

typedef struct lam_chunk {
    lam_shard *s;
    lam_esm_params p;
    lam_fn *fn;
    kin_batch *b;
    lam_lanes lanes;
    pthread_mutex_t mu;      /* lanes' progress and the checkpoint */
    size_t saved;            /* records [0, saved) of b checkpointed */
    kin_position *pos;
} lam_chunk;

typedef struct lam_lane {
    lam_chunk *c;
    int k;
    kin_record *krecs;       /* shallow copies of b's records (pointers borrowed) */
    lam_esm_rec *recs;
    size_t n;
    pthread_t thread;
    bool threaded;
} lam_lane;

/* Lane k acknowledged its first `done` records: checkpoint what is safe. */
static void lam_chunk_ack(lam_chunk *c, int k, size_t done)
{
    pthread_mutex_lock(&c->mu);
    size_t safe = lam_lanes_ack(&c->lanes, k, done);
    if (safe > c->saved) {
        lam_ckpt_save(c->s, c->b->records[safe - 1].seq, c->pos);
        c->saved = safe;
    }
    pthread_mutex_unlock(&c->mu);
}

/* Invoke the function with the lane's records [lo, hi); 0 with *r
 * filled, -1 when emu stops. */
static int lam_lane_invoke(lam_lane *ln, size_t lo, size_t hi, lam_result *r)
{
    lam_chunk *c = ln->c;
    lam_esm *e = c->s->e;
    lam_state *l = e->l;
    lam_event_src src = {c->s->id, e->stream_arn, l->emu->cfg.region, c->fn->role};
    size_t len = 0;
    char *payload = lam_event_kinesis(&src, ln->krecs + lo, hi - lo, &len);
    err_t err = {0};
    int rc = payload ? lam_fn_invoke(l, c->fn, payload, len, NULL, r, &err) : -1;
    free(payload);
    err_clear(&err);
    return rc;
}

static void lam_lane_log(lam_lane *ln, const lam_result *r, lam_outcome out, size_t lo,
                         size_t hi)
{
    static const char *const names[] = {"ok", "partial", "error"};
    lam_chunk *c = ln->c;
    char lane[24] = "";
    if (c->lanes.nlanes > 1)
        snprintf(lane, sizeof lane, " lane %d", ln->k);
    log_info("lambda %s esm %s %s%s %s batch %zu seq %s..%s %s %.0fms", c->fn->cfg.name,
             c->s->e->uuid, c->s->id, lane, r->id, hi - lo, ln->recs[lo].seq,
             ln->recs[hi - 1].seq, names[out], r->duration_ms);
    if (out == LAM_OUT_ERROR && r->body)
        log_warn("lambda %s %s: %.*s", c->fn->cfg.name, r->id,
                 (int)(r->len > 500 ? 500 : r->len), r->body);
}

/* Run the lane's records [off, off+cnt) (one batch) until all are done;
 * false when interrupted (disabled, deleted, stopping). */
static bool lam_lane_batch(lam_lane *ln, size_t off, size_t cnt)
{
    lam_chunk *c = ln->c;
    lam_esm *e = c->s->e;
    lam_esm_rec *recs = ln->recs + off;
    lam_esm_run run;
    lam_esm_run_init(&run, cnt, cnt);
    for (;;) {
        if (lam_esm_expire(&run, &c->p, recs, lam_epoch_ms()) > 0)
            log_warn("lambda esm %s %s: discarded records older than %d s", e->uuid, c->s->id,
                     c->p.max_age_s);
        if (run.done > 0)
            lam_chunk_ack(c, ln->k, off + run.done);
        if (run.lo >= run.n)
            return true;
        if (lam_esm_stopping(e))
            return false;
        lam_result r;
        size_t lo = run.lo, hi = run.hi, fail_at = lo;
        if (lam_lane_invoke(ln, off + lo, off + hi, &r) != 0)
            return false;
        lam_outcome out = lam_esm_classify(&c->p, r.fn_error, r.body, r.len, recs, lo, hi,
                                           &fail_at);
        lam_lane_log(ln, &r, out, off + lo, off + hi);
        free(r.body);
        lam_esm_set_result(e, out == LAM_OUT_OK ? "OK" : "PROBLEM: Function call failed");
        int64_t delay = 0;
        size_t before = run.discarded;
        lam_next nx = lam_esm_after(&run, &c->p, out, fail_at, &delay);
        if (run.discarded > before)
            log_warn("lambda esm %s %s: retries exhausted, %zu records skipped", e->uuid,
                     c->s->id, run.discarded - before);
        if (run.done > 0)
            lam_chunk_ack(c, ln->k, off + run.done);
        if (nx == LAM_NEXT_DONE)
            return true;
        if (delay > 0)
            lam_esm_sleep(e, delay);
        pthread_mutex_lock(&e->mu);
        bool enabled = e->enabled;
        pthread_mutex_unlock(&e->mu);
        if (!enabled)
            return false;
    }
}

static void *lam_lane_main(void *arg)
{
    lam_lane *ln = arg;
    size_t off = 0;
    while (off < ln->n) {
        size_t cnt = lam_esm_fit(ln->recs + off, ln->n - off, (size_t)ln->c->p.batch_size,
                                 LAM_PAYLOAD_MAX);
        if (!lam_lane_batch(ln, off, cnt))
            break;
        off += cnt;
    }
    return NULL;
}

/* Fill lane k's record arrays from the chunk.  0 / -1 (out of memory). */
static int lam_lane_init(lam_lane *ln, lam_chunk *c, int k)
{
    size_t n;
    const size_t *idx = lam_lanes_get(&c->lanes, k, &n);
    ln->c = c;
    ln->k = k;
    ln->n = n;
    ln->krecs = calloc(n > 0 ? n : 1, sizeof *ln->krecs);
    ln->recs = calloc(n > 0 ? n : 1, sizeof *ln->recs);
    if (ln->krecs == NULL || ln->recs == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const kin_record *kr = &c->b->records[idx[i]];
        ln->krecs[i] = *kr;
        ln->recs[i] = (lam_esm_rec){kr->seq, kr->arrival_ms,
                                    lam_esm_record_bytes(kr->data_len,
                                                         strlen(kr->partition_key ?: ""))};
    }
    return 0;
}

/* Run the lanes: every non-empty lane but the first on its own thread
 * (inline if a thread cannot be created), the first on this thread. */
static void lam_lanes_run(lam_lane *lanes, int nlanes)
{
    lam_lane *inline_lane = NULL;
    for (int k = 0; k < nlanes; k++) {
        if (lanes[k].n == 0)
            continue;
        if (inline_lane == NULL)
            inline_lane = &lanes[k];
        else
            lanes[k].threaded =
                pthread_create(&lanes[k].thread, NULL, lam_lane_main, &lanes[k]) == 0;
    }
    if (inline_lane != NULL)
        lam_lane_main(inline_lane);
    for (int k = 0; k < nlanes; k++) {
        if (lanes[k].threaded)
            pthread_join(lanes[k].thread, NULL);
        else if (lanes[k].n > 0 && &lanes[k] != inline_lane)
            lam_lane_main(&lanes[k]);
    }
}

void lam_chunk_process(lam_shard *s, const lam_esm_params *p, lam_fn *fn, kin_batch *b,
                       int factor, kin_position *pos)
{
    lam_chunk c = {.s = s, .p = *p, .fn = fn, .b = b, .pos = pos};
    lam_lane lanes[LAM_LANES_MAX];
    memset(lanes, 0, sizeof lanes);
    const char **keys = calloc(b->n > 0 ? b->n : 1, sizeof *keys);
    if (keys == NULL)
        return;
    for (size_t i = 0; i < b->n; i++)
        keys[i] = b->records[i].partition_key;
    int rc = lam_lanes_init(&c.lanes, keys, b->n, factor);
    free(keys);
    if (rc != 0)
        return;
    pthread_mutex_init(&c.mu, NULL);
    for (int k = 0; k < c.lanes.nlanes; k++)
        if (lam_lane_init(&lanes[k], &c, k) != 0)
            goto cleanup;
    lam_lanes_run(lanes, c.lanes.nlanes);
cleanup:
    for (int k = 0; k < c.lanes.nlanes; k++) {
        free(lanes[k].krecs);
        free(lanes[k].recs);
    }
    pthread_mutex_destroy(&c.mu);
    lam_lanes_free(&c.lanes);
}
