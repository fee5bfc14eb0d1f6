/*
 * What changes between two policies, in people and checks rather than in
 * YAML lines ("twokey config diff").
 *
 * Widening is what must not slip through a review: someone gains a
 * permission, an approval count drops, a check goes away, a rule goes away
 * or moves so that a ref falls to a looser one.  Rules are matched by
 * name; people by identity id.  Where two patterns may overlap and the
 * text cannot tell (see review.h), a reordering counts as widening when
 * the rule that now decides is looser: a false alarm costs a second look,
 * a missed widening costs an unreviewed change on main.
 */
#include <inttypes.h>
#include <strings.h>

#include "review.h"
#include "twokey/freeze.h"
#include "twokey/digest.h"
#include "twokey/sshsig.h"

#define DAY INT64_C(86400)

struct dctx {
	struct tk_changes *c;
	const struct tk_policy *old, *new_;
	const struct tk_review_opts *o;
	struct tk_access *ao, *an;
	int err;
};

static void change(struct dctx *d, enum tk_change_kind k, const char *fmt, ...)
    TK_PRINTF(3, 4);

static void
change(struct dctx *d, enum tk_change_kind k, const char *fmt, ...)
{
	struct tk_buf raw = TK_BUF_INIT(1 << 16), safe = TK_BUF_INIT(1 << 16);
	struct tk_changes *c = d->c;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	(void)tk_buf_vprintf(&raw, fmt, ap);
	va_end(ap);
	(void)tk_sanitize(&safe, raw.ptr ? raw.ptr : "", raw.len, 1 << 15);
	if ((text = tk_buf_detach(&safe, NULL)) == NULL ||
	    tk_grow_one(&c->items, c->n, sizeof(*c->items)) < 0) {
		free(text);
		d->err = TK_ENOMEM;
	} else {
		c->items[c->n++] = (struct tk_change){k, text};
		c->nwidens += k == TK_CHANGE_WIDENS;
		c->nnarrows += k == TK_CHANGE_NARROWS;
	}
	tk_buf_release(&raw);
	tk_buf_release(&safe);
}

/* a minus b, by id (both sorted), as "x, y" into out; the count. */
static size_t
minus(struct tk_buf *out, const struct tk_people *a, const struct tk_people *b)
{
	size_t i = 0, j = 0, n = 0;
	int cmp;

	tk_buf_reset(out);
	while (i < a->n) {
		cmp = j < b->n ? strcmp(a->ids[i]->id, b->ids[j]->id) : -1;
		if (cmp == 0) {
			i++, j++;
			continue;
		}
		if (cmp > 0) {
			j++;
			continue;
		}
		(void)tk_buf_printf(
		    out, "%s%s", n++ ? ", " : "", a->ids[i]->id);
		i++;
	}
	return n;
}

/* Who gains and who loses one permission between x (old) and y (new). */
static void
people_diff(struct dctx *d, const char *label, const char *perm,
    const struct tk_people *x, const struct tk_people *y)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);

	if (x->anyone && !y->anyone) {
		(void)tk_review_ids(&b, y->ids, y->n, 20);
		change(d, TK_CHANGE_NARROWS, "%s: %s: only %s now (was anyone)",
		    label, perm, b.ptr);
	} else if (!x->anyone && y->anyone) {
		(void)tk_review_ids(&b, x->ids, x->n, 20);
		change(d, TK_CHANGE_WIDENS,
		    "%s: %s: anyone now, known pusher or not (was %s)", label,
		    perm, b.ptr);
	} else if (!x->anyone) {
		if (minus(&b, y, x) > 0)
			change(d, TK_CHANGE_WIDENS, "%s: %s: gained by %s",
			    label, perm, b.ptr);
		if (minus(&b, x, y) > 0)
			change(d, TK_CHANGE_NARROWS, "%s: %s: lost by %s",
			    label, perm, b.ptr);
	}
	tk_buf_release(&b);
}

/* The entry for role among the n per-role minimums v of p, or NULL. */
static const struct tk_role_min *
min_of(const struct tk_policy *p, const struct tk_role_min *v, size_t n,
    const char *role)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(p->roles[v[i].role], role) == 0)
			return &v[i];
	return NULL;
}

/*
 * Per-role minimums (a require: map) of the old rule (x) and the new (y),
 * by role name, both ways: a lower minimum widens, a higher one narrows;
 * a role one side does not name counts as 0 there.
 */
