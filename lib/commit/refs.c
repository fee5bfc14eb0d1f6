/*
 * Ref names the way git-receive-pack writes them.
 *
 * A pushed name is not always the ref git writes: under $GIT_NAMESPACE
 * every name is stored below "refs/namespaces/<ns>/", and a name that is a
 * symbolic ref on the server is written through to its target (dangling
 * or not).  Deciding a push under the pushed name instead of the written
 * one lets an unapproved commit move a protected branch through an alias
 * (docs/spec.md, "Ref names").  Everything here mirrors git 2.39's
 * refs.c (refs_resolve_ref_unsafe, SYMREF_MAXDEPTH) and environment.c
 * (expand_namespace); where git would refuse, so does twokey.
 */
#include "internal.h"
#include "twokey/repo.h"

/*
 * git's check_refname_format(name, REFNAME_ALLOW_ONELEVEL) for the names
 * a symbolic ref may point at; libgit2's checker also refuses lower-case
 * one-level names, which only ever makes twokey refuse more.
 */
static bool
valid_target(const char *name)
{
	int ok = 0;

	return git_reference_name_is_valid(&ok, name) == 0 && ok;
}

int
tk_repo_ns_prefix(char **out, const char *raw)
{
	struct tk_buf b = TK_BUF_INIT(TK_REPO_NS_MAX);
	const char *p = raw, *e;
	int rc = 0;

	*out = NULL;
	/* strbuf_split() keeps "a/" and "/" parts; git skips the "/" ones */
	while (raw != NULL && *p != '\0' && rc == 0) {
		if (*p == '/') {
			p++;
			continue;
		}
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		rc =
		    tk_buf_printf(&b, "refs/namespaces/%.*s/", (int)(e - p), p);
		p = e;
		/* "a/" ends in a part "a/": git builds "refs/namespaces/a/"
		 * and dies on the trailing slash */
		if (*p == '/' && p[1] == '\0')
			rc = TK_EINVAL;
	}
	if (rc == 0 && b.len > 0) {
		b.ptr[b.len - 1] = '\0';
		if (!valid_target(b.ptr) || strstr(b.ptr, "//") != NULL)
			rc = TK_EINVAL;
		b.ptr[b.len - 1] = '/';
	}
	if (rc == TK_EINVAL || rc == TK_ETOOBIG)
		rc = tk_error_set(
		    TK_EINVAL, "bad git namespace path (GIT_NAMESPACE)");
	else if (rc == 0 && (*out = tk_buf_detach(&b, NULL)) == NULL)
		rc = TK_ENOMEM;
	tk_buf_release(&b);
	return rc;
}

