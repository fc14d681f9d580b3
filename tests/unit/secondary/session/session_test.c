/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_memory.h>

#include <CUnit/CUnit.h>

#include "gs_cfg.h"
#include "gs_test.h"
#include "gs_world_shm.h"

#include "handler_stub.h"
#include "session.h"
#include "session.pb-c.h"

/*
 * gs-session's handler core (secondary/session/session.c) driven through
 * session_burst() and session_tick() with the CONNECT, HEARTBEAT and
 * DISCONNECT messages the primary would pass on. Replies and rejects are
 * recorded by handler_stub.c; the session table, the used-token table and
 * the world are the real ones (EAL without hugepages). Times are the TSC's
 * own (the idle sweep reads it), NOW the moment a test starts.
 *
 * [auth] mode = open: CONNECT carries a player id; mode = token: a sealed
 * connect token under a server key written for the test, and the cookie of
 * the primary's challenge under the group's cookie key (gs_control).
 */
#define N_SESS	 8u
#define N_TOKENS 16u
#define LCORE	 1u
#define N_LCORES 2u
#define PROTO	 UINT64_C(0x47534e4554)

static struct gs_control *ctl;
static struct gs_handler h;
static struct gs_session_tbl tbl; /* the primary's */
static struct gs_tokens_used used;
static struct gs_world *w;
static struct session_ctx ctx;
static struct gs_cfg cfg;
static char key_dir[64], key_path[128];
static uint8_t server_key[GS_KEY_LEN];
static uint64_t hz, NOW;

static uint64_t
ms(uint64_t n)
{
	return n * hz / 1000u;
}

/* A new session table, world and used-token table, and gs-session on them in @p mode. */
static void
setup(enum gs_auth_mode mode)
{
	struct gs_world_rules rules;

	gs_world_rules_default(&rules);
	CU_ASSERT_EQUAL_FATAL(stub_shm_create(N_SESS, N_SESS, &rules, &tbl, &w), 0);
	CU_ASSERT_EQUAL_FATAL(gs_tokens_used_create(&used, N_TOKENS, SOCKET_ID_ANY), 0);
	stub_handler_init(&h, ctl, GS_CLASS_SESSION, N_LCORES, hz);
	ctl->auth_mode = mode;
	randombytes_buf(ctl->cookie_key, sizeof(ctl->cookie_key));
	CU_ASSERT_EQUAL_FATAL(session_init(&ctx, &h, &cfg), 0);
	NOW = rte_get_timer_cycles();
	stub_reset();
}

static void
teardown(void)
{
	free(ctx.tbl.free); /* the writer's free positions: its own memory */
	ctx.tbl.free = NULL;
	gs_tokens_used_free(&used);
	gs_world_free();
	gs_session_tbl_free(&tbl);
}

/* One burst from primary lcore LCORE, then what the runtime does after it (consume()). */
static void
burst(const struct gs_msg *m, unsigned int n)
{
	session_burst(&ctx, LCORE, m, n);
	h.answering_rx_tsc = 0;
}

/* A CONNECT from @p peer with nonce @p nonce in its auth_tag field. */
static void
connect_msg(struct gs_msg *m, const struct gs_peer *peer, const Gs__Connect *c, uint64_t rx_tsc,
	uint8_t nonce)
{
	stub_msg(m, peer, GS_MSG_CONNECT, 0, 0, 0, rx_tsc, &c->base);
	memset(m->hdr.auth_tag, nonce, sizeof(m->hdr.auth_tag));
}

/* [auth] mode = open: CONNECT of player @p player from client @p n at @p rx_tsc. */
static void
connect_open(uint32_t n, uint64_t player, uint64_t rx_tsc)
{
	Gs__Connect c = GS__CONNECT__INIT;
	struct gs_peer p = stub_peer(n);
	struct gs_msg m;

	c.player_id = player;
	c.client_time_ns = 5000 + n;
	connect_msg(&m, &p, &c, rx_tsc, (uint8_t)n);
	burst(&m, 1);
}

/* The session of client @p n (NULL: none). */
static struct gs_session *
session_of(uint32_t n)
{
	struct gs_peer p = stub_peer(n);

	return gs_session_find_peer(&tbl, &p);
}

/* Check that @p r is a CONNECT_ACCEPT of session @p s; returns it unpacked. */
static Gs__ConnectAccept *
accept_of(const struct stub_reply *r, const struct gs_session *s)
{
	if (r == NULL || s == NULL) {
		CU_FAIL("no reply or no session");
		return NULL;
	}
	CU_ASSERT_EQUAL(r->type, GS_MSG_CONNECT_ACCEPT);
	CU_ASSERT_FALSE(r->to_connect); /* it names its session: tagged with its keys */
	CU_ASSERT_EQUAL(r->session_id, s->session_id);
	CU_ASSERT_EQUAL(r->slot, gs_session_slot(&tbl, s));
	CU_ASSERT_EQUAL(r->peer.ip, s->peer.ip);
	CU_ASSERT_EQUAL(r->peer.port, s->peer.port);
	return gs__connect_accept__unpack(NULL, r->len, r->payload);
}

/* --- [auth] mode = open ------------------------------------------------------------------- */

