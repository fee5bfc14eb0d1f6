/* Unit tests for the bounded buffer, base64, sanitizer and hash map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "internal.h"

static void
test_util__buf_bounded(void **state)
{
	struct tk_buf b = TK_BUF_INIT(8);

	assert_int_equal(tk_buf_puts(&b, "12345678"), 0);
	assert_int_equal(tk_buf_putc(&b, 'x'), TK_ETOOBIG);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.ptr, "12345678");
	tk_buf_reset(&b);
	assert_int_equal(tk_buf_printf(&b, "%d-%s", 42, "ab"), 0);
	assert_string_equal(b.ptr, "42-ab");
	assert_int_equal(tk_buf_printf(&b, "%s", "toolong"), TK_ETOOBIG);
	tk_buf_release(&b);
}

static void
check_decode(const char *in, const char *want, int rc)
{
	unsigned char *out;
	size_t len;

	assert_int_equal(tk_base64_decode(&out, &len, in, strlen(in), 100), rc);
	if (rc == 0) {
		assert_int_equal(len, strlen(want));
		assert_memory_equal(out, want, len);
	} else
		assert_null(out);
	free(out);
}

static void
test_util__base64(void **state)
{
	struct tk_buf b = TK_BUF_INIT(100);

	check_decode("", "", 0);
	check_decode("Zm9v", "foo", 0);
	check_decode("Zm9vYg==", "foob", 0);
	check_decode("Zm9vYmE=", "fooba", 0);
	check_decode("Zm9v\n YmE=", "fooba", 0);
	check_decode("Zm9vYg=", "", TK_EINVAL); /* truncated */
	check_decode("Zm9vYh==", "", TK_EINVAL); /* non-zero pad bits */
	check_decode("Zm9v=Yg=", "", TK_EINVAL); /* data after padding */
	check_decode("Zm9-", "", TK_EINVAL); /* url alphabet */
	check_decode("Z===", "", TK_EINVAL); /* too much padding */
	check_decode("Zm9vYg", "", TK_EINVAL); /* unpadded */
	assert_int_equal(
	    tk_base64_encode(&b, (const unsigned char *)"fooba", 5), 0);
	assert_string_equal(b.ptr, "Zm9vYmE=");
	tk_buf_release(&b);
}

static void
test_util__base64_max(void **state)
{
	unsigned char *out;
	size_t len;

	assert_int_equal(
	    tk_base64_decode(&out, &len, "Zm9vYmFy", 8, 5), TK_ETOOBIG);
	assert_null(out);
	assert_int_equal(tk_base64_decode(&out, &len, "Zm9vYmFy", 8, 6), 0);
	free(out);
}

static void
check_sanitize(const char *in, size_t len, const char *want)
{
	struct tk_buf b = TK_BUF_INIT(1000);

	assert_int_equal(tk_sanitize(&b, in, len, 100), 0);
	assert_string_equal(b.ptr ? b.ptr : "", want);
	tk_buf_release(&b);
}

static void
test_util__sanitize(void **state)
{
	check_sanitize("plain", 5, "plain");
	check_sanitize("a\x1b[31mred", 9, "a?[31mred");
	check_sanitize("nul\0x", 5, "nul?x");
	check_sanitize("caf\xc3\xa9", 5, "caf\xc3\xa9");
	check_sanitize("bad\xff", 4, "bad?");
	check_sanitize("c1\xc2\x9b", 4, "c1??"); /* U+009B is CSI */
	check_sanitize("over\xc0\xafx", 7, "over??x");
	check_sanitize("del\x7f", 4, "del?");
}

static void
test_util__map(void **state)
{
	struct tk_map *m;
	void *old = NULL;
	char key[32];
	int i, vals[3000];

	assert_int_equal(tk_map_new(&m), 0);
	for (i = 0; i < 3000; i++) {
		vals[i] = i;
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(
		    tk_map_put(m, key, strlen(key), &vals[i], NULL), 0);
	}
	assert_int_equal(tk_map_count(m), 3000);
	assert_int_equal(tk_map_put(m, "k7", 2, &vals[0], &old), TK_ERROR);
	assert_ptr_equal(old, &vals[7]);
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_ptr_equal(tk_map_get(m, key, strlen(key)), &vals[i]);
	}
	assert_null(tk_map_get(m, "k3000", 5));
	assert_null(tk_map_get(m, "k7\0", 3));
	tk_map_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_util__buf_bounded),
	    cmocka_unit_test(test_util__base64),
	    cmocka_unit_test(test_util__base64_max),
	    cmocka_unit_test(test_util__sanitize),
	    cmocka_unit_test(test_util__map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
