/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-kserver's core without sockets: datagrams in through ks_input(), the
 * replies captured by the flush function. The world runs on the given clock
 * (ns), so T(ms) is ms after the server's creation.
 */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"

#include "combat.pb-c.h"
#include "kserver.h"
#include "move.pb-c.h"
#include "session.pb-c.h"

#define MS(x) ((uint64_t)(x)*UINT64_C(1000000))
#define BASE  MS(1000)
#define T(ms) (BASE + MS(ms))
#define MAXO  512

static struct ks_out got[MAXO];
static unsigned int ngot;
static unsigned int refuse; /* the flush function reports this many unsent */
static struct ks_server *ks;

static unsigned int
capture(void *arg, struct ks_out *out, unsigned int n)
{
	(void)arg;
	for (unsigned int i = 0; i < n && ngot < MAXO; i++)
		got[ngot++] = out[i];
	return n > refuse ? n - refuse : 0;
}

static struct ks_peer
peer(unsigned int n)
{
	struct ks_peer p = { .ip = htonl(0x0a000000u + (n >> 16) + 1), .port = htons((uint16_t)n) };

	return p;
}

static void
setup(uint32_t max, const struct gs_world_rules *r)
{
	struct gs_world_rules def;

	if (r == NULL) {
		gs_world_rules_default(&def);
		r = &def;
	}
	ks_destroy(ks);
	ks = ks_create(max, r, BASE, capture, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
	ngot = 0;
	refuse = 0;
}

static void
teardown(void)
{
	ks_destroy(ks);
	ks = NULL;
}

/*
 * Send a datagram of @p type from @p p at @p now, its auth_tag field @p tag
 * (NULL: zero); the replies land in got[] (cleared first).
 */
static void
send_tagged(unsigned int p, uint8_t type, uint32_t session_id, const uint8_t *tag,
	const ProtobufCMessage *pb, uint64_t now)
{
	uint8_t buf[KS_DATAGRAM_MAX];
	struct gs_hdr h = { .magic = GS_WIRE_MAGIC, .version = GS_WIRE_VERSION, .type = type };
	struct ks_peer from = peer(p);

	h.session_id = session_id;
	if (tag != NULL)
		memcpy(h.auth_tag, tag, sizeof(h.auth_tag));
	h.payload_len =
		pb != NULL ? (uint16_t)protobuf_c_message_pack(pb, buf + GS_WIRE_HDR_LEN) : 0;
	gs_hdr_encode(&h, buf, sizeof(buf));
	ngot = 0;
	ks_input(ks, buf, GS_WIRE_HDR_LEN + h.payload_len, &from, now);
	ks_flush(ks);
}

static void
send_pb(unsigned int p, uint8_t type, uint32_t session_id, const ProtobufCMessage *pb, uint64_t now)
{
	send_tagged(p, type, session_id, NULL, pb, now);
}

/* Reply @p i: check its type and address, return its header. */
static struct gs_hdr
reply_hdr(unsigned int i, uint8_t type, unsigned int p)
{
	struct gs_hdr h;
	struct ks_peer to = peer(p);

	CU_ASSERT_FATAL(i < ngot);
	CU_ASSERT_EQUAL_FATAL(gs_hdr_decode(got[i].buf, got[i].len, &h), GS_HDR_OK);
	CU_ASSERT_EQUAL(h.type, type);
	CU_ASSERT_EQUAL(got[i].peer.ip, to.ip);
	CU_ASSERT_EQUAL(got[i].peer.port, to.port);
	return h;
}

#define UNPACK(i, kind) \
	kind##__unpack(NULL, got[i].len - GS_WIRE_HDR_LEN, got[i].buf + GS_WIRE_HDR_LEN)

/* CONNECT from peer @p p at @p now: the session id it was given. */
static uint32_t
do_connect(unsigned int p, uint64_t now, uint32_t *entity)
{
	Gs__Connect c = GS__CONNECT__INIT;
	Gs__ConnectAccept *a;
	struct gs_hdr h;
	uint32_t id;

	c.player_id = p;
	c.client_time_ns = 777;
	send_pb(p, GS_MSG_CONNECT, 0, &c.base, now);
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	h = reply_hdr(0, GS_MSG_CONNECT_ACCEPT, p);
	a = UNPACK(0, gs__connect_accept);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->session_id, h.session_id);
	CU_ASSERT_NOT_EQUAL(a->session_id, 0);
	CU_ASSERT_EQUAL(a->client_time_ns, 777);
	CU_ASSERT_EQUAL(a->heartbeat_interval_ms, 100);
	CU_ASSERT_EQUAL(a->idle_timeout_ms, 10000);
	CU_ASSERT(a->server_time_ns > 0);
	id = a->session_id;
	if (entity != NULL)
		*entity = a->entity_id;
	gs__connect_accept__free_unpacked(a, NULL);
	return id;
}

