/* SPDX-License-Identifier: BSD-3-Clause */
#include <sys/wait.h>

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_app.h"
#include "gs_handler.h"
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
	CU_ASSERT_TRUE(gs_pid_alive(child));	      /* signal 0 still finds it */
	CU_ASSERT_FALSE(gs_pid_running(child));	      /* but it has exited */
	CU_ASSERT_EQUAL(waitpid(child, &status, 0), child);
	CU_ASSERT_FALSE(gs_pid_running(child));
	CU_ASSERT_EQUAL(gs_pid_state(child), 0); /* gone */
}

#define G 7u /* the generation in these tests */

/* The common cases: never used, acknowledged clean leave, held, dead and retired. */
static void
test_claim_free_dead_and_held_slots(void)
{
	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_FREE, 0, 0, 0, false), GS_CLAIM_OK);
	CU_ASSERT_EQUAL(gs_slot_claim_check(
				GS_SLOT_FREE, G, GS_RETIRE(G, false), GS_RETIRE(G, false), false),
		GS_CLAIM_OK);
	CU_ASSERT_EQUAL(
		gs_slot_claim_check(GS_SLOT_DEAD, G, GS_RETIRE(G, true), GS_RETIRE(G, true), false),
		GS_CLAIM_OK);
	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_RUNNING, G, 0, 0, true), GS_CLAIM_BUSY);
	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_ATTACHING, G, 0, 0, true), GS_CLAIM_BUSY);
	/* the holder died: wait until the primary retired it */
	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_RUNNING, G, 0, GS_RETIRE(G - 1, false), false),
		GS_CLAIM_WAIT);
	CU_ASSERT_EQUAL(gs_slot_claim_check(
				GS_SLOT_DEAD, G, GS_RETIRE(G, true), GS_RETIRE(G - 1, true), false),
		GS_CLAIM_WAIT);
}

/*
 * A handler leaves cleanly (its clean retire acknowledged) and is killed
 * while it drains: the primary marks the slot DEAD and posts a reset. The
 * reset is pending, so no one may claim: its lcores would reset the rings
 * under the new handler.
 */
static void
test_no_claim_while_a_reset_is_pending(void)
{
	struct retire_step step;
	uint32_t req = GS_RETIRE(G, false), done = GS_RETIRE(G, false);

	/* the monitor's tick for the killed, STOPPING instance */
	step = retire_step_of(GS_SLOT_STOPPING, G, done, false, false);
	CU_ASSERT_TRUE(step.mark_dead);
	CU_ASSERT_EQUAL(step.want, GS_RETIRE(G, true));
	CU_ASSERT_TRUE(step.want > req);
	req = step.want; /* posted before the slot is marked DEAD */
	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_DEAD, G, req, done, false), GS_CLAIM_WAIT);
	/* STOPPING with a dead pid, before the mark: not claimable either */
	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_STOPPING, G, req, done, false), GS_CLAIM_WAIT);
	done = req; /* every lcore reset the rings */
	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_DEAD, G, req, done, false), GS_CLAIM_OK);
}

/*
 * A claim in progress: the slot says ATTACHING but its pid is still the dead
 * predecessor's. The monitor must not mark it DEAD nor reset its rings; only
 * a claimer that stays ATTACHING (died claiming) is reclaimed.
 */
static void
test_a_claim_in_progress_is_not_judged_by_the_old_pid(void)
{
	struct retire_step step =
		retire_step_of(GS_SLOT_ATTACHING, G, GS_RETIRE(G, true), false, false);

	CU_ASSERT_FALSE(step.mark_dead);
	CU_ASSERT_EQUAL(step.want, 0);
	step = retire_step_of(GS_SLOT_ATTACHING, G, GS_RETIRE(G, true), false, true);
	CU_ASSERT_TRUE(step.mark_dead);
	CU_ASSERT_EQUAL(step.want, GS_RETIRE(G, true));
	/* a claimer that stalls but lives is not taken for dead */
	step = retire_step_of(GS_SLOT_ATTACHING, G, GS_RETIRE(G, true), true, true);
	CU_ASSERT_TRUE(step.mark_dead); /* ATTACHING that long: its claim is void */
}

