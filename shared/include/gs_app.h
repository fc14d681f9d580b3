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
	unsigned int instance;
	const char *cfg_path;
	char *overrides[GS_APP_MAX_OVERRIDES];
	unsigned int n_over;
	char **args; /* tools (ctl, stats): their own arguments after the common options */
	int n_args;
};

/**
 * Parse the common options, load the configuration and initialise the EAL as
 * @p role. Messages go to stderr.
 *
 * @return GS_EXIT_OK, or the exit code main() should return: GS_EXIT_CONFIG
 *         for a bad command line or configuration, GS_EXIT_FAILURE when
 *         rte_eal_init() fails. -h prints usage and returns -1.
 */
int gs_app_init(struct gs_app *app, int argc, char **argv, enum gs_role role);

/** Whether process @p pid exists (signal 0). */
bool gs_pid_alive(int32_t pid);

/**
 * The scheduler state of process @p pid (its main thread) from
 * /proc/PID/stat: 'R' running or waiting for a CPU, 'S' / 'D' sleeping,
 * 'T' / 't' stopped, 'Z' zombie, ...
 *
 * @return the state letter, or 0 when it cannot be read (no such process,
 *         or not in this PID namespace).
 */
char gs_pid_state(int32_t pid);

/** Release the EAL (rte_eal_cleanup). */
void gs_app_fini(struct gs_app *app);

#endif /* GS_APP_H */
