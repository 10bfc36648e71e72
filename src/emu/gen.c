/*
 * gen.c - `emu generate`: options, rate control, progress, and the send
 * and --out loops of the face-search record generator.
 *
 * Entry points: gen_main (called from main.c for `emu generate ...`),
 * gen_options_parse, gen_bucket_* (contracts in gen.h).
 *
 * Records come from gen_record.c and depend only on the seed and their
 * index, never on timing, retries or partition keys (those use their own
 * PRNG streams), so `--out` and a live run with the same seed produce the
 * same records.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/base64.h"
#include "gen.h"

#define GEN_FIXED_START 1717430400.0   /* 2024-06-03T16:00:00Z, used with --seed */
#define GEN_DEFAULT_VIDEO_ARN \
    "arn:aws:kinesisvideo:us-east-1:123456789012:stream/front-door-cam/1717430000123"

static const char gen_usage[] =
    "usage: emu generate --stream NAME [options]\n"
    "Put Rekognition Video face-search records into a Kinesis stream (PutRecords),\n"
    "in the spirit of the Kinesis Data Generator.\n"
    "\n"
    "  --stream NAME|ARN    target stream (required unless --out)\n"
    "  --rate N             records per second, 0 = as fast as possible (default 100)\n"
    "  --duration D         run for D (30s, 5m, 1h, 500ms; plain number = seconds)\n"
    "  --count N            send N records (default: until interrupted)\n"
    "  --faces LO-HI        faces per frame (default 0-3)\n"
    "  --matches LO-HI      matches per face (default 0-2)\n"
    "  --collection FILE    indexed faces: {\"people\":[...]}, ListFaces output or an array\n"
    "                       of {FaceId, ImageId, ExternalImageId?} (default: built-in, 20)\n"
    "  --seed N             deterministic records (and a fixed start time)\n"
    "  --start-time T       producer timestamp of the first frame, epoch seconds or 'now'\n"
    "                       (default: 1717430400 with --seed, else now)\n"
    "  --fps F              analysed frames per second of video (default 5)\n"
    "  --video-arn ARN      InputInformation.KinesisVideo.StreamArn\n"
    "  --out FILE           write JSON lines to FILE ('-' = stdout) instead of sending;\n"
    "                       needs --count, or --duration with --rate\n"
    "  --endpoint URL       default $AWS_ENDPOINT_URL_KINESIS, $AWS_ENDPOINT_URL,\n"
    "                       else http://127.0.0.1:8000\n"
    "  --region R           default $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1\n"
    "  --create             create the stream if missing (--shards N, default 1)\n"
    "  --max-attempts N     tries per record before it is dropped (default 8)\n"
    "  --quiet              no progress line or summary\n"
    "  --help               this text\n"
    "Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN\n"
    "(dummy defaults for emu).\n";

static volatile int gen_stop;

static void gen_on_signal(int sig)
{
    (void)sig;
    gen_stop = 1;
}

static double gen_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *gen_env(const char *a, const char *b, const char *def)
{
    const char *v = a ? getenv(a) : NULL;
    if (v && *v)
        return v;
    v = b ? getenv(b) : NULL;
    return v && *v ? v : def;
}

/* ------------------------------------------------------- token bucket */

static void gen_bucket_refill(gen_bucket *b, double now)
{
    if (now > b->last) {
        b->tokens += (now - b->last) * b->rate;
        if (b->tokens > b->cap)
            b->tokens = b->cap;
        b->last = now;
    }
}

void gen_bucket_init(gen_bucket *b, double rate, double cap, double now)
{
    b->rate = rate;
    b->cap = cap < 1 ? 1 : cap;
    b->tokens = 0;
    b->last = now;
}

double gen_bucket_wait(gen_bucket *b, double need, double now)
{
    gen_bucket_refill(b, now);
    if (need > b->cap)
        need = b->cap;
    return b->tokens >= need ? 0.0 : (need - b->tokens) / b->rate;
}

