/*
 * Unit tests for the compiled policy (lib/policy/compiled*.c): every
 * policy of config/ and of the policy fuzz corpus (drawn from the tests'
 * own policies) compiles to a form that loads to the same policy, judged
 * four ways (the writer's bytes again, the access report, the diff and
 * the warnings, every lookup); a compiled form whose header names other
 * bytes, with any one byte changed, or cut short is refused; and the
 * file checks of tk_policy_load_fast (stale, not owned, writable by
 * others, damaged) fall back to the YAML.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "twokey/digest.h"
#include "twokey/policy.h"
#include "twokey/review.h"
#include "twokey/sshsig.h"

static const char *const refs[] = {"refs/heads/main", "refs/heads/dev",
    "refs/tags/v1.0", "refs/heads/release/1.x", "refs/notes/twokey"};

/* A policy that sets every section the loader knows. */
static const char rich[] =
    "version: 1\n"
    "roles: {dev: d, rev: r, sec: s, rel: x}\n"
    "identities:\n"
    "  alice:\n"
    "    name: Alice A\n"
    "    emails: [Alice@Example.com, a2@example.com]\n"
    "    logins: [alice, aa]\n"
    "    keys:\n"
    "      - ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIOQ47Z1mJ4wqxUxm7O90JizW3NF1yjEQ5/dT/7a7d3aw "
    "k1\n"
    "      - key: ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAICpB8nQhEznn4VInozkLc5QUJjZ4+FsbW8bwRW9NqtVX\n"
    "        valid-after: 2026-01-01\n"
    "        valid-before: 2027-01-01T12:30:00Z\n"
    "    roles: [dev, rel]\n"
    "  bob:\n"
    "    emails: [bob@example.com]\n"
    "    logins: [bob]\n"
    "    roles: [rev, sec]\n"
    "  carol: {emails: [carol@example.com], roles: [sec]}\n"
    "revoked-keys:\n"
    "  - ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAINke02exB3UG6Rfc1pUb5dpcWkwqg2n3YKtSNLxSMr7X\n"
    "pusher: {env: [GL_USER, REMOTE_USER]}\n"
    "rules:\n"
    "  - name: mainline\n"
    "    refs: 'refs/heads/(main|release/.+)'\n"
    "    update: [rel]\n"
    "    create: [rel, sec]\n"
    "    delete: []\n"
    "    force-push: [sec]\n"
    "    approvals:\n"
    "      min: 2\n"
    "      from: [rev, sec]\n"
    "      require: {sec: 1}\n"
    "    signed-commits: true\n"
    "    pusher-may-approve: false\n"
    "    pusher-may-write: false\n"
    "    paths:\n"
    "      - match: 'infra/**'\n"
    "        approvals: {min: 1, from: [sec], require: {sec: 1}}\n"
    "        writers: [rel]\n"
    "      - match: 'docs/*.md'\n"
    "        writers: [dev]\n"
    "    require-trailers: {Ticket: 'ABC-[0-9]+'}\n"
    "    emails: '.*@example[.]com'\n"
    "    emergency:\n"
    "      by: [sec]\n"
    "      reason: 'INC-[0-9]+ .*'\n"
    "      waive: [approvals, freeze]\n"
    "      ratify: {within: 2d, overdue: block, min: 1, from: [sec]}\n"
    "  - name: dev\n"
    "    refs: 'refs/heads/dev'\n"
    "    promote-from: 'refs/heads/main'\n"
    "    mode: warn\n"
    "  - refs: '.*'\n"
    "audit:\n"
    "  path: /var/log/twokey/audit.jsonl\n"
    "  key-file: /etc/twokey/audit.key\n"
    "  syslog: true\n"
    "  node: node-1\n"
    "freezes:\n"
    "  - name: year-end\n"
    "    refs: 'refs/heads/main'\n"
    "    from: 2026-12-20\n"
    "    until: 2027-01-04T08:00:00Z\n"
    "    reason: the year-end freeze\n"
    "freeze-file: /var/lib/twokey/freezes\n"
    "trusted-history:\n"
    "  - 0123456789abcdef0123456789abcdef01234567\n";

