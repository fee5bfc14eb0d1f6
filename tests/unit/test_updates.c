/*
 * Unit tests for ref updates: parsing pre-receive input and update-hook
 * arguments, and classifying each update (create, delete, fast-forward,
 * force) against a repository built here with libgit2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "twokey/check.h"

#define Z40 "0000000000000000000000000000000000000000"
#define A40 "1111111111111111111111111111111111111111"
#define B40 "2222222222222222222222222222222222222222"
#define H40 "0123456789abcdef0123456789abcdef01234567"
#define A64 A40 "111111111111111111111111"
#define B64 B40 "222222222222222222222222"

static int
parse(struct tk_updates *u, const char *text)
{
	memset(u, 0, sizeof(*u));
	return tk_updates_parse(u, text, strlen(text));
}

/* Parses text, expects rc and a message containing want; releases. */
static void
refuse(const char *text, size_t len, int rc, const char *want)
{
	struct tk_updates u;
	int got;

	memset(&u, 0, sizeof(u));
	got = tk_updates_parse(&u, text, len);
	if (got != rc || strstr(tk_error_last(), want) == NULL)
		fail_msg("input '%.200s': rc %d (want %d), message '%s' (want "
		         "'%s')",
		    text, got, rc, tk_error_last(), want);
	tk_updates_release(&u);
	assert_null(u.items);
	assert_int_equal(u.n, 0);
}

#define REFUSE(text, rc, want) refuse((text), strlen(text), (rc), (want))

static void
test_updates__parse_good(void **state)
{
	struct tk_updates u;

	assert_int_equal(parse(&u,
	                     A40 " " B40 " refs/heads/main\n" Z40 " " H40
	                         " refs/tags/v1.0\n" H40 " " Z40
	                         " refs/heads/caf\xc3\xa9 x\n"),
	    0);
	assert_int_equal(u.n, 3);
	assert_int_equal(u.hexlen, 40);
	assert_string_equal(u.items[0].ref, "refs/heads/main");
	assert_string_equal(git_oid_tostr_s(&u.items[0].old_id), A40);
	assert_string_equal(git_oid_tostr_s(&u.items[0].new_id), B40);
	assert_string_equal(u.items[1].ref, "refs/tags/v1.0");
	assert_true(git_oid_is_zero(&u.items[1].old_id));
	assert_string_equal(git_oid_tostr_s(&u.items[1].new_id), H40);
	/* everything after the second space is the name, spaces and all */
	assert_string_equal(u.items[2].ref, "refs/heads/caf\xc3\xa9 x");
	assert_true(git_oid_is_zero(&u.items[2].new_id));
	tk_updates_release(&u);
	assert_null(u.items);
	assert_int_equal(u.n, 0);
	tk_updates_release(&u); /* twice is harmless */

	/* no input, no updates */
	assert_int_equal(parse(&u, ""), 0);
	assert_int_equal(u.n, 0);
	tk_updates_release(&u);

	/* a ref of TK_REF_MAX_LEN bytes */
	{
		struct tk_buf b = TK_BUF_INIT(TK_REF_MAX_LEN + 200);
		size_t i;

		assert_int_equal(
		    tk_buf_puts(&b, A40 " " B40 " refs/heads/"), 0);
		for (i = strlen("refs/heads/"); i < TK_REF_MAX_LEN; i++)
			assert_int_equal(tk_buf_putc(&b, 'x'), 0);
		assert_int_equal(tk_buf_putc(&b, '\n'), 0);
		assert_int_equal(parse(&u, b.ptr), 0);
		assert_int_equal(strlen(u.items[0].ref), TK_REF_MAX_LEN);
		tk_updates_release(&u);
		/* and one more byte is too long */
		b.len--;
		assert_int_equal(tk_buf_puts(&b, "x\n"), 0);
		refuse(
		    b.ptr, b.len, TK_EINVAL, "ref update 1: invalid ref name");
		tk_buf_release(&b);
	}
}

