/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"
#include "gs_world_shm.h"

#include "combat.h"
#include "combat.pb-c.h"
#include "handler_stub.h"

#define COMBAT_ID 3 /* the class id of the default config */

/*
 * gs-combat's handler core (secondary/combat/combat.c) driven through
 * combat_burst() with the ATTACKs the primary would pass on; replies and
 * rejects recorded by handler_stub.c, the session table and world real
 * (EAL without hugepages). The test opens sessions as gs-session would:
 * session N owns entity N.
 *
 * The rules: two spawn points, A = (0, 0, 0) and B = (1000, 0, 0); entity N
 * in life L appears at A when N + L is even, so entities 2 and 4 start side
 * by side at A and entity 3 far away at B. Skill 1 ("slash"): range 5,
 * 40 damage, 500 ms cooldown; skill 2 ("bolt"): range 2000, 10 damage,
 * 100 ms. 100 HP, respawn after 3 s.
 */
#define N_SESS	8u
#define LCORE	1u
#define SLASH	1u
#define BOLT	2u
#define RESPAWN 3000u
#define MAX_HP	100

static struct gs_control *ctl;
static struct gs_handler h;
static struct gs_session_tbl tbl;
static struct gs_world *w;
static struct combat_ctx ctx;
static struct gs_session *s[N_SESS + 1]; /* s[N]: the session owning entity N */

static uint64_t
T(uint64_t ms)
{
	return w->base_tsc + ms * w->tsc_hz / 1000u;
}

static void
setup(void)
{
	struct gs_world_rules r;

	gs_world_rules_default(&r);
	r.n_spawns = 2;
	memset(r.spawns, 0, sizeof(r.spawns));
	r.spawns[1][0] = 1000.0f;
	r.max_hp = MAX_HP;
	r.respawn_ms = RESPAWN;
	r.n_skills = 2;
	r.skills[0].range = 5.0f;
	r.skills[0].damage = 40;
	r.skills[0].cooldown_ms = 500;
	r.skills[1].range = 2000.0f;
	r.skills[1].damage = 10;
	r.skills[1].cooldown_ms = 100;
	CU_ASSERT_EQUAL_FATAL(stub_shm_create(N_SESS, N_SESS, &r, &tbl, &w), 0);
	/* four players: entities 1 to 4 */
	memset(s, 0, sizeof(s));
	for (uint32_t n = 1; n <= 4; n++) {
		struct gs_peer p = stub_peer(n);
		struct gs_session *x;

		CU_ASSERT_EQUAL_FATAL(gs_session_open(&tbl, &p, n, T(0), &x), 0);
		CU_ASSERT_FATAL(x->entity_id == n);
		s[n] = x;
	}
	stub_handler_init(&h, ctl, COMBAT_ID, 2, w->tsc_hz);
	CU_ASSERT_EQUAL_FATAL(combat_init(&ctx, &h), 0);
	stub_reset();
}

static void
teardown(void)
{
	gs_world_free();
	gs_session_tbl_free(&tbl);
}

/* An ATTACK by session @p from naming @p attacker as its entity. */
static void
attack_as(const struct gs_session *from, uint32_t attacker, uint32_t target, uint32_t skill,
	uint64_t now)
{
	Gs__Attack at = GS__ATTACK__INIT;
	struct gs_msg m;

	at.attacker = attacker;
	at.target = target;
	at.skill = skill;
	at.seq = 11;
	at.client_time_ns = 4242;
	stub_msg_of(&m, &tbl, from, GS_MSG_ATTACK, 11, now, &at.base);
	combat_burst(&ctx, LCORE, &m, 1);
}

/* Entity @p attacker, by its own session, attacks @p target. */
static void
attack(uint32_t attacker, uint32_t target, uint32_t skill, uint64_t now)
{
	attack_as(s[attacker], attacker, target, skill, now);
}

/* Reply @p i, checked to go to entity @p n's session as a message of @p type. */
static const struct stub_reply *
reply_to(unsigned int i, uint32_t n, uint8_t type)
{
	const struct stub_reply *r = &stub_replies[i];

	CU_ASSERT_FATAL(i < stub_n_replies);
	CU_ASSERT_EQUAL(r->type, type);
	CU_ASSERT_EQUAL(r->session_id, s[n]->session_id);
	CU_ASSERT_EQUAL(r->slot, gs_session_slot(&tbl, s[n]));
	CU_ASSERT_EQUAL(r->peer.ip, s[n]->peer.ip);
	CU_ASSERT_EQUAL(r->peer.port, s[n]->peer.port);
	CU_ASSERT_FALSE(r->to_connect);
	return r;
}

