/* SPDX-License-Identifier: BSD-3-Clause */
#include "session.h"

#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_hash.h>

#include "gs_log.h"
#include "gs_world_shm.h"

#include "session.pb-c.h"

GS_LOG_TYPE(gs.session);

/* Readers hold a session pointer for one packet: a closed slot waits this long. */
#define GRACE_MS    1000
/* The sweep visits the whole table about once per second (100 ticks). */
#define SWEEP_TICKS 100

/* gs-session's own counts, exported by gs-stats (gsnet_handler_events_total) */
#define SESSION_EVENT(field)                                      \
	{                                                         \
#field, offsetof(struct session_ctx, stats.field) \
	}
const struct gs_handler_event session_events[] = {
	SESSION_EVENT(connects),
	SESSION_EVENT(reconnects),
	SESSION_EVENT(heartbeats),
	SESSION_EVENT(disconnects),
	SESSION_EVENT(expired),
	SESSION_EVENT(tokens_forgotten),
};
const unsigned int session_n_events = RTE_DIM(session_events);

static int
auth_init(struct session_ctx *ctx, const struct gs_cfg *cfg)
{
	char err[PATH_MAX + 128], ip[INET_ADDRSTRLEN];
	int ret;

	ctx->token_mode = ctx->h->ctl->auth_mode == GS_AUTH_TOKEN;
	if (!ctx->token_mode) {
		GS_LOG(WARNING, "[auth] mode = open: CONNECT needs no token");
		return 0;
	}
	if (gs_auth_init() < 0) {
		GS_LOG(ERR, "libsodium cannot initialise");
		return -EIO;
	}
	ret = gs_key_load(cfg->key_file, ctx->server_key, err, sizeof(err));
	if (ret < 0) {
		GS_LOG(ERR, "%s ([auth] key_file)", err);
		return ret;
	}
	ret = gs_tokens_used_attach(&ctx->used);
	if (ret < 0) {
		GS_LOG(ERR, "the primary has no used-token table");
		return ret;
	}
	memcpy(ctx->cookie_key, ctx->h->ctl->cookie_key, sizeof(ctx->cookie_key));
	ctx->protocol_id = cfg->protocol_id;
	ctx->server_ip = cfg->ip;
	ctx->server_port = htons(cfg->udp_port);
	ctx->challenge_ttl_ms = cfg->challenge_ttl_ms;
	ctx->max_token_lifetime_s = cfg->max_token_lifetime_s;
	inet_ntop(AF_INET, &cfg->ip, ip, sizeof(ip));
	GS_LOG(NOTICE,
		"connect tokens for %s:%u, protocol %#" PRIx64
		", key from %s, living at most %u s; %u used tokens remembered (%u now): %u connects/s sustained with tokens of that lifetime",
		ip, cfg->udp_port, cfg->protocol_id, cfg->key_file, ctx->max_token_lifetime_s,
		ctx->used.max, (unsigned int)rte_hash_count(ctx->used.hash),
		ctx->used.max / ctx->max_token_lifetime_s);
	return 0;
}

int
session_init(struct session_ctx *ctx, struct gs_handler *h, const struct gs_cfg *cfg)
{
	unsigned int repaired;
	char err[256];
	int ret;

	memset(ctx, 0, offsetof(struct session_ctx, arena_buf));
	ctx->h = h;
	ret = gs_session_tbl_attach(&ctx->tbl);
	if (ret < 0) {
		GS_LOG(ERR, "the primary has no session table");
		return ret;
	}
	ctx->world = gs_world_attach(err, sizeof(err));
	if (ctx->world == NULL) {
		GS_LOG(ERR, "%s", err);
		return -EPROTO;
	}
	if (ctx->world->max_entities < ctx->tbl.max) {
		GS_LOG(ERR, "the world has %u entities for %u sessions", ctx->world->max_entities,
			ctx->tbl.max);
		return -EPROTO;
	}
	ctx->tsc_hz = h->tsc_hz;
	ctx->idle_timeout_ms = cfg->idle_timeout_ms;
	ctx->heartbeat_interval_ms = cfg->heartbeat_interval_ms;
	ctx->idle_cycles = ctx->tsc_hz * cfg->idle_timeout_ms / 1000;
	ctx->grace_cycles = ctx->tsc_hz * GRACE_MS / 1000;
	ctx->sweep_budget = ctx->tbl.max / SWEEP_TICKS + 1;
	ret = auth_init(ctx, cfg);
	if (ret < 0)
		return ret;
	gs_pb_arena_init(&ctx->arena, ctx->arena_buf, sizeof(ctx->arena_buf));
	repaired = gs_session_tbl_repair(&ctx->tbl, rte_get_timer_cycles());
	GS_LOG(NOTICE,
		"session table: %u of %u slots in use, %u address slots reclaimed, idle timeout %u ms",
		gs_session_count(&ctx->tbl), ctx->tbl.max, repaired, cfg->idle_timeout_ms);
	return 0;
}

