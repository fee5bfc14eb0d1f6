/*
 * A bounded YAML document tree, built from libyaml events by yaml_load.c
 * (the only file that includes <yaml.h>) and read by policy.c.
 *
 * The tree is what a strict subset of YAML can express: scalars, sequences
 * and mappings with scalar keys.  Anchors, aliases, tags, complex keys,
 * duplicate keys and several documents are refused while parsing, and the
 * nesting depth is bounded, so walking the tree recursively is safe.
 */
#ifndef TK_YNODE_H
#define TK_YNODE_H

#include "internal.h"

enum ynode_type { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
	enum ynode_type type;
	unsigned line, col; /* 1-based start mark */
	char *str; /* scalar text, NUL-terminated */
	size_t len;
	bool plain; /* an unquoted scalar */
	/* YN_SEQ: items; YN_MAP: items[2i] key, items[2i + 1] value */
	struct ynode **items;
	size_t n, cap;
	struct tk_map *keyset; /* duplicate-key index for large maps */
	unsigned end_line, end_col; /* scalars: 1-based end mark */
	char quote; /* scalars: '\'' or '"' when quoted, else 0 */
};

/*
 * Parses data as one YAML document.  Returns 0 with *out set, or
 * TK_ECONFIG with one "name:line:col: message" line appended to errors.
 */
int tk_yaml_parse(struct ynode **out, struct tk_buf *errors, const char *name,
    const char *data, size_t len);

void tk_ynode_free(struct ynode *n);

/* Byte offset of 1-based (line, col) in d (col in characters); len past
 * the end. */
size_t tk_yaml_offset(const char *d, size_t len, unsigned line, unsigned col);

/*
 * For a libyaml error at 1-based line with libyaml's problem text: when
 * the cause is a tab in the indentation or a key indented unlike its
 * siblings, appends "name:line:col: what to do" (the real cause's line and
 * column) to errors and returns true; false when it has nothing better
 * than libyaml's own words.  yaml_hint.c.
 */
bool tk_yaml_explain(struct tk_buf *errors, const char *name, const char *d,
    size_t len, unsigned line, const char *problem);

/*
 * When d holds private key material (PEM/OpenSSH armour or an OpenSSH key
 * body), appends an error that says so, without any of it, and returns
 * true.
 */
bool tk_yaml_private_key(
    struct tk_buf *errors, const char *name, const char *d, size_t len);

#endif
