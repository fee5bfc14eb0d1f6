/*
 * Unit tests for detached approvals in git notes (lib/notes): parsing a
 * note's lines, the append-only comparison of two versions of a note,
 * finding a note along git's fanout paths, and telling which notes a tree
 * change touches, with notes trees built here with libgit2 (and, for the
 * trees git would never write, raw tree objects).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "twokey/notes.h"
#include "twokey/trailer.h"

#define SIG "sshsig:U1NIU0lH" /* base64 of "SSHSIG" */

/* ---- parsing -------------------------------------------------------- */

static void
test_notes__parse(void **state)
{
	static const char text[] = "\n  \n"
	                           "Approved-by: Bob <bob@x.org> " SIG "\r\n"
	                           "\n"
	                           "approved-BY:Carol <c@x.org> " SIG "\n"
	                           "junk here\n"
	                           "  Approved-by: Ind <i@x.org> " SIG "\n"
	                           "Approved-by: Eve <e@x.org>\n"
	                           "Approved-by: Mal <m@x.org> sshsig:!!!!\n"
	                           "Signed-off-by: A <a@x.org>";
	struct tk_approval_list *l = NULL;
	const struct tk_approval_trailer *t;

	(void)state;
	assert_int_equal(tk_notes_parse(&l, text, strlen(text)), 0);
	assert_int_equal(l->count, 7);
	t = l->items;
	assert_int_equal(t[0].problem, TK_TRAILER_OK);
	assert_string_equal(t[0].name, "Bob");
	assert_string_equal(t[0].email, "bob@x.org");
	assert_int_equal(t[0].sig_len, 6);
	assert_memory_equal(t[0].sig, "SSHSIG", 6);
	assert_int_equal(t[0].line, 3);
	assert_int_equal(t[1].problem, TK_TRAILER_OK); /* key any case */
	assert_string_equal(t[1].email, "c@x.org");
	assert_int_equal(t[1].line, 5);
	assert_int_equal(t[2].problem, TK_TRAILER_NOT_APPROVAL);
	assert_string_equal(t[2].text, "junk here");
	assert_int_equal(t[2].line, 6);
	/* no folding, no indentation: an indented line is no approval */
	assert_int_equal(t[3].problem, TK_TRAILER_NOT_APPROVAL);
	assert_int_equal(t[4].problem, TK_TRAILER_NO_SSHSIG);
	assert_int_equal(t[5].problem, TK_TRAILER_BAD_BASE64);
	assert_int_equal(t[6].problem, TK_TRAILER_NOT_APPROVAL);
	assert_int_equal(t[6].line, 10); /* the last line, no newline */
	tk_approval_list_free(l);

	assert_int_equal(tk_notes_parse(&l, "", 0), 0);
	assert_int_equal(l->count, 0);
	tk_approval_list_free(l);
	assert_int_equal(tk_notes_parse(&l, "\n \t\r\n", 5), 0);
	assert_int_equal(l->count, 0);
	tk_approval_list_free(l);
}

static void
test_notes__parse_limits(void **state)
{
	struct tk_buf b = TK_BUF_INIT(4 * TK_NOTE_MAX_SIZE);
	struct tk_approval_list *l = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < TK_NOTE_MAX_LINES; i++)
		assert_int_equal(tk_buf_printf(&b, "line %zu\n\n", i), 0);
	assert_int_equal(tk_notes_parse(&l, b.ptr, b.len), 0);
	assert_int_equal(l->count, TK_NOTE_MAX_LINES);
	tk_approval_list_free(l);
	assert_int_equal(tk_buf_puts(&b, "one more\n"), 0);
	assert_int_equal(tk_notes_parse(&l, b.ptr, b.len), TK_ETOOBIG);
	assert_null(l);

	/* one line over the trailer value bound */
	tk_buf_reset(&b);
	assert_int_equal(tk_buf_puts(&b, "Approved-by: A <a@x> sshsig:"), 0);
	for (i = 0; i < TK_TRAILER_MAX_VALUE; i++)
		assert_int_equal(tk_buf_putc(&b, 'A'), 0);
	assert_int_equal(tk_notes_parse(&l, b.ptr, b.len), TK_ETOOBIG);
	assert_null(l);

	/* the whole note over its bound */
	tk_buf_reset(&b);
	for (i = 0; i <= TK_NOTE_MAX_SIZE; i++)
		assert_int_equal(tk_buf_putc(&b, '\n'), 0);
	assert_int_equal(tk_notes_parse(&l, b.ptr, b.len), TK_ETOOBIG);
	assert_null(l);
	tk_buf_release(&b);
}

