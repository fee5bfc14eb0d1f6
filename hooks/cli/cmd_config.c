/*
 * twokey config check [--strict] [--repo PATH] [FILE]: validate a policy
 * and warn about what is valid but probably not meant.
 * twokey config allowed-signers [FILE]: its keys for OpenSSH and git.
 * twokey config compile [FILE]: FILE.compiled for the hooks.
 * Also dispatches config report, diff and replay (their own files).
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "twokey/error.h"
#include "twokey/freeze.h"
#include "twokey/policy.h"
#include "twokey/review.h"
#include "banned.h" /* last: after every system header */

#define USAGE                                                                  \
	"twokey config check [--strict] [--repo PATH] [FILE]\n"                \
	"       twokey config report [--repo PATH] [--format "                 \
	"text|csv|json|html] [FILE]\n"                                         \
	"       twokey config diff [--repo PATH] OLD NEW\n"                    \
	"       twokey config replay --policy NEW [--since DATE] [--repo "     \
	"PATH] [AUDITLOG...]\n"                                                \
	"       twokey config allowed-signers [FILE]\n"                        \
	"       twokey config compile [FILE]"

static void
summary(const struct tk_policy *p, const char *file)
{
	size_t i, nkeys = 0;

	for (i = 0; i < p->nidentities; i++)
		nkeys += p->identities[i]->nkeys;
	printf("%s: ok: %zu roles, %zu identities (%zu keys), %zu revoked "
	       "keys, %zu rules\n",
	    file, p->nroles, p->nidentities, nkeys, p->nrevoked, p->nrules);
	for (i = 0; i < p->nrules; i++)
		printf("  rule '%s': refs '%s'%s\n", p->rules[i]->name,
		    p->rules[i]->refs_src,
		    p->rules[i]->mode == TK_MODE_WARN ? " (warn only)" : "");
	if (p->npusher_env == 0)
		printf("note: pusher.env is empty: rules restricting who may "
		       "push will refuse every push\n");
}

/*
 * Says what the hooks will make of FILE.compiled: nothing when there is
 * none; a warning when they will ignore it (stale, damaged, untrusted),
 * which costs every push a parse of the YAML.
 */
static void
compiled_note(const struct tk_policy *p, const char *file)
{
	enum tk_compiled_use use;
	char *why = NULL;

	fflush(stdout);
	if (tk_policy_compiled_state(&use, &why, file, p) < 0)
		fprintf(stderr, "%s%s: warning: cannot examine: %s\n", file,
		    TK_POLICY_COMPILED_SUFFIX, tk_error_last());
	else if (use == TK_COMPILED_USED)
		printf("%s%s: up to date: the hooks use it\n", file,
		    TK_POLICY_COMPILED_SUFFIX);
	else if (use == TK_COMPILED_IGNORED)
		fprintf(stderr,
		    "%s%s: warning: the hooks ignore it and parse the YAML "
		    "(%s); run 'twokey config compile %s'\n",
		    file, TK_POLICY_COMPILED_SUFFIX, why ? why : "unusable",
		    file);
	free(why);
}

/*
 * Says when the hooks cannot read the ad hoc freeze file: they then refuse
 * every push, and a policy that checks out fine would not tell why.  The
 * audit database's state is not examined here (no connection for a
 * check).
 */
static void
freeze_note(const struct tk_policy *p)
{
	struct tk_freeze_state st;

	if (p->audit_postgres != NULL)
		return;
	memset(&st, 0, sizeof(st));
	fflush(stdout);
	if (tk_freeze_state_load(&st, p) < 0 || st.status < 0)
		fprintf(stderr,
		    "twokey: warning: %s; the hooks refuse every push while "
		    "it cannot be read ('twokey freeze status' says more)\n",
		    tk_error_last());
	tk_freeze_state_release(&st);
}

static int
compile(int argc, char **argv)
{
	char *path = NULL, *errors = NULL, *written = NULL;
	git_buf dir = {NULL, 0, 0};
	int status = 1, r;

	if (argc > 2)
		return cli_usage_error(USAGE, "too many arguments");
	if (argc == 2 && argv[1][0] == '-' && argv[1][1] != '\0')
		return cli_usage_error(USAGE, "unknown option '%s'", argv[1]);
	if (argc == 2)
		path = strdup(argv[1]);
	else {
		r = git_repository_discover(&dir, ".", 0, NULL);
		if (tk_policy_locate(&path, r == 0 ? dir.ptr : NULL) < 0)
			path = NULL;
		git_buf_dispose(&dir);
	}
	if (path == NULL) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		return 1;
	}
	if (tk_policy_compile_file(&errors, &written, path) < 0) {
		fprintf(stderr, "%s", errors ? errors : "");
		fprintf(stderr,
		    "twokey: %s: not compiled (the hooks keep using what was "
		    "there, if it still matches the policy)\n",
		    path);
		goto out;
	}
	printf("%s: compiled to %s\n", path, written);
	status = 0;
out:
	free(errors);
	free(written);
	free(path);
	return status;
}

