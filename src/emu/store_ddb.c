/*
 * store_ddb.c - DynamoDB's tables and items in SQLite.
 *
 * ddb_tables: one row per table (namespaced by account and region), with
 * its description as JSON and live item count and size.
 * ddb_items: base-table rows (idx 0) and secondary-index rows (idx > 0),
 * found through one unique index on (tbl, idx, hk, rk, pk): hk/rk are the
 * memcmp-ordered key encodings, pk the base key of an index row (empty for
 * base rows).  seg, a 16-bit hash of hk, is a plain column that splits a
 * parallel Scan into segments.
 *
 * Layout history, because each step was measured:
 * - v1 led the key with seg (a Scan in hash order, like DynamoDB's), but
 *   then every insert landed on a random leaf page: keys that grow
 *   (timestamps, sequence numbers, counters) dirtied one page per item
 *   instead of one per commit, and BatchWriteItem ran 2.7x slower.
 * - v2 keyed a WITHOUT ROWID table by (tbl, idx, hk, rk, pk).  Such a
 *   B-tree keeps whole rows in its interior pages too, and items of a few
 *   hundred bytes left it a fan-out of ~6: deep, and most of it outside
 *   the page cache once a table grew, so random keys (UUIDs, hashes) cost
 *   a page read per level on every write and GetItem.
 * - v3 (now) appends rows to a rowid table and keeps only the keys in the
 *   index, whose fan-out is in the tens: random-key inserts ran 2.3x faster
 *   (88 -> 38 us per item in batches of 25, 200,000 items), for a second
 *   lookup (rowid) per row that Query and Scan read.
 * Table and attribute names are always bound parameters.
 */
#include "ddb.h"
#include "store_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/jload.h"

const char store_schema_ddb[] =
    "CREATE TABLE IF NOT EXISTS ddb_tables("
    "  id INTEGER PRIMARY KEY,"
    "  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
    "  meta TEXT NOT NULL,"
    "  item_count INTEGER NOT NULL DEFAULT 0, size_bytes INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE(account, region, name));"
    "CREATE TABLE IF NOT EXISTS ddb_items("
    "  tbl INTEGER NOT NULL, idx INTEGER NOT NULL, seg INTEGER NOT NULL,"
    "  hk BLOB NOT NULL, rk BLOB NOT NULL, pk BLOB NOT NULL, body TEXT NOT NULL,"
    "  size INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS ddb_items_key ON ddb_items(tbl, idx, hk, rk, pk);";

/* Version 1 -> 2: the key lost its leading seg (see the header).  Frozen
 * as it was written: later layouts get their own step. */
const char store_upgrade_ddb_v2[] =
    "ALTER TABLE ddb_items RENAME TO ddb_items_v1;"
    "CREATE TABLE ddb_items("
    "  tbl INTEGER NOT NULL, idx INTEGER NOT NULL, seg INTEGER NOT NULL,"
    "  hk BLOB NOT NULL, rk BLOB NOT NULL, pk BLOB NOT NULL, body TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  PRIMARY KEY(tbl, idx, hk, rk, pk)) WITHOUT ROWID;"
    "INSERT INTO ddb_items(tbl, idx, seg, hk, rk, pk, body, size)"
    "  SELECT tbl, idx, seg, hk, rk, pk, body, size FROM ddb_items_v1;"
    "DROP TABLE ddb_items_v1;";

/* Version 2 -> 3: rows in a rowid table, keys in a unique index. */
const char store_upgrade_ddb_v3[] =
    "ALTER TABLE ddb_items RENAME TO ddb_items_v2;"
    "CREATE TABLE ddb_items("
    "  tbl INTEGER NOT NULL, idx INTEGER NOT NULL, seg INTEGER NOT NULL,"
    "  hk BLOB NOT NULL, rk BLOB NOT NULL, pk BLOB NOT NULL, body TEXT NOT NULL,"
    "  size INTEGER NOT NULL);"
    "INSERT INTO ddb_items(tbl, idx, seg, hk, rk, pk, body, size)"
    "  SELECT tbl, idx, seg, hk, rk, pk, body, size FROM ddb_items_v2;"
    "DROP TABLE ddb_items_v2;"
    "CREATE UNIQUE INDEX ddb_items_key ON ddb_items(tbl, idx, hk, rk, pk);";

static const unsigned char store_empty[1];

/* Per-connection cache of parsed table descriptions: a request needs its
 * table's schema, and parsing the stored JSON for every request costs more
 * than the rest of a GetItem.  Entries are immutable copies sharing the
 * (atomically reference-counted) meta; counts are not cached. */
