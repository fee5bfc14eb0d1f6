/*
 * bench/tktime: runs a command, then appends "WALL_MS MAXRSS_KB STATUS
 * CPU_MS" to a file: wall-clock time from CLOCK_MONOTONIC, the command's
 * peak resident set size as wait4(2) reports it (what /usr/bin/time -v
 * calls "Maximum resident set size"), its exit status, and its user + system
 * CPU time (all threads, and the children it waited for).  Exits with the
 * command's status.  Part of scripts/bench, not of the product.
 *
 *   tktime OUTFILE COMMAND [ARG...]
 *
 * Build: cc -O2 -o tktime bench/tktime.c
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	FILE *out;
	pid_t pid;
	int st, code;
	double ms;

	if (argc < 3) {
		fputs("usage: tktime OUTFILE COMMAND [ARG...]\n", stderr);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((pid = fork()) < 0) {
		perror("tktime: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) != pid) {
		perror("tktime: wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if ((out = fopen(argv[1], "a")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	fprintf(out, "%.3f %ld %d %.3f\n", ms, ru.ru_maxrss, code,
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
	if (fclose(out) != 0) {
		perror(argv[1]);
		return 2;
	}
	return code;
}
