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
 * Reads the commit id names as raw bytes: 1 and *out (caller frees with
 * git_odb_object_free) when id names a commit libgit2 can parse; 0 and
 * *out NULL when it names anything else, nothing, or a malformed commit.
 * Readers of commits on a push's path go through here rather than
 * git_object_lookup(): libgit2 caches an object either parsed or raw, and
 * a raw read of an object it holds parsed goes to the disk again (the
 * revision walks and the decision read raw).
 */
int tk_commit_raw(
    git_odb_object **out, git_repository *repo, const git_oid *id);

/*
 * The parents of a commit tk_commit_raw() read, in order: *n of them,
 * at most max written to parents (*n may exceed max).
 */
void tk_commit_raw_parents(
    git_odb_object *raw, git_oid *parents, size_t max, size_t *n);

/*
 * Peels id to a commit: 1 and *out set, 0 when id names no commit (a tag
 * of one is peeled) or one libgit2 cannot parse.  Never fails otherwise.
 */
int tk_peel_commit(git_oid *out, git_repository *repo, const git_oid *id);

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

/*
 * Symbolic refs: git follows at most this many names (the pushed one
 * included) before it calls a symbolic ref broken (refs.c SYMREF_MAXDEPTH).
 */
#define TK_SYMREF_MAXDEPTH 5
/* Longest $GIT_NAMESPACE prefix accepted. */
#define TK_REPO_NS_MAX 4096

/*
 * The prefix git puts before every ref name under the namespace raw (the
 * value of $GIT_NAMESPACE), as git's expand_namespace() builds it: each
 * '/'-separated part p gives "refs/namespaces/p/", empty parts are skipped,
 * so "a/b" is "refs/namespaces/a/refs/namespaces/b/".  NULL or "" gives "".
 * Refuses (TK_EINVAL) what git dies on: a trailing '/', a part that is not
 * a valid ref name component.  *out (caller frees) is NULL on failure.
 */
int tk_repo_ns_prefix(char **out, const char *raw);

/*
 * The name under which the repository stores the ref the hooks call name
 * (for example "refs/notes/twokey"): name itself, or inside $GIT_NAMESPACE
 * when that is set, as git itself looks refs up.  Every ref twokey reads on
 * the server is looked up through this.  *out (caller frees) is NULL on
 * failure (a bad $GIT_NAMESPACE: TK_EINVAL).
 */
int tk_repo_ref_name(char **out, const char *name);

/*
 * The ref git-receive-pack writes when it updates name (a full name as
 * stored, namespace prefix included): name itself when it is a direct ref
 * or does not exist, else the end of its chain of symbolic refs, whether
 * that end exists (git then creates it) or not.  Like git, follows at most
 * TK_SYMREF_MAXDEPTH names.  TK_EINVAL with a message for what git refuses
 * as a broken symref (a loop, a longer chain, a target that is not a valid
 * ref name) and for a ref that cannot be read; TK_ENOMEM.  *out (caller
 * frees) is NULL on failure.
 */
int tk_repo_resolve_ref(char **out, git_repository *repo, const char *name);

/*
 * Whether git-receive-pack writes a pushed name at all: it starts with
 * "refs/" and the rest passes git's check_refname_format() without
 * flags (two components at least; none empty, starting with '.' or
 * ending in ".lock"; no "..", "@{", control, space, ':', '?', '[', '\\',
 * '^', '~' or '*'; not ending in '.'; not "@").  git refuses any other
 * name after pre-receive ("funny refname"), whatever the hook says.
 */
bool tk_repo_refname_pushable(const char *name);

/*
 * Whether the repository ignores case in ref names: core.ignoreCase, as
 * git sets it on a case-insensitive file system (where "refs/heads/MAIN"
 * is the file of "refs/heads/main").  *out is true when the setting
 * cannot be read (TK_EINVAL with a message), else 0.
 */
int tk_repo_ignores_case(git_repository *repo, bool *out);

/*
 * Whether the repository's configuration (its own, the user's, the
 * system's) sets receive.advertisePushOptions true: 0 with *out set, or
 * TK_EINVAL (with *out true) when it cannot be read or is no boolean.
 */
int tk_repo_advertises_push_options(git_repository *repo, bool *out);

#endif
