/*
 * The verification pool (lib/engine/prepare.c) under many threads: one
 * push of about a hundred signed commits and three hundred approvals,
 * decided with TWOKEY_THREADS=1 and then several times with 16 threads.
 * The reports must be identical, findings and audit records alike, since
 * the threads only prepare and the decision is made serially.
 *
 * Run under ThreadSanitizer by scripts/test (build-tsan), where a data race
 * in the pool, in the error-message slots or in a shared libgit2 object
 * fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "internal.h"
#include "repo_fixture.h"

#define NCHAIN 64
#define NSIDE 40
#define MERGE_AT 32

static const char R_APPROVALS[] = "  - name: main\n"
                                  "    refs: refs/heads/main\n"
                                  "    approvals: {min: 2, from: [reviewer]}\n";
static const char R_SIGNED[] = "  - name: main\n"
                               "    refs: refs/heads/main\n"
                               "    signed-commits: true\n"
                               "    approvals: {min: 3, from: [reviewer]}\n";

/*
 * main: base - c1 - ... - c64, where c32 merges a side branch of 40
 * commits.  Every commit is signed; chain commits carry two to four
 * approvals, some of which do not count (a stale one, a key outside the
 * policy, the signer's own), so every kind of verifier result is made on
 * some thread.
 */
static void
build(struct fx *f, git_oid *tip)
{
	git_oid prev = f->base, side = f->base, c;
	char file[32], msg[64];
	int i;

	for (i = 0; i < NSIDE; i++) {
		snprintf(file, sizeof(file), "side%d.txt", i);
		FX_COMMIT(f, &side, .author = "alice", .parents = {&side},
		    .files = {file, "side\n"}, .sign = i % 9 ? "alice" : NULL);
	}
	for (i = 1; i <= NCHAIN; i++) {
		struct fx_spec s = {.author = "alice", .sign = "alice"};
		size_t k = 0;

		snprintf(file, sizeof(file), "main%d.txt", i);
		snprintf(msg, sizeof(msg), "chain commit %d\n", i);
		s.parents[0] = &prev;
		if (i == MERGE_AT) {
			s.parents[1] = &side;
			s.merge_tree = true;
		}
		s.files[0] = file;
		s.files[1] = msg;
		s.msg = msg;
		if (i % 7 == 0) {
			/* signed by bob: his approval is a writer's */
			s.sign = "bob";
			s.approve[k++] = (struct fx_app){.key = "erin"};
		}
		s.approve[k++] = (struct fx_app){.key = "bob"};
		s.approve[k++] = (struct fx_app){.key = "carol"};
		if (i % 5 == 0)
			s.approve[k++] = (struct fx_app){.key = "mallory"};
		if (i % 3 == 0)
			s.approve[k++] = (struct fx_app){
			    .key = "erin2", .kind = FX_APP_STALE};
		fx_commit(f, &c, &s);
		prev = c;
	}
	*tip = prev;
}

static void
check_with(struct fx *f, struct tk_report *r, const char *threads)
{
	assert_int_equal(setenv("TWOKEY_THREADS", threads, 1), 0);
	if (fx_check(f, r) != 0)
		fail_msg("tk_check_run failed: %s", tk_error_last());
	assert_int_equal(r->nverdicts, 1);
	assert_int_equal(r->verdicts[0].nentering, NCHAIN + NSIDE);
}

static void
same_records(const struct tk_commit_record *a, const struct tk_commit_record *b)
{
	size_t i;

	assert_string_equal(a->id, b->id);
	assert_string_equal(a->subject, b->subject);
	assert_int_equal(a->chain, b->chain);
	for (i = 0; i < 3; i++)
		assert_ptr_equal(a->writers[i], b->writers[i]);
	assert_int_equal(a->napprovers, b->napprovers);
	for (i = 0; i < a->napprovers; i++)
		assert_ptr_equal(a->approvers[i], b->approvers[i]);
	if (a->refused == NULL || b->refused == NULL)
		assert_ptr_equal(a->refused, b->refused);
	else
		assert_string_equal(a->refused, b->refused);
}

static void
same_reports(const struct tk_report *a, const struct tk_report *b)
{
	size_t i;

	assert_int_equal(a->verdicts[0].decision, b->verdicts[0].decision);
	assert_int_equal(a->nfindings, b->nfindings);
	for (i = 0; i < a->nfindings; i++) {
		assert_int_equal(a->findings[i].sev, b->findings[i].sev);
		assert_string_equal(
		    a->findings[i].commit, b->findings[i].commit);
		assert_string_equal(a->findings[i].what, b->findings[i].what);
	}
	assert_int_equal(a->ncommits, b->ncommits);
	for (i = 0; i < a->ncommits; i++)
		same_records(&a->commits[i], &b->commits[i]);
}

static size_t
count(const struct tk_report *r, enum tk_severity sev, const char *text)
{
	size_t i, n = 0;

	for (i = 0; i < r->nfindings; i++)
		n += r->findings[i].sev == sev &&
		    strstr(r->findings[i].what, text) != NULL;
	return n;
}

static void
test_pool__threads_agree(void **state)
{
	struct fx *f = *state;
	struct tk_report one, many;
	git_oid tip;
	int run;

	fx_repo(f);
	fx_policy(f, R_APPROVALS);
	build(f, &tip);
	fx_update(f, "refs/heads/main", &f->base, &tip);

	/* Accepted: every chain commit has two approvals that count. */
	check_with(f, &one, "1");
	assert_int_equal(one.verdicts[0].decision, TK_ACCEPT);
	assert_int_equal(one.ncommits, NCHAIN + NSIDE);
	assert_int_equal(count(&one, TK_SEV_NOTE,
	                     "signed by a key not in "
	                     "the policy"),
	    NCHAIN / 5);
	assert_int_equal(count(&one, TK_SEV_NOTE,
	                     "its signature does not match this commit"),
	    NCHAIN / 3);
	assert_int_equal(
	    count(&one, TK_SEV_NOTE, "bob is a writer of this change"),
	    NCHAIN / 7);
	for (run = 0; run < 3; run++) {
		check_with(f, &many, "16");
		same_reports(&one, &many);
		tk_report_release(&many);
	}
	tk_report_release(&one);

	/* Refused: signatures required, three approvals. */
	fx_policy(f, R_SIGNED);
	check_with(f, &one, "1");
	assert_int_equal(one.verdicts[0].decision, TK_REFUSE);
	assert_int_equal(count(&one, TK_SEV_DENY,
	                     "unsigned commit, and the rule requires signed"),
	    (NSIDE + 8) / 9);
	assert_int_equal(
	    count(&one, TK_SEV_DENY, "signed by bob, who is neither"),
	    NCHAIN / 7);
	for (run = 0; run < 3; run++) {
		check_with(f, &many, "16");
		same_reports(&one, &many);
		tk_report_release(&many);
	}
	tk_report_release(&one);
	/* More threads than the pool allows are capped, not refused. */
	check_with(f, &many, "1000");
	assert_int_equal(many.verdicts[0].decision, TK_REFUSE);
	tk_report_release(&many);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool__threads_agree),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
