/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_WAKE_H
#define GS_WAKE_H

/*
 * Sleeping until there is work, across processes, without a syscall on the
 * busy path. A sleeper says so in a shared flag, then looks for work once
 * more, then sleeps on a futex word (a handler) or on RX interrupts and an
 * eventfd (a primary lcore); a producer that has just published work looks
 * at the flag (one load per burst) and only when it is set makes the
 * syscall that wakes the sleeper. Both sides put a full fence between their
 * store and their load, so one of them always sees the other: either the
 * sleeper finds the work, or the producer finds the sleeper.
 *
 * Kill-safe by construction: a waker never waits (FUTEX_WAKE and an eventfd
 * write return at once), a dead sleeper only costs its waker a flag load and
 * a wake that no one hears, and every sleep is bounded by the sleeper's next
 * tick (10 ms), so work a killed producer left unannounced waits at most that.
 */
#include <linux/futex.h>
#include <sys/syscall.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/* The multi-process request by which a handler gets the primary lcores' eventfds. */
#define GS_WAKE_MP_NAME "gs_wake_fds"

/** The sleeper, before its last look for work: I am about to sleep. */
static inline void
gs_wake_announce(uint32_t *sleeping)
{
	__atomic_store_n(sleeping, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/** The sleeper, awake again. */
static inline void
gs_wake_done(uint32_t *sleeping)
{
	__atomic_store_n(sleeping, 0, __ATOMIC_RELAXED);
}

/**
 * The producer, after publishing work: whether it must wake the consumer.
 * The first producer to see the flag takes it (the flag goes back to 0), so
 * a sleeper that is woken but not yet running costs the producers that come
 * after it nothing: one system call per sleep, not one per burst.
 */
static inline bool
gs_wake_needed(uint32_t *sleeping)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(sleeping, __ATOMIC_RELAXED) != 0 &&
	       __atomic_exchange_n(sleeping, 0, __ATOMIC_ACQ_REL) != 0;
}

/**
 * Sleep on futex word @p word while it still holds @p seen (read before
 * gs_wake_announce()), for at most @p ns nanoseconds. Returns when woken,
 * on timeout, on a signal, or at once if the word moved.
 */
static inline void
gs_futex_wait(uint32_t *word, uint32_t seen, uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000u),
		.tv_nsec = (long)(ns % 1000000000u),
	};

	/* shared, not FUTEX_PRIVATE: the word is in hugepages mapped by several processes */
	syscall(SYS_futex, word, FUTEX_WAIT, seen, &ts, NULL, 0);
}

/** Move futex word @p word on and wake one sleeper on it. */
static inline void
gs_futex_wake(uint32_t *word)
{
	__atomic_add_fetch(word, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/*
 * A doorbell: one 64-bit word in which producers mark which of a consumer's
 * queues they put work in, so that the consumer looks at those queues
 * instead of probing every one on every pass. A producer rings after its
 * enqueue (an atomic OR, ordered after it); the consumer takes the marks (an
 * exchange, only when some are set) before it reads those queues, and keeps
 * a queue's mark until a read finds it empty, so work enqueued between its
 * take and its read is never left behind. A producer killed between its
 * enqueue and its ring leaves work unmarked: the consumer also probes every
 * queue once a tick.
 */

/** The producer, after publishing work in the queues of @p bits. */
static inline void
gs_doorbell_ring(uint64_t *word, uint64_t bits)
{
	__atomic_fetch_or(word, bits, __ATOMIC_RELEASE);
}

/** The consumer: the queues rung since it last took (cleared), 0 when none. */
static inline uint64_t
gs_doorbell_take(uint64_t *word)
{
	if (__atomic_load_n(word, __ATOMIC_RELAXED) == 0)
		return 0; /* no exchange, no cache line taken from the producers */
	return __atomic_exchange_n(word, 0, __ATOMIC_ACQUIRE);
}

/** Whether a queue was rung and not taken yet (a sleeper's last look). */
static inline bool
gs_doorbell_rung(const uint64_t *word)
{
	return __atomic_load_n(word, __ATOMIC_ACQUIRE) != 0;
}

#endif /* GS_WAKE_H */
