/*
 * Reading audit records: from a store's lines to struct tk_audit_record,
 * checking the chain as they go by.  With record.c, the only code that
 * spells the record's field names (docs/spec.md, "Fields").
 *
 * The log may have been tampered with: every field is optional and
 * type-checked (a wrong type reads as absent), the JSON parser bounds its
 * depth, and nothing here recurses on the input.
 */
#include <time.h>

#include "json.h"
#include "store.h"
#include "twokey/policy.h"

struct tk_audit_reader {
	struct tk_audit_store *store;
	struct tk_chain_check cc;
	struct tk_audit_chain st;
	struct tk_audit_record rec;
	struct tk_jv *tree;
	void **pool; /* allocations of the current record */
	size_t npool, poolcap;
	size_t lastsource, lastline;
	bool done;
};

static void *
palloc(struct tk_audit_reader *r, size_t n, size_t size)
{
	void *p;

	if (n == 0)
		return NULL;
	if (tk_grow(&r->pool, &r->poolcap, r->npool + 1, sizeof(*r->pool)) <
	        0 ||
	    (p = tk_calloc(n, size)) == NULL)
		return NULL;
	r->pool[r->npool++] = p;
	return p;
}

static void
forget(struct tk_audit_reader *r)
{
	size_t i;

	for (i = 0; i < r->npool; i++)
		free(r->pool[i]);
	r->npool = 0;
	tk_json_free(r->tree);
	r->tree = NULL;
	memset(&r->rec, 0, sizeof(r->rec));
}

static const char *
str(const struct tk_jv *o, const char *key)
{
	return tk_json_str(tk_json_get(o, key), NULL);
}

static const struct tk_jv *
arr(const struct tk_jv *o, const char *key)
{
	const struct tk_jv *v = tk_json_get(o, key);

	return v != NULL && v->t == TK_J_ARR ? v : NULL;
}

static size_t
num(const struct tk_jv *o, const char *key)
{
	const struct tk_jv *v = tk_json_get(o, key);
	unsigned long long n;

	if (v == NULL || v->t != TK_J_NUM || v->s[0] == '-')
		return 0;
	n = strtoull(v->s, NULL, 10);
	return n > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)n;
}

static bool
flag(const struct tk_jv *o, const char *key)
{
	const struct tk_jv *v = tk_json_get(o, key);

	return v != NULL && v->t == TK_J_BOOL && v->b;
}

