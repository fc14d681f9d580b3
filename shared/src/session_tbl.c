/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_memzone.h>
#include <rte_random.h>

#include "gs_log.h"
#include "gs_names.h"
#include "gs_session_tbl.h"

GS_LOG_REGISTER(gs_shared_session_logtype, gs.shared.session);
#define GS_LOGTYPE gs_shared_session_logtype

#define SESSION_HASH_SEED 0x47534e31u

/*
 * 16 bytes: rte_hash compares keys of this size with its own per-process
 * code; other sizes call a memcmp pointer stored by the creating process.
 */
struct session_key {
	uint32_t id;
	uint32_t zero[3];
};

/* A client address, also 16 bytes. */
struct peer_key {
	uint32_t ip;
	uint16_t port;
	uint16_t zero1;
	uint32_t zero2[2];
};

static inline void
peer_key_init(struct peer_key *k, const struct gs_peer *peer)
{
	memset(k, 0, sizeof(*k));
	k->ip = peer->ip;
	k->port = peer->port;
}

/* Both tables hash their 16-byte keys the same way, in every process. */
static inline uint32_t
sig16(const void *k)
{
	return rte_hash_crc(k, sizeof(struct session_key), SESSION_HASH_SEED);
}

static inline void
key_init(struct session_key *k, uint32_t id)
{
	memset(k, 0, sizeof(*k));
	k->id = id;
}

int
gs_session_tbl_create(struct gs_session_tbl *t, uint32_t max, int socket_id)
{
	struct rte_hash_parameters p = {
		.name = GS_HASH_SESSIONS,
		.entries = max,
		.key_len = sizeof(struct session_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = SESSION_HASH_SEED,
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_parameters pp = p;
	const struct rte_memzone *mz;
	struct rte_hash *stale;
	int ret;

	_Static_assert(sizeof(struct peer_key) == sizeof(struct session_key), "16-byte keys");
	pp.name = GS_HASH_PEERS;
	/* a previous primary of this prefix may have left them behind */
	stale = rte_hash_find_existing(GS_HASH_SESSIONS);
	if (stale != NULL)
		rte_hash_free(stale);
	stale = rte_hash_find_existing(GS_HASH_PEERS);
	if (stale != NULL)
		rte_hash_free(stale);
	mz = rte_memzone_lookup(GS_MZ_SESSIONS);
	if (mz != NULL && rte_memzone_free(mz) < 0)
		return -EEXIST;

	t->max = max;
	mz = rte_memzone_reserve(GS_MZ_SESSIONS,
		(size_t)max * (sizeof(struct gs_session) + sizeof(struct gs_session_keys)),
		socket_id, RTE_MEMZONE_SIZE_HINT_ONLY);
	if (mz == NULL) {
		ret = -rte_errno;
		GS_LOG(ERR, "rte_memzone_reserve(%s, %u sessions): %s", GS_MZ_SESSIONS, max,
			rte_strerror(rte_errno));
		return ret;
	}
	memset(mz->addr, 0, mz->len);
	t->s = mz->addr;
	t->keys = (struct gs_session_keys *)(t->s + max);
	t->hash = rte_hash_create(&p);
	if (t->hash == NULL) {
		ret = -rte_errno;
		GS_LOG(ERR, "rte_hash_create(%s): %s", GS_HASH_SESSIONS, rte_strerror(rte_errno));
		goto out_free_mz;
	}
	t->peers = rte_hash_create(&pp);
	if (t->peers == NULL) {
		ret = -rte_errno;
		GS_LOG(ERR, "rte_hash_create(%s): %s", GS_HASH_PEERS, rte_strerror(rte_errno));
		goto out_free_hash;
	}
	return 0;

out_free_hash:
	rte_hash_free(t->hash);
	t->hash = NULL;
out_free_mz:
	rte_memzone_free(mz);
	t->s = NULL;
	return ret;
}

void
gs_session_tbl_free(struct gs_session_tbl *t)
{
	const struct rte_memzone *mz = rte_memzone_lookup(GS_MZ_SESSIONS);

	rte_hash_free(t->hash);
	rte_hash_free(t->peers);
	t->hash = NULL;
	t->peers = NULL;
	if (mz != NULL)
		rte_memzone_free(mz);
	t->s = NULL;
}

int
gs_session_tbl_attach(struct gs_session_tbl *t)
{
	const struct rte_memzone *mz = rte_memzone_lookup(GS_MZ_SESSIONS);

	t->hash = rte_hash_find_existing(GS_HASH_SESSIONS);
	t->peers = rte_hash_find_existing(GS_HASH_PEERS);
	if (mz == NULL || t->hash == NULL || t->peers == NULL)
		return -ENOENT;
	t->s = mz->addr;
	t->max = (uint32_t)(mz->len / (sizeof(struct gs_session) + sizeof(struct gs_session_keys)));
	t->keys = (struct gs_session_keys *)(t->s + t->max);
	return 0;
}

struct gs_session *
gs_session_find(const struct gs_session_tbl *t, uint32_t id)
{
	struct session_key k;
	struct gs_session *s;
	int32_t pos;

	if (id == 0)
		return NULL;
	key_init(&k, id);
	pos = rte_hash_lookup_with_hash(t->hash, &k, sig16(&k));
	if (pos < 0 || (uint32_t)pos >= t->max)
		return NULL;
	s = &t->s[pos];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE || s->session_id != id)
		return NULL;
	return s;
}

void
gs_session_find_bulk(const struct gs_session_tbl *t, const uint32_t *ids, unsigned int n,
	struct gs_session **out)
{
	struct session_key keys[RTE_HASH_LOOKUP_BULK_MAX];
	const void *kp[RTE_HASH_LOOKUP_BULK_MAX];
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];

	if (n > RTE_HASH_LOOKUP_BULK_MAX)
		n = RTE_HASH_LOOKUP_BULK_MAX;
	for (unsigned int i = 0; i < n; i++) {
		key_init(&keys[i], ids[i]);
		kp[i] = &keys[i];
	}
	if (n == 0 || rte_hash_lookup_bulk(t->hash, kp, n, pos) != 0) {
		for (unsigned int i = 0; i < n; i++)
			out[i] = NULL;
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct gs_session *s = NULL;

		if (ids[i] != 0 && pos[i] >= 0 && (uint32_t)pos[i] < t->max) {
			s = &t->s[pos[i]];
			if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE ||
				s->session_id != ids[i])
				s = NULL;
		}
		out[i] = s;
	}
}

