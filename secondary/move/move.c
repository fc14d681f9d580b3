/* SPDX-License-Identifier: BSD-3-Clause */
#include "move.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "gs_game_pb.h"
#include "gs_log.h"
#include "gs_world_shm.h"

#include "move.pb-c.h"

GS_LOG_TYPE(gs.move);

/* gs-move's own counts, exported by gs-stats (gsnet_handler_events_total) */
#define MOVE_EVENT(name, res)                                 \
	{                                                     \
		name, offsetof(struct move_ctx, results[res]) \
	}
const struct gs_handler_event move_events[] = {
	MOVE_EVENT("accepted", GS_MOVE_ACCEPTED),
	MOVE_EVENT("stale", GS_MOVE_STALE),
	MOVE_EVENT("out_of_bounds", GS_MOVE_OUT_OF_BOUNDS),
	MOVE_EVENT("too_fast", GS_MOVE_TOO_FAST),
	MOVE_EVENT("dead", GS_MOVE_DEAD),
	MOVE_EVENT("busy", GS_MOVE_BUSY),
	{ "not_owner", offsetof(struct move_ctx, not_owner) },
};
const unsigned int move_n_events = RTE_DIM(move_events);

int
move_init(struct move_ctx *ctx, struct gs_handler *h)
{
	memset(ctx, 0, offsetof(struct move_ctx, arena_buf));
	ctx->h = h;
	ctx->pid = (int32_t)getpid();
	gs_pb_arena_init(&ctx->arena, ctx->arena_buf, sizeof(ctx->arena_buf));
	return gs_world_attach_game("gs-move", &ctx->tbl, &ctx->world);
}

static enum gs_reject
reject_of(enum gs_move_result r)
{
	switch (r) {
	case GS_MOVE_STALE:
		return GS_REJECT_STALE;
	case GS_MOVE_OUT_OF_BOUNDS:
		return GS_REJECT_OUT_OF_BOUNDS;
	case GS_MOVE_TOO_FAST:
		return GS_REJECT_TOO_FAST;
	case GS_MOVE_DEAD:
		return GS_REJECT_DEAD;
	default:
		return GS_REJECT_BUSY;
	}
}

/* Pack @p pb straight into the reply slot and queue it for session @p s. */
static void
reply(struct move_ctx *ctx, unsigned int lcore, const struct gs_session *s, uint8_t type,
	const ProtobufCMessage *pb)
{
	gs_handler_reply_pb(
		ctx->h, lcore, &s->peer, gs_session_slot(&ctx->tbl, s), s->session_id, type, pb);
}

static void
send_reject(struct move_ctx *ctx, unsigned int lcore, const struct gs_session *s,
	const Gs__Move *mv, Gs__MoveReject__Reason why, const float pos[3])
{
	Gs__MoveReject rej;

	gs_pb_move_reject(&rej, mv, why, pos);
	reply(ctx, lcore, s, GS_MSG_MOVE_REJECT, &rej.base);
}

static void
on_move(struct move_ctx *ctx, unsigned int lcore, const struct gs_msg *m,
	const struct gs_session *s)
{
	Gs__Move *mv = gs__move__unpack(&ctx->arena.alloc, m->hdr.payload_len, m->payload);
	struct gs_move_req req;
	enum gs_move_result res;
	float pos[3];

	if (mv == NULL) {
		gs_handler_reject(ctx->h, GS_REJECT_BAD_PAYLOAD);
		return;
	}
	if (mv->entity_id != s->entity_id) {
		static const float none[3];

		ctx->not_owner++;
		gs_handler_reject(ctx->h, GS_REJECT_NOT_OWNER);
		send_reject(ctx, lcore, s, mv, GS__MOVE_REJECT__REASON__NOT_OWNER, none);
		return;
	}
	gs_pb_move_req(&req, mv, s->session_id, m->rx_tsc);
	res = gs_world_move(ctx->world, &req, ctx->pid, pos);
	ctx->results[res]++;
	if (res == GS_MOVE_ACCEPTED) {
		Gs__MoveAck ack;

		gs_pb_move_ack(&ack, mv, pos);
		reply(ctx, lcore, s, GS_MSG_MOVE_ACK, &ack.base);
		return;
	}
	gs_handler_reject(ctx->h, reject_of(res));
	if (res != GS_MOVE_STALE) /* late and duplicate moves are ignored */
		send_reject(ctx, lcore, s, mv, gs_pb_move_reason(res), pos);
}

void
move_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n)
{
	struct move_ctx *ctx = arg;

	for (unsigned int i = 0; i < n; i++) {
		const struct gs_msg *m = &msgs[i];
		const struct gs_session *s = gs_session_of_msg(&ctx->tbl, m);

		gs_handler_answering(ctx->h, m);
		gs_pb_arena_reset(&ctx->arena);
		if (s == NULL) {
			gs_handler_reject(ctx->h, GS_REJECT_NOT_CONNECTED);
			continue;
		}
		if (m->hdr.type != GS_MSG_MOVE) {
			gs_handler_reject(ctx->h, GS_REJECT_BAD_TYPE);
			continue;
		}
		on_move(ctx, lcore, m, s);
	}
}
