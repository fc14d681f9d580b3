/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_SESSION_TBL_H
#define GS_SESSION_TBL_H

/*
 * The session table: an array of struct gs_session (and one of their keys)
 * indexed by position, in hugepage memory created by the primary, and an
 * rte_hash (lock-free readers, one writer) from client address to position.
 * gs-session is the only writer; the primary and other handlers read
 * without locks.
 *
 * A session id names its position: its low id_bits bits are position + 1,
 * the bits above a generation that changes each time the position is
 * reused, drawn at random. Finding a session by id is one array access and
 * one compare, with no hash to search: the primary prefetches the session
 * of every packet of a burst and the misses of a large table overlap. The id
 * is no secret (the address binding and the packet's auth tag are what
 * stop a forger); the generation keeps a late reply to a closed session
 * from reaching the next one at its position.
 *
 * Only *_with_hash calls are used on the shared hashes, and their keys (8
 * and 16 bytes) are compared by code each process picks from its own
 * table (rte_hash's cmp_jump_table), so no function pointer stored in a
 * shared hash is ever called from another binary.
 *
 * Only gs-session looks addresses up: the address hash is its index of the
 * sessions, rebuilt from them when a new gs-session attaches.
 */
#include <stdbool.h>
#include <stdint.h>

#include "gs_shm_types.h"

struct rte_hash;
struct gs_session_hdr;

struct gs_session_tbl {
	struct gs_session_hdr *hdr;   /* the table's shared header */
	struct rte_hash *peers;	      /* client address -> position (data) */
	struct gs_session *s;	      /* s[position] */
	struct gs_session_keys *keys; /* keys[position]: the session's packet keys */
	uint32_t max;
	uint32_t id_bits; /* low bits of an id: position + 1 */
	uint32_t id_mask; /* (1 << id_bits) - 1 */
	/* the writer's own: free positions, a stack (built at its first open) */
	uint32_t *free;
	uint32_t n_free;
};

/**
 * Connect tokens already used, until they expire: an rte_hash in the
 * primary's hugepages (it outlives a gs-session restart), written and read
 * by gs-session only.
 */
struct gs_tokens_used {
	struct rte_hash *hash; /* token id (16 bytes) -> expiry (Unix s) << 32 | session id */
	uint32_t max;
};

/**
 * Called by gs_session_sweep() for a session idle by its own last_seen_tsc,
 * before it is closed. The callback may know of activity the table does not
 * (moves and attacks live in the world): it then refreshes s->last_seen_tsc
 * and returns false to keep the session.
 *
 * @return true to close the session.
 */
typedef bool gs_session_expire_fn(void *arg, struct gs_session *s);

/**
 * Create the table (primary), or reset a stale one of the same name.
 *
 * @return 0, -ENOMEM (no hugepage memory), -EEXIST (a stale object could not be reused).
 */
int gs_session_tbl_create(struct gs_session_tbl *t, uint32_t max, int socket_id);

/** Free the table (primary, at shutdown, when no handler is attached). */
void gs_session_tbl_free(struct gs_session_tbl *t);

/**
 * Look the table up (secondaries).
 *
 * @return 0, -ENOENT (the primary has not created it).
 */
int gs_session_tbl_attach(struct gs_session_tbl *t);

/** The position an id names (may be out of range: check against max). */
static inline uint32_t
gs_session_id_pos(const struct gs_session_tbl *t, uint32_t id)
{
	return (id & t->id_mask) - 1u;
}

/**
 * Find an active session; lock-free, safe against the concurrent writer.
 *
 * @return the session, or NULL when @p id is 0, unknown or closing.
 */
static inline struct gs_session *
gs_session_find(const struct gs_session_tbl *t, uint32_t id)
{
	uint32_t pos = gs_session_id_pos(t, id);
	struct gs_session *s;

	if (pos >= t->max)
		return NULL;
	s = &t->s[pos];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE || s->session_id != id)
		return NULL;
	return s;
}

/**
 * Start loading the session @p id names into the cache: a burst's lookups
 * prefetched together overlap their misses.
 */
