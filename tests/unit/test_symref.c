/*
 * Unit tests for ref names as git writes them (lib/commit/refs.c): the
 * $GIT_NAMESPACE prefix, and following symbolic refs the way git 2.39's
 * refs_resolve_ref_unsafe() does (chains of up to SYMREF_MAXDEPTH names,
 * dangling targets, loops, invalid targets), in a bare repository whose
 * symbolic refs are written as files, the way git stores them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "twokey/repo.h"

struct repo {
	char dir[256];
	git_repository *repo;
	git_oid blob;
};

/* Writes "ref: target" (or raw bytes when raw) as the loose ref name. */
static void
write_ref(struct repo *r, const char *name, const char *content)
{
	char path[1024], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	for (slash = strchr(path + strlen(r->dir) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(path, 0755);
		*slash = '/';
	}
	assert_non_null(f = fopen(path, "w"));
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static void
symref(struct repo *r, const char *name, const char *target)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "ref: %s\n", target);
	write_ref(r, name, buf);
}

static int
setup(void **state)
{
	struct repo *r = calloc(1, sizeof(*r));
	const char *t = getenv("TMPDIR");
	git_reference *ref = NULL;

	if (r == NULL || git_libgit2_init() < 0)
		return -1;
	snprintf(r->dir, sizeof(r->dir), "%s/tk-symref-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(r->dir) == NULL ||
	    git_repository_init(&r->repo, r->dir, 1) < 0 ||
	    git_blob_create_from_buffer(&r->blob, r->repo, "x\n", 2) < 0 ||
	    git_reference_create(
	        &ref, r->repo, "refs/heads/main", &r->blob, 0, NULL) < 0)
		return -1;
	git_reference_free(ref);
	*state = r;
	return 0;
}

static int
teardown(void **state)
{
	struct repo *r = *state;
	char cmd[400];
	int rc = 0;

	git_repository_free(r->repo);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	if (strstr(r->dir, "tk-symref-") != NULL && system(cmd) != 0)
		rc = -1;
	free(r);
	git_libgit2_shutdown();
	return rc;
}

/* name resolves to want */
static void
resolves(struct repo *r, const char *name, const char *want)
{
	char *got = NULL;
	int rc = tk_repo_resolve_ref(&got, r->repo, name);

	if (rc != 0 || got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: rc %d, '%s' (want '%s'; %s)", name, rc,
		    got ? got : "(null)", want, tk_error_last());
	free(got);
}

/* name is broken for git: TK_EINVAL with a message containing why */
static void
broken(struct repo *r, const char *name, const char *why)
{
	char *got = NULL;
	int rc = tk_repo_resolve_ref(&got, r->repo, name);

	if (rc != TK_EINVAL || got != NULL ||
	    strstr(tk_error_last(), why) == NULL)
		fail_msg("%s: rc %d, '%s', message '%s' (want '%s')", name, rc,
		    got ? got : "(null)", tk_error_last(), why);
}

static void
test_symref__direct_and_missing(void **state)
{
	struct repo *r = *state;

	resolves(r, "refs/heads/main", "refs/heads/main");
	/* a ref that does not exist is the ref git creates */
	resolves(r, "refs/heads/new", "refs/heads/new");
	resolves(r, "refs/namespaces/a/refs/heads/x",
	    "refs/namespaces/a/refs/heads/x");
}

static void
test_symref__alias(void **state)
{
	struct repo *r = *state;

	symref(r, "refs/heads/alias", "refs/heads/main");
	resolves(r, "refs/heads/alias", "refs/heads/main");
	/* dangling: git writes through and creates the target */
	symref(r, "refs/heads/dangling", "refs/heads/release/1");
	resolves(r, "refs/heads/dangling", "refs/heads/release/1");
	/* HEAD is followed like any other symbolic ref */
	symref(r, "HEAD", "refs/heads/main");
	symref(r, "refs/heads/head", "HEAD");
	resolves(r, "refs/heads/head", "refs/heads/main");
	/* ...and a detached HEAD is where the chain ends */
	write_ref(r, "HEAD", "0123456789abcdef0123456789abcdef01234567\n");
	resolves(r, "refs/heads/head", "HEAD");
	/* targets outside the namespace are reported as they are */
	symref(r, "refs/namespaces/a/refs/heads/out", "refs/heads/main");
	resolves(r, "refs/namespaces/a/refs/heads/out", "refs/heads/main");
}

