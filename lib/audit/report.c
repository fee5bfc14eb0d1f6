/*
 * twokey audit report: one row per commit that landed, with everything an
 * auditor asks of it (who wrote it, who approved it and how, who pushed
 * it, under which rule and policy), then the refusals.  Each row explains
 * itself: a clean merge says its writers are those of what it brings in,
 * and a commit a merge answers for names that merge.
 */
#include "doc.h"

static const char *const landed_cols[] = {"time", "repository", "ref", "commit",
    "subject", "author", "writers", "approvers", "pusher", "rule", "policy",
    "mode", "emergency", "ratified", "record"};
enum {
	L_TIME,
	L_REPO,
	L_REF,
	L_COMMIT,
	L_SUBJECT,
	L_AUTHOR,
	L_WRITERS,
	L_APPROVERS,
	L_PUSHER,
	L_RULE,
	L_POLICY,
	L_MODE,
	L_EMERGENCY,
	L_RATIFIED,
	L_RECORD
};

static const char *const refused_cols[] = {"time", "repository", "ref",
    "pusher", "rule", "policy", "reason", "record"};
enum { R_TIME, R_REPO, R_REF, R_PUSHER, R_RULE, R_POLICY, R_REASON, R_RECORD };

struct totals {
	size_t records, matched, landed, commits, refused, warned, emergencies;
};

static void
join(struct tk_buf *b, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)tk_buf_printf(b, "%s%s", i ? ", " : "", v[i]);
}

static void
writers(struct tk_buf *b, const struct tk_audit_commit *c)
{
	join(b, c->writers, c->nwriters);
	if (c->merge == NULL)
		return;
	(void)tk_buf_puts(b, b->len ? " " : "");
	if (strcmp(c->merge, "clean") == 0) {
		(void)tk_buf_printf(b,
		    "(clean merge of %zu commit%s: its writers are the writers "
		    "of what it brings in; merged by ",
		    c->brings, c->brings == 1 ? "" : "s");
	} else
		(void)tk_buf_printf(b,
		    "(merge with changes of its own, bringing in %zu commit%s: "
		    "its merger is a writer too; merged by ",
		    c->brings, c->brings == 1 ? "" : "s");
	join(b, c->merged_by, c->nmerged_by);
	(void)tk_buf_puts(b, c->nmerged_by ? ")" : "nobody known)");
}

static void
approvers(struct tk_buf *b, const struct tk_audit_commit *c)
{
	size_t i;

	for (i = 0; i < c->napprovers; i++) {
		const struct tk_audit_approver *a = &c->approvers[i];

		(void)tk_buf_printf(b, "%s%s (", i ? "; " : "",
		    a->identity ? a->identity : "?");
		join(b, a->roles, a->nroles);
		(void)tk_buf_putc(b, ')');
		if (a->via != NULL && strncmp(a->via, "covered", 7) == 0)
			(void)tk_buf_printf(b, " %s", a->via);
		else if (a->via != NULL)
			(void)tk_buf_printf(b, " via %s", a->via);
	}
}

static void
pusher(struct tk_buf *b, const struct tk_audit_record *rec)
{
	const char *l = rec->pusher_login, *id = rec->pusher_identity;

	if (l != NULL && id != NULL && strcmp(l, id) != 0)
		(void)tk_buf_printf(b, "%s (identity %s)", l, id);
	else
		(void)tk_buf_puts(b, l ? l : id ? id : "unknown");
}

static void
emergency(struct tk_buf *b, const struct tk_audit_emergency *e)
{
	if (!e->present)
		return;
	(void)tk_buf_printf(b, "%s (waived: ", e->reason ? e->reason : "?");
	join(b, e->waived, e->nwaived);
	(void)tk_buf_printf(b, "%s; ratify by %s)", e->nwaived ? "" : "nothing",
	    e->ratify_by ? e->ratify_by : "?");
}

static int
cell_buf(struct tk_doc *d, size_t row, size_t col, struct tk_buf *b)
{
	int rc =
	    b->err ? b->err : tk_doc_cell(d, 0, row, col, b->ptr ? b->ptr : "");

	tk_buf_reset(b);
	return rc;
}

