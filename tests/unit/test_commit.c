/*
 * Unit tests for the raw commit parser.  The fixtures under
 * tests/data/commit/ were written and signed by the real git and ssh-keygen
 * (scripts/mk-testdata-commit), and each expected payload was accepted by
 * "ssh-keygen -Y check-novalidate" and "git verify-commit".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "internal.h"
#include "fixture.h"

#include "twokey/commit.h"

#define HEX1 "0123456789abcdef0123456789abcdef01234567"
#define HEX2 "89abcdef0123456789abcdef0123456789abcdef"
#define TREE "tree " HEX1 "\n"
#define PARENT "parent " HEX2 "\n"
#define AUTHOR "author A U Thor <author@example.com> 1700000000 +0100\n"
#define COMMITTER "committer C O Mitter <c@example.com> 1700000100 -0530\n"
#define HEAD TREE PARENT AUTHOR COMMITTER

static char *
read_fixture(const char *name, size_t *len)
{
	return read_fixture_in("commit", name, len);
}

static struct tk_commit *
parse_ok(const char *raw, size_t len, size_t hexlen)
{
	struct tk_commit *c = NULL;
	int rc;

	rc = tk_commit_parse(&c, raw, len, hexlen);
	if (rc != 0)
		fail_msg("parse failed: %s", tk_error_last());
	assert_non_null(c);
	return c;
}

static struct tk_commit *
parse_str(const char *raw)
{
	return parse_ok(raw, strlen(raw), 40);
}

static void
expect_rc(const char *raw, size_t len, size_t hexlen, int want)
{
	struct tk_commit *c = (struct tk_commit *)&c; /* must be reset */
	int rc;

	rc = tk_commit_parse(&c, raw, len, hexlen);
	if (rc != want)
		fail_msg("want %d, got %d (%s) for: %.200s", want, rc,
		    rc < 0 ? tk_error_last() : "ok", raw);
	assert_null(c);
}

static void
expect_einval(const char *raw)
{
	expect_rc(raw, strlen(raw), 40, TK_EINVAL);
}

/*
 * Parses fixture NAME.commit and checks the payload and signature against
 * NAME.payload and NAME.sig, as cut out by the fixture script.
 */
static struct tk_commit *
check_signed_fixture(const char *name, size_t hexlen)
{
	char file[256], *raw, *payload, *sig;
	size_t rawlen, plen, slen;
	struct tk_commit *c;

	snprintf(file, sizeof(file), "%s.commit", name);
	raw = read_fixture(file, &rawlen);
	snprintf(file, sizeof(file), "%s.payload", name);
	payload = read_fixture(file, &plen);
	snprintf(file, sizeof(file), "%s.sig", name);
	sig = read_fixture(file, &slen);
	c = parse_ok(raw, rawlen, hexlen);
	assert_int_equal(c->signed_payload_len, plen);
	assert_memory_equal(c->signed_payload, payload, plen);
	assert_non_null(c->signature);
	assert_int_equal(c->signature_len, slen);
	assert_memory_equal(c->signature, sig, slen);
	assert_int_equal(strlen(c->signature), slen);
	assert_int_equal(c->sig_format, TK_SIG_SSH);
	assert_int_equal(strlen(c->tree), hexlen);
	free(raw);
	free(payload);
	free(sig);
	return c;
}

