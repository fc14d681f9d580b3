/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_TEST_H
#define GS_TEST_H

/*
 * The one runner every gsnet unit test calls from main(): register the
 * suites, run them with CUnit's basic interface (verbose), report.
 */
#include <CUnit/CUnit.h>

/**
 * Register @p suites (an array ended by CU_SUITE_INFO_NULL), run every test
 * verbosely and clean the registry up.
 *
 * @return the number of failed assertions, tests and suites (0: all passed,
 *   so main() can return it), or a non-zero CUnit error code when the
 *   framework itself failed (registry, registration); both are a failure.
 */
int gs_test_run(CU_SuiteInfo *suites);

#endif /* GS_TEST_H */
