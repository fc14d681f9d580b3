/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "gs_auth.h"
#include "gs_repl.h"
#include "gs_test.h"
#include "gs_wire.h"

#include "gsc_repl.h"
#include "gsclient.h"

/*
 * libgsclient's replication (client/src/gsc_repl.c and the SNAPSHOT path of
 * gsc_session_input()): the server side is gs_repl's session record and
 * encoder, the snapshots are framed as the primary frames them.
 */

#define MS  UINT64_C(1000000) /* ns */
#define SID 0x2a0005u	      /* the session id of every test */

static struct gsc_session sess;
static struct gsc_repl *repl; /* 370 KiB: on the heap */
static struct gs_repl_sess *srv;
static struct gs_repl_enc *enc;
static uint8_t payload[GS_WIRE_MAX_PAYLOAD];
static uint8_t dgram[GSC_DATAGRAM_MAX];
static uint32_t srv_seq;
static const uint8_t key_c2s[GS_PKT_KEY_LEN] = { 1, 2, 3 }, key_s2c[GS_PKT_KEY_LEN] = { 9, 8, 7 };

static struct gs_repl_ent
ent(uint32_t id, int32_t x, int32_t y)
{
	return (struct gs_repl_ent){ .id = id, .q = { x, y, 0 }, .hp = 100, .alive = 1 };
}

/* A session CONNECTED as SID at t = 1000 ms, with a fresh gsc_repl attached; @p secure: tagged. */
static void
connect_with_repl(bool secure)
{
	Gs__ConnectAccept a = GS__CONNECT_ACCEPT__INIT;
	struct gsc_event ev;
	size_t len;

	gsc_session_init(&sess, 77);
	if (secure) {
		uint8_t token[GS_TOKEN_LEN] = { 0 };

		gsc_session_set_token(&sess, token, key_c2s, key_s2c);
	}
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&sess, 990 * MS, dgram, sizeof(dgram), &len), 0);
	a.session_id = SID;
	a.client_time_ns = 990 * MS;
	a.entity_id = 1;
	CU_ASSERT_EQUAL_FATAL(
		gsc_frame_build(dgram, sizeof(dgram), GS_MSG_CONNECT_ACCEPT, SID, 0, &a.base, &len),
		0);
	if (secure)
		gs_tag_sign(key_s2c, dgram, len);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1000 * MS, &ev), 0);
	CU_ASSERT_EQUAL_FATAL(sess.state, GSC_STATE_CONNECTED);
	srv_seq = 1;
	gsc_repl_init(repl);
	gsc_session_set_repl(&sess, repl);
	gs_repl_sess_reset(srv);
}

/* The server's snapshot of @p tick for @p cand, framed for the session into dgram. */
static size_t
server_snapshot(const struct gs_repl_ent *cand, uint32_t n, uint32_t tick, size_t budget)
{
	struct gs_repl_enc_res res;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(gs_repl_sess_snapshot(srv, enc, cand, n, tick, budget, payload,
				      sizeof(payload), &res),
		0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_build_raw(dgram, sizeof(dgram), GS_MSG_SNAPSHOT, SID,
				      srv_seq++, payload, res.len, &len),
		0);
	if (sess.secure)
		gs_tag_sign(key_s2c, dgram, len);
	return len;
}

/* Any payload as a SNAPSHOT datagram of session @p sid. */
static size_t
raw_snapshot(uint8_t *out, uint32_t sid, const uint8_t *p, size_t plen)
{
	size_t len;

	CU_ASSERT_EQUAL_FATAL(gsc_frame_build_raw(out, GSC_DATAGRAM_MAX, GS_MSG_SNAPSHOT, sid,
				      srv_seq++, p, plen, &len),
		0);
	if (sess.secure)
		gs_tag_sign(key_s2c, out, len);
	return len;
}

