/*
 * test_co.c - src/emu/co.c: a coroutine runs to its end or to co_wait,
 * resumes where it waited, is woken through its hook from another thread
 * (before or after it has given the thread back), keeps its own stack
 * across waits, keeps its registers and rounding mode apart from the
 * caller's, and has room for deep recursion.
 */
#include <fenv.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu/co.h"

typedef struct {
    int steps;             /* how far the body got */
    int wakes;             /* calls of the wake hook */
    co_t *seen_self;       /* co_self() inside the body */
    char trace[64];
} probe;

static void on_wake(void *arg)
{
    __atomic_add_fetch(&((probe *)arg)->wakes, 1, __ATOMIC_SEQ_CST);
}

static void body_waits_twice(void *arg)
{
    probe *p = arg;
    char local[32];
    strcpy(local, "kept"); /* lives on the coroutine's stack across waits */
    p->seen_self = co_self();
    p->steps = 1;
    co_wait();
    p->steps = 2;
    co_wait();
    p->steps = 3;
    strcat(p->trace, local);
}

static void test_runs_waits_and_resumes(void **state)
{
    (void)state;
    probe p = {0};
    co_t *co = co_new(body_waits_twice, &p, on_wake, &p);
    assert_non_null(co);
    assert_null(co_self());
    assert_false(co_run(co));
    assert_int_equal(p.steps, 1);
    assert_ptr_equal(p.seen_self, co);
    assert_null(co_self()); /* back on the caller's stack */
    co_wake(co);
    assert_int_equal(p.wakes, 1);
    assert_false(co_run(co));
    assert_int_equal(p.steps, 2);
    assert_true(co_run(co));
    assert_int_equal(p.steps, 3);
    assert_string_equal(p.trace, "kept");
    co_free(co);
}

static void body_returns(void *arg)
{
    ((probe *)arg)->steps = 42;
}

static void test_finishes_without_waiting(void **state)
{
    (void)state;
    probe p = {0};
    for (int i = 0; i < 200; i++) { /* stacks are recycled */
        co_t *co = co_new(body_returns, &p, on_wake, &p);
        assert_non_null(co);
        p.steps = 0;
        assert_true(co_run(co));
        assert_int_equal(p.steps, 42);
        co_free(co);
    }
    assert_int_equal(p.wakes, 0);
}

static void *waker(void *arg)
{
    co_wake(arg);
    return NULL;
}

static void body_waits_once(void *arg)
{
    probe *p = arg;
    p->steps = 1;
    co_wait();
    p->steps = 2;
}

static void test_woken_from_another_thread(void **state)
{
    (void)state;
    probe p = {0};
    co_t *co = co_new(body_waits_once, &p, on_wake, &p);
    assert_false(co_run(co));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waker, co), 0);
    pthread_join(t, NULL);
    assert_int_equal(__atomic_load_n(&p.wakes, __ATOMIC_SEQ_CST), 1);
    assert_true(co_run(co));
    assert_int_equal(p.steps, 2);
    co_free(co);
}

/* Values live in callee-saved and SSE registers across the waits; the
 * rounding mode set inside belongs to the coroutine alone. */
static void body_keeps_state(void *arg)
{
    probe *p = arg;
    volatile double seed = 1.5;
    double d = seed * 3.0;
    long a = p->steps + 11, b = a * 7, c = b ^ 0x5a5a;
    fesetround(FE_DOWNWARD);
    co_wait();
    int mode = fegetround();
    fesetround(FE_TONEAREST);
    co_wait();
    p->steps = (d == 4.5 && a == 11 && b == 77 && c == (77 ^ 0x5a5a) && mode == FE_DOWNWARD)
                   ? 7 : -1;
}

static void test_keeps_registers_and_rounding(void **state)
{
    (void)state;
    probe p = {0};
    co_t *co = co_new(body_keeps_state, &p, on_wake, &p);
    assert_false(co_run(co));
    assert_int_equal(fegetround(), FE_TONEAREST); /* the caller's mode is its own */
    fesetround(FE_UPWARD);
    assert_false(co_run(co));
    assert_int_equal(fegetround(), FE_UPWARD);
    fesetround(FE_TONEAREST);
    assert_true(co_run(co));
    assert_int_equal(p.steps, 7);
    co_free(co);
}

static int recurse(int n)
{
    volatile char pad[256];
    pad[0] = (char)n;
    return n == 0 ? pad[0] : recurse(n - 1) + 1 + pad[0] * 0;
}

static void body_deep(void *arg)
{
    ((probe *)arg)->steps = recurse(1500); /* ~400 KB of frames */
}

static void test_deep_recursion_fits(void **state)
{
    (void)state;
    probe p = {0};
    co_t *co = co_new(body_deep, &p, on_wake, &p);
    assert_true(co_run(co));
    assert_int_equal(p.steps, 1500);
    co_free(co);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_waits_and_resumes),
        cmocka_unit_test(test_finishes_without_waiting),
        cmocka_unit_test(test_woken_from_another_thread),
        cmocka_unit_test(test_keeps_registers_and_rounding),
        cmocka_unit_test(test_deep_recursion_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
