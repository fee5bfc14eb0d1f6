/*
 * The commit records of an update that brings in many commits, written as
 * the audit record holds them while the push is decided, so that the hook
 * does not hold a record of every commit until the end (twokey/audit.h,
 * tk_audit_commits_begin).
 *
 * Each record is two parts, appended as they become known: its head
 * (commit_head in record.c) when the commit is read, its tail
 * (commit_tail) once its approvals are decided; an entry says where both
 * are.  Parts are appended to a buffer; once the buffer holds
 * TK_AUDIT_SPOOL_AT bytes it moves to an unlinked temporary file (the
 * record's own spool, write.c) and from then on each TK_CHUNK.  A part is
 * always wholly in the file or wholly in the buffer.  All of it ends up
 * in one record, so it is bounded as the record is.
 */
#include "store.h"
#include "twokey/check.h"

#define TK_CHUNK (64u * 1024)

/* Offsets into the bytes (file, then buffer): below TK_AUDIT_MAX_RECORD. */
struct entry {
	uint32_t head, head_len;
	uint32_t tail, tail_len;
	bool done; /* the tail is there (in the head, for a whole record) */
};

/* Entries [first, first + n) are update's records, in record order. */
struct list {
	size_t update, first, n;
};

struct tk_audit_commits {
	struct tk_audit_spool sp; /* bytes [0, sp.len) */
	struct tk_buf buf; /* bytes [sp.len, sp.len + buf.len) */
	struct entry *e;
	size_t ne, cap;
	struct list *lists;
	size_t nlists;
	bool keep;
	int err; /* sticky, with why */
	char why[512];
};

/* The first error, again, with its message. */
static int
failed(struct tk_audit_commits *s)
{
	return tk_error_set(s->err, "%s", s->why);
}

static int
fail(struct tk_audit_commits *s, int rc)
{
	if (s->err == 0) {
		s->err = rc < 0 ? rc : TK_EIO;
		if (rc == TK_ETOOBIG) /* as the record's own spool says it */
			snprintf(s->why, sizeof(s->why),
			    "the audit record would exceed %u bytes",
			    TK_AUDIT_MAX_RECORD);
		else
			snprintf(s->why, sizeof(s->why), "%s", tk_error_last());
	}
	return failed(s);
}

int
tk_audit_commits_begin(
    struct tk_audit_commits **sp, size_t update, size_t n, bool keep)
{
	struct tk_audit_commits *s = *sp;
	struct entry *e;
	struct list *l;

	if (s == NULL) {
		if ((s = tk_calloc(1, sizeof(*s))) == NULL)
			return TK_ENOMEM;
		s->sp.fd = -1;
		tk_buf_init(&s->buf, TK_AUDIT_MAX_RECORD);
		s->keep = keep;
		*sp = s;
	}
	if (s->err != 0)
		return failed(s);
	s->keep = s->keep && keep;
	if ((l = realloc(s->lists, (s->nlists + 1) * sizeof(*l))) == NULL)
		return fail(s, tk_error_set(TK_ENOMEM, "out of memory"));
	s->lists = l;
	l[s->nlists++] = (struct list){update, s->ne, 0};
	/* allocated once at its final size: no doubling for 100,000 */
	if (n > SIZE_MAX / sizeof(*e) - s->ne ||
	    (s->ne + n > s->cap &&
	        (e = realloc(s->e, (s->ne + n) * sizeof(*e))) == NULL))
		return fail(s, tk_error_set(TK_ENOMEM, "out of memory"));
	if (s->ne + n > s->cap) {
		s->e = e;
		s->cap = s->ne + n;
	}
	return 0;
}

/* Where the next byte goes. */
static size_t
at(const struct tk_audit_commits *s)
{
	return s->sp.len + s->buf.len;
}

/* The buffer to the file once it is large enough. */
static int
settle(struct tk_audit_commits *s)
{
	if (s->buf.err != 0)
		return fail(s, s->buf.err);
	if (s->buf.len < (s->sp.fd >= 0 ? TK_CHUNK : TK_AUDIT_SPOOL_AT))
		return 0;
	/* bounds the buffer by what is left of the record (buf.max) */
	if (tk_audit_spool_put(&s->sp, &s->buf) < 0)
		return fail(s, s->buf.err);
	return 0;
}

int
tk_audit_commits_head(struct tk_audit_commits *s, const struct tk_policy *p,
    const struct tk_commit_record *cr, bool whole, size_t *entry)
{
	struct entry *e;
	size_t start = at(s);

	if (s->err != 0)
		return failed(s);
	if (s->nlists == 0 ||
	    (s->ne == s->cap &&
	        tk_grow(&s->e, &s->cap, s->ne + 1, sizeof(*s->e)) < 0))
		return fail(s, tk_error_set(TK_ENOMEM, "out of memory"));
	e = &s->e[s->ne];
	memset(e, 0, sizeof(*e));
	if (s->keep) {
		tk_audit_commit_head(&s->buf, cr);
		if (whole)
			tk_audit_commit_tail(&s->buf, p, cr, NULL);
		if (s->buf.err != 0)
			return fail(s, s->buf.err);
		e->head = (uint32_t)start;
		e->head_len = (uint32_t)(at(s) - start);
	}
	e->done = whole;
	*entry = s->ne++;
	s->lists[s->nlists - 1].n++;
	return s->keep ? settle(s) : 0;
}

