/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-ctl: the operator's command tool. A short-lived secondary (its own
 * lcore id, [ctl]) that reads the group's shared memory and never writes it.
 *
 *   gs-ctl [-c FILE] [-o S.K=V]... status
 *   gs-ctl [-c FILE] [-o S.K=V]... world [--json] [--all] [ENTITY...]
 *   gs-ctl [-c FILE] [-o S.K=V]... stop CLASS INSTANCE
 *
 * `stop` is its only write: a request in the instance's slot, which the
 * handler carries out itself (drain, then exit).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_pdump.h>

#include "gs_app.h"
#include "gs_handler.h"
#include "gs_names.h"
#include "gs_session_tbl.h"
#include "gs_stats.h"
#include "gs_world_shm.h"

#define ATTACH_WAIT_MS 2000

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: gs-ctl [-c FILE] [-o section.key=value]... COMMAND\n"
		"Commands:\n"
		"  status                       the primary, every handler instance, sessions\n"
		"  world [--json] [--all] [ENTITY...]\n"
		"                               entities of the live sessions (or those given;\n"
		"                               --all: every entity that has state), one line each\n"
		"  stop CLASS INSTANCE          ask a handler instance to leave without losing a\n"
		"                               message: the primary stops dispatching to it, it\n"
		"                               handles what its rings hold, then exits\n"
		"  reload [--force]             re-read the config's [class.NAME] sections and\n"
		"                               apply them to the running group (SIGHUP to the\n"
		"                               primary does the same): new classes get rings,\n"
		"                               removed ones drain and go; --force asks the\n"
		"                               attached instances of a removed class to leave\n"
		"  capture-reset                remove the packet capture of every port from\n"
		"                               the primary: what a capture tool (dpdk-dumpcap)\n"
		"                               killed while capturing left, so the next starts\n");
}

static int
cmd_status(const struct gs_control *ctl, const struct gs_session_tbl *tbl)
{
	const struct rte_mempool *pool = rte_mempool_lookup(GS_POOL_PKT);
	uint64_t now = rte_get_timer_cycles();

	printf("primary: pid %d, gsnet %.*s, %.*s, epoch %016" PRIx64
	       ", %u lcores, ports started %u%s\n",
		ctl->primary_pid, GS_VERSION_STR_LEN, ctl->gsnet_version, GS_VERSION_STR_LEN,
		ctl->dpdk_version, ctl->epoch, ctl->n_lcores, ctl->ports_started,
		ctl->stopping ? ", stopping" : "");
	printf("sessions: %u of %u slots in use\n", gs_session_count(tbl), tbl->max);
	if (pool != NULL)
		printf("mbufs: %u in use, %u available, %u in the pool\n",
			rte_mempool_in_use_count(pool), rte_mempool_avail_count(pool), pool->size);
	printf("classes:");
	GS_FOREACH_CLASS_ID(c, ctl->classes)
	{
		char types[128];

		gs_type_set_format(&ctl->classes[c].types, types, sizeof(types));
		printf(" %s (id %u, types %s%s)", ctl->classes[c].name, c, types,
			ctl->classes[c].state == GS_CLASS_DRAINING ? ", leaving" : "");
	}
	printf("\n");
	printf("%-8s %4s %-9s %8s %5s %8s %11s %12s %12s %12s\n", "class", "inst", "state", "pid",
		"gen", "restarts", "heartbeat", "processed", "replied", "rejected");
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			const struct gs_handler_slot *s = &ctl->handlers[c][i];
			uint64_t rejected = 0,
				 hb = __atomic_load_n(&s->heartbeat_tsc, __ATOMIC_ACQUIRE);
			unsigned int named;
			struct gs_handler_slot copy;
			char age[32];

			if (s->generation == 0)
				continue; /* never used */
			/* one consistent copy of the counters, as the handler's seq lock expects */
			gs_handler_counters_read(s, &copy);
			for (unsigned int r = 0; r < GS_HANDLER_REJECTS; r++)
				rejected += copy.rejected[r];
			snprintf(age, sizeof(age), "%" PRIu64 " ms ago",
				now > hb ? (now - hb) * 1000 / ctl->tsc_hz : 0);
			printf("%-8s %4u %-9s %8d %5u %8u %11s %12" PRIu64 " %12" PRIu64
			       " %12" PRIu64,
				gs_class_label(ctl->classes, c), i, gs_slot_state_name(s->state),
				s->pid, s->generation, s->restarts, age, copy.processed,
				copy.replied, rejected);
			/* its duration histogram, when it declared one */
			if (s->hist_name[0] != '\0')
				printf("  %.*s count=%" PRIu64 " p50=%.0f p99=%.0f us",
					GS_HANDLER_EVENT_NAME, s->hist_name,
					gs_hist_count(copy.hist, GS_HANDLER_HIST_BUCKETS),
					gs_handler_hist_quantile(copy.hist, 0.5) / 1e3,
					gs_handler_hist_quantile(copy.hist, 0.99) / 1e3);
			putchar('\n');
			/* the handler's own counts, as it names them */
			named = 0;
			for (unsigned int e = 0; e < GS_HANDLER_EVENTS; e++)
				if (s->event_names[e][0] != '\0')
					printf("%s %.*s=%" PRIu64,
						named++ ? "" : "         events:",
						GS_HANDLER_EVENT_NAME, s->event_names[e],
						copy.events[e]);
			if (named > 0)
				putchar('\n');
		}
	return GS_EXIT_OK;
}

