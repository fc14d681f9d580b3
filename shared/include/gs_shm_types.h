/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_SHM_TYPES_H
#define GS_SHM_TYPES_H

/*
 * Every structure that crosses processes. Plain data only: no pointers, no
 * function pointers (addresses of code differ between binaries). Any change
 * to a structure here bumps GS_SHM_VERSION; a handler built for another
 * version refuses to attach and says what differs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>

#include "gs_auth.h"
#include "gs_class.h"
#include "gs_drop.h"
#include "gs_wire.h"

#define GS_SHM_MAGIC 0x47534e4554435431ull /* "GSNETCT1" */
#ifdef GS_SHM_VERSION_OVERRIDE		   /* tests: a handler "built for another layout" */
#define GS_SHM_VERSION GS_SHM_VERSION_OVERRIDE
#else
#define GS_SHM_VERSION 13u
#endif
#define GS_MAX_PRIMARY_LCORES 8
#define GS_HEARTBEAT_MS	      10	 /* a handler's heartbeat period (its housekeeping tick) */
#define GS_SESSIONS_MAX	      (1u << 24) /* a session id keeps >= 7 bits of generation */
#define GS_VERSION_STR_LEN    32

/** Where a message came from, or where a reply goes. Network byte order. */
struct gs_peer {
	uint32_t ip;
	uint16_t port;
	uint16_t eth_port; /* DPDK port the request arrived on (host order) */
	uint8_t mac[6];
	uint16_t vlan_tci; /* 0: untagged */
};

/**
 * One ring element: a copy of a game message. Handlers never hold mbufs; the
 * primary keeps every mbuf (a killed handler leaks nothing).
 * Requests carry the sender; replies carry the peer to send to.
 */
struct gs_msg {
	struct gs_peer peer;
	uint64_t rx_tsc;    /* TSC of arrival: from the NIC's timestamp (rx_ts_src) or the poll */
	uint64_t rx_nic_ts; /* GS_RX_TS_NIC: the NIC's raw timestamp (its clock's units) */
	uint32_t session_slot; /* position + 1 of the session in the table; 0: none */
	uint32_t rx_ts_src;    /* enum gs_rx_ts_src: where rx_tsc comes from */
	struct gs_hdr hdr;     /* host byte order; hdr.payload_len bytes follow */
	uint8_t payload[GS_WIRE_MAX_PAYLOAD];
};

/** Source of gs_msg.rx_tsc. */
enum gs_rx_ts_src {
	GS_RX_TS_TSC = 0, /* the primary's TSC when its lcore polled the frame */
	GS_RX_TS_NIC = 1, /* the NIC's RX timestamp, mapped to the primary's TSC */
};

_Static_assert(sizeof(struct gs_msg) % 8 == 0, "ring elements must be a multiple of 8 bytes");
_Static_assert(offsetof(struct gs_msg, rx_nic_ts) % 8 == 0, "rx_nic_ts is 8-byte aligned");

/** Handler slot states (gs_handler_slot.state). */
enum gs_slot_state {
	GS_SLOT_FREE = 0,  /* never used, or released by a clean exit */
	GS_SLOT_ATTACHING, /* claimed, not yet consuming */
	GS_SLOT_RUNNING,   /* consuming its rings */
	GS_SLOT_STOPPING,  /* asked to stop, or stopping: no new messages */
	GS_SLOT_DEAD,	   /* the primary found it gone (pid or heartbeat) */
	GS_SLOT_STATE_MAX
};

/** The name of slot state @p st ("free" ... "dead"), "?" for any other value. */
static inline const char *
gs_slot_state_name(uint32_t st)
{
	static const char *const names[GS_SLOT_STATE_MAX] = {
		[GS_SLOT_FREE] = "free",
		[GS_SLOT_ATTACHING] = "attaching",
		[GS_SLOT_RUNNING] = "running",
		[GS_SLOT_STOPPING] = "stopping",
		[GS_SLOT_DEAD] = "dead",
	};

	return st < GS_SLOT_STATE_MAX ? names[st] : "?";
}

