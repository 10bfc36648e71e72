/*
 * test_kin.c - the Kinesis actions and internal API on a real store (no
 * HTTP): resharding hash ranges and parents, kin_read_shard positions and
 * continuation, the record-wait generation, iterator expiry and retention
 * with an injected clock, and persistence of records and counters across a
 * store reopen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/base64.h"
#include "emu/kin_int.h"
#include "emu/route.h"

/* Link stubs: this test drives actions directly, never through HTTP, and
 * links no other service's schema. */
__attribute__((weak)) const char store_schema_ddb[] = "SELECT 1;";
__attribute__((weak)) const char store_schema_lam[] = "SELECT 1;";
__attribute__((weak)) const char store_upgrade_ddb_v2[] = "SELECT 1;";
__attribute__((weak)) const char store_upgrade_ddb_v3[] = "SELECT 1;";
struct store_conn;
__attribute__((weak)) void store_ddb_cache_clear(struct store_conn *c)
{
    (void)c; /* no DynamoDB catalog in this test */
}
__attribute__((weak)) int store_ddb_job_end(struct store_conn *c, bool ok, err_t *err)
{
    (void)c, (void)ok, (void)err; /* nor DynamoDB counters */
    return 0;
}
__attribute__((weak)) int store_ddb_deltas_flush(struct store_conn *c, err_t *err)
{
    (void)c, (void)err;
    return 0;
}
http_handler route_find(struct emu *emu, http_req *req, route_mode *mode)
{
    (void)emu, (void)req;
    *mode = ROUTE_INLINE;
    return route_too_large;
}
void route_too_large(struct emu *emu, http_req *req, http_resp *resp)
{
    (void)emu, (void)req, (void)resp;
}

static int64_t fake_now = 1700000000000;
static int64_t fake_clock(void) { return fake_now; }

static emu_t *emu_new(const char *path)
{
    emu_t *e = calloc(1, sizeof *e);
    e->cfg.account = "123456789012";
    e->cfg.region = "us-east-1";
    err_t err = {0};
    assert_int_equal(store_open(path, &e->store, &err), 0);
    e->kin = NULL;
    return e;
}

static void emu_free(emu_t *e)
{
    kin_stop(e);
    store_close(e->store);
    free(e);
}

/* Run an action: validate + execute; returns the response (or NULL with
 * *code set). */
static json_t *act(emu_t *e, int (*validate)(json_t *, err_t *),
                   json_t *(*execute)(emu_t *, json_t *, err_t *), json_t *req, err_code *code)
{
    err_t err = {0};
    json_t *out = NULL;
    if (validate(req, &err) == 0)
        out = execute(e, req, &err);
    if (code)
        *code = err.code;
    err_clear(&err);
    json_decref(req);
    return out;
}

#define ACT(e, name, req, code) act(e, kin_##name##_validate, kin_##name, req, code)

/* GetRecords answers with ready text: parse it, so the checks below read
 * the answer as a client would. */
static json_t *get_records_json(emu_t *emu, json_t *req, err_t *err)
{
    char *text = kin_get_records(emu, req, err);
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return v;
}
#define ACT_GET_RECORDS(e, req, code) act(e, kin_get_records_validate, get_records_json, req, code)

static json_t *put(emu_t *e, const char *stream, const char *pk, const char *data)
{
    char *b64 = base64_encode((const unsigned char *)data, strlen(data), NULL);
    json_t *r = ACT(e, put_record, json_pack("{s:s, s:s, s:s}", "StreamName", stream,
                                             "PartitionKey", pk, "Data", b64), NULL);
    free(b64);
    assert_non_null(r);
    return r;
}

static void create(emu_t *e, const char *name, int shards)
{
    json_t *r = ACT(e, create_stream, json_pack("{s:s, s:i}", "StreamName", name, "ShardCount",
                                                shards), NULL);
    assert_non_null(r);
    json_decref(r);
}