/* The client's ack, produced and read back as the server reads it: its tick. */
static uint32_t
client_ack(void)
{
	static struct gsc_msg m;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(gsc_session_snapshot_ack(&sess, dgram, sizeof(dgram), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(dgram, len, &m), 0);
	CU_ASSERT_EQUAL(m.hdr.type, GS_MSG_SNAPSHOT_ACK);
	CU_ASSERT_EQUAL(m.hdr.session_id, SID);
	return m.u.snapshot_ack->tick;
}

static bool
view_eq(const struct gs_repl_view *a, const struct gs_repl_view *b)
{
	return a != NULL && b != NULL && a->tick == b->tick && a->n == b->n &&
	       memcmp(a->e, b->e, a->n * sizeof(*a->e)) == 0;
}

/* --- the session path --------------------------------------------------------------------- */

static void
test_snapshots_apply_and_acks_make_the_next_a_delta(void)
{
	struct gs_repl_ent c[] = { ent(1, 0, 0), ent(7, 160, -16), ent(3, 32, 32) };
	struct gsc_event ev;
	size_t len;

	connect_with_repl(false);
	len = server_snapshot(c, 3, 10, GS_REPL_BUDGET);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1100 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_SNAPSHOT);
	CU_ASSERT(ev.u.snapshot.applied);
	CU_ASSERT(ev.u.snapshot.ack);
	CU_ASSERT_EQUAL(ev.u.snapshot.tick, 10);
	CU_ASSERT_EQUAL(ev.u.snapshot.baseline, 0);
	CU_ASSERT_EQUAL(ev.u.snapshot.n, 3);
	CU_ASSERT(view_eq(gsc_repl_view(repl), gs_repl_sess_view(srv, 10)));
	CU_ASSERT_EQUAL(client_ack(), 10);
	CU_ASSERT_EQUAL(gs_repl_sess_ack(srv, 10), 0);

	c[1].q[0] += 4;
	len = server_snapshot(c, 3, 11, GS_REPL_BUDGET);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1150 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_SNAPSHOT);
	CU_ASSERT_EQUAL(ev.u.snapshot.baseline, 10);
	CU_ASSERT(view_eq(gsc_repl_view(repl), gs_repl_sess_view(srv, 11)));
	CU_ASSERT_EQUAL(client_ack(), 11);

	CU_ASSERT_EQUAL(repl->stats.applied, 2);
	CU_ASSERT_EQUAL(repl->stats.full, 1);
	CU_ASSERT_EQUAL(repl->stats.delta, 1);
	CU_ASSERT_EQUAL(repl->stats.acks_sent, 2);
	CU_ASSERT_EQUAL(sess.stats.rx_by_type[GS_MSG_SNAPSHOT], 2);
	CU_ASSERT_EQUAL(sess.stats.tx_by_type[GS_MSG_SNAPSHOT_ACK], 2);
	CU_ASSERT_EQUAL(sess.stats.seq_gaps, 0);
}

