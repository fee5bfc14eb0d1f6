/*
 * Approved-by trailers and the approval payload (docs/spec.md, "Approval
 * trailer v1" and "Approval payload v1").
 *
 * The message is attacker text of up to TK_COMMIT_MAX_SIZE bytes.  Every
 * function here walks it front to back a bounded number of times, so the
 * cost stays linear however the lines, paragraphs, trailers and folds are
 * arranged.  The rules are the spec's and nothing more: no "---" divider and
 * no "mostly trailers" heuristic as in git or libgit2, because the signer
 * ("twokey approve") and the verifier must cut exactly the same bytes.
 */
#include "internal.h"

#include "twokey/commit.h"
#include "twokey/sshsig.h"
#include "twokey/trailer.h"

/* One line of the message: [p, e) without its '\n'; next is past it. */
struct line {
	const char *p;
	const char *e;
	const char *next;
};

/* The trailer block: whole lines [start, end), the first numbered line. */
struct block {
	const char *start;
	const char *end;
	size_t line;
};

/* One trailer: its key line plus continuation lines, [start, end). */
struct unit {
	const char *start;
	const char *end;
	size_t keylen; /* the key is at start */
	const char *value; /* just after the ':' */
	size_t line; /* 1-based line number in the message */
};

static void
get_line(struct line *l, const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	l->p = p;
	l->e = nl != NULL ? nl : end;
	l->next = nl != NULL ? nl + 1 : end;
}

static bool
is_hspace(char c)
{
	return c == ' ' || c == '\t';
}

/* docs/spec.md: a blank line is empty or only spaces, tabs and CR. */
static bool
is_blank(const char *p, const char *e)
{
	for (; p < e; p++)
		if (!is_hspace(*p) && *p != '\r')
			return false;
	return true;
}

static bool
is_key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Length of the key of "Key:..." at [p, e), or 0 when it is not one. */
static size_t
trailer_key_len(const char *p, const char *e)
{
	const char *k = p;

	while (k < e && is_key_char(*k))
		k++;
	return (k > p && k < e && *k == ':') ? (size_t)(k - p) : 0;
}

/*
 * Every line is "Key:..." or, after the first, a continuation line
 * starting with a space or tab.
 */
static bool
all_trailers(const char *p, const char *end)
{
	struct line l;

	for (get_line(&l, p, end); l.p < end; get_line(&l, l.next, end)) {
		if (is_hspace(*l.p) ? l.p == p : trailer_key_len(l.p, l.e) == 0)
			return false;
	}
	return true;
}

/*
 * The last paragraph, when it is not the first.  Returns false when there
 * is none.
 */
static bool
last_paragraph(struct block *b, const char *msg, size_t len)
{
	const char *end = msg + len;
	size_t lineno = 0, paragraphs = 0;
	bool in_par = false;
	struct line l;

	for (l.next = msg; l.next < end;) {
		get_line(&l, l.next, end);
		lineno++;
		if (is_blank(l.p, l.e)) {
			in_par = false;
			continue;
		}
		if (!in_par) {
			paragraphs++;
			b->start = l.p;
			b->line = lineno;
			in_par = true;
		}
		b->end = l.next;
	}
	return paragraphs >= 2;
}

/*
 * git's own isspace() (its sane_ctype table): space, tab, newline and
 * carriage return; not vertical tab or form feed, which C's isspace()
 * counts.
 */
static bool
is_git_sane_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * A line where git stops reading a message for trailers: "---" followed
 * by git's white space (find_patch_start(), which also ends the message
 * a commit's %(trailers) shows nothing after): "---" ending the line
 * counts, since its newline is white space, but not "---" ending a
 * message that has no final newline (git sees the NUL after it).  Or a
 * line holding git's scissors (wt_status_locate_end(): "# " and the cut
 * line; any line holding it, whatever the comment character).
 */
static bool
is_git_cut(const struct line *l)
{
	static const char cut[] =
	    "------------------------ >8 ------------------------";
	size_t n = (size_t)(l->e - l->p);

	if (n >= 3 && memcmp(l->p, "---", 3) == 0 &&
	    (n == 3 ? l->next > l->e : is_git_sane_space(l->p[3])))
		return true;
	return memmem(l->p, n, cut, sizeof(cut) - 1) != NULL;
}

/* The first line of [msg, end) git stops at, or NULL. */
static const char *
git_cut(const char *msg, const char *end)
{
	struct line l;

	for (get_line(&l, msg, end); l.p < end; get_line(&l, l.next, end))
		if (is_git_cut(&l))
			return l.p;
	return NULL;
}

