/*
 * Deciding a push: rule matching, role checks per kind of update, and the
 * verdict per ref.  Commit inspection lives in commits.c.
 */
#include <time.h>

#include "internal_check.h"
#include "twokey/commit.h"

int
tk_check_add(struct tk_check *c, enum tk_severity sev, const git_oid *commit,
    const char *subject, size_t subject_len, const char *hint, const char *fmt,
    ...)
{
	struct tk_buf raw = TK_BUF_INIT(16384), b = TK_BUF_INIT(65536);
	struct tk_report *r = c->r;
	struct tk_finding *f;
	va_list ap;
	int rc;

	if ((rc = tk_grow(&r->findings, &r->cap, r->nfindings + 1,
	         sizeof(*r->findings))) < 0)
		return rc;
	f = &r->findings[r->nfindings];
	memset(f, 0, sizeof(*f));
	f->sev = sev;
	f->update = c->cur;
	if (commit != NULL)
		git_oid_tostr(f->commit, sizeof(f->commit), commit);
	va_start(ap, fmt);
	rc = tk_buf_vprintf(&raw, fmt, ap);
	va_end(ap);
	if (rc == TK_ENOMEM ||
	    tk_sanitize(&b, raw.ptr ? raw.ptr : "", raw.len, 4096) < 0 ||
	    (f->what = tk_buf_detach(&b, NULL)) == NULL)
		goto nomem;
	if (subject != NULL &&
	    (tk_sanitize(&b, subject, subject_len, 72) < 0 ||
	        (f->subject = tk_buf_detach(&b, NULL)) == NULL))
		goto nomem;
	if (hint != NULL && (f->hint = tk_strdup(hint)) == NULL)
		goto nomem;
	r->nfindings++;
	tk_buf_release(&raw);
	return 0;
nomem:
	free(f->what);
	free(f->subject);
	tk_buf_release(&raw);
	tk_buf_release(&b);
	return tk_error_set(TK_ENOMEM, "out of memory");
}

int
tk_check_record(struct tk_check *c, struct tk_rec *rec)
{
	struct tk_report *r = c->r;
	struct tk_commit_record *cr;
	const char *subj = "";
	size_t sl = 0;
	int rc;

	if ((rc = tk_grow(&r->commits, &r->commits_cap, r->ncommits + 1,
	         sizeof(*r->commits))) < 0)
		return rc;
	cr = &r->commits[r->ncommits];
	memset(cr, 0, sizeof(*cr));
	cr->update = c->cur;
	git_oid_tostr(cr->id, sizeof(cr->id), &rec->id);
	if (rec->c != NULL) {
		subj = tk_commit_subject(rec->c, &sl);
		if ((cr->author = tk_strndup(rec->c->author.email,
		         rec->c->author.email_len > 254
		             ? 254
		             : rec->c->author.email_len)) == NULL)
			return TK_ENOMEM;
	}
	if ((cr->subject = tk_strndup(subj, sl > 200 ? 200 : sl)) == NULL) {
		free(cr->author);
		return TK_ENOMEM;
	}
	cr->writers[0] = rec->author;
	cr->writers[1] = rec->committer;
	cr->writers[2] = rec->signer;
	cr->chain = rec->chain;
	rec->audit = r->ncommits++;
	return 0;
}

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

/* The env variables consulted, for messages. */
static void
env_list(const struct tk_policy *p, struct tk_buf *b)
{
	size_t i;

	for (i = 0; i < p->npusher_env; i++)
		(void)tk_buf_printf(b, "%s%s", i ? ", " : "", p->pusher_env[i]);
	if (p->npusher_env == 0)
		(void)tk_buf_puts(b, "none configured");
}

int
tk_check_unknown_pusher(struct tk_check *c, const char *why_needed)
{
	struct tk_buf vars = TK_BUF_INIT(4096);
	int rc;

	env_list(c->p, &vars);
	rc = tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
	    "the server's front end must report who pushes (see pusher.env "
	    "in the policy), and that login must belong to an identity",
	    "pusher unknown (%s; consulted: %s%s%s%s), so %s", c->pusher_why,
	    vars.ptr ? vars.ptr : "", c->r->pusher_login ? "; login '" : "",
	    c->r->pusher_login ? c->r->pusher_login : "",
	    c->r->pusher_login ? "'" : "", why_needed);
	tk_buf_release(&vars);
	return rc;
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

static int
check_update(struct tk_check *c)
{
	const struct tk_update *up = &c->u->items[c->cur];
	const struct tk_rule *rule = NULL;
	size_t first = c->r->nfindings;
	int rc, m;

	m = tk_policy_match(&rule, c->p, up->ref);
	if (m < 0) {
		rc = tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
		    "fix the rule's pattern in the policy", "policy error: %s",
		    tk_error_last());
		settle(c, first, NULL);
		return rc;
	}
	c->r->verdicts[c->cur].rule = rule;
	if (rule == NULL)
		return 0;
	if ((rc = check_roles(c, rule, up)) < 0)
		return rc;
	if (tk_rule_inspects_commits(rule) && up->kind != TK_KIND_DELETE &&
	    (rc = tk_check_commits(c, rule)) < 0)
		return rc;
	settle(c, first, rule);
	return 0;
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
	c.repo = repo;
	c.p = p;
	c.u = u;
	c.r = report;
	c.now = opts && opts->now ? opts->now : (int64_t)time(NULL);
	if ((report->verdicts =
	            tk_calloc(u->n + 1, sizeof(*report->verdicts))) == NULL)
		return TK_ENOMEM;
	report->nverdicts = u->n;
	if ((rc = tk_check_pusher(&c, opts ? opts->pusher_login : NULL)) < 0 ||
	    (rc = tk_updates_classify(u, repo)) < 0)
		goto out;
	for (i = 0; i < u->n; i++) {
		c.cur = i;
		if ((rc = check_update(&c)) < 0)
			goto out;
	}
out:
	free(c.vouched[0]);
	free(c.vouched[1]);
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
		free(r->commits[i].approvers);
		free(r->commits[i].refused);
	}
	free(r->commits);
	free(r->findings);
	free(r->verdicts);
	free(r->pusher_login);
	memset(r, 0, sizeof(*r));
}
