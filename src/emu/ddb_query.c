/*
 * ddb_query.c - Query and Scan.
 *
 * Both walk one key range of a table or secondary index in storage order
 * (store_ddb_range) inside a read job: every row read counts as evaluated
 * (ScannedCount, Limit, the 1 MB page); the filter then decides what is
 * returned (Count).  Stopping on Limit or on the page size yields
 * LastEvaluatedKey, the keys of the last evaluated row (table keys, plus
 * the index keys for an index), which the next request turns back into an
 * exclusive bound.  Exclusive bounds become inclusive by appending a 0x00
 * byte: no byte string lies strictly between b and b || 0x00.
 *
 * Parallel Scan maps segment s of N onto the contiguous range of the
 * 65536 hash segments [ceil(65536 s / N), ceil(65536 (s+1) / N) - 1],
 * so the segments partition the table and each item is returned once.
 * Storage is in key order, so each segment walks the whole key range and
 * skips rows of other segments in SQL (they are not evaluated).
 *
 * Entry points: ddb_query_validate, ddb_query, ddb_scan_validate, ddb_scan.
 */
#include "ddb_item.h"

#include <stdlib.h>
#include <string.h>

#include "../common/jload.h"
#include "../common/jtext.h"
#include "av.h"
#include "svc.h"

#define VFAIL(...) err_set(err, ERR_DDB_VALIDATION, __VA_ARGS__)
#define DDB_PAGE_BYTES (1024 * 1024)
#define DDB_SEGS 65536
#define DDB_MAX_SEGMENTS 1000000
#define DDB_BAD_START "The provided starting key is invalid: "

typedef enum { SEL_ALL, SEL_PROJECTED, SEL_SPECIFIC, SEL_COUNT } ddb_select;

/* Byte buffers a range borrows, freed together. */
typedef struct ddb_bufs {
    unsigned char *p[12];
    int n;
} ddb_bufs;

typedef struct ddb_read {
    emu_t *emu;
    json_t *req;
    bool scan;
    ddb_exprs x;
    ddb_select sel;
    json_int_t limit;          /* 0 = none */
    /* filled inside the job */
    store_conn *c;
    ddb_table t;
    bool have_table;
    const ddb_index *ix;
    expr_key_cond kc;
    bool fetch_base;           /* LSI, Select=ALL_ATTRIBUTES, partial projection */
    json_t *items;             /* owned */
    json_t *last;              /* last evaluated row (owned) */
    json_int_t count, scanned;
    size_t bytes;
    bool more;                 /* stopped early: return LastEvaluatedKey */
    /* Nothing filters or projects: stored JSON is spliced into the answer
     * as it is (no parse, no serialisation). */
    bool raw;
    char *rawbuf;              /* "item,item,..." (owned) */
    size_t rawlen, rawcap;
    size_t last_off, last_len; /* the last row inside rawbuf */
} ddb_read;

static void ddb_read_free(ddb_read *r)
{
    ddb_exprs_free(&r->x);
    expr_key_cond_free(&r->kc);
    if (r->have_table)
        ddb_table_free(&r->t);
    json_decref(r->items);
    json_decref(r->last);
    free(r->rawbuf);
}

static unsigned char *ddb_bufs_keep(ddb_bufs *b, unsigned char *p)
{
    if (p == NULL || b->n < (int)(sizeof b->p / sizeof *b->p))
        return p ? (b->p[b->n++] = p) : NULL;
    free(p); /* cannot happen: a range keeps at most 9 buffers */
    return NULL;
}

static void ddb_bufs_free(ddb_bufs *b)
{
    for (int i = 0; i < b->n; i++)
        free(b->p[i]);
    b->n = 0;
}

/* p || 0x00: the smallest byte string greater than p. */
static ddb_blob ddb_blob_after(ddb_bufs *b, const unsigned char *p, size_t n)
{
    unsigned char *q = ddb_bufs_keep(b, malloc(n + 1));
    if (q == NULL)
        return (ddb_blob){NULL, 0};
    if (n)
        memcpy(q, p, n);
    q[n] = 0;
    return (ddb_blob){q, n + 1};
}

/* The smallest byte string greater than every string starting with p;
 * p.p NULL when none (p is all 0xff). */
