/*
 * kin_records.c - the read path: GetShardIterator, GetRecords, and
 * kin_read_shard (kin.h) for in-process consumers.  Writes are in
 * kin_put.c.
 *
 * A position resolves to "records whose counter is > after"; an iterator
 * carries (stream id, shard, after, issue time).
 */
#include "kin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/base64.h"
#include "../common/jtext.h"
#include "svc.h"

/* --- positions --- */

static const char *const kin_iter_types[] = {"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP",
                                             "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"};

/* Resolve pos on shard sh of s to the counter after which reading starts. */
static int kin_resolve(store_conn *c, emu_t *emu, const kin_stream *s, const kin_shard *sh,
                       const kin_position *pos, uint64_t *after, err_t *err)
{
    uint64_t tip = sh->open ? s->counter : sh->end_counter;
    switch (pos->type) {
    case KIN_POS_TRIM_HORIZON:
        *after = sh->start_counter;
        return 0;
    case KIN_POS_LATEST:
        *after = tip;
        return 0;
    case KIN_POS_AT_TIMESTAMP: {
        uint64_t first = 0;
        if (store_kin_first_at(c, s->id, sh->idx, pos->timestamp_ms, &first, err) != 0)
            return -1;
        *after = first ? first - 1 : tip;
        return 0;
    }
    default: break;
    }
    char sid[KIN_SHARD_ID_MAX];
    kin_shard_id_format(sh->idx, sid);
    int64_t stream_id;
    int idx;
    uint64_t counter;
    if (kin_seq_parse(pos->seq, &stream_id, &idx, &counter) != 0)
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "StartingSequenceNumber %s used in GetShardIterator on shard %s in stream "
                       "%s under account %s is invalid.", pos->seq, sid, s->name,
                       emu->cfg.account);
    if (idx != sh->idx) {
        char other[KIN_SHARD_ID_MAX];
        kin_shard_id_format(idx, other);
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "Invalid StartingSequenceNumber. It encodes %s, while it was used in a "
                       "call to a shard with %s", other, sid);
    }
    if (stream_id != s->id)
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "StartingSequenceNumber %s used in GetShardIterator on shard %s in stream "
                       "%s under account %s is invalid because it did not come from this stream.",
                       pos->seq, sid, s->name, emu->cfg.account);
    if (pos->type == KIN_POS_AT_SEQUENCE)
        *after = counter ? counter - 1 : 0;
    else
        *after = counter;
    if (*after < sh->start_counter)
        *after = sh->start_counter;
    return 0;
}

/* The shard of s named by shard_id, or ResourceNotFoundException. */
static const kin_shard *kin_find_shard(emu_t *emu, const kin_stream *s, const char *shard_id,
                                       err_t *err)
{
    int idx = kin_shard_id_parse(shard_id);
    if (idx < 0 || idx >= s->nshards) {
        char sid[KIN_SHARD_ID_MAX];
        if (idx >= 0)
            kin_shard_id_format(idx, sid);
        err_set(err, ERR_KIN_RESOURCE_NOT_FOUND,
                "Shard %s in stream %s under account %s does not exist",
                idx >= 0 ? sid : shard_id, s->name, emu->cfg.account);
        return NULL;
    }
    return &s->shards[idx];
}

static int kin_stream_readable(emu_t *emu, const kin_stream *s, err_t *err)
{
    if (strcmp(s->status, "CREATING") == 0 || strcmp(s->status, "DELETING") == 0)
        return err_set(err, ERR_KIN_RESOURCE_NOT_FOUND, "Stream %s under account %s not found.",
                       s->name, emu->cfg.account);
    return 0;
}

/* --- GetShardIterator --- */

