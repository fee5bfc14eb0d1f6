/*
 * Printing a report for the pusher: one finding a line, as git relays hook
 * output as "remote:" lines.  Every text in a report was sanitized when it
 * was stored; ref names were checked for control characters on input.
 */
#include "engine.h"

static const char *
sev_word(enum tk_severity s)
{
	switch (s) {
	case TK_SEV_DENY:
		return "error";
	case TK_SEV_WARN:
		return "warning";
	default:
		return "note";
	}
}

/* Ref names can hold bytes a terminal acts on (C1 controls). */
static void
print_ref(FILE *f, const char *ref)
{
	struct tk_buf b = TK_BUF_INIT(4 * TK_REF_MAX_LEN + 8);

	(void)tk_sanitize(&b, ref, strlen(ref), TK_REF_MAX_LEN);
	fputs(b.ptr ? b.ptr : "", f);
	tk_buf_release(&b);
}

static int
print_finding(FILE *f, const struct tk_report *r, const struct tk_updates *u,
    const struct tk_finding *fi, const char *prefix)
{
	const struct tk_verdict *v = &r->verdicts[fi->update];

	fprintf(f, "%s%s: ", prefix, sev_word(fi->sev));
	print_ref(f, u->items[fi->update].ref);
	fputs(": ", f);
	if (fi->commit[0] != '\0' && fi->subject != NULL)
		fprintf(f, "%.7s \"%s\": ", fi->commit, fi->subject);
	else if (fi->commit[0] != '\0')
		fprintf(f, "%.7s: ", fi->commit);
	fprintf(f, "%s", fi->what);
	if (v->rule != NULL)
		fprintf(f, " [rule '%s']", v->rule->name);
	if (fi->hint != NULL)
		fprintf(f, "; next: %s", fi->hint);
	fputc('\n', f);
	return ferror(f) ? TK_EIO : 0;
}

/* " (N approvals added)" after an accepted update of the notes ref. */
static void
print_notes_added(FILE *f, const struct tk_report *r, size_t update)
{
	size_t k, n = 0;

	for (k = 0; k < r->nnotes; k++)
		n += r->notes[k].update == update;
	fprintf(f, " (%zu approval%s added)", n, n == 1 ? "" : "s");
}

int
tk_report_print_findings(FILE *f, const struct tk_report *r,
    const struct tk_updates *u, const char *prefix)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		if (print_finding(f, r, u, &r->findings[i], prefix) < 0)
			return tk_error_set(TK_EIO, "cannot write the report");
	return 0;
}

int
tk_report_print(FILE *f, const struct tk_report *r, const struct tk_updates *u,
    const char *prefix)
{
	size_t i, k, n;

	if (tk_report_print_findings(f, r, u, prefix) < 0)
		return TK_EIO;
	for (i = 0; i < r->nverdicts; i++) {
		const struct tk_verdict *v = &r->verdicts[i];

		if (v->rule == NULL && v->decision == TK_ACCEPT && !v->guarded)
			continue;
		for (k = 0, n = 0; k < r->nfindings; k++)
			n += r->findings[k].update == i &&
			    r->findings[k].sev != TK_SEV_NOTE;
		fprintf(f, "%s%s ", prefix,
		    v->decision == TK_REFUSE ? "refused" : "accepted");
		print_ref(f, u->items[i].ref);
		if (u->items[i].target != NULL) {
			fputs(" (symbolic ref to ", f);
			print_ref(f, u->items[i].target);
			fputc(')', f);
		}
		if (v->rule != NULL)
			fprintf(f, " under rule '%s'", v->rule->name);
		if (v->decision == TK_REFUSE)
			fprintf(f, " (%zu problem%s)", n, n == 1 ? "" : "s");
		else if (v->guarded)
			print_notes_added(f, r, i);
		if (v->decision != TK_REFUSE && v->warned)
			fprintf(f,
			    " in warn mode (%zu problem%s reported, "
			    "not enforced)",
			    n, n == 1 ? "" : "s");
		fputc('\n', f);
	}
	if (r->refused)
		fprintf(f,
		    "%spush refused: fix the problems above and push "
		    "again\n",
		    prefix);
	fflush(f);
	return ferror(f) ? tk_error_set(TK_EIO, "cannot write the report") : 0;
}

int
tk_report_print_dry_run(FILE *f, const struct tk_report *r,
    const struct tk_updates *u, const char *prefix)
{
	size_t i, k, n;

	if (tk_report_print_findings(f, r, u, prefix) < 0)
		return TK_EIO;
	for (i = 0; i < r->nverdicts; i++) {
		const struct tk_verdict *v = &r->verdicts[i];

		for (k = 0, n = 0; k < r->nfindings; k++)
			n += r->findings[k].update == i &&
			    r->findings[k].sev != TK_SEV_NOTE;
		fprintf(f, "%sdry run: ", prefix);
		print_ref(f, u->items[i].ref);
		fprintf(f, " would be %s",
		    v->decision == TK_REFUSE ? "refused" : "accepted");
		if (v->rule != NULL)
			fprintf(f, " under rule '%s'", v->rule->name);
		else if (!v->guarded)
			fputs(" (no rule matches it)", f);
		if (n > 0)
			fprintf(f, " (%zu problem%s%s)", n, n == 1 ? "" : "s",
			    v->decision == TK_REFUSE ? "" : ", warn mode");
		fputc('\n', f);
	}
	fprintf(f, "%sdry run (-o twokey.dry-run): nothing was changed; %s\n",
	    prefix,
	    r->refused ? "fix the problems above, then push again"
	               : "push again without the option to land it");
	fflush(f);
	return ferror(f) ? tk_error_set(TK_EIO, "cannot write the report") : 0;
}