static ddb_blob ddb_blob_prefix_end(ddb_bufs *b, const unsigned char *p, size_t n)
{
    while (n > 0 && p[n - 1] == 0xff)
        n--;
    if (n == 0)
        return (ddb_blob){NULL, 0};
    unsigned char *q = ddb_bufs_keep(b, malloc(n));
    if (q == NULL)
        return (ddb_blob){NULL, 0};
    memcpy(q, p, n);
    q[n - 1]++;
    return (ddb_blob){q, n};
}

/* ---- validation (shape only) ---- */

static int ddb_read_index_name(json_t *req, err_t *err)
{
    json_t *v = json_object_get(req, "IndexName");
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return err_set(err, ERR_DDB_SERIALIZATION, "NUMBER_VALUE cannot be converted to String");
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    if (n < 3 || n > 255)
        return VFAIL("1 validation error detected: Value '%s' at 'indexName' failed to satisfy "
                     "constraint: Member must have length %s", s,
                     n < 3 ? "greater than or equal to 3" : "less than or equal to 255");
    if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
        return VFAIL("1 validation error detected: Value '%s' at 'indexName' failed to satisfy "
                     "constraint: Member must satisfy regular expression pattern: "
                     "[a-zA-Z0-9_.-]+", s);
    return 0;
}

/* An optional integer member within [lo, hi]. */
static int ddb_read_int(json_t *req, const char *member, const char *field, json_int_t lo,
                        json_int_t hi, err_t *err)
{
    json_t *v = json_object_get(req, member);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v))
        return err_set(err, ERR_DDB_SERIALIZATION, "STRING_VALUE cannot be converted to Integer");
    json_int_t n = json_integer_value(v);
    if (n < lo)
        return VFAIL("1 validation error detected: Value '%lld' at '%s' failed to satisfy "
                     "constraint: Member must have value greater than or equal to %lld",
                     (long long)n, field, (long long)lo);
    if (n > hi)
        return VFAIL("1 validation error detected: Value '%lld' at '%s' failed to satisfy "
                     "constraint: Member must have value less than or equal to %lld",
                     (long long)n, field, (long long)hi);
    return 0;
}

/* Select against the projection parameters (DynamoDB prefixes Query's
 * messages with "1 validation error detected: ", not Scan's). */
static int ddb_read_select(json_t *req, bool scan, err_t *err)
{
    json_t *v = json_object_get(req, "Select");
    if (v == NULL)
        return 0;
    const char *s = json_string_value(v);
    static const char *const all[] = {"SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES",
                                      "ALL_PROJECTED_ATTRIBUTES"};
    int i = 0;
    while (i < 4 && (s == NULL || strcmp(s, all[i]) != 0))
        i++;
    if (i == 4)
        return VFAIL("1 validation error detected: Value '%s' at 'select' failed to satisfy "
                     "constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, "
                     "COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", s ? s : "null");
    const char *pre = scan ? "" : "1 validation error detected: ";
    const char *param = json_object_get(req, "ProjectionExpression") ? "ProjectionExpression"
                        : json_object_get(req, "AttributesToGet") ? "AttributesToGet"
                                                                   : NULL;
    if (i == 0 && param == NULL)
        return VFAIL("%sMust specify the AttributesToGet or ProjectionExpression when choosing "
                     "to get SPECIFIC_ATTRIBUTES", pre);
    if (i > 0 && param != NULL)
        return VFAIL("%sCannot specify the %s when choosing to get %s", pre, param,
                     i == 1 ? "only the Count" : s);
    if (i == 3 && json_object_get(req, "IndexName") == NULL)
        return VFAIL("%sALL_PROJECTED_ATTRIBUTES can be used only when Querying using an "
                     "IndexName", pre);
    return 0;
}

