/*
 * lam_esm_logic.c - batch assembly, batching window, response
 * classification, bisect, retry accounting and checkpoint movement for
 * Kinesis event source mappings.  Pure functions; see lam_esm_logic.h.
 */
#include "lam_esm_logic.h"

#include <jansson.h>
#include <string.h>

int lam_seq_cmp(const char *a, const char *b)
{
    while (*a == '0' && a[1] != '\0')
        a++;
    while (*b == '0' && b[1] != '\0')
        b++;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

size_t lam_esm_record_bytes(size_t data_len, size_t key_len)
{
    return (data_len + 2) / 3 * 4 + key_len * 6 /* worst-case JSON escaping */ +
           LAM_EVENT_RECORD_OVERHEAD;
}

size_t lam_esm_fit(const lam_esm_rec *r, size_t n, size_t max_records, size_t max_bytes)
{
    size_t bytes = 16; /* {"Records":[]} */
    size_t k = 0;
    while (k < n && k < max_records) {
        if (k > 0 && bytes + r[k].event_bytes > max_bytes)
            break;
        bytes += r[k].event_bytes;
        k++;
    }
    return k;
}

int64_t lam_esm_window_wait(const lam_esm_params *p, size_t n, size_t bytes,
                            int64_t first_seen_ms, int64_t now_ms)
{
    if (p->window_s <= 0 || n == 0)
        return 0;
    if (n >= (size_t)p->batch_size || bytes >= LAM_PAYLOAD_MAX)
        return 0;
    int64_t end = first_seen_ms + (int64_t)p->window_s * 1000;
    return end > now_ms ? end - now_ms : 0;
}

/* Index in [lo, hi) of the record whose sequence number is id, or hi. */
static size_t lam_esm_find(const lam_esm_rec *r, size_t lo, size_t hi, const char *id)
{
    for (size_t i = lo; i < hi; i++)
        if (lam_seq_cmp(r[i].seq, id) == 0)
            return i;
    return hi;
}

/* Lowest failed index named by a {"batchItemFailures":[...]} response:
 * returns 1 with *at set, 0 for success, -1 for a full failure. */
static int lam_esm_failures(json_t *resp, const lam_esm_rec *r, size_t lo, size_t hi,
                            size_t *at)
{
    if (resp == NULL || json_is_null(resp) || !json_is_object(resp))
        return 0; /* no (or a non-object) response: success */
    json_t *list = json_object_get(resp, "batchItemFailures");
    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return -1;
    if (json_array_size(list) == 0)
        return 0;
    size_t low = hi, i;
    json_t *item;
    json_array_foreach(list, i, item) {
        const char *id = json_string_value(json_object_get(item, "itemIdentifier"));
        if (id == NULL || *id == '\0')
            return -1;
        size_t k = lam_esm_find(r, lo, hi, id);
        if (k == hi)
            return -1; /* not a record of this batch */
        if (k < low)
            low = k;
    }
    *at = low;
    return 1;
}

lam_outcome lam_esm_classify(const lam_esm_params *p, bool fn_error, const char *body,
                             size_t len, const lam_esm_rec *r, size_t lo, size_t hi,
                             size_t *fail_at)
{
    if (fn_error)
        return LAM_OUT_ERROR;
    if (!p->report_failures || body == NULL || len == 0)
        return LAM_OUT_OK;
    json_t *resp = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    size_t at = lo;
    int rc = resp == NULL ? 0 : lam_esm_failures(resp, r, lo, hi, &at);
    json_decref(resp);
    if (rc == 0)
        return LAM_OUT_OK;
    *fail_at = rc < 0 ? lo : at;
    return LAM_OUT_PARTIAL;
}

void lam_esm_run_init(lam_esm_run *run, size_t n, size_t first_hi)
{
    memset(run, 0, sizeof *run);
    run->n = n;
    run->hi = first_hi > n ? n : first_hi;
}

size_t lam_esm_expire(lam_esm_run *run, const lam_esm_params *p, const lam_esm_rec *r,
                      int64_t now_ms)
{
    if (p->max_age_s < 0)
        return 0;
    size_t k = 0;
    while (run->lo < run->hi && now_ms - r[run->lo].arrival_ms > (int64_t)p->max_age_s * 1000) {
        run->lo++;
        k++;
    }
    if (k > 0) {
        run->done = run->lo;
        run->discarded += k;
        run->attempts = 0;
        while (run->lo == run->hi && run->nends > 0)
            run->hi = run->ends[--run->nends];
        if (run->lo == run->hi)
            run->hi = run->n;
    }
    return k;
}

static int64_t lam_esm_backoff(const lam_esm_params *p, int attempts)
{
    int64_t d = p->retry_base_ms > 0 ? p->retry_base_ms : 0;
    for (int i = 1; i < attempts && d < 1000; i++)
        d *= 2;
    return d > 1000 ? 1000 : d;
}

/* Move past [lo, hi): succeeded or discarded. */
static lam_next lam_esm_advance(lam_esm_run *run)
{
    run->done = run->lo = run->hi;
    run->hi = run->nends > 0 ? run->ends[--run->nends] : run->n;
    run->attempts = 0;
    return run->lo >= run->n ? LAM_NEXT_DONE : LAM_NEXT_INVOKE;
}

/* A failed attempt on [lo, hi): retry it, or discard it once the retries
 * are exhausted. */
static lam_next lam_esm_fail(lam_esm_run *run, const lam_esm_params *p, int64_t *delay_ms)
{
    run->attempts++;
    if (p->max_retry >= 0 && run->attempts > p->max_retry) {
        run->discarded += run->hi - run->lo;
        return lam_esm_advance(run);
    }
    *delay_ms = lam_esm_backoff(p, run->attempts);
    return LAM_NEXT_INVOKE;
}

lam_next lam_esm_after(lam_esm_run *run, const lam_esm_params *p, lam_outcome out,
                       size_t fail_at, int64_t *delay_ms)
{
    *delay_ms = 0;
    if (run->lo >= run->n)
        return LAM_NEXT_DONE;
    switch (out) {
    case LAM_OUT_OK:
        return lam_esm_advance(run);
    case LAM_OUT_PARTIAL:
        if (fail_at < run->lo || fail_at >= run->hi)
            fail_at = run->lo;
        if (fail_at > run->lo) {
            /* Progress: checkpoint before the failed record; the retry of
             * [fail_at, hi) is that range's first failed attempt. */
            run->done = run->lo = fail_at;
            run->attempts = 0;
        }
        return lam_esm_fail(run, p, delay_ms);
    case LAM_OUT_ERROR:
    default:
        if (p->bisect && run->hi - run->lo > 1 &&
            run->nends < (int)(sizeof run->ends / sizeof *run->ends)) {
            run->ends[run->nends++] = run->hi;
            run->hi = run->lo + (run->hi - run->lo + 1) / 2;
            return LAM_NEXT_INVOKE; /* splitting consumes no attempt */
        }
        return lam_esm_fail(run, p, delay_ms);
    }
}
