/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gs_seqlock.h"
#include "gs_world.h"

void
gs_world_rules_default(struct gs_world_rules *r)
{
	static const float spawns[4][3] = {
		{ -50.0f, -50.0f, 0.0f },
		{ 50.0f, -50.0f, 0.0f },
		{ 50.0f, 50.0f, 0.0f },
		{ -50.0f, 50.0f, 0.0f },
	};

	memset(r, 0, sizeof(*r));
	r->min[0] = r->min[1] = -10000.0f;
	r->max[0] = r->max[1] = 10000.0f;
	r->min[2] = -1000.0f;
	r->max[2] = 1000.0f;
	r->max_speed = 20.0f;
	r->speed_slack_ms = 100;
	r->max_move_gap_ms = 1000;
	r->max_hp = 100;
	r->respawn_ms = 3000;
	r->n_spawns = 4;
	memcpy(r->spawns, spawns, sizeof(spawns));
	r->n_skills = 2;
	snprintf(r->skills[0].name, GS_SKILL_NAME, "slash");
	r->skills[0].range = 5.0f;
	r->skills[0].damage = 25;
	r->skills[0].cooldown_ms = 500;
	snprintf(r->skills[1].name, GS_SKILL_NAME, "fireball");
	r->skills[1].range = 30.0f;
	r->skills[1].damage = 15;
	r->skills[1].cooldown_ms = 1500;
}

void
gs_world_init(struct gs_world *w, uint32_t max, const struct gs_world_rules *r, uint64_t tsc_hz,
	uint64_t now_tsc)
{
	memset(w, 0, gs_world_size(max));
	w->magic = GS_WORLD_MAGIC;
	w->version = GS_WORLD_VERSION;
	w->entity_size = sizeof(struct gs_entity);
	w->max_entities = max;
	w->tsc_hz = tsc_hz;
	w->base_tsc = now_tsc;
	w->rules = *r;
}

int
gs_world_check(const struct gs_world *w, char *err, size_t err_len)
{
	if (w->magic != GS_WORLD_MAGIC)
		snprintf(err, err_len, "world magic %#llx, expected %#llx",
			(unsigned long long)w->magic, (unsigned long long)GS_WORLD_MAGIC);
	else if (w->version != GS_WORLD_VERSION)
		snprintf(err, err_len, "world layout version %u, this build has %u", w->version,
			GS_WORLD_VERSION);
	else if (w->entity_size != sizeof(struct gs_entity))
		snprintf(err, err_len, "entity size %u, this build has %zu", w->entity_size,
			sizeof(struct gs_entity));
	else
		return 0;
	return -EPROTO;
}

unsigned int
gs_world_repair(struct gs_world *w)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < w->max_entities; i++) {
		struct gs_entity *e = &w->e[i];

		/* cheap test first: only odd words need a liveness check */
		if ((__atomic_load_n(&e->m.lock, __ATOMIC_RELAXED) & 1u) != 0)
			n += gs_seq_repair(&e->m.lock);
		if ((__atomic_load_n(&e->c.lock, __ATOMIC_RELAXED) & 1u) != 0)
			n += gs_seq_repair(&e->c.lock);
	}
	return n;
}

void
gs_world_spawn_point(const struct gs_world *w, uint32_t id, uint32_t life, float out[3])
{
	const struct gs_world_rules *r = &w->rules;

	if (r->n_spawns == 0) {
		out[0] = out[1] = out[2] = 0.0f;
		return;
	}
	memcpy(out, r->spawns[(id + life) % r->n_spawns], sizeof(float) * 3);
}

static inline uint64_t
ms_to_tsc(const struct gs_world *w, uint64_t ms)
{
	return ms * w->tsc_hz / 1000u;
}

/* World ms at @p now (cooldowns). */
static inline uint32_t
world_ms(const struct gs_world *w, uint64_t now)
{
	uint64_t per_ms = w->tsc_hz / 1000u;

	if (now <= w->base_tsc || per_ms == 0)
		return 0;
	return (uint32_t)((now - w->base_tsc) / per_ms);
}

