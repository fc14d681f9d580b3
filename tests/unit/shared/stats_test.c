/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "gs_handler.h"
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
	for (unsigned int e = 0; e < GS_HANDLER_EVENTS; e++)
		__atomic_store_n(&slot.events[e], v, __ATOMIC_RELAXED);
	for (unsigned int b = 0; b < GS_HANDLER_HIST_BUCKETS; b++)
		__atomic_store_n(&slot.hist[b], v, __ATOMIC_RELAXED);
	__atomic_store_n(&slot.hist_ns, v, __ATOMIC_RELAXED);
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
	bool ok = c->replied == c->processed && c->busy_cycles == c->processed &&
		  c->hist_ns == c->processed;

	for (unsigned int r = 0; r < GS_REJECT_MAX; r++)
		ok = ok && c->rejected[r] == c->processed;
	for (unsigned int e = 0; e < GS_HANDLER_EVENTS; e++)
		ok = ok && c->events[e] == c->processed;
	for (unsigned int b = 0; b < GS_HANDLER_HIST_BUCKETS; b++)
		ok = ok && c->hist[b] == c->processed;
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

/*
 * gs_hist_quantile() on bounds of its own: interpolated within the bucket,
 * the last bounded one's bound beyond it, 0 when empty; the residence and
 * handler histograms' quantiles are it on their bounds.
 */
static void
test_quantiles_of_any_bounds(void)
{
	static const uint64_t bounds[4] = { 10, 100, 1000, UINT64_MAX };
	static const uint64_t res_bounds[GS_RESIDENCE_BUCKETS] = GS_RESIDENCE_BOUNDS_NS;
	static const uint64_t hist_bounds[GS_HANDLER_HIST_BUCKETS] = GS_HANDLER_HIST_BOUNDS_NS;
	uint64_t counts[4] = { 0 };
	uint64_t res[GS_RESIDENCE_BUCKETS] = { 0 }, hist[GS_HANDLER_HIST_BUCKETS] = { 0 };

	CU_ASSERT_DOUBLE_EQUAL(gs_hist_quantile(bounds, counts, 4, 0.5), 0.0, 1e-9);
	CU_ASSERT_EQUAL(gs_hist_count(counts, 4), 0);
	counts[1] = 100; /* 100 values in (10, 100] */
	CU_ASSERT_DOUBLE_EQUAL(gs_hist_quantile(bounds, counts, 4, 0.5), 55.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(gs_hist_quantile(bounds, counts, 4, 0.0), 10.0, 1e-9);
	counts[2] = 100; /* and 100 in (100, 1000] */
	CU_ASSERT_EQUAL(gs_hist_count(counts, 4), 200);
	CU_ASSERT_DOUBLE_EQUAL(gs_hist_quantile(bounds, counts, 4, 0.5), 100.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(gs_hist_quantile(bounds, counts, 4, 0.75), 550.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(gs_hist_quantile(bounds, counts, 4, 0.99), 982.0, 1e-9);
	counts[3] = 800; /* most beyond the last bound: it reads that bound */
	CU_ASSERT_DOUBLE_EQUAL(gs_hist_quantile(bounds, counts, 4, 0.99), 1000.0, 1e-9);

	/* the residence and the handler histograms: the same on their own bounds */
	res[4] = 10;
	res[9] = 30;
	hist[4] = 10;
	hist[9] = 30;
	for (unsigned int k = 0; k <= 20; k++) {
		double q = k / 20.0;

		CU_ASSERT_DOUBLE_EQUAL(gs_residence_quantile(res, q),
			gs_hist_quantile(res_bounds, res, GS_RESIDENCE_BUCKETS, q), 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(gs_handler_hist_quantile(hist, q),
			gs_hist_quantile(hist_bounds, hist, GS_HANDLER_HIST_BUCKETS, q), 1e-9);
	}
	/* p50 of 10 in (100, 200] µs and 30 in (5, 10] ms: rank 20, a third into the latter */
	CU_ASSERT_DOUBLE_EQUAL(
		gs_handler_hist_quantile(hist, 0.5), 5000000.0 + 5000000.0 / 3, 1e-3);
}

/*
 * gs_handler_hist_add(): a duration goes in the first bucket whose bound it
 * does not pass (a bound is in its own bucket), and into the sum; one above
 * the last bound (1 s) goes in the last bucket.
 */
static void
test_a_duration_goes_in_the_bucket_of_its_bound(void)
{
	static const uint64_t bounds[GS_HANDLER_HIST_BUCKETS] = GS_HANDLER_HIST_BOUNDS_NS;
	struct gs_handler h;
	uint64_t sum = 0;

	memset(&h, 0, sizeof(h));
	for (unsigned int b = 0; b + 1 < GS_HANDLER_HIST_BUCKETS; b++) {
		gs_handler_hist_add(&h, bounds[b]);	/* its own bucket */
		gs_handler_hist_add(&h, bounds[b] + 1); /* the next one */
		sum += 2 * bounds[b] + 1;
	}
	gs_handler_hist_add(&h, 0);
	gs_handler_hist_add(&h, 10ull * 1000000000u); /* a 10 s stall */
	sum += 10ull * 1000000000u;
	CU_ASSERT_EQUAL(h.hist[0], 2);
	for (unsigned int b = 1; b + 1 < GS_HANDLER_HIST_BUCKETS; b++)
		CU_ASSERT_EQUAL(h.hist[b], 2);
	CU_ASSERT_EQUAL(h.hist[GS_HANDLER_HIST_BUCKETS - 1], 2);
	CU_ASSERT_EQUAL(h.hist_ns, sum);
	CU_ASSERT_EQUAL(bounds[GS_HANDLER_HIST_BUCKETS - 2], 1000000000u); /* 1 s */
	CU_ASSERT_EQUAL(bounds[0], 10000u);				   /* 10 µs */
}

static CU_TestInfo hist_tests[] = {
	{ "quantiles of any bounds", test_quantiles_of_any_bounds },
	{ "a duration goes in the bucket of its bound",
		test_a_duration_goes_in_the_bucket_of_its_bound },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo stats_tests[] = {
	{ "copies under a concurrent writer are consistent",
		test_copies_under_a_concurrent_writer_are_consistent },
	{ "a writer that died mid-update gives no consistent copy",
		test_a_writer_that_died_mid_update_gives_no_consistent_copy },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "counter blocks", .pTests = stats_tests },
	{ .pName = "histograms", .pTests = hist_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
