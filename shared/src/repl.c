/* SPDX-License-Identifier: BSD-3-Clause */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gs_repl.h"

/* Serial-number arithmetic on ticks: is @p a newer than @p b (wrapping)? */
static inline bool
tick_newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool
q_in_range(int64_t v)
{
	return v >= -GS_REPL_Q_LIMIT && v <= GS_REPL_Q_LIMIT;
}

/* Every value within the quantised range, alive 0 or 1. */
static bool
ent_in_range(const struct gs_repl_ent *x)
{
	for (unsigned int k = 0; k < 3; k++)
		if (!q_in_range(x->q[k]) || !q_in_range(x->v[k]))
			return false;
	return q_in_range(x->hp) && (x->alive == 0 || x->alive == 1);
}

/* --- quantisation ------------------------------------------------------------------------- */

int32_t
gs_repl_q(float v)
{
	double d = (double)v * GS_REPL_Q_SCALE;

	if (isnan(d))
		return 0;
	if (d >= GS_REPL_Q_LIMIT)
		return GS_REPL_Q_LIMIT;
	if (d <= -GS_REPL_Q_LIMIT)
		return -GS_REPL_Q_LIMIT;
	return (int32_t)round(d);
}

void
gs_repl_quantise(uint32_t id, const float pos[3], const float vel[3], int32_t hp, bool alive,
	struct gs_repl_ent *out)
{
	out->id = id;
	for (unsigned int k = 0; k < 3; k++) {
		out->q[k] = gs_repl_q(pos[k]);
		out->v[k] = gs_repl_q(vel[k]);
	}
	out->hp = hp > GS_REPL_Q_LIMIT	? GS_REPL_Q_LIMIT :
		  hp < -GS_REPL_Q_LIMIT ? -GS_REPL_Q_LIMIT :
					  hp;
	out->alive = alive ? 1 : 0;
}

int
gs_repl_read(const struct gs_world *w, uint32_t id, uint32_t owner, uint64_t now,
	struct gs_repl_ent *out)
{
	static const float still[3];
	struct gs_combat_view c;
	struct gs_move_view m;
	const float *vel = still;
	uint64_t gap;
	int ret;

	ret = gs_world_read_combat(w, id, owner, now, &c);
	if (ret < 0)
		return ret;
	/* a dead entity lies where it died (its last life's move line) until it respawns */
	ret = gs_world_read_move(w, id, owner, c.alive || c.life == 0 ? c.life : c.life - 1, &m);
	if (ret < 0)
		return ret;
	if (c.alive && !m.fresh) {
		gap = (uint64_t)w->rules.max_move_gap_ms * w->tsc_hz / 1000u;
		if (now <= m.tsc || now - m.tsc <= gap)
			vel = m.vel;
	}
	gs_repl_quantise(id, m.pos, vel, c.hp, c.alive, out);
	return 0;
}

/* Index of @p id in the first @p n entries of @p e (sorted by id), or -1. */
static int64_t
ent_find(const struct gs_repl_ent *e, uint32_t n, uint32_t id)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (e[mid].id < id)
			lo = mid + 1;
		else if (e[mid].id > id)
			hi = mid;
		else
			return mid;
	}
	return -1;
}

/*
 * ent_find() without a branch to mispredict per step (a conditional move):
 * the encoder's search of each candidate in the baseline.
 */
static inline int64_t
ent_find_flat(const struct gs_repl_ent *e, uint32_t n, uint32_t id)
{
	const struct gs_repl_ent *lo = e;

	if (n == 0)
		return -1;
	while (n > 1) {
		uint32_t half = n / 2;

		lo = lo[half].id <= id ? lo + half : lo;
		n -= half;
	}
	return lo->id == id ? lo - e : -1;
}

const struct gs_repl_ent *
gs_repl_view_find(const struct gs_repl_view *v, uint32_t id)
{
	int64_t k;

	if (v == NULL || v->e == NULL)
		return NULL;
	k = ent_find(v->e, v->n, id);
	return k < 0 ? NULL : &v->e[k];
}

/* --- sorting without allocation: heaps ---------------------------------------------------- */

/* Hits order by distance, then id, then index. */
static inline bool
hit_less(const struct gs_repl_hit *a, const struct gs_repl_hit *b)
{
	if (a->d2 != b->d2)
		return a->d2 < b->d2;
	if (a->id != b->id)
		return a->id < b->id;
	return a->idx < b->idx;
}

static void
hit_swap(struct gs_repl_hit *a, struct gs_repl_hit *b)
{
	struct gs_repl_hit t = *a;

	*a = *b;
	*b = t;
}

