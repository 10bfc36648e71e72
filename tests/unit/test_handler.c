/*
 * test_handler.c - the face-ingest logic (face_ingest.c, fi_record.c,
 * fi_write.c, fi_json.c, config.c) with DynamoDB mocked
 * (test_handler_mock.h): every fixture parsed, the item model and its
 * exact number texts, id derivation, the three dedup modes, the partial
 * batch response, retries of UnprocessedItems, and bad input.
 * Run from the repository root (fixtures/ is read relative to it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "handler/fi_log.h"
#include "common/base64.h"
#include "handler/fi_record.h"
#include "test_handler_mock.h"

static int run_mode(mock *m, fi_mode mode, const char *event, size_t len, json_t **resp,
                    fi_stats *st, fi_error *err)
{
    fi_config cfg;
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.table, "faces");
    cfg.mode = mode;
    cfg.retry = (fi_retry){4, 1, 4};
    fi_ctx ctx = {&cfg, {mock_call, mock_sleep, m}};
    return face_ingest_handle(&ctx, event, len, resp, st, err);
}

/* call_many over the mock: the n requests in order, counted. */
static size_t many_calls, many_reqs;
static void mock_call_many(void *ud, const char *op, const char *const *reqs, size_t n,
                           json_t **resps, fi_ddb_result *res)
{
    many_calls++;
    many_reqs += n;
    for (size_t i = 0; i < n; i++) {
        memset(&res[i], 0, sizeof res[i]);
        mock_call(ud, op, reqs[i], &resps[i], &res[i]);
    }
}

/* Like run_fixture in sighting mode, with a client that has call_many. */
static int run_many(mock *m, const char *name, json_t **resp, fi_stats *st, fi_error *err)
{
    char rel[256];
    size_t len;
    fi_config cfg;
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.table, "faces");
    cfg.mode = FI_MODE_SIGHTING;
    cfg.retry = (fi_retry){4, 1, 4};
    fi_ctx ctx = {&cfg, {mock_call, mock_sleep, m, mock_call_many}};
    snprintf(rel, sizeof rel, "events/%s.json", name);
    char *ev = test_fixture(rel, &len);
    int rc = face_ingest_handle(&ctx, ev, len, resp, st, err);
    free(ev);
    return rc;
}

/* Handle fixtures/events/<name>.json; asserts success unless want_rc says otherwise. */
static int run_fixture(mock *m, fi_mode mode, const char *name, json_t **resp, fi_stats *st,
                       fi_error *err)
{
    char rel[256];
    size_t len;
    snprintf(rel, sizeof rel, "events/%s.json", name);
    char *ev = test_fixture(rel, &len);
    int rc = run_mode(m, mode, ev, len, resp, st, err);
    free(ev);
    return rc;
}

static size_t failures(json_t *resp)
{
    return json_array_size(json_object_get(resp, "batchItemFailures"));
}

/* The single stored item whose attribute name equals S value v. */
static json_t *find_item(mock *m, const char *name, const char *v)
{
    const char *id;
    json_t *it;
    json_object_foreach(m->table, id, it) {
        const char *s = fi_av_get_s(it, name);
        if (s && strcmp(s, v) == 0)
            return it;
    }
    return NULL;
}

/* Every fixture event: the counts expected.json states, no failures. */
static void test_every_fixture(void **state)
{
    (void)state;
    size_t len;
    char *text = test_fixture("expected.json", &len);
    json_t *expected = json_loads(text, 0, NULL), *want;
    const char *name;
    assert_non_null(expected);
    json_object_foreach(expected, name, want) {
        mock m;
        json_t *resp = NULL;
        fi_stats st;
        fi_error err;
        mock_init(&m);
        print_message("fixture %s\n", name);
        int rc = run_fixture(&m, FI_MODE_SIGHTING, name, &resp, &st, &err);
        if (json_is_true(json_object_get(want, "invalidEvent"))) {
            assert_int_equal(rc, -1);
            assert_string_equal(err.type, "Handler.InvalidEvent");
            assert_null(resp);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(st.records, json_integer_value(json_object_get(want, "records")));
            assert_int_equal(st.skipped, json_integer_value(json_object_get(want, "skipped")));
            assert_int_equal(st.sightings, json_integer_value(json_object_get(want, "sightings")));
            assert_int_equal(json_object_size(m.table), st.sightings);
            assert_int_equal(st.written, st.sightings);
            assert_int_equal(failures(resp), 0);
        }
        json_decref(resp);
        mock_free(&m);
    }
    json_decref(expected);
    free(text);
}

