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

#include "gs_cfg.h"

struct gs_idle_state {
	enum gs_idle mode;
	unsigned int max_us;
	unsigned int misses; /* consecutive empty passes */
	unsigned int sleep_us;
};

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

/**
 * A pass found no work: pause or sleep according to the policy.
 *
 * @return true when the caller should now sleep until woken (idle = wake,
 *         after a short spin); false when this call paused or slept itself.
 */
bool gs_idle_wait(struct gs_idle_state *s);

#endif /* GS_IDLE_H */
