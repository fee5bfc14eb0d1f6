/*
 * rules: section.  First matching rule wins, so order is kept.
 */
#include "internal.h"
#include "load.h"
#include "twokey/pattern.h"

static const char *const rule_keys[] = {"name", "refs", "update", "create",
    "delete", "force-push", "signed-commits", "approvals", "pusher-may-approve",
    "pusher-may-write", "promote-from", "mode", "paths", "require-trailers",
    "emails", "emergency", NULL};
static const char *const approval_keys[] = {"min", "from", "require", NULL};

static int
load_rolelist(struct tk_load *c, const struct ynode *rn, const char *key,
    const char *path, struct tk_rolelist *out)
{
	const struct ynode *v = tk_load_get(rn, key);
	char sub[320];

	if (v == NULL)
		return 0;
	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	out->set = true;
	out->pos = (struct tk_pos){v->line, v->col};
	return tk_load_roles(c, v, sub, &out->roles);
}

static int
load_approvals(struct tk_load *c, struct tk_rule *r, const struct ynode *n,
    const char *path)
{
	const struct ynode *v;
	char sub[320];
	unsigned sum = 0;
	size_t i;
	int rc = 0, unknown = 0;

	if (tk_load_check_keys(c, n, path, approval_keys) < 0) {
		if (n->type != YN_MAP)
			return TK_ECONFIG;
		unknown = 1; /* check the known keys too */
	}
	r->approvals = true;
	r->approvals_pos = (struct tk_pos){n->line, n->col};
	snprintf(sub, sizeof(sub), "%s.min", path);
	if ((v = tk_load_get(n, "min")) != NULL)
		r->approvals_pos = (struct tk_pos){v->line, v->col};
	if (v == NULL) {
		tk_load_err(c, n, path, "missing 'min'");
		rc = TK_ECONFIG;
	} else if (tk_load_uint(c, v, sub, 100, &r->approvals_min) < 0)
		rc = TK_ECONFIG;
	else if (r->approvals_min == 0) {
		tk_load_err(c, v, sub,
		    "must be at least 1 (drop approvals: "
		    "to require none)");
		rc = TK_ECONFIG;
	}
	snprintf(sub, sizeof(sub), "%s.from", path);
	if ((v = tk_load_get(n, "from")) == NULL) {
		tk_load_err(c, n, path, "missing 'from'");
		rc = TK_ECONFIG;
	} else if (tk_load_roles(c, v, sub, &r->approvals_from) < 0)
		rc = TK_ECONFIG;
	snprintf(sub, sizeof(sub), "%s.require", path);
	if ((v = tk_load_get(n, "require")) != NULL && rc == 0 &&
	    tk_load_require(c, v, sub, &r->approvals_from, "approvals.from",
	        false, &r->require, &r->nrequire) < 0)
		rc = TK_ECONFIG;
	for (i = 0; i < r->nrequire; i++)
		sum += r->require[i].min;
	if (rc == 0 && sum > r->approvals_min) {
		tk_load_err(c, n, path,
		    "require asks for %u approvals, more "
		    "than min (%u); raise min",
		    sum, r->approvals_min);
		rc = TK_ECONFIG;
	}
	return unknown ? TK_ECONFIG : rc;
}

static int
load_pattern(struct tk_load *c, struct tk_rule *r, const struct ynode *rn,
    const char *path)
{
	const struct ynode *v = tk_load_get(rn, "refs");
	char sub[320];
	int rc;

	snprintf(sub, sizeof(sub), "%s.refs", path);
	if (v == NULL) {
		tk_load_err(c, rn, path, "missing 'refs'");
		return TK_ECONFIG;
	}
	if ((rc = tk_load_str(c, v, sub, &r->refs_src)) < 0)
		return rc;
	if (v->len == 0) {
		/* a rule that protects nothing, while it reads as a rule */
		tk_load_err(
		    c, v, sub, "empty pattern: name the refs it governs");
		return TK_ECONFIG;
	}
	/* One line without escapes: offsets in the pattern are columns. */
	r->refs_pos = (struct tk_pos){v->line, v->col + (v->quote ? 1 : 0)};
	r->refs_exact = v->end_line == v->line &&
	    v->end_col - v->col == v->len + (v->quote ? 2 : 0);
	if ((rc = tk_pattern_compile(&r->refs, v->str, v->len)) < 0) {
		tk_load_err(c, v, sub, "%s", tk_error_last());
		return rc == TK_ENOMEM ? rc : TK_ECONFIG;
	}
	return 0;
}

