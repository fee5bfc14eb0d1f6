/*
 * twokey approve and the notes ref: adding approval lines to the local
 * refs/notes/twokey, and publishing it.
 *
 * Publishing is a race between reviewers: the server takes only
 * fast-forwards of the notes ref, so whoever pushes second is told to
 * fetch first.  Then the remote's notes are merged into ours with git's
 * cat_sort_uniq strategy (a union of lines, so no approval is lost), and
 * the push is tried again, a bounded number of times with a random pause
 * so that two reviewers do not keep colliding.  Transport and merging are
 * git's own (git fetch, git notes merge, git push): the reviewer's remotes,
 * credentials and config apply as for any push.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "approve.h"
#include "cli.h"
#include "twokey/notes.h"
#include "banned.h" /* last: after every system header */

#define NOTES_REF TK_NOTES_REF
#define LOG_MAX (1024 * 1024)

static void
show_output(const struct tk_buf *b)
{
	if (b->ptr != NULL && b->len > 0)
		fprintf(stderr, "%s%s", b->ptr,
		    b->ptr[b->len - 1] == '\n' ? "" : "\n");
}

/* 1 with *id set, 0 when the ref does not exist, -1 on error. */
static int
local_tip(struct approve *a, git_oid *id)
{
	int r = git_reference_name_to_id(id, a->repo, NOTES_REF);

	if (r == GIT_ENOTFOUND)
		return 0;
	if (r < 0) {
		fprintf(stderr, "twokey: error: cannot read %s: %s\n",
		    NOTES_REF,
		    git_error_last() ? git_error_last()->message : "?");
		return -1;
	}
	return 1;
}

/* Moves the local notes ref from old (NULL: absent) to id. */
static int
set_local(
    struct approve *a, const git_oid *old, const git_oid *id, const char *why)
{
	git_reference *ref = NULL;
	int r;

	r = old == NULL
	    ? git_reference_create(&ref, a->repo, NOTES_REF, id, 0, why)
	    : git_reference_create_matching(
	          &ref, a->repo, NOTES_REF, id, 1, old, why);
	git_reference_free(ref);
	if (r < 0) {
		fprintf(stderr, "twokey: error: cannot update %s: %s\n",
		    NOTES_REF,
		    git_error_last() ? git_error_last()->message : "?");
		return -1;
	}
	return 0;
}

/* The remote's notes commit: 1 with *id set, 0 when it has none, -1. */
static int
fetch_remote(struct approve *a, git_oid *id)
{
	struct tk_buf out = TK_BUF_INIT(LOG_MAX), err = TK_BUF_INIT(LOG_MAX);
	char *argv[] = {"git", "fetch", "-q", "--no-tags", "--write-fetch-head",
	    (char *)a->remote, NOTES_REF, NULL};
	int st, rc = -1;

	st = cli_run(argv, &out, &err, CLI_RUN_C_LOCALE);
	if (st != 0 && err.ptr != NULL &&
	    strstr(err.ptr, "couldn't find remote ref") != NULL)
		rc = 0;
	else if (st != 0) {
		show_output(&err);
		fprintf(stderr, "twokey: error: cannot fetch %s from %s\n",
		    NOTES_REF, a->remote);
	} else if (git_reference_name_to_id(id, a->repo, "FETCH_HEAD") < 0)
		fprintf(
		    stderr, "twokey: error: git fetch left no FETCH_HEAD\n");
	else
		rc = 1;
	tk_buf_release(&out);
	tk_buf_release(&err);
	return rc;
}

int
approve_sync(struct approve *a)
{
	git_oid remote, local;
	int hr, hl;

	if ((hr = fetch_remote(a, &remote)) <= 0)
		return hr;
	if ((hl = local_tip(a, &local)) < 0)
		return -1;
	if (hl == 0)
		return set_local(a, NULL, &remote, "twokey approve: fetched");
	if (git_oid_equal(&local, &remote) ||
	    git_graph_descendant_of(a->repo, &local, &remote) == 1)
		return 0;
	if (git_graph_descendant_of(a->repo, &remote, &local) == 1)
		return set_local(
		    a, &local, &remote, "twokey approve: fast-forward");
	return 0; /* diverged: merged before pushing */
}

