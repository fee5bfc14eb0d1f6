/*
 * Which ref a pushed name writes, and the names that change what other
 * refs mean (docs/spec.md, "Ref names").
 *
 * git-receive-pack stores every name below $GIT_NAMESPACE's prefix and
 * writes through symbolic refs, so a rule must be matched on the ref git
 * writes, never on the name alone: an alias of a protected branch, or a
 * dangling one, would otherwise move or create it under no rule at all.
 */
#include "refnames.h"
#include "notes.h"
#include "twokey/pattern.h"
#include "twokey/repo.h"

int
tk_check_namespace(struct tk_check *c)
{
	int rc;

	if ((rc = tk_repo_ns_prefix(&c->ns, getenv("GIT_NAMESPACE"))) < 0)
		return rc;
	c->nslen = strlen(c->ns);
	return 0;
}

/* ns + name, or NULL (TK_ENOMEM recorded). */
static char *
stored_name(const struct tk_check *c, const char *name)
{
	size_t n = strlen(name);
	char *s;

	if ((s = malloc(c->nslen + n + 1)) == NULL) {
		(void)tk_error_set(TK_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(s, c->ns, c->nslen);
	memcpy(s + c->nslen, name, n + 1);
	return s;
}

/*
 * Where the stored name full leads, as the hooks see names: *view points
 * into *end past the namespace prefix.  A broken chain, or one that leaves
 * the namespace (git 2.39 crashes on it after pre-receive, and its ref
 * transaction would write outside the namespace), sets *why instead.
 */
static int
follow(const struct tk_check *c, const char *full, char **end,
    const char **view, char **why)
{
	struct tk_buf b = TK_BUF_INIT(8192);
	int rc;

	*view = NULL;
	rc = tk_repo_resolve_ref(end, c->repo, full);
	if (rc == 0 && strncmp(*end, c->ns, c->nslen) != 0) {
		(void)tk_buf_printf(&b,
		    "it is a symbolic ref that leads out of the namespace, "
		    "to '%s'",
		    *end);
		rc = TK_EINVAL;
	} else if (rc == 0)
		*view = *end + c->nslen;
	else if (rc == TK_EINVAL)
		(void)tk_buf_puts(&b, tk_error_last());
	if (rc == TK_EINVAL &&
	    (rc = (*why = tk_buf_detach(&b, NULL)) ? 0 : TK_ENOMEM) == 0) {
		free(*end);
		*end = NULL;
	}
	tk_buf_release(&b);
	return rc;
}

static int
resolve_one(struct tk_check *c, struct tk_update *up)
{
	char *full, *end = NULL;
	const char *view;
	int rc;

	if ((full = stored_name(c, up->ref)) == NULL)
		return TK_ENOMEM;
	rc = follow(c, full, &end, &view, &up->broken);
	if (rc == 0 && view != NULL && strcmp(view, up->ref) != 0 &&
	    (up->target = tk_strdup(view)) == NULL)
		rc = TK_ENOMEM;
	free(end);
	free(full);
	return rc;
}

int
tk_check_resolve(struct tk_check *c)
{
	size_t i;
	int rc;

	for (i = 0; i < c->u->n; i++)
		if ((rc = resolve_one(c, &c->u->items[i])) < 0)
			return rc;
	return 0;
}

int
tk_check_ref_commit(
    struct tk_check *c, const char *name, git_oid *out, bool *found, char **why)
{
	git_reference *ref = NULL;
	git_object *o = NULL;
	char *full, *end = NULL;
	const char *view;
	int rc;

	*found = false;
	*why = NULL;
	if ((full = stored_name(c, name)) == NULL)
		return TK_ENOMEM;
	rc = follow(c, full, &end, &view, why);
	if (rc == 0 && end != NULL &&
	    git_reference_lookup(&ref, c->repo, end) == 0 &&
	    git_reference_peel(&o, ref, GIT_OBJECT_COMMIT) == 0) {
		git_oid_cpy(out, git_object_id(o));
		*found = true;
	}
	git_object_free(o);
	git_reference_free(ref);
	free(end);
	free(full);
	return rc;
}

/*
 * Names whose update changes what other refs mean on the server, and the
 * literal text a rule's pattern must start with to govern them.
 */
static const char *
special(const char *name, size_t *plen)
{
	const char *slash;

	if (strncmp(name, "refs/replace/", 13) == 0) {
		*plen = 13;
		return "git on the server shows the object a replace ref "
		       "names instead of the one it replaces, in every branch "
		       "(archives, web views, deploy scripts)";
	}
	if (strncmp(name, "refs/namespaces/", 16) == 0) {
		*plen = 16;
		return "it is a ref of another git namespace (GIT_NAMESPACE), "
		       "where it is seen under another name";
	}
	if (strncmp(name, "refs/", 5) != 0) {
		slash = strchr(name, '/');
		*plen = slash != NULL ? (size_t)(slash - name) : strlen(name);
		return "it is not a ref under refs/ (HEAD and the like decide "
		       "what other names mean)";
	}
	return NULL;
}

bool
tk_rule_names_explicitly(const struct tk_rule *r, const char *name)
{
	const char *src = r->refs_src;
	size_t plen;

	if (special(name, &plen) == NULL)
		return true;
	if (*src == '^') /* patterns match whole names: '^' changes nothing */
		src++;
	return strncmp(src, name, plen) == 0;
}

int
tk_check_special(struct tk_check *c, const struct tk_rule *rule,
    const char *name, bool *refused)
{
	size_t plen;
	const char *why = special(name, &plen);

	*refused = false;
	if (why == NULL ||
	    (rule != NULL && tk_rule_names_explicitly(rule, name)))
		return 0;
	*refused = true;
	return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
	    "an admin who wants such refs pushed adds a rule whose refs "
	    "pattern starts with that prefix literally",
	    "refused: '%.*s' refs change what other refs mean: %s; no rule "
	    "of the policy names them explicitly%s%s%s",
	    (int)plen, name, why, rule ? " (rule '" : "",
	    rule ? rule->name : "",
	    rule ? "' matches by a broader pattern)" : "");
}

int
tk_check_pushable(struct tk_check *c, const char *name, bool *refused)
{
	*refused = !tk_repo_refname_pushable(name);
	if (!*refused)
		return 0;
	return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
	    "push to a name 'git check-ref-format' accepts, under refs/",
	    "refused: '%s' is no ref name git writes (git-receive-pack "
	    "refuses it as a funny refname)",
	    name);
}