static void
mins_diff(struct dctx *d, const char *label, const char *what,
    const struct tk_role_min *x, size_t nx, const struct tk_role_min *y,
    size_t ny)
{
	const struct tk_role_min *q;
	const char *role;
	unsigned b;
	size_t i;

	for (i = 0; i < nx; i++) {
		role = d->old->roles[x[i].role];
		q = min_of(d->new_, y, ny, role);
		if ((b = q != NULL ? q->min : 0) != x[i].min)
			change(d,
			    b < x[i].min ? TK_CHANGE_WIDENS : TK_CHANGE_NARROWS,
			    "%s: %s %s: %u -> %u", label, what, role, x[i].min,
			    b);
	}
	/* the roles only the new side names (the loop above saw the rest) */
	for (i = 0; i < ny; i++) {
		role = d->new_->roles[y[i].role];
		if (min_of(d->old, x, nx, role) == NULL && y[i].min > 0)
			change(d, TK_CHANGE_NARROWS, "%s: %s %s: 0 -> %u",
			    label, what, role, y[i].min);
	}
}

static void
approvals_diff(struct dctx *d, const char *label,
    const struct tk_rule_access *x, const struct tk_rule_access *y)
{
	const struct tk_rule *a = x->rule, *b = y->rule;

	if (a->approvals && !b->approvals) {
		change(d, TK_CHANGE_WIDENS,
		    "%s: approvals no longer required (was at least %u)", label,
		    a->approvals_min);
		return;
	}
	if (!a->approvals && b->approvals) {
		change(d, TK_CHANGE_NARROWS,
		    "%s: approvals now required (at least %u)", label,
		    b->approvals_min);
		return;
	}
	if (!a->approvals)
		return;
	if (a->approvals_min != b->approvals_min)
		change(d,
		    b->approvals_min < a->approvals_min ? TK_CHANGE_WIDENS
		                                        : TK_CHANGE_NARROWS,
		    "%s: approvals.min: %u -> %u", label, a->approvals_min,
		    b->approvals_min);
	people_diff(d, label, "approve", &x->approve, &y->approve);
	mins_diff(d, label, "approvals.require", a->require, a->nrequire,
	    b->require, b->nrequire);
	if (!a->pusher_may_approve && b->pusher_may_approve)
		change(d, TK_CHANGE_WIDENS, "%s: the pusher may now approve",
		    label);
	else if (a->pusher_may_approve && !b->pusher_may_approve)
		change(d, TK_CHANGE_NARROWS,
		    "%s: the pusher may no longer "
		    "approve",
		    label);
}

static void
flag(struct dctx *d, const char *label, bool was, bool is, bool strict_when,
    const char *what)
{
	if (was == is)
		return;
	change(d, is == strict_when ? TK_CHANGE_NARROWS : TK_CHANGE_WIDENS,
	    "%s: %s: %s -> %s", label, what, was ? "true" : "false",
	    is ? "true" : "false");
}

static void
checks_diff(struct dctx *d, const char *label, const struct tk_rule *a,
    const struct tk_rule *b)
{
	const char *pa = a->promote_from, *pb = b->promote_from;

	flag(d, label, a->signed_commits, b->signed_commits, true,
	    "signed-commits");
	flag(d, label, a->pusher_may_write, b->pusher_may_write, false,
	    "pusher-may-write");
	if (pa != NULL && pb == NULL)
		change(d, TK_CHANGE_WIDENS, "%s: promote-from %s removed",
		    label, pa);
	else if (pa == NULL && pb != NULL)
		change(d, TK_CHANGE_NARROWS, "%s: promote-from %s added", label,
		    pb);
	else if (pa != NULL && strcmp(pa, pb) != 0)
		change(d, TK_CHANGE_WIDENS,
		    "%s: promote-from: %s -> %s (another gate)", label, pa, pb);
	if (a->mode != b->mode)
		change(d,
		    b->mode == TK_MODE_WARN ? TK_CHANGE_WIDENS
		                            : TK_CHANGE_NARROWS,
		    "%s: mode: %s -> %s", label,
		    a->mode == TK_MODE_WARN ? "warn" : "enforce",
		    b->mode == TK_MODE_WARN ? "warn" : "enforce");
}

static const struct tk_path_access *
path_entry(const struct tk_rule_access *ra, const char *match)
{
	size_t i;

	for (i = 0; i < ra->npaths; i++)
		if (strcmp(ra->paths[i].entry->match_src, match) == 0)
			return &ra->paths[i];
	return NULL;
}

