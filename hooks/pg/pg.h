/*
 * twokey-pg: the one program that links libpq (pg_store.c), run by the
 * static hooks and `twokey` through lib/audit/pgclient.c.
 */
#ifndef TK_PG_H
#define TK_PG_H

#include <stdio.h>

#include "store.h"

/* A store appending to the database's chain (dest->postgres, ->node). */
int pgd_store_writer(
    struct tk_audit_store **out, const struct tk_audit_dest *dest);
/* A store reading the whole chain in one snapshot. */
int pgd_store_reader(struct tk_audit_store **out, const char *conninfo_file);
/* Creates or upgrades the schema (idempotent). */
int pgd_init(const char *conninfo_file);
/*
 * Writes "head HASH|-" then "SEQ LINE" per record in chain order ("SEQ !"
 * for a record over TK_AUDIT_MAX_RECORD) to out.
 */
int pgd_dump(FILE *out, const char *conninfo_file);

#endif
