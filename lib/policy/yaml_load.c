/*
 * YAML events to a bounded tree.  The only file that includes libyaml.
 *
 * libyaml 0.2.5 expands nothing by itself but has no nesting limit and
 * accepts duplicate keys; a naive walk of aliases explodes (billion laughs)
 * or loops (an anchor referring to itself).  So: the event API, an explicit
 * stack with a depth bound, and refusal of every feature a role map does
 * not need.
 */
#include <yaml.h>

#include "internal.h"
#include "twokey/policy.h"
#include "ynode.h"

struct loader {
	const char *name;
	const char *data; /* the whole text, for messages */
	size_t len;
	struct tk_buf *errors;
	struct ynode *stack[TK_POLICY_MAX_DEPTH + 1];
	size_t depth;
	struct ynode *root;
	int docs;
};

/*
 * Records "name:line:col: msg" or "name:line:col: msg 'arg'"; arg is
 * policy text, so it is sanitized.
 */
static int
fail(struct loader *l, yaml_mark_t m, const char *msg, const char *arg)
{
	(void)tk_buf_printf(l->errors, "%s:%zu:%zu: %s", l->name, m.line + 1,
	    m.column + 1, msg);
	if (arg != NULL) {
		(void)tk_buf_puts(l->errors, " '");
		(void)tk_sanitize(l->errors, arg, strlen(arg), 200);
		(void)tk_buf_putc(l->errors, '\'');
	}
	(void)tk_buf_putc(l->errors, '\n');
	return TK_ECONFIG;
}

void
tk_ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		tk_ynode_free(n->items[i]); /* depth is bounded by the loader */
	free(n->items);
	free(n->str);
	tk_map_free(n->keyset);
	free(n);
}

