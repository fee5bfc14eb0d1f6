/*
 * twokey install [--force | --chain] REPO... | --hooks-path DIR
 *
 * An existing pre-receive hook that is not twokey's is never lost: without
 * an option install refuses to touch it; --force keeps it as a backup
 * beside the new link; --chain keeps running it, from a dispatcher that
 * runs every program in pre-receive.d/ (as Gitea's hooks do) and refuses
 * the push when any of them refuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "twokey/error.h"
#include "twokey/policy.h"
#include "banned.h" /* last: after every system header */

#define USAGE                                                                  \
	"twokey install [--force | --chain] REPO...\n"                         \
	"       twokey install [--force | --chain] --hooks-path DIR"

enum how { REFUSE, BACKUP, CHAIN };

/* The dispatcher --chain writes; doctor and install recognise its mark. */
static const char dispatcher[] =
    "#!/bin/sh\n"
    "# twokey-dispatcher v1, written by 'twokey install --chain'.\n"
    "# Runs every executable in pre-receive.d/ beside this file, in name\n"
    "# order, each with the same ref updates on standard input, and refuses\n"
    "# the push when any of them refuses (all of them run, as under Gitea).\n"
    "# To undo: move pre-receive.d/previous-pre-receive back to pre-receive.\n"
    "d=$(dirname \"$0\")/pre-receive.d\n"
    "in=$(mktemp \"${TMPDIR:-/tmp}/twokey-pre-receive.XXXXXX\") || exit 1\n"
    "trap 'rm -f \"$in\"' EXIT\n"
    "cat >\"$in\" || exit 1\n"
    "status=0\n"
    "for h in \"$d\"/*; do\n"
    "\t[ -f \"$h\" ] && [ -x \"$h\" ] || continue\n"
    "\t\"$h\" \"$@\" <\"$in\" || status=1\n"
    "done\n"
    "exit $status\n";

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

/* path + ".twokey-backup", or with .1, .2 ... when that exists. */
static int
backup_name(char *out, size_t len, const char *path)
{
	struct stat st;
	int i;

	for (i = 0; i < 100; i++) {
		if ((i == 0 ? snprintf(out, len, "%s.twokey-backup", path)
		            : snprintf(out, len, "%s.twokey-backup.%d", path,
		                  i)) >= (int)len)
			return -1;
		if (lstat(out, &st) != 0 && errno == ENOENT)
			return 0;
	}
	return -1;
}

static int
link_hook(const char *path, const char *target)
{
	if (symlink(target, path) < 0) {
		fprintf(stderr, "twokey: error: cannot link %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	printf("%s -> %s\n", path, target);
	return 0;
}

/*
 * Moves the old hook from to to.  A link with a relative target is made
 * absolute first: it was relative to the hooks directory.
 */
static int
move_hook(const char *from, const char *to, const char *dir)
{
	char cur[PATH_MAX], abs[PATH_MAX * 2 + 2];
	ssize_t n = readlink(from, cur, sizeof(cur) - 1);

	if (n >= 0 && (cur[n] = '\0', cur[0] != '/')) {
		snprintf(abs, sizeof(abs), "%s/%s", dir, cur);
		if (unlink(from) < 0 || symlink(abs, to) < 0)
			goto fail;
		return 0;
	}
	if (rename(from, to) == 0)
		return 0;
fail:
	fprintf(stderr, "twokey: error: cannot move %s to %s: %s\n", from, to,
	    strerror(errno));
	return -1;
}

/* Writes the dispatcher to path through a temporary file, atomically. */
static int
write_dispatcher(const char *path)
{
	char tmp[PATH_MAX];
	int fd;
	ssize_t n;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.twokey-new", path) >=
	    sizeof(tmp))
		return -1;
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755)) < 0)
		goto fail;
	n = write(fd, dispatcher, sizeof(dispatcher) - 1);
	if (close(fd) < 0 || n != (ssize_t)sizeof(dispatcher) - 1 ||
	    rename(tmp, path) < 0) {
		(void)unlink(tmp);
		goto fail;
	}
	printf("%s: dispatcher for pre-receive.d/\n", path);
	return 0;
fail:
	fprintf(stderr, "twokey: error: cannot write %s: %s\n", path,
	    strerror(errno));
	return -1;
}

static int place(
    const char *dir, const char *name, const char *target, enum how how);

/*
 * --chain: pre-receive becomes the dispatcher, the old hook moves to
 * pre-receive.d/previous-pre-receive, twokey joins it there.
 */
