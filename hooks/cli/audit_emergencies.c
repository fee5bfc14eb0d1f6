/*
 * twokey audit emergencies [--overdue] [--format text|json|csv]: the
 * emergencies of the policy's emergency state (docs/audit.md,
 * "Emergencies").  Exit 1 with --overdue when one is overdue, for a cron
 * job or a monitoring check; 1 also when the state cannot be read.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit_cli.h"
#include "internal.h"
#include "twokey/emergency.h"
#include "twokey/policy.h"
#include "banned.h" /* last: after every system header */

int
audit_emergencies(struct audit_opts *o)
{
	struct tk_buf out = TK_BUF_INIT(1u << 30);
	struct tk_emergency_store *s = NULL;
	struct tk_emergency_state st;
	struct tk_doc doc;
	int rc;

	memset(&doc, 0, sizeof(doc));
	memset(&st, 0, sizeof(st));
	if (tk_emergency_store_open(&s, o->policy) < 0 ||
	    tk_emergency_store_read(s, &st) < 0 ||
	    tk_evidence_emergencies(&doc, &st, tk_emergency_store_where(s),
	        o->overdue, (int64_t)time(NULL)) < 0 ||
	    tk_doc_render(&out, &doc, o->fmt) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		rc = 1;
	} else if ((rc = audit_emit(o, out.ptr ? out.ptr : "", out.len)) == 0)
		rc = doc.status;
	tk_doc_release(&doc);
	tk_buf_release(&out);
	tk_emergency_state_release(&st);
	tk_emergency_store_free(s);
	return rc;
}