/* 97.84118 stays 97.84118; 90.50 stays 90.50; the context numbers too. */
static void test_number_text_kept(void **state)
{
    (void)state;
    mock m;
    json_t *resp = NULL;
    fi_stats st;
    fi_error err;
    mock_init(&m);
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "formats-md-example", &resp, &st, &err), 0);
    json_t *a = find_item(&m, "ExternalImageId", "alice.jpg");
    json_t *b = find_item(&m, "ExternalImageId", "alice-2019.jpg");
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(fi_av_get_n(a, "Similarity"), "97.84118");
    assert_string_equal(fi_av_get_n(a, "Confidence"), "99.99912");
    assert_string_equal(fi_av_get_n(b, "Similarity"), "84.11873");
    assert_string_equal(fi_av_get_n(b, "Confidence"), "99.98764");
    assert_string_equal(fi_av_get_n(a, "DetectedFaceConfidence"), "99.99631");
    assert_string_equal(fi_av_get_n(a, "ServerTimestamp"), "1717430405.311");
    assert_string_equal(fi_av_get_n(a, "ProducerTimestamp"), "1717430404.982");
    assert_string_equal(fi_av_get_n(a, "FrameOffsetInSeconds"), "0.533");
    assert_string_equal(fi_av_get_n(a, "FrameTimestamp"), "1717430405.515");
    json_t *box = json_object_get(json_object_get(a, "DetectedFaceBoundingBox"), "M");
    assert_string_equal(fi_av_get_n(box, "Height"), "0.18342");
    assert_string_equal(fi_av_get_n(box, "Top"), "0.25093");
    json_decref(resp);
    mock_free(&m);

    mock_init(&m);
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "trailing-zeros", &resp, &st, &err), 0);
    assert_int_equal(json_object_size(m.table), 1);
    json_t *it = json_object_iter_value(json_object_iter(m.table));
    assert_string_equal(fi_av_get_n(it, "Similarity"), "90.50");
    json_decref(resp);
    mock_free(&m);
}

/* The item carries the tutorial's attributes and the sighting's context. */
static void test_item_attributes(void **state)
{
    (void)state;
    mock m;
    json_t *resp = NULL;
    fi_stats st;
    fi_error err;
    size_t len;
    char *text = test_fixture("events/one-face-one-match.json", &len);
    json_t *ev = json_loads(text, 0, NULL);
    json_t *rec = json_array_get(json_object_get(ev, "Records"), 0);
    json_t *kin = json_object_get(rec, "kinesis");
    mock_init(&m);
    assert_int_equal(run_mode(&m, FI_MODE_SIGHTING, text, len, &resp, &st, &err), 0);
    assert_int_equal(json_object_size(m.table), 1);
    json_t *it = json_object_iter_value(json_object_iter(m.table));
    assert_string_equal(fi_av_get_s(it, "ItemType"), "sighting");
    assert_string_equal(fi_av_get_s(it, "ExternalImageId"), "alice.jpg");
    assert_int_equal(strlen(fi_av_get_s(it, "FaceId")), 36);
    assert_int_equal(strlen(fi_av_get_s(it, "ImageId")), 36);
    assert_string_equal(fi_av_get_s(it, "SequenceNumber"),
                        json_string_value(json_object_get(kin, "sequenceNumber")));
    assert_string_equal(fi_av_get_s(it, "PartitionKey"),
                        json_string_value(json_object_get(kin, "partitionKey")));
    assert_string_equal(fi_av_get_s(it, "ShardId"), "shardId-000000000000");
    assert_string_equal(fi_av_get_s(it, "EventSourceArn"),
                        json_string_value(json_object_get(rec, "eventSourceARN")));
    assert_string_equal(fi_av_get_n(it, "ArrivalTimestamp"), "1717430405.768");
    assert_string_equal(fi_av_get_s(it, "VideoStreamArn"),
                        "arn:aws:kinesisvideo:us-east-1:123456789012:stream/front-door-cam/1717430000123");
    assert_string_equal(fi_av_get_s(it, "FragmentNumber"),
                        "91343852333181432392682062607743920146264174330");
    assert_string_equal(fi_av_get_n(it, "FaceIndex"), "0");
    assert_string_equal(fi_av_get_n(it, "MatchIndex"), "0");
    assert_null(json_object_get(it, "Landmarks"));
    json_decref(resp);
    mock_free(&m);
    json_decref(ev);
    free(text);

    mock_init(&m);
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "no-external-image-id", &resp, &st, &err), 0);
    it = json_object_iter_value(json_object_iter(m.table));
    assert_non_null(it);
    assert_null(json_object_get(it, "ExternalImageId"));
    assert_non_null(fi_av_get_s(it, "FaceId"));
    json_decref(resp);
    mock_free(&m);

    mock_init(&m);
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "non-ascii-external-image-id", &resp, &st, &err), 0);
    assert_non_null(find_item(&m, "ExternalImageId", "Zo\xc3\xab-\xc3\x85ngstr\xc3\xb6m_\xe6\x9d\xb1\xe4\xba\xac.jpg"));
    json_decref(resp);
    mock_free(&m);
}

