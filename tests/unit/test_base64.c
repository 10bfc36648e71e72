/*
 * test_base64.c - src/common/base64.c: RFC 4648 vectors, round trips of
 * every byte value and length, and the strict decoder's rejections.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/base64.h"

static const struct {
    const char *plain, *enc;
} vectors[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    {"\xff\xfe\xfd", "//79"}, {"\xfb\xef", "++8="},
};

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        size_t n = strlen(vectors[i].plain), elen = 99, dlen = 99;
        char *e = base64_encode((const unsigned char *)vectors[i].plain, n, &elen);
        unsigned char *d = NULL;
        assert_non_null(e);
        assert_string_equal(e, vectors[i].enc);
        assert_int_equal(elen, strlen(vectors[i].enc));
        assert_int_equal(base64_decode(e, elen, &d, &dlen), 0);
        assert_non_null(d);
        assert_int_equal(dlen, n);
        assert_memory_equal(d, vectors[i].plain, n);
        assert_int_equal(base64_decoded_len(e, elen), n);
        free(e);
        free(d);
    }
}

static void test_round_trip(void **state)
{
    unsigned char data[300];
    (void)state;
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof(data); len++) {
        size_t elen, dlen;
        unsigned char *d;
        char *e = base64_encode(data, len, &elen);
        assert_non_null(e);
        assert_int_equal(elen, (len + 2) / 3 * 4);
        assert_int_equal(base64_decode(e, elen, &d, &dlen), 0);
        assert_int_equal(dlen, len);
        assert_memory_equal(d, data, len);
        free(e);
        free(d);
    }
}

static const char *const invalid[] = {
    "Zg",       "Zg=",      "Zm8==",    "Z===",     "====",     "=Zm9",     "Zm=v",
    "Zg==Zg==", "Zh==",     "Zm9=",     "Zm9v\n",   "Zm 9",     "Zm9-",     "Zm9_",
    "Zm9v ",    "Zm\x80v",  "Zm9vYg=a", "AB=C",
};

static void test_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        unsigned char *d = (unsigned char *)"sentinel";
        size_t n;
        if (base64_decode(invalid[i], strlen(invalid[i]), &d, &n) != -1)
            fail_msg("accepted %s", invalid[i]);
        assert_null(d);
    }
    /* An embedded NUL is outside the alphabet even when len covers it. */
    unsigned char *d;
    size_t n;
    assert_int_equal(base64_decode("Zm\0v", 4, &d, &n), -1);
    /* Only the first len characters are read. */
    assert_int_equal(base64_decode("Zm9vXYZ", 4, &d, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(d, "foo", 3);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
