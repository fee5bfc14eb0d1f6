/*
 * What several "twokey config" commands share: loading a policy the way
 * the hooks find it, and reading the ref names of a repository.
 */
#include <git2.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "internal.h"
#include "twokey/policy.h"
#include "banned.h" /* last: after every system header */

int
cli_load_policy(struct tk_policy **out, char **path, const char *file)
{
	git_buf dir = {NULL, 0, 0};
	char *errors = NULL;
	int r;

	*out = NULL;
	*path = NULL;
	if (file == NULL) {
		r = git_repository_discover(&dir, ".", 0, NULL);
		r = tk_policy_locate(path, r == 0 ? dir.ptr : NULL);
		git_buf_dispose(&dir);
		if (r < 0) {
			fprintf(stderr, "twokey: error: %s\n", tk_error_last());
			return -1;
		}
	} else if ((*path = tk_strdup(file)) == NULL)
		return -1;
	if (tk_policy_load(out, &errors, *path) < 0) {
		fprintf(stderr, "%s", errors ? errors : "");
		fprintf(stderr, "twokey: %s: policy is invalid\n", *path);
		free(errors);
		return -1;
	}
	free(errors);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
cli_refs_free(char **refs, size_t n)
{
	size_t i;

	for (i = 0; refs != NULL && i < n; i++)
		free(refs[i]);
	free(refs);
}

/*
 * Only names are read, never objects or configuration that could run
 * anything, so a repository owned by another user (an admin reading the
 * git account's repositories) is read as the hooks read it.
 */
int
cli_repo_refs(char ***out, size_t *n, const char *path)
{
	git_repository *repo = NULL;
	git_strarray names = {NULL, 0};
	size_t i;
	int rc = -1;

	*out = NULL;
	*n = 0;
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if (git_repository_open_ext(
	        &repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 ||
	    git_reference_list(&names, repo) < 0) {
		fprintf(stderr, "twokey: error: %s: %s\n", path,
		    git_error_last() && git_error_last()->message
		        ? git_error_last()->message
		        : "not a git repository");
		goto out;
	}
	if ((*out = tk_calloc(names.count + 1, sizeof(**out))) == NULL)
		goto out;
	for (i = 0; i < names.count; i++)
		if (((*out)[i] = tk_strdup(names.strings[i])) == NULL)
			goto out;
	*n = names.count;
	qsort(*out, *n, sizeof(**out), by_name);
	rc = 0;
out:
	if (rc < 0) {
		cli_refs_free(*out, names.count);
		*out = NULL;
		*n = 0;
	}
	git_strarray_dispose(&names);
	git_repository_free(repo);
	return rc;
}

static void
user_groups(struct cli_user *u)
{
	struct group *g;
	FILE *f;
	size_t i;

	u->groups[0] = u->gid;
	u->ngroups = 1;
	snprintf(u->group, sizeof(u->group), "%u", u->gid);
	if ((f = fopen("/etc/group", "re")) == NULL)
		return;
	while ((g = fgetgrent(f)) != NULL) {
		if ((unsigned)g->gr_gid == u->gid)
			snprintf(u->group, sizeof(u->group), "%s", g->gr_name);
		for (i = 0; g->gr_mem != NULL && g->gr_mem[i] != NULL; i++)
			if (strcmp(g->gr_mem[i], u->name) == 0 &&
			    (unsigned)g->gr_gid != u->gid &&
			    u->ngroups < (int)TK_ARRAY_SIZE(u->groups))
				u->groups[u->ngroups++] = (unsigned)g->gr_gid;
	}
	fclose(f);
}

int
cli_user_find(struct cli_user *u, const char *name, unsigned uid)
{
	struct passwd *pw;
	FILE *f;
	int rc = -1;

	memset(u, 0, sizeof(*u));
	if ((f = fopen("/etc/passwd", "re")) == NULL)
		return -1;
	while ((pw = fgetpwent(f)) != NULL)
		if (name != NULL ? strcmp(pw->pw_name, name) == 0
		                 : (unsigned)pw->pw_uid == uid) {
			snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
			u->uid = (unsigned)pw->pw_uid;
			u->gid = (unsigned)pw->pw_gid;
			rc = 0;
			break;
		}
	fclose(f);
	if (rc == 0)
		user_groups(u);
	return rc;
}
