/*
 * Unit tests for Approved-by trailers, the canonical message and the
 * approval payload (docs/spec.md, "Approval trailer v1").  The approval
 * fixtures were made with git ("git commit --amend --trailer") and signed
 * by ssh-keygen over a payload built by the fixture script in shell.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <cmocka.h>

#include "internal.h"
#include "fixture.h"

#include "twokey/commit.h"
#include "twokey/sshsig.h"
#include "twokey/trailer.h"

#define OKSIG "sshsig:U1NIU0lH" /* base64 of "SSHSIG" */
#define BOB "Approved-by: Bob <bob@x.org> " OKSIG

struct want_item {
	enum tk_trailer_problem problem;
	const char *name;
	const char *email;
	const char *sig; /* decoded, when problem is OK */
	size_t line;
};

struct approvals_case {
	const char *what;
	const char *msg;
	size_t count;
	struct want_item items[3];
};

#define OK TK_TRAILER_OK
#define NOSIG TK_TRAILER_NO_SSHSIG
#define BAD TK_TRAILER_MALFORMED
#define B64 TK_TRAILER_BAD_BASE64
#define CUT TK_TRAILER_GIT_CUT

static const struct approvals_case approvals_cases[] = {
    {"no trailer block", "Subject\n\nBody text.\n", 0, {{0}}},
    {"empty message", "", 0, {{0}}},
    {"subject only", "Subject", 0, {{0}}},
    {"single paragraph", BOB "\n", 0, {{0}}},
    {"single paragraph after blank lines", "\n\n" BOB "\n", 0, {{0}}},
    {"subject and block", "S\n\n" BOB "\n", 1,
        {{OK, "Bob", "bob@x.org", "SSHSIG", 3}}},
    {"block with a non-trailer line", "S\n\n" BOB "\nnot a trailer\n", 0,
        {{0}}},
    {"non-trailer line first", "S\n\nSee below.\n" BOB "\n", 0, {{0}}},
    /* Where git's heuristics see a block and docs/spec.md does not. */
    {"git's 25% rule: prose plus Signed-off-by",
        "S\n\nSome text\nSigned-off-by: A <a@x>\n" BOB "\n", 0, {{0}}},
    {"git's --- divider", "S\n\nBody\n\n" BOB "\n---\nnotes\n", 0, {{0}}},
    /*
     * A "---" or scissors line before the block: git's interpret-trailers
     * --parse shows no trailer, so none counts (the block stays the block).
     */
    {"--- line before the block", "S\n\nBody\n---\nnotes\n\n" BOB "\n", 1,
        {{CUT, "Bob", "bob@x.org", NULL, 7}}},
    {"--- and a tab before the block", "S\n\n---\tx\n\n" BOB "\n", 1,
        {{CUT, "Bob", "bob@x.org", NULL, 5}}},
    {"--- as the subject", "---\n\n" BOB "\n", 1,
        {{CUT, "Bob", "bob@x.org", NULL, 3}}},
    {"---- is no divider", "S\n\n----\n\n" BOB "\n", 1,
        {{OK, "Bob", "bob@x.org", "SSHSIG", 5}}},
    {"scissors before the block",
        "S\n\n# ------------------------ >8 ------------------------\n"
        "diff\n\n" BOB "\n",
        1, {{CUT, "Bob", "bob@x.org", NULL, 6}}},
    {"scissors with another comment character",
        "S\n\n; ------------------------ >8 ------------------------\n\n" BOB
        "\n",
        1, {{CUT, "Bob", "bob@x.org", NULL, 5}}},
    {"approval not in the last paragraph", "S\n\n" BOB "\n\nThe end.\n", 0,
        {{0}}},
    {"CR-only blank lines", "S\r\n\r\n" BOB "\r\n", 1,
        {{OK, "Bob", "bob@x.org", "SSHSIG", 3}}},
    {"blank line of spaces, tabs and CR", "S\n \t\r \n" BOB "\n", 1,
        {{OK, "Bob", "bob@x.org", "SSHSIG", 3}}},
    {"form feed is not blank", "S\n\f\n" BOB "\n", 0, {{0}}},
    {"leading blank lines, no final newline", "\n\nS\n\n" BOB, 1,
        {{OK, "Bob", "bob@x.org", "SSHSIG", 5}}},
    {"trailing blank lines", "S\n\n" BOB "\n\n \n\n", 1,
        {{OK, "Bob", "bob@x.org", "SSHSIG", 3}}},
    {"case-insensitive key", "S\n\naPPROVED-BY: Bob <bob@x.org> " OKSIG "\n", 1,
        {{OK, "Bob", "bob@x.org", "SSHSIG", 3}}},
    {"similar keys are other trailers",
        "S\n\nApproved-byx: a <a@x> " OKSIG "\nApproved: a <a@x> " OKSIG
        "\nX-Approved-by: a <a@x> " OKSIG "\n",
        0, {{0}}},
    {"no space after the colon", "S\n\nApproved-by:Bob <bob@x.org> " OKSIG "\n",
        1, {{OK, "Bob", "bob@x.org", "SSHSIG", 3}}},
    {"space before the colon",
        "S\n\nSigned-off-by: A <a@x.org>\nApproved-by : Bob <bob@x.org> " OKSIG
        "\n",
        0, {{0}}},
    {"continuation line first", "S\n\n " BOB "\n", 0, {{0}}},
    {"tab continuation line first", "S\n\n\t" BOB "\n", 0, {{0}}},
    {"empty key", "S\n\n: value\n" BOB "\n", 0, {{0}}},
    {"underscore in key", "S\n\nSome_key: v\n" BOB "\n", 0, {{0}}},
    {"folded base64",
        "S\n\nApproved-by: Bob <bob@x.org> sshsig:U1\n N\n\tI\n \t U0lH\n", 1,
        {{OK, "Bob", "bob@x.org", "SSHSIG", 3}}},
    {"folded before sshsig", "S\n\nApproved-by: Bob <bob@x.org>\n " OKSIG "\n",
        1, {{OK, "Bob", "bob@x.org", "SSHSIG", 3}}},
    /* git unfolds to one space: "<bob@x. org>" is another email */
    {"folded inside the email",
        "S\n\nApproved-by: Bob <bob@x.\n org> " OKSIG "\n", 1,
        {{BAD, "Bob", "bob@x.org", NULL, 3}}},
    {"folded after the '<'", "S\n\nApproved-by: Bob <\n bob@x.org> " OKSIG "\n",
        1, {{BAD, "Bob", "bob@x.org", NULL, 3}}},
    {"folded inside sshsig:",
        "S\n\nApproved-by: Bob <bob@x.org> sshsig\n :U1NIU0lH\n", 1,
        {{BAD, "Bob", "bob@x.org", NULL, 3}}},
    {"folded inside the name",
        "S\n\nApproved-by: Bob \n Reviewer <bob@x.org> " OKSIG "\n", 1,
        {{OK, "Bob Reviewer", "bob@x.org", "SSHSIG", 3}}},
    {"CRLF folds",
        "S\r\n\r\nApproved-by: Bob <bob@x.org> sshsig:U1NI\r\n U0lH \r\n", 1,
        {{OK, "Bob", "bob@x.org", "SSHSIG", 3}}},
    {"white space around the name",
        "S\n\nApproved-by: \t Bob  Q \t<bob@x.org>\t" OKSIG "\n", 1,
        {{OK, "Bob  Q", "bob@x.org", "SSHSIG", 3}}},
    {"no sshsig", "S\n\nApproved-by: Bob <bob@x.org>\n", 1,
        {{NOSIG, "Bob", "bob@x.org", NULL, 3}}},
    {"no sshsig, no email", "S\n\nApproved-by: Bob\n", 1,
        {{NOSIG, "", "", NULL, 3}}},
    {"empty value", "S\n\nApproved-by:\n", 1, {{NOSIG, "", "", NULL, 3}}},
    {"uppercase SSHSIG",
        "S\n\nApproved-by: Bob <bob@x.org> SSHSIG:U1NIU0lH"
        "\n",
        1, {{NOSIG, "Bob", "bob@x.org", NULL, 3}}},
    {"empty display name", "S\n\nApproved-by: <bob@x.org> " OKSIG "\n", 1,
        {{OK, "", "bob@x.org", "SSHSIG", 3}}},
    {"'<' in the name",
        "S\n\nApproved-by: Bob <evil@x.org> Smith <bob@x.org> " OKSIG "\n", 1,
        {{BAD, "Bob", "evil@x.org", NULL, 3}}},
    {"'>' in the name", "S\n\nApproved-by: Bob> <bob@x.org> " OKSIG "\n", 1,
        {{BAD, "", "", NULL, 3}}},
    {"no '>'", "S\n\nApproved-by: Bob <bob@x.org " OKSIG "\n", 1,
        {{BAD, "", "", NULL, 3}}},
    {"no '<'", "S\n\nApproved-by: Bob bob@x.org> " OKSIG "\n", 1,
        {{BAD, "", "", NULL, 3}}},
    {"empty email", "S\n\nApproved-by: Bob <> " OKSIG "\n", 1,
        {{BAD, "", "", NULL, 3}}},
    {"space in the email", "S\n\nApproved-by: Bob <bob @x.org> " OKSIG "\n", 1,
        {{BAD, "", "", NULL, 3}}},
    {"control in the email",
        "S\n\nApproved-by: Bob <bob\x1b@x.org> " OKSIG "\n", 1,
        {{BAD, "", "", NULL, 3}}},
    {"text before sshsig", "S\n\nApproved-by: Bob <bob@x.org> via " OKSIG "\n",
        1, {{BAD, "Bob", "bob@x.org", NULL, 3}}},
    {"nothing after sshsig", "S\n\nApproved-by: Bob <bob@x.org> sshsig:\n", 1,
        {{BAD, "Bob", "bob@x.org", NULL, 3}}},
    /* Found by fuzz_trailer: the decoder skips what unfolding keeps. */
    {"only a form feed after sshsig",
        "S\n\nApproved-by: Bob <bob@x.org> sshsig:\f\n", 1,
        {{BAD, "Bob", "bob@x.org", NULL, 3}}},
    {"only a vertical tab after sshsig",
        "S\n\nApproved-by: Bob <bob@x.org> sshsig:\v\n", 1,
        {{BAD, "Bob", "bob@x.org", NULL, 3}}},
    {"bad base64 character",
        "S\n\nApproved-by: Bob <bob@x.org> sshsig:U1NI*0lH\n", 1,
        {{B64, "Bob", "bob@x.org", NULL, 3}}},
    {"truncated base64",
        "S\n\nApproved-by: Bob <bob@x.org> sshsig:U1NIU0l"
        "\n",
        1, {{B64, "Bob", "bob@x.org", NULL, 3}}},
    {"non-zero pad bits", "S\n\nApproved-by: Bob <bob@x.org> sshsig:Zm9vYh==\n",
        1, {{B64, "Bob", "bob@x.org", NULL, 3}}},
    {"text after the base64",
        "S\n\nApproved-by: Bob <bob@x.org> " OKSIG " (bob)\n", 1,
        {{B64, "Bob", "bob@x.org", NULL, 3}}},
    {"several approvals among other trailers",
        "S\n\nBody.\n\nSigned-off-by: A <a@x.org>\n" BOB
        "\nReviewed-by: C <c@x.org>\n folded\n"
        "approved-by: Carol Q <carol@x.org> sshsig:Zm9v\n YmE=\n"
        "Approved-by: Mallory <m@x.org>\n",
        3,
        {{OK, "Bob", "bob@x.org", "SSHSIG", 6},
            {OK, "Carol Q", "carol@x.org", "fooba", 9},
            {NOSIG, "Mallory", "m@x.org", NULL, 11}}},
};

