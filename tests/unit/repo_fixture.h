/*
 * Repositories, keys, signatures and policies made at test time, for the
 * decision engine's unit tests (test_engine.c, test_pool.c).
 *
 * Nothing is mocked: keys come from the real ssh-keygen, every approval and
 * commit signature is made by "ssh-keygen -Y sign", commits are written by
 * libgit2 into a bare repository, and the policy is YAML text loaded with
 * tk_policy_load().  Include after cmocka.h and internal.h.
 */
#ifndef TK_TEST_REPO_FIXTURE_H
#define TK_TEST_REPO_FIXTURE_H

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "twokey/check.h"
#include "twokey/commit.h"
#include "twokey/policy.h"
#include "twokey/trailer.h"

/* Each test program uses some of these helpers. */
#pragma GCC diagnostic ignored "-Wunused-function"

/* Push time of every check unless a test says otherwise: 2026-01-01. */
#define FX_NOW 1767225600
#define FX_MAX_UPDATES 8
#define FX_MAX_FILES 8
#define FX_MAX_APPROVALS 6

/* One test key: its file name under keys/, and the person it belongs to. */
struct fx_key {
	const char *name;
	const char *person; /* display name in trailers */
	const char *email; /* the email its approvals name by default */
};

/*
 * The cast.  Every key is an ed25519 key made by ssh-keygen.  The policy
 * (fx_policy_yaml) gives them their identities and roles.
 */
static const struct fx_key fx_keys[] = {
    {"alice", "Alice", "alice@example.com"}, /* developer */
    {"bob", "Bob", "bob@example.com"}, /* reviewer */
    {"carol", "Carol", "carol@example.com"}, /* reviewer, security */
    {"dave", "Dave", "dave@example.com"}, /* operations, reviewer */
    {"erin", "Erin", "erin@example.com"}, /* reviewer, two keys */
    {"erin2", "Erin", "erin@alt.example.com"}, /* erin's second key */
    {"frank", "Frank", "frank@example.com"}, /* reviewer, key revoked */
    {"gina", "Gina", "gina@example.com"}, /* reviewer, key expired */
    {"hank", "Hank", "hank@example.com"}, /* reviewer, key not yet valid */
    {"olive", "Olive", "olive@example.com"}, /* operations, admin */
    {"mallory", "Mallory", "mallory@evil.example"}, /* not in the policy */
};

/* How an approval is made; the odd kinds are forgeries and mistakes. */
enum fx_app_kind {
	FX_APP_OK = 0, /* over the library's payload of this commit */
	FX_APP_HAND, /* over a payload built by hand in the test */
	FX_APP_STALE, /* over a payload of some other change */
	FX_APP_NS_GIT, /* right payload, namespace "git" */
	FX_APP_NOSIG /* "Approved-by: Name <email>" without sshsig: */
};

struct fx_app {
	const char *key; /* signing key; NULL ends the list */
	const char *email; /* email written in the trailer; NULL: the key's */
	enum fx_app_kind kind;
};

/* A commit to make.  Unset fields take the defaults given. */
struct fx_spec {
	const char *author; /* key name of the author: "alice" */
	const char *committer; /* default: the author */
	const git_oid *parents[4]; /* NULL-terminated */
	bool merge_tree; /* start from the clean merge of parents 0 and 1 */
	const char *files[2 * FX_MAX_FILES]; /* path, content (NULL: delete) */
	const char *msg; /* default "change N\n" */
	struct fx_app approve[FX_MAX_APPROVALS];
	const char *sign; /* key that signs the commit, with namespace git */
	bool sign_stale; /* sign something else instead */
	const char *sign_ns; /* default "git" */
	int64_t when; /* default: increasing from 1700000000 */
};

struct fx {
	char dir[256]; /* temporary directory holding everything */
	char repo_dir[300];
	git_repository *repo;
	struct tk_policy *p;
	git_oid base; /* main's tip when the test starts */
	struct tk_buf updates; /* pre-receive lines */
	int64_t now;
	const char *pusher;
	const struct tk_freeze_state *freezes; /* ad hoc; NULL: none */
	const char *emergency; /* -o twokey.emergency=; NULL: none */
	unsigned serial; /* for default messages and dates */
	unsigned nrepo;
};

static const struct fx_key *
fx_key(const char *name)
{
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(fx_keys); i++)
		if (strcmp(fx_keys[i].name, name) == 0)
			return &fx_keys[i];
	fail_msg("no test key '%s'", name);
	return NULL;
}

/* Runs argv (no shell); fails the test unless it exits 0. */
static void
fx_run(char *const argv[])
{
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s %s %s failed (status %d)", argv[0], argv[1],
		    argv[2], st);
}

