/*
 * twokey approve [-k KEY] [--push [REMOTE]] [--trailer] [COMMIT | A..B]
 *
 * Approves one commit or every commit of a range: shows each commit and
 * the key before anything is signed, signs every approval payload in one
 * ssh-keygen run (one passphrase prompt; agent, FIDO and
 * passphrase-protected keys work as for git's own SSH signing), checks
 * each signature in-process, and writes the approvals into the local
 * refs/notes/twokey, or with --trailer prints the trailer instead.  The
 * payload comes from the library function the hooks verify against, so
 * the two cannot drift apart.
 */
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approve.h"
#include "cli.h"
#include "twokey/check.h"
#include "twokey/commit.h"
#include "twokey/notes.h"
#include "twokey/repo.h"
#include "twokey/sshsig.h"
#include "twokey/trailer.h"
#include "banned.h" /* last: after every system header */

#define USAGE                                                                  \
	"twokey approve [-k KEY] [--push [REMOTE]] [--trailer] "               \
	"[COMMIT | A..B]"

/* ---- the commits ---------------------------------------------------- */

static int
add_target(struct approve *a, const git_oid *id)
{
	if (a->n >= APPROVE_MAX_COMMITS) {
		fprintf(stderr,
		    "twokey: error: more than %d commits; approve the range "
		    "in parts\n",
		    APPROVE_MAX_COMMITS);
		return -1;
	}
	if (tk_grow_one(&a->t, a->n, sizeof(*a->t)) < 0)
		return -1;
	memset(&a->t[a->n], 0, sizeof(*a->t));
	git_oid_cpy(&a->t[a->n].id, id);
	tk_buf_init(&a->t[a->n].payload, TK_COMMIT_MAX_SIZE + 65536);
	a->n++;
	return 0;
}

/* A..B: what git rev-list A..B lists, oldest first. */
static int
add_range(struct approve *a, const git_revspec *rs)
{
	git_revwalk *w = NULL;
	git_oid id;
	int r, rc = -1;

	if (rs->flags & GIT_REVSPEC_MERGE_BASE) {
		fprintf(stderr, "twokey: error: use A..B, not A...B\n");
		return -1;
	}
	if (git_revwalk_new(&w, a->repo) < 0 ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) <
	        0 ||
	    git_revwalk_push(w, git_object_id(rs->to)) < 0 ||
	    git_revwalk_hide(w, git_object_id(rs->from)) < 0)
		goto out;
	while ((r = git_revwalk_next(&id, w)) == 0)
		if (add_target(a, &id) < 0)
			goto done;
	if (r == GIT_ITEROVER)
		rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "twokey: error: cannot walk the range: %s\n",
		    git_error_last() ? git_error_last()->message : "?");
done:
	git_revwalk_free(w);
	return rc;
}

static int
resolve(struct approve *a, const char *rev)
{
	git_revspec rs;
	git_object *c = NULL;
	int rc = -1;

	memset(&rs, 0, sizeof(rs));
	if (git_revparse(&rs, a->repo, rev) < 0) {
		fprintf(stderr, "twokey: error: '%s' names no commit\n", rev);
		return -1;
	}
	if (rs.flags & GIT_REVSPEC_RANGE)
		rc = add_range(a, &rs);
	else if (git_object_peel(&c, rs.from, GIT_OBJECT_COMMIT) < 0)
		fprintf(stderr, "twokey: error: '%s' is not a commit\n", rev);
	else
		rc = add_target(a, git_object_id(c));
	git_object_free(c);
	git_object_free(rs.from);
	git_object_free(rs.to);
	if (rc == 0 && a->n == 0) {
		fprintf(stderr, "twokey: error: '%s' holds no commit\n", rev);
		rc = -1;
	}
	return rc;
}

static int
load(struct approve *a, struct approve_target *t)
{
	git_odb *odb = NULL;
	git_odb_object *raw = NULL;
	int rc = -1;

	if (git_repository_odb(&odb, a->repo) < 0 ||
	    git_odb_read(&raw, odb, &t->id) < 0 ||
	    tk_commit_parse(&t->c, git_odb_object_data(raw),
	        git_odb_object_size(raw), GIT_OID_HEXSZ) < 0 ||
	    tk_trailer_approval_payload(&t->payload, t->c) < 0)
		fprintf(stderr, "twokey: error: cannot read commit %s: %s\n",
		    git_oid_tostr_s(&t->id), tk_error_last());
	else
		rc = 0;
	git_odb_object_free(raw);
	git_odb_free(odb);
	return rc;
}

