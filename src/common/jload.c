/*
 * jload.c - jload_fast(): request bodies in the common subset of JSON,
 * parsed without jansson's per-character reader (see jload.h).
 *
 * The contract is "the same tree or NULL", so every doubt returns NULL:
 * a \u escape, bytes that are not UTF-8 by jansson's rules (jload_utf8
 * applies them, so valid non-ASCII text stays on the fast path), a
 * control byte, a real or an exponent, a leading zero, a long integer, an
 * escape in a key, deep nesting, a duplicate key, trailing bytes.  The
 * caller then runs json_loadb, which accepts or rejects with its own
 * message, so a NULL never changes an answer, only its cost.
 */
#include "jload.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JLOAD_DEPTH 64

typedef struct jload {
    const char *p, *end;
    char *scratch;              /* unescaped string values; owned */
    size_t cap;
    int depth;
} jload;

/* Bytes a plain string run stops at: '"', '\\', controls, and non-ASCII,
 * which jload_run then checks as UTF-8. */
static const unsigned char jload_stop[256] = {
    [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

static void jload_ws(jload *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static int jload_reserve(jload *j, size_t n)
{
    if (n <= j->cap)
        return 0;
    size_t cap = j->cap ? j->cap : 256;
    while (cap < n)
        cap *= 2;
    char *s = realloc(j->scratch, cap);
    if (s == NULL)
        return -1;
    j->scratch = s;
    j->cap = cap;
    return 0;
}

/* Length of the UTF-8 sequence at p (p < end, *p >= 0x80) when jansson
 * would accept it, else 0.  These are jansson 2.14's rules (utf.c:
 * utf8_check_first, utf8_check_full), applied by its reader to every
 * byte >= 0x80: a lead byte C2..F4 (not a continuation byte, not C0/C1,
 * not F5..FF), then continuation bytes 80..BF, and a code point that is
 * not overlong, not a surrogate (U+D800..DFFF) and not above U+10FFFF.
 * A sequence cut short by the end of the body is invalid there too. */
static size_t jload_utf8(const unsigned char *p, const unsigned char *end)
{
    size_t n;
    uint32_t v;
    if (*p >= 0xC2 && *p <= 0xDF)
        n = 2, v = *p & 0x1Fu;
    else if (*p >= 0xE0 && *p <= 0xEF)
        n = 3, v = *p & 0x0Fu;
    else if (*p >= 0xF0 && *p <= 0xF4)
        n = 4, v = *p & 0x07u;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
        (n == 4 && v < 0x10000))
        return 0;
    return n; /* n == 2 cannot be overlong: its lead byte is >= C2 */
}

/* Move j->p over string bytes that stand for themselves (ASCII other than
 * '"', '\\' and controls; valid UTF-8 sequences) to the next '"', '\\' or
 * control byte: 0, or -1 at the end of the input or at a byte sequence
 * jansson rejects. */
static int jload_run(jload *j)
{
    for (;;) {
        while (j->p < j->end && !jload_stop[(unsigned char)*j->p])
            j->p++;
        if (j->p >= j->end)
            return -1;
        if ((unsigned char)*j->p < 0x80)
            return 0;
        size_t u = jload_utf8((const unsigned char *)j->p, (const unsigned char *)j->end);
        if (u == 0)
            return -1;
        j->p += u;
    }
}

/* The string at j->p (its opening quote): its bytes in *s, *n.  They point
 * into the input when the string has no escape, else into j->scratch
 * (valid until the next string) -- or -1 when escapes are not allowed. */
static int jload_string(jload *j, const char **s, size_t *n, int escapes)
{
    const char *b = ++j->p;
    if (jload_run(j) != 0)
        return -1;
    if (*j->p == '"') {
        *s = b;
        *n = (size_t)(j->p++ - b);
        return 0;
    }
    if (*j->p != '\\' || !escapes)
        return -1;
    size_t len = (size_t)(j->p - b);
    /* The unescaped text is never longer than the rest of the input. */
    if (jload_reserve(j, len + (size_t)(j->end - j->p)) != 0)
        return -1;
    memcpy(j->scratch, b, len);
    while (*j->p == '\\') {
        if (++j->p >= j->end)
            return -1;
        char c;
        switch (*j->p++) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case '/': c = '/'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        default: return -1; /* \u (surrogates, NUL) and invalid escapes */
        }
        j->scratch[len++] = c;
        const char *r = j->p;
        if (jload_run(j) != 0)
            return -1;
        memcpy(j->scratch + len, r, (size_t)(j->p - r));
        len += (size_t)(j->p - r);
    }
    if (*j->p != '"')
        return -1; /* a control byte */
    j->p++;
    *s = j->scratch;
    *n = len;
    return 0;
}

static json_t *jload_value(jload *j);

static json_t *jload_object(jload *j)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    j->p++;
    jload_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return o;
    }
    for (;;) {
        const char *k;
        size_t kn;
        if (j->p >= j->end || *j->p != '"' || jload_string(j, &k, &kn, 0) != 0)
            goto fail;
        jload_ws(j);
        if (j->p >= j->end || *j->p++ != ':')
            goto fail;
        json_t *v = jload_value(j);
        size_t before = json_object_size(o);
        /* A duplicate replaces silently here: jansson rejects it. */
        if (v == NULL || json_object_setn_new_nocheck(o, k, kn, v) != 0 ||
            json_object_size(o) == before)
            goto fail;
        jload_ws(j);
        if (j->p >= j->end)
            goto fail;
        char c = *j->p++;
        if (c == '}')
            return o;
        if (c != ',')
            goto fail;
        jload_ws(j);
    }
