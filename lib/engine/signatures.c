/*
 * Signed commits (docs/spec.md, "Signed commits"): every entering commit
 * carries a git signature that verifies, in-process, over the payload git
 * itself signs (the raw object minus every gpgsig* header, see
 * tk_commit_parse), with namespace "git", by a key of its author's or
 * committer's identity that is neither revoked nor outside its validity
 * window at push time.  The commit date is
 * the pusher's to choose, so it plays no part.
 */
#include "signatures.h"
#include "twokey/commit.h"
#include "twokey/sshsig.h"

#define SIGN_HINT                                                              \
	"sign it with an SSH key listed for your identity: git commit "        \
	"--amend --no-edit -S (with gpg.format=ssh and user.signingKey)"

static int deny(struct tk_check *c, const struct tk_rec *rec, const char *hint,
    const char *fmt, ...) TK_PRINTF(4, 5);

static int
deny(struct tk_check *c, const struct tk_rec *rec, const char *hint,
    const char *fmt, ...)
{
	struct tk_buf b = TK_BUF_INIT(4096);
	const char *subj;
	va_list ap;
	size_t sl;
	int rc;

	va_start(ap, fmt);
	(void)tk_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	subj = tk_commit_subject(rec->c, &sl);
	rc = tk_check_add(c, TK_SEV_DENY, &rec->id, subj, sl, hint, "%s",
	    b.ptr ? b.ptr : "signature problem");
	tk_buf_release(&b);
	return rc;
}

static const char *
format_problem(enum tk_sig_format f)
{
	switch (f) {
	case TK_SIG_NONE:
		return "unsigned commit, and the rule requires signed commits";
	case TK_SIG_PGP:
		return "OpenPGP signatures are not supported yet (the rule "
		       "requires signed commits)";
	case TK_SIG_X509:
		return "X.509 signatures are not supported yet (the rule "
		       "requires signed commits)";
	default:
		return "unrecognised signature format (the rule requires "
		       "signed commits)";
	}
}

/* The identity name of a person line, for messages (in parentheses). */
static const char *
who(const struct tk_identity *id)
{
	return id != NULL ? id->id : "not in the policy";
}

static int
judge_key(struct tk_check *c, struct tk_rec *rec, const struct tk_key *k,
    const char *fp, bool required)
{
	if (k == NULL)
		return required ? deny(c, rec, SIGN_HINT,
		                      "signed by a key that "
		                      "is not in the policy (%s)",
		                      fp)
		                : 0;
	if (!required) {
		/* Not enforced: still a writer, to keep them from approving */
		rec->signer = k->owner;
		return 0;
	}
	if (tk_policy_key_revoked(c->p, k->key))
		return deny(c, rec, SIGN_HINT,
		    "signed by a revoked key (%s) "
		    "of %s",
		    fp, k->owner->id);
	if (!tk_key_valid_at(k, c->now))
		return deny(c, rec, SIGN_HINT,
		    "signed by key %s of %s, which "
		    "is outside its validity window now",
		    fp, k->owner->id);
	if (k->owner != rec->author && k->owner != rec->committer)
		return deny(c, rec,
		    "the author or committer must sign their "
		    "own commit",
		    "signed by %s, who is neither its author "
		    "(%s) nor its committer (%s)",
		    k->owner->id, who(rec->author), who(rec->committer));
	rec->signer = k->owner;
	return 0;
}

int
tk_check_signature(struct tk_check *c, struct tk_rec *rec, bool required)
{
	const struct tk_commit *cm = rec->c;
	const struct tk_sigres *s = rec->csig; /* set when SSH-signed */

	if (cm->sig_format != TK_SIG_SSH)
		return required ? deny(c, rec, SIGN_HINT, "%s",
		                      format_problem(cm->sig_format))
		                : 0;
	if (s->status == TK_ENOMEM)
		return tk_error_set(TK_ENOMEM, "out of memory");
	if (!s->parsed)
		return required ? deny(c, rec, SIGN_HINT,
		                      "malformed SSH "
		                      "signature: %s",
		                      s->error ? s->error : "?")
		                : 0;
	/* Only a mismatch is explained by a change; else the real reason. */
	if (s->status == TK_EBADSIG)
		return required
		    ? deny(c, rec, SIGN_HINT,
		          "bad signature: %s "
		          "(the commit was changed after signing, or the signature "
		          "was made for something else)",
		          s->error ? s->error : "?")
		    : 0;
	if (s->status < 0)
		return required
		    ? deny(c, rec, SIGN_HINT, "signature refused: %s",
		          s->error ? s->error : "?")
		    : 0;
	return judge_key(c, rec,
	    tk_policy_by_key_blob(c->p, s->keyblob, s->keylen), s->fp,
	    required);
}
