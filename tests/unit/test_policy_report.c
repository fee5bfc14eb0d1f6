/*
 * Unit tests for the access report and the policy diff on small policies
 * with known answers: roles resolved into people (fallbacks, anyone,
 * nobody), refs assigned first-match, every format's exact or parsed
 * output and its escaping of hostile ref names, and the diff's widening
 * and narrowing lines (gains, counts, requirements, removed and reordered
 * rules, keys, logins, emails, pusher.env).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "audit/json.h"
#include "internal.h"
#include "twokey/policy.h"
#include "twokey/review.h"

#define K1                                                                     \
	"ssh-ed25519 "                                                         \
	"AAAAC3NzaC1lZDI1NTE5AAAAIOQ47Z1mJ4wqxUxm7O90JizW3NF1yjEQ5/dT/7a7d3aw k1"
#define K1_FP "SHA256:IoaFtrHx/fcG1qdWG0HR4TDdY8QuDGeSTvukE9GoGaU"
#define K2                                                                     \
	"ssh-ed25519 "                                                         \
	"AAAAC3NzaC1lZDI1NTE5AAAAICpB8nQhEznn4VInozkLc5QUJjZ4+FsbW8bwRW9NqtVX k2"
#define K2_FP "SHA256:e99+tWubis+pn7erbZJGraVYURQiRnejEca6AS8v1qA"
#define K3_FP "SHA256:2dSKW1XOJ6GybIDMtUk/kQlbhN42S+/5JROVFzlSZ58"
#define K3                                                                     \
	"ssh-ed25519 "                                                         \
	"AAAAC3NzaC1lZDI1NTE5AAAAINke02exB3UG6Rfc1pUb5dpcWkwqg2n3YKtSNLxSMr7X k3"

#define D_2026_01_01 INT64_C(1767225600)

/* A team: dave deploys, bob and carol review, bob does security. */
#define TEAM                                                                    \
	"version: 1\n"                                                          \
	"roles: {dev: d, rev: r, sec: s, ops: o}\n"                             \
	"identities:\n"                                                         \
	"  dave: {logins: [dave], emails: [dave@x], roles: [ops], keys: [\"" K3 \
	"\"]}\n"                                                                \
	"  carol: {logins: [carol], emails: [carol@x], roles: [rev]}\n"         \
	"  bob:\n"                                                              \
	"    logins: [bob]\n"                                                   \
	"    emails: [bob@x]\n"                                                 \
	"    roles: [sec, rev]\n"                                               \
	"    keys: [{key: \"" K1 "\", valid-before: 2026-03-02}]\n"             \
	"  alice: {logins: [alice], emails: [alice@x], roles: [dev]}\n"

#define RULES                                                                  \
	"rules:\n"                                                             \
	"  - name: main\n"                                                     \
	"    refs: refs/heads/main\n"                                          \
	"    update: [ops]\n"                                                  \
	"    delete: []\n"                                                     \
	"    approvals: {min: 2, from: [rev, sec], require: {sec: 1}}\n"       \
	"    pusher-may-write: false\n"                                        \
	"  - name: rest\n"                                                     \
	"    refs: '.*'\n"                                                     \
	"    force-push: [dev]\n"

static struct tk_policy *
load_ok(const char *yaml)
{
	struct tk_policy *p = NULL;
	char *err = NULL;

	if (tk_policy_load_buffer(&p, &err, "p.yaml", yaml, strlen(yaml)) < 0)
		fail_msg("policy does not load:\n%s\n%s", yaml, err);
	free(err);
	return p;
}

static void
ids_are(const struct tk_people *pp, const char *want)
{
	struct tk_buf b = TK_BUF_INIT(4096);
	size_t i;

	if (pp->anyone)
		(void)tk_buf_puts(&b, "*");
	for (i = 0; i < pp->n; i++)
		(void)tk_buf_printf(&b, "%s%s", i ? "," : "", pp->ids[i]->id);
	if (strcmp(b.ptr ? b.ptr : "", want) != 0)
		fail_msg("people '%s', want '%s'", b.ptr ? b.ptr : "", want);
	tk_buf_release(&b);
}

