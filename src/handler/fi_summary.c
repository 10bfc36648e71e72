/*
 * fi_summary.c - DEDUP_MODE=summary: one item per person ("person#<ExternalImageId>"
 * or "face#<FaceId>") with FirstSeen, LastSeen, SightingCount and
 * BestSimilarity, kept exactly once per sighting although Lambda delivers
 * batches at least once.
 *
 * Why it is idempotent: the item carries, per shard, the sequence number of
 * the newest record already counted ("Seen#<shardId>").  For each person the
 * writer reads the item (consistent read), counts only sightings newer than
 * that mark, and moves the mark in the same UpdateItem, under a condition
 * that the mark is still what it read (optimistic concurrency; a lost race
 * is read and tried again).  A redelivered batch finds every sighting at or
 * below the mark and writes nothing.  LastSeen and BestSimilarity are
 * "greater than" updates, idempotent by themselves.  Records of one shard
 * reach a person in sequence order (ParallelizationFactor 1; with lanes, a
 * person seen under several partition keys may have a sighting skipped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fi_batch.h"
#include "fi_json.h"
#include "fi_log.h"
#include "fi_record.h"

#define SUMMARY_TRIES 4

/* a > b for decimal sequence numbers of any length (NULL is smallest). */
static int seq_newer(const char *a, const char *b)
{
    if (a == NULL)
        return 0;
    if (b == NULL)
        return 1;
    size_t la = strlen(a), lb = strlen(b);
    return la != lb ? la > lb : strcmp(a, b) > 0;
}

static double num_of(const json_t *item, const char *name)
{
    const char *t = fi_av_get_n(item, name);
    return t ? strtod(t, NULL) : 0.0;
}

static json_t *av_copy(const json_t *item, const char *name, const char *dflt_n)
{
    json_t *v = json_object_get(item, name);
    return v ? json_deep_copy(v) : fi_av_n(dflt_n);
}

/* The sightings of one person this attempt will count. */
typedef struct person {
    const char *key;
    size_t first, last, best, count;
    json_t *marks;      /* shard -> newest counted sequence number (object) */
} person;

/* Select the person's sightings newer than the stored marks; fills p. */
static void person_select(fi_batch *b, char **keys, const char *key, const json_t *stored,
                          person *p)
{
    size_t n = json_array_size(b->items);
    *p = (person){.key = key, .marks = json_object()};
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_array_get(b->items, i);
        if (strcmp(keys[i], key) != 0)
            continue;
        const char *shard = fi_av_get_s(it, "ShardId");
        const char *seq = fi_av_get_s(it, "SequenceNumber");
        char mark[96];
        snprintf(mark, sizeof mark, "Seen#%s", shard ? shard : "");
        if (seq != NULL && !seq_newer(seq, fi_av_get_s(stored, mark)))
            continue; /* counted by an earlier delivery */
        if (seq != NULL && seq_newer(seq, json_string_value(json_object_get(p->marks, mark))))
            json_object_set_new(p->marks, mark, json_string(seq));
        if (p->count++ == 0)
            p->first = p->last = p->best = i;
        if (num_of(it, "FrameTimestamp") < num_of(json_array_get(b->items, p->first), "FrameTimestamp"))
            p->first = i;
        if (num_of(it, "FrameTimestamp") >= num_of(json_array_get(b->items, p->last), "FrameTimestamp"))
            p->last = i;
        if (num_of(it, "Similarity") > num_of(json_array_get(b->items, p->best), "Similarity"))
            p->best = i;
    }
}

/* The person's stored summary item (new reference, NULL when absent). */
static fi_ddb_status person_read(fi_batch *b, const char *key, json_t **item, fi_ddb_result *r)
{
    json_t *resp = NULL;
    json_t *req = json_pack("{s:s, s:{s:{s:s}}, s:b}", "TableName", b->ctx->cfg->table, "Key",
                            "id", "S", key, "ConsistentRead", 1);
    fi_ddb_status s = req ? fi_batch_call_json(b, "GetItem", req, &resp, r) : FI_DDB_CLIENT_ERROR;
    json_decref(req);
    *item = s == FI_DDB_OK ? json_incref(json_object_get(resp, "Item")) : NULL;
    json_decref(resp);
    return s;
}

/* Count/first-seen/marks: one UpdateItem conditioned on the marks read. */
static fi_ddb_status person_count(fi_batch *b, const person *p, const json_t *stored,
                                  fi_ddb_result *r)
{
    const json_t *first = json_array_get(b->items, p->first);
    const char *ext = fi_av_get_s(first, "ExternalImageId");
    char expr[1024], cond[1024] = "", count[32], name[16], val[16];
    snprintf(count, sizeof count, "%zu", p->count);
    json_t *names = json_object();
    json_t *values = json_pack("{s:o, s:o, s:o, s:o}", ":type", fi_av_s("summary"), ":first",
                               av_copy(first, "FrameTimestamp", "0"), ":sid",
                               av_copy(first, "id", "0"), ":n", fi_av_n(count));
    int len = snprintf(expr, sizeof expr,
                       "SET ItemType = :type, FirstSeen = if_not_exists(FirstSeen, :first), "
                       "FirstSightingId = if_not_exists(FirstSightingId, :sid)%s",
                       ext ? ", ExternalImageId = :ext" : "");
    if (ext)
        json_object_set_new(values, ":ext", fi_av_s(ext));
    const char *mark;
    json_t *seq;
    int k = 0;
    json_object_foreach(p->marks, mark, seq) {
        snprintf(name, sizeof name, "#m%d", k);
        snprintf(val, sizeof val, ":m%d", k);
        json_object_set_new(names, name, json_string(mark));
        json_object_set_new(values, val, fi_av_s(json_string_value(seq)));
        len += snprintf(expr + len, sizeof expr - (size_t)len, ", %s = %s", name, val);
        const char *was = fi_av_get_s(stored, mark);
        size_t cl = strlen(cond);
        if (was != NULL) {
            snprintf(val, sizeof val, ":w%d", k);
            json_object_set_new(values, val, fi_av_s(was));
            snprintf(cond + cl, sizeof cond - cl, "%s%s = %s", cl ? " AND " : "", name, val);
        } else {
            snprintf(cond + cl, sizeof cond - cl, "%sattribute_not_exists(%s)", cl ? " AND " : "",
                     name);
        }
        k++;
    }
    snprintf(expr + len, sizeof expr - (size_t)len, " ADD SightingCount :n");
    json_t *req = json_pack("{s:s, s:{s:{s:s}}, s:s, s:o, s:o}", "TableName",
                            b->ctx->cfg->table, "Key", "id", "S", p->key, "UpdateExpression",
                            expr, "ExpressionAttributeValues", values,
                            "ExpressionAttributeNames", names);
    if (req && cond[0])
        json_object_set_new(req, "ConditionExpression", json_string(cond));
    if (req && json_object_size(names) == 0)
        json_object_del(req, "ExpressionAttributeNames");
    fi_ddb_status s = req ? fi_batch_call_json(b, "UpdateItem", req, NULL, r) : FI_DDB_CLIENT_ERROR;
    json_decref(req);
    return s;
}