static uint64_t
drops(enum ks_drop d)
{
	return ks->st.drops[d];
}

/* --- sessions ------------------------------------------------------------------------- */

static void
test_connect_is_idempotent_per_address_and_replies_are_numbered(void)
{
	Gs__ConnectAccept *a;
	uint32_t id1, id2, e1, e2;
	struct gs_hdr h;

	setup(16, NULL);
	id1 = do_connect(1, T(0), &e1);
	CU_ASSERT_EQUAL(e1, 1);
	CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_CONNECT_ACCEPT, 1).sequence, 0);
	a = UNPACK(0, gs__connect_accept);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	/* entity 1 in life 0: spawn (1 + 0) mod 4 = (50, -50, 0) */
	CU_ASSERT_DOUBLE_EQUAL(a->spawn_x, 50.0, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(a->spawn_y, -50.0, 1e-6);
	gs__connect_accept__free_unpacked(a, NULL);

	/* retransmitted: the same session, the next sequence number */
	CU_ASSERT_EQUAL(do_connect(1, T(250), NULL), id1);
	h = reply_hdr(0, GS_MSG_CONNECT_ACCEPT, 1);
	CU_ASSERT_EQUAL(h.sequence, 1);
	CU_ASSERT_EQUAL(ks->st.reconnects, 1);
	CU_ASSERT_EQUAL(ks->st.connects, 1);

	id2 = do_connect(2, T(300), &e2);
	CU_ASSERT_NOT_EQUAL(id2, id1);
	CU_ASSERT_EQUAL(e2, 2);
	CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_CONNECT_ACCEPT, 2).sequence, 0);
	CU_ASSERT_EQUAL(ks->count, 2);
	teardown();
}

static void
test_heartbeat_is_echoed_with_the_sessions_sequence(void)
{
	Gs__Heartbeat hb = GS__HEARTBEAT__INIT;
	Gs__HeartbeatAck *ack;
	uint32_t id;

	setup(16, NULL);
	id = do_connect(5, T(0), NULL);
	for (uint32_t k = 1; k <= 3; k++) {
		hb.client_time_ns = 1000 + k;
		send_pb(5, GS_MSG_HEARTBEAT, id, &hb.base, T(100 * k));
		CU_ASSERT_EQUAL_FATAL(ngot, 1);
		CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_HEARTBEAT_ACK, 5).sequence, k);
		CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_HEARTBEAT_ACK, 5).session_id, id);
		ack = UNPACK(0, gs__heartbeat_ack);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ack);
		CU_ASSERT_EQUAL(ack->client_time_ns, 1000 + k);
		CU_ASSERT(ack->server_time_ns > 0);
		gs__heartbeat_ack__free_unpacked(ack, NULL);
	}
	CU_ASSERT_EQUAL(ks->st.heartbeats, 3);
	teardown();
}

