/*
 * gen_kin.c - the Kinesis client of `emu generate`: JSON 1.1 over libcurl
 * (one handle, so the connection is reused), signed with SigV4, so it
 * talks to emu and to real Kinesis alike.
 *
 * Entry points: gen_kin_new/_free, gen_kin_call (one signed request),
 * gen_kin_put (PutRecords with retries), gen_kin_ensure_stream (--create),
 * gen_sleep.  Contracts in gen.h.
 *
 * Retry policy, as the AWS SDKs do it: failed entries (FailedRecordCount >
 * 0), throttled requests and 5xx/connection failures are retried with
 * exponential backoff and full jitter (50 ms doubling per round without
 * progress, capped at 5 s; a round that got some entries in resets it);
 * other 4xx errors are final.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/sigv4_curl.h"
#include "gen.h"

#define GEN_BODY_MAX (16u * 1024 * 1024)

struct gen_kin {
    gen_kin_config cfg;
    CURL *curl;
    char url[1024];
    char host[512];
    char *buf;              /* response body */
    size_t len, cap;
    gen_rng jitter;         /* backoff jitter; never touches record content */
};

int gen_sleep(double seconds)
{
    if (!(seconds > 0))
        return 0;
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    return nanosleep(&ts, NULL) == 0 ? 0 : -1;
}

static size_t gen_kin_on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    gen_kin *k = ud;
    size_t n = size * nmemb;
    return buf_append(&k->buf, &k->len, &k->cap, GEN_BODY_MAX, data, n) == 0 ? n : 0;
}

