/* SPDX-License-Identifier: BSD-3-Clause */
#include "gsclient.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#define CLIENT_VERSION 1u

static const ProtobufCMessageDescriptor *const payload_desc[GSC_MSG_TYPES] = {
	[GS_MSG_CONNECT] = &gs__connect__descriptor,
	[GS_MSG_CONNECT_ACCEPT] = &gs__connect_accept__descriptor,
	[GS_MSG_HEARTBEAT] = &gs__heartbeat__descriptor,
	[GS_MSG_HEARTBEAT_ACK] = &gs__heartbeat_ack__descriptor,
	[GS_MSG_DISCONNECT] = &gs__disconnect__descriptor,
	[GS_MSG_SESSION_ERROR] = &gs__session_error__descriptor,
	[GS_MSG_CHALLENGE] = &gs__challenge__descriptor,
	[GS_MSG_MOVE] = &gs__move__descriptor,
	[GS_MSG_MOVE_ACK] = &gs__move_ack__descriptor,
	[GS_MSG_MOVE_REJECT] = &gs__move_reject__descriptor,
	[GS_MSG_ATTACK] = &gs__attack__descriptor,
	[GS_MSG_ATTACK_RESULT] = &gs__attack_result__descriptor,
	[GS_MSG_DAMAGED] = &gs__damaged__descriptor,
	/*
	 * SNAPSHOT is not here: it unpacks into its gsc_repl's arena (up to
	 * 64 KiB), not the 4 KiB of a gsc_msg. SNAPSHOT_ACK is the client's own.
	 */
	[GS_MSG_SNAPSHOT_ACK] = &gs__snapshot_ack__descriptor,
};

uint64_t
gsc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool
is_known_type(uint8_t type)
{
	return type < GSC_MSG_TYPES && payload_desc[type] != NULL;
}

