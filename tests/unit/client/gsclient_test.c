/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"
#include "gs_wire.h"

#include "gsclient.h"

#define MS UINT64_C(1000000) /* ns */

/* A type number the library does not know: unassigned in the movement range. */
#define UNKNOWN_TYPE (GS_MSG_MOVE_REJECT + 1)

static uint8_t buf[GSC_DATAGRAM_MAX];
static struct gsc_msg msg;
static uint8_t last_connect[GSC_DATAGRAM_MAX]; /* the CONNECT accept_connect() sent */
static const uint8_t zero_tag[GS_WIRE_AUTH_LEN];

/*
 * Every sodium_memcmp of the library goes through here (-Wl,--wrap in
 * tests/CMakeLists.txt): the tests see which 8-byte values were compared in
 * constant time.
 */
int __real_sodium_memcmp(const void *b1, const void *b2, size_t len);
int __wrap_sodium_memcmp(const void *b1, const void *b2, size_t len);

static uint8_t ct_seen[8]; /* the last 8-byte value compared (its first argument) */
static unsigned int ct_calls;

int
__wrap_sodium_memcmp(const void *b1, const void *b2, size_t len)
{
	if (len == sizeof(ct_seen)) {
		memcpy(ct_seen, b1, sizeof(ct_seen));
		ct_calls++;
	}
	return __real_sodium_memcmp(b1, b2, len);
}

/* Frame a server -> client datagram into @p out; CU-fails (and returns 0) on error. */
static size_t
server_frame(uint8_t *out, uint8_t type, uint32_t session_id, uint32_t seq,
	const ProtobufCMessage *payload)
{
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(
		gsc_frame_build(out, GSC_DATAGRAM_MAX, type, session_id, seq, payload, &len), 0);
	return len;
}

/* A server -> client datagram of session 0 whose auth_tag field is @p tag. */
static size_t
tagged_frame(uint8_t *out, uint8_t type, uint32_t seq, const ProtobufCMessage *payload,
	const uint8_t tag[GS_WIRE_AUTH_LEN])
{
	size_t len = server_frame(out, type, 0, seq, payload);

	memcpy(out + GS_WIRE_AUTH_OFF, tag, GS_WIRE_AUTH_LEN);
	return len;
}

/* The answer of session 0 to CONNECT @p connect, as the server sends it: its tag echoed. */
static size_t
answer_frame(uint8_t *out, uint8_t type, uint32_t seq, const ProtobufCMessage *payload,
	const uint8_t *connect)
{
	return tagged_frame(out, type, seq, payload, connect + GS_WIRE_AUTH_OFF);
}

static size_t
challenge_frame(uint8_t *out, uint8_t cookie_byte, const uint8_t tag[GS_WIRE_AUTH_LEN])
{
	Gs__Challenge c = GS__CHALLENGE__INIT;
	uint8_t cookie[GS_COOKIE_LEN];

	memset(cookie, cookie_byte, sizeof(cookie));
	c.cookie.data = cookie;
	c.cookie.len = sizeof(cookie);
	return tagged_frame(out, GS_MSG_CHALLENGE, 0, &c.base, tag);
}

static const uint8_t test_c2s[GS_PKT_KEY_LEN] = { 1, 1, 1 };
static const uint8_t test_s2c[GS_PKT_KEY_LEN] = { 2, 2, 2 };

/* @p s with a (made-up) connect token: CONNECTs carry it, session packets are tagged. */
static void
secure_session(struct gsc_session *s)
{
	static const uint8_t token[GS_TOKEN_LEN] = { 't' };

	gsc_session_init(s, 77);
	gsc_session_set_token(s, token, test_c2s, test_s2c);
}

static size_t
accept_frame(uint8_t *out, uint32_t hdr_id, uint32_t body_id, uint64_t echo, uint32_t seq)
{
	Gs__ConnectAccept a = GS__CONNECT_ACCEPT__INIT;

	a.session_id = body_id;
	a.client_time_ns = echo;
	a.server_time_ns = 42;
	a.heartbeat_interval_ms = 100;
	a.idle_timeout_ms = 5000;
	a.entity_id = 40 + body_id;
	a.spawn_x = -50.0f;
	a.spawn_y = 50.25f;
	a.spawn_z = 1.5f;
	return server_frame(out, GS_MSG_CONNECT_ACCEPT, hdr_id, seq, &a.base);
}

static size_t
ack_frame(uint8_t *out, uint32_t session_id, uint64_t echo, uint32_t seq)
{
	Gs__HeartbeatAck a = GS__HEARTBEAT_ACK__INIT;

	a.client_time_ns = echo;
	a.server_time_ns = 7;
	return server_frame(out, GS_MSG_HEARTBEAT_ACK, session_id, seq, &a.base);
}

/*
 * Connect @p s (initialised, DISCONNECTED) as session @p id at t = 1000 ms
 * (CONNECT at t = 990 ms, kept in last_connect); with a token the accept is
 * tagged.
 */
static void
accept_connect(struct gsc_session *s, uint32_t id)
{
	uint8_t pkt[GSC_DATAGRAM_MAX];
	struct gsc_event ev;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(s, 990 * MS, pkt, sizeof(pkt), &len), 0);
	memcpy(last_connect, pkt, len);
	len = accept_frame(pkt, id, id, 990 * MS, 0);
	if (s->secure)
		gs_tag_sign(test_s2c, pkt, len);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(s, pkt, len, 1000 * MS, &ev), 0);
	CU_ASSERT_EQUAL_FATAL(s->state, GSC_STATE_CONNECTED);
}

/* A session CONNECTED as session @p id at t = 1000 ms (CONNECT at t = 990 ms). */
static void
connected_session(struct gsc_session *s, uint32_t id)
{
	gsc_session_init(s, 77);
	accept_connect(s, id);
}

/* --- framing --------------------------------------------------------------------------- */

static void
test_frame_roundtrip_every_session_type(void)
{
	Gs__Connect c = GS__CONNECT__INIT;
	Gs__ConnectAccept a = GS__CONNECT_ACCEPT__INIT;
	Gs__Heartbeat h = GS__HEARTBEAT__INIT;
	Gs__HeartbeatAck k = GS__HEARTBEAT_ACK__INIT;
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	Gs__SessionError e = GS__SESSION_ERROR__INIT;
	size_t len;

	c.client_version = 1;
	c.player_id = 0x1122334455667788ull;
	c.client_time_ns = 123456789;
	len = server_frame(buf, GS_MSG_CONNECT, 0, 0, &c.base);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.type, GS_MSG_CONNECT);
	CU_ASSERT_EQUAL(msg.hdr.session_id, 0);
	CU_ASSERT_EQUAL(msg.hdr.payload_len, len - GS_WIRE_HDR_LEN);
	CU_ASSERT_EQUAL(msg.u.connect->client_version, 1);
	CU_ASSERT_EQUAL(msg.u.connect->player_id, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(msg.u.connect->client_time_ns, 123456789);

	a.session_id = 0xdeadbeef;
	a.client_time_ns = 5;
	a.server_time_ns = 6;
	a.heartbeat_interval_ms = 100;
	a.idle_timeout_ms = 3000;
	len = server_frame(buf, GS_MSG_CONNECT_ACCEPT, 0xdeadbeef, 1, &a.base);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.session_id, 0xdeadbeef);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 1);
	CU_ASSERT_EQUAL(msg.u.accept->session_id, 0xdeadbeef);
	CU_ASSERT_EQUAL(msg.u.accept->client_time_ns, 5);
	CU_ASSERT_EQUAL(msg.u.accept->server_time_ns, 6);
	CU_ASSERT_EQUAL(msg.u.accept->heartbeat_interval_ms, 100);
	CU_ASSERT_EQUAL(msg.u.accept->idle_timeout_ms, 3000);

	h.client_time_ns = UINT64_MAX;
	len = server_frame(buf, GS_MSG_HEARTBEAT, 9, 0xffffffff, &h.base);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 0xffffffff);
	CU_ASSERT_EQUAL(msg.u.heartbeat->client_time_ns, UINT64_MAX);

	k.client_time_ns = 11;
	k.server_time_ns = 12;
	len = server_frame(buf, GS_MSG_HEARTBEAT_ACK, 9, 3, &k.base);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.heartbeat_ack->client_time_ns, 11);
	CU_ASSERT_EQUAL(msg.u.heartbeat_ack->server_time_ns, 12);

	d.reason = GS__DISCONNECT__REASON__IDLE_TIMEOUT;
	len = server_frame(buf, GS_MSG_DISCONNECT, 9, 4, &d.base);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.disconnect->reason, GS__DISCONNECT__REASON__IDLE_TIMEOUT);

	e.code = GS__SESSION_ERROR__CODE__TABLE_FULL;
	e.detail = "table full";
	len = server_frame(buf, GS_MSG_SESSION_ERROR, 0, 5, &e.base);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.error->code, GS__SESSION_ERROR__CODE__TABLE_FULL);
	CU_ASSERT_STRING_EQUAL(msg.u.error->detail, "table full");
}

