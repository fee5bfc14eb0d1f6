/*
 * Private to lib/engine: a rule's change attributes (paths:, writers,
 * require-trailers:, emails:) and what they add to a chain commit's
 * approvals.  See docs/paths.md.
 */
#ifndef TK_ENGINE_CHANGE_H
#define TK_ENGINE_CHANGE_H

#include "engine.h"

#define TK_HIT_EXAMPLES 3 /* paths named per entry in a message */

/* The paths of a change one paths entry hits: how many, the first few. */
struct tk_hit {
	size_t entry; /* index into rule->paths */
	size_t count; /* distinct paths it matched (at most, when approx) */
	char *ex[TK_HIT_EXAMPLES]; /* the first nex of them */
	size_t nex;
	bool approx; /* several changes were merged: count may repeat paths */
};

/* Hits by entry, sorted by entry. */
struct tk_hitlist {
	struct tk_hit *items;
	size_t n, cap;
};

/* One constraint a paths entry adds: min approvers holding a role of roles */
struct tk_need_group {
	struct tk_roleset roles;
	unsigned min;
	size_t entry;
};

/*
 * What a chain commit's change asks of its approvals (rec->need): the
 * rule's own approvals (when it has an approvals: block) and groups, all
 * to be met at once by the same counted approvers.  from holds every role
 * whose approvals count.
 */
struct tk_need {
	struct tk_roleset from;
	struct tk_need_group *groups;
	size_t ngroups, cap;
	struct tk_hitlist hits; /* what the change touches, per entry */
};

/*
 * The change checks of the current update under rule, on its entering
 * commits recs[0..n) and (when the rule needs them) its chain: emails of
 * every commit, trailers of every chain commit, writers of every commit
 * by the paths its own change touches, and rec->need of every chain
 * commit whose change hits a paths entry with approvals.  Costs nothing
 * for a rule without change attributes.  Findings only; returns 0 or an
 * error that stops the check.
 */
int tk_check_change(struct tk_check *c, const struct tk_rule *rule,
    struct tk_rec *recs, size_t n, const size_t *chain, size_t nchain);

/* The roles whose approvals count for rec (need may be NULL). */
const struct tk_roleset *tk_need_from(
    const struct tk_rule *rule, const struct tk_need *need);

/*
 * Whether a chain commit must be approved at all: the rule has its own
 * approvals, or its change hit an entry with approvals.
 */
bool tk_need_required(const struct tk_rule *rule, const struct tk_need *need);

/*
 * Appends to out what counted (the approvers who counted) still lacks of
 * need and the rule's own approvals, as "N more approvals, and N more from
 * role R for path rule 'GLOB' (paths...)"; nothing when it is met.
 */
void tk_need_missing(const struct tk_check *c, const struct tk_rule *rule,
    const struct tk_need *need, const struct tk_idset *counted,
    struct tk_buf *out);

void tk_need_free(struct tk_need *need);

/* need.c, for change.c: the needs of the chain commits (rec->need) */
int tk_need_build(struct tk_check *c, const struct tk_rule *rule,
    struct tk_rec *recs, size_t n, const size_t *chain, size_t nchain,
    const struct tk_hitlist *own, const struct tk_hitlist *comb);
/*
 * Adds path (len bytes) to entry's hit in l, unless it is one of the
 * examples already; 0 or TK_ENOMEM.
 */
int tk_hitlist_add(
    struct tk_hitlist *l, size_t entry, const char *path, size_t len);
/* Appends "a, b, c and N more" ("and up to N more" when approx). */
void tk_hit_format(struct tk_buf *b, const struct tk_hit *h);
void tk_hitlist_release(struct tk_hitlist *l);

#endif