static struct tk_policy *
yaml(const char *name, const char *text, size_t len)
{
	struct tk_policy *p = NULL;
	char *err = NULL;

	if (tk_policy_load_buffer(&p, &err, name, text, len) != 0) {
		free(err);
		return NULL;
	}
	return p;
}

static char *
compile(const struct tk_policy *p, size_t *len)
{
	struct tk_buf b = TK_BUF_INIT(TK_POLICY_COMPILED_MAX);
	char *s;

	assert_int_equal(tk_policy_compile(&b, p), 0);
	s = tk_buf_detach(&b, len);
	tk_buf_release(&b);
	return s;
}

static void
sha_of(unsigned char sha[32], const struct tk_policy *p)
{
	unsigned i;

	for (i = 0; i < 32; i++) {
		unsigned v;

		assert_int_equal(sscanf(p->sha256 + 2 * i, "%2x", &v), 1);
		sha[i] = (unsigned char)v;
	}
}

static char *
report(const struct tk_policy *p)
{
	struct tk_report_meta m = {"p.yaml", "repo", INT64_C(1767225600)};
	struct tk_access *a = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(tk_access_build(&a, p, refs, TK_ARRAY_SIZE(refs)), 0);
	assert_non_null(f = open_memstream(&text, &len));
	assert_int_equal(tk_access_report(f, a, TK_REPORT_JSON, &m), 0);
	fclose(f);
	tk_access_free(a);
	return text;
}

static void
same_warnings(const struct tk_policy *a, const struct tk_policy *b)
{
	struct tk_review_opts o = {
	    INT64_C(1767225600), refs, TK_ARRAY_SIZE(refs)};
	struct tk_warnings wa = {NULL, 0}, wb = {NULL, 0};
	size_t i;

	assert_int_equal(tk_policy_warn(&wa, a, &o), 0);
	assert_int_equal(tk_policy_warn(&wb, b, &o), 0);
	assert_int_equal(wa.n, wb.n);
	for (i = 0; i < wa.n; i++) {
		assert_int_equal(wa.items[i].line, wb.items[i].line);
		assert_int_equal(wa.items[i].col, wb.items[i].col);
		assert_string_equal(wa.items[i].msg, wb.items[i].msg);
	}
	tk_warnings_release(&wa);
	tk_warnings_release(&wb);
}

/* Every lookup of b finds the counterpart of what a's finds. */
static void
same_lookups(const struct tk_policy *a, const struct tk_policy *b)
{
	const struct tk_identity *x, *y;
	size_t i, j;

	assert_int_equal(a->nidentities, b->nidentities);
	for (i = 0; i < a->nidentities; i++) {
		x = a->identities[i];
		y = b->identities[i];
		for (j = 0; j < x->nemails; j++)
			assert_ptr_equal(tk_policy_by_email(b, x->emails[j],
			                     strlen(x->emails[j])),
			    y);
		for (j = 0; j < x->nlogins; j++)
			assert_ptr_equal(tk_policy_by_login(b, x->logins[j],
			                     strlen(x->logins[j])),
			    y);
		for (j = 0; j < x->nkeys; j++) {
			assert_ptr_equal(
			    tk_policy_by_key(b, x->keys[j]->key), y->keys[j]);
			assert_ptr_equal(y->keys[j]->owner, y);
			assert_string_equal(
			    tk_sshkey_fingerprint(x->keys[j]->key),
			    tk_sshkey_fingerprint(y->keys[j]->key));
		}
	}
	assert_int_equal(a->nrevoked, b->nrevoked);
	for (i = 0; i < a->nrevoked; i++)
		assert_true(tk_policy_key_revoked(b, a->revoked[i]->key));
	for (i = 0; i < TK_ARRAY_SIZE(refs); i++) {
		const struct tk_rule *ra = NULL, *rb = NULL;

		assert_int_equal(tk_policy_match(&ra, a, refs[i]),
		    tk_policy_match(&rb, b, refs[i]));
		if (ra != NULL)
			assert_string_equal(ra->name, rb->name);
	}
}

/*
 * p (from YAML) compiles, and the compiled form loads to the same policy.
 * Returns how many policies were compared (1).
 */
