/*
 * Unit tests for the audit reader API (include/twokey/audit.h): dates as
 * a person means them, decisions, repository and short ref names, the
 * parsed record (every field the report uses), the chain status the
 * reader keeps as it goes (verified up to which record, a break, the head
 * file, unreadable lines), and filter resolution against the log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "audit/store.h"
#include "internal.h"
#include "twokey/audit.h"
#include "twokey/check.h"
#include "twokey/digest.h"
#include "twokey/policy.h"

#define H40A "1111111111111111111111111111111111111111"
#define H40B "2222222222222222222222222222222222222222"
#define Z40 "0000000000000000000000000000000000000000"

static char dir[64];
static char logpath[128];

/* Appends a sealed record with this body (every field before prev). */
static void
append(const char *body)
{
	struct tk_audit_dest d = {logpath, NULL, false, NULL, NULL};
	struct tk_buf b = TK_BUF_INIT(1 << 20);

	assert_int_equal(tk_buf_puts(&b, body), 0);
	assert_int_equal(tk_audit_append(&d, &b, NULL), 0);
	tk_buf_release(&b);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tk-reader-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(logpath, sizeof(logpath), "%s/audit.jsonl", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A record of a push at time t to ref, by login, decided decision. */
static void
push_record(const char *t, const char *repo, const char *ref, const char *login,
    const char *decision, const char *commits)
{
	char body[4096];

	snprintf(body, sizeof(body),
	    "{\"v\":1,\"time\":\"%s\",\"twokey\":\"0.1.0\",\"hook\":"
	    "\"pre-receive\",\"repo\":\"%s\",\"pusher\":{\"login\":\"%s\","
	    "\"identity\":\"%s\",\"from\":\"GL_USER\"},\"client\":null,"
	    "\"protocol\":{},\"push_options\":[\"ci.skip\"],\"decision\":"
	    "\"%s\",\"error\":null,\"refs\":[{\"ref\":\"%s\",\"old\":\"" Z40
	    "\",\"new\":\"" H40A "\",\"kind\":\"create\",\"rule\":\"main\","
	    "\"mode\":\"warn\",\"decision\":\"%s\",\"warned\":true,"
	    "\"entering\":2,\"commits\":[%s]}],\"findings\":[],\"policy\":"
	    "\"abcd\",\"emergency\":{\"reason\":\"INC-1 fire\",\"waived\":["
	    "\"approvals\"],\"ratify_by\":\"2026-11-03T00:00:00Z\"}",
	    t, repo, login, login, decision, ref, decision, commits);
	append(body);
}

static const char merge_commits[] =
    "{\"id\":\"" H40A "\",\"subject\":\"Merge x\",\"author\":"
    "\"rita@example.com\",\"writers\":[\"alice\"],\"approvers\":[{"
    "\"identity\":\"bob\",\"roles\":[\"reviewer\",\"security\"],\"via\":"
    "\"trailer\"}],\"refused\":null,\"merge\":{\"kind\":\"clean\","
    "\"brings\":1,\"merged_by\":[\"rita\"]}},"
    "{\"id\":\"" H40B "\",\"subject\":\"f\",\"author\":"
    "\"alice@example.com\",\"writers\":[\"alice\"],\"covered_by\":\"" H40A
    "\",\"approvers\":[{\"identity\":\"bob\",\"roles\":[\"reviewer\"],"
    "\"via\":\"covered by merge " H40A "\"}]}";

static struct tk_audit_reader *
open_log(void)
{
	struct tk_audit_reader *r = NULL;
	const char *files[1] = {logpath};

	assert_int_equal(tk_audit_reader_open_files(&r, files, 1, NULL), 0);
	return r;
}

static void
test_reader__dates(void **state)
{
	static const struct {
		const char *s;
		bool end;
		int64_t want; /* -1: error */
	} cases[] = {
	    {"2026", false, 1767225600},
	    {"2026", true, 1798761599},
	    {"2026-11", false, 1793491200},
	    {"2026-11", true, 1796083199}, /* all of November */
	    {"2024-02", true, 1709251199}, /* leap February */
	    {"2026-02-28", true, 1772323199},
	    {"2026-11-30", false, 1795996800},
	    {"2026-11-30T23", true, 1796083199},
	    {"2026-11-30T23:30", false, 1796081400},
	    {"2026-11-30T23:30:00Z", false, 1796081400},
	    {"2026-11-30T23:30:00z", true, 1796081400},
	    {"2026-11-30T23:30:00+01:00", false, 1796077800},
	    {"2026-11-30T23:30:00-00:30", false, 1796083200},
	    {"2026-11-30T23:30:00.25Z", false, 1796081401},
	    {"2026-11-30T23:30:00.25Z", true, 1796081400},
	    {"garbage", false, -1},
	    {"", false, -1},
	    {"2026-13", false, -1},
	    {"2026-00", false, -1},
	    {"2026-02-29", false, -1},
	    {"2026-04-31", true, -1},
	    {"2026-11-01T24", false, -1},
	    {"2026-11-01T23:60", false, -1},
	    {"1969", false, -1},
	    {"2026-1", false, -1},
	    {"2026-11-01T10:00:00", false, -1},
	    {"2026-11-01T10:00:00+1:00", false, -1},
	    {"2026-11-01 10:00:00Z", false, -1},
	    {"2026-11-01Tx", false, -1},
	    {"20261101", false, -1},
	    {"2026-11-01T10:00:00.Z", false, -1},
	};
	size_t i;
	int64_t t;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = tk_audit_parse_date(&t, cases[i].s, cases[i].end);

		if (cases[i].want == -1) {
			assert_int_equal(rc, TK_EINVAL);
			assert_non_null(
			    strstr(tk_error_last(), "is not a date"));
		} else {
			if (rc != 0 || t != cases[i].want)
				fail_msg("%s (end %d): %lld", cases[i].s,
				    cases[i].end, (long long)t);
		}
	}
}

static void
test_reader__filter_dates_and_decision(void **state)
{
	struct tk_audit_filter f = TK_AUDIT_FILTER_INIT;
	enum tk_audit_decision_filter d;

	(void)state;
	assert_int_equal(tk_audit_filter_dates(&f, "2026-11", "2026-11"), 0);
	assert_int_equal(f.since, 1793491200);
	assert_int_equal(f.until, 1796083199);
	assert_int_equal(
	    tk_audit_filter_dates(&f, "2026-12", "2026-11"), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "ends before"));
	assert_int_equal(tk_audit_filter_dates(&f, NULL, "2026-13"), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "'2026-13'"));
	assert_int_equal(tk_audit_parse_decision(&d, "accepted"), 0);
	assert_int_equal(d, TK_AUDIT_ACCEPTED);
	assert_int_equal(tk_audit_parse_decision(&d, "refused"), 0);
	assert_int_equal(d, TK_AUDIT_REFUSED);
	assert_int_equal(tk_audit_parse_decision(&d, "accept"), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "'accept'"));
}

