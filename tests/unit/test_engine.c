/*
 * Unit tests for the decision engine (tk_check_run): the separation rule,
 * roles per kind of update, merges, signed commits, created refs, warn
 * mode and promote-from, table-driven over repositories built here (see
 * repo_fixture.h: real ssh-keygen keys and signatures, commits written by
 * libgit2, the policy loaded from YAML).  Then the entering-commit walk,
 * tk_split_alternates, and the approval payload checked against one built
 * by hand.
 *
 * Every case names the verdict and the finding texts that matter, so a
 * broken check fails the case that exercises it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "internal.h"
#include "repo_fixture.h"
#include "twokey/freeze.h"
#include "twokey/repo.h"

/* ---- policies ---- */

#define MAIN_RULE                                                              \
	"  - name: main\n"                                                     \
	"    refs: refs/heads/main\n"                                          \
	"    update: [operations]\n"

/* Two approvals from reviewers: the rule most cases run under. */
static const char R_DEFAULT[] =
    MAIN_RULE "    approvals: {min: 2, from: [reviewer]}\n";
static const char R_REQUIRE[] =
    MAIN_RULE "    approvals: {min: 2, from: [reviewer, security], "
              "require: {security: 1}}\n";
static const char R_MIN3[] =
    MAIN_RULE "    approvals: {min: 3, from: [reviewer]}\n";
static const char R_NO_PUSHER_APPROVAL[] =
    MAIN_RULE "    approvals: {min: 2, from: [reviewer]}\n"
              "    pusher-may-approve: false\n";
static const char R_NO_PUSHER_WRITE[] =
    MAIN_RULE "    approvals: {min: 2, from: [reviewer]}\n"
              "    pusher-may-write: false\n";
static const char R_SIGNED[] = MAIN_RULE "    signed-commits: true\n";
static const char R_WARN[] =
    MAIN_RULE "    approvals: {min: 2, from: [reviewer]}\n"
              "    mode: warn\n";
static const char R_PROMOTE[] =
    MAIN_RULE "    promote-from: refs/heads/staging\n";
static const char R_ROLES[] = "  - name: release\n"
                              "    refs: refs/heads/release\n"
                              "    update: [operations]\n"
                              "    create: [developer]\n"
                              "    delete: []\n"
                              "    force-push: [admin]\n"
                              "  - name: dev\n"
                              "    refs: refs/heads/dev\n"
                              "    update: [developer, operations]\n"
                              "  - name: tags\n"
                              "    refs: refs/tags/.*\n"
                              "    create: [operations]\n"
                              "    force-push: []\n";
static const char R_VOUCH[] =
    MAIN_RULE "    approvals: {min: 2, from: [reviewer]}\n"
              "  - name: release\n"
              "    refs: refs/heads/release/.*\n"
              "    approvals: {min: 2, from: [reviewer]}\n"
              "  - name: staging\n"
              "    refs: refs/heads/staging\n"
              "    approvals: {min: 2, from: [reviewer]}\n"
              "    mode: warn\n"
              "  - name: other branches\n"
              "    refs: refs/heads/.*\n";
/*
 * Freezes at FX_NOW (2026-01-01T00:00:00Z): one in force on main, sandbox
 * (a warn-mode rule) and loose (no rule); one not started, one that ended
 * exactly now (the end is exclusive), one on another ref.
 */
static const char R_FREEZE[] =
    MAIN_RULE "    approvals: {min: 2, from: [reviewer]}\n"
              "  - name: sandbox\n"
              "    refs: refs/heads/sandbox\n"
              "    update: [reviewer]\n"
              "    mode: warn\n"
              "freezes:\n"
              "  - {name: now, refs: 'refs/heads/(main|sandbox|loose)', "
              "from: 2025-12-31, until: 2026-01-02, reason: year start}\n"
              "  - {name: later, refs: 'refs/heads/.*', "
              "from: '2026-01-01T00:00:01Z', until: 2026-01-03, "
              "reason: not yet}\n"
              "  - {name: over, refs: 'refs/heads/.*', from: 2025-12-01, "
              "until: 2026-01-01, reason: ended}\n"
              "  - {name: other, refs: refs/heads/other, from: 2025-12-01, "
              "until: 2026-02-01, reason: elsewhere}\n";

/* An emergency path on main: operations, an incident number, approvals. */
static const char R_EMERGENCY[] =
    MAIN_RULE "    approvals: {min: 2, from: [reviewer]}\n"
              "    pusher-may-write: false\n"
              "    emergency: {by: [operations], reason: 'INC-[0-9]+ .+', "
              "waive: [approvals], ratify: {within: 1h}}\n";

static const char R_VOUCH_PMW[] =
    MAIN_RULE "    approvals: {min: 2, from: [reviewer]}\n"
              "    pusher-may-write: false\n"
              "  - name: release\n"
              "    refs: refs/heads/release/.*\n"
              "    approvals: {min: 2, from: [reviewer]}\n"
              "    pusher-may-write: false\n";

/* ---- the table ---- */

struct ecase {
	const char *name;
	const char *rules;
	void (*build)(struct fx *f);
	enum tk_decision want; /* of every update */
	bool warned;
	/*
	 * Each "SEV:text" must be a substring of the text of some finding of
	 * that severity (DENY, WARN, NOTE); each absent text of none.
	 */
	const char *findings[4];
	const char *absent[3];
	void (*verify)(struct fx *f, const struct tk_report *r);
};

/* Case-specific results a verify function looks at. */
static git_oid g_c1, g_c2, g_c3;

static const char *
sev_name(enum tk_severity s)
{
	return s == TK_SEV_DENY ? "DENY" : s == TK_SEV_WARN ? "WARN" : "NOTE";
}

static void
dump(const struct tk_report *r)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		print_message("  %s %.12s %s | %s\n",
		    sev_name(r->findings[i].sev), r->findings[i].commit,
		    r->findings[i].what,
		    r->findings[i].hint ? r->findings[i].hint : "");
}

static bool
has_finding(const struct tk_report *r, const char *want)
{
	const char *colon = strchr(want, ':');
	size_t i;

	assert_non_null(colon);
	for (i = 0; i < r->nfindings; i++)
		if (strncmp(sev_name(r->findings[i].sev), want,
		        (size_t)(colon - want)) == 0 &&
		    strstr(r->findings[i].what, colon + 1) != NULL)
			return true;
	return false;
}

/* Returns false (having printed why) when the case fails. */
static bool
run_case(struct fx *f, const struct ecase *c)
{
	struct tk_report r;
	size_t i;
	bool bad = false, refused = false;

	fx_repo(f);
	fx_policy(f, c->rules ? c->rules : R_DEFAULT);
	c->build(f);
	if (fx_check(f, &r) != 0)
		fail_msg("case '%s': tk_check_run failed: %s", c->name,
		    tk_error_last());
	for (i = 0; i < r.nverdicts; i++) {
		refused |= r.verdicts[i].decision == TK_REFUSE;
		if (r.verdicts[i].decision != c->want ||
		    r.verdicts[i].warned != c->warned) {
			print_error("case '%s': update %zu: decision %d warned "
			            "%d, want %d and %d\n",
			    c->name, i, r.verdicts[i].decision,
			    r.verdicts[i].warned, c->want, c->warned);
			bad = true;
		}
	}
	if (r.refused != refused)
		bad = true;
	for (i = 0; i < TK_ARRAY_SIZE(c->findings) && c->findings[i]; i++)
		if (!has_finding(&r, c->findings[i])) {
			print_error("case '%s': no finding '%s'\n", c->name,
			    c->findings[i]);
			bad = true;
		}
	for (i = 0; i < TK_ARRAY_SIZE(c->absent) && c->absent[i]; i++)
		for (size_t k = 0; k < r.nfindings; k++)
			if (strstr(r.findings[k].what, c->absent[i])) {
				print_error("case '%s': unexpected finding "
				            "'%s'\n",
				    c->name, r.findings[k].what);
				bad = true;
			}
	if (bad) {
		dump(&r);
		print_error("ERROR: case '%s' failed\n", c->name);
	} else if (c->verify != NULL)
		c->verify(f, &r);
	tk_report_release(&r);
	return !bad;
}

