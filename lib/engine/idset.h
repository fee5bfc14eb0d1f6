/*
 * Private to lib/engine: a small set of identities (writers of a change).
 */
#ifndef TK_ENGINE_IDSET_H
#define TK_ENGINE_IDSET_H

#include "internal.h"
#include "twokey/policy.h"

struct tk_idset {
	const struct tk_identity **ids;
	size_t n, cap;
};

int tk_idset_add(struct tk_idset *s, const struct tk_identity *id);
bool tk_idset_has(const struct tk_idset *s, const struct tk_identity *id);
void tk_idset_release(struct tk_idset *s);

#endif
