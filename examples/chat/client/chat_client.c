/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * chat-client: simulated players for the chat handler class
 * (examples/chat/chat.proto), over kernel UDP through libgsclient.
 *
 * Every player has its own connected UDP socket and struct gsc_session, with
 * a connect token minted from the server key (--key-file), as the game's
 * backend would. The run goes through four phases, the same for everyone:
 *   connect  CONNECT, resent every 250 ms, until all are accepted or
 *            --connect-timeout-ms passes;
 *   join     with --channel, every --channel-every'th player sends Join and
 *            waits for Joined (resent every 500 ms, 2 s at most), so that
 *            nobody speaks on the channel before its members are in;
 *   play     for --duration-s every player sends a Say every --say-every-ms,
 *            by turns to its surroundings (channel "") and, if it joined, to
 *            its channel; msg_id = player index << 32 | a counter from 1;
 *   drain    1 s more for Heards in flight, then DISCONNECT.
 * Heartbeats keep every session alive throughout. The chat messages travel
 * as raw payloads (gsc_session_raw(), GSC_EVENT_RAW) that this file packs
 * and unpacks with the protobuf-c code generated from chat.proto.
 *
 * What each player said and heard goes to --out as JSON lines; stdout gets
 * a one-line summary. A sender hears its own Say ("echoed"): a Say that never
 * echoed is lost, one neither echoed nor refused is unanswered.
 */
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

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* --- options ------------------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: chat-client --server IP:PORT --key-file FILE --players N [options]\n"
		"Simulated players for the chat handler class: connect N players, let some join a\n"
		"channel, have each Say something every few ms, record what everyone heard.\n"
		"  --server IP:PORT         the gsnet group's address\n"
		"  --key-file FILE          the server key ([auth] key_file): tokens are minted here\n"
		"  --protocol-id N          the game's [auth] protocol_id (default 0x47534e4554)\n"
		"  --players N              players, one UDP socket and session each (1..%u)\n"
		"  --duration-s S           seconds of Says (default 5), then a 1 s drain\n"
		"  --say-every-ms M         each player's Say interval (default 200)\n"
		"  --channel NAME           players with index %% K == 0 join channel NAME and\n"
		"  --channel-every K        say every other Say there (K default 1: everyone)\n"
		"  --connect-timeout-ms T   give up on players not accepted by then (default 3000)\n"
		"  --out FILE               one JSON line per player: what it said and heard\n"
		"  -h, --help               this text\n"
		"Exit status: 0 every player connected (and joined), every Say echoed or refused;\n"
		"1 otherwise, or a runtime error, or interrupted; 2 bad options.\n",
		MAX_PLAYERS);
}

static int
parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (gs_parse_u64(s, 10, min, max, &v) < 0)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int
parse_server(const char *s, struct sockaddr_in *sa)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	unsigned int port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1 || parse_uint(colon + 1, 1, 65535, &port))
		return -EINVAL;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

/*
 * Printable ASCII, 1..CHANNEL_MAX bytes. The class itself allows less
 * (1-15 of a-z, 0-9, '_', '-'); a name it refuses is a test of bad_channel.
 */
static bool
is_channel_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > CHANNEL_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

enum {
	OPT_SERVER = 256,
	OPT_KEY_FILE,
	OPT_PROTOCOL_ID,
	OPT_PLAYERS,
	OPT_DURATION,
	OPT_SAY_EVERY,
	OPT_CHANNEL,
	OPT_CHANNEL_EVERY,
	OPT_CONNECT_TIMEOUT,
	OPT_OUT,
};