static void
test_access__people(void **state)
{
	static const char *const refs[] = {
	    "refs/heads/feature/x", "refs/heads/main", "refs/tags/v1"};
	struct tk_policy *p = load_ok(TEAM RULES);
	struct tk_access *a = NULL;
	const struct tk_rule_access *m, *r;

	(void)state;
	assert_int_equal(tk_access_build(&a, p, refs, 3), 0);
	assert_int_equal(a->nids, 4);
	assert_string_equal(a->ids[0]->id, "alice"); /* sorted */
	assert_string_equal(a->ids[3]->id, "dave");
	m = &a->rules[0];
	ids_are(&m->push[TK_PERM_UPDATE], "dave");
	ids_are(&m->push[TK_PERM_CREATE], "dave"); /* falls back to update */
	ids_are(&m->push[TK_PERM_DELETE], ""); /* [] is nobody */
	ids_are(&m->push[TK_PERM_FORCE_PUSH], "dave");
	ids_are(&m->approve, "bob,carol");
	assert_int_equal(m->nby_role, 2);
	assert_string_equal(p->roles[m->by_role[0].role], "rev");
	ids_are(&m->by_role[0].people, "bob,carol");
	assert_int_equal(m->by_role[0].require, 0);
	assert_string_equal(p->roles[m->by_role[1].role], "sec");
	ids_are(&m->by_role[1].people, "bob");
	assert_int_equal(m->by_role[1].require, 1);
	assert_int_equal(m->ngoverns, 1);
	assert_string_equal(m->governs[0], "refs/heads/main");
	r = &a->rules[1];
	ids_are(&r->push[TK_PERM_UPDATE], "*"); /* unrestricted */
	ids_are(&r->push[TK_PERM_FORCE_PUSH], "alice");
	assert_int_equal(r->ngoverns, 2); /* first match: not main */
	assert_int_equal(a->nungoverned, 0);
	tk_access_free(a);
	tk_policy_free(p);
}

/* The report of yaml at 2026-01-01, with refs, as one string. */
static char *
report(const char *yaml, enum tk_report_format fmt, const char *const *refs,
    size_t nrefs)
{
	struct tk_report_meta m = {
	    "p.yaml", refs ? "srv.git" : NULL, D_2026_01_01};
	struct tk_policy *p = load_ok(yaml);
	struct tk_access *a = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(tk_access_build(&a, p, refs, nrefs), 0);
	assert_non_null(f = open_memstream(&text, &len));
	assert_int_equal(tk_access_report(f, a, fmt, &m), 0);
	fclose(f);
	tk_access_free(a);
	tk_policy_free(p);
	return text;
}

