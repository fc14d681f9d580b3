/* SPDX-License-Identifier: BSD-3-Clause */
#include "rxts.h"

#include <errno.h>

#include <rte_cycles.h>
#include <rte_errno.h>

#include "gs_log.h"

GS_LOG_TYPE(gs.primary.rxts);

#define MEASURE_US	20000 /* NIC clock against the TSC, at start */
#define RESYNC_MS	100   /* each lcore re-reads a port's clock this often */
#define MAX_AGE_MS	1000  /* an older timestamp is not believed */
#define READ_TRIES	4     /* readings of the clock; the tightest bracket wins */
#define READ_MAX_CYCLES 50000 /* a reading bracketed wider than this is noise */

uint64_t
rxts_offload(const struct rte_eth_dev_info *info)
{
	return info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP;
}

/*
 * Read the NIC clock with the TSC just before and after; keep the tightest
 * of a few readings and take the TSC in the middle.
 */
static int
read_pair(uint16_t port, uint64_t *nic, uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;
	int ret = -EIO;

	for (int i = 0; i < READ_TRIES; i++) {
		uint64_t t0 = rte_get_timer_cycles(), t1, clk;

		ret = rte_eth_read_clock(port, &clk);
		t1 = rte_get_timer_cycles();
		if (ret < 0)
			return ret;
		if (t1 - t0 < best) {
			best = t1 - t0;
			*nic = clk;
			*tsc = t0 + (t1 - t0) / 2;
		}
	}
	return best <= READ_MAX_CYCLES ? 0 : -EIO;
}

void
rxts_resync(const struct rxts_port *rp, struct rxts_map *m, uint16_t port, uint64_t now)
{
	uint64_t nic, tsc;

	m->next_sync = now + rp->resync;
	if (read_pair(port, &nic, &tsc) < 0)
		return; /* keep the last mapping; its age bounds what is believed */
	m->nic = nic;
	m->tsc = tsc;
	m->tsc_per_tick = rp->tsc_per_tick;
}

void
rxts_port_setup(struct rxts_port *rp, uint16_t port, const char *driver, uint64_t offloads)
{
	uint64_t hz = rte_get_timer_hz(), nic0, tsc0, nic1, tsc1;
	char why[128];
	int ret;

	memset(rp, 0, sizeof(*rp));
	if ((offloads & RTE_ETH_RX_OFFLOAD_TIMESTAMP) == 0) {
		snprintf(why, sizeof(why), "%s has no rx timestamp offload", driver);
		goto tsc;
	}
	ret = rte_mbuf_dyn_rx_timestamp_register(&rp->dynfield, &rp->dynflag);
	if (ret < 0) {
		snprintf(why, sizeof(why), "rte_mbuf_dyn_rx_timestamp_register: %s",
			rte_strerror(rte_errno));
		goto tsc;
	}
	ret = read_pair(port, &nic0, &tsc0);
	if (ret == 0) {
		rte_delay_us_sleep(MEASURE_US);
		ret = read_pair(port, &nic1, &tsc1);
	}
	if (ret < 0) {
		snprintf(why, sizeof(why), "rte_eth_read_clock: %s", rte_strerror(-ret));
		goto tsc;
	}
	if (nic1 <= nic0 || tsc1 <= tsc0) {
		snprintf(why, sizeof(why), "the NIC clock did not advance in %u ms",
			MEASURE_US / 1000);
		goto tsc;
	}
	rp->tsc_per_tick = (double)(tsc1 - tsc0) / (double)(nic1 - nic0);
	rp->max_age = hz * MAX_AGE_MS / 1000;
	rp->resync = hz * RESYNC_MS / 1000;
	for (unsigned int l = 0; l < GS_MAX_PRIMARY_LCORES; l++) {
		struct rxts_map *m = &rp->map[l];

		m->nic = nic1;
		m->tsc = tsc1;
		m->tsc_per_tick = rp->tsc_per_tick;
		m->next_sync = tsc1 + rp->resync;
	}
	rp->nic = true;
	GS_LOG(NOTICE, "port %u: rx timestamps: nic (%s clock %.0f Hz, mapped to the TSC)", port,
		driver, (double)hz / rp->tsc_per_tick);
	return;
tsc:
	rp->nic = false;
	GS_LOG(NOTICE, "port %u: rx timestamps: tsc (%s)", port, why);
}
