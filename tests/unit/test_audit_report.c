/*
 * Unit tests for the evidence built from audit records
 * (include/twokey/evidence.h): every column of a report row (writers of a
 * clean merge, approvers with roles and how they counted, covered
 * commits, pusher, rule, policy, warn mode, emergency, record and its
 * verification), rows for ref updates that list no commit, the refusals
 * and their reasons, the header; rendering in text, CSV (spreadsheet
 * formulas defused, control characters replaced), JSON and HTML
 * (escaped); statistics; the reason categories; --format values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <unistd.h>

#include "audit/doc.h"
#include "audit/store.h"
#include "internal.h"
#include "twokey/audit.h"
#include "twokey/evidence.h"

#define A40 "1111111111111111111111111111111111111111"
#define B40 "2222222222222222222222222222222222222222"
#define C40 "3333333333333333333333333333333333333333"
#define Z40 "0000000000000000000000000000000000000000"

static char dir[64], logpath[128];

static void
append(const char *body)
{
	struct tk_audit_dest d = {logpath, NULL, false, NULL, NULL};
	struct tk_buf b = TK_BUF_INIT(1 << 20);

	assert_int_equal(tk_buf_puts(&b, body), 0);
	assert_int_equal(tk_audit_append(&d, &b, NULL), 0);
	tk_buf_release(&b);
}

/* A record: time, decision, then the refs and findings arrays. */
static void
record(const char *t, const char *decision, const char *error, const char *refs,
    const char *findings, const char *extra)
{
	char body[8192];

	snprintf(body, sizeof(body),
	    "{\"v\":1,\"time\":\"%s\",\"hook\":\"pre-receive\",\"repo\":"
	    "\"/srv/app.git/\",\"pusher\":{\"login\":\"dave\",\"identity\":"
	    "\"dave-ops\"},\"decision\":\"%s\",\"error\":%s,\"refs\":[%s],"
	    "\"findings\":[%s],\"policy\":\"feed\"%s",
	    t, decision, error, refs, findings, extra);
	append(body);
}

