/*
 * Unit tests for what "twokey config check" says beyond validity: every
 * warning (glob-like patterns, patterns no ref can match, shadowed rules,
 * on a repository's refs too, rules nobody can satisfy, roles nobody
 * holds, keys about to expire, approvers without keys) with its line and
 * column, none on the example policies; and the loader errors that teach
 * (tabs, misindented keys, wrapped keys, line breaks in values, pasted
 * private keys), each at the line and column of its real cause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <time.h>

#include "internal.h"
#include "review/review.h"
#include "twokey/policy.h"
#include "twokey/review.h"

#define K1_B64                                                                 \
	"AAAAC3NzaC1lZDI1NTE5AAAAIOQ47Z1mJ4wqxUxm7O90JizW3NF1yjEQ5/dT/7a7d3aw"
#define K1 "ssh-ed25519 " K1_B64 " k1"
#define K2                                                                     \
	"ssh-ed25519 "                                                         \
	"AAAAC3NzaC1lZDI1NTE5AAAAICpB8nQhEznn4VInozkLc5QUJjZ4+FsbW8bwRW9NqtVX k2"
#define K3                                                                     \
	"ssh-ed25519 "                                                         \
	"AAAAC3NzaC1lZDI1NTE5AAAAINke02exB3UG6Rfc1pUb5dpcWkwqg2n3YKtSNLxSMr7X k3"

#define D_2026_01_01 INT64_C(1767225600)
#define DAY INT64_C(86400)

static struct tk_policy *
load_ok(const char *yaml)
{
	struct tk_policy *p = NULL;
	char *err = NULL;

	if (tk_policy_load_buffer(&p, &err, "p.yaml", yaml, strlen(yaml)) < 0) {
		fprintf(stderr, "policy:\n%s\nerrors:\n%s", yaml, err);
		fail_msg("the policy should load");
	}
	free(err);
	return p;
}

/*
 * Loads yaml, warns at now (with refs when given) and expects exactly the
 * warnings given as "line:col: message prefix", in order; NULL ends them.
 */
static void
expect_at(
    const char *yaml, int64_t now, const char *const *refs, size_t nrefs, ...)
{
	struct tk_review_opts o = {now, refs, nrefs};
	struct tk_warnings w = {NULL, 0};
	struct tk_policy *p = load_ok(yaml);
	char got[4096];
	const char *want;
	size_t i = 0;
	va_list ap;

	assert_int_equal(tk_policy_warn(&w, p, &o), 0);
	va_start(ap, nrefs);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (i >= w.n)
			fail_msg("missing warning '%s'", want);
		snprintf(got, sizeof(got), "%u:%u: %s", w.items[i].line,
		    w.items[i].col, w.items[i].msg);
		if (strncmp(got, want, strlen(want)) != 0)
			fail_msg("warning %zu:\n  got  '%s'\n  want '%s'", i,
			    got, want);
		i++;
	}
	va_end(ap);
	for (; i < w.n; i++)
		fail_msg("unexpected warning %u:%u: %s", w.items[i].line,
		    w.items[i].col, w.items[i].msg);
	tk_warnings_release(&w);
	tk_policy_free(p);
}

#define expect(yaml, ...) expect_at(yaml, D_2026_01_01, NULL, 0, __VA_ARGS__)

/* Every role held by someone with a login and a key: no warning by itself */
#define HDR                                                                    \
	"version: 1\n"                                                         \
	"roles: {dev: d, rev: r, ops: o}\n"                                    \
	"identities:\n"                                                        \
	"  alice: {logins: [alice], roles: [dev], keys: [\"" K1 "\"]}\n"       \
	"  bob: {logins: [bob], roles: [rev], keys: [\"" K2 "\"]}\n"           \
	"  dave: {logins: [dave], roles: [ops, rev], keys: [\"" K3 "\"]}\n"    \
	"rules:\n"

static void
test_warn__clean(void **state)
{
	(void)state;
	expect(HDR "  - name: main\n"
	           "    refs: 'refs/heads/(main|release/.+)'\n"
	           "    update: [ops]\n"
	           "    approvals: {min: 2, from: [rev], require: {rev: 2}}\n"
	           "  - name: tags\n"
	           "    refs: refs/tags/v[0-9].*\n"
	           "  - name: rest\n"
	           "    refs: '.*'\n",
	    NULL);
}

