/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"
#include "gs_world_shm.h"

#include "handler_stub.h"
#include "move.h"
#include "move.pb-c.h"

#define MOVE_ID 2 /* the class id of the default config */

/*
 * gs-move's handler core (secondary/move/move.c) driven through
 * move_burst() with the MOVEs the primary would pass on. Its replies and
 * rejects are recorded by handler_stub.c instead of reaching the rings.
 * The session table and the world are the real ones (memzones of this
 * process, EAL without hugepages): the test opens sessions as gs-session
 * would, then moves their entities. Rules: deploy/gsnet.ini's (max_speed
 * 20 units/s, 100 ms of slack, bounds +-10000 x, y and +-1000 z); a fresh
 * entity may move 2 units from its spawn point.
 */
#define N_SESS 16u
#define LCORE  1u /* the primary lcore the requests came from */

static struct gs_control *ctl;
static struct gs_handler h;
static struct gs_session_tbl tbl; /* the primary's and gs-session's side */
static struct gs_world *w;
static struct move_ctx ctx;

/* TSC @p ms after the world's time 0. */
static uint64_t
T(uint64_t ms)
{
	return w->base_tsc + ms * w->tsc_hz / 1000u;
}

/* A new session table, world and gs-move. */
static void
setup(void)
{
	struct gs_world_rules rules;

	gs_world_rules_default(&rules);
	CU_ASSERT_EQUAL_FATAL(stub_shm_create(N_SESS, N_SESS, &rules, &tbl, &w), 0);
	stub_handler_init(&h, ctl, MOVE_ID, 2, w->tsc_hz);
	CU_ASSERT_EQUAL_FATAL(move_init(&ctx, &h), 0);
	stub_reset();
}

static void
teardown(void)
{
	gs_world_free();
	gs_session_tbl_free(&tbl);
}

/* Open a session for client @p n, as gs-session would. */
static struct gs_session *
open_session(uint32_t n)
{
	struct gs_peer p = stub_peer(n);
	struct gs_session *s = NULL;

	CU_ASSERT_EQUAL_FATAL(gs_session_open(&tbl, &p, 100 + n, T(0), &s), 0);
	return s;
}

/* Where entity @p s->entity_id spawns in its first life. */
static void
spawn_of(const struct gs_session *s, float out[3])
{
	gs_world_spawn_point(w, s->entity_id, 0, out);
}

/* Send one MOVE of @p s's session for entity @p entity to (x, y, z) at @p now. */
static void
move_as(const struct gs_session *s, uint32_t entity, uint32_t seq, float x, float y, float z,
	uint64_t now)
{
	Gs__Move mv = GS__MOVE__INIT;
	struct gs_msg m;

	mv.entity_id = entity;
	mv.x = x;
	mv.y = y;
	mv.z = z;
	mv.seq = seq;
	mv.client_time_ns = 7000 + seq;
	stub_msg_of(&m, &tbl, s, GS_MSG_MOVE, seq, now, &mv.base);
	move_burst(&ctx, LCORE, &m, 1);
}

static void
move(const struct gs_session *s, uint32_t seq, float x, float y, float z, uint64_t now)
{
	move_as(s, s->entity_id, seq, x, y, z, now);
}

/* The only reply, checked to go to @p s, unpacked as a MOVE_REJECT (free with free_unpacked). */
static Gs__MoveReject *
only_reject_to(const struct gs_session *s)
{
	const struct stub_reply *r = stub_only_reply();

	if (r == NULL)
		return NULL;
	CU_ASSERT_EQUAL(r->type, GS_MSG_MOVE_REJECT);
	CU_ASSERT_EQUAL(r->session_id, s->session_id);
	CU_ASSERT_EQUAL(r->slot, gs_session_slot(&tbl, s));
	CU_ASSERT_EQUAL(r->peer.ip, s->peer.ip);
	CU_ASSERT_EQUAL(r->peer.port, s->peer.port);
	return gs__move_reject__unpack(NULL, r->len, r->payload);
}

