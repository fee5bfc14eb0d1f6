/*
 * Unit tests for the policy loader (twokey-policy(5)):
 * a valid policy and its defaults, every refusal with its exact
 * "file:line:column:" prefix and key path, file-level limits, and the
 * identity lookups, including a policy of 10,000 identities.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "internal.h"
#include "twokey/policy.h"
#include "twokey/sshsig.h"

/* Throw-away public keys (ssh-keygen -t ed25519 / -t rsa -b 1024). */
#define K1_B64                                                                 \
	"AAAAC3NzaC1lZDI1NTE5AAAAIOQ47Z1mJ4wqxUxm7O90JizW3NF1yjEQ5/dT/7a7d3aw"
#define K1_BODY "ssh-ed25519 " K1_B64
#define K2_BODY                                                                \
	"ssh-ed25519 "                                                         \
	"AAAAC3NzaC1lZDI1NTE5AAAAICpB8nQhEznn4VInozkLc5QUJjZ4+FsbW8bwRW9NqtVX"
#define K3_BODY                                                                \
	"ssh-ed25519 "                                                         \
	"AAAAC3NzaC1lZDI1NTE5AAAAINke02exB3UG6Rfc1pUb5dpcWkwqg2n3YKtSNLxSMr7X"
#define K4_BODY                                                                \
	"ssh-ed25519 "                                                         \
	"AAAAC3NzaC1lZDI1NTE5AAAAIAnPpz3UsRFQE8PfVY2xI1g95SXM8I5S7d/Vs5VvPXTg"
#define K1 K1_BODY " k1"
#define K2 K2_BODY " k2"
#define K3 K3_BODY " k3"
#define RSA1024                                                                \
	"ssh-rsa "                                                             \
	"AAAAB3NzaC1yc2EAAAADAQABAAAAgQDW37jvxs9fpx3BIsQoiYP+rb8n/ij+wY/"      \
	"P6eV8mP6sivld2FuD9kjnXRLi48zBjYMV2uNfAodFMukUUIO1xvYi9PZJP4eknOvw/"   \
	"13ToLGbAKSHe0V5fnbeQgAfXteC2xe3GGZETu/"                               \
	"5CUCyiud83plDv8xK4C8n04arQdf93JMTxQ== rsa1024"
#define DSS "ssh-dss AAAAB3NzaC1kc3MAAACBAOZbAAAA dsa"

/* Two lines: every refusal test below counts from line 3. */
#define HDR                                                                    \
	"version: 1\n"                                                         \
	"roles: {dev: d, rev: r, sec: s, ops: o}\n"

#define D_2026_01_01 INT64_C(1767225600)
#define D_2026_01_01_1230 INT64_C(1767270600)
#define D_2027_01_01 INT64_C(1798761600)

static int
load(struct tk_policy **p, char **err, const char *yaml)
{
	return tk_policy_load_buffer(p, err, "p.yaml", yaml, strlen(yaml));
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* True when want starts one of the lines of text. */
static bool
has_line(const char *text, const char *want)
{
	const char *s = text;
	size_t n = strlen(want);

	for (;;) {
		if (strncmp(s, want, n) == 0)
			return true;
		if ((s = strchr(s, '\n')) == NULL || *++s == '\0')
			return false;
	}
}

static void
check_errors(int rc, struct tk_policy *p, char *err, const char *yaml,
    size_t nwant, const char *const *want)
{
	size_t i;

	if (rc != TK_ECONFIG || p != NULL || err == NULL) {
		fprintf(stderr, "policy:\n%s\nrc=%d errors:\n%s\n", yaml, rc,
		    err ? err : "(null)");
		fail_msg("expected TK_ECONFIG");
	}
	for (i = 0; i < nwant; i++)
		if (!has_line(err, want[i])) {
			fprintf(
			    stderr, "policy:\n%s\nerrors:\n%s\n", yaml, err);
			fail_msg("missing error line '%s'", want[i]);
		}
}

/*
 * Loads yaml (length len), expects TK_ECONFIG and exactly the given error
 * lines (each a line prefix), as many lines as given.
 */
static void
refuse_n(const char *yaml, size_t len, const char *first, ...)
{
	const char *want[64];
	struct tk_policy *p = NULL;
	char *err = NULL;
	size_t n = 0;
	va_list ap;
	int rc;

	va_start(ap, first);
	for (const char *w = first; w != NULL; w = va_arg(ap, const char *))
		want[n++] = w;
	va_end(ap);
	rc = tk_policy_load_buffer(&p, &err, "p.yaml", yaml, len);
	check_errors(rc, p, err, yaml, n, want);
	if (count_lines(err) != n) {
		fprintf(stderr, "policy:\n%s\nerrors:\n%s\n", yaml, err);
		fail_msg(
		    "expected %zu error lines, got %zu", n, count_lines(err));
	}
	free(err);
	tk_policy_free(p);
}

#define refuse(yaml, ...) refuse_n((yaml), strlen(yaml), __VA_ARGS__, NULL)

static struct tk_policy *
accept_yaml(const char *yaml)
{
	struct tk_policy *p = NULL;
	char *err = NULL;
	int rc = load(&p, &err, yaml);

	if (rc != 0) {
		fprintf(stderr, "policy:\n%s\nrc=%d errors:\n%s\n", yaml, rc,
		    err ? err : "(null)");
		fail_msg("policy refused");
	}
	assert_null(err);
	assert_non_null(p);
	return p;
}

static unsigned
role(const struct tk_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nroles; i++)
		if (strcmp(p->roles[i], name) == 0)
			return (unsigned)i;
	fail_msg("no role '%s'", name);
	return 0;
}

static char *
format_roles(const struct tk_policy *p, const struct tk_roleset *s)
{
	struct tk_buf b = TK_BUF_INIT(4096);
	char *out;

	assert_int_equal(tk_roleset_format(&b, p, s), 0);
	out = tk_buf_detach(&b, NULL);
	tk_buf_release(&b);
	return out;
}

static void
assert_roles(
    const struct tk_policy *p, const struct tk_roleset *s, const char *want)
{
	char *got = format_roles(p, s);

	assert_string_equal(got, want);
	free(got);
}