static void
test_commit__signed_fixture(void **state)
{
	struct tk_commit *c = check_signed_fixture("ssh-signed", 40);
	const char *s;
	size_t n;

	assert_int_equal(c->nparents, 0);
	assert_int_equal(c->author.name_len, 8);
	assert_memory_equal(c->author.name, "A U Thor", 8);
	assert_int_equal(c->author.email_len, 18);
	assert_memory_equal(c->author.email, "author@example.com", 18);
	assert_int_equal(c->author.when, 1700000000);
	assert_int_equal(c->committer.when, 1700000100);
	assert_memory_equal(c->committer.name, "C O Mitter", 10);
	/* The gpgsig line in the body is message text, kept in the payload */
	assert_non_null(
	    memmem(c->message, c->message_len, "\ngpgsig this line", 17));
	assert_non_null(memmem(c->signed_payload, c->signed_payload_len,
	    "\ngpgsig this line", 17));
	s = tk_commit_subject(c, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(s, "Add file", 8);
	tk_commit_free(c);

	c = check_signed_fixture("ssh-signed-child", 40);
	assert_int_equal(c->nparents, 1);
	assert_int_equal(strlen(c->parents[0]), 40);
	tk_commit_free(c);
}

static void
test_commit__mergetag_fixture(void **state)
{
	struct tk_commit *c = check_signed_fixture("mergetag", 40);

	assert_int_equal(c->nparents, 2);
	assert_string_not_equal(c->parents[0], c->parents[1]);
	/* mergetag, with the tag's own SSH signature inside, stays. */
	assert_non_null(memmem(c->signed_payload, c->signed_payload_len,
	    "\nmergetag object ", 17));
	assert_non_null(memmem(c->signed_payload, c->signed_payload_len,
	    "\n -----BEGIN SSH SIGNATURE-----\n", 32));
	assert_null(memmem(c->signature, c->signature_len, "tagger", 6));
	tk_commit_free(c);
}

static void
test_commit__encoding_fixture(void **state)
{
	struct tk_commit *c = check_signed_fixture("encoding", 40);
	const char *name = "Zo\xc3\xab O'Brien-Smith (ops) \"z\" [bot]";

	assert_int_equal(c->author.name_len, strlen(name));
	assert_memory_equal(c->author.name, name, strlen(name));
	assert_int_equal(c->author.email_len, 23);
	assert_memory_equal(c->author.email, "zoe+tag@sub.example.org", 23);
	assert_non_null(memmem(c->signed_payload, c->signed_payload_len,
	    "\nencoding ISO-8859-1\n", 21));
	tk_commit_free(c);
}

/* A gpgsig-sha256 header in a SHA-1 commit: dropped, not the signature. */
static void
test_commit__dual_header_fixture(void **state)
{
	struct tk_commit *c = check_signed_fixture("dual-header", 40);

	assert_null(
	    memmem(c->signed_payload, c->signed_payload_len, "gpgsig", 6));
	assert_null(memmem(c->signed_payload, c->signed_payload_len,
	    "not a real signature", 20));
	assert_null(
	    memmem(c->signature, c->signature_len, "not a real signature", 20));
	tk_commit_free(c);
}

static void
test_commit__sha256_fixture(void **state)
{
	struct tk_commit *c = check_signed_fixture("sha256-signed", 64);
	char *raw;
	size_t len;

	assert_int_equal(strlen(c->tree), 64);
	tk_commit_free(c);

	/* Object ids of the wrong length for the repository are refused. */
	raw = read_fixture("sha256-signed.commit", &len);
	expect_rc(raw, len, 40, TK_EINVAL);
	free(raw);
	raw = read_fixture("ssh-signed.commit", &len);
	expect_rc(raw, len, 64, TK_EINVAL);
	expect_rc(raw, len, 20, TK_EINVAL);
	free(raw);
}

static void
test_commit__unsigned_fixture(void **state)
{
	struct tk_commit *c;
	char *raw;
	size_t len;

	raw = read_fixture("unsigned.commit", &len);
	c = parse_ok(raw, len, 40);
	assert_null(c->signature);
	assert_int_equal(c->signature_len, 0);
	assert_int_equal(c->sig_format, TK_SIG_NONE);
	assert_int_equal(c->signed_payload_len, len);
	assert_memory_equal(c->signed_payload, raw, len);
	assert_int_equal(c->message_len, strlen("Unsigned\n"));
	assert_memory_equal(c->message, "Unsigned\n", c->message_len);
	tk_commit_free(c);
	free(raw);
}

static void
test_commit__fields(void **state)
{
	struct tk_commit *c = parse_str(HEAD "\nSubject\n\nBody\n");

	assert_string_equal(c->tree, HEX1);
	assert_int_equal(c->nparents, 1);
	assert_string_equal(c->parents[0], HEX2);
	assert_int_equal(c->author.raw_len, strlen(AUTHOR) - 8);
	assert_memory_equal(c->author.raw, AUTHOR + 7, c->author.raw_len);
	assert_int_equal(c->committer.when, 1700000100);
	assert_int_equal(c->message_len, 14);
	assert_memory_equal(c->message, "Subject\n\nBody\n", 14);
	assert_int_equal(c->signed_payload_len, strlen(HEAD) + 15);
	tk_commit_free(c);
}

/* Only the first empty line ends the headers; the message may be empty. */
static void
test_commit__message_edges(void **state)
{
	struct tk_commit *c;
	const char *s;
	size_t n;

	c = parse_str(TREE AUTHOR COMMITTER);
	assert_int_equal(c->message_len, 0);
	assert_int_equal(c->nparents, 0);
	s = tk_commit_subject(c, &n);
	assert_int_equal(n, 0);
	assert_non_null(s);
	tk_commit_free(c);

	c = parse_str(TREE AUTHOR COMMITTER "\n");
	assert_int_equal(c->message_len, 0);
	tk_commit_free(c);

	c = parse_str(TREE AUTHOR COMMITTER "\n\n\n  \r\nSubj \r\nmore");
	assert_int_equal(c->message_len, 17);
	s = tk_commit_subject(c, &n);
	assert_int_equal(n, 4);
	assert_memory_equal(s, "Subj", 4);
	tk_commit_free(c);

	c = parse_str(TREE AUTHOR COMMITTER "\nno newline");
	s = tk_commit_subject(c, &n);
	assert_int_equal(n, 10);
	assert_memory_equal(s, "no newline", 10);
	tk_commit_free(c);
}

#define ODD "Ren\xc3\xa9 \"R\" (x), Jr. \x1b[1m;:'"

static void
test_commit__person_odd(void **state)
{
	struct tk_commit *c;

	/* Empty name and email, epoch, negative zone: all legal for git. */
	c = parse_str(TREE "author  <> 0 -0000\n" COMMITTER "\nm\n");
	assert_int_equal(c->author.name_len, 0);
	assert_int_equal(c->author.email_len, 0);
	assert_int_equal(c->author.when, 0);
	tk_commit_free(c);

	c = parse_str(
	    TREE "author " ODD " <r+1@[::1]> 253402300799 +1400\n" COMMITTER
	         "\nm\n");
	assert_int_equal(c->author.name_len, strlen(ODD));
	assert_memory_equal(c->author.name, ODD, strlen(ODD));
	assert_int_equal(c->author.email_len, 9);
	assert_memory_equal(c->author.email, "r+1@[::1]", 9);
	assert_int_equal(c->author.when, TK_COMMIT_MAX_TIME);
	tk_commit_free(c);

	/* Spaces before " <" are dropped, as git's split_ident_line(). */
	c = parse_str(TREE "author Two  <t@x> 1 +0000\n" COMMITTER "\nm\n");
	assert_int_equal(c->author.name_len, 3);
	assert_memory_equal(c->author.name, "Two", 3);
	tk_commit_free(c);
	c = parse_str(TREE "author    <t@x> 1 +0000\n" COMMITTER "\nm\n");
	assert_int_equal(c->author.name_len, 0);
	tk_commit_free(c);
}

/* Parses raw (which must parse) and runs the identity check on it. */
static int
identity_rc(const char *raw)
{
	struct tk_commit *c = parse_str(raw);
	int rc = tk_commit_check_identity(c);

	tk_commit_free(c);
	return rc;
}

static void
expect_identity_refused(const char *raw, const char *why)
{
	int rc = identity_rc(raw);

	if (rc != TK_EUNSUPPORTED)
		fail_msg("want refusal (%s), got %d for: %.200s", why, rc, raw);
	if (strstr(tk_error_last(), why) == NULL)
		fail_msg("message '%s' lacks '%s'", tk_error_last(), why);
}

#define AUTH(x) TREE "author " x " 1700000000 +0100\n" COMMITTER
#define ENC(x) HEAD "encoding " x "\n\nm\n"

/* docs/spec.md, "Identity fields": the encoding header. */
static void
test_commit__identity_encoding(void **state)
{
	static const char *ok[] = {"UTF-8", "utf-8", "utf8", "UTF8", "Utf-8"};
	static const char *bad[] = {"ISO-8859-1", "latin1", "UTF-16", "UTF-7",
	    "IBM037", "utf-8 ", " utf-8", "utf--8", "utf_8", "utf-88", "",
	    "utf-8\x1b[1m"};
	struct tk_commit *c;
	size_t i;

	(void)state;
	assert_int_equal(identity_rc(HEAD "\nm\n"), 0);
	for (i = 0; i < TK_ARRAY_SIZE(ok); i++) {
		char raw[512];

		snprintf(raw, sizeof(raw), ENC("%s"), ok[i]);
		if (identity_rc(raw) != 0)
			fail_msg("'%s' refused: %s", ok[i], tk_error_last());
	}
	for (i = 0; i < TK_ARRAY_SIZE(bad); i++) {
		char raw[512];

		snprintf(raw, sizeof(raw), ENC("%s"), bad[i]);
		expect_identity_refused(raw, "is not UTF-8");
	}
	/* The message shows the name sanitized, never an escape sequence. */
	assert_int_equal(identity_rc(ENC("utf-8\x1b[1m")), TK_EUNSUPPORTED);
	assert_null(strchr(tk_error_last(), 0x1b));
	/* git reads the first header only, and not its continuation lines. */
	expect_identity_refused(
	    HEAD "encoding UTF-8\nencoding latin1\n\nm\n", "more than one");
	expect_identity_refused(
	    HEAD "encoding UTF-8\nencoding UTF-8\n\nm\n", "more than one");
	expect_identity_refused(
	    HEAD "encoding UTF-8\n latin1\n\nm\n", "continuation");
	/* "encodingX" or "encoding" alone is no encoding header for git. */
	c = parse_str(HEAD "encoding\nencodings latin1\n\nm\n");
	assert_null(c->encoding);
	assert_int_equal(tk_commit_check_identity(c), 0);
	tk_commit_free(c);
	/* A continuation of another header is not the encoding's. */
	assert_int_equal(
	    identity_rc(HEAD "encoding UTF-8\nx-extra a\n b\n\nm\n"), 0);
	/* The fixture written by git with i18n.commitEncoding=ISO-8859-1. */
	{
		size_t len;
		char *raw = read_fixture("encoding.commit", &len);

		assert_int_equal(tk_commit_parse(&c, raw, len, 40), 0);
		assert_int_equal(tk_commit_check_identity(c), TK_EUNSUPPORTED);
		tk_commit_free(c);
		free(raw);
	}
}

/* docs/spec.md, "Identity fields": names and emails. */
static void
test_commit__identity_fields(void **state)
{
	(void)state;
	/* Non-ASCII UTF-8 names and emails are fine, ZWJ in a name too. */
	assert_int_equal(identity_rc(AUTH("Zo\xc3\xab \xe6\x9d\x8e "
	                                  "<zo\xc3\xab@example.com>") "\nm\n"),
	    0);
	assert_int_equal(identity_rc(AUTH("\xe0\xa4\x95\xe2\x80\x8d "
	                                  "<k@example.com>") "\nm\n"),
	    0);
	expect_identity_refused(
	    AUTH("A <alice@example.com\x01>") "\nm\n", "author email");
	expect_identity_refused(
	    AUTH("A\tB <a@example.com>") "\nm\n", "control character (0x09)");
	expect_identity_refused(
	    AUTH("A\x7f <a@example.com>") "\nm\n", "control character (0x7f)");
	expect_identity_refused(
	    AUTH("A\x1b[1m <a@example.com>") "\nm\n", "author name");
	expect_identity_refused(
	    AUTH("A <a@example.com\xc2\x85>") "\nm\n", "control character");
	expect_identity_refused(
	    AUTH("A <a@example.com\xff>") "\nm\n", "not valid UTF-8");
	expect_identity_refused(
	    AUTH("A <a@example.com\xc0\xae>") "\nm\n", "not valid UTF-8");
	expect_identity_refused(
	    AUTH("A <a@example.com\xed\xa0\x80>") "\nm\n", "not valid UTF-8");
	expect_identity_refused(
	    AUTH("A <alice@example.com\xe2\x80\x8b>") "\nm\n",
	    "invisible character (U+200B)");
	expect_identity_refused(
	    AUTH("A <alice@example.com\xef\xbb\xbf>") "\nm\n",
	    "invisible character (U+FEFF)");
	expect_identity_refused(AUTH("\xe2\x80\xae"
	                             "ecila <a@example.com>") "\nm\n",
	    "bidirectional control (U+202E)");
	expect_identity_refused(AUTH("A <\xe2\x81\xa6"
	                             "a@example.com>") "\nm\n",
	    "bidirectional control (U+2066)");
	expect_identity_refused(AUTH("A < alice@example.com>") "\nm\n",
	    "author email holds a space");
	expect_identity_refused(AUTH("A <alice@example.com >") "\nm\n",
	    "author email holds a space");
	/* The committer is checked like the author. */
	expect_identity_refused(TREE AUTHOR
	    "committer C <c@example.com\x08> 1 +0000\n\nm\n",
	    "committer email");
	expect_identity_refused(TREE AUTHOR
	    "committer C\x0c <c@example.com> 1 +0000\n\nm\n",
	    "committer name");
}

static void
test_commit__bad_person(void **state)
{
	static const char *lines[] = {
	    "author A<a@x> 1 +0000\n", /* no space before '<' */
	    "author <a@x> 1 +0000\n", /* ditto, empty name */
	    "author A a@x> 1 +0000\n", /* '>' first */
	    "author A <a@x 1 +0000\n", /* no '>' */
	    "author A <a<b@x> 1 +0000\n", /* '<' in email */
	    "author A <a@x>1 +0000\n", /* no space before date */
	    "author A <a@x> 01 +0000\n", /* zero-padded */
	    "author A <a@x>  1 +0000\n", /* two spaces */
	    "author A <a@x> +0000\n", /* no date */
	    "author A <a@x> 1\n", /* no zone */
	    "author A <a@x> 1 +000\n", /* short zone */
	    "author A <a@x> 1 +00000\n", /* long zone */
	    "author A <a@x> 1 0000\n", /* unsigned zone */
	    "author A <a@x> 1 +00a0\n", /* bad zone digit */
	    "author A <a@x> 1 +0000 \n", /* trailing space */
	    "author A <a@x> 253402300800 +0000\n", /* past the bound */
	    "author A <a@x> 99999999999999999999999 +0000\n", /* overflow */
	    "author A <a@x> -1 +0000\n", /* negative */
	    "author A <a@x>\n", /* nothing after email */
	    "author \n", /* empty value */
	    "author\n", /* no value */
	};
	char buf[512];
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(lines); i++) {
		snprintf(buf, sizeof(buf), "%s%s%s\nmsg\n", TREE, lines[i],
		    COMMITTER);
		expect_einval(buf);
		/* the same value as a committer line */
		snprintf(buf, sizeof(buf), "%s%scommitter%s\nmsg\n", TREE,
		    AUTHOR,
		    strchr(lines[i], ' ') != NULL ? strchr(lines[i], ' ')
		                                  : "\n");
		expect_einval(buf);
	}
}