static void
test_the_view_reads_in_world_units(void)
{
	struct gs_repl_ent c[] = { ent(5, 24, -8), ent(2, 0, 16) };
	struct gsc_repl_ent e;
	struct gsc_event ev;
	size_t len;

	c[0].q[2] = 1600;
	c[0].v[0] = -40;
	c[0].hp = 37;
	c[1].alive = 0;
	connect_with_repl(false);
	CU_ASSERT_EQUAL(gsc_repl_count(repl), 0);
	CU_ASSERT_PTR_NULL(gsc_repl_view(repl));
	CU_ASSERT_EQUAL(gsc_repl_entity(repl, 5, &e), -ENOENT);
	len = server_snapshot(c, 2, 1, GS_REPL_BUDGET);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1100 * MS, &ev), 0);
	CU_ASSERT_EQUAL(gsc_repl_count(repl), 2);
	CU_ASSERT_EQUAL(gsc_repl_entity(repl, 5, &e), 0);
	CU_ASSERT_EQUAL(e.id, 5);
	CU_ASSERT_DOUBLE_EQUAL(e.pos[0], 1.5, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(e.pos[1], -0.5, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(e.pos[2], 100.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(e.vel[0], -2.5, 1e-9);
	CU_ASSERT_EQUAL(e.hp, 37);
	CU_ASSERT(e.alive);
	/* by index: in id order */
	CU_ASSERT_EQUAL(gsc_repl_entity_at(repl, 0, &e), 0);
	CU_ASSERT_EQUAL(e.id, 2);
	CU_ASSERT_FALSE(e.alive);
	CU_ASSERT_DOUBLE_EQUAL(e.pos[1], 1.0, 1e-9);
	CU_ASSERT_EQUAL(gsc_repl_entity_at(repl, 2, &e), -ENOENT);
	CU_ASSERT_EQUAL(gsc_repl_entity(repl, 3, &e), -ENOENT);
}

static void
test_old_and_unheld_baseline_snapshots_are_dropped(void)
{
	struct gs_repl_ent c[] = { ent(1, 0, 0) };
	static uint8_t early[GSC_DATAGRAM_MAX];
	struct gsc_event ev;
	size_t len, early_len;

	connect_with_repl(false);
	early_len = server_snapshot(c, 1, 1, GS_REPL_BUDGET);
	memcpy(early, dgram, early_len);
	c[0].q[0] = 5;
	len = server_snapshot(c, 1, 2, GS_REPL_BUDGET);
	/* 2 arrives first, then 1: 1 is old */
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1100 * MS, &ev), 0);
	CU_ASSERT(ev.u.snapshot.applied);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, early, early_len, 1101 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_SNAPSHOT);
	CU_ASSERT_FALSE(ev.u.snapshot.applied);
	CU_ASSERT_FALSE(ev.u.snapshot.ack);
	CU_ASSERT_EQUAL(ev.u.snapshot.drop, -ESTALE);
	CU_ASSERT_EQUAL(ev.u.snapshot.tick, 1);
	CU_ASSERT_EQUAL(repl->stats.dropped_old, 1);
	CU_ASSERT_EQUAL(repl->newest, 2);
	CU_ASSERT_EQUAL(gsc_repl_entity(repl, 1, &(struct gsc_repl_ent){ 0 }), 0);
	CU_ASSERT_EQUAL(sess.stats.seq_reordered, 1);

	/* a delta against tick 1, which the client never applied */
	CU_ASSERT_EQUAL(gs_repl_sess_ack(srv, 1), 0);
	c[0].q[0] = 6;
	len = server_snapshot(c, 1, 3, GS_REPL_BUDGET);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1150 * MS, &ev), 0);
	CU_ASSERT_FALSE(ev.u.snapshot.applied);
	CU_ASSERT(ev.u.snapshot.ack); /* tell the server about 2 again */
	CU_ASSERT_EQUAL(ev.u.snapshot.drop, -ENOENT);
	CU_ASSERT_EQUAL(ev.u.snapshot.baseline, 1);
	CU_ASSERT_EQUAL(repl->stats.dropped_no_baseline, 1);
	CU_ASSERT_EQUAL(client_ack(), 2);
	CU_ASSERT_EQUAL(gs_repl_sess_ack(srv, 2), 0);
	len = server_snapshot(c, 1, 4, GS_REPL_BUDGET);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1200 * MS, &ev), 0);
	CU_ASSERT(ev.u.snapshot.applied);
	CU_ASSERT_EQUAL(ev.u.snapshot.baseline, 2);
	CU_ASSERT(view_eq(gsc_repl_view(repl), gs_repl_sess_view(srv, 4)));
	CU_ASSERT_EQUAL(repl->stats.applied, 2);
	CU_ASSERT_EQUAL(sess.stats.rx_pkts, 1 + 4); /* the accept and every snapshot */
}

