/*
 * sigv4.h - AWS Signature Version 4 (header signing), on OpenSSL libcrypto.
 *
 * Owns: the canonical request, the string to sign, the signing-key
 * derivation and the Authorization header value.  Pure functions, no I/O,
 * no clock: the caller passes the X-Amz-Date value (sigv4_amz_date() formats
 * one), so the published AWS test-suite vectors reproduce byte for byte.
 *
 * Entry points: sigv4_sign() for clients; sigv4_canonical_request() and
 * sigv4_string_to_sign() expose the intermediate texts for tests.
 * All functions return 0 on success and -1 on failure (out of memory or
 * invalid input); every `char **out` string is allocated and the caller
 * frees it.  Inputs are borrowed.
 */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <time.h>

typedef struct sigv4_header {
    const char *name;   /* any case; lowercased when canonicalised */
    const char *value;  /* trimmed, inner whitespace runs collapsed */
} sigv4_header;

typedef struct sigv4_request {
    const char *method;        /* "GET", "POST" ... */
    const char *path;          /* raw (not percent-encoded) path, e.g. "/" */
    const char *query;         /* raw query without '?', may be NULL */
    const sigv4_header *headers; /* every header given is signed; must
                                  * include host and x-amz-date */
    size_t n_headers;
    const void *payload;       /* may be NULL when payload_len is 0 */
    size_t payload_len;
} sigv4_request;

typedef struct sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none; the caller adds the
                                * X-Amz-Security-Token header itself */
} sigv4_credentials;

/* Lowercase hex SHA-256 of data into out[65] (NUL-terminated). */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Format t (UTC) as "YYYYMMDDTHHMMSSZ" into out[17]. */
void sigv4_amz_date(time_t t, char out[17]);

/* The canonical request text (AWS "CanonicalRequest"). Caller frees *out. */
int sigv4_canonical_request(const sigv4_request *req, char **out);

/* The string to sign for a canonical request. Caller frees *out. */
int sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                         const char *canonical_request, char **out);

/*
 * Sign req and return the whole Authorization header value
 * ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...").
 * amz_date must equal the request's x-amz-date header.  Caller frees *out.
 */
int sigv4_sign(const sigv4_request *req, const sigv4_credentials *cred, const char *region,
               const char *service, const char *amz_date, char **authorization);

#endif