size_t gen_bucket_take(gen_bucket *b, size_t max, double now)
{
    gen_bucket_refill(b, now);
    size_t n = (size_t)b->tokens;
    if (n > max)
        n = max;
    b->tokens -= (double)n;
    return n;
}

/* ------------------------------------------------------------ options */

/* A strict number: the whole string, finite, in [lo, hi]. */
static int gen_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int gen_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

/* "30s", "5m", "1h", "500ms", "2.5" (seconds). */
static int gen_parse_duration(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end), unit = 1;
    if (end == s || errno || !isfinite(v) || v <= 0)
        return -1;
    if (strcmp(end, "ms") == 0)
        unit = 0.001;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        unit = 60;
    else if (strcmp(end, "h") == 0)
        unit = 3600;
    else if (*end && strcmp(end, "s") != 0)
        return -1;
    *out = v * unit;
    return *out <= 366.0 * 86400 ? 0 : -1;
}

enum {
    OPT_STREAM = 256, OPT_RATE, OPT_DURATION, OPT_COUNT, OPT_FACES, OPT_MATCHES,
    OPT_COLLECTION, OPT_SEED, OPT_START, OPT_FPS, OPT_VIDEO_ARN, OPT_OUT, OPT_ENDPOINT,
    OPT_REGION, OPT_CREATE, OPT_SHARDS, OPT_ATTEMPTS, OPT_QUIET, OPT_HELP
};

static const struct option gen_longopts[] = {
    {"stream", required_argument, 0, OPT_STREAM},
    {"rate", required_argument, 0, OPT_RATE},
    {"duration", required_argument, 0, OPT_DURATION},
    {"count", required_argument, 0, OPT_COUNT},
    {"faces", required_argument, 0, OPT_FACES},
    {"matches", required_argument, 0, OPT_MATCHES},
    {"collection", required_argument, 0, OPT_COLLECTION},
    {"seed", required_argument, 0, OPT_SEED},
    {"start-time", required_argument, 0, OPT_START},
    {"fps", required_argument, 0, OPT_FPS},
    {"video-arn", required_argument, 0, OPT_VIDEO_ARN},
    {"out", required_argument, 0, OPT_OUT},
    {"endpoint", required_argument, 0, OPT_ENDPOINT},
    {"region", required_argument, 0, OPT_REGION},
    {"create", no_argument, 0, OPT_CREATE},
    {"shards", required_argument, 0, OPT_SHARDS},
    {"max-attempts", required_argument, 0, OPT_ATTEMPTS},
    {"quiet", no_argument, 0, OPT_QUIET},
    {"help", no_argument, 0, OPT_HELP},
    {0, 0, 0, 0}};

static void gen_options_defaults(gen_options *o)
{
    memset(o, 0, sizeof *o);
    o->endpoint = gen_env("AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL", "http://127.0.0.1:8000");
    o->region = gen_env("AWS_REGION", "AWS_DEFAULT_REGION", "us-east-1");
    o->video_arn = GEN_DEFAULT_VIDEO_ARN;
    o->rate = 100;
    o->start_time = -1;
    o->fps = 5;
    o->faces = (gen_range){0, 3};
    o->matches = (gen_range){0, 2};
    o->shards = 1;
    o->max_attempts = 8;
}

