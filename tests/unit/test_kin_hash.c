/*
 * test_kin_hash.c - Kinesis arithmetic: MD5 routing against known digests,
 * 128-bit decimal parse/format, even shard ranges, sequence number format
 * and ordering, shard ids, iterator round trip, tampering and expiry (with
 * an injected clock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emu/kin_int.h"

static void test_md5_routing(void **state)
{
    (void)state;
    static const struct { const char *pk; const char *hash; } cases[] = {
        {"", "281949768489412648962353822266799178366"},
        {"a", "16955237001963240173058271559858726497"},
        {"partition-1", "198019941650871988756153596255032211816"},
        {"h\xc3\xa9llo", "252973414135665226741597071662034525008"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[KIN_HASH_MAX];
        kin_u128_format(kin_hash_key(cases[i].pk, strlen(cases[i].pk)), buf);
        assert_string_equal(buf, cases[i].hash);
    }
}

static void test_u128_parse_format(void **state)
{
    (void)state;
    static const struct { const char *in; int rc; } cases[] = {
        {"0", 0}, {"1", 0}, {"340282366920938463463374607431768211455", 0},
        {"340282366920938463463374607431768211456", -1}, {"01", -1}, {"", -1},
        {"-1", -1}, {"12a", -1}, {"1000000000000000000000000000000000000000", -1},
        {"170141183460469231731687303715884105728", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kin_u128 v;
        int rc = kin_u128_parse(cases[i].in, &v);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            char buf[KIN_HASH_MAX];
            kin_u128_format(v, buf);
            assert_string_equal(buf, cases[i].in);
        }
    }
    kin_u128 v;
    assert_int_equal(kin_u128_parse("340282366920938463463374607431768211455", &v), 0);
    assert_true(v == KIN_U128_MAX);
}

static void check_range(int i, int n, const char *start, const char *end)
{
    kin_u128 s, e;
    char bs[KIN_HASH_MAX], be[KIN_HASH_MAX];
    kin_hash_range(i, n, &s, &e);
    kin_u128_format(s, bs);
    kin_u128_format(e, be);
    assert_string_equal(bs, start);
    assert_string_equal(be, end);
}

static void test_shard_ranges(void **state)
{
    (void)state;
    check_range(0, 1, "0", "340282366920938463463374607431768211455");
    check_range(0, 2, "0", "170141183460469231731687303715884105727");
    check_range(1, 2, "170141183460469231731687303715884105728",
                "340282366920938463463374607431768211455");
    check_range(0, 3, "0", "113427455640312821154458202477256070484");
    check_range(1, 3, "113427455640312821154458202477256070485",
                "226854911280625642308916404954512140969");
    check_range(2, 3, "226854911280625642308916404954512140970",
                "340282366920938463463374607431768211455");
    /* Contiguity for many shard counts. */
    for (int n = 1; n <= 64; n++) {
        kin_u128 prev_end = 0;
        for (int i = 0; i < n; i++) {
            kin_u128 s, e;
            kin_hash_range(i, n, &s, &e);
            if (i == 0)
                assert_true(s == 0);
            else
                assert_true(s == prev_end + 1);
            assert_true(e >= s);
            prev_end = e;
        }
        assert_true(prev_end == KIN_U128_MAX);
    }
}

