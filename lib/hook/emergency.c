/*
 * The emergency path around a decision: the push option, the state of
 * emergencies pending ratification, and what the pusher is told when an
 * emergency path exists that they could not use.  Every failure here
 * refuses the push (fail closed): an emergency that cannot be recorded
 * must not land, and a state that cannot be read could hide an overdue
 * emergency that blocks the ref.
 */
#include <git2.h>

#include "emergency.h"
#include "twokey/audit.h"
#include "twokey/policy.h"
#include "twokey/repo.h"
#include "twokey/sshsig.h"

int
tk_hook_em_option(struct tk_hook_em *em, const struct tk_push_opts *o)
{
	bool twice;

	/* "-o twokey.emergency" alone: an empty reason, refused later */
	em->reason = tk_hook_push_option(o, "twokey.emergency", &twice);
	if (twice)
		return tk_error_set(TK_EINVAL,
		    "push option twokey.emergency was given twice; give one "
		    "reason");
	return 0;
}

static bool
has_emergency(const struct tk_policy *p)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (p->rules[i]->emergency != NULL)
			return true;
	return false;
}

int
tk_hook_em_prepare(struct tk_hook_em *em, const struct tk_policy *p,
    enum tk_hook_kind kind, struct tk_check_opts *opts)
{
	int rc;

	opts->emergency = em->reason;
	if (kind == TK_HOOK_UPDATE)
		opts->no_emergency =
		    "the update hook gets no push options from git, so it "
		    "cannot grant an emergency (twokey must run as the "
		    "pre-receive hook)";
	if (!has_emergency(p))
		return 0;
	rc = tk_emergency_store_open(&em->store, p);
	if (rc == TK_ENOTFOUND) {
		/* no state: no emergency can be recorded, none is pending */
		opts->no_emergency = "the server cannot record an emergency "
		                     "(its audit settings keep no emergency "
		                     "state; the details are in the server's "
		                     "log)";
		return 0;
	}
	if (rc < 0 || (rc = tk_emergency_store_read(em->store, &em->seen)) < 0)
		return rc;
	opts->emergencies = &em->seen;
	return 0;
}

/*
 * The distinct known writers of commit record cr, into names[0..3); their
 * emails (author, committer; any case counts once) into emails[0..2) and
 * the key of a signature that verified into keys[0..1): all borrowed from
 * cr, copied by tk_emergency_state_add.
 */
static void
writers_of(const struct tk_commit_record *cr, struct tk_emergency_commit *c,
    char **names, char **emails, char **keys)
{
	char *em[2] = {cr->author, cr->committer};
	size_t k, j;

	for (k = 0; k < 3; k++) {
		if (cr->writers[k] == NULL)
			continue;
		for (j = 0; j < c->nwriters; j++)
			if (strcmp(names[j], cr->writers[k]->id) == 0)
				break;
		if (j == c->nwriters)
			names[c->nwriters++] = cr->writers[k]->id;
	}
	c->writers = names;
	for (k = 0; k < 2; k++)
		if (em[k] != NULL && *em[k] != '\0' &&
		    (c->nemails == 0 ||
		        !tk_ascii_ieq(emails[0], strlen(emails[0]), em[k],
		            strlen(em[k]))))
			emails[c->nemails++] = em[k];
	c->emails = emails;
	if (cr->signer_key[0] != '\0')
		keys[c->nkeys++] = (char *)cr->signer_key;
	c->keys = keys;
}

