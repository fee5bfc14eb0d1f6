/*
 * What a created ref may stand on (docs/spec.md, "Entering commits").
 *
 * An existing ref vouches for the commits it reaches only when its rule
 * is the created ref's own or one at least as strict: otherwise a branch
 * under a weaker rule launders its commits into a release branch.  The
 * new tip itself must be entering (and so checked) or lie on the
 * first-parent chain of a vouching ref or of a trusted-history commit:
 * a commit that only ever arrived inside a merge was never approved as a
 * tip of its own, and must not become one unreviewed.
 */
#include "history.h"
#include "notes.h"
#include "refnames.h"
#include "twokey/cgraph.h"
#include "twokey/reflist.h"
#include "twokey/commit.h"
#include "twokey/repo.h"

/* How much older than the tip a commit may be and still be walked. */
#define DATE_SLOP (24 * 3600)

/*
 * The longest first-parent path found in the commit-graph that is
 * confirmed commit by commit against the objects; a longer one is trusted
 * once the graph's checksum matches (docs/decisions.md).  Reading one
 * commit costs about what checksumming 2-3 KB of graph does, and the
 * nearest vouching ref is usually a few commits above the tip.
 */
#define CONFIRM_MAX 512

/* How many graph entries ahead place_all asks the processor to fetch. */
#define PREFETCH 8

/* How many lookups ahead place_all fetches where a lookup reads first. */
#define FIND_AHEAD 8

/*
 * The rule governing an existing ref, by its name inside the namespace
 * (refs outside it are other repositories); NULL for none, for a ref of
 * another namespace, and for a name its rule does not name explicitly.
 */
static const struct tk_rule *
governing_rule(const struct tk_check *c, const char *stored, bool *other)
{
	const struct tk_rule *rule = NULL;

	*other = true;
	/* Notes commits vouch for nothing: they are no code. */
	if (strncmp(stored, c->ns, c->nslen) != 0 ||
	    tk_is_notes_ref(stored + c->nslen))
		return NULL;
	*other = false;
	if (tk_policy_match(&rule, c->p, stored + c->nslen) != 1 ||
	    !tk_rule_names_explicitly(rule, stored + c->nslen))
		return NULL;
	return rule;
}

/*
 * The names a push updates, sorted, for held_before().  A sorted array and
 * not a hash table: pushers choose the names, and could choose colliding
 * ones.
 */
struct pushed {
	const struct tk_update **up;
	size_t n;
};

static int
by_ref(const void *a, const void *b)
{
	return strcmp((*(const struct tk_update *const *)a)->ref,
	    (*(const struct tk_update *const *)b)->ref);
}

