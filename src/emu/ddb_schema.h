/*
 * ddb_schema.h - CreateTable/UpdateTable request validation and the
 * stored table description built from them.
 */
#ifndef EMU_DDB_SCHEMA_H
#define EMU_DDB_SCHEMA_H

#include <stdbool.h>
#include <jansson.h>
#include "../common/err.h"

/* Shape and consistency of a CreateTable request (DynamoDB's messages). */
int ddb_schema_validate_create(json_t *req, err_t *err);
/* The stored description ("meta") for a validated CreateTable (new). */
json_t *ddb_schema_meta_from_create(json_t *req);
/* Validate one index definition (GSI when global) against the table's
 * AttributeDefinitions; used by CreateTable and UpdateTable. */
int ddb_schema_validate_index(json_t *def, json_t *attr_defs, bool global,
                              const char *table_hash, err_t *err);
/* The stored form of an index definition with storage id `id` (new). */
json_t *ddb_schema_index_meta(json_t *def, int id, bool billing_on_demand);

#endif