/* ---- showing -------------------------------------------------------- */

static void
show_text(FILE *f, const char *s, size_t len, size_t max)
{
	struct tk_buf b = TK_BUF_INIT(4 * max + 16);

	(void)tk_sanitize(&b, s, len, max);
	fputs(b.ptr ? b.ptr : "", f);
	tk_buf_release(&b);
}

static void
show_target(const struct approve_target *t)
{
	const char *subj;
	size_t sl;

	subj = tk_commit_subject(t->c, &sl);
	fprintf(stderr, "twokey:   %.7s ", git_oid_tostr_s(&t->id));
	show_text(stderr, subj, sl, 72);
	fputs(" (", stderr);
	show_text(stderr, t->c->author.name, t->c->author.name_len, 80);
	fputs(" <", stderr);
	show_text(stderr, t->c->author.email, t->c->author.email_len, 80);
	fprintf(stderr, ">)%s\n",
	    t->skip ? " (already approved with this key; skipped)" : "");
	/* What git shows may not be who wrote it (docs/spec.md) */
	if (tk_commit_check_identity(t->c) < 0)
		fprintf(stderr,
		    "twokey: warning: %.7s: %s; the hooks refuse this commit "
		    "under rules that inspect commits\n",
		    git_oid_tostr_s(&t->id), tk_error_last());
}

/* ---- who wrote what the commit brings in ----------------------------- */

static bool
same_blob(const struct tk_sshkey *k, const struct tk_sshkey *x)
{
	size_t l1, l2;
	const unsigned char *b1 = tk_sshkey_blob(k, &l1),
	                    *b2 = tk_sshkey_blob(x, &l2);

	return l1 == l2 && memcmp(b1, b2, l1) == 0;
}

/* How the reviewer wrote c ("author", ...), or NULL. */
static const char *
wrote(const struct approve *a, const struct tk_commit *c)
{
	struct tk_sshsig *sig = NULL;
	size_t el = strlen(a->email);
	const char *as = NULL;

	if (tk_ascii_ieq(c->author.email, c->author.email_len, a->email, el))
		return "author";
	if (tk_ascii_ieq(
	        c->committer.email, c->committer.email_len, a->email, el))
		return "committer";
	if (a->key.pub != NULL && c->sig_format == TK_SIG_SSH &&
	    tk_sshsig_parse_armor(&sig, c->signature, c->signature_len) == 0 &&
	    same_blob(a->key.pub, tk_sshsig_key(sig)))
		as = "signer";
	tk_sshsig_free(sig);
	return as;
}

static const char *
wrote_id(struct approve *a, const git_oid *id)
{
	struct approve_target t;
	const char *as = NULL;

	memset(&t, 0, sizeof(t));
	git_oid_cpy(&t.id, id);
	tk_buf_init(&t.payload, TK_COMMIT_MAX_SIZE + 65536);
	if (load(a, &t) == 0)
		as = wrote(a, t.c);
	tk_commit_free(t.c);
	tk_buf_release(&t.payload);
	return as;
}

/*
 * The separation rule, as far as a reviewer's clone can tell (the email
 * and key the reviewer signs with; the server maps every email and key of
 * an identity): the writers of a commit, and for a merge those of every
 * commit it brings in, plus its own only when it is not a clean merge.
 */
static int
warn_writer(struct approve *a, const struct approve_target *t,
    git_repository *mrepo, git_odb_backend **scratch)
{
	const char *as = NULL, *own = wrote(a, t->c);
	git_oid *ids = NULL, p0, pk;
	size_t n = 0, i, k;
	int clean = 0;

	if (t->c->nparents > 1 && own != NULL &&
	    (clean = tk_merge_clean(mrepo, scratch, &t->id, NULL)) < 0)
		return -1;
	if (own != NULL && !clean)
		as = own;
	for (k = 1; as == NULL && k < t->c->nparents; k++) {
		if (git_oid_fromstr(&p0, t->c->parents[0]) < 0 ||
		    git_oid_fromstr(&pk, t->c->parents[k]) < 0 ||
		    tk_walk_entering(&ids, &n, a->repo, &pk, &p0, 1, 10000) < 0)
			break;
		for (i = 0; i < n && as == NULL; i++)
			if (wrote_id(a, &ids[i]) != NULL)
				as = "";
		free(ids);
		ids = NULL;
	}
	if (as != NULL && *as != '\0')
		fprintf(stderr,
		    "twokey: warning: %.7s: you are its %s; your approval "
		    "will not count for it\n",
		    git_oid_tostr_s(&t->id), as);
	else if (as != NULL)
		fprintf(stderr,
		    "twokey: warning: %.7s: you wrote a commit it brings in; "
		    "your approval will not count for it\n",
		    git_oid_tostr_s(&t->id));
	return 0;
}

