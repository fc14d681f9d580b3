/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_RELOAD_H
#define GS_PRIMARY_RELOAD_H

/*
 * Classes changed on a live group (gs-ctl reload, SIGHUP): the config is
 * read again and its [class.NAME] sections applied without the ports
 * stopping or a session ending. A new class gets rings and classify
 * entries; a removed one stops being dispatched to, its instances leave,
 * then its rings are freed; a changed type list moves with the swap of the
 * whole table. A refused reload changes nothing and says why.
 *
 * The primary lcores report quiescent states to DPDK's RCU (rte_rcu_qsbr):
 * a table or a ring is reused or freed only once every lcore has passed a
 * quiescent state after it stopped being reachable. A sleeping lcore is
 * offline, so it never holds a reload up.
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

struct primary;

struct reload {
	struct rte_rcu_qsbr *qs; /* the primary lcores, by lcore index */
	bool hup;		 /* SIGHUP seen, not yet carried out */
	uint32_t req_seen;	 /* the last gs-ctl reload request taken */
	bool swap_pending;	 /* the last table swap, until every lcore passed it */
	uint64_t swap_token;
	uint32_t draining; /* class ids removed: waiting for their instances to leave */
	uint32_t freeing;  /* class ids unreachable since free_token: rings go after it */
	uint64_t free_token;
};

/** Set up the lcores' quiescent-state reporting (after dataplane_init). */
int reload_init(struct primary *p);
void reload_fini(struct primary *p);

/** On the main lcore every tick, after monitor_tick: requests, swaps, removals. */
void reload_tick(struct primary *p);

/** Lcore @p idx holds nothing from before this point (each pass of its loop). */
static inline void
reload_quiescent_qs(struct rte_rcu_qsbr *qs, unsigned int idx)
{
	rte_rcu_qsbr_quiescent(qs, idx);
}

#define reload_quiescent(p, idx) reload_quiescent_qs((p)->reload.qs, (idx))
#define reload_online(p, idx)	 rte_rcu_qsbr_thread_online((p)->reload.qs, (idx))
#define reload_offline(p, idx)	 rte_rcu_qsbr_thread_offline((p)->reload.qs, (idx))

#endif /* GS_PRIMARY_RELOAD_H */
