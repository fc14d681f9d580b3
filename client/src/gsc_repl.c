/* SPDX-License-Identifier: BSD-3-Clause */
#include "gsc_repl.h"

#include <errno.h>
#include <string.h>

#define N_SLOTS (GSC_REPL_VIEWS + 1)

static inline bool
tick_newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

void
gsc_repl_init(struct gsc_repl *r)
{
	memset(r, 0, offsetof(struct gsc_repl, slot));
	r->cur = -1;
	for (unsigned int i = 0; i < N_SLOTS; i++) {
		r->slot[i].v.tick = 0;
		r->slot[i].v.n = 0;
		r->slot[i].v.cap = GSC_REPL_VIEW_MAX;
		r->slot[i].v.e = r->slot[i].e;
		r->slot[i].recv_ns = 0;
	}
}

/* The slot holding the view of @p tick, or NULL. */
static const struct gs_repl_view *
held(const struct gsc_repl *r, uint32_t tick)
{
	for (unsigned int i = 0; i < N_SLOTS; i++)
		if (r->slot[i].v.tick == tick)
			return &r->slot[i].v;
	return NULL;
}

int
gsc_repl_input(struct gsc_repl *r, const uint8_t *payload, size_t len, uint64_t now_ns,
	struct gsc_snapshot_info *info)
{
	const struct gs_repl_view *base = NULL;
	const Gs__Snapshot *s;
	int free_slot = -1, oldest = -1, count = 0;

	if (r == NULL || info == NULL || (payload == NULL && len > 0))
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	s = gs_repl_decode(&r->dec, payload, len);
	if (s == NULL) {
		r->stats.dropped_bad++;
		return -EBADMSG;
	}
	info->tick = s->tick;
	info->baseline = s->baseline;
	info->cut = s->cut;

	if (r->newest != 0 && !tick_newer(s->tick, r->newest)) {
		r->stats.dropped_old++;
		info->drop = -ESTALE;
		return -ESTALE;
	}
	if (s->baseline != 0) {
		base = held(r, s->baseline);
		if (base == NULL) {
			r->stats.dropped_no_baseline++;
			info->drop = -ENOENT;
			info->ack = true;
			return -ENOENT;
		}
	}

	/* At most GSC_REPL_VIEWS are held: a slot is free (never the baseline's). */
	for (int i = 0; i < (int)N_SLOTS && free_slot < 0; i++)
		if (r->slot[i].v.tick == 0)
			free_slot = i;
	if (free_slot < 0 || gs_repl_apply(base, s, &r->slot[free_slot].v) < 0) {
		r->stats.dropped_bad++;
		return -EBADMSG;
	}
	r->slot[free_slot].recv_ns = now_ns;
	r->newest = s->tick;
	r->cur = free_slot;
	r->cut = s->cut;
	r->stats.applied++;
	if (s->baseline == 0)
		r->stats.full++;
	else
		r->stats.delta++;
	r->stats.cut += s->cut;
	info->n = r->slot[free_slot].v.n;
	info->applied = true;
	info->ack = true;

	/* Keep GSC_REPL_VIEWS: the oldest goes (never the new one, the newest). */
	for (int i = 0; i < (int)N_SLOTS; i++) {
		if (r->slot[i].v.tick == 0)
			continue;
		count++;
		if (oldest < 0 || tick_newer(r->slot[oldest].v.tick, r->slot[i].v.tick))
			oldest = i;
	}
	if (count > (int)GSC_REPL_VIEWS)
		r->slot[oldest].v.tick = 0;
	return 0;
}

const struct gs_repl_view *
gsc_repl_view(const struct gsc_repl *r)
{
	return r->cur < 0 ? NULL : &r->slot[r->cur].v;
}

uint32_t
gsc_repl_count(const struct gsc_repl *r)
{
	return r->cur < 0 ? 0 : r->slot[r->cur].v.n;
}

static void
dequantise(const struct gs_repl_ent *q, struct gsc_repl_ent *out)
{
	out->id = q->id;
	for (unsigned int k = 0; k < 3; k++) {
		out->pos[k] = gs_repl_unq(q->q[k]);
		out->vel[k] = gs_repl_unq(q->v[k]);
	}
	out->hp = q->hp;
	out->alive = q->alive != 0;
}

int
gsc_repl_entity_at(const struct gsc_repl *r, uint32_t i, struct gsc_repl_ent *out)
{
	if (i >= gsc_repl_count(r))
		return -ENOENT;
	dequantise(&r->slot[r->cur].v.e[i], out);
	return 0;
}

int
gsc_repl_entity(const struct gsc_repl *r, uint32_t id, struct gsc_repl_ent *out)
{
	const struct gs_repl_ent *q = gs_repl_view_find(gsc_repl_view(r), id);

	if (q == NULL)
		return -ENOENT;
	dequantise(q, out);
	return 0;
}

static void
position_of(const struct gs_repl_ent *q, float out[3])
{
	for (unsigned int k = 0; k < 3; k++)
		out[k] = gs_repl_unq(q->q[k]);
}

int
gsc_repl_interp(const struct gsc_repl *r, uint32_t id, uint64_t t_ns, float out[3])
{
	const struct gsc_repl_slot *v[GSC_REPL_INTERP];
	const struct gs_repl_ent *a, *b;
	unsigned int n = 0, j;
	double f;

	/* the newest GSC_REPL_INTERP views, oldest first (insertion by tick) */
	for (unsigned int i = 0; i < N_SLOTS; i++) {
		const struct gsc_repl_slot *s = &r->slot[i];

		if (s->v.tick == 0)
			continue;
		if (n == GSC_REPL_INTERP && !tick_newer(s->v.tick, v[0]->v.tick))
			continue;
		if (n == GSC_REPL_INTERP) { /* the oldest of the buffer goes */
			memmove(&v[0], &v[1], (GSC_REPL_INTERP - 1) * sizeof(v[0]));
			n--;
		}
		for (j = n; j > 0 && tick_newer(v[j - 1]->v.tick, s->v.tick); j--)
			v[j] = v[j - 1];
		v[j] = s;
		n++;
	}
	if (n == 0)
		return -ENOENT;

	if (t_ns >= v[n - 1]->recv_ns || n == 1) {
		a = gs_repl_view_find(&v[n - 1]->v, id);
		if (a == NULL)
			return -ENOENT;
		position_of(a, out);
		return 0;
	}
	if (t_ns < v[0]->recv_ns) {
		a = gs_repl_view_find(&v[0]->v, id);
		if (a == NULL)
			return -ENOENT;
		position_of(a, out);
		return 0;
	}
	/* v[j]->recv_ns <= t_ns < v[j + 1]->recv_ns */
	for (j = 0; j + 2 < n && t_ns >= v[j + 1]->recv_ns; j++)
		;
	a = gs_repl_view_find(&v[j]->v, id);
	b = gs_repl_view_find(&v[j + 1]->v, id);
	if (a == NULL && b == NULL)
		return -ENOENT;
	/* in one view only, or receive times out of order (a clock that stepped back) */
	if (a == NULL || b == NULL || t_ns < v[j]->recv_ns || v[j + 1]->recv_ns <= v[j]->recv_ns) {
		position_of(b != NULL ? b : a, out);
		return 0;
	}
	f = (double)(t_ns - v[j]->recv_ns) / (double)(v[j + 1]->recv_ns - v[j]->recv_ns);
	for (unsigned int k = 0; k < 3; k++)
		out[k] = (float)((double)gs_repl_unq(a->q[k]) +
				 f * ((double)gs_repl_unq(b->q[k]) - gs_repl_unq(a->q[k])));
	return 0;
}
