/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GSC_TIMERS_H
#define GSC_TIMERS_H

/*
 * A min-heap of deadlines, one timer per id (0 .. cap - 1): what a client
 * that drives many sessions from one loop needs to find the next one due.
 * An id is armed with gsc_timers_set(), moved by setting it again and
 * disarmed with gsc_timers_cancel(); gsc_timers_first() names the earliest.
 * Every operation is O(log n) but gsc_timers_first() and _is_armed(), O(1).
 * Deadlines are plain numbers (gs-client uses CLOCK_MONOTONIC ns); of equal
 * ones, which comes first is unspecified. Nothing here is thread-safe.
 */
#include <stdbool.h>
#include <stdint.h>

/** One armed timer: the heap's element. */
struct gsc_timer {
	uint64_t due;
	uint32_t id;
};

/** The heap. Initialise with gsc_timers_init(); fields are read-only. */
struct gsc_timers {
	struct gsc_timer *heap; /* n armed timers, heap[0] the earliest */
	uint32_t *pos;		/* id -> its index in heap, UINT32_MAX when not armed */
	uint32_t n;
	uint32_t cap; /* ids are 0 .. cap - 1 */
};

/**
 * Allocate a heap for ids 0 .. @p cap - 1, none armed.
 *
 * @return 0, or -EINVAL (@p t NULL, @p cap 0 or UINT32_MAX), -ENOMEM.
 */
int gsc_timers_init(struct gsc_timers *t, uint32_t cap);

/** Free what gsc_timers_init() allocated (safe on a zeroed or freed @p t). */
void gsc_timers_free(struct gsc_timers *t);

/**
 * Arm timer @p id for @p due, or move it there when it is armed already.
 *
 * @return 0, or -EINVAL (@p id >= cap).
 */
int gsc_timers_set(struct gsc_timers *t, uint32_t id, uint64_t due);

/** Disarm timer @p id; nothing happens when it is not armed (or out of range). */
void gsc_timers_cancel(struct gsc_timers *t, uint32_t id);

/** Is timer @p id armed? (false for an id out of range) */
bool gsc_timers_is_armed(const struct gsc_timers *t, uint32_t id);

/**
 * The earliest armed timer, left armed: its id in *@p id and deadline in
 * *@p due (either pointer may be NULL).
 *
 * @return false when no timer is armed (*@p id and *@p due untouched).
 */
bool gsc_timers_first(const struct gsc_timers *t, uint32_t *id, uint64_t *due);

#endif /* GSC_TIMERS_H */