static void
check_item(const struct approvals_case *tc, size_t i,
    const struct tk_approval_trailer *t)
{
	const struct want_item *w = &tc->items[i];

	if (t->problem != w->problem)
		fail_msg("%s: item %zu: problem %d, want %d (%s)", tc->what, i,
		    t->problem, w->problem, t->text);
	assert_non_null(t->name);
	assert_non_null(t->email);
	assert_non_null(t->text);
	assert_string_equal(t->name, w->name);
	assert_string_equal(t->email, w->email);
	if (t->line != w->line)
		fail_msg("%s: item %zu: line %zu, want %zu", tc->what, i,
		    t->line, w->line);
	if (w->sig == NULL) {
		assert_null(t->sig);
		assert_int_equal(t->sig_len, 0);
		return;
	}
	assert_non_null(t->sig);
	assert_int_equal(t->sig_len, strlen(w->sig));
	assert_memory_equal(t->sig, w->sig, t->sig_len);
}

static void
test_trailer__approvals_table(void **state)
{
	const struct approvals_case *tc;
	struct tk_approval_list *l;
	size_t i, j;
	int rc;

	for (i = 0; i < TK_ARRAY_SIZE(approvals_cases); i++) {
		tc = &approvals_cases[i];
		l = NULL;
		rc = tk_trailer_parse_approvals(&l, tc->msg, strlen(tc->msg));
		if (rc != 0)
			fail_msg(
			    "%s: rc %d (%s)", tc->what, rc, tk_error_last());
		assert_non_null(l);
		if (l->count != tc->count)
			fail_msg("%s: %zu approvals, want %zu", tc->what,
			    l->count, tc->count);
		for (j = 0; j < l->count; j++)
			check_item(tc, j, &l->items[j]);
		tk_approval_list_free(l);
	}
}

