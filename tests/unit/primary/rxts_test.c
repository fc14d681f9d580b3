/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <CUnit/CUnit.h>

#include "gs_shm_types.h"
#include "gs_test.h"

#include "frame.h"
#include "rxts.h"

/*
 * The NIC timestamp path cannot run on virtual NICs: its arithmetic is
 * checked here. A NIC clock of 1 GHz (ns) against a 2.5 GHz TSC.
 */
#define TSC_PER_NS 2.5
#define MAX_AGE	   2500000000ull /* 1 s of TSC */

static const struct rxts_map map = {
	.nic = 1000000000000ull, /* NIC at 1000 s ... */
	.tsc = 50000000000ull,	 /* ... when the TSC read 20 s */
	.tsc_per_tick = TSC_PER_NS,
};

static void
test_a_frame_stamped_before_the_reading_maps_earlier(void)
{
	uint64_t tsc = 0, now = map.tsc + 1000;

	/* stamped 10 us before the clock reading */
	CU_ASSERT_TRUE(rxts_nic_to_tsc(&map, map.nic - 10000, now, MAX_AGE, &tsc));
	CU_ASSERT_EQUAL(tsc, map.tsc - 25000);
}

static void
test_a_frame_stamped_after_the_reading_maps_later(void)
{
	uint64_t tsc = 0, now = map.tsc + 10000000;

	CU_ASSERT_TRUE(rxts_nic_to_tsc(&map, map.nic + 2000000, now, MAX_AGE, &tsc)); /* +2 ms */
	CU_ASSERT_EQUAL(tsc, map.tsc + 5000000);
	CU_ASSERT(tsc <= now);
}

static void
test_a_time_after_the_poll_is_clamped_to_the_poll(void)
{
	uint64_t tsc = 0, now = map.tsc + 100;

	/* jitter of the mapping: 1 us "in the future" */
	CU_ASSERT_TRUE(rxts_nic_to_tsc(&map, map.nic + 1000, now, MAX_AGE, &tsc));
	CU_ASSERT_EQUAL(tsc, now);
}

static void
test_a_timestamp_older_than_max_age_is_not_believed(void)
{
	uint64_t tsc = 12345, now = map.tsc;

	CU_ASSERT_FALSE(
		rxts_nic_to_tsc(&map, map.nic - 2000000000ull, now, MAX_AGE, &tsc)); /* 2 s */
	CU_ASSERT_EQUAL(tsc, 12345);
}

static void
test_a_timestamp_far_in_the_future_is_not_believed(void)
{
	uint64_t tsc = 12345, now = map.tsc;

	CU_ASSERT_FALSE(rxts_nic_to_tsc(&map, map.nic + 2000000000ull, now, MAX_AGE, &tsc));
	CU_ASSERT_EQUAL(tsc, 12345);
}

static void
test_message_takes_nic_time_only_when_stamped(void)
{
	struct frame_info fi;
	struct gs_msg msg;

	memset(&fi, 0, sizeof(fi)); /* as frame_parse() leaves it */
	memset(&msg, 0xff, sizeof(msg));
	rxts_msg(&msg, &fi, 777);
	CU_ASSERT_EQUAL(msg.rx_tsc, 777);
	CU_ASSERT_EQUAL(msg.rx_nic_ts, 0);
	CU_ASSERT_EQUAL(msg.rx_ts_src, GS_RX_TS_TSC);

	fi.rx_tsc = 700;
	fi.rx_nic_ts = 123456789;
	fi.rx_ts_src = GS_RX_TS_NIC;
	rxts_msg(&msg, &fi, 777);
	CU_ASSERT_EQUAL(msg.rx_tsc, 700);
	CU_ASSERT_EQUAL(msg.rx_nic_ts, 123456789);
	CU_ASSERT_EQUAL(msg.rx_ts_src, GS_RX_TS_NIC);
}

static void
test_a_port_without_nic_timestamps_leaves_the_frame_alone(void)
{
	static struct rxts_port rp; /* zero: the port has no NIC timestamps */
	struct rte_mbuf m;
	struct frame_info fi;

	memset(&m, 0, sizeof(m));
	memset(&fi, 0, sizeof(fi));
	m.ol_flags = UINT64_MAX;
	rxts_stamp(&rp, 0, 0, &m, 999, &fi);
	CU_ASSERT_EQUAL(fi.rx_ts_src, GS_RX_TS_TSC);
	CU_ASSERT_EQUAL(fi.rx_tsc, 0);
}

static CU_TestInfo tests[] = {
	{ "a frame stamped before the reading maps earlier",
		test_a_frame_stamped_before_the_reading_maps_earlier },
	{ "a frame stamped after the reading maps later",
		test_a_frame_stamped_after_the_reading_maps_later },
	{ "a time after the poll is clamped to the poll",
		test_a_time_after_the_poll_is_clamped_to_the_poll },
	{ "a timestamp older than max_age is not believed",
		test_a_timestamp_older_than_max_age_is_not_believed },
	{ "a timestamp far in the future is not believed",
		test_a_timestamp_far_in_the_future_is_not_believed },
	{ "message takes nic time only when stamped",
		test_message_takes_nic_time_only_when_stamped },
	{ "a port without nic timestamps leaves the frame alone",
		test_a_port_without_nic_timestamps_leaves_the_frame_alone },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "rx timestamps", .pTests = tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