/* One paths: entry in both: writers, its approvals. */
static void
path_entry_diff(struct dctx *d, const char *label,
    const struct tk_path_access *x, const struct tk_path_access *y)
{
	const struct tk_path_rule *a = x->entry, *b = y->entry;

	people_diff(d, label, "write", &x->writers, &y->writers);
	if (a->approvals && !b->approvals)
		change(
		    d, TK_CHANGE_WIDENS, "%s: its approvals are gone", label);
	else if (!a->approvals && b->approvals)
		change(d, TK_CHANGE_NARROWS, "%s: approvals added", label);
	if (!a->approvals || !b->approvals)
		return;
	if (a->min != b->min)
		change(d,
		    b->min < a->min ? TK_CHANGE_WIDENS : TK_CHANGE_NARROWS,
		    "%s: approvals.min: %u -> %u", label, a->min, b->min);
	people_diff(d, label, "approve", &x->approve, &y->approve);
	mins_diff(d, label, "approvals.require", a->require, a->nrequire,
	    b->require, b->nrequire);
}

/* paths: entries, matched by their glob's text. */
static void
paths_diff(struct dctx *d, const char *label, const struct tk_rule_access *x,
    const struct tk_rule_access *y)
{
	struct tk_buf sub = TK_BUF_INIT(16384);
	const struct tk_path_access *other;
	size_t i;

	for (i = 0; i < x->npaths; i++) {
		const char *g = x->paths[i].entry->match_src;

		tk_buf_reset(&sub);
		(void)tk_buf_printf(&sub, "%s: paths '%s'", label, g);
		if ((other = path_entry(y, g)) == NULL)
			change(d, TK_CHANGE_WIDENS,
			    "%s removed: a change touching it needs only what "
			    "the rule asks, from any writer",
			    sub.ptr);
		else
			path_entry_diff(d, sub.ptr, &x->paths[i], other);
	}
	for (i = 0; i < y->npaths; i++)
		if (path_entry(x, y->paths[i].entry->match_src) == NULL)
			change(d, TK_CHANGE_NARROWS, "%s: paths '%s' added",
			    label, y->paths[i].entry->match_src);
	tk_buf_release(&sub);
}

static const struct tk_trailer_rule *
trailer(const struct tk_rule *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->ntrailers; i++)
		if (strcasecmp(r->trailers[i].key, key) == 0)
			return &r->trailers[i];
	return NULL;
}

/* require-trailers: and emails: patterns; a changed pattern may widen. */
static void
attributes_diff(struct dctx *d, const char *label, const struct tk_rule *a,
    const struct tk_rule *b)
{
	const struct tk_trailer_rule *t;
	size_t i;

	for (i = 0; i < a->ntrailers; i++) {
		if ((t = trailer(b, a->trailers[i].key)) == NULL)
			change(d, TK_CHANGE_WIDENS,
			    "%s: require-trailers %s removed", label,
			    a->trailers[i].key);
		else if (strcmp(t->src, a->trailers[i].src) != 0)
			change(d, TK_CHANGE_WIDENS,
			    "%s: require-trailers %s: '%s' -> '%s' (another "
			    "pattern may admit more)",
			    label, t->key, a->trailers[i].src, t->src);
	}
	for (i = 0; i < b->ntrailers; i++)
		if (trailer(a, b->trailers[i].key) == NULL)
			change(d, TK_CHANGE_NARROWS,
			    "%s: require-trailers %s added", label,
			    b->trailers[i].key);
	if (a->emails_src != NULL && b->emails_src == NULL)
		change(d, TK_CHANGE_WIDENS, "%s: emails '%s' removed", label,
		    a->emails_src);
	else if (a->emails_src == NULL && b->emails_src != NULL)
		change(d, TK_CHANGE_NARROWS, "%s: emails '%s' added", label,
		    b->emails_src);
	else if (a->emails_src != NULL &&
	    strcmp(a->emails_src, b->emails_src) != 0)
		change(d, TK_CHANGE_WIDENS,
		    "%s: emails: '%s' -> '%s' (another pattern may admit more)",
		    label, a->emails_src, b->emails_src);
}

/* The terms of both emergency paths: each loosening widens. */
static void
ratify_diff(struct dctx *d, const char *label, const struct tk_emergency *a,
    const struct tk_emergency *b)
{
	if (a->within != b->within)
		change(d,
		    b->within > a->within ? TK_CHANGE_WIDENS
		                          : TK_CHANGE_NARROWS,
		    "%s: emergency.ratify.within: %lld -> %lld minutes", label,
		    (long long)(a->within / 60), (long long)(b->within / 60));
	if (a->min != b->min)
		change(d,
		    b->min < a->min ? TK_CHANGE_WIDENS : TK_CHANGE_NARROWS,
		    "%s: emergency.ratify.min: %u -> %u", label, a->min,
		    b->min);
	mins_diff(d, label, "emergency.ratify.require", a->require, a->nrequire,
	    b->require, b->nrequire);
	if (a->overdue == TK_OVERDUE_BLOCK && b->overdue != TK_OVERDUE_BLOCK)
		change(d, TK_CHANGE_WIDENS,
		    "%s: emergency.ratify.overdue: block -> warn", label);
}

