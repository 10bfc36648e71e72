/*
 * kin_shard.c - resharding: SplitShard, MergeShards, UpdateShardCount.
 *
 * Resharding closes parent shards at the stream's current counter (their
 * EndingSequenceNumber) and opens children that start there, so a reader
 * that finishes a parent and moves to its children (ChildShards in
 * GetRecords) sees every record exactly once.  Changes apply at once; with
 * --kinesis-delays the stream reports UPDATING for a moment as well.
 */
#include "kin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append a child shard to s (s->shards grows; pointers into it move). */
static int kin_add_child(kin_stream *s, int parent, int adjacent, kin_u128 start, kin_u128 end,
                         err_t *err)
{
    kin_shard *v = realloc(s->shards, (size_t)(s->nshards + 1) * sizeof *v);
    if (v == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    s->shards = v;
    kin_shard *k = &v[s->nshards];
    memset(k, 0, sizeof *k);
    k->idx = s->nshards++;
    k->parent = parent;
    k->adjacent = adjacent;
    k->start_hash = start;
    k->end_hash = end;
    k->start_counter = s->counter;
    k->open = true;
    k->created_ms = kin_now_ms();
    return 0;
}

static void kin_close(kin_stream *s, int idx)
{
    kin_shard *sh = &s->shards[idx];
    sh->open = false;
    sh->end_counter = s->counter;
    sh->closed_ms = kin_now_ms();
    sh->closed_now = true;
}

/* Persist the shards from `first_new` on and every shard closed now. */
static int kin_save_reshard(store_conn *c, emu_t *emu, kin_stream *s, int first_new,
                            err_t *err)
{
    for (int i = 0; i < first_new; i++)
        if (s->shards[i].closed_now && store_kin_shard_close(c, s->id, &s->shards[i], err) != 0)
            return -1;
    for (int i = first_new; i < s->nshards; i++)
        if (store_kin_shard_insert(c, s->id, &s->shards[i], err) != 0)
            return -1;
    if (emu->cfg.kinesis_realistic_delays) {
        snprintf(s->status, sizeof s->status, "UPDATING");
        s->until_ms = kin_now_ms() + KIN_DELAY_MS;
    }
    return store_kin_stream_update(c, s, err);
}

static int kin_check_limit(store_conn *c, emu_t *emu, int extra, err_t *err)
{
    int total = 0;
    if (store_kin_open_shard_total(c, emu->cfg.account, emu->cfg.region, &total, err) != 0)
        return -1;
    if (extra > 0 && total + extra > KIN_SHARD_LIMIT)
        return err_set(err, ERR_KIN_LIMIT_EXCEEDED,
                       "This request would exceed the shard limit for the account %s in %s. "
                       "Current shard count for the account: %d. Limit: %d. Number of additional "
                       "shards that would have resulted from this request: %d. Refer to the AWS "
                       "Service Limits page (http://docs.aws.amazon.com/general/latest/gr/"
                       "aws_service_limits.html) for current limits and how to request higher "
                       "limits.", emu->cfg.account, emu->cfg.region, total, KIN_SHARD_LIMIT,
                       extra);
    return 0;
}

/* The open shard named id, or an error in Kinesis's words. */
static int kin_open_shard(emu_t *emu, const kin_stream *s, const char *id, err_t *err)
{
    int idx = kin_shard_id_parse(id);
    if (idx < 0 || idx >= s->nshards)
        return err_set(err, ERR_KIN_RESOURCE_NOT_FOUND,
                       "Could not find shard %s in stream %s under account %s.", id, s->name,
                       emu->cfg.account);
    if (!s->shards[idx].open) {
        char sid[KIN_SHARD_ID_MAX];
        kin_shard_id_format(idx, sid);
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "Shard %s in stream %s under account %s has already been merged or split, "
                       "and thus is not eligible for merging or splitting.", sid, s->name,
                       emu->cfg.account);
    }
    return idx;
}

/* --- SplitShard --- */

int kin_split_shard_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0 ||
        kin_check_string(req, "ShardToSplit", "shardToSplit", 1, 128, true, err) != 0 ||
        kin_check_string(req, "NewStartingHashKey", "newStartingHashKey", 1, 4096, true, err) !=
            0)
        return -1;
    const char *k = json_string_value(json_object_get(req, "NewStartingHashKey"));
    kin_u128 v;
    if (kin_u128_parse(k, &v) != 0)
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value '%.200s' at 'newStartingHashKey' "
                       "failed to satisfy constraint: Member must satisfy regular expression "
                       "pattern: 0|([1-9]\\d{0,38})", k);
    return 0;
}

static int kin_split_shard_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    int rc = kin_stream_need_active(j->emu, &s, false, err);
    int idx = rc == 0 ? kin_open_shard(j->emu, &s, json_string_value(json_object_get(j->req,
                                       "ShardToSplit")), err) : -1;
    if (idx < 0 || kin_check_limit(c, j->emu, 1, err) != 0) {
        rc = -1;
        goto out;
    }
    kin_u128 key;
    const char *ktext = json_string_value(json_object_get(j->req, "NewStartingHashKey"));
    kin_u128_parse(ktext, &key);
    kin_shard sh = s.shards[idx];
    if (key <= sh.start_hash || key > sh.end_hash) {
        char a[KIN_HASH_MAX], b[KIN_HASH_MAX], sid[KIN_SHARD_ID_MAX];
        kin_u128_format(sh.start_hash, a);
        kin_u128_format(sh.end_hash, b);
        kin_shard_id_format(idx, sid);
        rc = err_set(err, ERR_KIN_INVALID_ARGUMENT,
                     "NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under "
                     "account %s is not both greater than one plus the shard's StartingHashKey %s "
                     "and less than the shard's EndingHashKey %s.", ktext, sid, s.name,
                     j->emu->cfg.account, a, b);
        goto out;
    }
    int first_new = s.nshards;
    kin_close(&s, idx);
    if (kin_add_child(&s, idx, -1, sh.start_hash, key - 1, err) != 0 ||
        kin_add_child(&s, idx, -1, key, sh.end_hash, err) != 0 ||
        kin_save_reshard(c, j->emu, &s, first_new, err) != 0) {
        rc = -1;
        goto out;
    }
    j->notify = true;