/* Write the header of a datagram with @p plen payload bytes, after checking that they fit. */
static int
put_header(uint8_t *buf, size_t cap, uint8_t type, uint32_t session_id, uint32_t seq, size_t plen)
{
	struct gs_hdr h = {
		.magic = GS_WIRE_MAGIC,
		.version = GS_WIRE_VERSION,
		.type = type,
		.session_id = session_id,
		.sequence = seq,
	};

	if (plen > GS_WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (cap < GS_WIRE_HDR_LEN + plen)
		return -ENOSPC;
	h.payload_len = (uint16_t)plen;
	if (gs_hdr_encode(&h, buf, cap) != GS_WIRE_HDR_LEN)
		return -ENOSPC; /* unreachable: both limits are checked above */
	return 0;
}

int
gsc_frame_build(uint8_t *buf, size_t cap, uint8_t type, uint32_t session_id, uint32_t seq,
	const ProtobufCMessage *payload, size_t *len)
{
	size_t plen;
	int ret;

	if (buf == NULL || payload == NULL || len == NULL || !is_known_type(type) ||
		payload->descriptor != payload_desc[type])
		return -EINVAL;

	plen = protobuf_c_message_get_packed_size(payload);
	ret = put_header(buf, cap, type, session_id, seq, plen);
	if (ret < 0)
		return ret;
	if (protobuf_c_message_pack(payload, buf + GS_WIRE_HDR_LEN) != plen)
		return -EINVAL; /* a message that packs differently from its size */
	*len = GS_WIRE_HDR_LEN + plen;
	return 0;
}

int
gsc_frame_build_raw(uint8_t *buf, size_t cap, uint8_t type, uint32_t session_id, uint32_t seq,
	const uint8_t *payload, size_t payload_len, size_t *len)
{
	int ret;

	if (buf == NULL || len == NULL || (payload == NULL && payload_len > 0))
		return -EINVAL;
	ret = put_header(buf, cap, type, session_id, seq, payload_len);
	if (ret < 0)
		return ret;
	if (payload_len > 0) /* memmove: the caller may have encoded it in place */
		memmove(buf + GS_WIRE_HDR_LEN, payload, payload_len);
	*len = GS_WIRE_HDR_LEN + payload_len;
	return 0;
}

int
gsc_frame_parse(const uint8_t *buf, size_t len, struct gsc_msg *out)
{
	if (buf == NULL || out == NULL)
		return -EINVAL;

	out->u.base = NULL;
	out->payload = NULL;
	out->hdr_err = gs_hdr_decode(buf, len, &out->hdr);
	if (out->hdr_err != GS_HDR_OK)
		return -EBADMSG;

	out->payload = buf + GS_WIRE_HDR_LEN;
	if (!is_known_type(out->hdr.type))
		return -ENOMSG;

	/* The arena is per message: whatever the last parse allocated is forgotten. */
	gs_pb_arena_init(&out->arena, out->mem, sizeof(out->mem));
	out->u.base = protobuf_c_message_unpack(
		payload_desc[out->hdr.type], &out->arena.alloc, out->hdr.payload_len, out->payload);
	if (out->u.base == NULL)
		return -EBADMSG;
	return 0;
}

void
gsc_session_init(struct gsc_session *s, uint64_t player_id)
{
	memset(s, 0, sizeof(*s));
	s->state = GSC_STATE_DISCONNECTED;
	s->player_id = player_id;
	s->error_code = -1;
	s->disconnect_reason = -1;
}

void
gsc_session_set_token(struct gsc_session *s, const uint8_t token[GS_TOKEN_LEN],
	const uint8_t c2s[GS_PKT_KEY_LEN], const uint8_t s2c[GS_PKT_KEY_LEN])
{
	s->secure = true;
	memcpy(s->token, token, GS_TOKEN_LEN);
	memcpy(s->c2s_key, c2s, GS_PKT_KEY_LEN);
	memcpy(s->s2c_key, s2c, GS_PKT_KEY_LEN);
	s->have_cookie = false;
}

int
gsc_token_line_parse(char *line, uint8_t token[GS_TOKEN_LEN], uint8_t c2s[GS_PKT_KEY_LEN],
	uint8_t s2c[GS_PKT_KEY_LEN])
{
	unsigned int found = 0;
	char *save = NULL;

	for (char *w = strtok_r(line, " \t\n", &save); w != NULL;
		w = strtok_r(NULL, " \t\n", &save)) {
		if (strncmp(w, "token=", 6) == 0 && gs_unhex(token, GS_TOKEN_LEN, w + 6) == 0)
			found |= 1;
		else if (strncmp(w, "c2s=", 4) == 0 && gs_unhex(c2s, GS_PKT_KEY_LEN, w + 4) == 0)
			found |= 2;
		else if (strncmp(w, "s2c=", 4) == 0 && gs_unhex(s2c, GS_PKT_KEY_LEN, w + 4) == 0)
			found |= 4;
	}
	return found == 7 ? 0 : -EINVAL;
}

/* A datagram of @p type was framed in @p buf with the session's id and next sequence number: tag (with a token) and count it. */
static void
produced(struct gsc_session *s, uint8_t type, uint8_t *buf, size_t len)
{
	if (s->secure && s->session_id != 0)
		gs_tag_sign(s->c2s_key, buf, len);
	s->tx_seq++;
	s->stats.tx_pkts++;
	if (type < GSC_MSG_TYPES)
		s->stats.tx_by_type[type]++;
}

/* Frame @p payload with the session's id and next sequence number (tagged with a token), and count it. */
static int
produce(struct gsc_session *s, uint8_t type, const ProtobufCMessage *payload, uint8_t *buf,
	size_t cap, size_t *len)
{
	int ret;

	ret = gsc_frame_build(buf, cap, type, s->session_id, s->tx_seq, payload, len);
	if (ret < 0)
		return ret;
	produced(s, type, buf, *len);
	return 0;
}

int
gsc_session_connect(struct gsc_session *s, uint64_t now_ns, uint8_t *buf, size_t cap, size_t *len)
{
	Gs__Connect msg = GS__CONNECT__INIT;
	int ret;

	if (s == NULL)
		return -EINVAL;
	if (s->state == GSC_STATE_CONNECTED)
		return -EISCONN;
	if (s->state == GSC_STATE_CLOSED)
		return -ESHUTDOWN;

	if (s->state == GSC_STATE_DISCONNECTED) { /* a new attempt: a new nonce */
		if (gs_auth_init() < 0)
			return -EIO;
		randombytes_buf(s->connect_nonce, sizeof(s->connect_nonce));
	}
	msg.client_version = CLIENT_VERSION;
	msg.player_id = s->player_id;
	msg.client_time_ns = now_ns;
	if (s->secure) {
		static const uint8_t zeros[GS_CONNECT_MIN_PAYLOAD];
		size_t size;

		msg.token.data = s->token;
		msg.token.len = sizeof(s->token);
		if (s->have_cookie) { /* once: a lost answer means a new challenge */
			msg.cookie.data = s->cookie;
			msg.cookie.len = sizeof(s->cookie);
			s->have_cookie = false;
		}
		/* pad so that the server never answers with more than we sent */
		msg.padding.data = (uint8_t *)(uintptr_t)zeros;
		for (size = protobuf_c_message_get_packed_size(&msg.base);
			size < GS_CONNECT_MIN_PAYLOAD && msg.padding.len < sizeof(zeros);
			size = protobuf_c_message_get_packed_size(&msg.base))
			msg.padding.len += GS_CONNECT_MIN_PAYLOAD - size;
	}
	ret = produce(s, GS_MSG_CONNECT, &msg.base, buf, cap, len);
	if (ret < 0)
		return ret;
	/* no session to tag with yet: the field carries the nonce its answers must echo */
	memcpy(buf + GS_WIRE_AUTH_OFF, s->connect_nonce, sizeof(s->connect_nonce));
	if (s->state == GSC_STATE_DISCONNECTED) {
		s->state = GSC_STATE_CONNECTING;
		s->first_connect_ns = now_ns;
	}
	return 0;
}

int
gsc_session_heartbeat(struct gsc_session *s, uint64_t now_ns, uint8_t *buf, size_t cap, size_t *len)
{
	Gs__Heartbeat msg = GS__HEARTBEAT__INIT;
	unsigned int slot;
	int ret;

	if (s == NULL)
		return -EINVAL;
	if (s->state != GSC_STATE_CONNECTED)
		return -ENOTCONN;

	/* Unique, non-zero echo values: 0 marks a free slot. */
	if (now_ns <= s->hb_last_ns)
		now_ns = s->hb_last_ns + 1;
	msg.client_time_ns = now_ns;
	ret = produce(s, GS_MSG_HEARTBEAT, &msg.base, buf, cap, len);
	if (ret < 0)
		return ret;

	slot = (unsigned int)(s->hb_sent % GSC_HB_RING);
	if (s->hb_ring[slot] != 0) {
		/* Oldest heartbeat still unacked: forget it, an ack may come late. */
		s->hb_evict_max = s->hb_ring[slot];
		s->stats.hb_evicted++;
	} else {
		s->hb_outstanding++;
	}
	s->hb_ring[slot] = now_ns;
	s->hb_last_ns = now_ns;
	s->hb_sent++;
	return 0;
}

int
gsc_session_move(struct gsc_session *s, uint64_t now_ns, uint32_t entity, float x, float y, float z,
	uint32_t seq, uint8_t *buf, size_t cap, size_t *len)
{
	Gs__Move msg = GS__MOVE__INIT;

	if (s == NULL)
		return -EINVAL;
	if (s->state != GSC_STATE_CONNECTED)
		return -ENOTCONN;

	msg.entity_id = entity;
	msg.x = x;
	msg.y = y;
	msg.z = z;
	msg.seq = seq;
	msg.client_time_ns = now_ns;
	return produce(s, GS_MSG_MOVE, &msg.base, buf, cap, len);
}

int
gsc_session_attack(struct gsc_session *s, uint64_t now_ns, uint32_t target, uint32_t skill,
	uint32_t seq, uint8_t *buf, size_t cap, size_t *len)
{
	Gs__Attack msg = GS__ATTACK__INIT;

	if (s == NULL)
		return -EINVAL;
	if (s->state != GSC_STATE_CONNECTED)
		return -ENOTCONN;

	msg.attacker = s->entity_id;
	msg.target = target;
	msg.skill = skill;
	msg.seq = seq;
	msg.client_time_ns = now_ns;
	return produce(s, GS_MSG_ATTACK, &msg.base, buf, cap, len);
}

int
gsc_session_disconnect(struct gsc_session *s, uint8_t *buf, size_t cap, size_t *len)
{
	Gs__Disconnect msg = GS__DISCONNECT__INIT;
	int ret;

	if (s == NULL)
		return -EINVAL;
	if (s->state != GSC_STATE_CONNECTED)
		return -ENOTCONN;

	msg.reason = GS__DISCONNECT__REASON__CLIENT_QUIT;
	ret = produce(s, GS_MSG_DISCONNECT, &msg.base, buf, cap, len);
	if (ret < 0)
		return ret;
	s->state = GSC_STATE_CLOSED;
	return 0;
}

int
gsc_session_raw(struct gsc_session *s, uint8_t type, const uint8_t *payload, size_t payload_len,
	uint8_t *buf, size_t cap, size_t *len)
{
	int ret;

	/* the session range is the state machine's: a raw CONNECT or DISCONNECT would bypass it */
	if (s == NULL || type < GS_MSG_MOVE_FIRST)
		return -EINVAL;
	if (s->state != GSC_STATE_CONNECTED)
		return -ENOTCONN;

	ret = gsc_frame_build_raw(
		buf, cap, type, s->session_id, s->tx_seq, payload, payload_len, len);
	if (ret < 0)
		return ret;
	produced(s, type, buf, *len);
	s->stats.tx_raw++;
	return 0;
}

void
gsc_session_set_raw_rx(struct gsc_session *s, bool on)
{
	s->raw_rx = on;
}

void
gsc_session_set_repl(struct gsc_session *s, struct gsc_repl *r)
{
	s->repl = r;
}

int
gsc_session_snapshot_ack(struct gsc_session *s, uint8_t *buf, size_t cap, size_t *len)
{
	Gs__SnapshotAck msg = GS__SNAPSHOT_ACK__INIT;
	int ret;

	if (s == NULL || buf == NULL || len == NULL || s->repl == NULL)
		return -EINVAL;
	if (s->state != GSC_STATE_CONNECTED)
		return -ENOTCONN;
	if (s->repl->newest == 0)
		return -ENODATA;

	msg.tick = s->repl->newest;
	ret = produce(s, GS_MSG_SNAPSHOT_ACK, &msg.base, buf, cap, len);
	if (ret < 0)
		return ret;
	s->repl->stats.acks_sent++;
	return 0;
}

/*
 * A SNAPSHOT for a session with a gsc_repl: like the game answers, for an
 * accepted session (and still after it CLOSED). Applied or dropped as old or
 * without its baseline, it is an event; refused, -EBADMSG.
 */
static int
on_snapshot(struct gsc_session *s, const struct gsc_msg *m, uint64_t now_ns, struct gsc_event *ev)
{
	int ret;

	if (s->session_id == 0)
		return -EPROTO;
	if (m->hdr.session_id != s->session_id)
		return -ESTALE;
	ret = gsc_repl_input(s->repl, m->payload, m->hdr.payload_len, now_ns, &ev->u.snapshot);
	if (ret == -EBADMSG)
		return ret;
	ev->type = GSC_EVENT_SNAPSHOT;
	return 0;
}

/* Server sequence numbers: count skipped ones and those older than the newest. */
static void
track_seq(struct gsc_session *s, uint32_t seq)
{
	int32_t d;

	if (!s->rx_seq_valid) {
		s->rx_seq_valid = true;
		s->rx_seq_next = seq + 1;
		return;
	}
	d = (int32_t)(seq - s->rx_seq_next); /* serial-number arithmetic, wraps */
	if (d < 0) {
		s->stats.seq_reordered++;
		return;
	}
	s->stats.seq_gaps += (uint32_t)d;
	s->rx_seq_next = seq + 1;
}

static int
on_accept(struct gsc_session *s, const struct gsc_msg *m, uint64_t now_ns, struct gsc_event *ev)
{
	const Gs__ConnectAccept *a = m->u.accept;

	if (s->state == GSC_STATE_CONNECTED) {
		if (m->hdr.session_id != s->session_id)
			return -ESTALE;
		s->stats.rx_dup_accept++;
		return 0;
	}
	if (s->state != GSC_STATE_CONNECTING)
		return -EPROTO;
	if (m->hdr.session_id == 0 || a->session_id != m->hdr.session_id)
		return -EBADMSG;

	s->session_id = a->session_id;
	s->heartbeat_interval_ms = a->heartbeat_interval_ms;
	s->idle_timeout_ms = a->idle_timeout_ms;
	s->entity_id = a->entity_id;
	s->spawn[0] = a->spawn_x;
	s->spawn[1] = a->spawn_y;
	s->spawn[2] = a->spawn_z;
	s->connected_ns = now_ns;
	s->state = GSC_STATE_CONNECTED;
	ev->type = GSC_EVENT_CONNECTED;
	ev->rtt_ns = now_ns >= a->client_time_ns ? now_ns - a->client_time_ns : 0;
	ev->elapsed_ns = now_ns - s->first_connect_ns;
	return 0;
}

static int
on_heartbeat_ack(
	struct gsc_session *s, const struct gsc_msg *m, uint64_t now_ns, struct gsc_event *ev)
{
	uint64_t t = m->u.heartbeat_ack->client_time_ns;
	unsigned int i;

	if (s->state != GSC_STATE_CONNECTED && s->state != GSC_STATE_CLOSED)
		return -EPROTO;
	if (m->hdr.session_id != s->session_id)
		return -ESTALE;
	if (t == 0 || t > now_ns)
		return -EPROTO;

	ev->rtt_ns = now_ns - t;
	for (i = 0; i < GSC_HB_RING; i++) {
		if (s->hb_ring[i] == t) {
			s->hb_ring[i] = 0;
			s->hb_outstanding--;
			s->stats.hb_acked++;
			s->last_rtt_ns = ev->rtt_ns;
			ev->type = GSC_EVENT_HEARTBEAT_ACK;
			return 0;
		}
	}
	/*
	 * Not in the ring: an ack for an evicted heartbeat is late but real. There
	 * cannot be more of those than evictions; anything else is a duplicate or
	 * an echo we never sent.
	 */
	if (t <= s->hb_evict_max && s->stats.hb_late < s->stats.hb_evicted) {
		s->stats.hb_late++;
		s->last_rtt_ns = ev->rtt_ns;
		ev->type = GSC_EVENT_HEARTBEAT_ACK;
		ev->late = true;
		return 0;
	}
	return -EPROTO;
}

static int
on_disconnect(struct gsc_session *s, const struct gsc_msg *m, struct gsc_event *ev)
{
	if (s->state != GSC_STATE_CONNECTED)
		return -EPROTO;
	if (m->hdr.session_id != s->session_id)
		return -ESTALE;
	s->state = GSC_STATE_CLOSED;
	s->disconnect_reason = m->u.disconnect->reason;
	ev->type = GSC_EVENT_DISCONNECTED;
	ev->code = s->disconnect_reason;
	return 0;
}

/*
 * A datagram of session 0 is an answer to our CONNECT only if it echoes the
 * attempt's nonce: anyone who knows our address can send one that does not.
 */
static bool
echoes_nonce(const struct gsc_session *s, const struct gsc_msg *m)
{
	return sodium_memcmp(m->hdr.auth_tag, s->connect_nonce, sizeof(s->connect_nonce)) == 0;
}

static int
on_challenge(struct gsc_session *s, const struct gsc_msg *m, struct gsc_event *ev)
{
	const Gs__Challenge *c = m->u.challenge;

	if (s->state != GSC_STATE_CONNECTING || !s->secure)
		return -EPROTO;
	if (m->hdr.session_id != 0)
		return -EBADMSG;
	if (!echoes_nonce(s, m))
		return -EACCES;
	if (c->cookie.len != GS_COOKIE_LEN)
		return -EBADMSG;
	memcpy(s->cookie, c->cookie.data, GS_COOKIE_LEN);
	s->have_cookie = true;
	s->stats.challenges++;
	ev->type = GSC_EVENT_CHALLENGE;
	return 0;
}

static int
on_session_error(struct gsc_session *s, const struct gsc_msg *m, struct gsc_event *ev)
{
	if (s->state != GSC_STATE_CONNECTING && s->state != GSC_STATE_CONNECTED)
		return -EPROTO;
	if (m->hdr.session_id == 0) {
		/* no session named: only an answer to this attempt's CONNECT */
		if (s->state != GSC_STATE_CONNECTING)
			return -EPROTO;
		if (!echoes_nonce(s, m))
			return -EACCES;
	} else if (m->hdr.session_id != s->session_id) {
		return -ESTALE;
	}
	s->state = GSC_STATE_CLOSED;
	s->error_code = m->u.error->code;
	s->stats.session_errors++;
	ev->type = GSC_EVENT_ERROR;
	ev->code = s->error_code;
	return 0;
}

/*
 * MOVE_ACK, MOVE_REJECT, ATTACK_RESULT, DAMAGED: for an accepted session (its id
 * is non-zero), and like heartbeat acks still welcome once it CLOSED.
 */
static int
on_game(struct gsc_session *s, const struct gsc_msg *m, uint64_t now_ns, struct gsc_event *ev)
{
	uint64_t echo;

	if (s->session_id == 0)
		return -EPROTO;
	if (m->hdr.session_id != s->session_id)
		return -ESTALE;

	switch (m->hdr.type) {
	case GS_MSG_MOVE_ACK:
		ev->type = GSC_EVENT_MOVE_ACK;
		ev->u.move_ack = m->u.move_ack;
		echo = m->u.move_ack->client_time_ns;
		break;
	case GS_MSG_MOVE_REJECT:
		ev->type = GSC_EVENT_MOVE_REJECT;
		ev->u.move_reject = m->u.move_reject;
		echo = m->u.move_reject->client_time_ns;
		break;
	case GS_MSG_ATTACK_RESULT:
		ev->type = GSC_EVENT_ATTACK_RESULT;
		ev->u.attack_result = m->u.attack_result;
		echo = m->u.attack_result->client_time_ns;
		break;
	default: /* DAMAGED: news, no echo */
		ev->type = GSC_EVENT_DAMAGED;
		ev->u.damaged = m->u.damaged;
		return 0;
	}
	if (echo > now_ns)
		return -EPROTO;
	ev->rtt_ns = now_ns - echo;
	return 0;
}

/*
 * A type the library does not decode, for a caller that asked for them
 * (gsc_session_set_raw_rx()): like the game answers, for an accepted session
 * and still after it CLOSED. The payload is handed over as it came.
 */
static int
on_raw(struct gsc_session *s, const struct gsc_msg *m, struct gsc_event *ev)
{
	if (s->session_id == 0)
		return -EPROTO;
	if (m->hdr.session_id != s->session_id)
		return -ESTALE;
	ev->type = GSC_EVENT_RAW;
	ev->u.raw.type = m->hdr.type;
	ev->u.raw.payload = m->payload;
	ev->u.raw.len = m->hdr.payload_len;
	return 0;
}

static void
count_refused(struct gsc_session *s, int ret)
{
	switch (ret) {
	case -EBADMSG:
		s->stats.rx_bad++;
		break;
	case -ENOMSG:
		s->stats.rx_not_session++;
		break;
	case -ESTALE:
		s->stats.rx_wrong_session++;
		break;
	case -EACCES:
		s->stats.rx_bad_tag++;
		break;
	case -EALREADY:
		s->stats.rx_replayed++;
		break;
	default:
		s->stats.rx_unexpected++;
		break;
	}
}

int
gsc_session_input(struct gsc_session *s, const uint8_t *buf, size_t len, uint64_t now_ns,
	struct gsc_event *ev)
{
	struct gsc_msg *m;
	bool raw, snapshot;
	int ret;

	if (s == NULL || buf == NULL || ev == NULL)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));

	m = &s->rx;
	ret = gsc_frame_parse(buf, len, m);
	/* a valid header of a type gsc_frame_parse() does not unpack */
	snapshot = ret == -ENOMSG && m->hdr.type == GS_MSG_SNAPSHOT && s->repl != NULL;
	raw = ret == -ENOMSG && !snapshot && s->raw_rx;
	if ((ret == 0 || raw || snapshot) && s->secure && m->hdr.session_id != 0) {
		uint8_t tag[8];

		/* everything of a session comes tagged: check before believing it */
		gs_tag_compute(s->s2c_key, buf, len, tag);
		if (!gs_tag_equal(tag, m->hdr.auth_tag))
			ret = -EACCES;
		else if (gs_replay_check(&s->rx_replay, m->hdr.sequence) != GS_REPLAY_NEW)
			ret = -EALREADY;
	}
	if (ret == -ENOMSG && snapshot) {
		ret = on_snapshot(s, m, now_ns, ev);
	} else if (ret == -ENOMSG && raw) {
		ret = on_raw(s, m, ev);
	} else if (ret == 0) {
		switch (m->hdr.type) {
		case GS_MSG_CONNECT_ACCEPT:
			ret = on_accept(s, m, now_ns, ev);
			break;
		case GS_MSG_HEARTBEAT_ACK:
			ret = on_heartbeat_ack(s, m, now_ns, ev);
			break;
		case GS_MSG_DISCONNECT:
			ret = on_disconnect(s, m, ev);
			break;
		case GS_MSG_SESSION_ERROR:
			ret = on_session_error(s, m, ev);
			break;
		case GS_MSG_CHALLENGE:
			ret = on_challenge(s, m, ev);
			break;
		case GS_MSG_MOVE_ACK:
		case GS_MSG_MOVE_REJECT:
		case GS_MSG_ATTACK_RESULT:
		case GS_MSG_DAMAGED:
			ret = on_game(s, m, now_ns, ev);
			break;
		default: /* CONNECT, HEARTBEAT, MOVE, ATTACK, SNAPSHOT_ACK: client-to-server only */
			ret = -EPROTO;
			break;
		}
	}
	if (ret < 0) {
		memset(ev, 0, sizeof(*ev));
		count_refused(s, ret);
		return ret;
	}

	if (s->secure && m->hdr.session_id != 0)
		gs_replay_accept(&s->rx_replay, m->hdr.sequence);
	if (m->hdr.session_id != 0) /* the server numbers a session's packets */
		track_seq(s, m->hdr.sequence);
	s->stats.rx_pkts++;
	if (m->hdr.type < GSC_MSG_TYPES)
		s->stats.rx_by_type[m->hdr.type]++;
	if (ev->type == GSC_EVENT_RAW)
		s->stats.rx_raw++;
	return 0;
}

