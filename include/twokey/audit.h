/*
 * twokey: the audit log (docs/spec.md, "Audit record").
 *
 * One JSON object a line.  Each record ends with
 *   ,"prev":"<hex>","hash":"<hex>"[,"hmac":"<hex>"]}
 * where hash is SHA-256 over the record's canonical bytes: the line up to
 * (not including) ,"hash": followed by "}".  prev is the previous record's
 * hash (64 zeros for the first record ever), so the records form a chain;
 * hmac, present when audit.key-file is set, is HMAC-SHA-256 with that key
 * over the same bytes, so that someone who can rewrite the file but not
 * read the key cannot forge a consistent chain.
 *
 * This module is the only place that spells the record's field names: the
 * writer (tk_audit_write) and the reader (tk_audit_reader_*) below.  Every
 * tool (audit show, report, stats, reconcile) works on the parsed structs.
 * Where the records are kept (files now; a database later) is behind a
 * small storage interface inside lib/audit (store.h).
 */
#ifndef TWOKEY_AUDIT_H
#define TWOKEY_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "twokey/buf.h"

struct tk_policy;
struct tk_updates;
struct tk_report;
struct tk_emergency_state;

#define TK_AUDIT_MAX_RECORD (64u * 1024 * 1024)
#define TK_AUDIT_MAX_KEY 4096
#define TK_AUDIT_MAX_PUSH_OPTIONS 100
#define TK_AUDIT_MAX_FILES 250

/* What the hook knows about the push besides the report. */
struct tk_audit_push {
	const char *hook; /* "pre-receive", "update", "check" */
	const char *repo; /* repository path */
	int64_t now; /* seconds since the epoch */
	const char *error; /* set when the push could not be decided */
	/*
	 * The policy's hash when p is NULL (a policy that could not be
	 * loaded: the hash of the bytes it could not use, or NULL).
	 */
	const char *policy;
	bool dry_run; /* -o twokey.dry-run: decided, recorded, refused */
	/*
	 * The emergency state the decision saw (the report's ratified index
	 * into it); NULL when none.
	 */
	const struct tk_emergency_state *emergencies;
};

/*
 * Appends one record for the push to the policy's audit.path, under an
 * exclusive lock, with the previous hash read under the same lock, in one
 * write, flushed to disk before returning.  Does nothing when the policy
 * sets no audit.path.  Returns 0, or a negative code with a message when
 * the record could not be written: the caller must then refuse the push.
 */
int tk_audit_write(const struct tk_policy *p, const struct tk_updates *u,
    const struct tk_report *r, const struct tk_audit_push *push);

/*
 * Serializes the record body (without prev/hash/hmac and the closing
 * brace) into out.  Every string is escaped as JSON; invalid UTF-8 becomes
 * U+FFFD, control characters \u00XX.  p may be NULL (a policy that could
 * not be loaded): then no commit is described and push->policy is used.
 */
int tk_audit_format(struct tk_buf *out, const struct tk_policy *p,
    const struct tk_updates *u, const struct tk_report *r,
    const struct tk_audit_push *push);

/*
 * The commit records of an update that brings in many commits, kept as
 * the audit record writes them instead of in the report's commits (the
 * engine's report holds them as spooled): a record is formatted in two
 * parts, its head (id, subject, author) when the commit is read and its
 * tail (writers, approvals, merge) once it is decided; both go to a
 * buffer that moves to an unlinked temporary file past
 * TK_AUDIT_SPOOL_AT bytes, so a push of 100,000 commits holds about 20
 * bytes a commit.  tk_audit_format writes them where the report's
 * records would be, byte for byte the same.  Errors are sticky: every
 * later call, and the record's format, returns the first one (with its
 * message).
 */
struct tk_audit_commits;
struct tk_commit_record;

/*
 * Starts update's list of n records (the entries after the last list's):
 * *s is created when NULL.  keep false (a policy that writes no audit
 * record): the records are only counted, and formatting the record
 * fails.  0, TK_ENOMEM.
 */
