/*
 * route.h - which handler serves which request.
 */
#ifndef EMU_ROUTE_H
#define EMU_ROUTE_H

#include "http.h"

/* Serve req by the route table in route.c (404 when nothing matches). */
void route_dispatch(struct emu *emu, http_req *req, http_resp *resp);
/* Answer a request whose body exceeded the server's limit. */
void route_too_large(struct emu *emu, http_req *req, http_resp *resp);

#endif
