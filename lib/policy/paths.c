/*
 * A rule's change attributes (docs/spec.md and docs/paths.md): "paths:"
 * (approvals and writers by the files a change touches), "require-trailers:"
 * (a ticket reference on every approved commit) and "emails:" (who may
 * appear as author or committer).
 *
 * Globs and patterns are compiled here, at load, so a typo is an error
 * with file:line:column before any push, never a surprise during one.  A
 * paths entry's approvals are constraints added to the rule's own (see
 * struct tk_path_rule); an entry that could never be satisfied (a
 * require role outside its from, require asking for more than min) or
 * does nothing (no approvals, no writers) is an error.
 */
#include "internal.h"
#include "load.h"
#include "twokey/glob.h"
#include "twokey/pattern.h"

static const char *const entry_keys[] = {"match", "approvals", "writers", NULL};
static const char *const approval_keys[] = {"min", "from", "require", NULL};

#define SUB(buf, path, key)                                                    \
	(snprintf(buf, sizeof(buf), "%s.%s", path, key), buf)

static int
load_glob(struct tk_load *c, struct tk_path_rule *e, const struct ynode *en,
    const char *path)
{
	const struct ynode *n = tk_load_get(en, "match");
	char sub[400];
	int rc;

	SUB(sub, path, "match");
	if (n == NULL) {
		tk_load_err(c, en, path, "missing 'match' (a path glob)");
		return TK_ECONFIG;
	}
	if ((rc = tk_load_str(c, n, sub, &e->match_src)) < 0)
		return rc;
	if ((rc = tk_glob_compile(&e->glob, n->str, n->len)) < 0) {
		tk_load_err(c, n, sub, "%s", tk_error_last());
		return rc == TK_ENOMEM ? rc : TK_ECONFIG;
	}
	return 0;
}

/* min and from go together; require alone is enough. */
static int
check_min_from(struct tk_load *c, struct tk_path_rule *e, const struct ynode *n,
    const char *path)
{
	const struct ynode *min = tk_load_get(n, "min");
	const struct ynode *from = tk_load_get(n, "from");
	char sub[400];
	int rc = 0;

	if (min == NULL && from == NULL) {
		if (tk_load_get(n, "require") == NULL) {
			tk_load_err(
			    c, n, path, "empty: give min and from, or require");
			return TK_ECONFIG;
		}
		return 0;
	}
	if (min == NULL || from == NULL) {
		tk_load_err(c, n, path,
		    "missing '%s' (min and from go together)",
		    min == NULL ? "min" : "from");
		rc = TK_ECONFIG;
	}
	if (min != NULL) {
		if (tk_load_uint(c, min, SUB(sub, path, "min"), 100, &e->min) <
		    0)
			rc = TK_ECONFIG;
		else if (e->min == 0) {
			tk_load_err(c, min, sub, "must be at least 1");
			rc = TK_ECONFIG;
		}
	}
	if (from != NULL &&
	    tk_load_roles(c, from, SUB(sub, path, "from"), &e->from) < 0)
		rc = TK_ECONFIG;
	return rc;
}

static int
load_entry_approvals(struct tk_load *c, struct tk_path_rule *e,
    const struct ynode *n, const char *path)
{
	const struct ynode *req;
	char sub[400];
	unsigned sum = 0;
	size_t i;
	int rc = 0;

	e->approvals = true;
	if (tk_load_check_keys(c, n, path, approval_keys) < 0) {
		if (n->type != YN_MAP)
			return TK_ECONFIG;
		rc = TK_ECONFIG; /* unknown keys: check the known ones too */
	}
	if (check_min_from(c, e, n, path) < 0)
		rc = TK_ECONFIG;
	if ((req = tk_load_get(n, "require")) != NULL) {
		/* alone it is the whole entry: {} would ask for nothing */
		int r = req->type == YN_MAP && req->n == 0
		    ? (tk_load_err(c, req, SUB(sub, path, "require"),
		           "expected a mapping of role to count"),
		          TK_ECONFIG)
		    : tk_load_require(c, req, SUB(sub, path, "require"),
		          &e->from, "this entry's approvals.from",
		          tk_load_get(n, "from") == NULL, &e->require,
		          &e->nrequire);

		if (r == TK_ENOMEM)
			return r;
		if (r < 0)
			rc = r;
	}
	for (i = 0; i < e->nrequire; i++)
		sum += e->require[i].min;
	if (rc == 0 && e->min > 0 && sum > e->min) {
		tk_load_err(c, n, path,
		    "require asks for %u approvals, more than min (%u); raise "
		    "min",
		    sum, e->min);
		rc = TK_ECONFIG;
	}
	return rc;
}

