/*
 * Unit tests for freezes (lib/freeze): names, reasons and times as hostile
 * input, the freeze file format (strict parse, round trip), the file store
 * (missing file, start, stop, expiry pruning, refusals) and planned
 * freezes in the policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "twokey/freeze.h"
#include "twokey/policy.h"

#define T2026 INT64_C(1767225600) /* 2026-01-01T00:00:00Z */

static void
test_freeze__names_and_reasons(void **state)
{
	(void)state;
	assert_true(tk_freeze_name_ok("year-end_2026.1", 15));
	assert_false(tk_freeze_name_ok("", 0));
	assert_false(tk_freeze_name_ok("a b", 3));
	assert_false(tk_freeze_name_ok("../x", 4));
	assert_false(tk_freeze_name_ok("a\tb", 3));
	assert_true(tk_freeze_reason_ok("INC-1 db \xc3\xa4 outage", 17));
	assert_false(tk_freeze_reason_ok("", 0));
	assert_false(tk_freeze_reason_ok("a\nb", 3));
	assert_false(tk_freeze_reason_ok("a\033[2J", 5));
	assert_false(tk_freeze_reason_ok("a\x7f", 2));
	assert_false(tk_freeze_reason_ok("a\xc2\x9b", 3)); /* C1 CSI */
	assert_false(tk_freeze_reason_ok("a\xff", 2)); /* not UTF-8 */
	assert_false(tk_freeze_reason_ok("a\xc0\xaf", 3)); /* overlong */
}

static void
test_freeze__times(void **state)
{
	char out[21];
	int64_t t;

	(void)state;
	assert_int_equal(
	    tk_freeze_time_parse(&t, "2026-01-01T00:00:00Z", 20), 0);
	assert_int_equal(t, T2026);
	assert_int_equal(
	    tk_freeze_time_parse(&t, "2028-02-29T23:59:59Z", 20), 0);
	tk_freeze_time_format(out, t);
	assert_string_equal(out, "2028-02-29T23:59:59Z");
	assert_int_equal(
	    tk_freeze_time_parse(&t, "2026-02-29T00:00:00Z", 20), TK_EINVAL);
	assert_int_equal(
	    tk_freeze_time_parse(&t, "2026-02-31T00:00:00Z", 20), TK_EINVAL);
	assert_int_equal(
	    tk_freeze_time_parse(&t, "2026-01-01T24:00:00Z", 20), TK_EINVAL);
	assert_int_equal(
	    tk_freeze_time_parse(&t, "2026-01-01 00:00:00Z", 20), TK_EINVAL);
	assert_int_equal(
	    tk_freeze_time_parse(&t, "2026-01-01T00:00:00+", 20), TK_EINVAL);
	assert_int_equal(tk_freeze_time_parse(&t, "2026-01-01", 10), TK_EINVAL);
	assert_int_equal(
	    tk_freeze_time_parse(&t, "1969-12-31T23:59:59Z", 20), TK_EINVAL);
	assert_int_equal(
	    tk_freeze_time_parse(&t, "2026-0a-01T00:00:00Z", 20), TK_EINVAL);
}

static void
test_freeze__parse_format(void **state)
{
	static const char good[] =
	    "twokey-freeze 1\n"
	    "a\t2026-01-01T00:00:00Z\t-\troot\trefs/heads/main\tINC-1 x\n"
	    "b\t2026-01-01T00:00:00Z\t2026-01-02T00:00:00Z\tuid:7\t"
	    "refs/heads/(main|release/.+)\tcut \xc3\xa4\n";
	struct tk_freeze_list l;
	struct tk_buf b = TK_BUF_INIT(TK_FREEZE_FILE_MAX);

	(void)state;
	assert_int_equal(tk_freeze_parse(&l, good, strlen(good)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].name, "a");
	assert_true(l.items[0].until == TK_FREEZE_OPEN);
	assert_true(l.items[0].adhoc);
	assert_int_equal(l.items[1].until, T2026 + 86400);
	assert_true(tk_freeze_active(&l.items[1], T2026));
	assert_false(tk_freeze_active(&l.items[1], T2026 + 86400));
	assert_false(tk_freeze_active(&l.items[1], T2026 - 1));
	assert_int_equal(tk_freeze_format(&b, &l), 0);
	assert_string_equal(b.ptr, good);
	tk_buf_release(&b);
	tk_freeze_list_release(&l);
}

static void
bad(const char *text, const char *why)
{
	struct tk_freeze_list l;

	assert_true(tk_freeze_parse(&l, text, strlen(text)) < 0);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	if (strstr(tk_error_last(), why) == NULL)
		fail_msg("'%s' does not say '%s'", tk_error_last(), why);
}

