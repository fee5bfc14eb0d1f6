/*
 * The expensive, independent part of checking commits, spread over a pool
 * of threads: reading and parsing each entering commit, and verifying its
 * signature and its approvals' signatures.  Nothing here consults the
 * policy or touches the report; the results wait in each tk_rec until the
 * decision is made, serially, in commits.c.
 *
 * Thread safety: OpenSSL verification is thread-safe; libgit2's object
 * database is locked and may be read from several threads; each worker
 * records errors in its own tk_rec (tk_error_last() is per thread).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "prepare.h"
#include "twokey/commit.h"
#include "twokey/notes.h"
#include "twokey/sshsig.h"
#include "twokey/trailer.h"

/* Below this many items a thread costs more than it saves. */
#define PARALLEL_MIN 32
#define MAX_THREADS 64

static char *
last_error(void)
{
	return tk_strdup(tk_error_last());
}

void
tk_sigres_release(struct tk_sigres *s)
{
	free(s->keyblob);
	free(s->fp);
	free(s->error);
	memset(s, 0, sizeof(*s));
}

/*
 * Parses and verifies one signature, then keeps only what the decision
 * needs (the verdict, the signing key's blob and fingerprint): OpenSSL's
 * key object is large, and a push may carry 30,000 signatures.  Never
 * fails as a whole; an allocation failure is a status like any other.
 */
static void
verify_one(struct tk_sigres *s, int parse_rc, struct tk_sshsig *sig,
    const char *ns, struct tk_sshsig_msg *m)
{
	const unsigned char *blob;

	s->status = parse_rc;
	if (parse_rc < 0) {
		s->error = last_error();
		return;
	}
	s->parsed = true;
	if ((s->status = tk_sshsig_verify_msg(sig, ns, m)) < 0)
		s->error = last_error();
	blob = tk_sshkey_blob(tk_sshsig_key(sig), &s->keylen);
	if ((s->keyblob = malloc(s->keylen)) == NULL ||
	    (s->fp = tk_strdup(tk_sshkey_fingerprint(tk_sshsig_key(sig)))) ==
	        NULL)
		s->status = TK_ENOMEM;
	else
		memcpy(s->keyblob, blob, s->keylen);
	tk_sshsig_free(sig);
}

/* Reads and parses rec's commit into rec->c: 0, or <0 (rec->c NULL). */
static int
read_commit(git_odb *odb, struct tk_rec *rec)
{
	git_odb_object *obj = NULL;
	int r;

	if (git_odb_read(&obj, odb, &rec->id) < 0 ||
	    git_odb_object_type(obj) != GIT_OBJECT_COMMIT) {
		git_odb_object_free(obj);
		return tk_error_set(TK_EGIT, "cannot read this commit");
	}
	r = tk_commit_parse(&rec->c, git_odb_object_data(obj),
	    git_odb_object_size(obj), GIT_OID_HEXSZ);
	git_odb_object_free(obj);
	/* Fields git would show otherwise than twokey reads them: refused. */
	if (r == 0 && (r = tk_commit_check_identity(rec->c)) < 0) {
		tk_commit_free(rec->c);
		rec->c = NULL;
	}
	return r;
}

/* What later decisions need of every commit: its parents, as ids. */
static int
keep_parents(struct tk_rec *rec)
{
	const struct tk_commit *cm = rec->c;
	size_t k;

	if ((rec->parents =
	            tk_calloc(cm->nparents + 1, sizeof(*rec->parents))) == NULL)
		return TK_ENOMEM;
	for (k = 0; k < cm->nparents; k++)
		if (git_oid_fromstrn(
		        &rec->parents[k], cm->parents[k], GIT_OID_HEXSZ) < 0)
			return tk_error_set(TK_EINVAL, "malformed parent id");
	rec->nparents = cm->nparents;
	return 0;
}

