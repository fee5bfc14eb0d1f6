/*
 * Unit tests for emergencies (docs/spec.md, "Emergency changes"): the
 * policy's emergency: block and every refusal with its exact
 * "file:line:column:" prefix, the reason bounds, the state's text form
 * (round trip, attacker text in fields, every kind of damage refused) and
 * the file store (missing state empty, corrupt state an error, written
 * under its lock and replaced whole).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <git2.h>

#include "internal.h"
#include "twokey/emergency.h"
#include "twokey/policy.h"

#define HDR                                                                    \
	"version: 1\n"                                                         \
	"roles: {dev: d, rev: r, ops: o}\n"                                    \
	"rules:\n"                                                             \
	"  - refs: refs/heads/main\n"                                          \
	"    approvals: {min: 1, from: [rev]}\n"

static struct tk_policy *
must_load(const char *yaml)
{
	struct tk_policy *p = NULL;
	char *err = NULL;

	if (tk_policy_load_buffer(&p, &err, "p.yaml", yaml, strlen(yaml)) < 0)
		fail_msg("unexpected: %s", err);
	free(err);
	return p;
}

/* The loader's errors for yaml, which must not load. */
static char *
errors_of(const char *yaml)
{
	struct tk_policy *p = NULL;
	char *err = NULL;

	assert_int_equal(
	    tk_policy_load_buffer(&p, &err, "p.yaml", yaml, strlen(yaml)),
	    TK_ECONFIG);
	assert_null(p);
	return err;
}

static void
expect_error(const char *yaml, const char *want)
{
	char *err = errors_of(yaml);

	if (strstr(err, want) == NULL)
		fail_msg("expected '%s' in:\n%s", want, err);
	free(err);
}

static void
test_load_full(void **state)
{
	struct tk_policy *p = must_load(HDR "    emergency:\n"
	                                    "      by: [ops]\n"
	                                    "      reason: 'INC-[0-9]+ .+'\n"
	                                    "      waive: [approvals, freeze]\n"
	                                    "      ratify:\n"
	                                    "        within: 90m\n"
	                                    "        min: 2\n"
	                                    "        from: [rev, ops]\n"
	                                    "        require: {ops: 1}\n"
	                                    "        overdue: block\n");
	const struct tk_emergency *e = p->rules[0]->emergency;

	(void)state;
	assert_non_null(e);
	assert_true(tk_roleset_has(&e->by, 2));
	assert_false(tk_roleset_has(&e->by, 0));
	assert_string_equal(e->reason_src, "INC-[0-9]+ .+");
	assert_int_equal(e->waive, TK_WAIVE_APPROVALS | TK_WAIVE_FREEZE);
	assert_int_equal(e->within, 90 * 60);
	assert_int_equal(e->min, 2);
	assert_int_equal(e->nrequire, 1);
	assert_int_equal(e->require[0].min, 1);
	assert_int_equal(e->overdue, TK_OVERDUE_BLOCK);
	assert_int_equal(e->by_pos.line, 7);
	assert_int_equal(e->by_pos.col, 11);
	tk_policy_free(p);
}

static void
test_load_defaults(void **state)
{
	struct tk_policy *p = must_load(HDR "    emergency:\n"
	                                    "      by: [ops]\n"
	                                    "      waive: [signed-commits, "
	                                    "pusher-may-write, promote-from]\n"
	                                    "      ratify: {within: 2d}\n");
	const struct tk_emergency *e = p->rules[0]->emergency;

	(void)state;
	assert_null(e->reason);
	assert_int_equal(e->waive,
	    TK_WAIVE_SIGNED_COMMITS | TK_WAIVE_PUSHER_MAY_WRITE |
	        TK_WAIVE_PROMOTE_FROM);
	assert_int_equal(e->within, 2 * 86400);
	/* the rule's approvals */
	assert_int_equal(e->min, 1);
	assert_true(tk_roleset_has(&e->from, 1));
	assert_int_equal(e->overdue, TK_OVERDUE_WARN);
	assert_null(p->rules[1 - 1]->emergency->require);
	tk_policy_free(p);
}

