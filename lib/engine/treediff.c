/*
 * Tree against tree(s), without reading a blob (treediff.h).
 *
 * Threats: a pushed tree is attacker data.  It may be deep (a recursive
 * walk would exhaust the stack), wide, or malformed so that git and a
 * naive reader disagree on what it holds (entries out of order, a name
 * twice, a file and a directory of the same name, "/" inside a name).
 * libgit2's diff would also look at blob contents for binary detection
 * and rename scoring, which a path check never needs.  So: one explicit
 * stack, every tree validated as it is read, a merge-walk of the sorted
 * entry lists comparing modes and ids only, and a budget of entries.
 */
#include "treediff.h"

/*
 * One directory being compared: the commit's tree there and the bases'
 * (NULL: empty), with the next entry of each.  The bases' slots of frame d
 * are b[d * nbase ...] and ib[d * nbase ...] of the walk.
 */
struct frame {
	git_tree *t;
	size_t it;
	size_t plen; /* length of the directory's path, with its '/' */
};

struct walk {
	git_repository *repo;
	size_t nbase;
	struct frame *st;
	size_t depth, cap;
	git_tree **b;
	size_t *ib, capb, capib;
	struct tk_buf path;
	size_t *entries;
	int (*fn)(void *, const char *, size_t, bool);
	void *arg;
};

static bool
is_tree(const git_tree_entry *e)
{
	return git_tree_entry_type(e) == GIT_OBJECT_TREE;
}

/* git's order: a tree compares as if its name ended in '/'. */
static int
entry_cmp(const char *a, bool at, const char *b, bool bt)
{
	size_t al = strlen(a), bl = strlen(b), n = al < bl ? al : bl;
	int r = memcmp(a, b, n);
	unsigned char ca, cb;

	if (r != 0)
		return r;
	ca = n < al ? (unsigned char)a[n] : at ? '/' : 0;
	cb = n < bl ? (unsigned char)b[n] : bt ? '/' : 0;
	return ca < cb ? -1 : ca > cb;
}

static int
cmp_entries(const git_tree_entry *a, const git_tree_entry *b)
{
	return entry_cmp(git_tree_entry_name(a), is_tree(a),
	    git_tree_entry_name(b), is_tree(b));
}

/*
 * A file named like directory i, which sorts before it, among [0, i).
 * Everything between such a twin and i starts with the name, so unless
 * entry i - 1 does, there is none; else a binary search finds it.
 */