static void
test_malformed_datagrams_are_dropped_by_reason(void)
{
	Gs__Heartbeat hb = GS__HEARTBEAT__INIT;
	struct gs_hdr h = { .magic = GS_WIRE_MAGIC, .version = GS_WIRE_VERSION };
	struct ks_peer from = peer(3);
	uint8_t buf[64] = { 0 };
	uint32_t id;

	setup(16, NULL);
	id = do_connect(3, T(0), NULL);
	h.type = GS_MSG_HEARTBEAT;
	h.session_id = id;

	ngot = 0;
	ks_input(ks, buf, 10, &from, T(1));
	CU_ASSERT_EQUAL(drops(KS_DROP_GS_TRUNCATED), 1);
	gs_hdr_encode(&h, buf, sizeof(buf));
	buf[0] = 0x00;
	ks_input(ks, buf, GS_WIRE_HDR_LEN, &from, T(1));
	CU_ASSERT_EQUAL(drops(KS_DROP_GS_MAGIC), 1);
	gs_hdr_encode(&h, buf, sizeof(buf));
	buf[2] = 2;
	ks_input(ks, buf, GS_WIRE_HDR_LEN, &from, T(1));
	CU_ASSERT_EQUAL(drops(KS_DROP_GS_VERSION), 1);
	gs_hdr_encode(&h, buf, sizeof(buf));
	ks_input(ks, buf, GS_WIRE_HDR_LEN + 3, &from, T(1)); /* payload_len 0, 3 bytes follow */
	CU_ASSERT_EQUAL(drops(KS_DROP_GS_LENGTH), 1);
	h.flags = 1;
	gs_hdr_encode(&h, buf, sizeof(buf));
	ks_input(ks, buf, GS_WIRE_HDR_LEN, &from, T(1));
	CU_ASSERT_EQUAL(drops(KS_DROP_GS_FLAGS), 1);
	h.flags = 0;
	/* bad payload: a truncated varint */
	h.payload_len = 2;
	gs_hdr_encode(&h, buf, sizeof(buf));
	buf[GS_WIRE_HDR_LEN] = 0x08;
	buf[GS_WIRE_HDR_LEN + 1] = 0xff;
	ks_input(ks, buf, GS_WIRE_HDR_LEN + 2, &from, T(1));
	CU_ASSERT_EQUAL(drops(KS_DROP_BAD_PAYLOAD), 1);
	ks_flush(ks);
	CU_ASSERT_EQUAL(ngot, 0);

	send_pb(3, GS_MSG_CONNECT_ACCEPT, id, NULL, T(2)); /* a server -> client type */
	send_pb(3, 200, id, NULL, T(2));
	CU_ASSERT_EQUAL(drops(KS_DROP_GS_TYPE), 2);
	send_pb(3, GS_MSG_MOVE_ACK, id, NULL, T(2)); /* unassigned in the move class */
	send_pb(3, GS_MSG_COMBAT_LAST, id, NULL, T(2));
	CU_ASSERT_EQUAL(drops(KS_DROP_BAD_TYPE), 2);
	send_pb(3, GS_MSG_HEARTBEAT, id + 1, &hb.base, T(2));
	send_pb(3, GS_MSG_HEARTBEAT, 0, &hb.base, T(2));
	send_pb(3, GS_MSG_CONNECT, id, NULL, T(2)); /* CONNECT must carry 0 */
	CU_ASSERT_EQUAL(drops(KS_DROP_UNKNOWN_SESSION), 3);
	send_pb(4, GS_MSG_HEARTBEAT, id, &hb.base, T(2));
	CU_ASSERT_EQUAL(drops(KS_DROP_WRONG_ADDRESS), 1);
	CU_ASSERT_EQUAL(ngot, 0);
	CU_ASSERT_EQUAL(ks->st.rx, 15);

	/* none of it touched the session's numbering */
	send_pb(3, GS_MSG_HEARTBEAT, id, &hb.base, T(3));
	CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_HEARTBEAT_ACK, 3).sequence, 1);
	teardown();
}