static void
test_connect_opens_a_session_and_accepts_it(void)
{
	uint64_t before = gs_wall_ns(), after;
	Gs__ConnectAccept *acc;
	struct gs_session *s;
	float sp[3];

	setup(GS_AUTH_OPEN);
	connect_open(1, 42, NOW);
	after = gs_wall_ns();
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->player_id, 42);
	CU_ASSERT_EQUAL(s->created_tsc, NOW);
	CU_ASSERT_EQUAL(ctx.stats.connects, 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	acc = accept_of(stub_only_reply(), s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
	CU_ASSERT_EQUAL(stub_replies[0].lcore, LCORE);
	CU_ASSERT_EQUAL(stub_replies[0].rx_tsc, NOW); /* answers that CONNECT */
	CU_ASSERT_EQUAL(acc->session_id, s->session_id);
	CU_ASSERT_EQUAL(acc->entity_id, s->entity_id);
	gs_world_spawn_point(w, s->entity_id, 0, sp);
	CU_ASSERT_EQUAL(acc->spawn_x, sp[0]);
	CU_ASSERT_EQUAL(acc->spawn_y, sp[1]);
	CU_ASSERT_EQUAL(acc->spawn_z, sp[2]);
	CU_ASSERT_EQUAL(acc->client_time_ns, 5001);
	CU_ASSERT(acc->server_time_ns >= before && acc->server_time_ns <= after);
	CU_ASSERT_EQUAL(acc->heartbeat_interval_ms, cfg.heartbeat_interval_ms);
	CU_ASSERT_EQUAL(acc->idle_timeout_ms, cfg.idle_timeout_ms);
	gs__connect_accept__free_unpacked(acc, NULL);
	teardown();
}

/* A retransmitted CONNECT (the accept was lost) gets the same session back. */
static void
test_a_second_connect_from_the_same_address_gets_the_same_session(void)
{
	Gs__ConnectAccept *acc;
	struct gs_session *s;
	uint32_t id;

	setup(GS_AUTH_OPEN);
	connect_open(1, 42, NOW);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	id = s->session_id;
	stub_reset();
	connect_open(1, 43, NOW + ms(50));
	CU_ASSERT_PTR_EQUAL(session_of(1), s);
	CU_ASSERT_EQUAL(s->session_id, id);
	CU_ASSERT_EQUAL(s->player_id, 42);
	CU_ASSERT_EQUAL(s->last_seen_tsc, NOW + ms(50));
	CU_ASSERT_EQUAL(ctx.stats.connects, 1);
	CU_ASSERT_EQUAL(ctx.stats.reconnects, 1);
	acc = accept_of(stub_only_reply(), s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
	CU_ASSERT_EQUAL(acc->session_id, id);
	gs__connect_accept__free_unpacked(acc, NULL);
	CU_ASSERT_EQUAL(gs_session_count(&tbl), 1);
	teardown();
}

/* A full table: SESSION_ERROR(TABLE_FULL), to the CONNECT's address with its nonce echoed. */
static void
test_a_connect_to_a_full_table_gets_table_full_with_its_nonce(void)
{
	const struct stub_reply *r;
	Gs__SessionError *err;
	uint8_t nonce[GS_WIRE_AUTH_LEN];
	struct gs_peer p = stub_peer(100);

	setup(GS_AUTH_OPEN);
	for (uint32_t i = 1; i <= N_SESS; i++)
		connect_open(i, i, NOW);
	CU_ASSERT_EQUAL_FATAL(ctx.stats.connects, N_SESS);
	stub_reset();
	connect_open(100, 100, NOW);
	CU_ASSERT_PTR_NULL(session_of(100));
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_TABLE_FULL], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 1);
	CU_ASSERT_EQUAL(ctx.stats.connects, N_SESS);
	r = stub_only_reply();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->type, GS_MSG_SESSION_ERROR);
	CU_ASSERT_TRUE(r->to_connect); /* no session: session 0, the nonce echoed */
	memset(nonce, 100, sizeof(nonce));
	CU_ASSERT_EQUAL(memcmp(r->tag, nonce, sizeof(nonce)), 0);
	CU_ASSERT_EQUAL(r->peer.ip, p.ip);
	CU_ASSERT_EQUAL(r->peer.port, p.port);
	err = gs__session_error__unpack(NULL, r->len, r->payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_EQUAL(err->code, GS__SESSION_ERROR__CODE__TABLE_FULL);
	gs__session_error__free_unpacked(err, NULL);
	teardown();
}

/* A new session's entity forgets its last owner (its lines), before the client learns the id. */
static void
test_a_new_session_starts_with_its_entity_released(void)
{
	struct gs_session *s;
	struct gs_entity *e;

	setup(GS_AUTH_OPEN);
	for (uint32_t id = 1; id <= N_SESS; id++) {
		e = gs_world_entity(w, id);
		e->m.owner = 0xdead0000u | id; /* an earlier session's */
		e->c.owner = 0xdead0000u | id;
	}
	connect_open(1, 42, NOW);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	e = gs_world_entity(w, s->entity_id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->m.owner, 0);
	CU_ASSERT_EQUAL(e->c.owner, 0);
	/* the retransmit of that CONNECT does not release it again */
	e->m.owner = s->session_id;
	connect_open(1, 42, NOW);
	CU_ASSERT_EQUAL(e->m.owner, s->session_id);
	teardown();
}

