/*
 * twokey: the policy file (version 1; every key in twokey-policy(5),
 * docs/man/twokey-policy.5).
 *
 * A loaded policy is immutable: every struct below is read-only once
 * tk_policy_load() returned it, so worker threads may share it.
 */
#ifndef TWOKEY_POLICY_H
#define TWOKEY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twokey/buf.h"

struct tk_sshkey;
struct tk_pattern;
struct tk_glob;
struct tk_map;

/* Bounds on the policy file. */
#define TK_POLICY_MAX_SIZE (16u * 1024 * 1024) /* bytes */
#define TK_POLICY_MAX_DEPTH 16 /* nested collections */
#define TK_POLICY_MAX_SCALAR 16384 /* bytes in one value */
#define TK_POLICY_MAX_ROLES 256
#define TK_POLICY_MAX_ERRORS 50 /* reported before giving up */
#define TK_LOGIN_MAX_LEN 256 /* a pusher login, in the policy or the env */

/* A set of roles, by index into tk_policy.roles. */
struct tk_roleset {
	uint64_t bits[TK_POLICY_MAX_ROLES / 64];
};

struct tk_identity;
struct tk_freeze;

/*
 * Where a value stands in the policy file (1-based line and column), for
 * the warnings of "twokey config check"; 0 when unknown.
 */
struct tk_pos {
	unsigned line, col;
};

/* A public key of an identity, with its validity window. */
struct tk_key {
	struct tk_sshkey *key;
	int64_t valid_after; /* INT64_MIN when unbounded */
	int64_t valid_before; /* INT64_MAX when unbounded */
	struct tk_identity *owner;
	struct tk_pos pos; /* the key line */
};

struct tk_identity {
	char *id; /* the key under "identities:" */
	char *name; /* display name; the id when absent */
	char **emails;
	size_t nemails;
	char **logins;
	size_t nlogins;
	struct tk_key **keys;
	size_t nkeys;
	struct tk_roleset roles;
	struct tk_pos pos; /* the identity's name under identities: */
};

/* An update/create/delete/force-push list; unset means "no restriction". */
struct tk_rolelist {
	bool set;
	struct tk_roleset roles;
	struct tk_pos pos; /* the list */
};

struct tk_role_min {
	unsigned role;
	unsigned min;
	struct tk_pos pos; /* the role name under require: */
};

enum tk_mode { TK_MODE_ENFORCE = 0, TK_MODE_WARN };

/*
 * The checks an emergency may lift (a rule's "emergency: waive:" list;
 * docs/spec.md, "Emergency changes").  Role checks on the ref (update,
 * create, delete, force-push) have no bit: they are never waived.
 */
enum tk_waive {
	TK_WAIVE_APPROVALS = 1u << 0,
	TK_WAIVE_SIGNED_COMMITS = 1u << 1,
	TK_WAIVE_PUSHER_MAY_WRITE = 1u << 2,
	TK_WAIVE_PROMOTE_FROM = 1u << 3,
	TK_WAIVE_FREEZE = 1u << 4,
};
#define TK_WAIVE_ALL 0x1fu

enum tk_overdue { TK_OVERDUE_WARN = 0, TK_OVERDUE_BLOCK };

/*
 * A rule's "emergency:" block (docs/spec.md, "Emergency changes"): who may
 * push with -o twokey.emergency=<reason>, which reasons, which checks it
 * lifts, and the ratification that must follow within a deadline.
 */
struct tk_emergency {
	struct tk_roleset by; /* never empty */
	char *reason_src; /* NULL: any reason that passes the bounds */
	struct tk_pattern *reason;
	unsigned waive; /* tk_waive bits, never 0 */
	int64_t within; /* seconds */
	/* ratification: the rule's approvals unless ratify: names min/from */
	unsigned min;
	struct tk_roleset from;
	struct tk_role_min *require;
	size_t nrequire;
	enum tk_overdue overdue;
	struct tk_pos pos, by_pos, waive_pos, within_pos, min_pos;
};

/* Bounds on the emergency reason a pusher gives (bytes). */
#define TK_EMERGENCY_MAX_REASON 200
#define TK_EMERGENCY_MAX_WITHIN (366 * 86400)

/*
 * The policy name of one waive bit ("approvals", "signed-commits",
 * "pusher-may-write", "promote-from", "freeze"), NULL for anything else.
 */