/* An array of strings; items of other types are left out. */
static int
strings(struct tk_audit_reader *r, const struct tk_jv *a,
    const char *const **out, size_t *n)
{
	const char **v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (a == NULL || a->n == 0)
		return 0;
	if ((v = palloc(r, a->n, sizeof(*v))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < a->n; i++)
		if (a->items[i]->t == TK_J_STR)
			v[(*n)++] = a->items[i]->s;
	*out = v;
	return 0;
}

static int
approvers(
    struct tk_audit_reader *r, const struct tk_jv *a, struct tk_audit_commit *c)
{
	struct tk_audit_approver *v;
	size_t i;
	int rc = 0;

	if (a == NULL || a->n == 0)
		return 0;
	if ((v = palloc(r, a->n, sizeof(*v))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < a->n && rc == 0; i++) {
		v[i].identity = str(a->items[i], "identity");
		v[i].via = str(a->items[i], "via");
		rc = strings(
		    r, arr(a->items[i], "roles"), &v[i].roles, &v[i].nroles);
	}
	c->approvers = v;
	c->napprovers = a->n;
	return rc;
}

static int
commit(
    struct tk_audit_reader *r, const struct tk_jv *o, struct tk_audit_commit *c)
{
	const struct tk_jv *m = tk_json_get(o, "merge");
	int rc;

	c->id = str(o, "id");
	c->subject = str(o, "subject");
	c->author = str(o, "author");
	c->refused = str(o, "refused");
	c->covered_by = str(o, "covered_by");
	c->chain = tk_json_get(o, "refused") != NULL;
	if ((rc = strings(r, arr(o, "writers"), &c->writers, &c->nwriters)) <
	        0 ||
	    (rc = approvers(r, arr(o, "approvers"), c)) < 0)
		return rc;
	if (m != NULL && m->t == TK_J_OBJ) {
		c->merge = str(m, "kind");
		c->brings = num(m, "brings");
		rc = strings(
		    r, arr(m, "merged_by"), &c->merged_by, &c->nmerged_by);
	}
	return rc;
}

static int
ref(struct tk_audit_reader *r, const struct tk_jv *o, struct tk_audit_ref *f)
{
	const struct tk_jv *a = arr(o, "commits");
	struct tk_audit_commit *c;
	size_t i;
	int rc = 0;

	f->ref = str(o, "ref");
	f->old = str(o, "old");
	f->new_ = str(o, "new");
	f->kind = str(o, "kind");
	f->rule = str(o, "rule");
	f->mode = str(o, "mode");
	f->decision = str(o, "decision");
	f->target = str(o, "target");
	f->warned = flag(o, "warned");
	f->entering = num(o, "entering");
	if (a == NULL || a->n == 0)
		return 0;
	if ((c = palloc(r, a->n, sizeof(*c))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < a->n && rc == 0; i++)
		if (a->items[i]->t == TK_J_OBJ)
			rc = commit(r, a->items[i], &c[f->ncommits++]);
	f->commits = c;
	return rc;
}

/*
 * Each ref's stored name: inside the record's GIT_NAMESPACE (each of its
 * parts one refs/namespaces/PART/, as git nests them), the target of a
 * symbolic ref, else the pushed name.
 */
static int
stored_names(struct tk_audit_reader *r)
{
	struct tk_audit_record *rec = &r->rec;
	const char *ns = rec->namespace_, *e;
	struct tk_buf pre = TK_BUF_INIT(8192);
	size_t i, n;
	char *s;
	int rc;

	for (; ns != NULL && *ns != '\0'; ns = *e ? e + 1 : e) {
		e = strchrnul(ns, '/');
		if (e > ns)
			(void)tk_buf_printf(
			    &pre, "refs/namespaces/%.*s/", (int)(e - ns), ns);
	}
	for (i = 0; i < rec->nrefs && pre.err == 0; i++) {
		/* palloc()ed in refs_and_findings(): ours to fill */
		struct tk_audit_ref *f = (struct tk_audit_ref *)&rec->refs[i];
		const char *name = f->target ? f->target : f->ref;

		if (name == NULL || pre.len == 0) {
			f->stored = name;
			continue;
		}
		n = pre.len + strlen(name);
		if ((s = palloc(r, n + 1, 1)) == NULL) {
			tk_buf_release(&pre);
			return TK_ENOMEM;
		}
		memcpy(s, pre.ptr, pre.len);
		memcpy(s + pre.len, name, n - pre.len + 1);
		f->stored = s;
	}
	rc = pre.err;
	tk_buf_release(&pre);
	return rc;
}

static int
refs_and_findings(struct tk_audit_reader *r, const struct tk_jv *root)
{
	const struct tk_jv *a = arr(root, "refs"), *fa = arr(root, "findings");
	struct tk_audit_record *rec = &r->rec;
	struct tk_audit_finding *fv;
	struct tk_audit_ref *rv;
	size_t i;
	int rc = 0;

	if (a != NULL && a->n > 0) {
		if ((rv = palloc(r, a->n, sizeof(*rv))) == NULL)
			return TK_ENOMEM;
		for (i = 0; i < a->n && rc == 0; i++)
			if (a->items[i]->t == TK_J_OBJ)
				rc = ref(r, a->items[i], &rv[rec->nrefs++]);
		rec->refs = rv;
	}
	if (rc < 0 || fa == NULL || fa->n == 0)
		return rc;
	if ((fv = palloc(r, fa->n, sizeof(*fv))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < fa->n; i++) {
		fv[i].ref = str(fa->items[i], "ref");
		fv[i].commit = str(fa->items[i], "commit");
		fv[i].severity = str(fa->items[i], "severity");
		fv[i].message = str(fa->items[i], "message");
	}
	rec->findings = fv;
	rec->nfindings = fa->n;
	return 0;
}

/* YYYY-MM-DDTHH:MM:SSZ, as the writer writes it; 0 otherwise. */
static int64_t
parse_time(const char *s)
{
	int64_t t;

	if (s == NULL || strlen(s) != 20 || s[19] != 'Z' ||
	    tk_audit_parse_date(&t, s, false) < 0)
		return 0;
	return t;
}

static int
emergency(struct tk_audit_reader *r, const struct tk_jv *root)
{
	const struct tk_jv *e = tk_json_get(root, "emergency");
	struct tk_audit_emergency *em = &r->rec.emergency;

	if (e == NULL || e->t != TK_J_OBJ)
		return 0;
	em->present = true;
	em->reason = str(e, "reason");
	em->ratify_by = str(e, "ratify_by");
	em->ratify_by_t = parse_time(em->ratify_by);
	return strings(r, arr(e, "waived"), &em->waived, &em->nwaived);
}

static int
ratified(struct tk_audit_reader *r, const struct tk_jv *root)
{
	const struct tk_jv *a = arr(root, "ratified");
	struct tk_audit_ratified *v;
	size_t i;

	if (a == NULL || a->n == 0)
		return 0;
	if ((v = palloc(r, a->n, sizeof(*v))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < a->n; i++) {
		const struct tk_jv *o = a->items[i];
		struct tk_audit_ratified *x = &v[r->rec.nratified];

		if (o->t != TK_J_OBJ)
			continue;
		x->emergency = str(o, "emergency");
		x->emergency_t = parse_time(x->emergency);
		x->ref = str(o, "ref");
		x->new_ = str(o, "new");
		x->pusher = str(o, "pusher");
		x->by = str(o, "by");
		r->rec.nratified++;
	}
	r->rec.ratified = v;
	return 0;
}

static int
fill(struct tk_audit_reader *r, const struct tk_jv *root)
{
	struct tk_audit_record *rec = &r->rec;
	const struct tk_jv *pu = tk_json_get(root, "pusher");
	int rc;

	rec->time = str(root, "time");
	rec->when = parse_time(rec->time);
	rec->twokey = str(root, "twokey");
	rec->hook = str(root, "hook");
	rec->repo = str(root, "repo");
	rec->pusher_login = str(pu, "login");
	rec->pusher_identity = str(pu, "identity");
	rec->pusher_from = str(pu, "from");
	rec->client = str(root, "client");
	rec->decision = str(root, "decision");
	rec->error = str(root, "error");
	rec->policy = str(root, "policy");
	rec->namespace_ = str(root, "namespace");
	rec->node = str(root, "node");
	rec->prev = str(root, "prev");
	rec->hash = str(root, "hash");
	if ((rc = strings(r, arr(root, "push_options"), &rec->push_options,
	         &rec->npush_options)) < 0 ||
	    (rc = refs_and_findings(r, root)) < 0 ||
	    (rc = stored_names(r)) < 0 || (rc = ratified(r, root)) < 0)
		return rc;
	return emergency(r, root);
}

/* A reader over files (files != NULL) or the database (pg). */
static int
reader_open(struct tk_audit_reader **out, const char *const *files, size_t n,
    const char *pg, const struct tk_audit_read_opts *o)
{
	struct tk_audit_reader *r;
	int rc;

	*out = NULL;
	if ((r = tk_calloc(1, sizeof(*r))) == NULL)
		return TK_ENOMEM;
	if ((rc = pg != NULL
	            ? tk_audit_pg_store_reader(&r->store, pg)
	            : tk_audit_file_store_reader(&r->store, files, n)) < 0 ||
	    (rc = tk_chain_check_init(&r->cc, &r->st, o)) < 0) {
		tk_audit_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int
tk_audit_reader_open_files(struct tk_audit_reader **out,
    const char *const *files, size_t n, const struct tk_audit_read_opts *o)
{
	return reader_open(out, files, n, NULL, o);
}

int
tk_audit_reader_open_pg(struct tk_audit_reader **out, const char *conninfo_file,
    const struct tk_audit_read_opts *o)
{
	return reader_open(out, NULL, 0, conninfo_file, o);
}

int
tk_audit_reader_open(struct tk_audit_reader **out, const struct tk_policy *p,
    const struct tk_audit_read_opts *o)
{
	*out = NULL;
	if (p->audit_postgres != NULL)
		return tk_audit_reader_open_pg(out, p->audit_postgres, o);
	if (p->audit_path == NULL)
		return tk_error_set(
		    TK_ENOTFOUND, "the policy sets no audit.path");
	return tk_audit_reader_open_files(
	    out, (const char *const *)&p->audit_path, 1, o);
}

/* The end: the head must name the last record. */
static int
finish(struct tk_audit_reader *r)
{
	char head[65];
	bool have = false;
	int rc;

	r->done = true;
	tk_chain_check_end(&r->cc, r->lastsource, r->lastline);
	if ((rc = r->store->ops->head(r->store, head, &have)) < 0)
		return rc;
	if (have)
		tk_chain_check_head(
		    &r->cc, head, r->lastsource, r->lastline + 1);
	return 0;
}

int
tk_audit_next(struct tk_audit_reader *r, const struct tk_audit_record **out)
{
	struct tk_audit_line l;
	int rc, broke;

	*out = NULL;
	for (;;) {
		forget(r);
		if (r->done)
			return 0;
		if ((rc = r->store->ops->next(r->store, &l)) <= 0)
			return rc < 0 ? rc : finish(r);
		r->lastsource = l.source;
		r->lastline = l.lineno;
		if ((broke = tk_chain_check_line(&r->cc, &l)) < 0)
			return broke;
		if (l.too_long || tk_json_parse(&r->tree, l.ptr, l.len) < 0 ||
		    r->tree->t != TK_J_OBJ) {
			r->st.unreadable++;
			continue;
		}
		if ((rc = fill(r, r->tree)) < 0)
			return rc;
		r->rec.source = l.source;
		r->rec.line = l.lineno;
		r->rec.verified = broke == 0;
		r->rec.raw = l.ptr;
		r->rec.rawlen = l.len;
		*out = &r->rec;
		return 1;
	}
}

const struct tk_audit_chain *
tk_audit_reader_chain(const struct tk_audit_reader *r)
{
	return &r->st;
}

const char *
tk_audit_reader_source(const struct tk_audit_reader *r, size_t i)
{
	return r->store->ops->source(r->store, i);
}

size_t
tk_audit_reader_nsources(const struct tk_audit_reader *r)
{
	return r->store->ops->nsources(r->store);
}

void
tk_audit_reader_free(struct tk_audit_reader *r)
{
	if (r == NULL)
		return;
	forget(r);
	free(r->pool);
	tk_chain_check_release(&r->cc);
	if (r->store != NULL)
		r->store->ops->free(r->store);
	free(r);
}
