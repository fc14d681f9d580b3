/* SPDX-License-Identifier: BSD-3-Clause */
#include "monitor.h"

#include <rte_cycles.h>

#include "gs_log.h"

#include "liveness.h"
#include "primary.h"

GS_LOG_TYPE(gs.primary.monitor);

/*
 * Handler liveness, on the main lcore every tick: an instance is up while its
 * slot says RUNNING, its pid exists and its heartbeat is fresh, or stale
 * while the process is runnable and waiting for a CPU (liveness.h). The
 * data path dispatches only to instances in p->live.
 */
/* Whether every primary lcore has carried out retire request @p req of slot (c, i). */
static bool
all_lcores_retired(const struct primary *p, unsigned int c, unsigned int i, uint32_t req)
{
	for (unsigned int l = 0; l < p->n_lcores; l++)
		if (__atomic_load_n(&p->retire_done[l][c][i], __ATOMIC_ACQUIRE) != req)
			return false;
	return true;
}

/*
 * Retiring (after the live masks are published): an instance that leaves
 * cleanly (STOPPING, process alive) is retired without touching its rings,
 * it drains them itself; one whose process is gone, or that left without
 * the primary's acknowledgement, is marked DEAD and its rings are reset by
 * the lcores that own them. Its slot can be claimed again once retired.
 */
static void
retire_tick(struct primary *p, unsigned int c, unsigned int i, uint64_t now)
{
	struct gs_handler_slot *slot = &p->ctl->handlers[c][i];
	uint32_t gen = __atomic_load_n(&slot->generation, __ATOMIC_ACQUIRE);
	uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
	uint32_t req = slot->retire_req, done = slot->retired_req;
	struct inst_state *is = &p->inst[c][i];
	struct retire_step step;
	bool stale = false, alive;

	if (gen == 0 && state != GS_SLOT_ATTACHING)
		return;
	if (req != 0 && done != req && all_lcores_retired(p, c, i, req)) {
		__atomic_store_n(&slot->retired_req, req, __ATOMIC_RELEASE);
		GS_LOG(NOTICE, "%s instance %u generation %u retired%s",
			gs_class_label(p->ctl->classes, c), i, gen,
			(req & 1u) ? ": rings reset" : " (it drains its rings)");
		done = req;
	}
	/* a claim in progress: judged only once it has lasted too long */
	if (state != GS_SLOT_ATTACHING || is->attaching_gen != gen) {
		is->attaching_since = state == GS_SLOT_ATTACHING ? now : 0;
		is->attaching_gen = gen;
	} else {
		stale = now - is->attaching_since > rte_get_timer_hz() * RETIRE_ATTACHING_MS / 1000;
	}
	/* an instance that is up heartbeats, so it is no zombie: no /proc read for it */
	alive = state == GS_SLOT_RUNNING && slot->up ? true : gs_pid_running(slot->pid);
	step = retire_step_of(state, gen, done, alive, stale);
	if (step.want > req) {
		/* requested first: a claimer that sees DEAD sees this too */
		__atomic_store_n(&slot->retire_req, step.want, __ATOMIC_RELEASE);
		__atomic_fetch_add(&p->retire_seq, 1, __ATOMIC_RELEASE);
	}
	if (step.mark_dead && __atomic_compare_exchange_n(&slot->state, &state, GS_SLOT_DEAD, false,
				      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		GS_LOG(WARNING, "%s instance %u (pid %d) is gone%s: reclaiming its rings",
			gs_class_label(p->ctl->classes, c), i, slot->pid,
			state == GS_SLOT_ATTACHING ? " while claiming its slot" : "");
}

void
monitor_tick(struct primary *p, uint64_t now)
{
	const uint64_t timeout = rte_get_timer_hz() * p->app.cfg.handler_timeout_ms / 1000;
	struct gs_control *ctl = p->ctl;
	uint32_t classes = 0;

	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++) {
		uint32_t mask = 0, claimed = 0;

		if (!p->class_on[c]) { /* no rings: nothing to poll, dispatch or retire */
			__atomic_store_n(&p->live[c], 0, __ATOMIC_RELEASE);
			__atomic_store_n(&p->claimed[c], 0, __ATOMIC_RELEASE);
			continue;
		}

		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			struct gs_handler_slot *slot = &ctl->handlers[c][i];
			uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
			uint64_t hb = __atomic_load_n(&slot->heartbeat_tsc, __ATOMIC_ACQUIRE);
			int64_t age = (int64_t)(now - hb);
			bool running = state == GS_SLOT_RUNNING, alive, up;
			enum liveness live;

			if (__atomic_load_n(&slot->generation, __ATOMIC_ACQUIRE) != 0 ||
				state != GS_SLOT_FREE)
				claimed |= 1u << i;
			if (!running && !slot->up)
				continue;
			alive = running && gs_pid_alive(slot->pid);
			/* the scheduler's view only while it can matter: rare, and a file read */
			live = liveness_of(running, alive, age, timeout,
				running && alive && liveness_needs_state(age, timeout) ?
					gs_pid_state(slot->pid) :
					0);
			up = liveness_up(live);
			if (up)
				mask |= 1u << i;
			if ((live == LIVENESS_UP_STARVED) != p->inst[c][i].starved) {
				p->inst[c][i].starved = live == LIVENESS_UP_STARVED;
				GS_LOG(NOTICE, "%s instance %u (pid %d) %s",
					gs_class_label(p->ctl->classes, c), i, slot->pid,
					p->inst[c][i].starved ?
						"heartbeat stale but runnable: waiting for a CPU, kept up" :
						"no longer waiting for a CPU");
			}
			if (up == (slot->up != 0))
				continue;
			slot->up = up;
			if (up) {
				slot->down_since_tsc = 0;
				GS_LOG(NOTICE, "%s instance %u up: pid %d, generation %u",
					gs_class_label(p->ctl->classes, c), i, slot->pid,
					slot->generation);
			} else {
				slot->down_since_tsc = now;
				slot->downs++;
				GS_LOG(WARNING, "%s instance %u down: %s (pid %d)",
					gs_class_label(p->ctl->classes, c), i,
					live == LIVENESS_DOWN_DETACHED ? "detached" :
					live == LIVENESS_DOWN_GONE     ? "process gone" :
									 "heartbeat stale",
					slot->pid);
			}
		}
		/* before the live mask: an instance is polled for replies before it gets requests */
		__atomic_store_n(&p->claimed[c], claimed, __ATOMIC_RELEASE);
		__atomic_store_n(&p->live[c], mask, __ATOMIC_RELEASE);
		if (claimed != 0)
			classes |= 1u << c;
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++)
			retire_tick(p, c, i, now);
	}
	__atomic_store_n(&p->claimed_classes, classes, __ATOMIC_RELEASE);
	__atomic_store_n(&ctl->heartbeat_tsc, now, __ATOMIC_RELEASE);
}
