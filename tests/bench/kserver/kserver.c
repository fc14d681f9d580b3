/* SPDX-License-Identifier: BSD-3-Clause */
#include "kserver.h"

#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gs_auth.h"
#include "gs_class.h"
#include "gs_game_pb.h"

#include "combat.pb-c.h"
#include "move.pb-c.h"
#include "session.pb-c.h"

static const char *const drop_names[KS_DROP_MAX] = {
#define KS_DROP_NAME(sym, name) [KS_DROP_##sym] = name,
	KS_FOREACH_DROP(KS_DROP_NAME)
#undef KS_DROP_NAME
};

const char *
ks_drop_name(enum ks_drop d)
{
	return (unsigned int)d < KS_DROP_MAX ? drop_names[d] : "?";
}

/* --- the session hashes ---------------------------------------------------------------- */

static inline uint32_t
hash_id(uint32_t id)
{
	return gs_mix32(id);
}

static inline uint32_t
hash_peer(const struct ks_peer *p)
{
	return gs_mix32(gs_mix32(p->ip) ^ ((uint32_t)p->port * 0x9e3779b1u));
}

static inline uint32_t
slot_of(const struct ks_server *ks, const struct ks_session *s)
{
	return (uint32_t)(s - ks->s);
}

/* The bucket of the home of the entry naming slot + 1 @p v. */
static inline uint32_t
home_id(const struct ks_server *ks, uint32_t v)
{
	return hash_id(ks->s[v - 1].id) & ks->mask;
}

static inline uint32_t
home_peer(const struct ks_server *ks, uint32_t v)
{
	return hash_peer(&ks->s[v - 1].peer) & ks->mask;
}

struct ks_session *
ks_find(const struct ks_server *ks, uint32_t id)
{
	uint32_t b, v;

	if (id == 0)
		return NULL;
	for (b = hash_id(id) & ks->mask; (v = ks->by_id[b]) != 0; b = (b + 1) & ks->mask)
		if (ks->s[v - 1].id == id)
			return &ks->s[v - 1];
	return NULL;
}

struct ks_session *
ks_find_peer(const struct ks_server *ks, const struct ks_peer *peer)
{
	uint32_t b, v;

	for (b = hash_peer(peer) & ks->mask; (v = ks->by_peer[b]) != 0; b = (b + 1) & ks->mask) {
		const struct ks_session *s = &ks->s[v - 1];

		if (s->peer.ip == peer->ip && s->peer.port == peer->port)
			return &ks->s[v - 1];
	}
	return NULL;
}

static void
tbl_insert(uint32_t *t, uint32_t mask, uint32_t home, uint32_t v)
{
	uint32_t b = home;

	while (t[b] != 0)
		b = (b + 1) & mask;
	t[b] = v;
}

/*
 * Remove slot + 1 @p v from table @p t (linear probing) by shifting back the
 * entries of its cluster that would no longer be found: no tombstones.
 */
static void
tbl_remove(struct ks_server *ks, uint32_t *t, uint32_t home, uint32_t v,
	uint32_t (*home_of)(const struct ks_server *, uint32_t))
{
	uint32_t i = home, j;

	while (t[i] != v) {
		if (t[i] == 0)
			return; /* not there: cannot happen */
		i = (i + 1) & ks->mask;
	}
	for (;;) {
		t[i] = 0;
		for (j = (i + 1) & ks->mask;; j = (j + 1) & ks->mask) {
			uint32_t k;

			if (t[j] == 0)
				return;
			k = home_of(ks, t[j]);
			/* t[j] stays when its home lies cyclically in (i, j] */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			t[i] = t[j];
			i = j;
			break;
		}
	}
}

static uint32_t
rand32(struct ks_server *ks)
{
	ks->rng ^= ks->rng >> 12;
	ks->rng ^= ks->rng << 25;
	ks->rng ^= ks->rng >> 27;
	return (uint32_t)((ks->rng * 0x2545f4914f6cdd1dull) >> 32);
}

/*
 * Open a session for @p peer, or find the one it has.
 *
 * @return 0, -EEXIST (*out: the address's session), -ENOSPC.
 */
