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
};

/*
 * Parses data as one YAML document.  Returns 0 with *out set, or
 * TK_ECONFIG with one "name:line:col: message" line appended to errors.
 */
int tk_yaml_parse(struct ynode **out, struct tk_buf *errors, const char *name,
    const char *data, size_t len);

void tk_ynode_free(struct ynode *n);

#endif