static void
test_updates__parse_bad(void **state)
{
	/* the final line must end in LF */
	REFUSE(A40 " " B40 " refs/heads/main", TK_EINVAL,
	    "ref update 1: line not terminated");
	REFUSE(A40 " " B40 " refs/heads/a\n" A40 " " B40 " refs/heads/b",
	    TK_EINVAL, "ref update 2: line not terminated");
	/* a name twice: git never repeats one */
	REFUSE(A40 " " B40 " refs/heads/a\n" Z40 " " B40 " refs/heads/b\n" B40
	           " " Z40 " refs/heads/a\n",
	    TK_EINVAL, "ref update 3: refs/heads/a is named twice in one push");
	/* fields */
	REFUSE(A40 " " B40 "\n", TK_EINVAL,
	    "ref update 1: expected '<old> <new> <ref>'");
	REFUSE("\n", TK_EINVAL, "ref update 1: expected '<old> <new> <ref>'");
	REFUSE(A40 " " B40 " \n", TK_EINVAL, "ref update 1: invalid ref name");
	REFUSE(A40 "  " B40 " refs/heads/main\n", TK_EINVAL,
	    "ref update 1: malformed object id");
	/* ids: length, case, digits */
	REFUSE("111111111111111111111111111111111111111 " B40
	       " refs/heads/main\n",
	    TK_EINVAL, "ref update 1: malformed object id");
	REFUSE(A40 "1 " B40 " refs/heads/main\n", TK_EINVAL,
	    "ref update 1: malformed object id");
	REFUSE(A40
	    " 0123456789ABCDEF0123456789abcdef01234567 refs/heads/main\n",
	    TK_EINVAL, "ref update 1: malformed object id");
	REFUSE(A40
	    " 0123456789abcdeg0123456789abcdef01234567 refs/heads/main\n",
	    TK_EINVAL, "ref update 1: malformed object id");
	REFUSE(A40 " " B40 " refs/heads/a\n"
	           "-123456789abcdef0123456789abcdef01234567 " B40
	           " refs/heads/b\n",
	    TK_EINVAL, "ref update 2: malformed object id");
	/* SHA-256: not yet, and never mixed */
	REFUSE(A64 " " B64 " refs/heads/main\n", TK_EUNSUPPORTED,
	    "SHA-256 repositories are not supported");
	REFUSE(A40 " " B64 " refs/heads/main\n", TK_EINVAL,
	    "ref update 1: malformed object id");
	REFUSE(A40 " " B40 " refs/heads/a\n" A64 " " B64 " refs/heads/b\n",
	    TK_EINVAL, "ref update 2: object ids of mixed length");
	/* neither a create nor a delete */
	REFUSE(Z40 " " Z40 " refs/heads/main\n", TK_EINVAL,
	    "ref update 1: old and new object ids are both zero");
	/* control characters in the name, CRLF line ends included */
	REFUSE(A40 " " B40 " refs/heads/\x1b[31mred\n", TK_EINVAL,
	    "ref update 1: invalid ref name");
	REFUSE(A40 " " B40 " refs/heads/main\r\n", TK_EINVAL,
	    "ref update 1: invalid ref name");
	REFUSE(A40 " " B40 " refs/heads/ma\x7fin\n", TK_EINVAL,
	    "ref update 1: invalid ref name");
	REFUSE(A40 " " B40 " refs/heads/ma\tin\n", TK_EINVAL,
	    "ref update 1: invalid ref name");
	{
		static const char nul[] = A40 " " B40 " refs/heads/ma\0in\n";

		refuse(nul, sizeof(nul) - 1, TK_EINVAL,
		    "ref update 1: invalid ref name");
	}
	/* an error after good lines frees what was parsed (ASan checks) */
	REFUSE(A40 " " B40 " refs/heads/a\n" A40 " " B40 " refs/heads/b\n" A40
	           " " B40 " refs/heads/\x01\n",
	    TK_EINVAL, "ref update 3: invalid ref name");
}

static void
test_updates__parse_limits(void **state)
{
	struct tk_updates u;
	struct tk_buf b = TK_BUF_INIT(TK_UPDATES_MAX_INPUT);
	char *huge;
	size_t i;

	/* TK_UPDATES_MAX_REFS lines are accepted, one more is not */
	for (i = 0; i < TK_UPDATES_MAX_REFS; i++)
		assert_int_equal(
		    tk_buf_printf(&b, A40 " " B40 " refs/heads/b%zu\n", i), 0);
	assert_int_equal(parse(&u, b.ptr), 0);
	assert_int_equal(u.n, TK_UPDATES_MAX_REFS);
	assert_string_equal(
	    u.items[TK_UPDATES_MAX_REFS - 1].ref, "refs/heads/b99999");
	tk_updates_release(&u);
	assert_int_equal(
	    tk_buf_puts(&b, A40 " " B40 " refs/heads/one-more\n"), 0);
	refuse(b.ptr, b.len, TK_ETOOBIG, "more than 100000 ref updates");
	tk_buf_release(&b);

	/* input over TK_UPDATES_MAX_INPUT is refused before it is read */
	huge = calloc(1, TK_UPDATES_MAX_INPUT + 1);
	assert_non_null(huge);
	refuse(huge, TK_UPDATES_MAX_INPUT + 1, TK_ETOOBIG,
	    "ref update list too large");
	free(huge);
}

