/*
 * Deciding a push: rule matching, role checks per kind of update, and the
 * verdict per ref.  Commit inspection lives in commits.c.
 */
#include <time.h>

#include "engine.h"
#include "commits.h"
#include "emergency.h"
#include "frozen.h"
#include "history.h"
#include "notes.h"
#include "pusher.h"
#include "refnames.h"
#include "twokey/audit.h"
#include "twokey/commit.h"
#include "twokey/repo.h"

static const struct tk_rolelist *
kind_roles(const struct tk_rule *rule, enum tk_kind k)
{
	const struct tk_rolelist *l = &rule->update;

	if (k == TK_KIND_CREATE && rule->create.set)
		l = &rule->create;
	else if (k == TK_KIND_DELETE && rule->delete_.set)
		l = &rule->delete_;
	else if (k == TK_KIND_FORCE && rule->force_push.set)
		l = &rule->force_push;
	return l;
}

/* Appends the pusher's description for messages. */
static const char *
pusher_desc(struct tk_check *c, struct tk_buf *b)
{
	tk_buf_reset(b);
	if (c->r->pusher != NULL)
		(void)tk_buf_printf(b, "pusher '%s'", c->r->pusher->id);
	else if (c->r->pusher_login != NULL)
		(void)tk_buf_printf(b, "pusher login '%s'", c->r->pusher_login);
	else
		(void)tk_buf_puts(b, "the pusher");
	return b->ptr ? b->ptr : "the pusher";
}

static int
check_roles(
    struct tk_check *c, const struct tk_rule *rule, const struct tk_update *up)
{
	const struct tk_rolelist *l = kind_roles(rule, up->kind);
	struct tk_buf want = TK_BUF_INIT(8192), who = TK_BUF_INIT(1024);
	int rc = 0;

	if (!l->set)
		return 0;
	if (tk_roleset_empty(&l->roles)) {
		rc = tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
		    "this rule lets nobody do that; an admin must change the "
		    "policy",
		    "nobody may %s this ref", tk_kind_name(up->kind));
	} else if (c->r->pusher == NULL) {
		(void)tk_buf_printf(&want,
		    "the rule restricts who may %s "
		    "this ref",
		    tk_kind_name(up->kind));
		rc = tk_check_unknown_pusher(c, want.ptr);
	} else if (!tk_roleset_intersects(&c->r->pusher->roles, &l->roles)) {
		(void)tk_roleset_format(&want, c->p, &l->roles);
		rc = tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
		    "ask someone holding one of those roles to push, or change "
		    "the rule",
		    "%s may not %s this ref: that takes one of the roles: %s",
		    pusher_desc(c, &who), tk_kind_name(up->kind),
		    want.ptr ? want.ptr : "nobody");
	}
	tk_buf_release(&want);
	tk_buf_release(&who);
	return rc;
}

/* Counts this update's refusals; in warn mode they become warnings. */
static void
settle(struct tk_check *c, size_t first, const struct tk_rule *rule)
{
	struct tk_verdict *v = &c->r->verdicts[c->cur];
	size_t i;

	for (i = first; i < c->r->nfindings; i++) {
		struct tk_finding *f = &c->r->findings[i];

		if (f->sev != TK_SEV_DENY)
			continue;
		if (rule != NULL && rule->mode == TK_MODE_WARN) {
			f->sev = TK_SEV_WARN;
			v->warned = true;
		} else
			v->decision = TK_REFUSE;
	}
	if (v->decision == TK_REFUSE)
		c->r->refused = true;
}

/* Rules are matched on the ref git writes (refnames.c). */
static int
match_rule(struct tk_check *c, const struct tk_update *up,
    const struct tk_rule **rule, bool *stop)
{
	const char *name = TK_UPDATE_NAME(up);
	int rc;

	*stop = true;
	*rule = NULL;
	if ((rc = tk_check_pushable(c, up->ref, stop)) < 0 || *stop)
		return rc;
	*stop = true;
	if (up->broken != NULL)
		return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
		    "an admin should repair or remove the symbolic ref",
		    "cannot tell which ref git would write: %s", up->broken);
	if (tk_policy_match(rule, c->p, name) < 0)
		return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
		    "fix the rule's pattern in the policy", "policy error: %s",
		    tk_error_last());
	if ((rc = tk_check_special(c, *rule, name, stop)) < 0 || *stop ||
	    (rc = tk_check_case(c, *rule, name, stop)) < 0 || *stop) {
		*rule = NULL;
		return rc;
	}
	if (up->target != NULL &&
	    (rc = tk_check_add(c, TK_SEV_NOTE, NULL, NULL, 0, NULL,
	         "'%s' is a symbolic ref: git writes '%s', so its rule "
	         "decides",
	         up->ref, up->target)) < 0)
		return rc;
	*stop = false;
	return 0;
}

/*
 * The notes ref: a rule matching it may restrict who pushes it (its
 * roles, in its mode), but nothing loosens the guard, which is enforced
 * whatever the rule's mode; the rule's commit checks do not apply to
 * notes commits (the guard replaces them).
 */
