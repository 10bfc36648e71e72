/*
 * gen_record.c - the deterministic half of `emu generate`: PRNG, face
 * collection and Rekognition face-search records (formats.md section 1).
 *
 * Entry points: gen_rng_*, gen_partition_key, gen_collection_load/
 * _builtin/_free, gen_range_parse, gen_source_init/_free, gen_record_new,
 * gen_record_dump (contracts in gen.h).
 *
 * Everything here is a pure function of the seed: no clock, no rand(),
 * no locale-dependent formatting, so a seed gives byte-identical records
 * on every run.  Times are kept in integer milliseconds so that a long run
 * does not drift through accumulated floating-point error.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

/* ---------------------------------------------------------------- PRNG */

static uint64_t gen_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void gen_rng_seed(gen_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = gen_splitmix64(&seed);
}

static uint64_t gen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gen_rng_next(gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = gen_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gen_rotl(s[3], 45);
    return result;
}

double gen_rng_unit(gen_rng *r)
{
    return (double)(gen_rng_next(r) >> 11) * 0x1.0p-53;
}

double gen_rng_range(gen_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * gen_rng_unit(r);
}

uint64_t gen_rng_below(gen_rng *r, uint64_t n)
{
    /* Rejection sampling: drop the top partial block so every residue is
     * equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = gen_rng_next(r);
    while (x >= limit);
    return x % n;
}

void gen_partition_key(gen_rng *r, char out[16])
{
    snprintf(out, 16, "%llu", (unsigned long long)gen_rng_below(r, 10000000000ULL));
}

/* Round to `digits` decimals, so the record shows numbers as Rekognition
 * writes them (97.84118, not 97.841180000000003). */
static double gen_round(double x, int digits)
{
    double m = digits == 3 ? 1e3 : digits == 4 ? 1e4 : 1e5;
    return floor(x * m + 0.5) / m;
}

/* ---------------------------------------------------------- collection */

static uint64_t gen_fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/* IndexFaces box and confidence of a collection face, derived from its
 * FaceId only: the same person looks the same whatever the seed. */
static void gen_person_derive(gen_person *p)
{
    gen_rng r;
    gen_rng_seed(&r, gen_fnv1a(p->face_id));
    double w = gen_rng_range(&r, 0.30, 0.45), h = w * gen_rng_range(&r, 1.15, 1.35);
    p->box[0] = gen_round(w, 5);
    p->box[1] = gen_round(h, 5);
    p->box[2] = gen_round(gen_rng_range(&r, 0.05, 0.95 - w), 5);
    p->box[3] = gen_round(gen_rng_range(&r, 0.05, 0.95 - h), 5);
    p->confidence = gen_round(gen_rng_range(&r, 99.95, 99.99999), 5);
}

static void gen_uuid(gen_rng *r, char out[37])
{
    uint64_t a = gen_rng_next(r), b = gen_rng_next(r);
    a = (a & ~0xf000ULL) | 0x4000ULL;                       /* version 4 */
    b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* RFC 4122 variant */
    snprintf(out, 37, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(a >> 32),
             (unsigned long long)((a >> 16) & 0xffff), (unsigned long long)(a & 0xffff),
             (unsigned long long)(b >> 48), (unsigned long long)(b & 0xffffffffffffULL));
}

void gen_collection_free(gen_collection *c)
{
    for (size_t i = 0; c->people && i < c->n; i++) {
        free(c->people[i].face_id);
        free(c->people[i].image_id);
        free(c->people[i].external_image_id);
    }
    free(c->people);
    c->people = NULL;
    c->n = 0;
}

int gen_collection_builtin(gen_collection *c)
{
    static const char *const names[] = {
        "alice.jpg", "bob.jpg", "carol.png", "dave-2021.jpg", "erin.jpg", "frank.jpeg",
        "grace_hopper.jpg", "heidi.jpg", "ivan.jpg", "judy.png", "mallory.jpg", "niaj.jpg",
        "olivia.jpg", "peggy.jpg", "rupert.jpg", "sybil.jpg", "trent.jpg", "victor.jpg",
        "Zo\xc3\xab-\xc3\x85ngstr\xc3\xb6m_\xe6\x9d\xb1\xe4\xba\xac.jpg", NULL};
    enum { N = sizeof names / sizeof names[0] };
    gen_rng r;
    char id[37];
    gen_rng_seed(&r, 0x5eedc011ec7104ULL);
    c->n = 0;
    if (!(c->people = calloc(N, sizeof *c->people)))
        return -1;
    for (size_t i = 0; i < N; i++, c->n++) {
        gen_person *p = &c->people[i];
        gen_uuid(&r, id);
        p->face_id = strdup(id);
        gen_uuid(&r, id);
        p->image_id = strdup(id);
        p->external_image_id = names[i] ? strdup(names[i]) : NULL;
        if (!p->face_id || !p->image_id || (names[i] && !p->external_image_id)) {
            c->n++;
            gen_collection_free(c);
            return -1;
        }
        gen_person_derive(p);
    }
    return 0;
}

/* Fill p from one collection entry; 0 or -1 with err. */
static int gen_person_from_json(json_t *e, size_t i, gen_person *p, char *err)
{
    json_t *box = json_object_get(e, "BoundingBox"), *conf = json_object_get(e, "Confidence");
    json_t *ext = json_object_get(e, "ExternalImageId");
    const char *fid = json_string_value(json_object_get(e, "FaceId"));
    const char *iid = json_string_value(json_object_get(e, "ImageId"));
    if (!json_is_object(e) || !fid || !*fid || !iid || !*iid) {
        snprintf(err, GEN_ERR_MAX, "entry %zu: FaceId and ImageId must be non-empty strings", i);
        return -1;
    }
    if ((ext && !json_is_string(ext)) || (conf && !json_is_number(conf)) ||
        (box && !json_is_object(box))) {
        snprintf(err, GEN_ERR_MAX,
                 "entry %zu: ExternalImageId must be a string, Confidence a number, "
                 "BoundingBox an object", i);
        return -1;
    }
    p->face_id = strdup(fid);
    p->image_id = strdup(iid);
    p->external_image_id = ext ? strdup(json_string_value(ext)) : NULL;
    if (!p->face_id || !p->image_id || (ext && !p->external_image_id)) {
        snprintf(err, GEN_ERR_MAX, "out of memory");
        return -1;
    }
    gen_person_derive(p);
    static const char *const keys[4] = {"Width", "Height", "Left", "Top"};
    for (int k = 0; box && k < 4; k++) {
        json_t *v = json_object_get(box, keys[k]);
        if (json_is_number(v))
            p->box[k] = json_number_value(v);
    }
    if (conf)
        p->confidence = json_number_value(conf);
    return 0;
}

int gen_collection_load(const char *path, gen_collection *c, char *err)
{
    json_error_t jerr;
    int rc = -1;
    c->people = NULL;
    c->n = 0;
    json_t *root = json_load_file(path, 0, &jerr), *arr = root;
    if (!root) {
        snprintf(err, GEN_ERR_MAX, "%s: %s (line %d)", path, jerr.text, jerr.line);
        return -1;
    }
    if (json_is_object(root))
        arr = json_object_get(root, json_object_get(root, "Faces") ? "Faces" : "people");
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        snprintf(err, GEN_ERR_MAX, "%s: expected a non-empty array of faces "
                 "(top level, \"people\" or \"Faces\")", path);
        goto out;
    }
    size_t n = json_array_size(arr);
    if (!(c->people = calloc(n, sizeof *c->people))) {
        snprintf(err, GEN_ERR_MAX, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        c->n = i + 1;   /* so a failure frees this entry too */
        char msg[GEN_ERR_MAX - 64];
        if (gen_person_from_json(json_array_get(arr, i), i, &c->people[i], msg) != 0) {
            snprintf(err, GEN_ERR_MAX, "%s: %s", path, msg);
            goto out;
        }
    }
    rc = 0;
out:
    if (rc != 0)
        gen_collection_free(c);
    json_decref(root);
    return rc;
}

/* -------------------------------------------------------------- ranges */

static int gen_parse_int(const char *s, size_t len, int max, int *out)
{
    long v = 0;
    if (len == 0 || len > 6)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = (int)v;
    return 0;
}

int gen_range_parse(const char *s, int max, gen_range *out)
{
    if (!s)
        return -1;
    const char *dash = strchr(s, '-');
    size_t n = strlen(s);
    gen_range r;
    if (!dash) {
        if (gen_parse_int(s, n, max, &r.lo) != 0)
            return -1;
        r.hi = r.lo;
    } else if (gen_parse_int(s, (size_t)(dash - s), max, &r.lo) != 0 ||
               gen_parse_int(dash + 1, strlen(dash + 1), max, &r.hi) != 0 || r.lo > r.hi) {
        return -1;
    }
    *out = r;
    return 0;
}

/* ------------------------------------------------------------ the video */

/* Add inc to a decimal digit string in place (a wrap past the top digit
 * is dropped: the length, ~47 digits as in AWS's examples, is kept). */
static void gen_decimal_add(char *digits, uint64_t inc)
{
    for (size_t i = strlen(digits); i-- > 0 && inc;) {
        uint64_t d = (uint64_t)(digits[i] - '0') + inc % 10;
        inc /= 10;
        if (d >= 10) {
            d -= 10;
            inc++;
        }
        digits[i] = (char)('0' + d);
    }
}

int gen_source_init(gen_source *s, const gen_params *p, const gen_collection *coll,
                    uint64_t seed, char *err)
{
    memset(s, 0, sizeof *s);
    if (p->faces.lo < 0 || p->faces.lo > p->faces.hi || p->matches.lo < 0 ||
        p->matches.lo > p->matches.hi) {
        snprintf(err, GEN_ERR_MAX, "invalid faces or matches range");
        return -1;
    }
    if ((size_t)p->matches.hi > coll->n) {
        snprintf(err, GEN_ERR_MAX, "--matches %d-%d needs at least %d faces in the collection "
                 "(it has %zu)", p->matches.lo, p->matches.hi, p->matches.hi, coll->n);
        return -1;
    }
    if (!(p->fps > 0) || !(p->fps <= 1000) || !p->video_arn) {
        snprintf(err, GEN_ERR_MAX, "fps must be in (0, 1000] and a video ARN given");
        return -1;
    }
    if (!(s->pick = malloc((coll->n ? coll->n : 1) * sizeof *s->pick))) {
        snprintf(err, GEN_ERR_MAX, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < coll->n; i++)
        s->pick[i] = i;
    s->p = *p;
    s->coll = coll;
    gen_rng_seed(&s->rng, seed);
    /* 47 digits like AWS's examples: a fixed "91" then 45 random ones. */
    memcpy(s->fragment, "91", 2);
    for (int i = 2; i < 47; i++)
        s->fragment[i] = (char)('0' + gen_rng_below(&s->rng, 10));
    s->fragment[47] = '\0';
    s->frag_start_ms = llround(p->start_time * 1000.0);
    s->frag_len_ms = 1800 + (int64_t)gen_rng_below(&s->rng, 401);
    s->frag_server_ms = s->frag_start_ms + 200 + (int64_t)gen_rng_below(&s->rng, 400);
    s->offset_ms = (int64_t)gen_rng_below(&s->rng, (uint64_t)(1000.0 / p->fps) + 1);
    return 0;
}

void gen_source_free(gen_source *s)
{
    free(s->pick);
    s->pick = NULL;
}

/* Move to the next analysed frame: ~1/fps later, in a new ~2 s fragment
 * (with a larger FragmentNumber) once the current one is used up. */
static void gen_source_advance(gen_source *s)
{
    double step = 1000.0 / s->p.fps * gen_rng_range(&s->rng, 0.9, 1.1);
    s->offset_ms += (int64_t)llround(step);
    while (s->offset_ms >= s->frag_len_ms) {
        s->offset_ms -= s->frag_len_ms;
        s->frag_start_ms += s->frag_len_ms;
        s->frag_len_ms = 1800 + (int64_t)gen_rng_below(&s->rng, 401);
        s->frag_server_ms = s->frag_start_ms + 200 + (int64_t)gen_rng_below(&s->rng, 400);
        gen_decimal_add(s->fragment, 1000000000000ULL + gen_rng_below(&s->rng, 99000000000000ULL));
    }
}

/* ------------------------------------------------------------- records */

static json_t *gen_box_json(const double b[4])
{
    return json_pack("{s:f,s:f,s:f,s:f}", "Height", b[1], "Width", b[0], "Left", b[2], "Top",
                     b[3]);
}

static json_t *gen_landmarks_json(gen_rng *r, const double b[4])
{
    static const struct { const char *type; double x, y; } marks[5] = {
        {"eyeLeft", 0.30, 0.38}, {"eyeRight", 0.68, 0.37}, {"nose", 0.50, 0.55},
        {"mouthLeft", 0.35, 0.76}, {"mouthRight", 0.65, 0.75}};
    json_t *a = json_array();
    for (int i = 0; a && i < 5; i++) {
        double x = b[2] + b[0] * (marks[i].x + gen_rng_range(r, -0.04, 0.04));
        double y = b[3] + b[1] * (marks[i].y + gen_rng_range(r, -0.04, 0.04));
        if (json_array_append_new(a, json_pack("{s:f,s:f,s:s}", "X", gen_round(x, 5), "Y",
                                               gen_round(y, 5), "Type", marks[i].type)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* A face as seen in the frame: a box anywhere inside it, high detection
 * confidence, landmarks inside the box, a plausible head pose. */
static json_t *gen_detected_face(gen_rng *r)
{
    double b[4];
    double w = gen_rng_range(r, 0.05, 0.30), h = w * gen_rng_range(r, 1.3, 1.8);
    b[0] = gen_round(w, 5);
    b[1] = gen_round(h, 5);
    b[2] = gen_round(gen_rng_range(r, 0.0, 1.0 - b[0]), 5);
    b[3] = gen_round(gen_rng_range(r, 0.0, 1.0 - b[1]), 5);
    double u = gen_rng_unit(r);
    double conf = gen_round(100.0 - 8.0 * u * u * u, 5);
    json_t *box = gen_box_json(b), *marks = gen_landmarks_json(r, b);
    double pitch = gen_rng_range(r, -20, 20), roll = gen_rng_range(r, -15, 15);
    double yaw = gen_rng_range(r, -40, 40);
    double bright = gen_rng_range(r, 25, 90), sharp = gen_rng_range(r, 15, 95);
    return json_pack("{s:o,s:f,s:o,s:{s:f,s:f,s:f},s:{s:f,s:f}}", "BoundingBox", box,
                     "Confidence", conf, "Landmarks", marks, "Pose", "Pitch",
                     gen_round(pitch, 4), "Roll", gen_round(roll, 4), "Yaw", gen_round(yaw, 4),
                     "Quality", "Brightness", gen_round(bright, 4), "Sharpness",
                     gen_round(sharp, 4));
}

static json_t *gen_match(const gen_person *p, double similarity)
{
    json_t *face = json_pack("{s:o,s:s,s:f,s:s}", "BoundingBox", gen_box_json(p->box), "FaceId",
                             p->face_id, "Confidence", p->confidence, "ImageId", p->image_id);
    if (face && p->external_image_id &&
        json_object_set_new(face, "ExternalImageId", json_string(p->external_image_id)) != 0) {
        json_decref(face);
        return NULL;
    }
    return json_pack("{s:f,s:o}", "Similarity", similarity, "Face", face);
}

static int gen_cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* MatchedFaces for one face: k distinct collection faces, best first;
 * Similarity >= 80 (FaceMatchThreshold's floor) and <= 100. */
static json_t *gen_matches(gen_source *s)
{
    gen_rng *r = &s->rng;
    size_t k = (size_t)(s->p.matches.lo + (int)gen_rng_below(r, (uint64_t)(s->p.matches.hi -
                                                                            s->p.matches.lo + 1)));
    double sim[64];
    json_t *a = json_array();
    if (k > sizeof sim / sizeof sim[0])
        k = sizeof sim / sizeof sim[0];
    double top = gen_rng_range(r, 90.0, 99.99);
    for (size_t i = 0; i < k; i++)
        sim[i] = gen_round(i == 0 ? top : gen_rng_range(r, 80.0, top), 5);
    qsort(sim, k, sizeof sim[0], gen_cmp_desc);
    for (size_t i = 0; a && i < k; i++) {
        /* partial Fisher-Yates over the persistent permutation */
        size_t j = i + (size_t)gen_rng_below(r, s->coll->n - i), t = s->pick[i];
        s->pick[i] = s->pick[j];
        s->pick[j] = t;
        if (json_array_append_new(a, gen_match(&s->coll->people[s->pick[i]], sim[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *gen_record_new(gen_source *s)
{
    gen_rng *r = &s->rng;
    int nf = s->p.faces.lo + (int)gen_rng_below(r, (uint64_t)(s->p.faces.hi - s->p.faces.lo + 1));
    double producer = (double)s->frag_start_ms / 1000.0;
    double server = (double)s->frag_server_ms / 1000.0;
    double offset = (double)s->offset_ms / 1000.0;
    json_t *faces = json_array();
    for (int i = 0; faces && i < nf; i++) {
        json_t *det = gen_detected_face(r), *m = gen_matches(s);
        if (json_array_append_new(faces, json_pack("{s:o,s:o}", "DetectedFace", det,
                                                   "MatchedFaces", m)) != 0) {
            json_decref(faces);
            faces = NULL;
        }
    }
    json_t *rec = json_pack("{s:{s:{s:s,s:s,s:f,s:f,s:f}},s:{s:s},s:o}", "InputInformation",
                            "KinesisVideo", "StreamArn", s->p.video_arn, "FragmentNumber",
                            s->fragment, "ServerTimestamp", server, "ProducerTimestamp",
                            producer, "FrameOffsetInSeconds", offset,
                            "StreamProcessorInformation", "Status", "RUNNING",
                            "FaceSearchResponse", faces);
    gen_source_advance(s);
    s->index++;
    return rec;
}

char *gen_record_dump(const json_t *rec)
{
    /* 15 significant digits print every value rounded above exactly
     * (1717430404.982, 97.84118) and never show binary noise. */
    return json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(15));
}
