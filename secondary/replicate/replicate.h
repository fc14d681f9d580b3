/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_REPLICATE_H
#define GS_REPLICATE_H

/* gs-replicate's state and callbacks (replicate.c), apart from main() for tests. */
#include <gs_repl.h>
#include <gs_sdk.h>

#include "replicate.pb-c.h"

#define REPL_RING 16u /* sent views kept per session: acks up to 16 ticks late count */

/* A session's replication record, by its position in the session table. */
struct repl_sess {
	uint32_t session_id; /* whose record it is */
	struct gs_repl_sess *s;
};

struct repl {
	struct gs_handler *h;
	struct gs_session_tbl tbl;
	struct gs_world *world;
	uint64_t tick_tsc;	  /* 1 / tick_hz */
	uint64_t next_tick;	  /* TSC of the next tick */
	uint32_t tick;		  /* the replication tick's number (from 1) */
	float radius;		  /* aoi_radius */
	size_t budget;		  /* budget_bytes */
	uint32_t view_max;	  /* entities a snapshot may hold */
	struct gs_repl_ent *ents; /* this tick's entities, [tbl.max] */
	uint32_t *owner;	  /* their sessions' positions */
	struct repl_sess *sess;	  /* [tbl.max] */
	struct gs_repl_hit *hits; /* [view_max] */
	struct gs_repl_ent *cand; /* [view_max] */
	struct gs_repl_grid *grid;
	struct gs_repl_enc *enc;
	uint8_t out[GS_WIRE_MAX_PAYLOAD];
	struct gs_pb_arena arena;
	uint8_t arena_buf[1024];
	/* own counts (gsnet_handler_events_total) */
	uint64_t ticks;
	uint64_t overruns; /* ticks that took longer than 1 / tick_hz */
	uint64_t snapshots;
	uint64_t full;
	uint64_t bytes;
	uint64_t entities; /* in the views sent */
	uint64_t cut;	   /* left out by the budget */
	uint64_t acks;
	/* logged at exit (the ticks' durations: the handler's "tick" histogram) */
	uint64_t acks_ignored;
	uint64_t dropped; /* snapshots the reply ring had no room for */
	uint64_t errors;
};

int repl_init(struct repl *r, struct gs_handler *h, const struct gs_cfg *cfg);
void repl_fini(struct repl *r);
void repl_tick(void *arg, uint64_t now);
void repl_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n);

#endif /* GS_REPLICATE_H */
