/*
 * kin_stream.c - stream-level actions: CreateStream, DeleteStream,
 * DescribeStream, DescribeStreamSummary, ListStreams, ListShards,
 * Increase/DecreaseStreamRetentionPeriod, AddTagsToStream,
 * ListTagsForStream, RemoveTagsFromStream, UpdateStreamMode, DescribeLimits.
 *
 * Each action is a validate function (shape only, no storage) and an
 * execute function that runs one store job through kin_job_run.
 */
#include "kin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIN_MAX_TAGS 50

static json_t *kin_mode_json(const char *mode)
{
    return json_pack("{s:s}", "StreamMode", mode);
}

static int kin_check_mode(json_t *req, bool required, err_t *err)
{
    json_t *d = json_object_get(req, "StreamModeDetails");
    if (d == NULL || json_is_null(d)) {
        if (!required)
            return 0;
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value null at 'streamModeDetails' failed "
                       "to satisfy constraint: Member must not be null");
    }
    if (!json_is_object(d))
        return err_set(err, ERR_KIN_SERIALIZATION, "Unexpected value type in payload");
    if (kin_check_string(d, "StreamMode", "streamModeDetails.streamMode", 1, 64, true, err) != 0)
        return -1;
    const char *m = json_string_value(json_object_get(d, "StreamMode"));
    if (strcmp(m, "PROVISIONED") != 0 && strcmp(m, "ON_DEMAND") != 0)
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value '%s' at 'streamModeDetails.streamMode' "
                       "failed to satisfy constraint: Member must satisfy enum value set: "
                       "[PROVISIONED, ON_DEMAND]", m);
    return 0;
}

static int kin_check_tag_map(json_t *tags, err_t *err)
{
    if (!json_is_object(tags))
        return err_set(err, ERR_KIN_SERIALIZATION, "Unexpected value type in payload");
    size_t n = json_object_size(tags);
    if (n < 1 || n > KIN_MAX_TAGS)
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value '%zu' at 'tags' failed to satisfy "
                       "constraint: Member must have length %s than or equal to %d", n,
                       n < 1 ? "greater" : "less", n < 1 ? 1 : KIN_MAX_TAGS);
    const char *k;
    json_t *v;
    json_object_foreach(tags, k, v) {
        if (!json_is_string(v))
            return err_set(err, ERR_KIN_SERIALIZATION, "Unexpected value type in payload");
        if (strlen(k) < 1 || strlen(k) > 128 || json_string_length(v) > 256)
            return err_set(err, ERR_KIN_VALIDATION,
                           "1 validation error detected: Value '%s' at 'tags' failed to satisfy "
                           "constraint: Map keys must have length between 1 and 128, values at "
                           "most 256", k);
    }
    return 0;
}

/* Add tags, enforcing the per-stream maximum. */
static int kin_tags_add(store_conn *c, kin_job *j, const kin_stream *s, json_t *tags,
                        err_t *err)
{
    json_t *cur = store_kin_tags(c, s->id, err);
    if (cur == NULL)
        return -1;
    const char *k;
    json_t *v;
    size_t total = json_object_size(cur);
    json_object_foreach(tags, k, v) total += json_object_get(cur, k) == NULL;
    json_decref(cur);
    if (total > KIN_MAX_TAGS)
        return err_set(err, ERR_KIN_LIMIT_EXCEEDED,
                       "Failed to add tags to stream %s under account %s because a given stream "
                       "cannot have more than %d tags associated with it.",
                       s->name, j->emu->cfg.account, KIN_MAX_TAGS);
    json_object_foreach(tags, k, v)
        if (store_kin_tag_put(c, s->id, k, json_string_value(v), err) != 0)
            return -1;
    return 0;
}

/* --- CreateStream --- */

