/*
 * kin_put.c - the write path: PutRecord and PutRecords (the generic,
 * tree-based path; kin_fast.c scans the usual PutRecords body directly and
 * joins here through kin_put_entry and kin_put_records_run).
 *
 * Data is base64-decoded before the store job, so the writer thread only
 * routes (MD5 or ExplicitHashKey -> open shard), hands out counters from
 * the stream's persisted counter and stores each shard's records as one
 * chunk (store_kin_rec.c); the job's COMMIT makes the records durable
 * before the response, then waiters are woken.
 */
#include "kin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/base64.h"
#include "../common/jtext.h"

/* --- validation helpers --- */

/* Number of Unicode code points in UTF-8 text. */
static size_t kin_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

bool kin_digits_ok(const char *s, size_t maxlen)
{
    size_t n = strlen(s);
    if (n == 0 || n > maxlen || (s[0] == '0' && n > 1))
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Shape of one record (PutRecord's request or a PutRecords entry); prefix
 * is "" or "records.N.member." for messages. */
static int kin_check_entry(json_t *e, const char *prefix, err_t *err)
{
    char field[96];
    if (!json_is_object(e))
        return err_set(err, ERR_KIN_SERIALIZATION, "Unexpected value type in payload");
    json_t *data = json_object_get(e, "Data");
    snprintf(field, sizeof field, "%sdata", prefix);
    if (data == NULL || json_is_null(data))
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value null at '%s' failed to satisfy "
                       "constraint: Member must not be null", field);
    if (!json_is_string(data))
        return err_set(err, ERR_KIN_SERIALIZATION, "Unexpected value type in payload");
    snprintf(field, sizeof field, "%spartitionKey", prefix);
    if (kin_check_string(e, "PartitionKey", field, 1, 1024, true, err) != 0)
        return -1;
    size_t pklen = kin_utf8_len(json_string_value(json_object_get(e, "PartitionKey")));
    if (pklen > 256)
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value '%.256s' at '%s' failed to satisfy "
                       "constraint: Member must have length less than or equal to 256",
                       json_string_value(json_object_get(e, "PartitionKey")), field);
    static const struct { const char *member, *name; size_t max; } nums[] = {
        {"ExplicitHashKey", "explicitHashKey", 39},
        {"SequenceNumberForOrdering", "sequenceNumberForOrdering", 129},
    };
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        snprintf(field, sizeof field, "%s%s", prefix, nums[i].name);
        if (kin_check_string(e, nums[i].member, field, 0, 4096, false, err) != 0)
            return -1;
        const char *v = json_string_value(json_object_get(e, nums[i].member));
        if (v != NULL && !kin_digits_ok(v, nums[i].max))
            return err_set(err, ERR_KIN_VALIDATION,
                           "1 validation error detected: Value '%.200s' at '%s' failed to "
                           "satisfy constraint: Member must satisfy regular expression pattern: "
                           "0|([1-9]\\d{0,%zu})", v, field, nums[i].max - 1);
    }
    return 0;
}

/* --- puts --- */

void kin_puts_free(kin_puts *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].data);
    free(p->v);
}

int kin_put_entry(const char *pk, size_t pk_len, const char *b64, size_t b64_len,
                  const char *ehk, kin_put *p, size_t *total, err_t *err)
{
    p->pk = pk;
    p->pk_len = pk_len;
    if (base64_decode(b64, b64_len, &p->data, &p->len) != 0)
        return err_set(err, ERR_KIN_SERIALIZATION,
                       "Base64 encoded data is invalid: Data must be standard base64");
    if (p->len > KIN_MAX_RECORD)
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value at 'data' failed to satisfy constraint: "
                       "Member must have length less than or equal to %d", KIN_MAX_RECORD);
    if (p->len + pk_len > KIN_MAX_RECORD)
        return err_set(err, ERR_KIN_VALIDATION,
                       "Record size (data %zu bytes + partition key %zu bytes) exceeds the "
                       "maximum record size of %d bytes.", p->len, pk_len, KIN_MAX_RECORD);
    *total += p->len + pk_len;
    if (ehk != NULL) {
        if (kin_u128_parse(ehk, &p->hash) != 0)
            return err_set(err, ERR_KIN_INVALID_ARGUMENT,
                           "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                           "[0, 2^128-1]. Specified value was %s", ehk);
    } else {
        p->hash = kin_hash_key(p->pk, pk_len);
    }
    return 0;
}