static int
load_entry(struct tk_load *c, struct tk_rule *r, const struct ynode *n,
    const char *path)
{
	struct tk_path_rule *e = &r->paths[r->npaths++];
	const struct ynode *v;
	char sub[400];
	int rc = 0, x;

	e->line = n->line;
	e->col = n->col;
	if (tk_load_check_keys(c, n, path, entry_keys) < 0) {
		if (n->type != YN_MAP)
			return TK_ECONFIG;
		rc = TK_ECONFIG;
	}
	if ((x = load_glob(c, e, n, path)) == TK_ENOMEM)
		return x;
	rc = x < 0 ? x : rc;
	if ((v = tk_load_get(n, "approvals")) != NULL &&
	    (x = load_entry_approvals(c, e, v, SUB(sub, path, "approvals"))) <
	        0) {
		if (x == TK_ENOMEM)
			return x;
		rc = x;
	}
	if ((v = tk_load_get(n, "writers")) != NULL) {
		e->writers.set = true;
		if (tk_load_roles(
		        c, v, SUB(sub, path, "writers"), &e->writers.roles) < 0)
			rc = TK_ECONFIG;
	}
	if (!e->approvals && !e->writers.set) {
		tk_load_err(c, n, path,
		    "neither approvals nor writers: the entry would do "
		    "nothing");
		rc = TK_ECONFIG;
	}
	return rc;
}

static int
load_paths(struct tk_load *c, struct tk_rule *r, const struct ynode *n,
    const char *path)
{
	char sub[360];
	size_t i;
	int rc = 0, x;

	if (n->type != YN_SEQ || n->n == 0) {
		tk_load_err(c, n, path,
		    "expected a list of entries "
		    "({match: GLOB, approvals: ..., writers: [...]})");
		return TK_ECONFIG;
	}
	if (n->n > TK_POLICY_MAX_PATHS) {
		tk_load_err(
		    c, n, path, "more than %d entries", TK_POLICY_MAX_PATHS);
		return TK_ECONFIG;
	}
	if ((r->paths = tk_calloc(n->n, sizeof(*r->paths))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < n->n; i++) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if ((x = load_entry(c, r, n->items[i], sub)) == TK_ENOMEM)
			return x;
		if (x < 0)
			rc = x;
	}
	return rc;
}

/* A trailer key as the trailer block allows one: letters, digits, '-'. */
static bool
valid_key(const struct ynode *k)
{
	size_t i;

	for (i = 0; i < k->len; i++)
		if (!((k->str[i] >= 'A' && k->str[i] <= 'Z') ||
		        (k->str[i] >= 'a' && k->str[i] <= 'z') ||
		        (k->str[i] >= '0' && k->str[i] <= '9') ||
		        k->str[i] == '-'))
			return false;
	return k->len > 0;
}

