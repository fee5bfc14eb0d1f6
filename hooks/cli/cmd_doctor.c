/*
 * twokey doctor [--as USER] [REPO]: check an installation end to end.
 *
 * The hooks run as the user git runs them as (under sshd and gitolite the
 * account that owns the repositories, under smart HTTP the web server's),
 * not as the admin who runs doctor.  Root reads and writes everything, so
 * when run as root doctor checks the policy, the audit log and its key as
 * that user: in a child process that drops to its uid and groups.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <git2.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h"
#include "twokey/check.h"
#include "twokey/policy.h"
#include "twokey/repo.h"
#include "banned.h" /* last: after every system header */

#define USAGE "twokey doctor [--as USER] [REPO]"

static int problems;
/* Who the checks run as, for the fix commands ("git", "git:git"). */
static char who[64] = "", owner[160] = "";

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

/* The command that fixes the problem just reported. */
static void fix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
fix(const char *fmt, ...)
{
	va_list ap;

	printf("         fix: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
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

/* The directory git runs hooks from: core.hooksPath, or hooks/. */
static void
hooks_dir(git_repository *repo, char *dir, size_t size)
{
	git_config *cfg = NULL;
	git_buf hp = {NULL, 0, 0};

	if (git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_path(&hp, cfg, "core.hookspath") == 0 && hp.size)
		snprintf(dir, size, "%s%s",
		    hp.ptr[0] == '/' ? "" : git_repository_path(repo), hp.ptr);
	else
		snprintf(dir, size, "%shooks", git_repository_path(repo));
	git_buf_dispose(&hp);
	git_config_free(cfg);
}

/*
 * twokey-update as the update hook, on a repository that advertises push
 * options: it cannot see them (git gives the update hook none), so it
 * refuses every update there (docs/spec.md, "Push options").
 */
static bool
check_update_hook(git_repository *repo)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], target[PATH_MAX];
	bool on;

	hooks_dir(repo, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/update", dir);
	if (realpath(path, target) == NULL ||
	    strcmp(basename(target), "twokey-update") != 0)
		return false;
	/* as the hook reads it: unreadable counts as advertised */
	(void)tk_repo_advertises_push_options(repo, &on);
	if (!on) {
		ok("update hook", path);
		return true;
	}
	bad("update hook",
	    "twokey-update refuses every update here: the repository "
	    "advertises push options (receive.advertisePushOptions), which "
	    "the update hook cannot see");
	fix("git -C %s config receive.advertisePushOptions false",
	    git_repository_path(repo));
	return true;
}

/* The hook git will run: core.hooksPath, a .d dispatcher, or hooks/. */
static void
check_hook(git_repository *repo, bool update)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], target[PATH_MAX];
	struct stat st;

	hooks_dir(repo, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/pre-receive.d/twokey", dir);
	if (lstat(path, &st) != 0)
		snprintf(path, sizeof(path), "%s/pre-receive", dir);
	if ((stat(path, &st) != 0 || !(st.st_mode & S_IXUSR)) && update) {
		printf(
		    "note     no pre-receive hook: twokey runs as the update "
		    "hook\n");
		return;
	}
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

/*
 * git's commit-graph file: without it, creating a ref deep in a large
 * history makes the hook read commits one by one to prove where the new
 * tip lies (docs/performance.md, "Created refs").  A note, not a problem.
 */
static void
check_commit_graph(git_repository *repo)
{
	const char *gd = git_repository_path(repo);
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%sobjects/info/commit-graph", gd);
	if (stat(path, &st) == 0) {
		ok("commit-graph", path);
		return;
	}
	snprintf(path, sizeof(path),
	    "%sobjects/info/commit-graphs/commit-graph-chain", gd);
	if (stat(path, &st) == 0) {
		ok("commit-graph", path);
		return;
	}
	printf("note     no commit-graph file: creating a ref deep in a long "
	       "history makes the hook read its commits one by one; write "
	       "one with 'git -C %s commit-graph write --reachable' (git gc "
	       "and git maintenance keep it up to date)\n",
	    gd);
}

/* An environment value, bounded and with control characters replaced. */
static void
shown(char *out, size_t size, const char *v)
{
	struct tk_buf b = TK_BUF_INIT(4 * TK_LOGIN_MAX_LEN);

	if (tk_sanitize(&b, v, strlen(v), TK_LOGIN_MAX_LEN) < 0 || !b.ptr)
		snprintf(out, size, "?");
	else
		snprintf(out, size, "%s", b.ptr);
	tk_buf_release(&b);
}

static void
check_pusher(const struct tk_policy *p)
{
	char msg[2048], a[1100], b[1100];
	const char *login, *var, *other;
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
	/* What a push from this environment would see, as the hooks decide. */
	if ((login = tk_pusher_from_env(p, &var, &other)) == NULL)
		return;
	shown(a, sizeof(a), login);
	if (other != NULL) {
		shown(b, sizeof(b), getenv(other));
		snprintf(msg, sizeof(msg),
		    "%s='%s' and %s='%s' name different logins here: the hooks "
		    "then treat the pusher as unknown and refuse every push a "
		    "rule needs the pusher for; list in pusher.env only the "
		    "variables the front end sets",
		    var, a, other, b);
		bad("pusher", msg);
	} else if (!tk_valid_name(login, strlen(login), TK_LOGIN_MAX_LEN)) {
		snprintf(msg, sizeof(msg),
		    "%s='%s' is too long or holds control characters: the hooks "
		    "treat the pusher as unknown",
		    var, a);
		bad("pusher", msg);
	} else {
		const struct tk_identity *id =
		    tk_policy_by_login(p, login, strlen(login));

		if (id != NULL) {
			snprintf(msg, sizeof(msg),
			    "login '%s' (from %s) is identity '%s'", a, var,
			    id->id);
			ok("pusher", msg);
		} else
			printf(
			    "note     pusher: login '%s' (from %s) is in no "
			    "identity's logins: a push from this environment "
			    "would be refused where a rule needs the pusher\n",
			    a, var);
	}
}

/* A file the hooks create (the log, its head): writable, or creatable. */
static void
check_writable(const char *path, const char *what)
{
	char copy[PATH_MAX], msg[PATH_MAX + 64], okmsg[128];
	const char *dir;
	struct stat st;

	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (access(path, W_OK) == 0 ||
	    (errno == ENOENT && access(dir, W_OK | X_OK) == 0)) {
		snprintf(okmsg, sizeof(okmsg), "%s writable", what);
		ok(okmsg, path);
		return;
	}
	snprintf(msg, sizeof(msg),
	    "%s not writable%s%s (pushes will be refused)", what,
	    *who ? " by " : "", who);
	bad(msg, path);
	if (*who == '\0')
		return;
	if (stat(dir, &st) != 0)
		fix("sudo install -d -o %s -m 0750 %s", owner, dir);
	else if (access(path, F_OK) == 0)
		fix("sudo chown %s %s", owner, path);
	else
		fix("sudo chown %s %s && sudo chmod 0750 %s", owner, dir, dir);
}

/*
 * audit.postgres: the connection file must be readable by the hooks' user
 * (it holds the password: never printed, only its path).  Reaching the
 * database is left to `twokey audit verify`, which reads the chain.
 */
static void
check_audit_pg(const struct tk_policy *p)
{
	struct stat st;

	printf("note     audit: PostgreSQL (audit.postgres), node %s\n",
	    p->audit_node ? p->audit_node : "(the host name)");
	if (access(p->audit_postgres, R_OK) != 0) {
		bad(*who ? "audit database connection file unreadable by the "
		           "hooks' user (pushes will be refused)"
		         : "audit database connection file unreadable (pushes "
		           "will be refused)",
		    p->audit_postgres);
		if (*who != '\0' && access(p->audit_postgres, F_OK) == 0)
			fix("sudo chown %s %s && sudo chmod 0600 %s", owner,
			    p->audit_postgres, p->audit_postgres);
		return;
	}
	ok("audit database connection file readable", p->audit_postgres);
	if (stat(p->audit_postgres, &st) == 0 && (st.st_mode & 0044) != 0)
		printf("warning  %s is readable by group or others: it holds "
		       "the database password (chmod 0600)\n",
		    p->audit_postgres);
	printf("note     'twokey audit verify' reaches the database and "
	       "checks its chain\n");
}

/*
 * A key others can read lets them recompute every HMAC of the chain; one
 * that is not a regular file (a FIFO) refuses every push.
 */
static void
check_key_mode(const char *key)
{
	struct stat st;

	if (stat(key, &st) < 0 || !S_ISREG(st.st_mode)) {
		bad("audit key is not a regular file (pushes will be refused)",
		    key);
		return;
	}
	if ((st.st_mode & 077) == 0) {
		ok("audit key readable", key);
		return;
	}
	bad("audit key open to group or others (whoever reads it can "
	    "rewrite the chain with valid HMACs)",
	    key);
	fix("sudo chmod 0600 %s", key);
}

static void
check_audit(const struct tk_policy *p)
{
	char head[PATH_MAX];

	if (p->audit_postgres != NULL) {
		check_audit_pg(p);
		return;
	}
	if (p->audit_path == NULL) {
		printf("note     audit.path is not set: decisions are not "
		       "recorded\n");
		return;
	}
	check_writable(p->audit_path, "audit log");
	snprintf(head, sizeof(head), "%s.head", p->audit_path);
	if (access(head, F_OK) == 0)
		check_writable(head, "audit head file");
	if (p->audit_key_file == NULL)
		return;
	if (access(p->audit_key_file, R_OK) == 0) {
		check_key_mode(p->audit_key_file);
		return;
	}
	bad(*who ? "audit key unreadable by the hooks' user (pushes will be "
	           "refused)"
	         : "audit key unreadable (pushes will be refused)",
	    p->audit_key_file);
	if (*who != '\0' && access(p->audit_key_file, F_OK) == 0)
		fix("sudo chown %s %s && sudo chmod 0600 %s", owner,
		    p->audit_key_file, p->audit_key_file);
	else if (*who != '\0')
		fix("sudo sh -c 'umask 077; head -c 32 /dev/urandom > %s' && "
		    "sudo chown %s %s",
		    p->audit_key_file, owner, p->audit_key_file);
}

/* The policy as the hooks would load it, and what uses it. */
static void
check_policy(git_repository *repo)
{
	struct tk_policy *p = NULL;
	char *path = NULL, *errors = NULL;

	if (tk_policy_locate(&path, git_repository_path(repo)) < 0)
		bad("policy", "cannot be located");
	else if (tk_policy_load(&p, &errors, path) < 0) {
		bad("policy", path);
		printf("%s", errors ? errors : "");
		if (*who != '\0' && access(path, F_OK) == 0 &&
		    access(path, R_OK) != 0)
			fix("sudo chmod 0644 %s   (the policy holds no secret; "
			    "its directories need o+x too)",
			    path);
	} else {
		ok("policy", path);
		check_pusher(p);
		check_audit(p);
	}
	tk_policy_free(p);
	free(errors);
	free(path);
}

/*
 * Runs check_policy() as the user u in a child process, after dropping
 * root (supplementary groups first, then the gid, then the uid, and
 * checking there is no way back).  Its problems count in ours.
 */
static void
as_user(git_repository *repo, const struct cli_user *u, bool asked)
{
	gid_t groups[TK_ARRAY_SIZE(u->groups)];
	pid_t pid;
	int st, i;

	printf("note     checking the policy and the audit log as %s (uid %u)%s"
	       "\n",
	    u->name, u->uid,
	    asked ? ""
	          : ", the repository's owner: the hooks run as that user "
	            "under sshd and gitolite (use --as USER for another, such "
	            "as www-data under smart HTTP)");
	fflush(stdout);
	for (i = 0; i < u->ngroups; i++)
		groups[i] = (gid_t)u->groups[i];
	if ((pid = fork()) < 0) {
		bad("cannot fork to check as the hooks' user", strerror(errno));
		return;
	}
	if (pid == 0) {
		if (setgroups((size_t)u->ngroups, groups) != 0 ||
		    setgid((gid_t)u->gid) != 0 || setuid((uid_t)u->uid) != 0 ||
		    (u->uid != 0 && setuid(0) == 0)) {
			printf("PROBLEM  cannot become %s: %s\n", u->name,
			    strerror(errno));
			fflush(stdout);
			_exit(1);
		}
		problems = 0;
		check_policy(repo);
		fflush(stdout);
		_exit(problems > 100 ? 100 : problems);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st))
		problems += WEXITSTATUS(st);
	else
		bad("the check as the hooks' user died", u->name);
}