static struct tk_sshkey *
parse_key(const char *line)
{
	struct tk_sshkey *k = NULL;

	assert_int_equal(tk_sshkey_parse_line(&k, line), 0);
	return k;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- valid policies ---- */

static const char full_policy[] =
    "version: 1\n" /* 1 */
    "roles:\n" /* 2 */
    "  dev: writes code\n" /* 3 */
    "  rev: reviews\n" /* 4 */
    "  sec: security\n" /* 5 */
    "  ops: deploys\n" /* 6 */
    "identities:\n" /* 7 */
    "  alice:\n" /* 8 */
    "    name: Alice Liddell\n" /* 9 */
    "    emails: [Alice@Example.com, alice@users.example.com]\n" /* 10 */
    "    logins: [alice]\n" /* 11 */
    "    keys:\n" /* 12 */
    "      - \"" K1 "\"\n" /* 13 */
    "      - key: \"" K2 "\"\n" /* 14 */
    "        valid-after: 2026-01-01T12:30:00Z\n" /* 15 */
    "        valid-before: 2027-01-01\n" /* 16 */
    "    roles: [dev, rev]\n" /* 17 */
    "  bot:\n" /* 18 */
    "    logins: [ci-bot, deploy-bot]\n" /* 19 */
    "    roles: [ops]\n" /* 20 */
    "revoked-keys: [\"" K3 "\"]\n" /* 21 */
    "pusher:\n" /* 22 */
    "  env: [GL_USER, REMOTE_USER]\n" /* 23 */
    "rules:\n" /* 24 */
    "  - refs: 'refs/heads/main'\n" /* 25 */
    "    update: [ops]\n" /* 26 */
    "    signed-commits: true\n" /* 27 */
    "    approvals:\n" /* 28 */
    "      min: 2\n" /* 29 */
    "      from: [rev, sec]\n" /* 30 */
    "      require: {sec: 1}\n" /* 31 */
    "    pusher-may-approve: false\n" /* 32 */
    "    promote-from: refs/heads/staging\n" /* 33 */
    "    mode: warn\n" /* 34 */
    "  - name: the rest\n" /* 35 */
    "    refs: '.*'\n" /* 36 */
    "    create: []\n" /* 37 */
    "    delete: [ops, dev]\n" /* 38 */
    "    force-push: [ops]\n" /* 39 */
    "    pusher-may-write: false\n" /* 40 */
    "audit:\n" /* 41 */
    "  path: /var/log/twokey/a.jsonl\n" /* 42 */
    "  key-file: /etc/twokey/audit.key\n" /* 43 */
    "  syslog: true\n"; /* 44 */

static void
test_policy__full(void **state)
{
	struct tk_policy *p = accept_yaml(full_policy);
	const struct tk_identity *a, *b;
	const struct tk_rule *r;

	assert_string_equal(p->path, "p.yaml");
	assert_int_equal(p->nroles, 4);
	assert_string_equal(p->roles[0], "dev");
	assert_string_equal(p->roles[1], "rev");
	assert_string_equal(p->roles[2], "sec");
	assert_string_equal(p->roles[3], "ops");

	assert_int_equal(p->nidentities, 2);
	a = p->identities[0];
	assert_string_equal(a->id, "alice");
	assert_string_equal(a->name, "Alice Liddell");
	assert_int_equal(a->nemails, 2);
	assert_string_equal(a->emails[0], "alice@example.com"); /* lowered */
	assert_string_equal(a->emails[1], "alice@users.example.com");
	assert_int_equal(a->nlogins, 1);
	assert_string_equal(a->logins[0], "alice");
	assert_int_equal(a->nkeys, 2);
	assert_ptr_equal(a->keys[0]->owner, a);
	assert_true(a->keys[0]->valid_after == INT64_MIN);
	assert_true(a->keys[0]->valid_before == INT64_MAX);
	assert_ptr_equal(a->keys[1]->owner, a);
	assert_true(a->keys[1]->valid_after == D_2026_01_01_1230);
	assert_true(a->keys[1]->valid_before == D_2027_01_01);
	assert_string_equal(tk_sshkey_type(a->keys[1]->key), "ssh-ed25519");
	assert_roles(p, &a->roles, "dev, rev");

	b = p->identities[1];
	assert_string_equal(b->id, "bot");
	assert_string_equal(b->name, "bot"); /* defaults to the id */
	assert_int_equal(b->nemails, 0);
	assert_int_equal(b->nkeys, 0);
	assert_int_equal(b->nlogins, 2);
	assert_string_equal(b->logins[1], "deploy-bot");
	assert_roles(p, &b->roles, "ops");

	assert_int_equal(p->nrevoked, 1);
	assert_null(p->revoked[0]->owner);
	assert_int_equal(p->npusher_env, 2);
	assert_string_equal(p->pusher_env[0], "GL_USER");
	assert_string_equal(p->pusher_env[1], "REMOTE_USER");

	assert_int_equal(p->nrules, 2);
	r = p->rules[0];
	assert_string_equal(r->name, "rule 1"); /* no name: numbered */
	assert_string_equal(r->refs_src, "refs/heads/main");
	assert_non_null(r->refs);
	assert_int_equal(r->line, 25);
	assert_true(r->update.set);
	assert_roles(p, &r->update.roles, "ops");
	assert_false(r->create.set);
	assert_false(r->delete_.set);
	assert_false(r->force_push.set);
	assert_true(r->signed_commits);
	assert_true(r->approvals);
	assert_int_equal(r->approvals_min, 2);
	assert_roles(p, &r->approvals_from, "rev, sec");
	assert_int_equal(r->nrequire, 1);
	assert_int_equal(r->require[0].role, role(p, "sec"));
	assert_int_equal(r->require[0].min, 1);
	assert_false(r->pusher_may_approve);
	assert_true(r->pusher_may_write);
	assert_string_equal(r->promote_from, "refs/heads/staging");
	assert_int_equal(r->mode, TK_MODE_WARN);
	assert_true(tk_rule_inspects_commits(r));

	r = p->rules[1];
	assert_string_equal(r->name, "the rest");
	assert_int_equal(r->line, 35);
	assert_false(r->update.set);
	assert_true(r->create.set);
	assert_true(tk_roleset_empty(&r->create.roles));
	assert_roles(p, &r->create.roles, "nobody");
	assert_true(r->delete_.set);
	assert_roles(p, &r->delete_.roles, "dev, ops"); /* policy order */
	assert_true(r->force_push.set);
	assert_roles(p, &r->force_push.roles, "ops");
	assert_false(r->approvals);
	assert_false(r->signed_commits);
	assert_true(r->pusher_may_approve);
	assert_false(r->pusher_may_write);
	assert_null(r->promote_from);
	assert_int_equal(r->mode, TK_MODE_ENFORCE);
	assert_true(tk_rule_inspects_commits(r)); /* pusher-may-write */

	assert_string_equal(p->audit_path, "/var/log/twokey/a.jsonl");
	assert_string_equal(p->audit_key_file, "/etc/twokey/audit.key");
	assert_true(p->audit_syslog);
	tk_policy_free(p);
}

/* The smallest policy, and the defaults of everything left out. */
static void
test_policy__minimal(void **state)
{
	struct tk_policy *p = accept_yaml("version: 1\n");

	assert_int_equal(p->nroles, 0);
	assert_int_equal(p->nidentities, 0);
	assert_int_equal(p->nrules, 0);
	assert_int_equal(p->nrevoked, 0);
	assert_int_equal(p->npusher_env, 0);
	assert_null(p->audit_path);
	assert_null(p->audit_key_file);
	assert_false(p->audit_syslog);
	tk_policy_free(p);

	p = accept_yaml(HDR "rules:\n"
	                    "  - refs: refs/heads/x\n");
	assert_int_equal(p->nrules, 1);
	assert_string_equal(p->rules[0]->name, "rule 1");
	assert_false(p->rules[0]->update.set);
	assert_false(p->rules[0]->create.set);
	assert_false(p->rules[0]->delete_.set);
	assert_false(p->rules[0]->force_push.set);
	assert_false(p->rules[0]->approvals);
	assert_false(p->rules[0]->signed_commits);
	assert_true(p->rules[0]->pusher_may_approve);
	assert_true(p->rules[0]->pusher_may_write);
	assert_null(p->rules[0]->promote_from);
	assert_int_equal(p->rules[0]->mode, TK_MODE_ENFORCE);
	assert_false(tk_rule_inspects_commits(p->rules[0]));
	tk_policy_free(p);

	/* Null values are accepted where they mean "nothing". */
	p = accept_yaml("version: 1\nroles:\n  dev:\n  ops: ~\n");
	assert_int_equal(p->nroles, 2);
	tk_policy_free(p);
}

static void
test_policy__example(void **state)
{
	const char *dir = getenv("TK_TEST_DATA");
	struct tk_policy *p = NULL;
	const struct tk_identity *id;
	const struct tk_rule *r;
	char path[4096], *err = NULL;
	size_t i;

	assert_non_null(dir);
	snprintf(
	    path, sizeof(path), "%s/../../config/policy.example.yaml", dir);
	if (tk_policy_load(&p, &err, path) != 0)
		fail_msg("example policy refused:\n%s", err ? err : "");
	assert_null(err);
	assert_string_equal(p->path, path);

	assert_int_equal(p->nroles, 4);
	assert_string_equal(p->roles[0], "developer");
	assert_string_equal(p->roles[1], "reviewer");
	assert_string_equal(p->roles[2], "security");
	assert_string_equal(p->roles[3], "operations");

	assert_int_equal(p->nidentities, 4);
	id = p->identities[0];
	assert_string_equal(id->id, "alice");
	assert_string_equal(id->name, "Alice Liddell");
	assert_int_equal(id->nemails, 2);
	assert_string_equal(id->emails[0], "alice@example.com");
	assert_int_equal(id->nlogins, 1);
	assert_int_equal(id->nkeys, 1);
	assert_true(id->keys[0]->valid_after == INT64_MIN);
	assert_true(id->keys[0]->valid_before == INT64_MAX);
	assert_roles(p, &id->roles, "developer");

	id = p->identities[1];
	assert_string_equal(id->id, "bob");
	assert_int_equal(id->nkeys, 1);
	assert_true(id->keys[0]->valid_after == D_2026_01_01);
	assert_true(id->keys[0]->valid_before != INT64_MAX);
	assert_true(id->keys[0]->valid_before > D_2026_01_01);
	assert_true((id->keys[0]->valid_before - D_2026_01_01) % 86400 == 0);
	assert_roles(p, &id->roles, "developer, reviewer, security");

	id = p->identities[3];
	assert_string_equal(id->id, "dave");
	assert_int_equal(id->nlogins, 2);
	assert_ptr_equal(tk_policy_by_login(p, "deploy-bot", 10), id);

	for (i = 0; i < p->nidentities; i++)
		assert_ptr_equal(
		    tk_policy_by_email(p, p->identities[i]->emails[0],
		        strlen(p->identities[i]->emails[0])),
		    p->identities[i]);

	assert_int_equal(p->nrevoked, 0);
	assert_int_equal(p->npusher_env, 2);
	assert_string_equal(p->pusher_env[0], "GL_USER");

	assert_int_equal(p->nrules, 3);
	r = p->rules[0];
	assert_string_equal(r->name, "mainline");
	assert_string_equal(r->refs_src, "refs/heads/(main|release/.+)");
	assert_int_equal(r->line, 48);
	assert_true(r->update.set);
	assert_roles(p, &r->update.roles, "operations");
	assert_true(r->create.set);
	assert_roles(p, &r->create.roles, "operations");
	assert_true(r->delete_.set);
	assert_true(tk_roleset_empty(&r->delete_.roles));
	assert_true(r->force_push.set);
	assert_true(tk_roleset_empty(&r->force_push.roles));
	assert_false(r->pusher_may_write);
	assert_int_equal(r->mode, TK_MODE_ENFORCE);

	r = p->rules[1];
	assert_string_equal(r->name, "release tags");
	assert_true(r->update.set);
	assert_true(tk_roleset_empty(&r->update.roles));
	assert_false(r->force_push.set);

	r = p->rules[2];
	assert_string_equal(r->name, "everything else");
	assert_false(r->update.set);
	assert_false(r->create.set);
	assert_false(r->delete_.set);
	assert_true(r->force_push.set);
	assert_roles(p, &r->force_push.roles, "developer, operations");
	assert_true(r->pusher_may_approve);
	assert_true(r->pusher_may_write);
	assert_false(r->approvals);
	assert_int_equal(r->mode, TK_MODE_ENFORCE);

	assert_string_equal(p->audit_path, "/var/log/twokey/audit.jsonl");
	tk_policy_free(p);
}

/* ---- the YAML subset ---- */

static void
test_policy__anchors_aliases_tags(void **state)
{
	refuse("version: 1\nroles: &r {a: b}\n",
	    "p.yaml:2:8: anchors and aliases are not allowed");
	refuse("version: 1\nroles: {a: &x b}\n",
	    "p.yaml:2:12: anchors and aliases are not allowed");
	refuse("version: 1\nidentities: *r\n",
	    "p.yaml:2:13: anchors and aliases are not allowed");
	/* A self-referencing alias: a cycle in libyaml's own loader. */
	refuse(
	    "a: &a [*a]\n", "p.yaml:1:4: anchors and aliases are not allowed");
	refuse("version: !!int 1\n", "p.yaml:1:10: tags are not allowed");
	refuse("version: 1\nroles: !!map {a: b}\n",
	    "p.yaml:2:8: tags are not allowed");
	refuse("version: 1\nroles: {a: !custom b}\n",
	    "p.yaml:2:12: tags are not allowed");
	refuse("version: 1\nrules: !custom [x]\n",
	    "p.yaml:2:8: tags are not allowed");
	refuse("%TAG !e! tag:example.com,2000:\n---\nversion: 1\n",
	    "p.yaml:1:1: tag directives are not allowed");
}

static void
test_policy__billion_laughs(void **state)
{
	static const char doc[] =
	    "version: 1\n"
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	double t = now_seconds();

	refuse(doc, "p.yaml:2:4: anchors and aliases are not allowed");
	assert_true(now_seconds() - t < 1.0);
}

static void
test_policy__documents(void **state)
{
	refuse("version: 1\n---\nversion: 1\n",
	    "p.yaml:2:1: only one YAML document is allowed");
	refuse("---\nversion: 1\n...\n---\nversion: 1\n",
	    "p.yaml:4:1: only one YAML document is allowed");
	/* One explicit document is fine. */
	tk_policy_free(accept_yaml("---\nversion: 1\n...\n"));
	tk_policy_free(accept_yaml("%YAML 1.1\n---\nversion: 1\n"));
}

static void
test_policy__duplicate_keys(void **state)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	int i;

	refuse("version: 1\nroles: {a: b}\nversion: 1\n",
	    "p.yaml:3:1: duplicate key 'version'");
	refuse(HDR "identities:\n"
	           "  alice:\n"
	           "    emails: [a@x.com]\n"
	           "    logins: [a]\n"
	           "    emails: [b@x.com]\n",
	    "p.yaml:7:5: duplicate key 'emails'");
	refuse(HDR "identities:\n"
	           "  alice: {logins: [a]}\n"
	           "  alice: {logins: [b]}\n",
	    "p.yaml:5:3: duplicate key 'alice'");
	refuse(HDR "rules:\n"
	           "  - {refs: a, approvals: {min: 1, from: [rev], min: 2}}\n",
	    "p.yaml:4:48: duplicate key 'min'");

	/* 16 keys are checked linearly, then through a hash set. */
	for (int dup = 0; dup < 3; dup++) {
		int nkeys = dup == 0 ? 16 : 40;
		int at = dup == 2 ? 39 : 0;

		tk_buf_reset(&b);
		assert_int_equal(tk_buf_puts(&b, "version: 1\nroles:\n"), 0);
		for (i = 0; i < nkeys; i++)
			assert_int_equal(tk_buf_printf(&b, "  r%d: x\n", i), 0);
		/* key number nkeys + 1, on line nkeys + 3 */
		assert_int_equal(tk_buf_printf(&b, "  r%d: y\n", at), 0);
		{
			char want[100];

			snprintf(want, sizeof(want),
			    "p.yaml:%d:3: duplicate key 'r%d'", nkeys + 3, at);
			refuse_n(b.ptr, b.len, want, NULL);
		}
	}
	/* and the same big map without the duplicate loads */
	tk_buf_reset(&b);
	assert_int_equal(tk_buf_puts(&b, "version: 1\nroles:\n"), 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(tk_buf_printf(&b, "  r%d: x\n", i), 0);
	{
		struct tk_policy *p = accept_yaml(b.ptr);

		assert_int_equal(p->nroles, 40);
		assert_string_equal(p->roles[39], "r39");
		tk_policy_free(p);
	}
	tk_buf_release(&b);
}

static const char open_brackets[] = "[[[[[[[[[[[[[[[[[[[[";
static const char close_brackets[] = "]]]]]]]]]]]]]]]]]]]]";

static void
test_policy__nesting(void **state)
{
	size_t n = 100000;
	char *deep = malloc(n + 2);
	double t;

	assert_non_null(deep);
	memset(deep, '[', n);
	deep[n] = '\n';
	deep[n + 1] = '\0';
	t = now_seconds();
	refuse(deep, "p.yaml:1:17: nesting too deep");
	print_message("100,000 '[': refused in %.3f s\n", now_seconds() - t);
	assert_true(now_seconds() - t < 2.0);

	/* the same in block style: mappings nested 100,000 deep */
	{
		struct tk_buf b = TK_BUF_INIT(64u << 20);

		for (size_t i = 0; i < 2000; i++)
			assert_int_equal(
			    tk_buf_printf(&b, "%*sk:\n", (int)i, ""), 0);
		refuse_n(b.ptr, b.len, "p.yaml:17:17: nesting too deep", NULL);
		tk_buf_release(&b);
	}

	/* 16 levels (the root mapping and 15 lists) are allowed... */
	snprintf(deep, n, "version: 1\nx: %.15s%.15s\n", open_brackets,
	    close_brackets);
	refuse(deep, "p.yaml:2:1: key 'x': unknown key");
	/* ...17 are not */
	snprintf(deep, n, "version: 1\nx: %.16s%.16s\n", open_brackets,
	    close_brackets);
	refuse(deep, "p.yaml:2:19: nesting too deep");
	free(deep);
}

static void
test_policy__empty(void **state)
{
	refuse("", "p.yaml:1:1: the policy is empty");
	refuse("# nothing here\n\n   # still nothing\n",
	    "p.yaml:1:1: the policy is empty");
	refuse("version: 1\nroles: [a, b]\nbogus\n",
	    "p.yaml:4:1: could not find expected ':' (while scanning a simple "
	    "key, line 3 column 1)");
	refuse("? [a, b]\n: c\n", "p.yaml:1:3: keys must be plain strings");
	refuse("- version: 1\n",
	    "p.yaml:1:1: expected a mapping of keys to values");
}

static void
test_policy__nul_and_control_bytes(void **state)
{
	static const char raw[] = "version: 1\nroles: {a: x\0y}\n";
	static const char esc[] = "version: 1\nroles: {a: b}\n"
	                          "identities: {al: {name: \"A\\0B\"}}\n";

	refuse(esc, "p.yaml:3:25: NUL byte in value");
	/* a raw NUL: libyaml's reader refuses it, at the right place */
	refuse_n(raw, sizeof(raw) - 1,
	    "p.yaml:2:13: control characters are not allowed", NULL);
	refuse("version: 1\nroles: {a: \x1b[31m}\n",
	    "p.yaml:2:12: control characters are not allowed");
	refuse("version: 1\nroles: {a: caf\xc3\xa9, b: \xff}\n",
	    "p.yaml:2:21: invalid leading UTF-8 octet (0xff)");
}

/* ---- validation ---- */

static void
test_policy__unknown_keys(void **state)
{
	static const char doc[] = HDR "identities:\n" /* 3 */
	                              "  alice:\n" /* 4 */
	                              "    emails: [a@x.com]\n" /* 5 */
	                              "    email: [b@x.com]\n" /* 6 */
	                              "    keys:\n" /* 7 */
	                              "      - key: \"" K1 "\"\n" /* 8 */
	                              "        valid-afer: 2026-01-01\n" /* 9 */
	                              "    roles: [qa]\n" /* 10 */
	                              "pusher:\n" /* 11 */
	                              "  env: [GL_USER]\n" /* 12 */
	                              "  envs: [X]\n" /* 13 */
	                              "rules:\n" /* 14 */
	                              "  - refs: 'refs/heads/main'\n" /* 15 */
	                              "    updates: [ops]\n" /* 16 */
	                              "    approvals:\n" /* 17 */
	                              "      min: 1\n" /* 18 */
	                              "      from: [rev]\n" /* 19 */
	                              "      requires: {rev: 1}\n" /* 20 */
	                              "    mode: warm\n" /* 21 */
	                              "audit:\n" /* 22 */
	                              "  path: /var/log/a\n" /* 23 */
	                              "  sylog: true\n" /* 24 */
	                              "rule: []\n"; /* 25 */

	/* Every unknown key is reported, and the known keys next to it are
	 * still checked (the undefined role, the bad mode). */
	refuse(doc, "p.yaml:6:5: key 'identities.alice.email': unknown key",
	    "p.yaml:9:9: key 'identities.alice.keys[0].valid-afer': unknown key",
	    "p.yaml:10:13: key 'identities.alice.roles[0]': undefined role 'qa'",
	    "p.yaml:13:3: key 'pusher.envs': unknown key",
	    "p.yaml:16:5: key 'rules[0].updates': unknown key",
	    "p.yaml:20:7: key 'rules[0].approvals.requires': unknown key",
	    "p.yaml:21:11: key 'rules[0].mode': expected enforce or warn",
	    "p.yaml:24:3: key 'audit.sylog': unknown key",
	    "p.yaml:25:1: key 'rule': unknown key");
}

static void
test_policy__wrong_types(void **state)
{
	refuse(HDR "identities:\n" /* 3 */
	           "  alice:\n" /* 4 */
	           "    emails: alice@x.com\n" /* 5 */
	           "    name: [Alice]\n" /* 6 */
	           "    roles: dev\n" /* 7 */
	           "rules:\n" /* 8 */
	           "  - refs: 'refs/heads/main'\n" /* 9 */
	           "    signed-commits: [true]\n" /* 10 */
	           "  - refs: 'refs/heads/dev'\n" /* 11 */
	           "    signed-commits: yes\n" /* 12 */
	           "    pusher-may-write: \"false\"\n" /* 13 */
	           "    pusher-may-approve: True\n" /* 14 */
	           "  - refs: [a]\n" /* 15 */
	           "    update: ops\n" /* 16 */
	           "    approvals: [min]\n" /* 17 */
	           "  - refs/heads/x\n" /* 18 */
	           "audit:\n" /* 19 */
	           "  syslog: 1\n" /* 20 */
	           "  path: [/x]\n", /* 21 */
	    "p.yaml:5:13: key 'identities.alice.emails': expected a list",
	    "p.yaml:6:11: key 'identities.alice.name': expected a string",
	    "p.yaml:7:12: key 'identities.alice.roles': expected a list",
	    "p.yaml:10:21: key 'rules[0].signed-commits': expected true or "
	    "false",
	    "p.yaml:12:21: key 'rules[1].signed-commits': expected true or "
	    "false",
	    "p.yaml:13:23: key 'rules[1].pusher-may-write': expected true or "
	    "false",
	    "p.yaml:14:25: key 'rules[1].pusher-may-approve': expected true "
	    "or false",
	    "p.yaml:15:11: key 'rules[2].refs': expected a string",
	    "p.yaml:16:13: key 'rules[2].update': expected a list",
	    "p.yaml:17:16: key 'rules[2].approvals': expected a mapping",
	    "p.yaml:18:5: key 'rules[3]': expected a mapping",
	    "p.yaml:21:9: key 'audit.path': expected a string",
	    "p.yaml:20:11: key 'audit.syslog': expected true or false");

	refuse("version: \"1\"\n",
	    "p.yaml:1:10: key 'version': expected a whole number");
	refuse("version: 1.0\n",
	    "p.yaml:1:10: key 'version': expected a whole number");
	refuse("version: [1]\n",
	    "p.yaml:1:10: key 'version': expected a whole number");
	refuse("version: 2\nroles: {a: b}\n",
	    "p.yaml:1:10: key 'version': unsupported version 2");
	refuse("roles: {a: b}\n", "p.yaml:1:1: missing 'version: 1'");
	refuse("version: 1\nroles: [dev, rev]\n",
	    "p.yaml:2:8: key 'roles': expected a mapping");
	refuse("version: 1\nroles: {dev: [a, b]}\n",
	    "p.yaml:2:14: key 'roles.dev': expected a description");
	refuse("version: 1\nroles: {\"a b\": x}\n",
	    "p.yaml:2:9: key 'roles': invalid role name");
	refuse(HDR "identities: [alice]\n",
	    "p.yaml:3:13: key 'identities': expected a mapping");
	refuse(HDR "identities: {alice: }\n",
	    "p.yaml:3:21: key 'identities.alice': expected a mapping");
	refuse(HDR "rules: {refs: x}\n",
	    "p.yaml:3:8: key 'rules': expected a list of rules");
	refuse(HDR "revoked-keys: \"" K1 "\"\n",
	    "p.yaml:3:15: key 'revoked-keys': expected a list");
	refuse(HDR "pusher: {env: [\"GL USER\", 1X, \"\"]}\n",
	    "p.yaml:3:16: key 'pusher.env[0]': expected an environment "
	    "variable name",
	    "p.yaml:3:27: key 'pusher.env[1]': expected an environment "
	    "variable name",
	    "p.yaml:3:31: key 'pusher.env[2]': expected an environment "
	    "variable name");
	refuse(HDR "audit: /var/log/x\n",
	    "p.yaml:3:8: key 'audit': expected a mapping");
}

static void
test_policy__undefined_roles(void **state)
{
	refuse(HDR "identities:\n" /* 3 */
	           "  alice:\n" /* 4 */
	           "    roles: [dev, qa]\n" /* 5 */
	           "rules:\n" /* 6 */
	           "  - refs: 'refs/heads/main'\n" /* 7 */
	           "    update: [ops, deploy]\n" /* 8 */
	           "    create: [release]\n" /* 9 */
	           "    delete: [x]\n" /* 10 */
	           "    force-push: [y]\n" /* 11 */
	           "    approvals:\n" /* 12 */
	           "      min: 1\n" /* 13 */
	           "      from: [reviewer]\n" /* 14 */
	           "  - refs: 'refs/heads/dev'\n" /* 15 */
	           "    approvals:\n" /* 16 */
	           "      min: 2\n" /* 17 */
	           "      from: [rev]\n" /* 18 */
	           "      require: {qa: 1}\n", /* 19 */
	    "p.yaml:5:18: key 'identities.alice.roles[1]': undefined role 'qa' "
	    "(not under roles:)",
	    "p.yaml:8:19: key 'rules[0].update[1]': undefined role 'deploy'",
	    "p.yaml:9:14: key 'rules[0].create[0]': undefined role 'release'",
	    "p.yaml:10:14: key 'rules[0].delete[0]': undefined role 'x'",
	    "p.yaml:11:18: key 'rules[0].force-push[0]': undefined role 'y'",
	    "p.yaml:14:14: key 'rules[0].approvals.from[0]': undefined role "
	    "'reviewer'",
	    "p.yaml:19:17: key 'rules[1].approvals.require.qa': undefined role "
	    "'qa'");
}

static void
test_policy__approvals(void **state)
{
	refuse(HDR "rules:\n" /* 3 */
	           "  - refs: 'refs/heads/x'\n" /* 4 */
	           "    approvals:\n" /* 5 */
	           "      min: 2\n" /* 6 */
	           "      from: [rev]\n" /* 7 */
	           "      require: {sec: 1}\n" /* 8 */
	           "  - refs: 'refs/heads/y'\n" /* 9 */
	           "    approvals:\n" /* 10 */
	           "      min: 1\n" /* 11 */
	           "      from: [rev, sec]\n" /* 12 */
	           "      require: {rev: 1, sec: 1}\n" /* 13 */
	           "  - refs: 'refs/heads/z'\n" /* 14 */
	           "    approvals:\n" /* 15 */
	           "      min: 0\n" /* 16 */
	           "      from: [rev]\n" /* 17 */
	           "  - refs: 'refs/heads/w'\n" /* 18 */
	           "    approvals: {from: [rev]}\n" /* 19 */
	           "  - refs: 'refs/heads/v'\n" /* 20 */
	           "    approvals: {min: 1}\n" /* 21 */
	           "  - refs: 'refs/heads/u'\n" /* 22 */
	           "    approvals: {min: 101, from: [rev]}\n" /* 23 */
	           "  - refs: 'refs/heads/t'\n" /* 24 */
	           "    approvals: {min: 1, from: [rev], require: [rev]}\n"
	           "  - refs: 'refs/heads/s'\n" /* 26 */
	           "    approvals: {min: 3, from: [rev], require: {rev: -1}}\n",
	    "p.yaml:8:17: key 'rules[0].approvals.require.sec': role is not "
	    "listed in approvals.from",
	    "p.yaml:11:7: key 'rules[1].approvals': require asks for 2 "
	    "approvals, more than min (1)",
	    "p.yaml:16:12: key 'rules[2].approvals.min': must be at least 1",
	    "p.yaml:19:16: key 'rules[3].approvals': missing 'min'",
	    "p.yaml:21:16: key 'rules[4].approvals': missing 'from'",
	    "p.yaml:23:22: key 'rules[5].approvals.min': expected a whole "
	    "number from 0 to 100",
	    "p.yaml:25:47: key 'rules[6].approvals.require': expected a "
	    "mapping of role to count",
	    "p.yaml:27:53: key 'rules[7].approvals.require.rev': expected a "
	    "whole number");

	/* min equal to the sum of require is fine */
	tk_policy_free(accept_yaml(HDR "rules:\n"
	                               "  - refs: x\n"
	                               "    approvals:\n"
	                               "      min: 2\n"
	                               "      from: [rev, sec]\n"
	                               "      require: {rev: 1, sec: 1}\n"));
}

static void
test_policy__rule_fields(void **state)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);

	refuse(HDR "rules:\n" /* 3 */
	           "  - refs: 'refs/heads/(main'\n" /* 4 */
	           "  - name: no pattern\n" /* 5 */
	           "  - refs: 'refs/heads/[z-a]'\n" /* 6 */
	           "    promote-from: heads/staging\n" /* 7 */
	           "  - refs: x\n" /* 8 */
	           "    name: [x]\n" /* 9 */
	           "    mode: Enforce\n", /* 10 */
	    "p.yaml:4:11: key 'rules[0].refs': invalid pattern at offset 16: "
	    "missing closing parenthesis",
	    "p.yaml:5:5: key 'rules[1]': missing 'refs'",
	    "p.yaml:6:11: key 'rules[2].refs': invalid pattern at offset 14: "
	    "range out of order in character class",
	    "p.yaml:7:19: key 'rules[2].promote-from': expected a full ref "
	    "name (refs/...)",
	    "p.yaml:9:11: key 'rules[3].name': expected a string",
	    "p.yaml:10:11: key 'rules[3].mode': expected enforce or warn");

	/* A pattern of 4096 bytes is accepted, 4097 is not. */
	for (int len = 4096; len <= 4097; len++) {
		tk_buf_reset(&b);
		assert_int_equal(tk_buf_puts(&b, HDR "rules:\n  - refs: "), 0);
		for (int i = 0; i < len; i++)
			assert_int_equal(tk_buf_putc(&b, 'a'), 0);
		assert_int_equal(tk_buf_putc(&b, '\n'), 0);
		if (len == 4096)
			tk_policy_free(accept_yaml(b.ptr));
		else
			refuse_n(b.ptr, b.len,
			    "p.yaml:4:11: key 'rules[0].refs': pattern longer "
			    "than 4096 bytes",
			    NULL);
	}
	tk_buf_release(&b);
}

