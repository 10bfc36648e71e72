/*
 * kin_fast.c - PutRecords straight from the request body.
 *
 * A 100-record PutRecords is ~140 KB of JSON, nearly all of it base64
 * Data.  Parsed into a jansson tree, each Data string is copied, checked
 * as UTF-8 and then decoded: the parse alone was half of the CPU of a
 * PutRecords.  This scanner reads the shape every SDK sends -
 * {"StreamName": S, "Records": [{"Data": B, "PartitionKey": K,
 * "ExplicitHashKey": H?}, ...]} in any member order and with any
 * whitespace - and decodes Data in place.  Anything else (escapes, other
 * members, non-ASCII keys, StreamARN, duplicates, any invalid value)
 * returns "not handled", and the generic path (kin_put.c) parses,
 * validates and answers it with its exact errors.  Both paths store
 * through kin_put_entry and kin_put_records_run.
 *
 * Entry point: kin_put_records_fast (an svc_fast_fn).
 */
#include "kin_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct kin_scan {
    const char *p, *end;
} kin_scan;

/* A string value: where it starts and its length, quotes excluded. */
typedef struct kin_str {
    const char *s;
    size_t n;
} kin_str;

static void kin_ws(kin_scan *sc)
{
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
        sc->p++;
}

static bool kin_lit(kin_scan *sc, char c)
{
    kin_ws(sc);
    if (sc->p < sc->end && *sc->p == c) {
        sc->p++;
        return true;
    }
    return false;
}

/* A string without escapes.  With `plain`, printable ASCII only (names and
 * keys: then bytes are characters); without, any bytes but '\' and
 * controls are left for base64_decode to judge. */
static bool kin_string(kin_scan *sc, bool plain, kin_str *out)
{
    kin_ws(sc);
    if (sc->p >= sc->end || *sc->p != '"')
        return false;
    const char *b = ++sc->p;
    const char *q = memchr(b, '"', (size_t)(sc->end - b));
    if (q == NULL)
        return false;
    if (plain) {
        for (const char *x = b; x < q; x++)
            if ((unsigned char)*x < 0x20 || (unsigned char)*x > 0x7e || *x == '\\')
                return false;
    } else if (memchr(b, '\\', (size_t)(q - b)) != NULL) {
        return false; /* an escape: jansson's job */
    }
    out->s = b;
    out->n = (size_t)(q - b);
    sc->p = q + 1;
    return true;
}

/* The next member name of an object; true when it is one. */
static bool kin_member(kin_scan *sc, kin_str *name)
{
    return kin_string(sc, true, name) && kin_lit(sc, ':');
}

static bool kin_is(const kin_str *s, const char *lit)
{
    return s->n == strlen(lit) && memcmp(s->s, lit, s->n) == 0;
}

/* `0|[1-9][0-9]{0,38}`: what the generic validator accepts. */
static bool kin_hash_digits(const kin_str *s)
{
    if (s->n < 1 || s->n > 39 || (s->s[0] == '0' && s->n > 1))
        return false;
    for (size_t i = 0; i < s->n; i++)
        if (s->s[i] < '0' || s->s[i] > '9')
            return false;
    return true;
}

/* One record object into p; false when not of the usual shape.  The
 * partition key stays in the body, which outlives the request. */
static bool kin_scan_entry(kin_scan *sc, kin_put *p, size_t *total)
{
    kin_str data = {0}, pk = {0}, ehk = {0}, name;
    if (!kin_lit(sc, '{'))
        return false;
    do {
        if (!kin_member(sc, &name))
            return false;
        kin_str *slot = kin_is(&name, "Data") ? &data
                        : kin_is(&name, "PartitionKey") ? &pk
                        : kin_is(&name, "ExplicitHashKey") ? &ehk : NULL;
        if (slot == NULL || slot->s != NULL || !kin_string(sc, slot != &data, slot))
            return false;
    } while (kin_lit(sc, ','));
    if (!kin_lit(sc, '}') || data.s == NULL || pk.s == NULL || pk.n < 1 || pk.n > 256 ||
        (ehk.s != NULL && !kin_hash_digits(&ehk)))
        return false;
    char ehk_text[40];
    if (ehk.s != NULL) {
        memcpy(ehk_text, ehk.s, ehk.n);
        ehk_text[ehk.n] = '\0';
    }
    err_t err = {0};
    bool ok = kin_put_entry(pk.s, pk.n, data.s, data.n, ehk.s ? ehk_text : NULL, p, total,
                            &err) == 0;
    err_clear(&err);
    if (!ok) { /* not counted in ps->n: release it here */
        free(p->data);
        p->data = NULL;
    }
    return ok;
}

/* The Records array into ps; false when not of the usual shape. */
static bool kin_scan_records(kin_scan *sc, kin_puts *ps, size_t *total)
{
    if (!kin_lit(sc, '[') || ps->v != NULL)
        return false;
    size_t cap = 0;
    do {
        if (ps->n == cap) {
            if (cap == KIN_MAX_PUT_RECORDS)
                return false; /* too many: the generic path says so */
            cap = cap ? cap * 2 : 64;
            if (cap > KIN_MAX_PUT_RECORDS)
                cap = KIN_MAX_PUT_RECORDS;
            kin_put *v = realloc(ps->v, cap * sizeof *v);
            if (v == NULL)
                return false;
            ps->v = v;
        }
        memset(&ps->v[ps->n], 0, sizeof *ps->v);
        if (!kin_scan_entry(sc, &ps->v[ps->n], total))
            return false;
        ps->n++;
    } while (kin_lit(sc, ','));
    return kin_lit(sc, ']');
}

int kin_put_records_fast(emu_t *emu, const char *body, size_t len, json_t **req, char **out,
                         err_t *err)
{
    kin_scan sc = {body, body + len};
    kin_puts ps = {0};
    kin_str stream = {0}, name;
    size_t total = 0;
    json_t *stand_in = NULL;
    err_t verr = {0};
    int rc = 0;
    if (!kin_lit(&sc, '{'))
        goto out;
    do {
        if (!kin_member(&sc, &name))
            goto out;
        if (kin_is(&name, "StreamName") && stream.s == NULL) {
            if (!kin_string(&sc, true, &stream))
                goto out;
        } else if (!kin_is(&name, "Records") || !kin_scan_records(&sc, &ps, &total)) {
            goto out;
        }
    } while (kin_lit(&sc, ','));
    if (!kin_lit(&sc, '}') || (kin_ws(&sc), sc.p != sc.end) || stream.s == NULL || ps.n == 0)
        goto out;
    stand_in = json_pack("{s:s%}", "StreamName", stream.s, stream.n);
    if (stand_in == NULL || kin_check_stream_ref(stand_in, &verr) != 0)
        goto out;
    *req = stand_in;
    stand_in = NULL;
    *out = kin_put_records_run(emu, *req, &ps, total, err);
    rc = 1;
out:
    err_clear(&verr);
    json_decref(stand_in);
    kin_puts_free(&ps);
    return rc;
}
