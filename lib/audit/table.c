/*
 * Rendering evidence documents: text, CSV, JSON and one self-contained
 * HTML page.  Every cell may hold attacker text (subjects, emails, ref
 * names, push options): text and CSV get it sanitized (no control
 * characters reach a terminal or a spreadsheet), JSON and HTML escaped.
 */
#include "internal.h"
#include "twokey/evidence.h"

#define CELL_MAX 65536

int
tk_format_parse(enum tk_format *out, const char *s, unsigned allowed)
{
	static const struct {
		const char *name;
		enum tk_format f;
	} names[] = {{"text", TK_FMT_TEXT}, {"csv", TK_FMT_CSV},
	    {"json", TK_FMT_JSON}, {"html", TK_FMT_HTML}};
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i].name) == 0 && (allowed & names[i].f)) {
			*out = names[i].f;
			return 0;
		}
	return tk_error_set(TK_EINVAL, "unknown format '%.64s' (%s%s%s%s)", s,
	    allowed & TK_FMT_TEXT ? "text" : "",
	    allowed & TK_FMT_CSV ? ", csv" : "",
	    allowed & TK_FMT_JSON ? ", json" : "",
	    allowed & TK_FMT_HTML ? ", html" : "");
}

static const char *
cell(const struct tk_table *t, size_t row, size_t col)
{
	const char *s = t->cells[row * t->ncols + col];

	return s != NULL ? s : "";
}

static void
safe(struct tk_buf *out, const char *s)
{
	(void)tk_sanitize(out, s, strlen(s), CELL_MAX);
}

static void
render_text(struct tk_buf *out, const struct tk_doc *d)
{
	size_t i, r, c, w = 0;

	(void)tk_buf_printf(out, "%s\n", d->title);
	for (i = 0; i < d->nhead; i++)
		if (strlen(d->head[i].key) > w)
			w = strlen(d->head[i].key);
	for (i = 0; i < d->nhead; i++) {
		(void)tk_buf_printf(out, "%-*s  ", (int)w + 1, d->head[i].key);
		safe(out, d->head[i].value ? d->head[i].value : "");
		(void)tk_buf_putc(out, '\n');
	}
	for (i = 0; i < d->ntables; i++) {
		const struct tk_table *t = &d->tables[i];

		(void)tk_buf_printf(out, "\n== %s (%zu)\n", t->title, t->nrows);
		for (r = 0; r < t->nrows; r++) {
			(void)tk_buf_putc(out, '\n');
			for (c = 0; c < t->ncols; c++) {
				(void)tk_buf_printf(
				    out, "  %-11s ", t->cols[c]);
				safe(out, *cell(t, r, c) ? cell(t, r, c) : "-");
				(void)tk_buf_putc(out, '\n');
			}
		}
	}
}

/*
 * A CSV cell: quoted; cells a spreadsheet would run as formulas are
 * defused with a leading quote; control characters and invalid UTF-8
 * become '?'.
 */