static void
test_load_errors(void **state)
{
	(void)state;
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: [approvals, roles]\n"
	                 "      ratify: {within: 1h}\n",
	    "p.yaml:8:26: key 'rules[0].emergency.waive[1]': unknown check "
	    "'roles'");
	expect_error(HDR "    emergency:\n"
	                 "      by: [admin]\n"
	                 "      waive: [approvals]\n"
	                 "      ratify: {within: 1h}\n",
	    "p.yaml:7:12: key 'rules[0].emergency.by[0]': undefined role "
	    "'admin'");
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: [approvals]\n"
	                 "      ratify: {within: 24}\n",
	    "p.yaml:9:24: key 'rules[0].emergency.ratify.within': expected a "
	    "duration");
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: [approvals]\n"
	                 "      ratify: {within: 367d}\n",
	    "p.yaml:9:24: key 'rules[0].emergency.ratify.within': expected a "
	    "duration from 1m to 366d");
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: [approvals]\n"
	                 "      ratify: {within: 0m}\n",
	    "expected a duration");
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: [approvals]\n",
	    "p.yaml:7:7: key 'rules[0].emergency': missing 'ratify'");
	expect_error(HDR "    emergency:\n"
	                 "      waive: [approvals]\n"
	                 "      ratify: {within: 1h}\n",
	    "key 'rules[0].emergency': missing 'by'");
	expect_error(HDR "    emergency:\n"
	                 "      by: []\n"
	                 "      waive: [approvals]\n"
	                 "      ratify: {within: 1h}\n",
	    "p.yaml:7:11: key 'rules[0].emergency.by': lists no role");
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: []\n"
	                 "      ratify: {within: 1h}\n",
	    "p.yaml:8:14: key 'rules[0].emergency.waive': lists no check");
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: [approvals]\n"
	                 "      reason: '(unclosed'\n"
	                 "      ratify: {within: 1h}\n",
	    "p.yaml:9:15: key 'rules[0].emergency.reason':");
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: [approvals]\n"
	                 "      ratify: {within: 1h, overdue: never}\n",
	    "key 'rules[0].emergency.ratify.overdue': expected block or warn");
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: [approvals]\n"
	                 "      ratify: {within: 1h, min: 1}\n",
	    "key 'rules[0].emergency.ratify': give both min and from");
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: [approvals]\n"
	                 "      ratify: {within: 1h, min: 1, from: [rev], "
	                 "require: {dev: 1}}\n",
	    "role is not listed in ratify.from");
	expect_error(HDR "    emergency:\n"
	                 "      by: [ops]\n"
	                 "      waive: [approvals]\n"
	                 "      lifetime: 3\n"
	                 "      ratify: {within: 1h}\n",
	    "p.yaml:9:7: key 'rules[0].emergency.lifetime': unknown key");
	/* no approvals: on the rule to default to */
	expect_error("version: 1\n"
	             "roles: {ops: o}\n"
	             "rules:\n"
	             "  - refs: refs/heads/main\n"
	             "    emergency:\n"
	             "      by: [ops]\n"
	             "      waive: [freeze]\n"
	             "      ratify: {within: 1h}\n",
	    "p.yaml:8:15: key 'rules[0].emergency.ratify': give min and from");
}

static void
test_reason(void **state)
{
	char big[TK_EMERGENCY_MAX_REASON + 2];

	(void)state;
	assert_null(tk_emergency_reason_invalid("INC-1 db down"));
	assert_null(tk_emergency_reason_invalid("INC-1 Störung"));
	assert_non_null(tk_emergency_reason_invalid(""));
	assert_non_null(tk_emergency_reason_invalid(NULL));
	assert_non_null(tk_emergency_reason_invalid("a\tb"));
	assert_non_null(tk_emergency_reason_invalid("a\x7f"));
	assert_non_null(tk_emergency_reason_invalid("a\xc2\x85"));
	assert_non_null(tk_emergency_reason_invalid("a\xff"));
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\0';
	assert_null(tk_emergency_reason_invalid(big));
	big[sizeof(big) - 2] = 'a';
	big[sizeof(big) - 1] = '\0';
	assert_non_null(tk_emergency_reason_invalid(big));
}

static void
fill(struct tk_emergency_state *st)
{
	char *w1[] = {"olga", "alice"};
	char *e1[] = {"Olga@example.com", "a,l~ice@example.com"};
	char *k1[] = {"SHA256:abc/+="};
	char *as[] = {"login:olga", "email:olga@example.com", "key:SHA256:x,y"};
	struct tk_emergency_commit c[2] = {
	    {"1111111111111111111111111111111111111111", w1, 2, e1, 2, k1, 1},
	    {"2222222222222222222222222222222222222222", NULL, 0, NULL, 0, NULL,
	        0}};
	struct tk_emergency_entry e = {0, 1796000000, 1796086400, 0,
	    TK_WAIVE_APPROVALS, true, "/srv/a b.git", "refs/heads/main",
	    "0000000000000000000000000000000000000000",
	    "2222222222222222222222222222222222222222", "olga", "mainline",
	    "INC-1 100% down, ~now\n\"x\"", c, 2, NULL, as, 3};

	memset(st, 0, sizeof(*st));
	assert_int_equal(tk_emergency_state_add(st, &e), 0);
	e.ncommits = 0;
	e.ratified = 1796001000;
	e.ratifiers = "bob, carol";
	e.block = false;
	assert_int_equal(tk_emergency_state_add(st, &e), 0);
}

