/*
 * twokey: opening the repository a hook runs in, and walking the commits
 * that a ref update brings in.
 */
#ifndef TWOKEY_REPO_H
#define TWOKEY_REPO_H

#include <git2.h>
#include <stddef.h>

/* More entering commits than this in one ref update and the push is refused */
#define TK_MAX_ENTERING 1000000

/*
 * Opens the repository named by $GIT_DIR (else the current directory, as
 * git runs hooks there) so that objects still in git's pre-receive
 * quarantine are visible: $GIT_OBJECT_DIRECTORY, $GIT_QUARANTINE_PATH and
 * every entry of $GIT_ALTERNATE_OBJECT_DIRECTORIES (split on ':', with git's
 * C-style quoting of entries that contain one) are added as object
 * directories.  Refuses repositories libgit2 cannot read (SHA-256) with a
 * message saying so.  *out (caller frees) is NULL on failure.
 */
int tk_repo_open(git_repository **out, const char *path);

/*
 * Collects the commits reachable from tip and from none of hide[0..nhide):
 * for an update, hide holds the old value; for a created ref, the tips of
 * the existing refs whose rules vouch for their commits.  Order: newest
 * first, parents after children.  Fails with TK_ETOOBIG past max commits.
 * *out (caller frees) is NULL on failure.
 */
int tk_walk_entering(git_oid **out, size_t *n, git_repository *repo,
    const git_oid *tip, const git_oid *hide, size_t nhide, size_t max);

/*
 * Splits a colon-separated object directory list the way git does: an
 * entry starting with '"' is C-quoted.  Calls fn on each non-empty entry.
 */
int tk_split_alternates(
    const char *list, int (*fn)(const char *dir, void *arg), void *arg);

#endif