/* Append only: the numbering is part of the layout. */
#define GS_FOREACH_REJECT(_)                        \
	_(BAD_PAYLOAD, "bad_payload")               \
	_(BAD_TYPE, "bad_type")                     \
	_(NOT_CONNECTED, "not_connected")           \
	_(TABLE_FULL, "table_full")                 \
	_(REPLY_FULL, "reply_full")                 \
	_(NOT_OWNER, "not_owner")                   \
	_(BUSY, "busy")                             \
	_(STALE, "stale")                           \
	_(OUT_OF_BOUNDS, "out_of_bounds")           \
	_(TOO_FAST, "too_fast")                     \
	_(DEAD, "dead")                             \
	_(OUT_OF_RANGE, "out_of_range")             \
	_(COOLDOWN, "cooldown")                     \
	_(ATTACKER_DEAD, "attacker_dead")           \
	_(TARGET_DEAD, "target_dead")               \
	_(NO_TARGET, "no_target")                   \
	_(BAD_SKILL, "bad_skill")                   \
	_(TOKEN_MISSING, "token_missing")           \
	_(TOKEN_FORGED, "token_forged")             \
	_(TOKEN_EXPIRED, "token_expired")           \
	_(TOKEN_OTHER_SERVER, "token_other_server") \
	_(TOKEN_REUSED, "token_reused")             \
	_(TOKENS_FULL, "tokens_full")               \
	_(COOKIE_BAD, "cookie_bad")                 \
	_(COOKIE_EXPIRED, "cookie_expired")         \
	_(CONNECT_SHORT, "connect_short")           \
	_(TOKEN_LIFETIME, "token_lifetime")

/** Why a handler refused a message it received (counted per instance). */
enum gs_reject {
#define GS_REJECT_ENUM(sym, name) GS_REJECT_##sym,
	GS_FOREACH_REJECT(GS_REJECT_ENUM)
#undef GS_REJECT_ENUM
	GS_REJECT_MAX
};

/** The counter name of reject reason @p r ("bad_payload" ...), "?" for any other value. */
static inline const char *
gs_reject_name(uint32_t r)
{
	static const char *const names[GS_REJECT_MAX] = {
#define GS_REJECT_NAME(sym, name) [GS_REJECT_##sym] = name,
		GS_FOREACH_REJECT(GS_REJECT_NAME)
#undef GS_REJECT_NAME
	};

	return r < GS_REJECT_MAX ? names[r] : "?";
}

/* A handler's own counters in its slot: how many, and their names' room. */
#define GS_HANDLER_EVENTS      16
#define GS_HANDLER_EVENT_NAME  24
/* Reject reasons a handler may declare besides GS_FOREACH_REJECT's. */
#define GS_HANDLER_OWN_REJECTS 12
#define GS_HANDLER_REJECTS     (GS_REJECT_MAX + GS_HANDLER_OWN_REJECTS)

/*
 * A handler's duration histogram (gs_handler_hist_declare): the durations it
 * measures itself, a request's handling (µs) or a tick's (tens of ms). Each
 * bucket holds the durations of at most its bound and above the previous
 * one (the last: any), in ns; log-spaced from 10 µs to 1 s (a tick that
 * overran by far still has a quantile).
 */
#define GS_HANDLER_HIST_BUCKETS 17
#define GS_HANDLER_HIST_BOUNDS_NS                                                                 \
	{                                                                                         \
		10000, 20000, 50000, 100000, 200000, 500000, 1000000, 2000000, 5000000, 10000000, \
			20000000, 50000000, 100000000, 200000000, 500000000, 1000000000,          \
			UINT64_MAX                                                                \
	}

/*
 * The scalar counters of a handler slot (struct gs_handler_slot's fields of
 * those names, between stats_seq and the primary's line), written once: the
 * /gsnet/handler(s) telemetry, the Prometheus families
 * (gsnet_handler_NAME_total{class,instance}), gs-stats' JSON and table and
 * the counters tests are made from this list. A scalar counter added to the
 * slot goes here too. _(NAME, HELP)
 */
#define GS_FOREACH_HANDLER_COUNTER(_)                   \
	_(processed, "Messages the instance consumed.") \
	_(replied, "Replies the instance queued.")      \
	_(busy_cycles,                                  \
		"TSC cycles the instance spent in passes that found messages (idle polling excluded).")