/* The rest of the retire rule, as the monitor used it before it was pulled out. */
static void
test_retire_steps_of_running_stopping_and_free_slots(void)
{
	struct retire_step step;

	step = retire_step_of(GS_SLOT_RUNNING, G, 0, true, false);
	CU_ASSERT_EQUAL(step.want, 0);
	CU_ASSERT_FALSE(step.mark_dead);
	step = retire_step_of(GS_SLOT_STOPPING, G, 0, true, false);
	CU_ASSERT_EQUAL(step.want, GS_RETIRE(G, false)); /* it drains itself */
	CU_ASSERT_FALSE(step.mark_dead);
	step = retire_step_of(GS_SLOT_RUNNING, G, 0, false, false);
	CU_ASSERT_EQUAL(step.want, GS_RETIRE(G, true));
	CU_ASSERT_TRUE(step.mark_dead);
	step = retire_step_of(GS_SLOT_FREE, G, GS_RETIRE(G, false), false, false);
	CU_ASSERT_EQUAL(step.want, 0); /* left cleanly, acknowledged */
	/* left without the acknowledgement: its rings are reset */
	step = retire_step_of(GS_SLOT_FREE, G, GS_RETIRE(G - 1, true), false, false);
	CU_ASSERT_EQUAL(step.want, GS_RETIRE(G, true));
	CU_ASSERT_FALSE(step.mark_dead);
}

/*
 * A clean leave keeps the leaver's pid in the slot (gs-ctl status shows the
 * last holder), and the leaver may still be exiting when its successor
 * starts: a FREE slot is never held, whoever its pid names. A slot that is
 * still draining (STOPPING) is.
 */
static void
test_a_slot_left_cleanly_is_claimable_while_its_last_holder_exits(void)
{
	const uint32_t acked = GS_RETIRE(G, false);

	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_FREE, G, acked, acked, true), GS_CLAIM_OK);
	CU_ASSERT_EQUAL(
		gs_slot_claim_check(GS_SLOT_STOPPING, G, acked, acked, true), GS_CLAIM_BUSY);
	/* a claimer the primary gave up on (ATTACHING too long) may still run: DEAD is free */
	CU_ASSERT_EQUAL(
		gs_slot_claim_check(GS_SLOT_DEAD, G, GS_RETIRE(G, true), GS_RETIRE(G, true), true),
		GS_CLAIM_OK);
}

/*
 * The requests done must be this generation's. A handler that freed its
 * slot without the primary's acknowledgement (it gave up waiting, or the
 * primary was stopping) leaves retired_req == retire_req of its
 * predecessor: the slot is not claimable until the primary has reset this
 * generation's rings (the monitor posts that reset for a FREE slot).
 */
static void
test_a_retire_of_an_older_generation_does_not_release_the_slot(void)
{
	const uint32_t old = GS_RETIRE(G - 1, false);
	struct retire_step step;

	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_FREE, G, old, old, false), GS_CLAIM_WAIT);
	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_DEAD, G, GS_RETIRE(G - 1, true),
				GS_RETIRE(G - 1, true), false),
		GS_CLAIM_WAIT);
	step = retire_step_of(GS_SLOT_FREE, G, old, false, false);
	CU_ASSERT_EQUAL(step.want, GS_RETIRE(G, true));
	CU_ASSERT_EQUAL(gs_slot_claim_check(GS_SLOT_FREE, G, step.want, old, false), GS_CLAIM_WAIT);
	CU_ASSERT_EQUAL(
		gs_slot_claim_check(GS_SLOT_FREE, G, step.want, step.want, false), GS_CLAIM_OK);
}

/*
 * Killed after it said STOPPING but before the primary acknowledged: the
 * clean retire request may be posted or not; either way the reset outranks
 * it, and the claim waits for the reset.
 */
static void
test_a_handler_killed_before_its_leave_was_acknowledged_is_reset(void)
{
	const uint32_t clean = GS_RETIRE(G, false), before = GS_RETIRE(G - 1, false);
	struct retire_step step = retire_step_of(GS_SLOT_STOPPING, G, before, false, false);

	CU_ASSERT_TRUE(step.mark_dead);
	CU_ASSERT_EQUAL(step.want, GS_RETIRE(G, true));
	CU_ASSERT_TRUE(step.want > clean); /* posted over a pending clean request too */
	CU_ASSERT_EQUAL(
		gs_slot_claim_check(GS_SLOT_DEAD, G, step.want, clean, false), GS_CLAIM_WAIT);
	CU_ASSERT_EQUAL(
		gs_slot_claim_check(GS_SLOT_DEAD, G, step.want, step.want, false), GS_CLAIM_OK);
}