/* Ids: stable across runs, distinct per (stream, sequence, face, match). */
static void test_ids(void **state)
{
    (void)state;
    char a[33], b[33];
    const char *s = "arn:aws:kinesis:us-east-1:1:stream/x", *q = "4968";
    fi_sighting_id(s, q, 1, 2, a);
    fi_sighting_id(s, q, 1, 2, b);
    assert_string_equal(a, b);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    const char *vary[][2] = {{"arn:aws:kinesis:us-east-1:1:stream/y", "4968"}, {s, "4969"}};
    for (int i = 0; i < 2; i++) {
        fi_sighting_id(vary[i][0], vary[i][1], 1, 2, b);
        assert_string_not_equal(a, b);
    }
    fi_sighting_id(s, q, 2, 1, b);
    assert_string_not_equal(a, b);
    fi_sighting_id(s, q, 1, 3, b);
    assert_string_not_equal(a, b);
    /* "1","12" vs "11","2": the separator keeps the parts apart */
    fi_sighting_id(s, "1", 12, 0, a);
    fi_sighting_id(s, "11", 2, 0, b);
    assert_string_not_equal(a, b);

    /* 802 sightings of the 500-record batch: 802 distinct ids, same ids on redelivery */
    mock m;
    json_t *resp = NULL;
    fi_stats st;
    fi_error err;
    mock_init(&m);
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "batch-500", &resp, &st, &err), 0);
    assert_int_equal(json_object_size(m.table), 802);
    json_t *first = json_deep_copy(m.table);
    json_decref(resp);
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "batch-500", &resp, &st, &err), 0);
    assert_true(json_equal(first, m.table));
    assert_int_equal(mock_count(&m, "BatchWriteItem"), 2 * 33); /* ceil(802/25) per run */
    json_decref(first);
    json_decref(resp);
    mock_free(&m);
}

/* The same record twice in one event is written once (BatchWriteItem refuses duplicate keys). */
static void test_duplicate_record_in_event(void **state)
{
    (void)state;
    size_t len;
    char *text = test_fixture("events/several-faces.json", &len);
    json_t *ev = json_loads(text, 0, NULL), *recs = json_object_get(ev, "Records");
    json_array_append_new(recs, json_deep_copy(json_array_get(recs, 0)));
    char *twice = json_dumps(ev, 0);
    mock m;
    json_t *resp = NULL;
    fi_stats st;
    fi_error err;
    mock_init(&m);
    assert_int_equal(run_mode(&m, FI_MODE_SIGHTING, twice, strlen(twice), &resp, &st, &err), 0);
    assert_int_equal(st.sightings, 6);
    assert_int_equal(json_object_size(m.table), 3);
    assert_int_equal(st.duplicates, 3);
    assert_int_equal(mock_count(&m, "BatchWriteItem"), 1);
    json_decref(resp);
    mock_free(&m);
    free(twice);
    json_decref(ev);
    free(text);
}

/* Order of two sightings: sequence number (equal lengths here), face, match. */
static int sighting_cmp(json_t *x, json_t *y)
{
    int c = strcmp(fi_av_get_s(x, "SequenceNumber"), fi_av_get_s(y, "SequenceNumber"));
    if (c)
        return c;
    c = atoi(fi_av_get_n(x, "FaceIndex")) - atoi(fi_av_get_n(y, "FaceIndex"));
    return c ? c : atoi(fi_av_get_n(x, "MatchIndex")) - atoi(fi_av_get_n(y, "MatchIndex"));
}