static void
test_a_valid_move_is_applied_and_acknowledged_to_its_session(void)
{
	const struct stub_reply *r;
	struct gs_session *s;
	Gs__MoveAck *ack;
	float sp[3];

	setup();
	s = open_session(1);
	spawn_of(s, sp);
	move(s, 1, sp[0] + 1.5f, sp[1], sp[2], T(1000));
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_ACCEPTED], 1);
	r = stub_only_reply();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->type, GS_MSG_MOVE_ACK);
	CU_ASSERT_EQUAL(r->lcore, LCORE); /* back through the lcore it came from */
	CU_ASSERT_EQUAL(r->session_id, s->session_id);
	CU_ASSERT_EQUAL(r->slot, gs_session_slot(&tbl, s));
	CU_ASSERT_EQUAL(r->peer.ip, s->peer.ip);
	CU_ASSERT_EQUAL(r->peer.port, s->peer.port);
	CU_ASSERT_EQUAL(r->rx_tsc, T(1000)); /* it answers that request: residence measured */
	CU_ASSERT_FALSE(r->to_connect);
	ack = gs__move_ack__unpack(NULL, r->len, r->payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ack);
	CU_ASSERT_EQUAL(ack->entity_id, s->entity_id);
	CU_ASSERT_EQUAL(ack->x, sp[0] + 1.5f);
	CU_ASSERT_EQUAL(ack->y, sp[1]);
	CU_ASSERT_EQUAL(ack->z, sp[2]);
	CU_ASSERT_EQUAL(ack->seq, 1);
	CU_ASSERT_EQUAL(ack->client_time_ns, 7001);
	gs__move_ack__free_unpacked(ack, NULL);
	/* the world has it, owned by this session */
	CU_ASSERT_EQUAL(gs_world_entity(w, s->entity_id)->m.owner, s->session_id);
	CU_ASSERT_EQUAL(gs_world_entity(w, s->entity_id)->m.pos[0], sp[0] + 1.5f);
	CU_ASSERT_EQUAL(gs_world_entity(w, s->entity_id)->m.seq, 1);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, s->entity_id, s->session_id), T(1000));
	teardown();
}

static void
test_a_move_out_of_bounds_is_rejected_with_the_real_position(void)
{
	Gs__MoveReject *rej;
	struct gs_session *s;
	float sp[3];

	setup();
	s = open_session(1);
	spawn_of(s, sp);
	move(s, 1, 20000.0f, sp[1], sp[2], T(1000));
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_OUT_OF_BOUNDS], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 1);
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_OUT_OF_BOUNDS], 1);
	rej = only_reject_to(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rej);
	CU_ASSERT_EQUAL(rej->reason, GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS);
	CU_ASSERT_EQUAL(rej->entity_id, s->entity_id);
	CU_ASSERT_EQUAL(rej->seq, 1);
	CU_ASSERT_EQUAL(rej->client_time_ns, 7001);
	/* where it really is: its spawn point, the client snaps back to it */
	CU_ASSERT_EQUAL(rej->x, sp[0]);
	CU_ASSERT_EQUAL(rej->y, sp[1]);
	CU_ASSERT_EQUAL(rej->z, sp[2]);
	gs__move_reject__free_unpacked(rej, NULL);
	CU_ASSERT_NOT_EQUAL(gs_world_entity(w, s->entity_id)->m.owner, s->session_id);
	/* not a number is out of bounds too */
	stub_reset();
	move(s, 2, sp[0], NAN, sp[2], T(1000));
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_OUT_OF_BOUNDS], 1);
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_OUT_OF_BOUNDS], 2);
	teardown();
}

static void
test_a_move_too_fast_is_rejected_with_the_last_accepted_position(void)
{
	Gs__MoveReject *rej;
	struct gs_session *s;
	float sp[3];

	setup();
	s = open_session(1);
	spawn_of(s, sp);
	move(s, 1, sp[0] + 1.0f, sp[1], sp[2], T(1000));
	CU_ASSERT_EQUAL_FATAL(ctx.results[GS_MOVE_ACCEPTED], 1);
	stub_reset();
	/* 100 ms later: 20 units/s x (100 + 100 slack) ms = 4 units allowed, 10 asked */
	move(s, 2, sp[0] + 11.0f, sp[1], sp[2], T(1100));
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_TOO_FAST], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 1);
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_TOO_FAST], 1);
	rej = only_reject_to(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rej);
	CU_ASSERT_EQUAL(rej->reason, GS__MOVE_REJECT__REASON__TOO_FAST);
	CU_ASSERT_EQUAL(rej->x, sp[0] + 1.0f);
	CU_ASSERT_EQUAL(rej->seq, 2);
	gs__move_reject__free_unpacked(rej, NULL);
	CU_ASSERT_EQUAL(gs_world_entity(w, s->entity_id)->m.seq, 1); /* unchanged */
	/* within the allowance it goes */
	stub_reset();
	move(s, 3, sp[0] + 4.0f, sp[1], sp[2], T(1100));
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_ACCEPTED], 2);
	CU_ASSERT_EQUAL(stub_only_reply()->type, GS_MSG_MOVE_ACK);
	teardown();
}

