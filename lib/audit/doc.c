/*
 * Building evidence documents, and the header lines they share: what was
 * read, whether the chain holds, which filters applied.
 */
#include "doc.h"

int
tk_doc_head(struct tk_doc *d, const char *key, const char *fmt, ...)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	va_list ap;
	char *v;

	va_start(ap, fmt);
	(void)tk_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (b.err != 0 || (v = tk_buf_detach(&b, NULL)) == NULL) {
		tk_buf_release(&b);
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	if (tk_grow_one(&d->head, d->nhead, sizeof(*d->head)) < 0) {
		free(v);
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	d->head[d->nhead].key = key;
	d->head[d->nhead++].value = v;
	return 0;
}

int
tk_doc_table(struct tk_doc *d, const char *name, const char *title,
    const char *const *cols, size_t ncols)
{
	struct tk_table *t;

	if (tk_grow_one(&d->tables, d->ntables, sizeof(*d->tables)) < 0)
		return TK_ENOMEM;
	t = &d->tables[d->ntables++];
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->title = title;
	t->cols = cols;
	t->ncols = ncols;
	return 0;
}

int
tk_doc_row(struct tk_doc *d, size_t i, size_t *row)
{
	struct tk_table *t = &d->tables[i];
	size_t k;

	if (tk_grow(&t->cells, &t->cap, (t->nrows + 1) * t->ncols,
	        sizeof(*t->cells)) < 0)
		return TK_ENOMEM;
	for (k = 0; k < t->ncols; k++)
		t->cells[t->nrows * t->ncols + k] = NULL;
	*row = t->nrows++;
	return 0;
}

int
tk_doc_cell(struct tk_doc *d, size_t i, size_t row, size_t col, const char *s)
{
	struct tk_table *t = &d->tables[i];
	char **c = &t->cells[row * t->ncols + col];

	free(*c);
	*c = NULL;
	if (s != NULL && (*c = tk_strdup(s)) == NULL)
		return TK_ENOMEM;
	return 0;
}

int
tk_doc_cellf(
    struct tk_doc *d, size_t i, size_t row, size_t col, const char *fmt, ...)
{
	struct tk_buf b = TK_BUF_INIT(1 << 24);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	(void)tk_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rc = b.err ? b.err : tk_doc_cell(d, i, row, col, b.ptr ? b.ptr : "");
	tk_buf_release(&b);
	return rc;
}

int
tk_doc_sources(struct tk_doc *d, struct tk_audit_reader *r)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	size_t i, n = tk_audit_reader_nsources(r);
	int rc;

	for (i = 0; i < n; i++)
		(void)tk_buf_printf(
		    &b, "%s%s", i ? ", " : "", tk_audit_reader_source(r, i));
	rc = b.err ? b.err
	           : tk_doc_head(d, "log files", "%s", b.ptr ? b.ptr : "");
	tk_buf_release(&b);
	return rc;
}

int
tk_doc_chain(struct tk_doc *d, struct tk_audit_reader *r)
{
	const struct tk_audit_chain *c = tk_audit_reader_chain(r);
	int rc;

	if (c->broken) {
		d->status = 1;
		rc = tk_doc_head(d, "chain",
		    "BROKEN at %s:%zu (%s); verified up to record %zu of %zu, "
		    "hash %s; rows from later records are marked unverified",
		    tk_audit_reader_source(r, c->bad_source), c->bad_line,
		    c->problem, c->verified, c->records, c->last_hash);
	} else
		rc = tk_doc_head(d, "chain",
		    "intact: verified up to record %zu of %zu%s%s, hash %s",
		    c->verified, c->records, c->keyed ? ", with HMAC" : "",
		    c->rotated ? " (continues an earlier file)" : "",
		    c->last_hash);
	/*
	 * A line whose chain verifies but which is no record twokey can read
	 * is evidence left out: the document is incomplete (exit 1).
	 */
	if (rc == 0 && c->unreadable > 0) {
		d->status = 1;
		rc = tk_doc_head(d, "unreadable lines",
		    "%zu (in the chain but not readable as records: left out, "
		    "so this document is incomplete)",
		    c->unreadable);
	}
	return rc;
}

static void
bound(char *out, size_t size, int64_t t, const char *text)
{
	char when[32];

	if (t == INT64_MIN || t == INT64_MAX) {
		snprintf(out, size, "%s",
		    t == INT64_MIN ? "the start of the log"
		                   : "the end of the log");
		return;
	}
	tk_audit_time_str(when, sizeof(when), t);
	snprintf(out, size, "%s (%s)", when, text ? text : "");
}

int
tk_doc_filters(struct tk_doc *d, const struct tk_audit_filter *f, int64_t now)
{
	char since[128], until[128], gen[32];
	int rc;

	tk_audit_time_str(gen, sizeof(gen), now);
	bound(since, sizeof(since), f->since, f->since_text);
	bound(until, sizeof(until), f->until, f->until_text);
	if ((rc = tk_doc_head(d, "generated", "%s", gen)) < 0 ||
	    (rc = tk_doc_head(
	         d, "period", "from %s to %s, inclusive", since, until)) < 0 ||
	    (rc = tk_doc_head(
	         d, "repository", "%s", f->repo ? f->repo : "all")) < 0 ||
	    (rc = tk_doc_head(d, "ref", "%s",
	         f->ref_full  ? f->ref_full
	             : f->ref ? f->ref
	                      : "all")) < 0)
		return rc;
	if (f->pusher != NULL)
		rc = tk_doc_head(d, "pusher", "%s", f->pusher);
	return rc;
}
