/*
 * The commits entering a ref, and the checks on them.
 *
 * Entering commits (docs/spec.md, "Entering commits and the separation
 * rule"): reachable from the new value and not from the old one; for a
 * created ref, not from any existing ref that vouches for them
 * (history.c); never from a trusted-history commit.  Never "--not --all":
 * that would let an unapproved commit already pushed to a feature branch be
 * fast-forwarded onto a protected one.
 */
#include "commits.h"
#include "approvals.h"
#include "change.h"
#include "history.h"
#include "merge.h"
#include "notes.h"
#include "prepare.h"
#include "pusher.h"
#include "refnames.h"
#include "signatures.h"
#include "stream.h"
#include "twokey/commit.h"
#include "twokey/repo.h"

/*
 * libgit2 refused to parse the new value: say why in twokey's own terms
 * when it is a commit our parser refuses too.
 */
static int
unreadable_tip(struct tk_check *c, const git_oid *id)
{
	char why[512];
	git_odb *odb = NULL;
	git_odb_object *raw = NULL;
	struct tk_commit *cm = NULL;
	int found, rc;

	snprintf(why, sizeof(why), "%s",
	    git_error_last() && git_error_last()->message
	        ? git_error_last()->message
	        : "libgit2 cannot read it");
	found = git_repository_odb(&odb, c->repo) == 0 &&
	    git_odb_read(&raw, odb, id) == 0;
	if (found && git_odb_object_type(raw) == GIT_OBJECT_COMMIT &&
	    tk_commit_parse(&cm, git_odb_object_data(raw),
	        git_odb_object_size(raw), GIT_OID_HEXSZ) < 0)
		snprintf(why, sizeof(why), "%s", tk_error_last());
	if (found)
		rc = tk_check_add(c, TK_SEV_DENY, id, NULL, 0,
		    "rewrite the commit with a standard git client",
		    "malformed commit: %s", why);
	else /* the quarantine not visible, a damaged store: fail closed */
		rc = tk_check_add(c, TK_SEV_DENY, id, NULL, 0,
		    "an admin should check that the hook sees git's "
		    "quarantine (GIT_OBJECT_DIRECTORY)",
		    "the new value cannot be found in the repository, so it "
		    "cannot be checked (%s)",
		    why);
	tk_commit_free(cm);
	git_odb_object_free(raw);
	git_odb_free(odb);
	return rc;
}

/* The commit a ref value names, or a finding when it names none. */
static int
tip_commit(struct tk_check *c, const git_oid *id, git_oid *out, bool *ok)
{
	git_object *o = NULL, *peeled = NULL;
	git_odb_object *raw = NULL;
	int rc = 0;

	*ok = false;
	/* read raw, as the walk and the decision read it (tk_commit_raw) */
	if (tk_commit_raw(&raw, c->repo, id) == 1) {
		git_odb_object_free(raw);
		git_oid_cpy(out, id);
		*ok = true;
		return 0;
	}
	if (git_object_lookup(&o, c->repo, id, GIT_OBJECT_ANY) < 0)
		return unreadable_tip(c, id);
	if (git_object_peel(&peeled, o, GIT_OBJECT_COMMIT) < 0)
		rc = tk_check_add(c, TK_SEV_DENY, id, NULL, 0,
		    "point protected refs at commits",
		    "the new value is a %s, not a commit, so its history "
		    "cannot be checked",
		    git_object_type2string(git_object_type(o)));
	else {
		git_oid_cpy(out, git_object_id(peeled));
		*ok = true;
	}
	git_object_free(peeled);
	git_object_free(o);
	return rc;
}

/*
 * What an update brings in: walk from tip, hiding hide[0..nhide): the old
 * value (an update) or the vouching tips (a created ref), then the
 * trusted-history commits, from hide[nothers] on.
 */
struct span {
	git_oid tip;
	git_oid *hide;
	size_t nhide, nothers;
};