struct gs_session *
gs_session_find_peer(const struct gs_session_tbl *t, const struct gs_peer *peer)
{
	struct peer_key k;
	struct gs_session *s;
	void *data;

	peer_key_init(&k, peer);
	if (rte_hash_lookup_with_hash_data(t->peers, &k, sig16(&k), &data) < 0)
		return NULL;
	if ((uintptr_t)data >= t->max)
		return NULL;
	s = &t->s[(uintptr_t)data];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE ||
		s->peer.ip != peer->ip || s->peer.port != peer->port)
		return NULL;
	return s;
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
	struct session_key k;
	struct peer_key pk;
	struct gs_session *s;
	uint32_t id;
	int32_t pos;
	int ret;

	s = gs_session_find_peer(t, peer);
	if (s != NULL) {
		*out = s;
		return -EEXIST;
	}
	do {
		id = (uint32_t)rte_rand();
		key_init(&k, id);
	} while (id == 0 || rte_hash_lookup_with_hash(t->hash, &k, sig16(&k)) >= 0);

	pos = rte_hash_add_key_with_hash(t->hash, &k, sig16(&k));
	if (pos < 0)
		return pos == -ENOSPC ? -ENOSPC : pos;
	if ((uint32_t)pos >= t->max) { /* cannot happen without multi-writer caches */
		rte_hash_del_key_with_hash(t->hash, &k, sig16(&k));
		rte_hash_free_key_with_position(t->hash, pos);
		return -ENOSPC;
	}
	peer_key_init(&pk, peer);
	ret = rte_hash_add_key_with_hash_data(t->peers, &pk, sig16(&pk), (void *)(uintptr_t)pos);
	if (ret < 0) {
		rte_hash_del_key_with_hash(t->hash, &k, sig16(&k));
		rte_hash_free_key_with_position(t->hash, pos);
		return -ENOSPC;
	}
	s = &t->s[pos];
	if (keys != NULL)
		t->keys[pos] = *keys;
	else
		memset(&t->keys[pos], 0, sizeof(t->keys[pos]));
	/* readers that find the key before ACTIVE is stored drop the packet */
	s->session_id = id;
	s->peer = *peer;
	s->player_id = player_id;
	s->created_tsc = now;
	s->last_seen_tsc = now;
	s->rx_seq = 0;
	__atomic_store_n(&s->tx_seq, 0, __ATOMIC_RELAXED);
	s->entity_id = (uint32_t)pos + 1; /* a session owns one entity: world e[pos] */
	__atomic_store_n(&s->state, GS_SESS_ACTIVE, __ATOMIC_RELEASE);
	*out = s;
	return 0;
}