static void test_split_merge_ranges(void **state)
{
    (void)state;
    emu_t *e = emu_new(NULL);
    create(e, "rs", 1);
    char key[KIN_HASH_MAX];
    kin_u128_format((kin_u128)1 << 127, key);
    json_t *r = ACT(e, split_shard, json_pack("{s:s, s:s, s:s}", "StreamName", "rs",
                    "ShardToSplit", "shardId-000000000000", "NewStartingHashKey", key), NULL);
    assert_non_null(r);
    json_decref(r);
    kin_stream_info info;
    err_t err = {0};
    assert_int_equal(kin_stream_lookup(e, "arn:aws:kinesis:us-east-1:123456789012:stream/rs",
                                       &info, &err), 0);
    assert_int_equal(info.nshards, 3);
    assert_false(info.shards[0].open);
    assert_true(info.shards[0].ending_seq[0] != '\0');
    assert_string_equal(info.shards[1].parent, "shardId-000000000000");
    assert_string_equal(info.shards[1].starting_hash, "0");
    assert_string_equal(info.shards[1].ending_hash, "170141183460469231731687303715884105727");
    assert_string_equal(info.shards[2].starting_hash, key);
    assert_string_equal(info.shards[2].ending_hash, "340282366920938463463374607431768211455");
    kin_stream_info_free(&info);
    /* Split key out of range, and on a closed shard. */
    err_code code;
    assert_null(ACT(e, split_shard, json_pack("{s:s, s:s, s:s}", "StreamName", "rs",
                    "ShardToSplit", "shardId-000000000001", "NewStartingHashKey", "0"), &code));
    assert_int_equal(code, ERR_KIN_INVALID_ARGUMENT);
    assert_null(ACT(e, split_shard, json_pack("{s:s, s:s, s:s}", "StreamName", "rs",
                    "ShardToSplit", "shardId-000000000000", "NewStartingHashKey", "5"), &code));
    assert_int_equal(code, ERR_KIN_INVALID_ARGUMENT);
    r = ACT(e, merge_shards, json_pack("{s:s, s:s, s:s}", "StreamName", "rs", "ShardToMerge",
            "shardId-000000000002", "AdjacentShardToMerge", "shardId-000000000001"), NULL);
    assert_non_null(r);
    json_decref(r);
    assert_int_equal(kin_stream_lookup(e, "rs", &info, &err), 0);
    assert_int_equal(info.nshards, 4);
    assert_string_equal(info.shards[3].parent, "shardId-000000000002");
    assert_string_equal(info.shards[3].adjacent_parent, "shardId-000000000001");
    assert_string_equal(info.shards[3].starting_hash, "0");
    assert_string_equal(info.shards[3].ending_hash, "340282366920938463463374607431768211455");
    assert_true(info.shards[3].open && !info.shards[1].open && !info.shards[2].open);
    kin_stream_info_free(&info);
    emu_free(e);
}

static void test_update_shard_count_ranges(void **state)
{
    (void)state;
    emu_t *e = emu_new(NULL);
    create(e, "usc", 2);
    json_t *r = ACT(e, update_shard_count, json_pack("{s:s, s:i, s:s}", "StreamName", "usc",
                    "TargetShardCount", 3, "ScalingType", "UNIFORM_SCALING"), NULL);
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "CurrentShardCount")), 2);
    json_decref(r);
    kin_stream_info info;
    err_t err = {0};
    assert_int_equal(kin_stream_lookup(e, "usc", &info, &err), 0);
    assert_int_equal(info.nshards, 5);
    kin_u128 prev = 0;
    for (int i = 2; i < 5; i++) {
        kin_u128 s, en;
        assert_true(info.shards[i].open);
        assert_int_equal(kin_u128_parse(info.shards[i].starting_hash, &s), 0);
        assert_int_equal(kin_u128_parse(info.shards[i].ending_hash, &en), 0);
        assert_true(i == 2 ? s == 0 : s == prev + 1);
        prev = en;
        assert_true(info.shards[i].parent[0] != '\0');
    }
    assert_true(prev == KIN_U128_MAX);
    /* The middle shard spans both old shards: two parents. */
    assert_string_equal(info.shards[3].parent, "shardId-000000000000");
    assert_string_equal(info.shards[3].adjacent_parent, "shardId-000000000001");
    kin_stream_info_free(&info);
    emu_free(e);
}

