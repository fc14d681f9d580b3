/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_repl.h"
#include "gs_test.h"
#include "gs_wire.h"
#include "gs_world.h"

/*
 * World replication (shared/src/repl.c) on plain arrays: no EAL, no world in
 * hugepages. The random tests draw from a fixed-seed generator, so a failure
 * is the same on every run.
 */

#define HZ    UINT64_C(1000000000) /* the TSC of the world tests: 1 GHz */
#define MS(x) ((uint64_t)(x)*UINT64_C(1000000))

static uint64_t rng_state;

static void
rng_seed(uint64_t seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
}

static uint64_t
rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Uniform in [lo, hi]. */
static int32_t
rng_range(int32_t lo, int32_t hi)
{
	return lo + (int32_t)(rng() % (uint64_t)((int64_t)hi - lo + 1));
}

static bool
coin(unsigned int percent)
{
	return rng() % 100 < percent;
}

static struct gs_repl_ent
ent(uint32_t id, int32_t x, int32_t y, int32_t z)
{
	return (struct gs_repl_ent){ .id = id, .q = { x, y, z }, .hp = 100, .alive = 1 };
}

static bool
ent_eq(const struct gs_repl_ent *a, const struct gs_repl_ent *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static bool
view_eq(const struct gs_repl_view *a, const struct gs_repl_view *b)
{
	if (a->tick != b->tick || a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n; i++)
		if (!ent_eq(&a->e[i], &b->e[i]))
			return false;
	return true;
}

static bool
view_sorted(const struct gs_repl_view *v)
{
	for (uint32_t i = 1; i < v->n; i++)
		if (v->e[i - 1].id >= v->e[i].id)
			return false;
	return true;
}

/* A view with its own memory of @p cap entities. */
struct test_view {
	struct gs_repl_view v;
	struct gs_repl_ent mem[GS_REPL_VIEW_MAX];
};

static void
tv_init(struct test_view *t, uint32_t cap)
{
	memset(&t->v, 0, sizeof(t->v));
	t->v.cap = cap;
	t->v.e = t->mem;
}

static struct gs_repl_dec dec;
static uint8_t pkt[GS_WIRE_MAX_PAYLOAD * 2];

/* --- quantisation and the world ------------------------------------------------------------ */

static void
test_q_rounds_to_a_sixteenth_and_saturates(void)
{
	CU_ASSERT_EQUAL(gs_repl_q(1.5f), 24);
	CU_ASSERT_EQUAL(gs_repl_q(-1.5f), -24);
	CU_ASSERT_EQUAL(gs_repl_q(0.03125f), 1);   /* half a step: away from zero */
	CU_ASSERT_EQUAL(gs_repl_q(-0.03125f), -1); /* ... both ways */
	CU_ASSERT_EQUAL(gs_repl_q(0.03f), 0);
	CU_ASSERT_EQUAL(gs_repl_q(10000.0f), 160000);
	CU_ASSERT_EQUAL(gs_repl_q(1e30f), GS_REPL_Q_LIMIT);
	CU_ASSERT_EQUAL(gs_repl_q(-1e30f), -GS_REPL_Q_LIMIT);
	CU_ASSERT_EQUAL(gs_repl_q(INFINITY), GS_REPL_Q_LIMIT);
	CU_ASSERT_EQUAL(gs_repl_q(-INFINITY), -GS_REPL_Q_LIMIT);
	CU_ASSERT_EQUAL(gs_repl_q(NAN), 0);
	CU_ASSERT_DOUBLE_EQUAL(gs_repl_unq(24), 1.5, 1e-9);
	/* any two quantised values differ by a sint32 */
	CU_ASSERT((int64_t)GS_REPL_Q_LIMIT - (int64_t)-GS_REPL_Q_LIMIT <= INT32_MAX);
}

static void
test_quantise_saturates_hp_and_makes_alive_a_bit(void)
{
	const float pos[3] = { 1.0f, -2.0f, 0.5f }, vel[3] = { 0.25f, 0.0f, -3.0f };
	struct gs_repl_ent e;

	gs_repl_quantise(7, pos, vel, INT32_MAX, true, &e);
	CU_ASSERT_EQUAL(e.id, 7);
	CU_ASSERT_EQUAL(e.q[0], 16);
	CU_ASSERT_EQUAL(e.q[1], -32);
	CU_ASSERT_EQUAL(e.q[2], 8);
	CU_ASSERT_EQUAL(e.v[0], 4);
	CU_ASSERT_EQUAL(e.v[1], 0);
	CU_ASSERT_EQUAL(e.v[2], -48);
	CU_ASSERT_EQUAL(e.hp, GS_REPL_Q_LIMIT);
	CU_ASSERT_EQUAL(e.alive, 1);
	gs_repl_quantise(7, pos, vel, INT32_MIN, false, &e);
	CU_ASSERT_EQUAL(e.hp, -GS_REPL_Q_LIMIT);
	CU_ASSERT_EQUAL(e.alive, 0);
}

static struct gs_world *
world_new(uint32_t max)
{
	struct gs_world_rules r;
	struct gs_world *w = aligned_alloc(64, gs_world_size(max));

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	gs_world_rules_default(&r);
	gs_world_init(w, max, &r, HZ, MS(5000));
	return w;
}

static void
test_read_quantises_the_world_and_forgets_a_stale_velocity(void)
{
	struct gs_world *w = world_new(16);
	struct gs_move_req req = { .entity = 1, .owner = 1001, .seq = 1, .pos = { 51, -50, 0 } };
	float out[3];
	struct gs_repl_ent e;

	/* fresh: at its spawn point (entity 1, life 0: spawn 1, (50, -50, 0)), still, full HP */
	CU_ASSERT_EQUAL(gs_repl_read(w, 1, 1001, MS(5000), &e), 0);
	CU_ASSERT_EQUAL(e.id, 1);
	CU_ASSERT_EQUAL(e.q[0], 800);
	CU_ASSERT_EQUAL(e.q[1], -800);
	CU_ASSERT_EQUAL(e.q[2], 0);
	CU_ASSERT_EQUAL(e.v[0], 0);
	CU_ASSERT_EQUAL(e.hp, 100);
	CU_ASSERT_EQUAL(e.alive, 1);

	/* 1 unit along x in 100 ms: 10 units/s */
	req.now = MS(5100);
	CU_ASSERT_EQUAL(gs_world_move(w, &req, (int32_t)getpid(), out), GS_MOVE_ACCEPTED);
	req.seq = 2;
	req.pos[0] = 52;
	req.now = MS(5200);
	CU_ASSERT_EQUAL(gs_world_move(w, &req, (int32_t)getpid(), out), GS_MOVE_ACCEPTED);
	CU_ASSERT_EQUAL(gs_repl_read(w, 1, 1001, MS(5300), &e), 0);
	CU_ASSERT_EQUAL(e.q[0], 52 * 16);
	CU_ASSERT_EQUAL(e.v[0], 160);
	CU_ASSERT_EQUAL(e.v[1], 0);
	/* max_move_gap_ms (1 s) after the move: stopped */
	CU_ASSERT_EQUAL(gs_repl_read(w, 1, 1001, MS(6200), &e), 0);
	CU_ASSERT_EQUAL(e.v[0], 160);
	CU_ASSERT_EQUAL(gs_repl_read(w, 1, 1001, MS(6201), &e), 0);
	CU_ASSERT_EQUAL(e.v[0], 0);
	CU_ASSERT_EQUAL(e.q[0], 52 * 16);

	CU_ASSERT_EQUAL(gs_repl_read(w, 0, 1, MS(5000), &e), -ENOENT);
	CU_ASSERT_EQUAL(gs_repl_read(w, 17, 1, MS(5000), &e), -ENOENT);
	free(w);
}

static void
test_read_of_a_dead_entity_says_dead_where_it_died_then_respawns(void)
{
	struct gs_world *w = world_new(16);
	struct gs_attack_req at = {
		.attacker = 5, .attacker_owner = 1005, .target = 1, .target_owner = 1001, .skill = 1
	};
	struct gs_move_req req = { .entity = 1, .owner = 1001, .seq = 1, .pos = { 51, -50, 0 } };
	struct gs_attack_out ao;
	struct gs_repl_ent e;
	float sp[3], out[3];

	/* entity 1 steps 1 unit from its spawn point (50, -50, 0), towards entity 5 */
	req.now = MS(4900);
	CU_ASSERT_EQUAL(gs_world_move(w, &req, (int32_t)getpid(), out), GS_MOVE_ACCEPTED);
	/* entities 1 and 5 share a spawn point; slash: 25 damage, 500 ms cooldown */
	for (unsigned int i = 0; i < 4; i++) {
		at.now = MS(5000 + 500 * i);
		CU_ASSERT_EQUAL(gs_world_attack(w, &at, (int32_t)getpid(), &ao),
			i < 3 ? GS_ATTACK_HIT : GS_ATTACK_KILLED);
	}
	/* dead, still, where it died (the move line of its first life) */
	CU_ASSERT_EQUAL(gs_repl_read(w, 1, 1001, MS(6600), &e), 0);
	CU_ASSERT_EQUAL(e.alive, 0);
	CU_ASSERT_EQUAL(e.hp, 0);
	CU_ASSERT_EQUAL(e.v[0], 0);
	CU_ASSERT_EQUAL(e.q[0], 51 * 16);
	CU_ASSERT_EQUAL(e.q[1], -50 * 16);
	/* respawn_ms (3 s) after the death: alive, full HP, at the spawn point of life 1 */
	gs_world_spawn_point(w, 1, 1, sp);
	CU_ASSERT_EQUAL(gs_repl_read(w, 1, 1001, MS(6500 + 3000), &e), 0);
	CU_ASSERT_EQUAL(e.alive, 1);
	CU_ASSERT_EQUAL(e.hp, 100);
	CU_ASSERT_EQUAL(e.q[0], gs_repl_q(sp[0]));
	CU_ASSERT_EQUAL(e.q[1], gs_repl_q(sp[1]));
	free(w);
}

/* --- the grid --------------------------------------------------------------------------- */

static const float bmin[2] = { -100.0f, -100.0f }, bmax[2] = { 100.0f, 100.0f };

/* The cell of @p q by the documented rule, computed apart from the library. */
static uint32_t
expected_cell(int32_t qmin, int32_t cellq, uint32_t dim, int32_t q)
{
	int64_t d = ((int64_t)q - qmin);

	if (d < 0)
		return 0;
	return d / cellq >= dim ? dim - 1 : (uint32_t)(d / cellq);
}

static void
test_grid_dims_cover_the_bounds_inclusive(void)
{
	struct gs_repl_grid *g = gs_repl_grid_create(bmin, bmax, 10.0f, 8);
	uint32_t nx, ny;
	int32_t lo[3] = { -1600, -1600, 0 }, hi[3] = { 1600, 1600, 0 };
	int32_t last_in[3] = { 1599, -1441, 0 }, far[3] = { 100000, -100000, 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	gs_repl_grid_dims(g, &nx, &ny);
	/* 200 units, inclusive, in cells of 10: 21 (the max edge gets a cell) */
	CU_ASSERT_EQUAL(nx, 21);
	CU_ASSERT_EQUAL(ny, 21);
	CU_ASSERT_EQUAL(gs_repl_grid_cell_of(g, lo), 0);
	CU_ASSERT_EQUAL(gs_repl_grid_cell_of(g, hi), 21 * 21 - 1);
	CU_ASSERT_EQUAL(gs_repl_grid_cell_of(g, last_in), 0 * 21 + 19);
	/* outside: the nearest edge cell */
	CU_ASSERT_EQUAL(gs_repl_grid_cell_of(g, far), 20);
	gs_repl_grid_free(g);
}

static void
test_grid_create_refuses_bad_shapes(void)
{
	const float nan2[2] = { NAN, 0.0f }, big[2] = { 1e6f, 1e6f }, negbig[2] = { -1e6f, -1e6f };

	errno = 0;
	CU_ASSERT_PTR_NULL(gs_repl_grid_create(bmin, bmax, 0.0f, 8));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(gs_repl_grid_create(bmin, bmax, 0.03f, 8)); /* under 1/16 */
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(gs_repl_grid_create(bmax, bmin, 10.0f, 8)); /* max below min */
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(gs_repl_grid_create(nan2, bmax, 10.0f, 8));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(gs_repl_grid_create(bmin, bmax, NAN, 8));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(gs_repl_grid_create(bmin, bmax, 10.0f, 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(gs_repl_grid_create(negbig, big, 0.0625f, 8)); /* 3.2e7 cells a side */
	CU_ASSERT_EQUAL(errno, E2BIG);
}

static void
test_grid_puts_every_entity_in_its_cell_once_in_index_order(void)
{
	enum {
		N = 3000
	};
	static struct gs_repl_ent e[N];
	static uint32_t seen[N];
	struct gs_repl_grid *g = gs_repl_grid_create(bmin, bmax, 7.3f, N);
	uint32_t nx, ny, total = 0, cellq = (uint32_t)gs_repl_q(7.3f);

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	gs_repl_grid_dims(g, &nx, &ny);
	rng_seed(1);
	for (uint32_t i = 0; i < N; i++) {
		/* inside, on the edges, and outside the bounds (clamped) */
		switch (i % 4) {
		case 0:
			e[i] = ent(i + 1, rng_range(-1600, 1600), rng_range(-1600, 1600), 0);
			break;
		case 1:
			e[i] = ent(i + 1, coin(50) ? -1600 : 1600, rng_range(-1600, 1600), 5);
			break;
		case 2:
			e[i] = ent(i + 1, rng_range(-1600, 1600), coin(50) ? -1600 : 1600, -5);
			break;
		default:
			e[i] = ent(i + 1, rng_range(-5000, 5000), rng_range(-5000, 5000), 0);
			break;
		}
	}
	CU_ASSERT_EQUAL_FATAL(gs_repl_grid_build(g, e, N), 0);
	memset(seen, 0, sizeof(seen));
	for (uint32_t c = 0; c < nx * ny; c++) {
		uint32_t n, cx = c % nx, cy = c / nx;
		const uint32_t *it = gs_repl_grid_cell(g, c, &n);

		for (uint32_t k = 0; k < n; k++) {
			const struct gs_repl_ent *x = &e[it[k]];

			CU_ASSERT_FATAL(it[k] < N);
			CU_ASSERT(k == 0 || it[k - 1] < it[k]);
			CU_ASSERT_EQUAL(cx, expected_cell(-1600, (int32_t)cellq, nx, x->q[0]));
			CU_ASSERT_EQUAL(cy, expected_cell(-1600, (int32_t)cellq, ny, x->q[1]));
			seen[it[k]]++;
		}
		total += n;
	}
	CU_ASSERT_EQUAL(total, N);
	for (uint32_t i = 0; i < N; i++)
		CU_ASSERT_EQUAL(seen[i], 1);
	{
		uint32_t n = 99;

		CU_ASSERT_PTR_NULL(gs_repl_grid_cell(g, nx * ny, &n));
		CU_ASSERT_EQUAL(n, 0);
	}

	/* a rebuild forgets the last one; more than max_entities is refused */
	CU_ASSERT_EQUAL(gs_repl_grid_build(g, e, 10), 0);
	total = 0;
	for (uint32_t c = 0; c < nx * ny; c++) {
		uint32_t n;

		gs_repl_grid_cell(g, c, &n);
		total += n;
	}
	CU_ASSERT_EQUAL(total, 10);
	CU_ASSERT_EQUAL(gs_repl_grid_build(g, e, N + 1), -E2BIG);
	CU_ASSERT_EQUAL(gs_repl_grid_build(g, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(gs_repl_grid_build(g, NULL, 0), 0);
	gs_repl_grid_free(g);
}

/* --- the AOI query ------------------------------------------------------------------------ */

static uint64_t
d2_of(const struct gs_repl_ent *x, const int32_t c[3])
{
	int64_t dx = (int64_t)x->q[0] - c[0], dy = (int64_t)x->q[1] - c[1],
		dz = (int64_t)x->q[2] - c[2];

	return (uint64_t)(dx * dx + dy * dy + dz * dz);
}

static int
hit_cmp(const void *a, const void *b)
{
	const struct gs_repl_hit *x = a, *y = b;

	if (x->d2 != y->d2)
		return x->d2 < y->d2 ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Every entity within @p r of @p c, sorted like gs_repl_aoi(): the model. */
static uint32_t
brute_aoi(const struct gs_repl_ent *e, uint32_t n, const int32_t c[3], int32_t r,
	struct gs_repl_hit *out)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t d2 = d2_of(&e[i], c);

		if (d2 <= (uint64_t)r * (uint64_t)r)
			out[k++] = (struct gs_repl_hit){ .d2 = d2, .id = e[i].id, .idx = i };
	}
	qsort(out, k, sizeof(*out), hit_cmp);
	return k;
}

static void
test_aoi_equals_brute_force_on_random_worlds(void)
{
	enum {
		N = 2500
	};
	static struct gs_repl_ent e[N];
	static struct gs_repl_hit got[N], want[N];
	const float lo[2] = { -1000.0f, -1000.0f }, hi[2] = { 1000.0f, 1000.0f };
	unsigned int queries = 0, truncated = 0;

	for (uint64_t seed = 1; seed <= 6; seed++) {
		float cell = seed % 2 ? 50.0f : 13.0f;
		struct gs_repl_grid *g = gs_repl_grid_create(lo, hi, cell, N);
		uint32_t n = (uint32_t)(200 + 380 * seed);

		CU_ASSERT_PTR_NOT_NULL_FATAL(g);
		rng_seed(seed);
		for (uint32_t i = 0; i < n; i++) {
			/* clusters make ties and dense cells; ids are not in index order */
			int32_t cx = coin(30) ? 0 : rng_range(-16000, 16000);
			int32_t cy = coin(30) ? 0 : rng_range(-16000, 16000);

			e[i] = ent((uint32_t)(n - i) * 7u, cx + rng_range(-40, 40),
				cy + rng_range(-40, 40), rng_range(-800, 800));
		}
		CU_ASSERT_EQUAL_FATAL(gs_repl_grid_build(g, e, n), 0);
		for (unsigned int q = 0; q < 60; q++) {
			const struct gs_repl_ent *me = &e[rng() % n];
			int32_t c[3] = { me->q[0], me->q[1], me->q[2] };
			int32_t r = rng_range(0, 2400); /* up to 150 units: past several cells */
			uint32_t max = coin(50) ? N : (uint32_t)rng_range(1, 64);
			uint32_t nw, ng;

			if (coin(20)) { /* a point that is no entity's, outside the bounds too */
				c[0] = rng_range(-20000, 20000);
				c[1] = rng_range(-20000, 20000);
			}
			nw = brute_aoi(e, n, c, r, want);
			ng = gs_repl_aoi(g, c, r, got, max);
			CU_ASSERT_EQUAL(ng, nw < max ? nw : max);
			truncated += nw > max;
			for (uint32_t k = 0; k < ng && k < nw; k++) {
				CU_ASSERT_EQUAL(got[k].idx, want[k].idx);
				CU_ASSERT_EQUAL(got[k].id, want[k].id);
				CU_ASSERT_EQUAL(got[k].d2, want[k].d2);
			}
			queries++;
		}
		gs_repl_grid_free(g);
	}
	CU_ASSERT(truncated > 20); /* the max was exercised */
	printf("\n    aoi: %u queries equal to brute force (%u cut at their max) ", queries,
		truncated);
}

static void
test_aoi_is_nearest_first_with_ties_by_id_and_the_radius_inclusive(void)
{
	struct gs_repl_ent e[] = {
		ent(9, 160, 0, 0),  /* 10 units */
		ent(3, 0, -160, 0), /* 10 units: ties with 9, smaller id first */
		ent(5, 0, 0, 160),  /* 10 units, along z */
		ent(4, 16, 0, 0),   /* 1 unit */
		ent(2, 161, 0, 0),  /* just outside */
		ent(1, 0, 0, 0),    /* the centre */
	};
	struct gs_repl_grid *g = gs_repl_grid_create(bmin, bmax, 3.0f, 8);
	const int32_t c[3] = { 0, 0, 0 };
	struct gs_repl_hit h[8];

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL_FATAL(gs_repl_grid_build(g, e, 6), 0);
	CU_ASSERT_EQUAL_FATAL(gs_repl_aoi(g, c, 160, h, 8), 5);
	CU_ASSERT_EQUAL(h[0].id, 1);
	CU_ASSERT_EQUAL(h[0].d2, 0);
	CU_ASSERT_EQUAL(h[1].id, 4);
	CU_ASSERT_EQUAL(h[2].id, 3);
	CU_ASSERT_EQUAL(h[3].id, 5);
	CU_ASSERT_EQUAL(h[4].id, 9);
	CU_ASSERT_EQUAL(h[4].d2, 160 * 160);
	/* the max keeps the nearest */
	CU_ASSERT_EQUAL_FATAL(gs_repl_aoi(g, c, 160, h, 3), 3);
	CU_ASSERT_EQUAL(h[0].id, 1);
	CU_ASSERT_EQUAL(h[1].id, 4);
	CU_ASSERT_EQUAL(h[2].id, 3);
	CU_ASSERT_EQUAL(gs_repl_aoi(g, c, 161, h, 8), 6);
	CU_ASSERT_EQUAL(gs_repl_aoi(g, c, -1, h, 8), 0);
	CU_ASSERT_EQUAL(gs_repl_aoi(g, c, 100, h, 0), 0);
	{
		struct gs_repl_ent got[3];

		gs_repl_aoi(g, c, 160, h, 3);
		gs_repl_gather(g, h, 3, got);
		CU_ASSERT(ent_eq(&got[2], &e[1]));
	}
	gs_repl_grid_free(g);
}

static void
test_aoi_at_the_quantised_limits_does_not_overflow(void)
{
	const float lo[2] = { -1e9f, -1e9f }, hi[2] = { 1e9f, 1e9f };
	struct gs_repl_ent e[] = {
		ent(1, GS_REPL_Q_LIMIT, GS_REPL_Q_LIMIT, GS_REPL_Q_LIMIT),
		ent(2, -GS_REPL_Q_LIMIT, -GS_REPL_Q_LIMIT, -GS_REPL_Q_LIMIT),
		/* beyond the range, as nothing quantised is: the distance saturates */
		ent(3, INT32_MAX, INT32_MAX, INT32_MAX),
	};
	struct gs_repl_grid *g = gs_repl_grid_create(lo, hi, 1e7f, 4);
	const int32_t c[3] = { INT32_MIN, INT32_MIN, INT32_MIN };
	struct gs_repl_hit h[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL_FATAL(gs_repl_grid_build(g, e, 3), 0);
	CU_ASSERT_EQUAL_FATAL(gs_repl_aoi(g, c, INT32_MAX, h, 4), 1);
	CU_ASSERT_EQUAL(h[0].id, 2);
	/* 3 * (2^31 - 2^30 + 1)^2 */
	CU_ASSERT_EQUAL(h[0].d2, 3 * (uint64_t)(1073741825) * 1073741825ull);
	gs_repl_grid_free(g);
}

/* --- encoding ---------------------------------------------------------------------------- */

static struct gs_repl_enc *enc;
static struct test_view va, vb, vc;

static void
test_full_snapshot_carries_every_candidate_nearest_first(void)
{
	struct gs_repl_ent c[] = { ent(30, 1, 2, 3), ent(10, -100, 50, 0), ent(20, 0, 0, 0) };
	struct gs_repl_enc_res res;
	const Gs__Snapshot *s;

	c[1].v[0] = -7;
	c[1].hp = 55;
	c[2].alive = 0;
	c[2].hp = 0;
	tv_init(&va, 64);
	CU_ASSERT_EQUAL_FATAL(
		gs_repl_encode(enc, NULL, c, 3, 77, 1200, pkt, sizeof(pkt), &va.v, &res), 0);
	CU_ASSERT_EQUAL(res.n_full, 3);
	CU_ASSERT_EQUAL(res.n_delta + res.n_removed + res.cut, 0);
	s = gs_repl_decode(&dec, pkt, res.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->tick, 77);
	CU_ASSERT_EQUAL(s->baseline, 0);
	CU_ASSERT_EQUAL_FATAL(s->n_full, 3);
	CU_ASSERT_EQUAL(s->full[0]->id, 30);
	CU_ASSERT_EQUAL(s->full[1]->id, 10);
	CU_ASSERT_EQUAL(s->full[1]->x, -100);
	CU_ASSERT_EQUAL(s->full[1]->vx, -7);
	CU_ASSERT_EQUAL(s->full[1]->hp, 55);
	CU_ASSERT_EQUAL(s->full[2]->alive, 0);
	/* the view: sorted by id */
	CU_ASSERT_EQUAL(va.v.tick, 77);
	CU_ASSERT_EQUAL_FATAL(va.v.n, 3);
	CU_ASSERT(ent_eq(&va.v.e[0], &c[1]));
	CU_ASSERT(ent_eq(&va.v.e[1], &c[2]));
	CU_ASSERT(ent_eq(&va.v.e[2], &c[0]));
	/* and what the client makes of it */
	tv_init(&vb, 64);
	CU_ASSERT_EQUAL(gs_repl_apply(NULL, s, &vb.v), 0);
	CU_ASSERT(view_eq(&vb.v, &va.v));
}

static void
test_delta_sends_only_what_changed(void)
{
	struct gs_repl_ent c[] = { ent(1, 0, 0, 0), ent(2, 100, 0, 0), ent(3, 200, 0, 0) };
	struct gs_repl_enc_res res;
	const Gs__Snapshot *s;

	tv_init(&va, 64);
	tv_init(&vb, 64);
	CU_ASSERT_EQUAL_FATAL(
		gs_repl_encode(enc, NULL, c, 3, 1, 1200, pkt, sizeof(pkt), &va.v, &res), 0);
	c[1].q[0] += 3; /* 2 moves along x */
	CU_ASSERT_EQUAL_FATAL(
		gs_repl_encode(enc, &va.v, c, 3, 2, 1200, pkt, sizeof(pkt), &vb.v, &res), 0);
	CU_ASSERT_EQUAL(res.n_delta, 1);
	CU_ASSERT_EQUAL(res.n_unchanged, 2);
	CU_ASSERT_EQUAL(res.n_full + res.n_removed + res.cut, 0);
	/* tick (2) + baseline (2) + one delta: tag, length, id (2), x (2) */
	CU_ASSERT_EQUAL(res.len, 2 + 2 + 2 + 2 + 2);
	s = gs_repl_decode(&dec, pkt, res.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->baseline, 1);
	CU_ASSERT_EQUAL_FATAL(s->n_delta, 1);
	CU_ASSERT_EQUAL(s->delta[0]->id, 2);
	CU_ASSERT_EQUAL(s->delta[0]->x, 3);
	CU_ASSERT_EQUAL(s->delta[0]->y, 0);
	tv_init(&vc, 64);
	CU_ASSERT_EQUAL(gs_repl_apply(&va.v, s, &vc.v), 0);
	CU_ASSERT(view_eq(&vc.v, &vb.v));

	/* nothing changed: the header alone */
	CU_ASSERT_EQUAL_FATAL(
		gs_repl_encode(enc, &vb.v, c, 3, 3, 1200, pkt, sizeof(pkt), &vc.v, &res), 0);
	CU_ASSERT_EQUAL(res.len, 4);
	CU_ASSERT_EQUAL(res.n_unchanged, 3);
}

static void
test_entities_that_leave_are_removed_and_new_ones_sent_whole(void)
{
	struct gs_repl_ent c[] = { ent(1, 0, 0, 0), ent(2, 10, 0, 0), ent(3, 20, 0, 0) };
	struct gs_repl_ent c2[] = { ent(4, 5, 5, 5), ent(1, 0, 0, 0), ent(3, 20, 0, 0) };
	struct gs_repl_enc_res res;
	const Gs__Snapshot *s;

	tv_init(&va, 64);
	tv_init(&vb, 64);
	tv_init(&vc, 64);
	CU_ASSERT_EQUAL_FATAL(
		gs_repl_encode(enc, NULL, c, 3, 10, 1200, pkt, sizeof(pkt), &va.v, &res), 0);
	CU_ASSERT_EQUAL_FATAL(
		gs_repl_encode(enc, &va.v, c2, 3, 11, 1200, pkt, sizeof(pkt), &vb.v, &res), 0);
	CU_ASSERT_EQUAL(res.n_removed, 1);
	CU_ASSERT_EQUAL(res.n_full, 1);
	CU_ASSERT_EQUAL(res.n_unchanged, 2);
	s = gs_repl_decode(&dec, pkt, res.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(s->n_removed, 1);
	CU_ASSERT_EQUAL(s->removed[0], 2);
	CU_ASSERT_EQUAL_FATAL(s->n_full, 1);
	CU_ASSERT_EQUAL(s->full[0]->id, 4);
	CU_ASSERT_EQUAL(vb.v.n, 3);
	CU_ASSERT_EQUAL(vb.v.e[0].id, 1);
	CU_ASSERT_EQUAL(vb.v.e[1].id, 3);
	CU_ASSERT_EQUAL(vb.v.e[2].id, 4);
	CU_ASSERT_EQUAL(gs_repl_apply(&va.v, s, &vc.v), 0);
	CU_ASSERT(view_eq(&vc.v, &vb.v));
}

/* Candidates with states that cost many bytes each (about 30). */
static void
big_candidates(struct gs_repl_ent *c, uint32_t n, uint32_t id0)
{
	for (uint32_t i = 0; i < n; i++) {
		c[i] = ent(id0 + i * 1000, rng_range(-1000000, 1000000),
			rng_range(-1000000, 1000000), rng_range(-100000, 100000));
		c[i].v[0] = rng_range(-5000, 5000);
		c[i].v[1] = rng_range(-5000, 5000);
		c[i].hp = rng_range(1, 100000);
	}
}

static void
test_budget_keeps_the_nearest_and_never_exceeds(void)
{
	static struct gs_repl_ent c[300];
	struct gs_repl_enc_res res;
	const Gs__Snapshot *s;
	uint32_t kept_before = 0;

	rng_seed(3);
	big_candidates(c, 300, 1);
	for (size_t budget = 8; budget <= 1400; budget += 13) {
		tv_init(&va, 300);
		CU_ASSERT_EQUAL_FATAL(
			gs_repl_encode(enc, NULL, c, 300, 5, budget, pkt, sizeof(pkt), &va.v, &res),
			0);
		CU_ASSERT(res.len <= budget);
		CU_ASSERT_EQUAL(res.n_full + res.cut, 300);
		CU_ASSERT(res.n_full >= kept_before); /* more room, never fewer */
		kept_before = res.n_full;
		s = gs_repl_decode(&dec, pkt, res.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(s->cut, res.cut);
		/* the kept are exactly the first n_full candidates, in order */
		CU_ASSERT_EQUAL_FATAL(s->n_full, res.n_full);
		for (size_t i = 0; i < s->n_full; i++)
			CU_ASSERT_EQUAL(s->full[i]->id, c[i].id);
		CU_ASSERT_EQUAL(va.v.n, res.n_full);
		/* the budget was used: the next one would not have fitted (tolerance: the cut field) */
		if (res.cut > 0)
			CU_ASSERT(res.len + 40 > budget);
	}
	/* one datagram: how many such entities */
	tv_init(&va, 300);
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, NULL, c, 300, 5, GS_REPL_BUDGET, pkt, sizeof(pkt), &va.v, &res),
		0);
	CU_ASSERT(res.len <= GS_REPL_BUDGET);
	printf("\n    budget: %u entities of ~30 bytes in %zu of 1200 bytes, %u cut ", res.n_full,
		res.len, res.cut);
	/* out_cap bounds it as well */
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, NULL, c, 300, 5, GS_REPL_BUDGET, pkt, 100, &va.v, &res), 0);
	CU_ASSERT(res.len <= 100);
}

static void
test_a_cut_baseline_entity_stays_stale_in_the_view(void)
{
	static struct gs_repl_ent c[40];
	struct gs_repl_enc_res res;
	const Gs__Snapshot *s;
	uint32_t kept;

	rng_seed(4);
	big_candidates(c, 40, 1);
	tv_init(&va, 64);
	tv_init(&vb, 64);
	tv_init(&vc, 64);
	CU_ASSERT_EQUAL_FATAL(
		gs_repl_encode(enc, NULL, c, 40, 1, 4000, pkt, sizeof(pkt), &va.v, &res), 0);
	CU_ASSERT_EQUAL(res.cut, 0);
	/* everything jumps far: each delta costs 12 bytes, 300 bytes hold 24 of 40 */
	for (uint32_t i = 0; i < 40; i++) {
		c[i].q[0] += 900000 * (i % 2 ? 1 : -1);
		c[i].hp -= 1;
	}
	CU_ASSERT_EQUAL_FATAL(
		gs_repl_encode(enc, &va.v, c, 40, 2, 300, pkt, sizeof(pkt), &vb.v, &res), 0);
	CU_ASSERT(res.len <= 300);
	CU_ASSERT(res.cut > 0);
	kept = res.n_delta;
	CU_ASSERT_EQUAL(kept + res.cut, 40);
	CU_ASSERT_EQUAL(vb.v.n, 40); /* nobody left the view */
	for (uint32_t i = 0; i < 40; i++) {
		const struct gs_repl_ent *in = gs_repl_view_find(&vb.v, c[i].id);
		const struct gs_repl_ent *old = gs_repl_view_find(&va.v, c[i].id);

		CU_ASSERT_PTR_NOT_NULL_FATAL(in);
		/* the nearest `kept` are new, the rest as they were */
		CU_ASSERT(ent_eq(in, i < kept ? &c[i] : old));
	}
	s = gs_repl_decode(&dec, pkt, res.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(gs_repl_apply(&va.v, s, &vc.v), 0);
	CU_ASSERT(view_eq(&vc.v, &vb.v));
}

static void
test_removals_go_first_and_those_that_do_not_fit_wait(void)
{
	static struct gs_repl_ent c[400], moved[1];
	static uint8_t big[16384];
	struct test_view *base = &va, *next = &vb, *chk = &vc, *t;
	struct gs_repl_enc_res res;
	const Gs__Snapshot *s;
	uint32_t tick = 1, left = 399;

	/* 400 entities with ids of 3 bytes; then all but one leave at once */
	for (uint32_t i = 0; i < 400; i++)
		c[i] = ent(100000 + i * 64, (int32_t)i, 0, 0);
	tv_init(base, 400);
	CU_ASSERT_EQUAL_FATAL(gs_repl_encode(enc, NULL, c, 400, tick, sizeof(big), big, sizeof(big),
				      &base->v, &res),
		0);
	CU_ASSERT_EQUAL(base->v.n, 400);
	moved[0] = c[399];
	moved[0].q[0] += 1;
	for (unsigned int round = 0; left > 0 && round < 5; round++) {
		tv_init(next, 400);
		CU_ASSERT_EQUAL_FATAL(gs_repl_encode(enc, &base->v, moved, 1, ++tick,
					      GS_REPL_BUDGET, pkt, sizeof(pkt), &next->v, &res),
			0);
		CU_ASSERT(res.len <= GS_REPL_BUDGET);
		CU_ASSERT_EQUAL(res.n_removed + res.removed_deferred, left);
		/* the deferred ones stay in the view, beside the one that moved */
		CU_ASSERT_EQUAL(next->v.n, 1 + res.removed_deferred);
		s = gs_repl_decode(&dec, pkt, res.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		for (size_t i = 1; i < s->n_removed; i++)
			CU_ASSERT(s->removed[i - 1] < s->removed[i]); /* id order */
		tv_init(chk, 400);
		CU_ASSERT_EQUAL(gs_repl_apply(&base->v, s, &chk->v), 0);
		CU_ASSERT(view_eq(&chk->v, &next->v));
		if (round == 0) {
			CU_ASSERT(res.removed_deferred > 0);
			printf("\n    removals: %u of 399 in the first datagram ", res.n_removed);
		}
		left = res.removed_deferred;
		t = base;
		base = next;
		next = t;
	}
	CU_ASSERT_EQUAL(left, 0);
}

/* A value for the wire test: small, large, or at the quantised limits. */
static int32_t
wire_value(void)
{
	switch (rng() % 4) {
	case 0:
		return rng_range(-3, 3);
	case 1:
		return rng_range(-GS_REPL_Q_LIMIT, GS_REPL_Q_LIMIT);
	case 2:
		return coin(50) ? GS_REPL_Q_LIMIT : -GS_REPL_Q_LIMIT;
	default:
		return rng_range(-5000, 5000);
	}
}

static void
wire_ent(struct gs_repl_ent *x, uint32_t id)
{
	x->id = id;
	for (unsigned int k = 0; k < 3; k++) {
		x->q[k] = wire_value();
		x->v[k] = wire_value();
	}
	x->hp = wire_value();
	x->alive = coin(80) ? 1 : 0;
}

/*
 * The encoder writes the Snapshot's bytes itself: they must be protobuf-c's
 * packing of the message they decode to, byte for byte, and as long as the
 * encoder's own size accounting says (res.len).
 */
static void
test_encoding_is_protobuf_c_packing_byte_for_byte(void)
{
	static struct gs_repl_ent c[400];
	static uint8_t repacked[sizeof(pkt)];
	struct gs_repl_enc_res res;
	const Gs__Snapshot *s;
	uint32_t n, nb, nc, id, seen_cut = 0, seen_deferred = 0, seen_mixed = 0;

	rng_seed(11);
	for (unsigned int round = 0; round < 2000; round++) {
		/* a baseline view (or none) from a full snapshot of random entities */
		nb = coin(20) ? 0 : (uint32_t)rng_range(0, 150);
		id = 1;
		for (uint32_t i = 0; i < nb; i++) {
			id += (uint32_t)rng_range(1, coin(10) ? 3000000 : 300);
			wire_ent(&c[i], id);
		}
		tv_init(&va, GS_REPL_VIEW_MAX);
		if (nb > 0)
			CU_ASSERT_EQUAL_FATAL(gs_repl_encode(enc, NULL, c, nb, 1, sizeof(pkt), pkt,
						      sizeof(pkt), &va.v, &res),
				0);
		/* candidates: some of the baseline, changed or not, and new ones, shuffled */
		nc = 0;
		for (uint32_t i = 0; i < va.v.n; i++) {
			if (coin(25))
				continue; /* leaves: removed */
			c[nc] = va.v.e[i];
			if (coin(70)) {
				c[nc].q[0] =
					coin(50) ? wire_value() : c[nc].q[0] + rng_range(-40, 40);
				c[nc].q[0] = c[nc].q[0] > GS_REPL_Q_LIMIT  ? GS_REPL_Q_LIMIT :
					     c[nc].q[0] < -GS_REPL_Q_LIMIT ? -GS_REPL_Q_LIMIT :
									     c[nc].q[0];
				c[nc].v[1] = wire_value();
			}
			if (coin(10))
				c[nc].alive ^= 1;
			nc++;
		}
		n = nc + (uint32_t)rng_range(0, 60);
		for (; nc < n; nc++)
			wire_ent(&c[nc], (uint32_t)rng_range(1, INT32_MAX) | 1u << 31);
		for (uint32_t i = n; i > 1; i--) {
			uint32_t j = (uint32_t)(rng() % i);
			struct gs_repl_ent t = c[i - 1];

			c[i - 1] = c[j];
			c[j] = t;
		}
		tv_init(&vb, coin(10) ? va.v.n + 5 : GS_REPL_VIEW_MAX); /* a full view: cuts */
		CU_ASSERT_EQUAL_FATAL(gs_repl_encode(enc, nb > 0 ? &va.v : NULL, c, n, 2,
					      coin(30) ? (size_t)rng_range(8, 600) : GS_REPL_BUDGET,
					      pkt, sizeof(pkt), &vb.v, &res),
			0);
		s = gs_repl_decode(&dec, pkt, res.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL_FATAL(gs__snapshot__get_packed_size(s), res.len);
		CU_ASSERT_EQUAL_FATAL(gs__snapshot__pack(s, repacked), res.len);
		CU_ASSERT_FATAL(memcmp(repacked, pkt, res.len) == 0);
		CU_ASSERT_EQUAL(s->n_full, res.n_full);
		CU_ASSERT_EQUAL(s->n_delta, res.n_delta);
		CU_ASSERT_EQUAL(s->n_removed, res.n_removed);
		CU_ASSERT_EQUAL(s->cut, res.cut);
		seen_cut += res.cut > 0;
		seen_deferred += res.removed_deferred > 0;
		seen_mixed += res.n_full > 0 && res.n_delta > 0 && res.n_removed > 0;
		/* and the client makes the server's view of it */
		tv_init(&vc, GS_REPL_VIEW_MAX);
		CU_ASSERT_EQUAL_FATAL(gs_repl_apply(nb > 0 ? &va.v : NULL, s, &vc.v), 0);
		CU_ASSERT(view_eq(&vc.v, &vb.v));
	}
	/* every kind of message was among them */
	CU_ASSERT(seen_cut > 100 && seen_deferred > 10 && seen_mixed > 100);
	printf("\n    wire: %u cut, %u with deferred removals, %u with all three lists of 2000 ",
		seen_cut, seen_deferred, seen_mixed);
}

static void
test_encode_refuses_bad_input(void)
{
	struct gs_repl_ent c[] = { ent(1, 0, 0, 0), ent(2, 0, 0, 0), ent(1, 5, 0, 0) };
	struct gs_repl_enc_res res;

	tv_init(&va, 64);
	tv_init(&vb, 64);
	CU_ASSERT_EQUAL(gs_repl_encode(enc, NULL, c, 3, 1, 1200, pkt, sizeof(pkt), &va.v, &res),
		-EINVAL); /* id 1 twice */
	CU_ASSERT_EQUAL(gs_repl_encode(enc, NULL, c, 2, 0, 1200, pkt, sizeof(pkt), &va.v, &res),
		-EINVAL); /* tick 0 */
	c[2].id = 0;
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, NULL, c, 3, 1, 1200, pkt, sizeof(pkt), &va.v, &res), -EINVAL);
	c[2].id = 3;
	c[2].alive = 2;
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, NULL, c, 3, 1, 1200, pkt, sizeof(pkt), &va.v, &res), -ERANGE);
	c[2].alive = 1;
	c[2].q[1] = GS_REPL_Q_LIMIT + 1;
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, NULL, c, 3, 1, 1200, pkt, sizeof(pkt), &va.v, &res), -ERANGE);
	c[2].q[1] = 0;
	CU_ASSERT_EQUAL(gs_repl_encode(enc, NULL, c, 3, 1, 3, pkt, sizeof(pkt), &va.v, &res),
		-EMSGSIZE); /* the header alone is 2 bytes, the cut field 2 */
	CU_ASSERT_EQUAL(gs_repl_encode(enc, NULL, c, 3, 1, 4, pkt, sizeof(pkt), &va.v, &res), 0);
	CU_ASSERT_EQUAL(res.cut, 3);
	CU_ASSERT_EQUAL(res.len, 4);
	CU_ASSERT_EQUAL(gs_repl_encode(enc, NULL, c, 3, 5, 1200, pkt, sizeof(pkt), &va.v, &res), 0);
	/* a baseline not older than the tick, the same memory as the next view */
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, &va.v, c, 3, 5, 1200, pkt, sizeof(pkt), &vb.v, &res), -EINVAL);
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, &va.v, c, 3, 4, 1200, pkt, sizeof(pkt), &vb.v, &res), -EINVAL);
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, &va.v, c, 3, 6, 1200, pkt, sizeof(pkt), &va.v, &res), -EINVAL);
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, &va.v, c, 3, 6, 1200, pkt, sizeof(pkt), &vb.v, &res), 0);
	/* ticks wrap: 2 is newer than 2^32 - 2 */
	va.v.tick = UINT32_MAX - 1;
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, &va.v, c, 3, 2, 1200, pkt, sizeof(pkt), &vb.v, &res), 0);
	CU_ASSERT_EQUAL(
		gs_repl_encode(NULL, NULL, c, 3, 2, 1200, pkt, sizeof(pkt), &vb.v, &res), -EINVAL);
}

