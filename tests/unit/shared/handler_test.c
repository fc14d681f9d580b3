/* SPDX-License-Identifier: BSD-3-Clause */
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memzone.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <CUnit/CUnit.h>

#include "gs_handler.h"
#include "gs_names.h"
#include "gs_stats.h"
#include "gs_test.h"
#include "gs_wake.h"

#include "liveness.h"
#include "monitor.h"
#include "move.pb-c.h"
#include "primary.h"
#include "shm.h"

/*
 * Claiming, leaving and retiring a handler slot with the real code of both
 * sides: the handler runtime's attach (claim_slot), run-with-stop (leave)
 * and detach (shared/src/handler.c), against the primary's real monitor
 * (monitor_tick(), primary/monitor.c) run by a thread of this test every
 * 2 ms. What the primary's lcores do with a retire request
 * (retire_rings() in primary/dataplane.c: reset both rings of a dead
 * instance, then record the request as done) is played by that thread too,
 * for the one slot under test, LCORE_LAG_MS after the request appears: the
 * lcores run on other cores, and a claim that went ahead of them would be
 * seen. The pure rules are in liveness_test.c.
 *
 * The control memzone and the rings are real DPDK objects of this
 * process's EAL (no hugepages, no shared files); rte_eal_primary_proc_alive()
 * is wrapped to say the primary lives. Predecessors are real processes:
 * forked children that sleep (alive) or were killed and reaped (gone).
 */
#define C	     2u /* move: its id in the default config */
#define N_LCORES     2u
#define RING	     64u
#define LCORE_LAG_MS 20u

static struct primary p; /* large: static */
static struct gs_control *ctl;
static struct gs_handler_slot *slot;
static struct gs_app app;
static struct gs_handler h;
static struct rte_ring *p2h[N_LCORES], *h2p[N_LCORES];

/* the primary's side, a thread */
static pthread_t primary_thread;
static bool primary_on;
static unsigned int resets; /* rings reset by the lcores (both of one lcore: 1) */
static uint64_t last_reset; /* TSC of the last */

int __wrap_rte_eal_primary_proc_alive(const char *config_file_path);

int
__wrap_rte_eal_primary_proc_alive(const char *config_file_path)
{
	(void)config_file_path;
	return 1;
}

/* What each primary lcore does with the slot's retire requests (retire_rings()). */
static void
lcores_retire(void)
{
	static uint32_t seen_req;
	static uint64_t seen_at;
	uint32_t req = __atomic_load_n(&slot->retire_req, __ATOMIC_ACQUIRE);
	uint64_t now = rte_get_timer_cycles();

	if (req != seen_req) {
		seen_req = req;
		seen_at = now;
	}
	if (now - seen_at < rte_get_timer_hz() * LCORE_LAG_MS / 1000)
		return;
	for (unsigned int l = 0; l < N_LCORES; l++) {
		uint32_t *done = &p.retire_done[l][C][0];

		if (req == 0 || req == __atomic_load_n(done, __ATOMIC_ACQUIRE))
			continue;
		if (req & 1u) { /* it died: whatever its rings hold is gone */
			rte_ring_reset(p2h[l]);
			rte_ring_reset(h2p[l]);
			__atomic_fetch_add(&resets, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&last_reset, rte_get_timer_cycles(), __ATOMIC_RELEASE);
		}
		__atomic_store_n(done, req, __ATOMIC_RELEASE);
	}
}

static void *
primary_run(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&primary_on, __ATOMIC_ACQUIRE)) {
		monitor_tick(&p, rte_get_timer_cycles());
		lcores_retire();
		usleep(2000);
	}
	return NULL;
}

static void
primary_start(void)
{
	__atomic_store_n(&primary_on, true, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&primary_thread, NULL, primary_run, NULL), 0);
}

static void
primary_stop(void)
{
	__atomic_store_n(&primary_on, false, __ATOMIC_RELEASE);
	pthread_join(primary_thread, NULL);
}

