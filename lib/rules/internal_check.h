/*
 * Private to lib/rules: the state of one tk_check_run().
 */
#ifndef TK_INTERNAL_CHECK_H
#define TK_INTERNAL_CHECK_H

#include "internal.h"
#include "twokey/check.h"
#include "twokey/policy.h"

struct tk_check {
	git_repository *repo;
	const struct tk_policy *p;
	struct tk_updates *u;
	struct tk_report *r;
	int64_t now;
	const char *pusher_why; /* why the pusher is unknown */
	/* Tips of existing refs that vouch for their commits (see vouched) */
	git_oid *vouched[2];
	size_t nvouched[2];
	bool vouched_ready[2];
	size_t cur; /* the update being decided */
};

/*
 * Records a finding about the current update.  commit may be NULL; subject
 * (raw commit bytes) and hint may be NULL; the message is formatted.  All
 * text is sanitized here.  Returns 0 or TK_ENOMEM.
 */
int tk_check_add(struct tk_check *c, enum tk_severity sev,
    const git_oid *commit, const char *subject, size_t subject_len,
    const char *hint, const char *fmt, ...) TK_PRINTF(7, 8);

/* The pusher from the environment or the override; fills c->r. */
int tk_check_pusher(struct tk_check *c, const char *override);

/* Refuses because the pusher is unknown; why_needed ends the message. */
int tk_check_unknown_pusher(struct tk_check *c, const char *why_needed);

/* The commit checks of the current update under rule; findings only. */
int tk_check_commits(struct tk_check *c, const struct tk_rule *rule);

#endif
