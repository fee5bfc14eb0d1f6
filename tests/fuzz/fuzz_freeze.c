/*
 * The freeze file (tk_freeze_parse): the hooks read it on every push and
 * an unreadable or mangled one must fail closed, never half-parse.
 * Whatever parses holds what the engine relies on (names, reasons and
 * "by" within their bounds, a compiled pattern, from before until, at
 * most TK_FREEZE_MAX_ADHOC entries, names unique), and formats back to
 * exactly the bytes it came from: one spelling per freeze list, so an
 * edit by hand cannot mean something the writer never wrote.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/freeze.h"

static void
check_list(const struct tk_freeze_list *l)
{
	size_t i, k;

	FUZZ_CHECK(l->n <= TK_FREEZE_MAX_ADHOC);
	for (i = 0; i < l->n; i++) {
		const struct tk_freeze *f = &l->items[i];

		FUZZ_CHECK(f->name != NULL &&
		    tk_freeze_name_ok(f->name, strlen(f->name)));
		FUZZ_CHECK(f->reason != NULL &&
		    tk_freeze_reason_ok(f->reason, strlen(f->reason)));
		FUZZ_CHECK(f->by != NULL && tk_freeze_by_ok(f->by));
		FUZZ_CHECK(f->refs != NULL && f->refs_src != NULL &&
		    strlen(f->refs_src) <= TK_FREEZE_MAX_REFS);
		FUZZ_CHECK(f->adhoc && f->from < f->until);
		for (k = 0; k < i; k++)
			FUZZ_CHECK(strcmp(l->items[k].name, f->name) != 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_buf out = TK_BUF_INIT(TK_FREEZE_FILE_MAX);
	struct tk_freeze_list l;

	if (tk_freeze_parse(&l, (const char *)data, size) == 0) {
		check_list(&l);
		FUZZ_CHECK(tk_freeze_format(&out, &l) == 0);
		FUZZ_CHECK(out.len == size && memcmp(out.ptr, data, size) == 0);
	}
	tk_freeze_list_release(&l);
	tk_buf_release(&out);
	return 0;
}