/* ---- already approved ------------------------------------------------ */

/* Whether the local note on t holds a valid approval by this key. */
static bool
approved_before(
    struct approve *a, struct tk_notes *n, const struct approve_target *t)
{
	struct tk_buf text = TK_BUF_INIT(TK_NOTE_MAX_SIZE + 64);
	struct tk_approval_list *l = NULL;
	struct tk_sshsig *sig = NULL;
	bool found = false;
	size_t i;

	if (a->key.pub == NULL || tk_notes_read(&text, n, &t->id) < 0 ||
	    tk_notes_parse(&l, text.ptr ? text.ptr : "", text.len) < 0)
		goto out;
	for (i = 0; i < l->count && !found; i++) {
		const struct tk_approval_trailer *it = &l->items[i];

		if (it->problem != TK_TRAILER_OK ||
		    !tk_ascii_ieq(it->email, strlen(it->email), a->email,
		        strlen(a->email)) ||
		    tk_sshsig_parse_blob(&sig, it->sig, it->sig_len) < 0)
			continue;
		found = same_blob(a->key.pub, tk_sshsig_key(sig)) &&
		    tk_sshsig_verify(sig, "twokey-approval", t->payload.ptr,
		        t->payload.len) == 0;
		tk_sshsig_free(sig);
		sig = NULL;
	}
out:
	tk_approval_list_free(l);
	tk_buf_release(&text);
	return found;
}

static int
mark_skips(struct approve *a)
{
	struct tk_notes *n = NULL;
	git_oid tip;
	size_t i;
	int r = git_reference_name_to_id(&tip, a->repo, TK_NOTES_REF);

	if (r == GIT_ENOTFOUND || a->trailer)
		return 0;
	if (r < 0 || tk_notes_open(&n, a->repo, &tip) < 0) {
		fprintf(stderr, "twokey: error: cannot read the local %s\n",
		    TK_NOTES_REF);
		return -1;
	}
	for (i = 0; i < a->n; i++)
		a->t[i].skip = approved_before(a, n, &a->t[i]);
	tk_notes_free(n);
	return 0;
}

/* ---- signing ----------------------------------------------------------- */

