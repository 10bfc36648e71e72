/*
 * store_int.h - for store*.c only: the connection type and the statement
 * cache.  The single place (with store.c) that exposes sqlite3.h.
 */
#ifndef EMU_STORE_INT_H
#define EMU_STORE_INT_H

#include <sqlite3.h>
#include "store.h"

#define STORE_STMT_SLOTS 256
#define STORE_DELTAS 16

struct store_conn {
    sqlite3 *db;
    struct store *store;
    /* Prepared statements cached by the address of their SQL text, which
     * is always a string literal: open addressing on the pointer. */
    struct { const char *sql; sqlite3_stmt *stmt; } stmts[STORE_STMT_SLOTS];
    /* Catalog caches (table descriptions) of this connection: valid while
     * catalog_gen equals the store's; a job that changes the catalog sets
     * catalog_dirty and invalidates its own entries (store_ddb.c). */
    struct store_ddb_cache *ddb_cache;
    unsigned long catalog_gen;
    bool catalog_dirty;
    /* Writer only: DynamoDB tables' item-count and size deltas of the
     * current job and of the committed-to-be batch, written once per
     * commit instead of an UPDATE per item (store_ddb.c). */
    struct store_delta { int64_t tbl, items, bytes; } job_delta[STORE_DELTAS],
        batch_delta[STORE_DELTAS];
    int njob_delta, nbatch_delta;
};

/* End of a write job on the writer (store.c calls it after RELEASE, ok,
 * or ROLLBACK TO, !ok): keep or drop the job's deltas.  -1 with err set
 * when writing deltas failed (the transaction is then unusable). */
int store_ddb_job_end(store_conn *c, bool ok, err_t *err);
/* Write the batch's deltas; before COMMIT. */
int store_ddb_deltas_flush(store_conn *c, err_t *err);

/* Drop every cached table description of a connection (store_ddb.c). */
void store_ddb_cache_clear(store_conn *c);

/* A prepared, reset statement for sql (a string literal); NULL with err
 * set on failure.  The statement stays owned by the connection. */
sqlite3_stmt *store_stmt(store_conn *c, const char *sql, err_t *err);

/* Fill err from the connection's last SQLite error (internal error). */
int store_fail(store_conn *c, err_t *err);
/* Step a statement that returns no rows: 0, or -1 with err filled. */
int store_done(store_conn *c, sqlite3_stmt *st, err_t *err);
/* Run SQL text outside the statement cache (schemas, upgrades): 0 / -1. */
int store_exec(store_conn *c, const char *sql, err_t *err);

/* Each service's schema, created at open (store_<service>.c). */
extern const char store_schema_ddb[];
extern const char store_schema_kin[];
extern const char store_schema_kin_rec[];
extern const char store_schema_lam[];
/* Upgrade steps of existing databases (store.c runs them in order). */
extern const char store_upgrade_ddb_v2[];
extern const char store_upgrade_ddb_v3[];
int store_upgrade_kin_v4(store_conn *c, err_t *err);

#endif
