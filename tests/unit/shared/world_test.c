/* SPDX-License-Identifier: BSD-3-Clause */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_seqlock.h"
#include "gs_test.h"
#include "gs_world.h"

/*
 * The world is plain memory (no EAL): every test builds its own with
 * aligned_alloc() and gs_world_init(). The TSC runs at 1 GHz, so one tick is
 * one nanosecond and T(ms) is world time ms after the world's base. Entity N
 * belongs to session OWNER(N); with the default rules (4 spawn points, entity
 * N in life L at spawn (N + L) mod 4) entities 1, 5, 9 and 13 start at
 * (50,-50,0), entity 2 at (50,50,0).
 */
#define HZ	  UINT64_C(1000000000)
#define MS(x)	  ((uint64_t)(x)*UINT64_C(1000000))
#define BASE	  MS(5000)
#define T(ms)	  (BASE + MS(ms))
#define N_ENT	  64u
#define OWNER(id) (1000u + (id))

static struct gs_world *w;
static struct gs_world_rules rules;
static int32_t me;

static void
world_new_with(const struct gs_world_rules *r)
{
	free(w);
	w = aligned_alloc(64, gs_world_size(N_ENT));
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	gs_world_init(w, N_ENT, r, HZ, BASE);
}

/* A world with the default rules (those of deploy/gsnet.ini). */
static void
world_new(void)
{
	gs_world_rules_default(&rules);
	world_new_with(&rules);
}

static enum gs_move_result
move_as(uint32_t id, uint32_t owner, uint32_t seq, float x, float y, float z, uint64_t now,
	float out[3])
{
	struct gs_move_req req = {
		.entity = id,
		.owner = owner,
		.seq = seq,
		.pos = { x, y, z },
		.client_time_ns = now,
		.now = now,
	};

	return gs_world_move(w, &req, me, out);
}

/* Move entity @p id as its session OWNER(id). */
static enum gs_move_result
move(uint32_t id, uint32_t seq, float x, float y, float z, uint64_t now, float out[3])
{
	return move_as(id, OWNER(id), seq, x, y, z, now, out);
}

/* Attack @p target by @p attacker with @p skill, both owned by their OWNER(). */
static enum gs_attack_result
attack(uint32_t attacker, uint32_t target, uint32_t skill, uint64_t now, struct gs_attack_out *out)
{
	struct gs_attack_req req = {
		.attacker = attacker,
		.attacker_owner = OWNER(attacker),
		.target = target,
		.target_owner = OWNER(target),
		.skill = skill,
		.now = now,
	};

	return gs_world_attack(w, &req, me, out);
}

/* Combat state of entity @p id for session @p owner at @p now. */
static struct gs_combat_view
combat_of(uint32_t id, uint32_t owner, uint64_t now)
{
	struct gs_combat_view v;

	memset(&v, 0xa5, sizeof(v));
	CU_ASSERT_EQUAL(gs_world_read_combat(w, id, owner, now, &v), 0);
	return v;
}

/* Position of entity @p id for session @p owner in its current life at @p now. */
static struct gs_move_view
where_as(uint32_t id, uint32_t owner, uint64_t now)
{
	struct gs_combat_view c = combat_of(id, owner, now);
	struct gs_move_view v;

	memset(&v, 0xa5, sizeof(v));
	CU_ASSERT_EQUAL(gs_world_read_move(w, id, owner, c.life, &v), 0);
	return v;
}

static struct gs_move_view
where(uint32_t id, uint64_t now)
{
	return where_as(id, OWNER(id), now);
}

/* The documented spawn point of entity @p id in life @p life: spawn (id + life) mod count. */
static const float *
spawn_of(uint32_t id, uint32_t life)
{
	return w->rules.spawns[(id + life) % w->rules.n_spawns];
}

#define ASSERT_POS(p, x, y, z)                                     \
	do {                                                       \
		CU_ASSERT_DOUBLE_EQUAL((p)[0], (double)(x), 1e-6); \
		CU_ASSERT_DOUBLE_EQUAL((p)[1], (double)(y), 1e-6); \
		CU_ASSERT_DOUBLE_EQUAL((p)[2], (double)(z), 1e-6); \
	} while (0)

#define ASSERT_POS_AT(p, q) ASSERT_POS(p, (q)[0], (q)[1], (q)[2])

/* A pid that no longer exists: a child that exited and was reaped. */
static int32_t
dead_pid(void)
{
	pid_t pid = fork();
	int st;

	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(0);
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
	return (int32_t)pid;
}

/* A lock word held (odd) by @p holder. */
static uint64_t
held_by(int32_t holder, uint32_t seq)
{
	return ((uint64_t)(uint32_t)holder << 32) | (seq | 1u);
}

static double
elapsed_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* --- move validation --------------------------------------------------------------------- */

static void
test_accepted_move_updates_the_position_and_read_move_shows_it(void)
{
	struct gs_move_view v;
	float out[3];

	world_new();
	v = where(1, T(0));
	CU_ASSERT_TRUE(v.fresh);
	ASSERT_POS(v.pos, 50, -50, 0);
	CU_ASSERT_EQUAL(v.seq, 0);
	CU_ASSERT_EQUAL(v.tsc, 0);

	CU_ASSERT_EQUAL(move(1, 1, 51, -50, 0.5f, T(10), out), GS_MOVE_ACCEPTED);
	ASSERT_POS(out, 51, -50, 0.5f);
	v = where(1, T(10));
	CU_ASSERT_FALSE(v.fresh);
	ASSERT_POS(v.pos, 51, -50, 0.5f);
	CU_ASSERT_EQUAL(v.seq, 1);
	CU_ASSERT_EQUAL(v.moves, 1);
	CU_ASSERT_EQUAL(v.tsc, T(10));

	/* 4 units in 500 ms: 8 units/s along x */
	CU_ASSERT_EQUAL(move(1, 2, 55, -50, 0.5f, T(510), out), GS_MOVE_ACCEPTED);
	ASSERT_POS(out, 55, -50, 0.5f);
	v = where(1, T(510));
	ASSERT_POS(v.pos, 55, -50, 0.5f);
	CU_ASSERT_EQUAL(v.seq, 2);
	CU_ASSERT_EQUAL(v.moves, 2);
	CU_ASSERT_EQUAL(v.tsc, T(510));
	ASSERT_POS(v.vel, 8, 0, 0);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 1, OWNER(1)), T(510));
}

