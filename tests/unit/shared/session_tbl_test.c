/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_memory.h>

#include <CUnit/CUnit.h>

#include "gs_session_tbl.h"
#include "gs_test.h"

/*
 * The session table lives in DPDK memory (a memzone and two rte_hash), so
 * main() brings EAL up without hugepages or shared files (--no-huge
 * --in-memory). Every test creates its own table and frees it; create
 * also reclaims a table a failed test left behind.
 */
static struct gs_session_tbl t;

/* An idle limit no test session reaches: sweeps that only release closed slots. */
#define NO_IDLE (UINT64_C(1) << 40)

static void
tbl_new(uint32_t max)
{
	CU_ASSERT_EQUAL_FATAL(gs_session_tbl_create(&t, max, SOCKET_ID_ANY), 0);
}

/* A distinct client address for each @p i. */
static struct gs_peer
peer_n(uint32_t i)
{
	struct gs_peer p = {
		.ip = htonl(0x0a000000u + i),
		.port = htons((uint16_t)(1024 + i % 60000)),
		.mac = { 0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i },
	};

	return p;
}

/* Open sessions for peers @p first, first + 1, ... until one fails; returns how many opened. */
static uint32_t
fill(uint32_t first, uint64_t now, int *last_ret)
{
	struct gs_session *s;
	uint32_t n = 0;
	struct gs_peer p;

	for (;;) {
		p = peer_n(first + n);
		*last_ret = gs_session_open(&t, &p, 1000 + n, now, &s);
		if (*last_ret != 0)
			return n;
		n++;
		CU_ASSERT_FATAL(n <= t.max);
	}
}

/* --- open and find ----------------------------------------------------------------------- */

static void
test_open_then_find_by_id_and_by_peer_returns_it(void)
{
	struct gs_peer p = peer_n(1);
	struct gs_session *s = NULL;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 42, 100, &s), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->state, GS_SESS_ACTIVE);
	CU_ASSERT_NOT_EQUAL(s->session_id, 0);
	CU_ASSERT_EQUAL(s->player_id, 42);
	CU_ASSERT_EQUAL(s->created_tsc, 100);
	CU_ASSERT_EQUAL(s->last_seen_tsc, 100);
	CU_ASSERT_EQUAL(memcmp(&s->peer, &p, sizeof(p)), 0);
	CU_ASSERT_PTR_EQUAL(gs_session_find(&t, s->session_id), s);
	CU_ASSERT_PTR_EQUAL(gs_session_find_peer(&t, &p), s);
	CU_ASSERT_EQUAL(gs_session_count(&t), 1);
	gs_session_tbl_free(&t);
}

static void
test_ids_are_nonzero_and_distinct_over_1000_opens(void)
{
	static uint32_t ids[1000];
	struct gs_session *s;

	tbl_new(4096);
	for (uint32_t i = 0; i < 1000; i++) {
		struct gs_peer p = peer_n(i);

		CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, i, 1, &s), 0);
		ids[i] = s->session_id;
		CU_ASSERT_NOT_EQUAL(ids[i], 0);
	}
	for (uint32_t i = 0; i < 1000; i++)
		for (uint32_t j = 0; j < i; j++)
			CU_ASSERT_NOT_EQUAL_FATAL(ids[i], ids[j]);
	CU_ASSERT_EQUAL(gs_session_count(&t), 1000);
	gs_session_tbl_free(&t);
}

static void
test_second_open_from_same_peer_is_eexist_with_the_same_session(void)
{
	struct gs_peer p = peer_n(7);
	struct gs_session *first = NULL, *second = NULL;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 10, &first), 0);
	CU_ASSERT_EQUAL(gs_session_open(&t, &p, 2, 20, &second), -EEXIST);
	CU_ASSERT_PTR_EQUAL(second, first);
	CU_ASSERT_EQUAL(first->player_id, 1);
	CU_ASSERT_EQUAL(gs_session_count(&t), 1);
	gs_session_tbl_free(&t);
}

static void
test_same_ip_other_port_is_another_session(void)
{
	struct gs_peer a = peer_n(7), b = peer_n(7);
	struct gs_session *sa = NULL, *sb = NULL;

	b.port = htons(9);
	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &a, 1, 10, &sa), 0);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &b, 2, 10, &sb), 0);
	CU_ASSERT_PTR_NOT_EQUAL(sa, sb);
	CU_ASSERT_PTR_EQUAL(gs_session_find_peer(&t, &b), sb);
	gs_session_tbl_free(&t);
}

static void
test_find_of_id_zero_is_null(void)
{
	struct gs_peer p = peer_n(1);
	struct gs_session *s;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 1, &s), 0);
	CU_ASSERT_PTR_NULL(gs_session_find(&t, 0));
	gs_session_tbl_free(&t);
}

static void
test_find_of_unknown_id_or_peer_is_null(void)
{
	struct gs_peer p = peer_n(1), other = peer_n(2);
	struct gs_session *s;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 1, &s), 0);
	CU_ASSERT_PTR_NULL(gs_session_find(&t, s->session_id ^ 1));
	CU_ASSERT_PTR_NULL(gs_session_find_peer(&t, &other));
	gs_session_tbl_free(&t);
}

/* An id is its position + 1 in the low bits and a generation above: no hash to search. */
static void
test_id_names_the_position_and_other_generations_or_positions_are_not_found(void)
{
	struct gs_peer p = peer_n(1);
	struct gs_session *s;
	uint32_t pos, gen_bit;

	tbl_new(64);
	CU_ASSERT_EQUAL(t.id_bits, 7); /* positions 1..64 */
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 1, &s), 0);
	pos = (uint32_t)(s - t.s);
	CU_ASSERT_EQUAL(gs_session_id_pos(&t, s->session_id), pos);
	CU_ASSERT_EQUAL(s->entity_id, pos + 1);
	CU_ASSERT_NOT_EQUAL(s->session_id >> t.id_bits, 0); /* a generation is drawn */
	gen_bit = UINT32_C(1) << t.id_bits;
	CU_ASSERT_PTR_NULL(gs_session_find(&t, s->session_id ^ gen_bit)); /* same slot, other gen */
	CU_ASSERT_PTR_NULL(gs_session_find(&t, (s->session_id & ~t.id_mask) | 65)); /* > max */
	CU_ASSERT_PTR_NULL(gs_session_find(&t, (s->session_id & ~t.id_mask) | 127));
	CU_ASSERT_PTR_NULL(gs_session_find(&t, s->session_id & ~t.id_mask)); /* position 0 */
	gs_session_tbl_free(&t);
}

