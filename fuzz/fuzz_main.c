/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_main: a driver for one fuzz target without libFuzzer, so the
 * targets build with any compiler and their reproducers and seeds run in
 * the ordinary test suite (and under ASan in the sanitizer build).
 *
 *   fuzz_<name>-run [--optional] FILE|DIR...
 *
 * Calls LLVMFuzzerTestOneInput once per file (a directory: each regular
 * file in it, in name order), each with its own exact-size heap copy so
 * ASan sees reads past the end. Paths after --optional may be missing (a
 * target without reproducers has no tests/fuzz-regress/ directory). A
 * broken invariant aborts, as under libFuzzer. Exit status: 0 every input
 * ran, 1 a file could not be read, 2 usage. Prints the number of inputs.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_main.h"

#define INPUT_MAX (16u << 20)

static int run_file(const char *path, unsigned long *count)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;
	long len;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
	    (unsigned long)len > INPUT_MAX || fseek(f, 0, SEEK_SET) < 0) {
		fprintf(stderr, "fuzz_main: %s: %s\n", path, f ? "unreadable or too large" : strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	/* malloc(0) may be NULL: keep one byte, pass the exact size. */
	buf = malloc(len ? (size_t)len : 1);
	if (!buf) {
		fclose(f);
		fprintf(stderr, "fuzz_main: %s: out of memory\n", path);
		return -1;
	}
	n = fread(buf, 1, (size_t)len, f);
	fclose(f);
	if (n != (size_t)len) {
		free(buf);
		fprintf(stderr, "fuzz_main: %s: short read\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	(*count)++;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_dir(const char *dir, unsigned long *count)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, by_name), rc = 0;

	if (n < 0) {
		fprintf(stderr, "fuzz_main: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (ents[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) && run_file(path, count) < 0)
			rc = -1;
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int rc = 0, optional = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s [--optional] FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (!strcmp(argv[i], "--optional")) {
			optional = 1;
		} else if (stat(argv[i], &st) < 0) {
			if (optional && errno == ENOENT)
				continue;
			fprintf(stderr, "fuzz_main: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) < 0
					       : run_file(argv[i], &count) < 0) {
			rc = 1;
		}
	}
	printf("%s: %lu inputs\n", argv[0], count);
	return rc;
}