static void
test_policy__keys(void **state)
{
	refuse(HDR "identities:\n" /* 3 */
	           "  alice:\n" /* 4 */
	           "    keys:\n" /* 5 */
	           "      - \"ssh-ed25519 AAAA!!!! broken\"\n" /* 6 */
	           "      - \"" DSS "\"\n" /* 7 */
	           "      - \"" RSA1024 "\"\n" /* 8 */
	           "      - \"ssh-ed25519\"\n" /* 9 */
	           "      - [\"" K1 "\"]\n" /* 10 */
	           "      - {valid-after: 2026-01-01}\n" /* 11 */
	           "      - \"ssh-rsa " K1_B64 " liar\"\n", /* 12 */
	    "p.yaml:6:9: key 'identities.alice.keys[0]': ",
	    "p.yaml:7:9: key 'identities.alice.keys[1]': ",
	    "p.yaml:8:9: key 'identities.alice.keys[2]': ",
	    "p.yaml:9:9: key 'identities.alice.keys[3]': ",
	    "p.yaml:10:9: key 'identities.alice.keys[4]': expected an OpenSSH "
	    "public key",
	    "p.yaml:11:9: key 'identities.alice.keys[5]': missing 'key'",
	    "p.yaml:12:9: key 'identities.alice.keys[6]': key line says "
	    "'ssh-rsa' but the key is 'ssh-ed25519'");

	/* the RSA key is refused for its size, and says so */
	{
		struct tk_policy *p = NULL;
		char *err = NULL;

		assert_int_equal(
		    load(&p, &err,
		        HDR "identities:\n  a:\n    keys: [\"" RSA1024 "\"]\n"),
		    TK_ECONFIG);
		assert_non_null(strstr(err, "1024"));
		free(err);
	}

	refuse(HDR "revoked-keys:\n" /* 3 */
	           "  - \"" K1 "\"\n" /* 4 */
	           "  - {key: \"" K2 "\"}\n" /* 5 */
	           "  - \"ssh-ed25519 @@@\"\n", /* 6 */
	    "p.yaml:5:5: key 'revoked-keys[1]': expected an OpenSSH public key",
	    "p.yaml:6:5: key 'revoked-keys[2]': ");
	/* the same key revoked twice is harmless */
	tk_policy_free(
	    accept_yaml(HDR "revoked-keys: [\"" K1 " a\", \"" K1 " b\"]\n"));
}

