/*
 * Private to lib/audit: where records are kept, behind one interface.
 *
 * The chain logic (what prev, hash and hmac are, chain.c) and the record's
 * schema (record.c, reader.c) do not know whether records live in files or
 * in a database: a store appends one sealed record under its chain lock,
 * hands back record lines in chain order, and names the newest hash it
 * wrote (its head).  file.c is the file store (audit.path); a database
 * store implements the same operations.
 */
#ifndef TK_AUDIT_STORE_H
#define TK_AUDIT_STORE_H

#include "internal.h"
#include "twokey/audit.h"
#include "twokey/digest.h"

#define TK_ZERO_HASH                                                           \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Where records go: what a policy (or the state file) says. */
struct tk_audit_dest {
	const char *path; /* audit.path */
	const char *key_file; /* audit.key-file, or NULL */
	bool syslog;
	const char *postgres; /* audit.postgres, or NULL */
	const char *node; /* audit.node, or NULL: the host name */
};

/* One record line handed back by a store. */
struct tk_audit_line {
	const char *ptr; /* without its '\n'; borrowed until the next call */
	size_t len;
	bool terminated; /* it ended in '\n' (else the store was cut) */
	bool too_long; /* over TK_AUDIT_MAX_RECORD: ptr holds nothing */
	size_t source, lineno; /* which file (or 0), 1-based line */
};

struct tk_audit_store;

/*
 * A large record is formatted a piece at a time into an unlinked file
 * (tk_audit_spool_put), then copied into the log under its lock while
 * it is hashed: the hook never holds a record of 40 MB.  fd < 0: nothing
 * spooled (records under TK_AUDIT_SPOOL_AT never are).
 */
#define TK_AUDIT_SPOOL_AT (1u << 20)
struct tk_audit_spool {
	int fd;
	size_t len; /* bytes in the file */
};
#define TK_AUDIT_SPOOL_INIT                                                    \
	{                                                                      \
		-1, 0                                                          \
	}
/* Moves b's bytes to the spool's end: 0, or b->err set and returned. */
int tk_audit_spool_put(struct tk_audit_spool *sp, struct tk_buf *b);
/* Reads the spool's bytes from off into p[0..n): 0 or TK_EIO. */
int tk_audit_spool_read(
    const struct tk_audit_spool *sp, size_t off, void *p, size_t n);
void tk_audit_spool_close(struct tk_audit_spool *sp);

/*
 * A commit record of the audit record in two parts (record.c): from its
 * start through "author", and the rest; owner is the record of the chain
 * commit that answers for it (covered_by), or NULL.
 */
void tk_audit_commit_head(struct tk_buf *b, const struct tk_commit_record *cr);
void tk_audit_commit_tail(struct tk_buf *b, const struct tk_policy *p,
    const struct tk_commit_record *cr, const struct tk_commit_record *owner);
/*
 * Appends the records of update that s holds to b, in order, each after
 * a comma when *m (counted) is not 0; moves b to out (when not NULL) as
 * it passes TK_AUDIT_SPOOL_AT.  0, or an error (s's own, or reading).
 */
int tk_audit_commits_copy(const struct tk_audit_commits *s, size_t update,
    struct tk_buf *b, struct tk_audit_spool *out, size_t *m);

struct tk_audit_store_ops {
	/*
	 * Appends the record whose body (every field up to, not including,
	 * ,"prev") is in body: under the chain lock it takes the previous
	 * hash, seals body with tk_audit_seal() and stores the line durably
	 * before returning 0.  Any failure returns a negative code with a
	 * message, and nothing is appended.
	 */
	int (*append)(struct tk_audit_store *s, struct tk_buf *body,
	    const unsigned char *key, size_t keylen);
	/*
	 * The next record line in chain order: 1 with *line filled, 0 at
	 * the end, or a negative code with a message.
	 */
	int (*next)(struct tk_audit_store *s, struct tk_audit_line *line);
	/*
	 * The newest hash the writer recorded (*have false when it keeps
	 * none, e.g. no head file); read at the end of reading.
	 */
	int (*head)(struct tk_audit_store *s, char head[65], bool *have);
	/* A name for source i ("/var/log/twokey/audit.jsonl"). */
	const char *(*source)(const struct tk_audit_store *s, size_t i);
	size_t (*nsources)(const struct tk_audit_store *s);
	void (*free)(struct tk_audit_store *s);
};

struct tk_audit_store {
	const struct tk_audit_store_ops *ops;
};

/*
 * The file store for writing to dest->path (a log file, its .head file
 * beside it as head and lock), or for reading files[0..n) in order.
 * Returns 0 with *out, or a negative code with a message.
 */
int tk_audit_file_store_writer(
    struct tk_audit_store **out, const struct tk_audit_dest *dest);
/*
 * The file store's append for a spooled record (the other stores take
 * whole bodies: tk_audit_append_spooled reads the spool back for them).
 */
int tk_audit_file_append_spooled(const char *path,
    const struct tk_audit_spool *sp, struct tk_buf *body,
    const unsigned char *key, size_t keylen);
int tk_audit_file_store_reader(
    struct tk_audit_store **out, const char *const *files, size_t n);

/*
 * The PostgreSQL store (pg.c): a writer appending to the one chain of
 * every node, or a reader of the whole chain, both from the connection
 * string in the file conninfo_file.  TK_EUNSUPPORTED when built without
 * TWOKEY_POSTGRES or libpq.so.5 cannot be loaded.
 */
