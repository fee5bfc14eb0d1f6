/*
 * twokey: deciding a push.
 *
 * tk_check_run() takes the ref updates of one push and the policy and
 * produces a report: a verdict per ref and findings, one line each.  The
 * pre-receive hook, the update hook and "twokey check" all decide through
 * it, so they cannot disagree.
 */
#ifndef TWOKEY_CHECK_H
#define TWOKEY_CHECK_H

#include <git2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct tk_policy;
struct tk_rule;
struct tk_identity;
struct tk_audit_commits;

/* Bounds on what a push may hand the hooks. */
#define TK_UPDATES_MAX_INPUT (64u * 1024 * 1024) /* pre-receive stdin */
#define TK_UPDATES_MAX_REFS 100000
#define TK_REF_MAX_LEN 4096

enum tk_kind {
	TK_KIND_CREATE,
	TK_KIND_DELETE,
	TK_KIND_FAST_FORWARD,
	TK_KIND_FORCE /* not a fast-forward; every tag move */
};

struct tk_update {
	char *ref;
	git_oid old_id; /* zero for a create */
	git_oid new_id; /* zero for a delete */
	enum tk_kind kind;
	/*
	 * The ref git writes when it differs from ref: the end of the chain
	 * when ref is a symbolic ref on the server, as seen inside
	 * $GIT_NAMESPACE.  NULL otherwise.  Rules are matched on it.
	 */
	char *target;
	char *broken; /* why git's ref cannot be determined, or NULL */
};

/* The ref an update writes: its target, else the pushed name. */
#define TK_UPDATE_NAME(up) ((up)->target != NULL ? (up)->target : (up)->ref)

struct tk_updates {
	struct tk_update *items;
	size_t n, cap;
	size_t hexlen; /* 40 (SHA-1) or 64 (SHA-256) */
};

/*
 * Parses pre-receive input: "<old> SP <new> SP <ref> LF" lines.  Refuses
 * (TK_EINVAL, message naming the line) malformed lines, ids of mixed or
 * wrong length, non-hex ids, control characters in ref names, names over
 * TK_REF_MAX_LEN, more than TK_UPDATES_MAX_REFS lines and a final line
 * without LF.  u must be zeroed; release it with tk_updates_release().
 */
int tk_updates_parse(struct tk_updates *u, const char *buf, size_t len);

/*
 * The update hook's arguments: "ref old new", or gitolite's VREF call
 * "ref old new oldtree newtree access VREF/NAME".  Same checks.
 */
int tk_updates_from_args(struct tk_updates *u, int argc, char *const *argv);

void tk_updates_release(struct tk_updates *u);

/* Fills in each update's kind; needs the objects, so after parsing. */
int tk_updates_classify(struct tk_updates *u, git_repository *repo);

const char *tk_kind_name(enum tk_kind k);

enum tk_severity {
	TK_SEV_DENY, /* refuses the ref (a warning in warn mode) */
	TK_SEV_WARN, /* reported, accepted */
	TK_SEV_NOTE /* information, e.g. an approval that counted */
};

/*
 * One finding, ready to print.  Every text is sanitized (no control
 * characters) when it is stored.
 */
struct tk_finding {
	enum tk_severity sev;
	size_t update; /* index into the updates */
	char commit[65]; /* hex id, "" when about the ref as a whole */
	char *subject; /* commit subject, or NULL */
	char *what; /* what is wrong */
	char *hint; /* what to do next, or NULL */
};

enum tk_decision { TK_ACCEPT = 0, TK_REFUSE };

struct tk_verdict {
	const struct tk_rule *rule; /* NULL when no rule matched */
	enum tk_decision decision;
	bool warned; /* warn mode let refusals through */
	size_t nentering;
	bool guarded; /* the notes ref: its guard decided (see notes.h) */
	/* An emergency push (docs/spec.md, "Emergency changes") */
	bool emergency; /* it was granted for this ref */
	unsigned waived; /* tk_waive bits it lifted */
	int64_t ratify_by; /* the deadline for its ratification */
	/* trusted-history kept commits from entering (docs/spec.md) */
	bool trusted_hid;
};

