/*
 * Shared by the policy review modules (warn.c, access.c, report.c,
 * diff.c): what can be decided about ref patterns from their text alone,
 * and small helpers on identities and keys.
 *
 * The pattern analysis is exact where it answers and conservative where it
 * cannot: "shadows" is only ever true when every ref the later pattern
 * matches is certainly matched by the earlier one, and "disjoint" only when
 * no ref can match both.  A warning that is sometimes wrong would teach
 * admins to ignore warnings.
 */
#ifndef TK_REVIEW_PRIV_H
#define TK_REVIEW_PRIV_H

#include "internal.h"
#include "twokey/policy.h"
#include "twokey/review.h"

/*
 * The text every match of the PCRE2 pattern src begins with: its leading
 * literal characters, escaped punctuation unescaped, stopping at the first
 * metacharacter (and dropping a last character a quantifier makes
 * optional).  Empty when the pattern has a top-level alternative.  *whole:
 * the pattern is nothing but that text (a leading ^ and a final $ or \z
 * aside), so it matches exactly one name.  Returns 0 or a buffer error.
 */
int tk_rx_literal(struct tk_buf *out, const char *src, bool *whole);

/*
 * 1 when src is a catch-all below a literal prefix: "X.*" (every name
 * beginning with X) or "X.+" (*plus set: every name longer than X that
 * begins with it), optionally inside one group and between ^ and $; the
 * prefix X goes to out.  0 when it is not, or a buffer error.
 */
int tk_rx_catchall(struct tk_buf *out, const char *src, bool *plus);

/*
 * True when every ref name that later matches is certainly matched by
 * earlier too: the same text, a literal that earlier matches, or a
 * catch-all earlier whose prefix begins later's literal prefix.
 */
bool tk_rx_shadows(const struct tk_rule *earlier, const struct tk_rule *later);

/*
 * False only when no ref name can match both patterns (two different
 * literals, a literal the other does not match, literal prefixes that
 * differ); true otherwise, decidable or not.
 */
bool tk_rx_may_overlap(const struct tk_rule *a, const struct tk_rule *b);

/* A key an identity can sign with at now: in its window, not revoked. */
bool tk_review_key_usable(
    const struct tk_policy *p, const struct tk_key *k, int64_t now);
bool tk_review_has_usable_key(
    const struct tk_policy *p, const struct tk_identity *id, int64_t now);

/* The roles under which r lets people do k (create falls back to update) */
const struct tk_rolelist *tk_review_push_roles(
    const struct tk_rule *r, enum tk_push_perm k);

/* "2026-12-20" (UTC) for t; "-" for the unbounded ends. */
void tk_review_date(char out[32], int64_t t);

/*
 * Appends "a, b, c" (at most max ids, then "and N more") to b; "nobody"
 * when n is 0.
 */
int tk_review_ids(struct tk_buf *b, const struct tk_identity *const *ids,
    size_t n, size_t max);

#endif