static void
csv_cell(struct tk_buf *out, const char *s, bool last)
{
	struct tk_buf b = TK_BUF_INIT(CELL_MAX + 16);
	const char *p;

	safe(&b, s);
	s = b.ptr ? b.ptr : "";
	(void)tk_buf_putc(out, '"');
	if (s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
		(void)tk_buf_putc(out, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			(void)tk_buf_putc(out, '"');
		(void)tk_buf_putc(out, *p);
	}
	(void)tk_buf_puts(out, last ? "\"\n" : "\",");
	tk_buf_release(&b);
}

/* The union of the tables' columns, in order of first appearance. */
static size_t
union_cols(const struct tk_doc *d, const char **cols, size_t max)
{
	size_t i, c, k, n = 0;

	for (i = 0; i < d->ntables; i++)
		for (c = 0; c < d->tables[i].ncols; c++) {
			for (k = 0; k < n &&
			     strcmp(cols[k], d->tables[i].cols[c]) != 0;
			     k++)
				;
			if (k == n && n < max)
				cols[n++] = d->tables[i].cols[c];
		}
	return n;
}

static void
render_csv(struct tk_buf *out, const struct tk_doc *d)
{
	const char *cols[64];
	size_t n = union_cols(d, cols, 64), i, r, c, k;

	csv_cell(out, "section", n == 0);
	for (k = 0; k < n; k++)
		csv_cell(out, cols[k], k + 1 == n);
	for (i = 0; i < d->ntables; i++) {
		const struct tk_table *t = &d->tables[i];

		for (r = 0; r < t->nrows; r++) {
			csv_cell(out, t->name, n == 0);
			for (k = 0; k < n; k++) {
				for (c = 0; c < t->ncols &&
				     strcmp(t->cols[c], cols[k]) != 0;
				     c++)
					;
				csv_cell(out, c < t->ncols ? cell(t, r, c) : "",
				    k + 1 == n);
			}
		}
	}
}

static void
jstr(struct tk_buf *out, const char *s)
{
	(void)tk_json_string(out, s ? s : "", s ? strlen(s) : 0);
}

static void
render_json(struct tk_buf *out, const struct tk_doc *d)
{
	size_t i, r, c;

	(void)tk_buf_puts(out, "{\"title\":");
	jstr(out, d->title);
	(void)tk_buf_puts(out, ",\"header\":{");
	for (i = 0; i < d->nhead; i++) {
		(void)tk_buf_puts(out, i ? ",\n" : "\n");
		jstr(out, d->head[i].key);
		(void)tk_buf_putc(out, ':');
		jstr(out, d->head[i].value);
	}
	(void)tk_buf_puts(out, "}");
	for (i = 0; i < d->ntables; i++) {
		const struct tk_table *t = &d->tables[i];

		(void)tk_buf_puts(out, ",\n");
		jstr(out, t->name);
		(void)tk_buf_puts(out, ":[");
		for (r = 0; r < t->nrows; r++) {
			(void)tk_buf_puts(out, r ? ",\n{" : "\n{");
			for (c = 0; c < t->ncols; c++) {
				(void)tk_buf_puts(out, c ? "," : "");
				jstr(out, t->cols[c]);
				(void)tk_buf_putc(out, ':');
				jstr(out, cell(t, r, c));
			}
			(void)tk_buf_putc(out, '}');
		}
		(void)tk_buf_puts(out, "]");
	}
	(void)tk_buf_puts(out, "}\n");
}

/* HTML text: & < > " ' escaped; control characters and bad UTF-8 '?'. */
static void
html(struct tk_buf *out, const char *s)
{
	struct tk_buf b = TK_BUF_INIT(CELL_MAX + 16);
	const char *p;

	safe(&b, s ? s : "");
	for (p = b.ptr ? b.ptr : ""; *p != '\0'; p++)
		switch (*p) {
		case '&':
			(void)tk_buf_puts(out, "&amp;");
			break;
		case '<':
			(void)tk_buf_puts(out, "&lt;");
			break;
		case '>':
			(void)tk_buf_puts(out, "&gt;");
			break;
		case '"':
			(void)tk_buf_puts(out, "&quot;");
			break;
		case '\'':
			(void)tk_buf_puts(out, "&#39;");
			break;
		default:
			(void)tk_buf_putc(out, *p);
		}
	tk_buf_release(&b);
}

static const char css[] =
    "body{font-family:sans-serif;margin:2em;color:#111}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}"
    "dt{font-weight:bold}dd{margin:0}"
    "table{border-collapse:collapse;font-size:.85em}"
    "th,td{border:1px solid #999;padding:.2em .4em;vertical-align:top;"
    "text-align:left}th{background:#eee}"
    "td.id{font-family:monospace;word-break:break-all}"
    "@media print{body{margin:0}}";

static void
html_table(struct tk_buf *out, const struct tk_table *t)
{
	size_t r, c;

	(void)tk_buf_puts(out, "<h2>");
	html(out, t->title);
	(void)tk_buf_printf(out, " (%zu)</h2>\n<table id=\"", t->nrows);
	html(out, t->name);
	(void)tk_buf_puts(out, "\">\n<thead><tr>");
	for (c = 0; c < t->ncols; c++) {
		(void)tk_buf_puts(out, "<th>");
		html(out, t->cols[c]);
		(void)tk_buf_puts(out, "</th>");
	}
	(void)tk_buf_puts(out, "</tr></thead>\n<tbody>\n");
	for (r = 0; r < t->nrows; r++) {
		(void)tk_buf_puts(out, "<tr>");
		for (c = 0; c < t->ncols; c++) {
			(void)tk_buf_puts(out, "<td>");
			html(out, cell(t, r, c));
			(void)tk_buf_puts(out, "</td>");
		}
		(void)tk_buf_puts(out, "</tr>\n");
	}
	(void)tk_buf_puts(out, "</tbody>\n</table>\n");
}

static void
render_html(struct tk_buf *out, const struct tk_doc *d)
{
	size_t i;

	(void)tk_buf_puts(out,
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	    "charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" "
	    "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<title>");
	html(out, d->title);
	(void)tk_buf_printf(out,
	    "</title>\n<style>%s</style>\n</head>\n<body>\n"
	    "<h1>",
	    css);
	html(out, d->title);
	(void)tk_buf_puts(out, "</h1>\n<dl id=\"header\">\n");
	for (i = 0; i < d->nhead; i++) {
		(void)tk_buf_puts(out, "<dt>");
		html(out, d->head[i].key);
		(void)tk_buf_puts(out, "</dt><dd>");
		html(out, d->head[i].value);
		(void)tk_buf_puts(out, "</dd>\n");
	}
	(void)tk_buf_puts(out, "</dl>\n");
	for (i = 0; i < d->ntables; i++)
		html_table(out, &d->tables[i]);
	(void)tk_buf_puts(out, "</body>\n</html>\n");
}

int
tk_doc_render(struct tk_buf *out, const struct tk_doc *doc, enum tk_format fmt)
{
	if (fmt == TK_FMT_CSV)
		render_csv(out, doc);
	else if (fmt == TK_FMT_JSON)
		render_json(out, doc);
	else if (fmt == TK_FMT_HTML)
		render_html(out, doc);
	else
		render_text(out, doc);
	return out->err;
}

void
tk_doc_release(struct tk_doc *doc)
{
	size_t i, k;

	for (i = 0; i < doc->nhead; i++)
		free(doc->head[i].value);
	free(doc->head);
	for (i = 0; i < doc->ntables; i++) {
		struct tk_table *t = &doc->tables[i];

		for (k = 0; k < t->nrows * t->ncols; k++)
			free(t->cells[k]);
		free(t->cells);
	}
	free(doc->tables);
	memset(doc, 0, sizeof(*doc));
}
