/*
 * sigv4.c - AWS Signature Version 4, see sigv4.h.
 *
 * Owns the canonicalisation rules (URI, query, headers) and a private
 * growable string buffer; SHA-256 and HMAC-SHA256 come from digest.h.
 * Checked against AWS's aws-sig-v4-test-suite in tests/unit/test_sigv4.c.
 */
#include "sigv4.h"
#include "digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable string ------------------------------------------------- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }
static void sb_addc(sbuf *b, char c) { sb_addn(b, &c, 1); }

/* Hand the string to the caller (empty string when nothing was added). */
static int sb_finish(sbuf *b, char **out)
{
    if (!b->oom && !b->s)
        sb_addn(b, "", 0);
    if (b->oom) {
        free(b->s);
        *out = NULL;
        return -1;
    }
    *out = b->s;
    return 0;
}

/* ---- hashing --------------------------------------------------------- */

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    /* The digest fetched once: the handler hashes every request payload
     * and every sighting id (see digest.h). */
    if (!EVP_Digest(len ? data : (const void *)"", len, md, NULL, digest_sha256(), NULL))
        SHA256(len ? data : (const void *)"", len, md);
    digest_hex(md, sizeof md, out);
}

static int hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    return digest_hmac_sha256(key, klen, msg, strlen(msg), out);
}

void sigv4_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* ---- canonical URI and query ----------------------------------------- */

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

static void uri_encode(sbuf *b, const char *s, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c)) {
            sb_addc(b, (char)c);
        } else {
            char e[3] = {'%', hx[c >> 4], hx[c & 15]};
            sb_addn(b, e, 3);
        }
    }
}

/*
 * Path segments are normalised the way the suite's normalize-path cases
 * expect: empty and "." segments dropped, ".." pops; a trailing slash kept.
 */