/* The effective state of a combat line snapshot @p c. */
static void
combat_view(const struct gs_world *w, const struct gs_ent_combat *c, uint32_t owner, uint64_t now,
	struct gs_combat_view *out)
{
	memset(out, 0, sizeof(*out));
	out->alive = true;
	out->hp = w->rules.max_hp;
	if (c->owner != owner)
		return; /* a fresh entity for this session */
	out->life = c->life;
	out->tsc = c->tsc;
	if (c->dead) {
		if (now < c->respawn_tsc) {
			out->alive = false;
			out->hp = 0;
			out->respawn_tsc = c->respawn_tsc;
		}
		return; /* respawned: full HP */
	}
	out->hp = c->hp;
}

static void
move_view(const struct gs_world *w, uint32_t id, const struct gs_ent_move *m, uint32_t owner,
	uint32_t life, struct gs_move_view *out)
{
	memset(out, 0, sizeof(*out));
	if (m->owner != owner || m->life != life) {
		out->fresh = true;
		gs_world_spawn_point(w, id, life, out->pos);
		return;
	}
	memcpy(out->pos, m->pos, sizeof(out->pos));
	memcpy(out->vel, m->vel, sizeof(out->vel));
	out->seq = m->seq;
	out->moves = m->moves;
	out->tsc = m->tsc;
}

int
gs_world_read_combat(const struct gs_world *w, uint32_t id, uint32_t owner, uint64_t now,
	struct gs_combat_view *out)
{
	const struct gs_entity *e = gs_world_entity(w, id);
	struct gs_ent_combat copy;

	if (e == NULL)
		return -ENOENT;
	for (unsigned int i = 0; i < GS_SEQ_READ_TRIES; i++) {
		uint32_t s = gs_seq_read_begin(&e->c.lock);

		memcpy(&copy, (const void *)&e->c, sizeof(copy));
		if (!gs_seq_read_retry(&e->c.lock, s)) {
			combat_view(w, &copy, owner, now, out);
			return 0;
		}
		GS_CPU_PAUSE();
	}
	return -EBUSY;
}

int
gs_world_read_move(const struct gs_world *w, uint32_t id, uint32_t owner, uint32_t life,
	struct gs_move_view *out)
{
	const struct gs_entity *e = gs_world_entity(w, id);
	struct gs_ent_move copy;

	if (e == NULL)
		return -ENOENT;
	for (unsigned int i = 0; i < GS_SEQ_READ_TRIES; i++) {
		uint32_t s = gs_seq_read_begin(&e->m.lock);

		memcpy(&copy, (const void *)&e->m, sizeof(copy));
		if (!gs_seq_read_retry(&e->m.lock, s)) {
			move_view(w, id, &copy, owner, life, out);
			return 0;
		}
		GS_CPU_PAUSE();
	}
	return -EBUSY;
}

int
gs_world_position(const struct gs_world *w, uint32_t id, uint32_t owner, uint64_t now, float out[3])
{
	struct gs_combat_view c;
	struct gs_move_view m;
	int ret;

	ret = gs_world_read_combat(w, id, owner, now, &c);
	if (ret == 0)
		ret = gs_world_read_move(w, id, owner, c.life, &m);
	if (ret == 0)
		memcpy(out, m.pos, sizeof(m.pos));
	return ret;
}

uint64_t
gs_world_last_activity(const struct gs_world *w, uint32_t id, uint32_t owner)
{
	const struct gs_entity *e = gs_world_entity(w, id);
	uint64_t t = 0, c;

	if (e == NULL)
		return 0;
	/* single 64-bit loads: a stale value only delays an idle timeout */
	if (__atomic_load_n(&e->m.owner, __ATOMIC_RELAXED) == owner)
		t = __atomic_load_n(&e->m.tsc, __ATOMIC_RELAXED);
	if (__atomic_load_n(&e->c.owner, __ATOMIC_RELAXED) == owner) {
		c = __atomic_load_n(&e->c.tsc, __ATOMIC_RELAXED);
		if (c > t)
			t = c;
	}
	return t;
}