static int
check_notes(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_update *up, size_t first)
{
	int rc;

	if (rule != NULL && (rc = check_roles(c, rule, up)) < 0)
		return rc;
	settle(c, first, rule);
	first = c->r->nfindings;
	if ((rc = tk_check_notes_update(c)) < 0)
		return rc;
	settle(c, first, NULL);
	return 0;
}

/*
 * Freezes, settled on their own: a freeze is not the rule's, so the rule's
 * mode: warn does not soften it (docs/spec.md, "Change freezes").
 */
static int
check_freeze(struct tk_check *c, const struct tk_update *up)
{
	size_t first = c->r->nfindings;
	int rc;

	if ((rc = tk_check_frozen(c, up)) < 0)
		return rc;
	settle(c, first, NULL);
	return 0;
}

static int
check_update(struct tk_check *c)
{
	const struct tk_update *up = &c->u->items[c->cur];
	const struct tk_rule *rule = NULL;
	size_t first = c->r->nfindings;
	bool stop;
	int rc;

	c->waived = 0;
	if ((rc = match_rule(c, up, &rule, &stop)) < 0)
		return rc;
	if (stop) {
		settle(c, first, NULL);
		return 0;
	}
	c->r->verdicts[c->cur].rule = rule;
	/* the notes guard is never waived: no emergency there */
	if (tk_is_notes_ref(TK_UPDATE_NAME(up)))
		return (rc = tk_check_emergency(c, NULL, up)) < 0
		    ? rc
		    : check_notes(c, rule, up, first);
	if (rule == NULL) {
		if ((rc = tk_check_emergency(c, NULL, up)) < 0)
			return rc;
		settle(c, first, NULL);
		return check_freeze(c, up);
	}
	/* roles first: an emergency never lifts them */
	if ((rc = check_roles(c, rule, up)) < 0 ||
	    (rc = tk_check_emergency(c, rule, up)) < 0)
		return rc;
	/*
	 * A granted emergency reads its entering commits even under a rule
	 * that inspects none: they are kept, with their writers, for the
	 * ratification, which would otherwise find nothing entered.
	 */
	if ((tk_rule_inspects_commits(rule) ||
	        c->r->verdicts[c->cur].emergency) &&
	    up->kind != TK_KIND_DELETE && (rc = tk_check_commits(c, rule)) < 0)
		return rc;
	settle(c, first, rule);
	return check_freeze(c, up);
}

int
tk_check_run(struct tk_report *report, git_repository *repo,
    const struct tk_policy *p, struct tk_updates *u,
    const struct tk_check_opts *opts)
{
	struct tk_check c;
	size_t i;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.emkey = (struct tk_buf)TK_BUF_INIT(TK_REPO_NS_MAX + 8192);
	c.repo = repo;
	c.p = p;
	c.u = u;
	c.r = report;
	c.now = opts && opts->now ? opts->now : (int64_t)time(NULL);
	c.adhoc = opts ? opts->freezes : NULL;
	c.opts = opts;
	if ((report->verdicts =
	            tk_calloc(u->n + 1, sizeof(*report->verdicts))) == NULL)
		return TK_ENOMEM;
	report->nverdicts = u->n;
	if ((rc = tk_check_pusher(&c, opts ? opts->pusher_login : NULL)) < 0 ||
	    (rc = tk_check_namespace(&c)) < 0 ||
	    (rc = tk_check_resolve(&c)) < 0 ||
	    (rc = tk_updates_classify(u, repo)) < 0 ||
	    (rc = tk_check_notes_init(&c)) < 0 ||
	    (rc = tk_check_emergency_init(&c)) < 0)
		goto out;
	for (i = 0; i < u->n; i++) {
		c.cur = i;
		if ((rc = check_update(&c)) < 0)
			goto out;
	}
	if (opts != NULL && opts->emergency != NULL &&
	    (report->emergency = tk_strdup(opts->emergency)) == NULL)
		rc = TK_ENOMEM;
out:
	tk_check_notes_release(&c);
	tk_history_release(&c);
	tk_buf_release(&c.emkey);
	tk_check_case_release(&c);
	free(c.ns);
	if (rc < 0)
		report->refused = true;
	return rc;
}

void
tk_report_release(struct tk_report *r)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		free(r->findings[i].subject);
		free(r->findings[i].what);
		free(r->findings[i].hint);
	}
	for (i = 0; i < r->ncommits; i++) {
		free(r->commits[i].subject);
		free(r->commits[i].author);
		free(r->commits[i].committer);
		free(r->commits[i].approvers);
		free(r->commits[i].refused);
		free(r->commits[i].approver_via);
		free(r->commits[i].change_writers);
	}
	for (i = 0; i < r->nnotes; i++)
		free(r->notes[i].email);
	for (i = 0; i < r->nratified; i++)
		free(r->ratified[i].ratifiers);
	free(r->ratified);
	free(r->emergency);
	free(r->notes);
	free(r->commits);
	tk_audit_commits_free(r->spooled);
	free(r->findings);
	free(r->verdicts);
	free(r->pusher_login);
	memset(r, 0, sizeof(*r));
}
