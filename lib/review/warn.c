/*
 * Warnings about a valid policy ("twokey config check").
 *
 * Each of these passed validation in the field and left main unprotected
 * or unmergeable: a glob's star after a slash (in a regex: any number of
 * slashes, so it matches no branch), "{main,release}" (literal braces),
 * "main" (ref names start with refs/), a catch-all rule placed first,
 * "min: 3" with two eligible approvers, a role nobody holds, the only
 * security key expired.
 * A warning names the line and column that causes it and what to do.
 */
#include <inttypes.h>

#include "review.h"
#include "twokey/freeze.h"
#include "twokey/pattern.h"
#include "twokey/sshsig.h"

#define DAY INT64_C(86400)

struct wctx {
	struct tk_warnings *w;
	const struct tk_policy *p;
	const struct tk_review_opts *o;
	int err;
};

static void add(struct wctx *c, struct tk_pos pos, const char *fmt, ...)
    TK_PRINTF(3, 4);

static void
add(struct wctx *c, struct tk_pos pos, const char *fmt, ...)
{
	struct tk_buf raw = TK_BUF_INIT(8192), safe = TK_BUF_INIT(8192);
	struct tk_warnings *w = c->w;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	(void)tk_buf_vprintf(&raw, fmt, ap);
	va_end(ap);
	/* ref names from a repository are pushers' text */
	(void)tk_sanitize(&safe, raw.ptr ? raw.ptr : "", raw.len, 4000);
	if ((msg = tk_buf_detach(&safe, NULL)) == NULL ||
	    tk_grow_one(&w->items, w->n, sizeof(*w->items)) < 0) {
		free(msg);
		c->err = TK_ENOMEM;
	} else
		w->items[w->n++] = (struct tk_warning){pos.line, pos.col, msg};
	tk_buf_release(&raw);
	tk_buf_release(&safe);
}

/* Where offset off of rule r's pattern stands in the file. */
static struct tk_pos
at(const struct tk_rule *r, size_t off)
{
	struct tk_pos pos = r->refs_pos;

	if (r->refs_exact)
		pos.col += (unsigned)off;
	return pos;
}

/* {n}, {n,} and {n,m} are quantifiers; anything else in braces is text. */
static bool
quantifier(const char *s, size_t n)
{
	size_t i = 0, d = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, d++;
	if (i < n && s[i] == ',')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	return d > 0 && i == n;
}

/* A character a glob writer puts before '*': "v*", "feature-*". */
static bool
plain(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_';
}

static void
warn_star(struct wctx *c, const struct tk_rule *r, size_t i, char prev)
{
	if (prev == '/')
		add(c, at(r, i),
		    "rule '%s': refs '%s' looks like a glob: in a regular "
		    "expression '/*' means 'any number of slashes', so it "
		    "matches no name below; write '/.+' for every name below",
		    r->name, r->refs_src);
	else
		add(c, at(r, i),
		    "rule '%s': refs '%s' looks like a glob: in a regular "
		    "expression '%c*' means 'any number of %c', not '%c and "
		    "anything after it'; write '%c.*'",
		    r->name, r->refs_src, prev, prev, prev, prev);
}

/*
 * Glob habits in a regular expression: '*' after '/' or a plain
 * character, and shell braces {a,b}.  One warning of each kind a pattern.
 */
