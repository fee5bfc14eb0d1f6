/*
 * twokey audit reconcile: does the log explain every value a repository's
 * refs took?  The accepted records of a ref, in log order, are its
 * recorded moves old -> new; each move must start where the one before it
 * ended, and the ref's value now must be where the last one ended.  Any
 * other change (git update-ref, a direct write, a push while the hook was
 * not installed) shows as a gap, and the first-parent commits in the gap
 * are named: they landed with no record.
 *
 * Bounded: the work is one pass over the log plus, per gap, a
 * first-parent walk of at most max_walk commits; a history that has no
 * gap is not walked at all.
 */
#include <limits.h>
#include <stdlib.h>

#include "doc.h"

static const char *const ref_cols[] = {"ref", "records", "value", "status"};
static const char *const gap_cols[] = {
    "ref", "status", "from", "to", "commits", "after", "detail"};
enum { G_REF, G_STATUS, G_FROM, G_TO, G_COMMITS, G_AFTER, G_DETAIL };

#define LIST_MAX 20 /* commits named per gap */

struct move {
	git_oid old, new_;
	char time[24];
};

struct history {
	char *ref;
	struct move *m;
	size_t n, cap;
	struct tk_map *values; /* every recorded value (raw oid) */
};

struct recon {
	struct tk_doc *doc;
	git_repository *repo;
	struct history *h;
	size_t nh;
	struct tk_map *index; /* ref name -> position + 1 */
	size_t max_walk;
	bool unrecorded;
	bool explicit_refs; /* the caller named the refs */
	char *real; /* realpath of the repository */
	char *last_seen, *last_real; /* a one-entry realpath cache */
};

static bool
same_repo(struct recon *c, const char *rec_repo, const char *want)
{
	if (rec_repo == NULL)
		return false;
	if (tk_audit_repo_matches(rec_repo, want))
		return true;
	if (c->last_seen == NULL || strcmp(c->last_seen, rec_repo) != 0) {
		free(c->last_seen);
		free(c->last_real);
		c->last_seen = tk_strdup(rec_repo);
		c->last_real = realpath(rec_repo, NULL);
	}
	return c->real != NULL && c->last_real != NULL &&
	    strcmp(c->real, c->last_real) == 0;
}

static struct history *
history_of(struct recon *c, const char *ref)
{
	uintptr_t at = (uintptr_t)tk_map_get(c->index, ref, strlen(ref));
	struct history *h;

	if (at != 0)
		return &c->h[at - 1];
	if (tk_grow_one(&c->h, c->nh, sizeof(*c->h)) < 0)
		return NULL;
	h = &c->h[c->nh];
	memset(h, 0, sizeof(*h));
	if ((h->ref = tk_strdup(ref)) == NULL || tk_map_new(&h->values) < 0 ||
	    tk_map_put(c->index, ref, strlen(ref), (void *)(c->nh + 1), NULL) <
	        0) {
		free(h->ref);
		tk_map_free(h->values);
		return NULL;
	}
	c->nh++;
	return h;
}

static int
add_move(struct recon *c, const struct tk_audit_record *rec,
    const struct tk_audit_ref *f)
{
	struct history *h;
	struct move m;

	memset(&m, 0, sizeof(m));
	if (f->stored == NULL || f->old == NULL || f->new_ == NULL ||
	    git_oid_fromstr(&m.old, f->old) < 0 ||
	    git_oid_fromstr(&m.new_, f->new_) < 0)
		return 0; /* not a move we can follow: verify reports it */
	snprintf(m.time, sizeof(m.time), "%s", rec->time ? rec->time : "?");
	/* the name git stored (docs/spec.md, "Ref names") */
	if ((h = history_of(c, f->stored)) == NULL)
		return TK_ENOMEM;
	/* pre-receive and update both installed: one move, two records */
	if (h->n > 0 && git_oid_equal(&h->m[h->n - 1].old, &m.old) &&
	    git_oid_equal(&h->m[h->n - 1].new_, &m.new_))
		return 0;
	if (tk_grow(&h->m, &h->cap, h->n + 1, sizeof(*h->m)) < 0 ||
	    tk_map_put(h->values, m.old.id, GIT_OID_RAWSZ, (void *)1, NULL) ==
	        TK_ENOMEM ||
	    tk_map_put(h->values, m.new_.id, GIT_OID_RAWSZ, (void *)1, NULL) ==
	        TK_ENOMEM)
		return TK_ENOMEM;
	h->m[h->n++] = m;
	return 0;
}

static void cancel_move(struct recon *c, const struct tk_audit_record *rec,
    const struct tk_audit_ref *f);