int kin_create_stream_validate(json_t *req, err_t *err)
{
    if (kin_check_name(req, "StreamName", "streamName", err) != 0 ||
        kin_check_mode(req, false, err) != 0)
        return -1;
    json_t *d = json_object_get(req, "StreamModeDetails");
    const char *mode = d ? json_string_value(json_object_get(d, "StreamMode")) : NULL;
    bool on_demand = mode && strcmp(mode, "ON_DEMAND") == 0;
    json_t *sc = json_object_get(req, "ShardCount");
    if (on_demand && sc != NULL && !json_is_null(sc))
        return err_set(err, ERR_KIN_VALIDATION,
                       "ShardCount should not be specified for a stream in ON_DEMAND mode.");
    if (kin_check_int(req, "ShardCount", "shardCount", 1, 100000, !on_demand, err) != 0)
        return -1;
    json_t *tags = json_object_get(req, "Tags");
    if (tags != NULL && !json_is_null(tags) && kin_check_tag_map(tags, err) != 0)
        return -1;
    return 0;
}

static int kin_create_stream_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    emu_t *emu = j->emu;
    const char *name = json_string_value(json_object_get(j->req, "StreamName"));
    kin_stream s;
    int rc = store_kin_stream_load(c, emu->cfg.account, emu->cfg.region, name, &s, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        kin_stream_free(&s);
        return err_set(err, ERR_KIN_RESOURCE_IN_USE, "Stream %s under account %s already exists.",
                       name, emu->cfg.account);
    }
    json_t *d = json_object_get(j->req, "StreamModeDetails");
    const char *mode = d ? json_string_value(json_object_get(d, "StreamMode")) : "PROVISIONED";
    int n = strcmp(mode, "ON_DEMAND") == 0 ? KIN_ON_DEMAND_SHARDS
              : (int)json_integer_value(json_object_get(j->req, "ShardCount"));
    int total = 0;
    if (store_kin_open_shard_total(c, emu->cfg.account, emu->cfg.region, &total, err) != 0)
        return -1;
    if (total + n > KIN_SHARD_LIMIT)
        return err_set(err, ERR_KIN_LIMIT_EXCEEDED,
                       "This request would exceed the shard limit for the account %s in %s. "
                       "Current shard count for the account: %d. Limit: %d. Number of additional "
                       "shards that would have resulted from this request: %d. Refer to the AWS "
                       "Service Limits page (http://docs.aws.amazon.com/general/latest/gr/"
                       "aws_service_limits.html) for current limits and how to request higher "
                       "limits.", emu->cfg.account, emu->cfg.region, total, KIN_SHARD_LIMIT, n);
    int64_t now = kin_now_ms();
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "%s", name);
    snprintf(s.mode, sizeof s.mode, "%s", mode);
    bool delay = emu->cfg.kinesis_realistic_delays;
    snprintf(s.status, sizeof s.status, "%s", delay ? "CREATING" : "ACTIVE");
    s.until_ms = delay ? now + KIN_DELAY_MS : 0;
    s.retention_hours = KIN_MIN_RETENTION;
    s.created_ms = now;
    s.shards = calloc((size_t)n, sizeof *s.shards);
    if (s.shards == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    s.nshards = n;
    for (int i = 0; i < n; i++) {
        kin_shard *sh = &s.shards[i];
        sh->idx = i;
        sh->parent = sh->adjacent = -1;
        sh->open = true;
        sh->created_ms = now;
        kin_hash_range(i, n, &sh->start_hash, &sh->end_hash);
    }
    rc = store_kin_stream_insert(c, emu->cfg.account, emu->cfg.region, &s, err);
    json_t *tags = json_object_get(j->req, "Tags");
    if (rc == 0 && json_is_object(tags)) {
        rc = kin_tags_add(c, j, &s, tags, err);
    }
    kin_stream_free(&s);
    return rc;
}

json_t *kin_create_stream(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_create_stream_fn, NULL, true, false, err);
}

/* --- DeleteStream --- */

int kin_delete_stream_validate(json_t *req, err_t *err)
{
    return kin_check_stream_ref(req, err);
}