/* Late and duplicate moves are counted and ignored: no answer, the world unchanged. */
static void
test_a_stale_move_is_counted_and_not_answered(void)
{
	struct gs_session *s;
	float sp[3];

	setup();
	s = open_session(1);
	spawn_of(s, sp);
	move(s, 5, sp[0] + 1.0f, sp[1], sp[2], T(1000));
	CU_ASSERT_EQUAL_FATAL(ctx.results[GS_MOVE_ACCEPTED], 1);
	stub_reset();
	move(s, 5, sp[0] + 2.0f, sp[1], sp[2], T(1200)); /* a duplicate */
	move(s, 4, sp[0] + 2.0f, sp[1], sp[2], T(1200)); /* late */
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_STALE], 2);
	CU_ASSERT_EQUAL(stub_rejects_total(), 2);
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_STALE], 2);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	CU_ASSERT_EQUAL(gs_world_entity(w, s->entity_id)->m.pos[0], sp[0] + 1.0f);
	/* a fresh entity's first move needs a sequence above 0 */
	s = open_session(2);
	spawn_of(s, sp);
	stub_reset();
	move(s, 0, sp[0], sp[1], sp[2], T(1200));
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_STALE], 1);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	teardown();
}

static void
test_moving_another_sessions_entity_is_refused_and_changes_nothing(void)
{
	struct gs_session *a, *b;
	Gs__MoveReject *rej;
	float sp[3];

	setup();
	a = open_session(1);
	b = open_session(2);
	spawn_of(b, sp);
	move_as(a, b->entity_id, 1, sp[0] + 1.0f, sp[1], sp[2], T(1000));
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_NOT_OWNER], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 1);
	CU_ASSERT_EQUAL(ctx.not_owner, 1);
	for (unsigned int r = 0; r < GS_MOVE_RESULT_MAX; r++)
		CU_ASSERT_EQUAL(ctx.results[r], 0); /* never reached the world */
	rej = only_reject_to(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rej);
	CU_ASSERT_EQUAL(rej->reason, GS__MOVE_REJECT__REASON__NOT_OWNER);
	CU_ASSERT_EQUAL(rej->entity_id, b->entity_id);
	/* the position of someone else's entity is not told */
	CU_ASSERT_EQUAL(rej->x, 0.0f);
	CU_ASSERT_EQUAL(rej->y, 0.0f);
	CU_ASSERT_EQUAL(rej->z, 0.0f);
	gs__move_reject__free_unpacked(rej, NULL);
	CU_ASSERT_EQUAL(gs_world_entity(w, b->entity_id)->m.owner, 0);
	teardown();
}

static void
test_a_dead_entity_does_not_move_and_is_told_where_it_respawns(void)
{
	struct gs_entity *e;
	Gs__MoveReject *rej;
	struct gs_session *s;
	float sp[3], respawn[3];

	setup();
	s = open_session(1);
	spawn_of(s, sp);
	/* gs-combat's line: killed in its first life, back at 5 s */
	e = gs_world_entity(w, s->entity_id);
	e->c.owner = s->session_id;
	e->c.life = 1;
	e->c.dead = 1;
	e->c.respawn_tsc = T(5000);
	gs_world_spawn_point(w, s->entity_id, 1, respawn);
	move(s, 1, sp[0], sp[1], sp[2], T(1000));
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_DEAD], 1);
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_DEAD], 1);
	rej = only_reject_to(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rej);
	CU_ASSERT_EQUAL(rej->reason, GS__MOVE_REJECT__REASON__DEAD);
	CU_ASSERT_EQUAL(rej->x, respawn[0]);
	CU_ASSERT_EQUAL(rej->y, respawn[1]);
	CU_ASSERT_EQUAL(rej->z, respawn[2]);
	gs__move_reject__free_unpacked(rej, NULL);
	/* respawned: it moves from its new spawn point */
	stub_reset();
	move(s, 2, respawn[0] + 1.0f, respawn[1], respawn[2], T(5000));
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_ACCEPTED], 1);
	CU_ASSERT_EQUAL(stub_only_reply()->type, GS_MSG_MOVE_ACK);
	teardown();
}

