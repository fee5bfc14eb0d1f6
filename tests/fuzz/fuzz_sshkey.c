/*
 * OpenSSH public keys: the authorized_keys-style line of the policy file
 * (tk_sshkey_parse_line) and the wire blob embedded in every signature
 * (tk_sshkey_from_blob).  Keys are compared by blob, so an accepted blob
 * must be canonical: it parses back to itself, and the line form of a key
 * gives the same blob.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/sshsig.h"

static void
check_key(const struct tk_sshkey *k)
{
	struct tk_buf line = TK_BUF_INIT(4 * TK_SSHKEY_MAX_BLOB);
	struct tk_sshkey *again = NULL, *fromline = NULL;
	const unsigned char *blob, *b2;
	const char *fp;
	size_t len = 0, len2 = 0;

	FUZZ_CHECK(k != NULL);
	blob = tk_sshkey_blob(k, &len);
	fp = tk_sshkey_fingerprint(k);
	FUZZ_CHECK(blob != NULL && len > 0 && len <= TK_SSHKEY_MAX_BLOB);
	FUZZ_CHECK(strncmp(fp, "SHA256:", 7) == 0 && strlen(fp) == 50);
	FUZZ_CHECK(tk_sshkey_type(k) != NULL);
	FUZZ_CHECK(tk_sshkey_from_blob(&again, blob, len) == 0);
	b2 = tk_sshkey_blob(again, &len2);
	FUZZ_CHECK(len2 == len && memcmp(b2, blob, len) == 0);
	FUZZ_CHECK(strcmp(tk_sshkey_fingerprint(again), fp) == 0);
	FUZZ_CHECK(tk_buf_printf(&line, "%s ", tk_sshkey_type(k)) == 0);
	FUZZ_CHECK(tk_base64_encode(&line, blob, len) == 0);
	FUZZ_CHECK(tk_buf_puts(&line, " comment") == 0);
	FUZZ_CHECK(tk_sshkey_parse_line(&fromline, line.ptr) == 0);
	b2 = tk_sshkey_blob(fromline, &len2);
	FUZZ_CHECK(len2 == len && memcmp(b2, blob, len) == 0);
	tk_sshkey_free(again);
	tk_sshkey_free(fromline);
	tk_buf_release(&line);
}

static void
check_rc(int rc, const struct tk_sshkey *k)
{
	if (rc == 0)
		check_key(k);
	else
		FUZZ_CHECK(k == NULL &&
		    (rc == TK_EINVAL || rc == TK_ETOOBIG ||
		        rc == TK_EUNSUPPORTED || rc == TK_ENOMEM));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_sshkey *k = NULL;
	const unsigned char *blob;
	char *line = fuzz_cstring(data, size);
	size_t len = 0;
	int rc;

	rc = tk_sshkey_parse_line(&k, line);
	check_rc(rc, k);
	tk_sshkey_free(k);
	k = NULL;
	rc = tk_sshkey_from_blob(&k, data, size);
	check_rc(rc, k);
	if (rc == 0) {
		/* The blob is kept as given: only the canonical form passes. */
		blob = tk_sshkey_blob(k, &len);
		FUZZ_CHECK(len == size && memcmp(blob, data, size) == 0);
	}
	tk_sshkey_free(k);
	free(line);
	return 0;
}
