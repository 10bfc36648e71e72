/*
 * fi_batch.h - private to face_ingest.c and fi_write.c: one invocation's
 * working state (the decoded sightings, which record each came from, which
 * records failed) and the three DEDUP_MODE writers.
 */
#ifndef FI_BATCH_H
#define FI_BATCH_H

#include "face_ingest.h"
#include "fi_record.h"

typedef struct fi_batch {
    fi_ctx *ctx;
    fi_stats *st;
    size_t nrec;
    const char **seq;     /* per record: sequenceNumber (borrowed from the event) or NULL */
    char *failed;         /* per record: a write for it failed */
    fi_rec *recs;         /* per record: what its sightings point into (owned) */
    fi_sightings sightings; /* the matched faces, in event order (owned); item i = sighting i */
    json_t *items;        /* first-seen and summary only: the items as jansson objects (owned) */
    size_t ok_writes;     /* DynamoDB calls that succeeded */
    int unavailable;      /* a write ran out of retries on throttling/5xx/network */
    int fatal;            /* table or credentials wrong: stop */
    fi_ddb_result last;   /* the last failure, for the function error */
} fi_batch;

/* Mark the record of item i failed. */
void fi_batch_fail_item(fi_batch *b, size_t i);

/* One DynamoDB call through the context's client with request text body
 * (borrowed); counts calls that reached DynamoDB.  *resp (optional)
 * receives the answer (caller frees). */
fi_ddb_status fi_batch_call(fi_batch *b, const char *op, const char *body, json_t **resp,
                            fi_ddb_result *r);
/* The same with a jansson request (borrowed), serialised as json_dumps does. */
fi_ddb_status fi_batch_call_json(fi_batch *b, const char *op, json_t *req, json_t **resp,
                                 fi_ddb_result *r);
/* Record a failed call for item `item` (its record goes to batchItemFailures;
 * FATAL/UNAVAILABLE stop the batch) with one log line. */
void fi_batch_note_failure(fi_batch *b, const char *op, const fi_ddb_result *r, size_t item);

/* Write b->items the way the configured mode says; results land in b. */
void fi_write_sightings(fi_batch *b);
void fi_write_first_seen(fi_batch *b);
void fi_write_summary(fi_batch *b);

#endif