int tk_audit_commits_begin(
    struct tk_audit_commits **s, size_t update, size_t n, bool keep);
/*
 * Appends cr's head as the list's next entry (*entry: its index); with
 * whole, its tail too (no owner): cr is then final.  0 or an error.
 */
int tk_audit_commits_head(struct tk_audit_commits *s, const struct tk_policy *p,
    const struct tk_commit_record *cr, bool whole, size_t *entry);
/*
 * Appends entry's tail: cr's writers, approvals and merge; owner, when
 * not NULL, is the record of the chain commit that answers for it (its id
 * and approvers are used).  0 or an error.
 */
int tk_audit_commits_tail(struct tk_audit_commits *s, const struct tk_policy *p,
    size_t entry, const struct tk_commit_record *cr,
    const struct tk_commit_record *owner);
/* Whether entry has its tail. */
bool tk_audit_commits_done(const struct tk_audit_commits *s, size_t entry);
/* How many records update's lists hold (s may be NULL). */
size_t tk_audit_commits_count(const struct tk_audit_commits *s, size_t update);
void tk_audit_commits_free(struct tk_audit_commits *s);

/* Appends s (len bytes) to out as a JSON string literal, quotes included. */
int tk_json_string(struct tk_buf *out, const char *s, size_t len);

/*
 * Ref names in records (docs/spec.md, "Ref names in records"): a ref
 * name may hold any byte git allows, valid UTF-8 or not, but never a
 * backslash.  tk_audit_refname() appends the name's log form to out:
 * valid UTF-8 as it is, every other byte, and a backslash, as the four
 * characters \xHH (lower-case hex); one name, one form, and two names
 * never share one.  tk_audit_refname_raw() appends the bytes a log form
 * stands for (\xHH back to its byte; a backslash not followed by x and
 * two hex digits stays).  Both return 0 or TK_ENOMEM/TK_ETOOBIG.
 * tk_json_refname() appends the JSON string of the log form.
 */
int tk_audit_refname(struct tk_buf *out, const char *s, size_t len);
int tk_audit_refname_raw(struct tk_buf *out, const char *s, size_t len);
int tk_json_refname(struct tk_buf *out, const char *s, size_t len);

/*
 * Reads the HMAC key file at path (at most TK_AUDIT_MAX_KEY bytes, not
 * empty).  Returns 0 with *key set to a malloc'd copy of its *keylen
 * bytes, which the caller owns: it wipes them (explicit_bzero) and frees
 * them when done.  On failure (TK_EIO, TK_ENOMEM; message set) *key is
 * NULL and *keylen is unchanged.
 */
int tk_audit_read_key(unsigned char **key, size_t *keylen, const char *path);

/*
 * After a policy loaded: remembers where it records (audit.path,
 * audit.key-file, audit.syslog) in the repository's state file
 * (<gitdir>/twokey-audit-state), rewritten atomically when it changed, so
 * that a push refused later because the policy cannot be loaded is still
 * recorded in the same log.  Best effort: returns 0, or a negative code
 * the hook may ignore (the fallback path is then used).
 */
int tk_audit_remember(const struct tk_policy *p, const char *gitdir);

/*
 * Records a push refused because no policy could be loaded: in the log
 * named by <gitdir>/twokey-audit-state, else in TWOKEY_FALLBACK_AUDIT_PATH
 * (fixed at build time).  why is the reason (the first loader error);
 * policy_path, when not NULL, is hashed into the record's "policy".
 * Returns 0 or a negative code with a message (the push is refused
 * either way).
 */
int tk_audit_record_unloadable(const char *gitdir, const struct tk_updates *u,
    const char *policy_path, const char *why, int64_t now, const char *hook);

/* The path unloadable policies are recorded in when nothing else is known. */
const char *tk_audit_fallback_path(void);

