/*
 * lam_esm.h - Kinesis event source mappings: the mapping object shared by
 * the REST side (lam_esm.c) and the pollers (lam_esm_poll.c).
 *
 * A mapping is created by CreateEventSourceMapping, restored from SQLite
 * at start-up, or declared with --event-source.  Its configuration is
 * guarded by `mu`; pollers copy what they need at the top of each batch,
 * so UpdateEventSourceMapping applies from the next batch on.  Threads: one
 * manager per mapping (watches the stream's shards) and one poller per
 * shard (reads, invokes, checkpoints), which runs ParallelizationFactor - 1
 * extra lane threads while a chunk is processed (lam_esm_batch.c); a child
 * shard's poller starts reading once its parent's poller reached the
 * parent's end.
 * Ownership: lam_state owns mappings (list `esms`, then `zombies` once
 * deleted until their threads are joined).
 */
#ifndef EMU_LAM_ESM_H
#define EMU_LAM_ESM_H

#include "kin.h"
#include "lam_esm_logic.h"
#include "lam_int.h"

typedef struct lam_esm_start_pos {
    char shard[KIN_SHARD_ID_MAX];
    kin_position pos;
} lam_esm_start_pos;

typedef struct lam_esm {
    lam_state *l;
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* config change, delete, stop */
    /* configuration (EventSourceMappingConfiguration) */
    char uuid[37];
    char fn_name[LAM_NAME_MAX];
    char stream_arn[KIN_ARN_MAX];
    char starting_position[16];   /* TRIM_HORIZON, LATEST, AT_TIMESTAMP */
    double starting_ts;           /* AT_TIMESTAMP, epoch seconds */
    lam_esm_params p;
    int parallelization;
    int tumbling_window_s;
    bool enabled;
    double last_modified;         /* epoch seconds */
    char state[16];               /* Creating, Enabled, Disabled, Updating, Deleting */
    char last_result[64];
    bool deleted;
    /* LATEST resolved when the mapping started, per shard without a checkpoint */
    lam_esm_start_pos *starts;
    int nstarts;
    struct lam_shard *shards;     /* the manager's pollers (lam_esm_poll.c) */
    pthread_t thread;
    bool started;
    struct lam_esm *next;
} lam_esm;

/* Start the manager thread of e (which starts the shard pollers). */
int lam_esm_poll_start(lam_esm *e, err_t *err);
/* Join the manager (after setting deleted or l->stopping and waking e). */
void lam_esm_poll_join(lam_esm *e);
/* Resolve LATEST now for each shard of e without a checkpoint, so records
 * put after Create returns are delivered. */
int lam_esm_resolve_latest(lam_esm *e, err_t *err);
/* Set LastProcessingResult (thread-safe). */
void lam_esm_set_result(lam_esm *e, const char *result);

#endif
