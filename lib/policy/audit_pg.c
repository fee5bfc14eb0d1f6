/*
 * audit.postgres and audit.node: one audit chain in PostgreSQL shared by
 * several server nodes (docs/postgres.md).
 */
#include "load.h"

/* A node name goes into every record: short, printable, no quoting. */
static bool
node_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		        s[i] == '-' || s[i] == '_'))
			return false;
	return i > 0 && i <= 64;
}

int
tk_policy_load_audit_pg(struct tk_load *c, const struct ynode *n)
{
	struct tk_policy *p = c->p;
	const struct ynode *v;
	int rc = 0, r;

	if ((v = tk_load_get(n, "postgres")) != NULL) {
		if ((r = tk_load_str(c, v, "audit.postgres",
		         &p->audit_postgres)) == TK_ENOMEM)
			return r;
		if (r < 0)
			rc = r;
		else if (p->audit_postgres[0] != '/') {
			tk_load_err(c, v, "audit.postgres",
			    "expected the absolute path of a file holding "
			    "the connection string");
			rc = TK_ECONFIG;
		} else if (tk_load_get(n, "path") != NULL) {
			/* One chain: two stores would fork it. */
			tk_load_err(c, v, "audit.postgres",
			    "audit.path and audit.postgres exclude each "
			    "other: the chain lives in one place");
			rc = TK_ECONFIG;
		}
	}
	if ((v = tk_load_get(n, "node")) != NULL) {
		if ((r = tk_load_str(c, v, "audit.node", &p->audit_node)) ==
		    TK_ENOMEM)
			return r;
		if (r < 0)
			rc = r;
		else if (!node_ok(p->audit_node)) {
			tk_load_err(c, v, "audit.node",
			    "expected 1 to 64 of A-Z a-z 0-9 . - _");
			rc = TK_ECONFIG;
		}
	}
	return rc;
}
