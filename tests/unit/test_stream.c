/*
 * The commit records of a push of more than TK_CHECK_STREAM_AT commits
 * (lib/engine/stream.c, lib/audit/commits.c): written for the audit
 * record while the push is decided, over two batches of the engine and
 * past the 1 MiB at which they move to a temporary file.  The record must
 * be byte for byte the one the report's records give when they are held
 * (stream_at = SIZE_MAX), through tk_audit_format and through
 * tk_audit_write (a spooled record, hashed into the log); and a temporary
 * file that cannot be made refuses the push.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "internal.h"
#include "repo_fixture.h"
#include "twokey/audit.h"

#define NCHAIN 1300 /* more than one batch, and more than 1 MiB of records */
#define NSIDE 12
#define CLEAN_AT 400 /* a clean merge of side one */
#define OWN_AT 900 /* a merge of side two with a change of its own */

static const char R_APPROVALS[] = "  - name: main\n"
                                  "    refs: refs/heads/main\n"
                                  "    approvals: {min: 1, from: [reviewer]}\n";
static const char R_WRITERS[] = "  - name: main\n"
                                "    refs: refs/heads/main\n"
                                "    pusher-may-write: false\n";

/* The rules, then the audit log in the test's directory. */
static void
policy(struct fx *f, const char *rules)
{
	char y[1024];

	snprintf(
	    y, sizeof(y), "%saudit:\n  path: %s/audit.jsonl\n", rules, f->dir);
	fx_policy(f, y);
}

/*
 * A subject of 200 bytes that JSON writes in about 1,000: control
 * characters, quotes, bytes that are not UTF-8.
 */
static void
message(char *msg, size_t size, int i)
{
	size_t n = (size_t)snprintf(msg, size, "chain %d ", i);

	while (n < 200 && n + 2 < size) {
		msg[n] = (char)(n % 3 == 0 ? '"' : n % 3 == 1 ? 0x01 : 0xff);
		n++;
	}
	msg[n++] = '\n';
	msg[n] = '\0';
}

/*
 * main: base - c1 - ... - c1300.  c400 merges a side branch of alice's
 * cleanly, c900 one of erin's with a change of its own; both carry real
 * approvals, as does every 250th commit; the others an Approved-by
 * without a signature (refused, so the records carry "refused"); every
 * 50th is bob's own.
 */
static void
build(struct fx *f, git_oid *tip)
{
	git_oid prev = f->base, side1 = f->base, side2 = f->base, c;
	char file[32], msg[256];
	int i;

	for (i = 0; i < NSIDE; i++) {
		snprintf(file, sizeof(file), "side1-%d.txt", i);
		FX_COMMIT(f, &side1, .author = "alice", .parents = {&side1},
		    .files = {file, "one\n"});
		snprintf(file, sizeof(file), "side2-%d.txt", i);
		FX_COMMIT(f, &side2, .author = "erin", .parents = {&side2},
		    .files = {file, "two\n"});
	}
	for (i = 1; i <= NCHAIN; i++) {
		bool merge = i == CLEAN_AT || i == OWN_AT;
		struct fx_spec s = {
		    .author = i % 50 || merge ? "alice" : "bob"};

		snprintf(file, sizeof(file), "main%d.txt", i);
		message(msg, sizeof(msg), i);
		s.parents[0] = &prev;
		if (i != CLEAN_AT) {
			s.files[0] = file;
			s.files[1] = "main\n";
		}
		s.msg = msg;
		if (merge) {
			s.parents[1] = i == CLEAN_AT ? &side1 : &side2;
			s.merge_tree = i == CLEAN_AT;
			s.approve[0] = (struct fx_app){.key = "carol"};
			s.approve[1] = (struct fx_app){.key = "bob"};
		} else if (i % 250 == 0)
			s.approve[0] = (struct fx_app){.key = "bob"};
		else {
			s.approve[0] =
			    (struct fx_app){.key = "bob", .kind = FX_APP_NOSIG};
			if (i % 3 == 0)
				s.approve[1] = (struct fx_app){
				    .key = "carol", .kind = FX_APP_NOSIG};
		}
		fx_commit(f, &c, &s);
		prev = c;
	}
	*tip = prev;
}