static char *
fx_read(const char *path, size_t *lenp)
{
	struct tk_buf b = TK_BUF_INIT(16 * 1024 * 1024);
	char chunk[4096];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(tk_buf_put(&b, chunk, n), 0);
	fclose(f);
	assert_int_equal(tk_buf_put(&b, "", 0), 0);
	if (lenp != NULL)
		*lenp = b.len;
	return tk_buf_detach(&b, NULL);
}

static void
fx_write(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The armoured SSHSIG of data by key with namespace ns (caller frees). */
static char *
fx_sign(
    struct fx *f, const char *key, const char *ns, const char *data, size_t len)
{
	char msg[400], sig[420], keyf[400];
	char *argv[] = {"ssh-keygen", "-q", "-Y", "sign", "-n", (char *)ns,
	    "-f", keyf, msg, NULL};
	char *out;

	snprintf(msg, sizeof(msg), "%s/tosign", f->dir);
	snprintf(sig, sizeof(sig), "%s/tosign.sig", f->dir);
	snprintf(keyf, sizeof(keyf), "%s/keys/%s", f->dir, key);
	(void)unlink(sig);
	fx_write(msg, data, len);
	fx_run(argv);
	out = fx_read(sig, NULL);
	(void)unlink(sig);
	return out;
}

/* The base64 between the armour lines, joined (caller frees). */
static char *
fx_dearmor(const char *armored)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	const char *s = strchr(armored, '\n'), *e;

	assert_non_null(s);
	for (s++; (e = strchr(s, '\n')) != NULL; s = e + 1) {
		if (strncmp(s, "-----END", 8) == 0)
			break;
		assert_int_equal(tk_buf_put(&b, s, (size_t)(e - s)), 0);
	}
	assert_int_equal(tk_buf_put(&b, "", 0), 0);
	return tk_buf_detach(&b, NULL);
}

/* Makes every key of the cast in dir/keys (once per test group). */
static void
fx_make_keys(const char *dir)
{
	char keys[300], path[400], comment[64];
	char *argv[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
	    comment, "-f", path, NULL};
	size_t i;

	snprintf(keys, sizeof(keys), "%s/keys", dir);
	assert_int_equal(mkdir(keys, 0700), 0);
	for (i = 0; i < TK_ARRAY_SIZE(fx_keys); i++) {
		snprintf(path, sizeof(path), "%s/%s", keys, fx_keys[i].name);
		snprintf(comment, sizeof(comment), "%s@test", fx_keys[i].name);
		fx_run(argv);
	}
}

/* The public key line of a test key, without its newline (caller frees) */
static char *
fx_pub(const struct fx *f, const char *key)
{
	char path[400], *s;

	snprintf(path, sizeof(path), "%s/keys/%s.pub", f->dir, key);
	s = fx_read(path, NULL);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/*
 * The policy: the cast's identities, then rules.  pusher.env names a
 * variable no test sets; tests name the pusher through tk_check_opts.
 */
static void
fx_policy(struct fx *f, const char *rules)
{
	struct tk_buf y = TK_BUF_INIT(1 << 20);
	char path[400], *errors = NULL;
	char *k[TK_ARRAY_SIZE(fx_keys)];
	size_t i;
	int rc;

	for (i = 0; i < TK_ARRAY_SIZE(fx_keys); i++)
		k[i] = fx_pub(f, fx_keys[i].name);
	(void)tk_buf_printf(&y,
	    "version: 1\n"
	    "roles: {developer: d, reviewer: r, security: s, operations: o, "
	    "admin: a}\n"
	    "identities:\n"
	    "  alice: {emails: [alice@example.com], logins: [alice], "
	    "keys: ['%s'], roles: [developer]}\n"
	    "  bob: {emails: [bob@example.com], logins: [bob], keys: ['%s'], "
	    "roles: [reviewer]}\n"
	    "  carol: {emails: [carol@example.com], logins: [carol], "
	    "keys: ['%s'], roles: [reviewer, security]}\n"
	    "  dave: {emails: [dave@example.com], logins: [dave], "
	    "keys: ['%s'], roles: [operations, reviewer]}\n"
	    "  erin: {emails: [erin@example.com, Erin@Alt.Example.com], "
	    "logins: [erin], keys: ['%s', '%s'], roles: [reviewer]}\n"
	    "  frank: {emails: [frank@example.com], logins: [frank], "
	    "keys: ['%s'], roles: [reviewer]}\n"
	    "  gina: {emails: [gina@example.com], logins: [gina], keys: "
	    "[{key: '%s', valid-after: 2019-01-01, valid-before: 2020-01-01}], "
	    "roles: [reviewer]}\n"
	    "  hank: {emails: [hank@example.com], logins: [hank], keys: "
	    "[{key: '%s', valid-after: 2099-01-01}], roles: [reviewer]}\n"
	    "  olive: {emails: [olive@example.com], logins: [olive], "
	    "keys: ['%s'], roles: [operations, admin]}\n"
	    "revoked-keys: ['%s']\n"
	    "pusher: {env: [TK_TEST_NO_SUCH_VARIABLE]}\n"
	    "rules:\n%s",
	    k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9], k[6],
	    rules);
	assert_int_equal(y.err, 0);
	snprintf(path, sizeof(path), "%s/policy.yaml", f->dir);
	fx_write(path, y.ptr, y.len);
	tk_policy_free(f->p);
	f->p = NULL;
	rc = tk_policy_load(&f->p, &errors, path);
	if (rc != 0)
		fail_msg("policy does not load: %s", errors ? errors : "?");
	for (i = 0; i < TK_ARRAY_SIZE(fx_keys); i++)
		free(k[i]);
	tk_buf_release(&y);
}

