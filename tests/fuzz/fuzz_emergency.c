/*
 * The emergency state's text form (tk_emergency_state_parse): whatever
 * parses must format back to exactly the same bytes (one spelling per
 * state, so no two texts mean the same state), and every entry must hold
 * what the hooks rely on: numbered in order below next, a reason and a
 * ref, ratified exactly when it names its ratifiers, commit ids in hex.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/emergency.h"

static void
check_state(const struct tk_emergency_state *st)
{
	size_t i, k;

	FUZZ_CHECK(st->n <= TK_EMERGENCY_MAX_ENTRIES);
	for (i = 0; i < st->n; i++) {
		const struct tk_emergency_entry *e = &st->items[i];

		FUZZ_CHECK(e->seq > 0 && e->seq < st->next);
		FUZZ_CHECK(i == 0 || e->seq > st->items[i - 1].seq);
		FUZZ_CHECK(e->reason != NULL && e->ref != NULL);
		FUZZ_CHECK((e->ratified != 0) == (e->ratifiers != NULL));
		FUZZ_CHECK(
		    e->waived != 0 && e->ncommits <= TK_EMERGENCY_MAX_COMMITS);
		for (k = 0; k < e->ncommits; k++)
			FUZZ_CHECK(strlen(e->commits[k].id) == 40 ||
			    strlen(e->commits[k].id) == 64);
	}
}

/* A version 1 state written as version 2 reads back to the same text. */
static void
check_upgrade(const struct tk_buf *out)
{
	struct tk_buf again = TK_BUF_INIT(TK_EMERGENCY_MAX_STATE);
	struct tk_emergency_state st;

	FUZZ_CHECK(tk_emergency_state_parse(&st, out->ptr, out->len) == 0);
	check_state(&st);
	FUZZ_CHECK(tk_emergency_state_format(&again, &st) == 0);
	FUZZ_CHECK(again.len == out->len &&
	    memcmp(again.ptr, out->ptr, out->len) == 0);
	tk_emergency_state_release(&st);
	tk_buf_release(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_buf out = TK_BUF_INIT(TK_EMERGENCY_MAX_STATE);
	struct tk_emergency_state st;

	if (tk_emergency_state_parse(&st, (const char *)data, size) == 0 &&
	    size > 0) {
		check_state(&st);
		FUZZ_CHECK(tk_emergency_state_format(&out, &st) == 0);
		if (size > 19 && memcmp(data, "twokey-emergencies 1", 20) == 0)
			check_upgrade(&out); /* version 1 is written as 2 */
		else
			FUZZ_CHECK(out.len == size &&
			    memcmp(out.ptr, data, size) == 0);
	}
	tk_emergency_state_release(&st);
	tk_buf_release(&out);
	return 0;
}