int
tk_repo_ref_name(char **out, const char *name)
{
	char *prefix = NULL;
	size_t plen, nlen = strlen(name);
	int rc;

	*out = NULL;
	if ((rc = tk_repo_ns_prefix(&prefix, getenv("GIT_NAMESPACE"))) < 0)
		return rc;
	plen = strlen(prefix);
	if ((*out = malloc(plen + nlen + 1)) == NULL) {
		free(prefix);
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	memcpy(*out, prefix, plen);
	memcpy(*out + plen, name, nlen + 1);
	free(prefix);
	return 0;
}

/*
 * One step: 1 with *next set (a copy) when name is a symbolic ref, 0 when
 * it is a direct ref or does not exist (git writes it), else an error.
 */
static int
step(char **next, git_repository *repo, const char *name)
{
	git_reference *ref = NULL;
	const git_error *e;
	int r;

	*next = NULL;
	r = git_reference_lookup(&ref, repo, name);
	if (r == GIT_ENOTFOUND)
		return 0;
	if (r < 0) {
		e = git_error_last();
		return tk_error_set(TK_EINVAL, "cannot read ref '%s': %s", name,
		    e && e->message ? e->message : "libgit2 error");
	}
	if (git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC &&
	    (*next = tk_strdup(git_reference_symbolic_target(ref))) == NULL)
		r = TK_ENOMEM;
	else
		r = git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC;
	git_reference_free(ref);
	return r;
}

int
tk_repo_resolve_ref(char **out, git_repository *repo, const char *name)
{
	char *seen[TK_SYMREF_MAXDEPTH + 1], *next = NULL;
	size_t n = 0, k;
	int rc;

	*out = NULL;
	if ((seen[n++] = tk_strdup(name)) == NULL)
		return TK_ENOMEM;
	/* git reads at most SYMREF_MAXDEPTH names, the pushed one included */
	while ((rc = step(&next, repo, seen[n - 1])) > 0) {
		for (k = 0; k < n && strcmp(seen[k], next) != 0; k++)
			;
		if (k < n)
			rc = tk_error_set(TK_EINVAL,
			    "symbolic ref loop: '%s' leads back to '%s'",
			    seen[n - 1], next);
		else if (!valid_target(next))
			rc = tk_error_set(TK_EINVAL,
			    "symbolic ref '%s' points at an invalid name",
			    seen[n - 1]);
		else if (n == TK_SYMREF_MAXDEPTH)
			rc = tk_error_set(TK_EINVAL,
			    "symbolic ref '%s' starts a chain of more than %d "
			    "symbolic refs, which git refuses to follow",
			    name, TK_SYMREF_MAXDEPTH - 1);
		if (rc < 0)
			break;
		seen[n++] = next;
		next = NULL;
	}
	if (rc == 0 && (*out = tk_strdup(seen[n - 1])) == NULL)
		rc = TK_ENOMEM;
	free(next);
	for (k = 0; k < n; k++)
		free(seen[k]);
	return rc;
}

/*
 * git's refname_disposition[] for one byte of a component: 0 fine, 1 the
 * component ends ('/' or NUL), 2 '.', 3 '{', 4 refused (controls, DEL,
 * space, ':', '?', '[', '\\', '^', '~', and '*' outside refspecs).
 */
static int
disposition(unsigned char ch)
{
	if (ch == '/' || ch == '\0')
		return 1;
	if (ch == '.')
		return 2;
	if (ch == '{')
		return 3;
	if (ch < 0x20 || ch == 0x7f)
		return 4;
	switch (ch) {
	case ' ':
	case ':':
	case '?':
	case '[':
	case '\\':
	case '^':
	case '~':
	case '*':
		return 4;
	default:
		return 0;
	}
}

/* git's check_refname_component(): its length, or 0 when refused. */
static size_t
component(const char *s)
{
	const char *cp;
	char last = '\0';
	int d;

	for (cp = s; (d = disposition((unsigned char)*cp)) != 1; cp++) {
		if (d == 4 || (d == 2 && last == '.') ||
		    (d == 3 && last == '@'))
			return 0;
		last = *cp;
	}
	if (cp == s || s[0] == '.' ||
	    (cp - s >= 5 && memcmp(cp - 5, ".lock", 5) == 0))
		return 0;
	return (size_t)(cp - s);
}

bool
tk_repo_refname_pushable(const char *name)
{
	size_t n = 0, parts = 0;
	const char *s;

	if (strncmp(name, "refs/", 5) != 0)
		return false;
	s = name + 5;
	if (strcmp(s, "@") == 0)
		return false;
	for (;;) {
		if ((n = component(s)) == 0)
			return false;
		parts++;
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	return s[n - 1] != '.' && parts >= 2;
}

int
tk_repo_ignores_case(git_repository *repo, bool *out)
{
	git_config *cfg = NULL;
	int v = 0, r;

	*out = true; /* unreadable: as if it did */
	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return tk_error_set(
		    TK_EINVAL, "cannot read the repository's configuration");
	r = git_config_get_bool(&v, cfg, "core.ignorecase");
	git_config_free(cfg);
	if (r == GIT_ENOTFOUND)
		v = 0;
	else if (r < 0)
		return tk_error_set(
		    TK_EINVAL, "core.ignoreCase is not a boolean");
	*out = v != 0;
	return 0;
}

int
tk_repo_advertises_push_options(git_repository *repo, bool *out)
{
	git_config *cfg = NULL;
	int v = 0, r;

	*out = true; /* unreadable: as if it did */
	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return tk_error_set(
		    TK_EINVAL, "cannot read the repository's configuration");
	r = git_config_get_bool(&v, cfg, "receive.advertisepushoptions");
	git_config_free(cfg);
	if (r == GIT_ENOTFOUND)
		v = 0;
	else if (r < 0)
		return tk_error_set(
		    TK_EINVAL, "receive.advertisePushOptions is not a boolean");
	*out = v != 0;
	return 0;
}