static void
prepare_commit(git_odb *odb, struct tk_rec *rec)
{
	struct tk_sshsig *sig = NULL;
	struct tk_sshsig_msg m;
	const struct tk_commit *cm;
	int r;

	if ((r = read_commit(odb, rec)) == 0 && (r = keep_parents(rec)) < 0) {
		tk_commit_free(rec->c);
		rec->c = NULL;
	}
	if (r < 0) {
		rec->load_status = r;
		rec->load_error = last_error();
		return;
	}
	rec->ok = true;
	cm = rec->c;
	if (cm->sig_format != TK_SIG_SSH)
		return;
	if ((rec->csig = tk_calloc(1, sizeof(*rec->csig))) == NULL) {
		rec->load_status = TK_ENOMEM;
		rec->ok = false;
		tk_commit_free(rec->c);
		rec->c = NULL;
		return;
	}
	r = tk_sshsig_parse_armor(&sig, cm->signature, cm->signature_len);
	tk_sshsig_msg_init(&m, cm->signed_payload, cm->signed_payload_len);
	verify_one(rec->csig, r, sig, "git", &m);
	tk_commit_drop_signature(rec->c);
}

void
tk_sigres_approval(
    struct tk_sigres *s, struct tk_approval_trailer *t, struct tk_sshsig_msg *m)
{
	struct tk_sshsig *sig = NULL;
	int r;

	if (t->problem != TK_TRAILER_OK)
		return;
	r = tk_sshsig_parse_blob(&sig, t->sig, t->sig_len);
	verify_one(s, r, sig, "twokey-approval", m);
	tk_approval_drop_signature(t);
}

static void
verify_list(
    struct tk_approval_list *l, struct tk_sigres *s, struct tk_sshsig_msg *m)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		tk_sigres_approval(&s[i], &l->items[i], m);
}

/* The note's lines, verified over the same payload as the trailers. */
static void
prepare_note(struct tk_rec_apps *a, struct tk_sshsig_msg *m)
{
	int r;

	if (a->note == NULL || a->napps_status < 0)
		return;
	if ((r = tk_notes_parse(&a->napps, a->note, a->note_len)) < 0 ||
	    (a->nsig = tk_calloc(a->napps->count + 1, sizeof(*a->nsig))) ==
	        NULL) {
		a->napps_status = r < 0 ? r : TK_ENOMEM;
		a->napps_error = last_error();
		return;
	}
	verify_list(a->napps, a->nsig, m);
}

/* rec->ap is set (tk_prepare_approvals). */
static void
prepare_approvals(struct tk_rec *rec)
{
	struct tk_buf payload = TK_BUF_INIT(TK_COMMIT_MAX_SIZE + 65536);
	struct tk_rec_apps *a = rec->ap;
	struct tk_sshsig_msg m;
	int r;

	if ((r = tk_trailer_parse_approvals(
	         &a->apps, rec->c->message, rec->c->message_len)) < 0 ||
	    (r = tk_trailer_approval_payload(&payload, rec->c)) < 0 ||
	    (a->asig = tk_calloc(a->apps->count + 1, sizeof(*a->asig))) ==
	        NULL) {
		a->apps_status = r < 0 ? r : TK_ENOMEM;
		a->apps_error = last_error();
		goto out;
	}
	tk_sshsig_msg_init(&m, payload.ptr, payload.len);
	verify_list(a->apps, a->asig, &m);
	prepare_note(a, &m);
out:
	tk_buf_release(&payload);
}

/*
 * A commit released after its batch was decided, read again for a later
 * check: it parsed before, so a failure now (memory, a store that changed
 * under the hook) is kept in load_status and fails the check closed.
 */
static void
reload_commit(git_odb *odb, struct tk_rec *rec)
{
	int r;

	if ((r = read_commit(odb, rec)) < 0) {
		rec->load_status = r;
		rec->load_error = last_error();
		return;
	}
	tk_commit_drop_signature(rec->c);
}

enum pool_mode {
	POOL_COMMITS, /* read, parse, verify the commit signature */
	POOL_APPROVALS, /* read again when released, verify the approvals */
	POOL_RELOAD /* read again when released */
};

struct pool {
	struct tk_rec *recs;
	const size_t *idx; /* NULL: every rec */
	size_t n;
	git_odb *odb;
	enum pool_mode mode;
	atomic_size_t next;
};

static void *
worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		struct tk_rec *r = &p->recs[p->idx ? p->idx[i] : i];

		if (p->mode == POOL_COMMITS) {
			prepare_commit(p->odb, r);
			continue;
		}
		if (r->ok && r->c == NULL)
			reload_commit(p->odb, r);
		if (p->mode == POOL_APPROVALS && r->c != NULL)
			prepare_approvals(r);
	}
	return NULL;
}