static void
warn_glob(struct wctx *c, const struct tk_rule *r)
{
	const char *s = r->refs_src, *e;
	size_t n = strlen(s), i;
	bool star = false, brace = false;
	char prev = 0; /* the literal character before, 0 for anything else */

	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '\\') {
			prev = i + 1 < n && s[i + 1] == '/' ? '/' : 0;
			i++;
			continue;
		}
		if (ch == '[') { /* no globs inside a class */
			for (i++; i < n && s[i] != ']'; i++)
				if (s[i] == '\\')
					i++;
			prev = 0;
			continue;
		}
		if (ch == '*' && prev != 0 && !star) {
			star = true;
			warn_star(c, r, i, prev);
		} else if (ch == '{' && !brace &&
		    (e = strchr(s + i, '}')) != NULL &&
		    !quantifier(s + i + 1, (size_t)(e - s) - i - 1) &&
		    memchr(s + i, ',', (size_t)(e - s) - i) != NULL) {
			brace = true;
			add(c, at(r, i),
			    "rule '%s': refs '%s' uses shell braces: in a "
			    "regular expression '%.*s' matches those characters "
			    "literally; write alternatives as (a|b)",
			    r->name, r->refs_src,
			    (int)((size_t)(e - s) - i + 1), s + i);
		}
		prev = ch == '/' || plain(ch) ? ch : 0;
	}
}

/*
 * A pattern no ref git writes can match is dead: it does not start with
 * "refs/", or its text is a name git check-ref-format refuses.
 */
static void
warn_not_refs(struct wctx *c, const struct tk_rule *r)
{
	const char *why = tk_review_refs_dead(r->refs_src);

	if (why != NULL)
		add(c, r->refs_pos, "rule '%s': refs '%s' can match no ref: %s",
		    r->name, r->refs_src, why);
}

static bool
shadowed(const struct tk_policy *p, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (tk_rx_shadows(p->rules[k], p->rules[i]))
			return true;
	return false;
}

/* The first earlier rule that takes every ref rule i could match. */
static void
warn_shadowed(struct wctx *c, size_t i)
{
	const struct tk_rule *r = c->p->rules[i], *e;
	size_t k;

	for (k = 0; k < i; k++) {
		e = c->p->rules[k];
		if (!tk_rx_shadows(e, r))
			continue;
		add(c, r->refs_pos,
		    "rule '%s' can never apply: every ref its pattern '%s' "
		    "matches is matched first by rule '%s' (line %u), and the "
		    "first matching rule wins; move it above that rule or "
		    "narrow that rule's refs",
		    r->name, r->refs_src, e->name, e->line);
		return;
	}
}

/*
 * On a repository's refs: a rule whose pattern matches some of them but
 * that governs none, because earlier rules take them all.
 */
static void
warn_repo_shadowed(struct wctx *c, size_t i, const size_t *winner)
{
	const struct tk_rule *r = c->p->rules[i];
	const struct tk_rule *first = NULL;
	const char *example = NULL;
	size_t k, matched = 0;

	for (k = 0; k < c->o->nrefs; k++) {
		const char *ref = c->o->refs[k];

		if (tk_pattern_match(r->refs, ref, strlen(ref)) != 1)
			continue;
		if (winner[k] == i)
			return; /* it governs one */
		if (matched++ == 0 && winner[k] < i) {
			first = c->p->rules[winner[k]];
			example = ref;
		}
	}
	if (matched == 0 || first == NULL)
		return;
	add(c, r->refs_pos,
	    "rule '%s' governs no ref of the repository: the %zu ref%s its "
	    "pattern matches (%s%s) %s decided by earlier rules ('%s' "
	    "first); move it above them or narrow them",
	    r->name, matched, matched == 1 ? "" : "s", example,
	    matched > 1 ? ", ..." : "", matched == 1 ? "is" : "are",
	    first->name);
}

static void
warn_repo(struct wctx *c)
{
	size_t *winner, k, i;

	if (c->o->refs == NULL || c->o->nrefs == 0)
		return;
	if ((winner = tk_calloc(c->o->nrefs, sizeof(*winner))) == NULL) {
		c->err = TK_ENOMEM;
		return;
	}
	for (k = 0; k < c->o->nrefs; k++) {
		const char *ref = c->o->refs[k];

		winner[k] = SIZE_MAX;
		for (i = 0; i < c->p->nrules; i++)
			if (tk_pattern_match(
			        c->p->rules[i]->refs, ref, strlen(ref)) == 1) {
				winner[k] = i;
				break;
			}
	}
	for (i = 0; i < c->p->nrules; i++)
		if (!shadowed(c->p, i))
			warn_repo_shadowed(c, i, winner);
	free(winner);
}

