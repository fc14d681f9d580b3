/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"

#include "gsc_timers.h"

/* Disarm and return the first timer's id; CU-fails (and returns UINT32_MAX) when none is armed. */
static uint32_t
pop(struct gsc_timers *t, uint64_t *due)
{
	uint32_t id = UINT32_MAX;

	CU_ASSERT_TRUE_FATAL(gsc_timers_first(t, &id, due));
	gsc_timers_cancel(t, id);
	return id;
}

/* Every parent is due no later than its children, and pos[] names every element's place. */
static bool
is_heap(const struct gsc_timers *t)
{
	for (uint32_t i = 0; i < t->n; i++) {
		if (t->pos[t->heap[i].id] != i)
			return false;
		if (i > 0 && t->heap[(i - 1) / 2].due > t->heap[i].due)
			return false;
	}
	return true;
}

static void
test_init_refuses_bad_sizes(void)
{
	struct gsc_timers t;

	CU_ASSERT_EQUAL(gsc_timers_init(NULL, 4), -EINVAL);
	CU_ASSERT_EQUAL(gsc_timers_init(&t, 0), -EINVAL);
	CU_ASSERT_EQUAL(gsc_timers_init(&t, UINT32_MAX), -EINVAL);
}

static void
test_empty_heap_has_no_first(void)
{
	struct gsc_timers t;
	uint32_t id = 7;
	uint64_t due = 9;

	CU_ASSERT_EQUAL_FATAL(gsc_timers_init(&t, 4), 0);
	CU_ASSERT_FALSE(gsc_timers_first(&t, &id, &due));
	CU_ASSERT_EQUAL(id, 7); /* untouched */
	CU_ASSERT_EQUAL(due, 9);
	CU_ASSERT_FALSE(gsc_timers_is_armed(&t, 0));
	gsc_timers_cancel(&t, 2);	   /* not armed: nothing happens */
	gsc_timers_cancel(&t, UINT32_MAX); /* out of range: nothing happens */
	CU_ASSERT_EQUAL(t.n, 0);
	gsc_timers_free(&t);
	gsc_timers_free(&t); /* twice is safe */
}

