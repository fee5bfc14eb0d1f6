/*
 * bench/floor: the floor twokey's hook time is compared with in
 * scripts/bench, measured in one process, on one thread:
 *
 *   A. listing and reading the entering commits with git alone:
 *      "git rev-list NEW ^OLD | git cat-file --batch", every byte read here;
 *   B. COMMITS x (1 + APPROVALS) single Ed25519 SSHSIG verifications with
 *      OpenSSL: SHA-512 of the message (the commit's bytes), the SSHSIG
 *      signed-data blob built around it, EVP_DigestVerify.  Keys are parsed
 *      once (20 of them, as in the benchmark), and the signatures are made
 *      before the clock starts; every verification must succeed.
 *
 * Prints one line: commits, bytes, A in ms, verifications, B in ms, A+B.
 *
 *   floor GIT_DIR OLD NEW [APPROVALS]     (OLD may be 40 zeros)
 *
 * Build: cc -O2 -o floor bench/floor.c -lcrypto
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#define NKEYS 20

static void
die(const char *m)
{
	fprintf(stderr, "floor: %s%s%s\n", m, errno ? ": " : "",
	    errno ? strerror(errno) : "");
	exit(2);
}

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static pid_t
spawn(char *const argv[], int in, int out)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (in >= 0 && dup2(in, 0) < 0)
			_exit(127);
		if (out >= 0 && dup2(out, 1) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

struct commit {
	const unsigned char *p;
	size_t len;
};

static size_t
put32(unsigned char *q, uint32_t v)
{
	q[0] = v >> 24;
	q[1] = v >> 16;
	q[2] = v >> 8;
	q[3] = v;
	return 4;
}

/* The SSHSIG signed data for msg in namespace ns; returns its length. */
static size_t
signed_data(unsigned char *td, const char *ns, const void *msg, size_t len)
{
	size_t n = 0, nl = strlen(ns);

	memcpy(td, "SSHSIG", 6);
	n = 6;
	n += put32(td + n, (uint32_t)nl);
	memcpy(td + n, ns, nl);
	n += nl;
	n += put32(td + n, 0);
	n += put32(td + n, 6);
	memcpy(td + n, "sha512", 6);
	n += 6;
	n += put32(td + n, 64);
	SHA512(msg, len, td + n);
	return n + 64;
}

int
main(int argc, char **argv)
{
	static const char *zero = "0000000000000000000000000000000000000000";
	char range[100], *rl[] = {"git", "rev-list", NULL, NULL, NULL};
	char *cf[] = {"git", "cat-file", "--batch", NULL};
	int p1[2], p2[2], st, napp, i;
	unsigned char *data = NULL, td[256], (*sigs)[64], seed[32];
	size_t len = 0, cap = 0, nc = 0, ccap = 0, off, nver, k, siglen;
	struct commit *cs = NULL;
	EVP_PKEY *keys[NKEYS];
	EVP_MD_CTX *ctx;
	double t0, ta, tb;
	pid_t a, b;
	ssize_t r;
	char s[64];
	int bad = 0;

	if (argc < 4)
		die("usage: floor GIT_DIR OLD NEW [APPROVALS]");
	napp = argc > 4 ? atoi(argv[4]) : 2;
	if (setenv("GIT_DIR", argv[1], 1) != 0)
		die("setenv");
	rl[2] = argv[3];
	if (strcmp(argv[2], zero) != 0) {
		snprintf(range, sizeof(range), "^%s", argv[2]);
		rl[3] = range;
	}

	/* A: git rev-list | git cat-file --batch, read to the last byte. */
	t0 = now_ms();
	if (pipe(p1) < 0 || pipe(p2) < 0)
		die("pipe");
	a = spawn(rl, -1, p1[1]);
	close(p1[1]);
	b = spawn(cf, p1[0], p2[1]);
	close(p1[0]);
	close(p2[1]);
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((data = realloc(data, cap)) == NULL)
				die("out of memory");
		}
		r = read(p2[0], data + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(p2[0]);
	if (waitpid(a, &st, 0) != a || !WIFEXITED(st) || WEXITSTATUS(st))
		die("git rev-list failed");
	if (waitpid(b, &st, 0) != b || !WIFEXITED(st) || WEXITSTATUS(st))
		die("git cat-file failed");
	for (off = 0; off < len;) {
		unsigned char *nl = memchr(data + off, '\n', len - off);
		char *sp;

		if (nl == NULL)
			die("bad cat-file output");
		*nl = 0;
		if ((sp = strrchr((char *)data + off, ' ')) == NULL)
			die("bad cat-file header");
		if (nc == ccap) {
			ccap = ccap ? ccap * 2 : 1024;
			if ((cs = realloc(cs, ccap * sizeof(*cs))) == NULL)
				die("out of memory");
		}
		cs[nc].p = nl + 1;
		cs[nc].len = strtoul(sp + 1, NULL, 10);
		off = (size_t)(nl + 1 - data) + cs[nc].len + 1;
		nc++;
	}
	ta = now_ms() - t0;

	/* B: the signatures, made before the clock starts. */
	for (i = 0; i < NKEYS; i++) {
		snprintf(s, sizeof(s), "twokey-bench identity %d", i);
		SHA256((const unsigned char *)s, strlen(s), seed);
		keys[i] = EVP_PKEY_new_raw_private_key(
		    EVP_PKEY_ED25519, NULL, seed, 32);
		if (keys[i] == NULL)
			die("key");
	}
	nver = nc * (size_t)(1 + napp);
	if ((sigs = malloc((nver ? nver : 1) * 64)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		die("out of memory");
	for (k = 0; k < nver; k++) {
		const struct commit *c = &cs[k / (size_t)(1 + napp)];
		size_t n = signed_data(td,
		    k % (size_t)(1 + napp) ? "twokey-approval" : "git", c->p,
		    c->len);

		siglen = 64;
		EVP_MD_CTX_reset(ctx);
		if (EVP_DigestSignInit(
		        ctx, NULL, NULL, NULL, keys[k % NKEYS]) != 1 ||
		    EVP_DigestSign(ctx, sigs[k], &siglen, td, n) != 1)
			die("sign");
	}
	t0 = now_ms();
	for (k = 0; k < nver; k++) {
		const struct commit *c = &cs[k / (size_t)(1 + napp)];
		size_t n = signed_data(td,
		    k % (size_t)(1 + napp) ? "twokey-approval" : "git", c->p,
		    c->len);

		EVP_MD_CTX_reset(ctx);
		if (EVP_DigestVerifyInit(
		        ctx, NULL, NULL, NULL, keys[k % NKEYS]) != 1 ||
		    EVP_DigestVerify(ctx, sigs[k], 64, td, n) != 1)
			bad++;
	}
	tb = now_ms() - t0;
	if (bad)
		die("a verification failed");
	printf(
	    "commits %zu bytes %zu revlist_catfile_ms %.3f verifications %zu "
	    "verify_ms %.3f floor_ms %.3f\n",
	    nc, len, ta, nver, tb, ta + tb);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	free(sigs);
	free(cs);
	free(data);
	return 0;
}
