/*
 * Path globs (twokey/glob.h): the input is "GLOB\0PATH".  The glob is
 * compiled as the policy loader does; when it compiles, the path is
 * matched, twice (the matcher keeps no state), and small pairs are
 * compared with an independent reading of the syntax translated to PCRE2
 * (tests/unit/glob_ref.h).
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/glob.h"

#include "../unit/glob_ref.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nul;
	struct tk_glob *g = NULL;
	size_t glen, plen;
	int rc, a, b;

	nul = memchr(in, '\0', size);
	glen = nul != NULL ? (size_t)(nul - in) : size;
	plen = nul != NULL ? size - glen - 1 : 0;
	rc = tk_glob_compile(&g, in, glen);
	if (rc != 0) {
		FUZZ_CHECK(g == NULL);
		FUZZ_CHECK(rc == TK_EINVAL || rc == TK_ETOOBIG);
		FUZZ_CHECK(rc != TK_ETOOBIG || glen > TK_GLOB_MAX_LEN);
		return 0;
	}
	FUZZ_CHECK(glen > 0 && glen <= TK_GLOB_MAX_LEN);
	FUZZ_CHECK(strlen(tk_glob_source(g)) == glen);
	a = tk_glob_match(g, nul ? nul + 1 : "", plen);
	FUZZ_CHECK(a == 0 || a == 1 || a == TK_ETOOBIG);
	FUZZ_CHECK(tk_glob_match(g, nul ? nul + 1 : "", plen) == a);
	if (glen <= 64 && plen <= 256 && a >= 0) {
		b = ref_match(in, glen, nul ? nul + 1 : "", plen);
		FUZZ_CHECK(b < 0 || a == b);
	}
	tk_glob_free(g);
	return 0;
}