static void
test_frame_roundtrip_game_types(void)
{
	Gs__MoveAck ack = GS__MOVE_ACK__INIT;
	Gs__MoveReject rej = GS__MOVE_REJECT__INIT;
	Gs__AttackResult res = GS__ATTACK_RESULT__INIT;
	Gs__Damaged dmg = GS__DAMAGED__INIT;
	size_t len;

	ack.entity_id = 3;
	ack.x = -9999.5f;
	ack.seq = 70000;
	ack.client_time_ns = 8;
	len = server_frame(buf, GS_MSG_MOVE_ACK, 1, 0, &ack.base);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.move_ack->entity_id, 3);
	CU_ASSERT_EQUAL(msg.u.move_ack->x, -9999.5f);
	CU_ASSERT_EQUAL(msg.u.move_ack->seq, 70000);
	CU_ASSERT_EQUAL(msg.u.move_ack->client_time_ns, 8);

	rej.reason = GS__MOVE_REJECT__REASON__BUSY;
	rej.z = 0.125f;
	len = server_frame(buf, GS_MSG_MOVE_REJECT, 1, 1, &rej.base);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.move_reject->reason, GS__MOVE_REJECT__REASON__BUSY);
	CU_ASSERT_EQUAL(msg.u.move_reject->z, 0.125f);

	res.result = GS__ATTACK_RESULT__RESULT__COOLDOWN;
	res.cooldown_ms = 499;
	res.target_hp = -1;
	len = server_frame(buf, GS_MSG_ATTACK_RESULT, 1, 2, &res.base);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.attack_result->result, GS__ATTACK_RESULT__RESULT__COOLDOWN);
	CU_ASSERT_EQUAL(msg.u.attack_result->cooldown_ms, 499);
	CU_ASSERT_EQUAL(msg.u.attack_result->target_hp, -1);

	dmg.killed = 1;
	dmg.respawn_y = 50.0f;
	len = server_frame(buf, GS_MSG_DAMAGED, 1, 3, &dmg.base);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.type, GS_MSG_DAMAGED);
	CU_ASSERT_TRUE(msg.u.damaged->killed);
	CU_ASSERT_EQUAL(msg.u.damaged->respawn_y, 50.0f);
}

static void
test_frame_empty_payload_has_zero_length(void)
{
	Gs__Disconnect d = GS__DISCONNECT__INIT; /* CLIENT_QUIT = 0: packs to nothing */
	size_t len;

	len = server_frame(buf, GS_MSG_DISCONNECT, 1, 0, &d.base);
	CU_ASSERT_EQUAL(len, GS_WIRE_HDR_LEN);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.disconnect->reason, GS__DISCONNECT__REASON__CLIENT_QUIT);
}

static void
test_frame_build_refuses_bad_arguments(void)
{
	Gs__Heartbeat h = GS__HEARTBEAT__INIT;
	Gs__SessionError e = GS__SESSION_ERROR__INIT;
	static char detail[GS_WIRE_MAX_PAYLOAD + 1];
	size_t len = 0;

	h.client_time_ns = 1;
	/* Payload of another type, or a type that is not a session type. */
	CU_ASSERT_EQUAL(
		gsc_frame_build(buf, sizeof(buf), GS_MSG_CONNECT, 0, 0, &h.base, &len), -EINVAL);
	CU_ASSERT_EQUAL(
		gsc_frame_build(buf, sizeof(buf), GS_MSG_MOVE, 0, 0, &h.base, &len), -EINVAL);
	CU_ASSERT_EQUAL(
		gsc_frame_build(buf, sizeof(buf), UNKNOWN_TYPE, 0, 0, &h.base, &len), -EINVAL);
	CU_ASSERT_EQUAL(gsc_frame_build(buf, sizeof(buf), 0, 0, 0, &h.base, &len), -EINVAL);
	CU_ASSERT_EQUAL(
		gsc_frame_build(buf, sizeof(buf), GS_MSG_HEARTBEAT, 0, 0, NULL, &len), -EINVAL);
	/* Buffer too small for header + payload (2 bytes here: tag + varint 1). */
	CU_ASSERT_EQUAL(
		gsc_frame_build(buf, GS_WIRE_HDR_LEN + 1, GS_MSG_HEARTBEAT, 0, 0, &h.base, &len),
		-ENOSPC);
	CU_ASSERT_EQUAL(
		gsc_frame_build(buf, GS_WIRE_HDR_LEN + 2, GS_MSG_HEARTBEAT, 0, 0, &h.base, &len),
		0);
	CU_ASSERT_EQUAL(len, GS_WIRE_HDR_LEN + 2);
	/* Payload over GS_WIRE_MAX_PAYLOAD. */
	memset(detail, 'x', sizeof(detail) - 1);
	e.detail = detail;
	CU_ASSERT_EQUAL(
		gsc_frame_build(buf, sizeof(buf), GS_MSG_SESSION_ERROR, 0, 0, &e.base, &len),
		-EMSGSIZE);
}

static void
test_frame_parse_refuses_bad_header(void)
{
	Gs__Heartbeat h = GS__HEARTBEAT__INIT;
	size_t len;

	h.client_time_ns = 99;
	len = server_frame(buf, GS_MSG_HEARTBEAT, 3, 0, &h.base);

	CU_ASSERT_EQUAL(gsc_frame_parse(buf, GS_WIRE_HDR_LEN - 1, &msg), -EBADMSG);
	CU_ASSERT_EQUAL(msg.hdr_err, GS_HDR_TRUNCATED);

	/* payload_len no longer matches the datagram length */
	CU_ASSERT_EQUAL(gsc_frame_parse(buf, len - 1, &msg), -EBADMSG);
	CU_ASSERT_EQUAL(msg.hdr_err, GS_HDR_BAD_LENGTH);

	buf[0] ^= 0xff;
	CU_ASSERT_EQUAL(gsc_frame_parse(buf, len, &msg), -EBADMSG);
	CU_ASSERT_EQUAL(msg.hdr_err, GS_HDR_BAD_MAGIC);
	CU_ASSERT_PTR_NULL(msg.u.base);
	buf[0] ^= 0xff;

	buf[2] = 2; /* version */
	CU_ASSERT_EQUAL(gsc_frame_parse(buf, len, &msg), -EBADMSG);
	CU_ASSERT_EQUAL(msg.hdr_err, GS_HDR_BAD_VERSION);
	buf[2] = GS_WIRE_VERSION;

	buf[15] = 1; /* reserved flags */
	CU_ASSERT_EQUAL(gsc_frame_parse(buf, len, &msg), -EBADMSG);
	CU_ASSERT_EQUAL(msg.hdr_err, GS_HDR_BAD_FLAGS);
	buf[15] = 0;

	CU_ASSERT_EQUAL(gsc_frame_parse(buf, len, &msg), 0);
}

static void
test_frame_parse_refuses_garbage_payload(void)
{
	Gs__Heartbeat h = GS__HEARTBEAT__INIT;
	size_t len;

	h.client_time_ns = 300; /* varint 0xac 0x02 */
	len = server_frame(buf, GS_MSG_HEARTBEAT, 3, 0, &h.base);
	CU_ASSERT_EQUAL_FATAL(len, GS_WIRE_HDR_LEN + 3);
	buf[len - 1] = 0x82; /* varint never ends */
	CU_ASSERT_EQUAL(gsc_frame_parse(buf, len, &msg), -EBADMSG);
	CU_ASSERT_EQUAL(msg.hdr_err, GS_HDR_OK);
	CU_ASSERT_PTR_NULL(msg.u.base);
}

static void
test_frame_parse_reports_unknown_type(void)
{
	Gs__Heartbeat h = GS__HEARTBEAT__INIT;
	size_t len;

	h.client_time_ns = 1;
	len = server_frame(buf, GS_MSG_HEARTBEAT, 3, 0, &h.base);
	buf[3] = UNKNOWN_TYPE;
	CU_ASSERT_EQUAL(gsc_frame_parse(buf, len, &msg), -ENOMSG);
	CU_ASSERT_EQUAL(msg.hdr.type, UNKNOWN_TYPE);
	CU_ASSERT_PTR_EQUAL(msg.payload, buf + GS_WIRE_HDR_LEN);
	CU_ASSERT_PTR_NULL(msg.u.base);
}

