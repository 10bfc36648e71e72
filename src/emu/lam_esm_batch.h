/*
 * lam_esm_batch.h - shared between the shard pollers (lam_esm_poll.c) and
 * the batch processing of one chunk of records (lam_esm_batch.c).
 *
 * A shard poller reads a chunk (up to BatchSize x ParallelizationFactor
 * records), hands it to lam_chunk_process, which splits it into lanes
 * (lam_esm_lanes.h), runs the lanes concurrently (one thread per non-empty
 * lane besides the poller's own), each lane invoking the function batch by
 * batch, and moves the shard's checkpoint as the lanes allow.
 * Ownership: everything borrowed.
 */
#ifndef EMU_LAM_ESM_BATCH_H
#define EMU_LAM_ESM_BATCH_H

#include "lam_esm.h"

typedef struct lam_shard {
    lam_esm *e;
    char id[KIN_SHARD_ID_MAX];
    char parent[KIN_SHARD_ID_MAX];
    bool done;               /* a closed shard read to its end (e->mu) */
    bool started;
    pthread_t thread;
    struct lam_shard *next;
} lam_shard;

/* True when the mapping's threads must end (deleted or emu stopping). */
bool lam_esm_stopping(lam_esm *e);
/* Sleep up to ms, woken early by updates, delete and stop. */
void lam_esm_sleep(lam_esm *e, int64_t ms);
/* Persist the checkpoint of shard s at seq and set *pos after it. */
void lam_ckpt_save(lam_shard *s, const char *seq, kin_position *pos);

/* Run the n records of b through fn with `factor` lanes until all are
 * checkpointed, or the mapping is disabled or deleted, or emu stops.
 * *pos moves after the last checkpointed record. */
void lam_chunk_process(lam_shard *s, const lam_esm_params *p, lam_fn *fn, kin_batch *b,
                       int factor, kin_position *pos);

#endif
