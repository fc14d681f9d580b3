/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CHAT_CLIENT_H
#define CHAT_CLIENT_H

/* chat-client's shared state: its options, players and run (chat_client.c, players.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <protobuf-c/protobuf-c.h>

#include "gs_auth.h"
#include "gs_parse.h"
#include "gs_pb_arena.h"
#include "gs_wire.h"

#include "chat.pb-c.h"
#include "gsc_timers.h"
#include "gsclient.h"

#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S  UINT64_C(1000000000)

#define MAX_PLAYERS	    1000u
#define SAY_BUDGET	    4000000u /* Says recorded over all players: players x says each */
#define HEARD_BUDGET	    4000000u /* Heards recorded over all players; more are only counted */
#define CHANNEL_MAX	    32u	     /* longest channel name kept (the class allows 15) */
#define CONNECT_RETRY_NS    (250 * NS_PER_MS)
#define JOIN_RETRY_NS	    (500 * NS_PER_MS)
#define JOIN_TIMEOUT_NS	    (2 * NS_PER_S)
#define DRAIN_NS	    NS_PER_S
#define SLACK_NS	    NS_PER_S /* hard deadline beyond the phases' own */
#define RX_BUDGET	    64	     /* datagrams per socket per wakeup */
#define EPOLL_EVENTS	    256
#define TOKEN_LIFETIME_S    60u
#define DEFAULT_PROTOCOL_ID 0x47534e4554ull /* [auth] protocol_id's default */
#define EXIT_FAIL	    1
#define EXIT_USAGE	    2

/* The chat class's message types (chat.proto; [class.chat] types = 64-79). */
enum chat_type {
	CHAT_SAY = 64,	   /* client -> server */
	CHAT_JOIN = 65,	   /* client -> server */
	CHAT_HEARD = 66,   /* server -> client */
	CHAT_REFUSED = 67, /* server -> client */
	CHAT_JOINED = 68,  /* server -> client */
};

/* Refused.reason values chat.proto names, and OTHER for any it does not. */
#define FOREACH_REFUSAL(X)                  \
	X(RATE, "rate")                     \
	X(TOO_LONG, "too_long")             \
	X(BAD_CHANNEL, "bad_channel")       \
	X(NOT_IN_CHANNEL, "not_in_channel") \
	X(OTHER, "other")

enum refusal {
#define REFUSAL_ENUM(sym, name) REFUSAL_##sym,
	FOREACH_REFUSAL(REFUSAL_ENUM)
#undef REFUSAL_ENUM
	REFUSAL_MAX,
};

static const char *const refusal_names[REFUSAL_MAX] = {
#define REFUSAL_NAME(sym, name) [REFUSAL_##sym] = name,
	FOREACH_REFUSAL(REFUSAL_NAME)
#undef REFUSAL_NAME
};

struct said {
	uint64_t id;
	bool to_channel; /* else to the surroundings */
	bool refused;
	uint32_t echoes; /* times the sender heard it back */
};

struct heard {
	uint64_t msg_id;
	uint32_t from_session;
	uint32_t from_entity;
	float distance;
	char channel[CHANNEL_MAX + 1];
};

struct player {
	struct gsc_session s;
	int fd;
	bool connected; /* accepted during the connect phase */
	bool wants_join;
	bool joined;
	bool closed_by_server;
	/* its timer fires at the earliest of these (UINT64_MAX: not due) */
	uint64_t connect_due;
	uint64_t join_due;
	uint64_t say_due;
	uint64_t hb_due;
	struct said *said; /* says_max entries, n_said used */
	uint32_t n_said;
	struct heard *heard; /* grows by doubling while the budget lasts */
	uint32_t n_heard;
	uint32_t heard_cap;
	uint64_t heard_total; /* n_heard plus the ones not recorded */
	uint64_t refused[REFUSAL_MAX];
};

struct opts {
	struct sockaddr_in server;
	const char *key_file;
	uint64_t protocol_id;
	unsigned int players;
	unsigned int duration_s;
	unsigned int say_every_ms;
	unsigned int connect_timeout_ms;
	const char *channel; /* NULL: nobody joins */
	unsigned int channel_every;
	const char *out; /* NULL: no JSON lines */
};

enum phase {
	PHASE_CONNECT,
	PHASE_JOIN,
	PHASE_PLAY,
	PHASE_DRAIN,
	PHASE_DONE,
};

struct chat {
	struct opts o;
	struct player *p;
	struct gsc_timers timers; /* one per player, its index */
	int ep;
	FILE *out;
	enum phase phase;
	uint64_t phase_end;
	uint64_t hard_deadline;
	uint32_t says_max; /* per player */
	unsigned int connected;
	unsigned int joiners; /* connected players that send Join */
	unsigned int joined;
	unsigned int join_pending; /* joiners with neither Joined nor a final refusal */
	unsigned int server_closed;
	uint64_t heard_recorded; /* of HEARD_BUDGET */
	uint64_t send_fail;
	uint64_t rx_refused;  /* datagrams gsc_session_input() refused */
	uint64_t bad_payload; /* chat payloads that do not unpack, or types we do not know */
	bool interrupted;
	struct gs_pb_arena arena;
	alignas(16) uint8_t arena_mem[2 * GSC_DATAGRAM_MAX + 1024];
};

/* The number of player @p p (its place in c->p). */
static inline uint32_t
index_of(const struct chat *c, const struct player *p)
{
	return (uint32_t)(p - c->p);
}

/* SIGINT/SIGTERM seen: the run disconnects and ends (chat_client.c sets it). */
extern volatile sig_atomic_t chat_stop;

/* Connect, join, chat, drain, disconnect (players.c). */
void chat_run(struct chat *c);

#endif /* CHAT_CLIENT_H */
