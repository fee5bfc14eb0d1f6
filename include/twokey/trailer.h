/*
 * twokey: Approved-by trailers and the approval payload (docs/spec.md,
 * "Approval trailer v1" and "Approval payload v1").
 */
#ifndef TWOKEY_TRAILER_H
#define TWOKEY_TRAILER_H

#include <stdbool.h>
#include <stddef.h>

#include "twokey/buf.h"

struct tk_commit;

/* Bounds: more trailers, or a longer one, and the commit is refused. */
#define TK_TRAILER_MAX_APPROVALS 256
#define TK_TRAILER_MAX_VALUE 32768

enum tk_trailer_problem {
	TK_TRAILER_OK = 0,
	TK_TRAILER_NO_SSHSIG, /* Approved-by without "sshsig:" */
	TK_TRAILER_MALFORMED, /* name/email/sshsig syntax wrong */
	TK_TRAILER_BAD_BASE64, /* sshsig: text is not valid base64 */
	TK_TRAILER_NOT_APPROVAL, /* a note line that is no Approved-by line */
	TK_TRAILER_GIT_CUT /* after a line where git ends the message */
};

/*
 * One Approved-by trailer from the trailer block.  name and email are never
 * NULL: "" when the value did not get that far.
 */
struct tk_approval_trailer {
	char *name; /* display name, trimmed; NUL-terminated; may be "" */
	char *email; /* between '<' and '>'; NUL-terminated */
	unsigned char *sig; /* decoded SSHSIG blob; NULL unless problem==OK */
	size_t sig_len;
	size_t line; /* 1-based line of the trailer within the message */
	enum tk_trailer_problem problem;
	char *text; /* the trailer value unfolded, for reports (raw bytes) */
};

struct tk_approval_list {
	struct tk_approval_trailer *items;
	size_t count;
};

/*
 * Finds the trailer block of msg (the last paragraph, not the first, every
 * line "Key: value" or a continuation) and returns every Approved-by trailer
 * in it (key matched case-insensitively), including malformed ones with
 * their problem set.  A message without a trailer block gives an empty
 * list.  More than TK_TRAILER_MAX_APPROVALS approvals, one longer than
 * TK_TRAILER_MAX_VALUE (raw bytes after the ':', folds included), or a
 * signature decoding to more than TK_SSHSIG_MAX_BLOB bytes gives
 * TK_ETOOBIG.  *out (free with tk_approval_list_free) is NULL on failure.
 *
 * The finer points, as docs/spec.md words them too:
 * - "Key:value" without a space after the ':' is a trailer, as for git; a
 *   space or tab before the ':' makes the line (so the block) not one.
 * - Paragraphs are runs of non-blank lines; leading blank lines do not make
 *   the subject paragraph any less the first.
 * - The value is unfolded by deleting each newline (with a CR before it)
 *   and the spaces and tabs after it; the spaces after the ':' and trailing
 *   white space and CR are dropped.  text holds the result.
 * - Value: name (no '<' or '>', trimmed), "<email>" (non-empty, no white
 *   space, controls or '<'), optional white space (a fold just before
 *   "sshsig:" loses it), "sshsig:" and base64 to the end.  No "sshsig:"
 *   anywhere gives TK_TRAILER_NO_SSHSIG, other syntax errors (including a
 *   NUL byte or nothing after "sshsig:") TK_TRAILER_MALFORMED, a decoder
 *   refusal TK_TRAILER_BAD_BASE64.
 * - The email and "sshsig:" must read the same when the value is unfolded
 *   as git shows it (each newline and the white space after it become one
 *   space): a fold inside either is TK_TRAILER_MALFORMED.
 * - When a line before the block is one where git's interpret-trailers
 *   stops reading the message (a "---" line, as find_patch_start() sees
 *   it, or a "------------------------ >8 ------------------------"
 *   scissors line), git shows no trailer block at all: every approval of
 *   the block is TK_TRAILER_GIT_CUT.  The block itself (and so the
 *   canonical message) is the same either way.
 */
int tk_trailer_parse_approvals(
    struct tk_approval_list **out, const char *msg, size_t len);

void tk_approval_list_free(struct tk_approval_list *l);

/*
 * Parses one Approved-by value (the bytes after "Approved-by:", folds
 * included) into *t, which this zeroes first, exactly as the trailer
 * block's approvals are parsed; line is stored for reports.  The caller
 * has checked len <= TK_TRAILER_MAX_VALUE.  Returns 0 (t->problem says
 * whether it is well formed), TK_ETOOBIG for a signature over
 * TK_SSHSIG_MAX_BLOB bytes, or TK_ENOMEM; on failure t holds what was
 * parsed so far, to be freed with the list it belongs to.
 */
int tk_approval_parse_value(
    struct tk_approval_trailer *t, const char *value, size_t len, size_t line);

/* Frees t's decoded signature once it was verified (sig NULL after). */
void tk_approval_drop_signature(struct tk_approval_trailer *t);

/*
 * Appends the canonical message: msg with every Approved-by line of the
 * trailer block and its continuation lines removed, then trailing blank
 * lines removed, then exactly one '\n'.  The last kept line is not
 * otherwise trimmed.  An empty or all-blank message gives "\n".  Returns 0,
 * TK_ETOOBIG or TK_ENOMEM; on failure out is as it was.
 */
int tk_trailer_canonical_message(
    struct tk_buf *out, const char *msg, size_t len);

/*
 * Appends the approval payload of commit c, the exact bytes an approver
 * signs with namespace "twokey-approval":
 *   "twokey-approval v1\n" "tree <hex>\n" ("parent <hex>\n")*
 *   "author <value>\n" "\n" <canonical message>
 * Used by both the verifier and "twokey approve".  Returns 0, TK_ETOOBIG
 * or TK_ENOMEM; on failure out is as it was.
 */
int tk_trailer_approval_payload(struct tk_buf *out, const struct tk_commit *c);

/*
 * Calls fn(arg, value, vlen, line) for each trailer of msg's trailer block
 * (the block tk_trailer_parse_approvals reads) whose key equals key ASCII
 * case-insensitively, in order, with the value unfolded as git shows it
 * (each newline and the white space after it one space, both ends
 * trimmed; NUL-terminated, may hold other bytes; line is 1-based in msg). value
 * is NULL when the raw value is longer than TK_TRAILER_MAX_VALUE.  A block
 * git does not show (see TK_TRAILER_GIT_CUT) has no trailers here.  Returns
 * fn's first non-zero return, else 0, or TK_ENOMEM.
 */
int tk_trailer_each(const char *msg, size_t len, const char *key,
    int (*fn)(void *arg, const char *value, size_t vlen, size_t line),
    void *arg);

/*
 * Whether "git commit --trailer" would put a new trailer where twokey does
 * not read it: msg has no trailer block by twokey's rules, yet git's
 * interpret-trailers rules would append to its last paragraph (all of it
 * "Key: value" by git's looser reading, or a "Signed-off-by: " or
 * "(cherry picked from commit " line with at least a quarter of the lines
 * trailers, as git cherry-pick -x leaves it), or the message has a "---"
 * line git puts trailers before.  For a warning in "twokey approve
 * --trailer"; git's trailer.* configuration is not consulted.
 */
bool tk_trailer_git_would_hide(const char *msg, size_t len);

#endif
