/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_TELEMETRY_H
#define GS_PRIMARY_TELEMETRY_H

/*
 * The primary's counters for DPDK telemetry (dpdk-telemetry.py, telegraf's
 * dpdk input): the /gsnet/ commands (summary, drops, handlers, rings).
 */

struct gs_lcore_stats;
struct primary;

/* The counters of every primary lcore, added up into @p sum. */
void stats_sum(const struct primary *p, struct gs_lcore_stats *sum);
/* Register the /gsnet/ commands: @return 0, or rte_telemetry_register_cmd()'s error. */
int telemetry_register(struct primary *p);
/*
 * Before the shared memory goes: no /gsnet/ command reads it any more, and
 * none still does (waited for, 1 s at most). @return 0, or -EBUSY when a
 * command is still reading: the shared memory must then stay.
 */
int telemetry_unregister(void);

#endif /* GS_PRIMARY_TELEMETRY_H */