static void
test_warn__globs(void **state)
{
	(void)state;
	/* the column points at the star, quoted or not */
	expect(HDR "  - name: a\n"
	           "    refs: 'refs/heads/*'\n"
	           "  - name: b\n"
	           "    refs: refs/heads/(main|release/*)\n"
	           "  - name: c\n"
	           "    refs: refs/tags/v*\n"
	           "  - name: d\n"
	           "    refs: \"refs/heads/{main,release}\"\n"
	           "  - name: e\n"
	           "    refs: refs/heads/x{2,3}\n"
	           "  - name: f\n"
	           "    refs: refs/heads/[*]\n",
	    "9:23: rule 'a': refs 'refs/heads/*' looks like a glob: in a "
	    "regular expression '/*' means 'any number of slashes'",
	    "11:36: rule 'b': refs 'refs/heads/(main|release/*)' looks like a "
	    "glob",
	    "13:22: rule 'c': refs 'refs/tags/v*' looks like a glob: in a "
	    "regular expression 'v*' means 'any number of v'",
	    "15:23: rule 'd': refs 'refs/heads/{main,release}' uses shell "
	    "braces: in a regular expression '{main,release}' matches those "
	    "characters literally; write alternatives as (a|b)",
	    NULL);
	/* an escape shifts columns: the warning points at the pattern */
	expect(HDR "  - name: a\n"
	           "    refs: \"refs/\\x68eads/*\"\n",
	    "9:12: rule 'a': refs 'refs/heads/*' looks like a glob", NULL);
}

static void
test_warn__not_refs(void **state)
{
	(void)state;
	expect(HDR "  - name: short\n"
	           "    refs: main\n"
	           "  - name: heads\n"
	           "    refs: 'heads/.*'\n"
	           "  - name: ok\n"
	           "    refs: '(refs/heads/main|x)'\n",
	    "9:11: rule 'short': refs 'main' can match no ref: git names refs "
	    "in full, starting with refs/",
	    "11:12: rule 'heads': refs 'heads/.*' can match no ref", NULL);
	/*
	 * Names git check-ref-format refuses: a pasted space, a final '/',
	 * an empty component, one component under refs/, a leading '.';
	 * and text every match begins with that no ref name can hold.
	 * A regular-expression dot is any character: "main.lock" may match.
	 */
	expect(HDR "  - name: space\n"
	           "    refs: 'refs/heads/main '\n"
	           "  - name: slash\n"
	           "    refs: 'refs/heads/main/'\n"
	           "  - name: empty\n"
	           "    refs: 'refs/heads//main'\n"
	           "  - name: one\n"
	           "    refs: '^refs/main$'\n"
	           "  - name: dot\n"
	           "    refs: 'refs/heads/\\.hidden'\n"
	           "  - name: prefix\n"
	           "    refs: 'refs/heads/a b(/.*)?'\n"
	           "  - name: lock\n"
	           "    refs: 'refs/heads/main.lock'\n"
	           "  - name: fine\n"
	           "    refs: 'refs/heads/(release|hotfix)/.+'\n"
	           "  - name: class\n"
	           "    refs: 'refs/tags/v[0-9]+'\n",
	    "9:12: rule 'space': refs 'refs/heads/main ' can match no ref: git "
	    "check-ref-format refuses that name",
	    "11:12: rule 'slash': refs 'refs/heads/main/' can match no ref",
	    "13:12: rule 'empty': refs 'refs/heads//main' can match no ref",
	    "15:12: rule 'one': refs '^refs/main$' can match no ref",
	    "17:12: rule 'dot': refs 'refs/heads/\\.hidden' can match no ref",
	    "19:12: rule 'prefix': refs 'refs/heads/a b(/.*)?' can match no "
	    "ref: every name it matches begins with text git check-ref-format "
	    "refuses",
	    NULL);
}