static void test_seq_format_order(void **state)
{
    (void)state;
    char a[KIN_SEQ_MAX], b[KIN_SEQ_MAX];
    kin_seq_format(1, 0, 1, a);
    assert_int_equal(strlen(a), KIN_SEQ_LEN);
    assert_string_equal(a, "49000000000000010000000000000000000000000000000000000001");
    /* String order equals numeric order, including across digit carries. */
    uint64_t counters[] = {0, 1, 9, 10, 99, 100, 12345, 999999999, 1000000000,
                           18446744073709551615ull};
    for (size_t i = 1; i < sizeof counters / sizeof *counters; i++) {
        kin_seq_format(7, 3, counters[i - 1], a);
        kin_seq_format(7, 3, counters[i], b);
        assert_true(strcmp(a, b) < 0);
        assert_int_equal(strlen(b), KIN_SEQ_LEN);
    }
    int64_t sid;
    int shard;
    uint64_t c;
    kin_seq_format(123456, 42, 18446744073709551615ull, a);
    assert_int_equal(kin_seq_parse(a, &sid, &shard, &c), 0);
    assert_int_equal(sid, 123456);
    assert_int_equal(shard, 42);
    assert_true(c == 18446744073709551615ull);
    /* The hand-written digits equal the printf format they replaced. */
    srand(11);
    for (int i = 0; i < 2000; i++) {
        int64_t st = i % 3 == 0 ? 99999999999999LL - i : (int64_t)rand() * rand() % 100000000000000LL;
        int sh = i % 5 == 0 ? 99999999 - i : rand() % 100000000;
        uint64_t ct = ((uint64_t)rand() << 40) ^ ((uint64_t)rand() << 20) ^ (uint64_t)rand();
        if (i % 7 == 0)
            ct = 18446744073709551615ull - (uint64_t)i;
        char want[80];
        snprintf(want, sizeof want, "49%014lld%08d%032llu", (long long)st, sh,
                 (unsigned long long)ct);
        kin_seq_format(st, sh, ct, a);
        assert_string_equal(a, want);
        kin_shard_id_format(sh, b);
        snprintf(want, sizeof want, "shardId-%012d", sh);
        assert_string_equal(b, want);
    }
    static const char *bad[] = {"", "1", "4900000000000001000000000000000000000000000000000000000",
                                "39000000000000010000000000000000000000000000000000000001",
                                "4900000000000001000000000000000000000000000000000000000x",
                                "49000000000000010000000010000000000000000000000000000001"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(kin_seq_parse(bad[i], &sid, &shard, &c), -1);
}

static void test_shard_ids(void **state)
{
    (void)state;
    char buf[KIN_SHARD_ID_MAX];
    kin_shard_id_format(7, buf);
    assert_string_equal(buf, "shardId-000000000007");
    assert_int_equal(kin_shard_id_parse("shardId-000000000007"), 7);
    assert_int_equal(kin_shard_id_parse("12"), 12);
    assert_int_equal(kin_shard_id_parse("shardId-"), -1);
    assert_int_equal(kin_shard_id_parse("shardId-abc"), -1);
    assert_int_equal(kin_shard_id_parse("shardId-9999999999999"), -1);
}

static int64_t fake_now;
static int64_t fake_clock(void) { return fake_now; }

static void test_iterator_round_trip(void **state)
{
    (void)state;
    kin_clock = fake_clock;
    fake_now = 1700000000000;
    kin_iter it = {.stream_id = 99, .shard_idx = 5, .after = 123456789, .issued_ms = kin_now_ms()};
    char *a = kin_iter_encode(&it);
    char *b = kin_iter_encode(&it);
    assert_non_null(a);
    assert_true(strlen(a) <= 512);
    assert_string_not_equal(a, b);   /* every iterator is a new string */
    kin_iter d;
    assert_int_equal(kin_iter_decode(a, &d), 0);
    assert_int_equal(d.stream_id, 99);
    assert_int_equal(d.shard_idx, 5);
    assert_true(d.after == 123456789);
    assert_int_equal(d.issued_ms, 1700000000000);
    assert_false(kin_iter_expired(&d, fake_now + 300000));
    assert_true(kin_iter_expired(&d, fake_now + 300001));
    /* Tampering: flip each character in turn; all must be rejected. */
    for (size_t i = 0; a[i]; i++) {
        char *t = strdup(a);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_equal(kin_iter_decode(t, &d), -1);
        free(t);
    }
    a[10] = '\0';
    assert_int_equal(kin_iter_decode(a, &d), -1);
    assert_int_equal(kin_iter_decode("not an iterator", &d), -1);
    assert_int_equal(kin_iter_decode("", &d), -1);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_routing),      cmocka_unit_test(test_u128_parse_format),
        cmocka_unit_test(test_shard_ranges),     cmocka_unit_test(test_seq_format_order),
        cmocka_unit_test(test_shard_ids),        cmocka_unit_test(test_iterator_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