static int
load_trailer(struct tk_load *c, struct tk_rule *r, const struct ynode *k,
    const struct ynode *v, const char *path)
{
	struct tk_trailer_rule *t = &r->trailers[r->ntrailers];
	size_t i;
	int rc;

	if (!valid_key(k) || tk_ascii_ieq(k->str, k->len, "Approved-by", 11)) {
		tk_load_err(c, k, path,
		    "expected a trailer key (letters, digits and '-'; not "
		    "Approved-by)");
		return TK_ECONFIG;
	}
	for (i = 0; i < r->ntrailers; i++)
		if (tk_ascii_ieq(r->trailers[i].key, strlen(r->trailers[i].key),
		        k->str, k->len)) {
			tk_load_err(c, k, path,
			    "trailer key given twice (keys ignore case)");
			return TK_ECONFIG;
		}
	if ((rc = tk_load_str(c, v, path, &t->src)) < 0)
		return rc;
	if ((t->key = tk_strndup(k->str, k->len)) == NULL)
		return TK_ENOMEM;
	r->ntrailers++;
	if ((rc = tk_pattern_compile(&t->value, v->str, v->len)) < 0) {
		tk_load_err(c, v, path, "%s", tk_error_last());
		return rc == TK_ENOMEM ? rc : TK_ECONFIG;
	}
	return 0;
}