static void
test_warn__shadowed(void **state)
{
	(void)state;
	expect(HDR "  - name: all\n"
	           "    refs: '.*'\n"
	           "  - name: main\n"
	           "    refs: refs/heads/main\n",
	    "11:11: rule 'main' can never apply: every ref its pattern "
	    "'refs/heads/main' matches is matched first by rule 'all' (line "
	    "8)",
	    NULL);
	expect(HDR "  - name: heads\n"
	           "    refs: 'refs/heads/.+'\n"
	           "  - name: main\n"
	           "    refs: 'refs/heads/(main|master)'\n"
	           "  - name: same\n"
	           "    refs: 'refs/heads/.+'\n"
	           "  - name: dir\n"
	           "    refs: 'refs/heads/'\n"
	           "  - name: tags\n"
	           "    refs: 'refs/tags/.*'\n"
	           "  - name: literal\n"
	           "    refs: refs/tags/v1\n"
	           "  - name: maybe\n"
	           "    refs: 'refs/heads(/main)?'\n",
	    "11:12: rule 'main' can never apply: every ref its pattern "
	    "'refs/heads/(main|master)' matches is matched first by rule "
	    "'heads'",
	    "13:12: rule 'same' can never apply",
	    "15:12: rule 'dir': refs 'refs/heads/' can match no ref: git "
	    "check-ref-format refuses that name",
	    "19:11: rule 'literal' can "
	    "never apply: every ref its "
	    "pattern 'refs/tags/v1' "
	    "matches is matched first by "
	    "rule 'tags'",
	    NULL);
}

static void
test_warn__repo_refs(void **state)
{
	static const char *const refs[] = {"refs/heads/feature/x",
	    "refs/heads/main", "refs/heads/release/1.0", "refs/tags/v1.0"};

	(void)state;
	/* "release" matches a ref that "heads" takes; "hotfix" matches none */
	expect_at(HDR "  - name: main\n"
	              "    refs: refs/heads/main\n"
	              "  - name: heads\n"
	              "    refs: 'refs/heads/(feature|release)/.+'\n"
	              "  - name: release\n"
	              "    refs: 'refs/(heads|tags)/(release/.+|v9.+)'\n"
	              "  - name: hotfix\n"
	              "    refs: 'refs/heads/hotfix/.+'\n",
	    D_2026_01_01, refs, 4,
	    "13:12: rule 'release' governs no ref of the repository: the 1 "
	    "ref its pattern matches (refs/heads/release/1.0) is decided by "
	    "earlier rules ('heads' first)",
	    NULL);
}

static void
test_warn__unsatisfiable(void **state)
{
	(void)state;
	/* bob's key expired, carol's is revoked, erin has none: only dave */
	expect("version: 1\n"
	       "roles: {rev: r, sec: s}\n"
	       "identities:\n"
	       "  bob:\n"
	       "    roles: [rev]\n"
	       "    keys: [{key: \"" K1 "\", valid-before: 2025-12-01}]\n"
	       "  carol: {roles: [rev, sec], keys: [\"" K2 "\"]}\n"
	       "  dave: {roles: [rev], keys: [\"" K3 "\"]}\n"
	       "  erin: {roles: [sec]}\n"
	       "revoked-keys: [\"" K2 "\"]\n"
	       "rules:\n"
	       "  - name: main\n"
	       "    refs: refs/heads/main\n"
	       "    approvals:\n"
	       "      min: 2\n"
	       "      from: [rev, sec]\n"
	       "      require: {sec: 1}\n",
	    "4:3: identity 'bob' holds role 'rev', which approves under rule "
	    "'main', but none of its keys is valid now",
	    "7:3: identity 'carol' holds role 'rev'",
	    "9:3: identity 'erin' holds role 'sec', which approves under rule "
	    "'main', but has no keys, so its approvals cannot count",
	    "15:12: rule 'main' can never be satisfied: it needs 2 approvals "
	    "from rev, sec, but only 1 identity holding those roles has a key "
	    "valid now (dave); the others' keys are missing, expired, revoked "
	    "or not yet valid",
	    "17:17: rule 'main' can never be satisfied: it requires 1 approval "
	    "from role 'sec', but only 0 identities holding it have a key "
	    "valid now (nobody)",
	    NULL);
	/* a key that is not valid yet does not count either */
	expect("version: 1\n"
	       "roles: {rev: r}\n"
	       "identities:\n"
	       "  bob:\n"
	       "    roles: [rev]\n"
	       "    keys: [{key: \"" K1 "\", valid-after: 2026-02-01}]\n"
	       "rules:\n"
	       "  - refs: refs/heads/main\n"
	       "    approvals: {min: 1, from: [rev]}\n",
	    "4:3: identity 'bob' holds role 'rev'",
	    "9:22: rule 'rule 1' can never be satisfied", NULL);
}