int kin_get_shard_iterator_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0 ||
        kin_check_string(req, "ShardId", "shardId", 1, 128, true, err) != 0 ||
        kin_check_string(req, "ShardIteratorType", "shardIteratorType", 1, 64, true, err) != 0 ||
        kin_check_string(req, "StartingSequenceNumber", "startingSequenceNumber", 0, 4096, false,
                         err) != 0)
        return -1;
    const char *t = json_string_value(json_object_get(req, "ShardIteratorType"));
    size_t i, n = sizeof kin_iter_types / sizeof *kin_iter_types;
    for (i = 0; i < n && strcmp(t, kin_iter_types[i]) != 0; i++)
        ;
    if (i == n)
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value '%s' at 'shardIteratorType' failed to "
                       "satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_"
                       "NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]", t);
    const char *seq = json_string_value(json_object_get(req, "StartingSequenceNumber"));
    if (seq != NULL && !kin_digits_ok(seq, 129))
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value '%.200s' at 'startingSequenceNumber' "
                       "failed to satisfy constraint: Member must satisfy regular expression "
                       "pattern: 0|([1-9]\\d{0,128})", seq);
    bool needs_seq = strstr(t, "SEQUENCE") != NULL;
    if (needs_seq != (seq != NULL) && strcmp(t, "AT_TIMESTAMP") != 0)
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                       "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                       "StartingSequenceNumber. Request specified %s and %s StartingSequenceNumber.",
                       t, seq ? "also a" : "no");
    json_t *ts = json_object_get(req, "Timestamp");
    bool has_ts = ts != NULL && !json_is_null(ts);
    if (has_ts && !json_is_number(ts))
        return err_set(err, ERR_KIN_SERIALIZATION, "Unexpected value type in payload");
    if (strcmp(t, "AT_TIMESTAMP") == 0 && !has_ts)
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "Must specify timestampInMillis parameter for iterator of type "
                       "AT_TIMESTAMP. Current request has no timestamp parameter.");
    if (strcmp(t, "AT_TIMESTAMP") != 0 && has_ts)
        return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                       "The timestampInMillis parameter can only be specified for iterators of "
                       "type AT_TIMESTAMP. Current request has ShardIteratorType %s.", t);
    return 0;
}

typedef struct kin_gsi {
    kin_position pos;
    const char *shard_id;
} kin_gsi;

static int kin_get_shard_iterator_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_gsi *g = j->ctx;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    int rc = kin_stream_readable(j->emu, &s, err);
    const kin_shard *sh = rc == 0 ? kin_find_shard(j->emu, &s, g->shard_id, err) : NULL;
    kin_iter it = {.stream_id = s.id, .issued_ms = kin_now_ms()};
    if (sh == NULL || kin_resolve(c, j->emu, &s, sh, &g->pos, &it.after, err) != 0) {
        kin_stream_free(&s);
        return -1;
    }
    it.shard_idx = sh->idx;
    char *text = kin_iter_encode(&it);
    kin_stream_free(&s);
    if (text == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    j->out = json_pack("{s:s}", "ShardIterator", text);
    free(text);
    return 0;
}

json_t *kin_get_shard_iterator(emu_t *emu, json_t *req, err_t *err)
{
    kin_gsi g = {.shard_id = json_string_value(json_object_get(req, "ShardId"))};
    const char *t = json_string_value(json_object_get(req, "ShardIteratorType"));
    for (size_t i = 0; i < sizeof kin_iter_types / sizeof *kin_iter_types; i++)
        if (strcmp(t, kin_iter_types[i]) == 0)
            g.pos.type = (kin_pos_type)i;
    const char *seq = json_string_value(json_object_get(req, "StartingSequenceNumber"));
    if (seq != NULL)
        snprintf(g.pos.seq, sizeof g.pos.seq, "%s", seq);
    json_t *ts = json_object_get(req, "Timestamp");
    if (json_is_number(ts)) {
        /* Epoch seconds (botocore 1.29 sends integers, newer SDKs fractions);
         * round to the millisecond. */
        double v = json_number_value(ts);
        g.pos.timestamp_ms = (int64_t)(v * 1000.0 + (v >= 0 ? 0.5 : -0.5));
    }
    return kin_job_run(emu, req, kin_get_shard_iterator_fn, &g, false, true, err);
}

/* --- reading --- */

