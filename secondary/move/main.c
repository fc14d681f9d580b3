/* SPDX-License-Identifier: BSD-3-Clause */
/* gs-move: the movement handler secondary. */
#include <string.h>

#include "gs_log.h"

#include "move.h"

GS_LOG_TYPE(gs.move.main);

static int
init(void *ctx, struct gs_handler *h, const struct gs_cfg *cfg)
{
	(void)cfg; /* the rules are the primary's, in the world memzone */
	return move_init(ctx, h);
}

static void
report(void *arg, int why)
{
	const struct move_ctx *ctx = arg;

	GS_LOG(NOTICE,
		"gs-move exiting (%s): %" PRIu64 " accepted, %" PRIu64 " stale, %" PRIu64
		" out of bounds, %" PRIu64 " too fast, %" PRIu64 " dead, %" PRIu64 " busy, %" PRIu64
		" not owner",
		why == 0 ? "stop requested" : strerror(-why), ctx->results[GS_MOVE_ACCEPTED],
		ctx->results[GS_MOVE_STALE], ctx->results[GS_MOVE_OUT_OF_BOUNDS],
		ctx->results[GS_MOVE_TOO_FAST], ctx->results[GS_MOVE_DEAD],
		ctx->results[GS_MOVE_BUSY], ctx->not_owner);
}

int
main(int argc, char **argv)
{
	const struct gs_handler_prog prog = {
		.name = "gs-move",
		.class_name = "move",
		.events = move_events,
		.n_events = move_n_events,
		.init = init,
		.report = report,
		.ops = { .burst = move_burst },
	};
	static struct move_ctx ctx;

	return gs_handler_main(argc, argv, &prog, &ctx);
}
