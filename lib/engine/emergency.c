/*
 * Emergencies in the decision (docs/spec.md, "Emergency changes"):
 * whether -o twokey.emergency=<reason> is granted for the ref being
 * decided, which checks it lifts, and whether an earlier emergency on the
 * ref is overdue.  The role checks ran before and are never lifted.
 */
#include "emergency.h"
#include "notes.h"
#include "twokey/audit.h"
#include "twokey/emergency.h"
#include "twokey/pattern.h"

/* The entry is of this repository and this push's $GIT_NAMESPACE. */
static bool
this_repo(const struct tk_check *c, const struct tk_emergency_entry *e)
{
	return e->repo != NULL && c->emkey.ptr != NULL &&
	    strcmp(e->repo, c->emkey.ptr) == 0;
}

static bool
pushes_notes(const struct tk_check *c)
{
	size_t i;

	for (i = 0; i < c->u->n; i++)
		if (tk_is_notes_ref(TK_UPDATE_NAME(&c->u->items[i])))
			return true;
	return false;
}

static bool
pushes_ref(const struct tk_check *c, const char *ref)
{
	size_t i;

	for (i = 0; i < c->u->n; i++)
		if (strcmp(TK_UPDATE_NAME(&c->u->items[i]), ref) == 0)
			return true;
	return false;
}