/* ---- copies of one approval ---------------------------------------- */

/* The base64 of an SSHSIG-shaped blob carrying key and then tail. */
static char *
fake_sig(const char *key, const char *tail)
{
	struct tk_buf raw = TK_BUF_INIT(1024), b64 = TK_BUF_INIT(4096);
	unsigned char be[4] = {0, 0, 0, 0};

	be[3] = (unsigned char)strlen(key);
	assert_int_equal(tk_buf_put(&raw, "SSHSIG\0\0\0\1", 10), 0);
	assert_int_equal(tk_buf_put(&raw, be, 4), 0);
	assert_int_equal(tk_buf_puts(&raw, key), 0);
	assert_int_equal(tk_buf_puts(&raw, tail), 0);
	assert_int_equal(
	    tk_base64_encode(&b64, (unsigned char *)raw.ptr, raw.len), 0);
	tk_buf_release(&raw);
	return tk_buf_detach(&b64, NULL);
}

/* dup of each line of text (all of them queried), as "01..." */
static void
expect_repeats(const char *text, const char *want)
{
	struct tk_span q[16] = {{NULL, 0}};
	bool dup[16];
	char got[17];
	const char *p = text, *nl;
	size_t n = 0, i;

	for (; *p != '\0' && n < 16; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		q[n].p = p;
		q[n++].len = (size_t)(nl - p);
	}
	assert_int_equal(tk_notes_repeats(dup, text, strlen(text), q, n), 0);
	for (i = 0; i < n; i++)
		got[i] = dup[i] ? '1' : '0';
	got[n] = '\0';
	if (strcmp(got, want) != 0)
		fail_msg("'%s': got %s, want %s", text, got, want);
}

static void
test_notes__repeats(void **state)
{
	char *a1 = fake_sig("key-a", "one"), *a2 = fake_sig("key-a", "two"),
	     *b1 = fake_sig("key-b", "one");
	struct tk_buf t = TK_BUF_INIT(65536);

	(void)state;
	/* respelled copies of one approval: name, spacing, case, CR */
	(void)tk_buf_printf(&t,
	    "Approved-by: A <a@x> sshsig:%s\n"
	    "APPROVED-BY:\tAnother Name <A@X>\tsshsig:%s \r\n"
	    "Approved-by: B <b@x> sshsig:%s\n",
	    a1, a1, b1);
	expect_repeats(t.ptr, "110");
	/* another signature by the same key and email is a copy too */
	tk_buf_reset(&t);
	(void)tk_buf_printf(&t,
	    "Approved-by: A <a@x> sshsig:%s\n"
	    "Approved-by: A <a@x> sshsig:%s\n",
	    a1, a2);
	expect_repeats(t.ptr, "11");
	/* the same key under another email, the same line twice, junk */
	tk_buf_reset(&t);
	(void)tk_buf_printf(&t,
	    "Approved-by: A <a@x> sshsig:%s\n"
	    "Approved-by: A <a.two@x> sshsig:%s\n"
	    "Approved-by: A <a@x> sshsig:%s\n"
	    "Reviewed-by: A <a@x> sshsig:%s\n"
	    "Approved-by: A <a@x>\n",
	    a1, a1, a1, a1);
	expect_repeats(t.ptr, "00000");
	/* a blob too short to name a key names none */
	tk_buf_reset(&t);
	(void)tk_buf_printf(&t,
	    "Approved-by: A <a@x> " SIG "\n"
	    "Approved-by: B <a@x> " SIG "\n");
	expect_repeats(t.ptr, "00");
	tk_buf_release(&t);
	free(a1);
	free(a2);
	free(b1);
}