/*
 * Identities holding a role of set who can sign now; the first few into
 * names.  *holders counts every holder, signing or not.
 */
static size_t
signers(struct wctx *c, const struct tk_roleset *set, struct tk_buf *names,
    size_t *holders)
{
	const struct tk_identity *found[6];
	size_t i, n = 0;

	*holders = 0;
	for (i = 0; i < c->p->nidentities; i++) {
		const struct tk_identity *id = c->p->identities[i];

		if (!tk_roleset_intersects(&id->roles, set))
			continue;
		++*holders;
		if (!tk_review_has_usable_key(c->p, id, c->o->now))
			continue;
		if (n < TK_ARRAY_SIZE(found))
			found[n] = id;
		n++;
	}
	tk_buf_reset(names);
	(void)tk_review_ids(names, found, n < 6 ? n : 6, 5);
	return n;
}

static void
warn_approvals(struct wctx *c, const struct tk_rule *r)
{
	struct tk_buf names = TK_BUF_INIT(4096), roles = TK_BUF_INIT(4096);
	struct tk_roleset one;
	size_t n, holders, i;

	if (!r->approvals)
		return;
	(void)tk_roleset_format(&roles, c->p, &r->approvals_from);
	n = signers(c, &r->approvals_from, &names, &holders);
	if (n < r->approvals_min)
		add(c, r->approvals_pos,
		    "rule '%s' can never be satisfied: it needs %u approvals "
		    "from %s, but only %zu identit%s holding those roles %s a "
		    "key valid now (%s)%s",
		    r->name, r->approvals_min, roles.ptr, n,
		    n == 1 ? "y" : "ies", n == 1 ? "has" : "have", names.ptr,
		    holders > n ? "; the others' keys are missing, expired, "
		                  "revoked or not yet valid"
		                : "");
	for (i = 0; i < r->nrequire; i++) {
		const struct tk_role_min *m = &r->require[i];

		memset(&one, 0, sizeof(one));
		one.bits[m->role / 64] |= (uint64_t)1 << (m->role % 64);
		n = signers(c, &one, &names, &holders);
		if (n < m->min)
			add(c, m->pos,
			    "rule '%s' can never be satisfied: it requires %u "
			    "approval%s from role '%s', but only %zu identit%s "
			    "holding it %s a key valid now (%s)",
			    r->name, m->min, m->min == 1 ? "" : "s",
			    c->p->roles[m->role], n, n == 1 ? "y" : "ies",
			    n == 1 ? "has" : "have", names.ptr);
	}
	tk_buf_release(&names);
	tk_buf_release(&roles);
}

/* The approvals a paths: entry adds, the same way. */
static void
warn_path_approvals(struct wctx *c, const struct tk_rule *r)
{
	struct tk_buf names = TK_BUF_INIT(4096), roles = TK_BUF_INIT(4096);
	struct tk_roleset one;
	struct tk_pos pos;
	size_t i, k, n, holders;

	for (i = 0; i < r->npaths; i++) {
		const struct tk_path_rule *e = &r->paths[i];

		if (!e->approvals)
			continue;
		pos = (struct tk_pos){e->line, e->col};
		tk_buf_reset(&roles);
		(void)tk_roleset_format(&roles, c->p, &e->from);
		n = signers(c, &e->from, &names, &holders);
		if (n < e->min)
			add(c, pos,
			    "rule '%s', paths '%s' can never be satisfied: it "
			    "needs %u more approvals from %s, but only %zu "
			    "identit%s holding those roles %s a key valid now "
			    "(%s)",
			    r->name, e->match_src, e->min, roles.ptr, n,
			    n == 1 ? "y" : "ies", n == 1 ? "has" : "have",
			    names.ptr);
		for (k = 0; k < e->nrequire; k++) {
			memset(&one, 0, sizeof(one));
			one.bits[e->require[k].role / 64] |= (uint64_t)1
			    << (e->require[k].role % 64);
			if ((n = signers(c, &one, &names, &holders)) <
			    e->require[k].min)
				add(c, pos,
				    "rule '%s', paths '%s' can never be "
				    "satisfied: it requires %u approval%s from "
				    "role '%s', but only %zu identit%s holding it "
				    "%s a key valid now (%s)",
				    r->name, e->match_src, e->require[k].min,
				    e->require[k].min == 1 ? "" : "s",
				    c->p->roles[e->require[k].role], n,
				    n == 1 ? "y" : "ies",
				    n == 1 ? "has" : "have", names.ptr);
		}
	}
	tk_buf_release(&names);
	tk_buf_release(&roles);
}

