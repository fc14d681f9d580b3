/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_REPL_H
#define GS_REPL_H

/*
 * World replication with interest management (docs/PROTOCOL.md,
 * "Replication"): the pieces a replication handler runs each tick and the
 * client applies, DPDK-free (gs_core).
 *
 * Each tick the handler
 *   1. reads every entity in play (gs_repl_read(): the world's lock-free
 *      reads) into a plain array of quantised states, struct gs_repl_ent;
 *   2. buckets them into a uniform grid over the world's x/y bounds
 *      (gs_repl_grid_build(): a counting sort, no allocation);
 *   3. for each session, finds the entities within aoi_radius of the
 *      session's entity, nearest first (gs_repl_aoi()), and
 *   4. encodes a Snapshot of them for the session under a byte budget,
 *      delta-compressed against the newest snapshot the client acknowledged
 *      (gs_repl_sess_snapshot(); gs_repl_sess_ack() takes the acks).
 * The client decodes and applies it to the view it holds for the baseline
 * (gs_repl_decode(), gs_repl_apply()); libgsclient does that for a session.
 *
 * A view is what one client knows at one tick: entity states sorted by id.
 * The server keeps, per session, the views it sent in a ring keyed by tick;
 * the client keeps the views it applied. Both compute view(tick) with the
 * same rules, so they hold the same states (the unit tests check it
 * exactly).
 *
 * Ticks are the handler's, never 0, and must keep increasing for a session
 * (serial-number arithmetic, wrapping after 2^32): a client drops a snapshot
 * older than the newest it applied. A handler that restarts must therefore
 * not start again at 1; derive the tick from the world's time (the world
 * lives as long as the primary).
 *
 * Nothing here allocates after the create functions: a tick's work is
 * bounded by the sizes given there.
 */
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gs_pb_arena.h"
#include "gs_world.h"

#include "replicate.pb-c.h"

/** Quantisation: positions and velocities in 1/16 world unit, round(v * 16). */
#define GS_REPL_Q_SCALE 16

/*
 * Every quantised value (positions, velocities, HP) lies in
 * [-GS_REPL_Q_LIMIT, GS_REPL_Q_LIMIT]: gs_repl_quantise() saturates there, so
 * the difference of any two values fits a sint32 (a delta never overflows),
 * and gs_repl_apply() refuses a state outside it. 67,108,863 world units.
 */
#define GS_REPL_Q_LIMIT ((1 << 30) - 1)

/** The most entities any view may hold (views, encoder and applier refuse more). */
#define GS_REPL_VIEW_MAX 4096u

/** Views a session's ring keeps by default: an ack older than that many ticks is useless. */
#define GS_REPL_RING 32u

/** The default byte budget of a snapshot: one datagram's payload (GS_WIRE_MAX_PAYLOAD). */
#define GS_REPL_BUDGET 1200u

/*
 * Bytes of arena gs_repl_decode() unpacks into. A snapshot of 1200 bytes
 * from gsnet's encoder needs at most about 35 KiB (some 300 entities); one
 * that needs more than this (hostile: thousands of unknown fields) is
 * refused as malformed.
 */
#define GS_REPL_ARENA_SIZE 65536u

/** One entity as replicated: quantised, the fields of EntityState. */
struct gs_repl_ent {
	uint32_t id;   /* entity id, never 0 */
	int32_t q[3];  /* position, 1/16 unit */
	int32_t v[3];  /* velocity, 1/16 unit per second */
	int32_t hp;    /* hit points */
	int32_t alive; /* 1 alive, 0 dead */
};

/**
 * A view: the entity states a client holds at @c tick, sorted by id
 * (ascending, no id twice). The memory (@c e, @c cap entries) is the
 * owner's; functions that produce a view fill at most @c cap.
 */
struct gs_repl_view {
	uint32_t tick; /* 0: no view */
	uint32_t n;    /* entities */
	uint32_t cap;  /* room in e, at most GS_REPL_VIEW_MAX */
	struct gs_repl_ent *e;
};

/** round(@p v * 16), saturated to +-GS_REPL_Q_LIMIT; NaN gives 0. */
int32_t gs_repl_q(float v);

/** A quantised value back in world units (@p q / 16). */
static inline float
gs_repl_unq(int32_t q)
{
	return (float)q / (float)GS_REPL_Q_SCALE;
}

/** Quantise one entity's state (position and velocity with gs_repl_q(), @p hp saturated). */
void gs_repl_quantise(uint32_t id, const float pos[3], const float vel[3], int32_t hp, bool alive,
	struct gs_repl_ent *out);

