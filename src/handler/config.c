/*
 * config.c - environment configuration and retry policy, see config.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"sighting", "first-seen", "summary"};

int fi_mode_parse(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, mode_names[i]) == 0)
            return i;
    return -1;
}

const char *fi_mode_name(fi_mode m)
{
    return (m >= 0 && m <= FI_MODE_SUMMARY) ? mode_names[m] : "unknown";
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return (v && *v) ? v : dflt;
}

/* Copy an env value into dst; -1 when it does not fit. */
static int copy_env(char *dst, size_t cap, const char *name, const char *value, char *why,
                    size_t whylen)
{
    if (strlen(value) >= cap) {
        snprintf(why, whylen, "%s is too long (max %zu bytes)", name, cap - 1);
        return -1;
    }
    memcpy(dst, value, strlen(value) + 1);
    return 0;
}

static int env_long(const char *name, long dflt, long lo, long hi, long *out, char *why,
                    size_t whylen)
{
    const char *v = getenv(name);
    char *end = NULL;
    if (!v || !*v) {
        *out = dflt;
        return 0;
    }
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < lo || n > hi) {
        snprintf(why, whylen, "%s=%s is not an integer in [%ld, %ld]", name, v, lo, hi);
        return -1;
    }
    *out = n;
    return 0;
}

static int load_endpoint(fi_config *c, char *why, size_t whylen)
{
    const char *ep = env_or("AWS_ENDPOINT_URL_DYNAMODB", env_or("AWS_ENDPOINT_URL", NULL));
    char dflt[128];
    if (!ep) {
        snprintf(dflt, sizeof dflt, "https://dynamodb.%s.amazonaws.com", c->region);
        ep = dflt;
    }
    if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0) {
        snprintf(why, whylen, "endpoint %s must start with http:// or https://", ep);
        return -1;
    }
    if (copy_env(c->endpoint, sizeof c->endpoint, "AWS_ENDPOINT_URL_DYNAMODB", ep, why, whylen))
        return -1;
    size_t n = strlen(c->endpoint);
    while (n > 0 && c->endpoint[n - 1] == '/')
        c->endpoint[--n] = '\0';
    return 0;
}

int fi_config_load(fi_config *c, char *why, size_t whylen)
{
    long attempts, base, max, timeout;
    memset(c, 0, sizeof *c);
    const char *mode = env_or("DEDUP_MODE", "sighting");
    int m = fi_mode_parse(mode);
    if (m < 0) {
        snprintf(why, whylen, "DEDUP_MODE=%s is not one of sighting, first-seen, summary", mode);
        return -1;
    }
    c->mode = (fi_mode)m;
    if (copy_env(c->table, sizeof c->table, "TABLE_NAME", env_or("TABLE_NAME", "searchFaceResponse"),
                 why, whylen) ||
        copy_env(c->region, sizeof c->region, "AWS_REGION",
                 env_or("AWS_REGION", env_or("AWS_DEFAULT_REGION", "us-east-1")), why, whylen) ||
        copy_env(c->access_key, sizeof c->access_key, "AWS_ACCESS_KEY_ID",
                 env_or("AWS_ACCESS_KEY_ID", ""), why, whylen) ||
        copy_env(c->secret_key, sizeof c->secret_key, "AWS_SECRET_ACCESS_KEY",
                 env_or("AWS_SECRET_ACCESS_KEY", ""), why, whylen) ||
        copy_env(c->session_token, sizeof c->session_token, "AWS_SESSION_TOKEN",
                 env_or("AWS_SESSION_TOKEN", ""), why, whylen) ||
        load_endpoint(c, why, whylen))
        return -1;
    if (env_long("DDB_MAX_ATTEMPTS", 8, 1, 20, &attempts, why, whylen) ||
        env_long("DDB_BACKOFF_BASE_MS", 25, 0, 60000, &base, why, whylen) ||
        env_long("DDB_BACKOFF_MAX_MS", 2000, 0, 600000, &max, why, whylen) ||
        env_long("DDB_TIMEOUT_MS", 5000, 100, 900000, &timeout, why, whylen))
        return -1;
    c->retry.max_attempts = (int)attempts;
    c->retry.base_ms = (unsigned)base;
    c->retry.max_ms = (unsigned)max;
    c->timeout_ms = timeout;
    return 0;
}

unsigned fi_retry_delay_ms(const fi_retry *r, int attempt, unsigned rnd)
{
    unsigned long long ceil = r->base_ms;
    for (int i = 1; i < attempt && ceil < r->max_ms; i++)
        ceil *= 2;
    if (ceil > r->max_ms)
        ceil = r->max_ms;
    return (unsigned)(ceil == 0 ? 0 : rnd % (ceil + 1));
}
