/*
 * Private to lib/engine.
 */
#ifndef TK_ENGINE_SIGNATURES_H
#define TK_ENGINE_SIGNATURES_H

#include "engine.h"

/*
 * Signed commits: checks rec's git signature, sets rec->signer when it
 * verifies with a policy key.  With required set, every problem is a
 * refusal; otherwise an unverifiable signature is simply not a signer.
 */
int tk_check_signature(struct tk_check *c, struct tk_rec *rec, bool required);

#endif
