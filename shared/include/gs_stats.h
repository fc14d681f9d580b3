/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_STATS_H
#define GS_STATS_H

/*
 * Counter blocks shared between processes: one writer per block, which
 * brackets its updates with gs_stats_begin/end (seq odd while updating).
 * Readers copy with gs_stats_read and retry on a change, as fd.io VPP's stats
 * segment does. No lock a killed process could hold.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gs_shm_types.h"

static inline void
gs_ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED); /* single writer: no lock prefix */
}

static inline void
gs_stats_begin(uint64_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
gs_stats_end(uint64_t *seq)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELAXED);
}

/**
 * Copy @p len bytes of a block whose first field is its seq.
 *
 * @return true on a consistent copy; false if the writer kept updating (or
 *         died mid-update: the copy is then the last state seen).
 */
static inline bool
gs_stats_read(const void *block, void *dst, size_t len)
{
	const uint64_t *seq = block;

	for (int tries = 0; tries < 64; tries++) {
		uint64_t s0 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);

		memcpy(dst, block, len);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((s0 & 1) == 0 && __atomic_load_n(seq, __ATOMIC_RELAXED) == s0)
			return true;
	}
	return false;
}

/** The count of a histogram: the sum of its @p n buckets @p counts. */
static inline uint64_t
gs_hist_count(const uint64_t *counts, unsigned int n)
{
	uint64_t total = 0;

	for (unsigned int b = 0; b < n; b++)
		total += counts[b];
	return total;
}

/**
 * Quantile @p q (0..1) of a histogram of @p n buckets (n >= 2): bucket b
 * counts its own values, those of at most @p bounds[b] and above
 * @p bounds[b - 1] (0 for the first); the last bound is UINT64_MAX (any).
 * In the bounds' unit: interpolated within the bucket it falls in, as
 * Prometheus' histogram_quantile() does; the lower bound of the last bucket
 * when it falls there; 0 for an empty histogram.
 */
static inline double
gs_hist_quantile(const uint64_t *bounds, const uint64_t *counts, unsigned int n, double q)
{
	uint64_t total = gs_hist_count(counts, n), below = 0;
	double rank;

	if (total == 0 || n < 2)
		return 0.0;
	rank = q * (double)total;
	for (unsigned int b = 0; b < n; b++) {
		double lo = b == 0 ? 0.0 : (double)bounds[b - 1];

		if ((double)(below + counts[b]) >= rank && counts[b] != 0) {
			if (bounds[b] == UINT64_MAX)
				return lo;
			return lo + ((double)bounds[b] - lo) * (rank - (double)below) /
					    (double)counts[b];
		}
		below += counts[b];
	}
	return (double)bounds[n - 2];
}

/** gs_hist_quantile() of a residence histogram (GS_RESIDENCE_BOUNDS_NS), in ns. */
static inline double
gs_residence_quantile(const uint64_t counts[GS_RESIDENCE_BUCKETS], double q)
{
	static const uint64_t bounds[GS_RESIDENCE_BUCKETS] = GS_RESIDENCE_BOUNDS_NS;

	return gs_hist_quantile(bounds, counts, GS_RESIDENCE_BUCKETS, q);
}

/** gs_hist_quantile() of a handler's duration histogram (GS_HANDLER_HIST_BOUNDS_NS), in ns. */
static inline double
gs_handler_hist_quantile(const uint64_t counts[GS_HANDLER_HIST_BUCKETS], double q)
{
	static const uint64_t bounds[GS_HANDLER_HIST_BUCKETS] = GS_HANDLER_HIST_BOUNDS_NS;

	return gs_hist_quantile(bounds, counts, GS_HANDLER_HIST_BUCKETS, q);
}

/**
 * Copy the counters of handler slot @p s (the block from stats_seq up to the
 * primary's line: processed, replied, rejected[], busy_cycles, events[],
 * hist[], hist_ns) into the same offsets of @p copy with gs_stats_read();
 * the other fields of @p copy are left as they are.
 *
 * @return gs_stats_read()'s verdict: true on a consistent copy.
 */
static inline bool
gs_handler_counters_read(const struct gs_handler_slot *s, struct gs_handler_slot *copy)
{
	const size_t from = offsetof(struct gs_handler_slot, stats_seq);

	return gs_stats_read((const char *)s + from, (char *)copy + from,
		offsetof(struct gs_handler_slot, down_since_tsc) - from);
}

#endif /* GS_STATS_H */
