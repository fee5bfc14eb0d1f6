/*
 * Evil merges.  A merge commit may carry changes of its own that neither
 * parent had; then its author, committer and signer wrote code too and
 * cannot approve it (docs/spec.md, "Entering commits and the separation
 * rule": evil merges).
 *
 * The automatic merge is recomputed with libgit2: two parents as git's
 * default merge does, more as git's octopus strategy folds them
 * (git-merge-octopus.sh).  Where libgit2 cannot reproduce what git may
 * have done (a .gitattributes merge driver, a directory rename, several
 * merge bases in an octopus), the merge is not clean, so the merger
 * counts as a writer (stricter), and a note says why.  Merging content
 * and writing trees creates objects, and in pre-receive the object store
 * is git's quarantine, so an in-memory backend takes every write and is
 * emptied after each merge.
 */
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include "merge.h"
#include "twokey/commit.h"

/*
 * Bounds on the work spent explaining a merge that is not clean (attacker
 * trees): paths looked at, of them paths whose directories are searched
 * for .gitattributes, directory levels, attribute file size.
 */
#define WHY_MAX_PATHS 64
#define WHY_ATTR_PATHS 16
#define WHY_MAX_DEPTH 32
#define ATTR_MAX_BLOB (256u * 1024)

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

static int
git_fail(const char *what)
{
	return tk_error_set(TK_EGIT, "cannot %s: %s", what,
	    git_error_last() ? git_error_last()->message : "?");
}

/* Whether a .gitattributes text sets, unsets or specifies "merge". */
static bool
names_merge_attr(const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i + 5 <= n; i++) {
		if (memcmp(s + i, "merge", 5) != 0 ||
		    (i > 0 && s[i - 1] != ' ' && s[i - 1] != '\t' &&
		        s[i - 1] != '-' && s[i - 1] != '!'))
			continue;
		k = i + 5;
		if (k == n || s[k] == '=' || s[k] == ' ' || s[k] == '\t' ||
		    s[k] == '\n' || s[k] == '\r')
			return true;
	}
	return false;
}

/* Whether dir/.gitattributes in tree (dir "" for the root) names merge. */
static bool
attr_file_names_merge(
    git_repository *repo, const git_tree *tree, const char *dir, size_t dlen)
{
	char path[4096];
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	bool hit = false;

	if (dlen + sizeof("/.gitattributes") > sizeof(path))
		return false;
	snprintf(path, sizeof(path), "%.*s%s.gitattributes", (int)dlen, dir,
	    dlen ? "/" : "");
	if (git_tree_entry_bypath(&e, tree, path) == 0 &&
	    git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
	    git_blob_lookup(&b, repo, git_tree_entry_id(e)) == 0 &&
	    git_blob_rawsize(b) <= ATTR_MAX_BLOB)
		hit = names_merge_attr(
		    git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	git_tree_entry_free(e);
	return hit;
}

/*
 * Whether a .gitattributes file on the way to path, in any of the trees,
 * names a merge attribute: git may then have merged path with a driver
 * (union, binary, a custom merge.*.driver) that libgit2 does not run.
 */
static bool
path_has_merge_attr(git_repository *repo, git_tree *const *trees, size_t ntrees,
    const char *path)
{
	const char *p = path, *slash;
	size_t t, dlen = 0, depth;

	for (depth = 0; depth <= WHY_MAX_DEPTH; depth++) {
		for (t = 0; t < ntrees; t++)
			if (trees[t] != NULL &&
			    attr_file_names_merge(repo, trees[t], path, dlen))
				return true;
		if ((slash = strchr(p, '/')) == NULL)
			return false;
		dlen = (size_t)(slash - path);
		p = slash + 1;
	}
	return false;
}

/*
 * Why twokey cannot reproduce git here, judged from the paths that differ.
 * The attributes git merged with were the merger's work tree: the first
 * parent's, or the merge's own when it changed them; the other parents'
 * are not read.
 */
static const char *
why_paths(git_repository *repo, git_tree *const *trees, size_t ntrees,
    const char *const *paths, size_t npaths)
{
	size_t i;

	if (ntrees > 2)
		ntrees = 2; /* the merge's tree, then its first parent's */
	for (i = 0; i < npaths && i < WHY_ATTR_PATHS; i++)
		if (path_has_merge_attr(repo, trees, ntrees, paths[i]))
			return "a .gitattributes file names a merge driver, "
			       "which twokey does not run as git does";
	return NULL;
}

/* The merge's tree, then its parents' trees in order. */
struct trees {
	git_tree *t[TK_COMMIT_MAX_PARENTS + 1];
	size_t n;
};

/* Why the conflicts of idx may be git's to resolve and not libgit2's. */
static const char *
why_conflicts(git_repository *repo, const struct trees *tr, git_index *idx)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *a, *o, *t;
	const char *paths[WHY_MAX_PATHS];
	const char *why = NULL;
	size_t n = 0;
	bool gitlink = false;

	if (git_index_conflict_iterator_new(&it, idx) < 0)
		return NULL;
	while (
	    n < WHY_MAX_PATHS && git_index_conflict_next(&a, &o, &t, it) == 0) {
		const git_index_entry *e = o != NULL ? o : t != NULL ? t : a;

		gitlink |= (o && o->mode == GIT_FILEMODE_COMMIT) ||
		    (t && t->mode == GIT_FILEMODE_COMMIT);
		if (e != NULL)
			paths[n++] = e->path;
	}
	why = why_paths(repo, tr->t, tr->n, paths, n);
	if (why == NULL && gitlink)
		why = "a submodule changed on both sides, which git may "
		      "fast-forward and libgit2 does not";
	git_index_conflict_iterator_free(it);
	return why;
}