/* --- session state machine ------------------------------------------------------------- */

static void
test_session_connect_produces_connect(void)
{
	struct gsc_session s;
	size_t len;

	gsc_session_init(&s, 4242);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_DISCONNECTED);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 5 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTING);

	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.type, GS_MSG_CONNECT);
	CU_ASSERT_EQUAL(msg.hdr.session_id, 0);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 0);
	CU_ASSERT_EQUAL(msg.u.connect->client_version, 1);
	CU_ASSERT_EQUAL(msg.u.connect->player_id, 4242);
	CU_ASSERT_EQUAL(msg.u.connect->client_time_ns, 5 * MS);

	/* A retransmit takes the next sequence number and stays CONNECTING. */
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 255 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 1);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTING);
	CU_ASSERT_EQUAL(s.first_connect_ns, 5 * MS);
	CU_ASSERT_EQUAL(s.stats.tx_by_type[GS_MSG_CONNECT], 2);

	/* Not connected yet: no heartbeat, no disconnect. */
	CU_ASSERT_EQUAL(gsc_session_heartbeat(&s, 6 * MS, buf, sizeof(buf), &len), -ENOTCONN);
	CU_ASSERT_EQUAL(gsc_session_disconnect(&s, buf, sizeof(buf), &len), -ENOTCONN);
	CU_ASSERT_EQUAL(gsc_session_connect(&s, 6 * MS, buf, 10, &len), -ENOSPC);
}

static void
test_session_full_lifecycle(void)
{
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	struct gsc_session s;
	struct gsc_event ev;
	uint64_t hb_time;
	size_t len;

	gsc_session_init(&s, 1);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 100 * MS, buf, sizeof(buf), &len), 0);

	/* connect -> accept */
	len = accept_frame(buf, 0xabcd, 0xabcd, 100 * MS, 0);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 103 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_CONNECTED);
	CU_ASSERT_EQUAL(ev.rtt_ns, 3 * MS);
	CU_ASSERT_EQUAL(ev.elapsed_ns, 3 * MS);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTED);
	CU_ASSERT_EQUAL(s.session_id, 0xabcd);
	CU_ASSERT_EQUAL(s.heartbeat_interval_ms, 100);
	CU_ASSERT_EQUAL(s.idle_timeout_ms, 5000);
	CU_ASSERT_EQUAL(s.entity_id, 40 + 0xabcd);
	CU_ASSERT_EQUAL(s.spawn[0], -50.0f);
	CU_ASSERT_EQUAL(s.spawn[1], 50.25f);
	CU_ASSERT_EQUAL(s.spawn[2], 1.5f);
	CU_ASSERT_EQUAL(gsc_session_connect(&s, 104 * MS, buf, sizeof(buf), &len), -EISCONN);

	/* heartbeat: our session id, next sequence number, the send time */
	CU_ASSERT_EQUAL_FATAL(gsc_session_heartbeat(&s, 200 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.type, GS_MSG_HEARTBEAT);
	CU_ASSERT_EQUAL(msg.hdr.session_id, 0xabcd);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 1);
	hb_time = msg.u.heartbeat->client_time_ns;
	CU_ASSERT_EQUAL(hb_time, 200 * MS);
	CU_ASSERT_EQUAL(s.hb_outstanding, 1);

	/* ack -> RTT */
	len = ack_frame(buf, 0xabcd, hb_time, 1);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 200 * MS + 1500, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_HEARTBEAT_ACK);
	CU_ASSERT_EQUAL(ev.rtt_ns, 1500);
	CU_ASSERT_FALSE(ev.late);
	CU_ASSERT_EQUAL(s.last_rtt_ns, 1500);
	CU_ASSERT_EQUAL(s.hb_outstanding, 0);
	CU_ASSERT_EQUAL(s.stats.hb_acked, 1);

	/* The same ack again echoes nothing outstanding. */
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 201 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_NONE);
	CU_ASSERT_EQUAL(s.stats.rx_unexpected, 1);

	/* server disconnect -> closed */
	d.reason = GS__DISCONNECT__REASON__SERVER_SHUTDOWN;
	len = server_frame(buf, GS_MSG_DISCONNECT, 0xabcd, 2, &d.base);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 300 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_DISCONNECTED);
	CU_ASSERT_EQUAL(ev.code, GS__DISCONNECT__REASON__SERVER_SHUTDOWN);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CLOSED);
	CU_ASSERT_EQUAL(s.disconnect_reason, GS__DISCONNECT__REASON__SERVER_SHUTDOWN);

	CU_ASSERT_EQUAL(gsc_session_heartbeat(&s, 400 * MS, buf, sizeof(buf), &len), -ENOTCONN);
	CU_ASSERT_EQUAL(gsc_session_connect(&s, 400 * MS, buf, sizeof(buf), &len), -ESHUTDOWN);
	CU_ASSERT_EQUAL(s.stats.rx_pkts, 3);
	CU_ASSERT_EQUAL(s.stats.tx_pkts, 2);
	CU_ASSERT_EQUAL(s.stats.seq_gaps, 0);
	CU_ASSERT_EQUAL(s.stats.seq_reordered, 0);
}

static void
test_session_client_disconnect_then_late_ack(void)
{
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	connected_session(&s, 7);
	CU_ASSERT_EQUAL_FATAL(gsc_session_heartbeat(&s, 1100 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_session_disconnect(&s, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CLOSED);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.type, GS_MSG_DISCONNECT);
	CU_ASSERT_EQUAL(msg.hdr.session_id, 7);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 2);
	CU_ASSERT_EQUAL(msg.u.disconnect->reason, GS__DISCONNECT__REASON__CLIENT_QUIT);

	/* The ack of the last heartbeat, in flight when we quit, still counts. */
	len = ack_frame(buf, 7, 1100 * MS, 1);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1101 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_HEARTBEAT_ACK);
	CU_ASSERT_EQUAL(s.hb_outstanding, 0);
	CU_ASSERT_EQUAL(gsc_session_disconnect(&s, buf, sizeof(buf), &len), -ENOTCONN);
}

static void
test_session_mismatched_session_id_is_ignored(void)
{
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	connected_session(&s, 100);
	CU_ASSERT_EQUAL_FATAL(gsc_session_heartbeat(&s, 1100 * MS, buf, sizeof(buf), &len), 0);

	len = ack_frame(buf, 101, 1100 * MS, 1);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1101 * MS, &ev), -ESTALE);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_NONE);

	len = server_frame(buf, GS_MSG_DISCONNECT, 0, 2, &d.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1102 * MS, &ev), -ESTALE);

	len = accept_frame(buf, 55, 55, 990 * MS, 3); /* an accept for another session */
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1103 * MS, &ev), -ESTALE);

	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTED);
	CU_ASSERT_EQUAL(s.session_id, 100);
	CU_ASSERT_EQUAL(s.hb_outstanding, 1);
	CU_ASSERT_EQUAL(s.stats.rx_wrong_session, 3);
	CU_ASSERT_EQUAL(s.stats.rx_pkts, 1); /* the accept */

	/* The right one still works, and a duplicate accept is harmless. */
	len = ack_frame(buf, 100, 1100 * MS, 1);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1104 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.rtt_ns, 4 * MS);
	len = accept_frame(buf, 100, 100, 990 * MS, 2);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1105 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_NONE);
	CU_ASSERT_EQUAL(s.stats.rx_dup_accept, 1);
}

static void
test_session_accept_ids_must_agree(void)
{
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	gsc_session_init(&s, 1);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 1 * MS, buf, sizeof(buf), &len), 0);
	len = accept_frame(buf, 10, 11, 1 * MS, 0);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2 * MS, &ev), -EBADMSG);
	len = accept_frame(buf, 0, 0, 1 * MS, 0);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2 * MS, &ev), -EBADMSG);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTING);
	CU_ASSERT_EQUAL(s.session_id, 0);
	CU_ASSERT_EQUAL(s.stats.rx_bad, 2);

	len = accept_frame(buf, 10, 10, 1 * MS, 0);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2 * MS, &ev), 0);
	CU_ASSERT_EQUAL(s.session_id, 10);
}