static int
load_flags(struct tk_load *c, struct tk_rule *r, const struct ynode *rn,
    const char *path)
{
	const struct ynode *v;
	char sub[320];
	int rc = 0;

#define SUB(k) (snprintf(sub, sizeof(sub), "%s.%s", path, k), sub)
	if ((v = tk_load_get(rn, "signed-commits")) != NULL)
		rc |= tk_load_bool(
		    c, v, SUB("signed-commits"), &r->signed_commits);
	if ((v = tk_load_get(rn, "pusher-may-approve")) != NULL)
		rc |= tk_load_bool(
		    c, v, SUB("pusher-may-approve"), &r->pusher_may_approve);
	if ((v = tk_load_get(rn, "pusher-may-write")) != NULL)
		rc |= tk_load_bool(
		    c, v, SUB("pusher-may-write"), &r->pusher_may_write);
	if ((v = tk_load_get(rn, "promote-from")) != NULL) {
		/* Checked on its own: an earlier error must not hide it. */
		if (tk_load_str(c, v, SUB("promote-from"), &r->promote_from) <
		    0)
			rc = TK_ECONFIG;
		else if (strncmp(r->promote_from, "refs/", 5) != 0) {
			tk_load_err(
			    c, v, sub, "expected a full ref name (refs/...)");
			rc = TK_ECONFIG;
		}
	}
	if ((v = tk_load_get(rn, "mode")) != NULL) {
		if (v->type == YN_SCALAR && strcmp(v->str, "warn") == 0)
			r->mode = TK_MODE_WARN;
		else if (v->type != YN_SCALAR || strcmp(v->str, "enforce")) {
			tk_load_err(
			    c, v, SUB("mode"), "expected enforce or warn");
			rc = TK_ECONFIG;
		}
	}
	if ((v = tk_load_get(rn, "approvals")) != NULL)
		rc |= load_approvals(c, r, v, SUB("approvals"));
#undef SUB
	return rc < 0 ? TK_ECONFIG : 0;
}

static int
load_rule(struct tk_load *c, const struct ynode *rn, size_t idx)
{
	struct tk_rule *r;
	const struct ynode *v;
	char path[300], sub[320];
	int rc = 0, x;

	if ((r = tk_calloc(1, sizeof(*r))) == NULL)
		return TK_ENOMEM;
	c->p->rules[c->p->nrules++] = r;
	r->pusher_may_approve = true;
	r->pusher_may_write = true;
	r->line = rn->line;
	snprintf(path, sizeof(path), "rules[%zu]", idx);
	if (tk_load_check_keys(c, rn, path, rule_keys) < 0) {
		if (rn->type != YN_MAP)
			return TK_ECONFIG;
		rc = TK_ECONFIG; /* unknown keys: check the known ones too */
	}
	snprintf(sub, sizeof(sub), "%s.name", path);
	if ((v = tk_load_get(rn, "name")) != NULL)
		rc |= tk_load_str(c, v, sub, &r->name);
	else {
		snprintf(sub, sizeof(sub), "rule %zu", idx + 1);
		if ((r->name = tk_strdup(sub)) == NULL)
			return TK_ENOMEM;
	}
	rc |= load_pattern(c, r, rn, path);
	rc |= load_rolelist(c, rn, "update", path, &r->update);
	rc |= load_rolelist(c, rn, "create", path, &r->create);
	rc |= load_rolelist(c, rn, "delete", path, &r->delete_);
	rc |= load_rolelist(c, rn, "force-push", path, &r->force_push);
	rc |= load_flags(c, r, rn, path);
	if ((x = tk_load_change(c, r, rn, path)) == TK_ENOMEM)
		return x;
	rc |= x;
	/* after approvals: the ratification defaults to them */
	if ((x = tk_load_emergency(c, r, rn, path)) == TK_ENOMEM)
		return x;
	return rc < 0 || x < 0 ? TK_ECONFIG : 0;
}

/*
 * Rule names are unique: audit records, reports, statistics and
 * "config diff" name a rule by its name, so two rules of one name would
 * make the evidence say which rule decided without saying which.  A
 * default name ("rule 3") counts too.
 */
static int
unique_names(struct tk_load *c, const struct ynode *n)
{
	struct tk_map *seen = NULL;
	const struct ynode *v;
	char path[64];
	void *first;
	size_t i;
	int rc, bad = 0;

	if (tk_map_new(&seen) < 0)
		return TK_ENOMEM;
	for (i = 0; i < c->p->nrules; i++) {
		const struct tk_rule *r = c->p->rules[i];

		if (r->name == NULL)
			continue;
		rc = tk_map_put(
		    seen, r->name, strlen(r->name), (void *)r, &first);
		if (rc == TK_ENOMEM) {
			tk_map_free(seen);
			return rc;
		}
		if (rc == 0)
			continue;
		v = tk_load_get(n->items[i], "name");
		snprintf(path, sizeof(path), "rules[%zu]%s", i,
		    v != NULL ? ".name" : "");
		tk_load_err(c, v != NULL ? v : n->items[i], path,
		    "a second rule named '%s' (the first is at line %u): "
		    "rule names must differ, since audit records and reports "
		    "name the rule that decided",
		    r->name, ((const struct tk_rule *)first)->line);
		bad = 1;
	}
	tk_map_free(seen);
	return bad ? TK_ECONFIG : 0;
}

int
tk_load_rules(struct tk_load *c, const struct ynode *n)
{
	size_t i;
	int rc = 0, r;

	if (n->type != YN_SEQ) {
		tk_load_err(c, n, "rules", "expected a list of rules");
		return TK_ECONFIG;
	}
	if ((c->p->rules = tk_calloc(n->n + 1, sizeof(*c->p->rules))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < n->n; i++) {
		if ((r = load_rule(c, n->items[i], i)) == TK_ENOMEM)
			return r;
		if (r < 0)
			rc = r;
	}
	if ((r = unique_names(c, n)) == TK_ENOMEM)
		return r;
	return r < 0 ? r : rc;
}