static void
emergency_diff(struct dctx *d, const char *label,
    const struct tk_rule_access *x, const struct tk_rule_access *y)
{
	const struct tk_emergency *a = x->rule->emergency,
	                          *b = y->rule->emergency;
	struct tk_buf w = TK_BUF_INIT(1024);

	if (a == NULL && b == NULL)
		return;
	if (a == NULL || b == NULL) {
		(void)tk_review_ids(&w, (a ? x : y)->emergency.ids,
		    (a ? x : y)->emergency.n, 20);
		change(d, a == NULL ? TK_CHANGE_WIDENS : TK_CHANGE_NARROWS,
		    "%s: emergency path %s (invoked by %s)", label,
		    a == NULL ? "added" : "removed", w.ptr ? w.ptr : "");
		tk_buf_release(&w);
		return;
	}
	people_diff(
	    d, label, "invoke an emergency", &x->emergency, &y->emergency);
	if ((b->waive & ~a->waive) != 0) {
		(void)tk_waive_format(&w, b->waive & ~a->waive, ", ");
		change(d, TK_CHANGE_WIDENS, "%s: emergency.waive gained %s",
		    label, w.ptr);
	}
	if ((a->waive & ~b->waive) != 0) {
		tk_buf_reset(&w);
		(void)tk_waive_format(&w, a->waive & ~b->waive, ", ");
		change(d, TK_CHANGE_NARROWS, "%s: emergency.waive lost %s",
		    label, w.ptr);
	}
	if (a->reason_src != NULL &&
	    (b->reason_src == NULL || strcmp(a->reason_src, b->reason_src)))
		change(d, TK_CHANGE_WIDENS,
		    "%s: emergency.reason: '%s' -> '%s' (another pattern may "
		    "admit more)",
		    label, a->reason_src, b->reason_src ? b->reason_src : "");
	ratify_diff(d, label, a, b);
	tk_buf_release(&w);
}

/* Everything rule x (old) lets people do that y (new) does, and more. */
static void
rule_diff(struct dctx *d, const char *label, const struct tk_rule_access *x,
    const struct tk_rule_access *y)
{
	unsigned k;

	for (k = 0; k < TK_PERM_NPUSH; k++)
		people_diff(
		    d, label, tk_push_perm_name(k), &x->push[k], &y->push[k]);
	approvals_diff(d, label, x, y);
	paths_diff(d, label, x, y);
	checks_diff(d, label, x->rule, y->rule);
	attributes_diff(d, label, x->rule, y->rule);
	emergency_diff(d, label, x, y);
}

/* The empty rule: what decides a ref no rule matches (nothing is checked) */
static const struct tk_rule no_rule = {.name = "(no rule)",
    .refs_src = "",
    .pusher_may_approve = true,
    .pusher_may_write = true};

static void
no_rule_access(struct tk_rule_access *ra)
{
	unsigned k;

	memset(ra, 0, sizeof(*ra));
	ra->rule = &no_rule;
	for (k = 0; k < TK_PERM_NPUSH; k++)
		ra->push[k].anyone = true;
}

static const struct tk_rule_access *
by_rule(const struct tk_access *a, const struct tk_rule *r)
{
	size_t i;

	for (i = 0; a->rules[i].rule != r; i++)
		;
	return &a->rules[i];
}

static const struct tk_rule_access *
by_name(const struct tk_access *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nrules; i++)
		if (strcmp(a->rules[i].rule->name, name) == 0)
			return &a->rules[i];
	return NULL;
}