gen_kin *gen_kin_new(const gen_kin_config *cfg, char *err)
{
    const char *p = strstr(cfg->endpoint, "://");
    size_t n = p ? strcspn(p + 3, "/?#") : 0;
    if (!p || n == 0 || n >= sizeof ((gen_kin *)0)->host ||
        (strncmp(cfg->endpoint, "http://", 7) != 0 && strncmp(cfg->endpoint, "https://", 8) != 0)) {
        snprintf(err, GEN_ERR_MAX, "invalid endpoint '%s' (expected http[s]://host[:port])",
                 cfg->endpoint);
        return NULL;
    }
    gen_kin *k = calloc(1, sizeof *k);
    if (!k || !(k->curl = curl_easy_init())) {
        snprintf(err, GEN_ERR_MAX, "cannot initialise libcurl");
        free(k);
        return NULL;
    }
    k->cfg = *cfg;
    memcpy(k->host, p + 3, n);
    k->host[n] = '\0';
    snprintf(k->url, sizeof k->url, "%.*s/", (int)(p + 3 + n - cfg->endpoint), cfg->endpoint);
    gen_rng_seed(&k->jitter, (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
    return k;
}

void gen_kin_free(gen_kin *k)
{
    if (!k)
        return;
    curl_easy_cleanup(k->curl);
    free(k->buf);
    free(k);
}

/* The signed header list for one request; NULL when out of memory. */
static struct curl_slist *gen_kin_headers(gen_kin *k, const char *target, const char *body)
{
    char date[17];
    char *authz = NULL;
    const char *token = k->cfg.session_token;
    bool has_token = token && *token;
    sigv4_amz_date(time(NULL), date);
    sigv4_header sh[5] = {{"host", k->host},
                          {"x-amz-date", date},
                          {"x-amz-target", target},
                          {"content-type", "application/x-amz-json-1.1"},
                          {"x-amz-security-token", has_token ? token : ""}};
    size_t nh = has_token ? 5 : 4;
    sigv4_request req = {"POST", "/", NULL, sh, nh, body, strlen(body)};
    sigv4_credentials cred = {k->cfg.access_key, k->cfg.secret_key, NULL};
    if (sigv4_sign(&req, &cred, k->cfg.region, "kinesis", date, &authz) != 0)
        return NULL;
    struct curl_slist *h = sigv4_curl_headers(sh, nh, authz);
    free(authz);
    return h;
}

int gen_kin_call(gen_kin *k, const char *action, json_t *req, long *status, json_t **resp,
                 char *err)
{
    char target[128], errbuf[CURL_ERROR_SIZE] = "";
    int rc = -1;
    struct curl_slist *h = NULL;
    char *body = json_dumps(req, JSON_COMPACT);
    *status = 0;
    *resp = NULL;
    snprintf(target, sizeof target, "Kinesis_20131202.%s", action);
    if (!body || !(h = gen_kin_headers(k, target, body))) {
        snprintf(err, GEN_ERR_MAX, "%s: out of memory", action);
        goto out;
    }
    CURL *e = k->curl;
    k->len = 0;
    curl_easy_setopt(e, CURLOPT_URL, k->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, gen_kin_on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 5L);
    CURLcode cc = curl_easy_perform(e);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
    if (cc != CURLE_OK) {
        snprintf(err, GEN_ERR_MAX, "%s: %s", action, errbuf[0] ? errbuf : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    if (k->len)
        *resp = json_loadb(k->buf, k->len, 0, NULL);
    rc = 0;
out:
    curl_slist_free_all(h);
    free(body);
    return rc;
}

/* "ResourceNotFoundException" from "com.amazonaws...#ResourceNotFoundException". */
static const char *gen_kin_error_type(json_t *resp)
{
    const char *t = json_string_value(json_object_get(resp, "__type"));
    const char *hash = t ? strrchr(t, '#') : NULL;
    return hash ? hash + 1 : t ? t : "";
}

static const char *gen_kin_error_message(json_t *resp)
{
    const char *m = json_string_value(json_object_get(resp, "message"));
    if (!m)
        m = json_string_value(json_object_get(resp, "Message"));
    return m ? m : "";
}

static bool gen_kin_retryable(long status, json_t *resp)
{
    const char *t = gen_kin_error_type(resp);
    return status == 0 || status >= 500 || status == 429 ||
           strcmp(t, "ProvisionedThroughputExceededException") == 0 ||
           strcmp(t, "LimitExceededException") == 0 || strcmp(t, "ThrottlingException") == 0 ||
           strcmp(t, "KMSThrottlingException") == 0;
}

/* Full-jitter backoff after `stalls` rounds in a row without progress
 * (1 = the last round made none); a partly accepted batch retries soon. */
static void gen_kin_backoff(gen_kin *k, int stalls)
{
    double cap = 0.05 * (double)(1u << (stalls < 7 ? stalls : 7));
    gen_sleep(gen_rng_range(&k->jitter, 0.0, cap < 5.0 ? cap : 5.0));
}

/* The PutRecords request for the entries listed in idx[0..n). */
static json_t *gen_kin_put_request(const char *stream, gen_entry *entries, size_t *idx, size_t n)
{
    json_t *recs = json_array();
    for (size_t i = 0; recs && i < n; i++) {
        gen_entry *e = &entries[idx[i]];
        if (json_array_append_new(recs, json_pack("{s:s,s:s}", "Data", e->data_b64,
                                                  "PartitionKey", e->pk)) != 0) {
            json_decref(recs);
            recs = NULL;
        }
    }
    return json_pack("{s:s,s:o}", strncmp(stream, "arn:", 4) == 0 ? "StreamARN" : "StreamName",
                     stream, "Records", recs);
}

/* Keep in idx only the entries that failed in resp; returns how many
 * remain, or (size_t)-1 when the response is malformed. */
static size_t gen_kin_keep_failed(json_t *resp, size_t *idx, size_t n)
{
    json_t *recs = json_object_get(resp, "Records");
    size_t kept = 0;
    if (!json_is_array(recs) || json_array_size(recs) != n)
        return (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(recs, i);
        if (json_object_get(r, "ErrorCode") || !json_object_get(r, "SequenceNumber"))
            idx[kept++] = idx[i];
    }
    return kept;
}

int gen_kin_put(gen_kin *k, const char *stream, gen_entry *entries, size_t n,
                gen_put_stats *st, volatile int *stop, char *err)
{
    size_t idx[GEN_PUT_MAX], pending = n;
    int rc = -1, called = 0, stalls = 0;
    if (n > GEN_PUT_MAX) {
        snprintf(err, GEN_ERR_MAX, "PutRecords: %zu entries (at most %d)", n, GEN_PUT_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (int attempt = 0; pending > 0; attempt++) {
        if (attempt > 0) {
            if (attempt >= k->cfg.max_attempts || (stop && *stop))
                break;
            st->retried += pending;
            gen_kin_backoff(k, stalls + 1);
        }
        long status = 0;
        json_t *resp = NULL, *req = gen_kin_put_request(stream, entries, idx, pending);
        called = req ? gen_kin_call(k, "PutRecords", req, &status, &resp, err) : -1;
        json_decref(req);
        if (!req)
            snprintf(err, GEN_ERR_MAX, "PutRecords: out of memory");
        if (!req || (called == 0 && status != 200 && !gen_kin_retryable(status, resp))) {
            if (req)
                snprintf(err, GEN_ERR_MAX, "PutRecords: HTTP %ld %s: %s", status,
                         gen_kin_error_type(resp), gen_kin_error_message(resp));
            json_decref(resp);
            goto out;
        }
        st->requests++;
        size_t left = called == 0 && status == 200 ? gen_kin_keep_failed(resp, idx, pending)
                                                   : (size_t)-1;
        stalls = left == (size_t)-1 || left == pending ? stalls + 1 : 0;
        if (left != (size_t)-1) {
            st->sent += pending - left;
            pending = left;
        }
        json_decref(resp);
    }
    st->dropped += pending;
    /* Entries left behind because the endpoint never answered: say so. */
    rc = pending > 0 && called != 0 ? -1 : 0;
out:
    return rc;
}

/* DescribeStreamSummary: the status string into out, "" when the stream
 * does not exist; -1 on other errors. */
static int gen_kin_stream_status(gen_kin *k, json_t *id, char *out, size_t cap, char *err)
{
    long status;
    json_t *resp = NULL;
    int rc = -1;
    out[0] = '\0';
    if (gen_kin_call(k, "DescribeStreamSummary", id, &status, &resp, err) != 0)
        return -1;
    if (status == 200) {
        const char *s = json_string_value(json_object_get(
            json_object_get(resp, "StreamDescriptionSummary"), "StreamStatus"));
        snprintf(out, cap, "%s", s ? s : "UNKNOWN");
        rc = 0;
    } else if (strcmp(gen_kin_error_type(resp), "ResourceNotFoundException") == 0) {
        rc = 0;
    } else {
        snprintf(err, GEN_ERR_MAX, "DescribeStreamSummary: HTTP %ld %s: %s", status,
                 gen_kin_error_type(resp), gen_kin_error_message(resp));
    }
    json_decref(resp);
    return rc;
}

int gen_kin_ensure_stream(gen_kin *k, const char *stream, int shards, int timeout_s, char *err)
{
    bool arn = strncmp(stream, "arn:", 4) == 0;
    json_t *id = json_pack("{s:s}", arn ? "StreamARN" : "StreamName", stream), *resp = NULL;
    char st[32];
    long status;
    int rc = -1;
    if (!id || gen_kin_stream_status(k, id, st, sizeof st, err) != 0)
        goto out;
    if (!st[0]) {
        json_t *req = arn ? NULL : json_pack("{s:s,s:i}", "StreamName", stream, "ShardCount",
                                             shards);
        if (!req) {
            snprintf(err, GEN_ERR_MAX, "--create needs a stream name, not an ARN");
            goto out;
        }
        int called = gen_kin_call(k, "CreateStream", req, &status, &resp, err);
        json_decref(req);
        if (called != 0)
            goto out;
        if (status != 200 && strcmp(gen_kin_error_type(resp), "ResourceInUseException") != 0) {
            snprintf(err, GEN_ERR_MAX, "CreateStream: HTTP %ld %s: %s", status,
                     gen_kin_error_type(resp), gen_kin_error_message(resp));
            goto out;
        }
    }
    for (int i = 0; i < timeout_s * 10; i++) {
        if (gen_kin_stream_status(k, id, st, sizeof st, err) != 0)
            goto out;
        if (strcmp(st, "ACTIVE") == 0 || strcmp(st, "UPDATING") == 0) {
            rc = 0;
            goto out;
        }
        gen_sleep(0.1);
    }
    snprintf(err, GEN_ERR_MAX, "stream %s is not ACTIVE after %d s (status %s)", stream,
             timeout_s, st[0] ? st : "missing");
out:
    json_decref(resp);
    json_decref(id);
    return rc;
}