static void
test_warn__roles(void **state)
{
	(void)state;
	expect("version: 1\n"
	       "roles:\n"
	       "  dev: d\n"
	       "  ops: o\n"
	       "  auditor: a\n"
	       "identities:\n"
	       "  alice: {logins: [alice], roles: [dev]}\n"
	       "  bot: {roles: [dev]}\n"
	       "rules:\n"
	       "  - name: main\n"
	       "    refs: refs/heads/main\n"
	       "    update: [ops]\n"
	       "    delete: []\n"
	       "  - name: x\n"
	       "    refs: refs/heads/x\n"
	       "    update: [dev]\n",
	    "4:3: role 'ops' is held by no identity, yet rules 'main' use it",
	    "5:3: role 'auditor' is held by no identity and used by no rule",
	    "12:13: rule 'main': update: no identity holding ops has a login, "
	    "so nobody can be the pusher this asks for",
	    NULL);
}

static void
test_warn__expiry(void **state)
{
	const char *yaml =
	    "version: 1\n"
	    "roles: {rev: r}\n"
	    "identities:\n"
	    "  bob:\n"
	    "    roles: [rev]\n"
	    "    keys:\n"
	    "      - {key: \"" K1 "\", valid-before: 2026-01-21}\n"
	    "      - key: \"" K2 "\"\n"
	    "        valid-before: 2026-02-01T00:00:00Z\n"
	    "      - {key: \"" K3 "\", valid-before: 2027-01-01}\n"
	    "rules:\n"
	    "  - refs: refs/heads/main\n"
	    "    approvals: {min: 1, from: [rev]}\n";

	(void)state;
	/* 20 and 31 days ahead: only the first */
	expect(yaml,
	    "7:15: key SHA256:IoaFtrHx/fcG1qdWG0HR4TDdY8QuDGeSTvukE9GoGaU of "
	    "identity 'bob' expires on 2026-01-21 (in 20 days): add its "
	    "successor before then",
	    NULL);
	/* on 2026-01-20 at noon: both, the first in less than a day */
	expect_at(yaml, D_2026_01_01 + 19 * DAY + DAY / 2, NULL, 0,
	    "7:15: key SHA256:IoaFtrHx/fcG1qdWG0HR4TDdY8QuDGeSTvukE9GoGaU of "
	    "identity 'bob' expires on 2026-01-21 (in less than a day)",
	    "8:14: key SHA256:", NULL);
	/* expired keys are not "expiring"; bob still has K3 */
	expect_at(yaml, D_2026_01_01 + 40 * DAY, NULL, 0, NULL);
}

/* paths: entries: their approvals count like the rule's, their roles too */
static void
test_warn__paths(void **state)
{
	(void)state;
	expect("version: 1\n"
	       "roles: {dev: d, ops: o, dba: b, sec: s}\n"
	       "identities:\n"
	       "  alice: {logins: [alice], roles: [dev, ops], keys: [\"" K1
	       "\"]}\n"
	       "  dina: {logins: [dina], roles: [dba]}\n"
	       "rules:\n"
	       "  - name: main\n"
	       "    refs: refs/heads/main\n"
	       "    paths:\n"
	       "      - match: 'infra/**'\n"
	       "        approvals: {min: 2, from: [ops]}\n"
	       "      - match: 'db/'\n"
	       "        approvals: {require: {dba: 1}}\n"
	       "      - {match: '.ci/**', writers: [sec]}\n",
	    "2:33: role 'sec' is held by no identity, yet rules 'main' use it",
	    "5:3: identity 'dina' holds role 'dba', which approves under rule "
	    "'main', but has no keys, so its approvals cannot count",
	    "10:9: rule 'main', paths 'infra/**' can never be satisfied: it "
	    "needs 2 more approvals from ops, but only 1 identity holding "
	    "those roles has a key valid now (alice)",
	    "12:9: rule 'main', paths 'db/' can never be satisfied: it "
	    "requires 1 approval from role 'dba', but only 0 identities "
	    "holding it have a key valid now (nobody)",
	    NULL);
}

/*
 * A glob without '/' but with a wildcard hits top-level paths only (a
 * CODEOWNERS habit would expect every directory); a leading '/', '**' forms,
 * paths with a '/' and plain names are what they say.
 */
