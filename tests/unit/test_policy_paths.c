/*
 * Unit tests for a rule's change attributes in the policy loader
 * (lib/policy/paths.c): paths entries with approvals and writers,
 * require-trailers and emails, their defaults, and every refusal with its
 * exact "file:line:column:" prefix and key path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "internal.h"
#include "twokey/glob.h"
#include "twokey/pattern.h"
#include "twokey/policy.h"

/* Four lines: every refusal below counts from line 5. */
#define HDR                                                                    \
	"version: 1\n"                                                         \
	"roles: {dev: d, rev: r, ops: o, dba: b}\n"                            \
	"rules:\n"                                                             \
	"  - refs: 'refs/heads/main'\n"

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static bool
has_line(const char *text, const char *want)
{
	const char *s = text;

	for (;;) {
		if (strncmp(s, want, strlen(want)) == 0)
			return true;
		if ((s = strchr(s, '\n')) == NULL || *++s == '\0')
			return false;
	}
}

/* yaml must be refused with exactly the given lines (prefixes). */
static void
refuse_(const char *yaml, const char *first, ...)
{
	struct tk_policy *p = NULL;
	char *err = NULL;
	const char *w;
	size_t n = 0;
	va_list ap;
	int rc = tk_policy_load_buffer(&p, &err, "p.yaml", yaml, strlen(yaml));

	if (rc != TK_ECONFIG || p != NULL || err == NULL)
		fail_msg("expected TK_ECONFIG for:\n%s\ngot %d: %s", yaml, rc,
		    err ? err : "(null)");
	va_start(ap, first);
	for (w = first; w != NULL; w = va_arg(ap, const char *), n++)
		if (!has_line(err, w))
			fail_msg(
			    "missing error line '%s' for:\n%s\nerrors:\n%s", w,
			    yaml, err);
	va_end(ap);
	if (count_lines(err) != n)
		fail_msg("expected %zu error lines for:\n%s\ngot:\n%s", n, yaml,
		    err);
	free(err);
}

#define refuse(yaml, ...) refuse_((yaml), __VA_ARGS__, NULL)

static struct tk_policy *
accept_yaml(const char *yaml)
{
	struct tk_policy *p = NULL;
	char *err = NULL;

	if (tk_policy_load_buffer(&p, &err, "p.yaml", yaml, strlen(yaml)) != 0)
		fail_msg("policy refused:\n%s\n%s", yaml, err ? err : "");
	assert_null(err);
	return p;
}

static bool
has_role(
    const struct tk_policy *p, const struct tk_roleset *s, const char *name)
{
	size_t i;

	for (i = 0; i < p->nroles; i++)
		if (strcmp(p->roles[i], name) == 0)
			return tk_roleset_has(s, (unsigned)i);
	fail_msg("no role %s", name);
	return false;
}