static int
session_open(struct ks_server *ks, const struct ks_peer *peer, uint64_t player_id, uint64_t now,
	struct ks_session **out)
{
	struct ks_session *s = ks_find_peer(ks, peer);
	uint32_t id, slot;

	if (s != NULL) {
		*out = s;
		return -EEXIST;
	}
	if (ks->nfree == 0)
		return -ENOSPC;
	do
		id = rand32(ks);
	while (id == 0 || ks_find(ks, id) != NULL);
	slot = ks->free[--ks->nfree];
	s = &ks->s[slot];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->peer = *peer;
	s->player_id = player_id;
	s->last_seen = now;
	tbl_insert(ks->by_id, ks->mask, hash_id(id) & ks->mask, slot + 1);
	tbl_insert(ks->by_peer, ks->mask, hash_peer(peer) & ks->mask, slot + 1);
	ks->count++;
	*out = s;
	return 0;
}

static void
session_close(struct ks_server *ks, struct ks_session *s)
{
	uint32_t slot = slot_of(ks, s);

	tbl_remove(ks, ks->by_id, hash_id(s->id) & ks->mask, slot + 1, home_id);
	tbl_remove(ks, ks->by_peer, hash_peer(&s->peer) & ks->mask, slot + 1, home_peer);
	s->id = 0;
	ks->free[ks->nfree++] = slot;
	ks->count--;
}

/* --- replies ----------------------------------------------------------------------------- */

void
ks_flush(struct ks_server *ks)
{
	unsigned int sent;

	if (ks->ntx == 0)
		return;
	sent = ks->flush(ks->flush_arg, ks->tx, ks->ntx);
	if (sent > ks->ntx)
		sent = ks->ntx;
	ks->st.tx += sent;
	ks->st.drops[KS_DROP_TX_ERROR] += ks->ntx - sent;
	ks->ntx = 0;
}

/*
 * Queue a datagram to @p peer: header @p h (type, session id, sequence, auth
 * tag set by the caller) and @p pb packed after it.
 */
static void
queue(struct ks_server *ks, const struct ks_peer *peer, struct gs_hdr *h,
	const ProtobufCMessage *pb)
{
	struct ks_out *o;

	if (ks->ntx == KS_TX_MAX)
		ks_flush(ks);
	o = &ks->tx[ks->ntx++];
	o->peer = *peer;
	h->magic = GS_WIRE_MAGIC;
	h->version = GS_WIRE_VERSION;
	h->payload_len = (uint16_t)protobuf_c_message_pack(pb, o->buf + GS_WIRE_HDR_LEN);
	o->len = (uint32_t)(gs_hdr_encode(h, o->buf, sizeof(o->buf)) + h->payload_len);
}

/* Queue a reply of @p type packing @p pb to session @p s, numbered with its next sequence number. */
static void
reply(struct ks_server *ks, struct ks_session *s, uint8_t type, const ProtobufCMessage *pb)
{
	struct gs_hdr h = { .type = type, .session_id = s->id };

	if (protobuf_c_message_get_packed_size(pb) > GS_WIRE_MAX_PAYLOAD)
		return; /* none of ours comes near */
	h.sequence = s->tx_seq++;
	queue(ks, &s->peer, &h, pb);
}

/*
 * Queue the answer of no session (session id 0, sequence 0) to CONNECT @p req
 * from @p peer: its auth_tag field, the client's connect nonce, echoed.
 */
static void
answer_connect(struct ks_server *ks, const struct gs_hdr *req, const struct ks_peer *peer,
	uint8_t type, const ProtobufCMessage *pb)
{
	struct gs_hdr h = { .type = type };

	if (protobuf_c_message_get_packed_size(pb) > GS_WIRE_MAX_PAYLOAD)
		return;
	memcpy(h.auth_tag, req->auth_tag, sizeof(h.auth_tag));
	queue(ks, peer, &h, pb);
}

/* --- session messages (gs-session) ------------------------------------------------------- */