static void
test_reader__repo_matches(void **state)
{
	(void)state;
	assert_true(
	    tk_audit_repo_matches("/srv/git/app.git/", "/srv/git/app.git"));
	assert_true(
	    tk_audit_repo_matches("/srv/git/app.git", "/srv/git/app.git//"));
	assert_true(tk_audit_repo_matches("/srv/git/app.git/", "app.git"));
	assert_true(tk_audit_repo_matches("/srv/git/app.git/", "app"));
	assert_true(tk_audit_repo_matches("/srv/git/app/", "app"));
	assert_false(tk_audit_repo_matches("/srv/git/app.git/", "ap"));
	assert_false(tk_audit_repo_matches("/srv/git/app.git/", "pp.git"));
	assert_false(
	    tk_audit_repo_matches("/srv/git/app.git/", "/srv/app.git"));
	assert_false(tk_audit_repo_matches("/srv/git/myapp.git/", "app"));
	assert_false(tk_audit_repo_matches(NULL, "app"));
}

static void
test_reader__fields(void **state)
{
	const struct tk_audit_record *rec;
	struct tk_audit_reader *r;
	const struct tk_audit_commit *c;

	(void)state;
	push_record("2026-11-02T10:00:00Z", "/srv/app.git/", "refs/heads/main",
	    "dave", "accepted", merge_commits);
	r = open_log();
	assert_int_equal(tk_audit_next(r, &rec), 1);
	assert_string_equal(rec->time, "2026-11-02T10:00:00Z");
	assert_int_equal(rec->when, 1793613600);
	assert_string_equal(rec->repo, "/srv/app.git/");
	assert_string_equal(rec->pusher_login, "dave");
	assert_string_equal(rec->pusher_from, "GL_USER");
	assert_null(rec->client);
	assert_int_equal(rec->npush_options, 1);
	assert_string_equal(rec->push_options[0], "ci.skip");
	assert_string_equal(rec->policy, "abcd");
	assert_true(rec->verified);
	assert_int_equal(rec->line, 1);
	assert_true(rec->emergency.present);
	assert_string_equal(rec->emergency.reason, "INC-1 fire");
	assert_int_equal(rec->emergency.nwaived, 1);
	assert_int_equal(rec->emergency.ratify_by_t, 1793664000);
	assert_int_equal(rec->nrefs, 1);
	assert_string_equal(rec->refs[0].mode, "warn");
	assert_true(rec->refs[0].warned);
	assert_int_equal(rec->refs[0].entering, 2);
	assert_string_equal(rec->refs[0].new_, H40A);
	assert_int_equal(rec->refs[0].ncommits, 2);
	c = &rec->refs[0].commits[0];
	assert_true(c->chain);
	assert_string_equal(c->merge, "clean");
	assert_int_equal(c->brings, 1);
	assert_string_equal(c->merged_by[0], "rita");
	assert_string_equal(c->approvers[0].via, "trailer");
	assert_int_equal(c->approvers[0].nroles, 2);
	assert_string_equal(c->approvers[0].roles[1], "security");
	c = &rec->refs[0].commits[1];
	assert_false(c->chain);
	assert_string_equal(c->covered_by, H40A);
	assert_string_equal(c->approvers[0].via, "covered by merge " H40A);
	assert_int_equal(tk_audit_next(r, &rec), 0);
	assert_false(tk_audit_reader_chain(r)->broken);
	assert_int_equal(tk_audit_reader_chain(r)->verified, 1);
	tk_audit_reader_free(r);
}

