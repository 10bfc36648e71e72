/*
 * lam_esm_lanes.h - ParallelizationFactor for Kinesis event source
 * mappings: splitting one read of a shard (a "chunk") into lanes by
 * partition key, and the shard checkpoint those lanes allow.  Pure: no I/O,
 * no threads, no clock (lam_esm_lanes.c, unit-tested in
 * tests/unit/test_lam_esm_logic.c).
 *
 * Model (as Lambda documents it): with factor N, up to N batches of one
 * shard are in flight at once; the records of one partition key always go
 * to the same lane (lam_lane_of: FNV-1a of the key mod N), and a lane
 * processes its records in sequence order, so per-key order holds.  Each
 * lane runs its own batches through lam_esm_run (bisect, retries,
 * ReportBatchItemFailures apply per lane batch) and acknowledges a prefix
 * of its records.  The shard's checkpoint may only move past a record once
 * every record at or below it is acknowledged in its lane: the safe prefix
 * of the chunk is the minimum, over lanes, of the chunk index of the lane's
 * first unacknowledged record.  A restart therefore redelivers only records
 * above that point (at-least-once).
 * Ownership: lam_lanes_init allocates, lam_lanes_free releases; keys are
 * borrowed during init only.
 */
#ifndef EMU_LAM_ESM_LANES_H
#define EMU_LAM_ESM_LANES_H

#include <stddef.h>

#define LAM_LANES_MAX 10   /* ParallelizationFactor 1..10 */

typedef struct lam_lanes {
    int nlanes;
    size_t n;                           /* records of the chunk */
    size_t *idx;                        /* chunk indexes grouped by lane, in order */
    size_t start[LAM_LANES_MAX + 1];    /* lane k is idx[start[k] .. start[k+1]) */
    size_t done[LAM_LANES_MAX];         /* acknowledged prefix of each lane */
    size_t safe;                        /* acknowledged prefix of the chunk */
} lam_lanes;

/* The lane (0..nlanes-1) of a partition key; stable across runs. */
int lam_lane_of(const char *key, int nlanes);

/* Split n records (keys[i] = partition key of chunk record i, in sequence
 * order) into nlanes lanes (clamped to 1..LAM_LANES_MAX).  0 / -1 (out of
 * memory). */
int lam_lanes_init(lam_lanes *ls, const char *const *keys, size_t n, int nlanes);
void lam_lanes_free(lam_lanes *ls);

/* Records of lane k: *count of them, chunk indexes returned. */
const size_t *lam_lanes_get(const lam_lanes *ls, int k, size_t *count);

/* Lane k has acknowledged its first `done` records (never moves back).
 * Returns the chunk's safe prefix: records [0, safe) may be checkpointed. */
size_t lam_lanes_ack(lam_lanes *ls, int k, size_t done);

#endif
