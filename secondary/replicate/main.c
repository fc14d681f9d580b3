/* SPDX-License-Identifier: BSD-3-Clause */
/* gs-replicate: the replication handler secondary (replicate.c). */
#include <string.h>

#include <gs_stats.h>

#include "replicate.h"

GS_LOG_TYPE(gs.replicate.main);

static const char *const params[] = { "tick_hz", "aoi_radius", "budget_bytes", "view_max", NULL };

/* its own counts; the tick's duration is its "tick" histogram (repl_init) */
static const struct gs_handler_event events[] = {
	{ "ticks", offsetof(struct repl, ticks) },
	{ "tick_overruns", offsetof(struct repl, overruns) },
	{ "snapshots", offsetof(struct repl, snapshots) },
	{ "full_snapshots", offsetof(struct repl, full) },
	{ "snapshot_bytes", offsetof(struct repl, bytes) },
	{ "snapshot_entities", offsetof(struct repl, entities) },
	{ "entities_cut", offsetof(struct repl, cut) },
	{ "acks", offsetof(struct repl, acks) },
};

static int
init(void *ctx, struct gs_handler *h, const struct gs_cfg *cfg)
{
	struct repl *r = ctx;
	int ret = repl_init(r, h, cfg);

	gs_pb_arena_init(&r->arena, r->arena_buf, sizeof(r->arena_buf));
	return ret;
}

static void
report(void *ctx, int why)
{
	struct repl *r = ctx;

	GS_LOG(NOTICE,
		"gs-replicate exiting (%s): %" PRIu64 " ticks (%" PRIu64
		" overran; p50 %.0f us, p99 %.0f us), %" PRIu64 " snapshots (%" PRIu64
		" full), %" PRIu64 " bytes, %" PRIu64 " entities, %" PRIu64 " cut, %" PRIu64
		" acks (%" PRIu64 " ignored), %" PRIu64 " not sent (ring full), %" PRIu64 " errors",
		why == 0 ? "stop requested" : strerror(-why), r->ticks, r->overruns,
		gs_handler_hist_quantile(r->h->hist, 0.5) / 1e3,
		gs_handler_hist_quantile(r->h->hist, 0.99) / 1e3, r->snapshots, r->full, r->bytes,
		r->entities, r->cut, r->acks, r->acks_ignored, r->dropped, r->errors);
	repl_fini(r);
}

int
main(int argc, char **argv)
{
	static const struct gs_handler_prog prog = {
		.name = "gs-replicate",
		.class_name = "replicate",
		.events = events,
		.n_events = RTE_DIM(events),
		.params = params,
		.init = init,
		.report = report,
		.ops = { .burst = repl_burst, .tick = repl_tick },
	};
	static struct repl ctx;

	return gs_handler_main(argc, argv, &prog, &ctx);
}
