/*
 * Ratifying an emergency (docs/spec.md, "Emergency changes"): after the
 * fact, every commit the emergency push brought in is approved in
 * refs/notes/twokey as the rule's ratify: block asks, by people who wrote
 * none of that commit.  The writers were recorded at push time (the
 * state), so a later policy change cannot turn a writer into a reviewer
 * of their own change.
 */
#include "store.h"
#include "twokey/notes.h"
#include "twokey/policy.h"

/* Distinct identities counted on one commit, and on all of them. */
struct count {
	const struct tk_identity *ids[64];
	size_t n;
};

static bool
has(const struct count *c, const struct tk_identity *id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->ids[i] == id)
			return true;
	return false;
}

static bool
wrote(const struct tk_emergency_commit *cm, const struct tk_identity *id)
{
	size_t i;

	for (i = 0; i < cm->nwriters; i++)
		if (strcmp(cm->writers[i], id->id) == 0)
			return true;
	return false;
}

static bool
enough(const struct tk_emergency *em, const struct count *c)
{
	size_t i, k;
	unsigned have;

	if (c->n < em->min)
		return false;
	for (i = 0; i < em->nrequire; i++) {
		for (k = 0, have = 0; k < c->n; k++)
			have += tk_roleset_has(
			    &c->ids[k]->roles, em->require[i].role);
		if (have < em->require[i].min)
			return false;
	}
	return true;
}

/* Counts the valid note approvals of one commit that may ratify it. */
static int
count_commit(struct count *c, struct tk_notes *notes, git_repository *repo,
    const struct tk_policy *p, const struct tk_rule *rule,
    const struct tk_emergency_entry *e, const struct tk_emergency_commit *cm,
    int64_t now)
{
	struct tk_note_approvals a;
	git_oid id;
	size_t i;
	int rc;

	if (git_oid_fromstr(&id, cm->id) < 0)
		return tk_error_set(TK_EINVAL, "bad commit id in the state");
	if ((rc = tk_notes_verify(&a, notes, repo, p, now, &id)) < 0)
		return rc == TK_ENOTFOUND ? 0 : rc;
	for (i = 0; i < a.n; i++) {
		const struct tk_identity *who = a.items[i].identity;

		if (who == NULL || has(c, who) || wrote(cm, who) ||
		    c->n == sizeof(c->ids) / sizeof(c->ids[0]) ||
		    !tk_roleset_intersects(&who->roles, &rule->emergency->from))
			continue;
		if (!rule->pusher_may_approve && e->pusher != NULL &&
		    strcmp(e->pusher, who->id) == 0)
			continue;
		c->ids[c->n++] = who;
	}
	tk_note_approvals_release(&a);
	return 0;
}

static int
names(char **out, const struct count *all)
{
	struct tk_buf b = TK_BUF_INIT(65536);
	size_t i;

	for (i = 0; i < all->n; i++)
		(void)tk_buf_printf(&b, "%s%s", i ? ", " : "", all->ids[i]->id);
	if (all->n == 0)
		(void)tk_buf_puts(&b, "(nothing entered)");
	if ((*out = tk_buf_detach(&b, NULL)) == NULL) {
		tk_buf_release(&b);
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	return 0;
}

int
tk_emergency_ratified(char **ratifiers, git_repository *repo,
    const git_oid *notes_tip, const struct tk_policy *p,
    const struct tk_rule *rule, const struct tk_emergency_entry *e, int64_t now)
{
	struct tk_notes *notes = NULL;
	struct count c, all;
	size_t i, k;
	int rc = 0;

	*ratifiers = NULL;
	memset(&all, 0, sizeof(all));
	if (e->ncommits > 0 &&
	    (rule == NULL || rule->emergency == NULL || notes_tip == NULL))
		return 0; /* nothing can ratify it under this policy */
	if (e->ncommits > 0 &&
	    (rc = tk_notes_open(&notes, repo, notes_tip)) < 0)
		return rc;
	for (i = 0; i < e->ncommits; i++) {
		memset(&c, 0, sizeof(c));
		if ((rc = count_commit(
		         &c, notes, repo, p, rule, e, &e->commits[i], now)) < 0)
			goto out;
		if (!enough(rule->emergency, &c))
			goto out; /* rc 0: not ratified yet */
		for (k = 0; k < c.n; k++)
			if (!has(&all, c.ids[k]) && all.n < 64)
				all.ids[all.n++] = c.ids[k];
	}
	if ((rc = names(ratifiers, &all)) == 0)
		rc = 1;
out:
	tk_notes_free(notes);
	return rc;
}
