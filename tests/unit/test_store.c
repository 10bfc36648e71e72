/*
 * test_store.c - the group-commit writer: concurrent jobs share commits,
 * a failing job rolls back only itself, readers see every returned write,
 * data survives a reopen, and catalog caches follow committed changes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "emu/ddb.h"
#include "emu/store_int.h"

#define THREADS 8
#define JOBS 250

static char db_path[64];

static int job_insert(store_conn *c, void *arg, err_t *err)
{
    int v = *(int *)arg;
    sqlite3_stmt *st = store_stmt(c, "INSERT INTO t(v) VALUES (?1)", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int(st, 1, v);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(c, err);
    /* Every tenth job fails after writing: its row must not survive. */
    if (v % 10 == 7)
        return err_set(err, ERR_DDB_VALIDATION, "job %d refuses", v);
    return 0;
}

static int job_count(store_conn *c, void *arg, err_t *err)
{
    sqlite3_stmt *st = store_stmt(c, "SELECT count(*), coalesce(sum(v), 0) FROM t", err);
    if (st == NULL || sqlite3_step(st) != SQLITE_ROW)
        return -1;
    long *out = arg;
    out[0] = sqlite3_column_int64(st, 0);
    out[1] = sqlite3_column_int64(st, 1);
    return 0;
}

static int job_create(store_conn *c, void *arg, err_t *err)
{
    (void)arg;
    char *msg = NULL;
    if (sqlite3_exec(c->db, "CREATE TABLE IF NOT EXISTS t(v INTEGER)", NULL, NULL, &msg) != 0) {
        err_set(err, ERR_INTERNAL, "%s", msg);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

typedef struct worker {
    store_t *s;
    int base;
    int failures;
    int unseen;    /* writes a read right after did not see */
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < JOBS; i++) {
        int v = w->base + i;
        err_t err = {0};
        if (store_write(w->s, job_insert, &v, &err) != 0) {
            w->failures++;
            assert_int_equal(err.code, ERR_DDB_VALIDATION);
            continue;
        }
        long before[2];
        if (store_read(w->s, job_count, before, &err) != 0 || before[0] < 1)
            w->unseen++;
    }
    return NULL;
}

static long expected_sum(int n, int *count)
{
    long sum = 0;
    *count = 0;
    for (int v = 0; v < n; v++)
        if (v % 10 != 7) {
            sum += v;
            (*count)++;
        }
    return sum;
}

static void test_group_commit(void **state)
{
    (void)state;
    store_t *s;
    err_t err = {0};
    assert_int_equal(store_open(db_path, &s, &err), 0);
    assert_int_equal(store_write(s, job_create, NULL, &err), 0);
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.s = s, .base = i * JOBS};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        failures += w[i].failures;
        assert_int_equal(w[i].unseen, 0);
    }
    int count;
    long sum = expected_sum(THREADS * JOBS, &count);
    assert_int_equal(failures, THREADS * JOBS - count);
    long got[2];
    assert_int_equal(store_read(s, job_count, got, &err), 0);
    assert_int_equal(got[0], count);
    assert_int_equal(got[1], sum);
    unsigned long commits, jobs;
    store_stats(s, &commits, &jobs);
    assert_int_equal(jobs, THREADS * JOBS + 1);
    assert_true(commits <= jobs);
    store_close(s);

    /* Everything acknowledged is there after a reopen. */
    assert_int_equal(store_open(db_path, &s, &err), 0);
    assert_int_equal(store_read(s, job_count, got, &err), 0);
    assert_int_equal(got[0], count);
    assert_int_equal(got[1], sum);
    store_close(s);
}

typedef struct ddl {
    emu_t *emu;
    const char *name;
    const char *hash;
} ddl;

static int job_create_table(store_conn *c, void *arg, err_t *err)
{
    ddl *d = arg;
    char meta[512];
    snprintf(meta, sizeof meta,
             "{\"TableName\":\"%s\",\"KeySchema\":[{\"AttributeName\":\"%s\",\"KeyType\":\"HASH\"}],"
             "\"AttributeDefinitions\":[{\"AttributeName\":\"%s\",\"AttributeType\":\"S\"}]}",
             d->name, d->hash, d->hash);
    int64_t id;
    return store_ddb_table_insert(c, "acct", "region", d->name, meta, &id, err);
}

static int job_drop_table(store_conn *c, void *arg, err_t *err)
{
    ddl *d = arg;
    ddb_table t;
    if (store_ddb_table_load(c, "acct", "region", d->name, &t, err) != 0)
        return -1;
    int rc = store_ddb_table_delete(c, t.id, err);
    ddb_table_free(&t);
    return rc;
}

static int job_hash_of(store_conn *c, void *arg, err_t *err)
{
    ddl *d = arg;
    ddb_table t;
    int rc = store_ddb_table_load(c, "acct", "region", d->name, &t, err);
    if (rc != 0)
        return rc;
    snprintf((char *)d->hash, DDB_NAME_MAX, "%s", t.hash);
    ddb_table_free(&t);
    return 0;
}

static void test_catalog_cache_follows_commits(void **state)
{
    (void)state;
    store_t *s;
    err_t err = {0};
    unlink(db_path);
    assert_int_equal(store_open(db_path, &s, &err), 0);
    ddl a = {.name = "faces", .hash = "id"};
    assert_int_equal(store_write(s, job_create_table, &a, &err), 0);
    char hash[DDB_NAME_MAX] = "";
    ddl q = {.name = "faces", .hash = hash};
    /* Fill this thread's reader cache, then change the catalog. */
    assert_int_equal(store_read(s, job_hash_of, &q, &err), 0);
    assert_string_equal(hash, "id");
    assert_int_equal(store_write(s, job_drop_table, &a, &err), 0);
    assert_int_equal(store_read(s, job_hash_of, &q, &err), 1);
    ddl b = {.name = "faces", .hash = "pk"};
    assert_int_equal(store_write(s, job_create_table, &b, &err), 0);
    assert_int_equal(store_read(s, job_hash_of, &q, &err), 0);
    assert_string_equal(hash, "pk");
    /* The writer connection's own cache follows too. */
    assert_int_equal(store_write(s, job_hash_of, &q, &err), 0);
    assert_string_equal(hash, "pk");
    store_close(s);
}

int main(void)
{
    snprintf(db_path, sizeof db_path, "/tmp/emu-test-store-%d.db", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_catalog_cache_follows_commits),
    };
    int rc = cmocka_run_group_tests_name("store", tests, NULL, NULL);
    char p[96];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
    return rc;
}
