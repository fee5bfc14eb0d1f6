/*
 * twokey: emergencies pending ratification (docs/spec.md, "Emergency
 * changes"; docs/emergency.md).
 *
 * An emergency push (-o twokey.emergency=<reason>) lands with some checks
 * waived; its entering commits must then be ratified by detached
 * approvals (notes) before its deadline.  The state below is what lets a
 * later push know that: every emergency ever accepted, pending or
 * ratified, with the commits to ratify and who wrote each of them.
 *
 * The state is kept behind a small storage interface (struct
 * tk_emergency_store, its operations in lib/emergency/store.h): the file
 * store (<audit.path>.emergencies, beside the audit log, so that one
 * policy's repositories share it as they share the log; it is NOT part of
 * the log and is never rotated with it), or with audit.postgres the
 * database store (table twokey_emergencies, shared by every node, its
 * writes committed with the audit record that follows them).  Every
 * operation fails closed: a state that cannot be read or does not parse
 * is an error, and the hooks then refuse.
 *
 * Use:
 *   tk_emergency_store_open(&s, policy)       which store, from the policy
 *   tk_emergency_store_read(s, &st)           a snapshot (takes the lock
 *                                             for the read only)
 *   tk_emergency_store_lock(s, &st)           exclusive: read under the lock
 *   tk_emergency_store_write(s, &st)          replace, durably, still locked
 *   tk_emergency_store_unlock(s)              release
 *   tk_emergency_store_free(s)
 * A writer must hold the lock from the read it bases its change on to
 * its write: concurrent pushes then never lose each other's entries.
 */
#ifndef TWOKEY_EMERGENCY_H
#define TWOKEY_EMERGENCY_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twokey/buf.h"

struct tk_policy;
struct tk_rule;

#define TK_EMERGENCY_MAX_ENTRIES 20000 /* emergencies a state holds */
#define TK_EMERGENCY_MAX_COMMITS 1000 /* entering commits of one */
#define TK_EMERGENCY_MAX_STATE (64u * 1024 * 1024) /* bytes */
#define TK_EMERGENCY_MAX_FIELD 4096 /* bytes of one text field */

/* One entering commit of an emergency and who wrote it. */
struct tk_emergency_commit {
	char id[65]; /* hex */
	char **writers; /* identity ids (author, committer, signer) */
	size_t nwriters;
	/*
	 * What identifies the writers whatever the policy says of them later
	 * (state version 2; empty in an entry read from version 1): the
	 * author and committer emails as the commit names them, and the
	 * "SHA256:..." fingerprint of a key whose signature on it verified.
	 * A ratifier any of whose emails or keys is among them wrote it.
	 */
	char **emails;
	size_t nemails;
	char **keys;
	size_t nkeys;
};

#define TK_EMERGENCY_MAX_WRITERS 16 /* of each kind, per commit */
#define TK_EMERGENCY_MAX_PUSHER_AS 64 /* pusher_as entries */

struct tk_emergency_entry {
	uint64_t seq; /* assigned by the store, 1, 2, ... */
	int64_t time; /* of the push */
	int64_t ratify_by; /* time + ratify.within */
	int64_t ratified; /* when it was ratified; 0 while pending */
	unsigned waived; /* tk_waive bits */
	bool block; /* overdue: block (else warn) */
	char *repo; /* repository path, as the audit record names it */
	char *ref; /* the ref git wrote */
	char *old, *new_; /* hex */
	char *pusher; /* identity id */
	char *rule; /* the rule's name */
	char *reason;
	struct tk_emergency_commit *commits;
	size_t ncommits;
	char *ratifiers; /* "alice, bob" once ratified, else NULL */
	/*
	 * What identified the pusher at push time (state version 2):
	 * "login:<login>", "email:<email>", "key:<fingerprint>" of the
	 * pusher's identity then, so that pusher-may-approve: false still
	 * holds once that identity is renamed.
	 */
	char **pusher_as;
	size_t npusher_as;
};

struct tk_emergency_state {
	struct tk_emergency_entry *items;
	size_t n, cap;
	uint64_t next; /* the seq the next entry gets */
};

/* Frees what entry e holds and zeroes it. */
void tk_emergency_entry_release(struct tk_emergency_entry *e);

/* Frees everything st holds and zeroes it. */
void tk_emergency_state_release(struct tk_emergency_state *st);

