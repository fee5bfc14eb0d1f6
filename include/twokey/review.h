/*
 * twokey: reviewing a policy before it goes live.
 *
 * - Warnings ("twokey config check"): patterns that look like globs or can
 *   match no ref, rules an earlier rule shadows, rules nobody can satisfy,
 *   roles nobody holds, keys about to expire.  A warning is about a policy
 *   that loads: it is valid, but probably not what its author meant.
 * - The access report ("twokey config report"): per rule, the refs of a
 *   repository it governs and the people who may push and approve there;
 *   per identity, its roles, logins, emails and keys.
 * - The difference between two policies ("twokey config diff"): who gains
 *   or loses which permission, and whether anything widens.
 *
 * All three read a loaded policy only; none changes it.  The refs passed in
 * are names read from a repository (attacker text: pushers choose them),
 * and every output sanitizes them.
 */
#ifndef TWOKEY_REVIEW_H
#define TWOKEY_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tk_policy;
struct tk_rule;
struct tk_identity;

/* Keys that stop being valid within this many days are warned about. */
#define TK_REVIEW_EXPIRY_DAYS 30

/* One warning: where it points in the policy file, and what it says. */
struct tk_warning {
	unsigned line, col;
	char *msg; /* one line, no control characters */
};

struct tk_warnings {
	struct tk_warning *items; /* sorted by line, then column */
	size_t n;
};

struct tk_review_opts {
	int64_t now; /* key validity is judged at this time */
	const char *const *refs; /* the refs of a repository, or NULL */
	size_t nrefs;
};

/*
 * Analyses p and appends its warnings to w (zeroed before the first call;
 * release it with tk_warnings_release()).  Returns 0 or TK_ENOMEM.  With
 * refs, a rule whose pattern matches some of them but governs none (earlier
 * rules take them all) is warned about too.
 */
int tk_policy_warn(struct tk_warnings *w, const struct tk_policy *p,
    const struct tk_review_opts *o);

void tk_warnings_release(struct tk_warnings *w);

/*
 * Why no ref git writes can match the ref pattern src (PCRE2, matched
 * whole), judged from its text: a pattern that cannot begin with "refs/",
 * or whose literal text (all of it, or its leading part) is refused by
 * git check-ref-format however it goes on ("refs/heads/main " with a
 * pasted space, "refs/heads//x", "refs/main").  Such a rule or
 * freeze protects nothing while it reads as if it did.  Returns a static
 * phrase to follow "can match no ref: ", or NULL when a ref may match or
 * the text does not tell (never a false alarm).
 */
const char *tk_review_refs_dead(const char *src);

/* The kinds of push a rule's role lists govern, in report order. */
enum tk_push_perm {
	TK_PERM_UPDATE,
	TK_PERM_CREATE,
	TK_PERM_DELETE,
	TK_PERM_FORCE_PUSH,
	TK_PERM_NPUSH
};

/* "update", "create", "delete", "force-push". */
const char *tk_push_perm_name(enum tk_push_perm k);

/*
 * A set of identities, sorted by id.  anyone: the rule does not restrict
 * this permission (no role list), so every pusher, known or not, has it.
 */
struct tk_people {
	bool anyone;
	const struct tk_identity **ids;
	size_t n;
};

struct tk_role_people {
	unsigned role; /* index into the policy's roles */
	unsigned require; /* the rule's per-role minimum, 0 when none */
	struct tk_people people;
};

/*
 * Who may write, and who must also approve, a change that touches a path
 * one "paths:" entry of a rule matches.
 */
struct tk_path_access {
	const struct tk_path_rule *entry;
	struct tk_people writers; /* anyone when the entry names no writers */
	struct tk_people approve; /* holders of its approvals' roles */
	struct tk_role_people *by_role; /* its require roles, by name */
	size_t nby_role;
};

/* Who may do what under one rule. */
struct tk_rule_access {
	const struct tk_rule *rule;
	size_t index; /* 0-based position in rules: (first match wins) */
	struct tk_people push[TK_PERM_NPUSH];
	struct tk_people approve; /* holders of any approvals.from role */
	struct tk_role_people *by_role; /* per approvals.from role, by name */
	size_t nby_role;
	const char **governs; /* refs this rule decides (first match) */
	size_t ngoverns;
	struct tk_path_access *paths; /* one per paths: entry, in order */
	size_t npaths;
	struct tk_people emergency; /* holders of an emergency.by role */
};

struct tk_access {
	const struct tk_policy *p;
	struct tk_rule_access *rules; /* in policy order */
	size_t nrules;
	const struct tk_identity **ids; /* every identity, sorted by id */
	size_t nids;
	const char **ungoverned; /* refs no rule matches */
	size_t nungoverned;
	const char **unmatchable; /* refs a pattern could not be evaluated on */
	size_t nunmatchable;
	bool have_refs; /* refs were given (a repository was read) */
};

/*
 * Resolves p's roles into people, rule by rule; with refs (borrowed: they
 * must outlive *out), also which rule governs each ref.  Returns 0 with
 * *out set, or TK_ENOMEM; *out (caller frees with tk_access_free()) is
 * NULL on failure.
 */
int tk_access_build(struct tk_access **out, const struct tk_policy *p,
    const char *const *refs, size_t nrefs);

void tk_access_free(struct tk_access *a);

enum tk_report_format {
	TK_REPORT_TEXT,
	TK_REPORT_CSV,
	TK_REPORT_JSON,
	TK_REPORT_HTML
};

/* "text", "csv", "json", "html" to the format; -1 when unknown. */
int tk_report_format_parse(const char *name);

struct tk_report_meta {
	const char *policy_path; /* shown as given */
	const char *repo_path; /* NULL without a repository */
	int64_t now; /* key validity and days left are judged at this time */
};

/*
 * Writes the access report of a in the given format: sorted and stable,
 * so two reports can be compared with diff(1).  Every value is escaped for
 * the format (HTML entities, JSON strings, CSV cells defused against
 * spreadsheet formulas) and stripped of control characters.  Returns 0 or
 * TK_EIO when writing failed.
 */
int tk_access_report(FILE *f, const struct tk_access *a,
    enum tk_report_format fmt, const struct tk_report_meta *m);

/* One line of a policy diff. */
enum tk_change_kind {
	TK_CHANGE_WIDENS, /* someone may do more, or a check got weaker */
	TK_CHANGE_NARROWS, /* someone may do less, or a check got stronger */
	TK_CHANGE_NOTE /* information: neither (a key expiring soon) */
};

struct tk_change {
	enum tk_change_kind kind;
	char *text; /* one line, no control characters */
};

struct tk_changes {
	struct tk_change *items; /* in report order */
	size_t n;
	size_t nwidens, nnarrows;
};

/*
 * Compares two policies: per rule (matched by name) who gains or loses
 * which permission and which requirements changed; rules removed, added
 * or reordered where a ref can fall to a looser rule; identities' keys,
 * logins and emails; revoked keys; keys of new expiring within
 * TK_REVIEW_EXPIRY_DAYS of o->now.  With o->refs, the rule governing each
 * of those refs is compared too (exactly, where without refs an overlap of
 * two patterns that cannot be decided counts as widening).  c must be
 * zeroed; release it with tk_changes_release().  Returns 0 or TK_ENOMEM.
 */
int tk_policy_diff(struct tk_changes *c, const struct tk_policy *old,
    const struct tk_policy *new_, const struct tk_review_opts *o);

void tk_changes_release(struct tk_changes *c);

#endif