static void
test_symref__chains(void **state)
{
	struct repo *r = *state;

	/* c1 -> c2 -> c3 -> c4 -> c5 -> main */
	symref(r, "refs/heads/c5", "refs/heads/main");
	symref(r, "refs/heads/c4", "refs/heads/c5");
	symref(r, "refs/heads/c3", "refs/heads/c4");
	symref(r, "refs/heads/c2", "refs/heads/c3");
	symref(r, "refs/heads/c1", "refs/heads/c2");
	/* git reads at most 5 names: c2..c5 and main */
	resolves(r, "refs/heads/c5", "refs/heads/main");
	resolves(r, "refs/heads/c2", "refs/heads/main");
	broken(r, "refs/heads/c1", "chain of more than 4 symbolic refs");
	/* the same limit when the end is dangling */
	symref(r, "refs/heads/c5", "refs/heads/gone");
	resolves(r, "refs/heads/c2", "refs/heads/gone");
	broken(r, "refs/heads/c1", "chain of more than 4");
}

static void
test_symref__loops(void **state)
{
	struct repo *r = *state;

	symref(r, "refs/heads/self", "refs/heads/self");
	broken(r, "refs/heads/self", "symbolic ref loop");
	symref(r, "refs/heads/l1", "refs/heads/l2");
	symref(r, "refs/heads/l2", "refs/heads/l1");
	broken(r, "refs/heads/l1", "symbolic ref loop");
	broken(r, "refs/heads/l2", "symbolic ref loop");
	/* a loop entered after a few steps */
	symref(r, "refs/heads/l0", "refs/heads/l1");
	broken(r, "refs/heads/l0", "symbolic ref loop");
}

static void
test_symref__invalid(void **state)
{
	struct repo *r = *state;
	char *got = NULL;

	symref(r, "refs/heads/bad1", "refs/heads/..x");
	symref(r, "refs/heads/bad2", "refs/heads/x.lock");
	symref(r, "refs/heads/bad3", "refs/heads/a b");
	symref(r, "refs/heads/bad4", "refs/heads/x/");
	symref(r, "refs/heads/bad5", "refs//heads/x");
	/* unreadable or invalid: never resolved to something */
	assert_int_equal(
	    tk_repo_resolve_ref(&got, r->repo, "refs/heads/bad1"), TK_EINVAL);
	assert_null(got);
	assert_int_equal(
	    tk_repo_resolve_ref(&got, r->repo, "refs/heads/bad2"), TK_EINVAL);
	assert_int_equal(
	    tk_repo_resolve_ref(&got, r->repo, "refs/heads/bad3"), TK_EINVAL);
	assert_int_equal(
	    tk_repo_resolve_ref(&got, r->repo, "refs/heads/bad4"), TK_EINVAL);
	assert_int_equal(
	    tk_repo_resolve_ref(&got, r->repo, "refs/heads/bad5"), TK_EINVAL);
	/* a loose ref file that is neither an id nor "ref: " */
	write_ref(r, "refs/heads/junk", "garbage\n");
	assert_int_equal(
	    tk_repo_resolve_ref(&got, r->repo, "refs/heads/junk"), TK_EINVAL);
	assert_null(got);
}

/* raw gives want ("" for none), or fails when want is NULL */
static void
prefix(const char *raw, const char *want)
{
	char *got = NULL;
	int rc = tk_repo_ns_prefix(&got, raw);

	if (want == NULL) {
		if (rc != TK_EINVAL || got != NULL)
			fail_msg("'%s': rc %d, want TK_EINVAL", raw, rc);
		return;
	}
	if (rc != 0 || strcmp(got, want) != 0)
		fail_msg("'%s': rc %d, '%s' (want '%s')", raw ? raw : "NULL",
		    rc, got ? got : "(null)", want);
	free(got);
}