struct tk_audit_verify {
	bool allow_rotated; /* in: accept a first record that links to an
	                       earlier file */
	size_t records; /* records checked */
	size_t bad_file; /* index of the file with the first problem */
	size_t bad_line; /* its 1-based line; 0 when all is well */
	char problem[256];
	bool rotated; /* the first file continues an earlier one */
	size_t unchecked_hmacs; /* records with an HMAC, checked without key */
	size_t unkeyed; /* with a key: records without an HMAC, not the last */
	char last_hash[65];
};

/*
 * Checks the chain through files[0..n) in order: every record's own hash,
 * its link to the one before (across files too), and with a key every
 * HMAC.  The very first record must start the chain (prev all zeros)
 * unless v->allow_rotated is set on entry.  Returns 0 when intact,
 * TK_EINVAL at the first break (described in v), TK_EIO when a file cannot
 * be read.  The head file is not consulted (see tk_audit_reader_chain).
 */
int tk_audit_verify_files(struct tk_audit_verify *v, const char *const *files,
    size_t n, const unsigned char *key, size_t keylen);

/* ---- Reading records ------------------------------------------------ */

/*
 * A parsed record.  Every string is borrowed from the reader and valid
 * until the next tk_audit_next() or tk_audit_reader_free(); a field the
 * record does not carry is NULL (strings), 0 (counts) or false.  Strings
 * hold what the log holds: attacker text (subjects, emails, ref names,
 * push options) must be sanitized before it reaches a terminal.
 */
struct tk_audit_approver {
	const char *identity;
	const char *const *roles;
	size_t nroles;
	/*
	 * How it counted: "trailer", "note", "trailer, note", or
	 * "covered by merge <id>"; NULL in records older than 0.2.
	 */
	const char *via;
};

struct tk_audit_commit {
	const char *id, *subject, *author;
	/* Writers of the change it answers for (identity ids). */
	const char *const *writers;
	size_t nwriters;
	bool chain; /* on the first-parent chain: approvals were checked */
	const struct tk_audit_approver *approvers;
	size_t napprovers;
	const char *refused; /* approvals not counted, with reasons */
	const char *covered_by; /* the chain merge that answers for it */
	const char *merge; /* chain merges: "clean" or "not-clean" */
	size_t brings; /* merges: entering commits it answers for */
	const char *const *merged_by; /* merges: its own writers */
	size_t nmerged_by;
};

struct tk_audit_ref {
	const char *ref, *old, *new_, *kind, *rule, *mode, *decision;
	const char *target; /* the ref git wrote through a symbolic ref */
	/*
	 * The ref git wrote, as the repository names it: the record's
	 * namespace (refs/namespaces/NS/...) and target, else ref; the name
	 * --ref filters and reports show.  Never NULL when ref is not.
	 */
	const char *stored;
	bool warned;
	size_t entering;
	const struct tk_audit_commit *commits;
	size_t ncommits;
};

struct tk_audit_finding {
	const char *ref, *commit, *severity, *message;
};

struct tk_audit_emergency {
	bool present;
	const char *reason;
	const char *const *waived;
	size_t nwaived;
	const char *ratify_by; /* UTC time, RFC 3339 */
	int64_t ratify_by_t; /* the same; 0 when absent or unparseable */
};

/* An emergency a push found ratified ("ratified", docs/spec.md). */
struct tk_audit_ratified {
	const char *emergency; /* UTC time of the emergency push */
	int64_t emergency_t; /* the same; 0 when unparseable */
	const char *ref, *new_, *pusher, *by;
};