static void
test_warn__path_depth(void **state)
{
	(void)state;
	expect(HDR "  - name: main\n"
	           "    refs: refs/heads/main\n"
	           "    paths:\n"
	           "      - {match: '*.tf', writers: [ops]}\n"
	           "      - {match: 'Dockerfile?', writers: [ops]}\n"
	           "      - {match: '/*.tf', writers: [ops]}\n"
	           "      - {match: '**/*.tf', writers: [ops]}\n"
	           "      - {match: 'infra/*.tf', writers: [ops]}\n"
	           "      - {match: 'Makefile', writers: [ops]}\n",
	    "11:9: rule 'main', paths '*.tf' matches top-level paths only: a "
	    "glob matches the whole path, so a change to dir/*.tf does not "
	    "hit it; write '**/*.tf' for every directory, or '/*.tf' for the "
	    "top level alone",
	    "12:9: rule 'main', paths 'Dockerfile?' matches top-level paths "
	    "only",
	    NULL);
}

/* Every example policy in config/ passes without a warning today. */
static void
test_warn__examples(void **state)
{
	const char *data = getenv("TK_TEST_DATA");
	struct tk_review_opts o = {(int64_t)time(NULL), NULL, 0};
	char dir[4096], path[4200];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	(void)state;
	assert_non_null(data);
	snprintf(dir, sizeof(dir), "%s/../../config", data);
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		struct tk_warnings w = {NULL, 0};
		struct tk_policy *p = NULL;
		char *err = NULL;
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (tk_policy_load(&p, &err, path) < 0)
			fail_msg("%s does not load:\n%s", path, err);
		assert_int_equal(tk_policy_warn(&w, p, &o), 0);
		if (w.n > 0)
			fail_msg("%s:%u:%u: warning: %s", path, w.items[0].line,
			    w.items[0].col, w.items[0].msg);
		tk_warnings_release(&w);
		tk_policy_free(p);
		free(err);
		n++;
	}
	closedir(d);
	assert_true(n >= 1);
}

static void
literal(const char *src, const char *want, bool want_whole)
{
	struct tk_buf b = TK_BUF_INIT(4096);
	bool whole;

	assert_int_equal(tk_rx_literal(&b, src, &whole), 0);
	if (strcmp(b.ptr ? b.ptr : "", want) != 0 || whole != want_whole)
		fail_msg("literal of '%s': '%s' (whole %d), want '%s' (%d)",
		    src, b.ptr ? b.ptr : "", whole, want, want_whole);
	tk_buf_release(&b);
}

static void
catchall(const char *src, int want, const char *prefix, bool plus)
{
	struct tk_buf b = TK_BUF_INIT(4096);
	bool p;

	assert_int_equal(tk_rx_catchall(&b, src, &p), want);
	if (want == 1) {
		assert_string_equal(b.ptr ? b.ptr : "", prefix);
		assert_int_equal(p, plus);
	}
	tk_buf_release(&b);
}

static void
test_warn__pattern_text(void **state)
{
	(void)state;
	literal("refs/heads/main", "refs/heads/main", true);
	literal("^refs/heads/main$", "refs/heads/main", true);
	literal("refs/heads/main\\z", "refs/heads/main", true);
	literal("refs\\/heads\\.x", "refs/heads.x", true);
	literal("refs/heads/(main|x)", "refs/heads/", false);
	literal("refs/tags/v*", "refs/tags/", false); /* v is optional */
	literal("refs/tags/v+", "refs/tags/v", false);
	literal("refs/heads/a|refs/tags/b", "", false);
	literal("refs/(?i)main", "refs/", false);
	literal("refs/\\d", "refs/", false);
	literal("refs/[|]x", "refs/", false); /* a bar in a class */
	catchall(".*", 1, "", false);
	catchall("^.*$", 1, "", false);
	catchall("(.*)", 1, "", false);
	catchall("(?:refs/.+)", 1, "refs/", true);
	catchall("refs/heads/.+?", 1, "refs/heads/", true);
	catchall("refs/heads/\\.*", 0, NULL, false);
	catchall("refs/(heads|tags)/.*", 0, NULL, false);
	catchall("(?i:.*)", 0, NULL, false);
	catchall("(a)(.*)", 0, NULL, false);
}

