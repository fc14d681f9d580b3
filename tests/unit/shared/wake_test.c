/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "gs_stats.h"
#include "gs_test.h"
#include "gs_wake.h"

#define ROUNDS	 20000
#define SLEEP_NS (200 * 1000 * 1000ull) /* a sleep that is not woken lasts this long */

/* One sleeper and one producer, as a handler and a primary lcore: a work counter. */
struct pair {
	uint32_t work;	   /* published by the producer, taken by the sleeper */
	uint32_t sleeping; /* the sleeper's flag */
	uint32_t word;	   /* the futex */
	unsigned int timeouts, sleeps;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The sleeper: take ROUNDS pieces of work, sleeping whenever there is none. */
static void *
sleeper(void *arg)
{
	struct pair *p = arg;
	unsigned int taken = 0;

	while (taken < ROUNDS) {
		uint32_t seen;
		uint64_t t0;

		if (__atomic_load_n(&p->work, __ATOMIC_ACQUIRE) > taken) {
			taken++;
			continue;
		}
		seen = __atomic_load_n(&p->word, __ATOMIC_ACQUIRE);
		gs_wake_announce(&p->sleeping);
		if (__atomic_load_n(&p->work, __ATOMIC_ACQUIRE) > taken) {
			gs_wake_done(&p->sleeping); /* came in while deciding */
			continue;
		}
		t0 = mono_ns();
		gs_futex_wait(&p->word, seen, SLEEP_NS);
		p->sleeps++;
		if (mono_ns() - t0 >= SLEEP_NS &&
			__atomic_load_n(&p->word, __ATOMIC_ACQUIRE) == seen)
			p->timeouts++; /* nobody woke it: a lost wake-up */
		gs_wake_done(&p->sleeping);
	}
	return NULL;
}

/*
 * The protocol loses no wake-up: a producer that publishes work one piece at
 * a time, waiting for each to be taken, never leaves the sleeper asleep with
 * work pending (each such sleep would end by timeout, 200 ms later).
 */
static void
test_no_wake_up_is_lost(void)
{
	struct pair p = { 0 };
	unsigned int wakes = 0;
	pthread_t t;

	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, sleeper, &p), 0);
	for (unsigned int i = 1; i <= ROUNDS; i++) {
		__atomic_store_n(&p.work, i, __ATOMIC_RELEASE);
		if (gs_wake_needed(&p.sleeping)) {
			gs_futex_wake(&p.word);
			wakes++;
		}
		/* every few rounds, let the sleeper fall asleep before the next piece */
		if (i % 64 == 0)
			while (!__atomic_load_n(&p.sleeping, __ATOMIC_ACQUIRE) &&
				__atomic_load_n(&p.work, __ATOMIC_ACQUIRE) == i)
				sched_yield();
	}
	CU_ASSERT_EQUAL(pthread_join(t, NULL), 0);
	CU_ASSERT_EQUAL(p.timeouts, 0);
	CU_ASSERT_TRUE(p.sleeps > 0); /* the sleeping path was taken */
	CU_ASSERT_TRUE(wakes > 0);
}

/*
 * A producer that sees no sleeper makes no syscall; of the producers that see
 * one, only the first wakes it; a dead sleeper's flag costs one wake only.
 */
static void
test_wake_needed_once_per_sleep(void)
{
	uint32_t sleeping = 0, word = 5;

	CU_ASSERT_FALSE(gs_wake_needed(&sleeping));
	gs_wake_announce(&sleeping);
	CU_ASSERT_TRUE(gs_wake_needed(&sleeping));
	CU_ASSERT_FALSE(gs_wake_needed(&sleeping)); /* woken, not yet running: no second call */
	gs_futex_wake(&word);			    /* nobody waits: returns at once */
	CU_ASSERT_EQUAL(word, 6);
	gs_futex_wait(&word, 5, SLEEP_NS); /* the word moved: returns at once */
	gs_wake_done(&sleeping);
	CU_ASSERT_FALSE(gs_wake_needed(&sleeping));
}

/* Quantiles of a residence histogram, interpolated within the bucket. */
static void
test_residence_quantiles(void)
{
	uint64_t counts[GS_RESIDENCE_BUCKETS] = { 0 };

	CU_ASSERT_DOUBLE_EQUAL(gs_residence_quantile(counts, 0.5), 0.0, 1e-9);
	counts[0] = 100; /* 100 replies within 1 us */
	CU_ASSERT_DOUBLE_EQUAL(gs_residence_quantile(counts, 0.5), 500.0, 1e-6);
	counts[3] = 100; /* and 100 between 5 and 10 us */
	CU_ASSERT_DOUBLE_EQUAL(gs_residence_quantile(counts, 0.5), 1000.0, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(gs_residence_quantile(counts, 0.75), 7500.0, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(gs_residence_quantile(counts, 1.0), 10000.0, 1e-6);
	counts[GS_RESIDENCE_BUCKETS - 1] = 1000; /* most beyond 10 ms: the last bound */
	CU_ASSERT_DOUBLE_EQUAL(gs_residence_quantile(counts, 0.99), 10000000.0, 1e-6);
}

static CU_TestInfo tests[] = {
	{ "no wake-up is lost", test_no_wake_up_is_lost },
	{ "wake needed once per sleep", test_wake_needed_once_per_sleep },
	{ "residence quantiles", test_residence_quantiles },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "wake-ups and residence", .pTests = tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
