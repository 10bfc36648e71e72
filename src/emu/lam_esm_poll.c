/*
 * lam_esm_poll.c - the threads of a Kinesis event source mapping: a
 * manager that discovers the stream's shards, and one poller per shard that
 * reads records (kin_read_shard), waits for new ones without polling
 * (kin_wait_for_records: delivery within milliseconds of a put) and hands
 * each chunk to lam_esm_batch.c, which splits it into ParallelizationFactor
 * lanes, invokes the function and moves the checkpoint only after success,
 * following lam_esm_logic.c and lam_esm_lanes.c.
 *
 * The poller never holds a lock while invoking.  Disabling a mapping stops
 * its pollers after the current invocation; the checkpoint stays, so
 * enabling resumes there.  PutRecord never waits for a function: pollers
 * only read committed records.
 */
#include "lam_esm_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "lam_event.h"

bool lam_esm_stopping(lam_esm *e)
{
    return e->l->stopping || e->deleted;
}

void lam_esm_sleep(lam_esm *e, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&e->mu);
    if (!lam_esm_stopping(e))
        pthread_cond_timedwait(&e->cv, &e->mu, &ts);
    pthread_mutex_unlock(&e->mu);
}

/* --- checkpoints ---------------------------------------------------------- */

typedef struct lam_ckpt_job {
    const char *uuid, *shard;
    char seq[KIN_SEQ_MAX];
    int found;
} lam_ckpt_job;

static int lam_ckpt_get_job(store_conn *c, void *arg, err_t *err)
{
    lam_ckpt_job *j = arg;
    j->found = store_lam_checkpoint_get(c, j->uuid, j->shard, j->seq, sizeof j->seq, err);
    return j->found < 0 ? -1 : 0;
}

static int lam_ckpt_put_job(store_conn *c, void *arg, err_t *err)
{
    lam_ckpt_job *j = arg;
    return store_lam_checkpoint_put(c, j->uuid, j->shard, j->seq, err);
}

void lam_ckpt_save(lam_shard *s, const char *seq, kin_position *pos)
{
    lam_ckpt_job j = {s->e->uuid, s->id, "", 0};
    snprintf(j.seq, sizeof j.seq, "%s", seq);
    err_t err = {0};
    if (store_write(s->e->l->emu->store, lam_ckpt_put_job, &j, &err) != 0)
        log_error("lambda esm %s %s: checkpoint: %s", s->e->uuid, s->id, err.msg);
    err_clear(&err);
    pos->type = KIN_POS_AFTER_SEQUENCE;
    snprintf(pos->seq, sizeof pos->seq, "%s", seq);
}

int lam_esm_resolve_latest(lam_esm *e, err_t *err)
{
    (void)err;
    if (strcmp(e->starting_position, "LATEST") != 0)
        return 0;
    kin_stream_info si = {0};
    err_t kerr = {0};
    if (kin_stream_lookup(e->l->emu, e->stream_arn, &si, &kerr) != 0) {
        err_clear(&kerr);
        return 0; /* resolved when the stream appears */
    }
    free(e->starts);
    e->starts = calloc((size_t)(si.nshards > 0 ? si.nshards : 1), sizeof *e->starts);
    e->nstarts = 0;
    for (int i = 0; e->starts != NULL && i < si.nshards; i++) {
        kin_position latest = {.type = KIN_POS_LATEST};
        kin_batch b = {0};
        if (kin_read_shard(e->l->emu, si.arn, si.shards[i].shard_id, &latest, 1, 1, &b,
                           &kerr) == 0) {
            lam_esm_start_pos *sp = &e->starts[e->nstarts++];
            snprintf(sp->shard, sizeof sp->shard, "%s", si.shards[i].shard_id);
            sp->pos = b.next;
        }
        err_clear(&kerr);
        kin_batch_free(&b);
    }
    kin_stream_info_free(&si);
    return 0;
}

/* Where shard s starts: its checkpoint, else the mapping's starting
 * position (child shards of a reshard start at their beginning).  Waits
 * until the parent shard's poller is done.  -1 when stopping. */
