/*
 * Unit tests for the audit log (docs/spec.md, "Audit record";
 * include/twokey/audit.h): tk_json_string on hostile bytes, checked
 * against an independent strict UTF-8 oracle and parsed back with the
 * reader of "twokey audit show"; tk_audit_format on a hand-built report;
 * the hash chain written by tk_audit_write and checked by
 * tk_audit_verify_files against every single-byte edit, deletions, swaps,
 * truncation, forged insertions, rotation, and with a key, HMACs and a
 * chain recomputed without the key; the failures that must make the hook
 * refuse; concurrent writers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "audit/json.h"
#include "internal.h"
#include "twokey/audit.h"
#include "twokey/check.h"
#include "twokey/digest.h"
#include "twokey/hook.h"
#include "twokey/policy.h"

#define Z40 "0000000000000000000000000000000000000000"
#define A40 "1111111111111111111111111111111111111111"
#define B40 "2222222222222222222222222222222222222222"
#define ZERO64 Z40 "000000000000000000000000"
#define NREC 6

#define FFFD "\xef\xbf\xbd"

/* ---------------------------------------------------------------- */
/* Small helpers                                                     */

/*
 * Length of a well-formed UTF-8 sequence at s (Unicode Table 3-7), or 0.
 * Written from the table, independently of record.c.
 */
static size_t
oracle_seq(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] == 0xe0)
		len = 3, lo = 0xa0;
	else if ((s[0] >= 0xe1 && s[0] <= 0xec) || s[0] == 0xee || s[0] == 0xef)
		len = 3;
	else if (s[0] == 0xed)
		len = 3, hi = 0x9f;
	else if (s[0] == 0xf0)
		len = 4, lo = 0x90;
	else if (s[0] >= 0xf1 && s[0] <= 0xf3)
		len = 4;
	else if (s[0] == 0xf4)
		len = 4, hi = 0x8f;
	else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* True when s[0..n) is strict UTF-8. */
