/*
 * Change freezes in the decision (docs/spec.md, "Change freezes").
 *
 * A freeze's own refs pattern decides which refs it covers, whether a rule
 * matches them or not; the notes ref is never frozen (check.c does not
 * call this for it) since approvals change no ref's content and an
 * emergency must stay ratifiable during a freeze.  An ad hoc freeze store
 * that could not be read covers every ref: which refs its freezes name is
 * unknown, so refusing all is the only closed failure.
 */
#include "frozen.h"
#include "refnames.h"
#include "twokey/freeze.h"
#include "twokey/pattern.h"

/* "until 2026-12-03T00:00:00Z", or "until it is stopped". */
static void
end_text(char *out, size_t size, const struct tk_freeze *f)
{
	char t[21];

	if (f->until == TK_FREEZE_OPEN) {
		snprintf(out, size, "until it is stopped");
		return;
	}
	tk_freeze_time_format(t, f->until);
	snprintf(out, size, "until %s", t);
}

static int
one(struct tk_check *c, const struct tk_freeze *f, const char *ref)
{
	char end[64];
	int m;

	if (!tk_freeze_active(f, c->now))
		return 0;
	/* on a repository that ignores case, every spelling git writes */
	if ((m = tk_pattern_match(f->refs, ref, strlen(ref))) == 0)
		m = tk_check_spelling_match(c, f->refs, ref);
	if (m == TK_ENOMEM)
		return m;
	if (m < 0)
		return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
		    "an admin must fix the freeze's refs pattern",
		    "freeze '%s': cannot tell whether it covers this ref",
		    f->name);
	if (m == 0)
		return 0;
	end_text(end, sizeof(end), f);
	if (c->waived & TK_WAIVE_FREEZE)
		return tk_check_add(c, TK_SEV_NOTE, NULL, NULL, 0, NULL,
		    "%s freeze '%s' (%s: %s) waived by the emergency",
		    f->adhoc ? "ad hoc" : "planned", f->name, end, f->reason);
	return tk_check_add(c, TK_SEV_DENY, NULL, NULL, 0,
	    "wait until the freeze ends, or ask whoever announced it",
	    "this ref is frozen: freeze '%s', %s: %s", f->name, end, f->reason);
}

int
tk_check_frozen(struct tk_check *c, const struct tk_update *up)
{
	const char *ref = TK_UPDATE_NAME(up);
	const struct tk_freeze_state *st = c->adhoc;
	size_t i;
	int rc;

	for (i = 0; i < c->p->nfreezes; i++)
		if ((rc = one(c, &c->p->freezes[i], ref)) < 0)
			return rc;
	if (st == NULL)
		return 0;
	if (st->status < 0)
		return tk_check_add(c,
		    c->waived & TK_WAIVE_FREEZE ? TK_SEV_NOTE : TK_SEV_DENY,
		    NULL, NULL, 0,
		    c->waived & TK_WAIVE_FREEZE
		        ? NULL
		        : "an admin must repair it ('twokey freeze status' "
		          "says what is wrong)",
		    "the server's ad hoc freeze state cannot be read, so no "
		    "ref can be updated (fail closed)%s",
		    c->waived & TK_WAIVE_FREEZE ? "; waived by the emergency"
		                                : "");
	for (i = 0; i < st->list.n; i++)
		if ((rc = one(c, &st->list.items[i], ref)) < 0)
			return rc;
	return 0;
}