static void
test_report__csv(void **state)
{
	static const char *const refs[] = {"refs/heads/main"};
	char *csv = report(TEAM RULES, TK_REPORT_CSV, refs, 1);

	(void)state;
	if (getenv("TK_DUMP"))
		fprintf(stderr, "%s", csv);
	assert_string_equal(csv,
	    "section,name,field,value,detail\n"
	    "\"rule\",\"main\",\"position\",\"1\",\"\"\n"
	    "\"rule\",\"main\",\"refs\",\"refs/heads/main\",\"\"\n"
	    "\"rule\",\"main\",\"mode\",\"enforce\",\"\"\n"
	    "\"rule\",\"main\",\"governs\",\"refs/heads/main\",\"\"\n"
	    "\"rule\",\"main\",\"update\",\"dave\",\"\"\n"
	    "\"rule\",\"main\",\"create\",\"dave\",\"\"\n"
	    "\"rule\",\"main\",\"delete\",\"(nobody)\",\"\"\n"
	    "\"rule\",\"main\",\"force-push\",\"dave\",\"\"\n"
	    "\"rule\",\"main\",\"approve\",\"bob\",\"at least 2\"\n"
	    "\"rule\",\"main\",\"approve\",\"carol\",\"at least 2\"\n"
	    "\"rule\",\"main\",\"approve as rev\",\"bob\",\"\"\n"
	    "\"rule\",\"main\",\"approve as rev\",\"carol\",\"\"\n"
	    "\"rule\",\"main\",\"approve as sec\",\"bob\",\"at least 1 "
	    "required\"\n"
	    "\"rule\",\"main\",\"checks\",\"the pusher may not have written "
	    "it\",\"\"\n"
	    "\"rule\",\"main\",\"emergency\",\"(no emergency path)\",\"\"\n"
	    "\"rule\",\"rest\",\"position\",\"2\",\"\"\n"
	    "\"rule\",\"rest\",\"refs\",\".*\",\"\"\n"
	    "\"rule\",\"rest\",\"mode\",\"enforce\",\"\"\n"
	    "\"rule\",\"rest\",\"update\",\"(anyone)\",\"\"\n"
	    "\"rule\",\"rest\",\"create\",\"(anyone)\",\"\"\n"
	    "\"rule\",\"rest\",\"delete\",\"(anyone)\",\"\"\n"
	    "\"rule\",\"rest\",\"force-push\",\"alice\",\"\"\n"
	    "\"rule\",\"rest\",\"approve\",\"(no approvals required)\",\"\"\n"
	    "\"rule\",\"rest\",\"checks\",\"none\",\"\"\n"
	    "\"rule\",\"rest\",\"emergency\",\"(no emergency path)\",\"\"\n"
	    "\"freeze\",\"(ad hoc)\",\"kept\",\"in /var/lib/twokey/freeze "
	    "(twokey freeze status)\",\"\"\n"
	    "\"identity\",\"alice\",\"name\",\"alice\",\"\"\n"
	    "\"identity\",\"alice\",\"roles\",\"dev\",\"\"\n"
	    "\"identity\",\"alice\",\"login\",\"alice\",\"\"\n"
	    "\"identity\",\"alice\",\"email\",\"alice@x\",\"\"\n"
	    "\"identity\",\"bob\",\"name\",\"bob\",\"\"\n"
	    "\"identity\",\"bob\",\"roles\",\"rev, sec\",\"\"\n"
	    "\"identity\",\"bob\",\"login\",\"bob\",\"\"\n"
	    "\"identity\",\"bob\",\"email\",\"bob@x\",\"\"\n"
	    "\"identity\",\"bob\",\"key\",\"" K1_FP "\",\"ssh-ed25519, valid, "
	    "- to 2026-03-02, 60 days left\"\n"
	    "\"identity\",\"carol\",\"name\",\"carol\",\"\"\n"
	    "\"identity\",\"carol\",\"roles\",\"rev\",\"\"\n"
	    "\"identity\",\"carol\",\"login\",\"carol\",\"\"\n"
	    "\"identity\",\"carol\",\"email\",\"carol@x\",\"\"\n"
	    "\"identity\",\"dave\",\"name\",\"dave\",\"\"\n"
	    "\"identity\",\"dave\",\"roles\",\"ops\",\"\"\n"
	    "\"identity\",\"dave\",\"login\",\"dave\",\"\"\n"
	    "\"identity\",\"dave\",\"email\",\"dave@x\",\"\"\n"
	    "\"identity\",\"dave\",\"key\",\"" K3_FP "\",\"ssh-ed25519, "
	    "valid, no expiry\"\n");
	free(csv);
}

/*
 * Planned freezes are listed with their refs, window and reason in every
 * format, and where the ad hoc ones are kept; the reason is policy text
 * and escaped like the rest.
 */
