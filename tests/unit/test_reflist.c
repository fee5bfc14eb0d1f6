/*
 * Unit tests of the ref lister (lib/commit/reflist.c): the literal
 * prefixes drawn from ref patterns (checked against PCRE2 itself: every
 * name a pattern matches begins with one of its prefixes), hostile
 * packed-refs content, and a repository whose packed and loose refs
 * disagree (loose over packed, symbolic, broken, symlinked, locked).
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
#include "twokey/digest.h"
#include "twokey/pattern.h"
#include "twokey/reflist.h"

#define A40 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B40 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define C40 "cccccccccccccccccccccccccccccccccccccccc"
#define G40 "gbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HDR "# pack-refs with: peeled fully-peeled sorted \n"

static char dir[] = "/tmp/twokey-reflist.XXXXXX";

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

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
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

/* The prefixes of src, joined by ',' ("" for none). */
static char *
prefixes(const char *src)
{
	static char out[1024];
	char **v = NULL;
	size_t n = 0, i;

	assert_int_equal(tk_reflist_pattern_prefixes(&v, &n, src), 0);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
		    i > 0 ? "," : "", v[i]);
	tk_reflist_prefixes_free(v, n);
	return out;
}

static void
test_reflist__prefixes(void **state)
{
	(void)state;
	assert_string_equal(
	    prefixes("refs/heads/release/.+"), "refs/heads/release/");
	assert_string_equal(prefixes("refs/heads/(main|release/.+)"),
	    "refs/heads/main,refs/heads/release/");
	assert_string_equal(prefixes("^refs/tags/v[0-9]+"), "refs/tags/v");
	assert_string_equal(prefixes("refs/heads/mainx?"), "refs/heads/main");
	assert_string_equal(prefixes("refs/heads/ma{2}"), "refs/heads/m");
	assert_string_equal(
	    prefixes("refs/heads/(?:a|b)/x"), "refs/heads/a,refs/heads/b");
	assert_string_equal(
	    prefixes("refs/heads/(|x)"), "refs/heads/,refs/heads/x");
	assert_string_equal(
	    prefixes("(refs/heads/x|refs/tags/y)"), "refs/heads/x,refs/tags/y");
	assert_string_equal(prefixes("refs/heads/[|]x"), "refs/heads/");
	assert_string_equal(prefixes("refs/heads/\\.x|"), "");
	/* the group is optional: only what precedes it */
	assert_string_equal(
	    prefixes("refs/heads/(main|release/.+)?"), "refs/heads/");
	/* no safe prefix */
	assert_string_equal(prefixes(".*"), "");
	assert_string_equal(prefixes("refs/heads/a|refs/tags/b"), "");
	assert_string_equal(prefixes("refs/heads/(?i)x"), "");
	assert_string_equal(prefixes("refs/heads/\\Q(|\\E"), "");
	assert_string_equal(prefixes("refs/x#|y"), "");
	assert_string_equal(prefixes("refs/x\\c(|y\\c)"), "");
	assert_string_equal(prefixes("refs/x(*ACCEPT)|y"), "");
	assert_string_equal(
	    prefixes("refs/a[[:alpha:](]|evil[[:alpha:])]"), "");
	assert_string_equal(prefixes("(a|)refs"), "");
	assert_string_equal(prefixes("refs/(a"), "");
}