/* Wrong types read as absent; junk lines are counted, not fatal. */
static void
test_reader__hostile(void **state)
{
	const struct tk_audit_record *rec;
	struct tk_audit_reader *r;
	FILE *f;

	(void)state;
	append("{\"time\":7,\"repo\":[1],\"pusher\":\"x\",\"refs\":{},"
	       "\"findings\":[1,{\"ref\":2}],\"emergency\":[],\"policy\":null");
	f = fopen(logpath, "a");
	fputs("not json\n", f);
	fclose(f);
	r = open_log();
	assert_int_equal(tk_audit_next(r, &rec), 1);
	assert_null(rec->time);
	assert_int_equal(rec->when, 0);
	assert_null(rec->repo);
	assert_null(rec->pusher_login);
	assert_int_equal(rec->nrefs, 0);
	assert_int_equal(rec->nfindings, 2);
	assert_null(rec->findings[1].ref);
	assert_false(rec->emergency.present);
	assert_null(rec->policy);
	assert_int_equal(tk_audit_next(r, &rec), 0);
	assert_int_equal(tk_audit_reader_chain(r)->unreadable, 1);
	assert_true(tk_audit_reader_chain(r)->broken);
	assert_int_equal(tk_audit_reader_chain(r)->bad_line, 2);
	assert_int_equal(tk_audit_reader_chain(r)->verified, 1);
	tk_audit_reader_free(r);
}

static void
edit_line(int n, const char *from, const char *to)
{
	char cmd[512];

	snprintf(
	    cmd, sizeof(cmd), "sed -i '%ds/%s/%s/' '%s'", n, from, to, logpath);
	assert_int_equal(system(cmd), 0);
}

/* A break is found at its line; later records read on, unverified. */
static void
test_reader__chain_break(void **state)
{
	const struct tk_audit_record *rec;
	struct tk_audit_reader *r;
	const struct tk_audit_chain *c;
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		push_record("2026-11-02T10:00:00Z", "/srv/app.git/",
		    "refs/heads/main", i == 2 ? "eve" : "dave", "accepted", "");
	edit_line(3, "eve", "bob");
	r = open_log();
	for (i = 0; tk_audit_next(r, &rec) == 1; i++)
		assert_int_equal(rec->verified, i < 2);
	c = tk_audit_reader_chain(r);
	assert_int_equal(i, 4);
	assert_true(c->broken);
	assert_int_equal(c->bad_line, 3);
	assert_int_equal(c->verified, 2);
	assert_int_equal(c->records, 4);
	assert_non_null(strstr(c->problem, "edited"));
	tk_audit_reader_free(r);
}

