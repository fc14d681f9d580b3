/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_WORLD_H
#define GS_WORLD_H

/*
 * The authoritative world: one memzone created by the primary, holding the
 * rules (bounds, speed, HP, respawn, skills: the primary's configuration) and
 * a flat array of entities. Plain data, no pointers; it survives every
 * handler restart and is reset only with the primary.
 *
 * Each entity is two cache lines, one per writer:
 *   - the move line, written by gs-move (position, velocity, last sequence);
 *   - the combat line, written by gs-combat (HP, death, respawn, cooldowns).
 * Each line has its own sequence lock (gs_seqlock.h): readers of the other
 * line (gs-combat reading positions, gs-move reading life) never see a torn
 * copy and never block.
 *
 * Entity id = position of the owning session in the session table + 1, so a
 * session owns exactly one entity and no allocator is shared. A line belongs
 * to the session whose id it carries in `owner`; a line whose owner is not
 * the entity's current session is stale, and its effective state is that of
 * a fresh entity (full HP, at its spawn point). Deaths do not touch the move
 * line either: they bump `life` in the combat line, and a move line of an
 * older life reads as the new life's spawn point. So each line keeps exactly
 * one writer and every reader derives the same state.
 *
 * DPDK-free: the unit tests and the kernel baseline use it on plain memory.
 */
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_WORLD_MAGIC	   0x47534e4554574c44ull /* "GSNETWLD" */
#define GS_WORLD_VERSION   2u
#define GS_MAX_SKILLS	   6
#define GS_MAX_SPAWNS	   8
#define GS_SKILL_NAME	   16
#define GS_MAX_COOLDOWN_MS 3600000u /* the longest skill cooldown the config accepts */

struct gs_skill {
	char name[GS_SKILL_NAME];
	float range;	      /* world units */
	int32_t damage;	      /* HP */
	uint32_t cooldown_ms; /* before the same attacker uses it again */
	uint32_t reserved;
};

/** The game's rules, from the [world] and [skill.N] sections of the config. */
struct gs_world_rules {
	float min[3]; /* world bounds, inclusive */
	float max[3];
	float max_speed;	  /* units per second */
	uint32_t speed_slack_ms;  /* extra time allowed per move (network jitter) */
	uint32_t max_move_gap_ms; /* time since the last move counted at most */
	int32_t max_hp;
	uint32_t respawn_ms;
	uint32_t n_spawns;
	uint32_t n_skills;
	float spawns[GS_MAX_SPAWNS][3];
	struct gs_skill skills[GS_MAX_SKILLS]; /* skill id N is skills[N - 1] */
};

/** The move line: gs-move's. */
struct gs_ent_move {
	uint64_t lock;	 /* gs_seqlock word */
	uint32_t owner;	 /* session id this line belongs to; 0: never written */
	uint32_t life;	 /* the combat life it belongs to */
	float pos[3];	 /* the last accepted position */
	float vel[3];	 /* units per second, over the last accepted move */
	uint32_t seq;	 /* the last accepted move sequence */
	uint32_t moves;	 /* accepted moves in this life */
	uint64_t tsc;	 /* server time of the last accepted move */
	uint64_t client; /* its client time */
};

/** The combat line: gs-combat's. */
struct gs_ent_combat {
	uint64_t lock;
	uint32_t owner;
	uint32_t life; /* deaths of this owner's entity: +1 at each death */
	int32_t hp;
	uint32_t dead;			  /* 1 from death until respawn_tsc */
	uint64_t respawn_tsc;		  /* when a dead entity comes back */
	uint64_t tsc;			  /* last attack made or taken */
	uint32_t ready_ms[GS_MAX_SKILLS]; /* world ms (wrapping) when each skill is ready */
};

struct gs_entity {
	alignas(64) struct gs_ent_move m;
	alignas(64) struct gs_ent_combat c;
};

_Static_assert(sizeof(struct gs_ent_move) == 64, "the move line is one cache line");
_Static_assert(sizeof(struct gs_ent_combat) == 64, "the combat line is one cache line");
_Static_assert(sizeof(struct gs_entity) == 128, "an entity is two cache lines");