/* ---- errors that teach ---------------------------------------------- */

/* The first error line of yaml must be want exactly (a prefix of it). */
static char *
refused(const char *yaml, const char *want)
{
	struct tk_policy *p = NULL;
	char *err = NULL;

	assert_int_equal(
	    tk_policy_load_buffer(&p, &err, "p.yaml", yaml, strlen(yaml)),
	    TK_ECONFIG);
	assert_null(p);
	assert_non_null(err);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("policy:\n%s\ngot:\n%s\nwant:\n%s", yaml, err, want);
	return err;
}

static void
refuses(const char *yaml, const char *want)
{
	free(refused(yaml, want));
}

static void
accepts(const char *yaml)
{
	struct tk_policy *p = NULL;
	char *err = NULL;

	if (tk_policy_load_buffer(&p, &err, "p.yaml", yaml, strlen(yaml)) < 0)
		fail_msg("policy:\n%s\nrefused:\n%s", yaml, err ? err : "");
	tk_policy_free(p);
	free(err);
}

static void
test_teach__tabs(void **state)
{
	(void)state;
	refuses("version: 1\nroles:\n\tdev: x\n",
	    "p.yaml:3:1: a tab in the indentation: YAML forbids tabs for "
	    "indentation; use spaces\n");
	refuses("version: 1\nroles:\n  dev: x\n  \trev: y\n",
	    "p.yaml:4:3: a tab in the indentation");
	/* a tab in a value is a control character, said so */
	refuses("version: 1\nroles: {dev: \"a\\tb\"}\n",
	    "p.yaml:2:14: control character in value: a tab; use spaces");
}

#define IDS                                                                    \
	"version: 1\n"                                                         \
	"roles:\n"                                                             \
	"  dev: x\n"                                                           \
	"identities:\n"                                                        \
	"  alice:\n"

static void
test_teach__misindented(void **state)
{
	(void)state;
	/* deeper than its sibling: libyaml reads it into the value above */
	refuses(IDS "    name: Alice\n"
	            "     emails: [a@x]\n",
	    "p.yaml:7:6: this key is indented differently from its siblings: "
	    "5 spaces here, 4 for 'name' on line 6; the keys of one mapping "
	    "must start in the same column (spaces only) (YAML parser: "
	    "mapping values are not allowed in this context)\n");
	/* the first key is the odd one: libyaml complains a line late */
	refuses(IDS "     emails: [a@x]\n"
	            "    roles: [dev]\n",
	    "p.yaml:6:6: this key is indented differently from its siblings: "
	    "5 spaces here, 4 for 'roles' on line 7;");
	/* between two levels */
	refuses(IDS "    name: Alice\n"
	            "   roles: [dev]\n",
	    "p.yaml:7:4: this key is indented differently from its siblings: "
	    "3 spaces here, 4 for 'name' on line 6;");
	/* after a block list, and in a rule (a mapping inside a list) */
	refuses(IDS "    emails:\n"
	            "      - a@x\n"
	            "     roles: [dev]\n",
	    "p.yaml:8:6: this key is indented differently from its siblings: "
	    "5 spaces here, 4 for 'emails' on line 6;");
	refuses("version: 1\nroles: {dev: x}\nrules:\n"
	        "  - name: x\n"
	        "    refs: refs/heads/x\n"
	        "   update: [dev]\n",
	    "p.yaml:6:4: this key is indented differently from its siblings: "
	    "3 spaces here, 4 for 'name' on line 4;");
	refuses(IDS "    roles:\n"
	            "      - dev\n"
	            "     - dev\n",
	    "p.yaml:8:6: this list item is indented differently from its "
	    "siblings: 5 spaces here, 6 for the item on line 7; the items of "
	    "one list must start in the same column");
}

