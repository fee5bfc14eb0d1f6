/*
 * The hooks' common driver.  Everything that can go wrong here refuses the
 * push: security software fails closed.
 */
#include <errno.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "emergency.h"
#include "internal.h"
#include "twokey/audit.h"
#include "twokey/check.h"
#include "twokey/digest.h"
#include "twokey/freeze.h"
#include "twokey/hook.h"
#include "twokey/policy.h"
#include "twokey/repo.h"

/*
 * GitLab shows hook output in its web UI only for lines that start with
 * GL-HOOK-ERR:, so under GitLab (GL_ID and GL_PROTOCOL set) the lines of a
 * refusal carry it; an acceptance is not an error.
 */
static const char *
prefix(void)
{
	const char *id = getenv("GL_ID"), *proto = getenv("GL_PROTOCOL");

	return id && *id && proto && *proto ? "GL-HOOK-ERR: twokey: "
	                                    : "twokey: ";
}

const char *
tk_version(void)
{
	return TWOKEY_VERSION;
}

static int
refuse(const char *what)
{
	fprintf(stderr, "%serror: %s\n", prefix(), what);
	fprintf(stderr,
	    "%srefusing the push: twokey could not decide "
	    "it, and it fails closed\n",
	    prefix());
	return 1;
}

static int
read_stdin(struct tk_buf *b)
{
	char chunk[65536];
	ssize_t n;
	int rc;

	while ((n = read(0, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tk_error_set(
			    TK_EIO, "cannot read stdin: %s", strerror(errno));
		if ((rc = tk_buf_put(b, chunk, (size_t)n)) < 0)
			return rc == TK_ETOOBIG
			    ? tk_error_set(rc, "ref update list too large")
			    : rc;
	}
	return 0;
}

static int
usage(enum tk_hook_kind kind, const char *arg)
{
	const char *name =
	    kind == TK_HOOK_UPDATE ? "twokey-update" : "twokey-pre-receive";

	if (strcmp(arg, "--version") == 0) {
		printf("%s %s\n", name, tk_version());
		return 0;
	}
	printf(
	    "usage: %s%s\n\n"
	    "A git %s hook enforcing separation of duties on protected refs.\n"
	    "Install it with 'twokey install'; see twokey(1) and "
	    "twokey-policy(5).\n"
	    "The policy is $TWOKEY_CONFIG, else git config twokey.config, "
	    "else %s.\n"
	    "Exit status: 0 accepts the push, 1 refuses it.\n",
	    name,
	    kind == TK_HOOK_UPDATE ? " REF OLD NEW [gitolite VREF args]"
	                           : " < 'OLD NEW REF' lines",
	    kind == TK_HOOK_UPDATE ? "update" : "pre-receive",
	    TWOKEY_POLICY_PATH);
	return 0;
}

/*
 * Details for the server's admin, not for the pusher: paths, identities
 * and keys of the server's configuration are not the pusher's business.
 * syslog, facility auth at LOG_ERR, always: the audit.syslog switch lives
 * in a policy that may be the very thing that could not be read.  One
 * syslog line per line of detail, at most 20.
 */
static void
tell_admin(git_repository *repo, const char *what, const char *detail)
{
	const char *line = detail, *nl;
	struct tk_buf b = TK_BUF_INIT(4096);
	int n;

	openlog("twokey", LOG_PID, LOG_AUTH);
	for (n = 0; *line != '\0' && n < 20; n++, line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		/* a detail may quote what a pusher sent: no byte of it may
		 * act on a terminal or start a line of its own */
		tk_buf_reset(&b);
		(void)tk_sanitize(
		    &b, line, (size_t)(nl - line + (*nl != '\n')), 2000);
		syslog(LOG_ERR, "refusing a push to %s: %s: %s",
		    git_repository_path(repo), what, b.ptr ? b.ptr : "");
	}
	tk_buf_release(&b);
	closelog();
}

/* The policy cannot be used: the pusher learns that, and nothing more. */
static int
policy_broken(const char *path, const char *errors, git_repository *repo)
{
	struct tk_buf what = TK_BUF_INIT(4200);

	(void)tk_buf_puts(&what, "the policy ");
	(void)tk_sanitize(&what, path, strlen(path), 4096);
	(void)tk_buf_puts(&what, " cannot be used");
	tell_admin(repo, what.ptr ? what.ptr : "the policy cannot be used",
	    errors ? errors : tk_error_last());
	tk_buf_release(&what);
	return refuse("the server's twokey policy is broken, so no push to "
	              "any ref is allowed until an admin repairs it (the "
	              "details are in the server's log)");
}

/*
 * A compiled policy that is there but not used costs every push a parse
 * of the YAML: one line for the admin (LOG_WARNING), the decision is the
 * YAML's either way.
 */
static void
compiled_ignored(const char *path, const char *why)
{
	struct tk_buf b = TK_BUF_INIT(4400);

	(void)tk_sanitize(&b, path, strlen(path), 4096);
	(void)tk_buf_puts(&b,
	    TK_POLICY_COMPILED_SUFFIX ": ignored, the YAML "
	                              "policy was parsed instead: ");
	(void)tk_sanitize(&b, why ? why : "", why ? strlen(why) : 0, 300);
	openlog("twokey", LOG_PID, LOG_AUTH);
	syslog(LOG_WARNING, "%s", b.ptr ? b.ptr : "compiled policy ignored");
	closelog();
	tk_buf_release(&b);
}

static int
load_policy(struct tk_policy **p, git_repository *repo)
{
	char *path = NULL, *errors = NULL, *why = NULL;
	enum tk_compiled_use use;
	int rc;

	if ((rc = tk_policy_locate_repo(&path, repo)) < 0)
		return refuse(tk_error_last());
	rc = tk_policy_load_fast(p, &errors, &use, &why, path);
	if (use == TK_COMPILED_IGNORED)
		compiled_ignored(path, why);
	if (rc < 0)
		rc = policy_broken(path, errors, repo);
	free(why);
	free(errors);
	free(path);
	return rc;
}

/*
 * -o twokey.dry-run (or =true/1/yes): decide, record and print as for a
 * real push, then refuse it so that nothing moves.  Returns 1 for a dry
 * run, 0 when not asked, or TK_EINVAL for a value that is neither, so
 * that a typo never lands a push its pusher meant as a test.  Push
 * options reach pre-receive only (git gives the update hook none).
 */
static int
dry_run_option(const struct tk_push_opts *o)
{
	bool twice;
	const char *v = tk_hook_push_option(o, "twokey.dry-run", &twice);

	if (v == NULL)
		return 0;
	if (*v == '\0' || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcmp(v, "yes") == 0)
		return 1;
	return tk_error_set(TK_EINVAL,
	    "push option twokey.dry-run takes no value (use "
	    "-o twokey.dry-run)");
}

/* The emergency state: unusable, it refuses (details for the admin). */
static int
em_prepare(git_repository *repo, struct tk_hook_em *em, struct tk_policy *p,
    enum tk_hook_kind kind, struct tk_check_opts *opts)
{
	int rc;

	if ((rc = tk_hook_em_prepare(em, p, kind, opts)) == 0)
		return 0;
	tell_admin(repo, "the emergency state cannot be used", tk_error_last());
	return tk_error_set(rc,
	    "the server's emergency state cannot be used, so no push is "
	    "decided until an admin repairs it (the details are in the "
	    "server's log)");
}

/* The record could not be written: the decision stands for nothing. */
static int
unrecorded(git_repository *repo, const struct tk_report *report,
    const struct tk_updates *u)
{
	char err[1024];

	snprintf(err, sizeof(err), "%s", tk_error_last());
	if (report != NULL)
		(void)tk_report_print_findings(stderr, report, u, prefix());
	tell_admin(repo, "the audit log is unavailable", err);
	fprintf(stderr,
	    "%serror: the server's audit log is unavailable, so the "
	    "decision could not be recorded (the details are in the "
	    "server's log)\n",
	    prefix());
	fprintf(stderr, "%srefusing the push: nothing is accepted unrecorded\n",
	    prefix());
	return 1;
}

/* The audit record, then the emergency state's lock released. */
static int
record(git_repository *repo, struct tk_hook_em *em, struct tk_policy *p,
    struct tk_updates *u, struct tk_report *report, struct tk_audit_push *push,
    char *err, size_t errlen)
{
	int rc;

	if (push->error == NULL &&
	    (rc = tk_hook_em_commit(em, u, report, push->repo, push->now,
	         !report->refused && !push->dry_run)) < 0) {
		/* the state's path is the server's business */
		tell_admin(repo, "the emergency state", tk_error_last());
		snprintf(err, errlen, "%s",
		    rc == TK_ETOOBIG ? tk_error_last()
		                     : "the emergency could not be recorded in "
		                       "the server's emergency state (the "
		                       "details are in the server's log)");
		push->error = err;
	}
	rc = tk_audit_write(p, u, report, push);
	tk_hook_em_finish(em, rc == 0);
	return rc;
}

static int
decide(enum tk_hook_kind kind, git_repository *repo, struct tk_policy *p,
    struct tk_updates *u, bool dry_run, struct tk_hook_em *em,
    const char *opt_err)
{
	struct tk_check_opts opts = TK_CHECK_OPTS_INIT;
	struct tk_freeze_state freezes;
	struct tk_audit_push push;
	struct tk_report report;
	char err[1024];
	int rc, status;

	memset(&report, 0, sizeof(report));
	memset(&push, 0, sizeof(push));
	opts.now = (int64_t)time(NULL);
	if (tk_freeze_state_load(&freezes, p) < 0)
		return refuse(tk_error_last());
	/* The engine refuses on it; where and why is the admin's business. */
	if (freezes.status < 0)
		tell_admin(repo, "the ad hoc freeze state cannot be read",
		    tk_error_last());
	opts.freezes = &freezes;
	push.hook = kind == TK_HOOK_UPDATE ? "update" : "pre-receive";
	push.repo = git_repository_path(repo);
	push.now = opts.now;
	push.dry_run = dry_run;
	/* push options twokey cannot read: refused, and recorded as such */
	if (opt_err != NULL)
		rc = tk_error_set(TK_EINVAL, "%s", opt_err);
	else if ((rc = em_prepare(repo, em, p, kind, &opts)) == 0)
		rc = tk_check_run(&report, repo, p, u, &opts);
	push.emergencies = opts.emergencies;
	if (rc < 0) {
		snprintf(err, sizeof(err), "%s", tk_error_last());
		push.error = err;
	}
	/*
	 * Record first, then tell: a verdict the log does not hold stands for
	 * nothing, so the pusher must never read "accepted" for a push that
	 * the missing record then refuses.
	 */
	if (record(repo, em, p, u, &report, &push, err, sizeof(err)) < 0)
		status = unrecorded(repo, rc == 0 ? &report : NULL, u);
	else if (push.error != NULL) {
		if (rc == 0)
			(void)tk_report_print_findings(
			    stderr, &report, u, prefix());
		status = refuse(err);
	} else if (dry_run)
		status =
		    tk_report_print_dry_run(stderr, &report, u, prefix()) < 0
		    ? refuse(tk_error_last())
		    : 1;
	else if (tk_report_print(stderr, &report, u,
	             report.refused ? prefix() : "twokey: ") < 0)
		status = refuse(tk_error_last());
	else
		status = report.refused ? 1 : 0;
	if (status != 0)
		tk_hook_em_hint(stderr, em, &report, repo, kind, prefix());
	tk_report_release(&report);
	tk_freeze_state_release(&freezes);
	return status;
}

/*
 * A push refused because the policy could not be loaded is evidence too:
 * record it where the last policy that loaded recorded (docs/audit.md).
 * The reason is found again here, so that the pusher-facing messages of
 * load_policy() stay its own.
 */
static void
record_unloadable(
    enum tk_hook_kind kind, git_repository *repo, struct tk_updates *u)
{
	struct tk_policy *p = NULL;
	char *path = NULL, *errors = NULL, *nl, why[1024];

	if (tk_policy_locate_repo(&path, repo) < 0)
		snprintf(why, sizeof(why), "%s", tk_error_last());
	else if (tk_policy_load(&p, &errors, path) < 0) {
		if (errors != NULL && (nl = strchr(errors, '\n')) != NULL)
			*nl = '\0';
		snprintf(
		    why, sizeof(why), "%s", errors ? errors : tk_error_last());
	} else
		snprintf(
		    why, sizeof(why), "it changed while the push was decided");
	(void)tk_updates_classify(u, repo);
	if (tk_audit_record_unloadable(git_repository_path(repo), u, path, why,
	        (int64_t)time(NULL),
	        kind == TK_HOOK_UPDATE ? "update" : "pre-receive") < 0) {
		/* its path is the server's business, as the policy's is */
		tell_admin(repo, "the refusal could not be recorded either",
		    tk_error_last());
		fprintf(stderr,
		    "%serror: the refusal could not be recorded either (the "
		    "details are in the server's log)\n",
		    prefix());
	}
	tk_policy_free(p);
	free(errors);
	free(path);
}

static int
read_updates(
    enum tk_hook_kind kind, int argc, char **argv, struct tk_updates *u)
{
	struct tk_buf in = TK_BUF_INIT(TK_UPDATES_MAX_INPUT);
	int rc;

	if (kind == TK_HOOK_UPDATE)
		return tk_updates_from_args(u, argc - 1, argv + 1);
	/*
	 * git runs pre-receive without arguments.  With some, this program
	 * was installed as another hook (as the update hook, it would read
	 * an empty stdin and accept every update): refuse.
	 */
	if (argc > 1)
		return tk_error_set(TK_EINVAL,
		    "twokey-pre-receive takes no arguments "
		    "(installed as another hook? the update "
		    "hook is twokey-update)");
	if ((rc = read_stdin(&in)) == 0)
		rc = tk_updates_parse(u, in.ptr ? in.ptr : "", in.len);
	tk_buf_release(&in);
	return rc;
}

/*
 * git gives the update hook no push options (docs/spec.md, "Hook input
 * and the pusher").  Where the repository advertises them, a pusher may
 * send -o twokey.dry-run and the update hook, which cannot see it, would
 * land for real a push meant as a test: refuse every update there, so
 * that the admin turns the advertisement off (git then refuses -o on the
 * client) or runs twokey as the pre-receive hook.  A configuration that
 * cannot be read refuses too.
 */
static int
update_options_unseen(git_repository *repo, char *err, size_t errlen)
{
	bool on;

	if (tk_repo_advertises_push_options(repo, &on) < 0)
		snprintf(err, errlen,
		    "cannot read receive.advertisePushOptions, so twokey as "
		    "the update hook cannot tell whether push options it "
		    "does not see were sent");
	else if (on)
		snprintf(err, errlen,
		    "this repository advertises push options "
		    "(receive.advertisePushOptions), but twokey runs as the "
		    "update hook here, which gets none from git: a push "
		    "sent with -o twokey.dry-run would land for real, so no "
		    "push is accepted until an admin sets "
		    "receive.advertisePushOptions to false or runs twokey as "
		    "the pre-receive hook");
	return on;
}

/*
 * What the hook leaves for the process's exit (tk_hook_main's end):
 * volatile, so that the compiler keeps stores nothing reads.
 */
static void *volatile left[2];

int
tk_hook_main(enum tk_hook_kind kind, int argc, char **argv)
{
	git_repository *repo = NULL;
	struct tk_policy *p = NULL;
	struct tk_hook_em em;
	struct tk_push_opts po;
	struct tk_updates u;
	char opt_err[512] = "";
	int status, dry = 0;
	static char errbuf[16384];

	/*
	 * What the pusher reads goes out in one write at the end (or per
	 * 16 KiB), not one per piece of a line: each write to git's pipe
	 * wakes receive-pack to relay it, on the push's critical path.
	 */
	(void)setvbuf(stderr, errbuf, _IOFBF, sizeof(errbuf));
	memset(&u, 0, sizeof(u));
	memset(&em, 0, sizeof(em));
	if (argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	        strcmp(argv[1], "--version") == 0))
		return usage(kind, argv[1]);
	/* OpenSSL is initialised only for RSA or ECDSA keys (tk_crypto_ready)
	 */
	if (git_libgit2_init() < 0)
		return refuse("cannot initialise libgit2");
	/* git already decided to trust this repository and run its hooks. */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	/*
	 * libgit2 keeps up to 256 MiB of objects it has read, and maps pack
	 * files in windows of 1 GiB up to 8 GiB: the pages of a large push's
	 * pack it touched count in the hook's size.  twokey reads each commit
	 * about twice, close together, so a small cache does as well, and
	 * small windows keep a push of 100,000 commits small
	 * (docs/performance.md, "A push of 100,000 commits").
	 */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(4 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(2 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(8 << 20));
	/*
	 * Trees over 4 KiB (a directory of more than about 120 entries) are
	 * not cached by default; comparing the trees of consecutive commits
	 * (paths:) reads each twice.
	 */
	git_libgit2_opts(
	    GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)(1 << 20));
	/*
	 * Nor are commits over 4 KiB (a long message, or a signature and
	 * several approval trailers of RSA keys), which the classification,
	 * the walks and the decision each read again.
	 */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_COMMIT,
	    (size_t)(64 << 10));
	if (read_updates(kind, argc, argv, &u) < 0)
		status = refuse(tk_error_last());
	else if (tk_repo_open(&repo, NULL) < 0)
		status = refuse(tk_error_last());
	else if ((status = load_policy(&p, repo)) != 0)
		record_unloadable(kind, repo, &u);
	else {
		/* Where to record should the policy break later. */
		(void)tk_audit_remember(p, git_repository_path(repo));
		if (tk_hook_push_options(&po) < 0 ||
		    (dry = dry_run_option(&po)) < 0 ||
		    tk_hook_em_option(&em, &po) < 0) {
			snprintf(
			    opt_err, sizeof(opt_err), "%s", tk_error_last());
			dry = 0;
			em.reason = NULL;
		} else if (kind == TK_HOOK_UPDATE)
			(void)update_options_unseen(
			    repo, opt_err, sizeof(opt_err));
		status = decide(kind, repo, p, &u, dry == 1, &em,
		    opt_err[0] != '\0' ? opt_err : NULL);
	}
	tk_hook_em_release(&em);
	tk_audit_pg_end(); /* after em_release: its unlock is a request */
	/*
	 * The process ends here, and its memory and mappings go with it at
	 * once.  Freeing the repository unmapped libgit2's pack windows and
	 * packed-refs one by one after the audit log's fsync, each a TLB
	 * flush on every CPU the process ran on (an interrupt per CPU in a
	 * VM): 0.4 ms of a created ref's decision.  Kept reachable, so that
	 * leak checkers do not report them.
	 */
	left[0] = p;
	left[1] = repo;
	tk_updates_release(&u);
	(void)fflush(stderr);
	return status;
}