const char *tk_waive_name(unsigned bit);

/* Appends "approvals, signed-commits" for the bits set; 0 or an error. */
int tk_waive_format(struct tk_buf *out, unsigned bits, const char *sep);

struct tk_rule {
	char *name;
	char *refs_src;
	struct tk_pattern *refs;
	/*
	 * create, delete and force-push fall back to update when unset; see
	 * tk_rule_roles().
	 */
	struct tk_rolelist update, create, delete_, force_push;
	bool approvals; /* an approvals: block is present */
	unsigned approvals_min;
	struct tk_roleset approvals_from;
	struct tk_role_min *require;
	size_t nrequire;
	bool signed_commits;
	bool pusher_may_approve; /* default true */
	bool pusher_may_write; /* default true */
	char *promote_from; /* NULL when unset */
	enum tk_mode mode;
	unsigned line; /* where the rule starts, 1-based */
	/* Change attributes (lib/policy/paths.c); none when unset. */
	struct tk_path_rule *paths;
	size_t npaths;
	struct tk_trailer_rule *trailers;
	size_t ntrailers;
	char *emails_src;
	struct tk_pattern *emails; /* NULL when unset */
	/*
	 * The first character of the refs pattern; refs_exact when every
	 * character of the pattern stands at refs_pos.col + its offset (one
	 * line, no escapes), so a warning can point into it.
	 */
	struct tk_pos refs_pos;
	bool refs_exact;
	struct tk_pos approvals_pos; /* approvals.min, else approvals: */
	struct tk_emergency *emergency; /* NULL: no emergency path */
};

/*
 * A "paths:" entry: what a change touching a path that match hits adds to
 * its rule (docs/paths.md).  Its approvals are constraints in addition to
 * the rule's own: at least min approvers holding a role of from, and
 * require's per-role minimums; from also holds require's roles, so they
 * count.  min is 0 when only require was given.
 */
struct tk_path_rule {
	char *match_src;
	struct tk_glob *glob;
	bool approvals; /* an approvals: block is present */
	unsigned min;
	struct tk_roleset from;
	struct tk_role_min *require;
	size_t nrequire;
	struct tk_rolelist writers; /* who may write such changes */
	unsigned line, col;
};

/* A "require-trailers:" item: the trailer key, and its value's pattern. */
struct tk_trailer_rule {
	char *key;
	char *src;
	struct tk_pattern *value;
};

#define TK_POLICY_MAX_PATHS 1000 /* paths: entries in one rule */
#define TK_POLICY_MAX_TRAILERS 64 /* require-trailers: keys in one rule */

struct tk_policy {
	char *path;
	char **roles; /* names, by index */
	size_t nroles;
	struct tk_identity **identities;
	size_t nidentities;
	struct tk_key **revoked;
	size_t nrevoked;
	char **pusher_env;
	size_t npusher_env;
	struct tk_rule **rules;
	size_t nrules;
	char *audit_path; /* NULL when unset */
	char *audit_key_file; /* NULL when unset */
	bool audit_syslog;
	/* lookups */
	struct tk_map *by_email; /* lowercased email -> identity */
	struct tk_map *by_login;
	struct tk_map *by_key; /* key blob -> struct tk_key */
	struct tk_map *revoked_map; /* key blob -> struct tk_key */
	struct tk_map *role_index; /* name -> index + 1 */
	/* SHA-256 (hex) of the exact bytes loaded: the policy in force. */
	char sha256[65];
	/* audit.postgres: file holding a libpq connection string, or NULL */
	char *audit_postgres;
	char *audit_node; /* audit.node; NULL: the host name */
	struct tk_pos *role_pos; /* where each role is defined, by index */
	/* planned freezes (freezes:), in policy order (lib/policy/freezes.c) */
	struct tk_freeze *freezes;
	size_t nfreezes;
	char *freeze_file; /* freeze-file:; NULL: the built-in default */
	struct tk_pos freeze_file_pos;
	/*
	 * trusted-history: commits (full ids, raw bytes) that with everything
	 * they reach are never entering (docs/spec.md, "Entering commits");
	 * each must exist at push time.
	 */
	unsigned char (*trusted)[20];
	size_t ntrusted;
	struct tk_pos *trusted_pos;
	/*
	 * A policy read from its compiled form keeps its identities (all
	 * but their struct tk_sshkey) in one arena; NULL otherwise.
	 */
	void *arena;
};

