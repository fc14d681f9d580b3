/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_SEQLOCK_H
#define GS_SEQLOCK_H

/*
 * A sequence lock for state shared between processes, where a writer may be
 * killed at any instruction.
 *
 * The lock word is 64 bits: the low 32 are the sequence (odd while a writer
 * writes), the high 32 the pid of the writer that made it odd. Readers never
 * write and never block: they copy the data between gs_seq_read_begin() and
 * gs_seq_read_retry() and retry a bounded number of times. Writers take the
 * word with a compare-and-swap, so two writers (e.g. two handler instances
 * during a hand-over) serialise. A writer that finds the word odd and its
 * holder's pid gone takes it over: a killed writer never blocks anyone for
 * longer than one liveness check. DPDK-free.
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GS_CPU_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define GS_CPU_PAUSE() __asm__ volatile("yield" ::: "memory")
#else
#define GS_CPU_PAUSE() __asm__ volatile("" ::: "memory")
#endif

/** Read attempts before a reader gives up (a live writer holds the word for ~100 ns). */
#define GS_SEQ_READ_TRIES  1024u
/** Spins before a writer gives up on a live holder (a holder preempted by the kernel). */
#define GS_SEQ_WRITE_SPINS 200000u

static inline uint32_t
gs_seq_of(uint64_t word)
{
	return (uint32_t)word;
}

static inline int32_t
gs_seq_holder(uint64_t word)
{
	return (int32_t)(word >> 32);
}

/** Start a read: the sequence to pass to gs_seq_read_retry(). */
static inline uint32_t
gs_seq_read_begin(const uint64_t *lock)
{
	return gs_seq_of(__atomic_load_n(lock, __ATOMIC_ACQUIRE));
}

/** True when what was read since @p start may be torn: read again. */
static inline bool
gs_seq_read_retry(const uint64_t *lock, uint32_t start)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (start & 1u) != 0 || gs_seq_of(__atomic_load_n(lock, __ATOMIC_RELAXED)) != start;
}

/** True when @p pid no longer exists (a killed writer). */
static inline bool
gs_seq_pid_gone(int32_t pid)
{
	return pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH);
}

/**
 * Take the lock for writing as process @p me.
 *
 * @return 0, 1 (taken over from a holder that no longer exists: the data it
 *         was writing may be half-written), or -EBUSY (a live holder kept it
 *         for @p spins spins).
 */
static inline int
gs_seq_write_lock(uint64_t *lock, int32_t me, uint32_t spins)
{
	uint64_t v = __atomic_load_n(lock, __ATOMIC_RELAXED);

	for (uint32_t i = 0;; i++) {
		uint32_t seq = gs_seq_of(v);
		int32_t holder = gs_seq_holder(v);

		if ((seq & 1u) == 0) {
			uint64_t nv = ((uint64_t)(uint32_t)me << 32) | (uint32_t)(seq + 1u);

			if (__atomic_compare_exchange_n(
				    lock, &v, nv, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				return 0;
			continue; /* v was reloaded */
		}
		/* odd: a writer is inside; every 256 spins, ask whether it still exists */
		if ((i & 255u) == 0 && (holder == me || gs_seq_pid_gone(holder))) {
			uint64_t nv = ((uint64_t)(uint32_t)me << 32) | (uint32_t)(seq + 2u);

			if (__atomic_compare_exchange_n(
				    lock, &v, nv, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				return 1;
			continue;
		}
		if (i >= spins)
			return -EBUSY;
		GS_CPU_PAUSE();
		v = __atomic_load_n(lock, __ATOMIC_RELAXED);
	}
}

/** Publish what was written and release the lock. */
static inline void
gs_seq_write_unlock(uint64_t *lock)
{
	uint64_t v = __atomic_load_n(lock, __ATOMIC_RELAXED);

	__atomic_store_n(lock, (v & 0xffffffff00000000ull) | (uint32_t)(gs_seq_of(v) + 1u),
		__ATOMIC_RELEASE);
}

/**
 * Release a lock left odd by a writer that no longer exists (repair after a
 * kill). A live holder's lock is left alone.
 *
 * @return true if the lock was released.
 */
static inline bool
gs_seq_repair(uint64_t *lock)
{
	uint64_t v = __atomic_load_n(lock, __ATOMIC_ACQUIRE);

	if ((gs_seq_of(v) & 1u) == 0 || !gs_seq_pid_gone(gs_seq_holder(v)))
		return false;
	return __atomic_compare_exchange_n(lock, &v,
		(v & 0xffffffff00000000ull) | (uint32_t)(gs_seq_of(v) + 1u), false,
		__ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

#endif /* GS_SEQLOCK_H */