/*
 * A role list nobody with a login holds: the front end reports pushers
 * by login, so nobody can be the pusher it asks for.
 */
static void
warn_push_roles(struct wctx *c, const struct tk_rule *r)
{
	struct tk_buf roles = TK_BUF_INIT(4096);
	const struct tk_rolelist *lists[] = {
	    &r->update, &r->create, &r->delete_, &r->force_push};
	size_t k, i;

	for (k = 0; k < TK_ARRAY_SIZE(lists); k++) {
		const struct tk_rolelist *l = lists[k];

		if (!l->set || tk_roleset_empty(&l->roles))
			continue; /* unrestricted, or nobody on purpose */
		for (i = 0; i < c->p->nidentities; i++)
			if (c->p->identities[i]->nlogins > 0 &&
			    tk_roleset_intersects(
			        &c->p->identities[i]->roles, &l->roles))
				break;
		if (i < c->p->nidentities)
			continue;
		tk_buf_reset(&roles);
		(void)tk_roleset_format(&roles, c->p, &l->roles);
		add(c, l->pos,
		    "rule '%s': %s: no identity holding %s has a login, so "
		    "nobody can be the pusher this asks for (write [] if "
		    "nobody is meant to)",
		    r->name, tk_push_perm_name((enum tk_push_perm)k),
		    roles.ptr);
	}
	tk_buf_release(&roles);
}

/* A waived check the rule does not make: the policy means something else. */
static void
warn_waive_unused(struct wctx *c, const struct tk_rule *r)
{
	const struct tk_emergency *e = r->emergency;
	unsigned idle = 0;
	struct tk_buf b = TK_BUF_INIT(1024);

	if (!tk_rule_may_need_approvals(r))
		idle |= TK_WAIVE_APPROVALS;
	if (!r->signed_commits)
		idle |= TK_WAIVE_SIGNED_COMMITS;
	if (r->pusher_may_write)
		idle |= TK_WAIVE_PUSHER_MAY_WRITE;
	if (r->promote_from == NULL)
		idle |= TK_WAIVE_PROMOTE_FROM;
	if ((idle &= e->waive) == 0)
		return;
	(void)tk_waive_format(&b, idle, ", ");
	add(c, e->waive_pos,
	    "rule '%s': emergency.waive lists %s, which the rule does not "
	    "check: waiving it lifts nothing",
	    r->name, b.ptr);
	tk_buf_release(&b);
}

