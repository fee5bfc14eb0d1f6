/*
 * "twokey audit emergencies": every emergency of the state, with its
 * ratification or how late it is (docs/audit.md, "Emergencies").  The
 * state, not the log, is the source: it survives log rotation, and it
 * holds the commits and their ratification as decided.
 */
#include "doc.h"
#include "twokey/emergency.h"
#include "twokey/policy.h"

static const char *const cols[] = {"time", "pusher", "reason", "repository",
    "ref", "old", "new", "commits", "waived", "ratify_by", "status",
    "ratified_by", "ratified_at"};

static const char *
status_of(const struct tk_emergency_entry *e, int64_t now)
{
	if (e->ratified != 0)
		return "ratified";
	return tk_emergency_overdue(e, now) ? "overdue" : "pending";
}

static int
commits_of(struct tk_buf *b, const struct tk_emergency_entry *e)
{
	size_t i;
	int rc = 0;

	tk_buf_reset(b);
	for (i = 0; i < e->ncommits && rc == 0; i++)
		rc = tk_buf_printf(b, "%s%s", i ? " " : "", e->commits[i].id);
	return rc;
}

static int
row(struct tk_doc *d, const struct tk_emergency_entry *e, int64_t now)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	char t[32], by[32], at[32];
	size_t r;
	int rc;

	tk_audit_time_str(t, sizeof(t), e->time);
	tk_audit_time_str(by, sizeof(by), e->ratify_by);
	tk_audit_time_str(at, sizeof(at), e->ratified);
	if ((rc = tk_doc_row(d, 0, &r)) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 0, t)) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 1, e->pusher)) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 2, e->reason)) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 3, e->repo)) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 4, e->ref)) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 5, e->old)) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 6, e->new_)) < 0 ||
	    (rc = commits_of(&b, e)) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 7, b.ptr)) < 0)
		goto out;
	tk_buf_reset(&b);
	if ((rc = tk_waive_format(&b, e->waived, ", ")) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 8, b.ptr)) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 9, by)) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 10, status_of(e, now))) < 0 ||
	    (rc = tk_doc_cell(d, 0, r, 11, e->ratifiers)) < 0)
		goto out;
	rc = tk_doc_cell(d, 0, r, 12, e->ratified ? at : NULL);
out:
	tk_buf_release(&b);
	return rc;
}

int
tk_evidence_emergencies(struct tk_doc *doc, const struct tk_emergency_state *st,
    const char *where, bool only_overdue, int64_t now)
{
	size_t i, overdue = 0, pending = 0;
	char t[32];
	int rc;

	memset(doc, 0, sizeof(*doc));
	doc->title = "twokey audit emergencies";
	tk_audit_time_str(t, sizeof(t), now);
	if ((rc = tk_doc_table(doc, "emergencies", "Emergencies", cols,
	         TK_ARRAY_SIZE(cols))) < 0 ||
	    (rc = tk_doc_head(doc, "state", "%s", where)) < 0 ||
	    (rc = tk_doc_head(doc, "now", "%s", t)) < 0)
		return rc;
	for (i = 0; i < st->n; i++) {
		const struct tk_emergency_entry *e = &st->items[i];
		bool late = tk_emergency_overdue(e, now);

		overdue += late;
		pending += e->ratified == 0 && !late;
		if (only_overdue && !late)
			continue;
		if ((rc = row(doc, e, now)) < 0)
			return rc;
	}
	doc->status = overdue > 0 && only_overdue ? 1 : 0;
	return tk_doc_head(doc, "totals",
	    "%zu emergencies: %zu ratified, %zu pending, %zu overdue%s", st->n,
	    st->n - pending - overdue, pending, overdue,
	    only_overdue ? " (only the overdue are listed)" : "");
}
