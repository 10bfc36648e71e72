/*
 * fi_jdoc.c - in-place JSON parser into flat nodes; see fi_jdoc.h.
 *
 * Why not jansson here: json_loadb reads a byte at a time through a
 * callback, copies every token into a string buffer and allocates a value
 * per node; for the handler's ~2 KB records and ~250 KB events that was
 * the largest part of the CPU per record.  This parser validates the same
 * grammar in one pass over the bytes, copies nothing (string values are
 * decoded over their own spelling) and allocates one node array that the
 * next document reuses.
 *
 * Acceptance must equal jansson's, rule by rule (load.c): whitespace is
 * " \t\n\r"; literals are the whole alphabetic run; numbers follow
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, without a fraction or
 * exponent they must fit an int64 (strtoll), with one they must not
 * overflow a double (strtod -> HUGE_VAL); strings reject control bytes,
 * bad escapes, lone or mismatched surrogates and \u0000; every byte of the
 * text must be strict UTF-8; a value more than 2048 levels deep is refused.
 */
#include "fi_jdoc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2048          /* jansson's JSON_PARSER_MAX_DEPTH */
#define SCANNER_MAX_HEIGHT 512  /* see fi_jdoc_get */

typedef struct parser {
    fi_jdoc *d;
    char *s;
    size_t len, pos;
    int reject_dups;
} parser;

/* Bytes that end a run of plain string content. */
static const unsigned char str_stop[256] = {
    [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

static void ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        p->pos++;
    }
}

static long new_node(parser *p, int type)
{
    fi_jdoc *d = p->d;
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        fi_jnode *n = realloc(d->n, cap * sizeof *n);
        if (!n)
            return -1;
        d->n = n;
        d->cap = cap;
    }
    fi_jnode *n = &d->n[d->count];
    memset(n, 0, sizeof *n);
    n->type = (uint8_t)type;
    n->pos = (uint32_t)p->pos;
    return (long)d->count++;
}

/* Length of the strict UTF-8 sequence at s[0..avail), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t n;
    unsigned v;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
        (n == 4 && v < 0x10000))
        return 0;
    return n;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One escape at s[*i] (after the backslash) written at out[*o]. */