static void
test_disconnect_closes_and_a_full_table_answers_session_error(void)
{
	static const uint8_t nonce[GS_WIRE_AUTH_LEN] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };
	static const uint8_t zero[GS_WIRE_AUTH_LEN];
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	Gs__Heartbeat hb = GS__HEARTBEAT__INIT;
	Gs__Connect c = GS__CONNECT__INIT;
	Gs__SessionError *err;
	struct gs_hdr h;
	uint32_t id1, e;

	setup(2, NULL);
	id1 = do_connect(1, T(0), NULL);
	do_connect(2, T(0), NULL);
	send_tagged(3, GS_MSG_CONNECT, 0, nonce, &c.base, T(1));
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	h = reply_hdr(0, GS_MSG_SESSION_ERROR, 3);
	CU_ASSERT_EQUAL(h.session_id, 0);
	/* the CONNECT's nonce echoed: the client believes no other answer of session 0 */
	CU_ASSERT_EQUAL(memcmp(h.auth_tag, nonce, sizeof(nonce)), 0);
	err = UNPACK(0, gs__session_error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_EQUAL(err->code, GS__SESSION_ERROR__CODE__TABLE_FULL);
	gs__session_error__free_unpacked(err, NULL);
	send_pb(3, GS_MSG_CONNECT, 0, &c.base, T(1)); /* an old client's: zero, echoed */
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	h = reply_hdr(0, GS_MSG_SESSION_ERROR, 3);
	CU_ASSERT_EQUAL(memcmp(h.auth_tag, zero, sizeof(zero)), 0);
	CU_ASSERT_EQUAL(drops(KS_DROP_TABLE_FULL), 2);

	send_pb(1, GS_MSG_DISCONNECT, id1, &d.base, T(2));
	CU_ASSERT_EQUAL(ngot, 0);
	CU_ASSERT_EQUAL(ks->count, 1);
	CU_ASSERT_PTR_NULL(ks_find(ks, id1));
	send_pb(1, GS_MSG_HEARTBEAT, id1, &hb.base, T(3));
	CU_ASSERT_EQUAL(drops(KS_DROP_UNKNOWN_SESSION), 1);

	/* the freed slot and its entity go to the next player */
	CU_ASSERT_NOT_EQUAL(do_connect(3, T(4), &e), id1);
	CU_ASSERT_EQUAL(e, 1);
	teardown();
}

static void
test_idle_sessions_are_closed_with_disconnect_idle_timeout(void)
{
	Gs__Heartbeat hb = GS__HEARTBEAT__INIT;
	Gs__Disconnect *d;
	uint32_t id1, id2;
	struct gs_hdr h;
	uint64_t now;

	setup(8, NULL);
	id1 = do_connect(1, T(0), NULL);
	id2 = do_connect(2, T(0), NULL);
	/* player 2 keeps talking; player 1 goes quiet */
	for (now = T(10); now < T(11000); now += MS(10)) {
		if ((now - BASE) % MS(1000) == 0)
			send_pb(2, GS_MSG_HEARTBEAT, id2, &hb.base, now);
		ngot = 0;
		ks_tick(ks, now);
		ks_flush(ks);
		if (ngot > 0)
			break;
	}
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	CU_ASSERT(now > T(10000));
	h = reply_hdr(0, GS_MSG_DISCONNECT, 1);
	CU_ASSERT_EQUAL(h.session_id, id1);
	CU_ASSERT_EQUAL(h.sequence, 1);
	d = UNPACK(0, gs__disconnect);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->reason, GS__DISCONNECT__REASON__IDLE_TIMEOUT);
	gs__disconnect__free_unpacked(d, NULL);
	CU_ASSERT_PTR_NULL(ks_find(ks, id1));
	CU_ASSERT_PTR_NOT_NULL(ks_find(ks, id2));
	CU_ASSERT_EQUAL(ks->st.expired, 1);
	teardown();
}