static void
test_a_heartbeat_refreshes_its_session_and_is_acknowledged(void)
{
	Gs__Heartbeat hb = GS__HEARTBEAT__INIT;
	const struct stub_reply *r;
	Gs__HeartbeatAck *ack;
	struct gs_session *s;
	struct gs_msg m;
	uint64_t before, after;

	setup(GS_AUTH_OPEN);
	connect_open(1, 42, NOW);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	stub_reset();
	hb.client_time_ns = 987654321;
	stub_msg_of(&m, &tbl, s, GS_MSG_HEARTBEAT, 17, NOW + ms(100), &hb.base);
	before = gs_wall_ns();
	burst(&m, 1);
	after = gs_wall_ns();
	CU_ASSERT_EQUAL(ctx.stats.heartbeats, 1);
	CU_ASSERT_EQUAL(s->last_seen_tsc, NOW + ms(100));
	CU_ASSERT_EQUAL(s->rx_seq, 17);
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	r = stub_only_reply();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->type, GS_MSG_HEARTBEAT_ACK);
	CU_ASSERT_EQUAL(r->session_id, s->session_id);
	CU_ASSERT_EQUAL(r->slot, gs_session_slot(&tbl, s));
	CU_ASSERT_EQUAL(r->rx_tsc, NOW + ms(100));
	ack = gs__heartbeat_ack__unpack(NULL, r->len, r->payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ack);
	CU_ASSERT_EQUAL(ack->client_time_ns, 987654321);
	CU_ASSERT(ack->server_time_ns >= before && ack->server_time_ns <= after);
	gs__heartbeat_ack__free_unpacked(ack, NULL);
	teardown();
}

/* No session, another address, another generation of the slot: not_connected, no answer. */
static void
test_a_heartbeat_of_no_session_is_not_connected(void)
{
	Gs__Heartbeat hb = GS__HEARTBEAT__INIT;
	struct gs_session *s;
	struct gs_peer other = stub_peer(2);
	struct gs_msg m[3];
	uint32_t slot;

	setup(GS_AUTH_OPEN);
	connect_open(1, 42, NOW);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	slot = gs_session_slot(&tbl, s);
	stub_reset();
	stub_msg(&m[0], &s->peer, GS_MSG_HEARTBEAT, 0, 0, 1, NOW, &hb.base);
	stub_msg(&m[1], &other, GS_MSG_HEARTBEAT, slot, s->session_id, 1, NOW, &hb.base);
	stub_msg(&m[2], &s->peer, GS_MSG_HEARTBEAT, slot, s->session_id ^ (1u << tbl.id_bits), 1,
		NOW, &hb.base);
	burst(m, 3);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_NOT_CONNECTED], 3);
	CU_ASSERT_EQUAL(stub_rejects_total(), 3);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	CU_ASSERT_EQUAL(ctx.stats.heartbeats, 0);
	CU_ASSERT_EQUAL(s->last_seen_tsc, NOW); /* untouched by the others' messages */
	teardown();
}

static void
test_disconnect_closes_the_session_without_an_answer(void)
{
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	Gs__Heartbeat hb = GS__HEARTBEAT__INIT;
	struct gs_session *s;
	struct gs_msg m;
	uint32_t id;

	setup(GS_AUTH_OPEN);
	connect_open(1, 42, NOW);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	id = s->session_id;
	stub_reset();
	stub_msg_of(&m, &tbl, s, GS_MSG_DISCONNECT, 2, NOW + ms(10), &d.base);
	burst(&m, 1);
	CU_ASSERT_EQUAL(ctx.stats.disconnects, 1);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	CU_ASSERT_PTR_NULL(gs_session_find(&tbl, id));
	CU_ASSERT_PTR_NULL(session_of(1));
	CU_ASSERT_EQUAL(s->state, GS_SESS_CLOSED);
	/* what it sends after that finds no session */
	stub_msg(&m, &s->peer, GS_MSG_HEARTBEAT, gs_session_slot(&tbl, s), id, 3, NOW + ms(20),
		&hb.base);
	burst(&m, 1);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_NOT_CONNECTED], 1);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	/* the next CONNECT from that address opens a new session */
	connect_open(1, 42, NOW + ms(30));
	CU_ASSERT_PTR_NOT_NULL(session_of(1));
	CU_ASSERT_EQUAL(ctx.stats.connects, 2);
	teardown();
}

static void
test_a_bad_type_or_payload_is_rejected_without_an_answer(void)
{
	Gs__Heartbeat hb = GS__HEARTBEAT__INIT;
	struct gs_peer p = stub_peer(5);
	struct gs_session *s;
	struct gs_msg m[3];

	setup(GS_AUTH_OPEN);
	connect_open(1, 42, NOW);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	stub_reset();
	stub_msg_of(&m[0], &tbl, s, GS_MSG_MOVE, 2, NOW, &hb.base); /* not gs-session's */
	stub_msg_of(&m[1], &tbl, s, GS_MSG_HEARTBEAT, 3, NOW, NULL);
	memset(m[1].payload, 0xff, 16); /* not a protobuf message */
	m[1].hdr.payload_len = 16;
	stub_msg(&m[2], &p, GS_MSG_CONNECT, 0, 0, 0, NOW, NULL);
	memset(m[2].payload, 0xff, 16);
	m[2].hdr.payload_len = 16;
	burst(m, 3);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_BAD_TYPE], 1);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_BAD_PAYLOAD], 2);
	CU_ASSERT_EQUAL(stub_rejects_total(), 3);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	CU_ASSERT_PTR_NULL(session_of(5));
	CU_ASSERT_EQUAL(ctx.stats.heartbeats, 0);
	teardown();
}

/* Tick until the sweep has visited every slot once more (it visits a few per tick). */
static void
sweep_all(uint64_t now)
{
	for (uint32_t i = 0; i < N_SESS; i++)
		session_tick(&ctx, now);
}