static int
pushed_names(struct pushed *pn, const struct tk_check *c)
{
	size_t i;

	if ((pn->up = tk_calloc(c->u->n + 1, sizeof(*pn->up))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < c->u->n; i++)
		pn->up[i] = &c->u->items[i];
	pn->n = c->u->n;
	qsort(pn->up, pn->n, sizeof(*pn->up), by_ref);
	return 0;
}

/*
 * The value a ref of this very push held before it: its old value, or the
 * zero id for a ref it creates.  Returns false for a ref the push does not
 * name.  In a hook this is the ref's current value anyway (git moves refs
 * after the hooks decide); "twokey config replay" decides recorded pushes
 * after the fact, when those refs have moved on, and a ref created by the
 * replayed push must not vouch for the commits it brought.
 */
static bool
held_before(const struct tk_check *c, const struct pushed *pn,
    const char *stored, git_oid *old)
{
	struct tk_update key;
	const struct tk_update *kp = &key, *const * hit;

	if (strncmp(stored, c->ns, c->nslen) != 0)
		return false;
	key.ref = (char *)(uintptr_t)(stored + c->nslen);
	if ((hit = bsearch(&kp, pn->up, pn->n, sizeof(*pn->up), by_ref)) ==
	    NULL)
		return false;
	git_oid_cpy(old, &(*hit)->old_id);
	return true;
}

static const struct tk_cgraph *graph(struct tk_check *c);

/* A start's place in the walk order: its generation (start_key). */
static uint32_t
graph_key(const struct tk_cgraph *g, uint32_t pos)
{
	uint32_t gen = tk_cgraph_generation(g, pos);

	return gen == 0 ? UINT32_MAX - 2 : gen;
}

/*
 * The commit a ref vouches with: its value, or what it held before.  A
 * value the commit-graph holds (key != 0, place_all) is a commit: no
 * object is read for it (thousands of refs would cost thousands of reads
 * per created ref).
 */
static int
vouching_tip(struct tk_check *c, const struct pushed *pn,
    const struct tk_ref *ref, uint32_t key, git_oid *out, int64_t *when)
{
	git_object *o = NULL, *peeled = NULL;
	git_oid old;
	int rc = -1;

	*when = INT64_MIN;
	if (!held_before(c, pn, ref->name, &old)) {
		if (key != 0) {
			git_oid_cpy(out, &ref->id);
			return 0;
		}
		git_oid_cpy(&old, &ref->id);
	} else if (git_oid_is_zero(&old))
		return -1;
	if (git_object_lookup(&o, c->repo, &old, GIT_OBJECT_ANY) == 0)
		rc = git_object_peel(&peeled, o, GIT_OBJECT_COMMIT);
	if (rc == 0) {
		git_oid_cpy(out, git_object_id(peeled));
		/* kept for ordering the walks (start_key): saves a read */
		*when = git_commit_time((const git_commit *)peeled);
	}
	git_object_free(peeled);
	git_object_free(o);
	return rc;
}

/* Approvals min from [from] require [req] ask at least what em ratifies. */
static bool
ratify_covered(unsigned min, const struct tk_roleset *from,
    const struct tk_role_min *req, size_t nreq, const struct tk_emergency *em)
{
	size_t i, k;

	if (min < em->min || !tk_roleset_within(from, &em->from))
		return false;
	for (i = 0; i < em->nrequire; i++) {
		for (k = 0; k < nreq; k++)
			if (req[k].role == em->require[i].role &&
			    req[k].min >= em->require[i].min)
				break;
		if (k == nreq)
			return false;
	}
	return true;
}

/*
 * Does a ref under rule a vouch for what a ref created under b brings
 * in?  Under a granted emergency b also asks, of those commits, the
 * ratification of its emergency (whatever b inspects otherwise): a
 * different rule vouches then only when it is at least as strict and its
 * approvals (and its own emergency's ratification) ask at least that
 * much, and refs no rule governs never vouch.  Without this, a rule of
 * roles only let every ref, unprotected ones included, hide commits from
 * the emergency's record, which ratified them at once.
 */
static bool
vouches(
    const struct tk_check *c, const struct tk_rule *a, const struct tk_rule *b)
{
	const struct tk_emergency *em = b != NULL ? b->emergency : NULL;

	if (a == b)
		return true;
	if (em == NULL || !c->r->verdicts[c->cur].emergency)
		return tk_rule_vouches_for(a, b);
	if (a == NULL || !a->approvals || !tk_rule_vouches_for(a, b) ||
	    !ratify_covered(a->approvals_min, &a->approvals_from, a->require,
	        a->nrequire, em))
		return false;
	return a->emergency == NULL ||
	    ratify_covered(a->emergency->min, &a->emergency->from,
	        a->emergency->require, a->emergency->nrequire, em);
}

/* Does the (direct) ref vouch for a ref created under created? */
static bool
ref_vouches(const struct tk_check *c, const struct tk_ref *ref,
    const struct tk_rule *created)
{
	const struct tk_rule *rule;
	bool other;

	rule = governing_rule(c, ref->name, &other);
	/* refs no rule governs vouch only for rules that ask nothing */
	return !other && vouches(c, rule, created);
}

/*
 * The graph's walk order (graph_key) of the ids of the refs that vouch
 * (key[i] != 0 when want[i]), 0 for those it does not hold.  Looked up in
 * the order of their first byte: each search then stays in one fanout
 * bucket of the file, where thousands of lookups in name order would each
 * read a random part of a file of megabytes.
 */
static int
place_all(const struct tk_cgraph *g, const struct tk_reflist *refs,
    const bool *want, uint32_t *key)
{
	size_t at[257], *order, i, n = 0;
	uint32_t pos, *at_pos;

	memset(at, 0, sizeof(at));
	for (i = 0; i < refs->n; i++)
		if (want[i])
			at[refs->refs[i].id.id[0] + 1]++;
	for (i = 1; i < 257; i++)
		at[i] += at[i - 1];
	if ((order = tk_calloc(at[256] + 1, sizeof(*order))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < refs->n; i++)
		if (want[i])
			order[at[refs->refs[i].id.id[0]]++] = i;
	n = at[255];
	if ((at_pos = tk_calloc(n + 1, sizeof(*at_pos))) == NULL) {
		free(order);
		return TK_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (i + FIND_AHEAD < n)
			tk_cgraph_prefetch_find(
			    g, &refs->refs[order[i + FIND_AHEAD]].id);
		at_pos[i] = tk_cgraph_find(g, &refs->refs[order[i]].id, &pos)
		    ? pos
		    : TK_CGRAPH_NONE;
	}
	/* then the generations, ascending, fetched a few ahead */
	for (i = 0; i < n; i++) {
		if (i + PREFETCH < n && at_pos[i + PREFETCH] != TK_CGRAPH_NONE)
			tk_cgraph_prefetch(g, at_pos[i + PREFETCH]);
		key[order[i]] =
		    at_pos[i] != TK_CGRAPH_NONE ? graph_key(g, at_pos[i]) : 0;
	}
	free(at_pos);
	free(order);
	return 0;
}

static int
collect(struct tk_check *c, const struct tk_rule *created,
    const struct tk_reflist *refs, const struct pushed *pn)
{
	const struct tk_cgraph *g = graph(c);
	git_oid tip;
	int64_t when;
	size_t cap = 0, tcap = 0, kcap = 0, i;
	uint32_t *key = NULL;
	bool *want = NULL;
	int rc = 0;

	if ((want = tk_calloc(refs->n + 1, sizeof(*want))) == NULL ||
	    (key = tk_calloc(refs->n + 1, sizeof(*key))) == NULL) {
		free(want);
		return TK_ENOMEM;
	}
	for (i = 0; i < refs->n; i++)
		want[i] = ref_vouches(c, &refs->refs[i], created);
	if (g != NULL && (rc = place_all(g, refs, want, key)) < 0)
		goto out;
	for (i = 0; i < refs->n && rc == 0; i++) {
		if (!want[i] ||
		    vouching_tip(c, pn, &refs->refs[i], key[i], &tip, &when) !=
		        0)
			continue;
		if ((rc = tk_grow(&c->vouched, &cap, c->nvouched + 1,
		         sizeof(git_oid))) < 0 ||
		    (rc = tk_grow(&c->vouched_time, &tcap, c->nvouched + 1,
		         sizeof(int64_t))) < 0 ||
		    (rc = tk_grow(&c->vouched_key, &kcap, c->nvouched + 1,
		         sizeof(uint32_t))) < 0)
			break;
		c->vouched_time[c->nvouched] = when;
		/* a tip the ref held before was not looked up: start_key */
		c->vouched_key[c->nvouched] =
		    git_oid_equal(&tip, &refs->refs[i].id) ? key[i] : 0;
		git_oid_cpy(&c->vouched[c->nvouched++], &tip);
	}
out:
	free(want);
	free(key);
	return rc;
}

/*
 * Every direct ref, through libgit2: for refs stored in a way
 * tk_reflist_load does not read, and for rules whose patterns give no
 * literal prefix.
 */
static int
all_refs(struct tk_reflist *l, git_repository *repo)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int rc = 0, r;

	if (git_reference_iterator_new(&it, repo) < 0)
		return tk_error_set(TK_EGIT, "cannot list refs");
	while ((r = git_reference_next(&ref, it)) == 0 && rc == 0) {
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT)
			rc = tk_reflist_add(l, git_reference_name(ref),
			    strlen(git_reference_name(ref)),
			    git_reference_target(ref));
		git_reference_free(ref);
		ref = NULL;
	}
	git_reference_iterator_free(it);
	if (rc == 0 && r != GIT_ITEROVER)
		rc = tk_error_set(TK_EGIT, "cannot list refs");
	return rc;
}

