/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_GAME_PB_H
#define GS_GAME_PB_H

/*
 * Between the game payloads (schemas/move.proto, combat.proto) and the world
 * rules (gs_world.h): the request a MOVE makes, and the replies a move or an
 * attack result turns into. One place for gs-move, gs-combat and the kernel
 * baseline, so they answer alike. DPDK-free. Every filler initialises its
 * message first.
 */
#include <stdint.h>

#include "gs_world.h"

#include "combat.pb-c.h"
#include "move.pb-c.h"

/** The world request of MOVE @p mv from session @p owner, arrived at @p now. */
void gs_pb_move_req(struct gs_move_req *req, const Gs__Move *mv, uint32_t owner, uint64_t now);

/** MOVE_ACK for @p mv at the authoritative @p pos. */
void gs_pb_move_ack(Gs__MoveAck *ack, const Gs__Move *mv, const float pos[3]);

/** The MOVE_REJECT reason of a refused move. */
Gs__MoveReject__Reason gs_pb_move_reason(enum gs_move_result r);

/** MOVE_REJECT for @p mv: @p why, and where the entity really is (@p pos). */
void gs_pb_move_reject(
	Gs__MoveReject *rej, const Gs__Move *mv, Gs__MoveReject__Reason why, const float pos[3]);

/** ATTACK_RESULT of @p at. */
void gs_pb_attack_result(Gs__AttackResult *ar, const Gs__Attack *at, enum gs_attack_result res,
	const struct gs_attack_out *out);

/** DAMAGED for the target of @p at (a HIT or KILLED result). */
void gs_pb_damaged(Gs__Damaged *d, const Gs__Attack *at, enum gs_attack_result res,
	const struct gs_attack_out *out);

#endif /* GS_GAME_PB_H */
