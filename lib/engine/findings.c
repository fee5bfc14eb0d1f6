/*
 * The findings sink of one check: every message about a ref or a commit,
 * sanitized once, here, and the per-commit records the audit log keeps.
 * The bottom of the engine: it calls nothing else of it but stream.c,
 * where the records of a large update go.
 */
#include "engine.h"
#include "stream.h"
#include "twokey/commit.h"

int
tk_check_add(struct tk_check *c, enum tk_severity sev, const git_oid *commit,
    const char *subject, size_t subject_len, const char *hint, const char *fmt,
    ...)
{
	struct tk_buf raw = TK_BUF_INIT(16384), b = TK_BUF_INIT(65536);
	struct tk_report *r = c->r;
	struct tk_finding *f;
	va_list ap;
	int rc;

	if ((rc = tk_grow(&r->findings, &r->cap, r->nfindings + 1,
	         sizeof(*r->findings))) < 0)
		return rc;
	f = &r->findings[r->nfindings];
	memset(f, 0, sizeof(*f));
	/* docs/spec.md, "Emergency changes": a waived check only warns */
	if (sev == TK_SEV_DENY && (c->checking & c->waived) != 0) {
		sev = TK_SEV_WARN;
		(void)tk_buf_puts(&raw, "waived by the emergency: ");
	}
	f->sev = sev;
	f->update = c->cur;
	if (commit != NULL)
		git_oid_tostr(f->commit, sizeof(f->commit), commit);
	va_start(ap, fmt);
	rc = tk_buf_vprintf(&raw, fmt, ap);
	va_end(ap);
	if (rc == TK_ENOMEM ||
	    tk_sanitize(&b, raw.ptr ? raw.ptr : "", raw.len, 4096) < 0 ||
	    (f->what = tk_buf_detach(&b, NULL)) == NULL)
		goto nomem;
	if (subject != NULL &&
	    (tk_sanitize(&b, subject, subject_len, 72) < 0 ||
	        (f->subject = tk_buf_detach(&b, NULL)) == NULL))
		goto nomem;
	if (hint != NULL && (f->hint = tk_strdup(hint)) == NULL)
		goto nomem;
	r->nfindings++;
	tk_buf_release(&raw);
	return 0;
nomem:
	free(f->what);
	free(f->subject);
	tk_buf_release(&raw);
	tk_buf_release(&b);
	return tk_error_set(TK_ENOMEM, "out of memory");
}

/*
 * What an emergency's state keeps of a writer beside the identity the
 * policy gives it now: the committer email (the author's is kept for
 * every record) and the key of a signature that verifies, so that a
 * writer the policy learns of later cannot ratify their own commit.
 */
static int
emergency_writers(struct tk_commit_record *cr, const struct tk_rec *rec)
{
	const struct tk_sigres *s = rec->csig;
	size_t n = rec->c->committer.email_len;

	if ((cr->committer = tk_strndup(
	         rec->c->committer.email, n > 254 ? 254 : n)) == NULL)
		return TK_ENOMEM;
	if (s != NULL && s->parsed && s->status == 0 && s->fp != NULL)
		snprintf(cr->signer_key, sizeof(cr->signer_key), "%s", s->fp);
	return 0;
}

int
tk_check_record(struct tk_check *c, struct tk_rec *rec)
{
	struct tk_report *r = c->r;
	struct tk_commit_record *cr, one;
	const char *subj = "";
	size_t sl = 0;
	int rc;

	if (c->stream != NULL)
		cr = &one; /* written out at once: tk_stream_record */
	else if ((rc = tk_grow(&r->commits, &r->commits_cap, r->ncommits + 1,
	              sizeof(*r->commits))) < 0)
		return rc;
	else
		cr = &r->commits[r->ncommits];
	memset(cr, 0, sizeof(*cr));
	cr->update = c->cur;
	git_oid_tostr(cr->id, sizeof(cr->id), &rec->id);
	if (rec->c != NULL) {
		subj = tk_commit_subject(rec->c, &sl);
		if ((cr->author = tk_strndup(rec->c->author.email,
		         rec->c->author.email_len > 254
		             ? 254
		             : rec->c->author.email_len)) == NULL)
			return TK_ENOMEM;
	}
	if ((cr->subject = tk_strndup(subj, sl > 200 ? 200 : sl)) == NULL) {
		free(cr->author);
		return TK_ENOMEM;
	}
	if (rec->c != NULL && c->r->verdicts[c->cur].emergency &&
	    (rc = emergency_writers(cr, rec)) < 0) {
		free(cr->subject);
		free(cr->author);
		return rc;
	}
	cr->writers[0] = rec->author;
	cr->writers[1] = rec->committer;
	cr->writers[2] = rec->signer;
	cr->chain = rec->chain;
	if (c->stream != NULL)
		return tk_stream_record(c, rec, cr);
	rec->audit = r->ncommits++;
	return 0;
}

struct tk_commit_record *
tk_check_cr(struct tk_check *c, const struct tk_rec *rec)
{
	if (c->stream != NULL)
		return tk_stream_work(c, rec);
	return &c->r->commits[rec->audit];
}

int
tk_check_keep_change(struct tk_check *c, const struct tk_rec *rec,
    const struct tk_idset *writers, enum tk_merge_kind merge, size_t brings)
{
	struct tk_commit_record *cr = tk_check_cr(c, rec);

	cr->has_change = true;
	cr->merge = merge;
	cr->brings = brings;
	if (writers->n == 0)
		return 0;
	if ((cr->change_writers =
	            tk_calloc(writers->n, sizeof(*cr->change_writers))) == NULL)
		return TK_ENOMEM;
	memcpy(cr->change_writers, writers->ids,
	    writers->n * sizeof(*cr->change_writers));
	cr->nchange_writers = writers->n;
	return 0;
}

void
tk_check_keep_owner(
    struct tk_check *c, const struct tk_rec *rec, const struct tk_rec *owner)
{
	if (c->stream != NULL)
		tk_stream_owner(c, rec); /* the owner is recs' rec->owner */
	else
		c->r->commits[rec->audit].owner = owner->audit + 1;
}
