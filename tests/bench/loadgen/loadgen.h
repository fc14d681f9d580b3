/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_LOADGEN_H
#define GS_LOADGEN_H

/*
 * gs-loadgen's state, shared by its parts: gs_loadgen.c (options, EAL,
 * main), net.c (the port: frames out, frames in, link and ARP), load.c (the
 * phases: connect, warm-up, the measured load, goodbye) and report.c (the
 * result line or JSON object).
 */
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_udp.h>

#include "gs_wire.h"

#include "gsclient.h"

#define BURST		32u
#define SRC_PORT_BASE	1024u
#define SRC_IP_BASE	RTE_IPV4(198, 19, 0, 16) /* session i: this + i */
#define DRAIN_MS	300u
#define BACKLOG_WAIT_MS 60000u
#define HDRS_LEN \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))
#define RESULTS (GS__ATTACK_RESULT__RESULT__BUSY + 1)
#define REASONS (GS__MOVE_REJECT__REASON__BUSY + 1)

enum req_kind {
	REQ_HEARTBEAT,
	REQ_MOVE,
	REQ_ATTACK,
	REQ_KINDS,
};

enum sess_state {
	SESS_NEW = 0,
	SESS_CONNECTING,
	SESS_CONNECTED,
	SESS_FAILED, /* SESSION_ERROR */
	SESS_CLOSED, /* the server sent DISCONNECT */
};

#define MAX_CPU_OF 16

struct opts {
	const char *vdev;
	const char *file_prefix;
	unsigned int lcore_cpu;
	unsigned int mem_mb;
	uint32_t server_ip; /* host order */
	uint16_t server_port;
	unsigned int sessions;
	uint64_t rate; /* requests/s, 0 = flat out */
	double duration;
	unsigned int mix[REQ_KINDS];
	bool json;
	bool quiet;
	bool poll;		      /* never yield the CPU when idle */
	unsigned int memif_rsize;     /* log2 memif ring slots, 0 = the driver's default */
	uint64_t backlog;	      /* --backlog N: N requests at once on SIGUSR1; 0 = --rate */
	int64_t warmup;		      /* requests before the measurement; -1 = auto */
	clockid_t cpu_of[MAX_CPU_OF]; /* CPU clocks of the server's processes */
	unsigned int n_cpu_of;
	int eal_argc;
	char **eal_argv; /* after "--": replaces the EAL arguments built from options */
};

struct sess {
	uint32_t ip;   /* network order */
	uint16_t port; /* network order */
	uint8_t state;
	uint8_t walk;
	uint32_t session_id;
	uint32_t entity_id;
	uint32_t target; /* entity to attack */
	uint32_t tx_seq; /* header sequence */
	uint32_t move_seq;
	uint32_t attack_seq;
	uint32_t outstanding; /* requests sent and not answered yet */
	float base[3];	      /* the walk's centre: spawn, or where the server snapped us */
	float spawn[3];
};

struct counters {
	uint64_t sent[REQ_KINDS];
	uint64_t answered;
	uint64_t unmatched; /* an answer when the session had none outstanding */
	uint64_t bad_echo;  /* an echoed client time or connect nonce that is not one of ours */
	uint64_t tx_full;   /* frames the port did not take */
	uint64_t alloc_fail;
	uint64_t rx_frames;
	uint64_t rx_replies; /* gsnet datagrams from the server */
	uint64_t rx_bad;     /* gsnet datagrams that do not parse */
	uint64_t rx_other;   /* frames that are not gsnet replies to a session of ours */
	uint64_t by_type[GSC_MSG_TYPES];
	uint64_t attack_result[RESULTS + 1];
	uint64_t move_reject[REASONS + 1];
	uint64_t connect_sent;
	uint64_t connect_accepted;
	uint64_t session_errors;
	uint64_t connect_failed; /* SESSION_ERROR while connecting */
	uint64_t disconnects;	 /* from the server */
	uint64_t bye_sent;	 /* our DISCONNECTs at the end */
};

struct lg {
	struct opts o;
	const volatile sig_atomic_t *stop; /* set on SIGINT, SIGTERM */
	const volatile sig_atomic_t *go;   /* set on SIGUSR1 (--backlog) */
	uint16_t port_id;
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	struct rte_ether_addr server_mac;
	uint64_t hz;
	double ns_per_tsc;
	struct sess *s;
	uint32_t *live; /* indexes of connected sessions */
	unsigned int n_live;
	unsigned int cursor;
	uint64_t last_tsc; /* client_time_ns values are strictly increasing */
	uint64_t run_tsc;  /* first request's time: older echoes are not ours */
	uint64_t rng;
	uint8_t nonce_key[crypto_shorthash_KEYBYTES]; /* random per run: connect nonces */
	bool rx_count_on;   /* count replies into rx_window (the TX phase) */
	uint64_t rx_window; /* replies received during the TX phase */
	bool arp_ok;
	unsigned int arp_tries;
	double arp_ms;
	double connect_ms;
	double tx_secs;
	double window_cpu_s; /* --cpu-of processes' CPU during the TX phase; -1: not asked */
	uint64_t warm_sent;
	uint64_t warm_answered;
	double warm_ms;
	/* progress: the last report's figures, and the highest latency since */
	uint64_t tick_sent;
	uint64_t tick_answered;
	uint64_t tick_tsc;
	uint64_t tick_max;
	struct counters c;
	struct gsc_msg msg;
	struct gsc_hist lat;
	struct gsc_hist connect_lat;
};

