/*
 * OpenSSH's sig_fuzz method (regress/unittests/sshkey/test_fuzz.c) applied
 * to twokey's SSHSIG verifier and the real ssh-keygen signatures in
 * $TK_TEST_DATA/sshsig (see the README there): every mutant of a valid
 * signature blob, of its armour or of the signed message must be refused,
 * either by tk_sshsig_parse_blob/_armor or by tk_sshsig_verify returning a
 * negative code.  Never 0.
 *
 * test_sshsig.c already flips every bit of the twokey-approval blobs and of
 * the message for them, and checks that every truncation fails to parse.
 * This file adds what that leaves out:
 *   - every fixture, including the "git" namespace ones and the refused
 *     RSA-1024 key, and byte flips (0xff) besides bit flips;
 *   - both bytes of every pair flipped, for the two smallest blobs;
 *   - truncation at every length from the end and from the start, run
 *     through the verifier, and one byte (every value) appended;
 *   - one byte inserted into, or deleted from, every length-prefixed field
 *     at every position with that field's and its enclosing fields'
 *     lengths adjusted, so the mutant still parses down to the changed
 *     field instead of failing at the first length;
 *   - the message: every bit flipped, truncated at every length, one byte
 *     (every value) appended, for every fixture;
 *   - the armour: every bit of the armoured text flipped and the text
 *     truncated at every length, where exactly the changes OpenSSH
 *     ignores (white space for white space in the base64, bytes after the
 *     footer) may still verify.
 * FIDO signatures have no fixtures (no authenticator); test_sshsig.c makes
 * them in software and bit-flips them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "internal.h"
#include "fixture.h"
#include "twokey/sshsig.h"

#define NS "twokey-approval"
#define BIG (1024 * 1024)
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define ARMOR_END "\n-----END SSH SIGNATURE-----"

struct fixture {
	const char *file;
	const char *ns;
	bool valid; /* false: the key is refused, nothing may verify */
};

static const struct fixture fixtures[] = {
    {"ed25519.sig", NS, true},
    {"ed25519.sha256.sig", NS, true},
    {"ed25519.git.sig", "git", true},
    {"ecdsa256.sig", NS, true},
    {"ecdsa256.sha256.sig", NS, true},
    {"ecdsa256.git.sig", "git", true},
    {"ecdsa384.sig", NS, true},
    {"ecdsa384.git.sig", "git", true},
    {"ecdsa521.sig", NS, true},
    {"ecdsa521.git.sig", "git", true},
    {"rsa2048.sig", NS, true},
    {"rsa2048.git.sig", "git", true},
    {"rsa3072.sig", NS, true},
    {"rsa3072.sha256.sig", NS, true},
    {"rsa3072.git.sig", "git", true},
    {"rsa1024.sig", NS, false},
    {"rsa1024.git.sig", "git", false},
};

/* Counts, printed at the end so a run shows how deep the mutants got. */
struct stats {
	size_t mutants;
	size_t parsed; /* reached tk_sshsig_verify */
	size_t benign; /* verified, and allowed to (see the armour tests) */
};

/* ---- fixtures ---- */

static char *
read_fixture(const char *name, size_t *lenp)
{
	return read_fixture_in("sshsig", name, lenp);
}

/* The raw blob inside an armoured fixture. */
static unsigned char *
dearmor(const char *name, size_t *len)
{
	char *text = read_fixture(name, NULL);
	char *b = strchr(text, '\n'), *e = strstr(text, "-----END");
	unsigned char *blob;

	assert_non_null(b);
	assert_non_null(e);
	assert_int_equal(
	    tk_base64_decode(&blob, len, b, (size_t)(e - b), BIG), 0);
	free(text);
	return blob;
}

/* ---- judging one mutant ---- */

/*
 * Parses and verifies; returns 0 only when the mutant verifies.  A parse
 * failure must leave *out NULL and return a negative code.
 */
static int
judge_blob(struct stats *st, const unsigned char *blob, size_t len,
    const char *ns, const void *msg, size_t msglen)
{
	struct tk_sshsig *sig;
	int rc;

	st->mutants++;
	rc = tk_sshsig_parse_blob(&sig, blob, len);
	if (rc != 0) {
		assert_true(rc < 0);
		assert_null(sig);
		return rc;
	}
	st->parsed++;
	rc = tk_sshsig_verify(sig, ns, msg, msglen);
	tk_sshsig_free(sig);
	assert_true(rc <= 0);
	return rc;
}