static int
read_log(struct recon *c, struct tk_audit_reader *r, const char *repo_path)
{
	const struct tk_audit_record *rec;
	size_t i;
	int rc;

	while ((rc = tk_audit_next(r, &rec)) > 0) {
		if (!same_repo(c, rec->repo, repo_path) ||
		    (rec->hook != NULL && strcmp(rec->hook, "check") == 0))
			continue;
		if (rec->decision == NULL ||
		    strcmp(rec->decision, "accepted") != 0) {
			if (rec->hook != NULL &&
			    strcmp(rec->hook, "update") == 0)
				for (i = 0; i < rec->nrefs; i++)
					cancel_move(c, rec, &rec->refs[i]);
			continue;
		}
		for (i = 0; i < rec->nrefs; i++)
			if (rec->refs[i].decision != NULL &&
			    strcmp(rec->refs[i].decision, "accepted") == 0 &&
			    (rc = add_move(c, rec, &rec->refs[i])) < 0)
				return rc;
	}
	return rc;
}

/*
 * A move the update hook refused right after pre-receive accepted it did
 * not happen: forget it.
 */
static void
cancel_move(struct recon *c, const struct tk_audit_record *rec,
    const struct tk_audit_ref *f)
{
	uintptr_t at = 0;
	struct history *h;
	git_oid o, n;

	if (f->stored != NULL)
		at = (uintptr_t)tk_map_get(
		    c->index, f->stored, strlen(f->stored));
	if (at == 0 || f->old == NULL || f->new_ == NULL ||
	    git_oid_fromstr(&o, f->old) < 0 || git_oid_fromstr(&n, f->new_) < 0)
		return;
	h = &c->h[at - 1];
	if (h->n > 0 && git_oid_equal(&h->m[h->n - 1].old, &o) &&
	    git_oid_equal(&h->m[h->n - 1].new_, &n))
		h->n--;
}

static const char *
hex(const git_oid *id, char buf[GIT_OID_HEXSZ + 1])
{
	return git_oid_is_zero(id) ? "(none)"
	                           : git_oid_tostr(buf, GIT_OID_HEXSZ + 1, id);
}

static int
gap_row(struct recon *c, const char *ref, const char *status,
    const git_oid *from, const git_oid *to, size_t n, const char *after,
    const char *detail)
{
	char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
	struct tk_doc *d = c->doc;
	size_t row;
	int rc;

	if ((rc = tk_doc_row(d, 1, &row)) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, G_REF, ref)) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, G_STATUS, status)) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, G_FROM, hex(from, a))) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, G_TO, hex(to, b))) < 0 ||
	    (rc = tk_doc_cellf(d, 1, row, G_COMMITS, "%zu", n)) < 0 ||
	    (rc = tk_doc_cell(d, 1, row, G_AFTER, after)) < 0)
		return rc;
	return tk_doc_cell(d, 1, row, G_DETAIL, detail);
}

/* Names one unrecorded commit in the detail text. */
static void
name_commit(struct tk_buf *b, const git_commit *cm)
{
	const char *s = git_commit_summary((git_commit *)cm);
	char id[GIT_OID_HEXSZ + 1];

	(void)tk_buf_printf(b, "%s%s %.100s", b->len ? "; " : "",
	    git_oid_tostr(id, sizeof(id), git_commit_id(cm)), s ? s : "");
}

/* Names the first commits of a gap in the detail text. */
static void
name_first(struct recon *c, const git_oid *id, size_t n, struct tk_buf *b)
{
	git_commit *cm = NULL;

	if (n >= LIST_MAX || git_commit_lookup(&cm, c->repo, id) < 0)
		return;
	name_commit(b, cm);
	git_commit_free(cm);
}

/*
 * Walks the first-parent chain from to, down to from or to any value the
 * log recorded for the ref: the commits walked landed unrecorded.  A
 * revwalk reads only what it needs of each commit (no object cache), so
 * a 100,000-commit gap stays small in memory.
 */
static int
walk_gap(struct recon *c, const struct history *h, const git_oid *from,
    const git_oid *to, size_t *n, bool *reached, struct tk_buf *detail)
{
	git_revwalk *w = NULL;
	git_oid cur;
	int e;

	*n = 0;
	*reached = false;
	if (git_revwalk_new(&w, c->repo) < 0)
		return tk_error_set(TK_EGIT, "cannot walk the history");
	git_revwalk_sorting(w, GIT_SORT_NONE);
	git_revwalk_simplify_first_parent(w);
	if (git_revwalk_push(w, to) < 0) { /* not a commit (a tag?) */
		git_revwalk_free(w);
		return 0;
	}
	while (*n < c->max_walk && (e = git_revwalk_next(&cur, w)) == 0) {
		if (git_oid_equal(&cur, from) ||
		    tk_map_get(h->values, cur.id, GIT_OID_RAWSZ) != NULL) {
			*reached = true;
			break;
		}
		name_first(c, &cur, *n, detail);
		(*n)++;
	}
	git_revwalk_free(w);
	if (*n > LIST_MAX)
		(void)tk_buf_printf(detail, "; and %zu more", *n - LIST_MAX);
	return 0;
}