static int unescape(parser *p, size_t *i, size_t *o)
{
    char *s = p->s;
    static const char simple[256] = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
                                     ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'};
    if (*i >= p->len)
        return -1;
    char c = s[*i];
    if (c != 'u') {
        if (!simple[(unsigned char)c])
            return -1;
        s[(*o)++] = simple[(unsigned char)c];
        (*i)++;
        return 0;
    }
    unsigned cp, lo;
    if (*i + 5 > p->len || hex4(s + *i + 1, &cp) < 0)
        return -1;
    *i += 5;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (*i + 6 > p->len || s[*i] != '\\' || s[*i + 1] != 'u' || hex4(s + *i + 2, &lo) < 0 ||
            lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        *i += 6;
        cp = ((cp - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
    } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
        return -1; /* lone low surrogate; \u0000 (no JSON_ALLOW_NUL) */
    }
    *o += utf8_put(s + *o, cp);
    return 0;
}

/* A string token at p->pos ('"'), decoded in place and NUL-terminated. */
static long parse_string(parser *p)
{
    long id = new_node(p, FI_J_STR);
    if (id < 0)
        return -1;
    const unsigned char *u = (const unsigned char *)p->s;
    size_t i = p->pos + 1, o = i, start = i;
    int esc = 0;
    for (;;) {
        /* Plain bytes, eight at a time while none of them needs a look. */
        while (i + 8 <= p->len) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            uint64_t hi = 0x8080808080808080ull, lo = 0x0101010101010101ull;
            uint64_t q = w ^ (lo * '"'), b = w ^ (lo * '\\');
            uint64_t stop = ((w - lo * 0x20) | ((q - lo) & ~q) | ((b - lo) & ~b) | w) & hi;
            if (stop)
                break;
            if (esc)
                memmove(p->s + o, p->s + i, 8);
            i += 8, o += 8;
        }
        if (i >= p->len)
            return -1;
        unsigned char c = u[i];
        if (!str_stop[c]) {
            p->s[o++] = (char)c, i++;
        } else if (c == '"') {
            break;
        } else if (c == '\\') {
            esc = 1, i++;
            if (unescape(p, &i, &o) < 0)
                return -1;
        } else if (c >= 0x80) {
            size_t n = utf8_seq(u + i, p->len - i);
            if (n == 0)
                return -1;
            memmove(p->s + o, p->s + i, n);
            i += n, o += n;
        } else {
            return -1; /* control byte */
        }
    }
    fi_jnode *n = &p->d->n[id];
    n->pos = (uint32_t)start;
    n->len = (uint32_t)(o - start);
    n->esc = (uint8_t)esc;
    p->s[o] = '\0'; /* o <= i, the closing quote's place or before it */
    p->pos = i + 1;
    return id;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Does the token s[0..n) (an integer or real, grammar checked) fit as
 * jansson needs: int64 for integers, a finite double for reals. */
static int number_fits(const char *s, size_t n, int real)
{
    char small[64];
    if (!real) {
        size_t digits = n - (s[0] == '-');
        if (digits != 19)
            return digits < 19;
        return memcmp(s + (s[0] == '-'), s[0] == '-' ? "9223372036854775808" : "9223372036854775807",
                      19) <= 0;
    }
    const char *dot = memchr(s, '.', n);
    size_t intpart = (dot ? (size_t)(dot - s) : n) - (s[0] == '-');
    if (!memchr(s, 'e', n) && !memchr(s, 'E', n) && intpart <= 300)
        return 1; /* below 1e301: cannot overflow */
    char *t = n < sizeof small ? small : malloc(n + 1);
    if (!t)
        return -1;
    memcpy(t, s, n);
    t[n] = '\0';
    errno = 0;
    double v = strtod(t, NULL);
    int ok = !((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE);
    if (t != small)
        free(t);
    return ok;
}

static long parse_number(parser *p)
{
    const char *s = p->s;
    size_t i = p->pos, b = i;
    int real = 0;
    if (s[i] == '-')
        i++;
    if (i < p->len && s[i] == '0') {
        i++;
    } else if (i < p->len && s[i] >= '1' && s[i] <= '9') {
        while (i < p->len && is_digit(s[i]))
            i++;
    } else {
        return -1;
    }
    if (i < p->len && s[i] == '.') {
        real = 1, i++;
        if (i >= p->len || !is_digit(s[i]))
            return -1;
        while (i < p->len && is_digit(s[i]))
            i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        real = 1, i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= p->len || !is_digit(s[i]))
            return -1;
        while (i < p->len && is_digit(s[i]))
            i++;
    }
    if (number_fits(s + b, i - b, real) != 1)
        return -1;
    long id = new_node(p, real ? FI_J_REAL : FI_J_INT);
    if (id < 0)
        return -1;
    p->d->n[id].len = (uint32_t)(i - b);
    p->pos = i;
    return id;
}

static long parse_literal(parser *p)
{
    static const struct { const char *word; size_t n; int type; } lits[] = {
        {"true", 4, FI_J_TRUE}, {"false", 5, FI_J_FALSE}, {"null", 4, FI_J_NULL}};
    size_t e = p->pos;
    while (e < p->len && ((p->s[e] | 0x20) >= 'a' && (p->s[e] | 0x20) <= 'z'))
        e++; /* jansson takes the whole alphabetic run as the token */
    for (size_t k = 0; k < 3; k++) {
        if (e - p->pos == lits[k].n && memcmp(p->s + p->pos, lits[k].word, lits[k].n) == 0) {
            long id = new_node(p, lits[k].type);
            if (id >= 0) {
                p->d->n[id].len = (uint32_t)lits[k].n;
                p->pos = e;
            }
            return id;
        }
    }
    return -1;
}

static int key_cmp(const fi_jdoc *d, size_t a, size_t b)
{
    const fi_jnode *x = &d->n[a], *y = &d->n[b];
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(d->text + x->pos, d->text + y->pos, x->len);
}

static int key_order(const void *a, const void *b, void *d)
{
    return key_cmp(d, *(const uint32_t *)a, *(const uint32_t *)b);
}

/* 0 when the keys of object node obj are distinct, -1 otherwise. */
static int distinct_keys(const fi_jdoc *d, size_t obj)
{
    size_t m = d->n[obj].len, k = 0;
    uint32_t small[16], *keys = m <= 16 ? small : malloc(m * sizeof *keys);
    int rc = 0;
    if (!keys)
        return -1;
    for (size_t c = obj + 1; k < m; c = d->n[c + 1].next)
        keys[k++] = (uint32_t)c;
    if (m <= 16) {
        for (size_t i = 0; i < m && rc == 0; i++)
            for (size_t j = i + 1; j < m && rc == 0; j++)
                rc = key_cmp(d, keys[i], keys[j]) == 0 ? -1 : 0;
        return rc;
    }
    qsort_r(keys, m, sizeof *keys, key_order, (void *)d);
    for (size_t i = 1; i < m && rc == 0; i++)
        rc = key_cmp(d, keys[i - 1], keys[i]) == 0 ? -1 : 0;
    free(keys);
    return rc;
}

static long parse_value(parser *p, int depth);

/* '{' or '[' at p->pos: the members, then the closing bracket. */
static long parse_container(parser *p, int depth)
{
    int obj = p->s[p->pos] == '{';
    long id = new_node(p, obj ? FI_J_OBJ : FI_J_ARR);
    uint32_t count = 0;
    unsigned height = 0;
    if (id < 0)
        return -1;
    p->pos++;
    ws(p);
    if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) {
        p->pos++;
    } else {
        for (;;) {
            if (obj) {
                if (p->pos >= p->len || p->s[p->pos] != '"' || parse_string(p) < 0)
                    return -1;
                ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':')
                    return -1;
                p->pos++;
            }
            long v = parse_value(p, depth + 1);
            if (v < 0)
                return -1;
            if (p->d->n[v].height + 1u > height)
                height = p->d->n[v].height + 1u;
            count++;
            ws(p);
            if (p->pos >= p->len)
                return -1;
            char c = p->s[p->pos++];
            if (c == (obj ? '}' : ']'))
                break;
            if (c != ',')
                return -1;
            ws(p);
        }
    }
    fi_jnode *n = &p->d->n[id];
    n->len = count;
    n->height = (uint16_t)height;
    n->next = (uint32_t)p->d->count;
    if (obj && p->reject_dups && count > 1 && distinct_keys(p->d, (size_t)id) < 0)
        return -1;
    return id;
}

