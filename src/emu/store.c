/*
 * store.c - SQLite connections, schema, the group-commit writer thread,
 * the WAL checkpointer thread and the pool of WAL readers (see store.h
 * for the contract).
 */
#include "store_int.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "co.h"

#define STORE_BATCH_MAX 512
#define STORE_READERS 4
/* WAL checkpoints, in frames (pages): the checkpointer thread copies the
 * WAL back into the database once STORE_WAL_COPY frames are not copied
 * yet.  Once the WAL holds STORE_WAL_RESTART frames it copies whatever is
 * new, and the writer copies the last STORE_WAL_TAIL or fewer itself so
 * that the WAL starts again from its beginning (at twice the size, the
 * writer copies whatever is left). */
#define STORE_WAL_COPY 1000
#define STORE_WAL_RESTART 8000
#define STORE_WAL_TAIL 256

typedef struct store_job {
    store_fn fn;
    void *arg;
    err_t *err;
    int rc;
    co_t *co;                   /* the waiting coroutine, or NULL: then */
    sem_t done;                 /* posted by the writer once committed */
    bool read_only;
    struct store_job *next;
} store_job;

struct store {
    char *path;                 /* NULL when in memory */
    store_conn *writer;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;        /* jobs queued or stopping */
    store_job *head, *tail;
    bool stopping;
    /* A small pool of WAL reader connections shared by all threads: one
     * per request thread would cost a page cache each (tens of MB under
     * load) for no gain on two cores. */
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    int pool_free;              /* entries of pool[] available, a stack */
    store_conn *pool[STORE_READERS];
    unsigned long commits, jobs;
    int wal_frames;             /* frames in the WAL after the last commit */
    /* The checkpointer (see store_ckpt_main): its own connection, opened
     * by its thread on the first pass, and thread, woken through ckpt_cv;
     * all below under ckpt_mu. */
    store_conn *ckpt;
    pthread_t ckpt_thread;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;     /* wanted, stopping, or a pass finished */
    bool ckpt_wanted, ckpt_running, ckpt_stopping, ckpt_started;
    bool sync_full;             /* store_sync_full: the checkpointer's fsyncs too */
    int wal_copied;             /* frames of the WAL copied to the database */
    /* Bumped after a commit that changed the catalog (or a failed commit):
     * connections drop their catalog caches when they see a new value.
     * A reader reads it before its snapshot starts, so a cache filled in
     * a snapshot never outlives the generation it was filled in. */
    unsigned long catalog_gen;
};

/* Schemas of every service, applied at open in this order. */
static const char *const store_schemas[] = {
    store_schema_ddb,
    store_schema_kin,
    store_schema_kin_rec,
    store_schema_lam,
};

/* The layout version written to PRAGMA user_version.  Files from before
 * versioning say 0 and are version 1 when they have tables; step [v]
 * brings a version v-1 file to version v. */
#define STORE_VERSION 4
static const struct {
    const char *sql;                           /* the step as SQL, or */
    int (*fn)(store_conn *c, err_t *err);      /* as code */
} store_upgrades[STORE_VERSION + 1] = {
    [2] = {.sql = store_upgrade_ddb_v2},
    [3] = {.sql = store_upgrade_ddb_v3},
    [4] = {.fn = store_upgrade_kin_v4},
};

int store_fail(store_conn *c, err_t *err)
{
    return err_set(err, ERR_INTERNAL, "storage error: %s", sqlite3_errmsg(c->db));
}

sqlite3_stmt *store_stmt(store_conn *c, const char *sql, err_t *err)
{
    uintptr_t h = ((uintptr_t)sql >> 3) * 2654435761u;
    for (unsigned i = 0; i < STORE_STMT_SLOTS; i++) {
        unsigned slot = (unsigned)((h + i) % STORE_STMT_SLOTS);
        if (c->stmts[slot].sql == sql) {
            sqlite3_stmt *st = c->stmts[slot].stmt;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
        if (c->stmts[slot].sql == NULL) {
            sqlite3_stmt *st = NULL;
            if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
                SQLITE_OK) {
                store_fail(c, err);
                return NULL;
            }
            c->stmts[slot].sql = sql;
            c->stmts[slot].stmt = st;
            return st;
        }
    }
    err_set(err, ERR_INTERNAL, "statement cache full");
    return NULL;
}

