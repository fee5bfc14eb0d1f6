/*
 * refs/notes/twokey in a push (docs/spec.md, "Detached approvals").
 *
 * Which notes count: the value the notes ref has after the push, i.e. the
 * pushed value when the same push updates it (its objects are in the
 * quarantine, which the repository sees), else the repository's.
 *
 * The guard: whatever the rules say, the notes ref may only be created
 * and fast-forwarded, and every notes commit the update brings in must
 * keep every line each of its parents' notes held and add only valid
 * approvals of the commits they annotate.  Checking each new notes commit
 * against each of its parents, not just the old tip against the new one,
 * also refuses a merge that drags in a rewritten history (a parent that
 * dropped lines, or a root full of junk), so the notes history holds only
 * states the guard accepted.  A line the server's notes already held for
 * the same commit is not verified again.
 *
 * Cost: per note that changes, never per note stored (tk_notes_changed
 * descends only into subtrees that differ).
 */
#include "notes.h"
#include "approvals.h"
#include "prepare.h"
#include "refnames.h"
#include "twokey/commit.h"
#include "twokey/notes.h"
#include "twokey/repo.h"
#include "twokey/sshsig.h"
#include "twokey/trailer.h"

/* More findings than this about one notes update are summed up. */
#define MAX_FINDINGS 100

bool
tk_is_notes_ref(const char *ref)
{
	return strcmp(ref, TK_NOTES_REF) == 0;
}

int
tk_check_notes_init(struct tk_check *c)
{
	char *why = NULL;
	bool found;
	size_t i;
	int rc;

	for (i = 0; i < c->u->n; i++)
		if (tk_is_notes_ref(TK_UPDATE_NAME(&c->u->items[i]))) {
			git_oid_cpy(&c->notes_after, &c->u->items[i].new_id);
			c->have_notes_after = !git_oid_is_zero(&c->notes_after);
			return 0;
		}
	/* Inside the namespace and through symbolic refs, as git reads. */
	if ((rc = tk_check_ref_commit(
	         c, TK_NOTES_REF, &c->notes_after, &found, &why)) < 0)
		return rc;
	if (why != NULL) { /* unreadable: every note approval refuses */
		c->notes_status = TK_EGIT;
		c->notes_error = why;
	}
	c->have_notes_after = found || why != NULL;
	return 0;
}

void
tk_check_notes_release(struct tk_check *c)
{
	tk_notes_free(c->notes);
	c->notes = NULL;
	free(c->notes_error);
	c->notes_error = NULL;
}

static int
open_after(struct tk_check *c)
{
	int rc;

	if (c->notes != NULL || c->notes_status < 0)
		return 0;
	rc = tk_notes_open(&c->notes, c->repo, &c->notes_after);
	if (rc == TK_ENOMEM)
		return rc;
	if (rc < 0) {
		c->notes_status = rc;
		if ((c->notes_error = tk_strdup(tk_error_last())) == NULL)
			return TK_ENOMEM;
	}
	return 0;
}

static int
read_one(struct tk_check *c, struct tk_rec *r)
{
	struct tk_buf b = TK_BUF_INIT(TK_NOTE_MAX_SIZE + 64);
	int rc;

	/* r->ap only for a note, or a reason: most commits have neither */
	if (c->notes_status < 0) {
		if (tk_rec_apps(r) < 0)
			return TK_ENOMEM;
		r->ap->napps_status = c->notes_status;
		return (r->ap->napps_error = tk_strdup(c->notes_error))
		    ? 0
		    : TK_ENOMEM;
	}
	if ((rc = tk_notes_read(&b, c->notes, &r->id)) < 0) {
		tk_buf_release(&b);
		if (rc == TK_ENOMEM || tk_rec_apps(r) < 0)
			return TK_ENOMEM;
		r->ap->napps_status = rc;
		return (r->ap->napps_error = tk_strdup(tk_error_last()))
		    ? 0
		    : TK_ENOMEM;
	}
	if (b.len > 0 &&
	    (tk_rec_apps(r) < 0 ||
	        (r->ap->note = tk_buf_detach(&b, &r->ap->note_len)) == NULL)) {
		tk_buf_release(&b);
		return TK_ENOMEM;
	}
	tk_buf_release(&b);
	return 0;
}

