/*
 * Ref updates as git hands them to the hooks, and their classification.
 *
 * stdin and argv come from git-receive-pack, but a hook can be run by
 * anyone who can run programs on the server, and a front end may pass
 * strange ref names; every field is checked before use.
 */
#include "internal.h"
#include "twokey/check.h"
#include "twokey/repo.h"

static bool
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool
is_zero(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '0')
			return false;
	return true;
}

static int
add(struct tk_updates *u, const char *old, size_t oldlen, const char *nw,
    size_t newlen, const char *ref, size_t reflen, size_t lineno)
{
	struct tk_update *up;

	if (oldlen != newlen || (oldlen != 40 && oldlen != 64) ||
	    !is_hex(old, oldlen) || !is_hex(nw, newlen))
		return tk_error_set(
		    TK_EINVAL, "ref update %zu: malformed object id", lineno);
	if (u->hexlen != 0 && u->hexlen != oldlen)
		return tk_error_set(TK_EINVAL,
		    "ref update %zu: object ids of mixed length", lineno);
	if (!tk_valid_name(ref, reflen, TK_REF_MAX_LEN))
		return tk_error_set(
		    TK_EINVAL, "ref update %zu: invalid ref name", lineno);
	/* Neither a create nor a delete: git never sends it. */
	if (is_zero(old, oldlen) && is_zero(nw, newlen))
		return tk_error_set(TK_EINVAL,
		    "ref update %zu: old and new object ids are both zero",
		    lineno);
	if (u->n >= TK_UPDATES_MAX_REFS)
		return tk_error_set(TK_ETOOBIG,
		    "more than %d ref updates in one push",
		    TK_UPDATES_MAX_REFS);
	if (oldlen == 64)
		return tk_error_set(TK_EUNSUPPORTED,
		    "SHA-256 repositories are not supported yet");
	if (tk_grow(&u->items, &u->cap, u->n + 1, sizeof(*u->items)) < 0)
		return TK_ENOMEM;
	up = &u->items[u->n];
	memset(up, 0, sizeof(*up));
	if ((up->ref = tk_strndup(ref, reflen)) == NULL)
		return TK_ENOMEM;
	if (git_oid_fromstrn(&up->old_id, old, oldlen) < 0 ||
	    git_oid_fromstrn(&up->new_id, nw, newlen) < 0) {
		free(up->ref);
		return tk_error_set(
		    TK_EINVAL, "ref update %zu: malformed object id", lineno);
	}
	u->hexlen = oldlen;
	u->n++;
	return 0;
}

/*
 * git never names a ref twice in one push; a list that does was not
 * written by git, and deciding each line alone could approve a value git
 * does not write.
 */
static int
once_each(const struct tk_updates *u)
{
	struct tk_map *seen = NULL;
	void *dup;
	size_t i;
	int rc = 0;

	if (u->n < 2)
		return 0;
	if ((rc = tk_map_new(&seen)) < 0)
		return rc;
	for (i = 0; rc == 0 && i < u->n; i++) {
		dup = NULL;
		rc = tk_map_put_borrowed(seen, u->items[i].ref,
		    strlen(u->items[i].ref), &u->items[i], &dup);
		if (rc < 0 && dup != NULL)
			rc = tk_error_set(TK_EINVAL,
			    "ref update %zu: %s is named twice in one push",
			    i + 1, u->items[i].ref);
	}
	tk_map_free(seen);
	return rc;
}

int
tk_updates_parse(struct tk_updates *u, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl, *sp1, *sp2;
	size_t lineno = 0;
	int rc;

	if (len > TK_UPDATES_MAX_INPUT)
		return tk_error_set(TK_ETOOBIG, "ref update list too large");
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return tk_error_set(TK_EINVAL,
			    "ref update %zu: line not terminated", lineno);
		sp1 = memchr(p, ' ', (size_t)(nl - p));
		sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(nl - sp1 - 1)) : NULL;
		if (sp1 == NULL || sp2 == NULL)
			return tk_error_set(TK_EINVAL,
			    "ref update %zu: expected '<old> <new> <ref>'",
			    lineno);
		if ((rc = add(u, p, (size_t)(sp1 - p), sp1 + 1,
		         (size_t)(sp2 - sp1 - 1), sp2 + 1,
		         (size_t)(nl - sp2 - 1), lineno)) < 0)
			return rc;
		p = nl + 1;
	}
	return once_each(u);
}