static void
test_policy__validity_windows(void **state)
{
	refuse(HDR "identities:\n" /* 3 */
	           "  alice:\n" /* 4 */
	           "    keys:\n" /* 5 */
	           "      - key: \"" K1 "\"\n" /* 6 */
	           "        valid-after: 2026-01-01\n" /* 7 */
	           "        valid-before: 2026-01-01\n" /* 8 */
	           "      - key: \"" K2 "\"\n" /* 9 */
	           "        valid-after: 2027-01-01\n" /* 10 */
	           "        valid-before: 2026-01-01T00:00:00Z\n", /* 11 */
	    "p.yaml:6:9: key 'identities.alice.keys[0]': valid-after is not "
	    "before valid-before",
	    "p.yaml:9:9: key 'identities.alice.keys[1]': valid-after is not "
	    "before valid-before");

	refuse(HDR "identities:\n" /* 3 */
	           "  alice:\n" /* 4 */
	           "    keys:\n" /* 5 */
	           "      - key: \"" K1 "\"\n" /* 6 */
	           "        valid-after: 2026-13-01\n" /* 7 */
	           "        valid-before: 2026-1-1\n" /* 8 */
	           "      - key: \"" K2 "\"\n" /* 9 */
	           "        valid-after: +2026-01-01\n" /* 10 */
	           "        valid-before: 2026-02-30\n" /* 11 */
	           "      - key: \"" K3 "\"\n" /* 12 */
	           "        valid-after: 2026-01-01T24:00:00Z\n" /* 13 */
	           "        valid-before: 2026-01-01 10:00:00\n" /* 14 */
	           "      - key: \"" K4_BODY "\"\n" /* 15 */
	           "        valid-after: [2026-01-01]\n" /* 16 */
	           "        valid-before: 1969-12-31\n", /* 17 */
	    "p.yaml:7:22: key 'identities.alice.keys[0].valid-after': expected "
	    "a UTC date, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ",
	    "p.yaml:8:23: key 'identities.alice.keys[0].valid-before': expected "
	    "a UTC date",
	    "p.yaml:10:22: key 'identities.alice.keys[1].valid-after': "
	    "expected a UTC date",
	    "p.yaml:11:23: key 'identities.alice.keys[1].valid-before': "
	    "expected a UTC date",
	    "p.yaml:13:22: key 'identities.alice.keys[2].valid-after': "
	    "expected a UTC date",
	    "p.yaml:14:23: key 'identities.alice.keys[2].valid-before': "
	    "expected a UTC date",
	    "p.yaml:16:22: key 'identities.alice.keys[3].valid-after': "
	    "expected a UTC date",
	    "p.yaml:17:23: key 'identities.alice.keys[3].valid-before': "
	    "expected a UTC date");

	/* a leap day exists in 2028, and a one-second window is a window */
	{
		struct tk_policy *p = accept_yaml(
		    HDR "identities:\n"
		        "  alice:\n"
		        "    keys:\n"
		        "      - key: \"" K1 "\"\n"
		        "        valid-after: 2028-02-29\n"
		        "      - key: \"" K2 "\"\n"
		        "        valid-after: 2026-01-01T00:00:00Z\n"
		        "        valid-before: \"2026-01-01T00:00:01Z\"\n");
		const struct tk_key *k = p->identities[0]->keys[0];

		assert_true(k->valid_after == INT64_C(1835395200));
		assert_true(k->valid_before == INT64_MAX);
		k = p->identities[0]->keys[1];
		assert_true(k->valid_after == D_2026_01_01);
		assert_true(k->valid_before == D_2026_01_01 + 1);
		tk_policy_free(p);
	}
}

