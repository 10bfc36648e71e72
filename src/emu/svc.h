/*
 * svc.h - the AWS JSON protocol (awsJson1_0 / awsJson1_1) shared by
 * DynamoDB and Kinesis: parse the body, find the operation in the
 * service's static table, validate, execute, and serialise the result or
 * the error ({"__type","message"} plus x-amzn-RequestId, and x-amz-crc32
 * for DynamoDB) in exactly one place.
 */
#ifndef EMU_SVC_H
#define EMU_SVC_H

#include <stdbool.h>
#include <jansson.h>
#include "../common/err.h"
#include "http.h"

struct emu;

/* Check a request's shape without touching storage; 0 / -1. */
typedef int (*svc_validate_fn)(json_t *req, err_t *err);
/* Execute a validated request; returns a new response object or NULL with
 * err set. */
typedef json_t *(*svc_execute_fn)(struct emu *emu, json_t *req, err_t *err);

/* Execute a validated request into a ready JSON body (caller frees), for
 * actions that splice stored JSON text instead of building a tree. */
typedef char *(*svc_execute_raw_fn)(struct emu *emu, json_t *req, err_t *err);

/* A hot operation's path straight from the raw body, for bodies of the
 * usual shape: 0 = not handled (anything unusual, including every invalid
 * request: the generic path answers those), 1 = handled, with *req a
 * stand-in request (new reference, for the log line) and *out the
 * response body (caller frees), or NULL with err set. */
typedef int (*svc_fast_fn)(struct emu *emu, const char *body, size_t len, json_t **req,
                           char **out, err_t *err);

typedef struct svc_op {
    const char *name;           /* operation, e.g. "PutItem" */
    svc_validate_fn validate;   /* may be NULL */
    svc_execute_fn execute;     /* exactly one of execute and execute_raw */
    svc_execute_raw_fn execute_raw;
    svc_fast_fn fast;           /* may be NULL */
} svc_op;

typedef struct svc {
    const char *target_prefix;  /* "DynamoDB_20120810." */
    const char *content_type;   /* "application/x-amz-json-1.0" */
    const svc_op *ops;          /* sorted by name, for bsearch */
    size_t nops;
    bool crc32;                 /* send x-amz-crc32 */
    err_code serialization;     /* error for a body that is not a JSON object */
    err_code unknown_operation; /* error for an unknown target */
    err_code internal;          /* what ERR_INTERNAL becomes on this service */
    const char *resource_key;   /* request member logged as the resource */
} svc;

/* The compact text of object `rest` (stolen) with member `name` first,
 * its value the raw JSON text open + raw[0..len) + close: how actions that
 * keep items as stored text (GetItem, Query, Scan, GetRecords) answer
 * without a tree.  Caller frees; NULL when out of memory. */
char *svc_splice(json_t *rest, const char *name, const char *open, const char *raw, size_t len,
                 const char *close);

/* Serve one request for service s. */
void svc_handle(const svc *s, struct emu *emu, http_req *req, http_resp *resp);

/* Serialise an error (and release its extra members). */
void svc_error(const svc *s, http_resp *resp, err_t *err);

#endif
