/*
 * err.c - the error table: code -> wire type and HTTP status.
 *
 * This is the only place where an error's `__type` is spelled.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DDB "com.amazonaws.dynamodb.v20120810#"

static const struct {
    const char *type;
    int status;
} err_table[ERR__COUNT] = {
    [ERR_NONE] = {"", 200},
    [ERR_INTERNAL] = {"InternalFailure", 500},
    [ERR_DDB_VALIDATION] = {"com.amazon.coral.validate#ValidationException", 400},
    [ERR_DDB_SERIALIZATION] = {"com.amazon.coral.service#SerializationException", 400},
    [ERR_DDB_UNKNOWN_OPERATION] = {"com.amazon.coral.service#UnknownOperationException", 400},
    [ERR_DDB_MISSING_AUTH] = {"com.amazon.coral.service#MissingAuthenticationTokenException", 400},
    [ERR_DDB_RESOURCE_NOT_FOUND] = {DDB "ResourceNotFoundException", 400},
    [ERR_DDB_RESOURCE_IN_USE] = {DDB "ResourceInUseException", 400},
    [ERR_DDB_CONDITIONAL_CHECK_FAILED] = {DDB "ConditionalCheckFailedException", 400},
    [ERR_DDB_TRANSACTION_CANCELED] = {DDB "TransactionCanceledException", 400},
    [ERR_DDB_TRANSACTION_CONFLICT] = {DDB "TransactionConflictException", 400},
    [ERR_DDB_IDEMPOTENT_PARAMETER_MISMATCH] = {DDB "IdempotentParameterMismatchException", 400},
    [ERR_DDB_LIMIT_EXCEEDED] = {DDB "LimitExceededException", 400},
    [ERR_DDB_ITEM_COLLECTION_SIZE_LIMIT] = {DDB "ItemCollectionSizeLimitExceededException", 400},
    [ERR_DDB_INTERNAL] = {"com.amazonaws.dynamodb.v20120810#InternalServerError", 500},
    [ERR_KIN_RESOURCE_NOT_FOUND] = {"ResourceNotFoundException", 400},
    [ERR_KIN_RESOURCE_IN_USE] = {"ResourceInUseException", 400},
    [ERR_KIN_INVALID_ARGUMENT] = {"InvalidArgumentException", 400},
    [ERR_KIN_VALIDATION] = {"ValidationException", 400},
    [ERR_KIN_EXPIRED_ITERATOR] = {"ExpiredIteratorException", 400},
    [ERR_KIN_EXPIRED_NEXT_TOKEN] = {"ExpiredNextTokenException", 400},
    [ERR_KIN_THROUGHPUT_EXCEEDED] = {"ProvisionedThroughputExceededException", 400},
    [ERR_KIN_LIMIT_EXCEEDED] = {"LimitExceededException", 400},
    [ERR_KIN_SERIALIZATION] = {"SerializationException", 400},
    [ERR_KIN_UNKNOWN_OPERATION] = {"UnknownOperationException", 400},
    [ERR_KIN_INTERNAL] = {"InternalFailure", 500},
    [ERR_LAM_RESOURCE_NOT_FOUND] = {"ResourceNotFoundException", 404},
    [ERR_LAM_RESOURCE_CONFLICT] = {"ResourceConflictException", 409},
    [ERR_LAM_INVALID_PARAMETER] = {"InvalidParameterValueException", 400},
    [ERR_LAM_INVALID_REQUEST_CONTENT] = {"InvalidRequestContentException", 400},
    [ERR_LAM_REQUEST_TOO_LARGE] = {"RequestTooLargeException", 413},
    [ERR_LAM_TOO_MANY_REQUESTS] = {"TooManyRequestsException", 429},
    [ERR_LAM_SERVICE] = {"ServiceException", 500},
    [ERR_LAM_UNSUPPORTED_MEDIA] = {"UnsupportedMediaTypeException", 415},
    [ERR_LAM_NOT_FOUND_ROUTE] = {"UnknownOperationException", 404},
};

int err_set(err_t *e, err_code code, const char *fmt, ...)
{
    if (e == NULL)
        return -1;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

void err_extra_set(err_t *e, const char *key, json_t *value)
{
    if (e == NULL) {
        json_decref(value);
        return;
    }
    if (e->extra == NULL)
        e->extra = json_object();
    json_object_set_new(e->extra, key, value);
}

void err_clear(err_t *e)
{
    json_decref(e->extra);
    e->extra = NULL;
    e->code = ERR_NONE;
    e->msg[0] = '\0';
}

const char *err_type(err_code code)
{
    if (code <= ERR_NONE || code >= ERR__COUNT)
        return err_table[ERR_DDB_INTERNAL].type;
    return err_table[code].type;
}

int err_http_status(err_code code)
{
    if (code <= ERR_NONE || code >= ERR__COUNT)
        return 500;
    return err_table[code].status;
}
