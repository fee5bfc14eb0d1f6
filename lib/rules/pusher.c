/*
 * Who is pushing.  The login comes from a variable the front end sets
 * (gitolite's GL_USER, HTTP's REMOTE_USER...), named in pusher.env.  The
 * value is attacker-influenced where a front end passes client input
 * through, so it is bounded and refused when it holds control characters;
 * it is never guessed.
 */
#include "internal_check.h"

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

int
tk_check_pusher(struct tk_check *c, const char *override)
{
	const struct tk_policy *p = c->p;
	const char *v = override;
	size_t i;
	int rc;

	c->pusher_why = "no variable of pusher.env is set";
	if (p->npusher_env == 0 && override == NULL)
		c->pusher_why = "the policy names no pusher.env variable";
	for (i = 0; v == NULL && i < p->npusher_env; i++) {
		v = getenv(p->pusher_env[i]);
		if (v != NULL && *v == '\0')
			v = NULL;
		if (v != NULL)
			c->r->pusher_var = p->pusher_env[i];
	}
	if (v == NULL)
		return 0;
	if ((rc = set_login(c, v)) < 0)
		return rc;
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