/* ---- the append-only comparison ------------------------------------- */

static void
expect_delta(
    const char *a, const char *b, const char *added, const char *removed)
{
	struct tk_notes_delta d;
	struct tk_buf got = TK_BUF_INIT(65536);
	size_t i;

	memset(&d, 0, sizeof(d));
	assert_int_equal(tk_notes_compare(&d, a, strlen(a), b, strlen(b)), 0);
	for (i = 0; i < d.nadded; i++)
		(void)tk_buf_printf(
		    &got, "%.*s|", (int)d.added[i].len, d.added[i].p);
	if (strcmp(got.ptr ? got.ptr : "", added) != 0)
		fail_msg("'%s' -> '%s': added '%s', want '%s'", a, b,
		    got.ptr ? got.ptr : "", added);
	tk_buf_reset(&got);
	for (i = 0; i < d.nremoved; i++)
		(void)tk_buf_printf(
		    &got, "%.*s|", (int)d.removed[i].len, d.removed[i].p);
	if (strcmp(got.ptr ? got.ptr : "", removed) != 0)
		fail_msg("'%s' -> '%s': removed '%s', want '%s'", a, b,
		    got.ptr ? got.ptr : "", removed);
	tk_notes_delta_release(&d);
	tk_buf_release(&got);
}

static void
test_notes__compare(void **state)
{
	struct tk_notes_delta d;
	struct tk_buf big = TK_BUF_INIT(1 << 20);
	size_t i;

	(void)state;
	expect_delta("", "", "", "");
	expect_delta("", "x\n", "x|", "");
	expect_delta("x\n", "", "", "x|");
	/* order, repeats and blank lines do not matter (cat_sort_uniq) */
	expect_delta("x\ny\n", "y\n\n \t\nx\nx\n", "", "");
	expect_delta("x\nx\n", "x\n", "", "");
	expect_delta("b\na\n", "a\nb\nc\n", "c|", "");
	/* git notes append: a blank line between the old and the new */
	expect_delta("x\n", "x\n\ny\n", "y|", "");
	/* a changed line is one removed and one added, byte for byte */
	expect_delta("x\ny\n", "x\nY\n", "Y|", "y|");
	expect_delta("x\n", "x\r\n", "x\r|", "x|");
	expect_delta("x\n", "x \n", "x |", "x|");
	/* a missing final newline is no change */
	expect_delta("x\ny", "y\nx\n", "", "");
	/* prefixes are different lines */
	expect_delta("abc\n", "ab\nabc\nabcd\n", "ab|abcd|", "");
	expect_delta("ab\nabcd\n", "abc\n", "abc|", "ab|abcd|");

	for (i = 0; i <= TK_NOTE_MAX_LINES; i++)
		(void)tk_buf_printf(&big, "%zu\n", i);
	memset(&d, 0, sizeof(d));
	assert_int_equal(
	    tk_notes_compare(&d, "x\n", 2, big.ptr, big.len), TK_ETOOBIG);
	assert_null(d.added);
	assert_int_equal(
	    tk_notes_compare(&d, big.ptr, big.len, "x\n", 2), TK_ETOOBIG);
	tk_buf_release(&big);
}

/* ---- notes trees ---------------------------------------------------- */

struct repo {
	char dir[64];
	git_repository *repo;
};

static int
repo_setup(void **state)
{
	struct repo *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -1;
	git_libgit2_init();
	snprintf(r->dir, sizeof(r->dir), "/tmp/tk-notes-XXXXXX");
	if (mkdtemp(r->dir) == NULL ||
	    git_repository_init(&r->repo, r->dir, 1) < 0)
		return -1;
	*state = r;
	return 0;
}

