/*
 * gen.h - `emu generate`: a Kinesis Data Generator for Rekognition Video
 * face-search records (shared/formats.md sections 1 and 6).
 *
 * Three files share this header:
 *   gen_record.c  the deterministic part: PRNG (xoshiro256** seeded through
 *                 splitmix64), the face collection, one record per analysed
 *                 frame.  No I/O except reading the collection file.
 *   gen_kin.c     a minimal Kinesis client: libcurl (one reused handle),
 *                 JSON 1.1, SigV4; PutRecords with per-entry retries and
 *                 CreateStream/DescribeStreamSummary for --create.
 *   gen.c         the command: options, token-bucket rate control, progress
 *                 line, --out JSON lines; gen_main() is the entry point.
 *
 * Conventions: functions return 0 on success and -1 on failure; error text
 * goes to a caller-supplied buffer (`char *err`, GEN_ERR_MAX bytes).
 * Ownership is stated per function.
 */
#ifndef EMU_GEN_H
#define EMU_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define GEN_ERR_MAX 512
#define GEN_PUT_MAX 500                 /* PutRecords entries per request */
#define GEN_PUT_BYTES (5u * 1024 * 1024) /* PutRecords payload per request */

/* `emu generate ...`: argv[0] is "generate".  Returns the exit status:
 * 0 success, 1 runtime failure, 2 usage error. */
int gen_main(int argc, char **argv);

/* ---------------------------------------------------------------- PRNG */

/* xoshiro256**: small, fast, and identical on every platform, so a seed
 * reproduces the same records everywhere (rand() would not). */
typedef struct gen_rng {
    uint64_t s[4];
} gen_rng;

void gen_rng_seed(gen_rng *r, uint64_t seed);       /* via splitmix64 */
uint64_t gen_rng_next(gen_rng *r);
double gen_rng_unit(gen_rng *r);                    /* [0, 1) */
double gen_rng_range(gen_rng *r, double lo, double hi); /* [lo, hi) */
uint64_t gen_rng_below(gen_rng *r, uint64_t n);     /* [0, n), unbiased; n > 0 */

/* KDG-style partition key: a random integer in [0, 10^10) as decimal text. */
void gen_partition_key(gen_rng *r, char out[16]);

/* ---------------------------------------------------------- collection */

/* One indexed face (IndexFaces data), as Rekognition returns it in
 * MatchedFaces[].Face.  The strings are owned by the collection. */
typedef struct gen_person {
    char *face_id;
    char *image_id;
    char *external_image_id;  /* NULL when the face was indexed without one */
    double box[4];            /* Width, Height, Left, Top */
    double confidence;
} gen_person;

typedef struct gen_collection {
    gen_person *people;
    size_t n;
} gen_collection;

/*
 * Load a collection file: {"people": [...]}, ListFaces output
 * {"Faces": [...]}, or a bare array; each entry needs FaceId and ImageId
 * strings, and may carry ExternalImageId, BoundingBox and Confidence.
 * Missing box/confidence are derived from the FaceId, so they are stable
 * whatever the seed.  On failure *c is left empty and err says why.
 */
int gen_collection_load(const char *path, gen_collection *c, char *err);

/* The built-in collection (20 people, one non-ASCII ExternalImageId, one
 * without any), used when --collection is not given. */
int gen_collection_builtin(gen_collection *c);

void gen_collection_free(gen_collection *c);

/* -------------------------------------------------------------- records */

typedef struct gen_range {
    int lo, hi;
} gen_range;

/* Parse "N" or "LO-HI" with 0 <= LO <= HI <= max. */
int gen_range_parse(const char *s, int max, gen_range *out);

typedef struct gen_params {
    gen_range faces;          /* faces per frame */
    gen_range matches;        /* matches per face; hi <= collection size */
    double start_time;        /* ProducerTimestamp of the first fragment */
    double fps;               /* analysed frames per second of video */
    const char *video_arn;    /* InputInformation.KinesisVideo.StreamArn; borrowed */
} gen_params;

/* The state of one simulated video: fragments of ~2 s, each with a
 * 47-digit FragmentNumber, frames every ~1/fps seconds inside them. */
typedef struct gen_source {
    gen_params p;
    const gen_collection *coll;   /* borrowed */
    gen_rng rng;
    size_t *pick;                 /* scratch for choosing distinct people */
    char fragment[48];            /* decimal digits, NUL-terminated */
    int64_t frag_start_ms;        /* producer timestamp of the fragment */
    int64_t frag_len_ms;          /* its length */
    int64_t frag_server_ms;       /* when KVS received it (ServerTimestamp) */
    int64_t offset_ms;            /* next frame's offset inside it */
    uint64_t index;               /* records produced so far */
} gen_source;

