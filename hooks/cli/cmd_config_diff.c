/*
 * twokey config diff [--repo PATH] OLD NEW: who gains or loses which
 * permission between two policies; exit 1 when anything widens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "twokey/error.h"
#include "twokey/policy.h"
#include "twokey/review.h"
#include "banned.h" /* last: after every system header */

#define USAGE "twokey config diff [--repo PATH] OLD NEW"

static const char *const kinds[] = {"widens", "narrows", "note"};

static int
show(const struct tk_policy *a, const struct tk_policy *b, const char *repo)
{
	struct tk_review_opts o = {(int64_t)time(NULL), NULL, 0};
	struct tk_changes c = {NULL, 0, 0, 0};
	char **refs = NULL;
	size_t i, nrefs = 0;
	int status = 2;

	if (repo != NULL && cli_repo_refs(&refs, &nrefs, repo) < 0)
		return 2;
	o.refs = (const char *const *)refs;
	o.nrefs = nrefs;
	if (tk_policy_diff(&c, a, b, &o) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		goto out;
	}
	for (i = 0; i < c.n; i++)
		printf("%s: %s\n", kinds[c.items[i].kind], c.items[i].text);
	if (c.nwidens > 0)
		printf("twokey: the new policy widens access: %zu change%s "
		       "widen%s, %zu narrow%s\n",
		    c.nwidens, c.nwidens == 1 ? "" : "s",
		    c.nwidens == 1 ? "s" : "", c.nnarrows,
		    c.nnarrows == 1 ? "s" : "");
	else if (c.nnarrows == 0) /* notes only, or nothing */
		printf("twokey: the two policies grant the same permissions\n");
	else
		printf("twokey: nothing widens (%zu change%s narrow%s)\n",
		    c.nnarrows, c.nnarrows == 1 ? "" : "s",
		    c.nnarrows == 1 ? "s" : "");
	status = c.nwidens > 0 ? 1 : 0;
out:
	tk_changes_release(&c);
	cli_refs_free(refs, nrefs);
	return status;
}

int
cmd_config_diff(int argc, char **argv)
{
	const char *files[2] = {NULL, NULL}, *repo = NULL;
	struct tk_policy *a = NULL, *b = NULL;
	char *pa = NULL, *pb = NULL;
	int i, n = 0, status = 2;

	if (cli_wants_help(argc, argv)) {
		printf(
		    "usage: %s\n\nCompares two policies in people, not YAML "
		    "lines: for each rule (matched by name), who gains or "
		    "loses update, create, delete, force-push and approve, "
		    "and which checks got weaker or stronger; rules removed, "
		    "added or reordered so that a ref falls to another rule "
		    "(with --repo: for every ref of that repository); keys "
		    "added, revoked or expiring; logins and emails that move. "
		    "Each line starts with widens:, narrows: or note:.  Exit "
		    "status 1 when anything widens, 0 when not, 2 on "
		    "error.\n",
		    USAGE);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--repo") == 0) {
			if (++i >= argc)
				return cli_usage_error(
				    USAGE, "--repo needs a PATH");
			repo = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage_error(
			    USAGE, "unknown option '%s'", argv[i]);
		else if (n < 2)
			files[n++] = argv[i];
		else
			return cli_usage_error(USAGE, "too many arguments");
	}
	if (n != 2)
		return cli_usage_error(USAGE, "expected OLD and NEW");
	if (cli_load_policy(&a, &pa, files[0]) == 0 &&
	    cli_load_policy(&b, &pb, files[1]) == 0)
		status = show(a, b, repo);
	tk_policy_free(a);
	tk_policy_free(b);
	free(pa);
	free(pb);
	return status;
}
