/*
 * Unit tests for path globs (twokey/glob.h): a table of matches ("**" at
 * the start, middle and end, trailing '/', dotfiles, bytes >= 0x80 and
 * newlines, escapes, classes, '?'), compile errors, the work bound, and a
 * seeded differential run against a PCRE2 translation (glob_ref.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <time.h>

#include "internal.h"
#include "twokey/glob.h"

#include "glob_ref.h"

struct gcase {
	const char *glob;
	const char *path;
	int want;
};

static const struct gcase cases[] = {
    /* "**" at the start: any directory, none included */
    {"**/x", "x", 1},
    {"**/x", "a/x", 1},
    {"**/x", "a/b/c/x", 1},
    {"**/x", "ax", 0},
    {"**/x", "a/xx", 0},
    {"**/x", "x/a", 0},
    {"**/*.tf", "main.tf", 1},
    {"**/*.tf", "a/b/main.tf", 1},
    {"**/*.tf", "a/b/main.tfx", 0},
    /* in the middle */
    {"a/**/b", "a/b", 1},
    {"a/**/b", "a/x/b", 1},
    {"a/**/b", "a/x/y/z/b", 1},
    {"a/**/b", "a/b/c", 0},
    {"a/**/b", "ab", 0},
    {"a/**/b", "a/xb", 0},
    {"a/**/b", "x/a/b", 0},
    {"a/**/**/b", "a/b", 1},
    {"a/**/b/**/c", "a/1/b/2/3/c", 1},
    {"a/**/b/**/c", "a/1/b/2/3/d", 0},
    /* at the end: everything below, not the directory itself */
    {"infra/**", "infra/main.tf", 1},
    {"infra/**", "infra/net/vpc.tf", 1},
    {"infra/**", "infra", 0},
    {"infra/**", "infrastructure/x", 0},
    {"infra/**", "x/infra/main.tf", 0},
    {"**", "a", 1},
    {"**", "a/b/c", 1},
    /* a trailing '/' is the same as "/" + "**"; a leading '/' anchors */
    {"infra/", "infra/main.tf", 1},
    {"infra/", "infra/a/b/c", 1},
    {"infra/", "infra", 0},
    {"infra/", "infra.tf", 0},
    {"/infra/", "infra/x", 1},
    {"/README.md", "README.md", 1},
    {"/README.md", "docs/README.md", 0},
    {"README.md", "docs/README.md", 0},
    {"docs/*/", "docs/a/b", 1},
    {"docs/*/", "docs/a", 0},
    /* dotfiles are names like any other */
    {".ci/**", ".ci/build.yml", 1},
    {"*", ".ci", 1},
    {"*", ".", 1},
    {"*.yml", ".yml", 1},
    {"**/.env", "svc/.env", 1},
    {"**/*", ".git-blame-ignore", 1},
    {".*", ".hidden", 1},
    {".*", "visible", 0},
    /* '*' and '?' stay within one segment */
    {"*", "a/b", 0},
    {"*.tf", "a/main.tf", 0},
    {"a*b*c", "abc", 1},
    {"a*b*c", "axxbyyc", 1},
    {"a*b*c", "axbx", 0},
    {"a*", "a", 1},
    {"?", "a", 1},
    {"?", "ab", 0},
    {"?", "", 0},
    {"a?c", "abc", 1},
    {"a?c", "a/c", 0},
    /* bytes: no locale, no UTF-8 decoding */
    {"a?c",
        "a\xff"
        "c",
        1},
    {"a?c", "a\nc", 1},
    {"a*c",
        "a\n\n\xfe"
        "c",
        1},
    {"caf\xc3\xa9", "caf\xc3\xa9", 1},
    {"caf\xc3\xa9", "cafe", 0},
    {"caf?", "caf\xc3\xa9", 0},
    {"caf??", "caf\xc3\xa9", 1},
    {"\xff*", "\xff\xfe", 1},
    {"[\x80-\xff]*", "\xc3\xa9t\xc3\xa9", 1},
    {"[\x80-\xff]*", "ete", 0},
    {"INFRA/**", "infra/x", 0},
    /* classes */
    {"[abc]x", "bx", 1},
    {"[abc]x", "dx", 0},
    {"[a-c]x", "bx", 1},
    {"[a-c]x", "dx", 0},
    {"[!a-c]x", "dx", 1},
    {"[!a-c]x", "bx", 0},
    {"[!a-c]x", "\x80x", 1},
    {"[!a-c]x", "\nx", 1},
    {"[^a]", "b", 1},
    {"[^a]", "a", 0},
    {"[]]", "]", 1},
    {"[!]]", "a", 1},
    {"[!]]", "]", 0},
    {"[a-]", "-", 1},
    {"[a-]", "b", 0},
    {"[\\]]", "]", 1},
    {"[\\-a]", "-", 1},
    {"[.-0]", "/", 0},
    {"a[.-0]b", "a/b", 0},
    {"a[!x]b", "a/b", 0},
    {"[0-9][0-9]_*.sql", "07_init.sql", 1},
    {"[0-9][0-9]_*.sql", "7_init.sql", 0},
    /* escapes */
    {"\\*", "*", 1},
    {"\\*", "a", 0},
    {"\\?", "?", 1},
    {"\\?", "a", 0},
    {"\\[x]", "[x]", 1},
    {"a\\\\b", "a\\b", 1},
    {"\\a", "a", 1},
    {"]", "]", 1},
    /* paths git never stores still get an answer */
    {"a/*", "a/", 1},
    {"**/b", "/b", 1},
    {"*", "", 1},
};