/* A process that lives until killed. */
static pid_t
spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	CU_ASSERT_FATAL(pid > 0);
	return pid;
}

static void
reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The pid of a process that was killed and reaped: gone. */
static int32_t
dead_pid(void)
{
	pid_t pid = spawn_sleeper();

	reap(pid);
	return (int32_t)pid;
}

/* A slot as a predecessor left it, empty rings, no primary thread, the lcores in step. */
static void
slot_set(uint32_t state, uint32_t gen, int32_t pid, uint32_t req, uint32_t done)
{
	memset(slot, 0, sizeof(*slot));
	slot->state = state;
	slot->generation = gen;
	slot->pid = pid;
	slot->retire_req = req;
	slot->retired_req = done;
	memset(p.retire_done, 0, sizeof(p.retire_done));
	for (unsigned int l = 0; l < N_LCORES; l++) {
		p.retire_done[l][C][0] = done;
		rte_ring_reset(p2h[l]);
		rte_ring_reset(h2p[l]);
	}
	memset(p.inst, 0, sizeof(p.inst));
	memset(p.live, 0, sizeof(p.live));
	memset(p.claimed, 0, sizeof(p.claimed));
	resets = 0;
	last_reset = 0;
}

/* Put @p n requests in lcore @p l's ring to the instance, as the primary dispatches them. */
static void
dispatch(unsigned int l, unsigned int n)
{
	struct gs_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = GS_MSG_MOVE;
	for (unsigned int i = 0; i < n; i++) {
		m.hdr.sequence = i + 1;
		CU_ASSERT_EQUAL(rte_ring_enqueue_elem(p2h[l], &m, sizeof(m)), 0);
	}
}

static unsigned int handled;

static void
count_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n)
{
	(void)arg;
	(void)lcore;
	(void)msgs;
	handled += n;
}

static int
attach(unsigned int wait_ms)
{
	return gs_handler_attach(&h, &app, wait_ms);
}

static uint64_t
ms_since(uint64_t t0)
{
	return (rte_get_timer_cycles() - t0) * 1000u / rte_get_timer_hz();
}

/* --- claims ------------------------------------------------------------------------------ */

static void
test_a_free_slot_is_claimed_at_once(void)
{
	slot_set(GS_SLOT_FREE, 0, 0, 0, 0);
	CU_ASSERT_EQUAL_FATAL(attach(0), 0);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_RUNNING);
	CU_ASSERT_EQUAL(slot->generation, 1);
	CU_ASSERT_EQUAL(h.generation, 1);
	CU_ASSERT_EQUAL(slot->pid, getpid());
	CU_ASSERT_EQUAL(slot->restarts, 0);
	gs_handler_detach(&h);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_FREE);
	CU_ASSERT_EQUAL(slot->pid, getpid()); /* the last holder, for gs-ctl status */
}

/* A live holder, running or draining, keeps its slot: refused at once, the slot untouched. */
static void
test_a_slot_held_by_a_live_process_is_refused(void)
{
	pid_t holder = spawn_sleeper();
	uint64_t t0;

	slot_set(GS_SLOT_RUNNING, 4, holder, 0, GS_RETIRE(3, false));
	t0 = rte_get_timer_cycles();
	CU_ASSERT_EQUAL(attach(1000), -EBUSY);
	CU_ASSERT(ms_since(t0) < 500); /* not waited for */
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_RUNNING);
	CU_ASSERT_EQUAL(slot->pid, holder);
	CU_ASSERT_EQUAL(slot->generation, 4);
	slot_set(GS_SLOT_STOPPING, 4, holder, GS_RETIRE(4, false), GS_RETIRE(4, false));
	CU_ASSERT_EQUAL(attach(1000), -EBUSY);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_STOPPING);
	reap(holder);
}

static void
test_a_dead_slot_whose_generation_is_retired_is_claimed_at_once(void)
{
	slot_set(GS_SLOT_DEAD, 3, dead_pid(), GS_RETIRE(3, true), GS_RETIRE(3, true));
	CU_ASSERT_EQUAL_FATAL(attach(0), 0);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_RUNNING);
	CU_ASSERT_EQUAL(slot->generation, 4);
	CU_ASSERT_EQUAL(slot->restarts, 1);
	CU_ASSERT_EQUAL(slot->pid, getpid());
	gs_handler_detach(&h);
}