/* A position reused after its grace period gets another id: the old id finds nothing there. */
static void
test_a_reused_position_gets_a_new_generation_every_time(void)
{
	struct gs_peer p = peer_n(1);
	struct gs_session *s;
	uint32_t cursor = 0, prev = 0, slot = 0;

	tbl_new(16);
	for (int round = 0; round < 300; round++) {
		CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, (uint64_t)round * 10, &s), 0);
		if (round > 0) {
			CU_ASSERT_EQUAL(gs_session_slot(&t, s), slot); /* the same position */
			CU_ASSERT_NOT_EQUAL_FATAL(s->session_id, prev);
			CU_ASSERT_PTR_NULL(gs_session_find(&t, prev));
			CU_ASSERT_PTR_NULL(gs_session_at(&t, slot, prev));
		}
		slot = gs_session_slot(&t, s);
		prev = s->session_id;
		CU_ASSERT_PTR_EQUAL(gs_session_find(&t, prev), s);
		CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, s, (uint64_t)round * 10 + 1), 0);
		gs_session_sweep(
			&t, (uint64_t)round * 10 + 2, NO_IDLE, 0, t.max, &cursor, NULL, NULL);
	}
	CU_ASSERT_EQUAL(gs_session_count(&t), 0);
	gs_session_tbl_free(&t);
}

/* What the primary's lookup answers for found, zero, unknown, closed and repeated ids. */
static void
test_find_answers_found_zero_unknown_closed_and_repeated_ids(void)
{
	struct gs_session *s[3];

	tbl_new(64);
	for (int i = 0; i < 3; i++) {
		struct gs_peer p = peer_n((unsigned int)i + 1);

		CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, (uint64_t)i, 1, &s[i]), 0);
	}
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, s[1], 2), 0);
	CU_ASSERT_PTR_EQUAL(gs_session_find(&t, s[0]->session_id), s[0]);
	CU_ASSERT_PTR_NULL(gs_session_find(&t, 0));
	CU_ASSERT_PTR_EQUAL(gs_session_find(&t, s[2]->session_id), s[2]);
	CU_ASSERT_PTR_NULL(gs_session_find(&t, s[0]->session_id ^ 0x5a5a5a5au)); /* unknown */
	CU_ASSERT_PTR_NULL(gs_session_find(&t, s[1]->session_id));		 /* closed */
	CU_ASSERT_PTR_EQUAL(gs_session_find(&t, s[2]->session_id), s[2]);	 /* again */
	gs_session_tbl_free(&t);
}

/* --- close and sweep --------------------------------------------------------------------- */

static void
test_close_hides_the_session_at_once(void)
{
	struct gs_peer p = peer_n(3);
	struct gs_session *s;
	uint32_t id;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 10, &s), 0);
	id = s->session_id;
	CU_ASSERT_EQUAL(gs_session_close(&t, s, 20), 0);
	CU_ASSERT_PTR_NULL(gs_session_find(&t, id));
	CU_ASSERT_PTR_NULL(gs_session_find_peer(&t, &p));
	CU_ASSERT_EQUAL(s->state, GS_SESS_CLOSED);
	gs_session_tbl_free(&t);
}

static void
test_count_keeps_closed_slots_until_the_grace_period_ends(void)
{
	struct gs_peer pa = peer_n(1), pb = peer_n(2);
	struct gs_session *a, *b;
	uint32_t cursor = 0;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pa, 1, 10, &a), 0);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pb, 2, 10, &b), 0);
	CU_ASSERT_EQUAL(gs_session_count(&t), 2);
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, a, 20), 0);
	/* slots in use: a's slot is held through the grace period */
	CU_ASSERT_EQUAL(gs_session_count(&t), 2);
	gs_session_sweep(&t, 25, 1000, 100, t.max, &cursor, NULL, NULL);
	CU_ASSERT_EQUAL(gs_session_count(&t), 2);
	gs_session_sweep(&t, 200, 1000, 100, t.max, &cursor, NULL, NULL);
	CU_ASSERT_EQUAL(gs_session_count(&t), 1);
	gs_session_tbl_free(&t);
}

static void
test_closing_twice_is_enoent(void)
{
	struct gs_peer p = peer_n(3);
	struct gs_session *s;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 10, &s), 0);
	CU_ASSERT_EQUAL(gs_session_close(&t, s, 20), 0);
	CU_ASSERT_EQUAL(gs_session_close(&t, s, 30), -ENOENT);
	gs_session_tbl_free(&t);
}

static void
test_peer_can_reopen_at_once_after_close(void)
{
	struct gs_peer p = peer_n(3);
	struct gs_session *s, *again;
	uint32_t id;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 10, &s), 0);
	id = s->session_id;
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, s, 20), 0);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 2, 30, &again), 0);
	CU_ASSERT_PTR_NOT_EQUAL(again, s); /* the closed slot is still in its grace period */
	CU_ASSERT_PTR_EQUAL(gs_session_find_peer(&t, &p), again);
	CU_ASSERT_PTR_NULL(gs_session_find(&t, id));
	gs_session_tbl_free(&t);
}

/* max = 40: the table is full when its 40 positions are taken. */
static void
test_closed_slot_is_reused_only_after_the_grace_period(void)
{
	struct gs_session *s, *victim;
	struct gs_peer p = peer_n(1);
	uint32_t cursor = 0, n;
	int ret;

	tbl_new(40);
	n = fill(0, 100, &ret);
	CU_ASSERT_EQUAL(ret, -ENOSPC);
	CU_ASSERT_EQUAL_FATAL(n, 40);
	victim = gs_session_find_peer(&t, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(victim);
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, victim, 1000), 0);

	p = peer_n(1000);
	CU_ASSERT_EQUAL(gs_session_open(&t, &p, 1, 1001, &s), -ENOSPC);
	/* grace (500) not elapsed at 1400 */
	gs_session_sweep(&t, 1400, NO_IDLE, 500, t.max, &cursor, NULL, NULL);
	CU_ASSERT_EQUAL(gs_session_open(&t, &p, 1, 1401, &s), -ENOSPC);
	/* elapsed at 1501 */
	gs_session_sweep(&t, 1501, NO_IDLE, 500, t.max, &cursor, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 1502, &s), 0);
	CU_ASSERT_PTR_EQUAL(s, victim);
	CU_ASSERT_PTR_EQUAL(gs_session_find_peer(&t, &p), s);
	gs_session_tbl_free(&t);
}

