/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the replication snapshot applier (shared/src/repl.c,
 * gs_repl_decode() and gs_repl_apply()) and libgsclient's views
 * (client/src/gsc_repl.c, gsc_repl_input()): what a client does with a
 * SNAPSHOT payload from the network.
 *
 * Input: fuzz_snapshot.h (flags, the baseline's tick, then the payload or a
 * stream of payloads).
 *
 * One snapshot against a baseline view, checked:
 * - decoding stays within its arena;
 * - gs_repl_apply() returns 0 or one of its documented refusals, and
 *   refuses exactly what a plain model of the rules refuses
 *   (docs/PROTOCOL.md, "Replication"); a refusal leaves the view empty;
 * - an accepted view is sorted by id with no id 0 or twice, every value in
 *   the quantised range, alive 0 or 1, within the output's room, and equal to
 *   the model's;
 * - the encoder agrees: gs_repl_encode() of the accepted view against the
 *   same baseline (no budget limit) makes the same view, and applying its
 *   bytes gives it again.
 *
 * A stream into a gsc_repl, checked after each payload: the result is one
 * of those documented; the newest tick only moves forward, and only when a
 * snapshot applied; at most GSC_REPL_VIEWS views are held, each valid; the
 * current one is the newest; reading it and interpolating never fails
 * otherwise than documented.
 */
#include "fuzz_snapshot.h"

#include <errno.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "gs_repl.h"
#include "gs_wire.h"

#include "fuzz_common.h"
#include "gsc_repl.h"

#define BIG_VIEW 1024u /* a baseline (63) and a datagram's entities (600) fit */

static struct gs_repl_dec dec;
static struct gs_repl_ent base_mem[64], out_mem[BIG_VIEW], model_mem[BIG_VIEW];
static struct gs_repl_ent next_mem[BIG_VIEW], again_mem[BIG_VIEW];
static uint8_t packed[1 << 18];
static struct gs_repl_enc *enc;
static struct gsc_repl *repl;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	enc = gs_repl_enc_create(BIG_VIEW);
	repl = malloc(sizeof(*repl));
	CHECK(enc != NULL && repl != NULL);
	return 0;
}

static inline bool
newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static bool
in_range(int64_t v)
{
	return v >= -GS_REPL_Q_LIMIT && v <= GS_REPL_Q_LIMIT;
}

static void
check_view(const struct gs_repl_view *v)
{
	CHECK(v->n <= v->cap);
	for (uint32_t i = 0; i < v->n; i++) {
		const struct gs_repl_ent *e = &v->e[i];

		CHECK(e->id != 0);
		CHECK(i == 0 || v->e[i - 1].id < e->id);
		for (unsigned int k = 0; k < 3; k++)
			CHECK(in_range(e->q[k]) && in_range(e->v[k]));
		CHECK(in_range(e->hp));
		CHECK(e->alive == 0 || e->alive == 1);
	}
}

static int64_t
model_find(const struct gs_repl_ent *e, uint32_t n, uint32_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (e[i].id == id)
			return i;
	return -1;
}

/* The rules, the slow and obvious way: is the snapshot valid, and its view. */
static bool
model_apply(const struct gs_repl_view *base, const Gs__Snapshot *s, uint32_t cap,
	struct gs_repl_ent *out, uint32_t *n_out)
{
	uint32_t n = 0, n_base = 0;
	size_t i, j, k;