/* The ATTACK_RESULT (reply @p i) to entity @p n's session, unpacked. */
static Gs__AttackResult *
result_to(unsigned int i, uint32_t n)
{
	const struct stub_reply *r = reply_to(i, n, GS_MSG_ATTACK_RESULT);
	Gs__AttackResult *ar = gs__attack_result__unpack(NULL, r->len, r->payload);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ar);
	return ar;
}

/* The DAMAGED (reply @p i) to entity @p n's session, unpacked. */
static Gs__Damaged *
damaged_to(unsigned int i, uint32_t n)
{
	const struct stub_reply *r = reply_to(i, n, GS_MSG_DAMAGED);
	Gs__Damaged *d = gs__damaged__unpack(NULL, r->len, r->payload);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

/* A refusal: one reject of @p why, one ATTACK_RESULT of @p res to the attacker, no DAMAGED. */
static void
assert_refused(uint32_t attacker, enum gs_reject why, Gs__AttackResult__Result res)
{
	Gs__AttackResult *ar;

	CU_ASSERT_EQUAL(stub_rejects[why], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 1);
	CU_ASSERT_EQUAL_FATAL(stub_n_replies, 1); /* the target is told nothing */
	ar = result_to(0, attacker);
	CU_ASSERT_EQUAL(ar->result, res);
	CU_ASSERT_EQUAL(ar->damage, 0);
	gs__attack_result__free_unpacked(ar, NULL);
}

/* Entity @p n's HP as its session sees it at @p now. */
static int32_t
hp_of(uint32_t n, uint64_t now)
{
	struct gs_combat_view v;

	CU_ASSERT_EQUAL(gs_world_read_combat(w, n, s[n]->session_id, now, &v), 0);
	return v.hp;
}

static void
test_a_hit_answers_the_attacker_and_sends_damaged_to_the_target(void)
{
	Gs__AttackResult *ar;
	Gs__Damaged *d;

	setup();
	attack(2, 4, SLASH, T(1000));
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_HIT], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	CU_ASSERT_EQUAL_FATAL(stub_n_replies, 2);
	ar = result_to(0, 2);
	CU_ASSERT_EQUAL(stub_replies[0].lcore, LCORE);
	CU_ASSERT_EQUAL(stub_replies[0].rx_tsc, T(1000));
	CU_ASSERT_EQUAL(ar->result, GS__ATTACK_RESULT__RESULT__HIT);
	CU_ASSERT_EQUAL(ar->attacker, 2);
	CU_ASSERT_EQUAL(ar->target, 4);
	CU_ASSERT_EQUAL(ar->skill, SLASH);
	CU_ASSERT_EQUAL(ar->seq, 11);
	CU_ASSERT_EQUAL(ar->client_time_ns, 4242);
	CU_ASSERT_EQUAL(ar->damage, 40);
	CU_ASSERT_EQUAL(ar->target_hp, 60);
	CU_ASSERT_EQUAL(ar->cooldown_ms, 500);
	gs__attack_result__free_unpacked(ar, NULL);
	/* the target's session learns it was hit, through the same lcore */
	d = damaged_to(1, 4);
	CU_ASSERT_EQUAL(stub_replies[1].lcore, LCORE);
	CU_ASSERT_EQUAL(d->target, 4);
	CU_ASSERT_EQUAL(d->attacker, 2);
	CU_ASSERT_EQUAL(d->skill, SLASH);
	CU_ASSERT_EQUAL(d->damage, 40);
	CU_ASSERT_EQUAL(d->hp, 60);
	CU_ASSERT_FALSE(d->killed);
	CU_ASSERT_EQUAL(d->respawn_in_ms, 0);
	gs__damaged__free_unpacked(d, NULL);
	CU_ASSERT_EQUAL(ctx.damaged_sent, 1);
	CU_ASSERT_EQUAL(hp_of(4, T(1000)), 60);
	CU_ASSERT_EQUAL(hp_of(2, T(1000)), MAX_HP);
	teardown();
}