static void
test_a_bad_snapshot_is_refused_and_changes_nothing(void)
{
	static const uint8_t junk[] = { 0x22, 0x05, 0x08 };
	struct gs_repl_ent c[] = { ent(1, 0, 0) };
	Gs__Snapshot m = GS__SNAPSHOT__INIT;
	Gs__EntityState st = GS__ENTITY_STATE__INIT, *stp = &st;
	struct gsc_event ev;
	size_t len, plen;

	connect_with_repl(false);
	len = server_snapshot(c, 1, 5, GS_REPL_BUDGET);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1100 * MS, &ev), 0);

	/* not a Snapshot */
	len = raw_snapshot(dgram, SID, junk, sizeof(junk));
	CU_ASSERT_EQUAL(gsc_session_input(&sess, dgram, len, 1101 * MS, &ev), -EBADMSG);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_NONE);
	/* a delta for an entity the view does not have */
	m.tick = 6;
	m.baseline = 5;
	st.id = 99;
	st.x = 1;
	m.n_delta = 1;
	m.delta = &stp;
	plen = gs__snapshot__pack(&m, payload);
	len = raw_snapshot(dgram, SID, payload, plen);
	CU_ASSERT_EQUAL(gsc_session_input(&sess, dgram, len, 1102 * MS, &ev), -EBADMSG);
	CU_ASSERT_EQUAL(repl->stats.dropped_bad, 2);
	CU_ASSERT_EQUAL(sess.stats.rx_bad, 2);
	CU_ASSERT_EQUAL(repl->newest, 5);
	CU_ASSERT(view_eq(gsc_repl_view(repl), gs_repl_sess_view(srv, 5)));
	/* another session's, and before the session was accepted */
	len = raw_snapshot(dgram, SID + 1, payload, plen);
	CU_ASSERT_EQUAL(gsc_session_input(&sess, dgram, len, 1103 * MS, &ev), -ESTALE);
	gsc_session_init(&sess, 77);
	gsc_session_set_repl(&sess, repl);
	len = raw_snapshot(dgram, SID, payload, plen);
	CU_ASSERT_EQUAL(gsc_session_input(&sess, dgram, len, 1104 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(repl->newest, 5);
}

static void
test_without_a_repl_a_snapshot_is_an_unknown_type(void)
{
	struct gs_repl_ent c[] = { ent(1, 0, 0) };
	struct gsc_event ev;
	size_t len;

	connect_with_repl(false);
	gsc_session_set_repl(&sess, NULL);
	len = server_snapshot(c, 1, 1, GS_REPL_BUDGET);
	CU_ASSERT_EQUAL(gsc_session_input(&sess, dgram, len, 1100 * MS, &ev), -ENOMSG);
	CU_ASSERT_EQUAL(sess.stats.rx_not_session, 1);
	gsc_session_set_raw_rx(&sess, true);
	CU_ASSERT_EQUAL(gsc_session_input(&sess, dgram, len, 1100 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_RAW);
	CU_ASSERT_EQUAL(ev.u.raw.type, GS_MSG_SNAPSHOT);
	CU_ASSERT_EQUAL(repl->stats.applied, 0);
	/* no repl, nothing to ack */
	CU_ASSERT_EQUAL(gsc_session_snapshot_ack(&sess, dgram, sizeof(dgram), &len), -EINVAL);
}

static void
test_snapshot_ack_needs_a_view_and_a_connected_session(void)
{
	struct gs_repl_ent c[] = { ent(1, 0, 0) };
	struct gsc_event ev;
	size_t len;

	connect_with_repl(false);
	CU_ASSERT_EQUAL(gsc_session_snapshot_ack(&sess, dgram, sizeof(dgram), &len), -ENODATA);
	len = server_snapshot(c, 1, 1, GS_REPL_BUDGET);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1100 * MS, &ev), 0);
	CU_ASSERT_EQUAL(gsc_session_snapshot_ack(&sess, dgram, 10, &len), -ENOSPC);
	CU_ASSERT_EQUAL(gsc_session_snapshot_ack(NULL, dgram, sizeof(dgram), &len), -EINVAL);
	CU_ASSERT_EQUAL(gsc_session_snapshot_ack(&sess, dgram, sizeof(dgram), &len), 0);
	CU_ASSERT_EQUAL(repl->stats.acks_sent, 1);
	CU_ASSERT_EQUAL(gsc_session_disconnect(&sess, dgram, sizeof(dgram), &len), 0);
	CU_ASSERT_EQUAL(gsc_session_snapshot_ack(&sess, dgram, sizeof(dgram), &len), -ENOTCONN);
	CU_ASSERT_EQUAL(repl->stats.acks_sent, 1);
}

