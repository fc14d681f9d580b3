/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GSC_REPL_H
#define GSC_REPL_H

/*
 * The client's side of world replication (docs/PROTOCOL.md, "Replication"):
 * the views a client applied, the last GSC_REPL_VIEWS by tick (the baselines
 * the server may send deltas against), the current one dequantised, and an
 * interpolation buffer (the newest GSC_REPL_INTERP views with the times they
 * arrived).
 *
 * Attached to a session with gsc_session_set_repl(), it is fed by
 * gsc_session_input() (SNAPSHOT, type 48: GSC_EVENT_SNAPSHOT) and acked with
 * gsc_session_snapshot_ack(). gsc_repl_input() is the same without a session
 * (a payload, no header).
 *
 * No allocation: struct gsc_repl holds everything (about 370 KiB: allocate
 * it, keep it off small stacks). It points into itself once initialised:
 * do not copy or move it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gs_repl.h"

/*
 * Views kept: as many as the server's ring (GS_REPL_RING), so every baseline
 * the server may use is still here (the server's baseline is less than that
 * many ticks old, and the client applied at most one view per tick since).
 */
#define GSC_REPL_VIEWS GS_REPL_RING

/** Entities a view holds at most; a snapshot that makes more is refused (dropped_bad). */
#define GSC_REPL_VIEW_MAX 256u

/** Views the interpolation buffer spans (the newest applied). */
#define GSC_REPL_INTERP 3u

struct gsc_repl_stats {
	uint64_t applied;     /* snapshots applied */
	uint64_t full;	      /* ... of them full */
	uint64_t delta;	      /* ... of them deltas */
	uint64_t dropped_old; /* not newer than the newest applied (reordered, duplicated) */
	uint64_t dropped_no_baseline; /* a delta against a view no longer held */
	uint64_t dropped_bad;	      /* malformed, or refused by gs_repl_apply() */
	uint64_t acks_sent;	      /* SNAPSHOT_ACKs produced */
	uint64_t cut;		      /* sum of the applied snapshots' cut fields */
};

struct gsc_repl_slot {
	struct gs_repl_view v; /* v.tick 0: free */
	uint64_t recv_ns;      /* when the snapshot that made it arrived */
	struct gs_repl_ent e[GSC_REPL_VIEW_MAX];
};

/** One client's replicated world. Initialise with gsc_repl_init(); fields are read-only. */
struct gsc_repl {
	uint32_t newest; /* tick of the newest applied view, 0: none yet */
	int32_t cur;	 /* its slot, -1: none */
	uint32_t cut;	 /* the newest snapshot's cut: entities in range it left out */
	struct gsc_repl_stats stats;
	/* GSC_REPL_VIEWS held at most: one slot is always free for the next apply */
	struct gsc_repl_slot slot[GSC_REPL_VIEWS + 1];
	struct gs_repl_dec dec;
};

/** What one snapshot was (GSC_EVENT_SNAPSHOT, gsc_repl_input()). */
struct gsc_snapshot_info {
	uint32_t tick;
	uint32_t baseline; /* 0: full */
	uint32_t cut;
	uint32_t n;   /* entities in the view it made (applied) */
	bool applied; /* the view is new: send gsc_session_snapshot_ack() */
	/*
	 * Not applied: -ESTALE (not newer than the newest view) or -ENOENT (its
	 * baseline is no longer held; ack the newest view again, so the server
	 * learns one this client holds).
	 */
	int drop;
	bool ack; /* worth a SNAPSHOT_ACK: applied, or dropped for -ENOENT */
};

/** A replicated entity in world units. */
struct gsc_repl_ent {
	uint32_t id;
	float pos[3];
	float vel[3]; /* units per second */
	int32_t hp;
	bool alive;
};

/** Empty @p r: no view, counters zeroed (a new session). */
void gsc_repl_init(struct gsc_repl *r);

/**
 * Take the Snapshot payload @p payload (@p len bytes) that arrived at
 * @p now_ns: drop it when it is not newer than the newest view (-ESTALE) or
 * its baseline is not held (-ENOENT), else apply it into a new view (the
 * oldest of GSC_REPL_VIEWS + 1 goes).
 *
 * @return 0 (applied), -ESTALE, -ENOENT (dropped; counted), -EBADMSG (not a
 *         Snapshot, or refused by gs_repl_apply(): hostile or broken;
 *         counted in dropped_bad), -EINVAL (NULL argument, not counted).
 *         @p info says what it was in every case but -EINVAL (tick and
 *         baseline 0 when it did not decode).
 */
int gsc_repl_input(struct gsc_repl *r, const uint8_t *payload, size_t len, uint64_t now_ns,
	struct gsc_snapshot_info *info);

/** The newest view (quantised, sorted by id), or NULL before the first snapshot. */
const struct gs_repl_view *gsc_repl_view(const struct gsc_repl *r);

/** Entities in the newest view. */
uint32_t gsc_repl_count(const struct gsc_repl *r);

/**
 * Entity @p i (0 .. gsc_repl_count() - 1, by id) of the newest view, in
 * world units.
 *
 * @return 0, or -ENOENT (no such index).
 */
int gsc_repl_entity_at(const struct gsc_repl *r, uint32_t i, struct gsc_repl_ent *out);

/**
 * Entity @p id of the newest view, in world units.
 *
 * @return 0, or -ENOENT (not in view).
 */
int gsc_repl_entity(const struct gsc_repl *r, uint32_t id, struct gsc_repl_ent *out);

/**
 * Where entity @p id is at @p t_ns by the interpolation buffer (the newest
 * GSC_REPL_INTERP views, at the times they arrived): between two views that
 * both hold it, the straight line between its positions in them; before
 * the oldest, that one's position; from the newest on, the newest's (no
 * extrapolation). An entity in only one of the two views around @p t_ns is
 * where that one has it. Render at now minus a delay of one or two snapshot
 * intervals, so that @p t_ns falls between views.
 *
 * @return 0, or -ENOENT (no view holds it around @p t_ns, or no view yet).
 */
int gsc_repl_interp(const struct gsc_repl *r, uint32_t id, uint64_t t_ns, float out[3]);

#endif /* GSC_REPL_H */