/* Restore the max-heap below @p i in h[0, n). */
static void
hit_sift_down(struct gs_repl_hit *h, uint32_t i, uint32_t n)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, top = i;

		if (l < n && hit_less(&h[top], &h[l]))
			top = l;
		if (r < n && hit_less(&h[top], &h[r]))
			top = r;
		if (top == i)
			return;
		hit_swap(&h[i], &h[top]);
		i = top;
	}
}

/* Sort the max-heap h[0, n) ascending, in place. */
static void
hit_heap_sort(struct gs_repl_hit *h, uint32_t n)
{
	for (uint32_t end = n; end > 1; end--) {
		hit_swap(&h[0], &h[end - 1]);
		hit_sift_down(h, 0, end - 1);
	}
}

/*
 * Sort h[0, n) ascending: for a view's some 50 hits, fewer moves and
 * compares than building a heap and sorting it.
 */
static void
hit_insertion_sort(struct gs_repl_hit *h, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct gs_repl_hit x = h[i];
		uint32_t j = i;

		for (; j > 0 && hit_less(&x, &h[j - 1]); j--)
			h[j] = h[j - 1];
		h[j] = x;
	}
}

static void
hit_sort(struct gs_repl_hit *h, uint32_t n)
{
	for (uint32_t i = n / 2; i > 0; i--)
		hit_sift_down(h, i - 1, n);
	hit_heap_sort(h, n);
}

/*
 * Sort h[0, n) by id: an insertion sort for the few candidates new to a view,
 * the heap sort (by id, then index: d2 is 0) for the many of a full one.
 */
static void
id_sort(struct gs_repl_hit *h, uint32_t n)
{
	if (n > 32) {
		hit_sort(h, n);
		return;
	}
	for (uint32_t i = 1; i < n; i++) {
		struct gs_repl_hit x = h[i];
		uint32_t j = i;

		for (; j > 0 && h[j - 1].id > x.id; j--)
			h[j] = h[j - 1];
		h[j] = x;
	}
}

static void
ent_swap(struct gs_repl_ent *a, struct gs_repl_ent *b)
{
	struct gs_repl_ent t = *a;

	*a = *b;
	*b = t;
}

static void
ent_sift_down(struct gs_repl_ent *e, uint32_t i, uint32_t n)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, top = i;

		if (l < n && e[top].id < e[l].id)
			top = l;
		if (r < n && e[top].id < e[r].id)
			top = r;
		if (top == i)
			return;
		ent_swap(&e[i], &e[top]);
		i = top;
	}
}

/* Sort e[0, n) by id. */
static void
ent_sort(struct gs_repl_ent *e, uint32_t n)
{
	for (uint32_t i = n / 2; i > 0; i--)
		ent_sift_down(e, i - 1, n);
	for (uint32_t end = n; end > 1; end--) {
		ent_swap(&e[0], &e[end - 1]);
		ent_sift_down(e, 0, end - 1);
	}
}

/* --- the grid ----------------------------------------------------------------------------- */

/* What the AOI reads of an entity, copied in cell order by the build: a scan reads no gather. */
struct cell_ent {
	int32_t q[3];
	uint32_t id;
};

struct gs_repl_grid {
	int32_t qmin[2]; /* the bounds' low corner, quantised */
	int32_t cell;	 /* cell side, quantised units */
	uint32_t dim[2]; /* columns (x), rows (y) */
	uint32_t ncells;
	uint32_t max_entities;
	const struct gs_repl_ent *e; /* the last build's entities (the caller's) */
	uint32_t n;
	uint32_t *start;     /* ncells + 1: cell c holds items[start[c], start[c + 1]) */
	uint32_t *items;     /* max_entities entity indices, by cell */
	struct cell_ent *at; /* beside items: each one's position and id, for the AOI's scan */
	uint32_t *cell_of;   /* max_entities: each entity's cell during a build */
};

