/*
 * Private to lib/engine: the state of one tk_check_run(), the records of
 * the commits it inspects, and the findings sink.
 *
 * The engine is a one-way stack; each file includes only the headers of
 * the layers below it:
 *   check.c        rule matching, roles, verdicts (tk_check_run)
 *   commits.c      entering commits, chain, owners, promote-from
 *   history.c      vouching refs, trusted history, first-parent proofs
 *   notes.c        refs/notes/twokey: its guard, the notes of a push
 *   pusher.c       who pushes
 *   approvals.c    the separation rule for one chain commit
 *   signatures.c   signed commits
 *   merge.c        clean-merge recomputation
 *   prepare.c      parsing and verifying on a pool of threads
 *   findings.c     tk_check_add, tk_check_record (the sink)
 *   stream.c       the records of a large update, written as decided
 *   idset.c        a set of identities
 */
#ifndef TK_ENGINE_H
#define TK_ENGINE_H

#include "internal.h"
#include "idset.h"
#include "twokey/check.h"
#include "twokey/policy.h"

struct tk_freeze_state;

struct tk_check {
	git_repository *repo;
	const struct tk_policy *p;
	struct tk_updates *u;
	struct tk_report *r;
	int64_t now;
	const char *pusher_why; /* why the pusher is unknown */
	/*
	 * history.c: the tips of the refs that vouch for the commits a ref
	 * created under vouched_for brings in; collected once per rule (and
	 * whether an emergency was granted: it makes the rule ask more).
	 */
	git_oid *vouched;
	int64_t *vouched_time; /* their commit dates; INT64_MIN: not read */
	uint32_t *vouched_key; /* their order in the graph; 0: not placed */
	size_t nvouched;
	git_oid *trusted; /* the policy's trusted-history, once all found */
	size_t ntrusted;
	bool vouched_ready;
	const struct tk_rule *vouched_for;
	bool vouched_em; /* collected for a granted emergency (history.c) */
	/* trusted-history: 0 not yet looked up, 1 all there, <0 one missing */
	int trusted_status;
	struct tk_cgraph *graph; /* the commit-graph, when usable */
	int graph_status; /* 0: not opened yet; 1: open; <0: none usable */
	size_t cur; /* the update being decided */
	/* tk_waive bits an emergency lifts for update cur; 0 if none */
	unsigned waived;
	/* ad hoc freezes as the hook read them (frozen.c); NULL: none */
	const struct tk_freeze_state *adhoc;
	/*
	 * The tk_waive bit of the check running now (0: one that is never
	 * waived): tk_check_add() turns its refusals into warnings when the
	 * emergency waives it.
	 */
	unsigned checking;
	const struct tk_check_opts *opts; /* may be NULL */
	git_odb_backend *mempack; /* scratch store for merge checks */
	char *ns; /* $GIT_NAMESPACE's ref prefix, "" without one */
	size_t nslen;
	/*
	 * refnames.c, on a repository that ignores case in ref names: the
	 * names of its refs inside the namespace, sorted ignoring ASCII
	 * case, read once (folds: 0 not read yet, 1 case-sensitive, 2 read).
	 */
	char **folded;
	size_t nfolded;
	int folds;
	/* this repository and namespace as the emergency state keys them */
	struct tk_buf emkey;
	/* refs/notes/twokey as it will be after the push (notes.c) */
	git_oid notes_after;
	bool have_notes_after;
	struct tk_notes *notes; /* opened on first use */
	int notes_status; /* <0: it could not be opened (notes_error) */
	char *notes_error;
	/* the records of update cur are being spooled (stream.c) */
	struct tk_stream *stream;
};

/*
 * Records a finding about the current update.  commit may be NULL; subject
 * (raw commit bytes) and hint may be NULL; the message is formatted.  All
 * text is sanitized here.  Returns 0 or TK_ENOMEM.
 */
int tk_check_add(struct tk_check *c, enum tk_severity sev,
    const git_oid *commit, const char *subject, size_t subject_len,
    const char *hint, const char *fmt, ...) TK_PRINTF(7, 8);

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
struct tk_need;
struct tk_notes;

/*
 * A chain commit's approvals and its note's, while its batch is decided
 * (prepare.c); its note, or why it is unreadable, from when the notes of
 * the chain are read (notes.c).  Apart from tk_rec: 100,000 commits
 * would hold 72 bytes each for the 1,024 that use them.
 */
struct tk_rec_apps {
	struct tk_approval_list *apps; /* its approvals */
	struct tk_sigres *asig; /* per approval */
	char *apps_error;
	int apps_status; /* why apps is NULL */
	/* the note on it in refs/notes/twokey, its approvals */
	int napps_status; /* <0: the note could not be read (napps_error) */
	char *napps_error;
	char *note;
	size_t note_len;
	struct tk_approval_list *napps;
	struct tk_sigres *nsig; /* per note approval */
};

/*
 * One entering commit of the update being decided.  A push may bring in
 * 100,000 of them: the parsed commit (c) and its signatures are held only
 * while a batch of them is decided (commits.c), then released; what later
 * decisions need of every commit stays here, small.
 */
struct tk_rec {
	git_oid id;
	bool ok; /* it was read and parsed: c is set or can be read again */
	bool chain; /* on the first-parent chain from the tip */
	int load_status; /* why it is unreadable */
	struct tk_commit *c; /* NULL when unreadable, or released (ok) */
	git_oid *parents; /* its parents, as c->parents (ok) */
	size_t nparents;
	char *load_error;
	/* its SSH commit signature, while c is held and it has one */
	struct tk_sigres *csig;
	const struct tk_identity *author, *committer, *signer;
	size_t owner; /* the chain commit that answers for it */
	size_t audit; /* index into the report's commit records */
	struct tk_need *need; /* chain commits: what its paths ask (change.h);
	                         NULL: the rule's own approvals */
	/* chain commits: their approvals (NULL when none is held) */
	struct tk_rec_apps *ap;
};

/* rec->ap, allocated when NULL: 0 or TK_ENOMEM. */
int tk_rec_apps(struct tk_rec *rec);

#define TK_NO_OWNER ((size_t)-1)

/* Appends rec's commit record to the report (rec->audit set). */
int tk_check_record(struct tk_check *c, struct tk_rec *rec);

/*
 * Keeps, in chain commit rec's record, the writers of the change it
 * answers for, whether it is a merge and how many entering commits it
 * brings in; in a brought-in commit's record, which chain commit answers
 * for it.  For the audit record only.  0 or TK_ENOMEM.
 */
int tk_check_keep_change(struct tk_check *c, const struct tk_rec *rec,
    const struct tk_idset *writers, enum tk_merge_kind merge, size_t brings);
void tk_check_keep_owner(
    struct tk_check *c, const struct tk_rec *rec, const struct tk_rec *owner);
/* The record that rec's decision fills in (rec->audit's, or stream.c's). */
struct tk_commit_record *tk_check_cr(
    struct tk_check *c, const struct tk_rec *rec);

#endif
