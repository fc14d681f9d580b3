/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_COMBAT_HANDLER_H
#define GS_COMBAT_HANDLER_H

/*
 * gs-combat: ATTACK requests against the shared world. The only writer of
 * the entities' combat lines (HP, death, respawn, cooldowns); reads positions
 * from the move lines without locks. The attacker gets ATTACK_RESULT; the
 * target's session gets DAMAGED when it was hit.
 */
#include <stdint.h>

#include "gs_handler.h"
#include "gs_pb_arena.h"
#include "gs_session_tbl.h"
#include "gs_world.h"

struct combat_ctx {
	struct gs_handler *h;
	struct gs_session_tbl tbl;
	struct gs_world *world;
	int32_t pid;
	uint64_t results[GS_ATTACK_RESULT_MAX];
	uint64_t damaged_sent;
	struct gs_pb_arena arena;
	uint8_t arena_buf[1024];
};

/**
 * gs-combat's own counts (gs_handler_prog.events), each a uint64_t of
 * struct combat_ctx: gs-stats exports them as gsnet_handler_events_total{event}.
 */
extern const struct gs_handler_event combat_events[];
extern const unsigned int combat_n_events;

/**
 * Set up against an attached handler: the session table, the world, and the
 * locks a killed predecessor may have left held.
 *
 * @return 0, -ENOENT (no session table), -EPROTO (no usable world).
 */
int combat_init(struct combat_ctx *ctx, struct gs_handler *h);

/** gs_handler_burst_fn: handle combat messages. */
void combat_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n);

#endif /* GS_COMBAT_HANDLER_H */