/**
 * Read entity @p id of session @p owner at @p now from the world, lock-free
 * (gs_world_read_combat(), then gs_world_read_move() of its current life),
 * and quantise it. The velocity is that of the last accepted move, or 0 when
 * the entity has not moved in this life or its last move is older than
 * max_move_gap_ms (it stopped: a stale velocity would make clients
 * extrapolate a standing entity). A dead entity reads where it died, HP 0,
 * alive 0, still, until its respawn time, so the players near a fight see
 * the death (gs_world_position() has it at its respawn point already).
 *
 * @return 0, or -ENOENT (no such entity), -EBUSY (a line stayed locked).
 */
int gs_repl_read(const struct gs_world *w, uint32_t id, uint32_t owner, uint64_t now,
	struct gs_repl_ent *out);

/** The view entry of entity @p id (binary search), or NULL. */
const struct gs_repl_ent *gs_repl_view_find(const struct gs_repl_view *v, uint32_t id);

/*
 * --- The grid ---------------------------------------------------------------
 *
 * A uniform grid of square cells over the world's x/y bounds, in quantised
 * units. gs_repl_grid_build() buckets a tick's entities (a counting sort of
 * their indices: every cell's indices are contiguous and in increasing
 * order). An entity outside the bounds goes to the nearest edge cell, so
 * every entity is found. z plays no part in the bucketing.
 */
struct gs_repl_grid;

/** The most cells a grid may have (16,777,216: 64 MiB of cell starts). */
#define GS_REPL_GRID_MAX_CELLS (1u << 24)

/**
 * A grid over [@p min, @p max] (x and y, world units) with cells of @p cell
 * units, for up to @p max_entities entities per build. Pick @p cell near the
 * AOI radius: a query then visits about 9 cells.
 *
 * @return the grid, or NULL with errno EINVAL (@p cell not above 1/16, max
 *         below min, not finite, @p max_entities 0), E2BIG (more than
 *         GS_REPL_GRID_MAX_CELLS cells), ENOMEM.
 */
struct gs_repl_grid *gs_repl_grid_create(
	const float min[2], const float max[2], float cell, uint32_t max_entities);

/** Free @p g (NULL is fine). */
void gs_repl_grid_free(struct gs_repl_grid *g);

/**
 * Bucket @p n entities @p e. The grid keeps @p e (not a copy): the array must
 * stay as it is until the next build. Runs in O(cells + n).
 *
 * @return 0, or -E2BIG (@p n above the grid's max_entities), -EINVAL.
 */
int gs_repl_grid_build(struct gs_repl_grid *g, const struct gs_repl_ent *e, uint32_t n);

/** The grid's columns (x) and rows (y); cells = nx * ny, cell (cx, cy) is cy * nx + cx. */
void gs_repl_grid_dims(const struct gs_repl_grid *g, uint32_t *nx, uint32_t *ny);

/** The cell a quantised position @p q falls in (clamped to the grid). */
uint32_t gs_repl_grid_cell_of(const struct gs_repl_grid *g, const int32_t q[3]);

/**
 * The indices (into the array of the last build) of the entities in cell
 * @p cell, *@p n of them, in increasing order; NULL with *@p n = 0 for a cell
 * beyond the grid.
 */
const uint32_t *gs_repl_grid_cell(const struct gs_repl_grid *g, uint32_t cell, uint32_t *n);

/** An entity found by gs_repl_aoi(). */
struct gs_repl_hit {
	uint64_t d2;  /* squared distance, quantised units */
	uint32_t id;  /* its id */
	uint32_t idx; /* its index in the array of the last build */
};

/**
 * The entities of the last build within @p radius (quantised units: use
 * gs_repl_q()) of @p center, by 3-D distance on the quantised positions
 * (distance <= radius counts), nearest first, ties by id then index; at most
 * @p max of them (the nearest). Only the cells the radius reaches are
 * visited. Every squared distance saturates at UINT64_MAX, so no position
 * overflows the comparison.
 *
 * @return hits written to @p out (0 for a negative radius).
 */
uint32_t gs_repl_aoi(const struct gs_repl_grid *g, const int32_t center[3], int32_t radius,
	struct gs_repl_hit *out, uint32_t max);

/** Copy the entities of @p n hits, in order, into @p out: the candidates of an encode. */
void gs_repl_gather(const struct gs_repl_grid *g, const struct gs_repl_hit *hits, uint32_t n,
	struct gs_repl_ent *out);

/*
 * --- Encoding ----------------------------------------------------------------
 */
struct gs_repl_enc;