/* Apply one option; 0, 1 (help) or -1 with err. */
static int gen_option_apply(gen_options *o, int c, const char *arg, char *err)
{
    double d;
    uint64_t u;
    switch (c) {
    case OPT_STREAM: o->stream = arg; return *arg ? 0 : -1;
    case OPT_RATE: return gen_parse_double(arg, 0, 1e7, &o->rate);
    case OPT_DURATION: return gen_parse_duration(arg, &o->duration);
    case OPT_COUNT: return gen_parse_u64(arg, &o->count) == 0 && o->count > 0 ? 0 : -1;
    case OPT_FACES: return gen_range_parse(arg, 100, &o->faces);
    case OPT_MATCHES: return gen_range_parse(arg, 64, &o->matches);
    case OPT_COLLECTION: o->collection = arg; return 0;
    case OPT_SEED: o->have_seed = true; return gen_parse_u64(arg, &o->seed);
    case OPT_START:
        if (strcmp(arg, "now") == 0) {
            o->start_time = (double)time(NULL);
            return 0;
        }
        return gen_parse_double(arg, 0, 4102444800.0, &o->start_time);
    case OPT_FPS: return gen_parse_double(arg, 0.01, 1000, &o->fps);
    case OPT_VIDEO_ARN: o->video_arn = arg; return *arg ? 0 : -1;
    case OPT_OUT: o->out = arg; return *arg ? 0 : -1;
    case OPT_ENDPOINT: o->endpoint = arg; return 0;
    case OPT_REGION: o->region = arg; return *arg ? 0 : -1;
    case OPT_CREATE: o->create = true; return 0;
    case OPT_SHARDS:
        if (gen_parse_u64(arg, &u) != 0 || u < 1 || u > 10000)
            return -1;
        o->shards = (int)u;
        return 0;
    case OPT_ATTEMPTS:
        if (gen_parse_double(arg, 1, 100, &d) != 0 || d != floor(d))
            return -1;
        o->max_attempts = (int)d;
        return 0;
    case OPT_QUIET: o->quiet = true; return 0;
    case OPT_HELP: fputs(gen_usage, stdout); return 1;
    default:
        snprintf(err, GEN_ERR_MAX, "unknown or incomplete option");
        return -1;
    }
}

/* Checks that need all options at once. */
static int gen_options_check(gen_options *o, char *err)
{
    if (!o->out && !o->stream)
        snprintf(err, GEN_ERR_MAX, "--stream is required (or --out FILE)");
    else if (o->count && o->duration > 0)
        snprintf(err, GEN_ERR_MAX, "--count and --duration are alternatives; give one");
    else if (o->out && !o->count && !(o->duration > 0 && o->rate > 0))
        snprintf(err, GEN_ERR_MAX, "--out needs --count N, or --duration with --rate > 0");
    else if (o->out && o->create)
        snprintf(err, GEN_ERR_MAX, "--create makes no sense with --out");
    else
        return 0;
    return -1;
}

int gen_options_parse(int argc, char **argv, gen_options *o, char *err)
{
    gen_options_defaults(o);
    optind = 0;   /* glibc: full re-initialisation, so tests can parse repeatedly */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", gen_longopts, NULL)) != -1) {
        const char *name = argv[optind - 1];
        if (c == '?' || c == ':') {
            snprintf(err, GEN_ERR_MAX, c == ':' ? "option %s needs a value"
                     : "unknown option %s", name);
            return -1;
        }
        int rc = gen_option_apply(o, c, optarg, err);
        if (rc != 0) {
            if (rc < 0)
                snprintf(err, GEN_ERR_MAX, "invalid value '%s' for --%s", optarg ? optarg : "",
                         gen_longopts[c - OPT_STREAM].name);
            return rc;
        }
    }
    if (optind < argc) {
        snprintf(err, GEN_ERR_MAX, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    if (o->start_time < 0)
        o->start_time = o->have_seed ? GEN_FIXED_START : (double)time(NULL);
    if (!o->have_seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        o->seed = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
    }
    return gen_options_check(o, err);
}

/* ----------------------------------------------------------- progress */

typedef struct gen_progress {
    bool tty, quiet;
    double start, last_print;
} gen_progress;

static void gen_progress_print(gen_progress *p, const gen_put_stats *st, uint64_t total,
                               const char *stream, bool final)
{
    double now = gen_now(), el = now - p->start;
    double rate = el > 0 ? (double)st->sent / el : 0;
    if (p->quiet || (!final && (!p->tty || now - p->last_print < 0.25)))
        return;
    p->last_print = now;
    if (!final) {
        char of[32] = "";
        if (total)
            snprintf(of, sizeof of, "/%llu", (unsigned long long)total);
        fprintf(stderr, "\r\033[Ksent %llu%s  %.1f rec/s  retried %llu  dropped %llu",
                (unsigned long long)st->sent, of, rate, (unsigned long long)st->retried,
                (unsigned long long)st->dropped);
        return;
    }
    fprintf(stderr, "%sgenerate: %llu records sent to %s in %.1f s (%.1f rec/s, %llu requests); "
            "%llu failed entries retried, %llu dropped%s\n", p->tty ? "\r\033[K" : "",
            (unsigned long long)st->sent, stream, el, rate, (unsigned long long)st->requests,
            (unsigned long long)st->retried, (unsigned long long)st->dropped,
            gen_stop ? " (interrupted)" : "");
}

/* ---------------------------------------------------------- the loops */

/* Fill entries[0..n) with the next n records; -1 when out of memory. */
static int gen_fill(gen_source *src, gen_rng *pk_rng, gen_entry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *rec = gen_record_new(src);
        char *text = rec ? gen_record_dump(rec) : NULL;
        json_decref(rec);
        entries[i].data_b64 = text ? base64_encode((unsigned char *)text, strlen(text), NULL)
                                   : NULL;
        free(text);
        gen_partition_key(pk_rng, entries[i].pk);
        if (!entries[i].data_b64)
            return -1;
    }
    return 0;
}