static int lam_shard_initial(lam_shard *s, kin_position *pos)
{
    lam_esm *e = s->e;
    for (;;) {
        if (lam_esm_stopping(e))
            return -1;
        bool wait = false;
        pthread_mutex_lock(&e->mu);
        for (lam_shard *o = e->shards; o != NULL; o = o->next)
            if (s->parent[0] && strcmp(o->id, s->parent) == 0 && !o->done)
                wait = true;
        pthread_mutex_unlock(&e->mu);
        if (!wait)
            break;
        lam_esm_sleep(e, 100);
    }
    lam_ckpt_job j = {e->uuid, s->id, "", 0};
    err_t err = {0};
    if (store_read(e->l->emu->store, lam_ckpt_get_job, &j, &err) != 0)
        log_error("lambda esm %s %s: reading checkpoint: %s", e->uuid, s->id, err.msg);
    err_clear(&err);
    memset(pos, 0, sizeof *pos);
    if (j.found > 0) {
        pos->type = KIN_POS_AFTER_SEQUENCE;
        snprintf(pos->seq, sizeof pos->seq, "%s", j.seq);
        return 0;
    }
    pthread_mutex_lock(&e->mu);
    bool child = s->parent[0] != '\0';
    pos->type = KIN_POS_TRIM_HORIZON;
    if (!child && strcmp(e->starting_position, "AT_TIMESTAMP") == 0) {
        pos->type = KIN_POS_AT_TIMESTAMP;
        pos->timestamp_ms = (int64_t)(e->starting_ts * 1000.0);
    } else if (!child && strcmp(e->starting_position, "LATEST") == 0) {
        pos->type = KIN_POS_LATEST;
        for (int i = 0; i < e->nstarts; i++)
            if (strcmp(e->starts[i].shard, s->id) == 0)
                *pos = e->starts[i].pos;
    }
    pthread_mutex_unlock(&e->mu);
    return 0;
}

/* Read up to max records from *pos, honouring the batching window.  0
 * with *b filled. */
static int lam_batch_read(lam_shard *s, const lam_esm_params *p, size_t max,
                          kin_position *pos, kin_batch *b, err_t *err)
{
    emu_t *emu = s->e->l->emu;
    uint64_t g = kin_generation(emu);
    size_t max_bytes = LAM_PAYLOAD_MAX * (max / (size_t)p->batch_size + 1);
    if (kin_read_shard(emu, s->e->stream_arn, s->id, pos, max, max_bytes, b, err) != 0)
        return -1;
    int64_t first_seen = lam_now_ms();
    for (;;) {
        size_t bytes = 0;
        for (size_t i = 0; i < b->n; i++)
            bytes += lam_esm_record_bytes(b->records[i].data_len,
                                          strlen(b->records[i].partition_key ?: ""));
        int64_t w = lam_esm_window_wait(p, b->n, bytes, first_seen, lam_now_ms());
        if (w <= 0 || lam_esm_stopping(s->e))
            return 0;
        g = kin_wait_for_records(emu, g, (int)(w < 100 ? w : 100));
        kin_batch more = {0};
        if (kin_read_shard(emu, s->e->stream_arn, s->id, pos, max, max_bytes, &more, err) != 0)
            return 0; /* keep what we have */
        kin_batch_free(b);
        *b = more;
    }
}

/* One poll of shard s: 1 = idle (waited for records), 2 = end of a closed
 * shard, 0 = records processed.  A poll reads one chunk: BatchSize x
 * ParallelizationFactor records (at most 10,000), split into lanes. */