static void
test_trailer__unfolded_text(void **state)
{
	static const char msg[] = "S\n\nApproved-by:  Bob <b@x> sshsig:U1NI  "
	                          "\r\n\t U0lH \r\n";
	struct tk_approval_list *l;

	assert_int_equal(tk_trailer_parse_approvals(&l, msg, strlen(msg)), 0);
	assert_int_equal(l->count, 1);
	/* Newline, CR before it and white space after it deleted only. */
	assert_string_equal(l->items[0].text, "Bob <b@x> sshsig:U1NI  U0lH");
	assert_int_equal(l->items[0].problem, TK_TRAILER_OK);
	assert_int_equal(l->items[0].sig_len, 6);
	tk_approval_list_free(l);
}

static void
test_trailer__nul(void **state)
{
	static const char msg[] =
	    "S\n\nApproved-by: Bob <bob@x.org\0.evil> " OKSIG "\n";
	struct tk_approval_list *l;

	assert_int_equal(
	    tk_trailer_parse_approvals(&l, msg, sizeof(msg) - 1), 0);
	assert_int_equal(l->count, 1);
	assert_int_equal(l->items[0].problem, TK_TRAILER_MALFORMED);
	assert_string_equal(l->items[0].email, "");
	assert_null(l->items[0].sig);
	tk_approval_list_free(l);
}