/* @return 0, 1 (help printed: exit 0) or -EINVAL (message printed). */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "protocol-id", required_argument, NULL, OPT_PROTOCOL_ID },
		{ "players", required_argument, NULL, OPT_PLAYERS },
		{ "duration-s", required_argument, NULL, OPT_DURATION },
		{ "say-every-ms", required_argument, NULL, OPT_SAY_EVERY },
		{ "channel", required_argument, NULL, OPT_CHANNEL },
		{ "channel-every", required_argument, NULL, OPT_CHANNEL_EVERY },
		{ "connect-timeout-ms", required_argument, NULL, OPT_CONNECT_TIMEOUT },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool has_server = false;
	const char *bad = NULL;
	int opt;

	memset(o, 0, sizeof(*o));
	o->protocol_id = DEFAULT_PROTOCOL_ID;
	o->duration_s = 5;
	o->say_every_ms = 200;
	o->connect_timeout_ms = 3000;

	while (bad == NULL && (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SERVER:
			has_server = true;
			if (parse_server(optarg, &o->server) < 0)
				bad = "--server wants IPV4:PORT";
			break;
		case OPT_KEY_FILE:
			o->key_file = optarg;
			break;
		case OPT_PROTOCOL_ID:
			if (gs_parse_u64(optarg, 0, 0, UINT64_MAX, &o->protocol_id) < 0)
				bad = "--protocol-id wants an unsigned integer (0x... for hex)";
			break;
		case OPT_PLAYERS:
			if (parse_uint(optarg, 1, MAX_PLAYERS, &o->players) < 0)
				bad = "--players wants 1..1000";
			break;
		case OPT_DURATION:
			if (parse_uint(optarg, 1, 3600, &o->duration_s) < 0)
				bad = "--duration-s wants 1..3600";
			break;
		case OPT_SAY_EVERY:
			if (parse_uint(optarg, 1, 60000, &o->say_every_ms) < 0)
				bad = "--say-every-ms wants 1..60000";
			break;
		case OPT_CHANNEL:
			o->channel = optarg;
			if (!is_channel_name(optarg))
				bad = "--channel wants 1..32 printable characters, no spaces";
			break;
		case OPT_CHANNEL_EVERY:
			if (parse_uint(optarg, 1, MAX_PLAYERS, &o->channel_every) < 0)
				bad = "--channel-every wants 1..1000";
			break;
		case OPT_CONNECT_TIMEOUT:
			if (parse_uint(optarg, 1, 600000, &o->connect_timeout_ms) < 0)
				bad = "--connect-timeout-ms wants 1..600000";
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default: /* getopt_long() has said what is wrong */
			bad = "bad option";
			break;
		}
	}
	if (bad == NULL && optind < argc)
		bad = "unexpected argument";
	if (bad == NULL && !has_server)
		bad = "--server is required";
	if (bad == NULL && o->key_file == NULL)
		bad = "--key-file is required";
	if (bad == NULL && o->players == 0)
		bad = "--players is required";
	if (bad == NULL && o->channel_every > 0 && o->channel == NULL)
		bad = "--channel-every needs --channel";
	if (bad == NULL &&
		(uint64_t)o->players * (o->duration_s * 1000ull / o->say_every_ms + 1) > SAY_BUDGET)
		bad = "--players x --duration-s / --say-every-ms is above 4000000 Says";
	if (bad != NULL) {
		fprintf(stderr, "chat-client: %s (try --help)\n", bad);
		return -EINVAL;
	}
	if (o->channel != NULL && o->channel_every == 0)
		o->channel_every = 1;
	return 0;
}

/* --- sending -------------------------------------------------------------------------------- */

static int
send_datagram(struct chat *c, struct player *p, const uint8_t *buf, size_t len)
{
	if (send(p->fd, buf, len, 0) != (ssize_t)len) {
		c->send_fail++;
		return -EIO;
	}
	return 0;
}

/* Pack @p m as a chat message of @p type and send it in @p p's session. */
static int
send_chat(struct chat *c, struct player *p, uint8_t type, const ProtobufCMessage *m)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t plen = protobuf_c_message_get_packed_size(m), len;
	int ret;

	if (plen > GS_WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	protobuf_c_message_pack(m, buf + GS_WIRE_HDR_LEN); /* in place: raw() leaves it there */
	ret = gsc_session_raw(&p->s, type, buf + GS_WIRE_HDR_LEN, plen, buf, sizeof(buf), &len);
	if (ret < 0)
		return ret;
	return send_datagram(c, p, buf, len);
}

static uint32_t
index_of(const struct chat *c, const struct player *p)
{
	return (uint32_t)(p - c->p);
}

static void
send_join(struct chat *c, struct player *p)
{
	Gschat__Join j = GSCHAT__JOIN__INIT;

	j.channel = (char *)c->o.channel;
	send_chat(c, p, CHAT_JOIN, &j.base);
}