static void
test_paths__valid(void **state)
{
	struct tk_policy *p = accept_yaml(HDR
	    "    paths:\n"
	    "      - match: 'infra/**'\n"
	    "        approvals: {min: 1, from: [ops]}\n"
	    "        writers: [ops, dev]\n"
	    "      - match: db/migrations/\n"
	    "        approvals: {require: {dba: 1}}\n"
	    "      - match: '.ci/**'\n"
	    "        writers: []\n"
	    "      - match: 'src/**'\n"
	    "        approvals: {min: 2, from: [rev, ops], require: {ops: 1}}\n"
	    "    require-trailers:\n"
	    "      Change: 'CHG[0-9]{6}'\n"
	    "      Risk-Level: '(low|medium|high)'\n"
	    "    emails: '.+@example\\.com'\n");
	const struct tk_rule *r = p->rules[0];
	const struct tk_path_rule *e = r->paths;

	assert_false(r->approvals);
	assert_true(tk_rule_may_need_approvals(r));
	assert_true(tk_rule_inspects_commits(r));
	assert_int_equal(r->npaths, 4);
	assert_string_equal(e[0].match_src, "infra/**");
	assert_int_equal(tk_glob_match(e[0].glob, "infra/a/b", 9), 1);
	assert_true(e[0].approvals);
	assert_int_equal(e[0].min, 1);
	assert_true(has_role(p, &e[0].from, "ops"));
	assert_false(has_role(p, &e[0].from, "rev"));
	assert_true(e[0].writers.set);
	assert_true(has_role(p, &e[0].writers.roles, "dev"));
	assert_int_equal(e[0].line, 6);
	/* require alone: min 0, and the required role's approvals count */
	assert_int_equal(e[1].min, 0);
	assert_int_equal(e[1].nrequire, 1);
	assert_true(has_role(p, &e[1].from, "dba"));
	assert_int_equal(
	    tk_glob_match(e[1].glob, "db/migrations/1.sql", 19), 1);
	/* writers: [] is nobody; no approvals */
	assert_false(e[2].approvals);
	assert_true(e[2].writers.set);
	assert_true(tk_roleset_empty(&e[2].writers.roles));
	assert_int_equal(e[3].nrequire, 1);
	assert_int_equal(r->ntrailers, 2);
	assert_string_equal(r->trailers[1].key, "Risk-Level");
	assert_int_equal(
	    tk_pattern_match(r->trailers[0].value, "CHG123456", 9), 1);
	assert_int_equal(
	    tk_pattern_match(r->trailers[0].value, "CHG12345", 8), 0);
	assert_int_equal(tk_pattern_match(r->emails, "a@example.com", 13), 1);
	assert_int_equal(tk_pattern_match(r->emails, "a@example.co", 12), 0);
	tk_policy_free(p);
}

static void
test_paths__none(void **state)
{
	struct tk_policy *p = accept_yaml(HDR "    update: [ops]\n");

	assert_int_equal(p->rules[0]->npaths, 0);
	assert_int_equal(p->rules[0]->ntrailers, 0);
	assert_null(p->rules[0]->emails);
	assert_false(tk_rule_may_need_approvals(p->rules[0]));
	assert_false(tk_rule_inspects_commits(p->rules[0]));
	tk_policy_free(p);
	p = accept_yaml(HDR "    emails: '.*'\n");
	assert_true(tk_rule_inspects_commits(p->rules[0]));
	assert_false(tk_rule_may_need_approvals(p->rules[0]));
	tk_policy_free(p);
}

static void
test_paths__bad_globs(void **state)
{
	refuse(HDR "    paths:\n"
	           "      - match: 'infra/a**'\n"
	           "        writers: [ops]\n",
	    "p.yaml:6:16: key 'rules[0].paths[0].match': invalid glob at "
	    "offset 7: '**' must be a whole path segment");
	refuse(HDR "    paths:\n"
	           "      - {match: '[abc', writers: [ops]}\n"
	           "      - {match: 'a//b', writers: [ops]}\n"
	           "      - {match: '', writers: [ops]}\n"
	           "      - {match: [a], writers: [ops]}\n"
	           "      - {writers: [ops]}\n",
	    "p.yaml:6:17: key 'rules[0].paths[0].match': invalid glob at "
	    "offset 0: unterminated '['",
	    "p.yaml:7:17: key 'rules[0].paths[1].match': invalid glob at "
	    "offset 2: empty path segment",
	    "p.yaml:8:17: key 'rules[0].paths[2].match': invalid glob at "
	    "offset 0: empty glob",
	    "p.yaml:9:17: key 'rules[0].paths[3].match': expected a string",
	    "p.yaml:10:9: key 'rules[0].paths[4]': missing 'match'");
}

