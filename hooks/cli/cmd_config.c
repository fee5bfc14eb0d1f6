/*
 * twokey config check [FILE]: validate a policy file.
 * twokey config allowed-signers [FILE]: its keys for OpenSSH and git.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "twokey/policy.h"
#include "banned.h" /* last: after every system header */

#define USAGE "twokey config check [FILE] | allowed-signers [FILE]"

/* The policy FILE, else the one the hooks would use here. */
static int
load(struct tk_policy **p, char **path, const char *file)
{
	char *errors = NULL;

	if (file == NULL) {
		git_buf dir = {NULL, 0, 0};
		int r;

		r = git_repository_discover(&dir, ".", 0, NULL);
		r = tk_policy_locate(path, r == 0 ? dir.ptr : NULL);
		git_buf_dispose(&dir);
		if (r < 0)
			return -1;
		file = *path;
	}
	if (tk_policy_load(p, &errors, file) < 0) {
		fprintf(stderr, "%s", errors ? errors : "");
		fprintf(stderr, "twokey: %s: policy is invalid\n", file);
		free(errors);
		return -1;
	}
	return 0;
}

static int
check(const struct tk_policy *p)
{
	size_t i, nkeys = 0;

	for (i = 0; i < p->nidentities; i++)
		nkeys += p->identities[i]->nkeys;
	printf("%s: ok: %zu roles, %zu identities (%zu keys), %zu revoked "
	       "keys, %zu rules\n",
	    p->path, p->nroles, p->nidentities, nkeys, p->nrevoked, p->nrules);
	for (i = 0; i < p->nrules; i++)
		printf("  rule '%s': refs '%s'%s\n", p->rules[i]->name,
		    p->rules[i]->refs_src,
		    p->rules[i]->mode == TK_MODE_WARN ? " (warn only)" : "");
	if (p->npusher_env == 0)
		printf("note: pusher.env is empty: rules restricting who may "
		       "push will refuse every push\n");
	return 0;
}

int
cmd_config(int argc, char **argv)
{
	struct tk_policy *p = NULL;
	char *path = NULL;
	int status = 1;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n\n'check' validates a policy file (default: "
		       "the one the hooks would use here) and prints what it "
		       "holds, or every error as FILE:LINE:COLUMN; exit status "
		       "0 when valid, 1 when not.\n'allowed-signers' prints "
		       "the policy's keys as an OpenSSH allowed_signers file "
		       "(principals: the identity's emails; namespaces git and "
		       "twokey-approval; validity windows in UTC; revoked keys "
		       "left out), for git's gpg.ssh.allowedSignersFile and "
		       "ssh-keygen -Y verify.\n",
		    USAGE);
		return 0;
	}
	if (argc < 2 ||
	    (strcmp(argv[1], "check") != 0 &&
	        strcmp(argv[1], "allowed-signers") != 0))
		return cli_usage_error(USAGE,
		    "expected 'config check' or 'config allowed-signers'");
	if (argc > 3)
		return cli_usage_error(USAGE, "too many arguments");
	if (load(&p, &path, argc == 3 ? argv[2] : NULL) < 0)
		goto out;
	if (strcmp(argv[1], "check") == 0)
		status = check(p);
	else
		status = cli_allowed_signers(p) < 0 ? 1 : 0;
out:
	tk_policy_free(p);
	free(path);
	return status;
}
