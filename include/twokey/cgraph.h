/*
 * twokey: git's commit-graph file (objects/info/commit-graph), read for
 * its first parents and generation numbers, so that proving "this commit
 * lies on that ref's first-parent chain" costs array look-ups instead of
 * one object read per commit (docs/spec.md, "Entering commits").
 *
 * The format is git's Documentation/gitformat-commit-graph.txt, version 1
 * with SHA-1 ids.  The file is hostile input: every offset and index is
 * checked before use, and its trailing SHA-1 checksum must match before
 * anything is trusted that the caller did not confirm against the objects,
 * or it is not used at all (the callers then walk the objects themselves:
 * a damaged graph must never widen a decision).  Split graphs
 * (commit-graph-chain) are not read.
 */
#ifndef TWOKEY_CGRAPH_H
#define TWOKEY_CGRAPH_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tk_cgraph;

/* Largest commit-graph file read (bytes); a larger one is not used. */
#define TK_CGRAPH_MAX_SIZE ((size_t)2 << 30)
/* No parent, as git writes it (GRAPH_PARENT_NONE). */
#define TK_CGRAPH_NONE UINT32_MAX

/*
 * Maps the commit-graph file at path and validates it: header, chunk
 * table, fanout, sizes and checksum.  Returns 0 with *out set;
 * TK_ENOTFOUND when there is no such file; TK_EINVAL (with a message
 * saying what is wrong) for a file that is damaged or of a kind not read
 * (another version, SHA-256, a split graph); TK_ETOOBIG over
 * TK_CGRAPH_MAX_SIZE; TK_EIO, TK_ENOMEM.  *out (free with
 * tk_cgraph_free) is NULL on failure.
 */
int tk_cgraph_open_file(struct tk_cgraph **out, const char *path);

/*
 * The same checks on a commit-graph held in memory (data[0..len), which
 * the caller keeps alive and unchanged until tk_cgraph_free).  Returns 0
 * with *out set, or TK_EINVAL, TK_ETOOBIG, TK_ECRYPTO, TK_ENOMEM.
 */
int tk_cgraph_parse(struct tk_cgraph **out, const void *data, size_t len);

/*
 * The graph of repo's own object store (<gitdir>/objects/info/
 * commit-graph), unless core.commitGraph is false; same returns as
 * tk_cgraph_open_file (TK_ENOTFOUND also when disabled).
 */
int tk_cgraph_open(struct tk_cgraph **out, git_repository *repo);

/*
 * The same, without reading the whole file for its checksum: every other
 * check of tk_cgraph_open is made.  Such a graph is a search hint: what it
 * answers is trusted only once confirmed against the objects, or after
 * tk_cgraph_verify.
 */
int tk_cgraph_open_hint(struct tk_cgraph **out, git_repository *repo);

/*
 * Checks the checksum of g (once; the answer is kept): 0 when it matches,
 * TK_EINVAL (message set) when it does not, TK_ECRYPTO.
 */
int tk_cgraph_verify(struct tk_cgraph *g);

/* True once the checksum of g was checked and matched. */
bool tk_cgraph_verified(const struct tk_cgraph *g);

void tk_cgraph_free(struct tk_cgraph *g);

/* The number of commits the graph holds. */
uint32_t tk_cgraph_count(const struct tk_cgraph *g);

/* True, with *pos set, when id is in the graph (binary search). */
bool tk_cgraph_find(
    const struct tk_cgraph *g, const git_oid *id, uint32_t *pos);

/* The id and the tree id of the commit at pos < count (20 bytes each). */
const unsigned char *tk_cgraph_oid(const struct tk_cgraph *g, uint32_t pos);
const unsigned char *tk_cgraph_tree(const struct tk_cgraph *g, uint32_t pos);

/*
 * The first parent of the commit at pos < count: 0 with *parent set (to
 * TK_CGRAPH_NONE for a root commit), or TK_EINVAL when the graph names a
 * position outside itself.
 */
int tk_cgraph_first_parent(
    const struct tk_cgraph *g, uint32_t pos, uint32_t *parent);

/*
 * The generation number (topological level) of the commit at pos < count:
 * 1 for a root, else one more than its highest parent's.  0 when the graph
 * does not know it (not computed, or past git's 30-bit cap): no bound can
 * be drawn from it.
 */
uint32_t tk_cgraph_generation(const struct tk_cgraph *g, uint32_t pos);

/*
 * A hint to the processor that the commit at pos < count is read soon
 * (its generation): thousands of reads spread over a file of megabytes
 * then overlap their cache misses.  No effect on any answer.
 */
void tk_cgraph_prefetch(const struct tk_cgraph *g, uint32_t pos);

/*
 * A hint that tk_cgraph_find(g, id) runs soon: the places its search
 * reads first are fetched, so that the misses of many lookups overlap.
 * No effect on any answer.
 */
void tk_cgraph_prefetch_find(const struct tk_cgraph *g, const git_oid *id);

#endif