/* Prints the warnings after the counts; returns how many there were. */
static int
warnings(const struct tk_policy *p, const char *file, const char *repo,
    size_t *count)
{
	struct tk_review_opts o = {(int64_t)time(NULL), NULL, 0};
	struct tk_warnings w = {NULL, 0};
	char **refs = NULL;
	size_t i, nrefs = 0;
	int rc;

	*count = 0;
	if (repo != NULL && cli_repo_refs(&refs, &nrefs, repo) < 0)
		return -1;
	o.refs = (const char *const *)refs;
	o.nrefs = nrefs;
	if ((rc = tk_policy_warn(&w, p, &o)) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		goto out;
	}
	fflush(stdout); /* after the counts, even when both are one tty */
	for (i = 0; i < w.n; i++)
		fprintf(stderr, "%s:%u:%u: warning: %s\n", file,
		    w.items[i].line, w.items[i].col, w.items[i].msg);
	*count = w.n;
out:
	tk_warnings_release(&w);
	cli_refs_free(refs, nrefs);
	return rc < 0 ? -1 : 0;
}

static int
check(int argc, char **argv)
{
	const char *file = NULL, *repo = NULL;
	struct tk_policy *p = NULL;
	char *path = NULL;
	bool strict = false;
	size_t n = 0;
	int i, status = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--strict") == 0)
			strict = true;
		else if (strcmp(argv[i], "--repo") == 0) {
			if (++i >= argc)
				return cli_usage_error(
				    USAGE, "--repo needs a PATH");
			repo = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage_error(
			    USAGE, "unknown option '%s'", argv[i]);
		else if (file == NULL)
			file = argv[i];
		else
			return cli_usage_error(USAGE, "too many arguments");
	}
	if (cli_load_policy(&p, &path, file) < 0)
		goto out;
	summary(p, path);
	compiled_note(p, path);
	freeze_note(p);
	if (warnings(p, path, repo, &n) < 0)
		goto out;
	status = 0;
	if (n > 0) {
		fprintf(stderr, "%s: %zu warning%s%s\n", path, n,
		    n == 1 ? "" : "s",
		    strict ? ", and --strict makes warnings fail" : "");
		status = strict ? 1 : 0;
	}
out:
	tk_policy_free(p);
	free(path);
	return status;
}

static int help(void);

static int
allowed_signers(int argc, char **argv)
{
	struct tk_policy *p = NULL;
	char *path = NULL;
	int status = 1;

	if (cli_wants_help(argc, argv))
		return help();
	if (argc > 2)
		return cli_usage_error(USAGE, "too many arguments");
	if (argc == 2 && argv[1][0] == '-' && argv[1][1] != '\0')
		return cli_usage_error(USAGE, "unknown option '%s'", argv[1]);
	if (cli_load_policy(&p, &path, argc == 2 ? argv[1] : NULL) == 0)
		status = cli_allowed_signers(p) < 0 ? 1 : 0;
	tk_policy_free(p);
	free(path);
	return status;
}

static int
help(void)
{
	printf("usage: %s\n\n"
	       "check validates a policy file (default: the one the hooks "
	       "would use here) and prints what it holds, or every error as "
	       "FILE:LINE:COLUMN; then warns about what is valid but "
	       "probably not meant (glob-like patterns, shadowed rules, rules "
	       "nobody can satisfy, keys about to expire).  --repo also "
	       "checks the rules against that repository's refs; --strict "
	       "makes warnings fail.  Exit status 0 when valid, 1 when not "
	       "(or when --strict and there are warnings).\n"
	       "report lists who may push and approve where, and every "
	       "identity's keys; diff says who gains or loses what between "
	       "two policies (exit 1 when anything widens); replay re-decides "
	       "recorded pushes under a new policy (exit 1 when a decision "
	       "would change).  'twokey config SUBCOMMAND --help' says more; "
	       "see twokey(1).\n"
	       "allowed-signers prints the policy's keys as an OpenSSH "
	       "allowed_signers file (principals: the identity's emails; "
	       "namespaces git and twokey-approval; validity windows in UTC; "
	       "revoked keys left out), for git's gpg.ssh.allowedSignersFile "
	       "and ssh-keygen -Y verify.\n"
	       "compile validates the policy as check does and writes "
	       "FILE.compiled, a binary form the hooks load instead of the "
	       "YAML while it names the policy's exact bytes (SHA-256); "
	       "check says when it is stale.\n",
	    USAGE);
	return 0;
}

int
cmd_config(int argc, char **argv)
{
	if (argc >= 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return help();
	if (argc < 2)
		return cli_usage_error(USAGE, "expected a subcommand");
	if (strcmp(argv[1], "report") == 0)
		return cmd_config_report(argc - 1, argv + 1);
	if (strcmp(argv[1], "diff") == 0)
		return cmd_config_diff(argc - 1, argv + 1);
	if (strcmp(argv[1], "replay") == 0)
		return cmd_config_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "allowed-signers") == 0)
		return allowed_signers(argc - 1, argv + 1);
	if (strcmp(argv[1], "compile") == 0)
		return cli_wants_help(argc - 1, argv + 1)
		    ? help()
		    : compile(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") != 0)
		return cli_usage_error(
		    USAGE, "unknown subcommand '%s'", argv[1]);
	if (cli_wants_help(argc, argv))
		return help();
	return check(argc - 1, argv + 1);
}
