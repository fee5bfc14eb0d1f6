/*
 * The access report ("twokey config report"): text for people, CSV for
 * spreadsheets, JSON for tools, one self-contained HTML page for auditors.
 *
 * Rules keep the policy's order (first match wins, so order is meaning);
 * everything else is sorted, so that two reports compare with diff(1).
 * Policy values hold no control characters (the loader refuses them), but
 * ref names come from a repository, where pushers chose them: every value
 * is sanitized, then escaped for its format.  The HTML page needs no
 * script and loads nothing: a CSV cell or an HTML attribute must not
 * become code in an auditor's spreadsheet or browser.
 */
#include <errno.h>
#include <inttypes.h>
#include <time.h>

#include "review.h"
#include "twokey/audit.h"
#include "twokey/freeze.h"
#include "twokey/sshsig.h"

#define DAY INT64_C(86400)
#define TEXT_MAX 8192 /* bytes of one value shown */

struct out {
	FILE *f;
	enum tk_report_format fmt;
	const struct tk_access *a;
	const struct tk_report_meta *m;
	struct tk_buf tmp;
	int nrow; /* JSON: items written in the current array */
};

static void
put_csv(FILE *f, const char *s)
{
	fputc('"', f);
	if (*s != '\0' && strchr("=+-@", *s) != NULL)
		fputc('\'', f); /* never a spreadsheet formula */
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
put_html(FILE *f, const char *s)
{
	static const char *const ent[] = {
	    "&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
	const char *e;

	for (; *s != '\0'; s++)
		if ((e = strchr("&<>\"'", *s)) != NULL)
			fputs(ent[e - "&<>\"'"], f);
		else
			fputc(*s, f);
}

/* s, sanitized, escaped for the format, written out. */
static void
put(struct out *o, const char *s)
{
	struct tk_buf *b = &o->tmp, j = TK_BUF_INIT(8 * TEXT_MAX);

	tk_buf_reset(b);
	(void)tk_sanitize(b, s ? s : "", s ? strlen(s) : 0, TEXT_MAX);
	s = b->ptr ? b->ptr : "";
	switch (o->fmt) {
	case TK_REPORT_JSON:
		(void)tk_json_string(&j, s, strlen(s));
		fputs(j.ptr ? j.ptr : "\"\"", o->f);
		tk_buf_release(&j);
		break;
	case TK_REPORT_CSV:
		put_csv(o->f, s);
		break;
	case TK_REPORT_HTML:
		put_html(o->f, s);
		break;
	case TK_REPORT_TEXT:
		fputs(s, o->f);
		break;
	}
}

/* What a key is at the report's time: status and days left (-1: none). */
struct keyinfo {
	const char *status;
	char after[32], before[32];
	int64_t days;
};

static void
key_info(struct keyinfo *ki, const struct tk_policy *p, const struct tk_key *k,
    int64_t now)
{
	tk_review_date(ki->after, k->valid_after);
	tk_review_date(ki->before, k->valid_before);
	ki->days = -1;
	if (tk_policy_key_revoked(p, k->key))
		ki->status = "revoked";
	else if (now >= k->valid_before)
		ki->status = "expired";
	else if (now < k->valid_after)
		ki->status = "not yet valid";
	else {
		/* whole days from the start of today (UTC): a report made
		 * twice in a day says the same */
		ki->status = "valid";
		if (k->valid_before != INT64_MAX)
			ki->days = (k->valid_before - (now - now % DAY)) / DAY;
	}
}

/* "valid, 2026-01-01 to 2030-01-01, 1125 days left" */
static void
key_summary(struct tk_buf *b, const struct keyinfo *ki)
{
	tk_buf_reset(b);
	(void)tk_buf_puts(b, ki->status);
	if (strcmp(ki->after, "-") != 0 || strcmp(ki->before, "-") != 0)
		(void)tk_buf_printf(b, ", %s to %s", ki->after, ki->before);
	else
		(void)tk_buf_puts(b, ", no expiry");
	if (ki->days >= 0)
		(void)tk_buf_printf(b, ", %" PRId64 " day%s left", ki->days,
		    ki->days == 1 ? "" : "s");
}

static const char *
checks(struct tk_buf *b, const struct tk_rule *r)
{
	size_t i;

	tk_buf_reset(b);
	if (r->signed_commits)
		(void)tk_buf_puts(b, "signed commits; ");
	if (r->approvals && !r->pusher_may_approve)
		(void)tk_buf_puts(b, "the pusher may not approve; ");
	if (!r->pusher_may_write)
		(void)tk_buf_puts(b, "the pusher may not have written it; ");
	if (r->promote_from != NULL)
		(void)tk_buf_printf(b, "promoted from %s; ", r->promote_from);
	for (i = 0; i < r->ntrailers; i++)
		(void)tk_buf_printf(b, "a trailer %s: matching '%s'; ",
		    r->trailers[i].key, r->trailers[i].src);
	if (r->emails_src != NULL)
		(void)tk_buf_printf(b,
		    "author and committer emails matching '%s'; ",
		    r->emails_src);
	if (b->len >= 2)
		tk_buf_truncate(b, b->len - 2);
	return b->len ? b->ptr : "none";
}

/* "a, b, c", "anyone (not restricted)" or "nobody", into b. */
static const char *
people(struct tk_buf *b, const struct tk_people *pp)
{
	tk_buf_reset(b);
	if (pp->anyone)
		(void)tk_buf_puts(b, "anyone (the rule does not restrict it)");
	else
		(void)tk_review_ids(b, pp->ids, pp->n, SIZE_MAX);
	return b->ptr ? b->ptr : "";
}

/*
 * "dave (at least 1 more); as dba: carol (at least 1 required)": the
 * approvals a paths: entry adds, into b.
 */
/* "24h", "90m", "2d": a duration as the policy would spell it. */
static void
duration(struct tk_buf *b, int64_t s)
{
	if (s % 86400 == 0)
		(void)tk_buf_printf(b, "%lldd", (long long)(s / 86400));
	else if (s % 3600 == 0)
		(void)tk_buf_printf(b, "%lldh", (long long)(s / 3600));
	else
		(void)tk_buf_printf(b, "%lldm", (long long)(s / 60));
}

/*
 * "waives approvals, signed-commits; ratify within 24h by at least 2 of
 * reviewer, security (security 1); overdue: block": the terms of a
 * rule's emergency path, into b.
 */
static const char *
emergency_terms(
    struct tk_buf *b, const struct tk_policy *p, const struct tk_emergency *e)
{
	size_t i;

	tk_buf_reset(b);
	(void)tk_buf_puts(b, "waives ");
	(void)tk_waive_format(b, e->waive, ", ");
	(void)tk_buf_puts(b, "; ratify within ");
	duration(b, e->within);
	(void)tk_buf_printf(b, " by at least %u of ", e->min);
	(void)tk_roleset_format(b, p, &e->from);
	for (i = 0; i < e->nrequire; i++)
		(void)tk_buf_printf(b, "%s%s %u%s", i ? ", " : " (",
		    p->roles[e->require[i].role], e->require[i].min,
		    i + 1 == e->nrequire ? ")" : "");
	(void)tk_buf_printf(b, "; overdue: %s",
	    e->overdue == TK_OVERDUE_BLOCK ? "block" : "warn");
	if (e->reason_src != NULL)
		(void)tk_buf_printf(b, "; reason: %s", e->reason_src);
	return b->ptr ? b->ptr : "";
}

/* "olga, oscar (waives ...)" or "nobody (no emergency path)", into b. */
static const char *
emergency_line(struct tk_buf *b, const struct tk_policy *p,
    const struct tk_rule_access *ra)
{
	struct tk_buf t = TK_BUF_INIT(1 << 16);

	if (ra->rule->emergency == NULL) {
		tk_buf_reset(b);
		(void)tk_buf_puts(b, "nobody (no emergency path)");
		return b->ptr;
	}
	(void)emergency_terms(&t, p, ra->rule->emergency);
	(void)people(b, &ra->emergency);
	(void)tk_buf_printf(b, " (%s)", t.ptr ? t.ptr : "");
	tk_buf_release(&t);
	return b->ptr ? b->ptr : "";
}

static const char *
path_approvals(struct tk_buf *b, const struct tk_policy *p,
    const struct tk_path_access *pa)
{
	struct tk_buf who = TK_BUF_INIT(1 << 20);
	size_t i;

	tk_buf_reset(b);
	if (!pa->entry->approvals)
		(void)tk_buf_puts(b, "no more approvals");
	else if (pa->entry->min > 0)
		(void)tk_buf_printf(b, "%s (at least %u more)",
		    people(&who, &pa->approve), pa->entry->min);
	for (i = 0; i < pa->nby_role; i++) {
		if (pa->by_role[i].require == 0)
			continue;
		(void)tk_buf_printf(b, "%sas %s: %s (at least %u required)",
		    b->len ? "; " : "", p->roles[pa->by_role[i].role],
		    people(&who, &pa->by_role[i].people),
		    pa->by_role[i].require);
	}
	tk_buf_release(&who);
	return b->ptr ? b->ptr : "";
}

/* ---- text ------------------------------------------------------------ */

static void
line(struct out *o, const char *label, const char *value)
{
	fprintf(o->f, "  %-12s", label);
	put(o, value);
	fputc('\n', o->f);
}

/*
 * A planned freeze's window, "from A until B" (UTC), into b.  No "in
 * force" status: like the rest of the report, it does not depend on the
 * hour it was made (twokey freeze status says what is in force now).
 */
static const char *
freeze_window(struct tk_buf *b, const struct tk_freeze *f)
{
	char from[21], until[21];

	tk_freeze_time_format(from, f->from);
	tk_freeze_time_format(until, f->until);
	tk_buf_reset(b);
	(void)tk_buf_printf(b, "from %s until %s", from, until);
	return b->ptr ? b->ptr : "";
}

/* Where the ad hoc freezes are kept, into b. */
static const char *
adhoc_store(struct tk_buf *b, const struct tk_policy *p)
{
	tk_buf_reset(b);
	if (p->audit_postgres != NULL)
		(void)tk_buf_puts(b, "in the audit database");
	else
		(void)tk_buf_printf(b, "in %s",
		    p->freeze_file ? p->freeze_file : TWOKEY_FREEZE_FILE);
	(void)tk_buf_puts(b, " (twokey freeze status)");
	return b->ptr ? b->ptr : "";
}

static void
text_freezes(struct out *o, struct tk_buf *b)
{
	const struct tk_policy *p = o->a->p;
	size_t i;

	fputs("\nfreezes (refs a freeze in force covers are refused)\n", o->f);
	for (i = 0; i < p->nfreezes; i++) {
		const struct tk_freeze *f = &p->freezes[i];

		tk_buf_reset(b);
		(void)tk_buf_printf(b, "%s: refs '%s', ", f->name, f->refs_src);
		(void)freeze_window(&o->tmp, f);
		(void)tk_buf_printf(b, "%s: %s", o->tmp.ptr, f->reason);
		line(o, "planned:", b->ptr);
	}
	if (p->nfreezes == 0)
		line(o, "planned:", "none");
	line(o, "ad hoc:", adhoc_store(b, p));
}

static void
text_governs(struct out *o, const struct tk_rule_access *ra, struct tk_buf *b)
{
	size_t i;

	if (!o->a->have_refs)
		return;
	tk_buf_reset(b);
	for (i = 0; i < ra->ngoverns; i++)
		(void)tk_buf_printf(b, "%s%s", i ? ", " : "", ra->governs[i]);
	line(o, "governs:", ra->ngoverns ? b->ptr : "no ref of the repository");
}

static void
text_approve(struct out *o, const struct tk_rule_access *ra, struct tk_buf *b)
{
	const struct tk_rule *r = ra->rule;
	struct tk_buf who = TK_BUF_INIT(1 << 20);
	size_t i;

	if (!r->approvals) {
		line(o, "approve:", "no approvals required");
		return;
	}
	tk_buf_reset(b);
	(void)tk_buf_printf(b, "%s (at least %u)", people(&who, &ra->approve),
	    r->approvals_min);
	line(o, "approve:", b->ptr);
	for (i = 0; i < ra->nby_role; i++) {
		const struct tk_role_people *rp = &ra->by_role[i];

		tk_buf_reset(b);
		(void)tk_buf_printf(b, "as %s:", o->a->p->roles[rp->role]);
		fprintf(o->f, "    ");
		put(o, b->ptr);
		fputc(' ', o->f);
		tk_buf_reset(b);
		(void)tk_buf_puts(b, people(&who, &rp->people));
		if (rp->require > 0)
			(void)tk_buf_printf(
			    b, " (at least %u required)", rp->require);
		put(o, b->ptr);
		fputc('\n', o->f);
	}
	tk_buf_release(&who);
}

/* What each paths: entry adds: who may write, who must also approve. */
static void
text_paths(struct out *o, const struct tk_rule_access *ra, struct tk_buf *b)
{
	size_t i;

	for (i = 0; i < ra->npaths; i++) {
		const struct tk_path_access *pa = &ra->paths[i];

		tk_buf_reset(b);
		(void)tk_buf_printf(b, "paths '%s':", pa->entry->match_src);
		fputs("  ", o->f);
		put(o, b->ptr);
		fputc('\n', o->f);
		fputs("    write:      ", o->f);
		put(o,
		    pa->writers.anyone
		        ? "anyone (the entry does not restrict it)"
		        : people(b, &pa->writers));
		fputs("\n    approve:    ", o->f);
		put(o, path_approvals(b, o->a->p, pa));
		fputc('\n', o->f);
	}
}

static void
text_rule(struct out *o, const struct tk_rule_access *ra)
{
	const struct tk_rule *r = ra->rule;
	struct tk_buf b = TK_BUF_INIT(1 << 20), c = TK_BUF_INIT(1 << 20);
	unsigned k;

	fprintf(o->f, "\nrule %zu: ", ra->index + 1);
	put(o, r->name);
	fputc('\n', o->f);
	line(o, "refs:", r->refs_src);
	line(o, "mode:", r->mode == TK_MODE_WARN ? "warn" : "enforce");
	text_governs(o, ra, &b);
	for (k = 0; k < TK_PERM_NPUSH; k++) {
		tk_buf_reset(&c);
		(void)tk_buf_printf(&c, "%s:", tk_push_perm_name(k));
		line(o, c.ptr, people(&b, &ra->push[k]));
	}
	text_approve(o, ra, &b);
	text_paths(o, ra, &b);
	line(o, "checks:", checks(&b, r));
	line(o, "emergency:", emergency_line(&b, o->a->p, ra));
	tk_buf_release(&b);
	tk_buf_release(&c);
}

/* "a, b, c" or "none", into b. */
static void
text_list_buf(struct tk_buf *b, char *const *v, size_t n)
{
	size_t i;

	tk_buf_reset(b);
	for (i = 0; i < n; i++)
		(void)tk_buf_printf(b, "%s%s", i ? ", " : "", v[i]);
	if (n == 0)
		(void)tk_buf_puts(b, "none");
}

static void
text_list(struct out *o, const char *label, char *const *v, size_t n,
    struct tk_buf *b)
{
	text_list_buf(b, v, n);
	line(o, label, b->ptr);
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted copy of v (the strings are borrowed); NULL on failure. */
static char **
sorted(char *const *v, size_t n)
{
	char **c = tk_calloc(n + 1, sizeof(*c));

	if (c != NULL && n > 0) {
		memcpy(c, v, n * sizeof(*c));
		qsort(c, n, sizeof(*c), by_str);
	}
	return c;
}

static int
by_fp(const void *a, const void *b)
{
	return strcmp(tk_sshkey_fingerprint((*(struct tk_key *const *)a)->key),
	    tk_sshkey_fingerprint((*(struct tk_key *const *)b)->key));
}

static struct tk_key **
sorted_keys(struct tk_key *const *v, size_t n)
{
	struct tk_key **c = tk_calloc(n + 1, sizeof(*c));

	if (c != NULL && n > 0) {
		memcpy(c, v, n * sizeof(*c));
		qsort(c, n, sizeof(*c), by_fp);
	}
	return c;
}

/* The roles of id, by name, into b: "developer, reviewer". */
static const char *
roles_of(
    struct tk_buf *b, const struct tk_policy *p, const struct tk_identity *id)
{
	char **names;
	size_t i, n = 0;

	tk_buf_reset(b);
	if ((names = tk_calloc(p->nroles + 1, sizeof(*names))) == NULL)
		return "";
	for (i = 0; i < p->nroles; i++)
		if (tk_roleset_has(&id->roles, (unsigned)i))
			names[n++] = p->roles[i];
	qsort(names, n, sizeof(*names), by_str);
	for (i = 0; i < n; i++)
		(void)tk_buf_printf(b, "%s%s", i ? ", " : "", names[i]);
	free(names);
	return n ? b->ptr : "none";
}

static void
text_identity(struct out *o, const struct tk_identity *id)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20), d = TK_BUF_INIT(4096);
	char **logins = sorted(id->logins, id->nlogins);
	char **emails = sorted(id->emails, id->nemails);
	struct tk_key **keys = sorted_keys(id->keys, id->nkeys);
	struct keyinfo ki;
	size_t i;

	fputs("\nidentity ", o->f);
	put(o, id->id);
	if (strcmp(id->name, id->id) != 0) {
		fputs(" (", o->f);
		put(o, id->name);
		fputc(')', o->f);
	}
	fputc('\n', o->f);
	line(o, "roles:", roles_of(&b, o->a->p, id));
	text_list(o, "logins:", logins ? logins : id->logins, id->nlogins, &b);
	text_list(o, "emails:", emails ? emails : id->emails, id->nemails, &b);
	for (i = 0; keys != NULL && i < id->nkeys; i++) {
		key_info(&ki, o->a->p, keys[i], o->m->now);
		key_summary(&d, &ki);
		tk_buf_reset(&b);
		(void)tk_buf_printf(&b, "%s %s, %s",
		    tk_sshkey_type(keys[i]->key),
		    tk_sshkey_fingerprint(keys[i]->key), d.ptr);
		line(o, "key:", b.ptr);
	}
	if (id->nkeys == 0)
		line(o, "keys:", "none");
	free(logins);
	free(emails);
	free(keys);
	tk_buf_release(&b);
	tk_buf_release(&d);
}

/* The identities that list a revoked key, into b ("" when none). */
static const char *
listed_by(struct tk_buf *b, const struct tk_access *a, const struct tk_key *k)
{
	const unsigned char *blob, *other;
	size_t i, j, len, olen, n = 0;

	tk_buf_reset(b);
	blob = tk_sshkey_blob(k->key, &len);
	for (i = 0; i < a->nids; i++)
		for (j = 0; j < a->ids[i]->nkeys; j++) {
			other = tk_sshkey_blob(a->ids[i]->keys[j]->key, &olen);
			if (olen == len && memcmp(blob, other, len) == 0)
				(void)tk_buf_printf(
				    b, "%s%s", n++ ? ", " : "", a->ids[i]->id);
		}
	return b->ptr ? b->ptr : "";
}

static void
text_report(struct out *o)
{
	const struct tk_access *a = o->a;
	struct tk_buf b = TK_BUF_INIT(1 << 20), w = TK_BUF_INIT(1 << 20);
	struct tk_key **rev = sorted_keys(a->p->revoked, a->p->nrevoked);
	char when[32];
	size_t i;

	tk_review_date(when, o->m->now - o->m->now % DAY);
	fputs("twokey access report\npolicy:      ", o->f);
	put(o, o->m->policy_path);
	fprintf(o->f, "\nkeys as of:  %s\n", when);
	if (o->m->repo_path != NULL) {
		fputs("repository:  ", o->f);
		put(o, o->m->repo_path);
		fputc('\n', o->f);
	}
	for (i = 0; i < a->nrules; i++)
		text_rule(o, &a->rules[i]);
	if (a->have_refs) {
		fputs("\nrefs no rule governs (accepted as pushed)\n", o->f);
		text_list(o, "refs:", (char *const *)a->ungoverned,
		    a->nungoverned, &b);
	}
	text_freezes(o, &b);
	for (i = 0; i < a->nids; i++)
		text_identity(o, a->ids[i]);
	fputs("\nrevoked keys\n", o->f);
	for (i = 0; rev != NULL && i < a->p->nrevoked; i++) {
		tk_buf_reset(&b);
		(void)tk_buf_printf(&b, "%s %s", tk_sshkey_type(rev[i]->key),
		    tk_sshkey_fingerprint(rev[i]->key));
		if (*listed_by(&w, a, rev[i]) != '\0')
			(void)tk_buf_printf(&b, " (still listed by %s)", w.ptr);
		line(o, "key:", b.ptr);
	}
	if (a->p->nrevoked == 0)
		line(o, "keys:", "none");
	free(rev);
	tk_buf_release(&b);
	tk_buf_release(&w);
}

/* ---- CSV: one table, one fact a row ------------------------------------ */

static void
row(struct out *o, const char *section, const char *name, const char *field,
    const char *value, const char *detail)
{
	put(o, section);
	fputc(',', o->f);
	put(o, name);
	fputc(',', o->f);
	put(o, field);
	fputc(',', o->f);
	put(o, value);
	fputc(',', o->f);
	put(o, detail);
	fputc('\n', o->f);
}

static void
csv_people(struct out *o, const char *rule, const char *field,
    const struct tk_people *pp, const char *detail)
{
	size_t i;

	if (pp->anyone)
		row(o, "rule", rule, field, "(anyone)", detail);
	else if (pp->n == 0)
		row(o, "rule", rule, field, "(nobody)", detail);
	for (i = 0; !pp->anyone && i < pp->n; i++)
		row(o, "rule", rule, field, pp->ids[i]->id, detail);
}

static void
csv_paths(struct out *o, const struct tk_rule_access *ra, struct tk_buf *b)
{
	const char *n = ra->rule->name;
	char num[40];
	size_t i, k;

	for (i = 0; i < ra->npaths; i++) {
		const struct tk_path_access *pa = &ra->paths[i];

		tk_buf_reset(b);
		(void)tk_buf_printf(b, "path %s write", pa->entry->match_src);
		csv_people(o, n, b->ptr, &pa->writers, "");
		if (!pa->entry->approvals)
			continue;
		tk_buf_reset(b);
		(void)tk_buf_printf(b, "path %s approve", pa->entry->match_src);
		snprintf(num, sizeof(num), "at least %u more", pa->entry->min);
		if (pa->entry->min > 0)
			csv_people(o, n, b->ptr, &pa->approve, num);
		for (k = 0; k < pa->nby_role; k++) {
			if (pa->by_role[k].require == 0)
				continue;
			tk_buf_reset(b);
			(void)tk_buf_printf(b, "path %s approve as %s",
			    pa->entry->match_src,
			    o->a->p->roles[pa->by_role[k].role]);
			snprintf(num, sizeof(num), "at least %u required",
			    pa->by_role[k].require);
			csv_people(o, n, b->ptr, &pa->by_role[k].people, num);
		}
	}
}

static void
csv_rule(struct out *o, const struct tk_rule_access *ra, struct tk_buf *b)
{
	const struct tk_rule *r = ra->rule;
	const char *n = r->name;
	char num[32];
	size_t i;
	unsigned k;

	snprintf(num, sizeof(num), "%zu", ra->index + 1);
	row(o, "rule", n, "position", num, "");
	row(o, "rule", n, "refs", r->refs_src, "");
	row(o, "rule", n, "mode", r->mode == TK_MODE_WARN ? "warn" : "enforce",
	    "");
	for (i = 0; i < ra->ngoverns; i++)
		row(o, "rule", n, "governs", ra->governs[i], "");
	for (k = 0; k < TK_PERM_NPUSH; k++)
		csv_people(o, n, tk_push_perm_name(k), &ra->push[k], "");
	if (r->approvals) {
		snprintf(num, sizeof(num), "at least %u", r->approvals_min);
		csv_people(o, n, "approve", &ra->approve, num);
	} else
		row(o, "rule", n, "approve", "(no approvals required)", "");
	for (i = 0; i < ra->nby_role; i++) {
		const struct tk_role_people *rp = &ra->by_role[i];

		tk_buf_reset(b);
		(void)tk_buf_printf(
		    b, "approve as %s", o->a->p->roles[rp->role]);
		snprintf(num, sizeof(num), "at least %u required", rp->require);
		csv_people(o, n, b->ptr, &rp->people, rp->require ? num : "");
	}
	csv_paths(o, ra, b);
	row(o, "rule", n, "checks", checks(b, r), "");
	if (r->emergency == NULL)
		row(o, "rule", n, "emergency", "(no emergency path)", "");
	else {
		struct tk_buf t = TK_BUF_INIT(1 << 16);

		csv_people(o, n, "emergency", &ra->emergency,
		    emergency_terms(&t, o->a->p, r->emergency));
		tk_buf_release(&t);
	}
}

static void
csv_identity(struct out *o, const struct tk_identity *id, struct tk_buf *b)
{
	char **logins = sorted(id->logins, id->nlogins);
	char **emails = sorted(id->emails, id->nemails);
	struct tk_key **keys = sorted_keys(id->keys, id->nkeys);
	struct tk_buf d = TK_BUF_INIT(4096);
	struct keyinfo ki;
	size_t i;

	row(o, "identity", id->id, "name", id->name, "");
	row(o, "identity", id->id, "roles", roles_of(b, o->a->p, id), "");
	for (i = 0; logins != NULL && i < id->nlogins; i++)
		row(o, "identity", id->id, "login", logins[i], "");
	for (i = 0; emails != NULL && i < id->nemails; i++)
		row(o, "identity", id->id, "email", emails[i], "");
	for (i = 0; keys != NULL && i < id->nkeys; i++) {
		key_info(&ki, o->a->p, keys[i], o->m->now);
		key_summary(&d, &ki);
		tk_buf_reset(b);
		(void)tk_buf_printf(
		    b, "%s, %s", tk_sshkey_type(keys[i]->key), d.ptr);
		row(o, "identity", id->id, "key",
		    tk_sshkey_fingerprint(keys[i]->key), b->ptr);
	}
	free(logins);
	free(emails);
	free(keys);
	tk_buf_release(&d);
}

static void
csv_report(struct out *o)
{
	const struct tk_access *a = o->a;
	struct tk_buf b = TK_BUF_INIT(1 << 20), w = TK_BUF_INIT(1 << 20);
	struct tk_key **rev = sorted_keys(a->p->revoked, a->p->nrevoked);
	size_t i;

	fputs("section,name,field,value,detail\n", o->f);
	for (i = 0; i < a->nrules; i++)
		csv_rule(o, &a->rules[i], &b);
	for (i = 0; i < a->nungoverned; i++)
		row(o, "ref", a->ungoverned[i], "rule",
		    "(none: accepted as pushed)", "");
	for (i = 0; i < a->p->nfreezes; i++) {
		const struct tk_freeze *f = &a->p->freezes[i];

		row(o, "freeze", f->name, "refs", f->refs_src, "");
		row(o, "freeze", f->name, "window", freeze_window(&b, f), "");
		row(o, "freeze", f->name, "reason", f->reason, "");
	}
	row(o, "freeze", "(ad hoc)", "kept", adhoc_store(&b, a->p), "");
	for (i = 0; i < a->nids; i++)
		csv_identity(o, a->ids[i], &b);
	for (i = 0; rev != NULL && i < a->p->nrevoked; i++) {
		tk_buf_reset(&b);
		if (*listed_by(&w, a, rev[i]) != '\0')
			(void)tk_buf_printf(&b, "still listed by %s", w.ptr);
		row(o, "revoked-key", tk_sshkey_fingerprint(rev[i]->key),
		    "type", tk_sshkey_type(rev[i]->key), b.ptr ? b.ptr : "");
	}
	free(rev);
	tk_buf_release(&b);
	tk_buf_release(&w);
}

/* ---- JSON ------------------------------------------------------------- */

static void
jkey(struct out *o, const char *k, bool first)
{
	fprintf(o->f, "%s\"%s\":", first ? "" : ",", k);
}

static void
jpeople(struct out *o, const struct tk_people *pp)
{
	size_t i;

	fprintf(
	    o->f, "{\"anyone\":%s,\"people\":[", pp->anyone ? "true" : "false");
	for (i = 0; i < pp->n; i++) {
		fputs(i ? "," : "", o->f);
		put(o, pp->ids[i]->id);
	}
	fputs("]}", o->f);
}

static void
jstrs(struct out *o, const char *const *v, size_t n)
{
	size_t i;

	fputc('[', o->f);
	for (i = 0; i < n; i++) {
		fputs(i ? "," : "", o->f);
		put(o, v[i]);
	}
	fputc(']', o->f);
}

static void
json_by_role(struct out *o, const struct tk_role_people *rp, size_t n)
{
	size_t i;

	fputs(",\"by_role\":[", o->f);
	for (i = 0; i < n; i++) {
		fprintf(o->f, "%s{\"role\":", i ? "," : "");
		put(o, o->a->p->roles[rp[i].role]);
		fprintf(o->f, ",\"require\":%u,\"people\":", rp[i].require);
		jpeople(o, &rp[i].people);
		fputc('}', o->f);
	}
	fputc(']', o->f);
}

static void
json_approvals(struct out *o, const struct tk_rule_access *ra)
{
	jkey(o, "approvals", false);
	if (!ra->rule->approvals) {
		fputs("null", o->f);
		return;
	}
	fprintf(o->f, "{\"min\":%u,\"people\":", ra->rule->approvals_min);
	jpeople(o, &ra->approve);
	json_by_role(o, ra->by_role, ra->nby_role);
	fputc('}', o->f);
}

static void
json_paths(struct out *o, const struct tk_rule_access *ra)
{
	size_t i;

	fputs(",\"paths\":[", o->f);
	for (i = 0; i < ra->npaths; i++) {
		const struct tk_path_access *pa = &ra->paths[i];

		fprintf(o->f, "%s{\"match\":", i ? "," : "");
		put(o, pa->entry->match_src);
		fputs(",\"writers\":", o->f);
		jpeople(o, &pa->writers);
		fputs(",\"approvals\":", o->f);
		if (!pa->entry->approvals) {
			fputs("null}", o->f);
			continue;
		}
		fprintf(o->f, "{\"min\":%u,\"people\":", pa->entry->min);
		jpeople(o, &pa->approve);
		json_by_role(o, pa->by_role, pa->nby_role);
		fputs("}}", o->f);
	}
	fputc(']', o->f);
}

/* ,"emergency":null or its terms and who may invoke it. */
static void
json_emergency(struct out *o, const struct tk_rule_access *ra)
{
	const struct tk_emergency *e = ra->rule->emergency;
	struct tk_buf b = TK_BUF_INIT(4096);
	size_t i, k;

	jkey(o, "emergency", false);
	if (e == NULL) {
		fputs("null", o->f);
		tk_buf_release(&b);
		return;
	}
	fputs("{\"by\":", o->f);
	jpeople(o, &ra->emergency);
	fputs(",\"waive\":[\"", o->f);
	(void)tk_waive_format(&b, e->waive, "\",\"");
	fputs(b.ptr ? b.ptr : "", o->f);
	tk_buf_reset(&b);
	duration(&b, e->within);
	fprintf(o->f, "\"],\"within\":\"%s\",\"min\":%u,\"from\":[",
	    b.ptr ? b.ptr : "", e->min);
	for (i = 0, k = 0; i < o->a->p->nroles; i++)
		if (tk_roleset_has(&e->from, (unsigned)i)) {
			fputs(k++ ? "," : "", o->f);
			put(o, o->a->p->roles[i]);
		}
	fputs("],\"require\":{", o->f);
	for (i = 0; i < e->nrequire; i++) {
		fputs(i ? "," : "", o->f);
		put(o, o->a->p->roles[e->require[i].role]);
		fprintf(o->f, ":%u", e->require[i].min);
	}
	fprintf(o->f, "},\"overdue\":\"%s\",\"reason\":",
	    e->overdue == TK_OVERDUE_BLOCK ? "block" : "warn");
	if (e->reason_src != NULL)
		put(o, e->reason_src);
	else
		fputs("null", o->f);
	fputc('}', o->f);
	tk_buf_release(&b);
}

static void
json_rule(struct out *o, const struct tk_rule_access *ra)
{
	static const char *const keys[] = {
	    "update", "create", "delete", "force_push"};
	const struct tk_rule *r = ra->rule;
	unsigned k;

	fprintf(o->f, "{\"position\":%zu,\"name\":", ra->index + 1);
	put(o, r->name);
	jkey(o, "refs", false);
	put(o, r->refs_src);
	jkey(o, "mode", false);
	put(o, r->mode == TK_MODE_WARN ? "warn" : "enforce");
	jkey(o, "governs", false);
	if (o->a->have_refs)
		jstrs(o, ra->governs, ra->ngoverns);
	else
		fputs("null", o->f);
	for (k = 0; k < TK_PERM_NPUSH; k++) {
		jkey(o, keys[k], false);
		jpeople(o, &ra->push[k]);
	}
	json_approvals(o, ra);
	json_paths(o, ra);
	fprintf(o->f,
	    ",\"signed_commits\":%s,\"pusher_may_approve\":%s,"
	    "\"pusher_may_write\":%s,\"promote_from\":",
	    r->signed_commits ? "true" : "false",
	    r->pusher_may_approve ? "true" : "false",
	    r->pusher_may_write ? "true" : "false");
	if (r->promote_from)
		put(o, r->promote_from);
	else
		fputs("null", o->f);
	json_emergency(o, ra);
	fputc('}', o->f);
}

/* A date, or null for an unbounded end ("-"). */
static void
jdate(struct out *o, const char *d)
{
	if (strcmp(d, "-") == 0)
		fputs("null", o->f);
	else
		put(o, d);
}

static void
json_key(struct out *o, const struct tk_key *k)
{
	struct keyinfo ki;

	key_info(&ki, o->a->p, k, o->m->now);
	fputs("{\"type\":", o->f);
	put(o, tk_sshkey_type(k->key));
	jkey(o, "fingerprint", false);
	put(o, tk_sshkey_fingerprint(k->key));
	jkey(o, "valid_after", false);
	jdate(o, ki.after);
	jkey(o, "valid_before", false);
	jdate(o, ki.before);
	jkey(o, "status", false);
	put(o, ki.status);
	jkey(o, "days_left", false);
	if (ki.days >= 0)
		fprintf(o->f, "%" PRId64, ki.days);
	else
		fputs("null", o->f);
	fputc('}', o->f);
}

static void
json_identity(struct out *o, const struct tk_identity *id)
{
	const struct tk_policy *p = o->a->p;
	char **logins = sorted(id->logins, id->nlogins);
	char **emails = sorted(id->emails, id->nemails);
	struct tk_key **keys = sorted_keys(id->keys, id->nkeys);
	const char **roles = tk_calloc(p->nroles + 1, sizeof(*roles));
	size_t i, n = 0;

	for (i = 0; roles != NULL && i < p->nroles; i++)
		if (tk_roleset_has(&id->roles, (unsigned)i))
			roles[n++] = p->roles[i];
	if (roles != NULL)
		qsort(roles, n, sizeof(*roles), by_str);
	fputs("{\"id\":", o->f);
	put(o, id->id);
	jkey(o, "name", false);
	put(o, id->name);
	jkey(o, "roles", false);
	jstrs(o, roles, n);
	jkey(o, "logins", false);
	jstrs(o, (const char *const *)(logins ? logins : id->logins),
	    id->nlogins);
	jkey(o, "emails", false);
	jstrs(o, (const char *const *)(emails ? emails : id->emails),
	    id->nemails);
	jkey(o, "keys", false);
	fputc('[', o->f);
	for (i = 0; keys != NULL && i < id->nkeys; i++) {
		fputs(i ? "," : "", o->f);
		json_key(o, keys[i]);
	}
	fputs("]}", o->f);
	free(roles);
	free(logins);
	free(emails);
	free(keys);
}

static void
json_revoked(struct out *o)
{
	const struct tk_access *a = o->a;
	struct tk_key **rev = sorted_keys(a->p->revoked, a->p->nrevoked);
	const unsigned char *blob, *other;
	size_t i, j, k, len, olen, n;

	for (i = 0; rev != NULL && i < a->p->nrevoked; i++) {
		fputs(i ? ",\n" : "\n", o->f);
		fputs("{\"type\":", o->f);
		put(o, tk_sshkey_type(rev[i]->key));
		jkey(o, "fingerprint", false);
		put(o, tk_sshkey_fingerprint(rev[i]->key));
		fputs(",\"listed_by\":[", o->f);
		blob = tk_sshkey_blob(rev[i]->key, &len);
		for (j = 0, n = 0; j < a->nids; j++)
			for (k = 0; k < a->ids[j]->nkeys; k++) {
				other = tk_sshkey_blob(
				    a->ids[j]->keys[k]->key, &olen);
				if (olen != len || memcmp(blob, other, len))
					continue;
				fputs(n++ ? "," : "", o->f);
				put(o, a->ids[j]->id);
			}
		fputs("]}", o->f);
	}
	free(rev);
}

static void
json_freezes(struct out *o)
{
	const struct tk_policy *p = o->a->p;
	struct tk_buf b = TK_BUF_INIT(1 << 16);
	char t[21];
	size_t i;

	fputs(",\n\"freezes\":{\"planned\":[", o->f);
	for (i = 0; i < p->nfreezes; i++) {
		const struct tk_freeze *f = &p->freezes[i];

		fputs(i ? ",{" : "{", o->f);
		jkey(o, "name", true);
		put(o, f->name);
		jkey(o, "refs", false);
		put(o, f->refs_src);
		tk_freeze_time_format(t, f->from);
		jkey(o, "from", false);
		put(o, t);
		tk_freeze_time_format(t, f->until);
		jkey(o, "until", false);
		put(o, t);
		jkey(o, "reason", false);
		put(o, f->reason);
		fputc('}', o->f);
	}
	fputs("],\"adhoc\":", o->f);
	put(o, adhoc_store(&b, p));
	fputc('}', o->f);
	tk_buf_release(&b);
}

static void
json_report(struct out *o)
{
	const struct tk_access *a = o->a;
	char when[32];
	size_t i;

	tk_review_date(when, o->m->now - o->m->now % DAY);
	fputs("{\"report\":\"twokey access report\",\"v\":1,\"policy\":", o->f);
	put(o, o->m->policy_path);
	fprintf(o->f, ",\"keys_as_of\":\"%s\",\"repository\":", when);
	if (o->m->repo_path)
		put(o, o->m->repo_path);
	else
		fputs("null", o->f);
	fputs(",\"rules\":[", o->f);
	for (i = 0; i < a->nrules; i++) {
		fputs(i ? ",\n" : "\n", o->f);
		json_rule(o, &a->rules[i]);
	}
	fputs("],\n\"ungoverned\":", o->f);
	if (a->have_refs)
		jstrs(o, a->ungoverned, a->nungoverned);
	else
		fputs("null", o->f);
	json_freezes(o);
	fputs(",\"identities\":[", o->f);
	for (i = 0; i < a->nids; i++) {
		fputs(i ? ",\n" : "\n", o->f);
		json_identity(o, a->ids[i]);
	}
	fputs("],\n\"revoked_keys\":[", o->f);
	json_revoked(o);
	fputs("]}\n", o->f);
}

/* ---- HTML: one page, no script, nothing loaded ----------------------- */

static const char html_head[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
    "'none'; style-src 'unsafe-inline'\">\n"
    "<title>twokey access report</title>\n<style>\n"
    "body{font-family:sans-serif;margin:2em;color:#222}\n"
    "table{border-collapse:collapse;margin-bottom:2em}\n"
    "th,td{border:1px solid #999;padding:.3em .5em;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#eee}\n"
    "td.code{font-family:monospace}\n"
    ".none{color:#777}\n"
    "</style>\n</head>\n<body>\n";

static void
cell(struct out *o, const char *cls, const char *s)
{
	fprintf(o->f, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "",
	    cls ? "\"" : "");
	put(o, s);
	fputs("</td>", o->f);
}

static void
html_approve(struct out *o, const struct tk_rule_access *ra, struct tk_buf *b)
{
	struct tk_buf who = TK_BUF_INIT(1 << 20);
	size_t i;

	fputs("<td>", o->f);
	if (!ra->rule->approvals)
		put(o, "no approvals required");
	else {
		tk_buf_reset(b);
		(void)tk_buf_printf(b, "%s (at least %u)",
		    people(&who, &ra->approve), ra->rule->approvals_min);
		put(o, b->ptr);
	}
	for (i = 0; i < ra->nby_role; i++) {
		const struct tk_role_people *rp = &ra->by_role[i];

		tk_buf_reset(b);
		(void)tk_buf_printf(b, "as %s: %s", o->a->p->roles[rp->role],
		    people(&who, &rp->people));
		if (rp->require > 0)
			(void)tk_buf_printf(
			    b, " (at least %u required)", rp->require);
		fputs("<br>", o->f);
		put(o, b->ptr);
	}
	fputs("</td>", o->f);
	tk_buf_release(&who);
}

static void
html_paths(struct out *o, const struct tk_rule_access *ra, struct tk_buf *b)
{
	struct tk_buf w = TK_BUF_INIT(1 << 20), x = TK_BUF_INIT(1 << 20);
	size_t i;

	fputs("<td>", o->f);
	for (i = 0; i < ra->npaths; i++) {
		const struct tk_path_access *pa = &ra->paths[i];

		tk_buf_reset(b);
		(void)tk_buf_printf(b, "%s: write: %s; approve: %s",
		    pa->entry->match_src,
		    pa->writers.anyone
		        ? "anyone (the entry does not restrict it)"
		        : people(&w, &pa->writers),
		    path_approvals(&x, o->a->p, pa));
		fputs(i ? "<br>" : "", o->f);
		put(o, b->ptr);
	}
	fputs(ra->npaths ? "</td>" : "<span class=\"none\">none</span></td>",
	    o->f);
	tk_buf_release(&w);
	tk_buf_release(&x);
}

static void
html_rule(struct out *o, const struct tk_rule_access *ra)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	size_t i;
	unsigned k;

	fprintf(o->f, "<tr id=\"rule-%zu\"><td>%zu</td>", ra->index + 1,
	    ra->index + 1);
	cell(o, NULL, ra->rule->name);
	cell(o, "code", ra->rule->refs_src);
	cell(o, NULL, ra->rule->mode == TK_MODE_WARN ? "warn" : "enforce");
	if (o->a->have_refs) {
		fputs("<td class=\"code\">", o->f);
		for (i = 0; i < ra->ngoverns; i++) {
			fputs(i ? "<br>" : "", o->f);
			put(o, ra->governs[i]);
		}
		fputs(ra->ngoverns ? "</td>"
		                   : "<span class=\"none\">none"
		                     "</span></td>",
		    o->f);
	}
	for (k = 0; k < TK_PERM_NPUSH; k++)
		cell(o, NULL, people(&b, &ra->push[k]));
	html_approve(o, ra, &b);
	html_paths(o, ra, &b);
	cell(o, NULL, checks(&b, ra->rule));
	cell(o, NULL, emergency_line(&b, o->a->p, ra));
	fputs("</tr>\n", o->f);
	tk_buf_release(&b);
}

static void
html_keys(struct out *o, const struct tk_identity *id, struct tk_buf *b)
{
	struct tk_key **keys = sorted_keys(id->keys, id->nkeys);
	struct tk_buf d = TK_BUF_INIT(4096);
	struct keyinfo ki;
	size_t i;

	fputs("<td class=\"code\">", o->f);
	for (i = 0; keys != NULL && i < id->nkeys; i++) {
		key_info(&ki, o->a->p, keys[i], o->m->now);
		key_summary(&d, &ki);
		tk_buf_reset(b);
		(void)tk_buf_printf(b, "%s %s, %s",
		    tk_sshkey_type(keys[i]->key),
		    tk_sshkey_fingerprint(keys[i]->key), d.ptr);
		fputs(i ? "<br>" : "", o->f);
		put(o, b->ptr);
	}
	fputs(id->nkeys ? "</td>" : "<span class=\"none\">none</span></td>",
	    o->f);
	free(keys);
	tk_buf_release(&d);
}

static void
html_identity(struct out *o, const struct tk_identity *id)
{
	char **logins = sorted(id->logins, id->nlogins);
	char **emails = sorted(id->emails, id->nemails);
	struct tk_buf b = TK_BUF_INIT(1 << 20);

	fputs("<tr class=\"identity\">", o->f);
	cell(o, NULL, id->id);
	cell(o, NULL, id->name);
	cell(o, NULL, roles_of(&b, o->a->p, id));
	text_list_buf(&b, logins ? logins : id->logins, id->nlogins);
	cell(o, NULL, b.ptr);
	text_list_buf(&b, emails ? emails : id->emails, id->nemails);
	cell(o, NULL, b.ptr);
	html_keys(o, id, &b);
	fputs("</tr>\n", o->f);
	free(logins);
	free(emails);
	tk_buf_release(&b);
}

static void
html_rules(struct out *o)
{
	size_t i;

	fputs("<h2>Rules</h2>\n<p>The first rule whose pattern matches a ref "
	      "decides it.</p>\n<table id=\"rules\">\n<thead><tr><th>#</th>"
	      "<th>Rule</th><th>Refs pattern</th><th>Mode</th>",
	    o->f);
	if (o->a->have_refs)
		fputs("<th>Governs</th>", o->f);
	fputs(
	    "<th>Update</th><th>Create</th><th>Delete</th><th>Force-push"
	    "</th><th>Approve</th><th>By path</th><th>Checks</th><th>Emergency"
	    "</th></tr></thead>"
	    "\n<tbody>\n",
	    o->f);
	for (i = 0; i < o->a->nrules; i++)
		html_rule(o, &o->a->rules[i]);
	fputs("</tbody>\n</table>\n", o->f);
	if (o->a->have_refs) {
		fputs("<h2>Refs no rule governs</h2>\n<p>Accepted as pushed."
		      "</p>\n<ul id=\"ungoverned\">\n",
		    o->f);
		for (i = 0; i < o->a->nungoverned; i++) {
			fputs("<li>", o->f);
			put(o, o->a->ungoverned[i]);
			fputs("</li>\n", o->f);
		}
		if (o->a->nungoverned == 0)
			fputs("<li class=\"none\">none</li>\n", o->f);
		fputs("</ul>\n", o->f);
	}
}

static void
html_freezes(struct out *o, struct tk_buf *b)
{
	const struct tk_policy *p = o->a->p;
	size_t i;

	fputs("<h2>Freezes</h2>\n<p>Ad hoc freezes are kept ", o->f);
	put(o, adhoc_store(b, p));
	fputs(".</p>\n<table id=\"freezes\">\n<thead><tr><th>Planned "
	      "freeze</th><th>Refs</th><th>Window (UTC)</th><th>Reason</th>"
	      "</tr></thead>\n<tbody>\n",
	    o->f);
	for (i = 0; i < p->nfreezes; i++) {
		const struct tk_freeze *f = &p->freezes[i];

		fputs("<tr>", o->f);
		cell(o, NULL, f->name);
		cell(o, "code", f->refs_src);
		cell(o, NULL, freeze_window(b, f));
		cell(o, NULL, f->reason);
		fputs("</tr>\n", o->f);
	}
	fputs("</tbody>\n</table>\n", o->f);
}

static void
html_report(struct out *o)
{
	const struct tk_access *a = o->a;
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	struct tk_key **rev = sorted_keys(a->p->revoked, a->p->nrevoked);
	char when[32];
	size_t i;

	tk_review_date(when, o->m->now - o->m->now % DAY);
	fputs(html_head, o->f);
	fputs("<h1>twokey access report</h1>\n<p>Policy <code>", o->f);
	put(o, o->m->policy_path);
	fputs("</code>", o->f);
	if (o->m->repo_path != NULL) {
		fputs(", repository <code>", o->f);
		put(o, o->m->repo_path);
		fputs("</code>", o->f);
	}
	fprintf(o->f, ", keys as of %s.</p>\n", when);
	html_rules(o);
	html_freezes(o, &b);
	fputs("<h2>Identities</h2>\n<table id=\"identities\">\n<thead><tr>"
	      "<th>Identity</th><th>Name</th><th>Roles</th><th>Logins</th>"
	      "<th>Emails</th><th>Keys</th></tr></thead>\n<tbody>\n",
	    o->f);
	for (i = 0; i < a->nids; i++)
		html_identity(o, a->ids[i]);
	fputs(
	    "</tbody>\n</table>\n<h2>Revoked keys</h2>\n<table id=\"revoked\">"
	    "\n<thead><tr><th>Type</th><th>Fingerprint</th><th>Still listed "
	    "by</th></tr></thead>\n<tbody>\n",
	    o->f);
	for (i = 0; rev != NULL && i < a->p->nrevoked; i++) {
		fputs("<tr>", o->f);
		cell(o, NULL, tk_sshkey_type(rev[i]->key));
		cell(o, "code", tk_sshkey_fingerprint(rev[i]->key));
		cell(o, NULL, listed_by(&b, a, rev[i]));
		fputs("</tr>\n", o->f);
	}
	fputs("</tbody>\n</table>\n</body>\n</html>\n", o->f);
	free(rev);
	tk_buf_release(&b);
}

int
tk_report_format_parse(const char *name)
{
	static const char *const names[] = {"text", "csv", "json", "html"};
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

int
tk_access_report(FILE *f, const struct tk_access *a, enum tk_report_format fmt,
    const struct tk_report_meta *m)
{
	struct out o = {f, fmt, a, m, TK_BUF_INIT(4 * TEXT_MAX), 0};

	switch (fmt) {
	case TK_REPORT_TEXT:
		text_report(&o);
		break;
	case TK_REPORT_CSV:
		csv_report(&o);
		break;
	case TK_REPORT_JSON:
		json_report(&o);
		break;
	case TK_REPORT_HTML:
		html_report(&o);
		break;
	}
	tk_buf_release(&o.tmp);
	if (fflush(f) != 0 || ferror(f))
		return tk_error_set(
		    TK_EIO, "cannot write the report: %s", strerror(errno));
	return 0;
}