static void
test_session_unexpected_types_are_refused(void)
{
	Gs__Heartbeat h = GS__HEARTBEAT__INIT;
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	/* Nothing but an accept or an error makes sense before we connect. */
	gsc_session_init(&s, 1);
	len = accept_frame(buf, 10, 10, 1 * MS, 0);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_DISCONNECTED);

	connected_session(&s, 5);
	h.client_time_ns = 1;
	len = server_frame(buf, GS_MSG_HEARTBEAT, 5, 1, &h.base); /* client-to-server type */
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EPROTO);
	len = ack_frame(buf, 5, 999 * MS, 2); /* echoes a heartbeat never sent */
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EPROTO);
	len = server_frame(buf, GS_MSG_DISCONNECT, 5, 3, &d.base);
	buf[3] = GS_MSG_COMBAT_LAST;
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -ENOMSG);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, 3, 1001 * MS, &ev), -EBADMSG);
	CU_ASSERT_EQUAL(s.stats.rx_unexpected, 2);
	CU_ASSERT_EQUAL(s.stats.rx_not_session, 1);
	CU_ASSERT_EQUAL(s.stats.rx_bad, 1);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTED);
	CU_ASSERT_EQUAL(gsc_session_input(NULL, buf, len, 0, &ev), -EINVAL);
}

static void
test_session_error_closes_with_code(void)
{
	Gs__SessionError e = GS__SESSION_ERROR__INIT;
	uint8_t connect[GSC_DATAGRAM_MAX];
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	/* Refused at connect: the server has no session, so the header says 0. */
	gsc_session_init(&s, 1);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 1 * MS, connect, sizeof(connect), &len), 0);
	e.code = GS__SESSION_ERROR__CODE__TABLE_FULL;
	e.detail = "full";
	len = answer_frame(buf, GS_MSG_SESSION_ERROR, 0, &e.base, connect);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 2 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_ERROR);
	CU_ASSERT_EQUAL(ev.code, GS__SESSION_ERROR__CODE__TABLE_FULL);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CLOSED);
	CU_ASSERT_EQUAL(s.error_code, GS__SESSION_ERROR__CODE__TABLE_FULL);
	CU_ASSERT_EQUAL(s.stats.session_errors, 1);

	/* While connected: another session's error is ignored, ours closes. */
	connected_session(&s, 9);
	CU_ASSERT_EQUAL(s.error_code, -1);
	e.code = GS__SESSION_ERROR__CODE__NOT_CONNECTED;
	len = server_frame(buf, GS_MSG_SESSION_ERROR, 8, 1, &e.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -ESTALE);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTED);
	len = server_frame(buf, GS_MSG_SESSION_ERROR, 9, 2, &e.base);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 1002 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_ERROR);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CLOSED);
	CU_ASSERT_EQUAL(s.error_code, GS__SESSION_ERROR__CODE__NOT_CONNECTED);

	/* Closed: a second error is unexpected. */
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1003 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(s.stats.session_errors, 1);
}

/* --- answers of session 0: the connect nonce -------------------------------------------- */

static void
test_connect_nonce_is_kept_by_retransmits_and_new_per_attempt(void)
{
	uint8_t first[GS_WIRE_AUTH_LEN];
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	secure_session(&s);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 1 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.session_id, 0);
	CU_ASSERT_NOT_EQUAL(memcmp(msg.hdr.auth_tag, zero_tag, sizeof(zero_tag)), 0);
	memcpy(first, msg.hdr.auth_tag, sizeof(first));

	/* a retransmit, and the CONNECT with the cookie of the challenge: the same nonce */
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 2 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 1);
	CU_ASSERT_EQUAL(memcmp(msg.hdr.auth_tag, first, sizeof(first)), 0);
	len = challenge_frame(buf, 0x5a, first);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 3 * MS, &ev), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 3 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.connect->cookie.len, GS_COOKIE_LEN);
	CU_ASSERT_EQUAL(memcmp(msg.hdr.auth_tag, first, sizeof(first)), 0);

	/* a new attempt (the session initialised again) draws another */
	secure_session(&s);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 4 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(msg.hdr.auth_tag, first, sizeof(first)), 0);

	/* and so does one without a token */
	gsc_session_init(&s, 1);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 5 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(msg.hdr.auth_tag, zero_tag, sizeof(zero_tag)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(msg.hdr.auth_tag, first, sizeof(first)), 0);
}

/* What a forged packet must leave alone: a CONNECTED session @p id that still works. */
static void
check_still_connected(struct gsc_session *s, uint32_t id)
{
	uint8_t pkt[GSC_DATAGRAM_MAX];
	size_t len;

	CU_ASSERT_EQUAL(s->state, GSC_STATE_CONNECTED);
	CU_ASSERT_EQUAL(s->session_id, id);
	CU_ASSERT_EQUAL(s->error_code, -1);
	CU_ASSERT_EQUAL(s->stats.session_errors, 0);
	CU_ASSERT_EQUAL(gsc_session_heartbeat(s, 1100 * MS, pkt, sizeof(pkt), &len), 0);
}

static void
test_forged_session_error_of_session_0_leaves_a_connected_session(void)
{
	Gs__SessionError e = GS__SESSION_ERROR__INIT;
	struct gsc_session s;
	struct gsc_event ev;
	uint8_t wrong[GS_WIRE_AUTH_LEN];
	size_t len;

	/* the attack: 26 bytes from anyone who knows the player's address and port */
	secure_session(&s);
	accept_connect(&s, 9);
	e.code = GS__SESSION_ERROR__CODE__TABLE_FULL;
	len = tagged_frame(buf, GS_MSG_SESSION_ERROR, 0, &e.base, zero_tag);
	CU_ASSERT_EQUAL(len, 26);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_NONE);
	memcpy(wrong, last_connect + GS_WIRE_AUTH_OFF, sizeof(wrong));
	wrong[7] ^= 1;
	len = tagged_frame(buf, GS_MSG_SESSION_ERROR, 0, &e.base, wrong);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EPROTO);
	/* even the nonce does not make it an answer: no CONNECT is outstanding */
	len = answer_frame(buf, GS_MSG_SESSION_ERROR, 0, &e.base, last_connect);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(s.stats.rx_unexpected, 3);
	check_still_connected(&s, 9);

	/* the same without a token */
	connected_session(&s, 10);
	len = tagged_frame(buf, GS_MSG_SESSION_ERROR, 0, &e.base, zero_tag);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EPROTO);
	len = answer_frame(buf, GS_MSG_SESSION_ERROR, 0, &e.base, last_connect);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EPROTO);
	check_still_connected(&s, 10);

	/* one that names the session must still carry its tag */
	secure_session(&s);
	accept_connect(&s, 11);
	len = server_frame(buf, GS_MSG_SESSION_ERROR, 11, 1, &e.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EACCES);
	CU_ASSERT_EQUAL(s.stats.rx_bad_tag, 1);
	check_still_connected(&s, 11);
	gs_tag_sign(test_s2c, buf, len);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1002 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_ERROR);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CLOSED);
}

static void
test_session_error_of_session_0_must_echo_the_nonce(void)
{
	Gs__SessionError e = GS__SESSION_ERROR__INIT;
	uint8_t connect[GSC_DATAGRAM_MAX], wrong[GS_WIRE_AUTH_LEN];
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	gsc_session_init(&s, 1);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 1 * MS, connect, sizeof(connect), &len), 0);
	e.code = GS__SESSION_ERROR__CODE__TABLE_FULL;
	len = tagged_frame(buf, GS_MSG_SESSION_ERROR, 0, &e.base, zero_tag); /* an old server's */
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2 * MS, &ev), -EACCES);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_NONE);
	memcpy(wrong, connect + GS_WIRE_AUTH_OFF, sizeof(wrong));
	wrong[0] ^= 0x80;
	len = tagged_frame(buf, GS_MSG_SESSION_ERROR, 0, &e.base, wrong);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2 * MS, &ev), -EACCES);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTING);
	CU_ASSERT_EQUAL(s.error_code, -1);
	CU_ASSERT_EQUAL(s.stats.session_errors, 0);
	CU_ASSERT_EQUAL(s.stats.rx_bad_tag, 2);
	CU_ASSERT_EQUAL(s.stats.rx_pkts, 0);

	/* still connecting: the real answer closes */
	len = answer_frame(buf, GS_MSG_SESSION_ERROR, 0, &e.base, connect);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 3 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_ERROR);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CLOSED);
}

