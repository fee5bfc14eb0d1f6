/*
 * Who may do what under each rule: roles resolved into people, and the
 * refs of a repository assigned to the rule that decides them (the first
 * whose pattern matches, as the hooks decide).
 */
#include "review.h"
#include "twokey/pattern.h"

static int
by_id(const void *a, const void *b)
{
	const struct tk_identity *x = *(const struct tk_identity *const *)a;
	const struct tk_identity *y = *(const struct tk_identity *const *)b;

	return strcmp(x->id, y->id);
}

/* The identities (of a->ids, so sorted) holding a role of set. */
static int
holders(struct tk_people *out, const struct tk_access *a,
    const struct tk_roleset *set)
{
	size_t i;

	for (i = 0; i < a->nids; i++) {
		if (!tk_roleset_intersects(&a->ids[i]->roles, set))
			continue;
		if (tk_grow_one(&out->ids, out->n, sizeof(*out->ids)) < 0)
			return TK_ENOMEM;
		out->ids[out->n++] = a->ids[i];
	}
	return 0;
}

static int
by_role_name(const void *x, const void *y, void *arg)
{
	const struct tk_policy *p = arg;

	return strcmp(p->roles[((const struct tk_role_people *)x)->role],
	    p->roles[((const struct tk_role_people *)y)->role]);
}

/* A role set's holders, per role (sorted by name), with their minimums. */
static int
per_role(struct tk_role_people **out, size_t *n, const struct tk_access *a,
    const struct tk_roleset *from, const struct tk_role_min *req, size_t nreq)
{
	struct tk_roleset one;
	unsigned role;
	size_t i;
	int rc;

	if ((*out = tk_calloc(a->p->nroles + 1, sizeof(**out))) == NULL)
		return TK_ENOMEM;
	for (role = 0; role < a->p->nroles; role++) {
		struct tk_role_people *rp = &(*out)[*n];

		if (!tk_roleset_has(from, role))
			continue;
		memset(&one, 0, sizeof(one));
		one.bits[role / 64] |= (uint64_t)1 << (role % 64);
		rp->role = role;
		for (i = 0; i < nreq; i++)
			if (req[i].role == role)
				rp->require = req[i].min;
		++*n;
		if ((rc = holders(&rp->people, a, &one)) < 0)
			return rc;
	}
	qsort_r(*out, *n, sizeof(**out), by_role_name, (void *)a->p);
	return 0;
}

static int
path_access(struct tk_rule_access *ra, const struct tk_access *a)
{
	const struct tk_rule *r = ra->rule;
	size_t i;
	int rc;

	if (r->npaths == 0)
		return 0;
	if ((ra->paths = tk_calloc(r->npaths, sizeof(*ra->paths))) == NULL)
		return TK_ENOMEM;
	ra->npaths = r->npaths;
	for (i = 0; i < r->npaths; i++) {
		const struct tk_path_rule *e = &r->paths[i];
		struct tk_path_access *pa = &ra->paths[i];

		pa->entry = e;
		if (!e->writers.set)
			pa->writers.anyone = true;
		else if ((rc = holders(&pa->writers, a, &e->writers.roles)) < 0)
			return rc;
		if (e->approvals &&
		    ((rc = holders(&pa->approve, a, &e->from)) < 0 ||
		        (rc = per_role(&pa->by_role, &pa->nby_role, a, &e->from,
		             e->require, e->nrequire)) < 0))
			return rc;
	}
	return 0;
}

