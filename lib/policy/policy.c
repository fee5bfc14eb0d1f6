/*
 * Loading a policy: reading the file (a bounded regular file), the
 * top-level keys with the sections that fit in a few lines (version,
 * roles, pusher, audit), and the order in which the sections are
 * validated: roles first, since identities and rules name them.
 * identities.c and rules.c validate their sections, load.c holds the
 * helpers they share, yaml_load.c builds the YAML tree, and the lookups
 * the engine makes on a loaded policy are in lookup.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "load.h"
#include "twokey/pattern.h"
#include "twokey/digest.h"
#include "twokey/sshsig.h"

static const char *const top_keys[] = {"version", "roles", "identities",
    "revoked-keys", "pusher", "rules", "audit", "freezes", "freeze-file",
    "trusted-history", NULL};
static const char *const pusher_keys[] = {"env", NULL};
static const char *const audit_keys[] = {
    "path", "key-file", "syslog", "postgres", "node", NULL};

static int
load_roles(struct tk_load *c, const struct ynode *n)
{
	struct tk_policy *p = c->p;
	char sub[300];
	size_t i;
	int rc = 0;

	if (n->type != YN_MAP) {
		tk_load_err(c, n, "roles",
		    "expected a mapping of role names "
		    "to descriptions");
		return TK_ECONFIG;
	}
	if (n->n / 2 > TK_POLICY_MAX_ROLES) {
		tk_load_err(
		    c, n, "roles", "more than %d roles", TK_POLICY_MAX_ROLES);
		return TK_ECONFIG;
	}
	if ((p->roles = tk_calloc(n->n / 2 + 1, sizeof(*p->roles))) == NULL ||
	    (p->role_pos = tk_calloc(n->n / 2 + 1, sizeof(*p->role_pos))) ==
	        NULL)
		return TK_ENOMEM;
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->items[i];

		if (k->len == 0 || strpbrk(k->str, " \t,") != NULL) {
			tk_load_err(c, k, "roles", "invalid role name");
			rc = TK_ECONFIG;
		}
		if (n->items[i + 1]->type != YN_SCALAR) {
			snprintf(sub, sizeof(sub), "roles.%s", k->str);
			tk_load_err(
			    c, n->items[i + 1], sub, "expected a description");
			rc = TK_ECONFIG;
		}
		if ((p->roles[p->nroles] = tk_strndup(k->str, k->len)) == NULL)
			return TK_ENOMEM;
		p->role_pos[p->nroles] = (struct tk_pos){k->line, k->col};
		p->nroles++;
		if (tk_map_put(p->role_index, k->str, k->len,
		        (void *)(uintptr_t)p->nroles, NULL) == TK_ENOMEM)
			return TK_ENOMEM;
	}
	return rc;
}

static bool
valid_env_name(const char *s)
{
	size_t i;

	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	        *s == '_'))
		return false;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return i <= 128;
}

static int
add_env(struct tk_load *c, const struct ynode *n, const char *path, void *arg)
{
	struct tk_policy *p = c->p;
	char *s;

	(void)arg;
	if (n->type != YN_SCALAR || !valid_env_name(n->str)) {
		tk_load_err(c, n, path,
		    "expected an environment variable "
		    "name");
		return TK_ECONFIG;
	}
	/*
	 * The login is recorded and shown: a variable holding the client's
	 * credentials would put them in the audit log (docs/audit.md).
	 */
	if (strcasecmp(n->str, "HTTP_AUTHORIZATION") == 0 ||
	    strcasecmp(n->str, "HTTP_PROXY_AUTHORIZATION") == 0 ||
	    strcasecmp(n->str, "HTTP_COOKIE") == 0) {
		tk_load_err(c, n, path,
		    "%s holds the client's credentials, never a login: they "
		    "would be recorded in the audit log (name the variable "
		    "the front end sets after authenticating, e.g. "
		    "REMOTE_USER)",
		    n->str);
		return TK_ECONFIG;
	}
	if (tk_grow_one(&p->pusher_env, p->npusher_env, sizeof(char *)) < 0 ||
	    (s = tk_strdup(n->str)) == NULL)
		return TK_ENOMEM;
	p->pusher_env[p->npusher_env++] = s;
	return 0;
}