#define STORE_DDB_CACHE_MAX 32

struct store_ddb_cache {
    int n;
    struct {
        char key[DDB_NAME_MAX + 160];   /* account \x1f region \x1f name */
        ddb_table t;
    } e[STORE_DDB_CACHE_MAX];
};

/* "account\x1fregion\x1fname", truncated to len - 1 bytes.  Built by hand:
 * snprintf was 2% of the writer's time, once per write job. */
static void store_ddb_cache_key(char *buf, size_t len, const char *account, const char *region,
                                const char *name)
{
    const char *part[3] = {account, region, name};
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        if (i > 0 && n + 1 < len)
            buf[n++] = '\x1f';
        size_t m = strlen(part[i]);
        if (m > len - 1 - n)
            m = len - 1 - n;
        memcpy(buf + n, part[i], m);
        n += m;
    }
    buf[n] = '\0';
}

void store_ddb_cache_clear(store_conn *c)
{
    struct store_ddb_cache *cache = c->ddb_cache;
    if (cache == NULL)
        return;
    for (int i = 0; i < cache->n; i++)
        ddb_table_free(&cache->e[i].t);
    free(cache);
    c->ddb_cache = NULL;
}

static const ddb_table *store_ddb_cache_find(store_conn *c, const char *key)
{
    struct store_ddb_cache *cache = c->ddb_cache;
    for (int i = 0; cache != NULL && i < cache->n; i++)
        if (strcmp(cache->e[i].key, key) == 0)
            return &cache->e[i].t;
    return NULL;
}

static void store_ddb_cache_put(store_conn *c, const char *key, const ddb_table *t)
{
    if (c->ddb_cache == NULL && (c->ddb_cache = calloc(1, sizeof *c->ddb_cache)) == NULL)
        return;
    struct store_ddb_cache *cache = c->ddb_cache;
    if (cache->n == STORE_DDB_CACHE_MAX) {
        store_ddb_cache_clear(c);
        store_ddb_cache_put(c, key, t);
        return;
    }
    snprintf(cache->e[cache->n].key, sizeof cache->e[cache->n].key, "%s", key);
    cache->e[cache->n].t = *t;
    json_incref(t->meta);
    cache->n++;
}

/* A change to the catalog in this connection's transaction: its own cache
 * goes now, other connections' caches after the commit (store.c). */
static void store_ddb_catalog_changed(store_conn *c)
{
    store_ddb_cache_clear(c);
    c->catalog_dirty = true;
}

static void store_bind_blob(sqlite3_stmt *st, int i, const unsigned char *p, size_t n)
{
    sqlite3_bind_blob64(st, i, p ? (const void *)p : (const void *)store_empty, n,
                        SQLITE_STATIC);
}

/* Bind a row's full key to parameters 1..6 (tbl, idx, seg, hk, rk, pk);
 * lookups by key do not mention ?3. */
static void store_ddb_bind_row(sqlite3_stmt *st, int64_t tbl, int idx, const ddb_key *k,
                               const unsigned char *pk, size_t pk_len)
{
    sqlite3_bind_int64(st, 1, tbl);
    sqlite3_bind_int(st, 2, idx);
    sqlite3_bind_int(st, 3, (int)k->seg);
    store_bind_blob(st, 4, k->hk, k->hk_len);
    store_bind_blob(st, 5, k->rk, k->rk_len);
    store_bind_blob(st, 6, pk, pk_len);
}