static void
test_report__freezes(void **state)
{
	static const char *const refs[] = {"refs/heads/main"};
	static const char *const y =
	    TEAM "freeze-file: /srv/freeze\n"
	         "freezes:\n"
	         "  - name: year-end\n"
	         "    refs: 'refs/heads/(main|release/.+)'\n"
	         "    from: 2026-12-20T00:00:00Z\n"
	         "    until: 2027-01-04T00:00:00Z\n"
	         "    reason: 'close <b>the</b> books'\n" RULES;
	char *t;

	(void)state;
	t = report(y, TK_REPORT_TEXT, refs, 1);
	assert_non_null(strstr(t,
	    "  planned:    year-end: refs 'refs/heads/(main|release/.+)', "
	    "from 2026-12-20T00:00:00Z until 2027-01-04T00:00:00Z: close "
	    "<b>the</b> books\n"
	    "  ad hoc:     in /srv/freeze (twokey freeze status)\n"));
	free(t);
	t = report(y, TK_REPORT_CSV, refs, 1);
	assert_non_null(strstr(t,
	    "\"freeze\",\"year-end\",\"refs\",\"refs/heads/(main|release/.+)\","
	    "\"\"\n\"freeze\",\"year-end\",\"window\",\"from "
	    "2026-12-20T00:00:00Z until 2027-01-04T00:00:00Z\",\"\"\n"
	    "\"freeze\",\"year-end\",\"reason\",\"close <b>the</b> books\",\"\"\n"
	    "\"freeze\",\"(ad hoc)\",\"kept\",\"in /srv/freeze (twokey freeze "
	    "status)\",\"\"\n"));
	free(t);
	t = report(y, TK_REPORT_JSON, refs, 1);
	assert_non_null(strstr(t,
	    "\"freezes\":{\"planned\":[{\"name\":\"year-end\",\"refs\":\"refs/"
	    "heads/(main|release/.+)\",\"from\":\"2026-12-20T00:00:00Z\",\"until\":"
	    "\"2027-01-04T00:00:00Z\",\"reason\":\"close <b>the</b> books\"}],"
	    "\"adhoc\":\"in /srv/freeze (twokey freeze status)\"}"));
	free(t);
	t = report(y, TK_REPORT_HTML, refs, 1);
	assert_non_null(strstr(t,
	    "<tr><td>year-end</td><td class=\"code\">refs/heads/(main|"
	    "release/.+)</td><td>from 2026-12-20T00:00:00Z until "
	    "2027-01-04T00:00:00Z</td><td>close &lt;b&gt;the&lt;/b&gt; "
	    "books</td></tr>"));
	assert_null(strstr(t, "<b>the"));
	free(t);
}

/* Ref names are the pushers' text: escaped in every format. */
static void
test_report__hostile_refs(void **state)
{
	static const char *const refs[] = {"refs/heads/=HYPERLINK(\"x\")",
	    "refs/heads/<script>alert(1)</script>",
	    "refs/heads/a\"b\\c\x1b[31m", "refs/heads/main"};
	struct tk_jv *v = NULL;
	const struct tk_jv *rules, *gov;
	char *out;

	(void)state;
	out = report(TEAM RULES, TK_REPORT_HTML, refs, 4);
	assert_null(strstr(out, "<script>"));
	assert_non_null(strstr(out, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(out, "a&quot;b\\c?[31m"));
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, "<table id=\"rules\">"));
	free(out);
	out = report(TEAM RULES, TK_REPORT_CSV, refs, 4);
	/* a cell never starts a formula: the "=" is not first */
	assert_null(strstr(out, ",\"=HYPERLINK"));
	assert_non_null(strstr(out, "\"refs/heads/=HYPERLINK(\"\"x\"\")\""));
	assert_non_null(strstr(out, "\"refs/heads/a\"\"b\\c?[31m\""));
	free(out);
	out = report(TEAM RULES, TK_REPORT_JSON, refs, 4);
	assert_int_equal(tk_json_parse(&v, out, strlen(out)), 0);
	rules = tk_json_get(v, "rules");
	assert_int_equal(rules->n, 2);
	gov = tk_json_get(rules->items[1], "governs");
	assert_int_equal(gov->n, 3);
	assert_string_equal(tk_json_str(gov->items[1], ""),
	    "refs/heads/<script>alert(1)</script>");
	assert_string_equal(
	    tk_json_str(gov->items[2], ""), "refs/heads/a\"b\\c?[31m");
	tk_json_free(v);
	free(out);
}