static int
judge_armor(struct stats *st, const char *text, size_t len, const char *ns,
    const void *msg, size_t msglen)
{
	struct tk_sshsig *sig;
	int rc;

	st->mutants++;
	rc = tk_sshsig_parse_armor(&sig, text, len);
	if (rc != 0) {
		assert_true(rc < 0);
		assert_null(sig);
		return rc;
	}
	st->parsed++;
	rc = tk_sshsig_verify(sig, ns, msg, msglen);
	tk_sshsig_free(sig);
	assert_true(rc <= 0);
	return rc;
}

#define MUST_FAIL(rc, ...)                                                     \
	do {                                                                   \
		if ((rc) == 0)                                                 \
			fail_msg(__VA_ARGS__);                                 \
	} while (0)

static void
report(const char *what, const struct stats *st)
{
	print_message("%s: %zu mutants, %zu reached verification, %zu "
	              "harmless ones verified\n",
	    what, st->mutants, st->parsed, st->benign);
}

/* Each fixture's blob must verify before it is mutated. */
static void
expect_good(const struct fixture *fx, const unsigned char *blob, size_t len,
    const char *msg, size_t msglen)
{
	struct stats unused = {0};
	int rc = judge_blob(&unused, blob, len, fx->ns, msg, msglen);

	if (fx->valid && rc != 0)
		fail_msg("%s does not verify: %s", fx->file, tk_error_last());
	if (!fx->valid && rc == 0)
		fail_msg("%s verifies with a refused key", fx->file);
}

/* ---- the blob: bit, byte and pair flips ---- */

static void
test_sigfuzz__blob_flips(void **state)
{
	struct stats st = {0};
	unsigned char *blob;
	size_t i, pos, bit, len, msglen;
	char *msg = read_fixture("msg", &msglen);
	int rc;

	for (i = 0; i < TK_ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];

		blob = dearmor(fx->file, &len);
		expect_good(fx, blob, len, msg, msglen);
		for (pos = 0; pos < len; pos++) {
			for (bit = 0; bit < 8; bit++) {
				blob[pos] ^= (unsigned char)(1u << bit);
				rc = judge_blob(
				    &st, blob, len, fx->ns, msg, msglen);
				MUST_FAIL(rc,
				    "%s: bit %zu of byte %zu flipped "
				    "still verifies",
				    fx->file, bit, pos);
				blob[pos] ^= (unsigned char)(1u << bit);
			}
			blob[pos] ^= 0xff;
			rc = judge_blob(&st, blob, len, fx->ns, msg, msglen);
			MUST_FAIL(rc, "%s: byte %zu inverted still verifies",
			    fx->file, pos);
			blob[pos] ^= 0xff;
		}
		expect_good(fx, blob, len, msg, msglen); /* restored */
		free(blob);
	}
	report("bit and byte flips", &st);
	free(msg);
}

/* Both bytes of every pair inverted (FUZZ_2_BYTE_FLIP): O(n^2), so only
 * for the two smallest key types. */
static void
test_sigfuzz__blob_pairs(void **state)
{
	static const struct fixture *const which[] = {
	    &fixtures[0], /* ed25519.sig */
	    &fixtures[5], /* ecdsa256.git.sig */
	};
	struct stats st = {0};
	unsigned char *blob;
	size_t i, a, b, len, msglen;
	char *msg = read_fixture("msg", &msglen);
	int rc;

	for (i = 0; i < TK_ARRAY_SIZE(which); i++) {
		const struct fixture *fx = which[i];

		blob = dearmor(fx->file, &len);
		expect_good(fx, blob, len, msg, msglen);
		for (a = 0; a < len; a++) {
			blob[a] ^= 0xff;
			for (b = a + 1; b < len; b++) {
				blob[b] ^= 0xff;
				rc = judge_blob(
				    &st, blob, len, fx->ns, msg, msglen);
				MUST_FAIL(rc,
				    "%s: bytes %zu and %zu inverted "
				    "still verify",
				    fx->file, a, b);
				blob[b] ^= 0xff;
			}
			blob[a] ^= 0xff;
		}
		free(blob);
	}
	report("byte pair flips", &st);
	free(msg);
}