int store_done(store_conn *c, sqlite3_stmt *st, err_t *err)
{
    return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(c, err);
}

int store_exec(store_conn *c, const char *sql, err_t *err)
{
    char *msg = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(err, ERR_INTERNAL, "storage error: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Run a transaction-control statement (a string literal) through the
 * statement cache: parsing SAVEPOINT/RELEASE for every job showed up in
 * the writer's profile. */
static int store_ctl(store_conn *c, const char *sql, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c, sql, err);
    if (st == NULL)
        return -1;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_fail(c, err);
}

static void store_conn_close(store_conn *c)
{
    if (c == NULL)
        return;
    store_ddb_cache_clear(c);
    for (unsigned i = 0; i < STORE_STMT_SLOTS; i++)
        sqlite3_finalize(c->stmts[i].stmt);
    sqlite3_close(c->db);
    free(c);
}

/* One integer from a pragma or query; -1 on error. */
static int store_int(store_conn *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) == SQLITE_OK)
        v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return v;
}

/* Create the schemas of a new file, or upgrade an older one step by step,
 * in one transaction: a failed upgrade leaves the file as it was. */
static int store_migrate(store_t *s, err_t *err)
{
    store_conn *c = s->writer;
    if (store_exec(c, "BEGIN IMMEDIATE", err) != 0)
        return -1;
    int v = store_int(c, "PRAGMA user_version");
    if (v == 0 && store_int(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'ddb_items'") > 0)
        v = 1;
    if (v < 0 || v > STORE_VERSION) {
        err_set(err, ERR_INTERNAL, "database %s has layout version %d; this emu knows up to %d",
                s->path ? s->path : ":memory:", v, STORE_VERSION);
        goto fail;
    }
    for (int step = v + 1; v > 0 && step <= STORE_VERSION; step++) {
        if (store_upgrades[step].sql ? store_exec(c, store_upgrades[step].sql, err) != 0
                                     : store_upgrades[step].fn(c, err) != 0)
            goto fail;
        log_info("store: upgraded %s to layout version %d", s->path, step);
    }
    for (size_t i = 0; i < sizeof store_schemas / sizeof *store_schemas; i++)
        if (store_exec(c, store_schemas[i], err) != 0)
            goto fail;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_VERSION);
    if (store_exec(c, sql, err) != 0 || store_exec(c, "COMMIT", err) != 0)
        goto fail;
    return 0;
fail:
    store_exec(c, "ROLLBACK", NULL);
    return -1;
}

static store_conn *store_conn_open(store_t *s, bool writer, err_t *err)
{
    store_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        err_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    c->store = s;
    const char *path = s->path ? s->path : ":memory:";
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        err_set(err, ERR_INTERNAL, "cannot open database %s: %s", path,
                c->db ? sqlite3_errmsg(c->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(c->db, 10000);
    /* WAL with synchronous=NORMAL: a commit is in the WAL (the OS's page
     * cache) before store_write returns, so a crash or kill -9 of emu
     * loses no acknowledged write; store_sync_full() adds an fsync per
     * commit for power-loss safety. */
    const char *pragmas = writer ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                   "PRAGMA foreign_keys=OFF; PRAGMA cache_size=-8192;"
                                 : "PRAGMA cache_size=-4096; PRAGMA query_only=1;";
    if (s->path != NULL && store_exec(c, pragmas, err) != 0)
        goto fail;
    return c;
fail:
    store_conn_close(c);
    return NULL;
}

/* Before a job: forget catalog caches older than the last catalog commit. */
static void store_catalog_check(store_t *s, store_conn *c)
{
    unsigned long gen = __atomic_load_n(&s->catalog_gen, __ATOMIC_ACQUIRE);
    if (c->catalog_gen != gen) {
        store_ddb_cache_clear(c);
        c->catalog_gen = gen;
    }
}

/* Reset every statement a job left mid-iteration.  A statement that is
 * still stepping keeps its read transaction (and WAL snapshot) open, so a
 * reader would never see later commits; one sweep after each job makes
 * that impossible whatever the job did. */
static void store_reset_all(store_conn *c)
{
    for (sqlite3_stmt *st = sqlite3_next_stmt(c->db, NULL); st != NULL;
         st = sqlite3_next_stmt(c->db, st))
        if (sqlite3_stmt_busy(st))
            sqlite3_reset(st);
}

/* Run a batch of jobs in one transaction; each in its own savepoint. */
static void store_run_batch(store_t *s, store_job *batch)
{
    store_conn *c = s->writer;
    err_t berr = {0};
    bool in_txn = store_ctl(c, "BEGIN IMMEDIATE", &berr) == 0;
    for (store_job *j = batch; j != NULL; j = j->next) {
        if (!in_txn) {
            j->rc = err_set(j->err, ERR_INTERNAL, "%s", berr.msg);
            continue;
        }
        store_ctl(c, "SAVEPOINT job", NULL);
        store_catalog_check(s, c);
        j->rc = j->fn(c, j->arg, j->err);
        store_reset_all(c);
        if (j->rc != 0 && !sqlite3_get_autocommit(c->db))
            store_ctl(c, "ROLLBACK TO job", NULL);
        if (store_ddb_job_end(c, j->rc == 0, &berr) != 0)
            store_exec(c, "ROLLBACK", NULL); /* counts unwritable: fail the batch below */
        if (sqlite3_get_autocommit(c->db)) {
            /* SQLite rolled the whole transaction back (I/O error, full
             * disk): nothing of this batch is durable. */
            in_txn = false;
            err_set(&berr, ERR_INTERNAL, "storage error: %s", sqlite3_errmsg(c->db));
            for (store_job *k = batch; k != j->next; k = k->next)
                if (k->rc == 0)
                    k->rc = err_set(k->err, ERR_INTERNAL, "%s", berr.msg);
            continue;
        }
        store_ctl(c, "RELEASE job", NULL);
    }
    bool failed = !in_txn;
    if (in_txn && (store_ddb_deltas_flush(c, &berr) != 0 || store_ctl(c, "COMMIT", &berr) != 0)) {
        failed = true;
        store_exec(c, "ROLLBACK", NULL);
        for (store_job *j = batch; j != NULL; j = j->next)
            if (j->rc == 0)
                j->rc = err_set(j->err, ERR_INTERNAL, "%s", berr.msg);
    }
    c->njob_delta = c->nbatch_delta = 0; /* those of a failed batch never happened */
    if (failed || c->catalog_dirty) {
        /* Other connections' caches may hold what this batch replaced;
         * after a failed commit even this connection's cache may hold
         * what never committed. */
        __atomic_add_fetch(&s->catalog_gen, 1, __ATOMIC_RELEASE);
        c->catalog_dirty = false;
    }
    s->commits++;
}

/* Replaces SQLite's auto-checkpoint, which runs inside COMMIT: the jobs
 * of that commit would wait for it, and so would every job queued behind
 * them.  See store_wal_after_commit. */
static int store_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((store_t *)arg)->wal_frames = frames;
    return SQLITE_OK;
}

/* One PASSIVE checkpoint on connection c: copies the frames no reader
 * still needs and fsyncs the database.  Returns the frames copied. */
static int store_checkpoint(store_conn *c)
{
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log_error("store: checkpoint: %s", sqlite3_errmsg(c->db));
    return rc == SQLITE_OK && done > 0 ? done : 0;
}

/* The checkpointer's connection, opened on its first pass rather than at
 * start-up (emu answers sooner).  On failure the passes do nothing and the
 * writer copies the WAL itself at twice STORE_WAL_RESTART. */
static int store_ckpt_conn(store_t *s, bool full)
{
    if (s->ckpt != NULL)
        return 0;
    err_t err = {0};
    if ((s->ckpt = store_conn_open(s, true, &err)) == NULL ||
        (full && store_exec(s->ckpt, "PRAGMA synchronous=FULL", &err) != 0)) {
        log_error("store: checkpointer: %s", err.msg);
        store_conn_close(s->ckpt);
        s->ckpt = NULL;
        err_clear(&err);
        return -1;
    }
    return 0;
}

/* The checkpointer thread.  Copying a thousand frames and the fsyncs took
 * the writer ~6 ms, every 1,000 frames under load: 13% of its time with
 * every queued write waiting (put_cond, 114 checkpoints in 5.5 s).  A
 * PASSIVE checkpoint on another connection runs beside the writer's
 * commits instead.  It cannot restart the WAL while the writer keeps
 * appending, which is why the writer finishes the job at
 * STORE_WAL_RESTART (store_wal_after_commit). */
static void *store_ckpt_main(void *arg)
{
    store_t *s = arg;
    pthread_setname_np(pthread_self(), "emu-ckpt");
    pthread_mutex_lock(&s->ckpt_mu);
    for (;;) {
        while (!s->ckpt_wanted && !s->ckpt_stopping)
            pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
        if (s->ckpt_stopping)
            break;
        s->ckpt_wanted = false;
        s->ckpt_running = true;
        bool full = s->sync_full;
        pthread_mutex_unlock(&s->ckpt_mu);
        int done = store_ckpt_conn(s, full) == 0 ? store_checkpoint(s->ckpt) : 0;
        pthread_mutex_lock(&s->ckpt_mu);
        s->ckpt_running = false;
        if (done > s->wal_copied)
            s->wal_copied = done;
        pthread_cond_broadcast(&s->ckpt_cv);
    }
    pthread_mutex_unlock(&s->ckpt_mu);
    return NULL;
}

/* On the writer thread after each commit (and its wake-ups).  Frames
 * fewer than those copied mean the commit restarted the WAL.  When the
 * WAL is long, the writer copies the last few frames itself, and the next
 * commit writes from the WAL's beginning again.  That stall is the
 * checkpoint's two fsyncs more than its copy (~5 ms for ~100 frames under
 * load, against ~6 ms per 1,000 frames before), once per 8,000 frames
 * instead of every 1,000. */
static void store_wal_after_commit(store_t *s)
{
    if (s->path == NULL)
        return;
    int frames = s->wal_frames;
    pthread_mutex_lock(&s->ckpt_mu);
    if (frames < s->wal_copied)
        s->wal_copied = 0;
    int left = frames - s->wal_copied;
    bool restart = frames >= STORE_WAL_RESTART;
    if ((restart && !s->ckpt_running && left <= STORE_WAL_TAIL) ||
        frames >= 2 * STORE_WAL_RESTART) {
        while (s->ckpt_running)
            pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
        pthread_mutex_unlock(&s->ckpt_mu);
        int done = store_checkpoint(s->writer);
        pthread_mutex_lock(&s->ckpt_mu);
        s->wal_copied = done;
    } else if (!s->ckpt_running && (left >= STORE_WAL_COPY || (restart && left > 0))) {
        s->ckpt_wanted = true;
        pthread_cond_broadcast(&s->ckpt_cv);
    }
    pthread_mutex_unlock(&s->ckpt_mu);
}

static void *store_writer_main(void *arg)
{
    store_t *s = arg;
    pthread_setname_np(pthread_self(), "emu-writer");
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->head == NULL && !s->stopping)
            pthread_cond_wait(&s->work, &s->mu);
        if (s->head == NULL && s->stopping)
            break;
        /* Take up to STORE_BATCH_MAX queued jobs: they share one commit. */
        store_job *batch = s->head, *last = batch;
        int n = 1;
        while (last->next != NULL && n < STORE_BATCH_MAX) {
            last = last->next;
            n++;
        }
        s->head = last->next;
        if (s->head == NULL)
            s->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&s->mu);
        store_run_batch(s, batch);
        /* Wake each waiter alone: a broadcast would wake every request
         * thread for every batch and make them fight for the mutex. */
        for (store_job *j = batch; j != NULL;) {
            store_job *next = j->next; /* j lives on a waiter's stack */
            if (j->co != NULL)
                co_wake(j->co);
            else
                sem_post(&j->done);
            j = next;
        }
        store_wal_after_commit(s);
        pthread_mutex_lock(&s->mu);
        s->jobs += (unsigned long)n;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static int store_submit(store_t *s, store_fn fn, void *arg, err_t *err, bool read_only)
{
    /* A coroutine (a request on an event thread) gives its thread back
     * while it waits; other callers sleep on a semaphore. */
    store_job job = {.fn = fn, .arg = arg, .err = err, .read_only = read_only, .co = co_self()};
    if (job.co == NULL)
        sem_init(&job.done, 0, 0);
    pthread_mutex_lock(&s->mu);
    if (s->tail)
        s->tail->next = &job;
    else
        s->head = &job;
    s->tail = &job;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
    if (job.co != NULL) {
        co_wait();
        return job.rc;
    }
    while (sem_wait(&job.done) != 0)
        ; /* EINTR */
    sem_destroy(&job.done);
    return job.rc;
}

int store_write(store_t *s, store_fn fn, void *arg, err_t *err)
{
    return store_submit(s, fn, arg, err, false);
}

int store_read(store_t *s, store_fn fn, void *arg, err_t *err)
{
    if (s->path == NULL) {
        /* An in-memory database has a single connection: reads queue
         * behind writes on the writer thread. */
        return store_submit(s, fn, arg, err, true);
    }
    pthread_mutex_lock(&s->pool_mu);
    while (s->pool_free == 0)
        pthread_cond_wait(&s->pool_cv, &s->pool_mu);
    store_conn *c = s->pool[--s->pool_free];
    s->pool[s->pool_free] = NULL;
    pthread_mutex_unlock(&s->pool_mu);
    int rc = -1;
    if (c == NULL && (c = store_conn_open(s, false, err)) == NULL)
        goto out;
    store_catalog_check(s, c);
    if (store_ctl(c, "BEGIN", err) != 0)
        goto out;
    rc = fn(c, arg, err);
    store_reset_all(c);
    err_t cerr = {0};
    if (store_ctl(c, "COMMIT", &cerr) != 0)
        log_error("read transaction did not end: %s", cerr.msg);
out:
    pthread_mutex_lock(&s->pool_mu);
    s->pool[s->pool_free++] = c; /* NULL when it could not open: retried next time */
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->pool_mu);
    return rc;
}