static void
test_glob__table(void **state)
{
	struct tk_glob *g;
	size_t i;
	int r;

	for (i = 0; i < TK_ARRAY_SIZE(cases); i++) {
		g = NULL;
		if (tk_glob_compile(&g, cases[i].glob, strlen(cases[i].glob)))
			fail_msg("'%s' does not compile: %s", cases[i].glob,
			    tk_error_last());
		r = tk_glob_match(g, cases[i].path, strlen(cases[i].path));
		if (r != cases[i].want)
			fail_msg("'%s' on '%s': got %d, want %d", cases[i].glob,
			    cases[i].path, r, cases[i].want);
		r = ref_match(cases[i].glob, strlen(cases[i].glob),
		    cases[i].path, strlen(cases[i].path));
		if (r != cases[i].want)
			fail_msg("reference: '%s' on '%s': got %d, want %d",
			    cases[i].glob, cases[i].path, r, cases[i].want);
		tk_glob_free(g);
	}
}

static void
test_glob__nul_in_path(void **state)
{
	struct tk_glob *g = NULL;

	assert_int_equal(tk_glob_compile(&g, "a?b", 3), 0);
	assert_int_equal(tk_glob_match(g, "a\0b", 3), 1);
	assert_int_equal(tk_glob_match(g, "a\0", 2), 0);
	tk_glob_free(g);
}

static void
test_glob__errors(void **state)
{
	static const char *const bad[] = {"", "/", "//", "a//b", "a**", "**.tf",
	    "a/**b", "b**/a", "***", ".", "..", "a/./b", "a/../b", "[abc", "[",
	    "[!", "[]", "a\\", "[a\\", "[a/b]", "\\/", "[z-a]", "a///", NULL};
	struct tk_glob *g;
	char big[TK_GLOB_MAX_LEN + 2];
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		g = NULL;
		if (tk_glob_compile(&g, bad[i], strlen(bad[i])) != TK_EINVAL)
			fail_msg("'%s' compiled", bad[i]);
		assert_null(g);
		assert_non_null(
		    strstr(tk_error_last(), "invalid glob at offset"));
	}
	g = NULL;
	assert_int_equal(tk_glob_compile(&g, "a\0b", 3), TK_EINVAL);
	memset(big, 'a', sizeof(big));
	assert_int_equal(tk_glob_compile(&g, big, sizeof(big)), TK_ETOOBIG);
	assert_null(g);
	assert_int_equal(tk_glob_compile(&g, big, TK_GLOB_MAX_LEN), 0);
	assert_int_equal(strlen(tk_glob_source(g)), TK_GLOB_MAX_LEN);
	tk_glob_free(g);
}

static void
test_glob__offsets(void **state)
{
	struct tk_glob *g = NULL;

	assert_int_equal(tk_glob_compile(&g, "src/a**", 7), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "offset 5:"));
	assert_int_equal(tk_glob_compile(&g, "src/[abc", 8), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "offset 4:"));
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pathological pairs finish fast, and never as a match. */
static void
test_glob__bounded(void **state)
{
	static const char *const globs[] = {"*a*a*a*a*a*a*a*a*b",
	    "**/a/**/a/**/a/**/a/**/b", "**/*a*a*a*b/**/*a*a*b", NULL};
	struct tk_glob *g;
	char *path = malloc(20001);
	double t0 = now();
	size_t i;
	int r;

	assert_non_null(path);
	for (i = 0; i < 20000; i++)
		path[i] = i % 2 ? '/' : 'a';
	for (i = 0; globs[i] != NULL; i++) {
		g = NULL;
		assert_int_equal(
		    tk_glob_compile(&g, globs[i], strlen(globs[i])), 0);
		r = tk_glob_match(g, path, 20000);
		assert_true(r == 0 || r == TK_ETOOBIG);
		memset(path, 'a', 20000);
		r = tk_glob_match(g, path, 20000);
		assert_true(r == 0 || r == TK_ETOOBIG);
		for (size_t k = 0; k < 20000; k++)
			path[k] = k % 2 ? '/' : 'a';
		tk_glob_free(g);
	}
	free(path);
	assert_true(now() - t0 < 5.0);
}