/** One handler instance: written by the handler, except the primary's line. */
struct gs_handler_slot {
	/* handler's line: identity and liveness */
	uint32_t state; /* enum gs_slot_state; CAS only */
	int32_t pid;
	uint32_t generation; /* +1 at each claim */
	uint32_t lcore_id;
	uint64_t heartbeat_tsc; /* every GS_HEARTBEAT_MS while the loop runs */
	uint64_t attach_tsc;
	uint32_t restarts;		/* claims after the first */
	uint32_t stop_req;		/* = generation: asked (gs-ctl stop) to drain and leave */
	char build[GS_VERSION_STR_LEN]; /* the handler's gsnet version */
	/* the handler's own events (gs_handler_prog.events), named by the handler; "": none */
	char event_names[GS_HANDLER_EVENTS][GS_HANDLER_EVENT_NAME];
	/* reject reasons GS_REJECT_MAX + k the handler declared; "": none */
	char reject_names[GS_HANDLER_OWN_REJECTS][GS_HANDLER_EVENT_NAME];
	/* the name of its duration histogram (gs_handler_hist_declare); "": none */
	char hist_name[GS_HANDLER_EVENT_NAME];

	/* handler's counters: seq is odd while the handler updates them */
	uint64_t stats_seq __rte_cache_aligned;
	uint64_t processed; /* the scalars: GS_FOREACH_HANDLER_COUNTER */
	uint64_t replied;
	uint64_t rejected[GS_HANDLER_REJECTS]; /* by reason: GS_FOREACH_REJECT's, then its own */
	uint64_t busy_cycles; /* TSC cycles in passes that found messages (not idle polling) */
	uint64_t events[GS_HANDLER_EVENTS];	/* the counts of event_names[] */
	uint64_t hist[GS_HANDLER_HIST_BUCKETS]; /* hist_name's, by GS_HANDLER_HIST_BOUNDS_NS */
	uint64_t hist_ns;			/* their sum */

	/* primary's line (its main lcore's liveness view) */
	uint64_t down_since_tsc __rte_cache_aligned; /* 0 while up or never seen */
	uint32_t up;				     /* 1 while dispatched to */
	uint32_t downs;				     /* times it was found dead */
	/*
	 * Retiring a generation: GS_RETIRE(gen, reset). Once retired_req equals
	 * retire_req, no primary lcore enqueues to the instance any more and,
	 * with reset (the instance died), its rings are empty and reset: what
	 * it had not consumed is counted as handler_down, its finished replies
	 * were sent. A new process claims the slot only then.
	 */
	uint32_t retire_req;
	uint32_t retired_req;

	/*
	 * Wake-ups (idle = wake): the handler says `sleeping` before it sleeps
	 * on the futex `wake_seq`; a primary lcore that put work in its ring
	 * and sees it asleep bumps wake_seq and wakes it (gs_wake.h).
	 */
	uint32_t wake_seq __rte_cache_aligned;
	uint32_t sleeping;
} __rte_cache_aligned;

/**
 * The name of reject reason @p r of the handler in @p slot: GS_FOREACH_REJECT's
 * or one the handler declared; NULL for a reason it has not.
 */
static inline const char *
gs_slot_reject_name(const struct gs_handler_slot *slot, unsigned int r)
{
	if (r < GS_REJECT_MAX)
		return gs_reject_name(r);
	if (r < GS_HANDLER_REJECTS && slot->reject_names[r - GS_REJECT_MAX][0] != '\0')
		return slot->reject_names[r - GS_REJECT_MAX];
	return NULL;
}

/*
 * A primary lcore's reply doorbell and sleep (idle = wake): a handler that
 * put replies in the lcore's reply ring rings its bit (gs_wake.h), and wakes
 * the lcore if it sleeps; the lcore drains the rings rung, not every ring.
 */
struct gs_lcore_wake {
	uint64_t posted;   /* bit GS_REPLY_BIT(class, instance): replies in that ring */
	uint32_t sleeping; /* 1 while the lcore waits for RX interrupts or a reply */
} __rte_cache_aligned;

/** The doorbell bit of the reply ring of instance @p i of class @p c. */
#define GS_REPLY_BIT(c, i) (1ull << (GS_MAX_INSTANCES * (c) + (i)))
_Static_assert((GS_MAX_CLASSES * GS_MAX_INSTANCES) <= 64, "one doorbell bit per instance");

/** The retire request of generation @p gen; @p reset for an instance that died. */
#define GS_RETIRE(gen, reset) (((gen) << 1) | ((reset) ? 1u : 0u))

/*
 * Residence time: a request's time inside gsnet, from its arrival (the NIC's
 * timestamp where there is one, else the TSC when the primary read it) to
 * the transmission of the reply that answers it, per class. Buckets hold the
 * replies whose residence is at most the bound (the last: any), in ns.
 */
#define GS_RESIDENCE_BUCKETS 14
#define GS_RESIDENCE_BOUNDS_NS                                                                   \
	{                                                                                        \
		1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000, 2000000, \
			5000000, 10000000, UINT64_MAX                                            \
	}

