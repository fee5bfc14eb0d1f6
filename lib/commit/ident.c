/*
 * Identity fields read the same way by twokey and by git (docs/spec.md,
 * "Identity fields").
 *
 * twokey decides on the raw bytes of the author's and committer's email;
 * git decodes the whole commit from its "encoding" header before it shows
 * it, and terminals and web front ends render what they get.  A commit
 * whose raw email is unknown to the policy could then show as a real
 * person's (an EBCDIC or UTF-7 header, a zero-width space, a right-to-left
 * override), and that person's own approval would count.  Such commits
 * are refused, not decoded: iconv's tables differ between machines, so no
 * decoding here could promise to be git's.
 */
#include "internal.h"

#include "twokey/commit.h"

/* Bounds the encoding name quoted in a message (it is attacker text). */
#define ENCODING_SHOWN 40

/*
 * git's is_encoding_utf8(): "utf", an optional '-', then "8", ASCII case
 * insensitive.  Anything else makes git call iconv.
 */
static bool
is_utf8_name(const char *s, size_t n)
{
	if (n < 4 || !tk_ascii_ieq(s, 3, "utf", 3))
		return false;
	s += 3;
	n -= 3;
	if (*s == '-') {
		s++;
		n--;
	}
	return n == 1 && *s == '8';
}

static int
check_encoding(const struct tk_commit *c)
{
	struct tk_buf b = TK_BUF_INIT(256);
	int rc = 0;

	if (c->nencoding > 1)
		return tk_error_set(TK_EUNSUPPORTED,
		    "more than one encoding header (git reads the first)");
	if (c->encoding_folded)
		return tk_error_set(TK_EUNSUPPORTED,
		    "the encoding header has continuation lines");
	if (c->encoding == NULL || is_utf8_name(c->encoding, c->encoding_len))
		return 0;
	(void)tk_sanitize(&b, c->encoding, c->encoding_len, ENCODING_SHOWN);
	rc = tk_error_set(TK_EUNSUPPORTED,
	    "encoding '%s' is not UTF-8: git decodes the author and committer "
	    "before it shows them, so the person shown could differ from the "
	    "email checked",
	    b.ptr != NULL ? b.ptr : "");
	tk_buf_release(&b);
	return rc;
}

/* The code point of the valid sequence of len bytes at s. */
static uint32_t
decode(const unsigned char *s, size_t len)
{
	static const unsigned char lead[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t u = s[0] & lead[len];
	size_t i;

	for (i = 1; i < len; i++)
		u = (u << 6) | (s[i] & 0x3f);
	return u;
}

/* Right-to-left and isolate controls: they reorder what is shown. */
static bool
is_bidi(uint32_t u)
{
	return u == 0x061c || u == 0x200e || u == 0x200f ||
	    (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069);
}

/* Characters that render as nothing (or as a blank) in an email. */
static bool
is_invisible(uint32_t u)
{
	return u == 0x00ad || u == 0x034f || u == 0x115f || u == 0x1160 ||
	    u == 0x180e || (u >= 0x200b && u <= 0x200d) ||
	    (u >= 0x2060 && u <= 0x2064) || u == 0x3164 || u == 0xfeff ||
	    u == 0xffa0;
}

/* One name or email; what names it for the message ("author email"). */
static int
check_text(const char *text, size_t n, bool email, const char *what)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, len;
	uint32_t u;

	for (i = 0; i < n; i += len) {
		if ((len = tk_utf8_len(s + i, n - i)) == 0)
			return tk_error_set(TK_EUNSUPPORTED,
			    "the %s is not valid UTF-8 (byte 0x%02x)", what,
			    s[i]);
		u = decode(s + i, len);
		if (u < 0x20 || (u >= 0x7f && u <= 0x9f))
			return tk_error_set(TK_EUNSUPPORTED,
			    "the %s holds a control character (0x%02x)", what,
			    (unsigned)u);
		if (is_bidi(u))
			return tk_error_set(TK_EUNSUPPORTED,
			    "the %s holds a bidirectional control (U+%04X)",
			    what, (unsigned)u);
		/* git never writes one; " alice@example.com" reads as hers */
		if (email && u == ' ')
			return tk_error_set(
			    TK_EUNSUPPORTED, "the %s holds a space", what);
		if (email && is_invisible(u))
			return tk_error_set(TK_EUNSUPPORTED,
			    "the %s holds an invisible character (U+%04X)",
			    what, (unsigned)u);
	}
	return 0;
}

int
tk_commit_check_identity(const struct tk_commit *c)
{
	int rc;

	if ((rc = check_encoding(c)) < 0 ||
	    (rc = check_text(c->author.name, c->author.name_len, false,
	         "author name")) < 0 ||
	    (rc = check_text(c->author.email, c->author.email_len, true,
	         "author email")) < 0 ||
	    (rc = check_text(c->committer.name, c->committer.name_len, false,
	         "committer name")) < 0)
		return rc;
	return check_text(c->committer.email, c->committer.email_len, true,
	    "committer email");
}