static void
test_state_roundtrip(void **state)
{
	struct tk_emergency_state st, back;
	struct tk_buf t = TK_BUF_INIT(1 << 20), t2 = TK_BUF_INIT(1 << 20);

	(void)state;
	fill(&st);
	assert_int_equal(tk_emergency_state_format(&t, &st), 0);
	assert_string_equal(t.ptr,
	    "twokey-emergencies 2 3\n"
	    "e 1 1796000000 1796086400 0 1 1 /srv/a%20b.git refs/heads/main "
	    "0000000000000000000000000000000000000000 "
	    "2222222222222222222222222222222222222222 olga mainline "
	    "INC-1%20100%25%20down%2C%20%7Enow%0A\"x\" ~ 2 "
	    "login:olga,email:olga@example.com,key:SHA256:x%2Cy\n"
	    "c 1111111111111111111111111111111111111111 olga,alice "
	    "Olga@example.com,a%2Cl%7Eice@example.com SHA256:abc/+=\n"
	    "c 2222222222222222222222222222222222222222 ~ ~ ~\n"
	    "e 2 1796000000 1796086400 1796001000 1 0 /srv/a%20b.git "
	    "refs/heads/main 0000000000000000000000000000000000000000 "
	    "2222222222222222222222222222222222222222 olga mainline "
	    "INC-1%20100%25%20down%2C%20%7Enow%0A\"x\" bob%2C%20carol 0 "
	    "login:olga,email:olga@example.com,key:SHA256:x%2Cy\n");
	assert_int_equal(tk_emergency_state_parse(&back, t.ptr, t.len), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.next, 3);
	assert_string_equal(
	    back.items[0].reason, "INC-1 100% down, ~now\n\"x\"");
	assert_string_equal(back.items[0].commits[0].writers[1], "alice");
	assert_int_equal(back.items[0].commits[0].nemails, 2);
	assert_string_equal(
	    back.items[0].commits[0].emails[1], "a,l~ice@example.com");
	assert_string_equal(back.items[0].commits[0].keys[0], "SHA256:abc/+=");
	assert_int_equal(back.items[1].npusher_as, 3);
	assert_string_equal(back.items[1].pusher_as[2], "key:SHA256:x,y");
	assert_true(back.items[0].block);
	assert_string_equal(back.items[1].ratifiers, "bob, carol");
	assert_int_equal(tk_emergency_state_format(&t2, &back), 0);
	assert_string_equal(t.ptr, t2.ptr);
	assert_true(tk_emergency_overdue(&back.items[0], 1796086401));
	assert_false(tk_emergency_overdue(&back.items[0], 1796086400));
	assert_false(tk_emergency_overdue(&back.items[1], 1796999999));
	tk_emergency_state_release(&back);
	tk_emergency_state_release(&st);
	tk_buf_release(&t);
	tk_buf_release(&t2);
}

/* Every damaged variant of a good state is refused. */
static void
test_state_corrupt(void **state)
{
	static const char *const bad[] = {
	    "twokey-emergencies 3 1\n",
	    "twokey-emergencies 0 1\n",
	    "twokey-emergencies 12 1\n",
	    "twokey-emergencies 1 0\n",
	    /* version 2 commit lines carry emails and keys; 1 only writers */
	    "twokey-emergencies 2 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "1 ~\nc 1111111111111111111111111111111111111111 olga\n",
	    "twokey-emergencies 2 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "1 ~\nc 1111111111111111111111111111111111111111 olga o@x\n",
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "1\nc 1111111111111111111111111111111111111111 olga ~ ~\n",
	    "twokey-emergencies 2 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "1 ~\nc 1111111111111111111111111111111111111111 olga o@x,, ~\n",
	    /* version 2 e lines end with the pusher-as list; 1 has none */
	    "twokey-emergencies 2 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "0\n",
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "0 ~\n",
	    "twokey-emergencies 2 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "0 login:p,\n",
	    "twokey-emergencies 1 3",
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "0",
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "1\n",
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "1\nc 12 ~\n",
	    "twokey-emergencies 1 2\ne 2 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "0\n",
	    "twokey-emergencies 1 2\ne 1 1 2 0 0 1 r refs/x o n p rule why ~ "
	    "0\n",
	    "twokey-emergencies 1 2\ne 1 1 2 0 32 1 r refs/x o n p rule why ~ "
	    "0\n",
	    "twokey-emergencies 1 2\ne 1 1 2 5 1 1 r refs/x o n p rule why ~ "
	    "0\n",
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule w%0 ~ "
	    "0\n",
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule w%00 ~ "
	    "0\n",
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule w,x ~ "
	    "0\n",
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "0 extra\n",
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule why  ~ "
	    "0\n",
	    "twokey-emergencies 1 3\ne 2 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "0\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ 0\n",
	    "twokey-emergencies 1 2\ne 01 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "0\n",
	    "twokey-emergencies 1 2\nx\n",
	    /* %41 is 'A': the formatter never escapes it */
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule w%41 ~ "
	    "0\n",
	};
	static const char good[] = "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r "
	                           "refs/x o n p rule why ~ 0\n";
	struct tk_emergency_state st;
	size_t i;

	(void)state;
	assert_int_equal(tk_emergency_state_parse(&st, good, strlen(good)), 0);
	tk_emergency_state_release(&st);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tk_emergency_state_parse(&st, bad[i], strlen(bad[i])) !=
		    TK_EINVAL)
			fail_msg("accepted: %s", bad[i]);
		tk_emergency_state_release(&st);
	}
}