/*
 * The name prefixes every ref that may vouch for created lies under: the
 * namespace's prefix and a literal prefix of the pattern of a rule that
 * vouches for created (a ref that matches no such pattern is governed by
 * no such rule).  *all when some such ref may lie anywhere: a rule
 * without a literal prefix, or refs no rule governs vouching.
 */
static int
vouching_prefixes(struct tk_check *c, const struct tk_rule *created,
    char ***out, size_t *n, bool *all)
{
	char **pp = NULL, **v = NULL;
	size_t i, k, m = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	*all = vouches(c, NULL, created);
	for (i = 0; i < c->p->nrules && !*all && rc == 0; i++) {
		if (!vouches(c, c->p->rules[i], created))
			continue;
		if ((rc = tk_reflist_pattern_prefixes(
		         &pp, &m, c->p->rules[i]->refs_src)) < 0)
			break;
		*all = m == 0;
		for (k = 0; k < m && rc == 0; k++) {
			if ((rc = tk_grow(&v, &cap, *n + 1, sizeof(*v))) < 0)
				break;
			if ((v[*n] = malloc(c->nslen + strlen(pp[k]) + 1)) ==
			    NULL) {
				rc = TK_ENOMEM;
				break;
			}
			memcpy(v[*n], c->ns, c->nslen);
			memcpy(v[*n] + c->nslen, pp[k], strlen(pp[k]) + 1);
			(*n)++;
		}
		tk_reflist_prefixes_free(pp, m);
		pp = NULL;
	}
	if (rc < 0 || *all) {
		tk_reflist_prefixes_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}

/* The refs that may vouch for created: under its prefixes, or all. */
static int
candidates(
    struct tk_check *c, const struct tk_rule *created, struct tk_reflist *refs)
{
	char **pre = NULL, why[512];
	size_t n = 0;
	bool all = true;
	int rc;

	memset(refs, 0, sizeof(*refs));
	if ((rc = vouching_prefixes(c, created, &pre, &n, &all)) < 0)
		return rc;
	if (!all && n == 0)
		return 0; /* no rule vouches: no ref does */
	rc = all ? TK_EUNSUPPORTED
	         : tk_reflist_load(refs, c->repo, (const char *const *)pre, n);
	tk_reflist_prefixes_free(pre, n);
	if (rc == TK_EUNSUPPORTED)
		rc = all_refs(refs, c->repo);
	if (rc < 0) {
		tk_reflist_release(refs);
		if (rc == TK_ENOMEM)
			return rc;
		/* a copy: tk_error_set() writes where this points */
		snprintf(why, sizeof(why), "%s", tk_error_last());
		return tk_error_set(rc, "cannot list refs: %s", why);
	}
	return 0;
}

int
tk_history_vouched(struct tk_check *c, const struct tk_rule *rule,
    const git_oid **tips, size_t *n)
{
	struct tk_reflist refs = TK_REFLIST_INIT;
	struct pushed pn = {NULL, 0};
	bool em = c->r->verdicts[c->cur].emergency;
	int rc;

	if (!c->vouched_ready || c->vouched_for != rule ||
	    c->vouched_em != em) {
		c->nvouched = 0;
		c->vouched_ready = false;
		c->vouched_for = rule;
		c->vouched_em = em;
		if ((rc = pushed_names(&pn, c)) < 0)
			return rc;
		if ((rc = candidates(c, rule, &refs)) == 0)
			rc = collect(c, rule, &refs, &pn);
		tk_reflist_release(&refs);
		free(pn.up);
		if (rc < 0)
			return rc;
		c->vouched_ready = true;
	}
	*tips = c->vouched;
	*n = c->nvouched;
	return 0;
}

/* Finds the first trusted commit the repository lacks; *missing. */
static int
find_trusted(struct tk_check *c, size_t *missing)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t i, len;

	*missing = c->p->ntrusted;
	if (git_repository_odb(&odb, c->repo) < 0)
		return tk_error_set(TK_EGIT, "cannot open object database");
	if ((c->trusted = tk_calloc(c->p->ntrusted + 1, sizeof(git_oid))) ==
	    NULL) {
		git_odb_free(odb);
		return TK_ENOMEM;
	}
	for (i = 0; i < c->p->ntrusted; i++) {
		git_oid_fromraw(&c->trusted[i], c->p->trusted[i]);
		if (git_odb_read_header(&len, &type, odb, &c->trusted[i]) < 0 ||
		    type != GIT_OBJECT_COMMIT) {
			*missing = i;
			break;
		}
	}
	git_odb_free(odb);
	return 0;
}