static void test_read_shard_api(void **state)
{
    (void)state;
    emu_t *e = emu_new(NULL);
    assert_int_equal(kin_start(e), 0);
    create(e, "rd", 1);
    uint64_t g0 = kin_generation(e);
    for (int i = 0; i < 5; i++) {
        char d[8];
        snprintf(d, sizeof d, "r%d", i);
        json_decref(put(e, "rd", "pk", d));
    }
    uint64_t g1 = kin_wait_for_records(e, g0, 1000);
    assert_true(g1 > g0);
    /* Nothing new: returns after the timeout with the same generation. */
    assert_true(kin_wait_for_records(e, g1, 30) == g1);
    kin_position pos = {.type = KIN_POS_TRIM_HORIZON};
    kin_batch b;
    err_t err = {0};
    assert_int_equal(kin_read_shard(e, "rd", "shardId-000000000000", &pos, 2, 1 << 20, &b, &err),
                     0);
    assert_int_equal(b.n, 2);
    assert_memory_equal(b.records[0].data, "r0", 2);
    assert_string_equal(b.records[1].partition_key, "pk");
    assert_true(strcmp(b.records[0].seq, b.records[1].seq) < 0);
    assert_int_equal(b.next.type, KIN_POS_AFTER_SEQUENCE);
    assert_string_equal(b.next.seq, b.records[1].seq);
    assert_true(b.millis_behind >= 0 && b.shard_open && !b.end_of_shard);
    kin_position next = b.next;
    kin_batch_free(&b);
    assert_int_equal(kin_read_shard(e, "rd", "shardId-000000000000", &next, 100, 1 << 20, &b,
                                    &err), 0);
    assert_int_equal(b.n, 3);
    assert_memory_equal(b.records[2].data, "r4", 2);
    assert_string_equal(b.newest_seq, b.records[2].seq);
    kin_batch_free(&b);
    /* LATEST: empty now, and its continuation sees the next record. */
    pos.type = KIN_POS_LATEST;
    assert_int_equal(kin_read_shard(e, "rd", "shardId-000000000000", &pos, 10, 1 << 20, &b,
                                    &err), 0);
    assert_int_equal(b.n, 0);
    next = b.next;
    kin_batch_free(&b);
    json_decref(put(e, "rd", "pk", "r5"));
    assert_int_equal(kin_read_shard(e, "rd", "shardId-000000000000", &next, 10, 1 << 20, &b,
                                    &err), 0);
    assert_int_equal(b.n, 1);
    assert_memory_equal(b.records[0].data, "r5", 2);
    next = b.next;
    kin_batch_free(&b);
    /* After a split the parent drains and reports end_of_shard. */
    json_t *r = ACT(e, split_shard, json_pack("{s:s, s:s, s:s}", "StreamName", "rd",
                    "ShardToSplit", "shardId-000000000000", "NewStartingHashKey", "1000"), NULL);
    json_decref(r);
    assert_int_equal(kin_read_shard(e, "rd", "shardId-000000000000", &next, 10, 1 << 20, &b,
                                    &err), 0);
    assert_int_equal(b.n, 0);
    assert_true(b.end_of_shard && !b.shard_open);
    kin_batch_free(&b);
    /* Errors: unknown stream, unknown shard, sequence number of another shard. */
    assert_int_equal(kin_read_shard(e, "nope", "shardId-000000000000", &pos, 1, 1, &b, &err), -1);
    assert_int_equal(err.code, ERR_KIN_RESOURCE_NOT_FOUND);
    err_clear(&err);
    assert_int_equal(kin_read_shard(e, "rd", "shardId-000000000009", &pos, 1, 1, &b, &err), -1);
    assert_int_equal(err.code, ERR_KIN_RESOURCE_NOT_FOUND);
    err_clear(&err);
    kin_position other = {.type = KIN_POS_AT_SEQUENCE};
    kin_seq_format(1, 1, 3, other.seq);
    assert_int_equal(kin_read_shard(e, "rd", "shardId-000000000000", &other, 1, 1, &b, &err), -1);
    assert_int_equal(err.code, ERR_KIN_INVALID_ARGUMENT);
    err_clear(&err);
    emu_free(e);
}

static json_t *iterator(emu_t *e, const char *stream, const char *type)
{
    return ACT(e, get_shard_iterator, json_pack("{s:s, s:s, s:s}", "StreamName", stream,
               "ShardId", "shardId-000000000000", "ShardIteratorType", type), NULL);
}

static void test_iterator_expiry_and_retention(void **state)
{
    (void)state;
    kin_clock = fake_clock;
    emu_t *e = emu_new(NULL);
    create(e, "exp", 1);
    json_decref(put(e, "exp", "pk", "old"));
    json_t *it = iterator(e, "exp", "TRIM_HORIZON");
    const char *text = json_string_value(json_object_get(it, "ShardIterator"));
    err_code code;
    fake_now += 299 * 1000;
    json_t *r = ACT_GET_RECORDS(e, json_pack("{s:s}", "ShardIterator", text), &code);
    assert_non_null(r);
    assert_int_equal(json_array_size(json_object_get(r, "Records")), 1);
    json_decref(r);
    fake_now += 2 * 1000;
    assert_null(ACT_GET_RECORDS(e, json_pack("{s:s}", "ShardIterator", text), &code));
    assert_int_equal(code, ERR_KIN_EXPIRED_ITERATOR);
    json_decref(it);
    /* Retention: 23 h later the record is readable, 25 h later it is gone. */
    fake_now += 23LL * 3600 * 1000;
    it = iterator(e, "exp", "TRIM_HORIZON");
    r = ACT_GET_RECORDS(e, json_pack("{s:O}", "ShardIterator",
            json_object_get(it, "ShardIterator")), NULL);
    assert_int_equal(json_array_size(json_object_get(r, "Records")), 1);
    json_decref(r);
    json_decref(it);
    fake_now += 2LL * 3600 * 1000;
    it = iterator(e, "exp", "TRIM_HORIZON");
    r = ACT_GET_RECORDS(e, json_pack("{s:O}", "ShardIterator",
            json_object_get(it, "ShardIterator")), NULL);
    assert_int_equal(json_array_size(json_object_get(r, "Records")), 0);
    json_decref(r);
    json_decref(it);
    emu_free(e);
}

