/*
 * kin.c - Kinesis's dispatch table, start/stop (the background thread that
 * ends CREATING/UPDATING/DELETING states and trims expired records), the
 * record-wait generation counter, fault injection, per-shard throughput
 * limits, and the helpers every action shares (request shape checks,
 * stream look-up, JSON for shards).
 *
 * Entry points: kin_http_handle, kin_start, kin_stop, kin_stream_lookup,
 * kin_generation, kin_wait_for_records (kin.h).
 */
#include "kin_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "svc.h"

/* Sorted by name: svc.c looks operations up with bsearch. */
static const svc_op kin_ops[] = {
    {"AddTagsToStream", kin_add_tags_validate, kin_add_tags},
    {"CreateStream", kin_create_stream_validate, kin_create_stream},
    {"DecreaseStreamRetentionPeriod", kin_decrease_retention_validate, kin_decrease_retention},
    {"DeleteStream", kin_delete_stream_validate, kin_delete_stream},
    {"DescribeLimits", kin_describe_limits_validate, kin_describe_limits},
    {"DescribeStream", kin_describe_stream_validate, kin_describe_stream},
    {"DescribeStreamSummary", kin_describe_stream_summary_validate, kin_describe_stream_summary},
    {"GetRecords", kin_get_records_validate, NULL, kin_get_records},
    {"GetShardIterator", kin_get_shard_iterator_validate, kin_get_shard_iterator},
    {"IncreaseStreamRetentionPeriod", kin_increase_retention_validate, kin_increase_retention},
    {"ListShards", kin_list_shards_validate, kin_list_shards},
    {"ListStreams", kin_list_streams_validate, kin_list_streams},
    {"ListTagsForStream", kin_list_tags_validate, kin_list_tags},
    {"MergeShards", kin_merge_shards_validate, kin_merge_shards},
    {"PutRecord", kin_put_record_validate, kin_put_record},
    {"PutRecords", kin_put_records_validate, NULL, kin_put_records, kin_put_records_fast},
    {"RemoveTagsFromStream", kin_remove_tags_validate, kin_remove_tags},
    {"SplitShard", kin_split_shard_validate, kin_split_shard},
    {"UpdateShardCount", kin_update_shard_count_validate, kin_update_shard_count},
    {"UpdateStreamMode", kin_update_stream_mode_validate, kin_update_stream_mode},
};

static const svc kin_svc = {
    .target_prefix = "Kinesis_20131202.",
    .content_type = "application/x-amz-json-1.1",
    .ops = kin_ops,
    .nops = sizeof kin_ops / sizeof *kin_ops,
    .crc32 = false,
    .serialization = ERR_KIN_SERIALIZATION,
    .unknown_operation = ERR_KIN_UNKNOWN_OPERATION,
    .internal = ERR_KIN_INTERNAL,
    .resource_key = "StreamName",
};

/* Per-shard one-second windows for --kinesis-limits (hashed; a collision
 * only resets a window early). */
#define KIN_RATE_SLOTS 1024
struct kin_rate {
    int64_t stream;
    int shard;
    int64_t sec;
    long wbytes, wrecs, rcalls;
};

struct kin_state {
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* generation changed or stopping */
    uint64_t gen;
    bool stopping;
    pthread_t thread;
    bool started;
    unsigned rng;
    struct kin_rate rates[KIN_RATE_SLOTS];
};

void kin_http_handle(emu_t *emu, http_req *req, http_resp *resp)
{
    svc_handle(&kin_svc, emu, req, resp);
}

/* --- background work --- */

static int kin_sweep_job(store_conn *c, void *arg, err_t *err)
{
    emu_t *emu = arg;
    json_t *all = store_kin_stream_all(c, err);
    if (all == NULL)
        return -1;
    int64_t now = kin_now_ms();
    int changed = 0, rc = 0;
    size_t i;
    json_t *row;
    json_array_foreach(all, i, row) {
        int64_t id = json_integer_value(json_object_get(row, "id"));
        const char *status = json_string_value(json_object_get(row, "status"));
        int64_t until = json_integer_value(json_object_get(row, "until_ms"));
        int64_t keep = (int64_t)json_integer_value(json_object_get(row, "retention_hours")) *
                       3600000;
        if (strcmp(status, "DELETING") == 0 && until <= now) {
            rc = store_kin_stream_delete(c, id, err);
            changed = 1;
        } else {
            if (strcmp(status, "ACTIVE") != 0 && until <= now) {
                kin_stream s;
                if ((rc = store_kin_stream_load_id(c, id, &s, err)) == 0) {
                    snprintf(s.status, sizeof s.status, "ACTIVE");
                    rc = store_kin_stream_update(c, &s, err);
                    kin_stream_free(&s);
                }
            }
            if (rc == 0)
                rc = store_kin_trim(c, id, now - keep, err);
        }
        if (rc != 0)
            break;
    }
    json_decref(all);
    if (changed && rc == 0)
        kin_notify(emu);
    return rc;
}