static int kin_delete_stream_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    int rc = 0;
    if (strcmp(s.status, "DELETING") == 0) {
        rc = err_set(err, ERR_KIN_RESOURCE_IN_USE,
                     "Stream %s under account %s not ACTIVE, instead in state %s", s.name,
                     j->emu->cfg.account, s.status);
    } else if (j->emu->cfg.kinesis_realistic_delays) {
        snprintf(s.status, sizeof s.status, "DELETING");
        s.until_ms = kin_now_ms() + KIN_DELAY_MS;
        rc = store_kin_stream_update(c, &s, err);
    } else {
        rc = store_kin_stream_delete(c, s.id, err);
    }
    j->notify = true;
    kin_stream_free(&s);
    return rc;
}

json_t *kin_delete_stream(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_delete_stream_fn, NULL, true, true, err);
}

/* --- DescribeStream / DescribeStreamSummary --- */

static json_t *kin_monitoring(void)
{
    return json_pack("[{s:[]}]", "ShardLevelMetrics");
}

int kin_describe_stream_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0 ||
        kin_check_int(req, "Limit", "limit", 1, 10000, false, err) != 0 ||
        kin_check_string(req, "ExclusiveStartShardId", "exclusiveStartShardId", 1, 128, false,
                         err) != 0)
        return -1;
    return 0;
}

static int kin_describe_stream_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    json_t *lim = json_object_get(j->req, "Limit");
    int limit = lim ? (int)json_integer_value(lim) : 100;
    const char *excl = json_string_value(json_object_get(j->req, "ExclusiveStartShardId"));
    int from = excl ? kin_shard_id_parse(excl) + 1 : 0;
    if (excl && from == 0)
        from = s.nshards;
    json_t *shards = json_array();
    int i;
    for (i = from; i < s.nshards && (int)json_array_size(shards) < limit; i++)
        json_array_append_new(shards, kin_shard_json(&s, &s.shards[i]));
    char arn[KIN_ARN_MAX];
    kin_stream_arn(j->emu, s.name, arn);
    j->out = json_pack("{s:{s:s, s:s, s:s, s:o, s:o, s:b, s:i, s:o, s:o, s:s}}",
        "StreamDescription", "StreamName", s.name, "StreamARN", arn, "StreamStatus", s.status,
        "StreamModeDetails", kin_mode_json(s.mode), "Shards", shards, "HasMoreShards",
        i < s.nshards, "RetentionPeriodHours", s.retention_hours, "StreamCreationTimestamp",
        kin_time_json(s.created_ms), "EnhancedMonitoring", kin_monitoring(), "EncryptionType",
        "NONE");
    kin_stream_free(&s);
    return 0;
}

json_t *kin_describe_stream(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_describe_stream_fn, NULL, false, true, err);
}

int kin_describe_stream_summary_validate(json_t *req, err_t *err)
{
    return kin_check_stream_ref(req, err);
}

static int kin_describe_summary_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    char arn[KIN_ARN_MAX];
    kin_stream_arn(j->emu, s.name, arn);
    j->out = json_pack("{s:{s:s, s:s, s:s, s:o, s:i, s:o, s:o, s:s, s:i, s:i}}",
        "StreamDescriptionSummary", "StreamName", s.name, "StreamARN", arn, "StreamStatus",
        s.status, "StreamModeDetails", kin_mode_json(s.mode), "RetentionPeriodHours",
        s.retention_hours, "StreamCreationTimestamp", kin_time_json(s.created_ms),
        "EnhancedMonitoring", kin_monitoring(), "EncryptionType", "NONE", "OpenShardCount",
        kin_stream_open_shards(&s), "ConsumerCount", 0);
    kin_stream_free(&s);
    return 0;
}

json_t *kin_describe_stream_summary(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_describe_summary_fn, NULL, false, true, err);
}

/* --- ListStreams --- */

