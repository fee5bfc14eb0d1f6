/*
 * The separation rule for one change (docs/spec.md, "Entering commits and
 * the separation rule" and "Valid approvals"): count the valid approvals
 * of distinct identities, each holding a role of `from`, none of them a
 * writer of the change (nor the pusher, when the rule says so), and
 * compare with `min` and the per-role minimums of `require`.
 *
 * A valid approval: the trailer parses; its SSHSIG verifies with namespace
 * "twokey-approval" over this commit's approval payload; its key belongs to
 * an identity, is not revoked and is valid now; the email written in the
 * trailer belongs to that same identity.
 */
#include "approvals.h"
#include "change.h"
#include "twokey/commit.h"
#include "twokey/notes.h"
#include "twokey/sshsig.h"
#include "twokey/trailer.h"

struct tally {
	struct tk_idset counted;
	unsigned *via; /* per counted identity: TK_VIA_* bits */
	size_t viacap;
	struct tk_buf refused; /* "; "-separated reasons */
	unsigned nrefused;
};

static const char *
problem_text(enum tk_trailer_problem p)
{
	switch (p) {
	case TK_TRAILER_NO_SSHSIG:
		return "it carries no sshsig: signature, so it is not an "
		       "approval";
	case TK_TRAILER_BAD_BASE64:
		return "its sshsig: value is not valid base64";
	case TK_TRAILER_GIT_CUT:
		return "it follows a '---' or scissors line, where git's "
		       "interpret-trailers stops reading, so git shows no "
		       "trailer there (approve in refs/notes/twokey instead)";
	case TK_TRAILER_NOT_APPROVAL:
		return "it is not an 'Approved-by: Name <email> sshsig:BASE64' "
		       "line";
	default:
		return "it is not 'Name <email> sshsig:BASE64'";
	}
}

const char *
tk_approval_invalid(const struct tk_policy *p, int64_t now,
    const struct tk_sigres *s, const struct tk_approval_trailer *t,
    const struct tk_key **key, struct tk_buf *why)
{
	const struct tk_key *k = NULL;

	*key = NULL;
	if (t->problem != TK_TRAILER_OK)
		return problem_text(t->problem);
	if (!s->parsed) {
		(void)tk_buf_printf(
		    why, "malformed signature: %s", s->error ? s->error : "?");
		return why->ptr ? why->ptr : "malformed signature";
	}
	/*
	 * Only a signature that does not verify is explained by the commit;
	 * any other refusal (a security key's missing user presence) says
	 * what the verifier said.
	 */
	if (s->status == TK_EBADSIG)
		return "its signature does not match this commit (made for "
		       "another commit, or the commit's tree, parents, author "
		       "or message changed after approval)";
	if (s->status < 0) {
		(void)tk_buf_printf(why, "its signature is refused: %s",
		    s->error ? s->error : "?");
		return why->ptr ? why->ptr : "its signature is refused";
	}
	if ((k = tk_policy_by_key_blob(p, s->keyblob, s->keylen)) == NULL)
		(void)tk_buf_printf(
		    why, "signed by a key not in the policy (%s)", s->fp);
	else if (tk_policy_key_revoked(p, k->key))
		(void)tk_buf_printf(
		    why, "signed by a revoked key of %s", k->owner->id);
	else if (!tk_key_valid_at(k, now))
		(void)tk_buf_printf(why,
		    "signed by a key of %s that is outside "
		    "its validity window now",
		    k->owner->id);
	else if (tk_policy_by_email(p, t->email, strlen(t->email)) != k->owner)
		(void)tk_buf_printf(why,
		    "forged: the trailer names <%s>, which "
		    "is not an email of %s, who signed it",
		    t->email, k->owner->id);
	else {
		*key = k;
		return NULL;
	}
	return why->ptr ? why->ptr : "refused";
}

/* NULL when the approval counts (*who set), else why not. */
static const char *
judge(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_roleset *from, const struct tk_idset *writers,
    const struct tk_sigres *s, const struct tk_approval_trailer *t,
    const struct tk_identity **who, struct tk_buf *why)
{
	const struct tk_key *k = NULL;
	const char *res;

	*who = NULL;
	if ((res = tk_approval_invalid(c->p, c->now, s, t, &k, why)) != NULL)
		return res;
	if (tk_idset_has(writers, k->owner))
		(void)tk_buf_printf(why,
		    "%s is a writer of this change "
		    "(author, committer or signer of it or of a commit it "
		    "brings in)",
		    k->owner->id);
	else if (!rule->pusher_may_approve && k->owner == c->r->pusher)
		(void)tk_buf_printf(why,
		    "%s is pushing, and the rule does not "
		    "let the pusher approve",
		    k->owner->id);
	else if (!tk_roleset_intersects(&k->owner->roles, from))
		(void)tk_buf_printf(why,
		    "%s holds no role this rule accepts "
		    "approvals from",
		    k->owner->id);
	else {
		*who = k->owner;
		return NULL;
	}
	return why->ptr ? why->ptr : "refused";
}

