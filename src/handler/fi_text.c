/*
 * fi_text.c - growing text buffer and JSON string literal; see fi_text.h.
 *
 * Same escaping table as src/common/jtext.c (which has no append-to-buffer
 * entry point); strings are copied in runs between the bytes that need
 * escaping.
 */
#include "fi_text.h"

#include <stdlib.h>
#include <string.h>

static int reserve(fi_text *t, size_t n)
{
    if (t->failed)
        return -1;
    if (t->len + n + 1 <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap : 1024;
    while (cap < t->len + n + 1)
        cap *= 2;
    char *p = realloc(t->p, cap);
    if (!p) {
        t->failed = 1;
        return -1;
    }
    t->p = p;
    t->cap = cap;
    return 0;
}

void fi_text_put(fi_text *t, const char *s, size_t n)
{
    if (n == 0 || reserve(t, n) < 0)
        return;
    memcpy(t->p + t->len, s, n);
    t->len += n;
}

void fi_text_puts(fi_text *t, const char *s) { fi_text_put(t, s, strlen(s)); }

static const unsigned char needs_escape[256] = {
    [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

void fi_text_quote(fi_text *t, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;
    fi_text_put(t, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape[c])
            continue;
        fi_text_put(t, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0};
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            fi_text_put(t, esc, 6);
            continue;
        }
        fi_text_put(t, esc, 2);
    }
    fi_text_put(t, s + run, n - run);
    fi_text_put(t, "\"", 1);
}

void fi_text_uint(fi_text *t, size_t v)
{
    char d[24];
    size_t i = sizeof d;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    fi_text_put(t, d + i, sizeof d - i);
}

char *fi_text_finish(fi_text *t, size_t *len)
{
    char *p = NULL;
    if (reserve(t, 0) == 0) {
        t->p[t->len] = '\0';
        p = t->p;
        if (len)
            *len = t->len;
    } else {
        free(t->p);
    }
    *t = (fi_text){0};
    return p;
}

void fi_text_free(fi_text *t)
{
    free(t->p);
    *t = (fi_text){0};
}
