/*
 * Ratifying an emergency (docs/spec.md, "Emergency changes"): after the
 * fact, every commit the emergency push brought in is approved in
 * refs/notes/twokey as the rule's ratify: block asks, by people who wrote
 * none of that commit.  The writers were recorded at push time (the
 * state), so a later policy change cannot turn a writer into a reviewer
 * of their own change: not by the identity ids kept then, nor by the
 * emails and signing keys kept with them (a writer the policy did not
 * know at push time, given an identity later; an identity renamed), nor
 * by what the commit itself names, read again here (which also covers
 * state written before emails and keys were kept).
 */
#include "store.h"
#include "twokey/commit.h"
#include "twokey/notes.h"
#include "twokey/policy.h"
#include "twokey/sshsig.h"

/* Distinct identities counted on one commit, and on all of them. */
struct count {
	const struct tk_identity *ids[64];
	size_t n;
};

static bool
has(const struct count *c, const struct tk_identity *id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->ids[i] == id)
			return true;
	return false;
}

/* Who wrote one commit: as the state keeps it, and as the commit says. */
struct writers {
	const struct tk_emergency_commit *cm;
	char email[2][255]; /* author, committer; "" for none */
	char key[64]; /* of a signature that verifies; "" for none */
};

static void
keep_email(char *dst, const struct tk_person *pp)
{
	/* no identity lists a longer one (tk_policy_by_email) */
	if (pp->email_len > 0 && pp->email_len <= 254) {
		memcpy(dst, pp->email, pp->email_len);
		dst[pp->email_len] = '\0';
	}
}

/*
 * Reads commit id again for its writers' emails and signing key.  1 when
 * read, 0 when it cannot be (it then cannot be ratified: fail closed).
 */
static int
read_writers(struct writers *w, git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	git_odb_object *raw = NULL;
	struct tk_commit *cm = NULL;
	struct tk_sshsig *sig = NULL;
	struct tk_sshsig_msg m;
	int ok = 0;

	if (git_repository_odb(&odb, repo) < 0 ||
	    git_odb_read(&raw, odb, id) < 0 ||
	    git_odb_object_type(raw) != GIT_OBJECT_COMMIT ||
	    tk_commit_parse(&cm, git_odb_object_data(raw),
	        git_odb_object_size(raw), strlen(w->cm->id)) < 0)
		goto out;
	keep_email(w->email[0], &cm->author);
	keep_email(w->email[1], &cm->committer);
	if (cm->sig_format == TK_SIG_SSH &&
	    tk_sshsig_parse_armor(&sig, cm->signature, cm->signature_len) ==
	        0) {
		tk_sshsig_msg_init(
		    &m, cm->signed_payload, cm->signed_payload_len);
		if (tk_sshsig_verify_msg(sig, "git", &m) == 0)
			snprintf(w->key, sizeof(w->key), "%s",
			    tk_sshkey_fingerprint(tk_sshsig_key(sig)));
	}
	ok = 1;
out:
	tk_sshsig_free(sig);
	tk_commit_free(cm);
	git_odb_object_free(raw);
	git_odb_free(odb);
	return ok;
}

static bool
same_email(const char *a, const char *b)
{
	return a != NULL && b != NULL && *a != '\0' &&
	    tk_ascii_ieq(a, strlen(a), b, strlen(b));
}

static bool
an_email(const struct writers *w, const char *e)
{
	size_t i;

	for (i = 0; i < w->cm->nemails; i++)
		if (same_email(w->cm->emails[i], e))
			return true;
	return same_email(w->email[0], e) || same_email(w->email[1], e);
}

static bool
a_key(const struct writers *w, const char *fp)
{
	size_t i;

	if (fp == NULL || *fp == '\0')
		return false;
	for (i = 0; i < w->cm->nkeys; i++)
		if (strcmp(w->cm->keys[i], fp) == 0)
			return true;
	return strcmp(w->key, fp) == 0;
}

/* Did the identity of approval ap (or ap itself) push emergency e? */
static bool
pushed(const struct tk_emergency_entry *e, const struct tk_note_approval *ap)
{
	const struct tk_identity *id = ap->identity;
	const char *v;
	size_t i, k;

	if (e->pusher != NULL && strcmp(e->pusher, id->id) == 0)
		return true;
	for (i = 0; i < e->npusher_as; i++) {
		v = e->pusher_as[i];
		if (strncmp(v, "login:", 6) == 0) {
			for (k = 0; k < id->nlogins; k++)
				if (strcmp(id->logins[k], v + 6) == 0)
					return true;
		} else if (strncmp(v, "email:", 6) == 0) {
			for (k = 0; k < id->nemails; k++)
				if (same_email(id->emails[k], v + 6))
					return true;
			if (same_email(ap->email, v + 6))
				return true;
		} else if (strncmp(v, "key:", 4) == 0) {
			for (k = 0; k < id->nkeys; k++)
				if (strcmp(
				        tk_sshkey_fingerprint(id->keys[k]->key),
				        v + 4) == 0)
					return true;
			if (strcmp(ap->key, v + 4) == 0)
				return true;
		} else {
			/* not what twokey writes: assume the worst */
			return true;
		}
	}
	return false;
}