/**
 * An encoder's workspace for views and candidate lists of up to @p cap
 * entities (at most GS_REPL_VIEW_MAX). One per handler thread.
 *
 * @return it, or NULL with errno EINVAL (@p cap 0 or too large), ENOMEM.
 */
struct gs_repl_enc *gs_repl_enc_create(uint32_t cap);

/** Free @p enc (NULL is fine). */
void gs_repl_enc_free(struct gs_repl_enc *enc);

/** What one encode produced. */
struct gs_repl_enc_res {
	size_t len;		   /* Snapshot bytes packed */
	uint32_t n_full;	   /* entities sent whole (new to the view, or all of a full one) */
	uint32_t n_delta;	   /* entities sent as differences */
	uint32_t n_removed;	   /* ids sent as removed */
	uint32_t n_unchanged;	   /* candidates in the baseline with nothing to send */
	uint32_t cut;		   /* candidates left out (the Snapshot's cut field) */
	uint32_t removed_deferred; /* removals that did not fit: still in the new view */
};

/**
 * Encode a Snapshot of tick @p tick for candidates @p cand (@p n of them,
 * nearest first, as gs_repl_aoi() orders them; distinct non-zero ids, values
 * within GS_REPL_Q_LIMIT, alive 0 or 1) against @p base (NULL or tick 0:
 * a full snapshot), packed into @p out, never more than
 * min(@p budget, @p out_cap) bytes. @p next receives the view the client
 * holds once it applies the snapshot (tick @p tick, sorted by id).
 *
 * Budget rules, in this order:
 *   1. The header (tick, baseline) and room for the cut field are reserved.
 *   2. Removals (ids of @p base not among the candidates) come first, in id
 *      order, while they fit; the rest are deferred: they stay in @p next and
 *      a later snapshot removes them (a stale entity is better than an
 *      oversized datagram; it takes some 300 removals in one tick).
 *   3. Candidates nearest first: one in @p base with equal state costs
 *      nothing (unchanged); a changed one is sent as differences, a new one
 *      whole, while they fit. From the first that does not fit on, no entity
 *      is sent: every later changed or new candidate is cut. So the entities
 *      sent are always the nearest ones. A cut candidate of @p base stays in
 *      @p next with its baseline state (stale); a cut new one is not in it.
 *   4. Only the first min(enc cap, @p next->cap) candidates are considered:
 *      the others are cut too (and removed if @p base has them).
 *
 * @return 0 with @p res filled, or -EINVAL (NULL argument, @p tick 0, @p base
 *         not older than @p tick, @p base larger than the encoder, @p next ==
 *         @p base, a candidate id 0 or twice), -ERANGE (a candidate value
 *         outside the quantised range), -EMSGSIZE (the budget cannot hold
 *         even the header).
 */
int gs_repl_encode(struct gs_repl_enc *enc, const struct gs_repl_view *base,
	const struct gs_repl_ent *cand, uint32_t n, uint32_t tick, size_t budget, uint8_t *out,
	size_t out_cap, struct gs_repl_view *next, struct gs_repl_enc_res *res);

/*
 * --- The server's record of one session ---------------------------------------
 *
 * The views sent to one client, in a ring of K slots keyed by tick (slot =
 * tick mod K), and the baseline: the newest tick the client acknowledged
 * that the ring still holds. Ack rules (gs_repl_sess_ack()):
 *   - an ack of a tick still in the ring and newer than the baseline becomes
 *     the baseline;
 *   - an ack of the baseline again (duplicate), of an older tick (reordered,
 *     late) or of a tick the ring does not hold (never sent, overwritten, or
 *     0) is ignored and counted.
 * A lost ack only means an older baseline. The baseline must be less than K
 * ticks old when a snapshot is made (else it is dropped, counted
 * baseline_lost, and the snapshot is full), and a snapshot without a
 * baseline is full.
 *
 * Memory: K * view_cap * 36 bytes (32 * 128 entities: 144 KiB).
 */
struct gs_repl_sess_stats {
	uint64_t snapshots;	/* made */
	uint64_t full;		/* ... of them full */
	uint64_t bytes;		/* Snapshot bytes packed */
	uint64_t cut;		/* sum of the cut fields */
	uint64_t acks;		/* acks that moved the baseline */
	uint64_t acks_dup;	/* acks of the baseline again */
	uint64_t acks_old;	/* acks older than the baseline */
	uint64_t acks_unknown;	/* acks of ticks the ring does not hold */
	uint64_t baseline_lost; /* baselines K ticks old or more: a full snapshot instead */
};