/*
 * Whether git shows the trailer block b of msg: not when a line before
 * it is one where git stops reading.
 */
static bool
git_shows(const struct block *b, const char *msg)
{
	return git_cut(msg, b->start) == NULL;
}

/*
 * The trailer block: the last paragraph, when it is not the first and
 * consists of trailers only.  Returns false when there is none.
 */
static bool
find_block(struct block *b, const char *msg, size_t len)
{
	return last_paragraph(b, msg, len) && all_trailers(b->start, b->end);
}

/* The trailer at p inside a valid block ending at end; *lineno advances. */
static void
next_unit(struct unit *u, const char *p, const char *end, size_t *lineno)
{
	struct line l;

	get_line(&l, p, end);
	u->start = p;
	u->keylen = trailer_key_len(l.p, l.e);
	u->value = p + u->keylen + 1;
	u->line = (*lineno)++;
	while (l.next < end && is_hspace(*l.next)) {
		get_line(&l, l.next, end);
		(*lineno)++;
	}
	u->end = l.next;
}

static bool
is_approval(const struct unit *u)
{
	return tk_ascii_ieq(u->start, u->keylen, "Approved-by", 11);
}

/*
 * The value unfolded: white space after the ':' skipped, each newline (with
 * a CR before it) and the white space after it deleted, trailing white
 * space and CR trimmed.
 */
static int
unfold(struct tk_buf *b, const char *v, const char *e)
{
	struct line l;
	const char *s;
	int rc;

	for (get_line(&l, v, e); l.p < e; get_line(&l, l.next, e)) {
		for (s = l.p; s < l.e && is_hspace(*s); s++)
			;
		if (l.e < e && l.e > s && l.e[-1] == '\r')
			l.e--;
		if ((rc = tk_buf_put(b, s, (size_t)(l.e - s))) < 0)
			return rc;
	}
	while (b->len > 0 &&
	    (is_hspace(b->ptr[b->len - 1]) || b->ptr[b->len - 1] == '\r'))
		b->ptr[--b->len] = '\0';
	return 0;
}

/*
 * The value as git shows it (git log --format=%(trailers), git
 * interpret-trailers): each newline and the white space after it become
 * one space, white space at both ends trimmed.  require-trailers matches
 * this, what a reader sees: "CHG12345" folded onto "  6" is "CHG12345 6"
 * to git, not the "CHG123456" that unfold() makes for approvals.
 */
static int
unfold_as_git(struct tk_buf *b, const char *v, const char *e)
{
	const char *p = v, *run;
	int rc;

	while (p < e && is_git_sane_space(*p))
		p++;
	while (p < e) {
		for (run = p; p < e && *p != '\n'; p++)
			;
		if ((rc = tk_buf_put(b, run, (size_t)(p - run))) < 0)
			return rc;
		if (p == e)
			break;
		for (p++; p < e && is_git_sane_space(*p); p++)
			;
		if ((rc = tk_buf_put(b, " ", 1)) < 0)
			return rc;
	}
	while (b->len > 0 && is_git_sane_space(b->ptr[b->len - 1]))
		b->ptr[--b->len] = '\0';
	return 0;
}

/*
 * "display name <email>" at the start of s.  Returns 1 when malformed, 0
 * with name, email and *after (the offset just past '>') set, or TK_ENOMEM.
 */
static int
parse_ident(
    struct tk_approval_trailer *t, const char *s, size_t n, size_t *after)
{
	const char *e = s + n, *lt, *gt, *nb = s, *ne;

	if ((lt = memchr(s, '<', n)) == NULL)
		return 1;
	for (ne = lt; ne > nb && is_hspace(ne[-1]); ne--)
		;
	for (; nb < ne && is_hspace(*nb); nb++)
		;
	if (memchr(nb, '>', (size_t)(ne - nb)) != NULL)
		return 1;
	for (gt = lt + 1; gt < e && *gt != '>'; gt++)
		/* Space or controls in an email never match an identity. */
		if (*gt == '<' || (unsigned char)*gt <= ' ' || *gt == 0x7f)
			return 1;
	if (gt == e || gt == lt + 1)
		return 1;
	if ((t->name = tk_strndup(nb, (size_t)(ne - nb))) == NULL ||
	    (t->email = tk_strndup(lt + 1, (size_t)(gt - lt - 1))) == NULL)
		return TK_ENOMEM;
	*after = (size_t)(gt + 1 - s);
	return 0;
}