/* first-seen: one item per person = its earliest sighting; a redelivery changes nothing. */
static void test_first_seen(void **state)
{
    (void)state;
    mock sight, m;
    json_t *resp = NULL, *it, *s;
    fi_stats st;
    fi_error err;
    const char *id, *sid;
    mock_init(&sight);
    mock_init(&m);
    assert_int_equal(run_fixture(&sight, FI_MODE_SIGHTING, "batch-500", &resp, &st, &err), 0);
    json_decref(resp);
    assert_int_equal(run_fixture(&m, FI_MODE_FIRST_SEEN, "batch-500", &resp, &st, &err), 0);
    assert_int_equal(failures(resp), 0);
    assert_int_equal(json_object_size(m.table), 8);
    assert_int_equal(mock_count(&m, "PutItem"), 8); /* repeats inside the batch cost nothing */
    assert_int_equal(st.written, 8);
    assert_int_equal(st.duplicates, st.sightings - 8);
    json_object_foreach(m.table, id, it) {
        const char *ext = fi_av_get_s(it, "ExternalImageId");
        char want[300];
        snprintf(want, sizeof want, "person#%s", ext);
        assert_string_equal(id, want);
        assert_string_equal(fi_av_get_s(it, "ItemType"), "first-seen");
        json_t *first = json_object_get(sight.table, fi_av_get_s(it, "SightingId"));
        assert_non_null(first);
        assert_string_equal(fi_av_get_n(it, "Similarity"), fi_av_get_n(first, "Similarity"));
        json_object_foreach(sight.table, sid, s) {
            if (strcmp(fi_av_get_s(s, "ExternalImageId"), ext) == 0)
                assert_true(sighting_cmp(first, s) <= 0);
        }
    }
    json_t *before = json_deep_copy(m.table);
    json_decref(resp);
    assert_int_equal(run_fixture(&m, FI_MODE_FIRST_SEEN, "batch-500", &resp, &st, &err), 0);
    assert_true(json_equal(before, m.table));
    assert_int_equal(st.written, 0);
    assert_int_equal(st.duplicates, st.sightings); /* 8 refused by the condition + in-batch repeats */
    json_t *put = json_object_get(json_array_get(m.calls, 0), "req");
    assert_string_equal(json_string_value(json_object_get(put, "ConditionExpression")),
                        "attribute_not_exists(id)");
    json_decref(before);
    json_decref(resp);
    mock_free(&m);
    mock_free(&sight);

    /* without ExternalImageId the person is keyed by FaceId */
    mock_init(&m);
    assert_int_equal(run_fixture(&m, FI_MODE_FIRST_SEEN, "no-external-image-id", &resp, &st, &err), 0);
    assert_int_equal(json_object_size(m.table), 1);
    assert_int_equal(strncmp(json_object_iter_key(json_object_iter(m.table)), "face#", 5), 0);
    json_decref(resp);
    mock_free(&m);
}

/* summary: per person, count = its sightings, best similarity = the max, as
 * text; a redelivered batch counts nothing again. */
static void test_summary(void **state)
{
    (void)state;
    mock sight, m;
    json_t *resp = NULL, *call, *s;
    fi_stats st;
    fi_error err;
    size_t i, k = 0;
    const char *sid;
    mock_init(&sight);
    mock_init(&m);
    assert_int_equal(run_fixture(&sight, FI_MODE_SIGHTING, "batch-500", &resp, &st, &err), 0);
    json_decref(resp);
    assert_int_equal(run_fixture(&m, FI_MODE_SUMMARY, "batch-500", &resp, &st, &err), 0);
    assert_int_equal(failures(resp), 0);
    assert_int_equal(json_object_size(m.table), 8);
    assert_int_equal(mock_count(&m, "GetItem"), 8);
    assert_int_equal(mock_count(&m, "UpdateItem"), 24);
    json_array_foreach(m.calls, i, call) {
        if (strcmp(json_string_value(json_object_get(call, "op")), "UpdateItem") != 0)
            continue;
        json_t *req = json_object_get(call, "req");
        json_t *vals = json_object_get(req, "ExpressionAttributeValues");
        const char *key = fi_av_get_s(json_object_get(req, "Key"), "id");
        const char *ext = key + strlen("person#");
        size_t count = 0;
        json_t *best = NULL;
        json_object_foreach(sight.table, sid, s) {
            if (strcmp(fi_av_get_s(s, "ExternalImageId"), ext) != 0)
                continue;
            count++;
            if (!best || strtod(fi_av_get_n(s, "Similarity"), NULL) >
                             strtod(fi_av_get_n(best, "Similarity"), NULL))
                best = s;
        }
        assert_non_null(best);
        if (k % 3 == 0) {
            char n[32];
            snprintf(n, sizeof n, "%zu", count);
            assert_string_equal(fi_av_get_n(vals, ":n"), n);
            assert_non_null(strstr(json_string_value(json_object_get(req, "UpdateExpression")),
                                   "ADD SightingCount :n"));
            /* the first delivery: the shard's mark must not exist yet */
            assert_non_null(strstr(json_string_value(json_object_get(req, "ConditionExpression")),
                                   "attribute_not_exists(#m0)"));
        } else if (k % 3 == 2) {
            assert_string_equal(fi_av_get_n(vals, ":v"), fi_av_get_n(best, "Similarity"));
            assert_string_equal(json_string_value(json_object_get(req, "ConditionExpression")),
                                "attribute_not_exists(BestSimilarity) OR BestSimilarity < :v");
        }
        k++;
    }
    json_decref(resp);
    /* The same batch again: every person's mark already covers it. */
    size_t updates = mock_count(&m, "UpdateItem");
    assert_int_equal(run_fixture(&m, FI_MODE_SUMMARY, "batch-500", &resp, &st, &err), 0);
    assert_int_equal(failures(resp), 0);
    assert_int_equal(mock_count(&m, "UpdateItem"), updates);
    assert_int_equal(st.written, 0);
    assert_int_equal(st.duplicates, json_object_size(sight.table));
    json_decref(resp);
    mock_free(&m);
    mock_free(&sight);
}