typedef struct kin_readout {
    kin_record *recs;
    size_t n, cap;
    uint64_t next_after;
    uint64_t newest;           /* counter of the shard's newest record, 0 = none */
    int64_t newest_arrival;
    bool end_of_shard;
} kin_readout;

static int kin_read_row(void *arg, uint64_t counter, int64_t arrival, const char *pk,
                        const void *data, size_t len)
{
    kin_readout *o = arg;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        kin_record *v = realloc(o->recs, cap * sizeof *v);
        if (v == NULL)
            return -1;
        o->recs = v;
        o->cap = cap;
    }
    kin_record *r = &o->recs[o->n];
    memset(r, 0, sizeof *r);
    r->seq[0] = '\0';
    r->partition_key = strdup(pk);
    r->data = malloc(len ? len : 1);
    if (r->partition_key == NULL || r->data == NULL) {
        free(r->partition_key);
        free(r->data);
        return -1;
    }
    if (len > 0) /* an empty blob comes back as NULL */
        memcpy(r->data, data, len);
    r->data_len = len;
    r->arrival_ms = arrival;
    /* seq is filled by the caller (needs the stream id); keep the counter. */
    snprintf(r->seq, sizeof r->seq, "%llu", (unsigned long long)counter);
    o->n++;
    return 0;
}

static void kin_readout_free(kin_readout *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->recs[i].partition_key);
        free(o->recs[i].data);
    }
    free(o->recs);
    memset(o, 0, sizeof *o);
}

/* Read from shard sh of s after counter `after`, honouring retention. */
static int kin_read_core(store_conn *c, const kin_stream *s, const kin_shard *sh,
                         uint64_t after, size_t limit, size_t max_bytes, kin_readout *o,
                         err_t *err)
{
    int64_t now = kin_now_ms();
    int64_t min_arrival = now - (int64_t)s->retention_hours * 3600000;
    if (store_kin_records(c, s->id, sh->idx, after, min_arrival, limit, max_bytes, kin_read_row,
                          o, err) != 0)
        return -1;
    o->next_after = after;
    for (size_t i = 0; i < o->n; i++) {
        uint64_t counter = strtoull(o->recs[i].seq, NULL, 10);
        kin_seq_format(s->id, sh->idx, counter, o->recs[i].seq);
        o->next_after = counter;
    }
    if (store_kin_newest(c, s->id, sh->idx, &o->newest, &o->newest_arrival, err) != 0)
        return -1;
    o->end_of_shard = !sh->open && o->newest <= o->next_after;
    if (!sh->open && o->next_after < sh->end_counter && o->end_of_shard)
        o->next_after = sh->end_counter;
    return 0;
}

int kin_get_records_validate(json_t *req, err_t *err)
{
    if (kin_check_string(req, "ShardIterator", "shardIterator", 1, 512, true, err) != 0 ||
        kin_check_int(req, "Limit", "limit", 1, KIN_MAX_GET_LIMIT, false, err) != 0)
        return -1;
    json_t *arn = json_object_get(req, "StreamARN");
    if (arn != NULL && !json_is_null(arn) && kin_check_stream_ref(req, err) != 0)
        return -1;
    return 0;
}

static json_t *kin_child_shards(const kin_stream *s, int idx)
{
    json_t *kids = json_array();
    char id[KIN_SHARD_ID_MAX], a[KIN_HASH_MAX], b[KIN_HASH_MAX];
    for (int i = 0; i < s->nshards; i++) {
        const kin_shard *k = &s->shards[i];
        if (k->parent != idx && k->adjacent != idx)
            continue;
        json_t *parents = json_array();
        kin_shard_id_format(k->parent, id);
        json_array_append_new(parents, json_string(id));
        if (k->adjacent >= 0) {
            kin_shard_id_format(k->adjacent, id);
            json_array_append_new(parents, json_string(id));
        }
        kin_shard_id_format(k->idx, id);
        kin_u128_format(k->start_hash, a);
        kin_u128_format(k->end_hash, b);
        json_array_append_new(kids, json_pack("{s:s, s:o, s:{s:s, s:s}}", "ShardId", id,
            "ParentShards", parents, "HashKeyRange", "StartingHashKey", a, "EndingHashKey", b));
    }
    return kids;
}

