/*
 * test_lam_esm_lanes.c - ParallelizationFactor lanes: key routing (stable,
 * in range, spread), grouping in sequence order, the chunk's safe
 * checkpoint as lanes acknowledge out of order, and whole-chunk scenarios
 * on a fake clock where each lane runs lam_esm_run batches (retries,
 * bisect, partial responses) at its own pace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emu/lam_esm_lanes.h"
#include "emu/lam_esm_logic.h"

static void test_lane_of(void **st)
{
    (void)st;
    int hits[LAM_LANES_MAX] = {0};
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        int k = lam_lane_of(key, 3);
        assert_true(k >= 0 && k < 3);
        assert_int_equal(k, lam_lane_of(key, 3)); /* stable */
        assert_int_equal(lam_lane_of(key, 1), 0);
        hits[k]++;
    }
    for (int k = 0; k < 3; k++)
        assert_true(hits[k] > 250); /* spread */
    assert_int_equal(lam_lane_of(NULL, 4), lam_lane_of("", 4));
}

static void test_grouping(void **st)
{
    (void)st;
    const char *keys[] = {"a", "b", "a", "c", "b", "a", "d", "c"};
    size_t n = sizeof keys / sizeof *keys;
    lam_lanes ls;
    assert_int_equal(lam_lanes_init(&ls, keys, n, 3), 0);
    size_t total = 0;
    for (int k = 0; k < 3; k++) {
        size_t cnt;
        const size_t *idx = lam_lanes_get(&ls, k, &cnt);
        for (size_t i = 0; i < cnt; i++) {
            assert_int_equal(lam_lane_of(keys[idx[i]], 3), k);
            if (i > 0)
                assert_true(idx[i] > idx[i - 1]); /* sequence order */
        }
        total += cnt;
    }
    assert_int_equal(total, n);
    lam_lanes_free(&ls);
    assert_int_equal(lam_lanes_init(&ls, keys, n, 99), 0); /* clamped */
    assert_int_equal(ls.nlanes, LAM_LANES_MAX);
    lam_lanes_free(&ls);
}

/* Keys chosen by lane so the tables below can name lanes directly. */
static const char *key_in_lane(int lane, int nlanes)
{
    static char keys[LAM_LANES_MAX][32];
    for (int i = 0;; i++) {
        snprintf(keys[lane], sizeof keys[lane], "k%d", i);
        if (lam_lane_of(keys[lane], nlanes) == lane)
            return keys[lane];
    }
}

