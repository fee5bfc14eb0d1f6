/*
 * twokey: detached approvals in git notes (docs/spec.md, "Detached
 * approvals").
 *
 * The note on commit C in refs/notes/twokey holds approval lines, one a
 * line, each the trailer form on one line:
 *   Approved-by: Name <email> sshsig:BASE64
 * Blank lines are ignored; nothing else may be there.  A note approval of
 * C is verified exactly like an Approved-by trailer of C.
 *
 * Reading costs per annotated commit, never per note: a note is found by
 * walking the notes tree along the paths git may have put it at (the full
 * hex name at the top, or under fanout directories "ab/", "ab/cd/", ...),
 * with a binary search in each tree; nothing ever lists all the notes.
 */
#ifndef TWOKEY_NOTES_H
#define TWOKEY_NOTES_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tk_buf;
struct tk_approval_list;
struct tk_identity;
struct tk_policy;

#define TK_NOTES_REF "refs/notes/twokey"

/* Bounds on what the notes ref may hold and what one update may change. */
#define TK_NOTE_MAX_SIZE (256u * 1024) /* bytes of one note, all blobs */
#define TK_NOTE_MAX_LINES 256 /* non-blank lines of one note */
#define TK_NOTES_MAX_CHANGED 10000 /* notes one ref update changes */
#define TK_NOTES_MAX_COMMITS 10000 /* notes commits one update brings */
#define TK_NOTES_MAX_ENTRIES 1000000 /* tree entries one update reads */
#define TK_NOTES_MAX_ADDED 10000 /* approval lines one update adds */
/* Note bytes one update may read. */
#define TK_NOTES_MAX_READ (64u * 1024 * 1024)

/*
 * The full name under which the notes ref is stored in this repository:
 * TK_NOTES_REF, inside $GIT_NAMESPACE when that is set (tk_repo_ref_name).
 * *out (caller frees) is NULL on failure; TK_EINVAL for a namespace git
 * would refuse.
 */
int tk_notes_ref_name(char **out);

/*
 * The notes commit the notes ref points at (inside $GIT_NAMESPACE, through
 * symbolic refs as libgit2 reads them): 1 with *out set, 0 when the ref
 * does not exist, or a negative code (message set) when it cannot be read.
 * The hooks read it through the engine's namespace-aware lookup instead.
 */
int tk_notes_tip(git_oid *out, git_repository *repo);

/* A notes commit opened for reading. */
struct tk_notes;

/*
 * Opens notes commit id (NULL: no notes at all; every read is empty).
 * Returns 0, TK_EINVAL when id names no commit (message says what it
 * is), TK_EGIT, TK_ENOMEM.  *out (free with tk_notes_free) is NULL on
 * failure.  repo must outlive *out.  Not for use by several threads.
 */
int tk_notes_open(
    struct tk_notes **out, git_repository *repo, const git_oid *id);

/* Same, on a notes tree rather than a commit. */
int tk_notes_open_tree(
    struct tk_notes **out, git_repository *repo, const git_oid *tree);

void tk_notes_free(struct tk_notes *n);

/*
 * Appends the note on object id to out: the blob at every path git may
 * have stored it at (full name, then under each fanout level), each
 * ending with a newline, in that order.  Appends nothing when there is
 * none.  Returns 0, TK_ETOOBIG (note over TK_NOTE_MAX_SIZE bytes, or the
 * buffer's own bound), TK_EINVAL (an entry on the path is not a blob or
 * not a tree where git expects one), TK_EGIT or TK_ENOMEM; out is as it
 * was on failure.
 */
int tk_notes_read(struct tk_buf *out, struct tk_notes *n, const git_oid *id);

/*
 * Parses note text: every non-blank line (blank: only spaces, tabs and
 * CR) becomes an item, an Approved-by line parsed as a trailer value
 * (key matched case-insensitively, no folding), anything else an item
 * with problem TK_TRAILER_NOT_APPROVAL and text the line.  Items' line is
 * the 1-based line number.  Returns 0, TK_ETOOBIG (over TK_NOTE_MAX_SIZE
 * bytes, TK_NOTE_MAX_LINES non-blank lines, a line over
 * TK_TRAILER_MAX_VALUE bytes), TK_ENOMEM.  *out (free with
 * tk_approval_list_free) is NULL on failure.
 */
