/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"

#include "tel_guard.h"

/*
 * The guard between DPDK telemetry's callbacks (the telemetry thread) and
 * the primary's stop, which frees what they read: withdrawn, then freed only
 * once no callback is inside. Threads stand for the telemetry thread.
 */
#define LIVE   0x6c697665u /* what a reader finds in the object while it may */
#define POISON 0xdeadbeefu /* what "freeing" writes */

struct object {
	uint32_t word;
};

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
test_a_withdrawn_object_is_given_to_no_callback(void)
{
	struct object o = { LIVE };
	struct tel_guard g = { 0 };

	CU_ASSERT_PTR_NULL(tel_enter(&g)); /* nothing published yet */
	tel_publish(&g, &o);
	CU_ASSERT_PTR_EQUAL(tel_enter(&g), &o);
	CU_ASSERT_EQUAL(g.readers, 1);
	tel_leave(&g);
	CU_ASSERT_EQUAL(tel_quiesce(&g, 0), 0); /* nobody inside: at once */
	CU_ASSERT_PTR_NULL(tel_enter(&g));
	CU_ASSERT_EQUAL(g.readers, 0); /* a refused callback leaves no count behind */
}

/* One callback in flight: it entered, reads for a while, then leaves. */
struct slow_reader {
	struct tel_guard *g;
	bool inside; /* entered */
	bool done;   /* its last read is made */
	bool got_null;
};

static void *
read_slowly(void *arg)
{
	struct slow_reader *r = arg;
	struct object *o = tel_enter(r->g);

	if (o == NULL) {
		__atomic_store_n(&r->got_null, true, __ATOMIC_RELEASE);
		return NULL;
	}
	__atomic_store_n(&r->inside, true, __ATOMIC_RELEASE);
	sleep_ms(50);
	(void)__atomic_load_n(&o->word, __ATOMIC_RELAXED);
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	tel_leave(r->g);
	return NULL;
}

static void
test_quiesce_waits_for_a_callback_in_flight(void)
{
	struct object o = { LIVE };
	struct tel_guard g = { 0 };
	struct slow_reader r = { .g = &g };
	pthread_t t;

	tel_publish(&g, &o);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, read_slowly, &r), 0);
	while (!__atomic_load_n(&r.inside, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	CU_ASSERT_EQUAL(tel_quiesce(&g, 1000), 0);
	/* only a NULL pointer, as before, would return here with the read to come */
	CU_ASSERT_TRUE(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE));
	pthread_join(t, NULL);
	CU_ASSERT_FALSE(r.got_null);
}

static void
test_quiesce_gives_up_on_a_stuck_callback_after_its_bound(void)
{
	struct object o = { LIVE };
	struct tel_guard g = { 0 };
	uint64_t t0;

	tel_publish(&g, &o);
	CU_ASSERT_PTR_EQUAL(tel_enter(&g), &o); /* and never leaves */
	t0 = now_ms();
	CU_ASSERT_EQUAL(tel_quiesce(&g, 20), -EBUSY);
	CU_ASSERT(now_ms() - t0 >= 20);
	CU_ASSERT(now_ms() - t0 < 1000);
	CU_ASSERT_PTR_NULL(tel_enter(&g)); /* withdrawn all the same */
}

/* Many callbacks in a loop while the object is withdrawn, then poisoned: none reads poison. */
#define READERS 3

struct looping_reader {
	struct tel_guard *g;
	bool stop;
	unsigned long reads, poisoned;
};

static void *
read_in_a_loop(void *arg)
{
	struct looping_reader *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		struct object *o = tel_enter(r->g);

		if (o == NULL)
			continue;
		for (int k = 0; k < 64; k++)
			if (__atomic_load_n(&o->word, __ATOMIC_RELAXED) != LIVE)
				r->poisoned++;
		r->reads++;
		tel_leave(r->g);
	}
	return NULL;
}

static void
test_no_callback_reads_the_object_after_quiesce(void)
{
	static struct object o;
	struct tel_guard g = { 0 };
	struct looping_reader r[READERS];
	pthread_t t[READERS];

	for (int round = 0; round < 20; round++) {
		o.word = LIVE;
		g.readers = 0;
		tel_publish(&g, &o);
		for (int i = 0; i < READERS; i++) {
			r[i] = (struct looping_reader){ .g = &g };
			CU_ASSERT_EQUAL_FATAL(
				pthread_create(&t[i], NULL, read_in_a_loop, &r[i]), 0);
		}
		sleep_ms(2);
		CU_ASSERT_EQUAL(tel_quiesce(&g, 1000), 0);
		__atomic_store_n(&o.word, POISON, __ATOMIC_RELAXED); /* "freed" */
		sleep_ms(2);
		for (int i = 0; i < READERS; i++) {
			__atomic_store_n(&r[i].stop, true, __ATOMIC_RELEASE);
			pthread_join(t[i], NULL);
			CU_ASSERT_EQUAL(r[i].poisoned, 0);
		}
		CU_ASSERT_EQUAL(g.readers, 0);
	}
}

static CU_TestInfo guard_tests[] = {
	{ "a withdrawn object is given to no callback",
		test_a_withdrawn_object_is_given_to_no_callback },
	{ "quiesce waits for a callback in flight", test_quiesce_waits_for_a_callback_in_flight },
	{ "quiesce gives up on a stuck callback after its bound",
		test_quiesce_gives_up_on_a_stuck_callback_after_its_bound },
	{ "no callback reads the object after quiesce",
		test_no_callback_reads_the_object_after_quiesce },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "telemetry guard", .pTests = guard_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