/* UnprocessedItems are re-sent (with a backoff sleep) until written. */
static void test_unprocessed_retried(void **state)
{
    (void)state;
    mock m;
    json_t *resp = NULL;
    fi_stats st;
    fi_error err;
    mock_init(&m);
    m.unprocessed_rounds = 2;
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "several-faces", &resp, &st, &err), 0);
    assert_int_equal(failures(resp), 0);
    assert_int_equal(json_object_size(m.table), 3);
    assert_int_equal(mock_count(&m, "BatchWriteItem"), 3);
    assert_int_equal(m.sleeps, 2);
    assert_int_equal(st.written, 3);
    json_decref(resp);
    mock_free(&m);

    /* never processed: after max_attempts (4) that record alone is reported */
    mock_init(&m);
    m.unprocessed_rounds = -1;
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "mixed-poison", &resp, &st, &err), 0);
    assert_int_equal(mock_count(&m, "BatchWriteItem"), 4);
    assert_int_equal(json_object_size(m.table), 3);
    assert_int_equal(failures(resp), 1);
    json_t *f = json_array_get(json_object_get(resp, "batchItemFailures"), 0);
    const char *seq = json_string_value(json_object_get(f, "itemIdentifier"));
    json_t *it;
    size_t len;
    char *text = test_fixture("events/mixed-poison.json", &len);
    json_t *ev = json_loads(text, 0, NULL);
    /* the unwritten item is the last one: record 4's */
    it = json_array_get(json_object_get(ev, "Records"), 4);
    assert_string_equal(seq, json_string_value(json_object_get(json_object_get(it, "kinesis"),
                                                               "sequenceNumber")));
    json_decref(ev);
    free(text);
    json_decref(resp);
    mock_free(&m);
}

/* With call_many, the chunks' first writes go out together and the
 * outcome is the one of chunk-after-chunk: same items, same failures,
 * UnprocessedItems and refused chunks still handled per chunk. */
static void test_chunks_together(void **state)
{
    (void)state;
    mock seq, m;
    json_t *resp = NULL, *v;
    fi_stats st, st_seq;
    fi_error err;
    const char *id;
    mock_init(&seq);
    assert_int_equal(run_fixture(&seq, FI_MODE_SIGHTING, "batch-500", &resp, &st_seq, &err), 0);
    json_decref(resp);
    size_t chunks = (json_object_size(seq.table) + 24) / 25;
    assert_true(chunks > 2);
    mock_init(&m);
    many_calls = many_reqs = 0;
    assert_int_equal(run_many(&m, "batch-500", &resp, &st, &err), 0);
    assert_int_equal(failures(resp), 0);
    assert_int_equal(many_calls, 1);
    assert_int_equal(many_reqs, chunks);
    assert_int_equal(mock_count(&m, "BatchWriteItem"), chunks);
    assert_int_equal(st.written, st_seq.written);
    assert_int_equal(json_object_size(m.table), json_object_size(seq.table));
    json_object_foreach(seq.table, id, v)
        assert_true(json_equal(v, json_object_get(m.table, id)));
    json_decref(resp);
    mock_free(&m);

    /* the last item of each of the first two chunks unprocessed once, then written */
    mock_init(&m);
    m.unprocessed_rounds = 2;
    assert_int_equal(run_many(&m, "batch-500", &resp, &st, &err), 0);
    assert_int_equal(failures(resp), 0);
    assert_int_equal(json_object_size(m.table), json_object_size(seq.table));
    assert_int_equal(mock_count(&m, "BatchWriteItem"), chunks + 2);
    json_decref(resp);
    mock_free(&m);

    /* a poison item in a later chunk: only its record fails, through PutItem */
    json_t *last = NULL;
    json_object_foreach(seq.table, id, v)
        last = v;
    mock_init(&m);
    m.poison_id = fi_av_get_s(last, "id");
    assert_int_equal(run_many(&m, "batch-500", &resp, &st, &err), 0);
    assert_int_equal(failures(resp), 1);
    /* its chunk (1..25 items) went item by item; everything else is stored */
    assert_true(mock_count(&m, "PutItem") >= 1 && mock_count(&m, "PutItem") <= 25);
    assert_int_equal(json_object_size(m.table), json_object_size(seq.table) - 1);
    assert_null(json_object_get(m.table, m.poison_id));
    json_decref(resp);
    mock_free(&m);
    mock_free(&seq);
}

