/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_COUNTERS_H
#define GS_PRIMARY_COUNTERS_H

/*
 * The primary's outputs of the counters: its exit line and the /gsnet/
 * telemetry dictionaries, made from the data alone (no struct primary, no
 * EAL), so that tests/unit/primary/counters_test.c can check that every
 * counter appears in each. telemetry.c's commands and main.c's exit line
 * call these on the live shared memory.
 */
#include <stddef.h>
#include <stdint.h>

#include "gs_shm_types.h"

struct rte_ring;
struct rte_tel_data;

/** What the outputs read: the live shared memory, or a test's copy. */
struct counters_view {
	const struct gs_control *ctl; /* classes, handler slots, lcores' blocks, tsc_hz */
	unsigned int n_lcores;	      /* lcores' blocks in ctl->lcores */
	const uint32_t *live;	      /* [GS_MAX_CLASSES]: live instances per class (bit mask) */
	uint64_t sessions_used;	      /* session slots in use */
	uint64_t now_tsc;	      /* for heartbeat ages */
	/* [n_lcores]: each lcore's request and reply rings; NULL: no ring */
	struct rte_ring *const (*p2h)[GS_MAX_CLASSES][GS_MAX_INSTANCES];
	struct rte_ring *const (*h2p)[GS_MAX_CLASSES][GS_MAX_INSTANCES];
};

/** The sums of the lcores' counter blocks (each read seq-consistent) into @p sum. */
void counters_sum(const struct counters_view *v, struct gs_lcore_stats *sum);

/**
 * The exit line, "gs-primary stats: NAME=VALUE ..." (no newline): every
 * lcore counter, drop reason and class's dispatched and replies of @p sum,
 * classes named by @p classes ([GS_MAX_CLASSES]).
 *
 * @return its length, or -ENOSPC when @p len was too small (@p buf then
 *         holds the start of the line, NUL-terminated).
 */
int counters_exit_line(char *buf, size_t len, const struct gs_lcore_stats *sum,
	const struct gs_class_info *classes);

/*
 * The /gsnet/ commands' dictionaries (each starts @p d as a dict). @return 0.
 * /gsnet/handlers holds a dict per instance ever claimed, "<class>_<i>",
 * and "instances_not_shown" when some did not fit telemetry's reply;
 * /gsnet/rings a dict per ring pair of those instances on each lcore,
 * "<lcore>_<class>_<i>", and "rings_not_shown" likewise.
 */
int counters_tel_summary(const struct counters_view *v, struct rte_tel_data *d);
int counters_tel_drops(const struct counters_view *v, struct rte_tel_data *d);
int counters_tel_handlers(const struct counters_view *v, struct rte_tel_data *d);
int counters_tel_rings(const struct counters_view *v, struct rte_tel_data *d);

/**
 * /gsnet/handler,<class>,<instance>: every figure of one handler instance,
 * each reject reason it has (GS_FOREACH_REJECT's and those it declared) as
 * rejected_<reason> and its own counts as event_<name>. /gsnet/handlers
 * shows only their total: with them, its reply for many instances would
 * outgrow the 16 KB of DPDK 22.11 telemetry.
 *
 * @return 0, or -EINVAL (@p params names no instance ever claimed of a class in use).
 */
int counters_tel_handler(const struct counters_view *v, const char *params, struct rte_tel_data *d);

#endif /* GS_PRIMARY_COUNTERS_H */
