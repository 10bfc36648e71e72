/*
 * test_handler_ddb.c - src/handler/ddb_client.c against a scripted fake
 * DynamoDB (libmicrohttpd in this process): request shape and a signature
 * re-computed from what arrived, retries with backoff on 5xx / throttling /
 * network errors, no retry on client errors, error classification, and one
 * kept-alive connection across calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "common/sigv4.h"
#include "handler/ddb_client.h"

typedef struct reply {
    unsigned status;
    const char *body;
} reply;

typedef struct fake {
    struct MHD_Daemon *d;
    unsigned short port;
    reply script[16];
    int nscript, served, connections;
    char target[128], ctype[128], authz[512], date[32], host[128], token[128];
    char body[4096];
    size_t body_len;
} fake;

static fake F;

static void on_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                    enum MHD_ConnectionNotificationCode toe)
{
    (void)cls, (void)c, (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        F.connections++;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *dst, size_t cap)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(dst, cap, "%s", v ? v : "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **ctx)
{
    (void)cls, (void)url, (void)method, (void)version;
    if (*ctx == NULL) { /* first call: headers only */
        *ctx = &F;
        F.body_len = 0;
        return MHD_YES;
    }
    if (*size) {
        size_t n = *size < sizeof F.body - F.body_len - 1 ? *size : sizeof F.body - F.body_len - 1;
        memcpy(F.body + F.body_len, data, n);
        F.body_len += n;
        F.body[F.body_len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    copy_header(c, "X-Amz-Target", F.target, sizeof F.target);
    copy_header(c, "Content-Type", F.ctype, sizeof F.ctype);
    copy_header(c, "Authorization", F.authz, sizeof F.authz);
    copy_header(c, "X-Amz-Date", F.date, sizeof F.date);
    copy_header(c, "Host", F.host, sizeof F.host);
    copy_header(c, "X-Amz-Security-Token", F.token, sizeof F.token);
    reply r = F.served < F.nscript ? F.script[F.served] : (reply){200, "{}"};
    F.served++;
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(r.body), (void *)r.body,
                                                                MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/x-amz-json-1.0");
    enum MHD_Result ret = MHD_queue_response(c, r.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    F.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                           on_request, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_conn, NULL,
                           MHD_OPTION_END);
    if (!F.d)
        return -1;
    F.port = MHD_get_daemon_info(F.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    MHD_stop_daemon(F.d);
    return 0;
}

static void config_for(fi_config *c, unsigned short port)
{
    memset(c, 0, sizeof *c);
    strcpy(c->table, "faces");
    strcpy(c->region, "us-east-1");
    snprintf(c->endpoint, sizeof c->endpoint, "http://127.0.0.1:%u", port);
    strcpy(c->access_key, "AKIDEXAMPLE");
    strcpy(c->secret_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    c->retry = (fi_retry){3, 1, 4};
    c->timeout_ms = 2000;
}

static fi_ddb_status put(ddbc_client *cl, json_t **resp, fi_ddb_result *r)
{
    return ddbc_call(cl, "PutItem",
                     "{\"TableName\":\"faces\",\"Item\":{\"id\":{\"S\":\"a\"},"
                     "\"Similarity\":{\"N\":\"97.84118\"}}}",
                     resp, r);
}

/* Shape of the request and a signature the server can recompute. */
static void test_request_signed(void **state)
{
    (void)state;
    fi_config c;
    config_for(&c, F.port);
    strcpy(c.session_token, "session-token-value");
    F.script[0] = (reply){200, "{\"ConsumedCapacity\":null}"};
    F.nscript = 1;
    ddbc_client *cl = ddbc_new(&c);
    json_t *resp = NULL;
    fi_ddb_result r;
    assert_int_equal(put(cl, &resp, &r), FI_DDB_OK);
    assert_non_null(resp);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(F.target, "DynamoDB_20120810.PutItem");
    assert_string_equal(F.ctype, "application/x-amz-json-1.0");
    assert_string_equal(F.token, "session-token-value");
    assert_non_null(strstr(F.body, "\"Similarity\":{\"N\":\"97.84118\"}"));
    /* recompute the signature from what the server received */
    sigv4_header h[] = {{"host", F.host},
                        {"x-amz-date", F.date},
                        {"x-amz-target", F.target},
                        {"content-type", F.ctype},
                        {"x-amz-security-token", F.token}};
    sigv4_request req = {"POST", "/", NULL, h, 5, F.body, F.body_len};
    sigv4_credentials cred = {c.access_key, c.secret_key, NULL};
    char *want = NULL;
    assert_int_equal(sigv4_sign(&req, &cred, "us-east-1", "dynamodb", F.date, &want), 0);
    assert_string_equal(F.authz, want);
    assert_non_null(strstr(F.authz, "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target"));
    free(want);
    json_decref(resp);
    ddbc_free(cl);
}

/* 500 and throttling are retried; client errors are not; classification per type. */
static void test_retries_and_classes(void **state)
{
    (void)state;
    static const struct {
        reply script[3];
        int n;
        fi_ddb_status want;
        int attempts;
        const char *type;
    } cases[] = {
        {{{500, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\"}"}, {200, "{}"}},
         2, FI_DDB_OK, 2, ""},
        {{{400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\","
                "\"message\":\"slow down\"}"},
          {400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\"}"},
          {400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\"}"}},
         3, FI_DDB_UNAVAILABLE, 3, "ProvisionedThroughputExceededException"},
        {{{400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
                "\"message\":\"The conditional request failed\"}"}},
         1, FI_DDB_CONDITION_FAILED, 1, "ConditionalCheckFailedException"},
        {{{400, "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"message\":\"bad\"}"}},
         1, FI_DDB_CLIENT_ERROR, 1, "ValidationException"},
        {{{400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\"}"}},
         1, FI_DDB_FATAL, 1, "ResourceNotFoundException"},
        {{{200, "not json"}, {200, "{}"}}, 2, FI_DDB_OK, 2, ""},
        {{{503, ""}, {503, ""}, {503, ""}}, 3, FI_DDB_UNAVAILABLE, 3, "HttpError"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fi_config c;
        config_for(&c, F.port);
        memcpy(F.script, cases[i].script, sizeof cases[i].script);
        F.nscript = cases[i].n;
        F.served = 0;
        ddbc_client *cl = ddbc_new(&c);
        json_t *resp = NULL;
        fi_ddb_result r;
        print_message("case %zu\n", i);
        assert_int_equal(put(cl, &resp, &r), cases[i].want);
        assert_int_equal(r.attempts, cases[i].attempts);
        assert_int_equal(F.served, cases[i].attempts);
        assert_string_equal(r.type, cases[i].type);
        assert_true((resp != NULL) == (cases[i].want == FI_DDB_OK));
        json_decref(resp);
        ddbc_free(cl);
    }
}

/* One easy handle = one kept-alive connection for many calls. */
static void test_connection_reused(void **state)
{
    (void)state;
    fi_config c;
    config_for(&c, F.port);
    F.nscript = 0;
    int before = F.connections;
    ddbc_client *cl = ddbc_new(&c);
    for (int i = 0; i < 5; i++) {
        json_t *resp = NULL;
        fi_ddb_result r;
        assert_int_equal(put(cl, &resp, &r), FI_DDB_OK);
        json_decref(resp);
    }
    assert_int_equal(F.connections - before, 1);
    ddbc_free(cl);
}

/* call_many: requests in flight together, each answered in its own slot;
 * a failed first attempt is retried alone; connections are kept. */
static void test_call_many(void **state)
{
    (void)state;
    fi_config c;
    config_for(&c, F.port);
    F.script[0] = (reply){500, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\"}"};
    F.nscript = 1;
    F.served = 0;
    ddbc_client *cl = ddbc_new(&c);
    const char *reqs[3];
    json_t *resps[3];
    fi_ddb_result res[3];
    for (int i = 0; i < 3; i++)
        reqs[i] = "{\"TableName\":\"faces\",\"Item\":{\"id\":{\"S\":\"x\"}}}";
    ddbc_call_many(cl, "PutItem", reqs, 3, resps, res);
    int retried = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(res[i].status, FI_DDB_OK);
        assert_non_null(resps[i]);
        retried += res[i].attempts == 2;
        assert_true(res[i].attempts == 1 || res[i].attempts == 2);
        json_decref(resps[i]);
    }
    assert_int_equal(retried, 1);
    assert_int_equal(F.served, 4);
    assert_string_equal(F.target, "DynamoDB_20120810.PutItem");
    int conns = F.connections;
    ddbc_call_many(cl, "PutItem", reqs, 3, resps, res);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(res[i].status, FI_DDB_OK);
        json_decref(resps[i]);
    }
    assert_int_equal(F.connections, conns); /* the slots' connections were kept */
    ddbc_free(cl);

    /* nobody listening: every request retried to the end, status 0 */
    config_for(&c, 1);
    cl = ddbc_new(&c);
    ddbc_call_many(cl, "PutItem", reqs, 3, resps, res);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(res[i].status, FI_DDB_UNAVAILABLE);
        assert_int_equal(res[i].attempts, 3);
        assert_int_equal(res[i].http_status, 0);
        assert_string_equal(res[i].type, "NetworkError");
        assert_null(resps[i]);
    }
    ddbc_free(cl);
}

/* Nobody listening: a network error, retried, then UNAVAILABLE with status 0. */
static void test_network_error(void **state)
{
    (void)state;
    fi_config c;
    config_for(&c, 1);
    ddbc_client *cl = ddbc_new(&c);
    json_t *resp = NULL;
    fi_ddb_result r;
    assert_int_equal(put(cl, &resp, &r), FI_DDB_UNAVAILABLE);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(r.http_status, 0);
    assert_string_equal(r.type, "NetworkError");
    assert_null(resp);
    ddbc_free(cl);
}

static void test_pure_rules(void **state)
{
    (void)state;
    char host[64];
    assert_string_equal(ddbc_short_type("com.amazonaws.dynamodb.v20120810#ThrottlingException"),
                        "ThrottlingException");
    assert_string_equal(ddbc_short_type("ValidationException"), "ValidationException");
    assert_int_equal(ddbc_classify(200, ""), FI_DDB_OK);
    assert_int_equal(ddbc_classify(0, "NetworkError"), FI_DDB_UNAVAILABLE);
    assert_int_equal(ddbc_classify(400, "ThrottlingException"), FI_DDB_UNAVAILABLE);
    assert_int_equal(ddbc_classify(400, "RequestLimitExceeded"), FI_DDB_UNAVAILABLE);
    assert_int_equal(ddbc_classify(400, "UnrecognizedClientException"), FI_DDB_FATAL);
    assert_int_equal(ddbc_classify(400, "SerializationException"), FI_DDB_CLIENT_ERROR);
    assert_false(ddbc_retryable(400, "ValidationException"));
    assert_true(ddbc_retryable(502, ""));
    assert_int_equal(ddbc_endpoint_host("http://127.0.0.1:8000", host, sizeof host), 0);
    assert_string_equal(host, "127.0.0.1:8000");
    assert_int_equal(ddbc_endpoint_host("https://dynamodb.eu-west-1.amazonaws.com/x", host, sizeof host), 0);
    assert_string_equal(host, "dynamodb.eu-west-1.amazonaws.com");
    assert_int_equal(ddbc_endpoint_host("localhost:8000", host, sizeof host), -1);
    assert_int_equal(ddbc_endpoint_host("http://", host, sizeof host), -1);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pure_rules),
        cmocka_unit_test_setup_teardown(test_request_signed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_and_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_many, setup, teardown),
        cmocka_unit_test(test_network_error),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
