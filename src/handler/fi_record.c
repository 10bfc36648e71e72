/*
 * fi_record.c - face-search record -> sightings -> items; see fi_record.h.
 *
 * The record is parsed once, in place, by fi_jdoc: the shape checks below
 * read its nodes, and a number the item keeps is copied from its own token,
 * so Similarity 97.84118 is stored as the text "97.84118" rather than a
 * re-printed double.  The token is kept under the same conditions as the
 * scanner this replaced (a path spelled without escapes, no earlier sibling
 * nested 513 deep, a token under 64 bytes); otherwise the shortest
 * round-trip text of the value is stored, as before.
 *
 * Items are rendered twice over one model: as request text for the
 * sighting writer (the hot path: no jansson values at all) and as jansson
 * objects for first-seen and summary, which edit them.
 */
#include "fi_record.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/jtext.h"
#include "../common/sigv4.h"
#include "fi_json.h"

typedef struct rp {
    const fi_jdoc *d;
    char *why;
    size_t whylen;
} rp;

static int fail(rp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(rp *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->why, p->whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Optional string member: absent -> *out NULL; wrong type or too long -> -1. */
static int opt_string(rp *p, size_t obj, const char *key, const char **out)
{
    size_t v = fi_jdoc_get(p->d, obj, key, NULL);
    *out = NULL;
    if (!v)
        return 0;
    if (!fi_jdoc_is(p->d, v, FI_J_STR))
        return fail(p, "%s is not a string", key);
    if (p->d->n[v].len > FI_MAX_STRING)
        return fail(p, "%s is longer than %d bytes", key, FI_MAX_STRING);
    *out = fi_jdoc_str(p->d, v);
    return 0;
}

/* DynamoDB numbers carry at most 38 significant digits. */
static int digits_ok(const char *t)
{
    size_t digits = 0;
    int leading = 1;
    for (size_t i = 0; t[i] && t[i] != 'e' && t[i] != 'E'; i++) {
        if (t[i] < '0' || t[i] > '9')
            continue;
        if (leading && t[i] == '0')
            continue;
        leading = 0;
        digits++;
    }
    return digits <= 38;
}

/*
 * Optional number member key of obj: absent -> buf "" and 0; present but
 * not a number -> -1.  buf receives the original token when `plain` (the
 * path to obj is scanner-reachable) and the member is too, else the
 * shortest round-trip text.
 */
static int opt_number(rp *p, size_t obj, const char *key, int plain, char buf[64])
{
    int reach;
    size_t v = fi_jdoc_get(p->d, obj, key, &reach);
    buf[0] = '\0';
    if (!v)
        return 0;
    if (!fi_jdoc_is_number(p->d, v))
        return fail(p, "%s is not a number", key);
    const fi_jnode *n = &p->d->n[v];
    if (plain && reach && n->len < 64) {
        memcpy(buf, p->d->text + n->pos, n->len);
        buf[n->len] = '\0';
    } else {
        fi_json_format_number(fi_jdoc_number(p->d, v), buf, 64);
    }
    if (!digits_ok(buf))
        return fail(p, "%s has more than 38 significant digits", key);
    return 0;
}

void fi_sighting_id(const char *stream_arn, const char *seq, size_t face, size_t match,
                    char out[33])
{
    char hex[65], stack[2560];
    size_t la = strlen(stream_arn), ls = strlen(seq), n = la + ls + 64;
    char *buf = n <= sizeof stack ? stack : malloc(n);
    if (!buf) {
        /* Still deterministic without the heap: hash the parts we can fit. */
        char small[128];
        snprintf(small, sizeof small, "v1\n%.40s\n%.56s\n%zu\n%zu", stream_arn, seq, face, match);
        sigv4_sha256_hex(small, strlen(small), hex);
    } else {
        /* "v1\n%s\n%s\n%zu\n%zu", without printf in the per-item path */
        size_t len = 0;
        memcpy(buf, "v1\n", 3), len = 3;
        memcpy(buf + len, stream_arn, la), len += la;
        buf[len++] = '\n';
        memcpy(buf + len, seq, ls), len += ls;
        buf[len++] = '\n';
        len += jtext_uint(buf + len, face);
        buf[len++] = '\n';
        len += jtext_uint(buf + len, match);
        sigv4_sha256_hex(buf, len, hex);
        if (buf != stack)
            free(buf);
    }
    memcpy(out, hex, 32);
    out[32] = '\0';
}

char *fi_person_key(const json_t *item)
{
    const char *ext = fi_av_get_s(item, "ExternalImageId");
    const char *face = fi_av_get_s(item, "FaceId");
    const char *prefix = ext ? "person#" : "face#";
    const char *v = ext ? ext : (face ? face : "");
    size_t n = strlen(prefix) + strlen(v) + 1;
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "%s%s", prefix, v);
    return key;
}

static int parse_video(rp *p, fi_rec *r)
{
    static const char *const nkeys[] = {"ServerTimestamp", "ProducerTimestamp",
                                        "FrameOffsetInSeconds"};
    char *bufs[] = {r->server, r->producer, r->offset};
    int plain_in, plain_kv;
    size_t in = fi_jdoc_get(p->d, 0, "InputInformation", &plain_in);
    size_t kv = fi_jdoc_get(p->d, in, "KinesisVideo", &plain_kv);
    if ((in && !fi_jdoc_is(p->d, in, FI_J_OBJ)) || (kv && !fi_jdoc_is(p->d, kv, FI_J_OBJ)))
        return fail(p, "InputInformation.KinesisVideo is not an object");
    if (opt_string(p, kv, "StreamArn", &r->stream_arn) < 0 ||
        opt_string(p, kv, "FragmentNumber", &r->fragment) < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (opt_number(p, kv, nkeys[i], plain_in && plain_kv, bufs[i]) < 0)
            return -1;
    if (r->producer[0]) {
        double t = fi_jdoc_number(p->d, fi_jdoc_get(p->d, kv, "ProducerTimestamp", NULL));
        double o = fi_jdoc_number(p->d, fi_jdoc_get(p->d, kv, "FrameOffsetInSeconds", NULL));
        long long ms = llround(t * 1000.0) + llround(o * 1000.0);
        long long a = ms < 0 ? -ms : ms;
        snprintf(r->frame_time, sizeof r->frame_time, "%s%lld.%03lld", ms < 0 ? "-" : "",
                 a / 1000, a % 1000);
    } else {
        snprintf(r->frame_time, sizeof r->frame_time, "%s", r->server[0] ? r->server : r->k.arrival);
    }
    return 0;
}

static const char *const box_keys[] = {"Width", "Height", "Left", "Top"};

/* The DetectedFace of FaceSearchResponse[fi] (node face, scanner-reachable when plain). */
static int parse_detected(rp *p, size_t face, size_t fi, int plain, fi_face *d)
{
    int pl_df, pl_bb;
    memset(d, 0, sizeof *d);
    size_t df = fi_jdoc_get(p->d, face, "DetectedFace", &pl_df);
    if (!df)
        return 0;
    if (!fi_jdoc_is(p->d, df, FI_J_OBJ))
        return fail(p, "FaceSearchResponse[%zu].DetectedFace is not an object", fi);
    plain = plain && pl_df;
    if (opt_number(p, df, "Confidence", plain, d->confidence) < 0)
        return -1;
    size_t bb = fi_jdoc_get(p->d, df, "BoundingBox", &pl_bb);
    if (!bb)
        return 0;
    if (!fi_jdoc_is(p->d, bb, FI_J_OBJ))
        return fail(p, "FaceSearchResponse[%zu].DetectedFace.BoundingBox is not an object", fi);
    for (int i = 0; i < 4; i++)
        if (opt_number(p, bb, box_keys[i], plain && pl_bb, d->box[i]) < 0)
            return -1;
    return 0;
}

static int sightings_push(fi_sightings *out, fi_sighting **s)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        fi_sighting *v = realloc(out->v, cap * sizeof *v);
        if (!v)
            return -1;
        out->v = v;
        out->cap = cap;
    }
    *s = &out->v[out->n++];
    return 0;
}