static void
test_tagged_snapshots_are_checked_before_they_are_applied(void)
{
	struct gs_repl_ent c[] = { ent(1, 0, 0) };
	struct gsc_event ev;
	size_t len;

	connect_with_repl(true);
	len = server_snapshot(c, 1, 1, GS_REPL_BUDGET);
	dgram[len - 1] ^= 1; /* altered on the way */
	CU_ASSERT_EQUAL(gsc_session_input(&sess, dgram, len, 1100 * MS, &ev), -EACCES);
	CU_ASSERT_EQUAL(repl->stats.applied + repl->stats.dropped_bad, 0);
	dgram[len - 1] ^= 1;
	CU_ASSERT_EQUAL(gsc_session_input(&sess, dgram, len, 1100 * MS, &ev), 0);
	CU_ASSERT(ev.u.snapshot.applied);
	/* replayed: refused before it reaches the views */
	CU_ASSERT_EQUAL(gsc_session_input(&sess, dgram, len, 1101 * MS, &ev), -EALREADY);
	CU_ASSERT_EQUAL(repl->stats.dropped_old, 0);
	/* the ack is tagged like every datagram of the session */
	CU_ASSERT_EQUAL(gsc_session_snapshot_ack(&sess, dgram, sizeof(dgram), &len), 0);
	CU_ASSERT(gs_tag_verify(key_c2s, dgram, len));
}

/* --- views kept, and interpolation -------------------------------------------------------- */

static void
test_the_last_32_views_are_kept_as_baselines(void)
{
	struct gs_repl_ent c[] = { ent(1, 0, 0) };
	struct gsc_event ev;
	size_t len;
	uint32_t t;

	connect_with_repl(false);
	/* 40 snapshots, acks all lost: full ones, each one applied */
	for (t = 1; t <= 40; t++) {
		c[0].q[0] = (int32_t)t;
		len = server_snapshot(c, 1, t, GS_REPL_BUDGET);
		CU_ASSERT_EQUAL_FATAL(
			gsc_session_input(&sess, dgram, len, (1000 + t) * MS, &ev), 0);
	}
	/* held: 9 .. 40; the server's baseline may be 31 ticks old at most */
	CU_ASSERT_EQUAL(gs_repl_sess_ack(srv, 10), 0);
	c[0].q[0] = 100;
	len = server_snapshot(c, 1, 41, GS_REPL_BUDGET);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1041 * MS, &ev), 0);
	CU_ASSERT(ev.u.snapshot.applied);
	CU_ASSERT_EQUAL(ev.u.snapshot.baseline, 10);
	CU_ASSERT(view_eq(gsc_repl_view(repl), gs_repl_sess_view(srv, 41)));
	/* held: 10 .. 41; a delta against 9 (by hand: the server may not use it now) is dropped */
	{
		Gs__Snapshot m = GS__SNAPSHOT__INIT;
		size_t plen;

		m.tick = 42;
		m.baseline = 9;
		plen = gs__snapshot__pack(&m, payload);
		len = raw_snapshot(dgram, SID, payload, plen);
		CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1042 * MS, &ev), 0);
		CU_ASSERT_EQUAL(ev.u.snapshot.drop, -ENOENT);
		m.baseline = 10;
		plen = gs__snapshot__pack(&m, payload);
		len = raw_snapshot(dgram, SID, payload, plen);
		CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, 1042 * MS, &ev), 0);
		CU_ASSERT(ev.u.snapshot.applied);
		CU_ASSERT_EQUAL(gsc_repl_view(repl)->e[0].q[0], 10);
	}
	CU_ASSERT_EQUAL(repl->stats.full, 40);
	CU_ASSERT_EQUAL(repl->stats.delta, 2);
}

/* Apply a full snapshot of @p n entities at tick @p tick, received at @p at_ms. */
static void
receive(const struct gs_repl_ent *c, uint32_t n, uint32_t tick, uint64_t at_ms)
{
	struct gsc_event ev;
	size_t len = server_snapshot(c, n, tick, GS_REPL_BUDGET);

	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&sess, dgram, len, at_ms * MS, &ev), 0);
	CU_ASSERT_FATAL(ev.u.snapshot.applied);
}

#define ASSERT_AT(id, t_ms, want_x)                                                       \
	do {                                                                              \
		float p_[3] = { -1, -1, -1 };                                             \
		CU_ASSERT_EQUAL(gsc_repl_interp(repl, (id), (uint64_t)(t_ms)*MS, p_), 0); \
		CU_ASSERT_DOUBLE_EQUAL(p_[0], (want_x), 1e-4);                            \
	} while (0)

