/*
 * Errors that teach: what libyaml's words mean for a policy author, with
 * the line and column of the real cause.
 *
 * libyaml says "found character that cannot start any token" for a tab,
 * and reports a key indented unlike its siblings as "did not find expected
 * key" or "mapping values are not allowed in this context", sometimes on
 * the line after the one that is wrong.  A private key pasted into keys:
 * was only "control character in value".  These helpers read the policy
 * text around the error again, line by line: a bounded window before the
 * error, no recursion, and nothing of a value is echoed but key names.
 */
#include "internal.h"
#include "twokey/policy.h"
#include "ynode.h"

#define WINDOW 2000 /* lines looked at before the error */

/* One line of the window, as indentation sees it. */
struct line {
	unsigned no; /* 1-based */
	unsigned indent; /* leading spaces */
	unsigned kcol; /* 0-based column of the key: after "- " for items */
	bool blank; /* empty, spaces or a comment */
	bool item; /* "- ..." */
	bool key; /* "key:" at kcol */
	bool opens; /* "key:" with nothing after it but a comment */
	const char *k; /* the key's text */
	unsigned klen;
};

static size_t
line_end(const char *d, size_t len, size_t off)
{
	while (off < len && d[off] != '\n' && d[off] != '\r')
		off++;
	return off;
}

static size_t
next_line(const char *d, size_t len, size_t off)
{
	off = line_end(d, len, off);
	if (off < len && d[off] == '\r')
		off++;
	if (off < len && d[off] == '\n')
		off++;
	return off;
}

size_t
tk_yaml_offset(const char *d, size_t len, unsigned line, unsigned col)
{
	size_t off = 0;
	unsigned l, c;

	for (l = 1; l < line && off < len; l++)
		off = next_line(d, len, off);
	for (c = 1; c < col && off < len && d[off] != '\n' && d[off] != '\r';
	     c++) {
		off++; /* columns count characters: skip continuation bytes */
		while (off < len && ((unsigned char)d[off] & 0xc0) == 0x80)
			off++;
	}
	return off;
}

/* A plain key at s: up to ':' followed by a space or the line's end. */
static void
read_key(struct line *ln, const char *s, const char *end)
{
	const char *p = s;

	if (p >= end || strchr("#'\"[]{}&*!|>%@`,?:-", *p) != NULL)
		return;
	for (; p < end && *p != '#'; p++)
		if (*p == ':' && (p + 1 == end || p[1] == ' ')) {
			ln->key = true;
			ln->k = s;
			ln->klen = (unsigned)(p - s > 60 ? 60 : p - s);
			for (p++; p < end && *p == ' '; p++)
				;
			ln->opens = p == end || *p == '#';
			return;
		}
}

static void
scan_line(struct line *ln, const char *d, size_t len, size_t off)
{
	size_t end = line_end(d, len, off), i = off;

	while (i < end && d[i] == ' ')
		i++;
	ln->indent = ln->kcol = (unsigned)(i - off);
	ln->blank = i == end || d[i] == '#';
	if (ln->blank)
		return;
	if (d[i] == '-' && (i + 1 == end || d[i + 1] == ' ')) {
		ln->item = true;
		for (i++; i < end && d[i] == ' '; i++)
			;
		ln->kcol = (unsigned)(i - off);
	}
	read_key(ln, d + i, d + end);
}

/*
 * Lines first..last (1-based) of d into *out; returns how many, 0 on
 * allocation failure.
 */
static size_t
window(struct line **out, const char *d, size_t len, unsigned last)
{
	unsigned first = last > WINDOW ? last - WINDOW : 1, l;
	size_t off = tk_yaml_offset(d, len, first, 1), n = 0;
	struct line *ls;

	if ((ls = tk_calloc(last - first + 1, sizeof(*ls))) == NULL)
		return 0;
	for (l = first; l <= last && off <= len; l++) {
		ls[n].no = l;
		scan_line(&ls[n++], d, len, off);
		if (off == len)
			break;
		off = next_line(d, len, off);
	}
	*out = ls;
	return n;
}

/*
 * The file's indentation step: how far the first line under "key:" is
 * usually indented past it (2 when nothing says otherwise).
 */
static unsigned
step(const struct line *ls, size_t n)
{
	unsigned count[9] = {0}, best = 2, d;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!ls[i].opens)
			continue;
		for (j = i + 1; j < n && ls[j].blank; j++)
			;
		if (j == n || ls[j].indent <= ls[i].kcol)
			continue;
		d = ls[j].indent - ls[i].kcol;
		if (d < 9)
			count[d]++;
	}
	for (d = 1; d < 9; d++)
		if (count[d] > count[best])
			best = d;
	return best;
}

static void
say_misindent(struct tk_buf *e, const char *name, const struct line *bad,
    const struct line *other, const char *problem)
{
	unsigned b = bad->item ? bad->indent : bad->kcol;
	unsigned o = other->item && bad->item ? other->indent : other->kcol;

	(void)tk_buf_printf(e,
	    "%s:%u:%u: this %s is indented differently from its siblings: "
	    "%u space%s here, %u for ",
	    name, bad->no, b + 1, bad->item ? "list item" : "key", b,
	    b == 1 ? "" : "s", o);
	if (bad->item)
		(void)tk_buf_puts(e, "the item");
	else {
		(void)tk_buf_putc(e, '\'');
		(void)tk_sanitize(e, other->k ? other->k : "", other->klen, 60);
		(void)tk_buf_putc(e, '\'');
	}
	(void)tk_buf_printf(e,
	    " on line %u; %s must start in the same column (spaces only) "
	    "(YAML parser: %s)\n",
	    other->no,
	    bad->item ? "the items of one list" : "the keys of one mapping",
	    problem);
}