const char *
gsc_state_str(enum gsc_state st)
{
	switch (st) {
	case GSC_STATE_DISCONNECTED:
		return "DISCONNECTED";
	case GSC_STATE_CONNECTING:
		return "CONNECTING";
	case GSC_STATE_CONNECTED:
		return "CONNECTED";
	case GSC_STATE_CLOSED:
		return "CLOSED";
	}
	return "?";
}

void
gsc_hist_reset(struct gsc_hist *h)
{
	memset(h, 0, sizeof(*h));
}

static unsigned int
hist_index(uint64_t v)
{
	unsigned int e;

	if (v < (1u << GSC_HIST_SUB_BITS))
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v); /* >= GSC_HIST_SUB_BITS */
	return ((e - GSC_HIST_SUB_BITS + 1) << GSC_HIST_SUB_BITS) +
	       (unsigned int)((v >> (e - GSC_HIST_SUB_BITS)) - (1u << GSC_HIST_SUB_BITS));
}

/* The middle of bucket @p i. */
static uint64_t
hist_value(unsigned int i)
{
	unsigned int e, sub;
	uint64_t lo, width;

	if (i < (1u << GSC_HIST_SUB_BITS))
		return i;
	e = (i >> GSC_HIST_SUB_BITS) + GSC_HIST_SUB_BITS - 1;
	sub = i & ((1u << GSC_HIST_SUB_BITS) - 1);
	width = (uint64_t)1 << (e - GSC_HIST_SUB_BITS);
	lo = ((uint64_t)(1u << GSC_HIST_SUB_BITS) + sub) << (e - GSC_HIST_SUB_BITS);
	return lo + (width - 1) / 2;
}

void
gsc_hist_add(struct gsc_hist *h, uint64_t v)
{
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->bucket[hist_index(v)]++;
}

uint64_t
gsc_hist_percentile(const struct gsc_hist *h, double p)
{
	uint64_t rank, seen = 0, v;
	double r;
	unsigned int i;

	if (h->count == 0)
		return 0;
	if (p >= 100.0)
		return h->max;

	r = p / 100.0 * (double)h->count;
	rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	if (rank == 0)
		rank = 1;

	for (i = 0; i < GSC_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	v = hist_value(i);
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}
