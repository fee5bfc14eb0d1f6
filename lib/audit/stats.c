/*
 * twokey audit stats: counts over the records of a period, per month and
 * ref, refusals by rule and reason, emergencies.  Every number is a count
 * of records or of ref updates in them, so an auditor can check it
 * against the log itself.
 */
#include "doc.h"

static const char *const month_cols[] = {"month", "repository", "ref",
    "updates", "accepted", "refused", "warned", "emergencies"};
static const char *const reason_cols[] = {"rule", "reason", "refusals"};
static const char *const emerg_cols[] = {
    "time", "repository", "ref", "pusher", "reason", "ratify_by", "ratified"};

/* One counted group: its key parts and counters. */
struct bucket {
	char *k[3];
	size_t n[5];
};

struct groups {
	struct tk_map *index; /* joined key -> position + 1 */
	struct bucket *b;
	size_t n;
};

struct totals {
	size_t records, matched, accepted, refused, updates, landed, rupdates,
	    warned, emergencies;
};

static struct bucket *
group(struct groups *g, const char *a, const char *b, const char *c)
{
	struct tk_buf key = TK_BUF_INIT(1 << 16);
	struct bucket *x = NULL;
	uintptr_t at;

	(void)tk_buf_printf(
	    &key, "%s%c%s%c%s", a ? a : "", 0, b ? b : "", 0, c ? c : "");
	if (key.err != 0)
		goto out;
	at = (uintptr_t)tk_map_get(g->index, key.ptr, key.len);
	if (at != 0) {
		x = &g->b[at - 1];
		goto out;
	}
	if (tk_grow_one(&g->b, g->n, sizeof(*g->b)) < 0 ||
	    tk_map_put(g->index, key.ptr, key.len, (void *)(g->n + 1), NULL) <
	        0)
		goto out;
	x = &g->b[g->n++];
	memset(x, 0, sizeof(*x));
	if ((x->k[0] = tk_strdup(a ? a : "")) == NULL ||
	    (x->k[1] = tk_strdup(b ? b : "")) == NULL ||
	    (x->k[2] = tk_strdup(c ? c : "")) == NULL)
		x = NULL;
out:
	tk_buf_release(&key);
	return x;
}

static bool
landed(const struct tk_audit_record *rec, const struct tk_audit_ref *f)
{
	return f->decision && strcmp(f->decision, "accepted") == 0 &&
	    rec->decision && strcmp(rec->decision, "accepted") == 0;
}

/* Each reason category counts once per refused ref update. */
static int
count_reasons(struct groups *g, const struct tk_audit_record *rec,
    const struct tk_audit_ref *f)
{
	const char *seen[16];
	size_t i, k, n = 0;
	struct bucket *b;

	for (i = 0; i < rec->nfindings && n < 16; i++) {
		const struct tk_audit_finding *x = &rec->findings[i];

		if (x->severity == NULL || strcmp(x->severity, "error") ||
		    x->ref == NULL || f->ref == NULL || strcmp(x->ref, f->ref))
			continue;
		seen[n] = tk_evidence_reason(x->message);
		for (k = 0; k < n && strcmp(seen[k], seen[n]) != 0; k++)
			;
		n += k == n;
	}
	if (n == 0)
		seen[n++] = rec->error ? tk_evidence_reason(rec->error)
		    : f->decision && strcmp(f->decision, "accepted") == 0
		    ? "refused with the push"
		    : "other";
	for (k = 0; k < n; k++) {
		if ((b = group(g, f->rule ? f->rule : "(no rule)", seen[k],
		         NULL)) == NULL)
			return TK_ENOMEM;
		b->n[0]++;
	}
	return 0;
}

static int
count_ref(struct groups *months, struct groups *reasons,
    const struct tk_audit_record *rec, const struct tk_audit_ref *f,
    struct totals *t)
{
	char month[8];
	struct bucket *b;
	bool ok = landed(rec, f);

