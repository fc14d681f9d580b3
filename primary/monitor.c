/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_cycles.h>

#include "gs_log.h"

#include "primary.h"

GS_LOG_REGISTER(gs_primary_monitor_logtype, gs.primary.monitor);
#define GS_LOGTYPE gs_primary_monitor_logtype

/*
 * Handler liveness, on the main lcore every tick: an instance is up while its
 * slot says RUNNING, its pid exists and its heartbeat is fresh. The data
 * path dispatches only to instances in p->live.
 */
void
monitor_tick(struct primary *p, uint64_t now)
{
	const uint64_t timeout = rte_get_timer_hz() * p->app.cfg.handler_timeout_ms / 1000;
	struct gs_ctl *ctl = p->ctl;

	for (unsigned int c = 1; c < GS_CLASS_MAX; c++) {
		uint32_t mask = 0;

		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			struct gs_handler_slot *slot = &ctl->handlers[c][i];
			uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
			uint64_t hb = __atomic_load_n(&slot->heartbeat_tsc, __ATOMIC_ACQUIRE);
			int64_t age = (int64_t)(now - hb);
			bool running = state == GS_SLOT_RUNNING, alive, fresh, up;

			if (!running && !slot->up)
				continue;
			alive = running && gs_pid_alive(slot->pid);
			fresh = age < (int64_t)timeout;
			up = running && alive && fresh;
			if (up)
				mask |= 1u << i;
			if (up == (slot->up != 0))
				continue;
			slot->up = up;
			if (up) {
				slot->down_since_tsc = 0;
				GS_LOG(NOTICE, "%s instance %u up: pid %d, generation %u",
					gs_class_name(c), i, slot->pid, slot->generation);
			} else {
				slot->down_since_tsc = now;
				slot->downs++;
				GS_LOG(WARNING, "%s instance %u down: %s (pid %d)",
					gs_class_name(c), i,
					!running ? "detached" :
					!alive	 ? "process gone" :
						   "heartbeat stale",
					slot->pid);
			}
		}
		__atomic_store_n(&p->live[c], mask, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&ctl->heartbeat_tsc, now, __ATOMIC_RELEASE);
}