/* A candidate twice: found in the baseline twice, or twice among the new ones (few or many). */
static void
test_encode_refuses_a_candidate_twice_in_the_baseline_or_not(void)
{
	static struct gs_repl_ent c[40];
	struct gs_repl_ent b[] = { ent(1, 0, 0, 0), ent(2, 0, 0, 0), ent(3, 0, 0, 0) };
	struct gs_repl_enc_res res;

	tv_init(&va, 64);
	tv_init(&vb, 64);
	CU_ASSERT_EQUAL_FATAL(
		gs_repl_encode(enc, NULL, b, 3, 5, 1200, pkt, sizeof(pkt), &va.v, &res), 0);
	c[0] = ent(2, 1, 0, 0);
	c[1] = ent(9, 0, 0, 0);
	c[2] = ent(2, 0, 0, 0);
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, &va.v, c, 3, 6, 1200, pkt, sizeof(pkt), &vb.v, &res), -EINVAL);
	c[0] = ent(9, 1, 0, 0);
	c[1] = ent(3, 0, 0, 0);
	c[2] = ent(9, 0, 0, 0);
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, &va.v, c, 3, 6, 1200, pkt, sizeof(pkt), &vb.v, &res), -EINVAL);
	for (uint32_t i = 0; i < 40; i++)
		c[i] = ent(1000 - i * 7, (int32_t)i, 0, 0);
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, &va.v, c, 40, 6, 1200, pkt, sizeof(pkt), &vb.v, &res), 0);
	CU_ASSERT_EQUAL(res.n_full, 40);
	CU_ASSERT_EQUAL(res.n_removed, 3);
	CU_ASSERT(view_sorted(&vb.v));
	c[39].id = c[3].id;
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, &va.v, c, 40, 6, 1200, pkt, sizeof(pkt), &vb.v, &res), -EINVAL);
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, NULL, c, 40, 6, 1200, pkt, sizeof(pkt), &vb.v, &res), -EINVAL);
	/* beyond the view cap a candidate is not considered, nor its id */
	tv_init(&vb, 39);
	CU_ASSERT_EQUAL(
		gs_repl_encode(enc, NULL, c, 40, 6, 1200, pkt, sizeof(pkt), &vb.v, &res), 0);
}

