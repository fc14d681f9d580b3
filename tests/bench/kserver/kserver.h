/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_KSERVER_H
#define GS_KSERVER_H

/*
 * The core of gs-kserver, the kernel-socket baseline: gsnet's protocol and
 * game rules (docs/PROTOCOL.md) for one thread, without sockets. The caller
 * feeds it datagrams (ks_input) and the clock (ks_tick); replies are queued
 * in ks->tx and handed to the caller's flush function in batches.
 *
 * What it reproduces of the DPDK server:
 *   - the primary's checks: game header (gs_hdr_decode), type class, session
 *     (CONNECT with id 0; otherwise an open session from its own address),
 *     each drop counted by reason;
 *   - gs-session: CONNECT (idempotent per address), HEARTBEAT, DISCONNECT,
 *     idle timeout (DISCONNECT IDLE_TIMEOUT), TABLE_FULL (a SESSION_ERROR of
 *     session 0 that echoes the CONNECT's auth_tag field, its connect nonce);
 *   - gs-move and gs-combat on a gs_world in plain memory;
 *   - the primary's reply framing: every packet to a session carries the
 *     session's next sequence number.
 * Sessions: a fixed array of slots (entity id = slot + 1), two open
 * addressing hashes (session id -> slot, address -> slot), linear probing
 * with backward-shift deletion.
 */
#include <stdbool.h>
#include <stdint.h>

#include "gs_pb_arena.h"
#include "gs_wire.h"
#include "gs_world.h"

#define KS_DATAGRAM_MAX	     (GS_WIRE_HDR_LEN + GS_WIRE_MAX_PAYLOAD)
#define KS_TX_MAX	     128 /* replies queued before a flush */
#define KS_HEARTBEAT_MS	     100
#define KS_IDLE_TIMEOUT_MS   10000
#define KS_DEFAULT_MAX	     65536
#define KS_SWEEP_NS	     10000000ull /* an idle sweep step every 10 ms ... */
#define KS_SWEEP_STEPS_PER_S 100	 /* ... visiting the table about once a second */

/* Why a datagram was dropped (no answer). */
#define KS_FOREACH_DROP(_)                                                                       \
	_(GS_TRUNCATED, "gs_truncated") /* shorter than the game header */                       \
	_(GS_MAGIC, "gs_magic")                                                                  \
	_(GS_VERSION, "gs_version")                                                              \
	_(GS_LENGTH, "gs_length") /* payload_len wrong, or too long */                           \
	_(GS_FLAGS, "gs_flags")                                                                  \
	_(GS_TYPE, "gs_type")		      /* no handler class for the type */                \
	_(UNKNOWN_SESSION, "unknown_session") /* no such open session (or CONNECT with an id) */ \
	_(WRONG_ADDRESS, "wrong_address")     /* the session belongs to another address */       \
	_(BAD_TYPE, "bad_type")		      /* an unassigned type of a class */                \
	_(BAD_PAYLOAD, "bad_payload")	      /* protobuf decoding failed */                     \
	_(TABLE_FULL, "table_full")	      /* CONNECT refused: answered SESSION_ERROR */      \
	_(TX_ERROR, "tx_error")		      /* a reply the socket refused */

enum ks_drop {
#define KS_DROP_ENUM(sym, name) KS_DROP_##sym,
	KS_FOREACH_DROP(KS_DROP_ENUM)
#undef KS_DROP_ENUM
	KS_DROP_MAX
};

/** A client address, network byte order. */
struct ks_peer {
	uint32_t ip;
	uint16_t port;
};

struct ks_session {
	uint32_t id;	 /* 0: the slot is free */
	uint32_t tx_seq; /* the next sequence number to this session */
	struct ks_peer peer;
	uint32_t rx_seq; /* the last sequence seen from the client */
	uint64_t player_id;
	uint64_t last_seen; /* ns */
};

/** One reply ready to send. */
struct ks_out {
	struct ks_peer peer;
	uint32_t len;
	uint8_t buf[KS_DATAGRAM_MAX];
};

struct ks_stats {
	uint64_t rx;
	uint64_t tx; /* replies the flush function reported sent */
	uint64_t drops[KS_DROP_MAX];
	uint64_t connects; /* sessions opened */
	uint64_t reconnects;
	uint64_t disconnects;
	uint64_t expired;
	uint64_t heartbeats;
	uint64_t move_results[GS_MOVE_RESULT_MAX];
	uint64_t move_not_owner;
	uint64_t attack_results[GS_ATTACK_RESULT_MAX];
	uint64_t damaged;
};

struct ks_server;

/**
 * Send the @p n replies of @p out. Returns how many were sent; the rest are
 * counted as tx_error. The queue is empty afterwards either way.
 */
typedef unsigned int ks_flush_fn(void *arg, struct ks_out *out, unsigned int n);

struct ks_server {
	uint32_t max;	   /* session slots */
	uint32_t mask;	   /* hash buckets - 1 */
	uint32_t count;	   /* open sessions */
	uint32_t *by_id;   /* bucket -> slot + 1, 0: empty */
	uint32_t *by_peer; /* bucket -> slot + 1 */
	uint32_t *free;	   /* stack of free slots */
	uint32_t nfree;
	struct ks_session *s;
	struct gs_world *world;
	int32_t pid; /* the world's lock holder */
	uint64_t rng;
	uint32_t sweep_cursor;
	uint32_t sweep_budget;
	uint64_t next_sweep;
	uint64_t idle_ns;
	struct gs_pb_arena arena;
	uint8_t arena_buf[4096];
	ks_flush_fn *flush;
	void *flush_arg;
	unsigned int ntx;
	struct ks_out tx[KS_TX_MAX];
	struct ks_stats st;
};

/**
 * Create a server of @p max sessions (and a world of as many entities) with
 * the rules @p r; time starts at @p now_ns (CLOCK_MONOTONIC).
 *
 * @return the server, or NULL (errno: EINVAL, ENOMEM).
 */
struct ks_server *ks_create(uint32_t max, const struct gs_world_rules *r, uint64_t now_ns,
	ks_flush_fn *flush, void *flush_arg);

void ks_destroy(struct ks_server *ks);

/** Handle one datagram of @p len bytes from @p peer, received at @p now_ns. */
void ks_input(struct ks_server *ks, const uint8_t *buf, size_t len, const struct ks_peer *peer,
	uint64_t now_ns);

/** Count a datagram dropped before ks_input (e.g. longer than any valid one). */
void ks_drop(struct ks_server *ks, enum ks_drop why);

/** Idle sweep when due; call at least every 10 ms. */
void ks_tick(struct ks_server *ks, uint64_t now_ns);

/** Hand the queued replies to the flush function. */
void ks_flush(struct ks_server *ks);

/** The open session @p id, or NULL. */
struct ks_session *ks_find(const struct ks_server *ks, uint32_t id);

/** The open session of address @p peer, or NULL. */
struct ks_session *ks_find_peer(const struct ks_server *ks, const struct ks_peer *peer);

/** Label of a drop reason ("wrong_address"). */
const char *ks_drop_name(enum ks_drop d);

#endif /* GS_KSERVER_H */