static void
test_session_tables_survive_churn(void)
{
	enum {
		MAX = 1000,
		PEERS = 3000,
		OPS = 60000
	};

	static uint32_t ids[PEERS]; /* 0: no session */
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	Gs__Connect c = GS__CONNECT__INIT;
	uint64_t rng = 88172645463325252ull;
	unsigned int open = 0;

	setup(MAX, NULL);
	memset(ids, 0, sizeof(ids));
	for (unsigned int op = 0; op < OPS; op++) {
		unsigned int p;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		p = (unsigned int)(rng % PEERS);
		if (ids[p] != 0) {
			send_pb(p, GS_MSG_DISCONNECT, ids[p], &d.base, T(1));
			ids[p] = 0;
			open--;
		} else {
			send_pb(p, GS_MSG_CONNECT, 0, &c.base, T(1));
			CU_ASSERT_EQUAL_FATAL(ngot, 1);
			if (open == MAX) {
				CU_ASSERT_EQUAL(got[0].buf[3], GS_MSG_SESSION_ERROR);
				continue;
			}
			CU_ASSERT_EQUAL_FATAL(got[0].buf[3], GS_MSG_CONNECT_ACCEPT);
			memcpy(&ids[p], got[0].buf + 4, sizeof(ids[p]));
			ids[p] = ntohl(ids[p]);
			open++;
		}
		if (op % 1000 != 0)
			continue;
		CU_ASSERT_EQUAL_FATAL(ks->count, open);
		for (unsigned int q = 0; q < PEERS; q++) {
			struct ks_peer a = peer(q);
			struct ks_session *s = ks_find_peer(ks, &a);

			if (ids[q] == 0) {
				CU_ASSERT_PTR_NULL_FATAL(s);
				continue;
			}
			CU_ASSERT_PTR_NOT_NULL_FATAL(s);
			CU_ASSERT_EQUAL_FATAL(s->id, ids[q]);
			CU_ASSERT_PTR_EQUAL_FATAL(ks_find(ks, ids[q]), s);
		}
	}
	CU_ASSERT_EQUAL(drops(KS_DROP_UNKNOWN_SESSION), 0);
	teardown();
}

static void
test_replies_the_socket_refuses_are_counted(void)
{
	Gs__Heartbeat hb = GS__HEARTBEAT__INIT;
	uint32_t id;

	setup(4, NULL);
	id = do_connect(1, T(0), NULL);
	refuse = 1;
	send_pb(1, GS_MSG_HEARTBEAT, id, &hb.base, T(1));
	CU_ASSERT_EQUAL(drops(KS_DROP_TX_ERROR), 1);
	CU_ASSERT_EQUAL(ks->st.tx, 1);
	teardown();
}

/* --- movement ---------------------------------------------------------------------------- */

/* MOVE from player @p p (session @p id) for @p entity; the replies land in got[]. */
static void
move(unsigned int p, uint32_t id, uint32_t entity, float x, float y, uint32_t seq, uint64_t now)
{
	Gs__Move mv = GS__MOVE__INIT;

	mv.entity_id = entity;
	mv.x = x;
	mv.y = y;
	mv.seq = seq;
	mv.client_time_ns = 4242 + seq;
	send_pb(p, GS_MSG_MOVE, id, &mv.base, now);
}

static void
test_moves_are_acked_rejected_or_ignored_like_gs_move(void)
{
	Gs__MoveReject *rej;
	Gs__MoveAck *ack;
	uint32_t id, e;

	setup(8, NULL);
	id = do_connect(1, T(0), &e); /* entity 1 at (50, -50, 0) */

	move(1, id, e, 51.0f, -50.0f, 1, T(100)); /* 1 unit within the 100 ms slack (2 units) */
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_MOVE_ACK, 1).sequence, 1);
	ack = UNPACK(0, gs__move_ack);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ack);
	CU_ASSERT_EQUAL(ack->seq, 1);
	CU_ASSERT_DOUBLE_EQUAL(ack->x, 51.0, 1e-6);
	CU_ASSERT_EQUAL(ack->client_time_ns, 4243);
	gs__move_ack__free_unpacked(ack, NULL);

	move(1, id, e, 51.5f, -50.0f, 1, T(150)); /* duplicate: ignored */
	CU_ASSERT_EQUAL(ngot, 0);
	CU_ASSERT_EQUAL(ks->st.move_results[GS_MOVE_STALE], 1);

	move(1, id, e, 1051.0f, -50.0f, 2, T(200)); /* teleport */
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_MOVE_REJECT, 1).sequence, 2);
	rej = UNPACK(0, gs__move_reject);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rej);
	CU_ASSERT_EQUAL(rej->reason, GS__MOVE_REJECT__REASON__TOO_FAST);
	CU_ASSERT_DOUBLE_EQUAL(rej->x, 51.0, 1e-6); /* the authoritative position */
	gs__move_reject__free_unpacked(rej, NULL);

	move(1, id, e, 20000.0f, -50.0f, 3, T(300));
	rej = UNPACK(0, gs__move_reject);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rej);
	CU_ASSERT_EQUAL(rej->reason, GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS);
	gs__move_reject__free_unpacked(rej, NULL);

	move(1, id, e + 1, 51.0f, -50.0f, 4, T(400)); /* another entity */
	rej = UNPACK(0, gs__move_reject);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rej);
	CU_ASSERT_EQUAL(rej->reason, GS__MOVE_REJECT__REASON__NOT_OWNER);
	gs__move_reject__free_unpacked(rej, NULL);
	CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_MOVE_REJECT, 1).sequence, 4);

	move(1, id, e, 60.0f, -50.0f, 5, T(900)); /* 9 units in 800 ms (+100): 18 allowed */
	CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_MOVE_ACK, 1).sequence, 5);
	CU_ASSERT_EQUAL(ks->st.move_results[GS_MOVE_ACCEPTED], 2);
	CU_ASSERT_EQUAL(ks->st.move_not_owner, 1);
	teardown();
}