static void *kin_thread_main(void *arg)
{
    emu_t *emu = arg;
    struct kin_state *k = emu->kin;
    pthread_mutex_lock(&k->mu);
    while (!k->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long step_ms = emu->cfg.kinesis_realistic_delays ? 100 : 1000;
        ts.tv_nsec += step_ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&k->cv, &k->mu, &ts);
        if (k->stopping)
            break;
        pthread_mutex_unlock(&k->mu);
        err_t err = {0};
        if (store_write(emu->store, kin_sweep_job, emu, &err) != 0)
            log_warn("kinesis sweep: %s", err.msg);
        err_clear(&err);
        pthread_mutex_lock(&k->mu);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

int kin_start(emu_t *emu)
{
    struct kin_state *k = calloc(1, sizeof *k);
    if (k == NULL)
        return -1;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    k->rng = (unsigned)time(NULL) ^ 0x9e3779b9u;
    emu->kin = k;
    if (pthread_create(&k->thread, NULL, kin_thread_main, emu) != 0) {
        log_error("kinesis: cannot start the background thread");
        return -1;
    }
    k->started = true;
    return 0;
}

void kin_stop(emu_t *emu)
{
    struct kin_state *k = emu->kin;
    if (k == NULL)
        return;
    pthread_mutex_lock(&k->mu);
    k->stopping = true;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
    if (k->started)
        pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    free(k);
    emu->kin = NULL;
}

/* --- generation counter --- */

void kin_notify(emu_t *emu)
{
    struct kin_state *k = emu->kin;
    if (k == NULL)
        return;
    pthread_mutex_lock(&k->mu);
    k->gen++;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
}

uint64_t kin_generation(emu_t *emu)
{
    struct kin_state *k = emu->kin;
    if (k == NULL)
        return 0;
    pthread_mutex_lock(&k->mu);
    uint64_t g = k->gen;
    pthread_mutex_unlock(&k->mu);
    return g;
}

uint64_t kin_wait_for_records(emu_t *emu, uint64_t seen, int timeout_ms)
{
    struct kin_state *k = emu->kin;
    if (k == NULL)
        return seen;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&k->mu);
    while (k->gen == seen && !k->stopping)
        if (pthread_cond_timedwait(&k->cv, &k->mu, &ts) != 0)
            break;
    uint64_t g = k->gen;
    pthread_mutex_unlock(&k->mu);
    return g;
}

/* --- fault injection and limits --- */

bool kin_inject_fault(emu_t *emu)
{
    double rate = emu->cfg.kinesis_error_rate;
    struct kin_state *k = emu->kin;
    if (rate <= 0 || k == NULL)
        return false;
    pthread_mutex_lock(&k->mu);
    unsigned r = rand_r(&k->rng);
    pthread_mutex_unlock(&k->mu);
    return (double)r / ((double)RAND_MAX + 1.0) < rate;
}

void kin_throttle_msg(emu_t *emu, const char *stream, int shard_idx, char *buf, size_t len)
{
    char sid[KIN_SHARD_ID_MAX];
    kin_shard_id_format(shard_idx, sid);
    snprintf(buf, len, "Rate exceeded for shard %s in stream %s under account %s.", sid, stream,
             emu->cfg.account);
}

static struct kin_rate *kin_rate_slot(struct kin_state *k, int64_t stream, int shard)
{
    uint64_t h = ((uint64_t)stream * 1000003u + (uint64_t)shard) * 2654435761u;
    struct kin_rate *r = &k->rates[h % KIN_RATE_SLOTS];
    int64_t sec = kin_now_ms() / 1000;
    if (r->stream != stream || r->shard != shard || r->sec != sec) {
        memset(r, 0, sizeof *r);
        r->stream = stream;
        r->shard = shard;
        r->sec = sec;
    }
    return r;
}

