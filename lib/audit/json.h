/*
 * A small JSON reader for twokey's own audit records ("twokey audit
 * show").  The log may have been tampered with, so input is bounded: the
 * nesting depth is limited and parsing never recurses deeper than that.
 */
#ifndef TK_JSON_H
#define TK_JSON_H

#include <stdbool.h>
#include <stddef.h>

struct tk_buf;

#define TK_JSON_MAX_DEPTH 32

enum tk_jtype { TK_J_NULL, TK_J_BOOL, TK_J_NUM, TK_J_STR, TK_J_ARR, TK_J_OBJ };

struct tk_jv {
	enum tk_jtype t;
	bool b;
	char *s; /* string value (NUL-terminated, may hold NUL), number text */
	size_t slen;
	struct tk_jv **items; /* array items, or object values */
	char **keys; /* object keys */
	size_t n, cap, kcap;
};

/* Appends s as a JSON string literal (declared in twokey/audit.h too). */
int tk_json_string(struct tk_buf *out, const char *s, size_t len);

/* Parses one JSON value filling all of s; *out (caller frees) or NULL. */
int tk_json_parse(struct tk_jv **out, const char *s, size_t len);
void tk_json_free(struct tk_jv *v);
/* The member named key of an object, or NULL; borrowed. */
const struct tk_jv *tk_json_get(const struct tk_jv *obj, const char *key);
/* The string value, or def when v is not a string. */
const char *tk_json_str(const struct tk_jv *v, const char *def);

#endif
