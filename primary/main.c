/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-primary: owns the ports, the packet mempool, the rings and the shared
 * memzones; classifies game traffic and dispatches it to the handlers.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pdump.h>
#include <rte_random.h>

#include "gs_log.h"
#include "gs_stats.h"

#include "counters.h"
#include "dataplane.h"
#include "liveness.h"
#include "monitor.h"
#include "port.h"
#include "primary.h"
#include "shm.h"
#include "telemetry.h"

GS_LOG_TYPE(gs.primary);

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

/* SIGHUP (systemctl reload): re-read the config's classes (reload.c). */
static void
on_sighup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static struct primary primary; /* large: keep it off the stack */

/*
 * Count the handler slots that may still have a live reader of the shared
 * memory behind them (liveness.h); with @p say, log each.
 */
static unsigned int
handlers_holding(const struct gs_control *ctl, uint64_t waited_ms, bool say)
{
	unsigned int n = 0;

	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			const struct gs_handler_slot *s = &ctl->handlers[c][i];
			uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
			int32_t pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);

			if (st == GS_SLOT_FREE || st == GS_SLOT_DEAD)
				continue; /* no /proc read for what holds nothing */
			if (!stop_slot_holds(st, gs_pid_running(pid), waited_ms))
				continue;
			n++;
			if (say)
				GS_LOG(WARNING, "%s instance %u (pid %d) is still attached",
					gs_class_label(ctl->classes, c), i, pid);
		}
	return n;
}