static void canonical_uri(sbuf *b, const char *path)
{
    const char *segs[128];
    size_t lens[128], n = 0;
    const char *p = (path && *path) ? path : "/";
    size_t plen = strlen(p);
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t l = (size_t)(e - p);
        if (l == 0 || (l == 1 && p[0] == '.')) {
            /* skip */
        } else if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (n > 0)
                n--;
        } else if (n < 128) {
            segs[n] = p;
            lens[n++] = l;
        }
        p = e;
    }
    for (size_t i = 0; i < n; i++) {
        sb_addc(b, '/');
        uri_encode(b, segs[i], lens[i]);
    }
    if (n == 0 || (plen > 1 && path[plen - 1] == '/'))
        sb_addc(b, '/');
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode %XX escapes of s[0..n) and re-encode with the SigV4 rule. */
static void query_component(sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        uri_encode(b, &c, 1);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each pair becomes "key=value" (encoded); pairs sorted bytewise. */
static int canonical_query(sbuf *b, const char *query)
{
    if (!query || !*query)
        return 0;
    size_t cap = 1;
    for (const char *q = query; *q; q++)
        cap += *q == '&';
    char **pairs = calloc(cap, sizeof *pairs);
    size_t n = 0;
    int rc = -1;
    if (!pairs)
        return -1;
    for (const char *p = query; *p;) {
        const char *e = strchr(p, '&');
        if (!e)
            e = p + strlen(p);
        if (e > p) {
            const char *eq = memchr(p, '=', (size_t)(e - p));
            sbuf one = {0};
            query_component(&one, p, (size_t)((eq ? eq : e) - p));
            sb_addc(&one, '=');
            if (eq)
                query_component(&one, eq + 1, (size_t)(e - eq - 1));
            if (sb_finish(&one, &pairs[n]) < 0)
                goto out;
            n++;
        }
        p = *e ? e + 1 : e;
    }
    qsort(pairs, n, sizeof *pairs, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_addc(b, '&');
        sb_add(b, pairs[i]);
    }
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(pairs[i]);
    free(pairs);
    return rc;
}

/* ---- canonical headers ----------------------------------------------- */

typedef struct hdr {
    char *name;   /* lowercased */
    char *value;  /* trimmed, whitespace runs collapsed */
    size_t order; /* keeps duplicates in the order given */
} hdr;

static int cmp_hdr(const void *a, const void *b)
{
    const hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static char *normalise_value(const char *v)
{
    sbuf b = {0};
    char *out = NULL;
    int pending = 0;
    while (*v && is_ws(*v))
        v++;
    for (; *v; v++) {
        if (is_ws(*v)) {
            pending = 1;
            continue;
        }
        if (pending)
            sb_addc(&b, ' ');
        pending = 0;
        sb_addc(&b, *v);
    }
    return sb_finish(&b, &out) < 0 ? NULL : out;
}

/* Appends "name:v1,v2\n"... then "\n" then the signed-header list to b and sh. */
static int canonical_headers(sbuf *b, sbuf *sh, const sigv4_header *h, size_t n)
{
    hdr *hs = calloc(n ? n : 1, sizeof *hs);
    int rc = -1;
    if (!hs)
        return -1;
    for (size_t i = 0; i < n; i++) {
        hs[i].name = strdup(h[i].name ? h[i].name : "");
        hs[i].value = normalise_value(h[i].value ? h[i].value : "");
        hs[i].order = i;
        if (!hs[i].name || !hs[i].value)
            goto out;
        for (char *p = hs[i].name; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    }
    qsort(hs, n, sizeof *hs, cmp_hdr);
    for (size_t i = 0; i < n; i++) {
        int same = i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0;
        if (same) {
            sb_addc(b, ',');
        } else {
            if (i > 0) {
                sb_addc(b, '\n');
                sb_addc(sh, ';');
            }
            sb_add(b, hs[i].name);
            sb_addc(b, ':');
            sb_add(sh, hs[i].name);
        }
        sb_add(b, hs[i].value);
    }
    sb_add(b, "\n");
    rc = 0;
out:
    for (size_t i = 0; i < n; i++) {
        free(hs[i].name);
        free(hs[i].value);
    }
    free(hs);
    return rc;
}

/* ---- public ------------------------------------------------------------ */

/* Builds the canonical request and, when sh_out is set, the signed-header list. */
static int build_canonical(const sigv4_request *req, char **out, char **sh_out)
{
    sbuf b = {0}, sh = {0};
    char hash[65];
    *out = NULL;
    if (!req || !req->method)
        return -1;
    sb_add(&b, req->method);
    sb_addc(&b, '\n');
    canonical_uri(&b, req->path);
    sb_addc(&b, '\n');
    if (canonical_query(&b, req->query) < 0)
        goto fail;
    sb_addc(&b, '\n');
    if (canonical_headers(&b, &sh, req->headers, req->n_headers) < 0)
        goto fail;
    sb_addc(&b, '\n');
    if (sh.s)
        sb_add(&b, sh.s);
    sb_addc(&b, '\n');
    sigv4_sha256_hex(req->payload, req->payload_len, hash);
    sb_add(&b, hash);
    if (sb_finish(&b, out) < 0) {
        b.s = NULL;
        goto fail;
    }
    if (sh_out) {
        if (sb_finish(&sh, sh_out) < 0) {
            free(*out);
            *out = NULL;
            return -1;
        }
    } else {
        free(sh.s);
    }
    return 0;
fail:
    free(b.s);
    free(sh.s);
    *out = NULL;
    return -1;
}

int sigv4_canonical_request(const sigv4_request *req, char **out)
{
    return build_canonical(req, out, NULL);
}

int sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                         const char *canonical_request, char **out)
{
    sbuf b = {0};
    char hash[65];
    if (!amz_date || strlen(amz_date) < 8 || !region || !service || !canonical_request)
        return -1;
    sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
    sb_add(&b, "AWS4-HMAC-SHA256\n");
    sb_add(&b, amz_date);
    sb_addc(&b, '\n');
    sb_addn(&b, amz_date, 8);
    sb_addc(&b, '/');
    sb_add(&b, region);
    sb_addc(&b, '/');
    sb_add(&b, service);
    sb_add(&b, "/aws4_request\n");
    sb_add(&b, hash);
    return sb_finish(&b, out);
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request") */
static int signing_key(const char *secret, const char *amz_date, const char *region,
                       const char *service, unsigned char key[32])
{
    char date[9];
    sbuf k = {0};
    int rc = -1;
    memcpy(date, amz_date, 8);
    date[8] = '\0';
    sb_add(&k, "AWS4");
    sb_add(&k, secret);
    if (k.oom)
        goto out;
    if (hmac(k.s, k.len, date, key) < 0 || hmac(key, 32, region, key) < 0 ||
        hmac(key, 32, service, key) < 0 || hmac(key, 32, "aws4_request", key) < 0)
        goto out;
    rc = 0;
out:
    if (k.s)
        OPENSSL_cleanse(k.s, k.len);
    free(k.s);
    return rc;
}

int sigv4_sign(const sigv4_request *req, const sigv4_credentials *cred, const char *region,
               const char *service, const char *amz_date, char **authorization)
{
    char *creq = NULL, *sh = NULL, *sts = NULL;
    unsigned char key[32], sig[32];
    char sighex[65];
    sbuf b = {0};
    int rc = -1;
    *authorization = NULL;
    if (!cred || !cred->access_key_id || !cred->secret_access_key || !amz_date ||
        strlen(amz_date) < 8 || !region || !service)
        return -1;
    if (build_canonical(req, &creq, &sh) < 0 ||
        sigv4_string_to_sign(amz_date, region, service, creq, &sts) < 0 ||
        signing_key(cred->secret_access_key, amz_date, region, service, key) < 0 ||
        hmac(key, sizeof key, sts, sig) < 0)
        goto out;
    digest_hex(sig, sizeof sig, sighex);
    sb_add(&b, "AWS4-HMAC-SHA256 Credential=");
    sb_add(&b, cred->access_key_id);
    sb_addc(&b, '/');
    sb_addn(&b, amz_date, 8);
    sb_addc(&b, '/');
    sb_add(&b, region);
    sb_addc(&b, '/');
    sb_add(&b, service);
    sb_add(&b, "/aws4_request, SignedHeaders=");
    sb_add(&b, sh);
    sb_add(&b, ", Signature=");
    sb_add(&b, sighex);
    rc = sb_finish(&b, authorization);
out:
    OPENSSL_cleanse(key, sizeof key);
    free(creq);
    free(sh);
    free(sts);
    return rc;
}
