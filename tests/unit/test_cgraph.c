/*
 * Unit tests of the commit-graph reader (lib/commit/cgraph.c): a graph
 * written by the real git is read back commit by commit (first parents
 * and generation numbers checked against the objects through libgit2),
 * and damaged files are refused: a bad checksum, truncation, a wrong
 * header, and files with a valid checksum whose chunks or parents point
 * outside themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "fixture.h"
#include "twokey/cgraph.h"
#include "twokey/digest.h"

static char dir[] = "/tmp/twokey-cgraph.XXXXXX";
static char graph[256], copy[256];

static void
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

/* A history with a merge and a root of its own, and its graph. */
static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	sh("cd %s && git init -q r && cd r && "
	   "export GIT_CONFIG_NOSYSTEM=1 HOME=%s GIT_AUTHOR_NAME=a "
	   "GIT_AUTHOR_EMAIL=a@x GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@x "
	   "&& for i in 1 2 3 4 5; do git commit -q --allow-empty -m m$i; "
	   "done && git checkout -q -b side HEAD~3 && for i in 1 2 3; do "
	   "git commit -q --allow-empty -m s$i; done && git checkout -q - "
	   "&& git merge -q --no-ff -m merge side && git checkout -q "
	   "--orphan lone && git commit -q --allow-empty -m lone && "
	   "git commit-graph write --reachable",
	    dir, dir);
	snprintf(
	    graph, sizeof(graph), "%s/r/.git/objects/info/commit-graph", dir);
	snprintf(copy, sizeof(copy), "%s/copy", dir);
	return git_libgit2_init() < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	git_libgit2_shutdown();
	return 0;
}

/* Level of id: 1 for a root, else 1 + the highest parent's. */
static uint32_t
level(git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	uint32_t best = 0, l;
	unsigned i;

	assert_int_equal(git_commit_lookup(&c, repo, id), 0);
	for (i = 0; i < git_commit_parentcount(c); i++)
		if ((l = level(repo, git_commit_parent_id(c, i))) > best)
			best = l;
	git_commit_free(c);
	return best + 1;
}

static void
test_cgraph__reads_git(void **state)
{
	struct tk_cgraph *g = NULL;
	git_repository *repo = NULL;
	git_revwalk *w = NULL;
	git_commit *c = NULL;
	git_oid id;
	uint32_t pos, p, n = 0;
	char path[300];

	(void)state;
	snprintf(path, sizeof(path), "%s/r", dir);
	assert_int_equal(git_repository_open(&repo, path), 0);
	assert_int_equal(tk_cgraph_open(&g, repo), 0);
	assert_int_equal(tk_cgraph_count(g), 10);
	assert_int_equal(git_revwalk_new(&w, repo), 0);
	assert_int_equal(git_revwalk_push_glob(w, "refs/heads/*"), 0);
	while (git_revwalk_next(&id, w) == 0) {
		n++;
		assert_true(tk_cgraph_find(g, &id, &pos));
		assert_memory_equal(tk_cgraph_oid(g, pos), id.id, 20);
		assert_int_equal(git_commit_lookup(&c, repo, &id), 0);
		assert_memory_equal(
		    tk_cgraph_tree(g, pos), git_commit_tree_id(c)->id, 20);
		assert_int_equal(tk_cgraph_first_parent(g, pos, &p), 0);
		if (git_commit_parentcount(c) == 0)
			assert_int_equal(p, TK_CGRAPH_NONE);
		else
			assert_memory_equal(tk_cgraph_oid(g, p),
			    git_commit_parent_id(c, 0)->id, 20);
		assert_int_equal(
		    tk_cgraph_generation(g, pos), level(repo, &id));
		git_commit_free(c);
	}
	assert_int_equal(n, 10);
	memset(id.id, 0xee, sizeof(id.id));
	assert_false(tk_cgraph_find(g, &id, &pos));
	git_revwalk_free(w);
	tk_cgraph_free(g);
	git_repository_free(repo);
}

