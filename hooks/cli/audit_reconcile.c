/*
 * twokey audit reconcile REPO [REF...]: the repository's refs against the
 * log (exit 1 when a change has no accepted record).
 */
#include <git2.h>
#include <stdio.h>
#include <string.h>

#include "audit_cli.h"
#include "cli.h"
#include "internal.h"
#include "banned.h" /* last: after every system header */

#define MAX_WALK 10000000 /* commits per gap: far above any real history */

/*
 * A short name X stands for refs/heads/X or refs/tags/X, whichever the
 * repository has; both is ambiguous.  *out (caller frees).
 */
static int
full_name(char **out, git_repository *repo, const char *name)
{
	char h[4200], t[4200];
	git_reference *r = NULL;
	bool hh, tt;

	*out = NULL;
	if (strncmp(name, "refs/", 5) == 0 || strncmp(name, "heads/", 6) == 0 ||
	    strncmp(name, "tags/", 5) == 0) {
		snprintf(h, sizeof(h), "%s%s",
		    strncmp(name, "refs/", 5) ? "refs/" : "", name);
		*out = tk_strdup(h);
		return *out ? 0 : TK_ENOMEM;
	}
	snprintf(h, sizeof(h), "refs/heads/%s", name);
	snprintf(t, sizeof(t), "refs/tags/%s", name);
	hh = git_reference_lookup(&r, repo, h) == 0;
	git_reference_free(r);
	r = NULL;
	tt = git_reference_lookup(&r, repo, t) == 0;
	git_reference_free(r);
	if (hh && tt)
		return tk_error_set(TK_EINVAL,
		    "'%.200s' is ambiguous: the repository has both %s and %s; "
		    "give the full name",
		    name, h, t);
	*out = tk_strdup(tt ? t : h);
	return *out ? 0 : TK_ENOMEM;
}

/*
 * The refs named on the command line, as full names in the log's form
 * (docs/spec.md, "Ref names in records"): a name may be typed in that
 * form (\xHH for a byte that is not UTF-8) or with the raw bytes.
 */
static int
resolve_refs(git_repository *repo, const struct audit_opts *o, char **refs)
{
	struct tk_buf raw = TK_BUF_INIT(8192), form = TK_BUF_INIT(8192);
	char *full = NULL;
	size_t i;
	int rc = 0;

	for (i = 1; i < o->nargs && rc == 0; i++) {
		tk_buf_reset(&raw);
		tk_buf_reset(&form);
		if ((rc = tk_audit_refname_raw(
		         &raw, o->args[i], strlen(o->args[i]))) < 0 ||
		    (rc = tk_buf_putc(&raw, '\0')) < 0 ||
		    (rc = full_name(&full, repo, raw.ptr)) < 0 ||
		    (rc = tk_audit_refname(&form, full, strlen(full))) < 0)
			break;
		free(full);
		full = NULL;
		if ((refs[i - 1] = tk_buf_detach(&form, NULL)) == NULL)
			rc = TK_ENOMEM;
	}
	free(full);
	tk_buf_release(&raw);
	tk_buf_release(&form);
	return rc;
}

int
audit_reconcile(struct audit_opts *o)
{
	struct tk_buf out = TK_BUF_INIT(1u << 30);
	struct tk_audit_reader *r = NULL;
	git_repository *repo = NULL;
	char *refs[256] = {NULL};
	struct tk_doc doc;
	size_t i;
	int rc;

	memset(&doc, 0, sizeof(doc));
	if (o->nargs == 0)
		return cli_usage_error("twokey audit reconcile [--log FILE]... "
		                       "[--format F] REPO [REF...]",
		    "expected a repository");
	if (git_repository_open_ext(
	        &repo, o->args[0], GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		fprintf(stderr, "twokey: error: cannot open %s: %s\n",
		    o->args[0],
		    git_error_last() ? git_error_last()->message : "?");
		return 1;
	}
	if ((rc = resolve_refs(repo, o, refs)) == TK_EINVAL)
		rc = cli_usage_error("twokey audit reconcile REPO [REF...]",
		    "%s", tk_error_last());
	else if (rc < 0)
		rc = 1;
	else if ((rc = audit_open(&r, o)) == 0) {
		rc = tk_evidence_reconcile(&doc, r, repo,
		    git_repository_path(repo), (const char *const *)refs,
		    o->nargs - 1, MAX_WALK);
		if (rc == TK_EINVAL)
			rc = cli_usage_error("twokey audit reconcile REPO "
			                     "[REF...]",
			    "%s", tk_error_last());
		else if (rc < 0 || tk_doc_render(&out, &doc, o->fmt) < 0) {
			fprintf(stderr, "twokey: error: %s\n", tk_error_last());
			rc = 1;
		} else if ((rc = audit_emit(o, out.ptr, out.len)) == 0)
			rc = doc.status;
	}
	for (i = 0; i < TK_ARRAY_SIZE(refs); i++)
		free(refs[i]);
	tk_doc_release(&doc);
	tk_buf_release(&out);
	tk_audit_reader_free(r);
	git_repository_free(repo);
	return rc;
}
