/*
 * ddb_write.c - storing one item with its secondary-index rows and the
 * table's live counters, in the caller's write job.
 */
#include "ddb_item.h"

#include <stdlib.h>
#include <string.h>

#include "../common/jtext.h"
#include "av.h"

int ddb_item_load(store_conn *c, const ddb_table *t, const ddb_key *k, json_t **item,
                  err_t *err)
{
    int64_t rowid;
    size_t size;
    return store_ddb_item_find(c, t->id, k, item, &rowid, &size, err);
}

int ddb_item_find(store_conn *c, const ddb_table *t, const ddb_key *k, bool parse,
                  ddb_old *old, err_t *err)
{
    memset(old, 0, sizeof *old);
    if (store_ddb_item_find(c, t->id, k, parse ? &old->item : NULL, &old->rowid, &old->size,
                            err) != 0)
        return -1;
    old->found = old->rowid != 0;
    return 0;
}

size_t ddb_write_bytes(const ddb_old *old, size_t size)
{
    return old->found && old->size > size ? old->size : size;
}

int ddb_item_check(const ddb_table *t, json_t *item, size_t size, ddb_key *key, err_t *err)
{
    ddb_key k, ik;
    if (ddb_key_from_item(t, item, &k, err) != 0)
        goto fail;
    for (int i = 0; i < t->nidx; i++) {
        int rc = ddb_key_for_index(t, &t->idx[i], item, &ik, err);
        if (rc < 0) {
            ddb_key_free(&k);
            goto fail;
        }
        if (rc == 0)
            ddb_key_free(&ik);
    }
    if (size > AV_ITEM_MAX_BYTES) {
        ddb_key_free(&k);
        err_set(err, ERR_DDB_VALIDATION, "Item size has exceeded the maximum allowed size");
        goto fail;
    }
    if (key != NULL)
        *key = k;
    else
        ddb_key_free(&k);
    return 0;
fail:
    if (key != NULL)
        memset(key, 0, sizeof *key);
    return -1;
}

/* The base key as index rows store it: length-prefixed hk then rk, so
 * two different keys never share an encoding. */
unsigned char *ddb_pk_encode(const ddb_key *k, size_t *len)
{
    *len = 4 + k->hk_len + k->rk_len;
    unsigned char *p = malloc(*len);
    if (p == NULL)
        return NULL;
    p[0] = (unsigned char)(k->hk_len >> 24);
    p[1] = (unsigned char)(k->hk_len >> 16);
    p[2] = (unsigned char)(k->hk_len >> 8);
    p[3] = (unsigned char)k->hk_len;
    memcpy(p + 4, k->hk, k->hk_len);
    if (k->rk_len)
        memcpy(p + 4 + k->hk_len, k->rk, k->rk_len);
    return p;
}

/* Remove (item == NULL) or write the rows of one index for one item. */
static int ddb_index_row(store_conn *c, const ddb_table *t, const ddb_index *ix,
                         const unsigned char *pk, size_t pk_len, const json_t *item,
                         bool remove, err_t *err)
{
    ddb_key ik;
    int rc = ddb_key_for_index(t, ix, item, &ik, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0; /* not in this sparse index */
    if (remove) {
        rc = store_ddb_item_delete(c, t->id, ix->id, &ik, pk, pk_len, err);
    } else {
        json_t *proj = ddb_index_project(t, ix, item);
        char *body = jtext_dump(proj, NULL);
        size_t size = av_item_size(proj);
        json_decref(proj);
        rc = body ? store_ddb_item_put(c, t->id, ix->id, &ik, pk, pk_len, body, size, err)
                  : err_set(err, ERR_INTERNAL, "out of memory");
        free(body);
    }
    ddb_key_free(&ik);
    return rc;
}

/* A put whose old item nothing reads: most are of new keys, and one
 * INSERT OR IGNORE finds that out and writes them in one statement.  1
 * when the key is taken: old is filled in (unparsed) for the caller. */
int ddb_item_insert(store_conn *c, const ddb_table *t, const ddb_key *k, ddb_old *old,
                    const char *text, size_t size, err_t *err)
{
    int rc = store_ddb_item_insert(c, t->id, k, text, size, err);
    if (rc == 0)
        return store_ddb_counts_add(c, t->id, 1, (int64_t)size, err);
    if (rc < 0 || ddb_item_find(c, t, k, false, old, err) != 0)
        return -1;
    return 1;
}

int ddb_item_write(store_conn *c, const ddb_table *t, const ddb_key *k, ddb_old *old,
                   const json_t *item, const char *text, size_t size, err_t *err)
{
    int rc = -1;
    char *body = NULL;
    size_t pk_len = 0;
    unsigned char *pk = NULL;
    if (t->nidx > 0 && (pk = ddb_pk_encode(k, &pk_len)) == NULL)
        return err_set(err, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < t->nidx && old->item != NULL; i++)
        if (ddb_index_row(c, t, &t->idx[i], pk, pk_len, old->item, true, err) != 0)
            goto out;
    int64_t old_size = old->found ? (int64_t)old->size : 0;
    if (item == NULL) {
        if (old->found && (store_ddb_item_delete(c, t->id, 0, k, NULL, 0, err) != 0 ||
                           store_ddb_counts_add(c, t->id, -1, -old_size, err) != 0))
            goto out;
        rc = 0;
        goto out;
    }
    if (text == NULL && (text = body = jtext_dump(item, NULL)) == NULL) {
        err_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (old->pending) {
        int ins = ddb_item_insert(c, t, k, old, text, size, err);
        if (ins <= 0) {
            rc = ins;
            goto out;
        }
        old_size = (int64_t)old->size; /* the key was taken: rewrite that row */
    }
    /* A row found in this job is rewritten in place: same key, same
     * index entry. */
    if ((old->rowid != 0 ? store_ddb_item_replace(c, old->rowid, text, size, err)
                         : store_ddb_item_put(c, t->id, 0, k, NULL, 0, text, size, err)) != 0 ||
        store_ddb_counts_add(c, t->id, old->found ? 0 : 1, (int64_t)size - old_size, err) != 0)
        goto out;
    for (int i = 0; i < t->nidx; i++)
        if (ddb_index_row(c, t, &t->idx[i], pk, pk_len, item, false, err) != 0)
            goto out;
    rc = 0;
out:
    free(body);
    free(pk);
    return rc;
}