int
tk_history_trusted(struct tk_check *c, bool *ok)
{
	char hex[GIT_OID_HEXSZ + 1];
	size_t missing;
	int rc;

	*ok = false;
	if (c->trusted_status == 0) {
		if ((rc = find_trusted(c, &missing)) < 0)
			return rc;
		c->trusted_status = missing == c->p->ntrusted ? 1 : -1;
		c->ntrusted = c->trusted_status > 0 ? c->p->ntrusted : 0;
		if (c->trusted_status < 0) /* kept for the message */
			git_oid_cpy(&c->trusted[0], &c->trusted[missing]);
	}
	if (c->trusted_status > 0) {
		*ok = true;
		return 0;
	}
	git_oid_tostr(hex, sizeof(hex), &c->trusted[0]);
	return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
	    "an admin must fix trusted-history in the policy",
	    "the policy's trusted-history names %s, which is not a commit "
	    "of this repository, so no commit can be decided",
	    hex);
}

/* One search for tip along first-parent chains (tk_history_on_chain). */
struct fpwalk {
	struct tk_check *c;
	const struct tk_cgraph *g; /* NULL: objects only */
	git_oid tip;
	bool tip_in; /* tip is in the graph, at tip_pos */
	uint32_t tip_pos, tip_gen;
	int64_t cutoff; /* commit date below which to give up; INT64_MIN */
	unsigned char *seen; /* graph positions walked, a bit each */
	struct tk_map *seen_odb; /* ids walked outside the graph */
	git_odb *odb;
	size_t reads;
	bool bounded;
	uint32_t entry; /* where the last walk along the graph started */
	bool via_graph; /* the tip was found along the graph, from entry */
};