struct gs_repl_sess {
	uint32_t ring;		    /* K */
	uint32_t view_cap;	    /* entities per view */
	uint32_t baseline;	    /* the acknowledged tick deltas are made against; 0: none */
	uint32_t last_tick;	    /* the last snapshot's tick; 0: none yet */
	struct gs_repl_view *views; /* ring slots; views[i].tick 0: empty */
	struct gs_repl_ent *ents;   /* the views' memory: ring * view_cap entities */
	struct gs_repl_sess_stats stats;
};

/**
 * A record with a ring of @p ring views of @p view_cap entities each.
 *
 * @return it, or NULL with errno EINVAL (@p ring 0 or above 65536, @p
 *         view_cap 0 or above GS_REPL_VIEW_MAX), ENOMEM.
 */
struct gs_repl_sess *gs_repl_sess_create(uint32_t ring, uint32_t view_cap);

/** Free @p s (NULL is fine). */
void gs_repl_sess_free(struct gs_repl_sess *s);

/** Forget every view, the baseline and the counters: a new client on the same record. */
void gs_repl_sess_reset(struct gs_repl_sess *s);

/**
 * Make the snapshot of tick @p tick (newer than the last one) for candidates
 * @p cand: against the baseline if there is one less than K ticks old, else
 * full; record the client's resulting view in the ring (gs_repl_encode()
 * does the rest, with its rules and errors, and @p res).
 *
 * @return 0, or what gs_repl_encode() returns, or -EINVAL (@p tick 0 or not
 *         newer than the last snapshot's). On error nothing is recorded.
 */
int gs_repl_sess_snapshot(struct gs_repl_sess *s, struct gs_repl_enc *enc,
	const struct gs_repl_ent *cand, uint32_t n, uint32_t tick, size_t budget, uint8_t *out,
	size_t out_cap, struct gs_repl_enc_res *res);

/**
 * A SnapshotAck of @p tick from the client.
 *
 * @return 0 (the new baseline), or, ignored and counted: -EALREADY (the
 *         baseline again), -ESTALE (older than the baseline), -ENOENT (not in
 *         the ring).
 */
int gs_repl_sess_ack(struct gs_repl_sess *s, uint32_t tick);

/** The view recorded for @p tick, or NULL when the ring does not hold it. */
const struct gs_repl_view *gs_repl_sess_view(const struct gs_repl_sess *s, uint32_t tick);

/*
 * --- Decoding and applying (the client's side) -----------------------------
 */

/** A decoder: the arena a Snapshot unpacks into (64 KiB; keep it off small stacks). */
struct gs_repl_dec {
	struct gs_pb_arena arena;
	alignas(16) uint8_t mem[GS_REPL_ARENA_SIZE];
};

/**
 * Unpack Snapshot bytes into @p d's arena (forgetting what it held). The
 * message is valid until the next decode with @p d.
 *
 * @return the message, or NULL with errno EBADMSG (no valid Snapshot, or
 *         larger than the arena) or EINVAL.
 */
const Gs__Snapshot *gs_repl_decode(struct gs_repl_dec *d, const uint8_t *buf, size_t len);

/**
 * Apply @p snap to @p base (the view of tick snap->baseline; unused for a
 * full snapshot, may be NULL), writing view(snap->tick) into @p out (its own
 * memory, not @p base's):
 * view(tick) = view(baseline) with `removed` taken out, `delta` added to
 * the states of their ids, `full` inserted, sorted by id.
 *
 * Refused (hostile or broken input; nothing is read out of bounds, and
 * @p out is left empty: n 0, tick 0):
 *   - -ENOENT: a delta whose baseline is not @p base's tick;
 *   - -EBADMSG: tick 0 or not newer than the baseline; a full snapshot with
 *     delta or removed entries; an id 0; an id twice in the snapshot (in
 *     any of full, delta, removed); a removed or delta id not in the
 *     baseline; a full id already in it;
 *   - -ERANGE: a state outside the quantised range (a full value, or a sum
 *     of baseline and difference, beyond +-GS_REPL_Q_LIMIT; alive not 0 or 1);
 *   - -E2BIG: more entities than @p out->cap (or GS_REPL_VIEW_MAX);
 *   - -EINVAL: NULL @p snap or @p out, or @p out sharing @p base's memory
 *     (nothing is written then).
 *
 * @return 0 (@p out holds the new view).
 */
int gs_repl_apply(
	const struct gs_repl_view *base, const Gs__Snapshot *snap, struct gs_repl_view *out);

#endif /* GS_REPL_H */
