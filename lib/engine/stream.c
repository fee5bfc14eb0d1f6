/*
 * The audit records of an update that brings in many commits, written as
 * it is decided (stream.h).  What is held per commit until the update is
 * decided: a byte of flags here and the audit entry (twokey/audit.h);
 * per chain merge that brings commits in, its approvers.
 */
#include "stream.h"
#include "twokey/audit.h"

#define OWNED 1u /* tk_check_keep_owner was called for it */
#define CHAIN 2u /* its record said "chain" when it was made */

/* The approvers of a chain merge, for the commits it answers for. */
struct kept {
	size_t entry;
	const struct tk_identity **ids;
	size_t n;
};

struct tk_stream {
	bool whole; /* records are final when made: no approvals */
	size_t n; /* commits of the update */
	size_t first; /* entry of the first record; SIZE_MAX: none yet */
	size_t made; /* records made: those of recs[0..made) */
	unsigned char *flags; /* per record */
	struct tk_commit_record work; /* the chain commit being decided */
	size_t work_entry; /* its entry; SIZE_MAX: none */
	struct kept *kept;
	size_t nkept, capkept;
};

int
tk_stream_begin(struct tk_check *c, const struct tk_rule *rule, size_t n)
{
	size_t at = c->opts && c->opts->stream_at ? c->opts->stream_at
	                                          : TK_CHECK_STREAM_AT;
	struct tk_stream *st;
	int rc;

	if (n <= at)
		return 0;
	if ((rc = tk_audit_commits_begin(&c->r->spooled, c->cur, n,
	         c->p->audit_path != NULL || c->p->audit_postgres != NULL)) < 0)
		return rc;
	if ((st = tk_calloc(1, sizeof(*st))) == NULL ||
	    (st->flags = tk_calloc(n + 1, 1)) == NULL) {
		free(st);
		return TK_ENOMEM;
	}
	st->whole = !tk_rule_may_need_approvals(rule);
	st->n = n;
	st->first = SIZE_MAX;
	st->work_entry = SIZE_MAX;
	c->stream = st;
	return 0;
}

/* Index of rec's record in the update, or SIZE_MAX. */
static size_t
local(const struct tk_stream *st, size_t entry)
{
	if (st->first == SIZE_MAX || entry < st->first ||
	    entry - st->first >= st->made)
		return SIZE_MAX;
	return entry - st->first;
}

int
tk_stream_record(
    struct tk_check *c, struct tk_rec *rec, struct tk_commit_record *cr)
{
	struct tk_stream *st = c->stream;
	size_t entry;
	int rc;

	rc = tk_audit_commits_head(c->r->spooled, c->p, cr, st->whole, &entry);
	free(cr->subject);
	free(cr->author);
	free(cr->committer);
	cr->subject = cr->author = cr->committer = NULL;
	if (rc < 0)
		return rc;
	if (st->first == SIZE_MAX)
		st->first = entry;
	if (entry - st->first != st->made || st->made >= st->n)
		return tk_error_set(TK_EINVAL,
		    "internal error: commit record %zu out of order", entry);
	st->flags[st->made++] = cr->chain ? CHAIN : 0;
	rec->audit = entry;
	return 0;
}

static void
release_work(struct tk_stream *st)
{
	free(st->work.approvers);
	free(st->work.approver_via);
	free(st->work.refused);
	free(st->work.change_writers);
	memset(&st->work, 0, sizeof(st->work));
	st->work_entry = SIZE_MAX;
}

/* What the record made for rec holds before anything is added to it. */
static void
as_made(struct tk_commit_record *cr, const struct tk_stream *st, size_t cur,
    const struct tk_rec *rec)
{
	size_t i = local(st, rec->audit);

	memset(cr, 0, sizeof(*cr));
	cr->update = cur;
	cr->writers[0] = rec->author;
	cr->writers[1] = rec->committer;
	cr->writers[2] = rec->signer;
	cr->chain = i != SIZE_MAX && (st->flags[i] & CHAIN) != 0;
}