/*
 * Why the difference d (libgit2's merge -> the merge's tree) may be git's
 * own doing: a merge driver, or files moved the way git's directory
 * rename detection moves them (libgit2 detects file renames only).
 */
static const char *
why_diff(git_repository *repo, const struct trees *tr, git_diff *d)
{
	git_diff_find_options fo;
	const char *paths[WHY_MAX_PATHS];
	size_t i, n = git_diff_num_deltas(d), k = 0, moved = 0;
	const char *why;

	for (i = 0; i < n && k < WHY_MAX_PATHS; i++)
		paths[k++] = git_diff_get_delta(d, i)->new_file.path;
	if ((why = why_paths(repo, tr->t, tr->n, paths, k)) != NULL)
		return why;
	if (git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION) <
	        0 ||
	    (fo.flags = GIT_DIFF_FIND_RENAMES | GIT_DIFF_FIND_EXACT_MATCH_ONLY,
	        git_diff_find_similar(d, &fo)) < 0)
		return NULL;
	n = git_diff_num_deltas(d);
	for (i = 0; i < n; i++)
		moved += git_diff_get_delta(d, i)->status == GIT_DELTA_RENAMED;
	return n > 0 && moved == n
	    ? "files moved as git's directory rename detection moves them, "
	      "which libgit2 does not do"
	    : NULL;
}

/* 1 when tree equals idx's content, else 0 (*why may say why); <0 error */
static int
same_as_index(git_repository *repo, const struct trees *tr, git_tree *tree,
    git_index *idx, const char **why)
{
	git_diff *diff = NULL;
	int rc;

	/* A resolved conflict is code someone wrote by hand. */
	if (git_index_has_conflicts(idx)) {
		*why = why_conflicts(repo, tr, idx);
		return 0;
	}
	if (git_diff_tree_to_index(&diff, repo, tree, idx, NULL) < 0)
		return git_fail("compare a merge");
	rc = git_diff_num_deltas(diff) == 0;
	if (rc == 0)
		*why = why_diff(repo, tr, diff);
	git_diff_free(diff);
	return rc;
}

/* Two parents: git's default merge (renames, a recursive virtual base). */
static int
two_parents(git_repository *repo, const struct trees *tr, git_commit *const *p,
    git_tree *tree, const char **why)
{
	git_merge_options opts;
	git_index *idx = NULL;
	int rc;

	if (git_merge_options_init(&opts, GIT_MERGE_OPTIONS_VERSION) < 0 ||
	    git_merge_commits(&idx, repo, p[0], p[1], &opts) < 0)
		return git_fail("recompute a merge");
	rc = same_as_index(repo, tr, tree, idx, why);
	git_index_free(idx);
	return rc;
}

