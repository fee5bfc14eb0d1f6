/*
 * Ref updates: pre-receive's stdin (tk_updates_parse), and the update
 * hook's or gitolite's argv (tk_updates_from_args) made by splitting the
 * input at NUL bytes into up to 8 arguments.  Whatever is accepted must be
 * what the checks rely on: one update per line, 40-digit ids, ref names
 * without control characters.
 */
#include "fuzz.h"

#include "internal.h"
#include "twokey/check.h"

#define MAX_ARGS 8

static void
check_updates(const struct tk_updates *u)
{
	const char *ref;
	size_t i, j, n;

	FUZZ_CHECK(u->n <= u->cap && u->n <= TK_UPDATES_MAX_REFS);
	FUZZ_CHECK(u->n == 0 || u->hexlen == 40);
	for (i = 0; i < u->n; i++) {
		ref = u->items[i].ref;
		n = strlen(ref);
		FUZZ_CHECK(n > 0 && n <= TK_REF_MAX_LEN);
		for (j = 0; j < n; j++)
			FUZZ_CHECK(
			    (unsigned char)ref[j] >= 0x20 && ref[j] != 0x7f);
		FUZZ_CHECK(!git_oid_is_zero(&u->items[i].old_id) ||
		    !git_oid_is_zero(&u->items[i].new_id));
	}
}

static void
fuzz_stdin(const uint8_t *data, size_t size)
{
	struct tk_updates u;
	size_t lines = 0, i;

	memset(&u, 0, sizeof(u));
	if (tk_updates_parse(&u, (const char *)data, size) == 0) {
		check_updates(&u);
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		FUZZ_CHECK(u.n == lines);
	}
	tk_updates_release(&u);
}

static void
fuzz_argv(const uint8_t *data, size_t size)
{
	struct tk_updates u;
	char *buf = fuzz_cstring(data, size), *argv[MAX_ARGS + 1];
	size_t i;
	int argc = 0;

	memset(&u, 0, sizeof(u));
	argv[argc++] = buf;
	for (i = 0; i < size && argc < MAX_ARGS; i++)
		if (buf[i] == '\0')
			argv[argc++] = buf + i + 1;
	argv[argc] = NULL;
	if (tk_updates_from_args(&u, argc, argv) == 0) {
		check_updates(&u);
		FUZZ_CHECK(u.n == 1 && strcmp(u.items[0].ref, argv[0]) == 0);
	}
	tk_updates_release(&u);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stdin(data, size);
	fuzz_argv(data, size);
	return 0;
}