/* Print entity @p id as owned by @p owner (the live session's id, or the lines' own). */
static void
print_entity(const struct gs_world *w, uint32_t id, uint32_t session, bool json)
{
	const struct gs_entity *e = gs_world_entity(w, id);
	uint32_t owner = session != 0 ? session : e->m.owner != 0 ? e->m.owner : e->c.owner;
	struct gs_combat_view cv;
	struct gs_move_view mv;

	if (gs_world_read_combat(w, id, owner, rte_get_timer_cycles(), &cv) < 0 ||
		gs_world_read_move(w, id, owner, cv.life, &mv) < 0) {
		fprintf(stderr, "gs-ctl: entity %u stayed locked (a writer died inside it?)\n", id);
		return;
	}
	if (json)
		printf("{\"entity\":%u,\"session\":%u,\"owner\":%u,\"x\":%.9g,\"y\":%.9g,\"z\":%.9g,"
		       "\"seq\":%u,\"moves\":%u,\"hp\":%d,\"alive\":%s,\"life\":%u}\n",
			id, session, owner, (double)mv.pos[0], (double)mv.pos[1], (double)mv.pos[2],
			mv.seq, mv.moves, cv.hp, cv.alive ? "true" : "false", cv.life);
	else
		printf("entity %-8u session %08x  pos %10.3f %10.3f %8.3f  seq %-8u hp %4d %s life %u\n",
			id, session, (double)mv.pos[0], (double)mv.pos[1], (double)mv.pos[2],
			mv.seq, cv.hp, cv.alive ? "alive" : "dead ", cv.life);
}

static int
cmd_world(const struct gs_session_tbl *tbl, int argc, char **argv)
{
	bool json = false, all = false, listed = false;
	struct gs_world *w;
	char err[256];

	w = gs_world_attach(err, sizeof(err));
	if (w == NULL) {
		fprintf(stderr, "gs-ctl: %s\n", err);
		return GS_EXIT_FAILURE;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--all") == 0) {
			all = true;
		} else {
			char *end;
			unsigned long id = strtoul(argv[i], &end, 0);
			const struct gs_session *s;

			if (*argv[i] == '\0' || *end != '\0' || id == 0 || id > w->max_entities) {
				fprintf(stderr, "gs-ctl: world: '%s' is not an entity id (1..%u)\n",
					argv[i], w->max_entities);
				return GS_EXIT_CONFIG;
			}
			s = gs_session_of_entity(tbl, (uint32_t)id);
			print_entity(w, (uint32_t)id, s != NULL ? s->session_id : 0, json);
			listed = true;
		}
	}
	if (listed)
		return GS_EXIT_OK;
	for (uint32_t id = 1; id <= w->max_entities; id++) {
		const struct gs_session *s = gs_session_of_entity(tbl, id);
		const struct gs_entity *e = gs_world_entity(w, id);

		if (s != NULL)
			print_entity(w, id, s->session_id, json);
		else if (all && (e->m.owner != 0 || e->c.owner != 0))
			print_entity(w, id, 0, json);
	}
	return GS_EXIT_OK;
}

static int
cmd_stop(struct gs_control *ctl, int argc, char **argv)
{
	struct gs_handler_slot *slot;
	unsigned int cls;
	uint64_t deadline;
	unsigned long inst;
	uint32_t gen;
	char *end;

	if (argc != 3) {
		usage(stderr);
		return GS_EXIT_CONFIG;
	}
	cls = gs_class_find(ctl->classes, argv[1]);
	inst = strtoul(argv[2], &end, 10);
	if (cls == GS_CLASS_NONE || *argv[2] == '\0' || *end != '\0' || inst >= GS_MAX_INSTANCES) {
		fprintf(stderr,
			"gs-ctl: stop: expected a class the group runs (gs-ctl status lists them) and an instance 0..%d\n",
			GS_MAX_INSTANCES - 1);
		return GS_EXIT_CONFIG;
	}
	slot = &ctl->handlers[cls][inst];
	gen = __atomic_load_n(&slot->generation, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) != GS_SLOT_RUNNING) {
		fprintf(stderr, "gs-ctl: %s instance %lu is not running (%s)\n", argv[1], inst,
			gs_slot_state_name(slot->state));
		return GS_EXIT_FAILURE;
	}
	__atomic_store_n(&slot->stop_req, gen, __ATOMIC_RELEASE);
	deadline = rte_get_timer_cycles() + ctl->tsc_hz * 5;
	while (__atomic_load_n(&slot->generation, __ATOMIC_ACQUIRE) == gen &&
		__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) != GS_SLOT_FREE &&
		__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) != GS_SLOT_DEAD) {
		if (rte_get_timer_cycles() > deadline) {
			fprintf(stderr,
				"gs-ctl: %s instance %lu (pid %d) did not leave within 5 s\n",
				argv[1], inst, slot->pid);
			return GS_EXIT_FAILURE;
		}
		usleep(10000);
	}
	printf("%s instance %lu (pid %d, generation %u) left: %s\n", argv[1], inst, slot->pid, gen,
		slot->state == GS_SLOT_FREE ? "cleanly" : "the primary found it dead");
	return slot->state == GS_SLOT_FREE ? GS_EXIT_OK : GS_EXIT_FAILURE;
}

