/*
 * Shared helpers of the policy loader, defined in load.c and used by
 * policy.c, identities.c and rules.c.
 * Every helper that finds a problem reports it with tk_load_err() and
 * returns TK_ECONFIG; TK_ENOMEM aborts the load.
 */
#ifndef TK_LOAD_H
#define TK_LOAD_H

#include "internal.h"
#include "twokey/policy.h"
#include "ynode.h"

struct tk_load {
	struct tk_policy *p;
	struct tk_buf *errors;
	const char *name;
	int nerr;
	const char *data; /* the policy text, for positions in messages */
	size_t len;
};

void tk_load_err(struct tk_load *c, const struct ynode *n, const char *path,
    const char *fmt, ...) TK_PRINTF(4, 5);
void tk_load_err_at(struct tk_load *c, unsigned line, unsigned col,
    const char *path, const char *fmt, ...) TK_PRINTF(5, 6);
bool tk_load_is_null(const struct ynode *n);
/*
 * Where byte off of scalar n's value stands in the file, for a plain or
 * quoted scalar whose lines were folded (a line break and the next line's
 * indentation read as one space); n's own start when the source cannot be
 * followed (escapes).
 */
void tk_load_value_pos(const struct tk_load *c, const struct ynode *n,
    size_t off, unsigned *line, unsigned *col);
int tk_load_str(
    struct tk_load *c, const struct ynode *n, const char *path, char **out);
int tk_load_bool(
    struct tk_load *c, const struct ynode *n, const char *path, bool *out);
int tk_load_uint(struct tk_load *c, const struct ynode *n, const char *path,
    unsigned max, unsigned *out);
int tk_load_date(
    struct tk_load *c, const struct ynode *n, const char *path, int64_t *out);
int tk_load_each(struct tk_load *c, const struct ynode *n, const char *path,
    int (*fn)(struct tk_load *, const struct ynode *, const char *, void *),
    void *arg);
int tk_load_roles(struct tk_load *c, const struct ynode *n, const char *path,
    struct tk_roleset *out);
int tk_load_role_index(
    struct tk_load *c, const struct ynode *n, const char *path, unsigned *out);
/*
 * A require: map of role to count (approvals, a paths entry's approvals,
 * an emergency's ratify) into *out (*nout entries): each role defined, each
 * count 1 to 100 (0 is an error: drop the role), each role in *from,
 * which from_name names in the message; with add_to_from, a role missing
 * from *from joins it instead (a paths entry without from:).  0, or
 * TK_ECONFIG with every problem reported, or TK_ENOMEM.
 */
int tk_load_require(struct tk_load *c, const struct ynode *n, const char *path,
    struct tk_roleset *from, const char *from_name, bool add_to_from,
    struct tk_role_min **out, size_t *nout);
const struct ynode *tk_load_get(const struct ynode *n, const char *key);
int tk_load_check_keys(struct tk_load *c, const struct ynode *n,
    const char *path, const char *const *allowed);

/* Sections, in the order they are built. */
int tk_load_identities(struct tk_load *c, const struct ynode *n);
int tk_load_revoked(struct tk_load *c, const struct ynode *n);
int tk_load_rules(struct tk_load *c, const struct ynode *n);
/* audit.postgres and audit.node of the audit map n (audit_pg.c). */
int tk_policy_load_audit_pg(struct tk_load *c, const struct ynode *n);

/* Top-level freezes: and freeze-file: of the root map (freezes.c). */
int tk_load_freezes(struct tk_load *c, const struct ynode *root);
/* Releases the planned freezes (lookup.c's tk_policy_free). */
void tk_policy_freezes_free(struct tk_policy *p);

/*
 * A rule's paths:, require-trailers: and emails: (paths.c), from the rule
 * node rn; path names the rule in messages.
 */
int tk_load_change(struct tk_load *c, struct tk_rule *r, const struct ynode *rn,
    const char *path);

/*
 * A rule's emergency: block (emergency.c), after its approvals: were
 * loaded (the ratification defaults to them).
 */
int tk_load_emergency(struct tk_load *c, struct tk_rule *r,
    const struct ynode *rn, const char *path);
void tk_emergency_free(struct tk_emergency *e);

/* A new empty policy named name with its lookup maps (load.c). */
int tk_policy_new_(struct tk_policy **out, const char *name);

/*
 * Reads the whole bounded regular file at path (load.c); *st its fstat.
 * 0, or TK_EIO / TK_ETOOBIG / TK_ENOMEM with a message.
 */
struct stat;
int tk_policy_read_file_(
    char **out, size_t *len, struct stat *st, const char *path, size_t max);

/*
 * 0 when the policy file (its fstat *st) is safe to obey; TK_ECONFIG with
 * a message when every local user may write it (policy.c).
 */
int tk_policy_mode_ok_(const struct stat *st, const char *path);

/* n bytes from 2n hex digits (compiled.c); 0 or TK_EINVAL. */
int tk_unhex_(unsigned char *out, const char *hex, size_t n);

/* The arena of a compiled policy's identities (compiled.c). */
void tk_policy_arena_free_(void *arena);
/* Only the keys' struct tk_sshkey of an identity in an arena. */
void tk_identity_keys_free_(struct tk_identity *id);

/* Destructors shared with lookup.c. */
void tk_rule_change_free(struct tk_rule *r);
void tk_identity_free(struct tk_identity *id);
void tk_key_free_(struct tk_key *k);

#endif
