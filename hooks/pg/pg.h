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

/* Writes "VERSION\n" and the ad hoc freezes' text (lib/freeze/pg.c). */
int pgd_freeze_read(FILE *out, const char *conninfo_file);
/*
 * Replaces the freeze text with what fd in holds (parsed first) if the
 * stored version is still ver; "changed meanwhile" in the message when
 * it is not.
 */
int pgd_freeze_write(
    const char *conninfo_file, const char *ver, const struct tk_buf *body);

/*
 * A session: every request for conninfo_file shares one connection
 * until pgd_session_end (which closes it, rolling back an open
 * transaction).  pgd_session_busy: em-lock's transaction is open.
 */
void pgd_session_begin(const char *conninfo_file);
bool pgd_session_busy(void);
void pgd_session_end(void);

/*
 * The emergency state (lib/emergency/pg.c): writes its text to out;
 * with lock (a session only), first begins the transaction that holds
 * its row's lock until the next append commits it or pgd_em_unlock.
 */
int pgd_em_read(FILE *out, const char *conninfo_file, bool lock);
/* Replaces the text (parsed first) under pgd_em_read's lock. */
int pgd_em_write(const char *conninfo_file, const struct tk_buf *body);
/* Rolls back the lock's transaction, if any. */
int pgd_em_unlock(void);

#endif