/*
 * Pack @p pb as the payload of a reply of @p type to session @p s. Answers of
 * no session go with gs_handler_reply_connect_pb(): they echo the CONNECT's nonce.
 */
static int
reply(struct session_ctx *ctx, unsigned int lcore, const struct gs_session *s, uint8_t type,
	const ProtobufCMessage *pb)
{
	return gs_handler_reply_pb(
		ctx->h, lcore, &s->peer, gs_session_slot(&ctx->tbl, s), s->session_id, type, pb);
}

static void
accept_session(struct session_ctx *ctx, unsigned int lcore, const struct gs_session *s,
	uint64_t client_time_ns)
{
	Gs__ConnectAccept acc = GS__CONNECT_ACCEPT__INIT;
	float spawn[3];

	gs_world_spawn_point(ctx->world, s->entity_id, 0, spawn);
	acc.session_id = s->session_id;
	acc.entity_id = s->entity_id;
	acc.spawn_x = spawn[0];
	acc.spawn_y = spawn[1];
	acc.spawn_z = spawn[2];
	acc.client_time_ns = client_time_ns;
	acc.server_time_ns = gs_wall_ns();
	acc.heartbeat_interval_ms = ctx->heartbeat_interval_ms;
	acc.idle_timeout_ms = ctx->idle_timeout_ms;
	reply(ctx, lcore, s, GS_MSG_CONNECT_ACCEPT, &acc.base);
}

/* SESSION_ERROR(TABLE_FULL) to a client we could not give a session: its CONNECT's nonce echoed. */
static void
table_full(struct session_ctx *ctx, unsigned int lcore, const struct gs_msg *m)
{
	Gs__SessionError err = GS__SESSION_ERROR__INIT;

	gs_handler_reject(ctx->h, GS_REJECT_TABLE_FULL);
	err.code = GS__SESSION_ERROR__CODE__TABLE_FULL;
	gs_handler_reply_connect_pb(ctx->h, lcore, m, GS_MSG_SESSION_ERROR, &err.base);
	GS_LOG_RL(WARNING, "session table full (%u sessions)", ctx->tbl.max);
}

/*
 * A new session: its entity's lines forget their last owner before the
 * client learns the id (gs_world_release), so a session id that comes back
 * inherits nothing.
 */
static void
session_opened(struct session_ctx *ctx, const struct gs_session *s)
{
	ctx->stats.connects++;
	if (gs_world_release(ctx->world, s->entity_id, getpid()) < 0)
		GS_LOG_RL(WARNING, "entity %u of session %08x: a line stayed locked", s->entity_id,
			s->session_id);
}

/* [auth] mode = open: anyone gets a session for its address. */
static void
connect_open(
	struct session_ctx *ctx, unsigned int lcore, const struct gs_msg *m, const Gs__Connect *c)
{
	struct gs_session *s;
	int ret = gs_session_open(&ctx->tbl, &m->peer, c->player_id, m->rx_tsc, &s);

	if (ret == -EEXIST) {
		/* the client retransmitted CONNECT: our accept was lost or late */
		ctx->stats.reconnects++;
		s->last_seen_tsc = m->rx_tsc;
	} else if (ret < 0) {
		table_full(ctx, lcore, m);
		return;
	} else {
		session_opened(ctx, s);
		GS_LOG_DP(DEBUG, "session %08x opened for player %" PRIu64, s->session_id,
			c->player_id);
	}
	accept_session(ctx, lcore, s, c->client_time_ns);
}

static enum gs_reject
token_reject(enum gs_token_err e)
{
	switch (e) {
	case GS_TOKEN_EXPIRED:
		return GS_REJECT_TOKEN_EXPIRED;
	case GS_TOKEN_SERVER:
	case GS_TOKEN_PROTOCOL:
		return GS_REJECT_TOKEN_OTHER_SERVER;
	case GS_TOKEN_LIFETIME:
		return GS_REJECT_TOKEN_LIFETIME;
	default:
		return GS_REJECT_TOKEN_FORGED;
	}
}

