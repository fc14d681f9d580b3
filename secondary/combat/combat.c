/* SPDX-License-Identifier: BSD-3-Clause */
#include "combat.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "gs_game_pb.h"
#include "gs_log.h"
#include "gs_world_shm.h"

#include "combat.pb-c.h"

GS_LOG_TYPE(gs.combat);

/*
 * gs-combat's own counts, exported by gs-stats (gsnet_handler_events_total);
 * the refusals (no target, bad skill, not the owner) are reject reasons.
 */
#define ATTACK_EVENT(name, res)                                 \
	{                                                       \
		name, offsetof(struct combat_ctx, results[res]) \
	}
const struct gs_handler_event combat_events[] = {
	ATTACK_EVENT("hits", GS_ATTACK_HIT),
	ATTACK_EVENT("kills", GS_ATTACK_KILLED),
	ATTACK_EVENT("out_of_range", GS_ATTACK_OUT_OF_RANGE),
	ATTACK_EVENT("cooldown", GS_ATTACK_COOLDOWN),
	ATTACK_EVENT("attacker_dead", GS_ATTACK_ATTACKER_DEAD),
	ATTACK_EVENT("target_dead", GS_ATTACK_TARGET_DEAD),
	ATTACK_EVENT("busy", GS_ATTACK_BUSY),
	{ "damaged_sent", offsetof(struct combat_ctx, damaged_sent) },
};
const unsigned int combat_n_events = RTE_DIM(combat_events);

int
combat_init(struct combat_ctx *ctx, struct gs_handler *h)
{
	memset(ctx, 0, offsetof(struct combat_ctx, arena_buf));
	ctx->h = h;
	ctx->pid = (int32_t)getpid();
	gs_pb_arena_init(&ctx->arena, ctx->arena_buf, sizeof(ctx->arena_buf));
	return gs_world_attach_game("gs-combat", &ctx->tbl, &ctx->world);
}

static enum gs_reject
reject_of(enum gs_attack_result r)
{
	switch (r) {
	case GS_ATTACK_OUT_OF_RANGE:
		return GS_REJECT_OUT_OF_RANGE;
	case GS_ATTACK_COOLDOWN:
		return GS_REJECT_COOLDOWN;
	case GS_ATTACK_ATTACKER_DEAD:
		return GS_REJECT_ATTACKER_DEAD;
	case GS_ATTACK_TARGET_DEAD:
		return GS_REJECT_TARGET_DEAD;
	case GS_ATTACK_NO_TARGET:
		return GS_REJECT_NO_TARGET;
	case GS_ATTACK_BAD_SKILL:
		return GS_REJECT_BAD_SKILL;
	case GS_ATTACK_NOT_OWNER:
		return GS_REJECT_NOT_OWNER;
	default:
		return GS_REJECT_BUSY;
	}
}

/* Pack @p pb straight into the reply slot and queue it for session @p s. */
static void
reply(struct combat_ctx *ctx, unsigned int lcore, const struct gs_session *s, uint8_t type,
	const ProtobufCMessage *pb)
{
	gs_handler_reply_pb(
		ctx->h, lcore, &s->peer, gs_session_slot(&ctx->tbl, s), s->session_id, type, pb);
}

/* Tell the target's session it was hit. */
static void
send_damaged(struct combat_ctx *ctx, unsigned int lcore, const struct gs_session *target,
	const Gs__Attack *at, enum gs_attack_result res, const struct gs_attack_out *out)
{
	Gs__Damaged d;

	gs_pb_damaged(&d, at, res, out);
	reply(ctx, lcore, target, GS_MSG_DAMAGED, &d.base);
	ctx->damaged_sent++;
}

static void
on_attack(struct combat_ctx *ctx, unsigned int lcore, const struct gs_msg *m,
	const struct gs_session *s)
{
	Gs__Attack *at = gs__attack__unpack(&ctx->arena.alloc, m->hdr.payload_len, m->payload);
	const struct gs_session *target = NULL;
	Gs__AttackResult ar;
	struct gs_attack_out out = { 0 };
	enum gs_attack_result res;

	if (at == NULL) {
		gs_handler_reject(ctx->h, GS_REJECT_BAD_PAYLOAD);
		return;
	}
	if (at->attacker != s->entity_id) {
		res = GS_ATTACK_NOT_OWNER;
	} else {
		struct gs_attack_req req = {
			.attacker = at->attacker,
			.attacker_owner = s->session_id,
			.target = at->target,
			.skill = at->skill,
			.now = m->rx_tsc,
		};

		target = gs_session_of_entity(&ctx->tbl, at->target);
		req.target_owner = target != NULL ? target->session_id : 0;
		res = gs_world_attack(ctx->world, &req, ctx->pid, &out);
	}
	ctx->results[res]++;
	if (res != GS_ATTACK_HIT && res != GS_ATTACK_KILLED)
		gs_handler_reject(ctx->h, reject_of(res));

	gs_pb_attack_result(&ar, at, res, &out);
	reply(ctx, lcore, s, GS_MSG_ATTACK_RESULT, &ar.base);
	if (res == GS_ATTACK_HIT || res == GS_ATTACK_KILLED)
		send_damaged(ctx, lcore, target, at, res, &out);
}

void
combat_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n)
{
	struct combat_ctx *ctx = arg;

	for (unsigned int i = 0; i < n; i++) {
		const struct gs_msg *m = &msgs[i];
		const struct gs_session *s = gs_session_of_msg(&ctx->tbl, m);

		gs_handler_answering(ctx->h, m);
		gs_pb_arena_reset(&ctx->arena);
		if (s == NULL) {
			gs_handler_reject(ctx->h, GS_REJECT_NOT_CONNECTED);
			continue;
		}
		if (m->hdr.type != GS_MSG_ATTACK) {
			gs_handler_reject(ctx->h, GS_REJECT_BAD_TYPE);
			continue;
		}
		on_attack(ctx, lcore, m, s);
	}
}