/* One value at p->pos (after whitespace); its node's next is set. */
static long parse_value(parser *p, int depth)
{
    long id;
    ws(p);
    if (depth > MAX_DEPTH || p->pos >= p->len)
        return -1;
    char c = p->s[p->pos];
    if (c == '{' || c == '[')
        return parse_container(p, depth);
    if (c == '"')
        id = parse_string(p);
    else if (c == '-' || is_digit(c))
        id = parse_number(p);
    else
        id = parse_literal(p);
    if (id >= 0)
        p->d->n[id].next = (uint32_t)p->d->count;
    return id;
}

int fi_jdoc_parse(fi_jdoc *d, char *text, size_t len, int reject_dups)
{
    parser p = {d, text, len, 0, reject_dups};
    d->text = text;
    d->count = 0;
    if (!text || len >= UINT32_MAX)
        return -1;
    ws(&p);
    if (p.pos >= len || (text[p.pos] != '{' && text[p.pos] != '['))
        return -1;
    if (parse_value(&p, 1) < 0)
        return -1;
    ws(&p);
    return p.pos == len ? 0 : -1;
}

void fi_jdoc_free(fi_jdoc *d)
{
    free(d->n);
    d->n = NULL;
    d->count = d->cap = 0;
}

size_t fi_jdoc_get(const fi_jdoc *d, size_t obj, const char *key, int *plain)
{
    size_t found = 0, klen = strlen(key);
    int deep = 0, ok = 0;
    if (obj >= d->count || d->n[obj].type != FI_J_OBJ)
        return 0;
    size_t c = obj + 1;
    for (uint32_t m = 0; m < d->n[obj].len; m++, c = d->n[c + 1].next) {
        const fi_jnode *k = &d->n[c];
        if (k->len == klen && memcmp(d->text + k->pos, key, klen) == 0) {
            found = c + 1;
            ok = !deep && !k->esc;
        }
        if (d->n[c + 1].height > SCANNER_MAX_HEIGHT)
            deep = 1;
    }
    if (plain)
        *plain = ok;
    return found;
}

const char *fi_jdoc_str(const fi_jdoc *d, size_t i)
{
    return fi_jdoc_is(d, i, FI_J_STR) ? d->text + d->n[i].pos : NULL;
}

double fi_jdoc_number(const fi_jdoc *d, size_t i)
{
    char small[64];
    if (!fi_jdoc_is_number(d, i))
        return 0.0;
    size_t n = d->n[i].len;
    char *t = n < sizeof small ? small : malloc(n + 1);
    if (!t)
        return 0.0;
    memcpy(t, d->text + d->n[i].pos, n);
    t[n] = '\0';
    double v = d->n[i].type == FI_J_INT ? (double)strtoll(t, NULL, 10) : strtod(t, NULL);
    if (t != small)
        free(t);
    return v;
}