static const char merge_ref[] =
    "{\"ref\":\"refs/heads/main\",\"old\":\"" A40 "\",\"new\":\"" B40
    "\",\"kind\":\"update\",\"rule\":\"mainline\",\"mode\":\"enforce\","
    "\"decision\":\"accepted\",\"warned\":false,\"entering\":2,\"commits\":"
    "[{\"id\":\"" B40 "\",\"subject\":\"Merge x\",\"author\":"
    "\"rita@example.com\",\"writers\":[\"alice\",\"erin\"],\"approvers\":[{"
    "\"identity\":\"bob\",\"roles\":[\"reviewer\",\"security\"],\"via\":"
    "\"trailer\"},{\"identity\":\"carol\",\"roles\":[\"reviewer\"],\"via\":"
    "\"note\"}],\"refused\":null,\"merge\":{\"kind\":\"clean\",\"brings\":"
    "1,\"merged_by\":[\"rita\"]}},{\"id\":\"" C40 "\",\"subject\":"
    "\"=cmd|' /C calc'!A0\",\"author\":\"alice@example.com\",\"writers\":"
    "[\"alice\"],\"covered_by\":\"" B40 "\",\"approvers\":[{\"identity\":"
    "\"bob\",\"roles\":[\"reviewer\",\"security\"],\"via\":\"covered by "
    "merge " B40 "\"}]}]}";

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tk-report-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(logpath, sizeof(logpath), "%s/audit.jsonl", dir);
	/* 1: October, main, a clean merge (outside a November filter) */
	record("2026-10-31T23:59:59Z", "accepted", "null", merge_ref, "", "");
	/* 2: November: the same merge, warned, with an emergency */
	record("2026-11-02T10:00:00Z", "accepted", "null", merge_ref, "",
	    ",\"emergency\":{\"reason\":\"INC-7 <outage>\",\"waived\":["
	    "\"approvals\"],\"ratify_by\":\"2026-11-03T10:00:00Z\"}");
	/* 3: refused: one ref with findings, one accepted but pulled down */
	record("2026-11-03T10:00:00Z", "refused", "null",
	    "{\"ref\":\"refs/heads/main\",\"old\":\"" B40 "\",\"new\":\"" C40
	    "\",\"kind\":\"update\",\"rule\":\"mainline\",\"decision\":"
	    "\"refused\"},{\"ref\":\"refs/heads/soft/x\",\"old\":\"" Z40
	    "\",\"new\":\"" C40 "\",\"kind\":\"create\",\"rule\":\"soft\","
	    "\"mode\":\"warn\",\"decision\":\"accepted\",\"warned\":true}",
	    "{\"ref\":\"refs/heads/main\",\"commit\":\"" C40 "\",\"severity\":"
	    "\"error\",\"message\":\"not approved: needs 1 more approval\"},"
	    "{\"ref\":\"refs/heads/main\",\"commit\":null,\"severity\":\"error\","
	    "\"message\":\"pusher 'dave' may not update this ref\"},"
	    "{\"ref\":\"refs/heads/main\",\"commit\":null,\"severity\":\"note\","
	    "\"message\":\"ignored\"}",
	    "");
	/* 4: the policy could not be loaded */
	record("2026-11-04T10:00:00Z", "refused",
	    "\"the policy cannot be used: p.yaml:3:1: duplicate key\"",
	    "{\"ref\":\"refs/heads/main\",\"old\":\"" B40 "\",\"new\":\"" C40
	    "\",\"kind\":\"update\",\"rule\":null,\"decision\":\"refused\"}",
	    "", "");
	/* 5: a delete and an unmatched ref, accepted, no commits listed */
	record("2026-11-30T23:59:59Z", "accepted", "null",
	    "{\"ref\":\"refs/heads/old\",\"old\":\"" A40 "\",\"new\":\"" Z40
	    "\",\"kind\":\"delete\",\"rule\":\"features\",\"mode\":\"enforce\","
	    "\"decision\":\"accepted\"},{\"ref\":\"refs/heads/soft/x\",\"old\":"
	    "\"" Z40 "\",\"new\":\"" A40 "\",\"kind\":\"create\",\"rule\":"
	    "\"soft\",\"mode\":\"warn\",\"decision\":\"accepted\",\"warned\":"
	    "true,\"entering\":1}",
	    "", "");
	/* 6: December */
	record("2026-12-01T00:00:00Z", "accepted", "null", merge_ref, "", "");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
build(struct tk_doc *doc, struct tk_audit_filter *f, bool stats)
{
	struct tk_audit_reader *r = NULL;
	const char *files[1] = {logpath};

	assert_int_equal(tk_audit_reader_open_files(&r, files, 1, NULL), 0);
	if (stats)
		assert_int_equal(tk_evidence_stats(doc, r, f, 1796083200), 0);
	else
		assert_int_equal(tk_evidence_report(doc, r, f, 1796083200), 0);
	tk_audit_reader_free(r);
}

static const char *
cell(const struct tk_doc *d, size_t t, size_t row, const char *col)
{
	const struct tk_table *tb = &d->tables[t];
	size_t c;

	for (c = 0; c < tb->ncols; c++)
		if (strcmp(tb->cols[c], col) == 0) {
			const char *s = tb->cells[row * tb->ncols + c];

			return s ? s : "";
		}
	fail_msg("no column %s", col);
	return NULL;
}

static const char *
head(const struct tk_doc *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->nhead; i++)
		if (strcmp(d->head[i].key, key) == 0)
			return d->head[i].value;
	fail_msg("no header %s", key);
	return NULL;
}

