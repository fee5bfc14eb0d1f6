/*
 * Running git and ssh-keygen for the CLI: their output captured within a
 * bound, or passed through, and git's own configuration read through git
 * itself, so that "git -c", includes and every config file git knows
 * about mean to twokey what they mean to git.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h"
#include "banned.h" /* last: after every system header */

/* Moves what is readable on fd into b; 1 at end of file, 0, or -1. */
static int
drain(int fd, struct tk_buf *b)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return 1;
	/* Past the bound the rest is dropped, not an error: b->err says. */
	(void)tk_buf_put(b, chunk, (size_t)n);
	return 0;
}

static void
child(char *const argv[], int out[2], int err[2], int flags)
{
	int null = open("/dev/null", O_RDONLY);

	if (null >= 0 && !(flags & CLI_RUN_STDIN))
		dup2(null, 0);
	if (out[1] >= 0)
		dup2(out[1], 1);
	if (err[1] >= 0)
		dup2(err[1], 2);
	if (flags & CLI_RUN_C_LOCALE) {
		/* Messages parsed below must be git's untranslated ones. */
		setenv("LC_ALL", "C", 1);
		unsetenv("LANGUAGE");
	}
	execvp(argv[0], argv);
	fprintf(stderr, "twokey: error: cannot run %s: %s\n", argv[0],
	    strerror(errno));
	_exit(127);
}

static void
close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

/* Reads both pipes until both are closed. */
static int
collect(int out[2], int err[2], struct tk_buf *bo, struct tk_buf *be)
{
	struct pollfd pf[2];
	int open_n = 0, i, r;

	pf[0].fd = out[0];
	pf[1].fd = err[0];
	pf[0].events = pf[1].events = POLLIN;
	open_n = (out[0] >= 0) + (err[0] >= 0);
	while (open_n > 0) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			if ((r = drain(pf[i].fd, i == 0 ? bo : be)) != 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				open_n--;
				if (r < 0)
					return -1;
			}
		}
	}
	return 0;
}

int
cli_run(char *const argv[], struct tk_buf *out, struct tk_buf *err, int flags)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, st;
	pid_t pid;

	if ((out != NULL && pipe(po) < 0) || (err != NULL && pipe(pe) < 0)) {
		close_pair(po);
		return -1;
	}
	if ((pid = fork()) < 0) {
		close_pair(po);
		close_pair(pe);
		return -1;
	}
	if (pid == 0)
		child(argv, po, pe, flags);
	if (po[1] >= 0)
		close(po[1]);
	if (pe[1] >= 0)
		close(pe[1]);
	po[1] = pe[1] = -1;
	if (collect(po, pe, out, err) < 0)
		kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
cli_git_config(char **value, const char *key)
{
	struct tk_buf out = TK_BUF_INIT(65536);
	char *argv[] = {"git", "config", "--get", (char *)key, NULL};
	int st;

	*value = NULL;
	st = cli_run(argv, &out, NULL, 0);
	if (st == 1) { /* not set */
		tk_buf_release(&out);
		return 1;
	}
	if (st != 0 || out.err != 0) {
		tk_buf_release(&out);
		fprintf(
		    stderr, "twokey: error: git config --get %s failed\n", key);
		return -1;
	}
	while (out.len > 0 &&
	    (out.ptr[out.len - 1] == '\n' || out.ptr[out.len - 1] == '\r'))
		out.ptr[--out.len] = '\0';
	if ((*value = tk_buf_detach(&out, NULL)) == NULL)
		return -1;
	return 0;
}