static void
test_paths__bad_entries(void **state)
{
	refuse(HDR "    paths:\n"
	           "      - match: a\n"
	           "      - match: b\n"
	           "        approvals: {}\n"
	           "      - match: c\n"
	           "        approvals: {min: 1}\n"
	           "      - match: d\n"
	           "        approvals: {from: [ops]}\n"
	           "      - match: e\n"
	           "        approvals: {min: 0, from: [ops]}\n",
	    "p.yaml:6:9: key 'rules[0].paths[0]': neither approvals nor "
	    "writers",
	    "p.yaml:8:20: key 'rules[0].paths[1].approvals': empty: give min "
	    "and from, or require",
	    "p.yaml:10:20: key 'rules[0].paths[2].approvals': missing 'from'",
	    "p.yaml:12:20: key 'rules[0].paths[3].approvals': missing 'min'",
	    "p.yaml:14:26: key 'rules[0].paths[4].approvals.min': must be at "
	    "least 1");
	refuse(HDR
	    "    paths:\n"
	    "      - match: a\n"
	    "        approvals: {min: 1, from: [ops], require: {dba: 1}}\n"
	    "      - match: b\n"
	    "        approvals: {min: 1, from: [ops, dba], require: "
	    "{ops: 1, dba: 1}}\n"
	    "      - match: c\n"
	    "        approvals: {require: {dba: 0}}\n"
	    "      - match: d\n"
	    "        writers: [admins]\n"
	    "        approvals: {min: 1, from: [nobody], max: 2}\n",
	    "p.yaml:7:52: key 'rules[0].paths[0].approvals.require.dba': role "
	    "is not listed in this entry's approvals.from",
	    "p.yaml:9:20: key 'rules[0].paths[1].approvals': require asks for "
	    "2 approvals, more than min (1)",
	    "p.yaml:11:36: key 'rules[0].paths[2].approvals.require.dba': "
	    "must be at least 1",
	    "p.yaml:13:19: key 'rules[0].paths[3].writers[0]': undefined role "
	    "'admins'",
	    "p.yaml:14:45: key 'rules[0].paths[3].approvals.max': unknown key",
	    "p.yaml:14:36: key 'rules[0].paths[3].approvals.from[0]': "
	    "undefined role 'nobody'");
	refuse(HDR "    paths: []\n",
	    "p.yaml:5:12: key 'rules[0].paths': expected a list of entries");
	refuse(HDR "    paths: [{match: a, writers: [ops], owners: [x]}]\n",
	    "p.yaml:5:40: key 'rules[0].paths[0].owners': unknown key");
}

static void
test_paths__bad_trailers(void **state)
{
	refuse(HDR "    require-trailers:\n"
	           "      Change: 'CHG[0-9'\n"
	           "      'Bad Key': x\n"
	           "      Approved-by: '.*'\n"
	           "      change: x\n"
	           "      Ticket: [x]\n",
	    "p.yaml:6:15: key 'rules[0].require-trailers.Change': invalid "
	    "pattern at offset 7: missing terminating ] for character class",
	    "p.yaml:7:7: key 'rules[0].require-trailers.Bad Key': expected a "
	    "trailer key",
	    "p.yaml:8:7: key 'rules[0].require-trailers.Approved-by': expected "
	    "a trailer key",
	    "p.yaml:9:7: key 'rules[0].require-trailers.change': trailer key "
	    "given twice",
	    "p.yaml:10:15: key 'rules[0].require-trailers.Ticket': expected a "
	    "string");
	refuse(HDR "    require-trailers:\n"
	           "      Change: x\n"
	           "      change: y\n",
	    "p.yaml:7:7: key 'rules[0].require-trailers.change': trailer key "
	    "given twice (keys ignore case)");
	refuse(HDR "    require-trailers: {}\n",
	    "p.yaml:5:23: key 'rules[0].require-trailers': expected a mapping");
	refuse(HDR "    emails: '(unclosed'\n",
	    "p.yaml:5:13: key 'rules[0].emails': invalid pattern at offset 9");
	refuse(HDR "    emails: [a]\n",
	    "p.yaml:5:13: key 'rules[0].emails': expected a string");
}

