/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_TEL_GUARD_H
#define GS_PRIMARY_TEL_GUARD_H

/*
 * What DPDK telemetry's callbacks read, withdrawn safely before it is freed.
 * The callbacks run on the EAL's telemetry thread, whenever a client asks;
 * the primary frees the shared memory they read when it stops. A callback
 * publishes itself (a reader count) before it loads the pointer, and
 * withdrawing sets the pointer to NULL, then waits until the count is 0:
 * with sequentially consistent order on both sides, either the callback
 * sees NULL or the withdrawal sees the callback, never neither (Dekker).
 * No lock a stalled reader could hold for ever: the wait is bounded.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

struct tel_guard {
	void *obj;	  /* what the callbacks read; NULL: withdrawn */
	uint32_t readers; /* callbacks between tel_enter() and tel_leave() */
};

/** Publish @p obj to the callbacks. */
static inline void
tel_publish(struct tel_guard *g, void *obj)
{
	__atomic_store_n(&g->obj, obj, __ATOMIC_SEQ_CST);
}

/**
 * A callback starts: @return the object, which stays valid until
 * tel_leave(); or NULL when it was withdrawn (then do not call tel_leave()).
 */
static inline void *
tel_enter(struct tel_guard *g)
{
	void *obj;

	__atomic_add_fetch(&g->readers, 1, __ATOMIC_SEQ_CST);
	obj = __atomic_load_n(&g->obj, __ATOMIC_SEQ_CST);
	if (obj == NULL)
		__atomic_sub_fetch(&g->readers, 1, __ATOMIC_RELEASE);
	return obj;
}

/** A callback that got an object from tel_enter() is done with it. */
static inline void
tel_leave(struct tel_guard *g)
{
	__atomic_sub_fetch(&g->readers, 1, __ATOMIC_RELEASE);
}

/**
 * Withdraw the object: no callback gets it any more; wait (sleeping 1 ms at
 * a time, @p wait_ms at most) until every callback that got it has left.
 *
 * @return 0: nobody reads it, it may be freed; -EBUSY: a callback was
 *         still in it after @p wait_ms (do not free it).
 */
static inline int
tel_quiesce(struct tel_guard *g, unsigned int wait_ms)
{
	__atomic_store_n(&g->obj, NULL, __ATOMIC_SEQ_CST);
	for (unsigned int ms = 0; __atomic_load_n(&g->readers, __ATOMIC_SEQ_CST) != 0; ms++) {
		if (ms >= wait_ms)
			return -EBUSY;
		usleep(1000);
	}
	return 0;
}

#endif /* GS_PRIMARY_TEL_GUARD_H */