static void
note_refused(
    struct tally *t, const struct tk_approval_trailer *a, const char *why)
{
	(void)tk_buf_printf(&t->refused, "%s<%s>: %s", t->nrefused ? "; " : "",
	    a->email ? a->email : "?", why);
	t->nrefused++;
}

/* Approvals still missing, as text; empty when the change is approved. */
static void
missing(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tally *t, struct tk_buf *out)
{
	size_t i, k;
	unsigned have;

	if (rec->need != NULL) {
		tk_need_missing(c, rule, rec->need, &t->counted, out);
		return;
	}
	if (t->counted.n < rule->approvals_min)
		(void)tk_buf_printf(out, "%u more approval%s",
		    rule->approvals_min - (unsigned)t->counted.n,
		    rule->approvals_min - t->counted.n == 1 ? "" : "s");
	for (i = 0; i < rule->nrequire; i++) {
		const struct tk_role_min *m = &rule->require[i];

		for (k = 0, have = 0; k < t->counted.n; k++)
			have +=
			    tk_roleset_has(&t->counted.ids[k]->roles, m->role);
		if (have < m->min)
			(void)tk_buf_printf(out, "%s%u more from role %s",
			    out->len ? ", and " : "", m->min - have,
			    c->p->roles[m->role]);
	}
}

/* A key of id that would verify now: not revoked, inside its window. */
static bool
can_sign(struct tk_check *c, const struct tk_identity *id)
{
	size_t i;

	for (i = 0; i < id->nkeys; i++)
		if (!tk_policy_key_revoked(c->p, id->keys[i]->key) &&
		    tk_key_valid_at(id->keys[i], c->now))
			return true;
	return false;
}

/*
 * Who could still approve: identities holding a role the rule accepts
 * (role: that role only, or any of `from` when role is NULL), with a
 * usable key, not counted yet, not writers, not the pusher when the rule
 * excludes them.  The pusher and the author learn whom to ask.
 */
static void
eligible(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_roleset *from, const struct tally *t,
    const struct tk_idset *writers, const unsigned *role, struct tk_buf *out)
{
	size_t i, shown = 0, more = 0;

	for (i = 0; i < c->p->nidentities; i++) {
		const struct tk_identity *id = c->p->identities[i];

		if ((role ? !tk_roleset_has(&id->roles, *role)
		          : !tk_roleset_intersects(&id->roles, from)) ||
		    tk_idset_has(&t->counted, id) ||
		    tk_idset_has(writers, id) ||
		    (!rule->pusher_may_approve && id == c->r->pusher) ||
		    !can_sign(c, id))
			continue;
		if (shown < 12)
			(void)tk_buf_printf(
			    out, "%s%s", shown++ ? ", " : "", id->id);
		else
			more++;
	}
	if (shown == 0)
		(void)tk_buf_puts(out,
		    "nobody (an admin must change the "
		    "policy)");
	else if (more > 0)
		(void)tk_buf_printf(out, " and %zu more", more);
}

/* "...; could approve: a, b; from role security: b". */
static void
hint_text(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tally *t,
    const struct tk_idset *writers, struct tk_buf *hint)
{
	size_t i, k;
	unsigned have;

	(void)tk_buf_printf(hint,
	    "a reviewer who wrote none of it runs "
	    "'twokey approve %.12s --push' (a signed note in %s; nothing is "
	    "rewritten); could approve: ",
	    git_oid_tostr_s(&rec->id), TK_NOTES_REF);
	eligible(
	    c, rule, tk_need_from(rule, rec->need), t, writers, NULL, hint);
	/* Per-role lists for the rule's own require (paths say theirs). */
	for (i = 0; rec->need == NULL && i < rule->nrequire; i++) {
		const struct tk_role_min *m = &rule->require[i];

		for (k = 0, have = 0; k < t->counted.n; k++)
			have +=
			    tk_roleset_has(&t->counted.ids[k]->roles, m->role);
		if (have >= m->min)
			continue;
		(void)tk_buf_printf(
		    hint, "; from role %s: ", c->p->roles[m->role]);
		eligible(
		    c, rule, &rule->approvals_from, t, writers, &m->role, hint);
	}
}