struct gs_repl_grid *
gs_repl_grid_create(const float min[2], const float max[2], float cell, uint32_t max_entities)
{
	struct gs_repl_grid *g;
	uint64_t cells = 1;

	if (min == NULL || max == NULL || max_entities == 0 || !isfinite(cell) ||
		gs_repl_q(cell) < 1) {
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->cell = gs_repl_q(cell);
	for (unsigned int a = 0; a < 2; a++) {
		int64_t lo, span;

		if (!isfinite(min[a]) || !isfinite(max[a]) || max[a] < min[a]) {
			free(g);
			errno = EINVAL;
			return NULL;
		}
		lo = gs_repl_q(min[a]);
		span = (int64_t)gs_repl_q(max[a]) - lo + 1;
		g->qmin[a] = (int32_t)lo;
		g->dim[a] = (uint32_t)((span + g->cell - 1) / g->cell);
		cells *= g->dim[a];
	}
	if (cells > GS_REPL_GRID_MAX_CELLS) {
		free(g);
		errno = E2BIG;
		return NULL;
	}
	g->ncells = (uint32_t)cells;
	g->max_entities = max_entities;
	g->start = calloc((size_t)g->ncells + 1, sizeof(*g->start));
	g->items = calloc(max_entities, sizeof(*g->items));
	g->cell_of = calloc(max_entities, sizeof(*g->cell_of));
	g->at = calloc(max_entities, sizeof(*g->at));
	if (g->start == NULL || g->items == NULL || g->cell_of == NULL || g->at == NULL) {
		gs_repl_grid_free(g);
		errno = ENOMEM;
		return NULL;
	}
	return g;
}

void
gs_repl_grid_free(struct gs_repl_grid *g)
{
	if (g == NULL)
		return;
	free(g->start);
	free(g->items);
	free(g->cell_of);
	free(g->at);
	free(g);
}

/* The column (@p a 0) or row (1) of quantised coordinate @p q, clamped to the grid. */
static uint32_t
axis_cell(const struct gs_repl_grid *g, unsigned int a, int64_t q)
{
	int64_t d = q - g->qmin[a];

	if (d < 0)
		return 0;
	d /= g->cell;
	return d >= g->dim[a] ? g->dim[a] - 1 : (uint32_t)d;
}

uint32_t
gs_repl_grid_cell_of(const struct gs_repl_grid *g, const int32_t q[3])
{
	return axis_cell(g, 1, q[1]) * g->dim[0] + axis_cell(g, 0, q[0]);
}

void
gs_repl_grid_dims(const struct gs_repl_grid *g, uint32_t *nx, uint32_t *ny)
{
	*nx = g->dim[0];
	*ny = g->dim[1];
}

int
gs_repl_grid_build(struct gs_repl_grid *g, const struct gs_repl_ent *e, uint32_t n)
{
	uint32_t c, i;

	if (g == NULL || (e == NULL && n > 0))
		return -EINVAL;
	if (n > g->max_entities)
		return -E2BIG;

	/*
	 * Counting sort: count per cell, turn the counts into each cell's end,
	 * then place the indices from the last down, moving each end back to the
	 * cell's start. Within a cell the indices come out in increasing order.
	 */
	memset(g->start, 0, ((size_t)g->ncells + 1) * sizeof(*g->start));
	for (i = 0; i < n; i++) {
		g->cell_of[i] = gs_repl_grid_cell_of(g, e[i].q);
		g->start[g->cell_of[i]]++;
	}
	for (c = 1; c < g->ncells; c++)
		g->start[c] += g->start[c - 1];
	g->start[g->ncells] = n;
	for (i = n; i > 0; i--) {
		uint32_t k = --g->start[g->cell_of[i - 1]];

		g->items[k] = i - 1;
		g->at[k] = (struct cell_ent){
			.q = { e[i - 1].q[0], e[i - 1].q[1], e[i - 1].q[2] },
			.id = e[i - 1].id,
		};
	}
	g->e = e;
	g->n = n;
	return 0;
}

const uint32_t *
gs_repl_grid_cell(const struct gs_repl_grid *g, uint32_t cell, uint32_t *n)
{
	if (cell >= g->ncells) {
		*n = 0;
		return NULL;
	}
	*n = g->start[cell + 1] - g->start[cell];
	return &g->items[g->start[cell]];
}

/* |a - b| squared: at most (2^32 - 1)^2, which fits. */
static inline uint64_t
sq_diff(int32_t a, int32_t b)
{
	int64_t d = (int64_t)a - b;
	uint64_t m = (uint64_t)(d < 0 ? -d : d);

	return m * m;
}

static inline uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

uint32_t
gs_repl_aoi(const struct gs_repl_grid *g, const int32_t center[3], int32_t radius,
	struct gs_repl_hit *out, uint32_t max)
{
	uint32_t x0, x1, y0, y1, found = 0;
	bool heap = false;
	uint64_t r2;

	if (g == NULL || center == NULL || out == NULL || radius < 0 || max == 0)
		return 0;
	r2 = (uint64_t)radius * (uint64_t)radius;
	x0 = axis_cell(g, 0, (int64_t)center[0] - radius);
	x1 = axis_cell(g, 0, (int64_t)center[0] + radius);
	y0 = axis_cell(g, 1, (int64_t)center[1] - radius);
	y1 = axis_cell(g, 1, (int64_t)center[1] + radius);

	/*
	 * The hits in the order found while fewer than @p max; from the one
	 * after the max-th, a max-heap of the best `max` hits so far (its top is
	 * the worst of them).
	 */
	for (uint32_t cy = y0; cy <= y1; cy++) {
		/* the cells x0..x1 of a row are one run of items */
		uint32_t c = cy * g->dim[0];

		for (uint32_t k = g->start[c + x0]; k < g->start[c + x1 + 1]; k++) {
			const struct cell_ent *x = &g->at[k];
			struct gs_repl_hit h = { .id = x->id, .idx = g->items[k] };

			h.d2 = add_sat(
				add_sat(sq_diff(x->q[0], center[0]), sq_diff(x->q[1], center[1])),
				sq_diff(x->q[2], center[2]));
			if (h.d2 > r2)
				continue;
			if (found < max) {
				out[found++] = h;
				continue;
			}
			if (!heap) {
				for (uint32_t i = found / 2; i > 0; i--)
					hit_sift_down(out, i - 1, found);
				heap = true;
			}
			if (hit_less(&h, &out[0])) {
				out[0] = h;
				hit_sift_down(out, 0, found);
			}
		}
	}
	if (heap)
		hit_heap_sort(out, found);
	else if (found > 64) /* insertion sort's quadratic time would show */
		hit_sort(out, found);
	else
		hit_insertion_sort(out, found);
	return found;
}

void
gs_repl_gather(const struct gs_repl_grid *g, const struct gs_repl_hit *hits, uint32_t n,
	struct gs_repl_ent *out)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] = g->e[hits[i].idx];
}

