/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_MOVE_HANDLER_H
#define GS_MOVE_HANDLER_H

/*
 * gs-move: MOVE requests against the shared world. The only writer of the
 * entities' move lines (several instances serialise per entity through its
 * lock). Accepted moves are answered with MOVE_ACK, refused ones with
 * MOVE_REJECT carrying the authoritative position; late and duplicate moves
 * are counted and ignored.
 */
#include <stdint.h>

#include "gs_handler.h"
#include "gs_pb_arena.h"
#include "gs_session_tbl.h"
#include "gs_world.h"

struct move_ctx {
	struct gs_handler *h;
	struct gs_session_tbl tbl;
	struct gs_world *world;
	int32_t pid; /* the lock holder's identity */
	uint64_t results[GS_MOVE_RESULT_MAX];
	uint64_t not_owner;
	struct gs_pb_arena arena;
	uint8_t arena_buf[1024];
};

/**
 * gs-move's own counts (gs_handler_prog.events), each a uint64_t of struct
 * move_ctx: gs-stats exports them as gsnet_handler_events_total{event}.
 */
extern const struct gs_handler_event move_events[];
extern const unsigned int move_n_events;

/**
 * Set up against an attached handler: the session table, the world, and the
 * locks a killed predecessor may have left held.
 *
 * @return 0, -ENOENT (no session table), -EPROTO (no usable world).
 */
int move_init(struct move_ctx *ctx, struct gs_handler *h);

/** gs_handler_burst_fn: handle movement messages. */
void move_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n);

#endif /* GS_MOVE_HANDLER_H */