/* The "greater than" updates: LastSeen and BestSimilarity. */
static fi_ddb_status person_extremes(fi_batch *b, const person *p, fi_ddb_result *r)
{
    const json_t *last = json_array_get(b->items, p->last);
    const json_t *best = json_array_get(b->items, p->best);
    static const char *const exprs[2][2] = {
        {"SET LastSeen = :v, LastSightingId = :sid", "attribute_not_exists(LastSeen) OR LastSeen < :v"},
        {"SET BestSimilarity = :v, BestSightingId = :sid, BestFaceId = :face",
         "attribute_not_exists(BestSimilarity) OR BestSimilarity < :v"}};
    for (int k = 0; k < 2; k++) {
        const json_t *it = k == 0 ? last : best;
        json_t *values = json_pack("{s:o, s:o}", ":v",
                                   av_copy(it, k == 0 ? "FrameTimestamp" : "Similarity", "0"),
                                   ":sid", av_copy(it, "id", "0"));
        if (k == 1)
            json_object_set_new(values, ":face", av_copy(it, "FaceId", "0"));
        json_t *req = json_pack("{s:s, s:{s:{s:s}}, s:s, s:s, s:o}", "TableName",
                                b->ctx->cfg->table, "Key", "id", "S", p->key, "UpdateExpression",
                                exprs[k][0], "ConditionExpression", exprs[k][1],
                                "ExpressionAttributeValues", values);
        fi_ddb_status s = req ? fi_batch_call_json(b, "UpdateItem", req, NULL, r) : FI_DDB_CLIENT_ERROR;
        json_decref(req);
        if (s != FI_DDB_OK && s != FI_DDB_CONDITION_FAILED)
            return s;
    }
    return FI_DDB_OK;
}

/* Read, select, update; a lost race on the marks is read again. */
static fi_ddb_status person_write(fi_batch *b, char **keys, const char *key, size_t total,
                                  fi_ddb_result *r)
{
    for (int attempt = 0; attempt < SUMMARY_TRIES; attempt++) {
        json_t *stored = NULL;
        fi_ddb_status s = person_read(b, key, &stored, r);
        if (s != FI_DDB_OK)
            return s;
        person p;
        person_select(b, keys, key, stored, &p);
        if (p.count == 0) {
            b->st->duplicates += total; /* all counted by an earlier delivery */
        } else if ((s = person_count(b, &p, stored, r)) == FI_DDB_OK) {
            b->st->written++;
            b->st->duplicates += total - p.count;
            s = person_extremes(b, &p, r);
        }
        json_decref(p.marks);
        json_decref(stored);
        if (s != FI_DDB_CONDITION_FAILED)
            return s;
    }
    *r = (fi_ddb_result){FI_DDB_CLIENT_ERROR, 0, SUMMARY_TRIES, "ConditionalCheckFailedException",
                         "summary item kept changing under concurrent writers"};
    return FI_DDB_CLIENT_ERROR;
}

void fi_write_summary(fi_batch *b)
{
    size_t n = json_array_size(b->items);
    char **keys = calloc(n + 1, sizeof *keys);
    fi_ddb_result r;
    for (size_t i = 0; keys && i < n; i++)
        keys[i] = fi_person_key(json_array_get(b->items, i));
    for (size_t i = 0; i < n; i++) {
        if (keys == NULL || keys[i] == NULL) {
            fi_batch_fail_item(b, i);
            continue;
        }
        size_t first = 0, total = 0;
        while (first < i && (keys[first] == NULL || strcmp(keys[first], keys[i]) != 0))
            first++;
        if (first < i)
            continue; /* this person was written at its first sighting */
        for (size_t j = i; j < n; j++)
            total += keys[j] != NULL && strcmp(keys[j], keys[i]) == 0;
        fi_ddb_status s = (b->fatal || b->unavailable) ? FI_DDB_UNAVAILABLE
                                                       : person_write(b, keys, keys[i], total, &r);
        if (s == FI_DDB_OK)
            continue;
        for (size_t j = i; j < n; j++) {
            if (keys[j] == NULL || strcmp(keys[j], keys[i]) != 0)
                continue;
            if (b->fatal || b->unavailable)
                fi_batch_fail_item(b, j);
            else
                fi_batch_note_failure(b, "UpdateItem", &r, j);
        }
    }
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
}
