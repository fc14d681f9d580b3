/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_CLIENT_CLIENT_H
#define GS_CLIENT_CLIENT_H

/*
 * gs-client's state, shared by its three parts: gs_client.c (options,
 * setup, main), sim.c (the players and the loop that drives them) and
 * report.c (the summary, --world-out and --view-out).
 */
#include <netinet/in.h>

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "gsc_repl.h"
#include "gsc_timers.h"
#include "gsclient.h"

#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S  UINT64_C(1000000000)
#define REASONS	  (GS__MOVE_REJECT__REASON__BUSY + 1)
#define RESULTS	  (GS__ATTACK_RESULT__RESULT__BUSY + 1)

/*
 * --views: a player's view as its play ended (before its DISCONNECT, while
 * the world it saw was live), which the summary and --view-out report.
 */
struct view_end {
	bool taken;		  /* false: it never played (failed connect) */
	uint32_t tick;		  /* its newest view's tick, 0: none */
	uint32_t saw;		  /* struct player's saw, then */
	struct gsc_repl_stats st; /* its gsc_repl's counters, then */
	char *line;		  /* --view-out: its line, '\n' included (NULL: out of memory) */
};

enum phase {
	PHASE_CONNECTING, /* timer: next CONNECT (re)transmission */
	PHASE_PLAYING,	  /* timer: next HEARTBEAT, MOVE or ATTACK, then DISCONNECT */
	PHASE_DONE,	  /* no timer */
};

struct player {
	struct gsc_session s;
	int fd;
	enum phase phase;
	bool failed;	  /* never connected */
	uint32_t hb_done; /* heartbeats attempted */
	/* its timer (client.timers) fires at the earliest of these three: */
	uint64_t hb_due;     /* next HEARTBEAT, after the last one the end of play */
	uint64_t move_due;   /* next MOVE (UINT64_MAX without --move) */
	uint64_t attack_due; /* next ATTACK (UINT64_MAX without --fight) */
	uint64_t play_start; /* when CONNECT_ACCEPT arrived */
	uint64_t drain_end;  /* end of play: wait for answers until then, then DISCONNECT */
	/* --move, --fight */
	float pos[3];		 /* where the player is: the next MOVE's position */
	float goal[3];		 /* the waypoint it walks to */
	float auth[3];		 /* the last position the server told us (the spawn at first) */
	uint32_t auth_seq;	 /* the MOVE seq of that answer, 0 for the spawn */
	uint32_t move_seq;	 /* MOVEs sent, numbered 1, 2, ... */
	uint32_t move_answers;	 /* MOVE_ACKs and MOVE_REJECTs */
	uint32_t attack_seq;	 /* ATTACKs sent, numbered 1, 2, ... */
	uint32_t attack_answers; /* ATTACK_RESULTs */
	int32_t hp;		 /* from the last DAMAGED, -1 before any */
	int32_t hp_prev;	 /* hp before that DAMAGED */
	uint64_t damaged_ns;	 /* when the last DAMAGED came, 0: none */
	uint32_t deaths;	 /* DAMAGEDs that killed it */
	bool killed;		 /* the last DAMAGED killed the player ... */
	bool dead;		 /* ... and it has not resumed since */
	uint64_t respawn_ns;	 /* killed: when the entity respawns ... */
	float respawn[3];	 /* ... and where */
	/* --views: NULL without */
	struct gsc_repl *repl; /* attached to s: the SNAPSHOTs are applied to it */
	uint32_t saw;	       /* the most other entities (its own not counted) in one view */
	/* --fight: the partner's deaths its view showed (alive 1 -> 0 while in view) */
	uint32_t partner_deaths_seen;
	bool partner_seen_dead;
	struct view_end end; /* its view when its play ended, before DISCONNECT */
};

struct opts {
	struct sockaddr_in server;
	struct sockaddr_in bind;
	bool has_bind;
	unsigned int players;
	unsigned int duration_s;
	unsigned int interval_ms;
	unsigned int connect_timeout_ms;
	bool quiet;
	bool json;
	bool move;  /* --move, or implied by --fight */
	bool fight; /* --fight */
	unsigned int move_hz;
	double speed;		  /* units per second */
	unsigned int cheat_every; /* 0: no cheats */
	unsigned int attack_ms;
	unsigned int skill;
	const char *world_out; /* NULL: no --world-out */
	bool views;	       /* --views, or implied by --view-out */
	const char *view_out;  /* NULL: no --view-out */
	const char *key_file;  /* --key-file: mint each player's token (as the backend) */
	const char *tokens;    /* --tokens: tokens from gs-token mint, one line per player */
	uint64_t protocol_id;
	unsigned int token_lifetime_s;
};

struct counters {
	uint64_t sent;
	uint64_t sent_by_type[GSC_MSG_TYPES];
	uint64_t send_fail;	/* send() refused: ENOBUFS, EAGAIN, ICMP errors */
	uint64_t received;	/* datagrams gsc_session_input() accepted */
	uint64_t errors;	/* refused datagrams + SESSION_ERRORs */
	uint64_t oversize;	/* datagrams longer than GSC_DATAGRAM_MAX */
	uint64_t icmp_refused;	/* ECONNREFUSED from recv(): nobody at the server port */
	uint64_t recv_fail;	/* other recv() errors */
	uint64_t server_closed; /* DISCONNECTs from the server */
};

struct move_counters {
	uint64_t acked;
	uint64_t rejected;
	uint64_t by_reason[REASONS]; /* reasons this client does not know count as UNKNOWN */
	uint64_t cheats;	     /* invalid on purpose */
	uint64_t cheats_rejected;    /* ... and rejected for the expected reason */
};

struct combat_counters {
	uint64_t results[RESULTS + 1]; /* the last: results this client does not know */
	uint64_t damaged;	       /* DAMAGED received */
	uint64_t damaged_killed;       /* ... with killed set */
};

/* Everything the run needs: one instance, in main(). */
struct client {
	struct opts o;
	struct player *p;
	struct gsc_timers timers;	   /* one per player (its index), while it is not DONE */
	const volatile sig_atomic_t *stop; /* set on SIGINT, SIGTERM */
	int ep;
	uint64_t hb_per_player;
	uint64_t start_ns;
	uint64_t t0;
	uint64_t connect_deadline;
	uint64_t hard_deadline;
	unsigned int connected;
	unsigned int failed;
	unsigned int done;
	struct counters c;
	struct move_counters mv;
	struct combat_counters cb;
	struct gsc_hist rtt;
	struct gsc_hist connect;
	struct gsc_hist move_rtt;
	uint64_t move_period_ns;
	uint64_t rng; /* xorshift64* state: waypoints */
	/* progress lines */
	uint64_t next_progress;
	uint64_t sec_rtt_sum;
	uint64_t sec_rtt_n;
};

/* Requests sent and not answered (yet): @p sent - @p answered, never negative. */
static inline uint64_t
unanswered(uint32_t sent, uint32_t answered)
{
	return sent > answered ? sent - answered : 0;
}

/* --fight: player @p p's partner (0 with 1, 2 with 3, ...), NULL without one. */
static inline const struct player *
fight_partner(const struct client *c, const struct player *p)
{
	unsigned int i = (unsigned int)(p - c->p) ^ 1u;

	return c->o.fight && i < c->o.players ? &c->p[i] : NULL;
}

#endif /* GS_CLIENT_CLIENT_H */
