/*
 * SSHSIG signatures as they arrive in gpgsig headers (armor), in trailers
 * (base64) and decoded (blob), each parsed and then verified over a fixed
 * message under both namespaces twokey pins.  The message is
 * tests/data/sshsig/msg, so the seed signatures verify and mutations of
 * them exercise the whole verifier, not only the refusals.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/sshsig.h"

static const char msg[] =
    "twokey-approval v1\n"
    "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
    "author A U Thor <author@example.com> 1700000000 +0000\n"
    "\n"
    "Add the frobnicator\n"
    "\n"
    "Fixture message for twokey-test-only signatures.\n";

static const char *const namespaces[] = {"git", "twokey-approval"};

static void
check_sig(const struct tk_sshsig *sig)
{
	const struct tk_sshkey *k;
	const unsigned char *blob;
	const char *ns;
	size_t i, len = 0;
	int rc;

	FUZZ_CHECK(sig != NULL);
	k = tk_sshsig_key(sig);
	ns = tk_sshsig_namespace(sig);
	FUZZ_CHECK(k != NULL && ns != NULL);
	blob = tk_sshkey_blob(k, &len);
	FUZZ_CHECK(blob != NULL && len > 0 && len <= TK_SSHKEY_MAX_BLOB);
	FUZZ_CHECK(strlen(tk_sshkey_fingerprint(k)) == 50);
	for (i = 0; i < TK_ARRAY_SIZE(namespaces); i++) {
		rc = tk_sshsig_verify(sig, namespaces[i], msg, sizeof(msg) - 1);
		/*
		 * Attacker bytes either verify or do not: never "undecided"
		 * (a security key without user presence is refused as such).
		 */
		FUZZ_CHECK(rc == 0 || rc == TK_EBADSIG ||
		    (rc == TK_EUNSUPPORTED &&
		        strncmp(tk_sshkey_type(k), "sk-", 3) == 0));
		FUZZ_CHECK(rc != 0 || strcmp(ns, namespaces[i]) == 0);
	}
}

static void
check_rc(int rc, const struct tk_sshsig *sig)
{
	if (rc == 0) {
		check_sig(sig);
		return;
	}
	FUZZ_CHECK(sig == NULL);
	FUZZ_CHECK(rc == TK_EINVAL || rc == TK_ETOOBIG ||
	    rc == TK_EUNSUPPORTED || rc == TK_ENOMEM);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_sshsig *sig = NULL;
	const char *text = (const char *)data;
	int rc;

	rc = tk_sshsig_parse_blob(&sig, data, size);
	check_rc(rc, sig);
	tk_sshsig_free(sig);
	sig = NULL;
	rc = tk_sshsig_parse_armor(&sig, text, size);
	check_rc(rc, sig);
	tk_sshsig_free(sig);
	sig = NULL;
	rc = tk_sshsig_parse_base64(&sig, text, size);
	check_rc(rc, sig);
	tk_sshsig_free(sig);
	return 0;
}