/* ASCII case-insensitive order of two ref names. */
static int
fold_cmp(const char *a, const char *b)
{
	int x, y;

	for (;; a++, b++) {
		x = tk_ascii_tolower((unsigned char)*a);
		y = tk_ascii_tolower((unsigned char)*b);
		if (x != y || x == '\0')
			return x - y;
	}
}

static int
fold_qcmp(const void *a, const void *b)
{
	return fold_cmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Whether the repository ignores case in ref names (c->folds), and then
 * the names of its refs inside the namespace, sorted ignoring case: read
 * once a push.  0, or < 0 when either cannot be read.
 */
static int
read_folded(struct tk_check *c)
{
	git_reference_iterator *it = NULL;
	const char *name;
	size_t cap = 0;
	bool folds;
	int rc, r;

	if (c->folds != 0)
		return 0;
	if ((rc = tk_repo_ignores_case(c->repo, &folds)) < 0)
		return rc;
	if (!folds) {
		c->folds = 1;
		return 0;
	}
	if (git_reference_iterator_new(&it, c->repo) < 0)
		return tk_error_set(TK_EGIT, "cannot list the refs: %s",
		    git_error_last() ? git_error_last()->message : "?");
	while ((r = git_reference_next_name(&name, it)) == 0) {
		if (strncmp(name, c->ns, c->nslen) != 0)
			continue;
		if (tk_grow(&c->folded, &cap, c->nfolded + 1,
		        sizeof(*c->folded)) < 0 ||
		    (c->folded[c->nfolded] = tk_strdup(name + c->nslen)) ==
		        NULL) {
			rc = TK_ENOMEM;
			break;
		}
		c->nfolded++;
	}
	git_reference_iterator_free(it);
	if (rc == 0 && r != GIT_ITEROVER)
		rc = tk_error_set(TK_EGIT, "cannot list the refs: %s",
		    git_error_last() ? git_error_last()->message : "?");
	if (rc < 0)
		return rc;
	if (c->nfolded > 1)
		qsort(c->folded, c->nfolded, sizeof(*c->folded), fold_qcmp);
	c->folds = 2;
	return 0;
}

void
tk_check_case_release(struct tk_check *c)
{
	size_t i;

	for (i = 0; i < c->nfolded; i++)
		free(c->folded[i]);
	free(c->folded);
	c->folded = NULL;
	c->nfolded = 0;
	c->folds = 0;
}

/* Index of the first of c->folded spelled like name but for case. */
static size_t
first_spelling(const struct tk_check *c, const char *name)
{
	size_t lo = 0, hi = c->nfolded, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (fold_cmp(c->folded[mid], name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
tk_check_spelling_match(
    struct tk_check *c, const struct tk_pattern *pat, const char *name)
{
	size_t i, n = strlen(name);
	char *low;
	int m;

	if (c->folds != 2)
		return 0;
	if ((low = tk_strdup(name)) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < n; i++)
		low[i] = (char)tk_ascii_tolower((unsigned char)low[i]);
	m = strcmp(low, name) != 0 ? tk_pattern_match(pat, low, n) : 0;
	free(low);
	for (i = first_spelling(c, name);
	     m == 0 && i < c->nfolded && fold_cmp(c->folded[i], name) == 0; i++)
		if (strcmp(c->folded[i], name) != 0)
			m = tk_pattern_match(
			    pat, c->folded[i], strlen(c->folded[i]));
	return m;
}

/*
 * Whether twokey guards a and b alike whatever the rules say: the notes
 * ref, and the names that change what other refs mean (special()).  On a
 * repository that ignores case, refs/notes/TWOKEY is the notes ref's file
 * and refs/REPLACE/<id> a replace ref git honours.
 */
static bool
guarded_alike(const char *a, const char *b)
{
	size_t plen;

	return tk_is_notes_ref(a) == tk_is_notes_ref(b) &&
	    (special(a, &plen) == NULL) == (special(b, &plen) == NULL);
}

/*
 * On a repository that ignores case, an existing ref spelled otherwise
 * (refs/heads/Release for refs/heads/release) is the file git writes for
 * name: name is refused when that ref's rule is not name's rule.  A rule
 * pattern with capitals, or one such as '[^a-z]+', would otherwise
 * protect a ref that a lower-case spelling, under no rule, moves.
 */
static int
check_existing_spelling(struct tk_check *c, const struct tk_rule *rule,
    const char *name, bool *refused)
{
	const struct tk_rule *other = NULL;
	size_t lo;
	int rc;

	if ((rc = read_folded(c)) < 0) {
		*refused = true;
		if (rc == TK_ENOMEM)
			return rc;
		return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
		    "an admin should repair the repository",
		    "refused: cannot tell which ref git writes for '%s' "
		    "(%s)",
		    name, tk_error_last());
	}
	if (c->folds != 2)
		return 0;
	for (lo = first_spelling(c, name);
	     lo < c->nfolded && fold_cmp(c->folded[lo], name) == 0; lo++) {
		if (strcmp(c->folded[lo], name) == 0)
			continue;
		if ((rc = tk_policy_match(&other, c->p, c->folded[lo])) >= 0 &&
		    other == rule && guarded_alike(c->folded[lo], name))
			continue;
		*refused = true;
		return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
		    "on such a repository, push names as the existing ref "
		    "spells them, and write rule patterns in lower case",
		    "refused: the repository ignores case in ref names "
		    "(core.ignoreCase), so '%s' writes the existing ref '%s', "
		    "which %s%s%s decides%s",
		    name, c->folded[lo],
		    rc < 0      ? "no readable rule"
		        : other ? "rule '"
		                : "no rule",
		    rc >= 0 && other ? other->name : "",
		    rc >= 0 && other ? "'" : "",
		    guarded_alike(c->folded[lo], name)
		        ? ""
		        : " (and twokey guards it whatever the rules say)");
	}
	return 0;
}

int
tk_check_case(struct tk_check *c, const struct tk_rule *rule, const char *name,
    bool *refused)
{
	const struct tk_rule *other = NULL;
	bool folds = false;
	char *low;
	size_t i;
	int rc;

	*refused = false;
	for (i = 0; name[i] != '\0' && !(name[i] >= 'A' && name[i] <= 'Z'); i++)
		;
	if (name[i] == '\0')
		return check_existing_spelling(c, rule, name, refused);
	if ((low = tk_strdup(name)) == NULL)
		return TK_ENOMEM;
	for (; low[i] != '\0'; i++)
		if (low[i] >= 'A' && low[i] <= 'Z')
			low[i] = (char)(low[i] - 'A' + 'a');
	/* 1 matched, 0 none: other says which; < 0 refuses */
	if ((rc = tk_policy_match(&other, c->p, low)) >= 0 && other == rule &&
	    guarded_alike(low, name)) {
		free(low);
		return check_existing_spelling(c, rule, name, refused);
	}
	if (rc >= 0 && (rc = tk_repo_ignores_case(c->repo, &folds)) == 0 &&
	    !folds) {
		free(low);
		return 0;
	}
	*refused = true;
	rc = tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
	    "on such a repository, write rule patterns in lower case and "
	    "push names as they spell them",
	    "refused: the repository ignores case in ref names "
	    "(core.ignoreCase, or %s), so '%s' may be written as '%s', which "
	    "%s%s%s decides%s",
	    rc < 0 ? tk_error_last() : "set", name, low,
	    other != NULL ? "rule '" : "no rule",
	    other != NULL ? other->name : "", other != NULL ? "'" : "",
	    guarded_alike(low, name) ? ""
	                             : " (and twokey guards it whatever the "
	                               "rules say)");
	free(low);
	return rc;
}
