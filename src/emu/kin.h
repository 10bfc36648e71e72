/*
 * kin.h - Kinesis Data Streams: the HTTP entry point, start/stop, and the
 * internal C API other modules (the Lambda event source mapping) use to
 * read streams without going through HTTP.
 *
 * Owned by the Kinesis module (kin*.c, store_kin.c).  This interface is
 * stable: additions only.
 *
 * Model: a stream has shards identified by "shardId-%012d"; every record
 * gets a number from a persisted per-stream counter, and its sequence
 * number is a fixed-width (56-digit) decimal string, so string order ==
 * numeric order, strictly increasing per shard and across restarts.
 *
 * Thread safety: every function here may be called from any thread.
 * Ownership: out-structs are filled by the callee and released with the
 * matching _free function (caller frees); input strings are borrowed.
 */
#ifndef EMU_KIN_H
#define EMU_KIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "emu.h"
#include "http.h"

#define KIN_SEQ_MAX 64        /* sequence number text incl. NUL */
#define KIN_SHARD_ID_MAX 24   /* "shardId-000000000000" incl. NUL */
#define KIN_NAME_MAX 129      /* stream name incl. NUL */
#define KIN_ARN_MAX 320
#define KIN_HASH_MAX 40       /* decimal 128-bit hash key incl. NUL */

/* --- HTTP and lifecycle (route.c, main.c) --- */

/* Serve one Kinesis_20131202.* request. */
void kin_http_handle(emu_t *emu, http_req *req, http_resp *resp);
/* Allocate emu->kin and start the background thread (retention trimming,
 * CREATING/DELETING transitions); call after store_open.  0 / -1. */
int kin_start(emu_t *emu);
/* Stop the thread and free emu->kin; call before store_close, and after
 * every in-process consumer (the Lambda ESM) has stopped calling this API. */
void kin_stop(emu_t *emu);

/* --- stream look-up --- */

typedef struct kin_shard_info {
    char shard_id[KIN_SHARD_ID_MAX];
    char parent[KIN_SHARD_ID_MAX];           /* "" when none */
    char adjacent_parent[KIN_SHARD_ID_MAX];  /* "" when none (merges only) */
    bool open;                               /* false once split/merged */
    char starting_hash[KIN_HASH_MAX];
    char ending_hash[KIN_HASH_MAX];
    char starting_seq[KIN_SEQ_MAX];
    char ending_seq[KIN_SEQ_MAX];            /* "" while open */
} kin_shard_info;

typedef struct kin_stream_info {
    char name[KIN_NAME_MAX];
    char arn[KIN_ARN_MAX];
    char status[16];             /* CREATING, ACTIVE, UPDATING, DELETING */
    int retention_hours;
    int64_t created_ms;
    int nshards;
    kin_shard_info *shards;      /* owned, in shard-id order, untrimmed ones */
} kin_stream_info;

/* Find a stream by name or by ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)
 * in emu's account.  Fails with ERR_KIN_RESOURCE_NOT_FOUND ("Stream NAME
 * under account ACCOUNT not found.").  Caller frees with
 * kin_stream_info_free. */
int kin_stream_lookup(emu_t *emu, const char *name_or_arn, kin_stream_info *out,
                      err_t *err);
void kin_stream_info_free(kin_stream_info *s);

/* --- reading a shard --- */

typedef enum {
    KIN_POS_TRIM_HORIZON,        /* oldest untrimmed record */
    KIN_POS_LATEST,              /* only records written after the read */
    KIN_POS_AT_TIMESTAMP,        /* first record with arrival >= timestamp_ms */
    KIN_POS_AT_SEQUENCE,         /* the record with sequence number seq, and on */
    KIN_POS_AFTER_SEQUENCE,      /* records strictly after seq */
} kin_pos_type;

typedef struct kin_position {
    kin_pos_type type;
    char seq[KIN_SEQ_MAX];       /* AT_/AFTER_SEQUENCE */
    int64_t timestamp_ms;        /* AT_TIMESTAMP (epoch ms) */
} kin_position;

typedef struct kin_record {
    char seq[KIN_SEQ_MAX];
    char *partition_key;         /* owned, UTF-8 */
    unsigned char *data;         /* owned; data_len bytes (may be 0) */
    size_t data_len;
    int64_t arrival_ms;          /* ApproximateArrivalTimestamp, epoch ms */
} kin_record;

typedef struct kin_batch {
    kin_record *records;         /* owned, in sequence order */
    size_t n;
    /* Where to continue: always an AFTER_SEQUENCE position (also when no
     * record was returned, e.g. after LATEST), so repeated reads never go
     * backwards and never skip. */
    kin_position next;
    char newest_seq[KIN_SEQ_MAX];  /* newest record of the shard, "" if none */
    int64_t millis_behind;       /* newest arrival - last returned arrival, 0 caught up */
    bool shard_open;
    bool end_of_shard;           /* closed shard fully read: move to its children */
} kin_batch;

/* Read up to max_records records (>= 1) and about max_bytes bytes of data
 * (at least one record is returned if one exists) from shard_id of the
 * stream named name_or_arn, starting at *from.  Reads are a consistent
 * snapshot of committed (durable) writes.  Errors: ERR_KIN_RESOURCE_NOT_FOUND
 * (stream or shard), ERR_KIN_INVALID_ARGUMENT (sequence number of another
 * shard or malformed).  Caller frees with kin_batch_free. */
int kin_read_shard(emu_t *emu, const char *name_or_arn, const char *shard_id,
                   const kin_position *from, size_t max_records, size_t max_bytes,
                   kin_batch *out, err_t *err);
void kin_batch_free(kin_batch *b);

/* --- waiting for new records --- */

/* A counter bumped (and waiters woken) after every committed PutRecord(s),
 * resharding or stream deletion. */
uint64_t kin_generation(emu_t *emu);
/* Block until the generation differs from `seen` or timeout_ms passes;
 * returns the current generation.  Usage:
 *     uint64_t g = kin_generation(emu);
 *     for (;;) { read shards...; g = kin_wait_for_records(emu, g, 100); }
 * Returns at once when kin_stop has begun. */
uint64_t kin_wait_for_records(emu_t *emu, uint64_t seen, int timeout_ms);

#endif
