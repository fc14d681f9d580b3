/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_memzone.h>
#include <rte_random.h>

#include "gs_log.h"
#include "gs_names.h"
#include "gs_session_tbl.h"

GS_LOG_TYPE(gs.shared.session);

#define SESSION_HASH_SEED 0x47534e31u

/*
 * A client address: 8 bytes (16 per entry in rte_hash's key store), which
 * rte_hash compares with memcmp taken from each process's own jump table.
 */
struct peer_key {
	uint32_t ip;
	uint16_t port;
	uint16_t zero;
};

/* The memzone's first cache line; sessions[max] and keys[max] follow. */
struct gs_session_hdr {
	uint32_t max;
	uint32_t id_bits;
	uint32_t used; /* slots active or in their grace period: the writer's, atomic */
	uint32_t reserved[13];
};

_Static_assert(sizeof(struct gs_session_hdr) == 64, "one cache line");

static inline void
peer_key_init(struct peer_key *k, const struct gs_peer *peer)
{
	memset(k, 0, sizeof(*k));
	k->ip = peer->ip;
	k->port = peer->port;
}

/* Every process hashes the keys the same way: the *_with_hash calls get this. */
static inline uint32_t
sig_peer(const struct peer_key *k)
{
	return rte_hash_crc(k, sizeof(*k), SESSION_HASH_SEED);
}

static inline uint32_t
sig_token(const uint8_t id[GS_TOKEN_ID_LEN])
{
	return rte_hash_crc(id, GS_TOKEN_ID_LEN, SESSION_HASH_SEED);
}

static size_t
mz_size(uint32_t max)
{
	return sizeof(struct gs_session_hdr) +
	       (size_t)max * (sizeof(struct gs_session) + sizeof(struct gs_session_keys));
}

/* Point @p t at the arrays after @p hdr. */
static void
tbl_map(struct gs_session_tbl *t, struct gs_session_hdr *hdr)
{
	t->hdr = hdr;
	t->max = hdr->max;
	t->id_bits = hdr->id_bits;
	t->id_mask = (uint32_t)((UINT64_C(1) << hdr->id_bits) - 1);
	t->s = (struct gs_session *)(hdr + 1);
	t->keys = (struct gs_session_keys *)(t->s + t->max);
	t->free = NULL;
	t->n_free = 0;
}

