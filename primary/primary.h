/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_H
#define GS_PRIMARY_H

/* The primary's process-wide state, shared by its modules (not by processes). */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

#include "gs_app.h"
#include "gs_session_tbl.h"
#include "gs_shm_types.h"

#include "classify.h"
#include "eal_guard.h"
#include "exception.h"
#include "frame.h"
#include "reload.h"
#include "rxts.h"
#include "wake.h"

struct lcore_ctx; /* dataplane.c's: what one lcore owns */
struct rte_flow;
struct rte_mempool;
struct rte_ring;

/*
 * What the primary keeps per session position, beside the shared table: the
 * client's replay window and its rate bucket. Written only by the lcore that
 * receives the session's packets (RSS keeps a client address on one queue).
 */
struct sess_rx {
	uint32_t session_id; /* whose state this is: reset when the position is reused */
	uint32_t reserved;
	uint64_t tat; /* GCRA of [limits] session_pps */
	struct gs_replay replay;
} __rte_cache_aligned;

/*
 * One game port: an ethdev port the primary configured and polls. Written by
 * the main lcore at start and stop; the lcores read it per burst or reply,
 * most often the first cache line (fcfg, n_rxq, started).
 */
struct port_state {
	struct frame_cfg fcfg;
	unsigned int n_rxq; /* RX queues: an lcore of a higher index only sends on the port */
	bool started;
	bool rss;     /* RSS over the RX queues */
	bool rx_intr; /* RX queue interrupts on (idle = wake) */
	const char *driver;
	struct rte_flow *flow_game; /* rte_flow steering, when the port has it */
	struct rte_flow *flow_ctrl;
	struct rxts_port rxts; /* time of arrival: the port's clock */
	struct exc_port exc;   /* kernel exception path: the port's interface */
};

/* What the monitor (main lcore) remembers of one handler instance between ticks. */
struct inst_state {
	bool starved; /* up while waiting for a CPU */
	/* since when the slot says ATTACHING, and in which generation */
	uint32_t attaching_gen;
	uint64_t attaching_since;
};

struct primary {
	struct gs_app app;
	struct gs_control *ctl;
	struct rte_mempool *pool;
	struct gs_session_tbl sessions;
	bool sessions_ok;
	struct gs_world *world;
	/* type -> class: the lcores read classify[classify_cur]; a reload fills the other and swaps */
	struct classify_table classify[2];
	uint32_t classify_cur;
	struct gs_tokens_used tokens; /* created here, used by gs-session */
	bool tokens_ok;
	struct sess_rx *rx; /* rx[position], max_sessions */
	bool auth;	    /* [auth] mode = token: tags checked and written */
	struct gs_rate rate_source, rate_session, rate_connect; /* interval 0: no limit */
	uint32_t source_seed; /* random: which addresses share a source bucket */

	/* the game ports: port[port_ids[0 .. n_ports-1]] */
	struct port_state port[RTE_MAX_ETHPORTS]; /* indexed by ethdev port id */
	uint16_t port_ids[RTE_MAX_ETHPORTS];
	unsigned int n_ports;
	int wake_efd[GS_MAX_PRIMARY_LCORES]; /* each lcore's eventfd: handlers' replies wake it */
	struct eal_guard eal_guard;	     /* the EAL's shared locks, kept free of the dead */

	unsigned int n_lcores;
	struct lcore_ctx *lcore_ctx[GS_MAX_PRIMARY_LCORES]; /* by lcore index, before launch */
	struct rte_ring *p2h[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];
	struct rte_ring *h2p[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];

	/* live instances per class (bit mask): written by the main lcore, read by all */
	uint32_t live[GS_MAX_CLASSES];
	/* instances ever claimed (bit mask, same writer): the only reply rings polled */
	uint32_t claimed[GS_MAX_CLASSES];
	uint32_t claimed_classes;      /* classes with a bit in claimed[] */
	bool class_on[GS_MAX_CLASSES]; /* the class id has rings (main lcore's) */
	struct reload reload;
	struct inst_state inst[GS_MAX_CLASSES][GS_MAX_INSTANCES]; /* main lcore's */
	/* retiring handler instances: the main lcore bumps retire_seq after a new
	 * request; each lcore records the request it carried out per instance */
	uint32_t retire_seq;
	uint32_t retire_done[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];
	/* the signal handler's flag, and the stop every lcore reads */
	volatile sig_atomic_t *sig_stop;
	volatile sig_atomic_t *sig_hup; /* SIGHUP: reload the classes */
	uint32_t stop;
};

#endif /* GS_PRIMARY_H */