static void
test_report__json_text(void **state)
{
	struct tk_jv *v = NULL;
	const struct tk_jv *id, *key;
	char *out;

	(void)state;
	out = report(TEAM RULES, TK_REPORT_JSON, NULL, 0);
	assert_int_equal(tk_json_parse(&v, out, strlen(out)), 0);
	assert_int_equal(tk_json_get(v, "repository")->t, TK_J_NULL);
	assert_int_equal(tk_json_get(v, "ungoverned")->t, TK_J_NULL);
	id = tk_json_get(v, "identities")->items[1];
	assert_string_equal(tk_json_str(tk_json_get(id, "id"), ""), "bob");
	key = tk_json_get(id, "keys")->items[0];
	assert_string_equal(
	    tk_json_str(tk_json_get(key, "fingerprint"), ""), K1_FP);
	assert_string_equal(
	    tk_json_str(tk_json_get(key, "valid_before"), ""), "2026-03-02");
	assert_int_equal(tk_json_get(key, "valid_after")->t, TK_J_NULL);
	assert_string_equal(tk_json_get(key, "days_left")->s, "60");
	assert_string_equal(
	    tk_json_str(tk_json_get(key, "status"), ""), "valid");
	tk_json_free(v);
	free(out);
	out = report(TEAM RULES, TK_REPORT_TEXT, NULL, 0);
	assert_non_null(strstr(out,
	    "\nrule 1: main\n"
	    "  refs:       refs/heads/main\n"
	    "  mode:       enforce\n"
	    "  update:     dave\n"));
	assert_non_null(strstr(out,
	    "  approve:    bob, carol (at least 2)\n"
	    "    as rev: bob, carol\n"
	    "    as sec: bob (at least 1 required)\n"));
	assert_non_null(strstr(
	    out, "  update:     anyone (the rule does not restrict it)\n"));
	assert_non_null(strstr(out,
	    "  key:        ssh-ed25519 " K1_FP
	    ", valid, - to 2026-03-02, 60 days left\n"));
	assert_null(strstr(out, "governs"));
	free(out);
}

/* The diff of two policies: exactly these lines, in order. */
static void
diff_is(const char *old, const char *new_, const char *const *refs,
    size_t nrefs, ...)
{
	struct tk_review_opts o = {D_2026_01_01, refs, nrefs};
	struct tk_changes c = {NULL, 0, 0, 0};
	struct tk_policy *a = load_ok(old), *b = load_ok(new_);
	static const char *const kinds[] = {"widens", "narrows", "note"};
	char got[4096];
	const char *want;
	size_t i = 0;
	va_list ap;

	assert_int_equal(tk_policy_diff(&c, a, b, &o), 0);
	for (i = 0; getenv("TK_DUMP") && i < c.n; i++)
		fprintf(stderr, "%s: %s\n", kinds[c.items[i].kind],
		    c.items[i].text);
	i = 0;
	va_start(ap, nrefs);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (i >= c.n)
			fail_msg("missing change '%s'", want);
		snprintf(got, sizeof(got), "%s: %s", kinds[c.items[i].kind],
		    c.items[i].text);
		if (strcmp(got, want) != 0)
			fail_msg("change %zu:\n  got  '%s'\n  want '%s'", i,
			    got, want);
		i++;
	}
	va_end(ap);
	if (i < c.n)
		fail_msg("unexpected change '%s'", c.items[i].text);
	tk_changes_release(&c);
	tk_policy_free(a);
	tk_policy_free(b);
}

/* TEAM with one substitution applied to its text. */
static char *
edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	struct tk_buf b = TK_BUF_INIT(1 << 20);

	assert_non_null(at);
	(void)tk_buf_put(&b, text, (size_t)(at - text));
	(void)tk_buf_puts(&b, to);
	(void)tk_buf_puts(&b, at + strlen(from));
	return tk_buf_detach(&b, NULL);
}

/* *text with one substitution applied; the old text is freed. */
static void
replace(char **text, const char *from, const char *to)
{
	char *n = edit(*text, from, to);

	free(*text);
	*text = n;
}