/* hide = first[0..n), then the trusted commits. */
static int
span_hide(struct tk_check *c, struct span *sp, const git_oid *first, size_t n)
{
	if ((sp->hide = tk_calloc(n + c->ntrusted + 1, sizeof(git_oid))) ==
	    NULL)
		return TK_ENOMEM;
	if (n > 0)
		memcpy(sp->hide, first, n * sizeof(git_oid));
	if (c->ntrusted > 0)
		memcpy(sp->hide + n, c->trusted, c->ntrusted * sizeof(git_oid));
	sp->nothers = n;
	sp->nhide = n + c->ntrusted;
	return 0;
}

static int
span_of(
    struct tk_check *c, const struct tk_rule *rule, struct span *sp, bool *ok)
{
	const struct tk_update *up = &c->u->items[c->cur];
	const git_oid *tips = NULL;
	git_oid old;
	size_t ntips = 0;
	int rc;

	memset(sp, 0, sizeof(*sp));
	if ((rc = tk_history_trusted(c, ok)) < 0 || !*ok ||
	    (rc = tip_commit(c, &up->new_id, &sp->tip, ok)) < 0 || !*ok)
		return rc;
	if (up->kind == TK_KIND_CREATE) {
		if ((rc = tk_history_vouched(c, rule, &tips, &ntips)) < 0)
			return rc;
		return span_hide(c, sp, tips, ntips);
	}
	/* An old value that names no commit hides nothing: check it all. */
	if (tk_peel_commit(&old, c->repo, &up->old_id) == 1)
		ntips = 1;
	return span_hide(c, sp, &old, ntips);
}

static int
deny_commit(struct tk_check *c, const struct tk_rec *rec, const char *hint,
    const char *what)
{
	const char *subj;
	size_t sl;

	subj = tk_commit_subject(rec->c, &sl);
	return tk_check_add(
	    c, TK_SEV_DENY, &rec->id, subj, sl, hint, "%s", what);
}

static int
check_pusher_wrote(
    struct tk_check *c, const struct tk_rule *rule, const struct tk_rec *rec)
{
	const struct tk_identity *me = c->r->pusher;
	struct tk_buf b = TK_BUF_INIT(1024);
	int rc;

	if (rule->pusher_may_write || me == NULL ||
	    (rec->author != me && rec->committer != me && rec->signer != me))
		return 0;
	(void)tk_buf_printf(&b,
	    "pusher '%s' wrote this commit (as %s), and "
	    "the rule does not let writers push (pusher-may-write: false)",
	    me->id,
	    rec->author == me          ? "author"
	        : rec->committer == me ? "committer"
	                               : "signer");
	rc = deny_commit(c, rec,
	    "someone who did not write these commits "
	    "must push them",
	    b.ptr ? b.ptr : "pusher wrote this commit");
	tk_buf_release(&b);
	return rc;
}

/* What to do about a commit that could not be loaded (load_status). */
static const char *
load_hint(int status)
{
	if (status == TK_EGIT)
		return NULL;
	/* docs/spec.md, "Identity fields" (tk_commit_check_identity) */
	if (status == TK_EUNSUPPORTED)
		return "rewrite the commit in UTF-8 (git config "
		       "i18n.commitEncoding UTF-8), its names and emails "
		       "without control or invisible characters";
	return "rewrite the commit with a standard git client";
}

/*
 * An author or committer email outside ASCII that no identity lists could
 * show in git log as one the policy knows (a Cyrillic 'а' in
 * "аlice@example.com"), and that person's own approval would count:
 * refused like an encoded one (docs/spec.md, "Identity fields").
 */
static int
check_lookalike(struct tk_check *c, const struct tk_rec *r)
{
	const struct tk_person *pp[2] = {&r->c->author, &r->c->committer};
	const struct tk_identity *id[2] = {r->author, r->committer};
	char what[256];
	size_t k, i;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < pp[k]->email_len &&
		     (unsigned char)pp[k]->email[i] < 0x80;
		     i++)
			;
		if (id[k] != NULL || i == pp[k]->email_len)
			continue;
		snprintf(what, sizeof(what),
		    "the %s email is not ASCII and no identity lists it: git "
		    "log could show it as someone else's (a look-alike letter)",
		    k == 0 ? "author" : "committer");
		return deny_commit(c, r,
		    "commit with an ASCII email, or one your identity lists",
		    what);
	}
	return 0;
}

