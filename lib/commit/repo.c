/*
 * Opening the hook's repository with the quarantine visible.
 *
 * In pre-receive the pushed objects live only in a temporary object
 * directory ($GIT_OBJECT_DIRECTORY / $GIT_QUARANTINE_PATH, or GitLab's
 * objects/incoming-*), with the real store listed in
 * $GIT_ALTERNATE_OBJECT_DIRECTORIES.  libgit2's FROM_ENV open reads these
 * but does not unquote git's C-quoted entries, so a repository path with a
 * ':' breaks it; we open the repository plainly and add every directory
 * ourselves.
 */
#include <sys/stat.h>

#include "internal.h"
#include "twokey/repo.h"

static int
git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return tk_error_set(TK_EGIT, "%s: %s", what,
	    e && e->message ? e->message : "libgit2 error");
}

/* Unquotes one C-quoted entry starting at s (on '"'); sets *end. */
static int
unquote(struct tk_buf *b, const char *s, const char **end)
{
	int rc;

	for (s++; *s != '\0' && *s != '"'; s++) {
		char c = *s;

		if (c == '\\') {
			s++;
			if (*s >= '0' && *s <= '3' && s[1] >= '0' &&
			    s[1] <= '7' && s[2] >= '0' && s[2] <= '7') {
				c = (char)((s[0] - '0') * 64 +
				    (s[1] - '0') * 8 + (s[2] - '0'));
				s += 2;
			} else if (*s == 'n')
				c = '\n';
			else if (*s == 't')
				c = '\t';
			else if (*s == '\\' || *s == '"')
				c = *s;
			else
				return tk_error_set(TK_EINVAL,
				    "bad quoting in object directory list");
		}
		if ((rc = tk_buf_putc(b, c)) < 0)
			return rc;
	}
	if (*s != '"')
		return tk_error_set(
		    TK_EINVAL, "unterminated quote in object directory list");
	*end = s + 1;
	return 0;
}

int
tk_split_alternates(
    const char *list, int (*fn)(const char *, void *), void *arg)
{
	struct tk_buf b = TK_BUF_INIT(65536);
	const char *s = list, *e = NULL;
	int rc = 0;

	while (rc == 0 && *s != '\0') {
		tk_buf_reset(&b);
		if (*s == '"') {
			if ((rc = unquote(&b, s, &e)) < 0)
				break;
		} else {
			e = strchr(s, ':');
			if (e == NULL)
				e = s + strlen(s);
			if ((rc = tk_buf_put(&b, s, (size_t)(e - s))) < 0)
				break;
		}
		if (b.len > 0)
			rc = fn(b.ptr, arg);
		s = *e == ':' ? e + 1 : e;
		if (*s != '\0' && s == e) {
			rc = tk_error_set(
			    TK_EINVAL, "bad object directory list");
			break;
		}
	}
	tk_buf_release(&b);
	return rc;
}

static int
add_dir(const char *dir, void *arg)
{
	git_odb *odb = arg;
	struct stat st;

	/* A listed directory that vanished holds nothing we could miss. */
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (git_odb_add_disk_alternate(odb, dir) < 0)
		return git_fail("cannot add object directory");
	return 0;
}

