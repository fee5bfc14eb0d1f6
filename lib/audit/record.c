/*
 * The audit record: who pushed what, who wrote and who approved it, and
 * what twokey decided.  Commit subjects, emails, ref names and push
 * options are attacker text; each goes through tk_json_string(), which
 * always yields valid JSON.  The environment is never written wholesale:
 * only the named variables below, and never HTTP_AUTHORIZATION.
 */
#include <time.h>

#include "internal.h"
#include "store.h"
#include "twokey/audit.h"
#include "twokey/check.h"
#include "twokey/emergency.h"
#include "twokey/policy.h"

static int
jstr(struct tk_buf *b, const char *s)
{
	return s == NULL ? tk_buf_puts(b, "null")
	                 : tk_json_string(b, s, strlen(s));
}

/*
 * A ref name: bytes that are not UTF-8 as \xHH, so that two refs never
 * read alike (docs/spec.md, "Ref names in records").
 */
static int
jref(struct tk_buf *b, const char *s)
{
	return s == NULL ? tk_buf_puts(b, "null")
	                 : tk_json_refname(b, s, strlen(s));
}

static int
header(struct tk_buf *b, const struct tk_report *r,
    const struct tk_audit_push *push)
{
	char when[TK_UTC_LEN + 1];
	const char *client;

	tk_utc_format(when, push->now);
	(void)tk_buf_printf(b,
	    "{\"v\":1,\"time\":\"%s\",\"twokey\":"
	    "\"%s\",\"hook\":",
	    when, TWOKEY_VERSION);
	(void)jstr(b, push->hook);
	(void)tk_buf_puts(b, ",\"repo\":");
	(void)jstr(b, push->repo);
	(void)tk_buf_puts(b, ",\"pusher\":{\"login\":");
	(void)jstr(b, r->pusher_login);
	(void)tk_buf_puts(b, ",\"identity\":");
	(void)jstr(b, r->pusher ? r->pusher->id : NULL);
	(void)tk_buf_puts(b, ",\"from\":");
	(void)jstr(b, r->pusher_var);
	if ((client = getenv("SSH_CONNECTION")) == NULL &&
	    (client = getenv("REMOTE_ADDR")) == NULL)
		client = getenv("GITHUB_USER_IP");
	(void)tk_buf_puts(b, "},\"client\":");
	(void)jstr(b, client);
	(void)tk_buf_puts(b, ",\"protocol\":{\"GL_PROTOCOL\":");
	(void)jstr(b, getenv("GL_PROTOCOL"));
	(void)tk_buf_puts(b, ",\"GL_ID\":");
	(void)jstr(b, getenv("GL_ID"));
	(void)tk_buf_puts(b, ",\"GITHUB_VIA\":");
	(void)jstr(b, getenv("GITHUB_VIA"));
	return tk_buf_puts(b, "}");
}

/* GIT_PUSH_OPTION_COUNT and GIT_PUSH_OPTION_<i>, bounded. */
static int
push_options(struct tk_buf *b)
{
	const char *cnt = getenv("GIT_PUSH_OPTION_COUNT"), *v;
	unsigned long n = 0, i;
	char name[40];

	if (cnt != NULL)
		n = strtoul(cnt, NULL, 10);
	if (n > TK_AUDIT_MAX_PUSH_OPTIONS)
		n = TK_AUDIT_MAX_PUSH_OPTIONS;
	(void)tk_buf_puts(b, ",\"push_options\":[");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%lu", i);
		v = getenv(name);
		(void)tk_buf_puts(b, i ? "," : "");
		(void)tk_json_string(b, v ? v : "", v ? strnlen(v, 4096) : 0);
	}
	return tk_buf_puts(b, "]");
}

static void
identities(struct tk_buf *b, const struct tk_identity *const *ids, size_t n)
{
	size_t i, k = 0;

	(void)tk_buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		size_t j;

		if (ids[i] == NULL)
			continue;
		for (j = 0; j < i && ids[j] != ids[i]; j++)
			;
		if (j < i)
			continue;
		(void)tk_buf_puts(b, k++ ? "," : "");
		(void)jstr(b, ids[i]->id);
	}
	(void)tk_buf_putc(b, ']');
}

static void
roles_of(
    struct tk_buf *b, const struct tk_policy *p, const struct tk_identity *id)
{
	unsigned k, m = 0;