static int
chain(const char *dir, const char *path, const char *target)
{
	char dotd[PATH_MAX], old[PATH_MAX + 32];

	snprintf(dotd, sizeof(dotd), "%s/pre-receive.d", dir);
	snprintf(old, sizeof(old), "%s/previous-pre-receive", dotd);
	if ((mkdir(dotd, 0755) < 0 && errno != EEXIST) ||
	    access(old, F_OK) == 0) {
		fprintf(stderr, "twokey: error: cannot use %s%s\n", dotd,
		    errno == EEXIST || access(old, F_OK) == 0
		        ? " (previous-pre-receive is already there)"
		        : "");
		return -1;
	}
	if (move_hook(path, old, dir) < 0)
		return -1;
	printf("%s: the old hook, still run\n", old);
	if (write_dispatcher(path) < 0) {
		(void)rename(old, path); /* put it back */
		return -1;
	}
	return place(dotd, "twokey", target, REFUSE);
}

/* Links dir/name to target; idempotent; a foreign hook is never lost. */
static int
place(const char *dir, const char *name, const char *target, enum how how)
{
	char path[PATH_MAX], cur[PATH_MAX], bak[PATH_MAX + 32];
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
	if (n < 0 && access(path, F_OK) != 0)
		return link_hook(path, target);
	if (how == REFUSE) {
		fprintf(stderr,
		    "twokey: error: %s exists and is not twokey's (%s%s); use "
		    "--force to replace it (it is kept as a backup), or --chain "
		    "to run it and twokey both\n",
		    path, n >= 0 ? "a link to " : "a file", n >= 0 ? cur : "");
		return -1;
	}
	if (how == CHAIN)
		return chain(dir, path, target);
	if (backup_name(bak, sizeof(bak), path) < 0 ||
	    move_hook(path, bak, dir) < 0)
		return -1;
	printf("%s: the old hook, kept; it no longer runs (install --chain "
	       "runs it too)\n",
	    bak);
	return link_hook(path, target);
}

/*
 * libgit2, like git, refuses a repository another user owns; say what
 * git says and how to proceed, rather than "not a git repository".
 */
static void
dubious(const char *path)
{
	struct cli_user u;
	struct stat st;
	char name[64] = "another user";

	if (stat(path, &st) == 0 && cli_user_find(&u, NULL, st.st_uid) == 0)
		snprintf(name, sizeof(name), "%s", u.name);
	fprintf(stderr,
	    "twokey: error: %s: detected dubious ownership in repository: it "
	    "is owned by %s, not by you\n"
	    "twokey: install as its owner:  sudo -u %s twokey install %s\n"
	    "twokey: or, if you trust it, tell git so (as git itself "
	    "suggests):  git config --global --add safe.directory %s\n",
	    path, name, name, path, path);
}

/*
 * libgit2 1.5 reports a missing safe.directory as "not found" rather than
 * GIT_EOWNER: the repository opens once ownership is not checked.
 */
static bool
owned_by_another(const char *path)
{
	git_repository *repo = NULL;
	int rc;

	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	rc = git_repository_open_ext(
	    &repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 1);
	git_repository_free(repo);
	return rc == 0;
}

