/*
 * The helpers every section's validation uses (policy.c, identities.c,
 * rules.c): problem reports with file:line:column and the key's path,
 * typed readers for strings, booleans, numbers and dates, lists, role
 * names, and the check for unknown keys.
 *
 * The policy decides who may land code, so a typo must never widen it:
 * unknown keys, wrong types, undefined roles, and one email, login or key
 * claimed by two identities are all errors, reported with file:line:column
 * and the key's path.  Validation goes on after an error so that an admin
 * sees every problem at once (up to TK_POLICY_MAX_ERRORS).
 */
#include <time.h>

#include "internal.h"
#include "load.h"
#include "twokey/pattern.h"
#include "twokey/sshsig.h"

static void verr(struct tk_load *c, unsigned line, unsigned col,
    const char *path, const char *fmt, va_list ap) TK_PRINTF(5, 0);

static void
verr(struct tk_load *c, unsigned line, unsigned col, const char *path,
    const char *fmt, va_list ap)
{
	struct tk_buf msg = TK_BUF_INIT(2048);

	c->nerr++;
	if (c->nerr > TK_POLICY_MAX_ERRORS)
		return;
	(void)tk_buf_vprintf(&msg, fmt, ap);
	(void)tk_buf_printf(c->errors, "%s:%u:%u: ", c->name, line, col);
	if (path != NULL && *path != '\0') {
		(void)tk_buf_puts(c->errors, "key '");
		(void)tk_sanitize(c->errors, path, strlen(path), 200);
		(void)tk_buf_puts(c->errors, "': ");
	}
	(void)tk_sanitize(c->errors, msg.ptr ? msg.ptr : "", msg.len, 1000);
	(void)tk_buf_putc(c->errors, '\n');
	if (c->nerr == TK_POLICY_MAX_ERRORS)
		(void)tk_buf_printf(
		    c->errors, "%s: too many errors\n", c->name);
	tk_buf_release(&msg);
}

void
tk_load_err(struct tk_load *c, const struct ynode *n, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(c, n ? n->line : 1, n ? n->col : 1, path, fmt, ap);
	va_end(ap);
}

void
tk_load_err_at(struct tk_load *c, unsigned line, unsigned col, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(c, line, col, path, fmt, ap);
	va_end(ap);
}

void
tk_load_value_pos(const struct tk_load *c, const struct ynode *n, size_t off,
    unsigned *line, unsigned *col)
{
	const char *d = c->data, *v = n->str;
	size_t s = tk_yaml_offset(d, c->len, n->line, n->col), vi = 0, k;
	unsigned l = n->line, co = n->col;

	*line = n->line;
	*col = n->col;
	if (n->quote != 0 && s < c->len)
		s++, co++;
	while (s < c->len && vi <= off && vi < n->len) {
		for (k = s; k < c->len && d[k] == ' '; k++)
			;
		if (v[vi] == ' ' && k < c->len &&
		    (d[k] == '\n' || d[k] == '\r')) { /* a folded break */
			if (vi == off) {
				*line = l;
				*col = co + (unsigned)(k - s);
				return;
			}
			s = k +
			    (d[k] == '\r' && k + 1 < c->len && d[k + 1] == '\n'
			            ? 2
			            : 1);
			for (l++, co = 1; s < c->len && d[s] == ' '; s++, co++)
				;
			vi++;
			continue;
		}
		if (d[s] != v[vi])
			return; /* an escape: not followed */
		if (vi == off) {
			*line = l;
			*col = co;
			return;
		}
		co += ((unsigned char)d[s] & 0xc0) != 0x80;
		s++;
		vi++;
	}
}

bool
tk_load_is_null(const struct ynode *n)
{
	return n->type == YN_SCALAR && n->plain &&
	    (n->len == 0 || strcmp(n->str, "~") == 0 ||
	        strcmp(n->str, "null") == 0);
}