static void
test_out_of_bounds_on_each_axis_nan_and_inf_are_refused_position_unchanged(void)
{
	const float bad[][3] = {
		{ 10000.01f, 0, 0 },
		{ -10000.01f, 0, 0 },
		{ 0, 10000.01f, 0 },
		{ 0, -10000.01f, 0 },
		{ 0, 0, 1000.01f },
		{ 0, 0, -1000.01f },
		{ NAN, 0, 0 },
		{ 0, NAN, 0 },
		{ 0, 0, NAN },
		{ INFINITY, 0, 0 },
		{ 0, -INFINITY, 0 },
		{ 0, 0, INFINITY },
	};
	struct gs_move_view v;
	float out[3];

	/* so fast that only the bounds can refuse a move */
	gs_world_rules_default(&rules);
	rules.max_speed = 1e9f;
	world_new_with(&rules);

	/* the bounds are inclusive */
	CU_ASSERT_EQUAL(move(1, 1, 10000, -10000, 1000, T(0), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(move(1, 2, -10000, 10000, -1000, T(100), out), GS_MOVE_ACCEPTED);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(move(1, 3 + i, bad[i][0], bad[i][1], bad[i][2], T(200 + i), out),
			GS_MOVE_OUT_OF_BOUNDS);
		ASSERT_POS(out, -10000, 10000, -1000);
	}
	v = where(1, T(300));
	ASSERT_POS(v.pos, -10000, 10000, -1000);
	CU_ASSERT_EQUAL(v.seq, 2);
	CU_ASSERT_EQUAL(v.moves, 2);
	/* a refused move does not use its sequence up */
	CU_ASSERT_EQUAL(move(1, 3, 0, 0, 0, T(300), out), GS_MOVE_ACCEPTED);
	ASSERT_POS(where(1, T(300)).pos, 0, 0, 0);
}

static void
test_too_fast_move_is_refused_position_unchanged(void)
{
	struct gs_move_view v;
	float out[3];

	world_new();
	CU_ASSERT_EQUAL(move(1, 1, 52, -50, 0, T(0), out), GS_MOVE_ACCEPTED);
	/* 400 ms + 100 ms slack at 20 units/s: 10 units */
	CU_ASSERT_EQUAL(move(1, 2, 62.01f, -50, 0, T(400), out), GS_MOVE_TOO_FAST);
	ASSERT_POS(out, 52, -50, 0);
	CU_ASSERT_EQUAL(move(1, 2, 52, -50, 10.01f, T(400), out), GS_MOVE_TOO_FAST);
	ASSERT_POS(out, 52, -50, 0);
	CU_ASSERT_EQUAL(move(1, 2, 46, -42, 0.01f, T(400), out), GS_MOVE_TOO_FAST);
	ASSERT_POS(out, 52, -50, 0);
	v = where(1, T(400));
	ASSERT_POS(v.pos, 52, -50, 0);
	CU_ASSERT_EQUAL(v.seq, 1);
	CU_ASSERT_EQUAL(v.tsc, T(0));
}

static void
test_move_exactly_at_the_speed_limit_is_accepted(void)
{
	float out[3];

	world_new();
	/* fresh: the slack only, 100 ms at 20 units/s = 2 units from the spawn point */
	CU_ASSERT_EQUAL(move(1, 1, 52, -50, 0, T(0), out), GS_MOVE_ACCEPTED);
	/* (400 + 100) ms at 20 units/s = 10 units */
	CU_ASSERT_EQUAL(move(1, 2, 62, -50, 0, T(400), out), GS_MOVE_ACCEPTED);
	ASSERT_POS(out, 62, -50, 0);
	/* (150 + 100) ms: 5 units, here a 3-4-5 diagonal */
	CU_ASSERT_EQUAL(move(1, 3, 65, -46, 0, T(550), out), GS_MOVE_ACCEPTED);
	ASSERT_POS(where(1, T(550)).pos, 65, -46, 0);
}

static void
test_more_time_allows_more_distance(void)
{
	float out[3];

	world_new();
	CU_ASSERT_EQUAL(move(1, 1, 50, -48, 0, T(0), out), GS_MOVE_ACCEPTED);
	/* 20 units: (800 + 100) ms allow 18, (1000 + 100) ms allow 22 */
	CU_ASSERT_EQUAL(move(1, 2, 50, -28, 0, T(800), out), GS_MOVE_TOO_FAST);
	ASSERT_POS(out, 50, -48, 0);
	CU_ASSERT_EQUAL(move(1, 3, 50, -28, 0, T(1000), out), GS_MOVE_ACCEPTED);
	ASSERT_POS(out, 50, -28, 0);
	ASSERT_POS(where(1, T(1000)).pos, 50, -28, 0);
}

static void
test_silence_saves_up_no_distance_beyond_max_move_gap(void)
{
	struct gs_move_view cur = { .pos = { 0, 0, 0 }, .seq = 3, .tsc = MS(1000) };
	const float p22[3] = { 22, 0, 0 }, p22x[3] = { 22.01f, 0, 0 }, p100[3] = { 100, 0, 0 };
	float out[3];

	/* (1000 + 100) ms at 20 units/s: 22 units, however long the client was silent */
	gs_world_rules_default(&rules);
	CU_ASSERT_EQUAL(rules.max_move_gap_ms, 1000);
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 4, p22, MS(2000)), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 4, p22x, MS(2000)), GS_MOVE_TOO_FAST);
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 4, p22, MS(60000)), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 4, p22x, MS(60000)), GS_MOVE_TOO_FAST);
	CU_ASSERT_EQUAL(
		gs_move_check(&rules, HZ, &cur, 4, p100, MS(1000) + 3600 * HZ), GS_MOVE_TOO_FAST);
	/* the cap is the rules': 5 s allow (5000 + 100) ms, 102 units */
	rules.max_move_gap_ms = 5000;
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 4, p100, MS(60000)), GS_MOVE_ACCEPTED);

	/* through the world: an hour's silence, then a 100-unit jump, refused */
	world_new();
	CU_ASSERT_EQUAL(move(1, 1, 51, -50, 0, T(0), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(move(1, 2, 151, -50, 0, T(3600000), out), GS_MOVE_TOO_FAST);
	ASSERT_POS(out, 51, -50, 0);
	CU_ASSERT_EQUAL(move(1, 2, 73, -50, 0, T(3600000), out), GS_MOVE_ACCEPTED);
}

static void
test_stale_and_duplicate_seq_are_ignored_position_unchanged(void)
{
	struct gs_move_view v;
	float out[3];

	world_new();
	CU_ASSERT_EQUAL(move(1, 5, 51, -50, 0, T(0), out), GS_MOVE_ACCEPTED);
	/* the same sequence again, then an older one: both valid moves, both ignored */
	CU_ASSERT_EQUAL(move(1, 5, 52, -50, 0, T(100), out), GS_MOVE_STALE);
	ASSERT_POS(out, 51, -50, 0);
	CU_ASSERT_EQUAL(move(1, 4, 52, -50, 0, T(100), out), GS_MOVE_STALE);
	ASSERT_POS(out, 51, -50, 0);
	v = where(1, T(100));
	ASSERT_POS(v.pos, 51, -50, 0);
	CU_ASSERT_EQUAL(v.seq, 5);
	CU_ASSERT_EQUAL(v.moves, 1);
	CU_ASSERT_EQUAL(v.tsc, T(0));
	CU_ASSERT_EQUAL(move(1, 6, 52, -50, 0, T(100), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(where(1, T(100)).seq, 6);
}

static void
test_seq_0_on_a_fresh_entity_is_stale(void)
{
	struct gs_move_view v;
	float out[3];

	world_new();
	CU_ASSERT_EQUAL(move(1, 0, 51, -50, 0, T(0), out), GS_MOVE_STALE);
	ASSERT_POS(out, 50, -50, 0);
	v = where(1, T(0));
	CU_ASSERT_TRUE(v.fresh);
	ASSERT_POS(v.pos, 50, -50, 0);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 1, OWNER(1)), 0);
}

static void
test_first_move_is_measured_from_the_spawn_point_with_the_slack_only(void)
{
	float out[3];

	world_new();
	/* however late the first move comes, only the 100 ms slack counts: 2 units */
	CU_ASSERT_EQUAL(move(1, 1, 52.01f, -50, 0, T(60000), out), GS_MOVE_TOO_FAST);
	ASSERT_POS(out, 50, -50, 0);
	CU_ASSERT_EQUAL(move(1, 1, 0, 0, 0, T(60000), out), GS_MOVE_TOO_FAST);
	ASSERT_POS(out, 50, -50, 0);
	CU_ASSERT_TRUE(where(1, T(60000)).fresh);
	CU_ASSERT_EQUAL(move(1, 1, 50, -52, 0, T(60000), out), GS_MOVE_ACCEPTED);
	ASSERT_POS(out, 50, -52, 0);
	/* entity 2 starts elsewhere: its own spawn point, (50,50,0) */
	CU_ASSERT_EQUAL(move(2, 1, 50, -52, 0, T(60000), out), GS_MOVE_TOO_FAST);
	ASSERT_POS(out, 50, 50, 0);
	CU_ASSERT_EQUAL(move(2, 1, 48, 50, 0, T(60000), out), GS_MOVE_ACCEPTED);
}

static void
test_move_line_of_another_owner_reads_fresh_at_the_spawn_point(void)
{
	const uint32_t new_owner = 7777;
	struct gs_move_view v;
	float out[3];

	world_new();
	CU_ASSERT_EQUAL(move(1, 40, 52, -50, 0, T(0), out), GS_MOVE_ACCEPTED);
	/* a new session gets entity 1: it is at the spawn point, nothing of the old one */
	v = where_as(1, new_owner, T(100));
	CU_ASSERT_TRUE(v.fresh);
	ASSERT_POS(v.pos, 50, -50, 0);
	CU_ASSERT_EQUAL(v.seq, 0);
	CU_ASSERT_EQUAL(v.moves, 0);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 1, new_owner), 0);
	/* its sequence starts over, and its first move is measured from the spawn point */
	CU_ASSERT_EQUAL(move_as(1, new_owner, 1, 53, -50, 0, T(100), out), GS_MOVE_TOO_FAST);
	ASSERT_POS(out, 50, -50, 0);
	CU_ASSERT_EQUAL(move_as(1, new_owner, 1, 51, -50, 0, T(100), out), GS_MOVE_ACCEPTED);
	v = where_as(1, new_owner, T(100));
	CU_ASSERT_FALSE(v.fresh);
	ASSERT_POS(v.pos, 51, -50, 0);
	CU_ASSERT_EQUAL(v.seq, 1);
	/* and the old session's line is gone for good */
	CU_ASSERT_TRUE(where(1, T(100)).fresh);
}