/* A live writer (another process) holds the move line: the move is refused, retry later. */
static void
test_a_move_on_a_line_held_by_a_live_writer_is_busy(void)
{
	struct gs_entity *e;
	Gs__MoveReject *rej;
	struct gs_session *s;
	float sp[3];

	setup();
	s = open_session(1);
	spawn_of(s, sp);
	e = gs_world_entity(w, s->entity_id);
	e->m.lock = (uint64_t)(uint32_t)getppid() << 32 | 1u; /* odd: inside a write */
	move(s, 1, sp[0] + 1.0f, sp[1], sp[2], T(1000));
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_BUSY], 1);
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_BUSY], 1);
	rej = only_reject_to(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rej);
	CU_ASSERT_EQUAL(rej->reason, GS__MOVE_REJECT__REASON__BUSY);
	gs__move_reject__free_unpacked(rej, NULL);
	teardown();
}

static void
test_a_move_of_no_session_is_not_connected_and_not_answered(void)
{
	Gs__Move mv = GS__MOVE__INIT;
	struct gs_session *s;
	struct gs_peer other;
	struct gs_msg m[4];

	setup();
	s = open_session(1);
	mv.entity_id = s->entity_id;
	mv.seq = 1;
	/* no session at all; another address; another generation of the slot */
	stub_msg(&m[0], &s->peer, GS_MSG_MOVE, 0, 0, 1, T(1000), &mv.base);
	other = stub_peer(2);
	stub_msg(&m[1], &other, GS_MSG_MOVE, gs_session_slot(&tbl, s), s->session_id, 1, T(1000),
		&mv.base);
	stub_msg(&m[2], &s->peer, GS_MSG_MOVE, gs_session_slot(&tbl, s),
		s->session_id ^ (1u << tbl.id_bits), 1, T(1000), &mv.base);
	move_burst(&ctx, LCORE, m, 3);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_NOT_CONNECTED], 3);
	CU_ASSERT_EQUAL(stub_rejects_total(), 3);
	/* a closed session */
	CU_ASSERT_EQUAL(gs_session_close(&tbl, s, T(1000)), 0);
	stub_msg_of(&m[3], &tbl, s, GS_MSG_MOVE, 1, T(1000), &mv.base);
	move_burst(&ctx, LCORE, &m[3], 1);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_NOT_CONNECTED], 4);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_ACCEPTED], 0);
	teardown();
}

static void
test_a_bad_type_or_payload_is_rejected_and_not_answered(void)
{
	Gs__Move mv = GS__MOVE__INIT;
	struct gs_session *s;
	struct gs_msg m[2];

	setup();
	s = open_session(1);
	mv.entity_id = s->entity_id;
	mv.seq = 1;
	stub_msg_of(&m[0], &tbl, s, GS_MSG_MOVE_ACK, 1, T(1000), &mv.base);
	stub_msg_of(&m[1], &tbl, s, GS_MSG_MOVE, 1, T(1000), NULL);
	memset(m[1].payload, 0xff, 16); /* not a protobuf message */
	m[1].hdr.payload_len = 16;
	move_burst(&ctx, LCORE, m, 2);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_BAD_TYPE], 1);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_BAD_PAYLOAD], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 2);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	teardown();
}