/* The columns every landed row of one ref update shares. */
static int
shared_cells(struct tk_doc *d, size_t row, const struct tk_audit_record *rec,
    const struct tk_audit_ref *f)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	int rc;

	pusher(&b, rec);
	if ((rc = cell_buf(d, row, L_PUSHER, &b)) < 0)
		goto out;
	(void)tk_buf_puts(&b, f->mode ? f->mode : "");
	if (f->warned)
		(void)tk_buf_puts(&b, ", warned: findings not enforced");
	if ((rc = cell_buf(d, row, L_MODE, &b)) < 0)
		goto out;
	emergency(&b, &rec->emergency);
	if ((rc = cell_buf(d, row, L_EMERGENCY, &b)) < 0)
		goto out;
	if ((rc = tk_doc_cell(d, 0, row, L_TIME, rec->time)) < 0 ||
	    (rc = tk_doc_cell(d, 0, row, L_REPO, rec->repo)) < 0 ||
	    (rc = tk_doc_cell(d, 0, row, L_REF, f->stored)) < 0 ||
	    (rc = tk_doc_cell(d, 0, row, L_RULE, f->rule)) < 0 ||
	    (rc = tk_doc_cell(d, 0, row, L_POLICY, rec->policy)) < 0)
		goto out;
	rc = tk_doc_cellf(d, 0, row, L_RECORD, "%s%s",
	    rec->hash ? rec->hash : "", rec->verified ? "" : " (unverified)");
out:
	tk_buf_release(&b);
	return rc;
}

static int
commit_row(struct tk_doc *d, const struct tk_audit_record *rec,
    const struct tk_audit_ref *f, const struct tk_audit_commit *c)
{
	struct tk_buf b = TK_BUF_INIT(1 << 22);
	size_t row;
	int rc;

	if ((rc = tk_doc_row(d, 0, &row)) < 0 ||
	    (rc = shared_cells(d, row, rec, f)) < 0 ||
	    (rc = tk_doc_cell(d, 0, row, L_COMMIT, c->id)) < 0 ||
	    (rc = tk_doc_cell(d, 0, row, L_SUBJECT, c->subject)) < 0 ||
	    (rc = tk_doc_cell(d, 0, row, L_AUTHOR, c->author)) < 0)
		goto out;
	writers(&b, c);
	if ((rc = cell_buf(d, row, L_WRITERS, &b)) < 0)
		goto out;
	approvers(&b, c);
	rc = cell_buf(d, row, L_APPROVERS, &b);
out:
	tk_buf_release(&b);
	return rc;
}

/* A landed ref update whose record lists no commit: one row all the same. */
static int
ref_row(struct tk_doc *d, const struct tk_audit_record *rec,
    const struct tk_audit_ref *f)
{
	bool del = f->kind != NULL && strcmp(f->kind, "delete") == 0;
	size_t row;
	int rc;

	if ((rc = tk_doc_row(d, 0, &row)) < 0 ||
	    (rc = shared_cells(d, row, rec, f)) < 0 ||
	    (rc = tk_doc_cell(d, 0, row, L_COMMIT, del ? f->old : f->new_)) < 0)
		return rc;
	if (del)
		return tk_doc_cell(d, 0, row, L_SUBJECT, "[ref deleted]");
	if (f->rule == NULL)
		return tk_doc_cell(d, 0, row, L_SUBJECT,
		    "[no rule matched: commits not inspected]");
	return tk_doc_cellf(d, 0, row, L_SUBJECT,
	    "[%s; no commit listed: nothing new entered, or the rule does "
	    "not inspect commits]",
	    f->kind ? f->kind : "update");
}

/* Why the ref was refused: its error findings, else the record's error. */
static void
reasons(struct tk_buf *b, const struct tk_audit_record *rec,
    const struct tk_audit_ref *f)
{
	size_t i;

	for (i = 0; i < rec->nfindings; i++) {
		const struct tk_audit_finding *x = &rec->findings[i];

		if (x->severity == NULL || strcmp(x->severity, "error") != 0 ||
		    x->ref == NULL || f->ref == NULL || strcmp(x->ref, f->ref))
			continue;
		(void)tk_buf_printf(b, "%s%s%.12s%s%s", b->len ? "; " : "",
		    x->commit ? "commit " : "", x->commit ? x->commit : "",
		    x->commit ? ": " : "", x->message ? x->message : "?");
	}
	if (b->len == 0 && rec->error != NULL)
		(void)tk_buf_puts(b, rec->error);
	if (b->len == 0)
		(void)tk_buf_puts(b,
		    f->decision && strcmp(f->decision, "accepted") == 0
		        ? "refused with the rest of the push (another ref was "
		          "refused)"
		        : "refused");
}

