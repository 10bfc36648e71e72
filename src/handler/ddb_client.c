/*
 * ddb_client.c - DynamoDB JSON 1.0 client over libcurl; see ddb_client.h.
 *
 * One transfer slot (easy handle + response buffer) per request in flight:
 * slot 0 serves ddbc_call, slots 0..DDBC_PAR_MAX-1 serve ddbc_call_many,
 * which runs the first attempts of its requests together on one multi
 * handle (its connection cache keeps one kept-alive connection per slot)
 * and retries the failures one at a time through the ddbc_call loop.
 */
#include "../common/buf.h"
#include "ddb_client.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/sigv4_curl.h"

#define MAX_BODY (16u << 20)
#define DDBC_PAR_MAX 16 /* requests in flight at once in ddbc_call_many */

/* One request in flight: its handle and the answer's body. */
typedef struct ddbc_xfer {
    CURL *curl;              /* NULL until first used */
    struct curl_slist *headers;
    char *buf;
    size_t len, cap;
    char errbuf[CURL_ERROR_SIZE];
} ddbc_xfer;

struct ddbc_client {
    const fi_config *cfg;
    CURLM *multi;            /* NULL until ddbc_call_many first needs it */
    ddbc_xfer x[DDBC_PAR_MAX];
    char host[512];
    char url[600];
    unsigned seed;
};

const char *ddbc_short_type(const char *type)
{
    const char *h = type ? strrchr(type, '#') : NULL;
    return h ? h + 1 : (type ? type : "");
}

static int type_in(const char *type, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(type, *list) == 0)
            return 1;
    return 0;
}

static const char *const throttle_types[] = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "Throttling", "TooManyRequestsException", "TransactionInProgressException", NULL};

static const char *const fatal_types[] = {
    "ResourceNotFoundException", "UnrecognizedClientException", "AccessDeniedException",
    "MissingAuthenticationTokenException", "InvalidSignatureException",
    "IncompleteSignatureException", "ExpiredTokenException", "InvalidClientTokenId",
    "UnknownOperationException", NULL};

int ddbc_retryable(long http_status, const char *type)
{
    const char *t = ddbc_short_type(type);
    return http_status == 0 || http_status >= 500 || http_status == 429 ||
           type_in(t, throttle_types);
}

fi_ddb_status ddbc_classify(long http_status, const char *type)
{
    const char *t = ddbc_short_type(type);
    if (http_status == 200)
        return FI_DDB_OK;
    if (ddbc_retryable(http_status, type))
        return FI_DDB_UNAVAILABLE;
    if (strcmp(t, "ConditionalCheckFailedException") == 0)
        return FI_DDB_CONDITION_FAILED;
    if (type_in(t, fatal_types) || http_status == 403 || http_status == 404)
        return FI_DDB_FATAL;
    return FI_DDB_CLIENT_ERROR;
}

int ddbc_endpoint_host(const char *endpoint, char *out, size_t cap)
{
    const char *p = strstr(endpoint ? endpoint : "", "://");
    if (!p)
        return -1;
    p += 3;
    size_t n = strcspn(p, "/?#");
    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    ddbc_xfer *x = ud;
    size_t n = size * nmemb;
    return buf_append(&x->buf, &x->len, &x->cap, MAX_BODY, data, n) == 0 ? n : 0;
}

ddbc_client *ddbc_new(const fi_config *cfg)
{
    ddbc_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = cfg;
    c->seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    c->x[0].curl = curl_easy_init();
    if (!c->x[0].curl || ddbc_endpoint_host(cfg->endpoint, c->host, sizeof c->host) < 0) {
        ddbc_free(c);
        return NULL;
    }
    snprintf(c->url, sizeof c->url, "%s/", cfg->endpoint);
    return c;
}

void ddbc_free(ddbc_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < DDBC_PAR_MAX; i++) {
        if (c->x[i].curl)
            curl_easy_cleanup(c->x[i].curl);
        curl_slist_free_all(c->x[i].headers);
        free(c->x[i].buf);
    }
    if (c->multi)
        curl_multi_cleanup(c->multi);
    free(c);
}