int
tk_check_chain_notes(
    struct tk_check *c, struct tk_rec *recs, const size_t *chain, size_t n)
{
	size_t i;
	int rc;

	if (!c->have_notes_after || n == 0)
		return 0;
	if ((rc = open_after(c)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (recs[chain[i]].ok &&
		    (rc = read_one(c, &recs[chain[i]])) < 0)
			return rc;
	return 0;
}

/* ---- the guard --------------------------------------------------------- */

/* A line some notes commit adds to the note on id. */
struct addition {
	git_oid id;
	char *line;
	size_t len;
};

struct guard {
	struct tk_check *c;
	struct tk_notes *old; /* the server's notes before the update */
	struct addition *adds;
	size_t nadds;
	size_t changed; /* notes that gain lines */
	size_t nfindings;
	size_t dropped; /* findings over MAX_FINDINGS */
	size_t entries; /* tree entries still allowed (tk_notes_changed) */
	size_t bytes; /* note bytes read so far */
	bool over; /* a bound was hit and reported: stop */
};

static int deny(struct guard *g, const git_oid *id, const char *subj, size_t sl,
    const char *hint, const char *fmt, ...) TK_PRINTF(6, 7);

static int
deny(struct guard *g, const git_oid *id, const char *subj, size_t sl,
    const char *hint, const char *fmt, ...)
{
	struct tk_buf b = TK_BUF_INIT(8192);
	va_list ap;
	int rc;

	if (g->nfindings >= MAX_FINDINGS) {
		g->dropped++;
		return 0;
	}
	g->nfindings++;
	va_start(ap, fmt);
	(void)tk_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rc = tk_check_add(g->c, TK_SEV_DENY, id, subj, sl, hint, "%s",
	    b.ptr ? b.ptr : "notes problem");
	tk_buf_release(&b);
	return rc;
}

#define MERGE_HINT                                                              \
	"fetch " TK_NOTES_REF " and merge it into yours (twokey approve "       \
	"--push does both; or git notes --ref=twokey merge -s cat_sort_uniq), " \
	"then push again"

/* Errors a note can cause that are the pusher's to fix, not ours. */
static bool
note_fault(int rc)
{
	return rc == TK_ETOOBIG || rc == TK_EINVAL;
}

/* The subject of commit id for messages, or NULL. */
static char *
subject_of(struct guard *g, const git_oid *id, size_t *len)
{
	git_commit *cm = NULL;
	const char *s;
	char *out = NULL;

	*len = 0;
	if (git_commit_lookup(&cm, g->c->repo, id) < 0)
		return NULL;
	if ((s = git_commit_summary(cm)) != NULL &&
	    (out = tk_strndup(s, strnlen(s, 200))) != NULL)
		*len = strlen(out);
	git_commit_free(cm);
	return out;
}

static bool
known(struct guard *g, const struct tk_buf *oldtext, const char *p, size_t n)
{
	const char *s = oldtext->ptr, *e = s ? s + oldtext->len : NULL, *nl;

	for (; s != NULL && s < e; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(e - s))) == NULL)
			nl = e;
		if ((size_t)(nl - s) == n && memcmp(s, p, n) == 0)
			return true;
	}
	(void)g;
	return false;
}