static void
test_policy__claims(void **state)
{
	refuse(HDR "identities:\n" /* 3 */
	           "  alice:\n" /* 4 */
	           "    emails: [Bob@X.com]\n" /* 5 */
	           "    logins: [al]\n" /* 6 */
	           "    keys: [\"" K1 " alice@laptop\"]\n" /* 7 */
	           "  bob:\n" /* 8 */
	           "    emails: [bob@x.com]\n" /* 9 */
	           "    logins: [al, bob]\n" /* 10 */
	           "    keys: [\"" K1 " bob@desk\"]\n", /* 11 */
	    "p.yaml:9:14: key 'identities.bob.emails[0]': email already belongs "
	    "to identity 'alice'",
	    "p.yaml:10:14: key 'identities.bob.logins[0]': login already "
	    "belongs to identity 'alice'",
	    "p.yaml:11:12: key 'identities.bob.keys[0]': key already belongs to "
	    "identity 'alice'");
	/* logins are exact: Al and al are two logins */
	tk_policy_free(accept_yaml(HDR "identities:\n"
	                               "  a: {logins: [al]}\n"
	                               "  b: {logins: [Al]}\n"));
	/* a key with a validity window still claims its blob */
	refuse(HDR "identities:\n"
	           "  a: {keys: [\"" K2 "\"]}\n"
	           "  b: {keys: [{key: \"" K2
	           " x\", valid-after: 2026-01-01}]}\n",
	    "p.yaml:5:14: key 'identities.b.keys[0]': key already belongs to "
	    "identity 'a'");
	refuse(HDR "identities:\n" /* 3 */
	           "  a:\n" /* 4 */
	           "    emails: [no-at-sign, \"a <b@x>\", \"\", [x@y]]\n"
	           "    logins: [\"\"]\n", /* 6 */
	    "p.yaml:5:14: key 'identities.a.emails[0]': expected an email "
	    "address",
	    "p.yaml:5:26: key 'identities.a.emails[1]': expected an email "
	    "address",
	    "p.yaml:5:37: key 'identities.a.emails[2]': expected an email "
	    "address",
	    "p.yaml:5:41: key 'identities.a.emails[3]': expected an email "
	    "address",
	    "p.yaml:6:14: key 'identities.a.logins[0]': expected a login name");
	/* escapes cannot smuggle control characters into names */
	refuse(HDR "identities:\n"
	           "  a: {logins: [\"a\\tb\"]}\n",
	    "p.yaml:4:16: control character in value");
}