/* GetRecords' text: each record's fields as a client reads them, the
 * arrival time exact to the millisecond, keys that need escaping. */
static void test_get_records_text(void **state)
{
    (void)state;
    kin_clock = fake_clock;
    fake_now = 1700000000123;
    emu_t *e = emu_new(NULL);
    create(e, "txt", 1);
    json_decref(put(e, "txt", "quote\"back\\slash\ttab", "first"));
    fake_now = 1700000001000;
    json_decref(put(e, "txt", "gr\xc3\xbc\xc3\x9f" "e", ""));
    fake_now = 1700000002100;
    json_decref(put(e, "txt", "k", "x"));
    fake_now = 1700000002007;
    json_decref(put(e, "txt", "k", "y"));
    json_t *it = iterator(e, "txt", "TRIM_HORIZON");
    char *text = NULL;
    err_t err = {0};
    json_t *req = json_pack("{s:O}", "ShardIterator", json_object_get(it, "ShardIterator"));
    text = kin_get_records(e, req, &err);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"ApproximateArrivalTimestamp\":1700000000.123,"));
    assert_non_null(strstr(text, "\"ApproximateArrivalTimestamp\":1700000001,"));
    assert_non_null(strstr(text, "\"ApproximateArrivalTimestamp\":1700000002.100,"));
    assert_non_null(strstr(text, "\"ApproximateArrivalTimestamp\":1700000002.007,"));
    json_t *r = json_loads(text, 0, NULL);
    assert_non_null(r);
    json_t *recs = json_object_get(r, "Records");
    assert_int_equal(json_array_size(recs), 4);
    json_t *a = json_array_get(recs, 0), *b = json_array_get(recs, 1);
    assert_string_equal(json_string_value(json_object_get(a, "PartitionKey")),
                        "quote\"back\\slash\ttab");
    assert_string_equal(json_string_value(json_object_get(a, "Data")), "Zmlyc3Q=");
    assert_string_equal(json_string_value(json_object_get(b, "PartitionKey")),
                        "gr\xc3\xbc\xc3\x9f" "e");
    assert_string_equal(json_string_value(json_object_get(b, "Data")), "");
    assert_true(strcmp(json_string_value(json_object_get(a, "SequenceNumber")),
                       json_string_value(json_object_get(b, "SequenceNumber"))) < 0);
    json_decref(r);
    json_decref(req);
    json_decref(it);
    free(text);
    emu_free(e);
}

/* The PutRecords scanner takes the usual shape (any member order and
 * whitespace) and stores what the generic path would; everything else is
 * left to the generic path (returns 0) without side effects. */