static int ddb_scan_segments(json_t *req, err_t *err)
{
    if (ddb_read_int(req, "Segment", "segment", 0, DDB_MAX_SEGMENTS - 1, err) != 0 ||
        ddb_read_int(req, "TotalSegments", "totalSegments", 1, DDB_MAX_SEGMENTS, err) != 0)
        return -1;
    json_t *seg = json_object_get(req, "Segment"), *total = json_object_get(req, "TotalSegments");
    if (seg != NULL && total == NULL)
        return VFAIL("The TotalSegments parameter is required but was not present in the "
                     "request when Segment parameter is present");
    if (total != NULL && seg == NULL)
        return VFAIL("The Segment parameter is required but was not present in the request "
                     "when parameter TotalSegments is present");
    if (seg != NULL && json_integer_value(seg) >= json_integer_value(total))
        return VFAIL("The Segment parameter is zero-based and must be less than parameter "
                     "TotalSegments: Segment: %lld is not less than TotalSegments: %lld",
                     (long long)json_integer_value(seg), (long long)json_integer_value(total));
    return 0;
}

static int ddb_read_validate(json_t *req, bool scan, err_t *err)
{
    if (ddb_check_table_name(req, "TableName", err) != 0 || ddb_read_index_name(req, err) != 0 ||
        ddb_read_int(req, "Limit", "limit", 1, INT32_MAX, err) != 0 ||
        ddb_read_select(req, scan, err) != 0)
        return -1;
    json_t *esk = json_object_get(req, "ExclusiveStartKey");
    if (esk != NULL && !json_is_object(esk))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    if (esk != NULL) {
        err_t inner = {0};
        if (av_validate_item(esk, &inner) != 0) {
            json_decref(inner.extra);
            return VFAIL(DDB_BAD_START "%s", inner.msg);
        }
    }
    if (!scan && json_object_get(req, "KeyConditions") == NULL &&
        json_object_get(req, "KeyConditionExpression") == NULL)
        return VFAIL("Either the KeyConditions or KeyConditionExpression parameter must be "
                     "specified in the request.");
    return scan ? ddb_scan_segments(req, err) : 0;
}

int ddb_query_validate(json_t *req, err_t *err)
{
    return ddb_read_validate(req, false, err);
}

int ddb_scan_validate(json_t *req, err_t *err)
{
    return ddb_read_validate(req, true, err);
}

/* ---- inside the read job ---- */

/* The index (or NULL), consistency and Select against the table. */
static int ddb_read_index(ddb_read *r, err_t *err)
{
    const char *name = json_string_value(json_object_get(r->req, "IndexName"));
    if (name == NULL)
        return 0;
    r->ix = ddb_table_index(&r->t, name);
    if (r->ix == NULL)
        return VFAIL("The table does not have the specified index: %s", name);
    if (r->ix->global && json_is_true(json_object_get(r->req, "ConsistentRead")))
        return VFAIL("Consistent reads are not supported on global secondary indexes");
    if (r->sel == SEL_ALL && json_object_get(r->req, "Select") != NULL &&
        r->ix->proj != DDB_PROJ_ALL) {
        if (r->ix->global)
            return VFAIL("One or more parameter values were invalid: Select type "
                         "ALL_ATTRIBUTES is not supported for global secondary index %s "
                         "because its projection type is not ALL", name);
        r->fetch_base = true;
    }
    return 0;
}

/* Does v satisfy the sort key condition?  (begins_with compares the key
 * encodings, which for S and B are the raw bytes.) */
static bool ddb_kc_match(const expr_key_cond *kc, const json_t *v)
{
    int c1 = 0, c2 = 0;
    if (kc->range_op == KC_NONE)
        return true;
    if (v == NULL || av_compare(v, kc->range_v1, &c1) != 0)
        return false;
    switch (kc->range_op) {
    case KC_EQ: return c1 == 0;
    case KC_LT: return c1 < 0;
    case KC_LE: return c1 <= 0;
    case KC_GT: return c1 > 0;
    case KC_GE: return c1 >= 0;
    case KC_BETWEEN: return c1 >= 0 && av_compare(v, kc->range_v2, &c2) == 0 && c2 <= 0;
    case KC_BEGINS_WITH: break;
    default: return false;
    }
    unsigned char *a = NULL, *p = NULL;
    size_t an = 0, pn = 0;
    bool ok = av_key_encode(v, &a, &an, NULL) == 0 &&
              av_key_encode(kc->range_v1, &p, &pn, NULL) == 0 && pn <= an &&
              memcmp(a, p, pn) == 0;
    free(a);
    free(p);
    return ok;
}