/* Rules where one slash (25) kills (max_hp 25); entity 5 killed by 1 at T(@p at). */
static void
world_with_entity_5_killed_at(uint64_t at)
{
	struct gs_attack_out ao;

	gs_world_rules_default(&rules);
	rules.max_hp = 25;
	world_new_with(&rules);
	CU_ASSERT_EQUAL_FATAL(attack(1, 5, 1, T(at), &ao), GS_ATTACK_KILLED);
}

static void
test_dead_entity_move_is_dead_and_out_pos_is_its_respawn_point(void)
{
	struct gs_attack_out ao;
	float out[3];

	gs_world_rules_default(&rules);
	rules.max_hp = 25;
	world_new_with(&rules);
	CU_ASSERT_EQUAL(move(5, 1, 51, -50, 0, T(0), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL_FATAL(attack(1, 5, 1, T(1000), &ao), GS_ATTACK_KILLED);
	CU_ASSERT_EQUAL(move(5, 2, 51.5f, -50, 0, T(1500), out), GS_MOVE_DEAD);
	ASSERT_POS(out, 50, 50, 0);
	ASSERT_POS_AT(out, spawn_of(5, 1));
	ASSERT_POS_AT(out, ao.respawn_pos);
	/* until the very end of the respawn time */
	CU_ASSERT_EQUAL(move(5, 3, 51.5f, -50, 0, T(3999), out), GS_MOVE_DEAD);
	ASSERT_POS(out, 50, 50, 0);
}

static void
test_after_respawn_the_entity_is_fresh_at_the_new_lifes_spawn_point(void)
{
	struct gs_move_view v;
	float out[3];

	world_with_entity_5_killed_at(1000);
	v = where(5, T(4000));
	CU_ASSERT_TRUE(v.fresh);
	ASSERT_POS(v.pos, 50, 50, 0);
	/* its old spot is far away now; the slack-only first move is measured from (50,50,0) */
	CU_ASSERT_EQUAL(move(5, 10, 50, -50, 0, T(4000), out), GS_MOVE_TOO_FAST);
	ASSERT_POS(out, 50, 50, 0);
	CU_ASSERT_EQUAL(move(5, 10, 51, 50, 0, T(4000), out), GS_MOVE_ACCEPTED);
	ASSERT_POS(out, 51, 50, 0);
	v = where(5, T(4000));
	CU_ASSERT_FALSE(v.fresh);
	ASSERT_POS(v.pos, 51, 50, 0);
	CU_ASSERT_EQUAL(v.moves, 1);
}

static void
test_move_check_alone_applies_the_same_rules(void)
{
	struct gs_move_view cur = { .pos = { 0, 0, 0 }, .seq = 3, .tsc = MS(1000) };
	const float p5[3] = { 3, 4, 0 }, p5x[3] = { 3, 4, 0.01f }, far[3] = { 20000, 0, 0 };

	gs_world_rules_default(&rules);
	/* (150 + 100) ms at 20 units/s: 5 units */
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 4, p5, MS(1150)), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 4, p5x, MS(1150)), GS_MOVE_TOO_FAST);
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 3, p5, MS(1150)), GS_MOVE_STALE);
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 4, far, MS(1150)), GS_MOVE_OUT_OF_BOUNDS);
	/* a clock that went back gives the slack only: 2 units */
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 4, p5, MS(500)), GS_MOVE_TOO_FAST);
	cur.fresh = true;
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 1, p5, MS(5000)), GS_MOVE_TOO_FAST);
	CU_ASSERT_EQUAL(gs_move_check(&rules, HZ, &cur, 0, p5, MS(5000)), GS_MOVE_STALE);
}

static void
test_unknown_entity_is_enoent_and_its_move_refused(void)
{
	struct gs_combat_view c;
	struct gs_move_view v;
	float out[3];

	world_new();
	CU_ASSERT_EQUAL(gs_world_read_move(w, 0, 1, 0, &v), -ENOENT);
	CU_ASSERT_EQUAL(gs_world_read_move(w, N_ENT + 1, 1, 0, &v), -ENOENT);
	CU_ASSERT_EQUAL(gs_world_read_combat(w, 0, 1, T(0), &c), -ENOENT);
	CU_ASSERT_EQUAL(gs_world_read_combat(w, N_ENT + 1, 1, T(0), &c), -ENOENT);
	CU_ASSERT_EQUAL(move(0, 1, 0, 0, 0, T(0), out), GS_MOVE_OUT_OF_BOUNDS);
	CU_ASSERT_EQUAL(move(N_ENT + 1, 1, 0, 0, 0, T(0), out), GS_MOVE_OUT_OF_BOUNDS);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 0, 1), 0);
	/* the last entity is there */
	CU_ASSERT_EQUAL(gs_world_read_move(w, N_ENT, OWNER(N_ENT), 0, &v), 0);
	CU_ASSERT_TRUE(v.fresh);
}

