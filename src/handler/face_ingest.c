/*
 * face_ingest.c - face_ingest_handle(): event -> records -> items -> writes
 * -> partial batch response.  See face_ingest.h for the contract; the
 * per-mode writers live in fi_write.c, the item model in fi_record.c.
 *
 * The event is read by fi_jdoc (one pass, in place, over a copy); only when
 * fi_jdoc refuses it does jansson read it, so an invalid event still gets
 * jansson's verdict.  Each record's data is decoded into its own buffer
 * that its sightings point into until the batch is written.
 */
#include "face_ingest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/base64.h"
#include "fi_batch.h"
#include "fi_jdoc.h"
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
    if (i < b->sightings.n && b->sightings.v[i].rec < b->nrec)
        b->failed[b->sightings.v[i].rec] = 1;
}

static void log_skip(size_t i, const char *seq, const char *why)
{
    fi_log("warn", "record skipped",
           json_pack("{s:I, s:s?, s:s}", "record", (json_int_t)i, "sequenceNumber", seq, "reason",
                     why));
}

/* What collect_record reads of one event record, from either parser.
 * Strings are NULL when missing or not strings; all borrowed. */
typedef struct evrec {
    int is_object, kin_object;
    const char *seq, *eid, *data, *arn, *pk;
    size_t data_len;
    int has_arrival;
    double arrival;
} evrec;

static void evrec_from_jdoc(const fi_jdoc *d, size_t rec, evrec *e)
{
    size_t kin = fi_jdoc_get(d, rec, "kinesis", NULL);
    size_t data = fi_jdoc_get(d, kin, "data", NULL);
    size_t at = fi_jdoc_get(d, kin, "approximateArrivalTimestamp", NULL);
    memset(e, 0, sizeof *e);
    e->is_object = fi_jdoc_is(d, rec, FI_J_OBJ);
    e->kin_object = fi_jdoc_is(d, kin, FI_J_OBJ);
    e->seq = fi_jdoc_str(d, fi_jdoc_get(d, kin, "sequenceNumber", NULL));
    e->eid = fi_jdoc_str(d, fi_jdoc_get(d, rec, "eventID", NULL));
    e->data = fi_jdoc_str(d, data);
    e->data_len = e->data ? d->n[data].len : 0;
    e->arn = fi_jdoc_str(d, fi_jdoc_get(d, rec, "eventSourceARN", NULL));
    e->pk = fi_jdoc_str(d, fi_jdoc_get(d, kin, "partitionKey", NULL));
    e->has_arrival = fi_jdoc_is_number(d, at);
    e->arrival = fi_jdoc_number(d, at);
}

static void evrec_from_json(json_t *rec, evrec *e)
{
    json_t *kin = json_object_get(rec, "kinesis");
    json_t *at = json_object_get(kin, "approximateArrivalTimestamp");
    memset(e, 0, sizeof *e);
    e->is_object = json_is_object(rec);
    e->kin_object = json_is_object(kin);
    e->seq = json_string_value(json_object_get(kin, "sequenceNumber"));
    e->eid = json_string_value(json_object_get(rec, "eventID"));
    e->data = json_string_value(json_object_get(kin, "data"));
    e->data_len = e->data ? strlen(e->data) : 0;
    e->arn = json_string_value(json_object_get(rec, "eventSourceARN"));
    e->pk = json_string_value(json_object_get(kin, "partitionKey"));
    e->has_arrival = json_is_number(at);
    e->arrival = json_number_value(at);
}

/* Fill the Kinesis context of record r; -1 + why when unusable. */
static int kinesis_context(const evrec *e, fi_rec *r, char *why, size_t whylen)
{
    const char *colon = e->eid ? strchr(e->eid, ':') : NULL;
    if (!e->kin_object) {
        snprintf(why, whylen, "record has no kinesis object");
        return -1;
    }
    if (!e->seq || !*e->seq || strlen(e->seq) > 128) {
        snprintf(why, whylen, "kinesis.sequenceNumber is missing or invalid");
        return -1;
    }
    if (!e->data) {
        snprintf(why, whylen, "kinesis.data is missing or not a string");
        return -1;
    }
    /* eventID = "<shardId>:<sequenceNumber>", cut to 255 bytes, maybe inside
     * a UTF-8 sequence: the item builder refuses such a shard id. */
    size_t n = colon ? (size_t)(colon - e->eid) : 0;
    r->shard_ok = n < sizeof r->shard || ((unsigned char)e->eid[sizeof r->shard - 1] & 0xC0) != 0x80;
    n = n < sizeof r->shard ? n : sizeof r->shard - 1;
    memcpy(r->shard, e->eid ? e->eid : "", n);
    r->shard[n] = '\0';
    r->arrival[0] = '\0';
    if (e->has_arrival)
        fi_json_format_number(e->arrival, r->arrival, sizeof r->arrival);
    r->k.event_source_arn = (e->arn && strlen(e->arn) <= FI_MAX_STRING) ? e->arn : "";
    r->k.sequence_number = e->seq;
    r->k.shard_id = r->shard;
    r->k.partition_key = (e->pk && strlen(e->pk) <= FI_MAX_STRING) ? e->pk : "";
    r->k.arrival = r->arrival;
    return 0;
}