/* "S\n\n" followed by n copies of line. */
static char *
repeat(
    const char *head, const char *line, size_t n, const char *tail, size_t *len)
{
	size_t hl = strlen(head), ll = strlen(line), tl = strlen(tail), i;
	char *m;

	m = malloc(hl + ll * n + tl + 1);
	assert_non_null(m);
	memcpy(m, head, hl);
	for (i = 0; i < n; i++)
		memcpy(m + hl + i * ll, line, ll);
	memcpy(m + hl + ll * n, tail, tl + 1);
	*len = hl + ll * n + tl;
	return m;
}

static void
expect_rc(const char *msg, size_t len, int want)
{
	struct tk_approval_list *l = (struct tk_approval_list *)&l;
	int rc;

	rc = tk_trailer_parse_approvals(&l, msg, len);
	if (rc != want)
		fail_msg("want %d, got %d (%s)", want, rc, tk_error_last());
	if (rc != 0)
		assert_null(l);
	tk_approval_list_free(rc == 0 ? l : NULL);
}

static void
test_trailer__count_bound(void **state)
{
	struct tk_approval_list *l;
	size_t len;
	char *m;

	m = repeat("S\n\n", BOB "\n", TK_TRAILER_MAX_APPROVALS, "", &len);
	assert_int_equal(tk_trailer_parse_approvals(&l, m, len), 0);
	assert_int_equal(l->count, TK_TRAILER_MAX_APPROVALS);
	assert_int_equal(l->items[TK_TRAILER_MAX_APPROVALS - 1].line,
	    TK_TRAILER_MAX_APPROVALS + 2);
	tk_approval_list_free(l);
	free(m);

	m = repeat("S\n\n", BOB "\n", TK_TRAILER_MAX_APPROVALS + 1, "", &len);
	expect_rc(m, len, TK_ETOOBIG);
	free(m);

	/* Thousands, each without a signature, still count. */
	m = repeat("S\n\n", "Approved-by: x\n", 5000, "", &len);
	expect_rc(m, len, TK_ETOOBIG);
	free(m);

	/* Thousands of other trailers around the allowed approvals. */
	m = repeat("S\n\n" BOB "\n", "Signed-off-by: A <a@x.org>\n", 100000,
	    BOB "\n", &len);
	assert_int_equal(tk_trailer_parse_approvals(&l, m, len), 0);
	assert_int_equal(l->count, 2);
	assert_int_equal(l->items[1].line, 100004);
	tk_approval_list_free(l);
	free(m);

	/* Not a trailer block at all: no bound applies. */
	m = repeat("S\n\n", BOB "\n", 5000, "not a trailer\n", &len);
	expect_rc(m, len, 0);
	free(m);
}

static void
test_trailer__value_bound(void **state)
{
	const char *tail = " <b@x> " OKSIG "\n";
	size_t fill = TK_TRAILER_MAX_VALUE - strlen(tail) + 1, len;
	struct tk_approval_list *l;
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	char *m;

	/* Exactly TK_TRAILER_MAX_VALUE bytes after the colon: accepted. */
	m = repeat("S\n\nApproved-by:", "n", fill, tail, &len);
	assert_int_equal(tk_trailer_parse_approvals(&l, m, len), 0);
	assert_int_equal(l->count, 1);
	assert_int_equal(strlen(l->items[0].name), fill);
	assert_int_equal(l->items[0].problem, TK_TRAILER_OK);
	tk_approval_list_free(l);
	free(m);

	m = repeat("S\n\nApproved-by:", "n", fill + 1, tail, &len);
	expect_rc(m, len, TK_ETOOBIG);
	free(m);

	/* Folded over so many lines that the fold itself is too long. */
	m = repeat("S\n\n" BOB "\n", " A\n", 20000, "", &len);
	expect_rc(m, len, TK_ETOOBIG);
	free(m);

	/* A blob over TK_SSHSIG_MAX_BLOB within the value bound. */
	assert_int_equal(
	    tk_buf_puts(&b, "S\n\nApproved-by: B <b@x> sshsig:"), 0);
	while (b.len < 24000)
		assert_int_equal(tk_buf_puts(&b, "AAAA"), 0);
	expect_rc(b.ptr, b.len, TK_ETOOBIG);
	tk_buf_release(&b);
}