/* The next Say: odd counters to the surroundings, even ones to the channel if joined. */
static void
send_say(struct chat *c, struct player *p)
{
	Gschat__Say say = GSCHAT__SAY__INIT;
	uint32_t counter = p->n_said + 1;
	bool to_channel = p->joined && counter % 2 == 0;
	char text[64];

	if (p->n_said >= c->says_max)
		return;
	snprintf(text, sizeof(text), "player %u says #%u", index_of(c, p), counter);
	say.text = text;
	say.channel = to_channel ? (char *)c->o.channel : "";
	say.msg_id = (uint64_t)index_of(c, p) << 32 | counter;
	if (send_chat(c, p, CHAT_SAY, &say.base) < 0)
		return;
	p->said[p->n_said++] = (struct said){ .id = say.msg_id, .to_channel = to_channel };
}

/* --- timers --------------------------------------------------------------------------------- */

static void
rearm(struct chat *c, struct player *p)
{
	uint64_t due = p->connect_due;

	if (p->join_due < due)
		due = p->join_due;
	if (p->say_due < due)
		due = p->say_due;
	if (p->hb_due < due)
		due = p->hb_due;
	if (due == UINT64_MAX)
		gsc_timers_cancel(&c->timers, index_of(c, p));
	else
		gsc_timers_set(&c->timers, index_of(c, p), due);
}

static void
stop_player(struct chat *c, struct player *p)
{
	p->connect_due = p->join_due = p->say_due = p->hb_due = UINT64_MAX;
	rearm(c, p);
}

/* The heartbeat interval CONNECT_ACCEPT gave, 1 s if it gave none. */
static uint64_t
hb_period(const struct player *p)
{
	return (p->s.heartbeat_interval_ms > 0 ? p->s.heartbeat_interval_ms : 1000) * NS_PER_MS;
}

static void
player_timer(struct chat *c, struct player *p, uint64_t now)
{
	uint64_t period = c->o.say_every_ms * NS_PER_MS;
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t len;

	if (p->connect_due <= now) {
		if (gsc_session_connect(&p->s, now, buf, sizeof(buf), &len) == 0)
			send_datagram(c, p, buf, len);
		p->connect_due = now + CONNECT_RETRY_NS;
	}
	if (p->join_due <= now) {
		send_join(c, p);
		p->join_due = now + JOIN_RETRY_NS;
	}
	if (p->say_due <= now) {
		send_say(c, p);
		do /* on the grid: a late loop skips Says rather than bunching them */
			p->say_due += period;
		while (p->say_due <= now);
	}
	if (p->hb_due <= now) {
		if (gsc_session_heartbeat(&p->s, now, buf, sizeof(buf), &len) == 0)
			send_datagram(c, p, buf, len);
		p->hb_due = now + hb_period(p);
	}
	rearm(c, p);
}

/* --- receiving ------------------------------------------------------------------------------ */

static void
on_heard(struct chat *c, struct player *p, const Gschat__Heard *h)
{
	uint32_t me = index_of(c, p), counter = (uint32_t)h->msg_id;
	struct heard *e;

	p->heard_total++;
	if (h->from_session == p->s.session_id && h->msg_id >> 32 == me && counter >= 1 &&
		counter <= p->n_said)
		p->said[counter - 1].echoes++;

	if (p->n_heard == p->heard_cap) {
		uint32_t cap = p->heard_cap > 0 ? 2 * p->heard_cap : 64;

		if (c->heard_recorded + (cap - p->heard_cap) > HEARD_BUDGET)
			return;
		e = realloc(p->heard, cap * sizeof(*e));
		if (e == NULL)
			return;
		c->heard_recorded += cap - p->heard_cap;
		p->heard = e;
		p->heard_cap = cap;
	}
	e = &p->heard[p->n_heard++];
	e->msg_id = h->msg_id;
	e->from_session = h->from_session;
	e->from_entity = h->from_entity;
	e->distance = h->distance;
	snprintf(e->channel, sizeof(e->channel), "%s", h->channel);
}

static enum refusal
refusal_of(const char *reason)
{
	unsigned int r;

	for (r = 0; r < REFUSAL_OTHER; r++)
		if (strcmp(reason, refusal_names[r]) == 0)
			return r;
	return REFUSAL_OTHER;
}