static void
test_sweep_with_zero_grace_frees_every_closed_slot_for_a_full_refill(void)
{
	uint32_t cursor = 0, n, again;
	int ret;

	tbl_new(40);
	n = fill(0, 100, &ret);
	CU_ASSERT_EQUAL_FATAL(ret, -ENOSPC);
	for (uint32_t i = 0; i < n; i++) {
		struct gs_peer p = peer_n(i);

		CU_ASSERT_EQUAL(gs_session_close(&t, gs_session_find_peer(&t, &p), 200), 0);
	}
	gs_session_sweep(&t, 201, NO_IDLE, 0, t.max, &cursor, NULL, NULL);
	again = fill(5000, 300, &ret);
	CU_ASSERT_EQUAL(ret, -ENOSPC);
	CU_ASSERT_EQUAL(again, n);
	CU_ASSERT_EQUAL(gs_session_count(&t), n);
	CU_ASSERT_EQUAL(rte_hash_count(t.peers), (int32_t)n);
	gs_session_tbl_free(&t);
}

/* What the expire callback saw. */
struct expired {
	unsigned int calls;
	uint32_t ids[8];
	uint32_t states[8];
};

static bool
record_expiry(void *arg, struct gs_session *s)
{
	struct expired *e = arg;

	if (e->calls < 8) {
		e->ids[e->calls] = s->session_id;
		e->states[e->calls] = s->state;
	}
	e->calls++;
	return true;
}

static void
test_sweep_expires_each_idle_session_once_and_keeps_fresh_ones(void)
{
	struct gs_peer pa = peer_n(1), pb = peer_n(2), pc = peer_n(3);
	struct gs_session *a, *b, *c;
	struct expired e = { 0 };
	uint32_t cursor = 0, id_a, id_c;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pa, 1, 1000, &a), 0);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pb, 2, 5000, &b), 0);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pc, 3, 1000, &c), 0);
	id_a = a->session_id;
	id_c = c->session_id;

	/* idle for more than 2000 at 6000: a and c (last seen 1000), not b (5000) */
	CU_ASSERT_EQUAL(
		gs_session_sweep(&t, 6000, 2000, 1000000, t.max, &cursor, record_expiry, &e), 2);
	CU_ASSERT_EQUAL_FATAL(e.calls, 2);
	CU_ASSERT((e.ids[0] == id_a && e.ids[1] == id_c) || (e.ids[0] == id_c && e.ids[1] == id_a));
	CU_ASSERT_EQUAL(e.states[0], GS_SESS_ACTIVE); /* called before the close */
	CU_ASSERT_EQUAL(e.states[1], GS_SESS_ACTIVE);
	CU_ASSERT_PTR_NULL(gs_session_find(&t, id_a));
	CU_ASSERT_PTR_NULL(gs_session_find(&t, id_c));
	CU_ASSERT_PTR_NULL(gs_session_find_peer(&t, &pa));
	CU_ASSERT_PTR_EQUAL(gs_session_find(&t, b->session_id), b);

	/* a later sweep does not expire them again */
	CU_ASSERT_EQUAL(
		gs_session_sweep(&t, 6500, 2000, 1000000, t.max, &cursor, record_expiry, &e), 0);
	CU_ASSERT_EQUAL(e.calls, 2);
	gs_session_tbl_free(&t);
}

static void
test_sweep_visits_at_most_budget_slots_and_moves_the_cursor(void)
{
	struct gs_peer p = peer_n(1);
	struct expired e = { 0 };
	struct gs_session *s;
	uint32_t cursor = 0;
	uint32_t pos;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 0, &s), 0);
	pos = (uint32_t)(s - t.s);
	/* the slots before the session's: nothing found, cursor moved on */
	CU_ASSERT_EQUAL(gs_session_sweep(&t, 100, 10, 10, pos, &cursor, record_expiry, &e), 0);
	CU_ASSERT_EQUAL(cursor, pos);
	CU_ASSERT_EQUAL(e.calls, 0);
	CU_ASSERT_EQUAL(gs_session_sweep(&t, 100, 10, 10, 1, &cursor, record_expiry, &e), 1);
	CU_ASSERT_EQUAL(e.calls, 1);
	gs_session_tbl_free(&t);
}

static void
test_idle_limit_of_uint64_max_never_expires(void)
{
	struct gs_peer p = peer_n(1);
	struct expired e = { 0 };
	struct gs_session *s;
	uint32_t cursor = 0;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 1000, &s), 0);
	/* no session is idle for more than UINT64_MAX cycles */
	CU_ASSERT_EQUAL(
		gs_session_sweep(&t, 2000, UINT64_MAX, 10, t.max, &cursor, record_expiry, &e), 0);
	CU_ASSERT_EQUAL(e.calls, 0);
	CU_ASSERT_PTR_EQUAL(gs_session_find_peer(&t, &p), s);
	gs_session_tbl_free(&t);
}

static void
test_last_seen_slightly_ahead_of_now_is_not_idle(void)
{
	struct gs_peer p = peer_n(1);
	struct expired e = { 0 };
	struct gs_session *s;
	uint32_t cursor = 0;

	tbl_new(64);
	/* last_seen stamped from another core's TSC, a little ahead of the sweeper's */
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 1000, &s), 0);
	CU_ASSERT_EQUAL(gs_session_sweep(&t, 990, 100, 100, t.max, &cursor, record_expiry, &e), 0);
	CU_ASSERT_EQUAL(e.calls, 0);
	CU_ASSERT_PTR_EQUAL(gs_session_find_peer(&t, &p), s);
	gs_session_tbl_free(&t);
}

/* --- by slot ----------------------------------------------------------------------------- */

