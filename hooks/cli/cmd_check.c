/*
 * twokey check [--pusher LOGIN] REF OLD NEW: a dry run of the hook.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "twokey/check.h"
#include "twokey/emergency.h"
#include "twokey/error.h"
#include "twokey/freeze.h"
#include "twokey/policy.h"
#include "twokey/repo.h"
#include "banned.h" /* last: after every system header */

#define USAGE "twokey check [--pusher LOGIN] REF OLD NEW"

/* OLD and NEW may be revisions; "0" stands for the zero id. */
static int
resolve(git_repository *repo, const char *spec, char hex[GIT_OID_HEXSZ + 1])
{
	git_object *o = NULL;

	if (strspn(spec, "0") == strlen(spec)) {
		memset(hex, '0', GIT_OID_HEXSZ);
		hex[GIT_OID_HEXSZ] = '\0';
		return 0;
	}
	if (git_revparse_single(&o, repo, spec) < 0) {
		fprintf(stderr, "twokey: error: unknown revision '%s'\n", spec);
		return -1;
	}
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, git_object_id(o));
	git_object_free(o);
	return 0;
}

static int
run(git_repository *repo, const char *login, char **args)
{
	char oldhex[GIT_OID_HEXSZ + 1], newhex[GIT_OID_HEXSZ + 1];
	char *path = NULL, *errors = NULL, *argv3[3];
	struct tk_check_opts opts = TK_CHECK_OPTS_INIT;
	struct tk_freeze_state freezes;
	struct tk_emergency_state ems;
	struct tk_emergency_store *store = NULL;
	struct tk_updates u;
	struct tk_report report;
	struct tk_policy *p = NULL;
	size_t i;
	int rc, status = 1;

	memset(&u, 0, sizeof(u));
	memset(&report, 0, sizeof(report));
	memset(&freezes, 0, sizeof(freezes));
	memset(&ems, 0, sizeof(ems));
	opts.pusher_login = login;
	if (resolve(repo, args[1], oldhex) < 0 ||
	    resolve(repo, args[2], newhex) < 0)
		return 1;
	argv3[0] = args[0];
	argv3[1] = oldhex;
	argv3[2] = newhex;
	if (tk_updates_from_args(&u, 3, argv3) < 0 ||
	    tk_policy_locate(&path, git_repository_path(repo)) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		goto out;
	}
	if (tk_policy_load(&p, &errors, path) < 0) {
		fprintf(stderr,
		    "%stwokey: error: the policy cannot be used; "
		    "the hook would refuse every push\n",
		    errors ? errors : "");
		goto out;
	}
	/* As the hook: ad hoc freezes count, an unreadable store refuses. */
	if (tk_freeze_state_load(&freezes, p) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		goto out;
	}
	if (freezes.status < 0)
		fprintf(stderr, "twokey: warning: %s\n", tk_error_last());
	opts.freezes = &freezes;
	/*
	 * As the hook: an overdue emergency blocks its ref, an unusable
	 * state refuses.  No push options here, so no emergency is granted.
	 */
	for (i = 0; i < p->nrules && p->rules[i]->emergency == NULL; i++)
		;
	if (i == p->nrules)
		rc = TK_ENOTFOUND; /* no emergency path: the hook reads none */
	else if ((rc = tk_emergency_store_open(&store, p)) == 0 &&
	    (rc = tk_emergency_store_read(store, &ems)) == 0)
		opts.emergencies = &ems;
	else if (rc != TK_ENOTFOUND) {
		fprintf(stderr,
		    "twokey: error: the emergency state cannot be used (%s); "
		    "the hook would refuse every push\n",
		    tk_error_last());
		goto out;
	}
	if (tk_check_run(&report, repo, p, &u, &opts) < 0)
		fprintf(stderr,
		    "twokey: error: %s; the hook would refuse "
		    "(fail closed)\n",
		    tk_error_last());
	else if (tk_report_print(stdout, &report, &u, "twokey: ") == 0)
		status = report.refused ? 1 : 0;
out:
	tk_emergency_state_release(&ems);
	tk_emergency_store_free(store);
	tk_freeze_state_release(&freezes);
	tk_report_release(&report);
	tk_updates_release(&u);
	tk_policy_free(p);
	free(errors);
	free(path);
	return status;
}

int
cmd_check(int argc, char **argv)
{
	git_repository *repo = NULL;
	git_buf dir = {NULL, 0, 0};
	const char *login = NULL;
	int status, i = 1;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n\nSays what the hook would decide for an "
		       "update of REF from OLD to NEW (revisions; 0 for none) "
		       "in the repository here, with the reasons, without a "
		       "push.  --pusher names the login the front end would "
		       "report; by default the policy's pusher.env variables "
		       "are read.  Exit status: 0 accept, 1 refuse.\n",
		    USAGE);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "--pusher") == 0) {
		login = argv[2];
		i = 3;
	}
	if (argc - i != 3)
		return cli_usage_error(USAGE, "expected REF OLD NEW");
	if (git_repository_discover(&dir, ".", 0, NULL) < 0 ||
	    tk_repo_open(&repo, dir.ptr) < 0) {
		fprintf(stderr, "twokey: error: not in a git repository (%s)\n",
		    tk_error_last());
		git_buf_dispose(&dir);
		return 1;
	}
	status = run(repo, login, argv + i);
	git_repository_free(repo);
	git_buf_dispose(&dir);
	return status;
}
