/*
 * What a chain commit's change asks of its approvals (change.h).
 *
 * A paths entry's approvals are constraints in addition to the rule's
 * own, all met by the same set of counted approvers: "min N from R" means
 * at least N counted approvers holding a role of R, "require {r: N}" at
 * least N holding r.  Approvals from every role of the rule's and the
 * triggered entries' from count.  This is stricter than merging the
 * numbers (the larger min over the union of from), which would let an
 * "infra/" change through without any operations approval whenever the
 * rule's own min was already as large: see docs/decisions.md.
 */
#include "change.h"
#include "twokey/commit.h"

/*
 * The hit of entry in l (kept sorted by entry), or where to insert it:
 * a push may change 100,000 paths, each matched against every entry.
 */
static struct tk_hit *
find_hit(const struct tk_hitlist *l, size_t entry, size_t *at)
{
	size_t lo = 0, hi = l->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (l->items[mid].entry == entry)
			return &l->items[mid];
		if (l->items[mid].entry < entry)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return NULL;
}

int
tk_hitlist_add(struct tk_hitlist *l, size_t entry, const char *path, size_t len)
{
	struct tk_hit *h;
	size_t i, at = 0;
	int rc;

	if ((h = find_hit(l, entry, &at)) == NULL) {
		if ((rc = tk_grow(
		         &l->items, &l->cap, l->n + 1, sizeof(*l->items))) < 0)
			return rc;
		memmove(&l->items[at + 1], &l->items[at],
		    (l->n - at) * sizeof(*l->items));
		l->n++;
		h = &l->items[at];
		memset(h, 0, sizeof(*h));
		h->entry = entry;
	}
	for (i = 0; i < h->nex; i++)
		if (strlen(h->ex[i]) == len && memcmp(h->ex[i], path, len) == 0)
			return 0;
	h->count++;
	if (h->nex < TK_HIT_EXAMPLES &&
	    (h->ex[h->nex++] = tk_strndup(path, len)) == NULL)
		return TK_ENOMEM;
	return 0;
}

/*
 * Adds src's hits to dst.  Known paths (the examples) are merged exactly;
 * paths beyond the examples are only counted, so the count becomes an
 * upper bound once either side has some.
 */
static int
merge_hits(struct tk_hitlist *dst, const struct tk_hitlist *src)
{
	const struct tk_hit *h;
	struct tk_hit *d;
	size_t i, k, before, at;
	int rc;

	for (i = 0; i < src->n; i++) {
		h = &src->items[i];
		d = find_hit(dst, h->entry, &at);
		before = d != NULL ? d->count : 0;
		for (k = 0; k < h->nex; k++)
			if ((rc = tk_hitlist_add(dst, h->entry, h->ex[k],
			         strlen(h->ex[k]))) < 0)
				return rc;
		if ((d = find_hit(dst, h->entry, &at)) == NULL)
			continue;
		d->count += h->count - h->nex;
		d->approx |= h->approx ||
		    (before > 0 && (h->count > h->nex || before > d->nex));
	}
	return 0;
}

void
tk_hit_format(struct tk_buf *b, const struct tk_hit *h)
{
	size_t i;

	for (i = 0; i < h->nex; i++)
		(void)tk_buf_printf(b, "%s%s", i ? ", " : "", h->ex[i]);
	if (h->count > h->nex)
		(void)tk_buf_printf(b, " and %s%zu more",
		    h->approx ? "up to " : "", h->count - h->nex);
}

