/*
 * fi_ddb.h - the seam between the ingest logic and DynamoDB.
 *
 * face_ingest.c talks to DynamoDB only through an fi_ddb: ddb_client.c
 * provides the real one (libcurl + SigV4, retries inside), the unit tests
 * a mock.  One call = one DynamoDB JSON 1.0 operation, already retried.
 */
#ifndef FI_DDB_H
#define FI_DDB_H

#include <jansson.h>

typedef enum {
    FI_DDB_OK = 0,
    FI_DDB_CONDITION_FAILED, /* ConditionalCheckFailedException: not an error for us */
    FI_DDB_CLIENT_ERROR,     /* 4xx about this request (ValidationException ...) */
    FI_DDB_UNAVAILABLE,      /* throttling, 5xx, network: still failing after retries */
    FI_DDB_FATAL             /* the table or the credentials are wrong: stop the batch */
} fi_ddb_status;

typedef struct fi_ddb_result {
    fi_ddb_status status;
    long http_status;        /* 0 when no HTTP response was received */
    int attempts;
    char type[128];          /* short __type, e.g. "ValidationException" */
    char message[512];
} fi_ddb_result;

typedef struct fi_ddb {
    /*
     * Run operation `op` ("PutItem", ...) with the request body `body`, JSON
     * text, NUL-terminated (borrowed): the writers build it, as text on the
     * hot path, so the client sends it as is.  On FI_DDB_OK *resp is the
     * parsed response body (caller frees); otherwise *resp is NULL and res
     * says why.  Returns res->status.
     */
    fi_ddb_status (*call)(void *ud, const char *op, const char *body, json_t **resp,
                          fi_ddb_result *res);
    /* Sleep before re-sending UnprocessedItems; may be a no-op in tests. */
    void (*sleep_ms)(void *ud, unsigned ms);
    void *ud;
    /*
     * Optional (NULL: the writers make n calls one after another): run n
     * independent operations `op` concurrently, as n calls would, so their
     * round trips overlap.  bodies borrowed; resps[i]/res[i] as for call.
     */
    void (*call_many)(void *ud, const char *op, const char *const *bodies, size_t n,
                      json_t **resps, fi_ddb_result *res);
} fi_ddb;

#endif
