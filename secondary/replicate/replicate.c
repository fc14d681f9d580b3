/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-replicate: world replication with interest management, a handler class
 * built on the handler SDK alone (gs_sdk.h, gs_repl.h).
 *
 * Every 1 / tick_hz seconds it reads every entity in play (the entities of
 * the open sessions, lock-free), buckets them in a uniform grid of
 * aoi_radius cells, and for each of its sessions (those gs_rendezvous()
 * gives this instance among the class's live ones, as the primary
 * dispatches their acks) sends a Snapshot of the entities within aoi_radius
 * of the session's entity, nearest first, under budget_bytes, as a delta
 * against the newest snapshot the client acknowledged (SnapshotAck), or
 * whole when it has none (a new session, a restarted or new instance).
 */
#include "replicate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

GS_LOG_TYPE(gs.replicate);

int
repl_init(struct repl *r, struct gs_handler *h, const struct gs_cfg *cfg)
{
	unsigned int cls = gs_cfg_class_find(cfg, h->class_name);
	uint64_t tick_hz, radius, budget, view_max;
	const struct gs_world_rules *w;
	char err[512];
	int ret;

	memset(r, 0, sizeof(*r));
	r->h = h;
	if (gs_cfg_class_param_u64(cfg, cls, "tick_hz", 1, 60, 20, &tick_hz, err, sizeof(err)) <
			0 ||
		gs_cfg_class_param_u64(
			cfg, cls, "aoi_radius", 1, 100000, 50, &radius, err, sizeof(err)) < 0 ||
		gs_cfg_class_param_u64(cfg, cls, "budget_bytes", 64, GS_WIRE_MAX_PAYLOAD,
			GS_WIRE_MAX_PAYLOAD, &budget, err, sizeof(err)) < 0 ||
		gs_cfg_class_param_u64(cfg, cls, "view_max", 1, GS_REPL_VIEW_MAX, 128, &view_max,
			err, sizeof(err)) < 0) {
		GS_LOG(ERR, "%s", err);
		return -EINVAL;
	}
	r->tick_tsc = h->tsc_hz / tick_hz;
	r->radius = (float)radius;
	r->budget = (size_t)budget;
	r->view_max = (uint32_t)view_max;
	ret = gs_world_attach_game("gs-replicate", &r->tbl, &r->world);
	if (ret < 0)
		return ret;
	w = &r->world->rules;
	r->ents = calloc(r->tbl.max, sizeof(*r->ents));
	r->owner = calloc(r->tbl.max, sizeof(*r->owner));
	r->sess = calloc(r->tbl.max, sizeof(*r->sess));
	r->hits = calloc(r->view_max, sizeof(*r->hits));
	r->cand = calloc(r->view_max, sizeof(*r->cand));
	r->enc = gs_repl_enc_create(r->view_max);
	r->grid = gs_repl_grid_create(w->min, w->max, r->radius, r->tbl.max);
	if (r->ents == NULL || r->owner == NULL || r->sess == NULL || r->hits == NULL ||
		r->cand == NULL || r->enc == NULL || r->grid == NULL) {
		GS_LOG(ERR, "no memory for %u sessions' replication state", r->tbl.max);
		return -ENOMEM;
	}
	ret = gs_handler_hist_declare(h, "tick"); /* the tick's duration */
	if (ret < 0)
		return ret;
	GS_LOG(NOTICE, "%" PRIu64 " Hz, aoi_radius %" PRIu64 ", %zu bytes a snapshot, %u entities",
		tick_hz, radius, r->budget, r->view_max);
	return 0;
}

void
repl_fini(struct repl *r)
{
	for (uint32_t i = 0; r->sess != NULL && i < r->tbl.max; i++)
		gs_repl_sess_free(r->sess[i].s);
	free(r->sess);
	free(r->ents);
	free(r->owner);
	free(r->hits);
	free(r->cand);
	gs_repl_enc_free(r->enc);
	gs_repl_grid_free(r->grid);
}

/* This instance's state for session @p s, made (or reset for a new session) on first use. */
static struct gs_repl_sess *
sess_of(struct repl *r, const struct gs_session *s)
{
	struct repl_sess *rs = &r->sess[gs_session_slot(&r->tbl, s) - 1];

	if (rs->s == NULL) {
		rs->s = gs_repl_sess_create(REPL_RING, r->view_max);
		if (rs->s == NULL)
			return NULL;
		rs->session_id = s->session_id;
	} else if (rs->session_id != s->session_id) {
		gs_repl_sess_reset(rs->s); /* a new session: it starts with a full snapshot */
		rs->session_id = s->session_id;
	}
	return rs->s;
}

/* The instances of this class the primary dispatches to (their acks come here). */
static uint32_t
live_instances(const struct repl *r)
{
	uint32_t live = 0;

	for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++)
		if (__atomic_load_n(&r->h->ctl->handlers[r->h->cls][i].up, __ATOMIC_ACQUIRE))
			live |= 1u << i;
	return live != 0 ? live : 1u << r->h->instance; /* before the primary saw us */
}