static void
test_report__rows(void **state)
{
	struct tk_audit_filter f = TK_AUDIT_FILTER_INIT;
	struct tk_doc d;

	(void)state;
	assert_int_equal(tk_audit_filter_dates(&f, "2026-11", "2026-11"), 0);
	build(&d, &f, false);
	assert_int_equal(d.status, 0);
	assert_int_equal(d.tables[0].nrows, 4); /* merge, covered, del, soft */
	assert_string_equal(cell(&d, 0, 0, "time"), "2026-11-02T10:00:00Z");
	assert_string_equal(cell(&d, 0, 0, "repository"), "/srv/app.git/");
	assert_string_equal(cell(&d, 0, 0, "ref"), "refs/heads/main");
	assert_string_equal(cell(&d, 0, 0, "commit"), B40);
	assert_string_equal(cell(&d, 0, 0, "subject"), "Merge x");
	assert_string_equal(cell(&d, 0, 0, "author"), "rita@example.com");
	assert_string_equal(cell(&d, 0, 0, "writers"),
	    "alice, erin (clean merge of 1 commit: its writers are the "
	    "writers of what it brings in; merged by rita)");
	assert_string_equal(cell(&d, 0, 0, "approvers"),
	    "bob (reviewer, security) via trailer; carol (reviewer) via note");
	assert_string_equal(
	    cell(&d, 0, 0, "pusher"), "dave (identity dave-ops)");
	assert_string_equal(cell(&d, 0, 0, "rule"), "mainline");
	assert_string_equal(cell(&d, 0, 0, "policy"), "feed");
	assert_string_equal(cell(&d, 0, 0, "mode"), "enforce");
	assert_string_equal(cell(&d, 0, 0, "emergency"),
	    "INC-7 <outage> (waived: approvals; ratify by "
	    "2026-11-03T10:00:00Z)");
	assert_string_equal(
	    cell(&d, 0, 0, "ratified"), "overdue since 2026-11-03T10:00:00Z");
	assert_int_equal(strlen(cell(&d, 0, 0, "record")), 64);
	assert_string_equal(cell(&d, 0, 1, "commit"), C40);
	assert_string_equal(cell(&d, 0, 1, "writers"), "alice");
	assert_string_equal(cell(&d, 0, 1, "approvers"),
	    "bob (reviewer, security) covered by merge " B40);
	assert_string_equal(cell(&d, 0, 2, "commit"), A40);
	assert_string_equal(cell(&d, 0, 2, "subject"), "[ref deleted]");
	assert_string_equal(
	    cell(&d, 0, 3, "mode"), "warn, warned: findings not enforced");
	assert_non_null(strstr(cell(&d, 0, 3, "subject"), "no commit listed"));
	assert_string_equal(cell(&d, 0, 3, "emergency"), "");
	/* refusals: main (two errors), soft/x pulled down, the policy */
	assert_int_equal(d.tables[1].nrows, 3);
	assert_string_equal(cell(&d, 1, 0, "reason"),
	    "commit 333333333333: not approved: needs 1 more approval; "
	    "pusher 'dave' may not update this ref");
	assert_string_equal(cell(&d, 1, 1, "ref"), "refs/heads/soft/x");
	assert_non_null(strstr(cell(&d, 1, 1, "reason"), "with the rest"));
	assert_string_equal(cell(&d, 1, 2, "reason"),
	    "the policy cannot be used: p.yaml:3:1: duplicate key");
	assert_string_equal(cell(&d, 1, 2, "rule"), "");
	assert_string_equal(head(&d, "period"),
	    "from 2026-11-01T00:00:00Z (2026-11) to 2026-11-30T23:59:59Z "
	    "(2026-11), inclusive");
	assert_string_equal(head(&d, "log files"), logpath);
	assert_non_null(strstr(head(&d, "chain"),
	    "intact: verified up to "
	    "record 6 of 6"));
	assert_string_equal(head(&d, "totals"),
	    "6 records read, 4 in the period and filters; 3 ref updates "
	    "landed (4 rows, 1 warned), 3 refused; 1 emergencies");
	tk_doc_release(&d);
}