/* ---- the blob: truncation and extension at the ends ---- */

static void
test_sigfuzz__blob_ends(void **state)
{
	struct stats st = {0};
	unsigned char *blob, *big;
	size_t i, n, len, msglen;
	char *msg = read_fixture("msg", &msglen);
	unsigned v;
	int rc;

	for (i = 0; i < TK_ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];

		blob = dearmor(fx->file, &len);
		expect_good(fx, blob, len, msg, msglen);
		/* FUZZ_TRUNCATE_END and _START */
		for (n = 0; n < len; n++) {
			rc = judge_blob(&st, blob, n, fx->ns, msg, msglen);
			MUST_FAIL(
			    rc, "%s: first %zu bytes verify", fx->file, n);
			rc = judge_blob(
			    &st, blob + len - n, n, fx->ns, msg, msglen);
			MUST_FAIL(rc, "%s: last %zu bytes verify", fx->file, n);
		}
		/* One byte appended, every value. */
		big = malloc(len + 1);
		assert_non_null(big);
		memcpy(big, blob, len);
		for (v = 0; v < 256; v++) {
			big[len] = (unsigned char)v;
			rc = judge_blob(&st, big, len + 1, fx->ns, msg, msglen);
			MUST_FAIL(rc, "%s: byte 0x%02x appended verifies",
			    fx->file, v);
		}
		free(big);
		free(blob);
	}
	report("truncations and appended bytes", &st);
	free(msg);
}

/* ---- the blob: one byte more or less inside a field ---- */

/* A length-prefixed string of the blob, found by walk(). */
struct field {
	size_t off; /* of its uint32 length */
	size_t len; /* of its contents, which start at off + 4 */
	int parent; /* index of the enclosing field, -1 at the top */
};

#define MAX_FIELDS 64

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * Records [start, end) as fields when it is exactly a sequence of
 * length-prefixed strings, then looks inside each the same way: the key,
 * the signature and the ECDSA (r, s) string are such sequences, while
 * names, raw keys and signature bytes are not (and if random bytes ever
 * happened to be, their mutants must fail just the same).
 */
static void
walk(const unsigned char *b, size_t start, size_t end, int parent,
    struct field *f, size_t *n)
{
	size_t p = start, first = *n, i, count = 0;

	while (p < end) {
		if (end - p < 4 || get_u32(b + p) > end - p - 4)
			return; /* not a sequence; nothing recorded */
		p += 4 + get_u32(b + p);
		count++;
	}
	if (count == 0 || first + count > MAX_FIELDS)
		return;
	for (p = start; p < end; p += 4 + get_u32(b + p)) {
		f[*n].off = p;
		f[*n].len = get_u32(b + p);
		f[*n].parent = parent;
		(*n)++;
	}
	for (i = first; i < first + count; i++)
		if (f[i].len >= 4)
			walk(b, f[i].off + 4, f[i].off + 4 + f[i].len, (int)i,
			    f, n);
}

/*
 * The blob with one byte inserted at pos (ins) or the byte at pos deleted,
 * and the length of field k and of every field around it adjusted.
 */
static size_t
edit(unsigned char *out, const unsigned char *blob, size_t len,
    const struct field *f, int k, size_t pos, bool ins, unsigned char v)
{
	size_t n;
	int j;

	memcpy(out, blob, pos);
	if (ins) {
		out[pos] = v;
		memcpy(out + pos + 1, blob + pos, len - pos);
		n = len + 1;
	} else {
		memcpy(out + pos, blob + pos + 1, len - pos - 1);
		n = len - 1;
	}
	/* Every length sits before pos, so its offset is unchanged. */
	for (j = k; j >= 0; j = f[j].parent)
		put_be32(out + f[j].off,
		    (uint32_t)(ins ? f[j].len + 1 : f[j].len - 1));
	return n;
}