/* Where git runs this repository's hooks from: core.hooksPath or hooks/. */
static int
hooks_dir(char *out, size_t len, git_repository *repo, const char *shown)
{
	git_config *cfg = NULL;
	git_buf hp = {NULL, 0, 0};

	if (git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_path(&hp, cfg, "core.hookspath") == 0 &&
	    hp.size > 0) {
		if (hp.ptr[0] == '/')
			snprintf(out, len, "%s", hp.ptr);
		else /* relative to where hooks run: the git dir (bare) */
			snprintf(out, len, "%s%s", git_repository_path(repo),
			    hp.ptr);
		printf(
		    "%s: core.hooksPath is %s; installing there\n", shown, out);
	} else
		snprintf(out, len, "%shooks", git_repository_path(repo));
	git_buf_dispose(&hp);
	git_config_free(cfg);
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
/*
 * Compiles the policy the hooks of gitdir (NULL: server-wide) will load,
 * so that they need not parse its YAML on every push.  A policy that
 * cannot be compiled (absent, invalid, in a directory this user cannot
 * write) is a note, not a failure: the hooks then parse the YAML, and an
 * invalid one refuses every push, as 'twokey config check' says.
 */
static void
compile_policy(const char *gitdir)
{
	char *path = NULL, *errors = NULL, *written = NULL, *why = NULL, *nl;
	enum tk_compiled_use use = TK_COMPILED_ABSENT;
	struct tk_policy *p = NULL;

	if (tk_policy_locate(&path, gitdir) < 0) {
		fprintf(stderr, "twokey: note: policy not compiled: %s\n",
		    tk_error_last());
		return;
	}
	/* Up to date already: nothing to write (running it again changes
	 * nothing, and the hooks' user need not write the policy's dir). */
	if (tk_policy_load_fast(&p, &errors, &use, &why, path) == 0 &&
	    use == TK_COMPILED_USED)
		goto out;
	free(errors);
	errors = NULL;
	if (tk_policy_compile_file(&errors, &written, path) == 0)
		printf("twokey: %s compiled to %s\n", path, written);
	else {
		if (errors != NULL && (nl = strchr(errors, '\n')) != NULL)
			*nl = '\0';
		fprintf(stderr,
		    "twokey: note: %s not compiled (%s); the hooks parse it "
		    "on every push; see 'twokey config check'\n",
		    path, errors ? errors : "unknown error");
	}
out:
	tk_policy_free(p);
	free(why);
	free(errors);
	free(written);
	free(path);
}

static int
install_repo(const char *repo_path, const char *target, enum how how)
{
	git_repository *repo = NULL;
	char hooks[PATH_MAX], dotd[PATH_MAX + 20];
	struct stat st;
	int rc;

	if ((rc = git_repository_open_ext(
	         &repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) < 0) {
		if (rc == GIT_EOWNER || owned_by_another(repo_path))
			dubious(repo_path);
		else
			fprintf(stderr,
			    "twokey: error: %s: not a git repository (%s)\n",
			    repo_path,
			    git_error_last() && git_error_last()->message
			        ? git_error_last()->message
			        : "cannot open it");
		return -1;
	}
	hooks_dir(hooks, sizeof(hooks), repo, repo_path);
	git_repository_free(repo);
	if (mkdir(hooks, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "twokey: error: cannot create %s: %s\n", hooks,
		    strerror(errno));
		return -1;
	}
	snprintf(dotd, sizeof(dotd), "%s/pre-receive.d", hooks);
	if (stat(dotd, &st) == 0 && S_ISDIR(st.st_mode))
		rc = place(dotd, "twokey", target, how);
	else
		rc = place(hooks, "pre-receive", target, how);
	if (rc < 0 || (rc = advertise_push_options(repo_path)) < 0)
		return rc;
	compile_policy(repo_path);
	return 0;
}

int
cmd_install(int argc, char **argv)
{
	char target[PATH_MAX];
	enum how how = REFUSE;
	int i = 1, failed = 0;

	if (cli_wants_help(argc, argv)) {
		printf(
		    "usage: %s\n\nLinks twokey-pre-receive as the "
		    "pre-receive hook of each repository (or into "
		    "hooks/pre-receive.d/ when the repository has a "
		    "Gitea/GitLab-style dispatcher), or into DIR for a "
		    "server-wide core.hooksPath.  Running it again changes "
		    "nothing.  An existing hook that is not twokey's is left "
		    "alone, unless --force (it is kept as "
		    "pre-receive.twokey-backup and no longer runs) or "
		    "--chain (it moves to pre-receive.d/, a dispatcher runs "
		    "it and twokey both, and the push is refused when "
		    "either refuses).  It also sets "
		    "receive.advertisePushOptions, which push options such as "
		    "-o twokey.dry-run need, and compiles the policy the hooks "
		    "will load (twokey config compile).\n",
		    USAGE);
		return 0;
	}
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-' &&
	     strcmp(argv[i], "--hooks-path") != 0;
	     i++) {
		if (strcmp(argv[i], "--force") == 0 && how == REFUSE)
			how = BACKUP;
		else if (strcmp(argv[i], "--chain") == 0 && how == REFUSE)
			how = CHAIN;
		else
			return cli_usage_error(
			    USAGE, "unexpected option '%s'", argv[i]);
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
		if (place(argv[i + 1], "pre-receive", target, how) < 0)
			return 1;
		compile_policy(NULL);
		printf(
		    "note: set receive.advertisePushOptions=true where these "
		    "hooks run (git config --system "
		    "receive.advertisePushOptions true) so that pushers "
		    "can use -o twokey.dry-run\n");
		return 0;
	}
	for (; i < argc; i++)
		failed |= install_repo(argv[i], target, how) < 0;
	return failed ? 1 : 0;
}