	(void)tk_buf_putc(b, '[');
	for (k = 0; k < p->nroles; k++)
		if (tk_roleset_has(&id->roles, k)) {
			(void)tk_buf_puts(b, m++ ? "," : "");
			(void)jstr(b, p->roles[k]);
		}
	(void)tk_buf_putc(b, ']');
}

static const char *
via_name(unsigned via)
{
	return via == (TK_VIA_TRAILER | TK_VIA_NOTE) ? "trailer, note"
	    : via == TK_VIA_NOTE                     ? "note"
	                                             : "trailer";
}

/*
 * The approvals that counted for cr; for a commit a chain merge answers
 * for, the merge's, each marked "covered by merge <id>".
 */
static void
approvers(struct tk_buf *b, const struct tk_policy *p,
    const struct tk_commit_record *cr, const struct tk_commit_record *owner)
{
	const struct tk_commit_record *src = owner ? owner : cr;
	size_t i;

	(void)tk_buf_puts(b, ",\"approvers\":[");
	for (i = 0; i < src->napprovers; i++) {
		(void)tk_buf_printf(b, "%s{\"identity\":", i ? "," : "");
		(void)jstr(b, src->approvers[i]->id);
		(void)tk_buf_puts(b, ",\"roles\":");
		roles_of(b, p, src->approvers[i]);
		if (owner != NULL)
			(void)tk_buf_printf(
			    b, ",\"via\":\"covered by merge %s\"}", owner->id);
		else
			(void)tk_buf_printf(b, ",\"via\":\"%s\"}",
			    via_name(src->approver_via ? src->approver_via[i]
			                               : TK_VIA_TRAILER));
	}
	(void)tk_buf_putc(b, ']');
}

static void
merge_of(struct tk_buf *b, const struct tk_commit_record *cr)
{
	(void)tk_buf_printf(b,
	    ",\"merge\":{\"kind\":\"%s\",\"brings\":%zu,"
	    "\"merged_by\":",
	    cr->merge == TK_MERGE_CLEAN ? "clean" : "not-clean", cr->brings);
	identities(b, cr->writers, 3);
	(void)tk_buf_putc(b, '}');
}

/* A commit record from its start through its author. */
void
tk_audit_commit_head(struct tk_buf *b, const struct tk_commit_record *cr)
{
	(void)tk_buf_printf(b, "{\"id\":\"%s\",\"subject\":", cr->id);
	(void)jstr(b, cr->subject);
	(void)tk_buf_puts(b, ",\"author\":");
	(void)jstr(b, cr->author);
}

/* The rest of it: owner is the chain commit that answers for it, or NULL. */
void
tk_audit_commit_tail(struct tk_buf *b, const struct tk_policy *p,
    const struct tk_commit_record *cr, const struct tk_commit_record *owner)
{
	(void)tk_buf_puts(b, ",\"writers\":");
	if (cr->has_change)
		identities(b, cr->change_writers, cr->nchange_writers);
	else
		identities(b, cr->writers, 3);
	if (owner != NULL) {
		(void)tk_buf_printf(b, ",\"covered_by\":\"%s\"", owner->id);
		approvers(b, p, cr, owner);
	}
	if (cr->chain) {
		approvers(b, p, cr, NULL);
		(void)tk_buf_puts(b, ",\"refused\":");
		(void)jstr(b, cr->refused);
	}
	if (cr->merge != TK_MERGE_NONE)
		merge_of(b, cr);
	(void)tk_buf_putc(b, '}');
}

static void
commit_record(struct tk_buf *b, const struct tk_policy *p,
    const struct tk_report *r, const struct tk_commit_record *cr)
{
	const struct tk_commit_record *owner = NULL;

	if (!cr->chain && cr->owner > 0 && cr->owner <= r->ncommits)
		owner = &r->commits[cr->owner - 1];
	tk_audit_commit_head(b, cr);
	tk_audit_commit_tail(b, p, cr, owner);
}