/*
 * Whom to check as: --as USER, else, when root, the owner of the
 * repository; 1 with *u set, 0 for ourselves, -1 on error.
 */
static int
hook_user(struct cli_user *u, const char *as, git_repository *repo)
{
	struct stat st;

	if (as != NULL) {
		if (cli_user_find(u, as, 0) < 0) {
			fprintf(stderr,
			    "twokey: error: no local user '%s' (in /etc/passwd)\n",
			    as);
			return -1;
		}
		if (u->uid != (unsigned)geteuid() && geteuid() != 0) {
			fprintf(stderr,
			    "twokey: error: only root can check as another "
			    "user; run 'sudo -u %s twokey doctor' instead\n",
			    as);
			return -1;
		}
		return 1;
	}
	if (geteuid() != 0 || stat(git_repository_path(repo), &st) != 0 ||
	    st.st_uid == 0 || cli_user_find(u, NULL, (unsigned)st.st_uid) < 0)
		return 0;
	return 1;
}

int
cmd_doctor(int argc, char **argv)
{
	git_repository *repo = NULL;
	git_buf dir = {NULL, 0, 0};
	struct cli_user u;
	const char *as = NULL, *where = ".";
	int i;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n\nChecks that the hook is installed in REPO "
		       "(default: the repository here), that the policy the "
		       "hook would use is readable and valid, which pusher "
		       "variables are set, and that the audit log is "
		       "writable and its key readable, and prints the command "
		       "that fixes each problem.  Run as root, it checks the "
		       "policy and the audit log as the repository's owner "
		       "(the user the hooks run as under sshd and gitolite), "
		       "or as USER with --as (www-data for smart HTTP).  Exit "
		       "status 0 when all is well.\n",
		    USAGE);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--as") == 0 && i + 1 < argc)
			as = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage_error(
			    USAGE, "unknown option '%s'", argv[i]);
		else if (where[0] == '.' && where[1] == '\0' &&
		    argv[i][0] != '\0')
			where = argv[i];
		else
			return cli_usage_error(USAGE, "too many arguments");
	}
	/* As the hooks do: git decides whom to trust, not the file owner. */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if (git_repository_discover(&dir, where, 0, NULL) < 0 ||
	    git_repository_open(&repo, dir.ptr) < 0) {
		bad("repository",
		    git_error_last() && git_error_last()->message
		        ? git_error_last()->message
		        : "not found");
		git_buf_dispose(&dir);
		return 1;
	}
	ok("repository", git_repository_path(repo));
	check_hook(repo, check_update_hook(repo));
	check_commit_graph(repo);
	if ((i = hook_user(&u, as, repo)) < 0)
		problems++;
	else {
		if (i == 0 && cli_user_find(&u, NULL, (unsigned)geteuid()) < 0)
			snprintf(u.name, sizeof(u.name), "uid %u",
			    (unsigned)geteuid());
		snprintf(who, sizeof(who), "%s", u.name);
		snprintf(owner, sizeof(owner), "%s:%s", u.name,
		    u.group[0] ? u.group : u.name);
		if (i == 1 && u.uid != (unsigned)geteuid())
			as_user(repo, &u, as != NULL);
		else
			check_policy(repo);
	}
	git_repository_free(repo);
	git_buf_dispose(&dir);
	printf("%d problem%s\n", problems, problems == 1 ? "" : "s");
	return problems ? 1 : 0;
}
