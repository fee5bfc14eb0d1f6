/*
 * Reading the emergency state's text form (state.c says what it is).
 * The text may have been damaged or edited: every line is checked
 * against exactly what the formatter writes, and anything else makes
 * the whole state unusable (the hooks then refuse: fail closed).
 */
#include "store.h"
#include "twokey/policy.h"

struct cursor {
	const char *p, *end;
	size_t line;
	int version; /* of the header: 1 (no emails or keys) or 2 */
};

static int
bad(const struct cursor *c, const char *what)
{
	return tk_error_set(TK_EINVAL, "line %zu: %s", c->line, what);
}

/* The next space-separated token of the current line. */
static int
token(struct cursor *c, const char **s, size_t *n)
{
	const char *q = c->p;

	/* set on every path: gcc -O2 cannot see that bad() is negative */
	*s = c->p;
	*n = 0;
	while (q < c->end && *q != ' ' && *q != '\n')
		q++;
	if (q == c->p)
		return bad(c, "a field is missing");
	*s = c->p;
	*n = (size_t)(q - c->p);
	c->p = q < c->end && *q == ' ' ? q + 1 : q;
	return 0;
}

static int
end_line(struct cursor *c)
{
	if (c->p >= c->end || *c->p != '\n' || c->p[-1] == ' ')
		return bad(c, "expected the end of the line");
	c->p++;
	c->line++;
	return 0;
}