enum gs_move_result
gs_move_check(const struct gs_world_rules *r, uint64_t tsc_hz, const struct gs_move_view *cur,
	uint32_t seq, const float pos[3], uint64_t now)
{
	double dt_ms = r->speed_slack_ms, allowed, d2 = 0.0;

	if (!cur->fresh && seq <= cur->seq)
		return GS_MOVE_STALE;
	if (cur->fresh && seq == 0)
		return GS_MOVE_STALE;
	for (int i = 0; i < 3; i++)
		if (!(pos[i] >= r->min[i] && pos[i] <= r->max[i])) /* NaN fails too */
			return GS_MOVE_OUT_OF_BOUNDS;
	if (!cur->fresh && now > cur->tsc && tsc_hz > 0) {
		double gap_ms = (double)(now - cur->tsc) * 1000.0 / (double)tsc_hz;

		/* silence saves up no distance: at most max_move_gap_ms of it counts */
		dt_ms += gap_ms < (double)r->max_move_gap_ms ? gap_ms : (double)r->max_move_gap_ms;
	}
	allowed = (double)r->max_speed * dt_ms / 1000.0;
	for (int i = 0; i < 3; i++) {
		double d = (double)pos[i] - (double)cur->pos[i];

		d2 += d * d;
	}
	if (d2 > allowed * allowed)
		return GS_MOVE_TOO_FAST;
	return GS_MOVE_ACCEPTED;
}

enum gs_move_result
gs_world_move(struct gs_world *w, const struct gs_move_req *req, int32_t me, float out_pos[3])
{
	struct gs_entity *e = gs_world_entity(w, req->entity);
	struct gs_combat_view cv;
	struct gs_move_view mv;
	enum gs_move_result res;

	if (e == NULL)
		return GS_MOVE_OUT_OF_BOUNDS; /* the handler checks ownership first */
	if (gs_world_read_combat(w, req->entity, req->owner, req->now, &cv) < 0)
		return GS_MOVE_BUSY;
	if (!cv.alive) {
		gs_world_spawn_point(w, req->entity, cv.life, out_pos);
		return GS_MOVE_DEAD;
	}
	if (gs_seq_write_lock(&e->m.lock, me, GS_SEQ_WRITE_SPINS) < 0)
		return GS_MOVE_BUSY;
	move_view(w, req->entity, &e->m, req->owner, cv.life, &mv);
	res = gs_move_check(&w->rules, w->tsc_hz, &mv, req->seq, req->pos, req->now);
	if (res == GS_MOVE_ACCEPTED) {
		double dt = !mv.fresh && req->now > mv.tsc ?
				    (double)(req->now - mv.tsc) / (double)w->tsc_hz :
				    0.0;

		for (int i = 0; i < 3; i++)
			e->m.vel[i] = dt > 0.0 ? (float)((req->pos[i] - mv.pos[i]) / dt) : 0.0f;
		memcpy(e->m.pos, req->pos, sizeof(e->m.pos));
		e->m.owner = req->owner;
		e->m.life = cv.life;
		e->m.seq = req->seq;
		e->m.moves = mv.moves + 1;
		e->m.tsc = req->now;
		e->m.client = req->client_time_ns;
		memcpy(out_pos, req->pos, sizeof(float) * 3);
	} else {
		memcpy(out_pos, mv.pos, sizeof(float) * 3);
	}
	gs_seq_write_unlock(&e->m.lock);
	return res;
}

