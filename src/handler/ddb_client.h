/*
 * ddb_client.h - a small DynamoDB client: JSON 1.0 over libcurl, signed
 * with SigV4 (common/sigv4.h), with the SDKs' retry behaviour.
 *
 * Owns: the HTTP exchange (libcurl easy handles kept by the client and
 * reused across invocations so their TCP/TLS connections stay open; a
 * multi handle runs several requests at once), request signing, the
 * classification of DynamoDB errors into fi_ddb_status, and retries with
 * exponential backoff and full jitter on throttling, 5xx and network errors.
 *
 * ddbc_new() borrows cfg, which must outlive the client; ddbc_free() frees
 * the client.  ddbc_call() matches fi_ddb.call (see fi_ddb.h).
 */
#ifndef DDB_CLIENT_H
#define DDB_CLIENT_H

#include <jansson.h>

#include "config.h"
#include "fi_ddb.h"

typedef struct ddbc_client ddbc_client;

ddbc_client *ddbc_new(const fi_config *cfg);
void ddbc_free(ddbc_client *c);

/* The fi_ddb seam over this client (borrows c). */
fi_ddb ddbc_as_fi_ddb(ddbc_client *c);

/* One operation, retried as the policy in cfg->retry says. */
fi_ddb_status ddbc_call(void *client, const char *op, const char *body, json_t **resp,
                        fi_ddb_result *res);

/* n operations `op` at once (fi_ddb.call_many): up to 16 first attempts
 * in flight together, then each failure retried alone as ddbc_call would. */
void ddbc_call_many(void *client, const char *op, const char *const *bodies, size_t n,
                    json_t **resps, fi_ddb_result *res);

void ddbc_sleep_ms(void *client, unsigned ms);

/*
 * Pure rules, exposed for tests.  ddbc_short_type() strips the
 * "com.amazonaws.dynamodb.v20120810#" prefix of a __type.
 * ddbc_classify() maps an HTTP status and short __type to a status;
 * http_status 0 means no response (network error).  ddbc_retryable() says
 * whether that answer is worth another attempt.
 */
const char *ddbc_short_type(const char *type);
fi_ddb_status ddbc_classify(long http_status, const char *type);
int ddbc_retryable(long http_status, const char *type);

/* "host[:port]" of an endpoint URL into out[0..cap); -1 when malformed. */
int ddbc_endpoint_host(const char *endpoint, char *out, size_t cap);

#endif