/* Every entity of an open session, read once for this tick. */
static uint32_t
read_world(struct repl *r, uint64_t now)
{
	uint32_t n = 0;

	for (uint32_t pos = 0; pos < r->tbl.max; pos++) {
		const struct gs_session *s = &r->tbl.s[pos];

		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE ||
			s->entity_id == 0 ||
			gs_repl_read(r->world, s->entity_id, s->session_id, now, &r->ents[n]) < 0)
			continue;
		r->owner[n] = pos;
		n++;
	}
	return n;
}

/* One session's snapshot of this tick: @return its bytes, 0 when none was sent. */
static size_t
snapshot_for(struct repl *r, const struct gs_session *s, const struct gs_repl_ent *self)
{
	struct gs_repl_enc_res res;
	struct gs_repl_sess *rs = sess_of(r, s);
	uint64_t full_before;
	uint32_t n;
	int ret;

	if (rs == NULL) {
		r->errors++;
		return 0;
	}
	n = gs_repl_aoi(r->grid, self->q, gs_repl_q(r->radius), r->hits, r->view_max);
	gs_repl_gather(r->grid, r->hits, n, r->cand);
	full_before = rs->stats.full;
	ret = gs_repl_sess_snapshot(
		rs, r->enc, r->cand, n, r->tick, r->budget, r->out, sizeof(r->out), &res);
	if (ret < 0) {
		r->errors++;
		return 0;
	}
	ret = gs_handler_send_raw(
		r->h, s->session_id % r->h->n_lcores, &r->tbl, s, GS_MSG_SNAPSHOT, r->out, res.len);
	if (ret < 0) {
		r->dropped++; /* the reply ring is full: the client skips a tick */
		return 0;
	}
	r->snapshots++;
	r->full += rs->stats.full - full_before;
	r->bytes += res.len;
	r->entities += res.n_full + res.n_delta + res.n_unchanged;
	r->cut += res.cut;
	return res.len;
}

/* One replication tick. */
static void
replicate(struct repl *r, uint64_t now)
{
	uint32_t live = live_instances(r), n;

	/*
	 * The tick's number comes from the TSC, the host's clock every instance
	 * shares: a restarted or another instance goes on from where the last
	 * one was, and a client never takes its snapshots for old ones.
	 */
	r->tick = (uint32_t)(now / r->tick_tsc);
	n = read_world(r, now);
	if (gs_repl_grid_build(r->grid, r->ents, n) < 0) {
		r->errors++;
		return;
	}
	for (uint32_t k = 0; k < n; k++) {
		const struct gs_session *s = &r->tbl.s[r->owner[k]];

		if (gs_rendezvous(s->session_id, live) == (int)r->h->instance)
			snapshot_for(r, s, &r->ents[k]);
	}
}

/* @p cycles of a @p hz TSC in ns, without overflowing the multiplication. */
static uint64_t
cycles_ns(uint64_t cycles, uint64_t hz)
{
	return cycles / hz * 1000000000u + cycles % hz * 1000000000u / hz;
}

void
repl_tick(void *arg, uint64_t now)
{
	struct repl *r = arg;
	uint64_t t1;

	if (now < r->next_tick)
		return;
	/* on its own clock: a late tick does not bunch the next ones */
	r->next_tick =
		(r->next_tick == 0 || now - r->next_tick > r->tick_tsc ? now : r->next_tick) +
		r->tick_tsc;
	replicate(r, now);
	t1 = rte_get_timer_cycles();
	r->ticks++;
	if (t1 - now > r->tick_tsc)
		r->overruns++;
	gs_handler_hist_add(r->h, cycles_ns(t1 - now, r->h->tsc_hz));
}

void
repl_burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n)
{
	struct repl *r = arg;

	(void)lcore;
	for (unsigned int i = 0; i < n; i++) {
		const struct gs_msg *m = &msgs[i];
		const struct gs_session *s = gs_session_of_msg(&r->tbl, m);
		Gs__SnapshotAck *ack;
		struct gs_repl_sess *rs;

		gs_handler_answering(r->h, m);
		gs_pb_arena_reset(&r->arena);
		if (s == NULL) {
			gs_handler_reject(r->h, GS_REJECT_NOT_CONNECTED);
			continue;
		}
		if (m->hdr.type != GS_MSG_SNAPSHOT_ACK) {
			gs_handler_reject(r->h, GS_REJECT_BAD_TYPE);
			continue;
		}
		ack = gs__snapshot_ack__unpack(&r->arena.alloc, m->hdr.payload_len, m->payload);
		if (ack == NULL) {
			gs_handler_reject(r->h, GS_REJECT_BAD_PAYLOAD);
			continue;
		}
		rs = sess_of(r, s);
		if (rs != NULL && gs_repl_sess_ack(rs, ack->tick) == 0)
			r->acks++;
		else
			r->acks_ignored++; /* old, repeated, or of a tick no longer held */
	}
}