static void
test_an_idle_session_expires_with_a_disconnect_idle_timeout(void)
{
	const struct stub_reply *r;
	struct gs_session *s;
	Gs__Disconnect *d;
	uint64_t idle = ms(cfg.idle_timeout_ms);
	uint32_t id;

	setup(GS_AUTH_OPEN);
	connect_open(1, 42, NOW - 2 * idle); /* last heard of two timeouts ago */
	connect_open(2, 43, NOW);	     /* just now */
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	id = s->session_id;
	stub_reset();
	sweep_all(rte_get_timer_cycles());
	CU_ASSERT_EQUAL(ctx.stats.expired, 1);
	CU_ASSERT_PTR_NULL(gs_session_find(&tbl, id));
	CU_ASSERT_PTR_NOT_NULL(session_of(2));
	r = stub_only_reply();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->type, GS_MSG_DISCONNECT);
	CU_ASSERT_EQUAL(r->session_id, id);
	CU_ASSERT_EQUAL(r->peer.ip, stub_peer(1).ip);
	CU_ASSERT_EQUAL(r->lcore, id % N_LCORES);
	CU_ASSERT_EQUAL(r->rx_tsc, 0); /* answers no request: no residence counted */
	d = gs__disconnect__unpack(NULL, r->len, r->payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->reason, GS__DISCONNECT__REASON__IDLE_TIMEOUT);
	gs__disconnect__free_unpacked(d, NULL);
	teardown();
}

/* Moves and attacks keep a session: gs-move and gs-combat keep their time in the world. */
static void
test_a_session_active_in_the_world_does_not_expire(void)
{
	uint64_t idle = ms(cfg.idle_timeout_ms), seen = NOW;
	struct gs_session *s;
	struct gs_entity *e;

	setup(GS_AUTH_OPEN);
	seen = NOW;
	connect_open(1, 42, NOW - 2 * idle);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	e = gs_world_entity(w, s->entity_id);
	e->m.owner = s->session_id; /* gs-move accepted a move just now */
	e->m.tsc = seen;
	stub_reset();
	sweep_all(rte_get_timer_cycles());
	CU_ASSERT_EQUAL(ctx.stats.expired, 0);
	CU_ASSERT_PTR_EQUAL(session_of(1), s);
	CU_ASSERT_EQUAL(s->last_seen_tsc, seen); /* refreshed from the world */
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	/* the activity of an earlier session of the entity does not count */
	e->m.owner = s->session_id + 1;
	s->last_seen_tsc = NOW - 2 * idle;
	sweep_all(rte_get_timer_cycles());
	CU_ASSERT_EQUAL(ctx.stats.expired, 1);
	CU_ASSERT_PTR_NULL(session_of(1));
	teardown();
}

/* A closed slot stays taken for the grace period (readers may hold it), then is reused. */
static void
test_a_closed_slot_is_released_after_the_grace_period(void)
{
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	struct gs_session *s;
	struct gs_msg m;

	setup(GS_AUTH_OPEN);
	for (uint32_t i = 1; i <= N_SESS; i++)
		connect_open(i, i, NOW);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	stub_msg_of(&m, &tbl, s, GS_MSG_DISCONNECT, 2, NOW, &d.base);
	burst(&m, 1);
	CU_ASSERT_EQUAL(gs_session_count(&tbl), N_SESS);
	stub_reset();
	connect_open(100, 100, NOW); /* still full */
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_TABLE_FULL], 1);
	sweep_all(NOW + ms(500)); /* within the grace period (1 s) */
	CU_ASSERT_EQUAL(gs_session_count(&tbl), N_SESS);
	sweep_all(NOW + ms(1500));
	CU_ASSERT_EQUAL(gs_session_count(&tbl), N_SESS - 1);
	stub_reset();
	connect_open(100, 100, NOW + ms(1500));
	CU_ASSERT_PTR_NOT_NULL(session_of(100));
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	teardown();
}

/* gs-stats exports gs-session's counts under their names. */
static void
test_the_counts_are_exported_under_their_event_names(void)
{
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	Gs__Heartbeat hb = GS__HEARTBEAT__INIT;
	struct gs_session *s;
	struct gs_msg m[2];

	setup(GS_AUTH_OPEN);
	CU_ASSERT_EQUAL(session_n_events, 6);
	CU_ASSERT_FATAL(session_n_events <= GS_HANDLER_EVENTS);
	connect_open(1, 1, NOW);
	connect_open(1, 1, NOW);
	connect_open(2, 2, NOW - 2 * ms(cfg.idle_timeout_ms));
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	stub_msg_of(&m[0], &tbl, s, GS_MSG_HEARTBEAT, 1, NOW, &hb.base);
	stub_msg_of(&m[1], &tbl, s, GS_MSG_DISCONNECT, 2, NOW, &d.base);
	burst(m, 2);
	sweep_all(rte_get_timer_cycles());
	CU_ASSERT_EQUAL(stub_event(session_events, session_n_events, &ctx, "connects"), 2);
	CU_ASSERT_EQUAL(stub_event(session_events, session_n_events, &ctx, "reconnects"), 1);
	CU_ASSERT_EQUAL(stub_event(session_events, session_n_events, &ctx, "heartbeats"), 1);
	CU_ASSERT_EQUAL(stub_event(session_events, session_n_events, &ctx, "disconnects"), 1);
	CU_ASSERT_EQUAL(stub_event(session_events, session_n_events, &ctx, "expired"), 1);
	CU_ASSERT_EQUAL(stub_event(session_events, session_n_events, &ctx, "tokens_forgotten"), 0);
	teardown();
}