static int
repo_teardown(void **state)
{
	struct repo *r = *state;
	char cmd[200];
	int rc = 0;

	git_repository_free(r->repo);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	if (strstr(r->dir, "tk-notes-") != NULL && system(cmd) != 0)
		rc = -1;
	free(r);
	git_libgit2_shutdown();
	return rc;
}

struct file {
	const char *path;
	const char *content;
	git_filemode_t mode; /* 0: 100644 */
};

/* A tree holding files (git's order, as git writes it). */
static void
mktree(git_repository *repo, git_oid *out, const struct file *f, size_t n)
{
	git_index *idx = NULL;
	git_index_entry e;
	size_t i;

	assert_int_equal(git_index_new(&idx), 0);
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.path = f[i].path;
		e.mode = f[i].mode ? f[i].mode : GIT_FILEMODE_BLOB;
		assert_int_equal(git_blob_create_from_buffer(&e.id, repo,
		                     f[i].content, strlen(f[i].content)),
		    0);
		if (git_index_add(idx, &e) < 0)
			fail_msg("%s", git_error_last()->message);
	}
	if (git_index_write_tree_to(out, idx, repo) < 0)
		fail_msg("%s", git_error_last()->message);
	git_index_free(idx);
}

#define N1 "1111111111111111111111111111111111111111"
#define N2 "ab22222222222222222222222222222222222222"
#define N3 "cdef333333333333333333333333333333333333"
#define N4 "4444444444444444444444444444444444444444"
#define N5 "5555555555555555555555555555555555555555"
#define N6 "6666666666666666666666666666666666666666"
/* The same objects under fanout directories. */
#define P1 "11/11111111111111111111111111111111111111"
#define P2 "ab/22222222222222222222222222222222222222"
#define P3 "cd/ef/333333333333333333333333333333333333"
#define P4 "44/44444444444444444444444444444444444444"
#define P2_ABC "abc/2222222222222222222222222222222222222"
#define P2_39 "ab/2222222222222222222222222222222222222"

static void
expect_note(struct tk_notes *n, const char *hex, const char *want)
{
	struct tk_buf b = TK_BUF_INIT(TK_NOTE_MAX_SIZE + 64);
	git_oid id;

	assert_int_equal(git_oid_fromstr(&id, hex), 0);
	assert_int_equal(tk_notes_read(&b, n, &id), 0);
	if (strcmp(b.ptr ? b.ptr : "", want) != 0)
		fail_msg("note on %s: '%s', want '%s'", hex, b.ptr ? b.ptr : "",
		    want);
	tk_buf_release(&b);
}

static void
test_notes__read_fanout(void **state)
{
	struct repo *r = *state;
	char deep[64];
	size_t i, k = 0;
	struct file files[] = {
	    {N1, "one\n", 0},
	    {P2, "two\n", 0},
	    {P3, "three", 0}, /* no final newline */
	    {N4, "4 at the top\n", 0},
	    {P4, "4 under 44/\n", 0},
	    {N5, "five\n", GIT_FILEMODE_BLOB_EXECUTABLE},
	    {N6, "link\n", GIT_FILEMODE_LINK},
	    {deep, "deep\n", 0},
	};
	struct tk_notes *n = NULL;
	git_oid tree;

	/* 19 fanout levels: the longest path git could use */
	for (i = 0; i < 19; i++) {
		memcpy(deep + k, "77/", 3);
		k += 3;
	}
	memcpy(deep + k, "77", 3);
	mktree(r->repo, &tree, files, TK_ARRAY_SIZE(files));
	assert_int_equal(tk_notes_open_tree(&n, r->repo, &tree), 0);
	expect_note(n, N1, "one\n");
	expect_note(n, N2, "two\n");
	expect_note(n, N3, "three\n");
	/* the same object at two levels: both, as git shows them */
	expect_note(n, N4, "4 at the top\n4 under 44/\n");
	expect_note(n, N5, "five\n"); /* git reads 100755 notes too */
	expect_note(n, N6, ""); /* a symlink is no note for git */
	expect_note(n, "7777777777777777777777777777777777777777", "deep\n");
	expect_note(n, "2222222222222222222222222222222222222222", "");
	expect_note(n, "ab00000000000000000000000000000000000000", "");
	tk_notes_free(n);

	/* no notes at all */
	assert_int_equal(tk_notes_open(&n, r->repo, NULL), 0);
	expect_note(n, N1, "");
	tk_notes_free(n);
}

