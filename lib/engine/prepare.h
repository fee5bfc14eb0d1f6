/*
 * Private to lib/engine.
 */
#ifndef TK_ENGINE_PREPARE_H
#define TK_ENGINE_PREPARE_H

#include "engine.h"

/*
 * Reads, parses and verifies, on a pool of threads (TWOKEY_THREADS, else
 * one per processor): every commit's object and signature (recs[0..n)),
 * then the approvals of the chain commits (recs[chain[0..nchain)]), each
 * commit read again first if it was released (tk_rec_shrink).  Results go
 * into the recs; the return is 0 or an error that stops the check (a
 * released commit that cannot be read again is one).
 */
int tk_prepare_commits(struct tk_check *c, struct tk_rec *recs, size_t n);
int tk_prepare_approvals(struct tk_check *c, struct tk_rec *recs,
    const size_t *chain, size_t nchain);
/* Reads recs[idx[0..n)] again where released: 0 or an error. */
int tk_prepare_reload(
    struct tk_check *c, struct tk_rec *recs, const size_t *idx, size_t n);
/*
 * Frees what a batch needed of rec and later decisions do not: the parsed
 * commit, its signatures' results, its approvals (tk_rec_drop_approvals).
 * The id, parents, identities and verdict bits stay.
 */
void tk_rec_shrink(struct tk_rec *r);
void tk_rec_drop_approvals(struct tk_rec *r);
void tk_rec_release(struct tk_rec *r);

struct tk_approval_trailer;
struct tk_sshsig_msg;

/*
 * Verifies approval t's signature over m (namespace twokey-approval) into
 * s, then frees t's decoded signature.  Leaves s zeroed when t did not
 * parse.  Never fails as a whole: an allocation failure is s->status.
 */
void tk_sigres_approval(struct tk_sigres *s, struct tk_approval_trailer *t,
    struct tk_sshsig_msg *m);
void tk_sigres_release(struct tk_sigres *s);

#endif
