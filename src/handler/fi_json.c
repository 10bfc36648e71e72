/*
 * fi_json.c - original number text, shortest number format and
 * AttributeValue helpers; see fi_json.h.
 *
 * The scanner is a small recursive-descent skipper: it never builds
 * values, it only walks tokens to the requested member and reports where
 * the number token starts and ends.  Depth is bounded by the path length
 * plus the nesting of skipped values, which it bounds at 512.
 */
#include "fi_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scan {
    const char *s;
    size_t len, pos;
} scan;

static void ws(scan *sc)
{
    while (sc->pos < sc->len && (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
                                 sc->s[sc->pos] == '\n' || sc->s[sc->pos] == '\r'))
        sc->pos++;
}

/* Skip a string token; start and n get its raw contents (without quotes). */
static int skip_string(scan *sc, const char **start, size_t *n)
{
    if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
        return -1;
    size_t b = ++sc->pos;
    while (sc->pos < sc->len && sc->s[sc->pos] != '"') {
        if (sc->s[sc->pos] == '\\')
            sc->pos++;
        sc->pos++;
    }
    if (sc->pos >= sc->len)
        return -1;
    if (start) {
        *start = sc->s + b;
        *n = sc->pos - b;
    }
    sc->pos++;
    return 0;
}

static int is_num_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static int skip_value(scan *sc, int depth)
{
    ws(sc);
    if (sc->pos >= sc->len || depth > 512)
        return -1;
    char c = sc->s[sc->pos];
    if (c == '"')
        return skip_string(sc, NULL, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        sc->pos++;
        ws(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == close) {
            sc->pos++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                ws(sc);
                if (skip_string(sc, NULL, NULL) < 0)
                    return -1;
                ws(sc);
                if (sc->pos >= sc->len || sc->s[sc->pos++] != ':')
                    return -1;
            }
            if (skip_value(sc, depth + 1) < 0)
                return -1;
            ws(sc);
            if (sc->pos >= sc->len)
                return -1;
            char d = sc->s[sc->pos++];
            if (d == close)
                return 0;
            if (d != ',')
                return -1;
        }
    }
    size_t b = sc->pos;
    while (sc->pos < sc->len && (is_num_char(sc->s[sc->pos]) ||
                                 (sc->s[sc->pos] >= 'a' && sc->s[sc->pos] <= 'z')))
        sc->pos++;
    return sc->pos > b ? 0 : -1;
}

/* Position sc at the value of member `key` of the object at sc->pos. */
static int enter_member(scan *sc, const char *key)
{
    size_t klen = strlen(key);
    ws(sc);
    if (sc->pos >= sc->len || sc->s[sc->pos++] != '{')
        return -1;
    for (;;) {
        const char *k;
        size_t n;
        ws(sc);
        if (skip_string(sc, &k, &n) < 0)
            return -1;
        ws(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos++] != ':')
            return -1;
        if (n == klen && memcmp(k, key, n) == 0) {
            ws(sc);
            return 0;
        }
        if (skip_value(sc, 0) < 0)
            return -1;
        ws(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos++] != ',')
            return -1;
    }
}

static int enter_element(scan *sc, size_t index)
{
    ws(sc);
    if (sc->pos >= sc->len || sc->s[sc->pos++] != '[')
        return -1;
    for (size_t i = 0;; i++) {
        ws(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == ']')
            return -1;
        if (i == index)
            return 0;
        if (skip_value(sc, 0) < 0)
            return -1;
        ws(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos++] != ',')
            return -1;
    }
}

int fi_json_number_text(const char *doc, size_t len, const fi_step *path, size_t npath,
                        const char **tok, size_t *toklen)
{
    scan sc = {doc, len, 0};
    if (!doc)
        return -1;
    for (size_t i = 0; i < npath; i++) {
        int rc = path[i].key ? enter_member(&sc, path[i].key) : enter_element(&sc, path[i].index);
        if (rc < 0)
            return -1;
    }
    ws(&sc);
    size_t b = sc.pos;
    if (b >= len || !(sc.s[b] == '-' || (sc.s[b] >= '0' && sc.s[b] <= '9')))
        return -1;
    while (sc.pos < len && is_num_char(sc.s[sc.pos]))
        sc.pos++;
    *tok = doc + b;
    *toklen = sc.pos - b;
    return 0;
}

void fi_json_format_number(double v, char *buf, size_t cap)
{
    if (!isfinite(v)) {
        snprintf(buf, cap, "0");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, cap, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

json_t *fi_av_s(const char *s)
{
    return s ? json_pack("{s:s}", "S", s) : NULL;
}

json_t *fi_av_n(const char *text)
{
    return text ? json_pack("{s:s}", "N", text) : NULL;
}

json_t *fi_av_nn(const char *text, size_t len)
{
    return text ? json_pack("{s:s%}", "N", text, len) : NULL;
}

static const char *av_get(const json_t *item, const char *name, const char *type)
{
    json_t *av = json_object_get(item, name);
    return json_string_value(json_object_get(av, type));
}

const char *fi_av_get_s(const json_t *item, const char *name) { return av_get(item, name, "S"); }
const char *fi_av_get_n(const json_t *item, const char *name) { return av_get(item, name, "N"); }