/* --- [auth] mode = token ------------------------------------------------------------------ */

/* A connect token as the game's backend makes it: its fields, and sealed. */
struct tok {
	struct gs_token t;
	uint8_t sealed[GS_TOKEN_LEN];
};

/* A token for player @p player on this server, created @p age_s ago, living @p life_s. */
static void
tok_new(struct tok *k, uint64_t player, uint64_t age_s, uint32_t life_s)
{
	gs_token_new(&k->t, PROTO, player, cfg.ip, htons(cfg.udp_port),
		gs_wall_ns() / 1000000000u - age_s, life_s);
	gs_token_seal(server_key, &k->t, k->sealed);
}

/* What a CONNECT in token mode carries. */
struct connect_in {
	const uint8_t *token;
	size_t token_len;
	const uint8_t *cookie;
	size_t cookie_len;
	size_t padding; /* zeros, to GS_CONNECT_MIN_PAYLOAD and more */
};

/* The cookie the primary's CHALLENGE gave client @p n for token @p k, @p age_ms ago. */
static void
cookie_for(uint8_t out[GS_COOKIE_LEN], uint32_t n, const struct tok *k, uint64_t age_ms)
{
	struct gs_peer p = stub_peer(n);

	gs_cookie_make(
		ctl->cookie_key, gs_wall_ns() / 1000000u - age_ms, p.ip, p.port, k->t.nonce, out);
}

static void
connect_with(uint32_t n, const struct connect_in *in, uint64_t rx_tsc)
{
	static const uint8_t zeros[256];
	Gs__Connect c = GS__CONNECT__INIT;
	struct gs_peer p = stub_peer(n);
	struct gs_msg m;

	c.client_time_ns = 5000 + n;
	c.player_id = 999; /* ignored: the token names the player */
	c.token.data = (uint8_t *)in->token;
	c.token.len = in->token_len;
	c.cookie.data = (uint8_t *)in->cookie;
	c.cookie.len = in->cookie_len;
	c.padding.data = (uint8_t *)zeros;
	c.padding.len = in->padding;
	connect_msg(&m, &p, &c, rx_tsc, (uint8_t)n);
	burst(&m, 1);
}

/* The CONNECT a client makes after the challenge: token @p k and its fresh cookie. */
static void
connect_token(uint32_t n, const struct tok *k, uint64_t rx_tsc)
{
	uint8_t cookie[GS_COOKIE_LEN];
	struct connect_in in = {
		.token = k->sealed,
		.token_len = sizeof(k->sealed),
		.cookie = cookie,
		.cookie_len = sizeof(cookie),
		.padding = 80,
	};

	cookie_for(cookie, n, k, 0);
	connect_with(n, &in, rx_tsc);
}

/* Exactly one reject, of reason @p why; no reply, no session for client @p n. */
static void
assert_refused(uint32_t n, enum gs_reject why)
{
	CU_ASSERT_EQUAL(stub_rejects[why], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 1);
	CU_ASSERT_EQUAL(stub_n_replies, 0); /* a refused CONNECT gets no answer */
	CU_ASSERT_PTR_NULL(session_of(n));
}