static int
add_lines(struct guard *g, const git_oid *id, const struct tk_notes_delta *d,
    const bool *dup)
{
	struct tk_buf oldtext = TK_BUF_INIT(TK_NOTE_MAX_SIZE + 64);
	char *subj = NULL;
	size_t i, sl = 0;
	int rc;

	/* What the server held is known valid or known history. */
	if ((rc = tk_notes_read(&oldtext, g->old, id)) < 0 && !note_fault(rc))
		goto out;
	rc = 0;
	for (i = 0; i < d->nadded && rc == 0 && !g->over; i++) {
		struct addition *a;

		if (known(g, &oldtext, d->added[i].p, d->added[i].len))
			continue;
		/* a copy, respelled, of an approval the note holds */
		if (dup[i]) {
			if (subj == NULL)
				subj = subject_of(g, id, &sl);
			rc = deny(g, id, subj, sl,
			    "keep one line per approval: drop the copy from "
			    "your notes and push again",
			    "its note gains a second line for an approval it "
			    "already holds (the same key and email, written "
			    "differently): \"%.60s%s\"",
			    d->added[i].p, d->added[i].len > 60 ? "..." : "");
			continue;
		}
		/* Each added line costs a signature check: bounded. */
		if (g->nadds >= TK_NOTES_MAX_ADDED) {
			g->over = true;
			rc = deny(g, NULL, NULL, 0,
			    "push the approvals in parts",
			    "more than %d approval lines added in one update",
			    TK_NOTES_MAX_ADDED);
			break;
		}
		if ((rc = tk_grow_one(&g->adds, g->nadds, sizeof(*a))) < 0)
			break;
		a = &g->adds[g->nadds];
		git_oid_cpy(&a->id, id);
		a->len = d->added[i].len;
		if ((a->line = tk_strndup(d->added[i].p, a->len)) == NULL)
			rc = TK_ENOMEM;
		else
			g->nadds++;
	}
out:
	free(subj);
	tk_buf_release(&oldtext);
	return rc;
}

/* One note of one step: parent text a, new text b. */
static int
compare_note(struct guard *g, const git_oid *e, const git_oid *id,
    const struct tk_buf *a, const struct tk_buf *b)
{
	struct tk_notes_delta d;
	char *subj = NULL;
	bool *dup = NULL;
	size_t sl;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = tk_notes_compare(
	    &d, a->ptr ? a->ptr : "", a->len, b->ptr ? b->ptr : "", b->len);
	if (rc == TK_ETOOBIG) {
		subj = subject_of(g, id, &sl);
		rc = deny(
		    g, id, subj, sl, NULL, "its note: %s", tk_error_last());
	} else if (rc == 0 && d.nremoved > 0) {
		subj = subject_of(g, id, &sl);
		rc = deny(g, id, subj, sl, MERGE_HINT,
		    "its note loses %zu line%s in notes commit %.12s (a note "
		    "may only gain approvals); the first: \"%.80s%s\"",
		    d.nremoved, d.nremoved == 1 ? "" : "s", git_oid_tostr_s(e),
		    d.removed[0].p, d.removed[0].len > 80 ? "..." : "");
	}
	if (rc == 0 && d.nadded > 0) {
		if (++g->changed > TK_NOTES_MAX_CHANGED) {
			g->over = true;
			rc = deny(g, NULL, NULL, 0, "push the notes in parts",
			    "more than %d notes change in one update",
			    TK_NOTES_MAX_CHANGED);
		} else if ((dup = tk_calloc(d.nadded, sizeof(*dup))) == NULL)
			rc = TK_ENOMEM;
		else if ((rc = tk_notes_repeats(dup, b->ptr ? b->ptr : "",
		              b->len, d.added, d.nadded)) == 0)
			rc = add_lines(g, id, &d, dup);
	}
	free(subj);
	free(dup);
	tk_notes_delta_release(&d);
	return rc;
}

static int
read_note(
    struct guard *g, struct tk_buf *out, struct tk_notes *n, const git_oid *id)
{
	char *subj;
	size_t sl;
	int rc;

	if ((rc = tk_notes_read(out, n, id)) >= 0) {
		/*
		 * One blob may be named by a million paths: the bytes read,
		 * not the pushed pack, bound the work.
		 */
		if ((g->bytes += out->len) <= TK_NOTES_MAX_READ)
			return 0;
		g->over = true;
		rc = deny(g, NULL, NULL, 0, "push the notes in parts",
		    "the notes update reads more than %u MiB of notes",
		    TK_NOTES_MAX_READ >> 20);
		return rc < 0 ? rc : 1;
	}
	if (!note_fault(rc))
		return rc;
	subj = subject_of(g, id, &sl);
	rc = deny(g, id, subj, sl, NULL, "its note: %s", tk_error_last());
	free(subj);
	return rc < 0 ? rc : 1;
}