int
tk_load_str(
    struct tk_load *c, const struct ynode *n, const char *path, char **out)
{
	*out = NULL;
	if (n->type != YN_SCALAR || tk_load_is_null(n)) {
		tk_load_err(c, n, path, "expected a string");
		return TK_ECONFIG;
	}
	if ((*out = tk_strndup(n->str, n->len)) == NULL)
		return TK_ENOMEM;
	return 0;
}

int
tk_load_bool(
    struct tk_load *c, const struct ynode *n, const char *path, bool *out)
{
	if (n->type == YN_SCALAR && n->plain && strcmp(n->str, "true") == 0)
		*out = true;
	else if (n->type == YN_SCALAR && n->plain &&
	    strcmp(n->str, "false") == 0)
		*out = false;
	else {
		tk_load_err(c, n, path, "expected true or false");
		return TK_ECONFIG;
	}
	return 0;
}

int
tk_load_uint(struct tk_load *c, const struct ynode *n, const char *path,
    unsigned max, unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (n->type != YN_SCALAR || !n->plain || n->len == 0 || n->len > 9)
		goto bad;
	for (i = 0; i < n->len; i++) {
		if (n->str[i] < '0' || n->str[i] > '9')
			goto bad;
		v = v * 10 + (unsigned long)(n->str[i] - '0');
	}
	if (v > max)
		goto bad;
	*out = (unsigned)v;
	return 0;
bad:
	tk_load_err(c, n, path, "expected a whole number from 0 to %u", max);
	return TK_ECONFIG;
}

/* Reads n decimal digits at s; -1 when any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, always UTC. */
int
tk_load_date(
    struct tk_load *c, const struct ynode *n, const char *path, int64_t *out)
{
	const char *s = n->str;
	struct tm tm, want;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (n->type != YN_SCALAR || (n->len != 10 && n->len != 20) ||
	    s[4] != '-' || s[7] != '-')
		goto bad;
	tm.tm_year = digits(s, 4);
	tm.tm_mon = digits(s + 5, 2);
	tm.tm_mday = digits(s + 8, 2);
	if (n->len == 20) {
		if (s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
		    s[19] != 'Z')
			goto bad;
		tm.tm_hour = digits(s + 11, 2);
		tm.tm_min = digits(s + 14, 2);
		tm.tm_sec = digits(s + 17, 2);
	}
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
	    tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 59)
		goto bad;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	want = tm;
	if ((t = timegm(&tm)) == (time_t)-1)
		goto bad;
	/* timegm() normalises 2026-02-31 to March 3rd: refuse instead. */
	if (tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon ||
	    tm.tm_year != want.tm_year)
		goto bad;
	*out = (int64_t)t;
	return 0;
bad:
	tk_load_err(c, n, path,
	    "expected a UTC date, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
	return TK_ECONFIG;
}

/* Each scalar of a sequence through fn; wrong types are reported. */
int
tk_load_each(struct tk_load *c, const struct ynode *n, const char *path,
    int (*fn)(struct tk_load *, const struct ynode *, const char *, void *),
    void *arg)
{
	char sub[256];
	size_t i;
	int rc = 0, r;

	if (n->type != YN_SEQ) {
		tk_load_err(c, n, path, "expected a list");
		return TK_ECONFIG;
	}
	for (i = 0; i < n->n; i++) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if ((r = fn(c, n->items[i], sub, arg)) == TK_ENOMEM)
			return r;
		if (r < 0)
			rc = r;
	}
	return rc;
}

static int
add_role_item(
    struct tk_load *c, const struct ynode *n, const char *path, void *arg)
{
	struct tk_roleset *set = arg;
	uintptr_t idx;

	if (n->type != YN_SCALAR) {
		tk_load_err(c, n, path, "expected a role name");
		return TK_ECONFIG;
	}
	idx = (uintptr_t)tk_map_get(c->p->role_index, n->str, n->len);
	if (idx == 0) {
		tk_load_err(c, n, path,
		    "undefined role '%s' (not under roles:)", n->str);
		return TK_ECONFIG;
	}
	set->bits[(idx - 1) / 64] |= (uint64_t)1 << ((idx - 1) % 64);
	return 0;
}

