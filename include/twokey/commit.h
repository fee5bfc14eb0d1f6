/*
 * twokey: reading raw commit objects the way git does.
 *
 * The payload a commit signature covers, and the fields the approval payload
 * uses, are taken from the raw object bytes, never from libgit2's parsed
 * commit or its signature extraction (which reads the message body and
 * mishandles duplicate and gpgsig-sha256 headers).
 */
#ifndef TWOKEY_COMMIT_H
#define TWOKEY_COMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds on one commit object; larger objects are refused. */
#define TK_COMMIT_MAX_SIZE (8u * 1024 * 1024)
#define TK_COMMIT_MAX_PARENTS 64
/*
 * Latest author/committer time accepted (9999-12-31T23:59:59Z): a bound far
 * below any overflow, so later date arithmetic and formatting stay safe.
 */
#define TK_COMMIT_MAX_TIME INT64_C(253402300799)

enum tk_sig_format {
	TK_SIG_NONE = 0, /* no gpgsig header */
	TK_SIG_SSH, /* -----BEGIN SSH SIGNATURE----- */
	TK_SIG_PGP, /* -----BEGIN PGP SIGNATURE----- */
	TK_SIG_X509, /* -----BEGIN SIGNED MESSAGE----- */
	TK_SIG_UNKNOWN /* anything else */
};

/* One person line ("author"/"committer"), split. */
struct tk_person {
	const char *raw; /* header value, byte for byte */
	size_t raw_len;
	const char *name; /* up to " <", trailing spaces dropped as git's
	                     split_ident_line() drops them */
	size_t name_len;
	const char *email; /* between '<' and '>' */
	size_t email_len;
	int64_t when; /* seconds since the epoch, as written */
};

/*
 * A parsed commit.  All pointers point into memory owned by the struct;
 * strings are not NUL-terminated unless said so.
 */
struct tk_commit {
	char tree[65]; /* hex, NUL-terminated */
	char (*parents)[65];
	size_t nparents;
	struct tk_person author;
	struct tk_person committer;
	const char *encoding; /* first "encoding" header's value, as git's
	                         find_commit_header() reads it; NULL if none */
	size_t encoding_len;
	unsigned nencoding; /* how many "encoding" headers */
	bool encoding_folded; /* the first one has continuation lines */
	const char *message; /* everything after the first empty line */
	size_t message_len;
	enum tk_sig_format sig_format;
	char *signature; /* gpgsig value, continuation lines unfolded the way
	                    git does (lines joined by '\n', trailing '\n');
	                    NUL-terminated; NULL when unsigned */
	size_t signature_len;
	char *signed_payload; /* the raw object minus every gpgsig* header and
	                         its continuation lines; what git verifies */
	size_t signed_payload_len;
	char *raw_; /* private copy of the object */
};

/*
 * Parses the raw bytes of a commit object (without git's "commit <len>\0"
 * prefix).  Refuses, with TK_EINVAL and a message naming the problem: a NUL
 * byte anywhere, headers out of git's order (tree, parent..., author,
 * committer), a missing or malformed tree/parent/author/committer line, more
 * than TK_COMMIT_MAX_PARENTS parents, and more than one gpgsig header for
 * the repository's hash (git would concatenate them; no honest tool writes
 * two).  hexlen is 40 for SHA-1 repositories and 64 for SHA-256 ones (own
 * signature header "gpgsig-sha256"); anything else is TK_EINVAL.  Objects
 * over TK_COMMIT_MAX_SIZE give TK_ETOOBIG.  *out (free with tk_commit_free)
 * is NULL on failure.
 *
 * Stricter than git where git's reading is ambiguous: a header line without
 * its newline, a continuation line right after the committer line, and a
 * second tree/parent/author/committer header among the extra headers are
 * refused.  Person lines follow "git fsck": "name <email> seconds +hhmm",
 * a space before '<', no '<' or '>' in the name or the email, the seconds
 * without leading zeros and at most TK_COMMIT_MAX_TIME.  Every header line
 * starting with "gpgsig" (gpgsig, gpgsig-sha256, any gpgsig*) is cut from
 * signed_payload with its continuation lines, as git does; only the one for
 * this hash becomes the signature.
 */
int tk_commit_parse(
    struct tk_commit **out, const char *raw, size_t len, size_t hexlen);

void tk_commit_free(struct tk_commit *c);

/*
 * Whether c's identity fields read the same for twokey, which compares the
 * raw bytes, and for git, which decodes them before it shows them
 * (docs/spec.md, "Identity fields").  Returns 0, or TK_EUNSUPPORTED with a
 * message naming the field and the reason when: there is more than one
 * "encoding" header, one with continuation lines, or one naming anything
 * but UTF-8 (what git's is_encoding_utf8() takes for UTF-8: "utf-8" or
 * "utf8" in any case); or the author's or committer's name or email is
 * not valid UTF-8, or holds a C0 control, DEL, a C1 control or a
 * bidirectional control (U+061C, U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069); or an email holds a space or an invisible character
 * (U+00AD, U+034F, U+115F, U+1160, U+180E, U+200B..U+200D,
 * U+2060..U+2064, U+3164, U+FEFF, U+FFA0).  The message holds no commit bytes
 * but a sanitized, bounded encoding name.
 */
int tk_commit_check_identity(const struct tk_commit *c);

/*
 * Frees the signature and the signed payload once they were verified
 * (sig_format stays): the rest of a commit is kept for the decision.
 */
void tk_commit_drop_signature(struct tk_commit *c);

/*
 * The subject: the first non-blank line of the message (git log also skips
 * leading blank lines), for display.  Returns a pointer into c and its
 * length, without the newline and trailing white space or CR; "" (length 0)
 * for an empty message.  Not sanitized.
 */
const char *tk_commit_subject(const struct tk_commit *c, size_t *len);

#endif