static int
load_trailers(struct tk_load *c, struct tk_rule *r, const struct ynode *n,
    const char *path)
{
	char sub[420];
	size_t i;
	int rc = 0, x;

	if (n->type != YN_MAP || n->n == 0) {
		tk_load_err(c, n, path,
		    "expected a mapping of trailer key to a value pattern");
		return TK_ECONFIG;
	}
	if (n->n / 2 > TK_POLICY_MAX_TRAILERS) {
		tk_load_err(c, n, path, "more than %d trailers",
		    TK_POLICY_MAX_TRAILERS);
		return TK_ECONFIG;
	}
	if ((r->trailers = tk_calloc(n->n / 2, sizeof(*r->trailers))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i + 1 < n->n; i += 2) {
		snprintf(sub, sizeof(sub), "%s.%s", path, n->items[i]->str);
		x = load_trailer(c, r, n->items[i], n->items[i + 1], sub);
		if (x == TK_ENOMEM)
			return x;
		if (x < 0)
			rc = x;
	}
	return rc;
}

static int
load_emails(struct tk_load *c, struct tk_rule *r, const struct ynode *n,
    const char *path)
{
	int rc;

	if ((rc = tk_load_str(c, n, path, &r->emails_src)) < 0)
		return rc;
	if ((rc = tk_pattern_compile(&r->emails, n->str, n->len)) < 0) {
		tk_load_err(c, n, path, "%s", tk_error_last());
		return rc == TK_ENOMEM ? rc : TK_ECONFIG;
	}
	return 0;
}

int
tk_load_change(struct tk_load *c, struct tk_rule *r, const struct ynode *rn,
    const char *path)
{
	const struct ynode *v;
	char sub[340];
	int rc = 0, x;

	if ((v = tk_load_get(rn, "paths")) != NULL &&
	    (x = load_paths(c, r, v, SUB(sub, path, "paths"))) < 0) {
		if (x == TK_ENOMEM)
			return x;
		rc = x;
	}
	if ((v = tk_load_get(rn, "require-trailers")) != NULL &&
	    (x = load_trailers(c, r, v, SUB(sub, path, "require-trailers"))) <
	        0) {
		if (x == TK_ENOMEM)
			return x;
		rc = x;
	}
	if ((v = tk_load_get(rn, "emails")) != NULL &&
	    (x = load_emails(c, r, v, SUB(sub, path, "emails"))) < 0) {
		if (x == TK_ENOMEM)
			return x;
		rc = x;
	}
	return rc;
}

void
tk_rule_change_free(struct tk_rule *r)
{
	size_t i;

	for (i = 0; i < r->npaths; i++) {
		free(r->paths[i].match_src);
		tk_glob_free(r->paths[i].glob);
		free(r->paths[i].require);
	}
	for (i = 0; i < r->ntrailers; i++) {
		free(r->trailers[i].key);
		free(r->trailers[i].src);
		tk_pattern_free(r->trailers[i].value);
	}
	free(r->paths);
	free(r->trailers);
	free(r->emails_src);
	tk_pattern_free(r->emails);
}

bool
tk_rule_may_need_approvals(const struct tk_rule *r)
{
	size_t i;

	for (i = 0; i < r->npaths; i++)
		if (r->paths[i].approvals)
			return true;
	return r->approvals;
}

static bool
require_covers(const struct tk_path_rule *a, const struct tk_role_min *m)
{
	size_t i;

	for (i = 0; i < a->nrequire; i++)
		if (a->require[i].role == m->role &&
		    a->require[i].min >= m->min)
			return true;
	return false;
}

/* Entry a asks at least what entry b asks, of the same glob text. */
static bool
entry_covers(const struct tk_path_rule *a, const struct tk_path_rule *b)
{
	size_t i;

	if (strcmp(a->match_src, b->match_src) != 0)
		return false;
	if (b->writers.set &&
	    (!a->writers.set ||
	        !tk_roleset_within(&a->writers.roles, &b->writers.roles)))
		return false;
	if (!b->approvals)
		return true;
	if (!a->approvals || a->min < b->min ||
	    (b->min > 0 && !tk_roleset_within(&a->from, &b->from)))
		return false;
	for (i = 0; i < b->nrequire; i++)
		if (!require_covers(a, &b->require[i]))
			return false;
	return true;
}

bool
tk_rule_change_covers(const struct tk_rule *a, const struct tk_rule *b)
{
	size_t i, k;

	for (i = 0; i < b->npaths; i++) {
		for (k = 0; k < a->npaths; k++)
			if (entry_covers(&a->paths[k], &b->paths[i]))
				break;
		if (k == a->npaths)
			return false;
	}
	for (i = 0; i < b->ntrailers; i++) {
		for (k = 0; k < a->ntrailers; k++)
			if (tk_ascii_ieq(a->trailers[k].key,
			        strlen(a->trailers[k].key), b->trailers[i].key,
			        strlen(b->trailers[i].key)) &&
			    strcmp(a->trailers[k].src, b->trailers[i].src) == 0)
				break;
		if (k == a->ntrailers)
			return false;
	}
	return b->emails == NULL ||
	    (a->emails != NULL && strcmp(a->emails_src, b->emails_src) == 0);
}

/* a's rule-level approvals ask at least what b's ask. */
static bool
approvals_cover(const struct tk_rule *a, const struct tk_rule *b)
{
	size_t i, k;

	if (!b->approvals)
		return true;
	if (!a->approvals || a->approvals_min < b->approvals_min ||
	    !tk_roleset_within(&a->approvals_from, &b->approvals_from))
		return false;
	for (i = 0; i < b->nrequire; i++) {
		for (k = 0; k < a->nrequire; k++)
			if (a->require[k].role == b->require[i].role &&
			    a->require[k].min >= b->require[i].min)
				break;
		if (k == a->nrequire)
			return false;
	}
	return true;
}

bool
tk_rule_vouches_for(const struct tk_rule *a, const struct tk_rule *b)
{
	if (a == b)
		return true;
	if (a == NULL)
		return !tk_rule_inspects_commits(b);
	if (b->mode == TK_MODE_ENFORCE && a->mode != TK_MODE_ENFORCE)
		return false;
	if ((b->signed_commits && !a->signed_commits) ||
	    (!b->pusher_may_approve && a->pusher_may_approve) ||
	    (!b->pusher_may_write && a->pusher_may_write))
		return false;
	if (b->promote_from != NULL &&
	    (a->promote_from == NULL ||
	        strcmp(a->promote_from, b->promote_from) != 0))
		return false;
	/* an emergency path lifting checks b never lifts: commits landed so */
	if (a->emergency != NULL &&
	    (b->emergency == NULL ||
	        (a->emergency->waive & ~b->emergency->waive) != 0))
		return false;
	return approvals_cover(a, b) && tk_rule_change_covers(a, b);
}
