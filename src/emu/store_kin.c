/*
 * store_kin.c - Kinesis SQL: streams, shards, tags (records: store_kin_rec.c).
 *
 * Every function runs inside a store_read/store_write job (see store.h) and
 * binds all values; stream names are data, never SQL.  Hash keys are kept
 * as decimal text, counters as INTEGER (they stay below 2^63).
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kin_int.h"

const char store_schema_kin[] =
    "CREATE TABLE IF NOT EXISTS kin_stream ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
    "  status TEXT NOT NULL, mode TEXT NOT NULL, retention_hours INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL, until_ms INTEGER NOT NULL DEFAULT 0,"
    "  counter INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (account, region, name));"
    "CREATE TABLE IF NOT EXISTS kin_shard ("
    "  stream INTEGER NOT NULL, idx INTEGER NOT NULL,"
    "  parent INTEGER NOT NULL, adjacent INTEGER NOT NULL,"
    "  start_hash TEXT NOT NULL, end_hash TEXT NOT NULL,"
    "  start_counter INTEGER NOT NULL, end_counter INTEGER,"  /* NULL while open */
    "  created_ms INTEGER NOT NULL, closed_ms INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (stream, idx)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS kin_tag ("
    "  stream INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    "  PRIMARY KEY (stream, key)) WITHOUT ROWID;";

static int store_kin_shards_load(store_conn *c, kin_stream *s, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "SELECT idx, parent, adjacent, start_hash, end_hash, start_counter, end_counter,"
        " created_ms, closed_ms FROM kin_shard WHERE stream = ?1 ORDER BY idx", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, s->id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->nshards == cap) {
            cap = cap ? cap * 2 : 8;
            kin_shard *n = realloc(s->shards, (size_t)cap * sizeof *n);
            if (n == NULL)
                return err_set(err, ERR_INTERNAL, "out of memory");
            s->shards = n;
        }
        kin_shard *sh = &s->shards[s->nshards++];
        memset(sh, 0, sizeof *sh);
        sh->idx = sqlite3_column_int(st, 0);
        sh->parent = sqlite3_column_int(st, 1);
        sh->adjacent = sqlite3_column_int(st, 2);
        if (kin_u128_parse((const char *)sqlite3_column_text(st, 3), &sh->start_hash) != 0 ||
            kin_u128_parse((const char *)sqlite3_column_text(st, 4), &sh->end_hash) != 0)
            return err_set(err, ERR_INTERNAL, "corrupt shard hash range");
        sh->start_counter = (uint64_t)sqlite3_column_int64(st, 5);
        sh->open = sqlite3_column_type(st, 6) == SQLITE_NULL;
        sh->end_counter = (uint64_t)sqlite3_column_int64(st, 6);
        sh->created_ms = sqlite3_column_int64(st, 7);
        sh->closed_ms = sqlite3_column_int64(st, 8);
        if (sh->idx != s->nshards - 1)
            return err_set(err, ERR_INTERNAL, "corrupt shard numbering");
    }
    if (rc != SQLITE_DONE)
        return store_fail(c, err);
    return 0;
}

static int store_kin_stream_row(store_conn *c, sqlite3_stmt *st, kin_stream *out, err_t *err)
{
    int rc = sqlite3_step(st);
    memset(out, 0, sizeof *out);
    if (rc == SQLITE_DONE)
        return 1;
    if (rc != SQLITE_ROW)
        return store_fail(c, err);
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    snprintf(out->name, sizeof out->name, "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(out->status, sizeof out->status, "%s", (const char *)sqlite3_column_text(st, 2));
    snprintf(out->mode, sizeof out->mode, "%s", (const char *)sqlite3_column_text(st, 3));
    out->retention_hours = sqlite3_column_int(st, 4);
    out->created_ms = sqlite3_column_int64(st, 5);
    out->until_ms = sqlite3_column_int64(st, 6);
    out->counter = (uint64_t)sqlite3_column_int64(st, 7);
    sqlite3_reset(st);
    if (store_kin_shards_load(c, out, err) != 0) {
        kin_stream_free(out);
        return -1;
    }
    return 0;
}

int store_kin_stream_load(store_conn *c, const char *account, const char *region,
                          const char *name, kin_stream *out, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "SELECT id, name, status, mode, retention_hours, created_ms, until_ms, counter"
        " FROM kin_stream WHERE account = ?1 AND region = ?2 AND name = ?3", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    return store_kin_stream_row(c, st, out, err);
}

int store_kin_stream_load_id(store_conn *c, int64_t id, kin_stream *out, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "SELECT id, name, status, mode, retention_hours, created_ms, until_ms, counter"
        " FROM kin_stream WHERE id = ?1", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    return store_kin_stream_row(c, st, out, err);
}

int store_kin_stream_insert(store_conn *c, const char *account, const char *region,
                            kin_stream *s, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "INSERT INTO kin_stream (account, region, name, status, mode, retention_hours,"
        " created_ms, until_ms, counter) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, s->mode, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, s->retention_hours);
    sqlite3_bind_int64(st, 7, s->created_ms);
    sqlite3_bind_int64(st, 8, s->until_ms);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)s->counter);
    if (store_done(c, st, err) != 0)
        return -1;
    s->id = sqlite3_last_insert_rowid(c->db);
    for (int i = 0; i < s->nshards; i++)
        if (store_kin_shard_insert(c, s->id, &s->shards[i], err) != 0)
            return -1;
    return 0;
}