static void
test_notes__read_limits(void **state)
{
	struct repo *r = *state;
	struct tk_buf over = TK_BUF_INIT(2 * TK_NOTE_MAX_SIZE),
	              at = TK_BUF_INIT(2 * TK_NOTE_MAX_SIZE),
	              under = TK_BUF_INIT(2 * TK_NOTE_MAX_SIZE);
	struct tk_buf b = TK_BUF_INIT(4 * TK_NOTE_MAX_SIZE);
	struct tk_notes *n = NULL;
	git_oid tree, id, blob;
	size_t i;

	for (i = 0; i < TK_NOTE_MAX_SIZE; i++)
		assert_int_equal(tk_buf_putc(&at, 'x'), 0);
	assert_int_equal(tk_buf_put(&over, at.ptr, at.len), 0);
	assert_int_equal(tk_buf_putc(&over, 'x'), 0);
	assert_int_equal(tk_buf_put(&under, at.ptr, at.len - 1), 0);
	{
		struct file f[] = {{N1, over.ptr, 0}, {N4, "x\n", 0},
		    {P4, under.ptr, 0}, {N5, at.ptr, 0}};

		mktree(r->repo, &tree, f, TK_ARRAY_SIZE(f));
	}
	assert_int_equal(tk_notes_open_tree(&n, r->repo, &tree), 0);
	assert_int_equal(git_oid_fromstr(&id, N1), 0);
	assert_int_equal(tk_notes_read(&b, n, &id), TK_ETOOBIG);
	assert_int_equal(b.len, 0);
	/* two blobs, together one byte over */
	assert_int_equal(git_oid_fromstr(&id, N4), 0);
	assert_int_equal(tk_notes_read(&b, n, &id), TK_ETOOBIG);
	assert_int_equal(b.len, 0);
	/* exactly the bound is fine (a newline is added after it) */
	assert_int_equal(git_oid_fromstr(&id, N5), 0);
	assert_int_equal(tk_notes_read(&b, n, &id), 0);
	assert_int_equal(b.len, TK_NOTE_MAX_SIZE + 1);
	tk_notes_free(n);

	/* a notes "commit" that is a blob */
	assert_int_equal(
	    git_blob_create_from_buffer(&blob, r->repo, "x", 1), 0);
	assert_int_equal(tk_notes_open(&n, r->repo, &blob), TK_EINVAL);
	assert_null(n);
	tk_buf_release(&b);
	tk_buf_release(&over);
	tk_buf_release(&at);
	tk_buf_release(&under);
}

/* Expects tk_notes_changed(a, b) to give exactly ids (a|b|...). */
static void
expect_changed(git_repository *repo, const git_oid *a, const git_oid *b,
    const char *want, const char *bad)
{
	struct tk_buf got = TK_BUF_INIT(65536);
	git_oid *ids = NULL;
	char *why = NULL;
	size_t n = 0, i, budget = TK_NOTES_MAX_ENTRIES;

	assert_int_equal(
	    tk_notes_changed(&ids, &n, &why, repo, a, b, &budget), 0);
	assert_true(budget <= TK_NOTES_MAX_ENTRIES);
	for (i = 0; i < n; i++)
		(void)tk_buf_printf(&got, "%.4s|", git_oid_tostr_s(&ids[i]));
	if (bad == NULL && why != NULL)
		fail_msg("unexpected: %s", why);
	if (bad != NULL && (why == NULL || strstr(why, bad) == NULL))
		fail_msg("want a complaint with '%s', got '%s'", bad,
		    why ? why : "none");
	if (bad == NULL && strcmp(got.ptr ? got.ptr : "", want) != 0)
		fail_msg(
		    "changed '%s', want '%s'", got.ptr ? got.ptr : "", want);
	free(ids);
	free(why);
	tk_buf_release(&got);
}