static void
rules_by_name(struct dctx *d)
{
	const struct tk_rule_access *x, *y;
	struct tk_buf label = TK_BUF_INIT(8192);
	size_t i;

	for (i = 0; i < d->ao->nrules; i++) {
		x = &d->ao->rules[i];
		tk_buf_reset(&label);
		(void)tk_buf_printf(&label, "rule '%s'", x->rule->name);
		if ((y = by_name(d->an, x->rule->name)) == NULL) {
			change(d, TK_CHANGE_WIDENS,
			    "%s (refs '%s') removed: the refs it decided fall "
			    "to a later rule, or to none (accepted as pushed)",
			    label.ptr, x->rule->refs_src);
			continue;
		}
		if (strcmp(x->rule->refs_src, y->rule->refs_src) != 0)
			change(d,
			    d->o->refs ? TK_CHANGE_NOTE : TK_CHANGE_WIDENS,
			    "%s: refs: '%s' -> '%s' (refs may move between "
			    "rules%s)",
			    label.ptr, x->rule->refs_src, y->rule->refs_src,
			    d->o->refs ? "; the repository's refs are compared "
			                 "one by one"
			               : "; compare with --repo to judge them");
		rule_diff(d, label.ptr, x, y);
	}
	for (i = 0; i < d->an->nrules; i++)
		if (by_name(d->ao, d->an->rules[i].rule->name) == NULL)
			change(d, TK_CHANGE_NOTE, "rule '%s' (refs '%s') added",
			    d->an->rules[i].rule->name,
			    d->an->rules[i].rule->refs_src);
	tk_buf_release(&label);
}

/*
 * Refs matched by both e (old, decided it) and n (new, decides it now):
 * whatever n is looser in widens.
 */
static void
takes_over(struct dctx *d, const struct tk_rule_access *e,
    const struct tk_rule_access *n, const char *why)
{
	struct tk_buf label = TK_BUF_INIT(8192);

	(void)tk_buf_printf(&label,
	    "refs both '%s' and '%s' match (%s) are now decided by '%s', not "
	    "'%s'",
	    e->rule->name, n->rule->name, why, n->rule->name, e->rule->name);
	rule_diff(d, label.ptr, e, n);
	tk_buf_release(&label);
}

/*
 * Order: a rule now placed before one it followed, or an added rule placed
 * before an existing one, takes the refs both match.
 */
static void
rules_order(struct dctx *d)
{
	const struct tk_rule_access *ea, *eb, *na, *nb;
	size_t i, j;

	for (i = 0; i < d->an->nrules; i++) {
		nb = &d->an->rules[i]; /* now first */
		for (j = i + 1; j < d->an->nrules; j++) {
			na = &d->an->rules[j];
			if (!tk_rx_may_overlap(nb->rule, na->rule))
				continue;
			ea = by_name(d->ao, na->rule->name);
			eb = by_name(d->ao, nb->rule->name);
			if (ea == NULL)
				continue; /* na is new: it decides nothing */
			if (eb == NULL)
				takes_over(d, ea, nb,
				    "an added rule placed "
				    "before it");
			else if (eb->index > ea->index)
				takes_over(
				    d, ea, nb, "the rules changed order");
		}
	}
}

/* Each ref of a repository: the rule deciding it before and after. */
static void
refs_moved(struct dctx *d)
{
	const struct tk_rule *x, *y;
	struct tk_rule_access none;
	struct tk_buf label = TK_BUF_INIT(8192);
	const struct tk_rule_access *ex, *ny;
	size_t i;

	no_rule_access(&none);
	for (i = 0; i < d->o->nrefs; i++) {
		const char *ref = d->o->refs[i];

		if (tk_policy_match(&x, d->old, ref) < 0 ||
		    tk_policy_match(&y, d->new_, ref) < 0) {
			change(d, TK_CHANGE_WIDENS,
			    "ref %s: a pattern cannot be evaluated on it", ref);
			continue;
		}
		if ((x == NULL && y == NULL) ||
		    (x != NULL && y != NULL && strcmp(x->name, y->name) == 0))
			continue;
		ex = x ? by_rule(d->ao, x) : &none;
		ny = y ? by_rule(d->an, y) : &none;
		tk_buf_reset(&label);
		(void)tk_buf_printf(&label,
		    "ref %s: now decided by %s%s%s, not %s%s%s", ref,
		    y ? "rule '" : "", y ? y->name : "no rule", y ? "'" : "",
		    x ? "rule '" : "", x ? x->name : "no rule", x ? "'" : "");
		change(d, TK_CHANGE_NOTE, "%s", label.ptr);
		rule_diff(d, label.ptr, ex, ny);
	}
	tk_buf_release(&label);
}

static int
id_cmp(const void *key, const void *elt)
{
	return strcmp(key, (*(const struct tk_identity *const *)elt)->id);
}

/* The identity named id in a (whose ids are sorted), or NULL. */
static const struct tk_identity *
identity(const struct tk_access *a, const char *id)
{
	const struct tk_identity *const *hit =
	    bsearch(id, a->ids, a->nids, sizeof(*a->ids), id_cmp);

	return hit ? *hit : NULL;
}

