/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_SESSION_HANDLER_H
#define GS_SESSION_HANDLER_H

/*
 * gs-session: CONNECT opens a session, HEARTBEAT refreshes it (answered with
 * the server's time), DISCONNECT and the idle timeout end it. The only writer
 * of the shared session table.
 */
#include <stdint.h>

#include "gs_auth.h"
#include "gs_handler.h"
#include "gs_pb_arena.h"
#include "gs_session_tbl.h"
#include "gs_world.h"

struct session_stats {
	uint64_t connects;
	uint64_t reconnects; /* CONNECT from an address that already has a session */
	uint64_t heartbeats;
	uint64_t disconnects;
	uint64_t expired;
	uint64_t tokens_forgotten; /* used tokens dropped from the table once expired */
};

struct session_ctx {
	struct gs_handler *h;
	struct gs_session_tbl tbl;
	struct gs_world *world; /* for each session's entity: spawn point, activity */
	uint64_t tsc_hz;
	uint64_t idle_cycles;
	uint64_t grace_cycles;
	uint32_t sweep_budget;
	uint32_t sweep_cursor;
	uint32_t heartbeat_interval_ms;
	uint32_t idle_timeout_ms;
	/* [auth] */
	bool token_mode;
	uint8_t server_key[GS_KEY_LEN];
	uint8_t cookie_key[GS_COOKIE_KEY_LEN]; /* the group's (gs_control): the primary's cookies */
	uint64_t protocol_id;
	uint32_t server_ip;   /* network order: what tokens must name */
	uint16_t server_port; /* network order */
	uint32_t challenge_ttl_ms;
	uint32_t max_token_lifetime_s; /* longer-lived tokens are refused */
	struct gs_tokens_used used;
	uint32_t used_cursor;
	struct session_stats stats;
	struct gs_pb_arena arena;
	uint8_t arena_buf[2048];
};

/**
 * gs-session's own counts (gs_handler_prog.events), each a uint64_t of
 * struct session_ctx: gs-stats exports them as gsnet_handler_events_total{event}.
 */
extern const struct gs_handler_event session_events[];
extern const unsigned int session_n_events;

/**
 * Set up against an attached handler: attach the session table and the
 * world, and repair what a killed predecessor may have left half-written.
 *
 * @return 0, -ENOENT (no session table), -EPROTO (no usable world).
 */
int session_init(struct session_ctx *ctx, struct gs_handler *h, const struct gs_cfg *cfg);

/** gs_handler_burst_fn: handle session messages. */
void session_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n);

/** gs_handler_tick_fn: expire idle sessions, release closed slots. */
void session_tick(void *arg, uint64_t now);

#endif /* GS_SESSION_HANDLER_H */