/* Decodes the text after "sshsig:"; sets the problem or returns an error. */
static int
decode_sig(struct tk_approval_trailer *t, const char *b64, size_t n)
{
	int rc;

	if (n == 0) {
		t->problem = TK_TRAILER_MALFORMED;
		return 0;
	}
	rc = tk_base64_decode(&t->sig, &t->sig_len, b64, n, TK_SSHSIG_MAX_BLOB);
	if (rc == TK_ETOOBIG)
		return tk_error_set(TK_ETOOBIG,
		    "signature of the Approved-by trailer on line %zu is over "
		    "%d bytes",
		    t->line, TK_SSHSIG_MAX_BLOB);
	if (rc == TK_EINVAL)
		t->problem = TK_TRAILER_BAD_BASE64;
	/*
	 * The decoder skips white space that unfolding keeps (form feed,
	 * vertical tab): "sshsig:\f" has nothing after it either.
	 */
	if (rc == 0 && t->sig_len == 0)
		t->problem = TK_TRAILER_MALFORMED;
	return rc == TK_EINVAL ? 0 : rc;
}

/* Classifies the unfolded value s and fills t. */
static int
parse_value(struct tk_approval_trailer *t, const char *s, size_t n)
{
	size_t after = 0;
	int rc;

	/* An embedded NUL would cut the email short in every C string use. */
	if (memchr(s, '\0', n) != NULL) {
		t->problem = TK_TRAILER_MALFORMED;
		return 0;
	}
	if ((rc = parse_ident(t, s, n, &after)) < 0)
		return rc;
	/* Forges write "Approved-by: name <email>": reported, ignored. */
	if (memmem(s, n, "sshsig:", 7) == NULL) {
		t->problem = TK_TRAILER_NO_SSHSIG;
		return 0;
	}
	if (rc == 1) {
		t->problem = TK_TRAILER_MALFORMED;
		return 0;
	}
	/* The space before "sshsig:" may be lost to a fold just before it */
	while (after < n && is_hspace(s[after]))
		after++;
	if (n - after < 7 || memcmp(s + after, "sshsig:", 7) != 0) {
		t->problem = TK_TRAILER_MALFORMED;
		return 0;
	}
	return decode_sig(t, s + after + 7, n - after - 7);
}

/* A problem found after parsing: the signature is not kept. */
static void
set_problem(struct tk_approval_trailer *t, enum tk_trailer_problem p)
{
	t->problem = p;
	tk_approval_drop_signature(t);
}

/*
 * Whether the raw value (folds included) reads as the same email and
 * "sshsig:" when git unfolds it: git makes each newline and the white
 * space after it one space, twokey deletes them, so a fold may fall only
 * where a space changes nothing (in the name, before "sshsig:", in the
 * base64).  The first '<' and the first '>' after it are the same bytes
 * in both readings.
 */
static bool
git_reads_alike(const char *v, size_t n)
{
	const char *e = v + n, *lt, *gt;

	if ((lt = memchr(v, '<', n)) == NULL ||
	    (gt = memchr(lt, '>', (size_t)(e - lt))) == NULL)
		return false;
	if (memchr(lt, '\n', (size_t)(gt - lt)) != NULL)
		return false;
	for (gt++; gt < e && is_git_sane_space(*gt); gt++)
		;
	return e - gt >= 7 && memcmp(gt, "sshsig:", 7) == 0;
}

/* name and email are never NULL, so reports need no special case. */
static int
fill_defaults(struct tk_approval_trailer *t)
{
	if ((t->name == NULL && (t->name = tk_strdup("")) == NULL) ||
	    (t->email == NULL && (t->email = tk_strdup("")) == NULL))
		return TK_ENOMEM;
	if (t->problem != TK_TRAILER_OK && t->sig != NULL) {
		free(t->sig);
		t->sig = NULL;
		t->sig_len = 0;
	}
	return 0;
}

int
tk_approval_parse_value(
    struct tk_approval_trailer *t, const char *value, size_t len, size_t line)
{
	struct tk_buf b = TK_BUF_INIT(TK_TRAILER_MAX_VALUE);
	size_t tlen;
	int rc;