/* Notes commit e (tree et) against one parent's tree pt (NULL: none). */
static int
step(struct guard *g, const git_oid *e, const git_oid *pt, const git_oid *et)
{
	struct tk_buf a = TK_BUF_INIT(TK_NOTE_MAX_SIZE + 64),
	              b = TK_BUF_INIT(TK_NOTE_MAX_SIZE + 64);
	struct tk_notes *np = NULL, *ne = NULL;
	git_oid *ids = NULL;
	char *bad = NULL;
	size_t n = 0, i;
	int rc, ra, rb;

	if (g->over)
		return 0;
	rc = tk_notes_changed(&ids, &n, &bad, g->c->repo, pt, et, &g->entries);
	if (rc == TK_ETOOBIG) {
		g->over = true;
		return deny(g, e, NULL, 0, "push the notes in parts",
		    "notes commit %.12s: %s", git_oid_tostr_s(e),
		    tk_error_last());
	}
	if (rc < 0)
		return rc;
	if (bad != NULL) {
		rc = deny(g, e, NULL, 0,
		    "the notes ref holds only notes written by twokey approve "
		    "or git notes",
		    "notes commit %.12s: %s", git_oid_tostr_s(e), bad);
		goto out;
	}
	if ((rc = tk_notes_open_tree(&np, g->c->repo, pt)) < 0 ||
	    (rc = tk_notes_open_tree(&ne, g->c->repo, et)) < 0)
		goto out;
	for (i = 0; i < n && rc == 0 && !g->over; i++) {
		tk_buf_reset(&a);
		tk_buf_reset(&b);
		if ((ra = read_note(g, &a, np, &ids[i])) < 0 ||
		    (rb = read_note(g, &b, ne, &ids[i])) < 0)
			rc = ra < 0 ? ra : rb;
		else if (ra == 0 && rb == 0)
			rc = compare_note(g, e, &ids[i], &a, &b);
	}
out:
	tk_notes_free(np);
	tk_notes_free(ne);
	tk_buf_release(&a);
	tk_buf_release(&b);
	free(ids);
	free(bad);
	return rc;
}

/* Every parent of notes commit id (a root: against the empty tree). */
static int
steps(struct guard *g, const git_oid *id)
{
	git_commit *cm = NULL, *p = NULL;
	unsigned i, np;
	int rc = 0;

	if (git_commit_lookup(&cm, g->c->repo, id) < 0)
		return deny(g, id, NULL, 0, NULL,
		    "cannot read this notes commit: %s",
		    git_error_last() ? git_error_last()->message : "?");
	np = git_commit_parentcount(cm);
	if (np == 0)
		rc = step(g, id, NULL, git_commit_tree_id(cm));
	for (i = 0; i < np && rc == 0; i++) {
		if (git_commit_parent(&p, cm, i) < 0)
			rc = deny(g, id, NULL, 0, NULL,
			    "cannot read parent %u of this notes commit",
			    i + 1);
		else
			rc = step(g, id, git_commit_tree_id(p),
			    git_commit_tree_id(cm));
		git_commit_free(p);
		p = NULL;
	}
	git_commit_free(cm);
	return rc;
}

static int
add_cmp(const void *x, const void *y)
{
	const struct addition *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = git_oid_cmp(&a->id, &b->id);

	if (c == 0 && (c = memcmp(a->line, b->line, n)) == 0)
		c = a->len < b->len ? -1 : a->len > b->len;
	return c;
}