int
gs_world_release(struct gs_world *w, uint32_t id, int32_t me)
{
	struct gs_entity *e = gs_world_entity(w, id);

	if (e == NULL)
		return -EINVAL;
	if (gs_seq_write_lock(&e->m.lock, me, GS_SEQ_WRITE_SPINS) < 0)
		return -EBUSY;
	e->m.owner = 0;
	gs_seq_write_unlock(&e->m.lock);
	if (gs_seq_write_lock(&e->c.lock, me, GS_SEQ_WRITE_SPINS) < 0)
		return -EBUSY;
	e->c.owner = 0;
	gs_seq_write_unlock(&e->c.lock);
	return 0;
}

/* Make a locked combat line hold the effective state of @p v for @p owner. */
static void
combat_normalise(struct gs_ent_combat *c, uint32_t owner, const struct gs_combat_view *v)
{
	if (c->owner != owner) {
		memset((char *)c + sizeof(c->lock), 0, sizeof(*c) - sizeof(c->lock));
		c->owner = owner;
	}
	c->life = v->life;
	c->hp = v->hp;
	c->dead = v->alive ? 0 : 1;
	if (v->alive)
		c->respawn_tsc = 0;
}

static float
distance(const float a[3], const float b[3])
{
	double d2 = 0.0;

	for (int i = 0; i < 3; i++) {
		double d = (double)a[i] - (double)b[i];

		d2 += d * d;
	}
	return (float)sqrt(d2);
}

/*
 * Milliseconds until @p skill is ready for the attacker line @p c. World ms
 * are 32 bits and wrap every 49.7 days: ready times compare as signed
 * differences, which holds for cooldowns up to 24 days (the config allows 1 h),
 * and a line idle for longer than the longest cooldown has none running.
 */
static uint32_t
cooldown_left(const struct gs_world *w, const struct gs_ent_combat *c, uint32_t owner,
	uint32_t skill, uint64_t now, uint32_t now_ms)
{
	int32_t left;

	if (c->owner != owner ||
		(int64_t)(now - c->tsc) > (int64_t)ms_to_tsc(w, GS_MAX_COOLDOWN_MS))
		return 0;
	left = (int32_t)(c->ready_ms[skill - 1] - now_ms);
	return left > 0 ? (uint32_t)left : 0;
}

/* Both lines locked (attacker and target combat): decide and apply. */
static enum gs_attack_result
attack_locked(struct gs_world *w, const struct gs_attack_req *req, struct gs_entity *a,
	struct gs_entity *t, struct gs_attack_out *out)
{
	const struct gs_skill *sk = &w->rules.skills[req->skill - 1];
	uint32_t now_ms = world_ms(w, req->now), ready;
	struct gs_combat_view av, tv;
	struct gs_move_view ap, tp;

	combat_view(w, &a->c, req->attacker_owner, req->now, &av);
	combat_view(w, &t->c, req->target_owner, req->now, &tv);
	out->target_hp = tv.hp;
	if (!av.alive)
		return GS_ATTACK_ATTACKER_DEAD;
	ready = cooldown_left(w, &a->c, req->attacker_owner, req->skill, req->now, now_ms);
	if (ready > 0) {
		out->cooldown_ms = ready;
		return GS_ATTACK_COOLDOWN;
	}
	if (!tv.alive) {
		out->respawn_ms = (uint32_t)((tv.respawn_tsc - req->now) * 1000u / w->tsc_hz);
		gs_world_spawn_point(w, req->target, tv.life, out->respawn_pos);
		return GS_ATTACK_TARGET_DEAD;
	}
	if (gs_world_read_move(w, req->attacker, req->attacker_owner, av.life, &ap) < 0 ||
		gs_world_read_move(w, req->target, req->target_owner, tv.life, &tp) < 0)
		return GS_ATTACK_BUSY;
	if (distance(ap.pos, tp.pos) > sk->range)
		return GS_ATTACK_OUT_OF_RANGE;

