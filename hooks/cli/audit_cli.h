/*
 * The "twokey audit" subcommands (cmd_audit.c dispatches; each lives in
 * its own file).  Each returns the exit status.
 */
#ifndef TK_AUDIT_CLI_H
#define TK_AUDIT_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "twokey/audit.h"
#include "twokey/evidence.h"

struct tk_policy;

struct audit_opts {
	const char *key_file, *ref, *repo, *pusher, *since, *until;
	const char *decision, *format, *output, *sign;
	const char *anchor; /* verify --anchor HASH */
	bool rotated;
	bool overdue; /* emergencies --overdue */
	const char **files; /* the log files, in chain order */
	size_t nfiles;
	const char **args; /* reconcile: REPO [REF...] */
	size_t nargs;
	struct tk_policy *policy;
	unsigned char *key;
	size_t keylen;
	struct tk_audit_filter filter;
	enum tk_format fmt;
	const char *pg; /* the policy's audit.postgres: read the database */
};

/* Opens the log files for reading; 0, or 1 with a message printed. */
int audit_open(struct tk_audit_reader **r, struct audit_opts *o);
/* Resolves --ref/--repo/--pusher against the log; 0, 1, or 2 (usage). */
int audit_resolve(struct audit_opts *o);
/*
 * Writes bytes to o->output (or stdout), and signs them when o->sign is
 * set; 0 or 1 with a message printed.
 */
int audit_emit(const struct audit_opts *o, const char *bytes, size_t len);

int audit_show(struct audit_opts *o);
int audit_report(struct audit_opts *o);
int audit_stats(struct audit_opts *o);
int audit_reconcile(struct audit_opts *o);
int audit_emergencies(struct audit_opts *o);

#endif
