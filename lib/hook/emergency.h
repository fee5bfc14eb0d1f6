/*
 * Private to lib/hook: the emergency path around a decision (emergency.c;
 * docs/spec.md, "Emergency changes").
 */
#ifndef TK_HOOK_EMERGENCY_H
#define TK_HOOK_EMERGENCY_H

#include <stdio.h>

#include "internal.h"
#include "twokey/check.h"
#include "twokey/emergency.h"
#include "twokey/hook.h"
#include "options.h"

struct tk_hook_em {
	struct tk_emergency_store *store; /* NULL: no state for this policy */
	struct tk_emergency_state seen; /* what the decision saw */
	struct tk_emergency_state locked; /* re-read under the lock */
	bool holding; /* the lock is held */
	size_t added; /* entries appended to locked */
	uint64_t *marked; /* seqs marked ratified in locked */
	size_t nmarked;
	const char *reason; /* -o twokey.emergency=<reason>, or NULL */
};

/*
 * Reads -o twokey.emergency=<reason> (pre-receive only; the update hook
 * gets no push options from git).  0 with em->reason set or NULL;
 * TK_EINVAL when given twice.
 */
int tk_hook_em_option(struct tk_hook_em *em, const struct tk_push_opts *o);

/*
 * Before deciding: opens and reads the emergency state when a rule of p
 * has emergency: and fills opts (the state, the reason, and why an
 * emergency cannot be granted here).  0, or a negative code when the
 * state exists but cannot be used: the push must be refused.
 */
int tk_hook_em_prepare(struct tk_hook_em *em, const struct tk_policy *p,
    enum tk_hook_kind kind, struct tk_check_opts *opts);

/*
 * After deciding, before the audit record: under the state's lock,
 * appends the emergencies this push was granted (only when it is
 * accepted and not a dry run) and marks those it found ratified, and
 * writes the state.  The lock stays held until tk_hook_em_finish, so
 * that the audit record and the state agree.  0 or a negative code.
 */
int tk_hook_em_commit(struct tk_hook_em *em, const struct tk_updates *u,
    const struct tk_report *r, const char *repo, int64_t now, bool accepted);

/*
 * Releases the lock; when recorded is false (the audit record could not
 * be written), first takes back what tk_hook_em_commit wrote (a database
 * store's unlock does: nothing it wrote was committed without the record).
 */
void tk_hook_em_finish(struct tk_hook_em *em, bool recorded);

/*
 * After a refusal: tells the pusher when a refused ref has an emergency
 * path they could not use here (the update hook; push options not
 * advertised).
 */
void tk_hook_em_hint(FILE *f, const struct tk_hook_em *em,
    const struct tk_report *r, git_repository *repo, enum tk_hook_kind kind,
    const char *prefix);

void tk_hook_em_release(struct tk_hook_em *em);

#endif