struct tk_commit_record *
tk_stream_work(struct tk_check *c, const struct tk_rec *rec)
{
	struct tk_stream *st = c->stream;

	if (st->work_entry != rec->audit) {
		release_work(st);
		as_made(&st->work, st, c->cur, rec);
		st->work_entry = rec->audit;
	}
	return &st->work;
}

void
tk_stream_owner(struct tk_check *c, const struct tk_rec *rec)
{
	struct tk_stream *st = c->stream;
	size_t i = local(st, rec->audit);

	if (i != SIZE_MAX)
		st->flags[i] |= OWNED;
}

int
tk_stream_decided(struct tk_check *c, const struct tk_rec *rec)
{
	struct tk_stream *st = c->stream;
	struct tk_commit_record *cr = tk_stream_work(c, rec);
	int rc;

	/* a chain commit: no chain merge answers for it */
	if ((rc = tk_audit_commits_tail(
	         c->r->spooled, c->p, rec->audit, cr, NULL)) < 0)
		return rc;
	/* the commits it brings in show its approvers */
	if (cr->brings > 0 && cr->napprovers > 0) {
		if (tk_grow(&st->kept, &st->capkept, st->nkept + 1,
		        sizeof(*st->kept)) < 0)
			return TK_ENOMEM;
		st->kept[st->nkept++] =
		    (struct kept){rec->audit, cr->approvers, cr->napprovers};
		cr->approvers = NULL;
	}
	release_work(st);
	return 0;
}

static int
cmp_kept(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;

	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* The record of chain commit o as a commit it answers for shows it. */
static void
owner_of(struct tk_commit_record *out, const struct tk_stream *st,
    const struct tk_rec *o)
{
	struct kept key = {o->audit, NULL, 0}, *k;

	memset(out, 0, sizeof(*out));
	git_oid_tostr(out->id, sizeof(out->id), &o->id);
	if (st->work_entry == o->audit) {
		out->approvers = st->work.approvers;
		out->napprovers = st->work.napprovers;
	} else if ((k = bsearch(&key, st->kept, st->nkept, sizeof(*k),
	                cmp_kept)) != NULL) {
		out->approvers = k->ids;
		out->napprovers = k->n;
	}
}

/* The tail of recs[i] from what is known of it now. */
static int
rest(struct tk_check *c, const struct tk_rec *recs, size_t n, size_t i)
{
	struct tk_stream *st = c->stream;
	struct tk_commit_record one, owner, *cr = &one;
	const struct tk_commit_record *op = NULL;
	const struct tk_rec *r = &recs[i];

	if (st->work_entry == r->audit)
		cr = &st->work;
	else
		as_made(&one, st, c->cur, r);
	/* as tk_audit_format reads the report's records: chain or owner */
	if (!cr->chain && (st->flags[i] & OWNED) && r->owner < n) {
		owner_of(&owner, st, &recs[r->owner]);
		op = &owner;
	}
	return tk_audit_commits_tail(c->r->spooled, c->p, r->audit, cr, op);
}

int
tk_stream_end(struct tk_check *c, const struct tk_rec *recs, size_t n)
{
	struct tk_stream *st = c->stream;
	size_t i, k;
	int rc = 0;

	if (st == NULL)
		return 0;
	if (st->nkept > 1)
		qsort(st->kept, st->nkept, sizeof(*st->kept), cmp_kept);
	for (i = 0; i < st->made && rc == 0; i++) {
		if (tk_audit_commits_done(c->r->spooled, st->first + i))
			continue;
		if (recs == NULL || i >= n || recs[i].audit != st->first + i)
			rc = tk_error_set(TK_EINVAL,
			    "internal error: commit record %zu has no commit",
			    st->first + i);
		else
			rc = rest(c, recs, n, i);
	}
	release_work(st);
	for (k = 0; k < st->nkept; k++)
		free(st->kept[k].ids);
	free(st->kept);
	free(st->flags);
	free(st);
	c->stream = NULL;
	return rc;
}
