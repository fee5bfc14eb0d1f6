/*
 * Private to lib/engine: ref names as git writes and reads them.
 */
#ifndef TK_ENGINE_REFNAMES_H
#define TK_ENGINE_REFNAMES_H

#include "engine.h"

/* Sets c->ns from $GIT_NAMESPACE; TK_EINVAL when git would refuse it. */
int tk_check_namespace(struct tk_check *c);

/*
 * Sets each update's target (the ref git writes, when the pushed name is
 * a symbolic ref) or broken (why git's ref cannot be determined: a loop, a
 * chain git refuses, a chain that leaves the namespace).  0 or TK_ENOMEM.
 */
int tk_check_resolve(struct tk_check *c);

/*
 * The commit that the ref the hooks call name (a promote-from ref, say)
 * points at, looked up inside the namespace and through symbolic refs as
 * git reads it.  *found is false when it does not exist or names no
 * commit; *why (caller frees) is set when it cannot be read at all.
 * Returns 0 or TK_ENOMEM.
 */
int tk_check_ref_commit(struct tk_check *c, const char *name, git_oid *out,
    bool *found, char **why);

/*
 * True unless name is one that changes what other refs mean (under
 * refs/replace/ or refs/namespaces/, or outside refs/) and r's pattern
 * does not start with that prefix literally (docs/decisions.md: "names
 * them explicitly").
 */
bool tk_rule_names_explicitly(const struct tk_rule *r, const char *name);

/*
 * Refuses (a finding; *refused set) an update of such a name that rule,
 * the first rule matching it or NULL, does not name explicitly.  Returns 0
 * or TK_ENOMEM.
 */
int tk_check_special(struct tk_check *c, const struct tk_rule *rule,
    const char *name, bool *refused);

/*
 * Refuses (a finding; *refused set) a pushed name git-receive-pack does
 * not write (tk_repo_refname_pushable()).  Returns 0 or TK_ENOMEM.
 */
int tk_check_pushable(struct tk_check *c, const char *name, bool *refused);

/*
 * Refuses (a finding; *refused set) name, decided under rule, when the
 * repository ignores case in ref names (or its setting cannot be read)
 * and either name's ASCII lower-case spelling or an existing ref spelled
 * like name but for case falls under another rule (or none).
 * Returns 0 or TK_ENOMEM.
 */
int tk_check_case(struct tk_check *c, const struct tk_rule *rule,
    const char *name, bool *refused);

struct tk_pattern;

/*
 * On a repository that ignores case (as tk_check_case() found it for
 * this push), whether pat matches another spelling of name that writes
 * name's file: its ASCII lower-case spelling or an existing ref spelled
 * like it but for case.  1 matched, 0 not (or the repository heeds
 * case), < 0 as tk_pattern_match().
 */
int tk_check_spelling_match(
    struct tk_check *c, const struct tk_pattern *pat, const char *name);

/* Frees what tk_check_case() read about the repository's refs. */
void tk_check_case_release(struct tk_check *c);

#endif