/* Records removed from the end: the head file names a later one. */
static void
test_reader__head(void **state)
{
	const struct tk_audit_record *rec;
	struct tk_audit_reader *r;
	char cmd[512];

	(void)state;
	push_record("2026-11-02T10:00:00Z", "/a/", "refs/heads/main", "d",
	    "accepted", "");
	push_record("2026-11-02T10:00:00Z", "/a/", "refs/heads/main", "d",
	    "accepted", "");
	snprintf(cmd, sizeof(cmd), "sed -i '2d' '%s'", logpath);
	assert_int_equal(system(cmd), 0);
	r = open_log();
	while (tk_audit_next(r, &rec) == 1)
		;
	assert_true(tk_audit_reader_chain(r)->broken);
	assert_int_equal(tk_audit_reader_chain(r)->bad_line, 2);
	assert_non_null(
	    strstr(tk_audit_reader_chain(r)->problem, "removed from the end"));
	tk_audit_reader_free(r);
}

/*
 * A head file a crash left behind names an earlier record: the chain is
 * intact, and the lag is reported (the writer accepts it too).
 */
static void
test_reader__head_behind(void **state)
{
	const struct tk_audit_record *rec;
	struct tk_audit_reader *r;
	char cmd[600];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		push_record("2026-11-02T10:00:00Z", "/a/", "refs/heads/main",
		    "d", "accepted", "");
	/* the hash of the second record, the last field of its line */
	snprintf(cmd, sizeof(cmd),
	    "sed -n 2p '%s' | sed 's/.*\"hash\":\"\\([0-9a-f]*\\)\".*/\\1/' "
	    "> '%s.head'",
	    logpath, logpath);
	assert_int_equal(system(cmd), 0);
	r = open_log();
	while (tk_audit_next(r, &rec) == 1)
		;
	assert_false(tk_audit_reader_chain(r)->broken);
	assert_int_equal(tk_audit_reader_chain(r)->verified, 4);
	assert_int_equal(tk_audit_reader_chain(r)->head_behind, 2);
	tk_audit_reader_free(r);
}

static int
resolve(struct tk_audit_filter *f)
{
	struct tk_audit_reader *r = open_log();
	int rc = tk_audit_filter_resolve(f, r);

	tk_audit_reader_free(r);
	return rc;
}

static void
test_reader__resolve(void **state)
{
	struct tk_audit_filter f = TK_AUDIT_FILTER_INIT;

	(void)state;
	push_record("2026-11-02T10:00:00Z", "/srv/app.git/", "refs/heads/main",
	    "dave", "accepted", "");
	push_record("2026-11-02T10:00:00Z", "/srv/app.git/", "refs/heads/v1",
	    "dave", "accepted", "");
	push_record("2026-11-02T10:00:00Z", "/srv/app.git/", "refs/tags/v1",
	    "dave", "accepted", "");
	push_record("2026-11-02T10:00:00Z", "/srv/lib.git/", "refs/tags/v2",
	    "erin", "accepted", "");
	f.ref = "main";
	assert_int_equal(resolve(&f), 0);
	assert_string_equal(f.ref_full, "refs/heads/main");
	f.ref = "heads/main";
	assert_int_equal(resolve(&f), 0);
	assert_string_equal(f.ref_full, "refs/heads/main");
	f.ref = "v2";
	assert_int_equal(resolve(&f), 0);
	assert_string_equal(f.ref_full, "refs/tags/v2");
	f.ref = "v1";
	assert_int_equal(resolve(&f), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "ambiguous"));
	f.ref = "tags/v1";
	assert_int_equal(resolve(&f), 0);
	assert_string_equal(f.ref_full, "refs/tags/v1");
	f.ref = "refs/heads/v1";
	assert_int_equal(resolve(&f), 0);
	f.ref = "mian";
	assert_int_equal(resolve(&f), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "'mian'"));
	f.ref = "v2";
	f.repo = "app";
	assert_int_equal(resolve(&f), TK_EINVAL); /* v2 is lib's only */
	f.ref = NULL;
	f.repo = "nosuch";
	assert_int_equal(resolve(&f), TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "'nosuch'"));
	f.repo = NULL;
	f.pusher = "mallory";
	assert_int_equal(resolve(&f), TK_EINVAL);
	f.pusher = "erin";
	assert_int_equal(resolve(&f), 0);
	tk_audit_filter_release(&f);
}