static int
refused_row(struct tk_doc *d, const struct tk_audit_record *rec,
    const struct tk_audit_ref *f)
{
	struct tk_buf b = TK_BUF_INIT(1 << 22);
	size_t row;
	int rc;

	if ((rc = tk_doc_row(d, 1, &row)) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, R_TIME, rec->time)) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, R_REPO, rec->repo)) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, R_REF, f->stored)) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, R_RULE, f->rule)) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, R_POLICY, rec->policy)) < 0 ||
	    (rc = tk_doc_cellf(d, 1, row, R_RECORD, "%s%s",
	         rec->hash ? rec->hash : "",
	         rec->verified ? "" : " (unverified)")) < 0)
		goto out;
	pusher(&b, rec);
	if ((rc = b.err) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, R_PUSHER, b.ptr)) < 0)
		goto out;
	tk_buf_reset(&b);
	reasons(&b, rec, f);
	rc = b.err ? b.err : tk_doc_cell(d, 1, row, R_REASON, b.ptr);
out:
	tk_buf_release(&b);
	return rc;
}

static bool
is_landed(const struct tk_audit_record *rec, const struct tk_audit_ref *f)
{
	return f->decision && strcmp(f->decision, "accepted") == 0 &&
	    rec->decision && strcmp(rec->decision, "accepted") == 0;
}

static int
one_record(struct tk_doc *d, const struct tk_audit_record *rec,
    const struct tk_audit_filter *f, struct totals *t,
    struct tk_ratify_track *tr)
{
	size_t i, k, first;
	int rc;

	t->records++;
	/* a ratification after the period still ratifies what is in it */
	if ((rc = tk_track_ratified(tr, d, rec)) < 0 ||
	    !tk_audit_filter_record(f, rec))
		return rc;
	t->matched++;
	t->emergencies += rec->emergency.present;
	for (i = 0; i < rec->nrefs && rc == 0; i++) {
		const struct tk_audit_ref *ref = &rec->refs[i];

		if (!tk_audit_filter_ref(f, rec, ref))
			continue;
		if (!is_landed(rec, ref)) {
			t->refused++;
			rc = refused_row(d, rec, ref);
			continue;
		}
		t->landed++;
		t->warned += ref->warned;
		first = d->tables[0].nrows;
		for (k = 0; k < ref->ncommits && rc == 0; k++, t->commits++)
			rc = commit_row(d, rec, ref, &ref->commits[k]);
		if (ref->ncommits == 0 && rc == 0) {
			t->commits++;
			rc = ref_row(d, rec, ref);
		}
		if (rc == 0)
			rc = tk_track_emergency(
			    tr, rec, ref->ref, first, d->tables[0].nrows - 1);
	}
	return rc;
}

int
tk_evidence_report(struct tk_doc *doc, struct tk_audit_reader *r,
    const struct tk_audit_filter *f, int64_t now)
{
	const struct tk_audit_record *rec;
	struct tk_ratify_track tr = {NULL, 0, 0, 0, L_RATIFIED};
	struct totals t;
	int rc;

	memset(&t, 0, sizeof(t));
	memset(doc, 0, sizeof(*doc));
	doc->title = "twokey evidence report";
	if ((rc = tk_doc_table(doc, "landed", "Changes that landed",
	         landed_cols, TK_ARRAY_SIZE(landed_cols))) < 0 ||
	    (rc = tk_doc_table(doc, "refused", "Refused ref updates",
	         refused_cols, TK_ARRAY_SIZE(refused_cols))) < 0 ||
	    (rc = tk_doc_filters(doc, f, now)) < 0)
		return rc;
	while ((rc = tk_audit_next(r, &rec)) > 0)
		if ((rc = one_record(doc, rec, f, &t, &tr)) < 0)
			break;
	if (rc == 0)
		rc = tk_track_finish(&tr, doc, now);
	tk_track_release(&tr);
	if (rc < 0 || (rc = tk_doc_sources(doc, r)) < 0 ||
	    (rc = tk_doc_chain(doc, r)) < 0)
		return rc;
	return tk_doc_head(doc, "totals",
	    "%zu records read, %zu in the period and filters; %zu ref "
	    "updates landed (%zu rows, %zu warned), %zu refused; %zu "
	    "emergencies",
	    t.records, t.matched, t.landed, t.commits, t.warned, t.refused,
	    t.emergencies);
}