/* git-merge-octopus.sh's loop: in[0] the head merged now, then MRC. */
struct octo {
	git_oid in[TK_COMMIT_MAX_PARENTS + 1];
	size_t nmrc;
	git_oid mrt; /* the tree merged so far */
	bool non_ff;
};

/* The tree of the commit id; 0 or an error. */
static int
tree_of(git_tree **out, git_repository *repo, const git_oid *id)
{
	git_commit *cm = NULL;
	int rc = 0;

	if (git_commit_lookup(&cm, repo, id) < 0 ||
	    git_commit_tree(out, cm) < 0)
		rc = git_fail("read a merge's parent");
	git_commit_free(cm);
	return rc;
}

/* read-tree -m --aggressive base MRT head, then merge-one-file. */
static int
octopus_merge(git_repository *repo, const struct trees *tr, struct octo *o,
    const git_oid *base, const char **why)
{
	git_tree *b = NULL, *ours = NULL, *theirs = NULL;
	git_merge_options opts;
	git_index *idx = NULL;
	int rc;

	/* no rename detection: read-tree compares paths */
	if ((rc = tree_of(&b, repo, base)) < 0 ||
	    (rc = tree_of(&theirs, repo, &o->in[0])) < 0)
		goto out;
	if (git_tree_lookup(&ours, repo, &o->mrt) < 0 ||
	    git_merge_options_init(&opts, GIT_MERGE_OPTIONS_VERSION) < 0 ||
	    (opts.flags = 0,
	        git_merge_trees(&idx, repo, b, ours, theirs, &opts)) < 0) {
		rc = git_fail("recompute an octopus merge");
		goto out;
	}
	/* git's octopus stops at a conflict: the merger resolved it */
	if (git_index_has_conflicts(idx)) {
		*why = why_conflicts(repo, tr, idx);
		rc = 0;
	} else if (git_index_write_tree_to(&o->mrt, idx, repo) < 0)
		rc = git_fail("write an octopus merge's tree");
	else
		rc = 1;
out:
	git_index_free(idx);
	git_tree_free(theirs);
	git_tree_free(ours);
	git_tree_free(b);
	return rc;
}

/*
 * git's octopus fast-forwards while no head needed a real merge: the
 * result so far is then head's tree as it is.  1, or an error.
 */
static int
fast_forward(git_repository *repo, struct octo *o, const git_oid *head)
{
	git_tree *t = NULL;
	int rc;

	if ((rc = tree_of(&t, repo, head)) < 0)
		return rc;
	git_oid_cpy(&o->mrt, git_tree_id(t));
	git_oid_cpy(&o->in[1], head);
	git_tree_free(t);
	return 1;
}

/* One more head: 1 merged, 0 when git would stop or differ (*why). */
static int
octopus_step(git_repository *repo, const struct trees *tr, struct octo *o,
    const git_oid *head, const char **why)
{
	git_oidarray bases = {NULL, 0};
	size_t i;
	int rc;

	git_oid_cpy(&o->in[0], head);
	rc = git_merge_bases_many(&bases, repo, o->nmrc + 1, o->in);
	if (rc == GIT_ENOTFOUND)
		return 0; /* git's octopus refuses unrelated histories */
	if (rc < 0)
		return git_fail("find an octopus merge's bases");
	rc = -1;
	for (i = 0; i < bases.count; i++)
		if (git_oid_equal(&bases.ids[i], head))
			rc = 1; /* already up to date with head */
	if (rc < 0 && !o->non_ff && bases.count == 1 && o->nmrc == 1 &&
	    git_oid_equal(&bases.ids[0], &o->in[1]))
		rc = fast_forward(repo, o, head);
	else if (rc < 0 && bases.count != 1) {
		*why = "several merge bases, which git's octopus strategy "
		       "merges in ways twokey does not follow";
		rc = 0;
	} else if (rc < 0) {
		o->non_ff = true;
		if ((rc = octopus_merge(repo, tr, o, &bases.ids[0], why)) == 1)
			git_oid_cpy(&o->in[++o->nmrc], head);
	}
	git_oidarray_dispose(&bases);
	return rc;
}

