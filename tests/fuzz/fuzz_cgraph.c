/*
 * git's commit-graph file (twokey/cgraph.h): the input is the file with
 * its last 20 bytes replaced by the SHA-1 of the rest, so that every input
 * passes the checksum and reaches the layout checks.  When it parses,
 * every position is read (id, tree, first parent, generation), every id
 * is found again at its own position, and a first parent is either none
 * or inside the graph.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/cgraph.h"
#include "twokey/digest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_cgraph *g = NULL;
	unsigned char *buf;
	uint32_t i, n, pos, p;
	git_oid id;
	int rc;

	if (size < 20 || (buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (tk_sha1(buf + size - 20, buf, size - 20) < 0)
		abort();
	rc = tk_cgraph_parse(&g, buf, size);
	if (rc != 0) {
		FUZZ_CHECK(g == NULL);
		FUZZ_CHECK(rc == TK_EINVAL || rc == TK_ETOOBIG);
		free(buf);
		return 0;
	}
	n = tk_cgraph_count(g);
	FUZZ_CHECK((size_t)n * 56 < size);
	for (i = 0; i < n; i++) {
		memcpy(id.id, tk_cgraph_oid(g, i), 20);
		(void)tk_cgraph_tree(g, i);
		if (tk_cgraph_find(g, &id, &pos))
			FUZZ_CHECK(
			    memcmp(tk_cgraph_oid(g, pos), id.id, 20) == 0);
		rc = tk_cgraph_first_parent(g, i, &p);
		FUZZ_CHECK(rc == TK_EINVAL ||
		    (rc == 0 && (p == TK_CGRAPH_NONE || p < n)));
		(void)tk_cgraph_generation(g, i);
	}
	tk_cgraph_free(g);
	free(buf);
	return 0;
}