/* Every name a pattern matches begins with one of its prefixes. */
static void
test_reflist__prefixes_sound(void **state)
{
	static const char *pats[] = {"refs/heads/release/.+",
	    "refs/heads/(main|release/.+)", "refs/tags/v[0-9]+",
	    "refs/heads/mainx?", "refs/heads/(?:a|b)/x", "refs/heads/(|x)",
	    "refs/heads/[|]x", "refs/heads/(main|release/.+)?",
	    "(refs/heads/x|refs/tags/y)", "refs/heads/(a|b(c|d))e",
	    "refs/heads/(a(b|c)|d)", "refs/heads/a[b|c]+(d|e)*"};
	static const char *names[] = {"refs/heads/release/1", "refs/heads/main",
	    "refs/heads/mainx", "refs/heads/mai", "refs/tags/v12",
	    "refs/heads/a/x", "refs/heads/b/x", "refs/heads/", "refs/heads/x",
	    "refs/heads/|x", "refs/tags/y", "refs/heads/ace", "refs/heads/abe",
	    "refs/heads/ab", "refs/heads/d", "refs/heads/ac", "refs/heads/abd",
	    "refs/heads/a|d", "refs/heads/ab|c", "refs/heads/release/",
	    "refs/heads/bce", "refs/heads/bde", "refs/heads/ae", "evil"};
	struct tk_pattern *p = NULL;
	char **v = NULL;
	size_t n = 0, i, k, j, hits = 0;

	(void)state;
	for (i = 0; i < TK_ARRAY_SIZE(pats); i++) {
		assert_int_equal(
		    tk_pattern_compile(&p, pats[i], strlen(pats[i])), 0);
		assert_int_equal(
		    tk_reflist_pattern_prefixes(&v, &n, pats[i]), 0);
		assert_true(n > 0);
		for (k = 0; k < TK_ARRAY_SIZE(names); k++) {
			if (tk_pattern_match(p, names[k], strlen(names[k])) !=
			    1)
				continue;
			hits++;
			for (j = 0; j < n; j++)
				if (strncmp(names[k], v[j], strlen(v[j])) == 0)
					break;
			if (j == n)
				fail_msg(
				    "'%s' matches '%s' outside its prefixes",
				    names[k], pats[i]);
		}
		tk_reflist_prefixes_free(v, n);
		tk_pattern_free(p);
	}
	assert_true(hits >= 15);
}

/* Parses s under the prefixes; the result (names and first id bytes). */
static int
parse(const char *s, const char *p1, const char *p2, char *out, size_t max)
{
	struct tk_reflist l = TK_REFLIST_INIT;
	const char *pre[2] = {p1, p2};
	size_t i;
	int rc;

	rc = tk_reflist_parse_packed(&l, s, strlen(s), pre, p2 ? 2 : 1);
	out[0] = '\0';
	for (i = 0; i < l.n; i++)
		snprintf(out + strlen(out), max - strlen(out), "%s%s=%02x",
		    i ? "," : "", l.refs[i].name, l.refs[i].id.id[0]);
	tk_reflist_release(&l);
	return rc;
}