static int
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	if (len > 0 && fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int
read_all(struct tk_buf *b, const char *path)
{
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (tk_buf_put(b, chunk, n) < 0) {
			fclose(f);
			return -1;
		}
	fclose(f);
	return 0;
}

/* The base64 between the armour lines, white space removed. */
static int
dearmor(struct tk_buf *out, const char *text)
{
	const char *b = strstr(text, "-----BEGIN SSH SIGNATURE-----");
	const char *e = strstr(text, "-----END SSH SIGNATURE-----");

	if (b == NULL || e == NULL || e < b)
		return -1;
	for (b += 29; b < e; b++)
		if (*b != '\n' && *b != '\r' && *b != ' ' && *b != '\t' &&
		    tk_buf_putc(out, *b) < 0)
			return -1;
	return 0;
}

static void
payload_path(
    char *out, size_t len, const struct approve *a, size_t i, const char *ext)
{
	snprintf(out, len, "%s/p%zu%s", a->tmpdir, i, ext);
}

/* Reads, checks and keeps the signature ssh-keygen wrote for t. */
static int
take_signature(struct approve *a, size_t i)
{
	struct approve_target *t = &a->t[i];
	struct tk_buf armor = TK_BUF_INIT(TK_SSHSIG_MAX_ARMOR),
	              b64 = TK_BUF_INIT(TK_SSHSIG_MAX_ARMOR),
	              line = TK_BUF_INIT(TK_SSHSIG_MAX_ARMOR + 1024);
	struct tk_sshsig *sig = NULL;
	char path[128];
	int rc = -1;

	payload_path(path, sizeof(path), a, i, ".sig");
	if (read_all(&armor, path) < 0 || armor.ptr == NULL ||
	    dearmor(&b64, armor.ptr) < 0 ||
	    tk_sshsig_parse_base64(&sig, b64.ptr, b64.len) < 0 ||
	    tk_sshsig_verify(
	        sig, "twokey-approval", t->payload.ptr, t->payload.len) < 0) {
		fprintf(stderr,
		    "twokey: error: ssh-keygen made no signature that verifies "
		    "for %.7s: %s\n",
		    git_oid_tostr_s(&t->id), tk_error_last());
		goto out;
	}
	if (a->key.pub != NULL && !same_blob(a->key.pub, tk_sshsig_key(sig))) {
		fprintf(stderr,
		    "twokey: error: ssh-keygen signed with another "
		    "key than the one shown\n");
		goto out;
	}
	(void)tk_buf_printf(&line, "Approved-by: %s <%s> sshsig:%s", a->name,
	    a->email, b64.ptr);
	if ((t->line = tk_buf_detach(&line, NULL)) != NULL)
		rc = 0;
out:
	unlink(path);
	tk_sshsig_free(sig);
	tk_buf_release(&armor);
	tk_buf_release(&b64);
	tk_buf_release(&line);
	return rc;
}

static int
sign_all(struct approve *a)
{
	char **argv = NULL, path[128];
	size_t i, k = 0;
	int rc = -1, st;

	if ((argv = tk_calloc(a->n + 12, sizeof(*argv))) == NULL)
		return -1;
	argv[k++] = a->program;
	argv[k++] = "-q";
	argv[k++] = "-Y";
	argv[k++] = "sign";
	argv[k++] = "-n";
	argv[k++] = "twokey-approval";
	argv[k++] = "-f";
	argv[k++] = a->key.file;
	if (a->key.agent)
		argv[k++] = "-U";
	for (i = 0; i < a->n; i++) {
		if (a->t[i].skip)
			continue;
		payload_path(path, sizeof(path), a, i, "");
		if (write_file(path, a->t[i].payload.ptr, a->t[i].payload.len) <
		        0 ||
		    (argv[k++] = tk_strdup(path)) == NULL)
			goto out;
	}
	if ((st = cli_run(argv, NULL, NULL, CLI_RUN_STDIN)) != 0) {
		fprintf(stderr, "twokey: error: %s could not sign with %s\n",
		    a->program, a->key.file);
		goto out;
	}
	for (i = 0, rc = 0; i < a->n && rc == 0; i++)
		if (!a->t[i].skip)
			rc = take_signature(a, i);
out:
	for (i = a->key.agent ? 9 : 8; i < k; i++)
		free(argv[i]);
	free(argv);
	for (i = 0; i < a->n; i++) {
		payload_path(path, sizeof(path), a, i, "");
		(void)unlink(path);
		payload_path(path, sizeof(path), a, i, ".sig");
		(void)unlink(path);
	}
	return rc;
}

/* ---- the command ------------------------------------------------------- */

/* git's user.name and user.email, which the approval line names. */
static int
identity(struct approve *a)
{
	int r;

	if ((r = cli_git_config(&a->email, "user.email")) != 0 ||
	    *a->email == '\0') {
		if (r >= 0)
			fprintf(stderr,
			    "twokey: error: set git config user.email to the "
			    "email the policy lists for you\n");
		return -1;
	}
	if ((r = cli_git_config(&a->name, "user.name")) < 0 ||
	    (r == 1 && (a->name = tk_strdup("")) == NULL))
		return -1;
	if (strpbrk(a->name, "<>\n\r") != NULL ||
	    strpbrk(a->email, "<> \t\n\r") != NULL) {
		fprintf(stderr,
		    "twokey: error: user.name or user.email holds "
		    "'<', '>' or a line break\n");
		return -1;
	}
	if ((r = cli_git_config(&a->program, "gpg.ssh.program")) < 0 ||
	    (r == 1 && (a->program = tk_strdup("ssh-keygen")) == NULL))
		return -1;
	return 0;
}

/* The old flow: the author adds this with git commit --amend --trailer. */
static int
print_trailer(const struct approve *a)
{
	const struct tk_commit *c = a->t[0].c;

	printf("%s\n", a->t[0].line);
	/* cherry-pick -x, "---" notes: git adds it where twokey never reads */
	if (tk_trailer_git_would_hide(c->message, c->message_len)) {
		fprintf(stderr,
		    "twokey: warning: the commit message ends in a paragraph "
		    "git takes for trailers but twokey does not (a '(cherry "
		    "picked from commit ...)' line, a '---' line, prose among "
		    "trailers): git commit --trailer would put the approval "
		    "there, where it is never read\n"
		    "twokey: approve without --trailer (a note in %s), or "
		    "add the line by hand as the message's last paragraph, "
		    "after a blank line\n",
		    TK_NOTES_REF);
		return 0;
	}
	fprintf(stderr,
	    "twokey: the author adds it with: git commit --amend "
	    "--no-edit --trailer \"<the line above>\"\n");
	return 0;
}

static void
show_all(struct approve *a)
{
	size_t i, todo = 0;

	for (i = 0; i < a->n; i++)
		todo += !a->t[i].skip;
	fprintf(stderr, "twokey: approving %zu commit%s as ", todo,
	    todo == 1 ? "" : "s");
	show_text(stderr, a->name, strlen(a->name), 100);
	fputs(" <", stderr);
	show_text(stderr, a->email, strlen(a->email), 100);
	fputs(">\n", stderr);
	approve_key_show(stderr, &a->key);
	for (i = 0; i < a->n; i++)
		show_target(&a->t[i]);
}

static int
publish(struct approve *a, bool push)
{
	int added;

	if (a->trailer)
		return print_trailer(a);
	if ((added = approve_write_notes(a)) < 0)
		return -1;
	fprintf(stderr, "twokey: %d approval%s added to %s\n", added,
	    added == 1 ? "" : "s", TK_NOTES_REF);
	if (push)
		return approve_push(a);
	fprintf(stderr,
	    "twokey: publish them with 'twokey approve --push' (or: git push "
	    "origin %s)\n",
	    TK_NOTES_REF);
	return 0;
}

static int
approve(struct approve *a, const char *key, const char *rev, bool push)
{
	git_odb_backend *scratch = NULL;
	git_repository *mrepo = NULL;
	size_t i, todo = 0;
	int rc = 1;

	if (identity(a) < 0 || approve_key_choose(a, key) < 0 ||
	    resolve(a, rev) < 0)
		return 1;
	if (a->trailer && a->n != 1) {
		fprintf(stderr,
		    "twokey: error: --trailer takes one commit: amending each "
		    "commit of a range rewrites the ones after it and voids "
		    "their approvals; approve a range with notes\n");
		return 1;
	}
	if (push && approve_sync(a) < 0)
		return 1;
	for (i = 0; i < a->n; i++)
		if (load(a, &a->t[i]) < 0)
			return 1;
	if (mark_skips(a) < 0)
		return 1;
	show_all(a);
	/*
	 * Merges are recomputed in a handle of their own: its object store
	 * gets an in-memory backend for the merged blobs, which must not
	 * catch the notes this command writes.
	 */
	if (git_repository_open(&mrepo, git_repository_path(a->repo)) < 0) {
		fprintf(stderr, "twokey: error: cannot open the repository\n");
		return 1;
	}
	for (i = 0; i < a->n; i++) {
		todo += !a->t[i].skip;
		if (warn_writer(a, &a->t[i], mrepo, &scratch) < 0)
			fprintf(
			    stderr, "twokey: warning: %s\n", tk_error_last());
	}
	if ((todo == 0 || sign_all(a) == 0) && publish(a, push) == 0)
		rc = 0;
	git_repository_free(mrepo);
	return rc;
}

/* --push's REMOTE: the current branch's remote, else origin. */
static const char *
default_remote(struct approve *a, char **owned)
{
	git_reference *head = NULL;
	struct tk_buf key = TK_BUF_INIT(4096);
	const char *br;

	*owned = NULL;
	if (git_repository_head(&head, a->repo) == 0 &&
	    git_reference_is_branch(head) && git_branch_name(&br, head) == 0 &&
	    tk_buf_printf(&key, "branch.%s.remote", br) == 0 &&
	    cli_git_config(owned, key.ptr) == 0 && **owned != '\0' &&
	    strcmp(*owned, ".") != 0) {
		git_reference_free(head);
		tk_buf_release(&key);
		return *owned;
	}
	free(*owned);
	*owned = NULL;
	git_reference_free(head);
	tk_buf_release(&key);
	return "origin";
}

static bool
is_remote(const char *name)
{
	struct tk_buf key = TK_BUF_INIT(4096);
	char *v = NULL;
	bool yes;

	yes = strchr(name, '.') == NULL && strchr(name, ':') == NULL &&
	    tk_buf_printf(&key, "remote.%s.url", name) == 0 &&
	    cli_git_config(&v, key.ptr) == 0;
	free(v);
	tk_buf_release(&key);
	return yes;
}

struct args {
	const char *key, *remote, *rev;
	bool push, trailer;
};

static int
parse(struct args *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
			o->key = argv[++i];
		else if (strcmp(argv[i], "--trailer") == 0)
			o->trailer = true;
		else if (strcmp(argv[i], "--push") == 0) {
			o->push = true;
			if (i + 1 < argc && is_remote(argv[i + 1]))
				o->remote = argv[++i];
		} else if (strncmp(argv[i], "--push=", 7) == 0) {
			o->push = true;
			o->remote = argv[i] + 7;
		} else if (strcmp(argv[i], "--") == 0 && i + 2 == argc)
			o->rev = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage_error(
			    USAGE, "unknown option '%s'", argv[i]);
		else if (o->rev != NULL)
			return cli_usage_error(USAGE, "too many arguments");
		else
			o->rev = argv[i];
	}
	if (o->push && o->trailer)
		return cli_usage_error(
		    USAGE, "--trailer prints a trailer; --push pushes notes");
	if (o->rev == NULL)
		o->rev = "HEAD";
	return 0;
}