static void gen_entries_clear(gen_entry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(entries[i].data_b64);
        entries[i].data_b64 = NULL;
    }
}

/* How many records to send now: wait for the token bucket, bounded by
 * what is left and by the batch size.  0 when it is time to stop. */
static size_t gen_next_batch(const gen_options *o, gen_bucket *b, uint64_t done,
                             uint64_t total, double deadline)
{
    size_t max = GEN_PUT_MAX;
    if (total && total - done < max)
        max = (size_t)(total - done);
    if (o->rate <= 0)
        return gen_stop || (deadline > 0 && gen_now() >= deadline) ? 0 : max;
    /* ~10 requests per second: rate 200 sends batches of 20 every 100 ms. */
    double want = ceil(o->rate / 10.0);
    if (want > (double)max)
        want = (double)max;
    for (;;) {
        double now = gen_now();
        if (gen_stop || (deadline > 0 && now >= deadline))
            return 0;
        double wait = gen_bucket_wait(b, want, now);
        if (wait <= 0)
            return gen_bucket_take(b, max, now);
        if (deadline > 0 && now + wait > deadline)
            wait = deadline - now;
        gen_sleep(wait);
    }
}

/* Send records until --count/--duration or a signal; 0 or -1 with err. */
static int gen_send(const gen_options *o, gen_source *src, gen_rng *pk_rng, char *err)
{
    static gen_entry entries[GEN_PUT_MAX];
    gen_kin_config kc = {o->endpoint, o->region,
                         gen_env("AWS_ACCESS_KEY_ID", NULL, "test"),
                         gen_env("AWS_SECRET_ACCESS_KEY", NULL, "test"),
                         gen_env("AWS_SESSION_TOKEN", NULL, ""), o->max_attempts};
    gen_put_stats st = {0};
    gen_progress pr = {isatty(STDERR_FILENO) != 0, o->quiet, gen_now(), 0};
    gen_bucket b;
    int rc = -1;
    uint64_t total = o->count ? o->count : o->rate > 0 ? (uint64_t)ceil(o->rate * o->duration) : 0;
    gen_kin *k = gen_kin_new(&kc, err);
    if (!k || (o->create && gen_kin_ensure_stream(k, o->stream, o->shards, 60, err) != 0))
        goto out;
    pr.start = gen_now();
    double deadline = o->duration > 0 ? pr.start + o->duration : 0;
    double cap = o->rate < GEN_PUT_MAX ? (o->rate > 1 ? o->rate : 1) : GEN_PUT_MAX;
    gen_bucket_init(&b, o->rate, cap, pr.start);
    b.tokens = ceil(o->rate / 10.0) < cap ? ceil(o->rate / 10.0) : cap; /* start at once */
    uint64_t done = 0;
    size_t n;
    while ((!total || done < total) && (n = gen_next_batch(o, &b, done, total, deadline)) > 0) {
        int filled = gen_fill(src, pk_rng, entries, n);
        int put = filled == 0 ? gen_kin_put(k, o->stream, entries, n, &st, &gen_stop, err) : -1;
        gen_entries_clear(entries, n);
        if (filled != 0)
            snprintf(err, GEN_ERR_MAX, "out of memory");
        if (put != 0)
            goto out;
        done += n;
        gen_progress_print(&pr, &st, total, o->stream, false);
    }
    rc = st.dropped ? -1 : 0;
    if (st.dropped)
        snprintf(err, GEN_ERR_MAX, "%llu records dropped after %d attempts each",
                 (unsigned long long)st.dropped, o->max_attempts);
out:
    if (k && (rc == 0 || st.requests > 0))
        gen_progress_print(&pr, &st, total, o->stream, true);
    if (rc != 0 && strstr(err, "ResourceNotFoundException") && !o->create)
        snprintf(err + strlen(err), GEN_ERR_MAX - strlen(err), " (use --create)");
    gen_kin_free(k);
    return rc;
}