static void
test_reflist__packed(void **state)
{
	static char big[8192];
	char out[4096];
	const char *rel = "refs/heads/release/";

	(void)state;
	/* sorted: binary search; refs sorting around the prefix stay out */
	assert_int_equal(
	    parse(HDR A40
	        " refs/heads/main\n" A40 " refs/heads/release-x\n" B40
	        " refs/heads/release/a\n" C40 " refs/heads/release/b\n"
	        "^" A40 "\n" A40 " refs/heads/release0\n" A40 " refs/tags/v1\n",
	        rel, NULL, out, sizeof(out)),
	    0);
	assert_string_equal(
	    out, "refs/heads/release/a=bb,refs/heads/release/b=cc");
	assert_int_equal(
	    parse(HDR A40 " refs/heads/main\n" B40 " refs/heads/release/a\n",
	        "refs/heads/main", rel, out, sizeof(out)),
	    0);
	assert_string_equal(out, "refs/heads/main=aa,refs/heads/release/a=bb");
	/* not sorted (no trait): read whole, in any order */
	assert_int_equal(
	    parse(A40 " refs/heads/release/z\n" B40 " refs/heads/main\n" C40
	              " refs/heads/release/a\n",
	        rel, NULL, out, sizeof(out)),
	    0);
	assert_string_equal(
	    out, "refs/heads/release/z=aa,refs/heads/release/a=cc");
	/* claims sorted, is not, where it is read: refused */
	assert_int_equal(parse(HDR B40 " refs/heads/release/b\n" A40
	                               " refs/heads/release/a\n",
	                     rel, NULL, out, sizeof(out)),
	    TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "not sorted"));
	/* a name git refuses is left out, as git leaves it out */
	assert_int_equal(parse(HDR A40 " refs/heads/release/a..b\n" B40
	                               " refs/heads/release/c\n",
	                     rel, NULL, out, sizeof(out)),
	    0);
	assert_string_equal(out, "refs/heads/release/c=bb");
	/* malformed: each fails the whole listing */
	assert_int_equal(
	    parse(HDR A40 " refs/heads/release/a", rel, NULL, out, sizeof(out)),
	    TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "newline"));
	assert_int_equal(parse(HDR "zz" A40 " refs/heads/release/a\n", rel,
	                     NULL, out, sizeof(out)),
	    TK_EINVAL);
	assert_int_equal(parse(HDR G40 " refs/heads/release/a\n", rel, NULL,
	                     out, sizeof(out)),
	    TK_EINVAL); /* not hex */
	assert_int_equal(parse(A40 " refs/heads/main\n"
	                           "x" B40 " refs/heads/other\n",
	                     rel, NULL, out, sizeof(out)),
	    TK_EINVAL); /* unsorted: every line checked */
	assert_int_equal(parse(HDR "^" A40 "\n" B40 " refs/heads/release/a\n",
	                     rel, NULL, out, sizeof(out)),
	    TK_EINVAL); /* a peeled line alone */
	assert_int_equal(
	    parse(A40 " refs/heads/release/a\n^" A40 "\n^" A40 "\n", rel, NULL,
	        out, sizeof(out)),
	    TK_EINVAL);
	assert_int_equal(parse("# not git\n" A40 " refs/heads/release/a\n", rel,
	                     NULL, out, sizeof(out)),
	    TK_EINVAL);
	assert_int_equal(parse(A40 " refs/heads/release/a\n# late\n", rel, NULL,
	                     out, sizeof(out)),
	    TK_EINVAL);
	assert_int_equal(
	    parse(A40 "\trefs/heads/release/a\n", rel, NULL, out, sizeof(out)),
	    TK_EINVAL);
	/* an overlong name */
	memcpy(big, A40 " refs/heads/release/", 60);
	memset(big + 60, 'x', 5000);
	memcpy(big + 5060, "\n", 2);
	assert_int_equal(parse(big, rel, NULL, out, sizeof(out)), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "too long"));
	/* empty files list nothing */
	assert_int_equal(parse("", rel, NULL, out, sizeof(out)), 0);
	assert_int_equal(parse(HDR, rel, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

/* The names listed from repository r under one prefix, as "name=id0". */
static int
load(const char *r, const char *prefix, char *out, size_t max)
{
	struct tk_reflist l = TK_REFLIST_INIT;
	git_repository *repo = NULL;
	char path[512];
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, r);
	assert_int_equal(git_repository_open(&repo, path), 0);
	rc = tk_reflist_load(&l, repo, &prefix, 1);
	out[0] = '\0';
	for (i = 0; i < l.n; i++)
		snprintf(out + strlen(out), max - strlen(out), "%s%s=%02x",
		    i ? "," : "", l.refs[i].name, l.refs[i].id.id[0]);
	tk_reflist_release(&l);
	git_repository_free(repo);
	return rc;
}

static void
test_reflist__repository(void **state)
{
	char out[4096];

	(void)state;
	sh("cd %s && git init -q --bare r.git && cd r.git && "
	   "printf '%%s' '" HDR A40 " refs/heads/release/a\n" A40
	   " refs/heads/release/b\n" A40 " refs/heads/release/c\n" A40
	   " refs/heads/release/d\n" A40 " refs/heads/release/e\n" A40
	   " refs/namespaces/x/refs/heads/release/a\n' >packed-refs && "
	   "mkdir -p refs/heads/release/sub refs/namespaces/x/refs/heads && "
	   "echo " B40 " >refs/heads/release/a && "
	   "echo 'ref: refs/heads/main' >refs/heads/release/b && "
	   "echo garbage >refs/heads/release/c && "
	   "ln -s ../../../packed-refs refs/heads/release/d && "
	   "echo " C40 " >refs/heads/release/e.lock && "
	   "echo " C40 " >refs/heads/release/.hidden && "
	   "echo " C40 " >refs/heads/release/sub/f && "
	   "echo " C40 " >refs/heads/releasex",
	    dir);
	/* a: loose over packed; b, c, d: shadowed, no value; e: packed (its
	 * lock file is not a ref); sub/f: loose only */
	assert_int_equal(
	    load("r.git", "refs/heads/release/", out, sizeof(out)), 0);
	assert_string_equal(out,
	    "refs/heads/release/a=bb,refs/heads/release/"
	    "e=aa,refs/heads/release/sub/f=cc");
	/* a prefix that is not a directory: its siblings are matched too */
	assert_int_equal(
	    load("r.git", "refs/heads/release", out, sizeof(out)), 0);
	assert_string_equal(out,
	    "refs/heads/release/a=bb,refs/heads/release/e=aa,refs/heads/"
	    "release/sub/f=cc,refs/heads/releasex=cc");
	/* another namespace's refs are not under the prefix */
	assert_int_equal(
	    load("r.git", "refs/namespaces/x/refs/heads/", out, sizeof(out)),
	    0);
	assert_string_equal(out, "refs/namespaces/x/refs/heads/release/a=aa");
	/* a ref git deletes leaves packed-refs: gone */
	sh("cd %s/r.git && rm refs/heads/release/e.lock && "
	   "git update-ref -d refs/heads/release/e",
	    dir);
	assert_int_equal(
	    load("r.git", "refs/heads/release/", out, sizeof(out)), 0);
	assert_null(strstr(out, "release/e"));
	/* the same name twice in packed-refs */
	sh("cd %s && git init -q --bare d.git && printf '%%s' '" A40
	   " refs/heads/release/a\n" B40
	   " refs/heads/release/a\n' >d.git/packed-refs",
	    dir);
	assert_int_equal(
	    load("d.git", "refs/heads/release/", out, sizeof(out)), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "twice"));
	/* a ref storage not read here: the caller lists through libgit2 */
	sh("cd %s && git init -q --bare s.git && "
	   "git -C s.git config extensions.refStorage files",
	    dir);
	assert_int_equal(load("s.git", "refs/heads/release/", out, sizeof(out)),
	    TK_EUNSUPPORTED);
}