int store_ddb_table_load(store_conn *c, const char *account, const char *region,
                         const char *name, ddb_table *out, err_t *err)
{
    char key[DDB_NAME_MAX + 160];
    store_ddb_cache_key(key, sizeof key, account, region, name);
    const ddb_table *hit = store_ddb_cache_find(c, key);
    if (hit != NULL) {
        /* Copy only the indexes in use: the full struct is ~20 KB. */
        memcpy(out, hit, offsetof(ddb_table, idx) + (size_t)hit->nidx * sizeof(ddb_index));
        json_incref(out->meta);
        return 0;
    }
    sqlite3_stmt *st = store_stmt(
        c, "SELECT id, meta, item_count, size_bytes FROM ddb_tables "
           "WHERE account = ?1 AND region = ?2 AND name = ?3", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 1;
    if (rc != SQLITE_ROW)
        return store_fail(c, err);
    json_t *meta = json_loadb((const char *)sqlite3_column_text(st, 1),
                              (size_t)sqlite3_column_bytes(st, 1), 0, NULL);
    if (meta == NULL)
        return err_set(err, ERR_INTERNAL, "corrupt table description for %s", name);
    if (ddb_table_from_meta(out, sqlite3_column_int64(st, 0), meta, err) != 0)
        return -1;
    out->item_count = sqlite3_column_int64(st, 2);
    out->size_bytes = sqlite3_column_int64(st, 3);
    store_ddb_cache_put(c, key, out);
    return 0;
}

int store_ddb_table_counts(store_conn *c, int64_t id, int64_t *count, int64_t *bytes,
                           err_t *err)
{
    sqlite3_stmt *st =
        store_stmt(c, "SELECT item_count, size_bytes FROM ddb_tables WHERE id = ?1", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(c, err);
    *count = sqlite3_column_int64(st, 0);
    *bytes = sqlite3_column_int64(st, 1);
    /* On the writer, what this batch has not written yet counts too. */
    for (int i = 0; i < c->njob_delta + c->nbatch_delta; i++) {
        const struct store_delta *d = i < c->njob_delta ? &c->job_delta[i]
                                                         : &c->batch_delta[i - c->njob_delta];
        if (d->tbl == id) {
            *count += d->items;
            *bytes += d->bytes;
        }
    }
    return 0;
}

int store_ddb_table_insert(store_conn *c, const char *account, const char *region,
                           const char *name, const char *meta, int64_t *id, err_t *err)
{
    sqlite3_stmt *st = store_stmt(
        c, "INSERT INTO ddb_tables(account, region, name, meta) VALUES (?1, ?2, ?3, ?4)", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, meta, -1, SQLITE_STATIC);
    store_ddb_catalog_changed(c);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT)
        return err_set(err, ERR_DDB_RESOURCE_IN_USE, "Table already exists: %s", name);
    if (rc != SQLITE_DONE)
        return store_fail(c, err);
    *id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_ddb_table_set_meta(store_conn *c, int64_t id, const char *meta, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c, "UPDATE ddb_tables SET meta = ?2 WHERE id = ?1", err);
    if (st == NULL)
        return -1;
    store_ddb_catalog_changed(c);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, meta, -1, SQLITE_STATIC);
    return store_done(c, st, err);
}

int store_ddb_table_delete(store_conn *c, int64_t id, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c, "DELETE FROM ddb_items WHERE tbl = ?1", err);
    if (st == NULL)
        return -1;
    store_ddb_catalog_changed(c);
    sqlite3_bind_int64(st, 1, id);
    if (store_done(c, st, err) != 0)
        return -1;
    st = store_stmt(c, "DELETE FROM ddb_tables WHERE id = ?1", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    return store_done(c, st, err);
}

json_t *store_ddb_table_names(store_conn *c, const char *account, const char *region,
                              const char *after, int limit, err_t *err)
{
    sqlite3_stmt *st = store_stmt(
        c, "SELECT name FROM ddb_tables WHERE account = ?1 AND region = ?2 AND name > ?3 "
           "ORDER BY name LIMIT ?4", err);
    if (st == NULL)
        return NULL;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, limit);
    json_t *names = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(names, json_string((const char *)sqlite3_column_text(st, 0)));
    if (rc != SQLITE_DONE) {
        json_decref(names);
        store_fail(c, err);
        return NULL;
    }
    return names;
}

int store_ddb_item_find(store_conn *c, int64_t tbl, const ddb_key *k, json_t **item,
                        int64_t *rowid, size_t *size, err_t *err)
{
    sqlite3_stmt *st = store_stmt(
        c, "SELECT rowid, size, body FROM ddb_items WHERE tbl = ?1 AND idx = ?2 "
           "AND hk = ?4 AND rk = ?5 AND pk = ?6", err);
    if (st == NULL)
        return -1;
    store_ddb_bind_row(st, tbl, 0, k, NULL, 0);
    *rowid = 0;
    *size = 0;
    if (item != NULL)
        *item = NULL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return store_fail(c, err);
    *rowid = sqlite3_column_int64(st, 0);
    *size = (size_t)sqlite3_column_int64(st, 1);
    if (item == NULL)
        return 0; /* the body is never read: SQLite does not even fetch it */
    *item = jload_stored((const char *)sqlite3_column_text(st, 2),
                         (size_t)sqlite3_column_bytes(st, 2));
    if (*item == NULL)
        return err_set(err, ERR_INTERNAL, "corrupt item");
    return 0;
}

