/*
 * Private to lib/engine: what a created ref may stand on (docs/spec.md,
 * "Entering commits"): the refs that vouch for its commits, the
 * trusted-history commits, and proofs that a commit lies on the
 * first-parent chain of one of them.
 */
#ifndef TK_ENGINE_HISTORY_H
#define TK_ENGINE_HISTORY_H

#include "engine.h"

/*
 * The tips of the existing refs that vouch for the commits a ref created
 * under rule brings in: refs whose governing rule is rule or one at least
 * as strict (tk_rule_vouches_for).  *tips is borrowed from c, valid until
 * the next call.  0, or an error that stops the check.
 */
int tk_history_vouched(struct tk_check *c, const struct tk_rule *rule,
    const git_oid **tips, size_t *n);

/*
 * The policy's trusted-history commits, each checked once to be a commit
 * of the repository.  *ok false (and a refusal of the current update,
 * naming the missing id) when one is not: the policy then cannot be
 * applied as written, so nothing is decided by it (fail closed).
 * c->trusted and c->ntrusted are set when *ok.  0 or an error.
 */
int tk_history_trusted(struct tk_check *c, bool *ok);

/* How tk_history_on_chain may search. */
struct tk_chain_proof {
	bool found; /* tip is on the first-parent chain of starts[by] */
	size_t by;
	bool bounded; /* gave up early (by commit date): not exact */
};

/*
 * Whether tip lies on the first-parent chain of one of starts[0..n) (a
 * start itself included); starts[0..nfirst) are tried before the others,
 * so pr->by names one of them when it can.  Uses the commit-graph's generation
 * numbers to stop each walk once it is below tip; without a usable graph, walks
 * the objects, and unless exact gives up past a day older than tip's commit
 * date (then pr->bounded: "not found" is not a proof).  A damaged graph
 * is dropped and the walk redone without it.  0 or an error (TK_ETOOBIG
 * past TK_MAX_ENTERING object reads).
 */
int tk_history_on_chain(struct tk_check *c, const git_oid *tip,
    const git_oid *starts, size_t n, size_t nfirst, bool exact,
    struct tk_chain_proof *pr);

/*
 * For the audit record: whether hiding the trusted commits kept any commit
 * from entering that hiding others[0..nothers) alone would not have.
 * recs[0..n) are the entering commits (parsed), tip the new value.
 */
int tk_history_trusted_hid(struct tk_check *c, const struct tk_rec *recs,
    size_t n, const git_oid *tip, const git_oid *others, size_t nothers,
    bool *hid);

void tk_history_release(struct tk_check *c);

#endif