static void test_safe_prefix(void **st)
{
    (void)st;
    /* records 0..7 in lanes 0 1 0 2 1 0 2 2 */
    static const int lane_of_rec[] = {0, 1, 0, 2, 1, 0, 2, 2};
    const char *keys[8], *slots[3];
    for (int k = 0; k < 3; k++)
        slots[k] = key_in_lane(k, 3);
    for (int i = 0; i < 8; i++)
        keys[i] = slots[lane_of_rec[i]];
    lam_lanes ls;
    assert_int_equal(lam_lanes_init(&ls, keys, 8, 3), 0);
    static const struct { int lane; size_t done, safe; } steps[] = {
        {2, 3, 0},  /* lane 2 (3, 6, 7) all done: record 0 still pending */
        {1, 1, 0},  /* lane 1 record 1 */
        {0, 1, 2},  /* lane 0 record 0: 0, 1 safe; 2 pending */
        {0, 0, 2},  /* acks never move back */
        {0, 2, 4},  /* record 2: then 3 (lane 2) done, 4 (lane 1) pending */
        {1, 2, 5},  /* record 4: 5 (lane 0) pending */
        {0, 3, 8},  /* everything */
        {0, 9, 8},  /* clamped */
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        assert_int_equal(lam_lanes_ack(&ls, steps[i].lane, steps[i].done), steps[i].safe);
    lam_lanes_free(&ls);
}

/* --- scenarios on a fake clock ---------------------------------------------- */

#define NREC 12
typedef struct scenario {
    const char *name;
    int nlanes;
    int lane_of_rec[NREC];   /* lane of each chunk record */
    int ms_per_call[3];      /* each lane's invocation time */
    int fails[NREC];         /* failing invocations containing record i; -1 forever */
    lam_esm_params p;
    const char *ckpts;       /* "t:safe," each time the checkpoint moved */
    int discarded;
} scenario;

typedef struct sim_lane {
    size_t cnt, off;         /* lane records; start of the current batch */
    const size_t *idx;
    lam_esm_run run;
    int64_t busy_until;
    bool idle;
} sim_lane;

/* The fake function: fails while a record with fails[] != 0 is in the batch. */
static lam_outcome sim_call(int *fails, const size_t *idx, size_t lo, size_t hi)
{
    bool fail = false;
    for (size_t i = lo; i < hi; i++)
        if (fails[idx[i]] != 0) {
            fail = true;
            if (fails[idx[i]] > 0)
                fails[idx[i]]--;
        }
    return fail ? LAM_OUT_ERROR : LAM_OUT_OK;
}

static void sim_start_batch(sim_lane *l, const scenario *s)
{
    size_t left = l->cnt - l->off;
    size_t n = left < (size_t)s->p.batch_size ? left : (size_t)s->p.batch_size;
    lam_esm_run_init(&l->run, n, n);
    l->idle = n == 0;
}

static void run_sim(const scenario *s)
{
    const char *slots[3];
    for (int k = 0; k < s->nlanes; k++)
        slots[k] = key_in_lane(k, s->nlanes);
    const char *keys[NREC];
    for (int i = 0; i < NREC; i++)
        keys[i] = slots[s->lane_of_rec[i]];
    int fails[NREC];
    memcpy(fails, s->fails, sizeof fails);
    lam_lanes ls;
    assert_int_equal(lam_lanes_init(&ls, keys, NREC, s->nlanes), 0);
    sim_lane lanes[3];
    memset(lanes, 0, sizeof lanes);
    for (int k = 0; k < s->nlanes; k++) {
        lanes[k].idx = lam_lanes_get(&ls, k, &lanes[k].cnt);
        sim_start_batch(&lanes[k], s);
        lanes[k].busy_until = s->ms_per_call[k];
    }
    char trace[256] = "";
    size_t safe = 0, discarded = 0;
    for (int64_t now = 1; now < 100000; now++) { /* the fake clock, in ms */
        bool all_idle = true;
        for (int k = 0; k < s->nlanes; k++) {
            sim_lane *l = &lanes[k];
            all_idle = all_idle && l->idle;
            if (l->idle || now < l->busy_until)
                continue;
            const size_t *idx = l->idx + l->off;
            size_t before = l->run.discarded;
            int64_t delay;
            lam_outcome out = sim_call(fails, idx, l->run.lo, l->run.hi);
            lam_next nx = lam_esm_after(&l->run, &s->p, out, 0, &delay);
            discarded += l->run.discarded - before;
            size_t now_safe = lam_lanes_ack(&ls, k, l->off + l->run.done);
            if (now_safe != safe) {
                snprintf(trace + strlen(trace), sizeof trace - strlen(trace), "%lld:%zu,",
                         (long long)now, now_safe);
                safe = now_safe;
            }
            /* Invariant: every record below the checkpoint is acknowledged. */
            for (size_t i = 0; i < safe; i++) {
                int lane = s->lane_of_rec[i];
                size_t pos = 0;
                while (lanes[lane].idx[pos] != i)
                    pos++;
                assert_true(pos < ls.done[lane]);
            }
            if (nx == LAM_NEXT_DONE) {
                l->off += l->run.n;
                sim_start_batch(l, s);
            }
            l->busy_until = now + delay + s->ms_per_call[k];
        }
        if (all_idle)
            break;
    }
    if (strcmp(trace, s->ckpts) != 0)
        fail_msg("%s: checkpoints %s, expected %s", s->name, trace, s->ckpts);
    assert_int_equal(safe, NREC);
    assert_int_equal(discarded, s->discarded);
    lam_lanes_free(&ls);
}

static void test_scenarios(void **st)
{
    (void)st;
    lam_esm_params p = {.batch_size = 2, .max_retry = -1, .max_age_s = -1,
                        .retry_base_ms = 10};
    lam_esm_params r1 = p, bis = p;
    r1.max_retry = 1;
    bis.bisect = true;
    bis.max_retry = 0;
    bis.batch_size = 4;
    const scenario cases[] = {
        {"one lane = one poller", 1, {0}, {10, 0, 0}, {0}, p,
         "10:2,20:4,30:6,40:8,50:10,60:12,", 0},
        {"three lanes, lane 0 slow", 3, {0, 1, 2, 1, 2, 1, 2, 0, 1, 2, 0, 2}, {50, 10, 10},
         {0}, p, "50:10,100:12,", 0},
        {"lane 1 retries block the checkpoint, not lane 2", 3,
         {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}, {10, 10, 10}, {[1] = 2}, p,
         "10:1,60:7,70:12,", 0},
        {"retries exhausted in one lane", 3, {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2},
         {10, 10, 10}, {[4] = -1}, r1, "10:1,30:7,40:12,", 2},
        {"bisect inside a lane", 2, {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, {10, 10, 0},
         {[2] = -1}, bis, "30:2,40:4,50:8,60:12,", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        run_sim(&cases[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lane_of), cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_safe_prefix), cmocka_unit_test(test_scenarios),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