static void
test_a_valid_token_opens_a_session_with_its_keys(void)
{
	struct gs_session_keys keys;
	Gs__ConnectAccept *acc;
	struct gs_session *s;
	struct tok k;
	uint32_t opened = 0;

	setup(GS_AUTH_TOKEN);
	tok_new(&k, 77, 0, 600);
	connect_token(1, &k, NOW);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->player_id, 77); /* the token's, not the CONNECT's */
	CU_ASSERT_EQUAL(ctx.stats.connects, 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	acc = accept_of(stub_only_reply(), s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
	CU_ASSERT_EQUAL(acc->session_id, s->session_id);
	CU_ASSERT_EQUAL(acc->client_time_ns, 5001);
	gs__connect_accept__free_unpacked(acc, NULL);
	/* the session's packet keys are the token's; the token is spent on it */
	memcpy(keys.c2s, k.t.c2s_key, sizeof(keys.c2s));
	memcpy(keys.s2c, k.t.s2c_key, sizeof(keys.s2c));
	CU_ASSERT_TRUE(gs_session_keys_equal(&tbl, s, &keys));
	CU_ASSERT_TRUE(gs_tokens_used_has(&used, k.t.nonce, gs_wall_ns() / 1000000000u, &opened));
	CU_ASSERT_EQUAL(opened, s->session_id);
	teardown();
}

static void
test_a_retransmitted_token_connect_gets_the_same_session(void)
{
	struct gs_session *s;
	struct tok k;
	uint32_t id, opened = 0;

	setup(GS_AUTH_TOKEN);
	tok_new(&k, 77, 0, 600);
	connect_token(1, &k, NOW);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	id = s->session_id;
	stub_reset();
	connect_token(1, &k, NOW + ms(100));
	CU_ASSERT_PTR_EQUAL(session_of(1), s);
	CU_ASSERT_EQUAL(s->session_id, id);
	CU_ASSERT_EQUAL(s->last_seen_tsc, NOW + ms(100));
	CU_ASSERT_EQUAL(ctx.stats.reconnects, 1);
	CU_ASSERT_EQUAL(ctx.stats.connects, 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	CU_ASSERT_EQUAL(stub_only_reply()->session_id, id);
	/*
	 * A gs-session killed before it recorded the session's id left the token
	 * recorded with session 0: the session is found by the token's keys.
	 */
	CU_ASSERT_EQUAL(gs_tokens_used_add(&used, k.t.nonce, k.t.expire_s, 0), 0);
	stub_reset();
	connect_token(1, &k, NOW + ms(200));
	CU_ASSERT_EQUAL(ctx.stats.reconnects, 2);
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	CU_ASSERT_EQUAL(stub_only_reply()->session_id, id);
	CU_ASSERT_TRUE(gs_tokens_used_has(&used, k.t.nonce, gs_wall_ns() / 1000000000u, &opened));
	CU_ASSERT_EQUAL(opened, id); /* recorded again */
	teardown();
}

/* A token opens one session: from another address (a copied token) it is refused. */
static void
test_a_used_token_from_another_address_is_refused(void)
{
	uint8_t saved[GS_PKT_KEY_LEN];
	struct gs_session *s;
	struct tok k;

	setup(GS_AUTH_TOKEN);
	tok_new(&k, 77, 0, 600);
	connect_token(1, &k, NOW);
	CU_ASSERT_PTR_NOT_NULL_FATAL(session_of(1));
	stub_reset();
	connect_token(2, &k, NOW);
	assert_refused(2, GS_REJECT_TOKEN_REUSED);
	CU_ASSERT_EQUAL(ctx.stats.connects, 1);
	/*
	 * Same address, but the token recorded without its session (a killed
	 * gs-session) and the address's session has other keys: not the one it opened.
	 */
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(gs_tokens_used_add(&used, k.t.nonce, k.t.expire_s, 0), 0);
	memcpy(saved, gs_session_keys_of(&tbl, s)->c2s, sizeof(saved));
	gs_session_keys_of(&tbl, s)->c2s[0] ^= 1;
	stub_reset();
	connect_token(1, &k, NOW);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_TOKEN_REUSED], 1);
	CU_ASSERT_EQUAL(stub_n_replies, 0);
	memcpy(gs_session_keys_of(&tbl, s)->c2s, saved, sizeof(saved));
	teardown();
}