struct tk_audit_record {
	size_t source; /* index of the file (or store) it came from */
	size_t line; /* 1-based line in it */
	bool verified; /* it lies in the verified part of the chain */
	const char *time; /* as written */
	int64_t when; /* the same, seconds since the epoch; 0 if unparseable */
	const char *twokey, *hook, *repo;
	const char *pusher_login, *pusher_identity, *pusher_from;
	const char *client;
	const char *const *push_options;
	size_t npush_options;
	const char *decision, *error;
	const struct tk_audit_ref *refs;
	size_t nrefs;
	const struct tk_audit_finding *findings;
	size_t nfindings;
	const char *policy; /* sha256 of the policy in force, or NULL */
	struct tk_audit_emergency emergency;
	const struct tk_audit_ratified *ratified;
	size_t nratified;
	const char *namespace_; /* GIT_NAMESPACE: ref names are inside it */
	const char *node;
	const char *prev, *hash;
	const char *raw; /* the whole line, as written */
	size_t rawlen;
};

/* The state of the chain over what a reader has read so far. */
struct tk_audit_chain {
	size_t records; /* records read */
	size_t verified; /* records before the first break */
	bool broken;
	size_t bad_source, bad_line; /* the first break */
	char problem[256];
	bool rotated; /* the first record continues an earlier file */
	bool keyed; /* HMACs were checked with a key */
	size_t unchecked_hmacs;
	/*
	 * With a key: records without an HMAC (written while audit.key-file
	 * was not set); a later record's HMAC covers each through the
	 * chain.  The last record must have one.
	 */
	size_t unkeyed;
	size_t unreadable; /* lines that are not readable records */
	char last_hash[65]; /* of the last verified record */
	size_t head_behind; /* records after the one the head file names */
};

struct tk_audit_read_opts {
	bool allow_rotated; /* the first record may link to an earlier file */
	const unsigned char *key; /* HMAC key, or NULL */
	size_t keylen;
};

struct tk_audit_reader;

/*
 * Opens files[0..n) (at most TK_AUDIT_MAX_FILES, read in that order as
 * one chain) for reading.  The array is copied; the names are borrowed
 * for the reader's life.
 * Returns 0 with *out, or a negative code with a message.
 */
int tk_audit_reader_open_files(struct tk_audit_reader **out,
    const char *const *files, size_t n, const struct tk_audit_read_opts *o);

/*
 * Opens where the policy records (its audit.path).  TK_ENOTFOUND when the
 * policy records nowhere.
 */
int tk_audit_reader_open(struct tk_audit_reader **out,
    const struct tk_policy *p, const struct tk_audit_read_opts *o);

/*
 * PostgreSQL (audit.postgres, docs/postgres.md); conninfo_file is the file
 * holding the connection string.  Each returns 0, or a negative code with
 * a message that never quotes the connection string.
 *
 * tk_audit_reader_open_pg: a reader of the database's whole chain.
 * tk_audit_pg_init: creates or upgrades the schema (idempotent).
 * tk_audit_pg_export: writes the record lines, in chain order, to out
 * (a file `twokey audit verify FILE` checks offline); *n the count.  With
 * since > INT64_MIN, the chain from the first record whose time is at or
 * after since, to the end: a contiguous tail, so that `verify --rotated`
 * checks it (records after it are kept whatever their time, since nodes'
 * clocks may differ).
 */
int tk_audit_reader_open_pg(struct tk_audit_reader **out,
    const char *conninfo_file, const struct tk_audit_read_opts *o);
int tk_audit_pg_init(const char *conninfo_file);
int tk_audit_pg_export(
    FILE *out, const char *conninfo_file, int64_t since, size_t *n);

/*
 * Ends this program's twokey-pg session (one helper process and one
 * connection serve every database operation of a run; the first starts
 * it): waits for the helper to close its connection, which rolls back
 * anything left uncommitted.  Harmless when none was started.
 */
void tk_audit_pg_end(void);

/*
 * The next record in chain order: returns 1 with *rec borrowed until the
 * next call, 0 at the end, or a negative code (the store cannot be read).
 * The chain is checked as records go by; a break does not stop reading
 * (see tk_audit_reader_chain), and a line that is not a readable record is
 * counted and skipped.  At the end, the store's head (the newest hash the
 * writer recorded) is compared with the last record: records removed
 * from the end break the chain there.
 */