static void
test_commit__bad_structure(void **state)
{
	static const char *cases[] = {
	    "",
	    "\n\nmessage\n",
	    AUTHOR COMMITTER "\nno tree\n",
	    TREE COMMITTER "\nno author\n",
	    TREE AUTHOR "\nno committer\n",
	    TREE AUTHOR PARENT COMMITTER "\nparent after author\n",
	    PARENT TREE AUTHOR COMMITTER "\nparent before tree\n",
	    TREE COMMITTER AUTHOR "\ncommitter first\n",
	    TREE TREE AUTHOR COMMITTER "\ntwo trees\n",
	    HEAD AUTHOR "\nsecond author after committer\n",
	    HEAD COMMITTER "\nsecond committer\n",
	    HEAD "encoding x\n" TREE "\nlate tree\n",
	    HEAD "encoding x\n" PARENT "\nlate parent\n",
	    HEAD " continuation of committer\n\nm\n",
	    TREE " continuation of tree\n" AUTHOR COMMITTER "\nm\n",
	    TREE AUTHOR COMMITTER "encoding x", /* unterminated */
	    TREE AUTHOR "committer C <c@x> 1 +0000", /* unterminated */
	    "tree\n" AUTHOR COMMITTER "\nm\n",
	    "tree " HEX1 " \n" AUTHOR COMMITTER "\nm\n",
	    "tree  " HEX1 "\n" AUTHOR COMMITTER "\nm\n",
	    "tree 0123456789ABCDEF0123456789abcdef01234567\n" AUTHOR COMMITTER
	    "\nuppercase\n",
	    "tree 0123456789abcdef0123456789abcdef0123456g\n" AUTHOR COMMITTER
	    "\nnot hex\n",
	    "tree 0123456789abcdef0123456789abcdef012345\n" AUTHOR COMMITTER
	    "\nshort\n",
	    "tree 0123456789abcdef0123456789abcdef012345678\n" AUTHOR COMMITTER
	    "\nlong\n",
	    TREE "parent 89abcdef\n" AUTHOR COMMITTER "\nshort parent\n",
	    "Tree " HEX1 "\n" AUTHOR COMMITTER "\ncapital\n",
	    "tree\t" HEX1 "\n" AUTHOR COMMITTER "\ntab\n",
	    TREE "parent " HEX2 "\r\n" AUTHOR COMMITTER "\nCR\n",
	    /* where git log's %ae would take another author line (t0016) */
	    TREE "author B <b@x> 1 +0000\n" AUTHOR COMMITTER "\ntwo authors\n",
	    HEAD "mergetag object " HEX2 "\n" AUTHOR
	         " tag v1\n\nclosed early\n",
	    HEAD "gpgsig -----BEGIN SSH SIGNATURE-----\n" AUTHOR
	         " -----END SSH SIGNATURE-----\n\nunindented\n",
	    TREE AUTHOR " more author\n" COMMITTER "\ncontinued author\n",
	    TREE "author\tA <a@x> 1 +0000\n" COMMITTER "\nauthor and a tab\n",
	    TREE "author A <a@x> 1 +0000\r\n" COMMITTER "\nCR LF author\n",
	    TREE "author A <a@x> 1 +0000 x\n" COMMITTER "\ngarbage\n",
	    TREE "author A <a<b@x> 1 +0000\n" COMMITTER "\nlt in email\n",
	    TREE "author A <a>b@x> 1 +0000\n" COMMITTER "\ngt in email\n",
	};
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(cases); i++)
		expect_einval(cases[i]);
}