static void
test_notes__changed(void **state)
{
	struct repo *r = *state;
	const struct file base[] = {
	    {N1, "one\n", 0}, {P2, "2\n", 0}, {P3, "3\n", 0}};
	const struct file more[] = {
	    {N1, "one\n", 0}, {P2, "2\n", 0}, {P3, "3\n", 0}, {P4, "4\n", 0}};
	const struct file edit[] = {
	    {N1, "one\n", 0}, {P2, "2\n2b\n", 0}, {P3, "3\n", 0}};
	const struct file moved[] = {
	    {P1, "one\n", 0}, {P2, "2\n", 0}, {P3, "3\n", 0}};
	const struct file gone[] = {{N1, "one\n", 0}, {P2, "2\n", 0}};
	git_oid t0, t1, t2, t3, t4, t;

	mktree(r->repo, &t0, base, TK_ARRAY_SIZE(base));
	mktree(r->repo, &t1, more, TK_ARRAY_SIZE(more));
	mktree(r->repo, &t2, edit, TK_ARRAY_SIZE(edit));
	mktree(r->repo, &t3, moved, TK_ARRAY_SIZE(moved));
	mktree(r->repo, &t4, gone, TK_ARRAY_SIZE(gone));
	expect_changed(r->repo, &t0, &t0, "", NULL);
	expect_changed(r->repo, NULL, NULL, "", NULL);
	expect_changed(r->repo, &t0, &t1, "4444|", NULL);
	expect_changed(r->repo, &t1, &t0, "4444|", NULL);
	expect_changed(r->repo, &t0, &t2, "ab22|", NULL);
	expect_changed(r->repo, &t0, &t3, "1111|", NULL); /* both sides */
	expect_changed(r->repo, &t0, &t4, "cdef|", NULL);
	expect_changed(r->repo, NULL, &t0, "1111|ab22|cdef|", NULL);
	{
		/* the budget of tree entries: t0 reads 3 + 1 + 1 + 1 */
		git_oid *ids = NULL;
		char *why = NULL;
		size_t n = 0, budget = 6;

		assert_int_equal(tk_notes_changed(&ids, &n, &why, r->repo, NULL,
		                     &t0, &budget),
		    0);
		assert_int_equal(budget, 0);
		free(ids);
		budget = 5;
		assert_int_equal(tk_notes_changed(&ids, &n, &why, r->repo, NULL,
		                     &t0, &budget),
		    TK_ETOOBIG);
		assert_null(ids);
		assert_null(why);
	}

	/* what is not a note, on the new side */
	{
		const struct file f[] = {
		    {N1, "one\n", 0}, {"README", "hi\n", 0}};

		mktree(r->repo, &t, f, TK_ARRAY_SIZE(f));
		expect_changed(
		    r->repo, &t0, &t, NULL, "'README' is not a note");
		/* on the old side: removing it is a change too */
		expect_changed(
		    r->repo, &t, &t0, NULL, "'README' was a non-note");
	}
	{
		const struct file f[] = {
		    {"AB/22222222222222222222222222222222222222", "2\n", 0}};

		mktree(r->repo, &t, f, 1);
		expect_changed(r->repo, NULL, &t, NULL, "'AB'");
	}
	{
		const struct file f[] = {
		    {N5, "x\n", GIT_FILEMODE_BLOB_EXECUTABLE}};

		mktree(r->repo, &t, f, 1);
		expect_changed(r->repo, NULL, &t, NULL, "is not a note");
	}
	{
		const struct file f[] = {{N6, "x\n", GIT_FILEMODE_LINK}};

		mktree(r->repo, &t, f, 1);
		expect_changed(r->repo, NULL, &t, NULL, "is not a note");
	}
	{
		const struct file f[] = {{P2_ABC, "2\n", 0}};

		mktree(r->repo, &t, f, 1);
		expect_changed(r->repo, NULL, &t, NULL, "'abc' is not");
	}
	{
		/* 39 hex digits: not a full object name */
		const struct file f[] = {{P2_39, "2\n", 0}};

		mktree(r->repo, &t, f, 1);
		expect_changed(r->repo, NULL, &t, NULL, "is not a note");
	}
}