static int
number(struct cursor *c, int64_t *out, int64_t max)
{
	const char *s;
	size_t n, i;
	int64_t v = 0;
	int rc;

	if ((rc = token(c, &s, &n)) < 0)
		return rc;
	if (n > 18 || (n > 1 && s[0] == '0'))
		return bad(c, "a number is out of range");
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return bad(c, "expected a number");
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return bad(c, "a number is out of range");
	*out = v;
	return 0;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool
needs_escape(unsigned char ch)
{
	return ch <= ' ' || ch >= 0x7f || ch == '%' || ch == ',' || ch == '~';
}

/* Decodes s[0..n) (percent-encoded, "~" empty) into a new string. */
static int
decode(const struct cursor *c, const char *s, size_t n, char **out)
{
	struct tk_buf b = TK_BUF_INIT(TK_EMERGENCY_MAX_FIELD);
	const char *why = NULL;
	size_t i;
	int hi, lo, rc = 0;

	*out = NULL;
	if (n == 1 && s[0] == '~')
		return 0;
	for (i = 0; i < n && rc == 0 && why == NULL; i++) {
		if (s[i] == '%') {
			/* only what the formatter encodes: one spelling each */
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 ||
			    (hi == 0 && lo == 0) ||
			    !needs_escape((unsigned char)(hi << 4 | lo)))
				why = "a field is badly encoded";
			else
				rc = tk_buf_putc(&b, (char)(hi << 4 | lo));
			i += 2;
		} else if (s[i] == ',' || s[i] == '~' ||
		    (unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			why = "a field is badly encoded";
		else
			rc = tk_buf_putc(&b, s[i]);
	}
	if (rc == TK_ETOOBIG)
		why = "a field is too long";
	if (why == NULL && (rc < 0 || (*out = tk_buf_detach(&b, NULL)) == NULL))
		rc = tk_error_set(TK_ENOMEM, "out of memory");
	else if (why != NULL)
		rc = bad(c, why);
	tk_buf_release(&b);
	return rc;
}

static int
text(struct cursor *c, char **out)
{
	const char *s;
	size_t n;
	int rc;

	if ((rc = token(c, &s, &n)) < 0)
		return rc;
	return decode(c, s, n, out);
}

static bool
is_hex_id(const char *s, size_t n)
{
	size_t i;

	if (n != 40 && n != 64)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A comma-separated list of encoded fields ("~": none) into *v, *nv. */
static int
list(struct cursor *c, char ***v, size_t *nv, size_t max, const char *what)
{
	const char *s, *q, *comma;
	char **grown, msg[64];
	size_t n;
	int rc;

	if ((rc = token(c, &s, &n)) < 0)
		return rc;
	if (n == 1 && s[0] == '~')
		return 0;
	for (q = s; q <= s + n && *nv < max; q = comma + 1) {
		for (comma = q; comma < s + n && *comma != ','; comma++)
			;
		if ((grown = realloc(*v, (*nv + 1) * sizeof(**v))) == NULL)
			return tk_error_set(TK_ENOMEM, "out of memory");
		*v = grown;
		if ((rc = decode(c, q, (size_t)(comma - q), &(*v)[*nv])) < 0)
			return rc;
		if ((*v)[*nv] == NULL || *(*v)[(*nv)++] == '\0') {
			snprintf(msg, sizeof(msg), "an empty %s", what);
			return bad(c, msg);
		}
	}
	snprintf(msg, sizeof(msg), "too many %ss", what);
	return q <= s + n ? bad(c, msg) : 0;
}

static int
commit_line(struct cursor *c, struct tk_emergency_commit *cm)
{
	const char *s;
	size_t n;
	int rc;

	if ((rc = token(c, &s, &n)) < 0)
		return rc;
	if (n != 1 || s[0] != 'c')
		return bad(c, "expected a commit line");
	if ((rc = token(c, &s, &n)) < 0)
		return rc;
	if (!is_hex_id(s, n))
		return bad(c, "expected a commit id");
	memcpy(cm->id, s, n);
	cm->id[n] = '\0';
	if ((rc = list(c, &cm->writers, &cm->nwriters, TK_EMERGENCY_MAX_WRITERS,
	         "writer")) < 0)
		return rc;
	/* version 1 kept identity ids only */
	if (c->version >= 2 &&
	    ((rc = list(c, &cm->emails, &cm->nemails, TK_EMERGENCY_MAX_WRITERS,
	          "email")) < 0 ||
	        (rc = list(c, &cm->keys, &cm->nkeys, TK_EMERGENCY_MAX_WRITERS,
	             "key")) < 0))
		return rc;
	return end_line(c);
}

static int
entry_numbers(struct cursor *c, struct tk_emergency_entry *e)
{
	int64_t seq, waived, block;
	int rc;

	if ((rc = number(c, &seq, INT64_MAX)) < 0 ||
	    (rc = number(c, &e->time, INT64_MAX)) < 0 ||
	    (rc = number(c, &e->ratify_by, INT64_MAX)) < 0 ||
	    (rc = number(c, &e->ratified, INT64_MAX)) < 0 ||
	    (rc = number(c, &waived, TK_WAIVE_ALL)) < 0 ||
	    (rc = number(c, &block, 1)) < 0)
		return rc;
	e->seq = (uint64_t)seq;
	e->waived = (unsigned)waived;
	e->block = block == 1;
	return 0;
}

static int
entry(struct cursor *c, struct tk_emergency_entry *e, uint64_t next)
{
	char **f[] = {&e->repo, &e->ref, &e->old, &e->new_, &e->pusher,
	    &e->rule, &e->reason, &e->ratifiers};
	int64_t ncommits;
	size_t i;
	int rc;

	if ((rc = entry_numbers(c, e)) < 0)
		return rc;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if ((rc = text(c, f[i])) < 0)
			return rc;
	if ((rc = number(c, &ncommits, TK_EMERGENCY_MAX_COMMITS)) < 0 ||
	    (c->version >= 2 &&
	        (rc = list(c, &e->pusher_as, &e->npusher_as,
	             TK_EMERGENCY_MAX_PUSHER_AS, "pusher name")) < 0) ||
	    (rc = end_line(c)) < 0)
		return rc;
	if (e->seq == 0 || e->seq >= next || e->repo == NULL ||
	    e->ref == NULL || e->new_ == NULL || e->reason == NULL ||
	    (e->ratified != 0) != (e->ratifiers != NULL) || e->waived == 0)
		return bad(c, "an incomplete emergency");
	if (ncommits > 0 &&
	    (e->commits = tk_calloc((size_t)ncommits, sizeof(*e->commits))) ==
	        NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	/* counted before it is read: a line cut short is released too */
	for (i = 0; i < (size_t)ncommits; i++) {
		e->ncommits++;
		if ((rc = commit_line(c, &e->commits[i])) < 0)
			return rc;
	}
	return 0;
}

static int
header(struct cursor *c, struct tk_emergency_state *st)
{
	static const char magic[] = "twokey-emergencies ";
	int64_t next;
	int rc;

	/* 1: written by twokeys before emails and keys were kept */
	if ((size_t)(c->end - c->p) < sizeof(magic) + 1 ||
	    memcmp(c->p, magic, sizeof(magic) - 1) != 0 ||
	    (c->p[sizeof(magic) - 1] != '1' &&
	        c->p[sizeof(magic) - 1] != '2') ||
	    c->p[sizeof(magic)] != ' ')
		return bad(c,
		    "not a twokey emergency state (or one of a "
		    "version this twokey does not know)");
	c->version = c->p[sizeof(magic) - 1] - '0';
	c->p += sizeof(magic) + 1;
	if ((rc = number(c, &next, INT64_MAX)) < 0 || (rc = end_line(c)) < 0)
		return rc;
	if (next == 0)
		return bad(c, "a number is out of range");
	st->next = (uint64_t)next;
	return 0;
}

int
tk_emergency_state_parse(
    struct tk_emergency_state *st, const char *data, size_t len)
{
	struct cursor c = {data, data + len, 1, 0};
	const char *s;
	size_t n;
	int rc;

	memset(st, 0, sizeof(*st));
	if (len == 0)
		return 0; /* no state yet */
	if ((rc = header(&c, st)) < 0)
		return rc;
	while (rc == 0 && c.p < c.end) {
		if (st->n >= TK_EMERGENCY_MAX_ENTRIES)
			return bad(&c, "too many emergencies");
		if ((rc = tk_grow(&st->items, &st->cap, st->n + 1,
		         sizeof(*st->items))) < 0)
			return tk_error_set(TK_ENOMEM, "out of memory");
		memset(&st->items[st->n], 0, sizeof(st->items[0]));
		st->n++;
		if ((rc = token(&c, &s, &n)) < 0)
			return rc;
		if (n != 1 || s[0] != 'e')
			return bad(&c, "expected an emergency line");
		rc = entry(&c, &st->items[st->n - 1], st->next);
		if (rc == 0 && st->n > 1 &&
		    st->items[st->n - 1].seq <= st->items[st->n - 2].seq)
			return bad(&c, "entries out of order");
	}
	return rc;
}
