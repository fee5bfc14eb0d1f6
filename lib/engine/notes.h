/*
 * Private to lib/engine: refs/notes/twokey in a push.
 */
#ifndef TK_ENGINE_NOTES_H
#define TK_ENGINE_NOTES_H

#include "engine.h"

/* True when ref, as the push names it, is the notes ref. */
bool tk_is_notes_ref(const char *ref);

/*
 * Finds the notes commit the hook reads approvals from: the pushed value
 * when this push updates the notes ref, else the repository's.  Returns 0
 * or an error that stops the check.
 */
int tk_check_notes_init(struct tk_check *c);

/* Frees what the notes parts of c hold. */
void tk_check_notes_release(struct tk_check *c);

/*
 * Reads the note on each chain commit recs[chain[i]] into its note field
 * (NULL when none).  A note that cannot be read is recorded in the rec
 * (napps_status, napps_error) and refuses that commit later; the return
 * is 0 or an error that stops the check (TK_ENOMEM).
 */
int tk_check_chain_notes(
    struct tk_check *c, struct tk_rec *recs, const size_t *chain, size_t n);

/*
 * The guard of the current update, which is of the notes ref: create
 * and fast-forward only; every line a note held stays; every added line
 * is a valid approval of the commit it annotates.  Findings (TK_SEV_DENY,
 * never softened by warn mode) and the approvals it adds go into the
 * report.  Returns 0 or an error that stops the check.
 */
int tk_check_notes_update(struct tk_check *c);

#endif
