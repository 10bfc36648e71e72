/*
 * config.h - the handler's configuration, read once from the environment.
 *
 * Owns: every environment variable the handler reads, their defaults and
 * validation, the retry policy (attempts, exponential backoff with full
 * jitter) and the dedup mode names.  Nothing here does I/O besides getenv.
 *
 *   TABLE_NAME                 table (default "searchFaceResponse")
 *   DEDUP_MODE                 sighting (default) | first-seen | summary
 *   AWS_REGION / AWS_DEFAULT_REGION      region (default "us-east-1")
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *   AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL; else
 *                              https://dynamodb.<region>.amazonaws.com
 *   DDB_MAX_ATTEMPTS           tries per request, 1..20 (default 8)
 *   DDB_BACKOFF_BASE_MS        first backoff ceiling (default 25)
 *   DDB_BACKOFF_MAX_MS         backoff ceiling (default 2000)
 *   DDB_TIMEOUT_MS             per-attempt HTTP timeout (default 5000)
 */
#ifndef FI_CONFIG_H
#define FI_CONFIG_H

#include <stddef.h>

typedef enum { FI_MODE_SIGHTING = 0, FI_MODE_FIRST_SEEN, FI_MODE_SUMMARY } fi_mode;

typedef struct fi_retry {
    int max_attempts;      /* total tries, >= 1 */
    unsigned base_ms;      /* ceiling of the first backoff */
    unsigned max_ms;       /* ceiling of any backoff */
} fi_retry;

typedef struct fi_config {
    char table[256];
    char region[64];
    char endpoint[512];    /* scheme://host[:port], no trailing slash */
    char access_key[256];
    char secret_key[256];
    char session_token[4096];
    fi_mode mode;
    fi_retry retry;
    long timeout_ms;
} fi_config;

/*
 * Fill *c from the environment.  Returns 0, or -1 with a message in
 * why[0..whylen) for an invalid value (unknown DEDUP_MODE, bad number,
 * value too long).  Missing credentials are not an error here: a local
 * endpoint may not check them; the client signs with what it has.
 */
int fi_config_load(fi_config *c, char *why, size_t whylen);

/* "sighting", "first-seen", "summary"; -1 when unknown. */
int fi_mode_parse(const char *name);
const char *fi_mode_name(fi_mode m);

/*
 * Delay before retry number `attempt` (1 = first retry): a uniform draw in
 * [0, min(max_ms, base_ms * 2^(attempt-1))] ("full jitter"), using rnd as
 * the random source so tests are deterministic.
 */
unsigned fi_retry_delay_ms(const fi_retry *r, int attempt, unsigned rnd);

#endif