/*
 * A state written by a twokey before emails and keys were kept (version 1)
 * is read, with none of them, and written back as version 2.
 */
static void
test_state_version1(void **state)
{
	static const char v1[] =
	    "twokey-emergencies 1 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "1\nc 1111111111111111111111111111111111111111 olga,alice\n";
	static const char v2[] =
	    "twokey-emergencies 2 2\ne 1 1 2 0 1 1 r refs/x o n p rule why ~ "
	    "1 ~\nc 1111111111111111111111111111111111111111 olga,alice ~ ~\n";
	struct tk_emergency_state st;
	struct tk_buf t = TK_BUF_INIT(1 << 20);

	(void)state;
	assert_int_equal(tk_emergency_state_parse(&st, v1, strlen(v1)), 0);
	assert_int_equal(st.items[0].commits[0].nwriters, 2);
	assert_int_equal(st.items[0].commits[0].nemails, 0);
	assert_int_equal(st.items[0].commits[0].nkeys, 0);
	assert_int_equal(tk_emergency_state_format(&t, &st), 0);
	assert_string_equal(t.ptr, v2);
	tk_emergency_state_release(&st);
	tk_buf_release(&t);
}

static void
test_file_store(void **state)
{
	char dir[] = "/tmp/tk-em-XXXXXX", yaml[8192], path[4200];
	struct tk_emergency_store *s = NULL;
	struct tk_emergency_state st, got;
	struct tk_policy *p;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(
	    yaml, sizeof(yaml), HDR "audit: {path: %s/audit.jsonl}\n", dir);
	p = must_load(yaml);
	assert_int_equal(tk_emergency_store_open(&s, p), 0);
	snprintf(path, sizeof(path), "%s/audit.jsonl.emergencies", dir);
	assert_string_equal(tk_emergency_store_where(s), path);
	memset(&got, 0, sizeof(got));
	assert_int_equal(tk_emergency_store_read(s, &got), 0);
	assert_int_equal(got.n, 0); /* missing: empty */
	fill(&st);
	assert_int_equal(tk_emergency_store_lock(s, &got), 0);
	assert_int_equal(tk_emergency_store_write(s, &st), 0);
	tk_emergency_store_unlock(s);
	tk_emergency_state_release(&got);
	assert_int_equal(tk_emergency_store_read(s, &got), 0);
	assert_int_equal(got.n, 2);
	tk_emergency_state_release(&got);
	/* corrupt: an error, not an empty state */
	assert_non_null(f = fopen(path, "w"));
	fputs("twokey-emergencies 1 2\ne 1 garbage\n", f);
	fclose(f);
	assert_int_equal(tk_emergency_store_read(s, &got), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "cannot be used: line 2"));
	tk_emergency_state_release(&got);
	tk_emergency_store_free(s);
	tk_emergency_state_release(&st);
	tk_policy_free(p);
	/* no audit log: nowhere to keep emergencies */
	p = must_load(HDR);
	assert_int_equal(tk_emergency_store_open(&s, p), TK_ENOTFOUND);
	assert_null(s);
	tk_policy_free(p);
	snprintf(yaml, sizeof(yaml), "rm -rf '%s'", dir);
	assert_int_equal(system(yaml), 0);
}

static void
test_waive_names(void **state)
{
	struct tk_buf b = TK_BUF_INIT(256);

	(void)state;
	assert_string_equal(tk_waive_name(TK_WAIVE_FREEZE), "freeze");
	assert_null(tk_waive_name(1u << 5));
	assert_int_equal(tk_waive_format(&b, TK_WAIVE_ALL, ","), 0);
	assert_string_equal(b.ptr,
	    "approvals,signed-commits,pusher-may-write,promote-from,freeze");
	tk_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_full),
	    cmocka_unit_test(test_load_defaults),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_reason),
	    cmocka_unit_test(test_state_roundtrip),
	    cmocka_unit_test(test_state_corrupt),
	    cmocka_unit_test(test_state_version1),
	    cmocka_unit_test(test_file_store),
	    cmocka_unit_test(test_waive_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