/** The world memzone (GS_MZ_WORLD). */
struct gs_world {
	uint64_t magic;
	uint32_t version;
	uint32_t entity_size;
	uint32_t max_entities;
	uint32_t reserved;
	uint64_t tsc_hz;
	uint64_t base_tsc; /* world time 0: cooldowns are ms since then */
	struct gs_world_rules rules;
	alignas(64) struct gs_entity e[]; /* entity id N is e[N - 1] */
};

/** Bytes of a world of @p max_entities entities. */
static inline size_t
gs_world_size(uint32_t max_entities)
{
	return sizeof(struct gs_world) + (size_t)max_entities * sizeof(struct gs_entity);
}

/** Entity @p id, or NULL when it is 0 or beyond the world. */
static inline struct gs_entity *
gs_world_entity(const struct gs_world *w, uint32_t id)
{
	if (id == 0 || id > w->max_entities)
		return NULL;
	return (struct gs_entity *)&w->e[id - 1];
}

/** The built-in rules (those of deploy/gsnet.ini). */
void gs_world_rules_default(struct gs_world_rules *r);

/** Initialise @p w (gs_world_size(@p max) bytes): every entity fresh. */
void gs_world_init(struct gs_world *w, uint32_t max, const struct gs_world_rules *r,
	uint64_t tsc_hz, uint64_t now_tsc);

/**
 * Check a world found in shared memory against this build's layout.
 *
 * @return 0, or -EPROTO with what differs written into @p err.
 */
int gs_world_check(const struct gs_world *w, char *err, size_t err_len);

/**
 * Release the locks of writers that no longer exist (after a handler was
 * killed inside a write). Live writers are left alone.
 *
 * @return locks released.
 */
unsigned int gs_world_repair(struct gs_world *w);

/** Where entity @p id (re)appears in its life @p life. */
void gs_world_spawn_point(const struct gs_world *w, uint32_t id, uint32_t life, float out[3]);

/** Effective combat state of an entity for its current session. */
struct gs_combat_view {
	int32_t hp;
	bool alive;
	uint32_t life;
	uint64_t respawn_tsc; /* dead: when it comes back */
	uint64_t tsc;	      /* last combat activity, 0 if none for this session */
};

/** Effective move state of an entity for its current session and life. */
struct gs_move_view {
	float pos[3];
	float vel[3];
	uint32_t seq;
	uint32_t moves;
	uint64_t tsc; /* last accepted move; 0 when fresh */
	bool fresh;   /* no accepted move in this life: at the spawn point */
};

/**
 * Read the combat state of entity @p id as owned by session @p owner, at
 * @p now (a dead entity whose respawn time has passed reads alive, full HP).
 * Lock-free.
 *
 * @return 0, -ENOENT (no such entity), -EBUSY (the line stayed locked).
 */
int gs_world_read_combat(const struct gs_world *w, uint32_t id, uint32_t owner, uint64_t now,
	struct gs_combat_view *out);

/**
 * Read the position of entity @p id as owned by session @p owner in life
 * @p life. Lock-free.
 *
 * @return 0, -ENOENT, -EBUSY.
 */
int gs_world_read_move(const struct gs_world *w, uint32_t id, uint32_t owner, uint32_t life,
	struct gs_move_view *out);

/**
 * Where entity @p id of session @p owner is at @p now: its last accepted
 * move in its current life, or its spawn point. Lock-free (reads its combat
 * line for the life, then its move line).
 *
 * @return 0, -ENOENT, -EBUSY.
 */
int gs_world_position(
	const struct gs_world *w, uint32_t id, uint32_t owner, uint64_t now, float out[3]);

/** The last activity of entity @p id for session @p owner (max of both lines), 0 if none. */
uint64_t gs_world_last_activity(const struct gs_world *w, uint32_t id, uint32_t owner);

enum gs_move_result {
	GS_MOVE_ACCEPTED = 0,
	GS_MOVE_STALE,	       /* sequence not newer than the last accepted: ignored */
	GS_MOVE_OUT_OF_BOUNDS, /* outside the bounds, or not a number */
	GS_MOVE_TOO_FAST,      /* farther than max_speed allows since the last move */
	GS_MOVE_DEAD,	       /* dead until respawn */
	GS_MOVE_BUSY,	       /* the lines stayed locked */
	GS_MOVE_RESULT_MAX
};