int kin_limit_write(emu_t *emu, const kin_stream *s, const kin_shard *sh, size_t bytes,
                    err_t *err)
{
    struct kin_state *k = emu->kin;
    if (!emu->cfg.kinesis_enforce_limits || k == NULL)
        return 0;
    pthread_mutex_lock(&k->mu);
    struct kin_rate *r = kin_rate_slot(k, s->id, sh->idx);
    bool over = r->wrecs + 1 > 1000 || r->wbytes + (long)bytes > 1048576;
    if (!over) {
        r->wrecs++;
        r->wbytes += (long)bytes;
    }
    pthread_mutex_unlock(&k->mu);
    if (!over)
        return 0;
    char msg[512];
    kin_throttle_msg(emu, s->name, sh->idx, msg, sizeof msg);
    return err_set(err, ERR_KIN_THROUGHPUT_EXCEEDED, "%s", msg);
}

int kin_limit_read(emu_t *emu, const kin_stream *s, int shard_idx, err_t *err)
{
    struct kin_state *k = emu->kin;
    if (!emu->cfg.kinesis_enforce_limits || k == NULL)
        return 0;
    pthread_mutex_lock(&k->mu);
    struct kin_rate *r = kin_rate_slot(k, s->id, shard_idx);
    bool over = r->rcalls + 1 > 5;
    if (!over)
        r->rcalls++;
    pthread_mutex_unlock(&k->mu);
    if (!over)
        return 0;
    char msg[512];
    kin_throttle_msg(emu, s->name, shard_idx, msg, sizeof msg);
    return err_set(err, ERR_KIN_THROUGHPUT_EXCEEDED, "%s", msg);
}

/* --- request shape checks --- */

#define KIN_VALIDATION "1 validation error detected: "

/* The member, or NULL when it is absent (an error when required: *rc). */
static json_t *kin_member(json_t *req, const char *member, const char *field, bool required,
                          int *rc, err_t *err)
{
    json_t *v = json_object_get(req, member);
    *rc = 0;
    if (v != NULL && !json_is_null(v))
        return v;
    if (required)
        *rc = err_set(err, ERR_KIN_VALIDATION,
                      KIN_VALIDATION "Value null at '%s' failed to satisfy constraint: "
                      "Member must not be null", field);
    return NULL;
}

int kin_check_string(json_t *req, const char *member, const char *field, size_t lo, size_t hi,
                     bool required, err_t *err)
{
    int rc;
    json_t *v = kin_member(req, member, field, required, &rc, err);
    if (v == NULL)
        return rc;
    if (!json_is_string(v))
        return err_set(err, ERR_KIN_SERIALIZATION, "%s",
                       json_is_number(v) ? "NUMBER_VALUE can not be converted to a String"
                                         : "Unexpected value type in payload");
    size_t n = json_string_length(v);
    if (n < lo || n > hi)
        return err_set(err, ERR_KIN_VALIDATION,
                       KIN_VALIDATION "Value '%.200s' at '%s' failed to satisfy constraint: "
                       "Member must have length %s than or equal to %zu",
                       json_string_value(v), field, n < lo ? "greater" : "less",
                       n < lo ? lo : hi);
    return 0;
}

int kin_check_int(json_t *req, const char *member, const char *field, long lo, long hi,
                  bool required, err_t *err)
{
    int rc;
    json_t *v = kin_member(req, member, field, required, &rc, err);
    if (v == NULL)
        return rc;
    if (!json_is_integer(v))
        return err_set(err, ERR_KIN_SERIALIZATION, "%s",
                       json_is_string(v) ? "STRING_VALUE can not be converted to an Integer"
                                         : "Unexpected value type in payload");
    json_int_t n = json_integer_value(v);
    if (n < lo || n > hi)
        return err_set(err, ERR_KIN_VALIDATION,
                       KIN_VALIDATION "Value '%lld' at '%s' failed to satisfy constraint: "
                       "Member must have value %s than or equal to %ld",
                       (long long)n, field, n < lo ? "greater" : "less", n < lo ? lo : hi);
    return 0;
}

static bool kin_name_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