/*
 * [auth] mode = token. A refused CONNECT gets no answer (counted by reason):
 * a spoofed source learns nothing and no one is sent more than they sent.
 *
 * 1. The primary answered the first CONNECT with a CHALLENGE (its cookie
 *    bound to the client's address, the token's nonce and the time) and
 *    passes on only a CONNECT that returns a valid, fresh cookie; checked
 *    again here, under the same key (gs_control), before the AEAD.
 * 2. The token must open under the server key, be unexpired, for this game
 *    and this server's address, and live no longer than
 *    [auth] max_token_lifetime_s (it is remembered as used until it expires).
 * 3. The token must not have been used before
 *    (unless it opened this very address's session: a retransmit); the
 *    session opens with the token's packet keys, bound to the address. The
 *    token is spent only if the session opens (gs_session_open_token).
 */
static void
connect_token(
	struct session_ctx *ctx, unsigned int lcore, const struct gs_msg *m, const Gs__Connect *c)
{
	uint64_t now_ms = gs_wall_ns() / 1000000u, now_s = now_ms / 1000;
	struct gs_session_keys keys;
	struct gs_session *s;
	enum gs_token_err te;
	enum gs_cookie_err ce;
	struct gs_token t;
	uint32_t opened = 0;
	bool used;
	int ret;

	if (m->hdr.payload_len < GS_CONNECT_MIN_PAYLOAD) {
		gs_handler_reject(ctx->h, GS_REJECT_CONNECT_SHORT);
		return;
	}
	if (c->token.len == 0) {
		gs_handler_reject(ctx->h, GS_REJECT_TOKEN_MISSING);
		return;
	}
	/*
	 * The cookie first: it binds the token's nonce, which is in the
	 * token's public part, so a fake one costs a SipHash, not an AEAD. A
	 * CONNECT without one never comes here: the primary answers it.
	 */
	ce = c->cookie.len == 0 || c->token.len != GS_TOKEN_LEN ?
		     GS_COOKIE_FORGED :
		     gs_cookie_check(ctx->cookie_key, c->cookie.data, c->cookie.len, now_ms,
			     ctx->challenge_ttl_ms, m->peer.ip, m->peer.port,
			     c->token.data + GS_TOKEN_NONCE_OFF);
	if (ce != GS_COOKIE_OK) {
		gs_handler_reject(ctx->h,
			ce == GS_COOKIE_EXPIRED ? GS_REJECT_COOKIE_EXPIRED : GS_REJECT_COOKIE_BAD);
		return;
	}
	te = gs_token_open(ctx->server_key, c->token.data, c->token.len, now_s, ctx->protocol_id,
		ctx->server_ip, ctx->server_port, &t);
	/* a used token is remembered until it expires: a long-lived one would fill the table */
	if (te == GS_TOKEN_OK)
		te = gs_token_check_lifetime(&t, now_s, ctx->max_token_lifetime_s);
	if (te != GS_TOKEN_OK) {
		gs_handler_reject(ctx->h, token_reject(te));
		GS_LOG_DP(DEBUG, "CONNECT refused: token %s", gs_token_err_str(te));
		return;
	}
	/* the cookie was checked above, against the nonce the seal covers */
	memcpy(keys.c2s, t.c2s_key, sizeof(keys.c2s));
	memcpy(keys.s2c, t.s2c_key, sizeof(keys.s2c));
	s = gs_session_find_peer(&ctx->tbl, &m->peer);
	used = gs_tokens_used_has(&ctx->used, t.nonce, now_s, &opened);
	/* (opened 0: a gs-session killed before it recorded the session; its keys tell it) */
	if (s != NULL && used &&
		(opened == s->session_id ||
			(opened == 0 && gs_session_keys_equal(&ctx->tbl, s, &keys)))) {
		/* the client retransmitted CONNECT: our accept was lost or late */
		if (opened == 0)
			gs_tokens_used_add(&ctx->used, t.nonce, t.expire_s, s->session_id);
		ctx->stats.reconnects++;
		s->last_seen_tsc = m->rx_tsc;
		accept_session(ctx, lcore, s, c->client_time_ns);
		goto out;
	}
	if (used) {
		gs_handler_reject(ctx->h, GS_REJECT_TOKEN_REUSED);
		goto out;
	}
	if (s != NULL) {
		/* a new token from the address of an old session: the client restarted */
		ctx->stats.disconnects++;
		gs_session_close(&ctx->tbl, s, m->rx_tsc);
	}
	/*
	 * Spent only if the session opens: refused for a full table, it may try
	 * again. Remembered until it expires: by create_s + max_token_lifetime_s.
	 */
	ret = gs_session_open_token(&ctx->tbl, &ctx->used, t.nonce, t.expire_s, &m->peer,
		t.player_id, &keys, m->rx_tsc, &s);
	if (ret == -ENOBUFS) {
		gs_handler_reject(ctx->h, GS_REJECT_TOKENS_FULL);
		GS_LOG_RL(WARNING, "used-token table full (%u): raise [auth] used_tokens",
			ctx->used.max);
		goto out;
	}
	if (ret < 0) {
		table_full(ctx, lcore, m);
		goto out;
	}
	session_opened(ctx, s);
	GS_LOG_DP(DEBUG, "session %08x opened for player %" PRIu64, s->session_id, t.player_id);
	accept_session(ctx, lcore, s, c->client_time_ns);
out:
	sodium_memzero(&keys, sizeof(keys));
	sodium_memzero(&t, sizeof(t));
}