static void
test_challenge_must_echo_the_nonce(void)
{
	uint8_t connect[GSC_DATAGRAM_MAX], cookie[GS_COOKIE_LEN];
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	secure_session(&s);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 1 * MS, connect, sizeof(connect), &len), 0);

	/* forged: no cookie is taken, the next CONNECT carries none */
	len = challenge_frame(buf, 0xee, zero_tag);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2 * MS, &ev), -EACCES);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_NONE);
	CU_ASSERT_FALSE(s.have_cookie);
	memset(cookie, 0, sizeof(cookie));
	CU_ASSERT_EQUAL(memcmp(s.cookie, cookie, sizeof(cookie)), 0);
	CU_ASSERT_EQUAL(s.stats.challenges, 0);
	CU_ASSERT_EQUAL(s.stats.rx_bad_tag, 1);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTING);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 3 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.connect->cookie.len, 0);

	/* the server's: accepted */
	len = challenge_frame(buf, 0x11, connect + GS_WIRE_AUTH_OFF);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 4 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_CHALLENGE);
	CU_ASSERT_TRUE(s.have_cookie);
	memset(cookie, 0x11, sizeof(cookie));
	CU_ASSERT_EQUAL(memcmp(s.cookie, cookie, sizeof(cookie)), 0);

	/* a forged one after it does not overwrite the cookie */
	len = challenge_frame(buf, 0xee, zero_tag);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 5 * MS, &ev), -EACCES);
	CU_ASSERT_EQUAL(memcmp(s.cookie, cookie, sizeof(cookie)), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 6 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL_FATAL(msg.u.connect->cookie.len, GS_COOKIE_LEN);
	CU_ASSERT_EQUAL(memcmp(msg.u.connect->cookie.data, cookie, sizeof(cookie)), 0);

	/* the server may challenge again: its new cookie replaces the old */
	len = challenge_frame(buf, 0x22, connect + GS_WIRE_AUTH_OFF);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 7 * MS, &ev), 0);
	memset(cookie, 0x22, sizeof(cookie));
	CU_ASSERT_EQUAL(memcmp(s.cookie, cookie, sizeof(cookie)), 0);
	CU_ASSERT_EQUAL(s.stats.challenges, 2);
	CU_ASSERT_EQUAL(s.stats.rx_bad_tag, 2);

	/* once connected, not even the nonce makes a CHALLENGE welcome */
	len = accept_frame(buf, 9, 9, 1 * MS, 0);
	gs_tag_sign(test_s2c, buf, len);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 8 * MS, &ev), 0);
	len = challenge_frame(buf, 0x33, connect + GS_WIRE_AUTH_OFF);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 9 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(memcmp(s.cookie, cookie, sizeof(cookie)), 0);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTED);
}

static void
test_session_tracks_server_sequence(void)
{
	struct gsc_session s;
	struct gsc_event ev;
	uint64_t t[6];
	size_t len;
	unsigned int i;

	connected_session(&s, 3); /* server seq 0 */
	for (i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL_FATAL(
			gsc_session_heartbeat(&s, (1100 + i) * MS, buf, sizeof(buf), &len), 0);
		t[i] = (1100 + i) * MS;
	}
	/* seq 1, 2, then 5 (3 and 4 missing), then 4 (reordered), then 6 */
	len = ack_frame(buf, 3, t[0], 1);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1200 * MS, &ev), 0);
	len = ack_frame(buf, 3, t[1], 2);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1200 * MS, &ev), 0);
	len = ack_frame(buf, 3, t[4], 5);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1200 * MS, &ev), 0);
	CU_ASSERT_EQUAL(s.stats.seq_gaps, 2);
	len = ack_frame(buf, 3, t[3], 4);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1200 * MS, &ev), 0);
	CU_ASSERT_EQUAL(s.stats.seq_reordered, 1);
	len = ack_frame(buf, 3, t[5], 6);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1200 * MS, &ev), 0);
	CU_ASSERT_EQUAL(s.stats.seq_gaps, 2);
	CU_ASSERT_EQUAL(s.stats.seq_reordered, 1);
	CU_ASSERT_EQUAL(s.hb_outstanding, 1); /* t[2] */
}

static void
test_session_heartbeat_ring_evicts_and_accepts_late(void)
{
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;
	unsigned int i;

	connected_session(&s, 3);
	/* Same clock reading every time: echoes are still unique. */
	for (i = 0; i < GSC_HB_RING + 2; i++)
		CU_ASSERT_EQUAL_FATAL(
			gsc_session_heartbeat(&s, 2000 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.heartbeat->client_time_ns, 2000 * MS + GSC_HB_RING + 1);
	CU_ASSERT_EQUAL(s.hb_outstanding, GSC_HB_RING);
	CU_ASSERT_EQUAL(s.stats.hb_evicted, 2);

	/* The first heartbeat left the ring: its ack is late but counted. */
	len = ack_frame(buf, 3, 2000 * MS, 1);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 2001 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_HEARTBEAT_ACK);
	CU_ASSERT_TRUE(ev.late);
	CU_ASSERT_EQUAL(ev.rtt_ns, 1 * MS);
	len = ack_frame(buf, 3, 2000 * MS + 1, 2);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2001 * MS, &ev), 0);
	CU_ASSERT_TRUE(ev.late);
	/* No more evictions to account for: a third "late" ack is a duplicate. */
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2001 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(s.stats.hb_late, 2);

	/* The third is still in the ring. */
	len = ack_frame(buf, 3, 2000 * MS + 2, 3);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2001 * MS, &ev), 0);
	CU_ASSERT_FALSE(ev.late);
	CU_ASSERT_EQUAL(s.hb_outstanding, GSC_HB_RING - 1);
	CU_ASSERT_EQUAL(s.hb_sent - s.stats.hb_acked - s.stats.hb_late, GSC_HB_RING - 1);
}

/* --- movement and combat ------------------------------------------------------------- */

static void
test_session_move_and_attack_produce(void)
{
	struct gsc_session s;
	size_t len;

	gsc_session_init(&s, 1);
	CU_ASSERT_EQUAL(
		gsc_session_move(&s, 1 * MS, 0, 0, 0, 0, 1, buf, sizeof(buf), &len), -ENOTCONN);
	CU_ASSERT_EQUAL(gsc_session_attack(&s, 1 * MS, 5, 1, 1, buf, sizeof(buf), &len), -ENOTCONN);

	connected_session(&s, 12);
	CU_ASSERT_EQUAL_FATAL(gsc_session_move(&s, 2000 * MS, s.entity_id, 1.5f, -2.25f, 1e-3f, 9,
				      buf, sizeof(buf), &len),
		0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.type, GS_MSG_MOVE);
	CU_ASSERT_EQUAL(msg.hdr.session_id, 12);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 1);
	CU_ASSERT_EQUAL(msg.u.move->entity_id, 52);
	CU_ASSERT_EQUAL(msg.u.move->x, 1.5f);
	CU_ASSERT_EQUAL(msg.u.move->y, -2.25f);
	CU_ASSERT_EQUAL(msg.u.move->z, 1e-3f);
	CU_ASSERT_EQUAL(msg.u.move->seq, 9);
	CU_ASSERT_EQUAL(msg.u.move->client_time_ns, 2000 * MS);

	CU_ASSERT_EQUAL_FATAL(
		gsc_session_attack(&s, 2001 * MS, 77, 2, 4, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.type, GS_MSG_ATTACK);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 2);
	CU_ASSERT_EQUAL(msg.u.attack->attacker, 52);
	CU_ASSERT_EQUAL(msg.u.attack->target, 77);
	CU_ASSERT_EQUAL(msg.u.attack->skill, 2);
	CU_ASSERT_EQUAL(msg.u.attack->seq, 4);
	CU_ASSERT_EQUAL(msg.u.attack->client_time_ns, 2001 * MS);

	CU_ASSERT_EQUAL(gsc_session_move(&s, 1 * MS, 52, 0, 0, 0, 10, buf, 20, &len), -ENOSPC);
	CU_ASSERT_EQUAL(s.stats.tx_by_type[GS_MSG_MOVE], 1);
	CU_ASSERT_EQUAL(s.stats.tx_by_type[GS_MSG_ATTACK], 1);
	CU_ASSERT_EQUAL(s.tx_seq, 3);
}