/* One commit by alice on main's tip, approved as given, pushed to main. */
static void
push_main(struct fx *f, const struct fx_spec *s)
{
	struct fx_spec t = *s;

	if (t.author == NULL)
		t.author = "alice";
	if (t.parents[0] == NULL)
		t.parents[0] = &f->base;
	fx_commit(f, &g_c1, &t);
	fx_update(f, "refs/heads/main", &f->base, &g_c1);
}

#define PUSH_MAIN(f, ...) push_main((f), &(const struct fx_spec){__VA_ARGS__})

/* The audit record of the commit id, which must exist. */
static const struct tk_commit_record *
record_of(const struct tk_report *r, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	git_oid_tostr(hex, sizeof(hex), id);
	for (i = 0; i < r->ncommits; i++)
		if (strcmp(r->commits[i].id, hex) == 0)
			return &r->commits[i];
	fail_msg("no commit record for %s", hex);
	return NULL;
}

/* "bob,carol": the counted approvers of the commit, in order. */
static void
assert_approvers(const struct tk_report *r, const git_oid *id, const char *want)
{
	const struct tk_commit_record *cr = record_of(r, id);
	struct tk_buf b = TK_BUF_INIT(4096);
	size_t i;

	assert_int_equal(tk_buf_puts(&b, ""), 0);
	for (i = 0; i < cr->napprovers; i++)
		(void)tk_buf_printf(
		    &b, "%s%s", i ? "," : "", cr->approvers[i]->id);
	assert_string_equal(b.ptr, want);
	tk_buf_release(&b);
}

/* ---- the separation rule ---- */

static void
b_two_reviewers(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"bob"}, {"carol"}});
}

static void
v_two_reviewers(struct fx *f, const struct tk_report *r)
{
	const struct tk_commit_record *cr = record_of(r, &g_c1);

	assert_approvers(r, &g_c1, "bob,carol");
	assert_true(cr->chain);
	assert_string_equal(cr->writers[0]->id, "alice");
	assert_string_equal(cr->writers[1]->id, "alice");
	assert_null(cr->writers[2]);
	assert_null(cr->refused);
	assert_string_equal(cr->author, "alice@example.com");
	assert_int_equal(r->verdicts[0].nentering, 1);
	assert_string_equal(r->verdicts[0].rule->name, "main");
}

static void
b_one_reviewer(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"bob"}});
}

static void
b_author_approves(struct fx *f)
{
	PUSH_MAIN(f, .author = "bob", .approve = {{"bob"}, {"carol"}});
}

static void
v_author_approves(struct fx *f, const struct tk_report *r)
{
	const struct tk_commit_record *cr = record_of(r, &g_c1);

	assert_approvers(r, &g_c1, "carol");
	assert_non_null(cr->refused);
	assert_non_null(strstr(cr->refused,
	    "<bob@example.com>: bob is a "
	    "writer of this change"));
}

static void
b_committer_approves(struct fx *f)
{
	PUSH_MAIN(f, .committer = "bob", .approve = {{"bob"}, {"carol"}});
}

static void
b_signer_approves(struct fx *f)
{
	PUSH_MAIN(f, .sign = "bob", .approve = {{"bob"}, {"carol"}});
}

static void
v_signer(struct fx *f, const struct tk_report *r)
{
	assert_string_equal(record_of(r, &g_c1)->writers[2]->id, "bob");
}

static void
b_two_keys(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"erin"}, {"erin2"}});
}

static void
b_two_keys_and_bob(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"erin"}, {"erin2"}, {"bob"}});
}

static void
v_two_keys_and_bob(struct fx *f, const struct tk_report *r)
{
	assert_approvers(r, &g_c1, "erin,bob");
}

static void
b_forged_email(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"carol", "bob@example.com"}, {"erin"}});
}

static void
b_key_not_in_policy(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"mallory", "carol@example.com"}, {"bob"}});
}

static void
b_revoked(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"frank"}, {"bob"}});
}

static void
b_expired(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"gina"}, {"bob"}});
}

static void
b_expired_in_window(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"gina"}, {"bob"}});
	f->now = 1559347200; /* 2019-06-01: inside gina's window */
}

static void
b_expired_backdated(struct fx *f)
{
	/* the commit says 2019, but time is the push's, not the commit's */
	PUSH_MAIN(f, .when = 1559347200, .approve = {{"gina"}, {"bob"}});
}

static void
b_not_yet_valid(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"hank"}, {"bob"}});
}

static void
b_wrong_role(struct fx *f)
{
	PUSH_MAIN(f, .author = "carol", .approve = {{"alice"}, {"bob"}});
}

static void
b_bob_erin(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"bob"}, {"erin"}});
}

static void
b_bob_carol_erin(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"bob"}, {"carol"}, {"erin"}});
}

static void
b_pusher_approves(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"dave"}, {"bob"}});
}

static void
b_pusher_wrote(struct fx *f)
{
	PUSH_MAIN(f, .author = "dave", .approve = {{"bob"}, {"carol"}});
}

static void
b_pusher_committed(struct fx *f)
{
	PUSH_MAIN(f, .committer = "dave", .approve = {{"bob"}, {"carol"}});
}

static void
b_pusher_signed(struct fx *f)
{
	PUSH_MAIN(f, .sign = "dave", .approve = {{"bob"}, {"carol"}});
}

static void
b_other_pusher(struct fx *f)
{
	PUSH_MAIN(f, .author = "dave", .approve = {{"bob"}, {"carol"}});
	f->pusher = "olive";
}

static void
b_unknown_pusher(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"bob"}, {"carol"}});
	f->pusher = "nobody";
}

static void
b_stale(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"bob", .kind = FX_APP_STALE}, {"carol"}});
}

static void
b_namespace(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"bob", .kind = FX_APP_NS_GIT}, {"carol"}});
}

static void
b_nosig(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"bob", .kind = FX_APP_NOSIG}, {"carol"}});
}

/* Signed over a payload the test built by hand, not by the library. */
static void
b_hand_payload(struct fx *f)
{
	PUSH_MAIN(f, .parents = {&f->base},
	    .msg = "Subject line\n\nBody text.\n\nSigned-off-by: Alice "
	           "<alice@example.com>\n",
	    .approve = {
	        {"bob", .kind = FX_APP_HAND}, {"carol", .kind = FX_APP_HAND}});
}

static void
b_misplaced(struct fx *f)
{
	PUSH_MAIN(f,
	    .msg = "Subject\n\nApproved-by: Bob <bob@example.com> "
	           "sshsig:AAAA\n\nA closing paragraph of prose.\n");
}

/* c1 approved, c2 not, c3 approved: only c2 is named. */
static void
b_chain_middle(struct fx *f)
{
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base},
	    .approve = {{"bob"}, {"carol"}});
	FX_COMMIT(f, &g_c2, .author = "alice", .parents = {&g_c1},
	    .msg = "The middle one\n\nNobody approved it.\n");
	FX_COMMIT(f, &g_c3, .author = "alice", .parents = {&g_c2},
	    .approve = {{"bob"}, {"carol"}});
	fx_update(f, "refs/heads/main", &f->base, &g_c3);
}

static void
v_chain_middle(struct fx *f, const struct tk_report *r)
{
	char hex[GIT_OID_HEXSZ + 1];
	size_t i, ndeny = 0;

	git_oid_tostr(hex, sizeof(hex), &g_c2);
	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i].sev == TK_SEV_DENY) {
			assert_string_equal(r->findings[i].commit, hex);
			assert_string_equal(
			    r->findings[i].subject, "The middle one");
			ndeny++;
		}
	assert_int_equal(ndeny, 1);
	assert_int_equal(r->verdicts[0].nentering, 3);
	assert_approvers(r, &g_c1, "bob,carol");
	assert_approvers(r, &g_c3, "bob,carol");
}

/* Already on an unprotected branch: still entering main (not --all). */
static void
b_via_feature(struct fx *f)
{
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base});
	fx_ref(f, "refs/heads/feature", &g_c1);
	fx_update(f, "refs/heads/main", &f->base, &g_c1);
}

static void
b_not_a_commit(struct fx *f)
{
	git_commit *c = NULL;

	assert_int_equal(git_commit_lookup(&c, f->repo, &f->base), 0);
	fx_update(f, "refs/heads/main", &f->base, git_commit_tree_id(c));
	git_commit_free(c);
}

static void
b_missing_object(struct fx *f)
{
	git_oid id;

	assert_int_equal(
	    git_oid_fromstr(&id, "0123456789abcdef0123456789abcdef01234567"),
	    0);
	fx_update(f, "refs/heads/main", &f->base, &id);
}