/* Key condition values must have the declared key types. */
static int ddb_query_types(ddb_read *r, const char *hash, const char *range, err_t *err)
{
    json_t *vals[3] = {r->kc.hash_value, r->kc.range_v1, r->kc.range_v2};
    for (int i = 0; i < 3; i++) {
        if (vals[i] == NULL)
            continue;
        const char *want = ddb_attr_type(&r->t, i == 0 ? hash : range);
        const char *got = av_type_name(av_type(vals[i]));
        if (want == NULL || strcmp(want, got) != 0)
            return VFAIL("One or more parameter values were invalid: Condition parameter type "
                         "does not match schema type");
    }
    if (r->kc.range_op == KC_BEGINS_WITH && av_type(r->kc.range_v1) == AV_N)
        return VFAIL("Invalid KeyConditionExpression: Incorrect operand type for operator or "
                     "function; operator or function: begins_with, operand type: N");
    return 0;
}

/* Encode the queried hash value with its storage segment: a probe item
 * carrying the hash value (and a placeholder sort key) goes through the
 * same encoder as stored items. */
static int ddb_query_hash(ddb_read *r, ddb_key *k, err_t *err)
{
    const char *range = r->ix ? r->ix->range : r->t.range;
    json_t *probe = json_object();
    json_object_set(probe, r->ix ? r->ix->hash : r->t.hash, r->kc.hash_value);
    if (range[0]) {
        const char *type = ddb_attr_type(&r->t, range);
        const char *ph = type && strcmp(type, "N") == 0 ? "0"
                         : type && strcmp(type, "B") == 0 ? "AA=="
                                                          : "a";
        json_object_set_new(probe, range, json_pack("{s:s}", type ? type : "S", ph));
    }
    int rc = r->ix ? ddb_key_for_index(&r->t, r->ix, probe, k, err)
                   : ddb_key_from_item(&r->t, probe, k, err);
    json_decref(probe);
    if (rc == 1)
        return VFAIL("The provided key element does not match the schema");
    return rc;
}

/* Table key and (for an index) index key of an ExclusiveStartKey. */
static int ddb_read_start_keys(ddb_read *r, json_t *esk, ddb_key *tk, ddb_key *ik, err_t *err)
{
    const char *names[4] = {r->t.hash, r->t.range, r->ix ? r->ix->hash : "",
                            r->ix ? r->ix->range : ""};
    size_t want = 0;
    for (int i = 0; i < 4; i++) {
        bool dup = false;
        for (int j = 0; j < i; j++)
            dup |= strcmp(names[i], names[j]) == 0;
        if (names[i][0] && !dup) {
            if (json_object_get(esk, names[i]) == NULL)
                return VFAIL(DDB_BAD_START "The provided key element does not match the schema");
            want++;
        }
    }
    if (json_object_size(esk) != want)
        return VFAIL(DDB_BAD_START "The provided key element does not match the schema");
    json_t *tkey = ddb_item_key(&r->t, esk);
    err_t inner = {0};
    int rc = ddb_key_from_key(&r->t, tkey, tk, &inner);
    json_decref(tkey);
    if (rc == 0 && r->ix != NULL) {
        rc = ddb_key_for_index(&r->t, r->ix, esk, ik, &inner);
        if (rc == 1)
            err_set(&inner, ERR_DDB_VALIDATION, "The provided key element does not match the schema");
    }
    if (rc != 0) {
        json_decref(inner.extra);
        return VFAIL(DDB_BAD_START "%s", inner.msg);
    }
    return 0;
}