static inline void
gs_session_prefetch(const struct gs_session_tbl *t, uint32_t id)
{
	uint32_t pos = gs_session_id_pos(t, id);

	if (pos < t->max)
		__builtin_prefetch(&t->s[pos], 0, 3);
}

/** The slot number a message carries for @p s (gs_msg.session_slot); 0 for NULL. */
static inline uint32_t
gs_session_slot(const struct gs_session_tbl *t, const struct gs_session *s)
{
	return s != NULL ? (uint32_t)(s - t->s) + 1 : 0;
}

/**
 * The session a message names by slot and id, active or closed within the
 * grace period (a reply to a session that has just closed still gets its
 * sequence number).
 *
 * @return the session, or NULL when the slot is 0, out of range, free or reused.
 */
static inline struct gs_session *
gs_session_at(const struct gs_session_tbl *t, uint32_t slot, uint32_t id)
{
	struct gs_session *s;

	if (slot == 0 || slot > t->max || id == 0)
		return NULL;
	s = &t->s[slot - 1];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == GS_SESS_FREE || s->session_id != id)
		return NULL;
	return s;
}

/**
 * The active session that owns entity @p entity (its position + 1), for
 * readers: lock-free.
 *
 * @return the session, or NULL when no active session owns it.
 */
static inline struct gs_session *
gs_session_of_entity(const struct gs_session_tbl *t, uint32_t entity)
{
	struct gs_session *s;

	if (entity == 0 || entity > t->max)
		return NULL;
	s = &t->s[entity - 1];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE)
		return NULL;
	return s;
}

/**
 * The active session a handler message names (slot and id found by the
 * primary) and that still belongs to the message's sender.
 *
 * @return the session, or NULL: closed since, or another address.
 */
static inline struct gs_session *
gs_session_of_msg(const struct gs_session_tbl *t, const struct gs_msg *m)
{
	struct gs_session *s = gs_session_at(t, m->session_slot, m->hdr.session_id);

	if (s == NULL || __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE ||
		s->peer.ip != m->peer.ip || s->peer.port != m->peer.port)
		return NULL;
	return s;
}

/**
 * Find the active session of a client address (ip and port of @p peer).
 *
 * @return the session, or NULL.
 */
struct gs_session *gs_session_find_peer(const struct gs_session_tbl *t, const struct gs_peer *peer);

/**
 * Open a session for @p peer at a free position, with an id naming it and
 * a new generation (writer only).
 *
 * @return 0 and *out, -EEXIST (the address already has a session: *out),
 *         or -ENOSPC (table full).
 */
int gs_session_open(struct gs_session_tbl *t, const struct gs_peer *peer, uint64_t player_id,
	uint64_t now, struct gs_session **out);

/**
 * gs_session_open() for a session opened with a connect token: its packet
 * keys and the token's id are stored (keys[position]) before the session is
 * published, so no reader ever sees the session without them.
 *
 * @return as gs_session_open().
 */
int gs_session_open_keyed(struct gs_session_tbl *t, const struct gs_peer *peer, uint64_t player_id,
	const struct gs_session_keys *keys, uint64_t now, struct gs_session **out);

/** The keys of @p s (same position). */
static inline struct gs_session_keys *
gs_session_keys_of(const struct gs_session_tbl *t, const struct gs_session *s)
{
	return &t->keys[s - t->s];
}

/**
 * Create the used-token table for @p max tokens (primary), replacing a stale one.
 *
 * @return 0, -ENOMEM.
 */
int gs_tokens_used_create(struct gs_tokens_used *u, uint32_t max, int socket_id);

/** Free it (primary, at shutdown). */
void gs_tokens_used_free(struct gs_tokens_used *u);

/**
 * Look it up (gs-session).
 *
 * @return 0, -ENOENT.
 */
int gs_tokens_used_attach(struct gs_tokens_used *u);

/**
 * Was token @p id used, and is it still unexpired at @p now_s? If so and
 * @p session_id is not NULL, *session_id is the id of the session it
 * opened (0 while it opens one).
 */