/*
 * Along the graph from pos.  Generation numbers strictly decrease towards
 * the roots: below tip's generation, tip cannot be reached any more.
 * Returns 1 found, 0 not, TK_EINVAL for a graph that contradicts itself.
 */
static int
graph_walk(struct fpwalk *w, uint32_t pos)
{
	uint32_t gen = tk_cgraph_generation(w->g, pos), p, pg;
	int rc;

	/* the graph holds the ancestors of all it holds: tip is newer */
	if (!w->tip_in)
		return 0;
	w->entry = pos;
	for (;;) {
		if (w->seen[pos / 8] & (1u << (pos % 8)))
			return 0; /* an earlier walk went on from here */
		w->seen[pos / 8] |= (unsigned char)(1u << (pos % 8));
		if (pos == w->tip_pos) {
			w->via_graph = true;
			return 1;
		}
		if (gen != 0 && w->tip_gen != 0 && gen <= w->tip_gen)
			return 0;
		if ((rc = tk_cgraph_first_parent(w->g, pos, &p)) < 0)
			return rc;
		if (p == TK_CGRAPH_NONE)
			return 0;
		pg = tk_cgraph_generation(w->g, p);
		if (gen != 0 && pg >= gen)
			return tk_error_set(TK_EINVAL,
			    "commit-graph not used: generations do not "
			    "decrease");
		pos = p;
		gen = pg;
	}
}

/*
 * The first parent and committer date of a commit object, read from its
 * header as git does ("parent" lines follow "tree"; the date is the
 * committer line's field after the email): no full parse, no cache.
 * *has_parent false for a root.  TK_EINVAL when the header does not start
 * with "tree" or a parent id does not read.
 */
static int
quick_parse(
    const char *d, size_t len, git_oid *parent, bool *has_parent, int64_t *when)
{
	const char *end = d + len, *nl, *p;
	long long t;
	size_t line;

	*has_parent = false;
	*when = 0;
	for (line = 0; d < end && *d != '\n'; line++) {
		if ((nl = memchr(d, '\n', (size_t)(end - d))) == NULL)
			break;
		if (line == 0 && (nl - d < 5 || memcmp(d, "tree ", 5) != 0))
			return TK_EINVAL;
		/* git reads parents only right after the "tree" line */
		if (line == 1 && (size_t)(nl - d) == 7 + GIT_OID_HEXSZ &&
		    memcmp(d, "parent ", 7) == 0) {
			if (git_oid_fromstrn(parent, d + 7, GIT_OID_HEXSZ) < 0)
				return TK_EINVAL;
			*has_parent = true;
		} else if (nl - d > 10 && memcmp(d, "committer ", 10) == 0) {
			/* "... <email> 1767225600 +0000" */
			for (p = nl - 1; p > d && *p != '>'; p--)
				;
			if (sscanf(p + 1, " %lld", &t) == 1)
				*when = (int64_t)t;
		}
		d = nl + 1;
	}
	return 0;
}

/* One step down the first-parent chain through the object store. */
static int
odb_step(struct fpwalk *w, git_oid *cur, bool *root, int64_t *when)
{
	git_odb_object *o = NULL;
	bool has_parent = false;
	int rc;

	if (git_odb_read(&o, w->odb, cur) < 0)
		return tk_error_set(TK_EGIT, "cannot read commit: %s",
		    git_error_last() ? git_error_last()->message : "?");
	if (git_odb_object_type(o) != GIT_OBJECT_COMMIT)
		rc = tk_error_set(TK_EGIT, "a first parent is not a commit");
	else
		rc = quick_parse(git_odb_object_data(o), git_odb_object_size(o),
		    cur, &has_parent, when);
	*root = !has_parent;
	git_odb_object_free(o);
	return rc;
}

