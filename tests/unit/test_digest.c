/*
 * test_digest.c - src/common/digest.c: the fetched-once SHA-256 and MD5
 * against known answers, one EVP_MD per process even under concurrent
 * first use, and HMAC-SHA256 against RFC 4231 and against libcrypto's own
 * HMAC() for keys and messages of every length around the block size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include <openssl/hmac.h>

#include "common/digest.h"

static void test_known_digests(void **state)
{
    (void)state;
    static const struct {
        int md5;
        const char *in, *hex;
    } cases[] = {
        {1, "", "d41d8cd98f00b204e9800998ecf8427e"},
        {1, "abc", "900150983cd24fb0d6963f7d28e17f72"},
        {1, "The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6"},
        {0, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {0, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {0, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        char out[2 * EVP_MAX_MD_SIZE + 1];
        const EVP_MD *alg = cases[i].md5 ? digest_md5() : digest_sha256();
        assert_non_null(alg);
        assert_true(EVP_Digest(cases[i].in, strlen(cases[i].in), md, &n, alg, NULL));
        digest_hex(md, n, out);
        assert_string_equal(out, cases[i].hex);
    }
    /* fetched once: the same object every time */
    assert_ptr_equal(digest_sha256(), digest_sha256());
    assert_ptr_equal(digest_md5(), digest_md5());
    assert_ptr_not_equal(digest_md5(), digest_sha256());
}

static void *first_use(void *arg)
{
    const EVP_MD **out = arg;
    out[0] = digest_sha256();
    out[1] = digest_md5();
    return NULL;
}

/* Runs first, so eight threads race on the first fetch: all must see the
 * one EVP_MD of each algorithm that later calls return. */
static void test_concurrent_use(void **state)
{
    (void)state;
    pthread_t t[8];
    const EVP_MD *seen[8][2];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, first_use, seen[i]), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_ptr_equal(seen[i][0], digest_sha256());
        assert_ptr_equal(seen[i][1], digest_md5());
    }
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    unsigned char k20b[20], k20a[20], d50[50], k131[131];
    memset(k20b, 0x0b, sizeof k20b);
    memset(k20a, 0xaa, sizeof k20a);
    memset(d50, 0xdd, sizeof d50);
    memset(k131, 0xaa, sizeof k131);
    static const char big[] = "This is a test using a larger than block-size key and a larger "
                              "than block-size data. The key needs to be hashed before being "
                              "used by the HMAC algorithm.";
    const struct {
        const void *key;
        size_t klen;
        const void *data;
        size_t n;
        const char *hex;
    } cases[] = {
        {k20b, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"Jefe", 4, "what do ya want for nothing?", 28,
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {k20a, 20, d50, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {k131, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {k131, 131, big, sizeof big - 1,
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        unsigned char mac[32];
        char out[65];
        assert_int_equal(digest_hmac_sha256(cases[i].key, cases[i].klen, cases[i].data,
                                            cases[i].n, mac), 0);
        digest_hex(mac, sizeof mac, out);
        assert_string_equal(out, cases[i].hex);
    }
}

/* Every key length from 0 to past two blocks (the digest-the-key branch)
 * and messages across block boundaries, against libcrypto's HMAC(). */
static void test_hmac_matches_libcrypto(void **state)
{
    (void)state;
    unsigned char key[140], data[200];
    srand(11);
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)rand();
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)rand();
    for (size_t klen = 0; klen <= sizeof key; klen++) {
        for (size_t n = 0; n <= sizeof data; n += 1 + (n % 13)) {
            unsigned char mine[32], ref[32];
            unsigned int rlen = 0;
            assert_int_equal(digest_hmac_sha256(key, klen, data, n, mine), 0);
            assert_non_null(HMAC(EVP_sha256(), key, (int)klen, data, n, ref, &rlen));
            assert_int_equal(rlen, 32);
            assert_memory_equal(mine, ref, 32);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_use),
        cmocka_unit_test(test_known_digests),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_matches_libcrypto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
