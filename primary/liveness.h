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

#include "gs_shm_types.h"

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

/*
 * Retiring a slot, one monitor tick (primary/monitor.c): what to request,
 * and whether to mark the slot DEAD. The request is published before the
 * slot is marked DEAD, so that a claimer who sees DEAD also sees the request
 * it must wait for (gs_slot_claim_check()).
 */
struct retire_step {
	uint32_t want;	/* the retire request due (GS_RETIRE()), 0: none */
	bool mark_dead; /* CAS the slot to DEAD */
};

/** How long a slot may say ATTACHING before its claimer counts as dead. */
#define RETIRE_ATTACHING_MS 1000

/**
 * @param state, gen, done  the slot's state, generation and retired_req
 * @param alive             whether its pid's process exists
 * @param attaching_stale   it has said ATTACHING, with this generation, for
 *                          RETIRE_ATTACHING_MS: the claimer died claiming.
 *                          A claim in progress has not written its pid yet,
 *                          so the pid read is the predecessor's: a fresh
 *                          ATTACHING slot is never judged by it.
 */
static inline struct retire_step
retire_step_of(uint32_t state, uint32_t gen, uint32_t done, bool alive, bool attaching_stale)
{
	struct retire_step r = { 0, false };

	if (state == GS_SLOT_ATTACHING && !attaching_stale)
		return r;
	if (state == GS_SLOT_STOPPING && alive) {
		r.want = GS_RETIRE(gen, false); /* it drains its rings itself */
		return r;
	}
	if (state == GS_SLOT_FREE || state == GS_SLOT_DEAD || !alive ||
		state == GS_SLOT_ATTACHING) {
		if (state == GS_SLOT_FREE && done == GS_RETIRE(gen, false))
			return r; /* left cleanly, acknowledged */
		r.mark_dead = state != GS_SLOT_FREE && state != GS_SLOT_DEAD;
		r.want = GS_RETIRE(gen, true);
	}
	return r;
}

/*
 * Stopping (primary/main.c): the primary sets `stopping`, then frees the
 * shared memory only once no handler that is alive may still read it. A
 * handler notices `stopping` within its 10 ms tick (plus an idle sleep of
 * at most [ROLE] idle_max_us, 100 ms) and frees its slot before it exits.
 */

/** How long the primary waits for live handlers to leave before it gives up on them. */
#define STOP_HANDLER_WAIT_MS 5000

/**
 * Whether a handler slot may still have a reader of the shared memory behind it.
 *
 * @param state      the slot's state
 * @param running    its pid's process exists and is no zombie (gs_pid_running())
 * @param waited_ms  how long the primary has waited since it set `stopping`
 *
 * A slot that is FREE or DEAD has none; a dead process or a zombie maps
 * nothing and reads nothing, so it never delays the stop. A claim in
 * progress (ATTACHING) may not have written its pid yet, so it counts,
 * whatever its pid says, for the first RETIRE_ATTACHING_MS of the wait.
 */
static inline bool
stop_slot_holds(uint32_t state, bool running, uint64_t waited_ms)
{
	switch (state) {
	case GS_SLOT_RUNNING:
	case GS_SLOT_STOPPING:
		return running;
	case GS_SLOT_ATTACHING:
		return running || waited_ms < RETIRE_ATTACHING_MS;
	default:
		return false;
	}
}

enum stop_verdict {
	STOP_WAIT, /* live handlers are attached: wait for them */
	STOP_FREE, /* none: the shared memory may be freed */
	STOP_KEEP, /* some stayed past the bound: leave the shared memory allocated */
};

/**
 * What the stopping primary does with @p holders slots for which
 * stop_slot_holds() says yes, @p waited_ms into a wait of at most
 * @p bound_ms. Past the bound it never frees memory under a live reader:
 * it exits with the memory allocated, and the kernel takes it from the
 * last process that maps it (the primary removes the hugepage files).
 */
static inline enum stop_verdict
stop_verdict_of(unsigned int holders, uint64_t waited_ms, uint64_t bound_ms)
{
	if (holders == 0)
		return STOP_FREE;
	return waited_ms < bound_ms ? STOP_WAIT : STOP_KEEP;
}

#endif /* GS_PRIMARY_LIVENESS_H */