/*
 * TWOKEY_THREADS, else the number of online processors; one below
 * PARALLEL_MIN items, without asking (sysconf reads a file in /sys: a
 * 1-commit push needs no thread and no question).
 */
static size_t
thread_count(size_t items)
{
	const char *env;
	long n;

	if (items < PARALLEL_MIN)
		return 1;
	env = getenv("TWOKEY_THREADS");
	n = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > MAX_THREADS)
		n = MAX_THREADS;
	return (size_t)n;
}

static void
run(struct pool *p)
{
	pthread_t th[MAX_THREADS];
	size_t nt = thread_count(p->n), started = 0, i;

	atomic_init(&p->next, 0);
	/* The calling thread works too; a thread that fails to start only
	 * means fewer helpers. */
	for (i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, worker, p) == 0)
			started++;
	worker(p);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

static int
run_on(struct tk_check *c, struct tk_rec *recs, const size_t *idx, size_t n,
    enum pool_mode mode)
{
	struct pool p;
	git_odb *odb = NULL;
	size_t i;

	if (git_repository_odb(&odb, c->repo) < 0)
		return tk_error_set(TK_EGIT, "cannot open object database");
	memset(&p, 0, sizeof(p));
	p.recs = recs;
	p.idx = idx;
	p.n = n;
	p.odb = odb;
	p.mode = mode;
	run(&p);
	git_odb_free(odb);
	if (mode == POOL_COMMITS)
		return 0;
	for (i = 0; i < n; i++) {
		const struct tk_rec *r = &recs[idx ? idx[i] : i];
		char hex[GIT_OID_HEXSZ + 1];

		if (r->ok && r->c == NULL) {
			git_oid_tostr(hex, sizeof(hex), &r->id);
			return tk_error_set(
			    r->load_status < 0 ? r->load_status : TK_EGIT,
			    "cannot read commit %s again: %s", hex,
			    r->load_error ? r->load_error : "?");
		}
	}
	return 0;
}

int
tk_prepare_commits(struct tk_check *c, struct tk_rec *recs, size_t n)
{
	return run_on(c, recs, NULL, n, POOL_COMMITS);
}

int
tk_rec_apps(struct tk_rec *rec)
{
	if (rec->ap == NULL &&
	    (rec->ap = tk_calloc(1, sizeof(*rec->ap))) == NULL)
		return TK_ENOMEM;
	return 0;
}

int
tk_prepare_approvals(
    struct tk_check *c, struct tk_rec *recs, const size_t *chain, size_t nchain)
{
	size_t i;

	/* here, not on the threads: a failure is the caller's */
	for (i = 0; i < nchain; i++)
		if (tk_rec_apps(&recs[chain[i]]) < 0)
			return TK_ENOMEM;
	return run_on(c, recs, chain, nchain, POOL_APPROVALS);
}

int
tk_prepare_reload(
    struct tk_check *c, struct tk_rec *recs, const size_t *idx, size_t n)
{
	return run_on(c, recs, idx, n, POOL_RELOAD);
}

void
tk_rec_shrink(struct tk_rec *r)
{
	tk_rec_drop_approvals(r);
	if (r->csig != NULL)
		tk_sigres_release(r->csig);
	free(r->csig);
	r->csig = NULL;
	tk_commit_free(r->c);
	r->c = NULL;
}

void
tk_rec_drop_approvals(struct tk_rec *r)
{
	struct tk_rec_apps *a = r->ap;
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; a->asig != NULL && a->apps != NULL && i < a->apps->count;
	     i++)
		tk_sigres_release(&a->asig[i]);
	free(a->asig);
	tk_approval_list_free(a->apps);
	free(a->apps_error);
	for (i = 0; a->nsig != NULL && a->napps != NULL && i < a->napps->count;
	     i++)
		tk_sigres_release(&a->nsig[i]);
	free(a->nsig);
	tk_approval_list_free(a->napps);
	free(a->napps_error);
	free(a->note);
	free(a);
	r->ap = NULL;
}

void
tk_rec_release(struct tk_rec *r)
{
	tk_rec_shrink(r);
	free(r->parents);
	free(r->load_error);
	memset(r, 0, sizeof(*r));
}
