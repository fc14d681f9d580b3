/* SPDX-License-Identifier: BSD-3-Clause */
/* gs-session: the session handler secondary. */
#include <string.h>

#include "gs_log.h"

#include "session.h"

GS_LOG_TYPE(gs.session.main);

static int
init(void *ctx, struct gs_handler *h, const struct gs_cfg *cfg)
{
	return session_init(ctx, h, cfg);
}

static void
report(void *arg, int why)
{
	const struct session_ctx *ctx = arg;

	GS_LOG(NOTICE,
		"gs-session exiting (%s): %" PRIu64 " connects, %" PRIu64 " reconnects, %" PRIu64
		" heartbeats, %" PRIu64 " disconnects, %" PRIu64 " expired, %" PRIu64
		" used tokens forgotten",
		why == 0 ? "stop requested" : strerror(-why), ctx->stats.connects,
		ctx->stats.reconnects, ctx->stats.heartbeats, ctx->stats.disconnects,
		ctx->stats.expired, ctx->stats.tokens_forgotten);
}

int
main(int argc, char **argv)
{
	const struct gs_handler_prog prog = {
		.name = "gs-session",
		.class_name = "session",
		.events = session_events,
		.n_events = session_n_events,
		.single_instance = true, /* one writer for the session table */
		.init = init,
		.report = report,
		.ops = { .burst = session_burst, .tick = session_tick },
	};
	static struct session_ctx ctx;

	return gs_handler_main(argc, argv, &prog, &ctx);
}