/*
 * The scalar counters of a primary lcore, written once: the struct's fields,
 * their sums (telemetry, the exit line), the Prometheus families
 * (gsnet_NAME_total{lcore}) and the JSON of gs-stats are all made from this
 * list. _(NAME, HELP)
 */
#define GS_FOREACH_LCORE_COUNTER(_)                                                                    \
	_(rx_packets, "Frames received by a primary lcore.")                                           \
	_(rx_bytes, "Bytes received by a primary lcore.")                                              \
	_(tx_packets, "Frames sent by a primary lcore.")                                               \
	_(tx_bytes, "Bytes sent by a primary lcore.")                                                  \
	_(arp_replies, "ARP requests answered.")                                                       \
	_(icmp_replies, "ICMP echo requests answered.")                                                \
	_(exception_rx,                                                                                \
		"Frames received on a game port and handed to the kernel exception interface.")        \
	_(exception_tx,                                                                                \
		"Frames the kernel sent on the exception interface, sent on the game port.")           \
	_(busy_cycles,                                                                                 \
		"TSC cycles a primary lcore spent in passes that found work (idle polling excluded).") \
	_(challenges, "First CONNECTs answered with a CHALLENGE by the primary (token mode).")         \
	_(wakeups,                                                                                     \
		"Handlers a primary lcore woke (idle = wake) after putting work in their ring.")       \
	_(sleeps, "Times a primary lcore slept on RX interrupts and replies (idle = wake).")

/** Counters of one primary lcore; seq is odd while the lcore updates them. */
struct gs_lcore_stats {
	uint64_t seq;
#define GS_LCORE_COUNTER_FIELD(name, help) uint64_t name;
	GS_FOREACH_LCORE_COUNTER(GS_LCORE_COUNTER_FIELD)
#undef GS_LCORE_COUNTER_FIELD
	uint64_t drops[GS_DROP_MAX];
	uint64_t dispatched[GS_MAX_CLASSES];
	uint64_t replies[GS_MAX_CLASSES];
	/* per request ring of this lcore (primary -> handler instance) */
	uint64_t ring_enq[GS_MAX_CLASSES][GS_MAX_INSTANCES];
	uint64_t ring_full[GS_MAX_CLASSES][GS_MAX_INSTANCES];
	/* residence time of the replies that answer a request (GS_RESIDENCE_BOUNDS_NS) */
	uint64_t residence[GS_MAX_CLASSES][GS_RESIDENCE_BUCKETS];
	uint64_t residence_ns[GS_MAX_CLASSES]; /* their sum */
} __rte_cache_aligned;

/** A handler class the group runs, by id: a [class.NAME] row of the primary's config. */
struct gs_class_info {
	char name[GS_CLASS_NAME_LEN]; /* "": no class has this id */
	struct gs_type_set types;     /* the message types dispatched to it (while active) */
	uint32_t instances;	      /* instances started by default */
	uint32_t state;		      /* enum gs_class_state */
};

/** What a class id is doing (gs_class_info.state). */
enum gs_class_state {
	GS_CLASS_FREE = 0, /* no class */
	GS_CLASS_ACTIVE,   /* dispatched to; handlers attach */
	GS_CLASS_DRAINING, /* removed by a reload: no more messages, its instances leave */
};

/* gs-ctl reload: a request (seq << 1 | force) and the primary's answer. */
#define GS_RELOAD_FORCE	  1u
#define GS_RELOAD_MSG_LEN 1024

/** The name of class @p c in @p table (active or draining), or NULL when no class has that id. */
static inline const char *
gs_class_info_name(const struct gs_class_info *table, unsigned int c)
{
	return c < GS_MAX_CLASSES && table[c].name[0] != '\0' ? table[c].name : NULL;
}

/** Class ids in use in @p table, from 1: for (c = gs_class_next(t, 0); c < GS_MAX_CLASSES; ...). */
static inline unsigned int
gs_class_next(const struct gs_class_info *table, unsigned int c)
{
	while (++c < GS_MAX_CLASSES && table[c].name[0] == '\0')
		;
	return c;
}

/** The id of active class @p name in @p table, or GS_CLASS_NONE. */
static inline unsigned int
gs_class_find(const struct gs_class_info *table, const char *name)
{
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		if (table[c].state == GS_CLASS_ACTIVE &&
			strncmp(table[c].name, name, GS_CLASS_NAME_LEN) == 0)
			return c;
	return GS_CLASS_NONE;
}