static void
on_connect(struct ks_server *ks, const struct gs_hdr *h, const uint8_t *payload,
	const struct ks_peer *peer, uint64_t now)
{
	Gs__Connect *c = gs__connect__unpack(&ks->arena.alloc, h->payload_len, payload);
	Gs__ConnectAccept acc = GS__CONNECT_ACCEPT__INIT;
	struct ks_session *s;
	float spawn[3];
	int ret;

	if (c == NULL) {
		ks->st.drops[KS_DROP_BAD_PAYLOAD]++;
		return;
	}
	ret = session_open(ks, peer, c->player_id, now, &s);
	if (ret == -EEXIST) {
		/* a retransmitted CONNECT: our accept was lost or late */
		ks->st.reconnects++;
		s->last_seen = now;
	} else if (ret < 0) {
		Gs__SessionError err = GS__SESSION_ERROR__INIT;

		ks->st.drops[KS_DROP_TABLE_FULL]++;
		err.code = GS__SESSION_ERROR__CODE__TABLE_FULL;
		answer_connect(ks, h, peer, GS_MSG_SESSION_ERROR, &err.base);
		return;
	} else {
		ks->st.connects++;
	}
	gs_world_spawn_point(ks->world, slot_of(ks, s) + 1, 0, spawn);
	acc.session_id = s->id;
	acc.entity_id = slot_of(ks, s) + 1;
	acc.spawn_x = spawn[0];
	acc.spawn_y = spawn[1];
	acc.spawn_z = spawn[2];
	acc.client_time_ns = c->client_time_ns;
	acc.server_time_ns = gs_wall_ns();
	acc.heartbeat_interval_ms = KS_HEARTBEAT_MS;
	acc.idle_timeout_ms = (uint32_t)(ks->idle_ns / 1000000u);
	reply(ks, s, GS_MSG_CONNECT_ACCEPT, &acc.base);
}

static void
on_heartbeat(
	struct ks_server *ks, struct ks_session *s, const struct gs_hdr *h, const uint8_t *payload)
{
	Gs__Heartbeat *hb = gs__heartbeat__unpack(&ks->arena.alloc, h->payload_len, payload);
	Gs__HeartbeatAck ack = GS__HEARTBEAT_ACK__INIT;

	if (hb == NULL) {
		ks->st.drops[KS_DROP_BAD_PAYLOAD]++;
		return;
	}
	ks->st.heartbeats++;
	ack.client_time_ns = hb->client_time_ns;
	ack.server_time_ns = gs_wall_ns();
	reply(ks, s, GS_MSG_HEARTBEAT_ACK, &ack.base);
}

/* --- movement (gs-move) ------------------------------------------------------------------ */

static void
move_reject(struct ks_server *ks, struct ks_session *s, const Gs__Move *mv,
	Gs__MoveReject__Reason why, const float pos[3])
{
	Gs__MoveReject rej;

	gs_pb_move_reject(&rej, mv, why, pos);
	reply(ks, s, GS_MSG_MOVE_REJECT, &rej.base);
}

static void
on_move(struct ks_server *ks, struct ks_session *s, const struct gs_hdr *h, const uint8_t *payload,
	uint64_t now)
{
	Gs__Move *mv = gs__move__unpack(&ks->arena.alloc, h->payload_len, payload);
	uint32_t entity = slot_of(ks, s) + 1;
	struct gs_move_req req;
	enum gs_move_result res;
	float pos[3];

	if (mv == NULL) {
		ks->st.drops[KS_DROP_BAD_PAYLOAD]++;
		return;
	}
	if (mv->entity_id != entity) {
		static const float none[3];

		ks->st.move_not_owner++;
		move_reject(ks, s, mv, GS__MOVE_REJECT__REASON__NOT_OWNER, none);
		return;
	}
	gs_pb_move_req(&req, mv, s->id, now);
	res = gs_world_move(ks->world, &req, ks->pid, pos);
	ks->st.move_results[res]++;
	if (res == GS_MOVE_ACCEPTED) {
		Gs__MoveAck ack;

		gs_pb_move_ack(&ack, mv, pos);
		reply(ks, s, GS_MSG_MOVE_ACK, &ack.base);
		return;
	}
	if (res != GS_MOVE_STALE) /* late and duplicate moves are ignored */
		move_reject(ks, s, mv, gs_pb_move_reason(res), pos);
}

/* --- combat (gs-combat) ------------------------------------------------------------------ */

