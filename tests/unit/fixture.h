/*
 * Reading committed test fixtures (tests/data, found through TK_TEST_DATA,
 * which ctest sets).  Include after cmocka.h and internal.h.
 */
#ifndef TK_TEST_FIXTURE_H
#define TK_TEST_FIXTURE_H

/*
 * The whole of $TK_TEST_DATA/dir/name, NUL-terminated, at most 1 MiB; the
 * length (without the NUL) in *lenp when given.  Fails the test when the
 * file cannot be read.  The caller frees.
 */
static inline char *
read_fixture_in(const char *dir, const char *name, size_t *lenp)
{
	const char *top = getenv("TK_TEST_DATA");
	struct tk_buf b = TK_BUF_INIT(1024 * 1024);
	char path[4096], chunk[4096];
	size_t n;
	FILE *f;

	assert_non_null(top);
	snprintf(path, sizeof(path), "%s/%s/%s", top, dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open fixture %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(tk_buf_put(&b, chunk, n), 0);
	fclose(f);
	assert_int_equal(tk_buf_put(&b, "", 0), 0);
	if (lenp != NULL)
		*lenp = b.len;
	return tk_buf_detach(&b, NULL);
}

/* Writes v big-endian (git's and SSH's binary formats) to p[0..4). */
static inline void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

#endif