static void
test_candidates_beyond_the_view_cap_are_cut(void)
{
	static struct gs_repl_ent c[20];
	struct gs_repl_enc_res res;

	for (uint32_t i = 0; i < 20; i++)
		c[i] = ent(i + 1, (int32_t)i, 0, 0);
	tv_init(&va, 8);
	CU_ASSERT_EQUAL_FATAL(
		gs_repl_encode(enc, NULL, c, 20, 1, 1200, pkt, sizeof(pkt), &va.v, &res), 0);
	CU_ASSERT_EQUAL(res.n_full, 8);
	CU_ASSERT_EQUAL(res.cut, 12);
	CU_ASSERT_EQUAL(va.v.n, 8);
	CU_ASSERT_EQUAL(va.v.e[7].id, 8);
}

/* --- the session record and its acks --------------------------------------------------------- */

static void
test_acks_move_the_baseline_forward_only(void)
{
	struct gs_repl_sess *s = gs_repl_sess_create(8, 16);
	struct gs_repl_ent c[] = { ent(1, 0, 0, 0), ent(2, 30, 0, 0) };
	struct gs_repl_enc_res res;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (uint32_t t = 1; t <= 5; t++) {
		c[1].q[0]++;
		CU_ASSERT_EQUAL(
			gs_repl_sess_snapshot(s, enc, c, 2, t, 1200, pkt, sizeof(pkt), &res), 0);
	}
	CU_ASSERT_EQUAL(s->stats.full, 5); /* no ack yet: every one full */
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 3), 0);
	CU_ASSERT_EQUAL(s->baseline, 3);
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 3), -EALREADY);
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 2), -ESTALE); /* reordered: older */
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 6), -ENOENT); /* never sent */
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 0), -ENOENT);
	CU_ASSERT_EQUAL(s->baseline, 3);
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 5), 0);
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 4), -ESTALE);
	CU_ASSERT_EQUAL(s->baseline, 5);
	CU_ASSERT_EQUAL(s->stats.acks, 2);
	CU_ASSERT_EQUAL(s->stats.acks_dup, 1);
	CU_ASSERT_EQUAL(s->stats.acks_old, 2);
	CU_ASSERT_EQUAL(s->stats.acks_unknown, 2);

	/* the next snapshot is a delta against 5 */
	c[1].q[0]++;
	CU_ASSERT_EQUAL(gs_repl_sess_snapshot(s, enc, c, 2, 6, 1200, pkt, sizeof(pkt), &res), 0);
	CU_ASSERT_EQUAL(res.n_delta, 1);
	CU_ASSERT_EQUAL(gs_repl_decode(&dec, pkt, res.len)->baseline, 5);
	/* a tick not newer than the last is refused, and records nothing */
	CU_ASSERT_EQUAL(
		gs_repl_sess_snapshot(s, enc, c, 2, 6, 1200, pkt, sizeof(pkt), &res), -EINVAL);
	CU_ASSERT_EQUAL(s->last_tick, 6);
	gs_repl_sess_free(s);
}