/*
 * The predecessor was killed while it ran: its rings may hold a half-done
 * enqueue or dequeue. The claim waits (and times out with no primary),
 * until the primary marked it DEAD and every lcore reset its rings.
 */
static void
test_a_killed_predecessor_is_waited_for_until_retired(void)
{
	int32_t gone = dead_pid();

	slot_set(GS_SLOT_RUNNING, 1, gone, 0, 0);
	dispatch(0, 3); /* requests it never consumed */
	CU_ASSERT_EQUAL(attach(50), -ETIMEDOUT);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_RUNNING); /* not the claimer's to judge */
	CU_ASSERT_EQUAL(slot->generation, 1);
	CU_ASSERT_EQUAL(rte_ring_count(p2h[0]), 3);

	primary_start();
	CU_ASSERT_EQUAL(attach(2000), 0);
	primary_stop();
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_RUNNING);
	CU_ASSERT_EQUAL(slot->generation, 2);
	CU_ASSERT_EQUAL(slot->retire_req, GS_RETIRE(1, true));
	CU_ASSERT_EQUAL(slot->retired_req, GS_RETIRE(1, true));
	CU_ASSERT_EQUAL(resets, N_LCORES); /* every lcore reset its rings ... */
	CU_ASSERT(last_reset != 0 && last_reset <= slot->attach_tsc); /* ... before the claim */
	CU_ASSERT_EQUAL(rte_ring_count(p2h[0]), 0);
	gs_handler_detach(&h);
}

/*
 * Killed while it drained: its clean retire was acknowledged (no lcore
 * enqueues to it any more), then it died with messages in its rings. The
 * primary posts a reset of the same generation; the claim waits for it.
 */
static void
test_a_handler_killed_while_draining_is_reset_before_the_claim(void)
{
	slot_set(GS_SLOT_STOPPING, 1, dead_pid(), GS_RETIRE(1, false), GS_RETIRE(1, false));
	dispatch(1, 2);
	CU_ASSERT_EQUAL(attach(50), -ETIMEDOUT);
	CU_ASSERT_EQUAL(resets, 0);

	primary_start();
	CU_ASSERT_EQUAL(attach(2000), 0);
	primary_stop();
	CU_ASSERT_EQUAL(slot->generation, 2);
	CU_ASSERT_EQUAL(slot->retired_req, GS_RETIRE(1, true));
	CU_ASSERT_EQUAL(resets, N_LCORES);
	CU_ASSERT(last_reset != 0 && last_reset <= slot->attach_tsc);
	CU_ASSERT_EQUAL(rte_ring_count(p2h[1]), 0);
	gs_handler_detach(&h);
}

/*
 * A claimer died between its CAS to ATTACHING and writing its pid: the slot
 * says ATTACHING with the predecessor's pid (gone). The primary does not
 * judge a claim in progress by that pid; after RETIRE_ATTACHING_MS it
 * reclaims the slot, and the next claimer gets it.
 */
static void
test_a_claimer_that_died_claiming_is_reclaimed_after_a_second(void)
{
	uint64_t t0;

	slot_set(GS_SLOT_ATTACHING, 1, dead_pid(), GS_RETIRE(1, false), GS_RETIRE(1, false));
	primary_start();
	t0 = rte_get_timer_cycles();
	CU_ASSERT_EQUAL(attach(3000), 0);
	primary_stop();
	CU_ASSERT(ms_since(t0) >= RETIRE_ATTACHING_MS - 50);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_RUNNING);
	CU_ASSERT_EQUAL(slot->generation, 2);
	CU_ASSERT_EQUAL(slot->retired_req, GS_RETIRE(1, true));
	gs_handler_detach(&h);
}

/* --- leaving ----------------------------------------------------------------------------- */