int
tk_updates_from_args(struct tk_updates *u, int argc, char *const *argv)
{
	if (argc != 3 && argc != 7)
		return tk_error_set(TK_EINVAL,
		    "expected 'REF OLD NEW' (or gitolite's 7 VREF arguments), "
		    "got %d arguments",
		    argc);
	return add(u, argv[1], strlen(argv[1]), argv[2], strlen(argv[2]),
	    argv[0], strlen(argv[0]), 1);
}

void
tk_updates_release(struct tk_updates *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->items[i].ref);
		free(u->items[i].target);
		free(u->items[i].broken);
	}
	free(u->items);
	memset(u, 0, sizeof(*u));
}

const char *
tk_kind_name(enum tk_kind k)
{
	switch (k) {
	case TK_KIND_CREATE:
		return "create";
	case TK_KIND_DELETE:
		return "delete";
	case TK_KIND_FAST_FORWARD:
		return "update";
	default:
		return "force-push";
	}
}

/*
 * Whether old is an ancestor of new.  Some commit reachable from new but
 * not from old has old as a parent exactly when it is: so the answer costs
 * a walk of the commits the update brings in, like the rest of the check,
 * and not a search of the whole history (libgit2 1.5's
 * git_graph_descendant_of can read all of it).  Past TK_MAX_ENTERING
 * commits the update counts as a force-push, the stricter answer.
 */
static int
reaches(git_repository *repo, const git_oid *nw, const git_oid *old)
{
	git_revwalk *w = NULL;
	git_commit *c = NULL;
	git_odb_object *raw = NULL;
	git_oid id, parents[8];
	size_t n = 0, i;
	int found = 0, r;

	/* the usual push: old is a parent of new (no walk, new read raw) */
	if (tk_commit_raw(&raw, repo, nw) == 1) {
		tk_commit_raw_parents(raw, parents, 8, &n);
		git_odb_object_free(raw);
		for (i = 0; i < n && i < 8; i++)
			if (git_oid_equal(&parents[i], old))
				return 1;
		n = 0;
	}
	if (git_revwalk_new(&w, repo) < 0 || git_revwalk_push(w, nw) < 0 ||
	    git_revwalk_hide(w, old) < 0) {
		git_revwalk_free(w);
		return tk_error_set(TK_EGIT, "cannot walk commits");
	}
	while (!found && n++ < TK_MAX_ENTERING &&
	    (r = git_revwalk_next(&id, w)) == 0) {
		if (git_commit_lookup(&c, repo, &id) < 0)
			break;
		for (i = 0; i < git_commit_parentcount(c) && !found; i++)
			found = git_oid_equal(
			    git_commit_parent_id(c, (unsigned)i), old);
		git_commit_free(c);
	}
	git_revwalk_free(w);
	return found;
}

static int
classify(struct tk_update *up, git_repository *repo)
{
	git_oid oc, nc;
	int a, b;

	if (git_oid_is_zero(&up->old_id)) {
		up->kind = TK_KIND_CREATE;
		return 0;
	}
	if (git_oid_is_zero(&up->new_id)) {
		up->kind = TK_KIND_DELETE;
		return 0;
	}
	/* Moving a tag rewrites what a name meant: never a fast-forward. */
	up->kind = TK_KIND_FORCE;
	if (strncmp(TK_UPDATE_NAME(up), "refs/tags/", 10) == 0)
		return 0;
	a = tk_peel_commit(&oc, repo, &up->old_id);
	b = tk_peel_commit(&nc, repo, &up->new_id);
	if (a == 1 && b == 1 &&
	    (git_oid_equal(&oc, &nc) || reaches(repo, &nc, &oc) == 1))
		up->kind = TK_KIND_FAST_FORWARD;
	return 0;
}

int
tk_updates_classify(struct tk_updates *u, git_repository *repo)
{
	size_t i;
	int rc;

	for (i = 0; i < u->n; i++)
		if ((rc = classify(&u->items[i], repo)) < 0)
			return rc;
	return 0;
}
