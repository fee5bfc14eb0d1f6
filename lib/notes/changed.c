/*
 * Which notes an update of the notes ref touches: the two notes trees
 * are walked side by side, descending only where a subtree differs, so
 * adding one note to 10,000 reads two or three trees.  When git changes
 * the fanout (all notes move one level down) everything differs and the
 * walk reads every entry once, within the caller's budget of entries.
 *
 * Every entry that differs must be a note or a fanout directory as git
 * writes them: anything else in the notes tree (a README, an executable,
 * a symlink, a submodule, an upper-case or misplaced name) could be read
 * differently by git and by twokey, or carry content nobody reviewed.
 */
#include "internal.h"

#include "twokey/notes.h"

#define HEXSZ GIT_OID_HEXSZ

/* A pair of subtrees at the same path; a zero id is an absent side. */
struct frame {
	git_oid a, b;
	char prefix[HEXSZ + 1];
	size_t plen;
};

struct walk {
	git_repository *repo;
	struct frame *stack;
	size_t top;
	git_oid *ids;
	size_t nids;
	size_t *budget;
	char *bad;
};

static int
git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return tk_error_set(TK_EGIT, "%s: %s", what,
	    e && e->message ? e->message : "libgit2 error");
}

static bool
lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

enum kind { NOTE, DIR, BAD };

/*
 * What entry e at prefix is.  The new side must be exactly what git
 * writes (100644); the old side may also hold git's other regular mode.
 */
static enum kind
classify(const git_tree_entry *e, size_t plen, bool newside)
{
	const char *name = git_tree_entry_name(e);
	size_t n = strlen(name);
	git_filemode_t m = git_tree_entry_filemode(e);

	if (!lower_hex(name, n))
		return BAD;
	if (m == GIT_FILEMODE_TREE)
		return n == 2 && plen + 2 < HEXSZ ? DIR : BAD;
	if (m != GIT_FILEMODE_BLOB &&
	    (newside || m != GIT_FILEMODE_BLOB_EXECUTABLE))
		return BAD;
	return plen + n == HEXSZ ? NOTE : BAD;
}

static int
set_bad(struct walk *w, const struct frame *f, const git_tree_entry *e,
    bool newside)
{
	struct tk_buf b = TK_BUF_INIT(1024);

	(void)tk_buf_printf(&b, "'%.*s%s%s' %s", (int)f->plen, f->prefix,
	    f->plen ? "/" : "", git_tree_entry_name(e),
	    newside ? "is not a note as git writes them (a blob with mode "
	              "100644 named by a commit id, under 2-digit fanout "
	              "directories)"
	            : "was a non-note entry, and the update changes or "
	              "removes it");
	if ((w->bad = tk_buf_detach(&b, NULL)) == NULL)
		return TK_ENOMEM;
	return 0;
}

static int
add_note(struct walk *w, const struct frame *f, const git_tree_entry *e)
{
	char hex[HEXSZ + 1];

	snprintf(hex, sizeof(hex), "%.*s%s", (int)f->plen, f->prefix,
	    git_tree_entry_name(e));
	if (tk_grow_one(&w->ids, w->nids, sizeof(*w->ids)) < 0)
		return TK_ENOMEM;
	if (git_oid_fromstrn(&w->ids[w->nids], hex, HEXSZ) < 0)
		return tk_error_set(TK_EINVAL, "bad note name '%s'", hex);
	w->nids++;
	return 0;
}

static int
push(struct walk *w, const struct frame *f, const git_tree_entry *ea,
    const git_tree_entry *eb)
{
	struct frame *n;
	const char *name = git_tree_entry_name(ea ? ea : eb);

	if (tk_grow_one(&w->stack, w->top, sizeof(*w->stack)) < 0)
		return TK_ENOMEM;
	n = &w->stack[w->top++];
	memset(n, 0, sizeof(*n));
	if (ea != NULL)
		git_oid_cpy(&n->a, git_tree_entry_id(ea));
	if (eb != NULL)
		git_oid_cpy(&n->b, git_tree_entry_id(eb));
	memcpy(n->prefix, f->prefix, f->plen);
	memcpy(n->prefix + f->plen, name, 2);
	n->plen = f->plen + 2;
	return 0;
}

static bool
same(const git_tree_entry *x, const git_tree_entry *y)
{
	return x != NULL && y != NULL &&
	    git_tree_entry_filemode(x) == git_tree_entry_filemode(y) &&
	    git_oid_equal(git_tree_entry_id(x), git_tree_entry_id(y));
}

/*
 * One entry of one side that the other side lacks or holds differently.
 * A pair of directories is pushed once, from the new side.
 */
static int
visit(struct walk *w, const struct frame *f, const git_tree_entry *e,
    const git_tree_entry *other, bool newside)
{
	enum kind k = classify(e, f->plen, newside);
	bool other_dir =
	    other != NULL && classify(other, f->plen, !newside) == DIR;

	if (k == BAD)
		return set_bad(w, f, e, newside);
	if (k == NOTE)
		return add_note(w, f, e);
	if (newside)
		return push(w, f, other_dir ? other : NULL, e);
	return other_dir ? 0 : push(w, f, e, NULL);
}