/* GetRecords' iterator and the Records array it builds as text. */
typedef struct kin_get_ctx {
    kin_iter it;
    char *buf;          /* "{record},{record}..." (owned) */
    size_t len;
} kin_get_ctx;

/* The Records array's elements as text: Data is base64-encoded in place
 * and needs no escaping, nor do sequence numbers; partition keys are
 * escaped as jansson would. */
static int kin_records_text(const kin_readout *o, kin_get_ctx *g, err_t *err)
{
    g->buf = NULL;
    g->len = 0;
    if (o->n == 0)
        return 0;
    jtext_buf b = {0};
    size_t need = 0;
    for (size_t i = 0; i < o->n; i++)
        need += 96 + KIN_SEQ_MAX + BASE64_ENCODED_LEN(o->recs[i].data_len) +
                strlen(o->recs[i].partition_key);
    jtext_grow(&b, need);
    for (size_t i = 0; i < o->n; i++) {
        const kin_record *r = &o->recs[i];
        jtext_puts(&b, &",{\"SequenceNumber\":\""[i == 0]);
        jtext_puts(&b, r->seq);
        jtext_puts(&b, "\",\"ApproximateArrivalTimestamp\":");
        /* Epoch seconds, exact in decimal: whole seconds alone, else
         * three decimals (the value a jansson real would carry). */
        jtext_put_ms(&b, r->arrival_ms, false);
        jtext_puts(&b, ",\"Data\":\"");
        jtext_put_base64(&b, r->data, r->data_len);
        jtext_puts(&b, "\",\"PartitionKey\":");
        jtext_put_string(&b, r->partition_key, strlen(r->partition_key));
        jtext_put(&b, "}", 1);
    }
    if ((g->buf = jtext_finish(&b, &g->len)) == NULL)
        return err_set(err, ERR_KIN_INTERNAL, "out of memory");
    return 0;
}

static int kin_get_records_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    const kin_iter *it = &((kin_get_ctx *)j->ctx)->it;
    kin_stream s;
    int rc = store_kin_stream_load_id(c, it->stream_id, &s, err);
    if (rc != 0) {
        char sid[KIN_SHARD_ID_MAX];
        kin_shard_id_format(it->shard_idx, sid);
        return rc < 0 ? -1 : err_set(err, ERR_KIN_RESOURCE_NOT_FOUND,
                                     "Shard %s in stream (deleted) under account %s does not "
                                     "exist", sid, j->emu->cfg.account);
    }
    kin_readout o = {0};
    if (it->shard_idx >= s.nshards) {
        rc = err_set(err, ERR_KIN_INVALID_ARGUMENT, "Invalid ShardIterator.");
        goto out;
    }
    if ((rc = kin_limit_read(j->emu, &s, it->shard_idx, err)) != 0)
        goto out;
    json_t *lim = json_object_get(j->req, "Limit");
    size_t limit = lim ? (size_t)json_integer_value(lim) : KIN_MAX_GET_LIMIT;
    const kin_shard *sh = &s.shards[it->shard_idx];
    if ((rc = kin_read_core(c, &s, sh, it->after, limit, KIN_MAX_GET_BYTES, &o, err)) != 0)
        goto out;
    if (kin_records_text(&o, j->ctx, err) != 0)
        goto out;
    int64_t behind = 0;
    if (o.newest > o.next_after)
        behind = o.n ? o.newest_arrival - o.recs[o.n - 1].arrival_ms : 0;
    j->out = json_pack("{s:I}", "MillisBehindLatest", (json_int_t)(behind > 0 ? behind : 0));
    if (o.end_of_shard) {
        json_object_set_new(j->out, "ChildShards", kin_child_shards(&s, sh->idx));
    } else {
        kin_iter next = {.stream_id = s.id, .shard_idx = sh->idx, .after = o.next_after,
                         .issued_ms = kin_now_ms()};
        char *text = kin_iter_encode(&next);
        json_object_set_new(j->out, "NextShardIterator", json_string(text));
        free(text);
    }