/* The annotated object: a commit in the repository or in this push. */
static int
load_target(struct guard *g, const git_oid *id, struct tk_commit **out)
{
	git_odb *odb = NULL;
	git_odb_object *raw = NULL;
	int rc = 0;

	if (git_repository_odb(&odb, g->c->repo) < 0)
		return tk_error_set(TK_EGIT, "cannot open object database");
	if (git_odb_read(&raw, odb, id) < 0)
		rc = deny(g, id, NULL, 0,
		    "push the commit (or a branch holding it) with its "
		    "approvals, or before them",
		    "its note approves an object that is neither in the "
		    "repository nor in this push");
	else if (git_odb_object_type(raw) != GIT_OBJECT_COMMIT)
		rc = deny(g, id, NULL, 0, "approve commits only",
		    "its note annotates a %s, not a commit",
		    git_object_type2string(git_odb_object_type(raw)));
	else if (tk_commit_parse(out, git_odb_object_data(raw),
	             git_odb_object_size(raw), GIT_OID_HEXSZ) < 0)
		rc = deny(g, id, NULL, 0, NULL,
		    "its note approves a commit twokey cannot read: %s",
		    tk_error_last());
	git_odb_object_free(raw);
	git_odb_free(odb);
	return rc;
}

static int
record(struct guard *g, const struct addition *a,
    const struct tk_approval_trailer *t, const struct tk_key *k,
    const struct tk_sigres *s)
{
	struct tk_report *r = g->c->r;
	struct tk_note_record *nr;
	size_t el = strlen(t->email);
	int rc;

	if ((rc = tk_grow(&r->notes, &r->notes_cap, r->nnotes + 1,
	         sizeof(*r->notes))) < 0)
		return rc;
	nr = &r->notes[r->nnotes];
	memset(nr, 0, sizeof(*nr));
	nr->update = g->c->cur;
	git_oid_tostr(nr->commit, sizeof(nr->commit), &a->id);
	nr->identity = k->owner;
	snprintf(nr->key, sizeof(nr->key), "%s", s->fp ? s->fp : "");
	if ((nr->email = tk_strndup(t->email, el > 254 ? 254 : el)) == NULL)
		return TK_ENOMEM;
	r->nnotes++;
	return 0;
}

/* One added line of the note on a->id (commit cm, payload digests m). */
static int
verify_line(struct guard *g, const struct addition *a,
    const struct tk_commit *cm, struct tk_sshsig_msg *m)
{
	struct tk_buf why = TK_BUF_INIT(4096);
	struct tk_approval_list *l = NULL;
	struct tk_approval_trailer *t;
	const struct tk_key *k = NULL;
	struct tk_sigres s;
	const char *res, *subj;
	size_t sl;
	int rc;

	memset(&s, 0, sizeof(s));
	subj = tk_commit_subject(cm, &sl);
	if ((rc = tk_notes_parse(&l, a->line, a->len)) < 0) {
		if (rc == TK_ETOOBIG)
			rc = deny(g, &a->id, subj, sl, NULL,
			    "its note gains a line that is no approval: %s",
			    tk_error_last());
		goto out;
	}
	if (l->count == 0)
		goto out;
	t = &l->items[0];
	tk_sigres_approval(&s, t, m);
	if (s.status == TK_ENOMEM) {
		rc = tk_error_set(TK_ENOMEM, "out of memory");
		goto out;
	}
	if ((res = tk_approval_invalid(g->c->p, g->c->now, &s, t, &k, &why)) ==
	    NULL)
		rc = record(g, a, t, k, &s);
	else if (t->problem != TK_TRAILER_OK)
		rc = deny(g, &a->id, subj, sl,
		    "a note holds only lines twokey approve writes",
		    "its note gains a line that is no valid approval (%s): "
		    "\"%.60s%s\"",
		    res, a->line, a->len > 60 ? "..." : "");
	else
		rc = deny(g, &a->id, subj, sl,
		    "remove that approval from your notes and push again",
		    "its note gains an approval by <%s> that is not valid: %s",
		    t->email, res);
out:
	tk_sigres_release(&s);
	tk_approval_list_free(l);
	tk_buf_release(&why);
	return rc;
}

