/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_APP_H
#define GS_APP_H

/*
 * Start-up shared by every gsnet binary: the common options
 *   -c FILE                 configuration (default deploy/gsnet.ini)
 *   -o section.key=value    override one key (repeatable)
 *   -i N                    handler instance (secondaries)
 *   -h                      help
 * then config loading and rte_eal_init() with the EAL arguments the config
 * derives for the role.
 */
#include <stdbool.h>
#include <stdint.h>

#include "gs_cfg.h"

#define GS_APP_MAX_OVERRIDES 32

/** Exit codes of every gsnet binary. */
enum gs_exit {
	GS_EXIT_OK = 0,
	GS_EXIT_FAILURE = 1, /* run-time failure (EAL, attach, ports) */
	GS_EXIT_CONFIG = 2,  /* bad command line or configuration */
};

struct gs_app {
	struct gs_cfg cfg;
	enum gs_role role;
	const char *class_name; /* handlers: the class they run as ("move") */
	unsigned int cls;	/* handlers: its id in cfg.classes (not the primary's id) */
	unsigned int instance;
	const char *cfg_path;
	char *overrides[GS_APP_MAX_OVERRIDES];
	unsigned int n_over;
	char **args; /* tools (ctl, stats): their own arguments after the common options */
	int n_args;
	int guard_fd; /* secondaries: the attach guard, held (LOCK_SH) until attached; or -1 */
};

/*
 * The attach guard. A DPDK secondary holds locks in the primary's shared
 * memory config while it attaches: the memory hotplug lock for reading across
 * rte_eal_init()'s memory attach, the memzone and tailq locks inside every
 * lookup. Those are plain counters with no owner; a process killed inside
 * holds them for ever. Every gsnet secondary therefore holds a shared flock(2)
 * on this file, in the group's runtime directory, from before rte_eal_init()
 * until its lookups are done (gs_app_attached()); the kernel drops it when the
 * process dies. The primary takes it exclusively to know that no secondary is
 * inside an attach, and then releases EAL locks that stay held (eal_guard.c).
 * Secondaries never call rte_eal_cleanup(), whose detach takes the hotplug
 * lock for writing: a process killed there would stop every later attach.
 */
#define GS_ATTACH_GUARD_FILE "gs_attach.lock"

/**
 * The path of the attach guard of file prefix @p prefix: DPDK's runtime
 * directory (/var/run/dpdk/PREFIX for root, $XDG_RUNTIME_DIR/dpdk/PREFIX or
 * /tmp/dpdk/PREFIX otherwise) and GS_ATTACH_GUARD_FILE.
 *
 * @return 0, or -ENAMETOOLONG.
 */
int gs_attach_guard_path(const char *prefix, char *buf, size_t len);

/**
 * Open (and create if missing) the attach guard of file prefix @p prefix; its
 * path goes to @p path (@p len bytes) for messages.
 *
 * @return the descriptor, or -errno.
 */
int gs_attach_guard_open(const char *prefix, char *path, size_t len);

/**
 * flock(2) @p fd with @p op (LOCK_SH or LOCK_EX), trying again every 10 ms
 * while another process holds it, for up to @p wait_ms.
 *
 * @return 0; -EWOULDBLOCK when it is still held; -errno on another error.
 */
int gs_flock_wait(int fd, int op, unsigned int wait_ms);

/**
 * A secondary has looked up everything it uses in shared memory: release the
 * attach guard. From here on it may be killed at any instant without holding
 * an EAL lock. No-op for the primary or when called twice.
 */
void gs_app_attached(struct gs_app *app);

/**
 * Parse the common options, load the configuration and initialise the EAL as
 * @p role. Messages go to stderr.
 *
 * @return GS_EXIT_OK, or the exit code main() should return: GS_EXIT_CONFIG
 *         for a bad command line or configuration, GS_EXIT_FAILURE when
 *         rte_eal_init() fails. -h prints usage and returns -1.
 */
int gs_app_init(struct gs_app *app, int argc, char **argv, enum gs_role role);

/**
 * gs_app_init() for a handler of class @p class_name: its lcore ids, CPUs
 * and idle policy are those of the config's [class.NAME] section (refused
 * with GS_EXIT_CONFIG when there is none).
 */
int gs_app_init_handler(struct gs_app *app, int argc, char **argv, const char *class_name);

/** Whether process @p pid exists (signal 0); a zombie does. Cheap: a syscall. */
bool gs_pid_alive(int32_t pid);

/**
 * Whether process @p pid exists and has not exited: gs_pid_alive() and not a
 * zombie (killed, not yet reaped by its parent). Reads /proc/PID/stat, so
 * for the rare decisions (retiring or claiming a slot), not every tick.
 */
bool gs_pid_running(int32_t pid);

/**
 * The scheduler state of process @p pid (its main thread) from
 * /proc/PID/stat: 'R' running or waiting for a CPU, 'S' / 'D' sleeping,
 * 'T' / 't' stopped, 'Z' zombie, ...
 *
 * @return the state letter, or 0 when it cannot be read (no such process,
 *         or not in this PID namespace).
 */
char gs_pid_state(int32_t pid);

/**
 * Leave. The primary releases the EAL (rte_eal_cleanup()); a secondary only
 * drops its attach guard: its mappings, sockets and locks on files go with
 * the process, and the files it leaves in the runtime directory are removed
 * by the primary (eal_guard.c).
 */
void gs_app_fini(struct gs_app *app);

#endif /* GS_APP_H */
