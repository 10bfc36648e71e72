/*
 * co.c - coroutines (see co.h for the contract).
 *
 * On x86-64 a switch is a few instructions of our own (co_switch below):
 * glibc's swapcontext saves and restores the signal mask, a sigprocmask
 * system call per switch, and getcontext one more per coroutine: five
 * system calls per DynamoDB write, 3% of an event thread's time.  Nothing
 * here changes the signal mask, so there is nothing to save.  Elsewhere,
 * and when the compiler enforces a shadow stack (-fcf-protection=return,
 * which a return onto another stack would break), ucontext remains.
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
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__) && !(defined(__CET__) && (__CET__ & 2))
#define CO_ASM 1
#else
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define CO_ASAN 1
#endif

#define CO_STACK (1024 * 1024)
#define CO_GUARD 4096
#define CO_POOL 64

struct co {
#ifdef CO_ASM
    void *sp;                /* its stack pointer while it is away */
    void *back;              /* the event thread's, while it runs */
#else
    ucontext_t ctx;
#endif
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

/* The coroutine running on this thread (and, with ucontext, where it
 * returns to). */
static __thread co_t *co_cur;
#ifndef CO_ASM
static __thread ucontext_t co_back;
#endif

#ifdef CO_ASM
/* co_switch(from, to): push the callee-saved registers and the SSE/x87
 * control words (callee-saved too, in the ABI) on this stack, store the
 * stack pointer in *from, take `to` as the stack pointer and pop the same
 * from there.  The return lands where that stack last called co_switch,
 * or for a new stack in co_entry (see co_prepare). */
void co_switch(void **from, void *to) __attribute__((visibility("hidden")));
__asm__(".text\n"
        ".p2align 4\n"
        ".globl co_switch\n"
        ".hidden co_switch\n"
        ".type co_switch, @function\n"
        "co_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    subq $8, %rsp\n"
        "    stmxcsr (%rsp)\n"
        "    fnstcw 4(%rsp)\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    ldmxcsr (%rsp)\n"
        "    fldcw 4(%rsp)\n"
        "    addq $8, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size co_switch, .-co_switch\n");
#endif

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
#ifdef CO_ASAN
    /* The frame that never returned (co_entry's) may leave poisoned
     * redzones for the next coroutine on this stack to trip on. */
    __asan_unpoison_memory_region(s + CO_GUARD, CO_STACK - CO_GUARD);
#endif
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
    /* Never returns: this stack is finished. */
#ifdef CO_ASM
    co_switch(&co->sp, co->back);
#else
    setcontext(&co_back);
#endif
    abort();
}

#ifdef CO_ASM
/* A new stack as co_switch leaves a suspended one: control words, six
 * registers, and co_entry as the return address, placed so that co_entry
 * starts with the stack aligned as after a call; above it a null return
 * address, where backtraces end. */
static int co_prepare(co_t *co)
{
    uint32_t mxcsr;
    uint16_t fpucw;
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(fpucw));
    void **sp = (void **)(((uintptr_t)co->stack + CO_STACK) & ~(uintptr_t)15);
    *--sp = NULL;
    *--sp = (void *)co_entry;
    for (int i = 0; i < 6; i++)
        *--sp = NULL;
    *--sp = (void *)(uintptr_t)(mxcsr | (uint64_t)fpucw << 32);
    co->sp = sp;
    return 0;
}
#else
/* getcontext returns twice in principle (not here: nothing ever returns to
 * this context), so it stays in a function of its own with no locals. */
static int co_prepare(co_t *co)
{
    ucontext_t *ctx = &co->ctx;
    if (getcontext(ctx) != 0)
        return -1;
    ctx->uc_stack.ss_sp = co->stack + CO_GUARD;
    ctx->uc_stack.ss_size = CO_STACK - CO_GUARD;
    ctx->uc_link = NULL;
    makecontext(ctx, co_entry, 0);
    return 0;
}
#endif

co_t *co_new(co_fn fn, void *arg, co_wake_fn wake, void *wake_arg)
{
    co_t *co = calloc(1, sizeof *co);
    if (co == NULL)
        return NULL;
    co->fn = fn;
    co->arg = arg;
    co->wake = wake;
    co->wake_arg = wake_arg;
    if ((co->stack = co_stack_get()) == NULL || co_prepare(co) != 0) {
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
#ifdef CO_ASM
    co_switch(&co->back, co->sp);
#else
    swapcontext(&co_back, &co->ctx);
#endif
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
#ifdef CO_ASM
    co_switch(&co->sp, co->back);
#else
    swapcontext(&co->ctx, &co_back);
#endif
#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(co->fake, &co->back_bottom, &co->back_size);
#endif
}

void co_wake(co_t *co)
{
    co->wake(co->wake_arg);
}
