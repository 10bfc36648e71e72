/*
 * kin_int.h - for kin*.c and store_kin.c only: the Kinesis model (streams,
 * shards), 128-bit hash-key arithmetic, sequence numbers, iterators, the
 * storage functions and the action entry points.
 *
 * Files: kin.c (dispatch table, start/stop, shared helpers, internal API),
 * kin_hash.c (MD5 routing, u128 decimal, sequence numbers, iterators),
 * kin_stream.c (stream and tag actions), kin_put.c / kin_records.c (put/get),
 * kin_shard.c (resharding), store_kin.c and store_kin_rec.c (SQL).
 */
#ifndef EMU_KIN_INT_H
#define EMU_KIN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "../common/err.h"
#include "emu.h"
#include "kin.h"
#include "store.h"

typedef unsigned __int128 kin_u128;
#define KIN_U128_MAX (~(kin_u128)0)

#define KIN_SEQ_LEN 56                 /* digits of every sequence number */
#define KIN_ITER_TTL_MS 300000         /* iterators expire after 5 minutes */
#define KIN_MAX_RECORD 1048576         /* data + partition key */
#define KIN_MAX_PUT_RECORDS 500
#define KIN_MAX_PUT_BYTES (5 * 1048576)
#define KIN_MAX_GET_BYTES (10 * 1048576)
#define KIN_MAX_GET_LIMIT 10000
#define KIN_SHARD_LIMIT 500            /* open shards per account and region */
#define KIN_DELAY_MS 500               /* CREATING/UPDATING/DELETING with --kinesis-delays */
#define KIN_ON_DEMAND_SHARDS 4
#define KIN_MIN_RETENTION 24
#define KIN_MAX_RETENTION 8760

/* --- clock (kin_hash.c): injectable for tests --- */
extern int64_t (*kin_clock)(void);
int64_t kin_now_ms(void);

/* --- 128-bit hash keys (kin_hash.c) --- */
/* Parse 0|[1-9][0-9]{0,38} below 2^128; -1 when malformed or too large. */
int kin_u128_parse(const char *s, kin_u128 *out);
/* Decimal text of v into buf (KIN_HASH_MAX bytes). */
void kin_u128_format(kin_u128 v, char buf[KIN_HASH_MAX]);
/* MD5 of the partition key, read as a big-endian unsigned 128-bit integer. */
kin_u128 kin_hash_key(const char *pk, size_t len);
/* Shard i of n splitting 0..2^128-1 evenly: start = i*floor(2^128/n),
 * end = next start - 1, the last shard ends at 2^128-1. */
void kin_hash_range(int i, int n, kin_u128 *start, kin_u128 *end);
/* v as n big-endian bytes at p, and back (iterators, record chunks). */
void kin_be_put(unsigned char *p, uint64_t v, int n);
uint64_t kin_be_get(const unsigned char *p, int n);

/* --- sequence numbers (kin_hash.c) ---
 * "49" + 14-digit stream id + 8-digit shard index + 32-digit counter:
 * fixed width, so string order is numeric order. */
void kin_seq_format(int64_t stream_id, int shard_idx, uint64_t counter, char buf[KIN_SEQ_MAX]);
/* -1 when s is not one of ours (wrong length, digits, prefix). */
int kin_seq_parse(const char *s, int64_t *stream_id, int *shard_idx, uint64_t *counter);
/* "shardId-%012d"; kin_shard_id_parse accepts "shardId-N..." or plain digits
 * (as Kinesis does) and returns -1 when malformed. */
void kin_shard_id_format(int idx, char buf[KIN_SHARD_ID_MAX]);
int kin_shard_id_parse(const char *s);

/* --- iterators (kin_hash.c) --- */
typedef struct kin_iter {
    int64_t stream_id;
    int shard_idx;
    uint64_t after;      /* read records whose counter is > after */
    int64_t issued_ms;
} kin_iter;
/* Opaque text (base64 of fields + nonce + MAC); caller frees. */
char *kin_iter_encode(const kin_iter *it);
/* 0, or -1 when malformed or tampered with (expiry is separate). */
int kin_iter_decode(const char *s, kin_iter *out);
bool kin_iter_expired(const kin_iter *it, int64_t now_ms);

/* --- the model --- */
typedef struct kin_shard {
    int idx;
    int parent, adjacent;          /* -1 when none */
    kin_u128 start_hash, end_hash;
    uint64_t start_counter;        /* records have counter > start_counter */
    bool open;
    uint64_t end_counter;          /* closed: records have counter <= end_counter */
    int64_t created_ms, closed_ms;
    bool closed_now;               /* closed by the running action: to be saved */
} kin_shard;