/* --- combat ------------------------------------------------------------------------------ */

static void
attack(unsigned int p, uint32_t id, uint32_t attacker, uint32_t target, uint32_t skill,
	uint32_t seq, uint64_t now)
{
	Gs__Attack at = GS__ATTACK__INIT;

	at.attacker = attacker;
	at.target = target;
	at.skill = skill;
	at.seq = seq;
	at.client_time_ns = 99;
	send_pb(p, GS_MSG_ATTACK, id, &at.base, now);
}

static void
test_attacks_answer_the_attacker_and_tell_the_target(void)
{
	struct gs_world_rules r;
	Gs__AttackResult *ar;
	Gs__Damaged *dm;
	static const int32_t hp[4] = { 75, 35, 10, 0 }, dmg[4] = { 25, 25, 25, 10 };
	uint32_t ida, idb, ea, eb, seq_a = 4, seq_b = 1, kills = 0;
	uint64_t now = T(100);

	gs_world_rules_default(&r);
	r.n_spawns = 1; /* everyone at (-50, -50, 0): in range of each other */
	r.respawn_ms = 500;
	setup(8, &r);
	ida = do_connect(1, T(0), &ea);
	idb = do_connect(2, T(0), &eb);

	attack(1, ida, ea, eb, 3, 1, now); /* no skill 3 */
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	ar = UNPACK(0, gs__attack_result);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ar);
	CU_ASSERT_EQUAL(ar->result, GS__ATTACK_RESULT__RESULT__BAD_SKILL);
	gs__attack_result__free_unpacked(ar, NULL);
	attack(1, ida, eb, ea, 1, 2, now); /* not its entity */
	ar = UNPACK(0, gs__attack_result);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ar);
	CU_ASSERT_EQUAL(ar->result, GS__ATTACK_RESULT__RESULT__NOT_OWNER);
	gs__attack_result__free_unpacked(ar, NULL);
	attack(1, ida, ea, 7, 1, 3, now); /* nobody owns entity 7 */
	ar = UNPACK(0, gs__attack_result);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ar);
	CU_ASSERT_EQUAL(ar->result, GS__ATTACK_RESULT__RESULT__NO_TARGET);
	gs__attack_result__free_unpacked(ar, NULL);

	/* slash: 25 damage, 500 ms cooldown; B dies at the 4th hit */
	for (uint32_t k = 0; k < 4; k++, now += MS(600)) {
		attack(1, ida, ea, eb, 1, 10 + k, now);
		CU_ASSERT_EQUAL_FATAL(ngot, 2);
		CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_ATTACK_RESULT, 1).sequence, seq_a++);
		CU_ASSERT_EQUAL(reply_hdr(1, GS_MSG_DAMAGED, 2).sequence, seq_b++);
		CU_ASSERT_EQUAL(reply_hdr(1, GS_MSG_DAMAGED, 2).session_id, idb);
		ar = UNPACK(0, gs__attack_result);
		dm = UNPACK(1, gs__damaged);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ar);
		CU_ASSERT_PTR_NOT_NULL_FATAL(dm);
		CU_ASSERT_EQUAL(ar->seq, 10 + k);
		CU_ASSERT_EQUAL(ar->damage, dmg[k]);
		CU_ASSERT_EQUAL(ar->target_hp, hp[k]);
		CU_ASSERT_EQUAL(dm->hp, ar->target_hp);
		CU_ASSERT_EQUAL(dm->attacker, ea);
		CU_ASSERT_EQUAL(dm->killed, k == 3);
		if (dm->killed) {
			kills++;
			CU_ASSERT_EQUAL(ar->result, GS__ATTACK_RESULT__RESULT__KILLED);
			CU_ASSERT_EQUAL(dm->respawn_in_ms, 500);
		} else {
			CU_ASSERT_EQUAL(ar->result, GS__ATTACK_RESULT__RESULT__HIT);
		}
		gs__attack_result__free_unpacked(ar, NULL);
		gs__damaged__free_unpacked(dm, NULL);
		if (k == 0) { /* too early for the same skill */
			attack(1, ida, ea, eb, 1, 20, now + MS(100));
			CU_ASSERT_EQUAL_FATAL(ngot, 1);
			CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_ATTACK_RESULT, 1).sequence, seq_a++);
			ar = UNPACK(0, gs__attack_result);
			CU_ASSERT_PTR_NOT_NULL_FATAL(ar);
			CU_ASSERT_EQUAL(ar->result, GS__ATTACK_RESULT__RESULT__COOLDOWN);
			CU_ASSERT_EQUAL(ar->cooldown_ms, 400);
			gs__attack_result__free_unpacked(ar, NULL);
			attack(1, ida, ea, eb, 2, 21, now + MS(100)); /* fireball: 15 */
			CU_ASSERT_EQUAL_FATAL(ngot, 2);
			CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_ATTACK_RESULT, 1).sequence, seq_a++);
			CU_ASSERT_EQUAL(reply_hdr(1, GS_MSG_DAMAGED, 2).sequence, seq_b++);
			ar = UNPACK(0, gs__attack_result);
			CU_ASSERT_PTR_NOT_NULL_FATAL(ar);
			CU_ASSERT_EQUAL(ar->target_hp, 60);
			gs__attack_result__free_unpacked(ar, NULL);
			/* the 2nd slash: 60 - 25 = 35, the 3rd 10, the 4th kills */
		}
	}
	CU_ASSERT_EQUAL(kills, 1);
	CU_ASSERT_EQUAL(ks->st.damaged, 5);

	/* dead: B's moves are refused until the respawn */
	move(2, idb, eb, -50.0f, -50.0f, 1, now - MS(500));
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	CU_ASSERT_EQUAL(reply_hdr(0, GS_MSG_MOVE_REJECT, 2).sequence, seq_b);
	teardown();
}