static void
test_teach__keys(void **state)
{
	char *err;

	(void)state;
	/* two keys pasted into one entry: the second is no comment */
	refuses(IDS
	    "    keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOQ47Z1mJ4"
	    "wqxUxm7O90JizW3NF1yjEQ5/dT/7a7d3aw k1 ssh-ed25519 AAAAC3Nza"
	    "C1lZDI1NTE5AAAAICpB8nQhEznn4VInozkLc5QUJjZ4+FsbW8bwRW9NqtVX"
	    "\"]\n",
	    "p.yaml:6:97: key 'identities.alice.keys[0]': a second key in the "
	    "same entry (it would be read as the first one's comment): list "
	    "each key as its own item\n");
	refuses(IDS
	    "    keys:\n"
	    "      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOQ47Z1mJ4wqxUxm7"
	    "O90JizW3NF1yjEQ5/dT/7a7d3aw ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"
	    "AAAAICpB8nQhEznn4VInozkLc5QUJjZ4+FsbW8bwRW9NqtVX\n",
	    "p.yaml:7:90: key 'identities.alice.keys[0]': a second key in the "
	    "same entry");
	/* a comment of words, one of them a key type, is a comment */
	accepts(
	    IDS "    keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOQ47Z1mJ4"
	        "wqxUxm7O90JizW3NF1yjEQ5/dT/7a7d3aw alice ssh-ed25519 key "
	        "from 2024\"]\n");
	/* a key folded over two lines: where the cut is */
	refuses(IDS "    keys:\n"
	            "      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOQ47Z\n"
	            "        1mJ4wqxUxm7O90JizW3NF1yjEQ5/dT/7a7d3aw k1\n",
	    "p.yaml:7:51: key 'identities.alice.keys[0]': this key's base64 "
	    "is cut here by a line break or space (a wrapped or pasted "
	    "line): a public key is one line, 'TYPE BASE64 comment'; join the "
	    "pieces\n");
	refuses(IDS "    keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOQ47Z "
	            "1mJ4wqxUxm7O90JizW3NF1yjEQ5/dT/7a7d3aw k1\"]\n",
	    "p.yaml:6:55: key 'identities.alice.keys[0]': this key's base64 "
	    "is cut here");
	/* kept line breaks: a block in the middle, at the end, an escape */
	refuses(IDS "    keys:\n"
	            "      - |\n"
	            "        ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOQ47Z\n"
	            "        1mJ4wqxUxm7O90JizW3NF1yjEQ5/dT/7a7d3aw k1\n",
	    "p.yaml:8:51: control character in value: a line break; names, "
	    "emails, patterns and keys are one line each");
	refuses(IDS "    keys:\n"
	            "      - |\n"
	            "        " K1 "\n",
	    "p.yaml:7:9: control character in value: it ends with a line "
	    "break, which this '|' or '>' block keeps; write the value on one "
	    "line, in quotes, or use '|-' to drop the break\n");
	refuses(IDS "    keys: [\"ssh-ed25519 AAAA\\nBBBB\"]\n",
	    "p.yaml:6:29: control character in value: a line break");
	/* a private key: said so, and nothing of it echoed */
	err = refused(IDS "    keys:\n"
	                  "      - |\n"
	                  "        -----BEGIN OPENSSH PRIVATE KEY-----\n"
	                  "        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
	                  "        -----END OPENSSH PRIVATE KEY-----\n",
	    "p.yaml:8:9: this is a PRIVATE key: a secret is now on disk in the "
	    "policy file (and in every copy, backup and commit of it); remove "
	    "it, treat the key as compromised (make a new key pair and stop "
	    "using this one), and put only public keys here");
	assert_null(strstr(err, "b3Blbn"));
	assert_null(strstr(err, "BEGIN"));
	assert_int_equal(strchr(err, '\n') - err + 1, (long)strlen(err));
	free(err);
	err =
	    refused(IDS "    keys: [\"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAA\"]\n",
	        "p.yaml:6:13: this is a PRIVATE key");
	assert_null(strstr(err, "AAAAABG5"));
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_warn__clean),
	    cmocka_unit_test(test_warn__globs),
	    cmocka_unit_test(test_warn__not_refs),
	    cmocka_unit_test(test_warn__shadowed),
	    cmocka_unit_test(test_warn__repo_refs),
	    cmocka_unit_test(test_warn__unsatisfiable),
	    cmocka_unit_test(test_warn__roles),
	    cmocka_unit_test(test_warn__expiry),
	    cmocka_unit_test(test_warn__paths),
	    cmocka_unit_test(test_warn__path_depth),
	    cmocka_unit_test(test_warn__examples),
	    cmocka_unit_test(test_warn__pattern_text),
	    cmocka_unit_test(test_teach__tabs),
	    cmocka_unit_test(test_teach__misindented),
	    cmocka_unit_test(test_teach__keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
