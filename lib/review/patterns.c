/*
 * What the text of a ref pattern tells without running it (see review.h).
 * PCRE2 syntax is rich; this reads only the plain beginning of a pattern
 * and gives up (conservatively) at anything else.  Patterns come from the
 * policy, are at most TK_PATTERN_MAX_LEN bytes, and are scanned in one pass
 * without recursion.
 */
#include <time.h>

#include "review.h"
#include "twokey/pattern.h"
#include "twokey/repo.h"

static bool
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* Index just past the character class that starts at s[i] == '['. */
static size_t
skip_class(const char *s, size_t n, size_t i)
{
	i++;
	if (i < n && s[i] == '^')
		i++;
	if (i < n && s[i] == ']') /* a leading ] is literal */
		i++;
	while (i < n && s[i] != ']') {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == '[' && i + 1 < n && s[i + 1] == ':') {
			const char *e = strstr(s + i + 2, ":]");

			if (e == NULL)
				return n;
			i = (size_t)(e - s) + 1;
		}
		i++;
	}
	return i < n ? i + 1 : n;
}

/*
 * Index just past the escape at s[i] == '\\'; \Q...\E quotes everything
 * up to \E.
 */
static size_t
skip_escape(const char *s, size_t n, size_t i)
{
	const char *e;

	if (i + 1 < n && s[i + 1] == 'Q') {
		e = strstr(s + i + 2, "\\E");
		return e == NULL ? n : (size_t)(e - s) + 2;
	}
	return i + 2 < n ? i + 2 : n;
}

/*
 * True when s has a '|' outside every group (or the scan is unsure): then
 * no prefix is common to all matches.  Also reports, through *close, the
 * index of the ')' that closes a '(' at s[0] (n when there is none).
 */
static bool
top_level_bar(const char *s, size_t n, size_t *close)
{
	size_t i = 0;
	int depth = 0;

	*close = n;
	while (i < n) {
		switch (s[i]) {
		case '\\':
			i = skip_escape(s, n, i);
			continue;
		case '[':
			i = skip_class(s, n, i);
			continue;
		case '(':
			depth++;
			break;
		case ')':
			if (--depth < 0)
				return true;
			if (depth == 0 && *close == n && s[0] == '(')
				*close = i;
			break;
		case '|':
			if (depth == 0)
				return true;
			break;
		}
		i++;
	}
	return depth != 0;
}

int
tk_rx_literal(struct tk_buf *out, const char *src, bool *whole)
{
	size_t n = strlen(src), i = 0, last = 0, close;
	char c;

	*whole = false;
	if (top_level_bar(src, n, &close))
		return out->err;
	if (n > 0 && src[0] == '^')
		i = 1;
	while (i < n) {
		c = src[i];
		if (c == '\\' && i + 1 < n && !is_alnum(src[i + 1]) &&
		    (unsigned char)src[i + 1] < 0x80) {
			last = out->len;
			(void)tk_buf_putc(out, src[i + 1]);
			i += 2;
			continue;
		}
		if ((c == '$' && i + 1 == n) ||
		    (c == '\\' && i + 2 == n && src[i + 1] == 'z')) {
			*whole = true;
			return out->err;
		}
		if (c == '\\' || strchr(".^$|()[]{}*+?", c) != NULL) {
			if (c == '*' || c == '?' || c == '{')
				tk_buf_truncate(out, last);
			return out->err;
		}
		last = out->len;
		(void)tk_buf_putc(out, c);
		i++;
	}
	*whole = true;
	return out->err;
}

/* The pattern without ^, a final $ or \z, and one group around it all. */
static void
strip(const char *src, size_t *start, size_t *end)
{
	size_t s = 0, e = strlen(src), close;

	if (e > s && src[s] == '^')
		s++;
	if (e >= s + 2 && src[e - 2] == '\\' && src[e - 1] == 'z')
		e -= 2;
	else if (e > s && src[e - 1] == '$' && (e < 2 || src[e - 2] != '\\'))
		e--;
	if (e > s && src[s] == '(' && !top_level_bar(src + s, e - s, &close) &&
	    close == e - s - 1) {
		s += strncmp(src + s, "(?:", 3) == 0 ? 3 : 1;
		e--;
		if (s < e && src[s] == '?') /* another kind of group */
			s = e = 0;
	}
	*start = s;
	*end = e;
}

int
tk_rx_catchall(struct tk_buf *out, const char *src, bool *plus)
{
	size_t s, e, k;
	char *head;
	bool whole;
	int rc;

	*plus = false;
	strip(src, &s, &e);
	/* a lazy quantifier matches the same set of whole names */
	if (e - s >= 3 && src[e - 1] == '?' &&
	    (src[e - 2] == '*' || src[e - 2] == '+'))
		e--;
	if (e - s < 2 || src[e - 2] != '.' ||
	    (src[e - 1] != '*' && src[e - 1] != '+'))
		return 0;
	for (k = e - 2; k > s && src[k - 1] == '\\'; k--)
		;
	if ((e - 2 - k) % 2 == 1) /* the dot is escaped */
		return 0;
	if ((head = tk_strndup(src + s, e - 2 - s)) == NULL)
		return TK_ENOMEM;
	tk_buf_reset(out);
	rc = tk_rx_literal(out, head, &whole);
	free(head);
	if (rc < 0)
		return rc;
	/* "^" or "$" inside the head would not be literal: tk_rx_literal
	 * stops there, so whole is false */
	if (!whole)
		return 0;
	*plus = src[e - 1] == '+';
	return 1;
}

static bool
starts_with(const struct tk_buf *b, const struct tk_buf *prefix)
{
	return b->len >= prefix->len &&
	    (prefix->len == 0 || memcmp(b->ptr, prefix->ptr, prefix->len) == 0);
}