/* A client that restarted: a new token from the address of its old session replaces it. */
static void
test_a_new_token_from_an_old_sessions_address_replaces_it(void)
{
	struct gs_session *s;
	struct tok k1, k2;
	uint32_t old;

	setup(GS_AUTH_TOKEN);
	tok_new(&k1, 77, 0, 600);
	connect_token(1, &k1, NOW);
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	old = s->session_id;
	stub_reset();
	tok_new(&k2, 77, 0, 600);
	connect_token(1, &k2, NOW + ms(10));
	CU_ASSERT_EQUAL(ctx.stats.disconnects, 1);
	CU_ASSERT_EQUAL(ctx.stats.connects, 2);
	CU_ASSERT_PTR_NULL(gs_session_find(&tbl, old));
	s = session_of(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_NOT_EQUAL(s->session_id, old);
	CU_ASSERT_EQUAL(stub_only_reply()->session_id, s->session_id);
	teardown();
}

/* What the cookie of the primary's challenge proves is checked again: address, token, age. */
static void
test_a_connect_without_a_good_cookie_is_refused(void)
{
	uint8_t cookie[GS_COOKIE_LEN];
	struct connect_in in;
	struct tok k, other;

	setup(GS_AUTH_TOKEN);
	tok_new(&k, 77, 0, 600);
	in = (struct connect_in){ .token = k.sealed,
		.token_len = sizeof(k.sealed),
		.cookie = cookie,
		.cookie_len = 0,
		.padding = 120 };
	connect_with(1, &in, NOW); /* none: the first CONNECT, the primary's to answer */
	assert_refused(1, GS_REJECT_COOKIE_BAD);
	stub_reset();
	cookie_for(cookie, 2, &k, 0); /* another address's */
	in.cookie_len = sizeof(cookie);
	connect_with(1, &in, NOW);
	assert_refused(1, GS_REJECT_COOKIE_BAD);
	stub_reset();
	tok_new(&other, 77, 0, 600);
	cookie_for(cookie, 1, &other, 0); /* another token's */
	connect_with(1, &in, NOW);
	assert_refused(1, GS_REJECT_COOKIE_BAD);
	stub_reset();
	cookie_for(cookie, 1, &k, 0);
	in.cookie_len = sizeof(cookie) - 1; /* cut short */
	connect_with(1, &in, NOW);
	assert_refused(1, GS_REJECT_COOKIE_BAD);
	stub_reset();
	cookie_for(cookie, 1, &k, cfg.challenge_ttl_ms + 2000); /* too old */
	in.cookie_len = sizeof(cookie);
	connect_with(1, &in, NOW);
	assert_refused(1, GS_REJECT_COOKIE_EXPIRED);
	/* the token was not spent by any of them */
	CU_ASSERT_FALSE(gs_tokens_used_has(&used, k.t.nonce, gs_wall_ns() / 1000000000u, NULL));
	teardown();
}

static void
test_a_short_or_tokenless_connect_is_refused(void)
{
	uint8_t cookie[GS_COOKIE_LEN];
	struct connect_in in;
	struct tok k;

	setup(GS_AUTH_TOKEN);
	tok_new(&k, 77, 0, 600);
	cookie_for(cookie, 1, &k, 0);
	in = (struct connect_in){ .token = k.sealed,
		.token_len = sizeof(k.sealed),
		.cookie = cookie,
		.cookie_len = sizeof(cookie),
		.padding = 0 }; /* shorter than any answer: an amplifier's request */
	connect_with(1, &in, NOW);
	assert_refused(1, GS_REJECT_CONNECT_SHORT);
	stub_reset();
	in.token_len = 0;
	in.padding = 200;
	connect_with(1, &in, NOW);
	assert_refused(1, GS_REJECT_TOKEN_MISSING);
	teardown();
}

/* Every way a token can be wrong, each counted under its reason. */
static void
test_a_bad_token_is_refused_by_reason(void)
{
	uint8_t key2[GS_KEY_LEN];
	struct tok k;

	setup(GS_AUTH_TOKEN);
	tok_new(&k, 77, 0, 600);
	k.sealed[GS_TOKEN_NONCE_OFF + GS_TOKEN_NONCE_LEN + 3] ^= 1; /* sealed part altered */
	connect_token(1, &k, NOW);
	assert_refused(1, GS_REJECT_TOKEN_FORGED);

	stub_reset();
	tok_new(&k, 77, 0, 600);
	randombytes_buf(key2, sizeof(key2)); /* sealed under another key */
	gs_token_seal(key2, &k.t, k.sealed);
	connect_token(1, &k, NOW);
	assert_refused(1, GS_REJECT_TOKEN_FORGED);

	stub_reset();
	tok_new(&k, 77, 100, 10); /* expired 90 s ago */
	connect_token(1, &k, NOW);
	assert_refused(1, GS_REJECT_TOKEN_EXPIRED);

	stub_reset();
	gs_token_new(&k.t, PROTO, 77, cfg.ip ^ htonl(1), htons(cfg.udp_port),
		gs_wall_ns() / 1000000000u, 600); /* another server's address */
	gs_token_seal(server_key, &k.t, k.sealed);
	connect_token(1, &k, NOW);
	assert_refused(1, GS_REJECT_TOKEN_OTHER_SERVER);

	stub_reset();
	gs_token_new(&k.t, PROTO, 77, cfg.ip, htons(cfg.udp_port + 1), gs_wall_ns() / 1000000000u,
		600); /* another port */
	gs_token_seal(server_key, &k.t, k.sealed);
	connect_token(1, &k, NOW);
	assert_refused(1, GS_REJECT_TOKEN_OTHER_SERVER);

	stub_reset();
	gs_token_new(&k.t, PROTO + 1, 77, cfg.ip, htons(cfg.udp_port), gs_wall_ns() / 1000000000u,
		600); /* another game */
	gs_token_seal(server_key, &k.t, k.sealed);
	connect_token(1, &k, NOW);
	assert_refused(1, GS_REJECT_TOKEN_OTHER_SERVER);

	stub_reset();
	tok_new(&k, 77, 0, cfg.max_token_lifetime_s + 1); /* would be remembered too long */
	connect_token(1, &k, NOW);
	assert_refused(1, GS_REJECT_TOKEN_LIFETIME);
	CU_ASSERT_EQUAL(ctx.stats.connects, 0);
	teardown();
}

/* Refused for a full table, the token is not spent: the client tries it again later. */
static void
test_a_token_refused_for_a_full_table_is_not_spent(void)
{
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	const struct stub_reply *r;
	struct gs_msg m;
	struct tok k;

	setup(GS_AUTH_TOKEN);
	for (uint32_t i = 1; i <= N_SESS; i++) {
		tok_new(&k, i, 0, 600);
		connect_token(i, &k, NOW);
	}
	CU_ASSERT_EQUAL_FATAL(ctx.stats.connects, N_SESS);
	stub_reset();
	tok_new(&k, 100, 0, 600);
	connect_token(100, &k, NOW);
	CU_ASSERT_EQUAL(stub_rejects[GS_REJECT_TABLE_FULL], 1);
	CU_ASSERT_EQUAL(stub_rejects_total(), 1);
	r = stub_only_reply();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->type, GS_MSG_SESSION_ERROR);
	CU_ASSERT_TRUE(r->to_connect);
	CU_ASSERT_FALSE(gs_tokens_used_has(&used, k.t.nonce, gs_wall_ns() / 1000000000u, NULL));
	/* a session leaves, its slot is released: the same token gets in */
	stub_msg_of(&m, &tbl, session_of(1), GS_MSG_DISCONNECT, 2, NOW, &d.base);
	burst(&m, 1);
	sweep_all(NOW + ms(1500));
	stub_reset();
	connect_token(100, &k, NOW + ms(1500));
	CU_ASSERT_PTR_NOT_NULL(session_of(100));
	CU_ASSERT_EQUAL(stub_rejects_total(), 0);
	teardown();
}

/* The used-token table full of unexpired tokens: refused (tokens_full), nothing opened. */
static void
test_a_connect_with_the_used_token_table_full_is_refused(void)
{
	uint8_t id[GS_TOKEN_ID_LEN];
	struct tok k;

	setup(GS_AUTH_TOKEN);
	for (uint32_t i = 0; i < 4 * N_TOKENS; i++) {
		memset(id, 0, sizeof(id));
		memcpy(id, &i, sizeof(i));
		if (gs_tokens_used_add(&used, id, UINT32_MAX, 0) < 0)
			break;
	}
	tok_new(&k, 77, 0, 600);
	connect_token(1, &k, NOW);
	assert_refused(1, GS_REJECT_TOKENS_FULL);
	CU_ASSERT_EQUAL(gs_session_count(&tbl), 0);
	teardown();
}