static void
test_lost_acks_keep_an_older_baseline_until_it_leaves_the_ring(void)
{
	struct gs_repl_sess *s = gs_repl_sess_create(8, 16);
	struct gs_repl_ent c[] = { ent(1, 0, 0, 0) };
	struct gs_repl_enc_res res;
	const Gs__Snapshot *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(gs_repl_sess_snapshot(s, enc, c, 1, 100, 1200, pkt, sizeof(pkt), &res), 0);
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 100), 0);
	/* every later ack is lost: deltas against 100 for 7 more ticks, then full */
	for (uint32_t t = 101; t <= 110; t++) {
		c[0].q[0]++;
		CU_ASSERT_EQUAL_FATAL(
			gs_repl_sess_snapshot(s, enc, c, 1, t, 1200, pkt, sizeof(pkt), &res), 0);
		m = gs_repl_decode(&dec, pkt, res.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		if (t < 108) {
			CU_ASSERT_EQUAL(m->baseline, 100);
			CU_ASSERT_EQUAL(m->n_delta, 1);
			CU_ASSERT_EQUAL(
				m->delta[0]->x, (int32_t)(t - 100)); /* against the old state */
		} else {
			CU_ASSERT_EQUAL(m->baseline, 0);
			CU_ASSERT_EQUAL(m->n_full, 1);
		}
	}
	CU_ASSERT_EQUAL(s->stats.baseline_lost, 1);
	CU_ASSERT_EQUAL(s->baseline, 0);
	/* the views of 100..102 left the ring: acks of them are unknown */
	CU_ASSERT_PTR_NULL(gs_repl_sess_view(s, 102));
	CU_ASSERT_PTR_NOT_NULL(gs_repl_sess_view(s, 103));
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 102), -ENOENT);
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 104), 0);
	gs_repl_sess_reset(s);
	CU_ASSERT_EQUAL(s->baseline, 0);
	CU_ASSERT_PTR_NULL(gs_repl_sess_view(s, 110));
	CU_ASSERT_EQUAL(s->stats.snapshots, 0);
	gs_repl_sess_free(s);
}