static void
test_the_hit_that_takes_the_last_hp_kills_and_says_where_it_respawns(void)
{
	Gs__AttackResult *ar;
	Gs__Damaged *d;
	float b[3];

	setup();
	attack(2, 4, SLASH, T(1000)); /* 60 left */
	attack(2, 4, SLASH, T(1500)); /* 20 left */
	CU_ASSERT_EQUAL_FATAL(ctx.results[GS_ATTACK_HIT], 2);
	stub_reset();
	attack(2, 4, SLASH, T(2000));
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_KILLED], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	CU_ASSERT_EQUAL_FATAL(stub_n_replies, 2);
	ar = result_to(0, 2);
	CU_ASSERT_EQUAL(ar->result, GS__ATTACK_RESULT__RESULT__KILLED);
	CU_ASSERT_EQUAL(ar->damage, 20); /* no more than it had */
	CU_ASSERT_EQUAL(ar->target_hp, 0);
	gs__attack_result__free_unpacked(ar, NULL);
	d = damaged_to(1, 4);
	CU_ASSERT_TRUE(d->killed);
	CU_ASSERT_EQUAL(d->damage, 20);
	CU_ASSERT_EQUAL(d->hp, 0);
	CU_ASSERT_EQUAL(d->respawn_in_ms, RESPAWN);
	gs_world_spawn_point(w, 4, 1, b); /* its next life: B */
	CU_ASSERT_EQUAL(b[0], 1000.0f);
	CU_ASSERT_EQUAL(d->respawn_x, b[0]);
	CU_ASSERT_EQUAL(d->respawn_y, b[1]);
	CU_ASSERT_EQUAL(d->respawn_z, b[2]);
	gs__damaged__free_unpacked(d, NULL);
	CU_ASSERT_EQUAL(ctx.damaged_sent, 3);
	teardown();
}

/* Dead until it respawns: neither attacked nor attacking; then back with full HP, at B. */
static void
test_a_dead_entity_respawns_with_full_hp_at_its_next_spawn_point(void)
{
	Gs__AttackResult *ar;

	setup();
	attack(2, 4, SLASH, T(1000));
	attack(2, 4, SLASH, T(1500));
	attack(2, 4, SLASH, T(2000));
	CU_ASSERT_EQUAL_FATAL(ctx.results[GS_ATTACK_KILLED], 1);
	stub_reset();
	attack(2, 4, BOLT, T(2500));
	assert_refused(2, GS_REJECT_TARGET_DEAD, GS__ATTACK_RESULT__RESULT__TARGET_DEAD);
	stub_reset();
	attack(4, 2, BOLT, T(2500));
	assert_refused(4, GS_REJECT_ATTACKER_DEAD, GS__ATTACK_RESULT__RESULT__ATTACKER_DEAD);
	CU_ASSERT_EQUAL(hp_of(4, T(4999)), 0);
	/* 3 s after the kill: alive, full HP, at B (1000 away: out of the slash's reach) */
	CU_ASSERT_EQUAL(hp_of(4, T(5000)), MAX_HP);
	stub_reset();
	attack(2, 4, SLASH, T(5000));
	assert_refused(2, GS_REJECT_OUT_OF_RANGE, GS__ATTACK_RESULT__RESULT__OUT_OF_RANGE);
	stub_reset();
	attack(2, 4, BOLT, T(5000));
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_HIT], 3);
	CU_ASSERT_EQUAL_FATAL(stub_n_replies, 2);
	ar = result_to(0, 2);
	CU_ASSERT_EQUAL(ar->target_hp, MAX_HP - 10);
	gs__attack_result__free_unpacked(ar, NULL);
	gs__damaged__free_unpacked(damaged_to(1, 4), NULL);
	teardown();
}

static void
test_an_attack_out_of_range_misses_and_changes_nothing(void)
{
	setup();
	attack(2, 3, SLASH, T(1000)); /* 3 is at B, 1000 away */
	assert_refused(2, GS_REJECT_OUT_OF_RANGE, GS__ATTACK_RESULT__RESULT__OUT_OF_RANGE);
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_OUT_OF_RANGE], 1);
	CU_ASSERT_EQUAL(ctx.damaged_sent, 0);
	CU_ASSERT_EQUAL(hp_of(3, T(1000)), MAX_HP);
	/* a miss does not start the cooldown */
	stub_reset();
	attack(2, 4, SLASH, T(1000));
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_HIT], 1);
	teardown();
}