/* A chunk refused as a whole falls back to PutItem: only the poison record fails. */
static void test_validation_isolated(void **state)
{
    (void)state;
    mock m, sight;
    json_t *resp = NULL;
    fi_stats st;
    fi_error err;
    mock_init(&sight);
    assert_int_equal(run_fixture(&sight, FI_MODE_SIGHTING, "several-faces", &resp, &st, &err), 0);
    json_decref(resp);
    json_t *bob = find_item(&sight, "ExternalImageId", "bob.jpg");
    mock_init(&m);
    m.poison_id = fi_av_get_s(bob, "id");
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "several-faces", &resp, &st, &err), 0);
    /* the three faces are one record: that record is reported, the others written */
    assert_int_equal(failures(resp), 1);
    assert_int_equal(json_object_size(m.table), 2);
    assert_int_equal(mock_count(&m, "PutItem"), 3);
    assert_int_equal(st.written, 2);
    json_decref(resp);
    mock_free(&m);
    mock_free(&sight);
}

/* DynamoDB unreachable from the first call: a function error, nothing checkpointed. */
static void test_unavailable(void **state)
{
    (void)state;
    mock m;
    json_t *resp = NULL;
    fi_stats st;
    fi_error err;
    mock_init(&m);
    m.fail_from_call = 1;
    m.fail_status = FI_DDB_UNAVAILABLE;
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "batch-500", &resp, &st, &err), -1);
    assert_null(resp);
    assert_string_equal(err.type, "DynamoDB.Unavailable");
    assert_int_equal(mock_count(&m, "BatchWriteItem"), 1); /* fail fast after retries */
    mock_free(&m);

    /* unreachable mid-batch (after 4 chunks of 25): a partial response whose lowest
     * identifier is a safe checkpoint -- every sighting of an earlier record is stored */
    mock all;
    json_t *r2 = NULL;
    mock_init(&all);
    assert_int_equal(run_fixture(&all, FI_MODE_SIGHTING, "batch-500", &r2, &st, &err), 0);
    json_decref(r2);
    mock_init(&m);
    m.fail_from_call = 5;
    m.fail_status = FI_DDB_UNAVAILABLE;
    assert_int_equal(run_fixture(&m, FI_MODE_SIGHTING, "batch-500", &resp, &st, &err), 0);
    assert_int_equal(json_object_size(m.table), 100);
    json_t *fl = json_object_get(resp, "batchItemFailures");
    assert_true(json_array_size(fl) > 0);
    const char *lowest = json_string_value(json_object_get(json_array_get(fl, 0), "itemIdentifier"));
    size_t i;
    json_t *f;
    json_array_foreach(fl, i, f) /* ascending, as the records came */
        if (i > 0)
            assert_true(strcmp(json_string_value(json_object_get(json_array_get(fl, i - 1), "itemIdentifier")),
                               json_string_value(json_object_get(f, "itemIdentifier"))) < 0);
    const char *id;
    json_t *it;
    size_t before = 0;
    json_object_foreach(all.table, id, it) {
        if (strcmp(fi_av_get_s(it, "SequenceNumber"), lowest) < 0) {
            assert_non_null(json_object_get(m.table, id));
            before++;
        } else {
            /* not before the checkpoint: rewritten on retry, so nothing is lost */
        }
    }
    assert_true(before > 0 && before <= 100);
    json_decref(resp);
    mock_free(&m);
    mock_free(&all);
}