static void
test_interpolation_between_the_newest_views(void)
{
	/* entity 1 walks along x: 0, 10, 20 units; 2 appears in the last; 3 leaves in it */
	struct gs_repl_ent v1[] = { ent(1, 0, 0), ent(3, 160, 0) };
	struct gs_repl_ent v2[] = { ent(1, 160, 0), ent(3, 320, 0) };
	struct gs_repl_ent v3[] = { ent(1, 320, 0), ent(2, 48, 0) };
	float p[3];

	connect_with_repl(false);
	CU_ASSERT_EQUAL(gsc_repl_interp(repl, 1, 0, p), -ENOENT); /* no view yet */
	receive(v1, 2, 1, 100);
	ASSERT_AT(1, 50, 0.0); /* one view: its position at any time */
	ASSERT_AT(1, 500, 0.0);
	receive(v2, 2, 2, 150);
	receive(v3, 2, 3, 200);
	ASSERT_AT(1, 90, 0.0); /* before the oldest: the oldest */
	ASSERT_AT(1, 100, 0.0);
	ASSERT_AT(1, 125, 5.0); /* halfway: halfway */
	ASSERT_AT(1, 140, 8.0);
	ASSERT_AT(1, 150, 10.0);
	ASSERT_AT(1, 175, 15.0);
	ASSERT_AT(1, 200, 20.0); /* from the newest on: the newest (no extrapolation) */
	ASSERT_AT(1, 900, 20.0);
	/* 2 is only in the newest: there, also just before it */
	ASSERT_AT(2, 180, 3.0);
	CU_ASSERT_EQUAL(gsc_repl_interp(repl, 2, 120 * MS, p), -ENOENT);
	/* 3 left in the newest: still there between the two before, gone after */
	ASSERT_AT(3, 125, 15.0);
	ASSERT_AT(3, 175, 20.0);
	CU_ASSERT_EQUAL(gsc_repl_interp(repl, 3, 200 * MS, p), -ENOENT);
	/* a fourth view pushes the first out of the buffer */
	v3[0].q[0] = 480;
	receive(v3, 2, 4, 250);
	ASSERT_AT(1, 100, 10.0); /* before the oldest (150 ms) now */
	ASSERT_AT(1, 225, 25.0);
	/* y and z interpolate too */
	{
		struct gs_repl_ent w[] = { ent(1, 480, 160) };

		w[0].q[2] = -32;
		receive(w, 1, 5, 300);
		CU_ASSERT_EQUAL(gsc_repl_interp(repl, 1, 275 * MS, p), 0);
		CU_ASSERT_DOUBLE_EQUAL(p[1], 5.0, 1e-4);
		CU_ASSERT_DOUBLE_EQUAL(p[2], -1.0, 1e-4);
	}
}

/* --- end to end over a lossy network ------------------------------------------------------- */

static uint64_t rnd_state;

static uint32_t
rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rnd_state >> 33);
}