/* Who could invoke the emergency path, and who could ratify it. */
static void
warn_emergency(struct wctx *c, const struct tk_rule *r)
{
	const struct tk_emergency *e = r->emergency;
	struct tk_buf names = TK_BUF_INIT(4096), roles = TK_BUF_INIT(4096);
	size_t n, holders, i;

	if (e == NULL)
		return;
	warn_waive_unused(c, r);
	for (i = 0; i < c->p->nidentities; i++)
		if (c->p->identities[i]->nlogins > 0 &&
		    tk_roleset_intersects(&c->p->identities[i]->roles, &e->by))
			break;
	if (i == c->p->nidentities) {
		(void)tk_roleset_format(&roles, c->p, &e->by);
		add(c, e->by_pos,
		    "rule '%s': emergency.by: no identity holding %s has a "
		    "login, so nobody can invoke the emergency path",
		    r->name, roles.ptr);
	}
	tk_buf_reset(&roles);
	(void)tk_roleset_format(&roles, c->p, &e->from);
	if ((n = signers(c, &e->from, &names, &holders)) < e->min)
		add(c, e->min_pos,
		    "rule '%s': an emergency can never be ratified: it needs "
		    "%u approvals from %s, but only %zu identit%s holding "
		    "those roles %s a key valid now (%s)",
		    r->name, e->min, roles.ptr, n, n == 1 ? "y" : "ies",
		    n == 1 ? "has" : "have", names.ptr);
	tk_buf_release(&names);
	tk_buf_release(&roles);
}

/* The rules that use role i, into b: "'a', 'b'". */
static void
rules_using(struct wctx *c, unsigned role, struct tk_buf *b)
{
	size_t k, n = 0, j;

	for (k = 0; k < c->p->nrules; k++) {
		const struct tk_rule *r = c->p->rules[k];
		bool uses = tk_roleset_has(&r->update.roles, role) ||
		    tk_roleset_has(&r->create.roles, role) ||
		    tk_roleset_has(&r->delete_.roles, role) ||
		    tk_roleset_has(&r->force_push.roles, role) ||
		    tk_roleset_has(&r->approvals_from, role);

		for (j = 0; !uses && j < r->nrequire; j++)
			uses = r->require[j].role == role;
		if (!uses && r->emergency != NULL)
			uses = tk_roleset_has(&r->emergency->by, role) ||
			    tk_roleset_has(&r->emergency->from, role);
		for (j = 0; !uses && j < r->npaths; j++)
			uses = tk_roleset_has(&r->paths[j].from, role) ||
			    tk_roleset_has(&r->paths[j].writers.roles, role);
		if (uses && n++ < 5)
			(void)tk_buf_printf(
			    b, "%s'%s'", n > 1 ? ", " : "", r->name);
	}
	if (n > 5)
		(void)tk_buf_printf(b, " and %zu more", n - 5);
}

static void
warn_roles(struct wctx *c)
{
	struct tk_buf used = TK_BUF_INIT(4096);
	unsigned i;
	size_t k;

	for (i = 0; i < c->p->nroles; i++) {
		for (k = 0; k < c->p->nidentities; k++)
			if (tk_roleset_has(&c->p->identities[k]->roles, i))
				break;
		if (k < c->p->nidentities)
			continue;
		tk_buf_reset(&used);
		rules_using(c, i, &used);
		if (used.len > 0)
			add(c, c->p->role_pos[i],
			    "role '%s' is held by no identity, yet rules %s "
			    "use it: nobody can do what it grants",
			    c->p->roles[i], used.ptr);
		else
			add(c, c->p->role_pos[i],
			    "role '%s' is held by no identity and used by no "
			    "rule",
			    c->p->roles[i]);
	}
	tk_buf_release(&used);
}

static void
warn_expiry(struct wctx *c, const struct tk_identity *id)
{
	char when[32], in[64];
	size_t i;
	int64_t left;

	for (i = 0; i < id->nkeys; i++) {
		const struct tk_key *k = id->keys[i];

		if (!tk_review_key_usable(c->p, k, c->o->now) ||
		    k->valid_before == INT64_MAX)
			continue;
		left = k->valid_before - c->o->now;
		if (left > TK_REVIEW_EXPIRY_DAYS * DAY)
			continue;
		tk_review_date(when, k->valid_before);
		if (left < DAY)
			snprintf(in, sizeof(in), "in less than a day");
		else
			snprintf(in, sizeof(in), "in %" PRId64 " day%s",
			    left / DAY, left / DAY == 1 ? "" : "s");
		add(c, k->pos,
		    "key %s of identity '%s' expires on %s (%s): add its "
		    "successor before then",
		    tk_sshkey_fingerprint(k->key), id->id, when, in);
	}
}

