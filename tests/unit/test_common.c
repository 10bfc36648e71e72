/*
 * test_common.c - the error table (code -> wire type and status), CRC-32
 * against known vectors, log level names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "common/crc32.h"
#include "common/err.h"
#include "common/log.h"

static void test_err_table(void **state)
{
    (void)state;
    static const struct {
        err_code code;
        const char *type;
        int status;
    } cases[] = {
        {ERR_DDB_VALIDATION, "com.amazon.coral.validate#ValidationException", 400},
        {ERR_DDB_SERIALIZATION, "com.amazon.coral.service#SerializationException", 400},
        {ERR_DDB_UNKNOWN_OPERATION, "com.amazon.coral.service#UnknownOperationException", 400},
        {ERR_DDB_RESOURCE_NOT_FOUND, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", 400},
        {ERR_DDB_RESOURCE_IN_USE, "com.amazonaws.dynamodb.v20120810#ResourceInUseException", 400},
        {ERR_DDB_CONDITIONAL_CHECK_FAILED,
         "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", 400},
        {ERR_DDB_TRANSACTION_CANCELED,
         "com.amazonaws.dynamodb.v20120810#TransactionCanceledException", 400},
        {ERR_DDB_INTERNAL, "com.amazonaws.dynamodb.v20120810#InternalServerError", 500},
        {ERR_KIN_RESOURCE_NOT_FOUND, "ResourceNotFoundException", 400},
        {ERR_KIN_EXPIRED_ITERATOR, "ExpiredIteratorException", 400},
        {ERR_KIN_THROUGHPUT_EXCEEDED, "ProvisionedThroughputExceededException", 400},
        {ERR_KIN_INTERNAL, "InternalFailure", 500},
        {ERR_LAM_RESOURCE_NOT_FOUND, "ResourceNotFoundException", 404},
        {ERR_LAM_RESOURCE_CONFLICT, "ResourceConflictException", 409},
        {ERR_LAM_REQUEST_TOO_LARGE, "RequestTooLargeException", 413},
        {ERR_LAM_TOO_MANY_REQUESTS, "TooManyRequestsException", 429},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_string_equal(err_type(cases[i].code), cases[i].type);
        assert_int_equal(err_http_status(cases[i].code), cases[i].status);
    }
    /* Every code has a type and a status: no client error is ever a 500
     * unless it is meant to be. */
    for (int c = ERR_INTERNAL; c < ERR__COUNT; c++) {
        assert_true(strlen(err_type((err_code)c)) > 0);
        int st = err_http_status((err_code)c);
        assert_true(st >= 400 && st <= 599);
    }
    assert_int_equal(err_http_status((err_code)-1), 500);
}

static void test_err_set_and_extra(void **state)
{
    (void)state;
    err_t e = {0};
    assert_int_equal(err_set(&e, ERR_DDB_VALIDATION, "bad %s %d", "thing", 7), -1);
    assert_int_equal(e.code, ERR_DDB_VALIDATION);
    assert_string_equal(e.msg, "bad thing 7");
    err_extra_set(&e, "Item", json_pack("{s:{s:s}}", "id", "S", "x"));
    assert_non_null(json_object_get(e.extra, "Item"));
    err_clear(&e);
    assert_null(e.extra);
    assert_int_equal(e.code, ERR_NONE);
    /* A NULL context is allowed (callers that only want the -1) and the
     * setter still releases what it was given. */
    assert_int_equal(err_set(NULL, ERR_DDB_VALIDATION, "x"), -1);
    err_extra_set(NULL, "k", json_string("leak-checked by ASan"));
}

static void test_crc32_vectors(void **state)
{
    (void)state;
    assert_int_equal(crc32_compute("", 0), 0u);
    assert_int_equal(crc32_compute("123456789", 9), 0xCBF43926u);
    assert_int_equal(crc32_compute("The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    /* DynamoDB's empty ListTables answer, as boto3 checks it. */
    const char *body = "{\"TableNames\":[]}";
    assert_int_equal(crc32_compute(body, strlen(body)), 1315925753u);
    /* The sliced path and the byte path agree on every length and offset. */
    unsigned char buf[64];
    for (int i = 0; i < 64; i++)
        buf[i] = (unsigned char)(i * 37 + 11);
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len + off <= 64; len++) {
            uint32_t c = 0xFFFFFFFFu;
            for (size_t k = 0; k < len; k++) {
                c ^= buf[off + k];
                for (int b = 0; b < 8; b++)
                    c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            assert_int_equal(crc32_compute(buf + off, len), c ^ 0xFFFFFFFFu);
        }
}

static void test_log_levels(void **state)
{
    (void)state;
    assert_int_equal(log_level_parse("error"), LOG_ERROR);
    assert_int_equal(log_level_parse("WARN"), LOG_WARN);
    assert_int_equal(log_level_parse("info"), LOG_INFO);
    assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
    assert_int_equal(log_level_parse("loud"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_table),
        cmocka_unit_test(test_err_set_and_extra),
        cmocka_unit_test(test_crc32_vectors),
        cmocka_unit_test(test_log_levels),
    };
    return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