static void
test_session_at_its_slot_and_id_is_found(void)
{
	struct gs_peer p = peer_n(1);
	struct gs_session *s;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 1000, &s), 0);
	CU_ASSERT_NOT_EQUAL(gs_session_slot(&t, s), 0);
	CU_ASSERT_PTR_EQUAL(gs_session_at(&t, gs_session_slot(&t, s), s->session_id), s);
	gs_session_tbl_free(&t);
}

static void
test_session_at_bad_slot_or_id_is_null(void)
{
	struct gs_peer p = peer_n(1);
	struct gs_session *s;
	uint32_t slot;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 1000, &s), 0);
	slot = gs_session_slot(&t, s);
	CU_ASSERT_EQUAL(gs_session_slot(&t, NULL), 0);
	CU_ASSERT_PTR_NULL(gs_session_at(&t, 0, s->session_id));
	CU_ASSERT_PTR_NULL(gs_session_at(&t, t.max + 1, s->session_id));
	CU_ASSERT_PTR_NULL(gs_session_at(&t, slot, 0));
	CU_ASSERT_PTR_NULL(gs_session_at(&t, slot, s->session_id ^ 1));
	CU_ASSERT_PTR_NULL(gs_session_at(&t, slot == 1 ? 2 : 1, s->session_id)); /* a free slot */
	gs_session_tbl_free(&t);
}

static void
test_session_at_finds_a_closed_session_until_its_slot_is_freed(void)
{
	struct gs_peer p = peer_n(1);
	struct gs_session *s;
	uint32_t cursor = 0, slot, id;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 1000, &s), 0);
	slot = gs_session_slot(&t, s);
	id = s->session_id;
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, s, 2000), 0);
	CU_ASSERT_PTR_EQUAL(gs_session_at(&t, slot, id), s); /* within the grace period */
	gs_session_sweep(&t, 2100, NO_IDLE, 500, t.max, &cursor, NULL, NULL);
	CU_ASSERT_PTR_EQUAL(gs_session_at(&t, slot, id), s);
	gs_session_sweep(&t, 2501, NO_IDLE, 500, t.max, &cursor, NULL, NULL);
	CU_ASSERT_PTR_NULL(gs_session_at(&t, slot, id));
	gs_session_tbl_free(&t);
}

/* --- full table -------------------------------------------------------------------------- */

static void
test_full_table_is_enospc(void)
{
	uint32_t n;
	int ret;

	tbl_new(64);
	n = fill(0, 1, &ret);
	CU_ASSERT_EQUAL(ret, -ENOSPC);
	CU_ASSERT(n >= 58); /* the address hash (cuckoo) may refuse slightly before 64 */
	CU_ASSERT(n <= 64);
	CU_ASSERT_EQUAL(gs_session_count(&t), n);
	CU_ASSERT_EQUAL(rte_hash_count(t.peers), (int32_t)n);
	gs_session_tbl_free(&t);
}

/* --- repair ------------------------------------------------------------------------------ */

static void
test_repair_of_a_healthy_table_removes_nothing(void)
{
	struct gs_peer pa = peer_n(1), pb = peer_n(2);
	struct gs_session *a, *b;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pa, 1, 1, &a), 0);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pb, 2, 1, &b), 0);
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, b, 2), 0);
	CU_ASSERT_EQUAL(gs_session_tbl_repair(&t, 3), 0);
	CU_ASSERT_PTR_EQUAL(gs_session_find(&t, a->session_id), a);
	gs_session_tbl_free(&t);
}

static void
test_repair_removes_the_address_key_of_an_unpublished_session(void)
{
	struct gs_peer pa = peer_n(1), pb = peer_n(2);
	struct gs_session *a, *b, *again;
	uint32_t id_a;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pa, 1, 1, &a), 0);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pb, 2, 1, &b), 0);
	id_a = a->session_id;
	/* the writer died after adding a's address key, before publishing it ACTIVE */
	a->state = GS_SESS_FREE;

	CU_ASSERT_EQUAL(gs_session_tbl_repair(&t, 3), 1);
	CU_ASSERT_PTR_NULL(gs_session_find(&t, id_a));
	CU_ASSERT_EQUAL(rte_hash_count(t.peers), 1); /* a's address key is gone */
	CU_ASSERT_EQUAL(gs_session_count(&t), 1);    /* recounted: b only */
	CU_ASSERT_PTR_EQUAL(gs_session_find(&t, b->session_id), b);
	CU_ASSERT_PTR_EQUAL(gs_session_find_peer(&t, &pb), b);
	CU_ASSERT_EQUAL(gs_session_open(&t, &pa, 3, 2, &again), 0);
	CU_ASSERT_PTR_EQUAL(gs_session_find_peer(&t, &pa), again);
	CU_ASSERT_NOT_EQUAL(again->session_id, id_a);
	gs_session_tbl_free(&t);
}

/* Another process's writer (gs-session restarted): its free positions come from the states. */
static void
test_a_second_writer_handle_reuses_exactly_the_free_positions(void)
{
	struct gs_session_tbl w2;
	struct gs_session *a, *b, *c, *s;
	struct gs_peer p;
	uint32_t cursor = 0;

	tbl_new(8); /* rte_hash's smallest */
	p = peer_n(1);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 1, 1, &a), 0);
	p = peer_n(2);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 2, 1, &b), 0);
	p = peer_n(3);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, 3, 1, &c), 0);
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, b, 2), 0);
	gs_session_sweep(&t, 10, NO_IDLE, 0, t.max, &cursor, NULL, NULL);

	/* as gs-session does at attach: attach, then repair */
	CU_ASSERT_EQUAL_FATAL(gs_session_tbl_attach(&w2), 0);
	CU_ASSERT_EQUAL(w2.max, 8);
	CU_ASSERT_EQUAL(gs_session_tbl_repair(&w2, 10), 0);
	CU_ASSERT_EQUAL(gs_session_count(&w2), 2);
	CU_ASSERT_PTR_EQUAL(gs_session_find(&w2, a->session_id), a);
	CU_ASSERT_PTR_EQUAL(gs_session_find(&w2, c->session_id), c);
	p = peer_n(4);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&w2, &p, 4, 11, &s), 0);
	CU_ASSERT_PTR_EQUAL(s, b); /* the lowest free position */
	for (uint32_t i = 5; i < 10; i++) {
		p = peer_n(i);
		CU_ASSERT_EQUAL_FATAL(gs_session_open(&w2, &p, i, 11, &s), 0);
	}
	p = peer_n(10);
	CU_ASSERT_EQUAL(gs_session_open(&w2, &p, 10, 11, &s), -ENOSPC);
	CU_ASSERT_EQUAL(gs_session_count(&t), 8); /* one count, seen by every process */
	free(w2.free);
	gs_session_tbl_free(&t);
}

