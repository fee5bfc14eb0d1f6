/*
 * twokey config check [FILE]: validate a policy file.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "twokey/policy.h"
#include "banned.h" /* last: after every system header */

#define USAGE "twokey config check [FILE]"

static int
check(const char *file)
{
	struct tk_policy *p = NULL;
	char *path = NULL, *errors = NULL;
	size_t i, nkeys = 0;
	int status = 1;

	if (file == NULL) {
		git_buf dir = {NULL, 0, 0};
		int r;

		r = git_repository_discover(&dir, ".", 0, NULL);
		r = tk_policy_locate(&path, r == 0 ? dir.ptr : NULL);
		git_buf_dispose(&dir);
		if (r < 0)
			return 1;
	}
	if (file == NULL)
		file = path;
	if (tk_policy_load(&p, &errors, file) < 0) {
		fprintf(stderr, "%s", errors ? errors : "");
		fprintf(stderr, "twokey: %s: policy is invalid\n", file);
		goto out;
	}
	for (i = 0; i < p->nidentities; i++)
		nkeys += p->identities[i]->nkeys;
	printf("%s: ok: %zu roles, %zu identities (%zu keys), %zu revoked "
	       "keys, %zu rules\n",
	    file, p->nroles, p->nidentities, nkeys, p->nrevoked, p->nrules);
	for (i = 0; i < p->nrules; i++)
		printf("  rule '%s': refs '%s'%s\n", p->rules[i]->name,
		    p->rules[i]->refs_src,
		    p->rules[i]->mode == TK_MODE_WARN ? " (warn only)" : "");
	if (p->npusher_env == 0)
		printf("note: pusher.env is empty: rules restricting who may "
		       "push will refuse every push\n");
	status = 0;
out:
	tk_policy_free(p);
	free(errors);
	free(path);
	return status;
}

int
cmd_config(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n\nValidates a policy file (default: the one "
		       "the hooks would use here) and prints what it holds, "
		       "or every error as FILE:LINE:COLUMN.  Exit status 0 "
		       "when valid, 1 when not.\n",
		    USAGE);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0)
		return cli_usage_error(USAGE, "expected 'config check'");
	if (argc > 3)
		return cli_usage_error(USAGE, "too many arguments");
	return check(argc == 3 ? argv[2] : NULL);
}
