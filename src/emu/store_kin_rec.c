/*
 * store_kin_rec.c - Kinesis records in SQLite: stored as chunks.
 *
 * A chunk is the records of one shard from one write (a PutRecord or the
 * part of a PutRecords routed to that shard), in counter order, packed in
 * one blob.  A row and two index entries per record made the writer
 * thread the bottleneck of PutRecords: about half of its time went to
 * per-row B-tree work.  Records of one write share their arrival time, so
 * retention and AT_TIMESTAMP work on whole chunks exactly as on records.
 *
 * Blob layout, per record: counter (8 bytes), partition key length (4),
 * data length (4), all big-endian; the key, a NUL (readers get a C
 * string); the data.  Counters grow within a chunk and chunks of a shard
 * cover disjoint ranges, so (stream, shard, last_seq) orders them.
 *
 * Entry points: store_kin_chunk_insert, store_kin_records,
 * store_kin_first_at, store_kin_newest, store_kin_trim (kin_int.h), and
 * store_upgrade_kin_v4 for files of layout 3 (store.c).
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "kin_int.h"

#define KIN_REC_HEAD 16

const char store_schema_kin_rec[] =
    "CREATE TABLE IF NOT EXISTS kin_chunk ("
    "  stream INTEGER NOT NULL, shard INTEGER NOT NULL,"
    "  first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,"
    "  arrival_ms INTEGER NOT NULL, body BLOB NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS kin_chunk_seq ON kin_chunk (stream, shard, last_seq);"
    "CREATE INDEX IF NOT EXISTS kin_chunk_time ON kin_chunk (stream, arrival_ms);";

/* Append one record to a chunk blob at p; returns the bytes written. */
static size_t kin_rec_pack(unsigned char *p, uint64_t counter, const char *pk, size_t pk_len,
                           const unsigned char *data, size_t len)
{
    kin_be_put(p, counter, 8);
    kin_be_put(p + 8, pk_len, 4);
    kin_be_put(p + 12, len, 4);
    memcpy(p + KIN_REC_HEAD, pk, pk_len);
    p[KIN_REC_HEAD + pk_len] = '\0';
    if (len > 0)
        memcpy(p + KIN_REC_HEAD + pk_len + 1, data, len);
    return KIN_REC_HEAD + pk_len + 1 + len;
}

static int kin_chunk_write(store_conn *c, int64_t stream, int shard, uint64_t first,
                           uint64_t last, int64_t arrival_ms, const void *body, size_t len,
                           err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "INSERT INTO kin_chunk (stream, shard, first_seq, last_seq, arrival_ms, body)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, stream);
    sqlite3_bind_int(st, 2, shard);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)first);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)last);
    sqlite3_bind_int64(st, 5, arrival_ms);
    sqlite3_bind_blob64(st, 6, body, len, SQLITE_STATIC);
    return store_done(c, st, err);
}

int store_kin_chunk_insert(store_conn *c, int64_t stream, int shard, int64_t arrival_ms,
                           kin_put *const *v, size_t n, err_t *err)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += KIN_REC_HEAD + v[i]->pk_len + 1 + v[i]->len;
    unsigned char *body = malloc(len ? len : 1);
    if (body == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        at += kin_rec_pack(body + at, v[i]->counter, v[i]->pk, v[i]->pk_len, v[i]->data,
                           v[i]->len);
    int rc = kin_chunk_write(c, stream, shard, v[0]->counter, v[n - 1]->counter, arrival_ms,
                             body, len, err);
    free(body);
    return rc;
}

/* Walk the records of one chunk blob: those with counter > after go to fn
 * while the limits allow.  Returns 1 once a limit is reached, 0 to go on
 * with the next chunk, -1 on a damaged blob or when fn fails. */
typedef struct kin_rec_walk {
    uint64_t after;
    size_t limit, max_bytes, n, bytes;
    store_kin_row_fn fn;
    void *arg;
} kin_rec_walk;

static int kin_chunk_walk(kin_rec_walk *w, int64_t arrival, const unsigned char *p,
                          size_t len, err_t *err)
{
    const unsigned char *end = p + len;
    while (p < end) {
        if ((size_t)(end - p) < KIN_REC_HEAD)
            goto damaged;
        uint64_t counter = kin_be_get(p, 8);
        size_t pk_len = (size_t)kin_be_get(p + 8, 4);
        size_t dlen = (size_t)kin_be_get(p + 12, 4);
        if ((size_t)(end - p) - KIN_REC_HEAD < pk_len + 1 + dlen ||
            p[KIN_REC_HEAD + pk_len] != '\0')
            goto damaged;
        const char *pk = (const char *)p + KIN_REC_HEAD;
        const unsigned char *data = p + KIN_REC_HEAD + pk_len + 1;
        p = data + dlen;
        if (counter <= w->after)
            continue;
        /* The first record always fits, as in GetRecords. */
        size_t sz = dlen + strlen(pk);
        if (w->n > 0 && w->bytes + sz > w->max_bytes)
            return 1;
        w->bytes += sz;
        w->n++;
        if (w->fn(w->arg, counter, arrival, pk, data, dlen) != 0)
            return err_set(err, ERR_INTERNAL, "out of memory");
        if (w->n == w->limit)
            return 1;
    }
    return 0;
damaged:
    return err_set(err, ERR_INTERNAL, "storage error: a record chunk is damaged");
}