/* A signature for commits and trees: "Name <email> when +0000". */
static git_signature *
fx_person(const char *key, int64_t when)
{
	const struct fx_key *k = fx_key(key);
	git_signature *s = NULL;

	assert_int_equal(
	    git_signature_new(&s, k->person, k->email, when, 0), 0);
	return s;
}

/* Applies path/content pairs to base (NULL: empty tree). */
static void
fx_tree(
    struct fx *f, git_oid *out, const git_tree *base, const char *const *files)
{
	git_treebuilder *tb = NULL;
	git_oid blob;
	size_t i;

	assert_int_equal(git_treebuilder_new(&tb, f->repo, base), 0);
	for (i = 0; i < 2 * FX_MAX_FILES && files[i] != NULL; i += 2) {
		if (files[i + 1] == NULL) {
			assert_int_equal(
			    git_treebuilder_remove(tb, files[i]), 0);
			continue;
		}
		assert_int_equal(git_blob_create_from_buffer(&blob, f->repo,
		                     files[i + 1], strlen(files[i + 1])),
		    0);
		assert_int_equal(git_treebuilder_insert(NULL, tb, files[i],
		                     &blob, GIT_FILEMODE_BLOB),
		    0);
	}
	assert_int_equal(git_treebuilder_write(out, tb), 0);
	git_treebuilder_free(tb);
}

/* The tree a commit starts from: its first parent's, or a clean merge. */
static git_tree *
fx_start_tree(struct fx *f, const struct fx_spec *s, git_commit **parents)
{
	git_index *idx = NULL;
	git_tree *t = NULL;
	git_oid id;

	if (parents[0] == NULL)
		return NULL;
	if (!s->merge_tree) {
		assert_int_equal(git_commit_tree(&t, parents[0]), 0);
		return t;
	}
	assert_non_null(parents[1]);
	assert_int_equal(
	    git_merge_commits(&idx, f->repo, parents[0], parents[1], NULL), 0);
	assert_false(git_index_has_conflicts(idx));
	assert_int_equal(git_index_write_tree_to(&id, idx, f->repo), 0);
	assert_int_equal(git_tree_lookup(&t, f->repo, &id), 0);
	git_index_free(idx);
	return t;
}

/*
 * The approval payload as the format defines it, built here from the raw
 * commit text without the library: magic line, tree, parents, the author
 * header value byte for byte, a blank line, then the message with every
 * Approved-by line of its last paragraph (and their continuation lines)
 * removed, trailing blank lines removed, and one final newline.  Enough
 * for the messages these tests write (LF line ends, no CR).
 */