/* The text of the note on t with t's line added (no duplicate). */
static int
new_text(struct tk_notes *n, const struct approve_target *t, struct tk_buf *b)
{
	size_t ll = strlen(t->line);
	const char *p;

	if (tk_notes_read(b, n, &t->id) < 0) {
		fprintf(stderr,
		    "twokey: error: cannot read the local note on "
		    "%.12s: %s\n",
		    git_oid_tostr_s(&t->id), tk_error_last());
		return -1;
	}
	if (b->len > 0 && memchr(b->ptr, '\0', b->len) != NULL) {
		fprintf(stderr,
		    "twokey: error: the local note on %.12s holds a NUL "
		    "byte\n",
		    git_oid_tostr_s(&t->id));
		return -1;
	}
	for (p = b->ptr; p != NULL && (p = strstr(p, t->line)) != NULL; p++)
		if ((p == b->ptr || p[-1] == '\n') && p[ll] == '\n')
			return 0; /* already there */
	if (tk_buf_printf(b, "%s\n", t->line) < 0)
		return -1;
	return 1;
}

/* Chains one libgit2 notes commit per line; returns the last one. */
static int
add_all(struct approve *a, struct tk_notes *n, git_commit **cur,
    const git_signature *sig)
{
	struct tk_buf b = TK_BUF_INIT(TK_NOTE_MAX_SIZE + 65536);
	git_oid nc, blob;
	size_t i;
	int added = 0, r;

	for (i = 0; i < a->n; i++) {
		if (a->t[i].line == NULL)
			continue;
		tk_buf_reset(&b);
		if ((r = new_text(n, &a->t[i], &b)) < 0)
			goto fail;
		if (r == 0)
			continue;
		if (git_note_commit_create(&nc, &blob, a->repo, *cur, sig, sig,
		        &a->t[i].id, b.ptr, 1) < 0)
			goto gitfail;
		git_commit_free(*cur);
		*cur = NULL;
		if (git_commit_lookup(cur, a->repo, &nc) < 0)
			goto gitfail;
		added++;
	}
	tk_buf_release(&b);
	return added;
gitfail:
	fprintf(stderr, "twokey: error: cannot write a note: %s\n",
	    git_error_last() ? git_error_last()->message : "?");
fail:
	tk_buf_release(&b);
	return -1;
}

/* One notes commit with the final tree, on top of the old tip. */
static int
commit_notes(struct approve *a, const git_oid *old, git_commit *last,
    const git_signature *sig, int added)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	char msg[512];
	git_oid id;
	int rc = -1;

	snprintf(msg, sizeof(msg), "twokey approve: %d approval%s by %s\n",
	    added, added == 1 ? "" : "s", a->email);
	if ((old != NULL && git_commit_lookup(&parent, a->repo, old) < 0) ||
	    git_commit_tree(&tree, last) < 0 ||
	    git_commit_create_v(&id, a->repo, NULL, sig, sig, NULL, msg, tree,
	        parent ? 1 : 0, parent) < 0) {
		fprintf(stderr,
		    "twokey: error: cannot write the notes "
		    "commit: %s\n",
		    git_error_last() ? git_error_last()->message : "?");
		goto out;
	}
	rc = set_local(a, old, &id, "twokey approve");
out:
	git_tree_free(tree);
	git_commit_free(parent);
	return rc;
}

int
approve_write_notes(struct approve *a)
{
	git_signature *sig = NULL;
	git_commit *cur = NULL;
	struct tk_notes *n = NULL;
	git_oid old;
	int have, added = -1;

	if ((have = local_tip(a, &old)) < 0)
		return -1;
	if (git_signature_now(&sig, *a->name ? a->name : a->email, a->email) <
	        0 ||
	    (have && git_commit_lookup(&cur, a->repo, &old) < 0) ||
	    tk_notes_open(&n, a->repo, have ? &old : NULL) < 0) {
		fprintf(stderr, "twokey: error: cannot open %s: %s\n",
		    NOTES_REF,
		    git_error_last() ? git_error_last()->message
		                     : tk_error_last());
		goto out;
	}
	if ((added = add_all(a, n, &cur, sig)) > 0 &&
	    commit_notes(a, have ? &old : NULL, cur, sig, added) < 0)
		added = -1;
out:
	tk_notes_free(n);
	git_commit_free(cur);
	git_signature_free(sig);
	return added;
}