int kin_check_name(json_t *req, const char *member, const char *field, err_t *err)
{
    if (kin_check_string(req, member, field, 1, 128, true, err) != 0)
        return -1;
    const char *s = json_string_value(json_object_get(req, member));
    if (!kin_name_ok(s))
        return err_set(err, ERR_KIN_VALIDATION,
                       KIN_VALIDATION "Value '%s' at '%s' failed to satisfy constraint: "
                       "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                       s, field);
    return 0;
}

/* NAME from arn:aws:kinesis:REGION:ACCOUNT:stream/NAME, or NULL. */
static const char *kin_arn_name(const char *arn)
{
    if (strncmp(arn, "arn:", 4) != 0)
        return NULL;
    const char *p = arn;
    for (int colons = 0; colons < 5; colons++) {
        p = strchr(p, ':');
        if (p == NULL)
            return NULL;
        p++;
    }
    if (strncmp(arn + 4, "aws", 3) != 0 || strstr(arn, ":kinesis:") == NULL ||
        strncmp(p, "stream/", 7) != 0)
        return NULL;
    const char *name = p + 7;
    return *name && strlen(name) <= 128 && kin_name_ok(name) ? name : NULL;
}

int kin_check_stream_ref(json_t *req, err_t *err)
{
    json_t *name = json_object_get(req, "StreamName");
    json_t *arn = json_object_get(req, "StreamARN");
    if ((name == NULL || json_is_null(name)) && (arn == NULL || json_is_null(arn)))
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "Either StreamName or StreamARN should be provided.");
    if (name != NULL && !json_is_null(name) &&
        kin_check_name(req, "StreamName", "streamName", err) != 0)
        return -1;
    if (arn != NULL && !json_is_null(arn)) {
        if (kin_check_string(req, "StreamARN", "streamARN", 1, 2048, true, err) != 0)
            return -1;
        if (kin_arn_name(json_string_value(arn)) == NULL)
            return err_set(err, ERR_KIN_VALIDATION,
                           KIN_VALIDATION "Value '%.300s' at 'streamARN' failed to satisfy "
                           "constraint: Member must satisfy regular expression pattern: "
                           "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+",
                           json_string_value(arn));
    }
    return 0;
}

int kin_req_stream_name(emu_t *emu, json_t *req, char name[KIN_NAME_MAX], err_t *err)
{
    (void)emu;
    const char *n = json_string_value(json_object_get(req, "StreamName"));
    const char *arn = json_string_value(json_object_get(req, "StreamARN"));
    const char *from_arn = arn ? kin_arn_name(arn) : NULL;
    if (n != NULL && from_arn != NULL && strcmp(n, from_arn) != 0)
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "StreamARN %s does not match StreamName %s.", arn, n);
    if (n == NULL)
        n = from_arn;
    if (n == NULL)
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "Either StreamName or StreamARN should be provided.");
    snprintf(name, KIN_NAME_MAX, "%s", n);
    return 0;
}

/* --- streams --- */

void kin_stream_free(kin_stream *s)
{
    free(s->shards);
    s->shards = NULL;
    s->nshards = 0;
}

const kin_shard *kin_stream_route(const kin_stream *s, kin_u128 h)
{
    for (int i = 0; i < s->nshards; i++) {
        const kin_shard *sh = &s->shards[i];
        if (sh->open && h >= sh->start_hash && h <= sh->end_hash)
            return sh;
    }
    return NULL;
}

int kin_stream_open_shards(const kin_stream *s)
{
    int n = 0;
    for (int i = 0; i < s->nshards; i++)
        n += s->shards[i].open;
    return n;
}

int kin_stream_get(emu_t *emu, store_conn *c, const char *name, kin_stream *s, err_t *err)
{
    int rc = store_kin_stream_load(c, emu->cfg.account, emu->cfg.region, name, s, err);
    if (rc < 0)
        return -1;
    if (rc == 0 && s->until_ms <= kin_now_ms()) {
        if (strcmp(s->status, "DELETING") == 0) {
            kin_stream_free(s);
            rc = 1;
        } else if (strcmp(s->status, "ACTIVE") != 0) {
            snprintf(s->status, sizeof s->status, "ACTIVE");
        }
    }
    if (rc == 1)
        return err_set(err, ERR_KIN_RESOURCE_NOT_FOUND, "Stream %s under account %s not found.",
                       name, emu->cfg.account);
    return 0;
}

int kin_stream_need_active(emu_t *emu, const kin_stream *s, bool allow_updating, err_t *err)
{
    if (strcmp(s->status, "ACTIVE") == 0 ||
        (allow_updating && strcmp(s->status, "UPDATING") == 0))
        return 0;
    return err_set(err, ERR_KIN_RESOURCE_IN_USE,
                   "Stream %s under account %s not ACTIVE, instead in state %s", s->name,
                   emu->cfg.account, s->status);
}

void kin_stream_arn(const emu_t *emu, const char *name, char buf[KIN_ARN_MAX])
{
    snprintf(buf, KIN_ARN_MAX, "arn:aws:kinesis:%s:%s:stream/%s", emu->cfg.region,
             emu->cfg.account, name);
}

json_t *kin_time_json(int64_t ms)
{
    if (ms % 1000 == 0)
        return json_integer(ms / 1000);
    return json_real((double)ms / 1000.0);
}