static void
test_a_skill_in_cooldown_is_refused_with_the_time_left(void)
{
	Gs__AttackResult *ar;

	setup();
	attack(2, 4, SLASH, T(1000));
	stub_reset();
	attack(2, 4, SLASH, T(1100));
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_COOLDOWN], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 1);
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_COOLDOWN], 1);
	CU_ASSERT_EQUAL_FATAL(stub_n_replies, 1);
	ar = result_to(0, 2);
	CU_ASSERT_EQUAL(ar->result, GS__ATTACK_RESULT__RESULT__COOLDOWN);
	CU_ASSERT_EQUAL(ar->cooldown_ms, 400);
	CU_ASSERT_EQUAL(ar->damage, 0);
	gs__attack_result__free_unpacked(ar, NULL);
	CU_ASSERT_EQUAL(hp_of(4, T(1100)), 60);
	/* another skill has its own cooldown; the first is ready again at 500 ms */
	stub_reset();
	attack(2, 4, BOLT, T(1100));
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_HIT], 2);
	attack(2, 4, SLASH, T(1500));
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_HIT], 3);
	teardown();
}

/* No such player, the attacker itself, an unknown skill: refused before the world changes. */
static void
test_no_target_and_bad_skill_are_refused(void)
{
	setup();
	attack(2, 7, SLASH, T(1000)); /* entity 7: no session */
	assert_refused(2, GS_REJECT_NO_TARGET, GS__ATTACK_RESULT__RESULT__NO_TARGET);
	stub_reset();
	attack(2, 2, SLASH, T(1000));
	assert_refused(2, GS_REJECT_NO_TARGET, GS__ATTACK_RESULT__RESULT__NO_TARGET);
	stub_reset();
	attack(2, 999, SLASH, T(1000)); /* beyond the world */
	assert_refused(2, GS_REJECT_NO_TARGET, GS__ATTACK_RESULT__RESULT__NO_TARGET);
	stub_reset();
	attack(2, 4, 0, T(1000));
	assert_refused(2, GS_REJECT_BAD_SKILL, GS__ATTACK_RESULT__RESULT__BAD_SKILL);
	stub_reset();
	attack(2, 4, 3, T(1000));
	assert_refused(2, GS_REJECT_BAD_SKILL, GS__ATTACK_RESULT__RESULT__BAD_SKILL);
	/* a target whose session closed is no target either */
	CU_ASSERT_EQUAL(gs_session_close(&tbl, s[4], T(1000)), 0);
	stub_reset();
	attack(2, 4, SLASH, T(1000));
	assert_refused(2, GS_REJECT_NO_TARGET, GS__ATTACK_RESULT__RESULT__NO_TARGET);
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_HIT], 0);
	teardown();
}

static void
test_attacking_with_another_sessions_entity_is_refused(void)
{
	setup();
	attack_as(s[2], 3, 4, BOLT, T(1000)); /* session 2 names entity 3 as its own */
	assert_refused(2, GS_REJECT_NOT_OWNER, GS__ATTACK_RESULT__RESULT__NOT_OWNER);
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_NOT_OWNER], 1);
	CU_ASSERT_EQUAL(hp_of(4, T(1000)), MAX_HP);
	/* entity 3's cooldown was not started either */
	stub_reset();
	attack(3, 4, BOLT, T(1000));
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_HIT], 1);
	teardown();
}

/* A live writer (another process) holds the target's combat line: refused, retry later. */
static void
test_an_attack_on_a_line_held_by_a_live_writer_is_busy(void)
{
	setup();
	gs_world_entity(w, 4)->c.lock = (uint64_t)(uint32_t)getppid() << 32 | 1u;
	attack(2, 4, SLASH, T(1000));
	assert_refused(2, GS_REJECT_BUSY, GS__ATTACK_RESULT__RESULT__BUSY);
	CU_ASSERT_EQUAL(ctx.results[GS_ATTACK_BUSY], 1);
	gs_world_entity(w, 4)->c.lock = 0;
	teardown();
}

static void
test_an_attack_of_no_session_is_not_connected_and_not_answered(void)
{
	Gs__Attack at = GS__ATTACK__INIT;
	struct gs_peer other = stub_peer(9);
	struct gs_msg m[3];

	setup();
	at.attacker = 2;
	at.target = 4;
	at.skill = SLASH;
	stub_msg(&m[0], &s[2]->peer, GS_MSG_ATTACK, 0, 0, 1, T(1000), &at.base);
	stub_msg(&m[1], &other, GS_MSG_ATTACK, gs_session_slot(&tbl, s[2]), s[2]->session_id, 1,
		T(1000), &at.base);
	CU_ASSERT_EQUAL(gs_session_close(&tbl, s[2], T(1000)), 0);
	stub_msg_of(&m[2], &tbl, s[2], GS_MSG_ATTACK, 1, T(1000), &at.base);
	combat_burst(&ctx, LCORE, m, 3);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_NOT_CONNECTED], 3);
	CU_ASSERT_EQUAL(stub_rejects_total(), 3);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	CU_ASSERT_EQUAL(hp_of(4, T(1000)), MAX_HP);
	teardown();
}