out:
    kin_readout_free(&o);
    kin_stream_free(&s);
    return rc;
}

char *kin_get_records(emu_t *emu, json_t *req, err_t *err)
{
    kin_get_ctx g = {0};
    const char *text = json_string_value(json_object_get(req, "ShardIterator"));
    if (kin_iter_decode(text, &g.it) != 0) {
        err_set(err, ERR_KIN_INVALID_ARGUMENT, "Invalid ShardIterator.");
        return NULL;
    }
    int64_t now = kin_now_ms();
    if (kin_iter_expired(&g.it, now)) {
        err_set(err, ERR_KIN_EXPIRED_ITERATOR,
                "Iterator expired. The iterator was created at time %lld while right now it is "
                "%lld which is further in the future than the tolerated delay of %d "
                "milliseconds.", (long long)g.it.issued_ms, (long long)now, KIN_ITER_TTL_MS);
        return NULL;
    }
    json_t *out = kin_job_run(emu, req, kin_get_records_fn, &g, false, false, err);
    bool ran = out != NULL;
    char *body = ran ? svc_splice(out, "Records", "[", g.buf, g.len, "]") : NULL;
    if (ran && body == NULL)
        err_set(err, ERR_KIN_INTERNAL, "out of memory");
    free(g.buf);
    return body;
}

/* --- internal API (kin.h) --- */

typedef struct kin_read_job {
    const char *shard_id;
    const kin_position *from;
    size_t max_records, max_bytes;
    kin_batch *out;
} kin_read_job;

static int kin_read_shard_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_read_job *r = j->ctx;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    kin_readout o = {0};
    uint64_t after = 0;
    int rc = kin_stream_readable(j->emu, &s, err);
    const kin_shard *sh = rc == 0 ? kin_find_shard(j->emu, &s, r->shard_id, err) : NULL;
    if (sh == NULL || kin_resolve(c, j->emu, &s, sh, r->from, &after, err) != 0 ||
        kin_read_core(c, &s, sh, after, r->max_records, r->max_bytes, &o, err) != 0) {
        rc = -1;
        goto out;
    }
    kin_batch *b = r->out;
    b->records = o.recs;
    b->n = o.n;
    o.recs = NULL;
    o.n = 0;
    b->next.type = KIN_POS_AFTER_SEQUENCE;
    kin_seq_format(s.id, sh->idx, o.next_after, b->next.seq);
    if (o.newest)
        kin_seq_format(s.id, sh->idx, o.newest, b->newest_seq);
    if (o.newest > o.next_after && b->n)
        b->millis_behind = o.newest_arrival - b->records[b->n - 1].arrival_ms;
    b->shard_open = sh->open;
    b->end_of_shard = o.end_of_shard;
out:
    kin_readout_free(&o);
    kin_stream_free(&s);
    return rc;
}

int kin_read_shard(emu_t *emu, const char *name_or_arn, const char *shard_id,
                   const kin_position *from, size_t max_records, size_t max_bytes,
                   kin_batch *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    json_t *req = json_object();
    json_object_set_new(req, strncmp(name_or_arn, "arn:", 4) == 0 ? "StreamARN" : "StreamName",
                        json_string(name_or_arn));
    kin_read_job r = {.shard_id = shard_id, .from = from,
                      .max_records = max_records ? max_records : 1,
                      .max_bytes = max_bytes ? max_bytes : 1, .out = out};
    json_t *res = kin_job_run(emu, req, kin_read_shard_fn, &r, false, true, err);
    json_decref(req);
    if (res == NULL) {
        kin_batch_free(out);
        return -1;
    }
    json_decref(res);
    return 0;
}

void kin_batch_free(kin_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->records[i].partition_key);
        free(b->records[i].data);
    }
    free(b->records);
    b->records = NULL;
    b->n = 0;
}