/* A 9000-byte blob, its base64 folded two characters a line. */
static void
test_trailer__long_fold(void **state)
{
	unsigned char blob[9000];
	struct tk_buf enc = TK_BUF_INIT(1 << 20), msg = TK_BUF_INIT(1 << 20);
	struct tk_approval_list *l;
	size_t i;

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (unsigned char)(i * 7 + (i >> 8));
	assert_int_equal(tk_base64_encode(&enc, blob, sizeof(blob)), 0);
	assert_int_equal(tk_buf_puts(&msg,
	                     "S\n\nSigned-off-by: A <a@x>\n"
	                     "Approved-by: Bob <bob@x.org>\n"
	                     " sshsig:"),
	    0);
	for (i = 0; i < enc.len; i += 2)
		assert_int_equal(tk_buf_printf(&msg, "%s%.2s",
		                     i == 0 ? "" : "\n\t", enc.ptr + i),
		    0);
	assert_int_equal(tk_buf_puts(&msg, "\nReviewed-by: C <c@x>\n"), 0);
	assert_int_equal(tk_trailer_parse_approvals(&l, msg.ptr, msg.len), 0);
	assert_int_equal(l->count, 1);
	assert_int_equal(l->items[0].problem, TK_TRAILER_OK);
	assert_int_equal(l->items[0].line, 4);
	assert_int_equal(l->items[0].sig_len, sizeof(blob));
	assert_memory_equal(l->items[0].sig, blob, sizeof(blob));
	tk_approval_list_free(l);
	tk_buf_release(&enc);
	tk_buf_release(&msg);
}

struct canon_case {
	const char *msg;
	const char *want;
};

static const struct canon_case canon_cases[] = {
    {"", "\n"},
    {"\n\n \t\r\n", "\n"},
    {"Subject", "Subject\n"},
    {"Subject\n", "Subject\n"},
    {"Subject\n\n\n", "Subject\n"},
    {"Subject  \n\n", "Subject  \n"},
    {"Subject\n\nBody\n\n\n \t\n\r\n", "Subject\n\nBody\n"},
    {"S\n\nBody\n\n" BOB "\n", "S\n\nBody\n"},
    {"S\n\n" BOB "\n", "S\n"},
    {"S\n\n" BOB "\n\n\n", "S\n"},
    {"S\n\nSigned-off-by: A <a@x.org>\nApproved-by: Bob <bob@x.org> "
     "sshsig:U1\n NIU0lH\nReviewed-by: C <c@x.org>\n folded\n"
     "APPROVED-BY: Mallory\n\tmore\n",
        "S\n\nSigned-off-by: A <a@x.org>\nReviewed-by: C <c@x.org>\n"
        " folded\n"},
    {"S\n\nApproved-by: x\nSigned-off-by: A <a@x.org>",
        "S\n\nSigned-off-by: A <a@x.org>\n"},
    {"S\n\nSigned-off-by: A\nApproved-by: x", "S\n\nSigned-off-by: A\n"},
    {"S\n\nBody\n\nApproved-by: forged, no signature\n", "S\n\nBody\n"},
    {BOB "\n", BOB "\n"},
    {"S\n\n" BOB "\nnot a trailer\n", "S\n\n" BOB "\nnot a trailer\n"},
    {"S\n\n" BOB "\n\nTail\n", "S\n\n" BOB "\n\nTail\n"},
    {"S\n\nApproved-by : x\n", "S\n\nApproved-by : x\n"},
    /* Not a block for the spec, so the approval stays in what is signed. */
    {"S\n\nText\nSigned-off-by: A\n" BOB "\n",
        "S\n\nText\nSigned-off-by: A\n" BOB "\n"},
    {"S\n\n" BOB "\n---\nnotes\n", "S\n\n" BOB "\n---\nnotes\n"},
    {"S\r\n\r\n" BOB "\r\n", "S\r\n"},
    {"S\r\n\r\nBody\r\n\r\n" BOB "\r\n\r\n", "S\r\n\r\nBody\r\n"},
};