fail:
    json_decref(o);
    return NULL;
}

static json_t *jload_array(jload *j)
{
    json_t *a = json_array();
    if (a == NULL)
        return NULL;
    j->p++;
    jload_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return a;
    }
    for (;;) {
        if (json_array_append_new(a, jload_value(j)) != 0)
            goto fail; /* also when the element was NULL */
        jload_ws(j);
        if (j->p >= j->end)
            goto fail;
        char c = *j->p++;
        if (c == ']')
            return a;
        if (c != ',')
            goto fail;
    }
fail:
    json_decref(a);
    return NULL;
}

/* An integer of 1-18 digits (no leading zero), as jansson reads it; the
 * byte after it must end a value, which the caller checks. */
static json_t *jload_integer(jload *j)
{
    int neg = *j->p == '-';
    if (neg)
        j->p++;
    const char *b = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    size_t n = (size_t)(j->p - b);
    if (n == 0 || n > 18 || (n > 1 && *b == '0'))
        return NULL;
    int64_t v = 0; /* 18 digits cannot overflow */
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (b[i] - '0');
    if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
        return NULL; /* a real: jansson's strtod decides its value */
    return json_integer(neg ? -v : v);
}

static json_t *jload_literal(jload *j, const char *word, size_t n, json_t *v)
{
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return NULL;
    j->p += n;
    return v;
}

static json_t *jload_value(jload *j)
{
    jload_ws(j);
    if (j->p >= j->end)
        return NULL;
    const char *s;
    size_t n;
    json_t *v = NULL;
    switch (*j->p) {
    case '{':
    case '[':
        if (j->depth >= JLOAD_DEPTH)
            return NULL;
        j->depth++;
        v = *j->p == '{' ? jload_object(j) : jload_array(j);
        j->depth--;
        return v;
    case '"':
        return jload_string(j, &s, &n, 1) == 0 ? json_stringn_nocheck(s, n) : NULL;
    case 't': return jload_literal(j, "true", 4, json_true());
    case 'f': return jload_literal(j, "false", 5, json_false());
    case 'n': return jload_literal(j, "null", 4, json_null());
    default:
        if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
            return jload_integer(j);
        return NULL;
    }
}

json_t *jload_fast(const char *buf, size_t len)
{
    jload j = {.p = buf, .end = buf + len};
    json_t *v = NULL;
    if (buf == NULL)
        return NULL;
    jload_ws(&j);
    if (j.p < j.end && *j.p == '{')
        v = jload_value(&j);
    jload_ws(&j);
    if (v != NULL && j.p != j.end) {
        json_decref(v); /* trailing bytes: jansson's "end of file expected" */
        v = NULL;
    }
    free(j.scratch);
    return v;
}

json_t *jload_stored(const char *buf, size_t len)
{
    json_t *v = jload_fast(buf, len);
    return v != NULL ? v : json_loadb(buf, len, 0, NULL);
}
