/*
 * Private to lib/audit: building evidence documents (twokey/evidence.h).
 * Every function returns 0 or TK_ENOMEM; text is copied.
 */
#ifndef TK_AUDIT_DOC_H
#define TK_AUDIT_DOC_H

#include "internal.h"
#include "twokey/evidence.h"

int tk_doc_head(struct tk_doc *d, const char *key, const char *fmt, ...)
    TK_PRINTF(3, 4);
/* Adds a table; *t is valid until the next tk_doc_table(). */
int tk_doc_table(struct tk_doc *d, const char *name, const char *title,
    const char *const *cols, size_t ncols);
/* Adds an empty row to table i of d; its index in *row. */
int tk_doc_row(struct tk_doc *d, size_t i, size_t *row);
/* Sets a cell (NULL: empty). */
int tk_doc_cell(
    struct tk_doc *d, size_t i, size_t row, size_t col, const char *s);
int tk_doc_cellf(struct tk_doc *d, size_t i, size_t row, size_t col,
    const char *fmt, ...) TK_PRINTF(5, 6);

/* The header lines every audit document starts with. */
int tk_doc_sources(struct tk_doc *d, struct tk_audit_reader *r);
int tk_doc_chain(struct tk_doc *d, struct tk_audit_reader *r);
int tk_doc_filters(
    struct tk_doc *d, const struct tk_audit_filter *f, int64_t now);

/*
 * Emergencies and their ratification across records (ratified.c): an
 * emergency push's rows are tracked (table i, rows first..last, column
 * col), a later record's "ratified" fills them in ("ratified by bob at
 * TIME (after 2h 5m)"), and at the end the rest say pending or overdue
 * as of now.
 */
struct tk_ratify_track {
	struct tk_track_item *v;
	size_t n, cap;
	size_t table, col;
};

int tk_track_emergency(struct tk_ratify_track *t,
    const struct tk_audit_record *rec, const char *ref, size_t first,
    size_t last);
int tk_track_ratified(struct tk_ratify_track *t, struct tk_doc *d,
    const struct tk_audit_record *rec);
int tk_track_finish(struct tk_ratify_track *t, struct tk_doc *d, int64_t now);
void tk_track_release(struct tk_ratify_track *t);

#endif