static unsigned char *
slurp(size_t *len)
{
	FILE *f = fopen(graph, "rb");
	unsigned char *b = malloc(1 << 20);

	assert_non_null(f);
	assert_non_null(b);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

/* Writes b (with its checksum recomputed when fix) to copy, opens it. */
static int
open_copy(unsigned char *b, size_t len, bool fix, struct tk_cgraph **g)
{
	FILE *f;

	if (fix)
		assert_int_equal(tk_sha1(b + len - 20, b, len - 20), 0);
	assert_non_null(f = fopen(copy, "wb"));
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	return tk_cgraph_open_file(g, copy);
}

static uint64_t
chunk_off(const unsigned char *b, const char *id)
{
	unsigned i, k;
	uint64_t off = 0;

	for (i = 0; i < b[6]; i++)
		if (memcmp(b + 8 + 12 * i, id, 4) == 0) {
			for (k = 0; k < 8; k++)
				off = off << 8 | b[8 + 12 * i + 4 + k];
			return off;
		}
	fail_msg("no chunk %s", id);
	return 0;
}

static void
test_cgraph__damaged(void **state)
{
	struct tk_cgraph *g = NULL;
	size_t len;
	unsigned char *b = slurp(&len), *t = malloc(len);
	uint32_t p;
	uint64_t cdat;

	(void)state;
	assert_non_null(t);
	assert_int_equal(
	    tk_cgraph_open_file(&g, "/nonexistent/x"), TK_ENOTFOUND);
	memcpy(t, b, len);
	assert_int_equal(open_copy(t, len, false, &g), 0); /* intact */
	tk_cgraph_free(g);
	g = NULL;
	t[len - 1] ^= 1; /* checksum */
	assert_int_equal(open_copy(t, len, false, &g), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "checksum"));
	memcpy(t, b, len);
	t[len / 2] ^= 0x40; /* any byte */
	assert_int_equal(open_copy(t, len, false, &g), TK_EINVAL);
	assert_int_equal(open_copy(t, len / 2, false, &g), TK_EINVAL);
	assert_int_equal(open_copy(t, 10, false, &g), TK_EINVAL);
	memcpy(t, b, len);
	t[5] = 2; /* SHA-256, checksum fixed */
	assert_int_equal(open_copy(t, len, true, &g), TK_EINVAL);
	memcpy(t, b, len);
	t[7] = 1; /* a split graph */
	assert_int_equal(open_copy(t, len, true, &g), TK_EINVAL);
	memcpy(t, b, len);
	t[8 + 4] = 0x7f; /* first chunk's offset far outside */
	assert_int_equal(open_copy(t, len, true, &g), TK_EINVAL);
	assert_null(g);
	/* a first parent outside the graph, checksum fixed: opens, but the
	 * parent is refused when read */
	memcpy(t, b, len);
	cdat = chunk_off(t, "CDAT");
	t[cdat + 20] = 0x00;
	t[cdat + 21] = 0x00;
	t[cdat + 22] = 0x10;
	t[cdat + 23] = 0x00;
	assert_int_equal(open_copy(t, len, true, &g), 0);
	assert_int_equal(tk_cgraph_first_parent(g, 0, &p), TK_EINVAL);
	tk_cgraph_free(g);
	free(t);
	free(b);
}

/*
 * A graph opened as a hint skips only the checksum: tk_cgraph_verify
 * checks it later (once, the answer kept); every other check is made.
 */
static void
test_cgraph__hint(void **state)
{
	struct tk_cgraph *g = NULL;
	git_repository *repo = NULL;
	size_t len;
	unsigned char *b = slurp(&len);
	char path[300];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/r", dir);
	assert_int_equal(git_repository_open(&repo, path), 0);
	assert_int_equal(tk_cgraph_open_hint(&g, repo), 0);
	assert_false(tk_cgraph_verified(g));
	assert_int_equal(tk_cgraph_verify(g), 0);
	assert_true(tk_cgraph_verified(g));
	tk_cgraph_free(g);
	g = NULL;
	/* a bad checksum: opens as a hint, verify refuses (twice) */
	assert_int_equal(chmod(graph, 0644), 0); /* git writes it 0444 */
	b[len - 1] ^= 1;
	assert_non_null(f = fopen(graph, "wb"));
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	assert_int_equal(tk_cgraph_open(&g, repo), TK_EINVAL);
	assert_null(g);
	assert_int_equal(tk_cgraph_open_hint(&g, repo), 0);
	assert_int_equal(tk_cgraph_count(g), 10);
	assert_int_equal(tk_cgraph_verify(g), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "checksum"));
	assert_int_equal(tk_cgraph_verify(g), TK_EINVAL);
	assert_false(tk_cgraph_verified(g));
	tk_cgraph_free(g);
	g = NULL;
	/* structure is still checked: a bad header is refused at once */
	b[len - 1] ^= 1;
	b[0] = 'X';
	assert_non_null(f = fopen(graph, "wb"));
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	assert_int_equal(tk_cgraph_open_hint(&g, repo), TK_EINVAL);
	assert_null(g);
	/* put the intact file back */
	b[0] = 'C';
	assert_non_null(f = fopen(graph, "wb"));
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	git_repository_free(repo);
	free(b);
}

