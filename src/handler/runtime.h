/*
 * runtime.h - the Lambda custom-runtime loop (Runtime API 2018-06-01).
 *
 * Owns the HTTP exchange with AWS_LAMBDA_RUNTIME_API: GET
 * /runtime/invocation/next (blocking, no timeout), then POST
 * /runtime/invocation/<id>/response with the partial batch response, or
 * .../error with {"errorMessage","errorType","stackTrace":[]} and the
 * Lambda-Runtime-Function-Error-Type header.  One libcurl handle, so the
 * connection to the Runtime API is kept alive between invocations.
 */
#ifndef RUNTIME_H
#define RUNTIME_H

#include "face_ingest.h"

/*
 * Serve invocations until the Runtime API fails (500 from next, or the
 * endpoint unreachable after a few tries).  api is "host:port" (borrowed).
 * Returns -1 when it stops; it only returns on failure.
 */
int rt_run(fi_ctx *ctx, const char *api);

/* Report an initialisation error (POST /runtime/init/error); 0 on 202. */
int rt_init_error(const char *api, const char *type, const char *message);

/* The error document the Runtime API takes; new reference. */
json_t *rt_error_body(const char *type, const char *message);

#endif