static void
test_spawn_points_rotate_with_entity_and_life(void)
{
	float p[3];

	world_new();
	gs_world_spawn_point(w, 1, 0, p);
	ASSERT_POS(p, 50, -50, 0);
	gs_world_spawn_point(w, 1, 1, p);
	ASSERT_POS(p, 50, 50, 0);
	gs_world_spawn_point(w, 1, 3, p);
	ASSERT_POS(p, -50, -50, 0);
	gs_world_spawn_point(w, 4, 0, p);
	ASSERT_POS(p, -50, -50, 0);
	/* no spawn points at all: the origin */
	w->rules.n_spawns = 0;
	gs_world_spawn_point(w, 1, 0, p);
	ASSERT_POS(p, 0, 0, 0);
}

static void
test_result_names_are_those_of_the_counters(void)
{
	CU_ASSERT_STRING_EQUAL(gs_move_result_str(GS_MOVE_ACCEPTED), "accepted");
	CU_ASSERT_STRING_EQUAL(gs_move_result_str(GS_MOVE_TOO_FAST), "too_fast");
	CU_ASSERT_STRING_EQUAL(gs_move_result_str(GS_MOVE_RESULT_MAX), "?");
	CU_ASSERT_STRING_EQUAL(gs_attack_result_str(GS_ATTACK_OUT_OF_RANGE), "out_of_range");
	CU_ASSERT_STRING_EQUAL(gs_attack_result_str(GS_ATTACK_BUSY), "busy");
	CU_ASSERT_STRING_EQUAL(gs_attack_result_str(GS_ATTACK_RESULT_MAX), "?");
}

/* --- combat ------------------------------------------------------------------------------ */

static void
test_hit_within_range_applies_damage_and_returns_target_hp(void)
{
	struct gs_attack_out ao;
	struct gs_combat_view c;

	world_new();
	/* 1 and 5 share a spawn point: distance 0 */
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(0), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(ao.damage, 25);
	CU_ASSERT_EQUAL(ao.target_hp, 75);
	CU_ASSERT_EQUAL(ao.cooldown_ms, 500);
	c = combat_of(5, OWNER(5), T(1));
	CU_ASSERT_TRUE(c.alive);
	CU_ASSERT_EQUAL(c.hp, 75);
	CU_ASSERT_EQUAL(c.life, 0);
	CU_ASSERT_EQUAL(c.tsc, T(0));
	/* the attacker is untouched */
	c = combat_of(1, OWNER(1), T(1));
	CU_ASSERT_EQUAL(c.hp, 100);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 1, OWNER(1)), T(0));
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 5, OWNER(5)), T(0));
	/* fireball: 15 more */
	CU_ASSERT_EQUAL(attack(1, 5, 2, T(0), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(ao.damage, 15);
	CU_ASSERT_EQUAL(ao.target_hp, 60);
	CU_ASSERT_EQUAL(ao.cooldown_ms, 1500);
}

static void
test_out_of_range_is_a_miss_that_changes_nothing(void)
{
	struct gs_attack_out ao;

	world_new();
	/* 1 at (50,-50,0), 2 at (50,50,0): 100 units, beyond slash (5) and fireball (30) */
	CU_ASSERT_EQUAL(attack(1, 2, 1, T(0), &ao), GS_ATTACK_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(ao.damage, 0);
	CU_ASSERT_EQUAL(ao.cooldown_ms, 0);
	CU_ASSERT_EQUAL(attack(1, 2, 2, T(0), &ao), GS_ATTACK_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(combat_of(2, OWNER(2), T(0)).hp, 100);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 2, OWNER(2)), 0);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 1, OWNER(1)), 0);
	/* no cooldown consumed: the same skill at once on a target in range hits */
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(0), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(attack(1, 5, 2, T(0), &ao), GS_ATTACK_HIT);
}

static void
test_second_attack_before_the_cooldown_is_refused_then_accepted_after_it(void)
{
	struct gs_attack_out ao;

	world_new();
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(0), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(100), &ao), GS_ATTACK_COOLDOWN);
	CU_ASSERT(ao.cooldown_ms > 0 && ao.cooldown_ms <= 501);
	CU_ASSERT_EQUAL(ao.damage, 0);
	CU_ASSERT_EQUAL(ao.target_hp, 75);
	CU_ASSERT_EQUAL(combat_of(5, OWNER(5), T(100)).hp, 75);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(499), &ao), GS_ATTACK_COOLDOWN);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(600), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(ao.target_hp, 50);
}

static void
test_cooldown_left_is_the_reported_cooldown_minus_the_time_elapsed(void)
{
	enum gs_attack_result r;
	struct gs_attack_out ao;

	world_new();
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(0), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(ao.cooldown_ms, 500);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(100), &ao), GS_ATTACK_COOLDOWN);
	CU_ASSERT_EQUAL(ao.cooldown_ms, 400);
	/* a client that waits the cooldown_ms it was told is not refused */
	r = attack(1, 5, 1, T(500), &ao);
	CU_ASSERT_EQUAL(r, GS_ATTACK_HIT);
	if (r != GS_ATTACK_HIT)
		fprintf(stderr, "\n    500 ms after a 500 ms cooldown: %s, %u ms left ",
			gs_attack_result_str(r), ao.cooldown_ms);
}