/*
 * Continuation lines of an extra header that read like an author or
 * committer line are no header, for git (pretty.c) as for twokey.
 */
static void
test_commit__hidden_person(void **state)
{
	static const char *hdr[] = {
	    "mergetag", "gpgsig", "gpgsig-sha256", "x-other"};
	struct tk_commit *c;
	char raw[1024];
	size_t i;

	(void)state;
	for (i = 0; i < TK_ARRAY_SIZE(hdr); i++) {
		snprintf(raw, sizeof(raw),
		    "%s%s object " HEX2 "\n author B <b@x> 1 +0000\n"
		    " committer B <b@x> 1 +0000\n\nm\n",
		    HEAD, hdr[i]);
		c = parse_str(raw);
		assert_int_equal(c->author.email_len, 18);
		assert_memory_equal(c->author.email, "author@example.com", 18);
		assert_int_equal(c->committer.email_len, 13);
		assert_memory_equal(c->committer.email, "c@example.com", 13);
		tk_commit_free(c);
	}
	/* an empty email is one git shows empty: parsed, matching no one */
	c = parse_str(TREE "author A <> 1 +0000\n" COMMITTER "\nm\n");
	assert_int_equal(c->author.email_len, 0);
	tk_commit_free(c);
}

static void
test_commit__nul(void **state)
{
	static const char body[] = HEAD "\nmessage with \0 NUL\n";
	static const char hdr[] =
	    TREE "author A \0 <a@x> 1 +0000\n" COMMITTER "\nm\n";

	expect_rc(body, sizeof(body) - 1, 40, TK_EINVAL);
	expect_rc(hdr, sizeof(hdr) - 1, 40, TK_EINVAL);
	expect_rc(body, 0, 40, TK_EINVAL);
}

