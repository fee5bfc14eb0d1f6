/*
 * Lookups on a loaded policy, rule matching, and finding the policy file.
 */
#include <git2.h>

#include "internal.h"
#include "load.h"
#include "twokey/pattern.h"
#include "twokey/policy.h"
#include "twokey/sshsig.h"

static void
rule_free(struct tk_rule *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->refs_src);
	tk_pattern_free(r->refs);
	free(r->require);
	free(r->promote_from);
	tk_rule_change_free(r);
	tk_emergency_free(r->emergency);
	free(r);
}

void
tk_policy_free(struct tk_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nroles; i++)
		free(p->roles[i]);
	for (i = 0; i < p->nidentities; i++)
		if (p->arena == NULL)
			tk_identity_free(p->identities[i]);
		else
			tk_identity_keys_free_(p->identities[i]);
	tk_policy_arena_free_(p->arena);
	for (i = 0; i < p->nrevoked; i++)
		tk_key_free_(p->revoked[i]);
	for (i = 0; i < p->npusher_env; i++)
		free(p->pusher_env[i]);
	for (i = 0; i < p->nrules; i++)
		rule_free(p->rules[i]);
	free(p->roles);
	free(p->role_pos);
	free(p->identities);
	free(p->revoked);
	free(p->pusher_env);
	free(p->rules);
	free(p->audit_path);
	free(p->audit_key_file);
	free(p->audit_postgres);
	free(p->audit_node);
	tk_policy_freezes_free(p);
	free(p->trusted);
	free(p->trusted_pos);
	tk_map_free(p->by_email);
	tk_map_free(p->by_login);
	tk_map_free(p->by_key);
	tk_map_free(p->revoked_map);
	tk_map_free(p->role_index);
	free(p->path);
	free(p);
}

const struct tk_identity *
tk_policy_by_email(const struct tk_policy *p, const char *email, size_t len)
{
	char buf[256];
	size_t i;

	if (len == 0 || len > 254)
		return NULL;
	for (i = 0; i < len; i++)
		buf[i] = (char)tk_ascii_tolower((unsigned char)email[i]);
	return tk_map_get(p->by_email, buf, len);
}

const struct tk_identity *
tk_policy_by_login(const struct tk_policy *p, const char *login, size_t len)
{
	if (len == 0)
		return NULL;
	return tk_map_get(p->by_login, login, len);
}

const struct tk_key *
tk_policy_by_key(const struct tk_policy *p, const struct tk_sshkey *k)
{
	const unsigned char *blob = NULL;
	size_t len = 0;

	blob = tk_sshkey_blob(k, &len);
	return tk_policy_by_key_blob(p, blob, len);
}

const struct tk_key *
tk_policy_by_key_blob(
    const struct tk_policy *p, const unsigned char *blob, size_t len)
{
	return blob != NULL ? tk_map_get(p->by_key, blob, len) : NULL;
}

bool
tk_policy_key_revoked(const struct tk_policy *p, const struct tk_sshkey *k)
{
	const unsigned char *blob = NULL;
	size_t len = 0;

	blob = tk_sshkey_blob(k, &len);
	return tk_map_get(p->revoked_map, blob, len) != NULL;
}

bool
tk_key_valid_at(const struct tk_key *k, int64_t now)
{
	return k->valid_after <= now && now < k->valid_before;
}

bool
tk_roleset_has(const struct tk_roleset *s, unsigned role)
{
	return role < TK_POLICY_MAX_ROLES &&
	    (s->bits[role / 64] >> (role % 64)) & 1;
}

bool
tk_roleset_intersects(const struct tk_roleset *a, const struct tk_roleset *b)
{
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(a->bits); i++)
		if (a->bits[i] & b->bits[i])
			return true;
	return false;
}

bool
tk_roleset_within(const struct tk_roleset *a, const struct tk_roleset *b)
{
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(a->bits); i++)
		if (a->bits[i] & ~b->bits[i])
			return false;
	return true;
}

bool
tk_roleset_empty(const struct tk_roleset *s)
{
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(s->bits); i++)
		if (s->bits[i] != 0)
			return false;
	return true;
}

int
tk_roleset_format(
    struct tk_buf *out, const struct tk_policy *p, const struct tk_roleset *s)
{
	unsigned i;
	int rc, first = 1;

	for (i = 0; i < p->nroles; i++) {
		if (!tk_roleset_has(s, i))
			continue;
		if ((rc = tk_buf_printf(
		         out, "%s%s", first ? "" : ", ", p->roles[i])) < 0)
			return rc;
		first = 0;
	}
	return first ? tk_buf_puts(out, "nobody") : 0;
}

int
tk_policy_match(
    const struct tk_rule **rule, const struct tk_policy *p, const char *ref)
{
	char why[256];
	size_t i;
	int r;

	*rule = NULL;
	for (i = 0; i < p->nrules; i++) {
		r = tk_pattern_match(p->rules[i]->refs, ref, strlen(ref));
		if (r < 0) {
			/* a copy: tk_error_set() writes where this points */
			snprintf(why, sizeof(why), "%s", tk_error_last());
			return tk_error_set(TK_ECONFIG,
			    "rule '%s': pattern cannot be evaluated against "
			    "this ref (%s)",
			    p->rules[i]->name, why);
		}
		if (r == 1) {
			*rule = p->rules[i];
			return 1;
		}
	}
	return 0;
}

bool
tk_rule_inspects_commits(const struct tk_rule *r)
{
	return r->approvals || r->signed_commits || !r->pusher_may_write ||
	    r->promote_from != NULL || r->npaths > 0 || r->ntrailers > 0 ||
	    r->emails != NULL;
}

/* twokey.config of repo's configuration, else the built-in default. */
static int
locate_in(char **out, git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf val = {NULL, 0, 0};

	if (repo != NULL && git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_string_buf(&val, cfg, "twokey.config") == 0 &&
	    val.size > 0)
		*out = tk_strndup(val.ptr, val.size);
	else
		*out = tk_strdup(TWOKEY_POLICY_PATH);
	git_buf_dispose(&val);
	git_config_free(cfg);
	return *out != NULL ? 0 : TK_ENOMEM;
}

int
tk_policy_locate_repo(char **out, git_repository *repo)
{
	const char *env = getenv("TWOKEY_CONFIG");

	*out = NULL;
	if (env != NULL && *env != '\0')
		return (*out = tk_strdup(env)) ? 0 : TK_ENOMEM;
	return locate_in(out, repo);
}

int
tk_policy_locate(char **out, const char *gitdir)
{
	const char *env = getenv("TWOKEY_CONFIG");
	git_repository *repo = NULL;
	int rc;

	*out = NULL;
	if (env != NULL && *env != '\0')
		return (*out = tk_strdup(env)) ? 0 : TK_ENOMEM;
	if (gitdir != NULL &&
	    git_repository_open_ext(
	        &repo, gitdir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0)
		repo = NULL;
	rc = locate_in(out, repo);
	git_repository_free(repo);
	return rc;
}