static bool
has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static const struct tk_key *
same_key(const struct tk_identity *id, const struct tk_key *k)
{
	const unsigned char *a, *b;
	size_t i, la, lb;

	a = tk_sshkey_blob(k->key, &la);
	for (i = 0; id != NULL && i < id->nkeys; i++) {
		b = tk_sshkey_blob(id->keys[i]->key, &lb);
		if (la == lb && memcmp(a, b, la) == 0)
			return id->keys[i];
	}
	return NULL;
}

static void
window_diff(struct dctx *d, const struct tk_identity *id,
    const struct tk_key *x, const struct tk_key *y)
{
	char a[32], b[32];

	if (y->valid_after < x->valid_after ||
	    y->valid_before > x->valid_before)
		change(d, TK_CHANGE_WIDENS,
		    "identity '%s': key %s valid for longer", id->id,
		    tk_sshkey_fingerprint(y->key));
	else if (y->valid_after != x->valid_after ||
	    y->valid_before != x->valid_before)
		change(d, TK_CHANGE_NARROWS,
		    "identity '%s': key %s valid for a shorter time", id->id,
		    tk_sshkey_fingerprint(y->key));
	else
		return;
	tk_review_date(a, y->valid_after);
	tk_review_date(b, y->valid_before);
	change(d, TK_CHANGE_NOTE, "identity '%s': key %s now valid %s to %s",
	    id->id, tk_sshkey_fingerprint(y->key), a, b);
}

static void
keys_diff(
    struct dctx *d, const struct tk_identity *x, const struct tk_identity *y)
{
	const struct tk_key *k;
	size_t i;

	for (i = 0; i < y->nkeys; i++) {
		if ((k = same_key(x, y->keys[i])) != NULL)
			window_diff(d, y, k, y->keys[i]);
		else
			change(d, TK_CHANGE_WIDENS,
			    "identity '%s': key %s %s added", y->id,
			    tk_sshkey_type(y->keys[i]->key),
			    tk_sshkey_fingerprint(y->keys[i]->key));
	}
	for (i = 0; x != NULL && i < x->nkeys; i++)
		if (same_key(y, x->keys[i]) == NULL)
			change(d, TK_CHANGE_NARROWS,
			    "identity '%s': key %s %s removed", x->id,
			    tk_sshkey_type(x->keys[i]->key),
			    tk_sshkey_fingerprint(x->keys[i]->key));
}

static void
names_diff(
    struct dctx *d, const struct tk_identity *x, const struct tk_identity *y)
{
	const struct tk_identity *was;
	size_t i;

	for (i = 0; i < y->nlogins; i++)
		if (!has(x->logins, x->nlogins, y->logins[i]))
			change(d, TK_CHANGE_WIDENS,
			    "identity '%s': login '%s' added: a push by %s now "
			    "counts as %s's",
			    y->id, y->logins[i], y->logins[i], y->id);
	for (i = 0; i < x->nlogins; i++)
		if (!has(y->logins, y->nlogins, x->logins[i]))
			change(d, TK_CHANGE_NARROWS,
			    "identity '%s': login '%s' removed", x->id,
			    x->logins[i]);
	for (i = 0; i < y->nemails; i++) {
		if (has(x->emails, x->nemails, y->emails[i]))
			continue;
		was = tk_policy_by_email(
		    d->old, y->emails[i], strlen(y->emails[i]));
		if (was != NULL)
			change(d, TK_CHANGE_WIDENS,
			    "email %s moved from identity '%s' to '%s': what "
			    "it wrote no longer stops '%s' from approving it",
			    y->emails[i], was->id, y->id, was->id);
		else
			change(d, TK_CHANGE_NOTE,
			    "identity '%s': email %s added", y->id,
			    y->emails[i]);
	}
	for (i = 0; i < x->nemails; i++)
		if (!has(y->emails, y->nemails, x->emails[i]))
			change(d, TK_CHANGE_NOTE,
			    "identity '%s': email %s removed", x->id,
			    x->emails[i]);
}

/* Roles are what the rule lines above resolve; named here for the why. */
static void
roles_diff(
    struct dctx *d, const struct tk_identity *x, const struct tk_identity *y)
{
	size_t i, j;

