/*
 * twokey install [--force] REPO... | --hooks-path DIR
 */
#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h" /* last: after every system header */

#define USAGE "twokey install [--force] REPO... | --hooks-path DIR"

/* The twokey-pre-receive next to this program. */
static int
hook_binary(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		return -1;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/twokey-pre-receive", self) >= len ||
	    access(out, X_OK) != 0) {
		fprintf(stderr,
		    "twokey: error: cannot find twokey-pre-receive "
		    "next to this program in %s\n",
		    self);
		return -1;
	}
	return 0;
}

/* Links dir/name to target; idempotent; refuses foreign hooks. */
static int
place(const char *dir, const char *name, const char *target, int force)
{
	char path[PATH_MAX], cur[PATH_MAX];
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -1;
	n = readlink(path, cur, sizeof(cur) - 1);
	if (n >= 0) {
		cur[n] = '\0';
		if (strcmp(cur, target) == 0) {
			printf("%s: already installed\n", path);
			return 0;
		}
	}
	if ((n >= 0 || access(path, F_OK) == 0) && !force) {
		fprintf(stderr,
		    "twokey: error: %s exists and is not twokey's "
		    "(%s%s); use --force to replace it\n",
		    path, n >= 0 ? "a link to " : "a file", n >= 0 ? cur : "");
		return -1;
	}
	if ((n >= 0 || access(path, F_OK) == 0) && unlink(path) < 0) {
		fprintf(stderr, "twokey: error: cannot remove %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (symlink(target, path) < 0) {
		fprintf(stderr, "twokey: error: cannot link %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	printf("%s -> %s\n", path, target);
	return 0;
}

/*
 * Push options (-o twokey.dry-run, -o twokey.emergency=...) reach the
 * hook only when the repository advertises them; otherwise git refuses
 * on the client side ("the receiving end does not support push options").
 */
static int
advertise_push_options(const char *repo_path)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	int on = 0, rc = 0;

	if (git_repository_open_ext(
	        &repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 ||
	    git_repository_config(&cfg, repo) < 0)
		rc = -1;
	else if (git_config_get_bool(
	             &on, cfg, "receive.advertisepushoptions") == 0 &&
	    on)
		rc = 0;
	else if (git_config_set_bool(cfg, "receive.advertisePushOptions", 1) <
	    0)
		rc = -1;
	else
		printf("%s: receive.advertisePushOptions = true (for git push "
		       "-o twokey.dry-run)\n",
		    repo_path);
	if (rc < 0)
		fprintf(stderr,
		    "twokey: error: %s: cannot set "
		    "receive.advertisePushOptions: %s\n",
		    repo_path,
		    git_error_last() ? git_error_last()->message : "?");
	git_config_free(cfg);
	git_repository_free(repo);
	return rc;
}

/*
 * Gitea and GitLab run every program in hooks/pre-receive.d/ from their
 * own dispatcher; twokey goes there, beside theirs.
 */
static int
install_repo(const char *repo_path, const char *target, int force)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	git_buf hp = {NULL, 0, 0};
	char hooks[PATH_MAX], dotd[PATH_MAX];
	struct stat st;
	int rc;

	if (git_repository_open_ext(
	        &repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		fprintf(stderr, "twokey: error: %s: not a git repository\n",
		    repo_path);
		return -1;
	}
	/* git runs hooks from core.hooksPath when set: install there. */
	if (git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_path(&hp, cfg, "core.hookspath") == 0 &&
	    hp.size > 0) {
		if (hp.ptr[0] == '/')
			snprintf(hooks, sizeof(hooks), "%s", hp.ptr);
		else /* relative to where hooks run: the git dir (bare) */
			snprintf(hooks, sizeof(hooks), "%s%s",
			    git_repository_path(repo), hp.ptr);
		printf("%s: core.hooksPath is %s; installing there\n",
		    repo_path, hooks);
	} else
		snprintf(
		    hooks, sizeof(hooks), "%shooks", git_repository_path(repo));
	git_buf_dispose(&hp);
	git_config_free(cfg);
	git_repository_free(repo);
	if (mkdir(hooks, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "twokey: error: cannot create %s: %s\n", hooks,
		    strerror(errno));
		return -1;
	}
	snprintf(dotd, sizeof(dotd), "%s/pre-receive.d", hooks);
	if (stat(dotd, &st) == 0 && S_ISDIR(st.st_mode))
		rc = place(dotd, "twokey", target, force);
	else
		rc = place(hooks, "pre-receive", target, force);
	return rc < 0 ? rc : advertise_push_options(repo_path);
}

int
cmd_install(int argc, char **argv)
{
	char target[PATH_MAX];
	int i = 1, force = 0, failed = 0;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n\nLinks twokey-pre-receive as the "
		       "pre-receive hook of each repository (or into "
		       "hooks/pre-receive.d/ when the repository has a "
		       "Gitea/GitLab-style dispatcher), or into DIR for a "
		       "server-wide core.hooksPath.  Running it again changes "
		       "nothing; an existing foreign hook is left alone unless "
		       "--force.  It also sets receive.advertisePushOptions, "
		       "which push options such as -o twokey.dry-run need.\n",
		    USAGE);
		return 0;
	}
	if (i < argc && strcmp(argv[i], "--force") == 0) {
		force = 1;
		i++;
	}
	if (i >= argc)
		return cli_usage_error(USAGE, "no repository given");
	if (hook_binary(target, sizeof(target)) < 0)
		return 1;
	if (strcmp(argv[i], "--hooks-path") == 0) {
		if (argc - i != 2)
			return cli_usage_error(USAGE, "expected one DIR");
		if (mkdir(argv[i + 1], 0755) < 0 && errno != EEXIST)
			return cli_usage_error(
			    USAGE, "cannot create '%s'", argv[i + 1]);
		if (place(argv[i + 1], "pre-receive", target, force) < 0)
			return 1;
		printf(
		    "note: set receive.advertisePushOptions=true where these "
		    "hooks run (git config --system "
		    "receive.advertisePushOptions true) so that pushers "
		    "can use -o twokey.dry-run\n");
		return 0;
	}
	for (; i < argc; i++)
		failed |= install_repo(argv[i], target, force) < 0;
	return failed ? 1 : 0;
}
