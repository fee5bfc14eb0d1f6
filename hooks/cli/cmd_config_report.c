/*
 * twokey config report [--repo PATH] [--format text|csv|json|html] [FILE]
 * The access review: per rule, the refs of PATH it governs and the people
 * who may push and approve there; every identity with its keys.
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

#define USAGE                                                                  \
	"twokey config report [--repo PATH] [--format text|csv|json|html] "    \
	"[FILE]"

int
cmd_config_report(int argc, char **argv)
{
	const char *file = NULL, *repo = NULL, *format = "text";
	struct tk_report_meta m = {NULL, NULL, (int64_t)time(NULL)};
	struct tk_access *a = NULL;
	struct tk_policy *p = NULL;
	char *path = NULL, **refs = NULL;
	size_t nrefs = 0;
	int i, fmt, status = 1;

	if (cli_wants_help(argc, argv)) {
		printf(
		    "usage: %s\n\nLists, for each rule of the policy (default: "
		    "the one the hooks would use here), who may update, "
		    "create, delete and force-push the refs it governs and "
		    "who may approve there, by person, not by role; with "
		    "--repo, which refs of that repository each rule "
		    "governs (the first matching rule decides a ref); then "
		    "every identity with its roles, logins, emails and keys "
		    "(fingerprint, validity, days left), and the revoked "
		    "keys.  Sorted and stable, so two reports compare with "
		    "diff(1).  --format html writes one self-contained page.\n",
		    USAGE);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--repo") == 0 ||
		    strcmp(argv[i], "--format") == 0) {
			if (i + 1 >= argc)
				return cli_usage_error(
				    USAGE, "%s needs a value", argv[i]);
			if (strcmp(argv[i], "--repo") == 0)
				repo = argv[++i];
			else
				format = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage_error(
			    USAGE, "unknown option '%s'", argv[i]);
		else if (file == NULL)
			file = argv[i];
		else
			return cli_usage_error(USAGE, "too many arguments");
	}
	if ((fmt = tk_report_format_parse(format)) < 0)
		return cli_usage_error(USAGE, "unknown format '%s'", format);
	if (cli_load_policy(&p, &path, file) < 0 ||
	    (repo != NULL && cli_repo_refs(&refs, &nrefs, repo) < 0))
		goto out;
	if (tk_access_build(&a, p, (const char *const *)refs, nrefs) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		goto out;
	}
	m.policy_path = path;
	m.repo_path = repo;
	if (tk_access_report(stdout, a, (enum tk_report_format)fmt, &m) < 0)
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
	else
		status = 0;
out:
	tk_access_free(a);
	cli_refs_free(refs, nrefs);
	tk_policy_free(p);
	free(path);
	return status;
}
