/*
 * twokey: the command-line tool for admins, reviewers and auditors.
 */
#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "twokey/audit.h"
#include "twokey/digest.h"
#include "twokey/error.h"
#include "twokey/hook.h"
#include "banned.h" /* last: after every system header */

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
    {"approve", cmd_approve,
        "approve a commit or a range: signed notes in "
        "refs/notes/twokey (--push publishes them)"},
    {"audit", cmd_audit,
        "'audit verify' the log's hash chain; 'audit "
        "show' decisions"},
    {"check", cmd_check, "say what the hook would decide for REF OLD NEW"},
    {"config", cmd_config,
        "'config check [FILE]': validate a policy; 'config "
        "allowed-signers [FILE]': its keys for OpenSSH"},
    {"doctor", cmd_doctor,
        "check the hook, policy, pusher variables and "
        "audit log"},
    {"freeze", cmd_freeze, "'freeze start|stop|status': ad hoc change freezes"},
    {"install", cmd_install, "put the hooks into repositories"},
};

static int
help(FILE *f, int status)
{
	size_t i;

	fprintf(f,
	    "usage: twokey <command> [<args>]\n\n"
	    "Separation of duties for git pushes.  Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(
		    f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
	    "\n'twokey <command> --help' describes each; see also "
	    "twokey(1) and twokey-policy(5).\n");
	return status;
}

int
cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "twokey: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", usage);
	return 2;
}

int
cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	size_t i;
	int status;

	if (argc < 2)
		return help(stderr, 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return help(stdout, 0);
	if (strcmp(argv[1], "--version") == 0) {
		printf("twokey %s\n", tk_version());
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (tk_crypto_init(true) < 0) {
			fprintf(stderr, "twokey: error: %s\n", tk_error_last());
			return 1;
		}
		git_libgit2_init();
		status = commands[i].fn(argc - 1, argv + 1);
		tk_audit_pg_end();
		git_libgit2_shutdown();
		return status;
	}
	fprintf(stderr, "twokey: error: unknown command '%s'\n", argv[1]);
	return help(stderr, 2);
}