static void
on_refused(struct chat *c, struct player *p, const Gschat__Refused *r)
{
	enum refusal why = refusal_of(r->reason);
	uint32_t counter = (uint32_t)r->msg_id;

	p->refused[why]++;
	if (r->msg_id == 0) { /* our Join: retried unless it can never succeed */
		if (why != REFUSAL_RATE && p->join_due != UINT64_MAX) {
			p->join_due = UINT64_MAX;
			c->join_pending--;
			rearm(c, p);
		}
		return;
	}
	if (r->msg_id >> 32 == index_of(c, p) && counter >= 1 && counter <= p->n_said)
		p->said[counter - 1].refused = true;
}

static void
on_joined(struct chat *c, struct player *p, const Gschat__Joined *j)
{
	if (p->join_due == UINT64_MAX || strcmp(j->channel, c->o.channel) != 0)
		return; /* not waiting, or not the channel we asked for */
	p->joined = true;
	p->join_due = UINT64_MAX;
	c->joined++;
	c->join_pending--;
	rearm(c, p);
}

static void
on_raw(struct chat *c, struct player *p, uint8_t type, const uint8_t *payload, uint16_t len)
{
	ProtobufCAllocator *a = &c->arena.alloc;
	void *m = NULL;

	gs_pb_arena_reset(&c->arena);
	if (type == CHAT_HEARD && (m = gschat__heard__unpack(a, len, payload)) != NULL)
		on_heard(c, p, m);
	else if (type == CHAT_REFUSED && (m = gschat__refused__unpack(a, len, payload)) != NULL)
		on_refused(c, p, m);
	else if (type == CHAT_JOINED && (m = gschat__joined__unpack(a, len, payload)) != NULL)
		on_joined(c, p, m);
	if (m == NULL) /* a payload that does not unpack, or a type the class does not send */
		c->bad_payload++;
}

static void
on_event(struct chat *c, struct player *p, const struct gsc_event *ev, uint64_t now)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t len;

	switch (ev->type) {
	case GSC_EVENT_CONNECTED:
		if (c->phase != PHASE_CONNECT) { /* too late: release the server's session */
			if (gsc_session_disconnect(&p->s, buf, sizeof(buf), &len) == 0)
				send_datagram(c, p, buf, len);
			return;
		}
		p->connected = true;
		c->connected++;
		p->connect_due = UINT64_MAX;
		p->hb_due = now + hb_period(p);
		rearm(c, p);
		return;
	case GSC_EVENT_CHALLENGE: /* answer at once: the cookie lives [auth] challenge_ttl_ms */
		if (p->connect_due != UINT64_MAX &&
			gsc_session_connect(&p->s, now, buf, sizeof(buf), &len) == 0)
			send_datagram(c, p, buf, len);
		return;
	case GSC_EVENT_DISCONNECTED:
	case GSC_EVENT_ERROR:
		fprintf(stderr, "chat-client: player %u: the server %s (%s %d)\n", index_of(c, p),
			p->connected ? "closed the session" : "refused to connect",
			ev->type == GSC_EVENT_ERROR ? "SESSION_ERROR code" : "DISCONNECT reason",
			ev->code);
		if (p->connected && !p->closed_by_server) {
			p->closed_by_server = true;
			c->server_closed++;
		}
		if (p->join_due != UINT64_MAX)
			c->join_pending--;
		stop_player(c, p);
		return;
	case GSC_EVENT_RAW:
		on_raw(c, p, ev->u.raw.type, ev->u.raw.payload, ev->u.raw.len);
		return;
	default: /* heartbeat acks; movement and combat answers we never ask for */
		return;
	}
}

static void
player_rx(struct chat *c, struct player *p)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	struct gsc_event ev;
	unsigned int n;
	ssize_t len;

	for (n = 0; n < RX_BUDGET; n++) {
		len = recv(p->fd, buf, sizeof(buf), MSG_TRUNC);
		if (len < 0) {
			if (errno == EINTR || errno == ECONNREFUSED) /* ICMP: nobody there yet */
				continue;
			return; /* EAGAIN, or an error the next wakeup sees again */
		}
		if ((size_t)len > sizeof(buf) ||
			gsc_session_input(&p->s, buf, (size_t)len, gsc_now_ns(), &ev) < 0) {
			c->rx_refused++;
			continue;
		}
		on_event(c, p, &ev, gsc_now_ns());
	}
}

/* --- the run -------------------------------------------------------------------------------- */

