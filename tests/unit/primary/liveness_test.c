/* SPDX-License-Identifier: BSD-3-Clause */
#include <sys/wait.h>

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_app.h"
#include "gs_test.h"

#include "liveness.h"

#define TIMEOUT 1000 /* cycles: handler_timeout_ms in these tests */

static void
test_detached_or_gone_is_down_whatever_the_heartbeat(void)
{
	CU_ASSERT_EQUAL(liveness_of(false, true, 0, TIMEOUT, 'R'), LIVENESS_DOWN_DETACHED);
	CU_ASSERT_EQUAL(liveness_of(true, false, 0, TIMEOUT, 'R'), LIVENESS_DOWN_GONE);
	CU_ASSERT_FALSE(liveness_up(LIVENESS_DOWN_DETACHED));
	CU_ASSERT_FALSE(liveness_up(LIVENESS_DOWN_GONE));
}

static void
test_a_fresh_heartbeat_is_up(void)
{
	CU_ASSERT_EQUAL(liveness_of(true, true, 0, TIMEOUT, 0), LIVENESS_UP);
	CU_ASSERT_EQUAL(liveness_of(true, true, TIMEOUT - 1, TIMEOUT, 0), LIVENESS_UP);
	CU_ASSERT_EQUAL(liveness_of(true, true, -5, TIMEOUT, 0), LIVENESS_UP); /* a hair ahead */
	CU_ASSERT_TRUE(liveness_up(LIVENESS_UP));
}

/* Stale and runnable: waiting for a CPU, up for ten timeouts; then down as stuck. */
static void
test_a_stale_runnable_process_stays_up_for_ten_timeouts(void)
{
	CU_ASSERT_EQUAL(liveness_of(true, true, TIMEOUT, TIMEOUT, 'R'), LIVENESS_UP_STARVED);
	CU_ASSERT_EQUAL(
		liveness_of(true, true, TIMEOUT * LIVENESS_STARVED_FACTOR - 1, TIMEOUT, 'R'),
		LIVENESS_UP_STARVED);
	CU_ASSERT_TRUE(liveness_up(LIVENESS_UP_STARVED));
	CU_ASSERT_EQUAL(liveness_of(true, true, TIMEOUT * LIVENESS_STARVED_FACTOR, TIMEOUT, 'R'),
		LIVENESS_DOWN_STALE);
}

/* The state is read only in the window where it can keep an instance up. */
static void
test_the_state_is_needed_only_between_one_and_ten_timeouts(void)
{
	CU_ASSERT_FALSE(liveness_needs_state(0, TIMEOUT));
	CU_ASSERT_FALSE(liveness_needs_state(TIMEOUT - 1, TIMEOUT));
	CU_ASSERT_TRUE(liveness_needs_state(TIMEOUT, TIMEOUT));
	CU_ASSERT_TRUE(liveness_needs_state(TIMEOUT * LIVENESS_STARVED_FACTOR - 1, TIMEOUT));
	CU_ASSERT_FALSE(liveness_needs_state(TIMEOUT * LIVENESS_STARVED_FACTOR, TIMEOUT));
	/* outside the window the verdict is the same whatever the state */
	CU_ASSERT_EQUAL(liveness_of(true, true, TIMEOUT * LIVENESS_STARVED_FACTOR, TIMEOUT, 'R'),
		liveness_of(true, true, TIMEOUT * LIVENESS_STARVED_FACTOR, TIMEOUT, 0));
	CU_ASSERT_EQUAL(liveness_of(true, true, TIMEOUT - 1, TIMEOUT, 'T'),
		liveness_of(true, true, TIMEOUT - 1, TIMEOUT, 0));
}

/* Stale and sleeping, blocked, stopped, a zombie or unknown: down at the timeout. */
static void
test_a_stale_process_that_is_not_runnable_is_down(void)
{
	static const char states[] = { 'S', 'D', 'T', 't', 'Z', 0 };

	for (unsigned int k = 0; k < sizeof(states); k++)
		CU_ASSERT_EQUAL(
			liveness_of(true, true, TIMEOUT, TIMEOUT, states[k]), LIVENESS_DOWN_STALE);
	CU_ASSERT_FALSE(liveness_up(LIVENESS_DOWN_STALE));
}

/* Poll gs_pid_state(@p pid) until it is @p want, for 2 s at most. */
static char
wait_state(pid_t pid, char want)
{
	struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };
	char st = 0;

	for (int k = 0; k < 2000; k++) {
		st = gs_pid_state(pid);
		if (st == want)
			break;
		nanosleep(&ms, NULL);
	}
	return st;
}

/* The scheduler states the monitor reads, of a real child process. */
static void
test_pid_state_reads_running_sleeping_stopped_zombie_and_gone(void)
{
	pid_t child;
	int status;

	CU_ASSERT_EQUAL(gs_pid_state(getpid()), 'R'); /* reading its own state: running */
	CU_ASSERT_EQUAL(gs_pid_state(0), 0);
	CU_ASSERT_EQUAL(gs_pid_state(-1), 0);
	child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (child == 0) {
		for (;;)
			pause();
	}
	CU_ASSERT_EQUAL(wait_state(child, 'S'), 'S');
	kill(child, SIGSTOP);
	CU_ASSERT_EQUAL(wait_state(child, 'T'), 'T');
	kill(child, SIGKILL);
	CU_ASSERT_EQUAL(wait_state(child, 'Z'), 'Z'); /* dead, not reaped yet */
	CU_ASSERT_EQUAL(waitpid(child, &status, 0), child);
	CU_ASSERT_EQUAL(gs_pid_state(child), 0); /* gone */
}

static CU_TestInfo tests[] = {
	{ "detached or gone is down whatever the heartbeat",
		test_detached_or_gone_is_down_whatever_the_heartbeat },
	{ "a fresh heartbeat is up", test_a_fresh_heartbeat_is_up },
	{ "a stale runnable process stays up for ten timeouts",
		test_a_stale_runnable_process_stays_up_for_ten_timeouts },
	{ "the state is needed only between one and ten timeouts",
		test_the_state_is_needed_only_between_one_and_ten_timeouts },
	{ "a stale process that is not runnable is down",
		test_a_stale_process_that_is_not_runnable_is_down },
	{ "pid state reads running, sleeping, stopped, zombie and gone",
		test_pid_state_reads_running_sleeping_stopped_zombie_and_gone },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "handler liveness", .pTests = tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
