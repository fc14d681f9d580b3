/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_FUZZ_COMMON_H
#define GS_FUZZ_COMMON_H

/* What every libFuzzer target of tests/fuzz/ shares. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The entry points libFuzzer calls (declared here for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * An invariant the code under test broke: say which and abort, so libFuzzer
 * reports a crash and keeps the input as an artifact. Unlike assert(), it
 * stays in every build type.
 */
#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

#endif /* GS_FUZZ_COMMON_H */