static void
test_repaired_slot_is_freed_by_the_next_sweep(void)
{
	struct gs_session *a, *s;
	uint32_t cursor = 0, n;
	struct gs_peer p;
	int ret;

	tbl_new(40);
	n = fill(0, 100, &ret);
	CU_ASSERT_EQUAL_FATAL(n, 40);
	p = peer_n(0);
	a = gs_session_find_peer(&t, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	a->state = GS_SESS_FREE;
	CU_ASSERT(gs_session_tbl_repair(&t, 150) > 0);
	gs_session_sweep(&t, 200, NO_IDLE, 50, t.max, &cursor, NULL, NULL);
	p = peer_n(1000);
	CU_ASSERT_EQUAL(gs_session_open(&t, &p, 1, 201, &s), 0);
	CU_ASSERT_PTR_EQUAL(s, a);
	gs_session_tbl_free(&t);
}

/* --- crash consistency of the address hash ---------------------------------------------- */

/*
 * Every address slot freed goes through this wrapper (-Wl,--wrap): it counts
 * the slots freed while a session of the table still names them in
 * peer_pos, where a writer killed right after the free would leave a
 * successor to free them a second time.
 */
static unsigned int slots_freed_while_named;

int __real_rte_hash_free_key_with_position(const struct rte_hash *h, const int32_t position);
int __wrap_rte_hash_free_key_with_position(const struct rte_hash *h, const int32_t position);

int
__wrap_rte_hash_free_key_with_position(const struct rte_hash *h, const int32_t position)
{
	if (h == t.peers && t.s != NULL)
		for (uint32_t i = 0; i < t.max; i++)
			if (t.s[i].state != GS_SESS_FREE &&
				t.s[i].peer_pos == (uint32_t)position + 1)
				slots_freed_while_named++;
	return __real_rte_hash_free_key_with_position(h, position);
}

/*
 * Close every active session of @p w, free the slots (grace 0), then open one
 * for each of peers @p first... until the table is full: every one must open
 * (max of them), be found by its address with its own data, and hold one
 * address slot of its own.
 */
static void
refill_and_check_every_peer(struct gs_session_tbl *w, uint32_t first, uint64_t now)
{
	struct gs_session *s;
	uint32_t cursor = 0;
	struct gs_peer p;

	for (uint32_t i = 0; i < w->max; i++)
		if (w->s[i].state == GS_SESS_ACTIVE)
			CU_ASSERT_EQUAL(gs_session_close(w, &w->s[i], now), 0);
	gs_session_sweep(w, now + 1, NO_IDLE, 0, w->max, &cursor, NULL, NULL);
	CU_ASSERT_EQUAL(gs_session_count(w), 0);
	CU_ASSERT_EQUAL(rte_hash_count(w->peers), 0);
	for (uint32_t i = 0; i < w->max; i++) {
		p = peer_n(first + i);
		CU_ASSERT_EQUAL_FATAL(gs_session_open(w, &p, first + i, now + 2, &s), 0);
	}
	p = peer_n(first + w->max);
	CU_ASSERT_EQUAL(gs_session_open(w, &p, 0, now + 2, &s), -ENOSPC);
	CU_ASSERT_EQUAL(rte_hash_count(w->peers), (int32_t)w->max);
	for (uint32_t i = 0; i < w->max; i++) {
		p = peer_n(first + i);
		s = gs_session_find_peer(w, &p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(s->player_id, first + i);
		CU_ASSERT_EQUAL(memcmp(&s->peer, &p, sizeof(p)), 0);
	}
}

static void
test_sweep_forgets_an_address_slot_before_it_frees_it(void)
{
	struct gs_session *s;
	uint32_t cursor = 0;
	struct gs_peer p;

	tbl_new(40);
	slots_freed_while_named = 0;
	for (uint32_t i = 0; i < 8; i++) {
		p = peer_n(i);
		CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &p, i, 100, &s), 0);
		CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, s, 200), 0);
		CU_ASSERT_NOT_EQUAL(s->peer_pos, 0); /* its slot, to free after the grace period */
	}
	gs_session_sweep(&t, 300, NO_IDLE, 50, t.max, &cursor, NULL, NULL);
	CU_ASSERT_EQUAL(gs_session_count(&t), 0);
	CU_ASSERT_EQUAL(rte_hash_count(t.peers), 0);
	CU_ASSERT_EQUAL(slots_freed_while_named, 0);
	gs_session_tbl_free(&t);
}

/* A writer killed after freeing a closed session's address slot, before forgetting it. */
static void
test_a_slot_freed_by_a_killed_sweep_is_not_freed_again_by_its_successor(void)
{
	struct gs_session_tbl w2;
	struct gs_session *victim;
	uint32_t cursor = 0, n;
	struct gs_peer p;
	int ret;

	tbl_new(40);
	n = fill(0, 100, &ret);
	CU_ASSERT_EQUAL_FATAL(n, 40);
	p = peer_n(0);
	victim = gs_session_find_peer(&t, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(victim);
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, victim, 1000), 0);
	CU_ASSERT_NOT_EQUAL_FATAL(victim->peer_pos, 0);
	/* the sweep's first step, then the kill: still CLOSED, peer_pos still set */
	rte_hash_free_key_with_position(t.peers, (int32_t)(victim->peer_pos - 1));
	CU_ASSERT_EQUAL(rte_hash_count(t.peers), 39);

	/* the successor attaches, repairs and sweeps */
	CU_ASSERT_EQUAL_FATAL(gs_session_tbl_attach(&w2), 0);
	gs_session_tbl_repair(&w2, 1500);
	gs_session_sweep(&w2, 2000, NO_IDLE, 500, w2.max, &cursor, NULL, NULL);
	CU_ASSERT_EQUAL(victim->state, GS_SESS_FREE);
	CU_ASSERT_EQUAL(gs_session_count(&w2), 39);
	CU_ASSERT_EQUAL(rte_hash_count(w2.peers), 39); /* freed once: not 38 */
	refill_and_check_every_peer(&w2, 5000, 3000);
	free(w2.free);
	gs_session_tbl_free(&t);
}