static void
test_sigfuzz__blob_fields(void **state)
{
	static const unsigned char values[] = {0x00, 0x01, 0x80, 0xff};
	struct field f[MAX_FIELDS];
	struct stats st = {0};
	unsigned char *blob, *out;
	size_t i, v, nf, pos, len, n, msglen;
	char *msg = read_fixture("msg", &msglen);
	int k, rc;

	for (i = 0; i < TK_ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];

		blob = dearmor(fx->file, &len);
		expect_good(fx, blob, len, msg, msglen);
		nf = 0;
		walk(blob, 10, len, -1, f, &nf); /* after magic, version */
		/* key, namespace, reserved, hash, signature, and inside */
		assert_true(nf >= 5 + 2 + 2);
		out = malloc(len + 1);
		assert_non_null(out);
		for (k = 0; k < (int)nf; k++) {
			for (pos = f[k].off + 4; pos <= f[k].off + 4 + f[k].len;
			     pos++) {
				for (v = 0; v < TK_ARRAY_SIZE(values); v++) {
					n = edit(out, blob, len, f, k, pos,
					    true, values[v]);
					rc = judge_blob(
					    &st, out, n, fx->ns, msg, msglen);
					MUST_FAIL(rc,
					    "%s: 0x%02x inserted at %zu "
					    "(field at %zu) verifies",
					    fx->file, values[v], pos, f[k].off);
				}
				if (pos == f[k].off + 4 + f[k].len)
					continue;
				n = edit(out, blob, len, f, k, pos, false, 0);
				rc = judge_blob(
				    &st, out, n, fx->ns, msg, msglen);
				/*
				 * An RSA signature one byte short is padded
				 * back (ssh-rsa.c does the same), so deleting
				 * a leading zero byte of it is no change.
				 */
				if (rc == 0 && k == (int)nf - 1 &&
				    pos == f[k].off + 4 && blob[pos] == 0 &&
				    strncmp(fx->file, "rsa", 3) == 0) {
					st.benign++;
					continue;
				}
				MUST_FAIL(rc,
				    "%s: byte %zu deleted (field at %zu) "
				    "verifies",
				    fx->file, pos, f[k].off);
			}
		}
		free(out);
		free(blob);
	}
	report("bytes inserted into and deleted from fields", &st);
	free(msg);
}

/* ---- the message ---- */

static void
test_sigfuzz__message(void **state)
{
	struct stats st = {0};
	struct tk_sshsig *sig;
	unsigned char *blob;
	size_t i, bit, n, len, msglen;
	char *msg = read_fixture("msg", &msglen);
	char *big = malloc(msglen + 1);
	unsigned v;
	int rc;

	assert_non_null(big);
	for (i = 0; i < TK_ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];

		if (!fx->valid)
			continue;
		blob = dearmor(fx->file, &len);
		assert_int_equal(tk_sshsig_parse_blob(&sig, blob, len), 0);
		for (bit = 0; bit < msglen * 8; bit++) {
			msg[bit / 8] ^= (char)(1u << (bit % 8));
			rc = tk_sshsig_verify(sig, fx->ns, msg, msglen);
			st.mutants++;
			assert_int_equal(rc, TK_EBADSIG);
			msg[bit / 8] ^= (char)(1u << (bit % 8));
		}
		for (n = 0; n < msglen; n++) {
			st.mutants++;
			rc = tk_sshsig_verify(sig, fx->ns, msg, n);
			if (rc != TK_EBADSIG)
				fail_msg("%s: message cut to %zu bytes: %d",
				    fx->file, n, rc);
		}
		memcpy(big, msg, msglen);
		for (v = 0; v < 256; v++) {
			big[msglen] = (char)v;
			st.mutants++;
			rc = tk_sshsig_verify(sig, fx->ns, big, msglen + 1);
			if (rc != TK_EBADSIG)
				fail_msg("%s: byte 0x%02x appended to the "
				         "message: %d",
				    fx->file, v, rc);
		}
		assert_int_equal(tk_sshsig_verify(sig, fx->ns, msg, msglen), 0);
		tk_sshsig_free(sig);
		free(blob);
	}
	st.parsed = st.mutants;
	report("message changes", &st);
	free(big);
	free(msg);
}

/* ---- the armour ---- */

static bool
is_b64_space(unsigned char c)
{
	/* What OpenSSH's b64_pton skips (isspace in the C locale). */
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	    c == '\r';
}

