/*
 * A rule's change attributes on the commits of one ref update
 * (docs/paths.md): which paths each commit changes, who wrote changes to
 * guarded paths, required trailers and admitted emails.
 *
 * The change of a commit is what it changed against its first parent
 * (every path, for a root commit).  A chain merge also answers for what
 * it brings in: its approvals cover its own diff against its first
 * parent, plus the change of every entering commit it owns, where the
 * change of an owned merge is the paths it holds as none of its parents
 * did (what its parents' histories changed is counted in their own
 * commits, and what lands on the first parent is in the chain merge's
 * diff).  Writers answer for their own commit's change; a merge's writers
 * answer for nothing when it is exactly the automatic merge of its
 * parents, else for its whole diff against its first parent.
 *
 * Diffs come from tree objects only (treediff.c), bounded per update.
 */
#include "change.h"
#include "merge.h"
#include "treediff.h"
#include "twokey/commit.h"
#include "twokey/glob.h"
#include "twokey/pattern.h"
#include "twokey/trailer.h"

/* Per path: which entries it hits. */
struct match_ctx {
	struct tk_check *c;
	const struct tk_rule *rule;
	const struct tk_rec *rec;
	struct tk_hitlist *out;
	bool reported; /* a glob error was reported for this commit */
};

static int
on_path(void *arg, const char *path, size_t len, bool below)
{
	struct match_ctx *m = arg;
	size_t e;
	int r, rc;

	for (e = 0; e < m->rule->npaths; e++) {
		r = tk_glob_match(m->rule->paths[e].glob, path, len);
		/*
		 * A link or a submodule at a/b makes a checkout show a/b/x:
		 * it hits every glob that matches a path below it.
		 */
		if (r == 0 && below)
			r = tk_glob_match_below(
			    m->rule->paths[e].glob, path, len);
		if (r < 0 && !m->reported) {
			/* Undecided counts as a hit, and refuses anyway. */
			m->reported = true;
			if ((rc = tk_check_add(m->c, TK_SEV_DENY, &m->rec->id,
			         NULL, 0, NULL,
			         "path rule cannot be decided: %s",
			         tk_error_last())) < 0)
				return rc;
		}
		if (r != 0 && (rc = tk_hitlist_add(m->out, e, path, len)) < 0)
			return rc;
	}
	return 0;
}

static int
tree_of(struct tk_check *c, const char *hex, bool commit, git_oid *out)
{
	git_commit *cm = NULL;

	if (git_oid_fromstrn(out, hex, GIT_OID_HEXSZ) < 0)
		return tk_error_set(TK_EINVAL, "bad object id");
	if (!commit)
		return 0;
	if (git_commit_lookup(&cm, c->repo, out) < 0)
		return tk_error_set(TK_EGIT, "cannot read parent %.12s", hex);
	git_oid_cpy(out, git_commit_tree_id(cm));
	git_commit_free(cm);
	return 0;
}

/*
 * Hits of rec's diff against its first nbase parents (0: against the
 * empty tree, 1: its own change, all: what a merge holds as no parent
 * did).  A problem with the trees refuses the commit, with a finding.
 */
static int
diff_commit(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, size_t nbase, size_t *entries,
    struct tk_hitlist *out)
{
	git_oid tree, base[TK_DIFF_MAX_BASES];
	const git_oid *bp[TK_DIFF_MAX_BASES];
	struct match_ctx m = {c, rule, rec, out, false};
	const char *subj;
	size_t k, sl;
	int rc;

	if (*entries > TK_DIFF_MAX_ENTRIES)
		return 0; /* over budget: refused once already, stop reading */
	if (nbase > TK_DIFF_MAX_BASES)
		nbase = TK_DIFF_MAX_BASES; /* more parents than git allows */
	rc = tree_of(c, rec->c->tree, false, &tree);
	for (k = 0; k < nbase && rc == 0; k++) {
		rc = tree_of(c, rec->c->parents[k], true, &base[k]);
		bp[k] = &base[k];
	}
	if (rc == 0)
		rc = tk_tree_diff(
		    c->repo, &tree, bp, nbase, entries, on_path, &m);
	if (rc == 0 || rc == TK_ENOMEM)
		return rc;
	subj = tk_commit_subject(rec->c, &sl);
	return tk_check_add(c, TK_SEV_DENY, &rec->id, subj, sl,
	    rc == TK_ETOOBIG ? "push the change in smaller steps" : NULL,
	    "cannot tell which paths this commit changes: %s", tk_error_last());
}

