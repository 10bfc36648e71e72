/*
 * lam_event.c - the Lambda Kinesis event (formats.md section 2), built
 * from records read through kin.h, and the emu extension that serves one
 * ready event over HTTP for `emu event kinesis`:
 *
 *   GET /_emu/lambda/event/kinesis?stream=NAME|ARN[&shard=ID][&limit=N]
 *       [&after=SEQ][&function=NAME]
 *
 * returns {"Records":[...]} with up to `limit` (default 100) records of one
 * shard (the given one, else the first shard holding records) from the
 * oldest record, or after sequence number SEQ.  Reading does not move any
 * mapping's checkpoint.
 */
#include "lam_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/base64.h"
#include "../common/jtext.h"
#include "lam_esm_logic.h"

/* approximateArrivalTimestamp as jansson printed the double ms / 1000.0
 * with 13 significant digits: exact milliseconds without trailing zeros,
 * ".0" for a whole second.  Epoch seconds have 10 digits until 2286; any
 * other value goes through the double as before. */
static void lam_event_time(jtext_buf *b, int64_t ms)
{
    if (ms < 1000000000000LL || ms >= 10000000000000LL) {
        char t[40];
        int n = snprintf(t, sizeof t, "%.13g", (double)ms / 1000.0);
        jtext_put(b, t, (size_t)n);
        if (strpbrk(t, ".e") == NULL)
            jtext_put(b, ".0", 2);
        return;
    }
    jtext_put_ms(b, ms, true);
}

/* name (with its quotes, colon and leading comma) and a string value. */
static void lam_event_member(jtext_buf *b, const char *name, const char *value)
{
    jtext_puts(b, name);
    jtext_put_string(b, value, strlen(value));
}

/* Written as text: the jansson tree and json_dumps of a 100-record event
 * were a tenth of emu's CPU in the pipeline benchmark.  Members in the
 * order of formats.md section 2 (and of the tree this replaced). */
char *lam_event_kinesis(const lam_event_src *src, const kin_record *r, size_t n, size_t *len)
{
    jtext_buf b = {0};
    size_t need = 16;
    for (size_t i = 0; i < n; i++)
        need += 400 + strlen(src->stream_arn) + strlen(src->role) +
                BASE64_ENCODED_LEN(r[i].data_len) +
                (r[i].partition_key ? strlen(r[i].partition_key) : 0);
    jtext_grow(&b, need);
    jtext_puts(&b, "{\"Records\":[");
    for (size_t i = 0; i < n; i++) {
        jtext_puts(&b, &",{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\""[i == 0]);
        lam_event_member(&b, ",\"partitionKey\":", r[i].partition_key ? r[i].partition_key : "");
        lam_event_member(&b, ",\"sequenceNumber\":", r[i].seq);
        jtext_puts(&b, ",\"data\":\"");
        jtext_put_base64(&b, r[i].data, r[i].data_len);
        jtext_puts(&b, "\",\"approximateArrivalTimestamp\":");
        lam_event_time(&b, r[i].arrival_ms);
        jtext_puts(&b, "},\"eventSource\":\"aws:kinesis\",\"eventVersion\":\"1.0\"");
        char event_id[KIN_SHARD_ID_MAX + KIN_SEQ_MAX + 2];
        snprintf(event_id, sizeof event_id, "%s:%s", src->shard_id, r[i].seq);
        lam_event_member(&b, ",\"eventID\":", event_id);
        jtext_puts(&b, ",\"eventName\":\"aws:kinesis:record\"");
        lam_event_member(&b, ",\"invokeIdentityArn\":", src->role);
        lam_event_member(&b, ",\"awsRegion\":", src->region);
        lam_event_member(&b, ",\"eventSourceARN\":", src->stream_arn);
        jtext_put(&b, "}", 1);
    }
    jtext_puts(&b, "]}");
    return jtext_finish(&b, len);
}

static void lam_event_fail(http_resp *resp, err_code code, const char *msg)
{
    err_t err = {0};
    err_set(&err, code, "%s", msg);
    lam_resp_error(resp, &err);
}

/* Read the first batch of one shard; 0 with *b filled (maybe empty). */
static int lam_event_read(lam_state *l, const kin_stream_info *s, const char *shard,
                          const char *after, size_t limit, kin_batch *b, int *which,
                          err_t *err)
{
    kin_position pos = {.type = KIN_POS_TRIM_HORIZON};
    if (after != NULL) {
        pos.type = KIN_POS_AFTER_SEQUENCE;
        snprintf(pos.seq, sizeof pos.seq, "%s", after);
    }
    for (int i = 0; i < s->nshards; i++) {
        if (shard != NULL && strcmp(shard, s->shards[i].shard_id) != 0)
            continue;
        memset(b, 0, sizeof *b);
        if (kin_read_shard(l->emu, s->arn, s->shards[i].shard_id, &pos, limit,
                           LAM_PAYLOAD_MAX / 2, b, err) != 0)
            return -1;
        *which = i;
        if (b->n > 0 || shard != NULL)
            return 0;
        kin_batch_free(b);
    }
    if (shard != NULL)
        return err_set(err, ERR_LAM_RESOURCE_NOT_FOUND, "Shard %s not found", shard);
    memset(b, 0, sizeof *b);
    *which = 0;
    return 0;
}

void lam_event_http(lam_state *l, http_req *req, http_resp *resp)
{
    snprintf(req->log_op, sizeof req->log_op, "EmuKinesisEvent");
    const char *stream = http_req_query(req, "stream");
    const char *lim = http_req_query(req, "limit");
    long limit = lim ? strtol(lim, NULL, 10) : 100;
    if (stream == NULL || *stream == '\0' || limit < 1 || limit > 10000) {
        lam_event_fail(resp, ERR_LAM_INVALID_PARAMETER,
                       "stream=NAME is required; limit must be 1..10000");
        return;
    }
    kin_stream_info s = {0};
    kin_batch b = {0};
    err_t err = {0};
    int which = 0;
    if (kin_stream_lookup(l->emu, stream, &s, &err) != 0) {
        lam_event_fail(resp, ERR_LAM_RESOURCE_NOT_FOUND, err.msg);
        goto out;
    }
    if (lam_event_read(l, &s, http_req_query(req, "shard"), http_req_query(req, "after"),
                       (size_t)limit, &b, &which, &err) != 0) {
        lam_event_fail(resp, err.code == ERR_LAM_RESOURCE_NOT_FOUND ? err.code
                                                                      : ERR_LAM_INVALID_PARAMETER,
                       err.msg);
        goto out;
    }
    const char *fname = http_req_query(req, "function");
    lam_fn *f = fname ? lam_fn_find(l, fname) : (l->nfns > 0 ? &l->fns[0] : NULL);
    char role[LAM_ARN_MAX];
    snprintf(role, sizeof role, "%s", f ? f->role : "");
    if (f == NULL)
        snprintf(role, sizeof role, "arn:aws:iam::%s:role/lambda-role", l->emu->cfg.account);
    lam_event_src src = {s.nshards > 0 ? s.shards[which].shard_id : "", s.arn,
                         l->emu->cfg.region, role};
    size_t len = 0;
    char *body = lam_event_kinesis(&src, b.records, b.n, &len);
    if (body == NULL)
        lam_event_fail(resp, ERR_LAM_SERVICE, "out of memory");
    else
        http_resp_body(resp, 200, "application/json", body, len);
out:
    kin_batch_free(&b);
    kin_stream_info_free(&s);
    err_clear(&err);
}
