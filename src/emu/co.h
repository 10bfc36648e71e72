/*
 * co.h - coroutines: a request handler that must wait (for the commit of
 * its write) gives its thread back instead of blocking it.
 *
 * The HTTP layer runs each JSON-protocol request as a coroutine on one of
 * a few event threads.  When the handler reaches a wait point (store.c's
 * job submission), co_wait() switches back to the event thread, which
 * parks the connection and serves others; whoever finishes the awaited
 * work calls co_wake(), which asks the owner (through the wake hook) to
 * run the coroutine again on its own thread.  Code that runs outside a
 * coroutine (co_self() == NULL) blocks as before.
 *
 * A coroutine is owned by the thread that created it: only that thread
 * calls co_run and co_free.  co_wake may be called from any thread, once
 * per co_wait.
 */
#ifndef EMU_CO_H
#define EMU_CO_H

#include <stdbool.h>

typedef struct co co_t;
typedef void (*co_fn)(void *arg);
/* Called by co_wake, on the waker's thread: arrange for co_run soon. */
typedef void (*co_wake_fn)(void *arg);

/* A coroutine that will run fn(arg); NULL when out of memory. */
co_t *co_new(co_fn fn, void *arg, co_wake_fn wake, void *wake_arg);
/* Run co until fn returns (true) or it waits (false). */
bool co_run(co_t *co);
/* Release a coroutine that has finished (or never ran). */
void co_free(co_t *co);

/* The coroutine running on this thread, or NULL. */
co_t *co_self(void);
/* Inside a coroutine: give the thread back until co_wake and co_run. */
void co_wait(void);
/* Wake a coroutine that waits or is about to wait (any thread). */
void co_wake(co_t *co);

#endif
