/*
 * Raw commit objects, read the way git reads them.
 *
 * The object comes from the pusher.  What a commit signature covers is
 * rebuilt here byte for byte as git's parse_buffer_signed_by_header() does
 * (the object minus every "gpgsig*" header line and its continuation
 * lines), because any difference lets a signature verify over bytes that
 * git would show differently, or makes honest commits fail.  Where git's
 * own reading is loose or ambiguous (duplicate signatures, repeated
 * identity headers) the object is refused instead of guessed at.
 */
#include "internal.h"

#include "twokey/commit.h"

/* The header lines still to read: [p, end), every one ending in '\n'. */
struct cursor {
	const char *p;
	const char *end;
};

/* Which header the continuation lines being read belong to. */
enum hdr_state {
	HDR_NONE, /* none yet: a continuation here is malformed */
	HDR_EXTRA, /* an extra header kept in the payload (mergetag, ...) */
	HDR_OWN, /* this hash's signature header */
	HDR_OTHER /* another gpgsig* header, dropped like git drops it */
};

/* Length of the line at cur->p without its '\n' (always present). */
static size_t
line_len(const struct cursor *cur)
{
	const char *nl = memchr(cur->p, '\n', (size_t)(cur->end - cur->p));

	return (size_t)(nl - cur->p);
}

/* Length of the header key of a line: up to the first space, if any. */
static size_t
key_len(const char *line, size_t n)
{
	const char *sp = memchr(line, ' ', n);

	return sp != NULL ? (size_t)(sp - line) : n;
}

static bool
is_std_key(const char *k, size_t n)
{
	return (n == 4 && memcmp(k, "tree", 4) == 0) ||
	    (n == 6 && memcmp(k, "parent", 6) == 0) ||
	    (n == 6 && memcmp(k, "author", 6) == 0) ||
	    (n == 9 && memcmp(k, "committer", 9) == 0);
}

/*
 * When the next line is "<key> value", points *val at the value, sets
 * *vlen (no newline), moves past the line and returns true.
 */
static bool
take(struct cursor *cur, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key), n;

	if (cur->p >= cur->end)
		return false;
	n = line_len(cur);
	if (n <= klen || memcmp(cur->p, key, klen) != 0 || cur->p[klen] != ' ')
		return false;
	*val = cur->p + klen + 1;
	*vlen = n - klen - 1;
	cur->p += n + 1;
	return true;
}

/* The error for a required header that is not the next line. */
static int
missing(const struct cursor *cur, const char *key)
{
	size_t k;

	if (cur->p < cur->end) {
		k = key_len(cur->p, line_len(cur));
		if (k == strlen(key) && memcmp(cur->p, key, k) == 0)
			return tk_error_set(
			    TK_EINVAL, "malformed '%s' header: no value", key);
		if (is_std_key(cur->p, k))
			return tk_error_set(TK_EINVAL,
			    "commit headers out of "
			    "order: '%.*s' where '%s' belongs",
			    (int)k, cur->p, key);
	}
	return tk_error_set(TK_EINVAL, "commit has no '%s' header", key);
}