/* Along the objects from start until the graph takes over. */
static int
odb_walk(struct fpwalk *w, const git_oid *start)
{
	git_oid cur = *start;
	uint32_t pos;
	int64_t when = 0;
	bool root = true;
	int rc;

	for (;;) {
		if (w->g != NULL && tk_cgraph_find(w->g, &cur, &pos))
			return graph_walk(w, pos);
		if (git_oid_equal(&cur, &w->tip))
			return 1;
		if (tk_map_get(w->seen_odb, (const char *)cur.id,
		        GIT_OID_RAWSZ) != NULL)
			return 0;
		if ((rc = tk_map_put(w->seen_odb, (const char *)cur.id,
		         GIT_OID_RAWSZ, (void *)(uintptr_t)1, NULL)) ==
		    TK_ENOMEM)
			return rc;
		if (++w->reads > TK_MAX_ENTERING)
			return tk_error_set(TK_ETOOBIG,
			    "more than %d commits on the first-parent chains "
			    "of the refs that vouch for a created ref",
			    TK_MAX_ENTERING);
		if ((rc = odb_step(w, &cur, &root, &when)) < 0)
			return rc == TK_EINVAL ? TK_EGIT : rc;
		if (when < w->cutoff) {
			w->bounded = true;
			return 0;
		}
		if (root)
			return 0;
	}
}

/* The graph, opened on first use; NULL when none is usable. */
static const struct tk_cgraph *
graph(struct tk_check *c)
{
	if (c->graph_status == 0)
		c->graph_status =
		    tk_cgraph_open_hint(&c->graph, c->repo) == 0 ? 1 : -1;
	return c->graph_status > 0 ? c->graph : NULL;
}

static void
drop_graph(struct tk_check *c)
{
	tk_cgraph_free(c->graph);
	c->graph = NULL;
	c->graph_status = -1;
}

static int
disagrees(void)
{
	return tk_error_set(
	    TK_EINVAL, "commit-graph not used: it disagrees with the objects");
}

/*
 * The graph is opened without its checksum (tk_cgraph_open_hint): a path
 * it found from w->entry down to the tip is a claim, proved here against
 * the objects.  Each commit of the path is read and its first parent must
 * be the next commit of the path; the path starts at a commit the walk
 * reached through real ids (a vouching ref's value, or a first parent read
 * from an object) and ends at the tip.  A path longer than CONFIRM_MAX is
 * not read: the graph's checksum must match instead, as when the graph was
 * checked whole.  TK_EINVAL for a graph caught lying.
 */
static int
confirm_path(struct fpwalk *w)
{
	git_odb_object *o = NULL;
	git_oid parent;
	uint32_t pos = w->entry, p, len = 0;
	int64_t when;
	bool has;
	int rc;

	/* the walk just went this way, each position once: it ends */
	while (pos != w->tip_pos && len <= CONFIRM_MAX) {
		if ((rc = tk_cgraph_first_parent(w->g, pos, &p)) < 0)
			return rc;
		if (p == TK_CGRAPH_NONE)
			return disagrees();
		pos = p;
		len++;
	}
	if (len > CONFIRM_MAX)
		return tk_cgraph_verify(w->c->graph);
	for (pos = w->entry; pos != w->tip_pos; pos = p) {
		if ((rc = tk_cgraph_first_parent(w->g, pos, &p)) < 0)
			return rc;
		if (git_odb_read(&o, w->odb,
		        (const git_oid *)(const void *)tk_cgraph_oid(
		            w->g, pos)) < 0)
			return disagrees();
		rc = git_odb_object_type(o) != GIT_OBJECT_COMMIT
		    ? TK_EINVAL
		    : quick_parse(git_odb_object_data(o),
		          git_odb_object_size(o), &parent, &has, &when);
		git_odb_object_free(o);
		if (rc < 0 || !has ||
		    memcmp(parent.id, tk_cgraph_oid(w->g, p), GIT_OID_RAWSZ) !=
		        0)
			return disagrees();
	}
	return 0;
}

/*
 * Where tip stands in the graph, checked against the object itself: a
 * graph that disagrees with the objects about the tip's tree or first
 * parent is not used.  TK_EINVAL for such a graph.
 */
