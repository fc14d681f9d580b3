/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "gs_stats.h"
#include "gs_test.h"

/*
 * Counter blocks read while their writer updates them (gs_stats.h): what
 * gs-ctl, gs-stats and telemetry print must be one state of the block,
 * never half of one update and half of the next. The writer thread keeps
 * every counter of a handler slot and of an lcore block equal to its
 * update number, field by field; a consistent copy has them all equal.
 */
static struct gs_handler_slot slot;
static struct gs_lcore_stats lcore;
static bool writer_stop;

static void
set_all(uint64_t v)
{
	__atomic_store_n(&slot.processed, v, __ATOMIC_RELAXED);
	__atomic_store_n(&slot.replied, v, __ATOMIC_RELAXED);
	for (unsigned int r = 0; r < GS_REJECT_MAX; r++)
		__atomic_store_n(&slot.rejected[r], v, __ATOMIC_RELAXED);
	__atomic_store_n(&slot.busy_cycles, v, __ATOMIC_RELAXED);
	__atomic_store_n(&lcore.rx_packets, v, __ATOMIC_RELAXED);
	__atomic_store_n(&lcore.tx_packets, v, __ATOMIC_RELAXED);
	for (unsigned int d = 0; d < GS_DROP_MAX; d++)
		__atomic_store_n(&lcore.drops[d], v, __ATOMIC_RELAXED);
	__atomic_store_n(&lcore.busy_cycles, v, __ATOMIC_RELAXED);
}

static void *
write_counters(void *arg)
{
	(void)arg;
	for (uint64_t v = 1; !__atomic_load_n(&writer_stop, __ATOMIC_ACQUIRE); v++) {
		gs_stats_begin(&slot.stats_seq);
		gs_stats_begin(&lcore.seq);
		set_all(v);
		gs_stats_end(&lcore.seq);
		gs_stats_end(&slot.stats_seq);
		/* between bursts, as a handler or an lcore: a preempted writer is
		 * then mostly outside its update, as on a loaded host */
		for (volatile int k = 0; k < 64; k++)
			;
	}
	return NULL;
}

static bool
slot_consistent(const struct gs_handler_slot *c)
{
	bool ok = c->replied == c->processed && c->busy_cycles == c->processed;

	for (unsigned int r = 0; r < GS_REJECT_MAX; r++)
		ok = ok && c->rejected[r] == c->processed;
	return ok;
}

static bool
lcore_consistent(const struct gs_lcore_stats *c)
{
	bool ok = c->tx_packets == c->rx_packets && c->busy_cycles == c->rx_packets;

	for (unsigned int d = 0; d < GS_DROP_MAX; d++)
		ok = ok && c->drops[d] == c->rx_packets;
	return ok;
}

static void
test_copies_under_a_concurrent_writer_are_consistent(void)
{
	unsigned long good = 0, torn = 0, changed = 0;
	uint64_t last = 0;
	time_t deadline;
	pthread_t t;

	memset(&slot, 0, sizeof(slot));
	memset(&lcore, 0, sizeof(lcore));
	slot.pid = 1234;
	writer_stop = false;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, write_counters, NULL), 0);
	while (__atomic_load_n(&slot.stats_seq, __ATOMIC_ACQUIRE) == 0)
		sched_yield(); /* the writer runs */
	/* while the writer updates: 50,000 reads that saw 100 updates (5 s at most) */
	deadline = time(NULL) + 5;
	for (int k = 0; (k < 50000 || changed < 100) && time(NULL) < deadline; k++) {
		struct gs_handler_slot c = { 0 };
		struct gs_lcore_stats lc;

		if (gs_handler_counters_read(&slot, &c)) {
			good++;
			if (!slot_consistent(&c))
				torn++;
			if (c.processed != last)
				changed++;
			last = c.processed;
		}
		if (c.pid != 0)
			torn++; /* only the counter block is copied */
		if (gs_stats_read(&lcore, &lc, sizeof(lc)) && !lcore_consistent(&lc))
			torn++;
	}
	__atomic_store_n(&writer_stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(torn, 0);
	CU_ASSERT(good > 0);
	CU_ASSERT(changed >= 100); /* the reads did overlap the writer's updates */
}

static void
test_a_writer_that_died_mid_update_gives_no_consistent_copy(void)
{
	struct gs_handler_slot c;

	memset(&slot, 0, sizeof(slot));
	gs_stats_begin(&slot.stats_seq);
	set_all(7);					      /* and never gs_stats_end() */
	CU_ASSERT_FALSE(gs_handler_counters_read(&slot, &c)); /* bounded: it returns */
	CU_ASSERT_EQUAL(c.processed, 7);		      /* the last state seen */
	gs_stats_end(&slot.stats_seq);
	CU_ASSERT_TRUE(gs_handler_counters_read(&slot, &c));
}

static CU_TestInfo stats_tests[] = {
	{ "copies under a concurrent writer are consistent",
		test_copies_under_a_concurrent_writer_are_consistent },
	{ "a writer that died mid-update gives no consistent copy",
		test_a_writer_that_died_mid_update_gives_no_consistent_copy },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "counter blocks", .pTests = stats_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