static void
test_skipped_ticks_age_views_out_by_tick_not_by_slot(void)
{
	struct gs_repl_sess *s = gs_repl_sess_create(4, 16);
	struct gs_repl_ent c[] = { ent(1, 0, 0, 0) };
	struct gs_repl_enc_res res;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* ticks 1, 3, 5, ...: the odd slots stay, but only the last 4 ticks count */
	for (uint32_t t = 1; t <= 9; t += 2)
		CU_ASSERT_EQUAL(
			gs_repl_sess_snapshot(s, enc, c, 1, t, 1200, pkt, sizeof(pkt), &res), 0);
	CU_ASSERT_PTR_NULL(gs_repl_sess_view(s, 5));
	CU_ASSERT_PTR_NOT_NULL(gs_repl_sess_view(s, 7));
	CU_ASSERT_PTR_NOT_NULL(gs_repl_sess_view(s, 9));
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 5), -ENOENT);
	CU_ASSERT_EQUAL(gs_repl_sess_ack(s, 7), 0);
	CU_ASSERT_EQUAL(gs_repl_sess_snapshot(s, enc, c, 1, 11, 1200, pkt, sizeof(pkt), &res), 0);
	CU_ASSERT_EQUAL(s->stats.full, 6); /* 11 - 7 = 4 ticks: out of the ring */
	CU_ASSERT_EQUAL(s->stats.baseline_lost, 1);
	CU_ASSERT_PTR_NULL(gs_repl_sess_create(0, 16));
	CU_ASSERT_PTR_NULL(gs_repl_sess_create(4, GS_REPL_VIEW_MAX + 1));
	gs_repl_sess_free(s);
}