static int
rule_access(struct tk_rule_access *ra, const struct tk_access *a, size_t i)
{
	const struct tk_rolelist *l;
	unsigned k;
	int rc;

	ra->rule = a->p->rules[i];
	ra->index = i;
	for (k = 0; k < TK_PERM_NPUSH; k++) {
		l = tk_review_push_roles(ra->rule, (enum tk_push_perm)k);
		if (!l->set)
			ra->push[k].anyone = true;
		else if ((rc = holders(&ra->push[k], a, &l->roles)) < 0)
			return rc;
	}
	if (ra->rule->approvals &&
	    ((rc = holders(&ra->approve, a, &ra->rule->approvals_from)) < 0 ||
	        (rc = per_role(&ra->by_role, &ra->nby_role, a,
	             &ra->rule->approvals_from, ra->rule->require,
	             ra->rule->nrequire)) < 0))
		return rc;
	if (ra->rule->emergency != NULL &&
	    (rc = holders(&ra->emergency, a, &ra->rule->emergency->by)) < 0)
		return rc;
	return path_access(ra, a);
}

static int
push_ref(const char ***arr, size_t *n, const char *ref)
{
	if (tk_grow_one(arr, *n, sizeof(**arr)) < 0)
		return TK_ENOMEM;
	(*arr)[(*n)++] = ref;
	return 0;
}

/* Each ref to the first rule matching it, as tk_policy_match() decides. */
static int
assign(struct tk_access *a, const char *const *refs, size_t nrefs)
{
	const struct tk_rule *rule;
	size_t i, k;
	int m, rc = 0;

	for (i = 0; i < nrefs && rc == 0; i++) {
		m = tk_policy_match(&rule, a->p, refs[i]);
		if (m < 0)
			rc = push_ref(
			    &a->unmatchable, &a->nunmatchable, refs[i]);
		else if (m == 0)
			rc = push_ref(&a->ungoverned, &a->nungoverned, refs[i]);
		else {
			for (k = 0; a->rules[k].rule != rule; k++)
				;
			rc = push_ref(&a->rules[k].governs,
			    &a->rules[k].ngoverns, refs[i]);
		}
	}
	return rc;
}

int
tk_access_build(struct tk_access **out, const struct tk_policy *p,
    const char *const *refs, size_t nrefs)
{
	struct tk_access *a;
	size_t i;
	int rc = TK_ENOMEM;

	*out = NULL;
	if ((a = tk_calloc(1, sizeof(*a))) == NULL)
		return TK_ENOMEM;
	a->p = p;
	a->have_refs = refs != NULL;
	if ((a->ids = tk_calloc(p->nidentities + 1, sizeof(*a->ids))) == NULL ||
	    (a->rules = tk_calloc(p->nrules + 1, sizeof(*a->rules))) == NULL)
		goto out;
	for (i = 0; i < p->nidentities; i++)
		a->ids[i] = p->identities[i];
	a->nids = p->nidentities;
	qsort(a->ids, a->nids, sizeof(*a->ids), by_id);
	a->nrules = p->nrules; /* zeroed: freeing a half-built one is fine */
	for (i = 0; i < p->nrules; i++)
		if ((rc = rule_access(&a->rules[i], a, i)) < 0)
			goto out;
	if ((rc = assign(a, refs, nrefs)) < 0)
		goto out;
	*out = a;
	a = NULL; /* transferred */
	rc = 0;
out:
	tk_access_free(a);
	return rc;
}

void
tk_access_free(struct tk_access *a)
{
	size_t i, k;

	if (a == NULL)
		return;
	for (i = 0; i < a->nrules; i++) {
		struct tk_rule_access *ra = &a->rules[i];

		for (k = 0; k < TK_PERM_NPUSH; k++)
			free(ra->push[k].ids);
		free(ra->approve.ids);
		free(ra->emergency.ids);
		for (k = 0; k < ra->nby_role; k++)
			free(ra->by_role[k].people.ids);
		free(ra->by_role);
		free(ra->governs);
		for (k = 0; k < ra->npaths; k++) {
			size_t j;

			free(ra->paths[k].writers.ids);
			free(ra->paths[k].approve.ids);
			for (j = 0; j < ra->paths[k].nby_role; j++)
				free(ra->paths[k].by_role[j].people.ids);
			free(ra->paths[k].by_role);
		}
		free(ra->paths);
	}
	free(a->rules);
	free(a->ids);
	free(a->ungoverned);
	free(a->unmatchable);
	free(a);
}