/* Narrow a Query range to what follows ExclusiveStartKey. */
static int ddb_query_start(ddb_read *r, ddb_range *rg, ddb_bufs *b, err_t *err)
{
    json_t *esk = json_object_get(r->req, "ExclusiveStartKey");
    if (esk == NULL)
        return 0;
    ddb_key tk = {0}, ik = {0};
    int rc = -1;
    if (ddb_read_start_keys(r, esk, &tk, &ik, err) != 0)
        goto out;
    const ddb_key *k = r->ix ? &ik : &tk;
    if (k->hk_len != rg->hk.n || memcmp(k->hk, rg->hk.p, k->hk_len) != 0) {
        VFAIL("The provided starting key is outside query boundaries based on provided "
              "conditions");
        goto out;
    }
    const char *range = r->ix ? r->ix->range : r->t.range;
    if (range[0] && !ddb_kc_match(&r->kc, json_object_get(esk, range))) {
        VFAIL("The provided starting key does not match the range key predicate");
        goto out;
    }
    size_t pk_len = 0;
    unsigned char *pk = r->ix ? ddb_bufs_keep(b, ddb_pk_encode(&tk, &pk_len)) : NULL;
    if (r->ix != NULL && pk == NULL) {
        err_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    unsigned char *rk = ddb_bufs_keep(b, k->rk);
    size_t rk_len = k->rk_len;
    if (r->ix != NULL)
        ik.rk = NULL; /* now owned by b */
    else
        tk.rk = NULL;
    if (json_is_false(json_object_get(r->req, "ScanIndexForward"))) {
        rg->hi_rk = (ddb_blob){rk ? rk : (const unsigned char *)"", rk_len};
        rg->hi_pk = (ddb_blob){pk, pk_len};
    } else {
        rg->lo_rk = (ddb_blob){rk, rk_len};
        rg->lo_pk = ddb_blob_after(b, pk, pk_len);
    }
    rc = 0;
out:
    ddb_key_free(&tk);
    ddb_key_free(&ik);
    return rc;
}

/* BETWEEN needs lower <= upper (DynamoDB's message). */
static int ddb_query_between(const expr_key_cond *kc, err_t *err)
{
    int c = 0;
    if (kc->range_op != KC_BETWEEN || av_compare(kc->range_v1, kc->range_v2, &c) != 0 || c <= 0)
        return 0;
    const char *t = av_type_name(av_type(kc->range_v1));
    return VFAIL("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to "
                 "be greater than or equal to lower bound; lower bound operand: AttributeValue: "
                 "{%s:%s}, upper bound operand: AttributeValue: {%s:%s}", t,
                 json_string_value(json_object_get(kc->range_v1, t)), t,
                 json_string_value(json_object_get(kc->range_v2, t)));
}

/* The sort key bounds of a key condition. */
static int ddb_query_range_bounds(ddb_read *r, ddb_range *rg, ddb_bufs *b, err_t *err)
{
    unsigned char *p1 = NULL, *p2 = NULL;
    size_t n1 = 0, n2 = 0;
    if (r->kc.range_op == KC_NONE)
        return 0;
    if (av_key_encode(r->kc.range_v1, &p1, &n1, err) != 0)
        return -1;
    ddb_bufs_keep(b, p1);
    if (r->kc.range_v2 != NULL) {
        if (av_key_encode(r->kc.range_v2, &p2, &n2, err) != 0)
            return -1;
        ddb_bufs_keep(b, p2);
    }
    ddb_blob v1 = {p1, n1};
    switch (r->kc.range_op) {
    case KC_EQ: rg->lo_rk = v1; rg->hi_rk = ddb_blob_after(b, p1, n1); break;
    case KC_LT: rg->hi_rk = v1; break;
    case KC_LE: rg->hi_rk = ddb_blob_after(b, p1, n1); break;
    case KC_GT: rg->lo_rk = ddb_blob_after(b, p1, n1); break;
    case KC_GE: rg->lo_rk = v1; break;
    case KC_BETWEEN: rg->lo_rk = v1; rg->hi_rk = ddb_blob_after(b, p2, n2); break;
    case KC_BEGINS_WITH: rg->lo_rk = v1; rg->hi_rk = ddb_blob_prefix_end(b, p1, n1); break;
    default: break;
    }
    return 0;
}

/* DynamoDB refuses a Query filter on the queried keys (hash first): they
 * belong in the key condition. */
static int ddb_query_filter_keys(ddb_read *r, const char *hash, const char *range, err_t *err)
{
    if (r->x.filter == NULL)
        return 0;
    json_t *heads = expr_path_heads(r->x.filter);
    const char *what = json_object_get(r->req, "QueryFilter") ? "QueryFilter" : "Filter Expression";
    const char *key = json_object_get(heads, hash) ? hash
                      : range[0] && json_object_get(heads, range) ? range : NULL;
    json_decref(heads);
    if (key == NULL)
        return 0;
    return err_set(err, ERR_DDB_VALIDATION,
                   "%s can only contain non-primary key attributes: Primary key attribute: %s",
                   what, key);
}

static int ddb_query_bounds(ddb_read *r, ddb_range *rg, ddb_bufs *b, err_t *err)
{
    const char *hash = r->ix ? r->ix->hash : r->t.hash;
    const char *range = r->ix ? r->ix->range : r->t.range;
    if (ddb_exprs_key(&r->x, r->req, hash, range[0] ? range : NULL, &r->kc, err) != 0 ||
        ddb_query_types(r, hash, range, err) != 0 || ddb_query_between(&r->kc, err) != 0 ||
        ddb_query_filter_keys(r, hash, range, err) != 0)
        return -1;
    ddb_key hk = {0};
    if (ddb_query_hash(r, &hk, err) != 0)
        return -1;
    rg->hk = (ddb_blob){ddb_bufs_keep(b, hk.hk), hk.hk_len};
    hk.hk = NULL;
    ddb_key_free(&hk);
    if (rg->hk.p == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    if (ddb_query_range_bounds(r, rg, b, err) != 0)
        return -1;
    return ddb_query_start(r, rg, b, err);
}

/* Segment bounds of a (parallel) Scan and its ExclusiveStartKey. */
static int ddb_scan_bounds(ddb_read *r, ddb_range *rg, ddb_bufs *b, bool *empty, err_t *err)
{
    json_t *total = json_object_get(r->req, "TotalSegments");
    long long n = total ? json_integer_value(total) : 1;
    long long s = json_integer_value(json_object_get(r->req, "Segment"));
    long long lo = (DDB_SEGS * s + n - 1) / n, end = (DDB_SEGS * (s + 1) + n - 1) / n;
    *empty = end <= lo;
    rg->seg_lo = (unsigned)lo;
    rg->seg_hi = (unsigned)(end - 1);
    json_t *esk = json_object_get(r->req, "ExclusiveStartKey");
    if (esk == NULL || *empty)
        return 0;
    ddb_key tk = {0}, ik = {0};
    int rc = -1;
    if (ddb_read_start_keys(r, esk, &tk, &ik, err) != 0)
        goto out;
    ddb_key *k = r->ix ? &ik : &tk;
    if (k->seg < lo || k->seg > rg->seg_hi) {
        VFAIL(DDB_BAD_START "Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct "
              "Segment. TotalSegments: %lld Segment: %lld", n, s);
        goto out;
    }
    size_t pk_len = 0;
    unsigned char *pk = r->ix ? ddb_bufs_keep(b, ddb_pk_encode(&tk, &pk_len)) : NULL;
    if (r->ix != NULL && pk == NULL) {
        err_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rg->scan_hk = (ddb_blob){ddb_bufs_keep(b, k->hk), k->hk_len};
    rg->scan_rk = (ddb_blob){ddb_bufs_keep(b, k->rk), k->rk_len};
    k->hk = k->rk = NULL; /* now owned by b */
    rg->scan_pk = ddb_blob_after(b, pk, pk_len);
    rc = 0;
out:
    ddb_key_free(&tk);
    ddb_key_free(&ik);
    return rc;
}

/* Filter and project one evaluated row into the result. */
static int ddb_read_keep(ddb_read *r, json_t *row, err_t *err)
{
    json_t *item = json_incref(row);
    bool keep = true;
    int rc = -1;
    if (r->fetch_base) {
        ddb_key k;
        json_t *full = NULL;
        if (ddb_key_from_item(&r->t, row, &k, err) != 0)
            goto out;
        int lrc = ddb_item_load(r->c, &r->t, &k, &full, err);
        ddb_key_free(&k);
        if (lrc != 0)
            goto out;
        if (full != NULL) {
            json_decref(item);
            item = full;
        }
    }
    if (r->x.filter != NULL && expr_eval(r->x.filter, item, &keep, err) != 0)
        goto out;
    if (keep) {
        r->count++;
        if (r->sel != SEL_COUNT)
            json_array_append_new(r->items, r->x.proj ? expr_project(r->x.proj, item)
                                                      : json_incref(item));
    }
    rc = 0;
out:
    json_decref(item);
    return rc;
}

/* Append a row's stored text to the raw answer; its size comes stored. */
static int ddb_read_row_raw(ddb_read *r, const char *body, size_t len, size_t size, err_t *err)
{
    if (r->rawlen + len + 2 > r->rawcap) {
        size_t cap = r->rawcap ? r->rawcap : 16384;
        while (cap < r->rawlen + len + 2)
            cap *= 2;
        char *p = realloc(r->rawbuf, cap);
        if (p == NULL)
            return err_set(err, ERR_INTERNAL, "out of memory");
        r->rawbuf = p;
        r->rawcap = cap;
    }
    if (r->rawlen > 0)
        r->rawbuf[r->rawlen++] = ',';
    r->last_off = r->rawlen;
    r->last_len = len;
    memcpy(r->rawbuf + r->rawlen, body, len);
    r->rawlen += len;
    r->scanned++;
    r->count++;
    r->bytes += size;
    if ((r->limit > 0 && r->scanned >= r->limit) || r->bytes >= DDB_PAGE_BYTES) {
        r->more = true;
        return 1;
    }
    return 0;
}

static int ddb_read_row(void *arg, const char *body, size_t len, size_t size, err_t *err)
{
    ddb_read *r = arg;
    if (r->raw)
        return ddb_read_row_raw(r, body, len, size, err);
    json_t *row = jload_stored(body, len);
    if (row == NULL)
        return err_set(err, ERR_INTERNAL, "corrupt item");
    if (r->kc.range_op == KC_BEGINS_WITH) {
        const char *range = r->ix ? r->ix->range : r->t.range;
        if (!ddb_kc_match(&r->kc, json_object_get(row, range))) {
            json_decref(row);
            return 0; /* outside the prefix: not part of the query at all */
        }
    }
    r->scanned++;
    r->bytes += av_item_size(row);
    json_decref(r->last);
    r->last = json_incref(row);
    int rc = ddb_read_keep(r, row, err);
    json_decref(row);
    if (rc != 0)
        return -1;
    if ((r->limit > 0 && r->scanned >= r->limit) || r->bytes >= DDB_PAGE_BYTES) {
        r->more = true;
        return 1;
    }
    return 0;
}

static int ddb_read_run(store_conn *c, void *arg, err_t *err)
{
    ddb_read *r = arg;
    ddb_range rg;
    ddb_bufs b = {0};
    bool empty = false;
    int rc = -1;
    r->c = c;
    if (ddb_table_get(r->emu, c, json_string_value(json_object_get(r->req, "TableName")),
                      &r->t, err) != 0)
        return -1;
    r->have_table = true;
    if (ddb_read_index(r, err) != 0)
        goto out;
    if (r->ix != NULL && !r->ix->global && r->ix->proj != DDB_PROJ_ALL && r->sel != SEL_COUNT &&
        (r->x.proj != NULL || r->x.filter != NULL))
        r->fetch_base = true; /* an LSI reads what it lacks from the table */
    memset(&rg, 0, sizeof rg);
    rg.tbl = r->t.id;
    rg.idx = r->ix ? r->ix->id : 0;
    rg.forward = r->scan || !json_is_false(json_object_get(r->req, "ScanIndexForward"));
    rc = r->scan ? ddb_scan_bounds(r, &rg, &b, &empty, err) : ddb_query_bounds(r, &rg, &b, err);
    /* begins_with is re-checked on parsed rows, so it keeps the slow path. */
    r->raw = !r->fetch_base && r->x.filter == NULL && r->x.proj == NULL && r->sel != SEL_COUNT &&
             r->kc.range_op != KC_BEGINS_WITH;
    if (rc == 0 && !empty)
        rc = store_ddb_range(c, &rg, ddb_read_row, r, err);
out:
    ddb_bufs_free(&b);
    return rc;
}

/* ---- response ---- */

static json_t *ddb_read_last_key(const ddb_read *r)
{
    json_t *k = ddb_item_key(&r->t, r->last);
    if (r->ix != NULL) {
        json_object_set(k, r->ix->hash, json_object_get(r->last, r->ix->hash));
        if (r->ix->range[0])
            json_object_set(k, r->ix->range, json_object_get(r->last, r->ix->range));
    }
    return k;
}

static json_t *ddb_read_consumed(const ddb_read *r)
{
    bool consistent = json_is_true(json_object_get(r->req, "ConsistentRead"));
    double units = ddb_units(r->bytes, false, consistent);
    json_t *cc = ddb_consumed(r->req, r->t.name, units, false);
    const char *mode = json_string_value(json_object_get(r->req, "ReturnConsumedCapacity"));
    if (cc == NULL || r->ix == NULL || mode == NULL || strcmp(mode, "INDEXES") != 0)
        return cc;
    json_object_set_new(cc, "Table", json_pack("{s:f, s:f}", "CapacityUnits", 0.0,
                                               "ReadCapacityUnits", 0.0));
    json_object_set_new(cc, r->ix->global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes",
                        json_pack("{s:{s:f, s:f}}", r->ix->name, "CapacityUnits", units,
                                  "ReadCapacityUnits", units));
    return cc;
}

static json_t *ddb_read_response(const ddb_read *r)
{
    json_t *out = json_object();
    if (r->sel != SEL_COUNT)
        json_object_set(out, "Items", r->items);
    json_object_set_new(out, "Count", json_integer(r->count));
    json_object_set_new(out, "ScannedCount", json_integer(r->scanned));
    if (r->more && r->last != NULL)
        json_object_set_new(out, "LastEvaluatedKey", ddb_read_last_key(r));
    json_t *cc = ddb_read_consumed(r);
    if (cc != NULL)
        json_object_set_new(out, "ConsumedCapacity", cc);
    return out;
}

static ddb_select ddb_select_of(json_t *req, bool projection)
{
    const char *s = json_string_value(json_object_get(req, "Select"));
    if (s == NULL)
        return projection ? SEL_SPECIFIC
               : json_object_get(req, "IndexName") ? SEL_PROJECTED
                                                   : SEL_ALL;
    return strcmp(s, "COUNT") == 0                      ? SEL_COUNT
           : strcmp(s, "SPECIFIC_ATTRIBUTES") == 0      ? SEL_SPECIFIC
           : strcmp(s, "ALL_PROJECTED_ATTRIBUTES") == 0 ? SEL_PROJECTED
                                                        : SEL_ALL;
}

/* The answer as text: Items spliced from the stored rows on the raw path. */
static char *ddb_read_text(ddb_read *r, err_t *err)
{
    if (r->raw && r->more && r->rawlen > 0) {
        r->last = json_loadb(r->rawbuf + r->last_off, r->last_len, 0, NULL);
        if (r->last == NULL) {
            err_set(err, ERR_INTERNAL, "corrupt item");
            return NULL;
        }
    }
    json_t *out = ddb_read_response(r);
    char *text;
    if (r->raw) {
        json_object_del(out, "Items");
        text = svc_splice(out, "Items", "[", r->rawbuf, r->rawlen, "]");
    } else {
        text = jtext_dump(out, NULL);
        json_decref(out);
    }
    if (text == NULL)
        err_set(err, ERR_INTERNAL, "out of memory");
    return text;
}

static char *ddb_read_execute(emu_t *emu, json_t *req, bool scan, err_t *err)
{
    ddb_read r = {.emu = emu, .req = req, .scan = scan};
    char *out = NULL;
    unsigned which = DDB_X_PROJECTION | DDB_X_FILTER | (scan ? 0u : (unsigned)DDB_X_KEY);
    if (ddb_exprs_parse(req, which, scan ? "ScanFilter" : "QueryFilter", &r.x, err) != 0)
        goto out;
    r.sel = ddb_select_of(req, r.x.proj != NULL);
    r.limit = json_integer_value(json_object_get(req, "Limit"));
    r.items = json_array();
    if (r.items != NULL && store_read(emu->store, ddb_read_run, &r, err) == 0)
        out = ddb_read_text(&r, err);
out:
    ddb_read_free(&r);
    return out;
}

char *ddb_query(emu_t *emu, json_t *req, err_t *err)
{
    return ddb_read_execute(emu, req, false, err);
}

char *ddb_scan(emu_t *emu, json_t *req, err_t *err)
{
    return ddb_read_execute(emu, req, true, err);
}
