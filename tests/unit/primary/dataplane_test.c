/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"

#include "dataplane.h"
#include "primary.h"

/*
 * The data path's lcore entry, without the EAL: a thread the EAL did not
 * launch has no lcore index, the very case of an lcore that cannot run. It
 * must stop the whole group, not return alone: the other lcores would poll
 * for ever (only the main lcore turns a signal into the stop) and main()
 * would wait for them for ever.
 */
static struct primary primary; /* large: keep it off the stack */

static void *
run_lcore(void *arg)
{
	return (void *)(intptr_t)dataplane_lcore(arg);
}

static void
test_an_lcore_that_cannot_run_stops_every_lcore(void)
{
	pthread_t t;
	void *ret;

	memset(&primary, 0, sizeof(primary));
	primary.n_lcores = 2;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, run_lcore, &primary), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_join(t, &ret), 0);
	CU_ASSERT((intptr_t)ret < 0); /* read by main(): the exit status says so */
	CU_ASSERT_EQUAL(__atomic_load_n(&primary.stop, __ATOMIC_ACQUIRE), 1);
}

static CU_TestInfo lcore_tests[] = {
	{ "an lcore that cannot run stops every lcore",
		test_an_lcore_that_cannot_run_stops_every_lcore },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "data path lcores", .pTests = lcore_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