	if (s->tick == 0)
		return false;
	if (s->baseline == 0) {
		if (s->n_delta > 0 || s->n_removed > 0)
			return false;
	} else {
		if (base == NULL || base->tick != s->baseline || !newer(s->tick, s->baseline))
			return false;
		if (base->n > cap)
			return false;
		n_base = base->n;
		memcpy(out, base->e, n_base * sizeof(*out));
		n = n_base;
	}
	/* every id once in the whole snapshot, never 0 */
	for (i = 0; i < s->n_full + s->n_delta + s->n_removed; i++) {
		uint32_t a = i < s->n_full		? s->full[i]->id :
			     i < s->n_full + s->n_delta ? s->delta[i - s->n_full]->id :
							  s->removed[i - s->n_full - s->n_delta];

		if (a == 0)
			return false;
		for (j = i + 1; j < s->n_full + s->n_delta + s->n_removed; j++) {
			uint32_t b = j < s->n_full ? s->full[j]->id :
				     j < s->n_full + s->n_delta ?
						     s->delta[j - s->n_full]->id :
						     s->removed[j - s->n_full - s->n_delta];

			if (a == b)
				return false;
		}
	}
	for (i = 0; i < s->n_removed; i++) {
		int64_t at = model_find(out, n, s->removed[i]);

		if (at < 0)
			return false;
		out[at] = out[--n];
	}
	for (i = 0; i < s->n_delta; i++) {
		const Gs__EntityState *d = s->delta[i];
		int64_t at = model_find(out, n, d->id);
		int64_t sum[8];

		if (at < 0)
			return false;
		sum[0] = (int64_t)out[at].q[0] + d->x;
		sum[1] = (int64_t)out[at].q[1] + d->y;
		sum[2] = (int64_t)out[at].q[2] + d->z;
		sum[3] = (int64_t)out[at].v[0] + d->vx;
		sum[4] = (int64_t)out[at].v[1] + d->vy;
		sum[5] = (int64_t)out[at].v[2] + d->vz;
		sum[6] = (int64_t)out[at].hp + d->hp;
		sum[7] = (int64_t)out[at].alive + d->alive;
		for (k = 0; k < 7; k++)
			if (!in_range(sum[k]))
				return false;
		if (sum[7] != 0 && sum[7] != 1)
			return false;
		out[at].q[0] = (int32_t)sum[0];
		out[at].q[1] = (int32_t)sum[1];
		out[at].q[2] = (int32_t)sum[2];
		out[at].v[0] = (int32_t)sum[3];
		out[at].v[1] = (int32_t)sum[4];
		out[at].v[2] = (int32_t)sum[5];
		out[at].hp = (int32_t)sum[6];
		out[at].alive = (int32_t)sum[7];
	}
	for (i = 0; i < s->n_full; i++) {
		const Gs__EntityState *f = s->full[i];

		if (base != NULL && s->baseline != 0 && model_find(base->e, n_base, f->id) >= 0)
			return false;
		if (!in_range(f->x) || !in_range(f->y) || !in_range(f->z) || !in_range(f->vx) ||
			!in_range(f->vy) || !in_range(f->vz) || !in_range(f->hp) ||
			(f->alive != 0 && f->alive != 1))
			return false;
		if (n == cap)
			return false;
		out[n++] = (struct gs_repl_ent){ .id = f->id,
			.q = { f->x, f->y, f->z },
			.v = { f->vx, f->vy, f->vz },
			.hp = f->hp,
			.alive = f->alive };
	}
	/* by id: insertion sort */
	for (i = 1; i < n; i++) {
		struct gs_repl_ent t = out[i];

		for (j = i; j > 0 && out[j - 1].id > t.id; j--)
			out[j] = out[j - 1];
		out[j] = t;
	}
	*n_out = n;
	return true;
}

static bool
views_equal(const struct gs_repl_ent *a, const struct gs_repl_ent *b, uint32_t n)
{
	return n == 0 || memcmp(a, b, n * sizeof(*a)) == 0;
}

/* Encode the accepted view @p got against @p base again: the same view, both ways. */
static void
check_encoder_agrees(const struct gs_repl_view *base, const struct gs_repl_view *got)
{
	struct gs_repl_view next = { .cap = BIG_VIEW, .e = next_mem };
	struct gs_repl_view again = { .cap = BIG_VIEW, .e = again_mem };
	struct gs_repl_enc_res res;
	Gs__Snapshot *s;

	CHECK(gs_repl_encode(enc, base, got->e, got->n, got->tick, sizeof(packed), packed,
		      sizeof(packed), &next, &res) == 0);
	CHECK(res.cut == 0 && res.removed_deferred == 0);
	CHECK(next.tick == got->tick && next.n == got->n && views_equal(next.e, got->e, got->n));
	s = gs__snapshot__unpack(NULL, res.len, packed); /* larger than a datagram's arena */
	CHECK(s != NULL);
	CHECK(gs_repl_apply(base, s, &again) == 0);
	CHECK(again.tick == got->tick && again.n == got->n && views_equal(again.e, got->e, got->n));
	gs__snapshot__free_unpacked(s, NULL);
}