/*
 * A writer killed between removing an address key and recording its slot
 * (close), or between forgetting the slot and freeing it (sweep): the slots
 * are leaked, and the successor's repair takes them back.
 */
static void
test_slots_leaked_by_a_killed_close_or_sweep_are_reclaimed_by_repair(void)
{
	struct gs_session_tbl w2;
	struct gs_session *a, *b;
	uint32_t cursor = 0, n;
	struct gs_peer p;
	int ret;

	tbl_new(40);
	n = fill(0, 100, &ret);
	CU_ASSERT_EQUAL_FATAL(n, 40);
	p = peer_n(0);
	a = gs_session_find_peer(&t, &p);
	p = peer_n(1);
	b = gs_session_find_peer(&t, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, a, 1000), 0);
	a->peer_pos = 0; /* close killed before it recorded the slot */
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, b, 1000), 0);
	b->peer_pos = 0; /* sweep killed after forgetting the slot, before freeing it */
	CU_ASSERT_EQUAL(rte_hash_count(t.peers), 40);

	CU_ASSERT_EQUAL_FATAL(gs_session_tbl_attach(&w2), 0);
	CU_ASSERT_EQUAL(gs_session_tbl_repair(&w2, 1500), 2);
	CU_ASSERT_EQUAL(rte_hash_count(w2.peers), 38);
	for (uint32_t i = 2; i < 40; i++) { /* the active sessions keep their addresses */
		p = peer_n(i);
		CU_ASSERT_PTR_NOT_NULL(gs_session_find_peer(&w2, &p));
	}
	gs_session_sweep(&w2, 2000, NO_IDLE, 500, w2.max, &cursor, NULL, NULL);
	CU_ASSERT_EQUAL(gs_session_count(&w2), 38);
	refill_and_check_every_peer(&w2, 5000, 3000);
	free(w2.free);
	gs_session_tbl_free(&t);
}

/* Two active sessions of one address (a table damaged by hand): repair keeps the first. */
static void
test_repair_closes_an_active_session_whose_address_another_has(void)
{
	struct gs_peer pa = peer_n(1), pb = peer_n(2);
	struct gs_session *a, *b, *first, *second;
	uint32_t cursor = 0;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pa, 1, 1, &a), 0);
	CU_ASSERT_EQUAL_FATAL(gs_session_open(&t, &pb, 2, 1, &b), 0);
	b->peer = a->peer;
	first = a < b ? a : b;
	second = a < b ? b : a;
	CU_ASSERT_EQUAL(gs_session_tbl_repair(&t, 50), 1); /* b's old key */
	CU_ASSERT_EQUAL(first->state, GS_SESS_ACTIVE);
	CU_ASSERT_EQUAL(second->state, GS_SESS_CLOSED);
	CU_ASSERT_EQUAL(second->last_seen_tsc, 50);
	CU_ASSERT_PTR_EQUAL(gs_session_find_peer(&t, &pa), first);
	CU_ASSERT_EQUAL(rte_hash_count(t.peers), 1);
	gs_session_sweep(&t, 100, NO_IDLE, 10, t.max, &cursor, NULL, NULL);
	CU_ASSERT_EQUAL(second->state, GS_SESS_FREE);
	CU_ASSERT_EQUAL(gs_session_count(&t), 1);
	CU_ASSERT_EQUAL(rte_hash_count(t.peers), 1);
	gs_session_tbl_free(&t);
}

/* --- used connect tokens ----------------------------------------------------------------- */

static void
token_n(uint8_t id[GS_TOKEN_ID_LEN], uint32_t n)
{
	memset(id, 0xa5, GS_TOKEN_ID_LEN);
	memcpy(id, &n, sizeof(n));
}

static void
test_a_used_token_is_known_until_it_expires_with_the_session_it_opened(void)
{
	struct gs_tokens_used u, other;
	uint8_t a[GS_TOKEN_ID_LEN], b[GS_TOKEN_ID_LEN];
	uint32_t sid = 77;

	CU_ASSERT_EQUAL_FATAL(gs_tokens_used_create(&u, 64, SOCKET_ID_ANY), 0);
	token_n(a, 1);
	token_n(b, 2);
	CU_ASSERT_FALSE(gs_tokens_used_has(&u, a, 1000, &sid));
	CU_ASSERT_EQUAL(sid, 77); /* untouched when unknown */
	CU_ASSERT_EQUAL(gs_tokens_used_add(&u, a, 2000, 0), 0);
	CU_ASSERT_TRUE(gs_tokens_used_has(&u, a, 1000, &sid));
	CU_ASSERT_EQUAL(sid, 0);					  /* no session yet */
	CU_ASSERT_EQUAL(gs_tokens_used_add(&u, a, 2000, 0x12345678u), 0); /* the one it opened */
	CU_ASSERT_TRUE(gs_tokens_used_has(&u, a, 2000, &sid));
	CU_ASSERT_EQUAL(sid, 0x12345678u);
	CU_ASSERT_EQUAL(rte_hash_count(u.hash), 1);
	CU_ASSERT_FALSE(gs_tokens_used_has(&u, a, 2001, NULL)); /* expired */
	CU_ASSERT_FALSE(gs_tokens_used_has(&u, b, 1000, NULL));
	/* another process's handle (gs-session restarted) sees the same */
	CU_ASSERT_EQUAL_FATAL(gs_tokens_used_attach(&other), 0);
	CU_ASSERT_TRUE(gs_tokens_used_has(&other, a, 1500, &sid));
	CU_ASSERT_EQUAL(sid, 0x12345678u);
	gs_tokens_used_free(&u);
}