/* After a fetch: merges the remote's notes into ours when they diverged. */
static int
merge_remote(struct approve *a, const git_oid *remote)
{
	char hex[GIT_OID_HEXSZ + 1];
	char *argv[] = {"git", "notes", "--ref=" NOTES_REF, "merge", "-q", "-s",
	    "cat_sort_uniq", hex, NULL};
	git_oid local;
	int hl;

	if ((hl = local_tip(a, &local)) < 0)
		return -1;
	if (hl == 0)
		return set_local(a, NULL, remote, "twokey approve: fetched");
	if (git_oid_equal(&local, remote) ||
	    git_graph_descendant_of(a->repo, &local, remote) == 1)
		return 0;
	git_oid_tostr(hex, sizeof(hex), remote);
	if (cli_run(argv, NULL, NULL, 0) != 0) {
		fprintf(stderr, "twokey: error: git notes merge failed\n");
		return -1;
	}
	return 0;
}

enum push_result { PUSHED, RETRY, FAILED };

/*
 * Reads git push --porcelain: "!" lines say why a ref was refused.  The
 * remote moved in between (a fast-forward check failed, client- or
 * server-side) is worth another try; a refusal by the hook is not.
 */
static enum push_result
classify(const struct tk_buf *out)
{
	const char *p = out->ptr ? out->ptr : "";
	const char *hit = strstr(p, "\t" NOTES_REF ":"), *line;

	if (hit == NULL)
		return FAILED;
	for (line = hit; line > p && line[-1] != '\n'; line--)
		;
	if (*line != '!')
		return PUSHED;
	if (strstr(line, "(fetch first)") ||
	    strstr(line, "(non-fast-forward)") ||
	    strstr(line, "(stale info)") ||
	    strstr(line, "failed to update ref") ||
	    strstr(line, "cannot lock ref") || strstr(line, "failed to lock") ||
	    strstr(line, "incorrect old value"))
		return RETRY;
	return FAILED;
}

static enum push_result
push_once(struct approve *a)
{
	struct tk_buf out = TK_BUF_INIT(LOG_MAX), err = TK_BUF_INIT(LOG_MAX);
	char *argv[] = {"git", "push", "--porcelain", (char *)a->remote,
	    NOTES_REF ":" NOTES_REF, NULL};
	enum push_result res;

	(void)cli_run(argv, &out, &err, CLI_RUN_C_LOCALE);
	if ((res = classify(&out)) == FAILED) {
		show_output(&err);
		show_output(&out);
	}
	tk_buf_release(&out);
	tk_buf_release(&err);
	return res;
}

int
approve_push(struct approve *a)
{
	git_oid remote;
	int i, hr;
	enum push_result res = FAILED;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (i = 1; i <= APPROVE_PUSH_TRIES; i++) {
		if ((hr = fetch_remote(a, &remote)) < 0 ||
		    (hr == 1 && merge_remote(a, &remote) < 0))
			return -1;
		if ((res = push_once(a)) != RETRY)
			break;
		fprintf(stderr,
		    "twokey: someone pushed approvals first; merging theirs "
		    "and trying again (%d/%d)\n",
		    i, APPROVE_PUSH_TRIES);
		/* 0.1 to 1 s, growing: two reviewers stop colliding. */
		usleep((useconds_t)(100000 * i + rand() % 500000));
	}
	if (res == PUSHED) {
		fprintf(
		    stderr, "twokey: pushed %s to %s\n", NOTES_REF, a->remote);
		return 0;
	}
	fprintf(stderr, "twokey: error: could not push %s to %s%s\n", NOTES_REF,
	    a->remote,
	    res == RETRY ? ": others kept pushing first; run it again" : "");
	return -1;
}
