/*
 * tk_sksign: SSHSIG signatures by a software "security key", for tests of
 * what ssh-keygen cannot make without a FIDO token (PROTOCOL.u2f,
 * PROTOCOL.sshsig).  Test only; not installed.
 *
 *   tk_sksign pub PEMFILE
 *	prints the sk-ssh-ed25519@openssh.com public key line (application
 *	"ssh:") of the Ed25519 private key in PEMFILE
 *	(openssl genpkey -algorithm ed25519).
 *
 *   tk_sksign sign PEMFILE FLAGS NAMESPACE < MESSAGE
 *	prints the armoured SSHSIG (hash sha512) over MESSAGE, as the key would
 *	sign it with the authenticator FLAGS (decimal: 1 is user presence,
 *	0 a signature made without a touch) and counter 7.
 *
 * Exit 0, or 2 on a usage or I/O error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#define MSG_MAX (16 << 20)
#define APP "ssh:"

struct buf {
	unsigned char p[1 << 14];
	size_t n;
};

static void
die(const char *why)
{
	fprintf(stderr, "tk_sksign: %s\n", why);
	exit(2);
}

static void
put(struct buf *b, const void *p, size_t n)
{
	if (n > sizeof(b->p) - b->n)
		die("buffer full");
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)(v >> 24),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	    (unsigned char)v};

	put(b, x, 4);
}

static void
put_str(struct buf *b, const void *p, size_t n)
{
	put_u32(b, (uint32_t)n);
	put(b, p, n);
}

static void
put_cstr(struct buf *b, const char *s)
{
	put_str(b, s, strlen(s));
}

static EVP_PKEY *
load(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL)
		die("cannot open the key file");
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519)
		die("not an Ed25519 private key");
	return k;
}

static void
key_blob(struct buf *b, EVP_PKEY *k)
{
	unsigned char pub[32];
	size_t len = sizeof(pub);

	if (EVP_PKEY_get_raw_public_key(k, pub, &len) != 1 || len != 32)
		die("cannot read the public key");
	put_cstr(b, "sk-ssh-ed25519@openssh.com");
	put_str(b, pub, len);
	put_cstr(b, APP);
}

static void
sha(const char *md, const void *p, size_t n, unsigned char *out, unsigned *len)
{
	if (EVP_Digest(p, n, out, len, EVP_get_digestbyname(md), NULL) != 1)
		die("digest failed");
}

static void
print_b64(const struct buf *b, size_t wrap)
{
	unsigned char *out = malloc(b->n * 2 + 4);
	size_t i, n;

	if (out == NULL)
		die("out of memory");
	n = (size_t)EVP_EncodeBlock(out, b->p, (int)b->n);
	for (i = 0; i < n; i++) {
		putchar(out[i]);
		if (wrap > 0 && (i + 1) % wrap == 0 && i + 1 < n)
			putchar('\n');
	}
	free(out);
}

static int
cmd_pub(EVP_PKEY *k)
{
	struct buf b = {.n = 0};

	key_blob(&b, k);
	fputs("sk-ssh-ed25519@openssh.com ", stdout);
	print_b64(&b, 0);
	puts(" twokey-test-sk");
	return 0;
}

static int
cmd_sign(EVP_PKEY *k, unsigned flags, const char *ns)
{
	static unsigned char msg[MSG_MAX];
	struct buf key = {.n = 0}, tbs = {.n = 0}, data = {.n = 0};
	struct buf sig = {.n = 0}, out = {.n = 0};
	unsigned char h[64], raw[64];
	unsigned hl;
	size_t n = fread(msg, 1, sizeof(msg), stdin), rawlen = sizeof(raw);
	EVP_MD_CTX *ctx;

	if (ferror(stdin) || !feof(stdin))
		die("cannot read the message");
	key_blob(&key, k);
	/* What SSHSIG signs: magic, namespace, reserved, hash, H(message). */
	put(&tbs, "SSHSIG", 6);
	put_cstr(&tbs, ns);
	put_str(&tbs, "", 0);
	put_cstr(&tbs, "sha512");
	sha("SHA512", msg, n, h, &hl);
	put_str(&tbs, h, hl);
	/* What the authenticator signs over it. */
	sha("SHA256", APP, strlen(APP), h, &hl);
	put(&data, h, hl);
	put(&data, (unsigned char[]){(unsigned char)flags}, 1);
	put_u32(&data, 7);
	sha("SHA256", tbs.p, tbs.n, h, &hl);
	put(&data, h, hl);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, raw, &rawlen, data.p, data.n) != 1)
		die("signing failed");
	EVP_MD_CTX_free(ctx);
	put_cstr(&sig, "sk-ssh-ed25519@openssh.com");
	put_str(&sig, raw, rawlen);
	put(&sig, (unsigned char[]){(unsigned char)flags}, 1);
	put_u32(&sig, 7);
	put(&out, "SSHSIG", 6);
	put_u32(&out, 1);
	put_str(&out, key.p, key.n);
	put_cstr(&out, ns);
	put_str(&out, "", 0);
	put_cstr(&out, "sha512");
	put_str(&out, sig.p, sig.n);
	puts("-----BEGIN SSH SIGNATURE-----");
	print_b64(&out, 70);
	puts("\n-----END SSH SIGNATURE-----");
	return 0;
}

int
main(int argc, char **argv)
{
	EVP_PKEY *k;
	int rc;

	if (argc == 3 && strcmp(argv[1], "pub") == 0) {
		rc = cmd_pub(k = load(argv[2]));
		EVP_PKEY_free(k);
		return rc;
	}
	if (argc == 5 && strcmp(argv[1], "sign") == 0) {
		rc = cmd_sign(k = load(argv[2]),
		    (unsigned)strtoul(argv[3], NULL, 10) & 0xff, argv[4]);
		EVP_PKEY_free(k);
		return rc;
	}
	fprintf(stderr,
	    "usage: tk_sksign pub PEMFILE\n"
	    "       tk_sksign sign PEMFILE FLAGS NAMESPACE\n");
	return 2;
}