#define GS_FOREACH_CLASS_ID(c, table)                                      \
	for (unsigned int c = gs_class_next(table, 0); c < GS_MAX_CLASSES; \
		c = gs_class_next(table, c))

/** The name of class @p c in @p table for logs and labels: "?" when no class has that id. */
static inline const char *
gs_class_label(const struct gs_class_info *table, unsigned int c)
{
	const char *n = gs_class_info_name(table, c);

	return n != NULL ? n : "?";
}

/** The control memzone (GS_MZ_CONTROL), published by the primary. */
struct gs_control {
	/* layout identity: checked by every handler at attach */
	uint64_t magic;
	uint32_t layout_version;
	uint32_t ctl_size;
	uint32_t msg_size;
	uint32_t slot_size;
	uint32_t session_size;
	uint32_t lcore_stats_size;
	char dpdk_version[GS_VERSION_STR_LEN];
	char gsnet_version[GS_VERSION_STR_LEN];
	uint32_t sdk_version; /* GS_SDK_VERSION of the primary's build (gs_sdk_version.h) */
	uint32_t reserved0;

	/* the primary's run */
	uint64_t epoch;	   /* random per primary start; 0 until ready */
	uint32_t ready;	   /* 1 once ports, pools and rings exist */
	uint32_t stopping; /* 1 when the primary shuts down: handlers exit */
	int32_t primary_pid;
	uint32_t n_lcores; /* primary lcores: one ring pair per (lcore, instance) */
	uint32_t ring_size;
	uint32_t max_sessions;
	uint64_t tsc_hz;
	uint64_t heartbeat_tsc; /* the primary's own heartbeat */
	uint32_t ports_started; /* count of rte_eth_dev_start calls that succeeded */
	uint32_t auth_mode;	/* enum gs_auth_mode of the primary's config: the group's */
	/* random per start: the primary's CHALLENGE cookies, checked again by gs-session */
	uint8_t cookie_key[GS_COOKIE_KEY_LEN];

	/* the classes it runs, by id (seq odd while a reload rewrites them) */
	uint32_t classes_seq;
	struct gs_class_info classes[GS_MAX_CLASSES];
	/* gs-ctl reload: it writes reload_req, the primary answers in the rest */
	uint32_t reload_req;		    /* seq << 1 | GS_RELOAD_FORCE */
	uint32_t reload_done;		    /* the last request carried out or refused */
	int32_t reload_status;		    /* 0, or a negative errno: refused, nothing changed */
	char reload_msg[GS_RELOAD_MSG_LEN]; /* what it did, or why it refused */

	struct gs_handler_slot handlers[GS_MAX_CLASSES][GS_MAX_INSTANCES];
	struct gs_lcore_stats lcores[GS_MAX_PRIMARY_LCORES];
	struct gs_lcore_wake lcore_wake[GS_MAX_PRIMARY_LCORES];
} __rte_cache_aligned;

/** Session states (gs_session.state). */
enum gs_sess_state {
	GS_SESS_FREE = 0,
	GS_SESS_ACTIVE,
	GS_SESS_CLOSED, /* removed from the hash; the slot is freed after a grace period */
};

/** One session, indexed by its position in the session hash. Written by gs-session. */
struct gs_session {
	uint32_t session_id;
	uint32_t state;
	struct gs_peer peer;
	uint64_t player_id;
	uint64_t created_tsc;
	uint64_t last_seen_tsc; /* or the time it was closed */
	uint32_t rx_seq;	/* last sequence seen from the client */
	uint32_t tx_seq;	/* next sequence to the client: the primary's, atomic */
	uint32_t entity_id;	/* the entity it owns: its position + 1 */
	uint32_t peer_pos;	/* gs-session's: peer-hash slot + 1, freed with the session */
};

_Static_assert(sizeof(struct gs_session) == 64, "a session is one cache line");

/**
 * A session's secrets, at the same position in an array beside the sessions.
 * Written by gs-session before it publishes the session; read by the primary,
 * which checks and writes every packet's auth tag. (Which token opened the
 * session is in the used-token table.)
 */
struct gs_session_keys {
	uint8_t c2s[GS_PKT_KEY_LEN]; /* client -> server packets */
	uint8_t s2c[GS_PKT_KEY_LEN]; /* server -> client packets */
};

_Static_assert(sizeof(struct gs_session_keys) == 32, "two sessions' keys per cache line");

#endif /* GS_SHM_TYPES_H */