/* Stop the checkpointer (after its pass, if one runs) and close its
 * connection. */
static void store_ckpt_stop(store_t *s)
{
    if (s->ckpt_started) {
        pthread_mutex_lock(&s->ckpt_mu);
        s->ckpt_stopping = true;
        pthread_cond_broadcast(&s->ckpt_cv);
        pthread_mutex_unlock(&s->ckpt_mu);
        pthread_join(s->ckpt_thread, NULL);
        s->ckpt_started = false;
    }
    store_conn_close(s->ckpt);
    s->ckpt = NULL;
}

int store_open(const char *path, store_t **out, err_t *err)
{
    store_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    pthread_mutex_init(&s->ckpt_mu, NULL);
    pthread_cond_init(&s->ckpt_cv, NULL);
    s->pool_free = STORE_READERS;
    s->path = path ? strdup(path) : NULL;
    s->writer = store_conn_open(s, true, err);
    if (s->writer == NULL)
        goto fail;
    if (store_migrate(s, err) != 0)
        goto fail;
    if (s->path != NULL) {
        sqlite3_wal_hook(s->writer->db, store_wal_hook, s);
        if (pthread_create(&s->ckpt_thread, NULL, store_ckpt_main, s) != 0) {
            err_set(err, ERR_INTERNAL, "cannot start the checkpointer thread");
            goto fail;
        }
        s->ckpt_started = true;
    }
    if (pthread_create(&s->thread, NULL, store_writer_main, s) != 0) {
        err_set(err, ERR_INTERNAL, "cannot start the writer thread");
        goto fail;
    }
    *out = s;
    return 0;
fail:
    store_ckpt_stop(s);
    store_conn_close(s->writer);
    free(s->path);
    free(s);
    return -1;
}

void store_close(store_t *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    store_ckpt_stop(s);
    log_info("store: %lu write jobs in %lu commits", s->jobs, s->commits);
    if (s->path != NULL)
        sqlite3_wal_checkpoint_v2(s->writer->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    store_conn_close(s->writer);
    for (int i = 0; i < STORE_READERS; i++)
        store_conn_close(s->pool[i]);
    free(s->path);
    free(s);
}

int store_sync_full(store_t *s, err_t *err)
{
    /* Called before the first request: the writer thread is idle, and the
     * checkpointer has not opened its connection yet (it reads the flag
     * when it does: its setting decides its fsyncs). */
    if (s->path == NULL)
        return 0;
    pthread_mutex_lock(&s->ckpt_mu);
    s->sync_full = true;
    pthread_mutex_unlock(&s->ckpt_mu);
    return store_exec(s->writer, "PRAGMA synchronous=FULL", err);
}

void store_stats(store_t *s, unsigned long *commits, unsigned long *jobs)
{
    pthread_mutex_lock(&s->mu);
    *commits = s->commits;
    *jobs = s->jobs;
    pthread_mutex_unlock(&s->mu);
}