int tk_notes_parse(struct tk_approval_list **out, const char *text, size_t len);

/* One line of note text, without its newline. */
struct tk_span {
	const char *p;
	size_t len;
};

/*
 * How note text b differs from note text a, as sets of non-blank lines
 * compared byte for byte (order, repeats and blank lines do not matter:
 * git notes merge -s cat_sort_uniq sorts and deduplicates): the lines of
 * b that a lacks (added) and the lines of a that b lacks (removed), each
 * without repeats, pointing into a and b.
 */
struct tk_notes_delta {
	struct tk_span *added;
	size_t nadded;
	struct tk_span *removed;
	size_t nremoved;
};

/*
 * Fills d (zeroed by the caller; release with tk_notes_delta_release).
 * Returns 0, TK_ETOOBIG past TK_NOTE_MAX_LINES non-blank lines on either
 * side, or TK_ENOMEM.
 */
int tk_notes_compare(struct tk_notes_delta *d, const char *a, size_t alen,
    const char *b, size_t blen);

void tk_notes_delta_release(struct tk_notes_delta *d);

/*
 * For each of the n lines (lines of note text), sets dup[i] when text
 * holds another, different line that approves with the same key (the
 * public key inside its SSHSIG blob) and the same email, ASCII case
 * ignored: the same approval written again with another display name,
 * spacing, key case or email case.  Anyone can copy a published approval
 * that way; the guard refuses such copies so that nobody can fill a note
 * up to TK_NOTE_MAX_LINES and lock out the approvals still to come.
 * Returns 0, TK_ETOOBIG (over TK_NOTE_MAX_LINES lines) or TK_ENOMEM.
 */
int tk_notes_repeats(bool *dup, const char *text, size_t len,
    const struct tk_span *lines, size_t n);

/*
 * The objects whose notes may differ between notes trees a and b (NULL:
 * the empty tree), found by descending only into subtrees that differ.
 * Every entry of either side that differs must be a note: a blob (mode
 * 100644; on the old side also 100755) whose path, directories included,
 * spells 40 lowercase hex digits, under directories of 2 lowercase hex
 * digits, in trees whose entries are in git's order.  The first entry
 * that is not is described in *bad ("path: why"), and the walk stops;
 * the caller refuses.  ids come sorted, without repeats; a note that
 * moved between fanout levels is in them although it may not differ.
 * *budget is the number of tree entries the caller still allows (reading
 * a tree costs its entry count); past it, TK_ETOOBIG.  Returns 0,
 * TK_ETOOBIG, TK_EGIT, TK_ENOMEM.  *ids and *bad (caller frees) are NULL
 * on failure.
 */
int tk_notes_changed(git_oid **ids, size_t *n, char **bad, git_repository *repo,
    const git_oid *a, const git_oid *b, size_t *budget);

/* One line of a note, verified. */
struct tk_note_approval {
	const struct tk_identity *identity; /* NULL: not a valid approval */
	char *email; /* the email the line names; "" when it did not parse */
	char key[64]; /* "SHA256:..." of the signing key, or "" */
	char *why; /* NULL when valid, else why not */
	size_t line; /* 1-based line in the note */
};

struct tk_note_approvals {
	struct tk_note_approval *items;
	size_t n;
};

/*
 * The approvals of commit id in notes n (see tk_notes_open), each checked
 * as the hooks check an approval: it parses, its signature verifies with
 * namespace twokey-approval over id's approval payload, its key is in
 * policy p, not revoked, valid at now, and the email it names belongs to
 * the key's identity.  One item per non-blank line of the note, valid or
 * not; several items may name the same identity.  Whether an identity is
 * a writer, holds a role or is the pusher is the caller's to judge.
 * Returns 0 (out empty when there is no note), TK_ETOOBIG for an
 * oversized note, TK_ENOTFOUND when id is no commit the repository has,
 * TK_EINVAL, TK_EGIT, TK_ENOMEM.  out (release with
 * tk_note_approvals_release) is empty on failure.
 */
int tk_notes_verify(struct tk_note_approvals *out, struct tk_notes *n,
    git_repository *repo, const struct tk_policy *p, int64_t now,
    const git_oid *id);

void tk_note_approvals_release(struct tk_note_approvals *a);

#endif