static void
test_updates__args(void **state)
{
	struct tk_updates u;
	char *three[] = {"refs/heads/main", A40, B40, NULL};
	char *seven[] = {"refs/heads/main", A40, B40, "oldtree", "newtree", "W",
	    "VREF/NAME/x", NULL};
	char *bad_hex[] = {"refs/heads/main", A40, "xyz", NULL};
	char *bad_ref[] = {"refs/heads/\x1b", A40, B40, NULL};
	char *sha256[] = {"refs/heads/main", A64, B64, NULL};
	char *zeros[] = {"refs/heads/main", Z40, Z40, NULL};

	memset(&u, 0, sizeof(u));
	assert_int_equal(tk_updates_from_args(&u, 3, three), 0);
	assert_int_equal(u.n, 1);
	assert_int_equal(u.hexlen, 40);
	assert_string_equal(u.items[0].ref, "refs/heads/main");
	assert_string_equal(git_oid_tostr_s(&u.items[0].old_id), A40);
	assert_string_equal(git_oid_tostr_s(&u.items[0].new_id), B40);
	tk_updates_release(&u);

	/* gitolite's VREF call: the first three are what count */
	assert_int_equal(tk_updates_from_args(&u, 7, seven), 0);
	assert_int_equal(u.n, 1);
	assert_string_equal(u.items[0].ref, "refs/heads/main");
	assert_string_equal(git_oid_tostr_s(&u.items[0].new_id), B40);
	tk_updates_release(&u);

	for (int argc = 0; argc <= 8; argc++) {
		if (argc == 3 || argc == 7)
			continue;
		assert_int_equal(
		    tk_updates_from_args(&u, argc, seven), TK_EINVAL);
		assert_non_null(strstr(tk_error_last(), "arguments"));
		assert_int_equal(u.n, 0);
	}
	assert_int_equal(tk_updates_from_args(&u, 4, seven), TK_EINVAL);
	assert_string_equal(tk_error_last(),
	    "expected 'REF OLD NEW' (or gitolite's 7 VREF arguments), got 4 "
	    "arguments");

	assert_int_equal(tk_updates_from_args(&u, 3, bad_hex), TK_EINVAL);
	assert_int_equal(tk_updates_from_args(&u, 3, bad_ref), TK_EINVAL);
	assert_int_equal(tk_updates_from_args(&u, 3, sha256), TK_EUNSUPPORTED);
	assert_int_equal(tk_updates_from_args(&u, 3, zeros), TK_EINVAL);
	assert_int_equal(u.n, 0);
	tk_updates_release(&u);
}

static void
test_updates__kind_name(void **state)
{
	assert_string_equal(tk_kind_name(TK_KIND_CREATE), "create");
	assert_string_equal(tk_kind_name(TK_KIND_DELETE), "delete");
	assert_string_equal(tk_kind_name(TK_KIND_FAST_FORWARD), "update");
	assert_string_equal(tk_kind_name(TK_KIND_FORCE), "force-push");
}

/* ---- classification, in a repository made here ---- */

struct repo {
	char dir[256];
	git_repository *repo;
	git_oid tree, blob, c1, c2, c3, c4, tag1;
};

static void
commit(struct repo *r, git_oid *out, const char *msg, size_t nparents,
    const git_oid *p1)
{
	git_signature *sig;
	git_tree *tree;
	git_commit *parent = NULL;
	const git_commit *parents[1] = {NULL};

	assert_int_equal(
	    git_signature_new(&sig, "T", "t@example.com", 1700000000, 0), 0);
	assert_int_equal(git_tree_lookup(&tree, r->repo, &r->tree), 0);
	if (nparents == 1) {
		assert_int_equal(git_commit_lookup(&parent, r->repo, p1), 0);
		parents[0] = parent;
	}
	assert_int_equal(git_commit_create(out, r->repo, NULL, sig, sig, NULL,
	                     msg, tree, nparents, parents),
	    0);
	git_commit_free(parent);
	git_tree_free(tree);
	git_signature_free(sig);
}