json_t *kin_shard_json(const kin_stream *s, const kin_shard *sh)
{
    char id[KIN_SHARD_ID_MAX], a[KIN_HASH_MAX], b[KIN_HASH_MAX], seq[KIN_SEQ_MAX];
    kin_shard_id_format(sh->idx, id);
    kin_u128_format(sh->start_hash, a);
    kin_u128_format(sh->end_hash, b);
    kin_seq_format(s->id, sh->idx, sh->start_counter, seq);
    json_t *range = json_pack("{s:s}", "StartingSequenceNumber", seq);
    if (!sh->open) {
        kin_seq_format(s->id, sh->idx, sh->end_counter, seq);
        json_object_set_new(range, "EndingSequenceNumber", json_string(seq));
    }
    json_t *o = json_pack("{s:s, s:{s:s, s:s}, s:o}", "ShardId", id, "HashKeyRange",
                          "StartingHashKey", a, "EndingHashKey", b, "SequenceNumberRange", range);
    if (sh->parent >= 0) {
        kin_shard_id_format(sh->parent, id);
        json_object_set_new(o, "ParentShardId", json_string(id));
    }
    if (sh->adjacent >= 0) {
        kin_shard_id_format(sh->adjacent, id);
        json_object_set_new(o, "AdjacentParentShardId", json_string(id));
    }
    return o;
}

json_t *kin_job_run(emu_t *emu, json_t *req, store_fn fn, void *ctx, bool write, bool named,
                    err_t *err)
{
    kin_job j = {.emu = emu, .req = req, .ctx = ctx};
    if (named && kin_req_stream_name(emu, req, j.name, err) != 0)
        return NULL;
    int rc = write ? store_write(emu->store, fn, &j, err) : store_read(emu->store, fn, &j, err);
    if (rc != 0) {
        json_decref(j.out);
        return NULL;
    }
    if (j.notify)
        kin_notify(emu);
    return j.out ? j.out : json_object();
}

/* --- internal API: stream look-up --- */

typedef struct kin_lookup_job {
    emu_t *emu;
    const char *name;
    kin_stream s;
} kin_lookup_job;

static int kin_lookup_fn(store_conn *c, void *arg, err_t *err)
{
    kin_lookup_job *j = arg;
    return kin_stream_get(j->emu, c, j->name, &j->s, err);
}

int kin_stream_lookup(emu_t *emu, const char *name_or_arn, kin_stream_info *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    const char *name = strncmp(name_or_arn, "arn:", 4) == 0 ? kin_arn_name(name_or_arn)
                                                            : name_or_arn;
    if (name == NULL)
        return err_set(err, ERR_KIN_RESOURCE_NOT_FOUND, "Stream %s under account %s not found.",
                       name_or_arn, emu->cfg.account);
    kin_lookup_job j = {.emu = emu, .name = name};
    if (store_read(emu->store, kin_lookup_fn, &j, err) != 0)
        return -1;
    snprintf(out->name, sizeof out->name, "%s", j.s.name);
    kin_stream_arn(emu, j.s.name, out->arn);
    snprintf(out->status, sizeof out->status, "%s", j.s.status);
    out->retention_hours = j.s.retention_hours;
    out->created_ms = j.s.created_ms;
    out->shards = calloc((size_t)j.s.nshards + 1, sizeof *out->shards);
    if (out->shards == NULL) {
        kin_stream_free(&j.s);
        return err_set(err, ERR_INTERNAL, "out of memory");
    }
    out->nshards = j.s.nshards;
    for (int i = 0; i < j.s.nshards; i++) {
        const kin_shard *sh = &j.s.shards[i];
        kin_shard_info *o = &out->shards[i];
        kin_shard_id_format(sh->idx, o->shard_id);
        if (sh->parent >= 0)
            kin_shard_id_format(sh->parent, o->parent);
        if (sh->adjacent >= 0)
            kin_shard_id_format(sh->adjacent, o->adjacent_parent);
        o->open = sh->open;
        kin_u128_format(sh->start_hash, o->starting_hash);
        kin_u128_format(sh->end_hash, o->ending_hash);
        kin_seq_format(j.s.id, sh->idx, sh->start_counter, o->starting_seq);
        if (!sh->open)
            kin_seq_format(j.s.id, sh->idx, sh->end_counter, o->ending_seq);
    }
    kin_stream_free(&j.s);
    return 0;
}

void kin_stream_info_free(kin_stream_info *s)
{
    free(s->shards);
    s->shards = NULL;
    s->nshards = 0;
}