/* Every distinct added line, grouped by the commit it annotates. */
static int
verify_all(struct guard *g)
{
	struct tk_buf payload = TK_BUF_INIT(TK_COMMIT_MAX_SIZE + 65536);
	struct tk_commit *cm = NULL;
	struct tk_sshsig_msg m;
	size_t i, j;
	int rc = 0;

	if (g->nadds > 1)
		qsort(g->adds, g->nadds, sizeof(*g->adds), add_cmp);
	for (i = 0; i < g->nadds && rc == 0; i = j) {
		for (j = i + 1; j < g->nadds &&
		     git_oid_equal(&g->adds[i].id, &g->adds[j].id);
		     j++)
			;
		tk_commit_free(cm);
		cm = NULL;
		tk_buf_reset(&payload);
		if ((rc = load_target(g, &g->adds[i].id, &cm)) < 0 ||
		    cm == NULL)
			continue;
		if ((rc = tk_trailer_approval_payload(&payload, cm)) < 0)
			break;
		tk_sshsig_msg_init(&m, payload.ptr, payload.len);
		for (; i < j && rc == 0; i++)
			if (i == 0 ||
			    add_cmp(&g->adds[i - 1], &g->adds[i]) != 0)
				rc = verify_line(g, &g->adds[i], cm, &m);
	}
	tk_commit_free(cm);
	tk_buf_release(&payload);
	return rc;
}

/* Deletes, rewrites and values that are no notes commit. */
static int
check_kind(struct tk_check *c, const struct tk_update *up, bool *ok)
{
	git_object *o = NULL;
	int rc = 0;

	*ok = false;
	if (up->kind == TK_KIND_DELETE)
		return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
		    "nobody may delete it, whatever the rules say",
		    "the notes ref holds approvals, which are evidence: it "
		    "may never be deleted");
	if (up->kind == TK_KIND_FORCE)
		return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0, MERGE_HINT,
		    "the notes ref may only be fast-forwarded: this update "
		    "drops notes commits the server has (it rewrites the "
		    "notes history)");
	if (git_object_lookup(&o, c->repo, &up->new_id, GIT_OBJECT_ANY) < 0)
		rc = tk_check_add(c, TK_SEV_DENY, &up->new_id, NULL, 0, NULL,
		    "the new value cannot be found in the repository");
	else if (git_object_type(o) != GIT_OBJECT_COMMIT)
		rc = tk_check_add(c, TK_SEV_DENY, &up->new_id, NULL, 0,
		    "point " TK_NOTES_REF " at a notes commit",
		    "the new value is a %s, not a notes commit",
		    git_object_type2string(git_object_type(o)));
	else
		*ok = true;
	git_object_free(o);
	return rc;
}

static void
guard_release(struct guard *g)
{
	size_t i;

	for (i = 0; i < g->nadds; i++)
		free(g->adds[i].line);
	free(g->adds);
	tk_notes_free(g->old);
}

int
tk_check_notes_update(struct tk_check *c)
{
	const struct tk_update *up = &c->u->items[c->cur];
	bool ff = up->kind == TK_KIND_FAST_FORWARD, ok;
	struct guard g;
	git_oid *ids = NULL;
	size_t n = 0, i;
	int rc;

	c->r->verdicts[c->cur].guarded = true;
	if ((rc = check_kind(c, up, &ok)) < 0 || !ok)
		return rc;
	rc = tk_walk_entering(&ids, &n, c->repo, &up->new_id,
	    ff ? &up->old_id : NULL, ff ? 1 : 0, TK_NOTES_MAX_COMMITS);
	if (rc == TK_ETOOBIG)
		return tk_check_add(c, TK_SEV_DENY, &up->new_id, NULL, 0,
		    "push the notes history in parts", "%s", tk_error_last());
	if (rc < 0)
		return rc;
	c->r->verdicts[c->cur].nentering = n;
	memset(&g, 0, sizeof(g));
	g.c = c;
	g.entries = TK_NOTES_MAX_ENTRIES;
	if ((rc = tk_notes_open(&g.old, c->repo, ff ? &up->old_id : NULL)) < 0)
		goto out;
	for (i = 0; i < n && rc == 0 && !g.over; i++)
		rc = steps(&g, &ids[i]);
	if (rc == 0 && !g.over)
		rc = verify_all(&g);
	if (rc == 0 && g.dropped > 0)
		rc = tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0, NULL,
		    "%zu more problems with this notes update are not shown",
		    g.dropped);