	snprintf(month, sizeof(month), "%.7s", rec->time ? rec->time : "?");
	if ((b = group(months, month, rec->repo, f->stored)) == NULL)
		return TK_ENOMEM;
	b->n[0]++;
	b->n[ok ? 1 : 2]++;
	b->n[3] += ok && f->warned;
	b->n[4] += rec->emergency.present;
	t->updates++;
	t->landed += ok;
	t->rupdates += !ok;
	t->warned += ok && f->warned;
	return ok ? 0 : count_reasons(reasons, rec, f);
}

static int
emergency_row(struct tk_doc *d, const struct tk_audit_record *rec,
    struct tk_ratify_track *tr)
{
	struct tk_buf refs = TK_BUF_INIT(1 << 16);
	size_t row, i;
	int rc;

	for (i = 0; i < rec->nrefs; i++)
		(void)tk_buf_printf(&refs, "%s%s", i ? ", " : "",
		    rec->refs[i].ref ? rec->refs[i].ref : "?");
	if ((rc = tk_doc_row(d, 2, &row)) < 0 ||
	    (rc = tk_doc_cell(d, 2, row, 0, rec->time)) < 0 ||
	    (rc = tk_doc_cell(d, 2, row, 1, rec->repo)) < 0 ||
	    (rc = tk_doc_cell(d, 2, row, 2, refs.ptr)) < 0 ||
	    (rc = tk_doc_cell(d, 2, row, 3, rec->pusher_login)) < 0 ||
	    (rc = tk_doc_cell(d, 2, row, 4, rec->emergency.reason)) < 0 ||
	    (rc = tk_doc_cell(d, 2, row, 5, rec->emergency.ratify_by)) < 0)
		goto out;
	for (i = 0; i < rec->nrefs && rc == 0; i++)
		rc = tk_track_emergency(tr, rec, rec->refs[i].ref, row, row);
out:
	tk_buf_release(&refs);
	return rc;
}

static int
count_record(struct tk_doc *d, struct groups *months, struct groups *reasons,
    const struct tk_audit_record *rec, const struct tk_audit_filter *f,
    struct totals *t, struct tk_ratify_track *tr)
{
	bool any = false;
	size_t i;
	int rc;

	t->records++;
	if ((rc = tk_track_ratified(tr, d, rec)) < 0 ||
	    !tk_audit_filter_record(f, rec))
		return rc;
	for (i = 0; i < rec->nrefs && rc == 0; i++)
		if (tk_audit_filter_ref(f, rec, &rec->refs[i])) {
			any = true;
			rc = count_ref(months, reasons, rec, &rec->refs[i], t);
		}
	if (rc < 0 || (!any && f->ref != NULL))
		return rc;
	t->matched++;
	if (rec->decision && strcmp(rec->decision, "accepted") == 0)
		t->accepted++;
	else
		t->refused++;
	if (rec->emergency.present) {
		t->emergencies++;
		rc = emergency_row(d, rec, tr);
	}
	return rc;
}

static int
cmp_bucket(const void *a, const void *b)
{
	const struct bucket *x = a, *y = b;
	int c, i;

	for (i = 0; i < 3; i++)
		if ((c = strcmp(x->k[i], y->k[i])) != 0)
			return c;
	return 0;
}

/* Sorted rows of g into table i: nkeys key columns, then ncounts. */
static int
emit(struct tk_doc *d, size_t i, struct groups *g, size_t nkeys, size_t ncounts)
{
	size_t r, row, k;
	int rc = 0;

	if (g->n > 0)
		qsort(g->b, g->n, sizeof(*g->b), cmp_bucket);
	for (r = 0; r < g->n && rc == 0; r++) {
		if ((rc = tk_doc_row(d, i, &row)) < 0)
			break;
		for (k = 0; k < nkeys && rc == 0; k++)
			rc = tk_doc_cell(d, i, row, k, g->b[r].k[k]);
		for (k = 0; k < ncounts && rc == 0; k++)
			rc = tk_doc_cellf(
			    d, i, row, nkeys + k, "%zu", g->b[r].n[k]);
	}
	return rc;
}