static void
fx_payload_by_hand(struct tk_buf *out, const char *raw)
{
	const char *body = strstr(raw, "\n\n"), *s, *e, *last;
	size_t keep;
	bool skip = false;

	assert_non_null(body);
	assert_int_equal(tk_buf_puts(out, "twokey-approval v1\n"), 0);
	for (s = raw; s <= body; s = e + 1) {
		e = strchr(s, '\n');
		if (strncmp(s, "tree ", 5) == 0 ||
		    strncmp(s, "parent ", 7) == 0 ||
		    strncmp(s, "author ", 7) == 0)
			assert_int_equal(
			    tk_buf_put(out, s, (size_t)(e - s) + 1), 0);
	}
	assert_int_equal(tk_buf_putc(out, '\n'), 0);
	body += 2;
	/* the last paragraph starts after the last blank line with text
	 * after it */
	last = body;
	for (s = body; (e = strstr(s, "\n\n")) != NULL; s = e + 1)
		if (e[2] != '\0' && e[2] != '\n')
			last = e + 2;
	keep = out->len;
	assert_int_equal(tk_buf_put(out, body, (size_t)(last - body)), 0);
	for (s = last; *s != '\0'; s = e + 1) {
		e = strchr(s, '\n');
		if (e == NULL)
			e = s + strlen(s) - 1;
		if (strncasecmp(s, "approved-by:", 12) == 0)
			skip = true;
		else if (!(skip && (*s == ' ' || *s == '\t')))
			skip = false;
		if (!skip)
			assert_int_equal(
			    tk_buf_put(out, s, (size_t)(e - s) + 1), 0);
	}
	while (out->len > keep && out->ptr[out->len - 1] == '\n')
		out->len--;
	out->ptr[out->len] = '\0';
	assert_int_equal(tk_buf_putc(out, '\n'), 0);
}

/* The library's approval payload of the raw commit text. */
static void
fx_payload(struct tk_buf *out, const char *raw, size_t len)
{
	struct tk_commit *c = NULL;

	assert_int_equal(tk_commit_parse(&c, raw, len, GIT_OID_HEXSZ), 0);
	assert_int_equal(tk_trailer_approval_payload(out, c), 0);
	tk_commit_free(c);
}

/* Appends one Approved-by trailer for the commit whose text is raw. */
static void
fx_approve(struct fx *f, struct tk_buf *msg, const struct fx_app *a,
    const char *raw, size_t len)
{
	struct tk_buf pl = TK_BUF_INIT(1 << 24);
	const struct fx_key *k = fx_key(a->key);
	const char *ns = "twokey-approval";
	char *armored, *b64;

	if (a->kind == FX_APP_NOSIG) {
		(void)tk_buf_printf(msg, "Approved-by: %s <%s>\n", k->person,
		    a->email ? a->email : k->email);
		return;
	}
	if (a->kind == FX_APP_HAND)
		fx_payload_by_hand(&pl, raw);
	else
		fx_payload(&pl, raw, len);
	if (a->kind == FX_APP_STALE)
		assert_int_equal(tk_buf_puts(&pl, "one more line\n"), 0);
	if (a->kind == FX_APP_NS_GIT)
		ns = "git";
	armored = fx_sign(f, a->key, ns, pl.ptr, pl.len);
	b64 = fx_dearmor(armored);
	(void)tk_buf_printf(msg, "Approved-by: %s <%s> sshsig:%s\n", k->person,
	    a->email ? a->email : k->email, b64);
	free(b64);
	free(armored);
	tk_buf_release(&pl);
}

/* The raw text of a commit as libgit2 would write it (caller frees). */
static git_buf
fx_commit_text(struct fx *f, const struct fx_spec *s, const git_tree *tree,
    git_commit **parents, size_t np, const char *msg, int64_t when)
{
	git_signature *a = fx_person(s->author, when);
	git_signature *c =
	    fx_person(s->committer ? s->committer : s->author, when);
	git_buf raw = GIT_BUF_INIT;

	assert_int_equal(git_commit_create_buffer(&raw, f->repo, a, c, NULL,
	                     msg, tree, np, (const git_commit **)parents),
	    0);
	git_signature_free(a);
	git_signature_free(c);
	return raw;
}

/*
 * Makes the commit s describes: tree, approvals signed over its payload
 * (the trailer block is the message's last paragraph), then the commit
 * signature over the final object.
 */