/* "alice (author, committer)", or "<x@y> (author), not in the policy," */
static void
describe_writer(struct tk_buf *b, const struct tk_rec *rec, size_t k)
{
	static const char *const what[3] = {"author", "committer", "signer"};
	const struct tk_identity *ids[3] = {
	    rec->author, rec->committer, rec->signer};
	const struct tk_person *p =
	    k == 0 ? &rec->c->author : &rec->c->committer;
	const char *sep = "";
	size_t j;

	if (ids[k] == NULL) {
		(void)tk_buf_printf(b, "<%.*s> (%s), who is not in the policy,",
		    (int)(p->email_len > 254 ? 254 : p->email_len), p->email,
		    what[k]);
		return;
	}
	(void)tk_buf_printf(b, "%s (", ids[k]->id);
	for (j = 0; j < 3; j++)
		if (ids[j] == ids[k]) {
			(void)tk_buf_printf(b, "%s%s", sep, what[j]);
			sep = ", ";
		}
	(void)tk_buf_putc(b, ')');
}

static int
deny_writer(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tk_hit *h, const char *who)
{
	const struct tk_path_rule *e = &rule->paths[h->entry];
	struct tk_buf msg = TK_BUF_INIT(16384);
	const char *subj;
	size_t sl;
	int rc;

	(void)tk_buf_printf(&msg, "%s may not write this change to ", who);
	tk_hit_format(&msg, h);
	(void)tk_buf_printf(
	    &msg, ": path rule '%s' admits writers with ", e->match_src);
	if (tk_roleset_empty(&e->writers.roles))
		(void)tk_buf_puts(&msg, "no role (nobody)");
	else {
		(void)tk_buf_puts(&msg, "roles: ");
		(void)tk_roleset_format(&msg, c->p, &e->writers.roles);
	}
	if (rec->c->nparents > 1)
		(void)tk_buf_puts(&msg,
		    " (a merge that differs from the automatic merge of its "
		    "parents answers for its whole diff)");
	subj = tk_commit_subject(rec->c, &sl);
	rc = tk_check_add(c, TK_SEV_DENY, &rec->id, subj, sl,
	    "someone holding one of those roles must write (and sign) it, "
	    "or the policy must change",
	    "%s", msg.ptr ? msg.ptr : "writer not admitted");
	tk_buf_release(&msg);
	return rc;
}

static bool
admitted(const struct tk_identity *id, const struct tk_rolelist *l)
{
	return id != NULL && tk_roleset_intersects(&id->roles, &l->roles);
}

/* Each distinct writer of rec not admitted by entry h; *clean cached. */
static int
check_entry_writers(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tk_hit *h, int *clean)
{
	const struct tk_rolelist *l = &rule->paths[h->entry].writers;
	const struct tk_identity *ids[3] = {
	    rec->author, rec->committer, rec->signer};
	struct tk_buf who = TK_BUF_INIT(2048);
	size_t k, j;
	int rc = 0;

	for (k = 0; k < 3 && rc == 0; k++) {
		if ((k == 2 && ids[k] == NULL) || admitted(ids[k], l))
			continue;
		for (j = 0; j < k && (ids[j] != ids[k] || ids[k] == NULL); j++)
			;
		if (j < k)
			continue; /* the same identity, already reported */
		if (rec->c->nparents > 1 && *clean < 0 &&
		    (*clean = tk_merge_is_clean(c, rec)) < 0)
			return *clean;
		if (rec->c->nparents > 1 && *clean == 1)
			return 0; /* the merger wrote none of it */
		tk_buf_reset(&who);
		describe_writer(&who, rec, k);
		rc = deny_writer(c, rule, rec, h, who.ptr ? who.ptr : "?");
	}
	tk_buf_release(&who);
	return rc;
}

static int
check_writers(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tk_hitlist *own)
{
	size_t i;
	int rc = 0, clean = -1;

	for (i = 0; i < own->n && rc == 0; i++)
		if (rule->paths[own->items[i].entry].writers.set)
			rc = check_entry_writers(
			    c, rule, rec, &own->items[i], &clean);
	return rc;
}

/* The hits of every entering commit; comb only for owned merges. */
static int
diff_all(struct tk_check *c, const struct tk_rule *rule, struct tk_rec *recs,
    size_t n, struct tk_hitlist *own, struct tk_hitlist *comb)
{
	size_t i, entries = 0, np;
	bool approvals = tk_rule_may_need_approvals(rule);
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (recs[i].c == NULL)
			continue;
		np = recs[i].c->nparents;
		rc = diff_commit(c, rule, &recs[i], np > 0, &entries, &own[i]);
		if (rc == 0 && np > 1 && approvals && !recs[i].chain)
			rc = diff_commit(
			    c, rule, &recs[i], np, &entries, &comb[i]);
		if (rc == 0)
			rc = check_writers(c, rule, &recs[i], &own[i]);
	}
	return rc;
}

