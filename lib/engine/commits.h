/*
 * Private to lib/engine.
 */
#ifndef TK_ENGINE_COMMITS_H
#define TK_ENGINE_COMMITS_H

#include "engine.h"

/* The commit checks of the current update under rule; findings only. */
int tk_check_commits(struct tk_check *c, const struct tk_rule *rule);

#endif