/* Most trusted-history entries a policy may list. */
#define TK_POLICY_MAX_TRUSTED 1000

/*
 * Loads and validates the policy at path.  Returns 0 with *out set, or
 * TK_ECONFIG with *out NULL and every problem found (up to
 * TK_POLICY_MAX_ERRORS) written to *errors as "path:line:col: message"
 * lines; TK_EIO when the file cannot be read, TK_ETOOBIG over
 * TK_POLICY_MAX_SIZE, TK_ENOMEM.  *errors (caller frees) is set whenever
 * the return is not 0, and holds at least one line.
 */
int tk_policy_load(struct tk_policy **out, char **errors, const char *path);

/* Same, from a buffer; name is used in messages. */
int tk_policy_load_buffer(struct tk_policy **out, char **errors,
    const char *name, const char *data, size_t len);

void tk_policy_free(struct tk_policy *p);

/*
 * The SHA-256 (hex) of the file's bytes, read as tk_policy_load() reads
 * them (a bounded regular file): for recording a policy that could not be
 * loaded.  0, or a negative code with a message.
 */
int tk_policy_hash_file(char out[65], const char *path);

/*
 * The compiled policy (lib/policy/compiled.c; docs/spec.md, "The compiled
 * policy"): PATH.compiled, a binary form of the policy at PATH that the
 * hooks use instead of parsing the YAML when its header names the SHA-256
 * of exactly the bytes PATH holds.
 */
#define TK_POLICY_COMPILED_SUFFIX ".compiled"
#define TK_POLICY_COMPILED_MAX (8u * TK_POLICY_MAX_SIZE) /* bytes */

/* The build tag a compiled policy carries ("twokey VERSION"); static. */
const char *tk_policy_compiled_tag(void);

/*
 * Appends the compiled form of p (loaded from YAML: p->sha256 names its
 * bytes) to out.  0, or TK_ETOOBIG / TK_ENOMEM with a message.
 */
int tk_policy_compile(struct tk_buf *out, const struct tk_policy *p);

/*
 * Checks the header and the body's checksum of a compiled policy against
 * sha, the SHA-256 of the policy bytes in force: 0, or TK_EINVAL /
 * TK_ETOOBIG with a message saying why it cannot be used (stale, damaged,
 * another version).
 */
int tk_policy_compiled_check(
    const unsigned char *data, size_t len, const unsigned char sha[32]);

/*
 * Reads a compiled policy (hostile bytes: bounded, strict) whose header
 * must name sha; name becomes the policy's path.  0 with *out set, or a
 * negative code with a message; *out is NULL then.
 */
int tk_policy_compiled_read(struct tk_policy **out, const char *name,
    const unsigned char *data, size_t len, const unsigned char sha[32]);

/*
 * What tk_policy_load_fast() did with PATH.compiled.
 */
enum tk_compiled_use {
	TK_COMPILED_ABSENT = 0, /* no such file: the YAML was parsed */
	TK_COMPILED_USED, /* the policy came from it */
	TK_COMPILED_IGNORED, /* it exists but was not used: *why says why */
};

/*
 * tk_policy_load(), using PATH.compiled when it exists, is a regular
 * file owned by the policy's owner or root, no more writable than the
 * policy, and names the exact bytes read from path; otherwise the YAML
 * decides as tk_policy_load() would (a compiled file never makes a load
 * fail).  *use says which; *why (caller frees, may be NULL) says why a
 * compiled file present was ignored.
 */
int tk_policy_load_fast(struct tk_policy **out, char **errors,
    enum tk_compiled_use *use, char **why, const char *path);

/*
 * Validates the policy at path as tk_policy_load() does and writes its
 * compiled form to PATH.compiled (through a temporary file renamed over
 * it; mode: the policy's without group or other write; as root, owned by
 * the policy's owner).  0 with *written (caller frees) the file written;
 * otherwise a negative code and *errors (caller frees) the problems.
 */
int tk_policy_compile_file(char **errors, char **written, const char *path);

/*
 * The state of PATH.compiled for the policy p loaded from path (its
 * sha256 names the bytes), as tk_policy_load_fast() would judge it: the
 * whole file is read.  0 with *use; *why (caller frees) is set for
 * TK_COMPILED_IGNORED.  A negative code when path cannot be examined.
 */