static void
test_commit__parents_bound(void **state)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	struct tk_commit *c;
	size_t i;

	assert_int_equal(tk_buf_puts(&b, TREE), 0);
	for (i = 0; i < TK_COMMIT_MAX_PARENTS; i++)
		assert_int_equal(tk_buf_printf(&b, "parent %040zx\n", i), 0);
	assert_int_equal(tk_buf_puts(&b, AUTHOR COMMITTER "\noctopus\n"), 0);
	c = parse_ok(b.ptr, b.len, 40);
	assert_int_equal(c->nparents, TK_COMMIT_MAX_PARENTS);
	assert_string_equal(c->parents[TK_COMMIT_MAX_PARENTS - 1],
	    "000000000000000000000000000000000000003f");
	tk_commit_free(c);

	tk_buf_reset(&b);
	assert_int_equal(tk_buf_puts(&b, TREE), 0);
	for (i = 0; i <= TK_COMMIT_MAX_PARENTS; i++)
		assert_int_equal(tk_buf_printf(&b, "parent %040zx\n", i), 0);
	assert_int_equal(tk_buf_puts(&b, AUTHOR COMMITTER "\noctopus\n"), 0);
	expect_rc(b.ptr, b.len, 40, TK_EINVAL);
	tk_buf_release(&b);
}

