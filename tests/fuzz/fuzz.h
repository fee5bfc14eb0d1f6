/*
 * Shared by the libFuzzer targets in this directory.  Each target feeds one
 * input surface of the library with hostile bytes, frees everything it got
 * back (LeakSanitizer runs after every input), and checks the contracts of
 * the public headers where that is cheap.  A broken invariant aborts, so
 * libFuzzer keeps the input as a crash; abort() rather than assert() because
 * the standalone replay is also built with NDEBUG.
 */
#ifndef TK_FUZZ_H
#define TK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(__FILE__, __LINE__, #cond);                  \
	} while (0)

/* A NUL-terminated copy of the input, for APIs that take C strings. */
static inline char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
