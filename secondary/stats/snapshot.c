/* SPDX-License-Identifier: BSD-3-Clause */
#include "snapshot.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "gs_log.h"
#include "gs_names.h"
#include "gs_stats.h"

GS_LOG_TYPE(gs.stats);

/*
 * The rings of the classes the group runs now. A class added by a reload
 * gets rings after gs-stats started; a removed one loses them: looked up
 * again whenever the class table changes. Missing rings count as empty.
 */
static void
rings_lookup(struct stats_src *src)
{
	const struct gs_control *ctl = src->ctl;
	char name[RTE_RING_NAMESIZE];

	src->classes_seq = __atomic_load_n(&ctl->classes_seq, __ATOMIC_ACQUIRE);
	for (unsigned int l = 0; l < src->n_lcores; l++)
		for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
			for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
				bool on = gs_class_info_name(ctl->classes, c) != NULL;

				snprintf(name, sizeof(name), GS_RING_P2H_FMT, l, c, i);
				src->p2h[l][c][i] = on ? rte_ring_lookup(name) : NULL;
				snprintf(name, sizeof(name), GS_RING_H2P_FMT, l, c, i);
				src->h2p[l][c][i] = on ? rte_ring_lookup(name) : NULL;
			}
}

int
stats_src_init(struct stats_src *src, struct gs_control *ctl)
{
	memset(src, 0, sizeof(*src));
	src->ctl = ctl;
	src->epoch = __atomic_load_n(&ctl->epoch, __ATOMIC_ACQUIRE);
	src->n_lcores = ctl->n_lcores;
	if (gs_session_tbl_attach(&src->sessions) < 0) {
		GS_LOG(ERR, "the primary has no session table");
		return -ENOENT;
	}
	src->pool = rte_mempool_lookup(GS_POOL_PKT);
	if (src->pool == NULL) {
		GS_LOG(ERR, "the primary has no mempool %s", GS_POOL_PKT);
		return -ENOENT;
	}
	rings_lookup(src);
	return 0;
}

/* Copy a handler slot: identity fields as they are, counters seq-consistent. */
static void
copy_slot(const struct gs_handler_slot *from, struct gs_handler_slot *to)
{
	memcpy(to, from, sizeof(*to));
	gs_handler_counters_read(from, to);
}

/* The driver's extended statistics of @p port: the first SNAP_MAX_XSTATS, by id. */
static void
read_xstats(uint16_t port, struct port_snap *p)
{
	uint64_t ids[SNAP_MAX_XSTATS];
	int total = rte_eth_xstats_get_names(port, NULL, 0);
	unsigned int n;

	if (total <= 0)
		return;
	n = (unsigned int)total < SNAP_MAX_XSTATS ? (unsigned int)total : SNAP_MAX_XSTATS;
	for (unsigned int k = 0; k < n; k++)
		ids[k] = k;
	if (rte_eth_xstats_get_names_by_id(port, p->xname, n, ids) != (int)n ||
		rte_eth_xstats_get_by_id(port, ids, p->xvalue, n) != (int)n)
		return;
	p->n_xstats = n;
}

void
snapshot_take(struct stats_src *src, struct snapshot *s)
{
	const struct gs_control *ctl = src->ctl;
	uint64_t now = rte_get_timer_cycles();
	struct timespec ts;
	uint16_t port;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	s->primary_pid = ctl->primary_pid;
	s->ports_started = __atomic_load_n(&ctl->ports_started, __ATOMIC_RELAXED);
	s->tsc_hz = ctl->tsc_hz;
	memcpy(s->gsnet_version, ctl->gsnet_version, GS_VERSION_STR_LEN);
	memcpy(s->dpdk_version, ctl->dpdk_version, GS_VERSION_STR_LEN);
	s->n_lcores = src->n_lcores;
	/* the class table, consistent (the primary rewrites it on a reload) */
	for (unsigned int tries = 0; tries < 100; tries++) {
		uint32_t seq = __atomic_load_n(&ctl->classes_seq, __ATOMIC_ACQUIRE);

		memcpy(s->classes, ctl->classes, sizeof(s->classes));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((seq & 1) == 0 && seq == __atomic_load_n(&ctl->classes_seq, __ATOMIC_RELAXED)) {
			if (seq != src->classes_seq)
				rings_lookup(src);
			break;
		}
	}
	for (unsigned int l = 0; l < s->n_lcores; l++)
		gs_stats_read(&ctl->lcores[l], &s->lc[l], sizeof(s->lc[l]));
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			uint64_t hb;

			copy_slot(&ctl->handlers[c][i], &s->hs[c][i]);
			hb = s->hs[c][i].heartbeat_tsc;
			s->hb_age[c][i] = now > hb ? (double)(now - hb) / (double)ctl->tsc_hz : 0.0;
			for (unsigned int l = 0; l < s->n_lcores; l++) {
				const struct rte_ring *to_h = src->p2h[l][c][i],
						      *to_p = src->h2p[l][c][i];

				s->depth_p2h[l][c][i] = to_h != NULL ? rte_ring_count(to_h) : 0;
				s->depth_h2p[l][c][i] = to_p != NULL ? rte_ring_count(to_p) : 0;
			}
		}
	s->ring_capacity = rte_ring_get_capacity(src->p2h[0][1][0]);
	s->pool_size = src->pool->size;
	s->pool_avail = rte_mempool_avail_count(src->pool);
	s->pool_in_use = rte_mempool_in_use_count(src->pool);
	s->sessions = gs_session_count(&src->sessions);
	s->sessions_max = src->sessions.max;
	RTE_ETH_FOREACH_DEV(port) {
		struct port_snap *p;

		if (s->n_ports == SNAP_MAX_PORTS)
			break;
		p = &s->ports[s->n_ports++];
		p->id = port;
		rte_eth_dev_get_name_by_port(port, p->name);
		p->ok = rte_eth_stats_get(port, &p->st) == 0;
		read_xstats(port, p);
	}
}