/* --- encoding ----------------------------------------------------------------------------- */

enum cand_fate {
	FATE_UNCHANGED = 0, /* in the baseline, same state: nothing to send */
	FATE_DELTA,	    /* in the baseline, changed: differences sent */
	FATE_FULL,	    /* new to the view: sent whole */
	FATE_CUT,	    /* left out */
};

struct gs_repl_enc {
	uint32_t cap;
	struct gs_repl_hit *fresh; /* the candidates not in the baseline, by id (d2 unused) */
	int32_t *base_of;	   /* per candidate: its index in the baseline, or -1 */
	uint8_t *fate;		   /* per candidate: enum cand_fate */
	uint8_t *removed_of;	   /* per baseline entity: 1 when sent as removed */
	int32_t *cand_of;	   /* per baseline entity: its candidate's index, or -1 */
	uint8_t *delta_wire; /* the delta field's elements, packed, until they follow full's */
	uint32_t *removed;
};

/*
 * The most bytes one EntityState takes as an element of a repeated field:
 * tag, a length of one byte (the body is at most 54), the id's 6 bytes and 8
 * sint32 fields of 6 bytes each.
 */
#define STATE_WIRE_MAX 56u

struct gs_repl_enc *
gs_repl_enc_create(uint32_t cap)
{
	struct gs_repl_enc *enc;

	if (cap == 0 || cap > GS_REPL_VIEW_MAX) {
		errno = EINVAL;
		return NULL;
	}
	enc = calloc(1, sizeof(*enc));
	if (enc == NULL)
		return NULL;
	enc->cap = cap;
	enc->fresh = calloc(cap, sizeof(*enc->fresh));
	enc->base_of = calloc(cap, sizeof(*enc->base_of));
	enc->fate = calloc(cap, sizeof(*enc->fate));
	enc->removed_of = calloc(cap, sizeof(*enc->removed_of));
	enc->cand_of = calloc(cap, sizeof(*enc->cand_of));
	enc->delta_wire = calloc(cap, STATE_WIRE_MAX);
	enc->removed = calloc(cap, sizeof(*enc->removed));
	if (enc->fresh == NULL || enc->base_of == NULL || enc->fate == NULL ||
		enc->removed_of == NULL || enc->cand_of == NULL || enc->delta_wire == NULL ||
		enc->removed == NULL) {
		gs_repl_enc_free(enc);
		errno = ENOMEM;
		return NULL;
	}
	return enc;
}

void
gs_repl_enc_free(struct gs_repl_enc *enc)
{
	if (enc == NULL)
		return;
	free(enc->fresh);
	free(enc->base_of);
	free(enc->fate);
	free(enc->removed_of);
	free(enc->cand_of);
	free(enc->delta_wire);
	free(enc->removed);
	free(enc);
}