/**
 * The movement rules alone (no shared state): may an entity at @p cur move
 * to @p pos with sequence @p seq at server time @p now?
 *
 * Allowed distance: max_speed * (time since the last accepted move, at most
 * max_move_gap_ms, + speed_slack_ms); a fresh entity (at its spawn point)
 * gets the slack only. The cap keeps a client that stays silent from saving
 * up distance and then covering it in one move (a teleport).
 */
enum gs_move_result gs_move_check(const struct gs_world_rules *r, uint64_t tsc_hz,
	const struct gs_move_view *cur, uint32_t seq, const float pos[3], uint64_t now);

struct gs_move_req {
	uint32_t entity;
	uint32_t owner; /* the session id that owns the entity */
	uint32_t seq;
	float pos[3];
	uint64_t client_time_ns;
	uint64_t now; /* TSC of the request's arrival */
};

/**
 * Validate and apply a move as process @p me (the lock holder's pid).
 * @p out_pos receives the authoritative position: the new one when
 * accepted, the unchanged one (or the respawn point when dead) otherwise.
 */
enum gs_move_result gs_world_move(
	struct gs_world *w, const struct gs_move_req *req, int32_t me, float out_pos[3]);

/**
 * Give entity @p id back to no one, as process @p me: both lines forget their
 * owner, so the next session on the entity starts fresh whatever id it has.
 * gs-session calls it when it opens a session, before the client learns the
 * id: a session id can come back (its slot's generation is drawn at random),
 * and an old session's lines must not pass to the new one (position, move
 * sequence, HP, death, cooldowns).
 *
 * @return 0, -EINVAL for an id outside the world, or -EBUSY when a live
 *         writer held a line for longer than a writer may wait.
 */
int gs_world_release(struct gs_world *w, uint32_t id, int32_t me);

/** Numbered as the protocol's AttackResult.Result. */
enum gs_attack_result {
	GS_ATTACK_HIT = 0,
	GS_ATTACK_KILLED,
	GS_ATTACK_OUT_OF_RANGE,
	GS_ATTACK_COOLDOWN,
	GS_ATTACK_ATTACKER_DEAD,
	GS_ATTACK_TARGET_DEAD,
	GS_ATTACK_NO_TARGET,
	GS_ATTACK_BAD_SKILL,
	GS_ATTACK_NOT_OWNER, /* decided by the handler: the session's entity is another */
	GS_ATTACK_BUSY,
	GS_ATTACK_RESULT_MAX
};

struct gs_attack_req {
	uint32_t attacker;
	uint32_t attacker_owner; /* session id owning the attacker */
	uint32_t target;
	uint32_t target_owner; /* session id owning the target; 0: no such player */
	uint32_t skill;	       /* 1 .. n_skills */
	uint64_t now;
};

struct gs_attack_out {
	int32_t damage;	      /* applied */
	int32_t target_hp;    /* after the attack */
	uint32_t cooldown_ms; /* until the skill is ready again */
	uint32_t respawn_ms;  /* KILLED, TARGET_DEAD: until the target respawns */
	float respawn_pos[3]; /* ... where */
};

/**
 * Validate and apply an attack as process @p me: attacker alive, target a
 * live entity other than the attacker, skill known and ready, target within
 * the skill's range of the attacker (world positions). A hit takes the
 * skill's damage; at 0 HP the target dies and respawns respawn_ms later at
 * its next spawn point with full HP. Misses and refusals change nothing.
 */
enum gs_attack_result gs_world_attack(
	struct gs_world *w, const struct gs_attack_req *req, int32_t me, struct gs_attack_out *out);

/** Name of a move result ("too_fast"), for logs and counters. */
const char *gs_move_result_str(enum gs_move_result r);

/** Name of an attack result ("out_of_range"). */
const char *gs_attack_result_str(enum gs_attack_result r);

#endif /* GS_WORLD_H */
