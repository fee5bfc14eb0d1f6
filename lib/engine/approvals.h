/*
 * Private to lib/engine.
 */
#ifndef TK_ENGINE_APPROVALS_H
#define TK_ENGINE_APPROVALS_H

#include "engine.h"

/*
 * The separation rule for one chain commit: writers is the set of writers
 * of the change it answers for.  Adds findings; returns 0 or an error.
 */
int tk_check_approvals(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tk_idset *writers);

#endif