static int
gap(struct recon *c, const struct history *h, const git_oid *from,
    const git_oid *to, const char *after)
{
	struct tk_buf detail = TK_BUF_INIT(1 << 20);
	bool reached;
	size_t n;
	int rc;

	if (git_oid_equal(from, to))
		return 0;
	c->unrecorded = true;
	if (git_oid_is_zero(to))
		return gap_row(c, h->ref, "deleted", from, to, 0, after,
		    "the ref was deleted without a record");
	if (tk_map_get(h->values, to->id, GIT_OID_RAWSZ) != NULL)
		return gap_row(c, h->ref, "reset", from, to, 0, after,
		    "the ref went back to a value the log recorded earlier, "
		    "without a record: a reset outside twokey, or an accepted "
		    "push that did not complete; no unrecorded commit landed");
	if ((rc = walk_gap(c, h, from, to, &n, &reached, &detail)) < 0)
		goto out;
	if (!reached && n == 0)
		(void)tk_buf_puts(&detail,
		    "the new value is not a commit the walk can follow");
	else if (!reached)
		(void)tk_buf_printf(&detail,
		    "%s(history rewritten: the walk did not reach a recorded "
		    "value within %zu commits)",
		    detail.len ? "; " : "", c->max_walk);
	rc = detail.err
	    ? detail.err
	    : gap_row(c, h->ref, "unrecorded", from, to, n, after, detail.ptr);
out:
	tk_buf_release(&detail);
	return rc;
}

/*
 * The value now of the ref whose log form is ref (zero when absent);
 * symbolic refs are skipped.
 */
static int
value_now(struct recon *c, const char *ref, git_oid *out, bool *symbolic)
{
	struct tk_buf raw = TK_BUF_INIT(8192);
	git_reference *r = NULL;
	int e;

	memset(out, 0, sizeof(*out));
	*symbolic = false;
	if ((e = tk_audit_refname_raw(&raw, ref, strlen(ref))) < 0 ||
	    (e = tk_buf_putc(&raw, '\0')) < 0)
		return e;
	e = memchr(raw.ptr, '\0', raw.len - 1) != NULL
	    ? GIT_ENOTFOUND
	    : git_reference_lookup(&r, c->repo, raw.ptr);
	tk_buf_release(&raw);
	if (e == GIT_ENOTFOUND || e == GIT_EINVALIDSPEC)
		return 0;
	if (e < 0)
		return tk_error_set(TK_EGIT, "cannot read %.200s: %s", ref,
		    git_error_last() ? git_error_last()->message : "?");
	if (git_reference_type(r) == GIT_REFERENCE_SYMBOLIC)
		*symbolic = true;
	else
		*out = *git_reference_target(r);
	git_reference_free(r);
	return 0;
}

static int
ref_row(struct recon *c, const char *ref, size_t n, const git_oid *now,
    const char *status)
{
	char b[GIT_OID_HEXSZ + 1];
	size_t row;
	int rc;

	if ((rc = tk_doc_row(c->doc, 0, &row)) < 0 ||
	    (rc = tk_doc_cell(c->doc, 0, row, 0, ref)) < 0 ||
	    (rc = tk_doc_cellf(c->doc, 0, row, 1, "%zu", n)) < 0 ||
	    (rc = tk_doc_cell(c->doc, 0, row, 2, hex(now, b))) < 0)
		return rc;
	return tk_doc_cell(c->doc, 0, row, 3, status);
}