/* The non-blank line before ls[i], or NULL. */
static const struct line *
before(const struct line *ls, size_t i)
{
	while (i-- > 0)
		if (!ls[i].blank)
			return &ls[i];
	return NULL;
}

/* The first non-blank line after ls[i], before ls[n - 1], or NULL. */
static const struct line *
first_child(const struct line *ls, size_t i, size_t n)
{
	for (i++; i < n - 1; i++)
		if (!ls[i].blank)
			return &ls[i];
	return NULL;
}

/*
 * P = ls[n - 1], the line libyaml stopped on.  Decides which line is
 * indented unlike its siblings: P itself, or the first key of P's block
 * when P sits where the file's indentation step puts it (libyaml then
 * complains one line late, about P).  P's block belongs to the nearest
 * line above that starts left of P: a "key:" (its keys are on the lines
 * after it) or a "- key: value" item (its keys start on the item line).
 */
static bool
misindent(struct tk_buf *e, const char *name, const struct line *ls, size_t n,
    const char *problem)
{
	const struct line *p = &ls[n - 1], *q = before(ls, n - 1), *o, *f;
	unsigned base;
	size_t i;

	if (q == NULL)
		return false;
	if (p->item && q->item && q->indent != p->indent) {
		say_misindent(e, name, p, q, problem);
		return true;
	}
	if (!p->key || p->item)
		return false;
	if (q->key && !q->opens && p->kcol > q->kcol) { /* deeper than q */
		say_misindent(e, name, p, q, problem);
		return true;
	}
	for (i = n - 1; i-- > 0;)
		if (!ls[i].blank && ls[i].indent < p->kcol)
			break;
	if (i == SIZE_MAX)
		return false;
	o = &ls[i];
	if (o->item && o->key) {
		f = o;
		base = o->indent;
	} else if (o->opens && (f = first_child(ls, i, n)) != NULL) {
		base = o->kcol;
	} else
		return false;
	if (f->key && !f->item && f->kcol == p->kcol)
		return false; /* p agrees with its siblings */
	if (f != o && f->key && !f->item && p->kcol == base + step(ls, n))
		say_misindent(e, name, f, p, problem); /* f is the odd one */
	else
		say_misindent(e, name, p, f->key && !f->item ? f : o, problem);
	return true;
}

/* A tab among the leading blanks of line l, at its column. */
static bool
tab_indent(
    struct tk_buf *e, const char *name, const char *d, size_t len, unsigned l)
{
	size_t off = tk_yaml_offset(d, len, l, 1), i;
	size_t end = line_end(d, len, off);

	for (i = off; i < end && (d[i] == ' ' || d[i] == '\t'); i++)
		if (d[i] == '\t') {
			(void)tk_buf_printf(e,
			    "%s:%u:%zu: a tab in the indentation: YAML forbids "
			    "tabs for indentation; use spaces\n",
			    name, l, i - off + 1);
			return true;
		}
	return false;
}

bool
tk_yaml_explain(struct tk_buf *e, const char *name, const char *d, size_t len,
    unsigned line, const char *problem)
{
	struct line *ls = NULL;
	size_t n;
	bool done = false;

	if (line == 0)
		return false;
	if (tab_indent(e, name, d, len, line) ||
	    (line > 1 && tab_indent(e, name, d, len, line - 1)))
		return true;
	if (strcmp(problem, "did not find expected key") != 0 &&
	    strcmp(problem, "mapping values are not allowed in this context") &&
	    strcmp(problem, "did not find expected '-' indicator") != 0)
		return false;
	if ((n = window(&ls, d, len, line)) > 0 && ls[n - 1].no == line)
		done = misindent(e, name, ls, n, problem);
	free(ls);
	return done;
}

/*
 * Key material that must never be in a policy: a PEM or OpenSSH private
 * key, armoured or just its base64 body ("openssh-key-v1" encodes as
 * b3BlbnNzaC1rZXktdjE).  The message names the kind, never the content.
 */
bool
tk_yaml_private_key(
    struct tk_buf *e, const char *name, const char *d, size_t len)
{
	static const char *const marks[] = {
	    "PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjE", "PuTTY-User-Key-File-"};
	const char *hit = NULL, *s;
	size_t i, off, lineoff, col;
	unsigned line = 1;

	for (i = 0; i < TK_ARRAY_SIZE(marks) && hit == NULL; i++)
		hit = memmem(d, len, marks[i], strlen(marks[i]));
	if (hit == NULL)
		return false;
	off = (size_t)(hit - d);
	for (lineoff = 0, s = d; s < hit; s++)
		if (*s == '\n' || (*s == '\r' && s[1] != '\n')) {
			line++;
			lineoff = (size_t)(s - d) + 1;
		}
	/* point at "-----BEGIN" when the marker is its end */
	s = memmem(d + lineoff, off - lineoff, "-----BEGIN", 10);
	if (s != NULL)
		off = (size_t)(s - d);
	for (col = 1, i = lineoff; i < off; i++) /* characters, not bytes */
		col += ((unsigned char)d[i] & 0xc0) != 0x80;
	(void)tk_buf_printf(e,
	    "%s:%u:%zu: this is a PRIVATE key: a secret is now on disk in the "
	    "policy file (and in every copy, backup and commit of it); remove "
	    "it, treat the key as compromised (make a new key pair and stop "
	    "using this one), and put only public keys here: one line "
	    "'ssh-ed25519 AAAA... comment', as in the .pub file or "
	    "'ssh-keygen -y -f KEY'\n",
	    name, line, col);
	return true;
}