static void
b_delete_main(struct fx *f)
{
	fx_update(f, "refs/heads/main", &f->base, NULL);
}

/* ---- roles per kind of update ---- */

static void
b_release_ff(struct fx *f)
{
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base});
	fx_ref(f, "refs/heads/release", &f->base);
	fx_update(f, "refs/heads/release", &f->base, &g_c1);
}

static void
v_release_ff(struct fx *f, const struct tk_report *r)
{
	assert_string_equal(r->verdicts[0].rule->name, "release");
	/* a roles-only rule inspects no commit */
	assert_int_equal(r->ncommits, 0);
}

static void
b_release_ff_alice(struct fx *f)
{
	b_release_ff(f);
	f->pusher = "alice";
}

static void
b_release_ff_nobody(struct fx *f)
{
	b_release_ff(f);
	f->pusher = "nobody";
}

static void
b_release_ff_no_pusher(struct fx *f)
{
	b_release_ff(f);
	f->pusher = NULL;
}

static void
b_release_create_alice(struct fx *f)
{
	fx_update(f, "refs/heads/release", NULL, &f->base);
	f->pusher = "alice";
}

static void
b_release_create_dave(struct fx *f)
{
	fx_update(f, "refs/heads/release", NULL, &f->base);
}

static void
b_release_delete(struct fx *f)
{
	fx_ref(f, "refs/heads/release", &f->base);
	fx_update(f, "refs/heads/release", &f->base, NULL);
}

static void
b_release_force(struct fx *f)
{
	/* c1 and c2 are siblings: c1 -> c2 is no fast-forward */
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base});
	FX_COMMIT(f, &g_c2, .author = "alice", .parents = {&f->base});
	fx_ref(f, "refs/heads/release", &g_c1);
	fx_update(f, "refs/heads/release", &g_c1, &g_c2);
}

static void
b_release_force_olive(struct fx *f)
{
	b_release_force(f);
	f->pusher = "olive";
}

static void
b_release_rewind(struct fx *f)
{
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base});
	fx_ref(f, "refs/heads/release", &g_c1);
	fx_update(f, "refs/heads/release", &g_c1, &f->base);
}

static void
b_dev_delete(struct fx *f, const char *pusher)
{
	fx_ref(f, "refs/heads/dev", &f->base);
	fx_update(f, "refs/heads/dev", &f->base, NULL);
	f->pusher = pusher;
}

static void
b_dev_delete_bob(struct fx *f)
{
	b_dev_delete(f, "bob");
}

static void
b_dev_delete_alice(struct fx *f)
{
	b_dev_delete(f, "alice");
}

static void
b_tag_move(struct fx *f)
{
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base});
	fx_ref(f, "refs/tags/v1", &f->base);
	/* a fast-forward in history, but a tag moving all the same */
	fx_update(f, "refs/tags/v1", &f->base, &g_c1);
}

static void
b_tag_create(struct fx *f)
{
	fx_update(f, "refs/tags/v2", NULL, &f->base);
}

static void
b_no_rule(struct fx *f)
{
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base});
	fx_update(f, "refs/heads/anything", NULL, &g_c1);
	f->pusher = "nobody";
}

static void
v_no_rule(struct fx *f, const struct tk_report *r)
{
	assert_null(r->verdicts[0].rule);
	assert_int_equal(r->nfindings, 0);
}

/* Two refs in one push: each gets its own verdict. */
static void
b_two_refs(struct fx *f)
{
	fx_ref(f, "refs/heads/dev", &f->base);
	fx_update(f, "refs/heads/release", NULL, &f->base);
	fx_update(f, "refs/heads/dev", &f->base, NULL);
	f->pusher = "dave";
}

static void
v_two_refs(struct fx *f, const struct tk_report *r)
{
	size_t i;

	assert_int_equal(r->nverdicts, 2);
	assert_true(r->refused);
	assert_int_equal(r->verdicts[0].decision, TK_REFUSE);
	assert_int_equal(r->verdicts[1].decision, TK_ACCEPT);
	for (i = 0; i < r->nfindings; i++)
		assert_int_equal(r->findings[i].update, 0);
}

/* ---- merges ---- */

/*
 * main (base) gets m1 by alice (approved), a side branch s1 by side_author
 * changes another file; X merges them, written by carol.
 */
static void
merge_setup(struct fx *f, const char *side_author, bool conflict)
{
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base},
	    .files = {"main.txt", "main\n", "shared.txt",
	        conflict ? "one\nTWO (main)\nthree\n" : NULL},
	    .approve = {{"bob"}, {"carol"}});
	FX_COMMIT(f, &g_c2, .author = side_author, .parents = {&f->base},
	    .files = {"side.txt", "side\n", "shared.txt",
	        conflict ? "one\nTWO (side)\nthree\n" : NULL});
}

static void
merge_push(struct fx *f)
{
	fx_update(f, "refs/heads/main", &f->base, &g_c3);
}

static void
b_merge_clean(struct fx *f)
{
	merge_setup(f, "alice", false);
	FX_COMMIT(f, &g_c3, .author = "carol", .parents = {&g_c1, &g_c2},
	    .merge_tree = true, .msg = "Merge side\n",
	    .approve = {{"carol"}, {"bob"}});
	merge_push(f);
}

static void
v_merge_clean(struct fx *f, const struct tk_report *r)
{
	assert_approvers(r, &g_c3, "carol,bob");
	assert_approvers(r, &g_c1, "bob,carol");
	/* the side commit is owned by the merge, not approved itself */
	assert_false(record_of(r, &g_c2)->chain);
	assert_true(record_of(r, &g_c3)->chain);
	assert_int_equal(r->verdicts[0].nentering, 3);
}

static void
v_merge_octopus(struct fx *f, const struct tk_report *r)
{
	assert_approvers(r, &g_c3, "carol,bob");
	assert_false(record_of(r, &g_c2)->chain);
	assert_int_equal(r->verdicts[0].nentering, 4);
}

static void
b_merge_evil(struct fx *f)
{
	merge_setup(f, "alice", false);
	FX_COMMIT(f, &g_c3, .author = "carol", .parents = {&g_c1, &g_c2},
	    .merge_tree = true, .files = {"evil.txt", "backdoor\n"},
	    .msg = "Merge side\n", .approve = {{"carol"}, {"bob"}});
	merge_push(f);
}

static void
b_merge_evil_others(struct fx *f)
{
	merge_setup(f, "alice", false);
	FX_COMMIT(f, &g_c3, .author = "carol", .parents = {&g_c1, &g_c2},
	    .merge_tree = true, .files = {"evil.txt", "backdoor\n"},
	    .msg = "Merge side\n", .approve = {{"bob"}, {"erin"}});
	merge_push(f);
}

static void
b_merge_drops_file(struct fx *f)
{
	merge_setup(f, "alice", false);
	FX_COMMIT(f, &g_c3, .author = "carol", .parents = {&g_c1, &g_c2},
	    .merge_tree = true, .files = {"README", NULL},
	    .msg = "Merge side\n", .approve = {{"carol"}, {"bob"}});
	merge_push(f);
}

static void
b_merge_conflict(struct fx *f)
{
	merge_setup(f, "alice", true);
	/* resolved by hand: main's side of shared.txt, plus side.txt */
	FX_COMMIT(f, &g_c3, .author = "carol", .parents = {&g_c1, &g_c2},
	    .files = {"side.txt", "side\n"}, .msg = "Merge side\n",
	    .approve = {{"carol"}, {"bob"}});
	merge_push(f);
}

static void
b_merge_conflict_others(struct fx *f)
{
	merge_setup(f, "alice", true);
	FX_COMMIT(f, &g_c3, .author = "carol", .parents = {&g_c1, &g_c2},
	    .files = {"side.txt", "side\n"}, .msg = "Merge side\n",
	    .approve = {{"bob"}, {"erin"}});
	merge_push(f);
}

static void
b_merge_owns_branch(struct fx *f)
{
	merge_setup(f, "bob", false);
	FX_COMMIT(f, &g_c3, .author = "carol", .parents = {&g_c1, &g_c2},
	    .merge_tree = true, .msg = "Merge side\n",
	    .approve = {{"bob"}, {"erin"}});
	merge_push(f);
}