static void
test_a_bad_type_or_payload_is_rejected_and_not_answered(void)
{
	Gs__Attack at = GS__ATTACK__INIT;
	struct gs_msg m[2];

	setup();
	at.attacker = 2;
	at.target = 4;
	at.skill = SLASH;
	stub_msg_of(&m[0], &tbl, s[2], GS_MSG_MOVE, 1, T(1000), &at.base);
	stub_msg_of(&m[1], &tbl, s[2], GS_MSG_ATTACK, 1, T(1000), NULL);
	memset(m[1].payload, 0xff, 16);
	m[1].hdr.payload_len = 16;
	combat_burst(&ctx, LCORE, m, 2);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_BAD_TYPE], 1);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_BAD_PAYLOAD], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 2);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	teardown();
}

/* gs-stats exports each outcome under its own name. */
static void
test_each_outcome_is_exported_under_its_event_name(void)
{
	static const struct {
		const char *name;
		uint64_t want;
	} ev[] = {
		{ "hits", 3 },
		{ "kills", 1 },
		{ "out_of_range", 1 },
		{ "cooldown", 1 },
		{ "attacker_dead", 1 },
		{ "target_dead", 1 },
		{ "busy", 0 },
		{ "damaged_sent", 4 },
	};

	setup();
	CU_ASSERT_EQUAL(combat_n_events, RTE_DIM(ev));
	CU_ASSERT_FATAL(combat_n_events <= GS_HANDLER_EVENTS);
	attack(2, 4, SLASH, T(1000)); /* hit: 60 left */
	attack(2, 4, SLASH, T(1100)); /* cooldown */
	attack(2, 3, BOLT, T(1100));  /* hit */
	attack(2, 4, SLASH, T(1500)); /* hit: 20 left */
	attack(2, 4, SLASH, T(2000)); /* killed */
	attack(2, 4, BOLT, T(2100));  /* target dead */
	attack(4, 2, BOLT, T(2100));  /* attacker dead */
	attack(1, 2, SLASH, T(2100)); /* 1 is at B: out of range */
	for (unsigned int i = 0; i < RTE_DIM(ev); i++)
		CU_ASSERT_EQUAL(
			stub_event(combat_events, combat_n_events, &ctx, ev[i].name), ev[i].want);
	teardown();
}

static CU_TestInfo combat_tests[] = {
	{ "a hit answers the attacker and sends damaged to the target",
		test_a_hit_answers_the_attacker_and_sends_damaged_to_the_target },
	{ "the hit that takes the last hp kills and says where it respawns",
		test_the_hit_that_takes_the_last_hp_kills_and_says_where_it_respawns },
	{ "a dead entity respawns with full hp at its next spawn point",
		test_a_dead_entity_respawns_with_full_hp_at_its_next_spawn_point },
	{ "an attack out of range misses and changes nothing",
		test_an_attack_out_of_range_misses_and_changes_nothing },
	{ "a skill in cooldown is refused with the time left",
		test_a_skill_in_cooldown_is_refused_with_the_time_left },
	{ "no target and bad skill are refused", test_no_target_and_bad_skill_are_refused },
	{ "attacking with another session's entity is refused",
		test_attacking_with_another_sessions_entity_is_refused },
	{ "an attack on a line held by a live writer is busy",
		test_an_attack_on_a_line_held_by_a_live_writer_is_busy },
	{ "an attack of no session is not_connected and not answered",
		test_an_attack_of_no_session_is_not_connected_and_not_answered },
	{ "a bad type or payload is rejected and not answered",
		test_a_bad_type_or_payload_is_rejected_and_not_answered },
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
	{ .pName = "gs-combat handler",
		.pInitFunc = suite_init,
		.pCleanupFunc = suite_fini,
		.pTests = combat_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	int ret;

	if (stub_eal_init("combat_test") < 0)
		return 1;
	ret = gs_test_run(suites);
	stub_eal_fini();
	return ret;
}
