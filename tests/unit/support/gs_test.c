/* SPDX-License-Identifier: BSD-3-Clause */
#include "gs_test.h"

#include <stdio.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

int
gs_test_run(CU_SuiteInfo *suites)
{
	unsigned int failures;
	CU_ErrorCode err;

	err = CU_initialize_registry();
	if (err != CUE_SUCCESS) {
		fprintf(stderr, "gs_test: CU_initialize_registry: %s\n", CU_get_error_msg());
		return (int)err;
	}
	err = CU_register_suites(suites);
	if (err != CUE_SUCCESS) {
		fprintf(stderr, "gs_test: CU_register_suites: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return (int)err;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	err = CU_basic_run_tests();
	if (err != CUE_SUCCESS) {
		/* a suite init/cleanup failed: counted below, but say so */
		fprintf(stderr, "gs_test: CU_basic_run_tests: %s\n", CU_get_error_msg());
	}
	failures = CU_get_number_of_failure_records() + CU_get_number_of_suites_failed();
	if (failures == 0 && err != CUE_SUCCESS)
		failures = 1;
	CU_cleanup_registry();
	return failures > 255 ? 255 : (int)failures;
}
