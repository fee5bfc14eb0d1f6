/*
 * A small set of identities: the writers of one change.  A linear scan: a
 * change has a few writers per commit it answers for.
 */
#include "idset.h"

int
tk_idset_add(struct tk_idset *s, const struct tk_identity *id)
{
	int rc;

	if (id == NULL || tk_idset_has(s, id))
		return 0;
	if ((rc = tk_grow(&s->ids, &s->cap, s->n + 1, sizeof(*s->ids))) < 0)
		return rc;
	s->ids[s->n++] = id;
	return 0;
}

bool
tk_idset_has(const struct tk_idset *s, const struct tk_identity *id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return true;
	return false;
}

void
tk_idset_release(struct tk_idset *s)
{
	free(s->ids);
	memset(s, 0, sizeof(*s));
}