/*
 * Entering commits are read, verified and decided this many at a time;
 * then what later checks need of them is kept small (tk_rec_shrink), so
 * that a push of 100,000 commits holds a batch of parsed commits, not all.
 */
#define BATCH 1024

/* The serial half of loading one commit: findings, identities, signature. */
static int
load_one(struct tk_check *c, const struct tk_rule *rule, struct tk_rec *r)
{
	int rc;

	r->owner = TK_NO_OWNER;
	if (r->c == NULL) {
		if (r->load_status == TK_ENOMEM)
			return tk_error_set(TK_ENOMEM, "out of memory");
		if ((rc = tk_check_add(c, TK_SEV_DENY, &r->id, NULL, 0,
		         load_hint(r->load_status), "%s%s",
		         r->load_status == TK_EGIT ||
		                 r->load_status == TK_EUNSUPPORTED
		             ? ""
		             : "malformed commit: ",
		         r->load_error ? r->load_error : "?")) == 0)
			rc = tk_check_record(c, r);
		return rc;
	}
	r->author = tk_policy_by_email(
	    c->p, r->c->author.email, r->c->author.email_len);
	r->committer = tk_policy_by_email(
	    c->p, r->c->committer.email, r->c->committer.email_len);
	c->checking = TK_WAIVE_SIGNED_COMMITS;
	rc = tk_check_signature(c, r, rule->signed_commits);
	c->checking = 0;
	if (rc < 0 || (rc = tk_check_record(c, r)) < 0 ||
	    (rc = check_lookalike(c, r)) < 0)
		return rc;
	c->checking = TK_WAIVE_PUSHER_MAY_WRITE;
	rc = check_pusher_wrote(c, rule, r);
	c->checking = 0;
	return rc;
}

/*
 * Reads and decides recs[0..n) a batch at a time; unless keep, each batch
 * is shrunk once decided (later checks read the chain commits again).
 */
static int
load_all(struct tk_check *c, const struct tk_rule *rule, struct tk_rec *recs,
    size_t n, bool keep)
{
	size_t at, m, i;
	int rc = 0;

	for (at = 0; at < n && rc == 0; at += m) {
		m = n - at < BATCH ? n - at : BATCH;
		if ((rc = tk_prepare_commits(c, recs + at, m)) < 0)
			return rc;
		for (i = at; i < at + m && rc == 0; i++)
			rc = load_one(c, rule, &recs[i]);
		for (i = at; i < at + m && !keep; i++)
			tk_rec_shrink(&recs[i]);
	}
	return rc;
}

/*
 * promote-from: every entering commit must already be on the named ref,
 * i.e. the walk from the new tip that also hides that ref's tip is empty.
 */
static int
check_promote(struct tk_check *c, const struct tk_rule *rule,
    const git_oid *tip, const git_oid *hide, size_t nhide)
{
	git_oid *h = NULL, *left = NULL, from;
	char *why = NULL;
	size_t nleft = 0;
	bool found;
	int rc;

	/* inside the namespace, as git itself reads the ref */
	if ((rc = tk_check_ref_commit(
	         c, rule->promote_from, &from, &found, &why)) < 0 ||
	    !found) {
		if (rc == 0)
			rc = tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
			    "push the commits to that ref first",
			    "the rule only accepts commits already on %s "
			    "(promote-from), which %s%s",
			    rule->promote_from,
			    why ? "cannot be read: " : "does not exist",
			    why ? why : "");
		free(why);
		return rc;
	}
	if ((h = tk_calloc(nhide + 1, sizeof(*h))) == NULL)
		return TK_ENOMEM;
	if (nhide > 0)
		memcpy(h, hide, nhide * sizeof(*h));
	git_oid_cpy(&h[nhide], &from);
	rc = tk_walk_entering(
	    &left, &nleft, c->repo, tip, h, nhide + 1, TK_MAX_ENTERING);
	if (rc == 0 && nleft > 0)
		rc = tk_check_add(c, TK_SEV_DENY, &left[0], NULL, 0,
		    "land the commits on the promote-from ref first",
		    "%zu entering commit%s not on %s yet (promote-from); this "
		    "is the newest",
		    nleft, nleft == 1 ? " is" : "s are", rule->promote_from);
	free(left);
	free(h);
	return rc;
}