static void
test_freeze__parse_strict(void **state)
{
	struct tk_freeze_list l;

	(void)state;
	assert_int_equal(tk_freeze_parse(&l, "twokey-freeze 1\n", 16), 0);
	assert_int_equal(l.n, 0);
	bad("", "line 1");
	bad("twokey-freeze 2\n", "line 1");
	bad("twokey-freeze 1", "line 1");
	bad("twokey-freeze 1\n\n", "line 2: expected 6 fields");
	bad("twokey-freeze 1\na\t2026-01-01T00:00:00Z\t-\tr\trefs/x\tr",
	    "line 2: cut short");
	bad("twokey-freeze 1\na\t2026-01-01T00:00:00Z\t-\tr\trefs/x\tr\n"
	    "a\t2026-01-01T00:00:00Z\t-\tr\trefs/y\tr\n",
	    "line 3: a second freeze named 'a'");
	bad("twokey-freeze 1\na b\t2026-01-01T00:00:00Z\t-\tr\trefs/x\tr\n",
	    "line 2: the name");
	bad("twokey-freeze 1\na\t2026-01-01T00:00:00Z\t-\tr r\trefs/x\tr\n",
	    "line 2: invalid user name");
	bad("twokey-freeze 1\na\t2026-01-01T00:00:00Z\tsoon\tr\trefs/x\tr\n",
	    "line 2: expected a UTC time");
	bad("twokey-freeze 1\na\t2026-01-01T00:00:00Z\t-\tr\t(\tr\n",
	    "line 2: refs pattern");
	bad("twokey-freeze 1\na\t2026-01-01T00:00:00Z\t-\tr\trefs/x\tr\r\n",
	    "line 2: the reason");
	assert_int_equal(
	    tk_freeze_parse(&l, "twokey-freeze 1\n\0\n", 18), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "NUL"));
}

static void
write_policy(const char *path, const char *ff)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f,
	    "version: 1\nroles: {dev: d}\nidentities: {}\nrules: []\n"
	    "freeze-file: %s\nfreezes:\n"
	    "  - {name: planned, refs: refs/heads/main, from: 2026-01-01,"
	    " until: 2099-01-01, reason: p}\n",
	    ff);
	fclose(f);
}

static void
test_freeze__file_store(void **state)
{
	char dir[] = "/tmp/tk-freeze-XXXXXX", ff[128], pol[128];
	struct tk_freeze_store *s = NULL;
	struct tk_freeze_state st;
	struct tk_policy *p = NULL;
	struct tk_freeze_list l;
	struct tk_freeze f;
	char *errors = NULL, *stopped = NULL;
	int64_t now = T2026 + 1000;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(ff, sizeof(ff), "%s/freeze", dir);
	snprintf(pol, sizeof(pol), "%s/policy.yaml", dir);
	write_policy(pol, ff);
	assert_int_equal(tk_policy_load(&p, &errors, pol), 0);
	assert_int_equal(p->nfreezes, 1);
	assert_string_equal(p->freeze_file, ff);
	/* a missing file: no ad hoc freeze */
	assert_int_equal(tk_freeze_state_load(&st, p), 0);
	assert_int_equal(st.status, 0);
	assert_int_equal(st.list.n, 0);
	tk_freeze_state_release(&st);
	assert_int_equal(tk_freeze_store_open(&s, p), 0);
	assert_int_equal(tk_freeze_new(&f, "planned", "refs/heads/x", "r", "me",
	                     now, TK_FREEZE_OPEN),
	    0);
	assert_int_equal(tk_freeze_store_start(s, p, &f, now), TK_EINVAL);
	tk_freeze_release(&f);
	assert_int_equal(tk_freeze_new(&f, "short", "refs/heads/x", "r", "me",
	                     now, now + 10),
	    0);
	assert_int_equal(tk_freeze_store_start(s, p, &f, now), 0);
	assert_int_equal(tk_freeze_store_start(s, p, &f, now), TK_EINVAL);
	tk_freeze_release(&f);
	assert_int_equal(tk_freeze_new(&f, "open", "refs/heads/.*", "r", NULL,
	                     now, TK_FREEZE_OPEN),
	    0);
	assert_int_equal(tk_freeze_store_start(s, p, &f, now), 0);
	tk_freeze_release(&f);
	assert_int_equal(tk_freeze_store_load(s, &l), 0);
	assert_int_equal(l.n, 2);
	tk_freeze_list_release(&l);
	/* two in force: stop needs a name */
	assert_int_equal(
	    tk_freeze_store_stop(s, NULL, now, &stopped), TK_EINVAL);
	assert_null(stopped);
	/* once "short" ended, "open" is the only one, and short is pruned */
	assert_int_equal(
	    tk_freeze_store_stop(s, "short", now + 10, &stopped), TK_ENOTFOUND);
	assert_int_equal(tk_freeze_store_stop(s, NULL, now + 10, &stopped), 0);
	assert_string_equal(stopped, "open");
	free(stopped);
	assert_int_equal(tk_freeze_store_load(s, &l), 0);
	assert_int_equal(l.n, 0);
	tk_freeze_list_release(&l);
	/* a corrupt file: the state carries the error, the hook refuses */
	{
		FILE *c = fopen(ff, "w");

		assert_non_null(c);
		fputs("junk\n", c);
		fclose(c);
	}
	assert_int_equal(tk_freeze_state_load(&st, p), 0);
	assert_true(st.status < 0);
	tk_freeze_state_release(&st);
	tk_freeze_store_free(s);
	tk_policy_free(p);
	free(errors);
	unlink(ff);
	snprintf(ff, sizeof(ff), "%s/freeze.lock", dir);
	unlink(ff);
	unlink(pol);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_freeze__names_and_reasons),
	    cmocka_unit_test(test_freeze__times),
	    cmocka_unit_test(test_freeze__parse_format),
	    cmocka_unit_test(test_freeze__parse_strict),
	    cmocka_unit_test(test_freeze__file_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