void ddbc_sleep_ms(void *client, unsigned ms)
{
    (void)client;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

fi_ddb ddbc_as_fi_ddb(ddbc_client *c)
{
    fi_ddb d = {ddbc_call, ddbc_sleep_ms, c, ddbc_call_many};
    return d;
}

/* Build the signed header list for one attempt; NULL on failure. */
static struct curl_slist *signed_headers(ddbc_client *c, const char *target, const char *body)
{
    const fi_config *cfg = c->cfg;
    char date[17];
    char *authz = NULL;
    sigv4_amz_date(time(NULL), date);
    sigv4_header sh[5] = {{"host", c->host},
                          {"x-amz-date", date},
                          {"x-amz-target", target},
                          {"content-type", "application/x-amz-json-1.0"},
                          {"x-amz-security-token", cfg->session_token}};
    size_t nh = cfg->session_token[0] ? 5 : 4;
    sigv4_request req = {"POST", "/", NULL, sh, nh, body, strlen(body)};
    sigv4_credentials cred = {cfg->access_key, cfg->secret_key, NULL};
    if (cfg->access_key[0] && sigv4_sign(&req, &cred, cfg->region, "dynamodb", date, &authz) < 0)
        return NULL;
    struct curl_slist *h = sigv4_curl_headers(sh, nh, authz); /* unsigned without a key */
    free(authz);
    return h;
}

/* Set up slot x for one attempt (headers signed now).  0, or -1 with
 * x->errbuf filled. */
static int xfer_prepare(ddbc_client *c, ddbc_xfer *x, const char *target, const char *body)
{
    CURL *e = x->curl;
    x->len = 0;
    if (x->buf)
        x->buf[0] = '\0';
    x->errbuf[0] = '\0';
    curl_slist_free_all(x->headers);
    x->headers = signed_headers(c, target, body);
    if (!x->headers) {
        snprintf(x->errbuf, CURL_ERROR_SIZE, "cannot sign the request");
        return -1;
    }
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->cfg->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->cfg->timeout_ms < 2000 ? c->cfg->timeout_ms : 2000L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    return 0;
}

/* After slot x's transfer ended with rc: *status (0 = no response). */
static void xfer_finish(ddbc_xfer *x, CURLcode rc, long *status)
{
    *status = 0;
    curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    if (rc != CURLE_OK) {
        if (!x->errbuf[0])
            snprintf(x->errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
        return;
    }
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, status);
}

/* One HTTP attempt on slot 0.  Fills *status (0 = no response) and the
 * slot's body. */
static void attempt(ddbc_client *c, const char *target, const char *body, long *status)
{
    ddbc_xfer *x = &c->x[0];
    *status = 0;
    if (xfer_prepare(c, x, target, body) != 0)
        return;
    xfer_finish(x, curl_easy_perform(x->curl), status);
}

/* Turn the answer of one attempt into res (and *resp on success). */
static fi_ddb_status interpret(const ddbc_xfer *x, long status, json_t **resp,
                               fi_ddb_result *res)
{
    const char *neterr = x->errbuf;
    json_t *body = (status && x->len) ? json_loadb(x->buf, x->len, 0, NULL) : NULL;
    res->http_status = status;
    res->type[0] = res->message[0] = '\0';
    if (status == 0) {
        snprintf(res->type, sizeof res->type, "NetworkError");
        snprintf(res->message, sizeof res->message, "%s", neterr);
    } else if (status != 200 || !json_is_object(body)) {
        const char *type = json_string_value(json_object_get(body, "__type"));
        const char *msg = json_string_value(json_object_get(body, "message"));
        if (!msg)
            msg = json_string_value(json_object_get(body, "Message"));
        snprintf(res->type, sizeof res->type, "%s",
                 type ? ddbc_short_type(type) : (status == 200 ? "InvalidResponse" : "HttpError"));
        snprintf(res->message, sizeof res->message, "HTTP %ld: %.400s", status,
                 msg ? msg : (x->buf ? x->buf : ""));
    }
    if (status == 200 && !json_is_object(body))
        res->status = FI_DDB_UNAVAILABLE; /* a truncated or garbled answer: try again */
    else
        res->status = ddbc_classify(status, res->type);
    if (res->status == FI_DDB_OK)
        *resp = body;
    else
        json_decref(body);
    return res->status;
}

/* Whether a failed attempt deserves another: a 200 that could not be read
 * (truncated or garbled), or an error ddbc_retryable names. */
static bool worth_retry(long status, const fi_ddb_result *res)
{
    return status == 200 || ddbc_retryable(status, res->type);
}

/* Attempts from..max of one request on slot 0, with backoff before each;
 * res and *resp as for ddbc_call. */
static fi_ddb_status retry_from(ddbc_client *c, const char *target, const char *body, int from,
                                json_t **resp, fi_ddb_result *res)
{
    long status;
    for (int n = from;; n++) {
        if (n > 1)
            ddbc_sleep_ms(c, fi_retry_delay_ms(&c->cfg->retry, n - 1, (unsigned)rand_r(&c->seed)));
        res->attempts = n;
        attempt(c, target, body, &status);
        if (interpret(&c->x[0], status, resp, res) == FI_DDB_OK)
            break;
        if (n >= c->cfg->retry.max_attempts || !worth_retry(status, res))
            break;
    }
    return res->status;
}

fi_ddb_status ddbc_call(void *client, const char *op, const char *body, json_t **resp,
                        fi_ddb_result *res)
{
    ddbc_client *c = client;
    char target[96];
    *resp = NULL;
    memset(res, 0, sizeof *res);
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    retry_from(c, target, body, 1, resp, res);
    return res->status;
}

/* Run the first attempts of bodies[0..n) (n <= DDBC_PAR_MAX) together on
 * the multi handle; then each failure that deserves it is retried alone. */
static void call_wave(ddbc_client *c, const char *target, const char *const *bodies, size_t n,
                      json_t **resps, fi_ddb_result *res)
{
    long status[DDBC_PAR_MAX] = {0};
    bool added[DDBC_PAR_MAX] = {false};
    for (size_t i = 0; i < n; i++) {
        ddbc_xfer *x = &c->x[i];
        if (!x->curl)
            x->curl = curl_easy_init();
        if (!x->curl)
            snprintf(x->errbuf, CURL_ERROR_SIZE, "cannot create a curl handle");
        else if (xfer_prepare(c, x, target, bodies[i]) == 0)
            added[i] = curl_multi_add_handle(c->multi, x->curl) == CURLM_OK;
    }
    int running = 1;
    while (running > 0) {
        if (curl_multi_perform(c->multi, &running) != CURLM_OK)
            break;
        if (running > 0 && curl_multi_poll(c->multi, NULL, 0, 1000, NULL) != CURLM_OK)
            break;
    }
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
        for (size_t i = 0; i < n; i++)
            if (m->msg == CURLMSG_DONE && added[i] && m->easy_handle == c->x[i].curl) {
                xfer_finish(&c->x[i], m->data.result, &status[i]);
                added[i] = false; /* finished */
                curl_multi_remove_handle(c->multi, c->x[i].curl);
            }
    }
    for (size_t i = 0; i < n; i++) {
        if (added[i]) { /* the multi loop failed: no answer */
            curl_multi_remove_handle(c->multi, c->x[i].curl);
            xfer_finish(&c->x[i], CURLE_RECV_ERROR, &status[i]);
        }
        res[i].attempts = 1;
        if (interpret(&c->x[i], status[i], &resps[i], &res[i]) == FI_DDB_OK)
            continue;
        if (c->cfg->retry.max_attempts > 1 && worth_retry(status[i], &res[i]))
            retry_from(c, target, bodies[i], 2, &resps[i], &res[i]);
    }
}

void ddbc_call_many(void *client, const char *op, const char *const *bodies, size_t n,
                    json_t **resps, fi_ddb_result *res)
{
    ddbc_client *c = client;
    char target[96];
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    if (!c->multi)
        c->multi = curl_multi_init();
    for (size_t done = 0; done < n;) {
        size_t w = 0;
        for (; w < DDBC_PAR_MAX && done + w < n; w++) {
            resps[done + w] = NULL;
            memset(&res[done + w], 0, sizeof res[done + w]);
        }
        if (!c->multi || w == 1) { /* nothing to overlap */
            for (size_t i = done; i < done + w; i++)
                ddbc_call(c, op, bodies[i], &resps[i], &res[i]);
        } else {
            call_wave(c, target, bodies + done, w, resps + done, res + done);
        }
        done += w;
    }
}