static int
check_ref(struct recon *c, const char *ref)
{
	uintptr_t at = (uintptr_t)tk_map_get(c->index, ref, strlen(ref));
	struct history *h = at ? &c->h[at - 1] : NULL;
	size_t before = c->doc->tables[1].nrows, i;
	char after[64];
	bool symbolic;
	git_oid now;
	int rc;

	if ((rc = value_now(c, ref, &now, &symbolic)) < 0 || symbolic)
		return rc;
	if (h == NULL || h->n == 0) {
		if (git_oid_is_zero(&now) && c->explicit_refs)
			return tk_error_set(TK_EINVAL,
			    "%.200s is neither a ref of the repository nor "
			    "named by any record of it",
			    ref);
		if (git_oid_is_zero(&now))
			return ref_row(c, ref, 0, &now, "absent, no record");
		c->unrecorded = true;
		return ref_row(c, ref, 0, &now,
		    "unrecorded: no accepted record names this ref (created "
		    "outside twokey, or before the log began)");
	}
	for (i = 0; i + 1 < h->n && rc == 0; i++) {
		snprintf(after, sizeof(after), "record of %s", h->m[i].time);
		rc = gap(c, h, &h->m[i].new_, &h->m[i + 1].old, after);
	}
	snprintf(after, sizeof(after), "record of %s (the last)",
	    h->m[h->n - 1].time);
	if (rc == 0)
		rc = gap(c, h, &h->m[h->n - 1].new_, &now, after);
	if (rc < 0)
		return rc;
	return ref_row(c, ref, h->n, &now,
	    c->doc->tables[1].nrows == before
	        ? "ok: every change has an accepted record"
	        : "changes without a record (below)");
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every ref the repository has and every ref the log names, sorted. */
static int
all_refs(struct recon *c, char ***out, size_t *n)
{
	git_strarray names = {NULL, 0};
	struct tk_map *have = NULL;
	size_t i;
	char **v;
	int rc = 0;

	*n = 0;
	if ((*out = NULL, git_reference_list(&names, c->repo)) < 0)
		return tk_error_set(TK_EGIT, "cannot list refs");
	if ((v = tk_calloc(names.count + c->nh + 1, sizeof(*v))) == NULL ||
	    tk_map_new(&have) < 0) {
		rc = TK_ENOMEM;
		goto out;
	}
	*out = v;
	/* the repository's names in the log's form */
	for (i = 0; i < names.count && rc == 0; i++) {
		struct tk_buf b = TK_BUF_INIT(8192);

		if (tk_audit_refname(
		        &b, names.strings[i], strlen(names.strings[i])) < 0 ||
		    (v[(*n)++] = tk_buf_detach(&b, NULL)) == NULL ||
		    tk_map_put(have, v[i], strlen(v[i]), (void *)1, NULL) ==
		        TK_ENOMEM)
			rc = TK_ENOMEM;
		tk_buf_release(&b);
	}
	for (i = 0; i < c->nh && rc == 0; i++)
		if (tk_map_get(have, c->h[i].ref, strlen(c->h[i].ref)) ==
		        NULL &&
		    (v[(*n)++] = tk_strdup(c->h[i].ref)) == NULL)
			rc = TK_ENOMEM;
	if (rc == 0 && *n > 0)
		qsort(v, *n, sizeof(*v), cmp_str);
out:
	tk_map_free(have);
	git_strarray_dispose(&names);
	return rc;
}

static void
recon_release(struct recon *c)
{
	size_t i;

	for (i = 0; i < c->nh; i++) {
		free(c->h[i].ref);
		free(c->h[i].m);
		tk_map_free(c->h[i].values);
	}
	free(c->h);
	tk_map_free(c->index);
	free(c->real);
	free(c->last_seen);
	free(c->last_real);
}

static int
check_all(struct recon *c, const char *const *refs, size_t nrefs)
{
	char **all = NULL;
	size_t n = 0, i;
	int rc = 0;

	c->explicit_refs = nrefs > 0;
	if (nrefs == 0) {
		rc = all_refs(c, &all, &n);
		refs = (const char *const *)all;
		nrefs = n;
	}
	for (i = 0; i < nrefs && rc == 0; i++)
		if (strcmp(refs[i], "HEAD") != 0)
			rc = check_ref(c, refs[i]);
	for (i = 0; i < n; i++)
		free(all[i]);
	free(all);
	return rc;
}

int
tk_evidence_reconcile(struct tk_doc *doc, struct tk_audit_reader *r,
    git_repository *repo, const char *repo_path, const char *const *refs,
    size_t nrefs, size_t max_walk)
{
	struct recon c;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(doc, 0, sizeof(*doc));
	c.doc = doc;
	c.repo = repo;
	c.max_walk = max_walk;
	c.real = realpath(repo_path, NULL);
	doc->title = "twokey audit reconcile";
	if ((rc = tk_map_new(&c.index)) < 0 ||
	    (rc = tk_doc_table(
	         doc, "refs", "Refs", ref_cols, TK_ARRAY_SIZE(ref_cols))) < 0 ||
	    (rc = tk_doc_table(doc, "changes", "Changes without a record",
	         gap_cols, TK_ARRAY_SIZE(gap_cols))) < 0 ||
	    (rc = tk_doc_head(doc, "repository", "%s", repo_path)) < 0 ||
	    (rc = read_log(&c, r, repo_path)) < 0 ||
	    (rc = tk_doc_sources(doc, r)) < 0 ||
	    (rc = tk_doc_chain(doc, r)) < 0 ||
	    (rc = check_all(&c, refs, nrefs)) < 0)
		goto out;
	rc = tk_doc_head(doc, "result", "%s",
	    c.unrecorded ? "CHANGES WITHOUT A RECORD: the log does not explain "
	                   "every value of these refs"
	                 : "every change of these refs has an accepted record");
	if (c.unrecorded)
		doc->status = 1;
out:
	recon_release(&c);
	return rc;
}
