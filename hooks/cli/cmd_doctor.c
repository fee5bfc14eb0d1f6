/*
 * twokey doctor [REPO]: check an installation end to end.
 */
#include <errno.h>
#include <git2.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "twokey/policy.h"
#include "banned.h" /* last: after every system header */

#define USAGE "twokey doctor [REPO]"

static int problems;

static void
ok(const char *what, const char *detail)
{
	printf("ok       %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
}

static void
bad(const char *what, const char *detail)
{
	printf("PROBLEM  %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
	problems++;
}

/* A dispatcher script (Gitea's, a site's own) that names twokey. */
static bool
mentions_twokey(const char *path)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return memchr(buf, '\0', n) == NULL && strstr(buf, "twokey") != NULL;
}

/* The hook git will run: core.hooksPath, a .d dispatcher, or hooks/. */
static void
check_hook(git_repository *repo)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], target[PATH_MAX];
	git_config *cfg = NULL;
	git_buf hp = {NULL, 0, 0};
	struct stat st;

	if (git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_path(&hp, cfg, "core.hookspath") == 0 && hp.size)
		snprintf(dir, sizeof(dir), "%s%s",
		    hp.ptr[0] == '/' ? "" : git_repository_path(repo), hp.ptr);
	else
		snprintf(
		    dir, sizeof(dir), "%shooks", git_repository_path(repo));
	git_buf_dispose(&hp);
	git_config_free(cfg);
	snprintf(path, sizeof(path), "%s/pre-receive.d/twokey", dir);
	if (lstat(path, &st) != 0)
		snprintf(path, sizeof(path), "%s/pre-receive", dir);
	if (stat(path, &st) != 0 || !(st.st_mode & S_IXUSR)) {
		bad("pre-receive hook",
		    "missing or not executable; run "
		    "'twokey install'");
		return;
	}
	/* Follow the whole chain of links (gitolite adds one). */
	if (realpath(path, target) != NULL &&
	    strcmp(basename(target), "twokey-pre-receive") == 0) {
		ok("pre-receive hook", path);
		return;
	}
	if (mentions_twokey(path)) {
		printf(
		    "note     %s is a script that mentions twokey; check that "
		    "it runs twokey-pre-receive and fails when it fails\n",
		    path);
		return;
	}
	bad(path, "does not run twokey-pre-receive; run 'twokey install'");
}

static void
check_pusher(const struct tk_policy *p)
{
	char msg[512];
	size_t i;

	if (p->npusher_env == 0) {
		bad("pusher.env",
		    "empty: rules that restrict who pushes will "
		    "refuse every push");
		return;
	}
	for (i = 0; i < p->npusher_env; i++) {
		const char *v = getenv(p->pusher_env[i]);

		snprintf(msg, sizeof(msg),
		    "%s is %s here (the front end must "
		    "set it for hooks)",
		    p->pusher_env[i], v && *v ? "set" : "not set");
		ok("pusher variable", msg);
	}
}

static void
check_audit(const struct tk_policy *p)
{
	char copy[PATH_MAX];

	if (p->audit_path == NULL) {
		printf("note     audit.path is not set: decisions are not "
		       "recorded\n");
		return;
	}
	snprintf(copy, sizeof(copy), "%s", p->audit_path);
	if (access(p->audit_path, W_OK) == 0 ||
	    (errno == ENOENT && access(dirname(copy), W_OK) == 0))
		ok("audit log writable", p->audit_path);
	else
		bad("audit log not writable (pushes will be refused)",
		    p->audit_path);
	if (p->audit_key_file != NULL) {
		if (access(p->audit_key_file, R_OK) == 0)
			ok("audit key readable", p->audit_key_file);
		else
			bad("audit key unreadable (pushes will be refused)",
			    p->audit_key_file);
	}
}

int
cmd_doctor(int argc, char **argv)
{
	git_repository *repo = NULL;
	git_buf dir = {NULL, 0, 0};
	struct tk_policy *p = NULL;
	char *path = NULL, *errors = NULL;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n\nChecks that the hook is installed in REPO "
		       "(default: the repository here), that the policy the "
		       "hook would use is readable and valid, which pusher "
		       "variables are set, and that the audit log is "
		       "writable.  Exit status 0 when all is well.\n",
		    USAGE);
		return 0;
	}
	if (argc > 2)
		return cli_usage_error(USAGE, "too many arguments");
	/* As the hooks do: git decides whom to trust, not the file owner. */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if (git_repository_discover(&dir, argc == 2 ? argv[1] : ".", 0, NULL) <
	        0 ||
	    git_repository_open(&repo, dir.ptr) < 0) {
		bad("repository",
		    git_error_last() && git_error_last()->message
		        ? git_error_last()->message
		        : "not found");
		git_buf_dispose(&dir);
		return 1;
	}
	ok("repository", git_repository_path(repo));
	check_hook(repo);
	if (tk_policy_locate(&path, git_repository_path(repo)) < 0)
		bad("policy", "cannot be located");
	else if (tk_policy_load(&p, &errors, path) < 0) {
		bad("policy", path);
		printf("%s", errors ? errors : "");
	} else {
		ok("policy", path);
		check_pusher(p);
		check_audit(p);
	}
	tk_policy_free(p);
	free(errors);
	free(path);
	git_repository_free(repo);
	git_buf_dispose(&dir);
	printf("%d problem%s\n", problems, problems == 1 ? "" : "s");
	return problems ? 1 : 0;
}
