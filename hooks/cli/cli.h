/*
 * The twokey command line: one file per command, dispatched by main.c.
 * Each command returns the process exit status.
 */
#ifndef TK_CLI_H
#define TK_CLI_H

#include <stddef.h>

int cmd_approve(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_freeze(int argc, char **argv);
int cmd_install(int argc, char **argv);

struct tk_buf;

/* Flags of cli_run(). */
#define CLI_RUN_STDIN 1 /* the child reads our stdin (else /dev/null) */
#define CLI_RUN_C_LOCALE 2 /* LC_ALL=C: messages we parse, untranslated */

/*
 * Runs argv[0] (found on PATH) with argv, waits for it and returns its
 * exit status, or -1 when it could not be run or died of a signal.  Its
 * stdout goes into out and its stderr into err, each up to the buffer's
 * maximum (the rest is dropped; b->err says so); a NULL buffer leaves
 * that stream to ours.
 */
int cli_run(
    char *const argv[], struct tk_buf *out, struct tk_buf *err, int flags);

/*
 * git config --get KEY, run through git so that "git -c", includes and
 * conditional config count: 0 with *value (caller frees, trailing newline
 * removed), 1 when unset (*value NULL), -1 on error (message printed).
 */
int cli_git_config(char **value, const char *key);

struct tk_policy;

/*
 * Prints policy p's keys as an OpenSSH allowed_signers file on stdout
 * (config_signers.c).  0, or -1 when the output could not be written.
 */
int cli_allowed_signers(const struct tk_policy *p);

/*
 * Loads file, or when NULL the policy the hooks would use here; on
 * failure prints every error to stderr and returns -1.  *path (caller
 * frees) is the file read, set even on failure when known.
 */
int cli_load_policy(struct tk_policy **out, char **path, const char *file);

/*
 * The ref names of the repository at path, sorted; -1 (message printed)
 * when it cannot be read.  Free with cli_refs_free().
 */
int cli_repo_refs(char ***out, size_t *n, const char *path);
void cli_refs_free(char **refs, size_t n);

/* twokey config report/diff/replay (cmd_config.c dispatches). */
int cmd_config_report(int argc, char **argv);
int cmd_config_diff(int argc, char **argv);
int cmd_config_replay(int argc, char **argv);

/*
 * A local account, read from /etc/passwd and /etc/group directly: the
 * programs are static, and a static glibc loading NSS modules (systemd's,
 * LDAP's) at run time can crash, so only local accounts are seen.
 */
struct cli_user {
	char name[64];
	char group[64]; /* the primary group's name */
	unsigned uid, gid;
	unsigned groups[64]; /* the primary group and supplementary ones */
	int ngroups;
};

/* By name (name != NULL) or by uid; 0, or -1 when there is no such user. */
int cli_user_find(struct cli_user *u, const char *name, unsigned uid);

/* Prints "twokey: error: ..." to stderr and returns exit status 2. */
int cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True when argv[1] asks for help. */
int cli_wants_help(int argc, char **argv);

#endif