static void
test_diff__people_and_checks(void **state)
{
	char *wide, *narrow;

	(void)state;
	/* nothing changes (bob's key expires in 60 days: not soon) */
	diff_is(TEAM RULES, TEAM RULES, NULL, 0, NULL);
	/* carol becomes ops, min drops, the pusher may write */
	wide = tk_strdup(TEAM RULES);
	replace(&wide, "roles: [rev]}", "roles: [rev, ops]}");
	replace(&wide, "min: 2,", "min: 1,");
	replace(&wide, "    pusher-may-write: false\n", "");
	diff_is(TEAM RULES, wide, NULL, 0,
	    "widens: rule 'main': update: gained by carol",
	    "widens: rule 'main': create: gained by carol",
	    "widens: rule 'main': force-push: gained by carol",
	    "widens: rule 'main': approvals.min: 2 -> 1",
	    "widens: rule 'main': pusher-may-write: false -> true",
	    "note: identity 'carol': role 'ops' added", NULL);
	/* update for anyone; require dropped; the checks back */
	narrow = tk_strdup(TEAM RULES);
	replace(&narrow, "    update: [ops]\n", "");
	replace(&narrow, ", require: {sec: 1}", "");
	diff_is(TEAM RULES, narrow, NULL, 0,
	    "widens: rule 'main': update: anyone now, known pusher or not (was "
	    "dave)",
	    "widens: rule 'main': create: anyone now, known pusher or not (was "
	    "dave)",
	    "widens: rule 'main': force-push: anyone now, known pusher or not "
	    "(was dave)",
	    "widens: rule 'main': approvals.require sec: 1 -> 0", NULL);
	diff_is(narrow, TEAM RULES, NULL, 0,
	    "narrows: rule 'main': update: only dave now (was anyone)",
	    "narrows: rule 'main': create: only dave now (was anyone)",
	    "narrows: rule 'main': force-push: only dave now (was anyone)",
	    "narrows: rule 'main': approvals.require sec: 0 -> 1", NULL);
	free(wide);
	free(narrow);
}

#define FLAT                                                                   \
	"version: 1\n"                                                         \
	"roles: {ops: o, dev: d}\n"                                            \
	"identities:\n"                                                        \
	"  dave: {logins: [dave], emails: [dave@x], roles: [ops]}\n"           \
	"  alice: {logins: [alice], emails: [alice@x], roles: [dev]}\n"