static void
test_commit__size_bound(void **state)
{
	size_t len = TK_COMMIT_MAX_SIZE + 1, hl = strlen(HEAD);
	struct tk_commit *c;
	char *big;

	big = malloc(len);
	assert_non_null(big);
	memcpy(big, HEAD "\n", hl + 1);
	memset(big + hl + 1, 'x', len - hl - 1);
	expect_rc(big, len, 40, TK_ETOOBIG);
	c = parse_ok(big, len - 1, 40);
	assert_int_equal(c->message_len, len - 1 - hl - 1);
	tk_commit_free(c);
	free(big);
}

#define SIG_SSH                                                                \
	"gpgsig -----BEGIN SSH SIGNATURE-----\n"                               \
	" U1NIU0lH\n"                                                          \
	" \n"                                                                  \
	" -----END SSH SIGNATURE-----\n"
#define SIG_SSH_VALUE                                                          \
	"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n\n-----END SSH SIGNATURE-----\n"

/* Expects the payload of raw to be want, and the signature sig. */
static void
check_payload(const char *raw, size_t hexlen, const char *want, const char *sig,
    enum tk_sig_format fmt)
{
	struct tk_commit *c = parse_ok(raw, strlen(raw), hexlen);

	if (c->signed_payload_len != strlen(want) ||
	    memcmp(c->signed_payload, want, strlen(want)) != 0)
		fail_msg("payload:\n%s\nwant:\n%s", c->signed_payload, want);
	if (sig == NULL)
		assert_null(c->signature);
	else
		assert_string_equal(c->signature, sig);
	assert_int_equal(c->sig_format, fmt);
	tk_commit_free(c);
}