static void
v_merge_owns_branch(struct fx *f, const struct tk_report *r)
{
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	/* the refusal is about the merge, never about the side commit */
	git_oid_tostr(hex, sizeof(hex), &g_c2);
	for (i = 0; i < r->nfindings; i++)
		assert_string_not_equal(r->findings[i].commit, hex);
	assert_approvers(r, &g_c3, "erin");
}

/* A clean octopus, as git's octopus strategy folds it: nothing own. */
static void
b_merge_octopus(struct fx *f)
{
	git_oid s2;

	merge_setup(f, "alice", false);
	FX_COMMIT(f, &s2, .author = "alice", .parents = {&f->base},
	    .files = {"side2.txt", "side2\n"});
	FX_COMMIT(f, &g_c3, .author = "carol", .parents = {&g_c1, &g_c2, &s2},
	    .files = {"side.txt", "side\n", "side2.txt", "side2\n"},
	    .msg = "Merge sides\n", .approve = {{"carol"}, {"bob"}});
	merge_push(f);
}

/* The same octopus with a file of its own: the merger wrote code. */
static void
b_merge_octopus_evil(struct fx *f)
{
	git_oid s2;

	merge_setup(f, "alice", false);
	FX_COMMIT(f, &s2, .author = "alice", .parents = {&f->base},
	    .files = {"side2.txt", "side2\n"});
	FX_COMMIT(f, &g_c3, .author = "carol", .parents = {&g_c1, &g_c2, &s2},
	    .files = {"side.txt", "side\n", "side2.txt", "side2\n", "own.txt",
	        "own\n"},
	    .msg = "Merge sides\n", .approve = {{"carol"}, {"bob"}});
	merge_push(f);
}

/* ---- signed commits ---- */

static void
b_unsigned(struct fx *f)
{
	PUSH_MAIN(f, .author = "alice");
}

static void
b_signed_by_other(struct fx *f)
{
	PUSH_MAIN(f, .sign = "bob");
}

static void
b_signed_good(struct fx *f)
{
	PUSH_MAIN(f, .sign = "alice");
}

static void
v_signed_good(struct fx *f, const struct tk_report *r)
{
	assert_string_equal(record_of(r, &g_c1)->writers[2]->id, "alice");
}

static void
b_signed_by_committer(struct fx *f)
{
	PUSH_MAIN(f, .committer = "carol", .sign = "carol");
}

static void
b_signed_unknown_key(struct fx *f)
{
	PUSH_MAIN(f, .sign = "mallory");
}

static void
b_signed_revoked(struct fx *f)
{
	PUSH_MAIN(f, .author = "frank", .sign = "frank");
}

static void
b_signed_expired(struct fx *f)
{
	PUSH_MAIN(f, .author = "gina", .sign = "gina");
}

static void
b_signed_tampered(struct fx *f)
{
	PUSH_MAIN(f, .sign = "alice", .sign_stale = true);
}

static void
b_signed_namespace(struct fx *f)
{
	PUSH_MAIN(f, .sign = "alice", .sign_ns = "twokey-approval");
}

static void
b_signed_second_unsigned(struct fx *f)
{
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base},
	    .sign = "alice");
	FX_COMMIT(f, &g_c2, .author = "alice", .parents = {&g_c1});
	fx_update(f, "refs/heads/main", &f->base, &g_c2);
}

static void
v_signed_second_unsigned(struct fx *f, const struct tk_report *r)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), &g_c2);
	assert_int_equal(r->nfindings, 1);
	assert_string_equal(r->findings[0].commit, hex);
}

/* ---- created refs ---- */

/* main moved on to c1 (approved) before this push. */
static void
vouch_setup(struct fx *f)
{
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base},
	    .approve = {{"bob"}, {"carol"}});
	fx_ref(f, "refs/heads/main", &g_c1);
}

static void
b_create_at_main(struct fx *f)
{
	vouch_setup(f);
	fx_update(f, "refs/heads/release/1", NULL, &g_c1);
}

static void
v_nothing_enters(struct fx *f, const struct tk_report *r)
{
	assert_int_equal(r->verdicts[0].nentering, 0);
	assert_int_equal(r->ncommits, 0);
}

static void
b_create_on_top(struct fx *f)
{
	vouch_setup(f);
	FX_COMMIT(f, &g_c2, .author = "alice", .parents = {&g_c1},
	    .approve = {{"bob"}, {"erin"}});
	fx_update(f, "refs/heads/release/1", NULL, &g_c2);
}

static void
v_one_enters(struct fx *f, const struct tk_report *r)
{
	assert_int_equal(r->verdicts[0].nentering, 1);
	assert_int_equal(r->ncommits, 1);
	assert_approvers(r, &g_c2, "bob,erin");
}

static void
b_create_from_feature(struct fx *f)
{
	vouch_setup(f);
	FX_COMMIT(f, &g_c2, .author = "alice", .parents = {&g_c1});
	fx_ref(f, "refs/heads/feature", &g_c2);
	fx_update(f, "refs/heads/release/2", NULL, &g_c2);
}

static void
b_create_from_warn_ref(struct fx *f)
{
	vouch_setup(f);
	FX_COMMIT(f, &g_c2, .author = "alice", .parents = {&g_c1});
	fx_ref(f, "refs/heads/staging", &g_c2);
	fx_update(f, "refs/heads/release/3", NULL, &g_c2);
}

/* A created ref under the same protected rule vouches for the next one. */
static void
b_create_from_release(struct fx *f)
{
	vouch_setup(f);
	FX_COMMIT(f, &g_c2, .author = "alice", .parents = {&g_c1},
	    .approve = {{"bob"}, {"erin"}});
	fx_ref(f, "refs/heads/release/1", &g_c2);
	fx_update(f, "refs/heads/release/2", NULL, &g_c2);
}

/* main is a merge (c3) of c1 and a side commit c2; c2 only behind it. */
static void
vouch_merge_setup(struct fx *f)
{
	merge_setup(f, "alice", false);
	FX_COMMIT(f, &g_c3, .author = "carol", .parents = {&g_c1, &g_c2},
	    .merge_tree = true, .msg = "Merge side\n",
	    .approve = {{"bob"}, {"erin"}});
	fx_ref(f, "refs/heads/main", &g_c3);
}

static void
b_create_at_first_parent(struct fx *f)
{
	vouch_merge_setup(f);
	fx_update(f, "refs/heads/release/1", NULL, &g_c1);
}

static void
b_create_at_second_parent(struct fx *f)
{
	vouch_merge_setup(f);
	fx_update(f, "refs/heads/release/1", NULL, &g_c2);
}

/* pusher-may-write: false, nothing enters: the tip's writer may not. */
static void
b_create_tip_by_writer(struct fx *f)
{
	vouch_setup(f);
	f->pusher = "alice";
	fx_update(f, "refs/heads/release/1", NULL, &g_c1);
}

static void
b_create_tip_by_other(struct fx *f)
{
	vouch_setup(f);
	f->pusher = "dave";
	fx_update(f, "refs/heads/release/1", NULL, &g_c1);
}

/* Only the tip is the pusher's concern: alice wrote base, not c1. */
static void
b_create_tip_over_own_history(struct fx *f)
{
	FX_COMMIT(f, &g_c1, .author = "carol", .parents = {&f->base},
	    .approve = {{"bob"}, {"erin"}});
	fx_ref(f, "refs/heads/main", &g_c1);
	f->pusher = "alice";
	fx_update(f, "refs/heads/release/1", NULL, &g_c1);
}

/* The merge tip brings alice's c2 in. */
static void
b_create_merge_tip_by_side_writer(struct fx *f)
{
	vouch_merge_setup(f);
	f->pusher = "alice";
	fx_ref(f, "refs/heads/release/0", &g_c3);
	fx_update(f, "refs/heads/release/1", NULL, &g_c3);
}

/* ---- warn mode, promote-from ---- */

static void
b_warn_roles(struct fx *f)
{
	PUSH_MAIN(f, .approve = {{"bob"}, {"carol"}});
	f->pusher = "alice";
}

static void
b_promote_missing(struct fx *f)
{
	PUSH_MAIN(f, .author = "alice");
}

static void
b_promote_not_there(struct fx *f)
{
	fx_ref(f, "refs/heads/staging", &f->base);
	PUSH_MAIN(f, .author = "alice");
}

static void
b_promote_there(struct fx *f)
{
	PUSH_MAIN(f, .author = "alice");
	fx_ref(f, "refs/heads/staging", &g_c1);
}