/* Writes a raw tree object from (mode, name, id) entries, in that order. */
static void
raw_tree(git_repository *repo, git_oid *out, const char *const *modes,
    const char *const *names, const git_oid *ids, size_t n)
{
	struct tk_buf b = TK_BUF_INIT(65536);
	git_odb *odb = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		(void)tk_buf_printf(&b, "%s %s", modes[i], names[i]);
		(void)tk_buf_putc(&b, '\0');
		(void)tk_buf_put(&b, ids[i].id, GIT_OID_RAWSZ);
	}
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(
	    git_odb_write(out, odb, b.ptr, b.len, GIT_OBJECT_TREE), 0);
	git_odb_free(odb);
	tk_buf_release(&b);
}

static void
test_notes__changed_crafted(void **state)
{
	struct repo *r = *state;
	const char *modes[] = {"100644", "100644"};
	const char *twice[] = {N1, N1};
	const char *disorder[] = {N4, N1};
	git_oid blobs[2], t;

	assert_int_equal(
	    git_blob_create_from_buffer(&blobs[0], r->repo, "a\n", 2), 0);
	assert_int_equal(
	    git_blob_create_from_buffer(&blobs[1], r->repo, "b\n", 2), 0);
	raw_tree(r->repo, &t, modes, twice, blobs, 2);
	expect_changed(r->repo, NULL, &t, NULL, "out of git's order or twice");
	raw_tree(r->repo, &t, modes, disorder, blobs, 2);
	expect_changed(r->repo, NULL, &t, NULL, "out of git's order or twice");
}

static void
expect_ref(const char *ns, const char *want)
{
	char *name = NULL;

	if (ns == NULL)
		unsetenv("GIT_NAMESPACE");
	else
		setenv("GIT_NAMESPACE", ns, 1);
	if (want == NULL) {
		assert_int_equal(tk_notes_ref_name(&name), TK_EINVAL);
		assert_null(name);
		return;
	}
	assert_int_equal(tk_notes_ref_name(&name), 0);
	assert_string_equal(name, want);
	free(name);
}

static void
test_notes__ref_name(void **state)
{
	(void)state;
	expect_ref(NULL, "refs/notes/twokey");
	expect_ref("", "refs/notes/twokey");
	expect_ref("team", "refs/namespaces/team/refs/notes/twokey");
	expect_ref(
	    "a/b", "refs/namespaces/a/refs/namespaces/b/refs/notes/twokey");
	expect_ref(
	    "a//b", "refs/namespaces/a/refs/namespaces/b/refs/notes/twokey");
	expect_ref("a/b/", NULL); /* git dies on it */
	expect_ref("a..b", NULL);
	expect_ref("a b", NULL);
	expect_ref("x.lock", NULL);
	expect_ref(".hidden", NULL);
	expect_ref("a@{1}", NULL);
	unsetenv("GIT_NAMESPACE");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notes__parse),
	    cmocka_unit_test(test_notes__parse_limits),
	    cmocka_unit_test(test_notes__compare),
	    cmocka_unit_test(test_notes__repeats),
	    cmocka_unit_test(test_notes__ref_name),
	    cmocka_unit_test_setup_teardown(
	        test_notes__read_fanout, repo_setup, repo_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_notes__read_limits, repo_setup, repo_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_notes__changed, repo_setup, repo_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_notes__changed_crafted, repo_setup, repo_teardown),
	};
	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