/* The sighting of MatchedFaces[mi] (node match) of FaceSearchResponse[fi]. */
static int match_sighting(rp *p, const fi_rec *r, size_t match, size_t fi, size_t mi, int plain,
                          fi_sighting *s)
{
    int pl_face;
    size_t face = fi_jdoc_get(p->d, match, "Face", &pl_face);
    if (!fi_jdoc_is(p->d, match, FI_J_OBJ) || !fi_jdoc_is(p->d, face, FI_J_OBJ))
        return fail(p, "FaceSearchResponse[%zu].MatchedFaces[%zu] has no Face object", fi, mi);
    if (opt_number(p, match, "Similarity", plain, s->sim) < 0 ||
        opt_number(p, face, "Confidence", plain && pl_face, s->conf) < 0 ||
        opt_string(p, face, "FaceId", &s->face_id) < 0 ||
        opt_string(p, face, "ImageId", &s->image_id) < 0 ||
        opt_string(p, face, "ExternalImageId", &s->ext) < 0)
        return -1;
    if (!s->sim[0] || !s->face_id)
        return fail(p, "FaceSearchResponse[%zu].MatchedFaces[%zu] lacks Similarity or Face.FaceId",
                    fi, mi);
    if (!r->shard_ok) /* jansson refused the item for its invalid UTF-8: keep the verdict */
        return fail(p, "out of memory building an item");
    fi_sighting_id(r->k.event_source_arn, r->k.sequence_number, fi, mi, s->id);
    s->face = fi;
    s->match = mi;
    return 0;
}