#define ACC TK_ACCEPT
#define REF TK_REFUSE
#define NOT_COUNTED "NOTE:approval by <"
#define NEEDS_ONE "DENY:not approved: needs 1 more approval"

/* alice's commit on the base, pushed to ref (created at the base first) */
static void
push_ref_at_base(struct fx *f, const char *ref, const char *pusher)
{
	FX_COMMIT(f, &g_c1, .author = "alice", .parents = {&f->base});
	fx_ref(f, ref, &f->base);
	fx_update(f, ref, &f->base, &g_c1);
	f->pusher = pusher;
}

static void
b_freeze_sandbox(struct fx *f)
{
	push_ref_at_base(f, "refs/heads/sandbox", "bob");
}

static void
b_freeze_loose(struct fx *f)
{
	push_ref_at_base(f, "refs/heads/loose", "alice");
}

static void
b_freeze_free(struct fx *f)
{
	push_ref_at_base(f, "refs/heads/free", "alice");
}

static const struct tk_freeze_state broken_freezes = {TK_EIO, {NULL, 0}};

static void
b_freeze_unreadable(struct fx *f)
{
	push_ref_at_base(f, "refs/heads/free", "alice");
	f->freezes = &broken_freezes;
}

/* alice's unapproved commit on main, pushed with an emergency */
static void
b_emergency(struct fx *f)
{
	push_ref_at_base(f, "refs/heads/main", "dave");
	f->emergency = "INC-7 db down";
}

static void
b_emergency_by_bob(struct fx *f)
{
	b_emergency(f);
	f->pusher = "bob";
}

static void
b_emergency_bad_reason(struct fx *f)
{
	b_emergency(f);
	f->emergency = "db down";
}

static void
b_emergency_dave_wrote(struct fx *f)
{
	FX_COMMIT(f, &g_c1, .author = "dave", .parents = {&f->base});
	fx_update(f, "refs/heads/main", &f->base, &g_c1);
	f->emergency = "INC-7 db down";
}

