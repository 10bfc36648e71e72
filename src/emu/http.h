/*
 * http.h - the HTTP glue: libmicrohttpd in, route handlers out.
 *
 * The HTTP layer collects a request's body, finds the route, calls the
 * handler and writes the response and the request's log line.  Handlers
 * never touch libmicrohttpd: they read an http_req and fill an http_resp.
 * They are written as if they had a thread to themselves: a route says
 * how that is provided (route.h) - a coroutine that gives its event thread
 * back while it waits for storage, or a thread of its own for handlers
 * that block for long (the Lambda Runtime API's `next`).
 */
#ifndef EMU_HTTP_H
#define EMU_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct emu;

#define HTTP_MAX_HEADERS 12

typedef struct http_req {
    void *conn;              /* struct MHD_Connection *, for header/query look-ups */
    const char *method;
    const char *path;
    char *body;              /* NUL-terminated, owned by the HTTP layer */
    size_t body_len;
    /* Filled by the handler for the request log line. */
    char log_op[64];
    char log_resource[160];
} http_req;

typedef struct http_resp {
    int status;
    char *body;              /* malloc'd, owned by the response */
    size_t body_len;
    char content_type[64];
    int nheaders;
    struct { char *name, *value; } headers[HTTP_MAX_HEADERS];
} http_resp;

/* A route handler: fill resp (status, body, headers); return nothing. */
typedef void (*http_handler)(struct emu *emu, http_req *req, http_resp *resp);

/* Request accessors (borrowed strings, valid during the request). */
const char *http_req_header(const http_req *req, const char *name);
const char *http_req_query(const http_req *req, const char *name);

/* Response helpers.  http_resp_body steals a malloc'd body; http_resp_json
 * steals the value and serialises it compactly. */
void http_resp_header(http_resp *resp, const char *name, const char *value);
void http_resp_body(http_resp *resp, int status, const char *content_type, char *body,
                    size_t len);
void http_resp_json(http_resp *resp, int status, const char *content_type, json_t *value);
void http_resp_text(http_resp *resp, int status, const char *text);

/* Start/stop the daemon on host:port (port 0 picks a free one; the chosen
 * port is stored back). */
int http_start(struct emu *emu, const char *host, int *port);
void http_stop(struct emu *emu);

/* A fresh request id (36-char UUID v4 text, NUL-terminated in buf[37]). */
void http_request_id(char buf[37]);

#endif