static void
test_session_game_answers_are_events(void)
{
	Gs__MoveAck ack = GS__MOVE_ACK__INIT;
	Gs__MoveReject rej = GS__MOVE_REJECT__INIT;
	Gs__AttackResult res = GS__ATTACK_RESULT__INIT;
	Gs__Damaged dmg = GS__DAMAGED__INIT;
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	connected_session(&s, 12); /* server seq 0 */

	ack.entity_id = 52;
	ack.x = 3.0f;
	ack.seq = 1;
	ack.client_time_ns = 1010 * MS;
	len = server_frame(buf, GS_MSG_MOVE_ACK, 12, 1, &ack.base);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 1012 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_MOVE_ACK);
	CU_ASSERT_EQUAL(ev.rtt_ns, 2 * MS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev.u.move_ack);
	CU_ASSERT_EQUAL(ev.u.move_ack->x, 3.0f);
	CU_ASSERT_EQUAL(ev.u.move_ack->seq, 1);

	rej.entity_id = 52;
	rej.x = -50.0f;
	rej.y = 50.0f;
	rej.seq = 2;
	rej.reason = GS__MOVE_REJECT__REASON__TOO_FAST;
	rej.client_time_ns = 1011 * MS;
	len = server_frame(buf, GS_MSG_MOVE_REJECT, 12, 2, &rej.base);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 1014 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_MOVE_REJECT);
	CU_ASSERT_EQUAL(ev.rtt_ns, 3 * MS);
	CU_ASSERT_EQUAL(ev.u.move_reject->reason, GS__MOVE_REJECT__REASON__TOO_FAST);
	CU_ASSERT_EQUAL(ev.u.move_reject->x, -50.0f);
	CU_ASSERT_EQUAL(ev.u.move_reject->y, 50.0f);

	res.attacker = 52;
	res.target = 53;
	res.skill = 1;
	res.seq = 1;
	res.result = GS__ATTACK_RESULT__RESULT__KILLED;
	res.damage = 25;
	res.client_time_ns = 1013 * MS;
	len = server_frame(buf, GS_MSG_ATTACK_RESULT, 12, 3, &res.base);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 1014 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_ATTACK_RESULT);
	CU_ASSERT_EQUAL(ev.rtt_ns, 1 * MS);
	CU_ASSERT_EQUAL(ev.u.attack_result->result, GS__ATTACK_RESULT__RESULT__KILLED);
	CU_ASSERT_EQUAL(ev.u.attack_result->damage, 25);
	CU_ASSERT_EQUAL(ev.u.attack_result->target, 53);

	dmg.target = 52;
	dmg.attacker = 53;
	dmg.skill = 2;
	dmg.damage = 15;
	dmg.killed = 1;
	dmg.respawn_in_ms = 3000;
	dmg.respawn_x = 50.0f;
	dmg.respawn_y = -50.0f;
	len = server_frame(buf, GS_MSG_DAMAGED, 12, 4, &dmg.base);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 1015 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_DAMAGED);
	CU_ASSERT_EQUAL(ev.rtt_ns, 0);
	CU_ASSERT_EQUAL(ev.u.damaged->attacker, 53);
	CU_ASSERT_EQUAL(ev.u.damaged->hp, 0);
	CU_ASSERT_TRUE(ev.u.damaged->killed);
	CU_ASSERT_EQUAL(ev.u.damaged->respawn_in_ms, 3000);
	CU_ASSERT_EQUAL(ev.u.damaged->respawn_x, 50.0f);
	CU_ASSERT_EQUAL(ev.u.damaged->respawn_y, -50.0f);

	CU_ASSERT_EQUAL(s.stats.rx_by_type[GS_MSG_MOVE_ACK], 1);
	CU_ASSERT_EQUAL(s.stats.rx_by_type[GS_MSG_MOVE_REJECT], 1);
	CU_ASSERT_EQUAL(s.stats.rx_by_type[GS_MSG_ATTACK_RESULT], 1);
	CU_ASSERT_EQUAL(s.stats.rx_by_type[GS_MSG_DAMAGED], 1);
	CU_ASSERT_EQUAL(s.stats.rx_pkts, 5);
	CU_ASSERT_EQUAL(s.stats.seq_gaps, 0);

	/* After our DISCONNECT, answers in flight are still accepted. */
	CU_ASSERT_EQUAL_FATAL(gsc_session_disconnect(&s, buf, sizeof(buf), &len), 0);
	len = server_frame(buf, GS_MSG_MOVE_ACK, 12, 5, &ack.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1016 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_MOVE_ACK);
	CU_ASSERT_EQUAL(s.stats.seq_gaps, 0);
}

static void
test_session_game_answers_are_checked(void)
{
	Gs__MoveAck ack = GS__MOVE_ACK__INIT;
	Gs__MoveReject rej = GS__MOVE_REJECT__INIT;
	Gs__AttackResult res = GS__ATTACK_RESULT__INIT;
	Gs__Damaged dmg = GS__DAMAGED__INIT;
	Gs__Move mv = GS__MOVE__INIT;
	Gs__Attack at = GS__ATTACK__INIT;
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	/* Not accepted yet: nothing to answer. */
	gsc_session_init(&s, 1);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 1 * MS, buf, sizeof(buf), &len), 0);
	len = server_frame(buf, GS_MSG_DAMAGED, 0, 0, &dmg.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(s.stats.rx_unexpected, 1);

	/* Another session's answers are refused, whatever their type. */
	connected_session(&s, 12);
	len = server_frame(buf, GS_MSG_MOVE_ACK, 13, 1, &ack.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -ESTALE);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_NONE);
	CU_ASSERT_PTR_NULL(ev.u.move_ack);
	len = server_frame(buf, GS_MSG_MOVE_REJECT, 13, 1, &rej.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -ESTALE);
	len = server_frame(buf, GS_MSG_ATTACK_RESULT, 0, 1, &res.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -ESTALE);
	len = server_frame(buf, GS_MSG_DAMAGED, 11, 1, &dmg.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -ESTALE);
	CU_ASSERT_EQUAL(s.stats.rx_wrong_session, 4);

	/* An echo from the future is not ours; client-to-server types are unexpected. */
	ack.client_time_ns = 1002 * MS;
	len = server_frame(buf, GS_MSG_MOVE_ACK, 12, 1, &ack.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_NONE);
	len = server_frame(buf, GS_MSG_MOVE, 12, 1, &mv.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EPROTO);
	len = server_frame(buf, GS_MSG_ATTACK, 12, 1, &at.base);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1001 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(s.stats.rx_unexpected, 3);
	CU_ASSERT_EQUAL(s.stats.rx_pkts, 1); /* the accept */
	CU_ASSERT_EQUAL(s.stats.rx_not_session, 0);
}

/* --- histogram ------------------------------------------------------------------------- */

static void
test_hist_percentiles_within_one_percent(void)
{
	static struct gsc_hist h;
	uint64_t v, p;
	unsigned int i;

	gsc_hist_reset(&h);
	CU_ASSERT_EQUAL(gsc_hist_percentile(&h, 50), 0);

	/* 1..100000 ns: p50 = 50000, p90 = 90000, p99 = 99000, max exact */
	for (v = 1; v <= 100000; v++)
		gsc_hist_add(&h, v);
	CU_ASSERT_EQUAL(h.count, 100000);
	CU_ASSERT_EQUAL(h.min, 1);
	CU_ASSERT_EQUAL(gsc_hist_percentile(&h, 100), 100000);
	p = gsc_hist_percentile(&h, 50);
	CU_ASSERT(p >= 49500 && p <= 50500);
	p = gsc_hist_percentile(&h, 90);
	CU_ASSERT(p >= 89100 && p <= 90900);
	p = gsc_hist_percentile(&h, 99);
	CU_ASSERT(p >= 98010 && p <= 99990);

	/* Small values are exact; every bucket is < 1% wide at any magnitude. */
	gsc_hist_reset(&h);
	for (i = 0; i < 10; i++)
		gsc_hist_add(&h, 42);
	CU_ASSERT_EQUAL(gsc_hist_percentile(&h, 50), 42);
	for (i = 0; i < 40; i++) {
		v = (uint64_t)3 << i;
		gsc_hist_reset(&h);
		gsc_hist_add(&h, v);
		gsc_hist_add(&h, v * 2);
		p = gsc_hist_percentile(&h, 50);
		CU_ASSERT(p >= v - v / 100 && p <= v + v / 100);
	}
}

static void
test_token_line_gives_token_and_keys_and_refuses_what_is_missing(void)
{
	uint8_t token[GS_TOKEN_LEN], c2s[GS_PKT_KEY_LEN], s2c[GS_PKT_KEY_LEN];
	char hex_t[2 * GS_TOKEN_LEN + 1], line[1024];

	memset(hex_t, 'a', 2 * GS_TOKEN_LEN);
	hex_t[2 * GS_TOKEN_LEN] = '\0';
	snprintf(line, sizeof(line), "player=1 expires=9 token=%s c2s=%032x s2c=%s\n", hex_t, 0x12,
		"000102030405060708090a0b0c0d0e0f");
	CU_ASSERT_EQUAL_FATAL(gsc_token_line_parse(line, token, c2s, s2c), 0);
	CU_ASSERT_EQUAL(token[0], 0xaa);
	CU_ASSERT_EQUAL(token[GS_TOKEN_LEN - 1], 0xaa);
	CU_ASSERT_EQUAL(c2s[GS_PKT_KEY_LEN - 1], 0x12);
	CU_ASSERT_EQUAL(s2c[15], 0x0f);
	snprintf(line, sizeof(line), "token=%s c2s=%032x\n", hex_t, 1); /* no s2c */
	CU_ASSERT_EQUAL(gsc_token_line_parse(line, token, c2s, s2c), -EINVAL);
	snprintf(line, sizeof(line), "token=%.238s c2s=%032x s2c=%032x\n", hex_t, 1, 2);
	CU_ASSERT_EQUAL(gsc_token_line_parse(line, token, c2s, s2c), -EINVAL); /* short token */
}