/* Move to the next phase(s) whose start condition holds at @p now. */
static void
advance(struct chat *c, uint64_t now)
{
	uint64_t period = c->o.say_every_ms * NS_PER_MS;
	struct player *p;
	unsigned int i, n = c->o.players;

	if (c->phase == PHASE_CONNECT && (c->connected == n || now >= c->phase_end)) {
		for (i = 0; i < n; i++) {
			p = &c->p[i];
			p->connect_due = UINT64_MAX;
			if (p->connected && !p->closed_by_server && p->wants_join) {
				p->join_due = now;
				c->joiners++;
				c->join_pending++;
			}
			rearm(c, p);
		}
		c->phase = c->connected > 0 ? PHASE_JOIN : PHASE_DONE; /* nobody to talk to */
		c->phase_end = now + JOIN_TIMEOUT_NS;
	}
	if (c->phase == PHASE_JOIN && (c->join_pending == 0 || now >= c->phase_end)) {
		for (i = 0; i < n; i++) {
			p = &c->p[i];
			p->join_due = UINT64_MAX;
			if (p->connected && !p->closed_by_server) /* spread over one period */
				p->say_due = now + period * i / n;
			rearm(c, p);
		}
		c->join_pending = 0;
		c->phase = PHASE_PLAY;
		c->phase_end = now + c->o.duration_s * NS_PER_S;
	}
	if (c->phase == PHASE_PLAY && now >= c->phase_end) {
		for (i = 0; i < n; i++) {
			c->p[i].say_due = UINT64_MAX;
			rearm(c, &c->p[i]);
		}
		c->phase = PHASE_DRAIN;
		c->phase_end = now + DRAIN_NS;
	}
	if (c->phase == PHASE_DRAIN && now >= c->phase_end)
		c->phase = PHASE_DONE;
}

static int
wait_ms(uint64_t now, uint64_t until)
{
	uint64_t ms;

	if (until <= now)
		return 0;
	ms = (until - now + NS_PER_MS - 1) / NS_PER_MS;
	return ms > 1000 ? 1000 : (int)ms;
}

static void
run(struct chat *c)
{
	struct epoll_event evs[EPOLL_EVENTS];
	uint64_t now = gsc_now_ns(), due, wake, spread;
	uint8_t buf[GSC_DATAGRAM_MAX];
	unsigned int i;
	uint32_t id;
	size_t len;
	int n, k;

	c->phase = PHASE_CONNECT;
	c->phase_end = now + c->o.connect_timeout_ms * NS_PER_MS;
	c->hard_deadline =
		c->phase_end + JOIN_TIMEOUT_NS + c->o.duration_s * NS_PER_S + DRAIN_NS + SLACK_NS;
	/* the first CONNECTs, and so their retransmits, spread over a quarter of a second */
	spread = c->o.connect_timeout_ms * NS_PER_MS / 4;
	if (spread > CONNECT_RETRY_NS)
		spread = CONNECT_RETRY_NS;
	for (i = 0; i < c->o.players; i++) {
		c->p[i].connect_due = now + spread * i / c->o.players;
		rearm(c, &c->p[i]);
	}

	while (!stop_requested && now < c->hard_deadline) {
		advance(c, now);
		if (c->phase == PHASE_DONE)
			break;
		while (gsc_timers_first(&c->timers, &id, &due) && due <= now)
			player_timer(c, &c->p[id], now);

		wake = c->phase_end;
		if (gsc_timers_first(&c->timers, NULL, &due) && due < wake)
			wake = due;
		n = epoll_wait(c->ep, evs, EPOLL_EVENTS, wait_ms(now, wake));
		for (k = 0; k < n; k++)
			player_rx(c, &c->p[evs[k].data.u32]);
		now = gsc_now_ns();
	}
	c->interrupted = c->phase != PHASE_DONE;
	if (c->interrupted)
		fprintf(stderr, "chat-client: %s: disconnecting\n",
			stop_requested ? "interrupted" : "hard deadline passed");

	for (i = 0; i < c->o.players; i++) {
		stop_player(c, &c->p[i]);
		if (gsc_session_disconnect(&c->p[i].s, buf, sizeof(buf), &len) == 0)
			send_datagram(c, &c->p[i], buf, len);
	}
}

/* --- setup ---------------------------------------------------------------------------------- */