/* Which rule may vouch for commits entering a ref under another. */
static void
test_paths__covers(void **state)
{
	struct tk_policy *p = accept_yaml(
	    "version: 1\n"
	    "roles: {dev: d, rev: r, ops: o, dba: b}\n"
	    "rules:\n"
	    "  - refs: 'refs/heads/a'\n" /* 0: strict */
	    "    paths:\n"
	    "      - {match: 'infra/**', approvals: {min: 2, from: [ops], "
	    "require: {ops: 2}}, writers: [ops]}\n"
	    "      - {match: 'db/', approvals: {require: {dba: 1}}}\n"
	    "    require-trailers: {Change: 'CHG[0-9]+'}\n"
	    "    emails: '.+@example\\.com'\n"
	    "  - refs: 'refs/heads/b'\n" /* 1: weaker */
	    "    paths:\n"
	    "      - {match: 'infra/**', approvals: {min: 1, from: [ops, rev]}, "
	    "writers: [ops, dev]}\n"
	    "    require-trailers: {change: 'CHG[0-9]+'}\n"
	    "  - refs: 'refs/heads/c'\n" /* 2: nothing */
	    "    approvals: {min: 1, from: [rev]}\n"
	    "  - refs: 'refs/heads/d'\n" /* 3: another glob text */
	    "    paths: [{match: 'infra/', approvals: {min: 1, from: [ops]}}]\n"
	    "  - refs: 'refs/heads/e'\n" /* 4: another trailer pattern */
	    "    require-trailers: {Change: 'CHG.*'}\n");
	struct tk_rule **r = p->rules;

	assert_true(tk_rule_change_covers(r[0], r[0]));
	assert_true(tk_rule_change_covers(r[0], r[1]));
	assert_false(tk_rule_change_covers(r[1], r[0]));
	assert_true(tk_rule_change_covers(r[0], r[2]));
	assert_true(tk_rule_change_covers(r[2], r[2]));
	assert_false(tk_rule_change_covers(r[2], r[1]));
	assert_false(tk_rule_change_covers(r[0], r[3]));
	assert_false(tk_rule_change_covers(r[0], r[4]));
	assert_false(tk_rule_change_covers(r[4], r[0]));
	tk_policy_free(p);
}

/* tk_rule_vouches_for: the created ref's rule b, vouching rule a. */
static void
test_paths__vouches_for(void **state)
{
	struct tk_policy *p = accept_yaml(
	    "version: 1\n"
	    "roles: {dev: d, rev: r, sec: s}\n"
	    "rules:\n"
	    "  - refs: 'refs/heads/b'\n" /* 0: the created ref's rule */
	    "    approvals: {min: 2, from: [rev, sec], require: {sec: 1}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "  - refs: 'refs/heads/same'\n" /* 1: equal */
	    "    approvals: {min: 2, from: [rev, sec], require: {sec: 1}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "  - refs: 'refs/heads/stricter'\n" /* 2 */
	    "    approvals: {min: 3, from: [sec], require: {sec: 2}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "  - refs: 'refs/heads/min1'\n" /* 3: min lower */
	    "    approvals: {min: 1, from: [rev, sec], require: {sec: 1}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "  - refs: 'refs/heads/wide'\n" /* 4: from wider */
	    "    approvals: {min: 2, from: [rev, sec, dev], require: {sec: 1}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "  - refs: 'refs/heads/noreq'\n" /* 5: no require */
	    "    approvals: {min: 2, from: [rev, sec]}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "  - refs: 'refs/heads/unsigned'\n" /* 6 */
	    "    approvals: {min: 2, from: [rev, sec], require: {sec: 1}}\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "  - refs: 'refs/heads/pma'\n" /* 7: pusher may approve */
	    "    approvals: {min: 2, from: [rev, sec], require: {sec: 1}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "  - refs: 'refs/heads/pmw'\n" /* 8: pusher may write */
	    "    approvals: {min: 2, from: [rev, sec], require: {sec: 1}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "  - refs: 'refs/heads/promo'\n" /* 9: another promote-from */
	    "    approvals: {min: 2, from: [rev, sec], require: {sec: 1}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/qa\n"
	    "  - refs: 'refs/heads/warn'\n" /* 10: warn mode */
	    "    approvals: {min: 2, from: [rev, sec], require: {sec: 1}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "    mode: warn\n"
	    "  - refs: 'refs/heads/roles'\n" /* 11: asks nothing of commits */
	    "    update: [dev]\n"
	    "  - refs: 'refs/heads/paths'\n" /* 12: equal but paths */
	    "    approvals: {min: 2, from: [rev, sec], require: {sec: 1}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "    paths: [{match: 'infra/**', approvals: {min: 1, from: [sec]}}]\n"
	    "  - refs: 'refs/heads/emergency'\n" /* 13: equal, an emergency */
	    "    approvals: {min: 2, from: [rev, sec], require: {sec: 1}}\n"
	    "    signed-commits: true\n"
	    "    pusher-may-approve: false\n"
	    "    pusher-may-write: false\n"
	    "    promote-from: refs/heads/staging\n"
	    "    emergency: {by: [sec], waive: [approvals], ratify: {within: 1d}}\n");
	struct tk_rule **r = p->rules;
	size_t i;

	assert_true(tk_rule_vouches_for(r[0], r[0]));
	assert_true(tk_rule_vouches_for(r[1], r[0]));
	assert_true(tk_rule_vouches_for(r[2], r[0]));
	assert_false(tk_rule_vouches_for(r[0], r[2])); /* weaker */
	for (i = 3; i <= 10; i++)
		if (tk_rule_vouches_for(r[i], r[0]))
			fail_msg("rule %zu vouches for rule 0", i);
	/* warn-mode refs vouch for themselves and for weaker warn rules */
	assert_true(tk_rule_vouches_for(r[10], r[10]));
	assert_true(tk_rule_vouches_for(r[0], r[10]));
	/* paths: rule 12 asks more than rule 0 (it vouches), not less */
	assert_true(tk_rule_vouches_for(r[12], r[0]));
	assert_false(tk_rule_vouches_for(r[0], r[12]));
	/* an emergency path lets commits land unapproved */
	assert_false(tk_rule_vouches_for(r[13], r[0]));
	assert_true(tk_rule_vouches_for(r[0], r[13]));
	assert_true(tk_rule_vouches_for(r[13], r[13]));
	/* no rule: only for rules that ask nothing of commits */
	assert_false(tk_rule_vouches_for(NULL, r[0]));
	assert_true(tk_rule_vouches_for(NULL, r[11]));
	assert_true(tk_rule_vouches_for(r[0], r[11]));
	tk_policy_free(p);
}