static int
repo_setup(void **state)
{
	struct repo *r = calloc(1, sizeof(*r));
	const char *t = getenv("TMPDIR");
	git_treebuilder *tb;
	git_object *target;
	git_signature *sig;

	if (r == NULL || git_libgit2_init() < 0)
		return -1;
	snprintf(r->dir, sizeof(r->dir), "%s/tk-updates-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(r->dir) == NULL ||
	    git_repository_init(&r->repo, r->dir, 1) < 0)
		return -1;
	if (git_blob_create_from_buffer(&r->blob, r->repo, "x\n", 2) < 0 ||
	    git_treebuilder_new(&tb, r->repo, NULL) < 0 ||
	    git_treebuilder_insert(
	        NULL, tb, "file", &r->blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&r->tree, tb) < 0)
		return -1;
	git_treebuilder_free(tb);
	/*
	 *   c1 -- c2 -- c4
	 *     \
	 *      c3
	 */
	commit(r, &r->c1, "one\n", 0, NULL);
	commit(r, &r->c2, "two\n", 1, &r->c1);
	commit(r, &r->c3, "three\n", 1, &r->c1);
	commit(r, &r->c4, "four\n", 1, &r->c2);
	/* an annotated tag of c1 */
	if (git_signature_new(&sig, "T", "t@example.com", 1700000000, 0) < 0 ||
	    git_object_lookup(&target, r->repo, &r->c1, GIT_OBJECT_COMMIT) <
	        0 ||
	    git_tag_create(&r->tag1, r->repo, "v1", target, sig, "v1\n", 0) < 0)
		return -1;
	git_object_free(target);
	git_signature_free(sig);
	*state = r;
	return 0;
}

static int
repo_teardown(void **state)
{
	struct repo *r = *state;
	char cmd[400];
	int rc = 0;

	git_repository_free(r->repo);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	if (strstr(r->dir, "tk-updates-") != NULL && system(cmd) != 0)
		rc = -1;
	free(r);
	git_libgit2_shutdown();
	return rc;
}

struct case_ {
	const char *ref;
	const git_oid *old, *new_;
	enum tk_kind want;
};

/* One line; the name gets "-i" so that no name is listed twice. */
static void
append_line(struct tk_buf *b, const struct case_ *c, size_t i)
{
	char o[GIT_OID_HEXSZ + 1], n[GIT_OID_HEXSZ + 1];

	memset(o, '0', GIT_OID_HEXSZ);
	memset(n, '0', GIT_OID_HEXSZ);
	o[GIT_OID_HEXSZ] = n[GIT_OID_HEXSZ] = '\0';
	if (c->old != NULL)
		git_oid_tostr(o, sizeof(o), c->old);
	if (c->new_ != NULL)
		git_oid_tostr(n, sizeof(n), c->new_);
	assert_int_equal(
	    tk_buf_printf(b, "%s %s %s-%zu\n", o, n, c->ref, i), 0);
}