int store_kin_stream_update(store_conn *c, const kin_stream *s, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "UPDATE kin_stream SET status = ?2, mode = ?3, retention_hours = ?4, until_ms = ?5,"
        " counter = ?6 WHERE id = ?1", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, s->id);
    sqlite3_bind_text(st, 2, s->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->mode, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, s->retention_hours);
    sqlite3_bind_int64(st, 5, s->until_ms);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)s->counter);
    return store_done(c, st, err);
}

int store_kin_stream_delete(store_conn *c, int64_t id, err_t *err)
{
    static const char *const sqls[] = {
        "DELETE FROM kin_chunk WHERE stream = ?1",
        "DELETE FROM kin_shard WHERE stream = ?1",
        "DELETE FROM kin_tag WHERE stream = ?1",
        "DELETE FROM kin_stream WHERE id = ?1",
    };
    for (size_t i = 0; i < sizeof sqls / sizeof *sqls; i++) {
        sqlite3_stmt *st = store_stmt(c, sqls[i], err);
        if (st == NULL)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        if (store_done(c, st, err) != 0)
            return -1;
    }
    return 0;
}

int store_kin_shard_insert(store_conn *c, int64_t stream, const kin_shard *sh, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "INSERT INTO kin_shard (stream, idx, parent, adjacent, start_hash, end_hash,"
        " start_counter, end_counter, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
        err);
    if (st == NULL)
        return -1;
    char a[KIN_HASH_MAX], b[KIN_HASH_MAX];
    kin_u128_format(sh->start_hash, a);
    kin_u128_format(sh->end_hash, b);
    sqlite3_bind_int64(st, 1, stream);
    sqlite3_bind_int(st, 2, sh->idx);
    sqlite3_bind_int(st, 3, sh->parent);
    sqlite3_bind_int(st, 4, sh->adjacent);
    sqlite3_bind_text(st, 5, a, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, b, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)sh->start_counter);
    sqlite3_bind_int64(st, 8, sh->created_ms);
    return store_done(c, st, err);
}

int store_kin_shard_close(store_conn *c, int64_t stream, const kin_shard *sh, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "UPDATE kin_shard SET end_counter = ?3, closed_ms = ?4 WHERE stream = ?1 AND idx = ?2",
        err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, stream);
    sqlite3_bind_int(st, 2, sh->idx);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)sh->end_counter);
    sqlite3_bind_int64(st, 4, sh->closed_ms);
    return store_done(c, st, err);
}

json_t *store_kin_stream_list(store_conn *c, const char *account, const char *region,
                              const char *after, int limit, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "SELECT name, status, mode, created_ms, until_ms FROM kin_stream"
        " WHERE account = ?1 AND region = ?2 AND name > ?3 ORDER BY name LIMIT ?4", err);
    if (st == NULL)
        return NULL;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, after, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, limit);
    json_t *out = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:I, s:I}",
            "name", (const char *)sqlite3_column_text(st, 0),
            "status", (const char *)sqlite3_column_text(st, 1),
            "mode", (const char *)sqlite3_column_text(st, 2),
            "created_ms", (json_int_t)sqlite3_column_int64(st, 3),
            "until_ms", (json_int_t)sqlite3_column_int64(st, 4)));
    if (rc != SQLITE_DONE) {
        json_decref(out);
        store_fail(c, err);
        return NULL;
    }
    return out;
}

int store_kin_open_shard_total(store_conn *c, const char *account, const char *region,
                               int *total, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "SELECT count(*) FROM kin_shard JOIN kin_stream ON kin_stream.id = kin_shard.stream"
        " WHERE account = ?1 AND region = ?2 AND end_counter IS NULL", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(c, err);
    *total = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return 0;
}

json_t *store_kin_stream_all(store_conn *c, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "SELECT id, status, until_ms, retention_hours FROM kin_stream", err);
    if (st == NULL)
        return NULL;
    json_t *out = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(out, json_pack("{s:I, s:s, s:I, s:i}",
            "id", (json_int_t)sqlite3_column_int64(st, 0),
            "status", (const char *)sqlite3_column_text(st, 1),
            "until_ms", (json_int_t)sqlite3_column_int64(st, 2),
            "retention_hours", sqlite3_column_int(st, 3)));
    if (rc != SQLITE_DONE) {
        json_decref(out);
        store_fail(c, err);
        return NULL;
    }
    return out;
}

json_t *store_kin_tags(store_conn *c, int64_t stream, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "SELECT key, value FROM kin_tag WHERE stream = ?1 ORDER BY key", err);
    if (st == NULL)
        return NULL;
    sqlite3_bind_int64(st, 1, stream);
    json_t *out = json_object();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_object_set_new(out, (const char *)sqlite3_column_text(st, 0),
                            json_string((const char *)sqlite3_column_text(st, 1)));
    if (rc != SQLITE_DONE) {
        json_decref(out);
        store_fail(c, err);
        return NULL;
    }
    return out;
}

int store_kin_tag_put(store_conn *c, int64_t stream, const char *key, const char *value,
                      err_t *err)
{
    sqlite3_stmt *st = store_stmt(c,
        "INSERT OR REPLACE INTO kin_tag (stream, key, value) VALUES (?1, ?2, ?3)", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, stream);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    return store_done(c, st, err);
}

int store_kin_tag_delete(store_conn *c, int64_t stream, const char *key, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c, "DELETE FROM kin_tag WHERE stream = ?1 AND key = ?2", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, stream);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    return store_done(c, st, err);
}