/* Where the base64 starts and where the footer's "\n" is. */
static void
armor_bounds(const char *text, size_t len, size_t *body, size_t *foot)
{
	const char *e;

	assert_true(len > strlen(ARMOR_BEGIN));
	assert_memory_equal(text, ARMOR_BEGIN, strlen(ARMOR_BEGIN));
	*body = strlen(ARMOR_BEGIN);
	e = memmem(
	    text + *body - 1, len - *body + 1, ARMOR_END, strlen(ARMOR_END));
	assert_non_null(e);
	*foot = (size_t)(e - text);
}

static void
test_sigfuzz__armor_flips(void **state)
{
	struct stats st = {0};
	size_t i, pos, bit, len, body, foot, end, msglen;
	char *msg = read_fixture("msg", &msglen);
	unsigned char old, now;
	char *text;
	int rc;

	for (i = 0; i < TK_ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];

		if (!fx->valid)
			continue;
		text = read_fixture(fx->file, &len);
		armor_bounds(text, len, &body, &foot);
		end = foot + strlen(ARMOR_END);
		for (pos = 0; pos < len; pos++) {
			for (bit = 0; bit < 8; bit++) {
				old = (unsigned char)text[pos];
				now = (unsigned char)(old ^ (1u << bit));
				text[pos] = (char)now;
				rc = judge_armor(
				    &st, text, len, fx->ns, msg, msglen);
				text[pos] = (char)old;
				if (rc != 0)
					continue;
				/*
				 * Allowed: white space swapped for white
				 * space in the base64, anything after the
				 * footer (ssh-keygen ignores both).
				 */
				if (pos >= end ||
				    (pos >= body && pos < foot &&
				        is_b64_space(old) &&
				        is_b64_space(now))) {
					st.benign++;
					continue;
				}
				fail_msg("%s: armour byte %zu 0x%02x -> 0x%02x "
				         "still verifies",
				    fx->file, pos, old, now);
			}
		}
		free(text);
	}
	report("armour bit flips", &st);
	free(msg);
}

static void
test_sigfuzz__armor_lengths(void **state)
{
	struct stats st = {0};
	size_t i, n, len, body, foot, end, msglen;
	char *msg = read_fixture("msg", &msglen);
	char *text, *big;
	int rc;

	for (i = 0; i < TK_ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];

		if (!fx->valid)
			continue;
		text = read_fixture(fx->file, &len);
		armor_bounds(text, len, &body, &foot);
		end = foot + strlen(ARMOR_END);
		/* Verifies exactly once the whole footer is there. */
		for (n = 0; n <= len; n++) {
			rc = judge_armor(&st, text, n, fx->ns, msg, msglen);
			if (n < end && rc == 0)
				fail_msg("%s: armour cut to %zu bytes (footer "
				         "ends at %zu) verifies",
				    fx->file, n, end);
			if (n >= end && rc != 0)
				fail_msg("%s: armour cut to %zu bytes, after "
				         "the footer, fails: %s",
				    fx->file, n, tk_error_last());
			if (n >= end)
				st.benign++;
		}
		/* Each byte of the base64 dropped: never the same blob. */
		big = malloc(len + 1);
		assert_non_null(big);
		for (n = body; n < foot; n++) {
			if (is_b64_space((unsigned char)text[n]))
				continue;
			memcpy(big, text, n);
			memcpy(big + n, text + n + 1, len - n - 1);
			rc =
			    judge_armor(&st, big, len - 1, fx->ns, msg, msglen);
			MUST_FAIL(rc, "%s: base64 byte %zu dropped verifies",
			    fx->file, n);
		}
		free(big);
		free(text);
	}
	report("armour truncations and dropped characters", &st);
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigfuzz__blob_flips),
	    cmocka_unit_test(test_sigfuzz__blob_pairs),
	    cmocka_unit_test(test_sigfuzz__blob_ends),
	    cmocka_unit_test(test_sigfuzz__blob_fields),
	    cmocka_unit_test(test_sigfuzz__message),
	    cmocka_unit_test(test_sigfuzz__armor_flips),
	    cmocka_unit_test(test_sigfuzz__armor_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
