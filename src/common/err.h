/*
 * err.h - the one error convention used by every module.
 *
 * Functions that can fail return 0 on success and -1 on failure, after
 * filling an err_t through err_set().  An err_t carries a code and a
 * message; the table in err.c maps each code to the wire `__type` and
 * HTTP status, so no handler ever spells an error type itself.
 * `extra` may hold additional JSON members for the error body (for example
 * CancellationReasons or Item); it is owned by the err_t.
 */
#ifndef EMU_ERR_H
#define EMU_ERR_H

#include <jansson.h>

typedef enum {
    ERR_NONE = 0,
    ERR_INTERNAL,                /* storage or other server fault; each service maps it */
    /* DynamoDB */
    ERR_DDB_VALIDATION,          /* com.amazon.coral.validate#ValidationException */
    ERR_DDB_SERIALIZATION,       /* com.amazon.coral.service#SerializationException */
    ERR_DDB_UNKNOWN_OPERATION,   /* com.amazon.coral.service#UnknownOperationException */
    ERR_DDB_MISSING_AUTH,        /* com.amazon.coral.service#MissingAuthenticationTokenException */
    ERR_DDB_RESOURCE_NOT_FOUND,
    ERR_DDB_RESOURCE_IN_USE,
    ERR_DDB_CONDITIONAL_CHECK_FAILED,
    ERR_DDB_TRANSACTION_CANCELED,
    ERR_DDB_TRANSACTION_CONFLICT,
    ERR_DDB_IDEMPOTENT_PARAMETER_MISMATCH,
    ERR_DDB_LIMIT_EXCEEDED,
    ERR_DDB_ITEM_COLLECTION_SIZE_LIMIT,
    ERR_DDB_INTERNAL,            /* InternalServerError, HTTP 500 */
    /* Kinesis */
    ERR_KIN_RESOURCE_NOT_FOUND,
    ERR_KIN_RESOURCE_IN_USE,
    ERR_KIN_INVALID_ARGUMENT,
    ERR_KIN_VALIDATION,
    ERR_KIN_EXPIRED_ITERATOR,
    ERR_KIN_EXPIRED_NEXT_TOKEN,
    ERR_KIN_THROUGHPUT_EXCEEDED,
    ERR_KIN_LIMIT_EXCEEDED,
    ERR_KIN_SERIALIZATION,
    ERR_KIN_UNKNOWN_OPERATION,
    ERR_KIN_INTERNAL,            /* InternalFailure, HTTP 500 */
    /* Lambda (REST-JSON: type in x-amzn-ErrorType, body {"Type","message"}) */
    ERR_LAM_RESOURCE_NOT_FOUND,
    ERR_LAM_RESOURCE_CONFLICT,
    ERR_LAM_INVALID_PARAMETER,
    ERR_LAM_INVALID_REQUEST_CONTENT,
    ERR_LAM_REQUEST_TOO_LARGE,
    ERR_LAM_TOO_MANY_REQUESTS,
    ERR_LAM_SERVICE,             /* ServiceException, HTTP 500 */
    ERR_LAM_UNSUPPORTED_MEDIA,
    ERR_LAM_NOT_FOUND_ROUTE,     /* UnknownOperationException, 404 */
    ERR__COUNT
} err_code;

typedef struct err {
    err_code code;
    char msg[1024];
    json_t *extra;   /* owned; extra members merged into the error body */
} err_t;

/* Fill *e (if e is not NULL) and return -1, so callers can `return err_set(...)`. */
int err_set(err_t *e, err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Attach an extra body member; steals `value`. */
void err_extra_set(err_t *e, const char *key, json_t *value);

/* Release `extra` and reset to ERR_NONE. */
void err_clear(err_t *e);

/* Wire facts about a code. */
const char *err_type(err_code code);   /* e.g. "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException" */
int err_http_status(err_code code);    /* 400, 404, 409, 413, 500 ... */

#endif