	for (i = 0; i < d->new_->nroles; i++) {
		if (!tk_roleset_has(&y->roles, (unsigned)i))
			continue;
		for (j = 0; j < d->old->nroles; j++)
			if (strcmp(d->old->roles[j], d->new_->roles[i]) == 0)
				break;
		if (j == d->old->nroles ||
		    !tk_roleset_has(&x->roles, (unsigned)j))
			change(d, TK_CHANGE_NOTE,
			    "identity '%s': role '%s' added", y->id,
			    d->new_->roles[i]);
	}
	for (j = 0; j < d->old->nroles; j++) {
		if (!tk_roleset_has(&x->roles, (unsigned)j))
			continue;
		for (i = 0; i < d->new_->nroles; i++)
			if (strcmp(d->old->roles[j], d->new_->roles[i]) == 0)
				break;
		if (i == d->new_->nroles ||
		    !tk_roleset_has(&y->roles, (unsigned)i))
			change(d, TK_CHANGE_NOTE,
			    "identity '%s': role '%s' removed", x->id,
			    d->old->roles[j]);
	}
}

static void
identities_diff(struct dctx *d)
{
	const struct tk_identity *x, *y;
	size_t i;

	for (i = 0; i < d->an->nids; i++) {
		y = d->an->ids[i];
		if ((x = identity(d->ao, y->id)) == NULL) {
			change(d, TK_CHANGE_NOTE, "identity '%s' added", y->id);
			keys_diff(d, NULL, y);
			continue;
		}
		roles_diff(d, x, y);
		names_diff(d, x, y);
		keys_diff(d, x, y);
	}
	for (i = 0; i < d->ao->nids; i++)
		if (identity(d->an, d->ao->ids[i]->id) == NULL)
			change(d, TK_CHANGE_NARROWS, "identity '%s' removed",
			    d->ao->ids[i]->id);
}

static void
revoked_diff(struct dctx *d)
{
	size_t i;

	for (i = 0; i < d->new_->nrevoked; i++)
		if (!tk_policy_key_revoked(d->old, d->new_->revoked[i]->key))
			change(d, TK_CHANGE_NARROWS, "key %s %s revoked",
			    tk_sshkey_type(d->new_->revoked[i]->key),
			    tk_sshkey_fingerprint(d->new_->revoked[i]->key));
	for (i = 0; i < d->old->nrevoked; i++)
		if (!tk_policy_key_revoked(d->new_, d->old->revoked[i]->key))
			change(d, TK_CHANGE_WIDENS,
			    "key %s %s no longer revoked: it signs again",
			    tk_sshkey_type(d->old->revoked[i]->key),
			    tk_sshkey_fingerprint(d->old->revoked[i]->key));
}

static void
expiring(struct dctx *d)
{
	const struct tk_identity *id;
	const struct tk_key *k;
	char when[32];
	size_t i, j;
	int64_t left;

	for (i = 0; i < d->an->nids; i++)
		for (id = d->an->ids[i], j = 0; j < id->nkeys; j++) {
			k = id->keys[j];
			if (!tk_review_key_usable(d->new_, k, d->o->now) ||
			    k->valid_before == INT64_MAX)
				continue;
			left = k->valid_before - d->o->now;
			if (left > TK_REVIEW_EXPIRY_DAYS * DAY)
				continue;
			tk_review_date(when, k->valid_before);
			change(d, TK_CHANGE_NOTE,
			    "identity '%s': key %s expires on %s (in %" PRId64
			    " days)",
			    id->id, tk_sshkey_fingerprint(k->key), when,
			    left / DAY);
		}
}

static bool
has_trusted(const struct tk_policy *p, const unsigned char *id)
{
	size_t i;

	for (i = 0; i < p->ntrusted; i++)
		if (memcmp(p->trusted[i], id, sizeof(p->trusted[i])) == 0)
			return true;
	return false;
}

/* A commit added to trusted-history lets its whole history in unchecked. */
static void
trusted_diff(struct dctx *d)
{
	const struct tk_policy *a = d->old, *b = d->new_;
	char hex[41];
	size_t i;

	for (i = 0; i < b->ntrusted; i++)
		if (!has_trusted(a, b->trusted[i])) {
			tk_hex(hex, b->trusted[i], 20);
			change(d, TK_CHANGE_WIDENS,
			    "trusted-history: %s added: it and every commit it "
			    "reaches are never checked",
			    hex);
		}
	for (i = 0; i < a->ntrusted; i++)
		if (!has_trusted(b, a->trusted[i])) {
			tk_hex(hex, a->trusted[i], 20);
			change(d, TK_CHANGE_NARROWS,
			    "trusted-history: %s removed", hex);
		}
}

