/*
 * Helpers shared by the library's modules; not installed.
 *
 * Ownership, once for the whole library: an object handed back through a
 * pointer-to-pointer out-parameter belongs to the caller, who frees it with
 * the matching _free(); *out is NULL on entry and stays NULL on failure.  A
 * pointer returned directly is borrowed from its parent object.  Every
 * _free(NULL) and _release() of a zeroed struct is a no-op.
 */
#ifndef TK_INTERNAL_H
#define TK_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twokey/buf.h"
#include "twokey/error.h"

#define TK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* struct tk_buf and its functions: twokey/buf.h */

/* Allocation helpers that record TK_ENOMEM; NULL on failure. */
void *tk_calloc(size_t n, size_t size);
char *tk_strdup(const char *s);
char *tk_strndup(const char *s, size_t n);
/*
 * Makes room for one more element in *arr, which holds n elements of size
 * and has only ever been grown this way: its capacity follows from n, so
 * arrays that keep just a count need no capacity field.  0 or TK_ENOMEM.
 */
int tk_grow_one(void *arr, size_t n, size_t size);
/* Grows *arr (of *cap elements of size) to hold at least n; 0 or TK_ENOMEM */
int tk_grow(void *arr, size_t *cap, size_t n, size_t size);

/*
 * Standard padded base64 (RFC 4648 section 4).  Decoding skips ASCII white
 * space, refuses any other non-alphabet byte, bad padding and non-zero pad
 * bits, and fails with TK_ETOOBIG when the output would exceed max bytes.
 * *out (caller frees) is NULL on failure.
 */
int tk_base64_decode(unsigned char **out, size_t *outlen, const char *in,
    size_t inlen, size_t max);
int tk_base64_encode(struct tk_buf *out, const unsigned char *in, size_t len);

/*
 * UTC broken-down time and "YYYY-MM-DDTHH:MM:SSZ" without the C library's
 * time zone code (lib/util/utc.c).  tk_utc_format writes years past 9999
 * as 9999-12-31T23:59:59Z and years before 0 as 0000-01-01T00:00:00Z.
 */
struct tk_utc {
	int64_t year;
	int mon, mday, hour, min, sec; /* 1-12, 1-31, 0-23, 0-59, 0-59 */
};
#define TK_UTC_LEN 20
void tk_utc_split(int64_t t, struct tk_utc *u);
void tk_utc_format(char out[TK_UTC_LEN + 1], int64_t t);

/*
 * Appends s to out with every byte a terminal could act on made harmless:
 * C0 controls, DEL, C1 controls (U+0080..U+009F), bidirectional controls
 * (tk_is_bidi) and invalid UTF-8 become '?', so attacker text (commit
 * subjects, emails, ref names) can be shown on a pusher's terminal, in a
 * log line or in a report.  Stops after max output bytes and then adds
 * "...".
 */
int tk_sanitize(struct tk_buf *out, const char *s, size_t len, size_t max);

/*
 * Whether the valid UTF-8 sequence s of n bytes is a bidirectional
 * control (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069): it
 * reorders the text shown after it, so that "refs/heads/<U+202E>niam"
 * reads as refs/heads/main.
 */
bool tk_is_bidi(const unsigned char *s, size_t n);

/*
 * Length of the valid UTF-8 sequence at s (n bytes available), or 0 when
 * there is none: overlong forms, surrogates and values past U+10FFFF are
 * invalid.
 */
size_t tk_utf8_len(const unsigned char *s, size_t n);

/*
 * A name (ref, login, email) of 1 to max bytes without C0 controls or DEL:
 * what may be compared, matched and echoed at all.
 */
bool tk_valid_name(const char *s, size_t n, size_t max);

/* ASCII case-insensitive helpers; locale-independent. */
int tk_ascii_tolower(int c);
bool tk_ascii_ieq(const char *a, size_t alen, const char *b, size_t blen);

/*
 * An open-addressing hash map from byte strings to pointers.  Keys are
 * copied.  Tables are filled from the policy only; attacker-supplied strings
 * are only looked up, never inserted, so probe lengths stay bounded by the
 * policy's own content.
 */
struct tk_map;
int tk_map_new(struct tk_map **out);
void tk_map_free(struct tk_map *m);
/* 0, TK_ENOMEM, or TK_ERROR when the key exists (*existing set if given). */
int tk_map_put(struct tk_map *m, const void *key, size_t keylen, void *value,
    void **existing);
/*
 * Same, keeping key itself (not a copy): it must outlive the map and stay
 * unchanged (the compiled policy's arena).
 */
int tk_map_put_borrowed(struct tk_map *m, const void *key, size_t keylen,
    void *value, void **existing);
/* Room for n entries in all without growing again: 0 or TK_ENOMEM. */
int tk_map_reserve(struct tk_map *m, size_t n);
/* The value, or NULL when absent. */
void *tk_map_get(const struct tk_map *m, const void *key, size_t keylen);
size_t tk_map_count(const struct tk_map *m);

#include "banned.h"

#endif
