/*
 * Reading refs/notes/twokey: finding a note by path, parsing its lines,
 * and telling what an update of the notes ref changed.
 *
 * Everything here reads attacker data: the notes ref is pushed like any
 * other ref.  Trees are walked iteratively with explicit bounds (depth
 * 19 at most, TK_NOTES_MAX_ENTRIES entries per comparison), blobs are
 * size-checked before they are read whole, and no string from a note is
 * ever inserted into a hash table.
 */
#include "internal.h"

#include "twokey/notes.h"
#include "twokey/repo.h"
#include "twokey/trailer.h"

#define HEXSZ GIT_OID_HEXSZ

struct tk_notes {
	git_repository *repo;
	git_tree *root; /* NULL: no notes */
};

static int
git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return tk_error_set(TK_EGIT, "%s: %s", what,
	    e && e->message ? e->message : "libgit2 error");
}

int
tk_notes_ref_name(char **out)
{
	return tk_repo_ref_name(out, TK_NOTES_REF);
}

int
tk_notes_tip(git_oid *out, git_repository *repo)
{
	char *name = NULL;
	int rc, r;

	if ((rc = tk_notes_ref_name(&name)) < 0)
		return rc;
	r = git_reference_name_to_id(out, repo, name);
	if (r == GIT_ENOTFOUND)
		rc = 0;
	else if (r < 0)
		rc = git_fail("cannot read the notes ref");
	else
		rc = 1;
	free(name);
	return rc;
}

static int
open_tree(struct tk_notes **out, git_repository *repo, git_tree *root)
{
	struct tk_notes *n;

	if ((n = tk_calloc(1, sizeof(*n))) == NULL) {
		git_tree_free(root);
		return TK_ENOMEM;
	}
	n->repo = repo;
	n->root = root;
	*out = n;
	return 0;
}

int
tk_notes_open(struct tk_notes **out, git_repository *repo, const git_oid *id)
{
	git_object *o = NULL;
	git_tree *root = NULL;
	int rc = 0;

	*out = NULL;
	if (id == NULL)
		return open_tree(out, repo, NULL);
	if (git_object_lookup(&o, repo, id, GIT_OBJECT_ANY) < 0)
		return git_fail("cannot read the notes commit");
	if (git_object_type(o) != GIT_OBJECT_COMMIT)
		rc = tk_error_set(TK_EINVAL,
		    "the notes ref names a %s, not a notes commit",
		    git_object_type2string(git_object_type(o)));
	else if (git_commit_tree(&root, (git_commit *)o) < 0)
		rc = git_fail("cannot read the notes tree");
	git_object_free(o);
	return rc < 0 ? rc : open_tree(out, repo, root);
}

int
tk_notes_open_tree(
    struct tk_notes **out, git_repository *repo, const git_oid *tree)
{
	git_tree *root = NULL;

	*out = NULL;
	if (tree != NULL && git_tree_lookup(&root, repo, tree) < 0)
		return git_fail("cannot read a notes tree");
	return open_tree(out, repo, root);
}

void
tk_notes_free(struct tk_notes *n)
{
	if (n == NULL)
		return;
	git_tree_free(n->root);
	free(n);
}

/*
 * git reads a regular file (100644 or 100755) at a note's path as the
 * note, and anything else there as a non-note entry it ignores.
 */
static bool
is_note_entry(const git_tree_entry *e)
{
	git_filemode_t m = git_tree_entry_filemode(e);

	return m == GIT_FILEMODE_BLOB || m == GIT_FILEMODE_BLOB_EXECUTABLE;
}

static int
blob_size(struct tk_notes *n, const git_oid *id, size_t *sz)
{
	git_odb *odb = NULL;
	git_object_t type;
	int r;

	if (git_repository_odb(&odb, n->repo) < 0)
		return git_fail("cannot open object database");
	r = git_odb_read_header(sz, &type, odb, id);
	git_odb_free(odb);
	if (r < 0)
		return git_fail("cannot read a note");
	if (type != GIT_OBJECT_BLOB)
		return tk_error_set(TK_EINVAL, "a note is a %s, not a blob",
		    git_object_type2string(type));
	return 0;
}

/*
 * Appends the note e names, newline-terminated, within the note bound.
 * The size is checked before the blob is read: a huge blob is refused
 * without being loaded.
 */
static int
append_blob(struct tk_buf *out, size_t base, struct tk_notes *n,
    const git_tree_entry *e)
{
	git_blob *blob = NULL;
	size_t sz = 0;
	int rc;

	if (!is_note_entry(e))
		return 0;
	if ((rc = blob_size(n, git_tree_entry_id(e), &sz)) < 0)
		return rc;
	if (sz > TK_NOTE_MAX_SIZE || out->len - base + sz > TK_NOTE_MAX_SIZE)
		return tk_error_set(
		    TK_ETOOBIG, "note is over %u bytes", TK_NOTE_MAX_SIZE);
	if (git_blob_lookup(&blob, n->repo, git_tree_entry_id(e)) < 0)
		return git_fail("cannot read a note");
	if (git_blob_rawsize(blob) != (git_object_size_t)sz)
		rc = tk_error_set(TK_EINVAL, "a note changed size while read");
	else if ((rc = tk_buf_put(out, git_blob_rawcontent(blob), sz)) == 0 &&
	    sz > 0 && out->ptr[out->len - 1] != '\n')
		rc = tk_buf_putc(out, '\n');
	git_blob_free(blob);
	return rc;
}

int
tk_notes_read(struct tk_buf *out, struct tk_notes *n, const git_oid *id)
{
	char hex[HEXSZ + 1], dir[3];
	git_tree *cur = n->root, *sub = NULL;
	const git_tree_entry *e;
	size_t base = out->len, depth;
	int rc = 0;

	if (cur == NULL)
		return 0;
	git_oid_tostr(hex, sizeof(hex), id);
	/* Depth d: the remaining name hex + 2d, or a directory of 2 more. */
	for (depth = 0; rc == 0 && 2 * depth + 2 < HEXSZ; depth++) {
		if ((e = git_tree_entry_byname(cur, hex + 2 * depth)) != NULL &&
		    (rc = append_blob(out, base, n, e)) < 0)
			break;
		memcpy(dir, hex + 2 * depth, 2);
		dir[2] = '\0';
		if ((e = git_tree_entry_byname(cur, dir)) == NULL ||
		    git_tree_entry_type(e) != GIT_OBJECT_TREE)
			break;
		if (git_tree_lookup(&sub, n->repo, git_tree_entry_id(e)) < 0) {
			rc = git_fail("cannot read a notes tree");
			break;
		}
		if (cur != n->root)
			git_tree_free(cur);
		cur = sub;
		sub = NULL;
	}
	/* The last level: a 2-digit file name completes the 40 digits. */
	if (rc == 0 && 2 * depth + 2 == HEXSZ &&
	    (e = git_tree_entry_byname(cur, hex + 2 * depth)) != NULL)
		rc = append_blob(out, base, n, e);
	if (cur != n->root)
		git_tree_free(cur);
	if (rc < 0)
		tk_buf_truncate(out, base);
	return rc;
}