/* git's tree order: a directory sorts as if its name ended with '/'. */
static int
entry_cmp(const git_tree_entry *x, const git_tree_entry *y)
{
	const char *a = git_tree_entry_name(x), *b = git_tree_entry_name(y);
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
	int c = memcmp(a, b, n);
	unsigned char ca, cb;

	if (c != 0)
		return c;
	ca = n < la                                     ? (unsigned char)a[n]
	    : git_tree_entry_type(x) == GIT_OBJECT_TREE ? '/'
	                                                : 0;
	cb = n < lb                                     ? (unsigned char)b[n]
	    : git_tree_entry_type(y) == GIT_OBJECT_TREE ? '/'
	                                                : 0;
	return ca - cb;
}

/*
 * A tree git would write has its entries strictly in git's order.  A
 * crafted one (duplicates, disorder) could show git a note that a binary
 * search by name never finds, so the new side must be in order.
 */
static int
check_order(struct walk *w, const struct frame *f, const git_tree *t)
{
	size_t i, n = git_tree_entrycount(t);

	for (i = 1; i < n; i++)
		if (entry_cmp(git_tree_entry_byindex(t, i - 1),
		        git_tree_entry_byindex(t, i)) >= 0) {
			struct tk_buf b = TK_BUF_INIT(1024);

			(void)tk_buf_printf(&b,
			    "the notes tree '%.*s' has entries out of git's "
			    "order or twice (not a tree git writes)",
			    (int)f->plen, f->plen ? f->prefix : "/");
			if ((w->bad = tk_buf_detach(&b, NULL)) == NULL)
				return TK_ENOMEM;
			return 0;
		}
	return 0;
}

static int
load(git_tree **t, git_repository *repo, const git_oid *id)
{
	*t = NULL;
	if (git_oid_is_zero(id))
		return 0;
	if (git_tree_lookup(t, repo, id) < 0)
		return git_fail("cannot read a notes tree");
	return 0;
}

/* Compares the two trees of frame f (a copy: the stack may move). */
static int
compare(struct walk *w, struct frame f)
{
	git_tree *ta = NULL, *tb = NULL;
	const git_tree_entry *e, *o;
	size_t i, na, nb;
	int rc;

	if ((rc = load(&ta, w->repo, &f.a)) < 0 ||
	    (rc = load(&tb, w->repo, &f.b)) < 0)
		goto out;
	na = ta ? git_tree_entrycount(ta) : 0;
	nb = tb ? git_tree_entrycount(tb) : 0;
	if (na + nb > *w->budget) {
		*w->budget = 0;
		rc = tk_error_set(TK_ETOOBIG,
		    "the notes update reads more than %d tree entries",
		    TK_NOTES_MAX_ENTRIES);
		goto out;
	}
	*w->budget -= na + nb;
	if (tb != NULL && (rc = check_order(w, &f, tb)) < 0)
		goto out;
	for (i = 0; i < nb && rc == 0 && w->bad == NULL; i++) {
		e = git_tree_entry_byindex(tb, i);
		o = ta ? git_tree_entry_byname(ta, git_tree_entry_name(e))
		       : NULL;
		if (!same(e, o))
			rc = visit(w, &f, e, o, true);
	}
	for (i = 0; i < na && rc == 0 && w->bad == NULL; i++) {
		e = git_tree_entry_byindex(ta, i);
		o = tb ? git_tree_entry_byname(tb, git_tree_entry_name(e))
		       : NULL;
		if (!same(e, o))
			rc = visit(w, &f, e, o, false);
	}
out:
	git_tree_free(ta);
	git_tree_free(tb);
	return rc;
}

static int
oid_cmp(const void *x, const void *y)
{
	return git_oid_cmp(x, y);
}

int
tk_notes_changed(git_oid **ids, size_t *n, char **bad, git_repository *repo,
    const git_oid *a, const git_oid *b, size_t *budget)
{
	struct walk w;
	struct frame root;
	size_t i, k;
	int rc = 0;

	*ids = NULL;
	*n = 0;
	*bad = NULL;
	memset(&w, 0, sizeof(w));
	memset(&root, 0, sizeof(root));
	w.repo = repo;
	w.budget = budget;
	if (a != NULL)
		git_oid_cpy(&root.a, a);
	if (b != NULL)
		git_oid_cpy(&root.b, b);
	if (!git_oid_equal(&root.a, &root.b))
		rc = compare(&w, root);
	while (rc == 0 && w.bad == NULL && w.top > 0)
		rc = compare(&w, w.stack[--w.top]);
	if (rc == 0 && w.nids > 1) {
		qsort(w.ids, w.nids, sizeof(*w.ids), oid_cmp);
		for (i = 1, k = 1; i < w.nids; i++)
			if (!git_oid_equal(&w.ids[k - 1], &w.ids[i]))
				w.ids[k++] = w.ids[i];
		w.nids = k;
	}
	free(w.stack);
	if (rc < 0) {
		free(w.ids);
		free(w.bad);
		return rc;
	}
	*ids = w.ids;
	*n = w.nids;
	*bad = w.bad;
	return 0;
}
