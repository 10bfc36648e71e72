/*
 * fi_write.c - the three DEDUP_MODE writers over an fi_ddb; see fi_batch.h.
 *
 *   sighting    every matched face is one item keyed by its sighting id;
 *               BatchWriteItem in chunks of 25, request bodies written as
 *               text straight from the sightings (fi_item_text: no jansson
 *               values, no json_dumps on the hot path), all chunks sent at once when
 *               the client can (fi_ddb.call_many: the round trips overlap
 *               instead of adding up), UnprocessedItems re-sent with backoff;
 *               a chunk refused as a whole (ValidationException) falls back
 *               to one PutItem per item so only the bad record fails.
 *   first-seen  one item per person, id "person#<ExternalImageId>" (or
 *               "face#<FaceId>"), written with PutItem and
 *               ConditionExpression attribute_not_exists(id): the first
 *               sighting wins, later ones cost one refused write (none for
 *               repeats inside the batch).
 *   summary     see fi_summary.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fi_batch.h"
#include "fi_json.h"
#include "fi_log.h"
#include "fi_record.h"
#include "../common/jtext.h"

#define BATCH_MAX 25

/* Record a failed call's result; FATAL stops the batch. */
void fi_batch_note_failure(fi_batch *b, const char *op, const fi_ddb_result *r, size_t item)
{
    b->last = *r;
    if (r->status == FI_DDB_FATAL)
        b->fatal = 1;
    if (r->status == FI_DDB_UNAVAILABLE)
        b->unavailable = 1;
    fi_batch_fail_item(b, item);
    const char *seq = item < b->sightings.n ? b->seq[b->sightings.v[item].rec] : NULL;
    fi_log("error", "write failed",
           json_pack("{s:s, s:s?, s:I, s:s, s:s, s:i}", "op", op, "sequenceNumber", seq,
                     "httpStatus", (json_int_t)r->http_status, "errorType", r->type, "message",
                     r->message, "attempts", r->attempts));
}

/* A batch that can no longer write marks every remaining item failed. */
static int stopped(fi_batch *b, size_t item)
{
    if (!b->fatal && !b->unavailable)
        return 0;
    fi_batch_fail_item(b, item);
    return 1;
}

/* One call; counts successes.  Returns the status. */
fi_ddb_status fi_batch_call(fi_batch *b, const char *op, const char *body, json_t **resp,
                            fi_ddb_result *r)
{
    json_t *dummy = NULL;
    memset(r, 0, sizeof *r);
    fi_ddb_status s = b->ctx->ddb.call(b->ctx->ddb.ud, op, body, resp ? resp : &dummy, r);
    json_decref(dummy);
    if (s == FI_DDB_OK || s == FI_DDB_CONDITION_FAILED)
        b->ok_writes++;
    return s;
}

fi_ddb_status fi_batch_call_json(fi_batch *b, const char *op, json_t *req, json_t **resp,
                                 fi_ddb_result *r)
{
    char *body = json_dumps(req, JSON_COMPACT);
    if (!body) {
        memset(r, 0, sizeof *r);
        if (resp)
            *resp = NULL;
        r->status = FI_DDB_CLIENT_ERROR;
        snprintf(r->type, sizeof r->type, "SerializationError");
        snprintf(r->message, sizeof r->message, "cannot serialise the %s request", op);
        return r->status;
    }
    fi_ddb_status s = fi_batch_call(b, op, body, resp, r);
    free(body);
    return s;
}

/* The PutItem body of sighting i, {"TableName":...,"Item":...}; NULL when out of memory. */
static char *put_text(fi_batch *b, size_t i)
{
    jtext_buf t = {0};
    const fi_sighting *s = &b->sightings.v[i];
    jtext_put(&t, "{\"TableName\":", 13);
    jtext_put_string(&t, b->ctx->cfg->table, strlen(b->ctx->cfg->table));
    jtext_put(&t, ",\"Item\":", 8);
    fi_item_text(&t, s, &b->recs[s->rec]);
    jtext_put(&t, "}", 1);
    return jtext_finish(&t, NULL);
}