static int
open_socket(const struct sockaddr_in *server)
{
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connected: a source port of its own, and nobody else's datagrams */
	if (connect(fd, (const struct sockaddr *)server, sizeof(*server)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* Players, their sockets and tokens. @return 0 or -errno, with a message printed. */
static int
chat_init(struct chat *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	const struct opts *o = &c->o;
	uint8_t key[GS_KEY_LEN], token[GS_TOKEN_LEN];
	struct gs_token t;
	char err[512];
	unsigned int i;
	int ret;

	gs_pb_arena_init(&c->arena, c->arena_mem, sizeof(c->arena_mem));
	c->says_max = o->duration_s * 1000u / o->say_every_ms + 1;
	if (gs_auth_init() < 0) {
		fprintf(stderr, "chat-client: libsodium cannot initialise\n");
		return -EIO;
	}
	ret = gs_key_load(o->key_file, key, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "chat-client: %s\n", err);
		return ret;
	}
	c->p = calloc(o->players, sizeof(*c->p));
	if (c->p == NULL || gsc_timers_init(&c->timers, o->players) < 0)
		goto out_nomem;
	for (i = 0; i < o->players; i++)
		c->p[i].fd = -1;
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0) {
		ret = -errno;
		fprintf(stderr, "chat-client: epoll_create1: %s\n", strerror(-ret));
		return ret;
	}
	for (i = 0; i < o->players; i++) {
		struct player *p = &c->p[i];

		p->said = calloc(c->says_max, sizeof(*p->said));
		if (p->said == NULL)
			goto out_nomem;
		p->connect_due = p->join_due = p->say_due = p->hb_due = UINT64_MAX;
		p->wants_join = o->channel != NULL && i % o->channel_every == 0;
		gsc_session_init(&p->s, (uint64_t)i + 1);
		gsc_session_set_raw_rx(&p->s, true);
		gs_token_new(&t, o->protocol_id, (uint64_t)i + 1, o->server.sin_addr.s_addr,
			o->server.sin_port, (uint64_t)time(NULL), TOKEN_LIFETIME_S);
		gs_token_seal(key, &t, token);
		gsc_session_set_token(&p->s, token, t.c2s_key, t.s2c_key);

		p->fd = open_socket(&o->server);
		if (p->fd < 0) {
			fprintf(stderr, "chat-client: socket for player %u: %s%s\n", i,
				strerror(-p->fd), p->fd == -EMFILE ? " (ulimit -n)" : "");
			return p->fd;
		}
		ev.data.u32 = i;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, p->fd, &ev) < 0) {
			ret = -errno;
			fprintf(stderr, "chat-client: epoll_ctl: %s\n", strerror(-ret));
			return ret;
		}
	}
	return 0;

out_nomem:
	fprintf(stderr, "chat-client: out of memory for %u players\n", o->players);
	return -ENOMEM;
}

static void
chat_free(struct chat *c)
{
	unsigned int i;

	for (i = 0; c->p != NULL && i < c->o.players; i++) {
		if (c->p[i].fd >= 0)
			close(c->p[i].fd);
		free(c->p[i].said);
		free(c->p[i].heard);
	}
	free(c->p);
	c->p = NULL;
	gsc_timers_free(&c->timers);
	if (c->ep >= 0)
		close(c->ep);
	c->ep = -1;
}

/* --- output --------------------------------------------------------------------------------- */

/* A JSON string. Bytes outside printable ASCII become \u00XX: valid JSON, if not UTF-8. */
static void
json_str(FILE *f, const char *s)
{
	unsigned char ch;

	fputc('"', f);
	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch > 0x7e)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void
write_player(struct chat *c, const struct player *p, FILE *f)
{
	const char *channel = c->o.channel != NULL ? c->o.channel : "";
	uint32_t i;

	fprintf(f,
		"{\"player\":%u,\"connected\":%s,\"session\":%" PRIu32 ",\"entity\":%" PRIu32
		",\"channel\":",
		index_of(c, p), p->connected ? "true" : "false", p->s.session_id, p->s.entity_id);
	json_str(f, p->joined ? channel : "");
	fputs(",\"said\":[", f);
	for (i = 0; i < p->n_said; i++) {
		fprintf(f, "%s{\"id\":%" PRIu64 ",\"channel\":", i > 0 ? "," : "", p->said[i].id);
		json_str(f, p->said[i].to_channel ? channel : "");
		fprintf(f, ",\"echoed\":%s}", p->said[i].echoes > 0 ? "true" : "false");
	}
	fputs("],\"heard\":[", f);
	for (i = 0; i < p->n_heard; i++) {
		const struct heard *h = &p->heard[i];

		fprintf(f,
			"%s{\"from\":%" PRIu32 ",\"entity\":%" PRIu32 ",\"id\":%" PRIu64
			",\"channel\":",
			i > 0 ? "," : "", h->from_session, h->from_entity, h->msg_id);
		json_str(f, h->channel);
		if (isfinite(h->distance))
			fprintf(f, ",\"distance\":%.9g}", (double)h->distance);
		else
			fputs(",\"distance\":null}", f);
	}
	fprintf(f, "],\"heard_unrecorded\":%" PRIu64 ",\"refused\":{", p->heard_total - p->n_heard);
	for (i = 0; i < REFUSAL_MAX; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i > 0 ? "," : "", refusal_names[i], p->refused[i]);
	fputs("}}\n", f);
}

