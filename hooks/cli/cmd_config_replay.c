/*
 * twokey config replay --policy NEW [--since DATE] [--repo PATH]
 *                      [AUDITLOG...]
 * Re-decides recorded pushes under a new policy, before it goes live, and
 * lists every decision that would change.
 *
 * Each record is decided again as the hook decided it: the same ref
 * updates, the recorded pusher's login (never this shell's environment),
 * the recorded push options and namespace, and the recorded time as "now"
 * (key validity at the time of the push, so that keys expired since do
 * not drown the policy change in noise).  Only records whose objects are
 * still in the repository can be replayed: git drops the objects of a
 * refused push with its quarantine.  The log is the hooks' own, but it is
 * still read as hostile input (tk_json_parse bounds it).
 */
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/json.h"
#include "cli.h"
#include "internal.h"
#include "twokey/audit.h"
#include "twokey/check.h"
#include "twokey/policy.h"
#include "twokey/repo.h"
#include "banned.h" /* last: after every system header */

#define USAGE                                                                  \
	"twokey config replay --policy NEW [--since DATE] [--repo PATH] "      \
	"[AUDITLOG...]"

struct replay {
	struct tk_policy *p;
	const char *since, *repo_override;
	git_repository *repo;
	char *repo_path; /* the one open */
	char last[512]; /* the previous record's push, to skip its twin */
	size_t records, replayed, changed, missing, skipped_since;
};

