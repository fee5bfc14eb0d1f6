/*
 * Unit tests for ref-name patterns (PCRE2) and rule matching: whole-name
 * anchoring, the "$" and alternation traps, the match limit, invalid
 * UTF-8, and tk_policy_match's first-match-wins and error handling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <time.h>

#include "internal.h"
#include "twokey/pattern.h"
#include "twokey/policy.h"

static struct tk_pattern *
compile(const char *src)
{
	struct tk_pattern *p = NULL;
	int rc = tk_pattern_compile(&p, src, strlen(src));

	if (rc != 0)
		fail_msg("'%s' does not compile: %s", src, tk_error_last());
	assert_non_null(p);
	return p;
}

static int
match_n(const char *pattern, const char *subject, size_t len)
{
	struct tk_pattern *p = compile(pattern);
	int r = tk_pattern_match(p, subject, len);

	tk_pattern_free(p);
	return r;
}

static int
match(const char *pattern, const char *subject)
{
	return match_n(pattern, subject, strlen(subject));
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_pattern__anchoring(void **state)
{
	assert_int_equal(match("refs/heads/main", "refs/heads/main"), 1);
	assert_int_equal(match("refs/heads/main", "refs/heads/main2"), 0);
	assert_int_equal(match("refs/heads/main", "xrefs/heads/main"), 0);
	assert_int_equal(match("refs/heads/main", "refs/heads/mai"), 0);
	assert_int_equal(match("refs/heads/main", "refs/heads/Main"), 0);
	assert_int_equal(match("refs/heads/main", ""), 0);
	assert_int_equal(match("heads/main", "refs/heads/main"), 0);
	assert_int_equal(
	    match("refs/heads/(main|release/.+)", "refs/heads/release/1.0"), 1);
	assert_int_equal(
	    match("refs/heads/(main|release/.+)", "refs/heads/release/"), 0);
	/* explicit anchors are harmless */
	assert_int_equal(match("^refs/heads/main$", "refs/heads/main"), 1);
	assert_int_equal(match("^refs/heads/main$", "refs/heads/main2"), 0);
	/* .* matches everything, including the empty name */
	assert_int_equal(match(".*", "refs/anything/at/all"), 1);
	assert_int_equal(match(".*", ""), 1);
	/* the empty pattern matches only the empty name */
	assert_int_equal(match("", ""), 1);
	assert_int_equal(match("", "refs/heads/main"), 0);
}

/* "main$" also matches "main\n" in PCRE2's default mode. */
static void
test_pattern__dollar_trap(void **state)
{
	assert_int_equal(match("refs/heads/main$", "refs/heads/main\n"), 0);
	assert_int_equal(match("refs/heads/main", "refs/heads/main\n"), 0);
	assert_int_equal(match("refs/heads/main\\Z", "refs/heads/main\n"), 0);
	assert_int_equal(match("(?m)refs/heads/main$", "refs/heads/main\n"), 0);
	assert_int_equal(
	    match("(?m)refs/heads/main$", "refs/heads/main\nx"), 0);
	assert_int_equal(match("(?m)^x$", "refs/heads/main\nx"), 0);
	assert_int_equal(match("refs/heads/main$", "refs/heads/main"), 1);
}

/* "a|b" must mean "(a|b)" for the whole name. */
static void
test_pattern__alternation(void **state)
{
	const char *pat = "refs/heads/main|refs/heads/dev";

	assert_int_equal(match(pat, "refs/heads/main"), 1);
	assert_int_equal(match(pat, "refs/heads/dev"), 1);
	assert_int_equal(match(pat, "refs/heads/develop"), 0);
	assert_int_equal(match(pat, "refs/heads/maintenance"), 0);
	assert_int_equal(match(pat, "xrefs/heads/dev"), 0);
	/* the trap from the reference: ^a|b$ */
	assert_int_equal(
	    match("^refs/heads/main|dev$", "refs/heads/develop-dev"), 0);
	assert_int_equal(match("^refs/heads/main|dev$", "refs/heads/mainx"), 0);
	assert_int_equal(match("^refs/heads/main|dev$", "dev"), 1);
}

