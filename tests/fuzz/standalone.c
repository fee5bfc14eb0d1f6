/*
 * Replays inputs through LLVMFuzzerTestOneInput without libFuzzer, so that
 * a compiler without -fsanitize=fuzzer (gcc) still runs every committed
 * corpus under ctest.  Arguments are files or directories (every regular
 * file in them, in name order, not recursive); arguments starting with '-'
 * are libFuzzer options and are ignored.  An empty argument, an unreadable
 * path, or no input at all is an error: a misconfigured test must not pass
 * by replaying nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX (64u * 1024 * 1024)

/* Runs one file; 0, or -1 when it cannot be read. */
static int
run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) < 0 ||
	    st.st_size < 0 || (uint64_t)st.st_size > REPLAY_MAX) {
		fprintf(stderr, "standalone: cannot read '%s'\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	len = (size_t)st.st_size;
	/* Exactly len bytes, so a sanitizer sees any read past the end. */
	if ((buf = malloc(len == 0 ? 1 : len)) == NULL ||
	    fread(buf, 1, len, f) != len) {
		fprintf(stderr, "standalone: cannot read '%s'\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Runs every regular file of dir; the count, or -1. */
static long
run_dir(const char *dir)
{
	struct dirent **names = NULL;
	char path[4096];
	struct stat st;
	long count = 0;
	int n, i;

	if ((n = scandir(dir, &names, skip_entry, alphasort)) < 0) {
		fprintf(stderr, "standalone: cannot list '%s': %s\n", dir,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (count >= 0 && run_file(path) < 0)
				count = -1;
			else if (count >= 0)
				count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int
main(int argc, char **argv)
{
	struct stat st;
	long total = 0, n;
	int i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		if (argv[i][0] == '\0' || stat(argv[i], &st) < 0) {
			fprintf(stderr, "standalone: no such input '%s'\n",
			    argv[i]);
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? run_dir(argv[i])
		                        : (run_file(argv[i]) < 0 ? -1 : 1);
		if (n < 0)
			return 1;
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "standalone: no inputs to replay\n");
		return 1;
	}
	printf("standalone: replayed %ld inputs\n", total);
	return 0;
}