static const struct ecase cases[] = {
    /* the separation rule */
    {"two reviewers approve alice's commit", NULL, b_two_reviewers, ACC, false,
        {NULL}, {"not counted", "not approved"}, v_two_reviewers},
    {"one approval of two", NULL, b_one_reviewer, REF, false,
        {NEEDS_ONE "; counted: bob (reviewer)"}, {"not counted"}, NULL},
    {"the author approves her own commit", NULL, b_author_approves, REF, false,
        {"NOTE:approval by <bob@example.com> not counted: bob is a writer "
         "of this change",
            NEEDS_ONE "; counted: carol (reviewer, security); 1 approval "
                      "not counted"},
        {NULL}, v_author_approves},
    {"the committer approves", NULL, b_committer_approves, REF, false,
        {"NOTE:approval by <bob@example.com> not counted: bob is a "
         "writer",
            NEEDS_ONE},
        {NULL}, NULL},
    {"the signer approves (signatures not required)", NULL, b_signer_approves,
        REF, false,
        {"NOTE:approval by <bob@example.com> not counted: bob is a "
         "writer",
            NEEDS_ONE},
        {NULL}, v_signer},
    {"one identity with two keys counts once", NULL, b_two_keys, REF, false,
        {NEEDS_ONE "; counted: erin (reviewer)"}, {"not counted"}, NULL},
    {"two keys of erin and bob: two identities", NULL, b_two_keys_and_bob, ACC,
        false, {NULL}, {"not counted"}, v_two_keys_and_bob},
    {"forged email: carol signs as bob", NULL, b_forged_email, REF, false,
        {"NOTE:approval by <bob@example.com> not counted: forged: the "
         "trailer names <bob@example.com>, which is not an email of "
         "carol, who signed it",
            NEEDS_ONE "; counted: erin"},
        {NULL}, NULL},
    {"a key no identity holds", NULL, b_key_not_in_policy, REF, false,
        {"NOTE:approval by <carol@example.com> not counted: signed by a "
         "key not in the policy (SHA256:",
            NEEDS_ONE "; counted: bob"},
        {NULL}, NULL},
    {"a revoked key", NULL, b_revoked, REF, false,
        {"NOTE:approval by <frank@example.com> not counted: signed by a "
         "revoked key of frank",
            NEEDS_ONE},
        {NULL}, NULL},
    {"a key past its validity window", NULL, b_expired, REF, false,
        {"NOTE:approval by <gina@example.com> not counted: signed by a key "
         "of gina that is outside its validity window now",
            NEEDS_ONE},
        {NULL}, NULL},
    {"the same approval inside the window (push time)", NULL,
        b_expired_in_window, ACC, false, {NULL}, {"not counted"}, NULL},
    {"a backdated commit does not reopen the window", NULL, b_expired_backdated,
        REF, false,
        {"NOTE:approval by <gina@example.com> not counted: signed by a key "
         "of gina that is outside its validity window now"},
        {NULL}, NULL},
    {"a key not valid yet", NULL, b_not_yet_valid, REF, false,
        {"NOTE:approval by <hank@example.com> not counted: signed by a key "
         "of hank that is outside its validity window now",
            NEEDS_ONE},
        {NULL}, NULL},
    {"an approver without a role of from", NULL, b_wrong_role, REF, false,
        {"NOTE:approval by <alice@example.com> not counted: alice holds no "
         "role this rule accepts approvals from",
            NEEDS_ONE "; counted: bob"},
        {NULL}, NULL},
    {"require: no security approval", R_REQUIRE, b_bob_erin, REF, false,
        {"DENY:not approved: needs 1 more from role security; counted: "
         "bob (reviewer), erin (reviewer)"},
        {"more approval"}, NULL},
    {"require: carol is security", R_REQUIRE, b_two_reviewers, ACC, false,
        {NULL}, {NULL}, NULL},
    {"min 3: two are not enough", R_MIN3, b_two_reviewers, REF, false,
        {NEEDS_ONE "; counted: bob (reviewer), carol (reviewer, "
                   "security)"},
        {NULL}, NULL},
    {"min 3: three are", R_MIN3, b_bob_carol_erin, ACC, false, {NULL}, {NULL},
        NULL},
    {"the pusher approves (allowed by default)", NULL, b_pusher_approves, ACC,
        false, {NULL}, {"not counted"}, NULL},
    {"pusher-may-approve: false", R_NO_PUSHER_APPROVAL, b_pusher_approves, REF,
        false,
        {"NOTE:approval by <dave@example.com> not counted: dave is "
         "pushing, and the rule does not let the pusher approve",
            NEEDS_ONE "; counted: bob"},
        {NULL}, NULL},
    {"pusher-may-write: false, pusher is the author", R_NO_PUSHER_WRITE,
        b_pusher_wrote, REF, false,
        {"DENY:pusher 'dave' wrote this commit (as author), and the rule "
         "does not let writers push (pusher-may-write: false)"},
        {"not approved"}, NULL},
    {"pusher-may-write: false, pusher is the committer", R_NO_PUSHER_WRITE,
        b_pusher_committed, REF, false,
        {"DENY:pusher 'dave' wrote this commit (as committer)"}, {NULL}, NULL},
    {"pusher-may-write: false, pusher signed it", R_NO_PUSHER_WRITE,
        b_pusher_signed, REF, false,
        {"DENY:pusher 'dave' wrote this commit (as signer)"}, {NULL}, NULL},
    {"pusher-may-write: false, someone else pushes", R_NO_PUSHER_WRITE,
        b_other_pusher, ACC, false, {NULL}, {NULL}, NULL},
    {"pusher-may-write: false, pusher unknown", R_NO_PUSHER_WRITE,
        b_unknown_pusher, REF, false,
        {"DENY:pusher unknown (the pusher login is not in the policy; "
         "consulted: TK_TEST_NO_SUCH_VARIABLE; login 'nobody'), so the "
         "rule does not let writers push"},
        {NULL}, NULL},
    {"an approval signed for another change", NULL, b_stale, REF, false,
        {"NOTE:approval by <bob@example.com> not counted: its signature "
         "does not match this commit",
            NEEDS_ONE "; counted: carol"},
        {NULL}, NULL},
    {"an approval signed in namespace git", NULL, b_namespace, REF, false,
        {"NOTE:approval by <bob@example.com> not counted: its signature "
         "does not match this commit",
            NEEDS_ONE},
        {NULL}, NULL},
    {"Approved-by without sshsig:", NULL, b_nosig, REF, false,
        {"NOTE:approval by <bob@example.com> not counted: it carries no "
         "sshsig: signature",
            NEEDS_ONE},
        {NULL}, NULL},
    {"approvals over a payload built by hand", NULL, b_hand_payload, ACC, false,
        {NULL}, {"not counted"}, NULL},
    {"Approved-by lines outside the trailer block", NULL, b_misplaced, REF,
        false,
        {"NOTE:Approved-by lines outside the trailer block are ignored",
            "DENY:not approved: needs 2 more approvals; counted: none"},
        {NULL}, NULL},
    {"an unapproved commit in the middle of the chain", NULL, b_chain_middle,
        REF, false,
        {"DENY:not approved: needs 2 more approvals; counted: none"}, {NULL},
        v_chain_middle},
    {"a commit already on a feature branch still enters main", NULL,
        b_via_feature, REF, false,
        {"DENY:not approved: needs 2 more approvals"}, {NULL}, NULL},
    {"the new value is a tree", NULL, b_not_a_commit, REF, false,
        {"DENY:the new value is a tree, not a commit"}, {NULL}, NULL},
    {"the new value does not exist", NULL, b_missing_object, REF, false,
        {"DENY:the new value cannot be found in the repository"}, {NULL}, NULL},
    {"deleting main: update roles, no commit to inspect", NULL, b_delete_main,
        ACC, false, {NULL}, {NULL}, NULL},

    /* roles per kind */
    {"update by operations", R_ROLES, b_release_ff, ACC, false, {NULL}, {NULL},
        v_release_ff},
    {"update by a developer", R_ROLES, b_release_ff_alice, REF, false,
        {"DENY:pusher 'alice' may not update this ref: that takes one of "
         "the roles: operations"},
        {NULL}, NULL},
    {"update by a login not in the policy", R_ROLES, b_release_ff_nobody, REF,
        false,
        {"DENY:pusher unknown (the pusher login is not in the policy; "
         "consulted: TK_TEST_NO_SUCH_VARIABLE; login 'nobody'), so the "
         "rule restricts who may update this ref"},
        {NULL}, NULL},
    {"update with no pusher at all", R_ROLES, b_release_ff_no_pusher, REF,
        false,
        {"DENY:pusher unknown (no variable of pusher.env is set; "
         "consulted: TK_TEST_NO_SUCH_VARIABLE), so the rule restricts who "
         "may update this ref"},
        {NULL}, NULL},
    {"create by operations: create roles are not update roles", R_ROLES,
        b_release_create_dave, REF, false,
        {"DENY:pusher 'dave' may not create this ref: that takes one of "
         "the roles: developer"},
        {NULL}, NULL},
    {"create by a developer", R_ROLES, b_release_create_alice, ACC, false,
        {NULL}, {NULL}, NULL},
    {"delete: [] lets nobody", R_ROLES, b_release_delete, REF, false,
        {"DENY:nobody may delete this ref"}, {NULL}, NULL},
    {"force-push by operations, not admin", R_ROLES, b_release_force, REF,
        false,
        {"DENY:pusher 'dave' may not force-push this ref: that takes one "
         "of the roles: admin"},
        {NULL}, NULL},
    {"force-push by admin", R_ROLES, b_release_force_olive, ACC, false, {NULL},
        {NULL}, NULL},
    {"a rewind is a force-push", R_ROLES, b_release_rewind, REF, false,
        {"DENY:pusher 'dave' may not force-push this ref"}, {NULL}, NULL},
    {"delete falls back to update roles: reviewer refused", R_ROLES,
        b_dev_delete_bob, REF, false,
        {"DENY:pusher 'bob' may not delete this ref: that takes one of the "
         "roles: developer, operations"},
        {NULL}, NULL},
    {"delete falls back to update roles: developer", R_ROLES,
        b_dev_delete_alice, ACC, false, {NULL}, {NULL}, NULL},
    {"a tag that moves forward is a force-push", R_ROLES, b_tag_move, REF,
        false, {"DENY:nobody may force-push this ref"}, {NULL}, NULL},
    {"a tag created by operations", R_ROLES, b_tag_create, ACC, false, {NULL},
        {NULL}, NULL},
    {"a ref no rule matches", R_ROLES, b_no_rule, ACC, false, {NULL}, {NULL},
        v_no_rule},

    /* merges */
    {"clean merge: the merger's approval counts", NULL, b_merge_clean, ACC,
        false, {NULL}, {"not counted"}, v_merge_clean},
    {"evil merge: the merger is a writer", NULL, b_merge_evil, REF, false,
        {"NOTE:approval by <carol@example.com> not counted: carol is a "
         "writer of this change",
            NEEDS_ONE "; counted: bob"},
        {NULL}, NULL},
    {"evil merge approved by two who wrote none of it", NULL,
        b_merge_evil_others, ACC, false, {NULL}, {"not counted"}, NULL},
    {"a merge that drops a file is evil", NULL, b_merge_drops_file, REF, false,
        {"NOTE:approval by <carol@example.com> not counted: carol is a "
         "writer"},
        {NULL}, NULL},
    {"conflict resolved by the merger: a writer", NULL, b_merge_conflict, REF,
        false,
        {"NOTE:approval by <carol@example.com> not counted: carol is a "
         "writer"},
        {NULL}, NULL},
    {"conflict resolution approved by others", NULL, b_merge_conflict_others,
        ACC, false, {NULL}, {"not counted"}, NULL},
    {"the merge answers for the branch it brings in", NULL, b_merge_owns_branch,
        REF, false,
        {"NOTE:approval by <bob@example.com> not counted: bob is a writer "
         "of this change (author, committer or signer of it or of a "
         "commit it brings in)",
            NEEDS_ONE "; counted: erin"},
        {NULL}, v_merge_owns_branch},
    {"clean octopus merge: the merger's approval counts", NULL, b_merge_octopus,
        ACC, false, {NULL}, {"not counted", "cannot reproduce"},
        v_merge_octopus},
    {"octopus merge with a change of its own: the merger is a writer", NULL,
        b_merge_octopus_evil, REF, false,
        {"NOTE:approval by <carol@example.com> not counted: carol is a "
         "writer"},
        {"cannot reproduce"}, NULL},

    /* signed commits */
    {"unsigned commit", R_SIGNED, b_unsigned, REF, false,
        {"DENY:unsigned commit, and the rule requires signed commits"}, {NULL},
        NULL},
    {"signed by someone else", R_SIGNED, b_signed_by_other, REF, false,
        {"DENY:signed by bob, who is neither its author (alice) nor its "
         "committer (alice)"},
        {NULL}, NULL},
    {"signed by its author", R_SIGNED, b_signed_good, ACC, false, {NULL},
        {NULL}, v_signed_good},
    {"signed by its committer", R_SIGNED, b_signed_by_committer, ACC, false,
        {NULL}, {NULL}, NULL},
    {"signed by a key no identity holds", R_SIGNED, b_signed_unknown_key, REF,
        false, {"DENY:signed by a key that is not in the policy (SHA256:"},
        {NULL}, NULL},
    {"signed by a revoked key", R_SIGNED, b_signed_revoked, REF, false,
        {"DENY:signed by a revoked key (SHA256:"}, {NULL}, NULL},
    {"signed by a key past its window", R_SIGNED, b_signed_expired, REF, false,
        {"DENY:of gina, which is outside its validity window now"}, {NULL},
        NULL},
    {"a signature over something else", R_SIGNED, b_signed_tampered, REF, false,
        {"DENY:bad signature: "}, {NULL}, NULL},
    {"a signature in the approval namespace", R_SIGNED, b_signed_namespace, REF,
        false, {"DENY:bad signature: "}, {NULL}, NULL},
    {"the second commit unsigned", R_SIGNED, b_signed_second_unsigned, REF,
        false, {"DENY:unsigned commit"}, {NULL}, v_signed_second_unsigned},

    /* created refs */
    {"created at main's tip: nothing enters", R_VOUCH, b_create_at_main, ACC,
        false, {NULL}, {NULL}, v_nothing_enters},
    {"created on top of main: only the new commit enters", R_VOUCH,
        b_create_on_top, ACC, false, {NULL}, {NULL}, v_one_enters},
    {"created at a commit of an unprotected branch", R_VOUCH,
        b_create_from_feature, REF, false,
        {"DENY:not approved: needs 2 more approvals"}, {NULL}, NULL},
    {"created at a commit of a warn-mode ref: it vouches for nothing", R_VOUCH,
        b_create_from_warn_ref, REF, false,
        {"DENY:not approved: needs 2 more approvals"}, {NULL}, NULL},
    {"created at a commit of another protected release", R_VOUCH,
        b_create_from_release, ACC, false, {NULL}, {NULL}, v_nothing_enters},
    {"created at main's first parent", R_VOUCH, b_create_at_first_parent, ACC,
        false, {NULL}, {NULL}, v_nothing_enters},
    {"created at a commit only behind main's merge", R_VOUCH,
        b_create_at_second_parent, REF, false,
        {"DENY:it only arrived inside a merge"}, {"DENY:not approved"}, NULL},
    {"created by the tip's writer, nothing entering", R_VOUCH_PMW,
        b_create_tip_by_writer, REF, false,
        {"DENY:pusher 'alice' wrote this commit (as author)"}, {NULL},
        v_nothing_enters},
    {"created by someone else, nothing entering", R_VOUCH_PMW,
        b_create_tip_by_other, ACC, false, {NULL}, {NULL}, v_nothing_enters},
    {"created by a writer of older history only, nothing entering", R_VOUCH_PMW,
        b_create_tip_over_own_history, ACC, false, {NULL}, {NULL},
        v_nothing_enters},
    {"created at a merge that brings the pusher's commit in", R_VOUCH_PMW,
        b_create_merge_tip_by_side_writer, REF, false,
        {"DENY:pusher 'alice' wrote this commit (as author)"},
        {"DENY:pusher 'alice' wrote this commit (as committer)"},
        v_nothing_enters},

    /* warn mode */
    {"warn mode: unapproved, accepted with a warning", R_WARN, b_one_reviewer,
        ACC, true, {"WARN:not approved: needs 1 more approval"}, {NULL}, NULL},
    {"warn mode: a role refusal is a warning too", R_WARN, b_warn_roles, ACC,
        true,
        {"WARN:pusher 'alice' may not update this ref: that takes one of "
         "the roles: operations"},
        {NULL}, NULL},
    {"warn mode: approved, no warning", R_WARN, b_two_reviewers, ACC, false,
        {NULL}, {NULL}, NULL},

    /* emergencies (docs/spec.md, "Emergency changes") */
    {"emergency: granted, the waived approvals only warn", R_EMERGENCY,
        b_emergency, ACC, false,
        {"NOTE:emergency granted: approvals waived",
            "WARN:waived by the emergency: not approved"},
        {NULL}, NULL},
    {"emergency: pusher-may-write is not waived", R_EMERGENCY,
        b_emergency_dave_wrote, REF, false,
        {"DENY:pusher 'dave' wrote this commit",
            "WARN:waived by the emergency: not approved"},
        {NULL}, NULL},
    {"emergency: by a role not in by", R_EMERGENCY, b_emergency_by_bob, REF,
        false,
        {"DENY:emergency refused: pusher 'bob' may not invoke it",
            "DENY:not approved"},
        {"waived by the emergency"}, NULL},
    {"emergency: a reason the pattern refuses", R_EMERGENCY,
        b_emergency_bad_reason, REF, false,
        {"DENY:emergency refused: the reason does not match",
            "DENY:not approved"},
        {"waived by the emergency"}, NULL},
    {"emergency: a rule without an emergency path", R_DEFAULT, b_emergency, REF,
        false,
        {"DENY:emergency refused: this ref has no emergency path",
            "DENY:not approved"},
        {NULL}, NULL},
    /* freezes */
    {"freeze: an approved push to main during a freeze", R_FREEZE,
        b_two_reviewers, REF, false,
        {"DENY:this ref is frozen: freeze 'now', until "
         "2026-01-02T00:00:00Z: year start"},
        {"'later'", "'over'", "'other'"}, NULL},
    {"freeze: a rule's warn mode does not soften it", R_FREEZE,
        b_freeze_sandbox, REF, false, {"DENY:freeze 'now'"}, {NULL}, NULL},
    {"freeze: a ref no rule matches, its own pattern decides", R_FREEZE,
        b_freeze_loose, REF, false, {"DENY:freeze 'now'"}, {NULL}, NULL},
    {"freeze: a ref no freeze covers", R_FREEZE, b_freeze_free, ACC, false,
        {NULL}, {"frozen"}, NULL},
    {"freeze: an unreadable ad hoc freeze store refuses every ref", R_FREEZE,
        b_freeze_unreadable, REF, false,
        {"DENY:the server's ad hoc freeze state cannot be read"}, {NULL}, NULL},

    /* promote-from */
    {"promote-from a ref that does not exist", R_PROMOTE, b_promote_missing,
        REF, false,
        {"DENY:the rule only accepts commits already on refs/heads/staging "
         "(promote-from), which does not exist"},
        {NULL}, NULL},
    {"promote-from: the commit is not there yet", R_PROMOTE,
        b_promote_not_there, REF, false,
        {"DENY:1 entering commit is not on refs/heads/staging yet"}, {NULL},
        NULL},
    {"promote-from: the commit is there", R_PROMOTE, b_promote_there, ACC,
        false, {NULL}, {NULL}, NULL},
};