static void
test_cooldown_is_per_attacker_and_per_skill(void)
{
	struct gs_attack_out ao;

	world_new();
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(0), &ao), GS_ATTACK_HIT);
	/* another attacker is not on 1's cooldown */
	CU_ASSERT_EQUAL(attack(9, 5, 1, T(0), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(ao.target_hp, 50);
	/* nor is 1's other skill */
	CU_ASSERT_EQUAL(attack(1, 5, 2, T(0), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(ao.target_hp, 35);
	/* the target's own skills are ready too */
	CU_ASSERT_EQUAL(attack(5, 1, 1, T(0), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(1), &ao), GS_ATTACK_COOLDOWN);
	CU_ASSERT_EQUAL(attack(9, 5, 1, T(1), &ao), GS_ATTACK_COOLDOWN);
}

static void
test_killing_blow_is_clipped_to_the_hp_left_and_kills(void)
{
	struct gs_attack_out ao;
	struct gs_combat_view c;

	gs_world_rules_default(&rules);
	rules.max_hp = 30;
	world_new_with(&rules);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(0), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(ao.target_hp, 5);
	CU_ASSERT_EQUAL(attack(9, 5, 1, T(10), &ao), GS_ATTACK_KILLED);
	CU_ASSERT_EQUAL(ao.damage, 5);
	CU_ASSERT_EQUAL(ao.target_hp, 0);
	CU_ASSERT_EQUAL(ao.respawn_ms, 3000);
	/* life 1 of entity 5: spawn (5 + 1) mod 4 = (50,50,0) */
	ASSERT_POS(ao.respawn_pos, 50, 50, 0);
	c = combat_of(5, OWNER(5), T(11));
	CU_ASSERT_FALSE(c.alive);
	CU_ASSERT_EQUAL(c.hp, 0);
	CU_ASSERT_EQUAL(c.life, 1);
	CU_ASSERT_EQUAL(c.respawn_tsc, T(3010));
}

static void
test_attacks_on_a_dead_target_are_target_dead(void)
{
	struct gs_attack_out ao;

	world_with_entity_5_killed_at(0);
	CU_ASSERT_EQUAL(attack(9, 5, 1, T(1000), &ao), GS_ATTACK_TARGET_DEAD);
	CU_ASSERT_EQUAL(ao.damage, 0);
	CU_ASSERT_EQUAL(ao.target_hp, 0);
	CU_ASSERT_EQUAL(ao.respawn_ms, 2000);
	ASSERT_POS(ao.respawn_pos, 50, 50, 0);
	/* the refusal took no cooldown: 9 slashes 13 (same spawn point) at once */
	CU_ASSERT_EQUAL(attack(9, 13, 1, T(1000), &ao), GS_ATTACK_KILLED);
	CU_ASSERT_EQUAL(attack(9, 5, 2, T(2999), &ao), GS_ATTACK_TARGET_DEAD);
	CU_ASSERT_EQUAL(ao.respawn_ms, 1);
}

static void
test_dead_attacker_is_attacker_dead(void)
{
	struct gs_attack_out ao;

	world_with_entity_5_killed_at(0);
	CU_ASSERT_EQUAL(attack(5, 1, 1, T(1000), &ao), GS_ATTACK_ATTACKER_DEAD);
	CU_ASSERT_EQUAL(ao.damage, 0);
	CU_ASSERT_EQUAL(combat_of(1, OWNER(1), T(1000)).hp, 25);
	CU_ASSERT_EQUAL(attack(5, 9, 2, T(2999), &ao), GS_ATTACK_ATTACKER_DEAD);
}

static void
test_after_respawn_ms_the_target_is_alive_with_max_hp_at_its_next_spawn_point(void)
{
	struct gs_attack_out ao;
	struct gs_combat_view c;
	struct gs_move_view v;

	world_with_entity_5_killed_at(1000);
	CU_ASSERT_FALSE(combat_of(5, OWNER(5), T(3999)).alive);
	c = combat_of(5, OWNER(5), T(4000));
	CU_ASSERT_TRUE(c.alive);
	CU_ASSERT_EQUAL(c.hp, 25);
	CU_ASSERT_EQUAL(c.life, 1);
	v = where(5, T(4000));
	CU_ASSERT_TRUE(v.fresh);
	ASSERT_POS_AT(v.pos, spawn_of(5, 1));
	/* it is there: 1 (at the old spot) misses, 2 (at (50,50,0)) hits full HP */
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(4000), &ao), GS_ATTACK_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(attack(2, 5, 1, T(4000), &ao), GS_ATTACK_KILLED);
	CU_ASSERT_EQUAL(ao.damage, 25);
	/* second death: life 2, spawn (5 + 2) mod 4 */
	ASSERT_POS_AT(ao.respawn_pos, spawn_of(5, 2));
	CU_ASSERT_EQUAL(combat_of(5, OWNER(5), T(4001)).life, 2);
}

static void
test_bad_skill_is_refused_and_changes_nothing(void)
{
	struct gs_attack_out ao;

	world_new();
	CU_ASSERT_EQUAL(attack(1, 5, 0, T(0), &ao), GS_ATTACK_BAD_SKILL);
	CU_ASSERT_EQUAL(attack(1, 5, 3, T(0), &ao), GS_ATTACK_BAD_SKILL);
	CU_ASSERT_EQUAL(attack(1, 5, UINT32_MAX, T(0), &ao), GS_ATTACK_BAD_SKILL);
	CU_ASSERT_EQUAL(ao.damage, 0);
	CU_ASSERT_EQUAL(combat_of(5, OWNER(5), T(0)).hp, 100);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 1, OWNER(1)), 0);
}

static void
test_self_attack_and_absent_target_are_no_target(void)
{
	struct gs_attack_req req = {
		.attacker = 1,
		.attacker_owner = OWNER(1),
		.target = 5,
		.target_owner = 0, /* no player on entity 5 */
		.skill = 1,
		.now = T(0),
	};
	struct gs_attack_out ao;

	world_new();
	CU_ASSERT_EQUAL(attack(1, 1, 1, T(0), &ao), GS_ATTACK_NO_TARGET);
	CU_ASSERT_EQUAL(gs_world_attack(w, &req, me, &ao), GS_ATTACK_NO_TARGET);
	CU_ASSERT_EQUAL(attack(1, 0, 1, T(0), &ao), GS_ATTACK_NO_TARGET);
	CU_ASSERT_EQUAL(attack(1, N_ENT + 1, 1, T(0), &ao), GS_ATTACK_NO_TARGET);
	CU_ASSERT_EQUAL(attack(0, 5, 1, T(0), &ao), GS_ATTACK_NOT_OWNER);
	CU_ASSERT_EQUAL(combat_of(1, OWNER(1), T(0)).hp, 100);
	CU_ASSERT_EQUAL(combat_of(5, OWNER(5), T(0)).hp, 100);
	/* none of them took the cooldown */
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(0), &ao), GS_ATTACK_HIT);
}

