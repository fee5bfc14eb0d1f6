/*
 * The lines of a note: parsing them as approvals, and comparing two
 * versions of a note as sets of lines (docs/spec.md, "Detached
 * approvals": every line a note held must stay).
 *
 * Notes are attacker text.  Both passes are linear in the text plus a
 * sort of at most TK_NOTE_MAX_LINES lines per side.
 */
#include "internal.h"

#include "twokey/notes.h"
#include "twokey/trailer.h"

#define KEY "approved-by:"
#define KEYLEN (sizeof(KEY) - 1)
/* The text kept of a line that is not an approval, for reports. */
#define JUNK_TEXT_MAX 200

/* [p, e) is one line without its '\n'; returns the start of the next. */
static const char *
next_line(const char *p, const char *end, const char **e)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*e = nl != NULL ? nl : end;
	return nl != NULL ? nl + 1 : end;
}

static bool
is_blank(const char *p, const char *e)
{
	for (; p < e; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return false;
	return true;
}

static int
junk(struct tk_approval_trailer *t, const char *p, size_t n, size_t line)
{
	memset(t, 0, sizeof(*t));
	t->line = line;
	t->problem = TK_TRAILER_NOT_APPROVAL;
	if ((t->name = tk_strdup("")) == NULL ||
	    (t->email = tk_strdup("")) == NULL ||
	    (t->text = tk_strndup(p, n > JUNK_TEXT_MAX ? JUNK_TEXT_MAX : n)) ==
	        NULL)
		return TK_ENOMEM;
	return 0;
}

static int
add_line(struct tk_approval_list *l, size_t *cap, const char *p, const char *e,
    size_t line)
{
	struct tk_approval_trailer *t;
	size_t n = (size_t)(e - p);
	int rc;

	if (l->count == TK_NOTE_MAX_LINES)
		return tk_error_set(TK_ETOOBIG, "note has more than %d lines",
		    TK_NOTE_MAX_LINES);
	if (n > TK_TRAILER_MAX_VALUE)
		return tk_error_set(TK_ETOOBIG,
		    "line %zu of the note is over %d bytes", line,
		    TK_TRAILER_MAX_VALUE);
	if ((rc = tk_grow(&l->items, cap, l->count + 1, sizeof(*t))) < 0)
		return rc;
	t = &l->items[l->count++];
	if (n > KEYLEN && tk_ascii_ieq(p, KEYLEN, KEY, KEYLEN))
		return tk_approval_parse_value(t, p + KEYLEN, n - KEYLEN, line);
	return junk(t, p, n, line);
}

int
tk_notes_parse(struct tk_approval_list **out, const char *text, size_t len)
{
	struct tk_approval_list *l;
	const char *p = text, *end = text + len, *e;
	size_t cap = 0, line = 0;
	int rc = 0;

	*out = NULL;
	if (len > TK_NOTE_MAX_SIZE)
		return tk_error_set(
		    TK_ETOOBIG, "note is over %u bytes", TK_NOTE_MAX_SIZE);
	if ((l = tk_calloc(1, sizeof(*l))) == NULL)
		return TK_ENOMEM;
	while (p < end) {
		const char *next = next_line(p, end, &e);

		line++;
		if (!is_blank(p, e) && (rc = add_line(l, &cap, p, e, line)) < 0)
			goto out;
		p = next;
	}
	*out = l;
	l = NULL; /* transferred */
out:
	tk_approval_list_free(l);
	return rc;
}

static int
span_cmp(const void *a, const void *b)
{
	const struct tk_span *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = n ? memcmp(x->p, y->p, n) : 0;

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The non-blank lines of text, sorted, without repeats. */
static int
line_set(struct tk_span **out, size_t *n, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *e;
	struct tk_span *s = NULL;
	size_t k = 0, i, w;

	*out = NULL;
	*n = 0;
	while (p < end) {
		const char *next = next_line(p, end, &e);

		if (!is_blank(p, e)) {
			if (k == TK_NOTE_MAX_LINES) {
				free(s);
				return tk_error_set(TK_ETOOBIG,
				    "note has more than %d lines",
				    TK_NOTE_MAX_LINES);
			}
			if (tk_grow_one(&s, k, sizeof(*s)) < 0) {
				free(s);
				return TK_ENOMEM;
			}
			s[k].p = p;
			s[k++].len = (size_t)(e - p);
		}
		p = next;
	}
	if (k > 1)
		qsort(s, k, sizeof(*s), span_cmp);
	for (i = 0, w = 0; i < k; i++)
		if (w == 0 || span_cmp(&s[w - 1], &s[i]) != 0)
			s[w++] = s[i];
	*out = s;
	*n = w;
	return 0;
}

/* Appends to *out every element of a[0..na) that b[0..nb) lacks. */
static int
missing(struct tk_span **out, size_t *nout, const struct tk_span *a, size_t na,
    const struct tk_span *b, size_t nb)
{
	size_t i;

	for (i = 0; i < na; i++) {
		if (nb > 0 && bsearch(&a[i], b, nb, sizeof(*b), span_cmp))
			continue;
		if (tk_grow_one(out, *nout, sizeof(**out)) < 0)
			return TK_ENOMEM;
		(*out)[(*nout)++] = a[i];
	}
	return 0;
}

int
tk_notes_compare(struct tk_notes_delta *d, const char *a, size_t alen,
    const char *b, size_t blen)
{
	struct tk_span *sa = NULL, *sb = NULL;
	size_t na = 0, nb = 0;
	int rc;

	if ((rc = line_set(&sa, &na, a, alen)) < 0 ||
	    (rc = line_set(&sb, &nb, b, blen)) < 0 ||
	    (rc = missing(&d->added, &d->nadded, sb, nb, sa, na)) < 0 ||
	    (rc = missing(&d->removed, &d->nremoved, sa, na, sb, nb)) < 0)
		tk_notes_delta_release(d);
	free(sa);
	free(sb);
	return rc;
}

/*
 * The public key inside an SSHSIG blob: the string after the magic and
 * the version (OpenSSH PROTOCOL.sshsig).  Only compared, never trusted:
 * NULL when the blob is too short to hold one.
 */
static const unsigned char *
sig_key(const unsigned char *b, size_t n, size_t *kl)
{
	size_t l;

	if (b == NULL || n < 14 || memcmp(b, "SSHSIG", 6) != 0)
		return NULL;
	l = (size_t)b[10] << 24 | (size_t)b[11] << 16 | (size_t)b[12] << 8 |
	    (size_t)b[13];
	if (l == 0 || l > n - 14)
		return NULL;
	*kl = l;
	return b + 14;
}

static bool
same_signer(
    const struct tk_approval_trailer *x, const struct tk_approval_trailer *y)
{
	const unsigned char *kx, *ky;
	size_t lx = 0, ly = 0;

	if (x->problem != TK_TRAILER_OK || y->problem != TK_TRAILER_OK ||
	    !tk_ascii_ieq(
	        x->email, strlen(x->email), y->email, strlen(y->email)))
		return false;
	kx = sig_key(x->sig, x->sig_len, &lx);
	ky = sig_key(y->sig, y->sig_len, &ly);
	return kx != NULL && ky != NULL && lx == ly && memcmp(kx, ky, lx) == 0;
}

/*
 * One distinct line of a note, parsed; a line that is no approval is kept
 * with its problem set, and matches nothing.
 */
static int
parse_one(struct tk_approval_trailer *t, const struct tk_span *s, size_t line)
{
	int rc;

	if (s->len <= KEYLEN || !tk_ascii_ieq(s->p, KEYLEN, KEY, KEYLEN)) {
		memset(t, 0, sizeof(*t));
		t->problem = TK_TRAILER_NOT_APPROVAL;
		return 0;
	}
	rc = tk_approval_parse_value(t, s->p + KEYLEN, s->len - KEYLEN, line);
	if (rc == TK_ENOMEM)
		return rc;
	if (rc < 0)
		t->problem = TK_TRAILER_MALFORMED;
	return 0;
}

int
tk_notes_repeats(bool *dup, const char *text, size_t len,
    const struct tk_span *lines, size_t n)
{
	struct tk_approval_list l = {NULL, 0};
	struct tk_span *set = NULL;
	const struct tk_span *at;
	size_t k = 0, i, j, me;
	int rc;

	for (i = 0; i < n; i++)
		dup[i] = false;
	if ((rc = line_set(&set, &k, text, len)) < 0)
		return rc;
	if (k < 2)
		goto out;
	if ((l.items = tk_calloc(k, sizeof(*l.items))) == NULL) {
		rc = TK_ENOMEM;
		goto out;
	}
	for (; l.count < k && rc == 0; l.count++)
		rc = parse_one(&l.items[l.count], &set[l.count], l.count + 1);
	for (i = 0; i < n && rc == 0; i++) {
		if ((at = bsearch(&lines[i], set, k, sizeof(*set), span_cmp)) ==
		    NULL)
			continue;
		me = (size_t)(at - set);
		for (j = 0; j < k && !dup[i]; j++)
			dup[i] =
			    j != me && same_signer(&l.items[me], &l.items[j]);
	}
out:
	for (i = 0; i < l.count; i++) {
		free(l.items[i].name);
		free(l.items[i].email);
		free(l.items[i].sig);
		free(l.items[i].text);
	}
	free(l.items);
	free(set);
	return rc;
}

void
tk_notes_delta_release(struct tk_notes_delta *d)
{
	free(d->added);
	free(d->removed);
	memset(d, 0, sizeof(*d));
}