	memset(t, 0, sizeof(*t));
	t->line = line;
	if ((rc = unfold(&b, value, value + len)) < 0)
		goto out;
	if ((t->text = tk_buf_detach(&b, &tlen)) == NULL) {
		rc = TK_ENOMEM;
		goto out;
	}
	if ((rc = parse_value(t, t->text, tlen)) < 0)
		goto out;
	if (t->problem == TK_TRAILER_OK && !git_reads_alike(value, len))
		set_problem(t, TK_TRAILER_MALFORMED);
	rc = fill_defaults(t);
out:
	tk_buf_release(&b);
	return rc;
}

static int
add_approval(struct tk_approval_list *l, size_t *cap, const struct unit *u)
{
	struct tk_approval_trailer *t;
	const char *e = u->end;
	int rc;

	if (l->count == TK_TRAILER_MAX_APPROVALS)
		return tk_error_set(TK_ETOOBIG,
		    "more than %d Approved-by trailers",
		    TK_TRAILER_MAX_APPROVALS);
	if (e > u->value && e[-1] == '\n')
		e--;
	if ((size_t)(e - u->value) > TK_TRAILER_MAX_VALUE)
		return tk_error_set(TK_ETOOBIG,
		    "value of the Approved-by trailer on line %zu is over %d "
		    "bytes",
		    u->line, TK_TRAILER_MAX_VALUE);
	if ((rc = tk_grow(&l->items, cap, l->count + 1, sizeof(*t))) < 0)
		return rc;
	t = &l->items[l->count++];
	return tk_approval_parse_value(
	    t, u->value, (size_t)(e - u->value), u->line);
}

int
tk_trailer_parse_approvals(
    struct tk_approval_list **out, const char *msg, size_t len)
{
	struct tk_approval_list *l;
	struct block b;
	struct unit u;
	size_t cap = 0, lineno;
	const char *p;
	bool shown;
	int rc = 0;

	*out = NULL;
	if ((l = tk_calloc(1, sizeof(*l))) == NULL)
		return TK_ENOMEM;
	if (len > 0 && find_block(&b, msg, len)) {
		shown = git_shows(&b, msg);
		for (p = b.start, lineno = b.line; p < b.end; p = u.end) {
			next_unit(&u, p, b.end, &lineno);
			if (!is_approval(&u))
				continue;
			if ((rc = add_approval(l, &cap, &u)) < 0)
				goto out;
			if (!shown)
				set_problem(&l->items[l->count - 1],
				    TK_TRAILER_GIT_CUT);
		}
	}
	*out = l;
	l = NULL; /* transferred */
out:
	tk_approval_list_free(l);
	return rc;
}

void
tk_approval_drop_signature(struct tk_approval_trailer *t)
{
	free(t->sig);
	t->sig = NULL;
	t->sig_len = 0;
}

void
tk_approval_list_free(struct tk_approval_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].email);
		free(l->items[i].sig);
		free(l->items[i].text);
	}
	free(l->items);
	free(l);
}

/*
 * Drops the blank lines at the end of out (from base on) and ends the text
 * with exactly one '\n'.  The last kept line stays byte for byte.
 */
static int
trim_and_terminate(struct tk_buf *out, size_t base)
{
	size_t i = out->len;
	const char *nl;

	while (i > base &&
	    (is_hspace(out->ptr[i - 1]) || out->ptr[i - 1] == '\r' ||
	        out->ptr[i - 1] == '\n'))
		i--;
	if (i > base && (nl = memchr(out->ptr + i, '\n', out->len - i)) != NULL)
		i = (size_t)(nl - out->ptr);
	else if (i > base)
		i = out->len;
	out->len = i;
	if (out->ptr != NULL)
		out->ptr[i] = '\0';
	return tk_buf_putc(out, '\n');
}

static int
put_without_approvals(struct tk_buf *out, const char *msg, size_t len)
{
	struct block b;
	struct unit u;
	size_t lineno;
	const char *p;
	int rc;

	if (len == 0 || !find_block(&b, msg, len))
		return tk_buf_put(out, msg, len);
	if ((rc = tk_buf_put(out, msg, (size_t)(b.start - msg))) < 0)
		return rc;
	for (p = b.start, lineno = b.line; p < b.end; p = u.end) {
		next_unit(&u, p, b.end, &lineno);
		if (!is_approval(&u) &&
		    (rc = tk_buf_put(out, u.start, (size_t)(u.end - u.start))) <
		        0)
			return rc;
	}
	/* What follows the block is blank lines, trimmed anyway. */
	return 0;
}

int
tk_trailer_canonical_message(struct tk_buf *out, const char *msg, size_t len)
{
	size_t base = out->len;
	int rc;

	if ((rc = put_without_approvals(out, msg, len)) < 0 ||
	    (rc = trim_and_terminate(out, base)) < 0)
		tk_buf_truncate(out, base);
	return rc;
}