#define TRUSTED_HDR "version: 1\nroles: {dev: d}\n"

static void
test_paths__trusted_history(void **state)
{
	struct tk_policy *p = accept_yaml(
	    TRUSTED_HDR "trusted-history:\n"
	                "  - 0123456789abcdef0123456789ABCDEF01234567\n"
	                "  - 'ffffffffffffffffffffffffffffffffffffffff'\n");

	assert_int_equal(p->ntrusted, 2);
	assert_int_equal(p->trusted[0][0], 0x01);
	assert_int_equal(p->trusted[0][19], 0x67);
	assert_int_equal(p->trusted[0][13], 0xab); /* upper case read */
	assert_int_equal(p->trusted[1][5], 0xff);
	assert_int_equal(p->trusted_pos[1].line, 5);
	tk_policy_free(p);
	p = accept_yaml(TRUSTED_HDR "trusted-history:\n");
	assert_int_equal(p->ntrusted, 0);
	tk_policy_free(p);
	refuse(TRUSTED_HDR "trusted-history: 0123456789abcdef\n",
	    "p.yaml:3:18: key 'trusted-history': expected a list of commit "
	    "ids");
	refuse(TRUSTED_HDR "trusted-history: [0123456]\n",
	    "p.yaml:3:19: key 'trusted-history[0]': expected a full 40-digit "
	    "commit id (abbreviated ids are refused)");
	refuse(TRUSTED_HDR
	    "trusted-history:\n"
	    "  - 0123456789abcdef0123456789abcdef0123456g\n"
	    "  - [x]\n"
	    "  - "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
	    "p.yaml:4:5: key 'trusted-history[0]': expected a full 40-digit "
	    "commit id (hex digits only)",
	    "p.yaml:5:5: key 'trusted-history[1]': expected a full 40-digit "
	    "commit id (abbreviated ids are refused)",
	    "p.yaml:6:5: key 'trusted-history[2]': SHA-256 commit ids are not "
	    "supported");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths__valid),
	    cmocka_unit_test(test_paths__none),
	    cmocka_unit_test(test_paths__bad_globs),
	    cmocka_unit_test(test_paths__bad_entries),
	    cmocka_unit_test(test_paths__bad_trailers),
	    cmocka_unit_test(test_paths__covers),
	    cmocka_unit_test(test_paths__vouches_for),
	    cmocka_unit_test(test_paths__trusted_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
