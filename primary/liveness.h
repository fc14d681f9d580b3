/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_LIVENESS_H
#define GS_PRIMARY_LIVENESS_H

/*
 * Whether a handler instance is up: the rule of the primary's monitor, apart
 * so that it can be tested. A handler's heartbeat (every 10 ms) can go stale
 * for two reasons: the process is stuck (stopped, blocked, looping without
 * its loop), or it is runnable and waiting for a CPU that other processes
 * hold (a small shared host). The first is down at handler_timeout_ms; the
 * second keeps its sessions for up to LIVENESS_STARVED_FACTOR times longer,
 * instead of having them spread over the other instances and back each time
 * the host is busy.
 */
#include <stdbool.h>
#include <stdint.h>

#define LIVENESS_STARVED_FACTOR 10

enum liveness {
	LIVENESS_UP,
	LIVENESS_UP_STARVED, /* heartbeat stale, process runnable: waiting for a CPU */
	LIVENESS_DOWN_DETACHED,
	LIVENESS_DOWN_GONE,
	LIVENESS_DOWN_STALE,
};

/**
 * @param running  the slot says RUNNING
 * @param alive    its pid exists
 * @param age      cycles since its last heartbeat (may be < 0: another core's clock)
 * @param timeout  handler_timeout_ms in cycles
 * @param state    its scheduler state (gs_pid_state()), read only when the
 *                 heartbeat is stale; 0 when unknown
 */
static inline enum liveness
liveness_of(bool running, bool alive, int64_t age, uint64_t timeout, char state)
{
	if (!running)
		return LIVENESS_DOWN_DETACHED;
	if (!alive)
		return LIVENESS_DOWN_GONE;
	if (age < (int64_t)timeout)
		return LIVENESS_UP;
	if (state == 'R' && age < (int64_t)(timeout * LIVENESS_STARVED_FACTOR))
		return LIVENESS_UP_STARVED;
	return LIVENESS_DOWN_STALE;
}

/**
 * Whether liveness_of() needs the scheduler state for a heartbeat @p age
 * old: only in the window where it can keep a stale instance up, so a
 * stuck handler costs no file read per tick once it is down for good.
 */
static inline bool
liveness_needs_state(int64_t age, uint64_t timeout)
{
	return age >= (int64_t)timeout && age < (int64_t)(timeout * LIVENESS_STARVED_FACTOR);
}

static inline bool
liveness_up(enum liveness l)
{
	return l == LIVENESS_UP || l == LIVENESS_UP_STARVED;
}

#endif /* GS_PRIMARY_LIVENESS_H */
