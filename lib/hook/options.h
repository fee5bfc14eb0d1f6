/*
 * Private to lib/hook: the push options git hands pre-receive
 * (GIT_PUSH_OPTION_COUNT, GIT_PUSH_OPTION_<i>), read once and checked
 * (options.c; docs/spec.md, "Push options").
 */
#ifndef TK_HOOK_OPTIONS_H
#define TK_HOOK_OPTIONS_H

#include <stddef.h>

#include "twokey/audit.h"

struct tk_push_opts {
	const char *v[TK_AUDIT_MAX_PUSH_OPTIONS]; /* point into environ */
	size_t n;
};

/*
 * Reads the push options into o.  Refuses (TK_EINVAL with a message for
 * the pusher) what twokey could misread: a count that is not a plain
 * number or exceeds TK_AUDIT_MAX_PUSH_OPTIONS, an option git announced
 * but did not set, and any option in the twokey. namespace that twokey
 * does not know (a misspelt twokey.dry-run must not turn a test into a
 * real push).  Options outside twokey. belong to other tools and pass.
 */
int tk_hook_push_options(struct tk_push_opts *o);

/*
 * The value of option key in o: NULL when absent, else the text after
 * "key=" ("" for "key" alone).  *twice is set when key appears more than
 * once.
 */
const char *tk_hook_push_option(
    const struct tk_push_opts *o, const char *key, bool *twice);

#endif
