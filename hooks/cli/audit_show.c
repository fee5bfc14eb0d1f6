/*
 * twokey audit show: the decisions, one line per ref (text), the records
 * (json), or one row per commit (csv, the 0.1 evidence export).
 */
#include <stdio.h>
#include <string.h>

#include "audit_cli.h"
#include "internal.h"
#include "banned.h" /* last: after every system header */

static void
csv_cell(struct tk_buf *out, const char *s, bool last)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	const char *p;

	(void)tk_sanitize(&b, s ? s : "", s ? strlen(s) : 0, 65536);
	s = b.ptr ? b.ptr : "";
	(void)tk_buf_putc(out, '"');
	if (s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
		(void)tk_buf_putc(out, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			(void)tk_buf_putc(out, '"');
		(void)tk_buf_putc(out, *p);
	}
	(void)tk_buf_puts(out, last ? "\"\n" : "\",");
	tk_buf_release(&b);
}

static void
approvers(struct tk_buf *b, const struct tk_audit_commit *c)
{
	size_t i, k;

	tk_buf_reset(b);
	for (i = 0; i < c->napprovers; i++) {
		const struct tk_audit_approver *a = &c->approvers[i];

		(void)tk_buf_printf(
		    b, "%s%s", i ? "; " : "", a->identity ? a->identity : "?");
		for (k = 0; k < a->nroles; k++)
			(void)tk_buf_printf(
			    b, "%s%s", k ? "," : " (", a->roles[k]);
		if (a->nroles > 0)
			(void)tk_buf_putc(b, ')');
	}
}

static void
csv_rows(struct tk_buf *out, const struct tk_audit_record *rec,
    const struct tk_audit_ref *ref)
{
	struct tk_buf w = TK_BUF_INIT(1 << 20), a = TK_BUF_INIT(1 << 20);
	size_t i, k;

	for (i = 0; i < ref->ncommits; i++) {
		const struct tk_audit_commit *c = &ref->commits[i];

		tk_buf_reset(&w);
		for (k = 0; k < c->nwriters; k++)
			(void)tk_buf_printf(
			    &w, "%s%s", k ? "; " : "", c->writers[k]);
		approvers(&a, c);
		csv_cell(out, rec->time, 0);
		csv_cell(out, rec->repo, 0);
		csv_cell(out, ref->stored, 0);
		csv_cell(out, ref->rule, 0);
		csv_cell(out, ref->decision, 0);
		csv_cell(out, rec->pusher_login, 0);
		csv_cell(out, rec->pusher_identity, 0);
		csv_cell(out, c->id, 0);
		csv_cell(out, c->subject, 0);
		csv_cell(out, c->author, 0);
		csv_cell(out, w.ptr, 0);
		csv_cell(out, a.ptr, 0);
		csv_cell(out, rec->hash, 1);
	}
	tk_buf_release(&w);
	tk_buf_release(&a);
}

static void
text_line(struct tk_buf *out, const struct tk_audit_record *rec,
    const struct tk_audit_ref *ref)
{
	const char *fields[6];
	size_t i;

	fields[0] = rec->time ? rec->time : "?";
	fields[1] = ref->decision ? ref->decision : "?";
	fields[2] = rec->pusher_login ? rec->pusher_login : "-";
	fields[3] = ref->stored ? ref->stored : "?";
	fields[4] = ref->kind ? ref->kind : "?";
	fields[5] = ref->rule ? ref->rule : "-";
	/* Log text came from pushers: never raw to a terminal. */
	for (i = 0; i < 6; i++) {
		(void)tk_buf_puts(out, i ? " " : "");
		(void)tk_sanitize(out, fields[i], strlen(fields[i]), 300);
	}
	(void)tk_buf_printf(out, " %zu commits\n", ref->entering);
}

/*
 * The csv export lists commits that landed unless --decision asks
 * otherwise: the ref passed and so did the push as a whole.
 */
static void
one(struct tk_buf *out, const struct audit_opts *o,
    const struct tk_audit_record *rec)
{
	struct tk_audit_filter f = o->filter;
	bool printed = false;
	size_t i;

	if (o->fmt == TK_FMT_CSV && f.decision == TK_AUDIT_ANY)
		f.decision = TK_AUDIT_ACCEPTED;
	if (!tk_audit_filter_record(&f, rec))
		return;
	for (i = 0; i < rec->nrefs; i++) {
		if (!tk_audit_filter_ref(&f, rec, &rec->refs[i]))
			continue;
		if (o->fmt == TK_FMT_JSON && !printed) {
			(void)tk_buf_put(out, rec->raw, rec->rawlen);
			(void)tk_buf_putc(out, '\n');
			printed = true;
		} else if (o->fmt == TK_FMT_CSV)
			csv_rows(out, rec, &rec->refs[i]);
		else if (o->fmt == TK_FMT_TEXT)
			text_line(out, rec, &rec->refs[i]);
	}
}

int
audit_show(struct audit_opts *o)
{
	struct tk_buf out = TK_BUF_INIT(TK_AUDIT_MAX_RECORD * 2u);
	const struct tk_audit_record *rec;
	struct tk_audit_reader *r = NULL;
	int rc;

	if ((rc = audit_resolve(o)) != 0 || (rc = audit_open(&r, o)) != 0)
		return rc;
	if (o->fmt == TK_FMT_CSV)
		printf("time,repository,ref,rule,decision,pusher_login,"
		       "pusher_identity,commit,subject,author,writers,"
		       "approvers,record_hash\n");
	while ((rc = tk_audit_next(r, &rec)) > 0) {
		tk_buf_reset(&out);
		one(&out, o, rec);
		if (out.len > 0)
			fwrite(out.ptr, 1, out.len, stdout);
	}
	if (rc < 0)
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
	else if (tk_audit_reader_chain(r)->unreadable > 0)
		fprintf(stderr,
		    "twokey: warning: %zu lines are not readable records\n",
		    tk_audit_reader_chain(r)->unreadable);
	rc = rc < 0 || tk_audit_reader_chain(r)->unreadable > 0 ? 1 : 0;
	tk_buf_release(&out);
	tk_audit_reader_free(r);
	return rc;
}
