/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_rwlock.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"

#include "eal_guard.h"

#define READER RTE_RWLOCK_READ

/* With the guard held: what stays held is released, what moves is left alone. */
static void
test_a_word_that_stays_held_is_released(void)
{
	CU_ASSERT_EQUAL(eal_lock_release_value(0, 0), 0);	    /* free */
	CU_ASSERT_EQUAL(eal_lock_release_value(READER, READER), 0); /* a dead reader */
	CU_ASSERT_EQUAL(eal_lock_release_value(2 * READER, 2 * READER), 0);
	/* a dead reader, and a writer that waited behind it and died too */
	CU_ASSERT_EQUAL(
		eal_lock_release_value(READER | RTE_RWLOCK_WAIT, READER | RTE_RWLOCK_WAIT), 0);
	CU_ASSERT_EQUAL(eal_lock_release_value(RTE_RWLOCK_WRITE, RTE_RWLOCK_WRITE), 0);
	/* moved while watched: someone alive uses it */
	CU_ASSERT_EQUAL(eal_lock_release_value(READER, 2 * READER), 2 * READER);
	CU_ASSERT_EQUAL(eal_lock_release_value(INT32_MIN, 0), 0);
}

/* Without the guard: only a writer's bit, only after it stayed for long, readers kept. */
static void
test_a_stuck_writers_bit_is_cleared_and_readers_kept(void)
{
	int32_t v = 3 * READER | RTE_RWLOCK_WAIT;

	CU_ASSERT_EQUAL(eal_lock_stuck_writer_value(v, EAL_STUCK_WRITER_MS - 1), v);
	CU_ASSERT_EQUAL(eal_lock_stuck_writer_value(v, EAL_STUCK_WRITER_MS), 3 * READER);
	CU_ASSERT_EQUAL(eal_lock_stuck_writer_value(RTE_RWLOCK_WRITE, EAL_STUCK_WRITER_MS), 0);
	/* readers alone are never touched without the guard: they may be alive */
	CU_ASSERT_EQUAL(eal_lock_stuck_writer_value(2 * READER, 60000), 2 * READER);
	CU_ASSERT_EQUAL(eal_lock_stuck_writer_value(0, 60000), 0);
}

/* A lock released by the guard works again: a writer gets it, then readers. */
static void
test_a_released_lock_can_be_taken_again(void)
{
	rte_rwlock_t l = RTE_RWLOCK_INITIALIZER;

	rte_rwlock_read_lock(&l); /* a reader that "dies" holding it */
	CU_ASSERT_EQUAL(rte_rwlock_write_trylock(&l), -EBUSY);
	l.cnt = eal_lock_release_value(l.cnt, l.cnt);
	CU_ASSERT_EQUAL(rte_rwlock_write_trylock(&l), 0);
	rte_rwlock_write_unlock(&l);
	CU_ASSERT_EQUAL(rte_rwlock_read_trylock(&l), 0);
	rte_rwlock_read_unlock(&l);
	CU_ASSERT_EQUAL(l.cnt, 0);
	/* a writer that "dies" holding it: readers are kept out until it is cleared */
	rte_rwlock_write_lock(&l);
	CU_ASSERT_EQUAL(rte_rwlock_read_trylock(&l), -EBUSY);
	l.cnt = eal_lock_stuck_writer_value(l.cnt, EAL_STUCK_WRITER_MS);
	CU_ASSERT_EQUAL(rte_rwlock_read_trylock(&l), 0);
	rte_rwlock_read_unlock(&l);
}

static CU_TestInfo tests[] = {
	{ "a word that stays held is released", test_a_word_that_stays_held_is_released },
	{ "a stuck writer's bit is cleared and readers kept",
		test_a_stuck_writers_bit_is_cleared_and_readers_kept },
	{ "a released lock can be taken again", test_a_released_lock_can_be_taken_again },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "EAL lock guard", .pTests = tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
