/*
 * Private to lib/rules: the state of one tk_check_run().
 */
#ifndef TK_INTERNAL_CHECK_H
#define TK_INTERNAL_CHECK_H

#include "internal.h"
#include "twokey/check.h"
#include "twokey/policy.h"

struct tk_check {
	git_repository *repo;
	const struct tk_policy *p;
	struct tk_updates *u;
	struct tk_report *r;
	int64_t now;
	const char *pusher_why; /* why the pusher is unknown */
	/* Tips of existing refs that vouch for their commits (see vouched) */
	git_oid *vouched[2];
	size_t nvouched[2];
	bool vouched_ready[2];
	size_t cur; /* the update being decided */
	git_odb_backend *mempack; /* scratch store for merge checks */
};

/*
 * Records a finding about the current update.  commit may be NULL; subject
 * (raw commit bytes) and hint may be NULL; the message is formatted.  All
 * text is sanitized here.  Returns 0 or TK_ENOMEM.
 */
int tk_check_add(struct tk_check *c, enum tk_severity sev,
    const git_oid *commit, const char *subject, size_t subject_len,
    const char *hint, const char *fmt, ...) TK_PRINTF(7, 8);

/* The pusher from the environment or the override; fills c->r. */
int tk_check_pusher(struct tk_check *c, const char *override);

/* Refuses because the pusher is unknown; why_needed ends the message. */
int tk_check_unknown_pusher(struct tk_check *c, const char *why_needed);

/* The commit checks of the current update under rule; findings only. */
int tk_check_commits(struct tk_check *c, const struct tk_rule *rule);

/* A signature checked by a worker thread (see prepare.c). */
struct tk_sigres {
	int status; /* 0: verifies; else why not (message in error) */
	bool parsed; /* the signature parsed: keyblob and fp are set */
	char *error;
	unsigned char *keyblob; /* the signing key, as a policy lookup key */
	size_t keylen;
	char *fp; /* its fingerprint, for messages */
};

struct tk_approval_list;

/* One entering commit of the update being decided. */
struct tk_rec {
	git_oid id;
	struct tk_commit *c; /* NULL when unreadable (a finding was made) */
	int load_status; /* why c is NULL */
	char *load_error;
	struct tk_sigres csig; /* its SSH commit signature, when it has one */
	struct tk_approval_list *apps; /* chain commits: its approvals */
	int apps_status; /* why apps is NULL */
	char *apps_error;
	struct tk_sigres *asig; /* per approval */
	const struct tk_identity *author, *committer, *signer;
	size_t owner; /* the chain commit that answers for it */
	bool chain; /* on the first-parent chain from the tip */
	size_t audit; /* index into the report's commit records */
};

#define TK_NO_OWNER ((size_t)-1)

/*
 * Reads, parses and verifies, on a pool of threads (TWOKEY_THREADS, else
 * one per processor): every commit's object and signature, then the
 * approvals of the chain commits.  Results go into the recs; the return
 * is 0 or an error that stops the check.
 */
int tk_prepare_commits(struct tk_check *c, struct tk_rec *recs, size_t n);
int tk_prepare_approvals(struct tk_check *c, struct tk_rec *recs,
    const size_t *chain, size_t nchain);
void tk_rec_release(struct tk_rec *r);
void tk_sigres_release(struct tk_sigres *s);

/* Appends rec's commit record to the report (rec->audit set). */
int tk_check_record(struct tk_check *c, struct tk_rec *rec);

/* A small set of identities (writers of a change). */
struct tk_idset {
	const struct tk_identity **ids;
	size_t n, cap;
};

int tk_idset_add(struct tk_idset *s, const struct tk_identity *id);
bool tk_idset_has(const struct tk_idset *s, const struct tk_identity *id);
void tk_idset_release(struct tk_idset *s);

/*
 * Signed commits: checks rec's git signature, sets rec->signer when it
 * verifies with a policy key.  With required set, every problem is a
 * refusal; otherwise an unverifiable signature is simply not a signer.
 */
int tk_check_signature(struct tk_check *c, struct tk_rec *rec, bool required);

/*
 * The separation rule for one chain commit: writers is the set of writers
 * of the change it answers for.  Adds findings; returns 0 or an error.
 */
int tk_check_approvals(struct tk_check *c, const struct tk_rule *rule,
    const struct tk_rec *rec, const struct tk_idset *writers);

/*
 * Whether merge commit rec is exactly the automatic merge of its parents
 * (1), or hides changes of its own or resolved conflicts (0); <0 on error.
 */
int tk_merge_is_clean(struct tk_check *c, const struct tk_rec *rec);

#endif