/*
 * The repository an emergency belongs to, as the state keeps it: the
 * repository's path, and under $GIT_NAMESPACE (ns, the ref prefix git
 * puts before every name there; "" or NULL without one) " (namespace
 * PREFIX)" after it, so that one namespace's emergencies never block or
 * get ratified in another.  Appends to out; 0 or a buffer error.
 */
int tk_emergency_repo_key(struct tk_buf *out, const char *path, const char *ns);

/*
 * Appends a copy of e (every string and commit copied) with the next
 * seq.  0, TK_ETOOBIG past TK_EMERGENCY_MAX_ENTRIES, or TK_ENOMEM.
 */
int tk_emergency_state_add(
    struct tk_emergency_state *st, const struct tk_emergency_entry *e);

/*
 * The state as text (the file store's format, docs/emergency.md,
 * "State") and back.  Parsing refuses (TK_EINVAL, message naming the
 * line) anything that is not exactly what serializing writes.
 */
int tk_emergency_state_format(
    struct tk_buf *out, const struct tk_emergency_state *st);
int tk_emergency_state_parse(
    struct tk_emergency_state *st, const char *text, size_t len);

/* Whether entry e is past its deadline at now and not ratified. */
bool tk_emergency_overdue(const struct tk_emergency_entry *e, int64_t now);

struct tk_emergency_store;

/*
 * The store for policy p: the file <audit.path>.emergencies when the
 * policy records to a file, the audit database with audit.postgres.
 * TK_ENOTFOUND when the policy records nowhere (no emergency can then be
 * recorded).
 */
int tk_emergency_store_open(
    struct tk_emergency_store **out, const struct tk_policy *p);

/*
 * Reads the whole state into st (zeroed by the caller; released with
 * tk_emergency_state_release in every case).  A missing state is empty;
 * an unreadable or corrupt one is an error (TK_EIO, TK_EINVAL).
 */
int tk_emergency_store_read(
    struct tk_emergency_store *s, struct tk_emergency_state *st);

/* Takes the exclusive lock, then reads as above. */
int tk_emergency_store_lock(
    struct tk_emergency_store *s, struct tk_emergency_state *st);

/*
 * Replaces the state with st, durably (written whole, flushed, then put
 * in place atomically), under the lock taken by tk_emergency_store_lock.
 * A store with tk_emergency_store_with_record makes it durable only with
 * the next audit record instead.
 */
int tk_emergency_store_write(
    struct tk_emergency_store *s, const struct tk_emergency_state *st);

void tk_emergency_store_unlock(struct tk_emergency_store *s);

/* Where the store is, for messages ("/var/log/twokey/audit.jsonl..."). */
const char *tk_emergency_store_where(const struct tk_emergency_store *s);

/*
 * Whether s's writes are committed by the audit record appended next
 * through the same connection (the database store: one transaction), so
 * that unlocking without one takes them back by itself.  false: each
 * write is durable when it returns (the file store).
 */
bool tk_emergency_store_with_record(const struct tk_emergency_store *s);

void tk_emergency_store_free(struct tk_emergency_store *s);

/*
 * Checks a pusher's reason before any pattern sees it: 1 to
 * TK_EMERGENCY_MAX_REASON bytes of valid UTF-8 without control
 * characters.  NULL when acceptable, else why not (a constant).
 */
const char *tk_emergency_reason_invalid(const char *reason);

/* ---- Ratification (ratify.c) ----------------------------------------- */

/*
 * Whether entry e is ratified by the detached approvals in the notes
 * commit notes (NULL: no notes ref) under rule's emergency.ratify (the
 * rule of e->ref in policy p now): every commit of e needs at least min
 * valid note approvals by distinct identities holding a role of from,
 * and require's per-role minimums, none of them a writer of that commit,
 * nor e's pusher when the rule has pusher-may-approve: false.  Returns
 * 1 with *ratifiers set ("alice, bob", caller frees: everyone counted on
 * any commit), 0 when not (yet), or a negative code when the notes could
 * not be read (the caller fails closed).
 */
int tk_emergency_ratified(char **ratifiers, git_repository *repo,
    const git_oid *notes, const struct tk_policy *p, const struct tk_rule *rule,
    const struct tk_emergency_entry *e, int64_t now);

#endif
