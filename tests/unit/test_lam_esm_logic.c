/*
 * test_lam_esm_logic.c - the event source mapping's pure decisions: batch
 * fitting, batching window (fake clock), classification of responses,
 * bisect, partial failures, retries, record age and checkpoint movement.
 *
 * The scenario tests drive lam_esm_after() with a fake function that fails
 * chosen records, and compare the sequence of invocations (ranges) and the
 * final checkpoint with a table of expected values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emu/lam_esm_logic.h"

#define NREC 8
static char seqs[NREC][8];
static lam_esm_rec recs[NREC];

static void recs_init(int64_t arrival0)
{
    for (int i = 0; i < NREC; i++) {
        snprintf(seqs[i], sizeof seqs[i], "%d", 100 + i);
        recs[i] = (lam_esm_rec){seqs[i], arrival0 + i * 1000, 100};
    }
}

static lam_esm_params params(void)
{
    return (lam_esm_params){.batch_size = 100, .window_s = 0, .max_retry = -1,
                            .max_age_s = -1, .retry_base_ms = 10};
}

static void test_seq_cmp(void **st)
{
    (void)st;
    static const struct { const char *a, *b; int sign; } cases[] = {
        {"1", "2", -1}, {"10", "9", 1}, {"0009", "9", 0}, {"123", "123", 0},
        {"49680589976985014579958127644956277399843286753531133954",
         "49680589976985014579958127644956277399843286753531133955", -1},
        {"0", "0", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int c = lam_seq_cmp(cases[i].a, cases[i].b);
        assert_int_equal(c < 0 ? -1 : c > 0, cases[i].sign);
    }
}

static void test_fit(void **st)
{
    (void)st;
    recs_init(0);
    assert_int_equal(lam_esm_fit(recs, NREC, 3, LAM_PAYLOAD_MAX), 3);
    assert_int_equal(lam_esm_fit(recs, NREC, 100, LAM_PAYLOAD_MAX), NREC);
    assert_int_equal(lam_esm_fit(recs, NREC, 100, 16 + 250), 2);
    assert_int_equal(lam_esm_fit(recs, 0, 100, LAM_PAYLOAD_MAX), 0);
    recs[0].event_bytes = 7u * 1024 * 1024; /* one huge record still goes alone */
    assert_int_equal(lam_esm_fit(recs, NREC, 100, LAM_PAYLOAD_MAX), 1);
    /* 1 MiB records: base64 grows them to ~1.33 MiB, so only 4 fit in 6 MB. */
    for (int i = 0; i < NREC; i++)
        recs[i].event_bytes = lam_esm_record_bytes(1024 * 1024, 36);
    assert_int_equal(lam_esm_fit(recs, NREC, 10000, LAM_PAYLOAD_MAX), 4);
}

static void test_window(void **st)
{
    (void)st;
    lam_esm_params p = params();
    assert_int_equal(lam_esm_window_wait(&p, 1, 10, 1000, 1000), 0); /* no window */
    p.window_s = 2;
    p.batch_size = 10;
    assert_int_equal(lam_esm_window_wait(&p, 1, 10, 1000, 1000), 2000);
    assert_int_equal(lam_esm_window_wait(&p, 1, 10, 1000, 2500), 500);
    assert_int_equal(lam_esm_window_wait(&p, 1, 10, 1000, 3000), 0);
    assert_int_equal(lam_esm_window_wait(&p, 10, 10, 1000, 1000), 0);  /* full */
    assert_int_equal(lam_esm_window_wait(&p, 2, LAM_PAYLOAD_MAX, 1000, 1000), 0);
    assert_int_equal(lam_esm_window_wait(&p, 0, 0, 1000, 1000), 0);
}

