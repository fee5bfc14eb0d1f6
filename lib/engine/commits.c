/*
 * The commits entering a ref, and the checks on them.
 *
 * Entering commits (docs/spec.md, "Entering commits and the separation
 * rule"): reachable from the new value and not from the old one; for a
 * created ref, not from any existing ref that an enforced
 * approval-requiring rule protects.  Never "--not --all":
 * that would let an unapproved commit already pushed to a feature branch be
 * fast-forwarded onto a protected one.
 */
#include "commits.h"
#include "approvals.h"
#include "change.h"
#include "merge.h"
#include "notes.h"
#include "prepare.h"
#include "pusher.h"
#include "refnames.h"
#include "signatures.h"
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

/*
 * The rule governing an existing ref, by its name inside the namespace
 * (refs outside it are other repositories); NULL for none, for a ref of
 * another namespace, and for a name its rule does not name explicitly.
 */
static const struct tk_rule *
governing_rule(const struct tk_check *c, const char *stored)
{
	const struct tk_rule *rule = NULL;

	/* Notes commits vouch for nothing: they are no code. */
	if (strncmp(stored, c->ns, c->nslen) != 0 ||
	    tk_is_notes_ref(stored + c->nslen) ||
	    tk_policy_match(&rule, c->p, stored + c->nslen) != 1 ||
	    !tk_rule_names_explicitly(rule, stored + c->nslen))
		return NULL;
	return rule;
}

/*
 * The names a push updates, sorted, for held_before().  A sorted array and
 * not a hash table: pushers choose the names, and could choose colliding
 * ones.
 */
struct pushed {
	const struct tk_update **up;
	size_t n;
};

static int
by_ref(const void *a, const void *b)
{
	return strcmp((*(const struct tk_update *const *)a)->ref,
	    (*(const struct tk_update *const *)b)->ref);
}