static void
test_pattern__backtracking(void **state)
{
	char s[64];
	double t;
	int r;

	memset(s, 'a', 40);
	s[40] = '!';
	s[41] = '\0';

	/*
	 * (a+)+b against a^40 "!": PCRE2 sees that no 'b' follows (its
	 * "required last character" check) and answers no match without
	 * backtracking; any answer but a match is acceptable, and quick.
	 */
	t = now_seconds();
	r = match("(a+)+b", s);
	assert_true(r == 0 || r == TK_ERROR);
	assert_true(now_seconds() - t < 1.0);

	/* With a 'b' in sight, the same pattern backtracks: an error. */
	s[41] = 'b';
	s[42] = '\0';
	t = now_seconds();
	assert_int_equal(match("(a+)+b", s), TK_ERROR);
	assert_string_equal(tk_error_last(),
	    "pattern cannot be evaluated: match limit exceeded");
	assert_true(now_seconds() - t < 1.0);
	s[41] = '\0';

	/* No required character at all: the match limit ends it. */
	t = now_seconds();
	assert_int_equal(match("(a+)+", s), TK_ERROR);
	assert_int_equal(match("(a|aa)+$", s), TK_ERROR);
	assert_int_equal(match("(.*a){12}", s), TK_ERROR);
	assert_true(now_seconds() - t < 2.0);

	/* A pattern cannot raise its own limit. */
	assert_int_equal(match("(*LIMIT_MATCH=1000000000)(a+)+", s), TK_ERROR);
	assert_int_equal(match("(*LIMIT_DEPTH=1000000000)(*LIMIT_HEAP=1000000)"
	                       "(a+)+",
	                     s),
	    TK_ERROR);

	/* The same patterns decide ordinary names normally. */
	assert_int_equal(match("(a+)+b", "aaab"), 1);
	assert_int_equal(match("(a+)+", "refs/heads/main"), 0);
}

/*
 * Ref names are bytes: invalid UTF-8 is neither an error nor unmatchable
 * (a catch-all '.*' that skipped "refs/heads/\xff" would let that ref
 * through as matched by no rule).
 */
static void
test_pattern__utf8(void **state)
{
	assert_int_equal(match("refs/heads/main", "refs/heads/\xff\xfe"), 0);
	assert_int_equal(match("refs/heads/.*", "refs/heads/caf\xff"), 1);
	assert_int_equal(match(".*", "\xff"), 1);
	assert_int_equal(match("refs/heads/[^/]+", "refs/heads/\xc0\xaf"), 1);
	assert_int_equal(match("refs/heads/[^/]+", "refs/heads/\xc0/\xaf"), 0);
	/* UTF-8 text in a pattern matches the same bytes */
	assert_int_equal(
	    match("refs/heads/caf\xc3\xa9", "refs/heads/caf\xc3\xa9"), 1);
	assert_int_equal(match("refs/heads/caf\xc3\xa9", "refs/heads/cafe"), 0);
	assert_int_equal(
	    match("refs/heads/caf.+", "refs/heads/caf\xc3\xa9"), 1);
	/* a subject with a NUL is matched by length, not cut short */
	assert_int_equal(
	    match_n("refs/heads/main", "refs/heads/main\0x", 17), 0);
	assert_int_equal(
	    match_n("refs/heads/main.x", "refs/heads/main\0x", 17), 1);
}

static void
test_pattern__compile_errors(void **state)
{
	struct tk_pattern *p = NULL;
	char buf[TK_PATTERN_MAX_LEN + 2];

	assert_int_equal(
	    tk_pattern_compile(&p, "refs/heads/(main", 16), TK_EINVAL);
	assert_null(p);
	assert_string_equal(tk_error_last(),
	    "invalid pattern at offset 16: missing closing parenthesis");
	assert_int_equal(tk_pattern_compile(&p, "refs/[z-a]", 10), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "at offset 8:"));
	assert_int_equal(tk_pattern_compile(&p, "*refs", 5), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "at offset 0:"));
	/* a pattern cannot switch UTF mode back on */
	assert_int_equal(
	    tk_pattern_compile(&p, "(*UTF)refs/.*", 13), TK_EINVAL);
	assert_null(p);
	/* nesting of parentheses is bounded */
	memset(buf, '(', 100);
	memset(buf + 100, ')', 100);
	assert_int_equal(tk_pattern_compile(&p, buf, 200), TK_EINVAL);
	assert_null(p);

	/* length: 4096 bytes compile, 4097 do not */
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(tk_pattern_compile(&p, buf, TK_PATTERN_MAX_LEN), 0);
	assert_non_null(p);
	tk_pattern_free(p);
	assert_int_equal(
	    tk_pattern_compile(&p, buf, TK_PATTERN_MAX_LEN + 1), TK_ETOOBIG);
	assert_null(p);
	assert_string_equal(tk_error_last(), "pattern longer than 4096 bytes");

	tk_pattern_free(NULL);
}