static void
test_used_tokens_sweep_forgets_the_expired_only_and_far_expiries_clamp(void)
{
	struct gs_tokens_used u;
	uint8_t id[GS_TOKEN_ID_LEN];
	uint32_t cursor = 0, sid = 0;
	unsigned int forgotten = 0;

	CU_ASSERT_EQUAL_FATAL(gs_tokens_used_create(&u, 64, SOCKET_ID_ANY), 0);
	for (uint32_t i = 0; i < 10; i++) {
		token_n(id, i);
		CU_ASSERT_EQUAL(gs_tokens_used_add(&u, id, i < 4 ? 100 : 300, i + 1), 0);
	}
	token_n(id, 99);
	CU_ASSERT_EQUAL(gs_tokens_used_add(&u, id, UINT64_C(1) << 40, 5), 0); /* beyond 2106 */
	for (int pass = 0; pass < 4; pass++)
		forgotten += gs_tokens_used_sweep(&u, 200, 4, &cursor);
	CU_ASSERT_EQUAL(forgotten, 4);
	CU_ASSERT_EQUAL(rte_hash_count(u.hash), 7);
	token_n(id, 5);
	CU_ASSERT_TRUE(gs_tokens_used_has(&u, id, 200, &sid));
	CU_ASSERT_EQUAL(sid, 6);
	token_n(id, 99);
	CU_ASSERT_TRUE(gs_tokens_used_has(&u, id, UINT32_MAX, &sid));
	CU_ASSERT_EQUAL(sid, 5);
	gs_tokens_used_free(&u);
}

/* --- sessions opened with a token -------------------------------------------------------- */

static struct gs_session_keys
keys_n(uint8_t n)
{
	struct gs_session_keys k;

	memset(k.c2s, n, sizeof(k.c2s));
	memset(k.s2c, (uint8_t)~n, sizeof(k.s2c));
	return k;
}

static void
test_a_connect_refused_for_a_full_table_can_retry_with_the_same_token(void)
{
	struct gs_session_keys k = keys_n(7);
	struct gs_peer p = peer_n(1000);
	uint8_t id[GS_TOKEN_ID_LEN];
	struct gs_tokens_used u;
	struct gs_session *s, *victim;
	uint32_t cursor = 0, sid = 0, n;
	int ret;

	tbl_new(40);
	CU_ASSERT_EQUAL_FATAL(gs_tokens_used_create(&u, 64, SOCKET_ID_ANY), 0);
	n = fill(0, 100, &ret);
	CU_ASSERT_EQUAL_FATAL(n, 40);
	token_n(id, 1);
	CU_ASSERT_EQUAL(gs_session_open_token(&t, &u, id, 5000, &p, 9, &k, 200, &s), -ENOSPC);
	CU_ASSERT_FALSE(gs_tokens_used_has(&u, id, 1000, NULL)); /* not spent */
	CU_ASSERT_EQUAL(rte_hash_count(u.hash), 0);

	/* a slot frees: the same token opens a session */
	victim = &t.s[5];
	CU_ASSERT_EQUAL_FATAL(gs_session_close(&t, victim, 300), 0);
	gs_session_sweep(&t, 301, NO_IDLE, 0, t.max, &cursor, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(gs_session_open_token(&t, &u, id, 5000, &p, 9, &k, 400, &s), 0);
	CU_ASSERT_PTR_EQUAL(s, victim);
	CU_ASSERT_PTR_EQUAL(gs_session_find_peer(&t, &p), s);
	CU_ASSERT_EQUAL(s->player_id, 9);
	CU_ASSERT_TRUE(gs_session_keys_equal(&t, s, &k));
	CU_ASSERT_TRUE(gs_tokens_used_has(&u, id, 1000, &sid));
	CU_ASSERT_EQUAL(sid, s->session_id);
	CU_ASSERT_FALSE(gs_tokens_used_has(&u, id, 5001, NULL)); /* remembered until 5000 */
	gs_tokens_used_free(&u);
	gs_session_tbl_free(&t);
}

static void
test_a_connect_refused_for_a_full_used_token_table_opens_no_session(void)
{
	struct gs_session_keys k = keys_n(3);
	struct gs_peer p = peer_n(1);
	uint8_t id[GS_TOKEN_ID_LEN];
	struct gs_tokens_used u;
	struct gs_session *s = NULL;
	uint32_t n = 0;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_tokens_used_create(&u, 8, SOCKET_ID_ANY), 0);
	do
		token_n(id, ++n);
	while (gs_tokens_used_add(&u, id, 5000, n) == 0 && n < 100);
	CU_ASSERT_FATAL(n < 100);
	token_n(id, 1000);
	CU_ASSERT_EQUAL(gs_session_open_token(&t, &u, id, 5000, &p, 9, &k, 200, &s), -ENOBUFS);
	CU_ASSERT_PTR_NULL(gs_session_find_peer(&t, &p));
	CU_ASSERT_EQUAL(gs_session_count(&t), 0);
	CU_ASSERT_FALSE(gs_tokens_used_has(&u, id, 1000, NULL));
	gs_tokens_used_free(&u);
	gs_session_tbl_free(&t);
}

/* The session a token opened is told by its keys, even when its id was never recorded. */
static void
test_a_session_is_told_by_the_keys_of_the_token_that_opened_it(void)
{
	struct gs_session_keys ka = keys_n(1), kb = keys_n(2);
	struct gs_peer pa = peer_n(1), pb = peer_n(2);
	uint8_t id[GS_TOKEN_ID_LEN];
	struct gs_tokens_used u;
	struct gs_session *a, *b;
	uint32_t sid = 1;

	tbl_new(64);
	CU_ASSERT_EQUAL_FATAL(gs_tokens_used_create(&u, 64, SOCKET_ID_ANY), 0);
	token_n(id, 1);
	CU_ASSERT_EQUAL_FATAL(gs_session_open_token(&t, &u, id, 5000, &pa, 1, &ka, 10, &a), 0);
	token_n(id, 2);
	CU_ASSERT_EQUAL_FATAL(gs_session_open_token(&t, &u, id, 5000, &pb, 2, &kb, 10, &b), 0);
	/* killed between opening b and recording its id: the token is there, with session 0 */
	CU_ASSERT_EQUAL(gs_tokens_used_add(&u, id, 5000, 0), 0);
	CU_ASSERT_TRUE(gs_tokens_used_has(&u, id, 1000, &sid));
	CU_ASSERT_EQUAL(sid, 0);
	CU_ASSERT_TRUE(gs_session_keys_equal(&t, b, &kb));
	CU_ASSERT_FALSE(gs_session_keys_equal(&t, a, &kb));
	CU_ASSERT_FALSE(gs_session_keys_equal(&t, b, &ka));
	gs_tokens_used_free(&u);
	gs_session_tbl_free(&t);
}

