/* SPDX-License-Identifier: BSD-3-Clause */
#include "gs_game_pb.h"

void
gs_pb_move_req(struct gs_move_req *req, const Gs__Move *mv, uint32_t owner, uint64_t now)
{
	req->entity = mv->entity_id;
	req->owner = owner;
	req->seq = mv->seq;
	req->pos[0] = mv->x;
	req->pos[1] = mv->y;
	req->pos[2] = mv->z;
	req->client_time_ns = mv->client_time_ns;
	req->now = now;
}

void
gs_pb_move_ack(Gs__MoveAck *ack, const Gs__Move *mv, const float pos[3])
{
	gs__move_ack__init(ack);
	ack->entity_id = mv->entity_id;
	ack->x = pos[0];
	ack->y = pos[1];
	ack->z = pos[2];
	ack->seq = mv->seq;
	ack->client_time_ns = mv->client_time_ns;
}

Gs__MoveReject__Reason
gs_pb_move_reason(enum gs_move_result r)
{
	switch (r) {
	case GS_MOVE_OUT_OF_BOUNDS:
		return GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS;
	case GS_MOVE_TOO_FAST:
		return GS__MOVE_REJECT__REASON__TOO_FAST;
	case GS_MOVE_DEAD:
		return GS__MOVE_REJECT__REASON__DEAD;
	case GS_MOVE_BUSY:
		return GS__MOVE_REJECT__REASON__BUSY;
	default:
		return GS__MOVE_REJECT__REASON__UNKNOWN;
	}
}

void
gs_pb_move_reject(
	Gs__MoveReject *rej, const Gs__Move *mv, Gs__MoveReject__Reason why, const float pos[3])
{
	gs__move_reject__init(rej);
	rej->entity_id = mv->entity_id;
	rej->x = pos[0];
	rej->y = pos[1];
	rej->z = pos[2];
	rej->seq = mv->seq;
	rej->reason = why;
	rej->client_time_ns = mv->client_time_ns;
}

void
gs_pb_attack_result(Gs__AttackResult *ar, const Gs__Attack *at, enum gs_attack_result res,
	const struct gs_attack_out *out)
{
	gs__attack_result__init(ar);
	ar->attacker = at->attacker;
	ar->target = at->target;
	ar->skill = at->skill;
	ar->seq = at->seq;
	ar->result = (Gs__AttackResult__Result)res; /* numbered alike */
	ar->damage = out->damage;
	ar->target_hp = out->target_hp;
	ar->cooldown_ms = out->cooldown_ms;
	ar->client_time_ns = at->client_time_ns;
}

void
gs_pb_damaged(Gs__Damaged *d, const Gs__Attack *at, enum gs_attack_result res,
	const struct gs_attack_out *out)
{
	gs__damaged__init(d);
	d->target = at->target;
	d->attacker = at->attacker;
	d->skill = at->skill;
	d->damage = out->damage;
	d->hp = out->target_hp;
	d->killed = res == GS_ATTACK_KILLED;
	if (d->killed) {
		d->respawn_in_ms = out->respawn_ms;
		d->respawn_x = out->respawn_pos[0];
		d->respawn_y = out->respawn_pos[1];
		d->respawn_z = out->respawn_pos[2];
	}
}