/* The approvals an update of the notes ref adds, when it adds any. */
static void
note_records(struct tk_buf *b, const struct tk_report *r, size_t i)
{
	size_t k, m = 0;

	for (k = 0; k < r->nnotes; k++) {
		const struct tk_note_record *nr = &r->notes[k];

		if (nr->update != i)
			continue;
		(void)tk_buf_puts(b,
		    m++ ? ",{\"commit\":"
		        : ",\"note_approvals\":[{\"commit\":");
		(void)jstr(b, nr->commit);
		(void)tk_buf_puts(b, ",\"identity\":");
		(void)jstr(b, nr->identity ? nr->identity->id : NULL);
		(void)tk_buf_puts(b, ",\"email\":");
		(void)jstr(b, nr->email);
		(void)tk_buf_puts(b, ",\"key\":");
		(void)jstr(b, nr->key);
		(void)tk_buf_putc(b, '}');
	}
	if (m > 0)
		(void)tk_buf_putc(b, ']');
}

static const char *
decision_name(enum tk_decision d)
{
	return d == TK_REFUSE ? "refused" : "accepted";
}

static void
ref_record(struct tk_buf *b, struct tk_audit_spool *sp,
    const struct tk_policy *p, const struct tk_updates *u,
    const struct tk_report *r, size_t i, bool dry_run)
{
	const struct tk_verdict *v = &r->verdicts[i];
	char old[GIT_OID_HEXSZ + 1], nw[GIT_OID_HEXSZ + 1];
	size_t k, m = 0;
	int rc;

	git_oid_tostr(old, sizeof(old), &u->items[i].old_id);
	git_oid_tostr(nw, sizeof(nw), &u->items[i].new_id);
	(void)tk_buf_puts(b, i ? ",{\"ref\":" : "{\"ref\":");
	(void)jref(b, u->items[i].ref);
	(void)tk_buf_printf(b,
	    ",\"old\":\"%s\",\"new\":\"%s\",\"kind\":\"%s\","
	    "\"rule\":",
	    old, nw, tk_kind_name(u->items[i].kind));
	(void)jstr(b, v->rule ? v->rule->name : NULL);
	/* A dry run moves nothing: what it would have done is "would". */
	(void)tk_buf_printf(b, ",\"mode\":\"%s\",\"decision\":\"%s\",",
	    v->rule && v->rule->mode == TK_MODE_WARN ? "warn" : "enforce",
	    dry_run ? "refused" : decision_name(v->decision));
	if (dry_run)
		(void)tk_buf_printf(
		    b, "\"would\":\"%s\",", decision_name(v->decision));
	(void)tk_buf_printf(b, "\"warned\":%s,\"entering\":%zu,\"commits\":[",
	    v->warned ? "true" : "false", v->nentering);
	for (k = 0; k < r->ncommits; k++)
		if (r->commits[k].update == i) {
			(void)tk_buf_puts(b, m++ ? "," : "");
			commit_record(b, p, r, &r->commits[k]);
			if (sp != NULL && b->len >= TK_AUDIT_SPOOL_AT)
				(void)tk_audit_spool_put(sp, b);
		}
	/* those written while the push was decided (commits.c) */
	if ((rc = tk_audit_commits_copy(r->spooled, i, b, sp, &m)) < 0 &&
	    b->err == 0)
		b->err = rc;
	(void)tk_buf_putc(b, ']');
	/* trusted-history kept commits from entering (docs/spec.md) */
	if (v->trusted_hid)
		(void)tk_buf_puts(b, ",\"trusted_history\":true");
	/* the pushed name was a symbolic ref: the ref git wrote */
	if (u->items[i].target != NULL) {
		(void)tk_buf_puts(b, ",\"target\":");
		(void)jref(b, u->items[i].target);
	}
	note_records(b, r, i);
	(void)tk_buf_putc(b, '}');
}

static const char *
sev_name(enum tk_severity s)
{
	return s == TK_SEV_DENY ? "error"
	    : s == TK_SEV_WARN  ? "warning"
	                        : "note";
}

/*
 * docs/spec.md, "Emergency changes": the record of a push that landed
 * with an emergency carries its reason, what it waived (every ref's, for
 * a push of several) and the earliest deadline for its ratification.
 */
static void
emergency(struct tk_buf *b, const struct tk_updates *u,
    const struct tk_report *r, const struct tk_audit_push *push)
{
	unsigned waived = 0;
	int64_t by = 0;
	char when[32];
	size_t i;

	if (r->emergency == NULL || r->refused || push->error || push->dry_run)
		return;
	for (i = 0; i < u->n && i < r->nverdicts; i++)
		if (r->verdicts[i].emergency) {
			waived |= r->verdicts[i].waived;
			if (by == 0 || r->verdicts[i].ratify_by < by)
				by = r->verdicts[i].ratify_by;
		}
	if (by == 0)
		return;
	(void)tk_buf_puts(b, ",\"emergency\":{\"reason\":");
	(void)jstr(b, r->emergency);
	(void)tk_buf_puts(b, ",\"waived\":[\"");
	(void)tk_waive_format(b, waived, "\",\"");
	tk_audit_time_str(when, sizeof(when), by);
	(void)tk_buf_printf(b, "\"],\"ratify_by\":\"%s\"}", when);
}

