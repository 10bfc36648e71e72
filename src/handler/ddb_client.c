/*
 * ddb_client.c - DynamoDB JSON 1.0 client over libcurl; see ddb_client.h.
 */
#include "../common/buf.h"
#include "ddb_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/sigv4.h"

#define MAX_BODY (16u << 20)

struct ddbc_client {
    const fi_config *cfg;
    CURL *curl;
    char host[512];
    char url[600];
    unsigned seed;
    char *buf; /* response body of the current attempt */
    size_t len, cap;
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
    ddbc_client *c = ud;
    size_t n = size * nmemb;
    return buf_append(&c->buf, &c->len, &c->cap, MAX_BODY, data, n) == 0 ? n : 0;
}

ddbc_client *ddbc_new(const fi_config *cfg)
{
    ddbc_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = cfg;
    c->seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    c->curl = curl_easy_init();
    if (!c->curl || ddbc_endpoint_host(cfg->endpoint, c->host, sizeof c->host) < 0) {
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
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->buf);
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
    fi_ddb d = {ddbc_call, ddbc_sleep_ms, c};
    return d;
}

/* Build the signed header list for one attempt; NULL on failure. */
static struct curl_slist *signed_headers(ddbc_client *c, const char *target, const char *body)
{
    const fi_config *cfg = c->cfg;
    char date[17], line[4600];
    char *authz = NULL;
    struct curl_slist *h = NULL, *t;
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
    for (size_t i = 0; i < nh + 2; i++) {
        if (i < nh)
            snprintf(line, sizeof line, "%s: %s", sh[i].name, sh[i].value);
        else if (i == nh)
            snprintf(line, sizeof line, "Authorization: %s", authz ? authz : "");
        else
            snprintf(line, sizeof line, "Expect:"); /* no 100-continue round trip */
        if (i == nh && !authz)
            continue;
        t = curl_slist_append(h, line);
        if (!t) {
            curl_slist_free_all(h);
            h = NULL;
            break;
        }
        h = t;
    }
    free(authz);
    return h;
}

/* One HTTP attempt.  Fills *status (0 = no response) and c->buf. */
static int attempt(ddbc_client *c, const char *target, const char *body, long *status,
                   char *errbuf)
{
    struct curl_slist *h = signed_headers(c, target, body);
    CURL *e = c->curl;
    *status = 0;
    c->len = 0;
    if (c->buf)
        c->buf[0] = '\0';
    if (!h) {
        snprintf(errbuf, CURL_ERROR_SIZE, "cannot sign the request");
        return -1;
    }
    errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->cfg->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->cfg->timeout_ms < 2000 ? c->cfg->timeout_ms : 2000L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    CURLcode rc = curl_easy_perform(e);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        if (!errbuf[0])
            snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

/* Turn the answer of one attempt into res (and *resp on success). */
static fi_ddb_status interpret(ddbc_client *c, long status, const char *neterr, json_t **resp,
                               fi_ddb_result *res)
{
    json_t *body = (status && c->len) ? json_loadb(c->buf, c->len, 0, NULL) : NULL;
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
                 msg ? msg : (c->buf ? c->buf : ""));
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

fi_ddb_status ddbc_call(void *client, const char *op, json_t *req, json_t **resp,
                        fi_ddb_result *res)
{
    ddbc_client *c = client;
    char target[96], errbuf[CURL_ERROR_SIZE];
    long status;
    *resp = NULL;
    memset(res, 0, sizeof *res);
    char *body = json_dumps(req, JSON_COMPACT);
    if (!body) {
        res->status = FI_DDB_CLIENT_ERROR;
        snprintf(res->type, sizeof res->type, "SerializationError");
        snprintf(res->message, sizeof res->message, "cannot serialise the %s request", op);
        return res->status;
    }
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    for (int n = 1;; n++) {
        res->attempts = n;
        attempt(c, target, body, &status, errbuf);
        if (interpret(c, status, errbuf, resp, res) == FI_DDB_OK)
            break;
        if (n >= c->cfg->retry.max_attempts || !(status == 200 || ddbc_retryable(status, res->type)))
            break;
        ddbc_sleep_ms(c, fi_retry_delay_ms(&c->cfg->retry, n, (unsigned)rand_r(&c->seed)));
    }
    free(body);
    return res->status;
}