/* Bytes of a varint. */
static inline size_t
vsize(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline uint32_t
zigzag(int32_t v)
{
	return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

/* Bytes of a varint field (tag of one byte: field numbers below 16), 0 when it is 0. */
static inline size_t
field_size(uint64_t v)
{
	return v == 0 ? 0 : 1 + vsize(v);
}

/* Bytes of the packed removed field with @p payload bytes of ids. */
static inline size_t
removed_size(size_t payload)
{
	return payload == 0 ? 0 : 1 + vsize(payload) + payload;
}

/*
 * The Snapshot's wire bytes are written here directly, as protobuf-c packs
 * them (the unit tests compare the two): fields in number order, proto3
 * scalars left out when 0, sint32 zig-zagged, removed packed. Every field
 * number is below 16, so every tag is one byte.
 */
enum {
	TAG_TICK = 1 << 3 | 0, /* varint */
	TAG_BASELINE = 2 << 3 | 0,
	TAG_FULL = 3 << 3 | 2, /* length-delimited */
	TAG_DELTA = 4 << 3 | 2,
	TAG_REMOVED = 5 << 3 | 2,
	TAG_CUT = 6 << 3 | 0,
};

static inline uint8_t *
put_varint(uint8_t *p, uint32_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* A varint field of tag @p tag, nothing when @p v is 0. */
static inline uint8_t *
put_field(uint8_t *p, uint8_t tag, uint32_t v)
{
	if (v == 0)
		return p;
	*p++ = tag;
	return put_varint(p, v);
}

/*
 * The EntityState of @p id with values @p x (whole state or differences) as
 * an element of the repeated field @p tag: at most STATE_WIRE_MAX bytes
 * into @p buf. @return the bytes written.
 */
static size_t
state_put(uint8_t *buf, uint8_t tag, uint32_t id, const struct gs_repl_ent *x)
{
	uint8_t *p = buf + 2;

	p = put_field(p, 1 << 3, id);
	p = put_field(p, 2 << 3, zigzag(x->q[0]));
	p = put_field(p, 3 << 3, zigzag(x->q[1]));
	p = put_field(p, 4 << 3, zigzag(x->q[2]));
	p = put_field(p, 5 << 3, zigzag(x->v[0]));
	p = put_field(p, 6 << 3, zigzag(x->v[1]));
	p = put_field(p, 7 << 3, zigzag(x->v[2]));
	p = put_field(p, 8 << 3, zigzag(x->hp));
	p = put_field(p, 9 << 3, zigzag(x->alive));
	buf[0] = tag;
	buf[1] = (uint8_t)(p - buf - 2); /* at most 54: a length of one byte */
	return (size_t)(p - buf);
}

/* @p c minus @p b, field by field (no overflow: both are within GS_REPL_Q_LIMIT). */
static bool
ent_diff(const struct gs_repl_ent *c, const struct gs_repl_ent *b, struct gs_repl_ent *d)
{
	bool changed = false;

	for (unsigned int k = 0; k < 3; k++) {
		d->q[k] = c->q[k] - b->q[k];
		d->v[k] = c->v[k] - b->v[k];
		changed |= d->q[k] != 0 || d->v[k] != 0;
	}
	d->hp = c->hp - b->hp;
	d->alive = c->alive - b->alive;
	return changed || d->hp != 0 || d->alive != 0;
}

int
gs_repl_encode(struct gs_repl_enc *enc, const struct gs_repl_view *base,
	const struct gs_repl_ent *cand, uint32_t n, uint32_t tick, size_t budget, uint8_t *out,
	size_t out_cap, struct gs_repl_view *next, struct gs_repl_enc_res *res)
{
	const bool full = base == NULL || base->tick == 0;
	const struct gs_repl_ent *be = full ? NULL : base->e;
	uint32_t nb = full ? 0 : base->n;
	uint32_t limit, m, i, b, f, k, view_n, cut, nf = 0;
	size_t size, hdr, rem_payload = 0, full_bytes = 0, delta_bytes = 0;
	uint8_t *p;
	bool stopped = false, dup = false;

	if (enc == NULL || (cand == NULL && n > 0) || out == NULL || next == NULL ||
		next->e == NULL || res == NULL || tick == 0)
		return -EINVAL;
	if (!full && (base->e == next->e || !tick_newer(tick, base->tick) || nb > enc->cap ||
			     nb > next->cap))
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	if (budget > out_cap)
		budget = out_cap;
	limit = enc->cap < next->cap ? enc->cap : next->cap;
	if (limit > GS_REPL_VIEW_MAX)
		limit = GS_REPL_VIEW_MAX;
	m = n < limit ? n : limit;

	/* The candidates considered: valid. */
	for (i = 0; i < m; i++) {
		if (cand[i].id == 0)
			return -EINVAL;
		if (!ent_in_range(&cand[i]))
			return -ERANGE;
	}

	/*
	 * Each candidate's entity in the baseline (a binary search: it is
	 * sorted by id), an id found twice is a candidate twice; the candidates
	 * not in it (few but in a full snapshot) sorted by id, for the view's
	 * merge and their own duplicates.
	 */
	/*
	 * The baseline is a view made ticks ago, out of cache by now: ask for
	 * all of it at once rather than line by line as the searches go.
	 */
	if (be != NULL) /* NULL for a full snapshot: no pointer arithmetic on it */
		for (uintptr_t at = (uintptr_t)be & ~(uintptr_t)63; at < (uintptr_t)(be + nb);
			at += 64)
			__builtin_prefetch((const void *)at);
	memset(enc->cand_of, 0xff, nb * sizeof(*enc->cand_of));
	memset(enc->removed_of, 0, nb);
	for (i = 0; i < m; i++) {
		int64_t at = ent_find_flat(be, nb, cand[i].id);

		enc->base_of[i] = (int32_t)at;
		if (at < 0) {
			enc->fresh[nf++] = (struct gs_repl_hit){ .id = cand[i].id, .idx = i };
			continue;
		}
		dup |= enc->cand_of[at] >= 0;
		enc->cand_of[at] = (int32_t)i;
	}
	id_sort(enc->fresh, nf);
	for (i = 1; i < nf; i++)
		dup |= enc->fresh[i].id == enc->fresh[i - 1].id;
	if (dup)
		return -EINVAL;

	/* 1. The header, and room for the largest cut field (every candidate cut). */
	size = field_size(tick) + field_size(full ? 0 : base->tick);
	if (size + field_size(n) > budget)
		return -EMSGSIZE;

	/* 2. Removals, in id order, while they fit; the rest stay in the view. */
	for (b = 0; b < nb; b++) {
		size_t grown;

		if (enc->cand_of[b] >= 0)
			continue;
		grown = rem_payload + vsize(be[b].id);
		if (res->removed_deferred == 0 &&
			size - removed_size(rem_payload) + removed_size(grown) + field_size(n) <=
				budget) {
			size += removed_size(grown) - removed_size(rem_payload);
			rem_payload = grown;
			enc->removed[res->n_removed++] = be[b].id;
			enc->removed_of[b] = 1;
		} else {
			res->removed_deferred++; /* larger ids cost no less: none fits after */
		}
	}
	view_n = nb - res->n_removed;

	/*
	 * 3. Nearest first, while they fit. Room is kept for the cut field at
	 * its largest: what is cut already plus every candidate after this one.
	 */
	cut = n - m;
	hdr = size - removed_size(rem_payload);
	for (i = 0; i < m; i++) {
		const struct gs_repl_ent *c = &cand[i];
		uint8_t st[STATE_WIRE_MAX];
		struct gs_repl_ent d;
		size_t cost;

		if (enc->base_of[i] >= 0) {
			if (!ent_diff(c, &be[enc->base_of[i]], &d)) {
				enc->fate[i] = FATE_UNCHANGED;
				res->n_unchanged++;
				continue;
			}
			if (!stopped) {
				cost = state_put(st, TAG_DELTA, c->id, &d);
				if (size + cost + field_size(cut + (m - i - 1)) <= budget) {
					enc->fate[i] = FATE_DELTA;
					memcpy(enc->delta_wire + delta_bytes, st, cost);
					delta_bytes += cost;
					res->n_delta++;
					size += cost;
					continue;
				}
				stopped = true;
			}
		} else if (!stopped && view_n < limit) {
			cost = state_put(st, TAG_FULL, c->id, c);
			if (size + cost + field_size(cut + (m - i - 1)) <= budget) {
				enc->fate[i] = FATE_FULL;
				/* full's elements come first after the header: in place */
				memcpy(out + hdr + full_bytes, st, cost);
				full_bytes += cost;
				res->n_full++;
				view_n++;
				size += cost;
				continue;
			}
			stopped = true;
		}
		/* the budget ran out (here or before), or the view is full */
		enc->fate[i] = FATE_CUT;
		cut++;
	}
	size += field_size(cut);
	res->cut = cut;

	/* The rest of the Snapshot around full's elements (size <= budget <= out_cap). */
	p = put_field(out, TAG_TICK, tick);
	p = put_field(p, TAG_BASELINE, full ? 0 : base->tick);
	p += full_bytes;
	memcpy(p, enc->delta_wire, delta_bytes);
	p += delta_bytes;
	if (rem_payload > 0) {
		*p++ = TAG_REMOVED;
		p = put_varint(p, (uint32_t)rem_payload);
		for (k = 0; k < res->n_removed; k++)
			p = put_varint(p, enc->removed[k]);
	}
	p = put_field(p, TAG_CUT, cut);
	res->len = (size_t)(p - out);
	assert(res->len == size);

	/* The client's view once it applies this: a merge of both lists by id. */
	for (f = 0, b = 0, k = 0; f < nf || b < nb;) {
		int32_t ci;

		if (f < nf && (b >= nb || enc->fresh[f].id < be[b].id)) {
			ci = (int32_t)enc->fresh[f++].idx;
			if (enc->fate[ci] == FATE_FULL)
				next->e[k++] = cand[ci];
			continue;
		}
		ci = enc->cand_of[b];
		if (ci < 0) {
			if (!enc->removed_of[b]) /* a deferred removal */
				next->e[k++] = be[b];
		} else {
			/* cut: the client keeps the baseline's state (stale) */
			next->e[k++] = enc->fate[ci] == FATE_CUT ? be[b] : cand[ci];
		}
		b++;
	}
	assert(k == view_n);
	next->n = k;
	next->tick = tick;
	return 0;
}

/* --- the server's record of a session ------------------------------------------------------ */

struct gs_repl_sess *
gs_repl_sess_create(uint32_t ring, uint32_t view_cap)
{
	struct gs_repl_sess *s;

	if (ring == 0 || ring > 65536 || view_cap == 0 || view_cap > GS_REPL_VIEW_MAX) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->ring = ring;
	s->view_cap = view_cap;
	s->views = calloc(ring, sizeof(*s->views));
	s->ents = calloc((size_t)ring * view_cap, sizeof(*s->ents));
	if (s->views == NULL || s->ents == NULL) {
		gs_repl_sess_free(s);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < ring; i++) {
		s->views[i].cap = view_cap;
		s->views[i].e = s->ents + (size_t)i * view_cap;
	}
	return s;
}

void
gs_repl_sess_free(struct gs_repl_sess *s)
{
	if (s == NULL)
		return;
	free(s->ents);
	free(s->views);
	free(s);
}

void
gs_repl_sess_reset(struct gs_repl_sess *s)
{
	for (uint32_t i = 0; i < s->ring; i++) {
		s->views[i].tick = 0;
		s->views[i].n = 0;
	}
	s->baseline = 0;
	s->last_tick = 0;
	memset(&s->stats, 0, sizeof(s->stats));
}

const struct gs_repl_view *
gs_repl_sess_view(const struct gs_repl_sess *s, uint32_t tick)
{
	const struct gs_repl_view *v;

	if (s == NULL || tick == 0 || s->last_tick == 0)
		return NULL;
	/* the last K ticks only, also when ticks were skipped and a slot is older */
	if (tick_newer(tick, s->last_tick) || s->last_tick - tick >= s->ring)
		return NULL;
	v = &s->views[tick % s->ring];
	return v->tick == tick ? v : NULL;
}

int
gs_repl_sess_snapshot(struct gs_repl_sess *s, struct gs_repl_enc *enc,
	const struct gs_repl_ent *cand, uint32_t n, uint32_t tick, size_t budget, uint8_t *out,
	size_t out_cap, struct gs_repl_enc_res *res)
{
	const struct gs_repl_view *base = NULL;
	struct gs_repl_view *slot;
	int ret;

	if (s == NULL || tick == 0 || (s->last_tick != 0 && !tick_newer(tick, s->last_tick)))
		return -EINVAL;
	if (s->baseline != 0) {
		base = gs_repl_sess_view(s, s->baseline);
		if (base == NULL || tick - s->baseline >= s->ring) {
			s->stats.baseline_lost++;
			s->baseline = 0;
			base = NULL;
		}
	}
	/* The slot of tick - K or older: never the baseline's (less than K ticks old). */
	slot = &s->views[tick % s->ring];
	slot->tick = 0;
	slot->n = 0;
	ret = gs_repl_encode(enc, base, cand, n, tick, budget, out, out_cap, slot, res);
	if (ret < 0)
		return ret;
	s->last_tick = tick;
	s->stats.snapshots++;
	s->stats.full += base == NULL;
	s->stats.bytes += res->len;
	s->stats.cut += res->cut;
	return 0;
}

int
gs_repl_sess_ack(struct gs_repl_sess *s, uint32_t tick)
{
	if (tick != 0 && s->baseline != 0) {
		if (tick == s->baseline) {
			s->stats.acks_dup++;
			return -EALREADY;
		}
		if (!tick_newer(tick, s->baseline)) {
			s->stats.acks_old++;
			return -ESTALE;
		}
	}
	if (gs_repl_sess_view(s, tick) == NULL) {
		s->stats.acks_unknown++;
		return -ENOENT;
	}
	s->baseline = tick;
	s->stats.acks++;
	return 0;
}

/* --- decoding and applying ---------------------------------------------------------------- */

const Gs__Snapshot *
gs_repl_decode(struct gs_repl_dec *d, const uint8_t *buf, size_t len)
{
	static const uint8_t empty[1];
	Gs__Snapshot *m;

	if (d == NULL || (buf == NULL && len > 0)) {
		errno = EINVAL;
		return NULL;
	}
	gs_pb_arena_init(&d->arena, d->mem, sizeof(d->mem));
	m = gs__snapshot__unpack(&d->arena.alloc, len, buf != NULL ? buf : empty);
	if (m == NULL)
		errno = EBADMSG;
	return m;
}

/* The whole state @p st into @p x, if it is one. */
static int
state_take(const Gs__EntityState *st, struct gs_repl_ent *x)
{
	if (st->id == 0)
		return -EBADMSG;
	x->id = st->id;
	x->q[0] = st->x;
	x->q[1] = st->y;
	x->q[2] = st->z;
	x->v[0] = st->vx;
	x->v[1] = st->vy;
	x->v[2] = st->vz;
	x->hp = st->hp;
	x->alive = st->alive;
	return ent_in_range(x) ? 0 : -ERANGE;
}

/* Add the differences @p st to @p x, refusing sums outside the quantised range. */
static int
state_add(const Gs__EntityState *st, struct gs_repl_ent *x)
{
	const int32_t d[8] = { st->x, st->y, st->z, st->vx, st->vy, st->vz, st->hp, st->alive };
	int32_t *f[8] = { &x->q[0], &x->q[1], &x->q[2], &x->v[0], &x->v[1], &x->v[2], &x->hp,
		&x->alive };
	int64_t sum[8];

	for (unsigned int k = 0; k < 8; k++) {
		sum[k] = (int64_t)*f[k] + d[k];
		if (!q_in_range(sum[k]))
			return -ERANGE;
	}
	if (sum[7] != 0 && sum[7] != 1)
		return -ERANGE;
	for (unsigned int k = 0; k < 8; k++)
		*f[k] = (int32_t)sum[k];
	return 0;
}

enum {
	MARK_REMOVED = 1,
	MARK_DELTA = 2
};

int
gs_repl_apply(const struct gs_repl_view *base, const Gs__Snapshot *snap, struct gs_repl_view *out)
{
	uint8_t mark[GS_REPL_VIEW_MAX]; /* per baseline entity: removed, or its delta applied */
	uint32_t cap, nb = 0, k;
	int64_t at;
	size_t i;
	int ret;

	if (snap == NULL || out == NULL || out->e == NULL ||
		(base != NULL && (base == out || base->e == out->e)))
		return -EINVAL;
	out->n = 0;
	out->tick = 0;
	cap = out->cap < GS_REPL_VIEW_MAX ? out->cap : GS_REPL_VIEW_MAX;
	if (snap->tick == 0)
		return -EBADMSG;

	if (snap->baseline == 0) {
		if (snap->n_delta > 0 || snap->n_removed > 0)
			return -EBADMSG;
	} else {
		if (base == NULL || base->tick != snap->baseline)
			return -ENOENT;
		if (!tick_newer(snap->tick, snap->baseline))
			return -EBADMSG;
		if (base->n > cap)
			return -E2BIG;
		/* each id at most once, each in the baseline */
		if (snap->n_removed > base->n || snap->n_delta > base->n)
			return -EBADMSG;
		nb = base->n;
		memcpy(out->e, base->e, (size_t)nb * sizeof(*out->e));
	}
	if (snap->n_full > cap)
		return -E2BIG;
	memset(mark, 0, nb);

	for (i = 0; i < snap->n_removed; i++) {
		at = ent_find(out->e, nb, snap->removed[i]);
		if (at < 0 || mark[at] != 0)
			return -EBADMSG; /* not in the baseline, or removed twice */
		mark[at] = MARK_REMOVED;
	}
	for (i = 0; i < snap->n_delta; i++) {
		at = ent_find(out->e, nb, snap->delta[i]->id);
		if (at < 0 || mark[at] != 0)
			return -EBADMSG; /* not in the baseline, removed, or twice */
		ret = state_add(snap->delta[i], &out->e[at]);
		if (ret < 0)
			return ret;
		mark[at] = MARK_DELTA;
	}
	for (i = 0; i < snap->n_full; i++)
		if (ent_find(out->e, nb, snap->full[i]->id) >= 0)
			return -EBADMSG; /* in the baseline's view already (or removed here) */

	for (k = 0, i = 0; i < nb; i++)
		if (mark[i] != MARK_REMOVED)
			out->e[k++] = out->e[i];
	if (k + snap->n_full > cap)
		return -E2BIG;
	for (i = 0; i < snap->n_full; i++) {
		ret = state_take(snap->full[i], &out->e[k + i]);
		if (ret < 0)
			return ret;
	}
	if (snap->n_full > 0) {
		k += (uint32_t)snap->n_full;
		ent_sort(out->e, k);
		for (i = 1; i < k; i++)
			if (out->e[i].id == out->e[i - 1].id)
				return -EBADMSG; /* a new id twice */
	}
	out->n = k;
	out->tick = snap->tick;
	return 0;
}
