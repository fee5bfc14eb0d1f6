/*
 * twokey audit report: the evidence an auditor asks for, in one command
 * and offline; with --sign, an SSHSIG over the report's exact bytes
 * (namespace twokey-evidence) in OUT.sig, made by ssh-keygen (so agent
 * and hardware keys work) and checked here before it is kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit_cli.h"
#include "internal.h"
#include "twokey/sshsig.h"
#include "banned.h" /* last: after every system header */

#define SIG_MAX 65536

/* ssh-keygen -Y sign with the report on stdin and the armour on stdout. */
static int
keygen_sign(const char *key, int in, int out)
{
	char *argv[] = {"ssh-keygen", "-q", "-Y", "sign", "-n",
	    "twokey-evidence", "-f", (char *)key, NULL};
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "twokey: error: cannot run ssh-keygen: %s\n",
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The signature must verify over exactly these bytes before it is kept. */
static int
check_sig(const char *path, const char *bytes, size_t len)
{
	struct tk_sshsig *sig = NULL;
	char buf[SIG_MAX];
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0 && n < (ssize_t)sizeof(buf) &&
	    tk_sshsig_parse_armor(&sig, buf, (size_t)n) == 0 &&
	    tk_sshsig_verify(sig, "twokey-evidence", bytes, len) == 0)
		rc = 0;
	tk_sshsig_free(sig);
	return rc;
}

static int
sign(const struct audit_opts *o, const char *bytes, size_t len)
{
	char sig[4200], tmp[4300];
	int in = -1, out = -1, rc = 1;

	snprintf(sig, sizeof(sig), "%s.sig", o->output);
	snprintf(tmp, sizeof(tmp), "%s.sig.%ld.tmp", o->output, (long)getpid());
	if ((in = open(o->output, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) <
	        0) {
		fprintf(stderr, "twokey: error: cannot sign: %s\n",
		    strerror(errno));
		goto out;
	}
	if (keygen_sign(o->sign, in, out) < 0)
		fprintf(stderr,
		    "twokey: error: ssh-keygen could not sign with %s\n",
		    o->sign);
	else if (check_sig(tmp, bytes, len) < 0)
		fprintf(stderr,
		    "twokey: error: ssh-keygen made a signature "
		    "that does not verify over the report\n");
	else if (rename(tmp, sig) < 0)
		fprintf(stderr, "twokey: error: cannot write %s: %s\n", sig,
		    strerror(errno));
	else
		rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
audit_emit(const struct audit_opts *o, const char *bytes, size_t len)
{
	FILE *f = stdout;

	if (o->output != NULL && (f = fopen(o->output, "wbe")) == NULL) {
		fprintf(stderr, "twokey: error: cannot write %s: %s\n",
		    o->output, strerror(errno));
		return 1;
	}
	if (fwrite(bytes, 1, len, f) != len ||
	    (f != stdout ? fclose(f) : fflush(f)) != 0) {
		fprintf(stderr, "twokey: error: cannot write %s\n",
		    o->output ? o->output : "the report");
		return 1;
	}
	return o->sign != NULL ? sign(o, bytes, len) : 0;
}

int
audit_report(struct audit_opts *o)
{
	struct tk_buf out = TK_BUF_INIT(1u << 30);
	struct tk_audit_reader *r = NULL;
	struct tk_doc doc;
	int rc;

	memset(&doc, 0, sizeof(doc));
	if (o->sign != NULL && o->output == NULL) {
		fprintf(stderr,
		    "twokey: error: --sign needs --output FILE "
		    "(the signature goes to FILE.sig)\n");
		return 2;
	}
	if ((rc = audit_resolve(o)) != 0 || (rc = audit_open(&r, o)) != 0)
		return rc;
	if (tk_evidence_report(&doc, r, &o->filter, (int64_t)time(NULL)) < 0 ||
	    tk_doc_render(&out, &doc, o->fmt) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		rc = 1;
	} else if ((rc = audit_emit(o, out.ptr ? out.ptr : "", out.len)) == 0)
		rc = doc.status;
	tk_doc_release(&doc);
	tk_buf_release(&out);
	tk_audit_reader_free(r);
	return rc;
}

int
audit_stats(struct audit_opts *o)
{
	struct tk_buf out = TK_BUF_INIT(1u << 30);
	struct tk_audit_reader *r = NULL;
	struct tk_doc doc;
	int rc;

	memset(&doc, 0, sizeof(doc));
	if ((rc = audit_resolve(o)) != 0 || (rc = audit_open(&r, o)) != 0)
		return rc;
	if (tk_evidence_stats(&doc, r, &o->filter, (int64_t)time(NULL)) < 0 ||
	    tk_doc_render(&out, &doc, o->fmt) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		rc = 1;
	} else if ((rc = audit_emit(o, out.ptr ? out.ptr : "", out.len)) == 0)
		rc = doc.status;
	tk_doc_release(&doc);
	tk_buf_release(&out);
	tk_audit_reader_free(r);
	return rc;
}
