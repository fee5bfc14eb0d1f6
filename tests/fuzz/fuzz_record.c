/*
 * The audit record reader and what is built on it (twokey/audit.h,
 * twokey/evidence.h): a log may have been tampered with.  Hostile lines
 * go through the reader (chain check, JSON, every field), the filters,
 * the report and the statistics, and each document is rendered in every
 * format; the text form never carries an escape character from the data,
 * and nothing leaks (LeakSanitizer).
 */
#include "fuzz.h"

#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "twokey/audit.h"
#include "twokey/evidence.h"

static void
render_all(const struct tk_doc *d)
{
	static const enum tk_format f[] = {
	    TK_FMT_TEXT, TK_FMT_CSV, TK_FMT_JSON, TK_FMT_HTML};
	struct tk_buf b = TK_BUF_INIT(1u << 26);
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		tk_buf_reset(&b);
		if (tk_doc_render(&b, d, f[i]) == 0 && f[i] == TK_FMT_TEXT)
			FUZZ_CHECK(
			    b.ptr == NULL || strchr(b.ptr, '\x1b') == NULL);
	}
	tk_buf_release(&b);
}

static void
one(const char *path, bool stats)
{
	struct tk_audit_filter f = TK_AUDIT_FILTER_INIT;
	struct tk_audit_reader *r = NULL;
	const char *files[1] = {path};
	struct tk_doc d;
	int rc;

	memset(&d, 0, sizeof(d));
	FUZZ_CHECK(tk_audit_reader_open_files(&r, files, 1, NULL) == 0);
	f.ref = "main";
	f.since = 0;
	rc = stats ? tk_evidence_stats(&d, r, &f, 0)
	           : tk_evidence_report(&d, r, &f, 0);
	if (rc == 0)
		render_all(&d);
	tk_doc_release(&d);
	tk_audit_reader_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_audit_filter f = TK_AUDIT_FILTER_INIT;
	struct tk_audit_reader *r = NULL;
	const char *files[1];
	char path[64];
	int fd;

	if ((fd = memfd_create("record", 0)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	files[0] = path;
	if (tk_audit_reader_open_files(&r, files, 1, NULL) == 0) {
		f.ref = "main";
		(void)tk_audit_filter_resolve(&f, r);
		tk_audit_filter_release(&f);
		tk_audit_reader_free(r);
	}
	one(path, false);
	one(path, true);
	close(fd);
	return 0;
}