typedef struct kin_stream {
    int64_t id;
    char name[KIN_NAME_MAX];
    char status[16];               /* CREATING, ACTIVE, UPDATING, DELETING */
    char mode[16];                 /* PROVISIONED, ON_DEMAND */
    int retention_hours;
    int64_t created_ms;
    int64_t until_ms;              /* when a transitional status ends */
    uint64_t counter;              /* last record counter handed out */
    int nshards;
    kin_shard *shards;             /* owned; index == shard idx */
} kin_stream;

void kin_stream_free(kin_stream *s);
/* Open shard holding hash h, or NULL. */
const kin_shard *kin_stream_route(const kin_stream *s, kin_u128 h);
int kin_stream_open_shards(const kin_stream *s);

/* --- storage (store_kin.c); inside store_read/store_write jobs --- */
/* 1 when missing. */
int store_kin_stream_load(store_conn *c, const char *account, const char *region,
                          const char *name, kin_stream *out, err_t *err);
int store_kin_stream_load_id(store_conn *c, int64_t id, kin_stream *out, err_t *err);
int store_kin_stream_insert(store_conn *c, const char *account, const char *region,
                            kin_stream *s, err_t *err);
/* Status, mode, retention, until, counter. */
int store_kin_stream_update(store_conn *c, const kin_stream *s, err_t *err);
int store_kin_stream_delete(store_conn *c, int64_t id, err_t *err);
int store_kin_shard_insert(store_conn *c, int64_t stream, const kin_shard *sh, err_t *err);
int store_kin_shard_close(store_conn *c, int64_t stream, const kin_shard *sh, err_t *err);
/* Summaries of streams after `after` ("" = first), at most limit rows: a new
 * array of {name, status, mode, created_ms}. */
json_t *store_kin_stream_list(store_conn *c, const char *account, const char *region,
                              const char *after, int limit, err_t *err);
/* Open shards over the account/region. */
int store_kin_open_shard_total(store_conn *c, const char *account, const char *region,
                               int *total, err_t *err);
/* --- records (store_kin_rec.c) --- */
struct kin_put;
/* Store v[0..n) (records of one shard, counters assigned and growing) as
 * one chunk arriving at arrival_ms. */
int store_kin_chunk_insert(store_conn *c, int64_t stream, int shard, int64_t arrival_ms,
                           struct kin_put *const *v, size_t n, err_t *err);
/* Records of (stream, shard) with counter > after, arrival >= min_arrival, in
 * order, at most limit and about max_bytes (the first always fits); fn gets
 * each row and returns 0 to go on. */
typedef int (*store_kin_row_fn)(void *arg, uint64_t counter, int64_t arrival_ms,
                                const char *pk, const void *data, size_t len);
int store_kin_records(store_conn *c, int64_t stream, int shard, uint64_t after,
                      int64_t min_arrival, size_t limit, size_t max_bytes,
                      store_kin_row_fn fn, void *arg, err_t *err);
/* Smallest counter of (stream, shard) with arrival >= ts; 0 when none. */
int store_kin_first_at(store_conn *c, int64_t stream, int shard, int64_t ts, uint64_t *counter,
                       err_t *err);
/* Newest record of (stream, shard): counter (0 = none) and arrival. */
int store_kin_newest(store_conn *c, int64_t stream, int shard, uint64_t *counter,
                     int64_t *arrival, err_t *err);
/* Delete records of stream older than before_ms. */
int store_kin_trim(store_conn *c, int64_t stream, int64_t before_ms, err_t *err);
/* Every stream as {id, status, until_ms, retention_hours} (new array). */
json_t *store_kin_stream_all(store_conn *c, err_t *err);
/* Tags: a new object key -> value. */
json_t *store_kin_tags(store_conn *c, int64_t stream, err_t *err);
int store_kin_tag_put(store_conn *c, int64_t stream, const char *key, const char *value,
                      err_t *err);
int store_kin_tag_delete(store_conn *c, int64_t stream, const char *key, err_t *err);

/* --- shared action helpers (kin.c) --- */
/* The stream named by StreamName or StreamARN of req into name. */
int kin_req_stream_name(emu_t *emu, json_t *req, char name[KIN_NAME_MAX], err_t *err);
/* Shape checks shared by validators: StreamName/StreamARN present and well formed. */
int kin_check_stream_ref(json_t *req, err_t *err);
int kin_check_name(json_t *req, const char *member, const char *field, err_t *err);
/* s is a decimal without leading zeros of 1..maxlen digits (kin_put.c). */
bool kin_digits_ok(const char *s, size_t maxlen);
int kin_check_int(json_t *req, const char *member, const char *field, long lo, long hi,
                  bool required, err_t *err);
int kin_check_string(json_t *req, const char *member, const char *field, size_t lo, size_t hi,
                     bool required, err_t *err);
/* Load a stream in a job; ResourceNotFoundException when missing (or past
 * its DELETING delay).  Transitional states that have ended read ACTIVE. */