static int
check_paths(struct tk_check *c, const struct tk_rule *rule, struct tk_rec *recs,
    size_t n, const size_t *chain, size_t nchain)
{
	struct tk_hitlist *own = NULL, *comb = NULL;
	size_t i;
	int rc = TK_ENOMEM;

	if ((own = tk_calloc(n + 1, sizeof(*own))) == NULL ||
	    (comb = tk_calloc(n + 1, sizeof(*comb))) == NULL)
		goto out;
	if ((rc = diff_all(c, rule, recs, n, own, comb)) < 0)
		goto out;
	if (tk_rule_may_need_approvals(rule))
		rc = tk_need_build(c, rule, recs, n, chain, nchain, own, comb);
out:
	for (i = 0; i < n && own != NULL; i++) {
		tk_hitlist_release(&own[i]);
		tk_hitlist_release(&comb[i]);
	}
	free(own);
	free(comb);
	return rc;
}

/* require-trailers: one key on one chain commit. */
struct trailer_ctx {
	const struct tk_trailer_rule *t;
	size_t found;
	bool bad;
	int err;
	struct tk_buf badval;
};

static int
on_trailer(void *arg, const char *value, size_t len, size_t line)
{
	struct trailer_ctx *x = arg;
	int r;

	(void)line;
	x->found++;
	r = value == NULL ? 0 : tk_pattern_match(x->t->value, value, len);
	if (r < 0) {
		x->err = r;
		return 1; /* stop: undecided refuses */
	}
	if (r == 0 && !x->bad) {
		x->bad = true;
		(void)tk_buf_put(&x->badval, value ? value : "(too long)",
		    value ? (len > 200 ? 200 : len) : 10);
	}
	return 0;
}

static int
check_trailer(struct tk_check *c, const struct tk_rec *rec,
    const struct tk_trailer_rule *t)
{
	struct trailer_ctx x = {t, 0, false, 0, TK_BUF_INIT(256)};
	const char *subj, *hint;
	size_t sl;
	int rc;

	rc = tk_trailer_each(
	    rec->c->message, rec->c->message_len, t->key, on_trailer, &x);
	if (rc < 0)
		goto out;
	subj = tk_commit_subject(rec->c, &sl);
	hint = "add or fix it with git commit --amend --trailer before the "
	       "approvals are made (they sign the message)";
	if (x.err < 0)
		rc = tk_check_add(c, TK_SEV_DENY, &rec->id, subj, sl, NULL,
		    "trailer '%s' cannot be checked: %s", t->key,
		    tk_error_last());
	else if (x.found == 0)
		rc = tk_check_add(c, TK_SEV_DENY, &rec->id, subj, sl, hint,
		    "missing trailer '%s:' in the trailer block (the rule "
		    "requires one matching '%s')",
		    t->key, t->src);
	else if (x.bad)
		rc = tk_check_add(c, TK_SEV_DENY, &rec->id, subj, sl, hint,
		    "trailer '%s: %s' does not match '%s'", t->key,
		    x.badval.ptr ? x.badval.ptr : "", t->src);
	else
		rc = 0;
out:
	tk_buf_release(&x.badval);
	return rc;
}

static int
check_email(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tk_person *p, const char *role)
{
	const char *subj;
	size_t sl;
	int r = tk_pattern_match(rule->emails, p->email, p->email_len);

	if (r == 1)
		return 0;
	subj = tk_commit_subject(rec->c, &sl);
	if (r < 0)
		return tk_check_add(c, TK_SEV_DENY, &rec->id, subj, sl, NULL,
		    "%s email cannot be checked against emails: %s", role,
		    tk_error_last());
	return tk_check_add(c, TK_SEV_DENY, &rec->id, subj, sl,
	    "commit with an address the policy admits (git config "
	    "user.email), or ask an admin to widen 'emails'",
	    "%s email <%.*s> does not match the rule's emails pattern '%s'",
	    role, (int)(p->email_len > 254 ? 254 : p->email_len), p->email,
	    rule->emails_src);
}

int
tk_check_change(struct tk_check *c, const struct tk_rule *rule,
    struct tk_rec *recs, size_t n, const size_t *chain, size_t nchain)
{
	size_t i, k;
	int rc = 0;

	for (i = 0; i < n && rc == 0 && rule->emails != NULL; i++)
		if (recs[i].c != NULL &&
		    (rc = check_email(
		         c, rule, &recs[i], &recs[i].c->author, "author")) == 0)
			rc = check_email(c, rule, &recs[i],
			    &recs[i].c->committer, "committer");
	for (i = 0; i < nchain && rc == 0; i++)
		for (k = 0; k < rule->ntrailers && rc == 0; k++)
			if (recs[chain[i]].c != NULL)
				rc = check_trailer(
				    c, &recs[chain[i]], &rule->trailers[k]);
	if (rc == 0 && rule->npaths > 0 && n > 0)
		rc = check_paths(c, rule, recs, n, chain, nchain);
	return rc;
}
