/*
 * fi_record.c - face-search record -> items; see fi_record.h.
 *
 * The record is parsed twice: by jansson (structure, types, UTF-8,
 * duplicate keys rejected) and, for each number the item keeps, by
 * fi_json_number_text() over the same bytes, so Similarity 97.84118 is
 * stored as the text "97.84118" rather than a re-printed double.
 */
#include "fi_record.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/sigv4.h"
#include "fi_json.h"

typedef struct rp {
    const char *doc;
    size_t len;
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
static int opt_string(rp *p, json_t *obj, const char *key, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return fail(p, "%s is not a string", key);
    if (json_string_length(v) > FI_MAX_STRING)
        return fail(p, "%s is longer than %d bytes", key, FI_MAX_STRING);
    *out = json_string_value(v);
    return 0;
}

/* DynamoDB numbers carry at most 38 significant digits. */
static int digits_ok(const char *t, size_t n)
{
    size_t digits = 0;
    int leading = 1;
    for (size_t i = 0; i < n && t[i] != 'e' && t[i] != 'E'; i++) {
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
 * Optional number member at path: absent -> buf "" and 0; present but not
 * a number -> -1.  buf receives the original text (or the shortest
 * round-trip text when the scanner cannot find it).
 */
static int opt_number(rp *p, json_t *obj, const fi_step *path, size_t n, char buf[64])
{
    const char *key = path[n - 1].key;
    json_t *v = json_object_get(obj, key);
    const char *tok;
    size_t toklen;
    buf[0] = '\0';
    if (!v)
        return 0;
    if (!json_is_number(v))
        return fail(p, "%s is not a number", key);
    if (fi_json_number_text(p->doc, p->len, path, n, &tok, &toklen) == 0 && toklen < 64) {
        memcpy(buf, tok, toklen);
        buf[toklen] = '\0';
    } else {
        fi_json_format_number(json_number_value(v), buf, 64);
    }
    if (!digits_ok(buf, strlen(buf)))
        return fail(p, "%s has more than 38 significant digits", key);
    return 0;
}

void fi_sighting_id(const char *stream_arn, const char *seq, size_t face, size_t match,
                    char out[33])
{
    char hex[65];
    size_t n = strlen(stream_arn) + strlen(seq) + 64;
    char *buf = malloc(n);
    if (!buf) {
        /* Still deterministic without the heap: hash the parts we can fit. */
        char small[128];
        snprintf(small, sizeof small, "v1\n%.40s\n%.56s\n%zu\n%zu", stream_arn, seq, face, match);
        sigv4_sha256_hex(small, strlen(small), hex);
    } else {
        int len = snprintf(buf, n, "v1\n%s\n%s\n%zu\n%zu", stream_arn, seq, face, match);
        sigv4_sha256_hex(buf, (size_t)len, hex);
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

/* The parts of a record shared by all its items. */
typedef struct video {
    const char *stream_arn, *fragment;
    char server[64], producer[64], offset[64], frame_time[64];
} video;

static int parse_video(rp *p, json_t *root, const fi_kctx *k, video *v)
{
    static const char *const nkeys[] = {"ServerTimestamp", "ProducerTimestamp",
                                        "FrameOffsetInSeconds"};
    char *bufs[] = {v->server, v->producer, v->offset};
    memset(v, 0, sizeof *v);
    json_t *in = json_object_get(root, "InputInformation");
    json_t *kv = json_object_get(in, "KinesisVideo");
    if ((in && !json_is_object(in)) || (kv && !json_is_object(kv)))
        return fail(p, "InputInformation.KinesisVideo is not an object");
    if (opt_string(p, kv, "StreamArn", &v->stream_arn) < 0 ||
        opt_string(p, kv, "FragmentNumber", &v->fragment) < 0)
        return -1;
    for (int i = 0; i < 3; i++) {
        fi_step path[] = {FI_KEY("InputInformation"), FI_KEY("KinesisVideo"), FI_KEY(nkeys[i])};
        if (opt_number(p, kv, path, 3, bufs[i]) < 0)
            return -1;
    }
    if (v->producer[0]) {
        double t = json_number_value(json_object_get(kv, "ProducerTimestamp"));
        double o = json_number_value(json_object_get(kv, "FrameOffsetInSeconds"));
        long long ms = llround(t * 1000.0) + llround(o * 1000.0);
        long long a = ms < 0 ? -ms : ms;
        snprintf(v->frame_time, sizeof v->frame_time, "%s%lld.%03lld", ms < 0 ? "-" : "",
                 a / 1000, a % 1000);
    } else {
        snprintf(v->frame_time, sizeof v->frame_time, "%s", v->server[0] ? v->server : k->arrival);
    }
    return 0;
}

/* Set name to av when av is non-NULL; returns -1 on allocation failure. */
static int put(json_t *item, const char *name, json_t *av, int present)
{
    if (!present) {
        json_decref(av);
        return 0;
    }
    return av ? json_object_set_new(item, name, av) : -1;
}

/* The detected (frame) face of FaceSearchResponse[fi]. */
typedef struct detected {
    char confidence[64];
    char box[4][64];
} detected;

static const char *const box_keys[] = {"Width", "Height", "Left", "Top"};

static int parse_detected(rp *p, json_t *face, size_t fi, detected *d)
{
    memset(d, 0, sizeof *d);
    json_t *df = json_object_get(face, "DetectedFace");
    if (!df)
        return 0;
    if (!json_is_object(df))
        return fail(p, "FaceSearchResponse[%zu].DetectedFace is not an object", fi);
    fi_step cpath[] = {FI_KEY("FaceSearchResponse"), FI_IDX(fi), FI_KEY("DetectedFace"),
                       FI_KEY("Confidence")};
    if (opt_number(p, df, cpath, 4, d->confidence) < 0)
        return -1;
    json_t *bb = json_object_get(df, "BoundingBox");
    if (!bb)
        return 0;
    if (!json_is_object(bb))
        return fail(p, "FaceSearchResponse[%zu].DetectedFace.BoundingBox is not an object", fi);
    for (int i = 0; i < 4; i++) {
        fi_step path[] = {FI_KEY("FaceSearchResponse"), FI_IDX(fi), FI_KEY("DetectedFace"),
                          FI_KEY("BoundingBox"), FI_KEY(box_keys[i])};
        if (opt_number(p, bb, path, 5, d->box[i]) < 0)
            return -1;
    }
    return 0;
}

static json_t *box_av(const detected *d)
{
    json_t *m = json_object();
    int rc = m ? 0 : -1;
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = put(m, box_keys[i], fi_av_n(d->box[i]), d->box[i][0] != '\0');
    if (rc < 0 || json_object_size(m) == 0) {
        json_decref(m);
        return NULL;
    }
    json_t *av = json_pack("{s:o}", "M", m);
    return av;
}

/* The Kinesis and video context every item of the record carries. */
static int put_context(json_t *it, const fi_kctx *k, const video *v, const detected *d)
{
    json_t *box = box_av(d);
    int rc = put(it, "SequenceNumber", fi_av_s(k->sequence_number), 1) |
             put(it, "ShardId", fi_av_s(k->shard_id), k->shard_id[0] != '\0') |
             put(it, "PartitionKey", fi_av_s(k->partition_key), k->partition_key[0] != '\0') |
             put(it, "EventSourceArn", fi_av_s(k->event_source_arn), k->event_source_arn[0] != 0) |
             put(it, "ArrivalTimestamp", fi_av_n(k->arrival), k->arrival[0] != '\0') |
             put(it, "VideoStreamArn", fi_av_s(v->stream_arn), v->stream_arn != NULL) |
             put(it, "FragmentNumber", fi_av_s(v->fragment), v->fragment != NULL) |
             put(it, "ServerTimestamp", fi_av_n(v->server), v->server[0] != '\0') |
             put(it, "ProducerTimestamp", fi_av_n(v->producer), v->producer[0] != '\0') |
             put(it, "FrameOffsetInSeconds", fi_av_n(v->offset), v->offset[0] != '\0') |
             put(it, "FrameTimestamp", fi_av_n(v->frame_time), v->frame_time[0] != '\0') |
             put(it, "DetectedFaceConfidence", fi_av_n(d->confidence), d->confidence[0] != 0);
    if (box)
        rc |= json_object_set_new(it, "DetectedFaceBoundingBox", box);
    return rc ? -1 : 0;
}

/* Build the item of MatchedFaces[mi] of FaceSearchResponse[fi]; NULL + why on error. */
static json_t *match_item(rp *p, json_t *match, size_t fi, size_t mi, const fi_kctx *k,
                          const video *v, const detected *d)
{
    const char *face_id, *image_id, *ext;
    char sim[64], conf[64], id[33], idx[2][32];
    json_t *face = json_object_get(match, "Face");
    fi_step spath[] = {FI_KEY("FaceSearchResponse"), FI_IDX(fi), FI_KEY("MatchedFaces"),
                       FI_IDX(mi), FI_KEY("Similarity")};
    fi_step cpath[] = {FI_KEY("FaceSearchResponse"), FI_IDX(fi), FI_KEY("MatchedFaces"),
                       FI_IDX(mi), FI_KEY("Face"), FI_KEY("Confidence")};
    if (!json_is_object(match) || !json_is_object(face)) {
        fail(p, "FaceSearchResponse[%zu].MatchedFaces[%zu] has no Face object", fi, mi);
        return NULL;
    }
    if (opt_number(p, match, spath, 5, sim) < 0 || opt_number(p, face, cpath, 6, conf) < 0 ||
        opt_string(p, face, "FaceId", &face_id) < 0 || opt_string(p, face, "ImageId", &image_id) < 0 ||
        opt_string(p, face, "ExternalImageId", &ext) < 0)
        return NULL;
    if (!sim[0] || !face_id) {
        fail(p, "FaceSearchResponse[%zu].MatchedFaces[%zu] lacks Similarity or Face.FaceId", fi, mi);
        return NULL;
    }
    fi_sighting_id(k->event_source_arn, k->sequence_number, fi, mi, id);
    snprintf(idx[0], sizeof idx[0], "%zu", fi);
    snprintf(idx[1], sizeof idx[1], "%zu", mi);
    json_t *it = json_object();
    if (!it || put(it, "id", fi_av_s(id), 1) | put(it, "ItemType", fi_av_s("sighting"), 1) |
                   put(it, "FaceId", fi_av_s(face_id), 1) |
                   put(it, "ImageId", fi_av_s(image_id), image_id != NULL) |
                   put(it, "ExternalImageId", fi_av_s(ext), ext != NULL) |
                   put(it, "Similarity", fi_av_n(sim), 1) |
                   put(it, "Confidence", fi_av_n(conf), conf[0] != '\0') |
                   put(it, "FaceIndex", fi_av_n(idx[0]), 1) | put(it, "MatchIndex", fi_av_n(idx[1]), 1) |
                   put_context(it, k, v, d)) {
        json_decref(it);
        fail(p, "out of memory building an item");
        return NULL;
    }
    return it;
}

/* Append the items of face fi to out; -1 on a shape error. */
static int face_items(rp *p, json_t *face, size_t fi, const fi_kctx *k, const video *v, json_t *out)
{
    detected d;
    size_t mi;
    json_t *match;
    if (!json_is_object(face))
        return fail(p, "FaceSearchResponse[%zu] is not an object", fi);
    json_t *matches = json_object_get(face, "MatchedFaces");
    if (!json_is_array(matches))
        return fail(p, "FaceSearchResponse[%zu].MatchedFaces is not an array", fi);
    if (parse_detected(p, face, fi, &d) < 0)
        return -1;
    json_array_foreach(matches, mi, match) {
        json_t *it = match_item(p, match, fi, mi, k, v, &d);
        if (!it || json_array_append_new(out, it) < 0)
            return -1;
    }
    return 0;
}

int fi_record_items(const char *data, size_t len, const fi_kctx *k, json_t *items, char *why,
                    size_t whylen)
{
    rp p = {data, len, why, whylen};
    json_error_t jerr;
    video v;
    size_t fi;
    json_t *face, *mine = NULL;
    int rc = -1;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        fail(&p, "data is not JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
        goto out;
    }
    json_t *fsr = json_object_get(root, "FaceSearchResponse");
    if (!json_is_object(root) || !json_is_array(fsr)) {
        fail(&p, "not a face-search record: no FaceSearchResponse array");
        goto out;
    }
    if (parse_video(&p, root, k, &v) < 0)
        goto out;
    /* Build into a private array so a bad face leaves `items` untouched. */
    mine = json_array();
    if (!mine) {
        fail(&p, "out of memory");
        goto out;
    }
    json_array_foreach(fsr, fi, face) {
        if (face_items(&p, face, fi, k, &v, mine) < 0)
            goto out;
    }
    if (json_array_extend(items, mine) < 0) {
        fail(&p, "out of memory");
        goto out;
    }
    rc = (int)json_array_size(mine);
out:
    json_decref(mine);
    json_decref(root);
    return rc;
}