static void
test_trailer__canonical_table(void **state)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(canon_cases); i++) {
		tk_buf_reset(&b);
		assert_int_equal(
		    tk_trailer_canonical_message(
		        &b, canon_cases[i].msg, strlen(canon_cases[i].msg)),
		    0);
		if (strcmp(b.ptr, canon_cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, b.ptr,
			    canon_cases[i].want);
	}
	tk_buf_release(&b);
}

static void
test_trailer__canonical_append(void **state)
{
	struct tk_buf b = TK_BUF_INIT(16);

	/* Appends; a blank tail in what was there before stays. */
	assert_int_equal(tk_buf_puts(&b, "pre\n\n"), 0);
	assert_int_equal(tk_trailer_canonical_message(&b, "\n\n", 2), 0);
	assert_string_equal(b.ptr, "pre\n\n\n");
	/* Over the buffer's bound: an error, and b as it was. */
	assert_int_equal(
	    tk_trailer_canonical_message(&b, "0123456789ab", 12), TK_ETOOBIG);
	assert_string_equal(b.ptr, "pre\n\n\n");
	assert_int_equal(tk_trailer_canonical_message(&b, "012345678", 9), 0);
	assert_string_equal(b.ptr, "pre\n\n\n012345678\n");
	tk_buf_release(&b);
}

static double
seconds(clock_t since)
{
	return (double)(clock() - since) / CLOCKS_PER_SEC;
}

/*
 * Several MiB of attacker-shaped messages: anything worse than linear
 * would take hours here.
 */
static void
test_trailer__linear(void **state)
{
	struct tk_buf b = TK_BUF_INIT(64u << 20);
	struct tk_approval_list *l;
	clock_t t0 = clock();
	size_t len;
	char *m;

	m = repeat("S\n\n", "p\n\n", 2000000, BOB "\n", &len);
	assert_int_equal(tk_trailer_parse_approvals(&l, m, len), 0);
	assert_int_equal(l->count, 1);
	tk_approval_list_free(l);
	assert_int_equal(tk_trailer_canonical_message(&b, m, len), 0);
	assert_int_equal(b.len, len - strlen(BOB "\n") - 1);
	free(m);

	m = repeat("S\n\n" BOB "\n", " A\n", 2000000, "", &len);
	expect_rc(m, len, TK_ETOOBIG);
	tk_buf_reset(&b);
	assert_int_equal(tk_trailer_canonical_message(&b, m, len), 0);
	assert_string_equal(b.ptr, "S\n");
	free(m);

	m = repeat("S\n\n", "Signed-off-by: x\n", 400000, "", &len);
	expect_rc(m, len, 0);
	tk_buf_reset(&b);
	assert_int_equal(tk_trailer_canonical_message(&b, m, len), 0);
	assert_int_equal(b.len, len);
	free(m);

	m = repeat("S\n\nBody", " \t\r\n", 2000000, "", &len);
	tk_buf_reset(&b);
	assert_int_equal(tk_trailer_canonical_message(&b, m, len), 0);
	assert_string_equal(b.ptr, "S\n\nBody \t\r\n");
	free(m);

	tk_buf_release(&b);
	if (seconds(t0) > 60)
		fail_msg("took %.1f s", seconds(t0));
}

#define TREE "tree 0123456789abcdef0123456789abcdef01234567\n"
#define P1 "parent 89abcdef0123456789abcdef0123456789abcdef\n"
#define P2 "parent fedcba9876543210fedcba9876543210fedcba98\n"
#define AUTHOR "author A U Thor <a@x.org> 1700000000 +0100"
#define COMMITTER "committer C O Mitter <c@x.org> 1700000100 -0530\n"

static void
check_approval_payload(const char *raw, const char *want)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	struct tk_commit *c;

	if (tk_commit_parse(&c, raw, strlen(raw), 40) != 0)
		fail_msg("parse: %s", tk_error_last());
	assert_int_equal(tk_buf_puts(&b, "keep"), 0);
	assert_int_equal(tk_trailer_approval_payload(&b, c), 0);
	if (strncmp(b.ptr, "keep", 4) != 0 || strcmp(b.ptr + 4, want) != 0)
		fail_msg("payload:\n%s\nwant:\n%s", b.ptr + 4, want);
	tk_buf_release(&b);
	tk_commit_free(c);
}

