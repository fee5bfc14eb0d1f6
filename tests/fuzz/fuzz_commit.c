/*
 * Raw commit objects (tk_commit_parse) for SHA-1 and SHA-256 repositories,
 * then what the hooks take from a parsed commit: the subject, the approval
 * payload and, for SSH-signed commits, the signature over the signed
 * payload.
 *
 * The signed payload is the object minus its gpgsig* headers, so it is no
 * longer than the object, ends with the same message, and parses again to
 * the same commit, unsigned, with itself as payload.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/commit.h"
#include "twokey/sshsig.h"
#include "twokey/trailer.h"

static bool
inside(const char *p, size_t n, const struct tk_commit *c, size_t size)
{
	return p >= c->raw_ && n <= size && (size_t)(p - c->raw_) <= size - n;
}

static void
check_person(const struct tk_person *pp, const struct tk_commit *c, size_t size)
{
	FUZZ_CHECK(inside(pp->raw, pp->raw_len, c, size));
	FUZZ_CHECK(inside(pp->name, pp->name_len, c, size));
	FUZZ_CHECK(inside(pp->email, pp->email_len, c, size));
	FUZZ_CHECK(memchr(pp->email, '>', pp->email_len) == NULL);
	FUZZ_CHECK(pp->when >= 0 && pp->when <= TK_COMMIT_MAX_TIME);
}

static void
check_subject(const struct tk_commit *c)
{
	const char *s;
	size_t len = 1;

	s = tk_commit_subject(c, &len);
	FUZZ_CHECK(s >= c->message && len <= c->message_len &&
	    (size_t)(s - c->message) <= c->message_len - len);
	FUZZ_CHECK(memchr(s, '\n', len) == NULL);
	FUZZ_CHECK(len == 0 ||
	    (s[len - 1] != ' ' && s[len - 1] != '\t' && s[len - 1] != '\r'));
}

/* The payload parses to the same commit, without a signature. */
static void
check_reparse(const struct tk_commit *c, size_t hexlen)
{
	struct tk_commit *d = NULL;
	size_t i;

	FUZZ_CHECK(tk_commit_parse(&d, c->signed_payload, c->signed_payload_len,
	               hexlen) == 0);
	FUZZ_CHECK(d->sig_format == TK_SIG_NONE && d->signature == NULL);
	FUZZ_CHECK(d->signed_payload_len == c->signed_payload_len &&
	    memcmp(d->signed_payload, c->signed_payload,
	        c->signed_payload_len) == 0);
	FUZZ_CHECK(strcmp(d->tree, c->tree) == 0);
	FUZZ_CHECK(d->nparents == c->nparents);
	for (i = 0; i < c->nparents; i++)
		FUZZ_CHECK(strcmp(d->parents[i], c->parents[i]) == 0);
	FUZZ_CHECK(d->author.raw_len == c->author.raw_len &&
	    memcmp(d->author.raw, c->author.raw, c->author.raw_len) == 0);
	FUZZ_CHECK(d->committer.raw_len == c->committer.raw_len &&
	    memcmp(d->committer.raw, c->committer.raw, c->committer.raw_len) ==
	        0);
	FUZZ_CHECK(d->message_len == c->message_len &&
	    memcmp(d->message, c->message, c->message_len) == 0);
	tk_commit_free(d);
}

static void
check_signature(const struct tk_commit *c)
{
	struct tk_sshsig *sig = NULL;
	int rc;

	FUZZ_CHECK((c->signature == NULL) == (c->sig_format == TK_SIG_NONE));
	if (c->signature == NULL)
		return;
	FUZZ_CHECK(strlen(c->signature) == c->signature_len);
	if (c->sig_format != TK_SIG_SSH ||
	    tk_sshsig_parse_armor(&sig, c->signature, c->signature_len) < 0)
		return;
	rc = tk_sshsig_verify(
	    sig, "git", c->signed_payload, c->signed_payload_len);
	FUZZ_CHECK(rc == 0 || rc == TK_EBADSIG);
	tk_sshsig_free(sig);
}

static void
check_commit(const struct tk_commit *c, size_t size, size_t hexlen)
{
	struct tk_buf pay = TK_BUF_INIT(2 * TK_COMMIT_MAX_SIZE);
	size_t i;

	FUZZ_CHECK(c->signed_payload != NULL && c->signed_payload_len <= size);
	FUZZ_CHECK(c->signed_payload[c->signed_payload_len] == '\0');
	FUZZ_CHECK(strlen(c->tree) == hexlen);
	FUZZ_CHECK(c->nparents <= TK_COMMIT_MAX_PARENTS);
	for (i = 0; i < c->nparents; i++)
		FUZZ_CHECK(strlen(c->parents[i]) == hexlen);
	check_person(&c->author, c, size);
	check_person(&c->committer, c, size);
	FUZZ_CHECK(c->message + c->message_len == c->raw_ + size);
	FUZZ_CHECK(c->message_len <= c->signed_payload_len &&
	    memcmp(c->signed_payload + c->signed_payload_len - c->message_len,
	        c->message, c->message_len) == 0);
	check_subject(c);
	check_signature(c);
	check_reparse(c, hexlen);
	FUZZ_CHECK(tk_trailer_approval_payload(&pay, c) == 0);
	FUZZ_CHECK(pay.len > 0 && pay.ptr[pay.len - 1] == '\n');
	tk_buf_release(&pay);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t hexlens[] = {40, 64};
	struct tk_commit *c = NULL;
	size_t i;
	int rc;

	for (i = 0; i < TK_ARRAY_SIZE(hexlens); i++) {
		rc = tk_commit_parse(&c, (const char *)data, size, hexlens[i]);
		if (rc == 0)
			check_commit(c, size, hexlens[i]);
		else
			FUZZ_CHECK(c == NULL &&
			    (rc == TK_EINVAL || rc == TK_ETOOBIG ||
			        rc == TK_ENOMEM));
		tk_commit_free(c);
		c = NULL;
	}
	return 0;
}
