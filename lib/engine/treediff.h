/*
 * Private to lib/engine: which paths a commit changes, from tree objects
 * alone.
 */
#ifndef TK_ENGINE_TREEDIFF_H
#define TK_ENGINE_TREEDIFF_H

#include <git2.h>

#include "internal.h"

/* Longest path compared; a longer one is an error, never skipped. */
#define TK_DIFF_MAX_PATH 16384
/* Tree entries read for one ref update, over all of its commits. */
#define TK_DIFF_MAX_ENTRIES 50000000
/* Trees compared at once: a commit and its parents. */
#define TK_DIFF_MAX_BASES 64

/*
 * Calls fn(arg, path, len) once for every path of a file, symlink or
 * submodule whose entry in tree differs from its entry in each of
 * base[0..nbase): a path absent on one side differs from one present, and
 * a change of mode alone or of a submodule's commit is a change.  With
 * one base that is the change from base to tree (an exact rename shows
 * both names, a deleted or added directory every path below it); with
 * none, every path of tree; with a merge's parents, the paths it holds as
 * none of them did.  below is true when the entry is a symbolic link or
 * a submodule on any side: a checkout then shows paths below it that no
 * tree entry names.  A NULL id is the empty tree.  path is NUL-terminated
 * and may hold any byte but NUL.
 *
 * Reads tree objects only, never blobs, walking iteratively and skipping
 * every subtree equal to a base's.  Each tree read is checked as git fsck
 * does: entries in git's order, no name twice (as a file and a directory
 * neither), no empty name, no '/', "." or "..": anything else is
 * TK_EINVAL, because git and twokey could read such a tree differently.
 * *entries counts the tree entries read; past TK_DIFF_MAX_ENTRIES, or on a
 * path over TK_DIFF_MAX_PATH bytes, TK_ETOOBIG.  Returns 0, fn's first
 * negative return, TK_EINVAL, TK_ETOOBIG, TK_EGIT (an object cannot be
 * read) or TK_ENOMEM, with a message naming the tree or the path.
 */
int tk_tree_diff(git_repository *repo, const git_oid *tree,
    const git_oid *const *base, size_t nbase, size_t *entries,
    int (*fn)(void *arg, const char *path, size_t len, bool below), void *arg);

#endif
