/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary's counters for DPDK telemetry (dpdk-telemetry.py, telegraf's
 * dpdk input): telemetry commands can only be registered in the primary.
 */
#include <errno.h>
#include <string.h>

#include <rte_telemetry.h>

#include "gs_log.h"
#include "gs_stats.h"

#include "primary.h"

/* NULL once the primary tears its shared memory down */
static struct primary *tel_primary;

void
stats_sum(const struct primary *p, struct gs_lcore_stats *sum)
{
	struct gs_lcore_stats one;

	memset(sum, 0, sizeof(*sum));
	for (unsigned int l = 0; l < p->n_lcores; l++) {
		gs_stats_read(&p->ctl->lcores[l], &one, sizeof(one));
		sum->rx_packets += one.rx_packets;
		sum->rx_bytes += one.rx_bytes;
		sum->tx_packets += one.tx_packets;
		sum->tx_bytes += one.tx_bytes;
		sum->arp_replies += one.arp_replies;
		sum->icmp_replies += one.icmp_replies;
		for (unsigned int d = 0; d < GS_DROP_MAX; d++)
			sum->drops[d] += one.drops[d];
		for (unsigned int c = 0; c < GS_CLASS_MAX; c++) {
			sum->dispatched[c] += one.dispatched[c];
			sum->replies[c] += one.replies[c];
		}
	}
}

static int
tel_summary(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct primary *p = __atomic_load_n(&tel_primary, __ATOMIC_ACQUIRE);
	struct gs_lcore_stats sum;
	uint64_t drops = 0, up = 0;
	char key[64];

	(void)cmd;
	(void)params;
	if (p == NULL)
		return -ENODEV;
	stats_sum(p, &sum);
	for (unsigned int i = 1; i < GS_DROP_MAX; i++)
		drops += sum.drops[i];
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", sum.rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", sum.rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", sum.tx_packets);
	rte_tel_data_add_dict_u64(d, "tx_bytes", sum.tx_bytes);
	rte_tel_data_add_dict_u64(d, "arp_replies", sum.arp_replies);
	rte_tel_data_add_dict_u64(d, "icmp_replies", sum.icmp_replies);
	rte_tel_data_add_dict_u64(d, "dropped", drops);
	for (unsigned int c = 1; c < GS_CLASS_MAX; c++) {
		snprintf(key, sizeof(key), "dispatched_%s", gs_class_name(c));
		rte_tel_data_add_dict_u64(d, key, sum.dispatched[c]);
		snprintf(key, sizeof(key), "replies_%s", gs_class_name(c));
		rte_tel_data_add_dict_u64(d, key, sum.replies[c]);
		up += (uint64_t)__builtin_popcount(__atomic_load_n(&p->live[c], __ATOMIC_ACQUIRE));
	}
	rte_tel_data_add_dict_u64(d, "handlers_up", up);
	rte_tel_data_add_dict_u64(d, "session_slots_used", gs_session_count(&p->sessions));
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct primary *p = __atomic_load_n(&tel_primary, __ATOMIC_ACQUIRE);
	struct gs_lcore_stats sum;

	(void)cmd;
	(void)params;
	if (p == NULL)
		return -ENODEV;
	stats_sum(p, &sum);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 1; i < GS_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(d, gs_drop_name(i), sum.drops[i]);
	return 0;
}

int
telemetry_register(struct primary *p)
{
	int ret;

	__atomic_store_n(&tel_primary, p, __ATOMIC_RELEASE);
	ret = rte_telemetry_register_cmd("/gsnet/summary", tel_summary,
		"gsnet packet, dispatch and handler counters. No parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/gsnet/drops", tel_drops,
			"gsnet frames dropped, by reason. No parameters");
	return ret;
}

void
telemetry_unregister(void)
{
	__atomic_store_n(&tel_primary, NULL, __ATOMIC_RELEASE);
}