int
gs_session_close(struct gs_session_tbl *t, struct gs_session *s, uint64_t now)
{
	struct session_key k;
	struct peer_key pk;
	int32_t pos;

	if (s->state != GS_SESS_ACTIVE)
		return -ENOENT;
	key_init(&k, s->session_id);
	peer_key_init(&pk, &s->peer);
	s->last_seen_tsc = now;
	__atomic_store_n(&s->state, GS_SESS_CLOSED, __ATOMIC_RELEASE);
	/* the position stays reserved (no free on delete) until the sweep frees it */
	rte_hash_del_key_with_hash(t->hash, &k, sig16(&k));
	pos = rte_hash_del_key_with_hash(t->peers, &pk, sig16(&pk));
	s->peer_pos = pos >= 0 ? (uint32_t)pos + 1 : 0; /* the peer slot to free later */
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
			rte_hash_free_key_with_position(t->hash, (int32_t)i);
			if (s->peer_pos != 0)
				rte_hash_free_key_with_position(
					t->peers, (int32_t)(s->peer_pos - 1));
			s->peer_pos = 0;
			__atomic_store_n(&s->state, GS_SESS_FREE, __ATOMIC_RELEASE);
		}
	}
	*cursor = i;
	return expired;
}

unsigned int
gs_session_tbl_repair(struct gs_session_tbl *t)
{
	const void *key;
	void *data;
	uint32_t next = 0;
	unsigned int removed = 0;
	int32_t pos;

	while ((pos = rte_hash_iterate(t->hash, &key, &data, &next)) >= 0) {
		const struct session_key *k = key;
		struct session_key copy = *k;
		struct gs_session *s = (uint32_t)pos < t->max ? &t->s[pos] : NULL;

		if (s != NULL && s->state == GS_SESS_ACTIVE && s->session_id == k->id)
			continue;
		/* added by a writer that died before publishing the session */
		rte_hash_del_key_with_hash(t->hash, &copy, sig16(&copy));
		if (s != NULL) {
			s->last_seen_tsc = 0;
			__atomic_store_n(&s->state, GS_SESS_CLOSED, __ATOMIC_RELEASE);
		}
		removed++;
	}
	next = 0;
	while ((pos = rte_hash_iterate(t->peers, &key, &data, &next)) >= 0) {
		struct peer_key copy = *(const struct peer_key *)key;
		uintptr_t idx = (uintptr_t)data;
		const struct gs_session *s = idx < t->max ? &t->s[idx] : NULL;

		if (s != NULL && s->state == GS_SESS_ACTIVE && s->peer.ip == copy.ip &&
			s->peer.port == copy.port)
			continue;
		rte_hash_del_key_with_hash(t->peers, &copy, sig16(&copy));
		rte_hash_free_key_with_position(t->peers, pos);
		removed++;
	}
	return removed;
}

uint32_t
gs_session_count(const struct gs_session_tbl *t)
{
	int32_t n = rte_hash_count(t->hash);

	return n < 0 ? 0 : (uint32_t)n;
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

	_Static_assert(GS_TOKEN_ID_LEN == sizeof(struct session_key), "16-byte keys");
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

bool
gs_tokens_used_has(
	const struct gs_tokens_used *u, const uint8_t id[GS_TOKEN_ID_LEN], uint64_t now_s)
{
	void *data;

	if (rte_hash_lookup_with_hash_data(u->hash, id, sig16(id), &data) < 0)
		return false;
	return (uint64_t)(uintptr_t)data >= now_s;
}

int
gs_tokens_used_add(struct gs_tokens_used *u, const uint8_t id[GS_TOKEN_ID_LEN], uint64_t expire_s)
{
	int ret = rte_hash_add_key_with_hash_data(
		u->hash, id, sig16(id), (void *)(uintptr_t)expire_s);

	return ret < 0 ? -ENOSPC : 0;
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
		if ((uint64_t)(uintptr_t)data >= now_s)
			continue;
		memcpy(copy, key, sizeof(copy));
		if (rte_hash_del_key_with_hash(u->hash, copy, sig16(copy)) >= 0)
			forgotten++;
	}
	return forgotten;
}
