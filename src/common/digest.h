/*
 * digest.h - the message digests emu and the handler compute (SHA-256 for
 * SigV4 and shard iterators, MD5 for Kinesis partition-key routing), each
 * looked up in OpenSSL's provider registry once per process.
 *
 * Why: in OpenSSL 3, EVP_sha256()/EVP_md5() make every EVP_Digest() fetch
 * the algorithm by name (locks, a hash look-up), and HMAC() fetches both
 * the MAC and the digest by name on every call whatever EVP_MD it is
 * given; both showed in profiles.  The EVP_MDs returned here are fetched
 * once and owned by this module for the life of the process: borrow them,
 * never free them.  All functions are thread-safe.
 */
#ifndef EMU_DIGEST_H
#define EMU_DIGEST_H

#include <stddef.h>

#include <openssl/evp.h>

/* The SHA-256 / MD5 EVP_MD, fetched on first use; EVP_sha256() /
 * EVP_md5() when the fetch fails (never NULL).  Borrowed. */
const EVP_MD *digest_sha256(void);
const EVP_MD *digest_md5(void);

/* HMAC-SHA256 (RFC 2104) of data[0..n) under key[0..klen) into out:
 * the bytes HMAC(EVP_sha256(), ...) gives, without its per-call look-ups.
 * 0, or -1 when libcrypto fails (out of memory); out is then undefined. */
int digest_hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
                       unsigned char out[32]);
/* d[0..n) as lower-case hex into out (2n + 1 bytes, NUL-terminated), as
 * SigV4 writes hashes and signatures. */
void digest_hex(const unsigned char *d, size_t n, char *out);

#endif