#define TK_VIA_TRAILER 1u /* an Approved-by trailer of the commit */
#define TK_VIA_NOTE 2u /* a detached approval in refs/notes/twokey */

enum tk_merge_kind {
	TK_MERGE_NONE = 0, /* not a merge on the first-parent chain */
	TK_MERGE_CLEAN, /* the automatic merge: writers are what it brings */
	TK_MERGE_OWN /* changes or resolutions of its own: merger writes */
};

/* What the audit record keeps of one entering commit that was inspected. */
struct tk_commit_record {
	size_t update; /* index into the updates */
	char id[65];
	char *subject; /* raw bytes, NUL-free, at most 200 */
	char *author; /* author email, raw, at most 254 */
	/*
	 * Under a granted emergency only (its state keeps them): the
	 * committer email, raw, at most 254, and the fingerprint of a key
	 * whose signature on the commit verifies ("" when none), whether the
	 * policy knows them or not.
	 */
	char *committer;
	char signer_key[64];
	const struct tk_identity *writers[3]; /* author, committer, signer */
	bool chain; /* on the first-parent chain: approvals checked */
	const struct tk_identity **approvers; /* counted approvals */
	size_t napprovers;
	char *refused; /* "<email>: reason; ..." for approvals not counted */
	/* What the evidence report needs (docs/spec.md, "Audit record"): */
	unsigned
	    *approver_via; /* per approver: TK_VIA_* bits, how it counted */
	size_t owner; /* not on the chain: 1 + the record index of the chain
	                 commit that answers for it; 0 when none */
	bool has_change; /* change_writers below are set */
	const struct tk_identity **change_writers; /* of the change it
	                                              answers for */
	size_t nchange_writers;
	enum tk_merge_kind merge;
	size_t brings; /* a chain merge: entering commits it answers for */
};

/* An approval that an update of the notes ref adds (audited). */
struct tk_note_record {
	size_t update; /* index into the updates */
	char commit[65]; /* the annotated commit, hex */
	const struct tk_identity *identity; /* who signed it */
	char *email; /* the email the line names, raw, at most 254 */
	char key[64]; /* "SHA256:..." of the signing key */
};

/*
 * An emergency of the state (opts.emergencies) that this push found
 * ratified: the hook records it in the state and in the audit log.
 */
struct tk_ratification {
	size_t entry; /* index into opts.emergencies->items */
	char *ratifiers; /* "alice, bob" */
	bool by_this_push; /* it counts notes this push brings */
};

struct tk_report {
	struct tk_verdict *verdicts; /* one per update */
	size_t nverdicts;
	struct tk_finding *findings;
	size_t nfindings, cap;
	char *pusher_login; /* sanitized, NULL when unknown */
	const char *pusher_var; /* borrowed from the policy */
	const struct tk_identity *pusher;
	bool refused; /* any ref refused */
	struct tk_commit_record *commits;
	size_t ncommits, commits_cap;
	/*
	 * The records of updates that bring in more than TK_CHECK_STREAM_AT
	 * commits are not in commits: each was written for the audit record
	 * as it was decided (twokey/audit.h, tk_audit_commits_begin).
	 */
	struct tk_audit_commits *spooled;
	struct tk_note_record *notes; /* approvals added to the notes ref */
	size_t nnotes, notes_cap;
	struct tk_ratification *ratified;
	size_t nratified, ratified_cap;
	char *emergency; /* the reason of a granted emergency, sanitized */
};

struct tk_freeze_state;
struct tk_emergency_state;