/*
 * Ask the primary to re-read the config's classes and wait for its answer
 * (it carries the request out on its next tick, once an earlier change has
 * settled).
 */
static int
cmd_reload(struct gs_control *ctl, int argc, char **argv)
{
	bool force = argc == 2 && strcmp(argv[1], "--force") == 0;
	uint64_t deadline = rte_get_timer_cycles() + ctl->tsc_hz * 10;
	uint32_t req;

	if (argc > 2 || (argc == 2 && !force)) {
		usage(stderr);
		return GS_EXIT_CONFIG;
	}
	req = ((__atomic_load_n(&ctl->reload_req, __ATOMIC_ACQUIRE) >> 1) + 1) << 1;
	req |= force ? GS_RELOAD_FORCE : 0;
	__atomic_store_n(&ctl->reload_req, req, __ATOMIC_RELEASE);
	while (__atomic_load_n(&ctl->reload_done, __ATOMIC_ACQUIRE) != req) {
		if (rte_get_timer_cycles() > deadline) {
			fprintf(stderr, "gs-ctl: reload: the primary did not answer within 10 s\n");
			return GS_EXIT_FAILURE;
		}
		usleep(10000);
	}
	if (__atomic_load_n(&ctl->reload_status, __ATOMIC_ACQUIRE) != 0) {
		fprintf(stderr, "gs-ctl: %.*s: refused, nothing changed\n", GS_RELOAD_MSG_LEN,
			ctl->reload_msg);
		return GS_EXIT_FAILURE;
	}
	printf("%.*s\n", GS_RELOAD_MSG_LEN, ctl->reload_msg);
	return GS_EXIT_OK;
}

/*
 * The primary copies a port's RX and TX to a capture tool until the tool asks
 * it to stop; one killed while capturing never asks, its callbacks stay (and
 * a new capture of the port is refused as "already exists"). Ask for it.
 */
static int
cmd_capture_reset(void)
{
	unsigned int removed = 0;
	uint16_t port;

	RTE_ETH_FOREACH_DEV(port) {
		if (rte_pdump_disable(port, RTE_PDUMP_ALL_QUEUES, RTE_PDUMP_FLAG_RXTX) == 0) {
			printf("port %u: capture removed\n", port);
			removed++;
		}
	}
	if (removed == 0)
		printf("no capture was set up\n");
	return GS_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct gs_session_tbl tbl;
	struct gs_control *ctl;
	struct gs_app app;
	int ret;

	ret = gs_app_init(&app, argc, argv, GS_ROLE_CTL);
	if (ret != GS_EXIT_OK)
		return ret < 0 ? GS_EXIT_OK : ret;
	if (app.n_args == 0) {
		usage(stderr);
		ret = GS_EXIT_CONFIG;
	} else if (gs_control_attach(&app, ATTACH_WAIT_MS, &ctl) < 0 ||
		   gs_session_tbl_attach(&tbl) < 0) {
		ret = GS_EXIT_FAILURE;
	} else if (strcmp(app.args[0], "status") == 0) {
		ret = cmd_status(ctl, &tbl);
	} else if (strcmp(app.args[0], "stop") == 0) {
		ret = cmd_stop(ctl, app.n_args, app.args);
	} else if (strcmp(app.args[0], "reload") == 0) {
		ret = cmd_reload(ctl, app.n_args, app.args);
	} else if (strcmp(app.args[0], "capture-reset") == 0) {
		ret = cmd_capture_reset();
	} else if (strcmp(app.args[0], "world") == 0) {
		ret = cmd_world(&tbl, app.n_args, app.args);
	} else {
		fprintf(stderr, "gs-ctl: unknown command '%s'\n", app.args[0]);
		usage(stderr);
		ret = GS_EXIT_CONFIG;
	}
	gs_app_fini(&app);
	return ret;
}