int
tk_audit_commits_tail(struct tk_audit_commits *s, const struct tk_policy *p,
    size_t entry, const struct tk_commit_record *cr,
    const struct tk_commit_record *owner)
{
	struct entry *e;
	size_t start = at(s);

	if (s->err != 0)
		return failed(s);
	if (entry >= s->ne || s->e[entry].done)
		return fail(s,
		    tk_error_set(TK_EINVAL,
		        "internal error: commit record %zu written twice",
		        entry));
	e = &s->e[entry];
	e->done = true;
	if (!s->keep)
		return 0;
	tk_audit_commit_tail(&s->buf, p, cr, owner);
	if (s->buf.err != 0)
		return fail(s, s->buf.err);
	e->tail = (uint32_t)start;
	e->tail_len = (uint32_t)(at(s) - start);
	return settle(s);
}

bool
tk_audit_commits_done(const struct tk_audit_commits *s, size_t entry)
{
	return s != NULL && entry < s->ne && s->e[entry].done;
}

size_t
tk_audit_commits_count(const struct tk_audit_commits *s, size_t update)
{
	size_t i, n = 0;

	for (i = 0; s != NULL && i < s->nlists; i++)
		if (s->lists[i].update == update)
			n += s->lists[i].n;
	return n;
}

void
tk_audit_commits_free(struct tk_audit_commits *s)
{
	if (s == NULL)
		return;
	tk_audit_spool_close(&s->sp);
	tk_buf_release(&s->buf);
	free(s->e);
	free(s->lists);
	free(s);
}

/* ---- reading them back, in record order ----------------------------- */

/* Bytes of the file last read: heads and tails are read in two runs. */
struct window {
	char *buf;
	size_t off, len;
};

/* Appends bytes [off, off + len) to b. */
static int
get(const struct tk_audit_commits *s, struct window *w, size_t off, size_t len,
    struct tk_buf *b)
{
	int rc;

	if (len == 0)
		return 0;
	if (off >= s->sp.len) /* still in the buffer */
		return tk_buf_put(b, s->buf.ptr + (off - s->sp.len), len);
	if (len > TK_CHUNK) {
		if ((rc = tk_buf_reserve(b, len)) < 0 ||
		    (rc = tk_audit_spool_read(
		         &s->sp, off, b->ptr + b->len, len)) < 0)
			return rc;
		b->len += len;
		b->ptr[b->len] = '\0';
		return 0;
	}
	if (off < w->off || off + len > w->off + w->len) {
		w->off = off;
		w->len =
		    s->sp.len - off < TK_CHUNK ? s->sp.len - off : TK_CHUNK;
		if ((rc = tk_audit_spool_read(&s->sp, w->off, w->buf, w->len)) <
		    0) {
			w->len = 0;
			return rc;
		}
	}
	return tk_buf_put(b, w->buf + (off - w->off), len);
}

int
tk_audit_commits_copy(const struct tk_audit_commits *s, size_t update,
    struct tk_buf *b, struct tk_audit_spool *out, size_t *m)
{
	struct window heads = {NULL, 0, 0}, tails = {NULL, 0, 0};
	size_t i, k;
	int rc = 0;

	if (s == NULL || tk_audit_commits_count(s, update) == 0)
		return 0;
	if (s->err != 0)
		return tk_error_set(s->err, "%s", s->why);
	if (!s->keep)
		return tk_error_set(TK_EINVAL,
		    "internal error: the commit records were not kept");
	if ((heads.buf = malloc(TK_CHUNK)) == NULL ||
	    (tails.buf = malloc(TK_CHUNK)) == NULL) {
		free(heads.buf);
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	for (i = 0; i < s->nlists && rc == 0; i++) {
		const struct list *l = &s->lists[i];

		for (k = l->first;
		     l->update == update && rc == 0 && k < l->first + l->n;
		     k++) {
			const struct entry *e = &s->e[k];

			if (!e->done) {
				rc = tk_error_set(TK_EINVAL,
				    "internal error: commit record %zu was "
				    "never decided",
				    k);
				break;
			}
			if ((*m)++ > 0 && (rc = tk_buf_putc(b, ',')) < 0)
				break;
			if ((rc = get(s, &heads, e->head, e->head_len, b)) <
			        0 ||
			    (rc = get(s, &tails, e->tail, e->tail_len, b)) < 0)
				break;
			if (out != NULL && b->len >= TK_AUDIT_SPOOL_AT)
				rc = tk_audit_spool_put(out, b);
		}
	}
	free(heads.buf);
	free(tails.buf);
	return rc;
}
