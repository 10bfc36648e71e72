/*
 * store_lam.c - Lambda's tables in SQLite: event source mappings and
 * their per-shard checkpoints.
 *
 * lam_esm: one row per mapping; `config` is the EventSourceMappingConfiguration
 * JSON as the API returns it (State/LastProcessingResult included), so a
 * restart restores mappings unchanged.
 * lam_checkpoint: the sequence number of the last record each shard of a
 * mapping processed successfully (or discarded); written only after the
 * function's success, so it survives restarts and Enabled toggling.
 * Entry points are declared in lam_int.h; all run inside store_read/write.
 */
#include "lam_int.h"
#include "store_int.h"

#include <stdio.h>
#include <string.h>

const char store_schema_lam[] =
    "CREATE TABLE IF NOT EXISTS lam_esm("
    "  uuid TEXT PRIMARY KEY, config TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS lam_checkpoint("
    "  uuid TEXT NOT NULL, shard TEXT NOT NULL, seq TEXT NOT NULL,"
    "  PRIMARY KEY(uuid, shard)) WITHOUT ROWID;";

int store_lam_esm_put(store_conn *c, const char *uuid, const char *config, err_t *err)
{
    sqlite3_stmt *st = store_stmt(
        c, "INSERT INTO lam_esm(uuid, config) VALUES (?1, ?2) "
           "ON CONFLICT(uuid) DO UPDATE SET config = excluded.config", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, config, -1, SQLITE_STATIC);
    return store_done(c, st, err);
}

int store_lam_esm_delete(store_conn *c, const char *uuid, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c, "DELETE FROM lam_esm WHERE uuid = ?1", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    if (store_done(c, st, err) != 0)
        return -1;
    st = store_stmt(c, "DELETE FROM lam_checkpoint WHERE uuid = ?1", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    return store_done(c, st, err);
}

int store_lam_esm_each(store_conn *c, store_lam_row_fn fn, void *arg, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c, "SELECT uuid, config FROM lam_esm ORDER BY rowid", err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(arg, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1)) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(c, err);
    sqlite3_reset(st);
    return 0;
}

int store_lam_checkpoint_get(store_conn *c, const char *uuid, const char *shard, char *seq,
                             size_t cap, err_t *err)
{
    sqlite3_stmt *st = store_stmt(
        c, "SELECT seq FROM lam_checkpoint WHERE uuid = ?1 AND shard = ?2", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, shard, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return store_fail(c, err);
    snprintf(seq, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return 1;
}

int store_lam_checkpoint_put(store_conn *c, const char *uuid, const char *shard,
                             const char *seq, err_t *err)
{
    /* Only for a mapping that still exists: a poller finishing after a
     * delete must not resurrect its checkpoint. */
    sqlite3_stmt *st = store_stmt(
        c, "INSERT INTO lam_checkpoint(uuid, shard, seq) "
           "SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM lam_esm WHERE uuid = ?1) "
           "ON CONFLICT(uuid, shard) DO UPDATE SET seq = excluded.seq", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, shard, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, seq, -1, SQLITE_STATIC);
    return store_done(c, st, err);
}