static void
test_reader__filter_match(void **state)
{
	struct tk_audit_filter f = TK_AUDIT_FILTER_INIT;
	const struct tk_audit_record *rec;
	struct tk_audit_reader *r;
	int n[4] = {0, 0, 0, 0};

	(void)state;
	push_record("2026-10-31T23:59:59Z", "/a/", "refs/heads/main", "d",
	    "accepted", "");
	push_record("2026-11-01T00:00:00Z", "/a/", "refs/heads/main", "d",
	    "refused", "");
	push_record("2026-11-30T23:59:59Z", "/b/", "refs/heads/main", "e",
	    "accepted", "");
	push_record(
	    "2026-12-01T00:00:00Z", "/a/", "refs/heads/x", "d", "accepted", "");
	assert_int_equal(tk_audit_filter_dates(&f, "2026-11", "2026-11"), 0);
	r = open_log();
	while (tk_audit_next(r, &rec) == 1) {
		struct tk_audit_filter g = f;

		n[0] += tk_audit_filter_record(&f, rec);
		g.decision = TK_AUDIT_ACCEPTED;
		n[1] += tk_audit_filter_record(&g, rec) &&
		    tk_audit_filter_ref(&g, rec, &rec->refs[0]);
		g.decision = TK_AUDIT_REFUSED;
		n[2] += tk_audit_filter_record(&g, rec) &&
		    tk_audit_filter_ref(&g, rec, &rec->refs[0]);
		g = f;
		g.repo = "b";
		g.pusher = "e";
		n[3] += tk_audit_filter_record(&g, rec);
	}
	assert_int_equal(n[0], 2);
	assert_int_equal(n[1], 1);
	assert_int_equal(n[2], 1);
	assert_int_equal(n[3], 1);
	tk_audit_reader_free(r);
}

/*
 * A push refused for an unloadable policy goes to the log of the last
 * policy that loaded in the repository, named by its state file.
 */