/*
 * The entering commits by id: their indices sorted by id (8 bytes a
 * commit, where a hash table of 100,000 ids took 10 MB).
 */
struct byid {
	const struct tk_rec *recs;
	size_t *ord;
	size_t n;
};

static int
cmp_ord(const void *a, const void *b, void *arg)
{
	const struct tk_rec *recs = arg;

	return git_oid_cmp(
	    &recs[*(const size_t *)a].id, &recs[*(const size_t *)b].id);
}

static int
index_recs(struct byid *m, const struct tk_rec *recs, size_t n)
{
	size_t i;

	m->recs = recs;
	m->n = n;
	if ((m->ord = tk_calloc(n + 1, sizeof(*m->ord))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < n; i++)
		m->ord[i] = i;
	qsort_r(m->ord, n, sizeof(*m->ord), cmp_ord, (void *)recs);
	return 0;
}

/* Index of the entering commit id, or TK_NO_OWNER. */
static size_t
lookup(const struct byid *m, const git_oid *id)
{
	size_t lo = 0, hi = m->n, mid;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((d = git_oid_cmp(&m->recs[m->ord[mid]].id, id)) == 0)
			return m->ord[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return TK_NO_OWNER;
}

/* Each commit is pushed once, when it is assigned, so the stack holds n. */
static void
visit(struct tk_rec *recs, size_t idx, size_t merge, size_t *stack, size_t *top)
{
	if (idx == TK_NO_OWNER || recs[idx].owner != TK_NO_OWNER)
		return;
	recs[idx].owner = merge;
	stack[(*top)++] = idx;
}

/*
 * The first-parent chain from the tip, then every other entering commit
 * assigned to the chain merge that brings it in.  Chain merges are taken
 * oldest first, so a commit reachable from two merges belongs to the
 * earlier one.  Iterative: no recursion on attacker-shaped history.
 */
static int
assign(struct tk_rec *recs, size_t n, const struct byid *m, const git_oid *tip,
    size_t **chain, size_t *nchain)
{
	size_t cur, i, k, top = 0, *stack = NULL;

	*nchain = 0;
	if ((*chain = tk_calloc(n + 1, sizeof(**chain))) == NULL ||
	    (stack = tk_calloc(n + 1, sizeof(*stack))) == NULL)
		return TK_ENOMEM;
	for (cur = lookup(m, tip); cur != TK_NO_OWNER && !recs[cur].chain;) {
		recs[cur].chain = true;
		recs[cur].owner = cur;
		(*chain)[(*nchain)++] = cur;
		if (!recs[cur].ok || recs[cur].nparents == 0)
			break;
		cur = lookup(m, &recs[cur].parents[0]);
	}
	for (i = *nchain; i-- > 0;) {
		size_t merge = (*chain)[i];
		const struct tk_rec *mc = &recs[merge];

		for (k = 1; mc->ok && k < mc->nparents; k++)
			visit(recs, lookup(m, &mc->parents[k]), merge, stack,
			    &top);
		while (top > 0) {
			const struct tk_rec *pc = &recs[stack[--top]];

			for (k = 0; pc->ok && k < pc->nparents; k++)
				visit(recs, lookup(m, &pc->parents[k]), merge,
				    stack, &top);
		}
	}
	free(stack);
	return 0;
}

static int
add_writers(struct tk_idset *s, const struct tk_rec *r)
{
	int rc;

	if ((rc = tk_idset_add(s, r->author)) < 0 ||
	    (rc = tk_idset_add(s, r->committer)) < 0)
		return rc;
	return tk_idset_add(s, r->signer);
}

/* For the audit record: what chain commit k answers for. */
static int
keep_change(struct tk_check *c, const struct tk_rec *recs, size_t k,
    const struct tk_idset *w, int clean, size_t brings)
{
	return tk_check_keep_change(c, &recs[k], w,
	    recs[k].c->nparents < 2 ? TK_MERGE_NONE
	        : clean             ? TK_MERGE_CLEAN
	                            : TK_MERGE_OWN,
	    brings);
}

/* Chain commits recs[chain[0..nchain)]: writers, then approvals. */
static int
separate_chain(struct tk_check *c, const struct tk_rule *rule,
    struct tk_rec *recs, const size_t *chain, size_t nchain, struct tk_idset *w,
    const size_t *brings)
{
	size_t i;
	int rc = 0, clean;

	for (i = 0; i < nchain && rc == 0; i++) {
		struct tk_rec *r = &recs[chain[i]];

		if (r->c == NULL)
			continue;
		clean = r->c->nparents > 1 ? tk_merge_is_clean(c, r) : 0;
		if (clean < 0)
			return clean;
		/* An evil merge's own writers wrote code too. */
		if ((!clean && (rc = add_writers(&w[chain[i]], r)) < 0) ||
		    (rc = keep_change(c, recs, chain[i], &w[chain[i]], clean,
		         brings[chain[i]])) < 0)
			return rc;
		c->checking = TK_WAIVE_APPROVALS;
		rc = tk_check_approvals(c, rule, r, &w[chain[i]]);
		c->checking = 0;
		tk_idset_release(&w[chain[i]]); /* kept in the record */
		if (rc == 0 && c->stream != NULL)
			rc = tk_stream_decided(c, r); /* its record is final */
	}
	return rc;
}

/*
 * Writers of every chain commit's change, then its approvals, verified
 * and decided a batch of chain commits at a time; each batch is then
 * shrunk again (its commits only, with keep).
 */
static int
separation(struct tk_check *c, const struct tk_rule *rule, struct tk_rec *recs,
    size_t n, const size_t *chain, size_t nchain, bool keep)
{
	struct tk_idset *w = NULL;
	size_t i, at, m, *brings = NULL;
	int rc = 0;

	if ((w = tk_calloc(n + 1, sizeof(*w))) == NULL ||
	    (brings = tk_calloc(n + 1, sizeof(*brings))) == NULL) {
		free(w);
		return TK_ENOMEM;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (recs[i].owner == TK_NO_OWNER)
			rc = tk_check_add(c, TK_SEV_DENY, &recs[i].id, NULL, 0,
			    NULL,
			    "commit not reached from the new tip's "
			    "first-parent chain");
		else if (!recs[i].chain) {
			rc = add_writers(&w[recs[i].owner], &recs[i]);
			brings[recs[i].owner]++;
			tk_check_keep_owner(c, &recs[i], &recs[recs[i].owner]);
		}
	}
	for (at = 0; at < nchain && rc == 0; at += m) {
		m = nchain - at < BATCH ? nchain - at : BATCH;
		if ((rc = tk_prepare_approvals(c, recs, chain + at, m)) == 0)
			rc = separate_chain(
			    c, rule, recs, chain + at, m, w, brings);
		for (i = at; i < at + m; i++)
			if (keep)
				tk_rec_drop_approvals(&recs[chain[i]]);
			else
				tk_rec_shrink(&recs[chain[i]]);
	}
	for (i = 0; i < n; i++)
		tk_idset_release(&w[i]);
	free(w);
	free(brings);
	return rc;
}

static int
needs_pusher(struct tk_check *c, const struct tk_rule *rule)
{
	if (c->r->pusher != NULL)
		return 0;
	if (!rule->pusher_may_write)
		return tk_check_unknown_pusher(c,
		    "the rule does not let "
		    "writers push (pusher-may-write: false)");
	if (tk_rule_may_need_approvals(rule) && !rule->pusher_may_approve)
		return tk_check_unknown_pusher(c,
		    "the rule does not let the "
		    "pusher approve (pusher-may-approve: false)");
	return 0;
}

/* The tip was found on a first-parent chain: nothing enters. */
static void
proved(
    struct tk_check *c, const struct span *sp, const struct tk_chain_proof *pr)
{
	/* for the audit: the chain was a trusted commit's */
	if (pr->by >= sp->nothers)
		c->r->verdicts[c->cur].trusted_hid = true;
}

static int
chain_failed(struct tk_check *c, const struct span *sp, int rc)
{
	if (rc != TK_ETOOBIG)
		return rc;
	return tk_check_add(c, TK_SEV_DENY, &sp->tip, NULL, 0,
	    "an admin should write a commit-graph on the server (git "
	    "commit-graph write --reachable)",
	    "%s", tk_error_last());
}

/*
 * A created ref's tip must enter (and be checked) or lie on the
 * first-parent chain of a vouching ref or trusted commit: found there,
 * nothing enters and no walk is needed.  A tip that is hidden yet on no
 * such chain only ever arrived inside a merge: refused.
 */
static int
entering(
    struct tk_check *c, struct span *sp, git_oid **ids, size_t *n, bool *ok)
{
	bool create = c->u->items[c->cur].kind == TK_KIND_CREATE;
	struct tk_chain_proof pr = {false, 0, false};
	int rc;

	*ok = false;
	if (create &&
	    (rc = tk_history_on_chain(c, &sp->tip, sp->hide, sp->nhide,
	         sp->nothers, false, &pr)) < 0)
		return chain_failed(c, sp, rc);
	if (pr.found) {
		proved(c, sp, &pr);
		*ok = true;
		return 0;
	}
	rc = tk_walk_entering(
	    ids, n, c->repo, &sp->tip, sp->hide, sp->nhide, TK_MAX_ENTERING);
	if (rc == TK_ETOOBIG)
		return tk_check_add(c, TK_SEV_DENY, &sp->tip, NULL, 0,
		    "push the history in smaller steps", "%s", tk_error_last());
	if (rc < 0 || *n > 0 || !create) {
		*ok = rc == 0;
		return rc;
	}
	/* hidden, yet not found: prove it without giving up early */
	if (pr.bounded &&
	    (rc = tk_history_on_chain(
	         c, &sp->tip, sp->hide, sp->nhide, sp->nothers, true, &pr)) < 0)
		return chain_failed(c, sp, rc);
	if (pr.found) {
		proved(c, sp, &pr);
		*ok = true;
		return 0;
	}
	/*
	 * A rule that inspects no commits asks nothing of the tip (its
	 * commits are read only for an emergency's record).
	 */
	if (!tk_rule_inspects_commits(c->r->verdicts[c->cur].rule)) {
		*ok = true;
		return 0;
	}
	/* the tip was never approved as a tip: an approvals waiver lifts it */
	c->checking = TK_WAIVE_APPROVALS;
	rc = tk_check_add(c, TK_SEV_DENY, &sp->tip, NULL, 0,
	    "create the ref at a commit on a protected branch's first-parent "
	    "chain, or at a new commit that is approved",
	    "the new tip is not on the first-parent chain of any ref that "
	    "vouches for it: it only arrived inside a merge, so it was never "
	    "approved as a tip of its own");
	c->checking = 0;
	*ok = rc == 0;
	return rc;
}

/*
 * pusher-may-write: false on a created ref's tip when nothing enters:
 * whoever wrote the tip, or what it brings in as a merge, may not make it
 * a tip of this ref.  Reads the tip and the commits its other parents
 * bring in (not reachable from its first parent).
 */
static int
tip_writers(struct tk_check *c, const struct tk_rule *rule, const git_oid *tip)
{
	git_commit *tc = NULL;
	git_oid *ids = NULL;
	struct tk_rec *recs = NULL;
	size_t n = 0, i;
	int rc;

	if (rule->pusher_may_write || c->r->pusher == NULL)
		return 0;
	if (git_commit_lookup(&tc, c->repo, tip) < 0)
		return tk_error_set(TK_EGIT, "cannot read commit");
	rc = tk_walk_entering(&ids, &n, c->repo, tip,
	    git_commit_parentcount(tc) > 0 ? git_commit_parent_id(tc, 0) : NULL,
	    git_commit_parentcount(tc) > 0, TK_MAX_ENTERING);
	git_commit_free(tc);
	if (rc < 0 || (recs = tk_calloc(n + 1, sizeof(*recs))) == NULL) {
		free(ids);
		return rc < 0 ? rc : TK_ENOMEM;
	}
	for (i = 0; i < n; i++)
		recs[i].id = ids[i];
	if ((rc = tk_prepare_commits(c, recs, n)) == 0)
		for (i = 0; i < n && rc == 0; i++) {
			struct tk_rec *r = &recs[i];

			if (r->c == NULL)
				continue; /* it was checked where it entered */
			r->author = tk_policy_by_email(
			    c->p, r->c->author.email, r->c->author.email_len);
			r->committer = tk_policy_by_email(c->p,
			    r->c->committer.email, r->c->committer.email_len);
			if ((rc = tk_check_signature(c, r, false)) == 0) {
				c->checking = TK_WAIVE_PUSHER_MAY_WRITE;
				rc = check_pusher_wrote(c, rule, r);
				c->checking = 0;
			}
		}
	for (i = 0; i < n; i++)
		tk_rec_release(&recs[i]);
	free(recs);
	free(ids);
	return rc;
}

/* For the audit record: did trusted-history hide any of this update? */
static int
note_trusted(struct tk_check *c, const struct span *sp,
    const struct tk_rec *recs, size_t n)
{
	bool hid = false;
	int rc;

	if (c->ntrusted == 0 || c->r->verdicts[c->cur].trusted_hid)
		return 0;
	rc = tk_history_trusted_hid(
	    c, recs, n, &sp->tip, sp->hide, sp->nothers, &hid);
	c->r->verdicts[c->cur].trusted_hid = hid;
	return rc;
}

/*
 * Whether any check after loading looks at the entering commits again:
 * approvals and trailers (the chain), emails and paths (keep),
 * trusted-history (their parents).  Also promote-from, which walks
 * again but does not need them.
 */
static bool
needs_recs(const struct tk_check *c, const struct tk_rule *rule, bool keep)
{
	return keep || tk_rule_may_need_approvals(rule) ||
	    rule->ntrailers > 0 || c->ntrusted > 0;
}

/*
 * Loading when nothing after it needs the commits: ids[0..n) a batch at a
 * time through one batch of recs, each released once decided.
 */
static int
stream_all(struct tk_check *c, const struct tk_rule *rule, const git_oid *ids,
    size_t n)
{
	struct tk_rec *recs;
	size_t at, m, i;
	int rc = 0;

	if ((recs = tk_calloc(BATCH + 1, sizeof(*recs))) == NULL)
		return TK_ENOMEM;
	for (at = 0; at < n && rc == 0; at += m) {
		m = n - at < BATCH ? n - at : BATCH;
		for (i = 0; i < m; i++)
			recs[i].id = ids[at + i];
		rc = load_all(c, rule, recs, m, false);
		for (i = 0; i < m; i++)
			tk_rec_release(&recs[i]);
	}
	free(recs);
	return rc;
}

/*
 * Room for n more commit records, allocated once and no larger: doubling
 * as they come would leave a quarter of 20 MB unused for 100,000.
 */
static int
room_for_records(struct tk_report *r, size_t n)
{
	struct tk_commit_record *p;
	size_t want = r->ncommits + n;

	if (n == 0 || want <= r->commits_cap)
		return 0;
	if (want > SIZE_MAX / sizeof(*p) ||
	    (p = realloc(r->commits, want * sizeof(*p))) == NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	r->commits = p;
	r->commits_cap = want;
	return 0;
}

/*
 * emails:, require-trailers: and paths: (change.c).  Without emails and
 * paths only the chain commits' trailers are read: a batch at a time,
 * read again and shrunk.
 */
static int
change(struct tk_check *c, const struct tk_rule *rule, struct tk_rec *recs,
    size_t n, const size_t *chain, size_t nchain, bool keep)
{
	size_t at, m, i;
	int rc = 0;

	if (keep || rule->ntrailers == 0)
		return tk_check_change(c, rule, recs, n, chain, nchain);
	for (at = 0; at < nchain && rc == 0; at += m) {
		m = nchain - at < BATCH ? nchain - at : BATCH;
		if ((rc = tk_prepare_reload(c, recs, chain + at, m)) == 0)
			rc = tk_check_change(c, rule, recs, n, chain + at, m);
		for (i = at; i < at + m; i++)
			tk_rec_shrink(&recs[chain[i]]);
	}
	return rc;
}

int
tk_check_commits(struct tk_check *c, const struct tk_rule *rule)
{
	struct tk_rec *recs = NULL;
	struct byid m = {NULL, NULL, 0};
	git_oid *ids = NULL;
	size_t n = 0, i, *chain = NULL, nchain = 0;
	struct span sp;
	bool ok, keep;
	int rc, end;

	memset(&sp, 0, sizeof(sp));
	if ((rc = needs_pusher(c, rule)) < 0 ||
	    (rc = span_of(c, rule, &sp, &ok)) < 0 || !ok ||
	    (rc = entering(c, &sp, &ids, &n, &ok)) < 0 || !ok)
		goto out;
	c->r->verdicts[c->cur].nentering = n;
	/* many commits: their records are written as they are decided */
	if ((rc = tk_stream_begin(c, rule, n)) < 0 ||
	    (c->stream == NULL && (rc = room_for_records(c->r, n)) < 0))
		goto out;
	/* emails and paths read every commit again: those rules keep them */
	keep = rule->emails != NULL || rule->npaths > 0;
	if (!needs_recs(c, rule, keep))
		rc = stream_all(c, rule, ids, n); /* recs stays NULL */
	else if ((recs = tk_calloc(n + 1, sizeof(*recs))) == NULL)
		rc = TK_ENOMEM;
	else {
		for (i = 0; i < n; i++)
			recs[i].id = ids[i];
		free(ids); /* the recs hold them now */
		ids = NULL;
		rc = load_all(c, rule, recs, n, keep);
	}
	if (rc < 0 || (rc = note_trusted(c, &sp, recs, n)) < 0)
		goto out;
	if (n == 0 && c->u->items[c->cur].kind == TK_KIND_CREATE &&
	    (rc = tip_writers(c, rule, &sp.tip)) < 0)
		goto out;
	c->checking = TK_WAIVE_PROMOTE_FROM;
	if (rule->promote_from != NULL && n > 0)
		rc = check_promote(c, rule, &sp.tip, sp.hide, sp.nhide);
	c->checking = 0;
	if (rc < 0)
		goto out;
	/* The chain answers for approvals and required trailers. */
	if ((tk_rule_may_need_approvals(rule) || rule->ntrailers > 0) &&
	    n > 0 &&
	    ((rc = index_recs(&m, recs, n)) < 0 ||
	        (rc = assign(recs, n, &m, &sp.tip, &chain, &nchain)) < 0))
		goto out;
	if ((rc = change(c, rule, recs, n, chain, nchain, keep)) < 0)
		goto out;
	if (tk_rule_may_need_approvals(rule) && n > 0 &&
	    ((rc = tk_check_chain_notes(c, recs, chain, nchain)) < 0 ||
	        (rc = separation(c, rule, recs, n, chain, nchain, keep)) < 0))
		goto out;
out:
	/* the records not final yet, also when the update failed */
	if ((end = tk_stream_end(c, recs, n)) < 0 && rc >= 0)
		rc = end;
	for (i = 0; recs != NULL && i < n; i++) {
		tk_need_free(recs[i].need);
		tk_rec_release(&recs[i]);
	}
	free(recs);
	free(chain);
	free(m.ord);
	free(ids);
	free(sp.hide);
	return rc;
}
