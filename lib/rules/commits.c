/*
 * The commits entering a ref, and the checks on them.
 *
 * Entering commits (DESIGN.md, Vocabulary): reachable from the new value
 * and not from the old one; for a created ref, not from any existing ref
 * that an enforced approval-requiring rule protects.  Never "--not --all":
 * that would let an unapproved commit already pushed to a feature branch be
 * fast-forwarded onto a protected one.
 */
#include "internal_check.h"
#include "twokey/commit.h"
#include "twokey/repo.h"

/*
 * A ref vouches for the commits it holds when its own rule enforced
 * approvals on them (and signatures too, when the rule being checked asks
 * for signatures).  Rules in warn mode vouch for nothing.
 */
static bool
vouches(const struct tk_rule *r, bool need_signed)
{
	return r->mode == TK_MODE_ENFORCE && r->approvals &&
	    (!need_signed || r->signed_commits);
}

static int
collect_vouched(struct tk_check *c, bool need_signed)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_object *obj = NULL;
	const struct tk_rule *rule;
	size_t cap = 0, k = need_signed;
	int rc = 0, r;

	if (git_reference_iterator_new(&it, c->repo) < 0)
		return tk_error_set(TK_EGIT, "cannot list refs");
	while ((r = git_reference_next(&ref, it)) == 0) {
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    tk_policy_match(&rule, c->p, git_reference_name(ref)) == 1 &&
		    vouches(rule, need_signed) &&
		    git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0) {
			if ((rc = tk_grow(&c->vouched[k], &cap,
			    c->nvouched[k] + 1, sizeof(git_oid))) < 0)
				break;
			git_oid_cpy(&c->vouched[k][c->nvouched[k]++],
			    git_object_id(obj));
		}
		git_object_free(obj);
		obj = NULL;
		git_reference_free(ref);
		ref = NULL;
	}
	git_object_free(obj);
	git_reference_free(ref);
	git_reference_iterator_free(it);
	if (rc == 0 && r != GIT_ITEROVER)
		rc = tk_error_set(TK_EGIT, "cannot list refs");
	c->vouched_ready[k] = rc == 0;
	return rc;
}

/* The commit a ref value names, or a finding when it names none. */
static int
tip_commit(struct tk_check *c, const git_oid *id, git_oid *out, bool *ok)
{
	git_object *o = NULL, *peeled = NULL;
	int rc = 0;

	*ok = false;
	if (git_object_lookup(&o, c->repo, id, GIT_OBJECT_ANY) < 0)
		return tk_check_add(c, TK_SEV_DENY, id, NULL, 0, NULL,
		    "object not found in the repository");
	if (git_object_peel(&peeled, o, GIT_OBJECT_COMMIT) < 0)
		rc = tk_check_add(c, TK_SEV_DENY, id, NULL, 0,
		    "point protected refs at commits",
		    "the new value is a %s, not a commit, so its history "
		    "cannot be checked", git_object_type2string(
						git_object_type(o)));
	else {
		git_oid_cpy(out, git_object_id(peeled));
		*ok = true;
	}
	git_object_free(peeled);
	git_object_free(o);
	return rc;
}

static int
entering(struct tk_check *c, const struct tk_rule *rule, git_oid **ids,
    size_t *n, bool *ok)
{
	const struct tk_update *up = &c->u->items[c->cur];
	const git_oid *hide = NULL;
	git_oid tip, old;
	size_t nhide = 0, k = rule->signed_commits;
	bool old_ok = false;
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = tip_commit(c, &up->new_id, &tip, ok)) < 0 || !*ok)
		return rc;
	if (up->kind == TK_KIND_CREATE) {
		if (!c->vouched_ready[k] && (rc = collect_vouched(c, k)) < 0)
			return rc;
		hide = c->vouched[k];
		nhide = c->nvouched[k];
	} else {
		git_object *o = NULL, *pc = NULL;

		if (git_object_lookup(&o, c->repo, &up->old_id,
		    GIT_OBJECT_ANY) == 0 &&
		    git_object_peel(&pc, o, GIT_OBJECT_COMMIT) == 0) {
			git_oid_cpy(&old, git_object_id(pc));
			old_ok = true;
		}
		git_object_free(pc);
		git_object_free(o);
		hide = old_ok ? &old : NULL;
		nhide = old_ok;
	}
	rc = tk_walk_entering(ids, n, c->repo, &tip, hide, nhide,
	    TK_MAX_ENTERING);
	if (rc == TK_ETOOBIG) {
		*ok = false;
		return tk_check_add(c, TK_SEV_DENY, &up->new_id, NULL, 0,
		    "push the history in smaller steps", "%s",
		    tk_error_last());
	}
	return rc;
}