int
tk_trailer_approval_payload(struct tk_buf *out, const struct tk_commit *c)
{
	size_t base = out->len, i;
	int rc;

	if ((rc = tk_buf_printf(
	         out, "twokey-approval v1\ntree %s\n", c->tree)) < 0)
		goto out;
	for (i = 0; i < c->nparents; i++)
		if ((rc = tk_buf_printf(out, "parent %s\n", c->parents[i])) < 0)
			goto out;
	if ((rc = tk_buf_puts(out, "author ")) < 0 ||
	    (rc = tk_buf_put(out, c->author.raw, c->author.raw_len)) < 0 ||
	    (rc = tk_buf_puts(out, "\n\n")) < 0 ||
	    (rc = tk_trailer_canonical_message(
	         out, c->message, c->message_len)) < 0)
		goto out;
	return 0;
out:
	tk_buf_truncate(out, base);
	return rc;
}

int
tk_trailer_each(const char *msg, size_t len, const char *key,
    int (*fn)(void *arg, const char *value, size_t vlen, size_t line),
    void *arg)
{
	struct tk_buf b = TK_BUF_INIT(TK_TRAILER_MAX_VALUE + 1);
	struct block blk;
	struct unit u;
	const char *p, *e;
	size_t lineno, klen = strlen(key);
	int rc = 0;

	if (len == 0 || !find_block(&blk, msg, len) || !git_shows(&blk, msg))
		return 0;
	for (p = blk.start, lineno = blk.line; p < blk.end && rc == 0;
	     p = u.end) {
		next_unit(&u, p, blk.end, &lineno);
		if (!tk_ascii_ieq(u.start, u.keylen, key, klen))
			continue;
		e = u.end > u.value && u.end[-1] == '\n' ? u.end - 1 : u.end;
		tk_buf_reset(&b);
		if ((size_t)(e - u.value) > TK_TRAILER_MAX_VALUE)
			rc = fn(arg, NULL, 0, u.line);
		else if ((rc = unfold_as_git(&b, u.value, e)) == 0)
			rc = fn(arg, b.ptr ? b.ptr : "", b.len, u.line);
	}
	tk_buf_release(&b);
	return rc;
}

/* git's find_separator() with ':' : the token may end in white space. */
static bool
git_trailer_line(const char *p, const char *e)
{
	const char *c;
	bool ws = false;

	for (c = p; c < e; c++) {
		if (*c == ':')
			return c > p;
		if (!ws && is_key_char(*c))
			continue;
		if (c != p && is_hspace(*c)) {
			ws = true;
			continue;
		}
		break;
	}
	return false;
}

/* Counts of the last paragraph's lines, as git's trailer.c counts. */
struct git_count {
	size_t trailers, others, cont;
	bool recognized;
};

static void
git_count_line(struct git_count *k, const char *p, const char *e)
{
	static const char *const gen[] = {
	    "Signed-off-by: ", "(cherry picked from commit "};
	size_t i, n = (size_t)(e - p);

	for (i = 0; i < TK_ARRAY_SIZE(gen); i++)
		if (n >= strlen(gen[i]) &&
		    memcmp(p, gen[i], strlen(gen[i])) == 0) {
			k->trailers++;
			k->cont = 0;
			k->recognized = true;
			return;
		}
	if (git_trailer_line(p, e) && !is_hspace(*p)) {
		k->trailers++;
		k->cont = 0;
	} else if (is_hspace(*p))
		k->cont++;
	else {
		k->others += 1 + k->cont;
		k->cont = 0;
	}
}

bool
tk_trailer_git_would_hide(const char *msg, size_t len)
{
	const char *end = msg + len;
	struct git_count k = {0, 0, 0, false};
	struct block b;
	struct line l;

	if (len > 0 && find_block(&b, msg, len))
		return false;
	/* git adds before the divider; twokey reads the last paragraph. */
	if (git_cut(msg, end) != NULL)
		return true;
	if (len == 0 || !last_paragraph(&b, msg, len))
		return false;
	for (get_line(&l, b.start, b.end); l.p < b.end;
	     get_line(&l, l.next, b.end))
		if (l.p < l.e && l.p[0] != '#')
			git_count_line(&k, l.p, l.e);
	k.others += k.cont;
	return (k.recognized && k.trailers * 3 >= k.others) ||
	    (k.trailers > 0 && k.others == 0);
}