int kin_list_streams_validate(json_t *req, err_t *err)
{
    if (kin_check_int(req, "Limit", "limit", 1, 10000, false, err) != 0 ||
        kin_check_string(req, "ExclusiveStartStreamName", "exclusiveStartStreamName", 1, 128,
                         false, err) != 0 ||
        kin_check_string(req, "NextToken", "nextToken", 1, 1048576, false, err) != 0)
        return -1;
    return 0;
}

static int kin_list_streams_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    emu_t *emu = j->emu;
    json_t *lim = json_object_get(j->req, "Limit");
    int limit = lim ? (int)json_integer_value(lim) : 100;
    const char *after = json_string_value(json_object_get(j->req, "NextToken"));
    if (after == NULL)
        after = json_string_value(json_object_get(j->req, "ExclusiveStartStreamName"));
    json_t *rows = store_kin_stream_list(c, emu->cfg.account, emu->cfg.region,
                                         after ? after : "", limit + 1, err);
    if (rows == NULL)
        return -1;
    json_t *names = json_array(), *sums = json_array();
    int64_t now = kin_now_ms();
    size_t i;
    json_t *r;
    const char *last = NULL;
    bool more = false;
    json_array_foreach(rows, i, r) {
        const char *name = json_string_value(json_object_get(r, "name"));
        const char *status = json_string_value(json_object_get(r, "status"));
        if (json_integer_value(json_object_get(r, "until_ms")) <= now)
            status = strcmp(status, "DELETING") == 0 ? NULL : "ACTIVE";
        if (status == NULL)
            continue;
        if ((int)json_array_size(names) == limit) {
            more = true;
            break;
        }
        char arn[KIN_ARN_MAX];
        kin_stream_arn(emu, name, arn);
        json_array_append_new(names, json_string(name));
        json_array_append_new(sums, json_pack("{s:s, s:s, s:s, s:o, s:o}", "StreamName", name,
            "StreamARN", arn, "StreamStatus", status, "StreamModeDetails",
            kin_mode_json(json_string_value(json_object_get(r, "mode"))),
            "StreamCreationTimestamp",
            kin_time_json(json_integer_value(json_object_get(r, "created_ms")))));
        last = name;
    }
    j->out = json_pack("{s:o, s:b, s:o}", "StreamNames", names, "HasMoreStreams", more,
                       "StreamSummaries", sums);
    if (more && last)
        json_object_set_new(j->out, "NextToken", json_string(last));
    json_decref(rows);
    return 0;
}

json_t *kin_list_streams(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_list_streams_fn, NULL, false, false, err);
}

/* --- ListShards --- */

static const char *const kin_filter_types[] = {"AFTER_SHARD_ID", "AT_TRIM_HORIZON",
    "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP"};

int kin_list_shards_validate(json_t *req, err_t *err)
{
    json_t *tok = json_object_get(req, "NextToken");
    bool has_tok = tok != NULL && !json_is_null(tok);
    if (has_tok && json_object_get(req, "StreamName") != NULL)
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "NextToken and StreamName cannot be provided together.");
    if (!has_tok && kin_check_stream_ref(req, err) != 0)
        return -1;
    if (kin_check_string(req, "NextToken", "nextToken", 1, 1048576, false, err) != 0 ||
        kin_check_int(req, "MaxResults", "maxResults", 1, 10000, false, err) != 0 ||
        kin_check_string(req, "ExclusiveStartShardId", "exclusiveStartShardId", 1, 128, false,
                         err) != 0)
        return -1;
    json_t *f = json_object_get(req, "ShardFilter");
    if (f != NULL && !json_is_null(f)) {
        if (!json_is_object(f))
            return err_set(err, ERR_KIN_SERIALIZATION, "Unexpected value type in payload");
        if (kin_check_string(f, "Type", "shardFilter.type", 1, 64, true, err) != 0)
            return -1;
        const char *t = json_string_value(json_object_get(f, "Type"));
        size_t i, n = sizeof kin_filter_types / sizeof *kin_filter_types;
        for (i = 0; i < n && strcmp(t, kin_filter_types[i]) != 0; i++)
            ;
        if (i == n)
            return err_set(err, ERR_KIN_VALIDATION,
                           "1 validation error detected: Value '%s' at 'shardFilter.type' failed "
                           "to satisfy constraint: Member must satisfy enum value set: "
                           "[AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, "
                           "AT_TIMESTAMP, FROM_TIMESTAMP]", t);
        if (strcmp(t, "AFTER_SHARD_ID") == 0 && !json_is_string(json_object_get(f, "ShardId")))
            return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                           "Must specify ShardId for the AFTER_SHARD_ID ShardFilter type.");
        if (strstr(t, "TIMESTAMP") != NULL && !json_is_number(json_object_get(f, "Timestamp")))
            return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                           "Must specify Timestamp for the %s ShardFilter type.", t);
    }
    return 0;
}