static void
test_symref__namespace(void **state)
{
	char *full = NULL;

	(void)state;
	prefix(NULL, "");
	prefix("", "");
	prefix("a", "refs/namespaces/a/");
	prefix("a/b", "refs/namespaces/a/refs/namespaces/b/");
	/* as git's expand_namespace(): empty parts are skipped... */
	prefix("/a", "refs/namespaces/a/");
	prefix("a//b", "refs/namespaces/a/refs/namespaces/b/");
	prefix("//", "");
	/* ...but a trailing '/' and invalid components make git die */
	prefix("a/", NULL);
	prefix("a..b", NULL);
	prefix("a.lock", NULL);
	prefix("a b", NULL);
	prefix("a\001b", NULL);
	prefix("a*", NULL);

	assert_int_equal(unsetenv("GIT_NAMESPACE"), 0);
	assert_int_equal(tk_repo_ref_name(&full, "refs/notes/twokey"), 0);
	assert_string_equal(full, "refs/notes/twokey");
	free(full);
	assert_int_equal(setenv("GIT_NAMESPACE", "a/b", 1), 0);
	assert_int_equal(tk_repo_ref_name(&full, "refs/notes/twokey"), 0);
	assert_string_equal(
	    full, "refs/namespaces/a/refs/namespaces/b/refs/notes/twokey");
	free(full);
	full = NULL;
	assert_int_equal(setenv("GIT_NAMESPACE", "a/", 1), 0);
	assert_int_equal(
	    tk_repo_ref_name(&full, "refs/notes/twokey"), TK_EINVAL);
	assert_null(full);
	assert_int_equal(unsetenv("GIT_NAMESPACE"), 0);
}

/* The names git-receive-pack writes: check_refname_format(name + 5, 0). */
static void
test_symref__pushable(void **state)
{
	static const char *good[] = {"refs/heads/main", "refs/heads/a/b/c",
	    "refs/tags/v1.0", "refs/heads/x@y", "refs/heads/@",
	    "refs/heads/a.b", "refs/heads/-dash", "refs/heads/#x",
	    "refs/heads/\xc3\xbc", "refs/heads/\xc2\x9b", "refs/notes/twokey",
	    "refs/heads/a.locks", "refs/heads/lock", "refs/heads/{x}",
	    "refs/heads/a@b{c}"};
	static const char *bad[] = {"HEAD", "main", "refs", "refs/", "refs/foo",
	    "refs/@", "refs/heads/a..b", "refs/heads/x.lock",
	    "refs/heads/x.lock/y", "refs/heads/a@{b}", "refs/heads/main/",
	    "refs/heads//main", "refs/heads/.hidden", "refs/heads/main.",
	    "refs/heads/a b", "refs/heads/a\tb", "refs/heads/a:b",
	    "refs/heads/a?b", "refs/heads/a[b", "refs/heads/a\\b",
	    "refs/heads/a^b", "refs/heads/a~b", "refs/heads/a*b",
	    "refs/heads/a\x01b", "refs/heads/a\x7f", "/refs/heads/main",
	    "refs/heads/", "refs/heads/.", "refs/heads/.."};
	size_t i;

	(void)state;
	for (i = 0; i < TK_ARRAY_SIZE(good); i++)
		if (!tk_repo_refname_pushable(good[i]))
			fail_msg("refused: %s", good[i]);
	for (i = 0; i < TK_ARRAY_SIZE(bad); i++)
		if (tk_repo_refname_pushable(bad[i]))
			fail_msg("accepted: %s", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_symref__pushable),
	    cmocka_unit_test_setup_teardown(
	        test_symref__direct_and_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_symref__alias, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_symref__chains, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_symref__loops, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_symref__invalid, setup, teardown),
	    /* libgit2 validates the names: it must be initialised */
	    cmocka_unit_test_setup_teardown(
	        test_symref__namespace, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