/* Decode and parse record i, appending its sightings; skipped records are logged. */
static void collect_record(fi_batch *b, size_t i, const evrec *e, fi_jdoc *doc)
{
    fi_rec *r = &b->recs[i];
    char why[512];
    unsigned char *raw = NULL;
    size_t rawlen = 0;
    b->seq[i] = e->kin_object ? e->seq : NULL;
    if (!e->is_object) {
        snprintf(why, sizeof why, "record is not an object");
        goto skip;
    }
    if (kinesis_context(e, r, why, sizeof why) < 0)
        goto skip;
    if (base64_decode(e->data, e->data_len, &raw, &rawlen) < 0 || !raw) {
        snprintf(why, sizeof why, "kinesis.data is not valid base64");
        goto skip;
    }
    r->text = (char *)raw;
    int n = fi_record_parse(r, rawlen, i, doc, &b->sightings, why, sizeof why);
    if (n == FI_RECORD_NOT_JSON) { /* parsed in place: decode again for jansson's message */
        if (base64_decode(e->data, e->data_len, &raw, &rawlen) < 0)
            snprintf(why, sizeof why, "out of memory");
        else
            fi_record_json_error((const char *)raw, rawlen, why, sizeof why);
        free(raw);
    }
    if (n < 0) {
        fi_rec_clear(r);
        goto skip;
    }
    b->st->sightings += (size_t)n;
    return;
skip:
    log_skip(i, b->seq[i], why);
    b->st->skipped++;
}

/* The records of the event: fi_jdoc over a copy (copy and doc kept by
 * the caller), or jansson when fi_jdoc refuses the event (*root, for its
 * messages).  *recs: one evrec per Records[] element (caller frees);
 * -1 + err when the event is unusable. */
static int event_records(const char *event, size_t len, char **copy, fi_jdoc *doc, json_t **root,
                         evrec **recs, size_t *nrec, fi_error *err)
{
    *copy = malloc(len + 1);
    if (*copy && len)
        memcpy(*copy, event, len);
    if (*copy && fi_jdoc_parse(doc, *copy, len, 0) == 0) {
        size_t records = fi_jdoc_get(doc, 0, "Records", NULL);
        if (!fi_jdoc_is(doc, records, FI_J_ARR))
            return set_error(err, "Handler.InvalidEvent", "%s", "event has no Records array");
        *nrec = doc->n[records].len;
        if (!(*recs = calloc(*nrec + 1, sizeof **recs)))
            return set_error(err, "Handler.OutOfMemory", "out of memory");
        size_t r = records + 1;
        for (size_t i = 0; i < *nrec; i++, r = doc->n[r].next)
            evrec_from_jdoc(doc, r, &(*recs)[i]);
        return 0;
    }
    json_error_t jerr;
    *root = json_loadb(event ? event : "", event ? len : 0, 0, &jerr);
    json_t *records = json_object_get(*root, "Records"), *rec;
    if (!json_is_array(records))
        return set_error(err, "Handler.InvalidEvent", "%s",
                         *root ? "event has no Records array" : "event is not JSON");
    *nrec = json_array_size(records);
    if (!(*recs = calloc(*nrec + 1, sizeof **recs)))
        return set_error(err, "Handler.OutOfMemory", "out of memory");
    size_t i;
    json_array_foreach(records, i, rec) evrec_from_json(rec, &(*recs)[i]);
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

/* first-seen and summary edit jansson items: give them the sightings as such. */
static int json_items(fi_batch *b)
{
    if (!(b->items = json_array()))
        return -1;
    for (size_t i = 0; i < b->sightings.n; i++) {
        const fi_sighting *s = &b->sightings.v[i];
        if (json_array_append_new(b->items, fi_item_json(s, &b->recs[s->rec])) < 0)
            return -1;
    }
    return 0;
}

static int write_items(fi_batch *b)
{
    switch (b->ctx->cfg->mode) {
    case FI_MODE_FIRST_SEEN:
        if (json_items(b) < 0)
            return -1;
        fi_write_first_seen(b);
        break;
    case FI_MODE_SUMMARY:
        if (json_items(b) < 0)
            return -1;
        fi_write_summary(b);
        break;
    default:
        fi_write_sightings(b);
        break;
    }
    return 0;
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
    fi_jdoc doc = {0};
    struct timespec t0, t1;
    json_t *root = NULL;
    char *copy = NULL;
    evrec *recs = NULL;
    int rc = -1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    *response = NULL;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    b.ctx = ctx;
    b.st = st;
    if (event_records(event ? event : "", event ? len : 0, &copy, &doc, &root, &recs, &b.nrec,
                      err) < 0) {
        if (strcmp(err->type, "Handler.InvalidEvent") == 0)
            fi_log("error", "invalid event", json_pack("{s:s}", "reason", err->message));
        b.nrec = 0;
        goto out;
    }
    st->records = b.nrec;
    b.seq = calloc(b.nrec + 1, sizeof *b.seq);
    b.failed = calloc(b.nrec + 1, 1);
    b.recs = calloc(b.nrec + 1, sizeof *b.recs);
    if (!b.seq || !b.failed || !b.recs) {
        set_error(err, "Handler.OutOfMemory", "out of memory");
        goto out;
    }
    /* The event's nodes are done with: the records reuse the node array. */
    for (size_t i = 0; i < b.nrec; i++)
        collect_record(&b, i, &recs[i], &doc);
    if (write_items(&b) < 0) {
        set_error(err, "Handler.OutOfMemory", "out of memory");
        goto out;
    }
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
    for (size_t i = 0; b.recs && i < b.nrec; i++)
        fi_rec_clear(&b.recs[i]);
    free(b.recs);
    free(b.sightings.v);
    free(b.seq);
    free(b.failed);
    free(recs);
    json_decref(b.items);
    json_decref(root);
    fi_jdoc_free(&doc);
    free(copy);
    return rc;
}