/* A missing table is fatal for the whole batch, in every mode. */
static void test_fatal(void **state)
{
    (void)state;
    for (int mode = 0; mode < 3; mode++) {
        mock m;
        json_t *resp = NULL;
        fi_stats st;
        fi_error err;
        mock_init(&m);
        m.fail_from_call = 1;
        m.fail_status = FI_DDB_FATAL;
        assert_int_equal(run_fixture(&m, (fi_mode)mode, "several-faces", &resp, &st, &err), -1);
        assert_string_equal(err.type, "DynamoDB.Fatal");
        assert_non_null(strstr(err.message, "ResourceNotFoundException"));
        assert_int_equal(json_array_size(m.calls), 1);
        mock_free(&m);
    }
}

/* Malformed events: a function error or skipped records, never a crash. */
static void test_bad_events(void **state)
{
    (void)state;
    static const struct {
        const char *event;
        int rc;
        size_t skipped;
    } cases[] = {
        {"", -1, 0},
        {"not json", -1, 0},
        {"null", -1, 0},
        {"[]", -1, 0},
        {"{\"Records\": 5}", -1, 0},
        {"{\"Records\": {}}", -1, 0},
        {"{\"Records\": []}", 0, 0},
        {"{\"Records\": [null, 1, \"x\", {}, [], {\"kinesis\": 3}]}", 0, 6},
        {"{\"Records\": [{\"kinesis\": {\"data\": 5, \"sequenceNumber\": \"1\"}}]}", 0, 1},
        {"{\"Records\": [{\"kinesis\": {\"data\": \"e30=\"}}]}", 0, 1},
        {"{\"Records\": [{\"kinesis\": {\"data\": \"e30=\", \"sequenceNumber\": \"\"}}]}", 0, 1},
        {"{\"Records\": [{\"kinesis\": {\"data\": \"e30=\", \"sequenceNumber\": 7}}]}", 0, 1},
        {"{\"Records\": [{\"kinesis\": {\"data\": \"e30\", \"sequenceNumber\": \"1\"}}]}", 0, 1},
        {"{\"Records\": [{\"kinesis\": {\"data\": \"e30=\", \"sequenceNumber\": \"1\"}}]}", 0, 1},
        /* {"FaceSearchResponse":[]} : valid, nothing to write */
        {"{\"Records\": [{\"kinesis\": {\"data\": \"eyJGYWNlU2VhcmNoUmVzcG9uc2UiOltdfQ==\", "
         "\"sequenceNumber\": \"1\"}}]}", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mock m;
        json_t *resp = NULL;
        fi_stats st;
        fi_error err;
        mock_init(&m);
        print_message("case %zu: %s\n", i, cases[i].event);
        int rc = run_mode(&m, FI_MODE_SIGHTING, cases[i].event, strlen(cases[i].event), &resp, &st, &err);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_int_equal(st.skipped, cases[i].skipped);
            assert_int_equal(failures(resp), 0);
        } else {
            assert_string_equal(err.type, "Handler.InvalidEvent");
        }
        assert_int_equal(json_array_size(m.calls), 0);
        json_decref(resp);
        mock_free(&m);
    }
    /* a NULL event is an invalid event too */
    json_t *resp = NULL;
    fi_error err;
    mock m;
    mock_init(&m);
    assert_int_equal(run_mode(&m, FI_MODE_SIGHTING, NULL, 0, &resp, NULL, &err), -1);
    mock_free(&m);
}

/* Every prefix of an event and random corruptions of a record. */
static void test_truncations_and_mutations(void **state)
{
    (void)state;
    size_t len, rlen;
    char *ev = test_fixture("events/formats-md-example.json", &len);
    char *rec = test_fixture("records/formats-md-example.json", &rlen);
    for (size_t n = 0; n < len; n += 7) {
        mock m;
        json_t *resp = NULL;
        fi_error err;
        mock_init(&m);
        int rc = run_mode(&m, FI_MODE_FIRST_SEEN, ev, n, &resp, NULL, &err);
        assert_true(rc == -1 || failures(resp) == 0);
        json_decref(resp);
        mock_free(&m);
    }
    unsigned seed = 42;
    for (int round = 0; round < 1500; round++) {
        char *mut = malloc(rlen);
        memcpy(mut, rec, rlen);
        size_t n = rlen;
        for (int k = 0, edits = 1 + rand_r(&seed) % 4; k < edits; k++)
            mut[rand_r(&seed) % n] = "{}[]\",:0-.e9aZ \\\x80\xff"[rand_r(&seed) % 18];
        if (round % 5 == 0)
            n = (size_t)rand_r(&seed) % rlen;
        char *b64 = base64_encode((unsigned char *)mut, n, NULL);
        json_t *event = json_pack("{s:[{s:{s:s, s:s}, s:s}]}", "Records", "kinesis", "data", b64,
                                  "sequenceNumber", "49680589976985014579958127644956277399843286753531133954",
                                  "eventSourceARN", "arn:aws:kinesis:us-east-1:1:stream/s");
        char *text = json_dumps(event, 0);
        mock m;
        json_t *resp = NULL;
        fi_stats st;
        fi_error err;
        mock_init(&m);
        assert_int_equal(run_mode(&m, (fi_mode)(round % 3), text, strlen(text), &resp, &st, &err), 0);
        assert_int_equal(st.records, 1);
        assert_true(st.skipped == 1 || st.sightings <= 2);
        assert_int_equal(failures(resp), 0);
        json_decref(resp);
        mock_free(&m);
        free(text);
        json_decref(event);
        free(b64);
        free(mut);
    }
    free(ev);
    free(rec);
}

