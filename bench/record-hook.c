/*
 * bench/record-hook: the least a pre-receive hook that keeps a durable
 * record of each decision does, to set twokey's start-up beside:
 * it reads the update lines, appends one 1 KiB line to the file named by
 * $TWOKEY_BENCH_RECORD, fsync()s it and accepts.  No repository, no
 * policy, no signature.  Built statically, as twokey's hooks are.
 *
 * Build: cc -O2 -static -o record-hook bench/record-hook.c
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	const char *path = getenv("TWOKEY_BENCH_RECORD");
	char buf[4096], line[1024];
	ssize_t n;
	int fd;

	while ((n = read(0, buf, sizeof(buf))) > 0)
		;
	if (n < 0 || path == NULL ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) <
	        0) {
		fprintf(stderr, "record-hook: cannot open the record file\n");
		return 1;
	}
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line) ||
	    fsync(fd) < 0 || close(fd) < 0) {
		fprintf(stderr, "record-hook: cannot write the record\n");
		return 1;
	}
	return 0;
}