static int
report(struct tk_check *c, const struct tk_rule *rule, const struct tk_rec *rec,
    const struct tally *t, const struct tk_idset *writers, const char *need)
{
	struct tk_buf msg = TK_BUF_INIT(65536), hint = TK_BUF_INIT(8192);
	const char *subj;
	size_t i, sl;
	int rc;

	(void)tk_buf_printf(&msg, "not approved: needs %s; counted: ", need);
	for (i = 0; i < t->counted.n; i++) {
		(void)tk_buf_printf(
		    &msg, "%s%s (", i ? ", " : "", t->counted.ids[i]->id);
		(void)tk_roleset_format(&msg, c->p, &t->counted.ids[i]->roles);
		(void)tk_buf_putc(&msg, ')');
	}
	if (t->counted.n == 0)
		(void)tk_buf_puts(&msg, "none");
	if (t->nrefused)
		(void)tk_buf_printf(&msg,
		    "; %u approval%s not counted (see "
		    "the notes)",
		    t->nrefused, t->nrefused == 1 ? "" : "s");
	hint_text(c, rule, rec, t, writers, &hint);
	subj = tk_commit_subject(rec->c, &sl);
	rc = tk_check_add(c, TK_SEV_DENY, &rec->id, subj, sl, hint.ptr, "%s",
	    msg.ptr ? msg.ptr : "not approved");
	tk_buf_release(&msg);
	tk_buf_release(&hint);
	return rc;
}

/* Counts who once, remembering every way their approval arrived. */
static int
credit(struct tally *t, const struct tk_identity *who, unsigned via)
{
	size_t i;

	for (i = 0; i < t->counted.n && t->counted.ids[i] != who; i++)
		;
	if (i == t->counted.n) {
		if (tk_idset_add(&t->counted, who) < 0 ||
		    tk_grow(
		        &t->via, &t->viacap, t->counted.n, sizeof(*t->via)) < 0)
			return tk_error_set(TK_ENOMEM, "out of memory");
		t->via[i] = 0;
	}
	t->via[i] |= via;
	return 0;
}

/*
 * A counted approval whose display name is neither its identity's name
 * nor its id: the email decided, but a reader of git log sees the name
 * (docs/spec.md, "Valid approvals").
 */
static int
note_name(struct tk_check *c, const struct tk_rec *rec,
    const struct tk_approval_trailer *a, const struct tk_identity *who)
{
	size_t n = strlen(a->name);
	const char *subj;
	size_t sl;

	if (n == 0 || tk_ascii_ieq(a->name, n, who->name, strlen(who->name)) ||
	    tk_ascii_ieq(a->name, n, who->id, strlen(who->id)))
		return 0;
	subj = tk_commit_subject(rec->c, &sl);
	return tk_check_add(c, TK_SEV_NOTE, &rec->id, subj, sl, NULL,
	    "approval by <%s> counted for %s (%.80s), though it names '%.80s': "
	    "the email decides",
	    a->email, who->id, who->name, a->name);
}

/* One source of approvals: the trailers or the note. */
static int
count_list(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tk_idset *writers, struct tally *t,
    unsigned via)
{
	struct tk_buf why = TK_BUF_INIT(4096);
	const struct tk_approval_list *l =
	    via == TK_VIA_NOTE ? rec->ap->napps : rec->ap->apps;
	const struct tk_sigres *sigs =
	    via == TK_VIA_NOTE ? rec->ap->nsig : rec->ap->asig;
	const struct tk_identity *who;
	const char *res, *subj;
	size_t i, sl;
	int rc = 0;

	for (i = 0; l != NULL && i < l->count; i++) {
		if (sigs[i].status == TK_ENOMEM) {
			rc = tk_error_set(TK_ENOMEM, "out of memory");
			break;
		}
		tk_buf_reset(&why);
		res = judge(c, rule, tk_need_from(rule, rec->need), writers,
		    &sigs[i], &l->items[i], &who, &why);
		if (res != NULL) {
			note_refused(t, &l->items[i], res);
			subj = tk_commit_subject(rec->c, &sl);
			if ((rc = tk_check_add(c, TK_SEV_NOTE, &rec->id, subj,
			         sl, NULL, "approval by <%s>%s not counted: %s",
			         l->items[i].email,
			         via == TK_VIA_NOTE ? " (in its note)" : "",
			         res)) < 0)
				break;
		} else if ((rc = credit(t, who, via)) < 0 ||
		    (rc = note_name(c, rec, &l->items[i], who)) < 0)
			break;
	}
	tk_buf_release(&why);
	return rc;
}

/*
 * An "Approved-by:" line at the start of some line of msg, also with
 * spaces or tabs before the ':' (git takes "Approved-by : x" for a
 * trailer, docs/spec.md does not).
 */
