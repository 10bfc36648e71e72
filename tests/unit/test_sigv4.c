/*
 * test_sigv4.c - src/common/sigv4.c against AWS's published SigV4 test suite
 * (aws-sig-v4-test-suite: AKIDEXAMPLE, us-east-1, service "service",
 * 20150830T123600Z).  Expected canonical requests, strings to sign and
 * Authorization values are the suite's .creq/.sts/.authz texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/sigv4.h"

#define DATE "20150830T123600Z"
#define HOST "example.amazonaws.com"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CRED "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

static const sigv4_credentials suite_cred = {"AKIDEXAMPLE",
                                             "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};

typedef struct vector {
    const char *name;
    const char *method, *path, *query;
    sigv4_header headers[6];
    size_t n_headers;
    const char *body;
    const char *creq;  /* NULL: not asserted for this case */
    const char *sts;   /* NULL: not asserted */
    const char *authz;
} vector;

#define HD_HOST {"Host", HOST}
#define HD_DATE {"X-Amz-Date", DATE}

static const vector vectors[] = {
    {"get-vanilla", "GET", "/", NULL, {HD_HOST, HD_DATE}, 2, "",
     "GET\n/\n\nhost:" HOST "\nx-amz-date:" DATE "\n\nhost;x-amz-date\n" EMPTY_SHA,
     "AWS4-HMAC-SHA256\n" DATE "\n20150830/us-east-1/service/aws4_request\n"
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"post-vanilla", "POST", "/", NULL, {HD_HOST, HD_DATE}, 2, "",
     "POST\n/\n\nhost:" HOST "\nx-amz-date:" DATE "\n\nhost;x-amz-date\n" EMPTY_SHA, NULL,
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1",
     {HD_HOST, HD_DATE}, 2, "",
     "GET\n/\nParam1=value1&Param2=value2\nhost:" HOST "\nx-amz-date:" DATE
     "\n\nhost;x-amz-date\n" EMPTY_SHA,
     NULL,
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-query-order-value", "GET", "/", "Param1=value2&Param1=value1",
     {HD_HOST, HD_DATE}, 2, "", NULL, NULL,
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
    {"get-vanilla-utf8-query", "GET", "/", "\xe1\x88\xb4=bar", {HD_HOST, HD_DATE}, 2, "", NULL,
     NULL,
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"post-x-www-form-urlencoded", "POST", "/", NULL,
     {{"Content-Type", "application/x-www-form-urlencoded"}, HD_HOST, HD_DATE}, 3,
     "Param1=value1",
     "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:" HOST
     "\nx-amz-date:" DATE "\n\ncontent-type;host;x-amz-date\n"
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "AWS4-HMAC-SHA256\n" DATE "\n20150830/us-east-1/service/aws4_request\n"
     "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
     CRED "SignedHeaders=content-type;host;x-amz-date, "
          "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    {"post-header-key-sort", "POST", "/", NULL,
     {HD_DATE, {"My-Header1", "value1"}, HD_HOST}, 3, "",
     "POST\n/\n\nhost:" HOST "\nmy-header1:value1\nx-amz-date:" DATE
     "\n\nhost;my-header1;x-amz-date\n" EMPTY_SHA,
     NULL,
     CRED "SignedHeaders=host;my-header1;x-amz-date, "
          "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
    {"post-header-value-case", "POST", "/", NULL, {HD_HOST, {"My-Header1", "VALUE1"}, HD_DATE},
     3, "", NULL, NULL,
     CRED "SignedHeaders=host;my-header1;x-amz-date, "
          "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
    {"get-header-value-trim", "GET", "/", NULL,
     {HD_HOST, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}, HD_DATE}, 4, "",
     "GET\n/\n\nhost:" HOST "\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:" DATE
     "\n\nhost;my-header1;my-header2;x-amz-date\n" EMPTY_SHA,
     NULL,
     CRED "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
          "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"get-header-value-multiline", "GET", "/", NULL,
     {HD_HOST, {"My-Header1", "value1\n  value2\n     value3"}, HD_DATE}, 3, "", NULL, NULL,
     CRED "SignedHeaders=host;my-header1;x-amz-date, "
          "Signature=cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd"},
    {"get-header-key-duplicate", "GET", "/", NULL,
     {HD_HOST, {"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"},
      HD_DATE},
     5, "", NULL, NULL,
     CRED "SignedHeaders=host;my-header1;x-amz-date, "
          "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     NULL, {HD_HOST, HD_DATE}, 2, "", NULL, NULL,
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"get-utf8", "GET", "/\xe1\x88\xb4", NULL, {HD_HOST, HD_DATE}, 2, "",
     "GET\n/%E1%88%B4\n\nhost:" HOST "\nx-amz-date:" DATE "\n\nhost;x-amz-date\n" EMPTY_SHA,
     NULL,
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
    {"get-space", "GET", "/example space/", NULL, {HD_HOST, HD_DATE}, 2, "",
     "GET\n/example%20space/\n\nhost:" HOST "\nx-amz-date:" DATE "\n\nhost;x-amz-date\n" EMPTY_SHA,
     NULL,
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
    {"get-slashes", "GET", "//example//", NULL, {HD_HOST, HD_DATE}, 2, "", NULL, NULL,
     CRED "SignedHeaders=host;x-amz-date, "
          "Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
    {"get-vanilla-with-session-token", "GET", "/", NULL,
     {HD_HOST, HD_DATE,
      {"X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"}},
     3, "", NULL, NULL,
     CRED "SignedHeaders=host;x-amz-date;x-amz-security-token, "
          "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
};

static sigv4_request to_request(const vector *v)
{
    sigv4_request r = {v->method, v->path,   v->query, v->headers,
                       v->n_headers, v->body, strlen(v->body)};
    return r;
}

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const vector *v = &vectors[i];
        sigv4_request r = to_request(v);
        char *creq = NULL, *sts = NULL, *authz = NULL;
        print_message("vector %s\n", v->name);
        assert_int_equal(sigv4_canonical_request(&r, &creq), 0);
        if (v->creq)
            assert_string_equal(creq, v->creq);
        assert_int_equal(sigv4_string_to_sign(DATE, "us-east-1", "service", creq, &sts), 0);
        if (v->sts)
            assert_string_equal(sts, v->sts);
        assert_int_equal(sigv4_sign(&r, &suite_cred, "us-east-1", "service", DATE, &authz), 0);
        assert_string_equal(authz, v->authz);
        free(creq);
        free(sts);
        free(authz);
    }
}

static void test_sha256_and_date(void **state)
{
    (void)state;
    char hex[65], date[17];
    sigv4_sha256_hex(NULL, 0, hex);
    assert_string_equal(hex, EMPTY_SHA);
    sigv4_sha256_hex("Param1=value1", 13, hex);
    assert_string_equal(hex, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    sigv4_amz_date(1440938160, date); /* 2015-08-30T12:36:00Z */
    assert_string_equal(date, DATE);
}

/* The secret really enters the signature, and bad input fails cleanly. */
static void test_secret_and_bad_input(void **state)
{
    (void)state;
    sigv4_request r = to_request(&vectors[0]);
    sigv4_credentials other = {"AKIDEXAMPLE", "another-secret", NULL};
    char *a = NULL;
    assert_int_equal(sigv4_sign(&r, &other, "us-east-1", "service", DATE, &a), 0);
    assert_string_not_equal(a, vectors[0].authz);
    free(a);
    sigv4_credentials none = {NULL, NULL, NULL};
    assert_int_equal(sigv4_sign(&r, &none, "us-east-1", "service", DATE, &a), -1);
    assert_null(a);
    assert_int_equal(sigv4_sign(&r, &suite_cred, "us-east-1", "service", "2015", &a), -1);
    sigv4_request nomethod = r;
    nomethod.method = NULL;
    char *creq = (char *)1;
    assert_int_equal(sigv4_canonical_request(&nomethod, &creq), -1);
    assert_null(creq);
}

/* What the DynamoDB client sends: a JSON 1.0 POST with a target header. */
static void test_dynamodb_shape(void **state)
{
    (void)state;
    const char *body = "{\"TableName\":\"t\"}";
    sigv4_header h[] = {{"host", "localhost:8000"},
                        {"x-amz-date", DATE},
                        {"x-amz-target", "DynamoDB_20120810.PutItem"},
                        {"content-type", "application/x-amz-json-1.0"}};
    sigv4_request r = {"POST", "/", NULL, h, 4, body, strlen(body)};
    char *creq = NULL, *a = NULL;
    assert_int_equal(sigv4_canonical_request(&r, &creq), 0);
    assert_non_null(strstr(creq, "\ncontent-type;host;x-amz-date;x-amz-target\n"));
    assert_int_equal(sigv4_sign(&r, &suite_cred, "us-east-1", "dynamodb", DATE, &a), 0);
    assert_non_null(strstr(a, "/20150830/us-east-1/dynamodb/aws4_request, "));
    free(creq);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_sha256_and_date),
        cmocka_unit_test(test_secret_and_bad_input),
        cmocka_unit_test(test_dynamodb_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
