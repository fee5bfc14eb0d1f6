/*
 * Approved-by trailers (tk_trailer_parse_approvals), the canonical message
 * and the approval payload, on a commit message from the pusher.  The
 * payload is built for a synthetic commit around the input, as the
 * verifier and "twokey approve" both build it.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/commit.h"
#include "twokey/sshsig.h"
#include "twokey/trailer.h"

#define TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
#define AUTHOR "A U Thor <author@example.com> 1700000000 +0000"
#define HEAD                                                                   \
	"twokey-approval v1\n"                                                 \
	"tree " TREE "\n"                                                      \
	"parent 1111111111111111111111111111111111111111\n"                    \
	"parent 2222222222222222222222222222222222222222\n"                    \
	"author " AUTHOR "\n"                                                  \
	"\n"

static bool
is_blank_line(const char *p, const char *e)
{
	for (; p < e; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return false;
	return true;
}

static void
check_approvals(const struct tk_approval_list *l, size_t size)
{
	const struct tk_approval_trailer *t;
	struct tk_sshsig *sig = NULL;
	size_t i;

	FUZZ_CHECK(l->count <= TK_TRAILER_MAX_APPROVALS);
	for (i = 0; i < l->count; i++) {
		t = &l->items[i];
		FUZZ_CHECK(t->name != NULL && t->email != NULL);
		FUZZ_CHECK(t->text != NULL && strlen(t->text) <= size);
		FUZZ_CHECK(t->line >= 1 && t->line <= size + 1);
		FUZZ_CHECK(i == 0 || t->line > l->items[i - 1].line);
		FUZZ_CHECK((t->problem == TK_TRAILER_OK) == (t->sig != NULL));
		if (t->problem != TK_TRAILER_OK)
			continue;
		FUZZ_CHECK(t->sig_len > 0 && t->sig_len <= TK_SSHSIG_MAX_BLOB);
		FUZZ_CHECK(t->email[0] != '\0');
		/* What the approvals check does next, short of verifying. */
		if (tk_sshsig_parse_blob(&sig, t->sig, t->sig_len) == 0)
			FUZZ_CHECK(sig != NULL);
		tk_sshsig_free(sig);
		sig = NULL;
	}
}

/* "...\n", the last line not blank, or exactly "\n". */
static void
check_canonical(const struct tk_buf *b, size_t base, size_t size)
{
	const char *s = b->ptr + base, *e = b->ptr + b->len, *last;

	FUZZ_CHECK(b->ptr != NULL && b->len > base);
	FUZZ_CHECK(b->len - base <= size + 1);
	FUZZ_CHECK(e[-1] == '\n');
	if (e - s == 1)
		return;
	FUZZ_CHECK(e[-2] != '\n');
	for (last = e - 1; last > s && last[-1] != '\n'; last--)
		;
	FUZZ_CHECK(!is_blank_line(last, e - 1));
}

static void
check_payload(const char *msg, size_t size)
{
	static char parents[2][65] = {
	    "1111111111111111111111111111111111111111",
	    "2222222222222222222222222222222222222222"};
	struct tk_buf canon = TK_BUF_INIT(2 * size + 64);
	struct tk_buf pay = TK_BUF_INIT(2 * size + 1024);
	struct tk_commit c;
	size_t hlen = strlen(HEAD);

	memset(&c, 0, sizeof(c));
	memcpy(c.tree, TREE, sizeof(TREE));
	c.parents = parents;
	c.nparents = 2;
	c.author.raw = AUTHOR;
	c.author.raw_len = strlen(AUTHOR);
	c.message = msg;
	c.message_len = size;
	FUZZ_CHECK(tk_trailer_canonical_message(&canon, msg, size) == 0);
	check_canonical(&canon, 0, size);
	/* Appends: what was in the buffer stays. */
	FUZZ_CHECK(tk_buf_puts(&pay, "x") == 0);
	FUZZ_CHECK(tk_trailer_approval_payload(&pay, &c) == 0);
	FUZZ_CHECK(pay.len == 1 + hlen + canon.len);
	FUZZ_CHECK(memcmp(pay.ptr + 1, HEAD, hlen) == 0);
	FUZZ_CHECK(memcmp(pay.ptr + 1 + hlen, canon.ptr, canon.len) == 0);
	tk_buf_release(&canon);
	tk_buf_release(&pay);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct tk_approval_list *l = NULL;
	int rc;

	rc = tk_trailer_parse_approvals(&l, msg, size);
	if (rc == 0) {
		FUZZ_CHECK(l != NULL);
		check_approvals(l, size);
	} else
		FUZZ_CHECK(l == NULL && (rc == TK_ETOOBIG || rc == TK_ENOMEM));
	tk_approval_list_free(l);
	check_payload(msg, size);
	return 0;
}
