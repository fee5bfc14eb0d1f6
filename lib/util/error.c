/*
 * The per-thread error message.  Worker threads verifying signatures each
 * keep their own, as libgit2 does.
 */
#include "internal.h"

static _Thread_local char last_msg[1024];
static _Thread_local int last_set;

int
tk_error_set(int code, const char *fmt, ...)
{
	char tmp[sizeof(last_msg)];
	va_list ap;

	/* Through a copy: callers may pass tk_error_last() as an argument. */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(last_msg, tmp, sizeof(tmp));
	last_set = 1;
	return code;
}

const char *
tk_error_last(void)
{
	return last_set ? last_msg : "unknown error";
}

void
tk_error_clear(void)
{
	last_msg[0] = '\0';
	last_set = 0;
}

const char *
tk_error_name(int code)
{
	switch (code) {
	case TK_OK:
		return "OK";
	case TK_ENOMEM:
		return "ENOMEM";
	case TK_EINVAL:
		return "EINVAL";
	case TK_ECONFIG:
		return "ECONFIG";
	case TK_ENOTFOUND:
		return "ENOTFOUND";
	case TK_ETOOBIG:
		return "ETOOBIG";
	case TK_EGIT:
		return "EGIT";
	case TK_ECRYPTO:
		return "ECRYPTO";
	case TK_EIO:
		return "EIO";
	case TK_EUNSUPPORTED:
		return "EUNSUPPORTED";
	case TK_EBADSIG:
		return "EBADSIG";
	default:
		return "ERROR";
	}
}