/* Once DEAD and reset, the monitor's later ticks post nothing more and mark nothing. */
static void
test_a_retired_dead_slot_asks_for_nothing_more(void)
{
	const uint32_t reset = GS_RETIRE(G, true);
	struct retire_step step = retire_step_of(GS_SLOT_DEAD, G, reset, false, false);

	CU_ASSERT_FALSE(step.mark_dead);
	CU_ASSERT_EQUAL(step.want, reset); /* not above retire_req: the monitor posts nothing */
	/* not even when the dead pid is reused by a running process */
	step = retire_step_of(GS_SLOT_DEAD, G, reset, true, false);
	CU_ASSERT_FALSE(step.mark_dead);
	CU_ASSERT_EQUAL(step.want, reset);
}

/* --- stopping: when the shared memory may go ------------------------------------------- */

/* A live handler still attached is waited for, up to the bound, and then never freed under. */
static void
test_a_live_attached_handler_is_waited_for_and_never_freed_under(void)
{
	CU_ASSERT_TRUE(stop_slot_holds(GS_SLOT_RUNNING, true, 0));
	CU_ASSERT_TRUE(stop_slot_holds(GS_SLOT_STOPPING, true, STOP_HANDLER_WAIT_MS * 10));
	CU_ASSERT_EQUAL(stop_verdict_of(1, 0, STOP_HANDLER_WAIT_MS), STOP_WAIT);
	CU_ASSERT_EQUAL(stop_verdict_of(1, 2000, STOP_HANDLER_WAIT_MS), STOP_WAIT);
	CU_ASSERT_EQUAL(
		stop_verdict_of(1, STOP_HANDLER_WAIT_MS - 1, STOP_HANDLER_WAIT_MS), STOP_WAIT);
	/* past the bound: the memory stays allocated, however long it took */
	CU_ASSERT_EQUAL(stop_verdict_of(1, STOP_HANDLER_WAIT_MS, STOP_HANDLER_WAIT_MS), STOP_KEEP);
	CU_ASSERT_EQUAL(stop_verdict_of(3, UINT64_MAX, STOP_HANDLER_WAIT_MS), STOP_KEEP);
	/* a claim in progress is judged within the wait */
	CU_ASSERT(STOP_HANDLER_WAIT_MS > RETIRE_ATTACHING_MS);
}

static void
test_no_live_handler_frees_at_once(void)
{
	CU_ASSERT_EQUAL(stop_verdict_of(0, 0, STOP_HANDLER_WAIT_MS), STOP_FREE);
	CU_ASSERT_EQUAL(
		stop_verdict_of(0, STOP_HANDLER_WAIT_MS * 2, STOP_HANDLER_WAIT_MS), STOP_FREE);
	CU_ASSERT_FALSE(stop_slot_holds(GS_SLOT_FREE, true, 0)); /* left: reads nothing more */
	CU_ASSERT_FALSE(stop_slot_holds(GS_SLOT_DEAD, true, 0));
}

/* A slot whose process is gone, or a zombie, holds nothing: no wait at all. */
static void
test_a_dead_handler_does_not_delay_the_stop(void)
{
	CU_ASSERT_FALSE(stop_slot_holds(GS_SLOT_RUNNING, false, 0));
	CU_ASSERT_FALSE(stop_slot_holds(GS_SLOT_STOPPING, false, 0));
	CU_ASSERT_EQUAL(stop_verdict_of(stop_slot_holds(GS_SLOT_RUNNING, false, 0) ? 1u : 0u, 0,
				STOP_HANDLER_WAIT_MS),
		STOP_FREE);
}

/* The same with a real process: attached and alive, then killed (a zombie), then reaped. */
static void
test_a_killed_handler_process_stops_holding_at_once(void)
{
	pid_t child;
	int status;

	child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (child == 0) {
		for (;;)
			pause();
	}
	CU_ASSERT_EQUAL(wait_state(child, 'S'), 'S');
	CU_ASSERT_TRUE(stop_slot_holds(GS_SLOT_RUNNING, gs_pid_running(child), 0));
	kill(child, SIGKILL);
	CU_ASSERT_EQUAL(wait_state(child, 'Z'), 'Z'); /* killed, not reaped: maps nothing */
	CU_ASSERT_FALSE(stop_slot_holds(GS_SLOT_RUNNING, gs_pid_running(child), 0));
	CU_ASSERT_EQUAL(waitpid(child, &status, 0), child);
	CU_ASSERT_FALSE(stop_slot_holds(GS_SLOT_STOPPING, gs_pid_running(child), 0));
}

