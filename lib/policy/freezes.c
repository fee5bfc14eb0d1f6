/*
 * Top-level "freezes:" (planned change freezes) and "freeze-file:" (where
 * "twokey freeze" keeps ad hoc ones): docs/spec.md, "Change freezes".
 *
 * A freeze only ever narrows what may be pushed, but a typo in one
 * (a wrong time, an unknown key meant as "until") would silently leave a
 * release unprotected, so everything is checked as strictly as rules are.
 */
#include "load.h"
#include "twokey/freeze.h"
#include "twokey/pattern.h"

static const char *const freeze_keys[] = {
    "name", "refs", "from", "until", "reason", NULL};

void
tk_policy_freezes_free(struct tk_policy *p)
{
	struct tk_freeze_list l = {p->freezes, p->nfreezes};

	tk_freeze_list_release(&l);
	p->freezes = NULL;
	p->nfreezes = 0;
	free(p->freeze_file);
	p->freeze_file = NULL;
}

/* name: unique among the planned freezes. */
static int
load_name(struct tk_load *c, struct tk_freeze *f, const struct ynode *v,
    const char *path)
{
	size_t i;
	int rc;

	if ((rc = tk_load_str(c, v, path, &f->name)) < 0)
		return rc;
	if (!tk_freeze_name_ok(f->name, strlen(f->name))) {
		tk_load_err(c, v, path, "expected 1 to %d of A-Z a-z 0-9 . _ -",
		    TK_FREEZE_MAX_NAME);
		return TK_ECONFIG;
	}
	for (i = 0; i + 1 < c->p->nfreezes; i++) /* f is the last */
		if (c->p->freezes[i].name != NULL &&
		    strcmp(c->p->freezes[i].name, f->name) == 0) {
			tk_load_err(c, v, path,
			    "a second freeze named '%s' (the first is at line "
			    "%u)",
			    f->name, c->p->freezes[i].pos.line);
			return TK_ECONFIG;
		}
	return 0;
}

static int
load_refs(struct tk_load *c, struct tk_freeze *f, const struct ynode *v,
    const char *path)
{
	int rc;

	if ((rc = tk_load_str(c, v, path, &f->refs_src)) < 0)
		return rc;
	if (v->len == 0) {
		/* a freeze of nothing, while the admin believes a freeze */
		tk_load_err(
		    c, v, path, "empty pattern: name the refs it freezes");
		return TK_ECONFIG;
	}
	if ((rc = tk_pattern_compile(&f->refs, v->str, v->len)) < 0) {
		tk_load_err(c, v, path, "%s", tk_error_last());
		return rc == TK_ENOMEM ? rc : TK_ECONFIG;
	}
	return 0;
}

static int
load_reason(struct tk_load *c, struct tk_freeze *f, const struct ynode *v,
    const char *path)
{
	int rc;

	if ((rc = tk_load_str(c, v, path, &f->reason)) < 0)
		return rc;
	if (!tk_freeze_reason_ok(f->reason, strlen(f->reason))) {
		tk_load_err(c, v, path,
		    "expected 1 to %d bytes of printable text (it is shown "
		    "to pushers)",
		    TK_FREEZE_MAX_REASON);
		return TK_ECONFIG;
	}
	return 0;
}

/* Every key is required: a freeze without an end would never end. */
static int
load_one(struct tk_load *c, const struct ynode *n, const char *path, void *arg)
{
	struct tk_freeze *f = &c->p->freezes[c->p->nfreezes];
	const struct ynode *v;
	static const char *const req[] = {
	    "name", "refs", "from", "until", "reason"};
	char sub[320];
	size_t i;
	int rc = 0, r;

	(void)arg;
	f->pos = (struct tk_pos){n->line, n->col};
	c->p->nfreezes++; /* freed with the policy even when half-filled */
	if (tk_load_check_keys(c, n, path, freeze_keys) < 0) {
		if (n->type != YN_MAP)
			return TK_ECONFIG;
		rc = TK_ECONFIG;
	}
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		snprintf(sub, sizeof(sub), "%s.%s", path, req[i]);
		if ((v = tk_load_get(n, req[i])) == NULL) {
			tk_load_err(c, n, path, "missing '%s'", req[i]);
			rc = TK_ECONFIG;
			continue;
		}
		if (i == 0)
			r = load_name(c, f, v, sub);
		else if (i == 1)
			r = load_refs(c, f, v, sub);
		else if (i == 2)
			r = tk_load_date(c, v, sub, &f->from);
		else if (i == 3)
			r = tk_load_date(c, v, sub, &f->until);
		else
			r = load_reason(c, f, v, sub);
		if (r == TK_ENOMEM)
			return r;
		if (r < 0)
			rc = TK_ECONFIG;
	}
	if (rc == 0 && f->from >= f->until) {
		snprintf(sub, sizeof(sub), "%s.until", path);
		tk_load_err(c, tk_load_get(n, "until"), sub,
		    "the freeze must end after it starts (from)");
		rc = TK_ECONFIG;
	}
	return rc;
}

static int
load_list(struct tk_load *c, const struct ynode *v)
{
	if (v->type == YN_SEQ && v->n > TK_FREEZE_MAX_PLANNED) {
		tk_load_err(c, v, "freezes", "more than %d freezes",
		    TK_FREEZE_MAX_PLANNED);
		return TK_ECONFIG;
	}
	if (v->type == YN_SEQ &&
	    (c->p->freezes = tk_calloc(v->n + 1, sizeof(*c->p->freezes))) ==
	        NULL)
		return TK_ENOMEM;
	return tk_load_each(c, v, "freezes", load_one, NULL);
}

int
tk_load_freezes(struct tk_load *c, const struct ynode *root)
{
	const struct ynode *v;
	int rc = 0, r;

	if ((v = tk_load_get(root, "freezes")) != NULL && !tk_load_is_null(v) &&
	    (rc = load_list(c, v)) == TK_ENOMEM)
		return rc;
	if ((v = tk_load_get(root, "freeze-file")) != NULL) {
		c->p->freeze_file_pos = (struct tk_pos){v->line, v->col};
		if ((r = tk_load_str(
		         c, v, "freeze-file", &c->p->freeze_file)) == TK_ENOMEM)
			return r;
		if (r < 0)
			rc = r;
		else if (c->p->freeze_file[0] != '/' ||
		    !tk_valid_name(
		        c->p->freeze_file, strlen(c->p->freeze_file), 4000)) {
			tk_load_err(
			    c, v, "freeze-file", "expected an absolute path");
			rc = TK_ECONFIG;
		}
	}
	return rc;
}
