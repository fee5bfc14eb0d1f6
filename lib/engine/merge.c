/*
 * Evil merges.  A merge commit may carry changes of its own that neither
 * parent had; then its author, committer and signer wrote code too and
 * cannot approve it (docs/spec.md, "Entering commits and the separation
 * rule": evil merges).
 *
 * The automatic merge is recomputed with libgit2.  Merging content writes
 * blobs, and in pre-receive the object store is git's quarantine, so an
 * in-memory backend takes every write and is emptied after each merge.
 */
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include "merge.h"
#include "twokey/commit.h"

static int
scratch_store(git_repository *repo, git_odb_backend **scratch)
{
	git_odb *odb = NULL;
	int rc = 0;

	if (*scratch != NULL)
		return 0;
	if (git_repository_odb(&odb, repo) < 0 ||
	    git_mempack_new(scratch) < 0 ||
	    git_odb_add_backend(odb, *scratch, 1000) < 0) {
		/* on failure the backend was not handed over */
		if (*scratch != NULL)
			(*scratch)->free(*scratch);
		*scratch = NULL;
		rc = tk_error_set(TK_EGIT,
		    "cannot set up a scratch object "
		    "store for merge checks");
	}
	git_odb_free(odb);
	return rc;
}

/* 1 when merge_tree equals the automatic merge of p1 and p2, else 0. */
static int
compare(git_repository *repo, git_odb_backend *scratch, const git_commit *p1,
    const git_commit *p2, git_tree *merge_tree)
{
	git_merge_options opts;
	git_index *idx = NULL;
	git_diff *diff = NULL;
	int rc;

	if (git_merge_options_init(&opts, GIT_MERGE_OPTIONS_VERSION) < 0 ||
	    git_merge_commits(&idx, repo, p1, p2, &opts) < 0) {
		rc = tk_error_set(TK_EGIT, "cannot recompute a merge: %s",
		    git_error_last() ? git_error_last()->message : "?");
		goto out;
	}
	/* A resolved conflict is code someone wrote by hand. */
	if (git_index_has_conflicts(idx)) {
		rc = 0;
		goto out;
	}
	if (git_diff_tree_to_index(&diff, repo, merge_tree, idx, NULL) < 0) {
		rc = tk_error_set(TK_EGIT, "cannot compare a merge: %s",
		    git_error_last() ? git_error_last()->message : "?");
		goto out;
	}
	rc = git_diff_num_deltas(diff) == 0;
out:
	git_diff_free(diff);
	git_index_free(idx);
	git_mempack_reset(scratch);
	return rc;
}

int
tk_merge_clean(
    git_repository *repo, git_odb_backend **scratch, const git_oid *id)
{
	git_commit *m = NULL, *p1 = NULL, *p2 = NULL;
	git_tree *tree = NULL;
	int rc;

	if (git_commit_lookup(&m, repo, id) < 0)
		return tk_error_set(
		    TK_EGIT, "cannot read merge %s", git_oid_tostr_s(id));
	/* Octopus merges cannot be recomputed: their writers count. */
	if (git_commit_parentcount(m) != 2) {
		git_commit_free(m);
		return 0;
	}
	if ((rc = scratch_store(repo, scratch)) < 0)
		goto out;
	if (git_commit_parent(&p1, m, 0) < 0 ||
	    git_commit_parent(&p2, m, 1) < 0 || git_commit_tree(&tree, m) < 0)
		rc = tk_error_set(
		    TK_EGIT, "cannot read merge %s", git_oid_tostr_s(id));
	else
		rc = compare(repo, *scratch, p1, p2, tree);
out:
	git_tree_free(tree);
	git_commit_free(p2);
	git_commit_free(p1);
	git_commit_free(m);
	return rc;
}

int
tk_merge_is_clean(struct tk_check *c, const struct tk_rec *rec)
{
	if (rec->c->nparents != 2)
		return 0;
	return tk_merge_clean(c->repo, &c->mempack, &rec->id);
}