static void
test_report__ref_filter_and_unverified(void **state)
{
	struct tk_audit_filter f = TK_AUDIT_FILTER_INIT;
	struct tk_doc d;
	char cmd[256];

	(void)state;
	f.ref_full = tk_strdup("refs/heads/main");
	snprintf(cmd, sizeof(cmd), "sed -i '5s/dave/mallory/' '%s'", logpath);
	assert_int_equal(system(cmd), 0);
	build(&d, &f, false);
	assert_int_equal(d.status, 1);
	assert_non_null(strstr(head(&d, "chain"), "BROKEN at"));
	assert_non_null(strstr(head(&d, "chain"), "verified up to record 4"));
	/* merges of records 1, 2, 6: six rows; record 6 is after the break */
	assert_int_equal(d.tables[0].nrows, 6);
	assert_null(strstr(cell(&d, 0, 0, "record"), "unverified"));
	assert_non_null(strstr(cell(&d, 0, 5, "record"), " (unverified)"));
	tk_doc_release(&d);
	tk_audit_filter_release(&f);
}

static void
render(const struct tk_doc *d, enum tk_format fmt, struct tk_buf *b)
{
	tk_buf_reset(b);
	assert_int_equal(tk_doc_render(b, d, fmt), 0);
	assert_non_null(b->ptr);
}

static void
test_report__render(void **state)
{
	static const char *const cols[] = {"a", "b"};
	static const char *const cols2[] = {"b", "c"};
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	struct tk_doc d;
	size_t row;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.title = "t";
	assert_int_equal(tk_doc_head(&d, "k", "v<\"x\">"), 0);
	assert_int_equal(tk_doc_table(&d, "one", "One", cols, 2), 0);
	assert_int_equal(tk_doc_table(&d, "two", "Two", cols2, 2), 0);
	assert_int_equal(tk_doc_row(&d, 0, &row), 0);
	assert_int_equal(tk_doc_cell(&d, 0, row, 0, "=SUM(A1)"), 0);
	assert_int_equal(tk_doc_cell(&d, 0, row, 1, "x\x1b[2Jy\"q\""), 0);
	assert_int_equal(tk_doc_row(&d, 1, &row), 0);
	assert_int_equal(tk_doc_cell(&d, 1, row, 1, "<b>&'</b>"), 0);
	render(&d, TK_FMT_CSV, &b);
	assert_string_equal(b.ptr,
	    "\"section\",\"a\",\"b\",\"c\"\n"
	    "\"one\",\"'=SUM(A1)\",\"x?[2Jy\"\"q\"\"\",\"\"\n"
	    "\"two\",\"\",\"\",\"<b>&'</b>\"\n");
	render(&d, TK_FMT_JSON, &b);
	assert_string_equal(b.ptr,
	    "{\"title\":\"t\",\"header\":{\n\"k\":\"v<\\\"x\\\">\"},\n"
	    "\"one\":[\n{\"a\":\"=SUM(A1)\",\"b\":\"x\\u001b[2Jy\\\"q\\\"\"}],\n"
	    "\"two\":[\n{\"b\":\"\",\"c\":\"<b>&'</b>\"}]}\n");
	render(&d, TK_FMT_HTML, &b);
	assert_non_null(
	    strstr(b.ptr, "<dt>k</dt><dd>v&lt;&quot;x&quot;&gt;</dd>"));
	assert_non_null(strstr(b.ptr, "<table id=\"two\">"));
	assert_non_null(
	    strstr(b.ptr, "<td>&lt;b&gt;&amp;&#39;&lt;/b&gt;</td>"));
	assert_non_null(strstr(b.ptr, "<td>x?[2Jy&quot;q&quot;</td>"));
	assert_null(strstr(b.ptr, "<b>"));
	assert_null(strstr(b.ptr, "\x1b"));
	render(&d, TK_FMT_TEXT, &b);
	assert_non_null(strstr(b.ptr,
	    "== One (1)\n\n  a           =SUM(A1)\n"
	    "  b           x?[2Jy\"q\"\n"));
	assert_non_null(strstr(b.ptr, "  b           -\n"));
	tk_doc_release(&d);
	tk_buf_release(&b);
}