static int
place_tip(struct fpwalk *w, const git_commit *tip)
{
	uint32_t p;
	int rc;

	if (w->g == NULL || !tk_cgraph_find(w->g, &w->tip, &w->tip_pos))
		return 0;
	w->tip_in = true;
	w->tip_gen = tk_cgraph_generation(w->g, w->tip_pos);
	if ((rc = tk_cgraph_first_parent(w->g, w->tip_pos, &p)) < 0)
		return rc;
	if (memcmp(tk_cgraph_tree(w->g, w->tip_pos),
	        git_commit_tree_id(tip)->id, GIT_OID_RAWSZ) != 0 ||
	    (p == TK_CGRAPH_NONE) != (git_commit_parentcount(tip) == 0) ||
	    (p != TK_CGRAPH_NONE &&
	        memcmp(tk_cgraph_oid(w->g, p), git_commit_parent_id(tip, 0)->id,
	            GIT_OID_RAWSZ) != 0))
		return disagrees();
	return 0;
}

/* A start, in the order the walks take them (by_order). */
struct start {
	bool later; /* a trusted commit: after every vouching ref */
	uint32_t key; /* generation; higher for what the graph cannot place */
	size_t idx;
};

static int
by_order(const void *a, const void *b)
{
	const struct start *x = a, *y = b;

	if (x->later != y->later)
		return x->later ? 1 : -1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Where a start stands: its generation in the graph; without a graph, how
 * many seconds newer than the tip it is (one object read), a start older
 * than the tip last, and one older than the date bound skipped (key
 * UINT32_MAX, w->bounded).
 */
static int
start_key(struct fpwalk *w, const git_oid *id, size_t i, int64_t tip_time,
    uint32_t *key)
{
	git_oid cur = *id;
	uint32_t pos;
	int64_t when = INT64_MIN;
	bool root = true;
	int rc;

	*key = UINT32_MAX - 1;
	if (i < w->c->nvouched && git_oid_equal(id, &w->c->vouched[i])) {
		when = w->c->vouched_time[i];
		/* placed when collected (place_all), in the same graph */
		if (w->g != NULL && w->c->vouched_key[i] != 0) {
			*key = w->c->vouched_key[i];
			return 0;
		}
	}
	if (w->g != NULL) {
		if (tk_cgraph_find(w->g, id, &pos))
			*key = graph_key(w->g, pos);
		return 0;
	}
	if (when == INT64_MIN && (rc = odb_step(w, &cur, &root, &when)) < 0)
		return rc;
	if (when < w->cutoff) {
		*key = UINT32_MAX;
		w->bounded = true;
	} else if (when >= tip_time && when - tip_time < UINT32_MAX - 2)
		*key = (uint32_t)(when - tip_time);
	/* older than the tip: it reaches the tip only if clocks lied; last */
	return 0;
}

/*
 * The starts nearest above the tip first: with many refs on one history
 * (release branches), the one just above the tip proves it in a few steps
 * and the walks from the others stop at once on commits already seen.
 */
static int
order_starts(struct start **out, struct fpwalk *w, const git_oid *starts,
    size_t n, size_t nfirst, int64_t tip_time)
{
	struct start *o;
	size_t i;
	int rc;

	if ((*out = o = tk_calloc(n + 1, sizeof(*o))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < n; i++) {
		o[i].idx = i;
		o[i].later = i >= nfirst;
		if ((rc = start_key(w, &starts[i], i, tip_time, &o[i].key)) < 0)
			return rc;
	}
	qsort(o, n, sizeof(*o), by_order);
	return 0;
}

static int
walk_all(struct fpwalk *w, const git_commit *tip, const git_oid *starts,
    size_t n, size_t nfirst, struct tk_chain_proof *pr)
{
	struct start *o = NULL;
	size_t i;
	int rc;

	if ((rc = place_tip(w, tip)) < 0)
		return rc;
	if (w->g != NULL &&
	    (w->seen = tk_calloc(tk_cgraph_count(w->g) / 8 + 1, 1)) == NULL)
		return TK_ENOMEM;
	if ((rc = tk_map_new(&w->seen_odb)) < 0)
		return rc;
	if (git_repository_odb(&w->odb, w->c->repo) < 0)
		return tk_error_set(TK_EGIT, "cannot open object database");
	if ((rc = order_starts(
	         &o, w, starts, n, nfirst, git_commit_time(tip))) < 0) {
		free(o);
		return rc;
	}
	for (i = 0; i < n && rc == 0; i++) {
		/* below the tip's generation, a start cannot reach it */
		if ((w->tip_in && w->tip_gen != 0 && o[i].key < w->tip_gen) ||
		    (w->g == NULL && o[i].key == UINT32_MAX))
			continue;
		if ((rc = odb_walk(w, &starts[o[i].idx])) == 1) {
			pr->found = true;
			pr->by = o[i].idx;
			rc = 0;
			break;
		}
	}
	free(o);
	return rc;
}

int
tk_history_on_chain(struct tk_check *c, const git_oid *tip,
    const git_oid *starts, size_t n, size_t nfirst, bool exact,
    struct tk_chain_proof *pr)
{
	git_commit *tc = NULL;
	struct fpwalk w;
	int rc;

	memset(pr, 0, sizeof(*pr));
	if (git_commit_lookup(&tc, c->repo, tip) < 0)
		return tk_error_set(TK_EGIT, "cannot read commit: %s",
		    git_error_last() ? git_error_last()->message : "?");
	for (;;) {
		memset(&w, 0, sizeof(w));
		w.c = c;
		w.g = graph(c);
		git_oid_cpy(&w.tip, tip);
		w.cutoff = exact || git_commit_time(tc) < INT64_MIN + DATE_SLOP
		    ? INT64_MIN
		    : git_commit_time(tc) - DATE_SLOP;
		rc = walk_all(&w, tc, starts, n, nfirst, pr);
		/*
		 * The graph is a hint (graph()): a proof through it is read
		 * back from the objects; "not found" with the tip in the
		 * graph rests on it, so its checksum must match.  (A graph
		 * that lies by leaving the tip out only makes the tip look
		 * unvouched: its commits are then checked, or it is refused.)
		 */
		if (rc == 0 && pr->found && w.via_graph)
			rc = confirm_path(&w);
		else if (rc == 0 && !pr->found && w.tip_in)
			rc = tk_cgraph_verify(c->graph);
		pr->bounded = w.bounded && !pr->found;
		free(w.seen);
		tk_map_free(w.seen_odb);
		git_odb_free(w.odb);
		/* a damaged graph: never decide by it, walk the objects */
		if (rc != TK_EINVAL || w.g == NULL)
			break;
		drop_graph(c);
		memset(pr, 0, sizeof(*pr));
	}
	git_commit_free(tc);
	return rc;
}

/* Is b (not entering) hidden by others alone? */
static int
hidden_by_others(struct tk_check *c, const git_oid *b, const git_oid *others,
    size_t nothers, bool *yes)
{
	size_t i;
	int r;

	*yes = true;
	for (i = 0; i < nothers; i++)
		if (git_oid_equal(b, &others[i]))
			return 0;
	if (nothers == 0) {
		*yes = false;
		return 0;
	}
	if ((r = git_graph_reachable_from_any(c->repo, b, others, nothers)) < 0)
		return tk_error_set(TK_EGIT, "cannot walk commits: %s",
		    git_error_last() ? git_error_last()->message : "?");
	*yes = r == 1;
	return 0;
}

int
tk_history_trusted_hid(struct tk_check *c, const struct tk_rec *recs, size_t n,
    const git_oid *tip, const git_oid *others, size_t nothers, bool *hid)
{
	struct tk_map *in = NULL;
	const git_oid *b;
	size_t i, k;
	bool yes;
	int rc = 0;

	*hid = false;
	if (c->ntrusted == 0)
		return 0;
	if (n == 0) { /* the tip itself was hidden */
		if ((rc = hidden_by_others(c, tip, others, nothers, &yes)) == 0)
			*hid = !yes;
		return rc;
	}
	if ((rc = tk_map_new(&in)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		if (tk_map_put(in, (const char *)recs[i].id.id, GIT_OID_RAWSZ,
		        (void *)(uintptr_t)1, NULL) == TK_ENOMEM)
			rc = TK_ENOMEM;
	/* the boundary: parents of entering commits that do not enter */
	for (i = 0; i < n && rc == 0 && !*hid; i++)
		for (k = 0;
		     recs[i].ok && k < recs[i].nparents && rc == 0 && !*hid;
		     k++) {
			b = &recs[i].parents[k];
			if (tk_map_get(
			        in, (const char *)b->id, GIT_OID_RAWSZ) != NULL)
				continue;
			if ((rc = hidden_by_others(
			         c, b, others, nothers, &yes)) == 0)
				*hid = !yes;
		}
	tk_map_free(in);
	return rc;
}

void
tk_history_release(struct tk_check *c)
{
	free(c->vouched);
	free(c->vouched_time);
	free(c->vouched_key);
	free(c->trusted);
	tk_cgraph_free(c->graph);
	c->vouched = NULL;
	c->vouched_time = NULL;
	c->vouched_key = NULL;
	c->trusted = NULL;
	c->graph = NULL;
}