static void
test_policy__audit(void **state)
{
	refuse(HDR "audit:\n"
	           "  path: var/log/twokey/audit.jsonl\n"
	           "  key-file: audit.key\n"
	           "  syslog: yes\n",
	    "p.yaml:4:9: key 'audit.path': expected an absolute path",
	    "p.yaml:5:13: key 'audit.key-file': expected an absolute path",
	    "p.yaml:6:11: key 'audit.syslog': expected true or false");
	refuse(HDR "audit: {path: }\n",
	    "p.yaml:3:15: key 'audit.path': expected a string");
}

static void
test_policy__many_roles(void **state)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	struct tk_policy *p;
	int i;

	assert_int_equal(tk_buf_puts(&b, "version: 1\nroles:\n"), 0);
	for (i = 0; i < 256; i++)
		assert_int_equal(tk_buf_printf(&b, "  role%d: x\n", i), 0);
	assert_int_equal(tk_buf_puts(&b,
	                     "identities:\n  a: {roles: [role0, "
	                     "role63, role64, role255]}\n"),
	    0);
	p = accept_yaml(b.ptr);
	assert_int_equal(p->nroles, 256);
	assert_true(tk_roleset_has(&p->identities[0]->roles, 0));
	assert_true(tk_roleset_has(&p->identities[0]->roles, 63));
	assert_true(tk_roleset_has(&p->identities[0]->roles, 64));
	assert_true(tk_roleset_has(&p->identities[0]->roles, 255));
	assert_false(tk_roleset_has(&p->identities[0]->roles, 1));
	assert_false(tk_roleset_has(&p->identities[0]->roles, 256));
	assert_roles(
	    p, &p->identities[0]->roles, "role0, role63, role64, role255");
	tk_policy_free(p);

	tk_buf_reset(&b);
	assert_int_equal(tk_buf_puts(&b, "version: 1\nroles:\n"), 0);
	for (i = 0; i < 257; i++)
		assert_int_equal(tk_buf_printf(&b, "  role%d: x\n", i), 0);
	refuse_n(
	    b.ptr, b.len, "p.yaml:3:3: key 'roles': more than 256 roles", NULL);
	tk_buf_release(&b);
}

static void
test_policy__many_errors(void **state)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	struct tk_policy *p = NULL;
	char *err = NULL, *last;
	int i;

	assert_int_equal(tk_buf_puts(&b, "version: 1\n"), 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(tk_buf_printf(&b, "bogus%d: x\n", i), 0);
	assert_int_equal(load(&p, &err, b.ptr), TK_ECONFIG);
	assert_null(p);
	/* TK_POLICY_MAX_ERRORS lines, then one saying there were more */
	assert_int_equal(count_lines(err), TK_POLICY_MAX_ERRORS + 1);
	assert_true(has_line(err, "p.yaml:2:1: key 'bogus0': unknown key"));
	assert_true(has_line(err, "p.yaml:51:1: key 'bogus49': unknown key"));
	assert_false(has_line(err, "p.yaml:52:1:"));
	last = strrchr(err, '\n');
	*last = '\0';
	last = strrchr(err, '\n');
	assert_string_equal(last + 1, "p.yaml: too many errors");
	free(err);
	tk_buf_release(&b);
}

/* Problems in every section of one file are all reported. */
static void
test_policy__all_errors_reported(void **state)
{
	refuse("version: 1\n" /* 1 */
	       "roles: {dev: d, rev: r}\n" /* 2 */
	       "identities:\n" /* 3 */
	       "  a:\n" /* 4 */
	       "    emails: [x@y.z]\n" /* 5 */
	       "    roles: [ops]\n" /* 6 */
	       "  b:\n" /* 7 */
	       "    emails: [X@Y.Z]\n" /* 8 */
	       "revoked-keys: [nope]\n" /* 9 */
	       "pusher: {env: [\"-\"]}\n" /* 10 */
	       "rules:\n" /* 11 */
	       "  - refs: '('\n" /* 12 */
	       "    update: [sec]\n" /* 13 */
	       "  - refs: x\n" /* 14 */
	       "    approvals: {min: 0, from: [rev]}\n" /* 15 */
	       "audit: {path: x}\n", /* 16 */
	    "p.yaml:6:13: key 'identities.a.roles[0]': undefined role 'ops'",
	    "p.yaml:8:14: key 'identities.b.emails[0]': email already belongs "
	    "to identity 'a'",
	    "p.yaml:9:16: key 'revoked-keys[0]': ",
	    "p.yaml:10:16: key 'pusher.env[0]': ",
	    "p.yaml:12:11: key 'rules[0].refs': invalid pattern at offset 1",
	    "p.yaml:13:14: key 'rules[0].update[0]': undefined role 'sec'",
	    "p.yaml:15:22: key 'rules[1].approvals.min': must be at least 1",
	    "p.yaml:16:15: key 'audit.path': expected an absolute path");
}