/*
 * tk_unhex reads ids as git_oid_fromstrn does: the same bytes, and the
 * same refusals, on ids of hex digits of either case with now and then
 * another byte (any of the 256) in them; and each of the 256 bytes at
 * each of the 40 places of a valid id.
 */
static void
test_reflist__unhex(void **state)
{
	static const char digits[] = "0123456789abcdefABCDEF";
	unsigned char got[GIT_OID_RAWSZ];
	char hex[GIT_OID_HEXSZ];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	git_oid want;
	size_t i, k, bad = 0;
	bool ok;

	(void)state;
	for (k = 0; k < 200000; k++) {
		for (i = 0; i < GIT_OID_HEXSZ; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			hex[i] = (x >> 32) % 64 == 0 ? (char)(x >> 40)
			                             : digits[(x >> 48) % 22];
		}
		ok = tk_unhex(got, hex, GIT_OID_RAWSZ);
		assert_int_equal(
		    ok, git_oid_fromstrn(&want, hex, GIT_OID_HEXSZ) == 0);
		if (ok)
			assert_memory_equal(got, want.id, GIT_OID_RAWSZ);
		bad += !ok;
	}
	/* both outcomes were drawn often */
	assert_true(bad > 10000 && bad < 190000);
	for (i = 0; i < GIT_OID_HEXSZ; i++)
		for (k = 0; k < 256; k++) {
			memset(hex, 'e', sizeof(hex));
			hex[i] = (char)k;
			ok = tk_unhex(got, hex, GIT_OID_RAWSZ);
			assert_int_equal(ok,
			    git_oid_fromstrn(&want, hex, GIT_OID_HEXSZ) == 0);
			assert_int_equal(
			    ok, strchr(digits, (int)k) != NULL && k);
			if (ok)
				assert_memory_equal(
				    got, want.id, GIT_OID_RAWSZ);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reflist__prefixes),
	    cmocka_unit_test(test_reflist__unhex),
	    cmocka_unit_test(test_reflist__prefixes_sound),
	    cmocka_unit_test(test_reflist__packed),
	    cmocka_unit_test(test_reflist__repository),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
