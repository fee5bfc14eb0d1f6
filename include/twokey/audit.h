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
 */
#ifndef TWOKEY_AUDIT_H
#define TWOKEY_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tk_buf;
struct tk_policy;
struct tk_updates;
struct tk_report;

#define TK_AUDIT_MAX_RECORD (64u * 1024 * 1024)
#define TK_AUDIT_MAX_KEY 4096
#define TK_AUDIT_MAX_PUSH_OPTIONS 100

/* What the hook knows about the push besides the report. */
struct tk_audit_push {
	const char *hook; /* "pre-receive", "update", "check" */
	const char *repo; /* repository path */
	int64_t now; /* seconds since the epoch */
	const char *error; /* set when the push could not be decided */
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
 * U+FFFD, control characters \u00XX.
 */
int tk_audit_format(struct tk_buf *out, const struct tk_policy *p,
    const struct tk_updates *u, const struct tk_report *r,
    const struct tk_audit_push *push);

/* Appends s (len bytes) to out as a JSON string literal, quotes included. */
int tk_json_string(struct tk_buf *out, const char *s, size_t len);

/* Reads the key file (at most TK_AUDIT_MAX_KEY bytes, not empty). */
int tk_audit_read_key(unsigned char **key, size_t *keylen, const char *path);

struct tk_audit_verify {
	bool allow_rotated; /* in: accept a first record that links to an
	                       earlier file */
	size_t records; /* records checked */
	size_t bad_file; /* index of the file with the first problem */
	size_t bad_line; /* its 1-based line; 0 when all is well */
	char problem[256];
	bool rotated; /* the first file continues an earlier one */
	size_t unchecked_hmacs; /* records with an HMAC, checked without key */
	char last_hash[65];
};

/*
 * Checks the chain through files[0..n) in order: every record's own hash,
 * its link to the one before (across files too), and with a key every
 * HMAC.  The very first record must start the chain (prev all zeros)
 * unless v->allow_rotated is set on entry.  Returns 0 when intact, TK_EINVAL at
 * the first break (described in v), TK_EIO when a file cannot be read.
 */
int tk_audit_verify_files(struct tk_audit_verify *v, const char *const *files,
    size_t n, const unsigned char *key, size_t keylen);

#endif