static void test_classify(void **st)
{
    (void)st;
    recs_init(0);
    lam_esm_params p = params();
    p.report_failures = true;
    static const struct { const char *body; lam_outcome out; size_t at; } cases[] = {
        {NULL, LAM_OUT_OK, 0},
        {"", LAM_OUT_OK, 0},
        {"null", LAM_OUT_OK, 0},
        {"{}", LAM_OUT_OK, 0},
        {"\"done\"", LAM_OUT_OK, 0},
        {"{\"batchItemFailures\":[]}", LAM_OUT_OK, 0},
        {"{\"batchItemFailures\":null}", LAM_OUT_OK, 0},
        {"{\"batchItemFailures\":[{\"itemIdentifier\":\"103\"}]}", LAM_OUT_PARTIAL, 3},
        {"{\"batchItemFailures\":[{\"itemIdentifier\":\"105\"},{\"itemIdentifier\":\"102\"}]}",
         LAM_OUT_PARTIAL, 2},
        {"{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}", LAM_OUT_PARTIAL, 1},
        {"{\"batchItemFailures\":[{\"itemIdentifier\":null}]}", LAM_OUT_PARTIAL, 1},
        {"{\"batchItemFailures\":[{\"itemId\":\"103\"}]}", LAM_OUT_PARTIAL, 1},
        {"{\"batchItemFailures\":[{\"itemIdentifier\":\"999\"}]}", LAM_OUT_PARTIAL, 1},
        {"{\"batchItemFailures\":{}}", LAM_OUT_PARTIAL, 1},
        {"not json", LAM_OUT_OK, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t at = 99;
        const char *b = cases[i].body;
        lam_outcome o = lam_esm_classify(&p, false, b, b ? strlen(b) : 0, recs, 1, NREC, &at);
        assert_int_equal(o, cases[i].out);
        if (o == LAM_OUT_PARTIAL)
            assert_int_equal(at, cases[i].at);
    }
    /* Without ReportBatchItemFailures the body is ignored. */
    p.report_failures = false;
    const char *b = "{\"batchItemFailures\":[{\"itemIdentifier\":\"103\"}]}";
    size_t at;
    assert_int_equal(lam_esm_classify(&p, false, b, strlen(b), recs, 0, NREC, &at), LAM_OUT_OK);
    assert_int_equal(lam_esm_classify(&p, true, NULL, 0, recs, 0, NREC, &at), LAM_OUT_ERROR);
}

/* A fake function: fails (error or partial, per mode) while the range
 * holds a "bad" record; bad[i] > 0 counts failures left for record i
 * (-1 = fails forever). */
typedef struct scenario {
    const char *name;
    lam_esm_params p;
    int partial;             /* answer with batchItemFailures instead of an error */
    int bad[NREC];
    const char *invokes;     /* expected ranges "lo-hi," in order */
    size_t done, discarded;
} scenario;

static void run_scenario(const scenario *s)
{
    recs_init(0);
    int bad[NREC];
    memcpy(bad, s->bad, sizeof bad);
    lam_esm_run run;
    size_t n = lam_esm_fit(recs, NREC, (size_t)s->p.batch_size, LAM_PAYLOAD_MAX);
    lam_esm_run_init(&run, n, n);
    char got[512] = "";
    size_t last_done = 0;
    for (int guard = 0; guard < 60; guard++) {
        char r[16];
        snprintf(r, sizeof r, "%zu-%zu,", run.lo, run.hi);
        strncat(got, r, sizeof got - strlen(got) - 1);
        size_t first_bad = run.hi;
        for (size_t i = run.lo; i < run.hi; i++)
            if (bad[i] != 0 && first_bad == run.hi)
                first_bad = i;
        if (first_bad < run.hi && bad[first_bad] > 0)
            bad[first_bad]--;
        lam_outcome o = first_bad == run.hi ? LAM_OUT_OK
                        : s->partial       ? LAM_OUT_PARTIAL
                                           : LAM_OUT_ERROR;
        int64_t delay;
        lam_next nx = lam_esm_after(&run, &s->p, o, first_bad, &delay);
        assert_true(run.done >= last_done); /* the checkpoint never goes back */
        last_done = run.done;
        if (nx == LAM_NEXT_DONE)
            break;
    }
    if (strcmp(got, s->invokes) != 0)
        fail_msg("%s: invocations %s, expected %s", s->name, got, s->invokes);
    assert_int_equal(run.done, s->done);
    assert_int_equal(run.discarded, s->discarded);
}

static void test_scenarios(void **st)
{
    (void)st;
    lam_esm_params p = params();
    lam_esm_params bis = p, rep = p, r2 = p, bis_r0 = p, small = p;
    bis.bisect = true;
    rep.report_failures = true;
    r2.max_retry = 2;
    bis_r0.bisect = true;
    bis_r0.max_retry = 0;
    small.batch_size = 3;
    const scenario cases[] = {
        {"all ok", p, 0, {0}, "0-8,", 8, 0},
        {"batch size 3: first fetch only", small, 0, {0}, "0-3,", 3, 0},
        {"error then ok", p, 0, {[4] = 2}, "0-8,0-8,0-8,", 8, 0},
        {"retries exhausted", r2, 0, {[4] = -1}, "0-8,0-8,0-8,", 8, 8},
        {"bisect finds record 5", bis, 0, {[5] = 3}, "0-8,0-4,4-8,4-6,4-5,5-6,6-8,", 8, 0},
        {"bisect, poison record dropped", bis_r0, 0, {[2] = -1},
         "0-8,0-4,0-2,2-4,2-3,3-4,4-8,", 8, 1},
        {"partial failure at 3", rep, 1, {[3] = 1}, "0-8,3-8,", 8, 0},
        {"partial failures at 2 then 6", rep, 1, {[2] = 1, [6] = 1}, "0-8,2-8,6-8,", 8, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        run_scenario(&cases[i]);
}

static void test_partial_retry_accounting(void **st)
{
    (void)st;
    recs_init(0);
    lam_esm_params p = params();
    p.report_failures = true;
    p.max_retry = 1;
    lam_esm_run run;
    lam_esm_run_init(&run, NREC, NREC);
    int64_t d;
    /* Fails at 0 twice: the second failure exhausts max_retry 1. */
    assert_int_equal(lam_esm_after(&run, &p, LAM_OUT_PARTIAL, 0, &d), LAM_NEXT_INVOKE);
    assert_int_equal(run.done, 0);
    assert_int_equal(d, 10);
    assert_int_equal(lam_esm_after(&run, &p, LAM_OUT_PARTIAL, 0, &d), LAM_NEXT_DONE);
    assert_int_equal(run.done, NREC);
    assert_int_equal(run.discarded, NREC);
}

static void test_backoff(void **st)
{
    (void)st;
    lam_esm_params p = params();
    p.retry_base_ms = 100;
    lam_esm_run run;
    lam_esm_run_init(&run, 1, 1);
    int64_t want[] = {100, 200, 400, 800, 1000, 1000}, d;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        assert_int_equal(lam_esm_after(&run, &p, LAM_OUT_ERROR, 0, &d), LAM_NEXT_INVOKE);
        assert_int_equal(d, want[i]);
    }
}

static void test_expire(void **st)
{
    (void)st;
    recs_init(1000000); /* arrivals 1000 s, 1001 s, ... */
    lam_esm_params p = params();
    lam_esm_run run;
    lam_esm_run_init(&run, NREC, NREC);
    assert_int_equal(lam_esm_expire(&run, &p, recs, 5000000), 0); /* -1: keep all */
    p.max_age_s = 60;
    /* now = 1063.5 s: records 0..3 (1000..1003 s) are older than 60 s */
    assert_int_equal(lam_esm_expire(&run, &p, recs, 1063500), 4);
    assert_int_equal(run.lo, 4);
    assert_int_equal(run.done, 4);
    assert_int_equal(run.discarded, 4);
    int64_t d;
    assert_int_equal(lam_esm_after(&run, &p, LAM_OUT_OK, 0, &d), LAM_NEXT_DONE);
    assert_int_equal(run.done, NREC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_cmp),     cmocka_unit_test(test_fit),
        cmocka_unit_test(test_window),      cmocka_unit_test(test_classify),
        cmocka_unit_test(test_scenarios),   cmocka_unit_test(test_partial_retry_accounting),
        cmocka_unit_test(test_backoff),     cmocka_unit_test(test_expire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