out:
	guard_release(&g);
	free(ids);
	return rc;
}

/* ---- for other modules: the verified note approvals of one commit ----- */

static int
verify_item(struct tk_note_approval *out, struct tk_approval_trailer *t,
    const struct tk_policy *p, int64_t now, struct tk_sshsig_msg *m)
{
	struct tk_buf why = TK_BUF_INIT(4096);
	const struct tk_key *k = NULL;
	struct tk_sigres s;
	const char *res;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	tk_sigres_approval(&s, t, m);
	out->line = t->line;
	if (s.status == TK_ENOMEM || (out->email = tk_strdup(t->email)) == NULL)
		rc = TK_ENOMEM;
	else if ((res = tk_approval_invalid(p, now, &s, t, &k, &why)) == NULL)
		out->identity = k->owner;
	else if ((out->why = tk_strdup(res)) == NULL)
		rc = TK_ENOMEM;
	if (rc == 0 && s.fp != NULL)
		snprintf(out->key, sizeof(out->key), "%s", s.fp);
	tk_sigres_release(&s);
	tk_buf_release(&why);
	return rc;
}

static int
verify_note(struct tk_note_approvals *out, struct tk_approval_list *l,
    const struct tk_commit *cm, const struct tk_policy *p, int64_t now)
{
	struct tk_buf payload = TK_BUF_INIT(TK_COMMIT_MAX_SIZE + 65536);
	struct tk_sshsig_msg m;
	size_t i;
	int rc;

	if ((rc = tk_trailer_approval_payload(&payload, cm)) < 0)
		goto out;
	if ((out->items = tk_calloc(l->count + 1, sizeof(*out->items))) ==
	    NULL) {
		rc = TK_ENOMEM;
		goto out;
	}
	tk_sshsig_msg_init(&m, payload.ptr, payload.len);
	for (i = 0; i < l->count && rc == 0; i++, out->n++)
		rc = verify_item(&out->items[i], &l->items[i], p, now, &m);
out:
	tk_buf_release(&payload);
	return rc;
}

int
tk_notes_verify(struct tk_note_approvals *out, struct tk_notes *n,
    git_repository *repo, const struct tk_policy *p, int64_t now,
    const git_oid *id)
{
	struct tk_buf text = TK_BUF_INIT(TK_NOTE_MAX_SIZE + 64);
	struct tk_approval_list *l = NULL;
	struct tk_commit *cm = NULL;
	git_odb *odb = NULL;
	git_odb_object *raw = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tk_notes_read(&text, n, id)) < 0 ||
	    (rc = tk_notes_parse(&l, text.ptr ? text.ptr : "", text.len)) < 0 ||
	    l->count == 0)
		goto out;
	if (git_repository_odb(&odb, repo) < 0 ||
	    git_odb_read(&raw, odb, id) < 0 ||
	    git_odb_object_type(raw) != GIT_OBJECT_COMMIT) {
		rc = tk_error_set(TK_ENOTFOUND, "commit %s cannot be read",
		    git_oid_tostr_s(id));
		goto out;
	}
	if ((rc = tk_commit_parse(&cm, git_odb_object_data(raw),
	         git_odb_object_size(raw), GIT_OID_HEXSZ)) < 0)
		goto out;
	rc = verify_note(out, l, cm, p, now);
out:
	if (rc < 0)
		tk_note_approvals_release(out);
	tk_commit_free(cm);
	git_odb_object_free(raw);
	git_odb_free(odb);
	tk_approval_list_free(l);
	tk_buf_release(&text);
	return rc;
}

void
tk_note_approvals_release(struct tk_note_approvals *a)
{
	size_t i;

	for (i = 0; a->items != NULL && i < a->n; i++) {
		free(a->items[i].email);
		free(a->items[i].why);
	}
	free(a->items);
	memset(a, 0, sizeof(*a));
}