static void
test_client_views_equal_the_server_views_over_a_lossy_network(void)
{
	enum {
		N = 80,
		TICKS = 300,
		Q = 16
	};
	static struct gs_repl_ent world[N];

	static struct {
		uint32_t at; /* the tick it is delivered at, 0: free */
		size_t len;
		uint8_t b[GSC_DATAGRAM_MAX];
	} fl[Q];

	static uint32_t acks_at[Q], acks_tick[Q];
	uint64_t checked = 0;

	rnd_state = 7;
	connect_with_repl(true);
	for (uint32_t i = 0; i < N; i++)
		world[i] = ent(
			i * 11 + 1, (int32_t)(rnd() % 4000) - 2000, (int32_t)(rnd() % 4000) - 2000);
	memset(fl, 0, sizeof(fl));
	memset(acks_at, 0, sizeof(acks_at));
	for (uint32_t tick = 1; tick <= TICKS; tick++) {
		struct gsc_event ev;
		size_t len;

		for (uint32_t i = 0; i < N; i++) {
			world[i].q[0] += (int32_t)(rnd() % 9) - 4;
			if (rnd() % 50 == 0)
				world[i].hp = (int32_t)(rnd() % 100);
		}
		/* 300 bytes: the budget cuts */
		len = server_snapshot(world, N, tick, 300);
		if (rnd() % 100 >= 20) { /* 20% lost, the rest 1 to 3 ticks late */
			for (unsigned int k = 0; k < Q; k++) {
				if (fl[k].at == 0) {
					fl[k].at = tick + 1 + rnd() % 3;
					fl[k].len = len;
					memcpy(fl[k].b, dgram, len);
					break;
				}
			}
		}
		for (unsigned int k = 0; k < Q; k++) {
			if (acks_at[k] != 0 && acks_at[k] <= tick) {
				acks_at[k] = 0;
				gs_repl_sess_ack(srv, acks_tick[k]);
			}
			if (fl[k].at == 0 || fl[k].at > tick)
				continue;
			fl[k].at = 0;
			CU_ASSERT_EQUAL_FATAL(
				gsc_session_input(&sess, fl[k].b, fl[k].len, tick * 50 * MS, &ev),
				0);
			CU_ASSERT_EQUAL_FATAL(ev.type, GSC_EVENT_SNAPSHOT);
			if (ev.u.snapshot.applied) {
				CU_ASSERT(view_eq(gsc_repl_view(repl),
					gs_repl_sess_view(srv, ev.u.snapshot.tick)));
				checked++;
			}
			if (ev.u.snapshot.ack && rnd() % 100 >= 30) { /* 30% of acks lost */
				for (unsigned int j = 0; j < Q; j++) {
					if (acks_at[j] == 0) {
						acks_at[j] = tick + 1 + rnd() % 2;
						acks_tick[j] = client_ack();
						break;
					}
				}
			}
		}
	}
	CU_ASSERT(checked > TICKS / 2);
	CU_ASSERT(repl->stats.dropped_old > 0);
	CU_ASSERT(repl->stats.delta > repl->stats.full);
	CU_ASSERT(repl->stats.cut > 0);
	CU_ASSERT_EQUAL(repl->stats.dropped_bad, 0);
	printf("\n    %llu views equal the server's: %llu full, %llu delta, %llu old dropped, "
	       "%llu acks sent, %llu cut ",
		(unsigned long long)checked, (unsigned long long)repl->stats.full,
		(unsigned long long)repl->stats.delta, (unsigned long long)repl->stats.dropped_old,
		(unsigned long long)repl->stats.acks_sent, (unsigned long long)repl->stats.cut);
}

static CU_TestInfo session_tests[] = {
	{ "snapshots apply and acks make the next a delta",
		test_snapshots_apply_and_acks_make_the_next_a_delta },
	{ "the view reads in world units", test_the_view_reads_in_world_units },
	{ "old and unheld baseline snapshots are dropped",
		test_old_and_unheld_baseline_snapshots_are_dropped },
	{ "a bad snapshot is refused and changes nothing",
		test_a_bad_snapshot_is_refused_and_changes_nothing },
	{ "without a repl a snapshot is an unknown type",
		test_without_a_repl_a_snapshot_is_an_unknown_type },
	{ "snapshot ack needs a view and a connected session",
		test_snapshot_ack_needs_a_view_and_a_connected_session },
	{ "tagged snapshots are checked before they are applied",
		test_tagged_snapshots_are_checked_before_they_are_applied },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo view_tests[] = {
	{ "the last 32 views are kept as baselines", test_the_last_32_views_are_kept_as_baselines },
	{ "interpolation between the newest views", test_interpolation_between_the_newest_views },
	{ "client views equal the server views over a lossy network",
		test_client_views_equal_the_server_views_over_a_lossy_network },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "gsclient replication", .pTests = session_tests },
	{ .pName = "gsclient views", .pTests = view_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	int ret;

	repl = malloc(sizeof(*repl));
	srv = gs_repl_sess_create(GS_REPL_RING, GSC_REPL_VIEW_MAX);
	enc = gs_repl_enc_create(GSC_REPL_VIEW_MAX);
	if (repl == NULL || srv == NULL || enc == NULL)
		return 1;
	ret = gs_test_run(suites);
	gs_repl_enc_free(enc);
	gs_repl_sess_free(srv);
	free(repl);
	return ret;
}