/* "YYYY-MM-DDTHH:MM:SSZ" to seconds; -1 when it is not that. */
static int64_t
parse_time(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 20 ||
	    (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

/* --since: a date or a time, as the records write them. */
static bool
valid_since(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end != NULL && *end == '\0' && strlen(s) == 10)
		return true;
	return parse_time(s) >= 0;
}

static int
open_repo(struct replay *r, const char *path)
{
	if (r->repo_path != NULL && strcmp(r->repo_path, path) == 0)
		return 0;
	git_repository_free(r->repo);
	free(r->repo_path);
	r->repo = NULL;
	if ((r->repo_path = tk_strdup(path)) == NULL)
		return -1;
	if (tk_repo_open(&r->repo, path) < 0) {
		fprintf(
		    stderr, "twokey: error: %s: %s\n", path, tk_error_last());
		return -1;
	}
	return 0;
}

/* The push options and namespace of the record, as the hook saw them. */
static void
push_env(const struct tk_jv *rec)
{
	const struct tk_jv *opts = tk_json_get(rec, "push_options");
	const char *ns = tk_json_str(tk_json_get(rec, "namespace"), NULL);
	char name[40], count[32];
	size_t i, n = opts && opts->t == TK_J_ARR ? opts->n : 0;

	if (n > TK_AUDIT_MAX_PUSH_OPTIONS)
		n = TK_AUDIT_MAX_PUSH_OPTIONS;
	for (i = 0; i < TK_AUDIT_MAX_PUSH_OPTIONS; i++) {
		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%zu", i);
		if (i < n)
			setenv(name, tk_json_str(opts->items[i], ""), 1);
		else
			unsetenv(name);
	}
	snprintf(count, sizeof(count), "%zu", n);
	if (n > 0)
		setenv("GIT_PUSH_OPTION_COUNT", count, 1);
	else
		unsetenv("GIT_PUSH_OPTION_COUNT");
	if (ns != NULL && *ns != '\0')
		setenv("GIT_NAMESPACE", ns, 1);
	else
		unsetenv("GIT_NAMESPACE");
}

static bool
present(git_repository *repo, const char *hex)
{
	git_odb *odb = NULL;
	git_oid id;
	bool yes;

	if (strspn(hex, "0") == strlen(hex))
		return true; /* a create or a delete */
	if (git_oid_fromstr(&id, hex) < 0 || git_repository_odb(&odb, repo) < 0)
		return false;
	yes = git_odb_exists(odb, &id) == 1;
	git_odb_free(odb);
	return yes;
}

/* The updates of the record, if all their objects are still there. */
static int
updates(struct replay *r, const struct tk_jv *refs, struct tk_updates *u)
{
	struct tk_buf in = TK_BUF_INIT(TK_UPDATES_MAX_INPUT);
	size_t i;
	int rc = 1;

	for (i = 0; i < refs->n; i++) {
		const char *ref =
		    tk_json_str(tk_json_get(refs->items[i], "ref"), "");
		const char *old =
		    tk_json_str(tk_json_get(refs->items[i], "old"), "");
		const char *nw =
		    tk_json_str(tk_json_get(refs->items[i], "new"), "");

		if (!present(r->repo, old) || !present(r->repo, nw)) {
			rc = 0;
			goto out;
		}
		(void)tk_buf_printf(&in, "%s %s %s\n", old, nw, ref);
	}
	if (in.err != 0 ||
	    tk_updates_parse(u, in.ptr ? in.ptr : "", in.len) < 0)
		rc = -1;
out:
	tk_buf_release(&in);
	return rc;
}

/* The first refusal of update i, for the line that reports the change. */
static const char *
why(const struct tk_report *rep, size_t i)
{
	size_t k;

	for (k = 0; k < rep->nfindings; k++)
		if (rep->findings[k].update == i &&
		    rep->findings[k].sev == TK_SEV_DENY)
			return rep->findings[k].what;
	return "";
}

static void
report_changes(struct replay *r, const struct tk_jv *rec,
    const struct tk_jv *refs, const struct tk_report *rep,
    const struct tk_updates *u)
{
	const char *login = tk_json_str(
	    tk_json_get(tk_json_get(rec, "pusher"), "login"), "(unknown)");
	struct tk_buf line = TK_BUF_INIT(1 << 16), safe = TK_BUF_INIT(1 << 16);
	size_t i;

	for (i = 0; i < refs->n && i < rep->nverdicts; i++) {
		const char *was =
		    tk_json_str(tk_json_get(refs->items[i], "decision"), "");
		const struct tk_verdict *v = &rep->verdicts[i];
		const char *now =
		    v->decision == TK_REFUSE ? "refused" : "accepted";

		r->replayed++;
		if (strcmp(was, now) == 0)
			continue;
		r->changed++;
		tk_buf_reset(&line);
		tk_buf_reset(&safe);
		(void)tk_buf_printf(&line,
		    "%s %s %.7s..%.7s pushed by %s: %s, would be %s under the "
		    "new policy (rule '%s')%s%s",
		    tk_json_str(tk_json_get(rec, "time"), "?"), u->items[i].ref,
		    tk_json_str(tk_json_get(refs->items[i], "old"), ""),
		    tk_json_str(tk_json_get(refs->items[i], "new"), ""), login,
		    was, now, v->rule ? v->rule->name : "none",
		    *why(rep, i) ? ": " : "", why(rep, i));
		(void)tk_sanitize(&safe, line.ptr, line.len, 1 << 15);
		printf("%s\n", safe.ptr);
	}
	tk_buf_release(&line);
	tk_buf_release(&safe);
}

/*
 * The reason of -o twokey.emergency=<reason> in the record's push options
 * (NULL: none), so that an emergency push is decided again as one; the
 * emergency state of the time is not replayed (docs/emergency.md).
 */
static const char *
recorded_emergency(const struct tk_jv *rec)
{
	static const char key[] = "twokey.emergency";
	const struct tk_jv *opts = tk_json_get(rec, "push_options");
	const char *v;
	size_t i;

	/* the update hook never gets push options: no emergency there */
	if (strcmp(tk_json_str(tk_json_get(rec, "hook"), ""), "pre-receive"))
		return NULL;
	for (i = 0; opts && opts->t == TK_J_ARR && i < opts->n; i++) {
		v = tk_json_str(opts->items[i], "");
		if (strncmp(v, key, sizeof(key) - 1) == 0 &&
		    (v[sizeof(key) - 1] == '=' || v[sizeof(key) - 1] == '\0'))
			return v[sizeof(key) - 1] == '=' ? v + sizeof(key) : "";
	}
	return NULL;
}

static int
decide(struct replay *r, const struct tk_jv *rec, const struct tk_jv *refs)
{
	const char *login =
	    tk_json_str(tk_json_get(tk_json_get(rec, "pusher"), "login"), NULL);
	struct tk_check_opts opts = TK_CHECK_OPTS_INIT;
	struct tk_updates u;
	struct tk_report rep;
	int rc;

	memset(&u, 0, sizeof(u));
	memset(&rep, 0, sizeof(rep));
	if ((rc = updates(r, refs, &u)) <= 0) {
		if (rc == 0)
			r->missing++;
		tk_updates_release(&u);
		return rc;
	}
	push_env(rec);
	opts.pusher_login = login;
	opts.now = parse_time(tk_json_str(tk_json_get(rec, "time"), ""));
	opts.emergency = recorded_emergency(rec);
	if (tk_check_run(&rep, r->repo, r->p, &u, &opts) < 0) {
		fprintf(stderr,
		    "twokey: warning: %s: cannot decide it again: "
		    "%s\n",
		    tk_json_str(tk_json_get(rec, "time"), "?"),
		    tk_error_last());
		rc = -1;
	} else
		report_changes(r, rec, refs, &rep, &u);
	tk_report_release(&rep);
	tk_updates_release(&u);
	return rc < 0 ? -1 : 0;
}

/* One record: filtered, deduplicated (both hooks record a push), decided */
static int
record(struct replay *r, const struct tk_jv *rec)
{
	const char *t = tk_json_str(tk_json_get(rec, "time"), "");
	const char *repo = r->repo_override
	    ? r->repo_override
	    : tk_json_str(tk_json_get(rec, "repo"), NULL);
	const struct tk_jv *refs = tk_json_get(rec, "refs");
	char key[512];

	r->records++;
	if (r->since && strncmp(t, r->since, strlen(r->since)) < 0) {
		r->skipped_since++;
		return 0;
	}
	if (repo == NULL || refs == NULL || refs->t != TK_J_ARR ||
	    refs->n == 0 || parse_time(t) < 0)
		return 0; /* nothing to re-decide */
	snprintf(key, sizeof(key), "%s|%s|%s", t, repo,
	    tk_json_str(tk_json_get(refs->items[0], "new"), ""));
	if (strcmp(key, r->last) == 0)
		return 0;
	snprintf(r->last, sizeof(r->last), "%s", key);
	if (open_repo(r, repo) < 0)
		return -1;
	return decide(r, rec, refs);
}

static int
replay_file(struct replay *r, const char *file)
{
	struct tk_buf b = TK_BUF_INIT(TK_AUDIT_MAX_RECORD);
	struct tk_jv *rec = NULL;
	size_t lineno;
	int ch, status = 0;
	FILE *f;

	if ((f = fopen(file, "re")) == NULL) {
		fprintf(stderr, "twokey: error: cannot open '%s': %s\n", file,
		    strerror(errno));
		return -1;
	}
	for (lineno = 1;; lineno++) {
		tk_buf_reset(&b);
		while ((ch = getc_unlocked(f)) != EOF && ch != '\n')
			(void)tk_buf_putc(&b, ch);
		if (b.len == 0 && ch == EOF)
			break;
		if (b.err || tk_json_parse(&rec, b.ptr, b.len) < 0) {
			fprintf(stderr,
			    "twokey: warning: %s:%zu: not a readable record\n",
			    file, lineno);
			status = -1;
		} else if (record(r, rec) < 0)
			status = -1;
		tk_json_free(rec);
		rec = NULL;
		if (ch == EOF)
			break;
	}
	fclose(f);
	tk_buf_release(&b);
	return status;
}

static int
summary(const struct replay *r)
{
	printf("twokey: %zu of %zu recorded decision%s would change under the "
	       "new policy",
	    r->changed, r->replayed, r->replayed == 1 ? "" : "s");
	if (r->missing > 0)
		printf("; %zu push%s not replayed: %s objects are no longer in "
		       "the repository (git drops a refused push's objects)",
		    r->missing, r->missing == 1 ? "" : "es",
		    r->missing == 1 ? "its" : "their");
	if (r->skipped_since > 0)
		printf("; %zu record%s before %s", r->skipped_since,
		    r->skipped_since == 1 ? "" : "s", r->since);
	printf("\n");
	return r->changed > 0 ? 1 : 0;
}

static int
run(struct replay *r, const char *new_file, const char *const *files,
    size_t nfiles)
{
	struct tk_policy *cur = NULL;
	char *path = NULL, *cur_path = NULL;
	const char *deflt[1];
	size_t i;
	int status = 2;

	if (cli_load_policy(&r->p, &path, new_file) < 0)
		goto out;
	if (nfiles == 0) { /* the log the hooks write now */
		if (cli_load_policy(&cur, &cur_path, NULL) < 0)
			goto out;
		if (cur->audit_path == NULL) {
			fprintf(stderr,
			    "twokey: error: no AUDITLOG given and "
			    "the current policy has no audit.path\n");
			goto out;
		}
		deflt[0] = cur->audit_path;
		files = deflt;
		nfiles = 1;
	}
	/* The pusher comes from the record, never from this shell. */
	for (i = 0; i < r->p->npusher_env; i++)
		unsetenv(r->p->pusher_env[i]);
	status = 0;
	for (i = 0; i < nfiles; i++)
		if (replay_file(r, files[i]) < 0)
			status = 2;
	if (summary(r) == 1 && status == 0)
		status = 1;
out:
	tk_policy_free(cur);
	free(cur_path);
	free(path);
	return status;
}

int
cmd_config_replay(int argc, char **argv)
{
	const char *new_file = NULL, *files[256];
	struct replay r;
	size_t nfiles = 0;
	int i, status;

	memset(&r, 0, sizeof(r));
	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n\nDecides every push recorded in the audit "
		       "log (default: the current policy's audit.path) again, "
		       "under the policy NEW, as the hook would have decided "
		       "it at the time of the push (the recorded pusher, push "
		       "options and time), and lists each ref whose decision "
		       "would change.  Pushes whose objects are no longer in "
		       "the repository (refused pushes: git drops their "
		       "objects) are counted, not replayed.  --since skips "
		       "older records; --repo reads the objects from PATH "
		       "instead of the recorded repository.  Exit status 1 "
		       "when a decision would change, 0 when none would, 2 on "
		       "error.\n",
		    USAGE);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char **dst = NULL;

		if (strcmp(argv[i], "--policy") == 0)
			dst = &new_file;
		else if (strcmp(argv[i], "--since") == 0)
			dst = &r.since;
		else if (strcmp(argv[i], "--repo") == 0)
			dst = &r.repo_override;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage_error(
			    USAGE, "unknown option '%s'", argv[i]);
		else if (nfiles < TK_ARRAY_SIZE(files)) {
			files[nfiles++] = argv[i];
			continue;
		} else
			return cli_usage_error(USAGE, "too many files");
		if (++i >= argc)
			return cli_usage_error(
			    USAGE, "%s needs a value", argv[i - 1]);
		*dst = argv[i];
	}
	if (new_file == NULL)
		return cli_usage_error(USAGE, "--policy NEW is required");
	if (r.since != NULL && !valid_since(r.since))
		return cli_usage_error(USAGE,
		    "--since '%s' is not a date (YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ)",
		    r.since);
	/* as the hooks and doctor do: git decided whom to trust */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	status = run(&r, new_file, files, nfiles);
	tk_policy_free(r.p);
	git_repository_free(r.repo);
	free(r.repo_path);
	return status;
}
