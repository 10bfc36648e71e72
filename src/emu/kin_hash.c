/*
 * kin_hash.c - Kinesis arithmetic with no I/O: the clock, 128-bit hash
 * keys (decimal parse/format, MD5 routing, even shard ranges), sequence
 * numbers, shard ids, shard iterators, and the big-endian fields of
 * iterators and of record chunks (store_kin_rec.c).
 *
 * Iterators are base64 of a fixed 54-byte record: magic, version, stream
 * id, shard index, position, issue time, a process-wide nonce (so every
 * iterator handed out is a new string) and a truncated HMAC-SHA256 that
 * makes hand-edited or truncated iterators InvalidArgumentException.  The
 * MAC key is fixed so iterators survive a restart, like the data.
 */
#include "kin_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../common/digest.h"

static int64_t kin_clock_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t (*kin_clock)(void) = kin_clock_real;

int64_t kin_now_ms(void) { return kin_clock(); }

int kin_u128_parse(const char *s, kin_u128 *out)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 39 || (s[0] == '0' && n > 1))
        return -1;
    kin_u128 v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (KIN_U128_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

void kin_u128_format(kin_u128 v, char buf[KIN_HASH_MAX])
{
    char tmp[KIN_HASH_MAX];
    int i = 0;
    do {
        tmp[i++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    for (int j = 0; j < i; j++)
        buf[j] = tmp[i - 1 - j];
    buf[i] = '\0';
}

kin_u128 kin_hash_key(const char *pk, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    /* MD5 fetched once: EVP_md5() looked it up on every call, 4% of a
     * PutRecords of 100 records (see digest.h). */
    EVP_Digest(pk, len, md, &mdlen, digest_md5(), NULL);
    kin_u128 v = 0;
    for (int i = 0; i < 16; i++)
        v = (v << 8) | md[i];
    return v;
}

void kin_hash_range(int i, int n, kin_u128 *start, kin_u128 *end)
{
    /* floor(2^128 / n) without overflowing: (2^128 - 1) / n, corrected
     * when n divides 2^128 exactly (n a power of two). */
    kin_u128 step = KIN_U128_MAX / (kin_u128)n;
    if ((n & (n - 1)) == 0 && n > 1)
        step += 1;
    if (n == 1)
        step = 0;
    *start = step * (kin_u128)i;
    *end = (i == n - 1) ? KIN_U128_MAX : step * (kin_u128)(i + 1) - 1;
}

/* v as exactly width decimal digits, zero-padded (v < 10^width). */
static char *kin_put_digits(char *p, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

void kin_seq_format(int64_t stream_id, int shard_idx, uint64_t counter, char buf[KIN_SEQ_MAX])
{
    /* By hand when the fields fit their widths (always, in practice):
     * snprintf here was 3% of a PutRecords of 100 records. */
    if (stream_id < 0 || stream_id >= 100000000000000LL || shard_idx < 0 ||
        shard_idx >= 100000000) {
        snprintf(buf, KIN_SEQ_MAX, "49%014lld%08d%032llu", (long long)stream_id, shard_idx,
                 (unsigned long long)counter);
        return;
    }
    char *p = buf;
    *p++ = '4';
    *p++ = '9';
    p = kin_put_digits(p, (uint64_t)stream_id, 14);
    p = kin_put_digits(p, (uint64_t)shard_idx, 8);
    memset(p, '0', 12); /* a uint64_t has at most 20 of the 32 digits */
    p = kin_put_digits(p + 12, counter, 20);
    *p = '\0';
}

int kin_seq_parse(const char *s, int64_t *stream_id, int *shard_idx, uint64_t *counter)
{
    if (s == NULL || strlen(s) != KIN_SEQ_LEN || s[0] != '4' || s[1] != '9')
        return -1;
    for (int i = 0; i < KIN_SEQ_LEN; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    /* The counter field is 32 digits but we only ever write uint64 values;
     * anything above that did not come from us. */
    for (int i = 24; i < KIN_SEQ_LEN - 20; i++)
        if (s[i] != '0')
            return -1;
    char part[24];
    memcpy(part, s + 2, 14);
    part[14] = '\0';
    *stream_id = strtoll(part, NULL, 10);
    memcpy(part, s + 16, 8);
    part[8] = '\0';
    *shard_idx = atoi(part);
    errno = 0;
    unsigned long long c = strtoull(s + KIN_SEQ_LEN - 20, NULL, 10);
    if (errno != 0)
        return -1;
    *counter = c;
    return 0;
}

void kin_shard_id_format(int idx, char buf[KIN_SHARD_ID_MAX])
{
    if (idx < 0) {
        snprintf(buf, KIN_SHARD_ID_MAX, "shardId-%012d", idx);
        return;
    }
    memcpy(buf, "shardId-", 8);
    *kin_put_digits(buf + 8, (uint64_t)idx, 12) = '\0';
}

int kin_shard_id_parse(const char *s)
{
    if (s == NULL)
        return -1;
    const char *dash = strchr(s, '-');
    const char *digits = dash ? dash + 1 : s;
    size_t n = strlen(digits);
    if (n == 0 || n > 12)
        return -1;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return -1;
        v = v * 10 + (digits[i] - '0');
    }
    return v > 2147483647 ? -1 : (int)v;
}

/* --- iterators --- */

#define KIN_ITER_RAW 54   /* 36 bytes of fields + 18 of MAC: 72 base64 chars, no '=' */
#define KIN_ITER_BODY 36
#define KIN_ITER_MAC 18
static const unsigned char kin_iter_key[] = "emu-kinesis-shard-iterator-v1";
static atomic_uint kin_iter_nonce;

void kin_be_put(unsigned char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

uint64_t kin_be_get(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* -1 only when libcrypto is out of memory: the caller fails, rather than
 * hand out or accept an iterator under a MAC it could not compute. */
static int kin_iter_mac(const unsigned char *raw, unsigned char out[KIN_ITER_MAC])
{
    unsigned char md[32];
    if (digest_hmac_sha256(kin_iter_key, sizeof kin_iter_key - 1, raw, KIN_ITER_BODY, md) != 0)
        return -1;
    memcpy(out, md, KIN_ITER_MAC);
    return 0;
}

char *kin_iter_encode(const kin_iter *it)
{
    unsigned char raw[KIN_ITER_RAW];
    raw[0] = 'K';
    raw[1] = 'I';
    raw[2] = 1;
    raw[3] = 0;
    kin_be_put(raw + 4, (uint64_t)it->stream_id, 8);
    kin_be_put(raw + 12, (uint32_t)it->shard_idx, 4);
    kin_be_put(raw + 16, it->after, 8);
    kin_be_put(raw + 24, (uint64_t)it->issued_ms, 8);
    kin_be_put(raw + 32, atomic_fetch_add(&kin_iter_nonce, 1) + 1, 4);
    if (kin_iter_mac(raw, raw + KIN_ITER_BODY) != 0)
        return NULL;
    char *out = malloc(KIN_ITER_RAW / 3 * 4 + 1);
    if (out == NULL)
        return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, raw, KIN_ITER_RAW);
    out[n] = '\0';
    return out;
}

int kin_iter_decode(const char *s, kin_iter *out)
{
    if (s == NULL || strlen(s) != KIN_ITER_RAW / 3 * 4)
        return -1;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '/'))
            return -1;
    unsigned char raw[KIN_ITER_RAW];
    if (EVP_DecodeBlock(raw, (const unsigned char *)s, KIN_ITER_RAW / 3 * 4) != KIN_ITER_RAW)
        return -1;
    if (raw[0] != 'K' || raw[1] != 'I' || raw[2] != 1)
        return -1;
    unsigned char mac[KIN_ITER_MAC];
    if (kin_iter_mac(raw, mac) != 0 || CRYPTO_memcmp(mac, raw + KIN_ITER_BODY, KIN_ITER_MAC) != 0)
        return -1;
    out->stream_id = (int64_t)kin_be_get(raw + 4, 8);
    uint64_t idx = kin_be_get(raw + 12, 4);
    if (idx > 2147483647u)
        return -1;
    out->shard_idx = (int)idx;
    out->after = kin_be_get(raw + 16, 8);
    out->issued_ms = (int64_t)kin_be_get(raw + 24, 8);
    return 0;
}

bool kin_iter_expired(const kin_iter *it, int64_t now_ms)
{
    return now_ms - it->issued_ms > KIN_ITER_TTL_MS;
}