static void
test_commit__payload_rules(void **state)
{
	/* Unknown headers and their continuation lines stay, byte-exact. */
	check_payload(HEAD "x-custom a\n b\n  c\n" SIG_SSH "\nmsg\n", 40,
	    HEAD "x-custom a\n b\n  c\n\nmsg\n", SIG_SSH_VALUE, TK_SIG_SSH);
	/* Anywhere among the extra headers, not only last. */
	check_payload(HEAD SIG_SSH "encoding latin1\nmergetag o\n t\n\nm\n", 40,
	    HEAD "encoding latin1\nmergetag o\n t\n\nm\n", SIG_SSH_VALUE,
	    TK_SIG_SSH);
	/* Every gpgsig* header goes, whatever follows "gpgsig". */
	check_payload(HEAD "gpgsig-sha256 x\n y\ngpgsigfoo z\n w\n"
	                   "gpgsig-future v\nkeep me\n\nm\n",
	    40, HEAD "keep me\n\nm\n", NULL, TK_SIG_NONE);
	/* "gpgsig" with no value is not a signature; git drops it too. */
	check_payload(
	    HEAD "gpgsig\n more\n\nm\n", 40, HEAD "\nm\n", NULL, TK_SIG_NONE);
	/* An empty signature value is still a (bad) signature. */
	check_payload(
	    HEAD "gpgsig \n\nm\n", 40, HEAD "\nm\n", "\n", TK_SIG_UNKNOWN);
	/* A message with no empty line: nothing after the headers. */
	check_payload(HEAD SIG_SSH, 40, HEAD, SIG_SSH_VALUE, TK_SIG_SSH);
	/* Only the header area is read: body text is kept as it is. */
	check_payload(HEAD "\ngpgsig -----BEGIN SSH SIGNATURE-----\n"
	                   " U1NIU0lH\n -----END SSH SIGNATURE-----\n",
	    40,
	    HEAD "\ngpgsig -----BEGIN SSH SIGNATURE-----\n"
	         " U1NIU0lH\n -----END SSH SIGNATURE-----\n",
	    NULL, TK_SIG_NONE);
}

