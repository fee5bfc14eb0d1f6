/*
 * The compiled policy reader (tk_policy_compiled_read): bytes from
 * PATH.compiled.  The checksum in its header would stop a fuzzer at the
 * first changed byte, so an input starting with 'B' is a body, sealed
 * here with a correct header; any other input is a whole file.  What
 * loads is queried as the hooks query it, and compiling it again must
 * give back the very bytes read: the reader keeps nothing the writer
 * would not write.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/digest.h"
#include "twokey/policy.h"
#include "twokey/sshsig.h"

static const unsigned char policy_sha[32] = {0x54, 0x4b};

static void
put_le(struct tk_buf *b, uint64_t v, int n)
{
	unsigned char c[8];
	int i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	FUZZ_CHECK(tk_buf_put(b, c, (size_t)n) == 0);
}

/* The header tk_policy_compile() writes, then body. */
static void
seal(struct tk_buf *out, const uint8_t *body, size_t len)
{
	const char *tag = tk_policy_compiled_tag();
	unsigned char bsha[32];

	FUZZ_CHECK(tk_buf_put(out, "TWOKEYPC", 8) == 0);
	put_le(out, 1, 4);
	put_le(out, strlen(tag), 4);
	FUZZ_CHECK(tk_buf_put(out, tag, strlen(tag)) == 0);
	FUZZ_CHECK(tk_buf_put(out, policy_sha, 32) == 0);
	put_le(out, len, 8);
	FUZZ_CHECK(tk_sha256(bsha, body, len) == 0);
	FUZZ_CHECK(tk_buf_put(out, bsha, 32) == 0);
	FUZZ_CHECK(tk_buf_put(out, body, len) == 0);
}

static void
exercise(const struct tk_policy *p)
{
	const struct tk_identity *id;
	const struct tk_rule *r;
	size_t i, j;
	int rc;

	FUZZ_CHECK(p->nroles <= TK_POLICY_MAX_ROLES);
	for (i = 0; i < p->nidentities; i++) {
		id = p->identities[i];
		FUZZ_CHECK(id->id != NULL && id->name != NULL);
		for (j = 0; j < id->nemails; j++)
			FUZZ_CHECK(tk_policy_by_email(p, id->emails[j],
			               strlen(id->emails[j])) == id);
		for (j = 0; j < id->nlogins; j++)
			FUZZ_CHECK(tk_policy_by_login(p, id->logins[j],
			               strlen(id->logins[j])) == id);
		for (j = 0; j < id->nkeys; j++)
			FUZZ_CHECK(tk_policy_by_key(p, id->keys[j]->key) ==
			    id->keys[j]);
	}
	for (i = 0; i < p->nrevoked; i++)
		FUZZ_CHECK(tk_policy_key_revoked(p, p->revoked[i]->key));
	for (i = 0; i < p->nrules; i++)
		FUZZ_CHECK(p->rules[i]->name != NULL && p->rules[i]->refs);
	rc = tk_policy_match(&r, p, "refs/heads/main");
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == TK_ECONFIG);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_buf in = TK_BUF_INIT(TK_POLICY_COMPILED_MAX);
	struct tk_buf again = TK_BUF_INIT(TK_POLICY_COMPILED_MAX);
	struct tk_policy *p = NULL;
	static int init;
	int rc;

	if (!init) {
		FUZZ_CHECK(tk_crypto_init(false) == 0);
		init = 1;
	}
	if (size > 0 && data[0] == 'B')
		seal(&in, data + 1, size - 1);
	else if (size > 0)
		FUZZ_CHECK(tk_buf_put(&in, data, size) == 0);
	rc = tk_policy_compiled_read(&p, "fuzz.yaml",
	    (const unsigned char *)(in.ptr ? in.ptr : ""), in.len, policy_sha);
	if (rc == 0) {
		FUZZ_CHECK(p != NULL);
		exercise(p);
		FUZZ_CHECK(tk_policy_compile(&again, p) == 0);
		FUZZ_CHECK(again.len == in.len &&
		    memcmp(again.ptr, in.ptr, in.len) == 0);
	} else {
		FUZZ_CHECK(p == NULL);
		FUZZ_CHECK(
		    rc == TK_EINVAL || rc == TK_ETOOBIG || rc == TK_ENOMEM);
	}
	tk_policy_free(p);
	tk_buf_release(&in);
	tk_buf_release(&again);
	return 0;
}
