/*
 * Private to lib/engine: change freezes (frozen.c; docs/spec.md, "Change
 * freezes").
 */
#ifndef TK_FROZEN_H
#define TK_FROZEN_H

#include "engine.h"

/*
 * Refuses update up (a DENY finding per freeze in force on its ref, each
 * with the freeze's name, end and reason) unless c->waived lifts
 * "freeze", in which case each is noted instead.  An unreadable ad hoc
 * freeze store refuses every update (fail closed).  The caller settles
 * the findings whatever the rule's mode: a freeze is not the rule's.
 * 0 or TK_ENOMEM.
 */
int tk_check_frozen(struct tk_check *c, const struct tk_update *up);

#endif