/* True when rule r takes approvals from role, itself or for a path. */
static bool
approves(const struct tk_rule *r, unsigned role)
{
	size_t i;

	if (r->approvals && tk_roleset_has(&r->approvals_from, role))
		return true;
	for (i = 0; i < r->npaths; i++)
		if (r->paths[i].approvals &&
		    tk_roleset_has(&r->paths[i].from, role))
			return true;
	return false;
}

/* An identity in an approving role that has nothing to sign with. */
static void
warn_keyless(struct wctx *c, const struct tk_identity *id)
{
	const struct tk_rule *r = NULL;
	unsigned role = 0;
	size_t k;

	for (k = 0; k < c->p->nrules && r == NULL; k++) {
		const struct tk_rule *x = c->p->rules[k];

		for (role = 0; role < c->p->nroles; role++)
			if (tk_roleset_has(&id->roles, role) &&
			    approves(x, role)) {
				r = x;
				break;
			}
	}
	if (r == NULL || tk_review_has_usable_key(c->p, id, c->o->now))
		return;
	add(c, id->pos,
	    "identity '%s' holds role '%s', which approves under rule '%s', "
	    "but %s, so its approvals cannot count",
	    id->id, c->p->roles[role], r->name,
	    id->nkeys == 0 ? "has no keys"
	                   : "none of its keys is valid now (expired, "
	                     "revoked or not yet valid)");
}

/*
 * A planned freeze that is over, that can match no ref, that covers no
 * ref a rule governs (probably a typo: it freezes only what nothing else
 * protects), or that names the notes ref (never frozen: approvals stay
 * possible during a freeze, docs/freezes.md).
 */
static void
warn_freeze(struct wctx *c, const struct tk_freeze *f)
{
	struct tk_rule fr = {.refs_src = f->refs_src, .refs = f->refs};
	const char *why;
	char when[32];
	size_t i;

	if (f->until <= c->o->now) {
		tk_review_date(when, f->until);
		add(c, f->pos, "freeze '%s' ended on %s: remove it", f->name,
		    when);
	}
	if ((why = tk_review_refs_dead(f->refs_src)) != NULL) {
		add(c, f->pos, "freeze '%s': refs '%s' can match no ref: %s",
		    f->name, f->refs_src, why);
		return;
	}
	if (tk_pattern_match(f->refs, "refs/notes/twokey", 17) == 1)
		add(c, f->pos,
		    "freeze '%s': refs/notes/twokey is never frozen "
		    "(approvals stay possible during a freeze)",
		    f->name);
	for (i = 0; i < c->p->nrules; i++)
		if (tk_rx_may_overlap(&fr, c->p->rules[i]))
			return;
	add(c, f->pos,
	    "freeze '%s': refs '%s' match no ref any rule governs, so it "
	    "freezes only unprotected refs: is the pattern right?",
	    f->name, f->refs_src);
}

/*
 * Logins compare byte for byte, but GitLab and GitHub logins ignore case:
 * two identities whose logins differ only in case may be one account
 * there, reported in whichever spelling the forge keeps.  White space at
 * either end is a quoting slip: no front end reports such a login.
 */