int store_ddb_item_text(store_conn *c, int64_t tbl, const ddb_key *k, char **text, size_t *len,
                        size_t *size, err_t *err)
{
    sqlite3_stmt *st = store_stmt(
        c, "SELECT body, size FROM ddb_items WHERE tbl = ?1 AND idx = ?2 "
           "AND hk = ?4 AND rk = ?5 AND pk = ?6", err);
    if (st == NULL)
        return -1;
    store_ddb_bind_row(st, tbl, 0, k, NULL, 0);
    *text = NULL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return store_fail(c, err);
    *len = (size_t)sqlite3_column_bytes(st, 0);
    *size = (size_t)sqlite3_column_int64(st, 1);
    if ((*text = malloc(*len + 1)) == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    memcpy(*text, sqlite3_column_text(st, 0), *len + 1);
    return 0;
}

int store_ddb_item_put(store_conn *c, int64_t tbl, int idx, const ddb_key *k,
                       const unsigned char *pk, size_t pk_len, const char *body, size_t size,
                       err_t *err)
{
    sqlite3_stmt *st = store_stmt(
        c, "INSERT OR REPLACE INTO ddb_items(tbl, idx, seg, hk, rk, pk, body, size) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
    if (st == NULL)
        return -1;
    store_ddb_bind_row(st, tbl, idx, k, pk, pk_len);
    sqlite3_bind_text(st, 7, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)size);
    return store_done(c, st, err);
}

int store_ddb_item_insert(store_conn *c, int64_t tbl, const ddb_key *k, const char *body,
                          size_t size, err_t *err)
{
    sqlite3_stmt *st = store_stmt(
        c, "INSERT OR IGNORE INTO ddb_items(tbl, idx, seg, hk, rk, pk, body, size) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
    if (st == NULL)
        return -1;
    store_ddb_bind_row(st, tbl, 0, k, NULL, 0);
    sqlite3_bind_text(st, 7, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)size);
    if (store_done(c, st, err) != 0)
        return -1;
    return sqlite3_changes(c->db) == 0 ? 1 : 0;
}

int store_ddb_item_replace(store_conn *c, int64_t rowid, const char *body, size_t size,
                           err_t *err)
{
    sqlite3_stmt *st =
        store_stmt(c, "UPDATE ddb_items SET body = ?2, size = ?3 WHERE rowid = ?1", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, rowid);
    sqlite3_bind_text(st, 2, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
    return store_done(c, st, err);
}

int store_ddb_item_delete(store_conn *c, int64_t tbl, int idx, const ddb_key *k,
                          const unsigned char *pk, size_t pk_len, err_t *err)
{
    sqlite3_stmt *st = store_stmt(
        c, "DELETE FROM ddb_items WHERE tbl = ?1 AND idx = ?2 AND hk = ?4 "
           "AND rk = ?5 AND pk = ?6", err);
    if (st == NULL)
        return -1;
    store_ddb_bind_row(st, tbl, idx, k, pk, pk_len);
    return store_done(c, st, err);
}

int store_ddb_index_drop(store_conn *c, int64_t tbl, int idx, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c, "DELETE FROM ddb_items WHERE tbl = ?1 AND idx = ?2", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, tbl);
    sqlite3_bind_int(st, 2, idx);
    return store_done(c, st, err);
}

int store_ddb_index_counts(store_conn *c, int64_t tbl, int idx, int64_t *count,
                           int64_t *bytes)
{
    *count = *bytes = 0;
    sqlite3_stmt *st = store_stmt(
        c, "SELECT count(*), coalesce(sum(length(body)), 0) FROM ddb_items "
           "WHERE tbl = ?1 AND idx = ?2", NULL);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, tbl);
    sqlite3_bind_int(st, 2, idx);
    if (sqlite3_step(st) != SQLITE_ROW)
        return -1;
    *count = sqlite3_column_int64(st, 0);
    *bytes = sqlite3_column_int64(st, 1);
    return 0;
}

static int store_ddb_counts_write(store_conn *c, int64_t tbl, int64_t items, int64_t bytes,
                                  err_t *err)
{
    if (items == 0 && bytes == 0)
        return 0;
    sqlite3_stmt *st = store_stmt(
        c, "UPDATE ddb_tables SET item_count = item_count + ?2, size_bytes = size_bytes + ?3 "
           "WHERE id = ?1", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, tbl);
    sqlite3_bind_int64(st, 2, items);
    sqlite3_bind_int64(st, 3, bytes);
    return store_done(c, st, err);
}

/* Add to the delta of tbl in v[0..*n); false when v is full. */
static bool store_ddb_delta_add(struct store_delta *v, int *n, int64_t tbl, int64_t items,
                                int64_t bytes)
{
    for (int i = 0; i < *n; i++)
        if (v[i].tbl == tbl) {
            v[i].items += items;
            v[i].bytes += bytes;
            return true;
        }
    if (*n == STORE_DELTAS)
        return false;
    v[(*n)++] = (struct store_delta){tbl, items, bytes};
    return true;
}