/*
 * A clean leave (SIGTERM, gs-ctl stop): STOPPING, the primary acknowledges
 * (no lcore enqueues any more), the handler handles what its rings still
 * hold and frees the slot. Nothing is lost, nothing reset, and the slot is
 * claimable at once, even while the leaving process still exits.
 */
static void
test_a_clean_leave_drains_the_rings_and_makes_the_slot_claimable(void)
{
	const struct gs_handler_ops ops = { .burst = count_burst };
	volatile sig_atomic_t stop = 1;
	pid_t exiting;

	slot_set(GS_SLOT_FREE, 0, 0, 0, 0);
	primary_start();
	CU_ASSERT_EQUAL_FATAL(attach(1000), 0);
	dispatch(0, 5);
	dispatch(1, 2);
	handled = 0;
	CU_ASSERT_EQUAL(gs_handler_run(&h, &ops, NULL, &stop), 0); /* stop: leave at once */
	CU_ASSERT_EQUAL(handled, 7);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_STOPPING);
	CU_ASSERT_EQUAL(slot->retired_req, GS_RETIRE(1, false)); /* acknowledged */
	gs_handler_detach(&h);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_FREE);
	usleep(20000);						/* a few more monitor ticks */
	CU_ASSERT_EQUAL(slot->retire_req, GS_RETIRE(1, false)); /* nothing more to do */
	CU_ASSERT_EQUAL(resets, 0);

	/* the slot still names the leaving process, which has not exited yet */
	exiting = spawn_sleeper();
	slot->pid = exiting;
	CU_ASSERT_EQUAL(attach(0), 0);
	primary_stop();
	CU_ASSERT_EQUAL(slot->generation, 2);
	CU_ASSERT_EQUAL(slot->restarts, 1);
	CU_ASSERT_EQUAL(slot->pid, getpid());
	gs_handler_detach(&h);
	reap(exiting);
}

/* Answers every message with a MoveAck, through the lcore it came from. */
static void
ack_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n)
{
	Gs__MoveAck ack = GS__MOVE_ACK__INIT;

	(void)arg;
	for (unsigned int k = 0; k < n; k++)
		CU_ASSERT_EQUAL(gs_handler_reply_pb(
					&h, lcore, &msgs[k].peer, 0, 0, GS_MSG_MOVE_ACK, &ack.base),
			0);
	handled += n;
}

/*
 * Replies ring the doorbell of the primary lcore they are for, with the
 * instance's bit, and of no other lcore: the primary drains the rings rung
 * instead of probing every one. Replies made while leaving ring it too.
 */
static void
test_replies_ring_their_lcores_doorbell(void)
{
	const struct gs_handler_ops ops = { .burst = ack_burst };
	volatile sig_atomic_t stop = 1;

	slot_set(GS_SLOT_FREE, 0, 0, 0, 0);
	primary_start();
	CU_ASSERT_EQUAL_FATAL(attach(1000), 0);
	for (unsigned int l = 0; l < N_LCORES; l++)
		ctl->lcore_wake[l].posted = 0;
	dispatch(1, 3);
	handled = 0;
	CU_ASSERT_EQUAL(gs_handler_run(&h, &ops, NULL, &stop), 0); /* leaves: drains and answers */
	CU_ASSERT_EQUAL(handled, 3);
	CU_ASSERT_EQUAL(rte_ring_count(h2p[1]), 3);
	CU_ASSERT_EQUAL(rte_ring_count(h2p[0]), 0);
	CU_ASSERT_EQUAL(gs_doorbell_take(&ctl->lcore_wake[1].posted), GS_REPLY_BIT(C, 0));
	CU_ASSERT_EQUAL(gs_doorbell_take(&ctl->lcore_wake[0].posted), 0);
	gs_handler_detach(&h);
	primary_stop();
	for (unsigned int l = 0; l < N_LCORES; l++)
		rte_ring_reset(h2p[l]);
}