static const struct ecase two_refs = {"two refs in one push", R_ROLES,
    b_two_refs, REF, false, {"DENY:pusher 'dave' may not create this ref"},
    {NULL}, v_two_refs};

static void
test_engine__cases(void **state)
{
	struct fx *f = *state;
	const char *only = getenv("TK_ENGINE_CASE");
	size_t i, ran = 0, failed = 0;

	/* Every case runs, so one broken check shows all it breaks. */
	for (i = 0; i < TK_ARRAY_SIZE(cases); i++) {
		if (only != NULL && strstr(cases[i].name, only) == NULL)
			continue;
		failed += !run_case(f, &cases[i]);
		ran++;
	}
	print_message("%zu engine cases, %zu failed\n", ran, failed);
	assert_int_equal(failed, 0);
}

static void
test_engine__two_refs(void **state)
{
	struct fx *f = *state;
	struct tk_report r;

	fx_repo(f);
	fx_policy(f, two_refs.rules);
	two_refs.build(f);
	assert_int_equal(fx_check(f, &r), 0);
	assert_true(has_finding(&r, two_refs.findings[0]));
	two_refs.verify(f, &r);
	tk_report_release(&r);
}

/* ---- the entering-commit walk ---- */

static void
assert_walk(struct fx *f, const git_oid *tip, const git_oid *hide, size_t nhide,
    const git_oid *const *want, size_t nwant)
{
	git_oid *ids = NULL;
	size_t n = 7, i;

	assert_int_equal(
	    tk_walk_entering(&ids, &n, f->repo, tip, hide, nhide, 1000), 0);
	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++)
		assert_true(git_oid_equal(&ids[i], want[i]));
	free(ids);
}