static int
load_pusher(struct tk_load *c, const struct ynode *n)
{
	const struct ynode *v;
	int rc = 0;

	if (tk_load_check_keys(c, n, "pusher", pusher_keys) < 0) {
		if (n->type != YN_MAP)
			return TK_ECONFIG;
		rc = TK_ECONFIG; /* unknown keys: check the known ones too */
	}
	if ((v = tk_load_get(n, "env")) != NULL &&
	    tk_load_each(c, v, "pusher.env", add_env, NULL) < 0)
		rc = TK_ECONFIG;
	return rc;
}

static int
load_audit(struct tk_load *c, const struct ynode *n)
{
	struct tk_policy *p = c->p;
	const struct ynode *v;
	int rc = 0, r;

	if (tk_load_check_keys(c, n, "audit", audit_keys) < 0) {
		if (n->type != YN_MAP)
			return TK_ECONFIG;
		rc = TK_ECONFIG; /* unknown keys: check the known ones too */
	}
	/* Each check on its own: an earlier error must not hide a later one. */
	if ((v = tk_load_get(n, "path")) != NULL) {
		if ((r = tk_load_str(c, v, "audit.path", &p->audit_path)) ==
		    TK_ENOMEM)
			return r;
		if (r < 0)
			rc = r;
		else if (p->audit_path[0] != '/') {
			tk_load_err(
			    c, v, "audit.path", "expected an absolute path");
			rc = TK_ECONFIG;
		}
	}
	if ((v = tk_load_get(n, "key-file")) != NULL) {
		if ((r = tk_load_str(c, v, "audit.key-file",
		         &p->audit_key_file)) == TK_ENOMEM)
			return r;
		if (r < 0)
			rc = r;
		else if (p->audit_key_file[0] != '/') {
			tk_load_err(c, v, "audit.key-file",
			    "expected an absolute path");
			rc = TK_ECONFIG;
		}
	}
	if ((v = tk_load_get(n, "syslog")) != NULL &&
	    tk_load_bool(c, v, "audit.syslog", &p->audit_syslog) < 0)
		rc = TK_ECONFIG;
	if ((r = tk_policy_load_audit_pg(c, n)) < 0)
		rc = r;
	return rc;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * One trusted-history entry: a full 40-digit commit id.  Abbreviations are
 * refused: a prefix names whatever object comes to share it, and an
 * attacker can make one (a few hours of hashing for 7 digits).
 */
static int
add_trusted(
    struct tk_load *c, const struct ynode *n, const char *path, void *arg)
{
	struct tk_policy *p = c->p;
	size_t i;

	(void)arg;
	if (n->type != YN_SCALAR || n->len != 40) {
		tk_load_err(c, n, path,
		    n->type == YN_SCALAR && n->len == 64
		        ? "SHA-256 commit ids are not supported"
		        : "expected a full 40-digit commit id (abbreviated "
		          "ids are refused)");
		return TK_ECONFIG;
	}
	for (i = 0; i < 40; i++)
		if (hexval(n->str[i]) < 0) {
			tk_load_err(c, n, path,
			    "expected a full 40-digit commit id (hex digits "
			    "only)");
			return TK_ECONFIG;
		}
	if (p->ntrusted >= TK_POLICY_MAX_TRUSTED) {
		tk_load_err(
		    c, n, path, "more than %d entries", TK_POLICY_MAX_TRUSTED);
		return TK_ECONFIG;
	}
	for (i = 0; i < 20; i++)
		p->trusted[p->ntrusted][i] =
		    (unsigned char)(hexval(n->str[2 * i]) << 4 |
		        hexval(n->str[2 * i + 1]));
	p->trusted_pos[p->ntrusted++] = (struct tk_pos){n->line, n->col};
	return 0;
}

static int
load_trusted(struct tk_load *c, const struct ynode *n)
{
	struct tk_policy *p = c->p;
	size_t cap;

	if (tk_load_is_null(n))
		return 0; /* "trusted-history:" with nothing: none */
	if (n->type != YN_SEQ) {
		tk_load_err(
		    c, n, "trusted-history", "expected a list of commit ids");
		return TK_ECONFIG;
	}
	cap = n->n < TK_POLICY_MAX_TRUSTED ? n->n : TK_POLICY_MAX_TRUSTED;
	if ((p->trusted = tk_calloc(cap + 1, sizeof(*p->trusted))) == NULL ||
	    (p->trusted_pos = tk_calloc(cap + 1, sizeof(*p->trusted_pos))) ==
	        NULL)
		return TK_ENOMEM;
	return tk_load_each(c, n, "trusted-history", add_trusted, NULL);
}

static int
load_sections(struct tk_load *c, const struct ynode *root)
{
	const struct ynode *v;
	unsigned version = 0;
	int rc = 0;

	if (tk_load_check_keys(c, root, "", top_keys) < 0 &&
	    root->type != YN_MAP)
		return TK_ECONFIG;
	if ((v = tk_load_get(root, "version")) == NULL) {
		tk_load_err(c, root, NULL, "missing 'version: 1'");
		rc = TK_ECONFIG;
	} else if (tk_load_uint(c, v, "version", 1000, &version) == 0 &&
	    version != 1) {
		tk_load_err(c, v, "version",
		    "unsupported version %u (this "
		    "twokey reads version 1)",
		    version);
		return TK_ECONFIG;
	}
	/* Roles first: identities and rules refer to them. */
	if ((v = tk_load_get(root, "roles")) != NULL)
		rc |= load_roles(c, v);
	if ((v = tk_load_get(root, "identities")) != NULL)
		rc |= tk_load_identities(c, v);
	if ((v = tk_load_get(root, "revoked-keys")) != NULL)
		rc |= tk_load_revoked(c, v);
	if ((v = tk_load_get(root, "pusher")) != NULL)
		rc |= load_pusher(c, v);
	if ((v = tk_load_get(root, "rules")) != NULL)
		rc |= tk_load_rules(c, v);
	if ((v = tk_load_get(root, "audit")) != NULL)
		rc |= load_audit(c, v);
	rc |= tk_load_freezes(c, root);
	if ((v = tk_load_get(root, "trusted-history")) != NULL)
		rc |= load_trusted(c, v);
	return rc < 0 || c->nerr > 0 ? TK_ECONFIG : 0;
}

int
tk_policy_new_(struct tk_policy **out, const char *name)
{
	struct tk_policy *p;

	if ((*out = p = tk_calloc(1, sizeof(*p))) == NULL)
		return TK_ENOMEM;
	if ((p->path = tk_strdup(name)) == NULL ||
	    tk_map_new(&p->by_email) < 0 || tk_map_new(&p->by_login) < 0 ||
	    tk_map_new(&p->by_key) < 0 || tk_map_new(&p->revoked_map) < 0 ||
	    tk_map_new(&p->role_index) < 0)
		return TK_ENOMEM;
	return 0;
}

/* The policy in force, as audit records name it. */
static int
policy_hash(char out[65], const char *data, size_t len)
{
	unsigned char d[TK_SHA256_LEN];
	int rc;

	if ((rc = tk_sha256(d, data, len)) < 0)
		return rc;
	tk_hex(out, d, sizeof(d));
	return 0;
}

int
tk_policy_load_buffer(struct tk_policy **out, char **errors, const char *name,
    const char *data, size_t len)
{
	struct tk_buf eb = TK_BUF_INIT(1 << 20);
	struct tk_policy *p = NULL;
	struct ynode *root = NULL;
	struct tk_load c;
	int rc;

	*out = NULL;
	*errors = NULL;
	if (len > TK_POLICY_MAX_SIZE) {
		rc = TK_ETOOBIG;
		(void)tk_buf_printf(&eb, "%s: policy larger than %u bytes\n",
		    name, TK_POLICY_MAX_SIZE);
		goto out;
	}
	if ((rc = tk_yaml_parse(&root, &eb, name, data, len)) < 0 ||
	    (rc = tk_policy_new_(&p, name)) < 0)
		goto out;
	if ((rc = policy_hash(p->sha256, data, len)) < 0)
		goto out;
	c = (struct tk_load){p, &eb, name, 0, data, len};
	if ((rc = load_sections(&c, root)) < 0)
		goto out;
	*out = p;
	p = NULL; /* transferred */
out:
	if (rc == TK_ENOMEM)
		(void)tk_buf_printf(&eb, "%s: out of memory\n", name);
	else if (rc != 0 && eb.len == 0) /* never fail without a line */
		(void)tk_buf_printf(&eb, "%s: %s\n", name, tk_error_last());
	if (rc != 0)
		*errors = tk_buf_detach(&eb, NULL);
	tk_buf_release(&eb);
	tk_ynode_free(root);
	tk_policy_free(p);
	return rc;
}

/* Reads the whole file, refusing anything but a bounded regular file. */
int
tk_policy_read_file_(
    char **out, size_t *len, struct stat *stp, const char *path, size_t max)
{
	struct tk_buf b = TK_BUF_INIT(max);
	struct stat st;
	size_t want;
	ssize_t n;
	char one;
	int fd, rc = 0;

	*out = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return tk_error_set(
		    TK_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return tk_error_set(TK_EIO, "'%s' is not a regular file", path);
	}
	if (stp != NULL)
		*stp = st;
	/* Straight into the buffer, sized by fstat (a 2 MB policy). */
	for (;;) {
		want =
		    b.len == 0 && st.st_size > 0 && (uint64_t)st.st_size < max
		    ? (size_t)st.st_size + 1
		    : 65536;
		if (want > max - b.len)
			want = max - b.len;
		if (want == 0) { /* full: one byte more is too many */
			if ((n = read(fd, &one, 1)) < 0 && errno == EINTR)
				continue;
			if (n > 0)
				rc = tk_error_set(TK_ETOOBIG,
				    "'%s' is larger than %zu bytes", path, max);
			else if (n < 0)
				rc =
				    tk_error_set(TK_EIO, "cannot read '%s': %s",
				        path, strerror(errno));
			break;
		}
		if ((rc = tk_buf_reserve(&b, want)) < 0)
			break;
		if ((n = read(fd, b.ptr + b.len, want)) < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = tk_error_set(TK_EIO, "cannot read '%s': %s", path,
			    strerror(errno));
			break;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		b.ptr[b.len] = '\0';
	}
	close(fd);
	if (rc == 0 && (*out = tk_buf_detach(&b, len)) == NULL)
		rc = TK_ENOMEM;
	tk_buf_release(&b);
	return rc;
}

int
tk_policy_mode_ok_(const struct stat *st, const char *path)
{
	if ((st->st_mode & S_IWOTH) == 0)
		return 0;
	return tk_error_set(TK_ECONFIG,
	    "'%s' is writable by every user of the server (mode %04o), and "
	    "whoever can write the policy decides who may land code; an "
	    "admin must run 'chmod o-w' on it",
	    path, (unsigned)(st->st_mode & 07777));
}

int
tk_policy_load(struct tk_policy **out, char **errors, const char *path)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	*errors = NULL;
	if ((rc = tk_policy_read_file_(
	         &data, &len, &st, path, TK_POLICY_MAX_SIZE)) < 0 ||
	    (rc = tk_policy_mode_ok_(&st, path)) < 0) {
		struct tk_buf eb = TK_BUF_INIT(4096);

		free(data);
		(void)tk_buf_printf(&eb, "%s\n", tk_error_last());
		*errors = tk_buf_detach(&eb, NULL);
		tk_buf_release(&eb);
		return rc;
	}
	rc = tk_policy_load_buffer(out, errors, path, data, len);
	free(data);
	return rc;
}

int
tk_policy_hash_file(char out[65], const char *path)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	out[0] = '\0';
	if ((rc = tk_policy_read_file_(
	         &data, &len, NULL, path, TK_POLICY_MAX_SIZE)) == 0)
		rc = policy_hash(out, data, len);
	free(data);
	return rc;
}