/* ---- files ---- */

static char tmpdir[256];

static void
make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/tk-policy-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	assert_non_null(mkdtemp(tmpdir));
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_policy__files(void **state)
{
	struct tk_policy *p = NULL;
	char path[512], *err = NULL, *big;
	const size_t max = TK_POLICY_MAX_SIZE;

	make_tmpdir();

	/* missing */
	snprintf(path, sizeof(path), "%s/missing.yaml", tmpdir);
	assert_int_equal(tk_policy_load(&p, &err, path), TK_EIO);
	assert_null(p);
	assert_non_null(strstr(err, "cannot open"));
	assert_non_null(strstr(err, "missing.yaml"));
	assert_non_null(strstr(err, "No such file"));
	free(err);

	/* a directory */
	assert_int_equal(tk_policy_load(&p, &err, tmpdir), TK_EIO);
	assert_null(p);
	assert_non_null(strstr(err, "is not a regular file"));
	free(err);

	/* a FIFO with no writer: refused at once, not waited on */
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(tk_policy_load(&p, &err, path), TK_EIO);
	assert_non_null(strstr(err, "is not a regular file"));
	free(err);
	unlink(path);

	/* unreadable (root reads anything, so only as another user) */
	snprintf(path, sizeof(path), "%s/unreadable.yaml", tmpdir);
	write_file(path, "version: 1\n", 11);
	assert_int_equal(chmod(path, 0), 0);
	if (geteuid() != 0) {
		assert_int_equal(tk_policy_load(&p, &err, path), TK_EIO);
		assert_non_null(strstr(err, "cannot open"));
		assert_non_null(strstr(err, "Permission denied"));
		free(err);
	}
	unlink(path);

	/* a valid file; messages name the path given */
	snprintf(path, sizeof(path), "%s/ok.yaml", tmpdir);
	write_file(path, "version: 1\nrules: 3\n", 20);
	assert_int_equal(tk_policy_load(&p, &err, path), TK_ECONFIG);
	{
		char want[600];

		snprintf(want, sizeof(want),
		    "%s:2:8: key 'rules': expected a list", path);
		assert_true(has_line(err, want));
	}
	free(err);
	write_file(path, full_policy, strlen(full_policy));
	assert_int_equal(tk_policy_load(&p, &err, path), 0);
	assert_null(err);
	assert_string_equal(p->path, path);
	tk_policy_free(p);
	unlink(path);

	/* exactly TK_POLICY_MAX_SIZE bytes loads, one more does not */
	assert_non_null(big = malloc(max + 1));
	memset(big, ' ', max + 1);
	memcpy(big, "version: 1\n#", 12);
	big[max - 1] = '\n';
	snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
	write_file(path, big, max);
	assert_int_equal(tk_policy_load(&p, &err, path), 0);
	tk_policy_free(p);
	big[max - 1] = ' ';
	big[max] = '\n';
	write_file(path, big, max + 1);
	assert_int_equal(tk_policy_load(&p, &err, path), TK_ETOOBIG);
	assert_null(p);
	assert_non_null(strstr(err, "larger than 16777216 bytes"));
	free(err);
	assert_int_equal(
	    tk_policy_load_buffer(&p, &err, "p.yaml", big, max + 1),
	    TK_ETOOBIG);
	assert_null(p);
	assert_true(has_line(err, "p.yaml: policy larger than 16777216 bytes"));
	free(err);
	free(big);
	unlink(path);
	assert_int_equal(rmdir(tmpdir), 0);
}

/* $TWOKEY_CONFIG, else git config twokey.config, else the default. */
static void
test_policy__locate(void **state)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	char *out = NULL, *dflt = NULL, cmd[600];

	assert_true(git_libgit2_init() > 0);
	make_tmpdir();
	assert_int_equal(git_repository_init(&repo, tmpdir, 1), 0);

	assert_int_equal(setenv("TWOKEY_CONFIG", "/x/policy.yaml", 1), 0);
	assert_int_equal(tk_policy_locate(&out, tmpdir), 0);
	assert_string_equal(out, "/x/policy.yaml");
	free(out);

	/* empty is unset; no twokey.config yet: the built-in default */
	assert_int_equal(setenv("TWOKEY_CONFIG", "", 1), 0);
	assert_int_equal(tk_policy_locate(&dflt, tmpdir), 0);
	assert_non_null(dflt);
	assert_true(dflt[0] == '/');

	assert_int_equal(git_repository_config(&cfg, repo), 0);
	assert_int_equal(
	    git_config_set_string(cfg, "twokey.config", "/srv/twokey/p.yaml"),
	    0);
	git_config_free(cfg);
	assert_int_equal(tk_policy_locate(&out, tmpdir), 0);
	assert_string_equal(out, "/srv/twokey/p.yaml");
	free(out);

	assert_int_equal(unsetenv("TWOKEY_CONFIG"), 0);
	assert_int_equal(tk_policy_locate(&out, tmpdir), 0);
	assert_string_equal(out, "/srv/twokey/p.yaml");
	free(out);
	/* no repository, or none there: the default */
	assert_int_equal(tk_policy_locate(&out, NULL), 0);
	assert_string_equal(out, dflt);
	free(out);
	assert_int_equal(tk_policy_locate(&out, "/nonexistent/repo.git"), 0);
	assert_string_equal(out, dflt);
	free(out);
	free(dflt);

	git_repository_free(repo);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	git_libgit2_shutdown();
}

/* ---- lookups ---- */

static void
test_policy__lookups(void **state)
{
	struct tk_policy *p = accept_yaml(full_policy);
	const struct tk_identity *alice = p->identities[0],
	                         *bot = p->identities[1];
	struct tk_sshkey *k;
	const struct tk_key *tk;
	char longmail[300];

	/* emails: ASCII case-insensitive, whole string */
	assert_ptr_equal(tk_policy_by_email(p, "alice@example.com", 17), alice);
	assert_ptr_equal(tk_policy_by_email(p, "ALICE@EXAMPLE.COM", 17), alice);
	assert_ptr_equal(
	    tk_policy_by_email(p, "aLiCe@users.Example.COM", 23), alice);
	assert_null(tk_policy_by_email(p, "alice@example.co", 16));
	assert_null(tk_policy_by_email(p, "alice@example.comx", 18));
	assert_null(tk_policy_by_email(p, "alice@example.com", 0));
	assert_null(tk_policy_by_email(p, "alice@example.com\0x", 19));
	memset(longmail, 'a', sizeof(longmail));
	assert_null(tk_policy_by_email(p, longmail, 255));
	assert_null(tk_policy_by_email(p, longmail, sizeof(longmail)));

	/* logins: exact */
	assert_ptr_equal(tk_policy_by_login(p, "alice", 5), alice);
	assert_ptr_equal(tk_policy_by_login(p, "ci-bot", 6), bot);
	assert_ptr_equal(tk_policy_by_login(p, "deploy-bot", 10), bot);
	assert_null(tk_policy_by_login(p, "Alice", 5));
	assert_null(tk_policy_by_login(p, "alic", 4));
	assert_null(tk_policy_by_login(p, "alice", 0));
	assert_null(tk_policy_by_login(p, "bot", 3)); /* an id, not a login */

	/* keys: by blob; the comment plays no part */
	k = parse_key(K1_BODY " some other comment");
	assert_non_null(tk = tk_policy_by_key(p, k));
	assert_ptr_equal(tk->owner, alice);
	assert_ptr_equal(tk, alice->keys[0]);
	assert_false(tk_policy_key_revoked(p, k));
	tk_sshkey_free(k);
	k = parse_key(K2_BODY);
	assert_ptr_equal(tk_policy_by_key(p, k), alice->keys[1]);
	tk_sshkey_free(k);
	k = parse_key(K4_BODY " unknown");
	assert_null(tk_policy_by_key(p, k));
	assert_false(tk_policy_key_revoked(p, k));
	tk_sshkey_free(k);

	/* revoked: by blob too, and owned by nobody */
	k = parse_key(K3_BODY " stolen laptop");
	assert_true(tk_policy_key_revoked(p, k));
	assert_null(tk_policy_by_key(p, k));
	tk_sshkey_free(k);

	/* validity: after inclusive, before exclusive */
	tk = alice->keys[1];
	assert_false(tk_key_valid_at(tk, D_2026_01_01_1230 - 1));
	assert_true(tk_key_valid_at(tk, D_2026_01_01_1230));
	assert_true(tk_key_valid_at(tk, D_2027_01_01 - 1));
	assert_false(tk_key_valid_at(tk, D_2027_01_01));
	assert_false(tk_key_valid_at(tk, INT64_MIN));
	assert_false(tk_key_valid_at(tk, INT64_MAX));
	tk = alice->keys[0]; /* unbounded */
	assert_true(tk_key_valid_at(tk, INT64_MIN));
	assert_true(tk_key_valid_at(tk, 0));
	assert_true(tk_key_valid_at(tk, INT64_MAX - 1));

	/* role sets */
	assert_true(tk_roleset_has(&alice->roles, role(p, "dev")));
	assert_false(tk_roleset_has(&alice->roles, role(p, "ops")));
	assert_true(
	    tk_roleset_intersects(&alice->roles, &p->rules[0]->approvals_from));
	assert_false(
	    tk_roleset_intersects(&bot->roles, &p->rules[0]->approvals_from));
	assert_false(tk_roleset_empty(&bot->roles));
	tk_policy_free(p);
}