int
gs_session_tbl_create(struct gs_session_tbl *t, uint32_t max, int socket_id)
{
	struct rte_hash_parameters pp = {
		.name = GS_HASH_PEERS,
		.entries = max,
		.key_len = sizeof(struct peer_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = SESSION_HASH_SEED,
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	const struct rte_memzone *mz;
	struct gs_session_hdr *hdr;
	struct rte_hash *stale;
	int ret;

	if (max == 0 || max > GS_SESSIONS_MAX)
		return -EINVAL;
	/* a previous primary of this prefix may have left them behind */
	stale = rte_hash_find_existing(GS_HASH_PEERS);
	if (stale != NULL)
		rte_hash_free(stale);
	mz = rte_memzone_lookup(GS_MZ_SESSIONS);
	if (mz != NULL && rte_memzone_free(mz) < 0)
		return -EEXIST;

	mz = rte_memzone_reserve(
		GS_MZ_SESSIONS, mz_size(max), socket_id, RTE_MEMZONE_SIZE_HINT_ONLY);
	if (mz == NULL) {
		ret = -rte_errno;
		GS_LOG(ERR, "rte_memzone_reserve(%s, %u sessions): %s", GS_MZ_SESSIONS, max,
			rte_strerror(rte_errno));
		return ret;
	}
	memset(mz->addr, 0, mz->len);
	hdr = mz->addr;
	hdr->max = max;
	hdr->id_bits = 32u - (uint32_t)__builtin_clz(max); /* position + 1 <= max fits */
	tbl_map(t, hdr);
	t->peers = rte_hash_create(&pp);
	if (t->peers == NULL) {
		ret = -rte_errno;
		GS_LOG(ERR, "rte_hash_create(%s): %s", GS_HASH_PEERS, rte_strerror(rte_errno));
		rte_memzone_free(mz);
		t->s = NULL;
		t->hdr = NULL;
		return ret;
	}
	return 0;
}

void
gs_session_tbl_free(struct gs_session_tbl *t)
{
	const struct rte_memzone *mz = rte_memzone_lookup(GS_MZ_SESSIONS);

	rte_hash_free(t->peers);
	t->peers = NULL;
	if (mz != NULL)
		rte_memzone_free(mz);
	t->s = NULL;
	t->hdr = NULL;
	free(t->free);
	t->free = NULL;
	t->n_free = 0;
}

int
gs_session_tbl_attach(struct gs_session_tbl *t)
{
	const struct rte_memzone *mz = rte_memzone_lookup(GS_MZ_SESSIONS);

	t->peers = rte_hash_find_existing(GS_HASH_PEERS);
	if (mz == NULL || t->peers == NULL)
		return -ENOENT;
	tbl_map(t, mz->addr);
	if (mz->len < mz_size(t->max)) /* cannot happen with a primary of this layout */
		return -ENOENT;
	return 0;
}

struct gs_session *
gs_session_find_peer(const struct gs_session_tbl *t, const struct gs_peer *peer)
{
	struct peer_key k;
	struct gs_session *s;
	void *data;

	peer_key_init(&k, peer);
	if (rte_hash_lookup_with_hash_data(t->peers, &k, sig_peer(&k), &data) < 0)
		return NULL;
	if ((uintptr_t)data >= t->max)
		return NULL;
	s = &t->s[(uintptr_t)data];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE ||
		s->peer.ip != peer->ip || s->peer.port != peer->port)
		return NULL;
	return s;
}

/*
 * The writer's free positions: every FREE slot, stacked so that the lowest
 * position comes out first (sessions packed at the start of the table).
 */
static int
free_list_build(struct gs_session_tbl *t)
{
	if (t->free == NULL) {
		t->free = malloc(sizeof(*t->free) * t->max);
		if (t->free == NULL)
			return -ENOMEM;
	}
	t->n_free = 0;
	for (uint32_t i = t->max; i-- > 0;)
		if (__atomic_load_n(&t->s[i].state, __ATOMIC_ACQUIRE) == GS_SESS_FREE)
			t->free[t->n_free++] = i;
	return 0;
}

/* A new id for position @p pos: another generation than the slot's last session had. */
static uint32_t
next_id(const struct gs_session_tbl *t, uint32_t pos)
{
	uint32_t gens = (uint32_t)(UINT64_C(1) << (32 - t->id_bits)); /* >= 128 */
	uint32_t old = t->s[pos].session_id >> t->id_bits;	      /* 0: never used */
	uint32_t gen = (old + 1u + (uint32_t)(rte_rand() % (gens - 1u))) & (gens - 1u);

	return (uint32_t)((uint64_t)gen << t->id_bits) | (pos + 1u);
}

int
gs_session_open(struct gs_session_tbl *t, const struct gs_peer *peer, uint64_t player_id,
	uint64_t now, struct gs_session **out)
{
	return gs_session_open_keyed(t, peer, player_id, NULL, now, out);
}

int
gs_session_open_keyed(struct gs_session_tbl *t, const struct gs_peer *peer, uint64_t player_id,
	const struct gs_session_keys *keys, uint64_t now, struct gs_session **out)
{
	struct peer_key pk;
	struct gs_session *s;
	uint32_t pos;
	int ret;

	s = gs_session_find_peer(t, peer);
	if (s != NULL) {
		*out = s;
		return -EEXIST;
	}
	if (t->free == NULL && free_list_build(t) < 0)
		return -ENOMEM;
	if (t->n_free == 0)
		return -ENOSPC;
	pos = t->free[t->n_free - 1];
	peer_key_init(&pk, peer);
	ret = rte_hash_add_key_with_hash_data(t->peers, &pk, sig_peer(&pk), (void *)(uintptr_t)pos);
	if (ret < 0)
		return -ENOSPC;
	t->n_free--;
	s = &t->s[pos];
	if (keys != NULL)
		t->keys[pos] = *keys;
	else
		memset(&t->keys[pos], 0, sizeof(t->keys[pos]));
	/* readers check state first: nothing here is seen before ACTIVE is stored */
	s->session_id = next_id(t, pos);
	s->peer = *peer;
	s->player_id = player_id;
	s->created_tsc = now;
	s->last_seen_tsc = now;
	s->rx_seq = 0;
	s->peer_pos = 0;
	__atomic_store_n(&s->tx_seq, 0, __ATOMIC_RELAXED);
	s->entity_id = pos + 1u; /* a session owns one entity: world e[pos] */
	__atomic_fetch_add(&t->hdr->used, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, GS_SESS_ACTIVE, __ATOMIC_RELEASE);
	*out = s;
	return 0;
}

int
gs_session_close(struct gs_session_tbl *t, struct gs_session *s, uint64_t now)
{
	struct peer_key pk;
	int32_t pos;

	if (s->state != GS_SESS_ACTIVE)
		return -ENOENT;
	peer_key_init(&pk, &s->peer);
	s->last_seen_tsc = now;
	/* readers stop finding it by id at once; the position waits for the sweep */
	__atomic_store_n(&s->state, GS_SESS_CLOSED, __ATOMIC_RELEASE);
	/*
	 * The address slot is recorded only once its key is gone: killed in
	 * between, the slot leaks (the next writer's repair takes it back),
	 * never is it freed twice.
	 */
	pos = rte_hash_del_key_with_hash(t->peers, &pk, sig_peer(&pk));
	__atomic_store_n(&s->peer_pos, pos >= 0 ? (uint32_t)pos + 1 : 0, __ATOMIC_RELAXED);
	return 0;
}

unsigned int
gs_session_sweep(struct gs_session_tbl *t, uint64_t now, uint64_t idle_cycles,
	uint64_t grace_cycles, unsigned int budget, uint32_t *cursor, gs_session_expire_fn *expire,
	void *arg)
{
	unsigned int expired = 0;
	uint32_t i = *cursor;

	for (; budget > 0; budget--, i++) {
		struct gs_session *s;
		uint64_t age;

		if (i >= t->max)
			i = 0;
		s = &t->s[i];
		/* last_seen comes from another core's TSC and may be a hair ahead: age 0 */
		age = (int64_t)(now - s->last_seen_tsc) > 0 ? now - s->last_seen_tsc : 0;

		if (s->state == GS_SESS_ACTIVE && age > idle_cycles) {
			if (expire != NULL && !expire(arg, s))
				continue;
			gs_session_close(t, s, now);
			expired++;
		} else if (s->state == GS_SESS_CLOSED && age > grace_cycles) {
			uint32_t peer_pos = s->peer_pos;

			/*
			 * Forget the address slot, then free it (the fence keeps the
			 * store before the free's): rte_hash does not check for a
			 * double free, and a writer killed in between leaves its
			 * successor a leak to reclaim (repair) rather than a slot
			 * to free a second time.
			 */
			__atomic_store_n(&s->peer_pos, 0, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_RELEASE);
			if (peer_pos != 0)
				rte_hash_free_key_with_position(t->peers, (int32_t)(peer_pos - 1));
			__atomic_store_n(&s->state, GS_SESS_FREE, __ATOMIC_RELEASE);
			__atomic_fetch_sub(&t->hdr->used, 1, __ATOMIC_RELAXED);
			if (t->free != NULL) /* else the first open finds it FREE */
				t->free[t->n_free++] = i;
		}
	}
	*cursor = i;
	return expired;
}

/*
 * Rebuild the address hash from the sessions, which are the truth: the hash
 * is gs-session's own index (no other process looks an address up), so
 * nobody reads it while the writer that attaches repairs it. A killed writer
 * may have left a key of a session it never published, an address slot it
 * removed but never recorded or freed (leaked), or, killed by an older
 * build, a slot freed but still recorded; starting over from an empty hash
 * mends all of them. Killed while it rebuilds, the next writer starts over.
 */
unsigned int
gs_session_tbl_repair(struct gs_session_tbl *t, uint64_t now)
{
	int32_t held = rte_hash_count(t->peers); /* slots off the free ring, for the count */
	uint32_t pending = 0, added = 0, used = 0;
	unsigned int closed = 0;

	/* the reset frees the slots closed sessions still hold: forget them first */
	for (uint32_t i = 0; i < t->max; i++) {
		struct gs_session *s = &t->s[i];

		if (s->state == GS_SESS_CLOSED && s->peer_pos != 0) {
			__atomic_store_n(&s->peer_pos, 0, __ATOMIC_RELAXED);
			pending++;
		}
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	rte_hash_reset(t->peers);
	for (uint32_t i = 0; i < t->max; i++) {
		struct gs_session *s = &t->s[i];
		struct peer_key pk;
		void *data;

		if (s->state != GS_SESS_ACTIVE)
			continue;
		peer_key_init(&pk, &s->peer);
		if (rte_hash_lookup_with_hash_data(t->peers, &pk, sig_peer(&pk), &data) < 0 &&
			rte_hash_add_key_with_hash_data(
				t->peers, &pk, sig_peer(&pk), (void *)(uintptr_t)i) == 0) {
			added++;
			continue;
		}
		/* an address that has another session already, or no room: closed */
		s->last_seen_tsc = now;
		__atomic_store_n(&s->state, GS_SESS_CLOSED, __ATOMIC_RELEASE);
		closed++;
	}
	if (closed > 0)
		GS_LOG(WARNING, "%u sessions closed: their address could not be indexed", closed);
	/* the free slots, and a count the dead writer may have left half-updated */
	if (free_list_build(t) == 0) {
		used = t->max - t->n_free;
	} else {
		GS_LOG(WARNING, "no memory for the free list now: built at the first open");
		for (uint32_t i = 0; i < t->max; i++)
			used += t->s[i].state != GS_SESS_FREE;
	}
	__atomic_store_n(&t->hdr->used, used, __ATOMIC_RELAXED);
	/* slots held before, less those of closed sessions and of the keys put back */
	return held > (int32_t)(pending + added) ? (unsigned int)held - pending - added : 0;
}

uint32_t
gs_session_count(const struct gs_session_tbl *t)
{
	return __atomic_load_n(&t->hdr->used, __ATOMIC_RELAXED);
}

/* --- used connect tokens ------------------------------------------------------------------ */

int
gs_tokens_used_create(struct gs_tokens_used *u, uint32_t max, int socket_id)
{
	struct rte_hash_parameters p = {
		.name = GS_HASH_TOKENS,
		.entries = max,
		.key_len = GS_TOKEN_ID_LEN,
		.hash_func = rte_hash_crc,
		.hash_func_init_val = SESSION_HASH_SEED,
		.socket_id = socket_id,
	};
	struct rte_hash *stale = rte_hash_find_existing(GS_HASH_TOKENS);

	if (stale != NULL)
		rte_hash_free(stale);
	u->hash = rte_hash_create(&p);
	if (u->hash == NULL) {
		GS_LOG(ERR, "rte_hash_create(%s, %u): %s", GS_HASH_TOKENS, max,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	u->max = max;
	return 0;
}

void
gs_tokens_used_free(struct gs_tokens_used *u)
{
	rte_hash_free(u->hash);
	u->hash = NULL;
}

int
gs_tokens_used_attach(struct gs_tokens_used *u)
{
	u->hash = rte_hash_find_existing(GS_HASH_TOKENS);
	if (u->hash == NULL)
		return -ENOENT;
	u->max = (uint32_t)rte_hash_max_key_id(u->hash);
	return 0;
}

/* The data of a used token: its expiry and the session it opened. */
static inline void *
used_data(uint64_t expire_s, uint32_t session_id)
{
	if (expire_s > UINT32_MAX)
		expire_s = UINT32_MAX;
	return (void *)(uintptr_t)(expire_s << 32 | session_id);
}

static inline uint64_t
used_expire(const void *data)
{
	return (uint64_t)(uintptr_t)data >> 32;
}

bool
gs_tokens_used_has(const struct gs_tokens_used *u, const uint8_t id[GS_TOKEN_ID_LEN],
	uint64_t now_s, uint32_t *session_id)
{
	void *data;

	if (rte_hash_lookup_with_hash_data(u->hash, id, sig_token(id), &data) < 0 ||
		used_expire(data) < now_s)
		return false;
	if (session_id != NULL)
		*session_id = (uint32_t)(uintptr_t)data;
	return true;
}

int
gs_tokens_used_add(struct gs_tokens_used *u, const uint8_t id[GS_TOKEN_ID_LEN], uint64_t expire_s,
	uint32_t session_id)
{
	int ret = rte_hash_add_key_with_hash_data(
		u->hash, id, sig_token(id), used_data(expire_s, session_id));

	return ret < 0 ? -ENOSPC : 0;
}

void
gs_tokens_used_del(struct gs_tokens_used *u, const uint8_t id[GS_TOKEN_ID_LEN])
{
	rte_hash_del_key_with_hash(u->hash, id, sig_token(id));
}

int
gs_session_open_token(struct gs_session_tbl *t, struct gs_tokens_used *u,
	const uint8_t token_id[GS_TOKEN_ID_LEN], uint64_t until_s, const struct gs_peer *peer,
	uint64_t player_id, const struct gs_session_keys *keys, uint64_t now,
	struct gs_session **out)
{
	int ret;

	/* remembered first: no session is ever published with its token unremembered */
	if (gs_tokens_used_add(u, token_id, until_s, 0) < 0)
		return -ENOBUFS;
	ret = gs_session_open_keyed(t, peer, player_id, keys, now, out);
	if (ret < 0) {
		gs_tokens_used_del(u, token_id); /* unspent: the client may try it again */
		return ret;
	}
	/* the token's entry exists: this only records the session it opened */
	gs_tokens_used_add(u, token_id, until_s, (*out)->session_id);
	return 0;
}

bool
gs_session_keys_equal(const struct gs_session_tbl *t, const struct gs_session *s,
	const struct gs_session_keys *keys)
{
	return sodium_memcmp(gs_session_keys_of(t, s), keys, sizeof(*keys)) == 0;
}

unsigned int
gs_tokens_used_sweep(
	struct gs_tokens_used *u, uint64_t now_s, unsigned int budget, uint32_t *cursor)
{
	unsigned int forgotten = 0;
	const void *key;
	void *data;

	while (budget-- > 0) {
		uint8_t copy[GS_TOKEN_ID_LEN];

		if (rte_hash_iterate(u->hash, &key, &data, cursor) < 0) {
			*cursor = 0; /* the next sweep starts over */
			break;
		}
		if (used_expire(data) >= now_s)
			continue;
		memcpy(copy, key, sizeof(copy));
		if (rte_hash_del_key_with_hash(u->hash, copy, sig_token(copy)) >= 0)
			forgotten++;
	}
	return forgotten;
}