/* --out: write the records as JSON lines, no rate control. */
static int gen_write(const gen_options *o, gen_source *src, char *err)
{
    uint64_t total = o->count ? o->count : (uint64_t)ceil(o->rate * o->duration);
    bool std = strcmp(o->out, "-") == 0;
    FILE *f = std ? stdout : fopen(o->out, "w");
    int rc = -1;
    if (!f) {
        snprintf(err, GEN_ERR_MAX, "%s: %s", o->out, strerror(errno));
        return -1;
    }
    uint64_t i;
    for (i = 0; i < total && !gen_stop; i++) {
        json_t *rec = gen_record_new(src);
        char *text = rec ? gen_record_dump(rec) : NULL;
        json_decref(rec);
        int w = text ? fprintf(f, "%s\n", text) : -1;
        const char *why = text ? strerror(errno) : "out of memory";
        free(text);
        if (w < 0) {
            snprintf(err, GEN_ERR_MAX, "%s: %s", o->out, why);
            goto out;
        }
    }
    rc = 0;
out:
    if ((std ? fflush(f) : fclose(f)) != 0 && rc == 0) {
        snprintf(err, GEN_ERR_MAX, "%s: %s", o->out, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && !o->quiet)
        fprintf(stderr, "generate: %llu records written to %s\n", (unsigned long long)i,
                std ? "stdout" : o->out);
    return rc;
}

int gen_main(int argc, char **argv)
{
    gen_options o;
    gen_collection coll = {0};
    gen_source src = {0};
    char err[GEN_ERR_MAX] = "";
    int rc = gen_options_parse(argc, argv, &o, err);
    if (rc != 0) {
        if (rc > 0)
            return 0;
        fprintf(stderr, "emu generate: %s\nTry 'emu generate --help'.\n", err);
        return 2;
    }
    rc = 2;
    if ((o.collection ? gen_collection_load(o.collection, &coll, err)
                      : gen_collection_builtin(&coll)) != 0) {
        if (!o.collection)
            snprintf(err, sizeof err, "out of memory");
        goto out;
    }
    gen_params p = {o.faces, o.matches, o.start_time, o.fps, o.video_arn};
    if (gen_source_init(&src, &p, &coll, o.seed, err) != 0)
        goto out;
    /* Partition keys from their own stream: records stay identical to --out. */
    gen_rng pk_rng;
    gen_rng_seed(&pk_rng, o.seed ^ 0x6b696e6573697321ULL);
    struct sigaction sa = {.sa_handler = gen_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = (o.out ? gen_write(&o, &src, err) : gen_send(&o, &src, &pk_rng, err)) == 0 ? 0 : 1;
out:
    if (rc != 0)
        fprintf(stderr, "emu generate: %s\n", err);
    if (rc == 2)
        fprintf(stderr, "Try 'emu generate --help'.\n");
    gen_source_free(&src);
    gen_collection_free(&coll);
    return rc;
}