int store_ddb_counts_add(store_conn *c, int64_t tbl, int64_t items, int64_t bytes,
                         err_t *err)
{
    if (store_ddb_delta_add(c->job_delta, &c->njob_delta, tbl, items, bytes))
        return 0;
    return store_ddb_counts_write(c, tbl, items, bytes, err); /* rolls back with the job */
}

int store_ddb_deltas_flush(store_conn *c, err_t *err)
{
    int rc = 0;
    for (int i = 0; i < c->nbatch_delta && rc == 0; i++)
        rc = store_ddb_counts_write(c, c->batch_delta[i].tbl, c->batch_delta[i].items,
                                    c->batch_delta[i].bytes, err);
    c->nbatch_delta = 0;
    return rc;
}

int store_ddb_job_end(store_conn *c, bool ok, err_t *err)
{
    int rc = 0;
    for (int i = 0; ok && i < c->njob_delta; i++) {
        struct store_delta *d = &c->job_delta[i];
        /* A full batch list is written out first; the add cannot fail then. */
        if (c->nbatch_delta == STORE_DELTAS && (rc = store_ddb_deltas_flush(c, err)) != 0)
            break;
        store_ddb_delta_add(c->batch_delta, &c->nbatch_delta, d->tbl, d->items, d->bytes);
    }
    c->njob_delta = 0;
    return rc;
}

/* Larger than any valid key encoding (keys are at most 2048 bytes). */
static const unsigned char store_key_max[2100] = {[0 ... 2099] = 0xff};

static sqlite3_stmt *store_range_stmt(store_conn *c, const ddb_range *r, err_t *err)
{
    sqlite3_stmt *st;
    if (r->hk.p != NULL) {
        st = r->forward
                 ? store_stmt(c, "SELECT body, size FROM ddb_items WHERE tbl = ?1 AND idx = ?2 AND "
                                 "hk = ?4 AND (rk, pk) >= (?5, ?6) AND "
                                 "(rk, pk) < (?7, ?8) ORDER BY rk, pk", err)
                 : store_stmt(c, "SELECT body, size FROM ddb_items WHERE tbl = ?1 AND idx = ?2 AND "
                                 "hk = ?4 AND (rk, pk) >= (?5, ?6) AND "
                                 "(rk, pk) < (?7, ?8) ORDER BY rk DESC, pk DESC", err);
        if (st == NULL)
            return NULL;
        store_bind_blob(st, 4, r->hk.p, r->hk.n);
        store_bind_blob(st, 5, r->lo_rk.p, r->lo_rk.n);
        store_bind_blob(st, 6, r->lo_pk.p, r->lo_pk.n);
        if (r->hi_rk.p != NULL) {
            store_bind_blob(st, 7, r->hi_rk.p, r->hi_rk.n);
            store_bind_blob(st, 8, r->hi_pk.p, r->hi_pk.n);
        } else {
            store_bind_blob(st, 7, store_key_max, sizeof store_key_max);
            store_bind_blob(st, 8, NULL, 0);
        }
    } else {
        st = store_stmt(c, "SELECT body, size FROM ddb_items WHERE tbl = ?1 AND idx = ?2 AND "
                           "(hk, rk, pk) >= (?4, ?5, ?6) AND seg BETWEEN ?3 AND ?7 "
                           "ORDER BY hk, rk, pk", err);
        if (st == NULL)
            return NULL;
        sqlite3_bind_int(st, 3, (int)r->seg_lo);
        store_bind_blob(st, 4, r->scan_hk.p, r->scan_hk.n);
        store_bind_blob(st, 5, r->scan_rk.p, r->scan_rk.n);
        store_bind_blob(st, 6, r->scan_pk.p, r->scan_pk.n);
        sqlite3_bind_int(st, 7, (int)r->seg_hi);
    }
    sqlite3_bind_int64(st, 1, r->tbl);
    sqlite3_bind_int(st, 2, r->idx);
    return st;
}

int store_ddb_range(store_conn *c, const ddb_range *r, ddb_row_fn fn, void *arg, err_t *err)
{
    sqlite3_stmt *st = store_range_stmt(c, r, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int frc = fn(arg, (const char *)sqlite3_column_text(st, 0),
                     (size_t)sqlite3_column_bytes(st, 0), (size_t)sqlite3_column_int64(st, 1),
                     err);
        if (frc != 0) {
            sqlite3_reset(st);
            return frc < 0 ? -1 : 0;
        }
    }
    if (rc != SQLITE_DONE)
        return store_fail(c, err);
    sqlite3_reset(st);
    return 0;
}