struct tk_check_opts {
	const char *pusher_login; /* overrides the environment when set */
	int64_t now; /* push time; 0 means time(NULL) */
	/*
	 * The ad hoc freezes (tk_freeze_state_load), NULL: none.  The hooks
	 * always pass them; a store read error in them refuses every ref.
	 */
	const struct tk_freeze_state *freezes;
	/*
	 * -o twokey.emergency=<reason>: the reason as pushed (NULL: none).
	 * Each pushed ref must then be under a rule with emergency:, by a
	 * pusher holding a role of its by:, with a reason that passes
	 * tk_emergency_reason_invalid and the rule's reason pattern; else
	 * the ref is refused, saying why.
	 */
	const char *emergency;
	/*
	 * The emergencies recorded so far (NULL: none known).  Those of this
	 * repository whose ref is pushed and that are past their deadline
	 * unratified refuse the push (overdue: block) or warn; any found
	 * ratified by the notes as they are after the push is listed in the
	 * report's ratified.  Not modified.
	 */
	const struct tk_emergency_state *emergencies;
	/* Emergencies are unavailable (why), e.g. in the update hook. */
	const char *no_emergency;
	/*
	 * An update that brings in more commits than this has its commit
	 * records written for the audit record as it is decided (the
	 * report's spooled), not kept in the report's commits; 0:
	 * TK_CHECK_STREAM_AT.  Tests set it to compare both ways.
	 */
	size_t stream_at;
};

/* Past this many entering commits, an update's records are spooled. */
#define TK_CHECK_STREAM_AT 1024

#define TK_CHECK_OPTS_INIT                                                     \
	{                                                                      \
		NULL, 0, NULL, NULL, NULL, NULL, 0                             \
	}

/*
 * Decides every update of u against policy p.  Returns 0 with *report
 * filled (the decision is in the report), or a negative code when the push
 * could not be decided at all; the caller must then refuse.  A problem
 * that concerns one ref only (an unreadable commit, a pattern past its
 * match limit) refuses that ref with a finding instead.  report must be
 * zeroed; release it with tk_report_release() in both cases.
 */
int tk_check_run(struct tk_report *report, git_repository *repo,
    const struct tk_policy *p, struct tk_updates *u,
    const struct tk_check_opts *opts);

void tk_report_release(struct tk_report *r);

/*
 * The pusher as the hooks find it in the environment under p's
 * pusher.env: the variables are read in order and the first set,
 * non-empty one names the login.  Returns that login (the environment's
 * own bytes, unsanitized) with its variable in *var, or NULL when none is
 * set.  *disagree is set to the first later variable that is set,
 * non-empty and holds other bytes (the pusher is then unknown), else to
 * NULL.  The hooks and `twokey doctor` both use it, so that doctor says
 * what a push would see.
 */
const char *tk_pusher_from_env(
    const struct tk_policy *p, const char **var, const char **disagree);

/*
 * Whether merge commit id is exactly what git computes for its parents
 * (1): git's default merge for two, git's octopus strategy (folded
 * pairwise, no rename detection) for more; or hides changes of its own or
 * resolved conflicts (0); <0 on error.  When it is not clean because
 * twokey may not reproduce git there (a .gitattributes merge driver, a
 * directory rename, a submodule changed on both sides, several merge
 * bases in an octopus), *why (may be NULL) is set to a constant saying
 * so, else to NULL.  Content merges write blobs and trees: they go to an
 * in-memory store that is added to the repository's object database on
 * first use and kept in *scratch (owned by that database; start with
 * NULL), so nothing is written to disk.  The separation rule counts a
 * merge's own writers only when it is not clean.
 */
int tk_merge_clean(git_repository *repo, git_odb_backend **scratch,
    const git_oid *id, const char **why);

/*
 * Prints the findings, one a line, each starting with prefix, then a
 * summary line per refused ref.  Returns 0 or TK_EIO.
 */
int tk_report_print(FILE *f, const struct tk_report *r,
    const struct tk_updates *u, const char *prefix);

/*
 * Prints the findings only, without the verdict lines: for a decision that
 * stands for nothing because it could not be recorded.
 */
int tk_report_print_findings(FILE *f, const struct tk_report *r,
    const struct tk_updates *u, const char *prefix);

/*
 * The report of a dry run (-o twokey.dry-run): the findings, what each
 * ref's verdict would be, and that nothing was changed.  Returns 0 or
 * TK_EIO.
 */
int tk_report_print_dry_run(FILE *f, const struct tk_report *r,
    const struct tk_updates *u, const char *prefix);

#endif
