/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libFuzzer entry points every fuzz_<name>.c defines. libFuzzer calls
 * them when a target is built with -fsanitize=fuzzer; fuzz_main.c calls
 * them in the ordinary build, once per input file (the regression runs).
 * LLVMFuzzerTestOneInput returns 0; a broken invariant aborts.
 */
#ifndef FUZZ_MAIN_H
#define FUZZ_MAIN_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
