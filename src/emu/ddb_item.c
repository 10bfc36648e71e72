/*
 * ddb_item.c - single-item actions: PutItem, GetItem, UpdateItem,
 * DeleteItem.  Each validates the request's shape, parses its expressions,
 * then runs one storage job: conditions are evaluated against the item as
 * stored inside the same write transaction, so check-and-write is atomic.
 */
#include "ddb_item.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/jtext.h"
#include "av.h"
#include "svc.h"

#define VFAIL(...) err_set(err, ERR_DDB_VALIDATION, __VA_ARGS__)

typedef struct ddb_item_job {
    emu_t *emu;
    json_t *req;
    ddb_exprs x;
    ddb_old old;     /* the item before (old.item owned) */
    json_t *item;    /* the item after (owned), or the read item */
    char *text;      /* the text of the item read (GetItem without projection)
                        or of PutItem's item (owned) */
    size_t text_len;
    size_t size;     /* the DynamoDB size of the item read or written */
    bool absent_ok;  /* PutItem: the condition holds when there is no item */
    bool insert_first; /* ... and ddb_put_run tries the INSERT before reading */
} ddb_item_job;

int ddb_require_object(json_t *req, const char *member, const char *field, err_t *err)
{
    json_t *v = json_object_get(req, member);
    if (v == NULL || json_is_null(v))
        return VFAIL("1 validation error detected: Value null at '%s' failed to satisfy "
                     "constraint: Member must not be null", field);
    if (!json_is_object(v))
        return err_set(err, ERR_DDB_SERIALIZATION,
                       "Start of structure or map found where not expected.");
    return av_validate_item(v, err);
}

static void ddb_job_free(ddb_item_job *j)
{
    free(j->text);
    ddb_exprs_free(&j->x);
    json_decref(j->old.item);
    json_decref(j->item);
}

/* Attributes + ConsumedCapacity for a write's response. */
static json_t *ddb_write_response(ddb_item_job *j, const char *rv, json_t *updated_names)
{
    json_t *out = json_object();
    json_t *attrs = NULL;
    if (rv != NULL && strcmp(rv, "ALL_OLD") == 0 && j->old.item != NULL)
        attrs = json_incref(j->old.item);
    else if (rv != NULL && strcmp(rv, "ALL_NEW") == 0 && j->item != NULL)
        attrs = json_incref(j->item);
    else if (rv != NULL && strncmp(rv, "UPDATED_", 8) == 0) {
        json_t *src = strcmp(rv, "UPDATED_OLD") == 0 ? j->old.item : j->item;
        attrs = json_object();
        size_t i;
        json_t *n;
        json_array_foreach(updated_names, i, n) {
            json_t *v = json_object_get(src, json_string_value(n));
            if (v != NULL)
                json_object_set(attrs, json_string_value(n), v);
        }
    }
    if (attrs != NULL && json_object_size(attrs) > 0)
        json_object_set_new(out, "Attributes", attrs);
    else
        json_decref(attrs);
    /* A delete's j->size is 0: it counts by the item before it. */
    json_t *cc = ddb_consumed(j->req, json_string_value(json_object_get(j->req, "TableName")),
                              ddb_units(ddb_write_bytes(&j->old, j->size), true, true), true);
    if (cc != NULL)
        json_object_set_new(out, "ConsumedCapacity", cc);
    return out;
}

/* An update must not touch the key attributes. */
static int ddb_update_keys_untouched(const ddb_table *t, json_t *names, err_t *err)
{
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        const char *s = json_string_value(n);
        if (strcmp(s, t->hash) == 0 || (t->range[0] && strcmp(s, t->range) == 0))
            return VFAIL("One or more parameter values were invalid: Cannot update attribute "
                         "%s. This attribute is part of the key", s);
    }
    return 0;
}

/* Whether a write needs the stored item parsed, beyond its size: an update
 * starts from it, a condition reads it, ReturnValues may return it, and
 * index rows are found through it. */
static bool ddb_old_needed(const ddb_item_job *j, const ddb_table *t, bool update)
{
    const char *rv = json_string_value(json_object_get(j->req, "ReturnValues"));
    return update || j->x.cond != NULL || t->nidx > 0 || (rv != NULL && strcmp(rv, "NONE") != 0);
}

/* The common start of a write job: the table, the item's key (from the
 * new item for puts, of size j->size, from Key otherwise), the keys an
 * update may not touch, the stored item and the condition against it.  On
 * failure everything loaded is released; on success the caller frees t
 * and k. */