/* Decode Data, check the record size and compute the hash key. */
static int kin_put_prepare(json_t *e, kin_put *p, size_t *total, err_t *err)
{
    json_t *data = json_object_get(e, "Data"), *pk = json_object_get(e, "PartitionKey");
    return kin_put_entry(json_string_value(pk), json_string_length(pk),
                         json_string_value(data), json_string_length(data),
                         json_string_value(json_object_get(e, "ExplicitHashKey")), p, total, err);
}

/* A chunk (store_kin_rec.c) holds at most this much: a GetRecords that
 * starts inside one reads all of it. */
#define KIN_CHUNK_BYTES (256 * 1024)

/* Store the written records of ps as chunks: per shard, in counter order. */
static int kin_put_chunks(store_conn *c, const kin_stream *s, kin_puts *ps, int64_t now,
                          err_t *err)
{
    kin_put **v = malloc(ps->n * sizeof *v);
    if (v == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    int rc = 0;
    for (int shard = 0; shard < s->nshards && rc == 0; shard++) {
        size_t n = 0, bytes = 0;
        for (size_t i = 0; i <= ps->n && rc == 0; i++) {
            kin_put *p = i < ps->n ? &ps->v[i] : NULL;
            if (p != NULL && (p->throttled || p->shard != shard))
                continue;
            if (n > 0 && (p == NULL || bytes + p->len > KIN_CHUNK_BYTES)) {
                rc = store_kin_chunk_insert(c, s->id, shard, now, v, n, err);
                n = bytes = 0;
            }
            if (p != NULL) {
                v[n++] = p;
                bytes += p->len + p->pk_len;
            }
        }
    }
    free(v);
    return rc;
}

static int kin_put_fn(store_conn *c, void *arg, err_t *err)
{
    kin_job *j = arg;
    kin_puts *ps = j->ctx;
    kin_stream s;
    if (kin_stream_get(j->emu, c, j->name, &s, err) != 0)
        return -1;
    int rc = 0;
    if (strcmp(s.status, "CREATING") == 0 || strcmp(s.status, "DELETING") == 0) {
        rc = err_set(err, ERR_KIN_RESOURCE_NOT_FOUND, "Stream %s under account %s not found.",
                     s.name, j->emu->cfg.account);
        goto out;
    }
    int64_t now = kin_now_ms();
    bool wrote = false;
    ps->stream_id = s.id;
    for (size_t i = 0; i < ps->n; i++) {
        kin_put *p = &ps->v[i];
        const kin_shard *sh = kin_stream_route(&s, p->hash);
        if (sh == NULL) {
            rc = err_set(err, ERR_INTERNAL, "no open shard for a hash key");
            goto out;
        }
        p->shard = sh->idx;
        err_t lim = {0};
        if (p->throttled || kin_limit_write(j->emu, &s, sh, p->len + p->pk_len, &lim) != 0) {
            p->throttled = true;
            kin_throttle_msg(j->emu, s.name, sh->idx, p->msg, sizeof p->msg);
            if (ps->whole) {
                rc = err_set(err, ERR_KIN_THROUGHPUT_EXCEEDED, "%s", p->msg);
                goto out;
            }
            continue;
        }
        p->counter = ++s.counter;
        wrote = true;
    }
    if (wrote && (rc = kin_put_chunks(c, &s, ps, now, err)) == 0) {
        rc = store_kin_stream_update(c, &s, err);
        j->notify = true;
    }
out:
    kin_stream_free(&s);
    return rc;
}

int kin_put_record_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0 || kin_check_entry(req, "", err) != 0)
        return -1;
    return 0;
}

json_t *kin_put_record(emu_t *emu, json_t *req, err_t *err)
{
    kin_put p = {0};
    kin_puts ps = {.v = &p, .n = 1, .whole = true};
    size_t total = 0;
    json_t *out = NULL;
    if (kin_put_prepare(req, &p, &total, err) != 0)
        goto out;
    p.throttled = kin_inject_fault(emu);
    out = kin_job_run(emu, req, kin_put_fn, &ps, true, true, err);
    if (out == NULL)
        goto out;
    char sid[KIN_SHARD_ID_MAX], seq[KIN_SEQ_MAX];
    kin_shard_id_format(p.shard, sid);
    kin_seq_format(ps.stream_id, p.shard, p.counter, seq);
    json_object_set_new(out, "ShardId", json_string(sid));
    json_object_set_new(out, "SequenceNumber", json_string(seq));
    json_object_set_new(out, "EncryptionType", json_string("NONE"));
out:
    free(p.data);
    return out;
}

