/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_RXTS_H
#define GS_PRIMARY_RXTS_H

/*
 * Time of arrival of a received frame. Where the port stamps frames in
 * hardware (RTE_ETH_RX_OFFLOAD_TIMESTAMP) and its clock can be read
 * (rte_eth_read_clock), the NIC's timestamp is mapped to the primary's TSC
 * and becomes gs_msg.rx_tsc: the time the frame hit the wire, not the time
 * an lcore polled it. Elsewhere rx_tsc is the TSC at the poll. See
 * docs/ARCHITECTURE.md, "Time of arrival".
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "gs_shm_types.h"

#include "frame.h"

/** A NIC clock reading and the TSC at that moment: one point of the mapping. */
struct rxts_map {
	uint64_t nic;	     /* NIC clock, its own ticks */
	uint64_t tsc;	     /* TSC at that reading */
	double tsc_per_tick; /* TSC cycles per NIC tick (measured at start) */
	uint64_t next_sync;  /* TSC of the next re-reading */
} __rte_cache_aligned;

/**
 * One port's timestamp source (set at init, read-only afterwards), and each
 * lcore's own mapping of the port's clock.
 */
struct rxts_port {
	bool nic;	     /* frames carry the NIC's timestamp, mapped to TSC */
	int dynfield;	     /* offset of rte_mbuf_timestamp_t in the mbuf */
	uint64_t dynflag;    /* ol_flags bit of a stamped mbuf */
	double tsc_per_tick; /* TSC cycles per NIC tick */
	uint64_t max_age;    /* a timestamp older than this (TSC) is not believed */
	uint64_t resync;     /* TSC cycles between two readings of the NIC clock */
	struct rxts_map map[GS_MAX_PRIMARY_LCORES]; /* by lcore index: its own */
};

/**
 * The RX offload to ask for at configure: RTE_ETH_RX_OFFLOAD_TIMESTAMP when
 * the port has it, else 0.
 */
uint64_t rxts_offload(const struct rte_eth_dev_info *info);

/**
 * After rte_eth_dev_configure() of @p port (with rxts_offload()'s flags in
 * @p offloads), set up its source @p rp: find the timestamp's mbuf field and
 * flag, measure the NIC clock against the TSC (about 20 ms) and log which
 * clock the port's frames are timed with ("port N: rx timestamps: nic|tsc ..."). Never fails: a
 * port without a usable NIC clock is timed with the TSC.
 */
void rxts_port_setup(struct rxts_port *rp, uint16_t port, const char *driver, uint64_t offloads);

/**
 * Map NIC tick @p nic to the TSC with @p m. A timestamp that maps up to
 * @p max_age before @p now is believed (one that maps after @p now, by clock
 * jitter, is clamped to @p now); anything else is not.
 *
 * @return true and *tsc set, or false (use the poll time).
 */
static inline bool
rxts_nic_to_tsc(
	const struct rxts_map *m, uint64_t nic, uint64_t now, uint64_t max_age, uint64_t *tsc)
{
	/* signed: frames stamped before the last reading are the common case */
	double d = (double)(int64_t)(nic - m->nic) * m->tsc_per_tick;
	double t = (double)m->tsc + d;

	if (t > (double)now) {
		if (t - (double)now > (double)max_age)
			return false;
		*tsc = now;
		return true;
	}
	if ((double)now - t > (double)max_age || t < 0.0)
		return false;
	*tsc = (uint64_t)t;
	return true;
}

/** Re-read the NIC clock of @p port into @p m (an lcore's own mapping). */
void rxts_resync(const struct rxts_port *rp, struct rxts_map *m, uint16_t port, uint64_t now);

/**
 * Time of arrival of frame @p m, as parsed into @p fi by frame_parse(),
 * received by lcore @p lcore on @p port (its source @p rp) at poll time
 * @p now: where the NIC stamped it, fi->rx_tsc, rx_nic_ts and rx_ts_src (GS_RX_TS_NIC) say when
 * it arrived; otherwise fi keeps frame_parse()'s zeros (GS_RX_TS_TSC).
 */
static inline void
rxts_stamp(struct rxts_port *rp, unsigned int lcore, uint16_t port, const struct rte_mbuf *m,
	uint64_t now, struct frame_info *fi)
{
	struct rxts_map *map;
	uint64_t nic, tsc;

	if (likely(!rp->nic) || (m->ol_flags & rp->dynflag) == 0)
		return;
	nic = *RTE_MBUF_DYNFIELD(m, rp->dynfield, const rte_mbuf_timestamp_t *);
	map = &rp->map[lcore];
	if (unlikely(now >= map->next_sync))
		rxts_resync(rp, map, port, now);
	if (rxts_nic_to_tsc(map, nic, now, rp->max_age, &tsc)) {
		fi->rx_tsc = tsc;
		fi->rx_nic_ts = nic;
		fi->rx_ts_src = GS_RX_TS_NIC;
	}
}

/** The time of arrival of request @p msg: @p fi's NIC time, or the poll time @p now. */
static inline void
rxts_msg(struct gs_msg *msg, const struct frame_info *fi, uint64_t now)
{
	if (fi->rx_ts_src == GS_RX_TS_NIC) {
		msg->rx_tsc = fi->rx_tsc;
		msg->rx_nic_ts = fi->rx_nic_ts;
		msg->rx_ts_src = GS_RX_TS_NIC;
	} else {
		msg->rx_tsc = now;
		msg->rx_nic_ts = 0;
		msg->rx_ts_src = GS_RX_TS_TSC;
	}
}

#endif /* GS_PRIMARY_RXTS_H */