static void
test_trailer__payload(void **state)
{
	/* Root commit. */
	check_approval_payload(TREE AUTHOR "\n" COMMITTER "\nRoot\n",
	    "twokey-approval v1\n" TREE AUTHOR "\n\nRoot\n");
	/* One parent; the approvals themselves are not signed. */
	check_approval_payload(TREE P1 AUTHOR
	    "\n" COMMITTER "\nFix\n\nBody\n\nSigned-off-by: A <a@x.org>\n" BOB
	    "\n",
	    "twokey-approval v1\n" TREE P1 AUTHOR
	    "\n\nFix\n\nBody\n\nSigned-off-by: A <a@x.org>\n");
	/* A merge: both parents, in order. */
	check_approval_payload(TREE P1 P2 AUTHOR "\n" COMMITTER
	                                         "\nMerge topic\n",
	    "twokey-approval v1\n" TREE P1 P2 AUTHOR "\n\nMerge topic\n");
	/* Committer, encoding, signature and unknown headers are outside. */
	check_approval_payload(TREE P1 P2 AUTHOR
	    "\n"
	    "committer Someone Else <e@x.org> 1800000000 +0000\n"
	    "encoding latin1\nx-unknown v\n"
	    "gpgsig -----BEGIN SSH SIGNATURE-----\n x\n"
	    " -----END SSH SIGNATURE-----\n"
	    "\nMerge topic\n\n" BOB "\n\n",
	    "twokey-approval v1\n" TREE P1 P2 AUTHOR "\n\nMerge topic\n");
	/* An empty message. */
	check_approval_payload(TREE AUTHOR "\n" COMMITTER,
	    "twokey-approval v1\n" TREE AUTHOR "\n\n\n");
	/* The author line byte for byte, odd spacing included. */
	check_approval_payload(TREE
	    "author Odd  Name\x1b <o@x> 1 -0000\n" COMMITTER "\nm",
	    "twokey-approval v1\n" TREE "author Odd  Name\x1b <o@x> 1 -0000"
	    "\n\nm\n");
}

static char *
read_fixture(const char *name, size_t *len)
{
	return read_fixture_in("commit", name, len);
}

/* The payload of fixture name, and its approvals. */
static void
fixture_payload(const char *name, struct tk_buf *b, struct tk_approval_list **l)
{
	struct tk_commit *c;
	size_t len;
	char *raw;

	raw = read_fixture(name, &len);
	if (tk_commit_parse(&c, raw, len, 40) != 0)
		fail_msg("%s: %s", name, tk_error_last());
	assert_int_equal(tk_trailer_approval_payload(b, c), 0);
	assert_int_equal(
	    tk_trailer_parse_approvals(l, c->message, c->message_len), 0);
	tk_commit_free(c);
	free(raw);
}

/*
 * git's own "commit --amend --trailer" adds an approval without changing
 * the payload, and the payload is what ssh-keygen signed.
 */
static void
test_trailer__git_fixtures(void **state)
{
	static const char *names[] = {"approval-base.commit", "approval.commit",
	    "approval-folded.commit"};
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	struct tk_approval_list *l;
	char *want, *blob;
	size_t wlen, blen, i;

	want = read_fixture("approval.payload", &wlen);
	blob = read_fixture("approval.blob", &blen);
	for (i = 0; i < TK_ARRAY_SIZE(names); i++) {
		tk_buf_reset(&b);
		fixture_payload(names[i], &b, &l);
		if (b.len != wlen || memcmp(b.ptr, want, wlen) != 0)
			fail_msg("%s: payload differs:\n%s", names[i], b.ptr);
		assert_int_equal(l->count, i);
		if (i > 0) {
			assert_int_equal(l->items[0].problem, TK_TRAILER_OK);
			assert_string_equal(l->items[0].name, "Bob Reviewer");
			assert_string_equal(
			    l->items[0].email, "bob@example.com");
			assert_int_equal(l->items[0].line, 6);
			assert_int_equal(l->items[0].sig_len, blen);
			assert_memory_equal(l->items[0].sig, blob, blen);
		}
		if (i == 2)
			assert_int_equal(
			    l->items[1].problem, TK_TRAILER_NO_SSHSIG);
		tk_approval_list_free(l);
	}
	tk_buf_release(&b);
	free(want);
	free(blob);
}

static int
count_each(void *arg, const char *value, size_t vlen, size_t line)
{
	(void)value;
	(void)vlen;
	(void)line;
	(*(size_t *)arg)++;
	return 0;
}

/* require-trailers reads no trailer git does not show either. */
static void
test_trailer__each_git_cut(void **state)
{
	static const struct {
		const char *msg;
		size_t n;
	} cases[] = {
	    {"S\n\nBody\n\nChange: CHG1\nchange: CHG2\n", 2},
	    {"S\n\nBody\n---\n\nChange: CHG1\n", 0},
	    {"S\n\n# ------------------------ >8 ------------------------\n\n"
	     "Change: CHG1\n",
	        0},
	    {"S\n\nBody\n----\n\nChange: CHG1\n", 1},
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < TK_ARRAY_SIZE(cases); i++) {
		n = 0;
		assert_int_equal(
		    tk_trailer_each(cases[i].msg, strlen(cases[i].msg),
		        "Change", count_each, &n),
		    0);
		if (n != cases[i].n)
			fail_msg("case %zu: %zu trailers, want %zu", i, n,
			    cases[i].n);
	}
}