/* PutItem sighting i (item NULL), or `item` for sighting i with an optional condition. */
static void put_one(fi_batch *b, size_t i, json_t *item, const char *condition)
{
    fi_ddb_result r;
    char *body = NULL;
    if (stopped(b, i))
        return;
    if (item) {
        json_t *req = json_pack("{s:s, s:O}", "TableName", b->ctx->cfg->table, "Item", item);
        if (req && condition)
            json_object_set_new(req, "ConditionExpression", json_string(condition));
        body = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
    } else {
        body = put_text(b, i);
    }
    if (!body) {
        fi_ddb_result oom = {FI_DDB_CLIENT_ERROR, 0, 0, "OutOfMemory", "building PutItem"};
        fi_batch_note_failure(b, "PutItem", &oom, i);
        return;
    }
    fi_ddb_status s = fi_batch_call(b, "PutItem", body, NULL, &r);
    if (s == FI_DDB_OK)
        b->st->written++;
    else if (s == FI_DDB_CONDITION_FAILED)
        b->st->duplicates++;
    else
        fi_batch_note_failure(b, "PutItem", &r, i);
    free(body);
}

/* Keep in idx[] only the items whose id is in the UnprocessedItems list. */
static size_t still_pending(fi_batch *b, json_t *unprocessed, size_t *idx, size_t n)
{
    json_t *ids = json_object(), *w;
    size_t k, m = 0;
    json_array_foreach(unprocessed, k, w) {
        const char *id = fi_av_get_s(json_object_get(json_object_get(w, "PutRequest"), "Item"), "id");
        if (id)
            json_object_set_new(ids, id, json_true());
    }
    for (size_t j = 0; j < n; j++) {
        const char *id = b->sightings.v[idx[j]].id;
        if (json_object_get(ids, id))
            idx[m++] = idx[j];
        else
            b->st->written++;
    }
    json_decref(ids);
    return m;
}

/* The BatchWriteItem body of sightings idx[0..n):
 * {"RequestItems":{table:[{"PutRequest":{"Item":...}},...]}}; NULL when out of memory. */
static char *batch_request(fi_batch *b, const size_t *idx, size_t n)
{
    jtext_buf t = {0};
    jtext_put(&t, "{\"RequestItems\":{", 17);
    jtext_put_string(&t, b->ctx->cfg->table, strlen(b->ctx->cfg->table));
    jtext_put(&t, ":[", 2);
    for (size_t j = 0; j < n; j++) {
        const fi_sighting *s = &b->sightings.v[idx[j]];
        jtext_puts(&t, j ? ",{\"PutRequest\":{\"Item\":" : "{\"PutRequest\":{\"Item\":");
        fi_item_text(&t, s, &b->recs[s->rec]);
        jtext_put(&t, "}}", 2);
    }
    jtext_put(&t, "]}}", 3);
    return jtext_finish(&t, NULL);
}

/* The answer to a chunk's first BatchWriteItem, when it was sent with
 * others (resp owned). */
typedef struct chunk_answer {
    fi_ddb_status status;
    json_t *resp;
    fi_ddb_result r;
} chunk_answer;

/* BatchWriteItem idx[0..n), re-sending UnprocessedItems with backoff.
 * first: the answer to attempt 1 when it was already sent (steals its
 * resp), else NULL. */
static void write_chunk(fi_batch *b, size_t *idx, size_t n, chunk_answer *first)
{
    const fi_retry *rp = &b->ctx->cfg->retry;
    fi_ddb_result r;
    for (int attempt = 1; n > 0; attempt++) {
        if (!first && stopped(b, idx[0])) {
            for (size_t j = 1; j < n; j++)
                fi_batch_fail_item(b, idx[j]);
            return;
        }
        if (attempt > rp->max_attempts) {
            fi_ddb_result gave_up = {FI_DDB_UNAVAILABLE, 200, attempt - 1, "UnprocessedItems",
                                     "items still unprocessed after all attempts"};
            int was = b->unavailable; /* DynamoDB answers: keep writing the rest */
            fi_batch_note_failure(b, "BatchWriteItem", &gave_up, idx[0]);
            for (size_t j = 1; j < n; j++)
                fi_batch_fail_item(b, idx[j]);
            b->unavailable = was;
            return;
        }
        if (attempt > 1 && b->ctx->ddb.sleep_ms)
            b->ctx->ddb.sleep_ms(b->ctx->ddb.ud, fi_retry_delay_ms(rp, attempt - 1, (unsigned)rand()));
        json_t *resp = NULL;
        fi_ddb_status s;
        if (first) { /* sent with the other chunks: the write happened, whatever came after */
            s = first->status;
            resp = first->resp;
            r = first->r;
            first = NULL;
        } else {
            char *req = batch_request(b, idx, n);
            s = req ? fi_batch_call(b, "BatchWriteItem", req, &resp, &r) : FI_DDB_CLIENT_ERROR;
            free(req);
        }
        if (s == FI_DDB_OK) {
            json_t *un = json_object_get(json_object_get(resp, "UnprocessedItems"), b->ctx->cfg->table);
            n = still_pending(b, un, idx, n);
            json_decref(resp);
            continue;
        }
        if (s == FI_DDB_CLIENT_ERROR) { /* isolate the bad item(s) */
            for (size_t j = 0; j < n; j++)
                put_one(b, idx[j], NULL, NULL);
            return;
        }
        fi_batch_note_failure(b, "BatchWriteItem", &r, idx[0]); /* one line for the chunk */
        for (size_t j = 1; j < n; j++)
            fi_batch_fail_item(b, idx[j]);
        return;
    }
}