static void
one_snapshot(uint8_t flags, uint32_t base_tick, const uint8_t *data, size_t size)
{
	struct gs_repl_view base = { .cap = 64, .e = base_mem };
	struct gs_repl_view out = { .e = out_mem };
	const Gs__Snapshot *s;
	uint32_t model_n = 0;
	bool model_ok;
	int ret;

	out.cap = (flags & FUZZ_SNAP_SMALL) ? FUZZ_SNAP_SMALL_VIEW : BIG_VIEW;
	fuzz_snapshot_baseline(flags & FUZZ_SNAP_N_MASK, base_tick, &base);
	s = gs_repl_decode(&dec, data, size);
	CHECK(dec.arena.used <= dec.arena.cap);
	if (s == NULL)
		return;

	ret = gs_repl_apply(&base, s, &out);
	CHECK(ret == 0 || ret == -ENOENT || ret == -EBADMSG || ret == -ERANGE || ret == -E2BIG);
	model_ok = model_apply(&base, s, out.cap, model_mem, &model_n);
	CHECK(model_ok == (ret == 0));
	if (ret != 0) {
		CHECK(out.n == 0 && out.tick == 0);
		return;
	}
	CHECK(out.tick == s->tick);
	check_view(&out);
	CHECK(out.n == model_n && views_equal(out.e, model_mem, model_n));
	check_encoder_agrees(s->baseline != 0 ? &base : NULL, &out);
}

static uint32_t
held_views(void)
{
	uint32_t n = 0;

	for (unsigned int i = 0; i <= GSC_REPL_VIEWS; i++) {
		const struct gs_repl_view *v = &repl->slot[i].v;

		if (v->tick == 0)
			continue;
		n++;
		CHECK(v->e == repl->slot[i].e && v->cap == GSC_REPL_VIEW_MAX);
		check_view(v);
		CHECK(v->tick == repl->newest || newer(repl->newest, v->tick));
	}
	return n;
}

static void
stream(const uint8_t *data, size_t size)
{
	uint64_t now = 1000000000u;
	uint32_t newest = 0;

	gsc_repl_init(repl);
	while (size >= 2) {
		size_t len = (size_t)data[0] | (size_t)data[1] << 8;
		struct gsc_snapshot_info info;
		struct gsc_repl_ent e;
		float pos[3];
		int ret;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (len > GS_WIRE_MAX_PAYLOAD)
			len = GS_WIRE_MAX_PAYLOAD;
		now += 50000000u;
		ret = gsc_repl_input(repl, data, len, now, &info);
		data += len;
		size -= len;

		CHECK(ret == 0 || ret == -ESTALE || ret == -ENOENT || ret == -EBADMSG);
		CHECK((ret == 0) == info.applied);
		if (ret == 0) {
			CHECK(newest == 0 || newer(info.tick, newest));
			CHECK(repl->newest == info.tick && info.ack);
			newest = info.tick;
		} else {
			CHECK(repl->newest == newest);
			CHECK(info.ack == (ret == -ENOENT));
		}
		CHECK(held_views() <= GSC_REPL_VIEWS);
		if (newest != 0) {
			const struct gs_repl_view *cur = gsc_repl_view(repl);

			CHECK(cur != NULL && cur->tick == newest && info.n <= cur->cap);
			for (uint32_t i = 0; i < gsc_repl_count(repl); i++) {
				CHECK(gsc_repl_entity_at(repl, i, &e) == 0 && e.id == cur->e[i].id);
				CHECK(gsc_repl_entity(repl, e.id, &e) == 0);
				CHECK(gsc_repl_interp(repl, e.id, now, pos) == 0);
				ret = gsc_repl_interp(repl, e.id, now - 75000000u, pos);
				CHECK(ret == 0 || ret == -ENOENT);
			}
			CHECK(gsc_repl_entity_at(repl, gsc_repl_count(repl), &e) == -ENOENT);
		} else {
			CHECK(gsc_repl_view(repl) == NULL && gsc_repl_count(repl) == 0);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags;
	uint32_t tick;

	if (size < FUZZ_SNAP_HDR)
		return 0;
	flags = data[0];
	tick = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
	       (uint32_t)data[4] << 24;
	data += FUZZ_SNAP_HDR;
	size -= FUZZ_SNAP_HDR;
	if (flags & FUZZ_SNAP_CLIENT) {
		stream(data, size);
		return 0;
	}
	if (size > GS_WIRE_MAX_PAYLOAD) /* a datagram's payload at most */
		return 0;
	one_snapshot(flags, tick, data, size);
	return 0;
}
