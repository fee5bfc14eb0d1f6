/*
 * Private to lib/engine: the audit records of an update that brings in
 * more than TK_CHECK_STREAM_AT commits, written as the update is decided
 * (twokey/audit.h, tk_audit_commits_begin) rather than kept in the
 * report.  A record's head is written when its commit is loaded; its
 * tail when it is final: at once under a rule that needs no approvals,
 * else a chain commit's when its approvals are decided (tk_stream_decided)
 * and every other one's at the end (tk_stream_end), when the approvals of
 * the chain merge that answers for it are known.
 */
#ifndef TK_ENGINE_STREAM_H
#define TK_ENGINE_STREAM_H

#include "engine.h"

/*
 * Starts streaming the records of update c->cur, which brings in n
 * commits under rule, when n is past the threshold (else c->stream stays
 * NULL).  0 or an error.
 */
int tk_stream_begin(struct tk_check *c, const struct tk_rule *rule, size_t n);
/* tk_check_record's end when streaming: writes cr (and frees its strings). */
int tk_stream_record(
    struct tk_check *c, struct tk_rec *rec, struct tk_commit_record *cr);
/* The record that tk_check_keep_change and the approvals fill for rec. */
struct tk_commit_record *tk_stream_work(
    struct tk_check *c, const struct tk_rec *rec);
/* tk_check_keep_owner when streaming. */
void tk_stream_owner(struct tk_check *c, const struct tk_rec *rec);
/* Chain commit rec's approvals are decided: its tail.  0 or an error. */
int tk_stream_decided(struct tk_check *c, const struct tk_rec *rec);
/*
 * The update is decided (or failed): the tails not written yet, from what
 * is known of recs[0..n) (as the report's records would hold it), then
 * the stream's state is freed.  0 or an error.
 */
int tk_stream_end(struct tk_check *c, const struct tk_rec *recs, size_t n);

#endif