/* Append the sightings of face node `face` (index fi); -1 on a shape error. */
static int face_sightings(rp *p, fi_rec *r, size_t ri, size_t face, size_t fi, int plain,
                          fi_sightings *out)
{
    int pl_m;
    if (!fi_jdoc_is(p->d, face, FI_J_OBJ))
        return fail(p, "FaceSearchResponse[%zu] is not an object", fi);
    size_t matches = fi_jdoc_get(p->d, face, "MatchedFaces", &pl_m);
    if (!fi_jdoc_is(p->d, matches, FI_J_ARR))
        return fail(p, "FaceSearchResponse[%zu].MatchedFaces is not an array", fi);
    if (parse_detected(p, face, fi, plain, &r->faces[fi]) < 0)
        return -1;
    plain = plain && pl_m;
    size_t m = matches + 1;
    for (size_t mi = 0; mi < p->d->n[matches].len; mi++, m = p->d->n[m].next) {
        fi_sighting *s;
        if (sightings_push(out, &s) < 0)
            return fail(p, "out of memory");
        memset(s, 0, sizeof *s);
        s->rec = ri;
        if (match_sighting(p, r, m, fi, mi, plain, s) < 0)
            return -1;
        if (p->d->n[m].height > 512) /* the scanner could not skip it */
            plain = 0;
    }
    return 0;
}

int fi_record_parse(fi_rec *r, size_t len, size_t ri, fi_jdoc *doc, fi_sightings *out,
                    char *why, size_t whylen)
{
    rp p = {doc, why, whylen};
    size_t before = out->n;
    int plain;
    if (fi_jdoc_parse(doc, r->text, len, 1) < 0)
        return FI_RECORD_NOT_JSON;
    size_t fsr = fi_jdoc_get(doc, 0, "FaceSearchResponse", &plain);
    if (!fi_jdoc_is(doc, fsr, FI_J_ARR)) /* also when the root is an array */
        return fail(&p, "not a face-search record: no FaceSearchResponse array");
    if (parse_video(&p, r) < 0)
        return -1;
    r->nfaces = doc->n[fsr].len;
    r->faces = calloc(r->nfaces ? r->nfaces : 1, sizeof *r->faces);
    if (!r->faces)
        return fail(&p, "out of memory");
    size_t f = fsr + 1;
    for (size_t fi = 0; fi < r->nfaces; fi++, f = doc->n[f].next) {
        if (face_sightings(&p, r, ri, f, fi, plain, out) < 0) {
            out->n = before; /* a bad face leaves `out` as it was */
            return -1;
        }
        if (doc->n[f].height > 512)
            plain = 0;
    }
    return (int)(out->n - before);
}

void fi_record_json_error(const char *text, size_t len, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root) /* fi_jdoc and jansson disagree: a bug, but say what happened */
        snprintf(why, whylen, "data is not JSON: refused by the record parser");
    else
        snprintf(why, whylen, "data is not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                 jerr.column);
    json_decref(root);
}

void fi_rec_clear(fi_rec *r)
{
    free(r->text);
    free(r->faces);
    r->text = NULL;
    r->faces = NULL;
    r->nfaces = 0;
}

/* One attribute of an item: type 'S', 'N', or 'M' (the bounding box, v = fi_face). */
typedef void (*attr_fn)(void *ud, const char *name, char type, const void *v);

/* The attributes of s in the order of fi_record.h, present ones only: the
 * one list both renderings follow, so they cannot drift apart. */