/* Reads and parses one commit; a finding (and *out NULL) when it fails. */
static int
load_commit(struct tk_check *c, const git_oid *id, struct tk_commit **out)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	int rc = 0;

	*out = NULL;
	if (git_repository_odb(&odb, c->repo) < 0 ||
	    git_odb_read(&obj, odb, id) < 0 ||
	    git_odb_object_type(obj) != GIT_OBJECT_COMMIT)
		rc = tk_check_add(c, TK_SEV_DENY, id, NULL, 0, NULL,
		    "cannot read this commit");
	else if ((rc = tk_commit_parse(out, git_odb_object_data(obj),
	    git_odb_object_size(obj), 40)) < 0)
		rc = rc == TK_ENOMEM ? rc :
			tk_check_add(c, TK_SEV_DENY, id, NULL, 0,
			    "rewrite the commit with a standard git client",
			    "malformed commit: %s", tk_error_last());
	git_odb_object_free(obj);
	git_odb_free(odb);
	return rc;
}

static int
check_pusher_wrote(struct tk_check *c, const struct tk_rule *rule,
    const git_oid *id, const struct tk_commit *cm)
{
	const struct tk_identity *a, *m, *me = c->r->pusher;
	const char *subj;
	size_t sl;

	if (rule->pusher_may_write || me == NULL)
		return 0;
	a = tk_policy_by_email(c->p, cm->author.email, cm->author.email_len);
	m = tk_policy_by_email(c->p, cm->committer.email,
	    cm->committer.email_len);
	if (a != me && m != me)
		return 0;
	subj = tk_commit_subject(cm, &sl);
	return tk_check_add(c, TK_SEV_DENY, id, subj, sl,
	    "someone who did not write these commits must push them",
	    "pusher '%s' is its %s, and this rule does not let writers push "
	    "(pusher-may-write: false)", me->id,
	    a == me ? (m == me ? "author and committer" : "author") :
		      "committer");
}

/* Features the policy accepts but this build does not enforce yet. */
static int
check_unsupported(struct tk_check *c, const struct tk_rule *rule)
{
	const char *what = NULL;

	if (rule->approvals)
		what = "approvals";
	else if (rule->signed_commits)
		what = "signed-commits";
	else if (!rule->pusher_may_approve)
		what = "pusher-may-approve";
	else if (rule->promote_from != NULL)
		what = "promote-from";
	if (what == NULL)
		return 0;
	return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
	    "upgrade twokey, or remove the setting from the rule",
	    "the rule uses '%s', which this version of twokey does not "
	    "enforce yet, so it refuses rather than let the push through",
	    what);
}

int
tk_check_commits(struct tk_check *c, const struct tk_rule *rule)
{
	struct tk_commit *cm = NULL;
	git_oid *ids = NULL;
	size_t n = 0, i;
	bool ok;
	int rc;

	if ((rc = check_unsupported(c, rule)) < 0)
		return rc;
	if (!rule->pusher_may_write && c->r->pusher == NULL &&
	    (rc = tk_check_unknown_pusher(c, "the rule does not let writers "
		"push (pusher-may-write: false)")) < 0)
		return rc;
	if ((rc = entering(c, rule, &ids, &n, &ok)) < 0 || !ok)
		goto out;
	c->r->verdicts[c->cur].nentering = n;
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = load_commit(c, &ids[i], &cm)) < 0 || cm == NULL)
			continue;
		rc = check_pusher_wrote(c, rule, &ids[i], cm);
		tk_commit_free(cm);
		cm = NULL;
	}
out:
	free(ids);
	return rc;
}
