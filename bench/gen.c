/*
 * bench/gen: fast generator of signed, approved commits for the twokey
 * benchmark (scripts/bench).  Not part of the product, not installed.
 *
 * Keys are derived deterministically: identity i's ed25519 private key is
 * SHA-256("twokey-bench identity <i>"), so the policy, the allowed signers
 * file and the commits agree without key files.  Identity i is
 * "id<i, 5 digits>", email id<i>@bench.example, login id<i>.
 *
 *   gen policy  --ids N [--audit PATH]     policy YAML on stdout
 *   gen signers --ids N                    allowed_signers on stdout
 *   gen commits --git-dir D --count N [--parent HEX] [--ids K] [--seed S]
 *               [--unsigned] [--approvals A] [--fault I:KIND]... [--strict]
 *               [--list FILE]
 *
 * "commits" writes N commits in a chain on top of --parent (or from a root
 * commit), each with its own blob and tree, as one pack streamed into
 * "git index-pack --stdin" run in D, and prints the tip id.  Commit i is
 * authored and committed by identity i % K and, unless --unsigned,
 * SSH-signed (namespace git) by that identity's key, with A (default 2)
 * Approved-by trailers by other identities, each an SSHSIG (namespace
 * twokey-approval) over the approval payload of docs/spec.md.  --list writes
 * every commit id, oldest first.  --fault I:KIND spoils commit I (0-based)
 * in one way, to check that the baseline and twokey agree:
 *   one-approval   only one Approved-by trailer
 *   self-approval  the second approval is by the author
 *   bad-approval   the second approval signs another payload
 *   forged-email   the second approval is signed by one identity's key
 *                  but names another identity's email
 *   unsigned       no gpgsig header
 *   wrong-signer   gpgsig by a key of an identity who is not the author
 *   unknown-signer gpgsig by a key that is in no policy
 *   bad-signature  gpgsig over other bytes
 *
 * Build: cc -O2 -o gen bench/gen.c -lcrypto -lz
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zlib.h>

#define BASE_TIME 1767225600L /* 2026-01-01T00:00:00Z */
#define MAX_FAULTS 64
#define UNKNOWN_ID 999999

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("gen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* A growable byte buffer. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void
b_need(struct buf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	while (b->len + n + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 4096;
	if ((b->p = realloc(b->p, b->cap)) == NULL)
		die("out of memory");
}

static void
b_put(struct buf *b, const void *d, size_t n)
{
	b_need(b, n);
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void
b_puts(struct buf *b, const char *s)
{
	b_put(b, s, strlen(s));
}

static void
b_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	b_need(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void
b_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = {v >> 24, v >> 16, v >> 8, v};

	b_put(b, x, 4);
}

/* SSH "string": uint32 length, then the bytes. */
static void
b_sshstr(struct buf *b, const void *d, size_t n)
{
	b_u32(b, (uint32_t)n);
	b_put(b, d, n);
}

static void
b_base64(struct buf *b, const unsigned char *d, size_t n)
{
	size_t out = 4 * ((n + 2) / 3);

	b_need(b, out + 1);
	EVP_EncodeBlock(b->p + b->len, d, (int)n);
	b->len += out;
	b->p[b->len] = 0;
}

static const char hexd[] = "0123456789abcdef";

static void
tohex(char *out, const unsigned char *id)
{
	int i;

	for (i = 0; i < 20; i++) {
		out[2 * i] = hexd[id[i] >> 4];
		out[2 * i + 1] = hexd[id[i] & 15];
	}
	out[40] = 0;
}

static int
fromhex(unsigned char *id, const char *s)
{
	int i, hi, lo;

	if (strlen(s) != 40)
		return -1;
	for (i = 0; i < 20; i++) {
		hi = s[2 * i] <= '9' ? s[2 * i] - '0'
		                     : (s[2 * i] | 32) - 'a' + 10;
		lo = s[2 * i + 1] <= '9' ? s[2 * i + 1] - '0'
		                         : (s[2 * i + 1] | 32) - 'a' + 10;
		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return -1;
		id[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* ---- identities ---- */

struct ident {
	EVP_PKEY *key;
	unsigned char pub[32];
	struct buf blob; /* SSH wire encoding of the public key */
	char name[32], email[48], login[16];
};

static void
ident_make(struct ident *id, int i)
{
	unsigned char seed[SHA256_DIGEST_LENGTH];
	char s[64];
	size_t len = 32;

	snprintf(s, sizeof(s), "twokey-bench identity %d", i);
	SHA256((const unsigned char *)s, strlen(s), seed);
	id->key =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (id->key == NULL ||
	    EVP_PKEY_get_raw_public_key(id->key, id->pub, &len) != 1)
		die("cannot make key %d", i);
	memset(&id->blob, 0, sizeof(id->blob));
	b_sshstr(&id->blob, "ssh-ed25519", 11);
	b_sshstr(&id->blob, id->pub, 32);
	snprintf(id->name, sizeof(id->name), "Bench Person %05d", i);
	snprintf(id->email, sizeof(id->email), "id%05d@bench.example", i);
	snprintf(id->login, sizeof(id->login), "id%05d", i);
}

static void
ident_publine(struct buf *b, const struct ident *id)
{
	b_puts(b, "ssh-ed25519 ");
	b_base64(b, id->blob.p, id->blob.len);
	b_printf(b, " %s@bench", id->login);
}

/*
 * The raw SSHSIG blob (PROTOCOL.sshsig) of msg, signed by id in namespace
 * ns with hash sha512.
 */
static void
sshsig(struct buf *out, const struct ident *id, const char *ns, const void *msg,
    size_t len)
{
	unsigned char h[SHA512_DIGEST_LENGTH], sig[64];
	struct buf td = {0}, sb = {0};
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx;

	SHA512(msg, len, h);
	b_put(&td, "SSHSIG", 6);
	b_sshstr(&td, ns, strlen(ns));
	b_sshstr(&td, "", 0);
	b_sshstr(&td, "sha512", 6);
	b_sshstr(&td, h, sizeof(h));
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, id->key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, td.p, td.len) != 1 ||
	    siglen != 64)
		die("signing failed");
	EVP_MD_CTX_free(ctx);
	b_sshstr(&sb, "ssh-ed25519", 11);
	b_sshstr(&sb, sig, 64);

	b_put(out, "SSHSIG", 6);
	b_u32(out, 1);
	b_sshstr(out, id->blob.p, id->blob.len);
	b_sshstr(out, ns, strlen(ns));
	b_sshstr(out, "", 0);
	b_sshstr(out, "sha512", 6);
	b_sshstr(out, sb.p, sb.len);
	free(td.p);
	free(sb.p);
}

/*
 * The gpgsig header git writes for an SSH signature: ssh-keygen's armour
 * (base64 wrapped at 70 columns), each line after the first prefixed with a
 * space.
 */
static void
gpgsig_header(struct buf *out, const struct buf *blob)
{
	struct buf b64 = {0};
	size_t i;

	b_base64(&b64, blob->p, blob->len);
	b_puts(out, "gpgsig -----BEGIN SSH SIGNATURE-----\n");
	for (i = 0; i < b64.len; i += 70) {
		b_put(out, " ", 1);
		b_put(out, b64.p + i, b64.len - i < 70 ? b64.len - i : 70);
		b_put(out, "\n", 1);
	}
	b_puts(out, " -----END SSH SIGNATURE-----\n");
	free(b64.p);
}

/* ---- the pack stream ---- */

struct pack {
	FILE *fp;
	SHA_CTX sum;
	z_stream z;
	unsigned char *zbuf;
	size_t zcap;
};

static void
pack_write(struct pack *pk, const void *d, size_t n)
{
	SHA1_Update(&pk->sum, d, n);
	if (fwrite(d, 1, n, pk->fp) != n)
		die("writing to git index-pack: %s", strerror(errno));
}

static void
pack_open(struct pack *pk, const char *gitdir, uint32_t nobj, int strict)
{
	unsigned char hdr[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
	    "GIT_DIR='%s' git index-pack --stdin%s >/dev/null", gitdir,
	    strict ? " --strict" : "");
	if (strchr(gitdir, '\'') != NULL)
		die("git dir contains a quote");
	if ((pk->fp = popen(cmd, "w")) == NULL)
		die("cannot run git index-pack");
	SHA1_Init(&pk->sum);
	memset(&pk->z, 0, sizeof(pk->z));
	if (deflateInit(&pk->z, 1) != Z_OK)
		die("deflateInit");
	pk->zbuf = NULL;
	pk->zcap = 0;
	hdr[8] = nobj >> 24;
	hdr[9] = nobj >> 16;
	hdr[10] = nobj >> 8;
	hdr[11] = nobj;
	pack_write(pk, hdr, 12);
}

/* Writes one object (1 commit, 2 tree, 3 blob); sets its id. */
static void
pack_object(
    struct pack *pk, int type, const void *d, size_t n, unsigned char id[20])
{
	static const char *names[] = {"", "commit", "tree", "blob"};
	unsigned char h[16], *q = h;
	char oh[64];
	size_t sz = n, bound;
	SHA_CTX c;
	int ohlen;

	ohlen = snprintf(oh, sizeof(oh), "%s %zu", names[type], n) + 1;
	SHA1_Init(&c);
	SHA1_Update(&c, oh, (size_t)ohlen);
	SHA1_Update(&c, d, n);
	SHA1_Final(id, &c);

	*q = (unsigned char)(type << 4 | (sz & 15));
	sz >>= 4;
	while (sz) {
		*q++ |= 0x80;
		*q = sz & 0x7f;
		sz >>= 7;
	}
	pack_write(pk, h, (size_t)(q - h + 1));

	bound = deflateBound(&pk->z, n);
	if (bound > pk->zcap) {
		pk->zcap = bound;
		if ((pk->zbuf = realloc(pk->zbuf, bound)) == NULL)
			die("out of memory");
	}
	deflateReset(&pk->z);
	pk->z.next_in = (unsigned char *)d;
	pk->z.avail_in = (uInt)n;
	pk->z.next_out = pk->zbuf;
	pk->z.avail_out = (uInt)pk->zcap;
	if (deflate(&pk->z, Z_FINISH) != Z_STREAM_END)
		die("deflate");
	pack_write(pk, pk->zbuf, pk->zcap - pk->z.avail_out);
}

static void
pack_close(struct pack *pk)
{
	unsigned char sum[20];

	SHA1_Final(sum, &pk->sum);
	if (fwrite(sum, 1, 20, pk->fp) != 20)
		die("writing to git index-pack");
	deflateEnd(&pk->z);
	free(pk->zbuf);
	if (pclose(pk->fp) != 0)
		die("git index-pack failed");
}

/* ---- commits ---- */

enum fault {
	F_NONE,
	F_ONE_APPROVAL,
	F_SELF_APPROVAL,
	F_BAD_APPROVAL,
	F_FORGED_EMAIL,
	F_UNSIGNED,
	F_WRONG_SIGNER,
	F_UNKNOWN_SIGNER,
	F_BAD_SIGNATURE,
};

static const char *fault_names[] = {"", "one-approval", "self-approval",
    "bad-approval", "forged-email", "unsigned", "wrong-signer",
    "unknown-signer", "bad-signature"};

struct gen {
	const char *gitdir, *parent, *list, *seed;
	long count;
	int nids, approvals, unsigned_, strict;
	long fault_at[MAX_FAULTS];
	enum fault fault_kind[MAX_FAULTS];
	int nfaults;
};

static enum fault
fault_of(const struct gen *g, long i)
{
	int k;

	for (k = 0; k < g->nfaults; k++)
		if (g->fault_at[k] == i)
			return g->fault_kind[k];
	return F_NONE;
}

/* The approver number j (0-based) of commit i by author a: never a. */
static int
approver(int nids, long i, int a, int j)
{
	int step = 1 + (int)((i / nids) % (nids - 1 > 1 ? nids - 1 : 1));
	int r = a, k;

	for (k = 0; k <= j; k++) {
		r = (r + step) % nids;
		if (r == a)
			r = (r + 1) % nids;
	}
	return r;
}

static int
cmd_commits(struct gen *g)
{
	struct ident *ids, unknown;
	unsigned char parent[20], blob[20], tree[20], cid[20];
	char phex[41], thex[41], chex[41];
	struct buf content = {0}, tb = {0}, payload = {0}, msg = {0}, sig = {0},
	           obj = {0}, hdrs = {0}, canon = {0};
	struct pack pk;
	FILE *list = NULL;
	int have_parent = 0, i;
	long n;

	if (g->nids < 3)
		die("need at least 3 identities");
	if ((ids = calloc((size_t)g->nids, sizeof(*ids))) == NULL)
		die("out of memory");
	for (i = 0; i < g->nids; i++)
		ident_make(&ids[i], i);
	ident_make(&unknown, UNKNOWN_ID);
	if (g->parent != NULL) {
		if (fromhex(parent, g->parent) < 0)
			die("bad parent id '%s'", g->parent);
		have_parent = 1;
	}
	if (g->list != NULL && (list = fopen(g->list, "w")) == NULL)
		die("%s: %s", g->list, strerror(errno));

	pack_open(&pk, g->gitdir, (uint32_t)(3 * g->count), g->strict);
	for (n = 0; n < g->count; n++) {
		enum fault f = fault_of(g, n);
		int a = (int)(n % g->nids), napp = g->approvals, j;
		/*
		 * Dated after everything already generated, as real commits
		 * are dated after their parents: revision walks (git's and
		 * libgit2's) stop early by date, and a commit dated before its
		 * own parent makes them read the whole history.
		 */
		long t = BASE_TIME + (g->parent != NULL ? 100000000L : 0) + n;
		const struct ident *au = &ids[a], *signer = au;

		/* A blob and a tree of its own. */
		content.len = 0;
		b_printf(&content, "bench %s commit %ld\n",
		    g->seed ? g->seed : "", n);
		pack_object(&pk, 3, content.p, content.len, blob);
		tb.len = 0;
		b_put(&tb, "100644 file", 12); /* with the NUL */
		b_put(&tb, blob, 20);
		pack_object(&pk, 2, tb.p, tb.len, tree);
		tohex(thex, tree);

		/* Headers up to the author; the approval payload. */
		hdrs.len = 0;
		b_printf(&hdrs, "tree %s\n", thex);
		if (have_parent) {
			tohex(phex, parent);
			b_printf(&hdrs, "parent %s\n", phex);
		}
		b_printf(&hdrs, "author %s <%s> %ld +0000\n", au->name,
		    au->email, t);

		canon.len = 0;
		b_printf(&canon,
		    "bench: change %ld%s%s\n\n"
		    "Generated by bench/gen for the twokey benchmark: one\n"
		    "file changed, written by %s.\n\n"
		    "Signed-off-by: %s <%s>\n",
		    n, g->seed ? " of " : "", g->seed ? g->seed : "", au->name,
		    au->name, au->email);

		payload.len = 0;
		b_puts(&payload, "twokey-approval v1\n");
		b_put(&payload, hdrs.p, hdrs.len);
		b_puts(&payload, "\n");
		b_put(&payload, canon.p, canon.len);

		msg.len = 0;
		b_put(&msg, canon.p, canon.len);
		if (f == F_ONE_APPROVAL && napp > 1)
			napp = 1;
		for (j = 0; j < napp; j++) {
			int r = approver(g->nids, n, a, j);
			const struct ident *key = &ids[r], *named = &ids[r];

			if (j == 1 && f == F_SELF_APPROVAL)
				key = named = au;
			if (j == 1 && f == F_FORGED_EMAIL)
				named = &ids[approver(g->nids, n, a, j + 1)];
			sig.len = 0;
			if (j == 1 && f == F_BAD_APPROVAL)
				sshsig(&sig, key, "twokey-approval", "x", 1);
			else
				sshsig(&sig, key, "twokey-approval", payload.p,
				    payload.len);
			b_printf(&msg,
			    "Approved-by: %s <%s> sshsig:", named->name,
			    named->email);
			b_base64(&msg, sig.p, sig.len);
			b_puts(&msg, "\n");
		}

		/* The commit without its signature: what git signs. */
		obj.len = 0;
		b_put(&obj, hdrs.p, hdrs.len);
		b_printf(&obj, "committer %s <%s> %ld +0000\n", au->name,
		    au->email, t);
		if (!g->unsigned_ && f != F_UNSIGNED) {
			size_t hlen = obj.len;
			struct buf signed_obj = {0};

			b_puts(&obj, "\n");
			b_put(&obj, msg.p, msg.len);
			if (f == F_WRONG_SIGNER)
				signer = &ids[approver(g->nids, n, a, 0)];
			if (f == F_UNKNOWN_SIGNER)
				signer = &unknown;
			sig.len = 0;
			if (f == F_BAD_SIGNATURE)
				sshsig(&sig, signer, "git", obj.p, obj.len - 1);
			else
				sshsig(&sig, signer, "git", obj.p, obj.len);
			b_put(&signed_obj, obj.p, hlen);
			gpgsig_header(&signed_obj, &sig);
			b_put(&signed_obj, obj.p + hlen, obj.len - hlen);
			free(obj.p);
			obj = signed_obj;
		} else {
			b_puts(&obj, "\n");
			b_put(&obj, msg.p, msg.len);
		}
		pack_object(&pk, 1, obj.p, obj.len, cid);
		memcpy(parent, cid, 20);
		have_parent = 1;
		if (list != NULL) {
			tohex(chex, cid);
			fprintf(list, "%s\n", chex);
		}
	}
	pack_close(&pk);
	if (list != NULL && fclose(list) != 0)
		die("%s: %s", g->list, strerror(errno));
	tohex(chex, parent);
	printf("%s\n", chex);
	for (i = 0; i < g->nids; i++) {
		EVP_PKEY_free(ids[i].key);
		free(ids[i].blob.p);
	}
	free(ids);
	free(content.p);
	free(tb.p);
	free(payload.p);
	free(msg.p);
	free(sig.p);
	free(obj.p);
	free(hdrs.p);
	free(canon.p);
	return 0;
}

static int
cmd_policy(int nids, const char *audit)
{
	struct buf b = {0};
	struct ident id;
	int i;

	b_puts(&b,
	    "# twokey benchmark policy, generated by bench/gen\n"
	    "version: 1\n"
	    "roles:\n"
	    "  developer: writes code\n"
	    "  reviewer: approves changes\n"
	    "identities:\n");
	for (i = 0; i < nids; i++) {
		ident_make(&id, i);
		b_printf(&b,
		    "  %s:\n"
		    "    name: %s\n"
		    "    emails: [%s]\n"
		    "    logins: [%s]\n"
		    "    keys: [\"",
		    id.login, id.name, id.email, id.login);
		ident_publine(&b, &id);
		b_puts(&b, "\"]\n    roles: [developer, reviewer]\n");
		EVP_PKEY_free(id.key);
		free(id.blob.p);
		if (b.len > (1 << 20)) {
			fwrite(b.p, 1, b.len, stdout);
			b.len = 0;
		}
	}
	b_puts(&b,
	    "rules:\n"
	    "  - name: mainline\n"
	    "    refs: 'refs/heads/(main|release/.+)'\n"
	    "    delete: []\n"
	    "    force-push: []\n"
	    "    signed-commits: true\n"
	    "    approvals:\n"
	    "      min: 2\n"
	    "      from: [reviewer]\n"
	    "  - name: everything else\n"
	    "    refs: '.*'\n");
	if (audit != NULL)
		b_printf(&b, "audit:\n  path: %s\n", audit);
	fwrite(b.p, 1, b.len, stdout);
	free(b.p);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
cmd_signers(int nids)
{
	struct buf b = {0};
	struct ident id;
	int i;

	for (i = 0; i < nids; i++) {
		ident_make(&id, i);
		b_printf(&b, "%s ", id.email);
		ident_publine(&b, &id);
		b_puts(&b, "\n");
		EVP_PKEY_free(id.key);
		free(id.blob.p);
	}
	fwrite(b.p, 1, b.len, stdout);
	free(b.p);
	return fflush(stdout) == 0 ? 0 : 1;
}

static void
usage(void)
{
	fputs("usage: gen policy --ids N [--audit PATH]\n"
	      "       gen signers --ids N\n"
	      "       gen commits --git-dir D --count N [--parent HEX] "
	      "[--ids K] [--seed S]\n"
	      "                   [--unsigned] [--approvals A] "
	      "[--fault I:KIND]... [--strict] [--list FILE]\n",
	    stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct gen g;
	const char *audit = NULL, *mode;
	int i, k;

	if (argc < 2)
		usage();
	memset(&g, 0, sizeof(g));
	g.nids = 20;
	g.approvals = 2;
	g.count = -1;
	mode = argv[1];
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--unsigned") == 0) {
			g.unsigned_ = 1;
			continue;
		}
		if (strcmp(a, "--strict") == 0) {
			g.strict = 1;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--ids") == 0)
			g.nids = atoi(v);
		else if (strcmp(a, "--audit") == 0)
			audit = v;
		else if (strcmp(a, "--git-dir") == 0)
			g.gitdir = v;
		else if (strcmp(a, "--count") == 0)
			g.count = atol(v);
		else if (strcmp(a, "--parent") == 0)
			g.parent = v;
		else if (strcmp(a, "--seed") == 0)
			g.seed = v;
		else if (strcmp(a, "--approvals") == 0)
			g.approvals = atoi(v);
		else if (strcmp(a, "--list") == 0)
			g.list = v;
		else if (strcmp(a, "--fault") == 0) {
			const char *c = strchr(v, ':');

			if (c == NULL || g.nfaults == MAX_FAULTS)
				usage();
			for (k = 1; k <= F_BAD_SIGNATURE; k++)
				if (strcmp(c + 1, fault_names[k]) == 0)
					break;
			if (k > F_BAD_SIGNATURE)
				die("unknown fault '%s'", c + 1);
			g.fault_at[g.nfaults] = atol(v);
			g.fault_kind[g.nfaults++] = (enum fault)k;
		} else
			usage();
	}
	if (g.nids < 1)
		usage();
	if (strcmp(mode, "policy") == 0)
		return cmd_policy(g.nids, audit);
	if (strcmp(mode, "signers") == 0)
		return cmd_signers(g.nids);
	if (strcmp(mode, "commits") == 0) {
		if (g.gitdir == NULL || g.count < 1)
			usage();
		return cmd_commits(&g);
	}
	usage();
	return 2;
}