static int
last_value(void *arg, const char *value, size_t vlen, size_t line)
{
	struct tk_buf *b = arg;

	(void)line;
	tk_buf_reset(b);
	return tk_buf_put(b, value, vlen) < 0;
}

/* require-trailers reads a folded value as git shows it. */
static void
test_trailer__each_unfolds_as_git(void **state)
{
	static const struct {
		const char *msg, *want;
	} cases[] = {
	    {"S\n\nChange: CHG12345\n  6\n", "CHG12345 6"},
	    {"S\n\nChange:   CHG123456  \n", "CHG123456"},
	    {"S\n\nChange: CHG1\n\t \t2\n 3\n", "CHG1 2 3"},
	    {"S\n\nChange:\n CHG123456\n", "CHG123456"},
	    {"S\n\nChange: CHG123456\r\n", "CHG123456"},
	};
	struct tk_buf b = TK_BUF_INIT(1024);
	size_t i;

	(void)state;
	for (i = 0; i < TK_ARRAY_SIZE(cases); i++) {
		tk_buf_reset(&b);
		assert_int_equal(
		    tk_trailer_each(cases[i].msg, strlen(cases[i].msg),
		        "Change", last_value, &b),
		    0);
		assert_non_null(b.ptr);
		if (strcmp(b.ptr, cases[i].want) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, b.ptr,
			    cases[i].want);
	}
	tk_buf_release(&b);
}

/* "twokey approve --trailer" warns when git would hide the approval. */
static void
test_trailer__git_would_hide(void **state)
{
	static const struct {
		const char *msg;
		bool hide;
	} cases[] = {
	    /* git cherry-pick -x: a trailer block for git, prose for us */
	    {"subj\n\nbody\n\n(cherry picked from commit "
	     "0123456789abcdef0123456789abcdef01234567)\n",
	        true},
	    {"subj\n\n(cherry picked from commit 0123)\nSigned-off-by: A "
	     "<a@x>\n",
	        true},
	    /* 25 %: one recognized prefix carries three prose lines */
	    {"subj\n\nSigned-off-by: A <a@x>\nsome prose\nmore prose\n"
	     "and more\n",
	        true},
	    {"subj\n\nSigned-off-by: A <a@x>\nsome prose\nmore prose\n"
	     "and more\nand more\n",
	        false},
	    /* git's looser "Key : value" */
	    {"subj\n\nBug : 12\n", true},
	    /* a "---" line: git adds before it, we read after it */
	    {"subj\n\nbody\n---\nnotes\n", true},
	    {"subj\n\nbody\n--- \n", true},
	    {"subj\n\nbody\n# ------------------------ >8 "
	     "------------------------\n",
	        true},
	    /* fine: a trailer block we read, or a paragraph git leaves */
	    {"subj\n\nbody\n\nChange-Id: I1\nSigned-off-by: A <a@x>\n", false},
	    {"subj\n\nbody text\n", false},
	    {"subj\n", false},
	    {"", false},
	    {"subj\n\nbody\n----\nmore\n", false},
	    {"subj\n\nsome prose\nKey: v\n", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < TK_ARRAY_SIZE(cases); i++)
		if (tk_trailer_git_would_hide(
		        cases[i].msg, strlen(cases[i].msg)) != cases[i].hide)
			fail_msg("case %zu: want %d for: %s", i, cases[i].hide,
			    cases[i].msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trailer__approvals_table),
	    cmocka_unit_test(test_trailer__unfolded_text),
	    cmocka_unit_test(test_trailer__nul),
	    cmocka_unit_test(test_trailer__count_bound),
	    cmocka_unit_test(test_trailer__value_bound),
	    cmocka_unit_test(test_trailer__long_fold),
	    cmocka_unit_test(test_trailer__canonical_table),
	    cmocka_unit_test(test_trailer__canonical_append),
	    cmocka_unit_test(test_trailer__linear),
	    cmocka_unit_test(test_trailer__payload),
	    cmocka_unit_test(test_trailer__git_fixtures),
	    cmocka_unit_test(test_trailer__git_would_hide),
	    cmocka_unit_test(test_trailer__each_git_cut),
	    cmocka_unit_test(test_trailer__each_unfolds_as_git),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