static void
test_diff__rules(void **state)
{
	static const char *const refs[] = {"refs/heads/main", "refs/tags/v1"};

	(void)state;
	/* a rule removed */
	diff_is(FLAT "rules:\n"
	             "  - {name: main, refs: refs/heads/main, update: [ops]}\n",
	    FLAT "rules: []\n", NULL, 0,
	    "widens: rule 'main' (refs 'refs/heads/main') removed: the refs "
	    "it decided fall to a later rule, or to none (accepted as pushed)",
	    NULL);
	/* an added catch-all first takes main; tags never overlapped */
	diff_is(FLAT "rules:\n"
	             "  - {name: main, refs: refs/heads/main, update: [ops]}\n"
	             "  - {name: tags, refs: 'refs/tags/.*', update: [ops]}\n",
	    FLAT "rules:\n"
	         "  - {name: heads, refs: 'refs/heads/.*', update: [dev]}\n"
	         "  - {name: main, refs: refs/heads/main, update: [ops]}\n"
	         "  - {name: tags, refs: 'refs/tags/.*', update: [ops]}\n",
	    refs, 2, "note: rule 'heads' (refs 'refs/heads/.*') added",
	    "widens: refs both 'main' and 'heads' match (an added rule placed "
	    "before it) are now decided by 'heads', not 'main': update: gained "
	    "by alice",
	    "narrows: refs both 'main' and 'heads' match (an added rule "
	    "placed before it) are now decided by 'heads', not 'main': update: "
	    "lost by dave",
	    "widens: refs both 'main' and 'heads' match (an added rule placed "
	    "before it) are now decided by 'heads', not 'main': create: gained "
	    "by alice",
	    "narrows: refs both 'main' and 'heads' match (an added rule "
	    "placed before it) are now decided by 'heads', not 'main': create: "
	    "lost by dave",
	    "widens: refs both 'main' and 'heads' match (an added rule placed "
	    "before it) are now decided by 'heads', not 'main': delete: gained "
	    "by alice",
	    "narrows: refs both 'main' and 'heads' match (an added rule "
	    "placed before it) are now decided by 'heads', not 'main': delete: "
	    "lost by dave",
	    "widens: refs both 'main' and 'heads' match (an added rule placed "
	    "before it) are now decided by 'heads', not 'main': force-push: gained "
	    "by alice",
	    "narrows: refs both 'main' and 'heads' match (an added rule "
	    "placed before it) are now decided by 'heads', not 'main': force-push: "
	    "lost by dave",
	    "note: ref refs/heads/main: now decided by rule 'heads', not rule "
	    "'main'",
	    "widens: ref refs/heads/main: now decided by rule 'heads', not "
	    "rule 'main': update: gained by alice",
	    "narrows: ref refs/heads/main: now decided by rule 'heads', not "
	    "rule 'main': update: lost by dave",
	    "widens: ref refs/heads/main: now decided by rule 'heads', not "
	    "rule 'main': create: gained by alice",
	    "narrows: ref refs/heads/main: now decided by rule 'heads', not "
	    "rule 'main': create: lost by dave",
	    "widens: ref refs/heads/main: now decided by rule 'heads', not "
	    "rule 'main': delete: gained by alice",
	    "narrows: ref refs/heads/main: now decided by rule 'heads', not "
	    "rule 'main': delete: lost by dave",
	    "widens: ref refs/heads/main: now decided by rule 'heads', not "
	    "rule 'main': force-push: gained by alice",
	    "narrows: ref refs/heads/main: now decided by rule 'heads', not "
	    "rule 'main': force-push: lost by dave",
	    NULL);
	/* two rules swap: a pattern change without --repo widens */
	diff_is(FLAT "rules:\n"
	             "  - {name: a, refs: refs/heads/main, update: [ops]}\n"
	             "  - {name: b, refs: 'refs/heads/.+'}\n",
	    FLAT "rules:\n"
	         "  - {name: b, refs: 'refs/heads/.+'}\n"
	         "  - {name: a, refs: refs/heads/(main|x), update: [ops]}\n",
	    NULL, 0,
	    "widens: rule 'a': refs: 'refs/heads/main' -> 'refs/heads/(main|x)' "
	    "(refs may move between rules; compare with --repo to judge them)",
	    "widens: refs both 'a' and 'b' match (the rules changed order) are "
	    "now decided by 'b', not 'a': update: anyone now, known pusher or "
	    "not (was dave)",
	    "widens: refs both 'a' and 'b' match (the rules changed order) are "
	    "now decided by 'b', not 'a': create: anyone now, known pusher or "
	    "not (was dave)",
	    "widens: refs both 'a' and 'b' match (the rules changed order) are "
	    "now decided by 'b', not 'a': delete: anyone now, known pusher or "
	    "not (was dave)",
	    "widens: refs both 'a' and 'b' match (the rules changed order) are "
	    "now decided by 'b', not 'a': force-push: anyone now, known pusher "
	    "or not (was dave)",
	    NULL);
	/* disjoint rules may change order freely */
	diff_is(FLAT "rules:\n"
	             "  - {name: a, refs: refs/heads/main, update: [ops]}\n"
	             "  - {name: t, refs: 'refs/tags/.+'}\n",
	    FLAT "rules:\n"
	         "  - {name: t, refs: 'refs/tags/.+'}\n"
	         "  - {name: a, refs: refs/heads/main, update: [ops]}\n",
	    NULL, 0, NULL);
}

static void
test_diff__identities(void **state)
{
	(void)state;
	diff_is(
	    "version: 1\n"
	    "roles: {rev: r}\n"
	    "identities:\n"
	    "  bob: {logins: [bob], emails: [bob@x, shared@x], roles: [rev],"
	    " keys: [\"" K1 "\"]}\n"
	    "  carol: {emails: [carol@x], roles: [rev], keys: [\"" K2 "\"]}\n"
	    "revoked-keys: [\"" K3 "\"]\n"
	    "pusher: {env: [GL_USER]}\n"
	    "audit: {path: /var/log/a.jsonl}\n",
	    "version: 1\n"
	    "roles: {rev: r}\n"
	    "identities:\n"
	    "  bob: {logins: [bob, robert], emails: [bob@x], roles: [rev],"
	    " keys: [{key: \"" K1 "\", valid-before: 2026-01-20}]}\n"
	    "  carol: {emails: [carol@x, shared@x], roles: [rev], keys: [\"" K2
	    "\", \"" K3 "\"]}\n"
	    "revoked-keys: [\"" K2 "\"]\n"
	    "pusher: {env: [GL_USER, REMOTE_USER]}\n",
	    NULL, 0,
	    "widens: identity 'bob': login 'robert' added: a push by robert "
	    "now counts as bob's",
	    "note: identity 'bob': email shared@x removed",
	    "narrows: identity 'bob': key " K1_FP " valid for a shorter time",
	    "note: identity 'bob': key " K1_FP " now valid - to 2026-01-20",
	    "widens: email shared@x moved from identity 'bob' to 'carol': what "
	    "it wrote no longer stops 'bob' from approving it",
	    "widens: identity 'carol': key ssh-ed25519 " K3_FP " added",
	    "narrows: key ssh-ed25519 " K2_FP " revoked",
	    "widens: key ssh-ed25519 " K3_FP " no longer revoked: it signs "
	    "again",
	    "widens: pusher.env: REMOTE_USER added: the pusher's login may now "
	    "come from it (only a front end may set it)",
	    "widens: audit.path removed: decisions are no longer recorded",
	    "note: identity 'bob': key " K1_FP
	    " expires on 2026-01-20 (in 19 days)",
	    NULL);
}