static void
test_engine__walk(void **state)
{
	struct fx *f = *state;
	git_oid a, b, s, m, hide[2], *ids = (git_oid *)1;
	size_t n = 7;

	fx_repo(f);
	fx_policy(f, R_DEFAULT);
	/*   base - a - b - m
	 *            \   /
	 *              s       (m merges b and s; s is older than b) */
	FX_COMMIT(f, &a, .author = "alice", .parents = {&f->base});
	FX_COMMIT(
	    f, &s, .author = "alice", .parents = {&a}, .files = {"s", "s\n"});
	FX_COMMIT(
	    f, &b, .author = "alice", .parents = {&a}, .files = {"b", "b\n"});
	FX_COMMIT(
	    f, &m, .author = "alice", .parents = {&b, &s}, .merge_tree = true);
	hide[0] = f->base;
	/* newest first, parents after children */
	assert_walk(f, &m, hide, 1, (const git_oid *[]){&m, &s, &b, &a}, 4);
	hide[0] = a;
	assert_walk(f, &m, hide, 1, (const git_oid *[]){&m, &s, &b}, 3);
	/* hiding several tips, one of them unrelated to the rest */
	hide[0] = s;
	hide[1] = b;
	assert_walk(f, &m, hide, 2, (const git_oid *[]){&m}, 1);
	/*
	 * The tip's parents exactly the hidden commits: the tip alone,
	 * answered without a walk (one_step); any other hidden commit sends
	 * it to the walk, which knows when a hidden one descends from the tip.
	 */
	hide[0] = a;
	assert_walk(f, &b, hide, 1, (const git_oid *[]){&b}, 1);
	hide[1] = a;
	assert_walk(f, &b, hide, 2, (const git_oid *[]){&b}, 1);
	hide[0] = f->base;
	hide[1] = m; /* m descends from a: a is no longer new */
	assert_walk(f, &a, hide, 2, NULL, 0);
	hide[1] = b;
	assert_walk(f, &a, hide, 2, NULL, 0);
	hide[0] = a;
	hide[1] = s; /* s does not descend from b: only b is new */
	assert_walk(f, &b, hide, 2, (const git_oid *[]){&b}, 1);
	hide[0] = b; /* one of m's two parents: m and s are new */
	assert_walk(f, &m, hide, 1, (const git_oid *[]){&m, &s}, 2);
	/* nothing hidden: all of history */
	assert_walk(f, &b, NULL, 0, (const git_oid *[]){&b, &a, &f->base}, 3);
	/* the tip itself hidden: nothing enters */
	hide[0] = m;
	assert_walk(f, &m, hide, 1, NULL, 0);
	/* past the bound: TK_ETOOBIG, out-parameters cleared */
	assert_int_equal(
	    tk_walk_entering(&ids, &n, f->repo, &m, NULL, 0, 4), TK_ETOOBIG);
	assert_null(ids);
	assert_int_equal(n, 0);
	assert_non_null(strstr(tk_error_last(), "more than 4 new commits"));
	assert_int_equal(
	    tk_walk_entering(&ids, &n, f->repo, &m, NULL, 0, 5), 0);
	assert_int_equal(n, 5);
	free(ids);
	/* a tip that is not in the repository */
	assert_int_equal(
	    git_oid_fromstr(&a, "0123456789abcdef0123456789abcdef01234567"), 0);
	ids = (git_oid *)1;
	assert_int_equal(
	    tk_walk_entering(&ids, &n, f->repo, &a, NULL, 0, 5), TK_EGIT);
	assert_null(ids);
}

/* ---- tk_split_alternates ---- */

static int
collect(const char *dir, void *arg)
{
	struct tk_buf *b = arg;

	if (strcmp(dir, "stop") == 0)
		return tk_error_set(TK_EIO, "stopped at %s", dir);
	return tk_buf_printf(b, "[%s]", dir);
}

static void
test_engine__split_alternates(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *out; /* the entries, or the error message */
	} t[] = {
	    {"", 0, ""},
	    {"/a", 0, "[/a]"},
	    {"/a:/b", 0, "[/a][/b]"},
	    {"/a::/b:", 0, "[/a][/b]"}, /* empty entries are skipped */
	    {":", 0, ""},
	    /* git C-quotes an entry holding ':' or '"' */
	    {"\"/x:y\":/b", 0, "[/x:y][/b]"},
	    {"/a:\"/x:y\"", 0, "[/a][/x:y]"},
	    {"\"/q\\\"t\\\\u\"", 0, "[/q\"t\\u]"},
	    {"\"/caf\\303\\251\\n\\t\"", 0, "[/caf\xc3\xa9\n\t]"},
	    {"\"\"", 0, ""},
	    /* a quote in the middle of an entry is just a byte */
	    {"/a\"b:/c", 0, "[/a\"b][/c]"},
	    {"\"/a", TK_EINVAL, "unterminated quote in object directory list"},
	    {"\"/a\\x\"", TK_EINVAL, "bad quoting in object directory list"},
	    {"\"/a\\4\"", TK_EINVAL, "bad quoting in object directory list"},
	    {"\"/a\\477\"", TK_EINVAL, "bad quoting in object directory list"},
	    {"\"/a\"/b", TK_EINVAL, "bad object directory list"},
	    {"\"/a\"\"/b\"", TK_EINVAL, "bad object directory list"},
	    /* the callback's error stops the walk */
	    {"/a:stop:/b", TK_EIO, "stopped at stop"},
	};
	struct tk_buf b = TK_BUF_INIT(4096);
	size_t i;
	int rc;

	for (i = 0; i < TK_ARRAY_SIZE(t); i++) {
		tk_buf_reset(&b);
		assert_int_equal(tk_buf_puts(&b, ""), 0);
		rc = tk_split_alternates(t[i].in, collect, &b);
		if (rc != t[i].rc)
			fail_msg("'%s': rc %d, want %d (%s)", t[i].in, rc,
			    t[i].rc, tk_error_last());
		if (rc == 0)
			assert_string_equal(b.ptr, t[i].out);
		else
			assert_string_equal(tk_error_last(), t[i].out);
	}
	/* entries of 64 KiB and more are refused, not truncated */
	{
		char *big = malloc(70000);

		assert_non_null(big);
		memset(big, 'x', 69999);
		big[0] = '/';
		big[69999] = '\0';
		assert_int_equal(
		    tk_split_alternates(big, collect, &b), TK_ETOOBIG);
		free(big);
	}
	tk_buf_release(&b);
}

/* ---- the payload, checked against one built here ---- */

static void
assert_same_payload(struct fx *f, const git_oid *id)
{
	struct tk_buf lib = TK_BUF_INIT(1 << 24), hand = TK_BUF_INIT(1 << 24);
	git_odb *odb = NULL;
	git_odb_object *o = NULL;
	char *raw;
	size_t len;

	assert_int_equal(git_repository_odb(&odb, f->repo), 0);
	assert_int_equal(git_odb_read(&o, odb, id), 0);
	len = git_odb_object_size(o);
	raw = tk_strndup(git_odb_object_data(o), len);
	fx_payload(&lib, raw, len);
	fx_payload_by_hand(&hand, raw);
	assert_int_equal(lib.len, hand.len);
	assert_memory_equal(lib.ptr, hand.ptr, lib.len);
	free(raw);
	git_odb_object_free(o);
	git_odb_free(odb);
	tk_buf_release(&lib);
	tk_buf_release(&hand);
}

static void
test_engine__payload_by_hand(void **state)
{
	struct fx *f = *state;
	git_oid a, b, m;

	fx_repo(f);
	fx_policy(f, R_DEFAULT);
	assert_same_payload(f, &f->base); /* a root commit */
	FX_COMMIT(f, &a, .author = "alice", .parents = {&f->base},
	    .msg = "Subject\n\nBody.\n\n\n", .approve = {{"bob"}});
	assert_same_payload(f, &a);
	FX_COMMIT(f, &b, .author = "alice", .committer = "carol",
	    .parents = {&f->base},
	    .msg = "Subject\n\nBody\n\nSigned-off-by: A <a@example.com>\n"
	           "Approved-by: Old <old@example.com> sshsig:AAAA\n"
	           " BBBB\n"
	           "Change-Id: 1\n",
	    .sign = "carol");
	assert_same_payload(f, &b);
	FX_COMMIT(f, &m, .author = "carol", .parents = {&a, &b},
	    .merge_tree = true, .msg = "Merge\n",
	    .approve = {{"bob"}, {"erin"}});
	assert_same_payload(f, &m);
	/* and the exact bytes of one, spelled out */
	{
		struct tk_buf lib = TK_BUF_INIT(1 << 20);
		git_commit *c = NULL;
		char want[1024];

		assert_int_equal(git_commit_lookup(&c, f->repo, &m), 0);
		snprintf(want, sizeof(want), "twokey-approval v1\ntree %s\n",
		    git_oid_tostr_s(git_commit_tree_id(c)));
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "parent %s\n", git_oid_tostr_s(&a));
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "parent %s\n"
		    "author Carol <carol@example.com> %lld +0000\n\nMerge\n",
		    git_oid_tostr_s(&b),
		    (long long)git_commit_author(c)->when.time);
		{
			git_odb *odb = NULL;
			git_odb_object *o = NULL;

			assert_int_equal(git_repository_odb(&odb, f->repo), 0);
			assert_int_equal(git_odb_read(&o, odb, &m), 0);
			fx_payload(&lib, git_odb_object_data(o),
			    git_odb_object_size(o));
			git_odb_object_free(o);
			git_odb_free(odb);
		}
		assert_string_equal(lib.ptr, want);
		git_commit_free(c);
		tk_buf_release(&lib);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_engine__split_alternates),
	    cmocka_unit_test(test_engine__walk),
	    cmocka_unit_test(test_engine__payload_by_hand),
	    cmocka_unit_test(test_engine__two_refs),
	    cmocka_unit_test(test_engine__cases),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