static void test_put_records_scanner(void **state)
{
    (void)state;
    emu_t *e = emu_new(NULL);
    create(e, "scan", 1);
    static const char *const declined[] = {
        "{\"StreamName\":\"scan\",\"Records\":[]}",
        "{\"StreamName\":\"scan\",\"Records\":[{\"Data\":\"QQ==\",\"PartitionKey\":\"a\\u0041\"}]}",
        "{\"StreamARN\":\"arn:aws:kinesis:us-east-1:123456789012:stream/scan\",\"Records\":"
        "[{\"Data\":\"QQ==\",\"PartitionKey\":\"k\"}]}",
        "{\"StreamName\":\"scan\",\"Records\":[{\"Data\":\"QQ=\",\"PartitionKey\":\"k\"}]}",
        "{\"StreamName\":\"scan\",\"Records\":[{\"Data\":\"QQ==\",\"Data\":\"QQ==\","
        "\"PartitionKey\":\"k\"}]}",
        "{\"StreamName\":\"scan\",\"Records\":[{\"Data\":\"QQ==\",\"PartitionKey\":\"\"}]}",
        "{\"StreamName\":\"scan\",\"Records\":[{\"Data\":\"QQ==\",\"PartitionKey\":\"k\","
        "\"ExplicitHashKey\":\"01\"}]}",
        "{\"StreamName\":\"bad name!\",\"Records\":[{\"Data\":\"QQ==\",\"PartitionKey\":\"k\"}]}",
        "{\"StreamName\":\"scan\",\"Records\":[{\"Data\":\"QQ==\",\"PartitionKey\":\"k\"}]} x",
        "[1]",
    };
    for (size_t i = 0; i < sizeof declined / sizeof *declined; i++) {
        json_t *req = NULL;
        char *out = NULL;
        err_t err = {0};
        assert_int_equal(kin_put_records_fast(e, declined[i], strlen(declined[i]), &req, &out,
                                              &err), 0);
        assert_null(req);
        assert_null(out);
    }
    const char *body = " { \"Records\" : [ {\"PartitionKey\": \"p1\", \"Data\": \"Zmlyc3Q=\"},\n"
                       "{\"Data\":\"c2Vjb25k\",\"ExplicitHashKey\":\"0\",\"PartitionKey\":\"p2\"} ],"
                       "\"StreamName\":\"scan\" } ";
    json_t *req = NULL;
    char *text = NULL;
    err_t err = {0};
    assert_int_equal(kin_put_records_fast(e, body, strlen(body), &req, &text, &err), 1);
    assert_non_null(text);
    assert_string_equal(json_string_value(json_object_get(req, "StreamName")), "scan");
    /* The answer as text: the members and their order of the JSON tree it
     * replaced; sequence numbers of one shard, the second record after the
     * first. */
    json_t *out = json_loads(text, 0, NULL);
    assert_non_null(out);
    assert_int_equal(json_integer_value(json_object_get(out, "FailedRecordCount")), 0);
    json_t *res = json_object_get(out, "Records");
    assert_int_equal(json_array_size(res), 2);
    assert_string_equal(json_string_value(json_object_get(out, "EncryptionType")), "NONE");
    char *redump = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(redump, text);
    free(redump);
    assert_string_equal(json_string_value(json_object_get(json_array_get(res, 1), "ShardId")),
                        "shardId-000000000000");
    assert_true(strcmp(json_string_value(json_object_get(json_array_get(res, 0),
                                                         "SequenceNumber")),
                       json_string_value(json_object_get(json_array_get(res, 1),
                                                         "SequenceNumber"))) < 0);
    free(text);
    json_decref(req);
    json_decref(out);
    json_t *it = iterator(e, "scan", "TRIM_HORIZON");
    json_t *r = ACT_GET_RECORDS(e, json_pack("{s:O}", "ShardIterator",
                                             json_object_get(it, "ShardIterator")), NULL);
    json_t *recs = json_object_get(r, "Records");
    assert_int_equal(json_array_size(recs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(recs, 0), "Data")),
                        "Zmlyc3Q=");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(recs, 1), "PartitionKey")), "p2");
    json_decref(r);
    json_decref(it);
    emu_free(e);
}

static void test_persistence_across_reopen(void **state)
{
    (void)state;
    char path[] = "/tmp/test_kin_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    emu_t *e = emu_new(path);
    create(e, "keep", 1);
    json_t *first = put(e, "keep", "pk", "before");
    char seq1[KIN_SEQ_MAX];
    snprintf(seq1, sizeof seq1, "%s", json_string_value(json_object_get(first, "SequenceNumber")));
    json_decref(first);
    emu_free(e);
    e = emu_new(path);
    json_t *second = put(e, "keep", "pk", "after");
    const char *seq2 = json_string_value(json_object_get(second, "SequenceNumber"));
    assert_int_equal(strlen(seq2), KIN_SEQ_LEN);
    assert_true(strcmp(seq1, seq2) < 0);
    kin_position pos = {.type = KIN_POS_TRIM_HORIZON};
    kin_batch b;
    err_t err = {0};
    assert_int_equal(kin_read_shard(e, "keep", "shardId-000000000000", &pos, 10, 1 << 20, &b,
                                    &err), 0);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.records[0].seq, seq1);
    assert_string_equal(b.records[1].seq, seq2);
    assert_memory_equal(b.records[0].data, "before", 6);
    kin_batch_free(&b);
    json_decref(second);
    emu_free(e);
    char aux[64];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_merge_ranges),
        cmocka_unit_test(test_update_shard_count_ranges),
        cmocka_unit_test(test_read_shard_api),
        cmocka_unit_test(test_iterator_expiry_and_retention),
        cmocka_unit_test(test_persistence_across_reopen),
        cmocka_unit_test(test_get_records_text),
        cmocka_unit_test(test_put_records_scanner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