bool gs_tokens_used_has(const struct gs_tokens_used *u, const uint8_t id[GS_TOKEN_ID_LEN],
	uint64_t now_s, uint32_t *session_id);

/**
 * Remember token @p id as used until @p expire_s (Unix seconds, up to
 * 2^32 - 1) for session @p session_id, or, for a token already remembered,
 * the session it opened.
 *
 * @return 0, -ENOSPC (full of unexpired tokens: refuse the connect).
 */
int gs_tokens_used_add(struct gs_tokens_used *u, const uint8_t id[GS_TOKEN_ID_LEN],
	uint64_t expire_s, uint32_t session_id);

/** Forget token @p id (no session was opened with it after all). */
void gs_tokens_used_del(struct gs_tokens_used *u, const uint8_t id[GS_TOKEN_ID_LEN]);

/**
 * Open a session for @p peer with a connect token (writer only): token
 * @p token_id is remembered as used until @p until_s from before the session
 * opens, with the session's id once it has, and forgotten again when no
 * session opens, so a CONNECT refused for a full table can be retried with
 * the same token. A writer killed in between leaves the token remembered
 * without its session (session id 0), never a session whose token is not
 * remembered: gs_session_keys_equal() tells that session by its keys.
 *
 * @return 0 and *out, -ENOSPC (the session table is full), -ENOBUFS (the
 *         used-token table is full of unexpired tokens), -EEXIST (the
 *         address has a session: *out); the token is remembered only on 0.
 */
int gs_session_open_token(struct gs_session_tbl *t, struct gs_tokens_used *u,
	const uint8_t token_id[GS_TOKEN_ID_LEN], uint64_t until_s, const struct gs_peer *peer,
	uint64_t player_id, const struct gs_session_keys *keys, uint64_t now,
	struct gs_session **out);

/**
 * Does @p s have the packet keys @p keys (compared in constant time)? Every
 * token has keys of its own: true names the session that token opened.
 */
bool gs_session_keys_equal(const struct gs_session_tbl *t, const struct gs_session *s,
	const struct gs_session_keys *keys);

/**
 * Forget tokens expired at @p now_s, visiting at most @p budget entries from *cursor.
 *
 * @return the number forgotten.
 */
unsigned int gs_tokens_used_sweep(
	struct gs_tokens_used *u, uint64_t now_s, unsigned int budget, uint32_t *cursor);

/**
 * Close @p s (writer only): readers stop finding it at once; its slot is
 * reused after the grace period given to gs_session_sweep().
 *
 * @return 0, -ENOENT (not active).
 */
int gs_session_close(struct gs_session_tbl *t, struct gs_session *s, uint64_t now);

/**
 * Visit up to @p budget slots from *cursor (writer only): close sessions idle
 * for more than @p idle_cycles (unless @p expire, called first, keeps them), and release closed
 * slots older than @p grace_cycles.
 *
 * @return the number of sessions expired.
 */
unsigned int gs_session_sweep(struct gs_session_tbl *t, uint64_t now, uint64_t idle_cycles,
	uint64_t grace_cycles, unsigned int budget, uint32_t *cursor, gs_session_expire_fn *expire,
	void *arg);

/**
 * Repair the table after a writer died (writer only, at attach, while no
 * one else looks addresses up): rebuild the address hash from the active
 * sessions, which frees every other address slot (keys of sessions never
 * published, slots a killed close or sweep leaked, slots closed sessions
 * wait to free), recount the slots in use and rebuild the free positions.
 * An active session whose address cannot be indexed again (another active
 * session has it, or the hash has no room) is closed at @p now.
 *
 * @return the number of address slots reclaimed, not counting those of
 *         closed sessions.
 */
unsigned int gs_session_tbl_repair(struct gs_session_tbl *t, uint64_t now);

/** Slots in use: active sessions and closed ones still in their grace period. */
uint32_t gs_session_count(const struct gs_session_tbl *t);

#endif /* GS_SESSION_TBL_H */