/*
 * A client of the model test: the views it applied (the last K, by tick), as
 * libgsclient keeps them, applying with the library.
 */
#define CL_VIEWS 4 /* fewer than the server's ring: baselines get dropped */

struct model_client {
	struct test_view v[CL_VIEWS + 1];
	uint32_t newest;
	uint64_t applied, old, no_base;
};

static struct gs_repl_view *
cl_find(struct model_client *cl, uint32_t tick)
{
	for (unsigned int i = 0; i <= CL_VIEWS; i++)
		if (cl->v[i].v.tick == tick && tick != 0)
			return &cl->v[i].v;
	return NULL;
}

/* Apply snapshot bytes as the client does: drop old, drop without baseline. */
static const struct gs_repl_view *
cl_input(struct model_client *cl, const uint8_t *b, size_t len)
{
	const Gs__Snapshot *s = gs_repl_decode(&dec, b, len);
	struct gs_repl_view *base = NULL, *slot = NULL, *oldest = NULL;
	unsigned int held = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	if (cl->newest != 0 && (int32_t)(s->tick - cl->newest) <= 0) {
		cl->old++;
		return NULL;
	}
	if (s->baseline != 0) {
		base = cl_find(cl, s->baseline);
		if (base == NULL) {
			cl->no_base++;
			return NULL;
		}
	}
	/* a free slot: CL_VIEWS are held at most, in CL_VIEWS + 1 slots */
	for (unsigned int i = 0; i <= CL_VIEWS && slot == NULL; i++)
		if (cl->v[i].v.tick == 0)
			slot = &cl->v[i].v;
	CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
	CU_ASSERT_EQUAL_FATAL(gs_repl_apply(base, s, slot), 0);
	cl->newest = s->tick;
	cl->applied++;
	for (unsigned int i = 0; i <= CL_VIEWS; i++) {
		struct gs_repl_view *v = &cl->v[i].v;

		if (v->tick == 0)
			continue;
		held++;
		if (oldest == NULL || (int32_t)(v->tick - oldest->tick) < 0)
			oldest = v;
	}
	if (held > CL_VIEWS)
		oldest->tick = 0;
	return slot;
}

/* A message in flight: delivered at tick `at`. */
struct flight {
	uint32_t at;
	uint32_t ack; /* an ack: its tick; else a snapshot */
	size_t len;
	uint8_t b[GS_REPL_BUDGET];
};

static void
test_client_view_equals_the_server_view_over_many_random_ticks(void)
{
	enum {
		N = 600,
		PLAYERS = 3,
		TICKS = 400,
		Q = 64
	};
	static struct gs_repl_ent world[N], cand[N];
	static struct gs_repl_hit hits[N];
	static struct model_client cl[PLAYERS];
	static struct flight fl[PLAYERS][Q];
	const float lo[2] = { -300.0f, -300.0f }, hi[2] = { 300.0f, 300.0f };
	struct gs_repl_grid *g = gs_repl_grid_create(lo, hi, 40.0f, N);
	struct gs_repl_sess *s[PLAYERS];
	struct gs_repl_enc *e = gs_repl_enc_create(256);
	uint64_t checked = 0, cut = 0, fulls = 0, sent = 0, bytes = 0;
	uint32_t n = N;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	rng_seed(42);
	for (uint32_t i = 0; i < n; i++) {
		world[i] = ent(i * 3 + 1, rng_range(-4800, 4800), rng_range(-4800, 4800),
			rng_range(-50, 50));
		world[i].v[0] = rng_range(-80, 80);
		world[i].v[1] = rng_range(-80, 80);
	}
	for (unsigned int p = 0; p < PLAYERS; p++) {
		s[p] = gs_repl_sess_create(16, 256);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s[p]);
		memset(&cl[p], 0, sizeof(cl[p]));
		for (unsigned int i = 0; i <= CL_VIEWS; i++)
			tv_init(&cl[p].v[i], 256);
		for (unsigned int k = 0; k < Q; k++)
			fl[p][k].at = 0;
	}

	for (uint32_t tick = 1; tick <= TICKS; tick++) {
		bool outage = tick % 100 >= 70 && tick % 100 < 90;

		/* the world moves: walks, jumps, damage, deaths */
		for (uint32_t i = 0; i < n; i++) {
			struct gs_repl_ent *x = &world[i];

			if (coin(60)) {
				x->q[0] += x->v[0] / 16;
				x->q[1] += x->v[1] / 16;
			}
			if (coin(3))
				x->v[0] = rng_range(-80, 80);
			if (coin(1)) { /* a teleport (respawn) */
				x->q[0] = rng_range(-4800, 4800);
				x->q[1] = rng_range(-4800, 4800);
			}
			if (coin(2))
				x->hp = rng_range(0, 100);
			if (coin(1))
				x->alive ^= 1;
		}
		/* players' entities: 0, 1, 2 (they move like the others) */
		CU_ASSERT_EQUAL_FATAL(gs_repl_grid_build(g, world, n), 0);
		for (unsigned int p = 0; p < PLAYERS; p++) {
			struct gs_repl_enc_res res;
			uint32_t nh;
			size_t budget = p == 0 ? GS_REPL_BUDGET : p == 1 ? 300 : 120;

			nh = gs_repl_aoi(g, world[p].q, gs_repl_q(60.0f + 20.0f * p), hits, 256);
			gs_repl_gather(g, hits, nh, cand);
			CU_ASSERT_EQUAL_FATAL(gs_repl_sess_snapshot(s[p], e, cand, nh, tick, budget,
						      pkt, sizeof(pkt), &res),
				0);
			CU_ASSERT_FATAL(res.len <= budget);
			cut += res.cut;
			bytes += res.len;
			sent++;
			/*
			 * Into the network: 15% lost, delivered 1 to 4 ticks later
			 * (reordered); everything lost for 20 ticks in every 100.
			 */
			if (!coin(15) && !outage) {
				for (unsigned int k = 0; k < Q; k++) {
					if (fl[p][k].at != 0)
						continue;
					fl[p][k].at = tick + (uint32_t)rng_range(1, 4);
					fl[p][k].ack = 0;
					fl[p][k].len = res.len;
					memcpy(fl[p][k].b, pkt, res.len);
					break;
				}
			}
		}
		/* deliveries due this tick */
		for (unsigned int p = 0; p < PLAYERS; p++) {
			for (unsigned int k = 0; k < Q; k++) {
				struct flight *f = &fl[p][k];
				const struct gs_repl_view *got, *want;

				if (f->at == 0 || f->at > tick)
					continue;
				f->at = 0;
				if (f->ack != 0) {
					gs_repl_sess_ack(s[p], f->ack);
					continue;
				}
				got = cl_input(&cl[p], f->b, f->len);
				if (got == NULL)
					continue;
				fulls += gs_repl_decode(&dec, f->b, f->len)->baseline == 0;
				/* exactly the view the server recorded for that tick */
				want = gs_repl_sess_view(s[p], got->tick);
				CU_ASSERT_PTR_NOT_NULL_FATAL(want);
				CU_ASSERT_FATAL(view_sorted(got));
				CU_ASSERT(view_eq(got, want));
				checked++;
				/* the ack: 20% lost, 1 to 3 ticks on the way */
				if (coin(20) || outage)
					continue;
				for (unsigned int j = 0; j < Q; j++) {
					if (fl[p][j].at != 0)
						continue;
					fl[p][j].at = tick + (uint32_t)rng_range(1, 3);
					fl[p][j].ack = cl[p].newest;
					break;
				}
			}
		}
	}
	CU_ASSERT(checked > (uint64_t)TICKS * PLAYERS / 3);
	CU_ASSERT(cl[0].old > 0);   /* reordering happened ... */
	CU_ASSERT(cut > 0);	    /* ... budgets bit ... */
	CU_ASSERT(fulls > PLAYERS); /* ... baselines were lost ... */
	CU_ASSERT(cl[0].no_base + cl[1].no_base + cl[2].no_base > 0); /* ... and not held */
	printf("\n    model: %llu views equal of %llu sent (%llu old, %llu without baseline "
	       "dropped), %llu full, %llu cut, %.0f bytes/snapshot ",
		(unsigned long long)checked, (unsigned long long)sent,
		(unsigned long long)(cl[0].old + cl[1].old + cl[2].old),
		(unsigned long long)(cl[0].no_base + cl[1].no_base + cl[2].no_base),
		(unsigned long long)fulls, (unsigned long long)cut, (double)bytes / (double)sent);
	for (unsigned int p = 0; p < PLAYERS; p++)
		gs_repl_sess_free(s[p]);
	gs_repl_enc_free(e);
	gs_repl_grid_free(g);
}

