/*
 * test_lam_event.c - the Lambda Kinesis event text (lam_event.c) against
 * the jansson tree and json_dumps call it replaced: same bytes for keys
 * that need escaping, empty and binary data, and every millisecond shape
 * of the arrival time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/base64.h"
#include "emu/lam_event.h"

/* The event as lam_event.c built it before it wrote text. */
static char *reference(const lam_event_src *src, const kin_record *r, size_t n)
{
    json_t *recs = json_array();
    for (size_t i = 0; i < n; i++) {
        char *data = base64_encode(r[i].data, r[i].data_len, NULL);
        char event_id[KIN_SHARD_ID_MAX + KIN_SEQ_MAX + 2];
        snprintf(event_id, sizeof event_id, "%s:%s", src->shard_id, r[i].seq);
        json_array_append_new(recs, json_pack(
            "{s:{s:s, s:s, s:s, s:s, s:f}, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
            "kinesis", "kinesisSchemaVersion", "1.0", "partitionKey",
            r[i].partition_key ? r[i].partition_key : "", "sequenceNumber", r[i].seq,
            "data", data, "approximateArrivalTimestamp", (double)r[i].arrival_ms / 1000.0,
            "eventSource", "aws:kinesis", "eventVersion", "1.0", "eventID", event_id,
            "eventName", "aws:kinesis:record", "invokeIdentityArn", src->role, "awsRegion",
            src->region, "eventSourceARN", src->stream_arn));
        free(data);
    }
    json_t *ev = json_pack("{s:o}", "Records", recs);
    char *s = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(13));
    json_decref(ev);
    return s;
}

static const lam_event_src src = {
    "shardId-000000000001", "arn:aws:kinesis:us-east-1:123456789012:stream/faces",
    "us-east-1", "arn:aws:iam::123456789012:role/lambda \"role\"",
};

static void check(const kin_record *r, size_t n)
{
    size_t len = 0;
    char *got = lam_event_kinesis(&src, r, n, &len);
    char *want = reference(&src, r, n);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    free(got);
    free(want);
}

static void test_event_matches_tree(void **state)
{
    (void)state;
    static unsigned char bin[] = {0, 1, 2, 0xff, 0xfe, '"', '\\', 0x80};
    char *keys[] = {"plain", "", "quote\" back\\slash", "ctl\x01\x1f\ttab\nnl",
                    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "/slash/"};
    int64_t times[] = {1764236767000LL, 1764236767100LL, 1764236767120LL, 1764236767123LL,
                       1764236767001LL, 1764236767010LL, 999LL, 0LL, 1000000000000LL,
                       9999999999999LL, 10000000000001LL};
    kin_record r[sizeof times / sizeof *times];
    for (size_t i = 0; i < sizeof times / sizeof *times; i++) {
        memset(&r[i], 0, sizeof r[i]);
        snprintf(r[i].seq, sizeof r[i].seq, "4963%020zu", i * 7919);
        r[i].partition_key = keys[i % (sizeof keys / sizeof *keys)];
        r[i].data = bin;
        r[i].data_len = i % (sizeof bin + 1);
        r[i].arrival_ms = times[i];
    }
    check(r, 0);
    check(r, 1);
    check(r, sizeof times / sizeof *times);
    r[2].partition_key = NULL; /* written as "" */
    check(r, 3);
}

static void test_event_random_times(void **state)
{
    (void)state;
    srand(7);
    kin_record r[64];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < 64; i++) {
            memset(&r[i], 0, sizeof r[i]);
            snprintf(r[i].seq, sizeof r[i].seq, "%d", rand());
            r[i].partition_key = "k";
            r[i].data = (unsigned char *)"abcdef";
            r[i].data_len = (size_t)rand() % 7;
            r[i].arrival_ms = 1500000000000LL + (int64_t)rand() * 1000 + rand() % 1000;
        }
        check(r, 64);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_matches_tree),
        cmocka_unit_test(test_event_random_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