static void
on_connect(struct session_ctx *ctx, unsigned int lcore, const struct gs_msg *m)
{
	Gs__Connect *c = gs__connect__unpack(&ctx->arena.alloc, m->hdr.payload_len, m->payload);

	if (c == NULL) {
		gs_handler_reject(ctx->h, GS_REJECT_BAD_PAYLOAD);
		return;
	}
	if (ctx->token_mode)
		connect_token(ctx, lcore, m, c);
	else
		connect_open(ctx, lcore, m, c);
}

static void
on_heartbeat(
	struct session_ctx *ctx, unsigned int lcore, const struct gs_msg *m, struct gs_session *s)
{
	Gs__Heartbeat *hb =
		gs__heartbeat__unpack(&ctx->arena.alloc, m->hdr.payload_len, m->payload);
	Gs__HeartbeatAck ack = GS__HEARTBEAT_ACK__INIT;

	if (hb == NULL) {
		gs_handler_reject(ctx->h, GS_REJECT_BAD_PAYLOAD);
		return;
	}
	ctx->stats.heartbeats++;
	ack.client_time_ns = hb->client_time_ns;
	ack.server_time_ns = gs_wall_ns();
	reply(ctx, lcore, s, GS_MSG_HEARTBEAT_ACK, &ack.base);
}

void
session_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n)
{
	struct session_ctx *ctx = arg;

	for (unsigned int i = 0; i < n; i++) {
		const struct gs_msg *m = &msgs[i];
		struct gs_session *s = NULL;

		gs_handler_answering(ctx->h, m);
		gs_pb_arena_reset(&ctx->arena);
		if (m->hdr.type != GS_MSG_CONNECT) {
			/* the primary found it (slot and id); it may have closed since */
			s = gs_session_of_msg(&ctx->tbl, m);
			if (s == NULL) {
				gs_handler_reject(ctx->h, GS_REJECT_NOT_CONNECTED);
				continue;
			}
			s->last_seen_tsc = m->rx_tsc;
			s->rx_seq = m->hdr.sequence;
		}
		switch (m->hdr.type) {
		case GS_MSG_CONNECT:
			on_connect(ctx, lcore, m);
			break;
		case GS_MSG_HEARTBEAT:
			on_heartbeat(ctx, lcore, m, s);
			break;
		case GS_MSG_DISCONNECT:
			ctx->stats.disconnects++;
			gs_session_close(&ctx->tbl, s, m->rx_tsc);
			break;
		default:
			gs_handler_reject(ctx->h, GS_REJECT_BAD_TYPE);
			break;
		}
	}
}

static bool
on_expire(void *arg, struct gs_session *s)
{
	struct session_ctx *ctx = arg;
	Gs__Disconnect d = GS__DISCONNECT__INIT;
	uint64_t seen = gs_world_last_activity(ctx->world, s->entity_id, s->session_id);

	if (seen > s->last_seen_tsc) {
		/* moved or fought since: gs-move and gs-combat keep their time in the world */
		s->last_seen_tsc = seen;
		if ((int64_t)(rte_get_timer_cycles() - seen) <= (int64_t)ctx->idle_cycles)
			return false;
	}
	ctx->stats.expired++;
	d.reason = GS__DISCONNECT__REASON__IDLE_TIMEOUT;
	reply(ctx, s->session_id % ctx->h->n_lcores, s, GS_MSG_DISCONNECT, &d.base);
	return true;
}

void
session_tick(void *arg, uint64_t now)
{
	struct session_ctx *ctx = arg;

	gs_session_sweep(&ctx->tbl, now, ctx->idle_cycles, ctx->grace_cycles, ctx->sweep_budget,
		&ctx->sweep_cursor, on_expire, ctx);
	if (ctx->token_mode)
		ctx->stats.tokens_forgotten +=
			gs_tokens_used_sweep(&ctx->used, gs_wall_ns() / 1000000000u,
				ctx->used.max / SWEEP_TICKS + 1, &ctx->used_cursor);
}