static int lam_shard_poll(lam_shard *s, kin_position *pos)
{
    lam_esm *e = s->e;
    pthread_mutex_lock(&e->mu);
    lam_esm_params p = e->p;
    int factor = e->parallelization;
    char fname[LAM_NAME_MAX];
    snprintf(fname, sizeof fname, "%s", e->fn_name);
    pthread_mutex_unlock(&e->mu);
    lam_fn *fn = lam_fn_find(e->l, fname);
    emu_t *emu = e->l->emu;
    uint64_t g = kin_generation(emu);
    size_t max = (size_t)p.batch_size * (size_t)(factor > 0 ? factor : 1);
    kin_batch b = {0};
    err_t err = {0};
    int rc = 0;
    if (fn == NULL || lam_batch_read(s, &p, max > 10000 ? 10000 : max, pos, &b, &err) != 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "PROBLEM: %.54s", fn ? err.msg : "Function not found");
        lam_esm_set_result(e, msg);
        lam_esm_sleep(e, 500);
        rc = 1;
        goto out;
    }
    if (b.n == 0) {
        *pos = b.next;
        rc = b.end_of_shard ? 2 : 1;
        if (rc == 1)
            kin_wait_for_records(emu, g, 200);
        goto out;
    }
    lam_chunk_process(s, &p, fn, &b, factor, pos);
out:
    kin_batch_free(&b);
    err_clear(&err);
    return rc;
}

static void *lam_shard_main(void *arg)
{
    lam_shard *s = arg;
    lam_esm *e = s->e;
    kin_position pos;
    if (lam_shard_initial(s, &pos) != 0)
        return NULL;
    while (!lam_esm_stopping(e)) {
        pthread_mutex_lock(&e->mu);
        bool enabled = e->enabled;
        pthread_mutex_unlock(&e->mu);
        if (!enabled) {
            lam_esm_sleep(e, 200);
            continue;
        }
        if (lam_shard_poll(s, &pos) == 2) {
            pthread_mutex_lock(&e->mu);
            s->done = true;
            pthread_mutex_unlock(&e->mu);
            log_info("lambda esm %s: %s fully processed", e->uuid, s->id);
            break;
        }
    }
    return NULL;
}

/* --- the manager -------------------------------------------------------------- */

/* Start pollers for shards of the stream not seen yet (e->mu not held). */
static void lam_esm_discover(lam_esm *e)
{
    kin_stream_info si = {0};
    err_t err = {0};
    if (kin_stream_lookup(e->l->emu, e->stream_arn, &si, &err) != 0) {
        lam_esm_set_result(e, "PROBLEM: Stream not found");
        err_clear(&err);
        return;
    }
    pthread_mutex_lock(&e->mu);
    for (int i = 0; i < si.nshards; i++) {
        bool known = false;
        for (lam_shard *o = e->shards; o != NULL && !known; o = o->next)
            known = strcmp(o->id, si.shards[i].shard_id) == 0;
        if (known)
            continue;
        lam_shard *s = calloc(1, sizeof *s);
        if (s == NULL)
            break;
        s->e = e;
        snprintf(s->id, sizeof s->id, "%s", si.shards[i].shard_id);
        snprintf(s->parent, sizeof s->parent, "%s", si.shards[i].parent);
        s->started = pthread_create(&s->thread, NULL, lam_shard_main, s) == 0;
        s->next = e->shards;
        e->shards = s;
    }
    pthread_mutex_unlock(&e->mu);
    kin_stream_info_free(&si);
}

static void *lam_esm_manager(void *arg)
{
    lam_esm *e = arg;
    while (!lam_esm_stopping(e)) {
        lam_esm_discover(e);
        lam_esm_sleep(e, 1000);
    }
    pthread_mutex_lock(&e->mu);
    lam_shard *list = e->shards;
    e->shards = NULL;
    pthread_mutex_unlock(&e->mu);
    while (list != NULL) {
        lam_shard *next = list->next;
        if (list->started)
            pthread_join(list->thread, NULL);
        free(list);
        list = next;
    }
    return NULL;
}

int lam_esm_poll_start(lam_esm *e, err_t *err)
{
    if (pthread_create(&e->thread, NULL, lam_esm_manager, e) != 0)
        return err_set(err, ERR_LAM_SERVICE, "cannot start the mapping's poller");
    e->started = true;
    return 0;
}

void lam_esm_poll_join(lam_esm *e)
{
    if (e->started)
        pthread_join(e->thread, NULL);
    e->started = false;
}