int kin_put_records_validate(json_t *req, err_t *err)
{
    if (kin_check_stream_ref(req, err) != 0)
        return -1;
    json_t *recs = json_object_get(req, "Records");
    if (recs == NULL || json_is_null(recs))
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value null at 'records' failed to satisfy "
                       "constraint: Member must not be null");
    if (!json_is_array(recs))
        return err_set(err, ERR_KIN_SERIALIZATION, "Unexpected value type in payload");
    size_t n = json_array_size(recs), i;
    if (n < 1 || n > KIN_MAX_PUT_RECORDS)
        return err_set(err, ERR_KIN_VALIDATION,
                       "1 validation error detected: Value '[...]' at 'records' failed to satisfy "
                       "constraint: Member must have length %s than or equal to %d",
                       n < 1 ? "greater" : "less", n < 1 ? 1 : KIN_MAX_PUT_RECORDS);
    json_t *e;
    json_array_foreach(recs, i, e) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "records.%zu.member.", i + 1);
        if (kin_check_entry(e, prefix, err) != 0)
            return -1;
    }
    return 0;
}

char *kin_put_records(emu_t *emu, json_t *req, err_t *err)
{
    json_t *recs = json_object_get(req, "Records");
    kin_puts ps = {.n = json_array_size(recs)};
    char *out = NULL;
    ps.v = calloc(ps.n, sizeof *ps.v);
    if (ps.v == NULL) {
        err_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    size_t total = 0;
    for (size_t i = 0; i < ps.n; i++)
        if (kin_put_prepare(json_array_get(recs, i), &ps.v[i], &total, err) != 0)
            goto out;
    out = kin_put_records_run(emu, req, &ps, total, err);
out:
    kin_puts_free(&ps);
    return out;
}

/* PutRecords' response, written as text: a tree of 500 small objects and
 * its serialisation cost more than the rest of the event thread's work on
 * the request.  Members in the order the tree had. */
static char *kin_put_records_text(const kin_puts *ps, err_t *err)
{
    size_t failed = 0;
    for (size_t i = 0; i < ps->n; i++)
        failed += ps->v[i].throttled;
    jtext_buf b = {0};
    jtext_grow(&b, 64 + ps->n * (48 + KIN_SEQ_MAX + KIN_SHARD_ID_MAX)); /* throttled: more */
    jtext_puts(&b, "{\"FailedRecordCount\":");
    jtext_put_uint(&b, failed);
    jtext_puts(&b, ",\"Records\":[");
    for (size_t i = 0; i < ps->n; i++) {
        const kin_put *p = &ps->v[i];
        if (i > 0)
            jtext_put(&b, ",", 1);
        if (p->throttled) {
            jtext_puts(&b, "{\"ErrorCode\":\"ProvisionedThroughputExceededException\","
                           "\"ErrorMessage\":");
            jtext_put_string(&b, p->msg, strlen(p->msg));
            jtext_put(&b, "}", 1);
            continue;
        }
        char sid[KIN_SHARD_ID_MAX], seq[KIN_SEQ_MAX];
        kin_shard_id_format(p->shard, sid);
        kin_seq_format(ps->stream_id, p->shard, p->counter, seq);
        jtext_puts(&b, "{\"SequenceNumber\":\"");
        jtext_puts(&b, seq);
        jtext_puts(&b, "\",\"ShardId\":\"");
        jtext_puts(&b, sid);
        jtext_puts(&b, "\"}");
    }
    jtext_puts(&b, "],\"EncryptionType\":\"NONE\"}");
    char *text = jtext_finish(&b, NULL);
    if (text == NULL)
        err_set(err, ERR_INTERNAL, "out of memory");
    return text;
}

char *kin_put_records_run(emu_t *emu, json_t *req, kin_puts *ps, size_t total, err_t *err)
{
    if (total > KIN_MAX_PUT_BYTES) {
        err_set(err, ERR_KIN_INVALID_ARGUMENT,
                "Records size exceeds 5 MB limit: the request carries %zu bytes of data and "
                "partition keys.", total);
        return NULL;
    }
    for (size_t i = 0; i < ps->n; i++)
        ps->v[i].throttled = kin_inject_fault(emu);
    json_t *out = kin_job_run(emu, req, kin_put_fn, ps, true, true, err);
    if (out == NULL)
        return NULL;
    json_decref(out); /* an empty object: the answer is all in ps */
    return kin_put_records_text(ps, err);
}