static int
round_trip(const struct tk_policy *p)
{
	struct tk_changes c = {NULL, 0, 0, 0};
	struct tk_review_opts o = {
	    INT64_C(1767225600), refs, TK_ARRAY_SIZE(refs)};
	struct tk_policy *q = NULL;
	unsigned char sha[32];
	char *bin, *bin2, *ra, *rb;
	size_t len, len2;

	bin = compile(p, &len);
	sha_of(sha, p);
	if (tk_policy_compiled_read(
	        &q, p->path, (unsigned char *)bin, len, sha) != 0)
		fail_msg(
		    "%s: compiled form refused: %s", p->path, tk_error_last());
	assert_string_equal(q->sha256, p->sha256);
	assert_string_equal(q->path, p->path);
	/* 1: the writer sees every field it wrote, unchanged */
	bin2 = compile(q, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(bin, bin2, len);
	/* 2: the access report, from roles resolved into people */
	ra = report(p);
	rb = report(q);
	assert_string_equal(ra, rb);
	/* 3: the policy diff finds nothing, 4: the same warnings */
	assert_int_equal(tk_policy_diff(&c, p, q, &o), 0);
	assert_int_equal(c.nwidens + c.nnarrows, 0);
	tk_changes_release(&c);
	same_warnings(p, q);
	same_lookups(p, q);
	free(ra);
	free(rb);
	free(bin);
	free(bin2);
	tk_policy_free(q);
	return 1;
}

static void
test_compiled__rich(void **state)
{
	struct tk_policy *p = yaml("rich.yaml", rich, strlen(rich));

	(void)state;
	assert_non_null(p);
	/* the sections this test means to cover are there */
	assert_int_equal(p->nfreezes, 1);
	assert_int_equal(p->ntrusted, 1);
	assert_non_null(p->rules[0]->emergency);
	assert_int_equal(p->rules[0]->npaths, 2);
	assert_int_equal(p->nrevoked, 1);
	assert_non_null(p->audit_node);
	round_trip(p);
	tk_policy_free(p);
}

static char *
slurp(const char *path, size_t *len)
{
	struct tk_buf b = TK_BUF_INIT(TK_POLICY_MAX_SIZE);
	char chunk[8192], *s;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(tk_buf_put(&b, chunk, n), 0);
	fclose(f);
	s = tk_buf_detach(&b, len);
	tk_buf_release(&b);
	return s;
}

/* Every file of dir that loads as a policy round-trips; returns how many. */
static int
each_policy(const char *dir, const char *suffix)
{
	char path[4096], *text;
	struct tk_policy *p;
	struct dirent *e;
	size_t len, sl = strlen(suffix);
	int n = 0;
	DIR *d;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL) {
		size_t nl = strlen(e->d_name);

		if (e->d_name[0] == '.' || nl < sl ||
		    strcmp(e->d_name + nl - sl, suffix) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((text = slurp(path, &len)) == NULL)
			continue;
		if ((p = yaml(path, text, len)) != NULL) {
			n += round_trip(p);
			tk_policy_free(p);
		}
		free(text);
	}
	closedir(d);
	return n;
}

static void
test_compiled__config_and_tests(void **state)
{
	const char *data = getenv("TK_TEST_DATA");
	char dir[4096];
	int n;

	(void)state;
	assert_non_null(data);
	snprintf(dir, sizeof(dir), "%s/../../config", data);
	assert_true(each_policy(dir, ".yaml") >= 2);
	/* the policies of the tests, as the policy fuzz corpus holds them */
	snprintf(dir, sizeof(dir), "%s/../fuzz/corpus/policy", data);
	n = each_policy(dir, "");
	print_message("%d policies of the fuzz corpus round-trip\n", n);
	assert_true(n >= 10);
}

/* Any one byte changed, or any shorter length: refused, never misread. */
static void
test_compiled__damage(void **state)
{
	struct tk_policy *p = yaml("rich.yaml", rich, strlen(rich)), *q;
	unsigned char sha[32], other[32];
	size_t len, i;
	char *bin;

	(void)state;
	assert_non_null(p);
	bin = compile(p, &len);
	sha_of(sha, p);
	for (i = 0; i < len; i++) {
		bin[i] ^= 0x01;
		q = NULL;
		if (tk_policy_compiled_read(
		        &q, "x", (unsigned char *)bin, len, sha) == 0)
			fail_msg("byte %zu changed, still accepted", i);
		assert_null(q);
		bin[i] ^= 0x01;
	}
	for (i = 0; i < len; i++) {
		q = NULL;
		assert_int_not_equal(tk_policy_compiled_read(
		                         &q, "x", (unsigned char *)bin, i, sha),
		    0);
		assert_null(q);
	}
	/* stale: compiled from other bytes */
	memcpy(other, sha, sizeof(other));
	other[31] ^= 0x80;
	assert_int_equal(
	    tk_policy_compiled_read(&q, "x", (unsigned char *)bin, len, other),
	    TK_EINVAL);
	assert_non_null(strstr(tk_error_last(), "stale"));
	assert_int_equal(
	    tk_policy_compiled_check((unsigned char *)bin, len, sha), 0);
	free(bin);
	tk_policy_free(p);
}

/*
 * Header and checksum sealed over a hostile body: the reader stays in
 * bounds and refuses what the writer would not have written.
 */
static void
seal(struct tk_buf *out, const unsigned char sha[32], const void *body,
    size_t blen)
{
	const char *tag = tk_policy_compiled_tag();
	unsigned char bsha[32], n[8];
	uint32_t v;
	size_t i;

	tk_buf_reset(out);
	assert_int_equal(tk_buf_put(out, "TWOKEYPC\1\0\0\0", 12), 0);
	v = (uint32_t)strlen(tag);
	for (i = 0; i < 4; i++)
		n[i] = (unsigned char)(v >> (8 * i));
	assert_int_equal(tk_buf_put(out, n, 4), 0);
	assert_int_equal(tk_buf_put(out, tag, strlen(tag)), 0);
	assert_int_equal(tk_buf_put(out, sha, 32), 0);
	for (i = 0; i < 8; i++)
		n[i] = (unsigned char)((uint64_t)blen >> (8 * i));
	assert_int_equal(tk_buf_put(out, n, 8), 0);
	assert_int_equal(tk_sha256(bsha, body, blen), 0);
	assert_int_equal(tk_buf_put(out, bsha, 32), 0);
	assert_int_equal(tk_buf_put(out, body, blen), 0);
}

static void
test_compiled__strict_body(void **state)
{
	struct tk_policy *p = yaml("rich.yaml", rich, strlen(rich)), *q;
	struct tk_buf b = TK_BUF_INIT(1 << 24);
	unsigned char sha[32];
	size_t len, hlen, i;
	char *bin, *body;
	int accepted = 0;

	(void)state;
	assert_non_null(p);
	bin = compile(p, &len);
	sha_of(sha, p);
	hlen = 12 + 4 + strlen(tk_policy_compiled_tag()) + 32 + 8 + 32;
	assert_true(len > hlen);
	/* the seal reproduces the writer's header exactly */
	seal(&b, sha, bin + hlen, len - hlen);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.ptr, bin, len);
	body = malloc(len - hlen);
	assert_non_null(body);
	/* each body byte set to 0xff, resealed: in bounds, and when read,
	 * written back the same (nothing normalised away) */
	for (i = 0; i < len - hlen; i++) {
		memcpy(body, bin + hlen, len - hlen);
		body[i] = (char)0xff;
		seal(&b, sha, body, len - hlen);
		q = NULL;
		if (tk_policy_compiled_read(
		        &q, "x", (unsigned char *)b.ptr, b.len, sha) == 0) {
			size_t l2;
			char *again = compile(q, &l2);

			assert_int_equal(l2, b.len);
			assert_memory_equal(again, b.ptr, l2);
			free(again);
			accepted++;
		}
		tk_policy_free(q);
	}
	/* a position or a count's high byte may take any value: not most */
	print_message("%d of %zu bytes may be 0xff\n", accepted, len - hlen);
	assert_true(accepted < (int)(len - hlen) / 2);
	free(body);
	free(bin);
	tk_buf_release(&b);
	tk_policy_free(p);
}