static CU_TestInfo session_tests[] = {
	{ "CONNECT is idempotent per address, replies are numbered per session",
		test_connect_is_idempotent_per_address_and_replies_are_numbered },
	{ "HEARTBEAT is echoed with the session's sequence",
		test_heartbeat_is_echoed_with_the_sessions_sequence },
	{ "malformed datagrams are dropped by reason",
		test_malformed_datagrams_are_dropped_by_reason },
	{ "DISCONNECT closes, a full table answers SESSION_ERROR echoing the nonce",
		test_disconnect_closes_and_a_full_table_answers_session_error },
	{ "idle sessions are closed with DISCONNECT(IDLE_TIMEOUT)",
		test_idle_sessions_are_closed_with_disconnect_idle_timeout },
	{ "session tables survive churn", test_session_tables_survive_churn },
	{ "replies the socket refuses are counted", test_replies_the_socket_refuses_are_counted },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo game_tests[] = {
	{ "moves are acked, rejected or ignored like gs-move",
		test_moves_are_acked_rejected_or_ignored_like_gs_move },
	{ "attacks answer the attacker and tell the target",
		test_attacks_answer_the_attacker_and_tell_the_target },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "kserver sessions", .pTests = session_tests },
	{ .pName = "kserver game", .pTests = game_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
