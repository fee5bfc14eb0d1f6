/*
 * Emergencies and their ratification, followed through the log for the
 * evidence report and statistics (doc.h).  The record of an emergency
 * push carries "emergency"; the record of the push that found it
 * ratified carries "ratified", naming the emergency by the time of its
 * push and its ref (docs/spec.md, "Emergency changes").
 */
#include "doc.h"

struct tk_track_item {
	char *repo, *ref;
	int64_t time, by;
	size_t first, last;
	bool done;
};

int
tk_track_emergency(struct tk_ratify_track *t, const struct tk_audit_record *rec,
    const char *ref, size_t first, size_t last)
{
	struct tk_track_item *x;

	if (!rec->emergency.present || ref == NULL || last < first)
		return 0;
	if (tk_grow(&t->v, &t->cap, t->n + 1, sizeof(*t->v)) < 0)
		return TK_ENOMEM;
	x = &t->v[t->n];
	memset(x, 0, sizeof(*x));
	if ((x->repo = tk_strdup(rec->repo ? rec->repo : "")) == NULL ||
	    (x->ref = tk_strdup(ref)) == NULL) {
		free(x->repo);
		return TK_ENOMEM;
	}
	x->time = rec->when;
	x->by = rec->emergency.ratify_by_t;
	x->first = first;
	x->last = last;
	t->n++;
	return 0;
}

/* "2h 5m", "3d 1h", "40s". */
static void
delay(char *out, size_t size, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, size, "%llds", (long long)s);
	else if (s < 86400)
		snprintf(out, size, "%lldh %lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(out, size, "%lldd %lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
}

static int
fill(struct tk_ratify_track *t, struct tk_doc *d, struct tk_track_item *x,
    const char *text)
{
	size_t r;
	int rc = 0;

	for (r = x->first; r <= x->last && rc == 0; r++)
		rc = tk_doc_cell(d, t->table, r, t->col, text);
	x->done = true;
	return rc;
}

int
tk_track_ratified(struct tk_ratify_track *t, struct tk_doc *d,
    const struct tk_audit_record *rec)
{
	struct tk_buf b = TK_BUF_INIT(1 << 16);
	char late[64];
	size_t i, k;
	int rc = 0;

	for (i = 0; i < rec->nratified && rc == 0; i++) {
		const struct tk_audit_ratified *a = &rec->ratified[i];

		for (k = 0; k < t->n && rc == 0; k++) {
			struct tk_track_item *x = &t->v[k];

			if (x->done || a->ref == NULL ||
			    strcmp(x->ref, a->ref) != 0 ||
			    x->time != a->emergency_t ||
			    strcmp(x->repo, rec->repo ? rec->repo : "") != 0)
				continue;
			delay(late, sizeof(late), rec->when - x->time);
			tk_buf_reset(&b);
			(void)tk_buf_printf(&b,
			    "ratified by %s at %s (after %s)",
			    a->by ? a->by : "?", rec->time ? rec->time : "?",
			    late);
			rc = b.err ? b.err : fill(t, d, x, b.ptr);
		}
	}
	tk_buf_release(&b);
	return rc;
}

int
tk_track_finish(struct tk_ratify_track *t, struct tk_doc *d, int64_t now)
{
	char by[32], text[96];
	size_t k;
	int rc = 0;

	for (k = 0; k < t->n && rc == 0; k++) {
		struct tk_track_item *x = &t->v[k];

		if (x->done)
			continue;
		tk_audit_time_str(by, sizeof(by), x->by);
		snprintf(text, sizeof(text),
		    x->by != 0 && now > x->by ? "overdue since %s"
		                              : "pending (ratify by %s)",
		    by);
		rc = fill(t, d, x, text);
	}
	return rc;
}

void
tk_track_release(struct tk_ratify_track *t)
{
	size_t k;

	for (k = 0; k < t->n; k++) {
		free(t->v[k].repo);
		free(t->v[k].ref);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}