static void
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd;

	(void)unlink(path);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static enum tk_compiled_use
load_fast(const char *path, int *rules)
{
	enum tk_compiled_use use;
	struct tk_policy *p = NULL;
	char *err = NULL, *why = NULL;

	assert_int_equal(tk_policy_load_fast(&p, &err, &use, &why, path), 0);
	assert_null(err);
	assert_true((use == TK_COMPILED_IGNORED) == (why != NULL));
	*rules = (int)p->nrules;
	tk_policy_free(p);
	free(why);
	return use;
}

static void
test_compiled__files(void **state)
{
	const char *t = getenv("TMPDIR");
	char dir[4096], path[4200], cpath[4300], *err = NULL, *out = NULL;
	char *bin;
	size_t len;
	struct stat st;
	int rules;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tk-compiled-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	snprintf(cpath, sizeof(cpath), "%s.compiled", path);
	write_file(path, rich, strlen(rich), 0644);

	/* absent: the YAML */
	assert_int_equal(load_fast(path, &rules), TK_COMPILED_ABSENT);
	assert_int_equal(rules, 3);
	/* compiled: used; mode without group/other write */
	assert_int_equal(tk_policy_compile_file(&err, &out, path), 0);
	assert_string_equal(out, cpath);
	free(out);
	assert_int_equal(stat(cpath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(load_fast(path, &rules), TK_COMPILED_USED);
	assert_int_equal(rules, 3);
	/* writable by others: ignored */
	assert_int_equal(chmod(cpath, 0646), 0);
	assert_int_equal(load_fast(path, &rules), TK_COMPILED_IGNORED);
	assert_int_equal(chmod(cpath, 0644), 0);
	assert_int_equal(load_fast(path, &rules), TK_COMPILED_USED);
	/* group-writable as the policy is, but by another group: ignored */
	if (geteuid() == 0) {
		assert_int_equal(chmod(path, 0664), 0);
		assert_int_equal(chmod(cpath, 0664), 0);
		assert_int_equal(chown(path, 0, 0), 0);
		assert_int_equal(chown(cpath, 0, 1), 0);
		assert_int_equal(load_fast(path, &rules), TK_COMPILED_IGNORED);
		assert_int_equal(chown(cpath, 0, 0), 0);
		assert_int_equal(load_fast(path, &rules), TK_COMPILED_USED);
		assert_int_equal(chmod(path, 0644), 0);
		assert_int_equal(chmod(cpath, 0644), 0);
	}
	/* the policy edited after compiling: stale, the edit decides */
	bin = slurp(cpath, &len);
	assert_non_null(bin);
	write_file(path, rich, strlen(rich) - 62, 0644); /* no trusted */
	assert_int_equal(load_fast(path, &rules), TK_COMPILED_IGNORED);
	/* damaged: ignored, never an error */
	write_file(path, rich, strlen(rich), 0644);
	assert_int_equal(load_fast(path, &rules), TK_COMPILED_USED);
	bin[len / 2] ^= 0x20;
	write_file(cpath, bin, len, 0644);
	assert_int_equal(load_fast(path, &rules), TK_COMPILED_IGNORED);
	assert_int_equal(rules, 3);
	/* a directory in its place: ignored */
	assert_int_equal(unlink(cpath), 0);
	assert_int_equal(mkdir(cpath, 0755), 0);
	assert_int_equal(load_fast(path, &rules), TK_COMPILED_IGNORED);
	assert_int_equal(rmdir(cpath), 0);
	/* an invalid policy does not compile and leaves nothing */
	write_file(path, "version: 1\nbogus: 1\n", 20, 0644);
	assert_int_not_equal(tk_policy_compile_file(&err, &out, path), 0);
	assert_non_null(err);
	assert_null(out);
	free(err);
	assert_int_equal(stat(cpath, &st), -1);
	assert_int_equal(errno, ENOENT);
	free(bin);
	(void)unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compiled__rich),
	    cmocka_unit_test(test_compiled__config_and_tests),
	    cmocka_unit_test(test_compiled__damage),
	    cmocka_unit_test(test_compiled__strict_body),
	    cmocka_unit_test(test_compiled__files),
	};

	if (tk_crypto_init(false) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