static void
fx_commit(struct fx *f, git_oid *out, const struct fx_spec *s)
{
	git_commit *parents[5] = {NULL};
	git_tree *base = NULL, *tree = NULL;
	git_buf raw = GIT_BUF_INIT;
	struct tk_buf msg = TK_BUF_INIT(1 << 24);
	git_oid tid;
	char *sig = NULL;
	size_t np, i;
	int64_t when = 1700000000 + 60 * ++f->serial;

	if (s->when != 0)
		when = s->when;

	for (np = 0; np < 4 && s->parents[np] != NULL; np++)
		assert_int_equal(
		    git_commit_lookup(&parents[np], f->repo, s->parents[np]),
		    0);
	base = fx_start_tree(f, s, parents);
	fx_tree(f, &tid, base, s->files);
	assert_int_equal(git_tree_lookup(&tree, f->repo, &tid), 0);
	if (s->msg != NULL)
		assert_int_equal(tk_buf_puts(&msg, s->msg), 0);
	else
		(void)tk_buf_printf(&msg, "change %u\n", f->serial);
	if (s->approve[0].key != NULL) {
		raw = fx_commit_text(f, s, tree, parents, np, msg.ptr, when);
		assert_int_equal(tk_buf_putc(&msg, '\n'), 0);
		for (i = 0; i < FX_MAX_APPROVALS && s->approve[i].key; i++)
			fx_approve(f, &msg, &s->approve[i], raw.ptr, raw.size);
		git_buf_dispose(&raw);
	}
	assert_int_equal(msg.err, 0);
	raw = fx_commit_text(f, s, tree, parents, np, msg.ptr, when);
	if (s->sign != NULL) {
		if (s->sign_stale)
			sig =
			    fx_sign(f, s->sign, "git", "something else\n", 15);
		else
			sig = fx_sign(f, s->sign,
			    s->sign_ns ? s->sign_ns : "git", raw.ptr, raw.size);
		/* git's header has no final newline in the value */
		sig[strlen(sig) - 1] = '\0';
	}
	assert_int_equal(
	    git_commit_create_with_signature(out, f->repo, raw.ptr, sig, NULL),
	    0);
	free(sig);
	git_buf_dispose(&raw);
	tk_buf_release(&msg);
	git_tree_free(tree);
	git_tree_free(base);
	for (i = 0; i < np; i++)
		git_commit_free(parents[i]);
}

#define FX_COMMIT(f, out, ...)                                                 \
	fx_commit((f), (out), &(const struct fx_spec){__VA_ARGS__})

static void
fx_ref(struct fx *f, const char *name, const git_oid *id)
{
	git_reference *r = NULL;

	assert_int_equal(
	    git_reference_create(&r, f->repo, name, id, 1, "test"), 0);
	git_reference_free(r);
}

/* Adds the pre-receive line "old new ref"; NULL ids are zero. */
static void
fx_update(
    struct fx *f, const char *ref, const git_oid *old, const git_oid *new_)
{
	char o[GIT_OID_HEXSZ + 1], n[GIT_OID_HEXSZ + 1];

	memset(o, '0', GIT_OID_HEXSZ);
	memset(n, '0', GIT_OID_HEXSZ);
	o[GIT_OID_HEXSZ] = n[GIT_OID_HEXSZ] = '\0';
	if (old != NULL)
		git_oid_tostr(o, sizeof(o), old);
	if (new_ != NULL)
		git_oid_tostr(n, sizeof(n), new_);
	assert_int_equal(
	    tk_buf_printf(&f->updates, "%s %s %s\n", o, n, ref), 0);
}

/*
 * A new bare repository for one test: main holds one commit by alice
 * (f->base), as if pushed long ago.
 */
static void
fx_repo(struct fx *f)
{
	git_repository_free(f->repo);
	snprintf(
	    f->repo_dir, sizeof(f->repo_dir), "%s/repo%u", f->dir, f->nrepo++);
	assert_int_equal(git_repository_init(&f->repo, f->repo_dir, 1), 0);
	tk_buf_reset(&f->updates);
	f->now = FX_NOW;
	f->freezes = NULL;
	f->emergency = NULL;
	f->pusher = "dave";
	f->serial = 0;
	FX_COMMIT(f, &f->base, .author = "alice", .msg = "base\n",
	    .files = {"README", "base\n", "shared.txt", "one\ntwo\nthree\n"});
	fx_ref(f, "refs/heads/main", &f->base);
}

/* Decides the updates added so far; the caller releases the report. */
static int
fx_check(struct fx *f, struct tk_report *r)
{
	struct tk_check_opts o = TK_CHECK_OPTS_INIT;
	struct tk_updates u;
	int rc;

	memset(&u, 0, sizeof(u));
	memset(r, 0, sizeof(*r));
	assert_int_equal(
	    tk_updates_parse(
	        &u, f->updates.ptr ? f->updates.ptr : "", f->updates.len),
	    0);
	o.pusher_login = f->pusher;
	o.now = f->now;
	o.freezes = f->freezes;
	o.emergency = f->emergency;
	rc = tk_check_run(r, f->repo, f->p, &u, &o);
	tk_updates_release(&u);
	return rc;
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *t = getenv("TMPDIR");

	if (f == NULL || git_libgit2_init() < 0)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/tk-engine-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	tk_buf_init(&f->updates, 1 << 20);
	fx_make_keys(f->dir);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	char *argv[] = {"rm", "-rf", f->dir, NULL};

	git_repository_free(f->repo);
	tk_policy_free(f->p);
	tk_buf_release(&f->updates);
	if (strstr(f->dir, "tk-engine-") != NULL)
		fx_run(argv);
	free(f);
	git_libgit2_shutdown();
	return 0;
}

#endif
