/* SPDX-License-Identifier: BSD-3-Clause */
#include "session.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "gs_log.h"
#include "gs_world_shm.h"

#include "session.pb-c.h"

GS_LOG_REGISTER(gs_session_logtype, gs.session);
#define GS_LOGTYPE gs_session_logtype

/* Readers hold a session pointer for one packet: a closed slot waits this long. */
#define GRACE_MS    1000
/* The sweep visits the whole table about once per second (100 ticks). */
#define SWEEP_TICKS 100

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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
	gs_pb_arena_init(&ctx->arena, ctx->arena_buf, sizeof(ctx->arena_buf));
	repaired = gs_session_tbl_repair(&ctx->tbl);
	GS_LOG(NOTICE,
		"session table: %u of %u slots in use, %u stale keys removed, idle timeout %u ms",
		gs_session_count(&ctx->tbl), ctx->tbl.max, repaired, cfg->idle_timeout_ms);
	return 0;
}

/* Pack @p pb as the payload of a reply of @p type to session @p s, or to @p peer. */
static int
reply(struct session_ctx *ctx, unsigned int lcore, const struct gs_session *s,
	const struct gs_peer *peer, uint8_t type, const ProtobufCMessage *pb)
{
	return gs_handler_reply_pb(ctx->h, lcore, s != NULL ? &s->peer : peer,
		gs_session_slot(&ctx->tbl, s), s != NULL ? s->session_id : 0, type, pb);
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
	acc.server_time_ns = wall_ns();
	acc.heartbeat_interval_ms = ctx->heartbeat_interval_ms;
	acc.idle_timeout_ms = ctx->idle_timeout_ms;
	reply(ctx, lcore, s, NULL, GS_MSG_CONNECT_ACCEPT, &acc.base);
}

static void
on_connect(struct session_ctx *ctx, unsigned int lcore, const struct gs_msg *m)
{
	Gs__Connect *c = gs__connect__unpack(&ctx->arena.alloc, m->hdr.payload_len, m->payload);
	struct gs_session *s;
	int ret;

	if (c == NULL) {
		gs_handler_reject(ctx->h, GS_REJECT_BAD_PAYLOAD);
		return;
	}
	ret = gs_session_open(&ctx->tbl, &m->peer, c->player_id, m->rx_tsc, &s);
	if (ret == -EEXIST) {
		/* the client retransmitted CONNECT: our accept was lost or late */
		ctx->stats.reconnects++;
		s->last_seen_tsc = m->rx_tsc;
	} else if (ret < 0) {
		Gs__SessionError err = GS__SESSION_ERROR__INIT;

		gs_handler_reject(ctx->h, GS_REJECT_TABLE_FULL);
		err.code = GS__SESSION_ERROR__CODE__TABLE_FULL;
		reply(ctx, lcore, NULL, &m->peer, GS_MSG_SESSION_ERROR, &err.base);
		GS_LOG_RL(WARNING, "session table full (%u sessions)", ctx->tbl.max);
		return;
	} else {
		ctx->stats.connects++;
		GS_LOG_DP(DEBUG, "session %08x opened for player %" PRIu64, s->session_id,
			c->player_id);
	}
	accept_session(ctx, lcore, s, c->client_time_ns);
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
	ack.server_time_ns = wall_ns();
	reply(ctx, lcore, s, NULL, GS_MSG_HEARTBEAT_ACK, &ack.base);
}

void
session_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n)
{
	struct session_ctx *ctx = arg;

	for (unsigned int i = 0; i < n; i++) {
		const struct gs_msg *m = &msgs[i];
		struct gs_session *s = NULL;

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
	reply(ctx, s->session_id % ctx->h->n_lcores, s, NULL, GS_MSG_DISCONNECT, &d.base);
	return true;
}

void
session_tick(void *arg, uint64_t now)
{
	struct session_ctx *ctx = arg;

	gs_session_sweep(&ctx->tbl, now, ctx->idle_cycles, ctx->grace_cycles, ctx->sweep_budget,
		&ctx->sweep_cursor, on_expire, ctx);
}
