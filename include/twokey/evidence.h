/*
 * twokey: evidence for auditors, built from the audit records
 * (docs/audit.md): the per-change report, statistics, and the reconciling
 * of the log with a repository's refs.
 */
#ifndef TWOKEY_EVIDENCE_H
#define TWOKEY_EVIDENCE_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twokey/audit.h"
#include "twokey/buf.h"

enum tk_format {
	TK_FMT_TEXT = 1,
	TK_FMT_CSV = 2,
	TK_FMT_JSON = 4,
	TK_FMT_HTML = 8
};

/*
 * Parses a --format value among the allowed ones (a mask of tk_format);
 * TK_EINVAL with a message naming it otherwise.
 */
int tk_format_parse(enum tk_format *out, const char *s, unsigned allowed);

/*
 * A table of text cells, owned.  cols are static column names (also the
 * JSON keys).
 */
struct tk_table {
	const char *name; /* "landed", "refused", ... */
	const char *title;
	const char *const *cols;
	size_t ncols;
	char **cells; /* nrows * ncols */
	size_t nrows, cap;
};

/* A header line: key and value, owned. */
struct tk_kv {
	const char *key;
	char *value;
};

/* A document: a title, header lines and tables. */
struct tk_doc {
	const char *title;
	struct tk_kv *head;
	size_t nhead;
	struct tk_table *tables;
	size_t ntables;
	int status; /* suggested exit status: 1 when the chain is broken */
};

/*
 * Renders doc into out: text (header lines, then each table with its
 * rows as "column: value" blocks), csv (one table: a "section" column
 * naming the table, then the union of the tables' columns; cells defused
 * for spreadsheets; the header lines are not in it), json (one object:
 * "header", then each table as an array of objects) or html (one
 * self-contained page, inline CSS, every text escaped; each table has
 * id=name).
 * Attacker text is sanitized in text and csv (no control characters)
 * and escaped in json and html.  0 or a buffer error.
 */
int tk_doc_render(
    struct tk_buf *out, const struct tk_doc *doc, enum tk_format fmt);
void tk_doc_release(struct tk_doc *doc);

struct tk_emergency_state;

/*
 * Every emergency of the state st (where: its location, for the header),
 * or with only_overdue the overdue ones: time, pusher, reason,
 * repository, ref, old, new, commits, waived checks, deadline, status
 * (ratified, pending, overdue at now), ratified by and at.
 * doc->status is 1 when only_overdue and any is overdue.  0 or TK_ENOMEM.
 */
int tk_evidence_emergencies(struct tk_doc *doc,
    const struct tk_emergency_state *st, const char *where, bool only_overdue,
    int64_t now);

/*
 * The per-change report: one row per commit that landed in the period on
 * the filtered refs and repositories (one row per landed ref update that
 * lists no commit), then the refusals.  Reads r to the end; f must be
 * resolved (tk_audit_filter_resolve).  files names what was read, for
 * the header; now is the time of the report.
 */
int tk_evidence_report(struct tk_doc *doc, struct tk_audit_reader *r,
    const struct tk_audit_filter *f, int64_t now);

/*
 * Statistics over the records in the period: totals, per month and ref,
 * refusals by rule and reason, emergencies.  Reads r to the end.
 */
int tk_evidence_stats(struct tk_doc *doc, struct tk_audit_reader *r,
    const struct tk_audit_filter *f, int64_t now);

/*
 * The category of a refusal reason (a finding's message or the record's
 * error): "approvals", "role", "unknown pusher", "pusher-may-write",
 * "signed-commits", "promote-from", "malformed commit", "policy",
 * "policy could not be loaded", "could not decide", "freeze",
 * "emergency", "other".
 */
const char *tk_evidence_reason(const char *message);

/*
 * Reconciles refs of repo with the accepted records of the reader (read
 * to the end): each ref's values, from the first record that names it to
 * its value now, must follow each other record by record; every change
 * in between (the first-parent commits from the later value down to the
 * earlier one) has no record and is reported.  refs[0..nrefs) are full
 * names in the log's form (tk_audit_refname(); none: every ref the
 * repository or the log names).  repo_path is
 * what the records call the repository.  The result: a document, with
 * doc->status 1 when any change is unrecorded.  Walks at most max_walk
 * commits per gap.
 */
int tk_evidence_reconcile(struct tk_doc *doc, struct tk_audit_reader *r,
    git_repository *repo, const char *repo_path, const char *const *refs,
    size_t nrefs, size_t max_walk);

#endif