static bool
strict_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = oracle_seq(p + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

/* What the string must decode to: each invalid byte becomes U+FFFD. */
static char *
oracle_decode(const char *s, size_t n, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	char *o = malloc(3 * n + 1);
	size_t i = 0, j = 0, k;

	assert_non_null(o);
	while (i < n) {
		if ((k = oracle_seq(p + i, n - i)) == 0) {
			memcpy(o + j, FFFD, 3);
			j += 3;
			i++;
		} else {
			memcpy(o + j, p + i, k);
			j += k;
			i += k;
		}
	}
	o[j] = '\0';
	*outlen = j;
	return o;
}

/*
 * Checks that lit[0..n) is one JSON string literal as RFC 8259 wants it,
 * strictly: quotes around, no raw byte below 0x20 and no raw DEL (so no
 * terminal escape survives), strict UTF-8, only the escapes JSON knows.
 * Returns NULL when fine, else what is wrong.
 */
static const char *
literal_problem(const char *lit, size_t n)
{
	size_t i;

	if (n < 2 || lit[0] != '"' || lit[n - 1] != '"')
		return "not quoted";
	if (!strict_utf8(lit, n))
		return "not strict UTF-8";
	for (i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)lit[i];

		if (c < 0x20 || c == 0x7f)
			return "raw control character";
		if (c == '"')
			return "unescaped quote";
		if (c != '\\')
			continue;
		if (i + 1 >= n - 1)
			return "dangling backslash";
		c = (unsigned char)lit[++i];
		if (c == 'u') {
			size_t k;

			if (i + 4 >= n - 1)
				return "short \\u";
			for (k = 1; k <= 4; k++)
				if (strchr("0123456789abcdefABCDEF",
				        lit[i + k]) == NULL ||
				    lit[i + k] == '\0')
					return "bad \\u digits";
			i += 4;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
			return "unknown escape";
	}
	return NULL;
}

/* tk_json_string(s) into out (caller releases), with the literal checks. */
static void
escape_checked(struct tk_buf *out, const char *s, size_t n)
{
	const char *why;

	tk_buf_init(out, 1u << 24);
	assert_int_equal(tk_json_string(out, s, n), 0);
	assert_non_null(out->ptr);
	if ((why = literal_problem(out->ptr, out->len)) != NULL)
		fail_msg("tk_json_string gave a bad literal (%s): %s", why,
		    out->ptr);
}

/* Escapes s, parses it back, compares with the oracle's decoding. */
static void
round_trip(const char *s, size_t n)
{
	struct tk_buf out;
	struct tk_jv *v = NULL;
	size_t wlen;
	char *want = oracle_decode(s, n, &wlen);

	escape_checked(&out, s, n);
	if (tk_json_parse(&v, out.ptr, out.len) < 0)
		fail_msg(
		    "tk_json_parse refused %s: %s", out.ptr, tk_error_last());
	assert_int_equal(v->t, TK_J_STR);
	if (v->slen != wlen || memcmp(v->s, want, wlen) != 0) {
		char hex[512];
		size_t i, k = 0;

		for (i = 0; i < n && k + 4 < sizeof(hex); i++)
			k += (size_t)snprintf(hex + k, sizeof(hex) - k, "%02x ",
			    (unsigned char)s[i]);
		fail_msg("round trip of [%s] gave %zu bytes, want %zu (%s)",
		    hex, v->slen, wlen, out.ptr);
	}
	tk_json_free(v);
	tk_buf_release(&out);
	free(want);
}

/* Escapes s and expects exactly the literal want. */
static void
escapes_to(const char *s, size_t n, const char *want)
{
	struct tk_buf out;

	escape_checked(&out, s, n);
	assert_string_equal(out.ptr, want);
	tk_buf_release(&out);
	round_trip(s, n);
}

#define ESC(lit, want) escapes_to((lit), sizeof(lit) - 1, (want))

/* ---------------------------------------------------------------- */
/* tk_json_string                                                    */

static void
test_audit__json_string_exact(void **state)
{
	(void)state;
	ESC("", "\"\"");
	ESC("plain text", "\"plain text\"");
	ESC("he said \"hi\"", "\"he said \\\"hi\\\"\"");
	ESC("a\\b\\\\c\\", "\"a\\\\b\\\\\\\\c\\\\\"");
	ESC("\"\\\"", "\"\\\"\\\\\\\"\"");
	ESC("\x1b[31mred\x1b[0m", "\"\\u001b[31mred\\u001b[0m\"");
	ESC("a\0b", "\"a\\u0000b\"");
	ESC("\0", "\"\\u0000\"");
	ESC("tab\tnl\ncr\r", "\"tab\\u0009nl\\u000acr\\u000d\"");
	ESC("del\x7f", "\"del\\u007f\"");
	/* Invalid UTF-8: each bad byte is one U+FFFD. */
	ESC("\xff", "\"\\ufffd\"");
	ESC("\x80", "\"\\ufffd\"");
	ESC("x\xc3", "\"x\\ufffd\"");
	ESC("\xc3\x28", "\"\\ufffd(\"");
	/* Overlong encodings of '/' and NUL. */
	ESC("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	ESC("\xc0\x80", "\"\\ufffd\\ufffd\"");
	ESC("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	ESC("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	ESC("\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	ESC("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	ESC("\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* UTF-16 surrogates encoded in UTF-8 (CESU), lone and paired. */
	ESC("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	ESC("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	ESC("\xed\xa0\xbd\xed\xb8\x80",
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Past U+10FFFF, and bytes that never occur. */
	ESC("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	ESC("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	ESC("\xf8\x88\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	ESC("\xfe\xff", "\"\\ufffd\\ufffd\"");
	/* Valid multi-byte text is kept as it is, 4-byte emoji included. */
	ESC("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	ESC("\xe2\x82\xac", "\"\xe2\x82\xac\"");
	ESC("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	ESC("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
	    "\"\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd\"");
	ESC("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");
	ESC("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");
	ESC("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");
	ESC("\xee\x80\x80", "\"\xee\x80\x80\"");
	/* An emoji cut short, then valid text. */
	ESC("\xf0\x9f\x98ok", "\"\\ufffd\\ufffd\\ufffdok\"");
	/* C1 controls and the Unicode line ends are escaped, not raw. */
	ESC("a\xc2\x85"
	    "b\xc2\x9b"
	    "2J",
	    "\"a\\u0085b\\u009b2J\"");
	ESC("\xc2\x80\xc2\x9f\xc2\xa0", "\"\\u0080\\u009f\xc2\xa0\"");
	ESC("l\xe2\x80\xa8p\xe2\x80\xa9", "\"l\\u2028p\\u2029\"");
	/* Bidirectional controls too; their neighbours are kept. */
	ESC("\xe2\x80\xa7\xe2\x80\xaa", "\"\xe2\x80\xa7\\u202a\"");
	ESC("\xe2\x80\xae\xe2\x80\xaf\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\x8d",
	    "\"\\u202e\xe2\x80\xaf\\u200e\\u200f\xe2\x80\x8d\"");
	ESC("\xe2\x81\xa5\xe2\x81\xa6\xe2\x81\xa9\xe2\x81\xaa\xd8\x9c\xd8\x9b",
	    "\"\xe2\x81\xa5\\u2066\\u2069\xe2\x81\xaa\\u061c\xd8\x9b\"");
}

/* Expects the log form of the name s (n bytes) to be want, and back. */
static void
refname_is(const char *s, size_t n, const char *want)
{
	struct tk_buf form = TK_BUF_INIT(1 << 16), raw = TK_BUF_INIT(1 << 16);

	assert_int_equal(tk_audit_refname(&form, s, n), 0);
	assert_int_equal(tk_buf_putc(&form, '\0'), 0);
	assert_string_equal(form.ptr, want);
	assert_int_equal(tk_audit_refname_raw(&raw, form.ptr, form.len - 1), 0);
	assert_int_equal(raw.len, n);
	assert_memory_equal(raw.ptr, s, n);
	tk_buf_release(&form);
	tk_buf_release(&raw);
}

#define REFNAME(lit, want) refname_is((lit), sizeof(lit) - 1, (want))

/* Ref names in records: bytes that are not UTF-8 as \xHH, one to one. */
static void
test_audit__refname(void **state)
{
	struct tk_buf b = TK_BUF_INIT(1 << 16);

	(void)state;
	REFNAME("refs/heads/main", "refs/heads/main");
	REFNAME("refs/heads/a\xff", "refs/heads/a\\xff");
	REFNAME("refs/heads/a\xfe", "refs/heads/a\\xfe");
	REFNAME("refs/heads/a\xef\xbf\xbd", "refs/heads/a\xef\xbf\xbd");
	REFNAME("caf\xc3\xa9/\xc3", "caf\xc3\xa9/\\xc3");
	REFNAME("\xc0\xaf\xed\xa0\x80", "\\xc0\\xaf\\xed\\xa0\\x80");
	REFNAME("a\\xff", "a\\x5cxff"); /* a backslash: never from git */
	REFNAME("\xe2\x80\xae", "\xe2\x80\xae"); /* valid UTF-8 kept */
	/* in JSON: the backslash escaped as any other */
	assert_int_equal(tk_json_refname(&b, "a\xff", 2), 0);
	assert_int_equal(tk_buf_putc(&b, '\0'), 0);
	assert_string_equal(b.ptr, "\"a\\\\xff\"");
	tk_buf_release(&b);
	/* a backslash that starts no \xHH stays as it is */
	assert_int_equal(tk_audit_refname_raw(&b, "a\\xg\\", 5), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.ptr, "a\\xg\\", 5);
	tk_buf_release(&b);
}

static void
test_audit__json_string_every_byte(void **state)
{
	char s[3];
	unsigned c;

	(void)state;
	/* Every control character, alone and inside text. */
	for (c = 0; c < 0x20; c++) {
		char want[16];
		struct tk_buf out;

		s[0] = 'x', s[1] = (char)c, s[2] = 'y';
		snprintf(want, sizeof(want), "\"x\\u%04xy\"", c);
		escape_checked(&out, s, 3);
		assert_string_equal(out.ptr, want);
		tk_buf_release(&out);
		round_trip(s, 3);
		round_trip(s + 1, 1);
	}
	/* Every single byte value, alone. */
	for (c = 0; c < 256; c++) {
		s[0] = (char)c;
		round_trip(s, 1);
	}
	/* Every two-byte sequence (lead x continuation and worse). */
	for (c = 0; c < 65536; c++) {
		s[0] = (char)(c >> 8), s[1] = (char)(c & 0xff);
		round_trip(s, 2);
	}
}

static void
test_audit__json_string_random(void **state)
{
	static const unsigned char pick[] = {0x00, 0x01, 0x1b, 0x1f, 0x20, '"',
	    '\\', '/', 'a', 'u', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
	    0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
	char s[64];
	unsigned long x = 0x2545F4914F6CDD1DUL;
	int iter;
	size_t i, n;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n = (size_t)(x % sizeof(s));
		for (i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			s[i] = (x & 1) ? (char)pick[(x >> 1) % sizeof(pick)]
			               : (char)(x >> 8);
		}
		round_trip(s, n);
	}
}

static void
test_audit__json_string_no_structural_tail(void **state)
{
	static const char evil[] =
	    ",\"prev\":\"" ZERO64 "\",\"hash\":\"" ZERO64 "\"}\n{\"v\":1";
	struct tk_buf out;

	(void)state;
	escape_checked(&out, evil, sizeof(evil) - 1);
	/* The structural markers the verifier looks for cannot appear. */
	assert_null(strstr(out.ptr, ",\"hash\":\""));
	assert_null(strstr(out.ptr, ",\"prev\":\""));
	assert_null(strchr(out.ptr, '\n'));
	tk_buf_release(&out);
	round_trip(evil, sizeof(evil) - 1);
}

/* ---------------------------------------------------------------- */
/* Fixtures: a temporary directory and a policy writing into it       */

struct fx {
	char dir[256];
	char log[320];
	char key[320];
	struct tk_policy *p; /* audit.path = log */
	struct tk_policy *pk; /* audit.path = log, key-file = key */
};

#define POLICY_HEAD                                                            \
	"version: 1\n"                                                         \
	"roles: {developer: d, reviewer: r, security: s, operations: o}\n"     \
	"identities:\n"                                                        \
	"  alice: {emails: [alice@example.com], logins: [alice], roles: "      \
	"[developer]}\n"                                                       \
	"  bob: {emails: [bob@example.com], logins: [bob], roles: [reviewer, " \
	"security]}\n"                                                         \
	"  dave: {emails: [dave@example.com], logins: [dave], roles: "         \
	"[operations]}\n"                                                      \
	"pusher: {env: [GL_USER]}\n"                                           \
	"rules:\n"                                                             \
	"  - name: mainline\n"                                                 \
	"    refs: 'refs/heads/main'\n"                                        \
	"    approvals: {min: 1, from: [reviewer]}\n"                          \
	"  - name: soft\n"                                                     \
	"    refs: 'refs/heads/soft/.+'\n"                                     \
	"    mode: warn\n"                                                     \
	"    update: [operations]\n"

static struct tk_policy *
policy_with(const char *audit_path, const char *key_file)
{
	struct tk_buf y = TK_BUF_INIT(1u << 20);
	struct tk_policy *p = NULL;
	char *errors = NULL;

	(void)tk_buf_puts(&y, POLICY_HEAD);
	if (audit_path != NULL) {
		(void)tk_buf_printf(&y, "audit:\n  path: \"%s\"\n", audit_path);
		if (key_file != NULL)
			(void)tk_buf_printf(
			    &y, "  key-file: \"%s\"\n", key_file);
	}
	assert_int_equal(y.err, 0);
	if (tk_policy_load_buffer(&p, &errors, "audit.yaml", y.ptr, y.len) < 0)
		fail_msg("policy refused: %s", errors ? errors : "?");
	free(errors);
	tk_buf_release(&y);
	return p;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	int fd;

	/* A new file each time: ext4 flushes a truncated-and-rewritten file
	 * on close, which would make the many rewrites here slow. */
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static char *
slurp(const char *path, size_t *len)
{
	struct tk_buf b = TK_BUF_INIT(1u << 28);
	char chunk[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY);
	char *s;

	assert_true(fd >= 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		assert_int_equal(tk_buf_put(&b, chunk, (size_t)n), 0);
	close(fd);
	s = tk_buf_detach(&b, len);
	assert_non_null(s);
	return s;
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/tk-audit.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->log, sizeof(f->log), "%s/audit.jsonl", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/audit.key", f->dir);
	write_file(f->key, "s3cret key bytes\n", 17);
	f->p = policy_with(f->log, NULL);
	f->pk = policy_with(f->log, f->key);
	*state = f;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	tk_policy_free(f->p);
	tk_policy_free(f->pk);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ---------------------------------------------------------------- */
/* A hand-built report                                                */

struct push {
	struct tk_updates u;
	struct tk_report r;
	struct tk_verdict verdicts[2];
	struct tk_finding findings[2];
	struct tk_commit_record commits[2];
	const struct tk_identity *approvers[2];
	struct tk_audit_push ap;
	char ref[64];
};

/*
 * One push of refs/heads/b<i> (create) by dave, refused with one finding,
 * one commit written by alice and approved by bob.
 */
static void
push_init(struct push *x, const struct tk_policy *p, int i)
{
	char in[256];

	memset(x, 0, sizeof(*x));
	snprintf(x->ref, sizeof(x->ref), "refs/heads/b%d", i);
	snprintf(in, sizeof(in), Z40 " " B40 " %s\n", x->ref);
	assert_int_equal(tk_updates_parse(&x->u, in, strlen(in)), 0);
	x->u.items[0].kind = TK_KIND_CREATE;
	x->verdicts[0].rule = p->rules[0];
	x->verdicts[0].decision = i % 2 ? TK_REFUSE : TK_ACCEPT;
	x->verdicts[0].nentering = 1;
	x->r.verdicts = x->verdicts;
	x->r.nverdicts = 1;
	x->findings[0].sev = TK_SEV_DENY;
	memcpy(x->findings[0].commit, B40, 41);
	x->findings[0].what = (char *)"not approved: needs 1 more approval";
	x->r.findings = x->findings;
	x->r.nfindings = 1;
	x->r.pusher_login = (char *)"dave";
	x->r.pusher_var = "GL_USER";
	x->r.pusher = tk_policy_by_login(p, "dave", 4);
	x->r.refused = i % 2;
	x->commits[0].update = 0;
	memcpy(x->commits[0].id, B40, 41);
	x->commits[0].subject = (char *)"a change";
	x->commits[0].author = (char *)"alice@example.com";
	x->commits[0].writers[0] = tk_policy_by_login(p, "alice", 5);
	x->commits[0].writers[1] = x->commits[0].writers[0];
	x->commits[0].chain = true;
	x->approvers[0] = tk_policy_by_login(p, "bob", 3);
	x->commits[0].approvers = x->approvers;
	x->commits[0].napprovers = 1;
	x->r.commits = x->commits;
	x->r.ncommits = 1;
	x->ap.hook = "pre-receive";
	x->ap.repo = "/srv/git/repo.git/";
	x->ap.now = INT64_C(1767225600) + i;
	assert_non_null(x->r.pusher);
	assert_non_null(x->approvers[0]);
}

static void
push_release(struct push *x)
{
	tk_updates_release(&x->u);
}

static int
write_one(const struct tk_policy *p, int i)
{
	struct push x;
	int rc;

	push_init(&x, p, i);
	rc = tk_audit_write(p, &x.u, &x.r, &x.ap);
	push_release(&x);
	return rc;
}

static void
write_n(const struct tk_policy *p, int from, int n)
{
	int i;

	for (i = from; i < from + n; i++)
		if (write_one(p, i) < 0)
			fail_msg("tk_audit_write #%d: %s", i, tk_error_last());
}

static void
clear_env(void)
{
	static const char *const vars[] = {"SSH_CONNECTION", "REMOTE_ADDR",
	    "GITHUB_USER_IP", "GL_PROTOCOL", "GITHUB_VIA",
	    "GIT_PUSH_OPTION_COUNT", "GIT_PUSH_OPTION_0", "GIT_PUSH_OPTION_1",
	    "GIT_PUSH_OPTION_2", "HTTP_AUTHORIZATION"};
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
}

/* ---------------------------------------------------------------- */
/* tk_audit_format                                                    */

static const struct tk_jv *
path_get(const struct tk_jv *v, const char *path)
{
	char part[64];
	const char *dot;

	while (v != NULL && *path != '\0') {
		size_t n;

		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		assert_true(n < sizeof(part));
		memcpy(part, path, n);
		part[n] = '\0';
		if (part[0] >= '0' && part[0] <= '9') {
			size_t k = (size_t)strtoul(part, NULL, 10);

			v = v->t == TK_J_ARR && k < v->n ? v->items[k] : NULL;
		} else
			v = tk_json_get(v, part);
		path = dot ? dot + 1 : path + n;
	}
	return v;
}

static void
expect_str(const struct tk_jv *root, const char *path, const char *want)
{
	const struct tk_jv *v = path_get(root, path);

	if (v == NULL || v->t != TK_J_STR)
		fail_msg("%s: missing or not a string", path);
	if (strlen(want) != v->slen || memcmp(v->s, want, v->slen) != 0)
		fail_msg("%s is '%s', want '%s'", path, v->s, want);
}

static void
expect_type(const struct tk_jv *root, const char *path, enum tk_jtype t)
{
	const struct tk_jv *v = path_get(root, path);

	if (v == NULL || v->t != t)
		fail_msg("%s: missing or type %d, want %d", path,
		    v ? (int)v->t : -1, (int)t);
}

static void
expect_len(const struct tk_jv *root, const char *path, size_t n)
{
	const struct tk_jv *v = path_get(root, path);

	if (v == NULL || (v->t != TK_J_ARR && v->t != TK_J_OBJ) || v->n != n)
		fail_msg("%s: missing or %zu items, want %zu", path,
		    v ? v->n : 0, n);
}

/* The object's member names are exactly the space-separated list. */
static void
expect_keys(const struct tk_jv *obj, const char *names)
{
	char want[512], got[512];
	size_t i, k = 0;

	assert_non_null(obj);
	assert_int_equal(obj->t, TK_J_OBJ);
	for (i = 0; i < obj->n; i++)
		k += (size_t)snprintf(got + k, sizeof(got) - k, "%s%s",
		    i ? " " : "", obj->keys[i]);
	snprintf(want, sizeof(want), "%s", names);
	assert_string_equal(got, want);
}

/* Formats, closes with '}', checks it is one valid line; parses it. */
static struct tk_jv *
format_parse(const struct tk_policy *p, const struct tk_updates *u,
    const struct tk_report *r, const struct tk_audit_push *ap, char **text)
{
	struct tk_buf b = TK_BUF_INIT(TK_AUDIT_MAX_RECORD);
	struct tk_jv *v = NULL;

	assert_int_equal(tk_audit_format(&b, p, u, r, ap), 0);
	assert_int_equal(tk_buf_putc(&b, '}'), 0);
	if (!strict_utf8(b.ptr, b.len))
		fail_msg("record is not strict UTF-8: %s", b.ptr);
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.ptr[i] < 0x20 ||
		    (unsigned char)b.ptr[i] == 0x7f)
			fail_msg("raw control byte 0x%02x at %zu: %s",
			    (unsigned char)b.ptr[i], i, b.ptr);
	if (tk_json_parse(&v, b.ptr, b.len) < 0)
		fail_msg("record is not JSON (%s): %s", tk_error_last(), b.ptr);
	assert_int_equal(v->t, TK_J_OBJ);
	*text = tk_buf_detach(&b, NULL);
	return v;
}

static void
test_audit__format_hostile(void **state)
{
	static const char subject[] = "Fix \x1b[31mred\x1b[0m \"quoted\" "
	                              "\xff\xfe\xc0\xaf end \xf0\x9f\x98\x80";
	static const char subject_dec[] =
	    "Fix \x1b[31mred\x1b[0m \"quoted\" " FFFD FFFD FFFD FFFD
	    " end \xf0\x9f\x98\x80";
	struct fx *f = *state;
	struct push x;
	struct tk_jv *v;
	char *text;

	clear_env();
	setenv("SSH_CONNECTION", "203.0.113.7 50022 198.51.100.1 22", 1);
	setenv("REMOTE_ADDR", "192.0.2.99", 1);
	setenv("GL_PROTOCOL", "ssh", 1);
	setenv("GIT_PUSH_OPTION_COUNT", "2", 1);
	setenv("GIT_PUSH_OPTION_0", "ci.skip", 1);
	setenv("GIT_PUSH_OPTION_1", "k=\"v\"\x01\xff", 1);
	setenv("HTTP_AUTHORIZATION", "Basic c2VjcmV0LXRva2Vu", 1);

	push_init(&x, f->p, 1);
	x.commits[0].subject = (char *)subject;
	x.commits[0].author = (char *)"ev\"il\\@example.com";
	x.commits[0].refused = (char *)"<mallory@example.com>: forged: "
	                               "\"x\"\x1b";
	x.findings[0].what = (char *)"bad \"thing\"";
	x.ap.now = INT64_C(1767225600) + 3600 * 13 + 60 * 7 + 9;

	v = format_parse(f->p, &x.u, &x.r, &x.ap, &text);
	assert_null(strstr(text, "c2VjcmV0LXRva2Vu"));
	assert_null(strstr(text, "HTTP_AUTHORIZATION"));
	assert_null(strchr(text, '\x1b'));

	expect_type(v, "v", TK_J_NUM);
	expect_str(v, "time", "2026-01-01T13:07:09Z");
	expect_str(v, "twokey", tk_version());
	expect_str(v, "hook", "pre-receive");
	expect_str(v, "repo", "/srv/git/repo.git/");
	expect_str(v, "pusher.login", "dave");
	expect_str(v, "pusher.identity", "dave");
	expect_str(v, "pusher.from", "GL_USER");
	expect_str(v, "client", "203.0.113.7 50022 198.51.100.1 22");
	expect_str(v, "protocol.GL_PROTOCOL", "ssh");
	expect_type(v, "protocol.GITHUB_VIA", TK_J_NULL);
	expect_len(v, "push_options", 2);
	expect_str(v, "push_options.0", "ci.skip");
	expect_str(v, "push_options.1", "k=\"v\"\x01" FFFD);
	expect_str(v, "decision", "refused");
	expect_type(v, "error", TK_J_NULL);
	expect_len(v, "refs", 1);
	expect_str(v, "refs.0.ref", "refs/heads/b1");
	expect_str(v, "refs.0.old", Z40);
	expect_str(v, "refs.0.new", B40);
	expect_str(v, "refs.0.kind", "create");
	expect_str(v, "refs.0.rule", "mainline");
	expect_str(v, "refs.0.mode", "enforce");
	expect_str(v, "refs.0.decision", "refused");
	expect_type(v, "refs.0.warned", TK_J_BOOL);
	assert_false(path_get(v, "refs.0.warned")->b);
	expect_type(v, "refs.0.entering", TK_J_NUM);
	assert_string_equal(path_get(v, "refs.0.entering")->s, "1");
	expect_len(v, "refs.0.commits", 1);
	expect_str(v, "refs.0.commits.0.id", B40);
	expect_str(v, "refs.0.commits.0.subject", subject_dec);
	expect_str(v, "refs.0.commits.0.author", "ev\"il\\@example.com");
	expect_len(v, "refs.0.commits.0.writers", 1);
	expect_str(v, "refs.0.commits.0.writers.0", "alice");
	expect_len(v, "refs.0.commits.0.approvers", 1);
	expect_str(v, "refs.0.commits.0.approvers.0.identity", "bob");
	expect_len(v, "refs.0.commits.0.approvers.0.roles", 2);
	expect_str(v, "refs.0.commits.0.approvers.0.roles.0", "reviewer");
	expect_str(v, "refs.0.commits.0.approvers.0.roles.1", "security");
	expect_str(v, "refs.0.commits.0.refused",
	    "<mallory@example.com>: forged: \"x\"\x1b");
	expect_len(v, "findings", 1);
	expect_str(v, "findings.0.ref", "refs/heads/b1");
	expect_str(v, "findings.0.commit", B40);
	expect_str(v, "findings.0.severity", "error");
	expect_str(v, "findings.0.message", "bad \"thing\"");
	/* The record's members, and nothing else (no environment dump). */
	expect_keys(v,
	    "v time twokey hook repo pusher client protocol "
	    "push_options decision error refs findings policy");
	expect_keys(path_get(v, "pusher"), "login identity from");
	expect_keys(path_get(v, "protocol"), "GL_PROTOCOL GL_ID GITHUB_VIA");
	tk_json_free(v);
	free(text);
	push_release(&x);
	clear_env();
}

static void
test_audit__format_variants(void **state)
{
	struct fx *f = *state;
	struct push x;
	struct tk_jv *v;
	char *text, name[32];
	int i;

	/* Warn mode: accepted, warned; no rule; an undecided push. */
	clear_env();
	push_init(&x, f->p, 2);
	x.verdicts[0].rule = f->p->rules[1];
	x.verdicts[0].decision = TK_ACCEPT;
	x.verdicts[0].warned = true;
	x.findings[0].sev = TK_SEV_WARN;
	x.commits[0].chain = false;
	x.r.pusher_login = NULL;
	x.r.pusher = NULL;
	v = format_parse(f->p, &x.u, &x.r, &x.ap, &text);
	expect_str(v, "decision", "accepted");
	expect_str(v, "refs.0.rule", "soft");
	expect_str(v, "refs.0.mode", "warn");
	expect_str(v, "refs.0.decision", "accepted");
	assert_true(path_get(v, "refs.0.warned")->b);
	expect_str(v, "findings.0.severity", "warning");
	expect_type(v, "pusher.login", TK_J_NULL);
	expect_type(v, "pusher.identity", TK_J_NULL);
	expect_type(v, "client", TK_J_NULL);
	expect_len(v, "push_options", 0);
	/* Approvals not checked: no approvers/refused members. */
	expect_keys(
	    path_get(v, "refs.0.commits.0"), "id subject author writers");
	tk_json_free(v);
	free(text);

	x.verdicts[0].rule = NULL;
	x.ap.error = "cannot read \"x\"\x1b";
	x.ap.hook = "update";
	setenv("REMOTE_ADDR", "198.51.100.23", 1);
	setenv("GITHUB_USER_IP", "192.0.2.1", 1);
	setenv("GITHUB_VIA", "web", 1);
	v = format_parse(f->p, &x.u, &x.r, &x.ap, &text);
	expect_str(v, "hook", "update");
	expect_str(v, "decision", "refused");
	expect_str(v, "error", "cannot read \"x\"\x1b");
	expect_type(v, "refs.0.rule", TK_J_NULL);
	expect_str(v, "client", "198.51.100.23");
	expect_str(v, "protocol.GITHUB_VIA", "web");
	tk_json_free(v);
	free(text);

	unsetenv("REMOTE_ADDR");
	v = format_parse(f->p, &x.u, &x.r, &x.ap, &text);
	expect_str(v, "client", "192.0.2.1");
	tk_json_free(v);
	free(text);

	/* Push options: a count past the bound, a missing one. */
	setenv("GIT_PUSH_OPTION_COUNT", "100000", 1);
	for (i = 0; i < 120; i++) {
		char val[32];

		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%d", i);
		snprintf(val, sizeof(val), "opt%d", i);
		if (i != 5)
			setenv(name, val, 1);
	}
	v = format_parse(f->p, &x.u, &x.r, &x.ap, &text);
	expect_len(v, "push_options", TK_AUDIT_MAX_PUSH_OPTIONS);
	expect_str(v, "push_options.0", "opt0");
	expect_str(v, "push_options.5", "");
	expect_str(v, "push_options.99", "opt99");
	tk_json_free(v);
	free(text);
	for (i = 0; i < 120; i++) {
		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%d", i);
		unsetenv(name);
	}
	push_release(&x);
	clear_env();
}

/* ---------------------------------------------------------------- */
/* The chain                                                          */

struct lines {
	char **l;
	size_t *len;
	size_t n;
};

static void
lines_read(struct lines *ls, const char *path)
{
	size_t len, i, start = 0;
	char *s = slurp(path, &len);

	memset(ls, 0, sizeof(*ls));
	ls->l = calloc(len + 1, sizeof(*ls->l));
	ls->len = calloc(len + 1, sizeof(*ls->len));
	assert_non_null(ls->l);
	assert_non_null(ls->len);
	assert_true(len > 0 && s[len - 1] == '\n');
	for (i = 0; i < len; i++)
		if (s[i] == '\n') {
			ls->l[ls->n] = tk_strndup(s + start, i - start);
			ls->len[ls->n++] = i - start;
			start = i + 1;
		}
	free(s);
}

static void
lines_free(struct lines *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		free(ls->l[i]);
	free(ls->l);
	free(ls->len);
}

/* Writes the lines picked by idx (n of them; -1 ends early) to path. */
static void
lines_write_idx(
    const struct lines *ls, const char *path, const int *idx, size_t n)
{
	struct tk_buf b = TK_BUF_INIT(1u << 28);
	size_t i;

	for (i = 0; i < n; i++) {
		(void)tk_buf_put(&b, ls->l[idx[i]], ls->len[idx[i]]);
		(void)tk_buf_putc(&b, '\n');
	}
	assert_int_equal(b.err, 0);
	write_file(path, b.ptr ? b.ptr : "", b.len);
	tk_buf_release(&b);
}

static void
lines_write_range(
    const struct lines *ls, const char *path, size_t from, size_t to)
{
	int idx[64];
	size_t i;

	assert_true(to - from <= TK_ARRAY_SIZE(idx));
	for (i = from; i < to; i++)
		idx[i - from] = (int)i;
	lines_write_idx(ls, path, idx, to - from);
}

/* The whole file as one buffer. */
static char *
lines_join(const struct lines *ls, size_t *len)
{
	struct tk_buf b = TK_BUF_INIT(1u << 28);
	size_t i;

	for (i = 0; i < ls->n; i++) {
		(void)tk_buf_put(&b, ls->l[i], ls->len[i]);
		(void)tk_buf_putc(&b, '\n');
	}
	assert_int_equal(b.err, 0);
	return tk_buf_detach(&b, len);
}

static int
vfy(struct tk_audit_verify *v, const char *const *files, size_t n,
    const char *key, bool rotated)
{
	memset(v, 0xa5, sizeof(*v)); /* must be reset by the callee */
	v->allow_rotated = rotated;
	return tk_audit_verify_files(
	    v, files, n, (const unsigned char *)key, key ? strlen(key) : 0);
}

static int
vfy1(struct tk_audit_verify *v, const char *file, const char *key)
{
	return vfy(v, &file, 1, key, false);
}

/* The verification of files must fail at (file, line) with why in it. */
static void
expect_break(const char *const *files, size_t n, const char *key, bool rotated,
    size_t file, size_t line, const char *why, const char *ctx)
{
	struct tk_audit_verify v;
	int rc = vfy(&v, files, n, key, rotated);

	if (rc != TK_EINVAL)
		fail_msg("%s: verify returned %d (%s), want a break at %zu:%zu",
		    ctx, rc, rc ? tk_error_last() : "intact", file, line);
	if (v.bad_file != file || v.bad_line != line)
		fail_msg("%s: break reported at %zu:%zu (%s), want %zu:%zu",
		    ctx, v.bad_file, v.bad_line, v.problem, file, line);
	if (why != NULL && strstr(v.problem, why) == NULL)
		fail_msg(
		    "%s: problem '%s' does not say '%s'", ctx, v.problem, why);
}

static void
expect_break1(const char *file, const char *key, size_t line, const char *why,
    const char *ctx)
{
	expect_break(&file, 1, key, false, 0, line, why, ctx);
}

static void
expect_intact(const char *const *files, size_t n, const char *key, bool rotated,
    size_t records, const char *ctx)
{
	struct tk_audit_verify v;
	int rc = vfy(&v, files, n, key, rotated);

	if (rc != 0)
		fail_msg("%s: verify returned %d: %zu:%zu %s (%s)", ctx, rc,
		    v.bad_file, v.bad_line, v.problem, tk_error_last());
	assert_int_equal(v.bad_line, 0);
	assert_int_equal(v.records, records);
}

/* A record's structural tail, located independently of log.c. */
struct tail {
	size_t body; /* offset of ,"hash": */
	size_t prevat; /* offset of ,"prev": */
	char prev[65], hash[65], hmac[65];
};

static void
tail_of(struct tail *t, const char *line, size_t len)
{
	size_t tl;

	memset(t, 0, sizeof(*t));
	assert_true(len > 200);
	assert_int_equal(line[len - 1], '}');
	if (memcmp(line + len - 75, ",\"hmac\":\"", 9) == 0) {
		memcpy(t->hmac, line + len - 75 + 9, 64);
		tl = 75 + 74;
	} else
		tl = 75;
	t->body = len - tl;
	assert_memory_equal(line + t->body, ",\"hash\":\"", 9);
	memcpy(t->hash, line + t->body + 9, 64);
	t->prevat = t->body - 74;
	assert_memory_equal(line + t->prevat, ",\"prev\":\"", 9);
	memcpy(t->prev, line + t->prevat + 9, 64);
}

/* SHA-256 (and HMAC with key) of bytes[0..n) + "}". */
static void
canon_digest(
    const char *bytes, size_t n, const char *key, char hash[65], char hmac[65])
{
	unsigned char d[TK_SHA256_LEN];
	char *c = malloc(n + 1);

	assert_non_null(c);
	memcpy(c, bytes, n);
	c[n] = '}';
	assert_int_equal(tk_sha256(d, c, n + 1), 0);
	tk_hex(hash, d, sizeof(d));
	if (hmac != NULL) {
		hmac[0] = '\0';
		if (key != NULL) {
			assert_int_equal(
			    tk_hmac_sha256(d, key, strlen(key), c, n + 1), 0);
			tk_hex(hmac, d, sizeof(d));
		}
	}
	free(c);
}

/*
 * A record line: body (an unclosed JSON object), then prev, a hash that
 * matches, and an HMAC with key when key is not NULL.
 */
static char *
make_record(const char *body, size_t bodylen, const char *prev, const char *key,
    size_t *len)
{
	struct tk_buf b = TK_BUF_INIT(1u << 28);
	char hash[65], hmac[65];

	(void)tk_buf_put(&b, body, bodylen);
	(void)tk_buf_printf(&b, ",\"prev\":\"%s\"", prev);
	canon_digest(b.ptr, b.len, key, hash, hmac);
	(void)tk_buf_printf(&b, ",\"hash\":\"%s\"", hash);
	if (key != NULL)
		(void)tk_buf_printf(&b, ",\"hmac\":\"%s\"", hmac);
	(void)tk_buf_putc(&b, '}');
	assert_int_equal(b.err, 0);
	return tk_buf_detach(&b, len);
}

static void
test_audit__chain_intact(void **state)
{
	struct fx *f = *state;
	struct tk_audit_verify v;
	struct lines ls;
	struct tail t;
	char prev[65], h[65];
	size_t i;

	clear_env();
	write_n(f->p, 0, NREC);
	lines_read(&ls, f->log);
	assert_int_equal(ls.n, NREC);
	memcpy(prev, ZERO64, 65);
	for (i = 0; i < ls.n; i++) {
		struct tk_jv *j = NULL;

		tail_of(&t, ls.l[i], ls.len[i]);
		assert_string_equal(t.prev, prev);
		assert_string_equal(t.hmac, "");
		canon_digest(ls.l[i], t.body, NULL, h, NULL);
		assert_string_equal(t.hash, h);
		memcpy(prev, t.hash, 65);
		if (tk_json_parse(&j, ls.l[i], ls.len[i]) < 0)
			fail_msg("line %zu is not JSON: %s", i + 1, ls.l[i]);
		expect_str(j, "prev", t.prev);
		expect_str(j, "hash", t.hash);
		assert_null(tk_json_get(j, "hmac"));
		tk_json_free(j);
	}
	assert_int_equal(vfy1(&v, f->log, NULL), 0);
	assert_int_equal(v.records, NREC);
	assert_int_equal(v.bad_line, 0);
	assert_false(v.rotated);
	assert_string_equal(v.last_hash, prev);
	lines_free(&ls);
}

/*
 * Every single-byte change anywhere in the file, newlines included, is
 * reported at the line that holds the byte.
 */
static void
every_byte_edit(struct fx *f, const char *key)
{
	static const int muts[] = {0x01, 0x20, 0x80, -'\n', -'0', -'"'};
	struct lines ls;
	char edit[400], ctx[128];
	size_t total, off = 0, i, j, m;
	char *all;
	int fd;

	lines_read(&ls, f->log);
	all = lines_join(&ls, &total);
	snprintf(edit, sizeof(edit), "%s/edit.jsonl", f->dir);
	write_file(edit, all, total);
	/* Each edit is one byte written in place, then put back. */
	fd = open(edit, O_WRONLY);
	assert_true(fd >= 0);
	for (i = 0; i < ls.n; i++) {
		for (j = 0; j <= ls.len[i]; j++) {
			unsigned char orig = (unsigned char)all[off + j];

			for (m = 0; m < TK_ARRAY_SIZE(muts); m++) {
				unsigned char c = muts[m] > 0
				    ? (unsigned char)(orig ^ muts[m])
				    : (unsigned char)-muts[m];

				if (c == orig)
					continue;
				assert_int_equal(
				    pwrite(fd, &c, 1, (off_t)(off + j)), 1);
				snprintf(ctx, sizeof(ctx),
				    "line %zu byte %zu "
				    "0x%02x->0x%02x%s",
				    i + 1, j, orig, c, key ? " (keyed)" : "");
				expect_break1(edit, key, i + 1, NULL, ctx);
				assert_int_equal(
				    pwrite(fd, &orig, 1, (off_t)(off + j)), 1);
			}
		}
		off += ls.len[i] + 1;
	}
	close(fd);
	/* The copy, every byte put back, still verifies. */
	expect_intact(
	    (const char *const[]){edit}, 1, key, false, ls.n, "unedited copy");
	free(all);
	lines_free(&ls);
}

static void
test_audit__chain_every_byte_edit(void **state)
{
	struct fx *f = *state;

	clear_env();
	write_n(f->p, 0, NREC);
	every_byte_edit(f, NULL);
}

static void
test_audit__chain_delete(void **state)
{
	struct fx *f = *state;
	struct lines ls;
	char path[400], ctx[64];
	int idx[NREC];
	size_t k, i, n;

	clear_env();
	write_n(f->p, 0, NREC);
	lines_read(&ls, f->log);
	snprintf(path, sizeof(path), "%s/del.jsonl", f->dir);
	/* One line; every line but the last has a successor to notice. */
	for (k = 0; k + 1 < NREC; k++) {
		for (i = 0, n = 0; i < NREC; i++)
			if (i != k)
				idx[n++] = (int)i;
		lines_write_idx(&ls, path, idx, n);
		snprintf(ctx, sizeof(ctx), "line %zu deleted", k + 1);
		expect_break1(
		    path, NULL, k + 1, k == 0 ? "earlier" : "deleted", ctx);
	}
	/* Two lines in a row. */
	for (k = 0; k + 2 < NREC; k++) {
		for (i = 0, n = 0; i < NREC; i++)
			if (i != k && i != k + 1)
				idx[n++] = (int)i;
		lines_write_idx(&ls, path, idx, n);
		snprintf(
		    ctx, sizeof(ctx), "lines %zu-%zu deleted", k + 1, k + 2);
		expect_break1(path, NULL, k + 1, NULL, ctx);
	}
	lines_free(&ls);
}

static void
test_audit__chain_reorder(void **state)
{
	struct fx *f = *state;
	struct lines ls;
	char path[400], ctx[64];
	int idx[NREC + 1];
	size_t k, i;

	clear_env();
	write_n(f->p, 0, NREC);
	lines_read(&ls, f->log);
	snprintf(path, sizeof(path), "%s/swap.jsonl", f->dir);
	/* Adjacent swaps. */
	for (k = 0; k + 1 < NREC; k++) {
		for (i = 0; i < NREC; i++)
			idx[i] = (int)i;
		idx[k] = (int)k + 1;
		idx[k + 1] = (int)k;
		lines_write_idx(&ls, path, idx, NREC);
		snprintf(ctx, sizeof(ctx), "lines %zu and %zu swapped", k + 1,
		    k + 2);
		expect_break1(path, NULL, k + 1, NULL, ctx);
	}
	/* First and last swapped; the first moved to the end. */
	for (i = 0; i < NREC; i++)
		idx[i] = (int)i;
	idx[0] = NREC - 1;
	idx[NREC - 1] = 0;
	lines_write_idx(&ls, path, idx, NREC);
	expect_break1(path, NULL, 1, NULL, "first and last swapped");
	for (i = 0; i < NREC; i++)
		idx[i] = (int)((i + 1) % NREC);
	lines_write_idx(&ls, path, idx, NREC);
	expect_break1(path, NULL, 1, NULL, "first moved to the end");
	/* A record replayed right after itself. */
	for (k = 0; k < NREC; k++) {
		size_t n = 0;

		for (i = 0; i < NREC; i++) {
			idx[n++] = (int)i;
			if (i == k)
				idx[n++] = (int)i;
		}
		lines_write_idx(&ls, path, idx, n);
		snprintf(ctx, sizeof(ctx), "line %zu duplicated", k + 1);
		expect_break1(path, NULL, k + 2,
		    k == 0 ? NULL : "reordered or inserted", ctx);
	}
	lines_free(&ls);
}

static void
test_audit__chain_truncated(void **state)
{
	struct fx *f = *state;
	struct lines ls;
	char path[400], ctx[96];
	size_t total, off = 0, i, c;
	char *all;

	clear_env();
	write_n(f->p, 0, NREC);
	lines_read(&ls, f->log);
	all = lines_join(&ls, &total);
	snprintf(path, sizeof(path), "%s/cut.jsonl", f->dir);
	for (i = 0; i < ls.n; i++) {
		/* Cut after 1 byte, in the middle, in the hash, before '}'
		 * and right before the newline. */
		size_t cuts[] = {
		    1, ls.len[i] / 2, ls.len[i] - 40, ls.len[i] - 1, ls.len[i]};

		for (c = 0; c < TK_ARRAY_SIZE(cuts); c++) {
			write_file(path, all, off + cuts[c]);
			snprintf(ctx, sizeof(ctx),
			    "cut in line %zu after %zu "
			    "bytes",
			    i + 1, cuts[c]);
			expect_break1(path, NULL, i + 1, "truncated", ctx);
		}
		off += ls.len[i] + 1;
	}
	/* The writer refuses to continue a log cut mid-record. */
	write_file(f->log, all, total - 10);
	assert_true(write_one(f->p, 99) < 0);
	assert_non_null(strstr(tk_error_last(), "middle of a record"));
	free(all);
	all = slurp(f->log, &c);
	assert_int_equal(c, total - 10);
	free(all);
	lines_free(&ls);
}

static void
test_audit__chain_forged_insert(void **state)
{
	static const char body[] = "{\"v\":1,\"time\":\"2026-01-01T00:00:00Z\","
	                           "\"decision\":\"accepted\",\"refs\":[],"
	                           "\"findings\":[]";
	struct fx *f = *state;
	struct lines ls;
	char path[400], ctx[64];
	size_t k, i, flen;
	struct tail t;
	char *forged, *save;
	size_t savelen;

	clear_env();
	write_n(f->p, 0, NREC);
	lines_read(&ls, f->log);
	snprintf(path, sizeof(path), "%s/forged.jsonl", f->dir);
	/* A self-consistent record linking to the one before its spot. */
	for (k = 0; k < NREC; k++) {
		struct lines m;

		if (k == 0)
			forged = make_record(
			    body, sizeof(body) - 1, ZERO64, NULL, &flen);
		else {
			tail_of(&t, ls.l[k - 1], ls.len[k - 1]);
			forged = make_record(
			    body, sizeof(body) - 1, t.hash, NULL, &flen);
		}
		m.n = ls.n + 1;
		m.l = calloc(m.n, sizeof(*m.l));
		m.len = calloc(m.n, sizeof(*m.len));
		for (i = 0; i < m.n; i++) {
			size_t from = i < k ? i : i - 1;

			m.l[i] = i == k ? forged : ls.l[from];
			m.len[i] = i == k ? flen : ls.len[from];
		}
		lines_write_range(&m, path, 0, m.n);
		snprintf(ctx, sizeof(ctx), "forged record at line %zu", k + 1);
		expect_break1(path, NULL, k + 2, NULL, ctx);
		free(m.l);
		free(m.len);
		free(forged);
	}
	/* A record replaced by a forged one with the same prev. */
	for (k = 0; k < NREC; k++) {
		tail_of(&t, ls.l[k], ls.len[k]);
		forged =
		    make_record(body, sizeof(body) - 1, t.prev, NULL, &flen);
		save = ls.l[k];
		savelen = ls.len[k];
		ls.l[k] = forged;
		ls.len[k] = flen;
		lines_write_range(&ls, path, 0, ls.n);
		snprintf(ctx, sizeof(ctx), "record %zu replaced", k + 1);
		if (k + 1 < NREC)
			expect_break1(path, NULL, k + 2, "deleted", ctx);
		ls.l[k] = save;
		ls.len[k] = savelen;
		free(forged);
	}
	lines_free(&ls);
}

static void
test_audit__chain_rotation_split(void **state)
{
	struct fx *f = *state;
	struct lines ls;
	char a[400], b[400], c[400], ctx[64];
	size_t s;

	clear_env();
	write_n(f->p, 0, NREC);
	lines_read(&ls, f->log);
	snprintf(a, sizeof(a), "%s/audit.jsonl.2", f->dir);
	snprintf(b, sizeof(b), "%s/audit.jsonl.1", f->dir);
	snprintf(c, sizeof(c), "%s/audit.jsonl.0", f->dir);
	for (s = 1; s < NREC; s++) {
		const char *ab[] = {a, b}, *ba[] = {b, a}, *bb[] = {b};
		struct tk_audit_verify v;

		lines_write_range(&ls, a, 0, s);
		lines_write_range(&ls, b, s, NREC);
		snprintf(ctx, sizeof(ctx), "split at %zu", s);
		expect_intact(ab, 2, NULL, false, NREC, ctx);
		expect_intact(ab, 2, NULL, true, NREC, ctx);
		expect_intact(ab, 1, NULL, false, s, ctx);
		expect_break(bb, 1, NULL, false, 0, 1, "earlier", ctx);
		expect_intact(bb, 1, NULL, true, NREC - s, ctx);
		assert_int_equal(vfy(&v, bb, 1, NULL, true), 0);
		assert_true(v.rotated);
		assert_int_equal(vfy(&v, ab, 2, NULL, true), 0);
		assert_false(v.rotated);
		expect_break(ba, 2, NULL, false, 0, 1, "earlier", ctx);
		expect_break(ba, 2, NULL, true, 1, 1, NULL, ctx);
		/* The head of the newer file deleted. */
		lines_write_range(&ls, b, s + 1, NREC);
		if (s + 1 < NREC) {
			expect_break(ab, 2, NULL, false, 1, 1, "deleted", ctx);
			expect_break(ab, 2, NULL, true, 1, 1, "deleted", ctx);
		}
	}
	/* Three files; the same file twice. */
	{
		const char *abc[] = {a, b, c}, *aa[] = {a, a};

		lines_write_range(&ls, a, 0, 2);
		lines_write_range(&ls, b, 2, 4);
		lines_write_range(&ls, c, 4, NREC);
		expect_intact(abc, 3, NULL, false, NREC, "three files");
		expect_break(aa, 2, NULL, false, 1, 1, NULL, "same file twice");
	}
	lines_free(&ls);
}

/*
 * docs/audit.md, "Rotation and retention": rename the log, the hook
 * creates a new file, "whose first record links to the old file's last
 * hash (read from the head file), so the chain continues across files".
 */
static void
test_audit__chain_rotation_by_rename(void **state)
{
	struct fx *f = *state;
	struct lines ls;
	struct tail t;
	char old[400], last[65];
	const char *files[2];

	clear_env();
	write_n(f->p, 0, 3);
	lines_read(&ls, f->log);
	tail_of(&t, ls.l[2], ls.len[2]);
	memcpy(last, t.hash, 65);
	lines_free(&ls);
	snprintf(old, sizeof(old), "%s.1", f->log);
	assert_int_equal(rename(f->log, old), 0);
	write_n(f->p, 3, 3);
	lines_read(&ls, f->log);
	tail_of(&t, ls.l[0], ls.len[0]);
	lines_free(&ls);
	files[0] = old;
	files[1] = f->log;
	/* Each file alone: the first one starts the chain. */
	expect_intact(files, 1, NULL, false, 3, "old file alone");
	if (strcmp(t.prev, last) != 0)
		fail_msg("after 'mv audit.jsonl audit.jsonl.1' the new file's "
		         "first record has prev %s, not the old file's last "
		         "hash %s: 'twokey audit verify audit.jsonl.1 "
		         "audit.jsonl' cannot succeed",
		    t.prev, last);
	expect_intact(files, 2, NULL, false, 6, "old then new");
}

#define KEY "s3cret key bytes\n"

enum rechain_hmac { KEEP_HMAC, DROP_HMAC, WRONG_KEY_HMAC };

/*
 * Rewrites every record with a correct prev and hash, as someone who can
 * write the log but not read the key would: the old HMAC kept, dropped,
 * or made with a key of their own.  Record edit_at (if < n) gets its ref
 * renamed first.
 */
static void
rechain(struct lines *ls, enum rechain_hmac mode, size_t edit_at)
{
	char prev[65];
	size_t i;

	memcpy(prev, ZERO64, 65);
	for (i = 0; i < ls->n; i++) {
		struct tail t;
		struct tk_buf b = TK_BUF_INIT(1u << 28);
		char *body, *p;
		size_t len;

		tail_of(&t, ls->l[i], ls->len[i]);
		body = tk_strndup(ls->l[i], t.prevat);
		assert_non_null(body);
		if (i == edit_at) {
			p = strstr(body, "refs/heads/b");
			assert_non_null(p);
			p[11] = 'X'; /* refs/heads/X<i> */
		}
		free(ls->l[i]);
		if (mode == WRONG_KEY_HMAC)
			ls->l[i] = make_record(
			    body, t.prevat, prev, "attacker's own key", &len);
		else {
			char *r = make_record(body, t.prevat, prev, NULL, &len);

			(void)tk_buf_put(&b, r, len - 1); /* without '}' */
			if (mode == KEEP_HMAC && t.hmac[0] != '\0')
				(void)tk_buf_printf(
				    &b, ",\"hmac\":\"%s\"", t.hmac);
			(void)tk_buf_putc(&b, '}');
			free(r);
			ls->l[i] = tk_buf_detach(&b, &len);
		}
		ls->len[i] = len;
		tail_of(&t, ls->l[i], ls->len[i]);
		memcpy(prev, t.hash, 65);
		free(body);
	}
}

/*
 * docs/spec.md, "Head file": the head file next to the log names the newest
 * record, so the writer also notices a log whose last records were cut
 * off at a line boundary, which the chain alone cannot show.
 */
static void
test_audit__head_file(void **state)
{
	struct fx *f = *state;
	struct lines ls;
	struct tail t;
	char head[400], want[66];
	size_t len;
	char *s;

	clear_env();
	write_n(f->p, 0, 3);
	lines_read(&ls, f->log);
	tail_of(&t, ls.l[2], ls.len[2]);
	snprintf(head, sizeof(head), "%s.head", f->log);
	snprintf(want, sizeof(want), "%s\n", t.hash);
	s = slurp(head, &len);
	assert_string_equal(s, want);
	free(s);
	/* The last record deleted: the next push is refused. */
	lines_write_range(&ls, f->log, 0, 2);
	expect_intact((const char *const[]){f->log}, 1, NULL, false, 2,
	    "last record deleted (the chain cannot tell)");
	assert_true(write_one(f->p, 3) < 0);
	s = slurp(f->log, &len);
	free(s);
	lines_free(&ls);
	lines_read(&ls, f->log);
	assert_int_equal(ls.n, 2);
	lines_free(&ls);
}

/*
 * The head file is not flushed (docs/decisions.md): after a crash it may
 * name any record of the log's tail.  The writer accepts such a head and
 * chains the next record to the last one, which brings the head up to
 * date; a head that names no record of the log (records removed from the
 * end) is still refused, the log left as it was.
 */
static void
test_audit__head_behind(void **state)
{
	struct fx *f = *state;
	struct lines ls;
	struct tail t, first, last;
	char head[400], want[66];
	size_t len;
	char *s;

	clear_env();
	write_n(f->p, 0, 5);
	lines_read(&ls, f->log);
	tail_of(&first, ls.l[0], ls.len[0]);
	tail_of(&last, ls.l[4], ls.len[4]);
	lines_free(&ls);
	snprintf(head, sizeof(head), "%s.head", f->log);
	/* Four records behind: the first record's hash. */
	snprintf(want, sizeof(want), "%s\n", first.hash);
	write_file(head, want, 65);
	expect_intact((const char *const[]){f->log}, 1, NULL, false, 5,
	    "head four records behind");
	assert_int_equal(write_one(f->p, 5), 0);
	lines_read(&ls, f->log);
	assert_int_equal(ls.n, 6);
	tail_of(&t, ls.l[5], ls.len[5]);
	assert_string_equal(t.prev, last.hash);
	lines_free(&ls);
	snprintf(want, sizeof(want), "%s\n", t.hash);
	s = slurp(head, &len);
	assert_string_equal(s, want);
	free(s);
	expect_intact((const char *const[]){f->log}, 1, NULL, false, 6,
	    "head up to date again");
	/* A head naming a record the log does not hold: refused. */
	memset(want, 'a', 64);
	write_file(head, want, 65);
	assert_true(write_one(f->p, 6) < 0);
	assert_non_null(strstr(tk_error_last(), "not in the log"));
	/* The prev of the first record is not a record of the log either. */
	snprintf(want, sizeof(want), "%s\n", first.prev);
	write_file(head, want, 65);
	assert_true(write_one(f->p, 6) < 0);
	lines_read(&ls, f->log);
	assert_int_equal(ls.n, 6);
	lines_free(&ls);
}

static void
test_audit__hmac(void **state)
{
	struct fx *f = *state;
	struct tk_audit_verify v;
	struct lines ls;
	struct tail t;
	char h[65], m[65], path[400];
	size_t i;

	clear_env();
	write_n(f->pk, 0, NREC);
	lines_read(&ls, f->log);
	for (i = 0; i < ls.n; i++) {
		tail_of(&t, ls.l[i], ls.len[i]);
		if (t.hmac[0] == '\0')
			fail_msg("record %zu has no hmac: %s", i + 1, ls.l[i]);
		canon_digest(ls.l[i], t.body, KEY, h, m);
		assert_string_equal(t.hash, h);
		assert_string_equal(t.hmac, m);
	}
	expect_intact((const char *const[]){f->log}, 1, KEY, false, NREC,
	    "keyed log with the key");
	expect_intact((const char *const[]){f->log}, 1, NULL, false, NREC,
	    "keyed log without a key");
	expect_break1(f->log, "not the key\n", 1, "HMAC", "wrong key");
	expect_break1(
	    f->log, "s3cret key bytes", 1, "HMAC", "key without its newline");

	snprintf(path, sizeof(path), "%s/rechained.jsonl", f->dir);
	/* An edit, chain recomputed, old HMACs kept. */
	rechain(&ls, KEEP_HMAC, 2);
	lines_write_range(&ls, path, 0, ls.n);
	expect_intact((const char *const[]){path}, 1, NULL, false, NREC,
	    "recomputed chain passes without the key");
	expect_break1(path, KEY, 3, "HMAC", "edit + rechain, old HMAC kept");
	lines_free(&ls);
	/* The chain recomputed without any edit: prev/hash unchanged. */
	lines_read(&ls, f->log);
	rechain(&ls, KEEP_HMAC, NREC);
	lines_write_range(&ls, path, 0, ls.n);
	expect_intact((const char *const[]){path}, 1, KEY, false, NREC,
	    "rechain without an edit changes nothing");
	rechain(&ls, DROP_HMAC, NREC);
	lines_write_range(&ls, path, 0, ls.n);
	expect_intact((const char *const[]){path}, 1, NULL, false, NREC,
	    "HMACs dropped, no key");
	/* (records without one are covered by a later HMAC; the last) */
	expect_break1(
	    path, KEY, NREC, "no record carries an HMAC", "HMACs dropped");
	rechain(&ls, WRONG_KEY_HMAC, 1);
	lines_write_range(&ls, path, 0, ls.n);
	expect_intact((const char *const[]){path}, 1, NULL, false, NREC,
	    "attacker's HMACs, no key");
	expect_break1(path, KEY, 1, "HMAC", "HMACs made with another key");
	lines_free(&ls);

	/* A forged record appended at the end: consistent, but without an
	 * HMAC, or with one made with a guessed key. */
	lines_read(&ls, f->log);
	tail_of(&t, ls.l[NREC - 1], ls.len[NREC - 1]);
	for (i = 0; i < 2; i++) {
		static const char body[] = "{\"v\":1,\"decision\":\"accepted\"";
		struct tk_buf b = TK_BUF_INIT(1u << 28);
		size_t total, flen;
		char *all = lines_join(&ls, &total);
		char *forged = make_record(body, sizeof(body) - 1, t.hash,
		    i ? "guessed key" : NULL, &flen);

		(void)tk_buf_put(&b, all, total);
		(void)tk_buf_put(&b, forged, flen);
		(void)tk_buf_putc(&b, '\n');
		write_file(path, b.ptr, b.len);
		expect_intact((const char *const[]){path}, 1, NULL, false,
		    NREC + 1, "appended forgery, no key");
		expect_break1(path, KEY, NREC + 1,
		    i ? "HMAC does not match" : "no HMAC", "appended forgery");
		tk_buf_release(&b);
		free(all);
		free(forged);
	}
	lines_free(&ls);

	/* The key is read like the writer reads it: empty key refused. */
	{
		unsigned char *k = NULL;
		size_t kl = 0;
		char empty[400];

		snprintf(empty, sizeof(empty), "%s/empty.key", f->dir);
		write_file(empty, "", 0);
		assert_true(tk_audit_read_key(&k, &kl, empty) < 0);
		assert_null(k);
		assert_int_equal(tk_audit_read_key(&k, &kl, f->key), 0);
		assert_int_equal(kl, strlen(KEY));
		assert_memory_equal(k, KEY, kl);
		free(k);
	}
	assert_int_equal(vfy1(&v, f->log, KEY), 0);
}

static void
test_audit__hmac_every_byte_edit(void **state)
{
	struct fx *f = *state;

	clear_env();
	write_n(f->pk, 0, 3);
	every_byte_edit(f, KEY);
}

/*
 * Unkeyed records, then the key configured: the old ones have no HMAC,
 * and a later record's HMAC covers them; the newest must have one.
 */
static void
test_audit__hmac_mixed(void **state)
{
	struct fx *f = *state;
	struct tk_audit_verify v;

	clear_env();
	write_n(f->p, 0, 2);
	write_n(f->pk, 2, 2);
	expect_intact(
	    (const char *const[]){f->log}, 1, NULL, false, 4, "mixed, no key");
	expect_intact((const char *const[]){f->log}, 1, KEY, false, 4,
	    "mixed, with the key");
	assert_int_equal(vfy1(&v, f->log, KEY), 0);
	assert_int_equal(v.unkeyed, 2);
	/* the key dropped for a while: the newest record has no HMAC */
	write_n(f->p, 4, 2);
	expect_break1(
	    f->log, KEY, 6, "no HMAC", "the key dropped, with the key");
	/* and set again: the two are covered */
	write_n(f->pk, 6, 1);
	assert_int_equal(vfy1(&v, f->log, KEY), 0);
	assert_int_equal(v.unkeyed, 4);
	assert_int_equal(v.records, 7);
}

/* ---------------------------------------------------------------- */
/* When the record cannot be written                                  */

static void
expect_write_fails(
    struct fx *f, const char *audit_path, const char *key, const char *why)
{
	struct tk_policy *p = policy_with(audit_path, key);
	int rc;

	(void)f;
	tk_error_clear();
	rc = write_one(p, 0);
	if (rc >= 0)
		fail_msg("tk_audit_write to '%s' succeeded", audit_path);
	if (why != NULL && strstr(tk_error_last(), why) == NULL)
		fail_msg(
		    "message '%s' does not say '%s'", tk_error_last(), why);
	tk_policy_free(p);
}

static void
test_audit__write_failures(void **state)
{
	struct fx *f = *state;
	struct tk_policy *p;
	char path[400], file[400], link[400];
	size_t len;
	char *s;

	clear_env();
	snprintf(path, sizeof(path), "%s/missing/audit.jsonl", f->dir);
	expect_write_fails(f, path, NULL, "cannot open");
	snprintf(file, sizeof(file), "%s/file.txt", f->dir);
	write_file(file, "x", 1);
	snprintf(path, sizeof(path), "%s/file.txt/audit.jsonl", f->dir);
	expect_write_fails(f, path, NULL, "cannot open");
	snprintf(path, sizeof(path), "%s/a-directory", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	expect_write_fails(f, path, NULL, "cannot open");
	/* A symlink in place of the log is not followed. */
	snprintf(link, sizeof(link), "%s/link.jsonl", f->dir);
	assert_int_equal(symlink(file, link), 0);
	expect_write_fails(f, link, NULL, "cannot open");
	s = slurp(file, &len);
	assert_int_equal(len, 1);
	free(s);
	/* A key file that cannot be read: nothing written. */
	snprintf(path, sizeof(path), "%s/nokey.jsonl", f->dir);
	snprintf(file, sizeof(file), "%s/missing.key", f->dir);
	expect_write_fails(f, path, file, "audit key");
	assert_int_equal(access(path, F_OK), -1);

	/* A damaged last record stops the writer. */
	write_n(f->p, 0, 3);
	{
		struct lines ls;
		size_t total;
		char *all;

		lines_read(&ls, f->log);
		ls.l[2][20] ^= 1;
		all = lines_join(&ls, &total);
		write_file(f->log, all, total);
		expect_write_fails(f, f->log, NULL, "edited");
		s = slurp(f->log, &len);
		assert_int_equal(len, total);
		free(s);
		free(all);
		lines_free(&ls);
		write_file(f->log, "garbage\n", 8);
		expect_write_fails(f, f->log, NULL, "malformed");
	}

	/* No audit.path: nothing to do, success. */
	p = policy_with(NULL, NULL);
	assert_int_equal(write_one(p, 0), 0);
	tk_policy_free(p);
}

/* ---------------------------------------------------------------- */
/* Concurrent writers                                                 */

#define NPROC 12
#define PERPROC 8

static void
test_audit__concurrent(void **state)
{
	struct fx *f = *state;
	struct lines ls;
	pid_t pids[NPROC];
	int i, st, seen[NPROC * PERPROC];
	size_t k;

	clear_env();
	write_n(f->pk, 1000, 1); /* the file exists, keyed */
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			int j, bad = 0;

			for (j = 0; j < PERPROC; j++)
				bad |= write_one(f->pk, i * PERPROC + j) < 0;
			_exit(bad);
		}
	}
	for (i = 0; i < NPROC; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	lines_read(&ls, f->log);
	assert_int_equal(ls.n, 1 + NPROC * PERPROC);
	memset(seen, 0, sizeof(seen));
	for (k = 1; k < ls.n; k++) {
		struct tk_jv *j = NULL;
		const struct tk_jv *ref;
		int n;

		if (tk_json_parse(&j, ls.l[k], ls.len[k]) < 0)
			fail_msg("line %zu is not JSON", k + 1);
		ref = path_get(j, "refs.0.ref");
		assert_non_null(ref);
		n = (int)strtol(ref->s + strlen("refs/heads/b"), NULL, 10);
		assert_true(n >= 0 && n < NPROC * PERPROC);
		seen[n]++;
		tk_json_free(j);
	}
	for (i = 0; i < NPROC * PERPROC; i++)
		assert_int_equal(seen[i], 1);
	expect_intact((const char *const[]){f->log}, 1, KEY, false, ls.n,
	    "after concurrent writers");
	lines_free(&ls);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_audit__json_string_exact),
	    cmocka_unit_test(test_audit__refname),
	    cmocka_unit_test(test_audit__json_string_every_byte),
	    cmocka_unit_test(test_audit__json_string_random),
	    cmocka_unit_test(test_audit__json_string_no_structural_tail),
	    T(test_audit__format_hostile),
	    T(test_audit__format_variants),
	    T(test_audit__chain_intact),
	    T(test_audit__chain_every_byte_edit),
	    T(test_audit__chain_delete),
	    T(test_audit__chain_reorder),
	    T(test_audit__chain_truncated),
	    T(test_audit__chain_forged_insert),
	    T(test_audit__chain_rotation_split),
	    T(test_audit__chain_rotation_by_rename),
	    T(test_audit__head_file),
	    T(test_audit__head_behind),
	    T(test_audit__hmac),
	    T(test_audit__hmac_every_byte_edit),
	    T(test_audit__hmac_mixed),
	    T(test_audit__write_failures),
	    T(test_audit__concurrent),
	};
	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
