/*
 * twokey: ref-name patterns (PCRE2).  A pattern must match the whole
 * subject; evaluation is bounded by match limits so a pathological pattern
 * cannot stall a push.
 */
#ifndef TWOKEY_PATTERN_H
#define TWOKEY_PATTERN_H

#include <stddef.h>

#define TK_PATTERN_MAX_LEN 4096
#define TK_PATTERN_MATCH_LIMIT 100000

struct tk_pattern;

/*
 * Compiles src (len bytes) anchored at both ends.  Returns 0, TK_EINVAL
 * with a message naming the offset and PCRE2's reason, TK_ETOOBIG, or
 * TK_ENOMEM.  *out (caller frees) is NULL on failure.
 */
int tk_pattern_compile(struct tk_pattern **out, const char *src, size_t len);

/*
 * Returns 1 when the pattern matches all of subject, 0 when it does not,
 * or TK_ERROR (message set) when matching failed, for instance because the
 * match limit was reached.  Callers must treat an error as a refusal.
 */
int tk_pattern_match(
    const struct tk_pattern *p, const char *subject, size_t len);

/*
 * Returns 1 when some subject that begins with prefix (len bytes) could
 * match the whole of the pattern src (srclen bytes; prefix itself may be a
 * complete match), 0 when no such subject can, or a negative code when it
 * cannot be decided (src does not compile, a match limit).  "twokey config
 * check" asks it whether a pattern can match any name under "refs/".
 */
int tk_pattern_may_start_with(
    const char *src, size_t srclen, const char *prefix, size_t len);

void tk_pattern_free(struct tk_pattern *p);

#endif
