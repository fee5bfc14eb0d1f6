/*
 * Private to lib/engine.
 */
#ifndef TK_ENGINE_MERGE_H
#define TK_ENGINE_MERGE_H

#include "engine.h"

/*
 * Whether merge commit rec is exactly the automatic merge of its parents
 * (1), or hides changes of its own or resolved conflicts (0); <0 on error
 * (tk_merge_clean).  When twokey may not reproduce git's merge there, a
 * note on the update says why, once per merge and update.
 */
int tk_merge_is_clean(struct tk_check *c, const struct tk_rec *rec);

#endif