/* A claim may not have written its pid yet: it counts for a second whatever the pid says. */
static void
test_a_claim_in_progress_holds_for_a_second_at_most(void)
{
	CU_ASSERT_TRUE(stop_slot_holds(GS_SLOT_ATTACHING, false, 0));
	CU_ASSERT_TRUE(stop_slot_holds(GS_SLOT_ATTACHING, false, RETIRE_ATTACHING_MS - 1));
	CU_ASSERT_FALSE(stop_slot_holds(GS_SLOT_ATTACHING, false, RETIRE_ATTACHING_MS));
	CU_ASSERT_TRUE(stop_slot_holds(GS_SLOT_ATTACHING, true, STOP_HANDLER_WAIT_MS));
}

/* One name per slot state for gs-ctl, gs-stats and telemetry. */
static void
test_slot_state_names(void)
{
	CU_ASSERT_STRING_EQUAL(gs_slot_state_name(GS_SLOT_FREE), "free");
	CU_ASSERT_STRING_EQUAL(gs_slot_state_name(GS_SLOT_ATTACHING), "attaching");
	CU_ASSERT_STRING_EQUAL(gs_slot_state_name(GS_SLOT_RUNNING), "running");
	CU_ASSERT_STRING_EQUAL(gs_slot_state_name(GS_SLOT_STOPPING), "stopping");
	CU_ASSERT_STRING_EQUAL(gs_slot_state_name(GS_SLOT_DEAD), "dead");
	CU_ASSERT_STRING_EQUAL(gs_slot_state_name(GS_SLOT_STATE_MAX), "?");
	CU_ASSERT_STRING_EQUAL(gs_slot_state_name(UINT32_MAX), "?");
	CU_ASSERT_STRING_EQUAL(gs_reject_name(GS_REJECT_BAD_PAYLOAD), "bad_payload");
	CU_ASSERT_STRING_EQUAL(gs_reject_name(GS_REJECT_TOKEN_LIFETIME), "token_lifetime");
	CU_ASSERT_STRING_EQUAL(gs_reject_name(GS_REJECT_MAX), "?");
}

static CU_TestInfo tests[] = {
	{ "slot state and reject names", test_slot_state_names },
	{ "detached or gone is down whatever the heartbeat",
		test_detached_or_gone_is_down_whatever_the_heartbeat },
	{ "a fresh heartbeat is up", test_a_fresh_heartbeat_is_up },
	{ "a stale runnable process stays up for ten timeouts",
		test_a_stale_runnable_process_stays_up_for_ten_timeouts },
	{ "the state is needed only between one and ten timeouts",
		test_the_state_is_needed_only_between_one_and_ten_timeouts },
	{ "a stale process that is not runnable is down",
		test_a_stale_process_that_is_not_runnable_is_down },
	{ "pid state reads running, sleeping, stopped, zombie and gone; a zombie is not running",
		test_pid_state_reads_running_sleeping_stopped_zombie_and_gone },
	{ "claim free, dead and held slots", test_claim_free_dead_and_held_slots },
	{ "no claim while a reset is pending", test_no_claim_while_a_reset_is_pending },
	{ "a claim in progress is not judged by the old pid",
		test_a_claim_in_progress_is_not_judged_by_the_old_pid },
	{ "retire steps of running, stopping and free slots",
		test_retire_steps_of_running_stopping_and_free_slots },
	{ "a slot left cleanly is claimable while its last holder exits",
		test_a_slot_left_cleanly_is_claimable_while_its_last_holder_exits },
	{ "a retire of an older generation does not release the slot",
		test_a_retire_of_an_older_generation_does_not_release_the_slot },
	{ "a handler killed before its leave was acknowledged is reset",
		test_a_handler_killed_before_its_leave_was_acknowledged_is_reset },
	{ "a retired dead slot asks for nothing more",
		test_a_retired_dead_slot_asks_for_nothing_more },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo stop_tests[] = {
	{ "a live attached handler is waited for and never freed under",
		test_a_live_attached_handler_is_waited_for_and_never_freed_under },
	{ "no live handler frees at once", test_no_live_handler_frees_at_once },
	{ "a dead handler does not delay the stop", test_a_dead_handler_does_not_delay_the_stop },
	{ "a killed handler process stops holding at once",
		test_a_killed_handler_process_stops_holding_at_once },
	{ "a claim in progress holds for a second at most",
		test_a_claim_in_progress_holds_for_a_second_at_most },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "handler liveness", .pTests = tests },
	{ .pName = "stopping: when the shared memory may go", .pTests = stop_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