/*
 * Did the identity that made approval ap write the commit?  Its id, any
 * of its emails or keys, or the email and key of the approval itself.
 */
static bool
wrote(const struct writers *w, const struct tk_note_approval *ap)
{
	const struct tk_identity *id = ap->identity;
	size_t i;

	for (i = 0; i < w->cm->nwriters; i++)
		if (strcmp(w->cm->writers[i], id->id) == 0)
			return true;
	for (i = 0; i < id->nemails; i++)
		if (an_email(w, id->emails[i]))
			return true;
	for (i = 0; i < id->nkeys; i++)
		if (a_key(w, tk_sshkey_fingerprint(id->keys[i]->key)))
			return true;
	return an_email(w, ap->email) || a_key(w, ap->key);
}

static bool
enough(const struct tk_emergency *em, const struct count *c)
{
	size_t i, k;
	unsigned have;

	if (c->n < em->min)
		return false;
	for (i = 0; i < em->nrequire; i++) {
		for (k = 0, have = 0; k < c->n; k++)
			have += tk_roleset_has(
			    &c->ids[k]->roles, em->require[i].role);
		if (have < em->require[i].min)
			return false;
	}
	return true;
}

/* Counts the valid note approvals of one commit that may ratify it. */
static int
count_commit(struct count *c, struct tk_notes *notes, git_repository *repo,
    const struct tk_policy *p, const struct tk_rule *rule,
    const struct tk_emergency_entry *e, const struct tk_emergency_commit *cm,
    int64_t now)
{
	struct tk_note_approvals a;
	struct writers w;
	git_oid id;
	size_t i, n;
	int rc;

	if (git_oid_fromstr(&id, cm->id) < 0)
		return tk_error_set(TK_EINVAL, "bad commit id in the state");
	if ((rc = tk_notes_verify(&a, notes, repo, p, now, &id)) < 0)
		return rc == TK_ENOTFOUND ? 0 : rc;
	memset(&w, 0, sizeof(w));
	w.cm = cm;
	/* who wrote it cannot be told: nobody ratifies it (fail closed) */
	n = a.n > 0 && read_writers(&w, repo, &id) ? a.n : 0;
	for (i = 0; i < n; i++) {
		const struct tk_identity *who = a.items[i].identity;

		if (who == NULL || has(c, who) || wrote(&w, &a.items[i]) ||
		    c->n == sizeof(c->ids) / sizeof(c->ids[0]) ||
		    !tk_roleset_intersects(&who->roles, &rule->emergency->from))
			continue;
		if (!rule->pusher_may_approve && pushed(e, &a.items[i]))
			continue;
		c->ids[c->n++] = who;
	}
	tk_note_approvals_release(&a);
	return 0;
}

static int
names(char **out, const struct count *all)
{
	struct tk_buf b = TK_BUF_INIT(65536);
	size_t i;

	for (i = 0; i < all->n; i++)
		(void)tk_buf_printf(&b, "%s%s", i ? ", " : "", all->ids[i]->id);
	if (all->n == 0)
		(void)tk_buf_puts(&b, "(nothing entered)");
	if ((*out = tk_buf_detach(&b, NULL)) == NULL) {
		tk_buf_release(&b);
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	return 0;
}

int
tk_emergency_ratified(char **ratifiers, git_repository *repo,
    const git_oid *notes_tip, const struct tk_policy *p,
    const struct tk_rule *rule, const struct tk_emergency_entry *e, int64_t now)
{
	struct tk_notes *notes = NULL;
	struct count c, all;
	size_t i, k;
	int rc = 0;

	*ratifiers = NULL;
	memset(&all, 0, sizeof(all));
	if (e->ncommits > 0 &&
	    (rule == NULL || rule->emergency == NULL || notes_tip == NULL))
		return 0; /* nothing can ratify it under this policy */
	if (e->ncommits > 0 &&
	    (rc = tk_notes_open(&notes, repo, notes_tip)) < 0)
		return rc;
	for (i = 0; i < e->ncommits; i++) {
		memset(&c, 0, sizeof(c));
		if ((rc = count_commit(
		         &c, notes, repo, p, rule, e, &e->commits[i], now)) < 0)
			goto out;
		if (!enough(rule->emergency, &c))
			goto out; /* rc 0: not ratified yet */
		for (k = 0; k < c.n; k++)
			if (!has(&all, c.ids[k]) && all.n < 64)
				all.ids[all.n++] = c.ids[k];
	}
	if ((rc = names(ratifiers, &all)) == 0)
		rc = 1;
out:
	tk_notes_free(notes);
	return rc;
}