out:
    kin_stream_free(&s);
    return rc;
}

json_t *kin_split_shard(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_split_shard_fn, NULL, true, true, err);
}

/* --- MergeShards --- */

int kin_merge_shards_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0 ||
        kin_check_string(req, "ShardToMerge", "shardToMerge", 1, 128, true, err) != 0 ||
        kin_check_string(req, "AdjacentShardToMerge", "adjacentShardToMerge", 1, 128, true,
                         err) != 0)
        return -1;
    return 0;
}

static int kin_merge_shards_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    int rc = kin_stream_need_active(j->emu, &s, false, err);
    int a = rc == 0 ? kin_open_shard(j->emu, &s, json_string_value(json_object_get(j->req,
                                     "ShardToMerge")), err) : -1;
    int b = a >= 0 ? kin_open_shard(j->emu, &s, json_string_value(json_object_get(j->req,
                                    "AdjacentShardToMerge")), err) : -1;
    if (a < 0 || b < 0) {
        rc = -1;
        goto out;
    }
    kin_shard sa = s.shards[a], sb = s.shards[b];
    bool adjacent = (sa.end_hash != KIN_U128_MAX && sa.end_hash + 1 == sb.start_hash) ||
                    (sb.end_hash != KIN_U128_MAX && sb.end_hash + 1 == sa.start_hash);
    if (a == b || !adjacent) {
        char ia[KIN_SHARD_ID_MAX], ib[KIN_SHARD_ID_MAX];
        kin_shard_id_format(a, ia);
        kin_shard_id_format(b, ib);
        rc = err_set(err, ERR_KIN_INVALID_ARGUMENT,
                     "Shards %s and %s in stream %s under account %s are not an adjacent pair of "
                     "shards eligible for merging", ia, ib, s.name, j->emu->cfg.account);
        goto out;
    }
    int first_new = s.nshards;
    kin_close(&s, a);
    kin_close(&s, b);
    kin_u128 lo = sa.start_hash < sb.start_hash ? sa.start_hash : sb.start_hash;
    kin_u128 hi = sa.end_hash > sb.end_hash ? sa.end_hash : sb.end_hash;
    if (kin_add_child(&s, a, b, lo, hi, err) != 0 ||
        kin_save_reshard(c, j->emu, &s, first_new, err) != 0) {
        rc = -1;
        goto out;
    }
    j->notify = true;
out:
    kin_stream_free(&s);
    return rc;
}

json_t *kin_merge_shards(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_merge_shards_fn, NULL, true, true, err);
}

/* --- UpdateShardCount --- */

int kin_update_shard_count_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0 ||
        kin_check_int(req, "TargetShardCount", "targetShardCount", 1, 100000, true, err) != 0 ||
        kin_check_string(req, "ScalingType", "scalingType", 1, 64, true, err) != 0)
        return -1;
    const char *t = json_string_value(json_object_get(req, "ScalingType"));
    if (strcmp(t, "UNIFORM_SCALING") != 0)
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value '%s' at 'scalingType' failed to "
                       "satisfy constraint: Member must satisfy enum value set: [UNIFORM_SCALING]",
                       t);
    return 0;
}

/* Index of the open shard (among the first n) holding hash h. */
static int kin_holder(const kin_stream *s, int n, kin_u128 h)
{
    for (int i = 0; i < n; i++)
        if (s->shards[i].open && h >= s->shards[i].start_hash && h <= s->shards[i].end_hash)
            return i;
    return -1;
}

static int kin_update_shard_count_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    int target = (int)json_integer_value(json_object_get(j->req, "TargetShardCount"));
    int cur = kin_stream_open_shards(&s);
    int rc = kin_stream_need_active(j->emu, &s, false, err);
    if (rc != 0 || (rc = kin_check_limit(c, j->emu, target - cur, err)) != 0)
        goto out;
    if (target != cur) {
        int old_n = s.nshards;
        for (int i = 0; i < target; i++) {
            kin_u128 lo, hi;
            kin_hash_range(i, target, &lo, &hi);
            int p = kin_holder(&s, old_n, lo), q = kin_holder(&s, old_n, hi);
            if ((rc = kin_add_child(&s, p, q == p ? -1 : q, lo, hi, err)) != 0)
                goto out;
        }
        for (int i = 0; i < old_n; i++)
            if (s.shards[i].open)
                kin_close(&s, i);
        if ((rc = kin_save_reshard(c, j->emu, &s, old_n, err)) != 0)
            goto out;
        j->notify = true;
    }
    char arn[KIN_ARN_MAX];
    kin_stream_arn(j->emu, s.name, arn);
    j->out = json_pack("{s:s, s:i, s:i, s:s}", "StreamName", s.name, "CurrentShardCount", cur,
                       "TargetShardCount", target, "StreamARN", arn);
out:
    kin_stream_free(&s);
    return rc;
}

json_t *kin_update_shard_count(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_update_shard_count_fn, NULL, true, true, err);
}