static int
help(void)
{
	printf("usage: %s\n\n"
	       "Approves COMMIT (default HEAD), or every commit of A..B: "
	       "shows each commit and the key, signs each approval payload "
	       "with ssh-keygen -Y sign -n twokey-approval, and adds the "
	       "approvals to the local refs/notes/twokey (no commit is "
	       "rewritten).\n\n"
	       "  -k KEY          sign with KEY: a key file, a public key "
	       "whose private half ssh-agent holds, or key::LINE; default "
	       "git's user.signingKey, else the agent's key when it holds "
	       "exactly one\n"
	       "  --push [REMOTE] then fetch the remote's notes, merge them "
	       "(no line lost), push, and retry when another reviewer pushed "
	       "first; REMOTE defaults to the branch's remote, else origin\n"
	       "  --trailer       print the Approved-by trailer instead, for "
	       "the author to add with git commit --amend --no-edit "
	       "--trailer (one commit only)\n\n"
	       "The approval names git's user.name and user.email; \"git -c\" "
	       "settings apply.  See twokey(1).\n",
	    USAGE);
	return 0;
}

int
cmd_approve(int argc, char **argv)
{
	struct approve a;
	struct args o;
	char *owned = NULL;
	size_t i;
	int rc;

	if (cli_wants_help(argc, argv))
		return help();
	if ((rc = parse(&o, argc, argv)) != 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.trailer = o.trailer;
	snprintf(a.tmpdir, sizeof(a.tmpdir), "/tmp/twokey-approve.XXXXXX");
	if (mkdtemp(a.tmpdir) == NULL) {
		fprintf(stderr,
		    "twokey: error: cannot make a temporary directory: %s\n",
		    strerror(errno));
		return 1;
	}
	if (git_repository_open_ext(
	        &a.repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL) < 0) {
		fprintf(stderr, "twokey: error: not in a git repository\n");
		rc = 1;
	} else {
		a.remote = o.remote ? o.remote : default_remote(&a, &owned);
		rc = approve(&a, o.key, o.rev, o.push);
	}
	approve_key_release(&a.key);
	(void)rmdir(a.tmpdir);
	for (i = 0; i < a.n; i++) {
		tk_commit_free(a.t[i].c);
		tk_buf_release(&a.t[i].payload);
		free(a.t[i].line);
	}
	free(a.t);
	free(a.name);
	free(a.email);
	free(a.program);
	free(owned);
	git_repository_free(a.repo);
	return rc;
}
