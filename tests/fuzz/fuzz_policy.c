/*
 * The policy loader (tk_policy_load_buffer): YAML from whoever can write the
 * policy file.  A policy that loads is then queried the way the hooks query
 * it, and every lookup must find what the loader put in; then reviewed as
 * "twokey config" does (warnings, the access report in every format, the
 * diff with itself), whose output must be clean.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/policy.h"
#include "twokey/review.h"
#include "twokey/sshsig.h"

static const char *const refs[] = {"refs/heads/main", "refs/heads/dev",
    "refs/tags/v1.0", "refs/heads/\xff", "", "refs/heads/release/1.x"};

/*
 * Errors go to an admin's terminal ("twokey config check") and to the
 * pusher: lines, no control characters but the newlines.
 */
static void
check_errors(const char *errors)
{
	size_t i, n = strlen(errors);

	FUZZ_CHECK(n > 0 && errors[n - 1] == '\n');
	for (i = 0; i < n; i++)
		FUZZ_CHECK(errors[i] == '\n' ||
		    ((unsigned char)errors[i] >= 0x20 && errors[i] != 0x7f));
}

static void
check_identity(const struct tk_policy *p, const struct tk_identity *id)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	size_t i;

	FUZZ_CHECK(id->id != NULL && id->name != NULL);
	for (i = 0; i < id->nemails; i++)
		FUZZ_CHECK(tk_policy_by_email(
		               p, id->emails[i], strlen(id->emails[i])) == id);
	for (i = 0; i < id->nlogins; i++)
		FUZZ_CHECK(tk_policy_by_login(
		               p, id->logins[i], strlen(id->logins[i])) == id);
	for (i = 0; i < id->nkeys; i++) {
		FUZZ_CHECK(id->keys[i]->owner == id);
		FUZZ_CHECK(
		    tk_policy_by_key(p, id->keys[i]->key) == id->keys[i]);
		FUZZ_CHECK(
		    id->keys[i]->valid_after < id->keys[i]->valid_before);
	}
	FUZZ_CHECK(tk_roleset_format(&b, p, &id->roles) == 0);
	tk_buf_release(&b);
}

static void
exercise(const struct tk_policy *p)
{
	const struct tk_rule *r;
	size_t i;
	int rc;

	FUZZ_CHECK(p->nroles <= TK_POLICY_MAX_ROLES);
	for (i = 0; i < p->nidentities; i++)
		check_identity(p, p->identities[i]);
	for (i = 0; i < p->nrevoked; i++)
		FUZZ_CHECK(tk_policy_key_revoked(p, p->revoked[i]->key));
	for (i = 0; i < p->nrules; i++) {
		r = p->rules[i];
		FUZZ_CHECK(r->name != NULL && r->refs != NULL);
		FUZZ_CHECK(r->approvals || r->nrequire == 0);
		(void)tk_rule_inspects_commits(r);
	}
	for (i = 0; i < TK_ARRAY_SIZE(refs); i++) {
		rc = tk_policy_match(&r, p, refs[i]);
		FUZZ_CHECK(rc == 0 || rc == 1 || rc == TK_ECONFIG);
		FUZZ_CHECK((rc == 1) == (r != NULL));
	}
}

/* Text for a terminal: no control characters but newlines and tabs. */
static void
check_text(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		FUZZ_CHECK(s[i] == '\n' || s[i] == '\t' ||
		    ((unsigned char)s[i] >= 0x20 && s[i] != 0x7f));
}

static void
review(const struct tk_policy *p)
{
	struct tk_review_opts o = {
	    INT64_C(1767225600), refs, TK_ARRAY_SIZE(refs)};
	struct tk_report_meta m = {"fuzz.yaml", "repo", o.now};
	struct tk_warnings w = {NULL, 0};
	struct tk_changes c = {NULL, 0, 0, 0};
	struct tk_access *a = NULL;
	char *text = NULL;
	size_t i, len = 0;
	int fmt;
	FILE *f;

	FUZZ_CHECK(tk_policy_warn(&w, p, &o) == 0);
	for (i = 0; i < w.n; i++)
		check_text(w.items[i].msg, strlen(w.items[i].msg));
	tk_warnings_release(&w);
	FUZZ_CHECK(tk_policy_diff(&c, p, p, &o) == 0);
	FUZZ_CHECK(c.nwidens == 0 && c.nnarrows == 0);
	tk_changes_release(&c);
	FUZZ_CHECK(tk_access_build(&a, p, refs, TK_ARRAY_SIZE(refs)) == 0);
	for (fmt = TK_REPORT_TEXT; fmt <= TK_REPORT_HTML; fmt++) {
		FUZZ_CHECK((f = open_memstream(&text, &len)) != NULL);
		FUZZ_CHECK(tk_access_report(f, a, fmt, &m) == 0);
		fclose(f);
		check_text(text, len);
		free(text);
		text = NULL;
	}
	tk_access_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_policy *p = NULL;
	char *errors = NULL;
	int rc;

	rc = tk_policy_load_buffer(
	    &p, &errors, "fuzz.yaml", (const char *)data, size);
	if (rc == 0) {
		FUZZ_CHECK(p != NULL && errors == NULL);
		exercise(p);
		review(p);
	} else {
		FUZZ_CHECK(p == NULL && errors != NULL);
		FUZZ_CHECK(
		    rc == TK_ECONFIG || rc == TK_ETOOBIG || rc == TK_ENOMEM);
		check_errors(errors);
	}
	tk_policy_free(p);
	free(errors);
	return 0;
}