static void item_attrs(const fi_sighting *s, const fi_rec *r, attr_fn fn, void *ud)
{
    const fi_kctx *k = &r->k;
    const fi_face *d = &r->faces[s->face];
    char idx[2][24];
    idx[0][jtext_uint(idx[0], s->face)] = '\0';
    idx[1][jtext_uint(idx[1], s->match)] = '\0';
    const struct {
        const char *name;
        char type;
        const char *v;
        int present;
    } a[] = {
        {"id", 'S', s->id, 1},
        {"ItemType", 'S', "sighting", 1},
        {"FaceId", 'S', s->face_id, 1},
        {"ImageId", 'S', s->image_id, s->image_id != NULL},
        {"ExternalImageId", 'S', s->ext, s->ext != NULL},
        {"Similarity", 'N', s->sim, 1},
        {"Confidence", 'N', s->conf, s->conf[0] != '\0'},
        {"FaceIndex", 'N', idx[0], 1},
        {"MatchIndex", 'N', idx[1], 1},
        {"SequenceNumber", 'S', k->sequence_number, 1},
        {"ShardId", 'S', k->shard_id, k->shard_id[0] != '\0'},
        {"PartitionKey", 'S', k->partition_key, k->partition_key[0] != '\0'},
        {"EventSourceArn", 'S', k->event_source_arn, k->event_source_arn[0] != '\0'},
        {"ArrivalTimestamp", 'N', k->arrival, k->arrival[0] != '\0'},
        {"VideoStreamArn", 'S', r->stream_arn, r->stream_arn != NULL},
        {"FragmentNumber", 'S', r->fragment, r->fragment != NULL},
        {"ServerTimestamp", 'N', r->server, r->server[0] != '\0'},
        {"ProducerTimestamp", 'N', r->producer, r->producer[0] != '\0'},
        {"FrameOffsetInSeconds", 'N', r->offset, r->offset[0] != '\0'},
        {"FrameTimestamp", 'N', r->frame_time, r->frame_time[0] != '\0'},
        {"DetectedFaceConfidence", 'N', d->confidence, d->confidence[0] != '\0'},
    };
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        if (a[i].present)
            fn(ud, a[i].name, a[i].type, a[i].v);
    for (int i = 0; i < 4; i++)
        if (d->box[i][0]) {
            fn(ud, "DetectedFaceBoundingBox", 'M', d);
            break;
        }
}

typedef struct text_ud {
    jtext_buf *t;
    int first;
} text_ud;

static void text_attr(void *ud, const char *name, char type, const void *v)
{
    text_ud *u = ud;
    jtext_buf *t = u->t;
    jtext_puts(t, u->first ? "{\"" : ",\"");
    u->first = 0;
    jtext_puts(t, name); /* attribute names need no escaping */
    if (type == 'M') {
        const fi_face *d = v;
        int first = 1;
        jtext_put(t, "\":{\"M\":{", 8);
        for (int i = 0; i < 4; i++) {
            if (!d->box[i][0])
                continue;
            jtext_puts(t, first ? "\"" : ",\"");
            first = 0;
            jtext_puts(t, box_keys[i]);
            jtext_put(t, "\":{\"N\":", 7);
            jtext_put_string(t, d->box[i], strlen(d->box[i]));
            jtext_put(t, "}", 1);
        }
        jtext_put(t, "}}", 2);
        return;
    }
    jtext_puts(t, type == 'S' ? "\":{\"S\":" : "\":{\"N\":");
    jtext_put_string(t, v, strlen(v));
    jtext_put(t, "}", 1);
}

void fi_item_text(jtext_buf *t, const fi_sighting *s, const fi_rec *r)
{
    text_ud u = {t, 1};
    item_attrs(s, r, text_attr, &u);
    jtext_put(t, "}", 1);
}

static void json_attr(void *ud, const char *name, char type, const void *v)
{
    json_t **item = ud;
    json_t *av = NULL;
    if (!*item)
        return;
    if (type == 'M') {
        const fi_face *d = v;
        json_t *m = json_object();
        for (int i = 0; m && i < 4; i++)
            if (d->box[i][0] && json_object_set_new(m, box_keys[i], fi_av_n(d->box[i])) < 0) {
                json_decref(m);
                m = NULL;
            }
        av = m ? json_pack("{s:o}", "M", m) : NULL;
    } else {
        av = type == 'S' ? fi_av_s(v) : fi_av_n(v);
    }
    if (!av || json_object_set_new(*item, name, av) < 0) {
        json_decref(*item);
        *item = NULL;
    }
}

json_t *fi_item_json(const fi_sighting *s, const fi_rec *r)
{
    json_t *item = json_object();
    item_attrs(s, r, json_attr, &item);
    return item;
}