static bool
file_twin(const git_tree *t, size_t i)
{
	const char *name = git_tree_entry_name(git_tree_entry_byindex(t, i));
	size_t lo = 0, hi = i, mid, n = strlen(name);
	int r;

	if (i == 0 ||
	    strncmp(git_tree_entry_name(git_tree_entry_byindex(t, i - 1)), name,
	        n) != 0)
		return false;
	while (lo < hi) {
		const git_tree_entry *e;

		mid = lo + (hi - lo) / 2;
		e = git_tree_entry_byindex(t, mid);
		r = entry_cmp(git_tree_entry_name(e), is_tree(e), name, false);
		if (r == 0)
			return true;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int
malformed(const git_tree *t, const char *why)
{
	return tk_error_set(TK_EINVAL, "malformed tree %s: %s",
	    git_oid_tostr_s(git_tree_id(t)), why);
}

static int
validate(const git_tree *t)
{
	size_t i, n = git_tree_entrycount(t);
	const git_tree_entry *e, *prev = NULL;
	const char *name;

	for (i = 0; i < n; i++, prev = e) {
		e = git_tree_entry_byindex(t, i);
		name = git_tree_entry_name(e);
		if (name[0] == '\0' || strchr(name, '/') != NULL ||
		    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return malformed(t, "an entry has an invalid name");
		if (prev != NULL && cmp_entries(prev, e) >= 0)
			return malformed(
			    t, "entries out of order or named twice");
		if (is_tree(e) && file_twin(t, i))
			return malformed(
			    t, "a file and a directory have the same name");
	}
	return 0;
}

static int
load(struct walk *w, const git_tree_entry *e, git_tree **out)
{
	const git_oid *id = git_tree_entry_id(e);
	int rc;

	*out = NULL;
	if (git_tree_lookup(out, w->repo, id) < 0)
		return tk_error_set(TK_EGIT, "cannot read tree %s: %s",
		    git_oid_tostr_s(id),
		    git_error_last() ? git_error_last()->message : "?");
	*w->entries += git_tree_entrycount(*out);
	if (*w->entries > TK_DIFF_MAX_ENTRIES)
		return tk_error_set(TK_ETOOBIG,
		    "more than %d tree entries to compare",
		    TK_DIFF_MAX_ENTRIES);
	if ((rc = validate(*out)) < 0)
		return rc;
	return 0;
}

static void
pop(struct walk *w)
{
	struct frame *f = &w->st[--w->depth];
	size_t k;

	git_tree_free(f->t);
	for (k = 0; k < w->nbase; k++)
		git_tree_free(w->b[w->depth * w->nbase + k]);
	tk_buf_truncate(&w->path, f->plen);
}

/* A new, empty frame on top; its path length is the current one. */
static int
grow(struct walk *w)
{
	size_t n = (w->depth + 1) * w->nbase;
	int rc;

	if ((rc = tk_grow(&w->st, &w->cap, w->depth + 1, sizeof(*w->st))) < 0 ||
	    (rc = tk_grow(&w->b, &w->capb, n + 1, sizeof(*w->b))) < 0 ||
	    (rc = tk_grow(&w->ib, &w->capib, n + 1, sizeof(*w->ib))) < 0)
		return rc;
	memset(&w->st[w->depth], 0, sizeof(*w->st));
	memset(&w->b[n - w->nbase], 0, w->nbase * sizeof(*w->b));
	memset(&w->ib[n - w->nbase], 0, w->nbase * sizeof(*w->ib));
	w->st[w->depth++].plen = w->path.len;
	return 0;
}

static const git_tree_entry *
head(const git_tree *t, size_t i)
{
	return t != NULL && i < git_tree_entrycount(t)
	    ? git_tree_entry_byindex(t, i)
	    : NULL;
}

static int
append_name(struct walk *w, const char *name, bool dir)
{
	size_t n = strlen(name);

	if (w->path.len + n + 1 > TK_DIFF_MAX_PATH ||
	    tk_buf_put(&w->path, name, n) < 0 ||
	    (dir && tk_buf_putc(&w->path, '/') < 0)) {
		if (w->path.err == TK_ENOMEM)
			return tk_error_set(TK_ENOMEM, "out of memory");
		return tk_error_set(TK_ETOOBIG,
		    "a path is longer than %d bytes", TK_DIFF_MAX_PATH);
	}
	return 0;
}

/* Pushes the directory x (or none) against the bases' entries b. */
static int
push(struct walk *w, const git_tree_entry *x, const git_tree_entry **b)
{
	const git_tree_entry *any = x;
	size_t k, d;
	int rc;

	for (k = 0; any == NULL && k < w->nbase; k++)
		any = b[k];
	if ((rc = grow(w)) < 0)
		return rc;
	d = w->depth - 1;
	if ((rc = append_name(w, git_tree_entry_name(any), true)) < 0)
		return rc;
	if (x != NULL && (rc = load(w, x, &w->st[d].t)) < 0)
		return rc;
	for (k = 0; k < w->nbase; k++)
		if (b[k] != NULL &&
		    (rc = load(w, b[k], &w->b[d * w->nbase + k])) < 0)
			return rc;
	return 0;
}

static bool
same(const git_tree_entry *a, const git_tree_entry *b, bool dir)
{
	if (a == NULL || b == NULL)
		return a == b;
	return git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)) &&
	    (dir ||
	        git_tree_entry_filemode_raw(a) ==
	            git_tree_entry_filemode_raw(b));
}

/*
 * The smallest head of the top frame's lists; x and b[] get the entries
 * carrying it (advanced past), or NULL.  Returns false when all are done.
 */
static bool
take(struct walk *w, const git_tree_entry **x, const git_tree_entry **b)
{
	struct frame *f = &w->st[w->depth - 1];
	git_tree **bt = w->b + (w->depth - 1) * w->nbase;
	size_t *bi = w->ib + (w->depth - 1) * w->nbase;
	const git_tree_entry *min = head(f->t, f->it), *h;
	size_t k;

	for (k = 0; k < w->nbase; k++)
		if ((h = head(bt[k], bi[k])) != NULL &&
		    (min == NULL || cmp_entries(h, min) < 0))
			min = h;
	if (min == NULL)
		return false;
	*x = NULL;
	if ((h = head(f->t, f->it)) != NULL && cmp_entries(h, min) == 0) {
		*x = h;
		f->it++;
	}
	for (k = 0; k < w->nbase; k++) {
		b[k] = NULL;
		if ((h = head(bt[k], bi[k])) != NULL &&
		    cmp_entries(h, min) == 0) {
			b[k] = h;
			bi[k]++;
		}
	}
	return true;
}

/* A symbolic link or a submodule on any side: paths below it exist. */
static bool
opens_below(const git_tree_entry *x, const git_tree_entry **b, size_t nbase)
{
	size_t k;

	for (k = 0; k <= nbase; k++) {
		const git_tree_entry *e = k == 0 ? x : b[k - 1];

		if (e != NULL &&
		    (git_tree_entry_filemode_raw(e) == GIT_FILEMODE_LINK ||
		        git_tree_entry_filemode_raw(e) == GIT_FILEMODE_COMMIT))
			return true;
	}
	return false;
}

/* One step: the next name of the top directory, or leaving it. */
static int
step(struct walk *w)
{
	const git_tree_entry *x, *b[TK_DIFF_MAX_BASES], *any;
	size_t k, plen = w->path.len;
	bool dir;
	int rc;

	if (!take(w, &x, b)) {
		pop(w);
		return 0;
	}
	for (k = 0, any = x; any == NULL && k < w->nbase; k++)
		any = b[k];
	dir = is_tree(any);
	for (k = 0; k < w->nbase; k++)
		if (same(x, b[k], dir))
			return 0; /* nothing here differs from that base */
	if (dir)
		return push(w, x, b);
	if ((rc = append_name(w, git_tree_entry_name(any), false)) < 0)
		return rc;
	rc = w->fn(
	    w->arg, w->path.ptr, w->path.len, opens_below(x, b, w->nbase));
	tk_buf_truncate(&w->path, plen);
	return rc;
}

static int
root(struct walk *w, const git_oid *tree, const git_oid *const *base)
{
	size_t k;
	int rc;

	if ((rc = grow(w)) < 0)
		return rc;
	for (k = 0; k <= w->nbase; k++) {
		const git_oid *id = k == 0 ? tree : base[k - 1];
		git_tree **slot = k == 0 ? &w->st[0].t : &w->b[k - 1];

		if (id == NULL)
			continue;
		if (git_tree_lookup(slot, w->repo, id) < 0)
			return tk_error_set(TK_EGIT, "cannot read tree %s: %s",
			    git_oid_tostr_s(id),
			    git_error_last() ? git_error_last()->message : "?");
		*w->entries += git_tree_entrycount(*slot);
		if ((rc = validate(*slot)) < 0)
			return rc;
	}
	return *w->entries > TK_DIFF_MAX_ENTRIES
	    ? tk_error_set(TK_ETOOBIG, "more than %d tree entries to compare",
	          TK_DIFF_MAX_ENTRIES)
	    : 0;
}

int
tk_tree_diff(git_repository *repo, const git_oid *tree,
    const git_oid *const *base, size_t nbase, size_t *entries,
    int (*fn)(void *arg, const char *path, size_t len, bool below), void *arg)
{
	struct walk w;
	size_t k;
	int rc;

	if (nbase > TK_DIFF_MAX_BASES)
		return tk_error_set(TK_ETOOBIG, "more than %d trees to compare",
		    TK_DIFF_MAX_BASES);
	for (k = 0; k < nbase; k++)
		if ((tree == NULL && base[k] == NULL) ||
		    (tree != NULL && base[k] != NULL &&
		        git_oid_equal(tree, base[k])))
			return 0; /* same as one base: nothing differs */
	memset(&w, 0, sizeof(w));
	w.repo = repo;
	w.nbase = nbase;
	w.entries = entries;
	w.fn = fn;
	w.arg = arg;
	tk_buf_init(&w.path, TK_DIFF_MAX_PATH + 1);
	if ((rc = root(&w, tree, base)) < 0)
		goto out;
	while (w.depth > 0 && rc == 0)
		rc = step(&w);
out:
	while (w.depth > 0)
		pop(&w);
	free(w.st);
	free(w.b);
	free(w.ib);
	tk_buf_release(&w.path);
	return rc;
}
