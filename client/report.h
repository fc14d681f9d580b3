/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_CLIENT_REPORT_H
#define GS_CLIENT_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "client.h"

/** What the summary reports, summed over the players. */
struct totals {
	struct gsc_stats s; /* summed over players */
	uint64_t hb_sent;
	uint64_t hb_lost;
	uint64_t connect_retx;
	uint64_t moves;
	uint64_t moves_lost;
	uint64_t attacks;
	uint64_t attacks_lost;
	uint64_t lost;
	/* --views: the players' views as their play ended (struct view_end) */
	unsigned int view_players;  /* players with a view (a snapshot applied) */
	struct gsc_repl_stats view; /* every player's counters summed */
	uint64_t view_dropped;	    /* dropped_old + dropped_no_baseline + dropped_bad */
	uint32_t saw_min;	    /* of view_players' saw; 0 when there are none */
	uint32_t saw_max;
	uint64_t saw_sum;
};

/** Sum the players' figures of @p c into @p t (lost: everything unanswered, failed connects). */
void report_sum_up(const struct client *c, struct totals *t);

/** The summary as text lines on stdout (the default). */
void report_print_text(const struct client *c, const struct totals *t);

/** The summary as one JSON object on stdout (--json). */
void report_print_json(const struct client *c, const struct totals *t);

/**
 * --world-out: one JSON line per connected player with the last position the
 * server answered (and that answer's MOVE seq), its hp from the last DAMAGED
 * (-1: never hit), whether that killed it and whether it has respawned by @p now.
 *
 * @return 0, or -EIO (said on stderr).
 */
int report_write_world(const struct client *c, uint64_t now);

/** --views, a snapshot applied: raise p->saw to the other entities (not its own) of the view. */
void report_note_view(struct player *p);

/**
 * --view-out's line of player @p i (@p p, with a gsc_repl) into @p f, as
 * its gsc_repl and saw are now: one JSON object and '\n', {"player","session",
 * "entity","tick" (the newest view's, 0: none),"views_applied","full","delta",
 * "dropped" (old, no baseline, bad),"acks","cut" (the gsc_repl's counters),
 * "saw", then the player's own state at @p now as the server last told it:
 * "auth" ([x,y,z]), "hp" and "hp_prev" (-1: no DAMAGED yet), "dead",
 * "deaths", "state_ms" (since its last DAMAGED or respawn, -1: none), with
 * --fight "partner" (@p partner's entity, 0: none) and "partner_deaths_seen";
 * then "view":[{"id","x","y","z","hp","alive"}, ...]}, the view's entities
 * by id in world units, the player's own included.
 *
 * @return 0, or -EIO (@p f in error).
 */
int report_view_line(FILE *f, unsigned int i, const struct player *p, const struct player *partner,
	uint64_t now);

/**
 * --views: keep player @p p's view as its play ends (p->end: tick, saw, the
 * gsc_repl's counters, with --view-out its line). Once: later calls do
 * nothing, as do calls for a player without a gsc_repl.
 *
 * @return 0, or -ENOMEM (the line could not be kept: p->end.line NULL).
 */
int report_take_view(const struct client *c, struct player *p);

/**
 * --view-out: the lines report_take_view() kept, by player (none for those
 * that never played).
 *
 * @return 0, or -EIO (said on stderr; a line lost to -ENOMEM too).
 */
int report_write_views(const struct client *c);

#endif /* GS_CLIENT_REPORT_H */
