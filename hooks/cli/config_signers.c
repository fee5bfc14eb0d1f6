/*
 * twokey config allowed-signers [FILE]: the policy's keys as an OpenSSH
 * allowed_signers file, so that workstations verify with the trust the
 * server uses: git log --show-signature (gpg.ssh.allowedSignersFile) and
 * ssh-keygen -Y verify, for commit signatures (namespace "git") and
 * approvals ("twokey-approval").
 *
 * Principals are patterns to OpenSSH (Pitfall: "*@example.com" lets one
 * key sign as anyone), so an email holding a pattern or list character is
 * left out with a warning rather than written.  Revoked keys are left out.
 * Validity windows are written in UTC ("Z"), with valid-before one second
 * earlier: OpenSSH accepts a signature at exactly valid-before, twokey
 * does not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "internal.h"
#include "twokey/policy.h"
#include "twokey/sshsig.h"
#include "banned.h" /* last: after every system header */

static bool
safe_principal(const char *email)
{
	const unsigned char *p = (const unsigned char *)email;

	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("*?!,\"'#\\", *p) != NULL)
			return false;
	return *email != '\0';
}

static void
put_time(struct tk_buf *b, const char *opt, int64_t t)
{
	char when[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y%m%d%H%M%SZ", &tm) == 0)
		return;
	(void)tk_buf_printf(b, ",%s=\"%s\"", opt, when);
}

/* "email,email" of id, or "" (warnings printed) when none is usable. */
static void
principals(struct tk_buf *b, const struct tk_identity *id)
{
	size_t i, n = 0;

	for (i = 0; i < id->nemails; i++) {
		if (!safe_principal(id->emails[i])) {
			fprintf(stderr,
			    "twokey: warning: identity '%s': email '%s' left "
			    "out (OpenSSH would read it as a pattern)\n",
			    id->id, id->emails[i]);
			continue;
		}
		(void)tk_buf_printf(b, "%s%s", n++ ? "," : "", id->emails[i]);
	}
}

static int
key_line(const struct tk_policy *p, const struct tk_key *k, const char *who)
{
	struct tk_buf b = TK_BUF_INIT(65536);
	const unsigned char *blob;
	size_t len;
	int rc;

	(void)tk_buf_printf(&b, "%s namespaces=\"git,twokey-approval\"", who);
	if (k->valid_after != INT64_MIN)
		put_time(&b, "valid-after", k->valid_after);
	if (k->valid_before != INT64_MAX)
		put_time(&b, "valid-before", k->valid_before - 1);
	(void)tk_buf_printf(&b, " %s ", tk_sshkey_type(k->key));
	blob = tk_sshkey_blob(k->key, &len);
	(void)tk_base64_encode(&b, blob, len);
	(void)p;
	if ((rc = b.err) == 0)
		printf("%s\n", b.ptr);
	tk_buf_release(&b);
	return rc;
}

static int
identity(const struct tk_policy *p, const struct tk_identity *id)
{
	struct tk_buf who = TK_BUF_INIT(65536);
	size_t i;
	int rc = 0;

	principals(&who, id);
	if (id->nkeys > 0)
		printf("# %s\n", id->id);
	for (i = 0; i < id->nkeys && rc == 0; i++) {
		if (tk_policy_key_revoked(p, id->keys[i]->key))
			printf("# (a revoked key of %s is left out)\n", id->id);
		else if (who.len == 0)
			fprintf(stderr,
			    "twokey: warning: identity '%s' has no usable "
			    "email: its keys are left out\n",
			    id->id);
		else
			rc = key_line(p, id->keys[i], who.ptr);
	}
	tk_buf_release(&who);
	return rc;
}

int
cli_allowed_signers(const struct tk_policy *p)
{
	size_t i;

	printf("# OpenSSH allowed_signers, made by twokey config "
	       "allowed-signers from %s\n"
	       "# use: git config gpg.ssh.allowedSignersFile FILE, or "
	       "ssh-keygen -Y verify -f FILE\n",
	    p->path ? p->path : "the policy");
	for (i = 0; i < p->nidentities; i++)
		if (identity(p, p->identities[i]) < 0)
			return -1;
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}