static int
by_id(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

/*
 * tk_cgraph_find over a graph of 60,000 random ids (about 234 to a first
 * byte, where the search starts from a guess of the position): every id
 * is found at its place, and 60,000 others, each one bit away from a
 * member, are not.  fill: bytes 1 to 4 of every id (-1: random), so that
 * the guess is right (random) or far off (all 0 or all 0xff, every id of
 * a bucket then sits past the guess or before it).
 */
static void
find_many(int fill)
{
	enum { N = 60000, CHUNKS = 3 };
	size_t hdr = 8 + 12 * (CHUNKS + 1), oidf = hdr, oidl = oidf + 1024,
	       cdat = oidl + (size_t)N * 20, end = cdat + (size_t)N * 36,
	       len = end + 20, i;
	unsigned char *b = calloc(1, len), *ids = malloc((size_t)N * 20);
	uint32_t count[256] = {0}, acc = 0, pos;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	struct tk_cgraph *g = NULL;
	git_oid id;
	const char *names[] = {"OIDF", "OIDL", "CDAT", "\0\0\0\0"};
	size_t offs[] = {oidf, oidl, cdat, end};

	assert_non_null(b);
	assert_non_null(ids);
	for (i = 0; i < (size_t)N * 20; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ids[i] = fill >= 0 && i % 20 >= 1 && i % 20 <= 4
		    ? (unsigned char)fill
		    : (unsigned char)(x >> 24);
	}
	qsort(ids, N, 20, by_id);
	for (i = 1; i < N; i++)
		assert_true(memcmp(ids + 20 * (i - 1), ids + 20 * i, 20) < 0);
	memcpy(b, "CGPH\1\1", 6);
	b[6] = CHUNKS;
	for (i = 0; i <= CHUNKS; i++) {
		memcpy(b + 8 + 12 * i, names[i], 4);
		put_be32(b + 8 + 12 * i + 8, (uint32_t)offs[i]);
	}
	for (i = 0; i < N; i++)
		count[ids[20 * i]]++;
	for (i = 0; i < 256; i++)
		put_be32(b + oidf + 4 * i, acc += count[i]);
	memcpy(b + oidl, ids, (size_t)N * 20);
	for (i = 0; i < N; i++) {
		unsigned char *c = b + cdat + 36 * i;

		put_be32(c + 20, 0x70000000); /* no parent */
		put_be32(c + 24, 0x70000000);
		put_be32(c + 28, 1u << 2); /* generation 1 */
		put_be32(c + 32, 1000);
	}
	assert_int_equal(tk_sha1(b + end, b, end), 0);
	assert_int_equal(tk_cgraph_parse(&g, b, len), 0);
	assert_int_equal(tk_cgraph_count(g), N);
	for (i = 0; i < N; i++) {
		memcpy(id.id, ids + 20 * i, 20);
		pos = UINT32_MAX;
		/* the hint, before each lookup: it changes no answer */
		tk_cgraph_prefetch_find(g, &id);
		assert_true(tk_cgraph_find(g, &id, &pos));
		assert_int_equal(pos, i);
		/* one bit away, in the first 8 bytes or after them */
		id.id[i % 20] ^= (unsigned char)(1u << (i % 8));
		tk_cgraph_prefetch_find(g, &id);
		if (bsearch(id.id, ids, N, 20, by_id) == NULL)
			assert_false(tk_cgraph_find(g, &id, &pos));
	}
	tk_cgraph_free(g);
	free(ids);
	free(b);
}

static void
test_cgraph__find_many(void **state)
{
	(void)state;
	find_many(-1);
	find_many(0);
	find_many(0xff);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cgraph__reads_git),
	    cmocka_unit_test(test_cgraph__damaged),
	    cmocka_unit_test(test_cgraph__hint),
	    cmocka_unit_test(test_cgraph__find_many),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
