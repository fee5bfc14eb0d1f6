/*
 * Private to lib/engine.
 */
#ifndef TK_ENGINE_APPROVALS_H
#define TK_ENGINE_APPROVALS_H

#include "engine.h"

struct tk_approval_trailer;

/*
 * The separation rule for one chain commit: writers is the set of writers
 * of the change it answers for.  Adds findings; returns 0 or an error.
 */
int tk_check_approvals(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tk_idset *writers);

/*
 * Whether approval t, whose signature was checked into s, is a valid
 * approval under p at time now (docs/spec.md, the separation rule, point
 * 4): it parsed, its signature verifies over the commit's approval
 * payload, its key is in the policy, not revoked, inside its validity
 * window at now, and the email it names belongs to the key's identity.
 * Returns NULL with *key set when valid, else why not (a constant, or
 * text in why); writers, roles and the pusher are the caller's to judge.
 */
const char *tk_approval_invalid(const struct tk_policy *p, int64_t now,
    const struct tk_sigres *s, const struct tk_approval_trailer *t,
    const struct tk_key **key, struct tk_buf *why);

#endif