static void
on_attack(struct ks_server *ks, struct ks_session *s, const struct gs_hdr *h,
	const uint8_t *payload, uint64_t now)
{
	Gs__Attack *at = gs__attack__unpack(&ks->arena.alloc, h->payload_len, payload);
	struct ks_session *target = NULL;
	Gs__AttackResult ar;
	struct gs_attack_out out = { 0 };
	enum gs_attack_result res;

	if (at == NULL) {
		ks->st.drops[KS_DROP_BAD_PAYLOAD]++;
		return;
	}
	if (at->attacker != slot_of(ks, s) + 1) {
		res = GS_ATTACK_NOT_OWNER;
	} else {
		struct gs_attack_req req = {
			.attacker = at->attacker,
			.attacker_owner = s->id,
			.target = at->target,
			.skill = at->skill,
			.now = now,
		};

		if (at->target != 0 && at->target <= ks->max && ks->s[at->target - 1].id != 0)
			target = &ks->s[at->target - 1];
		req.target_owner = target != NULL ? target->id : 0;
		res = gs_world_attack(ks->world, &req, ks->pid, &out);
	}
	ks->st.attack_results[res]++;
	gs_pb_attack_result(&ar, at, res, &out);
	reply(ks, s, GS_MSG_ATTACK_RESULT, &ar.base);
	if (res == GS_ATTACK_HIT || res == GS_ATTACK_KILLED) {
		Gs__Damaged d;

		gs_pb_damaged(&d, at, res, &out);
		reply(ks, target, GS_MSG_DAMAGED, &d.base);
		ks->st.damaged++;
	}
}

/* --- input ------------------------------------------------------------------------------- */

void
ks_drop(struct ks_server *ks, enum ks_drop why)
{
	if ((unsigned int)why < KS_DROP_MAX)
		ks->st.drops[why]++;
}

static const enum ks_drop hdr_drop[] = {
	[GS_HDR_TRUNCATED] = KS_DROP_GS_TRUNCATED,
	[GS_HDR_BAD_MAGIC] = KS_DROP_GS_MAGIC,
	[GS_HDR_BAD_VERSION] = KS_DROP_GS_VERSION,
	[GS_HDR_BAD_LENGTH] = KS_DROP_GS_LENGTH,
	[GS_HDR_BAD_FLAGS] = KS_DROP_GS_FLAGS,
};

/* The primary's classification table: does a handler class take @p type? */
static bool
type_classified(uint8_t type)
{
	return type == GS_MSG_CONNECT || type == GS_MSG_HEARTBEAT || type == GS_MSG_DISCONNECT ||
	       (type >= GS_MSG_MOVE_FIRST && type <= GS_MSG_COMBAT_LAST);
}

void
ks_input(struct ks_server *ks, const uint8_t *buf, size_t len, const struct ks_peer *peer,
	uint64_t now)
{
	const uint8_t *payload = buf + GS_WIRE_HDR_LEN;
	struct ks_session *s = NULL;
	enum gs_hdr_err err;
	struct gs_hdr h;

	ks->st.rx++;
	err = gs_hdr_decode(buf, len, &h);
	if (err != GS_HDR_OK) {
		ks->st.drops[(unsigned int)err < sizeof(hdr_drop) / sizeof(hdr_drop[0]) ?
				     hdr_drop[err] :
				     KS_DROP_GS_LENGTH]++;
		return;
	}
	if (!type_classified(h.type)) {
		ks->st.drops[KS_DROP_GS_TYPE]++;
		return;
	}
	if (h.type == GS_MSG_CONNECT) {
		if (h.session_id != 0) {
			ks->st.drops[KS_DROP_UNKNOWN_SESSION]++;
			return;
		}
	} else {
		s = ks_find(ks, h.session_id);
		if (s == NULL) {
			ks->st.drops[KS_DROP_UNKNOWN_SESSION]++;
			return;
		}
		if (s->peer.ip != peer->ip || s->peer.port != peer->port) {
			ks->st.drops[KS_DROP_WRONG_ADDRESS]++;
			return;
		}
		/* every message counts as activity (MOVE and ATTACK too) */
		s->last_seen = now;
		s->rx_seq = h.sequence;
	}
	gs_pb_arena_reset(&ks->arena);
	switch (h.type) {
	case GS_MSG_CONNECT:
		on_connect(ks, &h, payload, peer, now);
		break;
	case GS_MSG_HEARTBEAT:
		on_heartbeat(ks, s, &h, payload);
		break;
	case GS_MSG_DISCONNECT:
		ks->st.disconnects++;
		session_close(ks, s);
		break;
	case GS_MSG_MOVE:
		on_move(ks, s, &h, payload, now);
		break;
	case GS_MSG_ATTACK:
		on_attack(ks, s, &h, payload, now);
		break;
	default: /* unassigned movement and combat types */
		ks->st.drops[KS_DROP_BAD_TYPE]++;
		break;
	}
}