/* Emergencies this push found ratified (and the hook records so). */
static void
ratified(struct tk_buf *b, const struct tk_report *r,
    const struct tk_audit_push *push)
{
	const struct tk_emergency_state *st = push->emergencies;
	char when[32];
	size_t i, n = 0;

	for (i = 0; st != NULL && i < r->nratified; i++) {
		const struct tk_ratification *ra = &r->ratified[i];
		const struct tk_emergency_entry *e = &st->items[ra->entry];

		if (ra->by_this_push &&
		    (r->refused || push->error || push->dry_run))
			continue; /* its notes did not land */
		(void)tk_buf_puts(b, n++ ? ",{" : ",\"ratified\":[{");
		tk_audit_time_str(when, sizeof(when), e->time);
		(void)tk_buf_printf(b, "\"emergency\":\"%s\",\"ref\":", when);
		(void)jref(b, e->ref);
		(void)tk_buf_puts(b, ",\"new\":");
		(void)jstr(b, e->new_);
		(void)tk_buf_puts(b, ",\"pusher\":");
		(void)jstr(b, e->pusher);
		(void)tk_buf_puts(b, ",\"by\":");
		(void)jstr(b, ra->ratifiers);
		(void)tk_buf_putc(b, '}');
	}
	if (n > 0)
		(void)tk_buf_putc(b, ']');
}

int
tk_audit_format(struct tk_buf *b, const struct tk_policy *p,
    const struct tk_updates *u, const struct tk_report *r,
    const struct tk_audit_push *push)
{
	return tk_audit_format_spooled(b, NULL, p, u, r, push);
}

int
tk_audit_format_spooled(struct tk_buf *b, struct tk_audit_spool *sp,
    const struct tk_policy *p, const struct tk_updates *u,
    const struct tk_report *r, const struct tk_audit_push *push)
{
	const char *ns;
	size_t i;

	(void)header(b, r, push);
	(void)push_options(b);
	(void)tk_buf_printf(b, ",\"decision\":\"%s\",",
	    r->refused || push->error || push->dry_run ? "refused"
	                                               : "accepted");
	if (push->dry_run)
		(void)tk_buf_printf(b, "\"dry_run\":true,\"would\":\"%s\",",
		    r->refused || push->error ? "refused" : "accepted");
	(void)tk_buf_puts(b, "\"error\":");
	(void)jstr(b, push->error);
	(void)tk_buf_puts(b, ",\"refs\":[");
	for (i = 0; i < u->n && i < r->nverdicts; i++)
		ref_record(b, sp, p, u, r, i, push->dry_run);
	(void)tk_buf_puts(b, "],\"findings\":[");
	for (i = 0; i < r->nfindings; i++) {
		const struct tk_finding *f = &r->findings[i];

		(void)tk_buf_puts(b, i ? ",{\"ref\":" : "{\"ref\":");
		(void)jref(b, u->items[f->update].ref);
		(void)tk_buf_puts(b, ",\"commit\":");
		(void)jstr(b, f->commit[0] ? f->commit : NULL);
		(void)tk_buf_printf(
		    b, ",\"severity\":\"%s\",\"message\":", sev_name(f->sev));
		(void)jstr(b, f->what);
		(void)tk_buf_putc(b, '}');
	}
	(void)tk_buf_putc(b, ']');
	emergency(b, u, r, push);
	ratified(b, r, push);
	(void)tk_buf_puts(b, ",\"policy\":");
	(void)jstr(b, p != NULL && p->sha256[0] ? p->sha256 : push->policy);
	/* ref names above are as seen inside this namespace */
	if ((ns = getenv("GIT_NAMESPACE")) != NULL && *ns != '\0') {
		(void)tk_buf_puts(b, ",\"namespace\":");
		(void)tk_json_refname(b, ns, strnlen(ns, TK_REF_MAX_LEN));
	}
	/* Any failure above is kept in the buffer: check once. */
	return b->err;
}