static void
test_commit__sha256_headers(void **state)
{
	static const char tree[] = "tree 0123456789abcdef0123456789abcdef"
	                           "0123456789abcdef0123456789abcdef\n";
	char raw[1024], want[1024];

	snprintf(raw, sizeof(raw), "%s%s%s%s%s\nm\n", tree, AUTHOR, COMMITTER,
	    SIG_SSH, "gpgsig-sha256 -----BEGIN PGP SIGNATURE-----\n x\n");
	snprintf(want, sizeof(want), "%s%s%s\nm\n", tree, AUTHOR, COMMITTER);
	check_payload(
	    raw, 64, want, "-----BEGIN PGP SIGNATURE-----\nx\n", TK_SIG_PGP);
}

static void
test_commit__duplicate_gpgsig(void **state)
{
	expect_einval(HEAD SIG_SSH SIG_SSH "\nm\n");
	expect_einval(HEAD SIG_SSH "encoding x\n" SIG_SSH "\nm\n");
	expect_einval(HEAD "gpgsig a\ngpgsig b\n\nm\n");
	/* One of each hash is fine: the foreign one is dropped. */
	check_payload(HEAD SIG_SSH "gpgsig-sha256 a\n b\n\nm\n", 40,
	    HEAD "\nm\n", SIG_SSH_VALUE, TK_SIG_SSH);
}

static void
test_commit__sig_formats(void **state)
{
	static const struct {
		const char *armor;
		enum tk_sig_format fmt;
	} tab[] = {
	    {"-----BEGIN SSH SIGNATURE-----", TK_SIG_SSH},
	    {"-----BEGIN PGP SIGNATURE-----", TK_SIG_PGP},
	    {"-----BEGIN PGP MESSAGE-----", TK_SIG_PGP},
	    {"-----BEGIN SIGNED MESSAGE-----", TK_SIG_X509},
	    {"-----BEGIN SSH SIGNATURE----", TK_SIG_UNKNOWN},
	    {"-----begin ssh signature-----", TK_SIG_UNKNOWN},
	    {"garbage", TK_SIG_UNKNOWN},
	};
	struct tk_commit *c;
	char raw[1024];
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(tab); i++) {
		snprintf(raw, sizeof(raw), "%sgpgsig %s\n body\n\nm\n", HEAD,
		    tab[i].armor);
		c = parse_str(raw);
		assert_int_equal(c->sig_format, tab[i].fmt);
		assert_int_equal(c->signature_len, strlen(tab[i].armor) + 6);
		tk_commit_free(c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_commit__signed_fixture),
	    cmocka_unit_test(test_commit__mergetag_fixture),
	    cmocka_unit_test(test_commit__encoding_fixture),
	    cmocka_unit_test(test_commit__dual_header_fixture),
	    cmocka_unit_test(test_commit__sha256_fixture),
	    cmocka_unit_test(test_commit__unsigned_fixture),
	    cmocka_unit_test(test_commit__fields),
	    cmocka_unit_test(test_commit__message_edges),
	    cmocka_unit_test(test_commit__person_odd),
	    cmocka_unit_test(test_commit__identity_encoding),
	    cmocka_unit_test(test_commit__identity_fields),
	    cmocka_unit_test(test_commit__bad_person),
	    cmocka_unit_test(test_commit__bad_structure),
	    cmocka_unit_test(test_commit__hidden_person),
	    cmocka_unit_test(test_commit__nul),
	    cmocka_unit_test(test_commit__parents_bound),
	    cmocka_unit_test(test_commit__size_bound),
	    cmocka_unit_test(test_commit__payload_rules),
	    cmocka_unit_test(test_commit__sha256_headers),
	    cmocka_unit_test(test_commit__duplicate_gpgsig),
	    cmocka_unit_test(test_commit__sig_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