/* Does shard sh pass the ShardFilter f (NULL = all)? */
static bool kin_filter_pass(json_t *f, const kin_shard *sh)
{
    if (f == NULL || !json_is_object(f))
        return true;
    const char *t = json_string_value(json_object_get(f, "Type"));
    if (strcmp(t, "AFTER_SHARD_ID") == 0)
        return sh->idx > kin_shard_id_parse(json_string_value(json_object_get(f, "ShardId")));
    if (strcmp(t, "AT_LATEST") == 0)
        return sh->open;
    if (strstr(t, "TIMESTAMP") != NULL) {
        int64_t ts = (int64_t)(json_number_value(json_object_get(f, "Timestamp")) * 1000.0);
        bool open_at_or_after = sh->open || sh->closed_ms >= ts;
        if (strcmp(t, "FROM_TIMESTAMP") == 0)
            return open_at_or_after;
        return open_at_or_after && sh->created_ms <= ts;
    }
    return true;   /* AT_/FROM_TRIM_HORIZON: every untrimmed shard */
}

static int kin_list_shards_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    const char *tok = json_string_value(json_object_get(j->req, "NextToken"));
    int from = 0;
    if (tok != NULL) {
        /* Our tokens: "v1:<stream name>:<next shard index>". */
        char name[KIN_NAME_MAX];
        if (sscanf(tok, "v1:%128[a-zA-Z0-9_.-]:%d", name, &from) != 2 || from < 0)
            return err_set(err, ERR_KIN_INVALID_ARGUMENT, "Invalid NextToken.");
        snprintf(j->name, sizeof j->name, "%s", name);
    }
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    const char *excl = json_string_value(json_object_get(j->req, "ExclusiveStartShardId"));
    if (excl != NULL && tok == NULL) {
        int e = kin_shard_id_parse(excl);
        from = e < 0 ? s.nshards : e + 1;
    }
    json_t *lim = json_object_get(j->req, "MaxResults");
    int limit = lim ? (int)json_integer_value(lim) : 1000;
    json_t *f = json_object_get(j->req, "ShardFilter");
    json_t *shards = json_array();
    int i;
    for (i = from; i < s.nshards && (int)json_array_size(shards) < limit; i++)
        if (kin_filter_pass(f, &s.shards[i]))
            json_array_append_new(shards, kin_shard_json(&s, &s.shards[i]));
    j->out = json_pack("{s:o}", "Shards", shards);
    if (i < s.nshards) {
        char next[KIN_NAME_MAX + 32];
        snprintf(next, sizeof next, "v1:%s:%d", s.name, i);
        json_object_set_new(j->out, "NextToken", json_string(next));
    }
    kin_stream_free(&s);
    return 0;
}

json_t *kin_list_shards(emu_t *emu, json_t *req, err_t *err)
{
    bool named = json_object_get(req, "NextToken") == NULL;
    return kin_job_run(emu, req, kin_list_shards_fn, NULL, false, named, err);
}

