/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_REPLICATE_H
#define GS_REPLICATE_H

/* gs-replicate's state and callbacks (replicate.c), apart from main() for tests. */
#include <gs_repl.h>
#include <gs_sdk.h>

#include "replicate.pb-c.h"

#define REPL_RING	  16u /* sent views kept per session: acks up to 16 ticks late count */
#define REPL_TICK_BUCKETS 12  /* tick durations: < 100 us, < 200 us, ... < 204.8 ms, more */
/* exported cumulative buckets of the tick duration: a histogram in counters */
#define REPL_TICK_LE	  4
#define REPL_TICK_LE_US                  \
	{                                \
		1000, 5000, 20000, 50000 \
	}

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
	uint64_t tick_us;		/* the ticks' durations, summed (µs) */
	uint64_t tick_le[REPL_TICK_LE]; /* ticks that took at most REPL_TICK_LE_US[i] µs */
	/* logged at exit */
	uint64_t acks_ignored;
	uint64_t dropped; /* snapshots the reply ring had no room for */
	uint64_t errors;
	uint64_t tick_cycles;
	uint64_t tick_hist[REPL_TICK_BUCKETS];
};

int repl_init(struct repl *r, struct gs_handler *h, const struct gs_cfg *cfg);
void repl_fini(struct repl *r);
void repl_tick(void *arg, uint64_t now);
void repl_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n);
void repl_tick_hist_add(struct repl *r, uint64_t cycles);
/* Count a tick of @p us µs in tick_us and the exported buckets. */
void repl_tick_le_add(struct repl *r, uint64_t us);
/* An upper bound of quantile @p q of the tick durations, in µs (0: no tick yet). */
double repl_tick_quantile_us(const struct repl *r, double q);

#endif /* GS_REPLICATE_H */