/* The shortest round-trip format (numbers whose text is not kept). */
static void test_format_number(void **state)
{
    (void)state;
    static const struct { double v; const char *text; } cases[] = {
        {97.84118, "97.84118"}, {1717430405.768, "1717430405.768"}, {100, "100"},
        {-2000, "-2000"}, {1e300, "1e+300"}, {2.5e-7, "2.5e-07"}, {0.1, "0.1"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fi_json_format_number(cases[i].v, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
}

static void test_config(void **state)
{
    (void)state;
    fi_config c;
    char why[256];
    const char *vars[] = {"TABLE_NAME", "DEDUP_MODE", "AWS_REGION", "AWS_DEFAULT_REGION",
                          "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "DDB_MAX_ATTEMPTS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    assert_int_equal(fi_config_load(&c, why, sizeof why), 0);
    assert_string_equal(c.table, "searchFaceResponse");
    assert_int_equal(c.mode, FI_MODE_SIGHTING);
    assert_string_equal(c.endpoint, "https://dynamodb.us-east-1.amazonaws.com");
    setenv("AWS_REGION", "eu-west-1", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/", 1);
    setenv("DEDUP_MODE", "summary", 1);
    assert_int_equal(fi_config_load(&c, why, sizeof why), 0);
    assert_string_equal(c.endpoint, "http://127.0.0.1:4566");
    assert_string_equal(c.region, "eu-west-1");
    assert_int_equal(c.mode, FI_MODE_SUMMARY);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000", 1);
    assert_int_equal(fi_config_load(&c, why, sizeof why), 0);
    assert_string_equal(c.endpoint, "http://localhost:8000");
    setenv("DEDUP_MODE", "scan", 1);
    assert_int_equal(fi_config_load(&c, why, sizeof why), -1);
    assert_non_null(strstr(why, "DEDUP_MODE"));
    setenv("DEDUP_MODE", "first-seen", 1);
    setenv("DDB_MAX_ATTEMPTS", "0", 1);
    assert_int_equal(fi_config_load(&c, why, sizeof why), -1);
    setenv("DDB_MAX_ATTEMPTS", "3", 1);
    assert_int_equal(fi_config_load(&c, why, sizeof why), 0);
    assert_int_equal(c.retry.max_attempts, 3);
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    /* full jitter: within [0, min(max, base * 2^(n-1))] */
    fi_retry r = {8, 25, 2000};
    for (unsigned rnd = 0; rnd < 5000; rnd += 7) {
        assert_true(fi_retry_delay_ms(&r, 1, rnd) <= 25);
        assert_true(fi_retry_delay_ms(&r, 3, rnd) <= 100);
        assert_true(fi_retry_delay_ms(&r, 30, rnd) <= 2000);
    }
    assert_int_equal(fi_retry_delay_ms(&r, 3, 100), 100);
}

int main(void)
{
    fi_log_set_level(getenv("TEST_LOG_LEVEL") ? getenv("TEST_LOG_LEVEL") : "off");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_fixture),
        cmocka_unit_test(test_number_text_kept),
        cmocka_unit_test(test_item_attributes),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_duplicate_record_in_event),
        cmocka_unit_test(test_first_seen),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_unprocessed_retried),
        cmocka_unit_test(test_chunks_together),
        cmocka_unit_test(test_validation_isolated),
        cmocka_unit_test(test_unavailable),
        cmocka_unit_test(test_fatal),
        cmocka_unit_test(test_bad_events),
        cmocka_unit_test(test_truncations_and_mutations),
        cmocka_unit_test(test_format_number),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