/* --- retention --- */

static int kin_retention_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0 ||
        kin_check_int(req, "RetentionPeriodHours", "retentionPeriodHours", 1, 8760, true, err) !=
            0)
        return -1;
    return 0;
}

int kin_increase_retention_validate(json_t *req, err_t *err)
{
    return kin_retention_validate(req, err);
}

int kin_decrease_retention_validate(json_t *req, err_t *err)
{
    return kin_retention_validate(req, err);
}

static int kin_retention_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    bool increase = j->ctx != NULL;
    int hours = (int)json_integer_value(json_object_get(j->req, "RetentionPeriodHours"));
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    int rc = kin_stream_need_active(j->emu, &s, false, err);
    if (rc == 0 && hours < KIN_MIN_RETENTION)
        rc = err_set(err, ERR_KIN_INVALID_ARGUMENT,
                     "Minimum allowed retention period is %d hours. Requested retention period "
                     "(%d hours) is too short.", KIN_MIN_RETENTION, hours);
    if (rc == 0 && increase && hours < s.retention_hours)
        rc = err_set(err, ERR_KIN_INVALID_ARGUMENT,
                     "Requested retention period (%d hours) for stream %s can not be shorter than "
                     "existing retention period (%d hours). Use DecreaseRetentionPeriod API.",
                     hours, s.name, s.retention_hours);
    if (rc == 0 && !increase && hours > s.retention_hours)
        rc = err_set(err, ERR_KIN_INVALID_ARGUMENT,
                     "Requested retention period (%d hours) for stream %s can not be longer than "
                     "existing retention period (%d hours). Use IncreaseRetentionPeriod API.",
                     hours, s.name, s.retention_hours);
    if (rc == 0) {
        s.retention_hours = hours;
        rc = store_kin_stream_update(c, &s, err);
    }
    kin_stream_free(&s);
    return rc;
}

json_t *kin_increase_retention(emu_t *emu, json_t *req, err_t *err)
{
    static int yes;
    return kin_job_run(emu, req, kin_retention_fn, &yes, true, true, err);
}

json_t *kin_decrease_retention(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_retention_fn, NULL, true, true, err);
}

/* --- tags --- */

int kin_add_tags_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0)
        return -1;
    json_t *tags = json_object_get(req, "Tags");
    if (tags == NULL || json_is_null(tags))
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value null at 'tags' failed to satisfy "
                       "constraint: Member must not be null");
    return kin_check_tag_map(tags, err);
}

static int kin_add_tags_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    int rc = kin_tags_add(c, j, &s, json_object_get(j->req, "Tags"), err);
    kin_stream_free(&s);
    return rc;
}

json_t *kin_add_tags(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_add_tags_fn, NULL, true, true, err);
}

int kin_list_tags_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0 ||
        kin_check_string(req, "ExclusiveStartTagKey", "exclusiveStartTagKey", 1, 128, false,
                         err) != 0 ||
        kin_check_int(req, "Limit", "limit", 1, 50, false, err) != 0)
        return -1;
    return 0;
}

static int kin_key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int kin_list_tags_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    json_t *tags = store_kin_tags(c, s.id, err);
    kin_stream_free(&s);
    if (tags == NULL)
        return -1;
    json_t *lim = json_object_get(j->req, "Limit");
    size_t limit = lim ? (size_t)json_integer_value(lim) : 50;
    const char *excl = json_string_value(json_object_get(j->req, "ExclusiveStartTagKey"));
    /* Sorted keys: jansson objects are unordered, so sort them here. */
    size_t n = json_object_size(tags), m = 0;
    const char **keys = calloc(n + 1, sizeof *keys);
    const char *k;
    json_t *v;
    json_object_foreach(tags, k, v) keys[m++] = k;
    qsort(keys, m, sizeof *keys, kin_key_cmp);
    json_t *list = json_array();
    bool more = false;
    for (size_t i = 0; i < m; i++) {
        if (excl && strcmp(keys[i], excl) <= 0)
            continue;
        if (json_array_size(list) == limit) {
            more = true;
            break;
        }
        json_array_append_new(list, json_pack("{s:s, s:O}", "Key", keys[i], "Value",
                                              json_object_get(tags, keys[i])));
    }
    free(keys);
    j->out = json_pack("{s:o, s:b}", "Tags", list, "HasMoreTags", more);
    json_decref(tags);
    return 0;
}