static CU_TestInfo open_tests[] = {
	{ "open then find by id and by peer returns it",
		test_open_then_find_by_id_and_by_peer_returns_it },
	{ "ids are nonzero and distinct over 1000 opens",
		test_ids_are_nonzero_and_distinct_over_1000_opens },
	{ "second open from same peer is -EEXIST with the same session",
		test_second_open_from_same_peer_is_eexist_with_the_same_session },
	{ "same ip, other port is another session", test_same_ip_other_port_is_another_session },
	{ "find of id 0 is NULL", test_find_of_id_zero_is_null },
	{ "find of unknown id or peer is NULL", test_find_of_unknown_id_or_peer_is_null },
	{ "id names the position; other generations or positions are not found",
		test_id_names_the_position_and_other_generations_or_positions_are_not_found },
	{ "a reused position gets a new generation every time",
		test_a_reused_position_gets_a_new_generation_every_time },
	{ "find answers found, zero, unknown, closed and repeated ids",
		test_find_answers_found_zero_unknown_closed_and_repeated_ids },
	{ "full table is -ENOSPC", test_full_table_is_enospc },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo close_tests[] = {
	{ "close hides the session at once", test_close_hides_the_session_at_once },
	{ "closing twice is -ENOENT", test_closing_twice_is_enoent },
	{ "count keeps closed slots until the grace period ends",
		test_count_keeps_closed_slots_until_the_grace_period_ends },
	{ "peer can reopen at once after close", test_peer_can_reopen_at_once_after_close },
	{ "closed slot is reused only after the grace period",
		test_closed_slot_is_reused_only_after_the_grace_period },
	{ "sweep with zero grace frees every closed slot for a full refill",
		test_sweep_with_zero_grace_frees_every_closed_slot_for_a_full_refill },
	{ "sweep expires each idle session once and keeps fresh ones",
		test_sweep_expires_each_idle_session_once_and_keeps_fresh_ones },
	{ "sweep visits at most budget slots and moves the cursor",
		test_sweep_visits_at_most_budget_slots_and_moves_the_cursor },
	{ "idle limit of UINT64_MAX never expires", test_idle_limit_of_uint64_max_never_expires },
	{ "last_seen slightly ahead of now is not idle",
		test_last_seen_slightly_ahead_of_now_is_not_idle },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo slot_tests[] = {
	{ "session at its slot and id is found", test_session_at_its_slot_and_id_is_found },
	{ "session at bad slot or id is NULL", test_session_at_bad_slot_or_id_is_null },
	{ "session at finds a closed session until its slot is freed",
		test_session_at_finds_a_closed_session_until_its_slot_is_freed },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo repair_tests[] = {
	{ "repair of a healthy table removes nothing",
		test_repair_of_a_healthy_table_removes_nothing },
	{ "repair removes the address key of an unpublished session",
		test_repair_removes_the_address_key_of_an_unpublished_session },
	{ "a second writer handle reuses exactly the free positions",
		test_a_second_writer_handle_reuses_exactly_the_free_positions },
	{ "repaired slot is freed by the next sweep",
		test_repaired_slot_is_freed_by_the_next_sweep },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo crash_tests[] = {
	{ "sweep forgets an address slot before it frees it",
		test_sweep_forgets_an_address_slot_before_it_frees_it },
	{ "a slot freed by a killed sweep is not freed again by its successor",
		test_a_slot_freed_by_a_killed_sweep_is_not_freed_again_by_its_successor },
	{ "slots leaked by a killed close or sweep are reclaimed by repair",
		test_slots_leaked_by_a_killed_close_or_sweep_are_reclaimed_by_repair },
	{ "repair closes an active session whose address another has",
		test_repair_closes_an_active_session_whose_address_another_has },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo token_tests[] = {
	{ "a used token is known until it expires, with the session it opened",
		test_a_used_token_is_known_until_it_expires_with_the_session_it_opened },
	{ "used tokens: sweep forgets the expired only; far expiries clamp",
		test_used_tokens_sweep_forgets_the_expired_only_and_far_expiries_clamp },
	{ "a connect refused for a full table can retry with the same token",
		test_a_connect_refused_for_a_full_table_can_retry_with_the_same_token },
	{ "a connect refused for a full used-token table opens no session",
		test_a_connect_refused_for_a_full_used_token_table_opens_no_session },
	{ "a session is told by the keys of the token that opened it",
		test_a_session_is_told_by_the_keys_of_the_token_that_opened_it },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "session open and find", .pTests = open_tests },
	{ .pName = "session close and sweep", .pTests = close_tests },
	{ .pName = "session by slot", .pTests = slot_tests },
	{ .pName = "session repair", .pTests = repair_tests },
	{ .pName = "session crash consistency", .pTests = crash_tests },
	{ .pName = "used connect tokens", .pTests = token_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	char prefix[64], run_dir[PATH_MAX];
	char *eal_argv[] = {
		"session_tbl_test",
		"--no-huge",
		"--no-pci",
		"-m",
		"128",
		"--no-shconf",
		"--no-telemetry",
		"--log-level=lib.eal:error",
		prefix,
		NULL,
	};
	int ret;

	snprintf(prefix, sizeof(prefix), "--file-prefix=gs_ut_%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal_argv) / sizeof(eal_argv[0])) - 1, eal_argv) < 0) {
		fprintf(stderr, "session_tbl_test: rte_eal_init failed: %s\n",
			rte_strerror(rte_errno));
		/* a failed init may have left its (empty) runtime directory */
		rmdir(rte_eal_get_runtime_dir());
		return 1;
	}
	/* --no-shconf writes no file, but EAL still creates its runtime directory */
	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	ret = gs_test_run(suites);
	rte_eal_cleanup();
	if (run_dir[0] != '\0' && rmdir(run_dir) < 0)
		fprintf(stderr, "session_tbl_test: rmdir %s: %s\n", run_dir, strerror(errno));
	return ret;
}