int tk_audit_pg_store_writer(
    struct tk_audit_store **out, const struct tk_audit_dest *dest);
int tk_audit_pg_store_reader(
    struct tk_audit_store **out, const char *conninfo_file);

/*
 * Runs the twokey-pg helper (pgclient.c) with argv[1..] (argv[0] is
 * filled in), input on its stdin and its stdout into out (NULL: dropped):
 * for the freeze and emergency state kept beside the chain.  0, or
 * TK_EIO with the first line of its stderr (sanitized) as the message.
 */
int tk_audit_pg_run(
    char **argv, const char *input, size_t inlen, struct tk_buf *out);

/*
 * Opens the store a destination names, for appending (the one place that
 * chooses between kinds of store).
 */
int tk_audit_store_for(
    struct tk_audit_store **out, const struct tk_audit_dest *dest);

/* Appends body under dest's lock, then the syslog line when asked. */
int tk_audit_append(
    const struct tk_audit_dest *dest, struct tk_buf *body, const char *summary);
/* The same for a record whose first bytes are in sp (may be empty). */
int tk_audit_append_spooled(const struct tk_audit_dest *dest,
    const struct tk_audit_spool *sp, struct tk_buf *body, const char *summary);

/*
 * tk_audit_format, moving the body into sp whenever a commit record ends
 * past TK_AUDIT_SPOOL_AT bytes: the body is sp's bytes, then out's.
 */
int tk_audit_format_spooled(struct tk_buf *out, struct tk_audit_spool *sp,
    const struct tk_policy *p, const struct tk_updates *u,
    const struct tk_report *r, const struct tk_audit_push *push);

/* ---- chain.c ---- */

/*
 * Seals a record body: adds ,"prev":"<prev>", computes the hash (and the
 * HMAC with a key) of the canonical bytes, adds ,"hash":...[,"hmac":...]}
 * and '\n'.  On success *hash holds the new hash.
 */
int tk_audit_seal(struct tk_buf *body, const char prev[65],
    const unsigned char *key, size_t keylen, char hash[65]);

/*
 * Splits a record line into its canonical length (up to ,"hash":), prev,
 * hash and optional hmac ("" when absent).  -1 when the tail is not a
 * twokey chain tail.
 */
int tk_audit_split(const char *line, size_t len, size_t *body, char prev[65],
    char hash[65], char hmac[65]);

/*
 * The hash (and HMAC with a key) of a record's canonical bytes, fed in
 * pieces: init, update..., final (hmac "" without a key), free.
 */
struct tk_audit_hasher {
	struct tk_sha256_ctx sha, inner;
	unsigned char opad[64];
	bool keyed;
};
int tk_audit_hasher_init(
    struct tk_audit_hasher *h, const unsigned char *key, size_t keylen);
int tk_audit_hasher_update(struct tk_audit_hasher *h, const void *p, size_t n);
int tk_audit_hasher_final(
    struct tk_audit_hasher *h, char hash[65], char hmac[65]);
void tk_audit_hasher_free(struct tk_audit_hasher *h);

/*
 * tk_audit_seal when the first bytes of the body went to the log already
 * (a spooled record): h holds them; body holds the rest.
 */
int tk_audit_seal_rest(struct tk_audit_hasher *h, struct tk_buf *body,
    const char prev[65], char hash[65]);

/* hash (and hmac, "" without key) of line[0..body) + "}". */
int tk_audit_digest(const char *line, size_t body, const unsigned char *key,
    size_t keylen, char hash[65], char hmac[65]);

/*
 * The chain checker: fed record lines in order, it records the first
 * break in chain (and goes on, relinking to each record read).
 */
struct tk_chain_check {
	struct tk_audit_chain *st;
	struct tk_map *seen;
	bool allow_rotated;
	const unsigned char *key;
	size_t keylen;
	char last[65]; /* hash of the last record read, verified or not */
	char first_prev[65]; /* the first record's prev (a rotated file's last)
	                      */
	bool keyed_seen; /* a record with an HMAC was read */
	bool last_unkeyed; /* the last record read has no HMAC */
	char before_last[65]; /* st->last_hash before the last record */
};

int tk_chain_check_init(struct tk_chain_check *cc, struct tk_audit_chain *st,
    const struct tk_audit_read_opts *o);
/* 0 when the record continues the chain, 1 when it breaks it, <0 error. */
int tk_chain_check_line(
    struct tk_chain_check *cc, const struct tk_audit_line *l);
/*
 * At the end: the store's head must name the last record, or one the chain
 * links back to (a head file a crash left behind).
 */
void tk_chain_check_head(
    struct tk_chain_check *cc, const char *head, size_t source, size_t lineno);
/*
 * At the end, with a key: the last record (source:lineno) must carry an
 * HMAC, since the writer with the key always writes one.
 */
void tk_chain_check_end(
    struct tk_chain_check *cc, size_t source, size_t lineno);
void tk_chain_check_release(struct tk_chain_check *cc);

bool tk_audit_is_hex64(const char *s);

/* Writes all n bytes of p to fd, retrying on EINTR: 0, or -1 with errno. */
int tk_audit_write_all(int fd, const char *p, size_t n);

#endif