/* --- raw messages: a game's own types and payloads ----------------------------------------- */

/* A type of a handler class the library does not know: the first after the combat range. */
#define GAME_TYPE (GS_MSG_COMBAT_LAST + 1)

/* @p n bytes of a recognisable pattern (what a game's own encoder would write). */
static void
fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void
test_frame_build_raw_frames_any_type_and_refuses_what_does_not_fit(void)
{
	static uint8_t big[GS_WIRE_MAX_PAYLOAD + 1];
	const uint8_t payload[5] = { 0x08, 0x96, 0x01, 0xff, 0x00 };
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(
		gsc_frame_build_raw(buf, sizeof(buf), 200, 9, 77, payload, sizeof(payload), &len),
		0);
	CU_ASSERT_EQUAL(len, GS_WIRE_HDR_LEN + sizeof(payload));
	CU_ASSERT_EQUAL(gsc_frame_parse(buf, len, &msg), -ENOMSG); /* a valid header */
	CU_ASSERT_EQUAL(msg.hdr.type, 200);
	CU_ASSERT_EQUAL(msg.hdr.session_id, 9);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 77);
	CU_ASSERT_EQUAL(msg.hdr.payload_len, sizeof(payload));
	CU_ASSERT_EQUAL(memcmp(msg.hdr.auth_tag, zero_tag, sizeof(zero_tag)), 0);
	CU_ASSERT_EQUAL(memcmp(msg.payload, payload, sizeof(payload)), 0);

	/* empty: a header alone */
	CU_ASSERT_EQUAL(gsc_frame_build_raw(buf, sizeof(buf), GAME_TYPE, 1, 0, NULL, 0, &len), 0);
	CU_ASSERT_EQUAL(len, GS_WIRE_HDR_LEN);

	/* the wire's maximum fits GSC_DATAGRAM_MAX, one byte more is refused */
	CU_ASSERT_EQUAL(gsc_frame_build_raw(
				buf, sizeof(buf), GAME_TYPE, 1, 0, big, GS_WIRE_MAX_PAYLOAD, &len),
		0);
	CU_ASSERT_EQUAL(len, GSC_DATAGRAM_MAX);
	CU_ASSERT_EQUAL(
		gsc_frame_build_raw(buf, sizeof(buf), GAME_TYPE, 1, 0, big, sizeof(big), &len),
		-EMSGSIZE);
	CU_ASSERT_EQUAL(gsc_frame_build_raw(buf, GS_WIRE_HDR_LEN + 4, GAME_TYPE, 1, 0, payload,
				sizeof(payload), &len),
		-ENOSPC);
	CU_ASSERT_EQUAL(
		gsc_frame_build_raw(buf, sizeof(buf), GAME_TYPE, 1, 0, NULL, 1, &len), -EINVAL);
	CU_ASSERT_EQUAL(
		gsc_frame_build_raw(NULL, sizeof(buf), GAME_TYPE, 1, 0, payload, 1, &len), -EINVAL);
}

static void
test_session_raw_is_framed_sequenced_and_tagged(void)
{
	uint8_t payload[40];
	struct gsc_session s;
	size_t len;

	fill_pattern(payload, sizeof(payload), 3);
	secure_session(&s);
	CU_ASSERT_EQUAL(
		gsc_session_raw(&s, GAME_TYPE, payload, sizeof(payload), buf, sizeof(buf), &len),
		-ENOTCONN);
	accept_connect(&s, 21); /* CONNECT was sequence 0 */

	CU_ASSERT_EQUAL_FATAL(
		gsc_session_raw(&s, GAME_TYPE, payload, sizeof(payload), buf, sizeof(buf), &len),
		0);
	CU_ASSERT_EQUAL(len, GS_WIRE_HDR_LEN + sizeof(payload));
	CU_ASSERT_EQUAL(gsc_frame_parse(buf, len, &msg), -ENOMSG);
	CU_ASSERT_EQUAL(msg.hdr.type, GAME_TYPE);
	CU_ASSERT_EQUAL(msg.hdr.session_id, 21);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 1);
	CU_ASSERT_EQUAL(msg.hdr.payload_len, sizeof(payload));
	CU_ASSERT_EQUAL(memcmp(msg.payload, payload, sizeof(payload)), 0);
	CU_ASSERT_TRUE(gs_tag_verify(test_c2s, buf, len)); /* tagged like the built-in ones */
	CU_ASSERT_FALSE(gs_tag_verify(test_s2c, buf, len));

	/* one numbering for raw and built-in messages */
	CU_ASSERT_EQUAL_FATAL(
		gsc_session_move(&s, 1100 * MS, s.entity_id, 1, 2, 3, 1, buf, sizeof(buf), &len),
		0);
	CU_ASSERT_EQUAL_FATAL(gsc_frame_parse(buf, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 2);
	CU_ASSERT_EQUAL_FATAL(gsc_session_raw(&s, 250, NULL, 0, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL(gsc_frame_parse(buf, len, &msg), -ENOMSG);
	CU_ASSERT_EQUAL(msg.hdr.type, 250);
	CU_ASSERT_EQUAL(msg.hdr.sequence, 3);
	CU_ASSERT_EQUAL(msg.hdr.payload_len, 0);
	CU_ASSERT_TRUE(gs_tag_verify(test_c2s, buf, len));

	CU_ASSERT_EQUAL(s.stats.tx_raw, 2);
	CU_ASSERT_EQUAL(s.stats.tx_pkts, 4); /* CONNECT, raw, MOVE, raw */

	/* the session types are the state machine's */
	CU_ASSERT_EQUAL(
		gsc_session_raw(&s, GS_MSG_DISCONNECT, NULL, 0, buf, sizeof(buf), &len), -EINVAL);
	CU_ASSERT_EQUAL(
		gsc_session_raw(&s, GS_MSG_HEARTBEAT, NULL, 0, buf, sizeof(buf), &len), -EINVAL);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTED);
	CU_ASSERT_EQUAL(s.tx_seq, 4);
}

static void
test_session_raw_refuses_an_oversized_payload(void)
{
	static uint8_t payload[GS_WIRE_MAX_PAYLOAD + 1];
	struct gsc_session s;
	size_t len = 0;

	connected_session(&s, 8);
	CU_ASSERT_EQUAL(
		gsc_session_raw(&s, GAME_TYPE, payload, sizeof(payload), buf, sizeof(buf), &len),
		-EMSGSIZE);
	CU_ASSERT_EQUAL(
		gsc_session_raw(&s, GAME_TYPE, payload, 100000, buf, sizeof(buf), &len), -EMSGSIZE);
	CU_ASSERT_EQUAL(
		gsc_session_raw(&s, GAME_TYPE, payload, 16, buf, GS_WIRE_HDR_LEN + 15, &len),
		-ENOSPC);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(s.tx_seq, 1); /* nothing produced: no number used */
	CU_ASSERT_EQUAL(s.stats.tx_pkts, 1);
	CU_ASSERT_EQUAL(s.stats.tx_raw, 0);

	/* exactly the wire's maximum is fine */
	CU_ASSERT_EQUAL(gsc_session_raw(&s, GAME_TYPE, payload, GS_WIRE_MAX_PAYLOAD, buf,
				sizeof(buf), &len),
		0);
	CU_ASSERT_EQUAL(len, GSC_DATAGRAM_MAX);
}

/* A server datagram of session @p id, @p type and @p n pattern bytes, tagged with test_s2c. */
static size_t
server_raw(uint8_t *out, uint8_t type, uint32_t id, uint32_t seq, size_t n)
{
	static uint8_t payload[GS_WIRE_MAX_PAYLOAD];
	size_t len = 0;

	fill_pattern(payload, n, (uint8_t)seq);
	CU_ASSERT_EQUAL_FATAL(
		gsc_frame_build_raw(out, GSC_DATAGRAM_MAX, type, id, seq, payload, n, &len), 0);
	gs_tag_sign(test_s2c, out, len);
	return len;
}

static void
test_session_delivers_an_unknown_type_intact(void)
{
	uint8_t want[GS_WIRE_MAX_PAYLOAD];
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	secure_session(&s);
	gsc_session_set_raw_rx(&s, true);
	accept_connect(&s, 21); /* the accept was server sequence 0 */

	len = server_raw(buf, GAME_TYPE, 21, 1, GS_WIRE_MAX_PAYLOAD);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 1100 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_RAW);
	CU_ASSERT_EQUAL(ev.u.raw.type, GAME_TYPE);
	CU_ASSERT_EQUAL(ev.u.raw.len, GS_WIRE_MAX_PAYLOAD);
	CU_ASSERT_PTR_EQUAL(ev.u.raw.payload, buf + GS_WIRE_HDR_LEN); /* no copy */
	fill_pattern(want, sizeof(want), 1);
	CU_ASSERT_EQUAL(memcmp(ev.u.raw.payload, want, sizeof(want)), 0);

	/* a type above every one the library counts by type, and an empty payload */
	len = server_raw(buf, 255, 21, 2, 0);
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 1100 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_RAW);
	CU_ASSERT_EQUAL(ev.u.raw.type, 255);
	CU_ASSERT_EQUAL(ev.u.raw.len, 0);
	CU_ASSERT_PTR_NOT_NULL(ev.u.raw.payload);
	/* an unassigned type of a class the library knows is not decoded either */
	len = server_raw(buf, GS_MSG_MOVE_REJECT + 1, 21, 3, 3);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1100 * MS, &ev), 0);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_RAW);
	CU_ASSERT_EQUAL(s.stats.rx_raw, 3);
	CU_ASSERT_EQUAL(s.stats.rx_pkts, 4);

	/* checked like every datagram of the session */
	len = server_raw(buf, GAME_TYPE, 21, 3, 3);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1100 * MS, &ev), -EALREADY);
	len = server_raw(buf, GAME_TYPE, 21, 4, 3);
	buf[len - 1] ^= 1; /* altered after it was tagged */
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1100 * MS, &ev), -EACCES);
	len = server_raw(buf, GAME_TYPE, 22, 5, 3);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1100 * MS, &ev), -ESTALE);
	CU_ASSERT_EQUAL(ev.type, GSC_EVENT_NONE);
	/* a type the library decodes is still its own: a client-to-server one is refused */
	len = server_raw(buf, GS_MSG_MOVE, 21, 6, 0);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1100 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(s.stats.rx_raw, 3);

	/* not asked for: refused and counted, as before the raw API */
	gsc_session_set_raw_rx(&s, false);
	len = server_raw(buf, GAME_TYPE, 21, 7, 3);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 1100 * MS, &ev), -ENOMSG);
	CU_ASSERT_EQUAL(s.stats.rx_not_session, 1);
	CU_ASSERT_EQUAL(s.stats.rx_raw, 3);
}