static void
warn_logins(struct wctx *c)
{
	const struct tk_policy *p = c->p;
	struct tk_map *seen = NULL;
	char low[TK_LOGIN_MAX_LEN + 1];
	size_t i, j, k, n;
	void *other;
	int rc;

	if (tk_map_new(&seen) < 0) {
		c->err = TK_ENOMEM;
		return;
	}
	for (i = 0; i < p->nidentities; i++) {
		const struct tk_identity *id = p->identities[i];

		for (j = 0; j < id->nlogins; j++) {
			const char *l = id->logins[j];

			if ((n = strlen(l)) > TK_LOGIN_MAX_LEN)
				continue;
			if (l[0] == ' ' || l[n - 1] == ' ')
				add(c, id->pos,
				    "login '%s' of identity '%s' begins or "
				    "ends with a space: no front end reports "
				    "such a login",
				    l, id->id);
			for (k = 0; k < n; k++)
				low[k] =
				    (char)tk_ascii_tolower((unsigned char)l[k]);
			other = NULL;
			if ((rc = tk_map_put(seen, low, n,
			         (void *)(uintptr_t)id, &other)) == 0)
				continue;
			if (other == NULL) {
				c->err = rc;
				break;
			}
			if (other == id)
				continue;
			add(c, id->pos,
			    "login '%s' of identity '%s' differs only in case "
			    "from a login of identity '%s': where logins "
			    "ignore case (GitLab, GitHub) they are one account",
			    l, id->id, ((const struct tk_identity *)other)->id);
		}
	}
	tk_map_free(seen);
}

/*
 * A glob matches the whole path, so one without '/' is top-level only;
 * with a wildcard in it ("*.tf") that is a CODEOWNERS or gitignore habit
 * (those search every directory): infra/main.tf would land without the
 * entry's approvals.  A leading '/' says "top level" on purpose.
 */
static void
warn_path_depth(struct wctx *c, const struct tk_rule *r)
{
	size_t i;

	for (i = 0; i < r->npaths; i++) {
		const char *s = r->paths[i].match_src;

		if (s[0] == '/' || strchr(s, '/') != NULL ||
		    strpbrk(s, "*?[") == NULL)
			continue;
		add(c, (struct tk_pos){r->paths[i].line, r->paths[i].col},
		    "rule '%s', paths '%s' matches top-level paths only: a "
		    "glob matches the whole path, so a change to dir/%s does "
		    "not hit it; write '**/%s' for every directory, or '/%s' "
		    "for the top level alone",
		    r->name, s, s, s, s);
	}
}

static int
by_position(const void *a, const void *b)
{
	const struct tk_warning *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return strcmp(x->msg, y->msg);
}

int
tk_policy_warn(struct tk_warnings *w, const struct tk_policy *p,
    const struct tk_review_opts *o)
{
	struct wctx c = {w, p, o, 0};
	size_t i, first = w->n;

	for (i = 0; i < p->nrules; i++) {
		warn_glob(&c, p->rules[i]);
		warn_not_refs(&c, p->rules[i]);
		warn_shadowed(&c, i);
		warn_approvals(&c, p->rules[i]);
		warn_path_approvals(&c, p->rules[i]);
		warn_path_depth(&c, p->rules[i]);
		warn_push_roles(&c, p->rules[i]);
		warn_emergency(&c, p->rules[i]);
	}
	warn_repo(&c);
	warn_roles(&c);
	for (i = 0; i < p->nfreezes; i++)
		warn_freeze(&c, &p->freezes[i]);
	if (p->freeze_file != NULL && p->audit_postgres != NULL)
		add(&c, p->freeze_file_pos,
		    "freeze-file is not used: with audit.postgres the ad hoc "
		    "freezes live in the audit database");
	warn_logins(&c);
	for (i = 0; i < p->nidentities; i++) {
		warn_expiry(&c, p->identities[i]);
		warn_keyless(&c, p->identities[i]);
	}
	if (c.err != 0)
		return c.err;
	if (w->n - first > 1)
		qsort(w->items + first, w->n - first, sizeof(*w->items),
		    by_position);
	return 0;
}

void
tk_warnings_release(struct tk_warnings *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->items[i].msg);
	free(w->items);
	memset(w, 0, sizeof(*w));
}