static void
groups_release(struct groups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->b[i].k[0]);
		free(g->b[i].k[1]);
		free(g->b[i].k[2]);
	}
	free(g->b);
	tk_map_free(g->index);
}

static int
totals(struct tk_doc *d, const struct totals *t)
{
	return tk_doc_head(d, "totals",
	    "%zu records read, %zu in the period and filters: %zu pushes "
	    "accepted, %zu refused; %zu ref updates: %zu landed (%zu warned "
	    "in warn mode), %zu refused; %zu emergencies",
	    t->records, t->matched, t->accepted, t->refused, t->updates,
	    t->landed, t->warned, t->rupdates, t->emergencies);
}

int
tk_evidence_stats(struct tk_doc *doc, struct tk_audit_reader *r,
    const struct tk_audit_filter *f, int64_t now)
{
	const struct tk_audit_record *rec;
	struct groups months, reasons;
	struct tk_ratify_track tr = {NULL, 0, 0, 2, 6};
	struct totals t;
	int rc;

	memset(&t, 0, sizeof(t));
	memset(&months, 0, sizeof(months));
	memset(&reasons, 0, sizeof(reasons));
	memset(doc, 0, sizeof(*doc));
	doc->title = "twokey audit statistics";
	if ((rc = tk_map_new(&months.index)) < 0 ||
	    (rc = tk_map_new(&reasons.index)) < 0 ||
	    (rc = tk_doc_table(doc, "months", "Ref updates per month and ref",
	         month_cols, TK_ARRAY_SIZE(month_cols))) < 0 ||
	    (rc = tk_doc_table(doc, "refusals", "Refusals by rule and reason",
	         reason_cols, TK_ARRAY_SIZE(reason_cols))) < 0 ||
	    (rc = tk_doc_table(doc, "emergencies", "Emergencies", emerg_cols,
	         TK_ARRAY_SIZE(emerg_cols))) < 0 ||
	    (rc = tk_doc_filters(doc, f, now)) < 0)
		goto out;
	while ((rc = tk_audit_next(r, &rec)) > 0)
		if ((rc = count_record(
		         doc, &months, &reasons, rec, f, &t, &tr)) < 0)
			goto out;
	if (rc < 0 || (rc = tk_track_finish(&tr, doc, now)) < 0 ||
	    (rc = emit(doc, 0, &months, 3, 5)) < 0 ||
	    (rc = emit(doc, 1, &reasons, 2, 1)) < 0 ||
	    (rc = tk_doc_sources(doc, r)) < 0 ||
	    (rc = tk_doc_chain(doc, r)) < 0)
		goto out;
	rc = totals(doc, &t);
out:
	tk_track_release(&tr);
	groups_release(&months);
	groups_release(&reasons);
	return rc;
}

const char *
tk_evidence_reason(const char *m)
{
	static const struct {
		const char *needle, *reason;
	} table[] = {
	    {"the policy cannot be used", "policy could not be loaded"},
	    {"not approved", "approvals"},
	    {"cannot read its approvals", "approvals"},
	    {"pusher unknown", "unknown pusher"},
	    {"nobody may ", "role"},
	    {" may not ", "role"},
	    {"wrote this commit", "pusher-may-write"},
	    {"promote-from", "promote-from"},
	    {"freeze", "freeze"},
	    {"emergency", "emergency"},
	    {"malformed commit", "malformed commit"},
	    {"signature", "signed-commits"},
	    {"signed", "signed-commits"},
	    {"policy error", "policy"},
	    {"audit log", "could not decide"},
	    {"could not", "could not decide"},
	    {"cannot", "could not decide"},
	};
	size_t i;

	for (i = 0; m != NULL && i < TK_ARRAY_SIZE(table); i++)
		if (strstr(m, table[i].needle) != NULL)
			return table[i].reason;
	return "other";
}
