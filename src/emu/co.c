/*
 * co.c - coroutines on ucontext (see co.h for the contract).
 *
 * Stacks are 1 MB of address space each, reserved but only backed where
 * touched (a request uses a few tens of KB; jansson's recursive parser on
 * a hostile body is what the size is for), with a guard page below, and
 * recycled through a small pool so a request costs no mmap.  Under
 * AddressSanitizer every switch is announced, or it would mistake the
 * other stack for an overflow.
 */
#include "co.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CO_ASAN 1
#endif

#define CO_STACK (1024 * 1024)
#define CO_GUARD 4096
#define CO_POOL 64

struct co {
    ucontext_t ctx;
    co_fn fn;
    void *arg;
    co_wake_fn wake;
    void *wake_arg;
    char *stack;             /* CO_STACK bytes, the lowest CO_GUARD inaccessible */
    bool done;
#ifdef CO_ASAN
    void *fake;              /* ASan's fake stack of this coroutine while away */
    const void *back_bottom; /* the event thread's stack, for switching back */
    size_t back_size;
#endif
};

/* The coroutine running on this thread and where it returns to. */
static __thread co_t *co_cur;
static __thread ucontext_t co_back;

static pthread_mutex_t co_pool_mu = PTHREAD_MUTEX_INITIALIZER;
static char *co_pool[CO_POOL];
static int co_npool;

static char *co_stack_get(void)
{
    char *s = NULL;
    pthread_mutex_lock(&co_pool_mu);
    if (co_npool > 0)
        s = co_pool[--co_npool];
    pthread_mutex_unlock(&co_pool_mu);
    if (s != NULL)
        return s;
    s = mmap(NULL, CO_STACK, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (s == MAP_FAILED)
        return NULL;
    if (mprotect(s, CO_GUARD, PROT_NONE) != 0) {
        munmap(s, CO_STACK);
        return NULL;
    }
    return s;
}

static void co_stack_put(char *s)
{
    pthread_mutex_lock(&co_pool_mu);
    if (co_npool < CO_POOL) {
        co_pool[co_npool++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&co_pool_mu);
    if (s != NULL)
        munmap(s, CO_STACK);
}

static void co_entry(void)
{
    co_t *co = co_cur;
#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &co->back_bottom, &co->back_size);
#endif
    co->fn(co->arg);
    co->done = true;
#ifdef CO_ASAN
    __sanitizer_start_switch_fiber(NULL, co->back_bottom, co->back_size);
#endif
    setcontext(&co_back); /* never returns: this stack is finished */
}

/* getcontext returns twice in principle (not here: nothing ever returns to
 * this context), so it stays in a function of its own with no locals. */
static int co_prepare(ucontext_t *ctx, char *stack)
{
    if (getcontext(ctx) != 0)
        return -1;
    ctx->uc_stack.ss_sp = stack + CO_GUARD;
    ctx->uc_stack.ss_size = CO_STACK - CO_GUARD;
    ctx->uc_link = NULL;
    makecontext(ctx, co_entry, 0);
    return 0;
}

co_t *co_new(co_fn fn, void *arg, co_wake_fn wake, void *wake_arg)
{
    co_t *co = calloc(1, sizeof *co);
    if (co == NULL)
        return NULL;
    co->fn = fn;
    co->arg = arg;
    co->wake = wake;
    co->wake_arg = wake_arg;
    if ((co->stack = co_stack_get()) == NULL || co_prepare(&co->ctx, co->stack) != 0) {
        co_free(co);
        return NULL;
    }
    return co;
}

bool co_run(co_t *co)
{
    co_t *prev = co_cur;
    co_cur = co;
#ifdef CO_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, co->stack + CO_GUARD, CO_STACK - CO_GUARD);
#endif
    swapcontext(&co_back, &co->ctx);
#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    co_cur = prev;
    return co->done;
}

void co_free(co_t *co)
{
    if (co == NULL)
        return;
    if (co->stack != NULL)
        co_stack_put(co->stack);
    free(co);
}

co_t *co_self(void)
{
    return co_cur;
}

void co_wait(void)
{
    co_t *co = co_cur;
#ifdef CO_ASAN
    __sanitizer_start_switch_fiber(&co->fake, co->back_bottom, co->back_size);
#endif
    swapcontext(&co->ctx, &co_back);
#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(co->fake, &co->back_bottom, &co->back_size);
#endif
}

void co_wake(co_t *co)
{
    co->wake(co->wake_arg);
}