static int
keep_ratified(struct tk_check *c, size_t entry, char *who, bool now)
{
	struct tk_report *r = c->r;

	if (tk_grow(&r->ratified, &r->ratified_cap, r->nratified + 1,
	        sizeof(*r->ratified)) < 0) {
		free(who);
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	r->ratified[r->nratified].entry = entry;
	r->ratified[r->nratified].ratifiers = who; /* transferred */
	r->ratified[r->nratified++].by_this_push = now;
	return 0;
}

int
tk_check_emergency_init(struct tk_check *c)
{
	const struct tk_emergency_state *st =
	    c->opts ? c->opts->emergencies : NULL;
	const struct tk_rule *rule;
	bool notes = pushes_notes(c);
	char *who;
	size_t i;
	int rc;

	if (st != NULL && st->n > 0 &&
	    tk_emergency_repo_key(
	        &c->emkey, git_repository_path(c->repo), c->ns) < 0)
		return tk_error_set(TK_ENOMEM, "out of memory");
	for (i = 0; st != NULL && i < st->n; i++) {
		const struct tk_emergency_entry *e = &st->items[i];

		/* when notes arrive, and before an overdue one blocks */
		if (e->ratified != 0 || !this_repo(c, e) ||
		    !(notes ||
		        (tk_emergency_overdue(e, c->now) &&
		            pushes_ref(c, e->ref))))
			continue;
		if (tk_policy_match(&rule, c->p, e->ref) < 0)
			return tk_error_set(
			    TK_ERROR, "policy error: %s", tk_error_last());
		if ((rc = tk_emergency_ratified(&who, c->repo,
		         c->have_notes_after ? &c->notes_after : NULL, c->p,
		         rule, e, c->now)) < 0)
			return tk_error_set(rc,
			    "cannot tell whether the emergency on %s is "
			    "ratified: %s",
			    e->ref, tk_error_last());
		if (rc == 1 && (rc = keep_ratified(c, i, who, notes)) < 0)
			return rc;
	}
	return 0;
}

static bool
found_ratified(const struct tk_check *c, size_t entry)
{
	size_t i;

	for (i = 0; i < c->r->nratified; i++)
		if (c->r->ratified[i].entry == entry)
			return true;
	return false;
}

/* Earlier emergencies on this ref past their deadline, unratified. */
static int
overdue(struct tk_check *c, const char *ref, bool granted)
{
	const struct tk_emergency_state *st =
	    c->opts ? c->opts->emergencies : NULL;
	struct tk_buf hint = TK_BUF_INIT(1024);
	char when[32], by[32];
	size_t i;
	int rc = 0;

	for (i = 0; st != NULL && i < st->n && rc == 0; i++) {
		const struct tk_emergency_entry *e = &st->items[i];

		if (!this_repo(c, e) || strcmp(e->ref, ref) != 0 ||
		    !tk_emergency_overdue(e, c->now) || found_ratified(c, i))
			continue;
		tk_audit_time_str(when, sizeof(when), e->time);
		tk_audit_time_str(by, sizeof(by), e->ratify_by);
		tk_buf_reset(&hint);
		(void)tk_buf_printf(&hint,
		    "reviewers who wrote none of it ratify it: 'twokey approve "
		    "%.12s..%.12s --push' (see 'twokey audit emergencies')",
		    e->old ? e->old : "", e->new_ ? e->new_ : "");
		rc = tk_check_add(c,
		    e->block && !granted ? TK_SEV_DENY : TK_SEV_WARN, NULL,
		    NULL, 0, hint.ptr,
		    "the emergency push of %s by %s (%.12s..%.12s, reason: %s) "
		    "was not ratified by %s%s",
		    when, e->pusher ? e->pusher : "?", e->old ? e->old : "",
		    e->new_ ? e->new_ : "", e->reason, by,
		    e->block && !granted
		        ? "; this ref is blocked until it is (overdue: block)"
		        : "");
	}
	tk_buf_release(&hint);
	return rc;
}

/* Why the emergency cannot be granted for this ref; NULL when it can. */
static const char *
refusal(struct tk_check *c, const struct tk_rule *rule, const char *reason,
    struct tk_buf *why)
{
	const struct tk_emergency *em = rule ? rule->emergency : NULL;
	const char *bad;
	int m;

	if (c->opts->no_emergency != NULL)
		return c->opts->no_emergency;
	if (em == NULL)
		return "this ref has no emergency path (its rule has no "
		       "emergency: block)";
	if (c->r->pusher == NULL)
		return "the pusher is unknown, and only the rule's emergency "
		       "roles may invoke it";
	if (!tk_roleset_intersects(&c->r->pusher->roles, &em->by)) {
		(void)tk_buf_printf(why,
		    "pusher '%s' may not invoke it: that takes one of the "
		    "roles: ",
		    c->r->pusher->id);
		(void)tk_roleset_format(why, c->p, &em->by);
		return why->ptr ? why->ptr : "not allowed";
	}
	if ((bad = tk_emergency_reason_invalid(reason)) != NULL)
		return bad;
	if (em->reason == NULL)
		return NULL;
	if ((m = tk_pattern_match(em->reason, reason, strlen(reason))) == 1)
		return NULL;
	(void)tk_buf_printf(why,
	    m < 0 ? "the reason could not be matched against the rule's "
	            "pattern (%s)"
	          : "the reason does not match the rule's pattern '%s' (it "
	            "must match as a whole)",
	    em->reason_src);
	return why->ptr ? why->ptr : "reason refused";
}

/*
 * What reviewers run to ratify, into h: the range this update brought in
 * when it moved an existing ref; for a created ref, the emergency list
 * names its commits.
 */
static void
ratify_hint(struct tk_buf *h, const struct tk_update *up)
{
	char o[13], n[13];

	if (git_oid_is_zero(&up->old_id) || git_oid_is_zero(&up->new_id)) {
		(void)tk_buf_puts(h,
		    "reviewers ratify its commits with 'twokey "
		    "approve COMMIT... --push' (listed by "
		    "'twokey audit emergencies')");
		return;
	}
	git_oid_tostr(o, sizeof(o), &up->old_id);
	git_oid_tostr(n, sizeof(n), &up->new_id);
	(void)tk_buf_printf(h,
	    "reviewers ratify its commits with 'twokey approve %s..%s "
	    "--push'; see 'twokey audit emergencies'",
	    o, n);
}

int
tk_check_emergency(
    struct tk_check *c, const struct tk_rule *rule, const struct tk_update *up)
{
	struct tk_verdict *v = &c->r->verdicts[c->cur];
	const char *reason = c->opts ? c->opts->emergency : NULL, *why;
	struct tk_buf b = TK_BUF_INIT(8192), h = TK_BUF_INIT(512);
	char by[32];
	int rc = 0;

	c->waived = 0;
	if (reason != NULL) {
		if ((why = refusal(c, rule, reason, &b)) != NULL)
			rc = tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
			    "push without -o twokey.emergency, or fix what "
			    "this says (docs/emergency.md)",
			    "emergency refused: %s", why);
		else {
			v->emergency = true;
			v->waived = c->waived = rule->emergency->waive;
			v->ratify_by = c->now + rule->emergency->within;
			(void)tk_waive_format(&b, v->waived, ", ");
			tk_audit_time_str(by, sizeof(by), v->ratify_by);
			ratify_hint(&h, up);
			rc = tk_check_add(c, TK_SEV_NOTE, NULL, NULL, 0,
			    h.ptr ? h.ptr : "see 'twokey audit emergencies'",
			    "emergency granted: %s waived; its commits must be "
			    "ratified by detached approvals by %s",
			    b.ptr ? b.ptr : "", by);
		}
	}
	tk_buf_release(&b);
	tk_buf_release(&h);
	if (rc == 0 && rule != NULL)
		rc = overdue(c, TK_UPDATE_NAME(up), v->emergency);
	return rc;
}