static bool
mentions_approval(const char *msg, size_t len)
{
	static const char key[] = "approved-by";
	size_t i, j, k = sizeof(key) - 1;

	for (i = 0; i + k <= len; i++) {
		if ((i > 0 && msg[i - 1] != '\n') ||
		    !tk_ascii_ieq(msg + i, k, key, k))
			continue;
		for (j = i + k; j < len && (msg[j] == ' ' || msg[j] == '\t');
		     j++)
			;
		if (j < len && msg[j] == ':')
			return true;
	}
	return false;
}

/*
 * git commit --trailer puts a trailer where git sees a trailer block,
 * which can be a paragraph twokey (following docs/spec.md strictly) does
 * not read: say so instead of silently counting nothing.
 */
static int
note_misplaced(struct tk_check *c, const struct tk_rec *rec)
{
	const char *subj;
	size_t sl;

	if (rec->ap->apps->count > 0 ||
	    !mentions_approval(rec->c->message, rec->c->message_len))
		return 0;
	subj = tk_commit_subject(rec->c, &sl);
	return tk_check_add(c, TK_SEV_NOTE, &rec->id, subj, sl,
	    "put the Approved-by lines in a last paragraph that holds "
	    "nothing but 'Key: value' trailers (no '---' line, no prose)",
	    "Approved-by lines outside the trailer block are ignored");
}

/* The audit record keeps who counted, how, and what was refused. */
static int
keep(struct tk_check *c, const struct tk_rec *rec, struct tally *t)
{
	struct tk_commit_record *cr = tk_check_cr(c, rec);

	cr->chain = true;
	if (t->counted.n > 0) {
		if ((cr->approvers = tk_calloc(
		         t->counted.n, sizeof(*cr->approvers))) == NULL ||
		    (cr->approver_via = tk_calloc(
		         t->counted.n, sizeof(*cr->approver_via))) == NULL)
			return TK_ENOMEM;
		memcpy(cr->approvers, t->counted.ids,
		    t->counted.n * sizeof(*cr->approvers));
		memcpy(cr->approver_via, t->via,
		    t->counted.n * sizeof(*cr->approver_via));
		cr->napprovers = t->counted.n;
	}
	if (t->nrefused > 0 &&
	    (cr->refused = tk_strndup(t->refused.ptr, t->refused.len)) == NULL)
		return TK_ENOMEM;
	return 0;
}

/* A source that could not be read refuses: its approvals are unknown. */
static int
unreadable(struct tk_check *c, const struct tk_rec *rec, int status,
    const char *error, const char *what)
{
	const char *subj;
	size_t sl;

	if (status == TK_ENOMEM)
		return tk_error_set(TK_ENOMEM, "out of memory");
	subj = tk_commit_subject(rec->c, &sl);
	return tk_check_add(c, TK_SEV_DENY, &rec->id, subj, sl, NULL,
	    "cannot read its %s: %s", what, error ? error : "?");
}

int
tk_check_approvals(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tk_idset *writers)
{
	struct tk_buf need = TK_BUF_INIT(4096);
	struct tally t;
	int rc;

	if (!tk_need_required(rule, rec->need))
		return 0; /* no approvals: block, no paths entry that asks */
	if (rec->ap == NULL) /* tk_prepare_approvals sets it */
		return unreadable(c, rec, TK_EINVAL,
		    "internal error: they were not read", "approvals");
	if (rec->ap->apps == NULL || rec->ap->asig == NULL)
		return unreadable(c, rec, rec->ap->apps_status,
		    rec->ap->apps_error, "approvals");
	if (rec->ap->napps_status < 0 &&
	    (rc = unreadable(c, rec, rec->ap->napps_status,
	         rec->ap->napps_error, "note approvals (" TK_NOTES_REF ")")) <
	        0)
		return rc;
	memset(&t, 0, sizeof(t));
	tk_buf_init(&t.refused, 65536);
	if ((rc = note_misplaced(c, rec)) < 0 ||
	    (rc = count_list(c, rule, rec, writers, &t, TK_VIA_TRAILER)) < 0 ||
	    (rc = count_list(c, rule, rec, writers, &t, TK_VIA_NOTE)) < 0 ||
	    (rc = keep(c, rec, &t)) < 0)
		goto out;
	missing(c, rule, rec, &t, &need);
	if (need.len > 0)
		rc = report(c, rule, rec, &t, writers, need.ptr);
out:
	tk_idset_release(&t.counted);
	free(t.via);
	tk_buf_release(&t.refused);
	tk_buf_release(&need);
	return rc;
}