/*
 * Bytes per player per tick at steady state: the client acks every snapshot
 * and its acks arrive 3 ticks later (a 150 ms RTT at 20 Hz), so deltas are
 * against a view 3 ticks old.
 */
static double
steady_bytes(bool moving, uint32_t n, double *per_datagram)
{
	enum {
		TICKS = 200,
		LAG = 3
	};
	static struct gs_repl_ent world[64];
	struct gs_repl_sess *s = gs_repl_sess_create(GS_REPL_RING, 128);
	struct gs_repl_enc_res res;
	uint64_t bytes = 0, counted = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	rng_seed(50);
	/* ids as the world has them: session table positions + 1, up to a million */
	for (uint32_t i = 0; i < n; i++) {
		world[i] = ent(i * 20000 + (uint32_t)rng_range(1, 19999), rng_range(-1600, 1600),
			rng_range(-1600, 1600), 0);
		/* walking: 1 to 5 units/s on the ground, 20 ticks a second */
		world[i].v[0] = rng_range(-80, 80);
		world[i].v[1] = rng_range(-80, 80);
	}
	for (uint32_t tick = 1; tick <= TICKS; tick++) {
		if (moving)
			for (uint32_t i = 0; i < n; i++) {
				/* the exact position moves v/20 per tick; quantised it moves 0..4 */
				world[i].q[0] = world[i].q[0] +
						(world[i].v[0] * (int32_t)tick) / 20 -
						(world[i].v[0] * (int32_t)(tick - 1)) / 20;
				world[i].q[1] = world[i].q[1] +
						(world[i].v[1] * (int32_t)tick) / 20 -
						(world[i].v[1] * (int32_t)(tick - 1)) / 20;
			}
		CU_ASSERT_EQUAL_FATAL(gs_repl_sess_snapshot(s, enc, world, n, tick, GS_REPL_BUDGET,
					      pkt, sizeof(pkt), &res),
			0);
		CU_ASSERT_EQUAL(res.cut, 0);
		if (tick > LAG)
			gs_repl_sess_ack(s, tick - LAG);
		if (tick > 20) {
			bytes += res.len;
			counted++;
		}
	}
	gs_repl_sess_free(s);
	*per_datagram = (double)bytes / (double)counted + GS_WIRE_HDR_LEN + 28; /* + IPv4, UDP */
	return (double)bytes / (double)counted;
}

static void
test_bytes_per_player_per_tick_standing_still_and_50_moving(void)
{
	double still_dg, moving_dg;
	double still = steady_bytes(false, 50, &still_dg);
	double moving = steady_bytes(true, 50, &moving_dg);

	printf("\n    bytes/player/tick: 50 standing still %.1f payload (%.1f on the wire), "
	       "50 moving %.1f payload (%.1f on the wire) ",
		still, still_dg, moving, moving_dg);
	CU_ASSERT(still <= 8.0); /* tick + baseline: 2 varints of 3 bytes or less */
	CU_ASSERT(moving <= 600.0);
}

/* --- decoding and applying: hostile input --------------------------------------------------- */

static Gs__EntityState st_mem[16];
static Gs__EntityState *st_full[8], *st_delta[8];
static uint32_t st_removed[8];

/* A Snapshot message to build by hand (the encoder never writes these). */
static void
snap_init(Gs__Snapshot *m, uint32_t tick, uint32_t baseline)
{
	gs__snapshot__init(m);
	m->tick = tick;
	m->baseline = baseline;
	m->full = st_full;
	m->delta = st_delta;
	m->removed = st_removed;
}

static Gs__EntityState *
st(unsigned int slot, uint32_t id, int32_t x)
{
	gs__entity_state__init(&st_mem[slot]);
	st_mem[slot].id = id;
	st_mem[slot].x = x;
	return &st_mem[slot];
}

/* The baseline of the hostile tests: ids 10, 20, 30 at tick 5. */
static void
base_view(void)
{
	tv_init(&va, 64);
	va.v.tick = 5;
	va.v.n = 3;
	va.mem[0] = ent(10, 0, 0, 0);
	va.mem[1] = ent(20, 100, 0, 0);
	va.mem[2] = ent(30, 200, 0, 0);
	tv_init(&vb, 64);
}

