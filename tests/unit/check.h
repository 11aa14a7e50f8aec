/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Minimal assertion helpers for the unit suite: each failed CHECK prints
 * file:line and the expression, and the test exits non-zero at the end.
 * Single-threaded test programs only.
 */
#ifndef MXS_TEST_CHECK_H
#define MXS_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static const char *check_case = "";

#define CHECK(expr)                                                           \
	do {                                                                  \
		if (!(expr)) {                                                \
			check_failures++;                                     \
			fprintf(stderr, "%s:%d: [%s] CHECK failed: %s\n",     \
				__FILE__, __LINE__, check_case, #expr);       \
		}                                                             \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                    \
	do {                                                                  \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
		if (check_a_ != check_b_) {                                   \
			check_failures++;                                     \
			fprintf(stderr, "%s:%d: [%s] %s == %lld, want %lld\n", \
				__FILE__, __LINE__, check_case, #a, check_a_,  \
				check_b_);                                    \
		}                                                             \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                    \
	do {                                                                  \
		const char *check_a_ = (a), *check_b_ = (b);                  \
		if (strcmp(check_a_, check_b_) != 0) {                        \
			check_failures++;                                     \
			fprintf(stderr, "%s:%d: [%s] %s == \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, check_case, #a, check_a_,  \
				check_b_);                                    \
		}                                                             \
	} while (0)

#define CHECK_DONE()                                                          \
	do {                                                                  \
		if (check_failures) {                                         \
			fprintf(stderr, "%d check(s) failed\n", check_failures); \
			return 1;                                             \
		}                                                             \
		printf("all checks passed\n");                                \
		return 0;                                                     \
	} while (0)

#endif