static void
global_diff(struct dctx *d)
{
	const struct tk_policy *a = d->old, *b = d->new_;
	size_t i;

	for (i = 0; i < b->npusher_env; i++)
		if (!has(a->pusher_env, a->npusher_env, b->pusher_env[i]))
			change(d, TK_CHANGE_WIDENS,
			    "pusher.env: %s added: the pusher's login may now "
			    "come from it (only a front end may set it)",
			    b->pusher_env[i]);
	for (i = 0; i < a->npusher_env; i++)
		if (!has(b->pusher_env, b->npusher_env, a->pusher_env[i]))
			change(d, TK_CHANGE_NOTE, "pusher.env: %s removed",
			    a->pusher_env[i]);
	if (a->audit_path != NULL && b->audit_path == NULL)
		change(d, TK_CHANGE_WIDENS,
		    "audit.path removed: decisions are no longer recorded");
	else if (a->audit_path != NULL && strcmp(a->audit_path, b->audit_path))
		change(d, TK_CHANGE_NOTE, "audit.path: %s -> %s", a->audit_path,
		    b->audit_path);
	if (a->audit_key_file != NULL && b->audit_key_file == NULL)
		change(d, TK_CHANGE_WIDENS,
		    "audit.key-file removed: records are no longer HMACed");
}

static const struct tk_freeze *
freeze_named(const struct tk_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nfreezes; i++)
		if (strcmp(p->freezes[i].name, name) == 0)
			return &p->freezes[i];
	return NULL;
}

/* One freeze in both: shorter or covering other refs widens. */
static void
freeze_diff(
    struct dctx *d, const struct tk_freeze *x, const struct tk_freeze *y)
{
	char a[32], b[32];

	if (y->from > x->from || y->until < x->until) {
		tk_review_date(a, y->from);
		tk_review_date(b, y->until);
		change(d, TK_CHANGE_WIDENS,
		    "freeze '%s' shortened: now %s to %s", y->name, a, b);
	} else if (y->from < x->from || y->until > x->until)
		change(d, TK_CHANGE_NARROWS, "freeze '%s' lengthened", y->name);
	/* Which refs a changed pattern drops cannot be told from its text. */
	if (strcmp(x->refs_src, y->refs_src) != 0)
		change(d, TK_CHANGE_WIDENS,
		    "freeze '%s': refs changed from '%s' to '%s' (it may "
		    "cover fewer refs)",
		    y->name, x->refs_src, y->refs_src);
}

/*
 * Planned freezes, by name: a removed or shortened one widens (a
 * removed one that was over already is only a note), as does moving
 * freeze-file (ad hoc freezes kept in the old one stop applying).
 */
static void
freezes_diff(struct dctx *d)
{
	const struct tk_freeze *x, *y;
	size_t i;

	for (i = 0; i < d->old->nfreezes; i++) {
		x = &d->old->freezes[i];
		if ((y = freeze_named(d->new_, x->name)) != NULL)
			freeze_diff(d, x, y);
		else
			change(d,
			    x->until > d->o->now ? TK_CHANGE_WIDENS
			                         : TK_CHANGE_NOTE,
			    "freeze '%s' removed%s", x->name,
			    x->until > d->o->now ? "" : " (it was over)");
	}
	for (i = 0; i < d->new_->nfreezes; i++)
		if (freeze_named(d->old, d->new_->freezes[i].name) == NULL)
			change(d, TK_CHANGE_NARROWS, "freeze '%s' added",
			    d->new_->freezes[i].name);
	if ((d->old->freeze_file == NULL) != (d->new_->freeze_file == NULL) ||
	    (d->old->freeze_file != NULL &&
	        strcmp(d->old->freeze_file, d->new_->freeze_file) != 0))
		change(d, TK_CHANGE_WIDENS,
		    "freeze-file changed: ad hoc freezes kept in the old one "
		    "no longer apply");
}

int
tk_policy_diff(struct tk_changes *c, const struct tk_policy *old,
    const struct tk_policy *new_, const struct tk_review_opts *o)
{
	struct dctx d = {c, old, new_, o, NULL, NULL, 0};
	int rc;

	if ((rc = tk_access_build(&d.ao, old, NULL, 0)) < 0 ||
	    (rc = tk_access_build(&d.an, new_, NULL, 0)) < 0)
		goto out;
	rules_by_name(&d);
	rules_order(&d);
	if (o->refs != NULL)
		refs_moved(&d);
	identities_diff(&d);
	revoked_diff(&d);
	global_diff(&d);
	freezes_diff(&d);
	trusted_diff(&d);
	expiring(&d);
	rc = d.err;
out:
	tk_access_free(d.ao);
	tk_access_free(d.an);
	return rc;
}

void
tk_changes_release(struct tk_changes *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->items[i].text);
	free(c->items);
	memset(c, 0, sizeof(*c));
}