/* Hold the ports until the classes in [primary] start_after run. */
static int
wait_start_after(struct primary *p)
{
	const struct gs_cfg *cfg = &p->app.cfg;
	uint64_t deadline =
		rte_get_timer_cycles() + rte_get_timer_hz() * cfg->start_timeout_ms / 1000;

	if (cfg->start_after == 0)
		return 0;
	GS_LOG(NOTICE, "ports held until the start_after classes attach (%u ms at most)",
		cfg->start_timeout_ms);
	/* not READY yet: units ordered After= this one wait (see deploy/systemd/) */
	sd_notifyf(0, "STATUS=ports held until the start_after classes attach (%u ms at most)",
		cfg->start_timeout_ms);
	while (!stop_requested) {
		uint32_t missing = 0;

		monitor_tick(p, rte_get_timer_cycles());
		for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
			if ((cfg->start_after & (1u << c)) && p->live[c] == 0)
				missing |= 1u << c;
		if (missing == 0)
			return 0;
		if (rte_get_timer_cycles() > deadline) {
			for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
				if (missing & (1u << c))
					GS_LOG(ERR,
						"[primary] start_after: no %s instance attached within %u ms",
						cfg->classes[c].name, cfg->start_timeout_ms);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	return -EINTR;
}

/*
 * Tell handlers to go, and wait (bounded) until no live one is attached.
 *
 * @return true when the shared memory may be freed; false when a live
 *         handler stayed attached past STOP_HANDLER_WAIT_MS (logged): its
 *         reads would then land in freed memory.
 */
static bool
stop_handlers(struct primary *p)
{
	const uint64_t start = rte_get_timer_cycles(), hz = rte_get_timer_hz();

	__atomic_store_n(&p->ctl->stopping, 1, __ATOMIC_RELEASE);
	for (;;) {
		uint64_t waited = (rte_get_timer_cycles() - start) * 1000 / hz;
		unsigned int holders = handlers_holding(p->ctl, waited, false);

		switch (stop_verdict_of(holders, waited, STOP_HANDLER_WAIT_MS)) {
		case STOP_FREE:
			return true;
		case STOP_KEEP:
			handlers_holding(p->ctl, waited, true);
			GS_LOG(WARNING,
				"%u handler(s) still attached after %u ms: leaving the shared memory allocated (not freed under a live reader); the kernel frees it when the last process that maps it exits, and the hugepage files are removed below",
				holders, STOP_HANDLER_WAIT_MS);
			return false;
		case STOP_WAIT:
		default:
			usleep(10000);
			break;
		}
	}
}

/*
 * Run the data path on every lcore, the main one included, until the stop;
 * then read every lcore's return value. An lcore that fails has set the
 * stop for the others (dataplane_lcore()), so none of the waits below is
 * for ever.
 *
 * @return 0, or -EIO when an lcore could not be launched or failed.
 */
static int
run_lcores(struct primary *p)
{
	bool launched[RTE_MAX_LCORE] = { false };
	unsigned int id, failed = 0;
	int ret;

	RTE_LCORE_FOREACH_WORKER(id) {
		ret = rte_eal_remote_launch(dataplane_lcore, p, id);
		if (ret < 0) {
			GS_LOG(ERR, "rte_eal_remote_launch(lcore %u): %s: stopping", id,
				strerror(-ret));
			__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
			failed++;
			continue;
		}
		launched[id] = true;
	}
	ret = dataplane_lcore(p); /* the main lcore: its queues, the monitor, the signals */
	if (ret < 0)
		failed++;
	RTE_LCORE_FOREACH_WORKER(id) {
		if (!launched[id])
			continue;
		ret = rte_eal_wait_lcore(id);
		if (ret < 0) {
			GS_LOG(ERR, "lcore %u returned %s", id, strerror(-ret));
			failed++;
		}
	}
	if (failed > 0)
		GS_LOG(ERR, "%u lcore(s) failed", failed);
	return failed > 0 ? -EIO : 0;
}

static void
print_stats(const struct primary *p)
{
	struct gs_lcore_stats sum;
	char line[4096];

	stats_sum(p, &sum);
	/* a line too long for the buffer is printed as far as it goes */
	(void)counters_exit_line(line, sizeof(line), &sum, p->ctl->classes);
	printf("%s\n", line);
	fflush(stdout);
}

/*
 * The primary's hugepage files and runtime directory outlive rte_eal_cleanup()
 * (memory preallocated with -m is never returned). Every handler has gone,
 * so remove them: a clean stop leaves nothing behind. A handler that stayed
 * attached past the stop's bound keeps its mappings of unlinked files: the
 * kernel frees those pages when it exits.
 */
static void
remove_runtime_files(const char *prefix, const char *huge_dir, const char *run_dir)
{
	char path[PATH_MAX];
	size_t plen = strlen(prefix);
	struct dirent *e;
	DIR *d;

	d = opendir(huge_dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strncmp(e->d_name, prefix, plen) == 0 &&
				strncmp(e->d_name + plen, "map_", 4) == 0) {
				if (snprintf(path, sizeof(path), "%s/%s", huge_dir, e->d_name) <
					(int)sizeof(path))
					unlink(path);
			}
		closedir(d);
	}
	d = opendir(run_dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.' && snprintf(path, sizeof(path), "%s/%s", run_dir,
							   e->d_name) < (int)sizeof(path))
				unlink(path);
		closedir(d);
		rmdir(run_dir);
	}
}

static void
limits_init(struct primary *p)
{
	const struct gs_cfg *cfg = &p->app.cfg;

	p->auth = cfg->auth_mode == GS_AUTH_TOKEN;
	p->rate_source = gs_rate_of(rte_get_timer_hz(), cfg->source_pps, cfg->source_burst);
	p->rate_session = gs_rate_of(rte_get_timer_hz(), cfg->session_pps, cfg->session_burst);
	p->rate_connect = gs_rate_of(rte_get_timer_hz(), cfg->connect_pps, cfg->connect_burst);
	p->source_seed = (uint32_t)rte_rand();
	if (p->auth)
		GS_LOG(NOTICE,
			"auth: connect tokens for protocol %#" PRIx64
			", every packet tagged; limits: source %u/s (burst %u), session %u/s (burst %u), connect %u/s (burst %u) per lcore",
			cfg->protocol_id, cfg->source_pps, cfg->source_burst, cfg->session_pps,
			cfg->session_burst, cfg->connect_pps, cfg->connect_burst);
	else
		GS_LOG(WARNING,
			"auth: [auth] mode = open: anyone can connect and act as any session from its address; never expose this server to the internet");
}