int tk_audit_next(
    struct tk_audit_reader *r, const struct tk_audit_record **rec);

/* The chain status so far (complete once tk_audit_next returned 0). */
const struct tk_audit_chain *tk_audit_reader_chain(
    const struct tk_audit_reader *r);

/* The name of source i, for messages and report headers. */
const char *tk_audit_reader_source(const struct tk_audit_reader *r, size_t i);
size_t tk_audit_reader_nsources(const struct tk_audit_reader *r);

void tk_audit_reader_free(struct tk_audit_reader *r);

/* ---- Filters (docs/audit.md, "Filters") ----------------------------- */

enum tk_audit_decision_filter {
	TK_AUDIT_ANY = 0,
	TK_AUDIT_ACCEPTED,
	TK_AUDIT_REFUSED
};

struct tk_audit_filter {
	/* As given (borrowed); NULL: no filter on it. */
	const char *repo, *ref, *pusher;
	const char *since_text, *until_text;
	/* Parsed: inclusive bounds in seconds; INT64_MIN/INT64_MAX: open. */
	int64_t since, until;
	enum tk_audit_decision_filter decision;
	/* Resolved against the log by tk_audit_filter_resolve(). */
	char *ref_full; /* the full ref name --ref stands for */
};

#define TK_AUDIT_FILTER_INIT                                                   \
	{                                                                      \
		NULL, NULL, NULL, NULL, NULL, INT64_MIN, INT64_MAX,            \
		    TK_AUDIT_ANY, NULL                                         \
	}

/*
 * Parses a date for --since (start of the period it names) or --until
 * (its end, inclusive): YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDTHH,
 * YYYY-MM-DDTHH:MM (UTC), or RFC 3339 (YYYY-MM-DDTHH:MM:SS[.frac] with Z
 * or +HH:MM/-HH:MM).  "2026-11" until means the end of November.
 * TK_EINVAL with a message naming the value when it does not parse or
 * names no real time (2026-13, 2026-02-30, 25:00).
 */
int tk_audit_parse_date(int64_t *out, const char *s, bool end_of_period);

/* "accepted" or "refused"; TK_EINVAL otherwise (message names it). */
int tk_audit_parse_decision(enum tk_audit_decision_filter *out, const char *s);

/*
 * Sets the filter's text fields and parses its dates; TK_EINVAL with a
 * message naming the value on a bad date or a period that ends before it
 * starts.
 */
int tk_audit_filter_dates(
    struct tk_audit_filter *f, const char *since, const char *until);

/*
 * Resolves --ref, --repo and --pusher against the records of the reader
 * (which it reads to the end: open a new reader to read them again).  A
 * short ref name X stands for refs/heads/X or refs/tags/X, whichever the
 * log names ("heads/X", "tags/X" and full "refs/..." names too); both is
 * ambiguous.  A value no record names is an error: a filter that cannot
 * match must not read as "no changes".  TK_EINVAL with a message.
 */
int tk_audit_filter_resolve(
    struct tk_audit_filter *f, struct tk_audit_reader *r);

/*
 * Whether the repository path matches the --repo value: the same path
 * (trailing slashes ignored), or, for a value without '/', its last
 * component with or without ".git".
 */
bool tk_audit_repo_matches(const char *repo, const char *want);

/* Record-level match: time, repo, pusher. */
bool tk_audit_filter_record(
    const struct tk_audit_filter *f, const struct tk_audit_record *rec);
/* Ref-level match: the resolved ref and the decision for that ref. */
bool tk_audit_filter_ref(const struct tk_audit_filter *f,
    const struct tk_audit_record *rec, const struct tk_audit_ref *ref);

void tk_audit_filter_release(struct tk_audit_filter *f);

/* Formats t as YYYY-MM-DDTHH:MM:SSZ into out (at least 21 bytes). */
void tk_audit_time_str(char *out, size_t size, int64_t t);

#endif
