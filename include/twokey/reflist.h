/*
 * twokey: listing the refs under a few name prefixes without loading them
 * all (docs/spec.md, "Entering commits": the refs that may vouch for a
 * created ref are those under the literal prefixes of the rules that can
 * vouch for it).
 *
 * The refs are read the way git's "files" backend stores them: the
 * packed-refs file, then loose refs under refs/, a loose ref shadowing the
 * packed one of the same name.  Everything read is hostile input: the
 * packed-refs file is checked line by line (any malformed line fails the
 * whole listing, as libgit2 does), names git would not accept are left
 * out (as git leaves them out), and a loose ref that is symbolic, a
 * symlink or unreadable shadows its packed value and vouches for nothing.
 */
#ifndef TWOKEY_REFLIST_H
#define TWOKEY_REFLIST_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>

/* A direct ref: its full name and the id it holds (not peeled). */
struct tk_ref {
	char *name;
	git_oid id;
};

struct tk_reflist {
	struct tk_ref *refs; /* sorted by name, no name twice */
	size_t n;
	char **blocks; /* the names, packed in blocks of a few KB */
	size_t nblocks, left; /* left: bytes free in the last block */
};

#define TK_REFLIST_INIT                                                        \
	{                                                                      \
		NULL, 0, NULL, 0, 0                                            \
	}

/* Largest packed-refs file read (bytes), and longest ref name. */
#define TK_REFLIST_MAX_PACKED ((size_t)1 << 30)
#define TK_REFLIST_MAX_NAME 4096
/* Most prefixes listed at once (more: the caller lists every ref). */
#define TK_REFLIST_MAX_PREFIXES 64

/*
 * The literal prefixes of a ref pattern (PCRE2 source, matched against
 * whole names, as in the policy's refs:): strings every name the pattern
 * matches begins with one of.  'refs/heads/release/.+' gives
 * "refs/heads/release/", 'refs/heads/(main|release/.+)' gives
 * "refs/heads/main" and "refs/heads/release/".  Returns 0 with *n >= 1
 * prefixes (*out, free with tk_reflist_prefixes_free), 0 with *n == 0 when
 * no such prefix can be drawn safely (the pattern may match names of any
 * start), or TK_ENOMEM.  Conservative: any construct it does not fully
 * understand gives *n == 0.
 */
int tk_reflist_pattern_prefixes(char ***out, size_t *n, const char *src);
void tk_reflist_prefixes_free(char **p, size_t n);

/*
 * Adds to l the refs of the packed-refs content buf[0..len) whose names
 * begin with one of prefixes[0..np) (np <= TK_REFLIST_MAX_PREFIXES).  A
 * file whose header has git's "sorted" trait is searched (binary search
 * to each prefix, then read while the names are under it, which must
 * increase); any other is read whole.  Every line read is checked.
 * Unsorted; a name the file lists twice is kept twice (see
 * tk_reflist_load).  TK_EINVAL for a malformed file (message set),
 * TK_ETOOBIG, TK_ENOMEM.
 */
int tk_reflist_parse_packed(struct tk_reflist *l, const char *buf, size_t len,
    const char *const *prefixes, size_t np);

/*
 * The direct refs of repo whose names begin with one of prefixes[0..np),
 * read from its packed-refs file and its loose refs (under the common
 * directory).  0 with *l filled (sorted, release with tk_reflist_release);
 * TK_EUNSUPPORTED when the repository stores its refs in a way not read
 * here (extensions.refStorage), or for more than TK_REFLIST_MAX_PREFIXES
 * prefixes: the caller lists them through libgit2;
 * TK_EINVAL for a malformed packed-refs file or a name listed twice in
 * it; TK_ETOOBIG, TK_EIO, TK_ENOMEM.
 */
int tk_reflist_load(struct tk_reflist *l, git_repository *repo,
    const char *const *prefixes, size_t np);

/* Adds a copy of name with id to l (unsorted). */
int tk_reflist_add(
    struct tk_reflist *l, const char *name, size_t len, const git_oid *id);

void tk_reflist_release(struct tk_reflist *l);

#endif