int tk_policy_compiled_state(enum tk_compiled_use *use, char **why,
    const char *path, const struct tk_policy *p);

/*
 * Lookups; each returns a borrowed pointer or NULL.  Emails compare ASCII
 * case-insensitively; logins exactly; keys by their wire blob (comments
 * ignored).
 */
const struct tk_identity *tk_policy_by_email(
    const struct tk_policy *p, const char *email, size_t len);
const struct tk_identity *tk_policy_by_login(
    const struct tk_policy *p, const char *login, size_t len);
const struct tk_key *tk_policy_by_key(
    const struct tk_policy *p, const struct tk_sshkey *k);
/* Same, by the key's wire blob (tk_sshkey_blob); NULL blob: NULL. */
const struct tk_key *tk_policy_by_key_blob(
    const struct tk_policy *p, const unsigned char *blob, size_t len);
bool tk_policy_key_revoked(
    const struct tk_policy *p, const struct tk_sshkey *k);
/* True when now lies inside the key's window: after <= now < before. */
bool tk_key_valid_at(const struct tk_key *k, int64_t now);

bool tk_roleset_has(const struct tk_roleset *s, unsigned role);
bool tk_roleset_intersects(
    const struct tk_roleset *a, const struct tk_roleset *b);
bool tk_roleset_empty(const struct tk_roleset *s);
/* Every role of a is in b: a admits no one b does not. */
bool tk_roleset_within(const struct tk_roleset *a, const struct tk_roleset *b);
/* Appends "a, b, c" (role names) to out; returns 0 or a buffer error. */
int tk_roleset_format(
    struct tk_buf *out, const struct tk_policy *p, const struct tk_roleset *s);

/*
 * The first rule whose pattern matches the whole of ref: returns 1 with
 * *rule set, 0 when no rule matches, or a negative code when a pattern
 * could not be evaluated (match limit exceeded), which must refuse.
 */
int tk_policy_match(
    const struct tk_rule **rule, const struct tk_policy *p, const char *ref);

/*
 * True when the rule looks at the commits entering a ref (approvals,
 * signed commits, pusher-may-write, promote-from), as opposed to only the
 * pusher's role.
 */
bool tk_rule_inspects_commits(const struct tk_rule *r);

/*
 * True when the rule can ask for approvals: its own approvals: block, or
 * a paths entry with one.
 */
bool tk_rule_may_need_approvals(const struct tk_rule *r);

/*
 * True when rule a makes every change requirement rule b makes: for each
 * paths entry of b, an entry of a with the same glob text asking at least
 * the same approvals (no more roles in from, min and each require at
 * least as high) and admitting no more writers; the same required
 * trailers (key and pattern text) and emails pattern.  Part of "a ref
 * under a is at least as strict as b" when a created ref under b is
 * vouched for by refs under a (docs/spec.md, "Entering commits").
 */
bool tk_rule_change_covers(const struct tk_rule *a, const struct tk_rule *b);

/*
 * True when a ref under rule a may vouch for the commits a ref created
 * under rule b brings in (docs/spec.md, "Entering commits"): a is b, or a
 * is at least as strict: every requirement b makes, a makes too, with at
 * least the same numbers (approvals min, from no wider, each require at
 * least as high; signed-commits; pusher-may-approve and pusher-may-write
 * false; the same promote-from; the change requirements, as
 * tk_rule_change_covers; enforce mode when b enforces; no emergency path
 * lifting a check b's cannot lift).  a NULL (a ref no
 * rule governs) vouches only for a rule that inspects no commits.
 */
bool tk_rule_vouches_for(const struct tk_rule *a, const struct tk_rule *b);

/*
 * Finds the policy file: $TWOKEY_CONFIG when set and non-empty, else the
 * git config value twokey.config of the repository at gitdir (NULL: none),
 * else the built-in default (/etc/twokey/policy.yaml unless configured at
 * build time).  *out (caller frees) is NULL on failure.
 */
int tk_policy_locate(char **out, const char *gitdir);

/*
 * Same, from a repository already open (the hooks'): no second open of
 * the repository and its configuration files on every push.
 */
struct git_repository;
int tk_policy_locate_repo(char **out, struct git_repository *repo);

#endif