int
main(int argc, char **argv)
{
	struct primary *p = &primary;
	char run_dir[PATH_MAX];
	int ret, rc = GS_EXIT_OK;
	bool shm_unused;

	ret = gs_app_init(&p->app, argc, argv, GS_ROLE_PRIMARY);
	if (ret != GS_EXIT_OK)
		return ret < 0 ? GS_EXIT_OK : ret;
	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	if (eal_guard_init(&p->eal_guard, p->app.cfg.file_prefix, run_dir) < 0 ||
		eal_guard_start(&p->eal_guard) < 0)
		GS_LOG(WARNING,
			"EAL locks not guarded: a secondary killed while attaching may block the next ones");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	p->sig_stop = &stop_requested;
	p->sig_hup = &reload_requested;
	signal(SIGHUP, on_sighup);
	p->n_lcores = rte_lcore_count();
	limits_init(p);

	ret = shm_create(p);
	if (ret < 0)
		rte_exit(GS_EXIT_FAILURE, "cannot create shared memory: %s\n", strerror(-ret));
	ret = port_init_all(p);
	if (ret < 0)
		rte_exit(GS_EXIT_FAILURE, "cannot configure ports: %s\n", strerror(-ret));
	ret = dataplane_init(p);
	if (ret < 0)
		rte_exit(GS_EXIT_FAILURE, "cannot prepare the lcores: %s\n", strerror(-ret));

	ret = reload_init(p);
	if (ret < 0)
		rte_exit(GS_EXIT_FAILURE, "cannot set up reloads: %s\n", strerror(-ret));
	ret = wake_init(p);
	if (ret < 0)
		rte_exit(GS_EXIT_FAILURE, "cannot set up wake-ups: %s\n", strerror(-ret));
	/*
	 * DPDK's packet capture: dpdk-dumpcap and dpdk-pdump, run as secondaries,
	 * ask the primary to copy a port's RX and TX to them. The callbacks exist
	 * only while a capture runs: without one, RX and TX cost nothing more.
	 */
	if (rte_pdump_init() < 0)
		GS_LOG(WARNING, "rte_pdump_init: %s: dpdk-dumpcap cannot capture from this group",
			rte_strerror(rte_errno));
	if (telemetry_register(p) < 0)
		GS_LOG(WARNING, "cannot register the /gsnet/ telemetry commands");
	p->ctl->epoch = rte_rand() | 1;
	__atomic_store_n(&p->ctl->ready, 1, __ATOMIC_RELEASE); /* handlers may attach */
	ret = wait_start_after(p);
	if (ret == 0)
		ret = port_start_all(p);
	if (ret == 0) {
		GS_LOG(NOTICE, "gs-primary ready: prefix %s, %u lcores, %u ports, game port %u",
			p->app.cfg.file_prefix, p->n_lcores, p->n_ports, p->app.cfg.udp_port);
		/* systemd Type=notify: the handler units may start now (no-op elsewhere) */
		sd_notifyf(0, "READY=1\nSTATUS=ready: prefix %s, %u lcores, %u ports, game port %u",
			p->app.cfg.file_prefix, p->n_lcores, p->n_ports, p->app.cfg.udp_port);
		if (run_lcores(p) < 0)
			rc = GS_EXIT_FAILURE;
		GS_LOG(NOTICE, "stopping");
	} else if (ret != -EINTR) {
		rc = GS_EXIT_FAILURE;
	}

	sd_notify(0, "STOPPING=1\nSTATUS=stopping: waiting for the handlers to leave");
	shm_unused = stop_handlers(p);
	wake_fini(p);
	rte_pdump_uninit();
	port_stop_all(p);
	print_stats(p);
	dataplane_fini(p);
	reload_fini(p);
	if (telemetry_unregister() < 0) {
		GS_LOG(WARNING,
			"a telemetry command is still reading the shared memory: leaving it allocated");
		shm_unused = false;
	}
	if (eal_guard_stop(&p->eal_guard) == 0 && shm_unused) {
		shm_free(p);
		gs_app_fini(&p->app);
	}
	remove_runtime_files(p->app.cfg.file_prefix,
		p->app.cfg.huge_dir[0] != '\0' ? p->app.cfg.huge_dir : "/dev/hugepages", run_dir);
	return rc;
}