static int
write_out(struct chat *c)
{
	unsigned int i;

	bool failed;

	for (i = 0; i < c->o.players; i++)
		write_player(c, &c->p[i], c->out);
	failed = ferror(c->out) != 0;
	failed |= fclose(c->out) != 0;
	c->out = NULL;
	if (failed) {
		fprintf(stderr, "chat-client: --out %s: write failed\n", c->o.out);
		return -EIO;
	}
	return 0;
}

/* The summary line. @return true when the run succeeded (see usage()). */
static bool
summary(const struct chat *c)
{
	uint64_t said = 0, heard = 0, echoed = 0, refused = 0, unanswered = 0;
	const struct player *p;
	unsigned int i, r;
	uint32_t k;

	for (i = 0; i < c->o.players; i++) {
		p = &c->p[i];
		heard += p->heard_total;
		for (r = 0; r < REFUSAL_MAX; r++)
			refused += p->refused[r];
		for (k = 0; k < p->n_said; k++) {
			said++;
			echoed += p->said[k].echoes > 0;
			unanswered += p->said[k].echoes == 0 && !p->said[k].refused;
		}
	}
	printf("chat-client: connected=%u/%u joined=%u/%u said=%" PRIu64 " heard=%" PRIu64
	       " echoed=%" PRIu64 " lost=%" PRIu64 " refused=%" PRIu64 " unanswered=%" PRIu64
	       " server_closed=%u send_fail=%" PRIu64 " rx_refused=%" PRIu64 " bad_payload=%" PRIu64
	       "%s\n",
		c->connected, c->o.players, c->joined, c->joiners, said, heard, echoed,
		said - echoed, refused, unanswered, c->server_closed, c->send_fail, c->rx_refused,
		c->bad_payload, c->interrupted ? " interrupted" : "");
	if (c->connected < c->o.players)
		fprintf(stderr, "chat-client: %u of %u players not connected\n",
			c->o.players - c->connected, c->o.players);
	if (c->joined < c->joiners)
		fprintf(stderr, "chat-client: %u of %u players never got Joined{%s}\n",
			c->joiners - c->joined, c->joiners, c->o.channel);
	if (unanswered > 0)
		fprintf(stderr, "chat-client: %" PRIu64 " Says neither echoed nor refused\n",
			unanswered);
	return c->connected == c->o.players && c->joined == c->joiners && unanswered == 0 &&
	       c->server_closed == 0 && !c->interrupted;
}

int
main(int argc, char **argv)
{
	static struct chat c; /* the sessions are calloc'd, but the arena is 3 KB */
	struct sigaction sa = { .sa_handler = on_signal };
	bool ok;
	int ret;

	c.ep = -1;
	ret = parse_args(argc, argv, &c.o);
	if (ret != 0)
		return ret > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (c.o.out != NULL) { /* now, not after the run: a bad path fails fast */
		c.out = fopen(c.o.out, "w");
		if (c.out == NULL) {
			fprintf(stderr, "chat-client: --out %s: %s\n", c.o.out, strerror(errno));
			return EXIT_FAIL;
		}
	}
	if (chat_init(&c) < 0) {
		if (c.out != NULL)
			fclose(c.out);
		chat_free(&c);
		return EXIT_FAIL;
	}
	run(&c);
	ok = summary(&c);
	fflush(stdout);
	if (c.out != NULL && write_out(&c) < 0)
		ok = false;
	chat_free(&c);
	return ok ? EXIT_SUCCESS : EXIT_FAIL;
}