void
tk_hitlist_release(struct tk_hitlist *l)
{
	size_t i, k;

	for (i = 0; i < l->n; i++)
		for (k = 0; k < l->items[i].nex; k++)
			free(l->items[i].ex[k]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void
tk_need_free(struct tk_need *need)
{
	if (need == NULL)
		return;
	free(need->groups);
	tk_hitlist_release(&need->hits);
	free(need);
}

static bool
same_roles(const struct tk_roleset *a, const struct tk_roleset *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static struct tk_roleset
one_role(unsigned role)
{
	struct tk_roleset s;

	memset(&s, 0, sizeof(s));
	s.bits[role / 64] |= (uint64_t)1 << (role % 64);
	return s;
}

/* A constraint the rule's own approvals already make at least as strong. */
static bool
dominated(
    const struct tk_rule *rule, const struct tk_roleset *roles, unsigned min)
{
	struct tk_roleset one;
	size_t i;

	if (!rule->approvals)
		return false;
	if (same_roles(roles, &rule->approvals_from) &&
	    min <= rule->approvals_min)
		return true;
	for (i = 0; i < rule->nrequire; i++) {
		one = one_role(rule->require[i].role);
		if (same_roles(roles, &one) && min <= rule->require[i].min)
			return true;
	}
	return false;
}

/* Adds "min from roles"; the same roles twice keep the larger minimum. */
static int
add_group(struct tk_need *nd, const struct tk_rule *rule,
    const struct tk_roleset *roles, unsigned min, size_t entry)
{
	size_t i;
	int rc;

	if (dominated(rule, roles, min))
		return 0;
	for (i = 0; i < nd->ngroups; i++)
		if (same_roles(&nd->groups[i].roles, roles)) {
			if (nd->groups[i].min < min) {
				nd->groups[i].min = min;
				nd->groups[i].entry = entry;
			}
			return 0;
		}
	if ((rc = tk_grow(&nd->groups, &nd->cap, nd->ngroups + 1,
	         sizeof(*nd->groups))) < 0)
		return rc;
	nd->groups[nd->ngroups].roles = *roles;
	nd->groups[nd->ngroups].min = min;
	nd->groups[nd->ngroups++].entry = entry;
	return 0;
}

static int
add_entry(struct tk_need *nd, const struct tk_rule *rule, size_t entry)
{
	const struct tk_path_rule *e = &rule->paths[entry];
	struct tk_roleset one;
	size_t i, k;
	int rc;

	for (k = 0; k < TK_ARRAY_SIZE(nd->from.bits); k++)
		nd->from.bits[k] |= e->from.bits[k];
	if (e->min > 0 &&
	    (rc = add_group(nd, rule, &e->from, e->min, entry)) < 0)
		return rc;
	for (i = 0; i < e->nrequire; i++) {
		one = one_role(e->require[i].role);
		if ((rc = add_group(nd, rule, &one, e->require[i].min, entry)) <
		    0)
			return rc;
	}
	return 0;
}

/* "path rule 'GLOB' applies (infra/a.tf): ... 1 from operations". */
static int
note_entry(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tk_hit *h)
{
	const struct tk_path_rule *e = &rule->paths[h->entry];
	struct tk_buf b = TK_BUF_INIT(16384);
	const char *subj;
	size_t i, sl;
	int rc;

	(void)tk_buf_printf(&b, "path rule '%s' applies (", e->match_src);
	tk_hit_format(&b, h);
	(void)tk_buf_puts(&b, "): approvals needed in addition:");
	if (e->min > 0) {
		(void)tk_buf_printf(&b, " %u from ", e->min);
		(void)tk_roleset_format(&b, c->p, &e->from);
	}
	for (i = 0; i < e->nrequire; i++)
		(void)tk_buf_printf(&b, "%s %u from role %s",
		    i || e->min ? "," : "", e->require[i].min,
		    c->p->roles[e->require[i].role]);
	subj = tk_commit_subject(rec->c, &sl);
	rc = tk_check_add(c, TK_SEV_NOTE, &rec->id, subj, sl, NULL, "%s",
	    b.ptr ? b.ptr : "path rule applies");
	tk_buf_release(&b);
	return rc;
}

/* Groups and from for one chain commit whose hits are in nd. */
static int
finish(struct tk_check *c, const struct tk_rule *rule, struct tk_rec *rec,
    struct tk_need *nd)
{
	size_t i;
	int rc;

	if (rule->approvals)
		nd->from = rule->approvals_from;
	for (i = 0; i < nd->hits.n; i++) {
		if (!rule->paths[nd->hits.items[i].entry].approvals)
			continue;
		if ((rc = add_entry(nd, rule, nd->hits.items[i].entry)) < 0 ||
		    (rc = note_entry(c, rule, rec, &nd->hits.items[i])) < 0)
			return rc;
	}
	return 0;
}

int
tk_need_build(struct tk_check *c, const struct tk_rule *rule,
    struct tk_rec *recs, size_t n, const size_t *chain, size_t nchain,
    const struct tk_hitlist *own, const struct tk_hitlist *comb)
{
	struct tk_rec *o;
	size_t i;
	int rc = 0;

	for (i = 0; i < nchain && rc == 0; i++)
		if ((recs[chain[i]].need =
		            tk_calloc(1, sizeof(struct tk_need))) == NULL ||
		    (rc = merge_hits(
		         &recs[chain[i]].need->hits, &own[chain[i]])) < 0)
			rc = TK_ENOMEM;
	/* What the commits a chain merge owns changed is its change too. */
	for (i = 0; i < n && rc == 0; i++) {
		if (recs[i].chain || recs[i].owner == TK_NO_OWNER ||
		    recs[i].c == NULL)
			continue;
		o = &recs[recs[i].owner];
		if (o->need != NULL)
			rc = merge_hits(&o->need->hits,
			    recs[i].c->nparents > 1 ? &comb[i] : &own[i]);
	}
	for (i = 0; i < nchain && rc == 0; i++)
		if (recs[chain[i]].c != NULL)
			rc = finish(
			    c, rule, &recs[chain[i]], recs[chain[i]].need);
	return rc;
}

const struct tk_roleset *
tk_need_from(const struct tk_rule *rule, const struct tk_need *need)
{
	return need != NULL ? &need->from : &rule->approvals_from;
}

bool
tk_need_required(const struct tk_rule *rule, const struct tk_need *need)
{
	return rule->approvals || (need != NULL && need->ngroups > 0);
}

static unsigned
holding(const struct tk_idset *counted, const struct tk_roleset *roles)
{
	unsigned have = 0;
	size_t k;

	for (k = 0; k < counted->n; k++)
		have += tk_roleset_intersects(&counted->ids[k]->roles, roles);
	return have;
}

static const struct tk_hit *
hit_of(const struct tk_need *need, size_t entry)
{
	size_t at;

	return find_hit(&need->hits, entry, &at);
}

static void
missing_group(const struct tk_check *c, const struct tk_rule *rule,
    const struct tk_need *need, const struct tk_need_group *g, unsigned have,
    struct tk_buf *out)
{
	const struct tk_hit *h = hit_of(need, g->entry);
	size_t k, nroles = 0;

	for (k = 0; k < c->p->nroles; k++)
		nroles += tk_roleset_has(&g->roles, (unsigned)k);
	(void)tk_buf_printf(out, "%s%u more from role%s ",
	    out->len ? ", and " : "", g->min - have, nroles == 1 ? "" : "s");
	(void)tk_roleset_format(out, c->p, &g->roles);
	(void)tk_buf_printf(
	    out, " for path rule '%s' (", rule->paths[g->entry].match_src);
	if (h != NULL)
		tk_hit_format(out, h);
	(void)tk_buf_putc(out, ')');
}

void
tk_need_missing(const struct tk_check *c, const struct tk_rule *rule,
    const struct tk_need *need, const struct tk_idset *counted,
    struct tk_buf *out)
{
	struct tk_roleset one;
	unsigned have;
	size_t i;

	if (rule->approvals &&
	    (have = holding(counted, &rule->approvals_from)) <
	        rule->approvals_min)
		(void)tk_buf_printf(out, "%u more approval%s",
		    rule->approvals_min - have,
		    rule->approvals_min - have == 1 ? "" : "s");
	for (i = 0; rule->approvals && i < rule->nrequire; i++) {
		one = one_role(rule->require[i].role);
		if ((have = holding(counted, &one)) < rule->require[i].min)
			(void)tk_buf_printf(out, "%s%u more from role %s",
			    out->len ? ", and " : "",
			    rule->require[i].min - have,
			    c->p->roles[rule->require[i].role]);
	}
	for (i = 0; need != NULL && i < need->ngroups; i++)
		if ((have = holding(counted, &need->groups[i].roles)) <
		    need->groups[i].min)
			missing_group(
			    c, rule, need, &need->groups[i], have, out);
}