/* A handler that leaves while the primary shuts down does not wait for an acknowledgement. */
static void
test_a_leave_while_the_primary_stops_does_not_wait(void)
{
	const struct gs_handler_ops ops = { .burst = count_burst };
	volatile sig_atomic_t stop = 1;
	uint64_t t0;

	slot_set(GS_SLOT_FREE, 0, 0, 0, 0);
	CU_ASSERT_EQUAL_FATAL(attach(0), 0);
	ctl->stopping = 1; /* no primary thread: nobody would acknowledge */
	t0 = rte_get_timer_cycles();
	CU_ASSERT_EQUAL(gs_handler_run(&h, &ops, NULL, &stop), 0);
	CU_ASSERT(ms_since(t0) < 500);
	ctl->stopping = 0;
	gs_handler_detach(&h);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_FREE);
}

/* A slot the primary marked DEAD meanwhile stays DEAD: detach does not free it. */
static void
test_detach_leaves_a_slot_the_primary_marked_dead(void)
{
	slot_set(GS_SLOT_FREE, 0, 0, 0, 0);
	CU_ASSERT_EQUAL_FATAL(attach(0), 0);
	slot->state = GS_SLOT_DEAD;
	gs_handler_detach(&h);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_DEAD);
	/* and a generation taken over by another process is not this one's to free */
	slot_set(GS_SLOT_FREE, 0, 0, 0, 0);
	CU_ASSERT_EQUAL_FATAL(attach(0), 0);
	slot->generation++;
	gs_handler_detach(&h);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_RUNNING);
}

/* --- the duration histogram ------------------------------------------------------------- */

/*
 * gs_handler_hist_declare() names the histogram in the slot (a claim clears
 * a predecessor's name); gs_handler_hist_add() counts in the handler's own
 * copy, which the run publishes in the slot's counter block: a reader's
 * consistent copy has the buckets and the sum.
 */
static void
test_a_declared_histogram_is_published_in_the_slot(void)
{
	const struct gs_handler_ops ops = { .burst = count_burst };
	static const char *const bad[] = { "", "Tick", "tick-us", "tick us", "t\xc3\xa9",
		"a_name_of_twenty_four_ch" };
	volatile sig_atomic_t stop = 1;
	struct gs_handler_slot copy;

	slot_set(GS_SLOT_FREE, 0, 0, 0, 0);
	snprintf(slot->hist_name, sizeof(slot->hist_name), "old"); /* a predecessor's */
	CU_ASSERT_EQUAL_FATAL(attach(0), 0);
	CU_ASSERT_STRING_EQUAL(slot->hist_name, "");
	for (unsigned int k = 0; k < RTE_DIM(bad); k++)
		CU_ASSERT_EQUAL(gs_handler_hist_declare(&h, bad[k]), -EINVAL);
	CU_ASSERT_EQUAL(gs_handler_hist_declare(&h, NULL), -EINVAL);
	CU_ASSERT_STRING_EQUAL(slot->hist_name, "");
	CU_ASSERT_EQUAL(gs_handler_hist_declare(&h, "tick_2"), 0);
	CU_ASSERT_STRING_EQUAL(slot->hist_name, "tick_2");
	CU_ASSERT_EQUAL(gs_handler_hist_declare(&h, "a_name_of_23_characters"), 0);
	CU_ASSERT_EQUAL(gs_handler_hist_declare(&h, "tick"), 0); /* renamed */
	CU_ASSERT_STRING_EQUAL(slot->hist_name, "tick");

	gs_handler_hist_add(&h, 4000);	   /* <= 10 µs */
	gs_handler_hist_add(&h, 3000000);  /* <= 5 ms */
	gs_handler_hist_add(&h, 3500000);  /* <= 5 ms */
	gs_handler_hist_add(&h, 70000000); /* <= 100 ms */
	CU_ASSERT_EQUAL(slot->hist[0], 0); /* the handler's copy only, until published */
	CU_ASSERT_EQUAL(slot->hist_ns, 0);

	ctl->stopping = 1; /* leave without waiting for a primary */
	CU_ASSERT_EQUAL(gs_handler_run(&h, &ops, NULL, &stop), 0);
	ctl->stopping = 0;
	memset(&copy, 0, sizeof(copy));
	CU_ASSERT_TRUE(gs_handler_counters_read(slot, &copy));
	CU_ASSERT_EQUAL(copy.hist[0], 1);
	CU_ASSERT_EQUAL(copy.hist[8], 2);
	CU_ASSERT_EQUAL(copy.hist[12], 1);
	CU_ASSERT_EQUAL(gs_hist_count(copy.hist, GS_HANDLER_HIST_BUCKETS), 4);
	CU_ASSERT_EQUAL(copy.hist_ns, 4000 + 3000000 + 3500000 + 70000000);
	/* p50: rank 2 of 4, half-way into (2, 5] ms */
	CU_ASSERT_DOUBLE_EQUAL(gs_handler_hist_quantile(copy.hist, 0.5), 3500000.0, 1e-3);
	gs_handler_detach(&h);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_FREE);
}