/* Borrows p->video_arn and coll for the source's lifetime.  Fails when
 * the ranges are invalid or matches.hi exceeds the collection size. */
int gen_source_init(gen_source *s, const gen_params *p, const gen_collection *coll,
                    uint64_t seed, char *err);
void gen_source_free(gen_source *s);

/* The next record (one analysed frame); caller owns the reference.
 * NULL only when out of memory. */
json_t *gen_record_new(gen_source *s);

/* Compact, deterministic UTF-8 text of a record (keys in schema order,
 * numbers as written: 5 decimals, 3 for times).  Caller frees. */
char *gen_record_dump(const json_t *rec);

/* ------------------------------------------------------ Kinesis client */

typedef struct gen_kin gen_kin;

typedef struct gen_kin_config {
    const char *endpoint;       /* "http://127.0.0.1:8000", "https://kinesis..." */
    const char *region;
    const char *access_key;
    const char *secret_key;
    const char *session_token;  /* NULL or "" when none */
    int max_attempts;           /* per entry, >= 1 */
} gen_kin_config;

typedef struct gen_entry {
    char *data_b64;             /* base64 of the record text; owned */
    char pk[16];
} gen_entry;

typedef struct gen_put_stats {
    uint64_t sent;              /* entries accepted */
    uint64_t retried;           /* entry re-sends after a failure */
    uint64_t dropped;           /* entries given up after max_attempts */
    uint64_t requests;          /* HTTP requests made */
} gen_put_stats;

/* The strings in cfg are borrowed for the client's lifetime. */
gen_kin *gen_kin_new(const gen_kin_config *cfg, char *err);
void gen_kin_free(gen_kin *k);

/* One signed Kinesis_20131202.<action> call.  *status is the HTTP status
 * (0 when no response); *resp the parsed body (caller decrefs, may be
 * NULL).  Returns -1 only when no HTTP exchange happened. */
int gen_kin_call(gen_kin *k, const char *action, json_t *req, long *status, json_t **resp,
                 char *err);

/* Put entries[0..n) (n <= GEN_PUT_MAX) to the stream (a name or an ARN),
 * retrying failed entries and throttled or failed requests with
 * exponential backoff and jitter.  Returns -1 on a non-retryable error
 * (unknown stream, bad credentials ...); dropped entries are counted, not
 * an error.  *stop, when it becomes true, ends the retries early. */
int gen_kin_put(gen_kin *k, const char *stream, gen_entry *entries, size_t n,
                gen_put_stats *st, volatile int *stop, char *err);

/* Create the stream with `shards` shards unless it exists; wait until it
 * is ACTIVE (at most timeout_s seconds). */
int gen_kin_ensure_stream(gen_kin *k, const char *stream, int shards, int timeout_s, char *err);

/* Sleep for `seconds`; returns early (and -1) when interrupted by a signal. */
int gen_sleep(double seconds);

/* ------------------------------------------------------- rate control */

/* A token bucket: `rate` tokens per second, at most `cap` stored. */
typedef struct gen_bucket {
    double rate, cap, tokens, last;
} gen_bucket;

void gen_bucket_init(gen_bucket *b, double rate, double cap, double now);
/* Seconds to wait from `now` until `need` tokens are available (0 when
 * they are already). */
double gen_bucket_wait(gen_bucket *b, double need, double now);
/* Take up to max whole tokens (refilling first); returns how many. */
size_t gen_bucket_take(gen_bucket *b, size_t max, double now);

/* ------------------------------------------------------------ options */

typedef struct gen_options {
    const char *stream;
    const char *endpoint;
    const char *region;
    const char *collection;
    const char *out;
    const char *video_arn;
    double rate;                /* records/s; 0 = unlimited */
    double duration;            /* seconds; 0 = not given */
    uint64_t count;             /* 0 = not given */
    uint64_t seed;
    bool have_seed;
    double start_time;          /* < 0: derived (fixed with --seed, else now) */
    double fps;
    gen_range faces, matches;
    bool create;
    int shards;
    int max_attempts;
    bool quiet;
} gen_options;

/* Parse argv (argv[0] = "generate"); fills o with defaults first.
 * Returns 0, 1 for --help (usage printed to stdout), or -1 with a message
 * in err (the caller prints it with the usage hint). */
int gen_options_parse(int argc, char **argv, gen_options *o, char *err);

#endif