/* An ed25519 key line whose 32 key bytes are derived from i. */
static void
fake_key(struct tk_buf *out, unsigned i)
{
	unsigned char blob[51] = {0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd',
	    '2', '5', '5', '1', '9', 0, 0, 0, 32};
	size_t j;

	for (j = 0; j < 32; j++)
		blob[19 + j] = (unsigned char)((i >> (8 * (j % 4))) + j * 7);
	assert_int_equal(tk_buf_puts(out, "ssh-ed25519 "), 0);
	assert_int_equal(tk_base64_encode(out, blob, sizeof(blob)), 0);
}

static void
test_policy__ten_thousand(void **state)
{
	const unsigned n = 10000;
	struct tk_buf b = TK_BUF_INIT(TK_POLICY_MAX_SIZE),
	              line = TK_BUF_INIT(1024);
	struct tk_policy *p = NULL;
	char *err = NULL, s[64];
	double t;
	unsigned i;

	assert_int_equal(tk_buf_puts(&b,
	                     "version: 1\n"
	                     "roles: {dev: d, rev: r}\n"
	                     "identities:\n"),
	    0);
	for (i = 0; i < n; i++) {
		assert_int_equal(tk_buf_printf(&b,
		                     "  u%05u:\n"
		                     "    emails: [User%05u@Example.com]\n"
		                     "    logins: [login%05u]\n"
		                     "    roles: [%s]\n",
		                     i, i, i, i % 2 ? "rev" : "dev"),
		    0);
		if (i % 3 == 0)
			continue; /* keys are optional */
		tk_buf_reset(&line);
		fake_key(&line, i);
		assert_int_equal(
		    tk_buf_printf(&b, "    keys: [\"%s u%u\"]\n", line.ptr, i),
		    0);
	}

	t = now_seconds();
	if (tk_policy_load_buffer(&p, &err, "p.yaml", b.ptr, b.len) != 0)
		fail_msg("refused:\n%.2000s", err ? err : "");
	t = now_seconds() - t;
	print_message(
	    "10,000 identities (%zu bytes): loaded in %.3f s\n", b.len, t);
	assert_int_equal(p->nidentities, n);

	t = now_seconds();
	for (i = 0; i < n; i++) {
		const struct tk_identity *id = p->identities[i];
		struct tk_sshkey *k;
		int len;

		snprintf(s, sizeof(s), "u%05u", i);
		assert_string_equal(id->id, s);
		len = snprintf(s, sizeof(s), "USER%05u@EXAMPLE.COM", i);
		assert_ptr_equal(tk_policy_by_email(p, s, (size_t)len), id);
		len = snprintf(s, sizeof(s), "login%05u", i);
		assert_ptr_equal(tk_policy_by_login(p, s, (size_t)len), id);
		assert_true(tk_roleset_has(&id->roles, i % 2));
		tk_buf_reset(&line);
		fake_key(&line, i);
		k = parse_key(line.ptr);
		if (i % 3 == 0) {
			assert_int_equal(id->nkeys, 0);
			assert_null(tk_policy_by_key(p, k));
		} else {
			assert_int_equal(id->nkeys, 1);
			assert_ptr_equal(tk_policy_by_key(p, k), id->keys[0]);
		}
		tk_sshkey_free(k);
	}
	print_message("30,000 lookups in %.3f s\n", now_seconds() - t);
	assert_null(tk_policy_by_email(p, "user10000@example.com", 21));
	tk_policy_free(p);

	/* one identity more, with the name of the 6th: refused, found late */
	assert_int_equal(tk_buf_puts(&b, "  u00005: {logins: [other]}\n"), 0);
	{
		char want[64];

		snprintf(want, sizeof(want),
		    "p.yaml:%zu:3: duplicate key "
		    "'u00005'",
		    count_lines(b.ptr));
		refuse_n(b.ptr, b.len, want, NULL);
	}
	tk_buf_release(&line);
	tk_buf_release(&b);
}

/* UTF-8 only: a UTF-16 policy (either byte order) is refused. */
static void
test_policy__utf16(void **state)
{
	static const char le[] = "\xff\xfev\0e\0r\0s\0i\0o\0n\0:\0 \0001\0\n\0";
	static const char be[] = "\xfe\xff\0v\0e\0r\0s\0i\0o\0n\0:\0 \0001\0\n";
	struct tk_policy *p;

	(void)state;
	refuse_n(
	    le, sizeof(le) - 1, "p.yaml:1:1: the policy is UTF-16 text", NULL);
	refuse_n(
	    be, sizeof(be) - 1, "p.yaml:1:1: the policy is UTF-16 text", NULL);
	/* a UTF-8 byte order mark is fine */
	p = accept_yaml("\xef\xbb\xbfversion: 1\n");
	tk_policy_free(p);
}

/*
 * Rule names are unique, default names ("rule 2") included: records and
 * reports name the rule that decided.  Distinct names load.
 */
static void
test_policy__rule_names_unique(void **state)
{
	struct tk_policy *p;

	(void)state;
	refuse("version: 1\nrules:\n"
	       "  - {name: main, refs: refs/heads/main}\n"
	       "  - {name: rel, refs: 'refs/heads/release/.+'}\n"
	       "  - {name: main, refs: 'refs/heads/hotfix/.+'}\n",
	    "p.yaml:5:12: key 'rules[2].name': a second rule named 'main' "
	    "(the first is at line 3)");
	refuse("version: 1\nrules:\n"
	       "  - {name: rule 2, refs: refs/heads/main}\n"
	       "  - {refs: refs/heads/dev}\n",
	    "p.yaml:4:5: key 'rules[1]': a second rule named 'rule 2' (the "
	    "first is at line 3)");
	p = accept_yaml("version: 1\nrules:\n"
	                "  - {name: main, refs: refs/heads/main}\n"
	                "  - {name: Main, refs: refs/heads/Main}\n"
	                "  - {refs: refs/heads/dev}\n");
	assert_string_equal(p->rules[2]->name, "rule 3");
	tk_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy__full),
	    cmocka_unit_test(test_policy__utf16),
	    cmocka_unit_test(test_policy__rule_names_unique),
	    cmocka_unit_test(test_policy__minimal),
	    cmocka_unit_test(test_policy__example),
	    cmocka_unit_test(test_policy__anchors_aliases_tags),
	    cmocka_unit_test(test_policy__billion_laughs),
	    cmocka_unit_test(test_policy__documents),
	    cmocka_unit_test(test_policy__duplicate_keys),
	    cmocka_unit_test(test_policy__nesting),
	    cmocka_unit_test(test_policy__empty),
	    cmocka_unit_test(test_policy__nul_and_control_bytes),
	    cmocka_unit_test(test_policy__unknown_keys),
	    cmocka_unit_test(test_policy__wrong_types),
	    cmocka_unit_test(test_policy__undefined_roles),
	    cmocka_unit_test(test_policy__approvals),
	    cmocka_unit_test(test_policy__rule_fields),
	    cmocka_unit_test(test_policy__keys),
	    cmocka_unit_test(test_policy__validity_windows),
	    cmocka_unit_test(test_policy__claims),
	    cmocka_unit_test(test_policy__audit),
	    cmocka_unit_test(test_policy__many_roles),
	    cmocka_unit_test(test_policy__many_errors),
	    cmocka_unit_test(test_policy__all_errors_reported),
	    cmocka_unit_test(test_policy__files),
	    cmocka_unit_test(test_policy__locate),
	    cmocka_unit_test(test_policy__lookups),
	    cmocka_unit_test(test_policy__ten_thousand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
