/*
 * A rule's emergency: block (docs/spec.md, "Emergency changes").  An
 * emergency lifts checks, so every part of it is checked strictly: an
 * unknown waive name, a role not under roles:, a duration without a unit
 * or past a year, a ratification nobody could name (no min/from and no
 * approvals: on the rule to default to) are errors, never ignored.
 */
#include "internal.h"
#include "load.h"
#include "twokey/pattern.h"

static const char *const emergency_keys[] = {
    "by", "reason", "waive", "ratify", NULL};
static const char *const ratify_keys[] = {
    "within", "min", "from", "require", "overdue", NULL};
static const char *const waive_names[] = {"approvals", "signed-commits",
    "pusher-may-write", "promote-from", "freeze", NULL};

const char *
tk_waive_name(unsigned bit)
{
	size_t i;

	for (i = 0; waive_names[i] != NULL; i++)
		if (bit == (1u << i))
			return waive_names[i];
	return NULL;
}

int
tk_waive_format(struct tk_buf *out, unsigned bits, const char *sep)
{
	size_t i;
	int rc = 0, first = 1;

	for (i = 0; waive_names[i] != NULL && rc == 0; i++) {
		if (!(bits & (1u << i)))
			continue;
		rc = tk_buf_printf(
		    out, "%s%s", first ? "" : sep, waive_names[i]);
		first = 0;
	}
	return rc;
}

static int
add_waive(struct tk_load *c, const struct ynode *n, const char *path, void *arg)
{
	unsigned *bits = arg;
	size_t i;

	for (i = 0; n->type == YN_SCALAR && waive_names[i] != NULL; i++)
		if (strcmp(n->str, waive_names[i]) == 0) {
			*bits |= 1u << i;
			return 0;
		}
	tk_load_err(c, n, path,
	    "unknown check '%s' (expected approvals, signed-commits, "
	    "pusher-may-write, promote-from or freeze; role checks are never "
	    "waived)",
	    n->type == YN_SCALAR ? n->str : "");
	return TK_ECONFIG;
}

/* "30m", "24h", "2d": at least a minute, at most TK_EMERGENCY_MAX_WITHIN. */
static int
load_within(
    struct tk_load *c, const struct ynode *n, const char *path, int64_t *out)
{
	int64_t v = 0, unit;
	size_t i;

	if (n->type != YN_SCALAR || n->len < 2 || n->len > 8)
		goto bad;
	for (i = 0; i + 1 < n->len; i++) {
		if (n->str[i] < '0' || n->str[i] > '9')
			goto bad;
		v = v * 10 + (n->str[i] - '0');
	}
	unit = n->str[i] == 'm' ? 60
	    : n->str[i] == 'h'  ? 3600
	    : n->str[i] == 'd'  ? 86400
	                        : 0;
	if (unit == 0 || v == 0 || v * unit > TK_EMERGENCY_MAX_WITHIN)
		goto bad;
	*out = v * unit;
	return 0;
bad:
	tk_load_err(c, n, path,
	    "expected a duration from 1m to 366d: a whole number and m "
	    "(minutes), h (hours) or d (days), e.g. 24h");
	return TK_ECONFIG;
}

/* The rule's approvals, copied: what ratifies when ratify: names none. */
static int
default_ratifiers(struct tk_load *c, struct tk_emergency *e,
    const struct tk_rule *r, const struct ynode *n, const char *path)
{
	if (!r->approvals) {
		tk_load_err(c, n, path,
		    "give min and from: the rule has no approvals: block for "
		    "the ratification to default to");
		return TK_ECONFIG;
	}
	e->min = r->approvals_min;
	e->from = r->approvals_from;
	e->min_pos = r->approvals_pos;
	if (r->nrequire == 0)
		return 0;
	if ((e->require = tk_calloc(r->nrequire, sizeof(*e->require))) == NULL)
		return TK_ENOMEM;
	memcpy(e->require, r->require, r->nrequire * sizeof(*e->require));
	e->nrequire = r->nrequire;
	return 0;
}

static int
load_counts(struct tk_load *c, struct tk_emergency *e, const struct ynode *n,
    const char *path)
{
	const struct ynode *min = tk_load_get(n, "min"),
	                   *from = tk_load_get(n, "from"),
	                   *req = tk_load_get(n, "require");
	char sub[400];
	unsigned sum = 0;
	size_t i;
	int rc = 0;

	if (min == NULL || from == NULL) {
		tk_load_err(c, n, path,
		    "give both min and from (or neither, to use the rule's "
		    "approvals)");
		return TK_ECONFIG;
	}
	snprintf(sub, sizeof(sub), "%s.min", path);
	e->min_pos = (struct tk_pos){min->line, min->col};
	if (tk_load_uint(c, min, sub, 100, &e->min) < 0)
		rc = TK_ECONFIG;
	else if (e->min == 0) {
		tk_load_err(c, min, sub, "must be at least 1");
		rc = TK_ECONFIG;
	}
	snprintf(sub, sizeof(sub), "%s.from", path);
	if (tk_load_roles(c, from, sub, &e->from) < 0)
		rc = TK_ECONFIG;
	snprintf(sub, sizeof(sub), "%s.require", path);
	if (req != NULL && rc == 0 &&
	    (rc = tk_load_require(c, req, sub, &e->from, "ratify.from", false,
	         &e->require, &e->nrequire)) < 0)
		return rc;
	for (i = 0; i < e->nrequire; i++)
		sum += e->require[i].min;
	if (rc == 0 && sum > e->min) {
		tk_load_err(c, n, path,
		    "require asks for %u approvals, more than min (%u); raise "
		    "min",
		    sum, e->min);
		rc = TK_ECONFIG;
	}
	return rc;
}