/* Decides the push with records spooled past stream_at commits. */
static int
decide(
    struct fx *f, struct tk_report *r, struct tk_updates *u, size_t stream_at)
{
	struct tk_check_opts o = TK_CHECK_OPTS_INIT;

	memset(u, 0, sizeof(*u));
	memset(r, 0, sizeof(*r));
	assert_int_equal(
	    tk_updates_parse(u, f->updates.ptr, f->updates.len), 0);
	o.pusher_login = f->pusher;
	o.now = f->now;
	o.stream_at = stream_at;
	return tk_check_run(r, f->repo, f->p, u, &o);
}

static void
push_of(struct fx *f, struct tk_audit_push *ap)
{
	memset(ap, 0, sizeof(*ap));
	ap->hook = "pre-receive";
	ap->repo = f->repo_dir;
	ap->now = f->now;
}

/* The record's body as tk_audit_format makes it (caller frees). */
static char *
format(struct fx *f, const struct tk_updates *u, const struct tk_report *r,
    size_t *len)
{
	struct tk_buf b = TK_BUF_INIT(TK_AUDIT_MAX_RECORD);
	struct tk_audit_push ap;
	char *s;

	push_of(f, &ap);
	if (tk_audit_format(&b, f->p, u, r, &ap) != 0)
		fail_msg("tk_audit_format: %s", tk_error_last());
	assert_non_null(s = tk_buf_detach(&b, len));
	return s;
}

static void
same_bytes(
    const char *what, const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < alen && i < blen && a[i] == b[i]; i++)
		;
	if (i < alen || i < blen)
		fail_msg("%s: %zu and %zu bytes, first difference at %zu: "
		         "'%.60s' against '%.60s'",
		    what, alen, blen, i, a + (i > 20 ? i - 20 : 0),
		    b + (i > 20 ? i - 20 : 0));
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)) != NULL; s++)
		n++;
	return n;
}

/* The log holding just the record tk_audit_write makes of r (freed). */
static char *
logged(struct fx *f, const struct tk_updates *u, const struct tk_report *r,
    size_t *len)
{
	struct tk_audit_push ap;
	char path[400];
	char *s;

	snprintf(path, sizeof(path), "%s/audit.jsonl", f->dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/audit.jsonl.head", f->dir);
	(void)unlink(path);
	push_of(f, &ap);
	if (tk_audit_write(f->p, u, r, &ap) != 0)
		fail_msg("tk_audit_write: %s", tk_error_last());
	snprintf(path, sizeof(path), "%s/audit.jsonl", f->dir);
	s = fx_read(path, len);
	assert_non_null(s);
	return s;
}

/*
 * The same push decided with its records held and spooled: the same
 * findings, and the same record, formatted and logged.
 */
static void
both_ways(struct fx *f, size_t ncommits, const char *must)
{
	struct tk_report held, spooled;
	struct tk_updates u1, u2;
	char *a, *b;
	size_t alen, blen, i;

	if (decide(f, &held, &u1, SIZE_MAX) != 0 ||
	    decide(f, &spooled, &u2, 0) != 0)
		fail_msg("tk_check_run: %s", tk_error_last());
	assert_int_equal(held.ncommits, ncommits);
	assert_null(held.spooled);
	assert_int_equal(spooled.ncommits, 0);
	assert_int_equal(tk_audit_commits_count(spooled.spooled, 0), ncommits);
	assert_int_equal(
	    held.verdicts[0].decision, spooled.verdicts[0].decision);
	assert_int_equal(held.nfindings, spooled.nfindings);
	for (i = 0; i < held.nfindings; i++)
		assert_string_equal(
		    held.findings[i].what, spooled.findings[i].what);

	a = format(f, &u1, &held, &alen);
	b = format(f, &u2, &spooled, &blen);
	same_bytes("tk_audit_format", a, alen, b, blen);
	assert_true(alen > (1u << 20)); /* the spool went to its file */
	assert_int_equal(count(a, "{\"id\":\""), ncommits);
	assert_true(count(a, must) > 0);
	free(a);
	free(b);

	a = logged(f, &u1, &held, &alen);
	b = logged(f, &u2, &spooled, &blen);
	same_bytes("tk_audit_write", a, alen, b, blen);
	free(a);
	free(b);
	tk_report_release(&held);
	tk_report_release(&spooled);
	tk_updates_release(&u1);
	tk_updates_release(&u2);
}

static void
test_stream__approvals(void **state)
{
	struct fx *f = *state;
	git_oid tip;

	fx_repo(f);
	build(f, &tip);
	fx_update(f, "refs/heads/main", &f->base, &tip);
	policy(f, R_APPROVALS);
	both_ways(f, NCHAIN + 2 * NSIDE, "\"covered_by\":\"");
	policy(f, R_WRITERS); /* records final when read: one part each */
	both_ways(f, NCHAIN + 2 * NSIDE, "\"writers\":[\"alice\"]");
}

/*
 * What a merge brings in shows the merge's approvers; a clean merge is
 * marked so, the other not; refused approvals are named.
 */
static void
test_stream__record_says(void **state)
{
	struct fx *f = *state;
	struct tk_report r;
	struct tk_updates u;
	char *s;
	size_t len;

	policy(f, R_APPROVALS);
	if (decide(f, &r, &u, 0) != 0)
		fail_msg("tk_check_run: %s", tk_error_last());
	s = format(f, &u, &r, &len);
	assert_int_equal(count(s, "\"via\":\"covered by merge "), 4 * NSIDE);
	assert_int_equal(
	    count(s, "\"merge\":{\"kind\":\"clean\",\"brings\":12"), 1);
	assert_int_equal(
	    count(s, "\"merge\":{\"kind\":\"not-clean\",\"brings\":12"), 1);
	assert_true(count(s, "no sshsig: signature") > NCHAIN / 2);
	free(s);
	tk_report_release(&r);
	tk_updates_release(&u);
}

/* Points TMPDIR at a directory that does not exist (restore: was). */
static char *
no_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *was = t ? strdup(t) : NULL;

	assert_int_equal(setenv("TMPDIR", "/nonexistent/tk-stream", 1), 0);
	return was;
}