static int ddb_item_begin(store_conn *c, ddb_item_job *j, json_t *put, json_t *update_names,
                          ddb_table *t, ddb_key *k, err_t *err)
{
    memset(k, 0, sizeof *k);
    if (ddb_table_get(j->emu, c, json_string_value(json_object_get(j->req, "TableName")), t,
                      err) != 0)
        return -1;
    int rc = put != NULL ? ddb_item_check(t, put, j->size, k, err) == 0
                         : ddb_key_from_key(t, json_object_get(j->req, "Key"), k, err) == 0;
    if (rc && update_names != NULL)
        rc = ddb_update_keys_untouched(t, update_names, err) == 0;
    bool parse = ddb_old_needed(j, t, update_names != NULL);
    if (rc && put != NULL && !parse)
        j->old.pending = true; /* no condition to check: ddb_item_write looks if it must */
    else if (rc && put != NULL && j->absent_ok && t->nidx == 0)
        j->insert_first = true; /* the condition matters only if the key is taken */
    else if (rc)
        rc = ddb_item_find(c, t, k, parse, &j->old, err) == 0 &&
             ddb_exprs_check(&j->x, j->req, j->old.item, err) == 0;
    if (rc)
        return 0;
    ddb_key_free(k);
    ddb_table_free(t);
    return -1;
}

/* ---- PutItem ---- */

int ddb_put_item_validate(json_t *req, err_t *err)
{
    if (ddb_check_table_name(req, "TableName", err) != 0 ||
        ddb_require_object(req, "Item", "item", err) != 0)
        return -1;
    return ddb_check_return_values(req, false, err);
}

static int ddb_put_run(store_conn *c, void *arg, err_t *err)
{
    ddb_item_job *j = arg;
    ddb_table t;
    ddb_key k;
    if (ddb_item_begin(c, j, j->item, NULL, &t, &k, err) != 0)
        return -1;
    int rc;
    if (j->insert_first) {
        /* The handler's write: a condition such as attribute_not_exists(id)
         * holds when the key is new, so try the INSERT first; only a taken
         * key is read, and the condition then decides on the stored item,
         * as without this path. */
        rc = ddb_item_insert(c, &t, &k, &j->old, j->text, j->size, err);
        if (rc == 1)
            rc = ddb_item_find(c, &t, &k, true, &j->old, err) == 0 &&
                         ddb_exprs_check(&j->x, j->req, j->old.item, err) == 0
                     ? ddb_item_write(c, &t, &k, &j->old, j->item, j->text, j->size, err)
                     : -1;
    } else {
        rc = ddb_item_write(c, &t, &k, &j->old, j->item, j->text, j->size, err);
    }
    ddb_key_free(&k);
    ddb_table_free(&t);
    return rc;
}