#define PATHS                                                                  \
	"rules:\n"                                                             \
	"  - name: main\n"                                                     \
	"    refs: refs/heads/main\n"                                          \
	"    paths:\n"                                                         \
	"      - match: 'infra/**'\n"                                          \
	"        approvals: {min: 1, from: [ops]}\n"                           \
	"        writers: [ops, dev]\n"                                        \
	"      - {match: 'db/', approvals: {require: {sec: 1}}}\n"             \
	"    require-trailers: {Change: 'CHG[0-9]+'}\n"                        \
	"    emails: '.+@x'\n"

/* paths: entries in the report, and in the diff */
static void
test_paths(void **state)
{
	char *out, *wide;

	(void)state;
	out = report(TEAM PATHS, TK_REPORT_CSV, NULL, 0);
	assert_non_null(strstr(out,
	    "\"rule\",\"main\",\"path infra/** write\",\"alice\",\"\"\n"
	    "\"rule\",\"main\",\"path infra/** write\",\"dave\",\"\"\n"
	    "\"rule\",\"main\",\"path infra/** approve\",\"dave\",\"at least 1 "
	    "more\"\n"
	    "\"rule\",\"main\",\"path db/ write\",\"(anyone)\",\"\"\n"
	    "\"rule\",\"main\",\"path db/ approve as sec\",\"bob\",\"at least 1 "
	    "required\"\n"
	    "\"rule\",\"main\",\"checks\",\"a trailer Change: matching "
	    "'CHG[0-9]+'; author and committer emails matching '.+@x'\",\"\"\n"));
	free(out);
	out = report(TEAM PATHS, TK_REPORT_TEXT, NULL, 0);
	assert_non_null(strstr(out,
	    "  paths 'infra/**':\n"
	    "    write:      alice, dave\n"
	    "    approve:    dave (at least 1 more)\n"
	    "  paths 'db/':\n"
	    "    write:      anyone (the entry does not "
	    "restrict it)\n"
	    "    approve:    as sec: bob (at least 1 "
	    "required)\n"));
	free(out);
	wide = tk_strdup(TEAM PATHS);
	replace(&wide, "writers: [ops, dev]", "writers: [ops, dev, rev]");
	replace(&wide,
	    "      - {match: 'db/', approvals: {require: {sec: 1}}}\n", "");
	replace(&wide, "    require-trailers: {Change: 'CHG[0-9]+'}\n", "");
	replace(&wide, "'.+@x'", "'.+'");
	diff_is(TEAM PATHS, wide, NULL, 0,
	    "widens: rule 'main': paths 'infra/**': write: gained by bob, carol",
	    "widens: rule 'main': paths 'db/' removed: a change touching it "
	    "needs only what the rule asks, from any writer",
	    "widens: rule 'main': require-trailers Change removed",
	    "widens: rule 'main': emails: '.+@x' -> '.+' (another pattern may "
	    "admit more)",
	    NULL);
	free(wide);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_access__people),
	    cmocka_unit_test(test_report__csv),
	    cmocka_unit_test(test_report__freezes),
	    cmocka_unit_test(test_report__hostile_refs),
	    cmocka_unit_test(test_report__json_text),
	    cmocka_unit_test(test_diff__people_and_checks),
	    cmocka_unit_test(test_diff__rules),
	    cmocka_unit_test(test_diff__identities),
	    cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