static void
test_report__stats(void **state)
{
	struct tk_audit_filter f = TK_AUDIT_FILTER_INIT;
	struct tk_doc d;

	(void)state;
	build(&d, &f, true);
	assert_string_equal(head(&d, "totals"),
	    "6 records read, 6 in the period and filters: 4 pushes accepted, "
	    "2 refused; 8 ref updates: 5 landed (1 warned in warn mode), 3 "
	    "refused; 1 emergencies");
	/* months: 2026-10 main, 2026-11 main, 2026-11 old, 2026-11 soft/x,
	 * 2026-12 main */
	assert_int_equal(d.tables[0].nrows, 5);
	assert_string_equal(cell(&d, 0, 1, "month"), "2026-11");
	assert_string_equal(cell(&d, 0, 1, "ref"), "refs/heads/main");
	assert_string_equal(cell(&d, 0, 1, "updates"), "3");
	assert_string_equal(cell(&d, 0, 1, "accepted"), "1");
	assert_string_equal(cell(&d, 0, 1, "refused"), "2");
	assert_string_equal(cell(&d, 0, 1, "emergencies"), "1");
	assert_string_equal(cell(&d, 0, 3, "warned"), "1");
	/* refusals: (no rule) policy; mainline approvals; mainline role;
	 * soft refused with the push */
	assert_int_equal(d.tables[1].nrows, 4);
	assert_string_equal(
	    cell(&d, 1, 0, "reason"), "policy could not be loaded");
	assert_string_equal(cell(&d, 1, 1, "reason"), "approvals");
	assert_string_equal(cell(&d, 1, 2, "reason"), "role");
	assert_string_equal(cell(&d, 1, 3, "reason"), "refused with the push");
	assert_int_equal(d.tables[2].nrows, 1);
	assert_string_equal(cell(&d, 2, 0, "reason"), "INC-7 <outage>");
	tk_doc_release(&d);
}

static void
test_report__reasons(void **state)
{
	(void)state;
	assert_string_equal(
	    tk_evidence_reason("not approved: needs x"), "approvals");
	assert_string_equal(
	    tk_evidence_reason("nobody may delete this ref"), "role");
	assert_string_equal(
	    tk_evidence_reason("pusher unknown (x), so y"), "unknown pusher");
	assert_string_equal(
	    tk_evidence_reason("pusher 'a' wrote this commit (as author)"),
	    "pusher-may-write");
	assert_string_equal(
	    tk_evidence_reason("1 entering commit is not on "
	                       "refs/heads/s yet (promote-from)"),
	    "promote-from");
	assert_string_equal(
	    tk_evidence_reason("malformed commit: x"), "malformed commit");
	assert_string_equal(
	    tk_evidence_reason("the commit is not signed"), "signed-commits");
	assert_string_equal(tk_evidence_reason("policy error: x"), "policy");
	assert_string_equal(tk_evidence_reason("the policy cannot be used: x"),
	    "policy could not be loaded");
	assert_string_equal(tk_evidence_reason("something new"), "other");
	assert_string_equal(tk_evidence_reason(NULL), "other");
}

static void
test_report__formats(void **state)
{
	enum tk_format f;

	(void)state;
	assert_int_equal(tk_format_parse(&f, "html", TK_FMT_HTML), 0);
	assert_int_equal(f, TK_FMT_HTML);
	assert_int_equal(
	    tk_format_parse(&f, "html", TK_FMT_TEXT | TK_FMT_CSV), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "'html'"));
	assert_int_equal(tk_format_parse(&f, "Text", TK_FMT_TEXT), TK_EINVAL);
	assert_int_equal(tk_format_parse(&f, "csv", TK_FMT_CSV), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_report__rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_report__ref_filter_and_unverified, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_report__stats, setup, teardown),
	    cmocka_unit_test(test_report__render),
	    cmocka_unit_test(test_report__reasons),
	    cmocka_unit_test(test_report__formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