/* Three or more parents, folded pairwise as git's octopus does. */
static int
octopus(git_repository *repo, const struct trees *tr, git_commit *const *p,
    size_t n, git_tree *tree, const char **why)
{
	git_tree *t = NULL;
	git_diff *d = NULL;
	struct octo *o;
	size_t i;
	int rc = 1;

	if ((o = tk_calloc(1, sizeof(*o))) == NULL)
		return TK_ENOMEM;
	git_oid_cpy(&o->in[1], git_commit_id(p[0]));
	git_oid_cpy(&o->mrt, git_commit_tree_id(p[0]));
	o->nmrc = 1;
	for (i = 1; i < n && rc == 1; i++)
		rc = octopus_step(repo, tr, o, git_commit_id(p[i]), why);
	if (rc == 1 && !git_oid_equal(&o->mrt, git_tree_id(tree))) {
		rc = 0;
		if (git_tree_lookup(&t, repo, &o->mrt) < 0 ||
		    git_diff_tree_to_tree(&d, repo, t, tree, NULL) < 0)
			rc = git_fail("compare an octopus merge");
		else
			*why = why_diff(repo, tr, d);
	}
	git_diff_free(d);
	git_tree_free(t);
	free(o);
	return rc;
}

static void
free_trees(struct trees *tr, git_commit **p, size_t n)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		git_tree_free(tr->t[i]);
	for (i = 0; i < n; i++)
		git_commit_free(p[i]);
}

int
tk_merge_clean(git_repository *repo, git_odb_backend **scratch,
    const git_oid *id, const char **why)
{
	git_commit *m = NULL, *p[TK_COMMIT_MAX_PARENTS] = {NULL};
	const char *dummy = NULL;
	struct trees tr;
	size_t n = 0;
	int rc = 0;

	why = why != NULL ? why : &dummy;
	*why = NULL;
	memset(&tr, 0, sizeof(tr));
	if (git_commit_lookup(&m, repo, id) < 0)
		return tk_error_set(
		    TK_EGIT, "cannot read merge %s", git_oid_tostr_s(id));
	if (git_commit_parentcount(m) < 2 ||
	    git_commit_parentcount(m) > TK_COMMIT_MAX_PARENTS)
		goto out;
	if ((rc = scratch_store(repo, scratch)) < 0)
		goto out;
	if (git_commit_tree(&tr.t[tr.n++], m) < 0)
		rc = git_fail("read a merge");
	for (; rc == 0 && n < git_commit_parentcount(m); n++)
		if (git_commit_parent(&p[n], m, (unsigned)n) < 0 ||
		    git_commit_tree(&tr.t[tr.n++], p[n]) < 0)
			rc = git_fail("read a merge's parents");
	if (rc == 0)
		rc = n == 2 ? two_parents(repo, &tr, p, tr.t[0], why)
		            : octopus(repo, &tr, p, n, tr.t[0], why);
	git_mempack_reset(*scratch);
out:
	free_trees(&tr, p, n);
	git_commit_free(m);
	return rc;
}

/* Whether this update already has the note about merge id. */
static bool
noted(const struct tk_check *c, const char *hex)
{
	size_t i;

	for (i = 0; i < c->r->nfindings; i++) {
		const struct tk_finding *f = &c->r->findings[i];

		if (f->sev == TK_SEV_NOTE && f->update == c->cur &&
		    strcmp(f->commit, hex) == 0 &&
		    strncmp(f->what, "twokey cannot reproduce", 23) == 0)
			return true;
	}
	return false;
}

int
tk_merge_is_clean(struct tk_check *c, const struct tk_rec *rec)
{
	char hex[GIT_OID_HEXSZ + 1];
	const char *why = NULL, *subj;
	size_t sl;
	int rc;

	if (rec->c->nparents < 2)
		return 0;
	if ((rc = tk_merge_clean(c->repo, &c->mempack, &rec->id, &why)) != 0 ||
	    why == NULL)
		return rc;
	git_oid_tostr(hex, sizeof(hex), &rec->id);
	if (noted(c, hex))
		return 0;
	subj = tk_commit_subject(rec->c, &sl);
	rc = tk_check_add(c, TK_SEV_NOTE, &rec->id, subj, sl, NULL,
	    "twokey cannot reproduce git's merge here (%s), so the merge's "
	    "author, committer and signer count as writers of the change",
	    why);
	return rc < 0 ? rc : 0;
}
