/*
 * twokey: path globs for the policy's "paths:" entries (docs/spec.md,
 * "Paths and change attributes"; docs/paths.md for examples).
 *
 * A glob matches the whole of a path in the repository, anchored at its
 * root, byte by byte: no locale, no case folding, no UTF-8 decoding.
 *   **        as a whole segment: any number of directories, none included
 *             ("**" + "/x" matches "x"); at the end, everything below
 *             ("infra/" + "**" matches "infra/a" and "infra/a/b", not "infra")
 *   *         any bytes within one segment (dotfiles included)
 *   ?         one byte, not '/'
 *   [...]     one byte of a class: ranges a-z, "!" or "^" first negates,
 *             "]" first is literal, "\" escapes; never '/'
 *   \c        the byte c itself
 *   a/        a trailing '/': everything below directory a (as "a/" + "**")
 *   /a        a leading '/' is allowed and means nothing more (every glob
 *             is anchored)
 * Refused when compiled (TK_EINVAL, message naming the offset): an empty
 * glob or segment ("a//b"), "**" inside a segment ("a**", "**.tf"), a
 * segment "." or "..", an unterminated class or escape, a reversed range,
 * '/' inside a class or escaped.
 */
#ifndef TWOKEY_GLOB_H
#define TWOKEY_GLOB_H

#include <stddef.h>

#define TK_GLOB_MAX_LEN 1024
/*
 * Steps one match may take.  The matcher is iterative and backtracks only
 * to the last "*" (within a segment) and the last "**" (across segments),
 * so a match costs at most about len(glob) * len(path) steps; the bound
 * turns a pathological pair into an error instead of a stall.
 */
#define TK_GLOB_MAX_STEPS 4000000

struct tk_glob;

/*
 * Compiles src (len bytes, NUL bytes refused).  Returns 0 with *out set
 * (free with tk_glob_free), TK_EINVAL with a message "at offset N: why",
 * TK_ETOOBIG over TK_GLOB_MAX_LEN, or TK_ENOMEM; *out is NULL on failure.
 */
int tk_glob_compile(struct tk_glob **out, const char *src, size_t len);

/*
 * Returns 1 when g matches all of path (len bytes, any bytes at all), 0
 * when it does not, or TK_ETOOBIG (message set) past TK_GLOB_MAX_STEPS:
 * callers must treat that as a refusal, never as "no match".
 */
int tk_glob_match(const struct tk_glob *g, const char *path, size_t len);

/*
 * Returns 1 when g matches some path below path (path + "/" + one or
 * more segments), 0 when none, or TK_ETOOBIG or TK_ENOMEM (message set):
 * for a symbolic link or a submodule at path, whose checkout makes such
 * paths exist without any entry of the tree naming them.
 */
int tk_glob_match_below(const struct tk_glob *g, const char *path, size_t len);

/* The source text it was compiled from, NUL-terminated. */
const char *tk_glob_source(const struct tk_glob *g);

void tk_glob_free(struct tk_glob *g);

#endif
