/*
 * twokey: error codes and the per-thread error message.
 *
 * Every library function that can fail returns an int: 0 on success or one
 * of the negative TK_E* codes below.  The function that detects a failure
 * records one line describing it with tk_error_set(); callers propagate the
 * code without overwriting the message.  A policy denial is never an error:
 * it is a finding in a report.  An error means "could not decide", and the
 * hooks then refuse the push.
 */
#ifndef TWOKEY_ERROR_H
#define TWOKEY_ERROR_H

#define TK_OK 0
#define TK_ERROR (-1) /* anything else */
#define TK_ENOMEM (-2) /* allocation failed */
#define TK_EINVAL (-3) /* malformed input */
#define TK_ECONFIG (-4) /* the policy file is invalid */
#define TK_ENOTFOUND (-5) /* a looked-up thing does not exist */
#define TK_ETOOBIG (-6) /* input over a documented bound */
#define TK_EGIT (-7) /* libgit2 failed */
#define TK_ECRYPTO (-8) /* OpenSSL failed (not a bad signature) */
#define TK_EIO (-9) /* a system call failed */
#define TK_EUNSUPPORTED (-10) /* well-formed but not supported */
#define TK_EBADSIG (-11) /* a signature does not verify */

#if defined(__GNUC__)
#define TK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TK_PRINTF(f, a)
#endif

/*
 * Records a one-line message for the calling thread, replacing the previous
 * one, and returns code so that call sites read
 * "return tk_error_set(TK_EINVAL, ...)".  Messages follow git's rules:
 * lowercase, no full stop, the subject quoted.
 */
int tk_error_set(int code, const char *fmt, ...) TK_PRINTF(2, 3);

/*
 * Returns the calling thread's last message, or a generic text when none was
 * recorded.  The pointer is borrowed and valid until the next tk_error_set()
 * on this thread.
 */
const char *tk_error_last(void);

/* Forgets the calling thread's last message. */
void tk_error_clear(void);

/* A short name for a TK_E* code ("ENOMEM"), for logs. */
const char *tk_error_name(int code);

#endif