static int
add_as(char **v, size_t *n, const char *kind, const char *s)
{
	size_t len = strlen(kind) + strlen(s) + 2;

	if (*n >= TK_EMERGENCY_MAX_PUSHER_AS)
		return tk_error_set(TK_ETOOBIG,
		    "the pusher's identity lists more than %d logins, emails "
		    "and keys, so the emergency cannot be recorded",
		    TK_EMERGENCY_MAX_PUSHER_AS);
	if ((v[*n] = malloc(len)) == NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	snprintf(v[(*n)++], len, "%s:%s", kind, s);
	return 0;
}

/*
 * What identifies the pusher now, into v[0..*n) (allocated, at most
 * TK_EMERGENCY_MAX_PUSHER_AS): logins, emails and key fingerprints.
 */
static int
pusher_as(const struct tk_identity *id, char **v, size_t *n)
{
	size_t i;
	int rc = 0;

	*n = 0;
	for (i = 0; id != NULL && i < id->nlogins && rc == 0; i++)
		rc = add_as(v, n, "login", id->logins[i]);
	for (i = 0; id != NULL && i < id->nemails && rc == 0; i++)
		rc = add_as(v, n, "email", id->emails[i]);
	for (i = 0; id != NULL && i < id->nkeys && rc == 0; i++)
		rc = add_as(
		    v, n, "key", tk_sshkey_fingerprint(id->keys[i]->key));
	return rc;
}

/* The entry for granted ref i; its commits point into the report. */
static int
add_entry(struct tk_hook_em *em, const struct tk_updates *u,
    const struct tk_report *r, size_t i, const char *repo, int64_t now)
{
	const struct tk_verdict *v = &r->verdicts[i];
	struct tk_emergency_entry e;
	struct tk_emergency_commit *cs = NULL;
	char old[65], new_[65], **names = NULL, **emails = NULL, **keys = NULL;
	char *as[TK_EMERGENCY_MAX_PUSHER_AS];
	size_t k, nas = 0;
	int rc;

	memset(&e, 0, sizeof(e));
	git_oid_tostr(old, sizeof(old), &u->items[i].old_id);
	git_oid_tostr(new_, sizeof(new_), &u->items[i].new_id);
	for (k = 0; k < r->ncommits; k++)
		e.ncommits += r->commits[k].update == i;
	/* past TK_CHECK_STREAM_AT commits their records are spooled */
	e.ncommits += tk_audit_commits_count(r->spooled, i);
	if (e.ncommits > TK_EMERGENCY_MAX_COMMITS)
		return tk_error_set(TK_ETOOBIG,
		    "an emergency may bring in at most %d commits",
		    TK_EMERGENCY_MAX_COMMITS);
	if (tk_audit_commits_count(r->spooled, i) > 0) /* not the hook's */
		return tk_error_set(TK_EINVAL,
		    "internal error: an emergency's commit records were "
		    "spooled");
	if ((cs = tk_calloc(e.ncommits + 1, sizeof(*cs))) == NULL ||
	    (names = tk_calloc(3 * e.ncommits + 1, sizeof(*names))) == NULL ||
	    (emails = tk_calloc(2 * e.ncommits + 1, sizeof(*emails))) == NULL ||
	    (keys = tk_calloc(e.ncommits + 1, sizeof(*keys))) == NULL) {
		free(cs);
		free(names);
		free(emails);
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	for (k = 0, e.ncommits = 0; k < r->ncommits; k++) {
		if (r->commits[k].update != i)
			continue;
		memcpy(cs[e.ncommits].id, r->commits[k].id, 65);
		writers_of(&r->commits[k], &cs[e.ncommits],
		    names + 3 * e.ncommits, emails + 2 * e.ncommits,
		    keys + e.ncommits);
		e.ncommits++;
	}
	e.commits = cs;
	e.time = now;
	e.ratify_by = v->ratify_by;
	e.waived = v->waived;
	e.block = v->rule->emergency->overdue == TK_OVERDUE_BLOCK;
	e.repo = (char *)repo;
	e.ref = (char *)TK_UPDATE_NAME(&u->items[i]);
	e.old = old;
	e.new_ = new_;
	e.pusher = r->pusher ? r->pusher->id : NULL;
	if ((rc = pusher_as(r->pusher, as, &nas)) < 0)
		goto out;
	e.pusher_as = as;
	e.npusher_as = nas;
	e.rule = v->rule->name;
	e.reason = r->emergency;
	if (e.ncommits == 0) {
		e.ratified = now; /* nothing entered: nothing to review */
		e.ratifiers = "(nothing entered)";
	}
	if ((rc = tk_emergency_state_add(&em->locked, &e)) == 0)
		em->added++;
out:
	for (k = 0; k < nas; k++)
		free(as[k]);
	free(cs);
	free(names);
	free(emails);
	free(keys);
	return rc;
}

static int
mark(struct tk_hook_em *em, const struct tk_ratification *ra, int64_t now)
{
	const struct tk_emergency_entry *was = &em->seen.items[ra->entry];
	size_t i;

	for (i = 0; i < em->locked.n; i++) {
		struct tk_emergency_entry *e = &em->locked.items[i];

		if (e->seq != was->seq || e->ratified != 0)
			continue;
		if ((e->ratifiers = tk_strdup(ra->ratifiers)) == NULL ||
		    tk_grow_one(&em->marked, em->nmarked, sizeof(*em->marked)) <
		        0)
			return tk_error_set(TK_ENOMEM, "out of memory");
		e->ratified = now;
		em->marked[em->nmarked++] = e->seq;
	}
	return 0;
}

int
tk_hook_em_commit(struct tk_hook_em *em, const struct tk_updates *u,
    const struct tk_report *r, const char *repo, int64_t now, bool accepted)
{
	struct tk_buf key = TK_BUF_INIT(TK_REPO_NS_MAX + 8192);
	char *ns = NULL;
	size_t i, want = 0;
	int rc;

	for (i = 0; i < r->nverdicts; i++)
		want += accepted && r->verdicts[i].emergency;
	for (i = 0; i < r->nratified; i++)
		want += accepted || !r->ratified[i].by_this_push;
	if (want == 0 || em->store == NULL)
		return 0;
	if ((rc = tk_repo_ns_prefix(&ns, getenv("GIT_NAMESPACE"))) < 0 ||
	    (rc = tk_emergency_repo_key(&key, repo, ns)) < 0 ||
	    (rc = tk_emergency_store_lock(em->store, &em->locked)) < 0)
		goto out;
	em->holding = true;
	for (i = 0; accepted && i < r->nverdicts && rc == 0; i++)
		if (r->verdicts[i].emergency)
			rc = add_entry(em, u, r, i, key.ptr, now);
	for (i = 0; i < r->nratified && rc == 0; i++)
		if (accepted || !r->ratified[i].by_this_push)
			rc = mark(em, &r->ratified[i], now);
	if (rc == 0)
		rc = tk_emergency_store_write(em->store, &em->locked);
	if (rc < 0)
		tk_hook_em_finish(em, true); /* nothing was written */
out:
	free(ns);
	tk_buf_release(&key);
	return rc;
}

void
tk_hook_em_finish(struct tk_hook_em *em, bool recorded)
{
	size_t i, k;

	if (!em->holding)
		return;
	/* A database store's unlock rolls back what no record committed. */
	if (!recorded && !tk_emergency_store_with_record(em->store)) {
		/* take back what the missing record would have described */
		for (; em->added > 0; em->added--)
			tk_emergency_entry_release(
			    &em->locked.items[--em->locked.n]);
		for (i = 0; i < em->locked.n; i++)
			for (k = 0; k < em->nmarked; k++)
				if (em->locked.items[i].seq == em->marked[k]) {
					em->locked.items[i].ratified = 0;
					free(em->locked.items[i].ratifiers);
					em->locked.items[i].ratifiers = NULL;
				}
		(void)tk_emergency_store_write(em->store, &em->locked);
	}
	tk_emergency_store_unlock(em->store);
	em->holding = false;
}

/* Whether push options reach the hooks of this repository at all. */
static bool
advertised(git_repository *repo)
{
	git_config *cfg = NULL;
	int on = 0;

	/* not GIT_PUSH_OPTION_COUNT: git sets it to 0 either way */
	if (git_repository_config_snapshot(&cfg, repo) == 0)
		(void)git_config_get_bool(
		    &on, cfg, "receive.advertisepushoptions");
	git_config_free(cfg);
	return on != 0;
}

void
tk_hook_em_hint(FILE *f, const struct tk_hook_em *em, const struct tk_report *r,
    git_repository *repo, enum tk_hook_kind kind, const char *prefix)
{
	size_t i;

	if (em->reason != NULL && kind == TK_HOOK_PRE_RECEIVE)
		return; /* asked for, and the findings say what happened */
	for (i = 0; i < r->nverdicts; i++)
		if (r->verdicts[i].decision == TK_REFUSE &&
		    r->verdicts[i].rule != NULL &&
		    r->verdicts[i].rule->emergency != NULL)
			break;
	if (i == r->nverdicts)
		return;
	if (kind == TK_HOOK_UPDATE)
		fprintf(f,
		    "%snote: this ref has an emergency path, but twokey runs "
		    "as the update hook here, which gets no push options from "
		    "git: an admin installs twokey as the pre-receive hook "
		    "('twokey install') to allow -o twokey.emergency\n",
		    prefix);
	else if (!advertised(repo))
		fprintf(f,
		    "%snote: this ref has an emergency path (git push -o "
		    "twokey.emergency=\"<reason>\"), but this repository does "
		    "not accept push options: an admin runs 'git config "
		    "receive.advertisePushOptions true' in it (twokey install "
		    "does)\n",
		    prefix);
}

void
tk_hook_em_release(struct tk_hook_em *em)
{
	tk_hook_em_finish(em, true);
	tk_emergency_state_release(&em->seen);
	tk_emergency_state_release(&em->locked);
	tk_emergency_store_free(em->store);
	free(em->marked);
	memset(em, 0, sizeof(*em));
}