static int
add_quarantine(git_repository *repo)
{
	const char *v;
	git_odb *odb = NULL;
	int rc = 0;

	if (git_repository_odb(&odb, repo) < 0)
		return git_fail("cannot open object database");
	if ((v = getenv("GIT_QUARANTINE_PATH")) != NULL && *v != '\0')
		rc = add_dir(v, odb);
	if (rc == 0 && (v = getenv("GIT_OBJECT_DIRECTORY")) != NULL &&
	    *v != '\0')
		rc = add_dir(v, odb);
	if (rc == 0 && (v = getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES")) != NULL)
		rc = tk_split_alternates(v, add_dir, odb);
	git_odb_free(odb);
	return rc;
}

/*
 * libgit2 1.5 opens git's commit-graph file on the first revision walk and
 * checks the whole file's checksum with its collision-detecting SHA-1
 * first: about 17 ms of every push on a 100,000-commit history, where the
 * walk of a small push reads a few commits.  The decision reads the graph
 * itself, and only to prove where a created ref's tip lies
 * (lib/commit/cgraph.c), so libgit2 is told to use none.
 */
static int
no_libgit2_graph(git_repository *repo)
{
	git_odb *odb = NULL;
	int rc = 0;

	if (git_repository_odb(&odb, repo) < 0 ||
	    git_odb_set_commit_graph(odb, NULL) < 0)
		rc = git_fail("cannot open the object database");
	git_odb_free(odb);
	return rc;
}

int
tk_repo_open(git_repository **out, const char *path)
{
	git_repository *repo = NULL;
	const char *dir = path;
	int rc;

	*out = NULL;
	if (dir == NULL && ((dir = getenv("GIT_DIR")) == NULL || *dir == '\0'))
		dir = ".";
	if (git_repository_open_ext(
	        &repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		const git_error *e = git_error_last();

		if (e && e->message && strstr(e->message, "objectformat"))
			return tk_error_set(TK_EUNSUPPORTED,
			    "cannot read repository '%s': SHA-256 repositories "
			    "are not supported yet",
			    dir);
		return git_fail("cannot open repository");
	}
	if ((rc = add_quarantine(repo)) < 0 ||
	    (rc = no_libgit2_graph(repo)) < 0) {
		git_repository_free(repo);
		return rc;
	}
	*out = repo;
	return 0;
}

/*
 * Commits found well-formed, per thread: a push's new and old values are
 * asked about several times, and the check parses and hashes the whole
 * object again each time.  An id names the same bytes for ever.
 */
static _Thread_local git_oid valid_ids[4];
static _Thread_local unsigned nvalid;

static bool
known_valid(const git_oid *id)
{
	unsigned i;

	for (i = 0; i < nvalid && i < 4; i++)
		if (git_oid_equal(&valid_ids[i], id))
			return true;
	return false;
}

int
tk_commit_raw(git_odb_object **out, git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	int valid = 0, r;

	*out = NULL;
	if (git_repository_odb(&odb, repo) < 0) {
		git_error_clear();
		return 0;
	}
	r = git_odb_read(out, odb, id);
	git_odb_free(odb);
	if (r < 0) {
		git_error_clear();
		*out = NULL;
		return 0;
	}
	if (git_odb_object_type(*out) != GIT_OBJECT_COMMIT)
		valid = 0;
	else if (known_valid(id))
		return 1;
	else if (git_object_rawcontent_is_valid(&valid,
	             git_odb_object_data(*out), git_odb_object_size(*out),
	             GIT_OBJECT_COMMIT) < 0)
		valid = 0;
	if (valid) {
		git_oid_cpy(&valid_ids[nvalid++ % 4], id);
		return 1;
	}
	git_error_clear();
	git_odb_object_free(*out);
	*out = NULL;
	return 0;
}

void
tk_commit_raw_parents(
    git_odb_object *raw, git_oid *parents, size_t max, size_t *n)
{
	const char *p = git_odb_object_data(raw),
	           *end = p + git_odb_object_size(raw), *nl;

	*n = 0;
	/* "tree HEX\n" then "parent HEX\n" lines, in a commit libgit2 parses */
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return;
	for (p = nl + 1; end - p > 7 + GIT_OID_HEXSZ &&
	     memcmp(p, "parent ", 7) == 0 && p[7 + GIT_OID_HEXSZ] == '\n';
	     p += 8 + GIT_OID_HEXSZ) {
		if (*n < max &&
		    git_oid_fromstrn(&parents[*n], p + 7, GIT_OID_HEXSZ) < 0)
			break;
		(*n)++;
	}
}

int
tk_peel_commit(git_oid *out, git_repository *repo, const git_oid *id)
{
	git_object *o = NULL, *c = NULL;
	git_odb_object *raw = NULL;
	int r;

	if (tk_commit_raw(&raw, repo, id) == 1) {
		git_odb_object_free(raw);
		git_oid_cpy(out, id);
		return 1;
	}
	if (git_object_lookup(&o, repo, id, GIT_OBJECT_ANY) < 0) {
		git_error_clear();
		return 0;
	}
	r = git_object_peel(&c, o, GIT_OBJECT_COMMIT);
	if (r == 0)
		git_oid_cpy(out, git_object_id(c));
	else
		git_error_clear();
	git_object_free(c);
	git_object_free(o);
	return r == 0 ? 1 : 0;
}

/*
 * The common push, commits on top of the old tip: when the tip's parents
 * are exactly the hidden commits, the tip alone enters (none of its
 * parents can reach it).  Answered from the raw commit, without a
 * revision walk, which would read it parsed and then raw again.  1 when
 * it applies (*out holds the tip), 0 when a walk must answer.
 */
static int
one_step(git_oid **out, git_repository *repo, const git_oid *tip,
    const git_oid *hide, size_t nhide, size_t max)
{
	git_oid parents[8];
	git_odb_object *raw = NULL;
	size_t np = 0, i, j;
	bool same = true;

	if (max < 1 || nhide < 1 || nhide > 8 ||
	    tk_commit_raw(&raw, repo, tip) != 1)
		return 0;
	tk_commit_raw_parents(raw, parents, 8, &np);
	git_odb_object_free(raw);
	if (np < 1 || np > 8)
		return 0;
	for (i = 0; i < np && same; i++) {
		for (j = 0; j < nhide && !git_oid_equal(&parents[i], &hide[j]);
		     j++)
			;
		same = j < nhide;
	}
	for (j = 0; j < nhide && same; j++) {
		for (i = 0; i < np && !git_oid_equal(&parents[i], &hide[j]);
		     i++)
			;
		same = i < np;
	}
	if (!same || (*out = tk_calloc(1, sizeof(git_oid))) == NULL)
		return 0;
	git_oid_cpy(*out, tip);
	return 1;
}

int
tk_walk_entering(git_oid **out, size_t *n, git_repository *repo,
    const git_oid *tip, const git_oid *hide, size_t nhide, size_t max)
{
	git_revwalk *w = NULL;
	git_oid *ids = NULL, id;
	size_t cap = 0, count = 0, i;
	int rc = 0, r;

	*out = NULL;
	*n = 0;
	if (one_step(out, repo, tip, hide, nhide, max) == 1) {
		*n = 1;
		return 0;
	}
	if (git_revwalk_new(&w, repo) < 0 ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL) < 0 ||
	    git_revwalk_push(w, tip) < 0) {
		rc = git_fail("cannot walk commits");
		goto out;
	}
	for (i = 0; i < nhide; i++)
		if (git_revwalk_hide(w, &hide[i]) < 0) {
			rc = git_fail("cannot walk commits");
			goto out;
		}
	while ((r = git_revwalk_next(&id, w)) == 0) {
		if (count >= max) {
			rc = tk_error_set(TK_ETOOBIG,
			    "more than %zu new commits in one ref update", max);
			goto out;
		}
		if ((rc = tk_grow(&ids, &cap, count + 1, sizeof(*ids))) < 0)
			goto out;
		ids[count++] = id;
	}
	if (r != GIT_ITEROVER) {
		rc = git_fail("cannot walk commits");
		goto out;
	}
	*out = ids;
	*n = count;
	ids = NULL; /* transferred */
out:
	free(ids);
	git_revwalk_free(w);
	return rc;
}
