/*
 * face_ingest.h - the face-ingest Lambda logic, shared by both entry points
 * (runtime.c for the Lambda Runtime API, main.c for the command line).
 *
 * face_ingest_handle() takes one Lambda Kinesis event (formats.md §2),
 * decodes every record's Rekognition face-search document (§1), writes the
 * items of the configured DEDUP_MODE through an fi_ddb, and answers with a
 * partial batch response {"batchItemFailures":[{"itemIdentifier": seq}]}.
 *
 *   - a record that is not base64 / not JSON / not a face-search record is
 *     skipped (one warn log line, counted), never retried;
 *   - a record whose write still fails after retries is listed in
 *     batchItemFailures, so Lambda retries from it;
 *   - the table or credentials being wrong, or DynamoDB unreachable with no
 *     write of the batch succeeding, is a function error (-1): nothing of
 *     the batch is checkpointed;
 *   - an event without a Records array is a function error too.
 */
#ifndef FACE_INGEST_H
#define FACE_INGEST_H

#include <jansson.h>
#include <stddef.h>

#include "config.h"
#include "fi_ddb.h"

typedef struct fi_stats {
    size_t records;       /* Records[] entries */
    size_t skipped;       /* invalid records, skipped */
    size_t sightings;     /* matched faces found */
    size_t written;       /* successful PutItem/BatchWriteItem items/UpdateItem */
    size_t duplicates;    /* writes not needed or refused by a condition */
    size_t failed;        /* records in batchItemFailures */
} fi_stats;

typedef struct fi_error {
    char type[64];        /* errorType for the Runtime API, e.g. "Handler.InvalidEvent" */
    char message[512];
} fi_error;

typedef struct fi_ctx {
    const fi_config *cfg; /* borrowed */
    fi_ddb ddb;
} fi_ctx;

/*
 * Handle one event event[0..len).  On 0, *response is the partial batch
 * response (caller frees).  On -1, *response is NULL and *err describes the
 * function error.  st (may be NULL) receives the counts either way.
 */
int face_ingest_handle(fi_ctx *ctx, const char *event, size_t len, json_t **response,
                       fi_stats *st, fi_error *err);

#endif