/* Round trip through the wire, as a client gets it. */
static int
apply_wire(const Gs__Snapshot *m, const struct gs_repl_view *base, struct gs_repl_view *out)
{
	size_t len = gs__snapshot__pack(m, pkt);
	const Gs__Snapshot *s = gs_repl_decode(&dec, pkt, len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return gs_repl_apply(base, s, out);
}

#define ASSERT_REFUSED(m, err)                                       \
	do {                                                         \
		vb.v.n = 99;                                         \
		vb.v.tick = 99;                                      \
		CU_ASSERT_EQUAL(apply_wire((m), &va.v, &vb.v), err); \
		CU_ASSERT_EQUAL(vb.v.n, 0);                          \
		CU_ASSERT_EQUAL(vb.v.tick, 0);                       \
	} while (0)

static void
test_apply_refuses_a_baseline_it_does_not_hold(void)
{
	Gs__Snapshot m;

	base_view();
	snap_init(&m, 9, 4);
	ASSERT_REFUSED(&m, -ENOENT);
	snap_init(&m, 9, 5);
	CU_ASSERT_EQUAL(apply_wire(&m, NULL, &vb.v), -ENOENT);
	CU_ASSERT_EQUAL(apply_wire(&m, &va.v, &vb.v), 0);
	CU_ASSERT_EQUAL(vb.v.n, 3);
	CU_ASSERT_EQUAL(vb.v.tick, 9);
	/* into the baseline's own memory */
	CU_ASSERT_EQUAL(apply_wire(&m, &va.v, &va.v), -EINVAL);
}

static void
test_apply_refuses_bad_ticks_and_a_full_snapshot_with_deltas(void)
{
	Gs__Snapshot m;

	base_view();
	snap_init(&m, 0, 0);
	ASSERT_REFUSED(&m, -EBADMSG);
	snap_init(&m, 5, 5); /* not newer than its baseline */
	ASSERT_REFUSED(&m, -EBADMSG);
	snap_init(&m, 4, 5);
	ASSERT_REFUSED(&m, -EBADMSG);
	snap_init(&m, 9, 0);
	m.n_delta = 1;
	st_delta[0] = st(0, 10, 1);
	ASSERT_REFUSED(&m, -EBADMSG);
	snap_init(&m, 9, 0);
	m.n_removed = 1;
	st_removed[0] = 10;
	ASSERT_REFUSED(&m, -EBADMSG);
}

static void
test_apply_refuses_ids_twice_absent_or_zero(void)
{
	Gs__Snapshot m;

	base_view();
	/* removed twice */
	snap_init(&m, 9, 5);
	m.n_removed = 2;
	st_removed[0] = 20;
	st_removed[1] = 20;
	ASSERT_REFUSED(&m, -EBADMSG);
	/* removed, not there */
	st_removed[1] = 25;
	ASSERT_REFUSED(&m, -EBADMSG);
	/* more removals than the baseline holds */
	snap_init(&m, 9, 5);
	m.n_removed = 4;
	st_removed[0] = 10;
	st_removed[1] = 20;
	st_removed[2] = 30;
	st_removed[3] = 40;
	ASSERT_REFUSED(&m, -EBADMSG);
	/* a delta twice, for an absent id, for a removed one, for id 0 */
	snap_init(&m, 9, 5);
	m.n_delta = 2;
	st_delta[0] = st(0, 10, 1);
	st_delta[1] = st(1, 10, 1);
	ASSERT_REFUSED(&m, -EBADMSG);
	st_delta[1] = st(1, 11, 1);
	ASSERT_REFUSED(&m, -EBADMSG);
	st_delta[1] = st(1, 0, 1);
	ASSERT_REFUSED(&m, -EBADMSG);
	m.n_delta = 1;
	m.n_removed = 1;
	st_removed[0] = 10;
	ASSERT_REFUSED(&m, -EBADMSG);
	/* a full one already in the view, removed in the same snapshot, twice, id 0 */
	snap_init(&m, 9, 5);
	m.n_full = 1;
	st_full[0] = st(2, 30, 0);
	ASSERT_REFUSED(&m, -EBADMSG);
	m.n_removed = 1;
	st_removed[0] = 30;
	ASSERT_REFUSED(&m, -EBADMSG);
	snap_init(&m, 9, 5);
	m.n_full = 2;
	st_full[0] = st(2, 40, 0);
	st_full[1] = st(3, 40, 1);
	ASSERT_REFUSED(&m, -EBADMSG);
	st_full[1] = st(3, 0, 1);
	ASSERT_REFUSED(&m, -EBADMSG);
	/* and the good version of it */
	st_full[1] = st(3, 41, 1);
	CU_ASSERT_EQUAL(apply_wire(&m, &va.v, &vb.v), 0);
	CU_ASSERT_EQUAL(vb.v.n, 5);
	CU_ASSERT(view_sorted(&vb.v));
}

static void
test_apply_refuses_overflowing_sums_and_values_out_of_range(void)
{
	Gs__Snapshot m;

	base_view();
	va.mem[1].q[0] = GS_REPL_Q_LIMIT - 1;
	snap_init(&m, 9, 5);
	m.n_delta = 1;
	st_delta[0] = st(0, 20, 1);
	CU_ASSERT_EQUAL(apply_wire(&m, &va.v, &vb.v), 0); /* to the limit */
	st_delta[0] = st(0, 20, 2);
	ASSERT_REFUSED(&m, -ERANGE);
	st_delta[0] = st(0, 20, INT32_MAX); /* a sum past int32 */
	ASSERT_REFUSED(&m, -ERANGE);
	st_delta[0] = st(0, 10, 0);
	st_delta[0]->hp = INT32_MIN;
	ASSERT_REFUSED(&m, -ERANGE);
	st_delta[0] = st(0, 10, 0);
	st_delta[0]->alive = 1; /* alive 2 */
	ASSERT_REFUSED(&m, -ERANGE);
	st_delta[0]->alive = -2; /* alive -1 */
	ASSERT_REFUSED(&m, -ERANGE);
	st_delta[0]->alive = -1; /* dies */
	CU_ASSERT_EQUAL(apply_wire(&m, &va.v, &vb.v), 0);
	CU_ASSERT_EQUAL(gs_repl_view_find(&vb.v, 10)->alive, 0);
	snap_init(&m, 9, 5);
	m.n_full = 1;
	st_full[0] = st(2, 40, INT32_MIN);
	ASSERT_REFUSED(&m, -ERANGE);
	st_full[0] = st(2, 40, 0);
	st_full[0]->vz = GS_REPL_Q_LIMIT + 1;
	ASSERT_REFUSED(&m, -ERANGE);
	st_full[0]->vz = 0;
	st_full[0]->alive = 3;
	ASSERT_REFUSED(&m, -ERANGE);
}

static void
test_apply_refuses_more_entities_than_its_bound(void)
{
	Gs__Snapshot m;

	base_view();
	snap_init(&m, 9, 5);
	m.n_full = 2;
	st_full[0] = st(2, 40, 0);
	st_full[1] = st(3, 50, 0);
	vb.v.cap = 4;
	ASSERT_REFUSED(&m, -E2BIG);
	vb.v.cap = 5;
	CU_ASSERT_EQUAL(apply_wire(&m, &va.v, &vb.v), 0);
	/* a baseline larger than the output */
	vb.v.cap = 2;
	m.n_full = 0;
	ASSERT_REFUSED(&m, -E2BIG);
	/* a full snapshot larger than the output */
	snap_init(&m, 9, 0);
	m.n_full = 3;
	st_full[0] = st(2, 40, 0);
	st_full[1] = st(3, 50, 0);
	st_full[2] = st(4, 60, 0);
	ASSERT_REFUSED(&m, -E2BIG);
}

static void
test_decode_refuses_junk_and_holds_the_largest_snapshot(void)
{
	static const uint8_t junk[] = { 0x1a, 0x05, 0x08 };
	static struct gs_repl_ent c[600];
	struct gs_repl_enc_res res;
	const Gs__Snapshot *s;

	errno = 0;
	CU_ASSERT_PTR_NULL(gs_repl_decode(&dec, junk, sizeof(junk)));
	CU_ASSERT_EQUAL(errno, EBADMSG);
	CU_ASSERT_PTR_NULL(gs_repl_decode(NULL, junk, sizeof(junk)));
	CU_ASSERT_EQUAL(errno, EINVAL);
	s = gs_repl_decode(&dec, NULL, 0); /* empty: every field 0 */
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->tick, 0);

	/* the most entities a datagram holds: small ids at the origin, 4 bytes each */
	for (uint32_t i = 0; i < 600; i++) {
		c[i] = ent(i + 1, 0, 0, 0);
		c[i].hp = 0;
		c[i].alive = 0;
	}
	{
		struct gs_repl_enc *big = gs_repl_enc_create(600);

		CU_ASSERT_PTR_NOT_NULL_FATAL(big);
		tv_init(&va, 600);
		CU_ASSERT_EQUAL_FATAL(gs_repl_encode(big, NULL, c, 600, 1, GS_REPL_BUDGET, pkt,
					      sizeof(pkt), &va.v, &res),
			0);
		gs_repl_enc_free(big);
	}
	CU_ASSERT(res.n_full > 250);
	s = gs_repl_decode(&dec, pkt, res.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->n_full, res.n_full);
	CU_ASSERT(dec.arena.used + 16384 < GS_REPL_ARENA_SIZE); /* room to spare */
	printf("\n    decode: %u entities in %zu bytes use %zu bytes of arena ", res.n_full,
		res.len, dec.arena.used);
}

static CU_TestInfo quant_tests[] = {
	{ "q rounds to a sixteenth and saturates", test_q_rounds_to_a_sixteenth_and_saturates },
	{ "quantise saturates hp and makes alive a bit",
		test_quantise_saturates_hp_and_makes_alive_a_bit },
	{ "read quantises the world and forgets a stale velocity",
		test_read_quantises_the_world_and_forgets_a_stale_velocity },
	{ "read of a dead entity says dead at its respawn point",
		test_read_of_a_dead_entity_says_dead_where_it_died_then_respawns },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo grid_tests[] = {
	{ "grid dims cover the bounds inclusive", test_grid_dims_cover_the_bounds_inclusive },
	{ "grid create refuses bad shapes", test_grid_create_refuses_bad_shapes },
	{ "grid puts every entity in its cell once in index order",
		test_grid_puts_every_entity_in_its_cell_once_in_index_order },
	{ "aoi equals brute force on random worlds", test_aoi_equals_brute_force_on_random_worlds },
	{ "aoi is nearest first with ties by id and the radius inclusive",
		test_aoi_is_nearest_first_with_ties_by_id_and_the_radius_inclusive },
	{ "aoi at the quantised limits does not overflow",
		test_aoi_at_the_quantised_limits_does_not_overflow },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo encode_tests[] = {
	{ "full snapshot carries every candidate nearest first",
		test_full_snapshot_carries_every_candidate_nearest_first },
	{ "delta sends only what changed", test_delta_sends_only_what_changed },
	{ "entities that leave are removed and new ones sent whole",
		test_entities_that_leave_are_removed_and_new_ones_sent_whole },
	{ "budget keeps the nearest and never exceeds",
		test_budget_keeps_the_nearest_and_never_exceeds },
	{ "a cut baseline entity stays stale in the view",
		test_a_cut_baseline_entity_stays_stale_in_the_view },
	{ "removals go first and those that do not fit wait",
		test_removals_go_first_and_those_that_do_not_fit_wait },
	{ "encoding is protobuf-c packing byte for byte",
		test_encoding_is_protobuf_c_packing_byte_for_byte },
	{ "encode refuses bad input", test_encode_refuses_bad_input },
	{ "encode refuses a candidate twice in the baseline or not",
		test_encode_refuses_a_candidate_twice_in_the_baseline_or_not },
	{ "candidates beyond the view cap are cut", test_candidates_beyond_the_view_cap_are_cut },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo sess_tests[] = {
	{ "acks move the baseline forward only", test_acks_move_the_baseline_forward_only },
	{ "lost acks keep an older baseline until it leaves the ring",
		test_lost_acks_keep_an_older_baseline_until_it_leaves_the_ring },
	{ "skipped ticks age views out by tick not by slot",
		test_skipped_ticks_age_views_out_by_tick_not_by_slot },
	{ "client view equals the server view over many random ticks",
		test_client_view_equals_the_server_view_over_many_random_ticks },
	{ "bytes per player per tick standing still and 50 moving",
		test_bytes_per_player_per_tick_standing_still_and_50_moving },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo apply_tests[] = {
	{ "apply refuses a baseline it does not hold",
		test_apply_refuses_a_baseline_it_does_not_hold },
	{ "apply refuses bad ticks and a full snapshot with deltas",
		test_apply_refuses_bad_ticks_and_a_full_snapshot_with_deltas },
	{ "apply refuses ids twice absent or zero", test_apply_refuses_ids_twice_absent_or_zero },
	{ "apply refuses overflowing sums and values out of range",
		test_apply_refuses_overflowing_sums_and_values_out_of_range },
	{ "apply refuses more entities than its bound",
		test_apply_refuses_more_entities_than_its_bound },
	{ "decode refuses junk and holds the largest snapshot",
		test_decode_refuses_junk_and_holds_the_largest_snapshot },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "repl quantise", .pTests = quant_tests },
	{ .pName = "repl grid and aoi", .pTests = grid_tests },
	{ .pName = "repl encode", .pTests = encode_tests },
	{ .pName = "repl session", .pTests = sess_tests },
	{ .pName = "repl apply", .pTests = apply_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	int ret;

	enc = gs_repl_enc_create(GS_REPL_VIEW_MAX);
	if (enc == NULL)
		return 1;
	ret = gs_test_run(suites);
	gs_repl_enc_free(enc);
	return ret;
}