static void
test_updates__classify(void **state)
{
	struct repo *r = *state;
	const struct case_ cases[] = {
	    {"refs/heads/new", NULL, &r->c1, TK_KIND_CREATE},
	    {"refs/heads/gone", &r->c1, NULL, TK_KIND_DELETE},
	    {"refs/heads/main", &r->c1, &r->c2, TK_KIND_FAST_FORWARD},
	    {"refs/heads/main", &r->c1, &r->c4, TK_KIND_FAST_FORWARD},
	    {"refs/heads/main", &r->c2, &r->c2, TK_KIND_FAST_FORWARD},
	    {"refs/heads/main", &r->c2, &r->c3, TK_KIND_FORCE},
	    {"refs/heads/main", &r->c3, &r->c4, TK_KIND_FORCE},
	    {"refs/heads/main", &r->c2, &r->c1, TK_KIND_FORCE}, /* rewind */
	    /* an annotated tag under refs/heads peels to its commit */
	    {"refs/heads/odd", &r->tag1, &r->c2, TK_KIND_FAST_FORWARD},
	    /* a tree is not a commit: never a fast-forward */
	    {"refs/heads/odd", &r->c1, &r->tree, TK_KIND_FORCE},
	    {"refs/heads/odd", &r->tree, &r->c1, TK_KIND_FORCE},
	    {"refs/heads/odd", &r->blob, &r->tree, TK_KIND_FORCE},
	    /* tags: created and deleted as usual... */
	    {"refs/tags/v2", NULL, &r->c1, TK_KIND_CREATE},
	    {"refs/tags/v2", NULL, &r->tag1, TK_KIND_CREATE},
	    {"refs/tags/v2", &r->c1, NULL, TK_KIND_DELETE},
	    /* ...but every move is a force, fast-forward or not */
	    {"refs/tags/v1", &r->c1, &r->c2, TK_KIND_FORCE},
	    {"refs/tags/v1", &r->tag1, &r->c4, TK_KIND_FORCE},
	    {"refs/tags/v1", &r->c1, &r->c1, TK_KIND_FORCE},
	    {"refs/tags/nested/v1", &r->c1, &r->c2, TK_KIND_FORCE},
	    /* "refs/tagsx/" is not a tag */
	    {"refs/tagsx/v1", &r->c1, &r->c2, TK_KIND_FAST_FORWARD},
	    {"refs/notes/commits", &r->c1, &r->c2, TK_KIND_FAST_FORWARD},
	};
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	struct tk_updates u;
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(cases); i++)
		append_line(&b, &cases[i], i);
	assert_int_equal(parse(&u, b.ptr), 0);
	assert_int_equal(u.n, TK_ARRAY_SIZE(cases));
	assert_int_equal(tk_updates_classify(&u, r->repo), 0);
	for (i = 0; i < u.n; i++)
		if (u.items[i].kind != cases[i].want)
			fail_msg("case %zu (%s): %s, want %s", i, cases[i].ref,
			    tk_kind_name(u.items[i].kind),
			    tk_kind_name(cases[i].want));
	tk_updates_release(&u);
	tk_buf_release(&b);
}

static void
test_updates__classify_missing(void **state)
{
	struct repo *r = *state;
	struct tk_updates u;
	char text[512];
	char c1[GIT_OID_HEXSZ + 1];

	git_oid_tostr(c1, sizeof(c1), &r->c1);

	/*
	 * An object libgit2 cannot read (missing, or a malformed commit) is
	 * no fast-forward: the stricter kind, force-push; the rules that
	 * inspect commits then report the object itself.
	 */
	snprintf(text, sizeof(text), "%s " H40 " refs/heads/main\n", c1);
	assert_int_equal(parse(&u, text), 0);
	assert_int_equal(tk_updates_classify(&u, r->repo), 0);
	assert_int_equal(u.items[0].kind, TK_KIND_FORCE);
	tk_updates_release(&u);

	snprintf(text, sizeof(text), H40 " %s refs/heads/main\n", c1);
	assert_int_equal(parse(&u, text), 0);
	assert_int_equal(tk_updates_classify(&u, r->repo), 0);
	assert_int_equal(u.items[0].kind, TK_KIND_FORCE);
	tk_updates_release(&u);

	/* creates, deletes and tag moves need no object */
	snprintf(text, sizeof(text),
	    Z40 " " H40 " refs/heads/a\n" H40 " " Z40 " refs/heads/b\n" H40
	        " " B40 " refs/tags/c\n");
	assert_int_equal(parse(&u, text), 0);
	assert_int_equal(tk_updates_classify(&u, r->repo), 0);
	assert_int_equal(u.items[0].kind, TK_KIND_CREATE);
	assert_int_equal(u.items[1].kind, TK_KIND_DELETE);
	assert_int_equal(u.items[2].kind, TK_KIND_FORCE);
	tk_updates_release(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_updates__parse_good),
	    cmocka_unit_test(test_updates__parse_bad),
	    cmocka_unit_test(test_updates__parse_limits),
	    cmocka_unit_test(test_updates__args),
	    cmocka_unit_test(test_updates__kind_name),
	    cmocka_unit_test_setup_teardown(
	        test_updates__classify, repo_setup, repo_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_updates__classify_missing, repo_setup, repo_teardown),
	};

	int rc;

	git_libgit2_init(); /* git_oid_tostr_s() needs it */
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