static void
restore_tmpdir(char *was)
{
	if (was != NULL)
		assert_int_equal(setenv("TMPDIR", was, 1), 0);
	else
		assert_int_equal(unsetenv("TMPDIR"), 0);
	free(was);
}

/* No temporary file, no decision: the push is refused, saying why. */
static void
test_stream__spool_fails_closed(void **state)
{
	struct fx *f = *state;
	struct tk_report r;
	struct tk_updates u;
	char *was;
	int rc;

	policy(f, R_APPROVALS);
	was = no_tmpdir();
	rc = decide(f, &r, &u, 0);
	restore_tmpdir(was);
	assert_true(rc < 0);
	assert_true(r.refused);
	assert_non_null(strstr(tk_error_last(), "temporary file"));
	tk_report_release(&r);
	tk_updates_release(&u);
}

/*
 * A record over 1 MiB whose own temporary file cannot be made is not
 * written at all (it was once written without its first MiB).
 */
static void
test_stream__record_spool_fails_closed(void **state)
{
	struct fx *f = *state;
	struct tk_audit_push ap;
	struct tk_report r;
	struct tk_updates u;
	char path[400], *was;
	struct stat st;
	size_t at;

	policy(f, R_APPROVALS);
	snprintf(path, sizeof(path), "%s/audit.jsonl", f->dir);
	(void)unlink(path);
	push_of(f, &ap);
	for (at = 0; at < 2; at++) {
		/* held, then spooled: both records are over 1 MiB */
		if (decide(f, &r, &u, at == 0 ? SIZE_MAX : 0) != 0)
			fail_msg("tk_check_run: %s", tk_error_last());
		was = no_tmpdir();
		assert_true(tk_audit_write(f->p, &u, &r, &ap) < 0);
		restore_tmpdir(was);
		assert_non_null(strstr(tk_error_last(), "temporary file"));
		assert_true(stat(path, &st) != 0 || st.st_size == 0);
		tk_report_release(&r);
		tk_updates_release(&u);
	}
}

int
main(void)
{
	/* in this order: the first builds the repository the others use */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stream__approvals),
	    cmocka_unit_test(test_stream__record_says),
	    cmocka_unit_test(test_stream__spool_fails_closed),
	    cmocka_unit_test(test_stream__record_spool_fails_closed),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