void
ks_tick(struct ks_server *ks, uint64_t now)
{
	uint32_t i = ks->sweep_cursor;

	if (now < ks->next_sweep)
		return;
	ks->next_sweep = now + KS_SWEEP_NS;
	for (uint32_t n = ks->sweep_budget; n > 0; n--, i++) {
		struct ks_session *s;

		if (i >= ks->max)
			i = 0;
		s = &ks->s[i];
		if (s->id != 0 && now > s->last_seen && now - s->last_seen > ks->idle_ns) {
			Gs__Disconnect d = GS__DISCONNECT__INIT;

			d.reason = GS__DISCONNECT__REASON__IDLE_TIMEOUT;
			reply(ks, s, GS_MSG_DISCONNECT, &d.base);
			ks->st.expired++;
			session_close(ks, s);
		}
	}
	ks->sweep_cursor = i;
}

/* --- life -------------------------------------------------------------------------------- */

struct ks_server *
ks_create(uint32_t max, const struct gs_world_rules *r, uint64_t now_ns, ks_flush_fn *flush,
	void *flush_arg)
{
	struct ks_server *ks;
	uint32_t buckets = 16;
	size_t wsize;

	if (max == 0 || max > (1u << 24) || flush == NULL) {
		errno = EINVAL;
		return NULL;
	}
	while (buckets < 2 * max)
		buckets <<= 1;
	ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		return NULL;
	ks->max = max;
	ks->mask = buckets - 1;
	ks->by_id = calloc(buckets, sizeof(uint32_t));
	ks->by_peer = calloc(buckets, sizeof(uint32_t));
	ks->free = calloc(max, sizeof(uint32_t));
	ks->s = calloc(max, sizeof(struct ks_session));
	wsize = (gs_world_size(max) + 63) & ~(size_t)63;
	ks->world = aligned_alloc(64, wsize);
	if (ks->by_id == NULL || ks->by_peer == NULL || ks->free == NULL || ks->s == NULL ||
		ks->world == NULL) {
		ks_destroy(ks);
		errno = ENOMEM;
		return NULL;
	}
	/* tsc_hz 1e9: the world's "TSC" is CLOCK_MONOTONIC nanoseconds */
	gs_world_init(ks->world, max, r, 1000000000ull, now_ns);
	for (uint32_t i = 0; i < max; i++)
		ks->free[i] = max - 1 - i; /* slot 0 first */
	ks->nfree = max;
	ks->pid = (int32_t)getpid();
	if (getrandom(&ks->rng, sizeof(ks->rng), 0) != (ssize_t)sizeof(ks->rng))
		ks->rng = now_ns ^ ((uint64_t)ks->pid << 32);
	ks->rng |= 1; /* xorshift: never 0 */
	ks->idle_ns = KS_IDLE_TIMEOUT_MS * 1000000ull;
	ks->sweep_budget = max / KS_SWEEP_STEPS_PER_S + 1;
	ks->next_sweep = now_ns + KS_SWEEP_NS;
	gs_pb_arena_init(&ks->arena, ks->arena_buf, sizeof(ks->arena_buf));
	ks->flush = flush;
	ks->flush_arg = flush_arg;
	return ks;
}

void
ks_destroy(struct ks_server *ks)
{
	if (ks == NULL)
		return;
	free(ks->by_id);
	free(ks->by_peer);
	free(ks->free);
	free(ks->s);
	free(ks->world);
	free(ks);
}