static inline uint64_t
ms_tsc(const struct lg *g, uint64_t ms)
{
	return g->hz * ms / 1000u;
}

static inline double
tsc_ms(const struct lg *g, uint64_t cycles)
{
	return (double)cycles * g->ns_per_tsc / 1e6;
}

static inline uint64_t
total_sent(const struct lg *g)
{
	return g->c.sent[REQ_HEARTBEAT] + g->c.sent[REQ_MOVE] + g->c.sent[REQ_ATTACK];
}

static inline void
print_mac(char *buf, size_t cap, const struct rte_ether_addr *a)
{
	rte_ether_format_addr(buf, (uint16_t)cap, a);
}

/* Nothing to do: give the CPU away, unless --poll. */
static inline void
idle(const struct lg *g)
{
	if (g->o.poll)
		rte_pause();
	else
		sched_yield(); /* the handlers may share this CPU */
}

/* --- net.c: the port ---------------------------------------------------------------------- */

/** Set up and start the one port, and its mbuf pool. @return 0 or -1 (said on stderr). */
int net_port_init(struct lg *g);

/** Stop and close the port. */
void net_port_close(struct lg *g);

/** Wait (up to 5 s) for the link. @return 0 or -1 (said on stderr). */
int net_wait_link(struct lg *g);

/** ARP for the server's MAC (up to 2 s). @return 0 or -1 (said on stderr). */
int net_resolve_server(struct lg *g);

/**
 * Frame one gsnet message of @p type from session @p s into @p m, with the
 * session's next header sequence number.
 *
 * @return 0, or gsc_frame_build()'s error (-ENOSPC: no room in @p m).
 */
int net_build(
	struct lg *g, struct rte_mbuf *m, struct sess *s, uint8_t type, const ProtobufCMessage *pb);

/**
 * Send @p n frames, trying up to @p tries times; what the port does not take
 * is freed and counted (tx_full). @return frames sent.
 */
unsigned int net_send_all(struct lg *g, struct rte_mbuf **m, unsigned int n, unsigned int tries);

/** Receive and handle one burst. @return frames received. */
unsigned int net_rx_poll(struct lg *g);

/** Receive for @p ms milliseconds. */
void net_rx_for(struct lg *g, uint64_t ms);

/**
 * The connect nonce of session @p idx (the auth_tag field of its CONNECTs,
 * echoed by the server's answers of session 0): a keyed hash of the index
 * under a key drawn per run, so every session's one attempt has its own,
 * with no room taken in struct sess.
 */
void net_connect_nonce(const struct lg *g, uint32_t idx, uint8_t nonce[GS_WIRE_AUTH_LEN]);

/* --- load.c: the phases ------------------------------------------------------------------- */

/** CONNECT every session; retransmit to the unanswered ones. @return sessions connected. */
unsigned int load_connect_all(struct lg *g);

/** Every connected session attacks the entity of a session spawned far from it. */
void load_pick_targets(struct lg *g);

/**
 * Warm-up, not measured: @p count requests of the mix, at most 256
 * unanswered at a time, then their answers; the counters are reset after it
 * (the connect figures stay). Both ends page-fault every memif buffer the
 * first time they use it (16384 slots a direction with rsize 14: ~0.3 s of
 * stalls at 100 kpps otherwise), and the handlers touch each session's and
 * entity's state for the first time.
 */
void load_warm_up(struct lg *g, uint64_t count);

/** The measured load: --rate requests a second for --duration seconds. */
void load_offer(struct lg *g);

/**
 * --backlog: say "backlog ready" on stderr, wait for SIGUSR1 (the caller
 * stops the server's processes meanwhile), send the N requests as fast as
 * the port takes them, then collect the answers polling once a millisecond,
 * so the server's processes have the CPUs to themselves, for up to
 * BACKLOG_WAIT_MS; then say "backlog answered" and wait for a second
 * SIGUSR1 before the caller's goodbye.
 */
void load_backlog(struct lg *g);

/** DISCONNECT every connected session: no answer is expected. */
void load_say_goodbye(struct lg *g);

/* --- report.c ----------------------------------------------------------------------------- */

/** The result: one line on stdout (more on stderr), or one JSON object with --json. */
void report_print(const struct lg *g, int status);

#endif /* GS_LOADGEN_H */