json_t *ddb_put_item(emu_t *emu, json_t *req, err_t *err)
{
    ddb_item_job j = {.emu = emu, .req = req};
    json_t *out = NULL;
    if (ddb_exprs_parse(req, DDB_X_CONDITION, NULL, &j.x, err) != 0)
        goto out;
    j.item = json_incref(json_object_get(req, "Item"));
    /* Sized and serialised here, on one of the event threads, rather than
     * in the job on the writer, which every write of every table waits for. */
    j.size = av_item_size(j.item);
    if ((j.text = jtext_dump(j.item, NULL)) == NULL) {
        err_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    /* Whether the condition holds for a missing item needs no storage:
     * decided here, off the writer.  An evaluation error only means the
     * usual path, which meets it again with the stored item. */
    err_t scratch = {0};
    bool ok = false;
    j.absent_ok = j.x.cond != NULL && expr_eval(j.x.cond, NULL, &ok, &scratch) == 0 && ok;
    err_clear(&scratch);
    if (store_write(emu->store, ddb_put_run, &j, err) != 0)
        goto out;
    json_decref(j.item);
    j.item = NULL; /* PutItem never returns the new item */
    out = ddb_write_response(&j, json_string_value(json_object_get(req, "ReturnValues")), NULL);
out:
    ddb_job_free(&j);
    return out;
}

/* ---- GetItem ---- */

int ddb_get_item_validate(json_t *req, err_t *err)
{
    if (ddb_check_table_name(req, "TableName", err) != 0)
        return -1;
    return ddb_require_object(req, "Key", "key", err);
}

static int ddb_get_run(store_conn *c, void *arg, err_t *err)
{
    ddb_item_job *j = arg;
    ddb_table t;
    ddb_key k;
    if (ddb_table_get(j->emu, c, json_string_value(json_object_get(j->req, "TableName")), &t,
                      err) != 0)
        return -1;
    int rc = ddb_key_from_key(&t, json_object_get(j->req, "Key"), &k, err);
    if (rc == 0) {
        /* Without a projection the stored text is the answer: no parse. */
        rc = j->x.proj ? ddb_item_load(c, &t, &k, &j->item, err)
                       : store_ddb_item_text(c, t.id, &k, &j->text, &j->text_len, &j->size, err);
        ddb_key_free(&k);
    }
    ddb_table_free(&t);
    return rc;
}

char *ddb_get_item(emu_t *emu, json_t *req, err_t *err)
{
    ddb_item_job j = {.emu = emu, .req = req};
    char *text = NULL;
    if (ddb_exprs_parse(req, DDB_X_PROJECTION, NULL, &j.x, err) != 0 ||
        store_read(emu->store, ddb_get_run, &j, err) != 0)
        goto out;
    json_t *out = json_object();
    bool consistent = json_is_true(json_object_get(req, "ConsistentRead"));
    size_t bytes = j.item ? av_item_size(j.item) : j.size;
    if (j.item != NULL)
        json_object_set_new(out, "Item", expr_project(j.x.proj, j.item));
    json_t *cc = ddb_consumed(req, json_string_value(json_object_get(req, "TableName")),
                              ddb_units(bytes, false, consistent), false);
    if (cc != NULL)
        json_object_set_new(out, "ConsumedCapacity", cc);
    if (j.text != NULL) {
        text = svc_splice(out, "Item", "", j.text, j.text_len, "");
    } else {
        text = jtext_dump(out, NULL);
        json_decref(out);
    }
out:
    if (text == NULL && err->code == ERR_NONE)
        err_set(err, ERR_INTERNAL, "out of memory");
    ddb_job_free(&j);
    return text;
}

/* ---- UpdateItem ---- */

int ddb_update_item_validate(json_t *req, err_t *err)
{
    if (ddb_check_table_name(req, "TableName", err) != 0 ||
        ddb_require_object(req, "Key", "key", err) != 0)
        return -1;
    return ddb_check_return_values(req, true, err);
}

static int ddb_update_run(store_conn *c, void *arg, err_t *err)
{
    ddb_item_job *j = arg;
    ddb_table t;
    ddb_key k;
    int rc = -1;
    json_t *names = j->x.update ? expr_update_attributes(j->x.update) : json_array();
    if (ddb_item_begin(c, j, NULL, names, &t, &k, err) != 0) {
        json_decref(names);
        return -1;
    }
    /* The new item starts as the old one; a copy only when the old one is
     * read again, for index rows or the response. */
    const char *rv = json_string_value(json_object_get(j->req, "ReturnValues"));
    bool old_read = t.nidx > 0 || (rv != NULL && (strcmp(rv, "ALL_OLD") == 0 ||
                                                  strcmp(rv, "UPDATED_OLD") == 0));
    if (j->old.item != NULL && !old_read) {
        j->item = j->old.item;
        j->old.item = NULL;
    } else {
        j->item = json_deep_copy(j->old.item ? j->old.item : json_object_get(j->req, "Key"));
    }
    if (j->x.update != NULL && expr_apply_update(j->x.update, j->item, err) != 0)
        goto out;
    j->size = av_item_size(j->item);
    if (ddb_item_check(&t, j->item, j->size, NULL, err) != 0)
        goto out;
    rc = ddb_item_write(c, &t, &k, &j->old, j->item, NULL, j->size, err);
out:
    json_decref(names);
    ddb_key_free(&k);
    ddb_table_free(&t);
    return rc;
}

json_t *ddb_update_item(emu_t *emu, json_t *req, err_t *err)
{
    ddb_item_job j = {.emu = emu, .req = req};
    json_t *out = NULL;
    if (ddb_exprs_parse(req, DDB_X_CONDITION | DDB_X_UPDATE, NULL, &j.x, err) != 0 ||
        store_write(emu->store, ddb_update_run, &j, err) != 0)
        goto out;
    const char *rv = json_string_value(json_object_get(req, "ReturnValues"));
    /* The updated names matter to UPDATED_OLD and UPDATED_NEW only. */
    json_t *names = rv == NULL || strncmp(rv, "UPDATED_", 8) != 0 ? NULL
                    : j.x.update                                ? expr_update_attributes(j.x.update)
                                                                : json_array();
    out = ddb_write_response(&j, rv, names);
    json_decref(names);
out:
    ddb_job_free(&j);
    return out;
}

/* ---- DeleteItem ---- */

int ddb_delete_item_validate(json_t *req, err_t *err)
{
    if (ddb_check_table_name(req, "TableName", err) != 0 ||
        ddb_require_object(req, "Key", "key", err) != 0)
        return -1;
    return ddb_check_return_values(req, false, err);
}

static int ddb_delete_run(store_conn *c, void *arg, err_t *err)
{
    ddb_item_job *j = arg;
    ddb_table t;
    ddb_key k;
    if (ddb_item_begin(c, j, NULL, NULL, &t, &k, err) != 0)
        return -1;
    int rc = ddb_item_write(c, &t, &k, &j->old, NULL, NULL, 0, err);
    ddb_key_free(&k);
    ddb_table_free(&t);
    return rc;
}

json_t *ddb_delete_item(emu_t *emu, json_t *req, err_t *err)
{
    ddb_item_job j = {.emu = emu, .req = req};
    json_t *out = NULL;
    if (ddb_exprs_parse(req, DDB_X_CONDITION, NULL, &j.x, err) != 0 ||
        store_write(emu->store, ddb_delete_run, &j, err) != 0)
        goto out;
    out = ddb_write_response(&j, json_string_value(json_object_get(req, "ReturnValues")), NULL);
out:
    ddb_job_free(&j);
    return out;
}
