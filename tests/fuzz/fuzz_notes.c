/*
 * The content of notes in refs/notes/twokey, as a pusher writes them:
 * tk_notes_parse on the whole input, and, when the input holds a NUL
 * byte, tk_notes_compare of the text before it (the note the server had)
 * with the text after it (the pushed note), which is what the guard of
 * the notes ref decides on.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/notes.h"
#include "twokey/trailer.h"

static bool
blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* s is one whole non-blank line of text[0..len). */
static bool
is_line_of(const struct tk_span *s, const char *text, size_t len)
{
	const char *e = s->p + s->len;

	return s->p >= text && e <= text + len && s->len > 0 &&
	    !blank(s->p, s->len) && memchr(s->p, '\n', s->len) == NULL &&
	    (s->p == text || s->p[-1] == '\n') &&
	    (e == text + len || *e == '\n');
}

static bool
has_line(const char *text, size_t len, const struct tk_span *s)
{
	const char *p = text, *end = text + len, *nl;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((size_t)(nl - p) == s->len && memcmp(p, s->p, s->len) == 0)
			return true;
	}
	return false;
}

static void
check_parse(const char *text, size_t size)
{
	struct tk_approval_list *l = NULL;
	size_t i;
	int rc = tk_notes_parse(&l, text, size);

	if (rc < 0) {
		FUZZ_CHECK(l == NULL && (rc == TK_ETOOBIG || rc == TK_ENOMEM));
		return;
	}
	FUZZ_CHECK(l != NULL && l->count <= TK_NOTE_MAX_LINES);
	for (i = 0; i < l->count; i++) {
		const struct tk_approval_trailer *t = &l->items[i];

		FUZZ_CHECK(t->name != NULL && t->email != NULL && t->text);
		FUZZ_CHECK(t->line >= 1 && t->line <= size + 1);
		FUZZ_CHECK(i == 0 || t->line > l->items[i - 1].line);
		FUZZ_CHECK((t->problem == TK_TRAILER_OK) == (t->sig != NULL));
		if (t->problem == TK_TRAILER_OK)
			FUZZ_CHECK(t->sig_len > 0 && t->email[0] != '\0');
	}
	tk_approval_list_free(l);
}

static void
check_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	struct tk_notes_delta d, r;
	size_t i;
	int rc;

	memset(&d, 0, sizeof(d));
	memset(&r, 0, sizeof(r));
	if ((rc = tk_notes_compare(&d, a, alen, b, blen)) < 0) {
		FUZZ_CHECK(rc == TK_ETOOBIG || rc == TK_ENOMEM);
		FUZZ_CHECK(d.added == NULL && d.removed == NULL);
		return;
	}
	for (i = 0; i < d.nadded; i++) {
		FUZZ_CHECK(is_line_of(&d.added[i], b, blen));
		FUZZ_CHECK(!has_line(a, alen, &d.added[i]));
	}
	for (i = 0; i < d.nremoved; i++) {
		FUZZ_CHECK(is_line_of(&d.removed[i], a, alen));
		FUZZ_CHECK(!has_line(b, blen, &d.removed[i]));
	}
	/* The other way round, what was added is what is removed. */
	FUZZ_CHECK(tk_notes_compare(&r, b, blen, a, alen) == 0);
	FUZZ_CHECK(r.nadded == d.nremoved && r.nremoved == d.nadded);
	tk_notes_delta_release(&r);
	/* A note compared with itself changes nothing. */
	FUZZ_CHECK(tk_notes_compare(&r, b, blen, b, blen) == 0);
	FUZZ_CHECK(r.nadded == 0 && r.nremoved == 0);
	tk_notes_delta_release(&r);
	tk_notes_delta_release(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);

	check_parse(text, size);
	if (nul != NULL)
		check_compare(text, (size_t)(nul - text), nul + 1,
		    size - (size_t)(nul - text) - 1);
	else
		check_compare(text, size, text, size);
	return 0;
}
