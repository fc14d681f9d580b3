/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
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

/*
 * The reply doorbell, as a handler and a primary lcore use it (gs_wake.h):
 * DB_QUEUES queues (counters of items published), a producer that publishes
 * passes of 1-4 items in one queue, ringing its bit at the first item and
 * again after the pass; a consumer that looks only at the queues rung or
 * carried, takes at most DB_TAKE items per look (a burst) and carries a
 * queue's bit until a look finds it empty. It never probes every queue, yet
 * it must end with every item taken.
 */
#define DB_QUEUES 5
#define DB_PASSES 100000
#define DB_TAKE	  3

struct bell {
	uint64_t word;
	uint32_t published[DB_QUEUES];
	uint32_t done;
};

static void *
bell_producer(void *arg)
{
	struct bell *b = arg;

	for (unsigned int pass = 0; pass < DB_PASSES; pass++) {
		unsigned int q = pass % DB_QUEUES, items = 1 + pass % 4;

		for (unsigned int k = 0; k < items; k++) {
			__atomic_store_n(&b->published[q], b->published[q] + 1, __ATOMIC_RELEASE);
			if (k == 0)
				gs_doorbell_ring(&b->word, 1ull << q);
			if (pass % 7 == 0)
				sched_yield(); /* a pass interrupted half-way */
		}
		gs_doorbell_ring(&b->word, 1ull << q);
	}
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
test_the_reply_doorbell_leaves_nothing_behind(void)
{
	struct bell b = { 0 };
	uint32_t taken[DB_QUEUES] = { 0 }, expect = 0, total = 0;
	uint64_t carry = 0, looks = 0;
	bool done = false;
	pthread_t t;

	CU_ASSERT_FALSE(gs_doorbell_rung(&b.word));
	CU_ASSERT_EQUAL(gs_doorbell_take(&b.word), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, bell_producer, &b), 0);
	for (;;) {
		/* done is read first: every ring came before it, so this look sees them */
		uint64_t bits;

		done = __atomic_load_n(&b.done, __ATOMIC_ACQUIRE);
		bits = carry | gs_doorbell_take(&b.word);
		carry = 0;
		if (bits == 0 && done)
			break;
		while (bits != 0) {
			unsigned int q = (unsigned int)__builtin_ctzll(bits);
			uint32_t n = __atomic_load_n(&b.published[q], __ATOMIC_ACQUIRE) - taken[q];

			bits &= bits - 1;
			looks++;
			if (n > DB_TAKE)
				n = DB_TAKE;
			taken[q] += n;
			if (n > 0)
				carry |= 1ull << q;
		}
	}
	CU_ASSERT_EQUAL(pthread_join(t, NULL), 0);
	for (unsigned int pass = 0; pass < DB_PASSES; pass++)
		expect += 1 + pass % 4;
	for (unsigned int q = 0; q < DB_QUEUES; q++) {
		CU_ASSERT_EQUAL(taken[q], b.published[q]);
		total += taken[q];
	}
	CU_ASSERT_EQUAL(total, expect);
	CU_ASSERT_FALSE(gs_doorbell_rung(&b.word));
	CU_ASSERT_TRUE(looks > 0);
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
	{ "the reply doorbell leaves nothing behind",
		test_the_reply_doorbell_leaves_nothing_behind },
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
