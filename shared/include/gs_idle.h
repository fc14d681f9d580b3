/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_IDLE_H
#define GS_IDLE_H

/*
 * What a poll loop does when a pass found no work. `poll` spins (dedicated
 * cores); `backoff` spins briefly with rte_pause, then sleeps for doubling
 * times up to max_us, so that several processes can share a small host;
 * `wake` spins briefly, then has the caller sleep until work wakes it
 * (gs_wake.h), bounded by its next tick.
 */
#include <stdbool.h>
#include <stdint.h>

#include "gs_cfg.h"

struct gs_idle_state {
	enum gs_idle mode;
	unsigned int max_us;
	unsigned int misses; /* consecutive empty passes */
	unsigned int sleep_us;
	unsigned int spin; /* empty passes before a sleep (wake: adapts, gs_idle_slept) */
};

/*
 * Under wake, a sleep that work ends within GS_IDLE_SHORT_SLEEP_US came too
 * early: work arrives about that often, and waking costs the waker a system
 * call and the sleeper a trip through the scheduler. The spin before the next
 * sleep doubles (up to 64 x the base), and a longer sleep sets it back: a
 * steady load is served spinning, an idle process sleeps after a short spin.
 */
#define GS_IDLE_SHORT_SLEEP_US 100

/** "poll", "backoff" or "wake". */
const char *gs_idle_name(enum gs_idle mode);

/** Set up from a role's config. */
void gs_idle_init(struct gs_idle_state *s, enum gs_idle mode, unsigned int max_us);

/** A pass found work: go back to spinning. */
static inline void
gs_idle_reset(struct gs_idle_state *s)
{
	s->misses = 0;
	s->sleep_us = 0;
}

/** A wake sleep of @p slept_us ended, by work (@p woken) or by the tick. */
void gs_idle_slept(struct gs_idle_state *s, bool woken, uint64_t slept_us);

/**
 * A pass found no work: pause or sleep according to the policy.
 *
 * @return true when the caller should now sleep until woken (idle = wake,
 *         after a short spin); false when this call paused or slept itself.
 */
bool gs_idle_wait(struct gs_idle_state *s);

#endif /* GS_IDLE_H */