	combat_normalise(&a->c, req->attacker_owner, &av);
	a->c.ready_ms[req->skill - 1] = now_ms + sk->cooldown_ms;
	a->c.tsc = req->now;
	out->cooldown_ms = sk->cooldown_ms;

	combat_normalise(&t->c, req->target_owner, &tv);
	out->damage = sk->damage < tv.hp ? sk->damage : tv.hp;
	t->c.hp = tv.hp - out->damage;
	t->c.tsc = req->now;
	out->target_hp = t->c.hp;
	if (t->c.hp > 0)
		return GS_ATTACK_HIT;
	t->c.dead = 1;
	t->c.life = tv.life + 1;
	t->c.respawn_tsc = req->now + ms_to_tsc(w, w->rules.respawn_ms);
	out->respawn_ms = w->rules.respawn_ms;
	gs_world_spawn_point(w, req->target, t->c.life, out->respawn_pos);
	return GS_ATTACK_KILLED;
}

enum gs_attack_result
gs_world_attack(
	struct gs_world *w, const struct gs_attack_req *req, int32_t me, struct gs_attack_out *out)
{
	struct gs_entity *a = gs_world_entity(w, req->attacker);
	struct gs_entity *t = gs_world_entity(w, req->target);
	struct gs_entity *first, *second;
	enum gs_attack_result res;

	memset(out, 0, sizeof(*out));
	if (req->skill == 0 || req->skill > w->rules.n_skills)
		return GS_ATTACK_BAD_SKILL;
	if (a == NULL)
		return GS_ATTACK_NOT_OWNER;
	if (t == NULL || t == a || req->target_owner == 0)
		return GS_ATTACK_NO_TARGET;
	/* lock order by entity id: two instances attacking each other's players cannot deadlock */
	first = req->attacker < req->target ? a : t;
	second = first == a ? t : a;
	if (gs_seq_write_lock(&first->c.lock, me, GS_SEQ_WRITE_SPINS) < 0)
		return GS_ATTACK_BUSY;
	if (gs_seq_write_lock(&second->c.lock, me, GS_SEQ_WRITE_SPINS) < 0) {
		gs_seq_write_unlock(&first->c.lock);
		return GS_ATTACK_BUSY;
	}
	res = attack_locked(w, req, a, t, out);
	gs_seq_write_unlock(&second->c.lock);
	gs_seq_write_unlock(&first->c.lock);
	return res;
}

const char *
gs_move_result_str(enum gs_move_result r)
{
	static const char *const names[GS_MOVE_RESULT_MAX] = {
		[GS_MOVE_ACCEPTED] = "accepted",
		[GS_MOVE_STALE] = "stale",
		[GS_MOVE_OUT_OF_BOUNDS] = "out_of_bounds",
		[GS_MOVE_TOO_FAST] = "too_fast",
		[GS_MOVE_DEAD] = "dead",
		[GS_MOVE_BUSY] = "busy",
	};

	return (unsigned int)r < GS_MOVE_RESULT_MAX ? names[r] : "?";
}

const char *
gs_attack_result_str(enum gs_attack_result r)
{
	static const char *const names[GS_ATTACK_RESULT_MAX] = {
		[GS_ATTACK_HIT] = "hit",
		[GS_ATTACK_KILLED] = "killed",
		[GS_ATTACK_OUT_OF_RANGE] = "out_of_range",
		[GS_ATTACK_COOLDOWN] = "cooldown",
		[GS_ATTACK_ATTACKER_DEAD] = "attacker_dead",
		[GS_ATTACK_TARGET_DEAD] = "target_dead",
		[GS_ATTACK_NO_TARGET] = "no_target",
		[GS_ATTACK_BAD_SKILL] = "bad_skill",
		[GS_ATTACK_NOT_OWNER] = "not_owner",
		[GS_ATTACK_BUSY] = "busy",
	};

	return (unsigned int)r < GS_ATTACK_RESULT_MAX ? names[r] : "?";
}