/*
 * The own counts' and reject reasons' names go in the slot only when they
 * are labels ([a-z0-9_], 23 characters at most), as the histogram's: another
 * name is left out (its count is not exported), not cut or passed on.
 */
static void
test_own_names_that_are_no_labels_are_left_out(void)
{
	static const struct gs_handler_event events[] = {
		{ "connects", 0 },
		{ "say\"s", 8 },
		{ "new\nline", 16 },
		{ "Kills", 24 },
		{ "a_name_of_twenty_four_ch", 32 },
		{ "", 40 },
		{ NULL, 48 },
		{ "a_name_of_23_characters", 56 },
	};
	static const char *const reasons[] = { "rate", "r\"}", "t\xc3\xa9", "too_long" };
	static const uint64_t counts[RTE_DIM(events)];

	slot_set(GS_SLOT_FREE, 0, 0, 0, 0);
	CU_ASSERT_EQUAL_FATAL(attach(0), 0);
	gs_handler_events_declare(&h, events, RTE_DIM(events), counts);
	CU_ASSERT_STRING_EQUAL(slot->event_names[0], "connects");
	for (unsigned int e = 1; e < 7; e++)
		CU_ASSERT_STRING_EQUAL(slot->event_names[e], "");
	CU_ASSERT_STRING_EQUAL(slot->event_names[7], "a_name_of_23_characters");
	CU_ASSERT_EQUAL(gs_handler_rejects_declare(&h, reasons, RTE_DIM(reasons)), GS_REJECT_MAX);
	CU_ASSERT_STRING_EQUAL(gs_slot_reject_name(slot, GS_REJECT_MAX), "rate");
	CU_ASSERT_PTR_NULL(gs_slot_reject_name(slot, GS_REJECT_MAX + 1));
	CU_ASSERT_PTR_NULL(gs_slot_reject_name(slot, GS_REJECT_MAX + 2));
	CU_ASSERT_STRING_EQUAL(gs_slot_reject_name(slot, GS_REJECT_MAX + 3), "too_long");
	gs_handler_detach(&h);
	CU_ASSERT_EQUAL(slot->state, GS_SLOT_FREE);
}