static bool
is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Lowercase hex of exactly hexlen digits, as git writes object ids. */
static int
parse_hex(
    char dst[65], const char *v, size_t n, size_t hexlen, const char *what)
{
	size_t i;

	for (i = 0; i < n && is_lower_hex(v[i]); i++)
		;
	if (n != hexlen || i != n)
		return tk_error_set(TK_EINVAL,
		    "malformed '%s' header: "
		    "not %zu lowercase hex digits",
		    what, hexlen);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* First '<' or '>' in [p, e), or NULL. */
static const char *
find_angle(const char *p, const char *e)
{
	for (; p < e; p++)
		if (*p == '<' || *p == '>')
			return p;
	return NULL;
}

/*
 * "<seconds> <+hhmm>" to the end of the value, as git fsck wants it: no
 * leading zero, bounded well below overflow.
 */
static int
parse_date(int64_t *when, const char *q, const char *e, const char *what)
{
	int64_t t = 0;
	const char *d = q;

	if (q < e && *q == '0' && q + 1 < e && q[1] != ' ')
		return tk_error_set(
		    TK_EINVAL, "malformed '%s' header: zero-padded date", what);
	for (; q < e && *q >= '0' && *q <= '9'; q++)
		if ((t = t * 10 + (*q - '0')) > TK_COMMIT_MAX_TIME)
			return tk_error_set(TK_EINVAL,
			    "malformed '%s' header: date out of range", what);
	if (q == d || q >= e || *q != ' ')
		return tk_error_set(
		    TK_EINVAL, "malformed '%s' header: bad date", what);
	q++;
	if (e - q != 5 || (q[0] != '+' && q[0] != '-') || q[1] < '0' ||
	    q[1] > '9' || q[2] < '0' || q[2] > '9' || q[3] < '0' ||
	    q[3] > '9' || q[4] < '0' || q[4] > '9')
		return tk_error_set(
		    TK_EINVAL, "malformed '%s' header: bad time zone", what);
	*when = t;
	return 0;
}

/* "Name <email> <seconds> <+hhmm>", with git fsck's rules. */
static int
parse_person(struct tk_person *pp, const char *v, size_t n, const char *what)
{
	const char *e = v + n, *lt, *gt;

	pp->raw = v;
	pp->raw_len = n;
	if ((lt = find_angle(v, e)) == NULL || *lt == '>')
		return tk_error_set(TK_EINVAL,
		    "malformed '%s' header: bad name or no email", what);
	if (lt == v || lt[-1] != ' ')
		return tk_error_set(TK_EINVAL,
		    "malformed '%s' header: no space before email", what);
	if ((gt = find_angle(lt + 1, e)) == NULL || *gt != '>')
		return tk_error_set(
		    TK_EINVAL, "malformed '%s' header: bad email", what);
	if (gt + 1 >= e || gt[1] != ' ')
		return tk_error_set(TK_EINVAL,
		    "malformed '%s' header: no space before date", what);
	pp->name = v;
	/* git's split_ident_line() drops every space before the '<'. */
	for (pp->name_len = (size_t)(lt - 1 - v);
	     pp->name_len > 0 && v[pp->name_len - 1] == ' '; pp->name_len--)
		;
	pp->email = lt + 1;
	pp->email_len = (size_t)(gt - lt - 1);
	return parse_date(&pp->when, gt + 2, e, what);
}

/*
 * Finds the end of the header area (the first empty line) and the message
 * after it.  A commit without an empty line has an empty message; its last
 * header line must still end in '\n', so every header line does.
 */
static int
split(struct tk_commit *c, size_t len, struct cursor *cur)
{
	const char *r = c->raw_, *e = r + len, *blank;

	if (r[0] == '\n') {
		cur->end = r;
		c->message = r + 1;
	} else if ((blank = memmem(r, len, "\n\n", 2)) != NULL) {
		cur->end = blank + 1;
		c->message = blank + 2;
	} else if (r[len - 1] != '\n') {
		return tk_error_set(
		    TK_EINVAL, "commit object ends inside a header line");
	} else {
		cur->end = e;
		c->message = e;
	}
	cur->p = r;
	c->message_len = (size_t)(e - c->message);
	return 0;
}

/* tree, parent..., author, committer: exactly git's order. */
static int
parse_fixed(struct tk_commit *c, struct cursor *cur, size_t hexlen)
{
	const char *v;
	size_t n, cap = 0;
	int rc;

	if (!take(cur, "tree", &v, &n))
		return missing(cur, "tree");
	if ((rc = parse_hex(c->tree, v, n, hexlen, "tree")) < 0)
		return rc;
	while (take(cur, "parent", &v, &n)) {
		if (c->nparents == TK_COMMIT_MAX_PARENTS)
			return tk_error_set(TK_EINVAL,
			    "commit has more than %d parents",
			    TK_COMMIT_MAX_PARENTS);
		if ((rc = tk_grow(&c->parents, &cap, c->nparents + 1,
		         sizeof(*c->parents))) < 0)
			return rc;
		if ((rc = parse_hex(
		         c->parents[c->nparents], v, n, hexlen, "parent")) < 0)
			return rc;
		c->nparents++;
	}
	if (!take(cur, "author", &v, &n))
		return missing(cur, "author");
	if ((rc = parse_person(&c->author, v, n, "author")) < 0)
		return rc;
	if (!take(cur, "committer", &v, &n))
		return missing(cur, "committer");
	return parse_person(&c->committer, v, n, "committer");
}

/*
 * One extra header line (not a continuation): kept in the payload, or
 * dropped as a gpgsig* header, the own one feeding the signature.  git
 * drops every line starting with "gpgsig", not only the known keys.
 */
static int
extra_line(const char *line, size_t n, const char *own, enum hdr_state *st,
    struct tk_buf *payload, struct tk_buf *sig)
{
	size_t k = key_len(line, n);

	if (is_std_key(line, k))
		return tk_error_set(TK_EINVAL,
		    "misplaced or repeated '%.*s' header", (int)k, line);
	if (k < 6 || memcmp(line, "gpgsig", 6) != 0) {
		*st = HDR_EXTRA;
		return tk_buf_put(payload, line, n + 1);
	}
	if (k != strlen(own) || memcmp(line, own, k) != 0 || k == n) {
		*st = HDR_OTHER;
		return 0;
	}
	/* git would concatenate both; no honest tool writes two. */
	if (sig->ptr != NULL)
		return tk_error_set(TK_EINVAL, "duplicate %s header", own);
	*st = HDR_OWN;
	return tk_buf_put(sig, line + k + 1, n - k);
}

/*
 * Notes an "encoding" header the way git's find_commit_header() finds it
 * (the first "encoding " line; its continuation lines are not part of
 * the value git reads, so they are counted, to be refused).  Returns
 * whether line is the first one.
 */
static bool
note_encoding(struct tk_commit *c, const char *line, size_t n)
{
	if (n < 9 || memcmp(line, "encoding ", 9) != 0)
		return false;
	if (c->nencoding++ > 0)
		return false;
	c->encoding = line + 9;
	c->encoding_len = n - 9;
	return true;
}

/* A continuation line (leading space) of the header in state st. */
static int
continuation(const char *line, size_t n, enum hdr_state st,
    struct tk_buf *payload, struct tk_buf *sig)
{
	if (st == HDR_NONE)
		return tk_error_set(
		    TK_EINVAL, "continuation line after the committer header");
	if (st == HDR_OWN) /* one leading space removed */
		return tk_buf_put(sig, line + 1, n);
	if (st == HDR_EXTRA)
		return tk_buf_put(payload, line, n + 1);
	return 0;
}

/* The headers after committer, up to the empty line. */
static int
parse_extras(struct tk_commit *c, struct cursor *cur, const char *own,
    struct tk_buf *payload, struct tk_buf *sig)
{
	enum hdr_state st = HDR_NONE;
	bool in_encoding = false;
	size_t n;
	int rc = 0;

	for (; cur->p < cur->end && rc == 0; cur->p += n + 1) {
		n = line_len(cur);
		if (cur->p[0] != ' ') {
			in_encoding = note_encoding(c, cur->p, n);
			rc = extra_line(cur->p, n, own, &st, payload, sig);
			continue;
		}
		if (in_encoding)
			c->encoding_folded = true;
		rc = continuation(cur->p, n, st, payload, sig);
	}
	return rc;
}

static enum tk_sig_format
sig_format(const char *s, size_t n)
{
	static const struct {
		const char *armor;
		enum tk_sig_format fmt;
	} tab[] = {
	    {"-----BEGIN SSH SIGNATURE-----", TK_SIG_SSH},
	    {"-----BEGIN PGP SIGNATURE-----", TK_SIG_PGP},
	    {"-----BEGIN PGP MESSAGE-----", TK_SIG_PGP},
	    {"-----BEGIN SIGNED MESSAGE-----", TK_SIG_X509},
	};
	size_t i, alen;

	/* A prefix match, as git's get_format_by_sig(). */
	for (i = 0; i < TK_ARRAY_SIZE(tab); i++) {
		alen = strlen(tab[i].armor);
		if (n >= alen && memcmp(s, tab[i].armor, alen) == 0)
			return tab[i].fmt;
	}
	return TK_SIG_UNKNOWN;
}

/* Builds signed_payload and the signature from the extra headers on. */
static int
parse_rest(struct tk_commit *c, struct cursor *cur, size_t len, size_t hexlen)
{
	struct tk_buf payload = TK_BUF_INIT(TK_COMMIT_MAX_SIZE);
	struct tk_buf sig = TK_BUF_INIT(TK_COMMIT_MAX_SIZE);
	const char *own = hexlen == 64 ? "gpgsig-sha256" : "gpgsig";
	const char *hdr_end = cur->end;
	int rc;

	if ((rc = tk_buf_put(&payload, c->raw_, (size_t)(cur->p - c->raw_))) <
	        0 ||
	    (rc = parse_extras(c, cur, own, &payload, &sig)) < 0 ||
	    (rc = tk_buf_put(
	         &payload, hdr_end, (size_t)(c->raw_ + len - hdr_end))) < 0)
		goto out;
	if ((c->signed_payload =
	            tk_buf_detach(&payload, &c->signed_payload_len)) == NULL) {
		rc = tk_error_set(TK_ENOMEM, "out of memory");
		goto out;
	}
	if (sig.ptr != NULL) {
		c->sig_format = sig_format(sig.ptr, sig.len);
		c->signature = tk_buf_detach(&sig, &c->signature_len);
	}
	rc = 0;
out:
	tk_buf_release(&payload);
	tk_buf_release(&sig);
	return rc;
}

int
tk_commit_parse(
    struct tk_commit **out, const char *raw, size_t len, size_t hexlen)
{
	struct tk_commit *c = NULL;
	struct cursor cur = {0};
	int rc;

	*out = NULL;
	if (hexlen != 40 && hexlen != 64)
		return tk_error_set(
		    TK_EINVAL, "unsupported object id length %zu", hexlen);
	if (len > TK_COMMIT_MAX_SIZE)
		return tk_error_set(TK_ETOOBIG, "commit object over %u bytes",
		    TK_COMMIT_MAX_SIZE);
	if (len == 0)
		return tk_error_set(TK_EINVAL, "empty commit object");
	/* git refuses NUL in messages; C string users would stop early. */
	if (memchr(raw, '\0', len) != NULL)
		return tk_error_set(
		    TK_EINVAL, "commit object contains a NUL byte");
	if ((c = tk_calloc(1, sizeof(*c))) == NULL)
		return TK_ENOMEM;
	if ((c->raw_ = tk_strndup(raw, len)) == NULL) {
		rc = TK_ENOMEM;
		goto out;
	}
	if ((rc = split(c, len, &cur)) < 0 ||
	    (rc = parse_fixed(c, &cur, hexlen)) < 0 ||
	    (rc = parse_rest(c, &cur, len, hexlen)) < 0)
		goto out;
	*out = c;
	c = NULL; /* transferred */
	rc = 0;
out:
	tk_commit_free(c);
	return rc;
}

void
tk_commit_drop_signature(struct tk_commit *c)
{
	free(c->signature);
	free(c->signed_payload);
	c->signature = NULL;
	c->signed_payload = NULL;
	c->signature_len = 0;
	c->signed_payload_len = 0;
}

void
tk_commit_free(struct tk_commit *c)
{
	if (c == NULL)
		return;
	free(c->parents);
	free(c->signature);
	free(c->signed_payload);
	free(c->raw_);
	free(c);
}

static bool
is_blank_char(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

const char *
tk_commit_subject(const struct tk_commit *c, size_t *len)
{
	const char *p = c->message, *e = p + c->message_len, *nl, *le;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		le = nl != NULL ? nl : e;
		while (le > p && is_blank_char(le[-1]))
			le--;
		if (le > p) {
			*len = (size_t)(le - p);
			return p;
		}
		p = nl != NULL ? nl + 1 : e;
	}
	*len = 0;
	return e;
}