/* One burst, three sessions: each answered in order, each reply naming the request it answers. */
static void
test_a_burst_answers_each_move_with_its_own_arrival_time(void)
{
	struct gs_session *s[3];
	struct gs_msg m[3];

	setup();
	for (unsigned int i = 0; i < 3; i++) {
		Gs__Move mv = GS__MOVE__INIT;
		float sp[3];

		s[i] = open_session(i + 1);
		spawn_of(s[i], sp);
		mv.entity_id = s[i]->entity_id;
		mv.x = i == 1 ? 99999.0f : sp[0]; /* the second is refused */
		mv.y = sp[1];
		mv.z = sp[2];
		mv.seq = 1;
		stub_msg_of(&m[i], &tbl, s[i], GS_MSG_MOVE, 1, T(1000 + i), &mv.base);
	}
	move_burst(&ctx, LCORE, m, 3);
	CU_ASSERT_EQUAL_FATAL(stub_n_replies, 3);
	for (unsigned int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(stub_replies[i].session_id, s[i]->session_id);
		CU_ASSERT_EQUAL(stub_replies[i].rx_tsc, T(1000 + i));
		CU_ASSERT_EQUAL(
			stub_replies[i].type, i == 1 ? GS_MSG_MOVE_REJECT : GS_MSG_MOVE_ACK);
	}
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_ACCEPTED], 2);
	CU_ASSERT_EQUAL(ctx.results[GS_MOVE_OUT_OF_BOUNDS], 1);
	teardown();
}

/* gs-stats exports each outcome under its own name (gsnet_handler_events_total{event}). */
static void
test_each_outcome_is_exported_under_its_event_name(void)
{
	static const char *const names[] = { "accepted", "stale", "out_of_bounds", "too_fast",
		"dead", "busy", "not_owner" };
	struct gs_session *a, *b;
	float sp[3];

	setup();
	CU_ASSERT_EQUAL(move_n_events, 7);
	CU_ASSERT_FATAL(move_n_events <= GS_HANDLER_EVENTS); /* the slot has room for all */
	a = open_session(1);
	b = open_session(2);
	spawn_of(a, sp);
	move(a, 1, sp[0] + 1.0f, sp[1], sp[2], T(1000));	   /* accepted */
	move(a, 1, sp[0] + 1.0f, sp[1], sp[2], T(1000));	   /* stale */
	move(a, 2, 20000.0f, sp[1], sp[2], T(1100));		   /* out_of_bounds */
	move(a, 3, sp[0] + 100.0f, sp[1], sp[2], T(1100));	   /* too_fast */
	move_as(a, b->entity_id, 4, sp[0], sp[1], sp[2], T(1100)); /* not_owner */
	for (unsigned int i = 0; i < 7; i++) {
		uint64_t want =
			strcmp(names[i], "dead") == 0 || strcmp(names[i], "busy") == 0 ? 0 : 1;

		CU_ASSERT_EQUAL(stub_event(move_events, move_n_events, &ctx, names[i]), want);
	}
	teardown();
}

static CU_TestInfo move_tests[] = {
	{ "a valid move is applied and acknowledged to its session",
		test_a_valid_move_is_applied_and_acknowledged_to_its_session },
	{ "a move out of bounds is rejected with the real position",
		test_a_move_out_of_bounds_is_rejected_with_the_real_position },
	{ "a move too fast is rejected with the last accepted position",
		test_a_move_too_fast_is_rejected_with_the_last_accepted_position },
	{ "a stale move is counted and not answered",
		test_a_stale_move_is_counted_and_not_answered },
	{ "moving another session's entity is refused and changes nothing",
		test_moving_another_sessions_entity_is_refused_and_changes_nothing },
	{ "a dead entity does not move and is told where it respawns",
		test_a_dead_entity_does_not_move_and_is_told_where_it_respawns },
	{ "a move on a line held by a live writer is busy",
		test_a_move_on_a_line_held_by_a_live_writer_is_busy },
	{ "a move of no session is not_connected and not answered",
		test_a_move_of_no_session_is_not_connected_and_not_answered },
	{ "a bad type or payload is rejected and not answered",
		test_a_bad_type_or_payload_is_rejected_and_not_answered },
	{ "a burst answers each move with its own arrival time",
		test_a_burst_answers_each_move_with_its_own_arrival_time },
	{ "each outcome is exported under its event name",
		test_each_outcome_is_exported_under_its_event_name },
	CU_TEST_INFO_NULL,
};

static int
suite_init(void)
{
	ctl = aligned_alloc(64, sizeof(*ctl));
	return ctl == NULL ? -1 : 0;
}

static int
suite_fini(void)
{
	free(ctl);
	return 0;
}

static CU_SuiteInfo suites[] = {
	{ .pName = "gs-move handler",
		.pInitFunc = suite_init,
		.pCleanupFunc = suite_fini,
		.pTests = move_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	int ret;

	if (stub_eal_init("move_test") < 0)
		return 1;
	ret = gs_test_run(suites);
	stub_eal_fini();
	return ret;
}