static struct ynode *
node_new(enum ynode_type t, yaml_mark_t m)
{
	struct ynode *n;

	if ((n = tk_calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->type = t;
	n->line = (unsigned)m.line + 1;
	n->col = (unsigned)m.column + 1;
	return n;
}

/* Keys are checked for duplicates as they arrive: linear while small. */
static int
check_key(struct loader *l, struct ynode *map, struct ynode *key)
{
	size_t i;
	int r;
	yaml_mark_t m = {0, key->line - 1, key->col - 1};

	if (map->keyset == NULL && map->n / 2 >= 16) {
		if (tk_map_new(&map->keyset) < 0)
			return TK_ENOMEM;
		for (i = 0; i < map->n; i += 2)
			(void)tk_map_put(map->keyset, map->items[i]->str,
			    map->items[i]->len, map->items[i], NULL);
	}
	if (map->keyset != NULL) {
		r = tk_map_put(map->keyset, key->str, key->len, key, NULL);
		return r == TK_ERROR ? fail(l, m, "duplicate key", key->str)
		                     : r;
	}
	for (i = 0; i < map->n; i += 2)
		if (map->items[i]->len == key->len &&
		    memcmp(map->items[i]->str, key->str, key->len) == 0)
			return fail(l, m, "duplicate key", key->str);
	return 0;
}

/* Hands a finished node to the collection on top of the stack. */
static int
attach(struct loader *l, struct ynode *n, yaml_mark_t m)
{
	struct ynode *top;
	int rc;

	if (l->depth == 0) {
		l->root = n;
		return 0;
	}
	top = l->stack[l->depth - 1];
	if (top->type == YN_MAP && top->n % 2 == 0) {
		if (n->type != YN_SCALAR) {
			tk_ynode_free(n);
			return fail(l, m, "keys must be plain strings", NULL);
		}
		if ((rc = check_key(l, top, n)) < 0) {
			tk_ynode_free(n);
			return rc;
		}
	}
	if ((rc = tk_grow(&top->items, &top->cap, top->n + 1,
	         sizeof(*top->items))) < 0) {
		tk_ynode_free(n);
		return rc;
	}
	top->items[top->n++] = n;
	return 0;
}

/*
 * Where the first line break of a scalar's value comes from: in a block
 * ('|', '>'), the end of content line k; in a quoted or plain scalar, an
 * escape or an empty line inside it.  The scalar's start otherwise.
 */
static yaml_mark_t
break_mark(struct loader *l, const yaml_event_t *ev, size_t off)
{
	const char *v = (const char *)ev->data.scalar.value, *d = l->data;
	yaml_mark_t m = ev->start_mark;
	size_t i, k = 0, s, e;

	if (ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
	    ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE) {
		for (i = 0; i < off; i++)
			k += v[i] == '\n';
		m.line += 1 + k;
		s = tk_yaml_offset(d, l->len, (unsigned)m.line + 1, 1);
		for (m.column = 0; s < l->len && d[s] != '\n' && d[s] != '\r';
		     s++)
			m.column += ((unsigned char)d[s] & 0xc0) != 0x80;
		return m;
	}
	s = tk_yaml_offset(
	    d, l->len, (unsigned)m.line + 1, (unsigned)m.column + 1);
	e = tk_yaml_offset(d, l->len, (unsigned)ev->end_mark.line + 1,
	    (unsigned)ev->end_mark.column + 1);
	for (i = s; i < e; i++) {
		if (d[i] == '\n') {
			m.line++;
			m.column = 0;
			for (k = i + 1; k < e && d[k] == ' '; k++)
				;
			if (k < e && (d[k] == '\n' || d[k] == '\r'))
				return m; /* an empty line folds into a break */
			continue;
		}
		if (d[i] == '\\' &&
		    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
			if (i + 1 < e && strchr("nrNLP", d[i + 1]) != NULL)
				return m;
			i++, m.column++;
		}
		m.column += ((unsigned char)d[i] & 0xc0) != 0x80;
	}
	return ev->start_mark;
}

/* A line break in a value: a key wrapped or pasted with its newline. */
static int
line_break(struct loader *l, const yaml_event_t *ev, size_t off)
{
	const unsigned char *v = ev->data.scalar.value;
	size_t i = off;

	while (i < ev->data.scalar.length && (v[i] == '\n' || v[i] == '\r'))
		i++;
	if (i == ev->data.scalar.length &&
	    (ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
	        ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE))
		return fail(l, ev->start_mark,
		    "control character in value: it ends with a line break, "
		    "which this '|' or '>' block keeps; write the value on one "
		    "line, in quotes, or use '|-' to drop the break",
		    NULL);
	return fail(l, break_mark(l, ev, off),
	    "control character in value: a line break; names, emails, "
	    "patterns and keys are one line each (a key wrapped or pasted "
	    "with its line breaks must be joined into one line, "
	    "'TYPE BASE64 comment')",
	    NULL);
}

static int
on_scalar(struct loader *l, yaml_event_t *ev)
{
	struct ynode *n;

	if (ev->data.scalar.anchor != NULL)
		return fail(l, ev->start_mark,
		    "anchors and aliases are not allowed", NULL);
	if (ev->data.scalar.tag != NULL)
		return fail(l, ev->start_mark, "tags are not allowed", NULL);
	if (ev->data.scalar.length > TK_POLICY_MAX_SCALAR)
		return fail(l, ev->start_mark, "value too long", NULL);
	if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
		return fail(l, ev->start_mark, "NUL byte in value", NULL);
	/*
	 * Escapes ("\e[31m") can put control characters into a value; names
	 * end up on pushers' terminals and in logs, so none are allowed.
	 */
	for (size_t i = 0; i < ev->data.scalar.length; i++) {
		const unsigned char *v = ev->data.scalar.value;

		if (v[i] == '\n' || v[i] == '\r')
			return line_break(l, ev, i);
		if (v[i] == '\t')
			return fail(l, ev->start_mark,
			    "control character in value: a tab; use spaces",
			    NULL);
		/* C0, DEL, and C1 (U+0080..U+009F, UTF-8 C2 80..C2 9F) */
		if (v[i] < 0x20 || v[i] == 0x7f ||
		    (v[i] == 0xc2 && i + 1 < ev->data.scalar.length &&
		        v[i + 1] <= 0x9f))
			return fail(l, ev->start_mark,
			    "control character in value", NULL);
	}
	if ((n = node_new(YN_SCALAR, ev->start_mark)) == NULL ||
	    (n->str = tk_strndup((char *)ev->data.scalar.value,
	         ev->data.scalar.length)) == NULL) {
		tk_ynode_free(n);
		return TK_ENOMEM;
	}
	n->len = ev->data.scalar.length;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->end_line = (unsigned)ev->end_mark.line + 1;
	n->end_col = (unsigned)ev->end_mark.column + 1;
	if (ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE)
		n->quote = '\'';
	else if (ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		n->quote = '"';
	return attach(l, n, ev->start_mark);
}

static int
on_open(struct loader *l, yaml_event_t *ev, enum ynode_type t)
{
	struct ynode *n;
	yaml_char_t *anchor = t == YN_SEQ ? ev->data.sequence_start.anchor
	                                  : ev->data.mapping_start.anchor;
	yaml_char_t *tag = t == YN_SEQ ? ev->data.sequence_start.tag
	                               : ev->data.mapping_start.tag;
	int rc;

	if (anchor != NULL)
		return fail(l, ev->start_mark,
		    "anchors and aliases are not allowed", NULL);
	if (tag != NULL)
		return fail(l, ev->start_mark, "tags are not allowed", NULL);
	if (l->depth >= TK_POLICY_MAX_DEPTH)
		return fail(l, ev->start_mark, "nesting too deep", NULL);
	if ((n = node_new(t, ev->start_mark)) == NULL)
		return TK_ENOMEM;
	if ((rc = attach(l, n, ev->start_mark)) < 0)
		return rc;
	l->stack[l->depth++] = n;
	return 0;
}

static int
on_event(struct loader *l, yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++l->docs > 1)
			return fail(l, ev->start_mark,
			    "only one YAML document is allowed", NULL);
		if (ev->data.document_start.tag_directives.start !=
		    ev->data.document_start.tag_directives.end)
			return fail(l, ev->start_mark,
			    "tag directives are not allowed", NULL);
		return 0;
	case YAML_ALIAS_EVENT:
		return fail(l, ev->start_mark,
		    "anchors and aliases are not allowed", NULL);
	case YAML_SCALAR_EVENT:
		return on_scalar(l, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_open(l, ev, YN_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_open(l, ev, YN_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		l->depth--;
		return 0;
	default:
		return 0;
	}
}

/*
 * libyaml leaves problem_mark unset for reader errors (a control character,
 * invalid UTF-8) and gives a byte offset instead: count lines and
 * characters up to it so the message points at the offending byte.
 */
static yaml_mark_t
offset_mark(const char *data, size_t len, size_t off)
{
	yaml_mark_t m = {off, 0, 0};
	size_t i;

	for (i = 0; i < off && i < len; i++) {
		if (data[i] == '\n' ||
		    (data[i] == '\r' &&
		        (i + 1 >= len || data[i + 1] != '\n'))) {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)data[i] & 0xc0) != 0x80)
			m.column++;
	}
	return m;
}

static int
parser_error(struct loader *l, yaml_parser_t *p, const char *data, size_t len)
{
	yaml_mark_t m = p->problem_mark;

	if (p->error == YAML_READER_ERROR)
		m = offset_mark(data, len, p->problem_offset);
	else if (p->problem != NULL &&
	    tk_yaml_explain(l->errors, l->name, data, len, (unsigned)m.line + 1,
	        p->problem))
		return TK_ECONFIG;
	(void)tk_buf_printf(l->errors, "%s:%zu:%zu: %s", l->name, m.line + 1,
	    m.column + 1, p->problem != NULL ? p->problem : "syntax error");
	if (p->error == YAML_READER_ERROR && p->problem_value >= 0)
		(void)tk_buf_printf(l->errors, " (0x%02x)", p->problem_value);
	if (p->context != NULL)
		(void)tk_buf_printf(l->errors, " (%s, line %zu column %zu)",
		    p->context, p->context_mark.line + 1,
		    p->context_mark.column + 1);
	(void)tk_buf_putc(l->errors, '\n');
	return TK_ECONFIG;
}

int
tk_yaml_parse(struct ynode **out, struct tk_buf *errors, const char *name,
    const char *data, size_t len)
{
	struct loader l = {name, data, len, errors, {NULL}, 0, NULL, 0};
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, done = 0;

	*out = NULL;
	/*
	 * UTF-8 only.  libyaml would also decode UTF-16 after its byte order
	 * mark, but git diff and review tools show such a file as binary, so
	 * a policy change would reach its reviewers unreadable (and the
	 * private-key check below reads bytes, not UTF-16).
	 */
	if (len >= 2 &&
	    ((data[0] == '\xff' && data[1] == '\xfe') ||
	        (data[0] == '\xfe' && data[1] == '\xff'))) {
		(void)tk_buf_printf(errors,
		    "%s:1:1: the policy is UTF-16 text (it starts with a UTF-16 "
		    "byte order mark); write it as UTF-8\n",
		    name);
		return TK_ECONFIG;
	}
	/* Before anything else: a secret must not be parsed or echoed. */
	if (tk_yaml_private_key(errors, name, data, len))
		return TK_ECONFIG;
	if (!yaml_parser_initialize(&parser))
		return tk_error_set(TK_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&l, &parser, data, len);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&l, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (rc == 0 && l.root == NULL) {
		(void)tk_buf_printf(
		    errors, "%s:1:1: the policy is empty\n", name);
		rc = TK_ECONFIG;
	}
	if (rc != 0) {
		tk_ynode_free(l.root);
		return rc == TK_ENOMEM ? rc : TK_ECONFIG;
	}
	*out = l.root;
	return 0;
}