static void
test_range_uses_the_positions_gs_move_wrote(void)
{
	struct gs_attack_out ao;
	float out[3];

	world_new();
	/* 5 walks away from 1 (both start at (50,-50,0)): 20 units */
	CU_ASSERT_EQUAL(move(5, 1, 52, -50, 0, T(0), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(move(5, 2, 70, -50, 0, T(1000), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(1000), &ao), GS_ATTACK_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(combat_of(5, OWNER(5), T(1000)).hp, 100);
	/* fireball reaches 30 */
	CU_ASSERT_EQUAL(attack(1, 5, 2, T(1000), &ao), GS_ATTACK_HIT);
	/* 1 follows to within 5: the slash hits */
	CU_ASSERT_EQUAL(move(1, 1, 52, -50, 0, T(1000), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(move(1, 2, 65, -50, 0, T(2000), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(2000), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(ao.target_hp, 60);
	/* the attacker's own move counts the same way: 1 walks off */
	CU_ASSERT_EQUAL(move(1, 3, 50, -50, 0, T(3000), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(3000), &ao), GS_ATTACK_OUT_OF_RANGE);
}

static void
test_new_session_on_an_entity_starts_with_full_hp(void)
{
	struct gs_attack_req req = {
		.attacker = 1,
		.attacker_owner = OWNER(1),
		.target = 5,
		.target_owner = 7777,
		.skill = 2,
		.now = T(0),
	};
	struct gs_attack_out ao;
	struct gs_combat_view c;

	world_with_entity_5_killed_at(0);
	/* the dead player left; session 7777 now owns entity 5: alive, full HP, life 0 */
	c = combat_of(5, 7777, T(1));
	CU_ASSERT_TRUE(c.alive);
	CU_ASSERT_EQUAL(c.hp, 25);
	CU_ASSERT_EQUAL(c.life, 0);
	CU_ASSERT_EQUAL(c.tsc, 0);
	CU_ASSERT_EQUAL(gs_world_attack(w, &req, me, &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(ao.target_hp, 10);
	CU_ASSERT_EQUAL(combat_of(5, 7777, T(1)).hp, 10);
}

/*
 * A session id that comes back (a slot's generation is random): session A
 * moved and was killed, its slot passed through B, then C drew A's id. What
 * gs-session does at C's open, gs_world_release(), leaves C nothing of A's:
 * spawn point, move sequence from 0, full HP.
 */
static void
test_a_session_id_that_comes_back_inherits_nothing_once_released(void)
{
	struct gs_move_view v;
	float out[3];

	world_with_entity_5_killed_at(0);
	CU_ASSERT_EQUAL(move_as(1, OWNER(1), 1, 51, -50, 0, T(10), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_FALSE(combat_of(5, OWNER(5), T(1)).alive); /* A (entity 5) is dead */
	CU_ASSERT_FALSE(where_as(1, OWNER(1), T(20)).fresh);
	/* C has A's ids; without the release it would be dead and at A's position */
	CU_ASSERT_EQUAL(gs_world_release(w, 5, me), 0);
	CU_ASSERT_EQUAL(gs_world_release(w, 1, me), 0);
	CU_ASSERT_TRUE(combat_of(5, OWNER(5), T(1)).alive);
	CU_ASSERT_EQUAL(combat_of(5, OWNER(5), T(1)).hp, 25);
	v = where_as(1, OWNER(1), T(20));
	CU_ASSERT_TRUE(v.fresh);
	CU_ASSERT_EQUAL(v.seq, 0);
	/* its first move, sequence 1, is not taken for stale */
	CU_ASSERT_EQUAL(move_as(1, OWNER(1), 1, 51, -50, 0, T(30), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(gs_world_release(w, 0xffffffffu, me), -EINVAL);
}

static void
test_last_activity_is_the_latest_move_or_combat_of_the_session(void)
{
	struct gs_attack_out ao;
	float out[3];

	world_new();
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 5, OWNER(5)), 0);
	CU_ASSERT_EQUAL(move(5, 1, 51, -50, 0, T(100), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 5, OWNER(5)), T(100));
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(200), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 5, OWNER(5)), T(200));
	CU_ASSERT_EQUAL(move(5, 2, 51, -49, 0, T(300), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 5, OWNER(5)), T(300));
	CU_ASSERT_EQUAL(gs_world_last_activity(w, 5, 7777), 0);
}

static void
test_cooldown_still_works_after_the_world_clock_passes_2_pow_32_ms(void)
{
	const uint64_t wrap = UINT64_C(1) << 32; /* world ms: about 49.7 days */
	enum gs_attack_result r;
	struct gs_attack_out ao;

	world_new();
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(wrap - 1000), &ao), GS_ATTACK_HIT);
	/* a slash just before the mark puts the skill on cooldown */
	CU_ASSERT_EQUAL(attack(9, 13, 1, T(wrap - 100), &ao), GS_ATTACK_HIT);
	r = attack(9, 13, 1, T(wrap - 50), &ao);
	CU_ASSERT_EQUAL(r, GS_ATTACK_COOLDOWN);
	if (r != GS_ATTACK_COOLDOWN)
		fprintf(stderr, "\n    50 ms after a slash at 2^32 - 100 ms: %s ",
			gs_attack_result_str(r));
	/* two seconds after 1's slash, across the mark: its 500 ms cooldown is long over */
	r = attack(1, 5, 1, T(wrap + 1000), &ao);
	CU_ASSERT_EQUAL(r, GS_ATTACK_HIT);
	if (r != GS_ATTACK_HIT)
		fprintf(stderr, "\n    2 s after a slash at 2^32 - 1000 ms: %s, %u ms left ",
			gs_attack_result_str(r), ao.cooldown_ms);
}

/* --- sequence locks ---------------------------------------------------------------------- */

/*
 * A writer and a reader of entity 1's move line. The reader reads for RACE_S,
 * then on until it has seen the writer move on, RACE_MAX_S or RACE_ITERS reads
 * at most: when the two threads share one CPU (the other one busy, as on a
 * loaded 2-vCPU machine), the reader can spend its first time slices finding
 * the line locked by a preempted writer, or the same value in each.
 */
#define RACE_S	   0.2
#define RACE_MAX_S 10.0
#define RACE_ITERS 50000000u

struct race {
	int use_world_move; /* writer: gs_world_move, or the lock and the line by hand */
	volatile int stop;
	uint64_t writes, write_errors;
	uint64_t reads, busy, torn, fresh, backwards, distinct;
};

static void *
race_writer(void *arg)
{
	struct race *r = arg;
	struct gs_entity *e = gs_world_entity(w, 1);
	float out[3];

	for (uint32_t k = 1; !__atomic_load_n(&r->stop, __ATOMIC_RELAXED); k++) {
		float f = (float)(k % 1000u);

		if (r->use_world_move) {
			if (move(1, k, f, f, f, T(k), out) != GS_MOVE_ACCEPTED)
				r->write_errors++;
		} else {
			if (gs_seq_write_lock(&e->m.lock, me, GS_SEQ_WRITE_SPINS) != 0) {
				r->write_errors++;
				continue;
			}
			/* one coordinate at a time, a pause between: a torn read is likely */
			e->m.owner = OWNER(1);
			e->m.seq = k;
			*(volatile float *)&e->m.pos[0] = f;
			GS_CPU_PAUSE();
			*(volatile float *)&e->m.pos[1] = f;
			GS_CPU_PAUSE();
			*(volatile float *)&e->m.pos[2] = f;
			gs_seq_write_unlock(&e->m.lock);
		}
		r->writes++;
	}
	return NULL;
}

static void *
race_reader(void *arg)
{
	struct race *r = arg;
	struct timespec t0;
	uint32_t last = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0; i < RACE_ITERS; i++) {
		struct gs_move_view v;

		if ((i & 1023u) == 0) {
			double t = elapsed_s(&t0);

			if (t > RACE_MAX_S || (t > RACE_S && r->distinct >= 2))
				break;
		}
		r->reads++;
		if (gs_world_read_move(w, 1, OWNER(1), 0, &v) != 0) {
			r->busy++;
			continue;
		}
		if (v.fresh) {
			r->fresh++;
			continue;
		}
		if (!(v.pos[0] == v.pos[1] && v.pos[1] == v.pos[2]) ||
			v.pos[0] != (float)(v.seq % 1000u))
			r->torn++;
		if (v.seq < last)
			r->backwards++;
		else if (v.seq > last)
			r->distinct++;
		last = v.seq;
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void
race(int use_world_move)
{
	struct race r = { .use_world_move = use_world_move };
	pthread_t wt, rt;

	gs_world_rules_default(&rules);
	rules.max_speed = 1e9f; /* every write is a legal move */
	world_new_with(&rules);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&wt, NULL, race_writer, &r), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&rt, NULL, race_reader, &r), 0);
	pthread_join(rt, NULL);
	pthread_join(wt, NULL);
	fprintf(stderr,
		"\n    %llu writes, %llu reads (%llu busy, %llu fresh), %llu new values seen ",
		(unsigned long long)r.writes, (unsigned long long)r.reads,
		(unsigned long long)r.busy, (unsigned long long)r.fresh,
		(unsigned long long)r.distinct);
	CU_ASSERT_EQUAL(r.torn, 0);
	CU_ASSERT_EQUAL(r.backwards, 0);
	CU_ASSERT_EQUAL(r.write_errors, 0);
	/* progress: the reader got through and saw the writer move on */
	CU_ASSERT(r.reads > r.busy);
	CU_ASSERT(r.distinct >= 2);
}

static void
test_reader_never_sees_a_torn_gs_world_move(void)
{
	race(1);
}

static void
test_reader_never_sees_a_torn_line_written_coordinate_by_coordinate(void)
{
	race(0);
}

static void
test_writer_takes_over_a_lock_whose_holder_is_gone(void)
{
	int32_t gone = dead_pid();
	uint64_t lock = held_by(gone, 7);
	uint32_t s;

	CU_ASSERT_EQUAL(gs_seq_write_lock(&lock, me, 10), 1);
	CU_ASSERT_EQUAL(gs_seq_holder(lock), me);
	CU_ASSERT_EQUAL(gs_seq_of(lock) & 1u, 1u); /* still held: by us now */
	gs_seq_write_unlock(&lock);
	CU_ASSERT_EQUAL(gs_seq_of(lock) & 1u, 0u);
	CU_ASSERT(gs_seq_of(lock) > 7);
	s = gs_seq_read_begin(&lock);
	CU_ASSERT_FALSE(gs_seq_read_retry(&lock, s));
	/* and the next lock is an ordinary one */
	CU_ASSERT_EQUAL(gs_seq_write_lock(&lock, me, 10), 0);
	gs_seq_write_unlock(&lock);
	CU_ASSERT_EQUAL(gs_seq_of(lock) & 1u, 0u);
}

static void
test_writer_gives_up_on_a_live_holder_with_ebusy(void)
{
	int32_t alive = (int32_t)getppid();
	uint64_t lock = held_by(alive, 7), before = lock;
	uint32_t s;

	CU_ASSERT_EQUAL(gs_seq_write_lock(&lock, me, 0), -EBUSY);
	CU_ASSERT_EQUAL(gs_seq_write_lock(&lock, me, 1000), -EBUSY);
	CU_ASSERT_EQUAL(lock, before);
	/* readers of that word retry */
	s = gs_seq_read_begin(&lock);
	CU_ASSERT_TRUE(gs_seq_read_retry(&lock, s));
	CU_ASSERT_FALSE(gs_seq_repair(&lock));
	CU_ASSERT_EQUAL(lock, before);
}

static void
test_lines_held_by_a_live_writer_are_busy_and_unchanged(void)
{
	struct gs_entity *e;
	struct gs_attack_out ao;
	struct gs_move_view v;
	uint64_t mlock, clk;
	float out[3];

	world_new();
	e = gs_world_entity(w, 1);
	e->m.lock = mlock = held_by((int32_t)getppid(), 3);
	CU_ASSERT_EQUAL(gs_world_read_move(w, 1, OWNER(1), 0, &v), -EBUSY);
	CU_ASSERT_EQUAL(move(1, 1, 51, -50, 0, T(0), out), GS_MOVE_BUSY);
	CU_ASSERT_EQUAL(e->m.lock, mlock);
	e->m.lock = 0;
	e = gs_world_entity(w, 5);
	e->c.lock = clk = held_by((int32_t)getppid(), 3);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(0), &ao), GS_ATTACK_BUSY);
	CU_ASSERT_EQUAL(attack(5, 1, 1, T(0), &ao), GS_ATTACK_BUSY);
	CU_ASSERT_EQUAL(e->c.lock, clk);
	/* the attacker's line was given back */
	CU_ASSERT_EQUAL(gs_world_entity(w, 1)->c.lock & 1u, 0u);
	CU_ASSERT_EQUAL(move(5, 1, 51, -50, 0, T(0), out), GS_MOVE_BUSY);
}

static void
test_repair_releases_dead_writers_locks_and_leaves_live_ones(void)
{
	int32_t gone = dead_pid(), alive = (int32_t)getppid();
	struct gs_combat_view c;
	struct gs_move_view v;
	uint64_t live;

	world_new();
	CU_ASSERT_EQUAL(gs_world_repair(w), 0);
	gs_world_entity(w, 1)->m.lock = held_by(gone, 11);
	gs_world_entity(w, 2)->c.lock = held_by(gone, 5);
	gs_world_entity(w, N_ENT)->m.lock = held_by(gone, 1);
	gs_world_entity(w, 3)->m.lock = live = held_by(alive, 9);
	CU_ASSERT_EQUAL(gs_world_read_move(w, 1, OWNER(1), 0, &v), -EBUSY);

	CU_ASSERT_EQUAL(gs_world_repair(w), 3);
	CU_ASSERT_EQUAL(gs_world_entity(w, 1)->m.lock & 1u, 0u);
	CU_ASSERT_EQUAL(gs_world_entity(w, 2)->c.lock & 1u, 0u);
	CU_ASSERT_EQUAL(gs_world_entity(w, N_ENT)->m.lock & 1u, 0u);
	CU_ASSERT_EQUAL(gs_world_entity(w, 3)->m.lock, live);
	CU_ASSERT_EQUAL(gs_world_read_move(w, 1, OWNER(1), 0, &v), 0);
	CU_ASSERT_TRUE(v.fresh);
	CU_ASSERT_EQUAL(gs_world_read_combat(w, 2, OWNER(2), T(0), &c), 0);
	CU_ASSERT_EQUAL(c.hp, 100);
	CU_ASSERT_EQUAL(gs_world_read_move(w, 3, OWNER(3), 0, &v), -EBUSY);
	/* nothing left to repair */
	CU_ASSERT_EQUAL(gs_world_repair(w), 0);
	CU_ASSERT_EQUAL(gs_world_entity(w, 3)->m.lock, live);
}

static void
test_writer_killed_inside_a_write_does_not_block_the_next_one(void)
{
	size_t size = gs_world_size(N_ENT);
	struct gs_world *own = w, *shared;
	struct gs_attack_out ao;
	struct gs_move_view v;
	int fds[2], st;
	float out[3];
	char c = 0;
	pid_t pid;

	/* a world both processes see, as the memzone */
	shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(shared != MAP_FAILED);
	CU_ASSERT_FATAL(pipe(fds) == 0);
	w = shared;
	gs_world_rules_default(&rules);
	gs_world_init(w, N_ENT, &rules, HZ, BASE);
	pid = fork();
	if (pid < 0) {
		CU_FAIL("fork");
		close(fds[1]);
		goto out;
	}
	if (pid == 0) {
		struct gs_entity *e1 = gs_world_entity(w, 1), *e5 = gs_world_entity(w, 5);
		int32_t self = (int32_t)getpid();

		alarm(10); /* never outlive a broken parent */
		if (gs_seq_write_lock(&e1->m.lock, self, GS_SEQ_WRITE_SPINS) != 0 ||
			gs_seq_write_lock(&e5->c.lock, self, GS_SEQ_WRITE_SPINS) != 0)
			_exit(1);
		/* half a write of each line */
		e1->m.pos[0] = 9999.0f;
		e5->c.hp = -7;
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	CU_ASSERT_EQUAL(read(fds[0], &c, 1), 1);
	CU_ASSERT_EQUAL(kill(pid, SIGKILL), 0);
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	/* the lines stay held by the dead writer: readers see busy, not garbage */
	CU_ASSERT_EQUAL(gs_world_read_move(w, 1, OWNER(1), 0, &v), -EBUSY);
	/* the next writer takes each line over and its write goes through */
	CU_ASSERT_EQUAL(move(1, 1, 51, -50, 0, T(0), out), GS_MOVE_ACCEPTED);
	ASSERT_POS(out, 51, -50, 0);
	CU_ASSERT_EQUAL(gs_world_read_move(w, 1, OWNER(1), 0, &v), 0);
	ASSERT_POS(v.pos, 51, -50, 0);
	CU_ASSERT_EQUAL(gs_world_entity(w, 1)->m.lock & 1u, 0u);
	CU_ASSERT_EQUAL(attack(1, 5, 1, T(0), &ao), GS_ATTACK_HIT);
	CU_ASSERT_EQUAL(ao.target_hp, 75);
	CU_ASSERT_EQUAL(gs_world_entity(w, 5)->c.lock & 1u, 0u);
	CU_ASSERT_EQUAL(combat_of(5, OWNER(5), T(0)).hp, 75);

out:
	close(fds[0]);
	w = own;
	munmap(shared, size);
}

/* --- layout check ------------------------------------------------------------------------ */

static void
test_check_accepts_this_builds_world(void)
{
	char msg[128] = "";

	world_new();
	CU_ASSERT_EQUAL(gs_world_check(w, msg, sizeof(msg)), 0);
}

static void
test_check_refuses_a_wrong_magic_version_or_entity_size_naming_it(void)
{
	char msg[128];

	world_new();
	w->magic = 0x1234;
	CU_ASSERT_EQUAL(gs_world_check(w, msg, sizeof(msg)), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "magic"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "0x1234"));

	world_new();
	w->version = GS_WORLD_VERSION + 1;
	CU_ASSERT_EQUAL(gs_world_check(w, msg, sizeof(msg)), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "version"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "2"));

	world_new();
	w->entity_size = 96;
	CU_ASSERT_EQUAL(gs_world_check(w, msg, sizeof(msg)), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "entity size"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "96"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "128"));
}

static CU_TestInfo move_tests[] = {
	{ "accepted move updates the position and read_move shows it",
		test_accepted_move_updates_the_position_and_read_move_shows_it },
	{ "out of bounds on each axis, NaN and inf are refused, position unchanged",
		test_out_of_bounds_on_each_axis_nan_and_inf_are_refused_position_unchanged },
	{ "too fast move is refused, position unchanged",
		test_too_fast_move_is_refused_position_unchanged },
	{ "move exactly at the speed limit is accepted",
		test_move_exactly_at_the_speed_limit_is_accepted },
	{ "more time allows more distance", test_more_time_allows_more_distance },
	{ "silence saves up no distance beyond max_move_gap_ms",
		test_silence_saves_up_no_distance_beyond_max_move_gap },
	{ "stale and duplicate seq are ignored, position unchanged",
		test_stale_and_duplicate_seq_are_ignored_position_unchanged },
	{ "seq 0 on a fresh entity is stale", test_seq_0_on_a_fresh_entity_is_stale },
	{ "first move is measured from the spawn point with the slack only",
		test_first_move_is_measured_from_the_spawn_point_with_the_slack_only },
	{ "move line of another owner reads fresh at the spawn point",
		test_move_line_of_another_owner_reads_fresh_at_the_spawn_point },
	{ "dead entity's move is DEAD and out_pos is its respawn point",
		test_dead_entity_move_is_dead_and_out_pos_is_its_respawn_point },
	{ "after respawn the entity is fresh at the new life's spawn point",
		test_after_respawn_the_entity_is_fresh_at_the_new_lifes_spawn_point },
	{ "gs_move_check alone applies the same rules",
		test_move_check_alone_applies_the_same_rules },
	{ "unknown entity is -ENOENT and its move refused",
		test_unknown_entity_is_enoent_and_its_move_refused },
	{ "spawn points rotate with entity and life",
		test_spawn_points_rotate_with_entity_and_life },
	{ "result names are those of the counters", test_result_names_are_those_of_the_counters },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo combat_tests[] = {
	{ "hit within range applies damage and returns target hp",
		test_hit_within_range_applies_damage_and_returns_target_hp },
	{ "out of range is a miss that changes nothing",
		test_out_of_range_is_a_miss_that_changes_nothing },
	{ "second attack before the cooldown is refused, then accepted after it",
		test_second_attack_before_the_cooldown_is_refused_then_accepted_after_it },
	{ "cooldown left is the reported cooldown minus the time elapsed",
		test_cooldown_left_is_the_reported_cooldown_minus_the_time_elapsed },
	{ "cooldown is per attacker and per skill", test_cooldown_is_per_attacker_and_per_skill },
	{ "killing blow is clipped to the hp left and kills",
		test_killing_blow_is_clipped_to_the_hp_left_and_kills },
	{ "attacks on a dead target are TARGET_DEAD",
		test_attacks_on_a_dead_target_are_target_dead },
	{ "dead attacker is ATTACKER_DEAD", test_dead_attacker_is_attacker_dead },
	{ "after respawn_ms the target is alive with max hp at its next spawn point",
		test_after_respawn_ms_the_target_is_alive_with_max_hp_at_its_next_spawn_point },
	{ "bad skill is refused and changes nothing",
		test_bad_skill_is_refused_and_changes_nothing },
	{ "self attack and absent target are NO_TARGET",
		test_self_attack_and_absent_target_are_no_target },
	{ "range uses the positions gs-move wrote", test_range_uses_the_positions_gs_move_wrote },
	{ "a session id that comes back inherits nothing once released",
		test_a_session_id_that_comes_back_inherits_nothing_once_released },
	{ "new session on an entity starts with full hp",
		test_new_session_on_an_entity_starts_with_full_hp },
	{ "last activity is the latest move or combat of the session",
		test_last_activity_is_the_latest_move_or_combat_of_the_session },
	{ "cooldown still works after the world clock passes 2^32 ms",
		test_cooldown_still_works_after_the_world_clock_passes_2_pow_32_ms },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo seqlock_tests[] = {
	{ "reader never sees a torn gs_world_move", test_reader_never_sees_a_torn_gs_world_move },
	{ "reader never sees a torn line written coordinate by coordinate",
		test_reader_never_sees_a_torn_line_written_coordinate_by_coordinate },
	{ "writer takes over a lock whose holder is gone",
		test_writer_takes_over_a_lock_whose_holder_is_gone },
	{ "writer gives up on a live holder with -EBUSY",
		test_writer_gives_up_on_a_live_holder_with_ebusy },
	{ "lines held by a live writer are busy and unchanged",
		test_lines_held_by_a_live_writer_are_busy_and_unchanged },
	{ "repair releases dead writers' locks and leaves live ones",
		test_repair_releases_dead_writers_locks_and_leaves_live_ones },
	{ "writer killed inside a write does not block the next one",
		test_writer_killed_inside_a_write_does_not_block_the_next_one },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo check_tests[] = {
	{ "check accepts this build's world", test_check_accepts_this_builds_world },
	{ "check refuses a wrong magic, version or entity size, naming it",
		test_check_refuses_a_wrong_magic_version_or_entity_size_naming_it },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "world move", .pTests = move_tests },
	{ .pName = "world combat", .pTests = combat_tests },
	{ .pName = "world seqlock", .pTests = seqlock_tests },
	{ .pName = "world check", .pTests = check_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	int ret;

	me = (int32_t)getpid();
	ret = gs_test_run(suites);
	free(w);
	return ret;
}