json_t *kin_list_tags(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_list_tags_fn, NULL, false, true, err);
}

int kin_remove_tags_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0)
        return -1;
    json_t *keys = json_object_get(req, "TagKeys");
    if (keys == NULL || json_is_null(keys))
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value null at 'tagKeys' failed to satisfy "
                       "constraint: Member must not be null");
    if (!json_is_array(keys))
        return err_set(err, ERR_KIN_SERIALIZATION, "Unexpected value type in payload");
    size_t n = json_array_size(keys), i;
    if (n < 1 || n > KIN_MAX_TAGS)
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value at 'tagKeys' failed to satisfy "
                       "constraint: Member must have length %s than or equal to %d",
                       n < 1 ? "greater" : "less", n < 1 ? 1 : KIN_MAX_TAGS);
    json_t *k;
    json_array_foreach(keys, i, k) if (!json_is_string(k))
        return err_set(err, ERR_KIN_SERIALIZATION, "Unexpected value type in payload");
    return 0;
}

static int kin_remove_tags_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    size_t i;
    json_t *k;
    int rc = 0;
    json_array_foreach(json_object_get(j->req, "TagKeys"), i, k) {
        if ((rc = store_kin_tag_delete(c, s.id, json_string_value(k), err)) != 0)
            break;
    }
    kin_stream_free(&s);
    return rc;
}

json_t *kin_remove_tags(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_remove_tags_fn, NULL, true, true, err);
}

/* --- UpdateStreamMode --- */

int kin_update_stream_mode_validate(json_t *req, err_t *err)
{
    if (kin_check_string(req, "StreamARN", "streamARN", 1, 2048, true, err) != 0 ||
        kin_check_stream_ref(req, err) != 0 || kin_check_mode(req, true, err) != 0)
        return -1;
    return 0;
}

static int kin_update_stream_mode_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    int rc = kin_stream_need_active(j->emu, &s, false, err);
    if (rc == 0) {
        json_t *d = json_object_get(j->req, "StreamModeDetails");
        snprintf(s.mode, sizeof s.mode, "%s", json_string_value(json_object_get(d, "StreamMode")));
        if (j->emu->cfg.kinesis_realistic_delays) {
            snprintf(s.status, sizeof s.status, "UPDATING");
            s.until_ms = kin_now_ms() + KIN_DELAY_MS;
        }
        rc = store_kin_stream_update(c, &s, err);
    }
    kin_stream_free(&s);
    return rc;
}

json_t *kin_update_stream_mode(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_update_stream_mode_fn, NULL, true, true, err);
}

/* --- DescribeLimits --- */

int kin_describe_limits_validate(json_t *req, err_t *err)
{
    (void)req;
    (void)err;
    return 0;
}

static int kin_describe_limits_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    int total = 0;
    if (store_kin_open_shard_total(c, j->emu->cfg.account, j->emu->cfg.region, &total, err) != 0)
        return -1;
    j->out = json_pack("{s:i, s:i, s:i, s:i}", "ShardLimit", KIN_SHARD_LIMIT, "OpenShardCount",
                       total, "OnDemandStreamCount", 0, "OnDemandStreamCountLimit", 50);
    return 0;
}

json_t *kin_describe_limits(emu_t *emu, json_t *req, err_t *err)
{
    return kin_job_run(emu, req, kin_describe_limits_fn, NULL, false, false, err);
}
