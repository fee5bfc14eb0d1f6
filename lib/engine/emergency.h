/*
 * Private to lib/engine: emergencies in the decision (emergency.c).
 */
#ifndef TK_ENGINE_EMERGENCY_H
#define TK_ENGINE_EMERGENCY_H

#include "engine.h"

/*
 * Before any ref is decided: every emergency of the state on this
 * repository that is pending and either this push brings notes or it is
 * overdue on a pushed ref, checked for ratification against the notes as
 * they will be after the push; those ratified go into the report.
 * 0, or an error that stops the check (notes that cannot be read).
 */
int tk_check_emergency_init(struct tk_check *c);

/*
 * For the current update, after its role checks: grants the requested
 * emergency (sets c->waived and the verdict's emergency fields) or
 * refuses the ref saying why; then refuses (overdue: block) or warns
 * about earlier emergencies on the ref that are overdue.  rule NULL: the
 * ref has no emergency path.  0 or an error.
 */
int tk_check_emergency(
    struct tk_check *c, const struct tk_rule *rule, const struct tk_update *up);

#endif
