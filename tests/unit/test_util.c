/* Unit tests for the bounded buffer, base64, sanitizer and hash map. */
#include <setjmp.h>
#include <time.h>
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
	/* bidirectional controls: one '?' each; their neighbours kept */
	check_sanitize("refs/\xe2\x80\xaeniam", 12, "refs/?niam");
	check_sanitize(
	    "\xe2\x81\xa6x\xe2\x81\xa9\xd8\x9c\xe2\x80\x8f", 12, "?x???");
	check_sanitize("\xe2\x80\x8d\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b", 11,
	    "\xe2\x80\x8d\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b");
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

/*
 * tk_utc_format against the C library's gmtime_r and strftime, over the
 * edges (epoch, leap days, century years, 9999) and 100,000 times spread
 * over years 0 to 9999, before and after 1970.
 */
static void
utc_check(int64_t t)
{
	char want[64], got[TK_UTC_LEN + 1];
	time_t tt = (time_t)t;
	struct tm tm;
	struct tk_utc u;

	assert_non_null(gmtime_r(&tt, &tm));
	/* glibc's %Y does not pad years before 1000 to four digits */
	snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	if (tm.tm_year + 1900 >= 1000) {
		char lib[64];

		assert_int_equal(
		    strftime(lib, sizeof(lib), "%Y-%m-%dT%H:%M:%SZ", &tm), 20);
		assert_string_equal(lib, want);
	}
	tk_utc_format(got, t);
	if (strcmp(want, got) != 0)
		fail_msg("%lld: %s, not %s", (long long)t, got, want);
	tk_utc_split(t, &u);
	assert_int_equal(u.year, (int64_t)tm.tm_year + 1900);
	assert_int_equal(u.mon, tm.tm_mon + 1);
	assert_int_equal(u.mday, tm.tm_mday);
}

static void
test_util__utc(void **state)
{
	static const int64_t edges[] = {0, -1, 1, 86399, 86400, -86400, -86401,
	    951782400 /* 2000-02-29 */, 951868800, 4107542400,
	    /* 2100-03-01 */ 4107456000, 68256000, -2208988800 /* 1900 */,
	    -62167219200 /* 0000-01-01 */, 253402300799 /* 9999-12-31 */,
	    1709164800 /* 2024-02-29 */, 2147483647, 2147483648};
	char got[TK_UTC_LEN + 1];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		utc_check(edges[i]);
	for (i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		utc_check(-62167219200LL +
		    (int64_t)(x % (253402300799ULL + 62167219200ULL)));
	}
	tk_utc_format(got, 253402300800LL);
	assert_string_equal(got, "9999-12-31T23:59:59Z");
	tk_utc_format(got, INT64_MAX);
	assert_string_equal(got, "9999-12-31T23:59:59Z");
	tk_utc_format(got, -62167219201LL);
	assert_string_equal(got, "0000-01-01T00:00:00Z");
	tk_utc_format(got, INT64_MIN);
	assert_string_equal(got, "0000-01-01T00:00:00Z");
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
	    cmocka_unit_test(test_util__utc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