bool
tk_rx_shadows(const struct tk_rule *earlier, const struct tk_rule *later)
{
	struct tk_buf lit = TK_BUF_INIT(8192), x = TK_BUF_INIT(8192);
	bool whole, plus, yes = false;

	if (strcmp(earlier->refs_src, later->refs_src) == 0)
		return true;
	if (tk_rx_literal(&lit, later->refs_src, &whole) < 0)
		goto out;
	if (whole) {
		yes = tk_pattern_match(
		          earlier->refs, lit.ptr ? lit.ptr : "", lit.len) == 1;
		goto out;
	}
	/* X.+ takes every match of later that begins with X and is not X */
	if (tk_rx_catchall(&x, earlier->refs_src, &plus) == 1 &&
	    starts_with(&lit, &x) &&
	    (!plus || lit.len > x.len ||
	        tk_pattern_match(later->refs, x.ptr ? x.ptr : "", x.len) == 0))
		yes = true;
out:
	tk_buf_release(&lit);
	tk_buf_release(&x);
	return yes;
}

const char *
tk_review_refs_dead(const char *src)
{
	struct tk_buf lit = TK_BUF_INIT(TK_PATTERN_MAX_LEN + 8);
	const char *why = NULL;
	bool whole;
	int r;

	r = tk_pattern_may_start_with(src, strlen(src), "refs/", 5);
	if (r == 0)
		return "git names refs in full, starting with refs/ (a branch "
		       "is refs/heads/NAME, a tag refs/tags/NAME)";
	if (r < 0 || tk_rx_literal(&lit, src, &whole) < 0 || lit.len == 0)
		goto out;
	/*
	 * A leading literal with a '/' in it: if "x/x" after it makes a name
	 * git refuses, so does anything else after it (the fault is in the
	 * literal: a space, "//", "..", a component starting with '.').
	 */
	if (!whole &&
	    (memchr(lit.ptr, '/', lit.len) == NULL ||
	        tk_buf_puts(&lit, "x/x") < 0))
		goto out;
	if (!tk_repo_refname_pushable(lit.ptr))
		why = whole
		    ? "git check-ref-format refuses that name, so git "
		      "never writes such a ref (a space, '..', '//', "
		      "a component starting with '.' or ending in "
		      "'.lock', a final '/' or '.', a control character "
		      "or one of : ? [ \\ ^ ~ *)"
		    : "every name it matches begins with text git "
		      "check-ref-format refuses (a space, '..', '//', a "
		      "component starting with '.', a control character "
		      "or one of : ? [ \\ ^ ~ *)";
out:
	tk_buf_release(&lit);
	return why;
}

bool
tk_rx_may_overlap(const struct tk_rule *a, const struct tk_rule *b)
{
	struct tk_buf la = TK_BUF_INIT(8192), lb = TK_BUF_INIT(8192);
	bool wa, wb, yes = true;

	if (tk_rx_literal(&la, a->refs_src, &wa) < 0 ||
	    tk_rx_literal(&lb, b->refs_src, &wb) < 0)
		goto out;
	if (wa && wb)
		yes = la.len == lb.len &&
		    (la.len == 0 || memcmp(la.ptr, lb.ptr, la.len) == 0);
	else if (wa)
		yes = tk_pattern_match(b->refs, la.ptr ? la.ptr : "", la.len) !=
		    0;
	else if (wb)
		yes = tk_pattern_match(a->refs, lb.ptr ? lb.ptr : "", lb.len) !=
		    0;
	else
		yes = starts_with(&la, &lb) || starts_with(&lb, &la);
out:
	tk_buf_release(&la);
	tk_buf_release(&lb);
	return yes;
}

bool
tk_review_key_usable(
    const struct tk_policy *p, const struct tk_key *k, int64_t now)
{
	return tk_key_valid_at(k, now) && !tk_policy_key_revoked(p, k->key);
}

bool
tk_review_has_usable_key(
    const struct tk_policy *p, const struct tk_identity *id, int64_t now)
{
	size_t i;

	for (i = 0; i < id->nkeys; i++)
		if (tk_review_key_usable(p, id->keys[i], now))
			return true;
	return false;
}

const struct tk_rolelist *
tk_review_push_roles(const struct tk_rule *r, enum tk_push_perm k)
{
	if (k == TK_PERM_CREATE && r->create.set)
		return &r->create;
	if (k == TK_PERM_DELETE && r->delete_.set)
		return &r->delete_;
	if (k == TK_PERM_FORCE_PUSH && r->force_push.set)
		return &r->force_push;
	return &r->update;
}

const char *
tk_push_perm_name(enum tk_push_perm k)
{
	static const char *const names[] = {
	    "update", "create", "delete", "force-push"};

	return k < TK_PERM_NPUSH ? names[k] : "?";
}

void
tk_review_date(char out[32], int64_t t)
{
	struct tk_utc u;

	if (t == INT64_MIN || t == INT64_MAX) {
		snprintf(out, 32, "-");
		return;
	}
	tk_utc_split(t, &u);
	if (u.hour || u.min || u.sec)
		tk_utc_format(out, t);
	else
		snprintf(out, 32, "%04lld-%02d-%02d", (long long)u.year, u.mon,
		    u.mday);
}

int
tk_review_ids(struct tk_buf *b, const struct tk_identity *const *ids, size_t n,
    size_t max)
{
	size_t i;

	if (n == 0)
		return tk_buf_puts(b, "nobody");
	for (i = 0; i < n && i < max; i++)
		(void)tk_buf_printf(b, "%s%s", i ? ", " : "", ids[i]->id);
	if (n > max)
		(void)tk_buf_printf(b, " and %zu more", n - max);
	return b->err;
}
