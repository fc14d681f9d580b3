/* SPDX-License-Identifier: BSD-3-Clause */
/* gs-combat: the combat handler secondary. */
#include <string.h>

#include "gs_log.h"

#include "combat.h"

GS_LOG_TYPE(gs.combat.main);

static int
init(void *ctx, struct gs_handler *h, const struct gs_cfg *cfg)
{
	(void)cfg; /* the rules are the primary's, in the world memzone */
	return combat_init(ctx, h);
}

static void
report(void *arg, int why)
{
	const struct combat_ctx *ctx = arg;

	GS_LOG(NOTICE,
		"gs-combat exiting (%s): %" PRIu64 " hits, %" PRIu64 " kills, %" PRIu64
		" out of range, %" PRIu64 " cooldown, %" PRIu64 " target dead, %" PRIu64
		" other refusals, %" PRIu64 " DAMAGED sent",
		why == 0 ? "stop requested" : strerror(-why), ctx->results[GS_ATTACK_HIT],
		ctx->results[GS_ATTACK_KILLED], ctx->results[GS_ATTACK_OUT_OF_RANGE],
		ctx->results[GS_ATTACK_COOLDOWN], ctx->results[GS_ATTACK_TARGET_DEAD],
		ctx->results[GS_ATTACK_ATTACKER_DEAD] + ctx->results[GS_ATTACK_NO_TARGET] +
			ctx->results[GS_ATTACK_BAD_SKILL] + ctx->results[GS_ATTACK_NOT_OWNER] +
			ctx->results[GS_ATTACK_BUSY],
		ctx->damaged_sent);
}

int
main(int argc, char **argv)
{
	const struct gs_handler_prog prog = {
		.name = "gs-combat",
		.class_name = "combat",
		.events = combat_events,
		.n_events = combat_n_events,
		.init = init,
		.report = report,
		.ops = { .burst = combat_burst },
	};
	static struct combat_ctx ctx;

	return gs_handler_main(argc, argv, &prog, &ctx);
}
