/*
 * lam_esm_logic.h - the decisions of a Kinesis event source mapping, with
 * no I/O, no threads and no clock of its own (the caller passes `now`).
 *
 * Owned by the Lambda module.  The shard poller (lam_esm_poll.c) reads
 * records, asks this module how many go into one invocation, how long the
 * batching window still has to run, what a function's answer means, and
 * where the checkpoint moves next.  Everything here is unit-tested with a
 * fake clock (tests/unit/test_lam_esm_logic.c).
 *
 * Model of one fetched batch of n records (indexes 0..n-1, in sequence
 * order), processed by a lam_esm_run:
 *   [0, done)   checkpointed (succeeded or discarded);
 *   [lo, hi)    the records of the next invocation (lo == done);
 *   [hi, n)     waiting (after a bisect, the other halves, each retried
 *               separately, innermost first).
 * Semantics (formats.md section 2):
 *   - success: checkpoint at hi-1, continue with [hi, n);
 *   - partial (ReportBatchItemFailures): checkpoint before the lowest
 *     failed record f, retry [f, hi); an attempt is consumed only when no
 *     record made progress (f == lo), otherwise the new range starts at 1;
 *   - function error with BisectBatchOnFunctionError and more than one
 *     record: retry the first half, no attempt consumed;
 *   - otherwise an attempt is consumed; past MaximumRetryAttempts (-1 =
 *     forever) the range is discarded (checkpointed without success);
 *   - records older than MaximumRecordAgeInSeconds are discarded from the
 *     front before an invocation.
 * Ownership: every pointer argument is borrowed.
 */
#ifndef EMU_LAM_ESM_LOGIC_H
#define EMU_LAM_ESM_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Synchronous invocation payload limit (6 MB), which caps a batch. */
#define LAM_PAYLOAD_MAX (6u * 1024 * 1024)
/* Fixed JSON of one record besides data and key (field names, eventID,
 * ARNs up to ~320 chars each); an over-estimate keeps batches under 6 MB. */
#define LAM_EVENT_RECORD_OVERHEAD 1024u

typedef struct lam_esm_params {
    int batch_size;          /* 1..10000 */
    int window_s;            /* MaximumBatchingWindowInSeconds 0..300 */
    int max_retry;           /* -1 = infinite */
    int max_age_s;           /* -1 = infinite */
    bool bisect;             /* BisectBatchOnFunctionError */
    bool report_failures;    /* FunctionResponseTypes has ReportBatchItemFailures */
    int retry_base_ms;       /* first retry delay; doubles up to 1 s */
} lam_esm_params;

/* What the logic needs of a record. */
typedef struct lam_esm_rec {
    const char *seq;         /* decimal sequence number */
    int64_t arrival_ms;      /* approximate arrival, epoch ms */
    size_t event_bytes;      /* its size inside the event (lam_esm_record_bytes) */
} lam_esm_rec;

typedef enum { LAM_OUT_OK, LAM_OUT_PARTIAL, LAM_OUT_ERROR } lam_outcome;
typedef enum { LAM_NEXT_INVOKE, LAM_NEXT_DONE } lam_next;

typedef struct lam_esm_run {
    size_t n, lo, hi, done;
    int attempts;            /* failed attempts on the current range */
    size_t discarded;        /* records dropped (retries exhausted or too old) */
    size_t ends[40];         /* ends of the halves still to run after a bisect */
    int nends;
} lam_esm_run;

/* Numeric order of two decimal sequence numbers: <0, 0, >0. */
int lam_seq_cmp(const char *a, const char *b);

/* Bytes a record takes in the event: base64 of data + key + overhead. */
size_t lam_esm_record_bytes(size_t data_len, size_t key_len);

/* How many leading records form one invocation: at most max_records and at
 * most max_bytes of event, but always at least one when n > 0. */
size_t lam_esm_fit(const lam_esm_rec *r, size_t n, size_t max_records, size_t max_bytes);

/* Batching window: ms still to wait before invoking a batch of n records
 * totalling `bytes`, whose first record was seen at first_seen_ms; 0 means
 * invoke now (window over, batch full, or payload cap reached). */
int64_t lam_esm_window_wait(const lam_esm_params *p, size_t n, size_t bytes,
                            int64_t first_seen_ms, int64_t now_ms);

/* Classify a function's answer to records r[lo..hi).  fn_error: the
 * function failed (error, timeout, exit).  body: its JSON response (may be
 * NULL).  On LAM_OUT_PARTIAL *fail_at is the index of the lowest failed
 * record.  Per the docs, an unparsable item list, an empty or unknown
 * itemIdentifier is a full failure; an empty list or null is success. */
lam_outcome lam_esm_classify(const lam_esm_params *p, bool fn_error, const char *body,
                             size_t len, const lam_esm_rec *r, size_t lo, size_t hi,
                             size_t *fail_at);

/* Start processing n records, the first invocation covering [0, first_hi). */
void lam_esm_run_init(lam_esm_run *run, size_t n, size_t first_hi);

/* Discard records of [lo, hi) older than MaximumRecordAgeInSeconds from
 * the front; returns how many were dropped (they count as done). */
size_t lam_esm_expire(lam_esm_run *run, const lam_esm_params *p, const lam_esm_rec *r,
                      int64_t now_ms);

/* Apply an invocation's outcome to the run.  *delay_ms receives how long to
 * wait before the next invocation (retry backoff; 0 otherwise).  Returns
 * LAM_NEXT_DONE when all n records are done.  The caller checkpoints at
 * record done-1 whenever `done` grew. */
lam_next lam_esm_after(lam_esm_run *run, const lam_esm_params *p, lam_outcome out,
                       size_t fail_at, int64_t *delay_ms);

#endif
