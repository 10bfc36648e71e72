/*
 * face_ingest.c - face_ingest_handle(): event -> records -> items -> writes
 * -> partial batch response.  See face_ingest.h for the contract; the
 * per-mode writers live in fi_write.c, the item model in fi_record.c.
 */
#include "face_ingest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/base64.h"
#include "fi_batch.h"
#include "fi_json.h"
#include "fi_log.h"
#include "fi_record.h"

static int set_error(fi_error *err, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_error(fi_error *err, const char *type, const char *fmt, ...)
{
    va_list ap;
    snprintf(err->type, sizeof err->type, "%s", type);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

void fi_batch_fail_item(fi_batch *b, size_t i)
{
    if (i < json_array_size(b->items) && b->item_rec[i] < b->nrec)
        b->failed[b->item_rec[i]] = 1;
}

static void log_skip(size_t i, const char *seq, const char *why)
{
    fi_log("warn", "record skipped",
           json_pack("{s:I, s:s?, s:s}", "record", (json_int_t)i, "sequenceNumber", seq, "reason",
                     why));
}

/* Fill the Kinesis context of one event record; -1 + why when unusable. */
static int kinesis_context(json_t *rec, fi_kctx *k, char arrival[64], char shard[256],
                           const char **data, char *why, size_t whylen)
{
    json_t *kin = json_object_get(rec, "kinesis");
    const char *seq = json_string_value(json_object_get(kin, "sequenceNumber"));
    const char *eid = json_string_value(json_object_get(rec, "eventID"));
    const char *colon = eid ? strchr(eid, ':') : NULL;
    if (!json_is_object(kin)) {
        snprintf(why, whylen, "record has no kinesis object");
        return -1;
    }
    if (!seq || !*seq || strlen(seq) > 128) {
        snprintf(why, whylen, "kinesis.sequenceNumber is missing or invalid");
        return -1;
    }
    *data = json_string_value(json_object_get(kin, "data"));
    if (!*data) {
        snprintf(why, whylen, "kinesis.data is missing or not a string");
        return -1;
    }
    /* eventID = "<shardId>:<sequenceNumber>" */
    snprintf(shard, 256, "%.*s", colon ? (int)(colon - eid) : 0, eid ? eid : "");
    json_t *at = json_object_get(kin, "approximateArrivalTimestamp");
    arrival[0] = '\0';
    if (json_is_number(at))
        fi_json_format_number(json_number_value(at), arrival, 64);
    const char *arn = json_string_value(json_object_get(rec, "eventSourceARN"));
    const char *pk = json_string_value(json_object_get(kin, "partitionKey"));
    k->event_source_arn = (arn && strlen(arn) <= FI_MAX_STRING) ? arn : "";
    k->sequence_number = seq;
    k->shard_id = shard;
    k->partition_key = (pk && strlen(pk) <= FI_MAX_STRING) ? pk : "";
    k->arrival = arrival;
    return 0;
}

/* Decode and parse record i, appending its items; skipped records are logged. */
static int collect_record(fi_batch *b, size_t i, json_t *rec)
{
    fi_kctx k;
    char arrival[64], shard[256], why[512];
    const char *data = NULL;
    unsigned char *raw = NULL;
    size_t rawlen = 0, before = json_array_size(b->items);
    int n = -1;
    b->seq[i] = json_string_value(json_object_get(json_object_get(rec, "kinesis"), "sequenceNumber"));
    if (!json_is_object(rec)) {
        snprintf(why, sizeof why, "record is not an object");
        goto skip;
    }
    if (kinesis_context(rec, &k, arrival, shard, &data, why, sizeof why) < 0)
        goto skip;
    if (base64_decode(data, strlen(data), &raw, &rawlen) < 0 || !raw) {
        snprintf(why, sizeof why, "kinesis.data is not valid base64");
        goto skip;
    }
    n = fi_record_items((const char *)raw, rawlen, &k, b->items, why, sizeof why);
    free(raw);
    if (n < 0)
        goto skip;
    size_t after = json_array_size(b->items);
    size_t *rec_of = realloc(b->item_rec, (after ? after : 1) * sizeof *rec_of);
    if (!rec_of)
        return -1;
    b->item_rec = rec_of;
    for (size_t j = before; j < after; j++)
        b->item_rec[j] = i;
    b->st->sightings += (size_t)n;
    return 0;
skip:
    log_skip(i, b->seq[i], why);
    b->st->skipped++;
    return 0;
}

static json_t *build_response(fi_batch *b)
{
    json_t *failures = json_array();
    if (!failures)
        return NULL;
    for (size_t i = 0; i < b->nrec; i++) {
        if (!b->failed[i] || !b->seq[i])
            continue;
        b->st->failed++;
        json_array_append_new(failures, json_pack("{s:s}", "itemIdentifier", b->seq[i]));
    }
    return json_pack("{s:o}", "batchItemFailures", failures);
}

static void log_done(const fi_batch *b, const char *mode, double ms, const char *outcome)
{
    const fi_stats *s = b->st;
    fi_log(strcmp(outcome, "ok") == 0 ? "info" : "error", "batch done",
           json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "outcome", outcome, "mode",
                     mode, "records", (json_int_t)s->records, "skipped", (json_int_t)s->skipped,
                     "sightings", (json_int_t)s->sightings, "written", (json_int_t)s->written,
                     "duplicates", (json_int_t)s->duplicates, "failedRecords",
                     (json_int_t)s->failed, "ms", ms));
}

static void write_items(fi_batch *b)
{
    switch (b->ctx->cfg->mode) {
    case FI_MODE_FIRST_SEEN:
        fi_write_first_seen(b);
        break;
    case FI_MODE_SUMMARY:
        fi_write_summary(b);
        break;
    default:
        fi_write_sightings(b);
        break;
    }
}

/* The function error a batch ends in, or 0 when it has a partial response. */
static int batch_error(const fi_batch *b, fi_error *err)
{
    if (b->fatal)
        return set_error(err, "DynamoDB.Fatal", "%s: %s", b->last.type, b->last.message);
    if (b->unavailable && b->ok_writes == 0)
        return set_error(err, "DynamoDB.Unavailable", "DynamoDB unavailable after %d attempts: %s%s%s",
                         b->last.attempts, b->last.type, b->last.type[0] ? ": " : "",
                         b->last.message);
    return 0;
}

int face_ingest_handle(fi_ctx *ctx, const char *event, size_t len, json_t **response,
                       fi_stats *st, fi_error *err)
{
    fi_stats local;
    fi_batch b = {0};
    json_error_t jerr;
    struct timespec t0, t1;
    size_t i;
    json_t *rec, *root = NULL;
    int rc = -1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    *response = NULL;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    b.ctx = ctx;
    b.st = st;
    root = json_loadb(event ? event : "", event ? len : 0, 0, &jerr);
    json_t *records = json_object_get(root, "Records");
    if (!json_is_array(records)) {
        set_error(err, "Handler.InvalidEvent", "%s",
                  root ? "event has no Records array" : "event is not JSON");
        fi_log("error", "invalid event", json_pack("{s:s}", "reason", err->message));
        goto out;
    }
    b.nrec = st->records = json_array_size(records);
    b.seq = calloc(b.nrec + 1, sizeof *b.seq);
    b.failed = calloc(b.nrec + 1, 1);
    b.items = json_array();
    b.item_rec = malloc(sizeof *b.item_rec);
    if (!b.seq || !b.failed || !b.items || !b.item_rec) {
        set_error(err, "Handler.OutOfMemory", "out of memory");
        goto out;
    }
    json_array_foreach(records, i, rec) {
        if (collect_record(&b, i, rec) < 0) {
            set_error(err, "Handler.OutOfMemory", "out of memory");
            goto out;
        }
    }
    write_items(&b);
    if (batch_error(&b, err) < 0)
        goto out;
    *response = build_response(&b);
    if (!*response) {
        set_error(err, "Handler.OutOfMemory", "out of memory");
        goto out;
    }
    rc = 0;
out:
    clock_gettime(CLOCK_MONOTONIC, &t1);
    log_done(&b, fi_mode_name(ctx->cfg->mode),
             (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
             rc == 0 ? "ok" : err->type);
    free(b.seq);
    free(b.failed);
    free(b.item_rec);
    json_decref(b.items);
    json_decref(root);
    return rc;
}