static void
test_reader__unloadable(void **state)
{
	const struct tk_audit_record *rec;
	struct tk_audit_reader *r;
	struct tk_policy *p = NULL;
	struct tk_updates u;
	char yaml[512], statep[160], polp[160], buf[512], *errors = NULL;
	const char *in = "0000000000000000000000000000000000000000 " H40A
	                 " refs/heads/main\n";
	FILE *f;
	size_t n;

	(void)state;
	snprintf(
	    yaml, sizeof(yaml), "version: 1\naudit: {path: %s}\n", logpath);
	snprintf(polp, sizeof(polp), "%s/policy.yaml", dir);
	f = fopen(polp, "w");
	fputs(yaml, f);
	fclose(f);
	assert_int_equal(tk_policy_load(&p, &errors, polp), 0);
	assert_int_equal(strlen(p->sha256), 64);
	assert_int_equal(tk_audit_remember(p, dir), 0);
	snprintf(statep, sizeof(statep), "%s/twokey-audit-state", dir);
	f = fopen(statep, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\npath "));
	assert_non_null(strstr(buf, logpath));
	assert_int_equal(tk_audit_remember(p, dir), 0); /* unchanged */
	/* the policy breaks */
	f = fopen(polp, "a");
	fputs("rules: [\n", f);
	fclose(f);
	memset(&u, 0, sizeof(u));
	assert_int_equal(tk_updates_parse(&u, in, strlen(in)), 0);
	assert_int_equal(
	    tk_audit_record_unloadable(dir, &u, polp, "policy.yaml:3:1: broken",
	        1793613600, "pre-receive"),
	    0);
	r = open_log();
	assert_int_equal(tk_audit_next(r, &rec), 1);
	assert_string_equal(rec->decision, "refused");
	assert_string_equal(
	    rec->error, "the policy cannot be used: policy.yaml:3:1: broken");
	assert_int_equal(strlen(rec->policy), 64);
	assert_string_not_equal(rec->policy, p->sha256);
	assert_string_equal(rec->refs[0].ref, "refs/heads/main");
	assert_string_equal(rec->refs[0].decision, "refused");
	assert_null(rec->pusher_login);
	assert_int_equal(tk_audit_next(r, &rec), 0);
	assert_false(tk_audit_reader_chain(r)->broken);
	tk_audit_reader_free(r);
	tk_updates_release(&u);
	tk_policy_free(p);
	free(errors);
}

static void
test_reader__time_str(void **state)
{
	char b[32];

	(void)state;
	tk_audit_time_str(b, sizeof(b), 1796083199);
	assert_string_equal(b, "2026-11-30T23:59:59Z");
}

/* The whole of a file, NUL-terminated (the caller frees). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	assert_non_null(p = malloc((size_t)n + 1));
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

/*
 * A large record is spooled to a temporary file and hashed in pieces
 * (lib/audit/write.c, file.c): the log must hold the very bytes, hash
 * and HMAC that the record written in one piece gets, keys short and
 * longer than SHA-256's block.
 */
static void
test_reader__spooled_same_bytes(void **state)
{
	static const size_t keylens[] = {0, 16, 64, 100};
	char plain[160], spooled[160], keyf[160], hash[65], hmac[65];
	unsigned char key[100], want[32];
	size_t k, rec, cut, la, lb, i;
	struct tk_buf whole = TK_BUF_INIT(8 << 20);
	char *a, *b;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i * 37 + 11);
	/* a body of 2.5 MB, split where a record would be spooled */
	assert_int_equal(tk_buf_puts(&whole, "{\"v\":1,\"x\":\""), 0);
	for (i = 0; i < 2500000; i++)
		assert_int_equal(tk_buf_putc(&whole, 'a' + (int)(i % 26)), 0);
	assert_int_equal(tk_buf_puts(&whole, "\""), 0);
	/* tk_audit_digest in pieces is the one-shot SHA-256 and HMAC */
	assert_int_equal(
	    tk_audit_digest(whole.ptr, whole.len - 1, key, 100, hash, hmac), 0);
	{
		char hex[65];

		/* the canonical bytes: the body, then '}' */
		whole.ptr[whole.len - 1] = '}';
		assert_int_equal(
		    tk_hmac_sha256(want, key, 100, whole.ptr, whole.len), 0);
		tk_hex(hex, want, sizeof(want));
		assert_string_equal(hmac, hex);
		assert_int_equal(tk_sha256(want, whole.ptr, whole.len), 0);
		tk_hex(hex, want, sizeof(want));
		assert_string_equal(hash, hex);
		whole.ptr[whole.len - 1] = '"';
	}
	for (k = 0; k < sizeof(keylens) / sizeof(keylens[0]); k++) {
		struct tk_audit_dest d = {plain, NULL, false, NULL, NULL};

		snprintf(plain, sizeof(plain), "%s/plain%zu.jsonl", dir, k);
		snprintf(spooled, sizeof(spooled), "%s/spool%zu.jsonl", dir, k);
		if (keylens[k] > 0) {
			snprintf(keyf, sizeof(keyf), "%s/key%zu", dir, k);
			assert_true(
			    (fd = open(keyf, O_WRONLY | O_CREAT, 0600)) >= 0);
			assert_int_equal(
			    write(fd, key, keylens[k]), (ssize_t)keylens[k]);
			close(fd);
			d.key_file = keyf;
		}
		/* two records each: the second links to the first */
		for (rec = 0; rec < 2; rec++) {
			struct tk_buf one = TK_BUF_INIT(8 << 20);
			struct tk_buf head = TK_BUF_INIT(8 << 20);
			struct tk_buf rest = TK_BUF_INIT(8 << 20);
			struct tk_audit_spool sp = TK_AUDIT_SPOOL_INIT;

			cut = rec == 0 ? 1500000 : 3;
			assert_int_equal(
			    tk_buf_put(&one, whole.ptr, whole.len), 0);
			assert_int_equal(tk_buf_put(&head, whole.ptr, cut), 0);
			assert_int_equal(
			    tk_buf_put(&rest, whole.ptr + cut, whole.len - cut),
			    0);
			d.path = plain;
			assert_int_equal(tk_audit_append(&d, &one, NULL), 0);
			assert_int_equal(tk_audit_spool_put(&sp, &head), 0);
			assert_int_equal(sp.len, cut);
			assert_int_equal(head.len, 0);
			d.path = spooled;
			assert_int_equal(
			    tk_audit_append_spooled(&d, &sp, &rest, NULL), 0);
			tk_audit_spool_close(&sp);
			tk_buf_release(&one);
			tk_buf_release(&head);
			tk_buf_release(&rest);
		}
		a = slurp(plain, &la);
		b = slurp(spooled, &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		assert_non_null(strstr(
		    a, keylens[k] > 0 ? ",\"hmac\":\"" : ",\"hash\":\""));
		free(a);
		free(b);
	}
	tk_buf_release(&whole);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reader__dates),
	    cmocka_unit_test(test_reader__filter_dates_and_decision),
	    cmocka_unit_test(test_reader__repo_matches),
	    cmocka_unit_test(test_reader__time_str),
	    cmocka_unit_test_setup_teardown(
	        test_reader__fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reader__hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reader__chain_break, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader__head, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reader__head_behind, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reader__resolve, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reader__filter_match, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reader__unloadable, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reader__spooled_same_bytes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
