/*
 * store.h - durable storage on SQLite, shared by every service.
 *
 * One writer thread owns the write connection and commits the writes of
 * concurrent requests together (group commit): each write job runs inside
 * its own SAVEPOINT of a shared transaction, so a job that fails rolls back
 * only itself, and store_write() returns only after the COMMIT that made
 * the job durable (in the WAL: it survives a crash of emu; store_sync_full
 * adds an fsync per commit against power loss).  Reads run on a small pool of WAL reader connections and
 * see every write whose store_write() has returned.
 *
 * Service-specific SQL lives in store_<service>.c files, which include
 * store_int.h; nothing outside store*.c includes sqlite3.h.
 */
#ifndef EMU_STORE_H
#define EMU_STORE_H

#include <stdbool.h>
#include "../common/err.h"

typedef struct store store_t;
typedef struct store_conn store_conn;

/* A unit of work on a connection; returns 0 / -1 with err set. */
typedef int (*store_fn)(store_conn *c, void *arg, err_t *err);

/* Open path (NULL = in memory), create the schema, start the writer. */
int store_open(const char *path, store_t **out, err_t *err);
/* fsync every commit (power-loss durability); call right after open. */
int store_sync_full(store_t *s, err_t *err);
/* Drain pending writes, checkpoint, close. */
void store_close(store_t *s);

/* Run fn in a write transaction; committed when this returns 0. */
int store_write(store_t *s, store_fn fn, void *arg, err_t *err);
/* Run fn in a read transaction (a consistent snapshot). */
int store_read(store_t *s, store_fn fn, void *arg, err_t *err);

/* Statistics for benchmarks: commits and jobs committed so far. */
void store_stats(store_t *s, unsigned long *commits, unsigned long *jobs);

#endif