int kin_stream_get(emu_t *emu, store_conn *c, const char *name, kin_stream *s, err_t *err);
/* ResourceInUseException unless ACTIVE (or UPDATING when allow_updating). */
int kin_stream_need_active(emu_t *emu, const kin_stream *s, bool allow_updating, err_t *err);
void kin_stream_arn(const emu_t *emu, const char *name, char buf[KIN_ARN_MAX]);
/* One action's work as a store job: fn reads j->req (and j->name, the
 * stream named by StreamName/StreamARN when `named`) and sets j->out (a new
 * value; NULL means {}).  kin_job_run returns j->out, and wakes record
 * waiters after a successful write when fn set j->notify. */
typedef struct kin_job {
    emu_t *emu;
    json_t *req;
    char name[KIN_NAME_MAX];
    json_t *out;
    bool notify;
    void *ctx;                     /* action-specific */
} kin_job;
json_t *kin_job_run(emu_t *emu, json_t *req, store_fn fn, void *ctx, bool write, bool named,
                    err_t *err);
/* Epoch seconds as a JSON number. */
json_t *kin_time_json(int64_t ms);
/* Wake kin_wait_for_records waiters. */
void kin_notify(emu_t *emu);
/* Fault injection / limits (kin.c). */
bool kin_inject_fault(emu_t *emu);
int kin_limit_write(emu_t *emu, const kin_stream *s, const kin_shard *sh, size_t bytes,
                    err_t *err);
int kin_limit_read(emu_t *emu, const kin_stream *s, int shard_idx, err_t *err);
/* Rate exceeded message for a shard. */
void kin_throttle_msg(emu_t *emu, const char *stream, int shard_idx, char *buf, size_t len);
/* Shard JSON as in DescribeStream/ListShards. */
json_t *kin_shard_json(const kin_stream *s, const kin_shard *sh);

/* --- puts (kin_put.c), shared with the PutRecords scanner (kin_fast.c) --- */
typedef struct kin_put {
    const char *pk;            /* borrowed from the request (JSON or body text) */
    size_t pk_len;
    unsigned char *data;       /* owned */
    size_t len;
    kin_u128 hash;
    bool throttled;            /* fault injection or limits */
    int shard;                 /* result */
    uint64_t counter;
    char msg[256];             /* per-entry error message when throttled */
} kin_put;

typedef struct kin_puts {
    kin_put *v;
    size_t n;
    bool whole;                /* PutRecord: a throttle fails the call */
    int64_t stream_id;
} kin_puts;

/* One entry: decode b64 (Data), check the record's size, hash pk (or
 * take ehk, ExplicitHashKey, NUL-terminated, NULL when absent).  pk must
 * outlive p; total accumulates the request size. */
int kin_put_entry(const char *pk, size_t pk_len, const char *b64, size_t b64_len,
                  const char *ehk, kin_put *p, size_t *total, err_t *err);
/* Store prepared entries (the 5 MB check first) and build PutRecords'
 * response; req names the stream.  ps stays the caller's. */
char *kin_put_records_run(emu_t *emu, json_t *req, kin_puts *ps, size_t total, err_t *err);
void kin_puts_free(kin_puts *ps);

/* PutRecords straight from the body (kin_fast.c); see svc_fast_fn. */
int kin_put_records_fast(emu_t *emu, const char *body, size_t len, json_t **req, char **out,
                         err_t *err);

/* Action entry points: validate (shape only) and execute. */
#define KIN_ACTION(name) \
    int kin_##name##_validate(json_t *req, err_t *err); \
    json_t *kin_##name(emu_t *emu, json_t *req, err_t *err);
KIN_ACTION(create_stream) KIN_ACTION(delete_stream) KIN_ACTION(describe_stream)
KIN_ACTION(describe_stream_summary) KIN_ACTION(list_streams) KIN_ACTION(list_shards)
KIN_ACTION(increase_retention) KIN_ACTION(decrease_retention) KIN_ACTION(add_tags)
KIN_ACTION(list_tags) KIN_ACTION(remove_tags) KIN_ACTION(update_stream_mode)
KIN_ACTION(describe_limits)
KIN_ACTION(put_record) KIN_ACTION(get_shard_iterator)
KIN_ACTION(update_shard_count) KIN_ACTION(split_shard) KIN_ACTION(merge_shards)
#undef KIN_ACTION
/* PutRecords and GetRecords answer with ready JSON text: record data goes
 * out as base64 written straight into the body, not through a JSON tree,
 * and PutRecords' 500 results are cheaper written than built. */
int kin_put_records_validate(json_t *req, err_t *err);
char *kin_put_records(emu_t *emu, json_t *req, err_t *err);
int kin_get_records_validate(json_t *req, err_t *err);
char *kin_get_records(emu_t *emu, json_t *req, err_t *err);

#endif
