/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_STATS_SNAPSHOT_H
#define GS_STATS_SNAPSHOT_H

/*
 * One consistent copy of every figure of a gsnet group, taken by gs-stats
 * from shared memory (seq-locked counter blocks, ring counts, the mempool)
 * and from ethdev. Taking it never writes shared memory and never takes a
 * lock another process could hold.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>

#include "gs_session_tbl.h"
#include "gs_shm_types.h"

#define SNAP_MAX_PORTS	8
#define SNAP_MAX_XSTATS 128 /* per port; a driver's further xstats are not exported */

struct rte_mempool;
struct rte_ring;

/** What gs-stats looked up once at start. */
struct stats_src {
	struct gs_control *ctl;
	uint64_t epoch;
	struct gs_session_tbl sessions;
	struct rte_mempool *pool;
	struct rte_ring *p2h[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];
	struct rte_ring *h2p[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];
	unsigned int n_lcores;
	uint32_t classes_seq; /* of the class table the rings were looked up for */
};

struct port_snap {
	uint16_t id;
	bool ok; /* stats read */
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_stats st;
	unsigned int n_xstats;
	struct rte_eth_xstat_name xname[SNAP_MAX_XSTATS];
	uint64_t xvalue[SNAP_MAX_XSTATS];
};

struct snapshot {
	double t; /* CLOCK_MONOTONIC seconds */
	int32_t primary_pid;
	uint32_t ports_started;
	uint64_t tsc_hz; /* the primary's TSC rate: busy_cycles per second at 100 % */
	char gsnet_version[GS_VERSION_STR_LEN + 1];
	char dpdk_version[GS_VERSION_STR_LEN + 1];
	unsigned int n_lcores;
	struct gs_class_info classes[GS_MAX_CLASSES]; /* the classes the group runs, by id */
	struct gs_lcore_stats lc[GS_MAX_PRIMARY_LCORES];
	struct gs_handler_slot hs[GS_MAX_CLASSES][GS_MAX_INSTANCES];
	double hb_age[GS_MAX_CLASSES][GS_MAX_INSTANCES]; /* seconds */
	uint32_t depth_p2h[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];
	uint32_t depth_h2p[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];
	uint32_t ring_capacity;
	uint32_t pool_size, pool_avail, pool_in_use;
	uint32_t sessions, sessions_max;
	unsigned int n_ports;
	struct port_snap ports[SNAP_MAX_PORTS];
};

/**
 * Look up everything a snapshot reads (after gs_control_attach()).
 *
 * @return 0, -ENOENT (an object of the primary is missing: logged).
 */
int stats_src_init(struct stats_src *src, struct gs_control *ctl);

/** Take a snapshot now (looking the rings up again when the class table changed). */
void snapshot_take(struct stats_src *src, struct snapshot *s);

/** Whether a handler slot was ever used (has something to report). */
static inline bool
snap_slot_used(const struct snapshot *s, unsigned int c, unsigned int i)
{
	return s->hs[c][i].generation != 0;
}

/** Prometheus text format 0.0.4. @p scrape_s: the time the snapshot took. */
void export_prometheus(FILE *f, const struct snapshot *s, double scrape_s);

/** The same figures as one JSON object. */
void export_json(FILE *f, const struct snapshot *s);

/** An operator's table; rates per second against @p prev (NULL: totals only). */
void export_table(FILE *f, const struct snapshot *s, const struct snapshot *prev);

#endif /* GS_STATS_SNAPSHOT_H */
