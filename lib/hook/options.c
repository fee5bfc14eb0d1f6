/*
 * Push options (docs/spec.md, "Push options").  git sets
 * GIT_PUSH_OPTION_COUNT and GIT_PUSH_OPTION_0.. for pre-receive when the
 * server advertises push options; they are the pusher's text and the
 * environment is not to be trusted either, so every odd shape refuses
 * rather than being read one way here and another way elsewhere.
 */
#include <ctype.h>
#include <stdbool.h>
#include <strings.h>

#include "internal.h"
#include "options.h"

/* twokey's own options: "twokey.<name>" alone or with "=value". */
static const char *const known[] = {"twokey.dry-run", "twokey.emergency"};

/* The length of the key part (before '='), bounded. */
static size_t
key_len(const char *v)
{
	const char *eq = strchr(v, '=');

	return eq != NULL ? (size_t)(eq - v) : strlen(v);
}

static int
check_one(const char *v)
{
	struct tk_buf b = TK_BUF_INIT(256);
	size_t i, n = key_len(v), s = strspn(v, " \t");
	int rc;

	/*
	 * twokey's namespace in any case, white space before it too:
	 * -o TWOKEY.DRY-RUN is a typo of a dry run, never a real push.
	 */
	if (strncasecmp(v + s, "twokey.", 7) != 0)
		return 0;
	for (i = 0; i < TK_ARRAY_SIZE(known); i++)
		if (n == strlen(known[i]) && memcmp(v, known[i], n) == 0)
			return 0;
	(void)tk_sanitize(&b, v, n, 80);
	rc = tk_error_set(TK_EINVAL,
	    "unknown push option '%s': twokey knows -o twokey.dry-run and "
	    "-o twokey.emergency=REASON",
	    b.ptr ? b.ptr : "");
	tk_buf_release(&b);
	return rc;
}

int
tk_hook_push_options(struct tk_push_opts *o)
{
	const char *cnt = getenv("GIT_PUSH_OPTION_COUNT");
	char name[40];
	size_t i, n = 0;
	int rc;

	o->n = 0;
	if (cnt == NULL)
		return 0;
	for (i = 0; cnt[i] != '\0'; i++) {
		if (!isdigit((unsigned char)cnt[i]) || i >= 6)
			return tk_error_set(TK_EINVAL,
			    "GIT_PUSH_OPTION_COUNT is not a number of push "
			    "options");
		n = n * 10 + (size_t)(cnt[i] - '0');
	}
	if (n > TK_AUDIT_MAX_PUSH_OPTIONS)
		return tk_error_set(TK_EINVAL,
		    "%zu push options: twokey reads at most %d; push with "
		    "fewer -o options",
		    n, TK_AUDIT_MAX_PUSH_OPTIONS);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%zu", i);
		if ((o->v[i] = getenv(name)) == NULL)
			return tk_error_set(TK_EINVAL,
			    "push option %zu of %zu is missing from the "
			    "environment",
			    i + 1, n);
		if ((rc = check_one(o->v[i])) < 0)
			return rc;
	}
	o->n = n;
	return 0;
}

const char *
tk_hook_push_option(const struct tk_push_opts *o, const char *key, bool *twice)
{
	const char *found = NULL;
	size_t i, k = strlen(key);

	*twice = false;
	for (i = 0; i < o->n; i++) {
		if (strncmp(o->v[i], key, k) != 0 ||
		    (o->v[i][k] != '=' && o->v[i][k] != '\0'))
			continue;
		if (found != NULL)
			*twice = true;
		else
			found = o->v[i][k] == '=' ? o->v[i] + k + 1 : "";
	}
	return found;
}
