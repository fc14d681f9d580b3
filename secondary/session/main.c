/* SPDX-License-Identifier: BSD-3-Clause */
/* gs-session: the session handler secondary. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>

#include "gs_log.h"

#include "session.h"

GS_LOG_REGISTER(gs_session_main_logtype, gs.session.main);
#define GS_LOGTYPE gs_session_main_logtype

#define ATTACH_WAIT_MS 10000

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static struct gs_handler handler;
static struct session_ctx ctx;

int
main(int argc, char **argv)
{
	static const struct gs_handler_ops ops = { .burst = session_burst, .tick = session_tick };
	struct gs_app app;
	int ret;

	ret = gs_app_init(&app, argc, argv, GS_ROLE_SESSION);
	if (ret != GS_EXIT_OK)
		return ret < 0 ? GS_EXIT_OK : ret;
	if (app.instance != 0) {
		/* one writer for the session table */
		fprintf(stderr,
			"gs-session: only instance 0 exists (the session table has one writer)\n");
		gs_app_fini(&app);
		return GS_EXIT_CONFIG;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	ret = gs_handler_attach(&handler, &app, GS_CLASS_SESSION, ATTACH_WAIT_MS);
	if (ret < 0) {
		gs_app_fini(&app);
		return GS_EXIT_FAILURE;
	}
	ret = session_init(&ctx, &handler, &app.cfg);
	if (ret == 0)
		ret = gs_handler_run(&handler, &ops, &ctx, &stop_requested);
	GS_LOG(NOTICE,
		"gs-session exiting (%s): %" PRIu64 " connects, %" PRIu64 " reconnects, %" PRIu64
		" heartbeats, %" PRIu64 " disconnects, %" PRIu64 " expired",
		ret == 0 ? "stop requested" : strerror(-ret), ctx.stats.connects,
		ctx.stats.reconnects, ctx.stats.heartbeats, ctx.stats.disconnects,
		ctx.stats.expired);
	gs_handler_detach(&handler);
	gs_app_fini(&app);
	return ret == 0 || ret == -ESHUTDOWN ? GS_EXIT_OK : GS_EXIT_FAILURE;
}