/* The tick forgets used tokens once they expire (the table does not fill with them). */
static void
test_expired_used_tokens_are_forgotten_by_the_tick(void)
{
	uint8_t id[GS_TOKEN_ID_LEN] = { 1, 2, 3 };
	uint64_t now_s = gs_wall_ns() / 1000000000u;

	setup(GS_AUTH_TOKEN);
	CU_ASSERT_EQUAL(gs_tokens_used_add(&used, id, now_s - 10, 0), 0);
	id[0] = 9;
	CU_ASSERT_EQUAL(gs_tokens_used_add(&used, id, now_s + 600, 0), 0);
	for (uint32_t i = 0; i < 2 * N_TOKENS; i++)
		session_tick(&ctx, rte_get_timer_cycles());
	CU_ASSERT_EQUAL(ctx.stats.tokens_forgotten, 1);
	CU_ASSERT_EQUAL(stub_event(session_events, session_n_events, &ctx, "tokens_forgotten"), 1);
	CU_ASSERT_TRUE(gs_tokens_used_has(&used, id, now_s, NULL));
	teardown();
}

static CU_TestInfo open_tests[] = {
	{ "connect opens a session and accepts it", test_connect_opens_a_session_and_accepts_it },
	{ "a second connect from the same address gets the same session",
		test_a_second_connect_from_the_same_address_gets_the_same_session },
	{ "a connect to a full table gets table_full with its nonce",
		test_a_connect_to_a_full_table_gets_table_full_with_its_nonce },
	{ "a new session starts with its entity released",
		test_a_new_session_starts_with_its_entity_released },
	{ "a heartbeat refreshes its session and is acknowledged",
		test_a_heartbeat_refreshes_its_session_and_is_acknowledged },
	{ "a heartbeat of no session is not_connected",
		test_a_heartbeat_of_no_session_is_not_connected },
	{ "disconnect closes the session without an answer",
		test_disconnect_closes_the_session_without_an_answer },
	{ "a bad type or payload is rejected without an answer",
		test_a_bad_type_or_payload_is_rejected_without_an_answer },
	{ "an idle session expires with a disconnect (idle timeout)",
		test_an_idle_session_expires_with_a_disconnect_idle_timeout },
	{ "a session active in the world does not expire",
		test_a_session_active_in_the_world_does_not_expire },
	{ "a closed slot is released after the grace period",
		test_a_closed_slot_is_released_after_the_grace_period },
	{ "the counts are exported under their event names",
		test_the_counts_are_exported_under_their_event_names },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo token_tests[] = {
	{ "a valid token opens a session with its keys",
		test_a_valid_token_opens_a_session_with_its_keys },
	{ "a retransmitted token connect gets the same session",
		test_a_retransmitted_token_connect_gets_the_same_session },
	{ "a used token from another address is refused",
		test_a_used_token_from_another_address_is_refused },
	{ "a new token from an old session's address replaces it",
		test_a_new_token_from_an_old_sessions_address_replaces_it },
	{ "a connect without a good cookie is refused",
		test_a_connect_without_a_good_cookie_is_refused },
	{ "a short or tokenless connect is refused", test_a_short_or_tokenless_connect_is_refused },
	{ "a bad token is refused by reason", test_a_bad_token_is_refused_by_reason },
	{ "a token refused for a full table is not spent",
		test_a_token_refused_for_a_full_table_is_not_spent },
	{ "a connect with the used-token table full is refused",
		test_a_connect_with_the_used_token_table_full_is_refused },
	{ "expired used tokens are forgotten by the tick",
		test_expired_used_tokens_are_forgotten_by_the_tick },
	CU_TEST_INFO_NULL,
};

/* The config gs-session reads, and a server key file of its own (mode 0600). */
static int
suite_init(void)
{
	char err[PATH_MAX + 128];

	ctl = aligned_alloc(64, sizeof(*ctl));
	if (ctl == NULL)
		return -1;
	hz = rte_get_timer_hz();
	gs_cfg_defaults(&cfg);
	snprintf(key_dir, sizeof(key_dir), "/tmp/gs_session_test.XXXXXX");
	if (mkdtemp(key_dir) == NULL)
		return -1;
	snprintf(key_path, sizeof(key_path), "%s/server.key", key_dir);
	if (gs_key_generate(key_path) < 0 ||
		gs_key_load(key_path, server_key, err, sizeof(err)) < 0) {
		fprintf(stderr, "session_test: %s\n", err);
		return -1;
	}
	snprintf(cfg.key_file, sizeof(cfg.key_file), "%s", key_path);
	cfg.protocol_id = PROTO;
	return 0;
}

static int
suite_fini(void)
{
	unlink(key_path);
	rmdir(key_dir);
	free(ctl);
	ctl = NULL;
	return 0;
}

static CU_SuiteInfo suites[] = {
	{ .pName = "gs-session, [auth] mode = open",
		.pInitFunc = suite_init,
		.pCleanupFunc = suite_fini,
		.pTests = open_tests },
	{ .pName = "gs-session, [auth] mode = token",
		.pInitFunc = suite_init,
		.pCleanupFunc = suite_fini,
		.pTests = token_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	int ret;

	if (stub_eal_init("session_test") < 0)
		return 1;
	ret = gs_test_run(suites);
	stub_eal_fini();
	return ret;
}