/* ---- rule matching ---- */

static struct tk_policy *
policy(const char *yaml)
{
	struct tk_policy *p = NULL;
	char *err = NULL;

	if (tk_policy_load_buffer(&p, &err, "p.yaml", yaml, strlen(yaml)) != 0)
		fail_msg("policy refused:\n%s", err ? err : "");
	return p;
}

static void
test_pattern__policy_match(void **state)
{
	struct tk_policy *p =
	    policy("version: 1\n"
	           "rules:\n"
	           "  - name: first\n"
	           "    refs: 'refs/heads/main'\n"
	           "  - name: second\n"
	           "    refs: 'refs/heads/.*'\n"
	           "  - name: also main\n"
	           "    refs: 'refs/heads/main|refs/tags/.*'\n"
	           "  - name: tags\n"
	           "    refs: 'refs/tags/v[0-9]+'\n");
	const struct tk_rule *r = NULL;

	assert_int_equal(tk_policy_match(&r, p, "refs/heads/main"), 1);
	assert_string_equal(r->name, "first");
	assert_int_equal(tk_policy_match(&r, p, "refs/heads/main2"), 1);
	assert_string_equal(r->name, "second");
	assert_int_equal(tk_policy_match(&r, p, "refs/tags/v12"), 1);
	assert_string_equal(r->name, "also main"); /* before "tags" */
	assert_int_equal(tk_policy_match(&r, p, "refs/notes/commits"), 0);
	assert_null(r);
	assert_int_equal(tk_policy_match(&r, p, "refs/heads"), 0);
	assert_null(r);
	assert_int_equal(tk_policy_match(&r, p, "refs/heads/\xff"), 1);
	assert_string_equal(r->name, "second");
	tk_policy_free(p);

	/* no rules: nothing matches */
	p = policy("version: 1\n");
	r = (const struct tk_rule *)p; /* must be reset */
	assert_int_equal(tk_policy_match(&r, p, "refs/heads/main"), 0);
	assert_null(r);
	tk_policy_free(p);
}

static void
test_pattern__policy_match_error(void **state)
{
	struct tk_policy *p = policy("version: 1\n"
	                             "rules:\n"
	                             "  - name: slow\n"
	                             "    refs: '(a+)+'\n"
	                             "  - name: everything\n"
	                             "    refs: '.*'\n");
	const struct tk_rule *r = NULL;
	char ref[64];
	int rc;

	memset(ref, 'a', 40);
	ref[40] = '!';
	ref[41] = '\0';

	/* A rule that cannot be evaluated is an error, not "no match":
	 * falling through to a later, weaker rule would widen the policy. */
	rc = tk_policy_match(&r, p, ref);
	assert_true(rc < 0);
	assert_null(r);
	assert_string_equal(tk_error_last(),
	    "rule 'slow': pattern cannot be evaluated against this ref "
	    "(pattern cannot be evaluated: match limit exceeded)");

	/* refs the slow rule decides quickly fall through normally */
	assert_int_equal(tk_policy_match(&r, p, "refs/heads/main"), 1);
	assert_string_equal(r->name, "everything");
	assert_int_equal(tk_policy_match(&r, p, "aaaa"), 1);
	assert_string_equal(r->name, "slow");
	tk_policy_free(p);

	/* an earlier rule that matches wins before the slow one runs */
	p = policy("version: 1\n"
	           "rules:\n"
	           "  - name: a-refs\n"
	           "    refs: 'a.*'\n"
	           "  - name: slow\n"
	           "    refs: '(a+)+'\n");
	assert_int_equal(tk_policy_match(&r, p, ref), 1);
	assert_string_equal(r->name, "a-refs");
	tk_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pattern__anchoring),
	    cmocka_unit_test(test_pattern__dollar_trap),
	    cmocka_unit_test(test_pattern__alternation),
	    cmocka_unit_test(test_pattern__backtracking),
	    cmocka_unit_test(test_pattern__utf8),
	    cmocka_unit_test(test_pattern__compile_errors),
	    cmocka_unit_test(test_pattern__policy_match),
	    cmocka_unit_test(test_pattern__policy_match_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