int
tk_load_roles(struct tk_load *c, const struct ynode *n, const char *path,
    struct tk_roleset *out)
{
	memset(out, 0, sizeof(*out));
	return tk_load_each(c, n, path, add_role_item, out);
}

int
tk_load_role_index(
    struct tk_load *c, const struct ynode *n, const char *path, unsigned *out)
{
	uintptr_t idx;

	if (n->type != YN_SCALAR ||
	    (idx = (uintptr_t)tk_map_get(c->p->role_index, n->str, n->len)) ==
	        0) {
		tk_load_err(c, n, path,
		    "undefined role '%s' (not under roles:)",
		    n->type == YN_SCALAR ? n->str : "");
		return TK_ECONFIG;
	}
	*out = (unsigned)(idx - 1);
	return 0;
}

int
tk_load_require(struct tk_load *c, const struct ynode *n, const char *path,
    struct tk_roleset *from, const char *from_name, bool add_to_from,
    struct tk_role_min **out, size_t *nout)
{
	struct tk_role_min *m;
	char sub[420];
	size_t i;
	int rc = 0;

	if (n->type != YN_MAP) {
		tk_load_err(c, n, path, "expected a mapping of role to count");
		return TK_ECONFIG;
	}
	if ((*out = tk_calloc(n->n / 2 + 1, sizeof(**out))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i + 1 < n->n; i += 2) {
		m = &(*out)[*nout];
		snprintf(sub, sizeof(sub), "%s.%s", path, n->items[i]->str);
		m->pos = (struct tk_pos){n->items[i]->line, n->items[i]->col};
		if (tk_load_role_index(c, n->items[i], sub, &m->role) < 0 ||
		    tk_load_uint(c, n->items[i + 1], sub, 100, &m->min) < 0) {
			rc = TK_ECONFIG;
			continue;
		}
		if (m->min == 0) {
			tk_load_err(c, n->items[i + 1], sub,
			    "must be at least 1 (drop the role to require "
			    "none)");
			rc = TK_ECONFIG;
		} else if (add_to_from)
			from->bits[m->role / 64] |= (uint64_t)1
			    << (m->role % 64);
		else if (!tk_roleset_has(from, m->role)) {
			tk_load_err(c, n->items[i], sub,
			    "role is not listed in %s, so its approvals could "
			    "never count",
			    from_name);
			rc = TK_ECONFIG;
		}
		(*nout)++;
	}
	return rc;
}

/*
 * Looks up key in map n, which must be a mapping, and checks that every
 * key of n is one of allowed (NULL-terminated).  Returns the value node or
 * NULL.
 */
const struct ynode *
tk_load_get(const struct ynode *n, const char *key)
{
	size_t i;

	for (i = 0; n->type == YN_MAP && i + 1 < n->n; i += 2)
		if (strcmp(n->items[i]->str, key) == 0)
			return n->items[i + 1];
	return NULL;
}

int
tk_load_check_keys(struct tk_load *c, const struct ynode *n, const char *path,
    const char *const *allowed)
{
	char sub[256];
	size_t i, k;
	int rc = 0;

	if (n->type != YN_MAP) {
		tk_load_err(c, n, path, "expected a mapping of keys to values");
		return TK_ECONFIG;
	}
	for (i = 0; i + 1 < n->n; i += 2) {
		for (k = 0; allowed[k] != NULL; k++)
			if (strcmp(n->items[i]->str, allowed[k]) == 0)
				break;
		if (allowed[k] == NULL) {
			snprintf(sub, sizeof(sub), "%s%s%s", path,
			    *path ? "." : "", n->items[i]->str);
			tk_load_err(c, n->items[i], sub, "unknown key");
			rc = TK_ECONFIG;
		}
	}
	return rc;
}