static void
test_timers_come_out_in_deadline_order(void)
{
	static const uint64_t dues[] = { 50, 10, 40, 30, 20, 60, 0, UINT64_MAX };
	struct gsc_timers t;
	uint64_t due, last = 0;

	CU_ASSERT_EQUAL_FATAL(gsc_timers_init(&t, 8), 0);
	for (uint32_t i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(gsc_timers_set(&t, i, dues[i]), 0);
	CU_ASSERT_EQUAL(t.n, 8);
	CU_ASSERT_TRUE(is_heap(&t));
	for (uint32_t k = 0; k < 8; k++) {
		uint32_t id = pop(&t, &due);

		CU_ASSERT_EQUAL(due, dues[id]);
		CU_ASSERT(due >= last);
		CU_ASSERT_FALSE(gsc_timers_is_armed(&t, id));
		last = due;
	}
	CU_ASSERT_FALSE(gsc_timers_first(&t, NULL, NULL));
	gsc_timers_free(&t);
}

static void
test_set_again_moves_the_timer(void)
{
	struct gsc_timers t;
	uint64_t due;
	uint32_t id;

	CU_ASSERT_EQUAL_FATAL(gsc_timers_init(&t, 3), 0);
	gsc_timers_set(&t, 0, 100);
	gsc_timers_set(&t, 1, 200);
	gsc_timers_set(&t, 2, 300);

	gsc_timers_set(&t, 2, 50); /* earlier: now the first */
	CU_ASSERT_TRUE(gsc_timers_first(&t, &id, &due));
	CU_ASSERT_EQUAL(id, 2);
	CU_ASSERT_EQUAL(due, 50);
	CU_ASSERT_EQUAL(t.n, 3); /* moved, not added */

	gsc_timers_set(&t, 2, 250); /* later: behind 0 and 1 */
	gsc_timers_set(&t, 0, 260);
	CU_ASSERT_TRUE(is_heap(&t));
	CU_ASSERT_EQUAL(pop(&t, NULL), 1);
	CU_ASSERT_EQUAL(pop(&t, NULL), 2);
	CU_ASSERT_EQUAL(pop(&t, &due), 0);
	CU_ASSERT_EQUAL(due, 260);
	gsc_timers_free(&t);
}

static void
test_cancel_takes_out_one_timer(void)
{
	struct gsc_timers t;

	CU_ASSERT_EQUAL_FATAL(gsc_timers_init(&t, 5), 0);
	for (uint32_t i = 0; i < 5; i++)
		gsc_timers_set(&t, i, 10 * (uint64_t)(i + 1));
	gsc_timers_cancel(&t, 2); /* from the middle */
	gsc_timers_cancel(&t, 0); /* the first */
	CU_ASSERT_EQUAL(t.n, 3);
	CU_ASSERT_TRUE(is_heap(&t));
	CU_ASSERT_FALSE(gsc_timers_is_armed(&t, 2));
	CU_ASSERT_EQUAL(pop(&t, NULL), 1);
	CU_ASSERT_EQUAL(pop(&t, NULL), 3);
	CU_ASSERT_EQUAL(pop(&t, NULL), 4);

	/* a cancelled id can be armed again */
	CU_ASSERT_EQUAL(gsc_timers_set(&t, 2, 5), 0);
	CU_ASSERT_EQUAL(pop(&t, NULL), 2);
	gsc_timers_free(&t);
}

static void
test_id_out_of_range_is_refused(void)
{
	struct gsc_timers t;

	CU_ASSERT_EQUAL_FATAL(gsc_timers_init(&t, 2), 0);
	CU_ASSERT_EQUAL(gsc_timers_set(&t, 2, 1), -EINVAL);
	CU_ASSERT_EQUAL(t.n, 0);
	CU_ASSERT_FALSE(gsc_timers_is_armed(&t, 2));
	gsc_timers_free(&t);
}

/*
 * Random sets, moves and cancels of 64 timers against a plain array: after
 * every step the heap is one and its first is the array's earliest.
 */
static void
test_random_operations_match_a_model(void)
{
	enum {
		IDS = 64,
		STEPS = 20000
	};

	uint64_t model[IDS]; /* UINT64_MAX: not armed (no test deadline is that late) */
	uint64_t rng = 0x9e3779b97f4a7c15u, due, min;
	struct gsc_timers t;
	unsigned int bad = 0;
	uint32_t id;

	CU_ASSERT_EQUAL_FATAL(gsc_timers_init(&t, IDS), 0);
	for (uint32_t i = 0; i < IDS; i++)
		model[i] = UINT64_MAX;
	for (unsigned int step = 0; step < STEPS; step++) {
		rng ^= rng >> 12;
		rng ^= rng << 25;
		rng ^= rng >> 27;
		id = (uint32_t)((rng >> 8) % IDS);
		if ((rng >> 40) % 4 == 0) {
			gsc_timers_cancel(&t, id);
			model[id] = UINT64_MAX;
		} else {
			model[id] = (rng >> 20) % 1000; /* small range: many equal deadlines */
			gsc_timers_set(&t, id, model[id]);
		}
		min = UINT64_MAX;
		for (uint32_t i = 0; i < IDS; i++) {
			if (model[i] < min)
				min = model[i];
			if (gsc_timers_is_armed(&t, i) != (model[i] != UINT64_MAX))
				bad++;
		}
		if (!is_heap(&t))
			bad++;
		if (min == UINT64_MAX) {
			if (gsc_timers_first(&t, NULL, NULL))
				bad++;
		} else if (!gsc_timers_first(&t, &id, &due) || due != min || model[id] != min) {
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	gsc_timers_free(&t);
}

static CU_TestInfo timer_tests[] = {
	{ "init refuses bad sizes", test_init_refuses_bad_sizes },
	{ "an empty heap has no first", test_empty_heap_has_no_first },
	{ "timers come out in deadline order", test_timers_come_out_in_deadline_order },
	{ "setting again moves the timer", test_set_again_moves_the_timer },
	{ "cancel takes out one timer", test_cancel_takes_out_one_timer },
	{ "an id out of range is refused", test_id_out_of_range_is_refused },
	{ "random operations match a model", test_random_operations_match_a_model },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "timers", .pTests = timer_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