static void
test_raw_before_the_session_is_accepted_is_refused(void)
{
	struct gsc_session s;
	struct gsc_event ev;
	size_t len;

	gsc_session_init(&s, 1);
	gsc_session_set_raw_rx(&s, true);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 1 * MS, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL_FATAL(
		gsc_frame_build_raw(buf, sizeof(buf), GAME_TYPE, 0, 0, NULL, 0, &len), 0);
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 2 * MS, &ev), -EPROTO);
	CU_ASSERT_EQUAL(s.stats.rx_unexpected, 1);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTING);
}

/* --- packet tags --------------------------------------------------------------------------- */

static void
test_session_checks_server_tags_in_constant_time(void)
{
	const uint8_t c2s[GS_PKT_KEY_LEN] = { 1 }, s2c[GS_PKT_KEY_LEN] = { 2 };
	static const uint8_t token[GS_TOKEN_LEN];
	struct gsc_session s;
	struct gsc_event ev;
	uint8_t tag[8];
	size_t len;

	gsc_session_init(&s, 5);
	gsc_session_set_token(&s, token, c2s, s2c);
	CU_ASSERT_EQUAL_FATAL(gsc_session_connect(&s, 10 * MS, buf, sizeof(buf), &len), 0);

	/* the ACCEPT, tagged with the server's key: taken, its tag compared with sodium_memcmp */
	len = accept_frame(buf, 0x55, 0x55, 10 * MS, 0);
	gs_tag_sign(s2c, buf, len);
	memcpy(tag, buf + 16, sizeof(tag)); /* the header's auth_tag */
	ct_calls = 0;
	CU_ASSERT_EQUAL_FATAL(gsc_session_input(&s, buf, len, 11 * MS, &ev), 0);
	CU_ASSERT_EQUAL(s.state, GSC_STATE_CONNECTED);
	CU_ASSERT(ct_calls >= 1);
	CU_ASSERT_EQUAL(memcmp(ct_seen, tag, sizeof(tag)), 0); /* the tag computed for it */

	/* a tag one bit off: refused, the same way */
	CU_ASSERT_EQUAL_FATAL(gsc_session_heartbeat(&s, 20 * MS, buf, sizeof(buf), &len), 0);
	len = ack_frame(buf, 0x55, 20 * MS, 1);
	gs_tag_sign(s2c, buf, len);
	buf[16 + 7] ^= 1;
	ct_calls = 0;
	CU_ASSERT_EQUAL(gsc_session_input(&s, buf, len, 21 * MS, &ev), -EACCES);
	CU_ASSERT(ct_calls >= 1);
	CU_ASSERT_EQUAL(s.hb_outstanding, 1);
}

static CU_TestInfo frame_tests[] = {
	{ "token line gives token and keys, refuses what is missing",
		test_token_line_gives_token_and_keys_and_refuses_what_is_missing },
	{ "round trip of every session type", test_frame_roundtrip_every_session_type },
	{ "round trip of the server's game types", test_frame_roundtrip_game_types },
	{ "empty payload has zero length", test_frame_empty_payload_has_zero_length },
	{ "build refuses bad arguments", test_frame_build_refuses_bad_arguments },
	{ "parse refuses a bad header", test_frame_parse_refuses_bad_header },
	{ "parse refuses a garbage payload", test_frame_parse_refuses_garbage_payload },
	{ "parse reports an unknown type", test_frame_parse_reports_unknown_type },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo session_tests[] = {
	{ "connect produces CONNECT", test_session_connect_produces_connect },
	{ "connect, accept, heartbeat, ack, server disconnect", test_session_full_lifecycle },
	{ "client disconnect, then a late ack", test_session_client_disconnect_then_late_ack },
	{ "mismatched session id is ignored", test_session_mismatched_session_id_is_ignored },
	{ "accept ids must agree", test_session_accept_ids_must_agree },
	{ "unexpected types are refused", test_session_unexpected_types_are_refused },
	{ "SESSION_ERROR closes with its code", test_session_error_closes_with_code },
	{ "connect nonce: kept by retransmits, new per attempt",
		test_connect_nonce_is_kept_by_retransmits_and_new_per_attempt },
	{ "forged SESSION_ERROR of session 0 leaves a connected session",
		test_forged_session_error_of_session_0_leaves_a_connected_session },
	{ "SESSION_ERROR of session 0 must echo the nonce",
		test_session_error_of_session_0_must_echo_the_nonce },
	{ "CHALLENGE must echo the nonce", test_challenge_must_echo_the_nonce },
	{ "server sequence gaps and reorders", test_session_tracks_server_sequence },
	{ "heartbeat ring evicts, late acks count",
		test_session_heartbeat_ring_evicts_and_accepts_late },
	{ "server tags are checked in constant time",
		test_session_checks_server_tags_in_constant_time },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo game_tests[] = {
	{ "MOVE and ATTACK producers", test_session_move_and_attack_produce },
	{ "MOVE_ACK, MOVE_REJECT, ATTACK_RESULT, DAMAGED are events",
		test_session_game_answers_are_events },
	{ "game answers are checked", test_session_game_answers_are_checked },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo raw_tests[] = {
	{ "raw frames: any type, refused when they do not fit",
		test_frame_build_raw_frames_any_type_and_refuses_what_does_not_fit },
	{ "raw send is framed, sequenced and tagged",
		test_session_raw_is_framed_sequenced_and_tagged },
	{ "raw send refuses an oversized payload", test_session_raw_refuses_an_oversized_payload },
	{ "an unknown type is delivered intact", test_session_delivers_an_unknown_type_intact },
	{ "raw before the session is accepted is refused",
		test_raw_before_the_session_is_accepted_is_refused },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo hist_tests[] = {
	{ "percentiles within 1%", test_hist_percentiles_within_one_percent },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "frame", .pTests = frame_tests },
	{ .pName = "session", .pTests = session_tests },
	{ .pName = "game", .pTests = game_tests },
	{ .pName = "raw", .pTests = raw_tests },
	{ .pName = "hist", .pTests = hist_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites); /* basic runner, verbose; returns the failure count */
}
