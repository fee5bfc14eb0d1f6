/*
 * Who is pushing.  The login comes from a variable the front end sets
 * (gitolite's GL_USER, HTTP's REMOTE_USER...), named in pusher.env.  The
 * value is attacker-influenced where a front end passes client input
 * through, so it is bounded and refused when it holds control characters;
 * it is never guessed.
 */
#include "pusher.h"

static int
set_login(struct tk_check *c, const char *login)
{
	struct tk_buf b = TK_BUF_INIT(4 * TK_LOGIN_MAX_LEN);

	if (tk_sanitize(&b, login, strlen(login), TK_LOGIN_MAX_LEN) < 0 ||
	    (c->r->pusher_login = tk_buf_detach(&b, NULL)) == NULL) {
		tk_buf_release(&b);
		return TK_ENOMEM;
	}
	return 0;
}

const char *
tk_pusher_from_env(
    const struct tk_policy *p, const char **var, const char **disagree)
{
	const char *v = NULL;
	size_t i;

	*var = *disagree = NULL;
	for (i = 0; i < p->npusher_env; i++) {
		const char *e = getenv(p->pusher_env[i]);

		if (e == NULL || *e == '\0')
			continue;
		if (v == NULL) {
			v = e;
			*var = p->pusher_env[i];
		} else if (*disagree == NULL && strcmp(e, v) != 0)
			*disagree = p->pusher_env[i];
	}
	return v;
}

int
tk_check_pusher(struct tk_check *c, const char *override)
{
	const struct tk_policy *p = c->p;
	const char *v = override, *other = NULL;
	int rc;

	c->pusher_why = "no variable of pusher.env is set";
	if (p->npusher_env == 0 && override == NULL)
		c->pusher_why = "the policy names no pusher.env variable";
	if (override == NULL)
		v = tk_pusher_from_env(p, &c->r->pusher_var, &other);
	if (v == NULL)
		return 0;
	if ((rc = set_login(c, v)) < 0)
		return rc;
	/*
	 * Two front-end variables naming two people: one of them was not set
	 * by the front end.  Which one is not for twokey to guess.
	 */
	if (other != NULL) {
		c->pusher_why = "the variables of pusher.env name different "
		                "logins";
		return 0;
	}
	if (!tk_valid_name(v, strlen(v), TK_LOGIN_MAX_LEN)) {
		c->pusher_why = "the pusher login is empty, too long or "
		                "contains control characters";
		return 0;
	}
	c->r->pusher = tk_policy_by_login(p, v, strlen(v));
	if (c->r->pusher == NULL)
		c->pusher_why = "the pusher login is not in the policy";
	return 0;
}

/* The env variables consulted, for messages. */
static void
env_list(const struct tk_policy *p, struct tk_buf *b)
{
	size_t i;

	for (i = 0; i < p->npusher_env; i++)
		(void)tk_buf_printf(b, "%s%s", i ? ", " : "", p->pusher_env[i]);
	if (p->npusher_env == 0)
		(void)tk_buf_puts(b, "none configured");
}

int
tk_check_unknown_pusher(struct tk_check *c, const char *why_needed)
{
	struct tk_buf vars = TK_BUF_INIT(4096);
	int rc;

	env_list(c->p, &vars);
	rc = tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
	    "the server's front end must report who pushes (see pusher.env "
	    "in the policy), and that login must belong to an identity",
	    "pusher unknown (%s; consulted: %s%s%s%s), so %s", c->pusher_why,
	    vars.ptr ? vars.ptr : "", c->r->pusher_login ? "; login '" : "",
	    c->r->pusher_login ? c->r->pusher_login : "",
	    c->r->pusher_login ? "'" : "", why_needed);
	tk_buf_release(&vars);
	return rc;
}