/* Random globs and paths over a small alphabet, against the reference. */
static void
test_glob__differential(void **state)
{
	static const char *const atoms[] = {"a", "b", ".", "*", "?", "/", "**",
	    "[ab]", "[!a]", "\\*", "\xc3", "[a-c]", "**/", "/**"};
	static const char palpha[] = "ab./*\xc3\n";
	unsigned seed = (unsigned)time(NULL);
	char glob[64], path[32];
	struct tk_glob *g;
	size_t i, k, gl, pl, n = 0;
	int a, b;

	if (getenv("TK_SEED") != NULL)
		seed = (unsigned)strtoul(getenv("TK_SEED"), NULL, 10);
	printf(
	    "# glob differential seed %u (TK_SEED=%u to replay)\n", seed, seed);
	srand(seed);
	for (i = 0; i < 20000; i++) {
		gl = 0;
		for (k = (size_t)rand() % 6 + 1; k > 0; k--) {
			const char *at = atoms[rand() % TK_ARRAY_SIZE(atoms)];

			if (gl + strlen(at) >= sizeof(glob))
				break;
			memcpy(glob + gl, at, strlen(at));
			gl += strlen(at);
		}
		pl = (size_t)rand() % 10;
		for (k = 0; k < pl; k++)
			path[k] = palpha[rand() % (sizeof(palpha) - 1)];
		g = NULL;
		if (tk_glob_compile(&g, glob, gl) != 0)
			continue;
		n++;
		a = tk_glob_match(g, path, pl);
		b = ref_match(glob, gl, path, pl);
		if (b >= 0 && a != b)
			fail_msg("seed %u: '%.*s' on '%.*s': %d, reference %d",
			    seed, (int)gl, glob, (int)pl, path, a, b);
		tk_glob_free(g);
	}
	assert_true(n > 1000);
}

/* Paths below a link or a submodule: tk_glob_match_below(). */
static const struct {
	const char *glob, *path;
	int want;
} below[] = {
    {".ci/**", ".ci", 1},
    {".ci/", ".ci", 1},
    {".ci/**", "ci", 0},
    {".ci/**", ".ci/a", 1},
    {"a/*", "a", 1},
    {"a/*", "a/b", 0},
    {"a/b/c", "a", 1},
    {"a/b/c", "a/b", 1},
    {"a/b/c", "a/x", 0},
    {"a/b/c", "a/b/c", 0},
    {"**/a", "a", 1},
    {"**/x.tf", "any/where", 1},
    {"deep/**/x.conf", "deep/q", 1},
    {"deep/**/x.conf", "other", 0},
    {"Makefile", "Makefile", 0},
    {"Makefile", "src", 0},
    {"*.tf", "x.tf", 0},
};

static void
test_glob__below(void **state)
{
	static const char *const atoms[] = {
	    "a", "b", "*", "?", "/", "**", "[ab]", "**/", "/**"};
	unsigned seed = (unsigned)time(NULL);
	char glob[64], path[64];
	struct tk_glob *g;
	size_t i, k, gl, pl, n = 0;
	int r;

	for (i = 0; i < TK_ARRAY_SIZE(below); i++) {
		g = NULL;
		assert_int_equal(
		    tk_glob_compile(&g, below[i].glob, strlen(below[i].glob)),
		    0);
		r = tk_glob_match_below(
		    g, below[i].path, strlen(below[i].path));
		if (r != below[i].want)
			fail_msg("below: '%s' on '%s': got %d, want %d",
			    below[i].glob, below[i].path, r, below[i].want);
		tk_glob_free(g);
	}
	/* Never 0 when some path below matches (the direction that guards). */
	srand(seed);
	for (i = 0; i < 20000; i++) {
		gl = 0;
		for (k = (size_t)rand() % 6 + 1; k > 0; k--) {
			const char *at = atoms[rand() % TK_ARRAY_SIZE(atoms)];

			if (gl + strlen(at) >= sizeof(glob))
				break;
			memcpy(glob + gl, at, strlen(at));
			gl += strlen(at);
		}
		g = NULL;
		if (tk_glob_compile(&g, glob, gl) != 0)
			continue;
		pl = 0;
		for (k = (size_t)rand() % 3 + 1; k > 0; k--) {
			path[pl++] = "ab"[rand() % 2];
			path[pl++] = '/';
		}
		k = pl - 1; /* the prefix: path[0..k) */
		for (r = rand() % 3; r >= 0; r--) {
			path[pl++] = "ab"[rand() % 2];
			path[pl++] = '/';
		}
		pl--;
		n++;
		if (tk_glob_match(g, path, pl) == 1 &&
		    tk_glob_match_below(g, path, k) != 1)
			fail_msg("seed %u: '%.*s' matches '%.*s' but not below "
			         "'%.*s'",
			    seed, (int)gl, glob, (int)pl, path, (int)k, path);
		tk_glob_free(g);
	}
	assert_true(n > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_glob__table),
	    cmocka_unit_test(test_glob__nul_in_path),
	    cmocka_unit_test(test_glob__errors),
	    cmocka_unit_test(test_glob__offsets),
	    cmocka_unit_test(test_glob__bounded),
	    cmocka_unit_test(test_glob__differential),
	    cmocka_unit_test(test_glob__below),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