static int
load_ratify(struct tk_load *c, struct tk_emergency *e, const struct tk_rule *r,
    const struct ynode *n, const char *path)
{
	const struct ynode *v;
	char sub[400];
	int rc = 0;

	if (tk_load_check_keys(c, n, path, ratify_keys) < 0) {
		if (n->type != YN_MAP)
			return TK_ECONFIG;
		rc = TK_ECONFIG;
	}
	snprintf(sub, sizeof(sub), "%s.within", path);
	if ((v = tk_load_get(n, "within")) == NULL) {
		tk_load_err(c, n, path,
		    "missing 'within' (the deadline for ratification)");
		rc = TK_ECONFIG;
	} else {
		e->within_pos = (struct tk_pos){v->line, v->col};
		if (load_within(c, v, sub, &e->within) < 0)
			rc = TK_ECONFIG;
	}
	snprintf(sub, sizeof(sub), "%s.overdue", path);
	if ((v = tk_load_get(n, "overdue")) != NULL) {
		if (v->type == YN_SCALAR && strcmp(v->str, "block") == 0)
			e->overdue = TK_OVERDUE_BLOCK;
		else if (v->type != YN_SCALAR || strcmp(v->str, "warn") != 0) {
			tk_load_err(c, v, sub, "expected block or warn");
			rc = TK_ECONFIG;
		}
	}
	if (tk_load_get(n, "min") || tk_load_get(n, "from") ||
	    tk_load_get(n, "require")) {
		if (load_counts(c, e, n, path) == TK_ENOMEM)
			return TK_ENOMEM;
		return c->nerr ? TK_ECONFIG : rc;
	}
	if (default_ratifiers(c, e, r, n, path) == TK_ENOMEM)
		return TK_ENOMEM;
	return c->nerr ? TK_ECONFIG : rc;
}

static int
load_reason(struct tk_load *c, struct tk_emergency *e, const struct ynode *n,
    const char *path)
{
	int rc;

	if ((rc = tk_load_str(c, n, path, &e->reason_src)) < 0)
		return rc;
	if ((rc = tk_pattern_compile(&e->reason, n->str, n->len)) < 0) {
		tk_load_err(c, n, path, "%s", tk_error_last());
		return rc == TK_ENOMEM ? rc : TK_ECONFIG;
	}
	return 0;
}

static int
load_by_waive(struct tk_load *c, struct tk_emergency *e, const struct ynode *n,
    const char *path)
{
	const struct ynode *v;
	char sub[400];
	int rc = 0;

	snprintf(sub, sizeof(sub), "%s.by", path);
	if ((v = tk_load_get(n, "by")) == NULL) {
		tk_load_err(
		    c, n, path, "missing 'by' (the roles that may invoke it)");
		rc = TK_ECONFIG;
	} else if ((e->by_pos = (struct tk_pos){v->line, v->col},
	               tk_load_roles(c, v, sub, &e->by)) < 0)
		rc = TK_ECONFIG;
	else if (tk_roleset_empty(&e->by)) {
		tk_load_err(c, v, sub,
		    "lists no role: drop emergency: for no emergency path");
		rc = TK_ECONFIG;
	}
	snprintf(sub, sizeof(sub), "%s.waive", path);
	if ((v = tk_load_get(n, "waive")) == NULL) {
		tk_load_err(
		    c, n, path, "missing 'waive' (the checks it lifts)");
		rc = TK_ECONFIG;
	} else if ((e->waive_pos = (struct tk_pos){v->line, v->col},
	               tk_load_each(c, v, sub, add_waive, &e->waive)) < 0)
		rc = TK_ECONFIG;
	else if (e->waive == 0) {
		tk_load_err(c, v, sub,
		    "lists no check: an emergency that waives nothing is an "
		    "ordinary push");
		rc = TK_ECONFIG;
	}
	return rc;
}

int
tk_load_emergency(struct tk_load *c, struct tk_rule *r, const struct ynode *rn,
    const char *rpath)
{
	const struct ynode *n = tk_load_get(rn, "emergency"), *v;
	struct tk_emergency *e;
	char path[340], sub[400];
	int rc = 0, x;

	if (n == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s.emergency", rpath);
	if (tk_load_check_keys(c, n, path, emergency_keys) < 0) {
		if (n->type != YN_MAP)
			return TK_ECONFIG;
		rc = TK_ECONFIG;
	}
	if ((e = r->emergency = tk_calloc(1, sizeof(*e))) == NULL)
		return TK_ENOMEM;
	e->pos = (struct tk_pos){n->line, n->col};
	rc |= load_by_waive(c, e, n, path);
	snprintf(sub, sizeof(sub), "%s.reason", path);
	if ((v = tk_load_get(n, "reason")) != NULL &&
	    (x = load_reason(c, e, v, sub)) < 0) {
		if (x == TK_ENOMEM)
			return x;
		rc = TK_ECONFIG;
	}
	snprintf(sub, sizeof(sub), "%s.ratify", path);
	if ((v = tk_load_get(n, "ratify")) == NULL) {
		tk_load_err(c, n, path,
		    "missing 'ratify' (an emergency must be reviewed after the "
		    "fact, within a deadline)");
		rc = TK_ECONFIG;
	} else if ((x = load_ratify(c, e, r, v, sub)) < 0) {
		if (x == TK_ENOMEM)
			return x;
		rc = TK_ECONFIG;
	}
	return rc < 0 ? TK_ECONFIG : 0;
}

void
tk_emergency_free(struct tk_emergency *e)
{
	if (e == NULL)
		return;
	free(e->reason_src);
	tk_pattern_free(e->reason);
	free(e->require);
	free(e);
}