int store_kin_records(store_conn *c, int64_t stream, int shard, uint64_t after,
                      int64_t min_arrival, size_t limit, size_t max_bytes,
                      store_kin_row_fn fn, void *arg, err_t *err)
{
    /* Each chunk holds at least one record: `limit` chunks are enough. */
    sqlite3_stmt *st = store_stmt(c,
        "SELECT arrival_ms, body FROM kin_chunk"
        " WHERE stream = ?1 AND shard = ?2 AND last_seq > ?3 AND arrival_ms >= ?4"
        " ORDER BY last_seq LIMIT ?5", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, stream);
    sqlite3_bind_int(st, 2, shard);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)after);
    sqlite3_bind_int64(st, 4, min_arrival);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)limit);
    kin_rec_walk w = {.after = after, .limit = limit, .max_bytes = max_bytes, .fn = fn,
                      .arg = arg};
    int rc, wrc = 0;
    while (wrc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        wrc = kin_chunk_walk(&w, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
                             (size_t)sqlite3_column_bytes(st, 1), err);
    if (wrc < 0) {
        sqlite3_reset(st);
        return -1;
    }
    if (wrc == 0 && rc != SQLITE_DONE)
        return store_fail(c, err);
    sqlite3_reset(st);
    return 0;
}

int store_kin_first_at(store_conn *c, int64_t stream, int shard, int64_t ts, uint64_t *counter,
                       err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "SELECT min(first_seq) FROM kin_chunk"
        " WHERE stream = ?1 AND arrival_ms >= ?3 AND shard = ?2", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, stream);
    sqlite3_bind_int(st, 2, shard);
    sqlite3_bind_int64(st, 3, ts);
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(c, err);
    *counter = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int store_kin_newest(store_conn *c, int64_t stream, int shard, uint64_t *counter,
                     int64_t *arrival, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "SELECT last_seq, arrival_ms FROM kin_chunk WHERE stream = ?1 AND shard = ?2"
        " ORDER BY last_seq DESC LIMIT 1", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, stream);
    sqlite3_bind_int(st, 2, shard);
    int rc = sqlite3_step(st);
    *counter = 0;
    *arrival = 0;
    if (rc == SQLITE_ROW) {
        *counter = (uint64_t)sqlite3_column_int64(st, 0);
        *arrival = sqlite3_column_int64(st, 1);
    } else if (rc != SQLITE_DONE) {
        return store_fail(c, err);
    }
    sqlite3_reset(st);
    return 0;
}

int store_kin_trim(store_conn *c, int64_t stream, int64_t before_ms, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "DELETE FROM kin_chunk WHERE stream = ?1 AND arrival_ms < ?2", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, stream);
    sqlite3_bind_int64(st, 2, before_ms);
    return store_done(c, st, err);
}

/* Layout 3 -> 4: every kin_record row becomes a chunk of one record (the
 * grouping of old writes is not known, and one-record chunks read the
 * same).  Runs inside store_migrate's transaction. */
int store_upgrade_kin_v4(store_conn *c, err_t *err)
{
    int rc = -1;
    unsigned char *body = NULL;
    sqlite3_stmt *st = NULL;
    if (store_exec(c, store_schema_kin_rec, err) != 0)
        goto out;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT stream, shard, seq, arrival_ms, pkey, data FROM kin_record",
                           -1, &st, NULL) != SQLITE_OK) {
        store_fail(c, err);
        goto out;
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 2);
        const char *pk = (const char *)sqlite3_column_text(st, 4);
        size_t pk_len = (size_t)sqlite3_column_bytes(st, 4);
        const unsigned char *data = sqlite3_column_blob(st, 5);
        size_t len = (size_t)sqlite3_column_bytes(st, 5);
        unsigned char *b = realloc(body, KIN_REC_HEAD + pk_len + 1 + len);
        if (b == NULL) {
            err_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        body = b;
        size_t n = kin_rec_pack(body, seq, pk ? pk : "", pk_len, data, len);
        if (kin_chunk_write(c, sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1), seq, seq,
                            sqlite3_column_int64(st, 3), body, n, err) != 0)
            goto out;
    }
    if (step != SQLITE_DONE) {
        store_fail(c, err);
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (store_exec(c, "DROP TABLE kin_record", err) != 0)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(st);
    free(body);
    return rc;
}
