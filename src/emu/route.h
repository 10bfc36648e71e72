/*
 * route.h - which handler serves which request.
 */
#ifndef EMU_ROUTE_H
#define EMU_ROUTE_H

#include "http.h"

/* How a handler runs (http.c): on the event thread; as a coroutine that
 * gives the thread back while it waits for storage; or on a thread of its
 * own, for handlers that block for long (the Lambda Runtime API's `next`,
 * Invoke). */
typedef enum { ROUTE_INLINE, ROUTE_COROUTINE, ROUTE_THREAD } route_mode;

/* The handler for req by the route table in route.c (a 404 answer when
 * nothing matches) and how it must run. */
http_handler route_find(struct emu *emu, http_req *req, route_mode *mode);
/* Answer a request whose body exceeded the server's limit. */
void route_too_large(struct emu *emu, http_req *req, http_resp *resp);

#endif