static CU_TestInfo hist_tests[] = {
	{ "a declared histogram is published in the slot",
		test_a_declared_histogram_is_published_in_the_slot },
	{ "own names that are no labels are left out",
		test_own_names_that_are_no_labels_are_left_out },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo claim_tests[] = {
	{ "a free slot is claimed at once", test_a_free_slot_is_claimed_at_once },
	{ "a slot held by a live process is refused",
		test_a_slot_held_by_a_live_process_is_refused },
	{ "a dead slot whose generation is retired is claimed at once",
		test_a_dead_slot_whose_generation_is_retired_is_claimed_at_once },
	{ "a killed predecessor is waited for until retired",
		test_a_killed_predecessor_is_waited_for_until_retired },
	{ "a handler killed while draining is reset before the claim",
		test_a_handler_killed_while_draining_is_reset_before_the_claim },
	{ "a claimer that died claiming is reclaimed after a second",
		test_a_claimer_that_died_claiming_is_reclaimed_after_a_second },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo leave_tests[] = {
	{ "a clean leave drains the rings and makes the slot claimable",
		test_a_clean_leave_drains_the_rings_and_makes_the_slot_claimable },
	{ "replies ring their lcore's doorbell", test_replies_ring_their_lcores_doorbell },
	{ "a leave while the primary stops does not wait",
		test_a_leave_while_the_primary_stops_does_not_wait },
	{ "detach leaves a slot the primary marked dead",
		test_detach_leaves_a_slot_the_primary_marked_dead },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "claiming a handler slot", .pTests = claim_tests },
	{ .pName = "leaving a handler slot", .pTests = leave_tests },
	{ .pName = "a handler's own names and duration histogram", .pTests = hist_tests },
	CU_SUITE_INFO_NULL,
};

/* The control memzone and one instance's rings, as the primary publishes them. */
static int
group_create(void)
{
	const struct rte_memzone *mz = rte_memzone_reserve_aligned(
		GS_MZ_CONTROL, sizeof(struct gs_control), SOCKET_ID_ANY, 0, RTE_CACHE_LINE_SIZE);
	char name[RTE_RING_NAMESIZE];

	if (mz == NULL)
		return -1;
	ctl = mz->addr;
	shm_ctl_stamp(ctl);
	ctl->n_lcores = N_LCORES;
	ctl->tsc_hz = rte_get_timer_hz();
	ctl->epoch = 1;
	ctl->ready = 1;
	slot = &ctl->handlers[C][0];
	for (unsigned int l = 0; l < N_LCORES; l++) {
		snprintf(name, sizeof(name), GS_RING_P2H_FMT, l, (unsigned int)C, 0u);
		p2h[l] = rte_ring_create_elem(name, sizeof(struct gs_msg), RING, SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		snprintf(name, sizeof(name), GS_RING_H2P_FMT, l, (unsigned int)C, 0u);
		h2p[l] = rte_ring_create_elem(name, sizeof(struct gs_msg), RING, SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (p2h[l] == NULL || h2p[l] == NULL)
			return -1;
	}
	snprintf(ctl->classes[C].name, sizeof(ctl->classes[C].name), "move");
	ctl->classes[C].state = GS_CLASS_ACTIVE;
	gs_cfg_defaults(&p.app.cfg);
	p.ctl = ctl;
	p.n_lcores = N_LCORES;
	p.class_on[C] = true; /* its rings exist: the monitor looks after it */
	gs_cfg_defaults(&app.cfg);
	app.role = GS_ROLE_HANDLER;
	app.class_name = "move";
	app.cls = gs_cfg_class_find(&app.cfg, "move");
	app.instance = 0;
	app.guard_fd = -1;
	return 0;
}

int
main(void)
{
	char prefix[64], run_dir[PATH_MAX];
	char *eal_argv[] = {
		"handler_test",
		"--no-huge",
		"--no-pci",
		"-m",
		"64",
		"--no-shconf",
		"--no-telemetry",
		"--log-level=lib.eal:error",
		"--log-level=gs.*:error", /* the claims' and retirements' notices */
		prefix,
		NULL,
	};
	int ret;

	snprintf(prefix, sizeof(prefix), "--file-prefix=gs_ut_%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal_argv) / sizeof(eal_argv[0])) - 1, eal_argv) < 0) {
		fprintf(stderr, "handler_test: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		rmdir(rte_eal_get_runtime_dir());
		return 1;
	}
	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	if (group_create() < 0) {
		fprintf(stderr, "handler_test: cannot create the control memzone and rings: %s\n",
			rte_strerror(rte_errno));
		ret = 1;
	} else {
		ret = gs_test_run(suites);
	}
	rte_eal_cleanup();
	if (run_dir[0] != '\0' && rmdir(run_dir) < 0)
		fprintf(stderr, "handler_test: rmdir %s: %s\n", run_dir, strerror(errno));
	return ret;
}