/* Send the first BatchWriteItem of every chunk of idx[0..n) at once, then
 * finish each chunk (UnprocessedItems, fallbacks) as write_chunk does. */
static void write_chunks_together(fi_batch *b, size_t *idx, size_t n)
{
    size_t nch = (n + BATCH_MAX - 1) / BATCH_MAX;
    char **reqs = calloc(nch, sizeof *reqs);
    json_t **resps = calloc(nch, sizeof *resps);
    fi_ddb_result *res = calloc(nch, sizeof *res);
    int built = reqs && resps && res;
    for (size_t c = 0; built && c < nch; c++) {
        size_t off = c * BATCH_MAX;
        reqs[c] = batch_request(b, idx + off, n - off < BATCH_MAX ? n - off : BATCH_MAX);
        built = reqs[c] != NULL;
    }
    if (!built) { /* out of memory: one chunk at a time */
        for (size_t off = 0; off < n; off += BATCH_MAX)
            write_chunk(b, idx + off, n - off < BATCH_MAX ? n - off : BATCH_MAX, NULL);
        goto cleanup;
    }
    b->ctx->ddb.call_many(b->ctx->ddb.ud, "BatchWriteItem", (const char *const *)reqs, nch, resps,
                          res);
    for (size_t c = 0; c < nch; c++) {
        size_t off = c * BATCH_MAX;
        chunk_answer a = {res[c].status, resps[c], res[c]};
        if (a.status == FI_DDB_OK || a.status == FI_DDB_CONDITION_FAILED)
            b->ok_writes++;
        write_chunk(b, idx + off, n - off < BATCH_MAX ? n - off : BATCH_MAX, &a);
    }
cleanup:
    for (size_t c = 0; reqs && c < nch; c++)
        free(reqs[c]);
    free(reqs);
    free(resps);
    free(res);
}

void fi_write_sightings(fi_batch *b)
{
    size_t n = b->sightings.n, k = 0;
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    json_t *seen = json_object();
    if (!idx || !seen) {
        for (size_t i = 0; i < n; i++)
            fi_batch_fail_item(b, i);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        const char *id = b->sightings.v[i].id;
        /* The same record twice in one event: BatchWriteItem refuses duplicate keys. */
        if (json_object_get(seen, id)) {
            b->st->duplicates++;
            continue;
        }
        json_object_set_new(seen, id, json_true());
        idx[k++] = i;
    }
    if (b->ctx->ddb.call_many && k > BATCH_MAX)
        write_chunks_together(b, idx, k);
    else
        for (size_t off = 0; off < k; off += BATCH_MAX)
            write_chunk(b, idx + off, k - off < BATCH_MAX ? k - off : BATCH_MAX, NULL);
cleanup:
    free(idx);
    json_decref(seen);
}

/* The first-seen item of a sighting: same attributes, person key as id. */
static json_t *first_seen_item(const json_t *sighting, const char *key)
{
    json_t *it = json_deep_copy(sighting);
    if (!it)
        return NULL;
    json_object_set_new(it, "SightingId", json_deep_copy(json_object_get(sighting, "id")));
    json_object_set_new(it, "id", fi_av_s(key));
    json_object_set_new(it, "ItemType", fi_av_s("first-seen"));
    return it;
}

void fi_write_first_seen(fi_batch *b)
{
    size_t n = json_array_size(b->items);
    json_t *seen = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *sighting = json_array_get(b->items, i);
        char *key = fi_person_key(sighting);
        if (!key || !seen || json_object_get(seen, key)) {
            if (key && seen)
                b->st->duplicates++;
            else
                fi_batch_fail_item(b, i);
            free(key);
            continue;
        }
        json_t *item = first_seen_item(sighting, key);
        if (item) {
            put_one(b, i, item, "attribute_not_exists(id)");
            json_object_set_new(seen, key, json_true());
        } else {
            fi_batch_fail_item(b, i);
        }
        json_decref(item);
        free(key);
    }
    json_decref(seen);
}