static int
pushed_names(struct pushed *pn, const struct tk_check *c)
{
	size_t i;

	if ((pn->up = tk_calloc(c->u->n + 1, sizeof(*pn->up))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < c->u->n; i++)
		pn->up[i] = &c->u->items[i];
	pn->n = c->u->n;
	qsort(pn->up, pn->n, sizeof(*pn->up), by_ref);
	return 0;
}

/*
 * The value a ref of this very push held before it: its old value, or the
 * zero id for a ref it creates.  Returns false for a ref the push does not
 * name.  In a hook this is the ref's current value anyway (git moves refs
 * after the hooks decide); "twokey config replay" decides recorded pushes
 * after the fact, when those refs have moved on, and a ref created by the
 * replayed push must not vouch for the commits it brought.
 */
static bool
held_before(const struct tk_check *c, const struct pushed *pn,
    const char *stored, git_oid *old)
{
	struct tk_update key;
	const struct tk_update *kp = &key, *const * hit;

	if (strncmp(stored, c->ns, c->nslen) != 0)
		return false;
	key.ref = (char *)(uintptr_t)(stored + c->nslen);
	if ((hit = bsearch(&kp, pn->up, pn->n, sizeof(*pn->up), by_ref)) ==
	    NULL)
		return false;
	git_oid_cpy(old, &(*hit)->old_id);
	return true;
}

/* The commit a ref vouches with: its value, or what it held before. */
static int
vouching_tip(const struct tk_check *c, const struct pushed *pn,
    git_reference *ref, git_object **obj)
{
	git_object *o = NULL;
	git_oid old;
	int rc;

	if (!held_before(c, pn, git_reference_name(ref), &old))
		return git_reference_peel(obj, ref, GIT_OBJECT_COMMIT);
	if (git_oid_is_zero(&old) ||
	    git_object_lookup(&o, c->repo, &old, GIT_OBJECT_ANY) < 0)
		return -1;
	rc = git_object_peel(obj, o, GIT_OBJECT_COMMIT);
	git_object_free(o);
	return rc;
}

/*
 * The tips of refs vouching for commits entering a ref created under
 * rule: their rule enforced approvals (and signatures when needed) and
 * makes every change requirement (paths, trailers, emails) rule makes
 * (docs/paths.md): an "infra/" change on main, approved without
 * operations, must not become a release branch's unreviewed history.
 */
static int
collect_vouched(
    struct tk_check *c, bool need_signed, const struct tk_rule *created)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_object *obj = NULL;
	struct pushed pn = {NULL, 0};
	const struct tk_rule *rule;
	size_t cap = 0, k = need_signed;
	int rc = 0, r;

	c->nvouched[k] = 0;
	c->vouched_for[k] = created;
	if ((rc = pushed_names(&pn, c)) < 0)
		return rc;
	if (git_reference_iterator_new(&it, c->repo) < 0) {
		free(pn.up);
		return tk_error_set(TK_EGIT, "cannot list refs");
	}
	while ((r = git_reference_next(&ref, it)) == 0) {
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    (rule = governing_rule(c, git_reference_name(ref))) !=
		        NULL &&
		    vouches(rule, need_signed) &&
		    (created == NULL || tk_rule_change_covers(rule, created)) &&
		    vouching_tip(c, &pn, ref, &obj) == 0) {
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
	free(pn.up);
	if (rc == 0 && r != GIT_ITEROVER)
		rc = tk_error_set(TK_EGIT, "cannot list refs");
	c->vouched_ready[k] = rc == 0;
	return rc;
}

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
	int rc = 0;

	*ok = false;
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

/* What an update brings in: walk from tip, hiding hide[0..nhide). */
struct span {
	git_oid tip;
	git_oid old;
	const git_oid *hide;
	size_t nhide;
};

static int
span_of(
    struct tk_check *c, const struct tk_rule *rule, struct span *sp, bool *ok)
{
	const struct tk_update *up = &c->u->items[c->cur];
	size_t k = rule->signed_commits;
	const struct tk_rule *key =
	    rule->npaths || rule->ntrailers || rule->emails ? rule : NULL;
	git_object *o = NULL, *pc = NULL;
	int rc;

	memset(sp, 0, sizeof(*sp));
	if ((rc = tip_commit(c, &up->new_id, &sp->tip, ok)) < 0 || !*ok)
		return rc;
	if (up->kind == TK_KIND_CREATE) {
		if ((!c->vouched_ready[k] || c->vouched_for[k] != key) &&
		    (rc = collect_vouched(c, k, key)) < 0)
			return rc;
		sp->hide = c->vouched[k];
		sp->nhide = c->nvouched[k];
		return 0;
	}
	/* An old value that names no commit hides nothing: check it all. */
	if (git_object_lookup(&o, c->repo, &up->old_id, GIT_OBJECT_ANY) == 0 &&
	    git_object_peel(&pc, o, GIT_OBJECT_COMMIT) == 0) {
		git_oid_cpy(&sp->old, git_object_id(pc));
		sp->hide = &sp->old;
		sp->nhide = 1;
	}
	git_object_free(pc);
	git_object_free(o);
	return 0;
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

/* The serial half of loading: findings, identities, signatures. */
static int
load_all(struct tk_check *c, const struct tk_rule *rule, struct tk_rec *recs,
    size_t n)
{
	size_t i;
	int rc;

	if ((rc = tk_prepare_commits(c, recs, n)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		struct tk_rec *r = &recs[i];

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
			continue;
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
			break;
		c->checking = TK_WAIVE_PUSHER_MAY_WRITE;
		rc = check_pusher_wrote(c, rule, r);
		c->checking = 0;
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

static int
index_recs(struct tk_map **out, const struct tk_rec *recs, size_t n)
{
	size_t i;
	int rc;

	if ((rc = tk_map_new(out)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = tk_map_put(*out, (const char *)recs[i].id.id,
		         GIT_OID_RAWSZ, (void *)(uintptr_t)(i + 1), NULL)) ==
		    TK_ENOMEM)
			return rc;
	return 0;
}

/* Index of the entering commit named by hex, or TK_NO_OWNER. */
static size_t
lookup(const struct tk_map *m, const char *hex)
{
	git_oid id;
	uintptr_t v;

	if (git_oid_fromstrn(&id, hex, GIT_OID_HEXSZ) < 0)
		return TK_NO_OWNER;
	v = (uintptr_t)tk_map_get(m, (const char *)id.id, GIT_OID_RAWSZ);
	return v == 0 ? TK_NO_OWNER : (size_t)v - 1;
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
assign(struct tk_rec *recs, size_t n, const struct tk_map *m,
    const git_oid *tip, size_t **chain, size_t *nchain)
{
	size_t cur, i, k, top = 0, *stack = NULL;
	char hex[GIT_OID_HEXSZ + 1];

	*nchain = 0;
	if ((*chain = tk_calloc(n + 1, sizeof(**chain))) == NULL ||
	    (stack = tk_calloc(n + 1, sizeof(*stack))) == NULL)
		return TK_ENOMEM;
	git_oid_tostr(hex, sizeof(hex), tip);
	for (cur = lookup(m, hex); cur != TK_NO_OWNER && !recs[cur].chain;) {
		recs[cur].chain = true;
		recs[cur].owner = cur;
		(*chain)[(*nchain)++] = cur;
		if (recs[cur].c == NULL || recs[cur].c->nparents == 0)
			break;
		cur = lookup(m, recs[cur].c->parents[0]);
	}
	for (i = *nchain; i-- > 0;) {
		size_t merge = (*chain)[i];
		const struct tk_commit *mc = recs[merge].c;

		for (k = 1; mc != NULL && k < mc->nparents; k++)
			visit(recs, lookup(m, mc->parents[k]), merge, stack,
			    &top);
		while (top > 0) {
			const struct tk_commit *pc = recs[stack[--top]].c;

			for (k = 0; pc != NULL && k < pc->nparents; k++)
				visit(recs, lookup(m, pc->parents[k]), merge,
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

/* Writers of every chain commit's change, then its approvals. */
static int
separation(struct tk_check *c, const struct tk_rule *rule, struct tk_rec *recs,
    size_t n, const size_t *chain, size_t nchain)
{
	struct tk_idset *w = NULL;
	size_t i, *brings = NULL;
	int rc = 0, clean;

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
	for (i = 0; i < nchain && rc == 0; i++) {
		struct tk_rec *r = &recs[chain[i]];

		if (r->c == NULL)
			continue;
		clean = r->c->nparents > 1 ? tk_merge_is_clean(c, r) : 0;
		if (clean < 0) {
			rc = clean;
			break;
		}
		/* An evil merge's own writers wrote code too. */
		if ((!clean && (rc = add_writers(&w[chain[i]], r)) < 0) ||
		    (rc = keep_change(c, recs, chain[i], &w[chain[i]], clean,
		         brings[chain[i]])) < 0)
			break;
		c->checking = TK_WAIVE_APPROVALS;
		rc = tk_check_approvals(c, rule, r, &w[chain[i]]);
		c->checking = 0;
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

int
tk_check_commits(struct tk_check *c, const struct tk_rule *rule)
{
	struct tk_rec *recs = NULL;
	struct tk_map *m = NULL;
	git_oid *ids = NULL;
	size_t n = 0, i, *chain = NULL, nchain = 0;
	struct span sp;
	bool ok;
	int rc;

	if ((rc = needs_pusher(c, rule)) < 0 ||
	    (rc = span_of(c, rule, &sp, &ok)) < 0 || !ok)
		return rc;
	rc = tk_walk_entering(
	    &ids, &n, c->repo, &sp.tip, sp.hide, sp.nhide, TK_MAX_ENTERING);
	if (rc == TK_ETOOBIG)
		return tk_check_add(c, TK_SEV_DENY, &sp.tip, NULL, 0,
		    "push the history in smaller steps", "%s", tk_error_last());
	if (rc < 0)
		return rc;
	c->r->verdicts[c->cur].nentering = n;
	if ((recs = tk_calloc(n + 1, sizeof(*recs))) == NULL) {
		rc = TK_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		recs[i].id = ids[i];
	if ((rc = load_all(c, rule, recs, n)) < 0)
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
	        (rc = assign(recs, n, m, &sp.tip, &chain, &nchain)) < 0))
		goto out;
	if ((rc = tk_check_change(c, rule, recs, n, chain, nchain)) < 0)
		goto out;
	if (tk_rule_may_need_approvals(rule) && n > 0 &&
	    ((rc = tk_check_chain_notes(c, recs, chain, nchain)) < 0 ||
	        (rc = tk_prepare_approvals(c, recs, chain, nchain)) < 0 ||
	        (rc = separation(c, rule, recs, n, chain, nchain)) < 0))
		goto out;
out:
	for (i = 0; recs != NULL && i < n; i++) {
		tk_need_free(recs[i].need);
		tk_rec_release(&recs[i]);
	}
	free(recs);
	free(chain);
	tk_map_free(m);
	free(ids);
	return rc;
}
